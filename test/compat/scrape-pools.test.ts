// GET /api/v1/scrape_pools side by side with Prometheus 2.42, on the same scrape_configs: the jobs
// with a scrape pool, by name — also one whose targets relabelling drops and one with no targets.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { getJson, startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const JOBS = `global:
  scrape_interval: 1h
scrape_configs:
  - job_name: zeta
    static_configs:
      - targets: ['127.0.0.1:1']
  - job_name: alpha
    static_configs:
      - targets: ['127.0.0.1:2', '127.0.0.1:3']
    relabel_configs:
      - action: drop
        regex: .*
        source_labels: [__address__]
  - job_name: Empty
    static_configs: []
  - job_name: files
    file_sd_configs:
      - files: ['does-not-exist-*.json']
`;

describe('/api/v1/scrape_pools compared with Prometheus 2.42', () => {
  let skipReason: string | null = null;
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let dir = '';

  beforeAll(async () => {
    skipReason = await prometheusForComparison('the scrape_pools comparison');
    if (skipReason) return;
    dir = tempDir('strata-scrapepools-');
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, `self_monitoring:\n  enabled: false\n${JOBS}`);
    [strata, prom] = await Promise.all([
      startStrata({ dataDir: path.join(dir, 'strata'), args: ['--config', cfg] }),
      startPrometheus(path.join(dir, 'prometheus'), 30_000, JOBS),
    ]);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), strata?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('lists the same pools, sorted by name', async (ctx) => {
    if (skipReason) ctx.skip();
    // Prometheus creates a pool when discovery first delivers the job's target groups (within ~5 s).
    const theirs = await until('Prometheus to create its scrape pools', async () => {
      const r = await getJson(`${prom!.url}/api/v1/scrape_pools`);
      return r.body.data.scrapePools.length === 3 ? r.body : false;
    }, 20_000);
    expect(theirs).toEqual({ status: 'success', data: { scrapePools: ['Empty', 'alpha', 'zeta'] } });
    const ours = (await getJson(`${strata!.url}/api/v1/scrape_pools`)).body;
    // Strata runs a pool for every job from the start; Prometheus not for a file_sd job whose
    // files do not exist yet (its discovery has delivered nothing for it).
    expect(ours).toEqual({ status: 'success', data: { scrapePools: ['Empty', 'alpha', 'files', 'zeta'] } });
    expect(ours.data.scrapePools.filter((p: string) => p !== 'files')).toEqual(theirs.data.scrapePools);
  }, 30_000);
});
