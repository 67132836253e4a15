// Binary operators: arithmetic, comparisons (filtering or bool), set operators, and vector
// matching with on/ignoring and group_left/group_right, with Prometheus' errors for ambiguous
// matches. Signatures and output label sets are computed once per series (pair), not per step.
import { METRIC_NAME, type Labels } from '../../model/index.ts';
import type { BinaryExpr, BinaryOp, VectorMatching } from '../ast.ts';
import { PromQLError } from './errors.ts';
import type { Evaluator } from './eval.ts';
import {
  dropMetricName, labelsKey, labelsString, newSeries, SeriesCollector,
  type Series, type Steps, type Value, type VectorValue,
} from './values.ts';

const ARITHMETIC = new Set<BinaryOp>(['+', '-', '*', '/', '%', '^', 'atan2']);

/** Applies an arithmetic operator. */
export function arith(op: BinaryOp, l: number, r: number): number {
  switch (op) {
    case '+': return l + r;
    case '-': return l - r;
    case '*': return l * r;
    case '/': return l / r;
    case '%': return l % r;
    case '^': return Math.pow(l, r);
    case 'atan2': return Math.atan2(l, r);
    default: return NaN;
  }
}

/** Applies a comparison operator. */
export function compare(op: BinaryOp, l: number, r: number): boolean {
  switch (op) {
    case '==': return l === r;
    case '!=': return l !== r;
    case '>': return l > r;
    case '<': return l < r;
    case '>=': return l >= r;
    case '<=': return l <= r;
    default: return false;
  }
}

/** The result of pairValue when it returns true. */
let pairResult = 0;

/**
 * `lv op rv` for one pair of samples into pairResult; false when a filtering comparison drops the
 * pair. A kept pair's value is `kept`: Prometheus keeps the left operand's sample between two
 * vectors, and the vector's sample (whichever side it is on) against a scalar.
 */
function pairValue(e: BinaryExpr, isArith: boolean, lv: number, rv: number, kept: number): boolean {
  if (isArith) pairResult = arith(e.op, lv, rv);
  else {
    const keep = compare(e.op, lv, rv);
    if (e.returnBool) pairResult = keep ? 1 : 0;
    else if (!keep) return false;
    else pairResult = kept;
  }
  return true;
}

/** Sample values of one operand series over the steps (a scalar: present at every step). */
type Operand = Pick<Series, 'values' | 'present'>;

/**
 * Fills `out` with `many op one` at every step where both have a sample (the operands swapped
 * when `swapped`: `one` is then the left side); true when any step has a value. `keepMany`: a
 * filter keeps `many`'s sample (vector against scalar) rather than the left operand's.
 */
function combineSeries(e: BinaryExpr, isArith: boolean, many: Operand, one: Operand, swapped: boolean, keepMany: boolean, out: Series, n: number): boolean {
  let any = false;
  for (let i = 0; i < n; i++) {
    if (many.present[i] === 0 || one.present[i] === 0) continue;
    const mv = many.values[i];
    const lv = swapped ? one.values[i] : mv;
    const rv = swapped ? mv : one.values[i];
    if (!pairValue(e, isArith, lv, rv, keepMany ? mv : lv)) continue;
    out.values[i] = pairResult;
    out.present[i] = 1;
    any = true;
  }
  return any;
}

export function evalBinary(ev: Evaluator, e: BinaryExpr, l: Value, r: Value, steps: Steps): Value {
  const n = steps.n;
  const isArith = ARITHMETIC.has(e.op);
  if (l.kind === 'scalar' && r.kind === 'scalar') {
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) {
      out[i] = isArith ? arith(e.op, l.values[i], r.values[i]) : compare(e.op, l.values[i], r.values[i]) ? 1 : 0;
    }
    return { kind: 'scalar', values: out };
  }
  if (l.kind === 'vector' && r.kind === 'scalar') return vectorScalar(ev, e, l, r.values, false, n);
  if (l.kind === 'scalar' && r.kind === 'vector') return vectorScalar(ev, e, r, l.values, true, n);
  if (l.kind !== 'vector' || r.kind !== 'vector') throw new PromQLError('internal', 'binary operator on non-numeric operands');
  const m = e.matching ?? { card: 'one-to-one', on: false, labels: [], include: [], explicit: false };
  switch (e.op) {
    case 'and': return andUnless(ev, l, r, m, n, true);
    case 'unless': return andUnless(ev, l, r, m, n, false);
    case 'or': return or(ev, l, r, m, n);
    default: return vectorVector(ev, e, l, r, m, n);
  }
}

function vectorScalar(ev: Evaluator, e: BinaryExpr, v: VectorValue, sc: Float64Array, swap: boolean, n: number): VectorValue {
  const isArith = ARITHMETIC.has(e.op);
  const drop = isArith || e.returnBool;
  const scalar: Operand = { values: sc, present: new Uint8Array(n).fill(1) };
  const out: Series[] = [];
  for (const s of v.series) {
    ev.checkpoint();
    const o = newSeries(drop ? dropMetricName(s.labels) : s.labels, n);
    if (combineSeries(e, isArith, s, scalar, swap, true, o, n)) out.push(o);
  }
  return drop ? mergeDuplicates(out, n) : { kind: 'vector', series: out };
}

/** Series that became identical by losing __name__ may not both have a value at a step. */
function mergeDuplicates(series: Series[], n: number): VectorValue {
  const keys = new Set<string>();
  let clash = false;
  for (const s of series) {
    const k = labelsKey(s.labels);
    if (keys.has(k)) {
      clash = true;
      break;
    }
    keys.add(k);
  }
  if (!clash) return { kind: 'vector', series };
  const c = new SeriesCollector(n);
  for (const s of series) for (let i = 0; i < n; i++) if (s.present[i] === 1) c.add(s.labels, i, s.values[i]);
  return { kind: 'vector', series: c.series };
}

/** The match signature of a series: on(...) keeps only those labels, ignoring(...) drops them and __name__. */
export function signature(ls: Labels, m: VectorMatching): Labels {
  const out: string[] = [];
  for (let i = 0; i < ls.length; i += 2) {
    const name = ls[i];
    const listed = m.labels.includes(name);
    if (m.on ? listed : !listed && name !== METRIC_NAME) out.push(name, ls[i + 1]);
  }
  return out;
}

function sigKeys(v: VectorValue, m: VectorMatching): string[] {
  return v.series.map((s) => labelsKey(signature(s.labels, m)));
}

function andUnless(ev: Evaluator, l: VectorValue, r: VectorValue, m: VectorMatching, n: number, and: boolean): VectorValue {
  const lk = sigKeys(l, m);
  const rk = sigKeys(r, m);
  const out: Series[] = [];
  const present = new Set<string>();
  const outs: (Series | null)[] = l.series.map(() => null);
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    present.clear();
    for (let k = 0; k < r.series.length; k++) if (r.series[k].present[i] === 1) present.add(rk[k]);
    for (let k = 0; k < l.series.length; k++) {
      const s = l.series[k];
      if (s.present[i] === 0 || present.has(lk[k]) !== and) continue;
      let o = outs[k];
      if (o === null) {
        o = newSeries(s.labels, n);
        outs[k] = o;
        out.push(o);
      }
      o.values[i] = s.values[i];
      o.present[i] = 1;
    }
  }
  return { kind: 'vector', series: out };
}

function or(ev: Evaluator, l: VectorValue, r: VectorValue, m: VectorMatching, n: number): VectorValue {
  const lk = sigKeys(l, m);
  const rk = sigKeys(r, m);
  const c = new SeriesCollector(n);
  const present = new Set<string>();
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    present.clear();
    for (let k = 0; k < l.series.length; k++) {
      const s = l.series[k];
      if (s.present[i] === 0) continue;
      present.add(lk[k]);
      c.add(s.labels, i, s.values[i]);
    }
    for (let k = 0; k < r.series.length; k++) {
      const s = r.series[k];
      if (s.present[i] === 0 || present.has(rk[k])) continue;
      c.add(s.labels, i, s.values[i]);
    }
  }
  return { kind: 'vector', series: c.series };
}

/** The labels of a matched pair's result (Prometheus' resultMetric); `one` is the "one" side. */
function resultLabels(many: Labels, one: Labels, op: BinaryOp, m: VectorMatching, returnBool: boolean): Labels {
  const dropName = ARITHMETIC.has(op) || returnBool;
  if (m.include.length === 0) {
    // Nothing taken from the one side: the many side's labels, some dropped, still sorted. The
    // common case (`a / b`, `a > bool b`), so it skips the map and the sort below.
    const oneToOne = m.card === 'one-to-one';
    if (!oneToOne || (!m.on && m.labels.length === 0)) return dropName ? dropMetricName(many) : many;
    const out: string[] = [];
    for (let i = 0; i < many.length; i += 2) {
      const name = many[i];
      if (dropName && name === METRIC_NAME) continue;
      if (m.labels.includes(name) !== m.on) continue;
      out.push(name, many[i + 1]);
    }
    return out;
  }
  const map = new Map<string, string>();
  for (let i = 0; i < many.length; i += 2) map.set(many[i], many[i + 1]);
  if (dropName) map.delete(METRIC_NAME);
  if (m.card === 'one-to-one') {
    if (m.on) {
      for (const k of [...map.keys()]) if (!m.labels.includes(k)) map.delete(k);
    } else {
      for (const k of m.labels) map.delete(k);
    }
  }
  for (const name of m.include) {
    let v = '';
    for (let i = 0; i < one.length; i += 2) if (one[i] === name) v = one[i + 1];
    if (v !== '') map.set(name, v);
    else map.delete(name);
  }
  const names = [...map.keys()].sort();
  const out: string[] = [];
  for (const k of names) out.push(k, map.get(k) as string);
  return out;
}

function vectorVector(ev: Evaluator, e: BinaryExpr, l: VectorValue, r: VectorValue, m: VectorMatching, n: number): VectorValue {
  // For group_right the right side is the "many" side: swap so `many` is always the many side.
  const swapped = m.card === 'one-to-many';
  const many = swapped ? r : l;
  const one = swapped ? l : r;
  const manyKeys = sigKeys(many, m);
  const oneKeys = sigKeys(one, m);
  const isArith = ARITHMETIC.has(e.op);
  const fast = staticMatch(many, one, manyKeys, oneKeys, e, m);
  if (fast !== null) return applyStatic(ev, e, many, one, fast, swapped, isArith, n);
  const c = new SeriesCollector(n);
  const oneBySig = new Map<string, number>();
  const matched = new Map<string, Set<string> | null>();
  const pairLabels = new Map<number, Labels>();
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    oneBySig.clear();
    matched.clear();
    for (let k = 0; k < one.series.length; k++) {
      if (one.series[k].present[i] === 0) continue;
      const prev = oneBySig.get(oneKeys[k]);
      if (prev !== undefined) {
        const a = one.series[prev].labels;
        const b = one.series[k].labels;
        throw new PromQLError('execution',
          `found duplicate series for the match group ${labelsString(signature(b, m))} on the ${swapped ? 'left' : 'right'} hand-side of the operation: ` +
          `[${labelsString(b)}, ${labelsString(a)}];many-to-many matching not allowed: matching labels must be unique on one side`);
      }
      oneBySig.set(oneKeys[k], k);
    }
    for (let k = 0; k < many.series.length; k++) {
      const s = many.series[k];
      if (s.present[i] === 0) continue;
      const sig = manyKeys[k];
      const o = oneBySig.get(sig);
      if (o === undefined) continue;
      const lv = swapped ? one.series[o].values[i] : s.values[i];
      const rv = swapped ? s.values[i] : one.series[o].values[i];
      if (!pairValue(e, isArith, lv, rv, lv)) continue;
      const val = pairResult;
      const pk = k * one.series.length + o;
      let labels = pairLabels.get(pk);
      if (labels === undefined) {
        labels = resultLabels(s.labels, one.series[o].labels, e.op, m, e.returnBool);
        pairLabels.set(pk, labels);
      }
      if (m.card === 'one-to-one') {
        if (matched.has(sig)) throw new PromQLError('execution', 'multiple matches for labels: many-to-one matching must be explicit (group_left/group_right)');
        matched.set(sig, null);
      } else {
        let inserted = matched.get(sig);
        if (inserted === undefined || inserted === null) {
          inserted = new Set();
          matched.set(sig, inserted);
        }
        const lk = labelsKey(labels);
        if (inserted.has(lk)) throw new PromQLError('execution', 'multiple matches for matching labels grouping labels must ensure unique matches');
        inserted.add(lk);
      }
      c.add(labels, i, val);
    }
  }
  return { kind: 'vector', series: c.series };
}

interface StaticMatch {
  /** For each many-side series: the one-side series it matches, or -1. */
  partner: Int32Array;
  /** Output labels of each many-side series' pair. */
  labels: (Labels | null)[];
}

/**
 * When signatures are unique on the one side across all series, and the pairs' output label sets
 * are all distinct, every many-side series has one fixed partner and no step can produce a
 * matching error: the per-step matching reduces to checking presence. Null when that does not
 * hold; the general path then decides step by step (and raises Prometheus' errors).
 */
function staticMatch(many: VectorValue, one: VectorValue, manyKeys: string[], oneKeys: string[], e: BinaryExpr, m: VectorMatching): StaticMatch | null {
  const oneBySig = new Map<string, number>();
  for (let k = 0; k < oneKeys.length; k++) {
    if (oneBySig.has(oneKeys[k])) return null;
    oneBySig.set(oneKeys[k], k);
  }
  const partner = new Int32Array(manyKeys.length);
  const labels: (Labels | null)[] = new Array(manyKeys.length).fill(null);
  const seenSig = new Set<string>();
  const seenOut = new Set<string>();
  for (let k = 0; k < manyKeys.length; k++) {
    const o = oneBySig.get(manyKeys[k]);
    if (o === undefined) {
      partner[k] = -1;
      continue;
    }
    if (m.card === 'one-to-one') {
      if (seenSig.has(manyKeys[k])) return null;
      seenSig.add(manyKeys[k]);
    }
    partner[k] = o;
    const out = resultLabels(many.series[k].labels, one.series[o].labels, e.op, m, e.returnBool);
    const key = labelsKey(out);
    if (seenOut.has(key)) return null;
    seenOut.add(key);
    labels[k] = out;
  }
  return { partner, labels };
}

function applyStatic(ev: Evaluator, e: BinaryExpr, many: VectorValue, one: VectorValue, sm: StaticMatch, swapped: boolean, isArith: boolean, n: number): VectorValue {
  const out: Series[] = [];
  for (let k = 0; k < many.series.length; k++) {
    const o = sm.partner[k];
    if (o < 0) continue;
    ev.checkpoint();
    const res = newSeries(sm.labels[k] as Labels, n);
    if (combineSeries(e, isArith, many.series[k], one.series[o], swapped, false, res, n)) out.push(res);
  }
  return { kind: 'vector', series: out };
}
