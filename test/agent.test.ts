// The host agent against the real server: the server goes away for a while, the agent is
// restarted meanwhile, the server comes back — and every sample the agent produced is stored,
// exactly once, nothing more.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { uncompressSync } from 'snappy';
import { HOST_COLLECTOR_FUNCS, hostProducer } from '../src/agent/host.ts';
import { Agent, type Producer } from '../src/agent/index.ts';
import { decodeWriteRequest } from '../src/ingest/index.ts';
import { SampleBatchBuilder, getLabel, labelsFromRecord } from '../src/model/index.ts';
import { NODE_EXPORTER_BIN, ensureNodeExporter, startNodeExporter } from './helpers/nodeexporter.ts';
import { metricValue, parseExport, query, runStrata, startStrata, tempDir } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const cleanup: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const f of cleanup.reverse()) await f();
});

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

// The server on a fixed port, so the agent's URL stays valid across server restarts.
async function startServer(dataDir: string, port: number) {
  const proc = runStrata(['server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`]);
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/-/ready`);
      await r.text();
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || proc.exitCode !== null) throw new Error(`server not ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  const stop = async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
  };
  cleanup.push(stop);
  return { stop, url: `http://127.0.0.1:${port}` };
}

describe('agent forwarding', () => {
  it('delivers every sample exactly once across a server outage and an agent restart', async () => {
    const dataDir = tempDir('strata-agent-server-');
    const queueDir = tempDir('strata-agent-queue-');
    cleanup.push(() => {
      fs.rmSync(dataDir, { recursive: true, force: true });
      fs.rmSync(queueDir, { recursive: true, force: true });
    });
    const port = await freePort();

    // A deterministic producer: three series, one sample each per round, value = round number.
    const SERIES = 3;
    const base = Date.now() - 60_000;
    let round = 0;
    let producing = true;
    const produced: number[] = []; // rounds produced, in order
    const producer: Producer = () => {
      if (!producing) return null;
      const b = new SampleBatchBuilder();
      for (let s = 0; s < SERIES; s++) {
        b.startSeries(labelsFromRecord({ __name__: 'agent_test_seq', series: String(s), job: 'agent_test' }));
        b.add(base + round * 10, round);
      }
      produced.push(round++);
      return b.build();
    };
    const newAgent = () => new Agent({
      queueDir, maxQueueBytes: 64 << 20, segmentBytes: 4096,
      remoteWriteUrl: `http://127.0.0.1:${port}/api/v1/write`,
      timeoutMs: 2000, minBackoffMs: 20, maxBackoffMs: 200, intervalMs: 10, producers: [producer],
    });

    let server = await startServer(dataDir, port);
    let agent = newAgent();
    await until('first deliveries', () => agent.sender.stats.sentSamples >= 30);

    await server.stop();
    const roundsBeforeOutage = round;
    await until('retries while the server is down', () => agent.sender.stats.retries >= 3 && round > roundsBeforeOutage + 30);
    expect(agent.queue.stats.pendingSamples).toBeGreaterThan(0);

    // The agent restarts while the server is still down: the queue is all it has.
    await agent.stop();
    const pendingAtRestart = agent.queue.stats.pendingSamples;
    agent = newAgent();
    cleanup.push(() => agent.stop());
    expect(agent.queue.stats.pendingSamples).toBe(pendingAtRestart);
    const roundsAtRestart = round;
    await until('production after the restart', () => round > roundsAtRestart + 30);

    server = await startServer(dataDir, port);
    await until('more production after the server is back', () => round > roundsAtRestart + 60);
    producing = false;
    await until('the queue drained', () => agent.queue.stats.pendingRecords === 0);
    await agent.stop();
    expect(agent.sender.stats.rejectedSamples).toBe(0);
    expect(agent.queue.stats.droppedSamples).toBe(0);

    const res = await fetch(`${server.url}/api/v1/export?${query({ 'match[]': 'agent_test_seq' })}`);
    expect(res.status).toBe(200);
    const series = parseExport(await res.text());
    expect(series.map((s) => s.metric.series).sort()).toEqual(['0', '1', '2']);
    for (const s of series) {
      expect(s.values.map(Number)).toEqual(produced);
      expect(s.timestamps).toEqual(produced.map((r) => base + r * 10));
    }
  }, 40_000);
});

describe('strata agent', () => {
  it('forwards host metrics and a scraped local target to the server, and reports its queue in /metrics', async () => {
    const dir = tempDir('strata-agent-cli-');
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const server = await startStrata({ dataDir: path.join(dir, 'server') });
    cleanup.push(async () => void (await server.stop()));
    const target = http.createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('# TYPE app_requests_total counter\napp_requests_total{path="/x"} 42\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => target.close(() => r())));
    const cfg = path.join(dir, 'agent.yml');
    fs.writeFileSync(cfg, [
      'global:',
      '  scrape_interval: 1s',
      '  external_labels: { site: test }',
      'scrape_configs:',
      '  - job_name: app',
      `    static_configs: [{ targets: ["127.0.0.1:${(target.address() as net.AddressInfo).port}"] }]`,
      'agent:',
      '  listen: 127.0.0.1:0',
      '  collect_interval: 1s',
      '  collectors: [loadavg, cpu, uname]',
      `  remote_write: { url: "${server.url}/api/v1/write", min_backoff: 50ms, max_backoff: 1s }`,
      `  queue: { path: ${JSON.stringify(path.join(dir, 'queue'))}, max_size: 16MiB, segment_size: 1MiB }`,
      '',
    ].join('\n'));
    const proc = runStrata(['agent', '--config', cfg]);
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
    cleanup.push(async () => {
      if (proc.exitCode === null) proc.kill('SIGKILL');
      await exited;
    });
    let address = '';
    await until('the agent listening', () => {
      const m = /"address":"([^"]+)"[^\n]*"msg":"listening"|"msg":"listening"[^\n]*"address":"([^"]+)"/.exec(log);
      address = m ? (m[1] ?? m[2]) : '';
      return address !== '' || proc.exitCode !== null;
    });
    expect(address, log).not.toBe('');
    const stored = async (match: string) => parseExport(await (await fetch(`${server.url}/api/v1/export?${query({ 'match[]': match })}`)).text());
    await until('host and scraped series at the server', async () =>
      (await stored('node_load1')).length > 0 && (await stored('app_requests_total')).length > 0);
    const load = (await stored('node_load1'))[0];
    expect(load.metric).toMatchObject({ job: 'node', site: 'test' });
    const app = (await stored('app_requests_total'))[0];
    expect(app.metric).toMatchObject({ job: 'app', path: '/x', site: 'test' });
    expect(app.values.map(Number)).toContain(42);
    const metrics = await (await fetch(`http://${address}/metrics`)).text();
    expect(metricValue(metrics, 'strata_agent_sent_samples_total')).toBeGreaterThan(0);
    // Its own metrics reach the server too, as a job of their own.
    await until('the agent\'s own metrics at the server', async () => (await stored('strata_agent_sent_samples_total')).some((s) => Number(s.values.at(-1)) > 0));
    for (const name of ['strata_agent_sent_samples_total', 'strata_agent_queue_bytes', 'strata_agent_retries_total', 'strata_agent_queue_dropped_samples_total', 'strata_agent_send_duration_seconds_count']) {
      const got = await stored(name);
      expect(got.map((s) => s.metric), name).toEqual([{ __name__: name, job: 'strata-agent', instance: address, site: 'test' }]);
    }
    expect((await stored('strata_agent_send_duration_seconds_bucket')).map((s) => s.metric.le)).toContain('+Inf');
    expect(metricValue(metrics, 'strata_agent_queue_bytes')).toBeGreaterThanOrEqual(0);
    expect(metricValue(metrics, 'strata_agent_queue_dropped_samples_total')).toBe(0);
    // The scrape manager's metrics, as the server's /metrics has them, moving with the local scrapes.
    const agentMetric = async (series: string) => metricValue(await (await fetch(`http://${address}/metrics`)).text(), series);
    expect(await agentMetric('prometheus_target_scrape_pool_targets{scrape_job="app"}')).toBe(1);
    expect(await agentMetric('prometheus_target_scrape_pools_total')).toBe(1);
    expect(await agentMetric('prometheus_sd_discovered_targets{config="app",name="scrape"}')).toBe(1);
    let intervals = 0;
    await until('a scrape interval observed', async () => (intervals = (await agentMetric('prometheus_target_interval_length_seconds_count{interval="1s"}')) ?? 0) > 0);
    await until('another one', async () => ((await agentMetric('prometheus_target_interval_length_seconds_count{interval="1s"}')) ?? 0) > intervals);
    const median = await agentMetric('prometheus_target_interval_length_seconds{quantile="0.5",interval="1s"}');
    expect(median).toBeGreaterThan(0.5);
    expect(median).toBeLessThan(5);
    // ... and reach the server with the agent's other metrics.
    const fromAgent = 'prometheus_target_scrape_pool_targets{job="strata-agent"}';
    await until('the scrape metrics at the server', async () => (await stored(fromAgent)).length > 0);
    expect((await stored(fromAgent)).map((s) => s.metric))
      .toEqual([{ __name__: 'prometheus_target_scrape_pool_targets', job: 'strata-agent', instance: address, scrape_job: 'app', site: 'test' }]);
    proc.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 30_000);
});

// `strata agent` as a process, for the crash test.
async function startAgentProcess(cfg: string) {
  const proc = runStrata(['agent', '--config', cfg]);
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  cleanup.push(async () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
    await exited;
  });
  let address = '';
  await until('the agent listening', () => {
    for (const line of log.split('\n')) {
      if (!line.startsWith('{')) continue;
      const l = JSON.parse(line) as { msg?: string; address?: string };
      if (l.msg === 'listening') address = String(l.address);
    }
    return address !== '' || proc.exitCode !== null;
  });
  if (address === '') throw new Error(`agent did not start:\n${log}`);
  const metric = async (name: string) => metricValue(await (await fetch(`http://${address}/metrics`)).text(), name);
  return { proc, exited, metric };
}

describe('strata agent crash', () => {
  it('a kill -9 during a server outage loses nothing that was scraped', async () => {
    const dir = tempDir('strata-agent-crash-');
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const port = await freePort();
    // The target counts its successful scrapes: the value served is the scrape's sequence number.
    let served = 0;
    let paused = false;
    const target = http.createServer((_req, res) => {
      if (paused) {
        res.writeHead(503);
        res.end();
        return;
      }
      served++;
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`crash_seq ${served}\n`);
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => target.close(() => r())));
    const cfg = path.join(dir, 'agent.yml');
    fs.writeFileSync(cfg, [
      'global: { scrape_interval: 100ms, scrape_timeout: 100ms }',
      'scrape_configs:',
      '  - job_name: seq',
      `    static_configs: [{ targets: ["127.0.0.1:${(target.address() as net.AddressInfo).port}"] }]`,
      'agent:',
      '  listen: 127.0.0.1:0',
      '  collectors: []',
      `  remote_write: { url: "http://127.0.0.1:${port}/api/v1/write", min_backoff: 20ms, max_backoff: 200ms }`,
      // 'always': what the agent queued is on disk before the next scrape (a SIGKILL keeps the page
      // cache, so this shows the policy loses nothing, not what a power loss would do).
      `  queue: { path: ${JSON.stringify(path.join(dir, 'queue'))}, max_size: 16MiB, segment_size: 4KiB, fsync: always }`,
      '  self_monitoring: { enabled: false }',
      '',
    ].join('\n'));
    let server = await startServer(path.join(dir, 'server'), port);
    let agent = await startAgentProcess(cfg);
    await until('first samples stored', async () => ((await agent.metric('strata_agent_sent_samples_total')) ?? 0) > 10);
    await server.stop();
    const before = served;
    await until('scrapes during the outage', () => served > before + 10);
    // No scrape in flight at the kill: whatever was served is in the queue by then.
    paused = true;
    await new Promise((r) => setTimeout(r, 400));
    expect((await agent.metric('strata_agent_queue_samples')) ?? 0).toBeGreaterThan(10);
    expect(await agent.metric('strata_agent_queue_fsyncs_total')).toBeGreaterThanOrEqual((await agent.metric('strata_agent_queue_records'))!);
    agent.proc.kill('SIGKILL');
    await agent.exited;

    agent = await startAgentProcess(cfg);
    paused = false;
    const atRestart = served;
    await until('scrapes after the restart', () => served > atRestart + 10);
    server = await startServer(path.join(dir, 'server'), port);
    paused = true;
    await new Promise((r) => setTimeout(r, 300));
    await until('the queue drained', async () => (await agent.metric('strata_agent_queue_records')) === 0);
    const res = await fetch(`${server.url}/api/v1/export?${query({ 'match[]': 'crash_seq' })}`);
    const series = parseExport(await res.text());
    expect(series).toHaveLength(1);
    // Every value served is stored, except where the agent's scrape itself failed after the target
    // answered (a timeout expiring while the loaded machine stalls the agent): that failed scrape
    // leaves a staleness marker (NaN) in the gap. A lost queue record would leave a gap without one.
    let next = 1;
    let staleSince = false;
    const unexplained: string[] = [];
    for (const v of series[0].values.map(Number)) {
      if (Number.isNaN(v)) {
        staleSince = true;
        continue;
      }
      if (v !== next && !staleSince) unexplained.push(`${next}..${v - 1}`);
      expect(v).toBeGreaterThanOrEqual(next); // in order, none twice
      next = v + 1;
      staleSince = false;
    }
    expect(unexplained).toEqual([]);
    expect(next - 1).toBe(served); // the last one served arrived
    agent.proc.kill('SIGTERM');
    await agent.exited;
  }, 40_000);
});

// A remote write endpoint that records the metric names it received.
async function startReceiver() {
  const names = new Set<string>();
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const wr = decodeWriteRequest(uncompressSync(Buffer.concat(chunks)) as Buffer);
      for (const ls of wr.batch.series) names.add(getLabel(ls, '__name__'));
      res.writeHead(204);
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanup.push(() => new Promise<void>((r) => srv.close(() => r())));
  return { url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/api/v1/write`, names };
}

describe('strata agent reload', () => {
  it('takes new collectors and a new remote write URL on POST /-/reload and SIGHUP, and says what needs a restart', async () => {
    const dir = tempDir('strata-agent-reload-');
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const a = await startReceiver();
    const b = await startReceiver();
    const cfg = path.join(dir, 'agent.yml');
    const write = (url: string, collectors: string, queue: string, extra = '') => fs.writeFileSync(cfg, [
      'agent:',
      '  listen: 127.0.0.1:0',
      '  collect_interval: 100ms',
      `  collectors: [${collectors}]`,
      `  remote_write: { url: "${url}", min_backoff: 20ms, max_backoff: 200ms }`,
      `  queue: { path: ${JSON.stringify(path.join(dir, queue))} }`,
      extra,
      '',
    ].join('\n'));
    write(a.url, 'loadavg', 'queue');
    const proc = runStrata(['agent', '--config', cfg]);
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((r) => proc.on('exit', () => r()));
    cleanup.push(async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    });
    let address = '';
    await until('the agent listening', () => {
      address = /"address":"([^"]+)"[^\n]*"msg":"listening"/.exec(log)?.[1] ?? '';
      return address !== '' || proc.exitCode !== null;
    });
    expect(address, log).not.toBe('');
    // Self-monitoring is on by default (its series may come in a request after the host's).
    await until('load and the agent\'s own metrics at the first server', () => a.names.has('node_load1') && a.names.has('strata_agent_queue_bytes'));

    // POST /-/reload: meminfo added, the other server, and a queue path that cannot change while running.
    write(b.url, 'loadavg, meminfo', 'queue-elsewhere');
    const res = await fetch(`http://${address}/-/reload`, { method: 'POST' });
    expect(res.status, await res.text()).toBe(200);
    await until('memory at the second server', () => b.names.has('node_memory_MemTotal_bytes') && b.names.has('node_load1'));
    expect(a.names.has('node_memory_MemTotal_bytes')).toBe(false);
    const warning = log.split('\n').find((l) => l.includes('need a restart'));
    expect(warning).toBeDefined();
    expect(JSON.parse(warning!)).toMatchObject({ level: 'warn', settings: ['agent.queue.path'] });
    expect(fs.existsSync(path.join(dir, 'queue-elsewhere'))).toBe(false);

    // An invalid file: refused with the reason, the running config stays.
    fs.writeFileSync(cfg, 'agent:\n  collectors: [cpuu]\n');
    const bad = await fetch(`http://${address}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(await bad.text()).toMatch(/failed to reload config: .*agent\.collectors\[0\]: unknown collector "cpuu"/);

    // SIGHUP: back to the first server, uname only, self-monitoring off.
    write(a.url, 'uname', 'queue', '  self_monitoring: { enabled: false }');
    a.names.clear();
    proc.kill('SIGHUP');
    await until('uname at the first server', () => a.names.has('node_uname_info'));
    await until('a round of uname only', () => {
      const seen = [...a.names];
      a.names.clear();
      return seen.length === 1 && seen[0] === 'node_uname_info';
    });
    expect(proc.exitCode).toBeNull();
    proc.kill('SIGTERM');
    await exited;
    expect(proc.exitCode).toBe(0);
  }, 30_000);
});

const canMount = process.getuid?.() === 0;

describe.skipIf(!canMount)('strata agent on a bad queue disk', () => {
  it('refuses to start with the directory and the reason when the queue disk is full or read-only', async () => {
    const dir = tempDir('strata-agent-baddisk-');
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const mnt = path.join(dir, 'mnt');
    fs.mkdirSync(mnt);
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', mnt]);
    cleanup.push(() => void execFileSync('umount', [mnt]));
    fs.writeFileSync(path.join(mnt, 'filler'), Buffer.alloc(64 * 1024));
    const start = async (queue: string) => {
      const cfg = path.join(dir, 'agent.yml');
      fs.writeFileSync(cfg, [
        'agent:',
        '  listen: 127.0.0.1:0',
        '  remote_write: { url: "http://127.0.0.1:1/api/v1/write" }', // and no server there
        `  queue: { path: ${JSON.stringify(queue)} }`,
        '',
      ].join('\n'));
      const proc = runStrata(['agent', '--config', cfg]);
      let log = '';
      proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
      const code = await new Promise<number | null>((r) => proc.on('exit', (c) => r(c)));
      return { code, log };
    };
    const full = await start(path.join(mnt, 'queue'));
    expect(full.code).toBe(1);
    expect(full.log).toContain(`agent queue directory \\"${path.join(mnt, 'queue')}\\" cannot be used: no space left on its device`);
    fs.rmSync(path.join(mnt, 'filler'));
    fs.mkdirSync(path.join(mnt, 'queue'), { recursive: true });
    execFileSync('mount', ['-o', 'remount,ro', mnt]);
    const ro = await start(path.join(mnt, 'queue'));
    expect(ro.code).toBe(1);
    expect(ro.log).toContain('cannot be used: on a read-only file system');
  }, 20_000);
});

// name -> sorted label names (without __name__ and the extra labels) over all its series.
function shapes(series: readonly (readonly string[])[], skip: ReadonlySet<string>): Map<string, string> {
  const union = new Map<string, Set<string>>();
  for (const s of series) {
    let name = '';
    const names: string[] = [];
    for (let i = 0; i < s.length; i += 2) {
      if (s[i] === '__name__') name = s[i + 1];
      else if (!skip.has(s[i])) names.push(s[i]);
    }
    const u = union.get(name) ?? new Set<string>();
    for (const n of names) u.add(n);
    union.set(name, u);
  }
  return new Map([...union].map(([k, v]) => [k, [...v].sort().join(',')]));
}

// The text format as series label arrays, empty label values left out (an empty label is no label
// once stored, so node_exporter's ifalias="" and our missing ifalias are the same series).
function parseExposition(text: string): { series: string[][]; values: number[] } {
  const series: string[][] = [];
  const values: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m || line.startsWith('#')) continue;
    const ls = ['__name__', m[1]];
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) if (l[2] !== '') ls.push(l[1], l[2].replace(/\\(.)/g, '$1'));
    series.push(ls);
    values.push(m[3] === 'NaN' ? NaN : Number(m[3]));
  }
  return { series, values };
}

describe('host collectors against the real node_exporter', () => {
  it('emit the metric names and label names the real node_exporter exports on this host', async () => {
    const missing = await ensureNodeExporter();
    expect(missing).toBeNull();
    const ne = await startNodeExporter();
    let text: string;
    try {
      text = await (await fetch(`http://${ne.address}/metrics`)).text();
    } finally {
      await ne.stop();
    }
    const theirs = shapes(parseExposition(text).series, new Set());
    const b = hostProducer(Object.keys(HOST_COLLECTOR_FUNCS), { job: 'node', instance: 'here' })(Date.now());
    const ours = shapes(b.series, new Set(['job', 'instance']));
    expect(ours.size).toBeGreaterThan(50);
    for (const [name, labelNames] of ours) expect({ name, labelNames: theirs.get(name) }).toEqual({ name, labelNames });
    // And the other way: what node_exporter exports from the same sources, we export too.
    const families = /^node_(cpu_seconds|memory_|load\d|disk_(read|writ|io)|filesystem_(size|free|avail|files)|network_(receive|transmit)_(bytes|packets|errs|drop)|network_(up|info|mtu_bytes|speed_bytes|carrier|flags|iface_|address_assign_type|device_id|dormant|name_assign_type|net_dev_group|protocol_type|transmit_queue_length)|hwmon_|netstat_|uname_info|time_seconds|boot_time|pressure_|context_switches|forks|procs_)/;
    const lacking = [...theirs.keys()].filter((n) => families.test(n) && !ours.has(n));
    expect(lacking).toEqual([]);
  }, 20_000);


  it('netclass and hwmon give the same series and values as the real node_exporter on a fixture /sys', async () => {
    expect(await ensureNodeExporter()).toBeNull();
    const sys = path.join(tempDir('strata-sysfs-'), 'sys');
    cleanup.push(() => fs.rmSync(path.dirname(sys), { recursive: true, force: true }));
    const files = (dir: string, content: Record<string, string>) => {
      fs.mkdirSync(path.join(sys, dir), { recursive: true });
      for (const [f, v] of Object.entries(content)) fs.writeFileSync(path.join(sys, dir, f), v);
    };
    const link = (from: string, to: string) => {
      fs.mkdirSync(path.dirname(path.join(sys, from)), { recursive: true });
      fs.symlinkSync(to, path.join(sys, from));
    };
    // A 10G NIC with every property, a down link that lacks some (as the kernel refuses to tell).
    files('devices/pci0000:00/0000:00:1f.6/net/eno1', {
      address: '3c:ec:ef:00:00:01\n', broadcast: 'ff:ff:ff:ff:ff:ff\n', addr_assign_type: '0\n', carrier: '1\n', carrier_changes: '4\n',
      carrier_up_count: '2\n', carrier_down_count: '2\n', dev_id: '0x0\n', dormant: '0\n', duplex: 'full\n', flags: '0x1003\n', ifalias: 'uplink\n',
      ifindex: '2\n', iflink: '2\n', link_mode: '0\n', mtu: '9000\n', name_assign_type: '4\n', netdev_group: '0\n', operstate: 'up\n',
      speed: '10000\n', tx_queue_len: '1000\n', type: '1\n',
    });
    files('devices/virtual/net/veth0', { address: 'aa:bb:cc:dd:ee:ff\n', operstate: 'down\n', flags: '0x1002\n', mtu: '1500\n', speed: '-1\n', ifalias: '\n' });
    link('class/net/eno1', '../../devices/pci0000:00/0000:00:1f.6/net/eno1');
    link('class/net/veth0', '../../devices/virtual/net/veth0');
    files('class/net', { bonding_masters: 'bond0\n' }); // a file, not an interface
    // coretemp with labels, limits and an alarm, a fan and a voltage; some sensors in the device
    // directory (older drivers); an ACPI zone known by its name only; a chip with neither.
    files('devices/platform/coretemp.0', { temp3_input: '51000\n', temp3_label: 'Core 4\n' });
    files('devices/platform/coretemp.0/hwmon/hwmon1', {
      name: 'coretemp\n', temp1_input: '45000\n', temp1_label: 'Package id 0\n', temp1_max: '80000\n', temp1_crit: '100000\n', temp1_crit_alarm: '0\n',
      temp2_input: '43500\n', temp2_label: 'Core 0\n', fan1_input: '1200\n', fan1_min: '300\n', fan1_alarm: '0\n', in0_input: '1104\n', in0_label: 'Vcore\n',
      power1_input: '12500000\n', power1_average_interval: '1000\n', curr1_input: '1500\n', temp1_type: '3\n', update_interval: '1000\n', pwm1: '128\n', pwm1_enable: '2\n',
    });
    link('devices/platform/coretemp.0/hwmon/hwmon1/device', '../../../coretemp.0');
    files('devices/virtual/thermal/thermal_zone0/hwmon0', { name: 'acpitz\n', temp1_input: '27800\n', temp1_crit: '119000\n' });
    files('devices/virtual/hwmon/hwmon2', { temp1: '30000\n', temp1_input: '31000\n' });
    link('class/hwmon/hwmon0', '../../devices/virtual/thermal/thermal_zone0/hwmon0');
    link('class/hwmon/hwmon1', '../../devices/platform/coretemp.0/hwmon/hwmon1');
    link('class/hwmon/hwmon2', '../../devices/virtual/hwmon/hwmon2');

    const port = await freePort();
    const proc = spawn(NODE_EXPORTER_BIN, [`--web.listen-address=127.0.0.1:${port}`, `--path.sysfs=${sys}`, '--collector.disable-defaults', '--collector.netclass', '--collector.hwmon'], { stdio: ['ignore', 'ignore', 'pipe'] });
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    const exited = new Promise<void>((r) => proc.on('exit', () => r()));
    let text = '';
    try {
      await until('node_exporter answering', async () => {
        try {
          text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
          return true;
        } catch {
          return proc.exitCode !== null;
        }
      });
    } finally {
      proc.kill('SIGTERM');
      await exited;
    }
    expect(text, log).toContain('node_hwmon_temp_celsius');
    const key = (ls: readonly string[], v: number) => `${ls.join(' ')} = ${v}`;
    const theirs = parseExposition(text);
    const expected = theirs.series.map((ls, i) => (/^node_(network|hwmon)_/.test(ls[1]) ? key(ls, theirs.values[i]) : '')).filter(Boolean).sort();
    const b = hostProducer(['netclass', 'hwmon'], {}, { proc: '/proc', sys })(0);
    const got = b.series.map((ls, i) => key(ls, b.values[i])).sort(); // both: __name__ first, then names sorted
    expect(got).toEqual(expected);
  }, 20_000);
});

