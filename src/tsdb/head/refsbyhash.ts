// The head's series lookup: label-set hash → series ref, as an open-addressing table in one
// Uint32Array of [tag, ref] pairs (linear probing). A JS Map cost ~70 bytes a series here (entry,
// bucket, and a heap number for each 53-bit key); this costs 8 bytes a slot at a load of 3/8 to 3/4.
//
// The tag is the hash's low 32 bits; two label sets may share it (or the whole hash), so the
// caller confirms each candidate by comparing labels. Ref 0 marks an empty slot (refs start at 1).
//
// Growing never rehashes the whole table at once (at 10M series that would stall the event loop):
// the new table takes inserts while each operation moves a few slots over from the old one.

const EMPTY = 0;
/** A slot of the old table whose entry moved or was deleted; probes continue past it. */
const GONE = 0xffffffff;
const MAX_LOAD = 0.75;
/** Old-table slots moved per operation while growing; ends well before the new table fills. */
const MOVE_PER_OP = 16;

export type RefMatcher<T> = (ref: number, key: T) => boolean;

export class RefsByHash {
  private table: Uint32Array;
  private mask: number;
  private count = 0;
  /** The table being emptied into `table` during a resize, or null. */
  private old: Uint32Array | null = null;
  private oldMask = 0;
  private oldCount = 0;
  private moveAt = 0;

  constructor(initialSlots = 1024) {
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.table = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Live entries. */
  get size(): number {
    return this.count + this.oldCount;
  }

  get byteLength(): number {
    return this.table.byteLength + (this.old?.byteLength ?? 0);
  }

  /** The ref among those stored under `hash` for which `matches(ref, key)` holds, or -1. */
  find<T>(hash: number, key: T, matches: RefMatcher<T>): number {
    const tag = hash >>> 0;
    const ref = probe(this.table, this.mask, tag, key, matches);
    if (ref >= 0 || this.old === null) return ref;
    return probe(this.old, this.oldMask, tag, key, matches);
  }

  /** Stores ref under hash; the caller knows the pair is not stored yet. */
  add(hash: number, ref: number): void {
    if (this.old !== null) this.moveSome();
    if (this.count + 1 > (this.mask + 1) * MAX_LOAD) this.startGrow();
    const tag = hash >>> 0;
    const t = this.table;
    let i = tag & this.mask;
    while (t[2 * i + 1] !== EMPTY) i = (i + 1) & this.mask;
    t[2 * i] = tag;
    t[2 * i + 1] = ref;
    this.count++;
  }

  /** Removes the entry (hash, ref); false when it is not stored. */
  delete(hash: number, ref: number): boolean {
    const tag = hash >>> 0;
    if (removeFrom(this.table, this.mask, tag, ref)) {
      this.count--;
      return true;
    }
    if (this.old !== null && markGone(this.old, this.oldMask, tag, ref)) {
      this.oldCount--;
      return true;
    }
    return false;
  }

  private startGrow(): void {
    // A grow cannot start before the last one has finished: finish it now (rare: it only happens
    // when inserts outrun MOVE_PER_OP, which the sizing below rules out for adds alone).
    while (this.old !== null) this.moveSome();
    this.old = this.table;
    this.oldMask = this.mask;
    this.oldCount = this.count;
    this.moveAt = 0;
    const cap = (this.mask + 1) * 2;
    this.table = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    this.count = 0;
  }

  /** Moves the next MOVE_PER_OP slots of the old table into the new one. */
  private moveSome(): void {
    const old = this.old as Uint32Array;
    const end = Math.min(this.oldMask + 1, this.moveAt + MOVE_PER_OP);
    const t = this.table;
    for (let j = this.moveAt; j < end; j++) {
      const ref = old[2 * j + 1];
      if (ref === EMPTY || ref === GONE) continue;
      const tag = old[2 * j];
      let i = tag & this.mask;
      while (t[2 * i + 1] !== EMPTY) i = (i + 1) & this.mask;
      t[2 * i] = tag;
      t[2 * i + 1] = ref;
      this.count++;
      this.oldCount--;
      // Not EMPTY: entries further along this probe chain must stay reachable.
      old[2 * j + 1] = GONE;
    }
    this.moveAt = end;
    if (end > this.oldMask) {
      this.old = null;
      this.oldCount = 0;
    }
  }
}

function probe<T>(t: Uint32Array, mask: number, tag: number, key: T, matches: RefMatcher<T>): number {
  let i = tag & mask;
  for (;;) {
    const ref = t[2 * i + 1];
    if (ref === EMPTY) return -1;
    if (ref !== GONE && t[2 * i] === tag && matches(ref, key)) return ref;
    i = (i + 1) & mask;
  }
}

/** Deletes from the live table by shifting later entries of the probe chain back (no tombstones). */
function removeFrom(t: Uint32Array, mask: number, tag: number, ref: number): boolean {
  let i = tag & mask;
  for (;;) {
    const r = t[2 * i + 1];
    if (r === EMPTY) return false;
    if (r === ref && t[2 * i] === tag) break;
    i = (i + 1) & mask;
  }
  let hole = i;
  let j = i;
  for (;;) {
    j = (j + 1) & mask;
    const r = t[2 * j + 1];
    if (r === EMPTY) break;
    const home = t[2 * j] & mask;
    // The entry at j may fill the hole if its home slot is not cyclically within (hole, j].
    const between = hole <= j ? home > hole && home <= j : home > hole || home <= j;
    if (between) continue;
    t[2 * hole] = t[2 * j];
    t[2 * hole + 1] = r;
    hole = j;
  }
  t[2 * hole] = 0;
  t[2 * hole + 1] = EMPTY;
  return true;
}

/** Deletes from the table being emptied by a resize: a tombstone keeps its probe chains intact. */
function markGone(t: Uint32Array, mask: number, tag: number, ref: number): boolean {
  let i = tag & mask;
  for (;;) {
    const r = t[2 * i + 1];
    if (r === EMPTY) return false;
    if (r === ref && t[2 * i] === tag) {
      t[2 * i + 1] = GONE;
      return true;
    }
    i = (i + 1) & mask;
  }
}
