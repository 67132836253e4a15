import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { ChannelError } from '../types.ts';
import { channelsFrom, json, notification, realTemplates, resolvedNotification, startReceiver, type Receiver } from './test-helpers.ts';

const { templates } = realTemplates();
const signal = () => AbortSignal.timeout(10_000);
const accepted = (_: unknown, res: import('node:http').ServerResponse) => json(res, 202, { status: 'success', message: 'Event processed', dedup_key: 'x' });

describe('pagerduty channel (Events API v2)', () => {
  let rx: Receiver;
  afterEach(async () => rx?.close());

  it('triggers, then resolves the same incident with the same dedup_key', async () => {
    rx = await startReceiver(accepted);
    const [ch] = channelsFrom({
      pagerduty_configs: [{
        routing_key: 'R0UT1NGKEY0123456789012345678901',
        url: `${rx.url}/v2/enqueue`,
        component: '{{ .CommonLabels.job }}',
        group: 'latency',
        class: 'slo',
        images: [{ src: 'https://graphs.example/p99.png', alt: 'p99', href: '' }, { src: '' }],
        links: [{ href: '{{ .ExternalURL }}/silences', text: 'Silence' }],
      }],
    }, {}, templates);
    expect(ch.integration).toBe('pagerduty');
    expect(ch.sendResolved).toBe(true);
    await ch.send(notification(), signal());
    await ch.send(resolvedNotification(), signal());

    expect(rx.requests).toHaveLength(2);
    const [trigger, resolve] = rx.requests.map((r) => {
      expect(r.method).toBe('POST');
      expect(r.url).toBe('/v2/enqueue');
      expect(r.headers['content-type']).toBe('application/json');
      return JSON.parse(r.body);
    });
    const dedupKey = createHash('sha256').update('{}:{alertname="HighLatency"}').digest('hex');
    expect(Object.keys(trigger).sort()).toEqual(['client', 'client_url', 'dedup_key', 'event_action', 'images', 'links', 'payload', 'routing_key']);
    expect(trigger).toMatchObject({
      routing_key: 'R0UT1NGKEY0123456789012345678901',
      event_action: 'trigger',
      dedup_key: dedupKey,
      client: 'Strata',
      client_url: 'http://strata.example:9093/#/alerts?receiver=team-api',
      images: [{ src: 'https://graphs.example/p99.png', alt: 'p99' }],
      links: [{ href: 'http://strata.example:9093/silences', text: 'Silence' }],
    });
    expect(Object.keys(trigger.payload).sort()).toEqual(['class', 'component', 'custom_details', 'group', 'severity', 'source', 'summary', 'timestamp']);
    expect(trigger.payload).toMatchObject({
      // The earliest start of the firing alerts (a:9100; b:9100 began earlier but is resolved).
      timestamp: '2026-01-02T02:54:05Z',
      summary: '[FIRING 2] HighLatency',
      source: 'Strata',
      severity: 'error',
      component: 'api',
      group: 'latency',
      class: 'slo',
    });
    expect(trigger.payload.custom_details.num_firing).toBe('2');
    expect(trigger.payload.custom_details.num_resolved).toBe('1');
    expect(trigger.payload.custom_details.firing).toContain('instance=a:9100');
    expect(trigger.payload.custom_details.resolved).toContain('instance=b:9100');

    expect(resolve.event_action).toBe('resolve');
    expect(resolve.dedup_key).toBe(dedupKey);
    expect(resolve.routing_key).toBe(trigger.routing_key);
    expect(resolve.payload.summary).toBe('[RESOLVED] HighLatency');
    expect(resolve.payload).not.toHaveProperty('timestamp');
  });

  it('replaces custom details by a note when the event would exceed 512 KB, as Alertmanager', async () => {
    rx = await startReceiver(accepted);
    const note = { error: 'Custom details have been removed because the original event exceeds the maximum size of 512KB' };
    const send = async (over: Record<string, unknown>) => {
      const [ch] = channelsFrom({ pagerduty_configs: [{ url: rx.url, ...over }] }, {}, templates);
      await ch.send(notification(), signal());
      return JSON.parse(rx.requests.at(-1)!.body);
    };
    const big = await send({ routing_key: 'k', details: { dump: 'x'.repeat(600_000) } });
    expect(big.payload.custom_details).toEqual(note);
    expect(big.payload.summary).toBe('[FIRING 2] HighLatency');
    expect(big.dedup_key).toMatch(/^[0-9a-f]{64}$/);

    // Measured as Go encodes it: each < > & counts 6 bytes (\u003c), so 90,000 of them are too many.
    const escaped = await send({ routing_key: 'k', details: { html: '<&>'.repeat(30_000) } });
    expect(escaped.payload.custom_details).toEqual(note);
    const fits = await send({ routing_key: 'k', details: { html: '<&>'.repeat(20_000) } });
    expect(fits.payload.custom_details.html).toHaveLength(60_000);

    const v1 = await send({ service_key: 'svc', details: { dump: 'x'.repeat(600_000) } });
    expect(v1.details).toEqual(note);
    expect(v1.event_type).toBe('trigger');
  });

  it('truncates the summary to 1024 characters and keeps custom details the user set', async () => {
    rx = await startReceiver(accepted);
    const [ch] = channelsFrom({
      pagerduty_configs: [{ routing_key: 'k', url: rx.url, description: 'x'.repeat(2000), severity: 'critical', source: 'api-cluster', details: { team: 'api', num_firing: 'overridden' } }],
    }, {}, templates);
    await ch.send(notification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect([...body.payload.summary]).toHaveLength(1024);
    expect(body.payload.severity).toBe('critical');
    expect(body.payload.source).toBe('api-cluster');
    expect(body.payload.custom_details).toMatchObject({ team: 'api', num_firing: 'overridden', num_resolved: '1' });
    expect(body.payload).not.toHaveProperty('component');
  });

  it('retries on 429 and 5xx, not on 400 (an invalid event)', async () => {
    let status = 429;
    rx = await startReceiver((_, res) => json(res, status, { status: 'invalid event', message: 'Event object is invalid', errors: ['Length of summary is too long'] }));
    const [ch] = channelsFrom({ pagerduty_configs: [{ routing_key: 'k', url: rx.url }] }, {}, templates);
    for (const [s, retryable] of [[429, true], [502, true], [400, false]] as const) {
      status = s;
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect((err as ChannelError).retryable).toBe(retryable);
      expect((err as ChannelError).status).toBe(s);
    }
  });

  it('speaks Events API v1 with a service_key', async () => {
    rx = await startReceiver((_, res) => json(res, 200, { status: 'success', incident_key: 'x' }));
    const [ch] = channelsFrom({ pagerduty_configs: [{ service_key: 'svc', url: rx.url }] }, {}, templates);
    await ch.send(notification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect(body).toMatchObject({
      service_key: 'svc',
      event_type: 'trigger',
      incident_key: createHash('sha256').update('{}:{alertname="HighLatency"}').digest('hex'),
      description: '[FIRING 2] HighLatency',
      client: 'Strata',
    });
  });

  it('uses the global pagerduty_url and needs a key', () => {
    expect(() => channelsFrom({ pagerduty_configs: [{ severity: 'info' }] })).toThrow(/missing service or routing key/);
    expect(() => channelsFrom({ pagerduty_configs: [{ routing_key: 'a', routing_key_file: '/x' }] })).toThrow(/at most one of routing_key and routing_key_file/);
  });
});
