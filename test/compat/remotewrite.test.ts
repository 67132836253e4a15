// A real Prometheus (the Debian package, 2.42) scrapes a small local target every second and
// remote-writes what it scrapes into the real `strata server`. Afterwards the raw samples of the
// job — the target's series and the synthetic ones Prometheus adds per scrape (up,
// scrape_duration_seconds, ...) — are read from both over the same time range: the same series
// with the same timestamps and values must be in both. A series that the target stops exposing
// exercises the staleness markers Prometheus forwards.
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';

interface RawSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

const JOB = 'rwcompat';
const SCRAPES = 6;

/** The target's answer to its n-th scrape: counters grow, a gauge moves, one series goes away. */
function exposition(n: number): string {
  const lines = [
    '# HELP rw_requests_total Requests served.',
    '# TYPE rw_requests_total counter',
    `rw_requests_total{path="/a",code="200"} ${n * 3}`,
    `rw_requests_total{path="/b",code="500"} ${n}`,
    '# TYPE rw_temperature gauge',
    `rw_temperature{room="lab"} ${(20 + Math.sin(n) * 2.5).toFixed(6)}`,
    '# TYPE rw_latency_seconds histogram',
    `rw_latency_seconds_bucket{le="0.1"} ${n}`,
    `rw_latency_seconds_bucket{le="1"} ${2 * n}`,
    `rw_latency_seconds_bucket{le="+Inf"} ${2 * n + 1}`,
    `rw_latency_seconds_sum ${(n * 0.37).toFixed(2)}`,
    `rw_latency_seconds_count ${2 * n + 1}`,
  ];
  // Present in the first scrapes only: Prometheus writes a staleness marker when it vanishes.
  if (n <= 3) lines.push(`rw_short_lived{phase="start"} ${n}`);
  return lines.join('\n') + '\n';
}

async function rawSamples(base: string, time: number, windowS: number): Promise<RawSeries[]> {
  const params = new URLSearchParams({ query: `{job="${JOB}"}[${windowS}s]`, time: (time / 1000).toFixed(3) });
  const r = await fetch(`${base}/api/v1/query?${params}`);
  const body = (await r.json()) as { status: string; data: { resultType: string; result: RawSeries[] }; error?: string };
  if (body.status !== 'success') throw new Error(`${base}: ${body.error}`);
  expect(body.data.resultType).toBe('matrix');
  return body.data.result
    .map((s) => ({ metric: s.metric, values: s.values.map(([t, v]) => [Number(t), v] as [number, string]) }))
    .sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

/** Values as numbers (the text of a float may legitimately differ), timestamps as given. */
function normalise(ss: RawSeries[]) {
  return ss.map((s) => ({ metric: s.metric, t: s.values.map((p) => p[0]), v: s.values.map((p) => Number(p[1])) }));
}

describe('Prometheus remote-writing into Strata (Debian package, 2.42)', () => {
  let skipReason: string | null = null;
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let target: Server | undefined;
  let dir = '';
  let scrapes = 0;

  beforeAll(async () => {
    skipReason = await prometheusForComparison('the remote-write comparison');
    if (skipReason) return;
    dir = tempDir('strata-rwcompat-');
    target = createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.writeHead(404).end();
        return;
      }
      scrapes++;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(exposition(scrapes));
    });
    await new Promise<void>((resolve) => target!.listen(0, '127.0.0.1', resolve));
    const targetPort = (target.address() as { port: number }).port;

    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, 'self_monitoring:\n  enabled: false\n');
    strata = await startStrata({ dataDir: path.join(dir, 'strata'), args: ['--config', cfg] });
    prom = await startPrometheus(path.join(dir, 'prometheus'), 30_000, [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      `  - job_name: ${JOB}`,
      '    static_configs:',
      `      - targets: ['127.0.0.1:${targetPort}']`,
      'remote_write:',
      `  - url: ${strata.url}/api/v1/write`,
      '    queue_config:',
      '      batch_send_deadline: 200ms',
      '      min_backoff: 50ms',
      '      max_backoff: 500ms',
      '',
    ].join('\n'));
  }, 60_000);

  afterAll(async () => {
    await prom?.stop();
    await strata?.stop();
    await new Promise<void>((resolve) => (target ? target.close(() => resolve()) : resolve()));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lands the same series, timestamps and values in Prometheus and in Strata', async (ctx) => {
    if (skipReason) ctx.skip();
    const deadline = Date.now() + 25_000;
    while (scrapes < SCRAPES + 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(scrapes, `Prometheus scraped the target ${scrapes} times in 25 s; its log:\n${prom!.log()}`).toBeGreaterThan(SCRAPES);
    // A fixed range ending now: Prometheus has all of it; Strata may still be receiving the last batch.
    const at = Date.now();
    const window = 60;
    const want = normalise(await rawSamples(prom!.url, at, window));
    let got = normalise(await rawSamples(strata!.url, at, window));
    while (JSON.stringify(got) !== JSON.stringify(want) && Date.now() < deadline + 5_000) {
      await new Promise((r) => setTimeout(r, 250));
      got = normalise(await rawSamples(strata!.url, at, window));
    }

    // What Prometheus holds is what the test expects before anything is compared with Strata.
    const names = new Set(want.map((s) => s.metric.__name__));
    for (const n of ['rw_requests_total', 'rw_temperature', 'rw_latency_seconds_bucket', 'rw_latency_seconds_sum', 'rw_latency_seconds_count',
      'rw_short_lived', 'up', 'scrape_duration_seconds', 'scrape_samples_scraped']) expect(names).toContain(n);
    const req = want.find((s) => s.metric.__name__ === 'rw_requests_total' && s.metric.path === '/a')!;
    expect(req.t.length).toBeGreaterThanOrEqual(SCRAPES);
    expect(req.v.every((v, i) => i === 0 || v === req.v[i - 1] + 3)).toBe(true);
    expect(want.find((s) => s.metric.__name__ === 'rw_short_lived')!.v).toEqual([1, 2, 3]);

    expect(got).toEqual(want);
    // The staleness marker arrived too: the vanished series is gone from an instant query at the end.
    const instant = await fetch(`${strata!.url}/api/v1/query?${new URLSearchParams({ query: 'rw_short_lived', time: (at / 1000).toFixed(3) })}`);
    expect(((await instant.json()) as { data: { result: unknown[] } }).data.result).toEqual([]);
  }, 40_000);
});
