// The head's inverted index: label name → value → sorted series refs. Refs are handed out in
// increasing order, so appending a new ref keeps every list sorted without a sort.
//
// A list starts as a plain array and becomes a Uint32Array with room to grow once it is long: a
// JS array costs 8 bytes an entry, a typed array 4, but a typed array carries ~200 bytes of fixed
// overhead, too much for the many short lists of high-cardinality labels.
import { compareStrings } from '../../model/index.ts';
import { VALUES_PER_NULL, type PostingsIndex } from '../index/index.ts';
import { growColumn } from '../columns.ts';
import { StringMap } from './stringmap.ts';

/** A long list: ids[0, n) sorted. */
interface LongList {
  ids: Uint32Array;
  n: number;
}
type List = number[] | LongList;

/** Entries at which a plain list becomes a LongList (never back). */
const LONG_AT = 64;
/**
 * Entries from which a LongList grows in place (a column, see columns.ts) instead of by a copy: the
 * lists of every series of a job or of a large metric hold millions of refs at 10M series, and
 * copying one would stall appends. Not below: a column is an address-space reservation and a
 * memory mapping of its own, and there are tens of thousands of shorter lists (one per instance).
 */
const COLUMN_AT = 1 << 16;

export class MemPostings implements PostingsIndex {
  /**
   * The labels of a series, from the head's label pool: with it, matcher evaluation checks a few
   * candidate series (those the literal matchers picked) against regex matchers directly rather
   * than taking the union of the postings of every value the regex matches.
   */
  readonly seriesLabels: ((ref: number) => readonly string[]) | undefined;
  /** A name's values are a StringMap: a label with a value per series has millions of them. */
  private readonly byName = new Map<string, StringMap<List>>();
  private all: List = [];
  /** One past the highest ref ever added: the id universe for bitmap unions. */
  numSeries = 0;
  // Removals are batched (series GC after head truncation) and applied in one pass.
  private readonly removed = new Set<number>();

  constructor(seriesLabels?: (ref: number) => readonly string[]) {
    this.seriesLabels = seriesLabels;
  }

  add(ref: number, labels: readonly string[]): void {
    if (ref >= this.numSeries) this.numSeries = ref + 1;
    for (let i = 0; i < labels.length; i += 2) {
      let values = this.byName.get(labels[i]);
      if (!values) {
        values = new StringMap();
        this.byName.set(labels[i], values);
      }
      const list = values.get(labels[i + 1]);
      if (!list) values.set(labels[i + 1], [ref]);
      else {
        const grown = insertSorted(list, ref);
        if (grown !== list) values.set(labels[i + 1], grown);
      }
    }
    this.all = insertSorted(this.all, ref);
  }

  /**
   * Removes refs (with their labels) from every list. A list is sorted, so only its part between
   * the lowest and the highest ref removed is filtered, and the rest moved up (a memmove): the
   * head's truncation removes series a slice of refs at a time, and filtering every shared list
   * whole (all series, a job's, a metric's: millions of refs at 1M series) held the event loop
   * 100-500 ms a slice.
   */
  remove(entries: readonly { ref: number; labels: readonly string[] }[]): void {
    if (entries.length === 0) return;
    let min = Infinity;
    let max = -Infinity;
    for (const e of entries) {
      this.removed.add(e.ref);
      if (e.ref < min) min = e.ref;
      if (e.ref > max) max = e.ref;
    }
    const touched = new Set<List>();
    for (const e of entries) {
      for (let i = 0; i < e.labels.length; i += 2) {
        const values = this.byName.get(e.labels[i]);
        const list = values?.get(e.labels[i + 1]);
        if (list) touched.add(list);
      }
    }
    for (const list of touched) filterInPlace(list, this.removed, min, max);
    filterInPlace(this.all, this.removed, min, max);
    // Drop emptied pairs and names so labelValues/labelNames stay exact.
    for (const e of entries) {
      for (let i = 0; i < e.labels.length; i += 2) {
        const values = this.byName.get(e.labels[i]);
        if (!values) continue;
        const list = values.get(e.labels[i + 1]);
        if (list && listLength(list) === 0) values.delete(e.labels[i + 1]);
        if (values.size === 0) this.byName.delete(e.labels[i]);
      }
    }
    this.removed.clear();
  }

  labelNames(): readonly string[] {
    return [...this.byName.keys()].sort(compareStrings);
  }

  labelValues(name: string): readonly string[] {
    const values = this.byName.get(name);
    return values ? [...values.keys()].sort(compareStrings) : [];
  }

  // Lists change in place (appends, removals), so matcher evaluation gets a copy, which costs far
  // less than the select that follows.
  postings(name: string, value: string): Uint32Array {
    const list = this.byName.get(name)?.get(value);
    return list ? copyOf(list) : EMPTY;
  }

  /**
   * Lazily, so that matcher evaluation can pause between lists: the values map may change while
   * it is paused (Map iteration goes on over entries added or deleted meanwhile, and over the old
   * map of a StringMap that split). What shows of that is series created or removed since the
   * evaluation began, which the head leaves out of the result.
   */
  *postingsWhere(name: string, pred: (value: string) => boolean): Generator<Uint32Array | null> {
    const values = this.byName.get(name);
    if (!values) return;
    let tested = 0;
    for (const [v, list] of values) {
      if (pred(v)) {
        tested = 0;
        yield copyOf(list);
      } else if (++tested === VALUES_PER_NULL) {
        tested = 0;
        yield null;
      }
    }
  }

  allPostings(): Uint32Array {
    return copyOf(this.all);
  }

  /** Number of distinct label pairs, for stats. */
  pairCount(): number {
    let n = 0;
    for (const v of this.byName.values()) n += v.size;
    return n;
  }
}

const EMPTY = new Uint32Array(0);

function listLength(list: List): number {
  return Array.isArray(list) ? list.length : list.n;
}

function copyOf(list: List): Uint32Array {
  return Array.isArray(list) ? Uint32Array.from(list) : list.ids.slice(0, list.n);
}

/** Adds ref keeping the list sorted and without duplicates; returns the list (a new one if it turned long). */
function insertSorted(list: List, ref: number): List {
  if (Array.isArray(list)) {
    if (list.length + 1 >= LONG_AT) return insertSorted({ ids: Uint32Array.from(list), n: list.length }, ref);
    const at = list.length === 0 || list[list.length - 1] < ref ? list.length : lowerBound(list, list.length, ref);
    if (at === list.length) list.push(ref);
    else if (list[at] !== ref) list.splice(at, 0, ref);
    return list;
  }
  // Replay can re-add refs out of order (series records of a checkpoint); keep the list sorted.
  const n = list.n;
  const at = n === 0 || list.ids[n - 1] < ref ? n : lowerBound(list.ids, n, ref);
  if (at < n && list.ids[at] === ref) return list;
  if (n === list.ids.length) {
    if (n >= COLUMN_AT) list.ids = growColumn(list.ids, Uint32Array, n + 1);
    else {
      const next = new Uint32Array(Math.ceil(n * 1.5) + 16);
      next.set(list.ids);
      list.ids = next;
    }
  }
  if (at < n) list.ids.copyWithin(at + 1, at, n);
  list.ids[at] = ref;
  list.n = n + 1;
  return list;
}

function lowerBound(ids: ArrayLike<number>, n: number, ref: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ids[mid] < ref) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Drops the refs in `drop`, all of them in [min, max], from a list. */
function filterInPlace(list: List, drop: ReadonlySet<number>, min: number, max: number): void {
  if (Array.isArray(list)) {
    let w = 0;
    for (let i = 0; i < list.length; i++) if (!drop.has(list[i])) list[w++] = list[i];
    list.length = w;
    return;
  }
  const ids = list.ids;
  const n = list.n;
  const from = lowerBound(ids, n, min);
  const to = lowerBound(ids, n, max + 1);
  let w = from;
  for (let i = from; i < to; i++) if (!drop.has(ids[i])) ids[w++] = ids[i];
  if (w < to) ids.copyWithin(w, to, n);
  list.n = n - (to - w);
  // Give memory back after a large removal (series churn), keeping room to grow.
  if (ids.length > 1024 && list.n < ids.length / 4) list.ids = ids.slice(0, list.n * 2);
}
