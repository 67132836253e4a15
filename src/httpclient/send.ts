// One HTTP(S) request, direct or through an http:// proxy: http:// URLs through it as a forward
// proxy (the request line carries the absolute URL), https:// ones through a CONNECT tunnel with
// TLS end to end (tunnel.ts). Resolves with the response as soon as its head arrives: reading the
// body (limits, gzip, deadlines) is the caller's, which destroys the response when it gives up.
// A failure carries notes (goerror.ts) for wording it as Go would.
import * as http from 'node:http';
import * as https from 'node:https';
import type { Socket } from 'node:net';
import type { ConnectionOptions, PeerCertificate, TLSSocket } from 'node:tls';
import { noteError, socketPair } from './goerror.ts';
import { proxyFor, unbracket, type Proxy } from './proxy.ts';
import { tunnelAgent, type TunnelAgents, type TunnelRequestOptions } from './tunnel.ts';

export interface SendOptions {
  method: string;
  headers: Record<string, string | string[]>;
  body?: string | Buffer;
  /** TLS settings for https:// URLs, inside a CONNECT tunnel too (CA, client certificate, server name...). */
  tls?: ConnectionOptions;
  /**
   * Agents for direct and forward-proxied requests (keep-alive; default: Node's global ones), and
   * for CONNECT tunnels (kept open between requests; without, a tunnel per request).
   */
  agents?: { readonly http?: http.Agent; readonly https?: https.Agent; readonly tunnels?: TunnelAgents };
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
    const secure = url.protocol === 'https:';
    const tlsHost = o.tls?.servername ?? unbracket(url.hostname);
    const go = (req: http.ClientRequest) => {
      let sockets: string | undefined;
      let peerCertificate: PeerCertificate | undefined;
      req.on('socket', (s: Socket) => {
        const seen = () => {
          sockets = socketPair(s) ?? sockets;
        };
        if (s.remotePort !== undefined) seen();
        else s.once('connect', seen);
        // The certificate is gone once Node has refused it; Go's error names it, so look first.
        if (secure && typeof (s as TLSSocket).getPeerCertificate === 'function') {
          s.prependListener('secure', () => {
            seen();
            peerCertificate = (s as TLSSocket).getPeerCertificate();
          });
        }
      });
      req.on('error', (e: Error) => reject(noteError(e, {
        ...(proxy !== undefined ? { proxied: true } : {}), sockets, tlsHost, peerCertificate,
      })));
      req.on('response', resolve);
      req.end(o.body);
    };
    if (proxy === undefined) {
      go((secure ? https : http).request(url, { method: o.method, headers: o.headers, signal: o.signal, agent: secure ? o.agents?.https : o.agents?.http, ...o.tls }));
      return;
    }
    if (!secure) {
      const proxyAuth: Record<string, string> = proxy.username === ''
        ? {}
        : { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` };
      go(http.request({
        hostname: unbracket(proxy.hostname), port: proxy.port || '80', method: o.method, path: url.href, agent: o.agents?.http, signal: o.signal,
        headers: { ...o.headers, Host: url.host, ...proxyAuth },
      }));
      return;
    }
    // The TLS settings go with the request: the agent pools tunnels by target and by them.
    const agent = o.agents?.tunnels?.get(proxy, o.proxyConnectHeaders) ?? tunnelAgent(proxy, o.proxyConnectHeaders, false);
    const options: TunnelRequestOptions = { method: o.method, headers: o.headers, signal: o.signal, agent, ...o.tls, tunnelSignal: o.signal };
    go(https.request(url, options));
  });
}
