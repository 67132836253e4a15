import { describe, expect, it } from 'vitest';
import {
  STALE_NAN, SampleBatchBuilder, isStaleNaN, labelsFromRecord, newMatcher, type Labels,
} from '../../model/index.ts';
import { AppendError } from '../types.ts';
import { compareLabels } from '../../model/index.ts';
import { Head } from './head.ts';
import { batch, recorder } from './testing.ts';
import { drainSliced } from '../readslices.ts';

const H = 3600_000;
const name = (n: string) => newMatcher('=', '__name__', n);



const newHead = (o: Partial<ConstructorParameters<typeof Head>[0]> = {}) =>
  new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0, ...o });

describe('Head append and select', () => {
  it('stores samples across many chunks and returns them in range, sorted by labels', async () => {
    const head = newHead();
    const rec = recorder();
    for (let t = 0; t < 1000; t++) {
      head.append(batch([
        [{ __name__: 'b', i: '1' }, [[t * 1000, t]]],
        [{ __name__: 'a', i: '2' }, [[t * 1000, -t]]],
      ]), rec.log);
    }
    const all = head.select([newMatcher('=~', '__name__', 'a|b')], 0, 1_000_000);
    expect(all.map((s) => s.labels)).toEqual([['__name__', 'a', 'i', '2'], ['__name__', 'b', 'i', '1']]);
    expect(all[1].timestamps.length).toBe(1000);
    expect(Array.from(all[1].values.subarray(0, 3))).toEqual([0, 1, 2]);
    const part = head.select([name('a')], 10_000, 20_000);
    expect(Array.from(part[0].timestamps)).toEqual(Array.from({ length: 11 }, (_, i) => 10_000 + i * 1000));
    expect(head.stats().chunks).toBeGreaterThan(2 * 8); // 1000 samples / 120 per chunk, two series
    expect(rec.samples.length).toBe(2000);
  });

  it('checks regex matchers against the labels of the few series the literal matchers pick, a missing label reading as empty', () => {
    const head = newHead();
    const entries: [Record<string, string>, [number, number][]][] = [];
    for (let h = 0; h < 30; h++) {
      for (const mp of ['/', '/home', '/boot']) entries.push([{ __name__: 'fs_avail', instance: `host-${h}:9100`, mountpoint: mp }, [[1000, h]]]);
      entries.push([{ __name__: 'fs_avail', mountpoint: '/' }, [[1000, -1]]]);
      entries.push([{ __name__: 'load1', instance: `host-${h}:9100` }, [[1000, h]]]);
    }
    head.append(batch(entries), recorder().log);
    const pick = (ms: ReturnType<typeof newMatcher>[]) => head.series(ms, 0, 2000).map((ls) => ls.join(','));
    const all = head.series([newMatcher('=~', '__name__', '.+')], 0, 2000);
    const value = (ls: Labels, n: string) => {
      for (let i = 0; i < ls.length; i += 2) if (ls[i] === n) return ls[i + 1];
      return '';
    };
    const brute = (ms: ReturnType<typeof newMatcher>[]) => all.filter((ls) => ms.every((m) => m.matches(value(ls, m.name)))).map((ls) => ls.join(','));
    for (const ms of [
      [name('fs_avail'), newMatcher('=~', 'instance', 'host-1.*:9100'), newMatcher('=~', 'mountpoint', '/|/home')],
      [name('fs_avail'), newMatcher('=~', 'instance', '.*'), newMatcher('=', 'mountpoint', '/')],
      [name('fs_avail'), newMatcher('!~', 'instance', 'host-.*'), newMatcher('=', 'mountpoint', '/')],
      [name('load1'), newMatcher('!=', 'instance', 'host-3:9100'), newMatcher('=~', 'mountpoint', '')],
    ]) {
      expect(pick(ms)).toEqual(brute(ms));
      expect(pick(ms).length).toBeGreaterThan(0);
    }
  });

  it('answers a last-sample read with the newest sample in range, from the open chunk or by decoding', () => {
    const head = newHead();
    const rec = recorder();
    // 300 samples: closed chunks and an open one; the last sample is a staleness marker for one series.
    // (Built through the builder: a plain JS array of doubles would canonicalise the NaN payload.)
    for (let t = 0; t < 300; t++) {
      const b = new SampleBatchBuilder();
      b.startSeries(['__name__', 'a']);
      b.add(t * 1000, t);
      b.startSeries(['__name__', 'b']);
      b.add(t * 1000, t === 299 ? STALE_NAN : -t);
      head.append(b.build(), rec.log);
    }
    const last = (mint: number, maxt: number) => drainSliced(head.selectSliced([newMatcher('=~', '__name__', 'a|b')], mint, maxt, true));
    const full = (mint: number, maxt: number) => head.select([newMatcher('=~', '__name__', 'a|b')], mint, maxt);
    for (const [mint, maxt] of [[0, 1e9], [290_000, 299_000], [10_000, 150_500], [0, 0], [200_500, 200_900], [299_001, 1e9]]) {
      const want = full(mint, maxt).map((s) => ({ labels: s.labels, t: [...s.timestamps.subarray(-1)], bits: [...new Uint32Array(s.values.slice(-1).buffer)] }));
      const got = last(mint, maxt).map((s) => ({ labels: s.labels, t: [...s.timestamps], bits: [...new Uint32Array(Float64Array.from(s.values).buffer)] }));
      expect(got, `[${mint}, ${maxt}]`).toEqual(want);
    }
    expect(isStaleNaN(last(0, 1e9)[1].values[0])).toBe(true);
    expect(last(0, 1e9)[0].timestamps.length).toBe(1);
  });

  it('logs before applying, and a failed log leaves the head unchanged', () => {
    const head = newHead();
    expect(() => head.append(batch([[{ __name__: 'x' }, [[1, 1]]]]), () => { throw new Error('disk full'); }))
      .toThrow(/could not write to the WAL: disk full/);
    expect(head.seriesCount).toBe(0);
    expect(head.select([name('x')], 0, 10)).toEqual([]);
  });

  it('treats an identical resend as a no-op and reports conflicts and out-of-order samples', () => {
    const head = newHead();
    const rec = recorder();
    head.append(batch([[{ __name__: 'x' }, [[1000, 1], [2000, NaN]]]]), rec.log);
    const again = head.append(batch([[{ __name__: 'x' }, [[2000, NaN], [3000, 3]]]]), rec.log);
    expect(again).toMatchObject({ appended: 1, duplicates: 1, rejected: {} });
    const bad = head.append(batch([[{ __name__: 'x' }, [[3000, 4], [2500, 1], [4000, 5]]]]), rec.log);
    expect(bad.appended).toBe(1);
    expect(bad.rejected).toEqual({ duplicate_timestamp: 1, out_of_order: 1 });
    expect(bad.errors.join('\n')).toMatch(/different value \(4\).*already has 3/);
    expect(Array.from(head.select([name('x')], 0, 10_000)[0].values)).toEqual([1, NaN, 3, 5]);
  });

  it('accepts a resend of older samples as a no-op, and reports a changed older value as a conflict', () => {
    const head = newHead();
    const rec = recorder();
    const first = batch([[{ __name__: 'x' }, [[1000, 1], [2000, 2], [3000, 3]]], [{ __name__: 'y' }, [[1000, 5]]]]);
    head.append(first, rec.log);
    for (let t = 4000; t < 400_000; t += 1000) head.append(batch([[{ __name__: 'x' }, [[t, t]]]]), rec.log);
    // The whole first request again (samples now in closed chunks): nothing rejected, nothing added.
    expect(head.append(first, rec.log)).toMatchObject({ appended: 0, duplicates: 4, rejected: {} });
    const changed = head.append(batch([[{ __name__: 'x' }, [[2000, 7], [2500, 1]]]]), rec.log);
    expect(changed.rejected).toEqual({ duplicate_timestamp: 1, out_of_order: 1 });
    expect(head.select([name('x')], 0, 3000)[0].values[1]).toBe(2);
  });

  it('lists only series with samples in the asked range', () => {
    const head = newHead();
    head.append(batch([[{ __name__: 'early' }, [[1000, 1]]], [{ __name__: 'late' }, [[900_000, 1]]]]), recorder().log);
    expect(head.series([newMatcher('=~', '__name__', '.+')], 0, 5000)).toEqual([['__name__', 'early']]);
    expect(head.series([newMatcher('=~', '__name__', '.+')], 800_000, 1e6)).toEqual([['__name__', 'late']]);
  });

  it('sorts a series whose samples arrive unsorted within one batch', () => {
    const head = newHead();
    const r = head.append(batch([[{ __name__: 'x' }, [[3000, 3], [1000, 1], [2000, 2]]]]), recorder().log);
    expect(r.appended).toBe(3);
    expect(Array.from(head.select([name('x')], 0, 10_000)[0].timestamps)).toEqual([1000, 2000, 3000]);
  });

  it('keeps the staleness marker bit-exact', () => {
    // Built through the builder: a plain JS array of doubles would canonicalise the NaN payload.
    const b = new SampleBatchBuilder();
    b.startSeries(['__name__', 'x']);
    b.add(1, 1);
    b.add(2, STALE_NAN);
    const head = newHead();
    head.append(b.build(), recorder().log);
    const values = head.select([name('x')], 0, 10)[0].values;
    expect(isStaleNaN(values[1])).toBe(true);
    expect(Number.isNaN(values[1])).toBe(true);
  });

  it('returns every value bit-exact from closed chunks, which it may re-encode to save memory', () => {
    // Decimal gauges (which DEC stores smaller), full-precision floats, -0, ±Inf and markers.
    const b = new SampleBatchBuilder();
    const want = new Float64Array(400);
    for (let i = 0; i < want.length; i++) {
      want[i] = i % 50 === 7 ? STALE_NAN : i % 50 === 9 ? -0 : i % 97 === 3 ? -Infinity : i < 200 ? 1.5 + (i % 13) * 0.25 : Math.sin(i) * 1e6;
    }
    b.startSeries(['__name__', 'x']);
    for (let i = 0; i < want.length; i++) b.add(15_000 * i + (i % 3), want[i]);
    const head = newHead();
    head.append(b.build(), recorder().log);
    expect(head.stats().chunks).toBe(4);
    const got = head.select([name('x')], 0, Infinity)[0];
    const bits = (a: Float64Array) => Array.from(new BigUint64Array(a.buffer, a.byteOffset, a.length));
    expect(bits(got.values)).toEqual(bits(want));
    expect(Array.from(got.timestamps)).toEqual(Array.from(want, (_, i) => 15_000 * i + (i % 3)));
  });

  it('refuses a whole batch with a sample older than its window, writing nothing', () => {
    const head = newHead();
    const rec = recorder();
    head.append(batch([[{ __name__: 'x' }, [[10 * H, 1]]]]), rec.log);
    const old = batch([[{ __name__: 'new' }, [[10 * H, 1]]], [{ __name__: 'x' }, [[8 * H, 2]]]]);
    expect(() => head.append(old, rec.log)).toThrow(AppendError);
    try {
      head.append(old, rec.log);
    } catch (e) {
      expect((e as AppendError).status).toBe(400);
      expect((e as AppendError).reason).toBe('too_old');
      expect((e as Error).message).toMatch(/older than the head accepts/);
    }
    expect(head.seriesCount).toBe(1);
    expect(rec.series.length).toBe(1);
    expect(rec.samples.length).toBe(1);
  });

  it('enforces the series limits with 429 and writes nothing', () => {
    const rec = recorder();
    const perMetricHead = newHead({ maxSeriesPerMetric: 2 });
    perMetricHead.append(batch([[{ __name__: 'a', i: '1' }, [[1, 1]]], [{ __name__: 'b', i: '1' }, [[1, 1]]]]), rec.log);
    const perMetric = () => perMetricHead.append(batch([[{ __name__: 'a', i: '2' }, [[2, 1]]], [{ __name__: 'a', i: '3' }, [[2, 1]]]]), rec.log);
    expect(perMetric).toThrow(/metric "a".*limit is 2/);
    expect(perMetricHead.seriesCount).toBe(2);

    const head = newHead({ maxSeries: 3 });
    head.append(batch([[{ __name__: 'a', i: '1' }, [[1, 1]]], [{ __name__: 'b', i: '1' }, [[1, 1]]]]), rec.log);
    const total = () => head.append(batch([[{ __name__: 'c', i: '1' }, [[2, 1]]], [{ __name__: 'd', i: '1' }, [[2, 1]]]]), rec.log);
    expect(total).toThrow(/limit of 3 active series/);
    expect(head.seriesCount).toBe(2);
    // Existing series still accept samples at the limit.
    expect(head.append(batch([[{ __name__: 'a', i: '1' }, [[3, 1]]], [{ __name__: 'c', i: '1' }, [[3, 1]]]]), rec.log).appended).toBe(2);
    expect(head.seriesCount).toBe(3);
  });

  it('answers label names and values, with and without matchers', () => {
    const head = newHead();
    head.append(batch([
      [{ __name__: 'up', job: 'a', instance: 'x' }, [[1, 1]]],
      [{ __name__: 'up', job: 'b' }, [[1, 1]]],
      [{ __name__: 'other', zone: 'z' }, [[1, 1]]],
    ]), recorder().log);
    expect(head.labelNames([])).toEqual(['__name__', 'instance', 'job', 'zone']);
    expect(head.labelNames([name('up')])).toEqual(['__name__', 'instance', 'job']);
    expect(head.labelValues('job', [])).toEqual(['a', 'b']);
    expect(head.labelValues('__name__', [newMatcher('=', 'job', 'b')])).toEqual(['up']);
    expect(head.series([newMatcher('=', 'instance', '')], 0, 10).length).toBe(2);
  });

  it('counts the symbol ranks that sorted reads keep in its memory figure', () => {
    const head = newHead();
    // 3,000 series over 134 strings: a read of them all sorts by symbol ranks (over 2,048 series,
    // fewer symbols than series), which the head then keeps: 4 bytes a symbol id.
    const b = new SampleBatchBuilder();
    for (let i = 0; i < 3000; i++) {
      b.startSeries(labelsFromRecord({ __name__: 'm', a: `x${i % 100}`, b: `y${Math.floor(i / 100)}` }));
      b.add(1, i);
    }
    head.append(b.build(), recorder().log);
    const before = head.stats().memoryBytes;
    expect(head.series([name('m')], 0, 10).length).toBe(3000);
    expect(head.stats().memoryBytes - before).toBe(4 * (3 + 100 + 30 + 1));
    // Kept (not rebuilt) by the next read while no symbol is added.
    head.series([name('m')], 0, 10);
    expect(head.stats().memoryBytes - before).toBe(4 * 134);
  });
});

describe('Head truncation and replay', () => {
  it('drops persisted chunks and series without data, keeping newer data', async () => {
    const head = newHead();
    const rec = recorder();
    for (let t = 0; t < 4 * H; t += 60_000) {
      const entries: [Record<string, string>, [number, number][]][] = [[{ __name__: 'live' }, [[t, t]]]];
      if (t < H) entries.push([{ __name__: 'gone' }, [[t, 1]]]);
      head.append(batch(entries), rec.log);
    }
    await head.cutAllOpenChunks();
    await head.truncate(2 * H);
    expect(head.seriesCount).toBe(1);
    expect(head.minTime).toBe(2 * H);
    const live = head.select([name('live')], 0, 10 * H)[0];
    expect(live.timestamps[0]).toBe(2 * H);
    expect(live.timestamps.length).toBe(120);
    expect(head.select([name('gone')], 0, 10 * H)).toEqual([]);
    expect(head.labelValues('__name__', [])).toEqual(['live']);
    // Nothing older than the truncation point is accepted any more.
    expect(() => head.append(batch([[{ __name__: 'gone' }, [[H, 1]]]]), rec.log)).toThrow(/older than the head accepts/);
  });

  it('rebuilds the same state from what it logged', () => {
    const a = newHead();
    const rec = recorder();
    for (let t = 0; t < 500; t++) {
      a.append(batch([[{ __name__: 'm', i: String(t % 7) }, [[t * 1000, Math.sin(t)]]]]), rec.log);
    }
    const b = newHead();
    for (const [ref, ls] of rec.series) b.replaySeries(ref, ls);
    const refs = Uint32Array.from(rec.samples.map((s) => s[0]));
    const ts = Float64Array.from(rec.samples.map((s) => s[1]));
    const vs = Float64Array.from(rec.samples.map((s) => s[2]));
    b.replaySamples(refs, ts, vs, refs.length);
    b.replaySamples(refs, ts, vs, refs.length); // a record seen twice (checkpoint + segment) changes nothing
    b.finishReplay();
    expect(b.select([name('m')], 0, 1e9)).toEqual(a.select([name('m')], 0, 1e9));
    // New series after replay get refs beyond every logged one.
    const rec2 = recorder();
    b.append(batch([[{ __name__: 'new' }, [[1e6, 1]]]]), rec2.log);
    expect(rec2.series[0][0]).toBeGreaterThan(Math.max(...rec.series.map((s) => s[0])));
  });

  it('keeps every series exact while its columns grow many times, and replays refs in any order', () => {
    // 30,000 series: the columns, label pool and chunk pool grow in steps of 4,096+ (in place).
    const a = newHead();
    const rec = recorder();
    const n = 30_000;
    for (let t = 0; t < 3; t++) {
      const b = new SampleBatchBuilder();
      for (let i = 0; i < n; i++) {
        b.startSeries(labelsFromRecord({ __name__: `g${i % 13}`, id: `s${i}`, t: 'x'.repeat(i % 5) }));
        b.add(t * 15_000, i * 10 + t);
      }
      a.append(b.build(), rec.log);
    }
    const check = (h: Head) => {
      for (const i of [0, 1, 4095, 4096, 4097, 12_345, n - 1]) {
        const got = h.select([name(`g${i % 13}`), newMatcher('=', 'id', `s${i}`)], 0, 1e9);
        expect(got.map((s) => [s.labels, [...s.timestamps], [...s.values]]))
          .toEqual([[labelsFromRecord({ __name__: `g${i % 13}`, id: `s${i}`, t: 'x'.repeat(i % 5) }), [0, 15_000, 30_000], [i * 10, i * 10 + 1, i * 10 + 2]]]);
      }
      expect(h.stats().series).toBe(n);
    };
    check(a);
    // Replay with the series records reversed: the first one names the highest ref.
    const b = newHead();
    for (const [ref, ls] of [...rec.series].reverse()) b.replaySeries(ref, ls);
    const refs = Uint32Array.from(rec.samples.map((x) => x[0]));
    const ts = Float64Array.from(rec.samples.map((x) => x[1]));
    const vs = Float64Array.from(rec.samples.map((x) => x[2]));
    b.replaySamples(refs, ts, vs, refs.length);
    b.finishReplay();
    check(b);
  });
});

describe('sortedRefs', () => {
  it('merges sorted runs into one order', async () => {
    const { sortedRefs } = await import('./sortedrefs.ts');
    const keys = Array.from({ length: 1000 }, (_, i) => (i * 7919) % 1000);
    const out: number[] = [];
    for await (const r of sortedRefs(Int32Array.from(keys.keys()), (a, b) => keys[a] - keys[b], 37)) out.push(keys[r]);
    expect(out).toEqual([...keys].sort((a, b) => a - b));
  });

  it('orders persisted series exactly as compareLabels does', async () => {
    const head = newHead();
    const names = ['b', 'a', 'ab', 'a_b', 'B', 'z'];
    const entries: [Record<string, string>, [number, number][]][] = [];
    for (const n of names) for (const v of ['1', '10', '2', '']) entries.push([v ? { __name__: n, x: v } : { __name__: n }, [[1000, 1]]]);
    head.append(batch(entries), recorder().log);
    const got: Labels[] = [];
    for await (const b of head.chunksForBlock(0, 10_000, 5)) got.push(...b.labels);
    expect(got).toEqual([...got].sort(compareLabels));
    expect(got.length).toBe(names.length * 4);
  });
});
