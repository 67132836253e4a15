// histogram_quantile and histogram_fraction over classic histograms (series with an `le` label),
// and the native-histogram-only functions, which find nothing to work on in float data (we store
// no native histograms) and so return empty vectors, exactly as Prometheus does for float input.
import { getLabel, METRIC_NAME, type Labels } from '../../model/index.ts';
import { registerFunction } from './registry.ts';
import { emptyVector, execError, instantArg, scalarArg } from './helpers.ts';
import { bucketFraction, bucketQuantile, type Bucket } from './quantile.ts';
import { invalidQuantileWarning } from './over_time.ts';
import type { FnContext, InstantArg, VectorResult } from './types.ts';

const BUCKET_LABEL = 'le';

/**
 * Go's strconv.ParseFloat, which Prometheus uses for `le` values: decimal or hex-float syntax,
 * "inf"/"infinity"/"nan" in any case; no spaces, no underscores, and values that overflow are
 * errors. Returns null where Go returns an error.
 */
export function parseGoFloat(s: string): number | null {
  if (s === '') return null;
  const special = /^([+-]?)(inf|infinity)$/i.exec(s);
  if (special !== null) return special[1] === '-' ? -Infinity : Infinity;
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) {
    const v = Number(s);
    return Number.isFinite(v) ? v : null;
  }
  const hex = /^([+-]?)0[xX]((?:[0-9a-fA-F]_?)*[0-9a-fA-F]?)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d+)$/.exec(s);
  if (hex !== null && (hex[2] !== '' || (hex[3] ?? '') !== '')) {
    const intPart = hex[2].replace(/_/g, '');
    const frac = (hex[3] ?? '').replace(/_/g, '');
    let mant = 0;
    for (const c of intPart + frac) mant = mant * 16 + parseInt(c, 16);
    const v = mant * Math.pow(2, Number(hex[4]) - 4 * frac.length);
    if (!Number.isFinite(v)) return null;
    return hex[1] === '-' ? -v : v;
  }
  return null;
}

interface BucketGroup {
  labels: Labels; // without __name__ and le
  buckets: Bucket[];
}

/** Labels without __name__ and le: the output labels of a bucket group. */
function withoutNameAndLe(ls: Labels): Labels {
  const out: string[] = [];
  for (let i = 0; i < ls.length; i += 2) {
    if (ls[i] === METRIC_NAME || ls[i] === BUCKET_LABEL) continue;
    out.push(ls[i], ls[i + 1]);
  }
  return out;
}

/** The group key: all labels but `le` (the metric name included, as in Prometheus 3). */
function groupKey(ls: Labels): string {
  let key = '';
  for (let i = 0; i < ls.length; i += 2) {
    if (ls[i] === BUCKET_LABEL) continue;
    key += ls[i] + '\xff' + ls[i + 1] + '\xff';
  }
  return key;
}

/** Groups the series of a classic histogram by their labels without `le`; series with a bad `le` are skipped with a warning. */
function groupBuckets(v: InstantArg, ctx: FnContext): BucketGroup[] {
  const groups = new Map<string, BucketGroup>();
  for (let i = 0; i < v.labels.length; i++) {
    const ls = v.labels[i];
    const le = getLabel(ls, BUCKET_LABEL);
    const upperBound = parseGoFloat(le);
    if (upperBound === null) {
      ctx.warn(
        `PromQL warning: bucket label "le" is missing or has a malformed value of ${JSON.stringify(le)} for metric name ${JSON.stringify(getLabel(ls, METRIC_NAME))}`,
        ctx.argExprs[1]?.pos,
      );
      continue;
    }
    const key = groupKey(ls);
    let g = groups.get(key);
    if (g === undefined) {
      g = { labels: withoutNameAndLe(ls), buckets: [] };
      groups.set(key, g);
    }
    g.buckets.push({ upperBound, count: v.values[i] });
  }
  return [...groups.values()];
}

const FORCED_MONOTONICITY_INFO = 'PromQL info: input to histogram_quantile needed to be fixed for monotonicity (see https://prometheus.io/docs/prometheus/latest/querying/functions/#histogram_quantile) for metric name';

registerFunction({
  name: 'histogram_quantile',
  argTypes: ['scalar', 'instant'],
  returnType: 'instant',
  call: (args, ctx): VectorResult => {
    const q = scalarArg(args, 0);
    const v = instantArg(args, 1);
    if (Number.isNaN(q) || q < 0 || q > 1) ctx.warn(invalidQuantileWarning(q), ctx.argExprs[0]?.pos);
    const out = emptyVector();
    for (const g of groupBuckets(v, ctx)) {
      const r = bucketQuantile(q, g.buckets);
      out.labels.push(g.labels);
      out.values.push(r.value);
      // Prometheus names no metric here: the name is already dropped from the output labels.
      if (r.forcedMonotonicity) ctx.warn(`${FORCED_MONOTONICITY_INFO} ""`, ctx.argExprs[1]?.pos);
    }
    return out;
  },
});

registerFunction({
  name: 'histogram_fraction',
  argTypes: ['scalar', 'scalar', 'instant'],
  returnType: 'instant',
  call: (args, ctx): VectorResult => {
    const lower = scalarArg(args, 0);
    const upper = scalarArg(args, 1);
    const v = instantArg(args, 2);
    const out = emptyVector();
    for (const g of groupBuckets(v, ctx)) {
      out.labels.push(g.labels);
      out.values.push(bucketFraction(lower, upper, g.buckets));
    }
    return out;
  },
});

// Functions of native histograms only: float samples are ignored by them in Prometheus, and we
// have nothing else, so they always return an empty vector.
for (const name of ['histogram_count', 'histogram_sum', 'histogram_avg', 'histogram_stddev', 'histogram_stdvar']) {
  registerFunction({ name, argTypes: ['instant'], returnType: 'instant', call: () => emptyVector() });
}

registerFunction({
  name: 'info',
  argTypes: ['instant', 'instant'],
  variadic: 1,
  returnType: 'instant',
  keepMetricName: true,
  call: () => {
    throw execError('info() is not supported by Strata (an experimental Prometheus function)');
  },
});
