// https:// through an http:// proxy: a CONNECT to the proxy for the target's host:port, then TLS
// with the target inside the tunnel. The tunnel is a connection like any other, so it lives in an
// https.Agent whose createConnection opens it: with keep-alive, a tunnel stays open between
// requests to the same target and is reused, as Go's transport keeps its connections per (proxy,
// target) — a job scraped every 15 s through a proxy costs one CONNECT and one TLS handshake per
// target, not one per scrape.
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect, type ConnectionOptions } from 'node:tls';
import { noteError } from './goerror.ts';
import { unbracket } from './proxy.ts';

/** Agents for tunnels, one per proxy and set of CONNECT headers, kept by whoever owns the connections (a scrape pool). */
export interface TunnelAgents {
  /** The agent for requests through `proxy`, created on first use. */
  get(proxy: URL, connectHeaders: Record<string, string[]> | undefined): https.Agent;
  /** Closes every tunnel (the owner is done, e.g. a reloaded scrape pool). */
  destroy(): void;
}

export function createTunnelAgents(): TunnelAgents {
  const agents = new Map<string, https.Agent>();
  return {
    get(proxy, connectHeaders) {
      const key = `${proxy.href}\n${JSON.stringify(connectHeaders ?? {})}`;
      let a = agents.get(key);
      if (a === undefined) {
        a = tunnelAgent(proxy, connectHeaders, true);
        agents.set(key, a);
      }
      return a;
    },
    destroy() {
      for (const a of agents.values()) a.destroy();
      agents.clear();
    },
  };
}

/** An agent opening its connections as CONNECT tunnels through `proxy`; without keep-alive, one tunnel per request. */
export function tunnelAgent(proxy: URL, connectHeaders: Record<string, string[]> | undefined, keepAlive: boolean): https.Agent {
  const agent = new https.Agent({ keepAlive });
  // The agent calls this with the request's connection options (host, port, servername, the TLS
  // settings) and pools what it hands back under the name those options make.
  agent.createConnection = (options, done) => {
    const host = unbracket(String(options.hostname ?? options.host ?? ''));
    const port = String(options.port ?? 443);
    // Node keeps a request's signal from its agent; send() passes it on under another name so a
    // request given up (a scrape's deadline) does not leave its CONNECT waiting on the proxy.
    const signal = (options as TunnelRequestOptions).tunnelSignal;
    openTunnel(proxy, `${host.includes(':') ? `[${host}]` : host}:${port}`, connectHeaders, signal).then((socket) => {
      const o = options as ConnectionOptions;
      const tunnel = tlsConnect({ ...o, socket, host, servername: o.servername || (isIP(host) === 0 ? host : undefined) });
      done?.(null, tunnel);
    }, (e: Error) => done?.(e, undefined as unknown as Duplex));
    return undefined;
  };
  return agent;
}

/** Request options for a tunnel agent: the request's signal, which Node does not hand to the agent itself. */
export interface TunnelRequestOptions extends https.RequestOptions {
  tunnelSignal?: AbortSignal;
}

/** A socket to `authority` (host:port) through the proxy, or the proxy's refusal. */
function openTunnel(proxy: URL, authority: string, connectHeaders: Record<string, string[]> | undefined, signal: AbortSignal | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const auth: Record<string, string> = proxy.username === ''
      ? {}
      : { 'Proxy-Authorization': `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}` };
    const connect = http.request({
      hostname: unbracket(proxy.hostname), port: proxy.port || '80', method: 'CONNECT', path: authority, agent: false, signal,
      headers: { Host: authority, ...auth, ...connectHeaders },
    });
    connect.on('error', (e: Error) => reject(noteError(e, { proxied: true })));
    connect.on('connect', (res: http.IncomingMessage, socket: Socket) => {
      if (res.statusCode !== 200) {
        socket.destroy();
        // Go's transport reports the status line's text after the code ("Forbidden").
        reject(noteError(new Error(`proxy ${proxy.host} refused the tunnel to ${authority}: HTTP ${res.statusCode}`), { proxied: true, tunnelRefused: res.statusMessage ?? '' }));
        return;
      }
      resolve(socket);
    });
    connect.end();
  });
}
