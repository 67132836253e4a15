// Reads across the head and the blocks. Each source returns series sorted by labels; the merge
// joins equal series and their samples by time. Where sources overlap (a flush followed by more
// data in the same range, or blocks waiting for compaction) an identical timestamp is kept once,
// from the older source.
import { compareLabels, compareStrings, type Labels } from '../model/index.ts';
import type { Querier, ReadContext, SeriesData } from './types.ts';
import { drainSliced, runSliced, type SlicedRead } from './readslices.ts';
import type { Head } from './head/head.ts';
import { mergeSamples, type Block } from './block/index.ts';
import { concatDecoded } from './chunkenc/index.ts';
import { headSelectWithout, headSeriesWithout, type HeadTombstones } from './headtombstones.ts';

/**
 * A querier over the head and the blocks. `blocks` may be a function: each read then takes the
 * blocks there are when it starts, so a querier held across a flush (a query's later selectors,
 * a rule group) sees the new block rather than a head that has dropped what the block took over.
 * Reads that outlast their first slice are registered in `pending` while they run (see PendingReads).
 * `headDeleted` gives the head's deleted ranges when there are any (null otherwise: nothing to filter).
 */
export function mergeQuerier(
  head: Head, blocks: readonly Block[] | (() => readonly Block[]), pending?: PendingReads, headDeleted?: () => HeadTombstones | null,
): Querier {
  const overlapping = (mint: number, maxt: number) =>
    (typeof blocks === 'function' ? blocks() : blocks).filter((b) => b.meta.minTime <= maxt && b.meta.maxTime > mint);
  const readSources = <T, R>(
    bs: Block[], readBlock: (b: Block) => SlicedRead<T>, readHead: () => SlicedRead<T>, merge: (lists: T[]) => SlicedRead<R>,
    ctx: ReadContext | undefined,
  ) => {
    const merged = readSourcesInTurn(bs, readBlock, readHead, merge, ctx);
    return merged instanceof Promise && pending !== undefined ? pending.track(merged) : merged;
  };
  return {
    // Each a single sliced read over all sources (blocks oldest first, then the head), so the
    // time slices and the sample budget span the whole read.
    async select(matchers, mint, maxt, hints, ctx) {
      const deleted = headDeleted?.() ?? null;
      const lastOnly = hints?.lastOnly === true;
      // Blocks return their whole range either way: an instant read at "now" rarely reaches them.
      const readHead = deleted === null
        ? () => head.selectSliced(matchers, mint, maxt, lastOnly)
        : () => headSelectWithout(head, deleted, matchers, mint, maxt, lastOnly);
      return readSources(overlapping(mint, maxt), (b) => b.selectSliced(matchers, mint, maxt), readHead, mergeSeriesListsSliced, ctx);
    },
    async series(matchers, mint, maxt, ctx) {
      const deleted = headDeleted?.() ?? null;
      const readHead = deleted === null
        ? () => head.seriesSliced(matchers, mint, maxt)
        : () => headSeriesWithout(head, deleted, matchers, mint, maxt);
      return readSources(overlapping(mint, maxt), (b) => b.seriesSliced(matchers, mint, maxt), readHead, mergeLabelListsSliced, ctx);
    },
    async labelNames(matchers, mint, maxt, ctx) {
      return readSources(overlapping(mint, maxt), (b) => b.labelNamesSliced(matchers), () => head.labelNamesSliced(matchers),
        mergeStringLists, ctx);
    },
    async labelValues(name, matchers, mint, maxt, ctx) {
      return readSources(overlapping(mint, maxt), (b) => b.labelValuesSliced(name, matchers),
        () => head.labelValuesSliced(name, matchers), mergeStringLists, ctx);
    },
  };
}

/**
 * Reads the blocks, then the head, and merges what they returned, as one sliced read; directly
 * when it ends within its first slice, else as a promise. The blocks are retained from the start:
 * one compacted away while an earlier one is being read stays readable until the read ends.
 */
function readSourcesInTurn<T, R>(
  blocks: Block[], readBlock: (b: Block) => SlicedRead<T>, readHead: () => SlicedRead<T>, merge: (lists: T[]) => SlicedRead<R>,
  ctx: ReadContext | undefined,
): R | Promise<R> {
  retainAll(blocks);
  let lists: R | Promise<R>;
  try {
    lists = runSliced(inTurn(blocks, readBlock, readHead, merge), ctx);
  } catch (e) {
    for (const b of blocks) b.release();
    throw e;
  }
  if (lists instanceof Promise) return lists.finally(() => { for (const b of blocks) b.release(); });
  for (const b of blocks) b.release();
  return lists;
}

/**
 * The reads in progress that did not end within their first slice. The head drops what a new block
 * took over only once the reads that started before the block was added have ended: they read the
 * head for that range, not the block. (A read that ends within its first slice cannot interleave
 * with that: both run on the one thread.)
 */
export class PendingReads {
  private nextId = 0;
  private readonly active = new Set<number>();
  private waiters: { upTo: number; resolve: () => void }[] = [];

  track<T>(read: Promise<T>): Promise<T> {
    const id = this.nextId++;
    this.active.add(id);
    return read.finally(() => {
      this.active.delete(id);
      this.waiters = this.waiters.filter((w) => {
        if (this.anyBefore(w.upTo)) return true;
        w.resolve();
        return false;
      });
    });
  }

  /** Resolves once every read tracked before this call has ended. */
  drained(): Promise<void> {
    const upTo = this.nextId;
    if (!this.anyBefore(upTo)) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  get size(): number {
    return this.active.size;
  }

  private anyBefore(upTo: number): boolean {
    for (const id of this.active) if (id < upTo) return true;
    return false;
  }
}

/** Retains every block, or none when one of them is closed already (that error is thrown). */
function retainAll(blocks: Block[]): void {
  for (let i = 0; i < blocks.length; i++) {
    try {
      blocks[i].retain();
    } catch (e) {
      for (let j = 0; j < i; j++) blocks[j].release();
      throw e;
    }
  }
}

/** Each block's read, then the head's, one after the other (each started in its turn), then the merge. */
function* inTurn<T, R>(
  blocks: readonly Block[], readBlock: (b: Block) => SlicedRead<T>, readHead: () => SlicedRead<T>, merge: (lists: T[]) => SlicedRead<R>,
): SlicedRead<R> {
  const out: T[] = [];
  for (const b of blocks) out.push(yield* readBlock(b));
  out.push(yield* readHead());
  return yield* merge(out);
}

/** Series merged between two pauses of a merge: a series found in several sources has its samples merged. */
const SERIES_PER_MERGE_PAUSE = 256;
/** Samples merged (of series found in several sources) between two pauses. */
const SAMPLES_PER_MERGE_PAUSE = 1 << 16;

// Label names and values, merged in one go as before: a Set and a sort of the strings (long only for
// the values of a label with a value per series).
function* mergeStringLists(lists: readonly string[][]): SlicedRead<string[]> {
  const set = new Set<string>();
  for (const l of lists) for (const s of l) set.add(s);
  return [...set].sort(compareStrings);
}

/**
 * Merges lists each sorted by labels (sources oldest first); equal series have their samples
 * merged by time. A k-way merge over the lists' heads: no re-sort of what is already sorted.
 */
export function mergeSeriesLists(lists: readonly SeriesData[][]): SeriesData[] {
  return drainSliced(mergeSeriesListsSliced(lists));
}

/**
 * mergeSeriesLists as a read that pauses every SERIES_PER_MERGE_PAUSE series: a read across a
 * flush finds hundreds of thousands of series in both the head and a block (merging 300k such
 * pairs took 0.9 s of CPU).
 */
export function* mergeSeriesListsSliced(lists: readonly SeriesData[][]): SlicedRead<SeriesData[]> {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return nonEmpty[0];
  const pos = new Array<number>(nonEmpty.length).fill(0);
  const out: SeriesData[] = [];
  const same: SeriesData[] = [];
  let samples = 0;
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
    const merged = same.length === 1 ? same[0] : { labels: same[0].labels, ...mergeParts(same) };
    out.push(merged);
    if (same.length > 1) samples += merged.timestamps.length;
    // Samples were counted as the sources loaded them: the pauses of the merge count none.
    if (out.length % SERIES_PER_MERGE_PAUSE === 0 || samples >= SAMPLES_PER_MERGE_PAUSE) {
      samples = 0;
      yield 0;
    }
  }
}

/**
 * The samples of one series from several sources, oldest source first. Sources usually cover
 * disjoint times (consecutive blocks, then the head): then one concatenation does. Otherwise they
 * are merged pairwise, an identical timestamp keeping the older source's sample.
 */
export function mergeParts(parts: readonly SeriesData[]): { timestamps: Float64Array; values: Float64Array } {
  let disjoint = true;
  // The newest sample of the parts before k (an empty part in between must not hide an overlap).
  let end = -Infinity;
  for (const p of parts) {
    const t = p.timestamps;
    if (t.length === 0) continue;
    if (end >= t[0]) disjoint = false;
    end = Math.max(end, t[t.length - 1]);
  }
  if (!disjoint) {
    let merged: { timestamps: Float64Array; values: Float64Array } = parts[0];
    for (let k = 1; k < parts.length; k++) merged = mergeSamples(merged, parts[k]);
    return merged;
  }
  return concatDecoded(parts, -Infinity, Infinity) ?? { timestamps: new Float64Array(0), values: new Float64Array(0) };
}

/** Merges lists of label sets, each sorted and without repeats, into one (pausing as mergeSeriesListsSliced). */
function* mergeLabelListsSliced(lists: readonly Labels[][]): SlicedRead<Labels[]> {
  const nonEmpty = lists.filter((l) => l.length > 0);
  if (nonEmpty.length === 0) return [];
  if (nonEmpty.length === 1) return nonEmpty[0];
  const pos = new Array<number>(nonEmpty.length).fill(0);
  const out: Labels[] = [];
  for (;;) {
    let min: Labels | null = null;
    for (let k = 0; k < nonEmpty.length; k++) {
      const head = nonEmpty[k][pos[k]];
      if (head && (min === null || compareLabels(head, min) < 0)) min = head;
    }
    if (min === null) return out;
    for (let k = 0; k < nonEmpty.length; k++) {
      const head = nonEmpty[k][pos[k]];
      if (head && (head === min || compareLabels(head, min) === 0)) pos[k]++;
    }
    out.push(min);
    if (out.length % SERIES_PER_MERGE_PAUSE === 0) yield 0;
  }
}
