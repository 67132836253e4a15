// Prometheus' XOR chunk encoding, for streamed remote read. Strata's own XOR chunks use the same
// Gorilla bit stream for the samples after the first, but not Prometheus' framing: they carry an
// encoding byte before the 16-bit sample count and write the first timestamp as a sign-magnitude
// varint (Prometheus: zig-zag); block chunks may also be DEC-encoded, and the storage's read API
// hands out decoded samples. So the chunks are encoded here from the samples read, in Prometheus'
// layout:
//
//   [sample count: uint16 big-endian]
//   sample 0: timestamp as zig-zag varint, value as 64 raw bits
//   sample 1: timestamp delta as uvarint (bit-aligned from here on), value XOR
//   sample k: delta-of-delta in buckets '0' | '10'+14 bits | '110'+17 | '1110'+20 | '1111'+64,
//             value XOR: '0' same | '10' bits within the previous window | '11' + 5 bits leading
//             zeros (at most 31) + 6 bits length (64 written as 0) + the bits.
//
// The bucket ranges are Prometheus' (-(2^(n-1)-1) ..= 2^(n-1)), which its decoder relies on.

/** Samples per chunk, as Prometheus' head cuts them. */
export const SAMPLES_PER_CHUNK = 120;

const TWO_32 = 4294967296;
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const HI = LE ? 1 : 0;
const LO = LE ? 0 : 1;

class BitWriter {
  buf: Uint8Array;
  pos = 0;
  constructor(bytes: number) {
    this.buf = new Uint8Array(bytes);
  }
  /** Writes the low n (≤ 32) bits of v, most significant first. */
  bits(v: number, n: number): void {
    if (((this.pos + n + 7) >>> 3) > this.buf.length) {
      const next = new Uint8Array(this.buf.length * 2 + 16);
      next.set(this.buf);
      this.buf = next;
    }
    while (n > 0) {
      const free = 8 - (this.pos & 7);
      const take = free < n ? free : n;
      const part = (v >>> (n - take)) & ((1 << take) - 1);
      this.buf[this.pos >>> 3] |= part << (free - take);
      this.pos += take;
      n -= take;
    }
  }
  /** An unsigned varint of a non-negative number below 2^63 (exact below 2^53, and for evens to 2^54). */
  uvarint(n: number): void {
    while (n >= 128) {
      this.bits((n % 128) | 0x80, 8);
      n = Math.floor(n / 128);
    }
    this.bits(n, 8);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, (this.pos + 7) >>> 3);
  }
}

/** Encodes samples [from, to) (at most 65535, strictly increasing integer timestamps) as one chunk. */
export function encodeXorChunk(ts: Float64Array, vs: Float64Array, from: number, to: number): Uint8Array {
  const n = to - from;
  const w = new BitWriter(2 + 18 + n * 4);
  w.bits(n, 16);
  if (n === 0) return w.bytes();
  const t0 = ts[from];
  if (Math.abs(t0) < 2 ** 52) w.uvarint(t0 >= 0 ? 2 * t0 : -2 * t0 - 1);
  else zigzagBig(w, t0);
  f64[0] = vs[from];
  let hi = u32[HI];
  let lo = u32[LO];
  w.bits(hi, 32);
  w.bits(lo, 32);
  let lead = 0xff;
  let trail = 0;
  let prevT = t0;
  let prevDelta = 0;
  for (let k = from + 1; k < to; k++) {
    const t = ts[k];
    const delta = t - prevT;
    if (k === from + 1) {
      w.uvarint(delta);
    } else {
      const dod = delta - prevDelta;
      if (dod === 0) w.bits(0, 1);
      else if (dod >= -8191 && dod <= 8192) { w.bits(0b10, 2); w.bits(dod & 0x3fff, 14); }
      else if (dod >= -65535 && dod <= 65536) { w.bits(0b110, 3); w.bits(dod & 0x1ffff, 17); }
      else if (dod >= -524287 && dod <= 524288) { w.bits(0b1110, 4); w.bits(dod & 0xfffff, 20); }
      else {
        w.bits(0b1111, 4);
        const h = Math.floor(dod / TWO_32);
        w.bits(h >>> 0, 32);
        w.bits((dod - h * TWO_32) >>> 0, 32);
      }
    }
    prevDelta = delta;
    prevT = t;

    f64[0] = vs[k];
    const xhi = (u32[HI] ^ hi) >>> 0;
    const xlo = (u32[LO] ^ lo) >>> 0;
    hi = u32[HI];
    lo = u32[LO];
    if (xhi === 0 && xlo === 0) {
      w.bits(0, 1);
      continue;
    }
    let l = xhi !== 0 ? Math.clz32(xhi) : 32 + Math.clz32(xlo);
    const tr = xlo !== 0 ? 31 - Math.clz32(xlo & -xlo) : 63 - Math.clz32(xhi & -xhi);
    if (l > 31) l = 31;
    if (lead !== 0xff && l >= lead && tr >= trail) {
      w.bits(0b10, 2);
      writeShifted(w, xhi, xlo, trail, 64 - lead - trail);
    } else {
      lead = l;
      trail = tr;
      const sig = 64 - l - tr;
      w.bits(0b11, 2);
      w.bits(l, 5);
      w.bits(sig & 63, 6);
      writeShifted(w, xhi, xlo, tr, sig);
    }
  }
  return w.bytes();
}

/** Writes the `sig` bits of (hi, lo) >> shift. */
function writeShifted(w: BitWriter, hi: number, lo: number, shift: number, sig: number): void {
  let shi: number;
  let slo: number;
  if (shift === 0) {
    shi = hi;
    slo = lo;
  } else if (shift < 32) {
    shi = hi >>> shift;
    slo = ((lo >>> shift) | (hi << (32 - shift))) >>> 0;
  } else {
    shi = 0;
    slo = hi >>> (shift - 32);
  }
  if (sig > 32) {
    w.bits(shi, sig - 32);
    w.bits(slo, 32);
  } else {
    w.bits(slo, sig);
  }
}

// A first timestamp beyond ±2^52 ms (year 142,000 and later): the zig-zag value leaves the range
// a double holds exactly, so it is computed in BigInt.
function zigzagBig(w: BitWriter, t: number): void {
  const b = BigInt(t);
  let z = b >= 0n ? b << 1n : ((-b) << 1n) - 1n;
  while (z >= 128n) {
    w.bits(Number(z & 0x7fn) | 0x80, 8);
    z >>= 7n;
  }
  w.bits(Number(z), 8);
}

/** A series' samples as Prometheus-style chunks of at most SAMPLES_PER_CHUNK samples. */
export function encodeSeriesChunks(ts: Float64Array, vs: Float64Array): { minTimeMs: number; maxTimeMs: number; data: Uint8Array }[] {
  const out = [];
  for (let a = 0; a < ts.length; a += SAMPLES_PER_CHUNK) {
    const b = Math.min(ts.length, a + SAMPLES_PER_CHUNK);
    out.push({ minTimeMs: ts[a], maxTimeMs: ts[b - 1], data: encodeXorChunk(ts, vs, a, b) });
  }
  return out;
}
