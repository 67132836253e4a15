// Byte-level encoding helpers shared by the index and chunk files: a growable output buffer and a
// bounds-checked decoder. Integers are JS numbers up to 2^53, so varints are done with arithmetic
// above 2^31 (JS bit ops are 32-bit).
import { CorruptBlockError } from './errors.ts';


/** Append-only byte buffer that grows by doubling; `bytes()` returns a view of what was written. */
export class ByteWriter {
  buf: Buffer;
  len = 0;
  constructor(initial = 4096) {
    this.buf = Buffer.allocUnsafe(initial);
  }
  reset(): void {
    this.len = 0;
  }
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const nb = Buffer.allocUnsafe(cap);
    this.buf.copy(nb, 0, 0, this.len);
    this.buf = nb;
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.buf.writeUInt32LE(v >>> 0, this.len);
    this.len += 4;
  }
  /** Unsigned integer up to 2^48 in 8 bytes little-endian (top 2 bytes zero). */
  u64(v: number): void {
    this.ensure(8);
    this.buf.writeUIntLE(v, this.len, 6);
    this.buf.writeUInt16LE(0, this.len + 6);
    this.len += 8;
  }
  uvarint(v: number): void {
    this.ensure(8);
    const b = this.buf;
    while (v >= 0x80) {
      // `v % 128` instead of `v & 127`: v may exceed 2^32.
      b[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    b[this.len++] = v;
  }
  /** Zigzag signed varint; |v| must stay below 2^52. */
  varint(v: number): void {
    this.uvarint(v >= 0 ? v * 2 : -v * 2 - 1);
  }
  bytes(src: Uint8Array): void {
    this.ensure(src.length);
    this.buf.set(src, this.len);
    this.len += src.length;
  }
  /** Length-prefixed UTF-8 string. */
  string(s: string): void {
    const n = Buffer.byteLength(s, 'utf8');
    this.uvarint(n);
    this.ensure(n);
    this.buf.write(s, this.len, 'utf8');
    this.len += n;
  }
  view(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}

/** Bytes needed by `uvarint(v)`. */
export function uvarintSize(v: number): number {
  let n = 1;
  while (v >= 0x80) {
    v = Math.floor(v / 128);
    n++;
  }
  return n;
}

/**
 * Reads a region of a buffer. Every read is bounds-checked and a bad value throws
 * CorruptBlockError naming `file` and the absolute offset, never a RangeError.
 */
export class ByteReader {
  readonly buf: Buffer;
  readonly file: string;
  pos: number;
  end: number;
  /** File offset of buf[0] (a piece of a file read into buf), for error messages. */
  readonly base: number;
  constructor(buf: Buffer, file: string, start = 0, end = buf.length, base = 0) {
    this.buf = buf;
    this.file = file;
    this.pos = start;
    this.end = end;
    this.base = base;
  }
  fail(what: string): never {
    throw new CorruptBlockError(this.file, `${what} at offset ${this.base + this.pos}`);
  }
  remaining(): number {
    return this.end - this.pos;
  }
  u8(): number {
    if (this.pos >= this.end) this.fail('unexpected end of data');
    return this.buf[this.pos++];
  }
  u32(): number {
    if (this.pos + 4 > this.end) this.fail('unexpected end of data');
    const v = this.buf.readUInt32LE(this.pos);
    this.pos += 4;
    return v;
  }
  u64(): number {
    if (this.pos + 8 > this.end) this.fail('unexpected end of data');
    if (this.buf.readUInt16LE(this.pos + 6) !== 0) this.fail('64-bit value out of range');
    const v = this.buf.readUIntLE(this.pos, 6);
    this.pos += 8;
    return v;
  }
  uvarint(): number {
    const b = this.buf;
    let p = this.pos;
    const end = this.end;
    if (p < end && b[p] < 0x80) {
      this.pos = p + 1;
      return b[p];
    }
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 8; i++) {
      if (p >= end) this.fail('truncated varint');
      const c = b[p++];
      v += (c & 0x7f) * mul;
      if (c < 0x80) {
        this.pos = p;
        return v;
      }
      mul *= 128;
    }
    this.fail('varint too long');
  }
  varint(): number {
    const u = this.uvarint();
    return u % 2 === 0 ? u / 2 : -(u + 1) / 2;
  }
  string(): string {
    const n = this.uvarint();
    if (this.pos + n > this.end) this.fail('string runs past end of section');
    const s = this.buf.toString('utf8', this.pos, this.pos + n);
    this.pos += n;
    return s;
  }
  skip(n: number): void {
    if (this.pos + n > this.end) this.fail('unexpected end of data');
    this.pos += n;
  }
}

