import { describe, expect, it } from 'vitest';
import {
  STALE_NAN, compareLabels, isStaleNaN, labelsFromRecord, labelsHash, labelsToString, newMatcher,
  validateLabels, withLabel, SampleBatchBuilder,
} from './index.ts';

describe('labels', () => {
  it('sorts by name and drops empty values', () => {
    expect(labelsFromRecord({ job: 'a', __name__: 'up', empty: '' })).toEqual(['__name__', 'up', 'job', 'a']);
  });
  it('hash separates label boundaries and is stable', () => {
    expect(labelsHash(['ab', 'c'])).not.toBe(labelsHash(['a', 'bc']));
    expect(labelsHash(['a', 'b'])).toBe(labelsHash(['a', 'b']));
    expect(Number.isSafeInteger(labelsHash(['__name__', 'x']))).toBe(true);
  });
  it('orders label sets like Prometheus', () => {
    const a = labelsFromRecord({ __name__: 'a', x: '1' });
    const b = labelsFromRecord({ __name__: 'a', x: '2' });
    const c = labelsFromRecord({ __name__: 'a' });
    expect([b, a, c].sort(compareLabels)).toEqual([c, a, b]);
  });
  it('prints series the Prometheus way', () => {
    expect(labelsToString(labelsFromRecord({ __name__: 'up', job: 'x' }))).toBe('up{job="x"}');
  });
  it('withLabel inserts, replaces and removes in order', () => {
    const ls = labelsFromRecord({ __name__: 'up', job: 'x' });
    expect(withLabel(ls, 'instance', 'i')).toEqual(['__name__', 'up', 'instance', 'i', 'job', 'x']);
    expect(withLabel(ls, 'job', 'y')).toEqual(['__name__', 'up', 'job', 'y']);
    expect(withLabel(ls, 'job', '')).toEqual(['__name__', 'up']);
  });
});

describe('validateLabels', () => {
  it.each([
    [[], 'empty_labels'],
    [['job', 'x'], 'missing_metric_name'],
    [['__name__', ''], 'invalid_metric_name'],
    [['__name__', 'ok', 'bad\ud800name', 'x'], 'invalid_label_name'],
    [['__name__', 'ok', 'a', 'x', 'a', 'y'], 'duplicate_label_name'],
    [['__name__', 'ok', 'a', ''], 'empty_label_value'],
  ])('%j is rejected as %s', (ls, kind) => {
    expect(validateLabels(ls as string[])?.kind).toBe(kind);
  });
  // Prometheus 3 (its default "utf8" name validation scheme; 2.42 refuses these) takes any non-empty
  // UTF-8 name; only a lone surrogate, which has no UTF-8 form, is not one.
  it('accepts UTF-8 names by default and refuses them under the legacy scheme', () => {
    const otel = ['__name__', 'http.server.duration', 'http.route', '/a', 'π', 'x'];
    expect(validateLabels(['__name__', '0bad'])).toBeNull();
    expect(validateLabels(otel)).toBeNull();
    expect(validateLabels(['__name__', '\ud800'])?.kind).toBe('invalid_metric_name');
    expect(validateLabels(otel, undefined, 'legacy')?.kind).toBe('invalid_metric_name');
    expect(validateLabels(['__name__', 'ok', 'bad-name', 'x'], undefined, 'legacy')?.kind).toBe('invalid_label_name');
    expect(validateLabels(['__name__', 'ok:x', 'ok_y', 'x'], undefined, 'legacy')).toBeNull();
  });
  it('accepts a normal series and enforces the value length limit', () => {
    expect(validateLabels(['__name__', 'node_cpu_seconds_total', 'cpu', '0'])).toBeNull();
    const e = validateLabels(['__name__', 'x', 'a', 'v'.repeat(20)], { maxLabelNamesPerSeries: 10, maxLabelNameLength: 10, maxLabelValueLength: 10 });
    expect(e?.kind).toBe('label_value_too_long');
  });
});

describe('matchers', () => {
  it('anchors regexes fully and lets . match newlines', () => {
    const m = newMatcher('=~', 'job', 'a.c');
    expect(m.matches('abc')).toBe(true);
    expect(m.matches('xabc')).toBe(false);
    expect(m.matches('a\nc')).toBe(true);
    expect(newMatcher('!~', 'job', 'a|b').matches('c')).toBe(true);
    expect(newMatcher('=~', 'job', 'a|b').matches('a')).toBe(true);
    expect(newMatcher('=~', 'job', 'a|b').matches('ab')).toBe(false);
  });
  it('accepts RE2 syntax users write in Prometheus selectors', () => {
    expect(newMatcher('=~', 'method', '(?i)get').matches('GET')).toBe(true);
    expect(newMatcher('=~', 'x', '[[:alpha:]]+').matches('abc')).toBe(true);
    expect(newMatcher('=~', 'x', '[[:alpha:]]+').matches('ab1')).toBe(false);
  });
  it('reports an invalid regex', () => {
    // Go's error: Prometheus 3 parses the bare value, Alertmanager compiles it anchored.
    expect(() => newMatcher('=~', 'job', '(')).toThrow('error parsing regexp: missing closing ): `(`');
    expect(() => newMatcher('=~', 'job', '(', 'alertmanager')).toThrow('error parsing regexp: missing closing ): `^(?:()$`');
    expect(() => newMatcher('=~', 'job', 'a)|(b')).toThrow('error parsing regexp: unexpected ): `a)|(b`');
    expect(newMatcher('=~', 'job', 'a)|(b', 'alertmanager').matches('a')).toBe(true);
  });
});

describe('SampleBatch', () => {
  it('keeps samples columnar with offsets per series', () => {
    const b = new SampleBatchBuilder(1);
    b.startSeries(['__name__', 'a']);
    b.add(1, 1);
    b.add(2, 2);
    b.startSeries(['__name__', 'b']);
    b.add(3, STALE_NAN);
    const batch = b.build();
    expect(Array.from(batch.offsets)).toEqual([0, 2, 3]);
    expect(Array.from(batch.timestamps)).toEqual([1, 2, 3]);
    expect(isStaleNaN(batch.values[2])).toBe(true);
    expect(isStaleNaN(NaN)).toBe(false);
    // Only the exact bits are a marker, as in Prometheus: a quieted one (what a plain JS double
    // array makes of it) is an ordinary NaN.
    const dv = new DataView(new ArrayBuffer(8));
    dv.setUint32(0, 0x7ff80000);
    dv.setUint32(4, 2);
    expect(isStaleNaN(dv.getFloat64(0))).toBe(false);
  });
});
