// The head's open chunks: one growing XOR chunk per series, for millions of series, without an
// object per series. Encoder state lives in struct-of-arrays typed arrays indexed by slot; the
// chunk bytes live in a slab allocator — large ArrayBuffers cut into fixed-size slots of a few
// size classes — and a chunk moves up one class when its next sample might not fit.
import { HEADER_BYTES, MAX_CHUNK_SAMPLES, joinFloat } from './bits.ts';
import type { DecodedSamples } from './index.ts';
import { OpenDecodedCache, type OpenDecodedStats } from './opendecoded.ts';
import { XOR_ENCODING, appendXor, decodeXor, resetXorSlot, xorAppendBits, type XorState } from './xor.ts';
import { growColumn, newColumn } from '../columns.ts';

/** Worst-case bits one append adds (the first sample: header, 8-byte varint, 64 raw bits). */
const MAX_SAMPLE_BITS = 152;
const NO_CLASS = 255;
const SLAB_TARGET_BYTES = 1 << 18;
const HINT_BELOW = 3;
/** Decoded open chunks kept for repeated reads (opendecoded.ts): ~4,000 series of 120 samples. */
const DECODED_CACHE_BYTES = 8 << 20;

// Size classes grow by 14-25% (four per doubling) so an open chunk wastes little of its slot; the
// largest holds a chunk of MAX_CHUNK_SAMPLES worst-case samples.
const CLASS_SIZES: number[] = [];
for (let base = 32; CLASS_SIZES.length === 0 || CLASS_SIZES[CLASS_SIZES.length - 1] < HEADER_BYTES + MAX_CHUNK_SAMPLES * 19; base *= 2) {
  CLASS_SIZES.push(base, base + base / 4, base + base / 2, base + (3 * base) / 4);
}

// A size class owns slabs of `1 << shift` slots. Each slab keeps its own stack of free slot
// indices, so a slab whose slots are all free can be dropped as a whole: chunks of series scraped
// in lockstep grow through the classes together, and without releasing, every class would keep
// its high-water mark of memory forever. Chunks leave a class in no particular order, though, so
// its slabs empty out evenly and rarely wholly: once a class has two slabs' worth of free slots,
// the chunks of its emptiest slab move into the others' free slots and that slab is dropped
// (each slab records which pool slot owns each of its locations, for the move).
interface SizeClass {
  readonly size: number;
  readonly shift: number;
  readonly slabs: (Uint8Array | null)[];
  readonly slabFree: (Uint16Array | null)[];
  /** Per slab location: the owning pool slot + 1, 0 when free. */
  readonly slabOwner: (Uint32Array | null)[];
  readonly slabFreeTop: number[];
  /** Slabs that may have free slots (entries of released or full slabs are skipped lazily). */
  readonly avail: number[];
  readonly inAvail: number[];
  /** Indices of released slabs, reused before the slab list grows. */
  readonly released: number[];
  /** Free slots over all live slabs. */
  freeSlots: number;
}

export class OpenChunkPool {
  private readonly st: XorState;
  private capacity: number;
  private cls: Uint8Array;
  private loc: Uint32Array;
  private live: Uint8Array;
  /** Size class a slot's next chunk starts in, learnt from its previous chunk. */
  private hint: Uint8Array;
  private freeSlots: Int32Array;
  private freeTop = 0;
  private nextSlot = 0;
  private readonly classes: SizeClass[];
  private slabBytes = 0;
  private readonly decoded: OpenDecodedCache;

  /**
   * slabBytes: target size of one slab (tests use small ones to see slabs come and go);
   * decodedCacheBytes: bound of the decoded chunks kept for repeated reads (0: none kept).
   */
  constructor(initialSlots = 1024, slabBytes = SLAB_TARGET_BYTES, decodedCacheBytes = DECODED_CACHE_BYTES) {
    this.decoded = new OpenDecodedCache(decodedCacheBytes);
    const n = Math.max(16, initialSlots | 0);
    // Every series holds a slot: the per-slot arrays grow in place, without a copy (columns.ts).
    this.st = {
      prevT: newColumn(Float64Array, n), prevDelta: newColumn(Float64Array, n),
      vHi: newColumn(Uint32Array, n), vLo: newColumn(Uint32Array, n),
      lead: newColumn(Uint8Array, n), trail: newColumn(Uint8Array, n),
      bitPos: newColumn(Uint32Array, n), count: newColumn(Uint32Array, n), minT: newColumn(Float64Array, n),
    };
    this.cls = newColumn(Uint8Array, n).fill(NO_CLASS);
    this.loc = newColumn(Uint32Array, n);
    this.live = newColumn(Uint8Array, n);
    this.freeSlots = newColumn(Int32Array, 64);
    this.hint = newColumn(Uint8Array, n);
    this.capacity = n;
    this.classes = CLASS_SIZES.map((size) => ({
      size,
      shift: Math.min(16, Math.max(0, Math.floor(Math.log2(slabBytes / size)))),
      slabs: [],
      slabFree: [],
      slabOwner: [],
      slabFreeTop: [],
      avail: [],
      inAvail: [],
      released: [],
      freeSlots: 0,
    }));
  }

  /** A fresh, empty slot. */
  alloc(): number {
    let slot: number;
    if (this.freeTop > 0) slot = this.freeSlots[--this.freeTop];
    else {
      if (this.nextSlot === this.capacity) this.growSlots();
      slot = this.nextSlot++;
    }
    this.live[slot] = 1;
    this.cls[slot] = NO_CLASS;
    this.hint[slot] = 0;
    resetXorSlot(this.st, slot);
    this.decoded.drop(slot);
    return slot;
  }

  /** Releases a slot and its chunk; the id may be handed out again by alloc(). */
  free(slot: number): void {
    this.checkLive(slot);
    this.releaseStorage(slot);
    this.decoded.drop(slot);
    this.live[slot] = 0;
    if (this.freeTop === this.freeSlots.length) this.freeSlots = growColumn(this.freeSlots, Int32Array, this.freeTop + 1);
    this.freeSlots[this.freeTop++] = slot;
  }

  /**
   * Appends a sample. The caller guarantees t is a safe integer greater than the slot's last
   * timestamp; a violation throws and leaves the chunk unchanged.
   */
  append(slot: number, t: number, v: number): void {
    let c = this.cls[slot];
    const st = this.st;
    if (c === NO_CLASS) {
      if (this.live[slot] !== 1) this.checkLive(slot);
      c = this.hint[slot];
      this.loc[slot] = this.take(c, slot);
      this.cls[slot] = c;
    } else if (st.bitPos[slot] + MAX_SAMPLE_BITS > this.classes[c].size * 8 &&
        (st.count[slot] === 0 || st.bitPos[slot] + xorAppendBits(st, slot, t, v) > this.classes[c].size * 8)) {
      // Near the end of its storage a chunk moves up only when this very sample does not fit, so
      // the last ~19 bytes of a slot are used rather than kept for a worst case.
      c = this.moveUp(slot);
    }
    const sc = this.classes[c];
    const l = this.loc[slot];
    appendXor(st, slot, sc.slabs[l >>> sc.shift] as Uint8Array, (l & ((1 << sc.shift) - 1)) * sc.size, t, v);
  }

  count(slot: number): number {
    return this.st.count[slot];
  }

  /** First timestamp of the open chunk; +Infinity when it is empty. */
  minTime(slot: number): number {
    return this.st.count[slot] === 0 ? Infinity : this.st.minT[slot];
  }

  /** Last timestamp of the open chunk; -Infinity when it is empty. */
  maxTime(slot: number): number {
    return this.st.count[slot] === 0 ? -Infinity : this.st.prevT[slot];
  }

  /** Last value appended (bit-exact, NaN payloads included); NaN when the chunk is empty. */
  lastValue(slot: number): number {
    return this.st.count[slot] === 0 ? NaN : joinFloat(this.st.vHi[slot], this.st.vLo[slot]);
  }

  /** A copy of the open chunk: a complete XOR chunk that decodeChunk reads. */
  bytes(slot: number): Uint8Array {
    this.checkLive(slot);
    return this.view(slot).slice();
  }

  decode(slot: number): DecodedSamples {
    this.checkLive(slot);
    const n = this.st.count[slot];
    if (n === 0) return decodeXor(this.view(slot), 0);
    return this.decoded.decode(slot, this.view(slot), n);
  }

  /** How often reads found the open chunk already decoded (see opendecoded.ts). */
  decodedStats(): OpenDecodedStats {
    return this.decoded.stats();
  }

  /** Returns the finished chunk (a copy) and empties the slot, which keeps its id. */
  cut(slot: number): Uint8Array {
    const out = this.bytes(slot);
    // A series' chunks tend to be alike: start the next one a few classes (~0.6×) below where this
    // one ended, so it moves once or twice instead of climbing from the smallest class.
    const c = this.cls[slot];
    if (c !== NO_CLASS) this.hint[slot] = c > HINT_BELOW ? c - HINT_BELOW : 0;
    this.releaseStorage(slot);
    resetXorSlot(this.st, slot);
    this.decoded.drop(slot);
    return out;
  }

  /** Bytes held by the pool: per-slot arrays, slabs and free lists. */
  memoryBytes(): number {
    const st = this.st;
    let b = st.prevT.byteLength + st.prevDelta.byteLength + st.vHi.byteLength + st.vLo.byteLength + st.lead.byteLength +
      st.trail.byteLength + st.bitPos.byteLength + st.count.byteLength + st.minT.byteLength;
    b += this.cls.byteLength + this.loc.byteLength + this.live.byteLength + this.hint.byteLength + this.freeSlots.byteLength;
    for (const c of this.classes) {
      for (const f of c.slabFree) b += f === null ? 0 : f.byteLength;
      for (const o of c.slabOwner) b += o === null ? 0 : o.byteLength;
    }
    return b + this.slabBytes + this.decoded.memoryBytes();
  }

  // ---- internals ----

  private view(slot: number): Uint8Array {
    const c = this.cls[slot];
    if (c === NO_CLASS) return new Uint8Array([XOR_ENCODING, 0, 0]);
    const sc = this.classes[c];
    const l = this.loc[slot];
    const base = (l & ((1 << sc.shift) - 1)) * sc.size;
    return (sc.slabs[l >>> sc.shift] as Uint8Array).subarray(base, base + Math.ceil(this.st.bitPos[slot] / 8));
  }

  private checkLive(slot: number): void {
    if (!(slot >= 0 && slot < this.nextSlot) || this.live[slot] !== 1) throw new Error(`chunk pool: slot ${slot} is not allocated`);
  }

  /** Takes a free location of class c for slot, adding a slab when none is left. */
  private take(c: number, slot: number): number {
    const sc = this.classes[c];
    const avail = sc.avail;
    for (;;) {
      while (avail.length > 0) {
        const s = avail[avail.length - 1];
        const free = sc.slabFree[s];
        if (free !== null && sc.slabFreeTop[s] > 0) {
          sc.freeSlots--;
          const k = free[--sc.slabFreeTop[s]];
          (sc.slabOwner[s] as Uint32Array)[k] = slot + 1;
          return (s << sc.shift) | k;
        }
        avail.pop();
        sc.inAvail[s] = 0;
      }
      this.addSlab(sc);
    }
  }

  private addSlab(sc: SizeClass): void {
    const per = 1 << sc.shift;
    const s = sc.released.length > 0 ? (sc.released.pop() as number) : sc.slabs.length;
    sc.slabs[s] = new Uint8Array(sc.size * per);
    const free = new Uint16Array(per);
    for (let k = 0; k < per; k++) free[k] = per - 1 - k; // pops hand out slot 0 first
    sc.slabFree[s] = free;
    sc.slabOwner[s] = new Uint32Array(per);
    sc.slabFreeTop[s] = per;
    sc.freeSlots += per;
    this.slabBytes += sc.size * per;
    if (sc.inAvail[s] !== 1) {
      sc.inAvail[s] = 1;
      sc.avail.push(s);
    }
  }

  private give(c: number, l: number): void {
    const sc = this.classes[c];
    const s = l >>> sc.shift;
    const per = 1 << sc.shift;
    const free = sc.slabFree[s] as Uint16Array;
    (sc.slabOwner[s] as Uint32Array)[l & (per - 1)] = 0;
    free[sc.slabFreeTop[s]++] = l & (per - 1);
    sc.freeSlots++;
    if (sc.slabFreeTop[s] === per && sc.freeSlots - per >= per / 2) {
      // Wholly free and the class has spare room elsewhere: drop the slab.
      sc.freeSlots -= per;
      this.dropSlab(sc, s);
      return;
    }
    if (sc.inAvail[s] !== 1) {
      sc.inAvail[s] = 1;
      sc.avail.push(s);
    }
    if (sc.freeSlots >= 2 * per) this.compact(c);
  }

  private dropSlab(sc: SizeClass, s: number): void {
    sc.slabs[s] = null;
    sc.slabFree[s] = null;
    sc.slabOwner[s] = null;
    sc.slabFreeTop[s] = 0;
    this.slabBytes -= sc.size << sc.shift;
    sc.released.push(s);
  }

  /** Empties class c's slab with the most free slots into the other slabs, and drops it. */
  private compact(c: number): void {
    const sc = this.classes[c];
    const per = 1 << sc.shift;
    let victim = -1;
    let most = -1;
    for (let s = 0; s < sc.slabs.length; s++) {
      if (sc.slabs[s] !== null && sc.slabFreeTop[s] > most) {
        most = sc.slabFreeTop[s];
        victim = s;
      }
    }
    // The other slabs must take its chunks without a new slab.
    if (victim < 0 || sc.freeSlots - most < per - most) return;
    sc.freeSlots -= most;
    sc.slabFreeTop[victim] = 0; // take() hands out none of its locations from now on
    const src = sc.slabs[victim] as Uint8Array;
    const owner = sc.slabOwner[victim] as Uint32Array;
    for (let k = 0; k < per; k++) {
      if (owner[k] === 0) continue;
      const slot = owner[k] - 1;
      const l = this.take(c, slot);
      const base = k * sc.size;
      (sc.slabs[l >>> sc.shift] as Uint8Array).set(src.subarray(base, base + Math.ceil(this.st.bitPos[slot] / 8)),
        (l & (per - 1)) * sc.size);
      this.loc[slot] = l;
    }
    this.dropSlab(sc, victim);
  }

  /** Moves slot's chunk to the next size class that leaves room for a worst-case sample. */
  private moveUp(slot: number): number {
    const old = this.cls[slot];
    const used = Math.ceil(this.st.bitPos[slot] / 8);
    let c = old + 1;
    while (c < this.classes.length && this.st.bitPos[slot] + MAX_SAMPLE_BITS > this.classes[c].size * 8) c++;
    if (c >= this.classes.length) throw new Error('chunk pool: chunk exceeds the largest size class');
    const from = this.classes[old];
    const oldLoc = this.loc[slot];
    const src = from.slabs[oldLoc >>> from.shift] as Uint8Array;
    const srcBase = (oldLoc & ((1 << from.shift) - 1)) * from.size;
    const l = this.take(c, slot);
    const to = this.classes[c];
    (to.slabs[l >>> to.shift] as Uint8Array).set(src.subarray(srcBase, srcBase + used), (l & ((1 << to.shift) - 1)) * to.size);
    this.give(old, oldLoc);
    this.cls[slot] = c;
    this.loc[slot] = l;
    return c;
  }

  private releaseStorage(slot: number): void {
    const c = this.cls[slot];
    if (c !== NO_CLASS) this.give(c, this.loc[slot]);
    this.cls[slot] = NO_CLASS;
  }

  private growSlots(): void {
    const n = this.capacity + 1;
    const st = this.st;
    st.prevT = growColumn(st.prevT, Float64Array, n);
    st.prevDelta = growColumn(st.prevDelta, Float64Array, n);
    st.minT = growColumn(st.minT, Float64Array, n);
    st.vHi = growColumn(st.vHi, Uint32Array, n);
    st.vLo = growColumn(st.vLo, Uint32Array, n);
    st.bitPos = growColumn(st.bitPos, Uint32Array, n);
    st.count = growColumn(st.count, Uint32Array, n);
    st.lead = growColumn(st.lead, Uint8Array, n);
    st.trail = growColumn(st.trail, Uint8Array, n);
    this.loc = growColumn(this.loc, Uint32Array, n);
    this.cls = growColumn(this.cls, Uint8Array, n);
    this.live = growColumn(this.live, Uint8Array, n);
    this.hint = growColumn(this.hint, Uint8Array, n);
    const cap = Math.min(st.prevT.length, st.prevDelta.length, st.minT.length, st.vHi.length, st.vLo.length,
      st.bitPos.length, st.count.length, st.lead.length, st.trail.length, this.loc.length, this.cls.length,
      this.live.length, this.hint.length);
    this.cls.fill(NO_CLASS, this.capacity);
    this.capacity = cap;
  }
}
