// alerting.alertmanagers[]'s HTTP client settings side by side with Prometheus 2.42, on the same
// prometheus.yml (the settings 2.42 knows): both servers fire an alert to the same Alertmanager
// stand-ins, and the requests are compared: Authorization from basic_auth (password_file),
// authorization (credentials_file), bearer_token_file and oauth2 (the token endpoint's requests
// too), a client certificate over https reached through a CONNECT proxy with
// proxy_connect_header, and a forward proxy for http. /api/v1/status/config prints the section as
// 2.42 does. http_headers, no_proxy and proxy_from_environment are newer than 2.42 (it refuses
// them): src/rules/alertsender-client.test.ts covers them.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import type { TLSSocket } from 'node:tls';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type TestProxy } from '../src/httpclient/testing.ts';
import type { PrometheusProcess } from './helpers/prometheus.ts';
import { startSenderSideBySide } from './helpers/alertsender-side-by-side.ts';
import { getJson, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

interface Seen {
  /** "prometheus" or "strata", from the User-Agent. */
  from: string;
  /** The path_prefix the post went to. */
  set: string;
  headers: IncomingHttpHeaders;
  clientCN: string;
}

const seen: Seen[] = [];
const tokenRequests: { auth: string; form: Record<string, string> }[] = [];
const servers: Server[] = [];

async function listen(srv: Server): Promise<string> {
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return `127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

function record(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  req.on('end', () => {
    const sock = req.socket as TLSSocket;
    const peer = typeof sock.getPeerCertificate === 'function' ? sock.getPeerCertificate() : undefined;
    seen.push({
      from: /^Prometheus\//.test(req.headers['user-agent'] ?? '') ? 'prometheus' : 'strata',
      set: (req.url ?? '').split('/')[1],
      headers: req.headers,
      clientCN: String(peer?.subject?.CN ?? ''),
    });
    res.end();
  });
}

function certificates(dir: string): void {
  const f = (n: string) => path.join(dir, n);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore' });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=test-ca');
  for (const [name, cn, ext] of [['server', 'localhost', 'subjectAltName=DNS:am.test,IP:127.0.0.1'], ['client', 'alert-sender', 'extendedKeyUsage=clientAuth']]) {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${cn}`);
    fs.writeFileSync(f(`${name}.ext`), `${ext}\n`);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
  }
}

const RULES = `
groups:
  - name: g
    interval: 1s
    rules:
      - { alert: Paging, expr: vector(1) }
`;

/** Every setting here is one 2.42 takes; each set has its own path_prefix to tell its posts apart. */
const prometheusYml = (a: { plain: string; secure: string; token: string; proxy: string }) => `
global:
  evaluation_interval: 1s
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - path_prefix: basic
      basic_auth: { username: u, password_file: pw }
      static_configs: [{ targets: ["${a.plain}"] }]
    - path_prefix: authz
      authorization: { type: Token, credentials_file: cred }
      static_configs: [{ targets: ["${a.plain}"] }]
    - path_prefix: bearer
      bearer_token_file: bt
      static_configs: [{ targets: ["${a.plain}"] }]
    - path_prefix: oauth
      oauth2:
        client_id: cid
        client_secret: s3cret
        token_url: ${a.token}
        scopes: [alerts, write]
        endpoint_params: { audience: am }
      static_configs: [{ targets: ["${a.plain}"] }]
    - scheme: https
      path_prefix: tunnel
      tls_config: { ca_file: ca.pem, cert_file: client.pem, key_file: client.key, server_name: am.test }
      proxy_url: ${a.proxy.replace('http://', 'http://pu:hunter2@')}
      proxy_connect_header: { X-Proxy-Key: [k1, k2] }
      basic_auth: { username: am, password: hunter3 }
      static_configs: [{ targets: ["${a.secure}"] }]
    - path_prefix: forward
      proxy_url: ${a.proxy}
      bearer_token: b
      follow_redirects: false
      enable_http2: false
      static_configs: [{ targets: ["${a.plain}"] }]
`;

const SETS = ['authz', 'basic', 'bearer', 'forward', 'oauth', 'tunnel'];

describe('Alertmanager HTTP client settings side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;
  let proxy: TestProxy;
  let yml: string;

  beforeAll(async () => {
    dir = tempDir('strata-am-client-');
    certificates(dir);
    const plain = await listen(createServer(record));
    const secure = await listen(createHttpsServer({
      cert: fs.readFileSync(path.join(dir, 'server.pem')), key: fs.readFileSync(path.join(dir, 'server.key')),
      ca: fs.readFileSync(path.join(dir, 'ca.pem')), requestCert: true, rejectUnauthorized: true,
    }, record));
    const token = await listen(createServer((req, res) => {
      let b = '';
      req.on('data', (c: Buffer) => (b += c.toString()));
      req.on('end', () => {
        tokenRequests.push({ auth: req.headers.authorization ?? '', form: Object.fromEntries(new URLSearchParams(b)) });
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ access_token: `tok-${tokenRequests.length}`, token_type: 'bearer', expires_in: 3600 }));
      });
    }));
    proxy = await startProxy();
    fs.writeFileSync(path.join(dir, 'rules.yml'), RULES);
    fs.writeFileSync(path.join(dir, 'pw'), 'hunter4\n');
    fs.writeFileSync(path.join(dir, 'cred'), 'c1\n');
    fs.writeFileSync(path.join(dir, 'bt'), 'bt1\n');
    yml = prometheusYml({ plain, secure, token: `http://${token}/token`, proxy: proxy.url });
    // Prometheus' file beside Strata's, so the relative files are the same.
    ({ strata, prom, skip } = await startSenderSideBySide(dir, yml));
  }, 120_000);

  afterAll(async () => {
    await strata?.stop();
    await prom?.stop();
    await proxy?.close();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const sets = (from: string) => [...new Set(seen.filter((s) => s.from === from).map((s) => s.set))].sort();
  const first = (from: string, set: string) => seen.find((s) => s.from === from && s.set === set)!;

  it('sends each set\'s credentials as configured', async () => {
    await until('Strata\'s posts to every set', () => sets('strata').length === SETS.length, 30_000);
    expect(sets('strata')).toEqual(SETS);
    const auth = (set: string) => first('strata', set).headers.authorization;
    expect(auth('basic')).toBe(`Basic ${Buffer.from('u:hunter4').toString('base64')}`);
    expect(auth('authz')).toBe('Token c1');
    expect(auth('bearer')).toBe('Bearer bt1');
    expect(auth('oauth')).toMatch(/^Bearer tok-\d+$/);
    expect(auth('tunnel')).toBe(`Basic ${Buffer.from('am:hunter3').toString('base64')}`);
    expect(auth('forward')).toBe('Bearer b');
    expect(first('strata', 'tunnel').clientCN).toBe('alert-sender');
  }, 40_000);

  it('sends the same credentials, client certificate, CONNECT and token requests as Prometheus', async (ctx) => {
    if (skip) ctx.skip();
    // Prometheus hands the static Alertmanagers to its notifier after up to 5 s.
    await until('Prometheus\' posts to every set', () => sets('prometheus').length === SETS.length, 30_000);
    expect(sets('prometheus')).toEqual(SETS);
    for (const set of SETS) {
      const [ours, theirs] = [first('strata', set), first('prometheus', set)];
      const auth = (s: Seen) => (set === 'oauth' ? s.headers.authorization?.replace(/\d+$/, 'N') : s.headers.authorization);
      expect({ set, auth: auth(ours), cn: ours.clientCN, type: ours.headers['content-type'] })
        .toEqual({ set, auth: auth(theirs), cn: theirs.clientCN, type: theirs.headers['content-type'] });
    }
    // A token request each (both posted with a token), the same: client credentials in the Basic
    // header, scopes, endpoint_params.
    expect(tokenRequests.length).toBeGreaterThanOrEqual(2);
    for (const r of tokenRequests) {
      expect(r).toEqual({ auth: `Basic ${Buffer.from('cid:s3cret').toString('base64')}`, form: { grant_type: 'client_credentials', scope: 'alerts write', audience: 'am' } });
    }
    // A CONNECT each (both posted through it), the same: the proxy's credentials and the headers.
    const connects = proxy.tunnels.map((t) => ({ target: t.target, auth: t.headers['proxy-authorization'], key: t.headers['x-proxy-key'] }));
    expect(connects.length).toBeGreaterThanOrEqual(2);
    expect(new Set(connects.map((c) => JSON.stringify(c))).size).toBe(1);
    expect(connects[0].auth).toBe(`Basic ${Buffer.from('pu:hunter2').toString('base64')}`);
    expect(connects[0].key).toBe('k1, k2');
    // The http set went through the proxy as a forward proxy, by both.
    const forwarded = (ua: RegExp) => proxy.forwarded.filter((r) => ua.test(r.headers['user-agent'] ?? '')).map((r) => [r.method, new URL(r.target).pathname, r.headers.authorization]);
    expect(forwarded(/^Strata/)[0]).toEqual(['POST', '/forward/api/v2/alerts', 'Bearer b']);
    expect(forwarded(/^Prometheus\//)[0]).toEqual(forwarded(/^Strata/)[0]);
  }, 40_000);

  it('prints the section in /api/v1/status/config as Prometheus does, secrets hidden', async (ctx) => {
    const ours = parseYaml((await getJson(`${strata.url}/api/v1/status/config`)).body.data.yaml).alerting;
    expect(JSON.stringify(ours)).not.toMatch(/hunter|s3cret|"b"/);
    if (skip) ctx.skip();
    const theirs = parseYaml((await getJson(`${prom!.url}/api/v1/status/config`)).body.data.yaml).alerting;
    // Where 2.42 differs from Prometheus 3, Strata prints as 3 does: 2.42 prints an unset oauth2
    // client_secret_file as "", and the proxy settings before tls_config (3 after enable_http2).
    const oauth = theirs.alertmanagers.find((a: { path_prefix: string }) => a.path_prefix === 'oauth').oauth2;
    expect(oauth.client_secret_file).toBe('');
    delete oauth.client_secret_file;
    const PROXY = ['proxy_url', 'no_proxy', 'proxy_from_environment', 'proxy_connect_header'];
    const as3 = (am: Record<string, unknown>) => {
      const entries = Object.entries(am);
      const proxyFields = entries.filter(([k]) => PROXY.includes(k));
      const rest = entries.filter(([k]) => !PROXY.includes(k));
      const at = rest.findIndex(([k]) => k === 'enable_http2') + 1;
      return Object.fromEntries([...rest.slice(0, at), ...proxyFields, ...rest.slice(at)]);
    };
    expect(ours).toEqual(theirs);
    expect(JSON.stringify(ours)).toBe(JSON.stringify({ alertmanagers: theirs.alertmanagers.map(as3) }));
  });
});
