// Test helpers for send() and its callers: a small HTTP proxy that records forwarded requests and
// CONNECT tunnels, answers forwarded requests itself or passes them on, and tunnels to where
// `route` says; and the proxy environment set for one test.
import * as http from 'node:http';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import { rereadProxyEnvironment } from './proxy.ts';

export interface ProxiedRequest {
  method: string;
  /** The request line's target: the absolute URL for a forwarded request, host:port for CONNECT. */
  target: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestProxy {
  /** http://127.0.0.1:<port> */
  url: string;
  forwarded: ProxiedRequest[];
  tunnels: ProxiedRequest[];
  close(): Promise<void>;
}

export interface TestProxyOptions {
  /** Where a host:port is reached (default: itself), for forwarded requests and tunnels. */
  route?: (hostport: string) => string;
  /** Answers forwarded requests instead of passing them on. */
  answer?: (req: ProxiedRequest, res: http.ServerResponse) => void;
  /** Refuses every CONNECT with this status. */
  refuseTunnels?: number;
}

export async function startProxy(o: TestProxyOptions = {}): Promise<TestProxy> {
  const route = o.route ?? ((h: string) => h);
  const forwarded: ProxiedRequest[] = [];
  const tunnels: ProxiedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: ProxiedRequest = { method: req.method ?? '', target: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      forwarded.push(r);
      if (o.answer) return o.answer(r, res);
      const u = new URL(r.target);
      const [hostname, port] = route(u.host).split(':');
      const headers = { ...req.headers };
      delete headers['proxy-authorization'];
      const up = http.request({ hostname, port, method: req.method, path: u.pathname + u.search, headers }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      });
      up.on('error', () => res.writeHead(502).end());
      up.end(Buffer.concat(chunks));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.on('connect', (req: http.IncomingMessage, client: Socket, head: Buffer) => {
    tunnels.push({ method: 'CONNECT', target: req.url ?? '', headers: req.headers, body: '' });
    if (o.refuseTunnels !== undefined) return void client.end(`HTTP/1.1 ${o.refuseTunnels} Refused\r\n\r\n`);
    const [hostname, port] = route(req.url ?? '').split(':');
    const up = netConnect(Number(port), hostname, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      up.write(head);
      up.pipe(client);
      client.pipe(up);
    });
    // Tunnels are no HTTP connections the server knows of: close() ends them.
    sockets.add(up);
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    tunnels,
    close: () => new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    }),
  };
}

const PROXY_ENV = ['HTTP_PROXY', 'HTTPS_PROXY', 'NO_PROXY', 'http_proxy', 'https_proxy', 'no_proxy'];

/**
 * Clears the proxy variables (both cases), sets `vars`, and returns a function that puts them
 * back. Both make the next request read them anew (a process reads them once, see proxy.ts): each
 * test stands for a process started with that environment.
 */
export function setProxyEnv(vars: Record<string, string>): () => void {
  const saved = PROXY_ENV.map((k) => [k, process.env[k]] as const);
  for (const k of PROXY_ENV) delete process.env[k];
  Object.assign(process.env, vars);
  rereadProxyEnvironment();
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    rereadProxyEnvironment();
  };
}
