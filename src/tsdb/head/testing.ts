// Test helpers for the head.
import { SampleBatchBuilder, labelsFromRecord, type Labels, type SampleBatch } from '../../model/index.ts';
import type { HeadLogFn } from './head.ts';

/** A log function that keeps what the head asked to make durable, like the WAL would. */
export function recorder() {
  const series: [number, Labels][] = [];
  const samples: [number, number, number][] = [];
  const log: HeadLogFn = (newRefs, newLabels, refs, ts, vs, n) => {
    newRefs.forEach((r, i) => series.push([r, newLabels[i]]));
    for (let i = 0; i < n; i++) samples.push([refs[i], ts[i], vs[i]]);
  };
  return { series, samples, log };
}

/** A batch from [labels, [[t, v], ...]] pairs, each entry a series in the given order. */
export function batch(entries: [Record<string, string>, [number, number][]][]): SampleBatch {
  const b = new SampleBatchBuilder();
  for (const [rec, samples] of entries) {
    b.startSeries(labelsFromRecord(rec));
    for (const [t, v] of samples) b.add(t, v);
  }
  return b.build();
}
