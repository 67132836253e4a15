// OAuth 2.0 client credentials (RFC 6749 4.4) as Prometheus' HTTP client does it, for scrapes and
// notification channels alike: POST grant_type=client_credentials (plus scope and endpoint_params)
// to the token URL, the client authenticated by HTTP Basic; a token server that refuses that
// (400/401) is asked again with client_id and client_secret in the form, and that choice is kept
// (Go's oauth2 package detects it the same way). The token is cached until 10 s before it expires
// (so a request never sets out with a token that dies on the way), one fetch shared by all who
// ask at the same time.
import type * as https from 'node:https';
import type { ConnectionOptions } from 'node:tls';
import type { Proxy } from './proxy.ts';
import { goRequestError } from './goerror.ts';
import { send } from './send.ts';

const EARLY_MS = 10_000;
const TIMEOUT_MS = 30_000;
/** Go's oauth2 package reads at most this much of a token response. */
const MAX_RESPONSE_BYTES = 1 << 20;

export interface ClientCredentials {
  clientId: string;
  /** The client secret, asked for at each fetch (so a client_secret_file is read anew). */
  clientSecret: () => string | Promise<string>;
  scopes: readonly string[];
  tokenUrl: string;
  endpointParams: Readonly<Record<string, string>>;
  /** How the token endpoint is reached: TLS settings, agents (keep-alive), proxy. */
  tls?: ConnectionOptions;
  httpsAgent?: https.Agent;
  proxy?: Proxy;
  /** Sent with the CONNECT to the proxy (https token URLs). */
  proxyConnectHeaders?: Record<string, string[]>;
}

/**
 * A token that could not be had: status is the token endpoint's HTTP status, 0 when it gave none
 * usable; goText the same failure as Go's oauth2 package words it (what Prometheus shows after
 * `Get "<target>": ` as a scrape's error).
 */
export class TokenError extends Error {
  readonly status: number;
  readonly goText: string;
  constructor(message: string, status: number, goText: string) {
    super(message);
    this.name = 'TokenError';
    this.status = status;
    this.goText = goText;
  }
}

interface Token {
  header: string;
  /** ms since the epoch; Infinity when the server gave no expires_in. */
  expires: number;
}

/**
 * A token source: a function giving the Authorization header value ("Bearer <token>"), fetching a
 * token when none is cached or it is about to expire. Rejects with a TokenError, or with what
 * clientSecret threw.
 */
export function clientCredentialsToken(c: ClientCredentials, now: () => number = Date.now): (signal?: AbortSignal) => Promise<string> {
  let token: Token | null = null;
  let pending: Promise<Token> | null = null;
  let credentialsInForm = false;

  const fetchToken = async (signal: AbortSignal | undefined): Promise<Token> => {
    const secret = await c.clientSecret();
    const form = (withCredentials: boolean) => {
      const f = new URLSearchParams({ grant_type: 'client_credentials' });
      if (c.scopes.length > 0) f.set('scope', c.scopes.join(' '));
      for (const [k, v] of Object.entries(c.endpointParams)) f.set(k, v);
      if (withCredentials) {
        f.set('client_id', c.clientId);
        f.set('client_secret', secret);
      }
      return f.toString();
    };
    // RFC 6749 2.3.1: id and secret are form-encoded before they are joined for Basic.
    const basic = `Basic ${Buffer.from(`${formEncode(c.clientId)}:${formEncode(secret)}`).toString('base64')}`;
    const post = (withCredentials: boolean) => {
      const body = form(withCredentials);
      const headers: Record<string, string> = {
        'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'Content-Length': String(Buffer.byteLength(body)),
      };
      if (!withCredentials) headers.Authorization = basic;
      const timeout = AbortSignal.timeout(TIMEOUT_MS);
      return postForm(c, body, headers, signal === undefined ? timeout : AbortSignal.any([signal, timeout]));
    };
    const started = now();
    let r = await post(credentialsInForm);
    if (!credentialsInForm && (r.status === 400 || r.status === 401)) {
      const again = await post(true);
      if (again.status >= 200 && again.status < 300) {
        credentialsInForm = true;
        r = again;
      }
    }
    if (r.status < 200 || r.status >= 300) {
      throw new TokenError(`oauth2: token endpoint ${c.tokenUrl} returned HTTP ${r.status}: ${r.body.trim().slice(0, 200)}`, r.status,
        `oauth2: cannot fetch token: ${`${r.status} ${r.statusText}`.trim()}\nResponse: ${r.body}`);
    }
    let doc: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(r.body) as typeof doc;
    } catch {
      // Go's oauth2 reads form-encoded and text/plain answers as a form (so does this, when they
      // are not JSON), anything else as JSON.
      const media = r.contentType.split(';')[0].trim().toLowerCase();
      if (media !== 'application/x-www-form-urlencoded' && media !== 'text/plain') {
        throw new TokenError(`oauth2: token endpoint ${c.tokenUrl} answered no JSON`, 0, goJsonError(r.body));
      }
      doc = Object.fromEntries(new URLSearchParams(r.body));
    }
    if (typeof doc.access_token !== 'string' || doc.access_token === '') {
      throw new TokenError(`oauth2: token endpoint ${c.tokenUrl} answered no access_token`, 0, 'oauth2: server response missing access_token');
    }
    // Go's oauth2 sends "Bearer" whatever case the server wrote it in.
    const type = typeof doc.token_type === 'string' && doc.token_type !== '' && doc.token_type.toLowerCase() !== 'bearer' ? doc.token_type : 'Bearer';
    const expiresIn = Number(doc.expires_in);
    return { header: `${type} ${doc.access_token}`, expires: expiresIn > 0 ? started + expiresIn * 1000 : Infinity };
  };

  return async (signal?: AbortSignal) => {
    if (token !== null && now() < token.expires - EARLY_MS) return token.header;
    pending ??= fetchToken(signal).finally(() => {
      pending = null;
    });
    token = await pending;
    return token.header;
  };
}

/** application/x-www-form-urlencoded as Go's url.QueryEscape writes it (space as +, !'()* escaped). */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * encoding/json's error for text that is no JSON, for the common cases: nothing at all, or a first
 * character no JSON value starts with (an HTML error page); else the text of the commonest
 * remaining case, a truncated answer (Go names the offending character for others).
 */
function goJsonError(text: string): string {
  const first = /\S/u.exec(text)?.[0];
  if (first === undefined) return 'unexpected end of JSON input';
  if (!/[{["\-0-9tfn]/.test(first)) return `invalid character ${first === "'" ? "'\\''" : `'${first}'`} looking for beginning of value`;
  return 'unexpected end of JSON input';
}

async function postForm(c: ClientCredentials, body: string, headers: Record<string, string>, signal: AbortSignal): Promise<{ status: number; statusText: string; contentType: string; body: string }> {
  const fail = (e: unknown) => {
    const cause = signal.aborted && signal.reason instanceof Error ? signal.reason : e as Error;
    return new TokenError(`oauth2: token request to ${c.tokenUrl} failed: ${cause.message}`, 0,
      goRequestError('POST', new URL(c.tokenUrl), signal.aborted ? new Error('context deadline exceeded') : cause));
  };
  try {
    const res = await send(new URL(c.tokenUrl), { method: 'POST', headers, body, tls: c.tls, agents: { https: c.httpsAgent }, proxy: c.proxy, proxyConnectHeaders: c.proxyConnectHeaders, signal });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of res as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_RESPONSE_BYTES) {
        res.destroy();
        throw new Error(`answer longer than ${MAX_RESPONSE_BYTES} bytes`);
      }
      chunks.push(chunk);
    }
    return { status: res.statusCode ?? 0, statusText: res.statusMessage ?? '', contentType: String(res.headers['content-type'] ?? ''), body: Buffer.concat(chunks).toString('utf8') };
  } catch (e) {
    throw fail(e);
  }
}

