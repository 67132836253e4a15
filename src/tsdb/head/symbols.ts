// Label strings are interned: each distinct name or value is stored once and series refer to it by
// number. For node_exporter-like data (a few hundred distinct names and values per host) this
// makes labels cost a few bytes per series instead of a few hundred. A label with a value per
// series makes it hold millions of strings: the map is a StringMap, which never rehashes them all at
// once.
//
// Each symbol counts the series labels that use it. Series churn (a deploy replaces every pod's
// series with ones carrying a new pod name and uid) would otherwise keep every string ever seen
// until a restart, and unique strings such as uids are most of a churned series' memory. When the
// head removes a series it releases its symbols; a symbol no series uses any more is dropped and its
// id reused by the next new string, so the id space stays as large as the live strings.
import { growColumn, newColumn } from '../columns.ts';
import { StringMap } from './stringmap.ts';

// The strings by id live in arrays of 64K entries, not one array: a JS array grows by copying
// into one 1.5 times as large, which at 10M strings is an 80 MB array copied into a 120 MB one
// (and a stall while it copies) each time it fills up; here the largest copy is a chunk's 512 KB.
const CHUNK_BITS = 16;
const CHUNK_MASK = (1 << CHUNK_BITS) - 1;

/** Strings by id in chunks of 2^CHUNK_BITS; `slice()` gives them as one array. */
class StringsById {
  private readonly chunks: string[][] = [[]];
  length = 0;

  at(id: number): string {
    return this.chunks[id >>> CHUNK_BITS][id & CHUNK_MASK];
  }

  set(id: number, s: string): void {
    this.chunks[id >>> CHUNK_BITS][id & CHUNK_MASK] = s;
  }

  push(s: string): void {
    let last = this.chunks[this.chunks.length - 1];
    if (last.length > CHUNK_MASK) this.chunks.push((last = []));
    last.push(s);
    this.length++;
  }

  slice(): string[] {
    return this.chunks.flat();
  }
}

export class SymbolTable {
  private readonly ids = new StringMap<number>();
  /** By id; a dropped symbol's entry is '' until its id is reused. */
  private readonly strings = new StringsById();
  /** Series labels using each id (0 for a free id). */
  private refs = newColumn(Uint32Array, 0);
  /** Ids of dropped symbols, reused first. */
  private readonly free: number[] = [];
  private bytes = 0;
  private newSymbols = 0;

  /** The id of s, counting one more use of it. */
  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      if (this.free.length > 0) {
        id = this.free.pop() as number;
        this.strings.set(id, s);
      } else {
        id = this.strings.length;
        this.strings.push(s);
        if (id >= this.refs.length) this.refs = growColumn(this.refs, Uint32Array, id + 1);
      }
      this.ids.set(s, id);
      this.bytes += s.length * 2;
      this.newSymbols++;
    }
    this.refs[id]++;
    return id;
  }

  /** Counts one use of id less; drops the symbol at the last. */
  release(id: number): void {
    if (this.refs[id] === 0) throw new Error(`symbol ${id} released more often than interned`);
    if (--this.refs[id] > 0) return;
    const s = this.strings.at(id);
    this.ids.delete(s);
    this.strings.set(id, '');
    this.free.push(id);
    this.bytes -= s.length * 2;
  }

  get(id: number): string {
    return this.strings.at(id);
  }

  /**
   * Changes whenever an id is given to a new string: what is derived from the ids' strings (the
   * head's ranks of symbols in string order) holds as long as this stays the same.
   */
  get version(): number {
    return this.newSymbols;
  }

  /** The strings by id, as they are now (ids of dropped symbols may be reused later). */
  snapshot(): string[] {
    return this.strings.slice();
  }

  /** Live symbols. */
  get size(): number {
    return this.ids.size;
  }

  /** One past the highest id handed out: the size of arrays indexed by id. */
  get idLimit(): number {
    return this.strings.length;
  }

  /** Rough bytes held by the strings themselves (UTF-16), for stats. */
  get stringBytes(): number {
    return this.bytes;
  }

  /** Rough bytes of the table itself besides the strings: id column, id array, free list. */
  get overheadBytes(): number {
    return this.refs.byteLength + this.strings.length * 8 + this.free.length * 8;
  }
}
