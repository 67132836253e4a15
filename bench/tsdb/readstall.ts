// How long a storage read holds the event loop: broad selectors over a head and a block of
// node_exporter-shaped series (~222 a host), read through the querier as queries do, while a
// setImmediate ticker notes the longest gap between two of its turns (what a scrape, a write or
// another query waiting on the event loop would have waited). Reads run in slices (readslices.ts):
// the gap should stay near the slice length whatever the selector. The gap is measured in the
// main thread's CPU time as well as in wall time (a busy machine stretches the wall time); of
// --runs reads of each selector the one with the shortest hold in CPU time is shown, and the
// median CPU time of a read. Garbage
// collection pauses count (a broad read allocates per series): the longest is shown too.
//   node_modules/.bin/node --expose-gc bench/tsdb/readstall.ts --series 300000,1000000
// --long-series N adds one series of N samples (a year at 15 s is 2.1M) and reads it alone.
// --both also reads the head and the block together (the same series and samples in both).
// --unique-label gives every series a label of its own value (uid), as pods' uids do.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { compareLabels, labelsFromRecord, SampleBatchBuilder, type Labels } from '../../src/model/index.ts';
import { parseSeriesSelector } from '../../src/promql/index.ts';
import { Head } from '../../src/tsdb/head/head.ts';
import { openBlock, writeBlock, type Block } from '../../src/tsdb/block/index.ts';
import { mergeQuerier } from '../../src/tsdb/querier.ts';
import type { Querier } from '../../src/tsdb/index.ts';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '300000,1000000' },
    runs: { type: 'string', default: '3' },
    'long-series': { type: 'string', default: '0' },
    only: { type: 'string', default: '' },
    both: { type: 'boolean', default: false },
    'unique-label': { type: 'boolean', default: false },
  },
});
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const SELECTORS = [
  '{__name__=~".+"}',
  '{instance=~"host-.*"}',
  'node_cpu_seconds_total{job=~".*"}',
  '{__name__=~"node_.+",mode!="idle"}',
  'node_load1{instance="host-00001:9100"}',
].filter((s) => args.only === '' || s.includes(args.only!));
const T0 = 1_700_000_000_000;
const STEP = 15_000;
const SAMPLES = 4;
const BLOCK_RANGE = 2 * 3600_000;

/**
 * While `run` goes on: the longest gap between two turns of a setImmediate ticker, in wall time and
 * in the main thread's CPU time (a loaded machine stretches wall gaps with time the process was
 * not running at all: the CPU time is what the read itself held the thread for, collection pauses
 * on the thread included), the longest collection pause, and run's CPU and wall time.
 */
async function measureHold(run: () => Promise<unknown>): Promise<Hold> {
  let last = performance.now();
  let lastCpu = threadCpuMs();
  let holdMs = 0;
  let holdCpuMs = 0;
  let on = true;
  const tick = () => {
    const now = performance.now();
    const cpu = threadCpuMs();
    holdMs = Math.max(holdMs, now - last);
    holdCpuMs = Math.max(holdCpuMs, cpu - lastCpu);
    last = now;
    lastCpu = cpu;
    if (on) setImmediate(tick);
  };
  let gcMaxMs = 0;
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
  });
  obs.observe({ entryTypes: ['gc'] });
  setImmediate(tick);
  const t0 = performance.now();
  const c0 = threadCpuMs();
  const r = await run();
  const totalMs = performance.now() - t0;
  const totalCpuMs = threadCpuMs() - c0;
  // One more turn, so the gap that ends with the read (its last slice, the merge) is counted.
  await new Promise((resolve) => setImmediate(resolve));
  on = false;
  // GC entries are delivered asynchronously.
  await new Promise((resolve) => setTimeout(resolve, 20));
  obs.disconnect();
  return { holdMs, holdCpuMs, gcMaxMs, totalMs, totalCpuMs, n: Array.isArray(r) ? r.length : 0 };
}

interface Hold {
  holdMs: number;
  holdCpuMs: number;
  gcMaxMs: number;
  totalMs: number;
  totalCpuMs: number;
  n: number;
}

function threadCpuMs(): number {
  const c = process.threadCpuUsage();
  return (c.user + c.system) / 1000;
}

function buildSeries(n: number): Labels[] {
  const gen = createNodeExporterGen({ hosts: Math.ceil(n / 200), seed: 1, startMs: T0 });
  const series = gen.series.slice(0, n);
  return args['unique-label'] ? series.map((ls, i) => withLabel(ls, 'uid', `u${i}`)) : series;
}

/** ls with one more label, kept sorted by name. */
function withLabel(ls: Labels, name: string, value: string): Labels {
  let at = 0;
  while (at < ls.length && ls[at] < name) at += 2;
  return [...ls.slice(0, at), name, value, ...ls.slice(at)];
}

function fillHead(series: Labels[], long: number): Head {
  const head = new Head({ blockRangeMs: BLOCK_RANGE, maxSeries: 0, maxSeriesPerMetric: 0 });
  const log = () => {};
  if (long > 0) {
    // First: the head refuses samples half a block range older than its newest.
    const b = new SampleBatchBuilder();
    b.startSeries(labelsFromRecord({ __name__: 'long_series', job: 'bench' }));
    for (let k = 0; k < long; k++) b.add(T0 - long * 10 + k * 10, k);
    head.append(b.build(), log);
  }
  for (let from = 0; from < series.length; from += 10_000) {
    const part = series.slice(from, from + 10_000);
    const b = new SampleBatchBuilder();
    for (const ls of part) {
      b.startSeries(ls);
      for (let k = 0; k < SAMPLES; k++) b.add(T0 + k * STEP, from + k);
    }
    head.append(b.build(), log);
  }
  return head;
}

async function writeTestBlock(dir: string, series: Labels[], long: number): Promise<Block> {
  const sorted = [...series];
  if (long > 0) sorted.push(labelsFromRecord({ __name__: 'long_series', job: 'bench' }));
  sorted.sort(compareLabels);
  const timestamps = Float64Array.from({ length: SAMPLES }, (_, k) => T0 + k * STEP);
  const longTs = Float64Array.from({ length: long }, (_, k) => T0 + k);
  const input = sorted.map((labels, i) => labels[1] === 'long_series'
    ? { labels, timestamps: longTs, values: new Float64Array(long).fill(1) }
    : { labels, timestamps, values: new Float64Array(SAMPLES).fill(i) });
  const meta = await writeBlock(dir, input, { minTime: T0, maxTime: T0 + Math.max(BLOCK_RANGE, long + 1), compress: false });
  return openBlock(path.join(dir, meta!.ulid));
}

async function report(where: string, n: number, q: Querier, maxt: number, long: number): Promise<void> {
  const selectors = long > 0 ? ['long_series'] : SELECTORS;
  for (const sel of selectors) {
    const ms = parseSeriesSelector(sel);
    let best: Hold | null = null;
    const cpus: number[] = [];
    for (let r = 0; r < Number(args.runs); r++) {
      gc();
      const m = await measureHold(() => q.select(ms, T0 - long * 10, maxt));
      if (best === null || m.holdCpuMs < best.holdCpuMs) best = m;
      cpus.push(m.totalCpuMs);
    }
    const medianCpu = cpus.sort((a, b) => a - b)[cpus.length >> 1];
    const f = (x: number) => x.toFixed(1).padStart(6);
    console.log(`${where.padEnd(5)} ${String(n).padStart(7)} ${sel.padEnd(38)} ${String(best!.n).padStart(7)} series  ` +
      `longest hold ${f(best!.holdCpuMs)} ms cpu, ${f(best!.holdMs)} ms wall (longest gc ${f(best!.gcMaxMs)} ms)  read ${f(medianCpu)} ms cpu (median)`);
  }
}

const long = Number(args['long-series']);
for (const n of args.series.split(',').map(Number)) {
  const series = buildSeries(n);
  const head = fillHead(series, long);
  const empty = new Head({ blockRangeMs: BLOCK_RANGE, maxSeries: 0, maxSeriesPerMetric: 0 });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-readstall-'));
  try {
    const block = await writeTestBlock(dir, series, long);
    await report('head', n, mergeQuerier(head, []), T0 + BLOCK_RANGE, long);
    await report('block', n, mergeQuerier(empty, [block]), T0 + Math.max(BLOCK_RANGE, long + 1), long);
    // Both, as a read across a flush finds them: the querier merges the two lists series by series.
    if (long === 0 && args.both) await report('both', n, mergeQuerier(head, [block]), T0 + BLOCK_RANGE, long);
    block.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
