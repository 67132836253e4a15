// A real Pushgateway (the Debian package, 1.5) for side-by-side tests of Strata's push API.
// scripts/ensure-test-peers.sh installs it before the suite; this installs it when missing too
// (a single test file run by hand). Started directly, not as the system service, on a free
// loopback port and with persistence off: Debian's default --persistence.file is
// /var/lib/prometheus/pushgateway.data, which would carry groups from one run into the next.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import { promisify } from 'node:util';
import { freePort } from './prometheus.ts';

export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

const run = promisify(execFile);

/**
 * For a comparison test: null when the Pushgateway is there (installing the Debian package if
 * not); else the reason, after a warning that `what` is skipped. Under CI (network and root) a
 * missing Pushgateway is a failure.
 */
export async function pushgatewayForComparison(what: string): Promise<string | null> {
  const reason = await ensurePushgateway();
  if (reason === null) return null;
  if (process.env.CI) throw new Error(reason);
  console.warn(`SKIPPING ${what}: ${reason}`);
  return reason;
}

async function ensurePushgateway(): Promise<string | null> {
  if (fs.existsSync(PUSHGATEWAY_BIN)) return null;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  try {
    await run('apt-get', ['update'], { env, timeout: 240_000, maxBuffer: 64 << 20 });
    await run('apt-get', ['install', '-y', '--no-install-recommends', 'prometheus-pushgateway'], { env, timeout: 300_000, maxBuffer: 64 << 20 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    return `installing the Debian package "prometheus-pushgateway" failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}`;
  }
  return fs.existsSync(PUSHGATEWAY_BIN) ? null : `apt-get installed "prometheus-pushgateway" but ${PUSHGATEWAY_BIN} is missing`;
}

export interface PushgatewayProcess {
  readonly url: string;
  readonly proc: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

export async function startPushgateway(timeoutMs = 20_000): Promise<PushgatewayProcess> {
  const port = await freePort();
  const proc = spawn(PUSHGATEWAY_BIN, [
    `--web.listen-address=127.0.0.1:${port}`,
    '--persistence.file=',
    '--log.level=warn',
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
    if (gone) throw new Error(`pushgateway exited before it was ready:\n${log}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      await r.text();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`pushgateway not ready within ${timeoutMs} ms:\n${log}`);
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
