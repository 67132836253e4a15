import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError } from '../types.ts';
import { channelsFrom, json, notification, resolvedNotification, selfSignedCert, startReceiver, type Receiver, type TestCert } from './test-helpers.ts';

const signal = () => AbortSignal.timeout(10_000);

describe('webhook channel', () => {
  let rx: Receiver;
  afterEach(async () => rx?.close());

  it('refuses to send to the <secret> placeholder of a printed configuration, without retry', async () => {
    const [ch] = channelsFrom({ webhook_configs: [{ url: '<secret>' }] });
    await expect(ch.send(notification(), signal())).rejects.toThrow(expect.objectContaining({ retryable: false, message: expect.stringMatching(/url is "<secret>", the placeholder of a printed configuration/) }));
  });

  it('POSTs Alertmanager payload version 4, field by field', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({ webhook_configs: [{ url: `${rx.url}/hook?team=api` }] });
    expect(ch.integration).toBe('webhook');
    expect(ch.sendResolved).toBe(true);
    await ch.send(notification(), signal());

    expect(rx.requests).toHaveLength(1);
    const req = rx.requests[0];
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/hook?team=api');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(Object.keys(body).sort()).toEqual([
      'alerts', 'commonAnnotations', 'commonLabels', 'externalURL', 'groupKey', 'groupLabels', 'receiver', 'status', 'truncatedAlerts', 'version',
    ]);
    expect(body).toMatchObject({
      version: '4',
      receiver: 'team-api',
      status: 'firing',
      groupKey: '{}:{alertname="HighLatency"}',
      groupLabels: { alertname: 'HighLatency' },
      commonLabels: { alertname: 'HighLatency', job: 'api', severity: 'page' },
      commonAnnotations: { runbook: 'https://runbooks.example/latency' },
      externalURL: 'http://strata.example:9093',
      truncatedAlerts: 0,
    });
    expect(body.alerts).toHaveLength(3);
    const [a, b] = body.alerts;
    expect(Object.keys(a).sort()).toEqual(['annotations', 'endsAt', 'fingerprint', 'generatorURL', 'labels', 'startsAt', 'status']);
    expect(a).toMatchObject({
      status: 'firing',
      labels: { alertname: 'HighLatency', job: 'api', instance: 'a:9100', severity: 'page' },
      annotations: { summary: 'p99 latency above 1s on a:9100' },
      startsAt: '2026-01-02T02:54:05Z',
      // A firing alert's end is not shown: Go's zero time, as Alertmanager sends it.
      endsAt: '0001-01-01T00:00:00Z',
      generatorURL: 'http://prometheus.example:9090/graph?g0.expr=latency%7Binstance%3D%22a:9100%22%7D',
    });
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(b).toMatchObject({ status: 'resolved', startsAt: '2026-01-02T02:44:05Z', endsAt: '2026-01-02T03:04:04Z' });
    expect(b.fingerprint).not.toBe(a.fingerprint);
  });

  it('truncates to max_alerts and says how many were left out', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url, max_alerts: 1 }] });
    await ch.send(notification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect(body.alerts).toHaveLength(1);
    expect(body.alerts[0].labels.instance).toBe('a:9100');
    expect(body.truncatedAlerts).toBe(2);
    // Common labels describe what is sent: with one alert, all of its labels.
    expect(body.commonLabels.instance).toBe('a:9100');
  });

  it('with send_resolved false, leaves resolved alerts out and sends nothing for an all-resolved group', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url, send_resolved: false }] });
    expect(ch.sendResolved).toBe(false);
    await ch.send(notification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect(body.alerts.map((x: { labels: { instance: string } }) => x.labels.instance)).toEqual(['a:9100', 'c:9100']);
    expect(body.alerts.every((x: { status: string }) => x.status === 'firing')).toBe(true);

    await ch.send(resolvedNotification(), signal());
    expect(rx.requests).toHaveLength(1);
  });

  it('sends a resolved group with status resolved when send_resolved is true', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url }] });
    await ch.send(resolvedNotification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect(body.status).toBe('resolved');
    expect(body.alerts.every((x: { status: string; endsAt: string }) => x.status === 'resolved' && x.endsAt === '2026-01-02T03:04:04Z')).toBe(true);
  });

  it('reports 5xx and 429 as retryable, other 4xx as final', async () => {
    let status = 503;
    rx = await startReceiver((_, res) => json(res, status, { error: 'busy' }));
    const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url }] });
    for (const [s, retryable] of [[503, true], [429, true], [400, false], [404, false]] as const) {
      status = s;
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect((err as ChannelError).status).toBe(s);
      expect((err as ChannelError).retryable).toBe(retryable);
    }
  });

  it('reports an unreachable receiver as retryable', async () => {
    rx = await startReceiver();
    const url = rx.url;
    await rx.close();
    const [ch] = channelsFrom({ webhook_configs: [{ url }] });
    const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).retryable).toBe(true);
  });

  it('sends http_config credentials: bearer token, or basic auth from the global http_config', async () => {
    rx = await startReceiver();
    const [bearer] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { authorization: { credentials: 's3cret' } } }] });
    await bearer.send(notification(), signal());
    expect(rx.requests[0].headers.authorization).toBe('Bearer s3cret');

    const [basic] = channelsFrom({ webhook_configs: [{ url: rx.url }] }, { http_config: { basic_auth: { username: 'am', password: 'pw' } } });
    await basic.send(notification(), signal());
    expect(rx.requests[1].headers.authorization).toBe(`Basic ${Buffer.from('am:pw').toString('base64')}`);
  });

  it('reads the URL from url_file at each send', async () => {
    rx = await startReceiver();
    const dir = mkdtempSync(join(tmpdir(), 'strata-webhook-'));
    try {
      const file = join(dir, 'url');
      writeFileSync(file, `${rx.url}/first\n`);
      const [ch] = channelsFrom({ webhook_configs: [{ url_file: file }] });
      await ch.send(notification(), signal());
      writeFileSync(file, `${rx.url}/second\n`);
      await ch.send(notification(), signal());
      expect(rx.requests.map((r) => r.url)).toEqual(['/first', '/second']);
      rmSync(file);
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err as ChannelError).retryable).toBe(false);
      expect((err as ChannelError).message).toMatch(/cannot read url_file .*ENOENT/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses unknown fields and a missing url when parsing', () => {
    expect(() => channelsFrom({ webhook_configs: [{ url: 'http://x/', bogus: 1 }] })).toThrow(/unknown field .*bogus/);
    expect(() => channelsFrom({ webhook_configs: [{ max_alerts: 3 }] })).toThrow(/one of url or url_file/);
    expect(() => channelsFrom({ webhook_configs: [{ url: 'ftp://x/' }] })).toThrow(/http:\/\/ or https:\/\/ URL/);
  });

  describe('over TLS', () => {
    let cert: TestCert;
    beforeAll(() => {
      cert = selfSignedCert();
    });
    afterAll(() => cert.remove());

    it('trusts the CA of tls_config.ca_file and refuses an unknown certificate', async () => {
      rx = await startReceiver(undefined, cert);
      const [trusting] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { tls_config: { ca_file: cert.certFile } } }] });
      await trusting.send(notification(), signal());
      expect(rx.requests).toHaveLength(1);

      const [plain] = channelsFrom({ webhook_configs: [{ url: rx.url }] });
      const err = await plain.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err as ChannelError).message).toMatch(/self[- ]signed/i);

      const [insecure] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { tls_config: { insecure_skip_verify: true } } }] });
      await insecure.send(notification(), signal());
      expect(rx.requests).toHaveLength(2);
    });
  });
});
