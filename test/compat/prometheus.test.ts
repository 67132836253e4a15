// Side by side with a real Prometheus: the same data is remote-written into Prometheus (the Debian
// package, 2.42) and into the real `strata server`, then every query of queries.ts is asked of
// both HTTP APIs — instant queries at two times and a range query — and the answers must agree
// within float tolerance. Differences that are Prometheus 2 vs 3 semantics, and engine bugs still
// being fixed, are listed with their reasons in known-differences.ts; anything else fails.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { encodeWriteRequest, postWrite } from '../helpers/remotewrite.ts';
import { startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';
import { compareResponses, type ApiResponse } from './compare.ts';
import { generateData, SPAN_MS } from './data.ts';
import { EXPECTED_FAILURES, findDifference, NOT_IN_PROMETHEUS_2, PROMETHEUS_2_DIFFERENCES, type Difference } from './known-differences.ts';
import { atQueries, buildQueries, type QueryCase } from './queries.ts';

interface Outcome {
  group: string;
  /** e.g. `instant@t1 rate(x[5m])` */
  label: string;
  expr: string;
  problem: string | null;
  /** What Prometheus answered: an error, an empty result, or data. */
  kind: 'error' | 'empty' | 'data';
}

function answerKind(r: ApiResponse): Outcome['kind'] {
  if (r.status !== 'success') return 'error';
  const res = r.data!.result;
  return Array.isArray(res) && res.length === 0 ? 'empty' : 'data';
}

const CONCURRENCY = 4;
const LISTS_WRITTEN_FOR = '2.42.';

async function ask(base: string, endpoint: string, params: Record<string, string>, method = 'POST'): Promise<ApiResponse> {
  const form = new URLSearchParams(params).toString();
  const r = method === 'GET'
    ? await fetch(`${base}${endpoint}?${form}`)
    : await fetch(`${base}${endpoint}`, { method, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
  const text = await r.text();
  try {
    return JSON.parse(text) as ApiResponse;
  } catch {
    return { status: 'error', errorType: `http_${r.status}`, error: text.slice(0, 200) };
  }
}

async function pool<T>(items: T[], n: number, f: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: n }, async () => {
    while (next < items.length) await f(items[next++]);
  }));
}

describe('side by side with Prometheus (Debian package, 2.42)', () => {
  let skipReason: string | null = null;
  let promVersion = '';
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let dir: string;
  const outcomes: Outcome[] = [];

  beforeAll(async () => {
    skipReason = await prometheusForComparison('the Prometheus comparison');
    if (skipReason) return;
    dir = tempDir('strata-compat-');
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, 'self_monitoring:\n  enabled: false\n');
    [prom, strata] = await Promise.all([
      startPrometheus(path.join(dir, 'prometheus')),
      startStrata({ dataDir: path.join(dir, 'strata'), args: ['--config', cfg] }),
    ]);
    promVersion = String(((await (await fetch(`${prom.url}/api/v1/status/buildinfo`)).json()) as { data: { version: string } }).data.version);

    const data = generateData(Date.now());
    // Two phases with a flush of Strata in between: its answers then come from blocks and the head
    // together, with series crossing the boundary (they must not depend on where data lives).
    const split = data.start + Math.round(SPAN_MS * 0.55);
    for (const phase of [(t: number) => t < split, (t: number) => t >= split]) {
      const part = data.series.map((x) => ({ labels: x.labels, samples: x.samples!.filter(([t]) => phase(t)) })).filter((x) => x.samples.length > 0);
      for (let i = 0; i < part.length; i += 40) {
        const body = encodeWriteRequest(part.slice(i, i + 40));
        const [a, b] = await Promise.all([postWrite(prom.url, body), postWrite(strata.url, body)]);
        if (a.status !== 204 && a.status !== 200) throw new Error(`prometheus refused the data: ${a.status} ${a.text}`);
        if (b.status !== 204) throw new Error(`strata refused the data: ${b.status} ${b.text}`);
      }
      if (phase(data.start)) {
        const f = await fetch(`${strata.url}/api/v1/admin/tsdb/flush`, { method: 'POST' });
        const flushed = (await f.json()) as { data: { samples: number } };
        if (f.status !== 200 || flushed.data.samples === 0) throw new Error(`strata flush failed: ${f.status} ${JSON.stringify(flushed)}`);
      }
    }

    // Query times ≡ 321 ms (mod 1 s); samples are ≡ 234 ms: no window boundary on a sample.
    const t1 = data.end + 30_087;
    const t2 = data.start + 27 * 60_000 + 87;
    const rangeStart = data.start + 12 * 60_000 + 87;
    const rangeEnd = data.end + 60_087;
    const sec = (ms: number) => (ms / 1000).toFixed(3);
    const cases: QueryCase[] = [...buildQueries(), ...atQueries(sec(data.start + 30 * 60_000 + 87))];
    const excluded = NOT_IN_PROMETHEUS_2.map((f) => new RegExp(`\\b${f.name}\\s*\\(`));
    const requests: { c: QueryCase; label: string; endpoint: string; params: Record<string, string> }[] = [];
    for (const c of cases) {
      if (excluded.some((re) => re.test(c.expr))) continue;
      requests.push({ c, label: 'instant@end', endpoint: '/api/v1/query', params: { query: c.expr, time: sec(t1) } });
      requests.push({ c, label: 'instant@mid', endpoint: '/api/v1/query', params: { query: c.expr, time: sec(t2) } });
      requests.push({ c, label: 'range/30s', endpoint: '/api/v1/query_range', params: { query: c.expr, start: sec(rangeStart), end: sec(rangeEnd), step: '30' } });
      // A step that divides nothing (97 s) over a window ending before the data does.
      requests.push({ c, label: 'range/97s', endpoint: '/api/v1/query_range', params: { query: c.expr, start: sec(rangeStart - 300_000), end: sec(t2 + 600_000), step: '97' } });
    }
    // The series and label endpoints over the whole data range (Prometheus lists what its head
    // holds for the range, Strata what has samples in it: over the data's full span they agree).
    const whole = { start: sec(data.start - 60_000), end: sec(data.end + 60_000) };
    for (const [endpoint, params] of [
      ['/api/v1/series', { 'match[]': 'http_requests_total{job="api"}' }],
      ['/api/v1/series', { 'match[]': '{__name__=~"up|build_info",instance="i2"}' }],
      ['/api/v1/series', { 'match[]': 'flappy_gauge' }],
      ['/api/v1/labels', {}],
      ['/api/v1/labels', { 'match[]': 'http_request_duration_seconds_bucket' }],
      ['/api/v1/label/__name__/values', {}],
      ['/api/v1/label/job/values', {}],
      ['/api/v1/label/le/values', { 'match[]': '{job="web"}' }],
      ['/api/v1/label/instance/values', { 'match[]': 'node_memory_free_bytes' }],
    ] as [string, Record<string, string>][]) {
      // GET: the label values endpoint takes no POST, in Prometheus as in Strata.
      const [a, b] = await Promise.all([ask(prom.url, endpoint, { ...params, ...whole }, 'GET'), ask(strata.url, endpoint, { ...params, ...whole }, 'GET')]);
      if (a.status !== 'success') throw new Error(`prometheus refused ${endpoint}: ${a.error}`);
      const norm = (r: ApiResponse) => JSON.stringify(((r as unknown as { data: unknown[] }).data ?? []).map((x) => JSON.stringify(x)).sort());
      const expr = `${endpoint} ${JSON.stringify(params)}`;
      outcomes.push({
        group: 'series and labels', label: expr, expr, kind: a.status === 'success' ? 'data' : 'error',
        problem: a.status !== b.status ? `status ${a.status} vs ${b.status}` : norm(a) === norm(b) ? null : `prometheus ${norm(a).slice(0, 300)}\n    strata ${norm(b).slice(0, 300)}`,
      });
    }

    await pool(requests, CONCURRENCY, async (r) => {
      const [a, b] = await Promise.all([ask(prom!.url, r.endpoint, r.params), ask(strata!.url, r.endpoint, r.params)]);
      // A range query of an expression that is not an instant vector or scalar is refused by both.
      outcomes.push({ group: r.c.group, label: `${r.label} ${r.c.expr}`, expr: r.c.expr, problem: compareResponses(a, b, r.c.ordered === true), kind: answerKind(a) });
    });
  }, 600_000); // mostly for installing Prometheus on a clean machine; a normal run takes ~20 s

  afterAll(async () => {
    await Promise.all([prom?.stop(), strata?.stop('SIGKILL')]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('loads the data into Prometheus as intended (staleness included)', async (ctx) => {
    if (skipReason) ctx.skip();
    const all = outcomes.length;
    expect(all).toBeGreaterThan(2000);
    const up = await ask(prom!.url, '/api/v1/query', { query: 'count(up)' });
    expect(up.data?.result).toMatchObject([{ value: [expect.any(Number), '6'] }]);
    // flappy_gauge went stale in the middle: Prometheus shows a gap, not 5 minutes of lookback.
    const flappy = await ask(prom!.url, '/api/v1/query', { query: 'count_over_time(flappy_gauge[50m])' });
    const n = (flappy.data!.result as { value: [number, string] }[]).map((x) => Number(x.value[1]));
    expect(n.every((c) => c > 100 && c < 180)).toBe(true);
  });

  it('answers byte for byte like Prometheus for plain results', async (ctx) => {
    if (skipReason) ctx.skip();
    const texts = async (endpoint: string, params: Record<string, string>) => Promise.all([prom!.url, strata!.url].map(async (u) => {
      const r = await fetch(`${u}${endpoint}?${new URLSearchParams(params)}`);
      return r.text();
    }));
    const t = String(Math.floor(Date.now() / 1000) - 600) + '.5';
    const cases: [string, Record<string, string>][] = [
      ['/api/v1/query', { query: 'up', time: t }],
      // (max, not sum: Prometheus 3 and Strata add with Kahan compensation, 2.42 does not, which
      // changes last digits; the values-within-tolerance comparison covers sums.)
      ['/api/v1/query', { query: 'max by (job) (rate(http_requests_total[5m]))', time: t }],
      ['/api/v1/query', { query: 'odd_values', time: t }],
      ['/api/v1/query', { query: 'scalar(sum(up))', time: t }],
      ['/api/v1/query', { query: 'scalar(up{instance="i0",job="api"}) * 1.5e-7', time: t }],
      ['/api/v1/query', { query: 'vector(1.5e-7) or vector(1e22)', time: t }],
      ['/api/v1/query', { query: 'vector(1e22) * 3', time: '1.05' }],
      ['/api/v1/query', { query: 'temperature_celsius[1m]', time: t }],
      ['/api/v1/query_range', { query: 'node_memory_free_bytes{instance="i1"} / 1e9', start: String(Number(t) - 300), end: t, step: '60' }],
    ];
    for (const [endpoint, params] of cases) {
      const [a, b] = await texts(endpoint, params);
      expect(b, params.query).toBe(a);
    }
  });

  it('reports the same cardinality as Prometheus on status/tsdb', async (ctx) => {
    if (skipReason) ctx.skip();
    type Status = { data: { headStats: { numSeries: number }; [k: string]: unknown } };
    const [a, b] = await Promise.all([prom!.url, strata!.url].map(async (u) => (await (await fetch(`${u}/api/v1/status/tsdb`)).json()) as Status));
    expect(a.data.headStats.numSeries).toBeGreaterThan(50);
    expect(b.data.headStats.numSeries).toBe(a.data.headStats.numSeries);
    for (const key of ['seriesCountByMetricName', 'labelValueCountByLabelName', 'memoryInBytesByLabelName', 'seriesCountByLabelValuePair']) {
      const pa = a.data[key] as { name: string; value: number }[];
      const pb = b.data[key] as { name: string; value: number }[];
      expect(pa.length, key).toBe(10);
      expect(pb.map((x) => x.value), key).toEqual(pa.map((x) => x.value));
      // Entries tied with the last one listed may be cut differently; the others must be the same.
      const cut = pa[pa.length - 1]?.value;
      const sure = (xs: { name: string; value: number }[]) => xs.filter((x) => x.value !== cut).map((x) => `${x.name}=${x.value}`).sort();
      expect(sure(pb), key).toEqual(sure(pa));
    }
  });

  it('describes itself with the fields Prometheus has (buildinfo, runtimeinfo, config)', async (ctx) => {
    if (skipReason) ctx.skip();
    for (const endpoint of ['/api/v1/status/buildinfo', '/api/v1/status/runtimeinfo', '/api/v1/status/config']) {
      const [a, b] = await Promise.all([prom!.url, strata!.url].map(async (u) => (await (await fetch(`${u}${endpoint}`)).json()) as { data: Record<string, unknown> }));
      for (const [k, v] of Object.entries(a.data)) expect(typeof b.data[k], `${endpoint} ${k}`).toBe(typeof v);
    }
  });

  it('refuses bad parameters with the same status and envelope as Prometheus', async (ctx) => {
    if (skipReason) ctx.skip();
    const cases: [string, Record<string, string>][] = [
      ['/api/v1/query_range', { query: 'up', end: '10', step: '1' }],
      ['/api/v1/query_range', { query: 'up', start: 'abc', end: '10', step: '1' }],
      ['/api/v1/query_range', { query: 'up', start: '10', end: '5', step: '1' }],
      ['/api/v1/query_range', { query: 'up', start: '1', end: '5', step: '0' }],
      ['/api/v1/query_range', { query: 'up', start: '1', end: '5', step: 'zz' }],
      ['/api/v1/query_range', { query: 'up', start: '0', end: '11001', step: '1' }],
      ['/api/v1/query', { query: 'up', time: 'yesterday' }],
      ['/api/v1/query', { query: 'up', time: '1', timeout: 'soon' }],
      ['/api/v1/series', { start: '1', end: '2' }],
    ];
    for (const [endpoint, params] of cases) {
      const [a, b] = await Promise.all([prom!.url, strata!.url].map(async (u) => {
        const r = await fetch(`${u}${endpoint}?${new URLSearchParams(params)}`);
        return { status: r.status, body: (await r.json()) as ApiResponse };
      }));
      // The query endpoints' messages are Prometheus' word for word; the series endpoint adds an
      // example to its message, so there only the status and error type must agree.
      if (endpoint.startsWith('/api/v1/query')) expect(b, JSON.stringify(params)).toEqual(a);
      else expect({ status: b.status, errorType: b.body.errorType }).toEqual({ status: a.status, errorType: a.body.errorType });
    }
  });

  const classify = (o: Outcome): 'identical' | 'prometheus2' | 'expected' | 'unexpected' => {
    if (o.problem === null) return 'identical';
    if (findDifference(PROMETHEUS_2_DIFFERENCES, o.expr)) return 'prometheus2';
    if (findDifference(EXPECTED_FAILURES, o.expr)) return 'expected';
    return 'unexpected';
  };

  const groups = ['series and labels', 'hand-written', 'edge cases', 'range functions', 'aggregations', 'elementwise functions', 'vector matching',
    'scalar operators', 'comparisons', 'set operators', 'selectors', 'subqueries', '@ modifier'];
  for (const g of groups) {
    it(`agrees on ${g}`, (ctx) => {
      if (skipReason) ctx.skip();
      const mine = outcomes.filter((o) => o.group === g);
      expect(mine.length).toBeGreaterThan(0);
      const bad = mine.filter((o) => classify(o) === 'unexpected').map((o) => `${o.label}\n    ${o.problem}`);
      expect(bad, `${bad.length} of ${mine.length} answers differ from Prometheus:\n${bad.slice(0, 40).join('\n')}`).toEqual([]);
    });
  }

  it('lists only differences that still occur, and reports the totals', (ctx) => {
    if (skipReason) ctx.skip();
    const stale = (list: Difference[]) => list.filter((d) => !outcomes.some((o) => o.problem !== null && findDifference([d], o.expr) === d));
    const counts = { identical: 0, prometheus2: 0, expected: 0, unexpected: 0 };
    for (const o of outcomes) counts[classify(o)]++;
    console.log(`Prometheus ${promVersion} comparison: ${outcomes.length} query answers compared (${new Set(outcomes.map((o) => o.expr)).size} queries); `
      + `${counts.identical} identical, ${counts.prometheus2} known Prometheus 2/3 differences, `
      + `${counts.expected} expected failures, ${counts.unexpected} unexpected differences; `
      + `Prometheus answered ${outcomes.filter((o) => o.kind === 'data').length} with data, `
      + `${outcomes.filter((o) => o.kind === 'empty').length} empty, ${outcomes.filter((o) => o.kind === 'error').length} with an error`);
    for (const o of outcomes) {
      const k = classify(o);
      if (k === 'prometheus2' || k === 'expected') console.log(`  [${k}] ${o.label}\n      ${o.problem}`);
    }
    // A comparison of empty answers proves little: most queries must find data.
    expect(outcomes.filter((o) => o.kind === 'data').length).toBeGreaterThan(outcomes.length * 0.8);
    // The lists were written against Prometheus 2.42 (Debian bookworm). Another Debian release
    // brings another Prometheus, which may already behave like 3 where 2.42 does not: there a list
    // entry that no longer occurs is reported, not failed. Unexpected differences fail regardless.
    const stale2 = stale(PROMETHEUS_2_DIFFERENCES).map((d) => String(d.match));
    if (promVersion.startsWith(LISTS_WRITTEN_FOR)) {
      expect(stale2, 'Prometheus 2/3 differences that no longer occur').toEqual([]);
    } else if (stale2.length > 0) {
      console.warn(`Prometheus ${promVersion} (lists written for ${LISTS_WRITTEN_FOR}x) no longer shows: ${stale2.join('; ')}`);
    }
    expect(stale(EXPECTED_FAILURES).map((d) => String(d.match)), 'expected failures that pass now: remove them').toEqual([]);
  });
});
