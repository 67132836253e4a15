// The configuration file's schema. Keys in the file are snake_case as in Prometheus' own files;
// the parsed Config is camelCase with durations in ms and sizes in bytes, so no caller re-parses.
import * as z from 'zod';
import { bool, count, describe, duration, listenAddress, nonEmptyString, oneOf, section, size } from './fields.ts';
import { scrapeConfigFilesSchema } from './scrape-files.ts';
import { checkScrapeConfigs, globalSchema, resolveGlobal, resolveScrapeConfigs, scrapeConfigsSchema, type GlobalConfig, type ScrapeConfig } from './scrape.ts';
import { formatDuration } from './units.ts';
import { alertingSchema, notifierSchema, resolveAlerting, ruleFilesSchema, rulesSchema, type AlertingConfig } from './alerting.ts';

export interface Config {
  server: {
    /** "host:port" as configured or overridden by --listen. */
    listen: string;
    maxRequestBytes: number;
    maxDecodedBytes: number;
    /** Time allowed to receive one whole request (0: no limit). */
    readTimeoutMs: number;
    /** How long a graceful shutdown waits for in-flight requests before cutting them off. */
    shutdownTimeoutMs: number;
    /** The URL people reach this server at (Prometheus' --web.external-url): alert and silence links. */
    externalUrl: string;
    /** Write requests (every push protocol) decoded and appended at once; more wait in a queue. */
    maxConcurrentWrites: number;
    /** Write requests allowed to wait; beyond it a write gets 429. */
    writeQueueLength: number;
    /** How long a write may wait in that queue before it gets 503. */
    writeQueueTimeoutMs: number;
  };
  /** PromQL limits, as Prometheus' --query.* flags. */
  query: {
    lookbackDeltaMs: number;
    /** 0: no limit. */
    timeoutMs: number;
    maxSamples: number;
    maxConcurrency: number;
    /** POST /api/v1/read limits, as Prometheus' --storage.remote.read-* flags (0: no limit). */
    remoteReadSampleLimit: number;
    remoteReadConcurrentLimit: number;
    remoteReadMaxBytesInFrame: number;
  };
  storage: {
    path: string;
    retentionMs: number;
    blockRangeMs: number;
    outOfOrderWindowMs: number;
    wal: { fsync: 'always' | 'interval' | 'never'; segmentSize: number };
  };
  limits: {
    maxSeries: number;
    maxSeriesPerMetric: number;
    maxLabelsPerSeries: number;
    maxLabelNameLength: number;
    maxLabelValueLength: number;
    /** How far ahead of the server's clock a sample may be. */
    maxFutureMs: number;
  };
  selfMonitoring: { enabled: boolean; intervalMs: number };
  log: { level: LogLevel; format: 'json' | 'pretty' };
  /** prometheus.yml's `global` section. */
  global: GlobalConfig;
  /**
   * prometheus.yml's `scrape_configs`, with each job's unset fields taken from `global`: the main
   * file's first, then those of the files `scrape_config_files` names.
   */
  scrapeConfigs: ScrapeConfig[];
  /** How many of scrapeConfigs the main file holds (the page prints only those, as Prometheus). */
  mainScrapeConfigCount: number;
  /** prometheus.yml's `scrape_config_files`, joined with the config file's directory. */
  scrapeConfigFiles: string[];
  /** Settings of `strata agent` (the server ignores them). */
  agent: AgentConfig;
  /** rule_files, alerting (prometheus.yml) and Strata's rules and notifier sections. */
  alerting: AlertingConfig;
}

export interface AgentConfig {
  /** Address of the agent's own /metrics. */
  listen: string;
  remoteWrite: { url: string; timeoutMs: number; minBackoffMs: number; maxBackoffMs: number };
  queue: { path: string; maxBytes: number; segmentBytes: number; fsync: 'always' | 'interval' | 'never' };
  /** How often the host collectors run. */
  collectIntervalMs: number;
  /** Host collectors to run (node_exporter's collector names); empty list: none. */
  collectors: string[];
  /** The agent's own metrics forwarded as job "strata-agent" every collect interval. */
  selfMonitoring: { enabled: boolean };
}

export const DEFAULT_AGENT_LISTEN = '0.0.0.0:9191';
export const HOST_COLLECTORS = ['cpu', 'meminfo', 'loadavg', 'diskstats', 'filesystem', 'netdev', 'netstat', 'uname', 'time', 'stat', 'pressure', 'netclass', 'hwmon'] as const;

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Top-level sections of a prometheus.yml. They are accepted beside Strata's own sections so one
 * file serves both; those in PROMETHEUS_SECTIONS_USED are read, the others are reported as unused.
 */
export const PROMETHEUS_SECTIONS = [
  'global', 'scrape_configs', 'scrape_config_files', 'rule_files', 'alerting',
  'remote_write', 'remote_read', 'tracing', 'otlp', 'runtime',
] as const;

export const PROMETHEUS_SECTIONS_USED: readonly string[] = ['global', 'scrape_configs', 'scrape_config_files', 'rule_files', 'alerting'];

/** prometheus.yml's fields inside `storage`, which shares its name with Strata's own section. */
export const PROMETHEUS_STORAGE_FIELDS = ['tsdb', 'exemplars'] as const;

export const DEFAULT_LISTEN = '0.0.0.0:9190';

const serverSchema = section({
  listen: listenAddress(DEFAULT_LISTEN),
  max_request_bytes: size('32MiB'),
  max_decoded_bytes: size('256MiB'),
  read_timeout: duration('30s', { zeroMeans: 'for no limit' }),
  shutdown_timeout: duration('10s', { zeroMeans: 'to cut in-flight requests off at once' }),
  external_url: z.string().refine((s) => s === '' || (URL.canParse(s) && /^https?:\/\//.test(s)), { error: 'expected an http:// or https:// URL' }).prefault(''),
  max_concurrent_writes: count(64),
  write_queue_length: count(256, 'to refuse a write at once when all slots are busy'),
  write_queue_timeout: duration('10s', { positive: true }),
});

const querySchema = section({
  lookback_delta: duration('5m', { positive: true }),
  timeout: duration('2m', { zeroMeans: 'for no limit' }),
  max_samples: count(50_000_000),
  max_concurrency: count(20),
  remote_read_sample_limit: count(50_000_000, 'for no limit'),
  remote_read_concurrent_limit: count(10, 'for no limit'),
  remote_read_max_bytes_in_frame: size('1MiB'),
});

const storageSchema = section({
  path: nonEmptyString('./data'),
  retention: duration('7d', { zeroMeans: 'to keep everything' }),
  block_range: duration('2h', { positive: true }),
  out_of_order_window: duration('0', { zeroMeans: 'to refuse samples older than the newest of their series' }),
  wal: section({
    fsync: oneOf(['always', 'interval', 'never'] as const, 'interval'),
    segment_size: size('128MiB'),
  }),
  // prometheus.yml's own storage settings, accepted (and reported as unused) like its sections.
  tsdb: z.unknown().optional(),
  exemplars: z.unknown().optional(),
}).superRefine((s, ctx) => {
  // Refused here rather than at storage open, so `strata check config` says it too.
  if (s.out_of_order_window > 0) {
    ctx.addIssue({ code: 'custom', path: ['out_of_order_window'], message: 'out-of-order ingestion is not supported yet: leave it at 0 (import historical data with `strata import` or POST /api/v1/import/prometheus instead)' });
  }
});

const limitsSchema = section({
  max_series: count(0, 'for unlimited'),
  max_series_per_metric: count(0, 'for unlimited'),
  max_labels_per_series: count(64),
  max_label_name_length: count(1024),
  max_label_value_length: count(4096),
  max_future: duration('10m', { zeroMeans: 'to refuse any sample ahead of the clock' }),
});

const selfMonitoringSchema = section({
  enabled: bool(true),
  interval: duration('15s', { positive: true }),
});

const logSchema = section({
  level: oneOf(LOG_LEVELS, 'info'),
  format: oneOf(['json', 'pretty'] as const, 'json'),
});

const agentSchema = section({
  listen: listenAddress(DEFAULT_AGENT_LISTEN),
  remote_write: section({
    url: httpUrl(),
    remote_timeout: duration('30s', { positive: true }),
    min_backoff: duration('100ms', { positive: true }),
    max_backoff: duration('30s', { positive: true }),
  }),
  queue: section({
    path: nonEmptyString('./agent-data'),
    max_size: size('1GiB'),
    segment_size: size('8MiB'),
    fsync: oneOf(['always', 'interval', 'never'] as const, 'interval'),
  }),
  collect_interval: duration('15s', { positive: true }),
  collectors: z.array(z.enum(HOST_COLLECTORS, { error: (iss) => `unknown collector ${describe(iss.input)} (known: ${HOST_COLLECTORS.join(', ')})` }))
    .prefault([...HOST_COLLECTORS]),
  self_monitoring: section({ enabled: bool(true) }),
}).superRefine((a, ctx) => {
  if (a.queue.segment_size > a.queue.max_size) ctx.addIssue({ code: 'custom', path: ['queue', 'segment_size'], message: 'must not be larger than queue.max_size' });
  if (a.remote_write.min_backoff > a.remote_write.max_backoff) ctx.addIssue({ code: 'custom', path: ['remote_write', 'min_backoff'], message: 'must not be larger than max_backoff' });
});

// The server's remote write endpoint; empty in the file means "not set" (`strata agent` refuses that).
function httpUrl() {
  return z.unknown().transform((v, ctx) => {
    if (typeof v === 'string' && (v === '' || /^https?:\/\/[^/]/.test(v) && URL.canParse(v))) return v;
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${describe(v)}` });
    return z.NEVER;
  }).prefault('');
}

const prometheusSections = Object.fromEntries(PROMETHEUS_SECTIONS.filter((k) => !PROMETHEUS_SECTIONS_USED.includes(k)).map((k) => [k, z.unknown().optional()]));

export const fileSchema = z.strictObject({
  server: serverSchema,
  storage: storageSchema,
  query: querySchema,
  limits: limitsSchema,
  self_monitoring: selfMonitoringSchema,
  log: logSchema,
  global: globalSchema,
  scrape_configs: scrapeConfigsSchema,
  // Read by load.ts, which appends the jobs of these files to scrape_configs.
  scrape_config_files: scrapeConfigFilesSchema,
  agent: agentSchema,
  rule_files: ruleFilesSchema,
  alerting: alertingSchema,
  rules: rulesSchema,
  notifier: notifierSchema,
  ...prometheusSections,
}).superRefine((f, ctx) => {
  checkScrapeConfigs(f.global, f.scrape_configs, (path, message) => ctx.addIssue({ code: 'custom', path, message }));
}).transform((f): Config => ({
  server: {
    listen: f.server.listen,
    maxRequestBytes: f.server.max_request_bytes,
    maxDecodedBytes: f.server.max_decoded_bytes,
    readTimeoutMs: f.server.read_timeout,
    shutdownTimeoutMs: f.server.shutdown_timeout,
    externalUrl: f.server.external_url,
    maxConcurrentWrites: f.server.max_concurrent_writes,
    writeQueueLength: f.server.write_queue_length,
    writeQueueTimeoutMs: f.server.write_queue_timeout,
  },
  query: {
    lookbackDeltaMs: f.query.lookback_delta,
    timeoutMs: f.query.timeout,
    maxSamples: f.query.max_samples,
    maxConcurrency: f.query.max_concurrency,
    remoteReadSampleLimit: f.query.remote_read_sample_limit,
    remoteReadConcurrentLimit: f.query.remote_read_concurrent_limit,
    remoteReadMaxBytesInFrame: f.query.remote_read_max_bytes_in_frame,
  },
  storage: {
    path: f.storage.path,
    retentionMs: f.storage.retention,
    blockRangeMs: f.storage.block_range,
    outOfOrderWindowMs: f.storage.out_of_order_window,
    wal: { fsync: f.storage.wal.fsync, segmentSize: f.storage.wal.segment_size },
  },
  limits: {
    maxSeries: f.limits.max_series,
    maxSeriesPerMetric: f.limits.max_series_per_metric,
    maxLabelsPerSeries: f.limits.max_labels_per_series,
    maxLabelNameLength: f.limits.max_label_name_length,
    maxLabelValueLength: f.limits.max_label_value_length,
    maxFutureMs: f.limits.max_future,
  },
  selfMonitoring: { enabled: f.self_monitoring.enabled, intervalMs: f.self_monitoring.interval },
  log: { level: f.log.level, format: f.log.format },
  global: resolveGlobal(f.global),
  scrapeConfigs: resolveScrapeConfigs(f.global, f.scrape_configs),
  mainScrapeConfigCount: f.scrape_configs.length,
  scrapeConfigFiles: f.scrape_config_files,
  agent: {
    listen: f.agent.listen,
    remoteWrite: {
      url: f.agent.remote_write.url,
      timeoutMs: f.agent.remote_write.remote_timeout,
      minBackoffMs: f.agent.remote_write.min_backoff,
      maxBackoffMs: f.agent.remote_write.max_backoff,
    },
    queue: { path: f.agent.queue.path, maxBytes: f.agent.queue.max_size, segmentBytes: f.agent.queue.segment_size, fsync: f.agent.queue.fsync },
    collectIntervalMs: f.agent.collect_interval,
    collectors: [...new Set(f.agent.collectors)],
    selfMonitoring: { enabled: f.agent.self_monitoring.enabled },
  },
  alerting: resolveAlerting(f),
}));

/** Known keys per section (by YAML path), for "did you mean" hints on unknown fields. */
export function knownKeys(path: readonly (string | number)[]): string[] {
  let s: z.ZodType = fileSchema;
  for (const p of [...path, '']) {
    if (typeof p === 'number') {
      const el = arrayElement(s);
      if (!el) return [];
      s = el;
      continue;
    }
    const shape = objectShape(s);
    if (!shape) return [];
    if (p === '') return Object.keys(shape);
    const next = shape[String(p)];
    if (!next) return [];
    s = next;
  }
  return [];
}

function arrayElement(s: z.ZodType): z.ZodType | null {
  type Def = { type?: string; element?: z.ZodType; innerType?: unknown; in?: unknown; out?: unknown };
  const queue: unknown[] = [s];
  for (let i = 0; i < queue.length && i < 16; i++) {
    const def = (queue[i] as { _zod?: { def?: Def } } | undefined)?._zod?.def;
    if (!def) continue;
    if (def.type === 'array') return def.element ?? null;
    queue.push(def.innerType, def.in, def.out);
  }
  return null;
}

function objectShape(s: z.ZodType): Record<string, z.ZodType> | null {
  // Look through the wrappers (prefault, preprocess pipes, transforms) for the object's shape.
  type Def = { type?: string; shape?: Record<string, z.ZodType>; innerType?: unknown; in?: unknown; out?: unknown };
  const defOf = (x: unknown): Def | undefined => (x as { _zod?: { def?: Def } } | undefined)?._zod?.def;
  const queue: unknown[] = [s];
  for (let i = 0; i < queue.length && i < 16; i++) {
    const def = defOf(queue[i]);
    if (!def) continue;
    if (def.type === 'object') return def.shape ?? null;
    queue.push(def.innerType, def.in, def.out);
  }
  return null;
}

/** The defaults, e.g. for `strata server` without a config file. */
export function defaultConfig(): Config {
  return fileSchema.parse({});
}

/** A short human description of the effective configuration for the startup log line. */
export function summarizeConfig(c: Config): Record<string, string | number | boolean> {
  return {
    listen: c.server.listen,
    dataDir: c.storage.path,
    retention: formatDuration(c.storage.retentionMs),
    blockRange: formatDuration(c.storage.blockRangeMs),
    outOfOrderWindow: formatDuration(c.storage.outOfOrderWindowMs),
    walFsync: c.storage.wal.fsync,
    selfMonitoring: c.selfMonitoring.enabled ? formatDuration(c.selfMonitoring.intervalMs) : false,
  };
}
