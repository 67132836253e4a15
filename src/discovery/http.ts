// The GET of http_sd_configs: one request within a deadline, redirects followed by Go's rules (the
// same src/httpclient pieces the scrapes use), the body read up to a limit. Scraping has its own
// GET (gzip, TLS agents per pool, body limits counted as scrape failures); discovery needs only
// this much, and sits below scraping so that the rules' Alertmanager discovery can share it.
import { MAX_REDIRECTS, redirectFrom, send, tooManyRedirects, type Hop } from '../httpclient/index.ts';

export interface SdResponse {
  status: number;
  /** The status line's reason phrase as the server sent it ("Found"). */
  statusText: string;
  contentType: string;
  body: Buffer;
}

export interface SdGetOptions {
  timeoutMs: number;
  maxBytes: number;
  /** Follow up to 10 redirects (Go's client); false: a 3xx is the answer. */
  followRedirects: boolean;
}

/**
 * GETs an SD endpoint. Following redirects, a 10th is an error worded as Go's client words it
 * (`Get "<Location>": stopped after 10 redirects`), the Location as the server sent it.
 */
export async function sdGet(url: string, o: SdGetOptions): Promise<SdResponse> {
  const signal = AbortSignal.timeout(o.timeoutMs);
  let hop: Hop = { url: new URL(url), method: 'GET' };
  for (let n = 0; ; n++) {
    const r = await getOnce(hop.url, o.maxBytes, signal).catch((e: unknown) => {
      throw signal.aborted ? new Error(`context deadline exceeded (timeout ${o.timeoutMs / 1000}s)`) : e;
    });
    const next = o.followRedirects ? redirectFrom(hop, r.status, r.location) : undefined;
    if (next === undefined) return r;
    if (tooManyRedirects(n)) throw new Error(`Get ${JSON.stringify(r.location)}: stopped after ${MAX_REDIRECTS} redirects`);
    hop = next;
  }
}

async function getOnce(u: URL, maxBytes: number, signal: AbortSignal): Promise<SdResponse & { location: string }> {
  const res = await send(u, { method: 'GET', headers: { Accept: 'application/json' }, signal });
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of res as AsyncIterable<Buffer>) {
    size += c.length;
    if (size > maxBytes) {
      res.destroy();
      throw new Error(`response larger than ${maxBytes} bytes`);
    }
    chunks.push(c);
  }
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? '',
    contentType: String(res.headers['content-type'] ?? ''),
    location: String(res.headers.location ?? ''),
    body: Buffer.concat(chunks, size),
  };
}
