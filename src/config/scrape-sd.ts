// The service discovery sections of a scrape job: static_configs, file_sd_configs,
// http_sd_configs, dns_sd_configs, and Prometheus' other *_sd_configs refused by name.
import * as z from 'zod';
import { bool, describe, section } from './fields.ts';
import { labelMap, promDuration, str, stringList } from './scrape-fields.ts';

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

/**
 * One http_sd_configs entry. Of the HTTP client settings Prometheus allows here, follow_redirects
 * and enable_http2 are read; the others (auth, TLS, proxy) are refused by name.
 */
export interface HttpSdConfig {
  url: string;
  refreshIntervalMs: number;
  /** Follow up to 10 redirects, as Prometheus' HTTP client does (default true). */
  followRedirects: boolean;
  /** As configured (printed by /api/v1/status/config); the requests use HTTP/1.1 either way. */
  enableHttp2: boolean;
}

export const staticSchema = section({
  targets: stringList(),
  labels: labelMap(),
});

export const fileSdSchema = section({
  files: stringList(),
  refresh_interval: promDuration({ positive: true }),
}).superRefine((f, ctx) => {
  if (f.files.length === 0) ctx.addIssue({ code: 'custom', message: 'file_sd_configs needs at least one file in files' });
  for (const [i, p] of f.files.entries()) {
    if (!/\.(json|ya?ml)$/.test(p)) ctx.addIssue({ code: 'custom', path: ['files', i], message: `${JSON.stringify(p)}: file_sd files must end in .json, .yml or .yaml` });
  }
});

// Prometheus' HTTP client settings that an http_sd entry may have and Strata does not apply to it yet:
// refused by name rather than as unknown fields, so the message says what is missing.
const HTTP_SD_CLIENT_UNSUPPORTED = [
  'basic_auth', 'authorization', 'bearer_token', 'bearer_token_file', 'oauth2', 'tls_config', 'proxy_url', 'no_proxy',
  'proxy_from_environment', 'proxy_connect_header', 'http_headers',
];

export const httpSdSchema = section({
  url: str(''),
  refresh_interval: promDuration({ positive: true }),
  follow_redirects: bool(true),
  enable_http2: bool(true),
  ...Object.fromEntries(HTTP_SD_CLIENT_UNSUPPORTED.map((f) => [f, z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    ctx.addIssue({ code: 'custom', message: `${f} is not supported in http_sd_configs yet (of the HTTP client settings, follow_redirects and enable_http2 are)` });
    return z.NEVER;
  })])),
}).superRefine((h, ctx) => {
  if (!/^https?:\/\/[^/]/.test(h.url)) ctx.addIssue({ code: 'custom', path: ['url'], message: `expected an http:// or https:// URL, got ${describe(h.url)}` });
}).transform((h): HttpSdConfig => ({
  url: h.url, refreshIntervalMs: h.refresh_interval ?? 60_000, followRedirects: h.follow_redirects, enableHttp2: h.enable_http2,
}));

// dns_sd_configs: names resolved every refresh_interval; A, AAAA, MX and NS need a port.
export const dnsSdSchema = section({
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
    // 0 is what Prometheus prints for an SRV entry's unset port: it must load back.
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 65535) {
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
export const UNSUPPORTED_SD = [
  'azure', 'consul', 'digitalocean', 'docker', 'dockerswarm', 'ec2', 'eureka', 'gce', 'hetzner', 'ionos', 'kubernetes',
  'kuma', 'lightsail', 'linode', 'marathon', 'nerve', 'nomad', 'openstack', 'ovhcloud', 'puppetdb', 'scaleway',
  'serverset', 'stackit', 'triton', 'uyuni', 'vultr',
].map((k) => `${k}_sd_configs`);

export function unsupportedSd(field: string) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null || (Array.isArray(v) && v.length === 0)) return undefined;
    ctx.addIssue({
      code: 'custom',
      message: `${field} is not supported yet (Strata discovers targets with static_configs, file_sd_configs, http_sd_configs and dns_sd_configs; a file_sd or http_sd bridge can feed it others)`,
    });
    return z.NEVER;
  });
}
