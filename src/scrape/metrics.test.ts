// The scrape manager's own metrics, under Prometheus' names, move with what the scrapes meet.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { Recorder, cleanups, jobs, manager, runCleanups, serve, text, until } from './testing.ts';

afterEach(runCleanups);

/** The value of one sample line of the registry's exposition (`name{labels}`), NaN when absent. */
async function value(registry: Registry, series: string): Promise<number> {
  const out = await registry.metrics();
  const line = out.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? NaN : Number(line.slice(series.length + 1));
}

describe('scrape metrics', () => {
  it('count limits hit, refused samples, pools, targets, syncs, intervals and SD failures', async () => {
    const ok = await serve(text('a 1\nb 2\nc 3\n'));
    const big = await serve(text(`big ${'1'.repeat(4096)}\n`));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sdm-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'bad.json'), '[{ "targets": [');
    const sd = await serve((_req, res) => {
      res.writeHead(500);
      res.end();
    });
    const registry = new Registry();
    const rec = new Recorder();
    const m = manager(rec, { registry });
    // Zero before anything happened (dashboards see the series from the start).
    expect(await value(registry, 'prometheus_target_scrapes_exceeded_sample_limit_total')).toBe(0);
    // Every append reports two samples out of order, as storage does for a target with clock trouble.
    rec.rejected = { out_of_order: 2 };
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: fine, scrape_interval: 100ms, static_configs: [{ targets: ["${ok}"] }, { targets: ["${ok}"], labels: { copy: "2" } }] }`,
      `  - { job_name: limited, scrape_interval: 100ms, sample_limit: 2, static_configs: [{ targets: ["${ok}"] }] }`,
      `  - { job_name: big, scrape_interval: 100ms, body_size_limit: 1KB, static_configs: [{ targets: ["${big}"] }] }`,
      `  - { job_name: files, file_sd_configs: [{ files: ["${dir}/*.json"], refresh_interval: 100ms }] }`,
      `  - { job_name: http, http_sd_configs: [{ url: "http://${sd}/", refresh_interval: 100ms }] }`,
    ].join('\n')));
    expect(await value(registry, 'prometheus_target_scrape_pools_total')).toBe(5);
    expect(await value(registry, 'prometheus_target_scrape_pool_targets{scrape_job="fine"}')).toBe(2);
    expect(await value(registry, 'prometheus_target_scrape_pool_targets{scrape_job="files"}')).toBe(0);
    expect(await value(registry, 'prometheus_sd_discovered_targets{config="fine",name="scrape"}')).toBe(2);
    expect(await value(registry, 'prometheus_target_sync_length_seconds_count{scrape_job="fine"}')).toBeGreaterThanOrEqual(1);

    await until('limits hit', () => m.targets().active.filter((t) => t.status.health === 'down').length === 2);
    expect(await value(registry, 'prometheus_target_scrapes_exceeded_sample_limit_total')).toBeGreaterThanOrEqual(1);
    expect(await value(registry, 'prometheus_target_scrapes_exceeded_body_size_limit_total')).toBeGreaterThanOrEqual(1);
    expect(await value(registry, 'prometheus_target_scrapes_sample_out_of_order_total')).toBeGreaterThanOrEqual(2);

    // The second scrape of a target gives the first interval.
    await until('an interval observed', async () => (await value(registry, 'prometheus_target_interval_length_seconds_count{interval="100ms"}')) > 0);
    const median = await value(registry, 'prometheus_target_interval_length_seconds{quantile="0.5",interval="100ms"}');
    expect(median).toBeGreaterThan(0.05);

    await until('SD failures counted', async () => (await value(registry, 'prometheus_sd_file_read_errors_total')) > 0
      && (await value(registry, 'prometheus_sd_http_failures_total')) > 0);
  });
});
