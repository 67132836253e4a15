// One HTTP(S) request, direct or through an http:// proxy: http:// URLs through it as a forward
// proxy (the request line carries the absolute URL), https:// ones through a CONNECT tunnel with
// TLS end to end. Resolves with the response as soon as its head arrives: reading the body (limits,
// gzip, deadlines) is the caller's, which destroys the response when it gives up.
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { proxyFor, unbracket, type Proxy } from './proxy.ts';

export interface SendOptions {
  method: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** TLS settings for https:// URLs, inside a CONNECT tunnel too (CA, client certificate, server name...). */
  tls?: ConnectionOptions;
  /** Agents for direct and forward-proxied requests (keep-alive); default: Node's global ones. */
  agents?: { readonly http?: http.Agent; readonly https?: https.Agent };
  proxy?: Proxy;
  /** Sent with CONNECT (proxy_connect_header), whichever way the proxy was chosen. */
  proxyConnectHeaders?: Record<string, string[]>;
  /** Aborts the request, the CONNECT included. */
  signal?: AbortSignal;
}

/** Sends a request; resolves with the response head, rejects with the socket's or the proxy's error. */
export function send(url: URL, o: SendOptions): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    let proxy: URL | undefined;
    try {
      proxy = proxyFor(o.proxy, url);
    } catch (e) {
      reject(e as Error);
      return;
    }
    const go = (req: http.ClientRequest) => {
      req.on('error', reject);
      req.on('response', resolve);
      req.end(o.body);
    };
    const secure = url.protocol === 'https:';
    if (proxy === undefined) {
      go((secure ? https : http).request(url, { method: o.method, headers: o.headers, signal: o.signal, agent: secure ? o.agents?.https : o.agents?.http, ...o.tls }));
      return;
    }
    const proxyAt = { hostname: unbracket(proxy.hostname), port: proxy.port || '80' };
    const proxyAuth: Record<string, string> = proxy.username === ''
      ? {}
      : { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` };
    if (!secure) {
      go(http.request({
        ...proxyAt, method: o.method, path: url.href, agent: o.agents?.http, signal: o.signal, headers: { ...o.headers, Host: url.host, ...proxyAuth },
      }));
      return;
    }
    // A tunnel per request (no keep-alive through the proxy), which is what a proxy expects anyway.
    const port = url.port || '443';
    const connect = http.request({
      ...proxyAt, method: 'CONNECT', path: `${url.hostname}:${port}`, agent: false, signal: o.signal,
      headers: { Host: `${url.hostname}:${port}`, ...proxyAuth, ...o.proxyConnectHeaders },
    });
    connect.on('error', reject);
    connect.on('connect', (res: http.IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200 || o.signal?.aborted) {
        socket.destroy();
        reject(o.signal?.aborted ? o.signal.reason as Error : new Error(`proxy ${proxy.host} refused the tunnel to ${url.host}: HTTP ${res.statusCode}`));
        return;
      }
      const host = unbracket(url.hostname);
      const tunnel = tlsConnect({ ...o.tls, socket, servername: o.tls?.servername ?? (isIP(host) === 0 ? host : undefined) });
      // A handshake failure (an untrusted certificate) comes before the request owns the socket.
      tunnel.on('error', reject);
      // With createConnection and no agent the request runs over this very socket. Host is set
      // here: without an agent Node would add :80 (it knows no default port then).
      go(https.request(url, { method: o.method, headers: { ...o.headers, Host: url.host }, signal: o.signal, createConnection: () => tunnel }));
    });
    connect.end();
  });
}
