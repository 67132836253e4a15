// A batch that names a series twice, and samples older than the head accepts under each policy.
import { describe, expect, it } from 'vitest';
import { STALE_NAN, SampleBatchBuilder, isStaleNaN, newMatcher } from '../../model/index.ts';
import { AppendError } from '../types.ts';
import { Head } from './head.ts';
import { batch, recorder } from './testing.ts';

const H = 3600_000;
const name = (n: string) => newMatcher('=', '__name__', n);
const newHead = () => new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });


describe('a series given twice in one batch', () => {
  it('is created once when new, with the samples of both entries in time order', () => {
    const head = newHead();
    const rec = recorder();
    const r = head.append(batch([
      [{ __name__: 'x', a: '1' }, [[1000, 1]]],
      [{ __name__: 'y' }, [[1000, 7]]],
      [{ __name__: 'x', a: '1' }, [[3000, 3], [2000, 2]]],
    ]), rec.log);
    expect(r).toMatchObject({ appended: 4, seriesCreated: 2, rejected: {} });
    expect(rec.series.map(([, ls]) => ls)).toEqual([['__name__', 'x', 'a', '1'], ['__name__', 'y']]);
    const got = head.select([name('x')], 0, 10_000);
    expect(got).toHaveLength(1);
    expect(Array.from(got[0].timestamps)).toEqual([1000, 2000, 3000]);
    expect(Array.from(got[0].values)).toEqual([1, 2, 3]);
    expect(head.stats().series).toBe(2);
  });

  it('checks both entries of an existing series against its newest sample and each other', () => {
    const head = newHead();
    const rec = recorder();
    head.append(batch([[{ __name__: 'x' }, [[1000, 1]]]]), rec.log);
    const r = head.append(batch([
      [{ __name__: 'x' }, [[2000, 2]]],
      [{ __name__: 'x' }, [[2000, 9], [500, 0], [4000, 4]]],
    ]), rec.log);
    // 2000 twice with different values: the second is a duplicate timestamp; 500 is out of order.
    expect(r.appended).toBe(2);
    expect(r.rejected).toEqual({ duplicate_timestamp: 1, out_of_order: 1 });
    const got = head.select([name('x')], 0, 10_000)[0];
    expect(Array.from(got.timestamps)).toEqual([1000, 2000, 4000]);
    expect(Array.from(got.values)).toEqual([1, 2, 4]);
  });

  it('keeps a staleness marker bit-exact through the merge', () => {
    const b = new SampleBatchBuilder();
    b.startSeries(['__name__', 'x']);
    b.add(1000, 1);
    b.startSeries(['__name__', 'x']);
    b.add(2000, STALE_NAN);
    const head = newHead();
    head.append(b.build(), recorder().log);
    const got = head.select([name('x')], 0, 10_000)[0];
    expect(got.values).toHaveLength(2);
    expect(isStaleNaN(got.values[1])).toBe(true);
  });
});

describe('samples older than the head accepts', () => {
  // After a sample at 10 h, the head takes nothing before 9 h (half its 2 h block range).
  function headAtTenHours() {
    const head = newHead();
    const rec = recorder();
    head.append(batch([[{ __name__: 'x' }, [[10 * H, 1]]]]), rec.log);
    return { head, rec };
  }
  const mixed = () => batch([
    [{ __name__: 'x' }, [[8 * H, 5], [10 * H + 1000, 2]]],
    [{ __name__: 'old_only' }, [[8 * H, 1]]],
    [{ __name__: 'fresh' }, [[10 * H, 1]]],
  ]);

  it('refuse the whole batch by default (pushes), storing nothing', () => {
    const { head, rec } = headAtTenHours();
    const before = rec.samples.length;
    expect(() => head.append(mixed(), rec.log)).toThrow(AppendError);
    expect(() => head.append(mixed(), rec.log)).toThrow(/older than the head accepts/);
    expect(rec.samples.length).toBe(before);
    expect(head.select([name('fresh')], 0, 11 * H)).toEqual([]);
  });

  it("are dropped and counted under tooOld 'drop' (scrapes), the rest stored; a series with nothing else is not created", () => {
    const { head, rec } = headAtTenHours();
    const r = head.append(mixed(), rec.log, { tooOld: 'drop' });
    expect(r.appended).toBe(2);
    expect(r.rejected).toEqual({ too_old: 2 });
    expect(r.errors[0]).toMatch(/^sample for x at .* is older than the head accepts/);
    expect(Array.from(head.select([name('x')], 0, 11 * H)[0].timestamps)).toEqual([10 * H, 10 * H + 1000]);
    expect(head.select([name('old_only')], 0, 11 * H)).toEqual([]);
    expect(rec.series.map(([, ls]) => ls[1])).toEqual(['x', 'fresh']);
    expect(head.select([name('fresh')], 0, 11 * H)).toHaveLength(1);
  });
});
