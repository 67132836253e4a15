// The head: the in-memory, writable part of the database holding the most recent samples.
//
// Memory is the head's first budget (the design target is 10M active series across shards), so a
// series is not an object: it is a ref, an index into struct-of-arrays typed arrays. Its labels are
// symbol ids in one pooled Uint32Array, its open chunk a slot in the OpenChunkPool, its closed chunks
// a linked list in the ChunkArena.
//
// Appends are two-phase so that a refused batch writes nothing: first every sample is checked
// against the head's time window and every new series against the limits, without changing any
// state; then the accepted samples go to the WAL in one write, and only then into memory. A batch
// is acknowledged once `append` returns.
import {
  AppendError, type AppendResult, type SeriesData,
} from '../types.ts';
import {
  METRIC_NAME, compareLabels, compareStrings, labelsHash, labelsToString, type Labels, type Matcher, type SampleBatch,
} from '../../model/index.ts';
import {
  OpenChunkPool, concatDecoded, decodeChunk, decodeChunkRange, encodeDecChunk, type DecodedSamples,
} from '../chunkenc/index.ts';
import { postingsForMatchersSliced } from '../index/index.ts';
import { ChunkArena, NO_CHUNK } from './chunkarena.ts';
import { MemPostings } from './memindex.ts';
import { RefsByHash } from './refsbyhash.ts';
import { sortedRefs, type RefComparator } from './sortedrefs.ts';
import { ChunkBatchBuilder, type HeadChunkBatch } from './chunkbatch.ts';
import { SymbolTable } from './symbols.ts';
import { drainSliced, sortSliced, type SlicedRead } from '../readslices.ts';
import { growColumn, newColumn } from '../columns.ts';
import { ColumnRebuild, REF_COLUMN_BYTES, type RefColumns } from './columnrebuild.ts';
import { BatchRefSet, mergeRepeatedSeries, NewSeriesSet } from './batchrepeats.ts';
import type { AppendOptions } from '../types.ts';

export interface HeadOptions {
  /** Block range in ms; chunks never straddle a multiple of it, so blocks cut cleanly. */
  blockRangeMs: number;
  /** 0 = unlimited. */
  maxSeries: number;
  /** 0 = unlimited. */
  maxSeriesPerMetric: number;
  /** Samples per head chunk before it is closed (Prometheus uses 120). */
  chunkSamples?: number;
}

/** Called between validation and applying: must durably log the records or throw. */
export type HeadLogFn = (
  newRefs: readonly number[], newLabels: readonly Labels[],
  refs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number,
) => void;

export interface HeadStats {
  series: number;
  chunks: number;
  minTime: number;
  maxTime: number;
  memoryBytes: number;
  samplesAppended: number;
  seriesCreated: number;
  seriesRemoved: number;
  outOfOrderOnReplay: number;
  /** Times the label pool was rebuilt without the ranges of removed series. */
  labelPoolCompactions: number;
  /** Times the per-ref columns were copied without the entries of removed series. */
  columnRebuilds: number;
  /** Reads of open chunks: answered from a kept decode, continued from one, decoded from the start. */
  openChunkReads: { hits: number; extended: number; misses: number };
}

const MAX_ERRORS = 5;
/** Label pool entries reserved (see columns.ts): 2^26 series refs of 8 names and values each. */
const LABEL_POOL_RESERVE = 1 << 29;
/** Series handled between two yields to the event loop by whole-head passes. */
const SLICE = 20_000;
/** The label pool is compacted once removed series' entries are this many and half of it. */
const LABEL_POOL_MIN_DEAD = 1 << 16;
/** Columns are rebuilt (see columnrebuild.ts) once this many removed refs, and as many as live series, are resident. */
const COLUMNS_MIN_DEAD = 1 << 16;
/** Runs of removed refs shorter than this are copied along: a page of a column holds 512-2,048 refs. */
const DEAD_RUN = 2048;
/**
 * Reads pause (to be stopped or to let the event loop run, see readslices.ts) after this many
 * series (a power of two) or this many samples, whichever comes first.
 */
const SERIES_PER_PAUSE = 256;
const SAMPLES_PER_PAUSE = 1 << 16;
/** Reads of up to this many series sort what they read by labels (about a millisecond); see labelOrderPlaces. */
const LABEL_SORT_MAX = 2048;

function yieldToLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
const f64 = new Float64Array(2);
const u32 = new Uint32Array(f64.buffer);

function sameBits(a: number, b: number): boolean {
  f64[0] = a;
  f64[1] = b;
  return u32[0] === u32[2] && u32[1] === u32[3];
}

export class Head {
  private readonly opts: Required<HeadOptions>;
  private readonly symbols = new SymbolTable();
  private readonly postings = new MemPostings((ref) => this.labelsOf(ref));
  private readonly pool = new OpenChunkPool(1024);
  private readonly arena = new ChunkArena();

  // Per-series columns, indexed by ref. labelLen 0 marks a ref that is unused or removed. They
  // grow in place, without a copy (see columns.ts). While a column rebuild runs, a write to them
  // other than an append's is followed by noteWritten (see columnrebuild.ts).
  private cap = 0;
  private labelOff = newColumn(Uint32Array, 0);
  private labelLen = newColumn(Uint16Array, 0);
  private openSlot = newColumn(Int32Array, 0);
  private closedHead = newColumn(Float64Array, 0);
  private closedCount = newColumn(Uint32Array, 0);
  private lastT = newColumn(Float64Array, 0);
  private lastV = newColumn(Float64Array, 0);

  private labelPool = newColumn(Uint32Array, 0, LABEL_POOL_RESERVE);
  private labelPoolLen = 0;
  /** Label pool entries of removed series: compactLabelPool gives them back once they are many. */
  private labelPoolDead = 0;
  /** Set while compactLabelPool runs (it spans turns of the event loop). */
  private compactingLabels = false;
  private labelPoolCompactions = 0;
  /** Ranks of the symbol ids in string order and the symbols' version they hold for (see symbolRanksSliced). */
  private symbolRanks: { version: number; rank: Uint32Array } | null = null;
  /** Removed refs whose column entries were written since the columns were last rebuilt. */
  private deadRefsResident = 0;
  private columnRebuilds = 0;
  /** The column rebuild under way (it spans turns of the event loop), or null. */
  private columnRebuild: ColumnRebuild | null = null;

  private readonly byHash = new RefsByHash();
  /** byHash's candidate check, bound once (no closure per lookup). */
  private readonly refHasLabels = (ref: number, ls: Labels): boolean => this.labelsEqualAt(ref, ls);
  private readonly perMetric = new Map<string, number>();

  private nextRef = 1;
  private numSeries = 0;
  private numClosedChunks = 0;
  private minT = Infinity;
  private maxT = -Infinity;
  /** Everything before this is persisted in blocks; the head accepts nothing older. */
  private persistedBefore = -Infinity;
  /**
   * Appends below this are refused. Raised to a block's end before the block is written, so no
   * sample can be acknowledged into a range that is being persisted and then truncated away.
   */
  private appendFloor = -Infinity;

  private samplesAppended = 0;
  private seriesCreated = 0;
  private seriesRemoved = 0;
  private outOfOrderOnReplay = 0;
  /** WAL refs that replay found to name a series already known under another ref. */
  private readonly replayAlias = new Map<number, number>();

  // Scratch columns for the accepted samples of one append.
  /** The refs of the batch being checked, to find a series given twice. */
  private readonly batchRefs = new BatchRefSet();
  private sRefs = new Uint32Array(4096);
  private sTs = new Float64Array(4096);
  private sVs = new Float64Array(4096);

  constructor(opts: HeadOptions) {
    this.opts = { chunkSamples: 120, ...opts };
    this.grow(1024);
  }

  // ---- time window ----------------------------------------------------------------------------

  get minTime(): number {
    return this.minT;
  }

  get maxTime(): number {
    return this.maxT;
  }

  get persistedMaxTime(): number {
    return this.persistedBefore;
  }

  /** Sets the boundary below which data already lives in blocks (at open, from the blocks). */
  setPersistedBefore(t: number): void {
    if (t > this.persistedBefore) this.persistedBefore = t;
  }

  /**
   * The oldest timestamp an append may carry: nothing below what blocks already hold, and (as in
   * Prometheus) nothing older than half a block range behind the newest sample, so the head's
   * chunks can be cut into blocks in order.
   */
  minValidTime(): number {
    const window = this.maxT === -Infinity ? -Infinity : this.maxT - this.opts.blockRangeMs / 2;
    return Math.max(this.persistedBefore, this.appendFloor, window);
  }

  /** Refuses appends below t from now on (see appendFloor). */
  refuseAppendsBefore(t: number): void {
    if (t > this.appendFloor) this.appendFloor = t;
  }

  // ---- appending -------------------------------------------------------------------------------

  /**
   * Appends a batch. `opts.tooOld`: what a sample older than the head accepts does — 'refuse'
   * (the default, for pushes: the whole batch is refused, as Prometheus' remote-write receiver
   * refuses the request) or 'drop' (scrapes and rules, as Prometheus' scrape loop: that sample is
   * counted as rejected `too_old` and the rest is stored).
   */
  append(batch: SampleBatch, log: HeadLogFn, opts: AppendOptions = {}): AppendResult {
    const nSeries = batch.series.length;
    const { offsets, timestamps, values } = batch;
    const dropTooOld = opts.tooOld === 'drop';

    // Phase 1: check, change nothing.
    const minValid = this.minValidTime();
    const refs = new Int32Array(nSeries);
    let newSeries = 0;
    let newPerMetric: Map<string, number> | null = null;
    let tooOld = 0;
    let tooOldError = '';
    this.batchRefs.reset(nSeries);
    let newSet: NewSeriesSet | null = null;
    for (let i = 0; i < nSeries; i++) {
      const from = offsets[i];
      const to = offsets[i + 1];
      if (from === to) {
        refs[i] = -2; // no samples: nothing to do for this series
        continue;
      }
      let old = 0;
      for (let j = from; j < to; j++) {
        if (timestamps[j] >= minValid) continue;
        const message = `sample for ${labelsToString(batch.series[i])} at ${fmtTime(timestamps[j])} is older than the head accepts ` +
          `(oldest accepted: ${fmtTime(minValid)}); historical data outside the head's window goes in with ` +
          'strata import or POST /api/v1/import/prometheus';
        if (!dropTooOld) throw new AppendError(400, 'too_old', message);
        if (old++ === 0 && tooOld === 0) tooOldError = message;
      }
      tooOld += old;
      const ls = batch.series[i];
      const h = labelsHash(ls);
      const ref = this.lookup(ls, h);
      // A series given twice: merged into one entry, then checked again (rare; see batchrepeats.ts).
      if (ref >= 0 ? !this.batchRefs.add(ref) : !(newSet ??= new NewSeriesSet()).add(ls, h)) {
        return this.append(mergeRepeatedSeries(batch), log, opts);
      }
      if (old === to - from) {
        refs[i] = -2; // every sample too old: the series is not created either, as in Prometheus
        continue;
      }
      refs[i] = ref;
      if (ref < 0) {
        newSeries++;
        if (this.opts.maxSeriesPerMetric > 0) {
          newPerMetric ??= new Map();
          const name = metricOf(ls);
          newPerMetric.set(name, (newPerMetric.get(name) ?? 0) + 1);
        }
      }
    }
    if (this.opts.maxSeries > 0 && newSeries > 0 && this.numSeries + newSeries > this.opts.maxSeries) {
      throw new AppendError(429, 'series_limit',
        `the request would create ${newSeries} new series, but the limit of ${this.opts.maxSeries} active series ` +
        `is reached (${this.numSeries} active); raise limits.max_series or reduce cardinality`);
    }
    if (newPerMetric) {
      for (const [name, n] of newPerMetric) {
        const have = this.perMetric.get(name) ?? 0;
        if (have + n > this.opts.maxSeriesPerMetric) {
          throw new AppendError(429, 'series_limit_per_metric',
            `the request would create ${n} new series of metric "${name}", which has ${have} active series; ` +
            `the limit is ${this.opts.maxSeriesPerMetric} per metric (limits.max_series_per_metric)`);
        }
      }
    }

    // Phase 2: decide sample by sample against the series' last sample; still no state change.
    const result: AppendResult = { appended: 0, duplicates: 0, seriesCreated: 0, rejected: {}, errors: [] };
    if (tooOld > 0) {
      result.rejected.too_old = tooOld;
      result.errors.push(tooOldError);
    }
    const total = offsets[nSeries];
    this.ensureScratch(total);
    const newRefs: number[] = [];
    const newLabels: Labels[] = [];
    let n = 0;
    let provisional = this.nextRef;
    for (let i = 0; i < nSeries; i++) {
      if (refs[i] === -2) continue;
      let ref = refs[i];
      let prevT = -Infinity;
      let prevV = 0;
      if (ref < 0) {
        ref = provisional++;
        refs[i] = ref;
        newRefs.push(ref);
        newLabels.push(batch.series[i]);
      } else {
        prevT = this.lastT[ref];
        prevV = this.lastV[ref];
      }
      const from = offsets[i];
      const to = offsets[i + 1];
      const order = isSorted(timestamps, from, to) ? null : sortedOrder(timestamps, from, to);
      for (let k = 0; k < to - from; k++) {
        const j = order ? order[k] : from + k;
        const t = timestamps[j];
        const v = values[j];
        if (t < minValid) continue; // dropped and counted in phase 1
        if (t > prevT) {
          this.sRefs[n] = ref;
          this.sTs[n] = t;
          this.sVs[n] = v;
          n++;
          prevT = t;
          prevV = v;
        } else if (t === prevT && sameBits(v, prevV)) {
          result.duplicates++;
        } else {
          // Older than the series' newest sample. If that exact sample is stored, this is a resend
          // by a sender that retried a request (remote write is at-least-once): a no-op.
          const stored = t < prevT ? this.storedSampleIs(ref, t, v) : null;
          if (stored === true) {
            result.duplicates++;
            continue;
          }
          const reason = t === prevT || stored === false ? 'duplicate_timestamp' : 'out_of_order';
          result.rejected[reason] = (result.rejected[reason] ?? 0) + 1;
          if (result.errors.length < MAX_ERRORS) {
            result.errors.push(reason === 'duplicate_timestamp'
              ? `${labelsToString(batch.series[i])}: a different value (${v}) for timestamp ${fmtTime(t)}, which already has ${t === prevT ? prevV : 'another value'}`
              : `${labelsToString(batch.series[i])}: sample at ${fmtTime(t)} is older than the series' latest sample at ${fmtTime(prevT)}`);
          }
        }
      }
    }

    // Phase 3: durable first, then visible.
    const sRefs = this.sRefs.subarray(0, n);
    const sTs = this.sTs.subarray(0, n);
    const sVs = this.sVs.subarray(0, n);
    if (n > 0 || newRefs.length > 0) {
      try {
        log(newRefs, newLabels, sRefs, sTs, sVs, n);
      } catch (e) {
        throw new AppendError(503, 'wal_write_failed', `could not write to the WAL: ${(e as Error).message}`);
      }
    }
    for (let k = 0; k < newRefs.length; k++) this.createSeries(newRefs[k], newLabels[k]);
    for (let k = 0; k < n; k++) this.appendSample(sRefs[k], sTs[k], sVs[k]);
    // Once per batch rather than in appendSample: the per-sample path stays as it is.
    if (this.columnRebuild !== null) this.columnRebuild.noteWrittenAll(sRefs);
    result.appended = n;
    result.seriesCreated = newRefs.length;
    return result;
  }

  private appendSample(ref: number, t: number, v: number): void {
    let slot = this.openSlot[ref];
    if (slot < 0) {
      slot = this.pool.alloc();
      this.openSlot[ref] = slot;
    } else {
      const count = this.pool.count(slot);
      if (count >= this.opts.chunkSamples ||
          (count > 0 && Math.floor(t / this.opts.blockRangeMs) !== Math.floor(this.pool.minTime(slot) / this.opts.blockRangeMs))) {
        this.cutOpenChunk(ref, slot);
      }
    }
    this.pool.append(slot, t, v);
    this.lastT[ref] = t;
    this.lastV[ref] = v;
    if (t < this.minT) this.minT = t;
    if (t > this.maxT) this.maxT = t;
    this.samplesAppended++;
  }

  /**
   * Closes a series' open chunk into the arena. A full chunk is re-encoded as DEC when that is
   * smaller (about half the bytes of XOR for typical data): closed chunks are most of the head's
   * memory, and each is kept until its block is persisted. Flush passes compact=false: its chunks
   * leave the head right away, and re-encoding every series at once would stall the event loop.
   */
  private cutOpenChunk(ref: number, slot: number, compact = true): void {
    const minTime = this.pool.minTime(slot);
    const maxTime = this.pool.maxTime(slot);
    const xor = this.pool.cut(slot);
    let data = xor;
    if (compact) {
      // Decoded from the cut copy, not through pool.decode: that would fill the pool's cache of
      // decodes for queries with chunks that are gone the next moment.
      const d = decodeChunk(xor);
      const dec = encodeDecChunk(d.timestamps, d.values);
      if (dec.length < xor.length) data = dec;
    }
    this.closedHead[ref] = this.arena.add(this.closedHead[ref], minTime, maxTime, data);
    this.closedCount[ref]++;
    this.numClosedChunks++;
  }

  // ---- replay ----------------------------------------------------------------------------------

  /** A SERIES record from the WAL. */
  replaySeries(walRef: number, labels: Labels): void {
    if (walRef >= this.nextRef) this.nextRef = walRef + 1;
    const existing = this.lookup(labels, labelsHash(labels));
    if (existing >= 0) {
      if (existing !== walRef) this.replayAlias.set(walRef, existing);
      return;
    }
    this.ensureCapacity(walRef + 1);
    if (this.labelLen[walRef] !== 0) {
      // The ref was reused for other labels: cannot happen with monotonic refs, but never mix data.
      this.replayAlias.set(walRef, -1);
      return;
    }
    this.createSeries(walRef, labels);
  }

  /** A SAMPLES record from the WAL. Samples already persisted or out of order are skipped. */
  replaySamples(refs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number): void {
    for (let k = 0; k < n; k++) {
      let ref = refs[k];
      const alias = this.replayAlias.get(ref);
      if (alias !== undefined) ref = alias;
      if (ref < 0 || ref >= this.cap || this.labelLen[ref] === 0) continue;
      const t = ts[k];
      if (t < this.persistedBefore) continue;
      if (t <= this.lastT[ref]) {
        if (t < this.lastT[ref]) this.outOfOrderOnReplay++;
        continue;
      }
      this.appendSample(ref, t, vs[k]);
      this.noteWritten(ref);
    }
  }

  /** Ends replay: series that replay created but that hold no samples are dropped. */
  finishReplay(): void {
    this.replayAlias.clear();
    this.gcSeries(this.persistedBefore);
  }

  // ---- series ----------------------------------------------------------------------------------

  private lookup(ls: Labels, hash: number): number {
    return this.byHash.find(hash, ls, this.refHasLabels);
  }

  private labelsEqualAt(ref: number, ls: Labels): boolean {
    const len = this.labelLen[ref];
    if (len !== ls.length) return false;
    const off = this.labelOff[ref];
    for (let i = 0; i < len; i++) if (this.symbols.get(this.labelPool[off + i]) !== ls[i]) return false;
    return true;
  }

  private createSeries(ref: number, ls: Labels): void {
    this.ensureCapacity(ref + 1);
    if (this.labelPoolLen + ls.length > this.labelPool.length) {
      this.labelPool = growColumn(this.labelPool, Uint32Array, this.labelPoolLen + ls.length);
    }
    this.labelOff[ref] = this.labelPoolLen;
    for (let i = 0; i < ls.length; i++) this.labelPool[this.labelPoolLen++] = this.symbols.intern(ls[i]);
    this.labelLen[ref] = ls.length;
    this.openSlot[ref] = -1;
    this.closedHead[ref] = NO_CHUNK;
    this.closedCount[ref] = 0;
    this.lastT[ref] = -Infinity;
    this.lastV[ref] = 0;
    this.byHash.add(labelsHash(ls), ref);
    this.postings.add(ref, ls);
    const name = metricOf(ls);
    this.perMetric.set(name, (this.perMetric.get(name) ?? 0) + 1);
    if (ref >= this.nextRef) this.nextRef = ref + 1;
    this.numSeries++;
    this.seriesCreated++;
    this.noteWritten(ref);
  }

  /** Notes a write to ref's column entries for the column rebuild under way, if any. */
  private noteWritten(ref: number): void {
    if (this.columnRebuild !== null) this.columnRebuild.noteWritten(ref);
  }

  /**
   * A comparator ordering refs by their labels (the order of compareLabels) without building label
   * arrays: symbol ids are mapped to their rank among all symbols in string order.
   */
  private labelOrder(): RefComparator {
    const rank = drainSliced(this.symbolRanksSliced());
    const pool = this.labelPool;
    const off = this.labelOff;
    const len = this.labelLen;
    return (a, b) => {
      const la = len[a];
      const lb = len[b];
      const oa = off[a];
      const ob = off[b];
      const m = la < lb ? la : lb;
      for (let i = 0; i < m; i++) {
        const d = rank[pool[oa + i]] - rank[pool[ob + i]];
        if (d !== 0) return d;
      }
      return la - lb;
    };
  }

  /**
   * The rank of every symbol id among the symbols in string order (comparing ranks compares the
   * strings), as a read in slices. Kept until a symbol is added: rebuilding it is a sort of all
   * symbols.
   */
  private *symbolRanksSliced(): SlicedRead<Uint32Array> {
    const version = this.symbols.version;
    if (this.symbolRanks !== null && this.symbolRanks.version === version) return this.symbolRanks.rank;
    // A copy: while the sort pauses, the ids of dropped symbols may be given to new strings.
    const strings = this.symbols.snapshot();
    const ids = new Array<number>(strings.length);
    for (let i = 0; i < ids.length; i++) ids[i] = i;
    const sorted = yield* sortSliced(ids, (a, b) => compareStrings(strings[a], strings[b]));
    const rank = new Uint32Array(sorted.length);
    for (let r = 0; r < sorted.length; r++) rank[sorted[r]] = r;
    this.symbolRanks = { version, rank };
    return rank;
  }

  /**
   * Where each of `ps` goes in label order (places[i] for ps[i]), as a read in slices; null for a
   * read of few series (up to LABEL_SORT_MAX), which sorts what it read by labels instead, as does
   * one that would first have to rebuild the symbol ranks from more symbols than it has series.
   * The read itself goes in ref order, and puts what it read in place: the series' chunks are in
   * memory in about the order of their refs, and a read of 300k series in label order took twice
   * as long, waiting for memory.
   *
   * Why ranks: the refs of a broad selector (300k-1M series) took 250-700 ms to sort by their label
   * arrays in one go. In slices (sortSliced) that sort took twice as long, waiting for memory: the
   * series' label arrays and strings are scattered across the heap. Compared by the ranks of their
   * symbol ids instead, a series' labels are a few adjacent entries of the label pool, and the
   * sliced sort costs about what the one sort by label arrays did. Why not keep the postings in
   * label order (series ids ordered by labels, as in a block's index): the head creates series in
   * any order, so each new series would shift the ids after it, or need an order kept apart from
   * the ids, on the append path, whose cost per series is the head's first budget. Prometheus'
   * head sorts at read time too.
   */
  private *labelOrderPlaces(ps: Uint32Array): SlicedRead<Uint32Array | null> {
    const n = ps.length;
    if (n <= LABEL_SORT_MAX) return null;
    if (this.symbolRanks?.version !== this.symbols.version && this.symbols.idLimit > n) return null;
    const rank = yield* this.symbolRanksSliced();
    // Taken in one step, so the sort compares what they hold now throughout: a series removed
    // while it pauses (skipped by the read) and a label pool compaction do not change them.
    const pool = this.labelPool;
    const offs = new Uint32Array(n);
    const lens = new Uint16Array(n);
    const positions = new Array<number>(n);
    for (let i = 0; i < n; i++) {
      offs[i] = this.labelOff[ps[i]];
      lens[i] = this.labelLen[ps[i]];
      positions[i] = i;
    }
    const sorted = yield* sortSliced(positions, (a, b) => {
      const la = lens[a];
      const lb = lens[b];
      const oa = offs[a];
      const ob = offs[b];
      const m = la < lb ? la : lb;
      for (let i = 0; i < m; i++) {
        const d = rank[pool[oa + i]] - rank[pool[ob + i]];
        if (d !== 0) return d;
      }
      return la - lb;
    });
    const places = new Uint32Array(n);
    for (let k = 0; k < n; k++) places[sorted[k]] = k;
    return places;
  }

  labelsOf(ref: number): Labels {
    const len = this.labelLen[ref];
    const off = this.labelOff[ref];
    const out: string[] = new Array(len);
    for (let i = 0; i < len; i++) out[i] = this.symbols.get(this.labelPool[off + i]);
    return out;
  }

  hasSeries(ref: number): boolean {
    return ref > 0 && ref < this.cap && this.labelLen[ref] !== 0;
  }

  // ---- reading ---------------------------------------------------------------------------------

  /** Matching series with samples in [mint, maxt], sorted by labels. */
  select(matchers: readonly Matcher[], mint: number, maxt: number): SeriesData[] {
    return drainSliced(this.selectSliced(matchers, mint, maxt));
  }

  /**
   * select as a read that pauses every few hundred series (see readslices.ts). Between pauses
   * appends and truncation may run: each series is read whole within one slice, refs are never
   * reused, and a series removed meanwhile is skipped.
   */
  *selectSliced(matchers: readonly Matcher[], mint: number, maxt: number, lastOnly = false): SlicedRead<SeriesData[]> {
    const out: SeriesData[] = [];
    if (this.numSeries === 0 || maxt < this.minT || mint > this.maxT) return out;
    const ps = yield* this.refsForMatching(matchers);
    // (Small reads skip the generators: a select of a few series takes microseconds.)
    const places = ps.length <= LABEL_SORT_MAX ? null : yield* this.labelOrderPlaces(ps);
    const placed: SeriesData[] = places === null ? out : new Array(ps.length);
    let since = 0;
    let samples = 0;
    for (let i = 0; i < ps.length; i++) {
      const ref = ps[i];
      if (this.labelLen[ref] === 0) continue;
      let data: DecodedSamples | null;
      let labels: Labels | null = null;
      if (lastOnly) data = this.lastSampleOf(ref, mint, maxt);
      else if (this.closedCount[ref] * this.opts.chunkSamples <= SAMPLES_PER_PAUSE) data = this.samplesOf(ref, mint, maxt);
      else {
        // A long series (a year at 15 s is 2M samples): decoded in parts, with pauses in between
        // that count its samples as they are decoded. Its labels are taken first: truncation may
        // remove the series while the read pauses.
        labels = this.labelsOf(ref);
        data = yield* this.longSeriesSamples(ref, mint, maxt);
      }
      if (data) {
        const s = { labels: labels ?? this.labelsOf(ref), timestamps: data.timestamps, values: data.values };
        if (places === null) out.push(s);
        else placed[places[i]] = s;
        if (labels === null) samples += data.timestamps.length;
      }
      if (++since === SERIES_PER_PAUSE || samples >= SAMPLES_PER_PAUSE) {
        yield samples;
        since = 0;
        samples = 0;
      }
    }
    if (places !== null) return withoutHoles(placed);
    const byLabels = (a: SeriesData, b: SeriesData) => compareLabels(a.labels, b.labels);
    return out.length <= LABEL_SORT_MAX ? out.sort(byLabels) : yield* sortSliced(out, byLabels);
  }

  /** Label sets of matching series that have samples in [mint, maxt]. */
  series(matchers: readonly Matcher[], mint: number, maxt: number): Labels[] {
    return drainSliced(this.seriesSliced(matchers, mint, maxt));
  }

  /** series as a read that pauses every few hundred series (see selectSliced). */
  *seriesSliced(matchers: readonly Matcher[], mint: number, maxt: number): SlicedRead<Labels[]> {
    if (this.numSeries === 0 || maxt < this.minT || mint > this.maxT) return [];
    const ps = yield* this.refsForMatching(matchers);
    const places = ps.length <= LABEL_SORT_MAX ? null : yield* this.labelOrderPlaces(ps);
    const out: Labels[] = places === null ? [] : new Array(ps.length);
    for (let i = 0; i < ps.length; i++) {
      const ref = ps[i];
      if (this.labelLen[ref] !== 0 && this.overlaps(ref, mint, maxt)) {
        if (places === null) out.push(this.labelsOf(ref));
        else out[places[i]] = this.labelsOf(ref);
      }
      if ((i & (SERIES_PER_PAUSE - 1)) === SERIES_PER_PAUSE - 1) yield 0;
    }
    if (places !== null) return withoutHoles(out);
    return out.length <= LABEL_SORT_MAX ? out.sort(compareLabels) : yield* sortSliced(out, compareLabels);
  }

  /**
   * Refs of the series matching all matchers, as a read in slices (see postingsForMatchersSliced).
   * Appends and truncation may run between its slices, and it fetches the postings lists at
   * different times, so series created meanwhile are left out: one created after an excluding
   * list (`mode!="idle"`) was fetched but before an including one could show although it does not
   * match. Refs only grow, so that is every ref from nextRef at the start on. (Series removed
   * meanwhile may still be among the refs; reads skip them.)
   */
  private *refsForMatching(matchers: readonly Matcher[]): SlicedRead<Uint32Array> {
    const limit = this.nextRef;
    const ps = yield* postingsForMatchersSliced(this.postings, matchers);
    if (ps.length === 0 || ps[ps.length - 1] < limit) return ps;
    let lo = 0;
    let hi = ps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ps[mid] < limit) lo = mid + 1;
      else hi = mid;
    }
    return ps.subarray(0, lo);
  }

  labelNames(matchers: readonly Matcher[]): string[] {
    return drainSliced(this.labelNamesSliced(matchers));
  }

  /** labelNames as a read that pauses every few hundred series (see selectSliced). */
  *labelNamesSliced(matchers: readonly Matcher[]): SlicedRead<string[]> {
    if (this.numSeries === 0) return [];
    if (matchers.length === 0) return [...this.postings.labelNames()];
    const names = new Set<string>();
    for (const ls of yield* this.seriesSliced(matchers, -Infinity, Infinity)) for (let i = 0; i < ls.length; i += 2) names.add(ls[i]);
    return [...names].sort();
  }

  labelValues(name: string, matchers: readonly Matcher[]): string[] {
    return drainSliced(this.labelValuesSliced(name, matchers));
  }

  /** labelValues as a read that pauses every few hundred series (see selectSliced). */
  *labelValuesSliced(name: string, matchers: readonly Matcher[]): SlicedRead<string[]> {
    if (this.numSeries === 0) return [];
    if (matchers.length === 0) return [...this.postings.labelValues(name)];
    const values = new Set<string>();
    for (const ls of yield* this.seriesSliced(matchers, -Infinity, Infinity)) {
      for (let i = 0; i < ls.length; i += 2) if (ls[i] === name) values.add(ls[i + 1]);
    }
    return [...values].sort();
  }

  /** The samples of one series in [mint, maxt], or null when it has none there. */
  private samplesOf(ref: number, mint: number, maxt: number): { timestamps: Float64Array; values: Float64Array } | null {
    const parts: { timestamps: Float64Array; values: Float64Array }[] = [];
    // Closed chunks below the persisted boundary may linger in pages not yet freed; never read them.
    const from = Math.max(mint, this.persistedBefore);
    this.arena.visit(this.closedHead[ref], from, (cmin, _cmax, data) => {
      // Only the part in range is decoded: a DEC chunk stops once past maxt, skips before mint.
      if (cmin <= maxt) parts.push(decodeChunkRange(data, from, maxt));
    });
    parts.reverse();
    const slot = this.openSlot[ref];
    if (slot >= 0 && this.pool.count(slot) > 0 && this.pool.maxTime(slot) >= mint && this.pool.minTime(slot) <= maxt) {
      parts.push(this.pool.decode(slot));
    }
    return concatDecoded(parts, from, maxt);
  }

  /**
   * samplesOf as a read that pauses after every SAMPLES_PER_PAUSE samples decoded and at its end
   * (yielding their number). What it decodes is taken at the start: the closed chunks (pages of the arena are never
   * written again, and a freed one stays readable to whoever holds a view of it) and a copy of the
   * open chunk's samples (appends go on meanwhile).
   */
  private *longSeriesSamples(ref: number, mint: number, maxt: number): SlicedRead<DecodedSamples | null> {
    const from = Math.max(mint, this.persistedBefore);
    const chunks: Uint8Array[] = [];
    this.arena.visit(this.closedHead[ref], from, (cmin, _cmax, data) => {
      if (cmin <= maxt) chunks.push(data);
    });
    chunks.reverse();
    let open: DecodedSamples | null = null;
    const slot = this.openSlot[ref];
    if (slot >= 0 && this.pool.count(slot) > 0 && this.pool.maxTime(slot) >= mint && this.pool.minTime(slot) <= maxt) {
      const d = this.pool.decode(slot);
      open = { timestamps: d.timestamps.slice(), values: d.values.slice() };
    }
    const parts: DecodedSamples[] = [];
    let decoded = 0;
    for (const data of chunks) {
      const d = decodeChunkRange(data, from, maxt);
      parts.push(d);
      decoded += d.timestamps.length;
      if (decoded >= SAMPLES_PER_PAUSE) {
        yield decoded;
        decoded = 0;
      }
    }
    if (open !== null) {
      parts.push(open);
      decoded += open.timestamps.length;
    }
    yield decoded;
    return concatDecoded(parts, from, maxt);
  }

  /**
   * The newest sample of a series in [mint, maxt], or null. The open chunk holds a series' newest
   * samples and the pool keeps the last one appended, so a read at or after it (an instant query
   * at "now", an alert rule) needs no decoding; otherwise the range is decoded and cut to its end.
   */
  private lastSampleOf(ref: number, mint: number, maxt: number): { timestamps: Float64Array; values: Float64Array } | null {
    const slot = this.openSlot[ref];
    if (slot >= 0 && this.pool.count(slot) > 0) {
      const last = this.pool.maxTime(slot);
      if (last <= maxt) {
        if (last < mint || last < this.persistedBefore) return null;
        const timestamps = new Float64Array(1);
        const values = new Float64Array(1);
        timestamps[0] = last;
        values[0] = this.pool.lastValue(slot);
        return { timestamps, values };
      }
    }
    const all = this.samplesOf(ref, mint, maxt);
    if (all === null || all.timestamps.length <= 1) return all;
    const n = all.timestamps.length;
    return { timestamps: all.timestamps.subarray(n - 1), values: all.values.subarray(n - 1) };
  }

  /**
   * Whether the series holds a sample at t with exactly value v (true), a different value (false),
   * or no sample at t (null). Decodes only the chunk covering t; used on the rare out-of-order path.
   */
  private storedSampleIs(ref: number, t: number, v: number): boolean | null {
    let found: boolean | null = null;
    const check = (ts: Float64Array, vs: Float64Array) => {
      for (let i = 0; i < ts.length; i++) {
        if (ts[i] === t) {
          found = sameBits(vs[i], v);
          return;
        }
      }
    };
    const slot = this.openSlot[ref];
    if (slot >= 0 && this.pool.count(slot) > 0 && this.pool.minTime(slot) <= t) {
      const d = this.pool.decode(slot);
      check(d.timestamps, d.values);
      return found;
    }
    this.arena.visit(this.closedHead[ref], Math.max(t, this.persistedBefore), (cmin, _cmax, data) => {
      if (found === null && cmin <= t) {
        const d = decodeChunk(data);
        check(d.timestamps, d.values);
      }
    });
    return found;
  }

  /** Whether the series has a sample in [mint, maxt] (from chunk time ranges, no decoding). */
  private overlaps(ref: number, mint: number, maxt: number): boolean {
    if (this.lastT[ref] < mint) return false;
    const slot = this.openSlot[ref];
    if (slot >= 0 && this.pool.count(slot) > 0 && this.pool.minTime(slot) <= maxt) return true;
    let hit = false;
    this.arena.visit(this.closedHead[ref], Math.max(mint, this.persistedBefore), (cmin) => {
      if (cmin <= maxt) hit = true;
    });
    return hit;
  }

  // ---- persistence into blocks -----------------------------------------------------------------

  /**
   * Closes every open chunk, so that all head data can be persisted (flush). Works in slices that
   * yield to the event loop; appends meanwhile are above the flush point (see refuseAppendsBefore).
   */
  async cutAllOpenChunks(): Promise<void> {
    for (let from = 1; from < this.nextRef; from += SLICE) {
      const to = Math.min(this.nextRef, this.cap, from + SLICE);
      for (let ref = from; ref < to; ref++) {
        const slot = this.openSlot[ref];
        if (this.labelLen[ref] !== 0 && slot >= 0 && this.pool.count(slot) > 0) {
          this.cutOpenChunk(ref, slot, false);
          this.noteWritten(ref);
        }
      }
      await yieldToLoop();
    }
  }

  /**
   * The chunks of series with samples in [mint, maxt), in label order and in batches, for writing a
   * block on the compactor thread. Chunks are passed as their compressed bytes (a copy), so the
   * main thread does no decoding or encoding; chunks may reach outside [mint, maxt) and the
   * receiver clips. Yields to the event loop between batches.
   */
  async *chunksForBlock(mint: number, maxt: number, seriesPerBatch = 2000): AsyncGenerator<HeadChunkBatch> {
    const floor = Math.max(mint, this.persistedBefore);
    const live: number[] = [];
    for (let ref = 1; ref < this.nextRef && ref < this.cap; ref++) if (this.labelLen[ref] !== 0) live.push(ref);
    const out = new ChunkBatchBuilder();
    for await (const ref of sortedRefs(Int32Array.from(live), this.labelOrder())) {
      const before = out.chunkCount;
      // Closed chunks come newest first; the builder reverses this series' run at the end.
      this.arena.visit(this.closedHead[ref], floor, (cmin, _cmax, data) => {
        if (cmin < maxt) out.addChunk(data);
      });
      out.reverseSince(before);
      const slot = this.openSlot[ref];
      if (slot >= 0 && this.pool.count(slot) > 0 && this.pool.maxTime(slot) >= floor && this.pool.minTime(slot) < maxt) {
        out.addChunk(this.pool.bytes(slot));
      }
      if (out.chunkCount === before) continue;
      out.endSeries(this.labelsOf(ref), out.chunkCount - before);
      if (out.seriesCount >= seriesPerBatch) {
        yield out.take();
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    if (out.seriesCount > 0) yield out.take();
  }

  /**
   * Drops everything before `t` (already persisted in blocks): chunks, then series left with no
   * data. Afterwards the head refuses samples older than `t`. Works in slices that yield to the
   * event loop, so a large head never stalls requests; appends in between are all at or after t.
   */
  async truncate(t: number): Promise<void> {
    this.setPersistedBefore(t);
    let min = Infinity;
    for (let from = 1; from < this.nextRef; from += SLICE) {
      const to = Math.min(this.nextRef, this.cap, from + SLICE);
      for (let ref = from; ref < to; ref++) {
        if (this.labelLen[ref] === 0) continue;
        const slot = this.openSlot[ref];
        if (slot >= 0 && (this.pool.count(slot) === 0 || this.pool.maxTime(slot) < t)) {
          this.pool.free(slot);
          this.openSlot[ref] = -1;
          this.noteWritten(ref);
        }
        if (this.closedHead[ref] !== NO_CHUNK && !this.arena.hasChunksSince(this.closedHead[ref], t)) {
          this.numClosedChunks -= this.closedCount[ref];
          this.closedHead[ref] = NO_CHUNK;
          this.closedCount[ref] = 0;
          this.noteWritten(ref);
        }
        // The oldest sample still held, from chunk time ranges (no decoding).
        this.arena.visit(this.closedHead[ref], t, (cmin) => {
          if (cmin < min) min = cmin;
        });
        const open = this.openSlot[ref];
        if (open >= 0 && this.pool.count(open) > 0 && this.pool.minTime(open) < min) min = this.pool.minTime(open);
      }
      this.gcSeries(t, from, to);
      await yieldToLoop();
    }
    this.arena.freeBefore(t);
    this.minT = this.numSeries === 0 ? Infinity : Math.max(min, t);
    if (this.labelPoolDead >= LABEL_POOL_MIN_DEAD && this.labelPoolDead * 2 >= this.labelPoolLen) {
      await this.compactLabelPool();
    }
  }

  /**
   * Copies the labels of live series into a fresh pool, so that the ranges of removed series
   * (series churn leaves one per series ever created) are given back. Works in slices that yield to
   * the event loop. Until the end, everything reads the old pool and offsets, which stay as they
   * are (series created meanwhile are appended to the old pool); the last step, synchronous, copies
   * the series created meanwhile and swaps both at once. So a read that pauses between slices sees
   * one consistent pool at every step, and a comparator from labelOrder() keeps the arrays it took.
   * Series are only removed by truncate, which runs this at its end, so none disappear meanwhile.
   * The columns are then rebuilt from the runs of live refs it found, also in slices, when removed
   * refs are as many as live ones.
   */
  private async compactLabelPool(): Promise<void> {
    if (this.compactingLabels) return;
    this.compactingLabels = true;
    try {
      const live = this.labelPoolLen - this.labelPoolDead;
      let pool = newColumn(Uint32Array, live + (live >>> 3), LABEL_POOL_RESERVE);
      let off = newColumn(Uint32Array, this.cap);
      let len = 0;
      // Runs [from, to) of refs holding every live series, gaps under DEAD_RUN refs included.
      const runs: number[] = [];
      let runFrom = -1;
      let lastLive = -1;
      const copy = (from: number, to: number): void => {
        const old = this.labelPool;
        const oldOff = this.labelOff;
        for (let ref = from; ref < to; ref++) {
          const n = this.labelLen[ref];
          if (n === 0) continue;
          if (runFrom < 0) runFrom = ref;
          else if (ref - lastLive > DEAD_RUN) {
            runs.push(runFrom, lastLive + 1);
            runFrom = ref;
          }
          lastLive = ref;
          if (len + n > pool.length) pool = growColumn(pool, Uint32Array, len + n);
          const o = oldOff[ref];
          for (let i = 0; i < n; i++) pool[len + i] = old[o + i];
          off[ref] = len;
          len += n;
        }
      };
      const end = this.nextRef;
      for (let from = 1; from < end; from += SLICE) {
        copy(from, Math.min(end, this.cap, from + SLICE));
        await yieldToLoop();
      }
      // Series created while this ran: refs from `end` on (refs only grow outside replay).
      off = growColumn(off, Uint32Array, this.cap);
      copy(end, Math.min(this.nextRef, this.cap));
      if (runFrom >= 0) runs.push(runFrom, lastLive + 1);
      this.labelPool = pool;
      this.labelOff = off;
      this.labelPoolLen = len;
      this.labelPoolDead = 0;
      this.labelPoolCompactions++;
      if (this.deadRefsResident >= COLUMNS_MIN_DEAD && this.deadRefsResident >= this.numSeries) await this.rebuildColumns(runs);
    } finally {
      this.compactingLabels = false;
    }
  }

  /**
   * Copies the per-ref columns into fresh ones, live refs only (`runs`, and refs created meanwhile),
   * in slices that yield to the event loop, and swaps them in at the end (see columnrebuild.ts).
   */
  private async rebuildColumns(runs: readonly number[]): Promise<void> {
    const rebuild = new ColumnRebuild(this.cap, runs, this.nextRef);
    // Refs removed while this runs were copied as live ones: still resident afterwards.
    const dead = this.deadRefsResident;
    this.columnRebuild = rebuild;
    try {
      while (!rebuild.step(this.refColumns(), this.cap, this.nextRef)) await yieldToLoop();
      ({
        labelLen: this.labelLen, openSlot: this.openSlot, closedHead: this.closedHead, closedCount: this.closedCount,
        lastT: this.lastT, lastV: this.lastV,
      } = rebuild.next);
      this.deadRefsResident -= dead;
      this.columnRebuilds++;
    } finally {
      this.columnRebuild = null;
    }
  }

  private refColumns(): RefColumns {
    return {
      labelLen: this.labelLen, openSlot: this.openSlot, closedHead: this.closedHead, closedCount: this.closedCount,
      lastT: this.lastT, lastV: this.lastV,
    };
  }

  /** Removes series among refs [from, to) that hold no data at or after t. */
  private gcSeries(t: number, from = 1, to = this.nextRef): void {
    const removed: { ref: number; labels: Labels }[] = [];
    for (let ref = from; ref < to && ref < this.cap; ref++) {
      if (this.labelLen[ref] === 0) continue;
      if (this.openSlot[ref] >= 0 || this.closedHead[ref] !== NO_CHUNK) continue;
      if (this.lastT[ref] >= t && this.lastT[ref] !== -Infinity) continue;
      removed.push({ ref, labels: this.labelsOf(ref) });
    }
    for (const { ref, labels } of removed) {
      this.byHash.delete(labelsHash(labels), ref);
      const off = this.labelOff[ref];
      const len = this.labelLen[ref];
      for (let i = 0; i < len; i++) this.symbols.release(this.labelPool[off + i]);
      this.labelPoolDead += len;
      this.deadRefsResident++;
      const name = metricOf(labels);
      const left = (this.perMetric.get(name) ?? 1) - 1;
      if (left === 0) this.perMetric.delete(name);
      else this.perMetric.set(name, left);
      this.labelLen[ref] = 0;
      this.noteWritten(ref);
      this.numSeries--;
      this.seriesRemoved++;
    }
    this.postings.remove(removed);
  }

  // ---- stats -----------------------------------------------------------------------------------

  stats(): HeadStats {
    // Pages of rebuilt columns that were never written are not resident: count live series and the
    // removed refs written since (an estimate: short runs of removed refs are copied along).
    // While a rebuild runs, the fresh columns' pages written so far are resident too.
    const columns = Math.min(this.cap, this.numSeries + this.deadRefsResident) * (4 + REF_COLUMN_BYTES) +
      (this.columnRebuild?.copied ?? 0) * REF_COLUMN_BYTES;
    // Maps cost roughly 80 bytes an entry in V8; counted so the metric tracks reality.
    const maps = this.byHash.byteLength + this.symbols.size * 80 + this.symbols.overheadBytes + this.postings.pairCount() * 100;
    // The symbol ranks of sorted reads (4 bytes a symbol id), kept until the next read after a symbol is added.
    const ranks = this.symbolRanks?.rank.byteLength ?? 0;
    let open = 0;
    for (let ref = 1; ref < this.nextRef && ref < this.cap; ref++) if (this.openSlot[ref] >= 0 && this.labelLen[ref] !== 0) open++;
    return {
      series: this.numSeries,
      chunks: this.numClosedChunks + open,
      minTime: this.minT,
      maxTime: this.maxT,
      memoryBytes: columns + this.labelPool.byteLength + this.symbols.stringBytes + maps + ranks +
        this.pool.memoryBytes() + this.arena.memoryBytes(),
      samplesAppended: this.samplesAppended,
      seriesCreated: this.seriesCreated,
      seriesRemoved: this.seriesRemoved,
      outOfOrderOnReplay: this.outOfOrderOnReplay,
      labelPoolCompactions: this.labelPoolCompactions,
      columnRebuilds: this.columnRebuilds,
      openChunkReads: (({ hits, extended, misses }) => ({ hits, extended, misses }))(this.pool.decodedStats()),
    };
  }

  get seriesCount(): number {
    return this.numSeries;
  }

  // ---- storage growth --------------------------------------------------------------------------

  private ensureCapacity(n: number): void {
    if (n > this.cap) this.grow(n);
  }

  /** Grows the columns to at least cap refs: in place, unless a column outgrew its reservation. */
  private grow(cap: number): void {
    this.labelOff = growColumn(this.labelOff, Uint32Array, cap);
    this.labelLen = growColumn(this.labelLen, Uint16Array, cap);
    this.openSlot = growColumn(this.openSlot, Int32Array, cap);
    this.closedHead = growColumn(this.closedHead, Float64Array, cap);
    this.closedCount = growColumn(this.closedCount, Uint32Array, cap);
    this.lastT = growColumn(this.lastT, Float64Array, cap);
    this.lastV = growColumn(this.lastV, Float64Array, cap);
    this.cap = Math.min(this.labelOff.length, this.labelLen.length, this.openSlot.length, this.closedHead.length,
      this.closedCount.length, this.lastT.length, this.lastV.length);
  }

  private ensureScratch(n: number): void {
    if (n <= this.sRefs.length) return;
    const size = Math.max(n, this.sRefs.length * 2);
    this.sRefs = new Uint32Array(size);
    this.sTs = new Float64Array(size);
    this.sVs = new Float64Array(size);
  }
}

/** The entries of an array with holes, in order. */
function withoutHoles<T>(placed: T[]): T[] {
  let n = 0;
  for (let i = 0; i < placed.length; i++) if (placed[i] !== undefined) placed[n++] = placed[i];
  placed.length = n;
  return placed;
}

function metricOf(ls: Labels): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === METRIC_NAME) return ls[i + 1];
  return '';
}

function isSorted(ts: Float64Array, from: number, to: number): boolean {
  for (let j = from + 1; j < to; j++) if (ts[j] < ts[j - 1]) return false;
  return true;
}

/** Indexes of [from, to) ordered by timestamp, stable (senders' order decides among equal times). */
function sortedOrder(ts: Float64Array, from: number, to: number): number[] {
  const idx: number[] = [];
  for (let j = from; j < to; j++) idx.push(j);
  return idx.sort((a, b) => ts[a] - ts[b] || a - b);
}

function fmtTime(t: number): string {
  if (!Number.isFinite(t)) return String(t);
  const d = new Date(t);
  return Number.isNaN(d.getTime()) ? `${t}ms` : `${d.toISOString()} (${t})`;
}
