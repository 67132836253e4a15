// The scrape's HTTP client settings from prometheus.yml, checked by local servers field by field:
// http_headers, oauth2 (client credentials against a token server), proxy_url and no_proxy.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, globalAgent } from 'node:https';
import { connect as netConnect, type AddressInfo, type Socket } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { OAuth2Config } from '../config/index.ts';
import { makeProxy } from './http.ts';
import { oauth2Authorization } from './oauth2.ts';
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

interface TokenRequest {
  method: string;
  contentType: string;
  authorization: string;
  form: Record<string, string>;
}

/** A token endpoint that records every request and answers tokens tok-1, tok-2, ... */
async function tokenServer(opts: { expiresIn?: number; basicRefused?: boolean } = {}) {
  const requests: TokenRequest[] = [];
  const addr = await serve(async (req, res) => {
    const form = Object.fromEntries(new URLSearchParams(await body(req)));
    requests.push({ method: req.method!, contentType: String(req.headers['content-type']), authorization: String(req.headers.authorization ?? ''), form });
    if (opts.basicRefused && form.client_id === undefined) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      return res.end('{"error":"invalid_client"}');
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ access_token: `tok-${requests.length}`, token_type: 'bearer', expires_in: opts.expiresIn ?? 3600 }));
  });
  return { url: `http://${addr}/oauth/token`, requests };
}

function oauthConfig(tokenUrl: string, over: Partial<OAuth2Config> = {}): OAuth2Config {
  return {
    clientId: 'my client', clientSecret: 's3cr:t', clientSecretFile: '', scopes: ['read', 'write'], tokenUrl,
    endpointParams: { audience: 'metrics' }, tlsConfig: { caFile: '', certFile: '', keyFile: '', ca: '', cert: '', key: '', serverName: '', insecureSkipVerify: false, minVersion: '', maxVersion: '' },
    ...over,
  };
}

describe('oauth2', () => {
  it('asks for a client_credentials token with Basic client authentication and sends it until it expires', async () => {
    const ts = await tokenServer({ expiresIn: 60 });
    let now = 1_000_000;
    const auth = oauth2Authorization(oauthConfig(ts.url), globalAgent, () => now);
    // Loops asking at the same time share one request.
    expect(await Promise.all([auth(), auth(), auth()])).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(ts.requests).toEqual([{
      method: 'POST', contentType: 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from('my+client:s3cr%3At').toString('base64')}`,
      form: { grant_type: 'client_credentials', scope: 'read write', audience: 'metrics' },
    }]);
    now += 49_000;
    expect(await auth()).toBe('Bearer tok-1');
    // Within 10 s of expiry a new token is fetched.
    now += 2_000;
    expect(await auth()).toBe('Bearer tok-2');
    expect(ts.requests).toHaveLength(2);
  });

  it('falls back to credentials in the form when the server refuses Basic, and keeps doing so', async () => {
    const ts = await tokenServer({ basicRefused: true, expiresIn: 1 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-oauth-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'secret'), 'from-file\n');
    const auth = oauth2Authorization(oauthConfig(ts.url, { clientSecret: '', clientSecretFile: path.join(dir, 'secret'), scopes: [] }), globalAgent);
    expect(await auth()).toBe('Bearer tok-2');
    expect(ts.requests[1].form).toEqual({ grant_type: 'client_credentials', audience: 'metrics', client_id: 'my client', client_secret: 'from-file' });
    expect(ts.requests[1].authorization).toBe('');
    // The token expires at once (1 s is within the 10 s margin): the next one goes straight to the form.
    expect(await auth()).toBe('Bearer tok-3');
    expect(ts.requests).toHaveLength(3);
    expect(ts.requests[2].form.client_id).toBe('my client');
  });

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
    expect(m.targets().active[0].status.lastError).toMatch(/^oauth2: token endpoint http:\/\/.*\/t returned HTTP 400: \{"error":"unauthorized_client"\}/);
    refuse = false;
    await until('scraped with the token', () => rec.values(`secured{instance="${target}", job="o"}`).length > 0);
    expect(seen).toBe('Bearer abc');
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

  it('sends http targets through the proxy with their absolute URL, except those no_proxy exempts', async () => {
    const proxied: { url: string; host: string; auth: string }[] = [];
    const proxy = await serve((req, res) => {
      proxied.push({ url: req.url!, host: String(req.headers.host), auth: String(req.headers['proxy-authorization'] ?? '') });
      text('via_proxy 1\n')(req, res);
    });
    const direct = await serve(text('direct 1\n'));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: p',
      '    scrape_interval: 100ms',
      '    params: { module: [x] }',
      // The name does not resolve: only the proxy can answer for it.
      '    static_configs: [{ targets: ["behind-proxy.invalid:9100", "' + direct + '"] }]',
      `    proxy_url: http://user:p%40ss@${proxy}`,
      '    no_proxy: 127.0.0.0/8',
    ].join('\n')));
    await until('both scraped', () => rec.values('via_proxy{instance="behind-proxy.invalid:9100", job="p"}').length > 0
      && rec.values(`direct{instance="${direct}", job="p"}`).length > 0);
    expect(proxied[0]).toEqual({ url: 'http://behind-proxy.invalid:9100/metrics?module=x', host: 'behind-proxy.invalid:9100', auth: `Basic ${Buffer.from('user:p@ss').toString('base64')}` });
    expect(proxied.every((p) => p.host === 'behind-proxy.invalid:9100')).toBe(true);
  });

  it('tunnels https targets through the proxy with CONNECT, TLS checked end to end', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tunnel-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=exporter.test', '-addext', 'subjectAltName=DNS:exporter.test'], { stdio: 'ignore' });
    const target = createHttpsServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, text('tunnelled 1\n'));
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const targetPort = (target.address() as AddressInfo).port;
    // A CONNECT proxy that knows exporter.test as this machine.
    const tunnels: { path: string; auth: string; extra: string }[] = [];
    const proxy = createServer();
    const open = new Set<Socket>();
    proxy.on('connect', (req: IncomingMessage, client: Socket, head: Buffer) => {
      open.add(client);
      tunnels.push({ path: req.url!, auth: String(req.headers['proxy-authorization'] ?? ''), extra: String(req.headers['x-proxy-tenant'] ?? '') });
      const upstream = netConnect(targetPort, '127.0.0.1', () => {
        open.add(upstream);
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      // Tunnels are no HTTP connections the servers know of: end them here.
      for (const sock of open) sock.destroy();
      target.closeAllConnections();
      proxy.closeAllConnections();
      target.close(() => proxy.close(() => r()));
    }));
    const rec = new Recorder();
    const m = manager(rec);
    const job = (name: string, tls: string) => [
      `  - job_name: ${name}`,
      '    scheme: https',
      '    scrape_interval: 100ms',
      `    tls_config: ${tls}`,
      `    static_configs: [{ targets: ["exporter.test:${targetPort}"] }]`,
      `    proxy_url: http://u:p@127.0.0.1:${(proxy.address() as AddressInfo).port}`,
      '    proxy_connect_header: { X-Proxy-Tenant: [t1] }',
    ];
    await m.applyConfig(jobs(['scrape_configs:', ...job('trusted', `{ ca_file: "${cert}" }`), ...job('untrusted', '{}')].join('\n')));
    await until('scraped through the tunnel', () => rec.values(`tunnelled{instance="exporter.test:${targetPort}", job="trusted"}`).length > 0)
      .catch((e: Error) => { throw new Error(`${e.message}: ${m.targets().active.map((t) => t.status.lastError).join(' | ')}`); });
    expect(tunnels[0]).toEqual({ path: `exporter.test:${targetPort}`, auth: `Basic ${Buffer.from('u:p').toString('base64')}`, extra: 't1' });
    // The proxy does not stand in for the target's certificate.
    await until('untrusted refused', () => /self[- ]signed certificate/.test(m.targets().active.find((t) => t.scrapePool === 'untrusted')?.status.lastError ?? ''));
  });

  it('reads no_proxy as Go does: *, IPs and CIDRs, domains with their subdomains, .domains, ports', () => {
    const p = makeProxy('http://proxy:3128', 'localhost, 10.0.0.0/8, ::1, example.com, .internal, api.test:8080');
    expect(p.bypass('localhost', '80')).toBe(true);
    expect(p.bypass('10.1.2.3', '9100')).toBe(true);
    expect(p.bypass('11.1.2.3', '9100')).toBe(false);
    expect(p.bypass('[::1]', '9100')).toBe(true);
    expect(p.bypass('example.com', '80')).toBe(true);
    expect(p.bypass('a.example.com', '80')).toBe(true);
    expect(p.bypass('notexample.com', '80')).toBe(false);
    expect(p.bypass('internal', '80')).toBe(false);
    expect(p.bypass('db.internal', '80')).toBe(true);
    expect(p.bypass('api.test', '8080')).toBe(true);
    expect(p.bypass('api.test', '9090')).toBe(false);
    expect(makeProxy('http://proxy:3128', '*').bypass('anything', '1')).toBe(true);
    expect(makeProxy('http://proxy:3128', '').bypass('localhost', '1')).toBe(false);
  });
});
