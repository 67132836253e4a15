// The built-in notifier with the real Prometheus/Alertmanager tools around it (Debian's 2.42 and
// 0.25): Prometheus sends its rule alerts to Strata as to an Alertmanager; amtool manages silences,
// queries alerts and checks the configuration against Strata; and the same alertmanager.yml and
// alert stream fed to a real Alertmanager and to Strata give the same webhook notifications.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERTMANAGER_BIN, AMTOOL_BIN, amtool, postAlerts, sleep, startAlertmanager, startWebhookReceiver, until, type AlertmanagerProcess, type Hook, type WebhookReceiver } from './helpers/alertmanager.ts';
import { PROMETHEUS_BIN, startPrometheus, type PrometheusProcess } from './helpers/prometheus.ts';
import { startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const GROUP_WAIT_MS = 1000;
const GROUP_INTERVAL_MS = 2000;
// Both sides are given the same external URL, so whole payloads compare.
const EXTERNAL_URL = 'http://alerts.example:9093';

/** The alertmanager.yml both sides run; only the webhook receiver's address differs. */
function amConfig(hook: string): string {
  return `
global:
  resolve_timeout: 5m
route:
  receiver: default
  group_by: [alertname]
  group_wait: 1s
  group_interval: 2s
  repeat_interval: 1h
  routes:
    - matchers: [source="prometheus"]
      receiver: from-prometheus
    - matchers: [team="db"]
      receiver: db
      group_by: [alertname, cluster]
    - matchers: [team="web"]
      receiver: web
      group_by: ['...']
      continue: true
    - matchers: [severity="critical"]
      receiver: pager
    - matchers: [alertname="Repeated"]
      receiver: default
      repeat_interval: 3s
    - match: { alertname: MutedAlways }
      receiver: default
      mute_time_intervals: [always]
    - match_re: { alertname: "Active(Never|Always)" }
      receiver: truncating
      group_by: []
      active_time_intervals: [always]
      routes:
        - match: { alertname: ActiveNever }
          active_time_intervals: [never]
receivers:
  - name: default
    webhook_configs: [{ url: "${hook}/default", send_resolved: true }]
  - name: from-prometheus
    webhook_configs: [{ url: "${hook}/prometheus" }]
  - name: db
    webhook_configs:
      - url: "${hook}/db"
        send_resolved: true
      - url: "${hook}/db-quiet"
        send_resolved: false
  - name: web
    webhook_configs: [{ url: "${hook}/web", send_resolved: true }]
  - name: pager
    webhook_configs: [{ url: "${hook}/pager" }]
  - name: truncating
    webhook_configs: [{ url: "${hook}/truncating", max_alerts: 2 }]
time_intervals:
  - name: always
    time_intervals: [{ times: [{ start_time: "00:00", end_time: "24:00" }] }]
  - name: never
    time_intervals: [{ months: [february], days_of_month: [31] }]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity="warning"]
    equal: [alertname]
`;
}

const missing = [PROMETHEUS_BIN, ALERTMANAGER_BIN, AMTOOL_BIN].filter((f) => !fs.existsSync(f));
if (missing.length > 0 && process.env.CI) throw new Error(`missing ${missing.join(', ')} (scripts/ensure-test-peers.sh installs them)`);

describe.skipIf(missing.length > 0)('the notifier among Prometheus, Alertmanager and amtool', () => {
  const dir = tempDir('strata-am-interop-');
  const amFile = path.join(dir, 'alertmanager.yml');
  let strata: StrataProcess;
  let strataHooks: WebhookReceiver;
  const url = () => `--alertmanager.url=${strata.url}`;
  const hooksOf = (name: string) => strataHooks.delivered.filter((h) => h.body.groupLabels?.alertname === name);

  beforeAll(async () => {
    strataHooks = await startWebhookReceiver();
    fs.writeFileSync(amFile, amConfig(strataHooks.url));
    fs.writeFileSync(path.join(dir, 'strata.yml'), [
      `notifier: { config_file: ${JSON.stringify(amFile)} }`,
      `server: { external_url: ${JSON.stringify(EXTERNAL_URL)} }`,
      'self_monitoring: { enabled: false }',
    ].join('\n'));
    strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
  }, 60_000);

  afterAll(async () => {
    await strata?.stop();
    await strataHooks?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  describe('Prometheus sending to Strata', () => {
    let prometheus: PrometheusProcess;
    afterAll(async () => prometheus?.stop());

    it('routes the alerts of a Prometheus rule file to the matching webhook receiver', async () => {
      const pdir = path.join(dir, 'prometheus');
      fs.mkdirSync(pdir, { recursive: true });
      fs.writeFileSync(path.join(pdir, 'rules.yml'), [
        'groups:',
        '  - name: always',
        '    interval: 1s',
        '    rules:',
        '      - alert: PrometheusAlwaysFiring',
        '        expr: vector(1)',
        '        labels: { source: prometheus, severity: page }',
        '        annotations: { summary: "value {{ $value }}" }',
        // Fires four seconds in eight: Prometheus sends it resolved in between.
        '      - alert: PrometheusFlapping',
        '        expr: vector(time() % 8) < 4',
        '        labels: { source: prometheus }',
      ].join('\n'));
      prometheus = await startPrometheus(pdir, 30_000, [
        'global:',
        '  scrape_interval: 1h',
        '  evaluation_interval: 1s',
        '  external_labels: { replica: prom-a }',
        `rule_files: [${JSON.stringify(path.join(pdir, 'rules.yml'))}]`,
        'alerting:',
        '  alertmanagers:',
        '    - api_version: v2',
        `      static_configs: [{ targets: ["${strata.address}"] }]`,
        // Its first alert can come before it has discovered its Alertmanagers (and be dropped):
        // re-sending every second, rather than every minute, keeps the test short.
      ].join('\n'), ['--rules.alert.resend-delay=1s']);
      const hook = await until('the notification of the Prometheus alert', () => hooksOf('PrometheusAlwaysFiring')[0], 60_000);
      expect(hook.path).toBe('/prometheus');
      expect(hook.body).toMatchObject({
        receiver: 'from-prometheus',
        status: 'firing',
        groupKey: '{}/{source="prometheus"}:{alertname="PrometheusAlwaysFiring"}',
        groupLabels: { alertname: 'PrometheusAlwaysFiring' },
        externalURL: EXTERNAL_URL,
      });
      expect(hook.body.alerts).toHaveLength(1);
      const [a] = hook.body.alerts;
      // Prometheus' external labels come along; its generatorURL points at its own graph page.
      expect(a).toMatchObject({
        status: 'firing',
        labels: { alertname: 'PrometheusAlwaysFiring', source: 'prometheus', severity: 'page', replica: 'prom-a' },
        annotations: { summary: 'value 1' },
      });
      expect(a.generatorURL).toMatch(/\/graph\?g0\.expr=vector%281%29/);
      // A firing alert's end is left out (Go's zero time), as Alertmanager's flush does.
      expect(a.endsAt).toBe('0001-01-01T00:00:00Z');
      // API v2 shows the alert as Prometheus sent it, with its receiver.
      const r = await fetch(`${strata.url}/api/v2/alerts?filter=alertname%3D%22PrometheusAlwaysFiring%22`);
      const alerts = (await r.json()) as any[];
      expect(alerts.map((x) => [x.labels.replica, x.receivers.map((y: any) => y.name)])).toEqual([['prom-a', ['from-prometheus']]]);
    }, 90_000);

    it('notifies the resolve when Prometheus sends the alert resolved', async () => {
      const resolved = await until('a resolved notification', () => hooksOf('PrometheusFlapping').find((h) => h.body.status === 'resolved'), 60_000);
      expect(resolved.body.alerts).toHaveLength(1);
      const [a] = resolved.body.alerts;
      expect(a).toMatchObject({ status: 'resolved', labels: { alertname: 'PrometheusFlapping', source: 'prometheus', replica: 'prom-a' } });
      // Prometheus' own end time, a second or so after the alert's last firing evaluation.
      expect(Date.parse(a.endsAt)).toBeGreaterThan(Date.parse(a.startsAt));
      const firing = hooksOf('PrometheusFlapping').filter((h) => h.body.status === 'firing' && h.at < resolved.at);
      expect(firing.length).toBeGreaterThan(0);
      expect(firing.at(-1)!.body.alerts[0].fingerprint).toBe(a.fingerprint);
    }, 90_000);
  });

  describe('amtool against Strata', () => {
    it('passes amtool check-config, with the receivers Strata lists', async () => {
      const r = await amtool(['check-config', amFile]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toContain('SUCCESS');
      expect(r.stdout).toContain(' - 6 receivers');
      expect(r.stdout).toContain(' - 1 inhibit rules');
      const receivers = (await (await fetch(`${strata.url}/api/v2/receivers`)).json()) as { name: string }[];
      expect(receivers.map((x) => x.name)).toEqual(['default', 'from-prometheus', 'db', 'web', 'pager', 'truncating']);
    });

    it('adds, queries and expires silences; a silenced alert is left out of notifications until expired', async () => {
      const add = await amtool(['silence', 'add', url(), 'alertname=Maintenance', 'instance=a', '--author=ops', '--comment=reboot of a', '--duration=1h']);
      expect(add.code, add.stderr).toBe(0);
      const id = add.stdout.trim();
      expect(id).toMatch(/^[0-9a-f-]{36}$/);

      const query = await amtool(['silence', 'query', url(), '-o', 'json', 'alertname=Maintenance']);
      expect(query.code, query.stderr).toBe(0);
      const listed = JSON.parse(query.stdout) as any[];
      expect(listed).toHaveLength(1);
      expect(listed[0]).toMatchObject({ id, createdBy: 'ops', comment: 'reboot of a', status: { state: 'active' } });
      expect(listed[0].matchers).toEqual(expect.arrayContaining([
        { name: 'alertname', value: 'Maintenance', isRegex: false, isEqual: true },
        { name: 'instance', value: 'a', isRegex: false, isEqual: true },
      ]));
      const quiet = await amtool(['silence', 'query', url(), '-q', 'instance=a']);
      expect(quiet.stdout.trim()).toBe(id);

      const now = Date.now();
      const alert = (instance: string) => ({ labels: { alertname: 'Maintenance', instance }, annotations: { summary: instance }, startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString() });
      await postAlerts(strata.url, [alert('a'), alert('b')]);
      const first = await until('the Maintenance notification', () => hooksOf('Maintenance')[0]);
      expect(first.body.alerts.map((a: any) => a.labels.instance)).toEqual(['b']);

      const active = await amtool(['alert', 'query', url(), '-o', 'json', 'alertname=Maintenance']);
      expect(active.code, active.stderr).toBe(0);
      expect((JSON.parse(active.stdout) as any[]).map((a) => a.labels.instance)).toEqual(['b']);
      const withSilenced = await amtool(['alert', 'query', url(), '-o', 'json', '--silenced', 'alertname=Maintenance']);
      const silenced = (JSON.parse(withSilenced.stdout) as any[]).find((a) => a.labels.instance === 'a');
      expect(silenced?.status).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
      const simple = await amtool(['alert', 'query', url(), 'alertname=Maintenance']);
      expect(simple.stdout).toMatch(/^Alertname\s+Starts At\s+Summary\s+State\s*\n/);
      expect(simple.stdout).toMatch(/\nMaintenance\s+[-0-9]+ [:0-9]+ UTC\s+b\s+active\s*\n$/);

      const expire = await amtool(['silence', 'expire', url(), id]);
      expect(expire.code, expire.stderr).toBe(0);
      const afterExpire = await amtool(['silence', 'query', url(), '-q']);
      expect(afterExpire.stdout.split('\n')).not.toContain(id);
      const expired = await amtool(['silence', 'query', url(), '--expired', '-o', 'json']);
      expect((JSON.parse(expired.stdout) as any[]).find((s) => s.id === id)?.status.state).toBe('expired');
      // No longer muted, alert a is new to the group's notification log: the next flush sends it.
      const second = await until('the notification after the silence expired', () => hooksOf('Maintenance')[1]);
      expect(second.body.alerts.map((a: any) => a.labels.instance).sort()).toEqual(['a', 'b']);
    }, 60_000);

    it('takes alerts from amtool alert add, reading its zero times as not set (as Alertmanager)', async () => {
      const before = Date.now();
      const add = await amtool(['alert', 'add', url(), 'AmtoolAdded', 'team=db', 'instance=i1', '--annotation=summary=hello']);
      expect(add.code, add.stderr).toBe(0);
      const withEnd = await amtool(['alert', 'add', url(), 'AmtoolAdded', 'instance=i2', '--end=2030-01-01T00:00:00Z']);
      expect(withEnd.code, withEnd.stderr).toBe(0);
      const q = await amtool(['alert', 'query', url(), '-o', 'json', 'alertname=AmtoolAdded']);
      const alerts = (JSON.parse(q.stdout) as any[]).sort((x, y) => x.labels.instance.localeCompare(y.labels.instance));
      expect(alerts.map((a) => a.labels.instance)).toEqual(['i1', 'i2']);
      // No start: now; no end: resolve_timeout (5m) later.
      expect(alerts[0]).toMatchObject({ annotations: { summary: 'hello' }, receivers: [{ name: 'db' }], status: { state: 'active' } });
      expect(Date.parse(alerts[0].startsAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(alerts[0].endsAt) - Date.parse(alerts[0].startsAt)).toBe(300_000);
      // No start but an end: it starts at its end.
      expect(alerts[1]).toMatchObject({ startsAt: '2030-01-01T00:00:00.000Z', endsAt: '2030-01-01T00:00:00.000Z', receivers: [{ name: 'default' }] });
      const db = await amtool(['alert', 'query', url(), '-o', 'json', '--receiver=db', 'alertname=AmtoolAdded']);
      expect((JSON.parse(db.stdout) as any[]).map((a) => a.labels.instance)).toEqual(['i1']);
    });

    it('reports errors as amtool shows them', async () => {
      const r = await amtool(['silence', 'expire', url(), '00000000-0000-0000-0000-000000000000']);
      expect(r.code).not.toBe(0);
      // As Alertmanager 0.25 answers (HTTP 500 with the reason), so amtool prints the reason.
      expect(r.stderr).toMatch(/\[DELETE \/silence\/\{silenceID\}\]\[500\] .*not found/);
    });
  });

  describe('side by side with Alertmanager', () => {
    let am: AlertmanagerProcess;
    let amHooks: WebhookReceiver;
    const iso = (ms: number) => new Date(ms).toISOString();
    const firing = (labels: Record<string, string>, startsAt: number, endsAt: number | undefined = startsAt + 3600_000) => ({
      labels, annotations: { summary: `${labels.alertname} on ${labels.instance}` }, startsAt: iso(startsAt), ...(endsAt === undefined ? {} : { endsAt: iso(endsAt) }), generatorURL: 'http://prometheus.example/graph?g0.expr=up',
    });
    const resolved = (a: ReturnType<typeof firing>) => ({ ...a, endsAt: iso(Date.now() - 1) });
    const both = async (alerts: unknown[]) => {
      await Promise.all([postAlerts(strata.url, alerts), postAlerts(am.url, alerts)]);
    };
    // Strata's notifications of these alert names; Alertmanager gets only this test's alerts.
    const sides = (names: string[]) => ({
      ours: () => strataHooks.delivered.filter((h) => names.includes(h.body.groupLabels?.alertname)),
      theirs: () => amHooks.delivered.filter((h) => names.includes(h.body.groupLabels?.alertname)),
    });
    // Each side has sent `n` notifications: wait for them (the order of arrival within a tick may differ).
    const reach = (s: ReturnType<typeof sides>, n: number) =>
      until(`${n} notifications from each side`, () => (s.ours().length >= n && s.theirs().length >= n ? true : undefined)).catch((e: Error) => {
        throw new Error(`${e.message}\nStrata: ${JSON.stringify(summary(s.ours()))}\nAlertmanager: ${JSON.stringify(summary(s.theirs()))}`);
      });
    // Notifications per webhook path and group, in order; payloads whole (alerts in the order sent).
    const streams = (hooks: Hook[]) => {
      const byStream = new Map<string, unknown[]>();
      for (const h of hooks) {
        const key = `${h.path} ${h.body.groupKey}`;
        byStream.set(key, [...(byStream.get(key) ?? []), h.body]);
      }
      return Object.fromEntries([...byStream].sort(([a], [b]) => a.localeCompare(b)));
    };
    // What the streams say, in short, so that an agreement on something wrong shows too.
    const summary = (hooks: Hook[]) => Object.fromEntries(Object.entries(streams(hooks)).map(([k, list]) => [k, (list as any[]).map((b) => `${b.status}:${b.alerts.map((a: any) => `${a.labels.instance}=${a.status}`).join(',')}`)]));

    beforeAll(async () => {
      amHooks = await startWebhookReceiver();
      am = await startAlertmanager(path.join(dir, 'alertmanager'), amConfig(amHooks.url), EXTERNAL_URL);
    }, 60_000);
    afterAll(async () => {
      await am?.stop();
      await amHooks?.close();
    });

    it('sends the same notifications for the same alert stream', async () => {
      const s = sides(['Latency', 'DiskFull']);
      const t0 = Date.now();
      const la = firing({ alertname: 'Latency', instance: 'a', severity: 'warning' }, t0);
      const lb = firing({ alertname: 'Latency', instance: 'b', severity: 'warning' }, t0);
      const dx = firing({ alertname: 'DiskFull', team: 'db', cluster: 'c1', instance: 'x' }, t0);
      const dy = firing({ alertname: 'DiskFull', team: 'db', cluster: 'c2', instance: 'y' }, t0);

      // Latency: one group of `default`; DiskFull: a group per cluster for `db`, whose two integrations
      // (one without send_resolved) each send: 5 notifications.
      await both([la, lb, dx, dy]);
      await reach(s, 5);
      // One of two resolved, a new one firing; then everything resolved.
      const lc = firing({ alertname: 'Latency', instance: 'c', severity: 'warning' }, Date.now());
      await both([resolved(lb), lc, resolved(dy)]);
      await reach(s, 7);
      await both([resolved(la), resolved(lc), resolved(dx)]);
      await reach(s, 9);
      // A notification the integration without send_resolved (or a repeat) would wrongly send
      // comes at the same tick as the ones awaited: give it a group interval to show.
      await sleep(GROUP_INTERVAL_MS);

      expect(streams(s.ours())).toEqual(streams(s.theirs()));
      expect(summary(s.ours())).toEqual({
        '/db {}/{team="db"}:{alertname="DiskFull", cluster="c1"}': ['firing:x=firing', 'resolved:x=resolved'],
        '/db {}/{team="db"}:{alertname="DiskFull", cluster="c2"}': ['firing:y=firing', 'resolved:y=resolved'],
        '/db-quiet {}/{team="db"}:{alertname="DiskFull", cluster="c1"}': ['firing:x=firing'],
        '/db-quiet {}/{team="db"}:{alertname="DiskFull", cluster="c2"}': ['firing:y=firing'],
        '/default {}:{alertname="Latency"}': ['firing:a=firing,b=firing', 'firing:a=firing,b=resolved,c=firing', 'resolved:a=resolved,c=resolved'],
      });

      // Timing: each side's first notification of a group comes group_wait after the alerts did;
      // the two sides within a group interval of each other (their ticks are not in phase).
      const firstAt = (hooks: Hook[], key: string) => hooks.find((h) => h.body.groupKey === key)!.at;
      for (const key of ['{}:{alertname="Latency"}', '{}/{team="db"}:{alertname="DiskFull", cluster="c1"}']) {
        const a = firstAt(s.ours(), key);
        const b = firstAt(s.theirs(), key);
        expect(a - t0).toBeGreaterThanOrEqual(GROUP_WAIT_MS - 50);
        expect(Math.abs(a - b)).toBeLessThan(GROUP_WAIT_MS + GROUP_INTERVAL_MS);
      }
    }, 90_000);

    it('mutes, inhibits and routes alike: silences, inhibition (a silenced alert still inhibits) ended by resolves, group_by ..., continue, an old alert, an alert without an end', async () => {
      const s = sides(['WebDown', 'ApiSlow']);
      const silence = {
        matchers: [{ name: 'instance', value: 'silenced', isRegex: false, isEqual: true }],
        startsAt: iso(Date.now()), endsAt: iso(Date.now() + 3600_000), createdBy: 'test', comment: 'side by side',
      };
      const ids = await Promise.all([strata.url, am.url].map(async (u) => {
        const r = await fetch(`${u}/api/v2/silences`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(silence) });
        expect(r.status).toBe(200);
        return ((await r.json()) as { silenceID: string }).silenceID;
      }));
      const t0 = Date.now();
      const w1 = firing({ alertname: 'WebDown', team: 'web', instance: 'w1', severity: 'critical' }, t0);
      const w2 = firing({ alertname: 'WebDown', team: 'web', instance: 'w2', severity: 'warning' }, t0);
      const ws = firing({ alertname: 'WebDown', team: 'web', instance: 'silenced', severity: 'critical' }, t0);
      // a2 without an end (it resolves after resolve_timeout unless re-sent) makes the group; a1,
      // older than group_wait, has it flush at once.
      const a2 = firing({ alertname: 'ApiSlow', instance: 'a2' }, t0, undefined);
      const a1 = firing({ alertname: 'ApiSlow', instance: 'a1' }, t0 - 600_000);
      await both([w1, w2, ws, a2, a1]);
      await reach(s, 3);

      // The API's view: the same alerts, states, inhibiting fingerprints and receivers; the same groups.
      const view = async (u: string, id: string) => {
        const alerts = (await (await fetch(`${u}/api/v2/alerts?filter=alertname%3D~%22WebDown%7CApiSlow%22&silenced=true&inhibited=true`)).json()) as any[];
        const groups = (await (await fetch(`${u}/api/v2/alerts/groups?filter=alertname%3D~%22WebDown%7CApiSlow%22`)).json()) as any[];
        return {
          alerts: alerts.map((a) => ({ fingerprint: a.fingerprint, labels: a.labels, startsAt: a.startsAt, receivers: a.receivers, status: {
            ...a.status,
            silencedBy: a.status.silencedBy.map((x: string) => (x === id ? 'the silence' : x)),
            // w2 has two inhibiting alerts (w1 and the silenced one); which one Alertmanager names
            // depends on Go's map order: compare that there is one, and which below.
            inhibitedBy: a.status.inhibitedBy.length,
          } }))
            .sort((x, y) => x.fingerprint.localeCompare(y.fingerprint)),
          groups: groups.map((g) => ({ labels: g.labels, receiver: g.receiver, alerts: g.alerts.map((a: any) => a.fingerprint) })),
        };
      };
      const [ourView, theirView] = await Promise.all([view(strata.url, ids[0]), view(am.url, ids[1])]);
      expect(ourView).toEqual(theirView);
      expect(ourView.alerts.map((a) => [a.labels.instance, a.status.state, a.status.silencedBy.length, a.status.inhibitedBy])).toEqual(expect.arrayContaining([
        ['w1', 'active', 0, 0], ['w2', 'suppressed', 0, 1], ['silenced', 'suppressed', 1, 0], ['a1', 'active', 0, 0], ['a2', 'active', 0, 0],
      ]));
      const critical = ourView.alerts.filter((a) => a.labels.severity === 'critical').map((a) => a.fingerprint);
      for (const u of [strata.url, am.url]) {
        const [w2] = (await (await fetch(`${u}/api/v2/alerts?filter=instance%3D%22w2%22&inhibited=true`)).json()) as any[];
        expect(critical).toContain(w2.status.inhibitedBy[0]);
      }

      // The critical alert w1 resolves, but w2 stays inhibited: the silenced critical alert
      // inhibits it too (silenced alerts still inhibit, in Alertmanager as here).
      await both([resolved(w1)]);
      await reach(s, 5);
      await sleep(GROUP_INTERVAL_MS);
      expect(s.ours().filter((h) => h.body.groupLabels.instance === 'w2')).toEqual([]);
      // Once that one resolves, w2 is sent (and nothing about the silenced one, never notified).
      await both([resolved(ws)]);
      await reach(s, 6);
      await sleep(GROUP_INTERVAL_MS);
      expect(streams(s.ours())).toEqual(streams(s.theirs()));
      expect(summary(s.ours())).toEqual({
        '/default {}:{alertname="ApiSlow"}': ['firing:a1=firing,a2=firing'],
        '/pager {}/{severity="critical"}:{alertname="WebDown"}': ['firing:w1=firing', 'resolved:w1=resolved'],
        '/web {}/{team="web"}:{alertname="WebDown", instance="w1", severity="critical", team="web"}': ['firing:w1=firing', 'resolved:w1=resolved'],
        '/web {}/{team="web"}:{alertname="WebDown", instance="w2", severity="warning", team="web"}': ['firing:w2=firing'],
      });
    }, 90_000);

    it('applies time intervals, the older match/match_re, an empty group_by and max_alerts alike', async () => {
      const s = sides(['MutedAlways', 'ActiveNever', 'ActiveAlways']);
      const t0 = Date.now();
      await both([
        firing({ alertname: 'MutedAlways', instance: 'm' }, t0),
        firing({ alertname: 'ActiveNever', instance: 'n' }, t0),
        ...['a', 'b', 'c'].map((i) => firing({ alertname: 'ActiveAlways', instance: i }, t0)),
      ]);
      await reach(s, 1);
      // The muted groups flush at the same tick as the one awaited: give them a group interval more.
      await sleep(GROUP_INTERVAL_MS);
      expect(streams(s.ours())).toEqual(streams(s.theirs()));
      // group_by: [] inherits the parent's; match_re shows anchored in the route key.
      expect(summary(s.ours())).toEqual({ '/truncating {}/{alertname=~"^(?:Active(Never|Always))$"}:{alertname="ActiveAlways"}': ['firing:a=firing,b=firing'] });
      expect(s.ours()[0].body.truncatedAlerts).toBe(1);
    }, 60_000);

    it('repeats an unchanged group after repeat_interval', async () => {
      const s = sides(['Repeated']);
      const t0 = Date.now();
      await both([firing({ alertname: 'Repeated', instance: 'r' }, t0)]);
      await reach(s, 2);
      expect(streams(s.ours().slice(0, 2))).toEqual(streams(s.theirs().slice(0, 2)));
      // The repeat comes at the first group_interval tick more than repeat_interval (3s) later.
      for (const hooks of [s.ours(), s.theirs()]) expect(hooks[1].at - hooks[0].at).toBeGreaterThanOrEqual(3000);
    }, 60_000);
  });
});
