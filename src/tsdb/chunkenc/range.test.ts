import { describe, expect, it } from 'vitest';
import { decodeChunk, decodeChunkRange, encodeDecChunk, encodeXorChunk } from './index.ts';
import {
  ADVERSARIAL, adversarialValues, constant, decimalCounter, firstMismatch, fullPrecision, irregularTimes, pageGauge,
  randomBitFloats, rng, scrapeTimes,
} from './testdata.ts';

// decodeChunkRange must give exactly the samples decodeChunk gives in [mint, maxt]: every int
// series kind and sequence mode of DEC (grid, delta, delta-of-delta; zero, varint, zero runs,
// frame of reference) is reached by these shapes, and windows start and end at, between, before
// and after samples.
const TIMES: [string, (n: number) => Float64Array][] = [
  ['regular 60s', (n) => scrapeTimes(n, 1, 1_700_000_000_000, 60_000, 0)],
  ['jittered', (n) => scrapeTimes(n, 2)],
  ['irregular', (n) => irregularTimes(n, 3, 1_600_000_000_000, 26)],
];
const VALUES: [string, (n: number) => Float64Array][] = [
  ['decimal counter', (n) => decimalCounter(n, 13)],
  ['page gauge', (n) => pageGauge(n, 14)],
  ['constant', (n) => constant(n, 42)],
  ['counter with a stale marker', (n) => {
    const v = decimalCounter(n, 16);
    v[n >> 1] = ADVERSARIAL[0];
    return v;
  }],
  ['steady counter', (n) => Float64Array.from({ length: n }, (_, i) => 1000 + 7 * i + (i % 3))],
  ['on a line with noise', (n) => {
    const r = rng(21);
    return Float64Array.from({ length: n }, (_, i) => 1000 + 7 * i + Math.floor(r() * 4));
  }],
  ['accelerating', (n) => {
    const r = rng(22);
    let x = 0;
    return Float64Array.from({ length: n }, (_, i) => (x += 100 + i + Math.floor(r() * 4)));
  }],
  ['steps with noise and rare jumps', (n) => {
    const r = rng(23);
    let x = 0;
    return Float64Array.from({ length: n }, (_, i) => (x += 100 + Math.floor(r() * 41) - 20 + (i % 97 === 50 ? 1e6 : 0)));
  }],
  ['mostly unchanged', (n) => Float64Array.from({ length: n }, (_, i) => (i % 50 === 0 ? i : 0))],
  ['full precision', (n) => fullPrecision(n, 15)],
  ['random bit patterns', (n) => randomBitFloats(n, 11)],
  ['adversarial', (n) => adversarialValues(n, 12)],
];

function windows(ts: Float64Array, seed: number): [number, number][] {
  const n = ts.length;
  const out: [number, number][] = [[-Infinity, Infinity], [ts[0] - 10, ts[0] - 1], [ts[n - 1] + 1, ts[n - 1] + 10]];
  const r = rng(seed);
  const at = (i: number) => ts[Math.max(0, Math.min(n - 1, i))];
  for (let k = 0; k < 40; k++) {
    const a = Math.floor(r() * n);
    const b = a + Math.floor(r() * (n - a));
    out.push([at(a), at(b)], [at(a) + 1, at(b) - 1], [at(a) - 1, Infinity], [-Infinity, at(b) + 1]);
  }
  return out;
}

describe.each([['dec', encodeDecChunk], ['xor', encodeXorChunk]] as const)('decodeChunkRange of %s chunks', (_name, enc) => {
  for (const [tName, times] of TIMES) {
    it.each(VALUES)(`${tName} × %s: the samples in range, bit for bit`, (_vName, values) => {
      for (const n of [1, 2, 3, 4, 120, 1440]) {
        const ts = times(n);
        const chunk = enc(ts, values(n));
        const all = decodeChunk(chunk);
        for (const [mint, maxt] of windows(ts, n)) {
          let a = 0;
          while (a < n && all.timestamps[a] < mint) a++;
          let b = a;
          while (b < n && all.timestamps[b] <= maxt) b++;
          const got = decodeChunkRange(chunk, mint, maxt);
          expect(firstMismatch(all.timestamps, all.values, a, b, got.timestamps, got.values), `n=${n} [${mint}, ${maxt}]`).toBe(-1);
        }
      }
    });
  }
});
