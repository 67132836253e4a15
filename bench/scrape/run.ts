// How many node_exporter-sized targets (about 1,000 samples each) one Strata process scrapes at a
// given interval: the real scrape manager and storage engine in this process, the targets served
// by a separate process (bench/scrape/target.ts) so only Strata's CPU is counted.
//   node_modules/.bin/node bench/scrape/run.ts --targets 500,1000,2000 --interval 10s --rounds 3
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { parseConfig } from '../../src/config/index.ts';
import { getLabel, type SampleBatch } from '../../src/model/index.ts';
import { ScrapeManager } from '../../src/scrape/index.ts';
import { openDB } from '../../src/tsdb/index.ts';

const { values: args } = parseArgs({
  options: {
    targets: { type: 'string', default: '500,1000,2000' },
    interval: { type: 'string', default: '10s' },
    rounds: { type: 'string', default: '3' },
    // Discard samples instead of storing them: the scrape path alone.
    'no-db': { type: 'boolean', default: false },
    // Write a CPU profile of the measured window (steady state only) to this file.
    profile: { type: 'string' },
  },
});
const counts = args.targets.split(',').map(Number);
const rounds = Number(args.rounds);

const target = spawn(process.execPath, [path.join(import.meta.dirname, 'target.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
const info = await new Promise<{ port: number; samples: number }>((resolve) => {
  target.stdout!.once('data', (d: Buffer) => resolve(JSON.parse(d.toString()) as { port: number; samples: number }));
});
process.on('exit', () => target.kill());

const pct = (xs: number[], p: number) => (xs.length === 0 ? NaN : [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))]);
const rows: string[] = [];
for (const n of counts) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-scrape-'));
  const db = await openDB({ dir, logger: pino({ level: 'warn' }), retentionMs: 0, walFsync: 'interval' });
  let measuring = false;
  const durations: number[] = [];
  const appendMs: number[] = [];
  let ok = 0;
  let failed = 0;
  let samples = 0;
  // Failed scrapes before the measurement: first scrapes that timed out while the round created its series.
  let warmupFailed = 0;
  const appendable = {
    append(b: SampleBatch) {
      if (!measuring) {
        for (let i = b.series.length - 1; i >= 0 && i >= b.series.length - 5; i--) {
          if (getLabel(b.series[i], '__name__') === 'up' && b.values[b.offsets[i]] === 0) warmupFailed++;
        }
      }
      if (measuring) {
        samples += b.offsets[b.series.length];
        for (let i = b.series.length - 1; i >= 0 && i >= b.series.length - 5; i--) {
          const name = getLabel(b.series[i], '__name__');
          if (name === 'scrape_duration_seconds') durations.push(b.values[b.offsets[i]] * 1000);
          if (name === 'up') b.values[b.offsets[i]] === 1 ? ok++ : failed++;
        }
      }
      if (args['no-db']) return Promise.resolve({ appended: 0, duplicates: 0, seriesCreated: 0, rejected: {}, errors: [] });
      const started = performance.now();
      return db.append(b).finally(() => appendMs.push(performance.now() - started));
    },
  };
  const groups = Array.from({ length: n }, (_, i) => `      - { targets: ["127.0.0.1:${info.port}"], labels: { host: "h${i}" } }`);
  const cfg = parseConfig([
    'scrape_configs:',
    '  - job_name: node',
    `    scrape_interval: ${args.interval}`,
    '    static_configs:',
    ...groups,
  ].join('\n'), 'bench.yml').config;
  const intervalMs = cfg.scrapeConfigs[0].scrapeIntervalMs;
  const m = new ScrapeManager({ appendable, logger: pino({ level: 'warn' }) });
  await m.applyConfig(cfg.scrapeConfigs);
  // Warm-up: every target scraped successfully once (creating its series is a one-off cost),
  // then one more interval; the measurement is the steady state after that.
  const warm0 = performance.now();
  while (m.targets().active.filter((t) => t.status.health === 'up').length < n && performance.now() - warm0 < 20 * intervalMs) {
    await new Promise((r) => setTimeout(r, 200));
  }
  const warmupS = Math.round((performance.now() - warm0) / 100) / 10;
  await new Promise((r) => setTimeout(r, intervalMs));
  const session = args.profile ? new Session() : null;
  if (session) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const eld = monitorEventLoopDelay({ resolution: 10 });
  eld.enable();
  measuring = true;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, rounds * intervalMs));
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - t0;
  measuring = false;
  eld.disable();
  if (session) {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(args.profile!, JSON.stringify(profile));
    session.disconnect();
  }
  await m.stop();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const scrapes = ok + failed;
  const row = {
    targets: n,
    samplesPerTarget: info.samples,
    scrapes,
    failed,
    samplesPerSec: Math.round(samples / (wall / 1000)),
    cpuPctOfOneCore: Math.round((cpuMs / wall) * 1000) / 10,
    cpuMsPerScrape: Math.round((cpuMs / Math.max(1, scrapes)) * 100) / 100,
    scrapeMsP50: Math.round(pct(durations, 0.5) * 10) / 10,
    scrapeMsP99: Math.round(pct(durations, 0.99) * 10) / 10,
    eventLoopDelayP99Ms: Math.round(eld.percentile(99) / 1e5) / 10,
    appendMsP50: Math.round(pct(appendMs, 0.5) * 10) / 10,
    appendMsP99: Math.round(pct(appendMs, 0.99) * 10) / 10,
    heapMB: Math.round(process.memoryUsage().heapUsed / 1048576),
    warmupS,
    warmupFailed,
  };
  process.stderr.write(`${JSON.stringify(row)}\n`);
  rows.push(`| ${n} | ${row.scrapes} | ${row.failed} | ${row.samplesPerSec} | ${row.cpuPctOfOneCore}% | ${row.cpuMsPerScrape} | ${row.scrapeMsP50} / ${row.scrapeMsP99} | ${row.eventLoopDelayP99Ms} |`);
}
process.stdout.write([
  `Scrape interval ${args.interval}, ${info.samples} samples per target, ${rounds} rounds measured after one warm-up round.`,
  '',
  '| targets | scrapes | failed | samples/s | CPU (one core) | CPU ms / scrape | scrape ms p50 / p99 | event-loop delay p99 ms |',
  '|---|---|---|---|---|---|---|---|',
  ...rows,
  '',
].join('\n'));
target.kill();
