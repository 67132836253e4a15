// The sender to external Alertmanagers, configured from prometheus.yml text: discovery and
// relabelling of Alertmanagers, alert relabelling, where the alerts are posted, redirects, and
// when a batch counts as delivered.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.ts';
import type { DnsResolver } from '../discovery/index.ts';
import { AlertSender } from './alertsender.ts';
import type { OutgoingAlert } from './group.ts';

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0).reverse()) c();
});

interface Received {
  url: string;
  auth: string;
  body: unknown;
}

/** An Alertmanager stand-in that records each request; `answer` may send something else than 200. */
async function receiver(answer: (req: IncomingMessage, res: ServerResponse) => void = (_q, res) => res.end()): Promise<{ addr: string; got: Received[] }> {
  const got: Received[] = [];
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      got.push({ url: `${req.method} ${req.url}`, auth: req.headers.authorization ?? '', body: b === '' ? null : JSON.parse(b) });
      answer(req, res);
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { addr: `127.0.0.1:${(srv.address() as AddressInfo).port}`, got };
}

const status = (code: number, headers: Record<string, string> = {}) => (_q: IncomingMessage, res: ServerResponse) => {
  res.writeHead(code, headers);
  res.end();
};

/** A sender for a prometheus.yml (its file paths relative to `dir`), with its warnings and errors collected. */
function sender(yaml: string, o: { dir?: string; dns?: DnsResolver; registry?: Registry } = {}) {
  const { config } = parseConfig(yaml, path.join(o.dir ?? '/nonexistent', 'prometheus.yml'));
  const logged: string[] = [];
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line).err ?? JSON.parse(line).msg) }) as Logger;
  const s = new AlertSender(config.alerting, config.global.externalLabels, log, { dns: o.dns }, o.registry);
  cleanups.push(() => s.stop());
  return { s, logged, config };
}

const alert = (labels: Record<string, string>): OutgoingAlert => ({
  labels, annotations: { summary: 's' }, startsAt: Date.UTC(2026, 0, 1), endsAt: Date.UTC(2026, 0, 1, 0, 4), generatorURL: 'http://g',
});

async function until<T>(what: string, f: () => T | undefined | false): Promise<T> {
  const end = Date.now() + 5000;
  for (;;) {
    const v = f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function tempDir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-alertsender-'));
  cleanups.push(() => fs.rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('AlertSender', () => {
  it('posts API v2 alerts with the external labels an alert lacks, and the entry\'s credentials', async () => {
    const a = await receiver();
    const { s } = sender(`
global: { external_labels: { cluster: eu, env: prod } }
alerting:
  alertmanagers:
    - path_prefix: /am/
      basic_auth: { username: u, password: p }
      static_configs: [{ targets: ["${a.addr}"] }]`);
    s.send([alert({ alertname: 'X', env: 'dev' })]);
    await s.flush();
    expect(a.got).toEqual([{
      url: 'POST /am/api/v2/alerts',
      auth: `Basic ${Buffer.from('u:p').toString('base64')}`,
      body: [{ labels: { alertname: 'X', env: 'dev', cluster: 'eu' }, annotations: { summary: 's' }, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-01-01T00:04:00.000Z', generatorURL: 'http://g' }],
    }]);
    expect(s.stats()).toEqual({ sent: 1, errors: 0, dropped: 0, queueLength: 0 });
  });

  it('joins a path_prefix as Go\'s path.Join("/", prefix, "/api/v2/alerts"): a missing leading slash is added', async () => {
    const a = await receiver();
    const { s } = sender(`
alerting:
  alertmanagers:
    - { path_prefix: 1am, static_configs: [{ targets: ["${a.addr}"] }] }
    - { path_prefix: "a//b/../c/", static_configs: [{ targets: ["${a.addr}"] }] }
    - { static_configs: [{ targets: ["${a.addr}"] }] }`);
    expect(s.alertmanagers().active.map((am) => am.url)).toEqual([
      `http://${a.addr}/1am/api/v2/alerts`, `http://${a.addr}/a/c/api/v2/alerts`, `http://${a.addr}/api/v2/alerts`,
    ]);
    s.send([alert({ alertname: 'X' })]);
    await s.flush();
    expect(a.got.map((g) => g.url).sort()).toEqual(['POST /1am/api/v2/alerts', 'POST /a/c/api/v2/alerts', 'POST /api/v2/alerts']);
  });

  it('counts a batch delivered when one Alertmanager of each set took it, as Prometheus 3 does', async () => {
    const ok = await receiver();
    const failing = await receiver(status(500));
    // One set of two, one of which fails: the set took the batch.
    const one = sender(`alerting: { alertmanagers: [{ static_configs: [{ targets: ["${ok.addr}", "${failing.addr}"] }] }] }`);
    one.s.send([alert({ alertname: 'X' })]);
    await one.s.flush();
    expect(one.s.stats()).toMatchObject({ sent: 1, errors: 1, dropped: 0 });
    expect(one.logged).toEqual(['bad response status 500 Internal Server Error']);
    // Two sets, the second's only Alertmanager fails: not delivered (2.42 counted it sent).
    const two = sender(`alerting: { alertmanagers: [{ static_configs: [{ targets: ["${ok.addr}"] }] }, { static_configs: [{ targets: ["${failing.addr}"] }] }] }`);
    two.s.send([alert({ alertname: 'X' })]);
    await two.s.flush();
    expect(two.s.stats()).toMatchObject({ sent: 0, errors: 1, dropped: 1 });
  });

  it('exposes prometheus_notifications_* as Prometheus\' notifier does (counting as Prometheus 3)', async () => {
    const ok = await receiver();
    const failing = await receiver(status(500));
    const registry = new Registry();
    const yaml = (targets: string[]) => `alerting: { alertmanagers: [
      { static_configs: [{ targets: ${JSON.stringify(targets)} }] },
      { path_prefix: other, static_configs: [{ targets: ["${ok.addr}"] }] }] }`;
    const { s } = sender(yaml([ok.addr, failing.addr]), { registry });
    const okURL = `http://${ok.addr}/api/v2/alerts`;
    const failingURL = `http://${failing.addr}/api/v2/alerts`;
    const otherURL = `http://${ok.addr}/other/api/v2/alerts`;
    const samples = async () => {
      const out: Record<string, number> = {};
      for (const line of (await registry.metrics()).split('\n')) {
        const m = /^(prometheus_notifications_[^ ]+) (.+)$/.exec(line);
        if (m && !m[1].includes('quantile=')) out[m[1]] = Number(m[2]);
      }
      return out;
    };
    // Known Alertmanagers start at 0, so that a first error shows in rate().
    expect(await samples()).toEqual({
      [`prometheus_notifications_errors_total{alertmanager="${okURL}"}`]: 0,
      [`prometheus_notifications_errors_total{alertmanager="${failingURL}"}`]: 0,
      [`prometheus_notifications_errors_total{alertmanager="${otherURL}"}`]: 0,
      [`prometheus_notifications_sent_total{alertmanager="${okURL}"}`]: 0,
      [`prometheus_notifications_sent_total{alertmanager="${failingURL}"}`]: 0,
      [`prometheus_notifications_sent_total{alertmanager="${otherURL}"}`]: 0,
      prometheus_notifications_dropped_total: 0,
      prometheus_notifications_queue_length: 0,
      prometheus_notifications_queue_capacity: 10000,
      prometheus_notifications_alertmanagers_discovered: 3,
    });

    s.send([alert({ alertname: 'X' }), alert({ alertname: 'Y' })]);
    await s.flush();
    const after = await samples();
    // Alerts, not posts: 2 taken by each working Alertmanager, 2 affected by the failing one's error.
    expect(after).toMatchObject({
      [`prometheus_notifications_sent_total{alertmanager="${okURL}"}`]: 2,
      [`prometheus_notifications_sent_total{alertmanager="${otherURL}"}`]: 2,
      [`prometheus_notifications_sent_total{alertmanager="${failingURL}"}`]: 0,
      [`prometheus_notifications_errors_total{alertmanager="${failingURL}"}`]: 2,
      [`prometheus_notifications_errors_total{alertmanager="${okURL}"}`]: 0,
      [`prometheus_notifications_latency_seconds_count{alertmanager="${okURL}"}`]: 1,
      [`prometheus_notifications_latency_seconds_count{alertmanager="${failingURL}"}`]: 1,
      // Each set had one Alertmanager take the batch.
      prometheus_notifications_dropped_total: 0,
    });
    expect(after[`prometheus_notifications_latency_seconds_sum{alertmanager="${failingURL}"}`]).toBeGreaterThan(0);
    const text = await registry.metrics();
    expect(text).toContain('# HELP prometheus_notifications_latency_seconds Latency quantiles for sending alert notifications.\n# TYPE prometheus_notifications_latency_seconds summary\n');
    expect(text).toContain(`prometheus_notifications_latency_seconds{quantile="0.99",alertmanager="${okURL}"}`);

    // The failing Alertmanager leaves the first set: its series go; only that set sends now, and
    // with its one Alertmanager failing the batch is dropped.
    s.update(parseConfig(`alerting: { alertmanagers: [{ static_configs: [{ targets: ["${failing.addr}"] }] }] }`, '/nonexistent/prometheus.yml').config.alerting, {});
    s.send([alert({ alertname: 'Z' })]);
    await s.flush();
    const last = await samples();
    expect(Object.keys(last).filter((k) => k.includes(okURL) || k.includes(otherURL))).toEqual([]);
    expect(last).toMatchObject({
      [`prometheus_notifications_errors_total{alertmanager="${failingURL}"}`]: 3,
      prometheus_notifications_dropped_total: 1,
      prometheus_notifications_alertmanagers_discovered: 1,
    });
  });

  it('follows redirects unless follow_redirects is false, then the 3xx is a failed send', async () => {
    const target = await receiver();
    const moved = await receiver(status(307, { Location: `http://${target.addr}/moved/api/v2/alerts` }));
    const follow = sender(`alerting: { alertmanagers: [{ static_configs: [{ targets: ["${moved.addr}"] }] }] }`);
    follow.s.send([alert({ alertname: 'X' })]);
    await follow.s.flush();
    // 307 repeats the POST with its body.
    expect(target.got).toEqual([{ url: 'POST /moved/api/v2/alerts', auth: '', body: [expect.objectContaining({ labels: { alertname: 'X' } })] }]);
    expect(follow.s.stats()).toMatchObject({ sent: 1, errors: 0 });

    const stay = sender(`alerting: { alertmanagers: [{ follow_redirects: false, static_configs: [{ targets: ["${moved.addr}"] }] }] }`);
    stay.s.send([alert({ alertname: 'Y' })]);
    await stay.s.flush();
    expect(target.got).toHaveLength(1);
    expect(moved.got).toHaveLength(2);
    expect(stay.logged).toEqual(['bad response status 307 Temporary Redirect']);
    expect(stay.s.stats()).toMatchObject({ sent: 0, errors: 1, dropped: 1 });
  });

  it('gives up after 10 redirects as Go\'s client does', async () => {
    const loop = await receiver(status(308, { Location: '/again' }));
    const { s, logged } = sender(`alerting: { alertmanagers: [{ static_configs: [{ targets: ["${loop.addr}"] }] }] }`);
    s.send([alert({ alertname: 'X' })]);
    await s.flush();
    // The 10th answer is the error: 9 redirects followed, as Go's client (see tooManyRedirects).
    expect(loop.got).toHaveLength(10);
    expect(logged).toEqual(['Post "/again": stopped after 10 redirects']);
  });

  it('drops and rewrites alerts by alerting.alert_relabel_configs, after adding external labels', async () => {
    const a = await receiver();
    const { s } = sender(`
global: { external_labels: { dc: eu1 } }
alerting:
  alert_relabel_configs:
    - { source_labels: [severity], regex: none, action: drop }
    - { source_labels: [dc], target_label: region, replacement: "r-$1" }
  alertmanagers: [{ static_configs: [{ targets: ["${a.addr}"] }] }]`);
    s.send([alert({ alertname: 'Quiet', severity: 'none' }), alert({ alertname: 'Loud', severity: 'page' })]);
    await s.flush();
    expect(a.got).toHaveLength(1);
    expect((a.got[0].body as { labels: unknown }[]).map((x) => x.labels)).toEqual([{ alertname: 'Loud', severity: 'page', dc: 'eu1', region: 'r-eu1' }]);
    // Alerts all dropped: nothing is queued or sent.
    s.send([alert({ alertname: 'Quiet', severity: 'none' })]);
    await s.flush();
    expect(a.got).toHaveLength(1);
    expect(s.stats()).toEqual({ sent: 1, errors: 0, dropped: 0, queueLength: 0 });
  });

  it('relabels alerts per Alertmanager entry with its alert_relabel_configs (Prometheus 2.51+)', async () => {
    const pager = await receiver();
    const tickets = await receiver();
    const { s } = sender(`
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["${pager.addr}"] }]
      alert_relabel_configs: [{ source_labels: [severity], regex: page, action: keep }]
    - static_configs: [{ targets: ["${tickets.addr}"] }]`);
    s.send([alert({ alertname: 'A', severity: 'page' }), alert({ alertname: 'B', severity: 'ticket' })]);
    await s.flush();
    const names = (r: { got: Received[] }) => r.got.flatMap((g) => (g.body as { labels: { alertname: string } }[]).map((x) => x.labels.alertname));
    expect(names(pager)).toEqual(['A']);
    expect(names(tickets)).toEqual(['A', 'B']);
  });

  it('discovers Alertmanagers with file_sd and relabels them (__address__, __scheme__, __alerts_path__, group labels)', async () => {
    const dir = tempDir();
    const east = await receiver();
    const west = await receiver();
    fs.writeFileSync(path.join(dir, 'am.json'), JSON.stringify([
      { targets: [east.addr], labels: { dc: 'east' } },
      { targets: [west.addr, '127.0.0.1:1'], labels: { dc: 'west', __scheme__: 'http' } },
    ]));
    const { s, config } = sender(`
alerting:
  alertmanagers:
    - scheme: https
      path_prefix: am
      file_sd_configs: [{ files: [am.json] }]
      relabel_configs:
        - { source_labels: [__address__], regex: "127.0.0.1:1", action: drop }
        - { source_labels: [dc], regex: east, target_label: __scheme__, replacement: http }
        - { source_labels: [dc, __meta_filepath], regex: "(.*);.*/am.json", target_label: __alerts_path__, replacement: "/$1/api/v2/alerts" }`, { dir });
    // Relative to the config file's directory, as in Prometheus.
    expect(config.alerting.alertmanagers[0].fileSdConfigs[0].files).toEqual([path.join(dir, 'am.json')]);
    const list = await until('discovery', () => s.alertmanagers().active.length === 2 && s.alertmanagers());
    // A group label overrides the configured scheme, as in Prometheus 3 (2.42 keeps the configured
    // scheme; test/alertmanager-discovery.test.ts shows it side by side).
    expect(list.active.map((a) => a.url)).toEqual([`http://${east.addr}/east/api/v2/alerts`, `http://${west.addr}/west/api/v2/alerts`]);
    expect(list.dropped.map((a) => a.url)).toEqual(['http://127.0.0.1:1/am/api/v2/alerts']);
    expect(list.active[0].labels).toMatchObject({ __address__: east.addr, dc: 'east', __meta_filepath: path.join(dir, 'am.json') });
    s.send([alert({ alertname: 'X' })]);
    await s.flush();
    expect(east.got.map((g) => g.url)).toEqual(['POST /east/api/v2/alerts']);
    expect(west.got.map((g) => g.url)).toEqual(['POST /west/api/v2/alerts']);

    // A changed file changes the Alertmanagers.
    fs.writeFileSync(path.join(dir, 'am.json'), JSON.stringify([{ targets: [west.addr], labels: { dc: 'west' } }]));
    await until('rediscovery', () => s.alertmanagers().active.length === 1);
    expect(s.alertmanagers().active[0].url).toBe(`https://${west.addr}/west/api/v2/alerts`);
  });

  it('refuses a group whose relabelled __address__ is not a host:port, keeping the other groups', async () => {
    const a = await receiver();
    const { s, logged } = sender(`
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["${a.addr}"] }, { targets: ["bad"], labels: { path: x } }]
      relabel_configs: [{ source_labels: [__address__, path], regex: "bad;(.*)", target_label: __address__, replacement: "h/$1" }]`);
    expect(s.alertmanagers().active.map((x) => x.url)).toEqual([`http://${a.addr}/api/v2/alerts`]);
    expect(logged).toEqual(['"h/x" is not a valid hostname']);
  });

  it('discovers Alertmanagers by DNS SRV and by http_sd, once per URL', async () => {
    const a = await receiver();
    const port = Number(a.addr.split(':')[1]);
    const sd = await receiver((_q, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ targets: [a.addr, 'localhost:9'] }]));
    });
    const dns: DnsResolver = {
      lookup: async () => [],
      resolveSrv: async (name) => (name === '_am._tcp.example' ? [{ name: '127.0.0.1.', port }] : []),
      resolveMx: async () => [],
      resolveNs: async () => [],
    };
    const { s } = sender(`
alerting:
  alertmanagers:
    - dns_sd_configs: [{ names: [_am._tcp.example] }]
      http_sd_configs: [{ url: "http://${sd.addr}/sd" }]`, { dns });
    const list = await until('discovery', () => s.alertmanagers().active.length === 2 && s.alertmanagers());
    expect(list.active.map((x) => x.url).sort()).toEqual([`http://${a.addr}/api/v2/alerts`, 'http://localhost:9/api/v2/alerts']);
    const srv = list.active.find((x) => x.labels.__meta_dns_name !== undefined);
    expect(srv?.labels).toMatchObject({ __meta_dns_name: '_am._tcp.example', __meta_dns_srv_record_target: '127.0.0.1' });
  });

  it('keeps an unchanged entry\'s discovered Alertmanagers over a reload and drops a removed entry\'s', async () => {
    const dir = tempDir();
    const a = await receiver();
    const b = await receiver();
    fs.writeFileSync(path.join(dir, 'am.json'), JSON.stringify([{ targets: [a.addr] }]));
    const yaml = (withStatic: boolean) => `alerting: { alertmanagers: [{ file_sd_configs: [{ files: [am.json] }] }${withStatic ? `, { static_configs: [{ targets: ["${b.addr}"] }] }` : ''}] }`;
    const { s } = sender(yaml(true), { dir });
    await until('discovery', () => s.alertmanagers().active.length === 2);
    // The file_sd entry is unchanged: its Alertmanager is there at once, not after a new read.
    s.update(parseConfig(yaml(false), path.join(dir, 'prometheus.yml')).config.alerting, {});
    expect(s.alertmanagers().active.map((x) => x.url)).toEqual([`http://${a.addr}/api/v2/alerts`]);
    s.send([alert({ alertname: 'X' })]);
    await s.flush();
    expect(a.got).toHaveLength(1);
    expect(b.got).toHaveLength(0);
  });

  it('checks an https Alertmanager\'s certificate unless tls_config.insecure_skip_verify is set', async () => {
    const dir = tempDir();
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'),
      '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
    const got: string[] = [];
    const srv = createHttpsServer({ key: fs.readFileSync(path.join(dir, 'key.pem')), cert: fs.readFileSync(path.join(dir, 'cert.pem')) }, (req, res) => {
      got.push(`${req.method} ${req.url}`);
      req.resume();
      req.on('end', () => res.end());
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanups.push(() => {
      srv.closeAllConnections();
      srv.close();
    });
    const addr = `127.0.0.1:${(srv.address() as AddressInfo).port}`;
    const checked = sender(`alerting: { alertmanagers: [{ scheme: https, static_configs: [{ targets: ["${addr}"] }] }] }`);
    checked.s.send([alert({ alertname: 'X' })]);
    await checked.s.flush();
    expect(got).toEqual([]);
    // In Go's words, as Prometheus logs it (the certificate names no IP, which Go checks first).
    expect(checked.logged).toEqual([expect.stringMatching(/^Post "https:\/\/127\.0\.0\.1:\d+\/api\/v2\/alerts": x509: /)]);
    const skipped = sender(`alerting: { alertmanagers: [{ scheme: https, tls_config: { insecure_skip_verify: true }, static_configs: [{ targets: ["${addr}"] }] }] }`);
    skipped.s.send([alert({ alertname: 'X' })]);
    await skipped.s.flush();
    expect(got).toEqual(['POST /api/v2/alerts']);
    expect(skipped.s.stats()).toMatchObject({ sent: 1, errors: 0 });
  });
});
