import { compressSync, uncompressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { IngestError } from './errors.ts';
import { decompressSnappy, decompressSnappyTransient, snappyDecodedLength } from './snappy.ts';

// Deterministic xorshift so that failures reproduce.
function rng(seed: number) {
  let x = seed >>> 0 || 1;
  return (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
}

/** Inputs that exercise every element kind: runs (overlapping copies), repeats far back, literals of every length class. */
function samples(): Buffer[] {
  const rnd = rng(42);
  const out: Buffer[] = [Buffer.alloc(0), Buffer.from('a'), Buffer.alloc(100_000, 7)];
  const text = Buffer.from('node_cpu_seconds_total{cpu="0",mode="idle"} 12345.67\n'.repeat(2000));
  out.push(text);
  const noise = Buffer.alloc(70_000);
  for (let i = 0; i < noise.length; i++) noise[i] = rnd(256); // long literals (length in 2-3 extra bytes)
  out.push(noise);
  const mixed = Buffer.alloc(200_000);
  for (let i = 0; i < mixed.length; i++) mixed[i] = i % 70_000 < 100 ? rnd(256) : mixed[i - 1 - rnd(Math.min(i, 65_000 * 2))] ?? 0; // far copies
  out.push(mixed);
  return out;
}

describe('decompressSnappy', () => {
  it('decodes what the reference compressor produces, byte for byte', () => {
    for (const raw of samples()) {
      const body = compressSync(raw);
      expect(snappyDecodedLength(body)).toBe(raw.length);
      expect(decompressSnappy(body, raw.length).equals(raw)).toBe(true);
    }
  });

  it('decodes into its reused buffer exactly, also after a longer body and for one above the buffer\'s cap', () => {
    const raws = [...samples(), Buffer.alloc(5 << 20, 7), Buffer.from('short')];
    for (const raw of [...raws].sort((a, b) => b.length - a.length).concat(raws)) {
      const got = decompressSnappyTransient(compressSync(raw), raw.length);
      expect(Buffer.from(got.buffer, got.byteOffset, got.byteLength).equals(raw)).toBe(true);
    }
    const e = (() => { try { decompressSnappyTransient(compressSync(Buffer.alloc(1000)), 999); } catch (err) { return err; } })() as IngestError;
    expect([e.status, e.reason]).toEqual([413, 'too_large']);
  });

  it('refuses a declared length above the limit before decoding (413)', () => {
    const body = compressSync(Buffer.alloc(1000));
    const e = (() => { try { decompressSnappy(body, 999); } catch (err) { return err; } })() as IngestError;
    expect(e).toBeInstanceOf(IngestError);
    expect([e.status, e.reason]).toEqual([413, 'too_large']);
  });

  it('refuses corrupt input with 400 exactly when the reference decoder does', () => {
    const rnd = rng(7);
    const seeds = samples().slice(1, 4).map((raw) => compressSync(raw));
    let refused = 0;
    for (let iter = 0; iter < 3000; iter++) {
      const body = Buffer.from(seeds[iter % seeds.length]);
      for (let k = 1 + rnd(3); k > 0; k--) body[rnd(body.length)] = rnd(256);
      const input = rnd(5) === 0 ? body.subarray(0, rnd(body.length)) : body;
      let expected: Buffer | null = null;
      try {
        expected = input.length > 0 && snappyDecodedLength(input) <= 1 << 22 ? uncompressSync(input, { asBuffer: true }) as Buffer : null;
      } catch {
        expected = null;
      }
      let got: Buffer | null = null;
      try {
        got = decompressSnappy(input, 1 << 22);
      } catch (e) {
        expect(e).toBeInstanceOf(IngestError);
        expect((e as IngestError).status).toBe((e as IngestError).reason === 'too_large' ? 413 : 400);
        refused++;
      }
      if (expected !== null) expect(got?.equals(expected), `iteration ${iter}`).toBe(true);
      else expect(got, `iteration ${iter}`).toBeNull();
    }
    expect(refused).toBeGreaterThan(100);
  });
});
