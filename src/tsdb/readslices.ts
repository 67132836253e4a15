// Long reads in slices. A selector over a million series or a month of samples is seconds of
// synchronous decoding; run in one go it would hold the event loop the whole time (no scrape,
// write, health check or other query served) and could not be stopped by a timeout or a client
// that went away. So head and block reads are generators that pause every few hundred series,
// yielding the number of samples they loaded since the previous pause; this file decides what
// happens at a pause: stop (ReadContext aborted, past its deadline, over its sample budget), go on
// at once, or, after SLICE_MS of work, let the event loop run first.
//
// The checks are per pause, not per series or sample, and a read that ends within one slice
// stays synchronous (no promise, no turn of the event loop): small queries pay a generator and a
// few comparisons.
import { ReadAbortedError, type ReadContext } from './types.ts';

/** A read: pauses yield the samples loaded since the previous pause; the result is returned. */
export type SlicedRead<T> = Generator<number, T, void>;

/** Work between two turns of the event loop: long enough to keep the overhead small. */
const SLICE_MS = 10;

/**
 * Runs a read with pauses in which it may be stopped (ReadAbortedError) or let the event loop
 * run. Stopping ends the generator (its finally blocks run, e.g. a block's reader count). The
 * result comes back directly when the read ended within its first slice, else as a promise.
 * The sample budget is checked at pauses: the read stops once it loaded more than maxSamples by
 * its last pause (a caller that needs an exact count checks the result).
 */
export function runSliced<T>(read: SlicedRead<T>, ctx: ReadContext | undefined): T | Promise<T> {
  const state = { samples: 0, sliceEnd: 0 };
  let paused = false;
  try {
    checkRead(ctx, 0);
    const r = runSlice(read, ctx, state);
    if (r.done === true) return r.value;
    paused = true;
    return runRest(read, ctx, state);
  } finally {
    if (!paused) read.return(undefined as T);
  }
}

async function runRest<T>(read: SlicedRead<T>, ctx: ReadContext | undefined, state: SliceState): Promise<T> {
  try {
    for (;;) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      checkRead(ctx, state.samples);
      state.sliceEnd = 0;
      const r = runSlice(read, ctx, state);
      if (r.done === true) return r.value;
    }
  } finally {
    read.return(undefined as T);
  }
}

interface SliceState {
  samples: number;
  /** performance.now() at which the slice ends; 0 until its first pause (reads that never pause never read the clock). */
  sliceEnd: number;
}

/** Runs the read until it ends or SLICE_MS passed; done false means: let the event loop run. */
function runSlice<T>(read: SlicedRead<T>, ctx: ReadContext | undefined, state: SliceState): IteratorResult<number, T> {
  for (;;) {
    const r = read.next();
    if (r.done === true) return r;
    state.samples += r.value;
    checkRead(ctx, state.samples);
    const now = performance.now();
    if (state.sliceEnd === 0) state.sliceEnd = now + SLICE_MS;
    else if (now >= state.sliceEnd) return r;
  }
}

/** Runs a read to its end without pausing, for synchronous callers. */
export function drainSliced<T>(read: SlicedRead<T>): T {
  for (;;) {
    const r = read.next();
    if (r.done === true) return r.value;
  }
}

function checkRead(ctx: ReadContext | undefined, samples: number): void {
  if (ctx === undefined) return;
  if (ctx.signal?.aborted === true) throw new ReadAbortedError('canceled', 'read canceled');
  if (ctx.deadline !== undefined && Date.now() > ctx.deadline) throw new ReadAbortedError('timeout', 'read timed out');
  if (ctx.maxSamples !== undefined && samples > ctx.maxSamples) {
    throw new ReadAbortedError('too_many_samples', `read would load more than ${ctx.maxSamples} samples`);
  }
}

/** Items sorted at once by sortSliced; a run of them takes about a millisecond to sort by labels. */
const SORT_RUN = 2048;
/** Items a merge of sortSliced moves between two pauses. */
const MERGE_STEP = 16_384;

/**
 * Sorts `items` (in place or into a new array: use the result) as a read that pauses between
 * steps of about a millisecond: runs of SORT_RUN items are sorted one by one, then merged in
 * steps of MERGE_STEP items. One of up to SORT_RUN items is a plain sort without a pause.
 *
 */
export function* sortSliced<T>(items: T[], cmp: (a: T, b: T) => number): SlicedRead<T[]> {
  const n = items.length;
  if (n <= SORT_RUN) return items.sort(cmp);
  const runs: Run<T>[] = [];
  for (let from = 0; from < n; from += SORT_RUN) {
    const run = items.slice(from, from + SORT_RUN).sort(cmp);
    runs.push({ items: run, pos: 0 });
    yield 0;
  }
  const merge: HeapMerge<T> = { heap: runs, out: new Array<T>(n), n: 0, cmp };
  for (let i = (runs.length >> 1) - 1; i >= 0; i--) siftDown(merge, i);
  while (!mergeSome(merge)) yield 0;
  return merge.out;
}

interface Run<T> {
  items: T[];
  pos: number;
}

/** A k-way merge of sorted runs through a heap of the runs, by their first item not yet taken. */
interface HeapMerge<T> {
  heap: Run<T>[];
  out: T[];
  n: number;
  cmp: (a: T, b: T) => number;
}

/**
 * Moves up to MERGE_STEP items into out; true once all are. One pass over the items: a pairwise
 * merge (log2 of the runs passes) took three times as long at 300k series, most of it waiting for
 * memory (items in label order are scattered in memory; the heap's run heads stay in cache).
 */
function mergeSome<T>(m: HeapMerge<T>): boolean {
  const { heap, out } = m;
  const stop = Math.min(out.length, m.n + MERGE_STEP);
  let n = m.n;
  while (n < stop) {
    const top = heap[0];
    out[n++] = top.items[top.pos++];
    if (top.pos === top.items.length) {
      const last = heap.pop()!;
      if (heap.length === 0) break;
      heap[0] = last;
    }
    siftDown(m, 0);
  }
  m.n = n;
  return n === out.length;
}

function siftDown<T>(m: HeapMerge<T>, i: number): void {
  const { heap, cmp } = m;
  const len = heap.length;
  const run = heap[i];
  const item = run.items[run.pos];
  for (;;) {
    const l = 2 * i + 1;
    if (l >= len) break;
    const r = l + 1;
    let c = l;
    let citem = heap[l].items[heap[l].pos];
    if (r < len) {
      const ritem = heap[r].items[heap[r].pos];
      if (cmp(ritem, citem) < 0) {
        c = r;
        citem = ritem;
      }
    }
    if (cmp(citem, item) >= 0) break;
    heap[i] = heap[c];
    i = c;
  }
  heap[i] = run;
}
