// A minimal writer of the protobuf wire format, the counterpart of ProtoReader for the responses
// Strata sends in Prometheus' protobuf shapes (remote read, federation's delimited MetricFamily).
// Nested messages are written into a child writer and copied in with their length: response
// messages are small (a series' labels and chunks), so the copy costs little and keeps the code free
// of size pre-computation.
//
// Like gogo/protobuf for proto3 fields, callers skip default values (0, '', empty bytes): `double`,
// `int64` and `string` below write unconditionally, the `...Field` helpers omit defaults.
import { WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

export class ProtoWriter {
  private buf: Uint8Array;
  private view: DataView;
  /** Bytes written so far. */
  length = 0;

  constructor(initial = 256) {
    this.buf = new Uint8Array(initial);
    this.view = new DataView(this.buf.buffer);
  }

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** The bytes written, as a view (valid until the next write). */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  reset(): void {
    this.length = 0;
  }

  /** An unsigned varint of a non-negative safe integer. */
  uvarint(n: number): void {
    this.room(10);
    const b = this.buf;
    let p = this.length;
    while (n >= 0x80) {
      b[p++] = (n % 128) | 0x80;
      n = Math.floor(n / 128);
    }
    b[p++] = n;
    this.length = p;
  }

  /** An int64 varint (two's complement: a negative number takes 10 bytes). */
  int64(t: number): void {
    if (t >= 0) {
      this.uvarint(t);
      return;
    }
    this.room(10);
    let hi = Math.floor(t / TWO_32);
    let lo = (t - hi * TWO_32) >>> 0;
    hi >>>= 0;
    const b = this.buf;
    let p = this.length;
    while (hi !== 0 || lo >= 0x80) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.length = p;
  }

  key(field: number, wire: number): void {
    this.uvarint(field * 8 + wire);
  }

  /** 8 little-endian bytes; NaN payloads (the staleness marker) are kept bit-exact. */
  double(v: number): void {
    this.room(8);
    this.view.setFloat64(this.length, v, true);
    this.length += 8;
  }

  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  /** A length-delimited field holding `bytes`. */
  bytesField(field: number, bytes: Uint8Array): void {
    this.key(field, WIRE_LEN);
    this.uvarint(bytes.length);
    this.raw(bytes);
  }

  /** A string field, omitted when empty (proto3 default). */
  stringField(field: number, s: string): void {
    if (s === '') return;
    this.bytesField(field, utf8.encode(s));
  }

  /** An int64 field, omitted when 0. */
  int64Field(field: number, t: number): void {
    if (t === 0) return;
    this.key(field, WIRE_VARINT);
    this.int64(t);
  }

  /** A double field, omitted when it compares equal to 0 (so -0 too, as gogo/protobuf does). */
  doubleField(field: number, v: number): void {
    if (v === 0) return;
    this.key(field, WIRE_I64);
    this.double(v);
  }

  /** A nested message field; `inner` is written (also when empty: a repeated element must appear). */
  messageField(field: number, inner: ProtoWriter): void {
    this.bytesField(field, inner.bytes());
  }
}

/** Bytes of an unsigned varint. */
export function uvarintSize(n: number): number {
  let size = 1;
  while (n >= 0x80) {
    n = Math.floor(n / 128);
    size++;
  }
  return size;
}
