// One HTTP(S) GET with what scraping needs and fetch() does not give: a deadline covering the
// whole exchange (connect, headers, body), a cap on the decompressed body that aborts the transfer
// as soon as it is crossed (a 50 MB answer never sits in memory when the limit is 1 MB), gzip,
// TLS options per scrape pool through the agent, and an HTTP proxy: http:// targets through it as a
// forward proxy (the request carries the absolute URL), https:// ones through a CONNECT tunnel.
import { request as httpRequest, type Agent as HttpAgent, type ClientRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import { BlockList, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { createGunzip } from 'node:zlib';

export interface GetOptions {
  timeoutMs: number;
  /** Limit on the (decompressed) body in bytes; 0 for none. */
  maxBytes: number;
  accept: string;
  /** Ask for gzip (default true). */
  gzip?: boolean;
  headers?: Record<string, string | string[]>;
  /** Agents per protocol (TLS settings live in the https one); default: Node's global agents. */
  agents?: { readonly http: HttpAgent; readonly https: HttpsAgent };
  /** Redirects to follow (default 0: a 3xx is returned as it is). */
  maxRedirects?: number;
  /** Forward proxy for http:// URLs, unless the host is exempted by `bypass`. */
  proxy?: Proxy;
}

export interface Proxy {
  readonly url: URL;
  /** Sent with CONNECT (proxy_connect_header). */
  readonly connectHeaders: Record<string, string[]>;
  /** Whether a host (name or IP, without port) and port go direct (no_proxy). */
  readonly bypass: (host: string, port: string) => boolean;
}

/**
 * A proxy from proxy_url and no_proxy. no_proxy is read as Go's HTTP client reads NO_PROXY: "*" for
 * every host; IPs and CIDRs; "example.com" for it and its subdomains, ".example.com" for the
 * subdomains only; each optionally with :port.
 */
export function makeProxy(proxyUrl: string, noProxy: string, connectHeaders: Record<string, string[]> = {}): Proxy {
  const url = new URL(proxyUrl);
  const all = noProxy.split(',').map((x) => x.trim().toLowerCase()).filter((x) => x !== '');
  const cidrs = new BlockList();
  const names: { host: string; port: string; subOnly: boolean }[] = [];
  let everything = false;
  for (const entry of all) {
    if (entry === '*') {
      everything = true;
      continue;
    }
    const slash = entry.indexOf('/');
    if (slash > 0 && isIP(entry.slice(0, slash))) {
      cidrs.addSubnet(entry.slice(0, slash), Number(entry.slice(slash + 1)), isIP(entry.slice(0, slash)) === 6 ? 'ipv6' : 'ipv4');
      continue;
    }
    if (isIP(entry)) {
      cidrs.addAddress(entry, isIP(entry) === 6 ? 'ipv6' : 'ipv4');
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    const host = m[1].replace(/^\[|\]$/g, '');
    names.push({ host: host.replace(/^\*?\./, ''), port: m[2] ?? '', subOnly: host.startsWith('.') || host.startsWith('*.') });
  }
  return {
    url,
    connectHeaders,
    bypass(hostIn: string, port: string): boolean {
      if (everything) return true;
      const host = hostIn.toLowerCase().replace(/^\[|\]$/g, '');
      const ip = isIP(host);
      if (ip !== 0 && cidrs.check(host, ip === 6 ? 'ipv6' : 'ipv4')) return true;
      return names.some((n) => (n.port === '' || n.port === port)
        && ((!n.subOnly && host === n.host) || host.endsWith(`.${n.host}`)));
    },
  };
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
    let req: ClientRequest | undefined;
    const finish = (err: Error | null, r?: GetResult & { location: string }) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) {
        req?.destroy();
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
    const timer = setTimeout(() => {
      setImmediate(() => finish(new ScrapeHttpError(`context deadline exceeded (timeout ${totalMs / 1000}s)`)));
    }, o.timeoutMs);

    const onResponse = (res: IncomingMessage) => {
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
    };
    const send = (r: ClientRequest) => {
      req = r;
      r.on('error', (e) => finish(e));
      r.on('response', onResponse);
      r.end();
    };

    const u = new URL(url);
    const headers: Record<string, string | string[]> = { Accept: o.accept, 'Accept-Encoding': o.gzip === false ? 'identity' : 'gzip', ...o.headers };
    const https = u.protocol === 'https:';
    const port = u.port || (https ? '443' : '80');
    const proxy = o.proxy !== undefined && !o.proxy.bypass(u.hostname, port) ? o.proxy : undefined;
    if (proxy === undefined) {
      send((https ? httpsRequest : httpRequest)(u, { method: 'GET', agent: o.agents ? (https ? o.agents.https : o.agents.http) : undefined, headers }));
      return;
    }
    const p = proxy.url;
    const proxyAt = { hostname: p.hostname.replace(/^\[|\]$/g, ''), port: p.port || '80' };
    const proxyAuth: Record<string, string> = p.username === ''
      ? {}
      : { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(p.username)}:${decodeURIComponent(p.password)}`).toString('base64')}` };
    if (!https) {
      // A forward proxy gets the absolute URL as the request target and the target's Host.
      send(httpRequest({
        ...proxyAt, method: 'GET', path: u.toString(), agent: o.agents?.http, headers: { ...headers, Host: u.host, ...proxyAuth },
      }));
      return;
    }
    // https: a CONNECT tunnel through the proxy, then TLS with the pool's settings end to end. A
    // tunnel per scrape (no keep-alive through the proxy), which is what a proxy expects anyway.
    const host = u.hostname.replace(/^\[|\]$/g, '');
    const connect = httpRequest({
      ...proxyAt, method: 'CONNECT', path: `${u.hostname}:${port}`, agent: false,
      headers: { Host: `${u.hostname}:${port}`, ...proxyAuth, ...proxy.connectHeaders },
    });
    req = connect;
    connect.on('error', (e) => finish(e));
    connect.on('connect', (res: IncomingMessage, socket: Socket) => {
      if (settled) return void socket.destroy();
      if (res.statusCode !== 200) {
        socket.destroy();
        return finish(new ScrapeHttpError(`proxy ${p.host} refused the tunnel to ${u.host}: HTTP ${res.statusCode}`));
      }
      const t = o.agents?.https.options ?? {};
      const secure = tlsConnect({
        socket, ca: t.ca, cert: t.cert, key: t.key, rejectUnauthorized: t.rejectUnauthorized, minVersion: t.minVersion, maxVersion: t.maxVersion,
        servername: t.servername ?? (isIP(host) === 0 ? host : undefined),
      });
      // Handshake failures (an untrusted certificate) come before the request owns the socket.
      secure.on('error', (e) => finish(e));
      // No agent: with createConnection and no agent, the request runs over this very socket.
      send(httpsRequest(u, { method: 'GET', headers, createConnection: () => secure }));
    });
    connect.end();
  });
}
