// Reading a block: the index is checked at open (checksums verified, symbols and the postings
// offset table decoded and kept), series entries and postings lists are read from the index file
// on demand, and chunks are fetched with positional reads of their pages.
import fs from 'node:fs';
import path from 'node:path';
import type { Labels, Matcher } from '../../model/index.ts';
import { chunkSampleCount, concatDecoded, decodeChunk, decodeChunkRange, lowerIndex, type DecodedSamples } from '../chunkenc/index.ts';
import type { SeriesData } from '../types.ts';
import { drainSliced, type SlicedRead } from '../readslices.ts';
import { ChunkKind, ChunkReader, chunkFileName, unpackChunkRef } from './chunks.ts';
import { CorruptBlockError } from './errors.ts';
import { FileBytes } from './indexbytes.ts';
import { IndexReader, newChunkMetas, type ChunkMetas } from './indexfile.ts';
import { CHUNKS_DIR, INDEX_FILE, META_FILE, readMeta, type BlockMeta } from './meta.ts';
import { intersectPostings, postingsForMatchers, postingsForMatchersSliced } from '../index/index.ts';
import { addInterval, coversInterval, readTombstones, withoutDeleted, writeTombstones, type Intervals, type Tombstones } from './tombstones.ts';

export interface Block {
  readonly meta: BlockMeta;
  readonly dir: string;
  /** Matching series with samples in [mint, maxt] (inclusive), sorted by labels. */
  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[];
  /** Label sets of matching series having a sample in [mint, maxt], sorted. */
  series(matchers: readonly Matcher[], mint: number, maxt: number): Labels[];
  /**
   * select and series as reads that pause every few hundred series (see readslices.ts). A block
   * closed while such a read is paused keeps its files open until the read ends.
   */
  selectSliced(matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<SeriesData[]>;
  seriesSliced(matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<Labels[]>;
  /**
   * Keeps the block readable until release(), even if it is closed meanwhile (a query reading
   * several blocks in slices, one of them compacted away before its turn). Throws if closed.
   */
  retain(): void;
  release(): void;
  labelNames(matchers: readonly Matcher[]): string[];
  labelValues(name: string, matchers: readonly Matcher[]): string[];
  /** labelNames and labelValues as reads that pause every few hundred series. */
  labelNamesSliced(matchers: readonly Matcher[]): SlicedRead<string[]>;
  labelValuesSliced(name: string, matchers: readonly Matcher[]): SlicedRead<string[]>;
  /** Every series of the block with all its samples (deleted ones left out), in label order (for compaction, downsampling). */
  allSeries(): Generator<SeriesData>;
  /** Deleted time ranges by series id (tombstones.ts); null when none, the common case. */
  readonly tombstones: Tombstones | null;
  /**
   * Records deletions: per request, the samples in [mint, maxt] of the series matching its
   * matchers (with `exact`, only a series having no labels beyond those the equality matchers
   * name). Rewrites the tombstones file once; returns how many series got a new deleted range.
   */
  deleteSeries(requests: readonly DeleteRequest[]): number;
  /** Bytes on disk: meta.json, index and chunk files. */
  sizeBytes(): number;
  /**
   * Estimated bytes held in memory: the index's symbols and postings offset table, and the cached
   * pages of the index and chunk files.
   */
  memoryBytes(): number;
  close(): void;
}

export interface DeleteRequest {
  matchers: readonly Matcher[];
  mint: number;
  maxt: number;
  exact?: boolean;
}

export interface OpenBlockOptions {
  /** Decompressed chunk pages kept in memory (LRU); default 64 (~4 MiB). */
  cachePages?: number;
}

/**
 * Opens and validates a block directory: meta.json, the index checksums, and the chunk files'
 * presence, headers and sizes. Throws CorruptBlockError naming the file and the problem.
 */
export function openBlock(dir: string, opts: OpenBlockOptions = {}): Block {
  return new BlockReader(dir, opts);
}

/**
 * Reads pause (to be stopped or to let the event loop run, see readslices.ts) after this many
 * series (a power of two) or this many samples, whichever comes first.
 */
const SERIES_PER_PAUSE = 256;
const SAMPLES_PER_PAUSE = 1 << 16;

class BlockReader implements Block {
  readonly meta: BlockMeta;
  readonly dir: string;
  private readonly index: IndexReader;
  private readonly chunks: ChunkReader;
  private readonly bytes: number;
  private closed = false;
  /** Sliced reads and retain()s under way; close() leaves the chunk files open for them. */
  private reading = 0;
  // Chunk metas of the series being read, reused from series to series (reads are synchronous).
  private readonly metas = newChunkMetas();
  // Replaced, never changed in place: a read holding the previous map finishes with it.
  private deleted: Tombstones | null;

  constructor(dir: string, opts: OpenBlockOptions) {
    this.dir = dir;
    this.meta = readMeta(dir);
    const indexFile = path.join(dir, INDEX_FILE);
    let indexBytes: FileBytes;
    try {
      indexBytes = new FileBytes(indexFile, fs.openSync(indexFile, 'r'));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new CorruptBlockError(indexFile, code === 'ENOENT' ? 'missing' : `cannot read: ${(e as Error).message}`);
    }
    try {
      this.index = new IndexReader(indexFile, indexBytes);
      if (this.index.numSeries !== this.meta.stats.numSeries) {
        throw new CorruptBlockError(indexFile, `has ${this.index.numSeries} series, meta.json says ${this.meta.stats.numSeries}`);
      }
      this.chunks = new ChunkReader(path.join(dir, CHUNKS_DIR), this.index.chunkFileSizes, opts.cachePages);
    } catch (e) {
      indexBytes.close();
      throw e;
    }
    let bytes = indexBytes.size + this.index.chunkFileSizes.reduce((a, b) => a + b, 0);
    try {
      bytes += fs.statSync(path.join(dir, META_FILE)).size;
    } catch {
      // meta.json was read a moment ago; a vanished file shows up on the next open
    }
    this.bytes = bytes;
    try {
      this.deleted = readTombstones(dir);
    } catch (e) {
      this.closeFiles();
      throw e;
    }
  }

  get tombstones(): Tombstones | null {
    return this.deleted;
  }

  deleteSeries(requests: readonly DeleteRequest[]): number {
    this.check();
    const next = new Map<number, Intervals>(this.deleted ?? []);
    let changed = 0;
    for (const r of requests) {
      // Only the block's own range can hold samples: intervals stay finite and small.
      const mint = Math.max(r.mint, this.meta.minTime);
      const maxt = Math.min(r.maxt, this.meta.maxTime - 1);
      if (maxt < mint) continue;
      for (const id of postingsForMatchers(this.index, r.matchers)) {
        if (r.exact === true && this.index.seriesLabels(id).length !== r.matchers.length * 2) continue;
        const s = this.index.series(id, this.metas);
        if (!this.hasSampleInRange(s.chunks, mint, maxt)) continue;
        const old = next.get(id) ?? [];
        if (coversInterval(old, mint, maxt)) continue;
        next.set(id, addInterval(old, mint, maxt));
        changed++;
      }
    }
    if (changed > 0) {
      writeTombstones(this.dir, next);
      this.deleted = next;
    }
    return changed;
  }

  /** Reads are refused once the block is closed and its files are (nobody retains it). */
  private check(): void {
    if (this.closed && this.reading === 0) throw new Error(`block ${this.meta.ulid} is closed`);
  }

  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[] {
    return drainSliced(this.selectSliced(matchers, mint, maxt));
  }

  // this.metas is shared by all reads of the block: each series is read whole between two pauses.
  *selectSliced(matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<SeriesData[]> {
    this.check();
    const out: SeriesData[] = [];
    if (maxt < mint || maxt < this.meta.minTime || mint >= this.meta.maxTime) return out;
    this.retain();
    try {
      const ids = yield* postingsForMatchersSliced(this.index, matchers);
      let since = 0;
      let samples = 0;
      for (let i = 0; i < ids.length; i++) {
        const s = this.index.series(ids[i], this.metas);
        if (samplesInRangeAtMost(s.chunks, mint, maxt) > SAMPLES_PER_PAUSE) {
          // A long series: decoded a part at a time, with pauses in between (which count its
          // samples), from a copy of its chunk metas (other reads of the block reuse this.metas).
          let data = yield* this.longSeriesInRange(s.labels, copyMetas(s.chunks), mint, maxt);
          const del = this.deleted?.get(ids[i]);
          if (data && del !== undefined) data = withoutDeleted(data, del);
          if (data) out.push(data);
          continue;
        }
        let data = this.samplesInRange(s.labels, s.chunks, mint, maxt);
        // One null check per series when the block has no tombstones.
        if (data !== null && this.deleted !== null) {
          const del = this.deleted.get(ids[i]);
          if (del !== undefined) data = withoutDeleted(data, del);
        }
        if (data) {
          out.push(data);
          samples += data.timestamps.length;
        }
        if (++since === SERIES_PER_PAUSE || samples >= SAMPLES_PER_PAUSE) {
          yield samples;
          since = 0;
          samples = 0;
        }
      }
    } finally {
      this.release();
    }
    return out;
  }

  series(matchers: readonly Matcher[], mint: number, maxt: number): Labels[] {
    return drainSliced(this.seriesSliced(matchers, mint, maxt));
  }

  *seriesSliced(matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<Labels[]> {
    this.check();
    const out: Labels[] = [];
    if (maxt < mint || maxt < this.meta.minTime || mint >= this.meta.maxTime) return out;
    // Every series has samples; when the range covers the block, no chunk needs a look.
    const coversBlock = mint <= this.meta.minTime && maxt >= this.meta.maxTime - 1;
    this.retain();
    try {
      const ids = yield* postingsForMatchersSliced(this.index, matchers);
      for (let i = 0; i < ids.length; i++) {
        if ((i & (SERIES_PER_PAUSE - 1)) === SERIES_PER_PAUSE - 1) yield 0;
        const del = this.deleted?.get(ids[i]);
        if (del !== undefined) {
          // A series with deletions is listed only if a sample in range survived them.
          const s = this.index.series(ids[i], this.metas);
          const data = this.samplesInRange(s.labels, s.chunks, mint, maxt);
          if (data !== null && withoutDeleted(data, del) !== null) out.push(s.labels);
          continue;
        }
        if (coversBlock) {
          out.push(this.index.seriesLabels(ids[i]));
          continue;
        }
        const s = this.index.series(ids[i], this.metas);
        if (this.hasSampleInRange(s.chunks, mint, maxt)) out.push(s.labels);
      }
    } finally {
      this.release();
    }
    return out;
  }

  retain(): void {
    this.check();
    this.reading++;
  }

  /** The files of a block closed while it was retained are closed with the last release. */
  release(): void {
    if (--this.reading === 0 && this.closed) this.closeFiles();
  }

  labelNames(matchers: readonly Matcher[]): string[] {
    return drainSliced(this.labelNamesSliced(matchers));
  }

  *labelNamesSliced(matchers: readonly Matcher[]): SlicedRead<string[]> {
    this.check();
    if (matchers.length === 0) return this.index.labelNames();
    const ids = yield* postingsForMatchersSliced(this.index, matchers);
    const names = new Set<string>();
    for (let i = 0; i < ids.length; i++) {
      if ((i & (SERIES_PER_PAUSE - 1)) === SERIES_PER_PAUSE - 1) yield 0;
      const ls = this.index.seriesLabels(ids[i]);
      for (let j = 0; j < ls.length; j += 2) names.add(ls[j]);
    }
    return [...names].sort();
  }

  labelValues(name: string, matchers: readonly Matcher[]): string[] {
    return drainSliced(this.labelValuesSliced(name, matchers));
  }

  *labelValuesSliced(name: string, matchers: readonly Matcher[]): SlicedRead<string[]> {
    this.check();
    const all = this.index.labelValues(name);
    if (matchers.length === 0 || all.length === 0) return all;
    const ids = yield* postingsForMatchersSliced(this.index, matchers);
    if (ids.length === 0) return [];
    // Few values against many matching series: intersect postings per value; otherwise read the
    // labels of the matching series.
    if (all.length * 4 < ids.length) {
      const found: string[] = [];
      for (const v of all) {
        if (intersectPostings(ids, this.index.postings(name, v)).length > 0) found.push(v);
        yield 0;
      }
      return found;
    }
    const values = new Set<string>();
    for (let i = 0; i < ids.length; i++) {
      if ((i & (SERIES_PER_PAUSE - 1)) === SERIES_PER_PAUSE - 1) yield 0;
      const ls = this.index.seriesLabels(ids[i]);
      for (let j = 0; j < ls.length; j += 2) {
        if (ls[j] === name) {
          values.add(ls[j + 1]);
          break;
        }
      }
    }
    return all.filter((v) => values.has(v));
  }

  *allSeries(): Generator<SeriesData> {
    this.check();
    for (let id = 0; id < this.index.numSeries; id++) {
      const s = this.index.series(id);
      let data = this.samplesInRange(s.labels, s.chunks, -Infinity, Infinity);
      const del = this.deleted?.get(id);
      if (data !== null && del !== undefined) data = withoutDeleted(data, del);
      if (data) yield data;
    }
  }

  sizeBytes(): number {
    return this.bytes;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    // A paused read still needs the index and chunk files; deleting the block's directory
    // meanwhile is fine, open files stay readable.
    if (this.reading === 0) this.closeFiles();
  }

  memoryBytes(): number {
    return this.index.memoryBytes() + this.chunks.cachedBytes();
  }

  private closeFiles(): void {
    this.chunks.close();
    this.index.close();
  }

  /** The chunk's samples, or (`whole` false) only those in [mint, maxt]. */
  private decode(ref: number, expectSamples: number, whole: boolean, mint: number, maxt: number): DecodedSamples {
    const c = this.chunks.chunk(ref);
    if (c.kind !== ChunkKind.SAMPLES) this.corruptChunk(ref, `has unsupported kind ${c.kind}`);
    let d: DecodedSamples;
    let count: number;
    try {
      count = chunkSampleCount(c.data);
      d = whole ? decodeChunk(c.data) : decodeChunkRange(c.data, mint, maxt);
    } catch (e) {
      return this.corruptChunk(ref, `does not decode: ${(e as Error).message}`);
    }
    if (count !== expectSamples) this.corruptChunk(ref, `has ${count} samples, index says ${expectSamples}`);
    return d;
  }

  private corruptChunk(ref: number, problem: string): never {
    const u = unpackChunkRef(ref);
    throw new CorruptBlockError(path.join(this.dir, CHUNKS_DIR, chunkFileName(u.fileNo)), `chunk at page ${u.pageOffset} + ${u.offsetInPage} ${problem}`);
  }

  /**
   * samplesInRange as a read that pauses after about SAMPLES_PER_PAUSE samples (a run of whole
   * chunks) and at its end, yielding the samples decoded.
   */
  private *longSeriesInRange(labels: Labels, c: ChunkMetas, mint: number, maxt: number): SlicedRead<SeriesData | null> {
    const parts: SeriesData[] = [];
    for (let from = 0; from < c.n;) {
      let to = from;
      for (let k = 0; to < c.n && k < SAMPLES_PER_PAUSE; to++) k += c.samples[to];
      const part = this.samplesInRange(labels, c, mint, maxt, from, to);
      if (part) parts.push(part);
      from = to;
      yield part === null ? 0 : part.timestamps.length;
    }
    if (parts.length <= 1) return parts.length === 0 ? null : parts[0];
    return { labels, ...concatSamples(parts) };
  }

  /** The samples in [mint, maxt] of chunks [from, to) of a series; null when there are none. */
  private samplesInRange(labels: Labels, c: ChunkMetas, mint: number, maxt: number, from = 0, to = c.n): SeriesData | null {
    let first: DecodedSamples | null = null;
    let more: DecodedSamples[] | null = null;
    for (let j = from; j < to; j++) {
      if (c.maxT[j] < mint || c.minT[j] > maxt) continue;
      // A chunk partly in range (the long chunks of compacted blocks above all) is decoded only
      // as far as the range needs.
      const whole = c.minT[j] >= mint && c.maxT[j] <= maxt;
      const d = this.decode(c.ref[j], c.samples[j], whole, mint, maxt);
      if (d.timestamps.length === 0) continue;
      if (first === null) first = d;
      else (more ??= [first]).push(d);
    }
    if (first === null) return null;
    // One chunk: its freshly decoded arrays, nothing to copy. (The querier concatenates a series'
    // parts from several blocks anyway; copying here as well would do it twice.)
    if (more === null) return { labels, timestamps: first.timestamps, values: first.values };
    return { labels, ...concatSamples(more) };
  }

  private hasSampleInRange(c: ChunkMetas, mint: number, maxt: number): boolean {
    for (let j = 0; j < c.n; j++) {
      if (c.maxT[j] < mint || c.minT[j] > maxt) continue;
      // A chunk's first or last sample in range decides without decoding.
      if (c.minT[j] >= mint || c.maxT[j] <= maxt) return true;
      const ts = this.decode(c.ref[j], c.samples[j], true, mint, maxt).timestamps;
      const a = lowerIndex(ts, mint);
      if (a < ts.length && ts[a] <= maxt) return true;
    }
    return false;
  }
}

/** Samples the chunks of a series overlapping [mint, maxt] hold (more than are in range at its edges). */
function samplesInRangeAtMost(c: ChunkMetas, mint: number, maxt: number): number {
  let n = 0;
  for (let j = 0; j < c.n; j++) if (c.maxT[j] >= mint && c.minT[j] <= maxt) n += c.samples[j];
  return n;
}

function copyMetas(c: ChunkMetas): ChunkMetas {
  return {
    n: c.n, minT: c.minT.slice(0, c.n), maxT: c.maxT.slice(0, c.n), samples: c.samples.slice(0, c.n), ref: c.ref.slice(0, c.n),
  };
}

/** Parts of a series, in time order, in one pair of arrays. */
function concatSamples(parts: readonly DecodedSamples[]): DecodedSamples {
  return concatDecoded(parts, -Infinity, Infinity) ?? { timestamps: new Float64Array(0), values: new Float64Array(0) };
}
