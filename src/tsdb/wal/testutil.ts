// Helpers for the WAL tests: seeded random batches with adversarial values, and a replay
// collector that keeps exact bit patterns so NaN payloads and -0 are compared exactly.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Labels } from '../../model/index.ts';
import type { ReplayHandlers, Wal, WalLogger } from './types.ts';
import { mulberry32 } from '../../../test/helpers/random.ts';

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'strata-wal-'));
}


/** One log() call's arguments. */
export interface Batch {
  seriesRefs: number[];
  seriesLabels: Labels[];
  refs: Uint32Array;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
}

/** The flattened content of a WAL: series in order, samples in order, values and timestamps as bits. */
export interface Content {
  series: [number, Labels][];
  refs: number[];
  tsBits: number[];
  vBits: number[];
}

export function emptyContent(): Content {
  return { series: [], refs: [], tsBits: [], vBits: [] };
}

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);

/** Float64 bit patterns chosen to break anything that goes through arithmetic. */
export const ADVERSARIAL_BITS: [number, number][] = [
  [0x00000002, 0x7ff00000], // signalling NaN with payload 2
  [0x00000001, 0x7ff80000], // quiet NaN with payload
  [0x00000000, 0xfff80000], // negative quiet NaN
  [0xdeadbeef, 0x7fffffff], // NaN, all-ones high payload
  [0x00000000, 0x7ff00000], // +Inf
  [0x00000000, 0xfff00000], // -Inf
  [0x00000000, 0x80000000], // -0
  [0x00000000, 0x00000000], // +0
  [0x00000001, 0x00000000], // smallest denormal
  [0xffffffff, 0x7fefffff], // largest finite
  [0x00000002, 0x7ff00000 | 0x80000000], // negative signalling NaN
];

export function randomLabels(r: () => number, i: number): Labels {
  const pick = (): string => {
    const kind = Math.floor(r() * 5);
    if (kind === 0) return `v${Math.floor(r() * 1e6)}`;
    if (kind === 1) return 'ü€𝄞'.repeat(1 + Math.floor(r() * 20)); // 2-, 3- and 4-byte UTF-8
    if (kind === 2) return 'x'.repeat(Math.floor(r() * 300)); // lengths across the 1-byte varint limit
    if (kind === 3) return '';
    return String.fromCharCode(...Array.from({ length: 1 + Math.floor(r() * 60) }, () => 32 + Math.floor(r() * 95)));
  };
  const out: string[] = ['__name__', `metric_${i}`];
  const k = Math.floor(r() * 6);
  for (let j = 0; j < k; j++) out.push(`l${j}`, pick());
  return out;
}

/** A random batch: new series with fresh refs, then samples over refs, timestamps and values meant to hurt. */
export function randomBatch(r: () => number, nextRef: { v: number }, maxSamples = 200): Batch {
  const seriesRefs: number[] = [];
  const seriesLabels: Labels[] = [];
  const newSeries = r() < 0.5 ? Math.floor(r() * 6) : 0;
  for (let i = 0; i < newSeries; i++) {
    // Mostly dense refs, sometimes a jump (refs are uint32: test the top of the range too).
    const ref = r() < 0.1 ? Math.floor(r() * 0xffffffff) : nextRef.v++;
    seriesRefs.push(ref);
    seriesLabels.push(randomLabels(r, ref));
  }
  const n = Math.floor(r() * (maxSamples + 1));
  const refs = new Uint32Array(n + Math.floor(r() * 3)); // columns may be longer than n
  const ts = new Float64Array(refs.length);
  const vs = new Float64Array(refs.length);
  const vbits = new Uint32Array(vs.buffer);
  const base = Math.floor((r() - 0.5) * 2 * 2 ** 50);
  const weird = r() < 0.1; // sometimes timestamps only the raw encoding can carry
  for (let i = 0; i < refs.length; i++) {
    refs[i] = r() < 0.05 ? 0xffffffff : Math.floor(r() * (nextRef.v + 1));
    const kind = r();
    if (kind < 0.6) ts[i] = base + i * 15000;
    else if (kind < 0.8) ts[i] = base - Math.floor(r() * 1e9); // unsorted, maybe negative
    else if (kind < 0.9) ts[i] = Math.floor((r() - 0.5) * 2 * Number.MAX_SAFE_INTEGER);
    else ts[i] = weird ? [1.5, -0, NaN, 2 ** 60, -Infinity][Math.floor(r() * 5)] : -Math.floor(r() * 1e6);
    if (r() < 0.3) {
      const [lo, hi] = ADVERSARIAL_BITS[Math.floor(r() * ADVERSARIAL_BITS.length)];
      vbits[2 * i] = lo;
      vbits[2 * i + 1] = hi;
    } else if (r() < 0.5) {
      vbits[2 * i] = Math.floor(r() * 2 ** 32);
      vbits[2 * i + 1] = Math.floor(r() * 2 ** 32);
    } else {
      vs[i] = Math.round(r() * 1000);
    }
  }
  return { seriesRefs, seriesLabels, refs, ts, vs, n };
}

export function addBatch(c: Content, b: Batch): void {
  for (let i = 0; i < b.seriesRefs.length; i++) c.series.push([b.seriesRefs[i], [...b.seriesLabels[i]]]);
  addSamples(c, b.refs, b.ts, b.vs, b.n);
}

function addSamples(c: Content, refs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number): void {
  const tbits = new Uint32Array(ts.buffer, ts.byteOffset, n * 2);
  const vbits = new Uint32Array(vs.buffer, vs.byteOffset, n * 2);
  for (let i = 0; i < n; i++) {
    c.refs.push(refs[i]);
    c.tsBits.push(tbits[2 * i], tbits[2 * i + 1]);
    c.vBits.push(vbits[2 * i], vbits[2 * i + 1]);
  }
}

export function logBatch(wal: Wal, b: Batch): number {
  return wal.log(b.seriesRefs, b.seriesLabels, b.refs, b.ts, b.vs, b.n);
}

/** Handlers that copy everything replayed into a Content (the arrays they get are reused). */
export function collector(): { handlers: ReplayHandlers; content: Content; sampleCalls: number[] } {
  const content = emptyContent();
  const sampleCalls: number[] = [];
  return {
    content,
    sampleCalls,
    handlers: {
      series: (ref, labels) => content.series.push([ref, labels]),
      samples: (refs, ts, vs, n) => {
        sampleCalls.push(n);
        addSamples(content, refs, ts, vs, n);
      },
    },
  };
}

/** Keeps only series and samples that pass, the way a checkpoint must. */
export function filterContent(c: Content, keep: (ref: number) => boolean, minTime: number): Content {
  const out = emptyContent();
  const seen = new Set<number>();
  for (const [ref, ls] of c.series) {
    if (keep(ref) && !seen.has(ref)) {
      seen.add(ref);
      out.series.push([ref, ls]);
    }
  }
  for (let i = 0; i < c.refs.length; i++) {
    u32[0] = c.tsBits[2 * i];
    u32[1] = c.tsBits[2 * i + 1];
    if (!(f64[0] >= minTime) || !keep(c.refs[i])) continue;
    out.refs.push(c.refs[i]);
    out.tsBits.push(c.tsBits[2 * i], c.tsBits[2 * i + 1]);
    out.vBits.push(c.vBits[2 * i], c.vBits[2 * i + 1]);
  }
  return out;
}

export function concatContent(a: Content, b: Content): Content {
  return {
    series: [...a.series, ...b.series],
    refs: [...a.refs, ...b.refs],
    tsBits: [...a.tsBits, ...b.tsBits],
    vBits: [...a.vBits, ...b.vBits],
  };
}

export interface CapturedLogs extends WalLogger {
  infos: string[];
  warns: string[];
  errors: string[];
}

export function captureLogger(): CapturedLogs {
  const l: CapturedLogs = {
    infos: [], warns: [], errors: [],
    info: (m) => l.infos.push(m),
    warn: (m) => l.warns.push(m),
    error: (m) => l.errors.push(m),
  };
  return l;
}

/** Batch k of the crash test: series k + 1 and 50 samples whose values encode (k, i) in their bits. */
export function crashBatch(k: number): Batch {
  const n = 50;
  const refs = new Uint32Array(n).fill(k + 1);
  const ts = new Float64Array(n);
  const vs = new Float64Array(n);
  const bits = new Uint32Array(vs.buffer);
  for (let i = 0; i < n; i++) {
    ts[i] = k * 1000 + i;
    bits[2 * i] = k;
    bits[2 * i + 1] = 0x7ff00000 | i; // NaN payloads: bit-exactness across the crash too
  }
  return { seriesRefs: [k + 1], seriesLabels: [['__name__', 'crash', 'k', String(k)]], refs, ts, vs, n };
}

/** The tests' seeded PRNG (mulberry32). */
export const rng = mulberry32;
