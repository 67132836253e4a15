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

/**
 * The HTTP client settings Prometheus' common HTTP client config has, shared by a scrape job and an
 * Alertmanager set (alerting.alertmanagers[]), which both inline them. bearer_token(_file) is
 * taken as authorization of type Bearer, as Prometheus converts it (and prints it).
 */
export interface HttpClientConfig {
  basicAuth: { username: string; password: string; passwordFile: string } | null;
  authorization: { type: string; credentials: string; credentialsFile: string } | null;
  /** Client credentials grant; the token is sent as Authorization. */
  oauth2: OAuth2Config | null;
  tlsConfig: TLSConfig;
  /** Extra request headers (Prometheus 3's http_headers), by name. */
  httpHeaders: Record<string, HttpHeader>;
  /** An http:// proxy: a forward proxy for http URLs, a CONNECT tunnel for https ones ('' for none). */
  proxyUrl: string;
  /** Hosts, domains (.example.com) and IPs/CIDRs that bypass the proxy, comma-separated. */
  noProxy: string;
  /** HTTP_PROXY or HTTPS_PROXY (by the URL's scheme) and NO_PROXY instead of proxyUrl and noProxy. */
  proxyFromEnvironment: boolean;
  /** Headers sent to the proxy with CONNECT (https URLs). */
  proxyConnectHeaders: Record<string, string[]>;
  /** Follow up to 10 redirects, as Prometheus' HTTP client does. */
  followRedirects: boolean;
  /** As configured (reported by /api/v1/status/config); Strata's requests use HTTP/1.1 either way. */
  enableHttp2: boolean;
}

/** The fields of the HTTP client settings, to spread into a section's schema. */
export const httpClientFields = {
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
  proxy_connect_header: proxyConnectHeader(),
  follow_redirects: bool(true),
  enable_http2: bool(true),
};

const httpClientObject = z.object(httpClientFields);
export type RawHttpClient = z.output<typeof httpClientObject>;

/** What is wrong with a section's HTTP client settings taken together, as [path, message] pairs. */
export function httpClientIssues(c: RawHttpClient): [string[], string][] {
  const out: [string[], string][] = [];
  const auths = [c.basic_auth !== undefined, c.authorization !== undefined, c.bearer_token !== '' || c.bearer_token_file !== '', c.oauth2 !== undefined].filter(Boolean).length;
  if (auths > 1) out.push([[], 'at most one of basic_auth, authorization, bearer_token and oauth2 may be set']);
  if (c.bearer_token !== '' && c.bearer_token_file !== '') out.push([[], 'at most one of bearer_token and bearer_token_file may be set']);
  for (const [field, message] of proxyIssues(c)) out.push([[field], message]);
  if (c.basic_auth && c.basic_auth.password !== '' && c.basic_auth.password_file !== '') out.push([['basic_auth'], 'at most one of password and password_file may be set']);
  if (c.authorization && c.authorization.credentials !== '' && c.authorization.credentials_file !== '') out.push([['authorization'], 'at most one of credentials and credentials_file may be set']);
  if (c.authorization && c.authorization.type.toLowerCase() === 'basic') out.push([['authorization', 'type'], 'authorization type cannot be Basic; use basic_auth']);
  return out;
}

export function resolveHttpClient(c: RawHttpClient): HttpClientConfig {
  let authorization: HttpClientConfig['authorization'] = null;
  if (c.authorization) authorization = { type: c.authorization.type, credentials: c.authorization.credentials, credentialsFile: c.authorization.credentials_file };
  else if (c.bearer_token !== '' || c.bearer_token_file !== '') authorization = { type: 'Bearer', credentials: c.bearer_token, credentialsFile: c.bearer_token_file };
  const o = c.oauth2;
  return {
    basicAuth: c.basic_auth ? { username: c.basic_auth.username, password: c.basic_auth.password, passwordFile: c.basic_auth.password_file } : null,
    authorization,
    oauth2: o === undefined ? null : {
      clientId: o.client_id, clientSecret: o.client_secret, clientSecretFile: o.client_secret_file, scopes: o.scopes,
      tokenUrl: o.token_url, endpointParams: o.endpoint_params, tlsConfig: tlsFrom(o.tls_config),
      proxyUrl: o.proxy_url, noProxy: o.no_proxy, proxyFromEnvironment: o.proxy_from_environment, proxyConnectHeaders: o.proxy_connect_header,
    },
    tlsConfig: tlsFrom(c.tls_config),
    httpHeaders: c.http_headers,
    proxyUrl: c.proxy_url,
    noProxy: c.no_proxy,
    proxyFromEnvironment: c.proxy_from_environment,
    proxyConnectHeaders: c.proxy_connect_header,
    followRedirects: c.follow_redirects,
    enableHttp2: c.enable_http2,
  };
}

/** Joins the file names of HTTP client settings with the config file's directory, as Prometheus does. */
export function resolveHttpClientPaths(c: HttpClientConfig, abs: (file: string) => string): void {
  const tls = (t: TLSConfig) => {
    t.caFile = abs(t.caFile);
    t.certFile = abs(t.certFile);
    t.keyFile = abs(t.keyFile);
  };
  tls(c.tlsConfig);
  if (c.basicAuth) c.basicAuth.passwordFile = abs(c.basicAuth.passwordFile);
  if (c.authorization) c.authorization.credentialsFile = abs(c.authorization.credentialsFile);
  if (c.oauth2) {
    c.oauth2.clientSecretFile = abs(c.oauth2.clientSecretFile);
    tls(c.oauth2.tlsConfig);
  }
  for (const h of Object.values(c.httpHeaders)) h.files = h.files.map(abs);
}
