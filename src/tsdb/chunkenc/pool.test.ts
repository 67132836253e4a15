import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaN } from '../../model/index.ts';
import { ChunkEncoding, OpenChunkPool, chunkSampleCount, decodeChunk, encodeXorChunk } from './index.ts';
import { appendXor, newXorState, resetXorSlot, xorAppendBits } from './xor.ts';
import {
  ADVERSARIAL, adversarialValues, constant, decimalCounter, firstMismatch, fullPrecision, irregularTimes, pageGauge,
  randomBitFloats, rng, scrapeTimes,
} from './testdata.ts';

interface Expected {
  ts: Float64Array;
  vs: Float64Array;
}

function series(kind: number, n: number, seed: number): Expected {
  const ts = kind % 3 === 0 ? scrapeTimes(n, seed) : kind % 3 === 1 ? irregularTimes(n, seed, -1e13, 36) : scrapeTimes(n, seed, 0, 1, 1);
  const makers = [randomBitFloats, adversarialValues, decimalCounter, pageGauge, fullPrecision];
  const vs = kind % 6 === 5 ? constant(n, STALE_NAN) : makers[kind % 5](n, seed);
  return { ts, vs };
}

describe('OpenChunkPool', () => {
  it('interleaved appends to many slots match the standalone encoder byte for byte', () => {
    const pool = new OpenChunkPool(16); // forces the per-slot arrays to grow
    const nSeries = 300;
    const n = 150;
    const slots: number[] = [];
    const data: Expected[] = [];
    for (let s = 0; s < nSeries; s++) {
      slots.push(pool.alloc());
      data.push(series(s, n, 100 + s));
    }
    for (let k = 0; k < n; k++) {
      for (let s = 0; s < nSeries; s++) pool.append(slots[s], data[s].ts[k], data[s].vs[k]);
      if (k === 0 || k === 37 || k === 119) {
        // Mid-way reads see exactly the samples so far.
        for (let s = 0; s < nSeries; s += 7) {
          const d = pool.decode(slots[s]);
          expect(firstMismatch(data[s].ts, data[s].vs, 0, k + 1, d.timestamps, d.values)).toBe(-1);
          const b = decodeChunk(pool.bytes(slots[s]));
          expect(firstMismatch(data[s].ts, data[s].vs, 0, k + 1, b.timestamps, b.values)).toBe(-1);
        }
      }
    }
    for (let s = 0; s < nSeries; s++) {
      const slot = slots[s];
      expect(pool.count(slot)).toBe(n);
      expect(pool.minTime(slot)).toBe(data[s].ts[0]);
      expect(pool.maxTime(slot)).toBe(data[s].ts[n - 1]);
      expect(Object.is(pool.lastValue(slot), data[s].vs[n - 1]) || isSameBits(pool.lastValue(slot), data[s].vs[n - 1])).toBe(true);
      const chunk = pool.bytes(slot);
      expect(chunk[0]).toBe(ChunkEncoding.XOR);
      expect(chunkSampleCount(chunk)).toBe(n);
      expect(chunk).toEqual(encodeXorChunk(data[s].ts, data[s].vs));
    }
  });

  it('cut returns the finished chunk and restarts the slot empty with the same id', () => {
    const pool = new OpenChunkPool();
    const slot = pool.alloc();
    const ts = scrapeTimes(360, 7);
    const vs = decimalCounter(360, 8);
    const chunks: Uint8Array[] = [];
    for (let k = 0; k < 360; k++) {
      pool.append(slot, ts[k], vs[k]);
      if (pool.count(slot) === 120) chunks.push(pool.cut(slot));
    }
    expect(chunks.length).toBe(3);
    expect(pool.count(slot)).toBe(0);
    expect(pool.minTime(slot)).toBe(Infinity);
    expect(pool.maxTime(slot)).toBe(-Infinity);
    expect(Number.isNaN(pool.lastValue(slot))).toBe(true);
    expect(decodeChunk(pool.bytes(slot)).timestamps.length).toBe(0);
    expect(pool.decode(slot).values.length).toBe(0);
    for (let c = 0; c < 3; c++) {
      const d = decodeChunk(chunks[c]);
      expect(firstMismatch(ts, vs, c * 120, (c + 1) * 120, d.timestamps, d.values)).toBe(-1);
      expect(chunks[c]).toEqual(encodeXorChunk(ts, vs, c * 120, (c + 1) * 120));
    }
    // The slot keeps working after the cut, with a fresh first sample.
    pool.append(slot, 5, 1);
    pool.append(slot, 6, 2);
    const d = pool.decode(slot);
    expect(Array.from(d.timestamps)).toEqual([5, 6]);
    expect(Array.from(d.values)).toEqual([1, 2]);
  });

  it('copies are independent of later appends and of recycled storage', () => {
    const pool = new OpenChunkPool();
    const a = pool.alloc();
    for (let k = 0; k < 10; k++) pool.append(a, k, k);
    const snapshot = pool.bytes(a);
    const cut = pool.cut(a);
    const b = pool.alloc();
    for (let k = 0; k < 10; k++) pool.append(b, 100 + k, -k); // likely reuses a's storage
    expect(decodeChunk(snapshot).values).toEqual(Float64Array.from({ length: 10 }, (_, k) => k));
    expect(decodeChunk(cut).timestamps[9]).toBe(9);
  });

  it('keeps NaN payloads, -0 and the staleness marker bit-exactly', () => {
    const pool = new OpenChunkPool();
    const slot = pool.alloc();
    for (let k = 0; k < ADVERSARIAL.length; k++) {
      pool.append(slot, 1000 * k, ADVERSARIAL[k]);
      expect(isSameBits(pool.lastValue(slot), ADVERSARIAL[k])).toBe(true);
    }
    const d = pool.decode(slot);
    expect(firstMismatch(Float64Array.from(ADVERSARIAL, (_, k) => 1000 * k), ADVERSARIAL, 0, ADVERSARIAL.length, d.timestamps, d.values)).toBe(-1);
    expect(isStaleNaN(d.values[0])).toBe(true);
    expect(isStaleNaN(d.values[1])).toBe(false);
  });

  it('grows a chunk through the size classes up to 10k worst-case samples', () => {
    const pool = new OpenChunkPool();
    const slot = pool.alloc();
    const ts = irregularTimes(10_000, 9, -(2 ** 50), 30);
    const vs = randomBitFloats(10_000, 10);
    for (let k = 0; k < 10_000; k++) pool.append(slot, ts[k], vs[k]);
    const d = pool.decode(slot);
    expect(firstMismatch(ts, vs, 0, 10_000, d.timestamps, d.values)).toBe(-1);
    expect(pool.cut(slot)).toEqual(encodeXorChunk(ts, vs));
  });

  it('refuses out-of-order and non-integer timestamps without damaging the chunk', () => {
    const pool = new OpenChunkPool();
    const slot = pool.alloc();
    pool.append(slot, 1000, 1);
    pool.append(slot, 2000, 2);
    const before = pool.bytes(slot);
    expect(() => pool.append(slot, 2000, 3)).toThrow(/out of order/);
    expect(() => pool.append(slot, 1500, 3)).toThrow(/out of order/);
    expect(() => pool.append(slot, 2500.5, 3)).toThrow(/safe integer/);
    expect(pool.bytes(slot)).toEqual(before);
    expect(pool.count(slot)).toBe(2);
    pool.append(slot, 3000, 3);
    expect(Array.from(pool.decode(slot).values)).toEqual([1, 2, 3]);
  });

  it('reuses freed slots and rejects use of slots that are not allocated', () => {
    const pool = new OpenChunkPool(16);
    const a = pool.alloc();
    const b = pool.alloc();
    pool.append(a, 1, 1);
    pool.free(a);
    expect(() => pool.free(a)).toThrow(/not allocated/);
    expect(() => pool.append(a, 2, 2)).toThrow(/not allocated/);
    expect(() => pool.bytes(12345)).toThrow(/not allocated/);
    const c = pool.alloc();
    expect(c).toBe(a);
    expect(pool.count(c)).toBe(0); // a fresh slot, not a's old chunk
    pool.append(c, 10, 10);
    pool.append(b, 20, 20);
    expect(Array.from(pool.decode(c).timestamps)).toEqual([10]);
    expect(Array.from(pool.decode(b).timestamps)).toEqual([20]);
  });

  it('releases slabs a lockstep-growing population left behind, and after cuts', () => {
    const pool = new OpenChunkPool(3000, 4096);
    const slots = Array.from({ length: 3000 }, () => pool.alloc());
    const ts = scrapeTimes(120, 5);
    const values = slots.map((_, s) => decimalCounter(120, 1000 + s));
    const stateBytes = pool.memoryBytes();
    for (let k = 0; k < 120; k++) for (let s = 0; s < slots.length; s++) pool.append(slots[s], ts[k], values[s][k]);
    let chunkBytes = 0;
    for (const s of slots) chunkBytes += pool.bytes(s).length;
    // Every chunk climbed through ~15 size classes together; only the current class may remain,
    // plus about one spare slab per class.
    const held = pool.memoryBytes() - stateBytes;
    expect(held).toBeLessThan(1.6 * chunkBytes + 40 * 1.5 * 4096);
    for (const s of slots) pool.cut(s);
    expect(pool.memoryBytes() - stateBytes).toBeLessThan(40 * 1.5 * 4096 + 3000 * 4);
    // The next chunks start near the size the last ones reached, and still decode.
    for (let k = 0; k < 120; k++) for (let s = 0; s < slots.length; s++) pool.append(slots[s], ts[k] + 3_600_000, values[s][k]);
    const d = pool.decode(slots[17]);
    expect(firstMismatch(ts.map((t) => t + 3_600_000), values[17], 0, 120, d.timestamps, d.values)).toBe(-1);
  });

  it('predicts exactly the bits each append adds, so a chunk may fill its storage to the last byte', () => {
    const st = newXorState(1);
    const buf = new Uint8Array(8192);
    for (let kind = 0; kind < 30; kind++) {
      const { ts, vs } = series(kind, 300, 500 + kind);
      for (let from = 0; from < 300; from += 120) {
        resetXorSlot(st, 0);
        buf.fill(0);
        for (let k = from; k < Math.min(300, from + 120); k++) {
          const before = st.bitPos[0];
          const predicted = k === from ? -1 : xorAppendBits(st, 0, ts[k], vs[k]);
          appendXor(st, 0, buf, 0, ts[k], vs[k]);
          if (predicted >= 0) expect(st.bitPos[0] - before).toBe(predicted);
        }
      }
    }
  });

  it('gives back slabs that chunks left scattered, moving the survivors intact', () => {
    const pool = new OpenChunkPool(3000, 4096);
    const slots = Array.from({ length: 3000 }, () => pool.alloc());
    const ts = scrapeTimes(120, 9);
    const values = slots.map((_, s) => decimalCounter(120, 7000 + s));
    const stateBytes = pool.memoryBytes();
    for (let k = 0; k < 60; k++) for (let s = 0; s < slots.length; s++) pool.append(slots[s], ts[k], values[s][k]);
    const full = pool.memoryBytes() - stateBytes;
    // Two of three series end their chunk, spread over every slab: no slab becomes wholly free.
    const r = rng(11);
    const kept = slots.filter(() => r() < 1 / 3);
    const keptSet = new Set(kept);
    for (const s of slots) if (!keptSet.has(s)) pool.cut(s);
    let chunkBytes = 0;
    for (const s of kept) chunkBytes += pool.bytes(s).length;
    const held = pool.memoryBytes() - stateBytes;
    expect(held).toBeLessThan(full / 2);
    expect(held).toBeLessThan(1.5 * chunkBytes + 40 * 2 * 4096 + 3000 * 8);
    // The kept chunks (many moved) decode and keep growing.
    for (let k = 60; k < 120; k++) for (const s of kept) pool.append(s, ts[k], values[s][k]);
    for (const s of kept) {
      const d = pool.decode(s);
      expect(firstMismatch(ts, values[s], 0, 120, d.timestamps, d.values)).toBe(-1);
    }
  });

  it('reports the memory it holds, growing with series and reused after free', () => {
    const pool = new OpenChunkPool(16);
    const empty = pool.memoryBytes();
    expect(empty).toBeGreaterThan(0);
    const slots = Array.from({ length: 5000 }, () => pool.alloc());
    const r = rng(3);
    for (let k = 0; k < 120; k++) for (const s of slots) pool.append(s, k * 15000, Math.floor(r() * 1000));
    const full = pool.memoryBytes();
    expect(full).toBeGreaterThan(empty + 5000 * 40);
    for (const s of slots) pool.free(s);
    const again = Array.from({ length: 5000 }, () => pool.alloc());
    for (let k = 0; k < 120; k++) for (const s of again) pool.append(s, k * 15000, Math.floor(r() * 1000));
    // Freed chunk storage is reused, not leaked (only the free lists themselves grew).
    expect(pool.memoryBytes()).toBeLessThan(full + 5000 * 16);
  });
});

function isSameBits(a: number, b: number): boolean {
  const x = new DataView(new ArrayBuffer(16));
  x.setFloat64(0, a);
  x.setFloat64(8, b);
  return x.getUint32(0) === x.getUint32(8) && x.getUint32(4) === x.getUint32(12);
}
