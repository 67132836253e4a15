// Label strings are interned: each distinct name or value is stored once and series refer to it by
// number. For node_exporter-like data (a few hundred distinct names and values per host) this
// makes labels cost a few bytes per series instead of a few hundred. A label with a value per
// series makes it hold millions of strings: the map is a StringMap, which never rehashes them all at
// once.
import { StringMap } from './stringmap.ts';

export class SymbolTable {
  private readonly ids = new StringMap<number>();
  private readonly strings: string[] = [];
  private bytes = 0;

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.strings.length;
      this.strings.push(s);
      this.ids.set(s, id);
      this.bytes += s.length * 2;
    }
    return id;
  }

  get(id: number): string {
    return this.strings[id];
  }

  get size(): number {
    return this.strings.length;
  }

  /** Rough bytes held by the strings themselves (UTF-16), for stats. */
  get stringBytes(): number {
    return this.bytes;
  }
}
