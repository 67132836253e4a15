// In-process query profile: the query benchmark's data (20 node_exporter-shaped hosts plus a
// request-duration histogram each, 24 h at 60 s) appended straight into a DB, flushed to blocks and
// compacted as a server does it in the minute after the flush (by default: `--layout flushed` keeps
// the 2 h blocks), then each benchmark query timed through the engine alone (no HTTP, no peers).
// The layout matters: compaction re-encodes a series' day into one long chunk, which the 2 h blocks
// do not show. For profiling query paths: `--profile FILE`. The side-by-side numbers come from run.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { labelsFromRecord, type Labels } from '../../src/model/index.ts';
import { openDB } from '../../src/tsdb/index.ts';
import { Engine, parseSeriesSelector } from '../../src/promql/index.ts';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    hours: { type: 'string', default: '24' },
    runs: { type: 'string', default: '15' },
    only: { type: 'string', default: '' },
    /**
     * `compacted` (flushed, then compacted as a server does a minute later), `flushed` (2 h
     * blocks), or `head` (not flushed: the newest 2-3 h stay in the head, as in a server in
     * service and in run.ts without --persist).
     */
    layout: { type: 'string', default: 'compacted' },
    /** Write a CPU profile of the query phase only (not the load) to this file. */
    profile: { type: 'string', default: '' },
  },
});
const hosts = Number(args.hosts);
const intervalMs = 60_000;
const rounds = (Number(args.hours) * 3600_000) / intervalMs;
const H = 3600_000;
const QUERIES = [
  { name: 'rate 1h', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: H, stepS: 15 },
  { name: 'rate 24h', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: 24 * H, stepS: 300 },
  { name: 'topk 1h', expr: 'topk(5, sum by (instance) (rate(node_disk_read_bytes_total[5m])))', rangeMs: H, stepS: 15 },
  { name: 'histogram_quantile 1h', expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', rangeMs: H, stepS: 15 },
  { name: 'regex instant', expr: 'max by (instance) (node_filesystem_avail_bytes{instance=~"host-.*:9100",mountpoint=~"/|/home"})', rangeMs: 0, stepS: 0 },
  { name: 'count by name instant', expr: 'count by (__name__) ({__name__=~".+"})', rangeMs: 0, stepS: 0 },
  { name: 'disk full instant', expr: 'node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.5', rangeMs: 0, stepS: 0 },
  { name: 'load 15m instant', expr: 'avg_over_time(node_load1[15m]) > 0.5', rangeMs: 0, stepS: 0 },
].filter((q) => args.only === '' || q.name.includes(args.only!));

// Same series as run.ts: node_exporter hosts plus a 10-bucket histogram per host.
const LES = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
const startMs = Math.floor((Date.now() - rounds * intervalMs) / intervalMs) * intervalMs;
const gen = createNodeExporterGen({ hosts, seed: 1, startMs, intervalMs });
const extra: Labels[] = [];
for (let h = 0; h < hosts; h++) {
  const instance = `host-${String(h).padStart(5, '0')}:9100`;
  for (const le of LES) extra.push(labelsFromRecord({ __name__: 'http_request_duration_seconds_bucket', instance, job: 'node', le }));
}
const series = [...gen.series, ...extra];
const counts = new Float64Array(extra.length);
let seed = 1;
const rnd = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-qprof-'));
let db = await openDB({ dir, walFsync: 'never', retentionMs: 0, logger: pino({ level: 'warn' }) });
try {
  const offsets = Uint32Array.from({ length: series.length + 1 }, (_, i) => i);
  let endMs = 0;
  for (let r = 0; r < rounds; r++) {
    const g = gen.next();
    for (let h = 0; h < hosts; h++) {
      const n = 20 + Math.floor(rnd() * 40);
      for (let k = 0; k < n; k++) {
        const d = Math.pow(rnd(), 3) * 3;
        for (let b = 0; b < LES.length; b++) if (b === LES.length - 1 || d <= Number(LES[b])) counts[h * LES.length + b]++;
      }
    }
    const values = new Float64Array(series.length);
    values.set(g.values);
    values.set(counts, g.values.length);
    await db.append({ series, offsets, timestamps: new Float64Array(series.length).fill(g.timestampMs), values });
    endMs = g.timestampMs;
  }
  if (args.layout !== 'head') await db.flush();
  if (args.layout !== 'flushed') {
    // A DB compacts (on its compactor thread) at open and then every maintenance interval: reopen
    // with a short one and wait until the process has been idle for 2 s (as run.ts waits for the
    // servers).
    // (The head layout keeps the DB open: its appends already scheduled the head's persistence.)
    if (args.layout !== 'head') {
      await db.close();
      db = await openDB({ dir, walFsync: 'never', retentionMs: 0, maintenanceIntervalMs: 500, logger: pino({ level: 'warn' }) });
    }
    let last = process.cpuUsage();
    for (let quiet = 0; quiet < 4; ) {
      await new Promise((r) => setTimeout(r, 500));
      const used = process.cpuUsage(last);
      last = process.cpuUsage();
      quiet = used.user + used.system < 25_000 ? quiet + 1 : 0;
    }
  }
  process.stderr.write(`${series.length} series, ${rounds} rounds loaded, ${args.layout}: ${db.stats().blocks.reduce((n, b) => n + b.count, 0)} blocks\n`);
  const session = new Session();
  if (args.profile) {
    session.connect();
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
  }
  const engine = new Engine();
  const q = db.querier();
  const time = async (name: string, run: () => Promise<unknown>) => {
    const ms: number[] = [];
    const cpu: number[] = [];
    for (let i = 0; i < Number(args.runs) + 1; i++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      await run();
      const c = process.cpuUsage(c0);
      if (i > 0) {
        ms.push(performance.now() - t0);
        cpu.push((c.user + c.system) / 1000);
      }
    }
    ms.sort((a, b) => a - b);
    cpu.sort((a, b) => a - b);
    // CPU time as well: on a shared machine it drifts less with others' load than wall time.
    const f = (x: number) => x.toFixed(x < 10 ? 3 : 1).padStart(7);
    console.log(`${name.padEnd(24)} median ${f(ms[ms.length >> 1])} ms  min ${f(ms[0])} ms  cpu median ${f(cpu[cpu.length >> 1])} ms`);
  };
  for (const bq of QUERIES) {
    if (bq.rangeMs > 0) await time(bq.name, () => engine.rangeQuery(q, bq.expr, endMs - bq.rangeMs, endMs, bq.stepS * 1000));
    else await time(bq.name, () => engine.instantQuery(q, bq.expr, endMs));
  }
  // The storage's share of the rate queries: their selector's samples alone.
  const cpu = parseSeriesSelector('node_cpu_seconds_total{mode!="idle"}');
  for (const h of [1, 24]) {
    const name = `select ${h}h5m`;
    if (args.only === '' || name.includes(args.only!)) await time(name, () => q.select(cpu, endMs - h * H - 300_000 + 1, endMs));
  }
  if (args.profile) {
    const { profile } = await session.post('Profiler.stop');
    fs.writeFileSync(args.profile, JSON.stringify(profile));
  }
} finally {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
}
