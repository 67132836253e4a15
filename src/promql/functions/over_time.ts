// The *_over_time family: aggregations of each series' samples inside the range window, plus
// present_over_time/absent_over_time and the timestamp-returning ts_of_*_over_time variants.
import { formatFloat } from '../../template/index.ts';
import { registerFunction } from './registry.ts';
import { emptyVector, mapWindows, rangeArg, scalarArg } from './helpers.ts';
import { kahanAdd, kahanValue, newKahan } from './kahan.ts';
import { quantile } from './quantile.ts';
import { absentLabels } from './absent.ts';
import type { FunctionDef, VectorResult } from './types.ts';

function overTime(
  name: string,
  f: (ts: Float64Array, vs: Float64Array) => number | null,
  extra: Partial<FunctionDef> = {},
): void {
  registerFunction({
    name,
    argTypes: ['range'],
    returnType: 'instant',
    call: (args) => mapWindows(rangeArg(args, 0), f),
    window: f,
    ...extra,
  });
}

export function sumOverTime(vs: Float64Array): number {
  const acc = newKahan();
  for (let i = 0; i < vs.length; i++) kahanAdd(acc, vs[i]);
  return kahanValue(acc);
}

/**
 * The mean: a compensated plain sum divided by the count while the sum stays finite (more
 * accurate), switching to an incremental mean once the sum would overflow (still finite results
 * for huge values), as Prometheus does.
 */
export function avgOverTime(vs: Float64Array): number {
  // One accumulator object reused for both phases: this runs once per series per step.
  const acc = { sum: vs[0], c: 0 };
  let count = 1;
  let incremental = false;
  for (let i = 1; i < vs.length; i++) {
    const f = vs[i];
    count = i + 1;
    if (!incremental) {
      const sum = acc.sum;
      const c = acc.c;
      kahanAdd(acc, f);
      if (acc.sum !== Infinity && acc.sum !== -Infinity) continue;
      // The running sum overflowed: continue with the mean of what came before.
      incremental = true;
      acc.sum = sum / (count - 1);
      acc.c = c / (count - 1);
    }
    const q = (count - 1) / count;
    acc.sum *= q;
    acc.c *= q;
    kahanAdd(acc, f / count);
  }
  if (incremental) return acc.sum + acc.c;
  return acc.sum / count + acc.c / count;
}

/** Population variance with Welford's update and compensated sums. */
export function varianceOverTime(vs: Float64Array): number {
  let count = 0;
  const mean = newKahan();
  const aux = newKahan();
  for (let i = 0; i < vs.length; i++) {
    const f = vs[i];
    count++;
    const delta = f - (mean.sum + mean.c);
    kahanAdd(mean, delta / count);
    kahanAdd(aux, delta * (f - (mean.sum + mean.c)));
  }
  return (aux.sum + aux.c) / count;
}

/** max/min (and their timestamps): a NaN is replaced by any later value, so NaN wins only when all are NaN. */
function extremum(ts: Float64Array, vs: Float64Array, better: (cur: number, best: number) => boolean, wantTs: boolean): number {
  let best = vs[0];
  let bestT = ts[0];
  for (let i = 0; i < vs.length; i++) {
    const cur = vs[i];
    if (better(cur, best) || Number.isNaN(best)) {
      best = cur;
      bestT = ts[i];
    }
  }
  return wantTs ? bestT / 1000 : best;
}

overTime('sum_over_time', (_ts, vs) => sumOverTime(vs));
overTime('avg_over_time', (_ts, vs) => avgOverTime(vs));
overTime('count_over_time', (_ts, vs) => vs.length);
overTime('max_over_time', (ts, vs) => extremum(ts, vs, (c, b) => c > b, false));
overTime('min_over_time', (ts, vs) => extremum(ts, vs, (c, b) => c < b, false));
overTime('stdvar_over_time', (_ts, vs) => varianceOverTime(vs));
overTime('stddev_over_time', (_ts, vs) => Math.sqrt(varianceOverTime(vs)));
overTime('present_over_time', () => 1);
// last/first_over_time pick a sample like an offset would, so they keep the metric name.
overTime('last_over_time', (_ts, vs) => vs[vs.length - 1], { keepMetricName: true });
overTime('first_over_time', (_ts, vs) => vs[0], { keepMetricName: true });
overTime('ts_of_last_over_time', (ts) => ts[ts.length - 1] / 1000);
overTime('ts_of_first_over_time', (ts) => ts[0] / 1000);
overTime('ts_of_max_over_time', (ts, vs) => extremum(ts, vs, (c, b) => c >= b, true));
overTime('ts_of_min_over_time', (ts, vs) => extremum(ts, vs, (c, b) => c <= b, true));

/** Median absolute deviation from the median. */
export function madOverTime(vs: Float64Array): number {
  const values = Float64Array.from(vs);
  const median = quantile(0.5, values);
  for (let i = 0; i < vs.length; i++) values[i] = Math.abs(vs[i] - median);
  return quantile(0.5, values);
}

overTime('mad_over_time', (_ts, vs) => madOverTime(vs));

export function invalidQuantileWarning(q: number): string {
  return `PromQL warning: quantile value should be between 0 and 1, got ${goFloatG(q)}`;
}

/** Go's %g (shortest digits; exponent form below 1e-4 and from 1e6 on, with two exponent digits). */
export function goFloatG(v: number): string {
  return formatFloat(v, 'g', -1);
}

registerFunction({
  name: 'quantile_over_time',
  argTypes: ['scalar', 'range'],
  returnType: 'instant',
  call: (args, ctx) => {
    const q = scalarArg(args, 0);
    const r = rangeArg(args, 1);
    if (r.labels.length === 0) return emptyVector();
    if (Number.isNaN(q) || q < 0 || q > 1) ctx.warn(invalidQuantileWarning(q), ctx.argExprs[0]?.pos);
    // quantile() sorts in place: work on a copy, the window is a view of the engine's data.
    return mapWindows(r, (_ts, vs) => quantile(q, Float64Array.from(vs)));
  },
});

registerFunction({
  name: 'absent_over_time',
  argTypes: ['range'],
  returnType: 'instant',
  call: (args, ctx): VectorResult => {
    const r = rangeArg(args, 0);
    if (r.labels.length > 0) return emptyVector();
    return { labels: [absentLabels(ctx.argExprs[0])], values: [1] };
  },
  // The labels come from the selector's equality matchers, __name__ never among them.
  keepMetricName: true,
});
