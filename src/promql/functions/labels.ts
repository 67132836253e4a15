// Functions that work on labels or order rather than values: label_replace, label_join, and the
// sort family. All of them keep the metric name.
import { compareLabels, compileAnchoredRE2, expandTemplate, getLabel, isUTF8Name, withLabel, type Labels } from '../../model/index.ts';
import { registerFunction } from './registry.ts';
import { execError, instantArg, stringArg } from './helpers.ts';
import { goSortIndexes } from './gosort.ts';
import type { InstantArg, VectorResult } from './types.ts';


// Calls are evaluated once per step; compile each distinct pattern once.
const regexCache = new Map<string, RegExp>();
const REGEX_CACHE_MAX = 256;

function labelReplaceRegex(src: string): RegExp {
  let re = regexCache.get(src);
  if (re !== undefined) return re;
  try {
    re = compileAnchoredRE2(src);
  } catch {
    throw execError(`invalid regular expression in label_replace(): ${src}`);
  }
  if (regexCache.size >= REGEX_CACHE_MAX) regexCache.clear();
  regexCache.set(src, re);
  return re;
}

// The same series comes back at every step of a range query: remember each series' rewritten
// labels per (function, arguments), so the regex runs once per series rather than once per step.
const rewriteMemo = new Map<string, WeakMap<Labels, Labels>>();

function memoFor(key: string): WeakMap<Labels, Labels> {
  let m = rewriteMemo.get(key);
  if (m === undefined) {
    if (rewriteMemo.size >= REGEX_CACHE_MAX) rewriteMemo.clear();
    m = new WeakMap();
    rewriteMemo.set(key, m);
  }
  return m;
}

/** label_replace(v, dst, replacement, src, regex) on one vector. */
export function labelReplace(v: InstantArg, dst: string, repl: string, src: string, regex: string): VectorResult {
  const re = labelReplaceRegex(regex);
  if (!isUTF8Name(dst)) throw execError(`invalid destination label name in label_replace(): ${dst}`);
  const memo = memoFor(`r\0${dst}\0${repl}\0${src}\0${regex}`);
  const n = v.labels.length;
  const out: VectorResult = { labels: new Array<Labels>(n), values: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    const ls = v.labels[i];
    let res = memo.get(ls);
    if (res === undefined) {
      const m = re.exec(getLabel(ls, src));
      // No match leaves the series untouched; an empty result removes the label.
      res = m === null ? ls : withLabel(ls, dst, expandTemplate(repl, m));
      memo.set(ls, res);
    }
    out.labels[i] = res;
    out.values[i] = v.values[i];
  }
  return out;
}

registerFunction({
  name: 'label_replace',
  argTypes: ['instant', 'string', 'string', 'string', 'string'],
  returnType: 'instant',
  keepMetricName: true,
  call: (args) =>
    labelReplace(instantArg(args, 0), stringArg(args, 1), stringArg(args, 2), stringArg(args, 3), stringArg(args, 4)),
});

/** label_join(v, dst, separator, src...) on one vector. */
export function labelJoin(v: InstantArg, dst: string, sep: string, srcs: string[]): VectorResult {
  for (const s of srcs) if (!isUTF8Name(s)) throw execError(`invalid source label name in label_join(): ${s}`);
  if (!isUTF8Name(dst)) throw execError(`invalid destination label name in label_join(): ${dst}`);
  const memo = memoFor(`j\0${dst}\0${sep}\0${srcs.join('\0')}`);
  const n = v.labels.length;
  const out: VectorResult = { labels: new Array<Labels>(n), values: new Array<number>(n) };
  for (let i = 0; i < n; i++) {
    const ls = v.labels[i];
    let res = memo.get(ls);
    if (res === undefined) {
      res = withLabel(ls, dst, srcs.map((s) => getLabel(ls, s)).join(sep));
      memo.set(ls, res);
    }
    out.labels[i] = res;
    out.values[i] = v.values[i];
  }
  return out;
}

registerFunction({
  name: 'label_join',
  argTypes: ['instant', 'string', 'string', 'string'],
  variadic: -1,
  returnType: 'instant',
  keepMetricName: true,
  call: (args) => {
    const srcs: string[] = [];
    for (let i = 3; i < args.length; i++) srcs.push(stringArg(args, i));
    return labelJoin(instantArg(args, 0), stringArg(args, 1), stringArg(args, 2), srcs);
  },
});

function reorder(v: InstantArg, order: number[]): VectorResult {
  return { labels: order.map((i) => v.labels[i]), values: order.map((i) => v.values[i]) };
}

/** Ascending (or descending) by value with NaN last, in exactly Prometheus' order (ties included). */
export function sortByValue(v: InstantArg, desc: boolean): VectorResult {
  const vals = v.values;
  // Prometheus' "less": anything before a NaN, otherwise by value (NaN-vs-NaN is "less" both ways).
  const less = (a: number, b: number): boolean => {
    const x = vals[a];
    const y = vals[b];
    if (Number.isNaN(y)) return true;
    return desc ? x > y : x < y;
  };
  return reorder(v, goSortIndexes(vals.length, less));
}

registerFunction({
  name: 'sort',
  argTypes: ['instant'],
  returnType: 'instant',
  keepMetricName: true,
  ordersResult: true,
  call: (args) => sortByValue(instantArg(args, 0), false),
});
registerFunction({
  name: 'sort_desc',
  argTypes: ['instant'],
  returnType: 'instant',
  keepMetricName: true,
  ordersResult: true,
  call: (args) => sortByValue(instantArg(args, 0), true),
});

const CHUNK = /\d+|\D+/g;

function isDigits(s: string): boolean {
  const c = s.charCodeAt(0);
  return c >= 0x30 && c <= 0x39;
}

/** Go's strconv.Atoi succeeds on a digit run when it fits an int64. */
function fitsInt64(d: string): boolean {
  const t = d.replace(/^0+/, '');
  return t.length < 19 || (t.length === 19 && t <= '9223372036854775807');
}

function compareDigitRuns(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Natural order "a precedes b" as Prometheus' sort_by_label uses it (facette/natsort): digit runs
 * compare as integers, other runs as strings. Returns true for equal strings, false when either
 * is empty — the quirks are kept because they decide the order.
 */
export function naturalLess(a: string, b: string): boolean {
  const ca = a.match(CHUNK) ?? [];
  const cb = b.match(CHUNK) ?? [];
  for (let i = 0; i < ca.length; i++) {
    if (i >= cb.length) return false;
    const x = ca[i];
    const y = cb[i];
    const numeric = isDigits(x) && isDigits(y) && fitsInt64(x) && fitsInt64(y);
    const c = numeric ? compareDigitRuns(x, y) : x === y ? 0 : x < y ? -1 : 1;
    if (c === 0) {
      if (i === ca.length - 1) return true;
      if (i === cb.length - 1) return false;
      continue;
    }
    return c < 0;
  }
  return false;
}

export function sortByLabel(v: InstantArg, names: string[], desc: boolean): VectorResult {
  const cmp = (i: number, j: number): number => {
    const a = v.labels[i];
    const b = v.labels[j];
    for (const name of names) {
      const x = getLabel(a, name);
      const y = getLabel(b, name);
      if (x === y) continue;
      const less = naturalLess(x, y);
      return desc ? (less ? 1 : -1) : less ? -1 : 1;
    }
    // All given labels equal: fall back to the full label sets for a deterministic order.
    const c = compareLabels(a, b);
    return desc ? -c : c;
  };
  return reorder(v, goSortIndexes(v.labels.length, (i, j) => cmp(i, j) < 0));
}

registerFunction({
  name: 'sort_by_label',
  argTypes: ['instant', 'string'],
  variadic: -1,
  returnType: 'instant',
  keepMetricName: true,
  ordersResult: true,
  call: (args) => sortByLabel(instantArg(args, 0), args.slice(1).map((_, i) => stringArg(args, i + 1)), false),
});
registerFunction({
  name: 'sort_by_label_desc',
  argTypes: ['instant', 'string'],
  variadic: -1,
  returnType: 'instant',
  keepMetricName: true,
  ordersResult: true,
  call: (args) => sortByLabel(instantArg(args, 0), args.slice(1).map((_, i) => stringArg(args, i + 1)), true),
});
