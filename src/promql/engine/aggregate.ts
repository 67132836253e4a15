// Aggregation operators. The group of every input series is computed once; the common
// aggregations (sum, avg, min, max, count, group, stddev, stdvar) then run as dense loops over
// per-group columns, one value per step. The selecting ones (topk, bottomk, limitk,
// limit_ratio), quantile and count_values work step by step.
import { METRIC_NAME, withLabel, type Labels } from '../../model/index.ts';
import type { AggregateExpr } from '../ast.ts';
import { goSortIndexes, invalidQuantileWarning, quantile } from '../functions/index.ts';
import { formatNumber } from '../format.ts';
import { PromQLError } from './errors.ts';
import type { Evaluator } from './eval.ts';
import { ratioOffset } from './xxhash.ts';
import { labelsKey, newSeries, SeriesCollector, type Series, type Steps, type Value, type VectorValue } from './values.ts';

/** The labels of the group a series belongs to. */
export function groupLabels(ls: Labels, grouping: readonly string[], without: boolean): Labels {
  const out: string[] = [];
  for (let i = 0; i < ls.length; i += 2) {
    const listed = grouping.includes(ls[i]);
    if (without ? !listed && ls[i] !== METRIC_NAME : listed) out.push(ls[i], ls[i + 1]);
  }
  return out;
}

interface Groups {
  /** Group index of each input series. */
  of: Int32Array;
  labels: Labels[];
}

function assignGroups(series: Series[], grouping: readonly string[], without: boolean): Groups {
  const of = new Int32Array(series.length);
  const labels: Labels[] = [];
  const byKey = new Map<string, number>();
  for (let k = 0; k < series.length; k++) {
    const gl = groupLabels(series[k].labels, grouping, without);
    const key = labelsKey(gl);
    let g = byKey.get(key);
    if (g === undefined) {
      g = labels.length;
      byKey.set(key, g);
      labels.push(gl);
    }
    of[k] = g;
  }
  return { of, labels };
}

/** Prometheus' Kahan-Babuška-Neumaier increment: returns the new sum, updates c[idx]. */
function kahanInc(inc: number, sum: number, c: Float64Array, idx: number): number {
  const t = sum + inc;
  if (!Number.isFinite(t) && !Number.isNaN(t)) c[idx] = 0;
  else if (Math.abs(sum) >= Math.abs(inc)) c[idx] += sum - t + inc;
  else c[idx] += inc - t + sum;
  return t;
}

export function evalAggregate(ev: Evaluator, e: AggregateExpr, param: Value | null, v: VectorValue, steps: Steps): VectorValue {
  const n = steps.n;
  switch (e.op) {
    case 'topk': case 'bottomk': case 'limitk': case 'limit_ratio':
      return selectK(ev, e, (param as Extract<Value, { kind: 'scalar' }>).values, v, n);
    case 'count_values':
      return countValues(ev, e, (param as Extract<Value, { kind: 'string' }>).value, v, n);
    case 'quantile':
      return quantileAgg(ev, e, (param as Extract<Value, { kind: 'scalar' }>).values, v, n);
    default:
      return dense(ev, e, v, n);
  }
}

function dense(ev: Evaluator, e: AggregateExpr, v: VectorValue, n: number): VectorValue {
  const { of, labels } = assignGroups(v.series, e.grouping, e.without);
  const G = labels.length;
  const size = G * n;
  const count = new Float64Array(size);
  const acc = new Float64Array(size); // sum / min / max / stdvar's M2
  const comp = new Float64Array(size); // Kahan compensation
  const mean = new Float64Array(size);
  const incremental = e.op === 'avg' ? new Uint8Array(size) : null;
  const op = e.op;
  for (let k = 0; k < v.series.length; k++) {
    ev.checkpoint();
    const s = v.series[k];
    const base = of[k] * n;
    const vals = s.values;
    const pres = s.present;
    for (let i = 0; i < n; i++) {
      if (pres[i] === 0) continue;
      const x = vals[i];
      const idx = base + i;
      const first = count[idx] === 0;
      count[idx]++;
      switch (op) {
        case 'sum':
          acc[idx] = first ? x : kahanInc(x, acc[idx], comp, idx);
          break;
        case 'avg': {
          if (first) {
            acc[idx] = x;
            break;
          }
          const inc = incremental as Uint8Array;
          const cnt = count[idx];
          if (inc[idx] === 0) {
            const saved = comp[idx];
            const t = kahanInc(x, acc[idx], comp, idx);
            if (Number.isFinite(t) || Number.isNaN(t)) {
              acc[idx] = t;
              break;
            }
            // The sum would overflow: continue with an incremental mean from here on.
            comp[idx] = saved;
            inc[idx] = 1;
            mean[idx] = acc[idx] / (cnt - 1);
            comp[idx] /= cnt - 1;
          }
          const m = mean[idx];
          if (!Number.isFinite(m) && !Number.isNaN(m)) {
            if (!Number.isFinite(x) && !Number.isNaN(x) && m > 0 === x > 0) break;
            if (Number.isFinite(x)) break;
          }
          const current = m + comp[idx];
          mean[idx] = kahanInc(x / cnt - current / cnt, m, comp, idx);
          break;
        }
        case 'min':
          if (first || acc[idx] > x || Number.isNaN(acc[idx])) acc[idx] = x;
          break;
        case 'max':
          if (first || acc[idx] < x || Number.isNaN(acc[idx])) acc[idx] = x;
          break;
        case 'stddev':
        case 'stdvar': {
          // As Prometheus: the first value sets the mean, so a lone NaN or Inf gives 0.
          if (first) {
            mean[idx] = x;
            break;
          }
          const delta = x - mean[idx];
          mean[idx] += delta / count[idx];
          acc[idx] += delta * (x - mean[idx]);
          break;
        }
        default:
          break;
      }
    }
  }
  const out: Series[] = [];
  for (let g = 0; g < G; g++) {
    const s = newSeries(labels[g], n);
    const base = g * n;
    for (let i = 0; i < n; i++) {
      const idx = base + i;
      const c = count[idx];
      if (c === 0) continue;
      s.present[i] = 1;
      let r: number;
      switch (op) {
        case 'sum': r = c === 1 ? acc[idx] : acc[idx] + comp[idx]; break;
        case 'avg':
          if (c === 1) r = acc[idx];
          else r = (incremental as Uint8Array)[idx] === 1 ? mean[idx] + comp[idx] : (acc[idx] + comp[idx]) / c;
          break;
        case 'count': r = c; break;
        case 'group': r = 1; break;
        case 'stdvar': r = acc[idx] / c; break;
        case 'stddev': r = Math.sqrt(acc[idx] / c); break;
        default: r = acc[idx];
      }
      s.values[i] = r;
    }
    out.push(s);
  }
  return { kind: 'vector', series: out };
}

function quantileAgg(ev: Evaluator, e: AggregateExpr, q: Float64Array, v: VectorValue, n: number): VectorValue {
  const { of, labels } = assignGroups(v.series, e.grouping, e.without);
  const out = labels.map((l) => newSeries(l, n));
  const buckets: number[][] = labels.map(() => []);
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    for (const b of buckets) b.length = 0;
    for (let k = 0; k < v.series.length; k++) if (v.series[k].present[i] === 1) buckets[of[k]].push(v.series[k].values[i]);
    for (let g = 0; g < out.length; g++) {
      if (buckets[g].length === 0) continue;
      out[g].values[i] = quantile(q[i], buckets[g]);
      out[g].present[i] = 1;
    }
  }
  if (n > 0) {
    for (let i = 0; i < n; i++) {
      // NaN is not "between 0 and 1" either (as Prometheus, and as quantile_over_time here).
      if (Number.isNaN(q[i]) || q[i] < 0 || q[i] > 1) {
        ev.annotate(invalidQuantileWarning(q[i]), e.param?.pos);
        break;
      }
    }
  }
  return { kind: 'vector', series: out.filter((s) => s.present.includes(1)) };
}

function countValues(ev: Evaluator, e: AggregateExpr, valueLabel: string, v: VectorValue, n: number): VectorValue {
  // Prometheus 3 validates label names as UTF-8: any non-empty name is valid.
  if (valueLabel === '') throw new PromQLError('execution', `invalid label name ${JSON.stringify(valueLabel)}`);
  const grouping = e.without ? e.grouping : [...e.grouping, valueLabel];
  const c = new SeriesCollector(n);
  const counts = new Map<string, { labels: Labels; count: number }>();
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    counts.clear();
    for (const s of v.series) {
      if (s.present[i] === 0) continue;
      const gl = groupLabels(withLabel(s.labels, valueLabel, formatNumber(s.values[i])), grouping, e.without);
      const key = labelsKey(gl);
      const cur = counts.get(key);
      if (cur === undefined) counts.set(key, { labels: gl, count: 1 });
      else cur.count++;
    }
    for (const { labels, count } of counts.values()) c.add(labels, i, count);
  }
  return { kind: 'vector', series: c.series };
}

function selectK(ev: Evaluator, e: AggregateExpr, param: Float64Array, v: VectorValue, n: number): VectorValue {
  const { of, labels } = assignGroups(v.series, e.grouping, e.without);
  const members: number[][] = labels.map(() => []);
  const c = new SeriesCollector(n);
  const op = e.op;
  const offsets = new Map<number, number>();
  for (let i = 0; i < n; i++) {
    ev.checkpoint();
    const p = param[i];
    if (Number.isNaN(p)) throw new PromQLError('execution', `Parameter value is NaN for ${op}`);
    let k = 0;
    let ratio = 0;
    if (op === 'limit_ratio') {
      ratio = p;
      if (ratio < -1 || ratio > 1) {
        ev.annotate(`PromQL warning: ratio value should be between -1 and 1, got ${formatNumber(ratio)}, capping to ${ratio < 0 ? -1 : 1}`, e.param?.pos);
        ratio = ratio < 0 ? -1 : 1;
      }
    } else {
      if (p >= 2 ** 63 || p < -(2 ** 63)) throw new PromQLError('execution', `Scalar value ${formatNumber(p)} overflows int64`);
      k = Math.trunc(p);
      if (k < 1) continue;
    }
    for (const m of members) m.length = 0;
    for (let s = 0; s < v.series.length; s++) if (v.series[s].present[i] === 1) members[of[s]].push(s);
    for (const m of members) {
      if (m.length === 0) continue;
      let chosen: number[];
      if (op === 'limitk') chosen = m.slice(0, k);
      else if (op === 'limit_ratio') {
        chosen = m.filter((s) => {
          let off = offsets.get(s);
          if (off === undefined) {
            off = ratioOffset(v.series[s].labels);
            offsets.set(s, off);
          }
          return ratio >= 0 ? off < ratio : off >= 1 + ratio;
        });
      } else {
        chosen = heapSelect(v.series, i, m, k, op === 'topk');
      }
      for (const s of chosen) c.add(v.series[s].labels, i, v.series[s].values[i]);
    }
  }
  return { kind: 'vector', series: c.series, ordered: op === 'topk' || op === 'bottomk' };
}

/**
 * topk/bottomk exactly as Prometheus selects: a heap of k series per group fed in input order
 * (smallest value on top for topk, largest for bottomk, NaN always first out), then Go's unstable
 * sort of the heap. Ties therefore resolve the way Prometheus resolves them.
 */
function heapSelect(series: Series[], step: number, members: number[], k: number, top: boolean): number[] {
  const val = (s: number): number => series[s].values[step];
  const less = (a: number, b: number): boolean => {
    const x = val(a);
    if (Number.isNaN(x)) return true;
    return top ? x < val(b) : x > val(b);
  };
  const h: number[] = [];
  for (const s of members) {
    if (h.length < k) {
      h.push(s);
      heapUp(h, h.length - 1, less);
      continue;
    }
    const x0 = val(h[0]);
    const x = val(s);
    if ((top ? x0 < x : x0 > x) || (Number.isNaN(x0) && !Number.isNaN(x))) {
      h[0] = s;
      if (k > 1 && !heapDown(h, 0, less)) heapUp(h, 0, less);
    }
  }
  if (h.length <= 1) return h;
  // sort.Sort(sort.Reverse(heap)): largest first for topk, smallest first for bottomk.
  return goSortIndexes(h.length, (i, j) => less(h[j], h[i])).map((i) => h[i]);
}

// Go's container/heap up and down on an array of series indexes.
function heapUp(h: number[], j: number, less: (a: number, b: number) => boolean): void {
  while (j > 0) {
    const i = (j - 1) >> 1;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    j = i;
  }
}

function heapDown(h: number[], i0: number, less: (a: number, b: number) => boolean): boolean {
  let i = i0;
  const n = h.length;
  for (;;) {
    const j1 = 2 * i + 1;
    if (j1 >= n) break;
    let j = j1;
    if (j1 + 1 < n && less(h[j1 + 1], h[j1])) j = j1 + 1;
    if (!less(h[j], h[i])) break;
    [h[i], h[j]] = [h[j], h[i]];
    i = j;
  }
  return i > i0;
}
