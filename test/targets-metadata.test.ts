// /api/v1/targets/metadata side by side: the real Prometheus 2.42 and the Strata server scrape the
// same exporters (text 0.0.4 and OpenMetrics) and must answer the same entries for every request:
// all of it, one metric, match_target selectors ({} and matchers on the target labels), limits,
// and the same errors for a bad limit or selector.
//
// Prometheus lists targets and families in Go map order, which changes from call to call (its
// scrape pools, their targets and each target's metadata are all maps), so answers are compared
// as sets; with a limit only the count is comparable (which target comes first is that order).
// Prometheus 3 answers this endpoint the same way (web/api/v1/api.go targetMetadata and the
// scrape cache's metadata are unchanged in 3.x).
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from './helpers/prometheus.ts';
import { getJson, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const TEXT = `# HELP a_total Counts a.
# TYPE a_total counter
a_total 1
# HELP g A gauge with \\\\ and \\n escaped.
# a comment line, not help
# TYPE g gauge
g{x="1"} 2
# TYPE u untyped
u 3
# HELP only_help Help only.
only_help 4
# TYPE h histogram
h_bucket{le="1"} 1
h_bucket{le="+Inf"} 2
h_sum 3
h_count 2
# TYPE s summary
s{quantile="0.5"} 1
s_sum 1
s_count 1
no_metadata 5
`;

const OPEN_METRICS = `# TYPE c_seconds counter
# HELP c_seconds A counter with a unit.
# UNIT c_seconds seconds
c_seconds_total 1
# TYPE i info
i_info{v="1"} 1
# TYPE st stateset
st{st="a"} 1
# TYPE gh gaugehistogram
gh_bucket{le="+Inf"} 1
gh_gcount 1
gh_gsum 1
# EOF
`;

const ENDPOINTS: Record<string, { type: string; body: string }> = {
  '/metrics': { type: 'text/plain; version=0.0.4', body: TEXT },
  '/om': { type: 'application/openmetrics-text; version=1.0.0; charset=utf-8', body: OPEN_METRICS },
};

// Families with metadata per target; a target's entries come from one scrape, all at once.
const FAMILIES = { text: 6, om: 4 };

interface Entry {
  target: Record<string, string>;
  metric?: string;
  type: string;
  help: string;
  unit: string;
}

const key = (e: Entry) => JSON.stringify([Object.entries(e.target).sort(), e.metric ?? null, e.type, e.help, e.unit]);
const asSet = (es: Entry[]) => es.map(key).sort();

let skip: string | null = null;
let exporter: http.Server;
let prom: PrometheusProcess | undefined;
let strata: StrataProcess | undefined;

beforeAll(async () => {
  skip = await prometheusForComparison('the /api/v1/targets/metadata comparison with Prometheus');
  if (skip !== null) return;
  exporter = http.createServer((req, res) => {
    const e = ENDPOINTS[req.url ?? ''];
    if (e === undefined) res.writeHead(404).end();
    else res.writeHead(200, { 'Content-Type': e.type }).end(e.body);
  });
  await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
  const port = (exporter.address() as AddressInfo).port;
  const yml = `global:
  scrape_interval: 1s
  scrape_timeout: 1s
scrape_configs:
  - job_name: text
    static_configs:
      - targets: ['127.0.0.1:${port}']
        labels: { env: prod }
      - targets: ['localhost:${port}']
        labels: { env: dev }
  - job_name: om
    metrics_path: /om
    static_configs:
      - targets: ['127.0.0.1:${port}']
`;
  const dir = tempDir('strata-targets-metadata-');
  prom = await startPrometheus(path.join(dir, 'prometheus'), 30_000, yml);
  // Without self-monitoring: Strata would list its own scrape as a target Prometheus has not.
  fs.writeFileSync(path.join(dir, 'strata.yml'), `self_monitoring: { enabled: false }\n${yml}`);
  strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
  // Both have scraped every target once: each target's families are all there.
  const complete = async (url: string) => {
    const r = await getJson(`${url}/api/v1/targets/metadata`);
    const per = new Map<string, number>();
    for (const e of r.body.data as Entry[]) per.set(JSON.stringify(e.target), (per.get(JSON.stringify(e.target)) ?? 0) + 1);
    return per.size === 3 && [...per.values()].sort().join() === [FAMILIES.om, FAMILIES.text, FAMILIES.text].sort().join();
  };
  await until('Prometheus to have scraped every target', () => complete(prom!.url), 30_000);
  await until('Strata to have scraped every target', () => complete(strata!.url), 30_000);
}, 120_000);

afterAll(async () => {
  await prom?.stop();
  await strata?.stop();
  exporter?.close();
});

describe('/api/v1/targets/metadata, side by side with Prometheus', () => {
  const both = async (params: string) => {
    const [p, s] = await Promise.all([getJson(`${prom!.url}/api/v1/targets/metadata?${params}`), getJson(`${strata!.url}/api/v1/targets/metadata?${params}`)]);
    return { p, s };
  };

  const requests = [
    '',
    'metric=g',
    'metric=c_seconds',
    'metric=no_metadata',
    'metric=h_bucket',
    'match_target=' + encodeURIComponent('{job="text"}'),
    'match_target=' + encodeURIComponent('{env=~"prod|"}'),
    'match_target=' + encodeURIComponent('{}'),
    'match_target=' + encodeURIComponent('{env=""}'),
    'match_target=' + encodeURIComponent('{__address__=~".+"}'),
    'match_target=' + encodeURIComponent('up'),
    'match_target=' + encodeURIComponent('{job="om"}') + '&metric=c_seconds',
    'limit=-1',
    'limit=0',
  ];
  it.each(requests)('answers ?%s as Prometheus does', async (params) => {
    if (skip !== null) return;
    const { p, s } = await both(params);
    expect(s.status).toBe(p.status);
    expect(s.body.status).toBe('success');
    expect(asSet(s.body.data)).toEqual(asSet(p.body.data));
  });

  it('checks the limit per target, as Prometheus: a target is listed whole', async () => {
    if (skip !== null) return;
    // Which target comes first is Go's map order in Prometheus, so only the number of targets
    // listed compares, for limits where it does not depend on the order: targets have 4 or 6
    // entries, so a limit of 1 takes one target, 7 two and 13 three.
    for (const [limit, targets] of [[1, 1], [7, 2], [13, 3]]) {
      const { p, s } = await both(`limit=${limit}`);
      const listed = (es: Entry[]) => new Set(es.map((e) => JSON.stringify(e.target))).size;
      expect(listed(p.body.data)).toBe(targets);
      expect(listed(s.body.data)).toBe(targets);
    }
  });

  // [request, and where Strata's error differs from 2.42's: what it says and why]
  const ANCHORED = 'Prometheus 3 differs from 2.42 here: 2.42 compiled "^(?:" + value + ")$" first and names that in the error; Prometheus 3 parses the bare value (see test/compat/regex-errors.test.ts)';
  it.each<[string, { error: string; why: string }?]>([
    ['limit=x'],
    ['limit=1.5'],
    ['limit=99999999999999999999'],
    ['limit='],
    ['match_target=' + encodeURIComponent('{job=')],
    ['match_target=' + encodeURIComponent('{job="a"')],
    ['match_target=' + encodeURIComponent('{job=~"("}'), { error: 'invalid parameter "match_target": 1:2: parse error: error parsing regexp: missing closing ): `(`', why: ANCHORED }],
    ['match_target=' + encodeURIComponent('up{')],
    ['match_target=' + encodeURIComponent('foo{__name__="bar"}')],
    // Strata says what it got instead of Prometheus' `1:4: parse error: unexpected "("` (the
    // series selector parser's wording for match[] too): status and error type compare.
    ['match_target=' + encodeURIComponent('sum(up)'), { error: 'invalid parameter "match_target": 1:1: parse error: expected a series selector (a metric name and/or label matchers), got an aggregation', why: 'Strata words a non-selector as match[]' }],
  ])('refuses or takes ?%s as Prometheus does', async (params, v3) => {
    if (skip !== null) return;
    const { p, s } = await both(params);
    expect(s.status).toBe(p.status);
    if (p.body.status !== 'error') {
      expect(asSet(s.body.data)).toEqual(asSet(p.body.data));
    } else if (v3 !== undefined) {
      expect(s.body).toEqual({ ...p.body, error: v3.error });
      expect(p.body.error, v3.why).not.toBe(v3.error);
    } else {
      expect(s.body).toEqual(p.body);
    }
  });
});
