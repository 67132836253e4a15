// Rules in the running server: rule_files from the config evaluated on schedule, results and
// ALERTS stored, /api/v1/rules and /api/v1/alerts in Prometheus' shape, alerts posted to an
// Alertmanager from the `alerting` section, and reloads that keep the old rules on a bad file.
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeSeries } from './helpers/remotewrite.ts';
import { startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const dir = tempDir('strata-rules-');
let strata: StrataProcess;
let received: unknown[] = [];
let closeAm: () => void = () => undefined;

const RULES = `
groups:
  - name: demo
    interval: 1s
    rules:
      - record: job:temp:max
        expr: max by (job) (temp)
      - alert: TooHot
        expr: temp > 30
        labels: { severity: page }
        annotations: { summary: "{{ $labels.room }} is at {{ $value }} degrees" }
      - alert: SlowBurn
        expr: temp > 0
        for: 1h
`;

async function get(p: string): Promise<any> {
  const r = await fetch(`${strata.url}${p}`);
  return r.json();
}

beforeAll(async () => {
  const am = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      if (req.url === '/api/v2/alerts') received.push(...(JSON.parse(b) as unknown[]));
      res.end();
    });
  });
  await new Promise<void>((r) => am.listen(0, '127.0.0.1', r));
  closeAm = () => am.close();
  fs.writeFileSync(path.join(dir, 'rules.yml'), RULES);
  fs.writeFileSync(path.join(dir, 'strata.yml'), [
    'global: { evaluation_interval: 1s, external_labels: { dc: eu1 } }',
    'rule_files: [rules.yml]',
    `alerting: { alertmanagers: [{ static_configs: [{ targets: ["127.0.0.1:${(am.address() as AddressInfo).port}"] }] }] }`,
    'server: { external_url: "http://strata.example:9190" }',
    'self_monitoring: { enabled: false }',
  ].join('\n'));
  strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
  const now = Date.now();
  const samples = (v: number): [number, number][] => [0, 1, 2, 3, 4, 5].map((i) => [now - 5000 + i * 1000, v]);
  await writeSeries(strata.url, [
    { labels: { __name__: 'temp', job: 'sensors', room: 'kitchen' }, samples: samples(35) },
    { labels: { __name__: 'temp', job: 'sensors', room: 'cellar' }, samples: samples(12) },
  ]);
}, 60_000);

afterAll(async () => {
  await strata?.stop();
  closeAm();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('rules in the server', () => {
  it('evaluates the groups and answers /api/v1/rules in Prometheus shape', async () => {
    // The group starts with the server, before the test's samples are written: wait for an
    // evaluation that saw them, not just for the first one.
    const body = await until('every rule evaluated over the written samples', async () => {
      const b = await get('/api/v1/rules');
      const rules = b.data.groups[0]?.rules;
      const sawSamples = rules?.[1]?.alerts?.length === 1 && rules?.[2]?.alerts?.length === 2;
      return sawSamples && rules.every((r: any) => r.health === 'ok') ? b : undefined;
    });
    expect(body.status).toBe('success');
    const [g] = body.data.groups;
    expect(g).toMatchObject({ name: 'demo', file: path.join(dir, 'rules.yml'), interval: 1, limit: 0 });
    expect(g.rules.map((r: any) => [r.type, r.name, r.health])).toEqual([['recording', 'job:temp:max', 'ok'], ['alerting', 'TooHot', 'ok'], ['alerting', 'SlowBurn', 'ok']]);
    const hot = g.rules[1];
    expect(hot).toMatchObject({ state: 'firing', query: 'temp > 30', duration: 0, keepFiringFor: 0, labels: { severity: 'page' } });
    expect(hot.alerts).toEqual([{
      labels: { alertname: 'TooHot', job: 'sensors', room: 'kitchen', severity: 'page' },
      annotations: { summary: 'kitchen is at 35 degrees' },
      state: 'firing',
      activeAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/),
      value: '3.5e+01',
    }]);
    expect(g.rules[2].state).toBe('pending');
    expect(g.rules[2].alerts).toHaveLength(2);
    expect(typeof g.lastEvaluation).toBe('string');

    const alertsOnly = await get('/api/v1/rules?type=alert&exclude_alerts=true');
    expect(alertsOnly.data.groups[0].rules.map((r: any) => r.name)).toEqual(['TooHot', 'SlowBurn']);
    expect(alertsOnly.data.groups[0].rules[0].alerts).toBeUndefined();
  });

  it('stores recording results and ALERTS series', async () => {
    const q = (e: string) => get(`/api/v1/query?query=${encodeURIComponent(e)}`);
    const rec = await until('the recording rule result', async () => {
      const b = await q('job:temp:max');
      return b.data.result.length === 1 ? b : undefined;
    });
    expect(rec.data.result[0].metric).toEqual({ __name__: 'job:temp:max', job: 'sensors' });
    expect(rec.data.result[0].value[1]).toBe('35');
    // ALERTS are written once `for` state was restored, after the second evaluation.
    const alerts = await until('three ALERTS series', async () => {
      const b = await q('ALERTS');
      return b.data.result.length === 3 ? b : undefined;
    });
    expect(alerts.data.result.map((r: any) => `${r.metric.alertname}/${r.metric.alertstate}/${r.metric.room}`).sort())
      .toEqual(['SlowBurn/pending/cellar', 'SlowBurn/pending/kitchen', 'TooHot/firing/kitchen']);
  });

  it('lists active alerts at /api/v1/alerts and posts firing ones to the Alertmanager', async () => {
    const body = await get('/api/v1/alerts');
    expect(body.data.alerts.map((a: any) => `${a.labels.alertname}/${a.state}`).sort()).toEqual(['SlowBurn/pending', 'SlowBurn/pending', 'TooHot/firing']);
    await until('an alert at the Alertmanager', () => received.length > 0);
    expect(received[0]).toEqual({
      labels: { alertname: 'TooHot', job: 'sensors', room: 'kitchen', severity: 'page', dc: 'eu1' },
      annotations: { summary: 'kitchen is at 35 degrees' },
      startsAt: expect.any(String),
      endsAt: expect.any(String),
      generatorURL: 'http://strata.example:9190/graph?g0.expr=temp+%3E+30&g0.tab=1',
    });
  });

  it('keeps the running rules when a reload finds a bad rule file, and applies a good one', async () => {
    fs.writeFileSync(path.join(dir, 'rules.yml'), 'groups:\n  - name: demo\n    rules:\n      - alert: Broken\n        expr: temp >\n');
    const bad = await fetch(`${strata.url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: string }).error).toMatch(/rules\.yml:5:15: group "demo", rule 1 \(alert "Broken"\): expr: /);
    expect((await get('/api/v1/rules')).data.groups[0].rules).toHaveLength(3);

    fs.writeFileSync(path.join(dir, 'rules.yml'), 'groups:\n  - name: other\n    interval: 1s\n    rules:\n      - record: two\n        expr: vector(2)\n');
    const good = await fetch(`${strata.url}/-/reload`, { method: 'POST' });
    expect(good.status).toBe(200);
    const after = await get('/api/v1/rules');
    expect(after.data.groups.map((g: any) => g.name)).toEqual(['other']);
  });
});
