// OAuth 2.0 client credentials (RFC 6749 4.4) for scrapes, as Prometheus' oauth2 block does it:
// POST grant_type=client_credentials (plus scope and endpoint_params) to token_url, the client
// authenticated by HTTP Basic with its id and secret; the token is cached until it expires (10 s
// early, so a scrape never sets out with a token that dies on the way) and fetched once for all
// the loops of a pool that ask at the same time. A token server that refuses Basic client
// authentication is asked again with the credentials in the form, and that choice is kept (as Go's
// oauth2 package auto-detects it).
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { OAuth2Config } from '../config/index.ts';

const EARLY_MS = 10_000;
const TIMEOUT_MS = 30_000;

interface Token {
  header: string;
  /** ms since the epoch; Infinity when the server gave no expires_in. */
  expires: number;
}

/** Returns a function giving the Authorization header value, fetching a token when needed. */
export function oauth2Authorization(cfg: OAuth2Config, httpsAgent: HttpsAgent, now: () => number = Date.now): () => Promise<string> {
  let token: Token | null = null;
  let pending: Promise<Token> | null = null;
  let inBody = false;

  const fetchToken = async (): Promise<Token> => {
    const secret = cfg.clientSecretFile !== '' ? (await readFile(cfg.clientSecretFile, 'utf8')).trim() : cfg.clientSecret;
    const form = (withCredentials: boolean) => {
      const f = new URLSearchParams({ grant_type: 'client_credentials' });
      if (cfg.scopes.length > 0) f.set('scope', cfg.scopes.join(' '));
      for (const [k, v] of Object.entries(cfg.endpointParams)) f.set(k, v);
      if (withCredentials) {
        f.set('client_id', cfg.clientId);
        f.set('client_secret', secret);
      }
      return f.toString();
    };
    // RFC 6749 2.3.1: id and secret form-encoded before they are joined for Basic.
    const basic = `Basic ${Buffer.from(`${formEncode(cfg.clientId)}:${formEncode(secret)}`).toString('base64')}`;
    const started = now();
    let r = await post(cfg.tokenUrl, form(inBody), inBody ? {} : { Authorization: basic }, httpsAgent);
    if (!inBody && (r.status === 400 || r.status === 401)) {
      const again = await post(cfg.tokenUrl, form(true), {}, httpsAgent);
      if (again.status === 200) {
        inBody = true;
        r = again;
      }
    }
    if (r.status !== 200) throw new Error(`oauth2: token endpoint ${cfg.tokenUrl} returned HTTP ${r.status}: ${r.body.slice(0, 200)}`);
    let doc: { access_token?: unknown; token_type?: unknown; expires_in?: unknown };
    try {
      doc = JSON.parse(r.body) as typeof doc;
    } catch {
      throw new Error(`oauth2: token endpoint ${cfg.tokenUrl} answered no JSON`);
    }
    if (typeof doc.access_token !== 'string' || doc.access_token === '') throw new Error(`oauth2: token endpoint ${cfg.tokenUrl} answered no access_token`);
    const type = typeof doc.token_type === 'string' && doc.token_type !== '' && doc.token_type.toLowerCase() !== 'bearer' ? doc.token_type : 'Bearer';
    const expiresIn = Number(doc.expires_in);
    return { header: `${type} ${doc.access_token}`, expires: expiresIn > 0 ? started + expiresIn * 1000 : Infinity };
  };

  return async () => {
    if (token !== null && now() < token.expires - EARLY_MS) return token.header;
    pending ??= fetchToken().finally(() => {
      pending = null;
    });
    token = await pending;
    return token.header;
  };
}

/** application/x-www-form-urlencoded as Go's url.QueryEscape does it (space as +, !'()* escaped). */
function formEncode(s: string): string {
  return encodeURIComponent(s).replace(/%20/g, '+').replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function post(url: string, body: string, headers: Record<string, string>, httpsAgent: HttpsAgent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const req = (u.protocol === 'https:' ? httpsRequest : httpRequest)(u, {
      method: 'POST',
      agent: u.protocol === 'https:' ? httpsAgent : undefined,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': Buffer.byteLength(body), Accept: 'application/json', ...headers },
      timeout: TIMEOUT_MS,
    });
    req.on('timeout', () => req.destroy(new Error(`oauth2: token endpoint ${url} did not answer within ${TIMEOUT_MS / 1000}s`)));
    req.on('error', (e) => reject(new Error(e.message.startsWith('oauth2:') ? e.message : `oauth2: token endpoint ${url}: ${e.message}`)));
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > 1 << 20) return req.destroy(new Error(`oauth2: token endpoint ${url} answered more than 1 MiB`));
        chunks.push(c);
      });
      res.on('error', reject);
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.end(body);
  });
}
