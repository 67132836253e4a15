// Series churn benchmark of the storage engine (in-process, no HTTP): Kubernetes-like pods whose
// series are all replaced every simulated hour (a deploy: new pod names and uids), while the number
// of active series stays flat. The DB persists and truncates its head as in service (appends
// schedule maintenance once the head spans 1.5 block ranges), so what the head keeps of removed
// series shows as growth from hour to hour.
//   node_modules/.bin/node --expose-gc bench/tsdb/churn.ts --series 200000 --hours 24 --out /tmp/churn.json
//   node_modules/.bin/node bench/tsdb/churn.ts --chart before.json,after.json --svg bench/results/churn.svg
// Each hour prints (stderr: progress; stdout: one JSON line) the head's own estimate
// (db.stats().headMemoryBytes), the blocks' (memoryBytes of db.stats().blocks), and the process'
// RSS and held memory (heap used + external, after a collection) once the hour's maintenance has
// finished.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { SampleBatchBuilder } from '../../src/model/index.ts';
import { openDB, type DB } from '../../src/tsdb/index.ts';
import { renderBarGroupsSvg } from '../lib/report.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '200000' },
    hours: { type: 'string', default: '24' },
    /** Seconds between two samples of a series (simulated time). */
    interval: { type: 'string', default: '300' },
    'series-per-request': { type: 'string', default: '2000' },
    out: { type: 'string' },
    /** Comma-separated result files (from --out) to draw instead of running. */
    chart: { type: 'string' },
    svg: { type: 'string' },
  },
});

interface HourResult {
  hour: number;
  headSeries: number;
  seriesCreated: number;
  seriesRemoved: number;
  headMemoryBytes: number;
  rssBytes: number;
  heldBytes: number;
  /** What the open blocks hold in memory (DBStats.blocks[].memoryBytes; absent in older results). */
  blockMemoryBytes?: number;
  appendSamplesPerSec: number;
}

if (args.chart) {
  drawChart(args.chart.split(','), args.svg ?? 'churn.svg');
  process.exit(0);
}

const METRICS = [
  'container_cpu_usage_seconds_total', 'container_memory_working_set_bytes', 'container_memory_rss',
  'container_network_receive_bytes_total', 'container_network_transmit_bytes_total',
  'container_fs_reads_bytes_total', 'container_fs_writes_bytes_total', 'kube_pod_info',
  'kube_pod_status_ready', 'kube_pod_container_status_restarts_total',
];
const nSeries = Number(args.series);
const hours = Number(args.hours);
const intervalMs = Number(args.interval) * 1000;
const perReq = Number(args['series-per-request']);
const pods = Math.ceil(nSeries / METRICS.length);
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);
const H = 3600_000;

/** A pod's series in its hour: new pod name and uid every hour, as after a deploy. */
function podSeries(hour: number, p: number): string[][] {
  const hash = (hour * 2654435761 >>> 0).toString(16).padStart(8, '0').slice(0, 10);
  const pod = `web-${hash}-${(p * 40503 + hour).toString(36).padStart(5, '0')}`;
  const uid = `${hash}-${(p & 0xffff).toString(16).padStart(4, '0')}-4${(hour & 0xfff).toString(16).padStart(3, '0')}-a${(p >>> 16).toString(16).padStart(3, '0')}-${(p * 7919 + hour).toString(16).padStart(12, '0')}`;
  const node = `node-${p % 100}`;
  return METRICS.map((m) => ['__name__', m, 'container', 'app', 'instance', `${node}:10250`, 'job', 'kubelet',
    'namespace', `team-${p % 20}`, 'node', node, 'pod', pod, 'uid', uid]);
}


const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-churn-'));
// The compactor thread ends as soon as it is idle, so each hour's figures are taken without it, as
// a server's between its jobs (it waits 10 s for another job by default).
const db = await openDB({ dir, logger: pino({ level: 'warn' }), retentionMs: 0, maintenanceIntervalMs: 3600_000, compactorIdleMs: 0 });
const start = Math.floor(Date.now() / (2 * H)) * 2 * H - hours * H;
const results: HourResult[] = [];
let seq = 0;
for (let hour = 0; hour < hours; hour++) {
  const series: string[][] = [];
  for (let p = 0; p < pods; p++) series.push(...podSeries(hour, p));
  series.length = nSeries;
  let busy = 0;
  let samples = 0;
  for (let t = start + hour * H; t < start + (hour + 1) * H; t += intervalMs) {
    for (let from = 0; from < nSeries; from += perReq) {
      const b = new SampleBatchBuilder(perReq);
      const to = Math.min(nSeries, from + perReq);
      for (let i = from; i < to; i++) {
        b.startSeries(series[i]);
        b.add(t, (seq++ % 1000) * 0.25);
      }
      const t0 = performance.now();
      await db.append(b.build());
      busy += performance.now() - t0;
      samples += to - from;
    }
    if ((t / intervalMs) % 6 === 0) process.stderr.write(`\rhour ${hour + 1}/${hours}: ${new Date(t).toISOString().slice(11, 16)}   `);
  }
  await db.maintenanceIdle();
  await new Promise((resolve) => setTimeout(resolve, 500)); // for the idle compactor thread to end
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  const mem = process.memoryUsage();
  const st = db.stats();
  const r: HourResult = {
    hour: hour + 1,
    headSeries: st.headSeries,
    seriesCreated: st.seriesCreated,
    seriesRemoved: st.seriesRemoved,
    headMemoryBytes: st.headMemoryBytes,
    rssBytes: mem.rss,
    heldBytes: mem.heapUsed + mem.external,
    blockMemoryBytes: st.blocks.reduce((n, b) => n + b.memoryBytes, 0),
    appendSamplesPerSec: Math.round(samples / (busy / 1000)),
  };
  results.push(r);
  process.stderr.write('\n');
  console.log(JSON.stringify(r));
}
await db.close();
fs.rmSync(dir, { recursive: true, force: true });
if (args.out) {
  fs.writeFileSync(args.out, JSON.stringify({ series: nSeries, hours, intervalSeconds: intervalMs / 1000, results }, null, 1) + '\n');
}

/** One group per few hours; bars: head memory and RSS of each result file, in MB. */
function drawChart(files: string[], out: string): void {
  const runs = files.map((f) => ({ name: path.basename(f, '.json'), ...(JSON.parse(fs.readFileSync(f, 'utf8')) as { series: number; results: HourResult[] }) }));
  const n = Math.min(...runs.map((r) => r.results.length));
  const every = Math.max(1, Math.ceil(n / 8));
  const idx: number[] = [];
  for (let i = every - 1; i < n; i += every) idx.push(i);
  const mb = (b: number) => Math.round(b / 1e6);
  const bars = runs.flatMap((r) => [
    { name: `${r.name}: head memory (MB)`, values: idx.map((i) => mb(r.results[i].headMemoryBytes)) },
    { name: `${r.name}: RSS (MB)`, values: idx.map((i) => mb(r.results[i].rssBytes)) },
  ]);
  fs.writeFileSync(out, renderBarGroupsSvg({
    title: `Head memory under series churn: ${runs[0].series} active series replaced every hour`,
    groups: idx.map((i) => ({ label: `hour ${runs[0].results[i].hour}`, note: `${runs[0].results[i].seriesCreated} created` })),
    bars,
  }));
}
