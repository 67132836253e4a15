// Alertmanager's label matchers: the `matchers:` syntax of routes, inhibit rules and amtool
// (`severity="critical"`, `team=~"a|b"`, unquoted `env!=prod`, `{a="1",b="2"}`), their canonical text
// (part of route keys, hence of group keys) and matching against an alert's labels.
import { newMatcher, type Matcher, type MatchType } from '../model/index.ts';
import { byCodeUnit } from './labels.ts';
import type { LabelSet } from './types.ts';

export type { Matcher, MatchType };

const MATCHER_RE = /^\s*([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(=~|=|!=|!~)\s*(.*?)\s*$/s;
const TYPE_ORDER: Record<MatchType, number> = { '=': 0, '!=': 1, '=~': 2, '!~': 3 };

/** Parses one matcher or a comma-separated list, optionally in braces. Throws Error with the reason. */
export function parseMatchers(s: string): Matcher[] {
  let body = s;
  if (body.startsWith('{')) body = body.slice(1);
  if (body.endsWith('}')) body = body.slice(0, -1);
  // Split at commas outside double quotes.
  const tokens: string[] = [];
  let token = '';
  let inQuotes = false;
  let escaped = false;
  for (const ch of body) {
    if (ch === ',' && !inQuotes) {
      tokens.push(token);
      token = '';
      continue;
    }
    if (ch === '"') {
      if (!escaped) inQuotes = !inQuotes;
      else escaped = false;
    } else if (ch === '\\') escaped = !escaped;
    else escaped = false;
    token += ch;
  }
  if (token.trim() !== '') tokens.push(token);
  return tokens.map(parseMatcher);
}

/** Parses `name<op>value` where value may be double-quoted with \" \\ \n escapes. */
export function parseMatcher(s: string): Matcher {
  const m = MATCHER_RE.exec(s);
  if (!m) throw new Error(`bad matcher format: ${s}`);
  let raw = m[3];
  let expectQuote = false;
  if (raw.startsWith('"')) {
    raw = raw.slice(1);
    expectQuote = true;
  }
  let value = '';
  let escaped = false;
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i];
    if (escaped) {
      escaped = false;
      if (ch === 'n') value += '\n';
      else if (ch === '"' || ch === '\\') value += ch;
      else value += '\\' + ch; // a spurious escape is kept literally
      continue;
    }
    if (ch === '\\') {
      if (i < raw.length - 1) escaped = true;
      else value += '\\';
    } else if (ch === '"') {
      if (!expectQuote || i < raw.length - 1) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
      expectQuote = false;
    } else value += ch;
  }
  if (expectQuote) throw new Error(`matcher value contains unescaped double quote: ${m[3]}`);
  // Alertmanager compiles "^(?:" + value + ")$": its regex errors name that anchored form.
  return newMatcher(m[2] as MatchType, m[1], value, 'alertmanager');
}

/** `name="value"` as Alertmanager prints a matcher (OpenMetrics escaping of the value). */
export function matcherString(m: Matcher): string {
  const v = m.value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
  return `${m.name}${m.type}"${v}"`;
}

/** `{a="1",b=~"x"}`: a sorted matcher list as Alertmanager prints it in a route key. */
export function matchersString(ms: readonly Matcher[]): string {
  return `{${ms.map(matcherString).join(',')}}`;
}

/** Alertmanager's matcher order: name, then value, then match type. */
export function sortMatchers(ms: Matcher[]): Matcher[] {
  return ms.sort((a, b) => byCodeUnit(a.name, b.name) || byCodeUnit(a.value, b.value) || TYPE_ORDER[a.type] - TYPE_ORDER[b.type]);
}

/** All matchers hold for the labels (a missing label matches as the empty string). */
export function matchesLabelSet(ms: readonly Matcher[], ls: LabelSet): boolean {
  for (const m of ms) if (!m.matches(ls[m.name] ?? '')) return false;
  return true;
}
