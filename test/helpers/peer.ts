// The Debian-packaged peers the side-by-side tests run against (Prometheus, Alertmanager,
// node_exporter, the Pushgateway): installed with apt when missing (CI starts from a clean
// machine), started directly — not as the system service — on a free loopback port, waited for
// until ready, stopped.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Makes sure `bin` exists, installing Debian's `pkg` if not (only it: --no-install-recommends).
 * Returns null when it is there, or the reason it is not (no apt, no network, not root).
 */
export async function ensureDebianPackage(pkg: string, bin: string): Promise<string | null> {
  if (fs.existsSync(bin)) return null;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeout: 240_000, maxBuffer: 64 << 20 });
    await run('apt-get', ['install', '-y', '--no-install-recommends', pkg], { env, timeout: 300_000, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `installing the Debian package "${pkg}" failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}`;
  }
  return fs.existsSync(bin) ? null : `apt-get installed "${pkg}" but ${bin} is missing`;
}

/**
 * ensureDebianPackage for a comparison test: null when the peer is there; else the reason, after
 * a warning that `what` is skipped. Under CI (network and root) a missing peer is a failure.
 */
export async function peerForComparison(what: string, pkg: string, bin: string): Promise<string | null> {
  const reason = await ensureDebianPackage(pkg, bin);
  if (reason === null) return null;
  if (process.env.CI) throw new Error(reason);
  console.warn(`SKIPPING ${what}: ${reason}`);
  return reason;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PeerProcess {
  /** http://127.0.0.1:<port> */
  readonly url: string;
  readonly proc: ChildProcess;
  /** What it wrote to stdout and stderr so far. */
  log(): string;
  /** SIGTERM, SIGKILL after 10 s. */
  stop(): Promise<void>;
}

export interface PeerStart {
  /** For error messages: "prometheus". */
  name: string;
  bin: string;
  /** The command line, given the free port it is to listen on. */
  args: (port: number) => string[];
  /** A GET of this path answering 200 means ready (default /-/ready). */
  readyPath?: string;
  timeoutMs: number;
}

export async function startPeer(o: PeerStart): Promise<PeerProcess> {
  const port = await freePort();
  const proc = spawn(o.bin, o.args(port), { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    if (gone) throw new Error(`${o.name} exited before it was ready:\n${log}`);
    try {
      const r = await fetch(`${url}${o.readyPath ?? '/-/ready'}`);
      await r.text();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`${o.name} not ready within ${o.timeoutMs} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    proc,
    log: () => log,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(t);
    },
  };
}
