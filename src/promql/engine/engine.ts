// The query engine: admission (concurrency limit with a FIFO queue), parsing, evaluation with
// limits, and shaping the result as the HTTP API returns it.
import { compareLabels } from '../../model/index.ts';
import type { Querier } from '../../tsdb/index.ts';
import type { Expr } from '../ast.ts';
import { unwrapParens } from '../ast.ts';
import { ParseError } from '../errors.ts';
import { FUNCTIONS } from '../functions/index.ts';
import { documentedType, exprType, parseExpr } from '../parser.ts';
import { PromQLError } from './errors.ts';
import { Evaluator, windowsAt } from './eval.ts';
import type { EngineOptions, QueryOptions, QueryResult, QueryValue } from './types.ts';
import { makeSteps, type Value } from './values.ts';

/** Prometheus refuses range queries with more points per series than this. */
const MAX_POINTS_PER_SERIES = 11_000;

/** A counting semaphore whose waiters are served first come, first served. */
class Gate {
  private free: number;
  private readonly waiters: (() => void)[] = [];
  constructor(n: number) {
    this.free = n;
  }

  /** Takes a slot if one is free and nobody waits; false otherwise. */
  tryAcquire(): boolean {
    if (this.free > 0 && this.waiters.length === 0) {
      this.free--;
      return true;
    }
    return false;
  }

  /** Resolves when a slot is taken; rejects (and gives up its place) on abort. */
  acquire(abort: Promise<never>): Promise<void> {
    if (this.free > 0) {
      this.free--;
      return Promise.resolve();
    }
    return new Promise<void>((resolve, reject) => {
      const w = (): void => resolve();
      this.waiters.push(w);
      abort.catch((err: unknown) => {
        const i = this.waiters.indexOf(w);
        if (i >= 0) {
          this.waiters.splice(i, 1);
          reject(err);
        }
      });
    });
  }

  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) next();
    else this.free++;
  }
}

// Parsed expressions by query text. Dashboards and rules send the same expressions over and over,
// and parsing one (grammar, lexer, regex compilation of its matchers) costs about as much as
// evaluating a small instant query. The AST is never modified by evaluation, so it can be shared.
const PARSED_CACHE_SIZE = 1000;

export class Engine {
  private readonly parsed = new Map<string, Expr>();
  private readonly lookbackMs: number;
  private readonly timeoutMs: number;
  private readonly maxSamples: number;
  private readonly defaultSubqueryStepMs: number;
  private readonly gate: Gate;

  constructor(opts: EngineOptions = {}) {
    this.lookbackMs = opts.lookbackDeltaMs ?? 300_000;
    this.timeoutMs = opts.timeoutMs ?? 120_000;
    this.maxSamples = opts.maxSamples ?? 50_000_000;
    this.defaultSubqueryStepMs = opts.defaultSubqueryStepMs ?? 60_000;
    this.gate = new Gate(opts.maxConcurrent ?? 20);
  }

  instantQuery(q: Querier, expr: string, timeMs: number, opts: QueryOptions = {}): Promise<QueryResult> {
    return this.run(q, expr, timeMs, timeMs, 0, opts);
  }

  rangeQuery(q: Querier, expr: string, startMs: number, endMs: number, stepMs: number, opts: QueryOptions = {}): Promise<QueryResult> {
    if (!(stepMs > 0)) return Promise.reject(new PromQLError('bad_data', 'zero or negative query resolution step widths are not accepted. Try a positive integer'));
    if (endMs < startMs) return Promise.reject(new PromQLError('bad_data', 'end timestamp must not be before start time'));
    if ((endMs - startMs) / stepMs > MAX_POINTS_PER_SERIES) {
      return Promise.reject(new PromQLError('bad_data', 'exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query resolution (?step=XX)'));
    }
    return this.run(q, expr, startMs, endMs, stepMs, opts);
  }

  private async run(q: Querier, text: string, start: number, end: number, step: number, opts: QueryOptions): Promise<QueryResult> {
    const expr = this.parse(text);
    const t = exprType(expr);
    if (step > 0 && t !== 'scalar' && t !== 'vector') {
      throw new PromQLError('bad_data', `invalid expression type ${JSON.stringify(documentedType(t))} for range query, must be Scalar or instant Vector`);
    }
    const deadline = Date.now() + this.timeoutMs;
    // A free slot is taken at once; otherwise the query waits in the queue, where waiting counts
    // against the timeout and an abort leaves the queue.
    if (!this.gate.tryAcquire()) await this.queue(opts.signal);
    let ev: Evaluator | undefined;
    try {
      const began = performance.now();
      ev = new Evaluator({
        querier: q,
        lookbackMs: opts.lookbackDeltaMs ?? this.lookbackMs,
        maxSamples: this.maxSamples,
        defaultSubqueryStepMs: this.defaultSubqueryStepMs,
        queryStart: start,
        queryEnd: end,
        queryStep: step,
        deadline,
        timeoutMs: this.timeoutMs,
        signal: opts.signal,
        query: text,
      });
      const value = step > 0 ? await this.evalRange(ev, expr, start, end, step) : await this.evalInstant(ev, expr, start);
      const result: QueryResult = { value, warnings: [...ev.warnings] };
      if (opts.stats === true) {
        result.stats = { samplesLoaded: ev.samplesLoaded, peakSamples: ev.peak, evalMs: performance.now() - began };
      }
      return result;
    } finally {
      ev?.dispose();
      this.gate.release();
    }
  }

  private async queue(signal: AbortSignal | undefined): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    let onAbort: (() => void) | undefined;
    const abort = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PromQLError('timeout', 'query timed out in query queue')), this.timeoutMs);
      onAbort = () => reject(new PromQLError('canceled', 'query was canceled in query queue'));
      if (signal?.aborted === true) onAbort();
      signal?.addEventListener('abort', onAbort, { once: true });
    });
    abort.catch(() => undefined);
    try {
      await this.gate.acquire(abort);
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
    }
  }

  /** The expression's AST, from the cache when this text was parsed lately. */
  private parse(text: string): Expr {
    let expr = this.parsed.get(text);
    if (expr !== undefined) {
      // Most recently used last: the oldest entry is the first to go.
      this.parsed.delete(text);
      this.parsed.set(text, expr);
      return expr;
    }
    try {
      expr = parseExpr(text);
    } catch (e) {
      if (e instanceof ParseError) throw new PromQLError('bad_data', e.message);
      throw e;
    }
    this.parsed.set(text, expr);
    if (this.parsed.size > PARSED_CACHE_SIZE) this.parsed.delete(this.parsed.keys().next().value as string);
    return expr;
  }

  private async evalInstant(ev: Evaluator, expr: Expr, t: number): Promise<QueryValue> {
    const steps = makeSteps(t, t, 1);
    const u = unwrapParens(expr);
    if (u.type === 'MatrixSelector' || u.type === 'SubqueryExpr') {
      const rd = await ev.rangeData(u, steps);
      const series = windowsAt(rd, 0).sort((a, b) => compareLabels(a.labels, b.labels));
      return { type: 'matrix', series };
    }
    const v = await ev.eval(expr, steps);
    switch (v.kind) {
      case 'scalar':
        return { type: 'scalar', t, v: v.values[0] };
      case 'string':
        return { type: 'string', t, v: v.value };
      case 'vector': {
        const samples = [];
        for (const s of v.series) if (s.present[0] === 1) samples.push({ labels: s.labels, t, v: s.values[0] });
        if (!isOrdered(expr, v)) samples.sort((a, b) => compareLabels(a.labels, b.labels));
        return { type: 'vector', samples };
      }
    }
  }

  private async evalRange(ev: Evaluator, expr: Expr, start: number, end: number, step: number): Promise<QueryValue> {
    const steps = makeSteps(start, end, step);
    const v = await ev.eval(expr, steps);
    if (v.kind === 'scalar') {
      const timestamps = new Float64Array(steps.n);
      for (let i = 0; i < steps.n; i++) timestamps[i] = start + i * step;
      return { type: 'matrix', series: [{ labels: [], timestamps, values: v.values }] };
    }
    if (v.kind !== 'vector') throw new PromQLError('bad_data', 'invalid expression type "string" for range query, must be Scalar or instant Vector');
    const series = [];
    for (const s of v.series) {
      let c = 0;
      for (let i = 0; i < steps.n; i++) c += s.present[i];
      if (c === 0) continue;
      const timestamps = new Float64Array(c);
      const values = new Float64Array(c);
      let k = 0;
      for (let i = 0; i < steps.n; i++) {
        if (s.present[i] === 0) continue;
        timestamps[k] = start + i * step;
        values[k++] = s.values[i];
      }
      series.push({ labels: s.labels, timestamps, values });
    }
    series.sort((a, b) => compareLabels(a.labels, b.labels));
    return { type: 'matrix', series };
  }
}

/** Whether an instant vector's order is part of the answer (sort functions, topk/bottomk). */
function isOrdered(expr: Expr, v: Extract<Value, { kind: 'vector' }>): boolean {
  const u = unwrapParens(expr);
  if (u.type === 'Call') return FUNCTIONS.get(u.func)?.ordersResult === true && v.ordered === true;
  if (u.type === 'AggregateExpr') return (u.op === 'topk' || u.op === 'bottomk') && v.ordered === true;
  return false;
}
