// The HTTP API as one request handler: routes, readiness, metrics per request, and the rule that
// no handler error ever crashes the process (unexpected ones are logged and answered with 500).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import type { Config } from '../config/index.ts';
import { Engine, type EngineOptions } from '../promql/index.ts';
import type { DB, WalReplayStatus } from '../tsdb/index.ts';
import { ApiError, ErrorType, sendError, sendSuccess, sendText } from './http.ts';
import { MetadataStore } from './metadata.ts';
import type { ServerMetrics } from './metrics.ts';
import { handleFormatQuery, handleInstantQuery, handleParseQuery, handleQueryExemplars, handleRangeQuery, type QueryDeps } from './query.ts';
import { handleExport, handleLabelNames, handleLabelValues, handleMetadata, handleSeries, type ReadDeps } from './read.ts';
import { handleBuildInfo, handleConfig, handleFlags, handleRuntimeInfo, handleTsdbStatus, type StatusDeps } from './status.ts';
import { Router, type Handler, type RequestContext } from './router.ts';
import { registerTargetRoutes, type TargetsDeps } from './targets.ts';
import { registerRuleRoutes, type RulesDeps } from './rules.ts';
import { registerAlertmanagerRoutes, type AlertmanagerDeps } from './alertmanager.ts';
import { registerAlertmanagersRoute, type AlertmanagersDeps } from './alertmanagers.ts';
import { createWriteAdmission, handleRemoteWrite, remoteWriteProtocol, type WriteDeps } from './write.ts';
import { registerPushRoutes } from './push/index.ts';
import { handleFederate } from './federate.ts';
import { createRemoteReadHandler } from './remoteread/index.ts';
import { registerAdminRoutes } from './admin.ts';

export interface ApiOptions {
  config: Config;
  logger: Logger;
  metrics: ServerMetrics;
  /** The PromQL engine (default: one with the limits of `config.query`, see engineOptionsOf). */
  engine?: Engine;
  /** Strata's version, for /api/v1/status/buildinfo. */
  version?: string;
  /** Metric metadata from remote write (default: a new store). */
  metadata?: MetadataStore;
  /** The scrape manager's targets and the config reload: /api/v1/targets and /-/reload. */
  targets?: TargetsDeps;
  /** The rule manager's groups: /api/v1/rules and /api/v1/alerts. */
  rules?: RulesDeps;
  /** The rules' external Alertmanagers: /api/v1/alertmanagers (default: none). */
  alertmanagers?: AlertmanagersDeps;
  /** The built-in notifier: Alertmanager's API v2 under /api/v2. */
  alertmanager?: Omit<AlertmanagerDeps, 'version' | 'maxRequestBytes'>;
  /** Where WAL replay stands: /api/v1/status/walreplay, answered before the server is ready too. */
  walReplay?: () => WalReplayStatus;
}

// setTimeout's longest delay (~24.8 days): what "no timeout" (query.timeout: 0) becomes for the
// engine, whose queue and evaluation deadlines are timers.
const NO_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The engine's limits from the `query` section. As in Prometheus, a subquery without a step uses
 * the global evaluation_interval.
 */
export function engineOptionsOf(c: Config): EngineOptions {
  return {
    lookbackDeltaMs: c.query.lookbackDeltaMs,
    timeoutMs: c.query.timeoutMs === 0 ? NO_TIMEOUT_MS : c.query.timeoutMs,
    maxSamples: c.query.maxSamples,
    maxConcurrent: c.query.maxConcurrency,
    defaultSubqueryStepMs: c.global.evaluationIntervalMs,
  };
}

export type ApiState = 'starting' | 'ready' | 'stopping';

export interface Api {
  /** The node:http request listener. */
  readonly handle: (req: IncomingMessage, res: ServerResponse) => void;
  /** The DB is open (WAL replayed): data endpoints and /-/ready answer. */
  setReady(db: DB): void;
  /** Shutting down: /-/ready and new data requests answer 503; in-flight ones finish. */
  setStopping(): void;
  readonly state: ApiState;
  /** Requests being handled right now. */
  readonly inFlight: number;
  /** Resolves when no request is in flight. */
  idle(): Promise<void>;
}

export function createApi(opts: ApiOptions): Api {
  const { config, logger, metrics } = opts;
  const engine = opts.engine ?? new Engine(engineOptionsOf(config));
  const metadata = opts.metadata ?? new MetadataStore();
  const startTimeMs = Date.now();
  let state: ApiState = 'starting';
  let db: DB | null = null;
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];

  // A request is admitted when it arrives while ready and keeps its DB until it is answered, so a
  // shutdown lets requests in flight finish while refusing new ones (the DB closes only after).
  const admitted = new WeakMap<IncomingMessage, DB>();
  const needDB = (ctx: RequestContext): DB => {
    const d = admitted.get(ctx.req);
    if (d === undefined) throw unavailable(state);
    return d;
  };

  const readDeps: ReadDeps = {
    querier: (ctx) => needDB(ctx).querier(),
    maxRequestBytes: config.server.maxRequestBytes,
  };
  const queryDeps: QueryDeps = {
    engine,
    querier: (ctx) => needDB(ctx).querier(),
    maxRequestBytes: config.server.maxRequestBytes,
  };
  const statusDeps: StatusDeps = { config, version: opts.version ?? 'unknown', startTimeMs, db: needDB };
  // The server's own metrics are described too: self-monitoring stores them as series.
  const ownMetadata = async () => {
    if (!config.selfMonitoring.enabled) return [];
    const own = await metrics.registry.getMetricsAsJSON();
    return own.map((m) => ({ family: m.name, type: String(m.type) as 'counter', help: m.help, unit: '' }));
  };
  const writeDeps: WriteDeps = {
    db: needDB,
    metrics,
    metadata,
    maxRequestBytes: config.server.maxRequestBytes,
    maxDecodedBytes: config.server.maxDecodedBytes,
    dataDir: config.storage.path,
    limits: {
      maxLabelNamesPerSeries: config.limits.maxLabelsPerSeries,
      maxLabelNameLength: config.limits.maxLabelNameLength,
      maxLabelValueLength: config.limits.maxLabelValueLength,
      maxFutureMs: config.limits.maxFutureMs,
    },
  };

  // Bounded in-flight writes (server.max_concurrent_writes, write_queue_length, write_queue_timeout),
  // so overload means 429/503 and backpressure instead of unbounded memory.
  const admitWrite = createWriteAdmission(writeDeps, {
    max: config.server.maxConcurrentWrites, queue: config.server.writeQueueLength, timeoutMs: config.server.writeQueueTimeoutMs,
  });

  const router = new Router();
  const GET = ['GET'];
  const GET_POST = ['GET', 'POST'];
  if (opts.targets) registerTargetRoutes(router, opts.targets);
  if (opts.rules) registerRuleRoutes(router, opts.rules);
  registerAlertmanagersRoute(router, opts.alertmanagers ?? { alertmanagers: () => ({ active: [], dropped: [] }) });
  if (opts.alertmanager) registerAlertmanagerRoutes(router, { ...opts.alertmanager, version: opts.version ?? 'unknown', maxRequestBytes: config.server.maxRequestBytes });
  router.add(GET, '/-/healthy', 'healthy', ({ res }) => sendText(res, 200, 'Strata is Healthy.\n'));
  router.add(GET, '/-/ready', 'ready', ({ res }) => {
    if (state === 'ready') sendText(res, 200, 'Strata is Ready.\n');
    else sendText(res, 503, state === 'starting' ? 'Strata is starting: replaying the write-ahead log.\n' : 'Strata is shutting down.\n');
  });
  router.add(GET, '/metrics', 'metrics', async ({ res }) => {
    const text = await metrics.registry.metrics();
    sendText(res, 200, text, metrics.registry.contentType);
  });
  router.add(['POST'], '/api/v1/write', 'remote_write', (ctx) => admitWrite(ctx, remoteWriteProtocol(ctx), () => handleRemoteWrite(ctx, writeDeps)));
  // Influx line protocol, OTLP/HTTP and Pushgateway (src/api/push): same admission, same append path.
  registerPushRoutes(router, writeDeps, admitWrite);
  router.add(GET_POST, '/api/v1/series', 'series', (ctx) => handleSeries(ctx, readDeps));
  router.add(GET_POST, '/api/v1/labels', 'labels', (ctx) => handleLabelNames(ctx, readDeps));
  router.add(GET, '/api/v1/label/:name/values', 'label_values', (ctx) => handleLabelValues(ctx, readDeps));
  router.add(GET_POST, '/api/v1/query', 'query', (ctx) => handleInstantQuery(ctx, queryDeps));
  router.add(GET_POST, '/api/v1/query_range', 'query_range', (ctx) => handleRangeQuery(ctx, queryDeps));
  router.add(GET_POST, '/api/v1/query_exemplars', 'query_exemplars', (ctx) => handleQueryExemplars(ctx, queryDeps));
  router.add(GET_POST, '/api/v1/format_query', 'format_query', (ctx) => handleFormatQuery(ctx, queryDeps));
  router.add(GET_POST, '/api/v1/parse_query', 'parse_query', (ctx) => handleParseQuery(ctx, queryDeps));
  router.add(GET, '/api/v1/metadata', 'metadata', async (ctx) => handleMetadata(ctx, metadata, await ownMetadata()));
  router.add(GET, '/api/v1/status/buildinfo', 'buildinfo', (ctx) => handleBuildInfo(ctx, statusDeps));
  router.add(GET, '/api/v1/status/runtimeinfo', 'runtimeinfo', (ctx) => handleRuntimeInfo(ctx, statusDeps));
  router.add(GET, '/api/v1/status/flags', 'flags', (ctx) => handleFlags(ctx, statusDeps));
  router.add(GET, '/api/v1/status/config', 'config', (ctx) => handleConfig(ctx, statusDeps));
  router.add(GET, '/api/v1/status/tsdb', 'tsdb_status', (ctx) => handleTsdbStatus(ctx, statusDeps));
  router.add(GET, '/api/v1/status/walreplay', 'walreplay', ({ res }) => sendSuccess(res, opts.walReplay?.() ?? { min: 0, max: 0, current: 0 }));
  router.add(GET_POST, '/api/v1/export', 'export', (ctx) => handleExport(ctx, readDeps));
  // The interfaces other Prometheus tools read through: federation and remote read.
  const externalLabels = () => config.global.externalLabels;
  router.add(GET_POST, '/federate', 'federate', (ctx) => handleFederate(ctx, {
    querier: readDeps.querier, lookbackDeltaMs: config.query.lookbackDeltaMs, externalLabels, maxRequestBytes: config.server.maxRequestBytes,
  }));
  router.add(['POST'], '/api/v1/read', 'remote_read', createRemoteReadHandler({
    querier: readDeps.querier, externalLabels, maxRequestBytes: config.server.maxRequestBytes, maxDecodedBytes: config.server.maxDecodedBytes,
    limits: {
      sampleLimit: config.query.remoteReadSampleLimit,
      concurrentLimit: config.query.remoteReadConcurrentLimit,
      maxBytesInFrame: config.query.remoteReadMaxBytesInFrame,
    },
  }));
  router.add(['POST', 'PUT'], '/api/v1/admin/tsdb/flush', 'flush', async (ctx) => {
    const d = needDB(ctx);
    const started = performance.now();
    const r = await d.flush();
    logger.info({ blocks: r.blocks, samples: r.samples, ms: Math.round(performance.now() - started) }, 'flushed head to blocks');
    sendSuccess(ctx.res, r);
  });
  registerAdminRoutes(router, { db: needDB, logger, maxRequestBytes: config.server.maxRequestBytes });

  const finishOne = () => {
    inFlight--;
    if (inFlight === 0 && idleWaiters.length > 0) {
      const ws = idleWaiters;
      idleWaiters = [];
      for (const w of ws) w();
    }
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    inFlight++;
    let url: URL;
    try {
      // Prefixing keeps a path like "//x" a path (as a relative URL it would name host "x").
      url = new URL(`http://localhost${req.url ?? '/'}`);
    } catch {
      url = new URL('http://localhost/');
    }
    const m = router.match(req.method ?? 'GET', url.pathname);
    const name = m.kind === 'not_found' ? 'other' : m.name;
    let counted = false;
    const done = () => {
      if (counted) return;
      counted = true;
      metrics.httpRequestDuration.observe({ handler: name, code: String(res.statusCode) }, (performance.now() - started) / 1000);
      finishOne();
    };
    res.once('finish', done);
    res.once('close', done);
    if (state === 'ready' && db !== null) admitted.set(req, db);
    else if (state === 'stopping') res.setHeader('Connection', 'close');

    if (m.kind === 'not_found') {
      sendError(res, 404, ErrorType.notFound, `no such endpoint: ${req.method} ${url.pathname}`);
      return;
    }
    if (m.kind === 'method_not_allowed') {
      res.setHeader('Allow', [...new Set(m.allowed)].join(', '));
      sendError(res, 405, ErrorType.methodNotAllowed, `method ${req.method} is not allowed on ${url.pathname} (use ${[...new Set(m.allowed)].join(' or ')})`);
      return;
    }
    const ctx: RequestContext = { req, res, url, pathParams: m.pathParams };
    run(m.handler, ctx, name);
  };

  const run = (h: Handler, ctx: RequestContext, name: string): void => {
    let p: Promise<void> | void;
    try {
      p = h(ctx);
    } catch (e) {
      fail(e, ctx, name);
      return;
    }
    if (p) p.catch((e: unknown) => fail(e, ctx, name));
  };

  const fail = (e: unknown, ctx: RequestContext, name: string): void => {
    const { res, req } = ctx;
    if (e instanceof ApiError) {
      sendError(res, e.status, e.errorType, e.message);
      return;
    }
    logger.error({ err: e, handler: name, method: req.method, url: req.url }, 'request failed unexpectedly');
    sendError(res, 500, ErrorType.internal, `internal error: ${(e as Error)?.message ?? String(e)}`);
  };

  return {
    handle,
    setReady(d: DB) {
      db = d;
      state = 'ready';
      metrics.ready.set(1);
    },
    setStopping() {
      state = 'stopping';
      metrics.ready.set(0);
    },
    get state() {
      return state;
    },
    get inFlight() {
      return inFlight;
    },
    idle() {
      return inFlight === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve));
    },
  };
}

function unavailable(state: ApiState): ApiError {
  return new ApiError(503, ErrorType.unavailable, state === 'starting'
    ? 'Strata is starting (replaying the write-ahead log); try again shortly'
    : 'Strata is shutting down');
}
