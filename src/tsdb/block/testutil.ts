// Helpers shared by this folder's tests: a seeded PRNG, random series, and the in-memory model
// the block must agree with.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareLabels, labelsFromRecord, matchesLabels, type Labels, type Matcher } from '../../model/index.ts';
import type { SeriesData } from '../types.ts';
import type { BlockSeriesInput } from './writer.ts';
import { mulberry32 } from '../../../test/helpers/random.ts';


export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'strata-block-'));
}

export const LABEL_VALUES: Record<string, string[]> = {
  __name__: ['up', 'node_cpu_seconds_total', 'http_requests_total', 'go_gc_duration_seconds'],
  job: ['node', 'api', 'a|b', 'x.y'],
  instance: ['h1:9100', 'h2:9100', 'h3:9100', 'hé:9100', 'h𝄞:9100'],
  mode: ['idle', 'user', 'system'],
  le: ['0.1', '1', '+Inf'],
  zone: ['eu', 'us'],
};

/** Random distinct series sorted by labels, each with random samples in [minTime, maxTime). */
export function randomSeries(r: () => number, count: number, minTime: number, maxTime: number, maxSamples: number): BlockSeriesInput[] {
  const byKey = new Map<string, Labels>();
  while (byKey.size < count) {
    const rec: Record<string, string> = {};
    for (const [name, values] of Object.entries(LABEL_VALUES)) {
      if (name === '__name__' || r() < 0.5) rec[name] = values[Math.floor(r() * values.length)];
    }
    rec.id = String(Math.floor(r() * count * 4));
    const ls = labelsFromRecord(rec);
    byKey.set(JSON.stringify(ls), ls);
  }
  const labels = [...byKey.values()].sort(compareLabels);
  return labels.map((ls) => randomSamples(r, ls, minTime, maxTime, maxSamples));
}

export function randomSamples(r: () => number, labels: Labels, minTime: number, maxTime: number, maxSamples: number): BlockSeriesInput {
  const n = Math.floor(r() * maxSamples);
  const set = new Set<number>();
  for (let i = 0; i < n; i++) set.add(minTime + Math.floor(r() * (maxTime - minTime)));
  const timestamps = Float64Array.from([...set].sort((a, b) => a - b));
  const values = new Float64Array(timestamps.length);
  let v = Math.floor(r() * 1000);
  const kind = Math.floor(r() * 3);
  for (let i = 0; i < values.length; i++) {
    if (kind === 0) v += Math.floor(r() * 10); // counter
    else if (kind === 1) v = Math.round(r() * 10000) / 100; // two decimals
    else v = r() * 1e6 - 5e5; // full precision
    values[i] = v;
  }
  return { labels, timestamps, values };
}

/** What a select must return, computed from the series directly. */
export function modelSelect(all: readonly BlockSeriesInput[], ms: readonly Matcher[], mint: number, maxt: number): SeriesData[] {
  const out: SeriesData[] = [];
  for (const s of all) {
    if (!matchesLabels(ms, s.labels)) continue;
    let a = 0;
    while (a < s.timestamps.length && s.timestamps[a] < mint) a++;
    let b = a;
    while (b < s.timestamps.length && s.timestamps[b] <= maxt) b++;
    if (b > a) out.push({ labels: s.labels, timestamps: s.timestamps.slice(a, b), values: s.values.slice(a, b) });
  }
  return out.sort((x, y) => compareLabels(x.labels, y.labels));
}

/** Plain arrays, so a failing comparison prints readably. */
export function plain(ss: readonly SeriesData[]): { labels: string[]; t: number[]; v: number[] }[] {
  return ss.map((s) => ({ labels: [...s.labels], t: [...s.timestamps], v: [...s.values] }));
}

/** First difference between two select results, or '' when equal (cheap on large arrays). */
export function diffSeries(got: readonly SeriesData[], want: readonly SeriesData[]): string {
  if (got.length !== want.length) return `${got.length} series, want ${want.length}`;
  for (let i = 0; i < got.length; i++) {
    const g = got[i];
    const w = want[i];
    if (compareLabels(g.labels, w.labels) !== 0) return `series ${i}: labels ${JSON.stringify(g.labels)}, want ${JSON.stringify(w.labels)}`;
    const bytes = (a: Float64Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    if (!bytes(g.timestamps).equals(bytes(w.timestamps))) return `series ${i} ${JSON.stringify(g.labels)}: timestamps differ`;
    if (!bytes(g.values).equals(bytes(w.values))) return `series ${i} ${JSON.stringify(g.labels)}: values differ`;
  }
  return '';
}

/** The tests' seeded PRNG (mulberry32). */
export const rng = mulberry32;
