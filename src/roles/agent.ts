// `strata agent`: host collectors and local scrape jobs into the on-disk queue, forwarded to a
// Strata server by remote write; its own /metrics on agent.listen (default :9191).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import {
  Agent, QueueWriteError, SELF_JOB, formatMetricsText, registryFamilies, selfMetricsProducer, type AgentSettings, type MetricFamily, type Producer,
} from '../agent/index.ts';
import { hostProducer } from '../agent/host.ts';
import { formatListenAddress, type Config } from '../config/index.ts';
import { ScrapeManager } from '../scrape/index.ts';
import { listenOn } from './listen.ts';

export interface AgentRoleOptions {
  config: Config;
  logger: Logger;
  version: string;
  /** Replaces the host collectors (tests use deterministic producers). */
  producers?: Producer[];
  /**
   * Reads the config again for a reload (SIGHUP, POST /-/reload); throws ConfigError when it is
   * invalid, and the running config stays. Without it, neither is offered.
   */
  loadConfig?: () => Config;
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly scrape: ScrapeManager;
  /** host:port of /metrics. */
  readonly address: string;
  /**
   * Applies a new config (default: loadConfig()): scrape_configs, external_labels, collectors,
   * collect_interval, remote_write and self_monitoring; the queue and listen need a restart.
   */
  reload(config?: Config): Promise<void>;
  stop(): Promise<void>;
}

export async function startAgent(opts: AgentRoleOptions): Promise<RunningAgent> {
  const { config, logger: log } = opts;
  const a = config.agent;
  if (a.remoteWrite.url === '') throw new Error('agent.remote_write.url is not set: the agent needs a server to forward to');
  // The job and instance of the agent's own metrics; the port is known once listening.
  const self = { job: SELF_JOB, instance: '' };
  let agent: Agent | null = null;
  // The scrape manager's metrics (prometheus_target_*, prometheus_sd_*), as the server has them.
  const scrapeRegistry = new Registry();
  const families = async (): Promise<MetricFamily[]> => [...agent!.metricFamilies(), ...await registryFamilies(scrapeRegistry)];
  const selfProducer = selfMetricsProducer(families, () => self);
  const producersOf = (c: Config): Producer[] => [
    ...(opts.producers ?? (c.agent.collectors.length > 0 ? [hostProducer(c.agent.collectors, { job: 'node', instance: os.hostname() })] : [])),
    ...(c.agent.selfMonitoring.enabled ? [selfProducer] : []),
  ];
  const settingsOf = (c: Config): AgentSettings => ({
    remoteWriteUrl: c.agent.remoteWrite.url,
    timeoutMs: c.agent.remoteWrite.timeoutMs,
    minBackoffMs: c.agent.remoteWrite.minBackoffMs,
    maxBackoffMs: c.agent.remoteWrite.maxBackoffMs,
    intervalMs: c.agent.collectIntervalMs,
    producers: producersOf(c),
    externalLabels: c.global.externalLabels,
  });
  const running = new Agent({
    queueDir: a.queue.path,
    maxQueueBytes: a.queue.maxBytes,
    segmentBytes: a.queue.segmentBytes,
    fsync: a.queue.fsync,
    ...settingsOf(config),
    // Producers run first once listening (the self metrics need the address).
    intervalMs: 0,
    onError: (err) => log.warn({ err: (err as Error).message }, err instanceof QueueWriteError ? 'collected samples could not be queued' : 'host collection failed'),
    onDrop: (d) => log.warn({ segment: d.segment, droppedSamples: d.samples, maxSize: a.queue.maxBytes }, 'queue full: deleted its oldest segment, unsent samples in it are lost'),
  });
  agent = running;
  const q = running.queue.stats;
  if (q.pendingRecords > 0 || q.corruptBytes > 0) {
    log.info({ pendingSamples: q.pendingSamples, pendingBytes: q.pendingBytes, corruptBytes: q.corruptBytes }, 'queue from an earlier run resumed');
  }
  const scrape = new ScrapeManager({
    appendable: running.appendable, logger: log.child({ component: 'scrape' }), userAgent: `Strata-agent/${opts.version}`, registry: scrapeRegistry,
  });
  await scrape.applyConfig(config.scrapeConfigs);

  let reloads: Promise<void> = Promise.resolve();
  const reload = (next?: Config): Promise<void> => {
    // One reload at a time, in the order asked.
    const r = reloads.then(async () => {
      if (next === undefined && !opts.loadConfig) throw new Error('this agent was started without a config file to reload');
      const c = next ?? opts.loadConfig!();
      // Against the startup values: until a restart, they are what runs.
      const needRestart = restartOnlyChanges(config, c);
      if (needRestart.length > 0) {
        log.warn({ settings: needRestart }, `changed settings need a restart to take effect: ${needRestart.join(', ')}; the running values stay`);
      }
      running.reconfigure(settingsOf(c));
      await scrape.applyConfig(c.scrapeConfigs);
      log.info({ remoteWrite: c.agent.remoteWrite.url, collectors: c.agent.collectors.join(','), scrapeJobs: c.scrapeConfigs.length }, 'configuration reloaded');
    });
    reloads = r.catch(() => undefined);
    return r;
  };

  const server: Server = createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && url === '/metrics') {
      families().then((fs) => {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(formatMetricsText(fs));
      }, (e: unknown) => {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`${(e as Error).message}\n`);
      });
    } else if (req.method === 'GET' && (url === '/-/healthy' || url === '/-/ready')) {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.end('OK\n');
    } else if ((req.method === 'POST' || req.method === 'PUT') && url === '/-/reload' && opts.loadConfig) {
      req.resume();
      reload().then(() => {
        res.writeHead(200, { 'Content-Type': 'text/plain' });
        res.end('OK\n');
      }, (e: unknown) => {
        log.error({ err: (e as Error).message }, 'configuration reload failed; keeping the running one');
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(`failed to reload config: ${(e as Error).message}\n`);
      });
    } else {
      res.writeHead(404, { 'Content-Type': 'text/plain' });
      res.end('not found\n');
    }
  });
  let listen: { host: string; port: number };
  try {
    listen = await listenOn(server, a.listen);
  } catch (e) {
    await scrape.stop();
    await running.stop();
    throw e;
  }
  const bound = server.address() as AddressInfo;
  const address = formatListenAddress({ host: listen.host === '' ? bound.address : listen.host, port: bound.port });
  // On all interfaces, the address says nothing about which host: the hostname does.
  self.instance = agentInstance(listen.host, bound.port, address);
  // Tests and supervisors read this line to learn the real port when 0 was asked for.
  log.info({ address, remoteWrite: a.remoteWrite.url, queue: a.queue.path, fsync: a.queue.fsync, collectors: a.collectors.join(','), scrapeJobs: config.scrapeConfigs.length }, 'listening');
  // The first collection at once, not one interval after the start; then every interval.
  running.reconfigure(settingsOf(config));
  running.collectSoon();

  const onSighup = () => {
    log.info('SIGHUP received, reloading the configuration');
    reload().catch((e: unknown) => log.error({ err: (e as Error).message }, 'configuration reload failed; keeping the running one'));
  };
  if (opts.loadConfig) process.on('SIGHUP', onSighup);

  let stopping: Promise<void> | null = null;
  return {
    agent: running,
    scrape,
    address,
    reload,
    stop() {
      stopping ??= (async () => {
        process.off('SIGHUP', onSighup);
        await scrape.stop();
        await running.stop();
        await new Promise<void>((r) => server.close(() => r()));
        server.closeAllConnections();
      })();
      return stopping;
    },
  };
}

/** The instance label of the agent's own metrics: its address, or hostname:port on all interfaces. */
export function agentInstance(listenHost: string, port: number, address: string): string {
  const all = listenHost === '' || listenHost === '0.0.0.0' || listenHost === '::' || listenHost === '[::]';
  return all ? formatListenAddress({ host: os.hostname(), port }) : address;
}

/** The settings that differ between a and b and are only read at startup. */
function restartOnlyChanges(a: Config, b: Config): string[] {
  const out: string[] = [];
  if (a.agent.listen !== b.agent.listen) out.push('agent.listen');
  if (a.agent.queue.path !== b.agent.queue.path) out.push('agent.queue.path');
  if (a.agent.queue.maxBytes !== b.agent.queue.maxBytes) out.push('agent.queue.max_size');
  if (a.agent.queue.segmentBytes !== b.agent.queue.segmentBytes) out.push('agent.queue.segment_size');
  if (a.agent.queue.fsync !== b.agent.queue.fsync) out.push('agent.queue.fsync');
  if (a.log.level !== b.log.level || a.log.format !== b.log.format) out.push('log');
  return out;
}
