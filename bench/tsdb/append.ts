// In-process append benchmark of the storage engine (no HTTP, no decoding): how fast the head and
// WAL take node_exporter-shaped scrapes, and what a series costs in memory.
//   node_modules/.bin/node --expose-gc bench/tsdb/append.ts --hosts 500 --scrapes 60
// heldBytesPerSeries is what the database held after ingest (JS heap + array buffers, measured as
// what a collection frees once it is closed and dropped); rssPerSeries adds V8's and the
// allocator's retained space (the young generation alone is ~130 MB unless capped). Array buffers
// are counted from process.memoryUsage().external, which includes resizable buffers (arrayBuffers
// leaves them out) at their current length.
// Stalls: appendMaxMs is the longest single DB.append; appendsOver50Ms counts the long ones and
// gcMaxPauseMs is the longest collector pause meanwhile, and appendMaxMsOutsideGc the longest
// append less the collector pauses inside it: the engine's own work, apart from collections (at
// millions of series this process' heap holds every series' label array, ~130 bytes a series, which
// the database does not; a full collection of it takes 0.5-3 s on a busy machine). --no-flush skips the flush (most of the run's time at millions of series).
// --unique-label adds a label with a value per series (uid="<n>", like a pod uid): high cardinality
// for the symbol table and the postings index.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SampleBatchBuilder } from '../../src/model/index.ts';
import { openDB } from '../../src/tsdb/index.ts';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '500' },
    scrapes: { type: 'string', default: '60' },
    'series-per-request': { type: 'string', default: '2000' },
    'no-flush': { type: 'boolean', default: false },
    'unique-label': { type: 'boolean', default: false },
  },
});
const hosts = Number(args.hosts);
const scrapes = Number(args.scrapes);
const perReq = Number(args['series-per-request']);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-append-'));
const gen = createNodeExporterGen({ hosts, seed: 1, startMs: Date.now() - scrapes * 15_000 });
const nSeries = gen.series.length;
const series = args['unique-label'] ? gen.series.map(withUid) : gen.series;

function withUid(ls: readonly string[], i: number): string[] {
  const out: string[] = [];
  let done = false;
  for (let k = 0; k < ls.length; k += 2) {
    if (!done && ls[k] > 'uid') {
      out.push('uid', `u${i}`);
      done = true;
    }
    out.push(ls[k], ls[k + 1]);
  }
  if (!done) out.push('uid', `u${i}`);
  return out;
}
gc();
const rss0 = process.memoryUsage().rss;
let db = await openDB({ dir, logger: pino({ level: 'warn' }), retentionMs: 0, maintenanceIntervalMs: 3600_000 });
let samples = 0;
let busy = 0;
let appendMaxMs = 0;
let appendsOver50Ms = 0;
const appendMs: number[] = [];
/** [ms, scrape, first series of the batch] of the appends over 50 ms. */
const longest: [number, number, number][] = [];
let gcMaxPauseMs = 0;
const appendStarts: number[] = [];
const gcPauses: [number, number][] = [];
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    if (e.duration > gcMaxPauseMs) gcMaxPauseMs = e.duration;
    gcPauses.push([e.startTime, e.duration]);
  }
});
gcObserver.observe({ entryTypes: ['gc'] });
const cpu0 = process.cpuUsage();
const wall0 = performance.now();
for (let s = 0; s < scrapes; s++) {
  const { timestampMs, values } = gen.next();
  for (let from = 0; from < nSeries; from += perReq) {
    const b = new SampleBatchBuilder(perReq);
    const to = Math.min(nSeries, from + perReq);
    for (let i = from; i < to; i++) {
      b.startSeries(series[i]);
      b.add(timestampMs, values[i]);
    }
    const batch = b.build();
    const t0 = performance.now();
    await db.append(batch);
    const took = performance.now() - t0;
    busy += took;
    if (took > appendMaxMs) appendMaxMs = took;
    if (took > 50) {
      appendsOver50Ms++;
      longest.push([+took.toFixed(1), s, from]);
    }
    appendMs.push(took);
    appendStarts.push(t0);
    samples += to - from;
  }
  if (s % 10 === 0) process.stderr.write(`\rscrape ${s + 1}/${scrapes}`);
}
const wall = performance.now() - wall0;
const cpu = process.cpuUsage(cpu0);
// The observer is called from the event loop, which the appends above may not have reached.
await new Promise((resolve) => setImmediate(resolve));
for (const e of gcObserver.takeRecords()) {
  if (e.duration > gcMaxPauseMs) gcMaxPauseMs = e.duration;
  gcPauses.push([e.startTime, e.duration]);
}
gcObserver.disconnect();
gcPauses.sort((a, b) => a[0] - b[0]);
let appendMaxMsOutsideGc = 0;
for (let i = 0, g = 0; i < appendStarts.length; i++) {
  const from = appendStarts[i];
  const to = from + appendMs[i];
  while (g < gcPauses.length && gcPauses[g][0] + gcPauses[g][1] < from) g++;
  let inGc = 0;
  for (let k = g; k < gcPauses.length && gcPauses[k][0] < to; k++) {
    inGc += Math.min(to, gcPauses[k][0] + gcPauses[k][1]) - Math.max(from, gcPauses[k][0]);
  }
  if (appendMs[i] - inGc > appendMaxMsOutsideGc) appendMaxMsOutsideGc = appendMs[i] - inGc;
}
appendMs.sort((a, b) => a - b);
// Twice, a tick apart: array buffers freed by one collection are released by V8's sweeper later.
gc();
await new Promise((resolve) => setImmediate(resolve));
gc();
const mem1 = process.memoryUsage();
const rss1 = mem1.rss;
const st = db.stats();
process.stderr.write('\n');
console.log(JSON.stringify({
  series: nSeries,
  samples,
  appendSamplesPerSec: Math.round(samples / (busy / 1000)),
  totalSamplesPerSec: Math.round(samples / (wall / 1000)),
  cpuSecondsPerMillion: +(((cpu.user + cpu.system) / 1e6) / (samples / 1e6)).toFixed(3),
  appendMaxMs: +appendMaxMs.toFixed(1),
  appendP99Ms: +appendMs[Math.floor(appendMs.length * 0.99)].toFixed(1),
  appendsOver50Ms,
  gcMaxPauseMs: +gcMaxPauseMs.toFixed(1),
  appendMaxMsOutsideGc: +appendMaxMsOutsideGc.toFixed(1),
  longestAppends: JSON.stringify(longest.sort((a, b) => b[0] - a[0]).slice(0, 6)),
  rssPerSeries: Math.round((rss1 - rss0) / nSeries),
  headMemoryPerSeries: Math.round(st.headMemoryBytes / nSeries),
  walBytesPerSample: +(st.walBytes / samples).toFixed(2),
}, null, 1));
if (!args['no-flush']) {
  // Flush with an event-loop delay monitor: block writing runs on the compactor thread, so the main
  // thread should only stall for short moments (gathering chunks, truncating the head).
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const f0 = performance.now();
  const cpuF = process.cpuUsage();
  const flushed = await db.flush();
  loop.disable();
  const mainCpu = process.cpuUsage(cpuF);
  const stats2 = db.stats();
  console.log(JSON.stringify({
    flushMs: Math.round(performance.now() - f0),
    flushedSamples: flushed.samples,
    blockBytesPerSample: +(stats2.blocks.reduce((n, b) => n + b.bytes, 0) / flushed.samples).toFixed(3),
    flushEventLoopMaxDelayMs: Math.round(loop.max / 1e6),
    flushEventLoopP99DelayMs: Math.round(loop.percentile(99) / 1e6),
    flushCpuSecondsAllThreads: +((mainCpu.user + mainCpu.system) / 1e6).toFixed(2),
  }));
}
await db.close();
(db as unknown) = null;
// Until external memory settles: V8 releases large (resizable) buffers some collections later.
let mem2 = process.memoryUsage();
for (let i = 0; i < 10; i++) {
  gc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  const m = process.memoryUsage();
  const settled = m.external === mem2.external && i > 0;
  mem2 = m;
  if (settled) break;
}
console.log(JSON.stringify({
  heldBytesPerSeries: Math.round((mem1.heapUsed + mem1.external - mem2.heapUsed - mem2.external) / nSeries),
  heldHeapBytesPerSeries: Math.round((mem1.heapUsed - mem2.heapUsed) / nSeries),
}));
fs.rmSync(dir, { recursive: true, force: true });
