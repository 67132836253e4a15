// The HTTP client settings of a scrape job, as Prometheus' common HTTP client config has them:
// tls_config, http_headers (Prometheus 3), oauth2 (client credentials) and the proxy settings the
// job and its oauth2 token endpoint each have.
import * as z from 'zod';
import { bool, describe, section } from './fields.ts';
import { str, stringList, stringMap } from './scrape-fields.ts';

export interface TLSConfig {
  caFile: string;
  certFile: string;
  keyFile: string;
  /** PEM text given inline (ca, cert, key), each instead of its file. */
  ca: string;
  cert: string;
  key: string;
  serverName: string;
  insecureSkipVerify: boolean;
  /** TLS versions as Prometheus names them (TLS10 ... TLS13); '' for Node's default. */
  minVersion: TLSVersion | '';
  maxVersion: TLSVersion | '';
}

export const TLS_VERSIONS = ['TLS10', 'TLS11', 'TLS12', 'TLS13'] as const;
export type TLSVersion = (typeof TLS_VERSIONS)[number];

function tlsVersion() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null || v === '') return '' as const;
    if (typeof v !== 'string' || !(TLS_VERSIONS as readonly string[]).includes(v)) {
      ctx.addIssue({ code: 'custom', message: `unknown TLS version ${describe(v)} (expected one of ${TLS_VERSIONS.join(', ')})` });
      return z.NEVER;
    }
    return v as TLSVersion;
  });
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
  /** How the token endpoint is reached: its own proxy settings, the same fields as the job's. */
  proxyUrl: string;
  noProxy: string;
  proxyFromEnvironment: boolean;
  proxyConnectHeaders: Record<string, string[]>;
}

export const tlsSchema = section({
  ca: str(''),
  ca_file: str(''),
  cert: str(''),
  cert_file: str(''),
  key: str(''),
  key_file: str(''),
  server_name: str(''),
  insecure_skip_verify: bool(false),
  min_version: tlsVersion(),
  max_version: tlsVersion(),
}).superRefine((t, ctx) => {
  for (const [inline, file] of [['ca', 'ca_file'], ['cert', 'cert_file'], ['key', 'key_file']] as const) {
    if (t[inline] !== '' && t[file] !== '') ctx.addIssue({ code: 'custom', message: `at most one of ${inline} and ${file} may be set` });
  }
  if ((t.cert === '' && t.cert_file === '') !== (t.key === '' && t.key_file === '')) {
    ctx.addIssue({ code: 'custom', message: 'a client certificate (cert or cert_file) and its key (key or key_file) must be given together' });
  }
  if (t.min_version !== '' && t.max_version !== '' && t.min_version > t.max_version) {
    ctx.addIssue({ code: 'custom', path: ['max_version'], message: `max_version ${t.max_version} is below min_version ${t.min_version}` });
  }
});

// Headers the scraper sets itself, that belong to the connection or to request signing: refused in
// http_headers, the same list as Prometheus' (Accept may be set: the answer is parsed by its
// Content-Type whatever was asked for).
const RESERVED_HEADERS = new Set([
  'authorization', 'host', 'content-encoding', 'content-length', 'content-type', 'user-agent', 'connection', 'keep-alive',
  'proxy-authenticate', 'proxy-authorization', 'www-authenticate', 'accept-encoding', 'x-prometheus-remote-write-version',
  'x-prometheus-remote-read-version', 'x-prometheus-scrape-timeout-seconds', 'x-amz-date', 'x-amz-security-token', 'x-amz-content-sha256',
]);

const httpHeaderSchema = section({ values: stringList(), secrets: stringList(), files: stringList() });

export function httpHeaders() {
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
        ctx.addIssue({ code: 'custom', path: [name], message: `setting header ${name} is not allowed (the scraper sets it, or it belongs to the connection)` });
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

/** proxy_connect_header: a list of values per header name, sent with the proxy's CONNECT (https). */
export function proxyConnectHeader() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string[]>;
    const ok = typeof v === 'object' && !Array.isArray(v)
      && Object.values(v as object).every((x) => Array.isArray(x) && x.every((y) => typeof y === 'string'));
    if (!ok) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of header names to lists of values, got ${describe(v)}` });
      return z.NEVER;
    }
    return v as Record<string, string[]>;
  });
}

interface RawProxy {
  proxy_url: string;
  no_proxy: string;
  proxy_from_environment: boolean;
  proxy_connect_header: Record<string, string[]>;
}

/** What is wrong with a set of proxy fields, as [field, message] pairs (the job's and oauth2's alike). */
export function proxyIssues(p: RawProxy): [string, string][] {
  const out: [string, string][] = [];
  if (p.proxy_url !== '') {
    if (!/^http:\/\/[^/]/.test(p.proxy_url)) out.push(['proxy_url', `expected an http:// proxy URL, got ${JSON.stringify(p.proxy_url)}`]);
    if (p.proxy_from_environment) out.push(['proxy_from_environment', 'at most one of proxy_url and proxy_from_environment may be set']);
  }
  if (p.no_proxy !== '' && p.proxy_url === '') out.push(['no_proxy', 'no_proxy needs proxy_url']);
  if (Object.keys(p.proxy_connect_header).length > 0 && p.proxy_url === '' && !p.proxy_from_environment) out.push(['proxy_connect_header', 'proxy_connect_header needs proxy_url']);
  return out;
}

export const oauth2Schema = section({
  client_id: str(''),
  client_secret: str(''),
  client_secret_file: str(''),
  scopes: stringList(),
  token_url: str(''),
  endpoint_params: stringMap(),
  tls_config: tlsSchema,
  proxy_url: str(''),
  no_proxy: str(''),
  proxy_from_environment: bool(false),
  proxy_connect_header: proxyConnectHeader(),
}).superRefine((o, ctx) => {
  if (!/^https?:\/\/[^/]/.test(o.token_url)) ctx.addIssue({ code: 'custom', path: ['token_url'], message: `expected an http:// or https:// URL, got ${describe(o.token_url)}` });
  if (o.client_secret !== '' && o.client_secret_file !== '') ctx.addIssue({ code: 'custom', message: 'at most one of client_secret and client_secret_file may be set' });
  for (const [field, message] of proxyIssues(o)) ctx.addIssue({ code: 'custom', path: [field], message });
});

export function tlsFrom(t: z.output<typeof tlsSchema>): TLSConfig {
  return {
    caFile: t.ca_file, certFile: t.cert_file, keyFile: t.key_file, ca: t.ca, cert: t.cert, key: t.key,
    serverName: t.server_name, insecureSkipVerify: t.insecure_skip_verify, minVersion: t.min_version, maxVersion: t.max_version,
  };
}
