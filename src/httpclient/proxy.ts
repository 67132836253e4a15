// Which proxy a request goes through, by the rules of Go's HTTP client (Prometheus' common HTTP
// config and Alertmanager use it): a proxy_url alone proxies everything; with no_proxy, or with
// proxy_from_environment, Go's httpproxy rules apply, which also send loopback targets direct.
import { BlockList, isIP } from 'node:net';

export interface ProxySettings {
  /** An http:// proxy: a forward proxy for http:// URLs, a CONNECT tunnel for https:// ones. */
  readonly url: string;
  /** Hosts that go direct, as Go reads NO_PROXY ('' for none). */
  readonly noProxy: string;
}

/**
 * A proxy: its settings, or 'environment' for HTTP_PROXY, HTTPS_PROXY and NO_PROXY, read once per
 * process at first use as Go's http.ProxyFromEnvironment reads them (Prometheus'
 * proxy_from_environment): changing them later, in a process that cannot change its own
 * environment from outside anyway, changes nothing until a restart.
 */
export type Proxy = ProxySettings | 'environment';

/** The proxy a request to `target` goes through, or undefined to go direct. */
export function proxyFor(p: Proxy | undefined, target: URL): URL | undefined {
  if (p === undefined) return undefined;
  const https = target.protocol === 'https:';
  const port = target.port || (https ? '443' : '80');
  let url: string;
  let noProxy: string;
  if (p === 'environment') {
    const e = environment();
    url = https ? e.https : e.http;
    noProxy = e.noProxy;
    if (url === '') return undefined;
    // Go takes a proxy without a scheme as http://.
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) url = `http://${url}`;
  } else {
    url = p.url;
    noProxy = p.noProxy;
  }
  if ((p === 'environment' || noProxy !== '') && (isLoopback(target.hostname) || bypassed(noProxy, target.hostname, port))) return undefined;
  const u = new URL(url);
  if (u.protocol !== 'http:') throw new Error(`proxy ${u.host}: only http:// proxies are supported, got ${u.protocol}//`);
  return u;
}

let fromEnvironment: { http: string; https: string; noProxy: string } | undefined;

function environment(): { http: string; https: string; noProxy: string } {
  // Upper case first, as Go reads them.
  const env = (name: string) => process.env[name] ?? process.env[name.toLowerCase()] ?? '';
  fromEnvironment ??= { http: env('HTTP_PROXY'), https: env('HTTPS_PROXY'), noProxy: env('NO_PROXY') };
  return fromEnvironment;
}

/** Forgets the proxy environment read, so the next request reads it again (tests that set it). */
export function rereadProxyEnvironment(): void {
  fromEnvironment = undefined;
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

function isLoopback(hostIn: string): boolean {
  const host = unbracket(hostIn).toLowerCase();
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
  const host = unbracket(hostIn).toLowerCase();
  const ip = isIP(host);
  for (const raw of noProxy.split(',')) {
    const entry = raw.trim().toLowerCase();
    if (entry === '') continue;
    if (entry === '*') return true;
    const slash = entry.indexOf('/');
    if (slash > 0 && isIP(entry.slice(0, slash)) !== 0) {
      const net = entry.slice(0, slash);
      const b = new BlockList();
      b.addSubnet(net, Number(entry.slice(slash + 1)), isIP(net) === 6 ? 'ipv6' : 'ipv4');
      if (ip !== 0 && b.check(host, ip === 6 ? 'ipv6' : 'ipv4')) return true;
      continue;
    }
    if (isIP(entry) !== 0) {
      if (entry === host) return true;
      continue;
    }
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(entry);
    if (!m) continue;
    const name = unbracket(m[1]);
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

export function unbracket(host: string): string {
  return host.replace(/^\[|\]$/g, '');
}
