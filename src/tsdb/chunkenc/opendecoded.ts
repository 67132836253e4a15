// Decoded open chunks, kept so that reading a series again decodes only the samples appended
// since. Rules and dashboards read the same recent samples of the same series over and over, and
// those lie in the open chunks: decoding a chunk of up to 120 samples from its first bit each
// time made a small instant query read from the head 2-3 times slower than one read from a block
// (where only the wanted part of a chunk is decoded). Bounded in bytes.
import type { DecodedSamples } from './index.ts';
import { sampleArray } from './slab.ts';
import { decodeXor, decodeXorInto, newXorCursor, type XorCursor } from './xor.ts';

interface Entry {
  readonly cursor: XorCursor;
  timestamps: Float64Array;
  values: Float64Array;
  /** The values' bits, two words a sample (a view of values' own buffer). */
  words: Uint32Array;
}

export interface OpenDecodedStats {
  /** Reads answered wholly from a kept decode. */
  hits: number;
  /** Reads that continued a kept decode with the samples appended since. */
  extended: number;
  /** Reads that decoded a chunk from its start. */
  misses: number;
  entries: number;
  bytes: number;
}

const ENTRY_OVERHEAD_BYTES = 200;

export class OpenDecodedCache {
  private readonly maxBytes: number;
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;
  private hits = 0;
  private extended = 0;
  private misses = 0;

  constructor(maxBytes: number) {
    this.maxBytes = maxBytes;
  }

  /**
   * The n samples (n ≥ 1) of the open chunk in `slot`, whose bytes are `chunk`, in arrays the
   * caller may keep. The chunk must only have grown since the slot was last read or dropped.
   */
  decode(slot: number, chunk: Uint8Array, n: number): DecodedSamples {
    let e = this.entries.get(slot);
    if (e !== undefined && e.cursor.count > n) {
      this.remove(slot, e); // cannot happen while drop() is called on every reset; be safe
      e = undefined;
    }
    if (e === undefined) {
      this.misses++;
      // Once full, new chunks are not admitted (no eviction): entries leave as their chunks are
      // cut (every 120 samples), so the kept set turns over with time, and a read of more series
      // than fit (every series of a name) neither allocates nor pushes out what rules re-read.
      if (this.bytes + 16 * n + ENTRY_OVERHEAD_BYTES > this.maxBytes) return decodeXor(chunk, n);
      e = newEntry(n);
      this.entries.set(slot, e);
      this.bytes += entryBytes(e);
    } else if (e.cursor.count === n) {
      this.hits++;
    } else {
      this.extended++;
      if (e.timestamps.length < n) {
        this.bytes -= entryBytes(e);
        grow(e, n);
        this.bytes += entryBytes(e);
      }
    }
    try {
      decodeXorInto(chunk, n, e.cursor, e.timestamps, e.words);
    } catch (err) {
      this.remove(slot, e);
      throw err;
    }
    const timestamps = sampleArray(n);
    const values = sampleArray(n);
    timestamps.set(e.timestamps.subarray(0, n));
    values.set(e.values.subarray(0, n)); // a byte copy: NaN payloads survive
    return { timestamps, values };
  }

  /** Forgets the slot's decode: its chunk was cut, or the slot freed or handed out anew. */
  drop(slot: number): void {
    const e = this.entries.get(slot);
    if (e !== undefined) this.remove(slot, e);
  }

  memoryBytes(): number {
    return this.bytes;
  }

  stats(): OpenDecodedStats {
    return { hits: this.hits, extended: this.extended, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  private remove(slot: number, e: Entry): void {
    this.entries.delete(slot);
    this.bytes -= entryBytes(e);
  }
}

function newEntry(n: number): Entry {
  const cap = Math.max(16, n);
  const values = new Float64Array(cap);
  return { cursor: newXorCursor(), timestamps: new Float64Array(cap), values, words: new Uint32Array(values.buffer) };
}

function grow(e: Entry, n: number): void {
  const cap = Math.max(n, Math.ceil(e.timestamps.length * 1.5));
  const timestamps = new Float64Array(cap);
  const values = new Float64Array(cap);
  timestamps.set(e.timestamps);
  values.set(e.values);
  e.timestamps = timestamps;
  e.values = values;
  e.words = new Uint32Array(values.buffer);
}

function entryBytes(e: Entry): number {
  return e.timestamps.byteLength + e.values.byteLength + ENTRY_OVERHEAD_BYTES;
}
