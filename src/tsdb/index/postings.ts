// Postings lists (sorted series ids) and selecting series for label matchers on the index,
// the way Prometheus does it: never by scanning every series' labels.
//
// Matcher evaluation is a sliced read (see readslices.ts), like the series reads it starts: a
// broad selector over a million series intersects, merges and subtracts lists of millions of ids
// and may test a regex against a million label values, tens of milliseconds or more that would
// otherwise hold the event loop in one go and could not be stopped. The set operations count the
// list entries they go through and pause every ENTRIES_PER_PAUSE of them; a small selector never
// gets there and runs without a pause (no promise, no clock read).
import { matcherSetValues, matchesLabels, type Matcher } from '../../model/index.ts';
import { drainSliced, type SlicedRead } from '../readslices.ts';

/** What matcher evaluation needs from an index. */
export interface PostingsIndex {
  readonly numSeries: number;
  allPostings(): Uint32Array;
  /** Postings of one label pair; empty when absent. */
  postings(name: string, value: string): Uint32Array;
  /**
   * Postings of every value of `name` satisfying `pred` (one list per value), produced as they
   * are found, so evaluation can pause between them. A null instead of a list after every
   * VALUES_PER_NULL values tested without a match: a label with a value per series has millions.
   */
  postingsWhere(name: string, pred: (value: string) => boolean): Iterable<Uint32Array | null>;
  /** A series' labels, where the index reads them cheaply: few candidates are then checked directly. */
  seriesLabels?(id: number): readonly string[];
}

/** Values postingsWhere tests without a match before it yields a null (a point to pause at). */
export const VALUES_PER_NULL = 1024;
/** Testing a value against a matcher counts as this many list entries of work. */
const ENTRIES_PER_VALUE = 16;

/**
 * List entries gone through between two pauses: about a millisecond of work. Set operations
 * go through lists in steps of at most this many entries.
 */
const ENTRIES_PER_PAUSE = 1 << 16;

/**
 * Work done since the last pause, shared by all steps of one evaluation (many small lists add up
 * to a pause as one large list does).
 */
interface Work {
  left: number;
}

/** Whether `entries` more of work call for a pause (and starts counting the next slice if so). */
function spend(w: Work, entries: number): boolean {
  if ((w.left -= entries) > 0) return false;
  w.left = ENTRIES_PER_PAUSE;
  return true;
}

/**
 * Up to this many candidate series (from the matchers with literal values) are checked label by
 * label against the other matchers, instead of intersecting with the union of the postings of
 * every value those match: `instance=~"host-.*"` over all hosts decodes every host's list to keep
 * a few dozen series that the metric name already picked out.
 */
const CHECK_LABELS_MAX = 256;

export function intersectPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  return drainSliced(intersectSliced(a, b, { left: Infinity }));
}

export function subtractPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  return drainSliced(subtractSliced(a, b, { left: Infinity }));
}

/** Union of sorted lists. Many lists (e.g. `__name__=~".+"`) go through a bitmap of all series. */
export function unionPostings(lists: readonly Uint32Array[], numSeries: number): Uint32Array {
  return drainSliced(unionSliced(lists, numSeries, { left: Infinity }));
}

function* intersectSliced(a: Uint32Array, b: Uint32Array, w: Work): SlicedRead<Uint32Array> {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let from = 0; from < a.length && j < b.length; from += ENTRIES_PER_PAUSE) {
    const to = Math.min(a.length, from + ENTRIES_PER_PAUSE);
    for (let i = from; i < to && j < b.length; i++) {
      const v = a[i];
      // Gallop in the longer list: a small list against a huge one costs ~|a| log |b|.
      if (b[j] < v) {
        let step = 1;
        let hi = j + 1;
        while (hi < b.length && b[hi] < v) {
          j = hi;
          step *= 2;
          hi = j + step;
        }
        if (hi > b.length) hi = b.length;
        let lo = j + 1;
        while (lo < hi) {
          const mid = (lo + hi) >>> 1;
          if (b[mid] < v) lo = mid + 1;
          else hi = mid;
        }
        j = lo;
      }
      if (j < b.length && b[j] === v) out[n++] = v;
    }
    if (spend(w, to - from)) yield 0;
  }
  return out.subarray(0, n);
}

function* subtractSliced(a: Uint32Array, b: Uint32Array, w: Work): SlicedRead<Uint32Array> {
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let from = 0; from < a.length; from += ENTRIES_PER_PAUSE) {
    const to = Math.min(a.length, from + ENTRIES_PER_PAUSE);
    const j0 = j;
    for (let i = from; i < to; i++) {
      const v = a[i];
      while (j < b.length && b[j] < v) j++;
      if (j < b.length && b[j] === v) continue;
      out[n++] = v;
    }
    if (spend(w, to - from + j - j0)) yield 0;
  }
  return out.subarray(0, n);
}

function* unionSliced(lists: readonly Uint32Array[], numSeries: number, w: Work): SlicedRead<Uint32Array> {
  if (lists.length === 0) return new Uint32Array(0);
  if (lists.length === 1) return lists[0];
  let total = 0;
  let lo = Infinity;
  let hi = -1;
  for (const l of lists) {
    total += l.length;
    if (l.length > 0) {
      if (l[0] < lo) lo = l[0];
      if (l[l.length - 1] > hi) hi = l[l.length - 1];
    }
  }
  if (hi < 0) return new Uint32Array(0);
  // A bitmap over the ids the lists span when they are many or long: a sort of the concatenation
  // would be one step too long to pause in.
  if (lists.length > 2 && (total * 8 >= numSeries || total > ENTRIES_PER_PAUSE)) {
    const seen = new Uint8Array(hi - lo + 1);
    let n = 0;
    for (const l of lists) {
      for (let from = 0; from < l.length; from += ENTRIES_PER_PAUSE) {
        const to = Math.min(l.length, from + ENTRIES_PER_PAUSE);
        for (let i = from; i < to; i++) {
          const s = l[i] - lo;
          if (seen[s] === 0) {
            seen[s] = 1;
            n++;
          }
        }
        if (spend(w, to - from)) yield 0;
      }
    }
    const out = new Uint32Array(n);
    let k = 0;
    // A byte of the bitmap costs about an eighth of a list entry.
    const step = ENTRIES_PER_PAUSE * 8;
    for (let from = 0; from < seen.length && k < n; from += step) {
      const to = Math.min(seen.length, from + step);
      for (let s = from; s < to; s++) if (seen[s] === 1) out[k++] = s + lo;
      if (spend(w, (to - from) >>> 3)) yield 0;
    }
    return out;
  }
  if (lists.length === 2) return yield* mergeSliced(lists[0], lists[1], w);
  // Few short lists (under ENTRIES_PER_PAUSE entries in all): one sort.
  const all = new Uint32Array(total);
  let off = 0;
  for (const l of lists) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i];
  if (spend(w, total)) yield 0;
  return all.subarray(0, n);
}

/** Union of two sorted lists. */
function* mergeSliced(a: Uint32Array, b: Uint32Array, w: Work): SlicedRead<Uint32Array> {
  const out = new Uint32Array(a.length + b.length);
  let n = 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const stop = n + ENTRIES_PER_PAUSE;
    while (n < stop && i < a.length && j < b.length) {
      const x = a[i];
      const y = b[j];
      if (x <= y) {
        out[n++] = x;
        i++;
        if (x === y) j++;
      } else {
        out[n++] = y;
        j++;
      }
    }
    if (i === a.length || j === b.length) break;
    if (spend(w, ENTRIES_PER_PAUSE)) yield 0;
  }
  const rest = i < a.length ? a.subarray(i) : b.subarray(j);
  out.set(rest, n);
  return out.subarray(0, n + rest.length);
}

/**
 * Sorted ids of the series matching all matchers. A missing label counts as the empty value, so
 * each matcher is one of two kinds:
 *  - it does not match "": the series must carry the label with a matching value, so intersect
 *    with the union of the postings of the matching values;
 *  - it matches "" (`!=`, `!~`, `=""`, `=~"a|"`...): a series is excluded only if it carries the
 *    label with a value that does NOT match, so subtract the union of those values' postings.
 * Literal values (`=`, `!=`, `=~"a|b"`, `!~"a|b"`) are looked up directly; real regexes are tested
 * against the label's values in the postings table, once per distinct value.
 */
export function postingsForMatchers(ix: PostingsIndex, matchers: readonly Matcher[]): Uint32Array {
  return drainSliced(postingsForMatchersSliced(ix, matchers));
}

/**
 * postingsForMatchers as a read that pauses every ENTRIES_PER_PAUSE list entries of work (see
 * readslices.ts). An index that changes meanwhile (the head's) must make sure that what changed
 * cannot show in the result: lists are fetched at different times.
 */
export function* postingsForMatchersSliced(ix: PostingsIndex, matchers: readonly Matcher[]): SlicedRead<Uint32Array> {
  const w: Work = { left: ENTRIES_PER_PAUSE };
  let include: Uint32Array[] = [];
  const others: Matcher[] = [];
  for (const m of matchers) {
    if (!m.matches('') && matcherSetValues(m) !== null) include.push(yield* valuesPostings(ix, m, true, w));
    else others.push(m);
  }
  if (include.length > 0 && others.length > 0 && ix.seriesLabels !== undefined) {
    const candidates = yield* intersectAll(include, w);
    if (candidates.length <= CHECK_LABELS_MAX) {
      // A missing label reads as "", which is how the postings path below treats it too.
      const out = new Uint32Array(candidates.length);
      let n = 0;
      for (let i = 0; i < candidates.length; i++) {
        if (matchesLabels(others, ix.seriesLabels(candidates[i]) as string[])) out[n++] = candidates[i];
      }
      return out.subarray(0, n);
    }
    include = [candidates];
  }
  const exclude: Uint32Array[] = [];
  for (const m of others) {
    if (m.matches('')) exclude.push(yield* valuesPostings(ix, m, false, w));
    else include.push(yield* valuesPostings(ix, m, true, w));
  }
  let result = include.length === 0 ? ix.allPostings() : yield* intersectAll(include, w);
  for (const ex of exclude) {
    if (result.length === 0) break;
    result = yield* subtractSliced(result, ex, w);
  }
  return result;
}

/** Intersection of non-empty `lists`, smallest first: the result can only shrink. */
function* intersectAll(lists: Uint32Array[], w: Work): SlicedRead<Uint32Array> {
  lists.sort((a, b) => a.length - b.length);
  let result = lists[0];
  for (let i = 1; i < lists.length && result.length > 0; i++) result = yield* intersectSliced(result, lists[i], w);
  return result;
}

/** Union of postings of the values of m.name for which m.matches(value) === want. */
function* valuesPostings(ix: PostingsIndex, m: Matcher, want: boolean, w: Work): SlicedRead<Uint32Array> {
  // Finite value sets: positive matchers with literal values when we want matches, or the negated
  // forms (`!=`, `!~` literal) when we want non-matches — both are "value in set".
  let literal: string[] | null = null;
  if (want) literal = matcherSetValues(m);
  else if (m.type === '!=') literal = [m.value];
  else if (m.type === '!~') {
    const positive = matcherSetValues({ ...m, type: '=~' });
    literal = positive;
  }
  const lists: Uint32Array[] = [];
  if (literal) {
    for (const v of literal) {
      if (v === '') continue;
      const l = ix.postings(m.name, v);
      lists.push(l);
      if (spend(w, l.length + ENTRIES_PER_VALUE)) yield 0;
    }
  } else {
    for (const l of ix.postingsWhere(m.name, (v) => m.matches(v) === want)) {
      if (l === null) {
        if (spend(w, VALUES_PER_NULL * ENTRIES_PER_VALUE)) yield 0;
        continue;
      }
      lists.push(l);
      if (spend(w, l.length + ENTRIES_PER_VALUE)) yield 0;
    }
  }
  return lists.length === 1 ? lists[0] : yield* unionSliced(lists, ix.numSeries, w);
}
