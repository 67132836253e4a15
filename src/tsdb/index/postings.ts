// Postings lists (sorted series ids) and selecting series for label matchers on the index,
// the way Prometheus does it: never by scanning every series' labels.
import { matcherSetValues, matchesLabels, type Matcher } from '../../model/index.ts';

/** What matcher evaluation needs from an index. */
export interface PostingsIndex {
  readonly numSeries: number;
  allPostings(): Uint32Array;
  /** Postings of one label pair; empty when absent. */
  postings(name: string, value: string): Uint32Array;
  /** Postings of every value of `name` satisfying `pred` (one list per value). */
  postingsWhere(name: string, pred: (value: string) => boolean): Uint32Array[];
  /** A series' labels, where the index reads them cheaply: few candidates are then checked directly. */
  seriesLabels?(id: number): readonly string[];
}

/**
 * Up to this many candidate series (from the matchers with literal values) are checked label by
 * label against the other matchers, instead of intersecting with the union of the postings of
 * every value those match: `instance=~"host-.*"` over all hosts decodes every host's list to keep
 * a few dozen series that the metric name already picked out.
 */
const CHECK_LABELS_MAX = 256;

export function intersectPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (a.length > b.length) [a, b] = [b, a];
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length && j < b.length; i++) {
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
  return out.subarray(0, n);
}

export function subtractPostings(a: Uint32Array, b: Uint32Array): Uint32Array {
  if (b.length === 0) return a;
  const out = new Uint32Array(a.length);
  let n = 0;
  let j = 0;
  for (let i = 0; i < a.length; i++) {
    const v = a[i];
    while (j < b.length && b[j] < v) j++;
    if (j < b.length && b[j] === v) continue;
    out[n++] = v;
  }
  return out.subarray(0, n);
}

/** Union of sorted lists. Many lists (e.g. `__name__=~".+"`) go through a bitmap of all series. */
export function unionPostings(lists: readonly Uint32Array[], numSeries: number): Uint32Array {
  if (lists.length === 0) return new Uint32Array(0);
  if (lists.length === 1) return lists[0];
  let total = 0;
  for (const l of lists) total += l.length;
  if (lists.length > 2 && total * 8 >= numSeries) {
    const seen = new Uint8Array(numSeries);
    let n = 0;
    for (const l of lists) {
      for (let i = 0; i < l.length; i++) {
        if (seen[l[i]] === 0) {
          seen[l[i]] = 1;
          n++;
        }
      }
    }
    const out = new Uint32Array(n);
    let k = 0;
    for (let s = 0; s < numSeries && k < n; s++) if (seen[s] === 1) out[k++] = s;
    return out;
  }
  const all = new Uint32Array(total);
  let off = 0;
  for (const l of lists) {
    all.set(l, off);
    off += l.length;
  }
  all.sort();
  let n = 0;
  for (let i = 0; i < all.length; i++) if (i === 0 || all[i] !== all[i - 1]) all[n++] = all[i];
  return all.subarray(0, n);
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
  let include: Uint32Array[] = [];
  const others: Matcher[] = [];
  for (const m of matchers) {
    if (!m.matches('') && matcherSetValues(m) !== null) include.push(valuesPostings(ix, m, true));
    else others.push(m);
  }
  if (include.length > 0 && others.length > 0 && ix.seriesLabels !== undefined) {
    const candidates = intersectAll(include);
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
    if (m.matches('')) exclude.push(valuesPostings(ix, m, false));
    else include.push(valuesPostings(ix, m, true));
  }
  let result = include.length === 0 ? ix.allPostings() : intersectAll(include);
  for (const ex of exclude) {
    if (result.length === 0) break;
    result = subtractPostings(result, ex);
  }
  return result;
}

/** Intersection of non-empty `lists`, smallest first: the result can only shrink. */
function intersectAll(lists: Uint32Array[]): Uint32Array {
  lists.sort((a, b) => a.length - b.length);
  let result = lists[0];
  for (let i = 1; i < lists.length && result.length > 0; i++) result = intersectPostings(result, lists[i]);
  return result;
}

/** Union of postings of the values of m.name for which m.matches(value) === want. */
function valuesPostings(ix: PostingsIndex, m: Matcher, want: boolean): Uint32Array {
  // Finite value sets: positive matchers with literal values when we want matches, or the negated
  // forms (`!=`, `!~` literal) when we want non-matches — both are "value in set".
  let literal: string[] | null = null;
  if (want) literal = matcherSetValues(m);
  else if (m.type === '!=') literal = [m.value];
  else if (m.type === '!~') {
    const positive = matcherSetValues({ ...m, type: '=~' });
    literal = positive;
  }
  if (literal) {
    const lists: Uint32Array[] = [];
    for (const v of literal) if (v !== '') lists.push(ix.postings(m.name, v));
    return unionPostings(lists, ix.numSeries);
  }
  return unionPostings(
    ix.postingsWhere(m.name, (v) => m.matches(v) === want),
    ix.numSeries,
  );
}
