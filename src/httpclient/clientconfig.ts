// Prometheus' common HTTP client settings (config/scrape-client.ts: a scrape job's, an Alertmanager
// set's) turned into what one request needs: its Authorization and http_headers, the TLS options
// that are not files, the proxy. The types are structural, so this folder imports no config. Files
// are read by the caller's `read`, at each request, as Prometheus does (a rotated secret needs no
// reload); how PEM files are loaded differs by caller (a scrape job's agent is built once).
import type { ConnectionOptions } from 'node:tls';
import type { Proxy } from './proxy.ts';

/** Reads a setting's file; `what` names the setting in the error it throws. */
export type ReadSettingFile = (file: string, what: string) => Promise<string>;

export interface RequestAuthSettings {
  httpHeaders: Record<string, { values: string[]; secrets: string[]; files: string[] }>;
  basicAuth: { username: string; password: string; passwordFile: string } | null;
  authorization: { type: string; credentials: string; credentialsFile: string } | null;
}

/**
 * http_headers, then Authorization from basic_auth, authorization or oauth2 (one at most is set;
 * config checks that). Secrets read from files are trimmed, as Prometheus trims them.
 */
export async function requestHeaders(s: RequestAuthSettings, read: ReadSettingFile, oauth2: (() => Promise<string>) | null): Promise<Record<string, string | string[]>> {
  const out: Record<string, string | string[]> = {};
  for (const [name, h] of Object.entries(s.httpHeaders)) {
    const files = await Promise.all(h.files.map(async (f) => (await read(f, `http_headers ${name} file`)).trim()));
    out[name] = [...h.values, ...h.secrets, ...files];
  }
  if (s.basicAuth) {
    const b = s.basicAuth;
    const pw = b.passwordFile !== '' ? (await read(b.passwordFile, 'basic_auth.password_file')).trim() : b.password;
    out.Authorization = `Basic ${Buffer.from(`${b.username}:${pw}`).toString('base64')}`;
  } else if (s.authorization) {
    const a = s.authorization;
    const cred = a.credentialsFile !== '' ? (await read(a.credentialsFile, 'authorization.credentials_file')).trim() : a.credentials;
    // Prometheus sends no Authorization for an authorization section without credentials.
    if (cred !== '' || a.credentialsFile !== '') out.Authorization = `${a.type} ${cred}`;
  } else if (oauth2) {
    out.Authorization = await oauth2();
  }
  return out;
}

type TLSVersionName = 'TLS10' | 'TLS11' | 'TLS12' | 'TLS13';
const NODE_TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;

/** tls_config's settings other than the PEM files: verification, server name, versions. */
export function tlsSettingOptions(t: { serverName: string; insecureSkipVerify: boolean; minVersion: TLSVersionName | ''; maxVersion: TLSVersionName | '' }): ConnectionOptions {
  const o: ConnectionOptions = { rejectUnauthorized: !t.insecureSkipVerify };
  if (t.serverName !== '') o.servername = t.serverName;
  if (t.minVersion !== '') o.minVersion = NODE_TLS_VERSIONS[t.minVersion];
  if (t.maxVersion !== '') o.maxVersion = NODE_TLS_VERSIONS[t.maxVersion];
  return o;
}

/** The proxy of a client's requests, or of its oauth2 token requests (each has its own settings). */
export function proxyOf(p: { proxyUrl: string; noProxy: string; proxyFromEnvironment: boolean }): Proxy | undefined {
  if (p.proxyFromEnvironment) return 'environment';
  return p.proxyUrl !== '' ? { url: p.proxyUrl, noProxy: p.noProxy } : undefined;
}
