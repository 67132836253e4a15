// The agent's on-disk buffer: a bounded queue of records in numbered segment files, read in order
// by the sender, with the read position persisted so delivery survives a restart.
//
//   <dir>/00000001.seg ...   records: [u32 payload length][u32 crc32(payload)][u32 samples][payload]
//   <dir>/position           "<segment> <offset>\n", replaced atomically (write, fsync, rename)
//
// The position only moves after the server acknowledged a record, so after a crash the worst case
// is one record sent twice (at-least-once; the server treats an identical resend as a no-op).
// When the queue holds more than maxBytes, the OLDEST segment goes — fresh data is worth more than
// old data to someone looking at a dashboard — and its unsent samples are counted as dropped.
//
// Durability (fsync policy): every append is written to the file at once, so a killed process
// loses nothing; what a power loss may cost depends on the policy. 'always' fsyncs before append()
// returns, 'interval' fsyncs at most once a second for all appends of that second (group commit),
// 'never' leaves flushing to the OS.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';

const HEADER = 12;
const MAX_RECORD = 256 << 20;
const SEG_RE = /^(\d{8})\.seg$/;

export interface DiskQueueOptions {
  dir: string;
  /** Bound of the bytes on disk (all segments); the oldest segment is dropped above it. */
  maxBytes: number;
  /** A new segment is started once the current one reaches this size. */
  segmentBytes: number;
  /** When appends reach the disk (see the header); default 'interval'. */
  fsync?: FsyncPolicy;
  /** The group commit interval of the 'interval' policy (default 1000 ms). */
  fsyncIntervalMs?: number;
  /** fsync, replaceable so tests can see when it is called. */
  fsyncSync?: (fd: number) => void;
  /** Called when the queue is full and its oldest segment is deleted. */
  onDrop?: (dropped: { segment: number; samples: number }) => void;
}

export type FsyncPolicy = 'always' | 'interval' | 'never';

/** An append that did not reach the queue (disk full, I/O error); the queue is unchanged. */
export class QueueWriteError extends Error {
  readonly code: string;
  constructor(message: string, code: string) {
    super(message);
    this.name = 'QueueWriteError';
    this.code = code;
  }
}

export interface QueueRecord {
  readonly payload: Buffer;
  readonly samples: number;
  /** How many records payload holds (peekBatch concatenates several). */
  readonly records: number;
  /** Bytes on disk of those records, headers included. */
  readonly diskBytes: number;
  /** Where the record ends: pass it to commit() once the record is delivered. */
  readonly end: QueuePosition;
}

export interface QueuePosition {
  readonly segment: number;
  readonly offset: number;
}

export interface QueueStats {
  /** Bytes not yet delivered (record headers included). */
  pendingBytes: number;
  pendingSamples: number;
  pendingRecords: number;
  /** Samples dropped because the queue was full (oldest segment removed). */
  droppedSamples: number;
  droppedSegments: number;
  /** Bytes cut off at open because a record was torn or failed its checksum. */
  corruptBytes: number;
  /** Samples of appends that could not be written (disk full, I/O error). */
  failedSamples: number;
  fsyncs: number;
}

interface Segment {
  readonly id: number;
  size: number;
  /** Samples and record count of the whole segment. */
  samples: number;
  records: number;
}

function segName(id: number): string {
  return `${String(id).padStart(8, '0')}.seg`;
}

export class DiskQueue {
  private readonly opts: DiskQueueOptions;
  private readonly segments: Segment[] = [];
  private fd = -1; // of the last segment, for appends
  private read: { segment: number; offset: number; samples: number; records: number };
  readonly stats: QueueStats = {
    pendingBytes: 0, pendingSamples: 0, pendingRecords: 0, droppedSamples: 0, droppedSegments: 0, corruptBytes: 0, failedSamples: 0, fsyncs: 0,
  };
  private waiters: (() => void)[] = [];
  private readonly policy: FsyncPolicy;
  private readonly fsync: (fd: number) => void;
  /** Written but not fsynced yet (segment data; the directory after a new segment). */
  private dirty = false;
  private dirDirty = false;
  private syncTimer: NodeJS.Timeout | null = null;

  /** Opens (or creates) the queue; throws a message naming the directory when it is not usable. */
  constructor(opts: DiskQueueOptions) {
    this.opts = opts;
    this.policy = opts.fsync ?? 'interval';
    this.fsync = opts.fsyncSync ?? fs.fsyncSync;
    try {
      this.read = this.open();
    } catch (e) {
      this.closeFd();
      throw usageError(opts.dir, e);
    }
  }

  private open(): { segment: number; offset: number; samples: number; records: number } {
    const opts = this.opts;
    fs.mkdirSync(opts.dir, { recursive: true });
    const ids = fs.readdirSync(opts.dir).map((f) => SEG_RE.exec(f)).filter((m) => m !== null).map((m) => Number(m[1])).sort((a, b) => a - b);
    let pos = this.loadPosition();
    for (const id of ids) this.segments.push(this.scanSegment(id));
    if (this.segments.length === 0) {
      this.segments.push(this.createSegment(pos?.segment ?? 1));
      this.dirDirty = true;
    }
    // Segments wholly before the position were delivered: delete them.
    while (pos !== null && this.segments.length > 1 && this.segments[0].id < pos.segment) this.removeOldest();
    if (pos === null || pos.segment < this.segments[0].id || pos.segment > this.segments[0].id) pos = { segment: this.segments[0].id, offset: 0 };
    this.read = { segment: pos.segment, offset: 0, samples: 0, records: 0 };
    // Walk to the saved offset so the consumed part of the first segment is known.
    const first = this.segments[0];
    while (this.read.offset < pos.offset && this.read.offset < first.size) {
      const r = this.readAt(first.id, this.read.offset);
      if (r === null) break;
      this.read = { segment: first.id, offset: r.end.offset, samples: this.read.samples + r.samples, records: this.read.records + 1 };
    }
    this.recount();
    const last = this.segments[this.segments.length - 1];
    this.fd = fs.openSync(path.join(opts.dir, segName(last.id)), 'a');
    // Writing the position now proves the directory writable and the disk not full at startup,
    // rather than at the first append, minutes later and only in a log line.
    this.savePosition();
    if (this.policy !== 'never' && this.dirDirty) this.syncNow();
    return this.read;
  }

  /**
   * Appends one record (e.g. an encoded WriteRequest) holding `samples` samples. With fsync
   * 'always' it is on disk when this returns. Throws QueueWriteError (queue unchanged) when it
   * cannot be written.
   */
  append(payload: Uint8Array, samples: number): void {
    if (payload.length > MAX_RECORD) throw new Error(`record of ${payload.length} bytes is larger than ${MAX_RECORD}`);
    let last = this.segments[this.segments.length - 1];
    const rec = Buffer.allocUnsafe(HEADER + payload.length);
    rec.writeUInt32LE(payload.length, 0);
    rec.writeUInt32LE(crc32(payload), 4);
    rec.writeUInt32LE(samples, 8);
    rec.set(payload, HEADER);
    try {
      if (last.size > 0 && last.size + HEADER + payload.length > this.opts.segmentBytes) last = this.roll(last);
      for (let off = 0; off < rec.length;) off += fs.writeSync(this.fd, rec, off);
      if (this.policy === 'always') this.syncNow();
    } catch (e) {
      // A partial record would hide every later one from the reader: cut it off again.
      try {
        fs.ftruncateSync(this.fd, last.size);
      } catch {
        // the truncate failed too; the scan at the next start cuts the torn tail off
      }
      this.stats.failedSamples += samples;
      const err = e as NodeJS.ErrnoException;
      throw new QueueWriteError(`cannot write to the agent queue in ${this.opts.dir}: ${err.message}`, err.code ?? 'EIO');
    }
    if (this.policy === 'interval') this.scheduleSync();
    last.size += rec.length;
    last.samples += samples;
    last.records++;
    this.stats.pendingBytes += rec.length;
    this.stats.pendingSamples += samples;
    this.stats.pendingRecords++;
    this.enforceBound();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /**
   * Closes the full last segment (synced unless the policy is 'never') and starts the next. When
   * the next cannot be created, the last stays open for appends and the next append tries again.
   */
  private roll(last: Segment): Segment {
    if (this.policy !== 'never') this.syncNow();
    const next = this.createSegment(last.id + 1);
    const fd = fs.openSync(path.join(this.opts.dir, segName(next.id)), 'a');
    fs.closeSync(this.fd);
    this.fd = fd;
    this.segments.push(next);
    // The new file's directory entry must reach the disk too, or a power loss loses the file.
    this.dirDirty = true;
    return next;
  }

  /** fsyncs what was written since the last sync: the segment, and the directory if it changed. */
  syncNow(): void {
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    if (this.fd >= 0) {
      this.fsync(this.fd);
      this.stats.fsyncs++;
    }
    this.dirty = false;
    if (this.dirDirty) {
      const dfd = fs.openSync(this.opts.dir, 'r');
      try {
        this.fsync(dfd);
      } finally {
        fs.closeSync(dfd);
      }
      this.dirDirty = false;
    }
  }

  // Group commit: the first append after a sync schedules the next one, all appends until then share it.
  private scheduleSync(): void {
    this.dirty = true;
    if (this.syncTimer !== null) return;
    this.syncTimer = setTimeout(() => {
      this.syncTimer = null;
      if (!this.dirty && !this.dirDirty) return;
      try {
        this.syncNow();
      } catch {
        // an fsync error (EIO) surfaces at the next append's write; nothing to report it to here
      }
    }, this.opts.fsyncIntervalMs ?? 1000);
    this.syncTimer.unref();
  }

  /** The next undelivered record, or null when the queue is empty. Does not consume it. */
  peek(): QueueRecord | null {
    for (;;) {
      const seg = this.segments[0];
      if (this.read.offset < seg.size) {
        const r = this.readAt(seg.id, this.read.offset);
        if (r !== null) return r;
      }
      if (this.segments.length === 1) return null;
      // The first segment is finished: nothing in it is pending any more.
      this.removeOldest();
      this.read = { segment: this.segments[0].id, offset: 0, samples: 0, records: 0 };
      this.trySavePosition();
    }
  }

  /**
   * The next records of the first segment, up to maxBytes of payload (at least one record),
   * concatenated. Serialized WriteRequests concatenate into one valid WriteRequest (a repeated
   * field), so a backlog drains in few requests instead of one per collection round.
   */
  peekBatch(maxBytes: number): QueueRecord | null {
    const first = this.peek();
    if (first === null) return null;
    const parts: Buffer[] = [first.payload];
    let size = first.payload.length;
    let samples = first.samples;
    let end = first.end;
    const seg = this.segments[0];
    while (end.offset < seg.size) {
      const r = this.readAt(seg.id, end.offset, seg.size);
      if (r === null || size + r.payload.length > maxBytes) break;
      parts.push(r.payload);
      size += r.payload.length;
      samples += r.samples;
      end = r.end;
    }
    if (parts.length === 1) return first;
    return { payload: Buffer.concat(parts, size), samples, records: parts.length, diskBytes: size + HEADER * parts.length, end };
  }

  /** Resolves at the next append (or at once if something is pending). */
  waitForData(): Promise<void> {
    if (this.stats.pendingRecords > 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Marks everything before `end` delivered and persists that (fsync) before returning. */
  commit(rec: QueueRecord): void {
    // The segment may have been dropped for space while the record was in flight.
    if (rec.end.segment !== this.segments[0].id || rec.end.offset <= this.read.offset) return;
    this.read = { segment: rec.end.segment, offset: rec.end.offset, samples: this.read.samples + rec.samples, records: this.read.records + rec.records };
    this.stats.pendingBytes -= rec.diskBytes;
    this.stats.pendingSamples -= rec.samples;
    this.stats.pendingRecords -= rec.records;
    this.trySavePosition();
  }

  close(): void {
    if (this.fd >= 0 && this.policy !== 'never') this.syncNow();
    if (this.syncTimer !== null) clearTimeout(this.syncTimer);
    this.syncTimer = null;
    this.closeFd();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  private closeFd(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  private enforceBound(): void {
    let total = 0;
    for (const s of this.segments) total += s.size;
    while (total > this.opts.maxBytes && this.segments.length > 1) {
      const s = this.segments[0];
      const lostSamples = s.samples - this.read.samples;
      total -= s.size;
      this.stats.droppedSamples += lostSamples;
      this.stats.droppedSegments++;
      this.opts.onDrop?.({ segment: s.id, samples: lostSamples });
      this.removeOldest();
      this.read = { segment: this.segments[0].id, offset: 0, samples: 0, records: 0 };
      this.trySavePosition();
      this.recount();
    }
  }

  private recount(): void {
    let bytes = 0;
    let samples = 0;
    let records = 0;
    for (const s of this.segments) {
      bytes += s.size;
      samples += s.samples;
      records += s.records;
    }
    this.stats.pendingBytes = bytes - this.read.offset;
    this.stats.pendingSamples = samples - this.read.samples;
    this.stats.pendingRecords = records - this.read.records;
  }

  private removeOldest(): void {
    const s = this.segments.shift()!;
    fs.rmSync(path.join(this.opts.dir, segName(s.id)), { force: true });
  }

  private createSegment(id: number): Segment {
    fs.writeFileSync(path.join(this.opts.dir, segName(id)), '');
    return { id, size: 0, samples: 0, records: 0 };
  }

  // Validates every record; a torn or corrupt record and everything after it in the segment is cut
  // off (a crash mid-append leaves such a tail; anything after it cannot be framed reliably).
  private scanSegment(id: number): Segment {
    const file = path.join(this.opts.dir, segName(id));
    const size = fs.statSync(file).size;
    const seg: Segment = { id, size: 0, samples: 0, records: 0 };
    let off = 0;
    while (off < size) {
      const r = this.readAt(id, off, size);
      if (r === null) break;
      seg.samples += r.samples;
      seg.records++;
      off = r.end.offset;
    }
    if (off < size) {
      this.stats.corruptBytes += size - off;
      fs.truncateSync(file, off);
    }
    seg.size = off;
    return seg;
  }

  private readAt(id: number, offset: number, size = Infinity): QueueRecord | null {
    const fd = fs.openSync(path.join(this.opts.dir, segName(id)), 'r');
    try {
      const h = Buffer.alloc(HEADER);
      if (fs.readSync(fd, h, 0, HEADER, offset) < HEADER) return null;
      const len = h.readUInt32LE(0);
      if (len > MAX_RECORD || offset + HEADER + len > size) return null;
      const payload = Buffer.alloc(len);
      if (len > 0 && fs.readSync(fd, payload, 0, len, offset + HEADER) < len) return null;
      if (crc32(payload) !== h.readUInt32LE(4)) return null;
      return { payload, samples: h.readUInt32LE(8), records: 1, diskBytes: HEADER + len, end: { segment: id, offset: offset + HEADER + len } };
    } finally {
      fs.closeSync(fd);
    }
  }

  private loadPosition(): QueuePosition | null {
    let text: string;
    try {
      text = fs.readFileSync(path.join(this.opts.dir, 'position'), 'utf8');
    } catch {
      return null;
    }
    const m = /^(\d+) (\d+)\n$/.exec(text);
    return m ? { segment: Number(m[1]), offset: Number(m[2]) } : null;
  }

  // While running, a position that cannot be saved (disk full) only means the records since the
  // last saved one may be sent again after a restart; the next commit tries again.
  private trySavePosition(): void {
    try {
      this.savePosition();
    } catch {
      // kept in memory; see above
    }
  }

  private savePosition(): void {
    const tmp = path.join(this.opts.dir, 'position.tmp');
    const fd = fs.openSync(tmp, 'w');
    try {
      fs.writeSync(fd, `${this.read.segment} ${this.read.offset}\n`);
      if (this.policy !== 'never') this.fsync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path.join(this.opts.dir, 'position'));
  }
}

const HINTS: Record<string, string> = {
  EACCES: 'not writable by this user',
  EPERM: 'not writable by this user',
  EROFS: 'on a read-only file system',
  ENOSPC: 'no space left on its device',
  EDQUOT: 'the disk quota is exhausted',
  ENOTDIR: 'not a directory',
  EEXIST: 'not a directory',
};

function usageError(dir: string, e: unknown): Error {
  const err = e as NodeJS.ErrnoException;
  const hint = HINTS[err.code ?? ''];
  return new Error(`agent queue directory ${JSON.stringify(dir)} cannot be used${hint ? `: ${hint}` : ''} (${err.message})`, { cause: e });
}
