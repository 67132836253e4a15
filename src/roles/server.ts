// The all-in-one server: HTTP API, storage, scraping and self-monitoring in one process.
//
// Self-monitoring is a scrape job like any other: job "strata" scrapes this server's own /metrics
// over HTTP (scraped once right away, so a newcomer finds data at once), unless the config file has
// a job of that name already, which then wins.
//
// Start order matters to operators and orchestrators: listen first (so /-/healthy answers and
// /-/ready says 503 while the WAL replays), then open the DB, then become ready. Shutdown runs the
// other way: not ready, stop accepting, let in-flight requests finish (bounded), then close the DB
// (which syncs the WAL: acknowledged data is safe without a flush).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { hostname } from 'node:os';
import { createApi, createServerMetrics, engineOptionsOf, MetadataStore, type Api } from '../api/index.ts';
import { defaultScrapeConfig, formatListenAddress, summarizeConfig, type Config, type ScrapeConfig } from '../config/index.ts';
import { ScrapeManager } from '../scrape/index.ts';
import type { PostableAlert } from '../notify/index.ts';
import { Engine } from '../promql/index.ts';
import { relabelAlert, type OutgoingAlert } from '../rules/index.ts';
import { compileRelabelRules } from '../ingest/index.ts';
import { openDB, type DB, type WalReplayStatus } from '../tsdb/index.ts';
import { checkRuleFiles, startRuleEvaluation, type RuleEvaluation } from './alerting.ts';
import { listenOn } from './listen.ts';
import { notifierConfigOf, startNotifier, type RunningNotifier } from './notifier.ts';

/** The job name of the server's scrape of its own /metrics. */
export const SELF_JOB = 'strata';

export interface ServerRoleOptions {
  config: Config;
  logger: Logger;
  version: string;
  /**
   * Reads the config again for a reload (POST /-/reload, SIGHUP); throws ConfigError when it is
   * invalid, and the running config stays. Without it, reload is not offered. `global`,
   * `scrape_configs`, the rule files and the notifier's configuration take effect on reload; other
   * settings need a restart.
   */
  loadConfig?: () => Config;
}

export interface RunningServer {
  /** The bound address as host:port (the real port when the config asked for port 0). */
  readonly address: string;
  /** Resolves once the DB is open and the server is ready; rejects when the DB cannot be opened. */
  readonly ready: Promise<void>;
  /** Graceful shutdown; calling it again returns the same promise. */
  stop(): Promise<void>;
}

export async function startServer(opts: ServerRoleOptions): Promise<RunningServer> {
  const { config, logger: log, version } = opts;
  let db: DB | null = null;
  const metrics = createServerMetrics(() => (db ? db.stats() : null), version);
  const metadata = new MetadataStore();
  let scrape: ScrapeManager | null = null;
  let rules: RuleEvaluation | null = null;
  let notifier: RunningNotifier | null = null;
  // Invalid rule files or notifier configuration stop the start, before anything listens.
  checkRuleFiles(config);
  if (config.alerting.notifier.enabled) notifierConfigOf(config);
  // What the built-in notifier's alerts go through, as an Alertmanager's would: the external labels
  // and alerting.alert_relabel_configs of the configuration in force (a reload changes them).
  let toNotifier = alertRelabelingOf(config);
  const reload = async (): Promise<void> => {
    if (!opts.loadConfig) throw new Error('this server was started without a config file to reload');
    const next = opts.loadConfig();
    // Validation first: an invalid notifier config (or, in rules.reload, rule file) fails the
    // reload before anything changed; the notifier's file is read once.
    const applyNotifier = notifier?.prepareReload(next);
    if (rules) await rules.reload(next);
    applyNotifier?.();
    toNotifier = alertRelabelingOf(next);
    if (scrape) await scrape.applyConfig(scrapeJobs(next, selfTarget));
    log.info({ jobs: next.scrapeConfigs.length, ruleFiles: next.alerting.ruleFiles.length }, 'configuration reloaded');
  };
  // One engine for the API and the rules, so the query concurrency limit covers both.
  const engine = new Engine(engineOptionsOf(config));
  let walReplay: WalReplayStatus = { min: 0, max: 0, current: 0 };
  const api = createApi({
    config, logger: log, metrics, version, metadata, engine, walReplay: () => walReplay,
    targets: { targets: () => (scrape ? scrape.targets() : { active: [], dropped: [], droppedCounts: {} }), reload },
    rules: { groups: () => rules?.manager.groups() ?? [] },
    alertmanagers: { alertmanagers: () => rules?.sender.alertmanagers() ?? { active: [], dropped: [] } },
    alertmanager: config.alerting.notifier.enabled ? { notifier: () => notifier?.notifier ?? null, receivers: () => notifier?.receivers() ?? [] } : undefined,
  });

  const server = createServer({
    requestTimeout: config.server.readTimeoutMs,
    headersTimeout: config.server.readTimeoutMs === 0 ? 60_000 : Math.min(60_000, config.server.readTimeoutMs),
  }, api.handle);
  server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
    // Malformed HTTP or a timed-out request: answer 400/408 where the socket still allows it.
    if (!socket.writable) return socket.destroy();
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });

  const listen = await listenOn(server, config.server.listen);
  const bound = server.address() as AddressInfo;
  const address = formatListenAddress({ host: listen.host === '' ? bound.address : listen.host, port: bound.port });
  const selfTarget = config.selfMonitoring.enabled
    ? { address: selfScrapeAddress(listen.host, bound.port), instance: selfInstance(listen.host, bound.port), intervalMs: config.selfMonitoring.intervalMs }
    : null;
  // Tests and supervisors read this line to learn the real port when 0 was asked for.
  log.info({ address, version, ...summarizeConfig(config) }, 'listening');

  const onSighup = () => {
    log.info('SIGHUP received, reloading the configuration');
    reload().catch((e: unknown) => log.error({ err: (e as Error).message }, 'configuration reload failed; keeping the running one'));
  };
  if (opts.loadConfig) process.on('SIGHUP', onSighup);
  let stopping: Promise<void> | null = null;
  const opening = openDB({
    dir: config.storage.path,
    retentionMs: config.storage.retentionMs,
    blockRangeMs: config.storage.blockRangeMs,
    outOfOrderWindowMs: config.storage.outOfOrderWindowMs,
    maxSeries: config.limits.maxSeries,
    maxSeriesPerMetric: config.limits.maxSeriesPerMetric,
    walFsync: config.storage.wal.fsync,
    walSegmentSize: config.storage.wal.segmentSize,
    onWalReplayProgress: (s) => {
      walReplay = s;
    },
    logger: log.child({ component: 'tsdb' }),
  });
  const openStarted = performance.now();

  const ready = opening.then(
    (d) => {
      db = d;
      const st = d.stats();
      log.info({
        ms: Math.round(performance.now() - openStarted), headSeries: st.headSeries, replayedSamples: st.replay.samples,
        blocks: st.blocks.reduce((n, b) => n + b.count, 0),
      }, 'storage open');
      if (stopping) return;
      api.setReady(d);
      log.info({ address }, 'ready');
      scrape = new ScrapeManager({
        appendable: d, logger: log.child({ component: 'scrape' }), userAgent: `Strata/${version}`,
        onMetadata: (m) => metadata.add(m), registry: metrics.registry,
      });
      const jobs = scrapeJobs(config, selfTarget);
      scrape.applyConfig(jobs)
        .then(() => (selfTarget && !config.scrapeConfigs.some((j) => j.jobName === SELF_JOB) ? scrape?.scrapeNow(SELF_JOB) : undefined))
        .catch((e: unknown) => log.error({ err: e }, 'starting the scrape jobs failed'));
      // The notifier keeps its silences and log in the data directory, which the DB has locked.
      if (config.alerting.notifier.enabled) {
        notifier = startNotifier({ config, logger: log, registry: metrics.registry, externalURL: externalURL(config, bound.port) });
      }
      startRuleEvaluation({
        config, db: d, engine, logger: log, externalURL: externalURL(config, bound.port), registry: metrics.registry,
        // The built-in notifier hears the rules' alerts as an Alertmanager would from Prometheus.
        onAlerts: notifier ? (alerts) => notifier?.notifier.receive(alerts.flatMap((a) => {
          const out = relabelAlert(a, toNotifier.rules, toNotifier.externalLabels);
          return out === null ? [] : [toPostable(out)];
        })) : undefined,
      })
        .then((r) => {
          if (stopping) return r.stop();
          rules = r;
        })
        .catch((e: unknown) => log.error({ err: (e as Error).message }, 'starting the rule evaluation failed'));
    },
    async (e: unknown) => {
      await closeServer(server, api, 0);
      throw e;
    },
  );

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      log.info({ inFlight: api.inFlight }, 'shutting down');
      api.setStopping();
      process.off('SIGHUP', onSighup);
      await scrape?.stop();
      await rules?.stop();
      await notifier?.notifier.stop();
      await closeServer(server, api, config.server.shutdownTimeoutMs, log);
      // A stop during WAL replay waits for the replay: the DB must be closed, not abandoned.
      const d = db ?? (await opening.catch(() => null));
      if (d) await d.close();
      log.info('stopped');
    })();
    return stopping;
  };
  return { address, ready, stop };
}

/** The config's jobs plus the self-scrape job, unless the config defines a job of that name. */
function scrapeJobs(c: Config, self: { address: string; instance: string; intervalMs: number } | null): ScrapeConfig[] {
  const jobs = c.scrapeConfigs;
  if (self === null || jobs.some((j) => j.jobName === SELF_JOB)) return jobs;
  const own: ScrapeConfig = {
    ...defaultScrapeConfig(SELF_JOB),
    scrapeIntervalMs: self.intervalMs,
    scrapeTimeoutMs: Math.min(10_000, self.intervalMs),
    // The instance as a Prometheus scraping itself has it (localhost:<port> for all interfaces).
    staticConfigs: [{ targets: [self.address], labels: { instance: self.instance } }],
  };
  return [...jobs, own];
}

/**
 * The self-scrape's instance label: the listen address, or localhost:<port> when listening on all
 * interfaces, as Prometheus' own job reads (a 0.0.0.0 instance names no machine anyone can reach).
 */
export function selfInstance(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0' || host === '::' || host === '[::]') return `localhost:${port}`;
  return formatListenAddress({ host, port });
}

function alertRelabelingOf(c: Config) {
  return { rules: compileRelabelRules(c.alerting.alertRelabelConfigs), externalLabels: c.global.externalLabels };
}

function toPostable(a: OutgoingAlert): PostableAlert {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: new Date(a.endsAt).toISOString(),
    generatorURL: a.generatorURL,
  };
}

/** server.external_url, or Prometheus' default: http://<hostname>:<port>. */
function externalURL(c: Config, port: number): string {
  return c.server.externalUrl !== '' ? c.server.externalUrl : `http://${hostname()}:${port}`;
}

/** Where this process reaches its own HTTP port: the listen host, or loopback for a wildcard. */
function selfScrapeAddress(host: string, port: number): string {
  if (host === '' || host === '0.0.0.0') return `127.0.0.1:${port}`;
  if (host === '::' || host === '[::]') return `[::1]:${port}`;
  return formatListenAddress({ host, port });
}

// Stop accepting connections, let in-flight requests finish within `graceMs`, then cut the rest.
async function closeServer(server: Server, api: Api, graceMs: number, log?: Logger): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    api.idle().then(() => false),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (timedOut && api.inFlight > 0) log?.warn({ inFlight: api.inFlight, graceMs }, 'in-flight requests did not finish in time; closing their connections');
  // Keep-alive connections with no request in flight would hold server.close() open.
  server.closeAllConnections();
  await closed;
}
