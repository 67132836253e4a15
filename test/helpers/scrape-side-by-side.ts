// Prometheus and Strata scraping the same targets, for the tests that compare what each makes of
// them (test/scrape-errors*.test.ts).
import * as fs from 'node:fs';
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
