// Side-by-side query benchmark: the same node_exporter-shaped data (plus one classic histogram per
// host) in Prometheus, VictoriaMetrics and Strata, then a set of typical dashboard and alerting
// queries against each: median latency over repeated runs and the peak RSS of the server while the
// query runs. Targets are loaded one at a time, then all keep running and the query runs are
// interleaved across them, so a drift in the (shared) machine's load affects all alike.
//
//   node_modules/.bin/node bench/query/run.ts [--hosts 20] [--hours 24] [--interval 60] [--runs 31] [--min-seconds 10]
//     [--warmups 20] [--end-ago-min 0] [--queries instant,regex] [--persist]
//
// The data ends "now" (or --end-ago-min before) and is sent oldest first, so every target accepts all of it. No target is
// flushed after ingest: each holds the data as it would in service, older hours in blocks (or
// VictoriaMetrics' parts) and the newest 2-3 h in its in-memory head (Prometheus and Strata cut
// blocks from the head on their own as it grows); --persist flushes/snapshots them as before.
// VictoriaMetrics gets `nocache=1` (it would otherwise answer repeats from its rollup cache, which
// the others do not have). Results: bench/results/query-<hosts>h-<hours>h.{json,md}.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { labelsFromRecord, type Labels } from '../../src/model/index.ts';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';
import { parseVmRssBytes, processTree, treeCpuSeconds, treeRssBytes } from '../lib/proc.ts';
import { renderBarGroupsSvg } from '../lib/report.ts';
import { httpRequest } from '../lib/process.ts';
import { writeRequestLog, type RoundGenerator } from '../lib/requestlog.ts';
import { sendRequestLog } from '../lib/sender.ts';
import { REPO_ROOT, isTargetName, startTarget, targetVersion, type RunningTarget, type TargetName } from '../peers/targets.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    hours: { type: 'string', default: '24' },
    interval: { type: 'string', default: '60' },
    runs: { type: 'string', default: '31' },
    /**
     * Keep measuring a query (more rounds past --runs) until this many seconds have gone into it:
     * a sub-millisecond query's median over 31 runs moves by ±0.1 ms from run to run of the
     * benchmark on a shared machine, more than the differences it is there to show; over
     * thousands of runs it settles. At most MAX_ROUNDS rounds.
     */
    'min-seconds': { type: 'string', default: '10' },
    warmups: { type: 'string', default: '20' },
    targets: { type: 'string', default: 'prometheus,victoriametrics,strata' },
    seed: { type: 'string', default: '1' },
    /**
     * End the data this many minutes before now. Blocks are aligned to absolute time, so where the
     * queries' last hour falls (in a day-long compacted block or in the newest, short one) depends
     * on the clock: e.g. 25 minutes past a multiple of 6 h UTC puts it mostly in the compacted block.
     */
    'end-ago-min': { type: 'string', default: '0' },
    /** Only the queries whose name contains one of these comma-separated strings (all by default). */
    queries: { type: 'string', default: '' },
    /**
     * Flush/snapshot every target after ingest (off by default). Strata's flush empties its head
     * into blocks, while Prometheus' snapshot leaves its head as it was: with this on, Strata reads
     * the last hours from compressed blocks that Prometheus answers from memory, which no server
     * in service does (each keeps its newest 2-3 h in its head).
     */
    persist: { type: 'boolean', default: false },
    'out-dir': { type: 'string', default: path.join(REPO_ROOT, 'bench/results') },
  },
});
const hosts = Number(args.hosts);
const hours = Number(args.hours);
const intervalMs = Number(args.interval) * 1000;
const runs = Number(args.runs);
const minSeconds = Number(args['min-seconds']);
const MAX_ROUNDS = 5000;
const warmups = Number(args.warmups);
const targets = args.targets!.split(',').map((s) => {
  if (!isTargetName(s)) throw new Error(`unknown target ${s}`);
  return s;
});
const log = (m: string) => process.stderr.write(`${m}\n`);

// A request-duration histogram per host (10 buckets), so histogram_quantile has classic buckets.
const LES = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
function withHistograms(gen: RoundGenerator, seed: number): RoundGenerator {
  const extra: Labels[] = [];
  for (let h = 0; h < hosts; h++) {
    const instance = `host-${String(h).padStart(5, '0')}:9100`;
    for (const le of LES) extra.push(labelsFromRecord({ __name__: 'http_request_duration_seconds_bucket', instance, job: 'node', le }));
  }
  const counts = new Float64Array(extra.length);
  let s = seed >>> 0;
  const rnd = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
  const series = [...gen.series, ...extra];
  return {
    series,
    next() {
      const r = gen.next();
      const values = new Float64Array(series.length);
      values.set(r.values);
      for (let h = 0; h < hosts; h++) {
        const n = 20 + Math.floor(rnd() * 40);
        for (let k = 0; k < n; k++) {
          const d = Math.pow(rnd(), 3) * 3;
          for (let b = 0; b < LES.length; b++) if (b === LES.length - 1 || d <= Number(LES[b])) counts[h * LES.length + b]++;
        }
      }
      values.set(counts, gen.series.length);
      return { timestampMs: r.timestampMs, values };
    },
  };
}

interface BenchQuery {
  name: string;
  /** For the chart's axis. */
  short: string;
  expr: string;
  /** Range in ms ending at the data's end; 0 for an instant query. */
  rangeMs: number;
  stepS: number;
}

const H = 3600_000;
const ALL_QUERIES: BenchQuery[] = [
  { name: 'rate, sum by instance, 1h', short: 'rate 1h', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: H, stepS: 15 },
  { name: 'rate, sum by instance, 24h', short: 'rate 24h', expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: 24 * H, stepS: 300 },
  { name: 'topk disk reads, 1h', short: 'topk 1h', expr: 'topk(5, sum by (instance) (rate(node_disk_read_bytes_total[5m])))', rangeMs: H, stepS: 15 },
  { name: 'histogram_quantile, 1h', short: 'histogram_q. 1h', expr: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket[5m])))', rangeMs: H, stepS: 15 },
  { name: 'regex across hosts (instant)', short: 'regex', expr: 'max by (instance) (node_filesystem_avail_bytes{instance=~"host-.*:9100",mountpoint=~"/|/home"})', rangeMs: 0, stepS: 0 },
  { name: 'count by metric name (instant)', short: 'count by name', expr: 'count by (__name__) ({__name__=~".+"})', rangeMs: 0, stepS: 0 },
  { name: 'alert: disk almost full (instant)', short: 'disk full', expr: 'node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.5', rangeMs: 0, stepS: 0 },
  { name: 'alert: high load 15m avg (instant)', short: 'load 15m avg', expr: 'avg_over_time(node_load1[15m]) > 0.5', rangeMs: 0, stepS: 0 },
];
const QUERIES = args.queries ? ALL_QUERIES.filter((q) => args.queries!.split(',').some((s) => q.name.includes(s))) : ALL_QUERIES;

interface QueryResultRow {
  query: string;
  /** Measured runs (after warm-up): at least --runs, more for fast queries (see --min-seconds). */
  runs: number;
  medianMs: number;
  minMs: number;
  /** Median of the first three warm-up runs: how a query path fares before it is compiled. */
  firstRunsMs: number;
  peakRssMiB: number;
  series: number;
  error?: string;
}

/** Two decimals below 10 ms, where a tenth of a millisecond is a large part of the time. */
const ms = (x: number) => x.toFixed(x < 10 ? 2 : 1);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const median = (xs: number[]) => (xs.length === 0 ? NaN : xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)]);

async function runQuery(t: RunningTarget, q: BenchQuery, endMs: number): Promise<{ ms: number; series: number }> {
  const p = new URLSearchParams({ query: q.expr });
  let endpoint = '/api/v1/query';
  // Step-aligned as Grafana sends them.
  const end = Math.floor(endMs / 1000 / Math.max(1, q.stepS)) * Math.max(1, q.stepS);
  if (q.rangeMs > 0) {
    endpoint = '/api/v1/query_range';
    p.set('start', String(end - q.rangeMs / 1000));
    p.set('end', String(end));
    p.set('step', String(q.stepS));
  } else {
    p.set('time', String(end));
  }
  if (t.name === 'victoriametrics') p.set('nocache', '1');
  const t0 = performance.now();
  const res = await httpRequest('GET', `${t.baseUrl}${endpoint}?${p}`, 300_000);
  const ms = performance.now() - t0;
  if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${res.body.slice(0, 200)}`);
  const body = JSON.parse(res.body) as { data: { result: unknown[] } };
  return { ms, series: body.data.result.length };
}

interface Loaded {
  name: TargetName;
  t: RunningTarget;
  workDir: string;
  baseRssMiB: number;
}

/** Starts a target, sends it the whole log, persists it; the target keeps running for the queries. */
async function loadTarget(name: TargetName, logFile: string, workRoot: string): Promise<Loaded> {
  const workDir = fs.mkdtempSync(path.join(workRoot, `${name}-`));
  const t = await startTarget(name, { workDir });
  try {
    log(`[${name}] ingesting`);
    const stats = await sendRequestLog(logFile, { url: t.writeUrl, concurrency: 2 });
    if (stats.failedSamples > 0) log(`[${name}] WARNING: ${stats.failedSamples} samples failed: ${stats.errors.slice(0, 3).join('; ')}`);
    log(`[${name}] ${stats.samples} samples in ${((stats.finishedAtMs - stats.startedAtMs) / 1000).toFixed(0)}s`);
    if (args.persist) {
      log(`[${name}] persisting`);
      await t.persist();
    }
    await sleep(3000);
    return { name, t, workDir, baseRssMiB: treeRssBytes(t.server.pid) / 1048576 };
  } catch (e) {
    await t.stop().catch(() => undefined);
    fs.rmSync(workDir, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Waits until background work after the flush/snapshot is over in every target, so no target's
 * queries share the machine with its own compaction (Strata compacts the flushed 2 h blocks, and
 * Prometheus its head, at their next maintenance tick, up to a minute later): at least SETTLE_MIN_MS
 * after the last target was loaded, then until every target has used under 5% of a core for
 * 3 s in a row (at most SETTLE_MAX_MS in all).
 */
const SETTLE_MIN_MS = 65_000;
const SETTLE_MAX_MS = 300_000;
async function settle(loaded: Loaded[]): Promise<void> {
  const t0 = Date.now();
  log(`waiting for background work to finish (at least ${SETTLE_MIN_MS / 1000} s)`);
  let quiet = 0;
  let last = loaded.map((l) => treeCpuSeconds(l.t.server.pid));
  while (Date.now() - t0 < SETTLE_MAX_MS) {
    await sleep(1000);
    const now = loaded.map((l) => treeCpuSeconds(l.t.server.pid));
    const busy = now.some((c, i) => c - last[i] > 0.05);
    last = now;
    quiet = busy ? 0 : quiet + 1;
    if (quiet >= 3 && Date.now() - t0 >= SETTLE_MIN_MS) {
      log(`all targets idle after ${((Date.now() - t0) / 1000).toFixed(0)} s`);
      return;
    }
  }
  log(`WARNING: targets still busy after ${SETTLE_MAX_MS / 1000} s; querying anyway`);
}

/**
 * Runs every query on every loaded target, interleaved: for each query, `warmups` rounds of one run
 * per target, then `runs` rounds of one run per target, each round starting with the next target. The machine is shared, so its load drifts over minutes;
 * interleaving makes every target see the same conditions, which keeps the ratios honest.
 */
async function runQueries(loaded: Loaded[], endMs: number): Promise<Record<string, QueryResultRow[]>> {
  const rows: Record<string, QueryResultRow[]> = Object.fromEntries(loaded.map((l) => [l.name, []]));
  for (const q of QUERIES) {
    const times = new Map<string, number[]>(loaded.map((l) => [l.name, []]));
    const series = new Map<string, number>();
    const errors = new Map<string, string>();
    const peak = new Map<string, number>(loaded.map((l) => [l.name, 0]));
    // The sampler runs in this process, between the requests' events: it must stay cheap, or it
    // delays the handling of responses. Each server's process tree is listed once per query (a
    // scan of all of /proc, ms on a busy machine), then only its processes' status files are read.
    const trees = new Map(loaded.map((l) => [l.name, processTree(l.t.server.pid)]));
    const rssBytes = (pids: number[]) => {
      let bytes = 0;
      for (const pid of pids) {
        try {
          bytes += parseVmRssBytes(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
        } catch {
          // exited
        }
      }
      return bytes;
    };
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const l of loaded) peak.set(l.name, Math.max(peak.get(l.name)!, rssBytes(trees.get(l.name)!)));
        await sleep(10);
      }
    })();
    const firsts = new Map<string, number[]>(loaded.map((l) => [l.name, []]));
    const once = async (l: Loaded, record: boolean) => {
      if (errors.has(l.name)) return;
      try {
        const r = await runQuery(l.t, q, endMs);
        series.set(l.name, r.series);
        if (record) times.get(l.name)!.push(r.ms);
        else if (firsts.get(l.name)!.length < 3) firsts.get(l.name)!.push(r.ms);
      } catch (e) {
        errors.set(l.name, (e as Error).message);
      }
    };
    // Warm-up rounds: page cache and lazy loading, and for Strata V8's compilers, which optimise a
    // query's code paths in tiers over its first tens of runs (a regex instant query takes ~1 ms
    // at its 10th run and ~0.5 ms from its 100th). A server answering dashboards and rules all day
    // runs compiled code, so the medians are of the runs after that; how each target fares in its
    // first runs is reported as well (firstRunsMs, and the last column of the table).
    // Each round starts with the next target: a target's request always following the same other
    // target's would inherit that one's after-work (its GC, its deferred writes) on this 2-core
    // machine, round after round.
    const rotated = (i: number) => loaded.map((_, k) => loaded[(i + k) % loaded.length]);
    for (let i = 0; i < warmups; i++) for (const l of rotated(i)) await once(l, false);
    const t0 = performance.now();
    let rounds = 0;
    while (rounds < runs || (performance.now() - t0 < minSeconds * 1000 && rounds < MAX_ROUNDS)) {
      for (const l of rotated(rounds)) await once(l, true);
      rounds++;
    }
    sampling = false;
    await sampler;
    for (const l of loaded) {
      const ts = times.get(l.name)!.sort((a, b) => a - b);
      const err = errors.get(l.name);
      const row: QueryResultRow = {
        query: q.name, runs: ts.length, medianMs: err ? NaN : ts[Math.floor(ts.length / 2)], minMs: err ? NaN : ts[0],
        firstRunsMs: err ? NaN : median(firsts.get(l.name)!),
        peakRssMiB: peak.get(l.name)! / 1048576, series: series.get(l.name) ?? 0, ...(err ? { error: err } : {}),
      };
      rows[l.name].push(row);
      log(`[${l.name}] ${q.name}: median ${ms(row.medianMs)} ms over ${row.runs} runs, peak RSS ${row.peakRssMiB.toFixed(0)} MiB, ${row.series} series${err ? ` ERROR ${err}` : ''}`);
    }
  }
  return rows;
}

async function main(): Promise<void> {
  const workRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-query-'));
  try {
    const rounds = Math.round((hours * H) / intervalMs);
    const startMs = Math.floor((Date.now() - Number(args['end-ago-min']) * 60_000 - rounds * intervalMs) / 1000) * 1000;
    const gen = withHistograms(createNodeExporterGen({ hosts, seed: Number(args.seed), startMs, intervalMs }), Number(args.seed));
    const file = path.join(workRoot, 'requests.bin');
    log(`encoding ${rounds} rounds of ${gen.series.length} series`);
    const summary = writeRequestLog(gen, file, { rounds, seriesPerRequest: 2000 });
    const results: Record<string, { rows: QueryResultRow[]; baseRssMiB: number; version: string }> = {};
    const loaded: Loaded[] = [];
    try {
      for (const name of targets) {
        try {
          loaded.push(await loadTarget(name, file, workRoot));
        } catch (e) {
          // One target failing (e.g. it would not start) still leaves the others' figures.
          log(`[${name}] FAILED: ${(e as Error).message}`);
          const rows = QUERIES.map((q) => ({ query: q.name, runs: 0, medianMs: NaN, minMs: NaN, firstRunsMs: NaN, peakRssMiB: NaN, series: 0, error: (e as Error).message }));
          results[name] = { rows, baseRssMiB: NaN, version: targetVersion(name) };
        }
      }
      await settle(loaded);
      const rows = await runQueries(loaded, summary.lastTimestampMs);
      for (const l of loaded) results[l.name] = { rows: rows[l.name], baseRssMiB: l.baseRssMiB, version: targetVersion(l.name) };
    } finally {
      for (const l of loaded) {
        await l.t.stop().catch(() => undefined);
        fs.rmSync(l.workDir, { recursive: true, force: true });
      }
    }

    const names = targets;
    const head = `| query | runs | ${names.map((n) => `${n} median ms`).join(' | ')} | ${names.map((n) => `${n} peak RSS MiB`).join(' | ')} | series | strata / prometheus | same, first 3 runs |`;
    const sep = `|---|---:|${names.map(() => '---:').join('|')}|${names.map(() => '---:').join('|')}|---:|---:|---:|`;
    const lines = QUERIES.map((q, i) => {
      const cell = (n: string) => {
        const r = results[n].rows[i];
        return r.error ? 'error' : ms(r.medianMs);
      };
      const sr = results.strata?.rows[i];
      const pr = results.prometheus?.rows[i];
      const ratio = sr && pr && !sr.error && !pr.error ? (sr.medianMs / pr.medianMs).toFixed(2) : 'n/a';
      const firstRatio = sr && pr && !sr.error && !pr.error ? (sr.firstRunsMs / pr.firstRunsMs).toFixed(2) : 'n/a';
      const series = [...new Set(names.map((n) => results[n].rows[i].series))].join('/');
      const measured = Math.min(...names.map((n) => results[n].rows[i].runs).filter((n) => n > 0));
      return `| ${q.name} | ${Number.isFinite(measured) ? measured : 0} | ${names.map(cell).join(' | ')} | ${names.map((n) => results[n].rows[i].peakRssMiB.toFixed(0)).join(' | ')} | ${series} | ${ratio} | ${firstRatio} |`;
    });
    const md = [
      `## Query benchmark: ${hosts} hosts, ${hours} h at ${intervalMs / 1000} s`,
      '',
      `${summary.series} series, ${summary.samples} samples (node_exporter-shaped hosts plus one 10-bucket histogram each, seed ${args.seed}), ending ${new Date(summary.lastTimestampMs).toISOString().slice(11, 16)} UTC; `
        + `median of at least ${runs} runs (more for fast queries, until ${minSeconds} s went into the query; the "runs" column) after ${warmups} warm-up runs (the last column compares the median of each target's first 3 warm-up runs instead), client-side wall time; all targets run at once after ingest, ${args.persist ? 'were flushed/snapshotted after it' : 'were not flushed after it (each holds its newest hours in its in-memory head, as in service)'}, are queried only once all are idle again (background compaction done; at least ${SETTLE_MIN_MS / 1000} s after loading), and their query runs are `
        + `interleaved (one run per target in turn, each round starting with the next target), so they share the machine's load alike; peak RSS sampled every 10 ms while the query ran `
        + `(idle after ingest: ${names.map((n) => `${n} ${results[n].baseRssMiB.toFixed(0)} MiB`).join(', ')}). `
        + `Versions: ${names.map((n) => `${n} ${results[n].version}`).join(', ')}. Machine: ${os.cpus().length} cores, shared. `
        + `"series" lists the distinct result sizes seen across targets (one number = all agree).`,
      '',
      head, sep, ...lines, '',
      'Queries:', '',
      ...QUERIES.map((q) => `- ${q.name}: \`${q.expr}\`${q.rangeMs ? ` (range ${q.rangeMs / H} h, step ${q.stepS} s)` : ''}`),
      '',
    ].join('\n');
    const outDir = path.resolve(args['out-dir']!);
    fs.mkdirSync(outDir, { recursive: true });
    const base = path.join(outDir, `query-${hosts}hosts-${hours}h`);
    fs.writeFileSync(`${base}.md`, md);
    fs.writeFileSync(`${base}.svg`, renderBarGroupsSvg({
      title: `Query latency relative to Prometheus (median; ${hosts} hosts, ${hours} h)`,
      groups: QUERIES.map((q) => ({ label: q.short, note: q.rangeMs ? 'range' : 'instant' })),
      bars: names.filter((n) => n !== 'prometheus' && results.prometheus).map((n) => ({
        name: `${n} / prometheus`,
        values: QUERIES.map((_, i) => results[n].rows[i].medianMs / results.prometheus.rows[i].medianMs),
      })),
      parity: { at: 1, label: '1.0 = as fast as Prometheus (lower is faster)' },
      empty: 'no ratios (Prometheus was not measured)',
    }));
    fs.writeFileSync(`${base}.json`, JSON.stringify({ hosts, hours, intervalMs, runs, minSeconds, summary, results }, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    process.stdout.write(md);
    log(`wrote ${base}.md, .svg and .json`);
  } finally {
    fs.rmSync(workRoot, { recursive: true, force: true });
  }
}

await main();
