// Remote write 1.0 (prometheus.WriteRequest) from a SampleBatch, written by hand:
//
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }
//
// Two passes over the batch: sizes first, then the bytes into one exactly-sized buffer, so no
// object per sample and no intermediate buffers. A series' labels are encoded once per label set.
import type { Labels, SampleBatch } from '../model/index.ts';

const TWO_32 = 4294967296;
const utf8 = new TextEncoder();

function varintSize32(n: number): number {
  if (n < 0x80) return 1;
  if (n < 0x4000) return 2;
  if (n < 0x200000) return 3;
  if (n < 0x10000000) return 4;
  return 5;
}

/** Encoded size of an int64 varint of an integral JS number; negatives take 10 bytes. */
function varintSize64(t: number): number {
  if (t < 0) return 10;
  if (t < TWO_32) return varintSize32(t);
  let size = 5;
  let rest = Math.floor(t / 34359738368); // bits beyond the first five 7-bit groups
  while (rest > 0) {
    size++;
    rest = Math.floor(rest / 128);
  }
  return size;
}

function writeVarint32(buf: Uint8Array, pos: number, n: number): number {
  while (n >= 0x80) {
    buf[pos++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  buf[pos++] = n;
  return pos;
}

// int64 in two 32-bit halves: JS bit operators only see 32 bits.
function writeVarint64(buf: Uint8Array, pos: number, t: number): number {
  let hi = Math.floor(t / TWO_32);
  let lo = (t - hi * TWO_32) >>> 0;
  hi >>>= 0; // two's complement for negatives
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

// The Label fields of a series, encoded once per label set: producers and the scrape loop reuse
// their label arrays across rounds, so a steady agent encodes only samples (a TextEncoder call per
// label string per round made encoding ~100x slower than this).
const labelFields = new WeakMap<Labels, Uint8Array>();

function encodedLabels(ls: Labels): Uint8Array {
  let out = labelFields.get(ls);
  if (out !== undefined) return out;
  const enc: Uint8Array[] = new Array(ls.length);
  let len = 0;
  for (let i = 0; i < ls.length; i += 2) {
    const name = utf8.encode(ls[i]);
    const value = utf8.encode(ls[i + 1]);
    enc[i] = name;
    enc[i + 1] = value;
    const inner = 1 + varintSize32(name.length) + name.length + 1 + varintSize32(value.length) + value.length;
    len += 1 + varintSize32(inner) + inner;
  }
  out = new Uint8Array(len);
  let pos = 0;
  for (let i = 0; i < enc.length; i += 2) {
    const name = enc[i];
    const value = enc[i + 1];
    out[pos++] = 0x0a;
    pos = writeVarint32(out, pos, 1 + varintSize32(name.length) + name.length + 1 + varintSize32(value.length) + value.length);
    out[pos++] = 0x0a;
    pos = writeVarint32(out, pos, name.length);
    out.set(name, pos);
    pos += name.length;
    out[pos++] = 0x12;
    pos = writeVarint32(out, pos, value.length);
    out.set(value, pos);
    pos += value.length;
  }
  labelFields.set(ls, out);
  return out;
}

/** Encodes the batch as an uncompressed remote write 1.0 WriteRequest. */
export function encodeWriteRequest(b: SampleBatch): Uint8Array {
  const n = b.series.length;
  // Each series' encoded labels and message length, kept for the second pass.
  const labels: Uint8Array[] = new Array(n);
  const seriesLen = new Float64Array(n);
  let total = 0;
  for (let s = 0; s < n; s++) {
    const enc = encodedLabels(b.series[s]);
    let len = enc.length;
    for (let k = b.offsets[s]; k < b.offsets[s + 1]; k++) {
      const sl = 9 + 1 + varintSize64(b.timestamps[k]);
      len += 1 + 1 + sl; // sl < 0x80
    }
    labels[s] = enc;
    seriesLen[s] = len;
    total += 1 + varintSize32(len) + len;
  }
  const buf = new Uint8Array(total);
  const dv = new DataView(buf.buffer);
  let pos = 0;
  for (let s = 0; s < n; s++) {
    buf[pos++] = 0x0a;
    pos = writeVarint32(buf, pos, seriesLen[s]);
    buf.set(labels[s], pos);
    pos += labels[s].length;
    for (let k = b.offsets[s]; k < b.offsets[s + 1]; k++) {
      const t = b.timestamps[k];
      buf[pos++] = 0x12;
      buf[pos++] = 9 + 1 + varintSize64(t);
      buf[pos++] = 0x09;
      // setFloat64 copies the double's bits, so the staleness NaN stays bit-exact.
      dv.setFloat64(pos, b.values[k], true);
      pos += 8;
      buf[pos++] = 0x10;
      pos = writeVarint64(buf, pos, t);
    }
  }
  return buf;
}
