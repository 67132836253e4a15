// Backfill: writes samples that arrive in any order (a file of historical data) straight into
// blocks, one per block range they touch, marked as imported (BlockMeta.source) so they never move
// the head's persisted-before point. Blocks that overlap existing ones are fine: queries merge
// them, and compaction folds them together later.
import fs from 'node:fs';
import path from 'node:path';
import { compareLabels, SampleBatchBuilder, type Labels, type SampleBatch } from '../model/index.ts';
import { listBlockDirs, readMeta, writeBlock, type BlockMeta, type BlockSeriesInput } from './block/index.ts';
import type { AppendResult } from './types.ts';

export interface ImportSeries {
  labels: Labels;
  /** Integer ms, any order, duplicates allowed (the sample given last wins). */
  timestamps: Float64Array;
  values: Float64Array;
}

export interface ImportBlocksOptions {
  /** Time range of each written block, aligned to multiples of it (default 2h). */
  blockRangeMs?: number;
  /** Block windows of several sizes instead (see ImportWindows, offlineImportWindows); blockRangeMs is then unused. */
  windows?: ImportWindows;
  /** zstd-compress chunk pages (default true). */
  compress?: boolean;
}

export interface ImportBlocksResult {
  blocks: BlockMeta[];
  series: number;
  samples: number;
  /** Samples dropped because a later one of the same series had the same timestamp. */
  duplicates: number;
  minTime: number;
  maxTime: number;
}

const DEFAULT_RANGE = 2 * 3600 * 1000;

/** Series made ready for writing: each sorted by time without duplicates, all sorted by labels. */
export interface PreparedImport {
  series: ImportSeries[];
  samples: number;
  duplicates: number;
  minTime: number;
  maxTime: number;
}

/** Sorts and de-duplicates each series (copies only where needed) and orders the series by labels. */
export function prepareImport(input: readonly ImportSeries[]): PreparedImport {
  const series: ImportSeries[] = [];
  let samples = 0;
  let duplicates = 0;
  let minTime = Infinity;
  let maxTime = -Infinity;
  for (const s of input) {
    const sorted = sortDedup(s);
    duplicates += s.timestamps.length - sorted.timestamps.length;
    if (sorted.timestamps.length === 0) continue;
    series.push(sorted);
    samples += sorted.timestamps.length;
    minTime = Math.min(minTime, sorted.timestamps[0]);
    maxTime = Math.max(maxTime, sorted.timestamps[sorted.timestamps.length - 1]);
  }
  series.sort((a, b) => compareLabels(a.labels, b.labels));
  return { series, samples, duplicates, minTime, maxTime };
}

/**
 * Splits prepared series at `cutoff`: samples at or after it as one batch for the head (series in
 * label order, each once), the older ones as series for import blocks.
 */
export function splitAtTime(series: readonly ImportSeries[], cutoff: number): { recent: SampleBatch; old: ImportSeries[] } {
  const old: ImportSeries[] = [];
  let recentSamples = 0;
  const cuts = new Uint32Array(series.length);
  for (let i = 0; i < series.length; i++) {
    const ts = series[i].timestamps;
    let lo = 0;
    let hi = ts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ts[mid] < cutoff) lo = mid + 1;
      else hi = mid;
    }
    cuts[i] = lo;
    recentSamples += ts.length - lo;
    if (lo > 0) old.push({ labels: series[i].labels, timestamps: ts.subarray(0, lo), values: series[i].values.subarray(0, lo) });
  }
  const b = new SampleBatchBuilder(Math.max(16, recentSamples));
  for (let i = 0; i < series.length; i++) {
    const { timestamps: ts, values: vs } = series[i];
    if (cuts[i] === ts.length) continue;
    b.startSeries(series[i].labels);
    for (let j = cuts[i]; j < ts.length; j++) b.add(ts[j], vs[j]);
  }
  return { recent: b.build(), old };
}

/**
 * Writes the series into new blocks in `dir` (a data directory that no running DB holds, or one
 * whose DB adds the blocks itself: see DB.import). Each series' samples are sorted and
 * de-duplicated in place of copies; the inputs are not changed.
 */
export async function writeImportBlocks(dir: string, input: readonly ImportSeries[], opts: ImportBlocksOptions = {}): Promise<ImportBlocksResult> {
  const range = opts.blockRangeMs ?? DEFAULT_RANGE;
  if (!Number.isSafeInteger(range) || range <= 0) throw new Error(`invalid block range ${range}`);
  const { series, samples, duplicates, minTime, maxTime } = prepareImport(input);
  const blocks = await writePreparedBlocks(dir, series, opts.windows ?? range, opts.compress);
  return { blocks, series: series.length, samples, duplicates, minTime, maxTime };
}

/**
 * Block windows for imported data: `ranges` ascending, each a multiple of the one before (as
 * compaction's ranges are), all windows aligned to multiples of their range. A sample goes into
 * the window of the largest range that ends at or before `boundary`, else of the smallest range.
 * A running DB sets the boundary to where its head's data begins, so a year of history becomes a
 * few large blocks (not thousands of 2h ones, each with its own files and index), while data near
 * the head gets blocks of the head's own size, which its future blocks can never be nested inside.
 */
export interface ImportWindows {
  ranges: readonly number[];
  boundary: number;
}

/**
 * The windows DB.import would choose, for a data directory no DB holds (`strata import`): `ranges`
 * are compaction's for the server's block range and retention; the boundary is where the head of
 * a server opening the directory can begin. That is half a block range before now (as for an
 * empty head), or earlier when there is a WAL to replay: its data begins after the newest block
 * persisted from a head, and with no such block nowhere known, so every window then has the
 * head's range.
 */
export function offlineImportWindows(dir: string, ranges: readonly number[], now: number): ImportWindows {
  let boundary = now - ranges[0] / 2;
  if (hasData(path.join(dir, 'wal'))) {
    let persisted = -Infinity;
    for (const b of listBlockDirs(dir)) {
      const m = readMeta(b);
      if (m.source !== 'import') persisted = Math.max(persisted, m.headMaxTime ?? m.maxTime);
    }
    boundary = Math.min(boundary, persisted);
  }
  return { ranges, boundary };
}

/** Whether a directory (the WAL's) holds a non-empty file at any depth. */
function hasData(dir: string): boolean {
  let entries: fs.Dirent[];
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
  for (const e of entries) {
    const full = path.join(dir, e.name);
    if (e.isDirectory() ? hasData(full) : e.isFile() && fs.statSync(full).size > 0) return true;
  }
  return false;
}

/** The window [start, start + range) a sample at t goes into. */
function windowOf(t: number, w: ImportWindows): { start: number; range: number } {
  for (let i = w.ranges.length - 1; i > 0; i--) {
    const r = w.ranges[i];
    const start = Math.floor(t / r) * r;
    if (start + r <= w.boundary) return { start, range: r };
  }
  const r = w.ranges[0];
  return { start: Math.floor(t / r) * r, range: r };
}

/** Writes prepared series (see prepareImport) into one block per window (see ImportWindows) they touch. */
export async function writePreparedBlocks(dir: string, series: readonly ImportSeries[], windowing: number | ImportWindows, compress?: boolean): Promise<BlockMeta[]> {
  const w: ImportWindows = typeof windowing === 'number' ? { ranges: [windowing], boundary: -Infinity } : windowing;
  // Per block window, the (series, from, to) slices that fall into it, in label order because
  // series are walked in label order; three numbers per slice. Windows are keyed by start alone:
  // whether a range's window ends before the boundary does not depend on which of its samples
  // asks, so no two samples pick different ranges at one start.
  const windows = new Map<number, { range: number; slices: number[] }>();
  for (let i = 0; i < series.length; i++) {
    const ts = series[i].timestamps;
    let from = 0;
    while (from < ts.length) {
      const { start, range } = windowOf(ts[from], w);
      let to = from + 1;
      while (to < ts.length && ts[to] < start + range) to++;
      let win = windows.get(start);
      if (!win) windows.set(start, (win = { range, slices: [] }));
      win.slices.push(i, from, to);
      from = to;
    }
  }

  const blocks: BlockMeta[] = [];
  for (const start of [...windows.keys()].sort((a, b) => a - b)) {
    const { range, slices } = windows.get(start)!;
    const meta = await writeBlock(dir, slicesOf(series, slices), {
      minTime: start, maxTime: start + range, tier: 'raw', resolutionMs: 0, level: 1, source: 'import', compress,
    });
    if (meta) blocks.push(meta);
  }
  return blocks;
}

/** Samples encoded between turns given to the event loop (a few ms of work). */
const SAMPLES_PER_TURN = 65_536;

// Block writing runs on the caller's thread: for a DB serving requests, a turn for the event loop
// every SAMPLES_PER_TURN samples keeps it answering while an import is written.
async function* slicesOf(series: readonly ImportSeries[], slices: readonly number[]): AsyncGenerator<BlockSeriesInput> {
  let sinceTurn = 0;
  for (let k = 0; k < slices.length; k += 3) {
    const s = series[slices[k]];
    sinceTurn += slices[k + 2] - slices[k + 1];
    if (sinceTurn >= SAMPLES_PER_TURN) {
      sinceTurn = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    yield { labels: s.labels, timestamps: s.timestamps.subarray(slices[k + 1], slices[k + 2]), values: s.values.subarray(slices[k + 1], slices[k + 2]) };
  }
}

/** The samples sorted by time; of equal timestamps the one given last is kept. Checks integers. */
function sortDedup(s: ImportSeries): ImportSeries {
  const ts = s.timestamps;
  const vs = s.values;
  const n = ts.length;
  if (vs.length !== n) throw new Error(`${n} timestamps but ${vs.length} values`);
  let ordered = true;
  for (let i = 0; i < n; i++) {
    if (!Number.isSafeInteger(ts[i])) throw new Error(`timestamp ${ts[i]} is not an integer number of ms`);
    if (i > 0 && !(ts[i] > ts[i - 1])) ordered = false;
  }
  if (ordered) return s;
  // A stable sort of indices keeps input order among equal timestamps, so the last is the latest given.
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  idx.sort((a, b) => ts[a] - ts[b] || a - b);
  const outT = new Float64Array(n);
  const outV = new Float64Array(n);
  let m = 0;
  for (let k = 0; k < n; k++) {
    const i = idx[k];
    if (m > 0 && outT[m - 1] === ts[i]) {
      outV[m - 1] = vs[i];
      continue;
    }
    outT[m] = ts[i];
    outV[m] = vs[i];
    m++;
  }
  return { labels: s.labels, timestamps: outT.subarray(0, m), values: outV.subarray(0, m) };
}

/** What DB.import did with the series it was given. */
export interface DBImportResult {
  /** Series and samples after sorting and de-duplication. */
  series: number;
  samples: number;
  /** Samples dropped because a later one of the same series had the same timestamp. */
  duplicates: number;
  minTime: number;
  maxTime: number;
  /** Samples within the head's window, appended to the head (and WAL), and what the head said. */
  headSamples: number;
  head: AppendResult | null;
  /** Samples older than the head's window, written into new import blocks. */
  blockSamples: number;
  blocks: BlockMeta[];
  /** The DB's retention (0: none), and samples of the new blocks it deletes at its next maintenance. */
  retentionMs: number;
  pastRetention: number;
}

/** A DB that takes historical data while it runs. */
export interface Importable {
  /**
   * Imports series of any age, samples in any order (the one given last wins among equal
   * timestamps): what the head's window takes goes to the head, older samples into new blocks
   * marked source=import. Queries see everything once the promise resolves.
   */
  import(series: readonly ImportSeries[]): Promise<DBImportResult>;
}

/**
 * The time an import splits at: the head's oldest accepted timestamp; for an empty head, half a
 * block range before now (an empty head would take anything, and a year of data in the head
 * would then be persisted block range by block range).
 */
export function importCutoff(headMinValid: number, headMaxTime: number, now: number, blockRangeMs: number): number {
  return headMaxTime === -Infinity ? Math.max(headMinValid, now - blockRangeMs / 2) : headMinValid;
}
