// Helpers shared by the scrape tests: a recording Appendable, local HTTP targets, config snippets.
import { createServer, globalAgent as httpAgent, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { globalAgent as httpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { parseConfig, type ScrapeConfig } from '../config/index.ts';
import { isStaleNaN, labelsToString, type SampleBatch } from '../model/index.ts';
import type { AppendResult, Appendable } from '../tsdb/index.ts';
import { staticGroups } from '../discovery/index.ts';
import { ScrapeManager, type ScrapeManagerOptions } from './index.ts';
import { ScrapeLoop, acceptHeader } from './loop.ts';
import { targetsFromGroups } from './targets.ts';

export interface Sample {
  series: string;
  t: number;
  v: number;
}

/** An Appendable that keeps every batch; `rejected` is what each append reports refused. */
export class Recorder implements Appendable {
  batches: SampleBatch[] = [];
  rejected: Record<string, number> = {};
  async append(b: SampleBatch): Promise<AppendResult> {
    this.batches.push(b);
    return { appended: b.offsets[b.series.length], duplicates: 0, seriesCreated: 0, rejected: { ...this.rejected }, errors: [] };
  }
  samples(): Sample[] {
    const out: Sample[] = [];
    for (const b of this.batches) {
      for (let i = 0; i < b.series.length; i++) {
        for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) out.push({ series: labelsToString(b.series[i]), t: b.timestamps[j], v: b.values[j] });
      }
    }
    return out;
  }
  /** Values of one series over all batches, STALE_NAN as 'stale'. */
  values(series: string): (number | 'stale')[] {
    return this.samples().filter((s) => s.series === series).map((s) => (isStaleNaN(s.v) ? 'stale' : s.v));
  }
  /** Timestamps of one series over all batches. */
  times(series: string): number[] {
    return this.samples().filter((s) => s.series === series).map((s) => s.t);
  }
}

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Undone, last first, by runCleanups (each test file calls it in afterEach). */
export const cleanups: (() => Promise<void> | void)[] = [];

export async function runCleanups(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c();
}

export async function serve(h: Handler): Promise<string> {
  const server: Server = createServer(h);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export function jobs(yaml: string): ScrapeConfig[] {
  return parseConfig(yaml, 'test.yml').config.scrapeConfigs;
}

export function manager(rec: Appendable, opts: Partial<ScrapeManagerOptions> = {}): ScrapeManager {
  const m = new ScrapeManager({ appendable: rec, ...opts });
  cleanups.push(() => m.stop());
  return m;
}

export async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const text = (body: string, type = 'text/plain; version=0.0.4'): Handler => (_req, res) => {
  res.writeHead(200, { 'Content-Type': type });
  res.end(body);
};

/**
 * A loop over one local target serving `body()`, stepped by the test: each scrape is for a slot,
 * starting `late` ms after it by the loop's clock (no timers involved).
 */
export async function steppedLoop(interval: string, body: () => string = () => 'a 1\n', toleranceMs = 2) {
  const addr = await serve((req, res) => text(body())(req, res));
  const [cfg] = jobs(`scrape_configs: [{ job_name: j, scrape_interval: ${interval}, static_configs: [{ targets: ["${addr}"] }] }]`);
  const [target] = targetsFromGroups(cfg, staticGroups(cfg.staticConfigs), []).active;
  const rec = new Recorder();
  const clock = { now: 0 };
  const loop = new ScrapeLoop(target, {
    cfg, metricRelabel: [], appendable: rec, agents: { http: httpAgent, https: httpsAgent }, headers: async () => ({}),
    userAgent: 'test', accept: acceptHeader(cfg.scrapeProtocols), now: () => clock.now, timestampToleranceMs: toleranceMs,
  });
  const scrape = async (slot: number, late: number) => {
    clock.now = slot + late;
    await loop.scrapeOnce(slot);
  };
  return { rec, loop, scrape, labels: `{instance="${addr}", job="j"}`, series: `a{instance="${addr}", job="j"}` };
}
