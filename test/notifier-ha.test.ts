// The notifier's delivery guarantees with real server processes: no second notification within
// repeat_interval after a restart (graceful or kill -9: the notification log is on disk), a
// failing webhook retried until it takes the notification exactly once, and two replicas peered
// with each other sending one notification between them, or the second alone when the first is down.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postAlerts, sleep, startWebhookReceiver, until, type Hook, type WebhookReceiver } from './helpers/alertmanager.ts';
import { freePort, PROMETHEUS_BIN, startPrometheus } from './helpers/prometheus.ts';
import { startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const GROUP_INTERVAL_MS = 2000;
// Long enough for the first replica's gossip to arrive on a loaded test machine.
const PEER_TIMEOUT_MS = 4000;

const dir = tempDir('strata-notifier-ha-');
let hooks: WebhookReceiver;
// The first five requests to /flaky fail with HTTP 500.
let flakyFailures = 0;
// Every server started, stopped at the end even when a test failed half-way.
const started: StrataProcess[] = [];

function amConfig(hook: string): string {
  return `
route:
  receiver: ops
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - matchers: [alertname="Flaky"]
      receiver: flaky
receivers:
  - name: ops
    webhook_configs: [{ url: "${hook}/ops" }]
  - name: flaky
    webhook_configs: [{ url: "${hook}/flaky" }]
`;
}

interface Replica {
  name: string;
  dataDir: string;
  url: string;
  listen: string;
  configFile: string;
}

/** A server's files: its data directory, and a config naming its own URL and its peers. */
async function replica(name: string, peers: () => string[] = () => []): Promise<Replica & { start(): Promise<StrataProcess> }> {
  const port = await freePort();
  const r: Replica = { name, dataDir: path.join(dir, name, 'data'), url: `http://127.0.0.1:${port}`, listen: `127.0.0.1:${port}`, configFile: path.join(dir, name, 'strata.yml') };
  fs.mkdirSync(path.dirname(r.configFile), { recursive: true });
  return {
    ...r,
    async start() {
      fs.writeFileSync(r.configFile, [
        `notifier: { config_file: ${JSON.stringify(path.join(dir, 'am.yml'))}, peers: ${JSON.stringify(peers())}, peer_timeout: ${PEER_TIMEOUT_MS}ms }`,
        `server: { external_url: ${JSON.stringify(r.url)} }`,
        'self_monitoring: { enabled: false }',
      ].join('\n'));
      const p = await startStrata({ dataDir: r.dataDir, listen: r.listen, args: ['--config', r.configFile] });
      started.push(p);
      return p;
    },
  };
}

const firing = (labels: Record<string, string>, startsAt = Date.now()) => ({
  labels, annotations: {}, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(startsAt + 3600_000).toISOString(),
});
const named = (alertname: string) => hooks.delivered.filter((h: Hook) => h.body.groupLabels?.alertname === alertname);

beforeAll(async () => {
  hooks = await startWebhookReceiver((h) => (h.path === '/flaky' && flakyFailures++ < 5 ? 500 : undefined));
  fs.writeFileSync(path.join(dir, 'am.yml'), amConfig(hooks.url));
});

afterAll(async () => {
  await Promise.all(started.map((p) => p.stop()));
  await hooks?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('a single notifier', () => {
  let strata: StrataProcess | undefined;

  for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
    it(`sends no second notification after a restart (${signal}) within repeat_interval`, async () => {
      const r = await replica(`restart-${signal}`);
      strata = await r.start();
      const alertname = `Restart${signal}`;
      const alert = firing({ alertname, instance: 'a' });
      await postAlerts(strata.url, [alert]);
      const first = await until('the first notification', () => named(alertname)[0]);
      expect(first.body.alerts.map((a: any) => a.labels)).toEqual([{ alertname, instance: 'a' }]);
      // The notification is delivered before it is logged: stop only once it is in the log on
      // disk (a crash in between re-sends once, by design: at least once, never lost).
      const logFile = path.join(r.dataDir, 'notifier', 'nflog.log');
      await until('the notification log entry', () => (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes(alertname) ? true : undefined));
      // A silence made before the restart is kept too (written before the API answered).
      const silence = await fetch(`${strata.url}/api/v2/silences`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ matchers: [{ name: 'alertname', value: alertname, isRegex: false }], startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), createdBy: 'test', comment: 'c' }),
      });
      const { silenceID } = (await silence.json()) as { silenceID: string };
      const exit = await strata.stop(signal);
      expect(exit.signal ?? 'exit').toBe(signal === 'SIGKILL' ? 'SIGKILL' : 'exit');

      strata = await r.start();
      const kept = (await (await fetch(`${strata.url}/api/v2/silence/${silenceID}`)).json()) as { status: { state: string } };
      expect(kept.status.state).toBe('active');
      await fetch(`${strata.url}/api/v2/silence/${silenceID}`, { method: 'DELETE' });
      // The sender re-sends the still firing alert (as Prometheus does); its group is new to the
      // restarted process and flushes at once (the alert is older than group_wait), finding it
      // notified. A new alert in another group, posted after it, shows the flush has happened.
      await postAlerts(strata.url, [alert]);
      const control = `Control${signal}`;
      await postAlerts(strata.url, [firing({ alertname: control })]);
      await until('the control notification', () => named(control)[0]);
      await sleep(GROUP_INTERVAL_MS);
      expect(named(alertname)).toHaveLength(1);
      await strata.stop();
      strata = undefined;
    }, 60_000);
  }

  it('notifies a resolve that arrives after a restart, once', async () => {
    const r = await replica('restart-resolve');
    strata = await r.start();
    const alert = firing({ alertname: 'ResolvedLater', instance: 'a' });
    await postAlerts(strata.url, [alert]);
    await until('the firing notification', () => named('ResolvedLater')[0]);
    const logFile = path.join(r.dataDir, 'notifier', 'nflog.log');
    await until('the notification log entry', () => (fs.existsSync(logFile) && fs.readFileSync(logFile, 'utf8').includes('ResolvedLater') ? true : undefined));
    await strata.stop();
    strata = await r.start();
    // The restarted notifier knows the alert only from its log: the resolve is news to tell.
    await postAlerts(strata.url, [{ ...alert, endsAt: new Date().toISOString() }]);
    const resolved = await until('the resolved notification', () => named('ResolvedLater')[1]);
    expect(resolved.body).toMatchObject({ status: 'resolved', alerts: [{ status: 'resolved', labels: { alertname: 'ResolvedLater', instance: 'a' } }] });
    await sleep(2 * GROUP_INTERVAL_MS);
    expect(named('ResolvedLater')).toHaveLength(2);
    await strata.stop();
    strata = undefined;
  }, 60_000);

  it('retries a webhook that fails five times and delivers the notification exactly once', async () => {
    const r = await replica('flaky');
    strata = await r.start();
    await postAlerts(strata.url, [firing({ alertname: 'Flaky', instance: 'a' })]);
    // Backoff from 0.5 s, x1.5: the sixth attempt comes some 6 s later, inside one flush's 10 s
    // (or, if the randomised waits run long, at the next flush: delivered once either way).
    const delivered = await until('the delivery after five failures', () => named('Flaky')[0], 40_000);
    expect(delivered.path).toBe('/flaky');
    expect(hooks.requests.filter((h) => h.path === '/flaky')).toHaveLength(6);
    // The group's next flushes find it logged.
    await sleep(2 * GROUP_INTERVAL_MS);
    expect(hooks.requests.filter((h) => h.path === '/flaky')).toHaveLength(6);
    expect(named('Flaky')).toHaveLength(1);
    // Five failed requests; one notification delivered (attempted, less given up on: a flush gives
    // up at its deadline and the next one tries again, should the randomised waits run that long).
    const metrics = await (await fetch(`${strata.url}/metrics`)).text();
    const value = (name: string) => Number(new RegExp(`^${name}\\{integration="webhook"\\} (\\d+)$`, 'm').exec(metrics)?.[1]);
    expect(value('strata_notification_requests_failed_total')).toBe(5);
    expect(value('strata_notifications_total') - value('strata_notifications_failed_total')).toBe(1);
    await strata.stop();
    strata = undefined;
  }, 60_000);
});

describe('two replicas', () => {
  let a: Awaited<ReturnType<typeof replica>>;
  let b: Awaited<ReturnType<typeof replica>>;
  const running = new Map<string, StrataProcess>();
  // The replica that sends first is the first of the sorted URLs.
  let first: string;
  let second: string;

  beforeAll(async () => {
    a = await replica('replica-a', () => [b.url]);
    b = await replica('replica-b', () => [a.url]);
    running.set(a.url, await a.start());
    running.set(b.url, await b.start());
    [first, second] = [a.url, b.url].sort();
  }, 60_000);
  afterAll(async () => {
    for (const p of running.values()) await p.stop();
  });

  it('send one notification for alerts both receive', async () => {
    const alerts = [firing({ alertname: 'Replicated', instance: 'a' }), firing({ alertname: 'Replicated', instance: 'b' })];
    await Promise.all([...running.values()].map((p) => postAlerts(p.url, alerts)));
    const n = await until('the notification', () => named('Replicated')[0]);
    // The payload names the sender (each replica's external URL).
    expect(n.body.externalURL).toBe(first);
    expect(n.body.alerts).toHaveLength(2);
    // The second replica consults the log a peer timeout after its flush: by then it has the
    // first one's entry. Wait past that, and a group interval more.
    await sleep(PEER_TIMEOUT_MS + 2 * GROUP_INTERVAL_MS);
    expect(named('Replicated')).toHaveLength(1);
    // The second replica knows of the notification (the gossip endpoint's full exchange shows its log).
    const state = (await (await fetch(`${second}/api/strata/notify/gossip`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ from: 'test', nflog: [], silences: [], full: true }) })).json()) as { nflog: { groupKey: string }[] };
    expect(state.nflog.map((e) => e.groupKey)).toContain('{}:{alertname="Replicated"}');
  }, 60_000);

  it('share silences: one made on the second replica mutes on the first', async () => {
    const silence = {
      matchers: [{ name: 'alertname', value: 'Muted', isRegex: false, isEqual: true }, { name: 'instance', value: 'muted', isRegex: false, isEqual: true }],
      startsAt: new Date().toISOString(), endsAt: new Date(Date.now() + 3600_000).toISOString(), createdBy: 'test', comment: 'replicated',
    };
    const created = await fetch(`${second}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(silence) });
    expect(created.status).toBe(200);
    const { silenceID } = (await created.json()) as { silenceID: string };
    const onFirst = await until('the silence on the first replica', async () => {
      const list = (await (await fetch(`${first}/api/v2/silences`)).json()) as { id: string; status: { state: string } }[];
      return list.find((x) => x.id === silenceID);
    });
    expect(onFirst.status.state).toBe('active');
    // The first replica, the one that sends, leaves the silenced alert out of the group's notification.
    const alerts = [firing({ alertname: 'Muted', instance: 'muted' }), firing({ alertname: 'Muted', instance: 'shown' })];
    await Promise.all([...running.values()].map((p) => postAlerts(p.url, alerts)));
    const n = await until('the notification', () => named('Muted')[0]);
    expect(n.body.externalURL).toBe(first);
    expect(n.body.alerts.map((a: any) => a.labels.instance)).toEqual(['shown']);
  }, 60_000);

  it.skipIf(!fs.existsSync(PROMETHEUS_BIN))('send one notification for a Prometheus posting to both', async () => {
    const pdir = path.join(dir, 'prometheus');
    fs.mkdirSync(pdir, { recursive: true });
    fs.writeFileSync(path.join(pdir, 'rules.yml'), 'groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: FromPrometheus\n        expr: vector(1)\n');
    const prometheus = await startPrometheus(pdir, 30_000, [
      'global: { scrape_interval: 1h, evaluation_interval: 1s }',
      `rule_files: [${JSON.stringify(path.join(pdir, 'rules.yml'))}]`,
      'alerting:',
      '  alertmanagers:',
      `    - static_configs: [{ targets: [${[a.listen, b.listen].map((x) => JSON.stringify(x)).join(', ')}] }]`,
    ].join('\n'), ['--rules.alert.resend-delay=1s']);
    try {
      const n = await until('the notification', () => named('FromPrometheus')[0]);
      expect(n.body.externalURL).toBe(first);
      await sleep(PEER_TIMEOUT_MS + 2 * GROUP_INTERVAL_MS);
      expect(named('FromPrometheus')).toHaveLength(1);
    } finally {
      await prometheus.stop();
    }
  }, 60_000);

  it('the second sends when the first is down', async () => {
    await running.get(first)!.stop();
    running.delete(first);
    const posted = Date.now();
    await postAlerts(second, [firing({ alertname: 'FirstDown', instance: 'a' })]);
    const n = await until('the notification from the second replica', () => named('FirstDown')[0]);
    expect(n.body.externalURL).toBe(second);
    // It waited its turn (one peer timeout) after group_wait before sending.
    expect(n.at - posted).toBeGreaterThanOrEqual(PEER_TIMEOUT_MS);
    await sleep(PEER_TIMEOUT_MS + GROUP_INTERVAL_MS);
    expect(named('FirstDown')).toHaveLength(1);
  }, 60_000);

  it('the first, back, does not repeat what the second sent while it was down', async () => {
    const back = first === a.url ? a : b;
    running.set(first, await back.start());
    // Senders post to both again (the alert is still firing); the first replica's group is new and
    // flushes at once, consulting a log that must already hold the second replica's entry.
    const alert = named('FirstDown')[0].body.alerts[0];
    await Promise.all([...running.values()].map((p) => postAlerts(p.url, [{ labels: alert.labels, annotations: {}, startsAt: alert.startsAt, endsAt: new Date(Date.now() + 3600_000).toISOString() }])));
    await Promise.all([...running.values()].map((p) => postAlerts(p.url, [firing({ alertname: 'BackControl' })])));
    await until('the control notification', () => named('BackControl')[0]);
    await sleep(PEER_TIMEOUT_MS + GROUP_INTERVAL_MS);
    expect(named('FirstDown')).toHaveLength(1);
  }, 60_000);
});
