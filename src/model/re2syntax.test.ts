// Go's regexp/syntax errors, text for text. The expected messages are Go's (derived from
// src/regexp/syntax/parse.go and checked against a Go toolchain's syntax.Parse(p, Perl|DotNL));
// Prometheus 3 and Alertmanager print exactly these. Where Prometheus 2.42 (built with Go 1.19)
// said something else for the same pattern, the case says so.
import { describe, expect, it } from 'vitest';
import { compileAnchoredRE2, compileRE2 } from './re2.ts';
import { checkRE2Syntax, RE2_ERROR, re2SyntaxError, RE2SyntaxError } from './re2syntax.ts';
import { newMatcher } from './matchers.ts';

const go = (code: string, expr: string): string => `error parsing regexp: ${code}: \`${expr}\``;

// [pattern, Go's error or 'OK']
const CASES: [string, string][] = [
  // ErrMissingParen: the whole pattern.
  ['(', go('missing closing )', '(')],
  ['a(b', go('missing closing )', 'a(b')],
  ['(?:a', go('missing closing )', '(?:a')],
  ['(?P<n>a', go('missing closing )', '(?P<n>a')],
  ['((a)', go('missing closing )', '((a)')],
  ['(a|b', go('missing closing )', '(a|b')],
  // ErrMissingBracket: from the class's `[` to the end.
  ['[', go('missing closing ]', '[')],
  ['x[', go('missing closing ]', '[')],
  ['[a', go('missing closing ]', '[a')],
  ['[]', go('missing closing ]', '[]')], // a `]` first in a class is a literal
  ['[^]', go('missing closing ]', '[^]')],
  ['[a-', go('missing closing ]', '[a-')],
  ['[\\d', go('missing closing ]', '[\\d')],
  ['[[:alpha:]', go('missing closing ]', '[[:alpha:]')],
  // ErrMissingRepeatArgument: the operator, when nothing (or a `(` or `|`) precedes it.
  ['*', go('missing argument to repetition operator', '*')],
  ['+x', go('missing argument to repetition operator', '+')],
  ['?', go('missing argument to repetition operator', '?')],
  ['(*)', go('missing argument to repetition operator', '*')],
  ['a|*', go('missing argument to repetition operator', '*')],
  ['{2}', go('missing argument to repetition operator', '{2}')],
  ['(?i)*', go('missing argument to repetition operator', '*')],
  ['a(?i)*', 'OK'], // a flag group is not an operand: the `*` repeats `a`
  // ErrInvalidRepeatOp: both operators, a non-greedy `?` included.
  ['a**', go('invalid nested repetition operator', '**')],
  ['a+*', go('invalid nested repetition operator', '+*')],
  ['a??*', go('invalid nested repetition operator', '??*')],
  ['a*?+', go('invalid nested repetition operator', '*?+')],
  ['x{2}{3}', go('invalid nested repetition operator', '{2}{3}')],
  // ErrInvalidRepeatSize: the count, over 1000 alone or nested.
  ['x{2,1}', go('invalid repeat count', '{2,1}')],
  ['x{1001}', go('invalid repeat count', '{1001}')],
  ['x{1000,1001}', go('invalid repeat count', '{1000,1001}')],
  ['x{99999999999}', go('invalid repeat count', '{99999999999}')],
  ['(?:a{2}){501}', go('invalid repeat count', '{501}')],
  ['(a{1000}){2}', go('invalid repeat count', '{2}')],
  ['x{01}', 'OK'], // a leading zero makes it a literal `{01}`
  ['{,2}', 'OK'],
  // ErrInvalidEscape: the escape as far as Go read it.
  ['\\q', go('invalid escape sequence', '\\q')],
  ['\\1', go('invalid escape sequence', '\\1')], // a back-reference
  ['\\8', go('invalid escape sequence', '\\8')],
  ['\\xZ1', go('invalid escape sequence', '\\xZ1')],
  ['\\x{}', go('invalid escape sequence', '\\x{}')],
  ['\\x{110000}', go('invalid escape sequence', '\\x{110000')],
  ['\\x{12', go('invalid escape sequence', '\\x{12')],
  ['\\C', go('invalid escape sequence', '\\C')],
  ['\\Z', go('invalid escape sequence', '\\Z')],
  ['\\é', go('invalid escape sequence', '\\é')],
  ['[\\b]', go('invalid escape sequence', '\\b')],
  ['[\\z]', go('invalid escape sequence', '\\z')],
  ['[a-\\d]', go('invalid escape sequence', '\\d')],
  // ErrInvalidCharRange: a backwards range, an unknown POSIX or Unicode class.
  ['[z-a]', go('invalid character class range', 'z-a')],
  ['[[:foo:]]', go('invalid character class range', '[:foo:]')],
  ['[[:a]b:]]', go('invalid character class range', '[:a]b:]')], // the name runs to the first `:]`
  ['\\p{Foo}', go('invalid character class range', '\\p{Foo}')],
  ['[\\p{Foo}]', go('invalid character class range', '\\p{Foo}')],
  ['\\pX', go('invalid character class range', '\\pX')],
  ['\\p{abc', go('invalid character class range', '\\p{abc')],
  ['\\p', go('invalid character class range', '\\p')],
  // Go 1.25 reads class names case-insensitively; Prometheus 3's regexp (grafana/regexp, Go 1.24's parser) does not.
  ['\\p{greek}', go('invalid character class range', '\\p{greek}')],
  // ErrInvalidNamedCapture.
  ['(?P<>a)', go('invalid named capture', '(?P<>')],
  ['(?P<a-b>x)', go('invalid named capture', '(?P<a-b>')],
  ['(?P<name', go('invalid named capture', '(?P<name')],
  ['(?<>x)', go('invalid named capture', '(?<>')],
  ['(?<=a)', go('invalid named capture', '(?<=a)')], // a look-behind reads as a name without `>`
  // ErrInvalidPerlOp: up to the character that is not a flag.
  ['(?', go('invalid or unsupported Perl syntax', '(?')],
  ['(?=a)', go('invalid or unsupported Perl syntax', '(?=')],
  ['(?!a)', go('invalid or unsupported Perl syntax', '(?!')],
  ['(?P=n)', go('invalid or unsupported Perl syntax', '(?P')],
  ['(?i', go('invalid or unsupported Perl syntax', '(?i')],
  ['(?-)', go('invalid or unsupported Perl syntax', '(?-)')],
  ['(?i-)', go('invalid or unsupported Perl syntax', '(?i-)')],
  ['(?--i)', go('invalid or unsupported Perl syntax', '(?--')],
  ['(?x)', go('invalid or unsupported Perl syntax', '(?x')],
  ['(?#c)', go('invalid or unsupported Perl syntax', '(?#')],
  // ErrTrailingBackslash: Go reports an empty fragment.
  ['a\\', go('trailing backslash at end of expression', '')],
  ['[a\\', go('trailing backslash at end of expression', '')],
  // ErrUnexpectedParen: the whole pattern.
  [')', go('unexpected )', ')')],
  ['a)', go('unexpected )', 'a)')],
  ['a)|(b', go('unexpected )', 'a)|(b')],
  ['(a))', go('unexpected )', '(a))')],
  // ErrInvalidUTF8: from the bad character on (a JavaScript string can only hold an unpaired surrogate).
  ['a\ud800b', go('invalid UTF-8', '\ud800b')],
  // Valid since Go 1.22, which Prometheus 3 links; Prometheus 2.42 (Go 1.19) said `invalid or unsupported Perl syntax: `(?<``.
  ['(?<n>a)', 'OK'],
  ['\\p{Greek}+', 'OK'],
  ['[[:^alpha:]]', 'OK'],
  ['[\\d-z]', 'OK'],
  ['^*', 'OK'],
  ['\\Q(\\E*', 'OK'],
  ['x{2,}?', 'OK'],
];

describe("Go's regexp/syntax errors", () => {
  it.each(CASES)('%j: %s', (pattern, want) => {
    const e = re2SyntaxError(pattern);
    expect(e === null ? 'OK' : e.message).toBe(want);
  });

  it('carries the code and the fragment', () => {
    const e = re2SyntaxError('x{2}{3}')!;
    expect(e).toBeInstanceOf(RE2SyntaxError);
    expect([e.code, e.expr]).toEqual([RE2_ERROR.invalidRepeatOp, '{2}{3}']);
  });

  it('refuses what nests deeper than 1000 or compiles to too many instructions, naming the whole pattern', () => {
    // ErrNestingDepth and ErrLarge. Prometheus 2.42's regexp (a Go 1.19 fork) said
    // "regexp/syntax: internal error" for the second.
    const deep = '('.repeat(1001) + 'a' + ')'.repeat(1001);
    expect(re2SyntaxError(deep)?.message).toBe(go('expression nests too deeply', deep));
    expect(re2SyntaxError('('.repeat(999) + 'ab' + ')'.repeat(999))).toBeNull();
    expect(re2SyntaxError('(?:'.repeat(1001) + 'a' + ')'.repeat(1001))).toBeNull(); // groups that capture nothing add no depth
    const large = '[a-z]{1000}'.repeat(3400);
    expect(re2SyntaxError(large)?.message).toBe(go('expression too large', large));
    expect(re2SyntaxError('[a-z]{1000}'.repeat(3300))).toBeNull();
    const long = `(?:${'a'.repeat(4000)}){1000}`;
    expect(re2SyntaxError(long)?.code).toBe(RE2_ERROR.large);
  });

  it('never reports ErrInvalidCharClass, which Go defines but its parser does not return', () => {
    for (const p of ['[[:alpha:]', '[a-', '[[:foo:]]', '\\pZZ']) expect(re2SyntaxError(p)?.code).not.toBe(RE2_ERROR.invalidCharClass);
  });

  it('checks the anchored pattern where the reference compiles one', () => {
    // Prometheus 3's relabelling and label_replace compile "^(?s:" + re + ")$"; 2.42 wrote "^(?:".
    expect(() => compileAnchoredRE2('(')).toThrow(go('missing closing )', '^(?s:()$'));
    expect(() => compileAnchoredRE2('x[')).toThrow(go('missing closing ]', '[)$'));
    expect(compileAnchoredRE2('a)|(b').test('a')).toBe(true); // `^(?s:a)|(b)$`: valid, as in Go
    expect(() => checkRE2Syntax('^(?:a)|(b)$')).not.toThrow();
  });
});

describe('valid RE2 runs as in Go', () => {
  // [pattern as Go compiles it, [input, Go's MatchString]...]
  const MATCHES: [string, [string, boolean][]][] = [
    ['^(?s:\\p{Greek}+)$', [['αβγ', true], ['abc', false]]],
    ['^(?s:\\P{Greek})$', [['a', true], ['α', false]]],
    ['^(?s:[\\p{Lu}\\d])$', [['A', true], ['5', true], ['a', false]]],
    ['^(?s:\\p{Any}*)$', [['a\nb', true], ['', true]]],
    ['^(?s:[[:^alpha:]]+)$', [['12-', true], ['a1', false]]],
    ['^(?s:[\\d-z]+)$', [['1-z', true], ['a', false]]],
    ['^(?s:[a-c-e]+)$', [['a-e', true], ['d', false]]],
    ['^(?s:[:-[:alpha:]+)$', [['a', true], [':', true], ['[', true]]], // the range `:-[` takes the `[`
    ['^(?s:^*a)$', [['a', true], ['b', false]]],
    ['^(?s:x{01})$', [['x{01}', true], ['x', false]]],
    ['^(?s:a(?i)*b)$', [['aaab', true], ['b', true], ['AB', false]]],
    ['^(?s:a\\ b)$', [['a b', true], ['ab', false]]],
    ['^(?s:\\Q(\\E*)$', [['((', true], ['a', false]]],
    ['^(?s:(?<n>a)b)$', [['ab', true], ['b', false]]],
    ['^(?s:a*(?i)+b)$', [['aaab', true], ['b', true], ['xb', false]]], // (a*)+: a flag group between is no operand
    ['^(?s:{(?i)*)$', [['{{', true], ['', true]]],
    ['^(?s:(?i)\\P{Lu})$', [['a', false], ['1', true], ['A', false]]], // the complement of Lu and its case variants
    // Flags: set and cleared is cleared; s applies where a caller compiles without it.
    ['^(?i-i:a)$', [['a', true], ['A', false]]],
    ['(?-s:a.b)', [['a\nb', false], ['axb', true]]],
  ];
  it.each(MATCHES)('%j', (pattern, inputs) => {
    const re = compileRE2(pattern);
    for (const [input, want] of inputs) expect(re.test(input), JSON.stringify(input)).toBe(want);
  });

  // The U flag swaps greedy and lazy repetitions (JavaScript has no such flag): what a group
  // captures shows it. [pattern, input, Go's FindStringSubmatch group 1]
  it.each([
    ['(?U)(a+)', 'aaa', 'a'],
    ['(?U)(a+?)', 'aaa', 'aaa'],
    ['(?U)(a{1,3})', 'aaa', 'a'],
    ['(a+)(?U:b+)', 'aabbb', 'aa'],
    ['(?U:(a+))b', 'aab', 'aa'],
    ['x(?U)|(a*)', 'aa', ''],
    ['((?U)a*)(a*)', 'aa', ''],
    ['(?U)(?-U)(a+)', 'aaa', 'aaa'],
  ])('%j on %j captures %j', (pattern, input, want) => {
    expect(compileRE2(pattern).exec(input)?.[1]).toBe(want);
  });

  it("matches as Alertmanager's matchers do: anchored, `.` not matching a newline", () => {
    const am = newMatcher('=~', 'a', 'a.b', 'alertmanager');
    expect([am.matches('axb'), am.matches('a\nb')]).toEqual([true, false]);
    const prom = newMatcher('=~', 'a', 'a.b');
    expect([prom.matches('axb'), prom.matches('a\nb')]).toEqual([true, true]);
  });
});
