// The alert sender's prometheus_notifications_* metrics side by side with Prometheus 2.42 sending
// the same rules' alerts to the same Alertmanager stand-ins (one of which fails): the same families,
// types, help texts and label sets in /metrics, the same queue capacity and Alertmanagers
// discovered. Strata counts errors_total and sent_total as Prometheus 3 does, which 2.42 did not:
// the differences are spelled out below.
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PrometheusProcess } from './helpers/prometheus.ts';
import { startSenderSideBySide } from './helpers/alertsender-side-by-side.ts';
import { tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const servers: Server[] = [];

/** An Alertmanager stand-in answering every post with `status`. */
async function alertmanager(status: number): Promise<string> {
  const srv = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.statusCode = status;
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
      # One rule, two alerts: they are queued together, so every post carries both.
      - alert: A
        expr: label_replace(vector(1), "x", "1", "", "") or label_replace(vector(1), "x", "2", "", "")
`;

interface Family {
  help: string;
  type: string;
  /** Sample name with its labels (quantile left out) -> value. */
  samples: Map<string, number>;
}

/** The prometheus_notifications_* families of a /metrics text, labels in name order. */
function families(text: string): Map<string, Family> {
  const out = new Map<string, Family>();
  const fam = (name: string) => {
    let f = out.get(name);
    if (!f) out.set(name, (f = { help: '', type: '', samples: new Map() }));
    return f;
  };
  for (const line of text.split('\n')) {
    let m = /^# (HELP|TYPE) (prometheus_notifications_\S+) (.*)$/.exec(line);
    if (m) {
      fam(m[2])[m[1] === 'HELP' ? 'help' : 'type'] = m[3];
      continue;
    }
    m = /^(prometheus_notifications_[a-z_]+?)(_sum|_count)?(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = (m[3] ?? '').split(/,(?=[a-z_]+=")/).filter((l) => l !== '' && !l.startsWith('quantile=')).sort();
    const base = out.has(m[1]) || !m[2] ? m[1] : `${m[1]}${m[2]}`;
    fam(base).samples.set(`${m[1]}${m[2] ?? ''}{${labels.join(',')}}`, Number(m[4]));
  }
  return out;
}

describe('prometheus_notifications_* side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;
  let ok: string;
  let failing: string;

  beforeAll(async () => {
    dir = tempDir('strata-notifications-metrics-');
    ok = await alertmanager(200);
    failing = await alertmanager(500);
    fs.writeFileSync(path.join(dir, 'rules.yml'), RULES);
    const prometheusYml = `
global: { evaluation_interval: 1s }
rule_files: [rules.yml]
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["${ok}", "${failing}"] }]
    - path_prefix: other
      static_configs: [{ targets: ["${ok}"] }]
`;
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

  const okURL = () => `http://${ok}/api/v2/alerts`;
  const failingURL = () => `http://${failing}/api/v2/alerts`;
  const otherURL = () => `http://${ok}/other/api/v2/alerts`;
  const am = (url: string) => `{alertmanager="${url}"}`;
  const metricsOf = async (url: string) => families(await (await fetch(`${url}/metrics`)).text());
  /** /metrics once each Alertmanager has answered a post: the failing one refused, the others took. */
  const afterSends = (url: string, timeoutMs: number) => until(`posts answered in ${url}/metrics`, async () => {
    const f = await metricsOf(url);
    const get = (name: string, u: string) => f.get(name)?.samples.get(`${name}${am(u)}`) ?? 0;
    const answered = [okURL(), failingURL(), otherURL()].every((u) => (f.get('prometheus_notifications_latency_seconds')?.samples.get(`prometheus_notifications_latency_seconds_count${am(u)}`) ?? 0) > 0);
    const errors = get('prometheus_notifications_errors_total', failingURL());
    const taken = get('prometheus_notifications_sent_total', okURL()) > 0 && get('prometheus_notifications_sent_total', otherURL()) > 0;
    return answered && errors > 0 && taken ? f : undefined;
  }, timeoutMs);

  it('exposes the same families, types, help texts and series, counting as Prometheus 3', async () => {
    const ours = await afterSends(strata.url, 30_000);
    const urls = [failingURL(), okURL(), otherURL()].sort();
    const series = (f: Map<string, Family>, name: string) => [...(f.get(name)?.samples.keys() ?? [])].sort();
    expect(series(ours, 'prometheus_notifications_sent_total')).toEqual(urls.map((u) => `prometheus_notifications_sent_total${am(u)}`));
    expect(series(ours, 'prometheus_notifications_errors_total')).toEqual(urls.map((u) => `prometheus_notifications_errors_total${am(u)}`));
    expect(series(ours, 'prometheus_notifications_latency_seconds')).toEqual(urls.flatMap((u) => [
      `prometheus_notifications_latency_seconds${am(u)}`, `prometheus_notifications_latency_seconds_count${am(u)}`, `prometheus_notifications_latency_seconds_sum${am(u)}`,
    ]).sort());
    const value = (f: Map<string, Family>, sample: string) => f.get(sample.replace(/\{.*$/, '').replace(/_(count|sum)$/, ''))?.samples.get(sample);
    expect(value(ours, 'prometheus_notifications_queue_capacity{}')).toBe(10000);
    expect(value(ours, 'prometheus_notifications_alertmanagers_discovered{}')).toBe(3);
    // As Prometheus 3: alerts, and sent only what was taken. Each post carries the rule's 2 alerts.
    const failedPosts = value(ours, `prometheus_notifications_latency_seconds_count${am(failingURL())}`)!;
    expect(value(ours, `prometheus_notifications_errors_total${am(failingURL())}`)).toBe(2 * failedPosts);
    expect(value(ours, `prometheus_notifications_sent_total${am(failingURL())}`)).toBe(0);
    expect(value(ours, `prometheus_notifications_errors_total${am(okURL())}`)).toBe(0);

    if (skip) return;
    // Prometheus hands discovered Alertmanagers to its notifier every 5 s.
    const theirs = await afterSends(prom!.url, 30_000);
    expect([...ours.keys()].sort()).toEqual([...theirs.keys()].sort());
    for (const [name, f] of theirs) {
      expect(ours.get(name)!.type, name).toBe(f.type);
      // 2.42's help text for errors_total; Prometheus 3 counts alerts and says so.
      if (name === 'prometheus_notifications_errors_total') {
        expect(f.help).toBe('Total number of errors sending alert notifications.');
        expect(ours.get(name)!.help).toBe('Total number of sent alerts affected by errors.');
      } else expect(ours.get(name)!.help, name).toBe(f.help);
      expect([...ours.get(name)!.samples.keys()].sort(), name).toEqual([...f.samples.keys()].sort());
    }
    expect(value(theirs, 'prometheus_notifications_queue_capacity{}')).toBe(10000);
    expect(value(theirs, 'prometheus_notifications_alertmanagers_discovered{}')).toBe(3);
    // 2.42 counted failed posts in errors_total and every alert posted in sent_total, taken or not.
    // (It updates the three one after the other: a scrape in between sees one post apart.)
    const theirFailedPosts = value(theirs, `prometheus_notifications_latency_seconds_count${am(failingURL())}`)!;
    expect(Math.abs(value(theirs, `prometheus_notifications_errors_total${am(failingURL())}`)! - theirFailedPosts)).toBeLessThanOrEqual(1);
    expect(Math.abs(value(theirs, `prometheus_notifications_sent_total${am(failingURL())}`)! - 2 * theirFailedPosts)).toBeLessThanOrEqual(2);
  }, 90_000);
});
