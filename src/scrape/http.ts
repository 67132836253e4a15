// One HTTP(S) GET with what scraping needs and fetch() does not give: a deadline covering the
// whole exchange (connect, headers, body), a cap on the decompressed body that aborts the transfer
// as soon as it is crossed (a 50 MB answer never sits in memory when the limit is 1 MB), gzip, and
// TLS options per scrape pool through the agent. Proxies (forward for http://, CONNECT for
// https://) and the redirect rules are src/httpclient's, shared with the notification channels.
import type { Agent as HttpAgent, IncomingMessage } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import { createGunzip } from 'node:zlib';
import { goReadError, goRequestError, noteError, redirectFrom, send, socketPair, type Hop, type Proxy, type TunnelAgents } from '../httpclient/index.ts';

export interface GetOptions {
  timeoutMs: number;
  /** Limit on the (decompressed) body in bytes; 0 for none. */
  maxBytes: number;
  accept: string;
  /** Ask for gzip (default true). */
  gzip?: boolean;
  headers?: Record<string, string | string[]>;
  /**
   * Agents per protocol (TLS settings live in the https one; default: Node's global agents), and
   * the pool's CONNECT tunnels (default: one per scrape).
   */
  agents?: { readonly http: HttpAgent; readonly https: HttpsAgent; readonly tunnels?: TunnelAgents };
  /** Redirects to follow (default 0: a 3xx is returned as it is). */
  maxRedirects?: number;
  /** proxy_url with no_proxy, or the environment. */
  proxy?: Proxy;
  /** Sent with CONNECT to the proxy (https targets). */
  proxyConnectHeaders?: Record<string, string[]>;
}

export interface GetResult {
  status: number;
  /** The status line's reason phrase as the server sent it ("Found"). */
  statusText: string;
  contentType: string;
  body: Buffer;
}

/** A failed GET, its message worded as Go's HTTP client words it (what Prometheus shows as the target's last error). */
export class ScrapeHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeHttpError';
  }
}

export class BodySizeLimitError extends ScrapeHttpError {}

/**
 * GET, following redirects up to o.maxRedirects requests in all, within one deadline. As Go's
 * client counts: the 10th response asking for another request is the error (`Get "<its
 * Location>": stopped after 10 redirects`), so 9 redirects are followed. Not following them, the
 * 3xx is the answer.
 */
export async function httpGet(url: string, o: GetOptions): Promise<GetResult> {
  const deadline = performance.now() + o.timeoutMs;
  const max = o.maxRedirects ?? 0;
  let hop: Hop = { url: new URL(url), method: 'GET' };
  for (let n = 0; ; n++) {
    const left = Math.max(1, Math.round(deadline - performance.now()));
    const r = await getOnce(hop.url, { ...o, timeoutMs: left });
    const next = max > 0 ? redirectFrom(hop, r.status, r.location) : undefined;
    if (next === undefined) return r;
    if (n + 1 >= max) throw new ScrapeHttpError(`Get ${JSON.stringify(r.location)}: stopped after ${max} redirects`);
    hop = next;
  }
}

function getOnce(u: URL, o: GetOptions): Promise<GetResult & { location: string }> {
  return new Promise<GetResult & { location: string }>((resolve, reject) => {
    let settled = false;
    let res: IncomingMessage | undefined;
    // Aborts the request while it is being sent (the CONNECT included); the response, once there, is destroyed.
    const abort = new AbortController();
    const finish = (err: Error | null, r?: GetResult & { location: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        abort.abort(err);
        res?.destroy();
        reject(err);
      } else {
        resolve(r!);
      }
    };
    // When the deadline passes while this process was busy (a first round creating a million series
    // keeps the event loop occupied for seconds), the answer may be waiting in the socket already:
    // timers run before I/O in an event-loop turn, so the timeout gives that I/O one turn (an
    // immediate runs after it) before it counts. A target that has really not answered still fails
    // in the same turn.
    // Go: the request's error names the URL; once the body is being read, the bare cause.
    const timer = setTimeout(() => {
      setImmediate(() => finish(new ScrapeHttpError(res === undefined ? goRequestError('GET', u, new Error('context deadline exceeded')) : 'context deadline exceeded')));
    }, o.timeoutMs);

    const onResponse = (r: IncomingMessage) => {
      if (settled) return void r.destroy();
      res = r;
      const sockets = socketPair(r.socket);
      const chunks: Buffer[] = [];
      let size = 0;
      const gz = /^\s*gzip\s*$/i.test(String(r.headers['content-encoding'] ?? ''));
      const stream = gz ? r.pipe(createGunzip()) : r;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (o.maxBytes > 0 && size > o.maxBytes) {
          // Prometheus' words, without the limit (the job's body_size_limit; counted after gzip).
          finish(new BodySizeLimitError('body size limit exceeded'));
          stream.destroy();
          return;
        }
        chunks.push(c);
      });
      stream.on('error', (e: Error) => finish(new ScrapeHttpError(goReadError(noteError(e, { sockets })))));
      // The body cut short by the server closing the connection: Go's io.ErrUnexpectedEOF.
      r.on('aborted', () => finish(new ScrapeHttpError('unexpected EOF')));
      stream.on('end', () => finish(null, {
        status: r.statusCode ?? 0,
        statusText: r.statusMessage ?? '',
        contentType: String(r.headers['content-type'] ?? ''),
        location: String(r.headers.location ?? ''),
        body: Buffer.concat(chunks, size),
      }));
    };

    const headers: Record<string, string | string[]> = { Accept: o.accept, 'Accept-Encoding': o.gzip === false ? 'identity' : 'gzip', ...o.headers };
    // The pool's TLS settings are the https agent's; a CONNECT tunnel has no agent and takes them as they are.
    const t = o.agents?.https.options ?? {};
    const tls = Object.fromEntries(Object.entries({
      ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.rejectUnauthorized, minVersion: t.minVersion, maxVersion: t.maxVersion, servername: t.servername,
    }).filter(([, v]) => v !== undefined));
    send(u, { method: 'GET', headers, tls, agents: o.agents, proxy: o.proxy, proxyConnectHeaders: o.proxyConnectHeaders, signal: abort.signal })
      .then(onResponse, (e: Error) => finish(new ScrapeHttpError(goRequestError('GET', u, e))));
  });
}
