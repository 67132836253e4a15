// A string-keyed map for the head's tables that grow with distinct label values (the symbol table,
// a label name's values in the postings index). A V8 Map rehashes all its entries at once when it
// doubles: measured on this machine, 1.4 s at 8M entries and up to 3.5 s at 4M under load, inside
// whichever append created the series; and a Map holds at most 2^24 entries. A label with a value
// per series (a pod uid, a request id) puts one entry per series in both tables.
//
// So past SPLIT_AT entries the map splits into SHARDS Maps chosen by a hash of the key: each
// rehash then moves 1/SHARDS of the entries, and the limit is SHARDS × 2^24. Small maps (nearly
// all of them) stay one Map, in insertion order; a split map iterates in no particular order.

const SPLIT_AT = 1 << 16;
const SHARDS = 256;

export class StringMap<V> {
  private one: Map<string, V> | null = new Map();
  private shards: Map<string, V>[] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.one !== null ? this.one.get(key) : this.shards[shardOf(key)].get(key);
  }

  set(key: string, value: V): void {
    const m = this.one ?? this.shards[shardOf(key)];
    const before = m.size;
    m.set(key, value);
    if (m.size === before) return;
    this.count++;
    if (this.one !== null && this.count > SPLIT_AT) this.split();
  }

  delete(key: string): boolean {
    const m = this.one ?? this.shards[shardOf(key)];
    if (!m.delete(key)) return false;
    this.count--;
    return true;
  }

  keys(): IterableIterator<string> {
    return this.one !== null ? this.one.keys() : this.allKeys();
  }

  entries(): IterableIterator<[string, V]> {
    return this.one !== null ? this.one.entries() : this.allEntries();
  }

  [Symbol.iterator](): IterableIterator<[string, V]> {
    return this.entries();
  }

  private *allKeys(): IterableIterator<string> {
    for (const m of this.shards) yield* m.keys();
  }

  private *allEntries(): IterableIterator<[string, V]> {
    for (const m of this.shards) yield* m.entries();
  }

  /** Once, at SPLIT_AT entries: a copy of 64K entries (a few ms), never of millions. */
  private split(): void {
    const one = this.one as Map<string, V>;
    for (let i = 0; i < SHARDS; i++) this.shards.push(new Map());
    for (const [k, v] of one) this.shards[shardOf(k)].set(k, v);
    this.one = null;
  }
}

/**
 * The shard of a key: FNV-1a over up to 16 of its characters spread over its length (label values
 * that differ only in a few places, such as ids with a common prefix, still spread), and its length.
 */
function shardOf(s: string): number {
  const n = s.length;
  const step = n > 16 ? n >>> 4 : 1;
  let h = 0x811c9dc5 ^ n;
  for (let i = n - 1; i >= 0; i -= step) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return (h ^ (h >>> 16) ^ (h >>> 8)) & (SHARDS - 1);
}
