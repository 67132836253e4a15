// Writing a checkpoint: the records of older segments (and of the previous checkpoint) that are
// still needed, filtered and re-batched into one file.
//
// Records are streamed in their original order, so a SERIES record still comes before every
// sample of its ref, which is all replay needs. Samples are re-batched into large records; before
// a batch of samples is written, pending series are flushed first so this order holds.
//
// Durability: the file is written as checkpoint.N.tmp, fsynced, then renamed to checkpoint.N and
// the directory fsynced. Only then may the caller delete what it replaces. A crash at any point
// leaves either no checkpoint.N (the old files are all still there) or a complete one (the old
// files are superseded and removed at the next open).
import * as fs from 'node:fs';
import type { Labels } from '../../model/index.ts';
import {
  EncodeBuffer, RecordType, appendSamplesRecord, appendSeriesRecord, decodeSamples, decodeSeries,
  newSampleColumns,
} from './record.ts';
import type { SampleColumns } from './record.ts';
import { checkpointName, copyAside, fsyncDirAsync, scanRecords, segmentName, walPath } from './segment.ts';
import type { WalDamage, WalLogger } from './types.ts';

const SERIES_PER_RECORD = 1024;
const SAMPLES_PER_RECORD = 8192;
const WRITE_CHUNK = 1 << 20;

export interface CheckpointInput {
  dir: string;
  /** Number of the checkpoint to fold in, if any. */
  previous: number | undefined;
  /** Segment numbers to fold in, ascending. */
  segments: number[];
  /** Number the new checkpoint gets: the last segment it covers. */
  last: number;
  keepSeries: (ref: number) => boolean;
  minTime: number;
  /** Highest sample time in a segment (-Infinity: none); decides whether its damage can be skipped. */
  segmentMaxTime: (seg: number) => number;
  /** Labels of a kept series; without it no damaged part can be skipped. */
  labelsOf?: (ref: number) => Labels;
  /** Highest series ref the WAL has seen. */
  maxRef: number;
  logger: WalLogger;
}

export interface CheckpointOutput {
  series: number;
  samples: number;
  bytes: number;
  damaged: WalDamage[];
}

/**
 * A checkpoint found a segment damaged after it was written, in a part that may hold samples not
 * yet persisted in blocks. Nothing was deleted.
 */
export class WalCorruptionError extends Error {
  readonly damage: WalDamage;
  constructor(message: string, damage: WalDamage) {
    super(message);
    this.damage = damage;
  }
}

/** A set of uint32 refs as a growable bitmap: refs are dense, so this is far smaller than a Set. */
class RefBitmap {
  bits = new Uint8Array(1024);
  has(ref: number): boolean {
    const i = ref >>> 3;
    return i < this.bits.length && (this.bits[i] & (1 << (ref & 7))) !== 0;
  }
  add(ref: number): void {
    const i = ref >>> 3;
    if (i >= this.bits.length) {
      let size = this.bits.length * 2;
      while (size <= i) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.bits);
      this.bits = next;
    }
    this.bits[i] |= 1 << (ref & 7);
  }
}

class CheckpointBuilder {
  readonly fh: fs.promises.FileHandle;
  readonly keepSeries: (ref: number) => boolean;
  readonly minTime: number;
  readonly out = new EncodeBuffer(WRITE_CHUNK * 2);
  readonly written = new RefBitmap();
  readonly decoded: SampleColumns = newSampleColumns();
  pendingRefs: number[] = [];
  pendingLabels: Labels[] = [];
  // Fixed capacity: flushed whenever full. pendingBits aliases the value column.
  readonly pendingSamples: SampleColumns = newSampleColumns(SAMPLES_PER_RECORD);
  readonly pendingBits = new Uint32Array(this.pendingSamples.vs.buffer);
  pendingN = 0;
  series = 0;
  samples = 0;
  bytes = 0;

  constructor(fh: fs.promises.FileHandle, keepSeries: (ref: number) => boolean, minTime: number) {
    this.fh = fh;
    this.keepSeries = keepSeries;
    this.minTime = minTime;
  }

  // The record bytes are only valid during the synchronous part: decode first, write after.
  readonly sink = (type: number, buf: Buffer, start: number, end: number): Promise<void> | undefined => {
    if (type === RecordType.SERIES) {
      decodeSeries(buf, start, end, this.onSeries);
      if (this.pendingRefs.length >= SERIES_PER_RECORD) this.flushSeries();
    } else if (type === RecordType.SAMPLES) {
      this.addSamples(decodeSamples(buf, start, end, this.decoded));
    }
    // Unknown record types (from a newer version) are not carried over: this version could not
    // interpret them on replay either.
    return this.out.pos >= WRITE_CHUNK ? this.writeOut() : undefined;
  };

  private readonly onSeries = (ref: number, labels: Labels): void => {
    if (this.written.has(ref) || !this.keepSeries(ref)) return;
    this.written.add(ref);
    this.pendingRefs.push(ref);
    this.pendingLabels.push(labels);
  };

  private addSamples(n: number): void {
    const { refs, ts, vs } = this.decoded;
    const vbits = new Uint32Array(vs.buffer, vs.byteOffset, n * 2);
    const minTime = this.minTime;
    let lastRef = -1;
    let keepLast = false;
    for (let i = 0; i < n; i++) {
      const t = ts[i];
      if (!(t >= minTime)) continue;
      const ref = refs[i];
      // Batches usually hold runs of one ref: ask the callback once per run.
      if (ref !== lastRef) {
        lastRef = ref;
        keepLast = this.keepSeries(ref);
      }
      if (!keepLast) continue;
      if (this.pendingN === SAMPLES_PER_RECORD) this.flushSamples();
      const p = this.pendingSamples;
      const k = this.pendingN++;
      p.refs[k] = ref;
      p.ts[k] = t;
      // Values are copied as two 32-bit halves, never as numbers, so NaN payloads stay intact.
      const pbits = this.pendingBits;
      pbits[2 * k] = vbits[2 * i];
      pbits[2 * k + 1] = vbits[2 * i + 1];
    }
  }

  /**
   * Writes SERIES records, taken from the head, for every kept series not written yet. Used after
   * a damaged part was skipped: it may have held SERIES records whose samples follow in later
   * segments, and replay drops samples of a ref it has no SERIES record for.
   */
  addSeriesFromHead(maxRef: number, labelsOf: (ref: number) => Labels): void {
    for (let ref = 1; ref <= maxRef; ref++) {
      if (this.written.has(ref) || !this.keepSeries(ref)) continue;
      this.onSeries(ref, labelsOf(ref));
      if (this.pendingRefs.length >= SERIES_PER_RECORD) this.flushSeries();
    }
    this.flushSeries();
  }

  flushSeries(): void {
    if (this.pendingRefs.length === 0) return;
    appendSeriesRecord(this.out, this.pendingRefs, this.pendingLabels);
    this.series += this.pendingRefs.length;
    this.pendingRefs = [];
    this.pendingLabels = [];
  }

  flushSamples(): void {
    this.flushSeries(); // keeps every SERIES record ahead of its samples
    if (this.pendingN === 0) return;
    const p = this.pendingSamples;
    appendSamplesRecord(this.out, p.refs, p.ts, p.vs, this.pendingN);
    this.samples += this.pendingN;
    this.pendingN = 0;
  }

  async writeOut(): Promise<void> {
    let done = 0;
    while (done < this.out.pos) {
      const { bytesWritten } = await this.fh.write(this.out.buf, done, this.out.pos - done);
      done += bytesWritten;
    }
    this.bytes += done;
    this.out.reset();
  }
}

/**
 * Writes checkpoint.<last> and makes it durable. A damaged part of a segment is skipped (and the
 * segment copied aside as *.corrupt) when every sample in that segment is older than minTime,
 * i.e. already in blocks; otherwise this throws WalCorruptionError. Throws (leaving no
 * checkpoint) on any failure.
 */
export async function writeCheckpoint(input: CheckpointInput): Promise<CheckpointOutput> {
  const { dir, logger } = input;
  const final = walPath(dir, checkpointName(input.last));
  const tmp = `${final}.tmp`;
  fs.rmSync(tmp, { force: true, recursive: true });
  const fh = await fs.promises.open(tmp, 'wx');
  const damaged: WalDamage[] = [];
  let ok = false;
  try {
    const b = new CheckpointBuilder(fh, input.keepSeries, input.minTime);
    if (input.previous !== undefined) {
      const name = checkpointName(input.previous);
      const res = await scanRecords(walPath(dir, name), b.sink);
      // Replay at open already reported this and used the same good prefix (or the file was
      // damaged since); carrying that prefix forward is all that can be done, and refusing would
      // block checkpoints forever.
      if (res.problem) {
        damaged.push({ file: name, offset: res.problem.offset, reason: res.problem.reason, unreadableBytes: res.fileBytes - res.validBytes });
        if (input.labelsOf) b.addSeriesFromHead(input.maxRef, input.labelsOf);
        logger.error(`wal: checkpoint ${name} is damaged at offset ${res.problem.offset} ` +
          `(${res.problem.reason}); carrying forward the ${res.validBytes} bytes before it`);
      }
    }
    for (const seg of input.segments) {
      const name = segmentName(seg);
      const file = walPath(dir, name);
      const res = await scanRecords(file, b.sink);
      if (!res.problem) continue;
      // These segments were verified at open or written by this process: damage now means the
      // disk changed under us (bit rot, a bad sector, an edited file). Records never span
      // segments, so the later segments still read; only the rest of this one is lost.
      const { offset, reason } = res.problem;
      const maxTime = input.segmentMaxTime(seg);
      const damage: WalDamage = { file: name, offset, reason, unreadableBytes: res.fileBytes - res.validBytes, maxTime };
      if (!(maxTime < input.minTime) || !input.labelsOf) {
        throw new WalCorruptionError(`wal: segment ${name} is damaged at offset ${offset} (${reason}); ` +
          `its ${damage.unreadableBytes} unreadable bytes may hold samples up to ${isoTime(maxTime)} that are not yet ` +
          `in blocks (persisted before ${isoTime(input.minTime)}): checkpoint aborted, segments kept. The head holds ` +
          'these samples in memory; a restart before they are persisted into blocks loses those of them that are in the damaged part', damage);
      }
      // Every sample of this segment is in blocks already: what cannot be read is not needed,
      // except SERIES records of series still alive, which the head supplies.
      b.addSeriesFromHead(input.maxRef, input.labelsOf);
      damage.copy = copyAside(file);
      damaged.push(damage);
      logger.error(`wal: segment ${name} is damaged at offset ${offset} (${reason}); all its samples are older than ` +
        `${isoTime(input.minTime)} and already in blocks, so the checkpoint skipped the ${damage.unreadableBytes} ` +
        `unreadable bytes and took the series from the head; original kept as ${damage.copy}`);
    }
    b.flushSamples();
    await b.writeOut();
    await fh.datasync();
    ok = true;
    await fh.close();
    fs.renameSync(tmp, final);
    await fsyncDirAsync(dir);
    return { series: b.series, samples: b.samples, bytes: b.bytes, damaged };
  } finally {
    if (!ok) {
      await fh.close().catch(() => {});
      fs.rmSync(tmp, { force: true });
    }
  }
}

function isoTime(t: number): string {
  return Number.isFinite(t) ? new Date(t).toISOString() : String(t);
}
