// One HTTP(S) GET with what scraping needs and fetch() does not give: a deadline covering the
// whole exchange (connect, headers, body), a cap on the decompressed body that aborts the transfer
// as soon as it is crossed (a 50 MB answer never sits in memory when the limit is 1 MB), gzip,
// and TLS options per scrape pool through the agent.
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { createGunzip } from 'node:zlib';

export interface GetOptions {
  timeoutMs: number;
  /** Limit on the (decompressed) body in bytes; 0 for none. */
  maxBytes: number;
  accept: string;
  /** Ask for gzip (default true). */
  gzip?: boolean;
  headers?: Record<string, string>;
  /** Agents per protocol (TLS settings live in the https one); default: Node's global agents. */
  agents?: { readonly http: HttpAgent; readonly https: HttpsAgent };
  /** Redirects to follow (default 0: a 3xx is returned as it is). */
  maxRedirects?: number;
}

export interface GetResult {
  status: number;
  contentType: string;
  body: Buffer;
}

export class ScrapeHttpError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScrapeHttpError';
  }
}

export class BodySizeLimitError extends ScrapeHttpError {}

/** GET, following up to o.maxRedirects redirects, all within one deadline. */
export async function httpGet(url: string, o: GetOptions): Promise<GetResult> {
  const deadline = performance.now() + o.timeoutMs;
  let current = url;
  for (let hop = 0; ; hop++) {
    const left = Math.max(1, Math.round(deadline - performance.now()));
    const r = await getOnce(current, { ...o, timeoutMs: left }, o.timeoutMs);
    if (r.status < 300 || r.status > 399 || r.location === '' || hop >= (o.maxRedirects ?? 0)) return r;
    current = new URL(r.location, current).toString();
  }
}

function getOnce(url: string, o: GetOptions, totalMs: number): Promise<GetResult & { location: string }> {
  return new Promise<GetResult & { location: string }>((resolve, reject) => {
    let settled = false;
    const finish = (err: Error | null, r?: GetResult & { location: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req.destroy();
        reject(err);
      } else {
        resolve(r!);
      }
    };
    const u = new URL(url);
    const request = u.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(u, {
      method: 'GET',
      agent: o.agents ? (u.protocol === 'https:' ? o.agents.https : o.agents.http) : undefined,
      headers: { Accept: o.accept, 'Accept-Encoding': o.gzip === false ? 'identity' : 'gzip', ...o.headers },
    });
    const timer = setTimeout(() => finish(new ScrapeHttpError(`context deadline exceeded (timeout ${totalMs / 1000}s)`)), o.timeoutMs);
    req.on('error', (e) => finish(e));
    req.on('response', (res: IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const gz = /^\s*gzip\s*$/i.test(String(res.headers['content-encoding'] ?? ''));
      const stream = gz ? res.pipe(createGunzip()) : res;
      stream.on('data', (c: Buffer) => {
        size += c.length;
        if (o.maxBytes > 0 && size > o.maxBytes) {
          finish(new BodySizeLimitError(`body size limit exceeded (more than ${o.maxBytes} bytes${gz ? ' after decompression' : ''})`));
          res.destroy();
          stream.destroy();
          return;
        }
        chunks.push(c);
      });
      stream.on('error', (e: Error) => finish(gz ? new ScrapeHttpError(`invalid gzip body: ${e.message}`) : e));
      res.on('aborted', () => finish(new ScrapeHttpError('connection closed before the body was complete')));
      stream.on('end', () => finish(null, {
        status: res.statusCode ?? 0,
        contentType: String(res.headers['content-type'] ?? ''),
        location: String(res.headers.location ?? ''),
        body: Buffer.concat(chunks, size),
      }));
    });
    req.end();
  });
}
