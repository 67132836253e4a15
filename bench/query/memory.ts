// Where Strata's resident memory goes on the query benchmark's data (bench/query/run.ts's hosts, 24 h
// at 60 s, without its histogram series, sent by remote write): RSS split by kind of mapping
// (/proc/<pid>/smaps), V8's own figures (heap spaces, ArrayBuffers) read inside the server through
// the inspector, and optionally glibc's per-arena figures (`--malloc-stats`: gdb attaches for a
// moment and calls malloc_stats(), which prints to the server's stderr). Readings: idle after
// ingest, after the queries, and after a forced full GC. Also ingest wall and CPU time and query
// medians, so that a memory setting is seen with what it costs. Several servers with different
// settings (`--variant`, repeatable) are loaded one after the other and then queried in turns, so
// their query times share the machine's load alike (ingest times do not: compare over several runs).
//
//   node_modules/.bin/node bench/query/memory.ts [--hosts 20] [--hours 24] [--runs 30] [--malloc-stats]
//     [--variant "LABEL|MALLOC_ARENA_MAX=2,...|--v8-flag ..."]... [--log FILE (encode once, reuse)]
//     [--hold SECONDS] [--wait-before-ingest SECONDS] [--wrap "heaptrack -o FILE"]
//
// One JSON line per server goes to stdout (append them to a file to compare runs).
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';
import { freePort, httpRequest, type Server, startServer, stopServer, waitReady } from '../lib/process.ts';
import { parseVmHwmBytes, parseVmRssBytes, treeCpuSeconds } from '../lib/proc.ts';
import { writeRequestLog } from '../lib/requestlog.ts';
import { sendRequestLog } from '../lib/sender.ts';
import { REPO_ROOT } from '../peers/targets.ts';

const { values: args } = parseArgs({
  options: {
    hosts: { type: 'string', default: '20' },
    hours: { type: 'string', default: '24' },
    runs: { type: 'string', default: '30' },
    'node-args': { type: 'string', default: '' },
    env: { type: 'string', default: '' },
    log: { type: 'string', default: '' },
    'malloc-stats': { type: 'boolean', default: false },
    label: { type: 'string', default: '' },
    /**
     * Run several servers side by side, each "LABEL|ENV=V,ENV=V|--v8-flag ...": loaded one after the
     * other, then queried in turns (as bench/query/run.ts does with the peers), so their query times
     * share the machine's load alike. Without it, one server from --label/--env/--node-args.
     */
    variant: { type: 'string', multiple: true, default: [] },
    'settle-min-s': { type: 'string', default: '65' },
    /** Keep the server running this many seconds after the last reading (to look at it by hand). */
    hold: { type: 'string', default: '0' },
    /** Wait this many seconds after start-up before ingesting (to attach a tool such as heaptrack -p). */
    'wait-before-ingest': { type: 'string', default: '0' },
    /** A command to run the server under (e.g. "heaptrack"); RSS readings are then the wrapper's. */
    wrap: { type: 'string', default: '' },
  },
});
const log = (m: string) => process.stderr.write(`${m}\n`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const MiB = 1048576;
const H = 3600_000;

const QUERIES = [
  { expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: H, stepS: 15 },
  { expr: 'sum by (instance) (rate(node_cpu_seconds_total{mode!="idle"}[5m]))', rangeMs: 24 * H, stepS: 300 },
  { expr: 'topk(5, sum by (instance) (rate(node_disk_read_bytes_total[5m])))', rangeMs: H, stepS: 15 },
  { expr: 'max by (instance) (node_filesystem_avail_bytes{instance=~"host-.*:9100",mountpoint=~"/|/home"})', rangeMs: 0, stepS: 0 },
  { expr: 'count by (__name__) ({__name__=~".+"})', rangeMs: 0, stepS: 0 },
  { expr: 'node_filesystem_avail_bytes / node_filesystem_size_bytes < 0.5', rangeMs: 0, stepS: 0 },
  { expr: 'avg_over_time(node_load1[15m]) > 0.5', rangeMs: 0, stepS: 0 },
];

/** RSS by kind of mapping, MiB. */
interface SmapsBreakdown {
  nodeBinary: number;
  otherFiles: number;
  /** The brk heap: glibc's main malloc arena. */
  brkHeap: number;
  /** glibc's other arenas: 64 MiB-aligned heaps of up to 64 MiB (threads other than the main one). */
  threadArenas: number;
  /** Every other anonymous mapping: V8's pages, malloc's mmapped large chunks, thread stacks. */
  otherAnon: number;
  total: number;
}

const ARENA_HEAP = 64 * MiB;

function smapsBreakdown(pid: number, nodePath: string): SmapsBreakdown {
  const text = fs.readFileSync(`/proc/${pid}/smaps`, 'utf8');
  const maps: { start: bigint; end: bigint; perms: string; path: string; rssKb: number }[] = [];
  for (const line of text.split('\n')) {
    const h = /^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (h) {
      maps.push({ start: BigInt(`0x${h[1]}`), end: BigInt(`0x${h[2]}`), perms: h[3], path: h[4], rssKb: 0 });
      continue;
    }
    const r = /^Rss:\s+(\d+) kB/.exec(line);
    if (r) maps[maps.length - 1].rssKb = Number(r[1]);
  }
  const b: SmapsBreakdown = { nodeBinary: 0, otherFiles: 0, brkHeap: 0, threadArenas: 0, otherAnon: 0, total: 0 };
  for (const m of maps) {
    const mib = m.rssKb / 1024;
    b.total += mib;
    if (m.path === nodePath) b.nodeBinary += mib;
    else if (m.path.startsWith('/')) b.otherFiles += mib;
    else if (m.path === '[heap]') b.brkHeap += mib;
    else if (m.path === '' && m.start % BigInt(ARENA_HEAP) === 0n && m.end - m.start <= BigInt(ARENA_HEAP) && !m.perms.includes('x')) {
      // An arena heap starts 64 MiB-aligned and spans at most 64 MiB (its unused rest is a ---p
      // reservation). V8's code range is aligned too, but executable.
      b.threadArenas += mib;
    } else b.otherAnon += mib;
  }
  return b;
}

/** Evaluates an expression in the server's main thread through the inspector (returns by value). */
async function inspectorEval(port: number, expression: string): Promise<unknown> {
  const list = JSON.parse((await httpRequest('GET', `http://127.0.0.1:${port}/json/list`)).body) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  try {
    return await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector: no answer in 60 s')), 60_000);
      ws.onerror = () => reject(new Error('inspector: websocket error'));
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'Runtime.evaluate', params: { expression, returnByValue: true, awaitPromise: true } }));
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as { id?: number; result?: { result: { value: unknown } }; error?: { message: string } };
        if (msg.id !== 1) return;
        clearTimeout(timer);
        if (msg.error) reject(new Error(`inspector: ${msg.error.message}`));
        else resolve(msg.result!.result.value);
      };
    });
  } finally {
    ws.close();
  }
}

const V8_EXPR = `(() => {
  const v8 = process.getBuiltinModule('v8');
  const mu = process.memoryUsage();
  const spaces = {};
  for (const s of v8.getHeapSpaceStatistics()) spaces[s.space_name] = { size: s.space_size / ${MiB}, physical: s.physical_space_size / ${MiB}, used: s.space_used_size / ${MiB} };
  const h = v8.getHeapStatistics();
  return { heapTotal: mu.heapTotal / ${MiB}, heapUsed: mu.heapUsed / ${MiB}, external: mu.external / ${MiB}, arrayBuffers: mu.arrayBuffers / ${MiB},
    v8Physical: h.total_physical_size / ${MiB}, v8Malloced: h.malloced_memory / ${MiB}, v8PeakMalloced: h.peak_malloced_memory / ${MiB}, spaces };
})()`;

function mallocStats(pid: number, logFile: string): { arenas: number; systemMiB: number; inUseMiB: number; mmapMiB: number } | null {
  const before = fs.statSync(logFile).size;
  try {
    execFileSync('gdb', ['-p', String(pid), '-batch', '-ex', 'call (void)malloc_stats()'], { stdio: 'ignore', timeout: 60_000 });
  } catch {
    return null;
  }
  const text = fs.readFileSync(logFile, 'utf8').slice(before);
  const total = /Total \(incl\. mmap\):\s*system bytes\s*=\s*(\d+)\s*in use bytes\s*=\s*(\d+)/.exec(text);
  const arenas = [...text.matchAll(/Arena \d+:\s*system bytes\s*=\s*(\d+)/g)];
  if (!total) return null;
  const arenaSystem = arenas.reduce((s, m) => s + Number(m[1]), 0);
  return { arenas: arenas.length, systemMiB: Number(total[1]) / MiB, inUseMiB: Number(total[2]) / MiB, mmapMiB: (Number(total[1]) - arenaSystem) / MiB };
}

interface Reading {
  rssMiB: number;
  smaps: SmapsBreakdown;
  v8: unknown;
  malloc?: ReturnType<typeof mallocStats>;
}

interface Loaded {
  label: string;
  env: string;
  nodeArgs: string;
  server: Server;
  baseUrl: string;
  inspectPort: number;
  serverLog: string;
  samples: number;
  ingestS: number;
  ingestCpuS: number;
  startRssMiB: number;
  afterIngestRssMiB: number;
  times: number[][];
  peakQueryRssMiB: number;
  idle?: Reading;
  afterQueries?: Reading;
  afterGc?: Reading;
}

const NODE = path.join(REPO_ROOT, 'node_modules/.bin/node');
const NODE_PATH = fs.realpathSync(NODE);
const statusOf = (pid: number) => fs.readFileSync(`/proc/${pid}/status`, 'utf8');

/** Starts one server with the variant's environment and V8 flags and sends it the whole log. */
async function startAndLoad(v: { label: string; env: string; nodeArgs: string }, work: string, logFile: string): Promise<Loaded> {
  const dir = fs.mkdtempSync(path.join(work, 'server-'));
  const dataDir = path.join(dir, 'data');
  fs.mkdirSync(dataDir);
  const config = path.join(dir, 'strata.yml');
  fs.writeFileSync(config, 'self_monitoring:\n  enabled: false\nstorage:\n  retention: "0"\nlog:\n  level: warn\n');
  const port = await freePort();
  const inspectPort = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const serverLog = path.join(dir, 'server.log');
  const wrap = args.wrap!.split(' ').filter(Boolean);
  // spawn copies the environment at once, so the variant's settings apply to this server only.
  const saved = { ...process.env };
  for (const kv of v.env.split(',').filter(Boolean)) {
    const i = kv.indexOf('=');
    process.env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  let server: Server;
  try {
    server = startServer(wrap[0] ?? NODE, [
      ...wrap.slice(1), ...(wrap.length > 0 ? [NODE] : []), ...v.nodeArgs.split(' ').filter(Boolean), `--inspect=127.0.0.1:${inspectPort}`,
      path.join(REPO_ROOT, 'bin/strata.js'), 'server', '--config', config, '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`,
    ], serverLog, REPO_ROOT);
  } finally {
    for (const k of Object.keys(process.env)) if (!(k in saved)) delete process.env[k];
    Object.assign(process.env, saved);
  }
  const pid = server.pid;
  try {
    await waitReady(server, `${baseUrl}/-/ready`);
    if (Number(args['wait-before-ingest']) > 0) log(`[${v.label}] server pid ${pid} ready; ingest starts in ${args['wait-before-ingest']} s`);
    await sleep(Math.max(2000, Number(args['wait-before-ingest']) * 1000));
    const startRssMiB = parseVmRssBytes(statusOf(pid)) / MiB;
    const cpu0 = treeCpuSeconds(pid);
    const t0 = performance.now();
    const stats = await sendRequestLog(logFile, { url: `${baseUrl}/api/v1/write`, concurrency: 2 });
    const ingestS = (performance.now() - t0) / 1000;
    const ingestCpuS = treeCpuSeconds(pid) - cpu0;
    const afterIngestRssMiB = parseVmRssBytes(statusOf(pid)) / MiB;
    log(`[${v.label}] ingested ${stats.samples} samples in ${ingestS.toFixed(1)} s (${ingestCpuS.toFixed(1)} CPU-s), RSS ${afterIngestRssMiB.toFixed(0)} MiB`);
    return {
      ...v, server, baseUrl, inspectPort, serverLog, samples: stats.samples, ingestS, ingestCpuS, startRssMiB, afterIngestRssMiB,
      times: QUERIES.map(() => []), peakQueryRssMiB: 0,
    };
  } catch (e) {
    await stopServer(server);
    throw e;
  }
}

/** At least settle-min-s after the last load (the head's maintenance tick compacts within a minute), then all under 5% of a core for 3 s. */
async function settle(loaded: Loaded[]): Promise<void> {
  const ts = Date.now();
  let quiet = 0;
  let last = loaded.map((l) => treeCpuSeconds(l.server.pid));
  while (Date.now() - ts < 300_000) {
    await sleep(1000);
    const now = loaded.map((l) => treeCpuSeconds(l.server.pid));
    quiet = now.some((c, i) => c - last[i] > 0.05) ? 0 : quiet + 1;
    last = now;
    if (quiet >= 3 && Date.now() - ts >= Number(args['settle-min-s']) * 1000) return;
  }
}

async function reading(l: Loaded): Promise<Reading> {
  const pid = l.server.pid;
  return {
    rssMiB: parseVmRssBytes(statusOf(pid)) / MiB,
    smaps: smapsBreakdown(pid, NODE_PATH),
    v8: await inspectorEval(l.inspectPort, V8_EXPR),
    malloc: args['malloc-stats'] ? mallocStats(pid, l.serverLog) : undefined,
  };
}

/** Each query `--runs` rounds, one run per server a round, each round starting with the next server. */
async function runQueries(loaded: Loaded[], lastTs: number): Promise<void> {
  for (let qi = 0; qi < QUERIES.length; qi++) {
    const q = QUERIES[qi];
    const p = new URLSearchParams({ query: q.expr });
    const step = Math.max(1, q.stepS);
    const end = Math.floor(lastTs / 1000 / step) * step;
    let endpoint = '/api/v1/query';
    if (q.rangeMs > 0) {
      endpoint = '/api/v1/query_range';
      p.set('start', String(end - q.rangeMs / 1000));
      p.set('end', String(end));
      p.set('step', String(q.stepS));
    } else p.set('time', String(end));
    for (let r = 0; r < Number(args.runs); r++) {
      for (let k = 0; k < loaded.length; k++) {
        const l = loaded[(r + k) % loaded.length];
        const tq = performance.now();
        const res = await httpRequest('GET', `${l.baseUrl}${endpoint}?${p}`);
        l.times[qi].push(performance.now() - tq);
        if (res.status !== 200) throw new Error(`[${l.label}] query ${q.expr}: HTTP ${res.status}`);
        l.peakQueryRssMiB = Math.max(l.peakQueryRssMiB, parseVmRssBytes(statusOf(l.server.pid)) / MiB);
      }
    }
  }
}

/** A full collection as bench/ingest asks for one (the inspector's HeapProfiler.collectGarbage). */
async function collectGarbage(inspectPort: number): Promise<void> {
  const list = JSON.parse((await httpRequest('GET', `http://127.0.0.1:${inspectPort}/json/list`)).body) as { webSocketDebuggerUrl: string }[];
  await new Promise<void>((resolve) => {
    const ws = new WebSocket(list[0].webSocketDebuggerUrl);
    ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
    ws.onmessage = () => { ws.close(); resolve(); };
    ws.onerror = () => resolve();
  });
}

const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function report(l: Loaded): void {
  const medians = l.times.map(median);
  const hwmMiB = parseVmHwmBytes(statusOf(l.server.pid)) / MiB;
  const out = {
    label: l.label, nodeArgs: l.nodeArgs, env: l.env, at: new Date().toISOString(), loadavg: os.loadavg()[0],
    samples: l.samples, ingestS: l.ingestS, ingestCpuS: l.ingestCpuS, startRssMiB: l.startRssMiB, afterIngestRssMiB: l.afterIngestRssMiB, hwmMiB,
    queryMediansMs: medians, peakQueryRssMiB: l.peakQueryRssMiB, idle: l.idle, afterQueries: l.afterQueries, afterGc: l.afterGc,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
  const f = (x: number) => x.toFixed(0);
  log(`[${l.label}] ingest ${l.ingestS.toFixed(1)} s ${l.ingestCpuS.toFixed(1)} CPU-s | RSS idle ${f(l.idle!.rssMiB)} after queries ${f(l.afterQueries!.rssMiB)} (peak ${f(l.peakQueryRssMiB)}) after GC ${f(l.afterGc!.rssMiB)} | HWM ${f(hwmMiB)} | medians ${medians.map((m) => m.toFixed(2)).join(' ')}`);
  for (const [name, r] of [['idle', l.idle!], ['queries', l.afterQueries!], ['gc', l.afterGc!]] as const) {
    log(`  ${name}: ${JSON.stringify(r.smaps, (_k, v) => (typeof v === 'number' ? Math.round(v) : v))} malloc ${JSON.stringify(r.malloc)}`);
  }
}

async function main(): Promise<void> {
  const hosts = Number(args.hosts);
  const hours = Number(args.hours);
  const intervalMs = 60_000;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-memory-'));
  try {
    let logFile = args.log!;
    let lastTs: number;
    if (logFile && fs.existsSync(logFile) && fs.existsSync(`${logFile}.json`)) {
      lastTs = (JSON.parse(fs.readFileSync(`${logFile}.json`, 'utf8')) as { lastTimestampMs: number }).lastTimestampMs;
      // A reused log should still end close to now, so runs to be compared cut their blocks alike.
      if (Date.now() - lastTs > 3 * H) throw new Error(`${logFile} ends more than 3 h ago; encode a fresh one`);
    } else {
      logFile ||= path.join(work, 'requests.bin');
      const rounds = Math.round((hours * H) / intervalMs);
      const startMs = Math.floor((Date.now() - rounds * intervalMs) / 1000) * 1000;
      const gen = createNodeExporterGen({ hosts, seed: 1, startMs, intervalMs });
      log(`encoding ${rounds} rounds of ${gen.series.length} series`);
      const summary = writeRequestLog(gen, logFile, { rounds, seriesPerRequest: 2000 });
      lastTs = summary.lastTimestampMs;
      fs.writeFileSync(`${logFile}.json`, JSON.stringify({ lastTimestampMs: lastTs }));
    }

    const variants = (args.variant!.length > 0 ? args.variant! : [`${args.label}|${args.env}|${args['node-args']}`]).map((v) => {
      const [label, env = '', nodeArgs = ''] = v.split('|');
      return { label, env, nodeArgs };
    });
    const loaded: Loaded[] = [];
    try {
      for (const v of variants) loaded.push(await startAndLoad(v, work, logFile));
      await settle(loaded);
      for (const l of loaded) l.idle = await reading(l);
      await runQueries(loaded, lastTs);
      for (const l of loaded) l.afterQueries = await reading(l);
      for (const l of loaded) await collectGarbage(l.inspectPort);
      await sleep(5000);
      for (const l of loaded) l.afterGc = await reading(l);
      for (const l of loaded) report(l);
      if (Number(args.hold) > 0) {
        log(`holding servers ${loaded.map((l) => `${l.label}: pid ${l.server.pid} ${l.baseUrl} inspector ${l.inspectPort} log ${l.serverLog}`).join('; ')} for ${args.hold} s`);
        await sleep(Number(args.hold) * 1000);
      }
    } finally {
      for (const l of loaded) await stopServer(l.server);
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

await main();
