// The DEC chunk: an encoding for immutable blocks in the spirit of VictoriaMetrics. Most metric
// values are decimals with few digits (counters read as integers, kB, centiseconds, two-decimal
// load averages), so the chunk's values are turned into integer mantissas with one common decimal
// exponent — only when that round-trips bit-exactly — and the integers are then coded as deltas,
// delta-of-deltas or offsets from a straight line, whichever is smallest, each packed in the
// smallest of a few integer-sequence forms. Timestamps get the same integer treatment. A few values
// that are not exact decimals (a staleness marker, -0, one odd float) ride along as exceptions;
// when there are more, the values keep Gorilla XOR coding while the timestamps still use the
// integer scheme. Each value's decimal round trip is checked before the decimal path is taken.
//
// Layout: [0x02][count uint16 BE]
//   timestamps: int series (below)
//   values:     byte 0 → XOR value bit stream (Gorilla, first value raw) to the end of the chunk
//               byte 1 → byte d (decimals, 0..22); uvarint e, then e exceptions (uvarint gap to
//                        the previous exception's index, 8 raw bytes big-endian); int series of
//                        mantissas. value = m / 10^d except at exceptions, which hold raw bit
//                        patterns (a staleness marker or an odd float in an otherwise decimal chunk).
// int series: svarint x0; when n ≥ 2: byte kind; kind 0 = int seq of the n-1 deltas;
//             kind 1 = svarint first delta, int seq of the n-2 delta-of-deltas;
//             kind 2 = svarint step D, int seq of the n-1 residuals x_k - x_0 - k·D (a regular
//             grid: scrape timestamps with jitter cost the jitter's bits, not twice them).
// int seq (k integers): byte mode
//   0: all zero              1: svarint each
//   2: svarints where each 0 is followed by a uvarint count of further zeros (runs of no change)
//   3: frame of reference: svarint min, uvarint gcd, byte width w ≤ 53, then k × w bits of
//      (x - min) / gcd, MSB first, padded to a byte (regular scrape intervals and counters that grow
//      by similar amounts need only a few bits; page-sized memory gauges have gcd 4096).
import {
  ChunkCorruptError, HEADER_BYTES, HI, LO, MAX_CHUNK_SAMPLES, ChunkReader, bitLength, putSvarint, putUvarint,
  scratchHi, scratchLo, splitFloat, svarintSize, writeBits, writeBits64,
} from './bits.ts';
import { sampleArray } from './slab.ts';
import { newXorState, readXorValue, resetXorSlot, writeXorValue } from './xor.ts';

export const DEC_ENCODING = 2;
const VALUES_XOR = 0;
const VALUES_DECIMAL = 1;
const KIND_DELTA = 0;
const KIND_DOD = 1;
const KIND_GRID = 2;
const SEQ_ZERO = 0;
const SEQ_VARINT = 1;
const SEQ_ZERO_RUNS = 2;
const SEQ_FOR = 3;
const MAX_DECIMALS = 22; // 10^22 is the largest power of ten a double holds exactly
const MAX_FOR_WIDTH = 53;
const TWO32 = 4294967296;

const POW10 = new Float64Array(MAX_DECIMALS + 1);
for (let i = 0; i <= MAX_DECIMALS; i++) POW10[i] = Number(`1e${i}`);

// Reusable work arrays (encoding runs on one thread, one chunk at a time).
let work = new Float64Array(1024);
let diffs = new Float64Array(3072);
let excPos = new Int32Array(1024);
let excCount = 0;
const decHist = new Int32Array(MAX_DECIMALS + 2);
let buf = new Uint8Array(8192);

function ensureWork(n: number): void {
  if (work.length < n) {
    work = new Float64Array(n * 2);
    excPos = new Int32Array(n * 2);
  }
  if (diffs.length < 3 * n) diffs = new Float64Array(n * 6);
  // Worst case: XOR values (≤ 10 bytes each) plus timestamps as varints (≤ 8 bytes each).
  const need = HEADER_BYTES + 64 + n * 20;
  if (buf.length < need) buf = new Uint8Array(need * 2);
}

function isDecimalCandidate(v: number): boolean {
  return v - v === 0 && !(v === 0 && 1 / v < 0); // finite and not -0
}

/**
 * The common decimal count d with value == round(v·10^d)/10^d bit-exactly and the mantissa a safe
 * integer for all but a few values (at most n/16, the exceptions: NaN payloads, ±Inf, -0, odd
 * floats), or -1 when the chunk is not decimal. Mantissas land in `work` (an exception repeats
 * its neighbour's mantissa, so it costs nothing in the integer stream), exception indices in
 * excPos[0..excCount).
 */
function toDecimal(vs: ArrayLike<number>, from: number, to: number): number {
  const n = to - from;
  const limit = n >> 4;
  // Histogram of each value's own smallest decimal count (MAX_DECIMALS + 1 = none). The chunk's d
  // may leave a few values as exceptions: one full-precision float among counters must not drag
  // every mantissa to 15 decimals and past 2^53.
  const hist = decHist;
  hist.fill(0);
  let none = 0;
  for (let k = from; k < to; k++) {
    const v = vs[k];
    let dv = 0;
    if (isDecimalCandidate(v)) {
      for (;;) {
        const p = POW10[dv];
        const m = Math.round(v * p);
        if (m / p === v && Number.isSafeInteger(m)) break;
        if (++dv > MAX_DECIMALS) break;
      }
    } else dv = MAX_DECIMALS + 1;
    if (dv > MAX_DECIMALS && ++none > limit) return -1;
    hist[dv]++;
  }
  // An exception costs ~80 bits, one more decimal ~3.3 bits on every mantissa: leave values out
  // only while they are fewer than n/24.
  let d = MAX_DECIMALS;
  let above = none;
  while (d > 0 && above + hist[d] <= limit && hist[d] * 24 < n) above += hist[d--];
  let exc = 0;
  const p = POW10[d];
  let firstM = NaN;
  for (let k = from; k < to; k++) {
    const v = vs[k];
    const m = Math.round(v * p);
    if (isDecimalCandidate(v) && m / p === v && Number.isSafeInteger(m)) {
      work[k - from] = m;
      if (firstM !== firstM) firstM = m;
    } else {
      if (exc === limit) return -1;
      excPos[exc++] = k - from;
    }
  }
  if (firstM !== firstM) return -1;
  for (let j = 0; j < exc; j++) {
    const i = excPos[j];
    work[i] = i === 0 ? firstM : work[i - 1];
  }
  excCount = exc;
  return d;
}

// The choice seqSize made last (mode and frame-of-reference parameters), used by writeSeq.
let lastMode = 0;
let lastMin = 0;
let lastGcd = 1;
let lastWidth = 0;

function gcd(a: number, b: number): number {
  while (b !== 0) {
    const r = a % b;
    a = b;
    b = r;
  }
  return a;
}

/** Bytes of the int seq xs[off..off+k) in its smallest mode; records that mode in last*. */
function seqSize(xs: Float64Array, off: number, k: number): number {
  let allZero = true;
  let varint = 0;
  let runs = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let j = off; j < off + k; j++) {
    const x = xs[j];
    if (x !== 0) allZero = false;
    const s = svarintSize(x);
    varint += s;
    if (x === 0) {
      let r = 0;
      while (j + 1 < off + k && xs[j + 1] === 0) {
        r++;
        j++;
      }
      runs += 1 + svarintSize(r);
      varint += r; // the skipped zeros, one byte each
    } else {
      runs += s;
    }
    if (x < min) min = x;
    if (x > max) max = x;
  }
  // (the zero-run loop skipped elements for min/max, but zeros only matter through 0 itself)
  if (allZero) {
    lastMode = SEQ_ZERO;
    return 1;
  }
  let best = 1 + varint;
  lastMode = SEQ_VARINT;
  if (1 + runs < best) {
    best = 1 + runs;
    lastMode = SEQ_ZERO_RUNS;
  }
  const range = max - min;
  if (range <= Number.MAX_SAFE_INTEGER) {
    let g = 0;
    for (let j = off; j < off + k && g !== 1; j++) g = gcd(xs[j] - min, g);
    if (g === 0) g = 1;
    const w = bitLength(range / g);
    if (w <= MAX_FOR_WIDTH) {
      const size = 1 + svarintSize(min) + svarintSize(g) + 1 + Math.ceil((k * w) / 8);
      if (size < best) {
        best = size;
        lastMode = SEQ_FOR;
        lastMin = min;
        lastGcd = g;
        lastWidth = w;
      }
    }
  }
  return best;
}

// seqSize's choice per series kind, kept so writeSeq need not size the sequence again.
const choice = new Float64Array(12);

function saveChoice(kind: number): void {
  choice[4 * kind] = lastMode;
  choice[4 * kind + 1] = lastMin;
  choice[4 * kind + 2] = lastGcd;
  choice[4 * kind + 3] = lastWidth;
}

/** Writes xs[off..off+k) in the form seqSize chose for `kind` (saved by saveChoice). */
function writeSeq(xs: Float64Array, off: number, k: number, out: number, kind: number): number {
  const mode = choice[4 * kind];
  buf[out++] = mode;
  switch (mode) {
    case SEQ_ZERO:
      return out;
    case SEQ_VARINT:
      for (let j = off; j < off + k; j++) out = putSvarint(buf, out, xs[j]);
      return out;
    case SEQ_ZERO_RUNS:
      for (let j = off; j < off + k; j++) {
        const x = xs[j];
        out = putSvarint(buf, out, x);
        if (x === 0) {
          let r = 0;
          while (j + 1 < off + k && xs[j + 1] === 0) {
            r++;
            j++;
          }
          out = putUvarint(buf, out, r);
        }
      }
      return out;
    default: {
      const min = choice[4 * kind + 1];
      const g = choice[4 * kind + 2];
      const w = choice[4 * kind + 3];
      out = putSvarint(buf, out, min);
      out = putUvarint(buf, out, g);
      buf[out++] = w;
      if (w === 0) return out;
      let pos = out * 8;
      for (let j = off; j < off + k; j++) {
        const u = (xs[j] - min) / g;
        if (w <= 32) pos = writeBits(buf, pos, u, w);
        else {
          const hi = Math.floor(u / TWO32);
          pos = writeBits64(buf, pos, hi, u - hi * TWO32, w);
        }
      }
      return Math.ceil(pos / 8);
    }
  }
}

/**
 * Writes the integers work[0..n) as an int series, choosing deltas, delta-of-deltas or grid
 * residuals by size. They go to diffs[0..n-1), diffs[n..2n-2) and diffs[2n..3n-1). Returns the new
 * offset, or -1 when the deltas leave the exact integer range.
 */
function writeIntSeries(n: number, out: number): number {
  out = putSvarint(buf, out, work[0]);
  if (n === 1) return out;
  for (let k = 1; k < n; k++) {
    const d = work[k] - work[k - 1];
    if (!(Math.abs(d) <= Number.MAX_SAFE_INTEGER)) return -1;
    diffs[k - 1] = d;
  }
  const deltaSize = seqSize(diffs, 0, n - 1);
  saveChoice(KIND_DELTA);
  let dodSize = Infinity;
  if (n >= 3) {
    let ok = true;
    for (let k = 1; k < n - 1; k++) {
      const dd = diffs[k] - diffs[k - 1];
      if (!(Math.abs(dd) <= Number.MAX_SAFE_INTEGER)) {
        ok = false;
        break;
      }
      diffs[n + k - 1] = dd;
    }
    if (ok) {
      dodSize = svarintSize(diffs[0]) + seqSize(diffs, n, n - 2);
      saveChoice(KIND_DOD);
    }
  }
  let gridSize = Infinity;
  const step = n >= 3 ? Math.round((work[n - 1] - work[0]) / (n - 1)) : 0;
  if (n >= 3 && Number.isSafeInteger(step)) {
    let ok = true;
    const x0 = work[0];
    for (let k = 1; k < n; k++) {
      const kd = k * step;
      const r = work[k] - x0 - kd;
      if (!(Math.abs(kd) <= Number.MAX_SAFE_INTEGER && Math.abs(work[k] - x0) <= Number.MAX_SAFE_INTEGER && Math.abs(r) <= Number.MAX_SAFE_INTEGER)) {
        ok = false;
        break;
      }
      diffs[2 * n + k - 1] = r;
    }
    if (ok) {
      gridSize = svarintSize(step) + seqSize(diffs, 2 * n, n - 1);
      saveChoice(KIND_GRID);
    }
  }
  if (deltaSize <= dodSize && deltaSize <= gridSize) {
    buf[out++] = KIND_DELTA;
    return writeSeq(diffs, 0, n - 1, out, KIND_DELTA);
  }
  if (gridSize < dodSize) {
    buf[out++] = KIND_GRID;
    out = putSvarint(buf, out, step);
    return writeSeq(diffs, 2 * n, n - 1, out, KIND_GRID);
  }
  buf[out++] = KIND_DOD;
  out = putSvarint(buf, out, diffs[0]);
  return writeSeq(diffs, n, n - 2, out, KIND_DOD);
}

const xorOne = newXorState(1);

/**
 * Encodes samples [from, to) as a DEC chunk. Timestamps must be strictly increasing safe integers.
 */
export function encodeDec(ts: ArrayLike<number>, vs: ArrayLike<number>, from: number, to: number): Uint8Array {
  const n = to - from;
  if (n > MAX_CHUNK_SAMPLES) throw new Error(`chunk of ${n} samples: at most ${MAX_CHUNK_SAMPLES}`);
  ensureWork(n);
  buf[0] = DEC_ENCODING;
  buf[1] = n >>> 8;
  buf[2] = n & 0xff;
  if (n === 0) return buf.slice(0, HEADER_BYTES);
  for (let k = from; k < to; k++) {
    const t = ts[k];
    if (!Number.isSafeInteger(t)) throw new Error(`timestamp ${t} is not a safe integer`);
    if (k > from && !(t > ts[k - 1])) {
      throw new Error(`out of order sample: timestamp ${t} after ${ts[k - 1]} (chunks need strictly increasing time)`);
    }
    work[k - from] = t;
  }
  let out = writeIntSeries(n, HEADER_BYTES);
  if (out < 0) throw new Error('timestamp deltas exceed 2^53');
  const valuesAt = out;
  const d = toDecimal(vs, from, to);
  if (d >= 0) {
    buf[out++] = VALUES_DECIMAL;
    buf[out++] = d;
    out = putUvarint(buf, out, excCount);
    let prev = -1;
    for (let j = 0; j < excCount; j++) {
      const i = excPos[j];
      out = putUvarint(buf, out, i - prev - 1);
      prev = i;
      splitFloat(vs[from + i]);
      const hi = scratchHi();
      const lo = scratchLo();
      buf[out++] = hi >>> 24;
      buf[out++] = hi >>> 16;
      buf[out++] = hi >>> 8;
      buf[out++] = hi;
      buf[out++] = lo >>> 24;
      buf[out++] = lo >>> 16;
      buf[out++] = lo >>> 8;
      buf[out++] = lo;
    }
    out = writeIntSeries(n, out);
    if (out >= 0) return buf.slice(0, out);
  }
  // Not (exactly) decimal: Gorilla XOR for the values.
  out = valuesAt;
  buf[out++] = VALUES_XOR;
  splitFloat(vs[from]);
  let pos = writeBits(buf, out * 8, scratchHi(), 32);
  pos = writeBits(buf, pos, scratchLo(), 32);
  resetXorSlot(xorOne, 0);
  xorOne.vHi[0] = scratchHi();
  xorOne.vLo[0] = scratchLo();
  for (let k = from + 1; k < to; k++) {
    splitFloat(vs[k]);
    const hi = scratchHi();
    const lo = scratchLo();
    pos = writeXorValue(xorOne, 0, buf, pos, hi, lo);
    xorOne.vHi[0] = hi;
    xorOne.vLo[0] = lo;
  }
  return buf.slice(0, Math.ceil(pos / 8));
}

// ---- decoding ----

/**
 * The signed varint at byte p of buf, as ChunkReader.readSvarint reads it, without a method call
 * and per-byte checks of the bit position (sequences of varints are byte-aligned); the byte after
 * it goes to `varintEnd`.
 */
let varintEnd = 0;
function svarintAt(buf: Uint8Array, p: number): number {
  if (p >= buf.length) throw new ChunkCorruptError('truncated');
  let b = buf[p++];
  const neg = (b & 0x40) !== 0;
  let m = b & 0x3f;
  let mul = 64;
  while (b & 0x80) {
    if (mul > 2 ** 49) throw new ChunkCorruptError('varint too long');
    if (p >= buf.length) throw new ChunkCorruptError('truncated');
    b = buf[p++];
    m += (b & 0x7f) * mul;
    mul *= 128;
  }
  if (m > Number.MAX_SAFE_INTEGER) throw new ChunkCorruptError('varint out of range');
  varintEnd = p;
  return neg ? -m : m;
}

function readSeq(r: ChunkReader, k: number, out: Float64Array, off: number): void {
  const mode = r.readByte();
  switch (mode) {
    case SEQ_ZERO:
      out.fill(0, off, off + k);
      return;
    case SEQ_VARINT:
      if ((r.pos & 7) === 0) {
        const buf = r.buf;
        let p = r.pos >>> 3;
        for (let j = off; j < off + k; j++) {
          out[j] = svarintAt(buf, p);
          p = varintEnd;
        }
        r.pos = p * 8;
      } else {
        for (let j = off; j < off + k; j++) out[j] = r.readSvarint();
      }
      return;
    case SEQ_ZERO_RUNS:
      for (let j = off; j < off + k; j++) {
        const x = r.readSvarint();
        out[j] = x;
        if (x === 0) {
          const run = r.readUvarint();
          if (run > off + k - j - 1) throw new ChunkCorruptError('zero run past the end of the sequence');
          out.fill(0, j + 1, j + 1 + run);
          j += run;
        }
      }
      return;
    case SEQ_FOR: {
      const min = r.readSvarint();
      const g = r.readUvarint();
      const w = r.readByte();
      if (w > MAX_FOR_WIDTH || g === 0) throw new ChunkCorruptError(`bad frame of reference (width ${w}, gcd ${g})`);
      if (r.pos + k * w > r.endBits) throw new ChunkCorruptError('truncated packed integers');
      let j = off;
      if (w > 0 && w <= 25) {
        // The common case, inlined: the whole sequence was checked to be there, and a value of at
        // most 25 bits at any bit offset lies within one 4-byte word. The last few values, whose
        // word would reach past the chunk's end, go through readBits below.
        const buf = r.buf;
        const lastWord = buf.length - 4;
        let pos = r.pos;
        const shift = 32 - w;
        for (; j < off + k; j++) {
          const i = pos >>> 3;
          if (i > lastWord) break;
          const word = (buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3];
          out[j] = min + ((word << (pos & 7)) >>> shift) * g;
          pos += w;
        }
        r.pos = pos;
      }
      for (; j < off + k; j++) {
        let u: number;
        if (w === 0) u = 0;
        else if (w <= 32) u = r.readBits(w);
        else u = r.readBits(w - 32) * TWO32 + r.readBits(32);
        out[j] = min + u * g;
      }
      r.alignByte();
      return;
    }
    default:
      throw new ChunkCorruptError(`unknown integer sequence mode ${mode}`);
  }
}

/** Reads an int series of n integers into out[0..n). */
function readIntSeries(r: ChunkReader, n: number, out: Float64Array): void {
  let x = r.readSvarint();
  out[0] = x;
  if (n === 1) return;
  const kind = r.readByte();
  if (kind === KIND_DELTA) {
    readSeq(r, n - 1, out, 1);
    for (let k = 1; k < n; k++) {
      x += out[k];
      out[k] = x;
    }
  } else if (kind === KIND_DOD) {
    if (n < 3) throw new ChunkCorruptError('delta-of-delta series of fewer than 3 integers');
    let delta = r.readSvarint();
    x += delta;
    out[1] = x;
    readSeq(r, n - 2, out, 2);
    for (let k = 2; k < n; k++) {
      delta += out[k];
      x += delta;
      out[k] = x;
    }
  } else if (kind === KIND_GRID) {
    if (n < 3) throw new ChunkCorruptError('grid series of fewer than 3 integers');
    const step = r.readSvarint();
    readSeq(r, n - 1, out, 1);
    for (let k = 1; k < n; k++) out[k] = x + k * step + out[k];
  } else {
    throw new ChunkCorruptError(`unknown integer series kind ${kind}`);
  }
  // Every input is an integer, so sums are integral doubles: only their size needs a check.
  for (let k = 0; k < n; k++) {
    if (!(Math.abs(out[k]) <= Number.MAX_SAFE_INTEGER)) throw new ChunkCorruptError('integer out of range');
  }
}

const valState = { hi: 0, lo: 0, lead: 255, trail: 0 };

export function decodeDec(chunk: Uint8Array, n: number): { timestamps: Float64Array; values: Float64Array } {
  const timestamps = sampleArray(n);
  const values = sampleArray(n);
  if (n === 0) {
    if (chunk.length !== HEADER_BYTES) throw new ChunkCorruptError('empty chunk with trailing bytes');
    return { timestamps, values };
  }
  const r = new ChunkReader(chunk, HEADER_BYTES);
  readIntSeries(r, n, timestamps);
  for (let k = 1; k < n; k++) {
    if (!(timestamps[k] > timestamps[k - 1])) throw new ChunkCorruptError(`non-increasing timestamp at sample ${k}`);
  }
  const mode = r.readByte();
  if (mode === VALUES_DECIMAL) {
    const d = r.readByte();
    if (d > MAX_DECIMALS) throw new ChunkCorruptError(`decimal exponent ${d} out of range`);
    const e = r.readUvarint();
    if (e > n) throw new ChunkCorruptError(`${e} exceptions in ${n} samples`);
    let exc: Uint32Array | null = null;
    if (e > 0) {
      exc = new Uint32Array(3 * e); // index, high half, low half
      let prev = -1;
      for (let j = 0; j < e; j++) {
        const i = prev + 1 + r.readUvarint();
        if (i >= n) throw new ChunkCorruptError('exception index past the last sample');
        prev = i;
        exc[3 * j] = i;
        exc[3 * j + 1] = ((r.readByte() << 24) | (r.readByte() << 16) | (r.readByte() << 8) | r.readByte()) >>> 0;
        exc[3 * j + 2] = ((r.readByte() << 24) | (r.readByte() << 16) | (r.readByte() << 8) | r.readByte()) >>> 0;
      }
    }
    readIntSeries(r, n, values);
    const p = POW10[d];
    for (let k = 0; k < n; k++) values[k] = values[k] / p;
    if (exc !== null) {
      const vw = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
      for (let j = 0; j < exc.length; j += 3) {
        vw[2 * exc[j] + HI] = exc[j + 1];
        vw[2 * exc[j] + LO] = exc[j + 2];
      }
    }
  } else if (mode === VALUES_XOR) {
    const vw = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    const st = valState;
    st.hi = r.readBits(32);
    st.lo = r.readBits(32);
    st.lead = 255;
    st.trail = 0;
    vw[HI] = st.hi;
    vw[LO] = st.lo;
    for (let k = 1; k < n; k++) {
      readXorValue(r, st);
      vw[2 * k + HI] = st.hi;
      vw[2 * k + LO] = st.lo;
    }
  } else {
    throw new ChunkCorruptError(`unknown value mode ${mode}`);
  }
  r.finish();
  return { timestamps, values };
}

// ---- decoding part of a chunk ----
//
// Compaction re-encodes a series into chunks of up to 2,048 samples, so a 24 h block at a 60 s
// scrape interval holds each series in one chunk, and a query over its last hour needs 65 of its
// 1,440 samples. Decoding only that range: timestamps on a grid with packed (or no) residuals are
// read by position, so the range is found by binary search; other timestamps are decoded whole
// into scratch. Value integers before the range are folded into their running sum without being
// stored (packed grid residuals are skipped by position), and those after it are not read at all.

let tsScratch = new Float64Array(2048);

/** Running state of an int series while the integers before the wanted range are skipped. */
const fold = { x: 0, delta: 0 };
const FOLD_NONE = 0; // items are the integers themselves (grid residuals)
const FOLD_DELTA = 1; // items are deltas: x += item
const FOLD_DOD = 2; // items are delta-of-deltas: delta += item, x += delta

/** The w-bit packed integer at bit `pos` (w ≤ 53). Moves the reader. */
function packedAt(r: ChunkReader, pos: number, w: number): number {
  if (w === 0) return 0;
  r.pos = pos;
  return w <= 32 ? r.readBits(w) : r.readBits(w - 32) * TWO32 + r.readBits(32);
}

/**
 * Reads an int seq of k items: items [from, to) go to out[off..], items before `from` are folded
 * into `fold` by `mode`, items from `to` on are not read (the caller reads nothing after them).
 */
function readSeqRange(r: ChunkReader, k: number, from: number, to: number, out: Float64Array, off: number, mode: number): void {
  const end = Math.min(k, to);
  const seqMode = r.readByte();
  let fx = fold.x;
  let fd = fold.delta;
  if (seqMode === SEQ_FOR) {
    const min = r.readSvarint();
    const g = r.readUvarint();
    const w = r.readByte();
    if (w > MAX_FOR_WIDTH || g === 0) throw new ChunkCorruptError(`bad frame of reference (width ${w}, gcd ${g})`);
    if (r.pos + k * w > r.endBits) throw new ChunkCorruptError('truncated packed integers');
    const buf = r.buf;
    const shift = 32 - w;
    let pos = r.pos;
    let j = 0;
    if (mode === FOLD_NONE || w === 0) {
      // Nothing to sum (or every item is min): skip by position.
      if (mode === FOLD_DELTA) for (; j < from; j++) fx += min;
      else if (mode === FOLD_DOD) for (; j < from; j++) fx += (fd += min);
      pos += from * w;
      j = from;
    } else if (w <= 25) {
      // A value of at most 25 bits at any bit offset lies in one 4-byte word; the last few
      // items, whose word would reach past the chunk, take the general path below.
      const fits = Math.min(from, Math.max(0, Math.ceil(((buf.length - 3) * 8 - pos) / w)));
      if (mode === FOLD_DELTA) {
        for (; j < fits; j++) {
          const i = pos >>> 3;
          fx += min + ((((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) << (pos & 7)) >>> shift) * g;
          pos += w;
        }
      } else {
        for (; j < fits; j++) {
          const i = pos >>> 3;
          fd += min + ((((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) << (pos & 7)) >>> shift) * g;
          fx += fd;
          pos += w;
        }
      }
    }
    for (; j < from; j++) {
      const x = min + packedAt(r, pos, w) * g;
      pos += w;
      if (mode === FOLD_DELTA) fx += x;
      else fx += (fd += x);
    }
    if (w > 0 && w <= 25) {
      const fits = Math.min(end, j + Math.max(0, Math.ceil(((buf.length - 3) * 8 - pos) / w)));
      for (; j < fits; j++) {
        const i = pos >>> 3;
        out[off + j - from] = min + ((((buf[i] << 24) | (buf[i + 1] << 16) | (buf[i + 2] << 8) | buf[i + 3]) << (pos & 7)) >>> shift) * g;
        pos += w;
      }
    }
    for (; j < end; j++) {
      out[off + j - from] = min + packedAt(r, pos, w) * g;
      pos += w;
    }
    r.pos = pos;
  } else if (seqMode === SEQ_ZERO) {
    if (mode === FOLD_DOD) for (let j = 0; j < from; j++) fx += fd;
    out.fill(0, off, off + Math.max(0, end - from));
  } else if (seqMode === SEQ_VARINT && (r.pos & 7) === 0) {
    const buf = r.buf;
    let p = r.pos >>> 3;
    let j = 0;
    // One-byte varints (|x| < 64: most deltas of a steady series) are read inline.
    const last = buf.length - 1;
    if (mode === FOLD_DELTA) {
      for (; j < from; j++) {
        const b = p <= last ? buf[p] : 0x80;
        if (b < 0x80) {
          fx += b & 0x40 ? -(b & 0x3f) : b;
          p++;
        } else {
          fx += svarintAt(buf, p);
          p = varintEnd;
        }
      }
    } else if (mode === FOLD_DOD) {
      for (; j < from; j++) {
        const b = p <= last ? buf[p] : 0x80;
        if (b < 0x80) {
          fx += (fd += b & 0x40 ? -(b & 0x3f) : b);
          p++;
        } else {
          fx += (fd += svarintAt(buf, p));
          p = varintEnd;
        }
      }
    } else {
      // Varints differ in length: skipping still reads every byte, just not the numbers.
      for (; j < from; j++) {
        while (p < buf.length && buf[p] & 0x80) p++;
        p++;
      }
      if (p > buf.length) throw new ChunkCorruptError('truncated');
    }
    for (; j < end; j++) {
      out[off + j - from] = svarintAt(buf, p);
      p = varintEnd;
    }
    r.pos = p * 8;
  } else if (seqMode === SEQ_VARINT || seqMode === SEQ_ZERO_RUNS) {
    let run = 0;
    for (let j = 0; j < end; j++) {
      let x = 0;
      if (run > 0) run--;
      else {
        x = r.readSvarint();
        if (x === 0 && seqMode === SEQ_ZERO_RUNS) {
          run = r.readUvarint();
          if (run > k - j - 1) throw new ChunkCorruptError('zero run past the end of the sequence');
        }
      }
      if (j >= from) out[off + j - from] = x;
      else if (mode === FOLD_DELTA) fx += x;
      else if (mode === FOLD_DOD) fx += (fd += x);
    }
  } else {
    throw new ChunkCorruptError(`unknown integer sequence mode ${seqMode}`);
  }
  fold.x = fx;
  fold.delta = fd;
}

/** Integers [a, b) of an int series of n (0 ≤ a < b ≤ n) into out[0..b-a); the reader stops after them. */
function readIntRange(r: ChunkReader, n: number, a: number, b: number, out: Float64Array): void {
  const x0 = r.readSvarint();
  if (a === 0) out[0] = x0;
  if (b === 1) return;
  const kind = r.readByte();
  if (kind === KIND_DELTA) {
    // Item j is x[j+1] - x[j]: fold items [0, a) to reach x[a], store items [a, b-1).
    fold.x = x0;
    readSeqRange(r, n - 1, a, b - 1, out, 1, FOLD_DELTA);
    let x = fold.x;
    out[0] = x;
    for (let k = 1; k < b - a; k++) {
      x += out[k];
      out[k] = x;
    }
  } else if (kind === KIND_DOD) {
    if (n < 3) throw new ChunkCorruptError('delta-of-delta series of fewer than 3 integers');
    // x[1] = x[0] + delta; item j is the change of delta at x[j+2]. Start at s = max(a, 1).
    const s = Math.max(a, 1);
    fold.delta = r.readSvarint();
    fold.x = x0 + fold.delta;
    readSeqRange(r, n - 2, s - 1, b - 2, out, s - a + 1, FOLD_DOD);
    let delta = fold.delta;
    let x = fold.x;
    out[s - a] = x;
    for (let k = s - a + 1; k < b - a; k++) {
      delta += out[k];
      x += delta;
      out[k] = x;
    }
  } else if (kind === KIND_GRID) {
    if (n < 3) throw new ChunkCorruptError('grid series of fewer than 3 integers');
    // Item j is the residual of x[j+1] from the line x0 + k·step: no running sum.
    const step = r.readSvarint();
    const s = Math.max(a, 1);
    readSeqRange(r, n - 1, s - 1, b - 1, out, s - a, FOLD_NONE);
    for (let k = s; k < b; k++) out[k - a] = x0 + k * step + out[k - a];
  } else {
    throw new ChunkCorruptError(`unknown integer series kind ${kind}`);
  }
  for (let k = 0; k < b - a; k++) {
    if (!(Math.abs(out[k]) <= Number.MAX_SAFE_INTEGER)) throw new ChunkCorruptError('integer out of range');
  }
}

/**
 * Finds the timestamps of a chunk of n samples in [mint, maxt]: sets `found` to the index range
 * [a, b) and returns the timestamps (a new array), leaving the reader at the values.
 */
const found = { a: 0, b: 0 };
function timestampsInRange(r: ChunkReader, n: number, mint: number, maxt: number): Float64Array {
  const start = r.pos;
  const x0 = r.readSvarint();
  if (n >= 3 && r.readByte() === KIND_GRID) {
    const step = r.readSvarint();
    const seqMode = r.readByte();
    let min = 0;
    let g = 0;
    let w = 0;
    if (seqMode === SEQ_FOR) {
      min = r.readSvarint();
      g = r.readUvarint();
      w = r.readByte();
      if (w > MAX_FOR_WIDTH || g === 0) throw new ChunkCorruptError(`bad frame of reference (width ${w}, gcd ${g})`);
      if (r.pos + (n - 1) * w > r.endBits) throw new ChunkCorruptError('truncated packed integers');
    }
    if (seqMode === SEQ_FOR || seqMode === SEQ_ZERO) {
      // t[k] = x0 + k·step + residual[k-1], each residual at a known bit position.
      const base = r.pos;
      const at = (k: number): number => (k === 0 ? x0 : x0 + k * step + (min + packedAt(r, base + (k - 1) * w, w) * g));
      let lo = 0;
      let hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at(mid) < mint) lo = mid + 1;
        else hi = mid;
      }
      const a = lo;
      hi = n;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (at(mid) <= maxt) lo = mid + 1;
        else hi = mid;
      }
      const b = lo;
      const out = sampleArray(b - a);
      for (let k = a; k < b; k++) {
        const t = at(k);
        if (!(Math.abs(t) <= Number.MAX_SAFE_INTEGER)) throw new ChunkCorruptError('integer out of range');
        if (k > a && !(t > out[k - a - 1])) throw new ChunkCorruptError(`non-increasing timestamp at sample ${k}`);
        out[k - a] = t;
      }
      r.pos = base + (n - 1) * w;
      r.alignByte();
      found.a = a;
      found.b = b;
      return out;
    }
  }
  // Any other timestamp coding: decode it whole into scratch.
  r.pos = start;
  if (tsScratch.length < n) tsScratch = new Float64Array(Math.max(n, tsScratch.length * 2));
  const ts = tsScratch;
  readIntSeries(r, n, ts);
  for (let k = 1; k < n; k++) {
    if (!(ts[k] > ts[k - 1])) throw new ChunkCorruptError(`non-increasing timestamp at sample ${k}`);
  }
  let a = 0;
  while (a < n && ts[a] < mint) a++;
  let b = a;
  while (b < n && ts[b] <= maxt) b++;
  found.a = a;
  found.b = b;
  const out = sampleArray(b - a);
  for (let k = a; k < b; k++) out[k - a] = ts[k];
  return out;
}

/**
 * The samples of a DEC chunk of n samples with timestamps in [mint, maxt]: the same numbers, bit
 * for bit, as decodeDec's output cut to that range. Checks what it reads; what lies past the range
 * is not looked at.
 */
export function decodeDecRange(chunk: Uint8Array, n: number, mint: number, maxt: number): { timestamps: Float64Array; values: Float64Array } {
  if (n === 0) return decodeDec(chunk, 0);
  const r = new ChunkReader(chunk, HEADER_BYTES);
  const timestamps = timestampsInRange(r, n, mint, maxt);
  const { a, b } = found;
  const values = sampleArray(b - a);
  if (b === a) return { timestamps, values };
  const mode = r.readByte();
  if (mode === VALUES_DECIMAL) {
    const d = r.readByte();
    if (d > MAX_DECIMALS) throw new ChunkCorruptError(`decimal exponent ${d} out of range`);
    const e = r.readUvarint();
    if (e > n) throw new ChunkCorruptError(`${e} exceptions in ${n} samples`);
    const exc: number[] = [];
    let prev = -1;
    for (let j = 0; j < e; j++) {
      const i = prev + 1 + r.readUvarint();
      if (i >= n) throw new ChunkCorruptError('exception index past the last sample');
      prev = i;
      const hi = ((r.readByte() << 24) | (r.readByte() << 16) | (r.readByte() << 8) | r.readByte()) >>> 0;
      const lo = ((r.readByte() << 24) | (r.readByte() << 16) | (r.readByte() << 8) | r.readByte()) >>> 0;
      if (i >= a && i < b) exc.push(i - a, hi, lo);
    }
    readIntRange(r, n, a, b, values);
    const p = POW10[d];
    for (let k = 0; k < b - a; k++) values[k] = values[k] / p;
    if (exc.length > 0) {
      const vw = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
      for (let j = 0; j < exc.length; j += 3) {
        vw[2 * exc[j] + HI] = exc[j + 1];
        vw[2 * exc[j] + LO] = exc[j + 2];
      }
    }
  } else if (mode === VALUES_XOR) {
    // Each XOR value depends on the one before: read up to the range's end, keep the range.
    const vw = new Uint32Array(values.buffer, values.byteOffset, values.length * 2);
    const st = valState;
    st.hi = r.readBits(32);
    st.lo = r.readBits(32);
    st.lead = 255;
    st.trail = 0;
    for (let k = 0; k < b; k++) {
      if (k > 0) readXorValue(r, st);
      if (k >= a) {
        vw[2 * (k - a) + HI] = st.hi;
        vw[2 * (k - a) + LO] = st.lo;
      }
    }
  } else {
    throw new ChunkCorruptError(`unknown value mode ${mode}`);
  }
  return { timestamps, values };
}
