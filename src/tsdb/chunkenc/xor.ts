// The XOR chunk: Gorilla compression as Prometheus does it, with timestamps as delta-of-delta in
// variable-width buckets and values XOR-ed with their predecessor, storing only the meaningful bits.
//
// Layout: [0x01][count uint16 BE] then a bit stream, MSB first:
//   sample 0: t0 as sign-magnitude varint (byte aligned), value as 64 raw bits
//   sample 1: delta t1-t0 as unsigned varint (not aligned), value XOR
//   sample k: delta-of-delta bucket, value XOR
// dod buckets: '0' → 0 | '10'+14 bits | '110'+17 | '1110'+20 | '1111'+64 (two's complement).
// value XOR: '0' → same value | '10' + bits inside the previous window | '11' + 5 bits leading
// zeros + 6 bits meaningful length (0 means 64) + the bits.
// Timestamps must strictly increase within a chunk (deltas ≥ 1 ms; negative or zero deltas are
// rejected), must be safe integers, and deltas may be anything up to 2^53 ms.
import { sampleArray } from './slab.ts';
import {
  ChunkCorruptError, HEADER_BYTES, HI, LO, MAX_CHUNK_SAMPLES, ChunkReader, putSvarint, scratchHi, scratchLo,
  splitFloat, writeBits, writeBits64,
} from './bits.ts';

export const XOR_ENCODING = 1;
/** Upper bound of the bytes one appended sample can take (first sample: 8 varint + 8 raw). */
export const MAX_SAMPLE_BYTES = 20;
const TWO32 = 4294967296;

/** Encoder state of many open chunks, struct-of-arrays, indexed by slot. */
export interface XorState {
  prevT: Float64Array;
  prevDelta: Float64Array;
  vHi: Uint32Array;
  vLo: Uint32Array;
  /** Leading zeros of the current XOR window; 255 = no window yet. */
  lead: Uint8Array;
  trail: Uint8Array;
  /** Bits written, counted from the chunk's first byte. */
  bitPos: Uint32Array;
  count: Uint32Array;
  minT: Float64Array;
}

export function newXorState(n: number): XorState {
  return {
    prevT: new Float64Array(n), prevDelta: new Float64Array(n), vHi: new Uint32Array(n), vLo: new Uint32Array(n),
    lead: new Uint8Array(n), trail: new Uint8Array(n), bitPos: new Uint32Array(n), count: new Uint32Array(n),
    minT: new Float64Array(n),
  };
}

export function resetXorSlot(st: XorState, i: number): void {
  st.count[i] = 0;
  st.bitPos[i] = HEADER_BYTES * 8;
  st.lead[i] = 255;
  st.trail[i] = 0;
}

/**
 * Appends one sample to the chunk of slot i, which starts at byte `base` of buf. The caller makes
 * sure MAX_SAMPLE_BYTES are free after the current end. Throws (writing nothing) when t does not
 * strictly follow the previous timestamp or is not a safe integer.
 */
export function appendXor(st: XorState, i: number, buf: Uint8Array, base: number, t: number, v: number): void {
  const n = st.count[i];
  if (n >= MAX_CHUNK_SAMPLES) throw new Error(`chunk full: at most ${MAX_CHUNK_SAMPLES} samples`);
  if (!Number.isSafeInteger(t)) throw new Error(`timestamp ${t} is not a safe integer`);
  splitFloat(v);
  const hi = scratchHi();
  const lo = scratchLo();
  let pos: number;
  if (n === 0) {
    buf[base] = XOR_ENCODING;
    pos = putSvarint(buf, base + HEADER_BYTES, t) * 8;
    pos = writeBits(buf, pos, hi, 32);
    pos = writeBits(buf, pos, lo, 32);
    st.minT[i] = t;
    st.prevDelta[i] = 0;
    st.lead[i] = 255;
  } else {
    const delta = t - st.prevT[i];
    if (!(delta > 0) || delta > Number.MAX_SAFE_INTEGER) {
      throw new Error(`out of order sample: timestamp ${t} after ${st.prevT[i]} (chunks need strictly increasing time)`);
    }
    pos = base * 8 + st.bitPos[i];
    if (n === 1) pos = writeUvarintBits(buf, pos, delta);
    else pos = writeDod(buf, pos, delta - st.prevDelta[i]);
    st.prevDelta[i] = delta;
    pos = writeXorValue(st, i, buf, pos, hi, lo);
  }
  st.prevT[i] = t;
  st.vHi[i] = hi;
  st.vLo[i] = lo;
  st.count[i] = n + 1;
  st.bitPos[i] = pos - base * 8;
  buf[base + 1] = (n + 1) >>> 8;
  buf[base + 2] = (n + 1) & 0xff;
}

/**
 * The bits appending (t, v) to slot i would add, for a chunk holding at least one sample and t
 * after its last timestamp: what appendXor writes, computed without writing. Lets the pool use
 * the last bytes of a chunk's storage instead of keeping room for a worst-case sample.
 */
export function xorAppendBits(st: XorState, i: number, t: number, v: number): number {
  const delta = t - st.prevT[i];
  let bits: number;
  if (st.count[i] === 1) {
    bits = 8;
    for (let m = delta; m >= 128; m = Math.floor(m / 128)) bits += 8;
  } else {
    const dod = delta - st.prevDelta[i];
    bits = dod === 0 ? 1
      : dod >= -8191 && dod <= 8192 ? 16
        : dod >= -65535 && dod <= 65536 ? 20
          : dod >= -524287 && dod <= 524288 ? 24 : 68;
  }
  splitFloat(v);
  const xhi = (scratchHi() ^ st.vHi[i]) >>> 0;
  const xlo = (scratchLo() ^ st.vLo[i]) >>> 0;
  if (xhi === 0 && xlo === 0) return bits + 1;
  let lead = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
  const trail = xlo !== 0 ? 31 - Math.clz32(xlo & -xlo) : 63 - Math.clz32(xhi & -xhi);
  if (lead > 31) lead = 31;
  const pl = st.lead[i];
  const pt = st.trail[i];
  if (pl !== 255 && lead >= pl && trail >= pt) return bits + 2 + 64 - pl - pt;
  return bits + 13 + 64 - lead - trail;
}

function writeUvarintBits(buf: Uint8Array, pos: number, m: number): number {
  while (m >= 128) {
    pos = writeBits(buf, pos, (m % 128) | 0x80, 8);
    m = Math.floor(m / 128);
  }
  return writeBits(buf, pos, m, 8);
}

function writeDod(buf: Uint8Array, pos: number, dod: number): number {
  if (dod === 0) return writeBits(buf, pos, 0, 1);
  if (dod >= -8191 && dod <= 8192) return writeBits(buf, pos, (0b10 << 14) | (dod & 0x3fff), 16);
  if (dod >= -65535 && dod <= 65536) return writeBits(buf, pos, (0b110 << 17) | (dod & 0x1ffff), 20);
  if (dod >= -524287 && dod <= 524288) return writeBits(buf, pos, (0b1110 << 20) | (dod & 0xfffff), 24);
  pos = writeBits(buf, pos, 0b1111, 4);
  const hi = Math.floor(dod / TWO32);
  return writeBits64(buf, pos, hi, dod - hi * TWO32, 64);
}

/** Writes the XOR of (hi, lo) against slot i's previous value and updates its window. */
export function writeXorValue(st: XorState, i: number, buf: Uint8Array, pos: number, hi: number, lo: number): number {
  const xhi = (hi ^ st.vHi[i]) >>> 0;
  const xlo = (lo ^ st.vLo[i]) >>> 0;
  if (xhi === 0 && xlo === 0) return writeBits(buf, pos, 0, 1);
  let lead = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
  const trail = xlo !== 0 ? 31 - Math.clz32(xlo & -xlo) : 63 - Math.clz32(xhi & -xhi);
  if (lead > 31) lead = 31; // the field has 5 bits
  const pl = st.lead[i];
  const pt = st.trail[i];
  if (pl !== 255 && lead >= pl && trail >= pt) {
    pos = writeBits(buf, pos, 0b10, 2);
    return writeShifted(buf, pos, xhi, xlo, pt, 64 - pl - pt);
  }
  st.lead[i] = lead;
  st.trail[i] = trail;
  const sig = 64 - lead - trail;
  pos = writeBits(buf, pos, (0b11 << 11) | (lead << 6) | (sig & 63), 13);
  return writeShifted(buf, pos, xhi, xlo, trail, sig);
}

function writeShifted(buf: Uint8Array, pos: number, xhi: number, xlo: number, shift: number, sig: number): number {
  if (shift >= 32) return writeBits64(buf, pos, 0, xhi >>> (shift - 32), sig);
  if (shift === 0) return writeBits64(buf, pos, xhi, xlo, sig);
  return writeBits64(buf, pos, xhi >>> shift, ((xlo >>> shift) | (xhi << (32 - shift))) >>> 0, sig);
}

// One-slot state and a growable buffer for encoding whole chunks at once.
const one = newXorState(1);
let scratch = new Uint8Array(4096);

export function scratchBuffer(bytes: number): Uint8Array {
  if (scratch.length < bytes) scratch = new Uint8Array(Math.max(bytes, scratch.length * 2));
  return scratch;
}

export function encodeXor(ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number): Uint8Array {
  const n = to - from;
  if (n > MAX_CHUNK_SAMPLES) throw new Error(`chunk of ${n} samples: at most ${MAX_CHUNK_SAMPLES}`);
  const buf = scratchBuffer(HEADER_BYTES + (n + 1) * MAX_SAMPLE_BYTES);
  resetXorSlot(one, 0);
  buf[0] = XOR_ENCODING;
  buf[1] = 0;
  buf[2] = 0;
  for (let k = from; k < to; k++) appendXor(one, 0, buf, 0, ts[k], vs[k]);
  return buf.slice(0, Math.ceil(one.bitPos[0] / 8));
}

/**
 * Reads one XOR-coded value (the '0' / '10' / '11' scheme) against the previous value held in
 * st.hi/st.lo, leaving the new value there and updating the window in st.lead/st.trail.
 */
export function readXorValue(r: ChunkReader, st: { hi: number; lo: number; lead: number; trail: number }): void {
  if (r.readBit() === 0) return;
  let lead: number;
  let trail: number;
  let sig: number;
  if (r.readBit() === 0) {
    if (st.lead === 255) throw new ChunkCorruptError('value window used before it was set');
    lead = st.lead;
    trail = st.trail;
    sig = 64 - lead - trail;
  } else {
    const b = r.readBits(11);
    lead = b >>> 6;
    sig = b & 63;
    if (sig === 0) sig = 64;
    trail = 64 - lead - sig;
    if (trail < 0) throw new ChunkCorruptError('value window exceeds 64 bits');
    st.lead = lead;
    st.trail = trail;
  }
  let shi = 0;
  let slo: number;
  if (sig > 32) {
    shi = r.readBits(sig - 32);
    slo = r.readBits(32);
  } else {
    slo = r.readBits(sig);
  }
  let xhi: number;
  let xlo: number;
  if (trail >= 32) {
    xhi = slo << (trail - 32);
    xlo = 0;
  } else if (trail === 0) {
    xhi = shi;
    xlo = slo;
  } else {
    xhi = (shi << trail) | (slo >>> (32 - trail));
    xlo = slo << trail;
  }
  st.hi = (st.hi ^ xhi) >>> 0;
  st.lo = (st.lo ^ xlo) >>> 0;
}

const valState = { hi: 0, lo: 0, lead: 255, trail: 0 };

/** Where a decode of an XOR chunk stopped: enough to continue after samples appended since. */
export interface XorCursor {
  /** Samples decoded so far (0: none, start from the header). */
  count: number;
  bitPos: number;
  t: number;
  delta: number;
  hi: number;
  lo: number;
  lead: number;
  trail: number;
}

export function newXorCursor(): XorCursor {
  return { count: 0, bitPos: 0, t: 0, delta: 0, hi: 0, lo: 0, lead: 255, trail: 0 };
}

// Values are assembled as bit pairs in a scratch array and copied out whole (a byte copy, so NaN
// payloads survive): a Uint32Array view of each result's own buffer would make V8 give every
// small result array an ArrayBuffer of its own, which costs more than decoding a head chunk.
let valueScratch = new Float64Array(256);
let valueScratchWords = new Uint32Array(valueScratch.buffer);
const scratchCursor = newXorCursor();

export function decodeXor(chunk: Uint8Array, n: number): { timestamps: Float64Array; values: Float64Array } {
  const timestamps = sampleArray(n);
  const values = sampleArray(n);
  if (n === 0) {
    if (chunk.length !== HEADER_BYTES) throw new ChunkCorruptError('empty chunk with trailing bytes');
    return { timestamps, values };
  }
  if (valueScratch.length < n) {
    valueScratch = new Float64Array(Math.max(n, valueScratch.length * 2));
    valueScratchWords = new Uint32Array(valueScratch.buffer);
  }
  scratchCursor.count = 0;
  decodeXorInto(chunk, n, scratchCursor, timestamps, valueScratchWords);
  values.set(valueScratch.subarray(0, n));
  return { timestamps, values };
}

/**
 * Decodes samples [c.count, n) of an XOR chunk of n samples (n ≥ 1) into timestamps[k] and the
 * value words vw[2k], vw[2k+1] (HI/LO order of a Float64Array's Uint32Array view), continuing
 * from cursor c, which is left after sample n-1. The chunk must end after sample n-1.
 */
export function decodeXorInto(chunk: Uint8Array, n: number, c: XorCursor, timestamps: Float64Array, vw: Uint32Array): void {
  // The hot loop of every read: bits are taken from 32-bit windows (peek32) held in locals, each
  // sample's control bits decoded from one window, instead of a reader call per bit. Reads past
  // the end see zeros; the position is checked against the end after every sample.
  const r = new ChunkReader(chunk, HEADER_BYTES);
  const endBits = r.endBits;
  let k = c.count;
  let t: number;
  let delta: number;
  let hi: number;
  let lo: number;
  let lead: number;
  let trail: number;
  if (k === 0) {
    t = r.readSvarint();
    hi = r.readBits(32);
    lo = r.readBits(32);
    lead = 255;
    trail = 0;
    timestamps[0] = t;
    vw[HI] = hi;
    vw[LO] = lo;
    delta = 0;
    k = 1;
  } else {
    r.pos = c.bitPos;
    t = c.t;
    delta = c.delta;
    hi = c.hi;
    lo = c.lo;
    lead = c.lead;
    trail = c.trail;
  }
  let pos = r.pos;
  for (; k < n; k++) {
    if (k === 1) {
      r.pos = pos;
      delta = r.readUvarint();
      pos = r.pos;
    } else {
      const p = peek32(chunk, pos);
      if (p >>> 31 === 0) {
        pos += 1;
      } else if (p >>> 30 === 2) {
        const u = (p << 2) >>> 18;
        delta += u > 8192 ? u - 16384 : u;
        pos += 16;
      } else if (p >>> 29 === 6) {
        const u = (p << 3) >>> 15;
        delta += u > 65536 ? u - 131072 : u;
        pos += 20;
      } else if (p >>> 28 === 14) {
        const u = (p << 4) >>> 12;
        delta += u > 524288 ? u - 1048576 : u;
        pos += 24;
      } else {
        const dod = (peek32(chunk, pos + 4) | 0) * TWO32 + peek32(chunk, pos + 36);
        if (!Number.isSafeInteger(dod)) throw new ChunkCorruptError('delta-of-delta out of range');
        delta += dod;
        pos += 68;
      }
    }
    if (!(delta > 0)) throw new ChunkCorruptError(`non-increasing timestamp at sample ${k}`);
    t += delta;
    if (!Number.isSafeInteger(t)) throw new ChunkCorruptError(`timestamp out of range at sample ${k}`);
    const q = peek32(chunk, pos);
    if (q >>> 31 === 0) {
      pos += 1;
    } else {
      if (q >>> 30 === 2) {
        if (lead === 255) throw new ChunkCorruptError('value window used before it was set');
        pos += 2;
      } else {
        const b = (q << 2) >>> 21;
        lead = b >>> 6;
        let sig = b & 63;
        if (sig === 0) sig = 64;
        trail = 64 - lead - sig;
        if (trail < 0) throw new ChunkCorruptError('value window exceeds 64 bits');
        pos += 13;
      }
      const sig = 64 - lead - trail;
      let shi = 0;
      let slo: number;
      if (sig > 32) {
        shi = peek32(chunk, pos) >>> (64 - sig);
        slo = peek32(chunk, pos + sig - 32);
      } else {
        slo = peek32(chunk, pos) >>> (32 - sig);
      }
      pos += sig;
      if (trail >= 32) {
        hi ^= slo << (trail - 32);
      } else if (trail === 0) {
        hi ^= shi;
        lo ^= slo;
      } else {
        hi ^= (shi << trail) | (slo >>> (32 - trail));
        lo ^= slo << trail;
      }
      hi >>>= 0;
      lo >>>= 0;
    }
    if (pos > endBits) throw new ChunkCorruptError('truncated bit stream');
    timestamps[k] = t;
    vw[2 * k + HI] = hi;
    vw[2 * k + LO] = lo;
  }
  r.pos = pos;
  r.finish();
  c.count = n;
  c.bitPos = pos;
  c.t = t;
  c.delta = delta;
  c.hi = hi;
  c.lo = lo;
  c.lead = lead;
  c.trail = trail;
}

/** The 32 bits of `buf` from bit `pos` on (MSB first); bytes past the end read as zeros. */
function peek32(buf: Uint8Array, pos: number): number {
  const i = pos >>> 3;
  const used = pos & 7;
  const w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
  return used === 0 ? w >>> 0 : ((w << used) | (buf[i + 4] >>> (8 - used))) >>> 0;
}
