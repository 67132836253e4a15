// The HTTP client settings of alerting.alertmanagers[] on real requests: each credential arrives at
// an Alertmanager stand-in as Prometheus' client sends it (basic_auth, authorization, bearer_token,
// oauth2, a client certificate), files are read at each post, http_headers are added, and proxies
// are used as a scrape job's are (CONNECT with proxy_connect_header for https, forwarding for
// http, no_proxy and the environment). test/alertmanager-client.test.ts compares with Prometheus.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import pino, { type Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.ts';
import { setProxyEnv, startProxy } from '../httpclient/testing.ts';
import { AlertSender } from './alertsender.ts';
import type { OutgoingAlert } from './group.ts';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  path: string;
  headers: IncomingHttpHeaders;
  /** The client certificate's CN, '' for none; and whether it was signed by the server's CA. */
  clientCN: string;
  clientAuthorized: boolean;
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-amclient-'));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

/** A CA, a server certificate for localhost/127.0.0.1 and a client certificate (CN "alert-sender"), signed by it. */
function certificates(dir: string) {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, cn, ext] of [['server', 'localhost', 'subjectAltName=DNS:localhost,DNS:am.test,IP:127.0.0.1'], ['client', 'alert-sender', 'extendedKeyUsage=clientAuth']]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
  return { ca: f('ca.pem'), serverCert: f('server.pem'), serverKey: f('server.key'), clientCert: f('client.pem'), clientKey: f('client.key') };
}

/** An Alertmanager stand-in recording each request's headers; https asks for (does not require) a client certificate. */
async function alertmanager(tls?: { cert: string; key: string; ca: string }): Promise<{ addr: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const handler = (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => {
    req.resume();
    req.on('end', () => {
      const sock = req.socket as TLSSocket;
      const peer = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
      seen.push({ path: req.url ?? '', headers: req.headers, clientCN: String(peer?.subject?.CN ?? ''), clientAuthorized: sock.authorized === true });
      res.end();
    });
  };
  const srv = tls
    ? createHttpsServer({ cert: fs.readFileSync(tls.cert), key: fs.readFileSync(tls.key), ca: fs.readFileSync(tls.ca), requestCert: true, rejectUnauthorized: false }, handler)
    : createServer(handler);
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { addr: `127.0.0.1:${(srv.address() as AddressInfo).port}`, seen };
}

/** An OAuth2 token endpoint handing out "tok-<n>" for an hour, recording each request. */
async function tokenEndpoint(): Promise<{ url: string; requests: { auth: string; form: Record<string, string> }[] }> {
  const requests: { auth: string; form: Record<string, string> }[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      requests.push({ auth: req.headers.authorization ?? '', form: Object.fromEntries(new URLSearchParams(b)) });
      res.setHeader('Content-Type', 'application/json');
      res.end(JSON.stringify({ access_token: `tok-${requests.length}`, token_type: 'bearer', expires_in: 3600 }));
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/token`, requests };
}

function sender(yaml: string, dir: string) {
  const { config } = parseConfig(yaml, path.join(dir, 'prometheus.yml'));
  const logged: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line).err ?? JSON.parse(line).msg) }) as Logger;
  const s = new AlertSender(config.alerting, config.global.externalLabels, log);
  cleanups.push(() => s.stop());
  const post = async () => {
    s.send([{ labels: { alertname: 'A' }, annotations: {}, startsAt: 0, endsAt: 60_000, generatorURL: '' } satisfies OutgoingAlert]);
    await s.flush();
  };
  return { s, logged, post };
}

const basic = (u: string, p: string) => `Basic ${Buffer.from(`${u}:${p}`).toString('base64')}`;

describe('alerting.alertmanagers HTTP client settings on real requests', () => {
  it('sends basic_auth (password_file), authorization (credentials_file) and bearer_token, reading the files at each post', async () => {
    const dir = tempDir();
    const am = await alertmanager();
    fs.writeFileSync(path.join(dir, 'pw'), 'hunter2\n');
    fs.writeFileSync(path.join(dir, 'cred'), '  c1  \n');
    const { post, logged } = sender(`
alerting:
  alertmanagers:
    - { path_prefix: basic, basic_auth: { username: u, password_file: pw }, static_configs: [{ targets: ["${am.addr}"] }] }
    - { path_prefix: authz, authorization: { type: Token, credentials_file: cred }, static_configs: [{ targets: ["${am.addr}"] }] }
    - { path_prefix: bearer, bearer_token: b1, static_configs: [{ targets: ["${am.addr}"] }] }
    - { path_prefix: empty, authorization: { type: Token }, static_configs: [{ targets: ["${am.addr}"] }] }
`, dir);
    await post();
    const auth = () => Object.fromEntries(am.seen.map((r) => [r.path.split('/')[1], r.headers.authorization ?? '(none)']));
    expect(auth()).toEqual({ basic: basic('u', 'hunter2'), authz: 'Token c1', bearer: 'Bearer b1', empty: '(none)' });
    // Rotated secrets are sent from the next post on, without a reload.
    fs.writeFileSync(path.join(dir, 'pw'), 'changed');
    fs.writeFileSync(path.join(dir, 'cred'), 'c2');
    am.seen.length = 0;
    await post();
    expect(auth()).toMatchObject({ basic: basic('u', 'changed'), authz: 'Token c2' });
    // A file gone fails that set's post, naming the file; the other sets still get the alerts.
    fs.rmSync(path.join(dir, 'pw'));
    am.seen.length = 0;
    await post();
    expect(am.seen.map((r) => r.path.split('/')[1]).sort()).toEqual(['authz', 'bearer', 'empty']);
    expect(logged).toEqual([expect.stringMatching(/^Post "http:\/\/127\.0\.0\.1:\d+\/basic\/api\/v2\/alerts": unable to read basic_auth\.password_file .*\/pw: ENOENT/)]);
  });

  it('adds http_headers (values, secrets, files read at each post) to every post', async () => {
    const dir = tempDir();
    const am = await alertmanager();
    fs.writeFileSync(path.join(dir, 'tenant'), 'from-file\n');
    const { post } = sender(`
alerting:
  alertmanagers:
    - http_headers:
        X-Scope-OrgID: { values: [a, b], secrets: [s], files: [tenant] }
        X-Single: { values: [one] }
      static_configs: [{ targets: ["${am.addr}"] }]
`, dir);
    await post();
    expect(am.seen[0].headers['x-scope-orgid']).toBe('a, b, s, from-file');
    expect(am.seen[0].headers['x-single']).toBe('one');
    expect(am.seen[0].headers['user-agent']).toBe('Strata');
  });

  it('fetches an oauth2 token (client credentials, through the token endpoint\'s own proxy) once and sends it with each post', async () => {
    const dir = tempDir();
    const am = await alertmanager();
    const token = await tokenEndpoint();
    const tokenProxy = await startProxy();
    cleanups.push(() => tokenProxy.close());
    fs.writeFileSync(path.join(dir, 'secret'), 'sec\n');
    const { post } = sender(`
alerting:
  alertmanagers:
    - oauth2:
        client_id: cid
        client_secret_file: secret
        token_url: ${token.url}
        scopes: [alerts, write]
        endpoint_params: { audience: am }
        proxy_url: ${tokenProxy.url}
      static_configs: [{ targets: ["${am.addr}"] }]
`, dir);
    await post();
    await post();
    expect(am.seen.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    expect(token.requests).toEqual([{ auth: basic('cid', 'sec'), form: { grant_type: 'client_credentials', scope: 'alerts write', audience: 'am' } }]);
    // The token request went through the oauth2 section's proxy; the posts (no proxy_url of their own) did not.
    expect(tokenProxy.forwarded.map((r) => [r.method, r.target])).toEqual([['POST', token.url]]);
  });

  it('presents the client certificate to an https Alertmanager, checking its certificate against ca_file and server_name', async () => {
    const dir = tempDir();
    const c = certificates(dir);
    const am = await alertmanager({ cert: c.serverCert, key: c.serverKey, ca: c.ca });
    const { post, logged } = sender(`
alerting:
  alertmanagers:
    - scheme: https
      path_prefix: files
      tls_config: { ca_file: ca.pem, cert_file: client.pem, key_file: client.key, server_name: am.test, min_version: TLS12 }
      static_configs: [{ targets: ["${am.addr}"] }]
    - scheme: https
      path_prefix: inline
      tls_config:
        ca: ${JSON.stringify(fs.readFileSync(c.ca, 'utf8'))}
        cert: ${JSON.stringify(fs.readFileSync(c.clientCert, 'utf8'))}
        key: ${JSON.stringify(fs.readFileSync(c.clientKey, 'utf8'))}
      static_configs: [{ targets: ["${am.addr}"] }]
    - scheme: https
      path_prefix: wrong-name
      tls_config: { ca_file: ca.pem, server_name: other.test }
      static_configs: [{ targets: ["${am.addr}"] }]
`, dir);
    await post();
    expect(am.seen.map((r) => [r.path.split('/')[1], r.clientCN, r.clientAuthorized]).sort()).toEqual([['files', 'alert-sender', true], ['inline', 'alert-sender', true]]);
    expect(logged).toEqual([expect.stringMatching(/^Post "https:\/\/127\.0\.0\.1:\d+\/wrong-name\/api\/v2\/alerts": .*other\.test/)]);
  });

  it('posts to https Alertmanagers through a CONNECT tunnel with proxy_connect_header, to http ones as a forward proxy, direct for no_proxy', async () => {
    const dir = tempDir();
    const c = certificates(dir);
    const secure = await alertmanager({ cert: c.serverCert, key: c.serverKey, ca: c.ca });
    const plain = await alertmanager();
    const proxy = await startProxy();
    cleanups.push(() => proxy.close());
    const proxyUrl = proxy.url.replace('http://', 'http://pu:pp@');
    const { post } = sender(`
alerting:
  alertmanagers:
    - scheme: https
      path_prefix: tunnel
      tls_config: { ca_file: ca.pem, cert_file: client.pem, key_file: client.key }
      proxy_url: ${proxyUrl}
      proxy_connect_header: { X-Proxy-Key: [k1, k2] }
      basic_auth: { username: am, password: secret }
      static_configs: [{ targets: ["${secure.addr}"] }]
    - path_prefix: forward
      proxy_url: ${proxyUrl}
      bearer_token: b
      static_configs: [{ targets: ["${plain.addr}"] }]
    - path_prefix: bypass
      proxy_url: ${proxyUrl}
      no_proxy: 10.0.0.0/8,127.0.0.1
      static_configs: [{ targets: ["${plain.addr}"] }]
`, dir);
    await post();
    await post();
    // One tunnel for both posts (kept open, as Go's transport keeps it), with the proxy's credentials and headers.
    expect(proxy.tunnels.map((t) => [t.target, t.headers['proxy-authorization'], t.headers['x-proxy-key']])).toEqual([[secure.addr, basic('pu', 'pp'), 'k1, k2']]);
    // Inside the tunnel: TLS with the client certificate, and the Alertmanager's own credentials.
    expect(secure.seen.map((r) => [r.path, r.headers.authorization, r.clientCN])).toEqual([
      ['/tunnel/api/v2/alerts', basic('am', 'secret'), 'alert-sender'], ['/tunnel/api/v2/alerts', basic('am', 'secret'), 'alert-sender'],
    ]);
    expect(proxy.forwarded.map((r) => [r.method, r.target, r.headers.authorization, r.headers['proxy-authorization']])).toEqual([
      ['POST', `http://${plain.addr}/forward/api/v2/alerts`, 'Bearer b', basic('pu', 'pp')], ['POST', `http://${plain.addr}/forward/api/v2/alerts`, 'Bearer b', basic('pu', 'pp')],
    ]);
    expect(plain.seen.map((r) => r.path).sort()).toEqual(['/bypass/api/v2/alerts', '/bypass/api/v2/alerts', '/forward/api/v2/alerts', '/forward/api/v2/alerts']);
  });

  it('uses HTTP_PROXY with proxy_from_environment (loopback Alertmanagers go direct, as Go decides)', async () => {
    const dir = tempDir();
    const am = await alertmanager();
    const proxy = await startProxy({ route: () => am.addr });
    cleanups.push(() => proxy.close());
    cleanups.push(setProxyEnv({ HTTP_PROXY: proxy.url }));
    const { post } = sender(`
alerting:
  alertmanagers:
    - proxy_from_environment: true
      static_configs: [{ targets: ["am.invalid:9093", "${am.addr}"] }]
`, dir);
    await post();
    expect(proxy.forwarded.map((r) => r.target)).toEqual(['http://am.invalid:9093/api/v2/alerts']);
    expect(am.seen).toHaveLength(2);
  });
});
