// Labels identify a series. They are kept as one flat, sorted array of strings
// [name0, value0, name1, value1, ...] rather than an array of {name, value} objects:
// one allocation per series instead of one per label, and cheap to compare and hash.
// `__name__` is an ordinary label.

import { isLegacyMetricName, quoteLabelNameIfNeeded } from './names.ts';

export type Labels = readonly string[];

export const METRIC_NAME = '__name__';
export const EMPTY_LABELS: Labels = Object.freeze([]) as Labels;

/** Builds Labels from a record, sorting by name and dropping empty values (as Prometheus does). */
export function labelsFromRecord(rec: Record<string, string>): Labels {
  const names = Object.keys(rec).filter((n) => rec[n] !== '').sort(compareStrings);
  const out: string[] = new Array(names.length * 2);
  for (let i = 0; i < names.length; i++) {
    out[2 * i] = names[i];
    out[2 * i + 1] = rec[names[i]];
  }
  return out;
}

/** Builds Labels from unsorted [name, value] pairs. Duplicate names are kept (validation rejects them). */
export function labelsFromPairs(pairs: readonly (readonly [string, string])[]): Labels {
  const sorted = pairs.filter((p) => p[1] !== '').sort((a, b) => compareStrings(a[0], b[0]));
  const out: string[] = new Array(sorted.length * 2);
  for (let i = 0; i < sorted.length; i++) {
    out[2 * i] = sorted[i][0];
    out[2 * i + 1] = sorted[i][1];
  }
  return out;
}

export function labelsToRecord(ls: Labels): Record<string, string> {
  const rec: Record<string, string> = {};
  for (let i = 0; i < ls.length; i += 2) rec[ls[i]] = ls[i + 1];
  return rec;
}

export function labelCount(ls: Labels): number {
  return ls.length >> 1;
}

export function getLabel(ls: Labels, name: string): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === name) return ls[i + 1];
  return '';
}

export function metricName(ls: Labels): string {
  return getLabel(ls, METRIC_NAME);
}

/** Returns a copy with `name` set to `value` (removed when value is empty), keeping the order. */
export function withLabel(ls: Labels, name: string, value: string): Labels {
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i < ls.length; i += 2) {
    const c = compareStrings(ls[i], name);
    if (c === 0) {
      if (value !== '') out.push(name, value);
      placed = true;
      continue;
    }
    if (c > 0 && !placed) {
      if (value !== '') out.push(name, value);
      placed = true;
    }
    out.push(ls[i], ls[i + 1]);
  }
  if (!placed && value !== '') out.push(name, value);
  return out;
}

export function withoutLabels(ls: Labels, names: ReadonlySet<string>): Labels {
  const out: string[] = [];
  for (let i = 0; i < ls.length; i += 2) if (!names.has(ls[i])) out.push(ls[i], ls[i + 1]);
  return out;
}

export function labelsEqual(a: Labels, b: Labels): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Byte-wise (code unit) string order, the order Prometheus sorts label names and values in. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Orders label sets the way Prometheus does: label by label, name then value, shorter first. */
export function compareLabels(a: Labels, b: Labels): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  }
  return a.length - b.length;
}

/** `name{a="b", c="d"}` as Prometheus prints a series. */
export function labelsToString(ls: Labels): string {
  let name = '';
  const parts: string[] = [];
  for (let i = 0; i < ls.length; i += 2) {
    if (ls[i] === METRIC_NAME) name = ls[i + 1];
    else parts.push(`${quoteLabelNameIfNeeded(ls[i])}=${JSON.stringify(ls[i + 1])}`);
  }
  // A UTF-8 metric name goes quoted inside the braces, as PromQL selects it: {"my.metric", a="b"}.
  if (name !== '' && !isLegacyMetricName(name)) return `{${[JSON.stringify(name), ...parts].join(', ')}}`;
  if (parts.length === 0 && name !== '') return name;
  return `${name}{${parts.join(', ')}}`;
}

// 53-bit hash of a label set (cyrb53-style: two 32-bit multiplicative lanes). 53 bits fit a JS
// number exactly, so hashes are Map keys without BigInt. Collisions are rare but possible:
// every user of the hash must compare the labels on a hit.
export function labelsHash(ls: Labels): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < ls.length; i++) {
    const s = ls[i];
    for (let j = 0; j < s.length; j++) {
      const c = s.charCodeAt(j);
      h1 = Math.imul(h1 ^ c, 2654435761);
      h2 = Math.imul(h2 ^ c, 1597334677);
    }
    // A separator keeps ["ab","c"] != ["a","bc"]. (0xff can occur in UTF-8 names, so rare pairs collide;
    // the label comparison on a hit covers that.)
    h1 = Math.imul(h1 ^ 0xff, 2654435761);
    h2 = Math.imul(h2 ^ 0xff, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}
