// prometheus.yml's `global` and `scrape_configs` sections, read as Prometheus reads them: the same
// field names and defaults, a job's unset fields inherited from `global`, unknown fields refused.
import { isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { isValidLabelName } from '../model/index.ts';
import { bool, describe, oneOf, section } from './fields.ts';
import { DEFAULT_RELABEL_RULE, RELABEL_ACTIONS, checkRelabelRule, type RelabelRule } from './relabel.ts';
import { parseDuration } from './units.ts';

export interface GlobalConfig {
  scrapeIntervalMs: number;
  scrapeTimeoutMs: number;
  evaluationIntervalMs: number;
  /** How far in the past rule groups evaluate unless a group sets query_offset (Prometheus 2.53+). */
  ruleQueryOffsetMs: number;
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

/** Record types dns_sd_configs can ask for. */
export const DNS_SD_TYPES = ['SRV', 'A', 'AAAA', 'MX', 'NS'] as const;
export type DnsSdType = (typeof DNS_SD_TYPES)[number];

export interface DnsSdConfig {
  names: string[];
  type: DnsSdType;
  /** Port of the targets for every type but SRV (whose records carry their own). */
  port: number;
  refreshIntervalMs: number;
}

/** One header of http_headers: its values, and values read from secrets and files at each request. */
export interface HttpHeader {
  values: string[];
  secrets: string[];
  files: string[];
}

export interface OAuth2Config {
  clientId: string;
  clientSecret: string;
  clientSecretFile: string;
  scopes: string[];
  tokenUrl: string;
  endpointParams: Record<string, string>;
  tlsConfig: TLSConfig;
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
  /** Client credentials grant; the token is sent as Authorization. */
  oauth2: OAuth2Config | null;
  tlsConfig: TLSConfig;
  /** Extra request headers (Prometheus 3's http_headers), by name. */
  httpHeaders: Record<string, HttpHeader>;
  /** An http:// proxy: a forward proxy for http targets, a CONNECT tunnel for https ones ('' for none). */
  proxyUrl: string;
  /** Hosts, domains (.example.com) and IPs/CIDRs that bypass the proxy, comma-separated. */
  noProxy: string;
  /** Headers sent to the proxy with CONNECT (https targets). */
  proxyConnectHeaders: Record<string, string[]>;
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
  httpSdConfigs: { url: string; refreshIntervalMs: number }[];
  dnsSdConfigs: DnsSdConfig[];
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
  ruleQueryOffsetMs: 0,
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

/** A mapping of names to string values (e.g. oauth2's endpoint_params). */
function stringMap() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string>;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of names to string values, got ${describe(v)}` });
      return z.NEVER;
    }
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
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

// dns_sd_configs: names resolved every refresh_interval; A, AAAA, MX and NS need a port.
const dnsSdSchema = section({
  names: stringList(),
  type: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return 'SRV' as DnsSdType;
    const t = typeof v === 'string' ? v.toUpperCase() : '';
    if (!(DNS_SD_TYPES as readonly string[]).includes(t)) {
      ctx.addIssue({ code: 'custom', message: `invalid DNS-SD record type ${describe(v)} (expected one of ${DNS_SD_TYPES.join(', ')})` });
      return z.NEVER;
    }
    return t as DnsSdType;
  }),
  port: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return 0;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 65535) {
      ctx.addIssue({ code: 'custom', message: `expected a port number (1-65535), got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  }),
  refresh_interval: promDuration({ positive: true }),
}).superRefine((d, ctx) => {
  if (d.names.length === 0) ctx.addIssue({ code: 'custom', path: ['names'], message: 'dns_sd_configs needs at least one name in names' });
  if (d.type !== 'SRV' && d.port === 0) ctx.addIssue({ code: 'custom', path: ['port'], message: `a port is required for DNS-SD records of type ${d.type}` });
});

// Prometheus' other service discoveries: named in the error so a prometheus.yml that uses one fails
// with what to do instead of a bare "unknown field".
const UNSUPPORTED_SD = [
  'azure', 'consul', 'digitalocean', 'docker', 'dockerswarm', 'ec2', 'eureka', 'gce', 'hetzner', 'ionos', 'kubernetes',
  'kuma', 'lightsail', 'linode', 'marathon', 'nerve', 'nomad', 'openstack', 'ovhcloud', 'puppetdb', 'scaleway',
  'serverset', 'stackit', 'triton', 'uyuni', 'vultr',
].map((k) => `${k}_sd_configs`);

function unsupportedSd(field: string) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
    ctx.addIssue({
      code: 'custom',
      message: `${field} is not supported yet (Strata discovers targets with static_configs, file_sd_configs, http_sd_configs and dns_sd_configs; a file_sd or http_sd bridge can feed it others)`,
    });
    return z.NEVER;
  });
}

// Headers the scraper sets itself or that belong to the connection: refused in http_headers, as
// Prometheus refuses them.
const RESERVED_HEADERS = new Set([
  'authorization', 'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection', 'keep-alive',
  'proxy-authenticate', 'proxy-authorization', 'www-authenticate', 'accept', 'accept-encoding', 'transfer-encoding',
  'upgrade', 'via', 'te', 'trailer', 'x-prometheus-scrape-timeout-seconds', 'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version',
]);

const httpHeaderSchema = section({ values: stringList(), secrets: stringList(), files: stringList() });

function httpHeaders() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, HttpHeader>;
    if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of header names to { values, secrets, files }, got ${describe(v)}` });
      return z.NEVER;
    }
    const out: Record<string, HttpHeader> = {};
    for (const [name, h] of Object.entries(v as Record<string, unknown>)) {
      if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `invalid header name ${JSON.stringify(name)}` });
        continue;
      }
      if (RESERVED_HEADERS.has(name.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: [name], message: `header ${name} is set by the scraper itself and cannot be configured here` });
        continue;
      }
      const r = httpHeaderSchema.safeParse(h);
      if (!r.success) {
        for (const i of r.error.issues) ctx.addIssue({ code: 'custom', path: [name, ...i.path.map(String)], message: i.code === 'unrecognized_keys' ? `unknown field ${i.keys.join(', ')} (known fields: values, secrets, files)` : i.message });
        continue;
      }
      out[name] = { values: r.data.values, secrets: r.data.secrets, files: r.data.files };
    }
    return out;
  });
}

const oauth2Schema = section({
  client_id: str(''),
  client_secret: str(''),
  client_secret_file: str(''),
  scopes: stringList(),
  token_url: str(''),
  endpoint_params: stringMap(),
  tls_config: tlsSchema,
  proxy_url: str(''),
}).superRefine((o, ctx) => {
  if (!/^https?:\/\/[^/]/.test(o.token_url)) ctx.addIssue({ code: 'custom', path: ['token_url'], message: `expected an http:// or https:// URL, got ${describe(o.token_url)}` });
  if (o.client_secret !== '' && o.client_secret_file !== '') ctx.addIssue({ code: 'custom', message: 'at most one of client_secret and client_secret_file may be set' });
  if (o.proxy_url !== '') ctx.addIssue({ code: 'custom', path: ['proxy_url'], message: 'a proxy for the token endpoint is not supported yet' });
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
  oauth2: oauth2Schema.optional(),
  tls_config: tlsSchema,
  http_headers: httpHeaders(),
  proxy_url: str(''),
  no_proxy: str(''),
  proxy_from_environment: bool(false),
  // Headers for the proxy's CONNECT (https targets): a list of values per name.
  proxy_connect_header: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string[]>;
    const ok = typeof v === 'object' && !Array.isArray(v)
      && Object.values(v as object).every((x) => Array.isArray(x) && x.every((y) => typeof y === 'string'));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of header names to lists of values, got ${describe(v)}` });
      return z.NEVER;
    }
    return v as Record<string, string[]>;
  }),
  follow_redirects: bool(true),
  enable_http2: bool(true),
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
    const auths = [j.basic_auth !== undefined, j.authorization !== undefined, j.bearer_token !== '' || j.bearer_token_file !== '', j.oauth2 !== undefined].filter(Boolean).length;
    if (auths > 1) issue(['scrape_configs', i], 'at most one of basic_auth, authorization, bearer_token and oauth2 may be set');
    if (j.proxy_url !== '') {
      if (!/^http:\/\/[^/]/.test(j.proxy_url)) issue(at('proxy_url'), `expected an http:// proxy URL, got ${JSON.stringify(j.proxy_url)}`);
      if (j.proxy_from_environment) issue(at('proxy_from_environment'), 'at most one of proxy_url and proxy_from_environment may be set');
    }
    if (j.no_proxy !== '' && j.proxy_url === '') issue(at('no_proxy'), 'no_proxy needs proxy_url');
    if (Object.keys(j.proxy_connect_header).length > 0 && j.proxy_url === '' && !j.proxy_from_environment) issue(at('proxy_connect_header'), 'proxy_connect_header needs proxy_url');
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
    ruleQueryOffsetMs: g.rule_query_offset ?? DEFAULT_GLOBAL.ruleQueryOffsetMs,
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
    const o = j.oauth2;
    // proxy_from_environment reads the environment once, when the config is read, as Prometheus does.
    const envProxy = j.proxy_from_environment ? (process.env.HTTP_PROXY ?? process.env.http_proxy ?? '') : '';
    const envNoProxy = j.proxy_from_environment ? (process.env.NO_PROXY ?? process.env.no_proxy ?? '') : '';
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
      oauth2: o === undefined ? null : {
        clientId: o.client_id, clientSecret: o.client_secret, clientSecretFile: o.client_secret_file, scopes: o.scopes,
        tokenUrl: o.token_url, endpointParams: o.endpoint_params, tlsConfig: tlsFrom(o.tls_config),
      },
      tlsConfig: tlsFrom(j.tls_config),
      httpHeaders: j.http_headers,
      proxyUrl: j.proxy_url !== '' ? j.proxy_url : envProxy,
      noProxy: j.proxy_url !== '' ? j.no_proxy : envNoProxy,
      proxyConnectHeaders: j.proxy_connect_header,
      sampleLimit: j.sample_limit ?? g.sample_limit ?? 0,
      targetLimit: j.target_limit ?? g.target_limit ?? 0,
      labelLimit: j.label_limit ?? g.label_limit ?? 0,
      labelNameLengthLimit: j.label_name_length_limit ?? g.label_name_length_limit ?? 0,
      labelValueLengthLimit: j.label_value_length_limit ?? g.label_value_length_limit ?? 0,
      bodySizeLimit: j.body_size_limit ?? g.body_size_limit ?? 0,
      staticConfigs: j.static_configs,
      fileSdConfigs: j.file_sd_configs.map((f) => ({ files: f.files, refreshIntervalMs: f.refresh_interval ?? 300_000 })),
      httpSdConfigs: j.http_sd_configs.map((h) => ({ url: h.url, refreshIntervalMs: h.refresh_interval ?? 60_000 })),
      dnsSdConfigs: j.dns_sd_configs.map((d) => ({ names: d.names, type: d.type, port: d.port, refreshIntervalMs: d.refresh_interval ?? 30_000 })),
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

function tlsFrom(t: RawScrape['tls_config']): TLSConfig {
  return { caFile: t.ca_file, certFile: t.cert_file, keyFile: t.key_file, serverName: t.server_name, insecureSkipVerify: t.insecure_skip_verify };
}

/**
 * Makes the file names of scrape configs absolute: as in Prometheus they are relative to the
 * directory of the file that holds the job, not to the working directory of the process.
 */
export function resolveScrapeConfigPaths(jobs: readonly ScrapeConfig[], dir: string): void {
  const abs = (f: string) => (f === '' || isAbsolute(f) ? f : resolve(dir, f));
  const tls = (t: TLSConfig) => {
    t.caFile = abs(t.caFile);
    t.certFile = abs(t.certFile);
    t.keyFile = abs(t.keyFile);
  };
  for (const j of jobs) {
    for (const f of j.fileSdConfigs) f.files = f.files.map(abs);
    tls(j.tlsConfig);
    if (j.basicAuth) j.basicAuth.passwordFile = abs(j.basicAuth.passwordFile);
    if (j.authorization) j.authorization.credentialsFile = abs(j.authorization.credentialsFile);
    if (j.oauth2) {
      j.oauth2.clientSecretFile = abs(j.oauth2.clientSecretFile);
      tls(j.oauth2.tlsConfig);
    }
    for (const h of Object.values(j.httpHeaders)) h.files = h.files.map(abs);
  }
}

/** A job with every field at its default (as if only job_name were written), e.g. for built-in jobs. */
export function defaultScrapeConfig(jobName: string): ScrapeConfig {
  const g = globalSchema.parse({});
  return resolveScrapeConfigs(g, scrapeConfigsSchema.parse([{ job_name: jobName }]))[0];
}
