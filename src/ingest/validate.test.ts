import { describe, expect, it } from 'vitest';
import { SampleBatchBuilder, type Labels } from '../model/index.ts';
import { formatDuration, validateBatch } from './validate.ts';

const NOW = Date.UTC(2026, 0, 1);

function batch(...series: [Labels, number[]][]) {
  const b = new SampleBatchBuilder(4);
  for (const [ls, ts] of series) {
    b.startSeries(ls);
    for (const t of ts) b.add(t, 1);
  }
  return b.build();
}

describe('validateBatch', () => {
  it('accepts valid series and timestamps up to the future limit', () => {
    const b = batch(
      [['__name__', 'up', 'job', 'x'], [NOW - 1000, NOW, NOW + 10 * 60_000]],
      [['__name__', 'old'], [-5, 0]],
    );
    expect(validateBatch(b, {}, NOW)).toBeNull();
  });

  it('names the series in label problems', () => {
    // Names are checked as Prometheus 3 does (any non-empty UTF-8; 2.42 refused "0x" and "bad-label").
    const p = validateBatch(batch([['__name__', 'ok'], [NOW]], [['__name__', '', 'job', 'y'], [NOW]]), {}, NOW);
    expect(p?.kind).toBe('invalid_metric_name');
    expect(p?.message).toBe('invalid metric name "" in series {job="y"}');
    expect(p?.series).toEqual(['__name__', '', 'job', 'y']);
    expect(validateBatch(batch([['__name__', 'a', 'bad\udc00', 'v'], [NOW]]), {}, NOW)?.kind).toBe('invalid_label_name');
    expect(validateBatch(batch([['__name__', 'a.b', 'c.d', 'v'], [NOW]]), {}, NOW)).toBeNull();
    expect(validateBatch(batch([['job', 'x'], [NOW]]), {}, NOW)?.kind).toBe('missing_metric_name');
    expect(validateBatch(batch([['__name__', 'a', 'l', 'v'.repeat(30)], [NOW]]), { maxLabelValueLength: 20 }, NOW)?.kind).toBe('label_value_too_long');
  });

  it('ignores series without samples, even with bad labels', () => {
    expect(validateBatch(batch([['__name__', '0x'], []], [['__name__', 'a'], [NOW]]), {}, NOW)).toBeNull();
  });

  it('refuses non-integer, non-finite and unsafe timestamps', () => {
    for (const t of [1.5, NaN, Infinity, -Infinity, 2 ** 53, -(2 ** 60)]) {
      const p = validateBatch(batch([['__name__', 'a'], [NOW, t]]), { maxFutureMs: Infinity }, NOW);
      expect(p?.kind, String(t)).toBe('invalid_timestamp');
    }
  });

  it('refuses samples too far in the future, with a configurable limit', () => {
    const p = validateBatch(batch([['__name__', 'a'], [NOW + 10 * 60_000 + 1]]), {}, NOW);
    expect(p?.kind).toBe('too_far_in_future');
    expect(p?.message).toContain('is 10m1ms ahead of the receiver\'s clock, more than the allowed 10m, in series a');
    expect(validateBatch(batch([['__name__', 'a'], [NOW + 3_600_000]]), { maxFutureMs: 2 * 3_600_000 }, NOW)).toBeNull();
  });

  it('refuses samples older than minTimestamp only when it is set', () => {
    const b = batch([['__name__', 'a'], [NOW - 86_400_000]]);
    expect(validateBatch(b, {}, NOW)).toBeNull();
    const p = validateBatch(b, { minTimestamp: NOW - 3_600_000 }, NOW);
    expect(p?.kind).toBe('too_old');
    expect(p?.message).toContain('2025-12-31T00:00:00.000Z');
  });
});

describe('formatDuration', () => {
  it('prints Prometheus-style durations', () => {
    expect(formatDuration(90_061_001)).toBe('1d1h1m1s1ms');
    expect(formatDuration(600_000)).toBe('10m');
    expect(formatDuration(250)).toBe('250ms');
  });
});
