// Name rules of Prometheus 3 (UTF-8 names). Prometheus 2.42, the Prometheus on this machine, has
// none of this, so the expectations are from Prometheus 3's documentation ("UTF-8 in Prometheus")
// and prometheus/common's model (IsValidMetricName, EscapeName with UnderscoreEscaping).
import { describe, expect, it } from 'vitest';
import {
  escapeName, escapeNameUnderscores, isLabelNameValid, isMetricNameValid, isUTF8Name, labelsFromRecord, labelsToString,
  quoteLabelNameIfNeeded, unescapeValuesName,
} from './index.ts';

describe('name validation schemes', () => {
  it('utf8 takes any non-empty well-formed string, legacy only the classic charsets', () => {
    for (const n of ['http.server.duration', '0abc', 'a b', '花火', 'ok_name:x']) expect(isUTF8Name(n)).toBe(true);
    expect(isUTF8Name('')).toBe(false);
    expect(isUTF8Name('a\ud800')).toBe(false);
    expect(isMetricNameValid('a:b', 'legacy')).toBe(true);
    expect(isLabelNameValid('a:b', 'legacy')).toBe(false);
    expect(isMetricNameValid('a.b', 'legacy')).toBe(false);
    expect(isMetricNameValid('a.b', 'utf8')).toBe(true);
  });
});

describe('escapeNameUnderscores', () => {
  it.each([
    ['no:escaping_required', 'no:escaping_required'],
    ['mysystem.prod.west.cpu.load', 'mysystem_prod_west_cpu_load'],
    ['0starts.with.digit', '_starts_with_digit'],
    ['label with 花火', 'label_with___'],
    ['a😱b', 'a_b'],
  ])('%s -> %s', (n, want) => expect(escapeNameUnderscores(n)).toBe(want));
});

describe('printing names', () => {
  it('quotes names that are not classic, the metric name inside the braces', () => {
    expect(quoteLabelNameIfNeeded('a_b')).toBe('a_b');
    expect(quoteLabelNameIfNeeded('a.b')).toBe('"a.b"');
    expect(labelsToString(labelsFromRecord({ __name__: 'my.metric', 'a.b': 'c', job: 'x' }))).toBe('{"my.metric", "a.b"="c", job="x"}');
    expect(labelsToString(labelsFromRecord({ __name__: 'my.metric' }))).toBe('{"my.metric"}');
    expect(labelsToString(labelsFromRecord({ __name__: 'up', 'a.b': 'c' }))).toBe('up{"a.b"="c"}');
  });
});

describe('escapeName, the other schemes', () => {
  // Cases of the "UTF-8 escaping schemes" spec and prometheus/common's EscapeName tests.
  it.each([
    ['dots', 'mysystem.prod.west.cpu.load', 'mysystem_dot_prod_dot_west_dot_cpu_dot_load'],
    ['dots', 'mysystem.prod.west.cpu.load_total', 'mysystem_dot_prod_dot_west_dot_cpu_dot_load__total'],
    ['dots', 'http.status:sum', 'http_dot_status:sum'],
    ['values', 'mysystem.prod.west.cpu.load', 'U__mysystem_2e_prod_2e_west_2e_cpu_2e_load'],
    ['values', 'label with 😱', 'U__label_20_with_20__1f631_'],
    ['values', 'a_b.c', 'U__a__b_2e_c'],
    ['allow-utf-8', 'a.b', 'a.b'],
  ] as const)('%s: %s -> %s', (scheme, n, want) => expect(escapeName(n, scheme)).toBe(want));
  it('leaves classic names alone in every scheme', () => {
    for (const scheme of ['underscores', 'dots', 'values'] as const) expect(escapeName('a_b:c', scheme)).toBe('a_b:c');
  });
});

describe('unescapeValuesName (prometheus/common UnescapeName, ValueEncodingEscaping)', () => {
  it('decodes U__-escaped names and is the inverse of the values scheme', () => {
    expect(unescapeValuesName('U__service_2e_name')).toBe('service.name');
    expect(unescapeValuesName('U__caf_e9_')).toBe('café');
    expect(unescapeValuesName('U__a__b')).toBe('a_b');
    expect(unescapeValuesName('U___1f600_')).toBe('\u{1f600}');
    for (const n of ['http.server.duration', 'a_b.c', 'café', '0lead', '\u{1f600}x']) expect(unescapeValuesName(escapeName(n, 'values'))).toBe(n);
  });

  it('leaves names without the prefix, or that do not decode, as they are', () => {
    for (const n of ['plain', 'U_x', 'U__a_', 'U__a_zz_', 'U__a_1234567_', 'U__a_110000_', 'U__a_d800_', 'U__a_2e']) expect(unescapeValuesName(n)).toBe(n);
  });
});
