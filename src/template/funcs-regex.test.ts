// Template regex functions report a bad pattern with Go's regexp/syntax text, as Go's
// regexp.MatchString and regexp.MustCompile (its panic) do (unanchored: the fragment is the bare pattern).
import { describe, expect, it } from 'vitest';
import { reMatch, reReplaceAll } from './funcs-common.ts';

describe('template regex functions', () => {
  it("refuse a bad pattern with Go's error", () => {
    expect(() => reMatch('(', 'x')).toThrow(/^error parsing regexp: missing closing \): `\(`$/);
    // reReplaceAll uses regexp.MustCompile, whose panic text names the pattern (Go 1.26).
    expect(() => reReplaceAll('a**', '', 'x')).toThrow(/^regexp: Compile\(`a\*\*`\): error parsing regexp: invalid nested repetition operator: `\*\*`$/);
  });
  it('run valid RE2 that JavaScript writes differently', () => {
    expect(reMatch('^\\p{Greek}+$', 'αβ')).toBe(true);
    expect(reReplaceAll('[\\d-]+', '#', 'a1-2b')).toBe('a#b');
  });
});
