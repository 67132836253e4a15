// The evaluator: walks the AST once, evaluating each node over all steps of its range at once.
// Selectors fetch their series once (union of all steps' windows) and are sliced per step with
// moving pointers or binary search; nothing is fetched per step.
import { getLabel, isStaleNaN, METRIC_NAME, type Labels } from '../../model/index.ts';
import { ReadAbortedError, type Querier, type SeriesData } from '../../tsdb/index.ts';
import type { AtModifier, Call, Expr, MatrixSelector, PosRange, SubqueryExpr, VectorSelector } from '../ast.ts';
import { positionText } from '../errors.ts';
import { unwrapParens } from '../ast.ts';
import { FUNCTIONS } from '../functions/index.ts';
import type { FnArg, FnContext, FunctionDef, InstantArg, RangeArg, WindowFunction } from '../functions/types.ts';
import { evalAggregate } from './aggregate.ts';
import { evalBinary } from './binary.ts';
import { PromQLError } from './errors.ts';
import {
  dropMetricName, labelsKey, makeSteps, nameDropper, newSeries, pointCount, SeriesCollector,
  type Series, type Steps, type Value, type VectorValue,
} from './values.ts';

export interface EvalOptions {
  querier: Querier;
  lookbackMs: number;
  maxSamples: number;
  defaultSubqueryStepMs: number;
  /** The query's own start and end (what @ start() and @ end() mean, also inside subqueries). */
  queryStart: number;
  queryEnd: number;
  /** The outer query's step (0 for instant queries), for selector hints and function contexts. */
  queryStep: number;
  deadline: number;
  timeoutMs: number;
  signal?: AbortSignal;
  /** The query text, for the positions annotations carry. */
  query?: string;
}

/** Series of a range (matrix) operand, stale markers removed, with how each step's window lies. */
export interface RangeData {
  labels: Labels[];
  timestamps: Float64Array[];
  values: Float64Array[];
  rangeMs: number;
  /** The end of the window at each step: (ends[i] - rangeMs, ends[i]]. */
  ends: Float64Array;
}

export class Evaluator {
  readonly opts: EvalOptions;
  readonly warnings = new Set<string>();
  samplesLoaded = 0;
  current = 0;
  peak = 0;
  private checks = 0;
  private readonly cancel: Promise<never>;
  private timer: NodeJS.Timeout | undefined;
  private onAbort: (() => void) | undefined;

  constructor(opts: EvalOptions) {
    this.opts = opts;
    // One promise that rejects on timeout or abort, raced against every storage read so a
    // canceled query stops waiting at once.
    this.cancel = new Promise<never>((_, reject) => {
      this.timer = setTimeout(() => reject(this.timeoutError()), Math.max(0, opts.deadline - Date.now()));
      this.onAbort = () => reject(canceledError());
      opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    });
    this.cancel.catch(() => undefined);
  }

  /** Adds an annotation, with the position of the expression it is about as Prometheus writes it. */
  annotate(message: string, at?: PosRange): void {
    this.warnings.add(at === undefined || this.opts.query === undefined ? message : `${message} (${positionText(this.opts.query, at.start)})`);
  }

  /** Releases the timer and the abort listener once the query is done. */
  dispose(): void {
    clearTimeout(this.timer);
    if (this.onAbort !== undefined) this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  private timeoutError(): PromQLError {
    return new PromQLError('timeout', 'query timed out in expression evaluation');
  }

  /** Throws when the query timed out or was canceled; cheap enough for inner loops. */
  checkpoint(): void {
    if ((++this.checks & 255) !== 0) return;
    this.checkNow();
  }

  checkNow(): void {
    if (this.opts.signal?.aborted === true) throw canceledError();
    if (Date.now() > this.opts.deadline) throw this.timeoutError();
  }

  hold(n: number): void {
    this.current += n;
    if (this.current > this.peak) this.peak = this.current;
    if (this.current > this.opts.maxSamples) {
      throw new PromQLError('execution', 'query processing would load too many samples into memory in query execution');
    }
  }

  release(n: number): void {
    this.current -= n;
  }

  private async select(vs: VectorSelector, mint: number, maxt: number, func?: string, lastOnly = false): Promise<SeriesData[]> {
    this.checkNow();
    // The read itself stops too (its pauses check the context), instead of running on unheard.
    // Its sample budget, what hold() would still accept, guards memory against reads far over
    // the limit; it counts what is stored, staleness markers included, which the query's count
    // (as Prometheus') leaves out. A read at one time loads one sample per series, its newest: a
    // value, which the query counts, or a staleness marker, which it does not. Twice the budget
    // there, the read stops only where more series ended in a marker than the whole budget,
    // instead of wherever markers push it over, and the exact count below decides the rest.
    const left = this.opts.maxSamples - this.current;
    const ctx = { signal: this.opts.signal, deadline: this.opts.deadline, maxSamples: lastOnly ? 2 * left : left };
    const p = this.opts.querier.select(vs.matchers, mint, maxt, { step: this.opts.queryStep, func, lastOnly }, ctx);
    let res: SeriesData[];
    try {
      res = await Promise.race([p, this.cancel]);
    } catch (e) {
      if (!(e instanceof ReadAbortedError)) throw e;
      if (e.reason === 'too_many_samples') {
        throw new PromQLError('execution', 'query processing would load too many samples into memory in query execution');
      }
      throw e.reason === 'timeout' ? this.timeoutError() : canceledError();
    }
    this.checkNow();
    return res;
  }

  /** The time a selector or subquery reads at for step time t: @ replaces t, offset is subtracted. */
  private readTimes(steps: Steps, at: AtModifier | null, offsetMs: number): Float64Array {
    const out = new Float64Array(steps.n);
    let fixed = NaN;
    if (at !== null) fixed = at.kind === 'start' ? this.opts.queryStart : at.kind === 'end' ? this.opts.queryEnd : at.ms;
    for (let i = 0; i < steps.n; i++) out[i] = (at !== null ? fixed : steps.start + i * steps.step) - offsetMs;
    return out;
  }

  async eval(e: Expr, steps: Steps): Promise<Value> {
    this.checkNow();
    switch (e.type) {
      case 'NumberLiteral': {
        const v = new Float64Array(steps.n).fill(e.value);
        return { kind: 'scalar', values: v };
      }
      case 'StringLiteral':
        return { kind: 'string', value: e.value };
      case 'ParenExpr':
        return this.eval(e.expr, steps);
      case 'VectorSelector':
        return this.vectorSelector(e, steps);
      case 'UnaryExpr': {
        const v = await this.eval(e.expr, steps);
        if (e.op === '+') return v;
        if (v.kind === 'scalar') {
          for (let i = 0; i < v.values.length; i++) v.values[i] = -v.values[i];
          return v;
        }
        if (v.kind !== 'vector') throw new PromQLError('internal', 'unary minus on a non-numeric value');
        const out: Series[] = v.series.map((s) => {
          const values = new Float64Array(s.values.length);
          for (let i = 0; i < values.length; i++) values[i] = -s.values[i];
          return { labels: dropMetricName(s.labels), values, present: s.present };
        });
        // Prometheus checks the whole result here, not step by step: two series that differ
        // only in their name collide even at different times.
        const seen = new Set<string>();
        for (const s of out) {
          const k = labelsKey(s.labels);
          if (seen.has(k)) throw new PromQLError('execution', 'vector cannot contain metrics with the same labelset');
          seen.add(k);
        }
        return { kind: 'vector', series: out };
      }
      case 'BinaryExpr': {
        const l = await this.eval(e.lhs, steps);
        const r = await this.eval(e.rhs, steps);
        const res = evalBinary(this, e, l, r, steps);
        this.hold(pointCount(res));
        this.release(pointCount(l) + pointCount(r));
        return res;
      }
      case 'AggregateExpr': {
        const param = e.param === null ? null : await this.eval(e.param, steps);
        const inner = await this.eval(e.expr, steps);
        const res = evalAggregate(this, e, param, inner as VectorValue, steps);
        this.hold(pointCount(res));
        this.release(pointCount(inner));
        return res;
      }
      case 'Call':
        return this.call(e, steps);
      case 'MatrixSelector':
      case 'SubqueryExpr':
        throw new PromQLError('bad_data', `unexpected range vector in ${e.type === 'MatrixSelector' ? 'selector' : 'subquery'} position`);
    }
  }

  /** `withSampleTs`: also record each step's sample timestamp (only timestamp() needs them). */
  private async vectorSelector(vs: VectorSelector, steps: Steps, withSampleTs = false): Promise<VectorValue> {
    const out: Series[] = [];
    if (steps.n === 0) return { kind: 'vector', series: out };
    const times = this.readTimes(steps, vs.at, vs.offsetMs);
    let minT = Infinity;
    let maxT = -Infinity;
    for (let i = 0; i < times.length; i++) {
      if (times[i] < minT) minT = times[i];
      if (times[i] > maxT) maxT = times[i];
    }
    const lookback = this.opts.lookbackMs;
    // Read at one time (an instant query, or @): only each series' newest sample counts.
    const data = await this.select(vs, minT - lookback + 1, maxT, undefined, minT === maxT);
    // As Prometheus counts a selector: the points it returns, not the samples read for them (nor
    // staleness markers, which return nothing).
    let held = 0;
    for (const d of data) {
      this.checkpoint();
      const ts = d.timestamps;
      const vals = d.values;
      let s: Series | null = null;
      let j = -1; // index of the newest sample at or before the read time
      for (let i = 0; i < times.length; i++) {
        const t = times[i];
        if (i > 0 && t < times[i - 1]) j = -1; // read times only go backwards with odd @ use; restart
        while (j + 1 < ts.length && ts[j + 1] <= t) j++;
        if (j < 0 || ts[j] <= t - lookback) continue;
        const v = vals[j];
        if (v !== v && isStaleNaN(v)) continue;
        if (s === null) {
          s = newSeries(d.labels, steps.n);
          if (withSampleTs) s.sampleTs = new Float64Array(steps.n);
        }
        s.values[i] = v;
        s.present[i] = 1;
        if (s.sampleTs !== undefined) s.sampleTs[i] = ts[j];
        held++;
      }
      if (s !== null) out.push(s);
    }
    this.samplesLoaded += held;
    this.hold(held);
    return { kind: 'vector', series: out };
  }

  /** The series of a range selector or subquery, with each step's window end. */
  async rangeData(e: MatrixSelector | SubqueryExpr, steps: Steps, func?: string): Promise<RangeData> {
    if (e.type === 'MatrixSelector') {
      const vs = e.vector;
      const ends = this.readTimes(steps, vs.at, vs.offsetMs);
      const { minT, maxT } = bounds(ends);
      const data = steps.n === 0 ? [] : await this.select(vs, minT - e.rangeMs + 1, maxT, func);
      const rd: RangeData = { labels: [], timestamps: [], values: [], rangeMs: e.rangeMs, ends };
      let raw = 0;
      for (const d of data) {
        const { timestamps, values } = withoutStaleMarkers(d.timestamps, d.values);
        if (timestamps.length === 0) continue;
        rd.labels.push(d.labels);
        rd.timestamps.push(timestamps);
        rd.values.push(values);
        raw += timestamps.length;
      }
      this.hold(raw);
      return rd;
    }
    // A subquery: evaluate the inner expression at absolute multiples of its step that fall in
    // the union of all windows, then slice windows out of that like a range selector.
    const ends = this.readTimes(steps, e.at, e.offsetMs);
    const rd: RangeData = { labels: [], timestamps: [], values: [], rangeMs: e.rangeMs, ends };
    if (steps.n === 0) return rd;
    const { minT, maxT } = bounds(ends);
    const subStep = e.stepMs > 0 ? e.stepMs : this.opts.defaultSubqueryStepMs;
    const lo = minT - e.rangeMs;
    let first = Math.floor(lo / subStep) * subStep;
    if (first <= lo) first += subStep;
    const last = Math.floor(maxT / subStep) * subStep;
    if (first > last) return rd;
    const inner = await this.eval(e.expr, makeSteps(first, last, subStep));
    if (inner.kind !== 'vector') throw new PromQLError('internal', 'subquery of a non-vector expression');
    let raw = 0;
    for (const s of inner.series) {
      let n = 0;
      for (let i = 0; i < s.present.length; i++) n += s.present[i];
      if (n === 0) continue;
      const timestamps = new Float64Array(n);
      const values = new Float64Array(n);
      let k = 0;
      for (let i = 0; i < s.present.length; i++) {
        if (s.present[i] === 0) continue;
        timestamps[k] = first + i * subStep;
        values[k++] = s.values[i];
      }
      rd.labels.push(s.labels);
      rd.timestamps.push(timestamps);
      rd.values.push(values);
      raw += n;
    }
    // The dense inner result is replaced by the compact one.
    this.hold(raw);
    this.release(pointCount(inner));
    return rd;
  }

  private async call(e: Call, steps: Steps): Promise<Value> {
    const def = FUNCTIONS.get(e.func);
    if (def === undefined) throw new PromQLError('bad_data', `unknown function with name ${JSON.stringify(e.func)}`);
    const n = steps.n;
    // Evaluate the arguments over all steps first.
    const evaluated: (Value | RangeData)[] = [];
    for (const a of e.args) {
      const u = unwrapParens(a);
      if (u.type === 'MatrixSelector' || u.type === 'SubqueryExpr') evaluated.push(await this.rangeData(u, steps, e.func));
      else if (u.type === 'VectorSelector' && e.func === 'timestamp') evaluated.push(await this.vectorSelector(u, steps, true));
      else evaluated.push(await this.eval(a, steps));
    }
    const only = evaluated.length === 1 ? evaluated[0] : null;
    if (def.window !== undefined && only !== null && 'ends' in only) {
      // As Prometheus: rate() and increase() of a selector whose name is not a counter's say so.
      const counterAt = (e.func === 'rate' || e.func === 'increase') && e.args[0].type === 'MatrixSelector' ? e.args[0].pos : null;
      const out = windowsBySeries(this, def, def.window, only, n, counterAt);
      let raw = 0;
      for (const t of only.timestamps) raw += t.length;
      this.release(raw);
      this.hold(pointCount(out));
      return out;
    }
    const fnArgs: FnArg[] = evaluated.map((v) => {
      if ('ends' in v) return { kind: 'range', labels: [], timestamps: [], values: [], rangeStart: 0, rangeEnd: 0, rangeMs: v.rangeMs } satisfies RangeArg;
      if (v.kind === 'scalar') return { kind: 'scalar', value: 0 };
      if (v.kind === 'string') return { kind: 'string', value: v.value };
      return { kind: 'instant', labels: [], values: new Float64Array(0), timestamps: new Float64Array(0) } satisfies InstantArg;
    });
    const buffers = evaluated.map((v) => ('ends' in v || v.kind !== 'vector' ? null : { values: new Float64Array(v.series.length), ts: new Float64Array(v.series.length) }));
    const drop = n > 1 ? nameDropper() : dropMetricName;
    const ctx: FnContext = {
      t: 0,
      stepMs: this.opts.queryStep,
      startMs: this.opts.queryStart,
      endMs: this.opts.queryEnd,
      argExprs: e.args,
      dropMetricName: drop,
      warn: (m, at) => this.annotate(m, at),
    };
    const cursors = evaluated.map((v) => ('ends' in v ? newWindowCursor(v.labels.length) : null));
    const scalarOut = def.returnType === 'scalar' ? new Float64Array(n) : null;
    const collector = new SeriesCollector(n);
    let prevLabels: Labels[] = [];
    let prevSeries: Series[] = [];
    for (let i = 0; i < n; i++) {
      this.checkpoint();
      const t = steps.start + i * steps.step;
      ctx.t = t;
      for (let a = 0; a < evaluated.length; a++) {
        const v = evaluated[a];
        const arg = fnArgs[a];
        if ('ends' in v) {
          this.samplesLoaded += fillWindows(v, i, arg as RangeArg, cursors[a] as WindowCursor);
        } else if (v.kind === 'scalar') (arg as { value: number }).value = v.values[i];
        else if (v.kind === 'vector') {
          const ia = arg as InstantArg;
          const buf = buffers[a] as { values: Float64Array; ts: Float64Array };
          const labels: Labels[] = [];
          for (const s of v.series) {
            if (s.present[i] === 0) continue;
            buf.values[labels.length] = s.values[i];
            buf.ts[labels.length] = s.sampleTs !== undefined ? s.sampleTs[i] : t;
            labels.push(s.labels);
          }
          ia.labels = labels;
          ia.values = buf.values.subarray(0, labels.length);
          ia.timestamps = buf.ts.subarray(0, labels.length);
        }
      }
      const res = def.call(fnArgs, ctx);
      if (typeof res === 'number') {
        if (scalarOut !== null) scalarOut[i] = res;
        continue;
      }
      // A function usually returns the same label arrays in the same order at every step: the
      // previous step's output series are then found by position, without any hashing.
      const stepSeries = new Array<Series>(res.labels.length);
      for (let k = 0; k < res.labels.length; k++) {
        const ls = res.labels[k];
        const s = k < prevLabels.length && prevLabels[k] === ls
          ? prevSeries[k]
          : collector.seriesFor(def.keepMetricName === true ? ls : drop(ls));
        collector.set(s, i, res.values[k]);
        stepSeries[k] = s;
      }
      prevLabels = res.labels;
      prevSeries = stepSeries;
    }
    for (const v of evaluated) {
      if ('ends' in v) {
        let c = 0;
        for (const t of v.timestamps) c += t.length;
        this.release(c);
      } else this.release(pointCount(v));
    }
    if (scalarOut !== null) return { kind: 'scalar', values: scalarOut };
    const out: VectorValue = { kind: 'vector', series: collector.series, ordered: def.ordersResult === true };
    this.hold(pointCount(out));
    return out;
  }
}

/**
 * A function of each series' window alone, evaluated series by series over all steps (as
 * Prometheus does): each series' window bounds walk forward through its samples once, a window
 * that did not move keeps its views (or needs none), and values go straight into the output
 * series.
 */
function windowsBySeries(ev: Evaluator, def: FunctionDef, window: WindowFunction, rd: RangeData, n: number, counterAt: PosRange | null): VectorValue {
  const collector = new SeriesCollector(n);
  // Functions that take index ranges need no views at all.
  const windowIn = def.windowIn;
  let loaded = 0;
  let checkedName = '';
  for (let s = 0; s < rd.labels.length; s++) {
    const ts = rd.timestamps[s];
    const vs = rd.values[s];
    let out: Series | null = null;
    let lo = 0;
    let hi = 0;
    let viewLo = -1;
    let viewHi = -1;
    let wts = ts;
    let wvs = vs;
    for (let i = 0; i < n; i++) {
      ev.checkpoint();
      const end = rd.ends[i];
      const start = end - rd.rangeMs;
      if (i > 0 && end >= rd.ends[i - 1]) {
        lo = advance(ts, start, lo);
        hi = advance(ts, end, Math.max(lo, hi));
      } else {
        lo = upperBound(ts, start, 0);
        hi = upperBound(ts, end, lo);
      }
      if (hi <= lo) continue;
      loaded += hi - lo;
      let v: number | null;
      if (windowIn !== undefined) v = windowIn(ts, vs, lo, hi, start, end, rd.rangeMs);
      else {
        if (lo !== viewLo || hi !== viewHi) {
          viewLo = lo;
          viewHi = hi;
          wts = ts.subarray(lo, hi);
          wvs = vs.subarray(lo, hi);
        }
        v = window(wts, wvs, start, end, rd.rangeMs);
      }
      if (v === null) continue;
      out ??= collector.seriesFor(def.keepMetricName === true ? rd.labels[s] : dropMetricName(rd.labels[s]));
      collector.set(out, i, v);
    }
    if (counterAt !== null && out !== null) checkedName = noteNonCounter(ev, rd.labels[s], counterAt, checkedName);
  }
  ev.samplesLoaded += loaded;
  return { kind: 'vector', series: collector.series, ordered: false };
}

const COUNTER_SUFFIX = /_(?:total|sum|count|bucket)$/;

// Returns the name checked; series of one name usually come together, so the caller passes the
// last one back to skip checking it again.
function noteNonCounter(ev: Evaluator, ls: Labels, at: PosRange, lastChecked: string): string {
  const name = getLabel(ls, METRIC_NAME);
  if (name !== lastChecked && name !== '' && !COUNTER_SUFFIX.test(name)) {
    ev.annotate(`PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: ${JSON.stringify(name)}`, at);
  }
  return name;
}

function canceledError(): PromQLError {
  return new PromQLError('canceled', 'query was canceled in expression evaluation');
}

function bounds(ts: Float64Array): { minT: number; maxT: number } {
  let minT = Infinity;
  let maxT = -Infinity;
  for (let i = 0; i < ts.length; i++) {
    if (ts[i] < minT) minT = ts[i];
    if (ts[i] > maxT) maxT = ts[i];
  }
  return { minT, maxT };
}

/** The samples without stale markers (the same arrays when there are none). */
export function withoutStaleMarkers(ts: Float64Array, vs: Float64Array): { timestamps: Float64Array; values: Float64Array } {
  let stale = 0;
  for (let i = 0; i < vs.length; i++) if (vs[i] !== vs[i] && isStaleNaN(vs[i])) stale++;
  if (stale === 0) return { timestamps: ts, values: vs };
  const t2 = new Float64Array(ts.length - stale);
  const v2 = new Float64Array(ts.length - stale);
  let k = 0;
  for (let i = 0; i < vs.length; i++) {
    if (vs[i] !== vs[i] && isStaleNaN(vs[i])) continue;
    t2[k] = ts[i];
    v2[k++] = vs[i];
  }
  return { timestamps: t2, values: v2 };
}

/** First index with ts[i] > x. */
function upperBound(ts: Float64Array, x: number, lo: number): number {
  let hi = ts.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (ts[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Where each series' window stood at the previous step, and the views handed out for it. With a
 * step shorter than the scrape interval most windows do not move between steps; reusing their
 * views saves two typed-array allocations per series and step (the engine's largest cost).
 */
interface WindowCursor {
  bounds: Int32Array;
  ts: (Float64Array | undefined)[];
  vs: (Float64Array | undefined)[];
}

function newWindowCursor(series: number): WindowCursor {
  return { bounds: new Int32Array(series * 2).fill(-1), ts: new Array(series), vs: new Array(series) };
}

/**
 * Sets the range argument to the windows (end - range, end] of step i: views, no copies. Returns
 * the number of samples in them (for the samples-loaded statistic).
 */
function fillWindows(rd: RangeData, i: number, arg: RangeArg, cur: WindowCursor): number {
  const end = rd.ends[i];
  const start = end - rd.rangeMs;
  arg.rangeStart = start;
  arg.rangeEnd = end;
  // The argument's arrays are reused from step to step (functions only read them during the
  // call) and written by index: `length = 0` would drop their backing stores and every push
  // would grow them again.
  const labels = arg.labels;
  const tss = arg.timestamps;
  const vss = arg.values;
  const bounds = cur.bounds;
  // Windows usually move forward step by step, a sample or a few: then each bound is found by
  // walking on from where it was (sequential reads), not by a binary search over the series.
  const forward = i > 0 && rd.ends[i - 1] <= end;
  let k = 0;
  let points = 0;
  for (let s = 0; s < rd.labels.length; s++) {
    const ts = rd.timestamps[s];
    const prevLo = bounds[2 * s];
    let lo: number;
    let hi: number;
    if (forward && prevLo >= 0) {
      lo = advance(ts, start, prevLo);
      hi = advance(ts, end, Math.max(lo, bounds[2 * s + 1]));
    } else {
      lo = upperBound(ts, start, 0);
      hi = upperBound(ts, end, lo);
    }
    if (hi <= lo) continue;
    points += hi - lo;
    if (lo !== prevLo || hi !== bounds[2 * s + 1] || cur.ts[s] === undefined) {
      bounds[2 * s] = lo;
      bounds[2 * s + 1] = hi;
      cur.ts[s] = ts.subarray(lo, hi);
      cur.vs[s] = rd.values[s].subarray(lo, hi);
    }
    labels[k] = rd.labels[s];
    tss[k] = cur.ts[s]!;
    vss[k] = cur.vs[s]!;
    k++;
  }
  if (labels.length !== k) {
    labels.length = k;
    tss.length = k;
    vss.length = k;
  }
  return points;
}

/** First index at or after `from` with ts[i] > x: a few steps forward, then a binary search. */
function advance(ts: Float64Array, x: number, from: number): number {
  const stop = Math.min(ts.length, from + 8);
  let j = from;
  while (j < stop && ts[j] <= x) j++;
  return j < stop || j === ts.length ? j : upperBound(ts, x, j);
}

/** The windows of one step as standalone series (a range selector or subquery as a query result). */
export function windowsAt(rd: RangeData, i: number): { labels: Labels; timestamps: Float64Array; values: Float64Array }[] {
  const arg: RangeArg = { kind: 'range', labels: [], timestamps: [], values: [], rangeStart: 0, rangeEnd: 0, rangeMs: rd.rangeMs };
  fillWindows(rd, i, arg, newWindowCursor(rd.labels.length));
  return arg.labels.map((labels, k) => ({ labels, timestamps: arg.timestamps[k].slice(), values: arg.values[k].slice() }));
}
