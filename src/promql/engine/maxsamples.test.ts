// query.max_samples counts as Prometheus counts: what selectors return, never a staleness marker.
// The side-by-side boundary test with Prometheus is test/compat/max-samples.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Engine } from './index.ts';
import { loadTestDB, type TestDB } from './testdata.ts';

let t: TestDB;
beforeAll(async () => {
  const series: Record<string, [number, number | 'stale'][]> = {};
  // 10 series with a value at 100s, 3 whose newest sample is a staleness marker.
  for (let i = 0; i < 10; i++) series[`x{i="${i}"}`] = [[60, 1], [90, 1]];
  for (let i = 0; i < 3; i++) series[`x{i="s${i}"}`] = [[60, 1], [90, 'stale']];
  t = await loadTestDB(series);
});
afterAll(async () => t?.close());

const outcome = (p: Promise<{ stats?: { peakSamples: number } }>) => p.then((r) => r.stats?.peakSamples, (e: Error) => e.message);
const TOO_MANY = 'query processing would load too many samples into memory in query execution';

describe('query.max_samples', () => {
  it('counts the points an instant vector selector returns, not the samples read nor staleness markers', async () => {
    expect(await outcome(new Engine({ maxSamples: 10 }).instantQuery(t.db.querier(), 'x', 100_000, { stats: true }))).toBe(10);
    expect(await outcome(new Engine({ maxSamples: 9 }).instantQuery(t.db.querier(), 'x', 100_000, { stats: true }))).toBe(TOO_MANY);
  });

  it('counts a range query\'s points: 5 steps of 10 series and 3 steps of the 3 that go stale', async () => {
    expect(await outcome(new Engine({ maxSamples: 59 }).rangeQuery(t.db.querier(), 'x', 60_000, 100_000, 10_000, { stats: true }))).toBe(59);
    expect(await outcome(new Engine({ maxSamples: 58 }).rangeQuery(t.db.querier(), 'x', 60_000, 100_000, 10_000, { stats: true }))).toBe(TOO_MANY);
  });

  it('counts a range selector\'s samples without its staleness markers', async () => {
    expect(await outcome(new Engine({ maxSamples: 23 }).instantQuery(t.db.querier(), 'x[1m]', 100_000, { stats: true }))).toBe(23);
    expect(await outcome(new Engine({ maxSamples: 22 }).instantQuery(t.db.querier(), 'x[1m]', 100_000, { stats: true }))).toBe(TOO_MANY);
  });

  it('lets a read at one time pass over many series that ended in a staleness marker (the read pauses every 256 series)', async () => {
    const series: Record<string, [number, number | 'stale'][]> = {};
    for (let i = 0; i < 601; i++) series[`y{i="${i}"}`] = [[60, 1], [90, i % 2 === 0 ? 1 : 'stale']];
    const big = await loadTestDB(series);
    try {
      // 301 series with a value, 300 whose newest sample is a marker: 601 read, 301 counted.
      expect(await outcome(new Engine({ maxSamples: 301 }).instantQuery(big.db.querier(), 'y', 100_000, { stats: true }))).toBe(301);
      expect(await outcome(new Engine({ maxSamples: 300 }).instantQuery(big.db.querier(), 'y', 100_000, { stats: true }))).toBe(TOO_MANY);
    } finally {
      await big.close();
    }
  });
});
