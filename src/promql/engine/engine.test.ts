import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labelsToString, type Labels } from '../../model/index.ts';
import type { Querier } from '../../tsdb/index.ts';
import { FUNCTIONS, registerFunction } from '../functions/registry.ts';
import type { RangeArg } from '../functions/types.ts';
import { Engine, PromQLError, type QueryValue } from './index.ts';
import { loadTestDB, ramp, type TestDB } from './testdata.ts';

// A stand-in for count_over_time that reports what the engine hands a range argument at each
// step (the grammar only knows Prometheus' function names), so tests see the windows themselves
// independent of the real implementation.
const realCountOverTime = FUNCTIONS.get('count_over_time');
registerFunction({
  name: 'count_over_time',
  argTypes: ['range'],
  returnType: 'instant',
  call(args) {
    const r = args[0] as RangeArg;
    return { labels: r.labels, values: r.values.map((v) => v.length) };
  },
});

let tdb: TestDB;
let q: Querier;
const engine = new Engine();

beforeAll(async () => {
  tdb = await loadTestDB({
    // every 30s from 0 to 10m
    'm{job="a",instance="1"}': ramp(0, 30, 21, 0, 1),
    'm{job="a",instance="2"}': ramp(0, 30, 21, 0, 2),
    'm{job="b",instance="1"}': ramp(0, 30, 21, 100, 0),
    // one sample at 0 and a stale marker at 60s
    'gone{job="a"}': [[0, 5], [60, 'stale']],
    // for matching
    'left{job="a",instance="1",color="red"}': [[0, 10]],
    'left{job="a",instance="2",color="blue"}': [[0, 20]],
    'right{job="a",owner="x"}': [[0, 2]],
    'right{job="b",owner="y"}': [[0, 3]],
    'dup{job="a",instance="1"}': [[0, 1]],
    'dup{job="a",instance="2"}': [[0, 1]],
    'sparse{job="s"}': [[0, 1], [400, 2]],
    // stale between 60s and 120s, then back
    'flap{job="f"}': [[0, 1], [30, 2], [60, 'stale'], [120, 3], [150, 4]],
  });
  q = tdb.db.querier();
});

afterAll(async () => {
  if (realCountOverTime !== undefined) registerFunction(realCountOverTime);
  await tdb.close();
});

type Row = [string, number];

function rows(v: QueryValue): Row[] {
  if (v.type !== 'vector') throw new Error(`expected a vector, got ${v.type}`);
  return v.samples.map((s) => [labelsToString(s.labels), s.v]);
}

async function instant(expr: string, tS: number): Promise<Row[]> {
  return rows((await engine.instantQuery(q, expr, tS * 1000)).value);
}

async function failure(p: Promise<unknown>): Promise<PromQLError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(PromQLError);
    return e as PromQLError;
  }
  throw new Error('expected the query to fail');
}

describe('selectors', () => {
  it('selects the newest sample in the left-open lookback window', async () => {
    expect(await instant('m{job="a"}', 45)).toEqual([['m{instance="1", job="a"}', 1], ['m{instance="2", job="a"}', 2]]);
    // sparse has samples at 0 and 400: at 300 the one at 0 is exactly lookback old and excluded.
    expect(await instant('sparse', 299)).toEqual([['sparse{job="s"}', 1]]);
    expect(await instant('sparse', 300)).toEqual([]);
    expect(await instant('sparse', 400)).toEqual([['sparse{job="s"}', 2]]);
  });

  it('ends a series at its stale marker', async () => {
    expect(await instant('gone', 59)).toEqual([['gone{job="a"}', 5]]);
    expect(await instant('gone', 60)).toEqual([]);
    expect(await instant('gone', 200)).toEqual([]);
  });

  it('applies offset and @ (including start() and end())', async () => {
    expect(await instant('m{job="a",instance="1"} offset 1m', 300)).toEqual([['m{instance="1", job="a"}', 8]]);
    expect(await instant('m{job="a",instance="1"} offset -1m', 300)).toEqual([['m{instance="1", job="a"}', 12]]);
    expect(await instant('m{job="a",instance="1"} @ 90', 600)).toEqual([['m{instance="1", job="a"}', 3]]);
    const r = await engine.rangeQuery(q, 'm{job="a",instance="1"} @ start()', 60_000, 120_000, 30_000);
    expect(r.value.type).toBe('matrix');
    if (r.value.type === 'matrix') expect([...r.value.series[0].values]).toEqual([2, 2, 2]);
    const e = await engine.rangeQuery(q, 'm{job="a",instance="1"} @ end()', 60_000, 120_000, 30_000);
    if (e.value.type === 'matrix') expect([...e.value.series[0].values]).toEqual([4, 4, 4]);
  });

  it('returns range selectors in instant queries as left-open windows without stale markers', async () => {
    const r = await engine.instantQuery(q, 'm{job="a",instance="1"}[1m]', 60_000);
    expect(r.value.type).toBe('matrix');
    if (r.value.type !== 'matrix') return;
    expect([...r.value.series[0].timestamps]).toEqual([30_000, 60_000]);
    const g = await engine.instantQuery(q, 'gone[5m]', 100_000);
    if (g.value.type === 'matrix') expect(g.value.series.map((s) => [...s.values])).toEqual([[5]]);
  });

  it('follows a series through a stale marker and back in a range query', async () => {
    const r = await engine.rangeQuery(q, 'flap', 0, 180_000, 30_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    expect([...r.value.series[0].timestamps]).toEqual([0, 30_000, 120_000, 150_000, 180_000]);
    expect([...r.value.series[0].values]).toEqual([1, 2, 3, 4, 4]);
  });

  it('gives timestamp() the timestamps of the samples found, not the step time', async () => {
    expect(await instant('timestamp(m{job="b"})', 75)).toEqual([['{instance="1", job="b"}', 60]]);
    expect(await instant('timestamp(m{job="b"} * 1)', 75)).toEqual([['{instance="1", job="b"}', 75]]);
  });

  it('keeps the order of sort functions and sorts everything else by labels', async () => {
    expect((await instant('sort_desc(m)', 60)).map((r) => r[1])).toEqual([100, 4, 2]);
    expect((await instant('sort(m)', 60)).map((r) => r[1])).toEqual([2, 4, 100]);
    expect((await instant('m * 1', 60)).map((r) => r[0])).toEqual(['{instance="1", job="a"}', '{instance="1", job="b"}', '{instance="2", job="a"}']);
  });

  it('hands functions per-step windows of a range selector', async () => {
    const r = await engine.rangeQuery(q, 'count_over_time(m{job="b"}[1m])', 0, 120_000, 60_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    // (−60s, 0] holds 1 sample, (0, 60] and (60, 120] hold 2 each.
    expect([...r.value.series[0].values]).toEqual([1, 2, 2]);
    expect(labelsToString(r.value.series[0].labels)).toBe('{instance="1", job="b"}');
  });
});

describe('aggregations', () => {
  it('sums, averages and counts by and without labels', async () => {
    expect(await instant('sum by (job) (m)', 60)).toEqual([['{job="a"}', 6], ['{job="b"}', 100]]);
    expect(await instant('sum without (instance) (m)', 60)).toEqual([['{job="a"}', 6], ['{job="b"}', 100]]);
    expect(await instant('avg(m)', 60)).toEqual([['{}', 106 / 3]]);
    expect(await instant('count by (instance) (m)', 60)).toEqual([['{instance="1"}', 2], ['{instance="2"}', 1]]);
    expect(await instant('max(m)', 60)).toEqual([['{}', 100]]);
    expect(await instant('min(m)', 60)).toEqual([['{}', 2]]);
    expect(await instant('group by (job) (m)', 60)).toEqual([['{job="a"}', 1], ['{job="b"}', 1]]);
    expect(await instant('stdvar(m{job="a"})', 60)).toEqual([['{}', 1]]);
    expect(await instant('sum by (__name__) (m)', 60)).toEqual([['m', 106]]);
    // As Prometheus: the first value only sets the mean, so one NaN has no spread.
    expect(await instant('stdvar(vector(NaN))', 60)).toEqual([['{}', 0]]);
    expect(await instant('stddev(vector(NaN) or vector(1))', 60)).toEqual([['{}', 0]]);
  });

  it('orders topk/bottomk results by value and keeps series labels', async () => {
    expect(await instant('topk(2, m)', 60)).toEqual([['m{instance="1", job="b"}', 100], ['m{instance="2", job="a"}', 4]]);
    expect(await instant('bottomk(1, m)', 60)).toEqual([['m{instance="1", job="a"}', 2]]);
    expect(await instant('topk by (job) (1, m)', 60)).toEqual([['m{instance="2", job="a"}', 4], ['m{instance="1", job="b"}', 100]]);
  });

  it('computes quantile and count_values', async () => {
    expect(await instant('quantile(0.5, m)', 60)).toEqual([['{}', 4]]);
    expect(await instant('count_values("v", dup)', 0)).toEqual([['{v="1"}', 2]]);
    expect(await instant('count_values without (instance) ("v", dup)', 0)).toEqual([['{job="a", v="1"}', 2]]);
    expect(await instant('count_values by (instance) ("v", m{job="a"})', 60)).toEqual([['{instance="1", v="2"}', 1], ['{instance="2", v="4"}', 1]]);
    expect(await instant('limitk(1, m{job="a"})', 60)).toHaveLength(1);
    const all = await instant('limit_ratio(1, m)', 60);
    const some = await instant('limit_ratio(0.5, m)', 60);
    const rest = await instant('limit_ratio(-0.5, m)', 60);
    expect(all).toHaveLength(3);
    expect(some.length + rest.length).toBe(3);
  });
});

describe('binary operators', () => {
  it('follows precedence and associativity', async () => {
    expect((await engine.instantQuery(q, '2 + 3 * 2 ^ 3 ^ 0.5', 0)).value).toMatchObject({ type: 'scalar', v: 2 + 3 * 2 ** (3 ** 0.5) });
    expect((await engine.instantQuery(q, '-2 ^ 2', 0)).value).toMatchObject({ type: 'scalar', v: -4 });
    expect((await engine.instantQuery(q, '1 < bool 2', 0)).value).toMatchObject({ type: 'scalar', v: 1 });
  });

  it('drops the metric name for arithmetic, keeps it for filters', async () => {
    expect(await instant('m{job="a"} * 2', 60)).toEqual([['{instance="1", job="a"}', 4], ['{instance="2", job="a"}', 8]]);
    expect(await instant('m > 3', 60)).toEqual([['m{instance="1", job="b"}', 100], ['m{instance="2", job="a"}', 4]]);
    expect(await instant('3 < m{job="a"}', 60)).toEqual([['m{instance="2", job="a"}', 4]]);
    expect(await instant('m{job="a"} > bool 3', 60)).toEqual([['{instance="1", job="a"}', 0], ['{instance="2", job="a"}', 1]]);
    expect(await instant('-m{job="b"}', 60)).toEqual([['{instance="1", job="b"}', -100]]);
  });

  it('matches one-to-one and many-to-one with extra labels', async () => {
    expect(await instant('m{job="a"} - on(instance) m{job="b"}', 60)).toEqual([['{instance="1"}', -98]]);
    expect(await instant('m{job="a"} / ignoring(job) m{job="b"}', 60)).toEqual([['{instance="1"}', 0.02]]);
    expect(await instant('left * on(job) group_left(owner) right', 0)).toEqual([
      ['{color="blue", instance="2", job="a", owner="x"}', 40],
      ['{color="red", instance="1", job="a", owner="x"}', 20],
    ]);
    expect(await instant('right * on(job) group_right left', 0)).toEqual([
      ['{color="blue", instance="2", job="a"}', 40],
      ['{color="red", instance="1", job="a"}', 20],
    ]);
  });

  it('refuses ambiguous matches with Prometheus\' messages', async () => {
    const e = await failure(engine.instantQuery(q, 'right * on(job) left', 0));
    expect(e.errorType).toBe('execution');
    expect(e.message).toBe(
      'found duplicate series for the match group {job="a"} on the right hand-side of the operation: ' +
        '[{__name__="left", color="red", instance="1", job="a"}, {__name__="left", color="blue", instance="2", job="a"}]' +
        ';many-to-many matching not allowed: matching labels must be unique on one side',
    );
    const l = await failure(engine.instantQuery(q, 'left * on(job) group_right right', 0));
    expect(l.message).toContain('on the left hand-side of the operation');
    const d = await failure(engine.instantQuery(q, '{__name__=~"m|dup", instance="1", job="a"} * on(job) group_left right', 0));
    expect(d.message).toBe('multiple matches for matching labels grouping labels must ensure unique matches');
    const v = await failure(engine.instantQuery(q, '{__name__=~"m|dup", instance="1", job="a"} * 1', 0));
    expect(v.message).toBe('vector cannot contain metrics with the same labelset');
  });

  it('implements and, or, unless by signature', async () => {
    expect(await instant('m and on(instance) dup', 60)).toEqual([
      ['m{instance="1", job="a"}', 2], ['m{instance="1", job="b"}', 100], ['m{instance="2", job="a"}', 4],
    ]);
    expect(await instant('m unless on(job) right{job="b"}', 60)).toEqual([['m{instance="1", job="a"}', 2], ['m{instance="2", job="a"}', 4]]);
    expect(await instant('right or left', 0)).toEqual([
      ['left{color="blue", instance="2", job="a"}', 20], ['left{color="red", instance="1", job="a"}', 10],
      ['right{job="a", owner="x"}', 2], ['right{job="b", owner="y"}', 3],
    ]);
    expect(await instant('right or on(job) left', 0)).toEqual([['right{job="a", owner="x"}', 2], ['right{job="b", owner="y"}', 3]]);
  });
});

describe('subqueries', () => {
  it('evaluates at absolute multiples of the step inside the left-open window', async () => {
    const r = await engine.instantQuery(q, 'm{job="a",instance="1"}[1m:20s]', 70_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    expect([...r.value.series[0].timestamps]).toEqual([20_000, 40_000, 60_000]);
    expect([...r.value.series[0].values]).toEqual([0, 1, 2]);
    // Default step (60s) and an offset.
    const d = await engine.instantQuery(q, 'm{job="a",instance="1"}[3m:] offset 1m', 300_000);
    if (d.value.type === 'matrix') expect([...d.value.series[0].timestamps]).toEqual([120_000, 180_000, 240_000]);
  });

  it('pins subqueries with @ to one time', async () => {
    const r = await engine.rangeQuery(q, 'max_over_time(m{job="a",instance="1"}[1m:30s] @ 120)', 0, 600_000, 300_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    expect([...r.value.series[0].values]).toEqual([4, 4, 4]);
  });

  it('feeds functions the subquery windows per step', async () => {
    const r = await engine.rangeQuery(q, 'count_over_time(m{job="b"}[1m:15s])', 60_000, 120_000, 30_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    expect([...r.value.series[0].values]).toEqual([4, 4, 4]);
  });
});

describe('range queries', () => {
  it('returns matrices sorted by labels, with scalars as a series without labels', async () => {
    const r = await engine.rangeQuery(q, 'm{instance="1"}', 0, 60_000, 30_000);
    if (r.value.type !== 'matrix') throw new Error('matrix expected');
    expect(r.value.series.map((s) => labelsToString(s.labels))).toEqual(['m{instance="1", job="a"}', 'm{instance="1", job="b"}']);
    expect([...r.value.series[0].values]).toEqual([0, 1, 2]);
    const s = await engine.rangeQuery(q, '1 + 1', 0, 60_000, 30_000);
    expect(s.value).toMatchObject({ type: 'matrix' });
    if (s.value.type === 'matrix') expect(s.value.series[0].labels).toEqual([] as Labels);
  });

  it('answers a repeated expression (parsed once) as a fresh engine does, and keeps refusing a bad one', async () => {
    const expr = 'sum by (job) (rate(m{instance=~"1|2"}[2m] @ end())) > 0 or vector(0)';
    const first = await engine.rangeQuery(q, expr, 0, 300_000, 30_000);
    await instant(expr, 120);
    const again = await engine.rangeQuery(q, expr, 60_000, 600_000, 60_000);
    const fresh = await new Engine().rangeQuery(q, expr, 60_000, 600_000, 60_000);
    expect(again.value).toEqual(fresh.value);
    expect(first.value).toEqual((await new Engine().rangeQuery(q, expr, 0, 300_000, 30_000)).value);
    for (let i = 0; i < 2; i++) expect((await failure(engine.instantQuery(q, 'sum(m', 0))).errorType).toBe('bad_data');
  });

  it('refuses range selectors and strings in range queries', async () => {
    const e = await failure(engine.rangeQuery(q, 'm[5m]', 0, 60_000, 30_000));
    expect(e.errorType).toBe('bad_data');
    expect(e.message).toBe('invalid expression type "range vector" for range query, must be Scalar or instant Vector');
  });

  it('gives the same answers from the head and from blocks', async () => {
    const series = { 'x{a="1"}': ramp(0, 15, 100, 0, 3), 'x{a="2"}': ramp(0, 15, 100, 5, -1) };
    const head = await loadTestDB(series);
    const blocks = await loadTestDB(series, { flush: true });
    try {
      for (const expr of ['sum(x)', 'x offset 2m', 'x * on(a) x', 'max_over_time(x[2m:30s])']) {
        const a = await engine.rangeQuery(head.db.querier(), expr, 0, 1_400_000, 60_000);
        const b = await engine.rangeQuery(blocks.db.querier(), expr, 0, 1_400_000, 60_000);
        expect(b.value).toEqual(a.value);
      }
    } finally {
      await head.close();
      await blocks.close();
    }
  });
});

describe('limits', () => {
  it('refuses queries holding more samples than allowed', async () => {
    const small = new Engine({ maxSamples: 10 });
    const e = await failure(small.rangeQuery(q, 'm', 0, 600_000, 30_000));
    expect(e.errorType).toBe('execution');
    expect(e.message).toBe('query processing would load too many samples into memory in query execution');
  });

  it('reports stats when asked', async () => {
    const r = await engine.rangeQuery(q, 'sum(m)', 0, 600_000, 30_000, { stats: true });
    expect(r.stats?.samplesLoaded).toBe(63);
    expect(r.stats?.peakSamples).toBeGreaterThanOrEqual(63);
  });

  const slow = (ms: number): Querier => ({
    ...q,
    select: (m, a, b, h) => new Promise((resolve) => setTimeout(() => resolve(q.select(m, a, b, h)), ms)),
    series: q.series.bind(q),
    labelNames: q.labelNames.bind(q),
    labelValues: q.labelValues.bind(q),
  });

  it('times out and cancels', async () => {
    const e = await failure(new Engine({ timeoutMs: 50 }).instantQuery(slow(1000), 'm', 0));
    expect(e.errorType).toBe('timeout');
    expect(e.message).toMatch(/^query timed out in /);
    const ac = new AbortController();
    const p = engine.instantQuery(slow(1000), 'm', 0, { signal: ac.signal });
    setTimeout(() => ac.abort(), 20);
    const c = await failure(p);
    expect(c.errorType).toBe('canceled');
  });

  it('queues queries beyond the concurrency limit in arrival order', async () => {
    const one = new Engine({ maxConcurrent: 1 });
    const order: number[] = [];
    const qs = [0, 1, 2].map((i) => one.instantQuery(slow(30), 'm', 0).then(() => order.push(i)));
    await Promise.all(qs);
    expect(order).toEqual([0, 1, 2]);
    // A query waiting in the queue gives up at its timeout.
    const tight = new Engine({ maxConcurrent: 1, timeoutMs: 40 });
    const first = tight.instantQuery(slow(30), 'm', 0).catch((e: unknown) => e);
    const e = await failure(tight.instantQuery(slow(30), 'm', 0));
    expect(e.errorType).toBe('timeout');
    await first;
  });
});

describe('limit_ratio', () => {
  it('places series by the XXH64 of their labels, complementary for negative ratios', async () => {
    const { xxhash64, ratioOffset } = await import('./xxhash.ts');
    // Reference values of XXH64 with seed 0.
    const enc = new TextEncoder();
    expect(xxhash64(enc.encode('')).toString(16)).toBe('ef46db3751d8e999');
    expect(xxhash64(enc.encode('abc')).toString(16)).toBe('44bc2cf5ad770999');
    expect(xxhash64(enc.encode('Nobody inspects the spammish repetition')).toString(16)).toBe('fbcea83c8a378bf1');
    const offsets = (await instant('m', 60)).map(([name]) => name);
    expect(offsets).toHaveLength(3);
    const r = 0.5;
    const inside = await instant(`limit_ratio(${r}, m)`, 60);
    const outside = await instant(`limit_ratio(${r - 1}, m)`, 60);
    expect([...inside, ...outside].map((x) => x[0]).sort()).toEqual(offsets.sort());
    for (const [name] of inside) expect(name).not.toBe(outside.find((o) => o[0] === name)?.[0]);
    expect(ratioOffset(['__name__', 'm'])).toBeGreaterThanOrEqual(0);
    expect(ratioOffset(['__name__', 'm'])).toBeLessThan(1);
  });
});
