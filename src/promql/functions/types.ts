// The interface between the evaluator and the function implementations. The engine evaluates a
// function call step by step, as Prometheus' engine does: at each evaluation step it hands the
// function its arguments as they are at that step and collects what the function returns.
// Nothing is copied per step: range-vector windows are Float64Array views (subarray) of the
// series' sample arrays.
import type { Labels } from '../../model/index.ts';
import type { Expr, PosRange } from '../ast.ts';

/** Argument kinds as in Prometheus: scalar, instant vector, range vector (matrix), string. */
export type ArgType = 'scalar' | 'instant' | 'range' | 'string';

/** A scalar argument's value at this step. */
export interface ScalarArg {
  kind: 'scalar';
  value: number;
}

export interface StringArg {
  kind: 'string';
  value: string;
}

/**
 * An instant vector at this step: only the series that have a value at this step, in a stable
 * order (sorted by labels unless the argument itself is order-preserving). `labels[i]`,
 * `values[i]`, `timestamps[i]` describe series i. `timestamps[i]` is the step time, except for
 * the argument of `timestamp()` when it is a plain vector selector: there it is the timestamp of
 * the sample the selector found (the engine only records those for timestamp()).
 * The arrays belong to the engine and are only valid during the call.
 */
export interface InstantArg {
  kind: 'instant';
  labels: Labels[];
  values: Float64Array;
  timestamps: Float64Array;
}

/**
 * A range vector at this step: for each series with at least one sample in the window
 * (rangeStart, rangeEnd] (left-open, as in Prometheus 3), a view of its samples there, oldest
 * first. Stale markers are already removed. Series with an empty window are left out. The arrays
 * belong to the engine and are refilled at the next step: read them during the call only.
 */
export interface RangeArg {
  kind: 'range';
  labels: Labels[];
  timestamps: Float64Array[];
  values: Float64Array[];
  /** The window of this step, (rangeStart, rangeEnd] in ms, with offset and @ applied. */
  rangeStart: number;
  rangeEnd: number;
  /** The range length in ms (`[5m]` → 300000). */
  rangeMs: number;
}

export type FnArg = ScalarArg | StringArg | InstantArg | RangeArg;

export interface FnContext {
  /** The evaluation time of this step in ms. */
  t: number;
  /** The query's step in ms (0 for instant queries); the query's start and end in ms. */
  stepMs: number;
  startMs: number;
  endMs: number;
  /** The argument expressions as parsed (absent() derives its labels from them). */
  argExprs: readonly Expr[];
  /** Returns labels without __name__ (the same array when there is none). */
  dropMetricName(ls: Labels): Labels;
  /**
   * Adds an annotation/warning to the query result (deduplicated by the engine); `at` is the
   * expression it is about, whose position Prometheus appends ("... (1:6)").
   */
  warn(message: string, at?: PosRange): void;
}

/**
 * What a call returns at one step: a number for functions returning a scalar, or the series of an
 * instant vector (parallel arrays; plain arrays so the function can push).
 */
export interface VectorResult {
  labels: Labels[];
  values: number[];
}
export type FnResult = number | VectorResult;

export interface FunctionDef {
  name: string;
  /** Declared parameter types (checked at parse time). */
  argTypes: ArgType[];
  /**
   * As in Prometheus: 0 (or absent) = exactly argTypes.length arguments. Otherwise at least
   * argTypes.length - 1 arguments (the last declared one is optional); -1 = the last declared
   * type may then repeat without limit; n > 0 = at most argTypes.length - 1 + n arguments.
   */
  variadic?: number;
  returnType: 'scalar' | 'instant';
  /**
   * When true the output keeps __name__ as the function returns it (last_over_time, sort, label_replace, ...);
   * otherwise the engine removes __name__ from every output series.
   */
  keepMetricName?: boolean;
  /** When true the output order at a step is meaningful (sort, sort_desc, sort_by_label): the engine keeps it. */
  ordersResult?: boolean;
  /** Evaluated once per output step. */
  call(args: FnArg[], ctx: FnContext): FnResult;
  /**
   * For a function of one range argument whose value for a series depends on that series' window
   * alone (rate, the *_over_time family): that value, null for no output. It must agree with
   * `call`. The engine then evaluates the function series by series over all steps, with none of
   * the per-step argument and result arrays.
   */
  window?: WindowFunction;
  /** The same as `window` over the samples [from, to) of a series' arrays: no views to create. */
  windowIn?: IndexedWindowFunction;
}

/** A series' samples in the window (rangeStart, rangeEnd] (views, read during the call only). */
export type WindowFunction = (ts: Float64Array, vs: Float64Array, rangeStart: number, rangeEnd: number, rangeMs: number) => number | null;

export type IndexedWindowFunction = (
  ts: Float64Array, vs: Float64Array, from: number, to: number, rangeStart: number, rangeEnd: number, rangeMs: number,
) => number | null;
