// Reads across the head and the blocks. Each source returns series sorted by labels; the merge
// joins equal series and their samples by time. Where sources overlap (a flush followed by more
// data in the same range, or blocks waiting for compaction) an identical timestamp is kept once,
// from the older source.
import { compareLabels, compareStrings, type Labels, type Matcher } from '../model/index.ts';
import type { Querier, SeriesData } from './types.ts';
import { runSliced, type SlicedRead } from './readslices.ts';
import type { Head } from './head/head.ts';
import { mergeSamples, type Block } from './block/index.ts';
import { sampleArray } from './chunkenc/index.ts';

export function mergeQuerier(head: Head, blocks: readonly Block[]): Querier {
  const overlapping = (mint: number, maxt: number) =>
    blocks.filter((b) => b.meta.minTime <= maxt && b.meta.maxTime > mint);
  return {
    // One sliced read over all sources (blocks oldest first, then the head), so the time slices
    // and the sample budget span the whole select. The blocks are retained from the start: one
    // compacted away while an earlier one is being read stays readable until the read ends.
    async select(matchers, mint, maxt, hints, ctx) {
      const bs = retainAll(overlapping(mint, maxt));
      try {
        const lists = runSliced(selectAll(head, bs, matchers, mint, maxt, hints?.lastOnly === true), ctx);
        return mergeSeriesLists(lists instanceof Promise ? await lists : lists);
      } finally {
        for (const b of bs) b.release();
      }
    },
    async series(matchers, mint, maxt, ctx) {
      const bs = retainAll(overlapping(mint, maxt));
      try {
        const lists = runSliced(seriesAll(head, bs, matchers, mint, maxt), ctx);
        return mergeLabelLists(lists instanceof Promise ? await lists : lists);
      } finally {
        for (const b of bs) b.release();
      }
    },
    async labelNames(matchers, mint, maxt) {
      const set = new Set<string>(head.labelNames(matchers));
      for (const b of overlapping(mint, maxt)) for (const n of b.labelNames(matchers)) set.add(n);
      return [...set].sort(compareStrings);
    },
    async labelValues(name, matchers, mint, maxt) {
      const set = new Set<string>(head.labelValues(name, matchers));
      for (const b of overlapping(mint, maxt)) for (const v of b.labelValues(name, matchers)) set.add(v);
      return [...set].sort(compareStrings);
    },
  };
}

/** Retains every block, or none when one of them is closed already (that error is thrown). */
function retainAll(blocks: Block[]): Block[] {
  for (let i = 0; i < blocks.length; i++) {
    try {
      blocks[i].retain();
    } catch (e) {
      for (let j = 0; j < i; j++) blocks[j].release();
      throw e;
    }
  }
  return blocks;
}

function* selectAll(
  head: Head, blocks: readonly Block[], matchers: readonly Matcher[], mint: number, maxt: number, lastOnly: boolean,
): SlicedRead<SeriesData[][]> {
  const lists: SeriesData[][] = [];
  // Blocks return their whole range either way: an instant read at "now" rarely reaches them.
  for (const b of blocks) lists.push(yield* b.selectSliced(matchers, mint, maxt));
  lists.push(yield* head.selectSliced(matchers, mint, maxt, lastOnly));
  return lists;
}

function* seriesAll(
  head: Head, blocks: readonly Block[], matchers: readonly Matcher[], mint: number, maxt: number,
): SlicedRead<Labels[][]> {
  const lists: Labels[][] = [];
  for (const b of blocks) lists.push(yield* b.seriesSliced(matchers, mint, maxt));
  lists.push(yield* head.seriesSliced(matchers, mint, maxt));
  return lists;
}

/**
 * Merges lists each sorted by labels (sources oldest first); equal series have their samples
 * merged by time. A k-way merge over the lists' heads: no re-sort of what is already sorted.
 */
export function mergeSeriesLists(lists: readonly SeriesData[][]): SeriesData[] {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return nonEmpty[0];
  const pos = new Array<number>(nonEmpty.length).fill(0);
  const out: SeriesData[] = [];
  const same: SeriesData[] = [];
  for (;;) {
    // The smallest label set among the lists' current heads (k is small: blocks plus the head).
    let min: SeriesData | null = null;
    for (let k = 0; k < nonEmpty.length; k++) {
      const head = nonEmpty[k][pos[k]];
      if (head && (min === null || compareLabels(head.labels, min.labels) < 0)) min = head;
    }
    if (min === null) return out;
    same.length = 0;
    for (let k = 0; k < nonEmpty.length; k++) {
      const head = nonEmpty[k][pos[k]];
      if (head && (head === min || compareLabels(head.labels, min.labels) === 0)) {
        same.push(head);
        pos[k]++;
      }
    }
    out.push(same.length === 1 ? same[0] : { labels: same[0].labels, ...mergeParts(same) });
  }
}

/**
 * The samples of one series from several sources, oldest source first. Sources usually cover
 * disjoint times (consecutive blocks, then the head): then one concatenation does. Otherwise they
 * are merged pairwise, an identical timestamp keeping the older source's sample.
 */
function mergeParts(parts: readonly SeriesData[]): { timestamps: Float64Array; values: Float64Array } {
  let disjoint = true;
  let n = 0;
  for (let k = 0; k < parts.length; k++) {
    const t = parts[k].timestamps;
    n += t.length;
    if (k > 0 && t.length > 0) {
      const prev = parts[k - 1].timestamps;
      if (prev.length > 0 && prev[prev.length - 1] >= t[0]) disjoint = false;
    }
  }
  if (!disjoint) {
    let merged: { timestamps: Float64Array; values: Float64Array } = parts[0];
    for (let k = 1; k < parts.length; k++) merged = mergeSamples(merged, parts[k]);
    return merged;
  }
  const timestamps = sampleArray(n);
  const values = sampleArray(n);
  let off = 0;
  for (const p of parts) {
    timestamps.set(p.timestamps, off);
    values.set(p.values, off);
    off += p.timestamps.length;
  }
  return { timestamps, values };
}

function mergeLabelLists(lists: readonly Labels[][]): Labels[] {
  const all = lists.flat().sort(compareLabels);
  const out: Labels[] = [];
  for (const ls of all) if (out.length === 0 || compareLabels(out[out.length - 1], ls) !== 0) out.push(ls);
  return out;
}
