// prometheus.yml's `global` and `scrape_configs` sections, read as Prometheus reads them: the same
// field names and defaults, a job's unset fields inherited from `global`, unknown fields refused.
import * as z from 'zod';
import { isValidLabelName } from '../model/index.ts';
import { bool, describe, oneOf, section } from './fields.ts';
import { DEFAULT_RELABEL_RULE, RELABEL_ACTIONS, checkRelabelRule, type RelabelRule } from './relabel.ts';
import { parseDuration } from './units.ts';

export interface GlobalConfig {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  evaluationIntervalMs: number;
  /** Added to series and alerts leaving this server (remote write, federation, alerts). */
  externalLabels: Record<string, string>;
}

export interface TLSConfig {
  caFile: string;
  certFile: string;
  keyFile: string;
  serverName: string;
  insecureSkipVerify: boolean;
}

export interface StaticConfig {
  targets: string[];
  labels: Record<string, string>;
}

export interface ScrapeConfig {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  basicAuth: { username: string; password: string; passwordFile: string } | null;
  authorization: { type: string; credentials: string; credentialsFile: string } | null;
  tlsConfig: TLSConfig;
  /** 0: no limit (likewise for the other limits). */
  sampleLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  bodySizeLimit: number;
  staticConfigs: StaticConfig[];
  fileSdConfigs: { files: string[]; refreshIntervalMs: number }[];
  httpSdConfigs: { url: string; refreshIntervalMs: number }[];
  relabelConfigs: RelabelRule[];
  metricRelabelConfigs: RelabelRule[];
  /** Content types offered, most preferred first (from scrape_protocols). */
  scrapeProtocols: ScrapeProtocol[];
  /** Format assumed when a target sends no or an unknown Content-Type. */
  fallbackScrapeProtocol: ScrapeProtocol;
  /** Ask for gzip. */
  enableCompression: boolean;
  /** Follow up to 10 redirects, as Prometheus' HTTP client does. */
  followRedirects: boolean;
  /** As configured (reported by /api/v1/status/config); Strata's scrapes use HTTP/1.1 either way. */
  enableHttp2: boolean;
  /** Also mark series with exposed timestamps stale when they vanish. */
  trackTimestampsStaleness: boolean;
  /** How many dropped targets the targets API keeps per job (0: all). */
  keepDroppedTargets: number;
}

/** The text formats Strata parses, by the names Prometheus' scrape_protocols uses. */
export const SCRAPE_PROTOCOLS = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText0.0.4'] as const;
export type ScrapeProtocol = (typeof SCRAPE_PROTOCOLS)[number];
const DEFAULT_SCRAPE_PROTOCOLS: ScrapeProtocol[] = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText0.0.4'];

function protocol(v: unknown, ctx: { addIssue: (i: { code: 'custom'; message: string; path?: (string | number)[] }) => void }, path: (string | number)[]): ScrapeProtocol | null {
  if (typeof v === 'string' && (SCRAPE_PROTOCOLS as readonly string[]).includes(v)) return v as ScrapeProtocol;
  const why = v === 'PrometheusProto' || v === 'PrometheusText1.0.0'
    ? `${v} is not supported (Strata parses ${SCRAPE_PROTOCOLS.join(', ')})`
    : `unknown scrape protocol ${describe(v)} (expected one of ${SCRAPE_PROTOCOLS.join(', ')})`;
  ctx.addIssue({ code: 'custom', message: why, path });
  return null;
}

function protocolList() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (!Array.isArray(v) || v.length === 0) {
      ctx.addIssue({ code: 'custom', message: `expected a non-empty list of scrape protocols, got ${describe(v)}` });
      return z.NEVER;
    }
    const out: ScrapeProtocol[] = [];
    v.forEach((x, i) => {
      const p = protocol(x, ctx, [i]);
      if (p !== null && !out.includes(p)) out.push(p);
    });
    return out;
  });
}

export const DEFAULT_GLOBAL: Readonly<GlobalConfig> = Object.freeze({
  scrapeIntervalMs: 60_000,
  scrapeTimeoutMs: 10_000,
  evaluationIntervalMs: 60_000,
  externalLabels: {},
});

// Prometheus durations: "15s", "1m30s", "500ms". Left undefined when absent, so a job can tell
// "not set" (inherit from global) from a value.
function promDuration(opts: { positive?: boolean } = {}) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${describe(v)} (use e.g. 15s, 1m, 1m30s)` });
      return z.NEVER;
    }
    if (opts.positive && ms === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
      return z.NEVER;
    }
    return ms;
  });
}

function str(def: string) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return def;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a string, got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

function stringList() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return [] as string[];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      ctx.addIssue({ code: 'custom', message: `expected a list of strings, got ${describe(v)}` });
      return z.NEVER;
    }
    return v.map(String);
  });
}

function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => v ?? [], z.array(item, { error: (iss) => (iss.code === 'invalid_type' ? `expected a list, got ${describe(iss.input)}` : undefined) }));
}

function labelMap() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string>;
    if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of label names to values, got ${describe(v)}` });
      return z.NEVER;
    }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (!isValidLabelName(k)) {
        ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(k)}`, path: [k] });
        continue;
      }
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
        ctx.addIssue({ code: 'custom', message: `expected a string value, got ${describe(x)}`, path: [k] });
        continue;
      }
      out[k] = String(x);
    }
    return out;
  });
}

/** A limit: a non-negative integer, 0 for none; undefined when absent (inherit from global). */
function limit() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a non-negative integer (0 for no limit), got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

// Prometheus reads body_size_limit as base-2 bytes: "10MB" is 10 MiB there, and so here.
const BASE2: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
function bodySize() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    // Also a sum of parts, largest first, as Prometheus prints a size ("1KiB512B").
    const text = typeof v === 'string' ? v.trim() : '';
    const parts = [...text.matchAll(/(\d+)\s*([a-zA-Z]*)/g)];
    let bytes = 0;
    let end = 0;
    for (const m of parts) {
      const unit = BASE2[m[2] === '' ? 'b' : m[2].toLowerCase()];
      const contiguous = m.index === end;
      end = m.index + m[0].length;
      if (!contiguous || unit === undefined || (m[2] === '' && parts.length > 1)) {
        bytes = -1;
        break;
      }
      bytes += Number(m[1]) * unit;
    }
    if (parts.length === 0 || end !== text.length || bytes < 0 || !Number.isSafeInteger(bytes)) {
      ctx.addIssue({ code: 'custom', message: `invalid size ${describe(v)} (use e.g. 10MB, 512KB, 0 for no limit)` });
      return z.NEVER;
    }
    return bytes;
  });
}

const relabelSchema = section({
  source_labels: stringList(),
  separator: str(DEFAULT_RELABEL_RULE.separator),
  regex: str(DEFAULT_RELABEL_RULE.regex),
  modulus: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a positive integer, got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  }),
  target_label: str(''),
  replacement: str(DEFAULT_RELABEL_RULE.replacement),
  action: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return 'replace' as const;
    const a = typeof v === 'string' ? v.toLowerCase() : '';
    if (!(RELABEL_ACTIONS as readonly string[]).includes(a)) {
      ctx.addIssue({ code: 'custom', message: `unknown relabel action ${describe(v)} (expected one of ${RELABEL_ACTIONS.join(', ')})` });
      return z.NEVER;
    }
    return a as RelabelRule['action'];
  }),
}).transform((r, ctx): RelabelRule => {
  const rule: RelabelRule = {
    sourceLabels: r.source_labels, separator: r.separator, regex: r.regex, modulus: r.modulus,
    targetLabel: r.target_label, replacement: r.replacement, action: r.action,
  };
  const problem = checkRelabelRule(rule);
  if (problem !== null) ctx.addIssue({ code: 'custom', message: problem });
  return rule;
});

const tlsSchema = section({
  ca_file: str(''),
  cert_file: str(''),
  key_file: str(''),
  server_name: str(''),
  insecure_skip_verify: bool(false),
}).superRefine((t, ctx) => {
  if ((t.cert_file === '') !== (t.key_file === '')) {
    ctx.addIssue({ code: 'custom', message: 'cert_file and key_file must be given together' });
  }
});

const staticSchema = section({
  targets: stringList(),
  labels: labelMap(),
});

const fileSdSchema = section({
  files: stringList(),
  refresh_interval: promDuration({ positive: true }),
}).superRefine((f, ctx) => {
  if (f.files.length === 0) ctx.addIssue({ code: 'custom', message: 'file_sd_configs needs at least one file in files' });
  for (const [i, p] of f.files.entries()) {
    if (!/\.(json|ya?ml)$/.test(p)) ctx.addIssue({ code: 'custom', path: ['files', i], message: `${JSON.stringify(p)}: file_sd files must end in .json, .yml or .yaml` });
  }
});

const httpSdSchema = section({
  url: str(''),
  refresh_interval: promDuration({ positive: true }),
}).superRefine((h, ctx) => {
  if (!/^https?:\/\/[^/]/.test(h.url)) ctx.addIssue({ code: 'custom', path: ['url'], message: `expected an http:// or https:// URL, got ${describe(h.url)}` });
});

const scrapeSchema = section({
  job_name: str(''),
  scrape_interval: promDuration({ positive: true }),
  scrape_timeout: promDuration({ positive: true }),
  metrics_path: str('/metrics'),
  scheme: oneOf(['http', 'https'] as const, 'http'),
  params: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string[]>;
    const ok = typeof v === 'object' && !Array.isArray(v)
      && Object.values(v as object).every((x) => Array.isArray(x) && x.every((y) => typeof y === 'string' || typeof y === 'number'));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of parameter names to lists of values, got ${describe(v)}` });
      return z.NEVER;
    }
    return Object.fromEntries(Object.entries(v as Record<string, unknown[]>).map(([k, xs]) => [k, xs.map(String)]));
  }),
  honor_labels: bool(false),
  honor_timestamps: bool(true),
  basic_auth: section({ username: str(''), password: str(''), password_file: str('') }).optional(),
  authorization: section({ type: str('Bearer'), credentials: str(''), credentials_file: str('') }).optional(),
  bearer_token: str(''),
  bearer_token_file: str(''),
  tls_config: tlsSchema,
  follow_redirects: bool(true),
  enable_http2: bool(true),
  scrape_protocols: protocolList(),
  fallback_scrape_protocol: z.unknown().optional().transform((v, ctx) => (v === undefined || v === null ? undefined : protocol(v, ctx, []) ?? z.NEVER)),
  enable_compression: bool(true),
  track_timestamps_staleness: bool(false),
  keep_dropped_targets: limit(),
  sample_limit: limit(),
  label_limit: limit(),
  label_name_length_limit: limit(),
  label_value_length_limit: limit(),
  body_size_limit: bodySize(),
  static_configs: list(staticSchema),
  file_sd_configs: list(fileSdSchema),
  http_sd_configs: list(httpSdSchema),
  relabel_configs: list(relabelSchema),
  metric_relabel_configs: list(relabelSchema),
});

export const globalSchema = section({
  scrape_interval: promDuration({ positive: true }),
  scrape_timeout: promDuration({ positive: true }),
  evaluation_interval: promDuration({ positive: true }),
  external_labels: labelMap(),
  scrape_protocols: protocolList(),
  // Since Prometheus 2.45 these limits may be set globally as defaults for every job.
  sample_limit: limit(),
  label_limit: limit(),
  label_name_length_limit: limit(),
  label_value_length_limit: limit(),
  body_size_limit: bodySize(),
});

export const scrapeConfigsSchema = list(scrapeSchema);

type RawGlobal = z.output<typeof globalSchema>;
type RawScrape = z.output<typeof scrapeSchema>;

/** Issues that need the whole file (job names, timeout vs. interval), with their field paths. */
export function checkScrapeConfigs(g: RawGlobal, jobs: readonly RawScrape[], issue: (path: (string | number)[], message: string) => void): void {
  const interval = g.scrape_interval ?? DEFAULT_GLOBAL.scrapeIntervalMs;
  if (g.scrape_timeout !== undefined && g.scrape_timeout > interval) {
    issue(['global', 'scrape_timeout'], 'scrape_timeout must not be greater than scrape_interval');
  }
  const seen = new Map<string, number>();
  jobs.forEach((j, i) => {
    const at = (f: string | number, ...rest: (string | number)[]) => ['scrape_configs', i, f, ...rest];
    if (j.job_name === '') issue(['scrape_configs', i], 'job_name is required');
    else if (seen.has(j.job_name)) issue(at('job_name'), `job name ${JSON.stringify(j.job_name)} is used by scrape_configs[${seen.get(j.job_name)}] already`);
    else seen.set(j.job_name, i);
    const ji = j.scrape_interval ?? interval;
    if (j.scrape_timeout !== undefined && j.scrape_timeout > ji) issue(at('scrape_timeout'), `scrape_timeout (${j.scrape_timeout}ms) must not be greater than scrape_interval (${ji}ms)`);
    const auths = [j.basic_auth !== undefined, j.authorization !== undefined, j.bearer_token !== '' || j.bearer_token_file !== ''].filter(Boolean).length;
    if (auths > 1) issue(['scrape_configs', i], 'at most one of basic_auth, authorization and bearer_token may be set');
    if (j.basic_auth && j.basic_auth.password !== '' && j.basic_auth.password_file !== '') issue(at('basic_auth'), 'at most one of password and password_file may be set');
    if (j.authorization && j.authorization.credentials !== '' && j.authorization.credentials_file !== '') issue(at('authorization'), 'at most one of credentials and credentials_file may be set');
    if (j.authorization && j.authorization.type.toLowerCase() === 'basic') issue(at('authorization', 'type'), 'authorization type cannot be Basic; use basic_auth');
    if (!j.metrics_path.startsWith('/')) issue(at('metrics_path'), `metrics_path must start with /, got ${JSON.stringify(j.metrics_path)}`);
    j.static_configs.forEach((s, k) => s.targets.forEach((t, n) => {
      if (t === '' || /\/|\s/.test(t)) issue(at('static_configs', k, 'targets', n), `${JSON.stringify(t)} is not a valid host:port target`);
    }));
  });
}

export function resolveGlobal(g: RawGlobal): GlobalConfig {
  return {
    scrapeIntervalMs: g.scrape_interval ?? DEFAULT_GLOBAL.scrapeIntervalMs,
    // A global timeout larger than the interval is an error above; an unset one is capped by it.
    scrapeTimeoutMs: g.scrape_timeout ?? Math.min(DEFAULT_GLOBAL.scrapeTimeoutMs, g.scrape_interval ?? DEFAULT_GLOBAL.scrapeIntervalMs),
    evaluationIntervalMs: g.evaluation_interval ?? DEFAULT_GLOBAL.evaluationIntervalMs,
    externalLabels: g.external_labels,
  };
}

export function resolveScrapeConfigs(g: RawGlobal, jobs: readonly RawScrape[]): ScrapeConfig[] {
  const global = resolveGlobal(g);
  return jobs.map((j): ScrapeConfig => {
    const interval = j.scrape_interval ?? global.scrapeIntervalMs;
    // As in Prometheus: an unset job timeout is the global one, but never more than the job's interval.
    const timeout = j.scrape_timeout ?? Math.min(global.scrapeTimeoutMs, interval);
    let authorization: ScrapeConfig['authorization'] = null;
    if (j.authorization) authorization = { type: j.authorization.type, credentials: j.authorization.credentials, credentialsFile: j.authorization.credentials_file };
    else if (j.bearer_token !== '' || j.bearer_token_file !== '') authorization = { type: 'Bearer', credentials: j.bearer_token, credentialsFile: j.bearer_token_file };
    return {
      jobName: j.job_name,
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      metricsPath: j.metrics_path,
      scheme: j.scheme,
      params: j.params,
      honorLabels: j.honor_labels,
      honorTimestamps: j.honor_timestamps,
      basicAuth: j.basic_auth ? { username: j.basic_auth.username, password: j.basic_auth.password, passwordFile: j.basic_auth.password_file } : null,
      authorization,
      tlsConfig: {
        caFile: j.tls_config.ca_file, certFile: j.tls_config.cert_file, keyFile: j.tls_config.key_file,
        serverName: j.tls_config.server_name, insecureSkipVerify: j.tls_config.insecure_skip_verify,
      },
      sampleLimit: j.sample_limit ?? g.sample_limit ?? 0,
      labelLimit: j.label_limit ?? g.label_limit ?? 0,
      labelNameLengthLimit: j.label_name_length_limit ?? g.label_name_length_limit ?? 0,
      labelValueLengthLimit: j.label_value_length_limit ?? g.label_value_length_limit ?? 0,
      bodySizeLimit: j.body_size_limit ?? g.body_size_limit ?? 0,
      staticConfigs: j.static_configs,
      fileSdConfigs: j.file_sd_configs.map((f) => ({ files: f.files, refreshIntervalMs: f.refresh_interval ?? 300_000 })),
      httpSdConfigs: j.http_sd_configs.map((h) => ({ url: h.url, refreshIntervalMs: h.refresh_interval ?? 60_000 })),
      relabelConfigs: j.relabel_configs,
      metricRelabelConfigs: j.metric_relabel_configs,
      scrapeProtocols: j.scrape_protocols ?? g.scrape_protocols ?? DEFAULT_SCRAPE_PROTOCOLS,
      fallbackScrapeProtocol: j.fallback_scrape_protocol ?? 'PrometheusText0.0.4',
      enableCompression: j.enable_compression,
      followRedirects: j.follow_redirects,
      enableHttp2: j.enable_http2,
      trackTimestampsStaleness: j.track_timestamps_staleness,
      keepDroppedTargets: j.keep_dropped_targets ?? 0,
    };
  });
}

/** A job with every field at its default (as if only job_name were written), e.g. for built-in jobs. */
export function defaultScrapeConfig(jobName: string): ScrapeConfig {
  const g = globalSchema.parse({});
  return resolveScrapeConfigs(g, scrapeConfigsSchema.parse([{ job_name: jobName }]))[0];
}
