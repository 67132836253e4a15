// Opening (replay and repair) and writing the WAL.
import * as fs from 'node:fs';
import type { Labels } from '../../model/index.ts';
import { writeCheckpoint } from './checkpoint.ts';
import {
  EncodeBuffer, RecordType, appendSamplesRecord, appendSeriesRecord, decodeSamples, decodeSeries,
  newSampleColumns,
} from './record.ts';
import {
  checkpointName, copyAside, fsyncDir, fsyncDirAsync, fsyncDirInBackground, listWalDir, scanRecords, segmentName,
  truncateDurably, walPath,
} from './segment.ts';
import type { RecordSink } from './segment.ts';
import type {
  CheckpointResult, ReplayHandlers, ReplayStats, Wal, WalLogger, WalOptions,
} from './types.ts';

const DEFAULT_SEGMENT_SIZE = 128 * 1024 * 1024;
const DEFAULT_FSYNC_INTERVAL_MS = 1000;
/** The encode buffer is kept between calls up to this size; a bigger one from a huge batch is dropped. */
const KEEP_ENCODE_BUFFER_BYTES = 16 * 1024 * 1024;

const stderrLogger: WalLogger = {
  info: (msg) => process.stderr.write(`${msg}\n`),
  warn: (msg) => process.stderr.write(`${msg}\n`),
  error: (msg) => process.stderr.write(`${msg}\n`),
};

/** O_APPEND: after a failed write is cut off again with ftruncate, the next write lands at the new end. */
const APPEND_FLAGS = fs.constants.O_WRONLY | fs.constants.O_APPEND;

export async function openWal(opts: WalOptions, handlers: ReplayHandlers): Promise<{ wal: Wal; stats: ReplayStats }> {
  const started = performance.now();
  const logger = opts.logger ?? stderrLogger;
  const dir = opts.dir;
  fs.mkdirSync(dir, { recursive: true });
  const listing = listWalDir(dir);
  const stats: ReplayStats = { records: 0, series: 0, samples: 0, corrupted: false, damaged: 0, durationMs: 0 };

  // An interrupted checkpoint: its temp file is incomplete and everything it held is still in the
  // files it was built from.
  for (const name of listing.tempCheckpoints) {
    fs.rmSync(walPath(dir, name), { force: true, recursive: true });
    logger.info(`wal: removed unfinished checkpoint ${name}`);
  }
  // The newest checkpoint supersedes older checkpoints and the segments it covers; finding them
  // means a crash came after the checkpoint was in place but before they were deleted.
  const checkpoint = listing.checkpoints.at(-1);
  let removedStale = false;
  if (checkpoint !== undefined) {
    for (const old of listing.checkpoints.slice(0, -1)) {
      fs.rmSync(walPath(dir, checkpointName(old)), { force: true });
      removedStale = true;
    }
    for (const seg of listing.segments) {
      if (seg > checkpoint) break;
      fs.rmSync(walPath(dir, segmentName(seg)), { force: true });
      removedStale = true;
    }
    if (removedStale) logger.info(`wal: removed files superseded by ${checkpointName(checkpoint)}`);
  }
  const segments = listing.segments.filter((s) => checkpoint === undefined || s > checkpoint);

  const first = segments[0] ?? (checkpoint !== undefined ? checkpoint + 1 : 0);
  const progress = (max: number, current: number) => opts.onReplayProgress?.({ min: first, max, current });
  progress(segments.at(-1) ?? first, first);

  const seen = { maxRef: 0, maxTime: -Infinity };
  const sink = replaySink(handlers, stats, logger, seen);
  let checkpointBytes = 0;
  if (checkpoint !== undefined) {
    const name = checkpointName(checkpoint);
    const res = await scanRecords(walPath(dir, name), sink);
    checkpointBytes = res.fileBytes;
    // Its segments are gone, so there is nothing to fall back to: keep the good prefix and go on
    // with the segments, which hold the newest data. (A checkpoint is fsynced before it is renamed
    // into place, so this is disk damage, not a crash.)
    if (res.problem) {
      stats.corrupted = true;
      stats.damaged++;
      logger.error(`wal: checkpoint ${name} is damaged at offset ${res.problem.offset} (${res.problem.reason}); ` +
        `replayed the ${res.records} records before it, ${res.fileBytes - res.validBytes} bytes unreadable`);
    }
  }

  const sizes = new Map<number, number>();
  const maxTimes = new Map<number, number>();
  // After checkpoint.N the writer always goes on in segment N + 1, so it must be there too.
  let expected = checkpoint !== undefined ? checkpoint + 1 : undefined;
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i];
    const name = segmentName(seg);
    const file = walPath(dir, name);
    if (expected !== undefined && seg !== expected) {
      // Only manual deletion makes holes. The later segments are the newest data: keep them.
      stats.corrupted = true;
      stats.damaged++;
      logger.error(`wal: segments ${segmentName(expected)} to ${segmentName(seg - 1)} are missing; replaying on`);
    }
    expected = seg + 1;
    seen.maxTime = -Infinity;
    const res = await scanRecords(file, sink);
    sizes.set(seg, res.validBytes);
    maxTimes.set(seg, seen.maxTime);
    progress(segments.at(-1)!, seg);
    if (!res.problem) continue;
    const { offset, kind, reason } = res.problem;
    const dropped = res.fileBytes - res.validBytes;
    stats.corrupted = true;
    // Empty segments after this one hold nothing (a crash right after a cut, before any write).
    const later = segments.slice(i + 1);
    const isLast = later.every((l) => fs.statSync(walPath(dir, segmentName(l))).size === 0);
    if (isLast && kind === 'torn') {
      // What a crash in the middle of a write leaves. That write was never acknowledged.
      logger.warn(`wal: torn record at the end of segment ${name} at offset ${offset} (${reason}); ` +
        `truncated, ${dropped} bytes dropped`);
      truncateDurably(file, res.validBytes);
      for (const l of later) fs.rmSync(walPath(dir, segmentName(l)));
      segments.length = i + 1;
      break;
    }
    // The writer syncs a segment it cut in the background and never cuts again before that is
    // done, so a power loss right after a cut leaves this: an unsynced tail in the segment before
    // the last one with data. Nothing after the tail is lost by cutting it off.
    const beforeLast = later.slice(1).every((l) => fs.statSync(walPath(dir, segmentName(l))).size === 0);
    if (beforeLast && kind === 'torn') {
      logger.warn(`wal: torn record at the end of segment ${name} at offset ${offset} (${reason}), the segment ` +
        `before the last one (a crash while it was synced after a cut); truncated, ${dropped} bytes dropped`);
      truncateDurably(file, res.validBytes);
      continue;
    }
    // Real damage (bit rot, a bad sector, an edited file). Keep what was read, set the original
    // aside for inspection and go on: a WAL that refused to open would make the server
    // crash-loop, which helps nobody. The later segments are replayed as after a missing segment:
    // records never span segments, and refs are never reused, so they read correctly; only samples
    // of series whose SERIES record was in the lost part find no series and are dropped by the head.
    stats.damaged++;
    const copy = copyAside(file);
    truncateDurably(file, res.validBytes);
    sizes.set(seg, res.validBytes);
    logger.error(`wal: segment ${name} is corrupt at offset ${offset} (${reason}); replayed the ${res.records} ` +
      `records before it, dropped the ${dropped} bytes from there on` +
      (later.length > 0 ? `, replaying the ${later.length} later segment(s) on` : '') + `; original kept as ${copy}`);
  }
  if (removedStale) fsyncDir(dir);
  // A previous process killed before syncing left its last segments (the current one and the one
  // its last cut was still syncing) in the page cache only; the cut-ordering that replay relies
  // on after a power loss holds for this process's segments only if those are durable first.
  if ((opts.fsync ?? 'interval') !== 'never') {
    for (const seg of segments.slice(-2)) if ((sizes.get(seg) ?? 0) > 0) syncFile(walPath(dir, segmentName(seg)));
  }

  // Write into a fresh segment rather than after a tail that was just repaired (or that another
  // version wrote); an empty last segment, e.g. from an idle restart, is simply reused.
  let current: number;
  const lastSeg = segments.at(-1);
  if (lastSeg !== undefined && sizes.get(lastSeg) === 0) {
    current = lastSeg;
    sizes.delete(lastSeg);
    maxTimes.delete(lastSeg);
  } else {
    current = lastSeg !== undefined ? lastSeg + 1 : checkpoint !== undefined ? checkpoint + 1 : 0;
  }
  progress(current, current);
  const wal = new SegmentedWal(dir, opts, logger, sizes, maxTimes, seen.maxRef, current, checkpoint, checkpointBytes);
  stats.durationMs = performance.now() - started;
  return { wal, stats };
}

function syncFile(file: string): void {
  const fd = fs.openSync(file, 'r');
  try {
    fs.fdatasyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** What replay saw: the highest series ref, and the highest sample time of the file being read. */
interface ReplaySeen {
  maxRef: number;
  maxTime: number;
}

function replaySink(handlers: ReplayHandlers, stats: ReplayStats, logger: WalLogger, seen: ReplaySeen): RecordSink {
  const cols = newSampleColumns(4096);
  const unknown = new Set<number>();
  const onSeries = (ref: number, labels: Labels): void => {
    if (ref > seen.maxRef) seen.maxRef = ref;
    handlers.series(ref, labels);
  };
  return (type, buf, start, end) => {
    if (type === RecordType.SERIES) {
      stats.series += decodeSeries(buf, start, end, onSeries);
    } else if (type === RecordType.SAMPLES) {
      const n = decodeSamples(buf, start, end, cols);
      seen.maxTime = maxOf(cols.ts, n, seen.maxTime);
      handlers.samples(cols.refs, cols.ts, cols.vs, n);
      stats.samples += n;
    } else if (!unknown.has(type)) {
      // Written by a newer version (e.g. tombstones): skipping is safer than refusing to start.
      unknown.add(type);
      logger.warn(`wal: skipping records of unknown type ${type}`);
    }
    stats.records++;
  };
}

function maxOf(ts: Float64Array, n: number, max: number): number {
  for (let i = 0; i < n; i++) if (ts[i] > max) max = ts[i];
  return max;
}

class SegmentedWal implements Wal {
  private readonly dir: string;
  private readonly segmentSize: number;
  private readonly policy: 'always' | 'interval' | 'never';
  private readonly logger: WalLogger;
  /** Sizes of the closed segments still on disk, by number. */
  private readonly closedSizes: Map<number, number>;
  /**
   * Highest sample time of each closed segment, and of the current one: a checkpoint may skip a
   * segment damaged after it was written only if blocks already hold all of its samples.
   */
  private readonly closedMaxTimes: Map<number, number>;
  private segmentMaxTime = -Infinity;
  /** Highest series ref logged or replayed, the bound for restoring SERIES records from the head. */
  private maxRef: number;
  private fd = -1;
  private segment: number;
  private segmentBytes = 0;
  private checkpointNo: number | undefined;
  private checkpointBytes: number;
  /** The minTime of the newest checkpoint written by this process (-Infinity: unknown). */
  private checkpointMinTime = -Infinity;
  private enc = new EncodeBuffer();
  private dirty = false;
  /** The fd with the timer's fdatasync in flight on the thread pool (-1: none). */
  private syncing = -1;
  /**
   * The segment closed by the last cut while its fdatasync (and the directory fsync that makes the
   * new segment's name durable) runs on the thread pool; undefined once both are done.
   */
  private cutSync: { fd: number; settled: boolean } | undefined;
  /** Syncs in flight on the thread pool per fd, and fds to close once none is left on them. */
  private readonly syncsInFlight = new Map<number, number>();
  private readonly closeAfterSync = new Set<number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private checkpointing = false;
  /** Set when a failed write could not be undone: appending after the damage would hide it. */
  private broken: Error | undefined;

  constructor(
    dir: string, opts: WalOptions, logger: WalLogger, closedSizes: Map<number, number>,
    closedMaxTimes: Map<number, number>, maxRef: number, segment: number,
    checkpointNo: number | undefined, checkpointBytes: number,
  ) {
    this.dir = dir;
    this.segmentSize = opts.segmentSize ?? DEFAULT_SEGMENT_SIZE;
    if (!(this.segmentSize > 0)) throw new RangeError(`wal: segmentSize must be positive, got ${this.segmentSize}`);
    this.policy = opts.fsync ?? 'interval';
    this.logger = logger;
    this.closedSizes = closedSizes;
    this.closedMaxTimes = closedMaxTimes;
    this.maxRef = maxRef;
    this.segment = segment;
    this.checkpointNo = checkpointNo;
    this.checkpointBytes = checkpointBytes;
    this.fd = this.openSegment(segment);
    if (this.policy === 'interval') {
      const ms = opts.fsyncIntervalMs ?? DEFAULT_FSYNC_INTERVAL_MS;
      this.timer = setInterval(() => this.syncOnTimer(), ms);
      this.timer.unref();
    }
  }

  /** Creates (or reopens) segment n; `syncDir`: make its name durable before returning. */
  private openSegment(n: number, syncDir = this.policy !== 'never'): number {
    const fd = fs.openSync(walPath(this.dir, segmentName(n)), APPEND_FLAGS | fs.constants.O_CREAT, 0o644);
    if (syncDir) fsyncDir(this.dir);
    return fd;
  }

  log(
    seriesRefs: readonly number[], seriesLabels: readonly Labels[],
    sampleRefs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number,
  ): number {
    if (this.closed) throw new Error('wal: log() after close()');
    if (this.broken) throw this.broken;
    if (seriesRefs.length !== seriesLabels.length) {
      throw new RangeError(`wal: ${seriesRefs.length} series refs but ${seriesLabels.length} label sets`);
    }
    const enc = this.enc;
    enc.reset();
    if (seriesRefs.length > 0) appendSeriesRecord(enc, seriesRefs, seriesLabels);
    if (n > 0) appendSamplesRecord(enc, sampleRefs, ts, vs, n);
    const len = enc.pos;
    if (len === 0) return 0;
    // Both records go into one segment with one write(2): replay sees all of a call or none.
    if (this.segmentBytes > 0 && this.segmentBytes + len > this.segmentSize) this.cut();
    this.writeAll(enc.buf, len);
    for (const ref of seriesRefs) if (ref > this.maxRef) this.maxRef = ref;
    this.segmentMaxTime = maxOf(ts, n, this.segmentMaxTime);
    if (enc.buf.length > KEEP_ENCODE_BUFFER_BYTES) this.enc = new EncodeBuffer();
    if (this.policy === 'always') this.syncNow();
    else this.dirty = true;
    return len;
  }

  private writeAll(buf: Buffer, len: number): void {
    let done = 0;
    try {
      while (done < len) done += fs.writeSync(this.fd, buf, done, len - done);
    } catch (err) {
      // A partial record in the middle of a segment would later read as corruption and cost
      // every record after it: cut it off, or refuse all further writes.
      if (done > 0) {
        try {
          fs.ftruncateSync(this.fd, this.segmentBytes);
        } catch (err2) {
          this.broken = new Error(`wal: segment ${segmentName(this.segment)} has a partial record that could not be ` +
            `removed (${(err2 as Error).message}); refusing writes until restart`);
          this.logger.error(this.broken.message);
        }
      }
      throw err;
    }
    this.segmentBytes += len;
  }

  /** Closes the current segment and starts the next one. */
  private cut(): void {
    if (this.policy === 'interval') {
      this.cutInBackground();
      return;
    }
    const old = this.fd;
    // 'always' synced every write already and 'never' syncs nothing; only the new name needs
    // to be durable under 'always' before a write to it is acknowledged as synced.
    const next = this.openSegment(this.segment + 1); // before closing, so a failure leaves the old one in use
    this.dirty = false;
    this.closeFd(old);
    this.switchTo(next);
  }

  // Under 'interval' the old segment's fdatasync and the directory fsync run on the thread pool
  // like the timer's: on a busy disk they take tens of ms, which on the main thread stalls
  // ingestion (bench/tsdb/walcut.ts). Every write is still in the page cache before log()
  // returns, so kill -9 loses nothing. A power loss before they finish can leave an unsynced tail
  // in the old segment behind data in the new one; replay knows the writer never cuts again
  // before the previous cut is durable, so a torn tail in the segment before the last one is such
  // a crash, not damage (see openWal).
  private cutInBackground(): void {
    // A whole segment filled while the previous cut's sync ran (rare): finish that on the main
    // thread, so that at most one closed segment is ever not durable.
    this.finishCutSync();
    const old = this.fd;
    const segment = this.segment;
    // A timer's fdatasync still in flight may not cover what was written before it: sync again.
    const needSync = this.dirty || this.syncing === old;
    const next = this.openSegment(segment + 1, false); // before closing, so a failure leaves the old one in use
    this.dirty = false;
    const pending = { fd: old, settled: false };
    this.cutSync = pending;
    this.beginSync(old);
    this.closeFd(old);
    const done = (err: NodeJS.ErrnoException | null, what: string): void => {
      if (err) this.logger.error(`wal: ${what} after cutting segment ${segmentName(segment)} failed: ${err.message}`);
      pending.settled = true;
      if (this.cutSync === pending) this.cutSync = undefined;
      this.endSync(old);
    };
    const syncDir = (): void => {
      if (pending.settled) return done(null, ''); // finished on the main thread meanwhile
      fsyncDirInBackground(this.dir, (err) => done(err, 'fsync of the WAL directory'));
    };
    if (needSync) {
      fs.fdatasync(old, (err) => (err ? done(err, `fdatasync of segment ${segmentName(segment)}`) : syncDir()));
    } else {
      syncDir();
    }
    this.switchTo(next);
  }

  private switchTo(next: number): void {
    this.closedSizes.set(this.segment, this.segmentBytes);
    this.closedMaxTimes.set(this.segment, this.segmentMaxTime);
    this.fd = next;
    this.segment++;
    this.segmentBytes = 0;
    this.segmentMaxTime = -Infinity;
  }

  private syncNow(): void {
    fs.fdatasyncSync(this.fd);
    this.dirty = false;
  }

  // The 'interval' policy's fdatasync runs on the thread pool: on a busy disk it takes tens of ms,
  // which on the main thread would stall ingestion, scrapes and queries. Writes go on meanwhile;
  // what they add is synced by the next tick (or by a cut or close).
  private syncOnTimer(): void {
    if (!this.dirty || this.closed || this.syncing >= 0) return;
    const fd = this.fd;
    const segment = this.segment;
    this.syncing = fd;
    this.dirty = false;
    this.beginSync(fd);
    fs.fdatasync(fd, (err) => {
      this.syncing = -1;
      if (err) {
        if (fd === this.fd) this.dirty = true;
        this.logger.error(`wal: fdatasync of segment ${segmentName(segment)} failed: ${err.message}`);
      }
      this.endSync(fd);
    });
  }

  private beginSync(fd: number): void {
    this.syncsInFlight.set(fd, (this.syncsInFlight.get(fd) ?? 0) + 1);
  }

  private endSync(fd: number): void {
    const left = this.syncsInFlight.get(fd)! - 1;
    if (left > 0) {
      this.syncsInFlight.set(fd, left);
      return;
    }
    this.syncsInFlight.delete(fd);
    if (this.closeAfterSync.delete(fd)) fs.close(fd, () => {});
  }

  /** Closes a segment's fd, or has the syncs in flight on it close it when they are done. */
  private closeFd(fd: number): void {
    if (this.syncsInFlight.has(fd)) this.closeAfterSync.add(fd);
    else fs.closeSync(fd);
  }

  sync(): void {
    if (this.closed) return;
    this.finishCutSync();
    this.syncNow();
  }

  /** Makes the last cut's segment and directory durable now if its background sync has not. */
  private finishCutSync(): void {
    const pending = this.cutSync;
    if (pending === undefined || pending.settled) return;
    // The fd stays open until the background sync's callback closes it.
    fs.fdatasyncSync(pending.fd);
    fsyncDir(this.dir);
    pending.settled = true;
  }

  async checkpoint(
    keepSeries: (ref: number) => boolean, minTime: number, labelsOf?: (ref: number) => Labels,
  ): Promise<CheckpointResult> {
    if (this.closed) throw new Error('wal: checkpoint() after close()');
    if (this.checkpointing) throw new Error('wal: a checkpoint is already running');
    this.checkpointing = true;
    try {
      if (this.segmentBytes > 0) this.cut();
      const last = this.segment - 1;
      const prev = this.checkpointNo;
      const segments = [...this.closedSizes.keys()].filter((s) => s <= last && (prev === undefined || s > prev));
      segments.sort((a, b) => a - b);
      const common = {
        dir: this.dir, keepSeries, minTime, labelsOf, maxRef: this.maxRef, logger: this.logger,
        segmentMaxTime: (seg: number) => this.closedMaxTimes.get(seg) ?? Infinity,
      };
      if (segments.length === 0) {
        // Nothing new since the last checkpoint, but the head may have moved on (several block
        // ranges persisted in a row): filter the previous checkpoint again, under its own number,
        // so replay does not read samples that blocks already hold.
        if (prev === undefined || minTime <= this.checkpointMinTime) return { series: 0, samples: 0, segmentsRemoved: 0, damaged: [] };
        const out = await writeCheckpoint({ ...common, previous: prev, segments: [], last: prev });
        this.checkpointBytes = out.bytes;
        this.checkpointMinTime = minTime;
        await fsyncDirAsync(this.dir);
        return { series: out.series, samples: out.samples, segmentsRemoved: 0, damaged: out.damaged };
      }
      const out = await writeCheckpoint({ ...common, previous: prev, segments, last });
      this.checkpointNo = last;
      this.checkpointBytes = out.bytes;
      this.checkpointMinTime = minTime;
      // checkpoint.<last> is durable: everything it replaces may go. What fails to go now is
      // removed at the next open, which prefers the newest checkpoint anyway.
      let removed = 0;
      for (const s of [...this.closedSizes.keys()]) {
        if (s > last) continue;
        if (this.unlink(segmentName(s))) {
          this.closedSizes.delete(s);
          this.closedMaxTimes.delete(s);
          removed++;
        }
      }
      if (prev !== undefined) this.unlink(checkpointName(prev));
      await fsyncDirAsync(this.dir);
      return { series: out.series, samples: out.samples, segmentsRemoved: removed, damaged: out.damaged };
    } finally {
      this.checkpointing = false;
    }
  }

  private unlink(name: string): boolean {
    try {
      fs.rmSync(walPath(this.dir, name), { force: true });
      return true;
    } catch (err) {
      this.logger.warn(`wal: could not remove ${name}: ${(err as Error).message}`);
      return false;
    }
  }

  sizeBytes(): number {
    let total = this.segmentBytes + (this.checkpointNo !== undefined ? this.checkpointBytes : 0);
    for (const b of this.closedSizes.values()) total += b;
    return total;
  }

  segmentCount(): number {
    return this.closedSizes.size + 1;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    try {
      this.finishCutSync(); // what close() returns after is durable, the last cut's segment too
      fs.fdatasyncSync(this.fd);
    } finally {
      this.closeFd(this.fd);
      this.fd = -1;
    }
  }
}
