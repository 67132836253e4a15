import { describe, expect, it } from 'vitest';
import { isStaleNaN } from '../../model/index.ts';
import { OpenChunkPool, decodeChunk } from './index.ts';
import { ADVERSARIAL, adversarialValues, firstMismatch, irregularTimes, randomBitFloats, rng } from './testdata.ts';

// The open-chunk pool keeps decodes of its chunks for repeated reads and continues them with the
// samples appended since: every read must still equal a decode of the chunk's bytes from scratch.
function expectReadMatchesBytes(pool: OpenChunkPool, slot: number): void {
  const want = decodeChunk(pool.bytes(slot));
  const got = pool.decode(slot);
  expect(got.timestamps.length).toBe(want.timestamps.length);
  expect(firstMismatch(want.timestamps, want.values, 0, want.timestamps.length, got.timestamps, got.values)).toBe(-1);
}

describe('OpenChunkPool decoded-chunk reuse', () => {
  it('reads between appends continue the kept decode and match the bytes, NaN payloads included', () => {
    const pool = new OpenChunkPool();
    const slots = [pool.alloc(), pool.alloc(), pool.alloc()];
    const n = 400;
    const ts = irregularTimes(n, 5, -1e12, 36);
    const vs = [adversarialValues(n, 1), randomBitFloats(n, 2), Float64Array.from({ length: n }, (_, k) => ADVERSARIAL[k % ADVERSARIAL.length])];
    const r = rng(9);
    for (let k = 0; k < n; k++) {
      for (let i = 0; i < slots.length; i++) pool.append(slots[i], ts[k], vs[i][k]);
      // Reads at irregular points: after one append, after several, twice in a row.
      if (r() < 0.3) for (const s of slots) expectReadMatchesBytes(pool, s);
      if (r() < 0.1) for (const s of slots) expectReadMatchesBytes(pool, s);
    }
    const d = pool.decode(slots[2]);
    expect(firstMismatch(ts, vs[2], 0, n, d.timestamps, d.values)).toBe(-1);
    expect(isStaleNaN(d.values[0])).toBe(true);
    const st = pool.decodedStats();
    expect(st.hits).toBeGreaterThan(0);
    expect(st.extended).toBeGreaterThan(0);
    expect(st.misses).toBe(3);
  });

  it('starts over after a cut and after a slot is freed and handed out again', () => {
    const pool = new OpenChunkPool();
    const a = pool.alloc();
    for (let k = 0; k < 50; k++) pool.append(a, 1000 * k, k);
    expectReadMatchesBytes(pool, a);
    pool.cut(a);
    // The next chunk is longer by its first read than the kept decode was, and starts differently.
    for (let k = 50; k < 130; k++) pool.append(a, 1000 * k, -k);
    expectReadMatchesBytes(pool, a);
    pool.cut(a);
    // ... and shorter.
    for (let k = 130; k < 140; k++) pool.append(a, 1000 * k, k * 0.5);
    expectReadMatchesBytes(pool, a);
    pool.free(a);
    const b = pool.alloc();
    expect(b).toBe(a);
    for (let k = 0; k < 5; k++) pool.append(b, 7 + k, 42);
    const d = pool.decode(b);
    expect([...d.timestamps]).toEqual([7, 8, 9, 10, 11]);
    expect([...d.values]).toEqual([42, 42, 42, 42, 42]);
  });

  it('returns arrays the caller owns: later appends and reads do not change them', () => {
    const pool = new OpenChunkPool();
    const s = pool.alloc();
    for (let k = 0; k < 10; k++) pool.append(s, k, k);
    const first = pool.decode(s);
    first.values[0] = 99;
    for (let k = 10; k < 20; k++) pool.append(s, k, k);
    const second = pool.decode(s);
    expect(second.values[0]).toBe(0);
    expect(first.timestamps.length).toBe(10);
    expect(first.values[9]).toBe(9);
  });

  it('stays within its bound, evicting, and every read is right', () => {
    const bound = 64 << 10;
    const pool = new OpenChunkPool(16, undefined, bound);
    const base = pool.memoryBytes();
    const slots = Array.from({ length: 500 }, () => pool.alloc());
    const r = rng(4);
    for (let k = 0; k < 120; k++) for (const s of slots) pool.append(s, k * 15000, Math.floor(r() * 1e6) / 100);
    const before = pool.memoryBytes();
    for (const s of slots) expectReadMatchesBytes(pool, s);
    const st = pool.decodedStats();
    expect(st.bytes).toBeLessThanOrEqual(bound);
    expect(st.entries).toBeGreaterThan(0);
    expect(st.entries).toBeLessThan(slots.length);
    expect(pool.memoryBytes() - before).toBe(st.bytes);
    expect(before).toBeGreaterThan(base);
    // Full, it still takes in chunks read now (evicting others), and a second read of them hits.
    for (const s of slots.slice(-5)) expectReadMatchesBytes(pool, s);
    const hitsBefore = pool.decodedStats().hits;
    for (const s of slots.slice(-5)) expectReadMatchesBytes(pool, s);
    expect(pool.decodedStats().hits - hitsBefore).toBe(5);
    expect(pool.decodedStats().bytes).toBeLessThanOrEqual(bound);
    // Cutting the kept chunks gives their room back.
    for (const s of slots) pool.cut(s);
    expect(pool.decodedStats().bytes).toBe(0);
  });

  it('keeps nothing when its bound is 0', () => {
    const pool = new OpenChunkPool(16, undefined, 0);
    const s = pool.alloc();
    for (let k = 0; k < 30; k++) pool.append(s, k, k);
    expectReadMatchesBytes(pool, s);
    expectReadMatchesBytes(pool, s);
    expect(pool.decodedStats()).toMatchObject({ hits: 0, extended: 0, misses: 2, entries: 0, bytes: 0 });
  });
});
