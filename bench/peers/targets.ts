// The systems a benchmark runs side by side: Prometheus and VictoriaMetrics (from Debian packages,
// see setup.sh) and Strata itself. Each is started as a direct child process with its own data dir
// and loopback port, so CPU and memory can be read from /proc for exactly that process tree.
//
// "Persisted bytes" must mean the same thing for all three: the data in its final on-disk form,
// without write-ahead logs.
//   - Prometheus keeps recent data in the head (memory + WAL). An admin snapshot writes the head
//     out as a regular block; we measure the snapshot directory (index + chunks + meta).
//   - VictoriaMetrics has no WAL: /internal/force_flush turns its in-memory buffers into parts;
//     we measure the whole storage directory (data + indexdb).
//   - Strata: POST /api/v1/admin/tsdb/flush; we measure the data dir without any `wal` directory.
// The size of each data dir right after ingest, before snapshot/flush (WAL included), is reported
// next to it: the footprint while running.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  dirSizeBytes, excludeDirsNamed, freePort, httpRequest, type Server, startServer, stopServer, waitReady,
} from '../lib/index.ts';

export const TARGET_NAMES = ['prometheus', 'victoriametrics', 'strata'] as const;
export type TargetName = (typeof TARGET_NAMES)[number];

export function isTargetName(s: string): s is TargetName {
  return (TARGET_NAMES as readonly string[]).includes(s);
}

export interface DiskUsage {
  /** Bytes of the ingested data in its final on-disk form (see the file comment). */
  persistedBytes: number;
  /** How persistedBytes was measured, for the report. */
  method: string;
}

export interface RunningTarget {
  readonly name: TargetName;
  readonly server: Server;
  readonly baseUrl: string;
  readonly writeUrl: string;
  readonly dataDir: string;
  /** Makes everything ingested durable in its final on-disk form (snapshot / flush). */
  persist(): Promise<void>;
  diskUsage(): DiskUsage;
  /** The whole data dir as it stands (WAL included; Prometheus snapshots excluded). */
  dataDirBytes(): number;
  /** Number of series the target says it holds (a sanity check), or null if it cannot tell. */
  seriesCount(): Promise<number | null>;
  /**
   * Runs a full garbage collection in the server, for an RSS reading that does not depend on when
   * the collector last ran: Go's runtime.GC() through pprof's `?gc=1`; V8's through the inspector.
   */
  collectGarbage(): Promise<void>;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** A fresh directory for this target's data and log. */
  workDir: string;
  readyTimeoutMs?: number;
}

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

async function goGc(baseUrl: string): Promise<void> {
  const res = await httpRequest('GET', `${baseUrl}/debug/pprof/heap?gc=1`, 60_000);
  if (res.status !== 200) throw new Error(`GET /debug/pprof/heap?gc=1: HTTP ${res.status}`);
}

/** HeapProfiler.collectGarbage over the Chrome DevTools protocol. */
async function v8Gc(inspectPort: number): Promise<void> {
  const list = (await getJson(`http://127.0.0.1:${inspectPort}/json/list`)) as { webSocketDebuggerUrl: string }[];
  const ws = new WebSocket(list[0].webSocketDebuggerUrl);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('inspector: no answer to HeapProfiler.collectGarbage in 60 s')), 60_000);
      ws.onerror = () => reject(new Error('inspector: websocket error'));
      ws.onopen = () => ws.send(JSON.stringify({ id: 1, method: 'HeapProfiler.collectGarbage' }));
      ws.onmessage = (e) => {
        const msg = JSON.parse(String(e.data)) as { id?: number; error?: { message: string } };
        if (msg.id !== 1) return;
        clearTimeout(timer);
        if (msg.error) reject(new Error(`inspector: ${msg.error.message}`));
        else resolve();
      };
    });
  } finally {
    ws.close();
  }
}

async function getJson(url: string): Promise<unknown> {
  const res = await httpRequest('GET', url, 30_000);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as unknown;
}

async function postOk(url: string, timeoutMs = 300_000): Promise<string> {
  const res = await httpRequest('POST', url, timeoutMs);
  if (res.status < 200 || res.status >= 300) throw new Error(`POST ${url}: HTTP ${res.status} ${res.body.slice(0, 300)}`);
  return res.body;
}

/** Waits for readiness; a server that never gets ready is stopped rather than left behind. */
async function readyOrStop(server: Server, url: string, timeoutMs?: number): Promise<void> {
  try {
    await waitReady(server, url, timeoutMs);
  } catch (e) {
    await stopServer(server, 2000);
    throw e;
  }
}

async function startPrometheus(opts: StartOptions): Promise<RunningTarget> {
  const dataDir = path.join(opts.workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const config = path.join(opts.workDir, 'prometheus.yml');
  fs.writeFileSync(config, 'scrape_configs: []\n');
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer('prometheus', [
    '--web.enable-remote-write-receiver', '--web.enable-admin-api',
    `--storage.tsdb.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, `--config.file=${config}`,
    '--storage.tsdb.retention.time=100y', '--log.level=warn',
  ], path.join(opts.workDir, 'server.log'));
  await readyOrStop(server, `${baseUrl}/-/ready`, opts.readyTimeoutMs);
  let snapshotDir = '';
  return {
    name: 'prometheus', server, baseUrl, writeUrl: `${baseUrl}/api/v1/write`, dataDir,
    async persist() {
      const body = JSON.parse(await postOk(`${baseUrl}/api/v1/admin/tsdb/snapshot?skip_head=false`)) as { data: { name: string } };
      snapshotDir = path.join(dataDir, 'snapshots', body.data.name);
    },
    diskUsage() {
      if (snapshotDir === '') throw new Error('prometheus: diskUsage before persist');
      return {
        persistedBytes: dirSizeBytes(snapshotDir),
        method: 'admin snapshot of the head (block: index + chunks + meta, no WAL)',
      };
    },
    dataDirBytes: () => dirSizeBytes(dataDir, { exclude: (rel, isDir) => isDir && rel === 'snapshots' }),
    async seriesCount() {
      const j = (await getJson(`${baseUrl}/api/v1/status/tsdb`)) as { data?: { headStats?: { numSeries?: number } } };
      return j.data?.headStats?.numSeries ?? null;
    },
    collectGarbage: () => goGc(baseUrl),
    stop: () => stopServer(server),
  };
}

async function startVictoriaMetrics(opts: StartOptions): Promise<RunningTarget> {
  const dataDir = path.join(opts.workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  const server = startServer('victoria-metrics', [
    `-storageDataPath=${dataDir}`, `-httpListenAddr=127.0.0.1:${port}`, '-retentionPeriod=100y', '-loggerLevel=WARN',
  ], path.join(opts.workDir, 'server.log'));
  await readyOrStop(server, `${baseUrl}/health`, opts.readyTimeoutMs);
  return {
    name: 'victoriametrics', server, baseUrl, writeUrl: `${baseUrl}/api/v1/write`, dataDir,
    async persist() {
      await httpRequest('GET', `${baseUrl}/internal/force_flush`, 300_000);
    },
    collectGarbage: () => goGc(baseUrl),
    diskUsage() {
      return {
        persistedBytes: dirSizeBytes(dataDir),
        method: 'storage dir after /internal/force_flush (data + indexdb; VictoriaMetrics has no WAL)',
      };
    },
    dataDirBytes: () => dirSizeBytes(dataDir),
    async seriesCount() {
      const j = (await getJson(`${baseUrl}/api/v1/series/count`)) as { data?: number[] };
      return j.data?.[0] ?? null;
    },
    stop: () => stopServer(server),
  };
}

async function startStrata(opts: StartOptions): Promise<RunningTarget> {
  const dataDir = path.join(opts.workDir, 'data');
  fs.mkdirSync(dataDir, { recursive: true });
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  // Like-for-like with the peers: no self-monitoring series (the peers store none of their own
  // with an empty config), keep everything (the peers run with 100y), fewer log lines.
  const config = path.join(opts.workDir, 'strata.yml');
  fs.writeFileSync(config, 'self_monitoring:\n  enabled: false\nstorage:\n  retention: "0"\nlog:\n  level: warn\n');
  const node = path.join(REPO_ROOT, 'node_modules/.bin/node');
  // The inspector (idle unless asked) is the one way to make V8 collect on demand from outside.
  const inspectPort = await freePort();
  const server = startServer(node, [
    `--inspect=127.0.0.1:${inspectPort}`,
    path.join(REPO_ROOT, 'bin/strata.js'), 'server', '--config', config, '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`,
  ], path.join(opts.workDir, 'server.log'), REPO_ROOT);
  await readyOrStop(server, `${baseUrl}/-/ready`, opts.readyTimeoutMs);
  const noWal = excludeDirsNamed('wal');
  return {
    name: 'strata', server, baseUrl, writeUrl: `${baseUrl}/api/v1/write`, dataDir,
    async persist() {
      await postOk(`${baseUrl}/api/v1/admin/tsdb/flush`);
    },
    collectGarbage: () => v8Gc(inspectPort),
    diskUsage() {
      return {
        persistedBytes: dirSizeBytes(dataDir, { exclude: noWal }),
        method: 'data dir after /api/v1/admin/tsdb/flush, without wal/ directories',
      };
    },
    dataDirBytes: () => dirSizeBytes(dataDir),
    async seriesCount() {
      // Series created since start (a fresh DB): still right after a flush has emptied the head.
      const res = await httpRequest('GET', `${baseUrl}/metrics`, 30_000);
      const m = /^strata_tsdb_head_series_created_total(?:\{[^}]*\})? (\S+)$/m.exec(res.body);
      return m ? Number(m[1]) : null;
    },
    stop: () => stopServer(server),
  };
}

export function startTarget(name: TargetName, opts: StartOptions): Promise<RunningTarget> {
  switch (name) {
    case 'prometheus':
      return startPrometheus(opts);
    case 'victoriametrics':
      return startVictoriaMetrics(opts);
    case 'strata':
      return startStrata(opts);
  }
}

function tryExec(cmd: string, args: string[], cwd?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', cwd, stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  } catch {
    return 'unknown';
  }
}

/** A version string for the report. */
export function targetVersion(name: TargetName): string {
  switch (name) {
    case 'prometheus':
      return tryExec('prometheus', ['--version']).split('\n')[0];
    case 'victoriametrics':
      // The Debian build prints an empty -version; the package version is what identifies it.
      return `victoria-metrics ${tryExec('dpkg-query', ['-W', '-f=${Version}', 'victoria-metrics'])} (Debian package)`;
    case 'strata':
      return `strata ${tryExec('git', ['rev-parse', '--short', 'HEAD'], REPO_ROOT)}`;
  }
}
