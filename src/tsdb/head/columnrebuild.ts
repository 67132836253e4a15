// Rebuilding the head's per-ref columns without the entries of removed series, in slices.
//
// Refs are not reused, so the columns keep an entry for every series ever created; a fresh
// column's pages that are never written are never resident, so copying the live refs' entries into
// fresh columns gives back the long runs of removed refs that series churn leaves (a deploy's pods
// were created together). The copy is mostly the first touch of the fresh pages: in one step it
// held the event loop 28 ms at 1M live series and ~340 ms at 10M. So it runs in slices of
// REBUILD_SLICE refs (about a millisecond), and the head yields to the event loop in between.
//
// Until the last slice the head's columns are the old ones: appends, new series, truncation and
// reads between slices all use them, so a read that pauses sees one set of columns throughout. A
// write to the entries of a ref that was already copied is noted (the head calls `noteWritten`)
// and copied again at the start of the next slice; the last slice, which finds nothing left to
// copy, returns true, and the head swaps the columns in that same step. Series created meanwhile
// have refs from `tailFrom` on (refs only grow outside replay; a replayed series is noted): they
// are copied as one more run, which follows the head's nextRef until it is reached.
import { growColumn, newColumn, type Column, type ColumnType } from '../columns.ts';

/** The per-ref columns the rebuild copies (the label offsets are rebuilt by the label pool compaction). */
export interface RefColumns {
  labelLen: Uint16Array<ArrayBuffer>;
  openSlot: Int32Array<ArrayBuffer>;
  closedHead: Float64Array<ArrayBuffer>;
  closedCount: Uint32Array<ArrayBuffer>;
  lastT: Float64Array<ArrayBuffer>;
  lastV: Float64Array<ArrayBuffer>;
}

/** Bytes of the columns above per ref. */
export const REF_COLUMN_BYTES = 2 + 4 + 8 + 4 + 8 + 8;

/** Refs copied per slice: 0.6 MB of fresh pages, about half a millisecond. */
export const REBUILD_SLICE = 1 << 14;

export class ColumnRebuild {
  readonly next: RefColumns;
  /** Pairs [from, to) of refs holding every live series below tailFrom, ascending. */
  private readonly runs: readonly number[];
  private readonly tailFrom: number;
  private run = 0;
  /** Every ref below this that is live was copied; writes to those are noted. */
  private copiedTo = 0;
  /** Refs copied so far (for the head's memory figure: those fresh pages are resident). */
  copied = 0;
  private written = new Uint32Array(1024);
  private nWritten = 0;

  constructor(cap: number, runs: readonly number[], tailFrom: number) {
    this.runs = runs;
    this.tailFrom = tailFrom;
    this.next = {
      labelLen: newColumn(Uint16Array, cap),
      openSlot: newColumn(Int32Array, cap),
      closedHead: newColumn(Float64Array, cap),
      closedCount: newColumn(Uint32Array, cap),
      lastT: newColumn(Float64Array, cap),
      lastV: newColumn(Float64Array, cap),
    };
  }

  /** Notes a write to ref's entries in the head's columns. */
  noteWritten(ref: number): void {
    if (ref >= this.copiedTo) return; // copied later, as it is then
    if (this.nWritten === this.written.length) {
      const more = new Uint32Array(this.written.length * 2);
      more.set(this.written);
      this.written = more;
    }
    this.written[this.nWritten++] = ref;
  }

  /** noteWritten for each of refs (an append's samples). */
  noteWrittenAll(refs: Uint32Array): void {
    for (let i = 0; i < refs.length; i++) if (refs[i] < this.copiedTo) this.noteWritten(refs[i]);
  }

  /**
   * One slice: copies again the entries written since the last, then up to REBUILD_SLICE refs more
   * of `cur` (the head's columns, `cap` refs, refs below `nextRef` in use). Returns true once
   * everything is copied: `next` then holds what `cur` holds for every live ref, until the next
   * write, so the head swaps in the same step.
   */
  step(cur: RefColumns, cap: number, nextRef: number): boolean {
    this.grow(cap);
    this.copyWritten(cur);
    let budget = REBUILD_SLICE;
    const runs = this.runs;
    while (budget > 0 && this.run < runs.length) {
      const from = Math.max(runs[this.run], this.copiedTo);
      const to = Math.min(runs[this.run + 1], from + budget);
      this.copy(cur, from, to);
      this.copied += to - from;
      budget -= to - from;
      this.copiedTo = to;
      if (to === runs[this.run + 1]) this.run += 2;
    }
    if (this.run < runs.length) return false;
    if (this.copiedTo < this.tailFrom) this.copiedTo = this.tailFrom;
    const end = Math.min(nextRef, cap);
    if (budget > 0 && this.copiedTo < end) {
      const to = Math.min(end, this.copiedTo + budget);
      this.copy(cur, this.copiedTo, to);
      this.copied += to - this.copiedTo;
      this.copiedTo = to;
    }
    return this.copiedTo >= end;
  }

  /** Copies again the entries of the refs noted (one by one: a scrape's refs, thousands a turn). */
  private copyWritten(cur: RefColumns): void {
    const { labelLen, openSlot, closedHead, closedCount, lastT, lastV } = this.next;
    for (let k = 0; k < this.nWritten; k++) {
      const ref = this.written[k];
      labelLen[ref] = cur.labelLen[ref];
      openSlot[ref] = cur.openSlot[ref];
      closedHead[ref] = cur.closedHead[ref];
      closedCount[ref] = cur.closedCount[ref];
      lastT[ref] = cur.lastT[ref];
      lastV[ref] = cur.lastV[ref];
    }
    this.nWritten = 0;
  }

  private copy(cur: RefColumns, from: number, to: number): void {
    if (to <= from) return;
    const next = this.next;
    next.labelLen.set(cur.labelLen.subarray(from, to), from);
    next.openSlot.set(cur.openSlot.subarray(from, to), from);
    next.closedHead.set(cur.closedHead.subarray(from, to), from);
    next.closedCount.set(cur.closedCount.subarray(from, to), from);
    next.lastT.set(cur.lastT.subarray(from, to), from);
    next.lastV.set(cur.lastV.subarray(from, to), from);
  }

  private grow(cap: number): void {
    const g = <T extends Column>(col: T, type: ColumnType<T>): T => growColumn(col, type, cap);
    const next = this.next;
    next.labelLen = g(next.labelLen, Uint16Array);
    next.openSlot = g(next.openSlot, Int32Array);
    next.closedHead = g(next.closedHead, Float64Array);
    next.closedCount = g(next.closedCount, Uint32Array);
    next.lastT = g(next.lastT, Float64Array);
    next.lastV = g(next.lastV, Float64Array);
  }
}
