// Bit- and byte-level primitives shared by the codecs. JS bit operations are 32-bit, so 64-bit
// quantities (float bit patterns, large timestamps) are handled as two uint32 halves, and integers
// beyond 32 bits (varints of timestamps) with plain arithmetic on doubles, which is exact up to 2^53.

/** Every chunk starts with [encoding byte][sample count, uint16 big-endian]. */
export const HEADER_BYTES = 3;
export const MAX_CHUNK_SAMPLES = 0xffff;

export class ChunkCorruptError extends Error {
  constructor(message: string) {
    super(`corrupt chunk: ${message}`);
    this.name = 'ChunkCorruptError';
  }
}

// Float64 <-> two uint32 halves, through one shared scratch buffer (no allocation per call).
const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
export const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
/** Index of the high / low uint32 half of a float64 inside a Uint32Array view. */
export const HI = LITTLE_ENDIAN ? 1 : 0;
export const LO = LITTLE_ENDIAN ? 0 : 1;

/** Loads v's bit pattern into the scratch halves; read them with scratchHi()/scratchLo(). */
export function splitFloat(v: number): void {
  f64[0] = v;
}
export function scratchHi(): number {
  return u32[HI];
}
export function scratchLo(): number {
  return u32[LO];
}
export function joinFloat(hi: number, lo: number): number {
  u32[HI] = hi;
  u32[LO] = lo;
  return f64[0];
}

/**
 * Writes the low n bits (1..32) of val MSB-first at bit position pos of buf and returns the new
 * position. The partly filled byte at pos is rewritten whole (its used high bits kept, the rest
 * zero), so buffers never need zeroing — important for recycled slab slots.
 */
export function writeBits(buf: Uint8Array, pos: number, val: number, n: number): number {
  const used = pos & 7;
  const end = used + n;
  if (end > 32) {
    // Rare (n ≥ 26 at an odd offset): split in two.
    pos = writeBits(buf, pos, val >>> 16, n - 16);
    return writeBits(buf, pos, val & 0xffff, 16);
  }
  const i = pos >>> 3;
  // Left-align the kept bits of byte i and the new bits into one 32-bit word.
  let w = (n === 32 ? val : val & ((1 << n) - 1)) << (32 - end);
  if (used !== 0) w |= (buf[i] >>> (8 - used)) << (32 - used);
  buf[i] = w >>> 24;
  if (end > 8) {
    buf[i + 1] = w >>> 16;
    if (end > 16) {
      buf[i + 2] = w >>> 8;
      if (end > 24) buf[i + 3] = w;
    }
  }
  return pos + n;
}

/** Writes the low n bits (0..64) of the 64-bit number hi:lo. */
export function writeBits64(buf: Uint8Array, pos: number, hi: number, lo: number, n: number): number {
  if (n > 32) {
    pos = writeBits(buf, pos, hi, n - 32);
    return writeBits(buf, pos, lo, 32);
  }
  return n === 0 ? pos : writeBits(buf, pos, lo, n);
}

/**
 * Sign-magnitude varint for integers up to ±2^53: first byte = [more:1][sign:1][6 bits], then
 * [more:1][7 bits]. Same size as a zig-zag varint, but exact for the whole safe-integer range
 * because it never computes 2·|x| (which would exceed 2^53).
 */
export function putSvarint(buf: Uint8Array, off: number, x: number): number {
  let m = x < 0 ? -x : x;
  let b = (m % 64) | (x < 0 ? 0x40 : 0);
  m = Math.floor(m / 64);
  if (m > 0) b |= 0x80;
  buf[off++] = b;
  while (m > 0) {
    b = m % 128;
    m = Math.floor(m / 128);
    buf[off++] = m > 0 ? b | 0x80 : b;
  }
  return off;
}

export function putUvarint(buf: Uint8Array, off: number, m: number): number {
  while (m >= 128) {
    buf[off++] = (m % 128) | 0x80;
    m = Math.floor(m / 128);
  }
  buf[off++] = m;
  return off;
}

export function svarintSize(x: number): number {
  let m = x < 0 ? -x : x;
  if (m < 64) return 1;
  if (m < 8192) return 2;
  if (m < 1048576) return 3;
  let n = 1;
  m = Math.floor(m / 64);
  while (m > 0) {
    n++;
    m = Math.floor(m / 128);
  }
  return n;
}

/** Bits needed for a non-negative integer < 2^53. */
export function bitLength(m: number): number {
  if (m < 4294967296) return 32 - Math.clz32(m);
  return 64 - Math.clz32(Math.floor(m / 4294967296));
}

/**
 * Sequential reader over a byte range, with bit and byte access. Every read checks the end, so a
 * truncated or corrupt chunk raises ChunkCorruptError instead of reading zeros past the end.
 */
export class ChunkReader {
  buf: Uint8Array;
  /** Bit position (bit reads) — byte reads use and advance it in whole bytes. */
  pos: number;
  readonly endBits: number;

  constructor(buf: Uint8Array, startByte: number) {
    this.buf = buf;
    this.pos = startByte * 8;
    this.endBits = buf.length * 8;
  }

  /** The next n bits (1 ≤ n ≤ 32) as an unsigned number. */
  readBits(n: number): number {
    const pos = this.pos;
    if (pos + n > this.endBits) throw new ChunkCorruptError('truncated bit stream');
    this.pos = pos + n;
    const buf = this.buf;
    const i = pos >>> 3;
    const used = pos & 7;
    // Bytes past the end read as 0 (undefined in a bit operation): the check above keeps them
    // out of the result. One 32-bit window covers used + n ≤ 32; the rest comes from a fifth byte.
    const w = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
    const top = (w << used) >>> (32 - n);
    const extra = used + n - 32;
    return extra > 0 ? (top | (buf[i + 4] >>> (8 - extra))) >>> 0 : top;
  }

  readBit(): number {
    const pos = this.pos;
    if (pos >= this.endBits) throw new ChunkCorruptError('truncated bit stream');
    this.pos = pos + 1;
    return (this.buf[pos >>> 3] >>> (7 - (pos & 7))) & 1;
  }

  /** Reads a byte at a byte boundary or mid-byte alike (varints inside the XOR bit stream). */
  readByte(): number {
    if ((this.pos & 7) === 0) {
      if (this.pos >= this.endBits) throw new ChunkCorruptError('truncated');
      const b = this.buf[this.pos >>> 3];
      this.pos += 8;
      return b;
    }
    return this.readBits(8);
  }

  readSvarint(): number {
    let b = this.readByte();
    const neg = (b & 0x40) !== 0;
    let m = b & 0x3f;
    let mul = 64;
    while (b & 0x80) {
      if (mul > 2 ** 49) throw new ChunkCorruptError('varint too long');
      b = this.readByte();
      m += (b & 0x7f) * mul;
      mul *= 128;
    }
    if (m > Number.MAX_SAFE_INTEGER) throw new ChunkCorruptError('varint out of range');
    return neg ? -m : m;
  }

  readUvarint(): number {
    let b = this.readByte();
    let m = b & 0x7f;
    let mul = 128;
    while (b & 0x80) {
      if (mul > 2 ** 49) throw new ChunkCorruptError('varint too long');
      b = this.readByte();
      m += (b & 0x7f) * mul;
      mul *= 128;
    }
    if (m > Number.MAX_SAFE_INTEGER) throw new ChunkCorruptError('varint out of range');
    return m;
  }

  /** Skips to the next byte boundary; the skipped padding bits must be zero. */
  alignByte(): void {
    const used = this.pos & 7;
    if (used === 0) return;
    if (this.buf[this.pos >>> 3] & (0xff >>> used)) throw new ChunkCorruptError('non-zero padding bits');
    this.pos += 8 - used;
  }

  /** Checks that the chunk ends here: zero padding, then nothing. */
  finish(): void {
    this.alignByte();
    if (this.pos !== this.endBits) throw new ChunkCorruptError('trailing bytes after the last sample');
  }
}
