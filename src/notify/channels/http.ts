// HTTP requests of the channels with the http_config settings (basic auth, authorization header,
// oauth2 client credentials, TLS, proxies, redirects) and the retry decision Alertmanager makes:
// 5xx, 429 and network failures may pass, other 4xx will not.
import type { IncomingMessage } from 'node:http';
import { MAX_REDIRECTS, redirectFrom, send, tooManyRedirects, type Hop } from '../../httpclient/index.ts';
import { ChannelError } from '../types.ts';
import type { HTTPSettings } from './config.ts';
import { redactURL } from './fields.ts';
import { readSecret, tlsOptions } from './files.ts';
import { oauth2Authorization } from './oauth2.ts';

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
/** How much of an answer is kept; the rest is read and dropped (an error message shows 512 characters). */
const MAX_RESPONSE_BYTES = 1 << 20;

/**
 * Sends a request, following redirects unless follow_redirects is false (as Go's client: 307 and
 * 308 repeat the request, 301, 302 and 303 turn a POST into a GET without body); resolves with any
 * final status, rejects with a retryable ChannelError on network failure. Credentials are added
 * to every hop, as Prometheus' HTTP client adds them.
 */
export async function request(r: HTTPRequest): Promise<HTTPResponse> {
  let hop: Hop | undefined = { url: new URL(r.url), method: r.method ?? 'POST', body: r.body };
  for (let n = 0; ; n++) {
    if (r.signal.aborted) throw abortError(r.signal, r.url);
    const { url, method, body } = hop;
    const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...r.headers };
    if (body === undefined) delete headers['Content-Type'];
    else headers['Content-Length'] = String(Buffer.byteLength(body));
    const auth = await authorizationHeader(r.httpConfig, r.basicAuth, r.signal);
    if (auth !== undefined) headers.Authorization = auth;
    let res: HTTPResponse & { location: string };
    try {
      res = await readResponse(await send(url, {
        method, headers, body, signal: r.signal, proxy: r.httpConfig?.proxy, proxyConnectHeaders: r.httpConfig?.proxyConnectHeaders,
        tls: url.protocol === 'https:' ? tlsOptions(r.httpConfig?.tlsConfig) : {},
      }));
    } catch (e) {
      if (e instanceof ChannelError) throw e;
      throw r.signal.aborted ? abortError(r.signal, r.url) : new ChannelError(`request to ${redactURL(r.url)} failed: ${(e as Error).message}`, true);
    }
    hop = r.httpConfig?.followRedirects === false ? undefined : redirectFrom(hop, res.status, res.location);
    if (hop === undefined) return { status: res.status, body: res.body };
    if (tooManyRedirects(n)) throw new ChannelError(`request to ${redactURL(r.url)}: stopped after ${MAX_REDIRECTS} redirects`, false, res.status);
  }
}

async function readResponse(res: IncomingMessage): Promise<HTTPResponse & { location: string }> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
  }
  return { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: String(res.headers.location ?? '') };
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
