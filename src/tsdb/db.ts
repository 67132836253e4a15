// The database of one shard: a head (recent samples in memory, made durable by the WAL) and a set of
// immutable blocks on disk. It opens blocks first (they say up to when data is already persisted),
// replays the WAL into the head, and then runs maintenance in the background, one task at a time:
// persisting the head's oldest block range, compacting blocks into larger ones, applying retention.
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Matcher, SampleBatch } from '../model/index.ts';
import {
  AppendError, type AppendOptions, type AppendResult, type Appendable, type Queryable, type Querier,
} from './types.ts';
import { Head } from './head/head.ts';
import { WalCorruptionError, openWal, type Wal, type WalReplayStatus } from './wal/index.ts';
import {
  CorruptBlockError, deleteBlockDir, listBlockDirs, openBlock, planCompaction, removeIncompleteBlocks,
  type Block, type BlockMeta,
} from './block/index.ts';
import { Compactor } from './compactor/index.ts';
import { lockDataDir } from './lock.ts';
import { mergeQuerier, PendingReads } from './querier.ts';
import { HeadTombstones } from './headtombstones.ts';
import { SNAPSHOTS_DIR, finishSnapshot, linkBlock, snapshotName } from './snapshot.ts';
import { runSliced } from './readslices.ts';
import { importCutoff, prepareImport, splitAtTime, writePreparedBlocks, type DBImportResult, type Importable, type ImportSeries } from './import.ts';

export interface DBOptions {
  dir: string;
  /** Raw-tier retention in ms; 0 keeps everything. Default 7 days. */
  retentionMs?: number;
  /** Default 2h. */
  blockRangeMs?: number;
  /** Not supported yet beyond 0; see docs/storage-strategy.md. */
  outOfOrderWindowMs?: number;
  maxSeries?: number;
  maxSeriesPerMetric?: number;
  walFsync?: 'always' | 'interval' | 'never';
  walSegmentSize?: number;
  /** How often background maintenance runs, in ms (default 60s). */
  maintenanceIntervalMs?: number;
  /** zstd-compress block chunk pages (default true). */
  compressBlocks?: boolean;
  /** How long the compactor thread may sit idle before it is ended (default 10 s; benchmarks: 0). */
  compactorIdleMs?: number;
  /** Told where WAL replay stands while the DB opens (/api/v1/status/walreplay). */
  onWalReplayProgress?: (s: WalReplayStatus) => void;
  logger: Logger;
}

export interface DBStats {
  headSeries: number;
  headChunks: number;
  headMinTime: number;
  headMaxTime: number;
  headMemoryBytes: number;
  /** Reads of the head's open chunks by how the decode cache served them. */
  headOpenChunkReads: { hits: number; extended: number; misses: number };
  /** Rebuilds of the head's label pool, and of its per-series columns, that gave back removed series' memory. */
  headLabelPoolCompactions: number;
  headColumnRebuilds: number;
  samplesAppended: number;
  seriesCreated: number;
  seriesRemoved: number;
  walBytes: number;
  walSegments: number;
  /** memoryBytes: what the open blocks hold in memory (estimated; see Block.memoryBytes). */
  blocks: { tier: string; count: number; bytes: number; memoryBytes: number; samples: number; series: number }[];
  compactions: number;
  compactionsFailed: number;
  /** WAL checkpoints that failed; the WAL keeps its segments and the next checkpoint retries. */
  walCheckpointsFailed: number;
  /** Damaged WAL parts found since start: by replay, and by checkpoints (skipped, or failing one). */
  walCorruptions: number;
  rejectedSamples: Record<string, number>;
  replay: { durationMs: number; samples: number };
}

export interface DB extends Appendable, Queryable, Importable {
  flush(): Promise<{ blocks: number; samples: number }>;
  /** Resolves once the maintenance queued so far, and any it queued in turn, has finished (tests, benchmarks). */
  maintenanceIdle(): Promise<void>;
  stats(): DBStats;
  /**
   * Deletes the samples in [mint, maxt] of the matching series (admin API delete_series): blocks
   * and the head record tombstones, reads leave those samples out from the moment this resolves.
   */
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void>;
  /** Rewrites the blocks that have tombstones without the deleted samples (admin API clean_tombstones). */
  cleanTombstones(): Promise<void>;
  /** Writes a snapshot under <dir>/snapshots and returns its name (admin API snapshot). */
  snapshot(opts: { skipHead: boolean }): Promise<string>;
  close(): Promise<void>;
}

const DAY = 24 * 3600 * 1000;

export async function openDB(opts: DBOptions): Promise<DB> {
  const db = new TSDB(opts);
  await db.open();
  return db;
}

class TSDB implements DB {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly blockRange: number;
  private readonly retention: number;
  private readonly compress: boolean;
  private readonly head: Head;
  private wal!: Wal;
  /** Block writing and compaction run on this worker thread. */
  private readonly compactor: Compactor;
  private readonly pendingReads = new PendingReads();
  private blocks: Block[] = [];
  /** Samples deleted from the head (see headtombstones.ts). */
  private readonly headDeleted: HeadTombstones;
  private closed = false;
  private unlock: () => void = () => undefined;
  private timer: NodeJS.Timeout | null = null;
  /** Maintenance tasks run one after another on this chain. */
  private chain: Promise<unknown> = Promise.resolve();
  private maintenancePending = false;
  /** Imports writing blocks right now; close waits for them. */
  private readonly importing = new Set<Promise<unknown>>();

  private compactions = 0;
  private compactionsFailed = 0;
  private walCheckpointsFailed = 0;
  private walCorruptions = 0;
  /** Set while persistPastDamage runs: its own checkpoints must not start it again. */
  private healingWal = false;
  private readonly rejected: Record<string, number> = {};
  private replayStats = { durationMs: 0, samples: 0 };

  private readonly opts: DBOptions;

  constructor(o: DBOptions) {
    this.opts = o;
    this.dir = o.dir;
    this.log = o.logger;
    this.blockRange = o.blockRangeMs ?? 2 * 3600 * 1000;
    this.retention = o.retentionMs ?? 7 * DAY;
    this.compress = o.compressBlocks ?? true;
    this.compactor = new Compactor({ idleMs: o.compactorIdleMs });
    this.headDeleted = new HeadTombstones(o.dir);
    if ((o.outOfOrderWindowMs ?? 0) > 0) {
      throw new Error('storage.out_of_order_window is not supported yet: leave it at 0 (import historical data with blocks instead)');
    }
    this.head = new Head({
      blockRangeMs: this.blockRange,
      maxSeries: o.maxSeries ?? 0,
      maxSeriesPerMetric: o.maxSeriesPerMetric ?? 0,
    });
  }

  async open(): Promise<void> {
    fs.mkdirSync(this.dir, { recursive: true });
    this.unlock = lockDataDir(this.dir, this.log);
    try {
      await this.load();
    } catch (e) {
      this.unlock();
      throw e;
    }
  }

  private async load(): Promise<void> {
    this.loadBlocks();
    // Only blocks persisted from the head say up to when the head's data is on disk. Imported
    // (backfilled) blocks may lie anywhere in time; counting them would make the head refuse live
    // writes (and drop WAL samples on replay) below the end of imported data.
    // A block compacted from both says where its head part ends (headMaxTime).
    const persisted = this.blocks.reduce((m, b) => (b.meta.source === 'import' ? m : Math.max(m, b.meta.headMaxTime ?? b.meta.maxTime)), -Infinity);
    this.head.setPersistedBefore(persisted);
    this.loadHeadTombstones(persisted);
    this.removeIncompleteSnapshots();
    const head = this.head;
    const { wal, stats } = await openWal({
      dir: path.join(this.dir, 'wal'),
      segmentSize: this.opts.walSegmentSize,
      fsync: this.opts.walFsync ?? 'interval',
      logger: walLogger(this.log),
      onReplayProgress: this.opts.onWalReplayProgress,
    }, {
      series: (ref, labels) => head.replaySeries(ref, labels),
      samples: (refs, ts, vs, n) => head.replaySamples(refs, ts, vs, n),
    });
    head.finishReplay();
    this.wal = wal;
    this.replayStats = { durationMs: stats.durationMs, samples: stats.samples };
    this.walCorruptions = stats.damaged;
    this.log.info({ blocks: this.blocks.length, series: head.seriesCount, samples: stats.samples, ms: Math.round(stats.durationMs) },
      'storage opened: WAL replayed');
    const every = this.opts.maintenanceIntervalMs ?? 60_000;
    this.timer = setInterval(() => this.scheduleMaintenance(), every);
    this.timer.unref();
    this.scheduleMaintenance();
  }

  /** Opens every block directory; sets aside corrupt ones and removes leftovers of interrupted work. */
  private loadBlocks(): void {
    const opened: Block[] = [];
    for (const name of removeIncompleteBlocks(this.dir)) this.log.info({ dir: name }, 'removed a block left incomplete by a crash');
    for (const full of listBlockDirs(this.dir)) {
      const name = path.basename(full);
      try {
        opened.push(openBlock(full));
      } catch (e) {
        if (!(e instanceof CorruptBlockError)) throw e;
        const aside = `${full}.corrupt`;
        this.log.error({ block: name, err: e.message, movedTo: aside },
          'block is corrupt and was moved aside; its data is not served (restore it from a backup or delete it)');
        fs.renameSync(full, aside);
      }
    }
    // A crash after a compaction wrote its result but before it deleted the sources leaves both;
    // the sources are recognisable as blocks whose own sources the newer block already covers.
    const covered = new Set<string>();
    for (const b of opened) {
      if (b.meta.compaction.level <= 1) continue;
      for (const other of opened) {
        if (other !== b && other.meta.compaction.level < b.meta.compaction.level &&
            other.meta.compaction.sources.length > 0 &&
            other.meta.compaction.sources.every((s) => b.meta.compaction.sources.includes(s))) covered.add(other.meta.ulid);
      }
    }
    for (const b of opened) {
      if (covered.has(b.meta.ulid)) {
        this.log.info({ block: b.meta.ulid }, 'removing block already merged into a compacted block');
        this.deleteBlock(b);
      } else this.blocks.push(b);
    }
    this.sortBlocks();
  }

  /**
   * Reads the head's deleted ranges. Ranges below `persisted` are in blocks by now: a crash may
   * have come between writing such a block and giving it its tombstones, so they are applied to
   * the head-persisted blocks again (a no-op where they are), then forgotten.
   */
  private loadHeadTombstones(persisted: number): void {
    this.headDeleted.load();
    if (this.headDeleted.size === 0) return;
    for (const b of this.blocks) {
      if (b.meta.source === 'import') continue;
      const n = b.deleteSeries(this.headDeleted.requests(b.meta.minTime, b.meta.maxTime - 1));
      if (n > 0) this.log.info({ block: b.meta.ulid, series: n }, 'applied deletions made in the head to a block persisted from it');
    }
    if (this.headDeleted.dropBefore(persisted)) this.headDeleted.save();
  }

  /** Removes snapshots a crash left unfinished (`<name>.tmp`; finished ones are renamed). */
  private removeIncompleteSnapshots(): void {
    for (const name of listDirSafe(path.join(this.dir, SNAPSHOTS_DIR))) {
      if (!name.endsWith('.tmp')) continue;
      fs.rmSync(path.join(this.dir, SNAPSHOTS_DIR, name), { recursive: true, force: true });
      this.log.info({ snapshot: name }, 'removed a snapshot left incomplete by a crash');
    }
  }

  private sortBlocks(): void {
    this.blocks.sort((a, b) => a.meta.minTime - b.meta.minTime || (a.meta.ulid < b.meta.ulid ? -1 : 1));
  }

  // ---- writes ------------------------------------------------------------------------------------

  async append(batch: SampleBatch, opts?: AppendOptions): Promise<AppendResult> {
    if (this.closed) throw new AppendError(503, 'shutting_down', 'storage is shutting down');
    let result: AppendResult;
    try {
      result = this.head.append(batch, (newRefs, newLabels, refs, ts, vs, n) => {
        this.wal.log(newRefs, newLabels, refs, ts, vs, n);
      }, opts);
    } catch (e) {
      if (e instanceof AppendError) this.count(e.reason, batch.offsets[batch.series.length]);
      throw e;
    }
    for (const [reason, n] of Object.entries(result.rejected)) this.count(reason, n);
    if (this.head.maxTime - this.head.minTime > this.blockRange * 1.5) this.scheduleMaintenance();
    return result;
  }

  async import(input: readonly ImportSeries[]): Promise<DBImportResult> {
    if (this.closed) throw new AppendError(503, 'shutting_down', 'storage is shutting down');
    const prep = prepareImport(input);
    // The split and the head's checks run in one synchronous step (append checks before its
    // first await), so the head's window cannot move in between.
    const cutoff = importCutoff(this.head.minValidTime(), this.head.maxTime, Date.now(), this.blockRange);
    const { recent, old } = splitAtTime(prep.series, cutoff);
    const headSamples = recent.offsets[recent.series.length];
    const head = headSamples > 0 ? await this.append(recent) : null;
    // Each block appears on disk by one rename (a crash leaves none or a whole one) and joins the
    // block list in one synchronous step once all are written; maintenance only ever replaces
    // the blocks it compacted, so it keeps these.
    // Blocks as large as compaction would make them where no head block can ever land inside.
    const windows = { ranges: compactionRanges(this.blockRange, this.retention), boundary: Math.min(cutoff, this.head.minTime) };
    const writing = writePreparedBlocks(this.dir, old, windows, this.compress);
    this.importing.add(writing);
    let metas: BlockMeta[];
    try {
      metas = await writing;
    } finally {
      this.importing.delete(writing);
    }
    if (!this.closed) {
      for (const m of metas) this.blocks.push(openBlock(path.join(this.dir, m.ulid)));
      this.sortBlocks();
    }
    const blockSamples = metas.reduce((n, m) => n + m.stats.numSamples, 0);
    let pastRetention = 0;
    if (this.retention > 0 && metas.length > 0) {
      const cutoffTime = this.newestTime() - this.retention;
      for (const m of metas) if (m.maxTime <= cutoffTime) pastRetention += m.stats.numSamples;
    }
    if (metas.length > 0) {
      this.log.info({ blocks: metas.length, samples: blockSamples, headSamples, mint: prep.minTime, maxt: prep.maxTime }, 'imported data written into blocks');
    }
    return {
      series: prep.series.length, samples: prep.samples, duplicates: prep.duplicates, minTime: prep.minTime, maxTime: prep.maxTime,
      headSamples, head, blockSamples, blocks: metas, retentionMs: this.retention, pastRetention,
    };
  }

  private count(reason: string, n: number): void {
    this.rejected[reason] = (this.rejected[reason] ?? 0) + n;
  }

  // ---- reads -------------------------------------------------------------------------------------

  querier(): Querier {
    return mergeQuerier(this.head, () => this.blocks.slice(), this.pendingReads, () => (this.headDeleted.size > 0 ? this.headDeleted : null));
  }

  // ---- maintenance -------------------------------------------------------------------------------

  private scheduleMaintenance(): void {
    if (this.maintenancePending || this.closed) return;
    this.maintenancePending = true;
    this.enqueue(async () => {
      this.maintenancePending = false;
      await this.persistHead();
      await this.compact();
      this.applyRetention();
    }).catch((e) => this.log.error({ err: (e as Error).message }, 'storage maintenance failed'));
  }

  async maintenanceIdle(): Promise<void> {
    // A task may queue another (persist, then compact): wait until the chain stays the same.
    for (let c = this.chain; ; c = this.chain) {
      await c;
      await new Promise((resolve) => setTimeout(resolve, 20));
      if (this.chain === c) return;
    }
  }

  private enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.chain.then(task, task);
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** Persists the head's oldest block range while the head spans more than 1.5 ranges. */
  private async persistHead(): Promise<void> {
    while (!this.closed && this.head.maxTime - this.head.minTime > this.blockRange * 1.5) {
      const mint = Math.floor(this.head.minTime / this.blockRange) * this.blockRange;
      const maxt = mint + this.blockRange;
      await this.persistRange(mint, maxt);
    }
  }

  /** Writes [mint, maxt) of the head into a block, then drops it from the head and the WAL. */
  private async persistRange(mint: number, maxt: number): Promise<BlockMeta | null> {
    this.head.refuseAppendsBefore(maxt);
    const started = performance.now();
    const meta = await this.compactor.persist(this.dir, this.head.chunksForBlock(mint, maxt), {
      minTime: mint, maxTime: maxt, tier: 'raw', resolutionMs: 0, level: 1, compress: this.compress,
    });
    if (meta) {
      const block = openBlock(path.join(this.dir, meta.ulid));
      // The block has the head's chunks as they are: samples deleted in the head become its tombstones.
      if (this.headDeleted.size > 0) block.deleteSeries(this.headDeleted.requests(mint, maxt - 1));
      this.blocks.push(block);
      this.sortBlocks();
      this.log.info({ block: meta.ulid, mint, maxt, series: meta.stats.numSeries, samples: meta.stats.numSamples,
        ms: Math.round(performance.now() - started) }, 'head persisted into a block');
    }
    // Reads that started before the block was added read [mint, maxt) from the head: let them end
    // first (they are bounded by their query's timeout).
    await this.pendingReads.drained();
    await this.head.truncate(maxt);
    if (this.headDeleted.dropBefore(maxt)) this.headDeleted.save();
    // The block is written and the head truncated: a failed checkpoint only leaves the WAL longer,
    // so it must not stop maintenance (or a flush). The next persisted range retries it.
    try {
      const cp = await this.wal.checkpoint((ref) => this.head.hasSeries(ref), maxt, (ref) => this.head.labelsOf(ref));
      this.walCorruptions += cp.damaged.length;
      this.log.debug({ ...cp }, 'WAL checkpoint written');
    } catch (e) {
      this.walCheckpointsFailed++;
      this.log.error({ err: (e as Error).message }, 'WAL checkpoint failed; the WAL keeps its segments and the next checkpoint retries');
      if (e instanceof WalCorruptionError) {
        this.walCorruptions++;
        await this.persistPastDamage(e.damage.maxTime ?? Infinity);
      }
    }
    return meta;
  }

  /**
   * A damaged WAL segment holds samples up to t that only the head has now: a restart would lose
   * them (and replay stops at the damage). Persisting the head up to t makes the damaged part
   * unneeded, and the checkpoints this runs skip it. Appends older than t are refused from now on.
   */
  private async persistPastDamage(t: number): Promise<void> {
    if (this.healingWal || !Number.isFinite(t) || this.closed) return;
    this.healingWal = true;
    try {
      this.log.warn({ until: new Date(t + 1).toISOString() }, 'persisting the head past the damaged WAL segment');
      const end = t + 1;
      let mint = Math.floor(this.head.minTime / this.blockRange) * this.blockRange;
      while (mint < end) {
        const maxt = Math.min(mint + this.blockRange, end);
        await this.persistRange(mint, maxt);
        mint = Math.max(maxt, Math.floor(this.head.minTime / this.blockRange) * this.blockRange);
      }
    } finally {
      this.healingWal = false;
    }
  }

  private async compact(): Promise<void> {
    const ranges = compactionRanges(this.blockRange, this.retention);
    for (;;) {
      if (this.closed) return;
      const plan = planCompaction(this.blocks.map((b) => b.meta), ranges);
      if (plan.length === 0) return;
      const group = plan[0];
      const sources = group.map((m) => this.blocks.find((b) => b.meta.ulid === m.ulid)!).filter(Boolean);
      const started = performance.now();
      try {
        const meta = await this.compactor.compact(this.dir, sources.map((b) => b.dir), { compress: this.compress });
        if (meta) this.blocks.push(openBlock(path.join(this.dir, meta.ulid)));
        this.blocks = this.blocks.filter((b) => !sources.includes(b));
        for (const s of sources) this.deleteBlock(s);
        this.sortBlocks();
        this.compactions++;
        this.log.info({ into: meta?.ulid, from: sources.map((s) => s.meta.ulid), ms: Math.round(performance.now() - started) },
          'blocks compacted');
      } catch (e) {
        this.compactionsFailed++;
        this.log.error({ err: (e as Error).message, blocks: sources.map((s) => s.meta.ulid) }, 'compaction failed');
        return;
      }
    }
  }

  /** Deletes blocks entirely older than the retention, measured from the newest data. */
  private applyRetention(): void {
    if (this.retention <= 0 || this.blocks.length === 0) return;
    const cutoff = this.newestTime() - this.retention;
    const expired = this.blocks.filter((b) => b.meta.maxTime <= cutoff);
    if (expired.length === 0) return;
    this.blocks = this.blocks.filter((b) => !expired.includes(b));
    for (const b of expired) {
      this.log.info({ block: b.meta.ulid, maxTime: new Date(b.meta.maxTime).toISOString() }, 'block past retention deleted');
      this.deleteBlock(b);
    }
  }

  /** The newest sample time the DB holds, retention's reference point. */
  private newestTime(): number {
    return Math.max(this.head.maxTime, ...this.blocks.map((b) => b.meta.maxTime - 1));
  }

  private deleteBlock(b: Block): void {
    b.close();
    deleteBlockDir(b.dir);
  }

  /** Persists the whole head into blocks now, one per block range it spans. */
  flush(): Promise<{ blocks: number; samples: number }> {
    return this.enqueue(async () => {
      if (this.head.seriesCount === 0 || this.head.maxTime === -Infinity) return { blocks: 0, samples: 0 };
      const end = this.head.maxTime + 1;
      // Refuse appends below the end first; then every open chunk can be closed and persisted.
      this.head.refuseAppendsBefore(end);
      await this.head.cutAllOpenChunks();
      let blocks = 0;
      let samples = 0;
      let mint = Math.floor(this.head.minTime / this.blockRange) * this.blockRange;
      while (mint < end) {
        const maxt = Math.min(mint + this.blockRange, end);
        const meta = await this.persistRange(mint, maxt);
        if (meta) {
          blocks++;
          samples += meta.stats.numSamples;
        }
        mint = Math.max(maxt, Math.floor(this.head.minTime / this.blockRange) * this.blockRange);
      }
      return { blocks, samples };
    });
  }

  // ---- admin: deletion, snapshots ----------------------------------------------------------------

  // On the maintenance chain, as persisting and compaction: a compaction reads its blocks'
  // tombstones when it starts and a delete in the middle of it would be lost with its sources.
  deleteSeries(matchers: readonly Matcher[], mint: number, maxt: number): Promise<void> {
    return this.enqueue(async () => {
      if (this.closed) throw new AppendError(503, 'shutting_down', 'storage is shutting down');
      let blockSeries = 0;
      for (const b of this.blocks) {
        if (b.meta.minTime > maxt || b.meta.maxTime <= mint) continue;
        blockSeries += b.deleteSeries([{ matchers, mint, maxt }]);
      }
      // In the head, the range is clamped to the head's (as Prometheus does): samples appended
      // later, past its newest, are kept. Only the matching series' labels are read, not their
      // samples: deleting every series of a large head must not decode it all.
      const lo = Math.max(mint, this.head.minTime);
      const hi = Math.min(maxt, this.head.maxTime);
      let headSeries = 0;
      if (lo <= hi) {
        for (const ls of await runSliced(this.head.seriesSliced(matchers, lo, hi), undefined)) {
          if (this.headDeleted.add(ls, lo, hi)) headSeries++;
        }
      }
      if (headSeries > 0) this.headDeleted.save();
      this.log.info({ mint, maxt, blockSeries, headSeries }, 'series deleted');
    });
  }

  cleanTombstones(): Promise<void> {
    return this.enqueue(async () => {
      for (const b of this.blocks.filter((x) => x.tombstones !== null)) {
        if (this.closed) return;
        // A rewrite is a compaction of one block: its result lists the same sources at a higher
        // level, so a crash before the old block is deleted leaves it recognisably covered (loadBlocks).
        const meta = await this.compactor.compact(this.dir, [b.dir], { compress: this.compress });
        if (meta) this.blocks.push(openBlock(path.join(this.dir, meta.ulid)));
        this.blocks = this.blocks.filter((x) => x !== b);
        this.deleteBlock(b);
        this.sortBlocks();
        this.log.info({ block: b.meta.ulid, into: meta?.ulid ?? null }, 'block rewritten without its deleted samples');
      }
    });
  }

  snapshot(opts: { skipHead: boolean }): Promise<string> {
    return this.enqueue(async () => {
      if (this.closed) throw new AppendError(503, 'shutting_down', 'storage is shutting down');
      const name = snapshotName();
      const parent = path.join(this.dir, SNAPSHOTS_DIR);
      const tmp = path.join(parent, `${name}.tmp`);
      fs.mkdirSync(tmp, { recursive: true });
      try {
        for (const b of this.blocks) linkBlock(b.dir, tmp);
        if (!opts.skipHead && this.head.maxTime !== -Infinity) await this.snapshotHead(tmp);
        finishSnapshot(tmp, path.join(parent, name));
      } catch (e) {
        fs.rmSync(tmp, { recursive: true, force: true });
        throw e;
      }
      this.log.info({ name, blocks: this.blocks.length, head: !opts.skipHead }, 'snapshot written');
      return name;
    });
  }

  /** Writes the head's data (all of it, open chunks too) as one block into `into`. */
  private async snapshotHead(into: string): Promise<void> {
    const mint = Math.max(this.head.minTime, this.head.persistedMaxTime);
    const maxt = this.head.maxTime + 1;
    if (maxt <= mint) return;
    const meta = await this.compactor.persist(into, this.head.chunksForBlock(mint, maxt), {
      minTime: mint, maxTime: maxt, tier: 'raw', resolutionMs: 0, level: 1, compress: this.compress,
    });
    if (meta === null || this.headDeleted.size === 0) return;
    const b = openBlock(path.join(into, meta.ulid));
    try {
      b.deleteSeries(this.headDeleted.requests(mint, maxt - 1));
    } finally {
      b.close();
    }
  }

  // ---- stats and lifecycle -----------------------------------------------------------------------

  stats(): DBStats {
    const h = this.head.stats();
    const tiers = new Map<string, DBStats['blocks'][number]>();
    for (const b of this.blocks) {
      const t = tiers.get(b.meta.tier) ?? { tier: b.meta.tier, count: 0, bytes: 0, memoryBytes: 0, samples: 0, series: 0 };
      t.count++;
      t.bytes += b.sizeBytes();
      t.memoryBytes += b.memoryBytes();
      t.samples += b.meta.stats.numSamples;
      t.series += b.meta.stats.numSeries;
      tiers.set(b.meta.tier, t);
    }
    return {
      headSeries: h.series,
      headChunks: h.chunks,
      headMinTime: h.minTime,
      headMaxTime: h.maxTime,
      headMemoryBytes: h.memoryBytes,
      headOpenChunkReads: h.openChunkReads,
      headLabelPoolCompactions: h.labelPoolCompactions,
      headColumnRebuilds: h.columnRebuilds,
      samplesAppended: h.samplesAppended,
      seriesCreated: h.seriesCreated,
      seriesRemoved: h.seriesRemoved,
      walBytes: this.wal ? this.wal.sizeBytes() : 0,
      walSegments: this.wal ? this.wal.segmentCount() : 0,
      blocks: [...tiers.values()],
      compactions: this.compactions,
      compactionsFailed: this.compactionsFailed,
      walCheckpointsFailed: this.walCheckpointsFailed,
      walCorruptions: this.walCorruptions,
      rejectedSamples: { ...this.rejected },
      replay: { ...this.replayStats },
    };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    // Let a running maintenance task finish: blocks are written atomically, but a half-done
    // checkpoint is better finished than redone.
    await this.chain;
    await Promise.allSettled([...this.importing]);
    await this.compactor.close();
    this.wal.close();
    for (const b of this.blocks) b.close();
    this.unlock();
  }
}

/** Compaction ranges: the block range times powers of 3, up to a tenth of the retention (or 31 days). */
export function compactionRanges(blockRange: number, retention: number): number[] {
  const limit = retention > 0 ? Math.max(retention / 10, blockRange) : 31 * DAY;
  const ranges = [blockRange];
  while (ranges[ranges.length - 1] * 3 <= limit) ranges.push(ranges[ranges.length - 1] * 3);
  return ranges;
}

function listDirSafe(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

function walLogger(log: Logger) {
  return {
    info: (msg: string) => log.info(msg),
    warn: (msg: string) => log.warn(msg),
    error: (msg: string) => log.error(msg),
  };
}
