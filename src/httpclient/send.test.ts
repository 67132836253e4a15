// Requests through an http:// proxy: a forward proxy for http:// URLs, a CONNECT tunnel with TLS
// end to end for https:// ones, against a small local proxy that records what it is asked.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { send } from './send.ts';
import { createTunnelAgents } from './tunnel.ts';
import { setProxyEnv, startProxy, type TestProxy } from './testing.ts';

interface Recorded {
  method: string;
  target: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

function record(req: http.IncomingMessage, into: Recorded[], done: () => void): void {
  let body = '';
  req.setEncoding('utf8');
  req.on('data', (c: string) => { body += c; });
  req.on('end', () => {
    into.push({ method: req.method!, target: req.url!, headers: req.headers, body });
    done();
  });
}

async function listen(server: http.Server | https.Server): Promise<number> {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return (server.address() as AddressInfo).port;
}

async function proxyAnswering(o: { route?: (hostport: string) => string; refuseTunnels?: number } = {}): Promise<TestProxy> {
  const proxy = await startProxy({ ...o, answer: (_, res) => res.end('from the proxy') });
  cleanups.push(() => proxy.close());
  return proxy;
}

async function text(res: http.IncomingMessage): Promise<string> {
  let s = '';
  for await (const c of res as AsyncIterable<Buffer>) s += c.toString('utf8');
  return s;
}

describe('send through a proxy', () => {
  it('sends http:// requests to a forward proxy with the absolute URL, the target\'s Host and Proxy-Authorization from the user info', async () => {
    const proxy = await proxyAnswering();
    const res = await send(new URL('http://hooks.example.test:8080/alerts?team=api'), {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"a":1}',
      proxy: { url: proxy.url.replace('//', '//alice:pa%3Ass@'), noProxy: '' }, proxyConnectHeaders: { 'X-Tenant': ['t1'] },
    });
    expect(res.statusCode).toBe(200);
    expect(await text(res)).toBe('from the proxy');
    expect(proxy.forwarded).toHaveLength(1);
    const f = proxy.forwarded[0];
    expect([f.method, f.target, f.body, f.headers.host, f.headers['proxy-authorization']]).toEqual([
      'POST', 'http://hooks.example.test:8080/alerts?team=api', '{"a":1}', 'hooks.example.test:8080', `Basic ${Buffer.from('alice:pa:ss').toString('base64')}`,
    ]);
    // CONNECT headers are for tunnels only.
    expect(f.headers['x-tenant']).toBeUndefined();
  });

  describe('https:// through a CONNECT tunnel', () => {
    let dir: string;
    let key: Buffer;
    let cert: Buffer;
    beforeAll(() => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tunnel-'));
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
        '-subj', '/CN=target.test', '-addext', 'subjectAltName=DNS:target.test'], { stdio: 'ignore' });
      key = fs.readFileSync(path.join(dir, 'key.pem'));
      cert = fs.readFileSync(path.join(dir, 'cert.pem'));
    });
    afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

    async function startTarget() {
      const requests: Recorded[] = [];
      const port = await listen(https.createServer({ key, cert }, (req, res) => record(req, requests, () => res.end('tunnelled'))));
      return { port, requests };
    }

    it('asks the proxy for the target\'s authority with proxy_connect_header, then speaks TLS to the target, checked with the given settings', async () => {
      const target = await startTarget();
      const proxy = await proxyAnswering({ route: () => `127.0.0.1:${target.port}` });
      const res = await send(new URL('https://target.test/hook'), {
        method: 'POST', headers: { Authorization: 'Bearer t' }, body: 'payload', tls: { ca: cert },
        proxy: { url: proxy.url.replace('//', '//bob:secret@'), noProxy: '' }, proxyConnectHeaders: { 'X-Tenant': ['team-api'] },
      });
      expect(await text(res)).toBe('tunnelled');
      expect(proxy.tunnels).toEqual([{ method: 'CONNECT', target: 'target.test:443', body: '', headers: expect.objectContaining({ 'proxy-authorization': `Basic ${Buffer.from('bob:secret').toString('base64')}`, 'x-tenant': 'team-api' }) }]);
      // The proxy saw no request of its own: it went through the tunnel, encrypted.
      expect(proxy.forwarded).toHaveLength(0);
      expect(target.requests.map((r) => [r.method, r.target, r.headers.host, r.headers.authorization, r.body])).toEqual([['POST', '/hook', 'target.test', 'Bearer t', 'payload']]);
    });

    it('sends proxy_connect_header to the proxy the environment names (HTTPS_PROXY for https://)', async () => {
      const target = await startTarget();
      const proxy = await proxyAnswering({ route: () => `127.0.0.1:${target.port}` });
      cleanups.push(setProxyEnv({ HTTPS_PROXY: proxy.url }));
      const res = await send(new URL('https://target.test/'), { method: 'GET', headers: {}, tls: { ca: cert }, proxy: 'environment', proxyConnectHeaders: { 'X-Tenant': ['env'] } });
      expect(await text(res)).toBe('tunnelled');
      expect(proxy.tunnels.map((t) => [t.target, t.headers['x-tenant']])).toEqual([['target.test:443', 'env']]);
    });

    it('refuses a target certificate the TLS settings do not trust: the proxy cannot stand in for it', async () => {
      const target = await startTarget();
      const proxy = await proxyAnswering({ route: () => `127.0.0.1:${target.port}` });
      const err = await send(new URL('https://target.test/'), { method: 'GET', headers: {}, proxy: { url: proxy.url, noProxy: '' } })
        .then(() => null, (e: Error) => e);
      expect(err?.message).toMatch(/self[- ]signed certificate/);
      expect(target.requests).toHaveLength(0);
    });

    it('fails with the proxy\'s status when it refuses the tunnel', async () => {
      const proxy = await proxyAnswering({ refuseTunnels: 403 });
      const err = await send(new URL('https://target.test:8443/'), { method: 'GET', headers: {}, proxy: { url: proxy.url, noProxy: '' } })
        .then(() => null, (e: Error) => e);
      expect(err?.message).toBe(`proxy ${new URL(proxy.url).host} refused the tunnel to target.test:8443: HTTP 403`);
    });

    it('keeps the tunnel open for the next request with tunnel agents, and closes a CONNECT still unanswered when the request is given up', async () => {
      const target = await startTarget();
      const proxy = await proxyAnswering({ route: () => `127.0.0.1:${target.port}` });
      const tunnels = createTunnelAgents();
      cleanups.push(() => tunnels.destroy());
      for (let i = 0; i < 3; i++) {
        const res = await send(new URL('https://target.test/m'), { method: 'GET', headers: {}, tls: { ca: cert }, agents: { tunnels }, proxy: { url: proxy.url, noProxy: '' } });
        expect(await text(res)).toBe('tunnelled');
      }
      expect(proxy.tunnels).toHaveLength(1);
      expect(target.requests).toHaveLength(3);

      // A proxy that takes the CONNECT and never answers it.
      let ended = 0;
      const silent = http.createServer();
      // Reading, so that the client's closing is seen.
      silent.on('connect', (_req, socket: Socket) => socket.on('end', () => ended++).resume());
      const port = await listen(silent);
      const abort = new AbortController();
      setTimeout(() => abort.abort(new Error('given up')), 100);
      const err = await send(new URL('https://target.test/m'), { method: 'GET', headers: {}, agents: { tunnels }, proxy: { url: `http://127.0.0.1:${port}`, noProxy: '' }, signal: abort.signal })
        .then(() => null, (e: Error) => e);
      expect(err).not.toBeNull();
      for (let i = 0; i < 50 && ended === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(ended).toBe(1);
    });
  });
});
