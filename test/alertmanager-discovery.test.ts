// Alertmanagers found by file_sd and relabel_configs, side by side with Prometheus 2.42 on the same
// prometheus.yml: both list the same active and dropped Alertmanagers in /api/v1/alertmanagers and
// post the rules' alerts to the same URLs, with the same labels after alert_relabel_configs.
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusProcess } from './helpers/prometheus.ts';
import { startSenderSideBySide } from './helpers/alertsender-side-by-side.ts';
import { getJson, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

interface Post {
  /** "prometheus" or "strata", from the User-Agent. */
  from: string;
  url: string;
  labels: Record<string, string>[];
}

const posts: Post[] = [];
const servers: Server[] = [];

/** An Alertmanager stand-in recording who posted what where. */
async function receiver(): Promise<string> {
  const srv = createServer((req, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      const from = /^Prometheus\//.test(req.headers['user-agent'] ?? '') ? 'prometheus' : 'strata';
      const alerts = req.method === 'POST' ? JSON.parse(b) as { labels: Record<string, string> }[] : [];
      posts.push({ from, url: `${req.method} ${req.url}`, labels: alerts.map((a) => a.labels) });
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  servers.push(srv);
  return `127.0.0.1:${(srv.address() as AddressInfo).port}`;
}

const RULES = `
groups:
  - name: g
    interval: 1s
    rules:
      - { alert: Paging, expr: vector(1), labels: { severity: page } }
      - { alert: Quiet, expr: vector(1), labels: { severity: none } }
`;

// path_prefix without a leading slash; the west group's path rewritten; targets dropped; alerts
// relabelled and one of them dropped.
const prometheusYml = `
global:
  evaluation_interval: 1s
  external_labels: { dc: eu1 }
rule_files: [rules.yml]
alerting:
  alert_relabel_configs:
    - { source_labels: [severity], regex: none, action: drop }
    - { source_labels: [dc], target_label: region, replacement: "r-$1" }
  alertmanagers:
    - path_prefix: 1am
      timeout: 2s
      file_sd_configs: [{ files: [am.json] }]
      relabel_configs:
        - { source_labels: [__address__], regex: "127.0.0.1:[12]", action: drop }
        - { source_labels: [zone, __meta_filepath], regex: "west;.*am.json", target_label: __alerts_path__, replacement: /west/api/v2/alerts }
`;

describe('Alertmanager discovery side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;
  let east: string;
  let west: string;

  beforeAll(async () => {
    dir = tempDir('strata-am-discovery-');
    east = await receiver();
    west = await receiver();
    fs.writeFileSync(path.join(dir, 'rules.yml'), RULES);
    fs.writeFileSync(path.join(dir, 'am.json'), JSON.stringify([
      { targets: [east, '127.0.0.1:1', 'localhost'], labels: { zone: 'east' } },
      { targets: [west], labels: { zone: 'west' } },
      // A group's __scheme__ label: Prometheus 3 lets it override the configured scheme, 2.42 does not.
      { targets: ['127.0.0.1:2'], labels: { zone: 'x', __scheme__: 'https' } },
    ]));
    // Prometheus' file beside Strata's, so am.json and rules.yml are the same files.
    ({ strata, prom, skip } = await startSenderSideBySide(dir, prometheusYml));
  }, 120_000);

  afterAll(async () => {
    await strata?.stop();
    await prom?.stop();
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const expectedActive = () => [`http://${east}/1am/api/v2/alerts`, `http://${west}/west/api/v2/alerts`].sort();
  type List = { activeAlertmanagers: { url: string }[]; droppedAlertmanagers: { url: string }[] };
  const urls = (d: List) => ({ active: d.activeAlertmanagers.map((a) => a.url).sort(), dropped: d.droppedAlertmanagers.map((a) => a.url).sort() });

  it('lists the discovered Alertmanagers, and the dropped ones with their URL before relabelling', async () => {
    const ours = await until('Strata\'s Alertmanagers', async () => {
      const r = await getJson(`${strata.url}/api/v1/alertmanagers`);
      return r.body.data.activeAlertmanagers.length === 3 ? r.body : undefined;
    });
    expect(ours.status).toBe('success');
    expect(urls(ours.data)).toEqual({
      active: [...expectedActive(), 'http://localhost/1am/api/v2/alerts'].sort(),
      dropped: ['http://127.0.0.1:1/1am/api/v2/alerts', 'https://127.0.0.1:2/1am/api/v2/alerts'],
    });
    if (skip) return;
    // Prometheus hands discovered Alertmanagers to its notifier every 5 s.
    const theirs = await until('Prometheus\' Alertmanagers', async () => {
      const r = await getJson(`${prom!.url}/api/v1/alertmanagers`);
      return r.body.data.activeAlertmanagers.length === 3 ? r.body : undefined;
    }, 20_000);
    // Where Prometheus 3 differs from 2.42, Strata follows 3: a group's __scheme__ label overrides
    // the configured scheme (2.42 keeps the configured one). An address without a port stays
    // without one in both.
    expect(urls(theirs.data).dropped).toContain('http://127.0.0.1:2/1am/api/v2/alerts');
    const as3 = (l: { active: string[]; dropped: string[] }) => ({
      active: l.active,
      dropped: l.dropped.map((u) => u.replace('http://127.0.0.1:2/', 'https://127.0.0.1:2/')).sort(),
    });
    expect(urls(ours.data)).toEqual(as3(urls(theirs.data)));
  }, 30_000);

  it('posts the same alerts to the same URLs', async () => {
    // localhost:80 (or without a port, Strata's) refuses the connection: no post arrives from there.
    const seen = (from: string) => [...new Set(posts.filter((p) => p.from === from).map((p) => p.url))].sort();
    const want = expectedActive().map((u) => `POST ${new URL(u).pathname}`).sort();
    await until('Strata\'s posts', () => seen('strata').length === 2);
    expect(seen('strata')).toEqual(want);
    const labels = (from: string) => posts.find((p) => p.from === from)!.labels;
    expect(labels('strata')).toEqual([{ alertname: 'Paging', severity: 'page', dc: 'eu1', region: 'r-eu1' }]);
    if (skip) return;
    await until('Prometheus\' posts', () => seen('prometheus').length === 2, 20_000);
    expect(seen('strata')).toEqual(seen('prometheus'));
    expect(labels('strata')).toEqual(labels('prometheus'));
  }, 30_000);
});
