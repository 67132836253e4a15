import { expect, it } from 'vitest';
import { STALE_NAN, isStaleNaN } from '../model/index.ts';
import { mergeParts } from './querier.ts';

const part = (samples: [number, number][]) => ({
  labels: ['__name__', 'x'],
  timestamps: Float64Array.from(samples, ([t]) => t),
  values: Float64Array.from(samples, ([, v]) => v),
});

it('concatenates disjoint parts and merges overlapping ones, an empty part in between hiding nothing', () => {
  const disjoint = mergeParts([part([[1, 1], [2, 2]]), part([]), part([[3, 3]])]);
  expect(Array.from(disjoint.timestamps)).toEqual([1, 2, 3]);
  // Overlap across an empty part: merged, the older source's sample kept for a shared timestamp.
  const overlap = mergeParts([part([[1, 1], [3, 3]]), part([]), part([[2, 20], [3, 30]])]);
  expect(Array.from(overlap.timestamps)).toEqual([1, 2, 3]);
  expect(Array.from(overlap.values)).toEqual([1, 20, 3]);
  expect(mergeParts([part([]), part([])]).timestamps).toHaveLength(0);
});

it('keeps a staleness marker bit-exact when concatenating', () => {
  // Set into the typed array directly: an array literal of doubles would quiet the NaN first.
  const values = new Float64Array(2);
  values[0] = 1;
  values[1] = STALE_NAN;
  const a = { labels: ['__name__', 'x'], timestamps: new Float64Array([1, 2]), values };
  const merged = mergeParts([a, part([[3, 3]])]);
  expect(isStaleNaN(merged.values[1])).toBe(true);
});
