// Deletions of samples the head holds. The head's chunks are not rewritten: as with blocks, the
// deleted ranges are recorded and reads leave those samples out. The head is rebuilt from the WAL
// at start, which still holds the deleted samples, so the ranges are kept in a file beside it
// (`head_tombstones.json`, replaced atomically: temp file, fsync, rename, directory fsync).
//
// They are keyed by label set rather than by the head's series refs: when the head persists a
// range into a block, the ranges are applied to that block by labels (block series ids are
// unrelated to head refs), and a crash between writing the block and giving it its tombstones is
// repaired at the next start by applying them to the blocks again (adding a range a block already
// has changes nothing). Ranges below what the head still holds are dropped once blocks have them.
import fs from 'node:fs';
import path from 'node:path';
import { compareLabels, labelsEqual, newMatcher, type Labels, type Matcher } from '../model/index.ts';
import { addInterval, coversInterval, withoutDeleted, type DeleteRequest, type Intervals } from './block/index.ts';
import type { Head } from './head/head.ts';
import type { SlicedRead } from './readslices.ts';
import type { SeriesData } from './types.ts';
import { fsyncDir, replaceFileDurably } from './durable.ts';

export const HEAD_TOMBSTONES_FILE = 'head_tombstones.json';

interface Entry {
  labels: Labels;
  intervals: Intervals;
}

export class HeadTombstones {
  private readonly file: string;
  private entries = new Map<string, Entry>();

  constructor(dir: string) {
    this.file = path.join(dir, HEAD_TOMBSTONES_FILE);
  }

  /** Reads the file if there is one (a leftover temp file of an interrupted write is ignored). */
  load(): void {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (e) {
      throw new Error(`${this.file}: invalid JSON (${(e as Error).message}); it lists samples deleted from the head: fix or remove it`);
    }
    if (!Array.isArray(parsed)) throw new Error(`${this.file}: not a JSON array`);
    for (const e of parsed as { labels?: unknown; intervals?: unknown }[]) {
      if (!Array.isArray(e.labels) || !Array.isArray(e.intervals) || e.labels.length % 2 !== 0 ||
          !e.labels.every((l) => typeof l === 'string') ||
          !e.intervals.every((iv) => Array.isArray(iv) && iv.length === 2 && Number.isSafeInteger(iv[0]) && Number.isSafeInteger(iv[1]) && iv[0] <= iv[1])) {
        throw new Error(`${this.file}: malformed entry ${JSON.stringify(e).slice(0, 200)}`);
      }
      let ivs: Intervals = [];
      for (const [a, b] of e.intervals as [number, number][]) ivs = addInterval(ivs, a, b);
      this.entries.set(keyOf(e.labels as string[]), { labels: e.labels as string[], intervals: ivs });
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** The deleted ranges of a series; undefined when it has none. */
  get(labels: Labels): Intervals | undefined {
    return this.entries.get(keyOf(labels))?.intervals;
  }

  /** Adds a deleted range (in memory; save() makes it durable). False when it was covered already. */
  add(labels: Labels, mint: number, maxt: number): boolean {
    const key = keyOf(labels);
    const e = this.entries.get(key);
    if (e !== undefined && coversInterval(e.intervals, mint, maxt)) return false;
    this.entries.set(key, { labels, intervals: addInterval(e?.intervals ?? [], mint, maxt) });
    return true;
  }

  /** Forgets the parts of ranges before t (the head no longer holds those samples). True if any changed. */
  dropBefore(t: number): boolean {
    let changed = false;
    for (const [key, e] of this.entries) {
      const kept: [number, number][] = [];
      for (const [a, b] of e.intervals) if (b >= t) kept.push([Math.max(a, t), b]);
      if (kept.length === e.intervals.length && (kept.length === 0 || kept[0][0] === e.intervals[0][0])) continue;
      changed = true;
      if (kept.length === 0) this.entries.delete(key);
      else this.entries.set(key, { labels: e.labels, intervals: kept });
    }
    return changed;
  }

  /** Samples of a series without its deleted ones (null when none remain). */
  filter<T extends { labels: Labels; timestamps: Float64Array; values: Float64Array }>(s: T): T | null {
    const ivs = this.get(s.labels);
    return ivs === undefined ? s : withoutDeleted(s, ivs);
  }

  /** The ranges as block delete requests (exactly these label sets), clipped to [mint, maxt]. */
  requests(mint: number, maxt: number): DeleteRequest[] {
    const out: DeleteRequest[] = [];
    for (const e of this.entries.values()) {
      const matchers = [];
      for (let i = 0; i < e.labels.length; i += 2) matchers.push(newMatcher('=', e.labels[i], e.labels[i + 1]));
      for (const [a, b] of e.intervals) {
        if (b < mint || a > maxt) continue;
        out.push({ matchers, mint: Math.max(a, mint), maxt: Math.min(b, maxt), exact: true });
      }
    }
    return out;
  }

  /** Writes the file (or removes it when there is nothing to keep), atomically. */
  save(): void {
    if (this.entries.size > 0) return replaceFileDurably(this.file, JSON.stringify([...this.entries.values()]) + '\n');
    if (!fs.existsSync(this.file)) return;
    fs.rmSync(this.file);
    fsyncDir(path.dirname(this.file));
  }
}

// ---- reads of the head without its deleted samples (the querier uses these only while there are any)

/**
 * The head's select without its deleted samples, and without series left with none. With
 * `lastOnly` the head returns each series' newest sample: a series whose newest sample was
 * deleted is read again over the range (the newest sample that survived is then the answer).
 */
export function* headSelectWithout(
  head: Head, deleted: HeadTombstones, matchers: readonly Matcher[], mint: number, maxt: number, lastOnly: boolean,
): SlicedRead<SeriesData[]> {
  const found = yield* head.selectSliced(matchers, mint, maxt, lastOnly);
  const out: SeriesData[] = [];
  const again: Labels[] = [];
  for (const s of found) {
    const kept = deleted.filter(s);
    if (kept !== null) out.push(kept);
    else if (lastOnly) again.push(s.labels);
  }
  if (again.length === 0) return out;
  const reread = yield* readExactly(head, again, matchers, mint, maxt);
  for (const s of reread) {
    const kept = deleted.filter(s);
    if (kept !== null) out.push(kept);
  }
  // Sources return series in label order; the re-read ones were taken out of it.
  return out.sort((a, b) => compareLabels(a.labels, b.labels));
}

/**
 * The head's series without those whose samples in range were all deleted: a series with
 * deletions is read to see whether any sample in range survived them.
 */
export function* headSeriesWithout(head: Head, deleted: HeadTombstones, matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<Labels[]> {
  const found = yield* head.seriesSliced(matchers, mint, maxt);
  const check = found.filter((ls) => deleted.get(ls) !== undefined);
  if (check.length === 0) return found;
  const alive = new Set<string>();
  for (const s of yield* readExactly(head, check, matchers, mint, maxt)) if (deleted.filter(s) !== null) alive.add(keyOf(s.labels));
  return found.filter((ls) => deleted.get(ls) === undefined || alive.has(keyOf(ls)));
}

/** Series a head read may re-read one by one (by their labels); more are read with the read's own matchers. */
const REREAD_ONE_BY_ONE = 64;

/** The samples in [mint, maxt] of the series with exactly these labels (all of which match `matchers`). */
function* readExactly(head: Head, which: readonly Labels[], matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<SeriesData[]> {
  if (which.length > REREAD_ONE_BY_ONE) {
    const want = new Set(which.map(keyOf));
    return (yield* head.selectSliced(matchers, mint, maxt, false)).filter((s) => want.has(keyOf(s.labels)));
  }
  const out: SeriesData[] = [];
  for (const ls of which) {
    const exact: Matcher[] = [];
    for (let i = 0; i < ls.length; i += 2) exact.push(newMatcher('=', ls[i], ls[i + 1]));
    for (const s of yield* head.selectSliced(exact, mint, maxt, false)) if (labelsEqual(s.labels, ls)) out.push(s);
  }
  return out;
}

// The JSON form of the label array: an unambiguous key whatever the names and values contain.
function keyOf(labels: Labels): string {
  return JSON.stringify(labels);
}
