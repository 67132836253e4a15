// How an Alertmanager set's requests are made from its HTTP client settings (the ones a scrape job
// has too, Prometheus' common HTTP client config): Authorization from basic_auth, authorization,
// bearer_token or oauth2, http_headers, the TLS settings, and the proxy. As in Prometheus, files
// (password_file, credentials_file, http_headers files, TLS certificates and keys) are read at each
// post, so a rotated secret or certificate needs no reload; alerts are sent rarely enough for that.
// A set keeps its own CONNECT tunnels (one per proxy and Alertmanager, reused between posts) and
// oauth2 token (until it expires), both gone with the set on a reload that changes it.
import { readFile } from 'node:fs/promises';
import type { ConnectionOptions } from 'node:tls';
import type { HttpClientConfig, TLSConfig } from '../config/index.ts';
import { clientCredentialsToken, createTunnelAgents, proxyOf, requestHeaders, tlsSettingOptions, TokenError, type Proxy, type TunnelAgents } from '../httpclient/index.ts';

export interface AlertmanagerClient {
  /** http_headers and Authorization for one post; rejects when a file cannot be read or no oauth2 token can be had. */
  headers(signal: AbortSignal): Promise<Record<string, string | string[]>>;
  /** The TLS options of an https:// post (CA, client certificate, server name, versions). */
  tls(): Promise<ConnectionOptions>;
  readonly proxy: Proxy | undefined;
  readonly proxyConnectHeaders: Record<string, string[]>;
  readonly tunnels: TunnelAgents;
  /** Closes the set's tunnels. */
  close(): void;
}

export function createAlertmanagerClient(cfg: HttpClientConfig, now: () => number = Date.now): AlertmanagerClient {
  const tunnels = createTunnelAgents();
  const o = cfg.oauth2;
  // The token endpoint's TLS settings, read before each post that may fetch a token.
  let tokenTls: ConnectionOptions | undefined;
  const oauth2 = o === null ? null : clientCredentialsToken({
    clientId: o.clientId,
    clientSecret: async () => (o.clientSecretFile !== '' ? await secretFile(o.clientSecretFile, 'oauth2.client_secret_file') : o.clientSecret),
    scopes: o.scopes,
    tokenUrl: o.tokenUrl,
    endpointParams: o.endpointParams,
    get tls() {
      return tokenTls;
    },
    proxy: proxyOf(o),
    proxyConnectHeaders: o.proxyConnectHeaders,
  }, now);

  return {
    headers(signal) {
      return requestHeaders(cfg, secretFile, oauth2 && (async () => {
        if (o!.tokenUrl.startsWith('https:')) tokenTls = await tlsOptions(o!.tlsConfig, 'oauth2.tls_config');
        try {
          return await oauth2(signal);
        } catch (e) {
          // Go's oauth2 transport words it so (Prometheus logs it inside the url.Error of the post).
          throw new Error(e instanceof TokenError ? e.goText : (e as Error).message);
        }
      }));
    },
    tls: () => tlsOptions(cfg.tlsConfig, 'tls_config'),
    proxy: proxyOf(cfg),
    proxyConnectHeaders: cfg.proxyConnectHeaders,
    tunnels,
    close() {
      tunnels.destroy();
    },
  };
}

/** A secret kept in a file, without surrounding white space (Prometheus trims it). */
async function secretFile(file: string, what: string): Promise<string> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch (e) {
    throw new Error(`unable to read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

async function tlsOptions(t: TLSConfig, what: string): Promise<ConnectionOptions> {
  const o = tlsSettingOptions(t);
  const pem = async (inline: string, file: string, field: string) => {
    if (inline !== '') return inline;
    try {
      return await readFile(file, 'utf8');
    } catch (e) {
      throw new Error(`unable to read ${what}.${field} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
  };
  if (t.ca !== '' || t.caFile !== '') o.ca = await pem(t.ca, t.caFile, 'ca_file');
  if (t.cert !== '' || t.certFile !== '') o.cert = await pem(t.cert, t.certFile, 'cert_file');
  if (t.key !== '' || t.keyFile !== '') o.key = await pem(t.key, t.keyFile, 'key_file');
  return o;
}
