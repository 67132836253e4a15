// The evaluator's intermediate values. Every node is evaluated over all steps of its evaluation
// range at once: a series is a dense column of one value per step plus a presence mask, so the
// step loop of an operator is a tight loop over typed arrays, not a map lookup per sample.
import { isLegacyLabelName, labelsEqual, labelsHash, METRIC_NAME, type Labels } from '../../model/index.ts';
import { goQuote } from '../format.ts';
import { PromQLError } from './errors.ts';

/** The steps one evaluation covers: start, start + step, ..., end (ms). */
export interface Steps {
  start: number;
  end: number;
  /** > 0; for an instant evaluation any positive number (there is one step). */
  step: number;
  n: number;
}

export function makeSteps(start: number, end: number, step: number): Steps {
  const n = end < start ? 0 : Math.floor((end - start) / step) + 1;
  return { start, end, step, n };
}

export interface Series {
  labels: Labels;
  /** One value per step; meaningful only where present[i] === 1. */
  values: Float64Array;
  present: Uint8Array;
  /** For series straight from a vector selector: the timestamp of the sample used at each step. */
  sampleTs?: Float64Array;
}

export type Value =
  | { kind: 'scalar'; values: Float64Array }
  | { kind: 'string'; value: string }
  | { kind: 'vector'; series: Series[]; ordered?: boolean };

export type VectorValue = Extract<Value, { kind: 'vector' }>;

// A series' columns are views of shared slabs: V8 allocates a typed array of more than 64 bytes
// outside its heap, at ~0.3 µs apiece, and a range query makes two per series and operation. A
// view keeps its slab alive; the columns live as long as the query, and the results it returns
// are copied out (Engine.evalRange), so slabs do not outlive queries for long.
const SLAB = 1 << 15;
let f64Slab = new Float64Array(SLAB);
let f64Used = 0;
let u8Slab = new Uint8Array(SLAB);
let u8Used = 0;

/** n zeroed float64s (slab regions are handed out once, never reused). */
function float64s(n: number): Float64Array {
  if (n <= 8 || n > SLAB >> 3) return new Float64Array(n);
  if (f64Used + n > SLAB) {
    f64Slab = new Float64Array(SLAB);
    f64Used = 0;
  }
  f64Used += n;
  return f64Slab.subarray(f64Used - n, f64Used);
}

function bytes(n: number): Uint8Array {
  if (n <= 64 || n > SLAB >> 3) return new Uint8Array(n);
  if (u8Used + n > SLAB) {
    u8Slab = new Uint8Array(SLAB);
    u8Used = 0;
  }
  u8Used += n;
  return u8Slab.subarray(u8Used - n, u8Used);
}

export function newSeries(labels: Labels, n: number): Series {
  return { labels, values: float64s(n), present: bytes(n) };
}

/** Number of points held by a value (what the sample limit counts). */
export function pointCount(v: Value): number {
  if (v.kind === 'scalar') return v.values.length;
  if (v.kind === 'string') return 0;
  let c = 0;
  for (const s of v.series) {
    const p = s.present;
    for (let i = 0; i < p.length; i++) c += p[i];
  }
  return c;
}

/** A string that identifies a label set, usable as a Map key. */
export function labelsKey(ls: Labels): string {
  return ls.join('\xff');
}

/** Labels without __name__ (the same array when there is none). */
export function dropMetricName(ls: Labels): Labels {
  for (let i = 0; i < ls.length; i += 2) {
    if (ls[i] === METRIC_NAME) return ls.slice(0, i).concat(ls.slice(i + 2));
  }
  return ls;
}

/**
 * dropMetricName with a memo for one operation over many steps: the same input array gives the
 * same output array at every step, so output series are found by identity.
 */
export function nameDropper(): (ls: Labels) => Labels {
  const memo = new Map<Labels, Labels>();
  return (ls) => {
    let out = memo.get(ls);
    if (out === undefined) {
      out = dropMetricName(ls);
      memo.set(ls, out);
    }
    return out;
  };
}

/**
 * Labels as Prometheus' Labels.String() prints them in error messages: {__name__="a", b="c"}; a
 * name outside the classic label charset quoted, as in Prometheus 3: {"a.b"="c"}.
 */
export function labelsString(ls: Labels): string {
  const parts: string[] = [];
  for (let i = 0; i < ls.length; i += 2) parts.push(`${isLegacyLabelName(ls[i]) ? ls[i] : goQuote(ls[i])}=${goQuote(ls[i + 1])}`);
  return `{${parts.join(', ')}}`;
}

/**
 * Collects output series step by step, keyed by label set. A second value for the same label set
 * at the same step is the error Prometheus reports for it.
 */
export class SeriesCollector {
  readonly series: Series[] = [];
  private readonly byHash = new Map<number, Series | Series[]>();
  // Operations usually hand in the same label arrays at every step: find those without hashing.
  private readonly byIdentity = new Map<Labels, Series>();
  private readonly n: number;

  constructor(n: number) {
    this.n = n;
  }

  private find(labels: Labels): Series {
    const h = labelsHash(labels);
    const hit = this.byHash.get(h);
    if (hit !== undefined) {
      if (!Array.isArray(hit)) {
        if (labelsEqual(hit.labels, labels)) return hit;
      } else {
        for (const s of hit) if (labelsEqual(s.labels, labels)) return s;
      }
    }
    const s = newSeries(labels, this.n);
    this.series.push(s);
    if (hit === undefined) this.byHash.set(h, s);
    else if (Array.isArray(hit)) hit.push(s);
    else this.byHash.set(h, [hit, s]);
    return s;
  }

  add(labels: Labels, step: number, v: number): void {
    this.set(this.seriesFor(labels), step, v);
  }

  /** The output series of a label set, created on first use. */
  seriesFor(labels: Labels): Series {
    let s = this.byIdentity.get(labels);
    if (s === undefined) {
      s = this.find(labels);
      if (this.n > 1) this.byIdentity.set(labels, s);
    }
    return s;
  }

  /** Sets a series' value at a step; a second value there is an error, as in add. */
  set(s: Series, step: number, v: number): void {
    if (s.present[step] === 1) {
      throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
    }
    s.values[step] = v;
    s.present[step] = 1;
  }
}
