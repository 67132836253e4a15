import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.ts';
import { prettyLine } from './logger.ts';
import { selfInstance, startServer } from './server.ts';

describe('pretty logs', () => {
  it('turns a JSON line into time LEVEL message key=value', () => {
    const line = JSON.stringify({ level: 'info', time: '2026-01-01T00:00:00.000Z', msg: 'listening', address: '0.0.0.0:9190', note: 'two words' });
    expect(prettyLine(line)).toBe('2026-01-01T00:00:00.000Z INFO  listening address=0.0.0.0:9190 note="two words"\n');
  });
});

describe('self-monitoring instance', () => {
  it('is localhost:<port> when listening on all interfaces, as Prometheus names its own job, else the listen address', () => {
    expect(selfInstance('', 9190)).toBe('localhost:9190');
    expect(selfInstance('0.0.0.0', 9190)).toBe('localhost:9190');
    expect(selfInstance('::', 9190)).toBe('localhost:9190');
    expect(selfInstance('127.0.0.1', 9190)).toBe('127.0.0.1:9190');
    expect(selfInstance('::1', 9190)).toBe('[::1]:9190');
  });
});

describe('startServer', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });

  it('answers /-/healthy before the DB is open, becomes ready, and stops cleanly', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-role-'));
    dirs.push(dir);
    const config = defaultConfig();
    config.server.listen = '127.0.0.1:0';
    config.storage.path = path.join(dir, 'data');
    config.selfMonitoring.intervalMs = 60_000;
    const s = await startServer({ config, logger: pino({ level: 'silent' }), version: 'test' });
    // Listening already: healthy answers whatever the storage is doing.
    expect((await fetch(`http://${s.address}/-/healthy`)).status).toBe(200);
    await s.ready;
    expect((await fetch(`http://${s.address}/-/ready`)).status).toBe(200);
    // The first self-monitoring round runs at once.
    let found: unknown[] = [];
    for (let i = 0; i < 50 && found.length === 0; i++) {
      const r = await fetch(`http://${s.address}/api/v1/series?match[]=strata_ready`);
      found = ((await r.json()) as { data: unknown[] }).data;
      if (found.length === 0) await new Promise((r) => setTimeout(r, 20));
    }
    expect(found).toEqual([{ __name__: 'strata_ready', instance: s.address, job: 'strata' }]);
    // Self-monitoring is a scrape of the own /metrics over HTTP, listed like any target.
    const targets = (await (await fetch(`http://${s.address}/api/v1/targets`)).json()) as { data: { activeTargets: Record<string, unknown>[] } };
    expect(targets.data.activeTargets).toEqual([expect.objectContaining({
      scrapePool: 'strata', scrapeUrl: `http://${s.address}/metrics`, health: 'up', labels: { instance: s.address, job: 'strata' },
    })]);
    // The scrape manager's metrics are in the server's /metrics under Prometheus' names.
    const own = await (await fetch(`http://${s.address}/metrics`)).text();
    expect(own).toMatch(/^prometheus_target_scrape_pool_targets\{scrape_job="strata"\} 1$/m);
    expect(own).toMatch(/^prometheus_target_scrape_pools_total 1$/m);
    expect(own).toMatch(/^prometheus_sd_discovered_targets\{config="strata",name="scrape"\} 1$/m);
    const stopping = s.stop();
    expect(s.stop()).toBe(stopping);
    await stopping;
    await expect(fetch(`http://${s.address}/-/healthy`)).rejects.toThrow();
  });

  it('lets an in-flight request finish on stop, refusing new ones, and cuts it off after shutdown_timeout', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-role-'));
    dirs.push(dir);
    const config = defaultConfig();
    config.server.listen = '127.0.0.1:0';
    config.storage.path = path.join(dir, 'data');
    config.selfMonitoring.enabled = false;
    config.server.shutdownTimeoutMs = 300;
    const s = await startServer({ config, logger: pino({ level: 'silent' }), version: 'test' });
    await s.ready;

    // A request whose body arrives only after stop() was called.
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    const enc = new TextEncoder();
    const slow = fetch(`http://${s.address}/api/v1/labels`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(enc.encode('match[]='));
        },
        async pull(c) {
          await released;
          c.enqueue(enc.encode('up'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    await new Promise((r) => setTimeout(r, 50));
    const stopping = s.stop();
    await new Promise((r) => setTimeout(r, 20));
    await expect(fetch(`http://${s.address}/-/healthy`)).rejects.toThrow();
    release();
    const r = await slow;
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual({ status: 'success', data: [] });
    await stopping;

    // Restarted on the same data: a request that never completes is cut off after the timeout.
    const s2 = await startServer({ config, logger: pino({ level: 'silent' }), version: 'test' });
    await s2.ready;
    const stuck = fetch(`http://${s2.address}/api/v1/labels`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new ReadableStream<Uint8Array>({
        start(c) {
          c.enqueue(new TextEncoder().encode('match[]='));
        },
        pull: () => new Promise<void>(() => {}),
      }),
      duplex: 'half',
    } as RequestInit).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await s2.stop();
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(250);
    expect(took).toBeLessThan(3000);
    expect(await stuck).toBeInstanceOf(Error);
  });

  it('fails to start, closing its port, when the storage cannot be opened', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-role-'));
    dirs.push(dir);
    const file = path.join(dir, 'not-a-dir');
    fs.writeFileSync(file, 'x');
    const config = defaultConfig();
    config.server.listen = '127.0.0.1:0';
    config.storage.path = file;
    const s = await startServer({ config, logger: pino({ level: 'silent' }), version: 'test' });
    await expect(s.ready).rejects.toThrow();
    await expect(fetch(`http://${s.address}/-/healthy`)).rejects.toThrow();
  });
});
