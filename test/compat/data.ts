// The data set both Prometheus and Strata receive in the side-by-side test: counters with resets,
// classic histogram buckets, gauges of very different magnitudes, NaN and infinities, a series
// that goes stale and comes back, one that starts late, sparse samples with gaps longer than the
// lookback delta, and info-style series for joins. Deterministic (seeded), so a mismatch
// reproduces.
//
// Every sample timestamp is ≡ 234 ms (mod 1 s), while query times are whole seconds or ≡ 321 ms:
// no range-window or lookback boundary ever falls exactly on a sample, which is where Prometheus 2
// (closed windows) and Prometheus 3 (left-open windows) differ.
import { compareLabels, labelsFromRecord, STALE_NAN } from '../../src/model/index.ts';
import type { TestSeries } from '../helpers/remotewrite.ts';
import { mulberry32 as prng } from '../helpers/random.ts';

export const SAMPLE_OFFSET_MS = 1234;
export const SPAN_MS = 50 * 60_000;

export interface DataSet {
  series: TestSeries[];
  /** First and last sample time (ms). */
  start: number;
  end: number;
}


/** Data ending about `nowMs - 1 min`, so both servers accept it (within their head's window). */
export function generateData(nowMs: number, seed = 42): DataSet {
  const rnd = prng(seed);
  const start = Math.floor((nowMs - SPAN_MS - 2 * 60_000) / 60_000) * 60_000 + SAMPLE_OFFSET_MS;
  const end = start + SPAN_MS;
  const series: TestSeries[] = [];
  const grid = (stepMs: number): number[] => {
    const ts: number[] = [];
    for (let t = start; t <= end; t += stepMs) ts.push(t);
    return ts;
  };
  const g15 = grid(15_000);
  const g10 = grid(10_000);

  // Request counters; api/i2 restarts (counter reset) 60% of the way through.
  for (const job of ['api', 'web']) {
    for (const instance of ['i0', 'i1', 'i2']) {
      for (const method of ['GET', 'POST']) {
        for (const code of ['200', '500']) {
          const rate = (code === '200' ? 20 : 1) * (method === 'GET' ? 3 : 1) * (1 + rnd());
          let v = Math.floor(rnd() * 1000);
          const samples: [number, number][] = [];
          g15.forEach((t, i) => {
            if (job === 'api' && instance === 'i2' && i === Math.floor(g15.length * 0.6)) v = 0;
            v += Math.floor(rate * (0.5 + rnd()));
            samples.push([t, v]);
          });
          series.push({ labels: { __name__: 'http_requests_total', job, instance, method, code }, samples });
        }
      }
    }
  }

  // Classic histograms: cumulative buckets, _sum and _count.
  const les = ['0.05', '0.1', '0.25', '0.5', '1', '2.5', '+Inf'];
  for (const job of ['api', 'web']) {
    for (const instance of ['i0', 'i1']) {
      const counts = new Array<number>(les.length).fill(0);
      let sum = 0;
      const perLe: [number, number][][] = les.map(() => []);
      const sums: [number, number][] = [];
      const totals: [number, number][] = [];
      for (const t of g15) {
        const n = 5 + Math.floor(rnd() * 20);
        for (let k = 0; k < n; k++) {
          const d = Math.pow(rnd(), job === 'api' ? 3 : 1.5) * 3;
          sum += d;
          for (let b = 0; b < les.length; b++) if (les[b] === '+Inf' || d <= Number(les[b])) counts[b]++;
        }
        for (let b = 0; b < les.length; b++) perLe[b].push([t, counts[b]]);
        sums.push([t, sum]);
        totals.push([t, counts[les.length - 1]]);
      }
      les.forEach((le, b) => series.push({ labels: { __name__: 'http_request_duration_seconds_bucket', job, instance, le }, samples: perLe[b] }));
      series.push({ labels: { __name__: 'http_request_duration_seconds_sum', job, instance }, samples: sums });
      series.push({ labels: { __name__: 'http_request_duration_seconds_count', job, instance }, samples: totals });
    }
  }

  // Large gauges (random walk around 8 GB), and small fractional ones (one near zero) on a 10 s grid.
  for (const instance of ['i0', 'i1', 'i2', 'i3']) {
    let v = 8e9 * (0.5 + rnd());
    series.push({ labels: { __name__: 'node_memory_free_bytes', instance, job: 'node' }, samples: g15.map((t) => [t, (v += Math.round((rnd() - 0.5) * 5e7))]) });
  }
  for (const room of ['kitchen', 'hall', 'cellar']) {
    let v = room === 'cellar' ? 1.5 : 20 + rnd() * 3;
    series.push({ labels: { __name__: 'temperature_celsius', room }, samples: g10.map((t) => [t, (v += (rnd() - 0.5) * 0.8)]) });
  }
  // Integer gauges with plenty of zeros and ties (for topk/bottomk/count_values/sort).
  for (const queue of ['q1', 'q2', 'q3', 'q4']) {
    series.push({ labels: { __name__: 'queue_length', queue }, samples: g15.map((t) => [t, Math.max(0, Math.floor(rnd() * 8) - 3)]) });
  }
  // NaN and infinities.
  const odd = (kind: string, f: (i: number) => number) => series.push({ labels: { __name__: 'odd_values', kind }, samples: g15.map((t, i) => [t, f(i)]) });
  odd('nan', () => NaN);
  odd('inf', () => Infinity);
  odd('neginf', (i) => (i % 2 === 0 ? -Infinity : -1));
  odd('mixed', (i) => [1, NaN, 2, Infinity, 3, -Infinity, 4][i % 7]);

  // A target that disappears (stale marker) 40% through and comes back at 70%.
  for (const instance of ['i0', 'i1']) {
    const samples: [number, number][] = [];
    g15.forEach((t, i) => {
      const f = i / g15.length;
      if (f < 0.4 || f >= 0.7) samples.push([t, instance === 'i0' ? i : 100 - i]);
      else if (samples.length > 0 && !Number.isNaN(samples[samples.length - 1][1])) samples.push([t, STALE_NAN]);
    });
    series.push({ labels: { __name__: 'flappy_gauge', instance }, samples });
  }
  // Starts late.
  series.push({ labels: { __name__: 'late_counter', instance: 'i0' }, samples: g15.filter((_, i) => i > g15.length * 0.8).map((t, i) => [t, i * 3]) });
  // Sparse: gaps of 2 to 7 minutes, longer than the 5-minute lookback at times.
  {
    const samples: [number, number][] = [];
    for (let t = start; t <= end; t += (2 + Math.floor(rnd() * 6)) * 60_000) samples.push([t, Math.round(rnd() * 100)]);
    series.push({ labels: { __name__: 'sparse_gauge', instance: 'i0' }, samples });
  }
  // up and info-style series for joins.
  for (const job of ['api', 'web']) {
    for (const instance of ['i0', 'i1', 'i2']) {
      series.push({ labels: { __name__: 'up', job, instance }, samples: g15.map((t, i) => [t, job === 'web' && instance === 'i1' && i % 20 > 15 ? 0 : 1]) });
      series.push({ labels: { __name__: 'build_info', job, instance, version: instance === 'i2' ? '1.1' : '1.0' }, samples: g15.map((t) => [t, 1]) });
    }
  }
  // Sent (and so created) in label order. Prometheus reads its head in series-creation order, and
  // that order decides which of several equal values topk/bottomk keep; Strata reads in label
  // order. Creating the series in label order makes both orders the same, so ties compare.
  series.sort((a, b) => compareLabels(labelsFromRecord(a.labels), labelsFromRecord(b.labels)));
  return { series, start, end };
}
