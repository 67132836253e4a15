import { afterEach, describe, expect, it } from 'vitest';
import { ChannelError } from '../types.ts';
import { channelsFrom, notification, realTemplates, resolvedNotification, startReceiver, type Receiver } from './test-helpers.ts';

const { templates } = realTemplates();
const signal = () => AbortSignal.timeout(10_000);

describe('slack channel (incoming webhook)', () => {
  let rx: Receiver;
  afterEach(async () => rx?.close());

  it('posts one attachment with the default title, link, text and color', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({ slack_configs: [{ channel: '#alerts' }] }, { slack_api_url: `${rx.url}/services/T000/B000/XXXX` }, templates);
    expect(ch.integration).toBe('slack');
    expect(ch.sendResolved).toBe(false);
    await ch.send(notification(), signal());

    const req = rx.requests[0];
    expect(req.url).toBe('/services/T000/B000/XXXX');
    expect(req.headers['content-type']).toBe('application/json');
    const body = JSON.parse(req.body);
    expect(Object.keys(body).sort()).toEqual(['attachments', 'channel', 'username']);
    expect(body.channel).toBe('#alerts');
    expect(body.username).toBe('Strata');
    expect(body.attachments).toHaveLength(1);
    const a = body.attachments[0];
    expect(Object.keys(a).sort()).toEqual(['color', 'fallback', 'mrkdwn_in', 'text', 'title', 'title_link']);
    expect(a).toMatchObject({
      title: '[FIRING 2] HighLatency',
      title_link: 'http://strata.example:9093/#/alerts?receiver=team-api',
      fallback: '[FIRING 2] HighLatency | http://strata.example:9093/#/alerts?receiver=team-api',
      color: 'danger',
      mrkdwn_in: ['fallback', 'pretext', 'text'],
    });
    // send_resolved is false: the resolved alert is not in the text.
    expect(a.text).toContain('a:9100');
    expect(a.text).not.toContain('b:9100');
  });

  it('sends fields, actions and the resolved color as configured', async () => {
    rx = await startReceiver();
    const [ch] = channelsFrom({
      slack_configs: [{
        api_url: rx.url,
        send_resolved: true,
        title: 'Latency: {{ .Status }}',
        icon_emoji: ':rotating_light:',
        link_names: true,
        short_fields: true,
        fields: [{ title: 'Job', value: '{{ .CommonLabels.job }}' }, { title: 'Count', value: '{{ len .Alerts }}', short: false }],
        actions: [{ type: 'button', text: 'Runbook', url: '{{ .CommonAnnotations.runbook }}', name: 'ignored with a url' }],
      }],
    }, {}, templates);
    await ch.send(resolvedNotification(), signal());
    const body = JSON.parse(rx.requests[0].body);
    expect(body.icon_emoji).toBe(':rotating_light:');
    expect(body.link_names).toBe(true);
    const a = body.attachments[0];
    expect(a.title).toBe('Latency: resolved');
    expect(a.color).toBe('good');
    expect(a.fields).toEqual([{ title: 'Job', value: 'api', short: true }, { title: 'Count', value: '3', short: false }]);
    expect(a.actions).toEqual([{ type: 'button', text: 'Runbook', url: 'https://runbooks.example/latency' }]);
  });

  it('fails on an error from the API (400 final, 500 retryable)', async () => {
    let status = 400;
    rx = await startReceiver((_, res) => {
      res.statusCode = status;
      res.end(status === 400 ? 'invalid_payload' : 'oops');
    });
    const [ch] = channelsFrom({ slack_configs: [{ api_url: rx.url }] }, {}, templates);
    const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect((err as ChannelError).retryable).toBe(false);
    expect((err as ChannelError).message).toContain('invalid_payload');
    status = 500;
    const err2 = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect((err2 as ChannelError).retryable).toBe(true);
  });

  it('needs an api_url from the entry or global, and checks fields and actions', () => {
    expect(() => channelsFrom({ slack_configs: [{ channel: '#a' }] })).toThrow(/no api_url set and no global slack_api_url/);
    expect(() => channelsFrom({ slack_configs: [{ api_url: 'http://x/', fields: [{ title: 't' }] }] })).toThrow(/missing value in Slack field/);
    expect(() => channelsFrom({ slack_configs: [{ api_url: 'http://x/', actions: [{ type: 'button', text: 't' }] }] })).toThrow(/missing name or url/);
  });

  it('refuses to send to the <secret> placeholder of a printed configuration, without retry', async () => {
    const [ch] = channelsFrom({ slack_configs: [{ channel: '#alerts', api_url: '<secret>' }] }, {}, templates);
    await expect(ch.send(notification(), signal())).rejects.toThrow(expect.objectContaining({ retryable: false, message: expect.stringMatching(/api_url is "<secret>", the placeholder of a printed configuration/) }));
  });
});
