// The scrape's HTTP client settings from prometheus.yml, checked by local servers field by field:
// http_headers, oauth2, proxy_url, no_proxy and proxy_connect_header reaching the scrapes. The
// token source and the proxy rules themselves are src/httpclient's and tested there.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { setProxyEnv, startProxy } from '../httpclient/testing.ts';
import { Recorder, cleanups, jobs, manager, runCleanups, serve, text, until } from './testing.ts';

afterEach(runCleanups);

function body(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let s = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { s += c; });
    req.on('end', () => resolve(s));
  });
}

describe('oauth2', () => {
  it('fails the scrape with the token endpoint\'s answer, and scrapes with the token once it is given', async () => {
    let refuse = true;
    const tokens = await serve(async (req, res) => {
      await body(req);
      if (refuse) {
        res.writeHead(400, { 'Content-Type': 'application/json' });
        return res.end('{"error":"unauthorized_client"}');
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"access_token":"abc","token_type":"Bearer","expires_in":3600}');
    });
    let seen = '';
    const target = await serve((req, res) => {
      seen = String(req.headers.authorization);
      text('secured 1\n')(req, res);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: o, scrape_interval: 100ms, oauth2: { client_id: c, client_secret: s, token_url: "http://${tokens}/t" }, static_configs: [{ targets: ["${target}"] }] }]`));
    await until('a failed scrape', () => m.targets().active[0]?.status.health === 'down');
    // As Go's oauth2 package words it inside the scrape's request (see test/scrape-errors.test.ts).
    expect(m.targets().active[0].status.lastError).toMatch(/^Get "http:\/\/[^"]+\/metrics": oauth2: cannot fetch token: 400 Bad Request\nResponse: \{"error":"unauthorized_client"\}/);
    refuse = false;
    await until('scraped with the token', () => rec.values(`secured{instance="${target}", job="o"}`).length > 0);
    expect(seen).toBe('Bearer abc');
  });

  it('reaches the token endpoint through oauth2.proxy_url or oauth2.proxy_from_environment, the scrapes going direct (the job has no proxy of its own)', async () => {
    const tokenRequests: string[] = [];
    const tokens = await serve(async (req, res) => {
      tokenRequests.push(`${req.method} ${req.url} ${await body(req)}`);
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end('{"access_token":"via-proxy","token_type":"Bearer","expires_in":3600}');
    });
    // The token URL's host does not resolve: only the proxy, sending it on to the token server, can reach it.
    const proxy = await startProxy({ route: () => tokens });
    cleanups.push(() => proxy.close());
    cleanups.push(setProxyEnv({ HTTP_PROXY: proxy.url }));
    const scrapes: string[] = [];
    const target = await serve((req, res) => {
      scrapes.push(`${req.url} ${req.headers.authorization}`);
      text('secured 1\n')(req, res);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: o',
      '    scrape_interval: 100ms',
      '    oauth2:',
      '      client_id: c',
      '      client_secret: s',
      '      token_url: http://auth.invalid/token',
      `      proxy_url: ${proxy.url.replace('//', '//tok:p%40ss@')}`,
      `    static_configs: [{ targets: ["${target}"] }]`,
    ].join('\n')));
    await until('scraped with the token', () => rec.values(`secured{instance="${target}", job="o"}`).length > 0);
    expect(proxy.forwarded.length).toBeGreaterThan(0);
    const [tokenRequest] = proxy.forwarded;
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: e',
      '    scrape_interval: 100ms',
      '    oauth2: { client_id: c, client_secret: s, token_url: "http://auth.invalid/token", proxy_from_environment: true }',
      `    static_configs: [{ targets: ["${target}"] }]`,
    ].join('\n')));
    await until('scraped with a token fetched through HTTP_PROXY', () => rec.values(`secured{instance="${target}", job="e"}`).length > 0);
    expect(proxy.forwarded.filter((f) => f.headers['proxy-authorization'] === undefined).map((f) => f.target)).toContain('http://auth.invalid/token');
    expect(tokenRequest).toMatchObject({ method: 'POST', target: 'http://auth.invalid/token', body: 'grant_type=client_credentials' });
    expect(tokenRequest.headers['proxy-authorization']).toBe(`Basic ${Buffer.from('tok:p@ss').toString('base64')}`);
    expect(tokenRequest.headers.authorization).toBe(`Basic ${Buffer.from('c:s').toString('base64')}`);
    expect(tokenRequests[0]).toBe('POST /token grant_type=client_credentials');
    // Only token requests went through the proxy; the scrape went direct with the token.
    expect(proxy.forwarded.every((f) => f.target === 'http://auth.invalid/token')).toBe(true);
    expect(scrapes[0]).toBe('/metrics Bearer via-proxy');
  });
});

describe('http_headers, proxy_url and no_proxy', () => {
  it('sends the configured headers, values then secrets then file contents', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-hdr-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'tenant'), 'from-file\n');
    let headers: IncomingMessage['headers'] = {};
    const target = await serve((req, res) => {
      headers = req.headers;
      text('h 1\n')(req, res);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: h',
      '    scrape_interval: 100ms',
      `    static_configs: [{ targets: ["${target}"] }]`,
      '    bearer_token: t0k',
      '    http_headers:',
      `      X-Tenant: { values: [one, two], secrets: [s3cret], files: ["${dir}/tenant"] }`,
      '      X-Single: { values: [x] }',
      // Allowed, as in Prometheus: the answer is still parsed by its Content-Type.
      '      Accept: { values: [text/plain] }',
    ].join('\n')));
    await until('scraped', () => rec.values(`h{instance="${target}", job="h"}`).length > 0);
    expect(headers['x-tenant']).toBe('one, two, s3cret, from-file');
    expect(headers['x-single']).toBe('x');
    expect(headers.accept).toBe('text/plain');
    expect(headers.authorization).toBe('Bearer t0k');
  });

  it('sends http targets through proxy_url with their absolute URL, except those no_proxy exempts; likewise through HTTP_PROXY with proxy_from_environment', async () => {
    const proxy = await startProxy({ answer: (_, res) => res.end('via_proxy 1\n') });
    cleanups.push(() => proxy.close());
    // The environment as this process was started with it (read once); loopback targets go direct under its rules, as in Go.
    cleanups.push(setProxyEnv({ HTTP_PROXY: proxy.url }));
    const direct = await serve(text('direct 1\n'));
    const rec = new Recorder();
    const m = manager(rec);
    // The name behind-proxy.invalid does not resolve: only the proxy can answer for it.
    const job = (name: string, ...proxySettings: string[]) => [
      `  - job_name: ${name}`,
      '    scrape_interval: 100ms',
      '    params: { module: [x] }',
      `    static_configs: [{ targets: ["behind-proxy.invalid:9100", "${direct}"] }]`,
      ...proxySettings,
    ];
    await m.applyConfig(jobs([
      'scrape_configs:',
      ...job('p', `    proxy_url: ${proxy.url.replace('//', '//user:p%40ss@')}`, '    no_proxy: 127.0.0.0/8'),
      ...job('e', '    proxy_from_environment: true'),
    ].join('\n')));
    const scraped = (job: string) => rec.values(`via_proxy{instance="behind-proxy.invalid:9100", job="${job}"}`).length > 0
      && rec.values(`direct{instance="${direct}", job="${job}"}`).length > 0;
    await until('all scraped', () => scraped('p') && scraped('e'));
    expect(proxy.forwarded.every((f) => f.target === 'http://behind-proxy.invalid:9100/metrics?module=x' && f.headers.host === 'behind-proxy.invalid:9100')).toBe(true);
    expect(new Set(proxy.forwarded.map((f) => f.headers['proxy-authorization'] ?? ''))).toEqual(new Set([`Basic ${Buffer.from('user:p@ss').toString('base64')}`, '']));
  });

  /**
   * An https exporter with a self-signed certificate for exporter.test (its file: `cert`) behind a
   * CONNECT proxy that knows exporter.test as this machine; both closed after the test.
   */
  async function tunnelledExporter(handler: Parameters<typeof createHttpsServer>[1]) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tunnel-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=exporter.test', '-addext', 'subjectAltName=DNS:exporter.test'], { stdio: 'ignore' });
    const target = createHttpsServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, handler);
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as AddressInfo).port;
    cleanups.push(() => new Promise<void>((r) => {
      target.closeAllConnections();
      target.close(() => r());
    }));
    const proxy = await startProxy({ route: () => `127.0.0.1:${targetPort}` });
    cleanups.push(() => proxy.close());
    return { cert, target, targetPort, proxy };
  }

  it('tunnels https targets through the proxy with CONNECT, with the job\'s tls_config end to end', async () => {
    const { cert, targetPort, proxy } = await tunnelledExporter(text('tunnelled 1\n'));
    const rec = new Recorder();
    const m = manager(rec);
    // The certificate is self-signed: only the job's ca_file makes it trusted through the tunnel.
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: trusted',
      '    scheme: https',
      '    scrape_interval: 100ms',
      `    tls_config: { ca_file: "${cert}" }`,
      `    static_configs: [{ targets: ["exporter.test:${targetPort}"] }]`,
      `    proxy_url: ${proxy.url.replace('//', '//u:p@')}`,
      '    proxy_connect_header: { X-Proxy-Tenant: [t1] }',
    ].join('\n')));
    await until('scraped through the tunnel', () => rec.values(`tunnelled{instance="exporter.test:${targetPort}", job="trusted"}`).length > 0)
      .catch((e: Error) => { throw new Error(`${e.message}: ${m.targets().active.map((t) => t.status.lastError).join(' | ')}`); });
    const t = proxy.tunnels[0];
    expect([t.target, t.headers['proxy-authorization'], t.headers['x-proxy-tenant']]).toEqual([`exporter.test:${targetPort}`, `Basic ${Buffer.from('u:p').toString('base64')}`, 't1']);
  });

  it('keeps a CONNECT tunnel open from scrape to scrape, as Go\'s transport keeps its connections; a reload opens a new one', async () => {
    let requests = 0;
    let handshakes = 0;
    const { cert, target, targetPort, proxy } = await tunnelledExporter((req, res) => {
      requests++;
      text('kept 1\n')(req, res);
    });
    target.on('secureConnection', () => handshakes++);
    const rec = new Recorder();
    const m = manager(rec);
    const config = (interval: string) => jobs([
      'scrape_configs:',
      '  - job_name: kept',
      '    scheme: https',
      `    scrape_interval: ${interval}`,
      `    tls_config: { ca_file: "${cert}" }`,
      `    static_configs: [{ targets: ["exporter.test:${targetPort}"] }]`,
      `    proxy_url: ${proxy.url}`,
    ].join('\n'));
    await m.applyConfig(config('200ms'));
    const up = `up{instance="exporter.test:${targetPort}", job="kept"}`;
    await until('five good scrapes', () => rec.values(up).filter((v) => v === 1).length >= 5, 10_000)
      .catch((e: Error) => { throw new Error(`${e.message}: ${m.targets().active.map((t) => t.status.lastError).join(' | ')}`); });
    expect(requests).toBeGreaterThanOrEqual(5);
    // One tunnel and one TLS handshake for all of them, plus one for each scrape that failed (a
    // timed-out scrape's connection is closed, as Go closes it; on a busy machine it happens).
    const goodBefore = rec.values(up).filter((v) => v === 1).length;
    const failed = rec.values(up).filter((v) => v === 0).length;
    expect(proxy.tunnels).toHaveLength(1 + failed);
    expect(handshakes).toBe(1 + failed);
    // A reload replaces the pool's connections (new TLS settings may come with it).
    await m.applyConfig(config('250ms'));
    await until('scraped after the reload', () => rec.values(up).filter((v) => v === 1).length >= goodBefore + 3, 10_000);
    expect(proxy.tunnels).toHaveLength(2 + rec.values(up).filter((v) => v === 0).length);
  });
});
