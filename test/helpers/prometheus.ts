// A real Prometheus (the Debian package, 2.x) for side-by-side tests: installed with apt when
// missing (CI starts from a clean machine), started directly — not as the system service — on a
// free loopback port with its own temp storage, an empty configuration (it scrapes nothing) and
// the remote-write receiver on, so tests load the same data into it as into Strata.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer } from 'node:net';
import * as path from 'node:path';
import { promisify } from 'node:util';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

const run = promisify(execFile);

/**
 * Makes sure /usr/bin/prometheus exists, installing the Debian package if not. Returns null when it
 * is available, or the reason it is not (no apt, no network, not root) for a visible skip.
 */
/**
 * ensurePrometheus for a comparison test: null when Prometheus is there; else the reason, after a
 * warning that `what` is skipped. Under CI (network and root) a missing Prometheus is a failure.
 */
export async function prometheusForComparison(what: string): Promise<string | null> {
  const reason = await ensurePrometheus();
  if (reason === null) return null;
  if (process.env.CI) throw new Error(reason);
  console.warn(`SKIPPING ${what}: ${reason}`);
  return reason;
}

export async function ensurePrometheus(): Promise<string | null> {
  if (fs.existsSync(PROMETHEUS_BIN)) return null;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeout: 240_000, maxBuffer: 64 << 20 });
    // --no-install-recommends: only the server, not its exporters and web assets.
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus'], { env, timeout: 300_000, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `installing the Debian package "prometheus" failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}`;
  }
  return fs.existsSync(PROMETHEUS_BIN) ? null : `apt-get installed "prometheus" but ${PROMETHEUS_BIN} is missing`;
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

export interface PrometheusProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/**
 * `config` replaces the default configuration (which scrapes nothing), e.g. to scrape and
 * remote-write; `flags` are added to the command line (e.g. --rules.alert.resend-delay=1s).
 */
export async function startPrometheus(dir: string, timeoutMs = 30_000, config = 'global:\n  scrape_interval: 1h\n', flags: string[] = []): Promise<PrometheusProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(cfg, config);
  const port = await freePort();
  const proc = spawn(PROMETHEUS_BIN, [
    `--config.file=${cfg}`,
    `--storage.tsdb.path=${path.join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-remote-write-receiver',
    '--log.level=warn',
    ...flags,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout!.on('data', (d: Buffer) => (log += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let gone = false;
  void exited.then(() => (gone = true));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (gone) throw new Error(`prometheus exited before it was ready:\n${log}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      await r.text();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`prometheus not ready within ${timeoutMs} ms:\n${log}`);
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
