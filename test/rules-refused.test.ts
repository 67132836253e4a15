// Rule results the storage refuses, side by side with Prometheus 2.42 on the same rules: two
// recording rules writing one series with different values (duplicate sample for timestamp), and
// a rule whose series was pushed ahead of it by remote write (out of order sample). Both keep the
// rules' other results, and /api/v1/rules shows the same health and lastError for every rule.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from './helpers/prometheus.ts';
import { writeSeries } from './helpers/remotewrite.ts';
import { getJson, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const RULES = `
groups:
  - name: g
    interval: 1s
    rules:
      - record: dup
        expr: vector(1)
      - record: dup
        expr: label_replace(vector(2), "x", "other", "", "") or vector(2)
      - record: ahead
        expr: label_replace(vector(1), "k", "a", "", "") or label_replace(vector(1), "k", "b", "", "")
      - record: fine
        expr: vector(3)
`;

const prometheusYml = `
global: { evaluation_interval: 1s }
rule_files: [rules.yml]
`;

interface RuleState {
  name: string;
  health: string;
  lastError?: string;
}

describe('rule results the storage refuses, side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;

  beforeAll(async () => {
    dir = tempDir('strata-rules-refused-');
    fs.writeFileSync(path.join(dir, 'rules.yml'), RULES);
    fs.writeFileSync(path.join(dir, 'strata.yml'), `${prometheusYml}
notifier: { enabled: false }
self_monitoring: { enabled: false }
`);
    strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
    skip = await prometheusForComparison('the Prometheus comparison');
    if (!skip) prom = await startPrometheus(dir, 30_000, prometheusYml);
    // ahead{k="a"} 5 minutes ahead of the clock: the rule's samples for it are out of order from now on.
    const ahead = [{ labels: { __name__: 'ahead', k: 'a' }, samples: [[Date.now() + 300_000, 99]] as [number, number][] }];
    expect((await writeSeries(strata.url, ahead)).status).toBe(204);
    if (prom) expect((await writeSeries(prom.url, ahead)).status).toBe(204);
  }, 120_000);

  afterAll(async () => {
    await strata?.stop();
    await prom?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  /** The rules' states once an evaluation after the push has run (the ahead rule refused). */
  const states = (url: string) => until(`${url}'s rules evaluated after the push`, async () => {
    const rules: RuleState[] = (await getJson(`${url}/api/v1/rules`)).body.data.groups[0].rules;
    return rules[2].health === 'err' ? rules.map((r) => ({ name: r.name, health: r.health, lastError: r.lastError })) : undefined;
  }, 20_000);

  /** The stored series of a metric now, with their values. */
  const values = async (url: string, expr: string) => {
    const r = await getJson(`${url}/api/v1/query?${query({ query: expr })}`);
    return Object.fromEntries((r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
      .map((s) => [JSON.stringify(s.metric), s.value[1]]));
  };

  it('keeps the other results and shows the storage\'s error as the rule\'s lastError', async () => {
    const ours = await states(strata.url);
    expect(ours).toEqual([
      // lastError left out when there is none, as Prometheus leaves it out.
      { name: 'dup', health: 'ok' },
      { name: 'dup', health: 'err', lastError: 'duplicate sample for timestamp' },
      { name: 'ahead', health: 'err', lastError: 'out of order sample' },
      { name: 'fine', health: 'ok' },
    ]);
    // The first rule's dup stays, the second rule's other series is stored; ahead{k="b"} too.
    expect(await values(strata.url, 'dup')).toEqual({ '{"__name__":"dup"}': '1', '{"__name__":"dup","x":"other"}': '2' });
    expect(await values(strata.url, 'ahead{k="b"}')).toEqual({ '{"__name__":"ahead","k":"b"}': '1' });
    if (skip) return;
    expect(ours).toEqual(await states(prom!.url));
    expect(await values(strata.url, 'dup')).toEqual(await values(prom!.url, 'dup'));
    expect(await values(strata.url, 'ahead{k="b"}')).toEqual(await values(prom!.url, 'ahead{k="b"}'));
  }, 60_000);
});
