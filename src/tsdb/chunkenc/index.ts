// Chunk codecs of the storage engine. A chunk is a Uint8Array: [encoding][sample count, uint16 BE]
// followed by the encoding's payload. XOR (Gorilla) is what the head appends to; DEC (decimal
// mantissas as integer deltas) is an alternative for immutable blocks, chosen per chunk when it is
// smaller. Every encoding round-trips timestamps and value bit patterns exactly (NaN payloads such
// as the staleness marker, -0, ±Inf, subnormals).
//
// Timestamps within a chunk must be safe integers (ms) and strictly increasing: a delta of 0 or
// less is refused by every encoder. Deltas from 1 ms up to 2^53 ms are fine.
import { ChunkCorruptError, HEADER_BYTES, MAX_CHUNK_SAMPLES } from './bits.ts';
import { DEC_ENCODING, decodeDec, decodeDecRange, encodeDec } from './dec.ts';
import { sampleArray } from './slab.ts';
import { XOR_ENCODING, decodeXor, encodeXor } from './xor.ts';

export const ChunkEncoding = { XOR: XOR_ENCODING, DEC: DEC_ENCODING } as const;
export type ChunkEncoding = (typeof ChunkEncoding)[keyof typeof ChunkEncoding];

export interface DecodedSamples {
  timestamps: Float64Array;
  values: Float64Array;
}

export { ChunkCorruptError, MAX_CHUNK_SAMPLES };
export { sampleArray };
export { OpenChunkPool } from './pool.ts';

/** Number of samples in a chunk, from its header. */
export function chunkSampleCount(chunk: Uint8Array): number {
  if (chunk.length < HEADER_BYTES) throw new ChunkCorruptError(`${chunk.length} bytes is shorter than a chunk header`);
  return (chunk[1] << 8) | chunk[2];
}

export function chunkEncoding(chunk: Uint8Array): number {
  if (chunk.length < 1) throw new ChunkCorruptError('empty buffer');
  return chunk[0];
}

/**
 * Decodes a chunk of any encoding. Throws ChunkCorruptError on truncated or malformed input
 * (structural checks: lengths, ranges, strictly increasing time, no trailing bytes; a bit flip
 * inside a payload can still decode to other numbers — block files carry checksums for that).
 */
export function decodeChunk(chunk: Uint8Array): DecodedSamples {
  const n = chunkSampleCount(chunk);
  switch (chunk[0]) {
    case XOR_ENCODING:
      return decodeXor(chunk, n);
    case DEC_ENCODING:
      return decodeDec(chunk, n);
    default:
      throw new ChunkCorruptError(`unknown chunk encoding ${chunk[0]}`);
  }
}

/**
 * The samples of a chunk with timestamps in [mint, maxt] (inclusive): decodeChunk's output cut to
 * that range, as new arrays. A DEC chunk is decoded only as far as the range needs (see
 * decodeDecRange), which matters for the long chunks of compacted blocks.
 */
export function decodeChunkRange(chunk: Uint8Array, mint: number, maxt: number): DecodedSamples {
  const n = chunkSampleCount(chunk);
  if (chunk[0] === DEC_ENCODING) return decodeDecRange(chunk, n, mint, maxt);
  const d = decodeChunk(chunk);
  let a = 0;
  while (a < n && d.timestamps[a] < mint) a++;
  let b = a;
  while (b < n && d.timestamps[b] <= maxt) b++;
  const timestamps = sampleArray(b - a);
  const values = sampleArray(b - a);
  timestamps.set(d.timestamps.subarray(a, b));
  values.set(d.values.subarray(a, b));
  return { timestamps, values };
}

function range(ts: ArrayLike<number>, vs: ArrayLike<number>, from?: number, to?: number): [number, number] {
  const f = from ?? 0;
  const t = to ?? ts.length;
  if (!(f >= 0 && f <= t && t <= ts.length && t <= vs.length)) {
    throw new RangeError(`sample range [${f}, ${t}) outside the ${ts.length} timestamps / ${vs.length} values`);
  }
  return [f, t];
}

/** Encodes samples [from, to) as a Gorilla XOR chunk. */
export function encodeXorChunk(ts: ArrayLike<number>, vs: ArrayLike<number>, from?: number, to?: number): Uint8Array {
  const [f, t] = range(ts, vs, from, to);
  return encodeXor(ts, vs, f, t);
}

/** Encodes samples [from, to) as a DEC chunk (decimal values as integers, else XOR values). */
export function encodeDecChunk(ts: ArrayLike<number>, vs: ArrayLike<number>, from?: number, to?: number): Uint8Array {
  const [f, t] = range(ts, vs, from, to);
  return encodeDec(ts, vs, f, t);
}

/**
 * The encoding for immutable on-disk blocks: tries every encoding and returns the smallest
 * (XOR on ties, the encoding every reader has known longest).
 */
export function encodeCompactChunk(ts: ArrayLike<number>, vs: ArrayLike<number>, from?: number, to?: number): Uint8Array {
  const [f, t] = range(ts, vs, from, to);
  const xor = encodeXor(ts, vs, f, t);
  const dec = encodeDec(ts, vs, f, t);
  return dec.length < xor.length ? dec : xor;
}

/**
 * Concatenates the decoded samples of consecutive chunks of one series (in time order, not
 * overlapping), keeping those in [mint, maxt] (inclusive). Null when none are in range.
 */
export function concatDecoded(parts: readonly DecodedSamples[], mint: number, maxt: number): DecodedSamples | null {
  // Each part is sorted by time: its samples in range are one run [from, to), found by search.
  let n = 0;
  let only: DecodedSamples | null = null;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    const c = upperIndex(p.timestamps, maxt) - lowerIndex(p.timestamps, mint);
    if (c > 0) {
      only = n === 0 && c === p.timestamps.length ? p : null;
      n += c;
    }
  }
  if (n === 0) return null;
  if (only !== null && only.timestamps.length === n) return only; // one part, wholly in range
  const timestamps = sampleArray(n);
  const values = sampleArray(n);
  let off = 0;
  for (let k = 0; k < parts.length; k++) {
    const p = parts[k];
    const a = lowerIndex(p.timestamps, mint);
    const b = upperIndex(p.timestamps, maxt);
    if (b <= a) continue;
    // Typed-array copies move bytes, so NaN payloads (staleness markers) survive.
    timestamps.set(p.timestamps.subarray(a, b), off);
    values.set(p.values.subarray(a, b), off);
    off += b - a;
  }
  return { timestamps, values };
}

/** The first index whose timestamp is >= t (binary search; the block reader uses it too). */
export function lowerIndex(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] < t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The first index whose timestamp is > t. */
function upperIndex(ts: Float64Array, t: number): number {
  let lo = 0;
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= t) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
