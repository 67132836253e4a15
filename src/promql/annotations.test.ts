// Annotations (warnings and infos) as Prometheus 3 words them: the text of its annotations and the
// position of the expression they are about ("... (1:6)"), which its API appends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Querier } from '../tsdb/index.ts';
import { Engine } from './engine/index.ts';
import { loadTestDB, ramp, type TestDB } from './engine/testdata.ts';

const NOT_COUNTER = 'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket:';
const MONOTONICITY = 'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name';

describe('query annotations', () => {
  let tdb: TestDB;
  let q: Querier;
  const engine = new Engine();
  const at = 600_000;
  const warningsOf = async (expr: string): Promise<string[]> => (await engine.instantQuery(q, expr, at)).warnings;

  beforeAll(async () => {
    tdb = await loadTestDB({
      'requests{job="a"}': ramp(0, 15, 41, 0, 10),
      'requests_total{job="a"}': ramp(0, 15, 41, 0, 10),
      'temperature{job="a"}': [[590, 20]],
      'latency_bucket{le="0.1"}': ramp(0, 15, 41, 0, 5),
      'latency_bucket{le="1"}': ramp(0, 15, 41, 0, 4),
      'latency_bucket{le="+Inf"}': ramp(0, 15, 41, 0, 6),
      'broken_bucket{le="x"}': ramp(0, 15, 41, 0, 1),
    });
    q = tdb.db.querier();
  });

  afterAll(async () => {
    await tdb.close();
  });

  it('warns about a quantile parameter outside [0, 1] or NaN, for the aggregation as for the functions', async () => {
    const w = 'PromQL warning: quantile value should be between 0 and 1, got';
    expect(await warningsOf('quantile(1.5, requests_total)')).toEqual([`${w} 1.5 (1:10)`]);
    expect(await warningsOf('quantile(NaN, requests_total)')).toEqual([`${w} NaN (1:10)`]);
    expect(await warningsOf('quantile_over_time(NaN, requests_total[5m])')).toEqual([`${w} NaN (1:20)`]);
    expect(await warningsOf('quantile(0.5, requests_total)')).toEqual([]);
  });

  it('tells that rate() and increase() of a name without a counter suffix might not be a counter', async () => {
    expect(await warningsOf('rate(requests[5m])')).toEqual([`${NOT_COUNTER} "requests" (1:6)`]);
    expect(await warningsOf('sum(\n  increase(requests[5m]))')).toEqual([`${NOT_COUNTER} "requests" (2:12)`]);
    expect(await warningsOf('rate(requests_total[5m])')).toEqual([]);
    expect(await warningsOf('delta(requests[5m])')).toEqual([]);
    // Only for series the function gave a value for (a single sample gives no rate).
    expect(await warningsOf('rate(temperature[5m])')).toEqual([]);
  });

  it('places quantile and ratio warnings at their parameter', async () => {
    expect(await warningsOf('quantile(1.5, requests)')).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 1.5 (1:10)']);
    expect(await warningsOf('quantile_over_time(-1, requests[5m])')).toEqual(['PromQL warning: quantile value should be between 0 and 1, got -1 (1:20)']);
    expect(await warningsOf('limit_ratio(2, requests)')).toEqual(['PromQL warning: ratio value should be between -1 and 1, got 2, capping to 1 (1:13)']);
  });

  it('reports histogram_quantile problems at the argument they concern', async () => {
    expect(await warningsOf('histogram_quantile(2, latency_bucket)')).toEqual(['PromQL warning: quantile value should be between 0 and 1, got 2 (1:20)']);
    // The le="1" bucket counts less than le="0.1": its count is raised to keep the buckets cumulative.
    expect(await warningsOf('histogram_quantile(0.5, latency_bucket)')).toEqual([`${MONOTONICITY} "" (1:25)`]);
    expect(await warningsOf('histogram_quantile(0.5, broken_bucket)')).toEqual([
      'PromQL warning: bucket label "le" is missing or has a malformed value of "x" for metric name "broken_bucket" (1:25)',
    ]);
  });
});
