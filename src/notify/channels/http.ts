// HTTP requests of the channels with the http_config settings (basic auth, authorization header,
// oauth2 client credentials, TLS, proxies, redirects) and the retry decision Alertmanager makes:
// 5xx, 429 and network failures may pass, other 4xx will not.
import { ChannelError } from '../types.ts';
import type { HTTPSettings } from './config.ts';
import { redactURL } from './fields.ts';
import { readSecret, tlsOptions } from './files.ts';
import { oauth2Authorization } from './oauth2.ts';
import { exchange } from './transport.ts';

export interface HTTPRequest {
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The channel's own credentials (e.g. Twilio's account), used when http_config sets none. */
  basicAuth?: { username: string; password: string };
  httpConfig?: HTTPSettings;
  signal: AbortSignal;
}

export interface HTTPResponse {
  status: number;
  body: string;
}

export const USER_AGENT = 'Strata-Notifier/0.1';
/** How much of a failed response's body goes into the error message. */
const ERROR_BODY_CHARS = 512;
/** Go's client gives up after 10 redirects. */
const MAX_REDIRECTS = 10;

/**
 * Sends a request, following redirects unless follow_redirects is false (as Go's client: 307 and
 * 308 repeat the request, 301, 302 and 303 turn a POST into a GET without body); resolves with any
 * final status, rejects with a retryable ChannelError on network failure. Credentials are added
 * to every hop, as Prometheus' HTTP client adds them.
 */
export async function request(r: HTTPRequest): Promise<HTTPResponse> {
  let url = new URL(r.url);
  let method: string = r.method ?? 'POST';
  let body = r.body;
  for (let hop = 0; ; hop++) {
    if (r.signal.aborted) throw abortError(r.signal, r.url);
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...r.headers };
    if (body === undefined) delete headers['Content-Type'];
    else headers['Content-Length'] = String(Buffer.byteLength(body));
    const auth = await authorizationHeader(r.httpConfig, r.basicAuth, r.signal);
    if (auth !== undefined) headers.Authorization = auth;
    let res;
    try {
      res = await exchange({
        url, method, headers, body, signal: r.signal, proxy: r.httpConfig?.proxy,
        tls: url.protocol === 'https:' ? tlsOptions(r.httpConfig?.tlsConfig) : {},
      });
    } catch (e) {
      if (e instanceof ChannelError) throw e;
      throw r.signal.aborted ? abortError(r.signal, r.url) : new ChannelError(`request to ${redactURL(r.url)} failed: ${(e as Error).message}`, true);
    }
    const redirect = res.status >= 300 && res.status < 400 && res.status !== 304 && res.location !== '';
    if (!redirect || r.httpConfig?.followRedirects === false) return { status: res.status, body: res.body };
    if (hop + 1 >= MAX_REDIRECTS) throw new ChannelError(`request to ${redactURL(r.url)}: stopped after ${MAX_REDIRECTS} redirects`, false, res.status);
    url = new URL(res.location, url);
    if (res.status !== 307 && res.status !== 308 && method !== 'GET') {
      method = 'GET';
      body = undefined;
    }
  }
}

/** Sends a request and throws a ChannelError unless the status is 2xx. */
export async function requestOK(r: HTTPRequest, what: string): Promise<HTTPResponse> {
  const res = await request(r);
  if (res.status >= 200 && res.status < 300) return res;
  throw statusError(what, res);
}

export function statusError(what: string, res: HTTPResponse): ChannelError {
  const retryable = res.status >= 500 || res.status === 429;
  const body = res.body.trim().slice(0, ERROR_BODY_CHARS);
  return new ChannelError(`${what}: unexpected status ${res.status}${body === '' ? '' : `: ${body}`}`, retryable, res.status);
}

function abortError(signal: AbortSignal, url: string): ChannelError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new ChannelError(`request to ${redactURL(url)} aborted: ${why}`, true);
}

async function authorizationHeader(h: HTTPSettings | undefined, fallback: { username: string; password: string } | undefined, signal: AbortSignal): Promise<string | undefined> {
  if (h?.basicAuth) {
    const password = h.basicAuth.passwordFile !== '' ? readSecret(h.basicAuth.passwordFile) : h.basicAuth.password;
    return `Basic ${Buffer.from(`${h.basicAuth.username}:${password}`).toString('base64')}`;
  }
  if (h?.authorization) {
    const cred = h.authorization.credentialsFile !== '' ? readSecret(h.authorization.credentialsFile) : h.authorization.credentials;
    return `${h.authorization.type} ${cred}`;
  }
  if (h?.oauth2) return oauth2Authorization(h.oauth2, signal);
  if (fallback) return `Basic ${Buffer.from(`${fallback.username}:${fallback.password}`).toString('base64')}`;
  return undefined;
}
