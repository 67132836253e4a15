// Decoded open chunks, kept so that reading a series again decodes only the samples appended
// since. Rules and dashboards read the same recent samples of the same series over and over, and
// those lie in the open chunks: decoding a chunk of up to 120 samples from its first bit each
// time made a small instant query read from the head 2-3 times slower than one read from a block
// (where only the wanted part of a chunk is decoded). Bounded in bytes; the clock below evicts.
import type { DecodedSamples } from './index.ts';
import { sampleArray } from './slab.ts';
import { decodeXor, decodeXorInto, newXorCursor, type XorCursor } from './xor.ts';

interface Entry {
  readonly slot: number;
  readonly cursor: XorCursor;
  timestamps: Float64Array;
  values: Float64Array;
  /** The values' bits, two words a sample (a view of values' own buffer). */
  words: Uint32Array;
  /** Read since the eviction clock last passed it (second chance). */
  used: boolean;
  /** Still in the cache (a dropped entry stays in the clock's queue until the hand reaches it). */
  live: boolean;
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
  // Eviction is second-chance FIFO ("clock"): entries queue in admission order; the hand gives an
  // entry read since it last passed another round and takes the first one that was not.
  private queue: Entry[] = [];
  private hand = 0;
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
      this.remove(e); // cannot happen while drop() is called on every reset; be safe
      e = undefined;
    }
    if (e === undefined) {
      this.misses++;
      const need = entryBytesFor(Math.max(MIN_CAPACITY, n));
      if (need > this.maxBytes) return decodeXor(chunk, n);
      let spare: Entry | null = null;
      while (this.bytes + need > this.maxBytes) {
        spare = this.evictOne();
        if (spare === null) return decodeXor(chunk, n);
      }
      e = spare !== null && spare.timestamps.length >= n ? reuse(spare, slot) : newEntry(slot, n);
      this.entries.set(slot, e);
      this.queue.push(e);
      this.bytes += entryBytes(e);
    } else {
      if (e.cursor.count === n) this.hits++;
      else this.extended++;
      e.used = true;
      if (e.timestamps.length < n) {
        this.bytes -= entryBytes(e);
        grow(e, n);
        this.bytes += entryBytes(e);
        while (this.bytes > this.maxBytes && this.evictOne() !== null);
      }
    }
    try {
      decodeXorInto(chunk, n, e.cursor, e.timestamps, e.words);
    } catch (err) {
      if (e.live) this.remove(e);
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
    if (e !== undefined) this.remove(e);
  }

  memoryBytes(): number {
    return this.bytes;
  }

  stats(): OpenDecodedStats {
    return { hits: this.hits, extended: this.extended, misses: this.misses, entries: this.entries.size, bytes: this.bytes };
  }

  /** Evicts one entry by the clock and returns it (its arrays may be reused); null when empty. */
  private evictOne(): Entry | null {
    if (this.hand > 1024 && this.hand * 2 > this.queue.length) {
      this.queue = this.queue.slice(this.hand);
      this.hand = 0;
    }
    while (this.hand < this.queue.length) {
      const e = this.queue[this.hand++];
      if (!e.live) continue;
      if (e.used) {
        e.used = false;
        this.queue.push(e);
        continue;
      }
      this.remove(e);
      return e;
    }
    return null;
  }

  private remove(e: Entry): void {
    this.entries.delete(e.slot);
    this.bytes -= entryBytes(e);
    e.live = false;
  }
}

const MIN_CAPACITY = 16;

function newEntry(slot: number, n: number): Entry {
  const cap = Math.max(MIN_CAPACITY, n);
  const values = new Float64Array(cap);
  return {
    slot, cursor: newXorCursor(), timestamps: new Float64Array(cap), values, words: new Uint32Array(values.buffer), used: false, live: true,
  };
}

/** An evicted entry's arrays for another slot's chunk. */
function reuse(e: Entry, slot: number): Entry {
  const cursor = e.cursor;
  cursor.count = 0;
  return { slot, cursor, timestamps: e.timestamps, values: e.values, words: e.words, used: false, live: true };
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
  return entryBytesFor(e.timestamps.length);
}

function entryBytesFor(capacity: number): number {
  return 16 * capacity + ENTRY_OVERHEAD_BYTES;
}
