// A failed scrape's error as Prometheus words it, side by side: the real Prometheus 2.42 and the
// Strata server scrape the same failing endpoints (refused port, unknown host, timeouts before and
// during the body, 404/500/418, a redirect loop, too large a body, a bad gzip body, a cut-short
// body, TLS failures, proxies that refuse, oauth2 token endpoints that fail, sample and label
// limits), and every target's lastError
// in /api/v1/targets must be the same text, as must Strata's "scrape failed" log line.
//
// Exposition parse errors (`strconv.ParseFloat: parsing "is": invalid syntax`, ...) are compared
// the same way in scrape-errors-exposition.test.ts.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, type PrometheusProcess } from './helpers/prometheus.ts';
import { activeTargets, startBothScraping } from './helpers/scrape-side-by-side.ts';
import { tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

const plain = (body: string): Handler => (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain' }).end(body);

const ENDPOINTS: Record<string, Handler> = {
  '/404': (_req, res) => void res.writeHead(404).end('no'),
  '/500': (_req, res) => void res.writeHead(500).end('boom'),
  '/418': (_req, res) => {
    res.statusMessage = 'Custom Words';
    res.writeHead(418).end();
  },
  // Never answers: the scrape times out waiting for the head.
  '/slow': () => {},
  // Answers the head and part of the body, then nothing: the timeout strikes while reading the body.
  '/slowbody': (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('a 1\n');
  },
  '/big': plain('a 1\n'.repeat(500)),
  '/many': plain(Array.from({ length: 20 }, (_, i) => `m${i} 1\n`).join('')),
  '/labels': plain('m{a="1",b="2",c="3"} 1\n'),
  '/longlabels': plain(`a_very_long_metric_name_that_goes_on_and_on_for_more_than_fifty_chars_really{label_with_a_rather_long_name_exceeding_fifty_characters_in_total="${'v'.repeat(70)}"} 1\n`),
  '/unicode': plain(`m{l="${'é'.repeat(60)}"} 1\n`),
  // Closes the connection without a word, or resets it.
  '/close': (req) => void req.socket.destroy(),
  '/reset': (req) => void req.socket.resetAndDestroy(),
  '/badgzip': (_req, res) => void res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }).end('not gzip at all'),
  '/truncgzip': (_req, res) => {
    const z = gzipSync('a 1\n'.repeat(100));
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' }).end(z.subarray(0, z.length - 10));
  },
  // Promises 100 bytes, sends 4 and closes; the same without a length (chunked).
  '/truncated': (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '100' });
    res.write('a 1\n');
    setTimeout(() => req.socket.destroy(), 50);
  },
  '/chunkclose': (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    res.write('a 1\n');
    setTimeout(() => req.socket.destroy(), 50);
  },
  // Token endpoints for oauth2.
  '/token/400': (_req, res) => void res.writeHead(400, { 'Content-Type': 'application/json' }).end('{"error":"unauthorized_client"}\n'),
  '/token/500': (_req, res) => void res.writeHead(500, { 'Content-Type': 'text/plain' }).end('oops'),
  '/token/html': (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('<html>'),
  '/token/empty': (_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"token_type":"bearer"}'),
};

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const p = new URL(req.url ?? '/', 'http://x').pathname;
  if (p.startsWith('/redirect/')) return void res.writeHead(302, { Location: `/redirect/${Number(p.slice(10)) + 1}` }).end();
  (ENDPOINTS[p] ?? plain('ok 1\n'))(req, res);
}

/**
 * [job, scrape config fields] for every failure kind; `H`, `S` and `P` stand for the plain, TLS
 * and proxy servers (`http://H/` too), `I` for a TLS server with a certificate for another IP address, `C` for one
 * that wants a client certificate.
 */
function jobs(certFile: string): [string, string][] {
  return [
    ['refused', 'static_configs: [{ targets: ["127.0.0.1:1"] }]'],
    ['refused_localhost', 'static_configs: [{ targets: ["localhost:1"] }]'],
    ['nxdomain', 'static_configs: [{ targets: ["nosuch.invalid:9100"] }]'],
    ['status_404', 'metrics_path: /404, static_configs: [{ targets: ["H"] }]'],
    ['status_500', 'metrics_path: /500, static_configs: [{ targets: ["H"] }]'],
    ['status_418', 'metrics_path: /418, static_configs: [{ targets: ["H"] }]'],
    ['timeout', 'metrics_path: /slow, static_configs: [{ targets: ["H"] }]'],
    ['timeout_body', 'metrics_path: /slowbody, static_configs: [{ targets: ["H"] }]'],
    ['redirect_loop', 'metrics_path: /redirect/0, static_configs: [{ targets: ["H"] }]'],
    ['redirect_unfollowed', 'follow_redirects: false, metrics_path: /redirect/0, static_configs: [{ targets: ["H"] }]'],
    ['body_size_limit', 'body_size_limit: 1KB, metrics_path: /big, static_configs: [{ targets: ["H"] }]'],
    ['sample_limit', 'sample_limit: 5, metrics_path: /many, static_configs: [{ targets: ["H"] }]'],
    ['label_limit', 'label_limit: 4, metrics_path: /labels, static_configs: [{ targets: ["H"] }]'],
    ['label_value_length', 'label_value_length_limit: 3, metrics_path: /labels, static_configs: [{ targets: ["H"] }]'],
    ['label_name_length', 'label_name_length_limit: 3, metrics_path: /labels, static_configs: [{ targets: ["H"] }]'],
    ['long_label_limit', 'label_limit: 1, metrics_path: /longlabels, static_configs: [{ targets: ["H"] }]'],
    ['long_value_length', 'label_value_length_limit: 3, metrics_path: /longlabels, static_configs: [{ targets: ["H"] }]'],
    ['unicode_value_length', 'label_value_length_limit: 20, metrics_path: /unicode, static_configs: [{ targets: ["H"] }], relabel_configs: [{ target_label: instance, replacement: i }]'],
    ['closed', 'metrics_path: /close, static_configs: [{ targets: ["H"] }]'],
    ['reset', 'metrics_path: /reset, static_configs: [{ targets: ["H"] }]'],
    ['bad_gzip', 'metrics_path: /badgzip, static_configs: [{ targets: ["H"] }]'],
    ['truncated_gzip', 'metrics_path: /truncgzip, static_configs: [{ targets: ["H"] }]'],
    ['truncated_body', 'metrics_path: /truncated, static_configs: [{ targets: ["H"] }]'],
    ['truncated_chunked', 'metrics_path: /chunkclose, static_configs: [{ targets: ["H"] }]'],
    ['tls_no_ip_san', 'scheme: https, static_configs: [{ targets: ["S"] }]'],
    ['tls_unknown_ca', 'scheme: https, tls_config: { server_name: exporter.test }, static_configs: [{ targets: ["S"] }]'],
    ['tls_wrong_name', `scheme: https, tls_config: { ca_file: "${certFile}", server_name: other.test }, static_configs: [{ targets: ["S"] }]`],
    ['tls_versions', `scheme: https, tls_config: { ca_file: "${certFile}", server_name: exporter.test, max_version: TLS11 }, static_configs: [{ targets: ["S"] }]`],
    ['tls_ip_mismatch', `scheme: https, tls_config: { ca_file: "${certFile.replace('cert.pem', 'ipcert.pem')}" }, static_configs: [{ targets: ["I"] }]`],
    ['tls_client_cert_required', 'scheme: https, tls_config: { insecure_skip_verify: true }, static_configs: [{ targets: ["C"] }]'],
    ['https_to_http', 'scheme: https, static_configs: [{ targets: ["H"] }]'],
    ['http_to_https', 'static_configs: [{ targets: ["S"] }]'],
    ['oauth2_400', 'oauth2: { client_id: c, client_secret: s, token_url: "http://H/token/400" }, static_configs: [{ targets: ["H"] }]'],
    ['oauth2_500', 'oauth2: { client_id: c, client_secret: s, token_url: "http://H/token/500" }, static_configs: [{ targets: ["H"] }]'],
    ['oauth2_no_json', 'oauth2: { client_id: c, client_secret: s, token_url: "http://H/token/html" }, static_configs: [{ targets: ["H"] }]'],
    ['oauth2_no_token', 'oauth2: { client_id: c, client_secret: s, token_url: "http://H/token/empty" }, static_configs: [{ targets: ["H"] }]'],
    ['oauth2_refused', 'oauth2: { client_id: c, client_secret: s, token_url: "http://127.0.0.1:1/token" }, static_configs: [{ targets: ["H"] }]'],
    ['proxy_refused', 'proxy_url: "http://127.0.0.1:1", static_configs: [{ targets: ["example.test:9100"] }]'],
    ['proxy_refused_tls', 'scheme: https, proxy_url: "http://127.0.0.1:1", static_configs: [{ targets: ["example.test:9100"] }]'],
    ['proxy_connect_403', 'scheme: https, proxy_url: "http://P", static_configs: [{ targets: ["example.test:9100"] }]'],
    ['proxy_forward_502', 'proxy_url: "http://P", static_configs: [{ targets: ["example.test:9100"] }]'],
  ];
}

describe('scrape errors side by side with Prometheus 2.42', () => {
  let dir: string;
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let skip: string | null = null;
  const servers: (http.Server | https.Server)[] = [];
  const sockets = new Set<Socket>();

  async function listen(server: http.Server | https.Server): Promise<string> {
    servers.push(server);
    server.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return `127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  beforeAll(async () => {
    skip = await prometheusForComparison('the Prometheus comparison');
    if (skip) return;
    dir = tempDir('strata-scrape-errors-');
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=exporter.test', '-addext', 'subjectAltName=DNS:exporter.test'], { stdio: 'ignore' });
    const plainAddr = await listen(http.createServer(handle));
    const tlsAddr = await listen(https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, handle));
    // A certificate for another IP address, and a server that wants a client certificate.
    const ipKey = path.join(dir, 'ipkey.pem');
    const ipCert = path.join(dir, 'ipcert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', ipKey, '-out', ipCert, '-days', '1',
      '-subj', '/CN=10.0.0.1', '-addext', 'subjectAltName=IP:10.0.0.1'], { stdio: 'ignore' });
    const ipAddr = await listen(https.createServer({ key: fs.readFileSync(ipKey), cert: fs.readFileSync(ipCert) }, handle));
    const clientCertAddr = await listen(https.createServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert), requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(cert) }, handle));
    // A proxy that refuses every tunnel (403) and answers every forwarded request with 502.
    const proxy = http.createServer((_req, res) => void res.writeHead(502).end());
    proxy.on('connect', (_req, s: Socket) => void s.end('HTTP/1.1 403 Forbidden\r\n\r\n'));
    const proxyAddr = await listen(proxy);
    const scrapeConfigs = jobs(cert).map(([name, fields]) => {
      const f = fields.replace(/"H"/g, `"${plainAddr}"`).replace('http://H/', `http://${plainAddr}/`).replace(/"S"/g, `"${tlsAddr}"`).replace(/"I"/g, `"${ipAddr}"`).replace(/"C"/g, `"${clientCertAddr}"`).replace('http://P', `http://${proxyAddr}`);
      return `  - { job_name: ${name}, ${f} }`;
    });
    const prometheusYml = ['global: { scrape_interval: 1s, scrape_timeout: 500ms }', 'scrape_configs:', ...scrapeConfigs].join('\n') + '\n';
    ({ prom, strata } = await startBothScraping(dir, prometheusYml));
  }, 120_000);

  afterAll(async () => {
    await strata?.stop('SIGKILL');
    await prom?.stop();
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** job -> lastError, once every listed job has failed at least once. */
  async function lastErrors(url: string): Promise<Record<string, string>> {
    const want = jobs('').map(([j]) => j);
    const byPool = await activeTargets(url, (ts) => want.every((j) => (ts[j]?.lastError ?? '') !== ''));
    return Object.fromEntries(Object.entries(byPool).map(([j, t]) => [j, t.lastError]));
  }

  it('gives every failure kind the lastError Prometheus gives it, and logs it so', async (ctx) => {
    if (skip) ctx.skip();
    const [theirs, ours] = await Promise.all([lastErrors(prom!.url), lastErrors(strata!.url)]);
    // The local port of a reset connection differs between the two.
    const ephemeral = (s: string) => s.replace(/(read tcp 127\.0\.0\.1):\d+->/, '$1:PORT->');
    const compared: Record<string, [string, string]> = {};
    for (const [job] of jobs('')) {
      if (job === 'nxdomain' && !/no such host$/.test(theirs[job])) continue; // no DNS here that answers NXDOMAIN
      compared[job] = [ephemeral(ours[job]), ephemeral(theirs[job])];
    }
    const differing = Object.entries(compared).filter(([, [a, b]]) => a !== b);
    expect(Object.fromEntries(differing)).toEqual({});
    // Spot checks that the comparison compares what it means to.
    expect(theirs.refused).toMatch(/^Get "http:\/\/127\.0\.0\.1:1\/metrics": dial tcp 127\.0\.0\.1:1: connect: connection refused$/);
    expect(theirs.timeout).toMatch(/^Get "http:\/\/127\.0\.0\.1:\d+\/slow": context deadline exceeded$/);
    expect(theirs.status_500).toBe('server returned HTTP status 500 Internal Server Error');
    // The debug log line of a failed scrape carries the same text.
    await until('the refused scrape logged', () => strata!.logLines().some((l) => l.msg === 'scrape failed' && l.err === ours.refused) || null);
  }, 60_000);
});
