// Scrape timestamps: aligned to the loop's slots within the tolerance, so storage sees exactly
// periodic timestamps (delta-of-delta zero) despite timer jitter; later scrapes keep their own time.
import { afterEach, describe, expect, it } from 'vitest';
import { scrapeTimestamp } from './loop.ts';
import { goDuration } from './metrics.ts';
import { runCleanups, steppedLoop } from './testing.ts';

afterEach(runCleanups);

const T0 = 1_767_225_600_000;

describe('scrape timestamps', () => {
  it('stores jittered scrapes at their exact slots, so the timestamps are exactly periodic', async () => {
    const { rec, scrape, series } = await steppedLoop('15s');
    const jitter = [0, 1, 2, -1, -2, 2, 0, 1];
    for (const [i, late] of jitter.entries()) await scrape(T0 + i * 15_000, late);
    const ts = rec.times(series);
    expect(ts).toEqual(jitter.map((_, i) => T0 + i * 15_000));
    // The report series share the scrape's timestamp.
    expect(rec.times(series.replace(/^a/, 'up'))).toEqual(ts);
  });

  it('keeps the real start of a scrape further from its slot than the tolerance', async () => {
    const { rec, scrape, series } = await steppedLoop('15s');
    await scrape(T0, 1);
    await scrape(T0 + 15_000, 3);
    await scrape(T0 + 30_000, 250);
    await scrape(T0 + 45_000, -5);
    expect(rec.times(series)).toEqual([T0, T0 + 15_003, T0 + 30_250, T0 + 44_995]);
  });

  it('clamps the tolerance to 1% of the interval and never snaps with tolerance 0', async () => {
    // 1% of 100ms is 1ms: 2ms late is not snapped there, 1ms is.
    expect(scrapeTimestamp(T0 + 2, T0, 100, 2)).toBe(T0 + 2);
    expect(scrapeTimestamp(T0 + 1, T0, 100, 2)).toBe(T0);
    expect(scrapeTimestamp(T0 + 2, T0, 15_000, 2)).toBe(T0);
    expect(scrapeTimestamp(T0 + 1, T0, 15_000, 0)).toBe(T0 + 1);
    const { rec, scrape, series } = await steppedLoop('100ms');
    await scrape(T0, 1);
    await scrape(T0 + 100, 2);
    expect(rec.times(series)).toEqual([T0, T0 + 102]);
  });

  it('never stores a scrape at or before the previous one', async () => {
    const { rec, scrape, series } = await steppedLoop('15s');
    await scrape(T0, 5);
    // A scrape out of turn just before the next slot took it: the slot's scrape moves past it.
    await scrape(T0 + 15_000, -1);
    await scrape(T0 + 15_000, 0);
    expect(rec.times(series)).toEqual([T0 + 5, T0 + 15_000, T0 + 15_001]);
  });

  it('names intervals as Prometheus (Go) prints them', () => {
    expect([15_000, 60_000, 90_000, 3_600_000, 500, 1500].map(goDuration)).toEqual(['15s', '1m0s', '1m30s', '1h0m0s', '500ms', '1.5s']);
  });
});
