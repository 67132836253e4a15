// Prometheus and Strata scraping the same targets, for the tests that compare what each makes of
// them (test/scrape-errors*.test.ts).
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { startPrometheus, type PrometheusProcess } from './prometheus.ts';
import { getJson, startStrata, type StrataProcess } from './server.ts';
import { until } from './until.ts';

/** Both started on the same prometheus.yml (Strata logging at debug, where its scrape failures go). */
export async function startBothScraping(dir: string, prometheusYml: string): Promise<{ prom: PrometheusProcess; strata: StrataProcess }> {
  const prom = await startPrometheus(path.join(dir, 'prometheus'), 30_000, prometheusYml);
  const strataYml = path.join(dir, 'strata.yml');
  fs.writeFileSync(strataYml, `log: { level: debug }\n${prometheusYml}`);
  const strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', strataYml] });
  return { prom, strata };
}

export interface TargetState {
  health: string;
  lastError: string;
}

/** Scrape pool -> the state of its active target, once `ready` holds for what /api/v1/targets says. */
export function activeTargets(url: string, ready: (byPool: Record<string, TargetState>) => boolean): Promise<Record<string, TargetState>> {
  return until(`the targets of ${url}`, async () => {
    const r = await getJson(`${url}/api/v1/targets?state=active`);
    const out: Record<string, TargetState> = {};
    for (const t of r.body.data.activeTargets as ({ scrapePool: string } & TargetState)[]) out[t.scrapePool] = { health: t.health, lastError: t.lastError };
    return ready(out) ? out : null;
  }, 20_000);
}

export interface ExporterSideBySide {
  prom: PrometheusProcess;
  strata: StrataProcess;
  /** Stops both and the exporter. */
  stop(): Promise<void>;
}

/**
 * An exporter serving each job's body at /<job> (`handle` decides), and Prometheus and Strata
 * scraping every job from it each second; `jobConfig` adds settings to a job's scrape config.
 */
export async function startExporterSideBySide(dir: string, jobs: string[], handle: http.RequestListener, jobConfig: Record<string, string> = {}): Promise<ExporterSideBySide> {
  const server = http.createServer(handle);
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  const prometheusYml = ['global: { scrape_interval: 1s, scrape_timeout: 500ms }', 'scrape_configs:',
    ...jobs.map((j) => `  - { job_name: ${j}, ${jobConfig[j] ?? ''}metrics_path: /${j}, static_configs: [{ targets: ["${addr}"] }] }`)].join('\n') + '\n';
  const { prom, strata } = await startBothScraping(dir, prometheusYml);
  return {
    prom,
    strata,
    async stop() {
      await strata.stop('SIGKILL');
      await prom.stop();
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Scrape pool -> [health, lastError] once every job in `want` has been scraped. */
export async function targetStates(url: string, want: string[]): Promise<Record<string, [string, string]>> {
  const byPool = await activeTargets(url, (ts) => want.every((j) => ts[j] !== undefined && ts[j].health !== 'unknown'));
  return Object.fromEntries(Object.entries(byPool).map(([j, t]) => [j, [t.health, t.lastError]]));
}
