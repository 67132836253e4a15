// Runs the real `strata` command as a child process, as an operator would. The server listens on
// 127.0.0.1:0 and logs a JSON line {"msg":"listening","address":"host:port"}; the helper reads the
// real port from it.
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const STRATA_BIN = path.join(REPO, 'bin/strata.js');

export interface StrataProcess {
  readonly proc: ChildProcess;
  /** http://host:port */
  readonly url: string;
  readonly address: string;
  /** Everything the process wrote to stderr so far (its log). */
  log(): string;
  /** Parsed JSON log lines so far. */
  logLines(): Record<string, unknown>[];
  /** Resolves with the exit code (or null when killed by a signal) and the signal. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Polls /-/ready until it answers 200. */
  waitReady(timeoutMs?: number): Promise<void>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

export interface StartOptions {
  dataDir: string;
  /** Extra arguments after `server` (e.g. --config FILE). */
  args?: string[];
  /** Wait for /-/ready (default true). */
  ready?: boolean;
  timeoutMs?: number;
  /** HOST:PORT to listen on (default 127.0.0.1:0): a known port, e.g. for a replica's server.external_url. */
  listen?: string;
}

export function runStrata(args: string[]): ChildProcess {
  return spawn(process.execPath, [STRATA_BIN, ...args], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Runs a strata command to completion, e.g. `strata --version`. */
export async function runStrataCommand(args: string[], timeoutMs = 20_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = runStrata(args);
  let stdout = '';
  let stderr = '';
  p.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const timer = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => p.on('exit', (c) => resolve(c)));
  clearTimeout(timer);
  await new Promise((r) => setImmediate(r));
  return { code, stdout, stderr };
}

export async function startStrata(o: StartOptions): Promise<StrataProcess> {
  const proc = runStrata(['server', '--data-dir', o.dataDir, '--listen', o.listen ?? '127.0.0.1:0', ...(o.args ?? [])]);
  let stderr = '';
  let stdout = '';
  proc.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    proc.on('exit', (code, signal) => resolve({ code, signal }));
  });
  const parseLines = () => {
    const out: Record<string, unknown>[] = [];
    for (const line of stderr.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        // a partial line still being written
      }
    }
    return out;
  };

  const address = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      proc.kill('SIGKILL');
      reject(new Error(`strata did not log its address within ${o.timeoutMs ?? 20_000} ms:\n${stderr}${stdout}`));
    }, o.timeoutMs ?? 20_000);
    proc.stderr!.on('data', (d: Buffer) => {
      stderr += d.toString();
      const l = parseLines().find((x) => x.msg === 'listening');
      if (l) {
        clearTimeout(timer);
        resolve(String(l.address));
      }
    });
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`strata exited (code ${code}, signal ${signal}) before listening:\n${stderr}${stdout}`));
    });
  });
  const url = `http://${address}`;

  const sp: StrataProcess = {
    proc,
    url,
    address,
    log: () => stderr,
    logLines: parseLines,
    exited,
    async waitReady(timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      let exitedEarly = false;
      void exited.then(() => (exitedEarly = true));
      for (;;) {
        if (exitedEarly) throw new Error(`strata exited before it was ready:\n${stderr}`);
        try {
          const r = await fetch(`${url}/-/ready`);
          await r.text();
          if (r.status === 200) return;
        } catch {
          // not accepting yet
        }
        if (Date.now() > deadline) throw new Error(`strata not ready within ${timeoutMs} ms:\n${stderr}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    },
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      return exited;
    },
  };
  if (o.ready ?? true) await sp.waitReady(o.timeoutMs);
  return sp;
}

export function tempDir(prefix = 'strata-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** GET a JSON API endpoint; returns status and parsed body. */
export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; body: any }> {
  const r = await fetch(url, init);
  const text = await r.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text for the assertion message
  }
  return { status: r.status, body };
}

export function query(params: Record<string, string | string[]>): string {
  const sp = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) for (const x of Array.isArray(v) ? v : [v]) sp.append(k, x);
  return sp.toString();
}

/** Parses the export's JSON lines. */
export function parseExport(text: string): { metric: Record<string, string>; values: (number | string)[]; timestamps: number[] }[] {
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

/** Value of one sample in Prometheus text format, e.g. metricValue(text, 'strata_tsdb_blocks{tier="raw"}'). */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1).split(' ')[0]);
  }
  return undefined;
}
