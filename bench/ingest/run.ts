// Side-by-side ingestion benchmark: the same node_exporter-shaped remote write traffic sent to
// Prometheus, VictoriaMetrics and Strata, one after the other, each on a fresh data dir.
//
//   node_modules/.bin/node bench/ingest/run.ts --scenario 100k --targets prometheus,victoriametrics,strata
//
// Flow: encode the whole scenario once into a request log (outside any measurement window), then for
// each target: start it, read idle RSS and CPU, replay the log over keep-alive connections, read CPU
// and RSS again, snapshot/flush, measure the persisted bytes, stop it. Results go to
// bench/results/ingest-<scenario>.{json,md,svg}. See bench/README.md for what each figure means.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import { createNodeExporterGen } from '../gen/nodeexporter.ts';
import {
  computeRatios, derive, logTail, newSendStats, renderMarkdown, renderRatioSvg, sendRequestLog, treeCpuSeconds,
  treePeakRssBytes, treeRssBytes, writeRequestLog, type RequestLogSummary, type SendStats, type TargetMeasurement,
} from '../lib/index.ts';
import { REPO_ROOT, isTargetName, startTarget, targetVersion, type RunningTarget, type TargetName } from '../peers/targets.ts';
import { scenarioByName } from './scenarios.ts';

const { values: args } = parseArgs({
  options: {
    scenario: { type: 'string', default: '100k' },
    targets: { type: 'string', default: 'prometheus,victoriametrics,strata' },
    rounds: { type: 'string' },
    'series-per-request': { type: 'string', default: '2000' },
    concurrency: { type: 'string', default: '4' },
    'time-budget': { type: 'string' },
    seed: { type: 'string', default: '1' },
    'out-dir': { type: 'string', default: path.join(REPO_ROOT, 'bench/results') },
    'work-dir': { type: 'string' },
    'keep-data': { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  process.stdout.write(`usage: node bench/ingest/run.ts [--scenario 100k|1m] [--targets a,b,c]
  [--rounds N] [--series-per-request 2000] [--concurrency 4] [--time-budget SECONDS] [--seed 1]
  [--out-dir bench/results] [--work-dir DIR] [--keep-data]
`);
  process.exit(0);
}

const positiveInt = (name: string, v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`--${name} must be a positive integer, got ${v}`);
  return n;
};

const scenario = scenarioByName(args.scenario!);
const rounds = args.rounds ? positiveInt('rounds', args.rounds) : scenario.rounds;
const seriesPerRequest = positiveInt('series-per-request', args['series-per-request']!);
const concurrency = positiveInt('concurrency', args.concurrency!);
const budgetSeconds = args['time-budget'] ? positiveInt('time-budget', args['time-budget']) : scenario.timeBudgetSeconds;
const seed = positiveInt('seed', args.seed!);
const targets: TargetName[] = args.targets!.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
  if (!isTargetName(s)) throw new Error(`unknown target ${JSON.stringify(s)}`);
  return s;
});
const runStartMs = Date.now();
const budgetEndMs = runStartMs + budgetSeconds * 1000;
// Time kept back per target for start, snapshot/flush, disk measurement and stop.
const RESERVE_PER_TARGET_MS = 45_000;

const tty = process.stderr.isTTY;
let lastLineAt = 0;
function progress(line: string, final = false): void {
  const now = Date.now();
  if (!final && !tty && now - lastLineAt < 5000) return;
  lastLineAt = now;
  if (tty) process.stderr.write(`\r\x1b[K${line}${final ? '\n' : ''}`);
  else process.stderr.write(`${line}\n`);
}
function log(msg: string): void {
  if (tty) process.stderr.write('\r\x1b[K');
  process.stderr.write(`${msg}\n`);
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// On Ctrl-C, stop the server under test (it is our child) before exiting.
let current: RunningTarget | null = null;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.once(sig, () => {
    log(`interrupted (${sig}); stopping ${current?.name ?? 'nothing'}`);
    if (current) current.server.child.kill('SIGKILL');
    process.exit(130);
  });
}

function buildLog(workDir: string): { file: string; summary: RequestLogSummary; seconds: number } {
  const startMs = Math.floor((Date.now() - rounds * scenario.intervalMs) / 1000) * 1000;
  const t0 = Date.now();
  const gen = createNodeExporterGen({ hosts: scenario.hosts, seed, startMs, intervalMs: scenario.intervalMs });
  const file = path.join(workDir, 'requests.bin');
  log(`encoding ${rounds} rounds of ${gen.series.length} series (${scenario.hosts} hosts) into ${file}`);
  const summary = writeRequestLog(gen, file, {
    rounds, seriesPerRequest,
    onRound: (done) => {
      const el = (Date.now() - t0) / 1000;
      progress(`[encode] round ${done}/${rounds} ${((done / rounds) * 100).toFixed(0)}% ${el.toFixed(0)}s eta ${((el / done) * (rounds - done)).toFixed(0)}s`, done === rounds);
    },
  });
  return { file, summary, seconds: (Date.now() - t0) / 1000 };
}

async function waitStableDisk(t: RunningTarget): Promise<ReturnType<RunningTarget['diskUsage']>> {
  // Background work (VictoriaMetrics merges parts after a flush) can still change sizes; settle for
  // two equal readings a second apart, at most 20 s.
  let prev = t.diskUsage();
  for (let i = 0; i < 20; i++) {
    await sleep(1000);
    const cur = t.diskUsage();
    if (cur.persistedBytes === prev.persistedBytes) return cur;
    prev = cur;
  }
  return prev;
}

function emptyMeasurement(name: TargetName, activeSeries: number): TargetMeasurement {
  return {
    name, version: targetVersion(name), complete: false, activeSeries, samplesAccepted: 0, samplesFailed: 0,
    failedRequests: 0, retries: 0, errors: [], ingestWallSeconds: 0, cpuSecondsIngest: 0, cpuSecondsPersist: 0,
    persistWallSeconds: 0, idleRssBytes: 0, rssAfterIngestBytes: 0, peakRssBytes: 0, rssAfterGcBytes: NaN, persistedBytes: 0, dataDirAfterIngestBytes: 0,
    diskMethod: '', reportedSeries: null, loadAverage1m: NaN, samplesOffered: 0,
  };
}

// Once a target has been stopped by the time budget, later targets are sent the same prefix of the
// log, so every figure compares the same data (shorter series compress worse, for one).
let requestLimit: number | undefined;
let requestLimitNote = '';

async function measureTarget(name: TargetName, logFile: string, summary: RequestLogSummary, workRoot: string, targetsLeft: number): Promise<TargetMeasurement> {
  const m = emptyMeasurement(name, summary.series);
  const workDir = fs.mkdtempSync(path.join(workRoot, `${name}-`));
  let t: RunningTarget | null = null;
  try {
    log(`[${name}] starting (work dir ${workDir})`);
    t = await startTarget(name, { workDir });
    current = t;
    await sleep(3000); // let start-up work (WAL replay, caches) settle before the idle reading
    m.idleRssBytes = treeRssBytes(t.server.pid);
    const cpu0 = treeCpuSeconds(t.server.pid);

    // The first target still to run gets the largest share (2/(n+1) of what is left): once a target
    // is stopped by the budget, the later ones only get the same prefix, so time given to an early
    // slow target buys equal data for all, while later targets rarely need their whole share.
    const remaining = budgetEndMs - Date.now();
    const deadlineMs = Date.now() + Math.max(20_000, (remaining * 2) / (targetsLeft + 1) - RESERVE_PER_TARGET_MS);
    const toSend = requestLimit === undefined ? `${summary.samples} samples` : `the first ${requestLimit} requests (same as before)`;
    const expected = requestLimit === undefined ? summary.samples : Math.min(summary.samples, requestLimit * seriesPerRequest);
    log(`[${name}] idle RSS ${(m.idleRssBytes / 1048576).toFixed(1)} MiB; sending ${toSend}, ${concurrency} connections, deadline in ${((deadlineMs - Date.now()) / 1000).toFixed(0)}s`);
    const stats: SendStats = newSendStats();
    const timer = setInterval(() => {
      const el = (Date.now() - stats.startedAtMs) / 1000;
      const done = stats.samples + stats.failedSamples;
      progress(`[${name}] ${(done / 1e6).toFixed(1)}M/${(expected / 1e6).toFixed(1)}M samples ${((done / expected) * 100).toFixed(0)}% ` +
        `${(stats.samples / Math.max(el, 1e-3) / 1e3).toFixed(0)}k/s failed=${stats.failedSamples} retries=${stats.retries} ${el.toFixed(0)}s`);
    }, 1000);
    try {
      const server = t.server;
      await sendRequestLog(logFile, {
        url: t.writeUrl, concurrency, deadlineMs, maxRequests: requestLimit, shouldStop: () => server.exitCode() !== undefined,
      }, stats);
    } finally {
      clearInterval(timer);
    }
    if (t.server.exitCode() !== undefined) {
      throw new Error(`server exited during ingest (code ${t.server.exitCode()}) after ${stats.samples} samples:\n${logTail(t.server.logFile, 1500)}`);
    }
    m.ingestWallSeconds = (stats.finishedAtMs - stats.startedAtMs) / 1000;
    m.cpuSecondsIngest = treeCpuSeconds(t.server.pid) - cpu0;
    m.rssAfterIngestBytes = treeRssBytes(t.server.pid);
    m.peakRssBytes = treePeakRssBytes(t.server.pid);
    try {
      await t.collectGarbage();
      await sleep(2000); // freed pages go back to the OS shortly after a collection
      m.rssAfterGcBytes = treeRssBytes(t.server.pid);
    } catch (e) {
      m.errors.push(`forced GC: ${(e as Error).message}`);
    }
    m.loadAverage1m = os.loadavg()[0];
    m.dataDirAfterIngestBytes = t.dataDirBytes();
    m.samplesAccepted = stats.samples;
    m.samplesFailed = stats.failedSamples;
    m.failedRequests = stats.failedRequests;
    m.retries = stats.retries;
    m.errors = stats.errors;
    m.complete = !stats.stoppedByDeadline && stats.failedSamples === 0;
    m.samplesOffered = stats.samples + stats.failedSamples;
    if (stats.stoppedByDeadline && (requestLimit === undefined || stats.requests < requestLimit)) {
      requestLimit = stats.requests;
      requestLimitNote = `${name} was stopped by the time budget after ${stats.requests} of ${summary.requests} requests ` +
        `(${m.samplesOffered} samples); targets after it were sent the same first ${stats.requests} requests`;
    }
    progress(`[${name}] sent ${stats.samples} samples in ${m.ingestWallSeconds.toFixed(1)}s ` +
      `(${(stats.samples / m.ingestWallSeconds / 1e3).toFixed(0)}k/s)${stats.stoppedByDeadline ? ' STOPPED BY TIME BUDGET' : ''}, failed ${stats.failedSamples}`, true);

    // A failing snapshot/flush leaves the ingest figures valid: record it, report disk as n/a.
    const cpu1 = treeCpuSeconds(t.server.pid);
    const p0 = Date.now();
    log(`[${name}] persisting (snapshot/flush)`);
    try {
      await t.persist();
      m.persistWallSeconds = (Date.now() - p0) / 1000;
      const disk = await waitStableDisk(t);
      m.persistedBytes = disk.persistedBytes;
      m.diskMethod = disk.method;
    } catch (e) {
      m.persistedBytes = NaN;
      m.complete = false;
      m.errors.push(`persist: ${(e as Error).message}`);
      log(`[${name}] persist FAILED: ${(e as Error).message}`);
    }
    m.cpuSecondsPersist = treeCpuSeconds(t.server.pid) - cpu1;
    try {
      m.reportedSeries = await t.seriesCount();
    } catch (e) {
      m.errors.push(`series count: ${(e as Error).message}`);
    }
    log(`[${name}] persisted ${(m.persistedBytes / 1048576).toFixed(1)} MiB (${(m.persistedBytes / Math.max(1, m.samplesAccepted)).toFixed(2)} B/sample), ` +
      `RSS ${(m.rssAfterIngestBytes / 1048576).toFixed(0)} MiB, series reported ${m.reportedSeries ?? 'n/a'}`);
  } catch (e) {
    m.error = (e as Error).message;
    m.complete = false;
    log(`[${name}] FAILED: ${m.error}`);
  } finally {
    if (t) await t.stop().catch(() => undefined);
    current = null;
    if (!args['keep-data']) fs.rmSync(workDir, { recursive: true, force: true });
  }
  return m;
}

async function main(): Promise<void> {
  const workRoot = args['work-dir'] ? path.resolve(args['work-dir']) : fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-ingest-'));
  fs.mkdirSync(workRoot, { recursive: true });
  const cleanupLog = (): void => fs.rmSync(path.join(workRoot, 'requests.bin'), { force: true });
  try {
    const { file, summary, seconds } = buildLog(workRoot);
    log(`encoded ${summary.requests} requests, ${summary.samples} samples, ${(summary.bodyBytes / 1048576).toFixed(0)} MiB compressed in ${seconds.toFixed(0)}s`);
    const results: TargetMeasurement[] = [];
    for (let i = 0; i < targets.length; i++) {
      results.push(await measureTarget(targets[i], file, summary, workRoot, targets.length - i));
    }
    const ratios = computeRatios(results);
    const cpu = os.cpus();
    const notes = [
      `dataset: ${summary.series} active series (${scenario.hosts} node_exporter-shaped hosts, seed ${seed}), ${summary.rounds} rounds at ${scenario.intervalMs / 1000}s ` +
        `= ${summary.samples} samples, from ${new Date(summary.firstTimestampMs).toISOString()} to ${new Date(summary.lastTimestampMs).toISOString()}`,
      `traffic: remote write 1.0, ${seriesPerRequest} series x 1 sample per request (${summary.requests} requests, ` +
        `${(summary.bodyBytes / summary.samples).toFixed(1)} B/sample snappy-compressed on the wire), ${concurrency} keep-alive connections; identical bytes to every target`,
      `machine: ${cpu.length} x ${cpu[0]?.model ?? 'cpu'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, shared with other work (see load average): wall-clock figures are indicative; CPU-s, bytes and RSS per series depend less on load`,
      'CPU = utime+stime of the server process tree during ingest; RSS per series = (RSS after ingest - idle RSS) / active series',
      `run: ${new Date(runStartMs).toISOString()}, time budget ${budgetSeconds}s; "partial" = stopped by the budget (figures cover what was sent)`,
    ];
    if (requestLimitNote !== '') notes.push(requestLimitNote);
    const title = `Ingestion benchmark: scenario ${scenario.name}`;
    const outDir = path.resolve(args['out-dir']!);
    fs.mkdirSync(outDir, { recursive: true });
    const base = path.join(outDir, `ingest-${scenario.name}`);
    const json = {
      scenario: scenario.name, startedAt: new Date(runStartMs).toISOString(), seed, concurrency, seriesPerRequest,
      dataset: { ...summary, hosts: scenario.hosts, intervalMs: scenario.intervalMs, encodeSeconds: seconds },
      machine: { cpus: cpu.length, model: cpu[0]?.model ?? '', memBytes: os.totalmem(), shared: true },
      targets: results.map((m) => ({ ...m, derived: m.error ? null : derive(m) })),
      ratios,
      notes,
    };
    fs.writeFileSync(`${base}.json`, JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2) + '\n');
    const md = renderMarkdown({ title, notes }, results, ratios);
    fs.writeFileSync(`${base}.md`, md + `\n![ratios](ingest-${scenario.name}.svg)\n`);
    fs.writeFileSync(`${base}.svg`, renderRatioSvg(`${title}: ratios`, ratios));
    process.stdout.write(md);
    log(`wrote ${base}.json, .md, .svg in ${((Date.now() - runStartMs) / 1000).toFixed(0)}s`);
    if (results.some((m) => m.error)) process.exitCode = 1;
  } finally {
    cleanupLog();
    if (!args['work-dir'] && !args['keep-data']) fs.rmSync(workRoot, { recursive: true, force: true });
  }
}

await main();
