// Side by side with the real Alertmanager (Debian's prometheus-alertmanager): the same alerts
// are posted to it, and what its webhook and PagerDuty integrations send to local receivers is
// compared with what our channels send for the same group.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert, Notification } from '../types.ts';
import { webhookPayload, type WebhookPayload } from './webhook.ts';
import { channelsFrom, realTemplates, startReceiver, type Receiver } from './test-helpers.ts';

const AM_BIN = '/usr/bin/prometheus-alertmanager';

// A PagerDuty entry whose templates mean the same in both template sets (the defaults differ on
// purpose: our texts are our own).
const PAGERDUTY_YAML = {
  routing_key: 'R0UT1NG',
  description: '{{ .CommonLabels.alertname }} is {{ .Status }} on {{ len .Alerts.Firing }} instances',
  client: 'Monitoring',
  client_url: '{{ .ExternalURL }}',
  severity: '{{ .CommonLabels.severity }}',
  component: '{{ .CommonLabels.job }}',
  details: { receiver: '{{ .Receiver }}', dump: '{{ .CommonAnnotations.dump }}' },
  links: [{ href: '{{ .ExternalURL }}/#/alerts', text: 'alerts' }],
};
const PAGERDUTY_ENTRY = Object.entries(PAGERDUTY_YAML).map(([k, v]) => `${k}: ${JSON.stringify(v)}`);

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

async function until<T>(what: string, f: () => T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.skipIf(!existsSync(AM_BIN))('channels side by side with Alertmanager', () => {
  let dir: string;
  let am: ChildProcess;
  let amLog = '';
  let amURL: string;
  let hook: Receiver;
  // A dot in the receiver name: Alertmanager quotes it as a regular expression in the payload.
  const receiver = 'team.api';
  const externalURL = 'http://strata.example:9093';
  const now = Math.floor(Date.now() / 1000) * 1000 + 123;
  const alerts: Alert[] = [
    { labels: { alertname: 'HighLatency', job: 'api', instance: 'a:9100', severity: 'page' }, annotations: { summary: 'slow a', runbook: 'r' }, startsAt: now - 600_000, endsAt: now + 300_000, generatorURL: 'http://prometheus.example/graph?g0.expr=up', updatedAt: now, timeout: false },
    { labels: { alertname: 'HighLatency', job: 'api', instance: 'b:9100', severity: 'page' }, annotations: { summary: 'slow b', runbook: 'r' }, startsAt: now - 1_200_000, endsAt: now - 1000, generatorURL: 'http://prometheus.example/graph?g0.expr=up', updatedAt: now, timeout: false },
    { labels: { alertname: 'HighLatency', job: 'api', instance: 'c:9100', severity: 'page', region: 'zürich' }, annotations: { summary: 'slow c', runbook: 'r' }, startsAt: now - 60_000, endsAt: now + 300_000, generatorURL: '', updatedAt: now, timeout: false },
  ];
  // A group of its own whose PagerDuty event is over PagerDuty's 512 KB: the details go.
  const huge: Alert = {
    labels: { alertname: 'HugeDetails', job: 'api', severity: 'page' }, annotations: { dump: '<x>'.repeat(200_000) },
    startsAt: now - 60_000, endsAt: now + 300_000, generatorURL: '', updatedAt: now, timeout: false,
  };
  /** What Alertmanager sent to `path` for the group of alertname `name`. */
  const sentFor = (path: string, name: string) => until(`the ${path} request for ${name} from alertmanager`, () => hook.requests.find((r) => {
    if (r.url !== path) return false;
    const body = JSON.parse(r.body);
    return path === '/hook' ? body.groupLabels.alertname === name : body.payload.summary.startsWith(`${name} `);
  }));

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'strata-am-'));
    hook = await startReceiver();
    const port = await freePort();
    writeFileSync(join(dir, 'am.yml'), [
      'route:',
      `  receiver: ${JSON.stringify(receiver)}`,
      '  group_by: [alertname]',
      '  group_wait: 1s',
      '  group_interval: 1h',
      'receivers:',
      `- name: ${JSON.stringify(receiver)}`,
      '  webhook_configs:',
      `  - url: ${hook.url}/hook`,
      '  pagerduty_configs:',
      `  - url: ${hook.url}/pagerduty`,
      ...PAGERDUTY_ENTRY.map((l) => `    ${l}`),
      '',
    ].join('\n'));
    am = spawn(AM_BIN, [
      `--config.file=${join(dir, 'am.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${externalURL}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TZ: 'UTC' } });
    am.stdout!.on('data', (d: Buffer) => (amLog += d.toString()));
    am.stderr!.on('data', (d: Buffer) => (amLog += d.toString()));
    amURL = `http://127.0.0.1:${port}`;
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        const r = await fetch(`${amURL}/-/ready`);
        await r.text();
        if (r.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline || am.exitCode !== null) throw new Error(`alertmanager did not start:\n${amLog}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const res = await fetch(`${amURL}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify([...alerts, huge].map((a) => ({
        labels: a.labels,
        annotations: a.annotations,
        startsAt: new Date(a.startsAt).toISOString(),
        endsAt: new Date(a.endsAt).toISOString(),
        generatorURL: a.generatorURL,
      }))),
    });
    expect(res.status, await res.text()).toBe(200);
  }, 60_000);

  afterAll(async () => {
    if (am && am.exitCode === null) {
      const exited = new Promise((r) => am.once('exit', r));
      am.kill('SIGTERM');
      await exited;
    }
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('sends the same webhook payload as Alertmanager', async () => {
    const req = await sentFor('/hook', 'HighLatency');
    const theirs = JSON.parse(req.body) as WebhookPayload;
    const n: Notification = {
      receiver,
      groupKey: '{}:{alertname="HighLatency"}',
      groupLabels: { alertname: 'HighLatency' },
      alerts,
      externalURL,
      now: Date.now(),
    };
    const ours = JSON.parse(JSON.stringify(webhookPayload(n, 0))) as WebhookPayload;
    const byFingerprint = (p: WebhookPayload) => ({ ...p, alerts: [...p.alerts].sort((x, y) => x.fingerprint.localeCompare(y.fingerprint)) });
    expect(byFingerprint(ours)).toEqual(byFingerprint(theirs));
  });

  it('sends the same PagerDuty event as Alertmanager, dedup_key included', async () => {
    const req = await sentFor('/pagerduty', 'HighLatency');
    const theirs = JSON.parse(req.body);
    const mine = await startReceiver();
    try {
      const [ch] = channelsFrom({ pagerduty_configs: [{ ...PAGERDUTY_YAML, url: mine.url }] }, {}, realTemplates().templates);
      await ch.send({ receiver, groupKey: '{}:{alertname="HighLatency"}', groupLabels: { alertname: 'HighLatency' }, alerts, externalURL, now: Date.now() }, AbortSignal.timeout(10_000));
      const ours = JSON.parse(mine.requests[0].body);
      // The default details (firing, resolved: alert lists in each side's own wording) aside, equal.
      for (const p of [ours, theirs]) {
        delete p.payload.custom_details.firing;
        delete p.payload.custom_details.resolved;
      }
      // payload.timestamp (the alerts' start) is Strata's addition: Alertmanager 0.25 sends none.
      expect(theirs.payload).not.toHaveProperty('timestamp');
      expect(ours.payload.timestamp).toBe(new Date(alerts[0].startsAt).toISOString());
      delete ours.payload.timestamp;
      expect(ours).toEqual(theirs);
      expect(ours.dedup_key).toMatch(/^[0-9a-f]{64}$/);
    } finally {
      await mine.close();
    }
  });

  it('replaces the details of an event over 512 KB with the same note as Alertmanager', async () => {
    const theirs = JSON.parse((await sentFor('/pagerduty', 'HugeDetails')).body);
    const mine = await startReceiver();
    try {
      const [ch] = channelsFrom({ pagerduty_configs: [{ ...PAGERDUTY_YAML, url: mine.url }] }, {}, realTemplates().templates);
      await ch.send({ receiver, groupKey: '{}:{alertname="HugeDetails"}', groupLabels: { alertname: 'HugeDetails' }, alerts: [huge], externalURL, now: Date.now() }, AbortSignal.timeout(10_000));
      const ours = JSON.parse(mine.requests[0].body);
      expect(Object.keys(theirs.payload.custom_details)).toEqual(['error']);
      expect(ours.payload.custom_details).toEqual(theirs.payload.custom_details);
      delete ours.payload.timestamp;
      expect(ours).toEqual(theirs);
    } finally {
      await mine.close();
    }
  });
});
