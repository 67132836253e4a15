// The Alertmanager sets' service discovery in prometheus_sd_*, side by side with Prometheus 2.42 on
// the same prometheus.yml: prometheus_sd_discovered_targets has a series per set under
// name="notify" (config="config-<index>") beside the scrape jobs' name="scrape" ones, and the
// Alertmanager sets' file_sd read errors count in prometheus_sd_file_read_errors_total, as
// Prometheus' second discovery manager (the notifier's) registers them.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from './helpers/prometheus.ts';
import { startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

// Closed loopback ports: nothing is sent or scraped successfully, only discovered.
const prometheusYml = `
global: { scrape_interval: 1h }
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["127.0.0.1:1", "127.0.0.1:2"] }]
    - static_configs: [{ targets: ["127.0.0.1:3"] }]
      file_sd_configs: [{ files: [am.json, broken.json], refresh_interval: 1s }]
      relabel_configs: [{ action: drop, source_labels: [__address__], regex: "127.0.0.1:5" }]
scrape_configs:
  - job_name: j
    static_configs: [{ targets: ["127.0.0.1:6"] }]
`;

/** The prometheus_sd_* lines of /metrics: HELP and TYPE lines, and sample lines (name{labels} value). */
async function sd(url: string): Promise<{ meta: string[]; samples: Map<string, number> }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const meta: string[] = [];
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (/^# (HELP|TYPE) prometheus_sd_/.test(line)) meta.push(line);
    const m = /^(prometheus_sd_\S+) (\S+)$/.exec(line);
    if (m) samples.set(m[1], Number(m[2]));
  }
  return { meta, samples };
}

const WANT = {
  'prometheus_sd_discovered_targets{config="config-0",name="notify"}': 2,
  // The static target, and file_sd's two (one then dropped by relabelling: discovered all the same).
  'prometheus_sd_discovered_targets{config="config-1",name="notify"}': 3,
  'prometheus_sd_discovered_targets{config="j",name="scrape"}': 1,
};

describe('Alertmanager discovery in prometheus_sd_* side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;

  beforeAll(async () => {
    dir = tempDir('strata-am-sd-metrics-');
    fs.writeFileSync(path.join(dir, 'am.json'), JSON.stringify([{ targets: ['127.0.0.1:4', '127.0.0.1:5'] }]));
    fs.writeFileSync(path.join(dir, 'broken.json'), '[{ "targets": ');
    fs.writeFileSync(path.join(dir, 'strata.yml'), `${prometheusYml}
notifier: { enabled: false }
self_monitoring: { enabled: false }
`);
    strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
    skip = await prometheusForComparison('the Prometheus comparison');
    if (skip) return;
    prom = await startPrometheus(dir, 30_000, prometheusYml);
  }, 120_000);

  afterAll(async () => {
    await strata?.stop();
    await prom?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** /metrics once every set's and job's targets are discovered and the broken file was read. */
  const discovered = (url: string) => until(`discovered targets in ${url}/metrics`, async () => {
    const m = await sd(url);
    const done = Object.entries(WANT).every(([k, v]) => m.samples.get(k) === v) && (m.samples.get('prometheus_sd_file_read_errors_total') ?? 0) > 0;
    return done ? m : undefined;
  }, 20_000);

  it('counts each Alertmanager set\'s discovered targets under name="notify", and its file_sd read errors', async () => {
    const ours = await discovered(strata.url);
    const series = (m: { samples: Map<string, number> }) => [...m.samples.keys()].filter((k) => k.startsWith('prometheus_sd_discovered_targets')).sort();
    expect(series(ours)).toEqual(Object.keys(WANT).sort());
    if (skip) return;
    const theirs = await discovered(prom!.url);
    expect(series(ours)).toEqual(series(theirs));
    // Help and type of the families Strata has are Prometheus' (2.42 has more: per-mechanism
    // families Strata does not implement, prometheus_sd_received_updates_total and the like).
    const ourFamilies = new Set(ours.meta.map((l) => l.split(' ')[2]));
    // (Families in any order: Prometheus sorts them by name, Strata's /metrics lists them as registered.)
    expect([...ours.meta].sort()).toEqual(theirs.meta.filter((l) => ourFamilies.has(l.split(' ')[2])).sort());
    expect(ourFamilies).toEqual(new Set(['prometheus_sd_discovered_targets', 'prometheus_sd_dns_lookup_failures_total', 'prometheus_sd_dns_lookups_total', 'prometheus_sd_file_read_errors_total', 'prometheus_sd_http_failures_total']));
  }, 60_000);
});
