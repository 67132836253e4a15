// Reads in slices: what a ReadContext stops, that pauses let the event loop run, and that a block
// closed while a read of it is paused still answers that read.
import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { SampleBatchBuilder, compareLabels, newMatcher } from '../model/index.ts';
import { openBlock, writeBlock, type Block } from './block/index.ts';
import { diffSeries, modelSelect, randomSeries, rng, tempDir } from './block/testutil.ts';
import { Head } from './head/head.ts';
import { mergeQuerier, mergeSeriesLists, mergeSeriesListsSliced } from './querier.ts';
import { drainSliced, runSliced, sortSliced, type SlicedRead } from './readslices.ts';
import { ReadAbortedError } from './types.ts';

const MIN = 1_700_000_000_000;
const MAX = MIN + 2 * 3600_000;
const all = [newMatcher('=~', '__name__', '.+')];
/** More series than a read handles between two pauses. */
const SERIES_PER_PAUSE_AT_LEAST = 256;

/** A read of `steps` steps, each busy for `ms`; counts the steps run and whether it was ended. */
function busyRead(steps: number, ms: number): { read: SlicedRead<number>; ran: () => number; ended: () => boolean } {
  let ran = 0;
  let ended = false;
  function* read(): SlicedRead<number> {
    try {
      for (let i = 0; i < steps; i++) {
        const until = performance.now() + ms;
        while (performance.now() < until);
        ran++;
        yield 1;
      }
      return ran;
    } finally {
      ended = true;
    }
  }
  return { read: read(), ran: () => ran, ended: () => ended };
}

async function rejection(p: unknown): Promise<ReadAbortedError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ReadAbortedError);
    return e as ReadAbortedError;
  }
  throw new Error('the read did not stop');
}

describe('sliced reads of blocks and the head', () => {
  const input = randomSeries(rng(7), 2000, MIN, MAX, 60);
  const dir = tempDir();
  let block: Block;
  afterAll(() => {
    block?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });
  beforeAll(async () => {
    const meta = await writeBlock(dir, input, { minTime: MIN, maxTime: MAX });
    block = openBlock(`${dir}/${meta!.ulid}`);
  });
  const querier = () => mergeQuerier(new Head({ blockRangeMs: 2 * 3600_000, maxSeries: 0, maxSeriesPerMetric: 0 }), [block]);

  it('returns what the data holds, with or without a context', async () => {
    const want = modelSelect(input, all, MIN, MAX);
    expect(want.length).toBeGreaterThan(1000);
    expect(diffSeries(await querier().select(all, MIN, MAX), want)).toBe('');
    const ctx = { signal: new AbortController().signal, deadline: Date.now() + 60_000, maxSamples: 1e9 };
    expect(diffSeries(await querier().select(all, MIN, MAX, {}, ctx), want)).toBe('');
    const labels = await querier().series(all, MIN, MAX, ctx);
    expect(labels).toEqual(want.map((s) => s.labels));
  });

  it('answers label names and values of matching series, and stops them when aborted', async () => {
    const web = [newMatcher('=~', 'job', 'node|api')];
    const want = modelSelect(input, web, MIN, MAX).map((s) => s.labels);
    expect(want.length).toBeGreaterThan(SERIES_PER_PAUSE_AT_LEAST);
    const names = [...new Set(want.flatMap((ls) => ls.filter((_, i) => i % 2 === 0)))].sort();
    const modes = [...new Set(want.flatMap((ls) => ls.filter((_, i) => i % 2 === 1 && ls[i - 1] === 'mode')))].sort();
    expect(await querier().labelNames(web, MIN, MAX)).toEqual(names);
    expect(await querier().labelValues('mode', web, MIN, MAX)).toEqual(modes);
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(querier().labelNames(web, MIN, MAX, { signal: ac.signal }))).reason).toBe('canceled');
    expect((await rejection(querier().labelValues('mode', web, MIN, MAX, { signal: ac.signal }))).reason).toBe('canceled');
  });

  it('stops on an aborted signal, a past deadline and a spent sample budget', async () => {
    const ac = new AbortController();
    ac.abort();
    expect((await rejection(querier().select(all, MIN, MAX, {}, { signal: ac.signal }))).reason).toBe('canceled');
    expect((await rejection(querier().series(all, MIN, MAX, { signal: ac.signal }))).reason).toBe('canceled');
    expect((await rejection(querier().select(all, MIN, MAX, {}, { deadline: Date.now() - 1 }))).reason).toBe('timeout');
    // The budget is checked where the read pauses, every few hundred series: 2000 series are
    // well past the first pause.
    const err = await rejection(querier().select(all, MIN, MAX, {}, { maxSamples: 100 }));
    expect(err.reason).toBe('too_many_samples');
    expect(err.message).toBe('read would load more than 100 samples');
  });

  it('answers a read of a block closed while the read was paused, and closes its files after', () => {
    const closes = vi.spyOn(fs, 'closeSync');
    try {
      const read = block.selectSliced(all, MIN, MAX);
      expect(read.next().done).toBe(false);
      block.close();
      expect(closes).not.toHaveBeenCalled();
      expect(diffSeries(drainSliced(read), modelSelect(input, all, MIN, MAX))).toBe('');
      expect(closes).toHaveBeenCalled();
      expect(() => block.select(all, MIN, MAX)).toThrow(/is closed/);
    } finally {
      closes.mockRestore();
    }
  });
});

describe('a querier over blocks compacted away during its read', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a block closed while the read of an earlier block was paused', async () => {
    const first = randomSeries(rng(1), 2000, MIN, MAX, 20);
    const second = randomSeries(rng(2), 300, MAX, MAX + 3600_000, 20);
    const open = async (input: typeof first, min: number, max: number) =>
      openBlock(`${dir}/${(await writeBlock(dir, input, { minTime: min, maxTime: max }))!.ulid}`);
    const blocks = [await open(first, MIN, MAX), await open(second, MAX, MAX + 3600_000)];
    const q = mergeQuerier(new Head({ blockRangeMs: 2 * 3600_000, maxSeries: 0, maxSeriesPerMetric: 0 }), blocks);
    // Checks of this context take 11 ms, so the read is past its 10 ms slice at its second pause
    // (512 series into the first block) and lets the event loop run, which closes the blocks.
    const ctx = {
      get signal() {
        const until = performance.now() + 11;
        while (performance.now() < until);
        return undefined;
      },
    };
    let closedDuringRead = false;
    setImmediate(() => {
      for (const b of blocks) b.close();
      closedDuringRead = true;
    });
    const got = await q.select(all, MIN, MAX + 3600_000, {}, ctx);
    expect(closedDuringRead).toBe(true);
    const want = mergeSeriesLists([modelSelect(first, all, MIN, MAX), modelSelect(second, all, MAX, MAX + 3600_000)]);
    expect(diffSeries(got, want)).toBe('');
    expect(() => blocks[1].select(all, MAX, MAX + 3600_000)).toThrow(/is closed/);
  });
});

describe('runSliced', () => {
  it('returns a read that ends within its first slice directly, not as a promise', () => {
    const r = busyRead(3, 0);
    expect(runSliced(r.read, undefined)).toBe(3);
  });

  it('lets the event loop run between slices of a long read', async () => {
    const r = busyRead(40, 2);
    let timerRanAfterSteps = -1;
    setTimeout(() => (timerRanAfterSteps = r.ran()), 0);
    expect(await runSliced(r.read, undefined)).toBe(40);
    expect(timerRanAfterSteps).toBeGreaterThan(0);
    expect(timerRanAfterSteps).toBeLessThan(40);
  });

  it('stops a paused read when its signal is aborted, ending the generator', async () => {
    const r = busyRead(1000, 2);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 0);
    expect((await rejection(runSliced(r.read, { signal: ac.signal }))).reason).toBe('canceled');
    expect(r.ran()).toBeLessThan(100);
    expect(r.ended()).toBe(true);
  });
});

describe('sortSliced', () => {
  it('sorts like one sort, pausing between steps when there are many items', () => {
    const r = rng(3);
    for (const n of [0, 1, 2047, 2048, 2049, 5000, 40_000]) {
      // Duplicates and already sorted stretches, as label sets have.
      const items = Array.from({ length: n }, (_, i) => (i % 7 === 0 ? i : Math.floor(r() * n / 3)));
      const want = [...items].sort((a, b) => a - b);
      const read = sortSliced(items, (a, b) => a - b);
      let pauses = 0;
      let res = read.next();
      for (; res.done !== true; res = read.next()) pauses++;
      expect(res.value).toEqual(want);
      if (n <= 2048) expect(pauses).toBe(0);
      else expect(pauses).toBeGreaterThan(n / 2048);
    }
  });
});

describe('a long series of a block read in slices', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pauses while it decodes one series of many chunks, even as another read of the block goes on meanwhile', async () => {
    const n = 400_000;
    const long = { labels: ['__name__', 'long'], timestamps: Float64Array.from({ length: n }, (_, i) => MIN + i), values: Float64Array.from({ length: n }, (_, i) => i * 0.5) };
    const short = randomSeries(rng(5), 50, MIN, MAX, 20).filter((s) => s.labels[1] > 'long');
    const meta = await writeBlock(dir, [long, ...short], { minTime: MIN, maxTime: MAX });
    const block = openBlock(`${dir}/${meta!.ulid}`);
    try {
      const ms = [newMatcher('=', '__name__', 'long')];
      const read = block.selectSliced(ms, MIN + 10, MAX);
      let pauses = 0;
      let r = read.next();
      // Another read of the same block between two pauses (it reuses the block's chunk metas).
      expect(diffSeries(block.select(all, MIN, MAX).slice(1), modelSelect(short, all, MIN, MAX))).toBe('');
      for (; r.done !== true; r = read.next()) pauses++;
      expect(pauses).toBeGreaterThan(3);
      expect(diffSeries(r.value, modelSelect([long], ms, MIN + 10, MAX))).toBe('');
    } finally {
      block.close();
    }
  });
});

describe('merging what the head and blocks returned', () => {
  const dir = tempDir();
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('pauses while it merges many series found in several sources, and merges them exactly', async () => {
    const older = randomSeries(rng(11), 3000, MIN, MAX, 20);
    const newer = randomSeries(rng(11), 3000, MAX, MAX + 3600_000, 20);
    const want = modelSelect([...older, ...newer].sort((a, b) => compareLabels(a.labels, b.labels) || a.timestamps[0] - b.timestamps[0])
      .reduce<typeof older>((acc, s) => {
        const last = acc[acc.length - 1];
        if (last && compareLabels(last.labels, s.labels) === 0) {
          acc[acc.length - 1] = { labels: s.labels, timestamps: Float64Array.from([...last.timestamps, ...s.timestamps]), values: Float64Array.from([...last.values, ...s.values]) };
        } else acc.push(s);
        return acc;
      }, []), all, MIN, MAX + 3600_000);
    const lists = [modelSelect(older, all, MIN, MAX), modelSelect(newer, all, MAX, MAX + 3600_000)];
    const read = mergeSeriesListsSliced(lists);
    let pauses = 0;
    let r = read.next();
    for (; r.done !== true; r = read.next()) pauses++;
    expect(pauses).toBeGreaterThan(3);
    expect(diffSeries(r.value, want)).toBe('');

    // And through the querier: a head holding the newer samples of the series of a block.
    const meta = await writeBlock(dir, older, { minTime: MIN, maxTime: MAX });
    const block = openBlock(`${dir}/${meta!.ulid}`);
    try {
      const head = new Head({ blockRangeMs: 2 * 3600_000, maxSeries: 0, maxSeriesPerMetric: 0 });
      const b = new SampleBatchBuilder();
      for (const s of newer) {
        b.startSeries(s.labels);
        for (let i = 0; i < s.timestamps.length; i++) b.add(s.timestamps[i], s.values[i]);
      }
      head.append(b.build(), () => {});
      const q = mergeQuerier(head, [block]);
      expect(diffSeries(await q.select(all, MIN, MAX + 3600_000), want)).toBe('');
      expect(await q.series(all, MIN, MAX + 3600_000)).toEqual(want.map((s) => s.labels));
    } finally {
      block.close();
    }
  });
});
