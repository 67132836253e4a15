// One HTTP exchange of a channel, direct or through an HTTP proxy: http:// URLs through it as a
// forward proxy (the request line carries the absolute URL), https:// ones through a CONNECT
// tunnel with TLS end to end. The proxy comes from proxy_url (minus no_proxy) or, with
// proxy_from_environment, from HTTP_PROXY, HTTPS_PROXY and NO_PROXY as Go's client reads them.
//
// src/scrape/http.ts does the same for scrapes; it sits above notify in the layers, so the two
// cannot share code without a lower home for it (see docs/alerting-channels.md).
import * as http from 'node:http';
import * as https from 'node:https';
import { BlockList, isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import type { ProxySettings } from './config.ts';

export interface Exchange {
  url: URL;
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** TLS options for https:// URLs (CA, client certificate, server name...). */
  tls: ConnectionOptions;
  proxy?: ProxySettings | 'environment';
  signal: AbortSignal;
}

export interface ExchangeResult {
  status: number;
  body: string;
  /** The Location header ('' when absent). */
  location: string;
}

const MAX_RESPONSE_BYTES = 1 << 20;

/** Sends one request and reads the answer; rejects with the socket's or proxy's error. */
export function exchange(x: Exchange): Promise<ExchangeResult> {
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), location: String(res.headers.location ?? '') }));
      res.on('error', reject);
    };
    const send = (req: http.ClientRequest) => {
      req.on('error', reject);
      req.on('response', onResponse);
      req.end(x.body);
    };
    const secure = x.url.protocol === 'https:';
    const port = x.url.port || (secure ? '443' : '80');
    const proxy = proxyFor(x.proxy, x.url.protocol, x.url.hostname, port);
    if (proxy === undefined) {
      send((secure ? https : http).request(x.url, { method: x.method, headers: x.headers, signal: x.signal, ...x.tls }));
      return;
    }
    const proxyAt = { hostname: proxy.hostname.replace(/^\[|\]$/g, ''), port: proxy.port || '80' };
    const proxyAuth: Record<string, string> = proxy.username === ''
      ? {}
      : { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` };
    if (!secure) {
      send(http.request({ ...proxyAt, method: x.method, path: x.url.href, signal: x.signal, headers: { ...x.headers, Host: x.url.host, ...proxyAuth } }));
      return;
    }
    // A tunnel per request (no keep-alive through the proxy): notifications are rare.
    const host = x.url.hostname.replace(/^\[|\]$/g, '');
    const connectHeaders = typeof x.proxy === 'object' ? x.proxy.connectHeaders : {};
    const connect = http.request({
      ...proxyAt, method: 'CONNECT', path: `${x.url.hostname}:${port}`, agent: false, signal: x.signal,
      headers: { Host: `${x.url.hostname}:${port}`, ...proxyAuth, ...connectHeaders },
    });
    connect.on('error', reject);
    connect.on('connect', (res: http.IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        reject(new Error(`proxy ${proxy.host} refused the tunnel to ${x.url.host}: HTTP ${res.statusCode}`));
        return;
      }
      const tunnel = tlsConnect({ ...x.tls, socket, servername: x.tls.servername ?? (isIP(host) === 0 ? host : undefined) });
      // A handshake failure (an untrusted certificate) comes before the request owns the socket.
      tunnel.on('error', reject);
      // With createConnection and no agent the request runs over this very socket.
      // Host set here: without an agent Node would add :80 (it knows no default port then).
      send(https.request(x.url, { method: x.method, headers: { ...x.headers, Host: x.url.host }, signal: x.signal, createConnection: () => tunnel }));
    });
    connect.end();
  });
}

/** The proxy a request to protocol://host:port goes through, or undefined to go direct. */
export function proxyFor(p: ProxySettings | 'environment' | undefined, protocol: string, host: string, port: string): URL | undefined {
  if (p === undefined) return undefined;
  let url: string;
  let noProxy: string;
  if (p === 'environment') {
    url = protocol === 'https:' ? env('HTTPS_PROXY') : env('HTTP_PROXY');
    noProxy = env('NO_PROXY');
    if (url === '') return undefined;
    // Go takes a proxy without a scheme as http://.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
  } else {
    url = p.url;
    noProxy = p.noProxy;
  }
  // Go's proxy rules (used for no_proxy and the environment) never proxy loopback requests; a
  // bare proxy_url proxies everything.
  if ((p === 'environment' || noProxy !== '') && (isLoopback(host) || bypassed(noProxy, host, port))) return undefined;
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`proxy ${u.host}: only http:// proxies are supported, got ${u.protocol}//`);
  return u;
}

function env(name: string): string {
  return process.env[name] ?? process.env[name.toLowerCase()] ?? '';
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

function isLoopback(hostIn: string): boolean {
  const host = hostIn.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost') return true;
  const ip = isIP(host);
  return ip !== 0 && loopback.check(host, ip === 6 ? 'ipv6' : 'ipv4');
}

/**
 * Whether no_proxy exempts host:port, as Go reads NO_PROXY: "*" for every host; IPs and CIDRs;
 * "example.com" for it and its subdomains, ".example.com" (or "*.example.com") for subdomains
 * only; each optionally with :port.
 */
export function bypassed(noProxy: string, hostIn: string, port: string): boolean {
  const host = hostIn.replace(/^\[|\]$/g, '').toLowerCase();
  const ip = isIP(host);
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const slash = entry.indexOf('/');
    if (slash > 0 && isIP(entry.slice(0, slash)) !== 0) {
      const net = entry.slice(0, slash);
      const family = isIP(net) === 6 ? 'ipv6' : 'ipv4';
      const b = new BlockList();
      b.addSubnet(net, Number(entry.slice(slash + 1)), family);
      if (ip !== 0 && b.check(host, ip === 6 ? 'ipv6' : 'ipv4')) return true;
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    const name = m[1].replace(/^\[|\]$/g, '');
    if (m[2] !== undefined && m[2] !== port) continue;
    if (isIP(name) !== 0) {
      if (name === host) return true;
      continue;
    }
    const subOnly = name.startsWith('.') || name.startsWith('*.');
    const domain = name.replace(/^\*?\./, '');
    if ((!subOnly && host === domain) || host.endsWith(`.${domain}`)) return true;
  }
  return false;
}
