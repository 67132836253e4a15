// prometheus.yml's `global` and `scrape_configs` sections, read as Prometheus reads them: the same
// field names and defaults, a job's unset fields inherited from `global`, unknown fields refused.
import { joinDir } from './paths.ts';
import * as z from 'zod';
import { ESCAPING_SCHEMES, type EscapingScheme, type NameValidationScheme } from '../model/index.ts';
import { bool, describe, oneOf, section } from './fields.ts';
import { DEFAULT_RELABEL_RULE, RELABEL_ACTIONS, checkRelabelRule, type RelabelRule } from './relabel.ts';
import { httpClientFields, httpClientIssues, resolveHttpClient, resolveHttpClientPaths, type HttpClientConfig } from './scrape-client.ts';
import { bodySize, labelMap, limit, list, promDuration, str, stringList } from './scrape-fields.ts';
import {
  UNSUPPORTED_SD, dnsSdSchema, fileSdSchema, httpSdSchema, staticSchema, unsupportedSd, type DnsSdConfig, type HttpSdConfig, type StaticConfig,
} from './scrape-sd.ts';

export type { HttpClientConfig, HttpHeader, OAuth2Config, TLSConfig } from './scrape-client.ts';
export { DNS_SD_TYPES, type DnsSdConfig, type DnsSdType, type HttpSdConfig, type StaticConfig } from './scrape-sd.ts';

export interface GlobalConfig {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  evaluationIntervalMs: number;
  /** How far in the past rule groups evaluate unless a group sets query_offset (Prometheus 2.53+). */
  ruleQueryOffsetMs: number;
  /** Added to series and alerts leaving this server (remote write, federation, alerts). */
  externalLabels: Record<string, string>;
  /** global.scrape_protocols as written, null when unset (the jobs then offer every format Strata parses). */
  scrapeProtocols: ScrapeProtocol[] | null;
  /** The jobs' default limits (Prometheus 2.45+); 0: none. */
  bodySizeLimit: number;
  sampleLimit: number;
  targetLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  /** Names scrapes accept (Prometheus 3): utf8 or legacy (the classic charsets); null: unset (utf8). */
  metricNameValidationScheme: NameValidationScheme | null;
  /** The escaping scrapes ask for; null when unset (then by each job's validation scheme). */
  metricNameEscapingScheme: EscapingScheme | null;
}

/** A scrape job; its HTTP client settings (auth, TLS, proxy, headers, redirects) are shared with Alertmanager sets. */
export interface ScrapeConfig extends HttpClientConfig {
  jobName: string;
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  metricsPath: string;
  scheme: 'http' | 'https';
  params: Record<string, string[]>;
  honorLabels: boolean;
  honorTimestamps: boolean;
  /** 0: no limit (likewise for the other limits). */
  sampleLimit: number;
  /** More targets than this after relabelling: every target of the job fails without a scrape. */
  targetLimit: number;
  labelLimit: number;
  labelNameLengthLimit: number;
  labelValueLengthLimit: number;
  bodySizeLimit: number;
  staticConfigs: StaticConfig[];
  fileSdConfigs: { files: string[]; refreshIntervalMs: number }[];
  httpSdConfigs: HttpSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  relabelConfigs: RelabelRule[];
  metricRelabelConfigs: RelabelRule[];
  /** Content types offered, most preferred first (from scrape_protocols). */
  scrapeProtocols: ScrapeProtocol[];
  /** Format assumed when a target sends no or an unknown Content-Type. */
  fallbackScrapeProtocol: ScrapeProtocol;
  /** Ask for gzip. */
  enableCompression: boolean;
  /** Also mark series with exposed timestamps stale when they vanish. */
  trackTimestampsStaleness: boolean;
  /** How many dropped targets the targets API keeps per job (0: all). */
  keepDroppedTargets: number;
  /** Names a scrape of this job accepts; a series with another name fails the scrape. */
  metricNameValidationScheme: NameValidationScheme;
  /** The `escaping` the Accept header asks targets for (allow-utf-8: names as they are). */
  metricNameEscapingScheme: EscapingScheme;
}

/** The text formats Strata parses, by the names Prometheus' scrape_protocols uses. */
// PrometheusText1.0.0 is text 0.0.4 that may carry quoted UTF-8 names (Prometheus 3), one parser.
export const SCRAPE_PROTOCOLS = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'] as const;
export type ScrapeProtocol = (typeof SCRAPE_PROTOCOLS)[number];
// Prometheus 3's default (2.42 offered no PrometheusText1.0.0).
const DEFAULT_SCRAPE_PROTOCOLS: ScrapeProtocol[] = ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'];

function protocol(v: unknown, ctx: { addIssue: (i: { code: 'custom'; message: string; path?: (string | number)[] }) => void }, path: (string | number)[]): ScrapeProtocol | null {
  if (typeof v === 'string' && (SCRAPE_PROTOCOLS as readonly string[]).includes(v)) return v as ScrapeProtocol;
  const why = v === 'PrometheusProto'
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

/** metric_name_validation_scheme / metric_name_escaping_scheme: one of the values, or unset. */
function schemeField<T extends string>(values: readonly T[]) {
  return z.unknown().optional().transform((v, ctx): T | undefined => {
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v !== 'string' || !(values as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `expected one of ${values.join(', ')}, got ${describe(v)}` });
      return z.NEVER;
    }
    return v as T;
  });
}
const VALIDATION_SCHEMES = ['utf8', 'legacy'] as const;

export const DEFAULT_GLOBAL: Readonly<GlobalConfig> = Object.freeze({
  scrapeIntervalMs: 60_000,
  scrapeTimeoutMs: 10_000,
  evaluationIntervalMs: 60_000,
  ruleQueryOffsetMs: 0,
  externalLabels: {},
  scrapeProtocols: null,
  bodySizeLimit: 0,
  sampleLimit: 0,
  targetLimit: 0,
  labelLimit: 0,
  labelNameLengthLimit: 0,
  labelValueLengthLimit: 0,
  metricNameValidationScheme: null,
  metricNameEscapingScheme: null,
});

export const relabelSchema = section({
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
  ...httpClientFields,
  scrape_protocols: protocolList(),
  fallback_scrape_protocol: z.unknown().optional().transform((v, ctx) => (v === undefined || v === null ? undefined : protocol(v, ctx, []) ?? z.NEVER)),
  enable_compression: bool(true),
  track_timestamps_staleness: bool(false),
  // Native histograms: Strata asks for the text formats only, which carry classic histograms, so
  // these settings change nothing and are accepted as they are; a conversion it cannot do is refused.
  scrape_classic_histograms: bool(false),
  always_scrape_classic_histograms: bool(false),
  native_histogram_bucket_limit: limit(),
  native_histogram_min_bucket_factor: z.unknown().optional(),
  convert_classic_histograms_to_nhcb: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null || v === false) return false;
    ctx.addIssue({ code: 'custom', message: 'converting classic histograms to native histograms is not supported (Strata stores classic histograms)' });
    return z.NEVER;
  }),
  scrape_failure_log_file: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null || v === '') return undefined;
    ctx.addIssue({ code: 'custom', message: 'scrape_failure_log_file is not supported yet (a target\'s last error is in /api/v1/targets, failed scrapes in the debug log)' });
    return z.NEVER;
  }),
  keep_dropped_targets: limit(),
  metric_name_validation_scheme: schemeField(VALIDATION_SCHEMES),
  metric_name_escaping_scheme: schemeField(ESCAPING_SCHEMES),
  sample_limit: limit(),
  target_limit: limit(),
  label_limit: limit(),
  label_name_length_limit: limit(),
  label_value_length_limit: limit(),
  body_size_limit: bodySize(),
  static_configs: list(staticSchema),
  file_sd_configs: list(fileSdSchema),
  http_sd_configs: list(httpSdSchema),
  dns_sd_configs: list(dnsSdSchema),
  ...Object.fromEntries(UNSUPPORTED_SD.map((f) => [f, unsupportedSd(f)])),
  relabel_configs: list(relabelSchema),
  metric_relabel_configs: list(relabelSchema),
});

export const globalSchema = section({
  scrape_interval: promDuration({ positive: true }),
  scrape_timeout: promDuration({ positive: true }),
  evaluation_interval: promDuration({ positive: true }),
  rule_query_offset: promDuration(),
  external_labels: labelMap(),
  scrape_protocols: protocolList(),
  // Since Prometheus 2.45 these limits may be set globally as defaults for every job.
  sample_limit: limit(),
  target_limit: limit(),
  label_limit: limit(),
  label_name_length_limit: limit(),
  label_value_length_limit: limit(),
  body_size_limit: bodySize(),
  metric_name_validation_scheme: schemeField(VALIDATION_SCHEMES),
  metric_name_escaping_scheme: schemeField(ESCAPING_SCHEMES),
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
    for (const [path, message] of httpClientIssues(j)) issue(['scrape_configs', i, ...path], message);
    if (!j.metrics_path.startsWith('/')) issue(at('metrics_path'), `metrics_path must start with /, got ${JSON.stringify(j.metrics_path)}`);
    const schemes = jobNameSchemes(g, j);
    if (schemes.escaping === 'allow-utf-8' && schemes.validation !== 'utf8') {
      issue(at(j.metric_name_escaping_scheme !== undefined ? 'metric_name_escaping_scheme' : 'metric_name_validation_scheme'),
        'metric_name_escaping_scheme allow-utf-8 asks targets for UTF-8 names, but metric_name_validation_scheme is legacy');
    }
    j.static_configs.forEach((s, k) => s.targets.forEach((t, n) => {
      if (t === '' || /\/|\s/.test(t)) issue(at('static_configs', k, 'targets', n), `${JSON.stringify(t)} is not a valid host:port target`);
    }));
  });
}

/**
 * A job's name schemes as Prometheus 3 fills them in: an unset validation scheme is the global one;
 * an unset escaping scheme is the global one when the job sets no validation scheme either, else
 * (and when the global one is unset too) allow-utf-8 for utf8 and underscores for legacy.
 */
function jobNameSchemes(g: RawGlobal, j: RawScrape): { validation: NameValidationScheme; escaping: EscapingScheme } {
  const globalValidation = g.metric_name_validation_scheme ?? 'utf8';
  const validation = j.metric_name_validation_scheme ?? globalValidation;
  const byValidation = (v: NameValidationScheme): EscapingScheme => (v === 'utf8' ? 'allow-utf-8' : 'underscores');
  const escaping = j.metric_name_escaping_scheme
    ?? (j.metric_name_validation_scheme === undefined ? g.metric_name_escaping_scheme ?? byValidation(globalValidation) : byValidation(validation));
  return { validation, escaping };
}

export function resolveGlobal(g: RawGlobal): GlobalConfig {
  return {
    scrapeIntervalMs: g.scrape_interval ?? DEFAULT_GLOBAL.scrapeIntervalMs,
    // A global timeout larger than the interval is an error above; an unset one is capped by it.
    scrapeTimeoutMs: g.scrape_timeout ?? Math.min(DEFAULT_GLOBAL.scrapeTimeoutMs, g.scrape_interval ?? DEFAULT_GLOBAL.scrapeIntervalMs),
    evaluationIntervalMs: g.evaluation_interval ?? DEFAULT_GLOBAL.evaluationIntervalMs,
    ruleQueryOffsetMs: g.rule_query_offset ?? DEFAULT_GLOBAL.ruleQueryOffsetMs,
    externalLabels: g.external_labels,
    scrapeProtocols: g.scrape_protocols ?? null,
    bodySizeLimit: g.body_size_limit ?? 0,
    sampleLimit: g.sample_limit ?? 0,
    targetLimit: g.target_limit ?? 0,
    labelLimit: g.label_limit ?? 0,
    labelNameLengthLimit: g.label_name_length_limit ?? 0,
    labelValueLengthLimit: g.label_value_length_limit ?? 0,
    metricNameValidationScheme: g.metric_name_validation_scheme ?? null,
    metricNameEscapingScheme: g.metric_name_escaping_scheme ?? null,
  };
}

export function resolveScrapeConfigs(g: RawGlobal, jobs: readonly RawScrape[]): ScrapeConfig[] {
  const global = resolveGlobal(g);
  return jobs.map((j): ScrapeConfig => {
    const interval = j.scrape_interval ?? global.scrapeIntervalMs;
    // As in Prometheus: an unset job timeout is the global one, but never more than the job's interval.
    const timeout = j.scrape_timeout ?? Math.min(global.scrapeTimeoutMs, interval);
    return {
      jobName: j.job_name,
      scrapeIntervalMs: interval,
      scrapeTimeoutMs: timeout,
      metricsPath: j.metrics_path,
      scheme: j.scheme,
      params: j.params,
      honorLabels: j.honor_labels,
      honorTimestamps: j.honor_timestamps,
      ...resolveHttpClient(j),
      sampleLimit: j.sample_limit ?? g.sample_limit ?? 0,
      targetLimit: j.target_limit ?? g.target_limit ?? 0,
      labelLimit: j.label_limit ?? g.label_limit ?? 0,
      labelNameLengthLimit: j.label_name_length_limit ?? g.label_name_length_limit ?? 0,
      labelValueLengthLimit: j.label_value_length_limit ?? g.label_value_length_limit ?? 0,
      bodySizeLimit: j.body_size_limit ?? g.body_size_limit ?? 0,
      staticConfigs: j.static_configs,
      fileSdConfigs: j.file_sd_configs.map((f) => ({ files: f.files, refreshIntervalMs: f.refresh_interval ?? 300_000 })),
      httpSdConfigs: j.http_sd_configs,
      dnsSdConfigs: j.dns_sd_configs.map((d) => ({ names: d.names, type: d.type, port: d.port, refreshIntervalMs: d.refresh_interval ?? 30_000 })),
      relabelConfigs: j.relabel_configs,
      metricRelabelConfigs: j.metric_relabel_configs,
      scrapeProtocols: j.scrape_protocols ?? g.scrape_protocols ?? DEFAULT_SCRAPE_PROTOCOLS,
      fallbackScrapeProtocol: j.fallback_scrape_protocol ?? 'PrometheusText0.0.4',
      enableCompression: j.enable_compression,
      trackTimestampsStaleness: j.track_timestamps_staleness,
      keepDroppedTargets: j.keep_dropped_targets ?? 0,
      metricNameValidationScheme: jobNameSchemes(g, j).validation,
      metricNameEscapingScheme: jobNameSchemes(g, j).escaping,
    };
  });
}

/**
 * Joins the file names of scrape configs with the directory of the file that holds the job, as
 * Prometheus does (they are not relative to the working directory of the process).
 */
export function resolveScrapeConfigPaths(jobs: readonly ScrapeConfig[], dir: string): void {
  const abs = (f: string) => joinDir(dir, f);
  for (const j of jobs) {
    for (const f of j.fileSdConfigs) f.files = f.files.map(abs);
    resolveHttpClientPaths(j, abs);
  }
}

/** A job with every field at its default (as if only job_name were written), e.g. for built-in jobs. */
export function defaultScrapeConfig(jobName: string): ScrapeConfig {
  const g = globalSchema.parse({});
  return resolveScrapeConfigs(g, scrapeConfigsSchema.parse([{ job_name: jobName }]))[0];
}
