// The built-in notifier in the running server: Alertmanager API v2 (alerts, groups, silences,
// receivers, status), and a rule's alert delivered to a webhook receiver through routing.
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSeries } from './helpers/remotewrite.ts';
import { startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const dir = tempDir('strata-notifier-');
let strata: StrataProcess;
const hooks: any[] = [];
let closeHook: () => void = () => undefined;

async function api(method: string, p: string, body?: unknown): Promise<{ status: number; json: any }> {
  const r = await fetch(`${strata.url}${p}`, { method, headers: body ? { 'Content-Type': 'application/json' } : {}, body: body ? JSON.stringify(body) : undefined });
  const text = await r.text();
  return { status: r.status, json: text === '' ? null : JSON.parse(text) };
}

beforeAll(async () => {
  const hook = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      hooks.push(JSON.parse(b));
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  closeHook = () => hook.close();
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  fs.writeFileSync(path.join(dir, 'am.yml'), [
    'route:',
    '  receiver: ops',
    '  group_by: [alertname]',
    '  group_wait: 1s',
    '  group_interval: 2s',
    '  routes:',
    '    - matchers: [team="db"]',
    '      receiver: db-pager',
    'receivers:',
    '  - name: ops',
    `    webhook_configs: [{ url: "${hookUrl}" }]`,
    '  - name: db-pager',
  ].join('\n'));
  fs.writeFileSync(path.join(dir, 'rules.yml'), 'groups:\n  - name: g\n    interval: 1s\n    rules:\n      - alert: Hot\n        expr: temp > 30\n');
  fs.writeFileSync(path.join(dir, 'strata.yml'), [
    'global: { evaluation_interval: 1s, external_labels: { site: lab } }',
    'rule_files: [rules.yml]',
    // Alerts reach the built-in notifier relabelled as they would reach an Alertmanager.
    'alerting:',
    '  alert_relabel_configs:',
    '    - { target_label: severity, replacement: page }',
    '    - { source_labels: [room], regex: garage, action: drop }',
    'notifier: { config_file: am.yml }',
    'self_monitoring: { enabled: false }',
  ].join('\n'));
  strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
}, 60_000);

afterAll(async () => {
  await strata?.stop();
  closeHook();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('built-in notifier', () => {
  it('delivers a rule alert to the routed webhook with the Alertmanager payload', async () => {
    const now = Date.now();
    await writeSeries(strata.url, [
      { labels: { __name__: 'temp', room: 'kitchen' }, samples: [[now - 1000, 35], [now, 35]] },
      { labels: { __name__: 'temp', room: 'garage' }, samples: [[now - 1000, 35], [now, 35]] },
    ]);
    await until('a webhook notification', () => hooks.length > 0);
    const labels = { alertname: 'Hot', room: 'kitchen', site: 'lab', severity: 'page' };
    expect(hooks[0]).toMatchObject({
      version: '4',
      status: 'firing',
      receiver: 'ops',
      groupLabels: { alertname: 'Hot' },
      commonLabels: labels,
      alerts: [{ status: 'firing', labels, fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/) }],
    });
    // The garage's alert fires in the rules but was dropped on its way to the notifier.
    const rules = (await api('GET', '/api/v1/alerts')).json.data.alerts.map((a: any) => a.labels.room).sort();
    expect(rules).toEqual(['garage', 'kitchen']);
    expect((await api('GET', '/api/v2/alerts?filter=alertname%3D%22Hot%22')).json.map((a: any) => a.labels.room)).toEqual(['kitchen']);
    expect(hooks[0].groupKey).toBe('{}:{alertname="Hot"}');
  });

  it('takes alerts by API v2 and lists them, grouped, with their receivers', async () => {
    const startsAt = new Date().toISOString();
    const post = await api('POST', '/api/v2/alerts', [{ labels: { alertname: 'DiskFull', team: 'db', instance: 'db1' }, annotations: { summary: 's' }, startsAt }]);
    expect(post.status).toBe(200);
    const bad = await api('POST', '/api/v2/alerts', [{ labels: {} }]);
    expect(bad.status).toBe(400);
    expect(typeof bad.json).toBe('string');
    const alerts = await api('GET', '/api/v2/alerts?filter=alertname%3D%22DiskFull%22');
    expect(alerts.json).toHaveLength(1);
    expect(alerts.json[0]).toMatchObject({ labels: { alertname: 'DiskFull', team: 'db', instance: 'db1' }, receivers: [{ name: 'db-pager' }], status: { state: expect.any(String) } });
    const groups = await api('GET', '/api/v2/alerts/groups?receiver=db-pager');
    expect(groups.json.map((g: any) => [g.receiver.name, g.labels])).toEqual([['db-pager', { alertname: 'DiskFull' }]]);
    expect((await api('GET', '/api/v2/receivers')).json).toEqual([{ name: 'ops' }, { name: 'db-pager' }]);
    const status = await api('GET', '/api/v2/status');
    expect(status.json.config.original).toContain('db-pager');
    expect(status.json.cluster.status).toBe('disabled');
  });

  it('creates, lists, silences with and expires silences', async () => {
    const now = Date.now();
    const created = await api('POST', '/api/v2/silences', {
      matchers: [{ name: 'alertname', value: 'DiskFull', isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(), endsAt: new Date(now + 3600_000).toISOString(), createdBy: 'me', comment: 'maintenance',
    });
    expect(created.status).toBe(200);
    const id = created.json.silenceID as string;
    expect(id).toMatch(/[0-9a-f-]{36}/);
    const one = await api('GET', `/api/v2/silence/${id}`);
    expect(one.json).toMatchObject({ id, createdBy: 'me', comment: 'maintenance', status: { state: 'active' } });
    const list = await api('GET', '/api/v2/silences?filter=alertname%3D%22DiskFull%22');
    expect(list.json.map((s: any) => s.id)).toEqual([id]);
    const muted = await until('the alert silenced', async () => {
      const r = await api('GET', '/api/v2/alerts?filter=alertname%3D%22DiskFull%22');
      return r.json[0]?.status.silencedBy.length === 1 ? r : undefined;
    });
    expect(muted.json[0].status).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
    expect((await api('GET', '/api/v2/alerts?filter=alertname%3D%22DiskFull%22&silenced=false')).json).toEqual([]);
    expect((await api('DELETE', `/api/v2/silence/${id}`)).status).toBe(200);
    expect((await api('GET', `/api/v2/silence/${id}`)).json.status.state).toBe('expired');
    expect((await api('GET', '/api/v2/silence/00000000-0000-0000-0000-000000000000')).status).toBe(404);
    const invalid = await api('POST', '/api/v2/silences', { matchers: [], startsAt: new Date(now).toISOString(), endsAt: new Date(now + 1000).toISOString() });
    // As Alertmanager 0.25: its spec's checks (here: no comment, no createdBy) come first, with 422.
    expect(invalid.status).toBe(422);
    expect(invalid.json).toEqual({ code: 602, message: 'comment in body is required' });
  });

  it('keeps its configuration when a reload finds the notifier file invalid, and applies a valid one', async () => {
    const file = path.join(dir, 'am.yml');
    const good = fs.readFileSync(file, 'utf8');
    try {
      fs.writeFileSync(file, good.replace('receiver: db-pager', 'receiver: nobody'));
      const bad = await fetch(`${strata.url}/-/reload`, { method: 'POST' });
      expect(bad.status).toBe(500);
      expect(await bad.text()).toMatch(/am\.yml.*nobody/s);
      expect((await api('GET', '/api/v2/receivers')).json).toEqual([{ name: 'ops' }, { name: 'db-pager' }]);
      expect((await api('GET', '/api/v2/status')).json.config.original).toContain('db-pager');
      fs.writeFileSync(file, good.replace(/db-pager/g, 'db-oncall'));
      const ok = await fetch(`${strata.url}/-/reload`, { method: 'POST' });
      expect(ok.status).toBe(200);
      expect((await api('GET', '/api/v2/receivers')).json).toEqual([{ name: 'ops' }, { name: 'db-oncall' }]);
    } finally {
      fs.writeFileSync(file, good);
    }
  });
});
