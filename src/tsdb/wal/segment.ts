// Files of the WAL directory and reading records out of them.
//
//   00000012                 segment 12 (8+ digit zero-padded sequence number)
//   checkpoint.00000011      everything still needed from segments <= 11, one file of records
//   checkpoint.00000011.tmp  a checkpoint being written (or left by a crash: deleted at open)
//   00000013.corrupt         a file set aside by corruption handling, never read again
import * as fs from 'node:fs';
import * as path from 'node:path';
import { crc32 } from 'node:zlib';
import { DecodeError, FRAME_PREFIX_BYTES, MAX_RECORD_BYTES } from './record.ts';

const SEGMENT_RE = /^\d{8,}$/;
const CHECKPOINT_RE = /^checkpoint\.(\d{8,})$/;
const CHECKPOINT_TMP_RE = /^checkpoint\.\d+\.tmp$/;

export function segmentName(n: number): string {
  return String(n).padStart(8, '0');
}

export function checkpointName(n: number): string {
  return `checkpoint.${segmentName(n)}`;
}

export interface WalDirListing {
  /** Segment numbers, ascending. */
  segments: number[];
  /** Checkpoint numbers, ascending. */
  checkpoints: number[];
  /** Names of unfinished checkpoints. */
  tempCheckpoints: string[];
}

export function listWalDir(dir: string): WalDirListing {
  const out: WalDirListing = { segments: [], checkpoints: [], tempCheckpoints: [] };
  for (const name of fs.readdirSync(dir)) {
    if (SEGMENT_RE.test(name)) out.segments.push(Number(name));
    else if (CHECKPOINT_TMP_RE.test(name)) out.tempCheckpoints.push(name);
    else {
      const m = CHECKPOINT_RE.exec(name);
      if (m) out.checkpoints.push(Number(m[1]));
    }
  }
  out.segments.sort((a, b) => a - b);
  out.checkpoints.sort((a, b) => a - b);
  return out;
}

export { fsyncDir } from '../durable.ts';

/** fsyncDir on the thread pool; `done` gets null also where the file system refuses directory fsync. */
export function fsyncDirInBackground(dir: string, done: (err: NodeJS.ErrnoException | null) => void): void {
  const tolerated = (err: NodeJS.ErrnoException | null): NodeJS.ErrnoException | null =>
    err && (err.code === 'EINVAL' || err.code === 'EISDIR' || err.code === 'EPERM') ? null : err;
  fs.open(dir, 'r', (err, fd) => {
    if (err) return done(tolerated(err));
    fs.fsync(fd, (err2) => fs.close(fd, (err3) => done(tolerated(err2) ?? err3)));
  });
}

/** fsyncDir on the thread pool, as a promise (for the checkpoint, which awaits it anyway). */
export function fsyncDirAsync(dir: string): Promise<void> {
  return new Promise((resolve, reject) => fsyncDirInBackground(dir, (err) => (err ? reject(err) : resolve())));
}

/** First free name `<file>.corrupt`, `<file>.corrupt.1`, ...: earlier evidence is never overwritten. */
function asideName(file: string): string {
  let candidate = `${file}.corrupt`;
  for (let i = 1; fs.existsSync(candidate); i++) candidate = `${file}.corrupt.${i}`;
  return candidate;
}

/** Renames a file out of the WAL's way, keeping it for inspection. Returns the new path. */
export function moveAside(file: string): string {
  const to = asideName(file);
  fs.renameSync(file, to);
  return to;
}

/** Copies a file aside (before it is truncated), keeping it for inspection. Returns the copy's path. */
export function copyAside(file: string): string {
  const to = asideName(file);
  fs.copyFileSync(file, to, fs.constants.COPYFILE_EXCL);
  return to;
}

/** Cuts a file at `size` and makes that durable. */
export function truncateDurably(file: string, size: number): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.ftruncateSync(fd, size);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Receives one record: its type and payload in buf[start, end). The bytes are valid only until
 * the sink returns (or its promise settles). A DecodeError thrown here marks the record corrupt.
 */
export type RecordSink = (type: number, buf: Buffer, start: number, end: number) => void | Promise<void>;

export interface ScanProblem {
  /** File offset of the first record that could not be used. */
  offset: number;
  /**
   * 'torn': what a crash during a write leaves (incomplete record at the end of the file,
   * a last record whose checksum fails, a zero-filled tail). 'corrupt': anything else, e.g. a
   * checksum failure with more data after it.
   */
  kind: 'torn' | 'corrupt';
  reason: string;
}

export interface ScanOutcome {
  /** Bytes from the start of the file up to the end of the last good record. */
  validBytes: number;
  fileBytes: number;
  records: number;
  problem: ScanProblem | null;
}

// 1 MiB: large enough for few syscalls, small enough that decoding one chunk between awaits
// (about 100k samples) keeps the event loop responsive during a checkpoint.
const READ_CHUNK = 1 << 20;

/**
 * Reads the records of a file in order, in chunks (a 128 MiB segment is never held whole),
 * and stops at the first one that is incomplete or fails its checksum.
 */
export async function scanRecords(file: string, sink: RecordSink): Promise<ScanOutcome> {
  const fh = await fs.promises.open(file, 'r');
  try {
    const size = (await fh.stat()).size;
    let buf = Buffer.allocUnsafe(Math.max(64, Math.min(READ_CHUNK, size)));
    let bufOff = 0; // file offset of buf[0]
    let filled = 0; // bytes of buf holding file data
    let p = 0; // parse position in buf
    let records = 0;

    // Makes `need` bytes available at p; false if the file ends first.
    const fill = async (need: number): Promise<boolean> => {
      if (bufOff + p + need > size) return false;
      if (p > 0) {
        buf.copy(buf, 0, p, filled);
        bufOff += p;
        filled -= p;
        p = 0;
      }
      if (need > buf.length) {
        const bigger = Buffer.allocUnsafe(Math.max(need, Math.min(buf.length * 2, size - bufOff)));
        buf.copy(bigger, 0, 0, filled);
        buf = bigger;
      }
      while (filled < need) {
        const want = Math.min(buf.length - filled, size - bufOff - filled);
        const { bytesRead } = await fh.read(buf, filled, want, bufOff + filled);
        if (bytesRead === 0) return false; // the file shrank under us
        filled += bytesRead;
      }
      return true;
    };
    const stop = async (offset: number, kind: 'torn' | 'corrupt', reason: string): Promise<ScanOutcome> => {
      if (kind === 'corrupt' && (await holdsNoRecord(fh, offset, size))) {
        kind = 'torn';
        reason += ' (no intact record after it)';
      }
      return { validBytes: offset, fileBytes: size, records, problem: { offset, kind, reason } };
    };
    for (;;) {
      const off = bufOff + p;
      if (off === size) return { validBytes: off, fileBytes: size, records, problem: null };
      if (filled - p < FRAME_PREFIX_BYTES && !(await fill(FRAME_PREFIX_BYTES))) {
        return stop(off, 'torn', `incomplete record header (${size - off} bytes)`);
      }
      const length = buf.readUInt32LE(p);
      if (length === 0 || length > MAX_RECORD_BYTES) return stop(off, 'corrupt', `invalid record length ${length}`);
      const total = FRAME_PREFIX_BYTES + length;
      if (off + total > size) return stop(off, 'torn', `record of ${total} bytes runs past the end of the file`);
      if (filled - p < total && !(await fill(total))) {
        return stop(off, 'torn', `record of ${total} bytes runs past the end of the file`);
      }
      const want = buf.readUInt32LE(p + 4);
      const got = crc32(buf.subarray(p + FRAME_PREFIX_BYTES, p + total));
      if (want !== got) {
        const last = off + total === size;
        return stop(off, last ? 'torn' : 'corrupt', `checksum mismatch${last ? ' in the last record' : ''}`);
      }
      try {
        const r = sink(buf[p + FRAME_PREFIX_BYTES], buf, p + FRAME_PREFIX_BYTES + 1, p + total);
        if (r !== undefined) await r;
      } catch (err) {
        if (err instanceof DecodeError) return stop(off, 'corrupt', `undecodable record: ${err.message}`);
        throw err;
      }
      records++;
      p += total;
    }
  } finally {
    await fh.close();
  }
}

/** Beyond this many bytes after a bad record we do not search for intact ones: call it corrupt. */
const TAIL_SEARCH_LIMIT = 1 << 24;

/**
 * Whether the bytes from `from` to the end contain no intact record, i.e. the damage is confined
 * to the tail (a crash mid-write, or a file system that extended the file with zeros or garbage).
 * A damaged length field hides where the next record starts, so every offset is tried.
 */
async function holdsNoRecord(fh: fs.promises.FileHandle, from: number, size: number): Promise<boolean> {
  const n = size - from;
  if (n > TAIL_SEARCH_LIMIT) return false;
  const rest = Buffer.allocUnsafe(n);
  let got = 0;
  while (got < n) {
    const { bytesRead } = await fh.read(rest, got, n - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  let budget = 16 * TAIL_SEARCH_LIMIT; // checksummed bytes; bounds pathological inputs
  for (let q = 1; q + FRAME_PREFIX_BYTES < got; q++) {
    const length = rest.readUInt32LE(q);
    if (length === 0 || q + FRAME_PREFIX_BYTES + length > got) continue;
    const end = q + FRAME_PREFIX_BYTES + length;
    budget -= length;
    if (budget < 0) return false;
    if (rest.readUInt32LE(q + 4) === crc32(rest.subarray(q + FRAME_PREFIX_BYTES, end))) return false;
  }
  return true;
}

export function walPath(dir: string, name: string): string {
  return path.join(dir, name);
}
