import { getLabel, type Labels } from './labels.ts';
import { compileRE2 } from './re2.ts';
import { checkRE2Syntax } from './re2syntax.ts';

export type MatchType = '=' | '!=' | '=~' | '!~';

/** A label matcher as in a PromQL selector. A missing label matches as the empty string. */
export interface Matcher {
  readonly type: MatchType;
  readonly name: string;
  readonly value: string;
  /** Whether a label value satisfies the matcher. */
  matches(value: string): boolean;
}

/**
 * How a matcher's regex is checked and compiled, after whose reference implementation:
 * - 'prometheus': Prometheus 3's labels.NewMatcher parses the value itself (syntax.Parse(v)), so an
 *   error names the value (`missing closing ): `(``); a plain `a|b` list is never parsed.
 * - 'alertmanager': Alertmanager's labels.NewMatcher compiles "^(?:" + v + ")$", so an error names
 *   that (`^(?:()$`), and `a)|(b` is valid (Prometheus 2.42 checked the same anchored form first).
 */
export type MatcherSyntax = 'prometheus' | 'alertmanager';

/**
 * Builds a matcher. Regexes use RE2 syntax, are fully anchored and `.` matches newlines, as in
 * Prometheus (`^(?s:...)$`).
 * Throws RE2SyntaxError, with Go's text, for a regex Go refuses; an Error for valid RE2 Strata
 * cannot run.
 */
export function newMatcher(type: MatchType, name: string, value: string, syntax: MatcherSyntax = 'prometheus'): Matcher {
  switch (type) {
    case '=':
      return { type, name, value, matches: (v) => v === value };
    case '!=':
      return { type, name, value, matches: (v) => v !== value };
    case '=~':
    case '!~': {
      const literal = literalAlternatives(value);
      let test: (v: string) => boolean;
      if (literal) test = (v) => literal.has(v);
      else {
        const re = compileMatcherRegex(value, syntax);
        test = (v) => re.test(v);
      }
      return type === '=~' ? { type, name, value, matches: test } : { type, name, value, matches: (v) => !test(v) };
    }
    default:
      throw new Error(`unknown match type ${String(type)}`);
  }
}

function compileMatcherRegex(src: string, syntax: MatcherSyntax): RegExp {
  if (syntax === 'alertmanager') {
    // Without the s flag: in Alertmanager `.` does not match a newline.
    checkRE2Syntax(`^(?:${src})$`);
    return compileRE2(`^(?-s:${src})$`, true);
  }
  // Go parses the value alone; what it accepts is balanced, so anchoring it changes nothing.
  checkRE2Syntax(src);
  return compileRE2(`^(?s:${src})$`, true);
}

// `a|b|c` of plain literals is by far the most common regex (Grafana multi-value variables); a set
// lookup is much cheaper than the regex engine and lets the index answer it from postings directly.
function literalAlternatives(src: string): Set<string> | null {
  if (src === '' || /[\\^$.*+?()[\]{}]/.test(src)) return null;
  return new Set(src.split('|'));
}

/** The literal values a regex matcher can only ever equal, or null when it is a real pattern. */
export function matcherSetValues(m: Matcher): string[] | null {
  if (m.type === '=') return [m.value];
  if (m.type !== '=~') return null;
  const lit = literalAlternatives(m.value);
  return lit ? [...lit] : null;
}

export function matchesLabels(ms: readonly Matcher[], ls: Labels): boolean {
  for (const m of ms) if (!m.matches(getLabel(ls, m.name))) return false;
  return true;
}

export function matcherToString(m: Matcher): string {
  return `${m.name}${m.type}${JSON.stringify(m.value)}`;
}
