// The head's broad reads in slices: matcher evaluation and putting the series in label order
// pause like the reading of samples does (other work runs, an abort stops them), and the result
// is exactly what one synchronous evaluation and sort gave.
import { describe, expect, it, vi } from 'vitest';
import { SampleBatchBuilder, compareLabels, labelsFromRecord, matchesLabels, newMatcher, type Labels, type Matcher } from '../../model/index.ts';
import { ReadAbortedError } from '../types.ts';
import { drainSliced, runSliced } from '../readslices.ts';
import { Head } from './head.ts';

const T = 1_700_000_000_000;

function headWith(series: readonly Labels[]): Head {
  const head = new Head({ blockRangeMs: 2 * 3600_000, maxSeries: 0, maxSeriesPerMetric: 0 });
  append(head, series);
  return head;
}

function append(head: Head, series: readonly Labels[], t = T): void {
  const b = new SampleBatchBuilder();
  for (const ls of series) {
    b.startSeries(ls);
    b.add(t, 1);
  }
  head.append(b.build(), () => {});
}

/** What a read must return: the matching label sets, sorted. */
function expected(series: readonly Labels[], ms: readonly Matcher[]): Labels[] {
  return series.filter((ls) => matchesLabels(ms, ls as string[])).sort(compareLabels);
}

/**
 * Series whose creation order is far from their label order, with names and values that sort
 * differently from their creation (upper case before '_', '' sorts first, non-ASCII last).
 */
function manySeries(n: number, extra: (i: number) => Record<string, string> = () => ({})): Labels[] {
  const out: Labels[] = [];
  for (let i = 0; i < n; i++) {
    out.push(labelsFromRecord({
      __name__: `m${(i * 7919) % 97}`,
      instance: `host-${i % 1000}`,
      mode: ['idle', 'user', 'systém', 'Irq'][i % 4],
      ...(i % 3 === 0 ? { Zone: `z${i % 5}` } : {}),
      ...extra(i),
    }));
  }
  return out;
}

const all = [newMatcher('=~', '__name__', '.+')];

describe('broad head reads in slices', () => {
  it('returns exactly the matching series in label order, also after new label values appeared', () => {
    const series = manySeries(12_000);
    const head = headWith(series);
    for (const ms of [all, [newMatcher('=~', 'instance', 'host-[1-5].*'), newMatcher('!=', 'mode', 'idle')], [newMatcher('!~', 'mode', 'user|Irq'), newMatcher('=~', '__name__', 'm[1-6].*')]]) {
      const want = expected(series, ms);
      expect(want.length).toBeGreaterThan(2048);
      expect(head.select(ms, T, T).map((s) => s.labels)).toEqual(want);
      expect(head.series(ms, T, T)).toEqual(want);
    }
    // New strings (symbols) sort among the old ones: the order must take them in.
    const more = manySeries(3000).map((ls) => ls.map((s, i) => (i % 2 === 1 && s.startsWith('host-') ? `host-${s.slice(5)}b` : s)));
    append(head, more, T + 1);
    const both = [...series, ...more];
    expect(head.select(all, T, T + 1).map((s) => s.labels)).toEqual(expected(both, all));
  });

  it('orders series with a label of a value each (more symbols than series read) exactly as well', () => {
    const series = manySeries(6000, (i) => ({ uid: `u${(i * 104_729) % 1_000_003}` }));
    const head = headWith(series);
    const ms = [newMatcher('!=', 'mode', 'idle')];
    const want = expected(series, ms);
    expect(want.length).toBeGreaterThan(2048);
    expect(head.select(ms, T, T).map((s) => s.labels)).toEqual(want);
  });

  it('lets other work run while it evaluates matchers and orders series, before it reads any', async () => {
    const series = manySeries(20_000);
    const head = headWith(series);
    // Matcher evaluation takes the union of 1,000 instances' lists and subtracts mode="idle"; the
    // 15k series found are then put in label order.
    const ms = [newMatcher('=~', 'instance', 'host-.*'), newMatcher('!=', 'mode', 'idle')];
    const labelsOf = vi.spyOn(head, 'labelsOf');
    const read = head.selectSliced(ms, T, T);
    let pausesBeforeReading = 0;
    while (!read.next().done && labelsOf.mock.calls.length === 0) pausesBeforeReading++;
    read.return([]);
    expect(pausesBeforeReading).toBeGreaterThan(3);

    // Through runSliced, as queries run: each check of this context takes 11 ms, so every pause
    // past the first ends a slice and lets the event loop run.
    labelsOf.mockClear();
    let seriesReadWhenTimerRan = -1;
    setImmediate(() => (seriesReadWhenTimerRan = labelsOf.mock.calls.length));
    const got = await runSliced(head.selectSliced(ms, T, T), busyContext());
    expect(seriesReadWhenTimerRan).toBe(0);
    expect(got.map((s) => s.labels)).toEqual(expected(series, ms));
    labelsOf.mockRestore();
  });

  it('stops when aborted while it evaluates matchers', async () => {
    // The regex is tested against 20k values, each with its own list: evaluation pauses several
    // times (about every 3,800 values), and the abort comes at its second pause.
    const series = manySeries(20_000, (i) => ({ uid: `u${i}` }));
    const head = headWith(series);
    const ms = [newMatcher('=~', 'uid', 'u.*')];
    const labelsOf = vi.spyOn(head, 'labelsOf');
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    let err: unknown;
    try {
      await runSliced(head.selectSliced(ms, T, T), busyContext(ac.signal));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReadAbortedError);
    expect((err as ReadAbortedError).reason).toBe('canceled');
    expect(labelsOf).not.toHaveBeenCalled();
    labelsOf.mockRestore();
  });

  it('leaves out series created while matcher evaluation was paused', () => {
    // Many metric names: the regex on them is tested value by value, with pauses in between,
    // after the list of mode="idle" (to exclude) was taken.
    const series = Array.from({ length: 20_000 }, (_, i) => labelsFromRecord({ __name__: `m${i}`, mode: i % 2 === 0 ? 'idle' : 'user' }));
    const head = headWith(series);
    const ms = [newMatcher('!=', 'mode', 'idle'), newMatcher('=~', '__name__', 'm.+')];
    const read = head.selectSliced(ms, T, T + 1);
    expect(read.next().done).toBe(false);
    // Neither of these matches at the start of the read; the first must not show even though
    // the excluding list was taken before it existed.
    append(head, [labelsFromRecord({ __name__: 'm_new', mode: 'idle' }), labelsFromRecord({ __name__: 'm_new2', mode: 'user' })], T + 1);
    const got = drainSliced(read).map((s) => s.labels);
    expect(got).toEqual(expected(series, ms));
    expect(head.select(ms, T, T + 1).map((s) => s.labels)).toContainEqual(labelsFromRecord({ __name__: 'm_new2', mode: 'user' }));
  });
});

/** A read context whose every check takes 11 ms: each pause after the first ends a slice. */
function busyContext(signal?: AbortSignal): { readonly signal: AbortSignal | undefined } {
  return {
    get signal() {
      const until = performance.now() + 11;
      while (performance.now() < until);
      return signal;
    },
  };
}

describe('a long series read in slices', () => {
  it('pauses while it decodes one series of many samples, and returns the samples there were at its start', () => {
    const head = new Head({ blockRangeMs: 2 * 3600_000, maxSeries: 0, maxSeriesPerMetric: 0 });
    const ls = labelsFromRecord({ __name__: 'long', job: 'x' });
    const n = 300_000;
    const b = new SampleBatchBuilder();
    b.startSeries(ls);
    for (let i = 0; i < n; i++) b.add(T + i * 10, i % 1000 === 0 ? NaN : i);
    head.append(b.build(), () => {});
    const ms = [newMatcher('=', '__name__', 'long')];
    const read = head.selectSliced(ms, T + 5, T + n * 10);
    let pauses = 0;
    let r = read.next();
    // Appended while the read pauses: not part of it.
    const more = new SampleBatchBuilder();
    more.startSeries(ls);
    more.add(T + n * 10, 1);
    head.append(more.build(), () => {});
    for (; r.done !== true; r = read.next()) pauses++;
    expect(pauses).toBeGreaterThan(3);
    const [s] = r.value;
    expect(s.labels).toEqual(ls);
    expect(s.timestamps.length).toBe(n - 1);
    for (let i = 1; i < n; i++) {
      if (s.timestamps[i - 1] !== T + i * 10) throw new Error(`sample ${i}: timestamp ${s.timestamps[i - 1]}`);
      if (!Object.is(s.values[i - 1], i % 1000 === 0 ? NaN : i)) throw new Error(`sample ${i}: value ${s.values[i - 1]}`);
    }
    expect(head.select(ms, T, T + n * 10)[0].timestamps.length).toBe(n + 1);
  });
});
