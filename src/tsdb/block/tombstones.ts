// Tombstones: time ranges of a block's series whose samples were deleted (admin delete_series).
// Blocks are immutable, so a delete only records what to hide; reads drop those samples where
// they decode them, and compaction (or clean_tombstones) writes blocks without them.
//
// File `<block>/tombstones`, after Prometheus' tsdb/tombstones (its layout, not its byte format):
//   magic u32 BE 0x0130BA30 | version u8 (1) | entries | crc32 of the entries u32 BE
//   entry: series id uvarint | interval count uvarint | per interval: mint varint, maxt varint
// with series ids ascending and each series' intervals sorted and disjoint. The file is written
// as tombstones.tmp, fsynced, renamed over the old one and the directory fsynced: a crash leaves
// the old file or the new one, never a torn one. A missing file means no tombstones.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CorruptBlockError } from './errors.ts';
import { replaceFileDurably } from '../durable.ts';

export const TOMBSTONES_FILE = 'tombstones';
const MAGIC = 0x0130ba30;
const VERSION = 1;

/** Deleted ranges [mint, maxt] (both inclusive, ms) of one series: sorted, disjoint, not adjacent. */
export type Intervals = readonly (readonly [number, number])[];

/** Series id (ordinal in the block's index) to its deleted intervals. */
export type Tombstones = ReadonlyMap<number, Intervals>;

/** `ivs` with [mint, maxt] added, merging overlapping and adjacent intervals. */
export function addInterval(ivs: Intervals, mint: number, maxt: number): Intervals {
  const out: [number, number][] = [];
  let a = mint;
  let b = maxt;
  let placed = false;
  for (const [x, y] of ivs) {
    if (y < a - 1) out.push([x, y]);
    else if (x > b + 1) {
      if (!placed) {
        out.push([a, b]);
        placed = true;
      }
      out.push([x, y]);
    } else {
      a = Math.min(a, x);
      b = Math.max(b, y);
    }
  }
  if (!placed) out.push([a, b]);
  return out;
}

/** Whether every part of [mint, maxt] is inside the intervals already. */
export function coversInterval(ivs: Intervals, mint: number, maxt: number): boolean {
  for (const [x, y] of ivs) if (x <= mint && y >= maxt) return true;
  return false;
}

/** Whether t lies in a deleted interval. */
export function isDeleted(ivs: Intervals, t: number): boolean {
  for (const [x, y] of ivs) {
    if (t < x) return false;
    if (t <= y) return true;
  }
  return false;
}

/**
 * The samples not in a deleted interval; the arrays themselves when none is, null when all are.
 * One pass with a cursor over the intervals (both are sorted).
 */
export function withoutDeleted<T extends { timestamps: Float64Array; values: Float64Array }>(s: T, ivs: Intervals): T | null {
  const ts = s.timestamps;
  const n = ts.length;
  if (n === 0 || ivs.length === 0 || ts[0] > ivs[ivs.length - 1][1] || ts[n - 1] < ivs[0][0]) return n === 0 ? null : s;
  const keepT = new Float64Array(n);
  const keepV = new Float64Array(n);
  let k = 0;
  let iv = 0;
  for (let i = 0; i < n; i++) {
    const t = ts[i];
    while (iv < ivs.length && ivs[iv][1] < t) iv++;
    if (iv < ivs.length && ivs[iv][0] <= t) continue;
    keepT[k] = t;
    keepV[k++] = s.values[i];
  }
  if (k === n) return s;
  if (k === 0) return null;
  return { ...s, timestamps: keepT.subarray(0, k), values: keepV.subarray(0, k) };
}

/** The tombstones of a block directory; null when it has none (no file, or an empty one). */
export function readTombstones(blockDir: string): Tombstones | null {
  const file = path.join(blockDir, TOMBSTONES_FILE);
  let buf: Buffer;
  try {
    buf = fs.readFileSync(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new CorruptBlockError(file, `cannot read: ${(e as Error).message}`);
  }
  const t = decodeTombstones(buf, file);
  return t.size === 0 ? null : t;
}

export function decodeTombstones(buf: Uint8Array, file: string): Map<number, Intervals> {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < 9) throw new CorruptBlockError(file, `is ${b.length} bytes, too short for a tombstones file`);
  if (b.readUInt32BE(0) !== MAGIC) throw new CorruptBlockError(file, 'has a wrong magic number');
  if (b[4] !== VERSION) throw new CorruptBlockError(file, `has unsupported version ${b[4]}`);
  const body = b.subarray(5, b.length - 4);
  if (zlib.crc32(body) !== b.readUInt32BE(b.length - 4)) throw new CorruptBlockError(file, 'fails its checksum');
  const out = new Map<number, Intervals>();
  const r = { pos: 0 };
  const bad = (what: string): never => { throw new CorruptBlockError(file, what); };
  let prevId = -1;
  while (r.pos < body.length) {
    const id = readUvarint(body, r) ?? bad('ends inside an entry');
    if (id <= prevId) bad(`lists series ${id} after ${prevId}`);
    prevId = id;
    const count = readUvarint(body, r) ?? bad('ends inside an entry');
    const ivs: [number, number][] = [];
    for (let i = 0; i < count; i++) {
      const mint = readVarint(body, r) ?? bad('ends inside an interval');
      const maxt = readVarint(body, r) ?? bad('ends inside an interval');
      if (maxt < mint || (ivs.length > 0 && mint <= ivs[ivs.length - 1][1])) bad(`has unsorted or empty intervals for series ${id}`);
      ivs.push([mint, maxt]);
    }
    if (ivs.length > 0) out.set(id, ivs);
  }
  return out;
}

export function encodeTombstones(t: Tombstones): Buffer {
  const parts: number[] = [];
  for (const id of [...t.keys()].sort((a, b) => a - b)) {
    const ivs = t.get(id)!;
    if (ivs.length === 0) continue;
    putUvarint(parts, id);
    putUvarint(parts, ivs.length);
    for (const [a, b] of ivs) {
      putVarint(parts, a);
      putVarint(parts, b);
    }
  }
  const body = Buffer.from(parts);
  const out = Buffer.alloc(5 + body.length + 4);
  out.writeUInt32BE(MAGIC, 0);
  out[4] = VERSION;
  body.copy(out, 5);
  out.writeUInt32BE(zlib.crc32(body), 5 + body.length);
  return out;
}

/** Replaces the block's tombstones file atomically (temp file, fsync, rename, directory fsync). */
export function writeTombstones(blockDir: string, t: Tombstones): void {
  replaceFileDurably(path.join(blockDir, TOMBSTONES_FILE), encodeTombstones(t));
}

// Varints as Go's encoding/binary, on JS numbers (timestamps fit 53 bits; sample times are ms).
function putUvarint(out: number[], v: number): void {
  while (v >= 0x80) {
    out.push((v % 0x80) | 0x80);
    v = Math.floor(v / 0x80);
  }
  out.push(v);
}

function putVarint(out: number[], v: number): void {
  putUvarint(out, v < 0 ? -2 * v - 1 : 2 * v);
}

function readUvarint(b: Uint8Array, r: { pos: number }): number | null {
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 8; i++) {
    if (r.pos >= b.length) return null;
    const c = b[r.pos++];
    v += (c & 0x7f) * mul;
    if (c < 0x80) return v;
    mul *= 0x80;
  }
  return null;
}

function readVarint(b: Uint8Array, r: { pos: number }): number | null {
  const u = readUvarint(b, r);
  if (u === null) return null;
  return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
}
