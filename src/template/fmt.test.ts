// Go's float formatting, checked against outputs of Go's fmt.Sprintf (go1.26) for the verbs
// templates use, over fixed tricky values (exact ties, 9.9995, 1e21, subnormals) and seeded random
// ones of every magnitude. See testdata/go-fmt.json.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatFloat } from './float.ts';
import { formatValue, quote, sprintf, sprint } from './fmt.ts';

interface FmtCase {
  format: string;
  value: number;
  out: string;
}

const cases: FmtCase[] = JSON.parse(readFileSync(new URL('./testdata/go-fmt.json', import.meta.url), 'utf8'));

describe('sprintf agrees with Go fmt on float64', () => {
  it(`all ${cases.length} cases`, () => {
    const wrong = cases
      .map((c) => ({ ...c, got: sprintf(c.format, [c.value]) }))
      .filter((c) => c.got !== c.out)
      .map((c) => `${c.format} ${c.value}: want ${c.out} got ${c.got}`);
    expect(wrong).toEqual([]);
  });
});

describe('formatFloat (strconv.FormatFloat)', () => {
  it('prints %v as the shortest g with exponent from 1e+21 and below 1e-04', () => {
    expect([1e6, 0.5, 3, 1.2345e-5, 123456, 1234567, 0.0001, 0.00001, 100].map((v) => formatFloat(v, 'g', -1))).toEqual([
      '1e+06', '0.5', '3', '1.2345e-05', '123456', '1.234567e+06', '0.0001', '1e-05', '100',
    ]);
  });
  it('names infinities and NaN as Go does', () => {
    expect(formatValue(Infinity)).toBe('+Inf');
    expect(formatValue(-Infinity)).toBe('-Inf');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-0)).toBe('-0');
  });
  it('rounds exact ties to even where JavaScript rounds them up', () => {
    expect(sprintf('%.0f %.0f %.0f %.4g', [0.5, 2.5, 3.5, 1234.5])).toBe('0 2 4 1234');
  });
});

describe('sprintf verbs on other values', () => {
  it('formats ints (bigint) with flags and widths', () => {
    expect(sprintf('%d|%5d|%-5d|%05d|%x|%X|%o|%b|%.3d|%+d|%c|%q|%U', [42n, 42n, 42n, -42n, 255n, 255n, 8n, 5n, 5n, 3n, 65n, 65n, 65n])).toBe(
      "42|   42|42   |-0042|ff|FF|10|101|005|+3|A|'A'|U+0041",
    );
  });
  it('formats strings', () => {
    expect(sprintf('%s|%10s|%-4s|%.2s|%q|%x|% x', ['héllo', 'ab', 'ab', 'héllo', 'a"\n', 'hi', 'hi'])).toBe('héllo|        ab|ab  |hé|"a\\"\\n"|6869|68 69');
  });
  it('reports wrong, missing and extra arguments in Go\'s notation', () => {
    expect(sprintf('%d', ['x'])).toBe('%!d(string=x)');
    expect(sprintf('%d', [1.5])).toBe('%!d(float64=1.5)');
    expect(sprintf('%s %s', ['a'])).toBe('a %!s(MISSING)');
    expect(sprintf('%s', ['a', 2n])).toBe('a%!(EXTRA int=2)');
    expect(sprintf('%s', [null])).toBe('%!s(<nil>)');
    expect(sprintf('100%%', [])).toBe('100%');
  });
  it('takes explicit argument indexes (outputs from Go)', () => {
    expect(sprintf('%[2]d %[1]d|%[3]d|%[1]d %d|%[1]*d|%.[2]*[1]f', [1n, 2n])).toBe('2 1|%!d(BADINDEX)|1 2|2|%!f(int=01)');
    expect(sprintf('%[2]s', ['a'])).toBe('%!s(BADINDEX)');
  });
  it('prints slices and maps as Go does', () => {
    expect(formatValue([1, 'a', true, null])).toBe('[1 a true <nil>]');
    expect(formatValue({ b: 2, a: [1.5] })).toBe('map[a:[1.5] b:2]');
    expect(formatValue(new Map([['z', 1], ['y', 2]]))).toBe('map[y:2 z:1]');
  });
  it('spaces Sprint operands only between non-strings', () => {
    expect(sprint([1n, 2n, 'a', 'b', 3n, true])).toBe('1 2ab3 true');
  });
  it('quotes as strconv.Quote', () => {
    expect(quote('a\tb\u0001é\u{1F600}"\\')).toBe('"a\\tb\\x01é😀\\"\\\\"');
    expect(quote('é', true)).toBe('"\\u00e9"');
  });
});
