// http_config.oauth2: OAuth 2.0 client credentials (RFC 6749 4.4) as Prometheus' HTTP client does
// it. A token is asked of token_url with grant_type=client_credentials (plus scope and
// endpoint_params), the client authenticated by HTTP Basic; a server that refuses that (400/401)
// is asked again with client_id and client_secret in the form, and the choice is kept (Go's oauth2
// package detects it the same way). The token is cached until 10 s before it expires, one fetch
// shared by the sends that need it at the same time; client_secret_file is read at each fetch.
import { ChannelError } from '../types.ts';
import type { OAuth2Settings } from './config.ts';
import { readSecret, tlsOptions } from './files.ts';
import { exchange } from './transport.ts';

const EARLY_MS = 10_000;
const TOKEN_TIMEOUT_MS = 30_000;

interface Token {
  header: string;
  /** ms since the epoch; Infinity when the server gave no expires_in. */
  expires: number;
}

interface TokenSource {
  token: Token | null;
  pending: Promise<Token> | null;
  credentialsInForm: boolean;
}

// Keyed by the parsed settings: a reloaded configuration starts with no token.
const sources = new WeakMap<OAuth2Settings, TokenSource>();

/** The Authorization header value for a request, fetching a token when none is cached or it expires. */
export async function oauth2Authorization(o: OAuth2Settings, signal: AbortSignal, now: () => number = Date.now): Promise<string> {
  let s = sources.get(o);
  if (s === undefined) sources.set(o, (s = { token: null, pending: null, credentialsInForm: false }));
  if (s.token !== null && now() < s.token.expires - EARLY_MS) return s.token.header;
  const src = s;
  src.pending ??= fetchToken(o, src, now, signal).finally(() => {
    src.pending = null;
  });
  src.token = await src.pending;
  return src.token.header;
}

async function fetchToken(o: OAuth2Settings, s: TokenSource, now: () => number, signal: AbortSignal): Promise<Token> {
  const secret = o.clientSecretFile !== '' ? readSecret(o.clientSecretFile) : o.clientSecret;
  const form = (withCredentials: boolean) => {
    const f = new URLSearchParams({ grant_type: 'client_credentials' });
    if (o.scopes.length > 0) f.set('scope', o.scopes.join(' '));
    for (const [k, v] of Object.entries(o.endpointParams)) f.set(k, v);
    if (withCredentials) {
      f.set('client_id', o.clientID);
      f.set('client_secret', secret);
    }
    return f.toString();
  };
  // RFC 6749 2.3.1: id and secret are form-encoded before they are joined for Basic.
  const basic = `Basic ${Buffer.from(`${formEncode(o.clientID)}:${formEncode(secret)}`).toString('base64')}`;
  const post = async (withCredentials: boolean) => {
    const body = form(withCredentials);
    const headers: Record<string, string> = {
      'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json', 'Content-Length': String(Buffer.byteLength(body)),
    };
    if (!withCredentials) headers.Authorization = basic;
    try {
      return await exchange({
        url: new URL(o.tokenURL), method: 'POST', headers, body, tls: o.tokenURL.startsWith('https:') ? tlsOptions(o.tlsConfig) : {},
        proxy: o.proxy, signal: AbortSignal.any([signal, AbortSignal.timeout(TOKEN_TIMEOUT_MS)]),
      });
    } catch (e) {
      throw new ChannelError(`oauth2: token request to ${o.tokenURL} failed: ${(e as Error).message}`, true);
    }
  };
  const started = now();
  let r = await post(s.credentialsInForm);
  if (!s.credentialsInForm && (r.status === 400 || r.status === 401)) {
    const again = await post(true);
    if (again.status >= 200 && again.status < 300) {
      s.credentialsInForm = true;
      r = again;
    }
  }
  if (r.status < 200 || r.status >= 300) {
    // Refused credentials stay refused; a token server in trouble may recover.
    throw new ChannelError(`oauth2: token endpoint ${o.tokenURL} returned HTTP ${r.status}: ${r.body.trim().slice(0, 200)}`, r.status >= 500 || r.status === 429, r.status);
  }
  let doc: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
  try {
    doc = JSON.parse(r.body) as typeof doc;
  } catch {
    throw new ChannelError(`oauth2: token endpoint ${o.tokenURL} answered no JSON`, true);
  }
  if (typeof doc.access_token !== 'string' || doc.access_token === '') throw new ChannelError(`oauth2: token endpoint ${o.tokenURL} answered no access_token`, true);
  // Go's oauth2 sends "Bearer" whatever case the server wrote it in.
  const type = typeof doc.token_type === 'string' && doc.token_type !== '' && doc.token_type.toLowerCase() !== 'bearer' ? doc.token_type : 'Bearer';
  const expiresIn = Number(doc.expires_in);
  return { header: `${type} ${doc.access_token}`, expires: expiresIn > 0 ? started + expiresIn * 1000 : Infinity };
}

/** application/x-www-form-urlencoded as Go's url.QueryEscape writes it (space as +, !'()* escaped). */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
