// Scraping through the real server process: a prometheus.yml with scrape_configs, the targets API,
// reload by POST /-/reload and by SIGHUP, and a real node_exporter (Debian package) scraped.
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureNodeExporter, startNodeExporter, type NodeExporterProcess } from './helpers/nodeexporter.ts';
import { getJson, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

describe('scraping in the server', () => {
  let dir: string;
  let cfg: string;
  let s: StrataProcess;
  let target: Server;
  let targetAddr: string;

  beforeAll(async () => {
    dir = tempDir('strata-scrape-');
    target = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('# TYPE app_things gauge\n# HELP app_things Things.\napp_things{kind="a"} 3\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(cfg, [
      'global: { scrape_interval: 200ms }',
      'scrape_configs:',
      `  - { job_name: app, static_configs: [{ targets: ["${targetAddr}"] }] }`,
      `  - { job_name: gone, static_configs: [{ targets: ["nothing.invalid:1"] }], relabel_configs: [{ source_labels: [__address__], regex: "nothing.*", action: drop }] }`,
    ].join('\n'));
    s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
  });

  afterAll(async () => {
    await s?.stop('SIGKILL');
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the configured job and itself, and lists targets as Prometheus does', async () => {
    const t = await until('app up', async () => {
      const r = await getJson(`${s.url}/api/v1/targets`);
      const app = r.body.data.activeTargets.find((x: any) => x.scrapePool === 'app');
      return app?.health === 'up' ? r.body.data : null;
    });
    const app = t.activeTargets.find((x: any) => x.scrapePool === 'app');
    expect(app).toMatchObject({
      labels: { instance: targetAddr, job: 'app' },
      discoveredLabels: { __address__: targetAddr, __metrics_path__: '/metrics', __scheme__: 'http', __scrape_interval__: '200ms', job: 'app' },
      scrapeUrl: `http://${targetAddr}/metrics`,
      lastError: '',
      scrapeInterval: '200ms',
      scrapeTimeout: '200ms',
    });
    expect(Date.parse(app.lastScrape)).toBeGreaterThan(Date.now() - 60_000);
    expect(typeof app.lastScrapeDuration).toBe('number');
    expect(t.activeTargets.map((x: any) => x.scrapePool).sort()).toEqual(['app', 'strata']);
    expect(t.droppedTargets).toEqual([expect.objectContaining({ discoveredLabels: expect.objectContaining({ __address__: 'nothing.invalid:1', job: 'gone' }) })]);
    const only = await getJson(`${s.url}/api/v1/targets?state=dropped`);
    expect(only.body.data.activeTargets).toEqual([]);

    const q = await until('app_things stored', async () => {
      const r = await getJson(`${s.url}/api/v1/query?${query({ query: 'app_things' })}`);
      return r.body.data.result.length > 0 ? r.body.data.result : null;
    });
    expect(q).toEqual([{ metric: { __name__: 'app_things', instance: targetAddr, job: 'app', kind: 'a' }, value: [expect.any(Number), '3'] }]);
    const up = await getJson(`${s.url}/api/v1/query?${query({ query: 'up' })}`);
    expect(up.body.data.result.map((r: any) => [r.metric.job, r.value[1]]).sort()).toEqual([['app', '1'], ['strata', '1']]);
    // Scraped metadata is served.
    const md = await getJson(`${s.url}/api/v1/metadata?metric=app_things`);
    expect(md.body.data).toEqual({ app_things: [{ type: 'gauge', help: 'Things.', unit: '' }] });
  });

  it('reloads on POST /-/reload and SIGHUP, refusing a bad config with its position', async () => {
    fs.writeFileSync(cfg, [
      'global: { scrape_interval: 200ms }',
      'scrape_configs:',
      `  - { job_name: renamed, static_configs: [{ targets: ["${targetAddr}"] }] }`,
    ].join('\n'));
    const r = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(r.status).toBe(200);
    const pools = (await getJson(`${s.url}/api/v1/targets`)).body.data.activeTargets.map((x: any) => x.scrapePool).sort();
    expect(pools).toEqual(['renamed', 'strata']);
    // The old job's series were marked stale: an instant query no longer finds them.
    const gone = await getJson(`${s.url}/api/v1/query?${query({ query: 'app_things{job="app"}' })}`);
    expect(gone.body.data.result).toEqual([]);

    fs.writeFileSync(cfg, 'scrape_configs:\n  - job_name: x\n    scrape_intervall: 1s\n');
    const bad = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: string }).error).toMatch(/prometheus\.yml:3:5: scrape_configs\[0\]\.scrape_intervall: unknown field/);

    fs.writeFileSync(cfg, [
      'global: { scrape_interval: 200ms }',
      'scrape_configs:',
      `  - { job_name: by_signal, static_configs: [{ targets: ["${targetAddr}"] }] }`,
    ].join('\n'));
    s.proc.kill('SIGHUP');
    await until('reloaded by SIGHUP', async () => {
      const d = (await getJson(`${s.url}/api/v1/targets`)).body.data;
      return d.activeTargets.some((x: any) => x.scrapePool === 'by_signal');
    });
  });
});

describe('scrape_config_files in the server', () => {
  let dir: string;
  let s: StrataProcess;
  let target: Server;
  let targetAddr: string;

  beforeAll(async () => {
    dir = tempDir('strata-scrape-files-');
    target = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('included_things 7\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    targetAddr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'global: { scrape_interval: 200ms }\nscrape_config_files: [conf.d/*.yml]\n');
    fs.writeFileSync(path.join(dir, 'conf.d', 'one.yml'), `scrape_configs:\n  - { job_name: one, static_configs: [{ targets: ["${targetAddr}"] }] }\n`);
    s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'prometheus.yml')] });
  });

  afterAll(async () => {
    await s?.stop('SIGKILL');
    await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes the jobs of the included files, picks up a new file on reload and names a bad one\'s line', async () => {
    await until('included job stored', async () => {
      const r = await getJson(`${s.url}/api/v1/query?${query({ query: 'included_things{job="one"}' })}`);
      return r.body.data.result.length > 0;
    });
    fs.writeFileSync(path.join(dir, 'conf.d', 'two.yml'), `scrape_configs:\n  - job_name: two\n    static_configs: [{ targets: ["${targetAddr}"] }]\n`);
    expect((await fetch(`${s.url}/-/reload`, { method: 'POST' })).status).toBe(200);
    const pools = (await getJson(`${s.url}/api/v1/targets`)).body.data.activeTargets.map((x: any) => x.scrapePool).sort();
    expect(pools).toEqual(['one', 'strata', 'two']);
    // The scrape manager's own metrics, under Prometheus' names, in the server's /metrics.
    const metrics = await until('a second scrape of a target', async () => {
      const text = await (await fetch(`${s.url}/metrics`)).text();
      return /^prometheus_target_interval_length_seconds_count\{interval="200ms"\} [1-9]/m.test(text) ? text : null;
    });
    expect(metrics).toMatch(/^prometheus_target_scrape_pool_targets\{scrape_job="two"\} 1$/m);

    fs.writeFileSync(path.join(dir, 'conf.d', 'two.yml'), 'scrape_configs:\n  - job_name: two\n    scrape_interval: often\n');
    const bad = await fetch(`${s.url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    const err = ((await bad.json()) as { error: string }).error;
    expect(err).toContain(`${path.join(dir, 'conf.d', 'two.yml')}:3:22: scrape_configs[0].scrape_interval: invalid duration "often"`);
  });
});

describe('a real node_exporter scraped by Strata', () => {
  let skip: string | null = null;
  let ne: NodeExporterProcess | undefined;
  let s: StrataProcess | undefined;
  let dir: string;

  beforeAll(async () => {
    skip = await ensureNodeExporter();
    if (skip) return;
    ne = await startNodeExporter();
    dir = tempDir('strata-node-');
    const cfg = path.join(dir, 'prometheus.yml');
    fs.writeFileSync(cfg, `scrape_configs:\n  - { job_name: node, scrape_interval: 1s, static_configs: [{ targets: ["${ne.address}"] }] }\n`);
    s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
  }, 600_000);

  afterAll(async () => {
    await s?.stop('SIGKILL');
    await ne?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('stores every metric node_exporter exposes, with its values', async (ctx) => {
    if (skip) {
      ctx.skip();
      return;
    }
    const strata = s!;
    await until('node up', async () => {
      const r = await getJson(`${strata.url}/api/v1/query?${query({ query: 'up{job="node"}' })}`);
      return r.body.data.result[0]?.value[1] === '1';
    });
    const direct = await (await fetch(`http://${ne!.address}/metrics`)).text();
    const names = new Set<string>();
    for (const line of direct.split('\n')) {
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
      if (m) names.add(m[1]);
    }
    expect(names.size).toBeGreaterThan(50);
    const stored = await getJson(`${strata.url}/api/v1/label/__name__/values?${query({ 'match[]': '{job="node"}' })}`);
    const report = ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up'];
    expect(new Set<string>(stored.body.data.filter((n: string) => !report.includes(n)))).toEqual(names);
    // Values that do not change between two reads are stored exactly as exposed.
    for (const metric of ['node_boot_time_seconds', 'node_memory_MemTotal_bytes']) {
      const m = new RegExp(`^${metric} (\\S+)$`, 'm').exec(direct);
      if (!m) continue;
      const r = await getJson(`${strata.url}/api/v1/query?${query({ query: `${metric}{job="node"}` })}`);
      expect(Number(r.body.data.result[0].value[1])).toBe(Number(m[1]));
    }
    const count = await getJson(`${strata.url}/api/v1/query?${query({ query: 'scrape_samples_scraped{job="node"}' })}`);
    const samples = direct.split('\n').filter((l) => l !== '' && !l.startsWith('#')).length;
    // The sample count of a scrape a moment apart may differ by a few (e.g. per-process series).
    expect(Math.abs(Number(count.body.data.result[0].value[1]) - samples)).toBeLessThan(samples * 0.05 + 5);
  });
});
