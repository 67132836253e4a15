import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { fakeClock } from '../clock.ts';
import { parseNotifierConfig } from '../config.ts';
import { createNotifier } from '../notifier.ts';
import { firing, silentLogger } from '../testing.ts';
import { ChannelError } from '../types.ts';
import { createReceiverChannels } from './receiver.ts';
import { channelsFrom, json, noTemplates, notification, realTemplates, resolvedNotification, startReceiver, type Receiver, type Recorded } from './test-helpers.ts';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const TOKEN = 'token-of-the-test';
const BASE = `/2010-04-01/Accounts/${ACCOUNT}`;
const signal = () => AbortSignal.timeout(20_000);

/**
 * A Twilio-compatible API: Calls.json creates a call (201, status queued), Calls/{sid}.json reports
 * its progress from `script` (the statuses a number's call goes through), Messages.json accepts
 * an SMS. Numbers in `refuse` get Twilio's 400 for an invalid To.
 */
async function fakeTwilio(script: Record<string, string[]>, refuse: string[] = []): Promise<Receiver> {
  const calls = new Map<string, string[]>();
  return startReceiver((r, res) => {
    if (r.headers.authorization !== `Basic ${Buffer.from(`${ACCOUNT}:${TOKEN}`).toString('base64')}`) {
      json(res, 401, { code: 20003, message: 'Authenticate', status: 401 });
      return;
    }
    const form = new URLSearchParams(r.body);
    if (r.method === 'POST' && r.url === `${BASE}/Calls.json`) {
      const to = form.get('To')!;
      if (refuse.includes(to)) {
        json(res, 400, { code: 21211, message: `The 'To' number ${to} is not a valid phone number.`, status: 400 });
        return;
      }
      const sid = `CA${calls.size}`;
      calls.set(sid, [...(script[to] ?? ['completed'])]);
      json(res, 201, { sid, status: 'queued', to, from: form.get('From') });
    } else if (r.method === 'GET' && r.url.startsWith(`${BASE}/Calls/`)) {
      const sid = r.url.slice(`${BASE}/Calls/`.length).replace(/\.json$/, '');
      const steps = calls.get(sid)!;
      json(res, 200, { sid, status: steps.length > 1 ? steps.shift() : steps[0] });
    } else if (r.method === 'POST' && r.url === `${BASE}/Messages.json`) {
      json(res, 201, { sid: 'SM1', status: 'queued', to: form.get('To'), body: form.get('Body') });
    } else {
      json(res, 404, { code: 20404, message: 'not found' });
    }
  });
}

function phone(rx: Receiver, over: Record<string, unknown> = {}) {
  return channelsFrom({
    twilio_configs: [{
      api_url: rx.url,
      account_sid: ACCOUNT,
      auth_token: TOKEN,
      from: '+15550000000',
      to: ['+15550000001', '+15550000002', '+15550000003'],
      message: 'High latency on the API & its <friends>.',
      sms_message: 'HighLatency firing on api',
      poll_interval: '5ms',
      ...over,
    }],
  })[0];
}

const form = (r: Recorded) => Object.fromEntries(new URLSearchParams(r.body));
const calls = (rx: Receiver) => rx.requests.filter((r) => r.method === 'POST' && r.url.endsWith('/Calls.json'));

describe('twilio phone channel', () => {
  let rx: Receiver;
  afterEach(async () => rx?.close());

  it('calls the first number with text-to-speech and stops when it answers', async () => {
    rx = await fakeTwilio({ '+15550000001': ['ringing', 'in-progress'] });
    const ch = phone(rx);
    expect(ch.integration).toBe('twilio');
    await ch.send(notification(), signal());

    expect(calls(rx)).toHaveLength(1);
    const call = calls(rx)[0];
    expect(call.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(form(call)).toEqual({
      To: '+15550000001',
      From: '+15550000000',
      Twiml: '<Response><Say language="en-US">High latency on the API &amp; its &lt;friends&gt;.</Say></Response>',
      Timeout: '30',
    });
    // It watched the call until it was answered.
    const polls = rx.requests.filter((r) => r.method === 'GET');
    expect(polls.map((r) => r.url)).toEqual([`${BASE}/Calls/CA0.json`, `${BASE}/Calls/CA0.json`]);
  });

  it('escalates to the next number when a call is not answered, is busy, or is refused by the API', async () => {
    rx = await fakeTwilio({ '+15550000001': ['ringing', 'no-answer'], '+15550000002': ['busy'], '+15550000003': ['ringing', 'completed'] });
    await phone(rx).send(notification(), signal());
    expect(calls(rx).map((r) => form(r).To)).toEqual(['+15550000001', '+15550000002', '+15550000003']);
    await rx.close();

    rx = await fakeTwilio({ '+15550000002': ['in-progress'] }, ['+15550000001']);
    await phone(rx).send(notification(), signal());
    expect(calls(rx).map((r) => form(r).To)).toEqual(['+15550000001', '+15550000002']);
  });

  it('fails when nobody answers: not retryable when every call was placed, retryable when the API failed', async () => {
    rx = await fakeTwilio({ '+15550000001': ['failed'], '+15550000002': ['no-answer'], '+15550000003': ['busy'] });
    const err = await phone(rx).send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).retryable).toBe(false);
    expect((err as ChannelError).message).toMatch(/\+15550000001: call failed; \+15550000002: call no-answer; \+15550000003: call busy/);
    await rx.close();

    rx = await startReceiver((_, res) => json(res, 503, { message: 'unavailable' }));
    const err2 = await phone(rx).send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect((err2 as ChannelError).retryable).toBe(true);
    expect(calls(rx)).toHaveLength(3);
  });

  it('texts every number before calling when sms is on', async () => {
    rx = await fakeTwilio({});
    await phone(rx, { sms: true }).send(notification(), signal());
    const sms = rx.requests.filter((r) => r.url.endsWith('/Messages.json'));
    expect(sms.map(form)).toEqual(['+15550000001', '+15550000002', '+15550000003'].map((To) => ({ To, From: '+15550000000', Body: 'HighLatency firing on api' })));
    expect(rx.requests.indexOf(sms[2])).toBeLessThan(rx.requests.indexOf(calls(rx)[0]));
  });

  it('sends a resolution by SMS only, never by a call', async () => {
    rx = await fakeTwilio({});
    await phone(rx, { sms: true, send_resolved: true }).send(resolvedNotification(), signal());
    expect(rx.requests.filter((r) => r.url.endsWith('/Messages.json'))).toHaveLength(3);
    expect(calls(rx)).toHaveLength(0);
  });

  it('with poll_interval 0 counts a call the API accepted as delivered', async () => {
    rx = await fakeTwilio({ '+15550000001': ['no-answer'] });
    await phone(rx, { poll_interval: '0' }).send(notification(), signal());
    expect(calls(rx)).toHaveLength(1);
    expect(rx.requests.filter((r) => r.method === 'GET')).toHaveLength(0);
  });

  it('by default says and texts the default phone templates', async () => {
    rx = await fakeTwilio({});
    const [ch] = channelsFrom({
      twilio_configs: [{ api_url: rx.url, account_sid: ACCOUNT, auth_token: TOKEN, from: '+15550000000', to: '+15550000001', sms: true, poll_interval: '5ms' }],
    }, {}, realTemplates().templates);
    await ch.send(notification(), signal());
    expect(form(calls(rx)[0]).Twiml).toBe('<Response><Say language="en-US">This is Strata. 2 alerts are firing for HighLatency. p99 latency above 1s on a:9100. p99 latency above 1s on c:9100.</Say></Response>');
    const sms = rx.requests.find((r) => r.url.endsWith('/Messages.json'))!;
    expect(form(sms).Body).toMatch(/^\[FIRING 2\] HighLatency\n- p99 latency above 1s on a:9100\n/);
  });

  it('keeps escalating past the group\'s next tick when group_interval is shorter than the escalation', async () => {
    // The first number rings until the notifier's clock is past the flush deadline (the next
    // group_interval tick, at least 10 s), then Twilio reports no-answer; the second answers.
    let past = false;
    let firstPolled!: () => void;
    const polled = new Promise<void>((resolve) => (firstPolled = resolve));
    rx = await startReceiver((r, res) => {
      const to = new URLSearchParams(r.body).get('To');
      if (r.method === 'POST' && r.url.endsWith('/Calls.json')) json(res, 201, { sid: to === '+15550000001' ? 'CA1' : 'CA2', status: 'queued' });
      else if (r.url.endsWith('/Calls/CA1.json')) {
        firstPolled();
        json(res, 200, { sid: 'CA1', status: past ? 'no-answer' : 'ringing' });
      } else if (r.url.endsWith('/Calls/CA2.json')) json(res, 200, { sid: 'CA2', status: 'in-progress' });
      else json(res, 404, { message: 'not found' });
    });
    const clock = fakeClock();
    const registry = new Registry();
    const config = parseNotifierConfig(`
route: {receiver: oncall, group_wait: 1s, group_interval: 2s}
receivers:
  - name: oncall
    twilio_configs:
      - {api_url: "${rx.url}", account_sid: ${ACCOUNT}, auth_token: ${TOKEN}, from: "+15550000000", to: ["+15550000001", "+15550000002"], message: page, ring_timeout: 5s, poll_interval: 5ms}
`, 'am.yml');
    const notifier = createNotifier({
      config, logger: silentLogger, registry, externalURL: 'http://strata.test', clock, random: () => 0.5,
      createChannels: (receiver, c) => createReceiverChannels(receiver, c.global, { templates: noTemplates, logger: silentLogger, externalURL: 'http://strata.test' }),
    });
    notifier.receive([firing({ alertname: 'Down' }, clock.now())]);
    await clock.advance(1000);
    await polled;
    // 60 s: well past the deadline (10 s), within the escalation's 2 × (5 s + 30 s + poll).
    await clock.advance(60_000);
    past = true;
    await notifier.idle();
    expect(calls(rx).map((r) => form(r).To)).toEqual(['+15550000001', '+15550000002']);
    const metrics = await registry.metrics();
    expect(metrics).toContain('strata_notifications_failed_total{integration="twilio"} 0\n');
    expect(metrics).toContain('strata_notification_requests_total{integration="twilio"} 1\n');
    // Recorded in the notification log once delivered: the following ticks do not call again.
    await clock.advance(10_000);
    await notifier.idle();
    expect(calls(rx)).toHaveLength(2);
    await notifier.stop();
  });

  it('needs an account, a token and a from number, from the entry or global', () => {
    expect(() => channelsFrom({ twilio_configs: [{ to: '+15550000001' }] })).toThrow(/no account_sid set and no global twilio_account_sid/);
    expect(() => channelsFrom({ twilio_configs: [{ to: [] }] })).toThrow(/non-empty list of phone numbers/);
    const [ch] = channelsFrom({ twilio_configs: [{ to: '+15550000001' }] }, { twilio_account_sid: ACCOUNT, twilio_auth_token: TOKEN, twilio_from: '+15550000000' });
    expect(ch.sendResolved).toBe(false);
  });
});
