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

export class SymbolTable {
  private readonly ids = new StringMap<number>();
  /**
   * By id; a dropped symbol's entry is '' until its id is reused. One array, although it grows by
   * copying into one 1.5 times as large (at 10M strings 80 MB into 120 MB, peak RSS 320 MB against
   * 135 MB in chunks of 64K, and a ~100 ms push): get() is on the append path (the label check of
   * every existing series), and through chunks it took ~1.3 ns more, 20-25% of that check.
   */
  private readonly strings: string[] = [];
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
        this.strings[id] = s;
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
    const s = this.strings[id];
    this.ids.delete(s);
    this.strings[id] = '';
    this.free.push(id);
    this.bytes -= s.length * 2;
  }

  get(id: number): string {
    return this.strings[id];
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
