import { describe, expect, it } from 'vitest';
import { callVector, instantOf, L, str } from './testutil.ts';
import { compileAnchoredRE2, expandTemplate, translateRE2 } from '../../model/index.ts';
import { naturalLess } from './labels.ts';

const up = instantOf([
  { labels: { __name__: 'up', src: 'aaabbc', job: 'j' }, v: 1 },
  { labels: { __name__: 'up', src: 'zzz', job: 'k' }, v: 2 },
]);

describe('label_replace', () => {
  it('expands $1, ${2} and $name; a non-matching series is untouched', () => {
    const out = callVector('label_replace', [up, str('dst'), str('$1-${2}x-$name'), str('src'), str('(a+)(b+)(?P<name>c*)')]);
    expect(out.labels[0]).toEqual(L({ __name__: 'up', src: 'aaabbc', job: 'j', dst: 'aaa-bbx-c' }));
    expect(out.labels[1]).toEqual(L({ __name__: 'up', src: 'zzz', job: 'k' }));
    expect(out.values).toEqual([1, 2]);
  });

  it('matches the whole value only (anchored)', () => {
    const out = callVector('label_replace', [up, str('dst'), str('x'), str('src'), str('b+')]);
    expect(out.labels[0]).toEqual(L({ __name__: 'up', src: 'aaabbc', job: 'j' }));
  });

  it('an empty replacement removes the label; the name can be replaced', () => {
    const out = callVector('label_replace', [up, str('job'), str(''), str('src'), str('.*')]);
    expect(out.labels[0]).toEqual(L({ __name__: 'up', src: 'aaabbc' }));
    const renamed = callVector('label_replace', [up, str('__name__'), str('new_$1'), str('job'), str('(.*)')]);
    expect(renamed.labels[1]).toEqual(L({ __name__: 'new_k', src: 'zzz', job: 'k' }));
  });

  it('a missing source label matches as the empty string', () => {
    const out = callVector('label_replace', [up, str('dst'), str('yes'), str('nope'), str('')]);
    expect(out.labels[1]).toEqual(L({ __name__: 'up', src: 'zzz', job: 'k', dst: 'yes' }));
  });

  it('errors on an invalid regex or destination label', () => {
    expect(() => callVector('label_replace', [up, str('dst'), str('x'), str('src'), str('(a')])).toThrow(
      'invalid regular expression in label_replace(): (a',
    );
    expect(() => callVector('label_replace', [up, str(''), str('x'), str('src'), str('.*')])).toThrow(
      'invalid destination label name in label_replace(): ',
    );
    // Look-arounds and back-references are not RE2.
    expect(() => callVector('label_replace', [up, str('d'), str('x'), str('src'), str('a(?=b)')])).toThrow('invalid regular expression');
    expect(() => callVector('label_replace', [up, str('d'), str('x'), str('src'), str('(a)\\1')])).toThrow('invalid regular expression');
  });
});

describe('Go template expansion', () => {
  const m = /^(?<word>a+)(b+)$/u.exec('aab')!;
  it.each([
    ['$1', 'aa'],
    ['${1}', 'aa'],
    ['$2', 'b'],
    ['$0', 'aab'],
    ['$word', 'aa'],
    ['${word}x', 'aax'],
    // `$1x` names group "1x", which does not exist: empty.
    ['$1x', ''],
    ['$3', ''],
    ['$$1', '$1'],
    ['a$', 'a$'],
    ['${1', '${1'],
    ['$-', '$-'],
    ['$01', ''],
  ])('%s → %s', (tpl, want) => {
    expect(expandTemplate(tpl, m)).toBe(want);
  });
});

describe('RE2 translation', () => {
  it.each([
    ['a\\-b', 'a-b', true],
    ['a\\/b', 'a/b', true],
    ['(?i)abc', 'ABC', true],
    ['x(?i)abc|def', 'DEF', true],
    ['x(?i)abc|def', 'xABC', true],
    ['x(?i)abc|def', 'XABC', false],
    ['(?i:a)b', 'Ab', true],
    ['(?i:a)b', 'AB', false],
    ['[[:digit:]]+', '123', true],
    ['[]a]+', ']a]', true],
    ['a{2}', 'aa', true],
    ['{x}', '{x}', true],
    ['a]', 'a]', true],
    ['\\Qa.b\\E', 'a.b', true],
    ['\\Qa.b\\E', 'axb', false],
    ['.', '\n', true],
    ['\\pL+', 'äb', true],
    ['a\\z', 'a', true],
    ['(?P<n>x)', 'x', true],
  ])('%s on %j → %s', (re, input, want) => {
    expect(compileAnchoredRE2(re).test(input)).toBe(want);
  });
  it('rejects repeat counts above 1000 and unsupported syntax', () => {
    expect(() => translateRE2('a{1001}')).toThrow();
    expect(() => translateRE2('a(?!b)')).toThrow();
  });
});

describe('label_join', () => {
  it('joins source values (missing as empty) with the separator', () => {
    const out = callVector('label_join', [up, str('dst'), str(','), str('job'), str('src'), str('missing')]);
    expect(out.labels[0]).toEqual(L({ __name__: 'up', src: 'aaabbc', job: 'j', dst: 'j,aaabbc,' }));
  });
  it('with no sources sets the empty string, which removes the label', () => {
    const out = callVector('label_join', [up, str('job'), str('-')]);
    expect(out.labels[0]).toEqual(L({ __name__: 'up', src: 'aaabbc' }));
  });
  it('errors on an invalid label name', () => {
    expect(() => callVector('label_join', [up, str(''), str(','), str('job')])).toThrow('invalid destination label name in label_join(): ');
  });
});

describe('sort family', () => {
  const v = instantOf([
    { labels: { i: 'a' }, v: 3 },
    { labels: { i: 'b' }, v: NaN },
    { labels: { i: 'c' }, v: 1 },
    { labels: { i: 'd' }, v: 3 },
    { labels: { i: 'e' }, v: NaN },
    { labels: { i: 'f' }, v: -Infinity },
  ]);
  const order = (r: { labels: readonly (readonly string[])[] }) => r.labels.map((l) => l[1]).join('');

  it('sort: ascending, NaN last, equal values in input order', () => {
    // NaNs end up in reverse input order, as Go's insertion sort with Prometheus' comparator leaves them.
    expect(order(callVector('sort', [v]))).toBe('fcadeb');
  });
  it('sort_desc: descending, NaN last', () => {
    expect(order(callVector('sort_desc', [v]))).toBe('adcfeb');
  });
  it('sort_by_label uses natural order, then the full label set', () => {
    const w = instantOf([
      { labels: { n: 'a10', x: '1' }, v: 1 },
      { labels: { n: 'a9', x: '2' }, v: 2 },
      { labels: { n: 'a1', x: '3' }, v: 3 },
      { labels: { n: 'a9', x: '0' }, v: 4 },
    ]);
    const asc = callVector('sort_by_label', [w, str('n')]);
    expect(asc.values).toEqual([3, 4, 2, 1]);
    const desc = callVector('sort_by_label_desc', [w, str('n')]);
    expect(desc.values).toEqual([1, 2, 4, 3]);
  });
  it('natural order', () => {
    expect(naturalLess('a2', 'a10')).toBe(true);
    expect(naturalLess('a10', 'a2')).toBe(false);
    expect(naturalLess('abc', 'abd')).toBe(true);
    expect(naturalLess('x01', 'x1y')).toBe(true);
  });
});
