// Rules and alerting settings: prometheus.yml's `rule_files` and `alerting` sections, read as
// Prometheus reads them, and Strata's own `rules` and `notifier` sections beside them.
import { joinDir } from './paths.ts';
import * as z from 'zod';
import { bool, describe, duration, section } from './fields.ts';
import type { RelabelRule } from './relabel.ts';
import { relabelSchema } from './scrape.ts';
import { httpClientFields, httpClientIssues, resolveHttpClient, resolveHttpClientPaths, type HttpClientConfig } from './scrape-client.ts';
import { list } from './scrape-fields.ts';
import {
  UNSUPPORTED_SD, dnsSdSchema, fileSdSchema, httpSdSchema, staticSchema, unsupportedSd, type DnsSdConfig, type HttpSdConfig, type StaticConfig,
} from './scrape-sd.ts';
import { parseDuration } from './units.ts';

/**
 * One entry of alerting.alertmanagers: a set of Alertmanagers found by service discovery and
 * relabelling, sharing how alerts are sent to them (Prometheus' AlertmanagerConfig): the same HTTP
 * client settings as a scrape job (auth, oauth2, TLS, proxy, http_headers, redirects), then its own.
 */
export interface AlertmanagerConfig extends HttpClientConfig {
  scheme: 'http' | 'https';
  /** As written ('' when unset); the alerts go to path.Join("/", prefix, "/api/v2/alerts"). */
  pathPrefix: string;
  timeoutMs: number;
  staticConfigs: StaticConfig[];
  fileSdConfigs: { files: string[]; refreshIntervalMs: number }[];
  httpSdConfigs: HttpSdConfig[];
  dnsSdConfigs: DnsSdConfig[];
  /** Applied to each discovered Alertmanager (__address__, __scheme__, __alerts_path__, __meta_*). */
  relabelConfigs: RelabelRule[];
  /** Applied to the alerts sent to this set only (Prometheus 2.51+; 2.42 refuses the field). */
  alertRelabelConfigs: RelabelRule[];
}

export interface AlertingConfig {
  /** prometheus.yml's rule_files: globs, relative to the config file's directory. */
  ruleFiles: string[];
  /** External Alertmanagers alerts are also sent to (alerting.alertmanagers). */
  alertmanagers: AlertmanagerConfig[];
  /** alerting.alert_relabel_configs: applied to every alert (external labels added) before it is queued. */
  alertRelabelConfigs: RelabelRule[];
  rules: {
    /** Prometheus' --rules.alert.for-outage-tolerance. */
    forOutageToleranceMs: number;
    /** --rules.alert.for-grace-period. */
    forGracePeriodMs: number;
    /** --rules.alert.resend-delay. */
    resendDelayMs: number;
  };
  notifier: {
    /** The built-in notifier receives the rules' alerts and serves Alertmanager's API v2. */
    enabled: boolean;
    /** An Alertmanager-format configuration file (routes, receivers...); '' for none. */
    configFile: string;
    /** Other replicas' base URLs that share silences and the notification log. */
    peers: string[];
    /** This replica's wait per position before notifying (Alertmanager's --cluster.peer-timeout). */
    peerTimeoutMs: number;
  };
}

function promDuration(def: string) {
  return z.unknown().transform((v, ctx) => {
    const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${describe(v)} (use e.g. 10s, 1m)` });
      return z.NEVER;
    }
    return ms;
  }).prefault(def);
}

const stringList = () => z.array(z.string({ error: (iss) => `expected a string, got ${describe(iss.input)}` })).prefault([]);

// Prometheus refuses a null rule in these lists (`- ` with nothing after it) rather than skipping it.
const relabelList = (what: string) => z.preprocess((v, ctx) => {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) return v;
  v.forEach((r, i) => {
    if (r === null) ctx.issues.push({ code: 'custom', message: `empty or null ${what} relabeling rule`, path: [i], input: r });
  });
  return v.filter((r) => r !== null);
}, z.array(relabelSchema, { error: (iss) => (iss.code === 'invalid_type' ? `expected a list, got ${describe(iss.input)}` : undefined) }));

const alertmanagerSchema = section({
  static_configs: list(staticSchema),
  file_sd_configs: list(fileSdSchema),
  http_sd_configs: list(httpSdSchema),
  dns_sd_configs: list(dnsSdSchema),
  ...Object.fromEntries(UNSUPPORTED_SD.map((f) => [f, unsupportedSd(f)])),
  relabel_configs: relabelList('Alertmanager target'),
  alert_relabel_configs: relabelList('Alertmanager alert'),
  scheme: z.enum(['http', 'https'], { error: (iss) => `expected http or https, got ${describe(iss.input)}` }).prefault('http'),
  path_prefix: z.string().prefault(''),
  timeout: promDuration('10s'),
  api_version: z.unknown().transform((v, ctx) => {
    if (v === 'v2') return 'v2' as const;
    ctx.addIssue({ code: 'custom', message: `only api_version v2 is supported (Alertmanager's v1 API was removed in 0.27), got ${describe(v)}` });
    return z.NEVER;
  }).prefault('v2'),
  ...httpClientFields,
  // Prometheus 2.47+ signs requests to Alertmanager with AWS SigV4 (2.42 refuses the field).
  // Strata has no AWS credential chain (profiles, roles, instance metadata) to sign with.
  sigv4: z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    ctx.addIssue({ code: 'custom', message: 'sigv4 is not supported (Strata cannot sign requests to Alertmanager with AWS SigV4; use authorization, basic_auth or oauth2)' });
    return z.NEVER;
  }),
}).superRefine((a, ctx) => {
  for (const [path, message] of httpClientIssues(a)) ctx.addIssue({ code: 'custom', path, message });
});

export const ruleFilesSchema = stringList();

export const alertingSchema = section({
  alert_relabel_configs: relabelList('alert'),
  alertmanagers: list(alertmanagerSchema),
});

export const rulesSchema = section({
  for_outage_tolerance: duration('1h', { positive: true }),
  for_grace_period: duration('10m', { zeroMeans: 'for no grace period' }),
  resend_delay: duration('1m', { positive: true }),
});

export const notifierSchema = section({
  enabled: bool(true),
  config_file: z.string().prefault(''),
  peers: z.array(z.string().refine((s) => URL.canParse(s) && /^https?:/.test(s), { error: 'expected an http:// or https:// URL' })).prefault([]),
  peer_timeout: duration('15s', { positive: true }),
});

/** Joins an Alertmanager set's file_sd paths with the config file's directory, as Prometheus does. */
export function resolveAlertmanagerPaths(ams: readonly AlertmanagerConfig[], dir: string): void {
  const abs = (p: string) => joinDir(dir, p);
  for (const a of ams) {
    for (const f of a.fileSdConfigs) f.files = f.files.map(abs);
    resolveHttpClientPaths(a, abs);
  }
}

export function resolveAlerting(f: {
  rule_files: z.output<typeof ruleFilesSchema>;
  alerting: z.output<typeof alertingSchema>;
  rules: z.output<typeof rulesSchema>;
  notifier: z.output<typeof notifierSchema>;
}): AlertingConfig {
  return {
    ruleFiles: f.rule_files,
    alertmanagers: f.alerting.alertmanagers.map((a) => ({
      ...resolveHttpClient(a),
      scheme: a.scheme,
      pathPrefix: a.path_prefix,
      timeoutMs: a.timeout,
      staticConfigs: a.static_configs,
      // Prometheus' defaults: file_sd every 5m, DNS every 30s (http_sd's 1m is its schema's).
      fileSdConfigs: a.file_sd_configs.map((c) => ({ files: c.files, refreshIntervalMs: c.refresh_interval ?? 300_000 })),
      httpSdConfigs: a.http_sd_configs,
      dnsSdConfigs: a.dns_sd_configs.map((d) => ({ names: d.names, type: d.type, port: d.port, refreshIntervalMs: d.refresh_interval ?? 30_000 })),
      relabelConfigs: a.relabel_configs,
      alertRelabelConfigs: a.alert_relabel_configs,
    })),
    alertRelabelConfigs: f.alerting.alert_relabel_configs,
    rules: {
      forOutageToleranceMs: f.rules.for_outage_tolerance,
      forGracePeriodMs: f.rules.for_grace_period,
      resendDelayMs: f.rules.resend_delay,
    },
    notifier: {
      enabled: f.notifier.enabled,
      configFile: f.notifier.config_file,
      peers: f.notifier.peers,
      peerTimeoutMs: f.notifier.peer_timeout,
    },
  };
}
