// Rules and alerting settings: prometheus.yml's `rule_files` and `alerting` sections, read as
// Prometheus reads them, and Strata's own `rules` and `notifier` sections beside them.
import * as z from 'zod';
import { bool, describe, duration, section } from './fields.ts';
import { UNSUPPORTED_SD } from './scrape-sd.ts';
import { parseDuration } from './units.ts';

export interface AlertmanagerTarget {
  scheme: 'http' | 'https';
  pathPrefix: string;
  timeoutMs: number;
  /** host:port addresses from static_configs. */
  targets: string[];
  /** static_configs as written (for /api/v1/status/config; the labels are not used). */
  staticConfigs: { targets: string[]; labels: Record<string, string> }[];
  basicAuth: { username: string; password: string } | null;
  /** "Bearer xyz" or similar, from `authorization`. */
  authorization: string | null;
  tlsInsecureSkipVerify: boolean;
  /** As configured, for /api/v1/status/config (see the schema). */
  followRedirects: boolean;
  enableHttp2: boolean;
}

export interface AlertingConfig {
  /** prometheus.yml's rule_files: globs, relative to the config file's directory. */
  ruleFiles: string[];
  /** External Alertmanagers alerts are also sent to (alerting.alertmanagers). */
  alertmanagers: AlertmanagerTarget[];
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

const alertmanagerSchema = section({
  static_configs: z.array(section({ targets: stringList(), labels: z.record(z.string(), z.string()).optional() })).prefault([]),
  scheme: z.enum(['http', 'https'], { error: (iss) => `expected http or https, got ${describe(iss.input)}` }).prefault('http'),
  path_prefix: z.string().prefault(''),
  timeout: promDuration('10s'),
  api_version: z.unknown().transform((v, ctx) => {
    if (v === 'v2') return 'v2' as const;
    ctx.addIssue({ code: 'custom', message: `only api_version v2 is supported (Alertmanager's v1 API was removed in 0.27), got ${describe(v)}` });
    return z.NEVER;
  }).prefault('v2'),
  basic_auth: section({ username: z.string().prefault(''), password: z.string().prefault('') }).optional(),
  authorization: section({ type: z.string().prefault('Bearer'), credentials: z.string().prefault('') }).optional(),
  tls_config: section({ insecure_skip_verify: bool(false) }).optional(),
  // Accepted (and printed by /api/v1/status/config as Prometheus does); redirects are followed and
  // HTTP/1.1 is used regardless.
  follow_redirects: bool(true),
  enable_http2: bool(true),
  // Prometheus' discovery and relabelling of Alertmanagers: refused by name, not as unknown fields.
  ...Object.fromEntries(['file_sd_configs', 'http_sd_configs', 'dns_sd_configs', ...UNSUPPORTED_SD, 'relabel_configs', 'alert_relabel_configs'].map((f) => [
    f, z.unknown().optional().transform((v, ctx) => {
      if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
      ctx.addIssue({ code: 'custom', message: `${f} is not supported for alertmanagers yet (list them with static_configs)` });
      return z.NEVER;
    }),
  ])),
});

export const ruleFilesSchema = stringList();

export const alertingSchema = section({
  alertmanagers: z.array(alertmanagerSchema).prefault([]),
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

export function resolveAlerting(f: {
  rule_files: z.output<typeof ruleFilesSchema>;
  alerting: z.output<typeof alertingSchema>;
  rules: z.output<typeof rulesSchema>;
  notifier: z.output<typeof notifierSchema>;
}): AlertingConfig {
  return {
    ruleFiles: f.rule_files,
    alertmanagers: f.alerting.alertmanagers.map((a) => ({
      scheme: a.scheme,
      pathPrefix: a.path_prefix,
      timeoutMs: a.timeout,
      targets: a.static_configs.flatMap((s) => s.targets),
      staticConfigs: a.static_configs.map((s) => ({ targets: s.targets, labels: s.labels ?? {} })),
      basicAuth: a.basic_auth ? { username: a.basic_auth.username, password: a.basic_auth.password } : null,
      authorization: a.authorization && a.authorization.credentials !== '' ? `${a.authorization.type} ${a.authorization.credentials}` : null,
      tlsInsecureSkipVerify: a.tls_config?.insecure_skip_verify ?? false,
      followRedirects: a.follow_redirects,
      enableHttp2: a.enable_http2,
    })),
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
