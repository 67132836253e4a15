// Helpers shared by the Prometheus and Alertmanager function sets: RE2 regexps, Go's number
// parsing, HumanizeDuration (both projects use prometheus/common's), word title-casing.

import { translateRE2, expandTemplate, RE2SyntaxError } from '../model/index.ts';
import { quote, sprintf } from './fmt.ts';
import { GoDuration } from './gotime.ts';

// Patterns compiled once: templates run per alert with the same few patterns.
const compiled = new Map<string, RegExp>();
const COMPILED_MAX = 256;

/**
 * An unanchored RE2 regexp as Go's regexp.Compile builds it: `.` stops only at `\n` (everything
 * with `(?s)`), `(?m)`'s lines end only at `\n`. Throws Go's error text for what Go refuses.
 */
export function compileRE2(pattern: string): RegExp {
  let re = compiled.get(pattern);
  if (re !== undefined) {
    re.lastIndex = 0;
    return re;
  }
  try {
    re = new RegExp(translateRE2(pattern, false), 'gu');
  } catch (e) {
    // Go's own error text already (`error parsing regexp: missing closing ): `(``).
    if (e instanceof RE2SyntaxError) throw e;
    throw new Error(`regular expression ${JSON.stringify(pattern)} is not supported: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (compiled.size >= COMPILED_MAX) compiled.clear();
  compiled.set(pattern, re);
  return re;
}

/** Go's regexp.MatchString: a bad pattern is its error ("error parsing regexp: ..."). */
export function reMatch(pattern: string, text: string): boolean {
  return compileRE2(String(pattern)).test(String(text));
}

/** regexp.MustCompile's panic text, which Prometheus' and Alertmanager's reReplaceAll fail with. */
function mustCompile(pattern: string): RegExp {
  try {
    return compileRE2(pattern);
  } catch (e) {
    if (!(e instanceof RE2SyntaxError)) throw e;
    const backquotable = !/[`\x00-\x08\x0a-\x1f\x7f\ufeff]/.test(pattern);
    throw new Error(`regexp: Compile(${backquotable ? '`' + pattern + '`' : quote(pattern)}): ${e.message}`);
  }
}

/** Go's Regexp.ReplaceAllString (the replacement expands $1, ${name}). */
export function reReplaceAll(pattern: string, repl: string, text: string): string {
  const re = mustCompile(String(pattern));
  let lastEnd = -1;
  return String(text).replace(re, (...args: unknown[]) => {
    const m = args[0] as string;
    const hasGroups = typeof args[args.length - 1] === 'object';
    const offset = args[args.length - (hasGroups ? 3 : 2)] as number;
    // Go ignores an empty match right after the previous match; JavaScript does not.
    if (m === '' && offset === lastEnd) return '';
    lastEnd = offset + m.length;
    const match = Object.assign(args.slice(0, args.length - (hasGroups ? 3 : 2)) as string[], {
      index: offset,
      input: text,
      groups: hasGroups ? (args[args.length - 1] as Record<string, string>) : undefined,
    }) as unknown as RegExpExecArray;
    return expandTemplate(String(repl), match);
  });
}

/** strconv.ParseFloat as Go accepts it (decimal, hex floats, Inf/NaN spellings, underscores only with a base prefix). */
export function parseGoFloat(s: string): number {
  const t = s.trim() === s ? s : '';
  if (/^[+-]?(inf|infinity)$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(t)) return NaN;
  if (/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) return Number(t);
  const hex = /^([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?\d+)$/.exec(t);
  if (hex !== null) {
    const frac = (hex[3] ?? '').replace(/_/g, '');
    const mant = parseInt((hex[2].replace(/_/g, '') + frac) || '0', 16);
    const v = mant * 2 ** (Number(hex[4]) - 4 * frac.length);
    return hex[1] === '-' ? -v : v;
  }
  throw new Error(`strconv.ParseFloat: parsing ${JSON.stringify(s)}: invalid syntax`);
}

/** prometheus/common's ConvertToFloat: float64, numeric strings, ints, durations (as seconds). */
export function convertToFloat(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'string') return parseGoFloat(v);
  if (v instanceof GoDuration) return v.Seconds();
  const type = v === null || v === undefined ? '<nil>' : typeof v === 'object' ? v.constructor.name : typeof v;
  throw new Error(`can't convert ${type} to float`);
}

const SMALL_PREFIXES = ['m', 'u', 'n', 'p', 'f', 'a', 'z', 'y'];

/** prometheus/common's HumanizeDuration: "1d 2h 3m 4s", "1.5s", "12ms". */
export function humanizeDuration(i: unknown): string {
  let v = convertToFloat(i);
  if (Number.isNaN(v) || !Number.isFinite(v)) return sprintf('%.4g', [v]);
  if (v === 0) return sprintf('%.4gs', [v]);
  if (Math.abs(v) >= 1) {
    let sign = '';
    if (v < 0) {
      sign = '-';
      v = -v;
    }
    const total = BigInt(Math.trunc(v));
    const seconds = total % 60n;
    const minutes = (total / 60n) % 60n;
    const hours = (total / 3600n) % 24n;
    const days = total / 86400n;
    if (days !== 0n) return `${sign}${days}d ${hours}h ${minutes}m ${seconds}s`;
    if (hours !== 0n) return `${sign}${hours}h ${minutes}m ${seconds}s`;
    if (minutes !== 0n) return `${sign}${minutes}m ${seconds}s`;
    return sign + sprintf('%.4gs', [v]);
  }
  let prefix = '';
  for (const p of SMALL_PREFIXES) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return sprintf('%.4g%ss', [v, prefix]);
}

export { SMALL_PREFIXES };

// Go maps case one code point to one (Unicode's simple case mapping: unicode.ToUpper, ToLower,
// ToTitle). JS's toUpperCase() is the full mapping: the same wherever that gives one code point,
// but "ß" becomes "SS" where Go keeps "ß", and "Σ" at a word's end becomes "ς". Mapped one code
// point at a time, a result of several code points means "no simple mapping" (keep the code point)
// except for the few below, whose simple mapping differs from the first letters of the full one.
const SIMPLE_UPPER = new Map<number, number>([
  ...[0x1f80, 0x1f90, 0x1fa0].flatMap((base) => Array.from({ length: 8 }, (_, i): [number, number] => [base + i, base + i + 8])),
  [0x1fb3, 0x1fbc], [0x1fc3, 0x1fcc], [0x1ff3, 0x1ffc],
]);
const SIMPLE_LOWER = new Map<number, number>([[0x130, 0x69]]);
// Title case differs from upper case for the digraphs (dž → ǅ) and Georgian (no title case).
const TITLE = new Map<number, number>([
  [0x1c4, 0x1c5], [0x1c5, 0x1c5], [0x1c6, 0x1c5], [0x1c7, 0x1c8], [0x1c8, 0x1c8], [0x1c9, 0x1c8],
  [0x1ca, 0x1cb], [0x1cb, 0x1cb], [0x1cc, 0x1cb], [0x1f1, 0x1f2], [0x1f2, 0x1f2], [0x1f3, 0x1f2],
]);

function simpleCase(s: string, full: (ch: string) => string, table: Map<number, number>): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x80) {
      out += full(ch);
      continue;
    }
    const mapped = table.get(cp);
    if (mapped !== undefined) {
      out += String.fromCodePoint(mapped);
      continue;
    }
    const r = full(ch);
    out += [...r].length === 1 ? r : ch;
  }
  return out;
}

/** Go's strings.ToUpper. */
export function goToUpper(s: string): string {
  return simpleCase(s, (c) => c.toUpperCase(), SIMPLE_UPPER);
}

/** Go's strings.ToLower. */
export function goToLower(s: string): string {
  return simpleCase(s, (c) => c.toLowerCase(), SIMPLE_LOWER);
}

function goToTitleRune(ch: string): string {
  const cp = ch.codePointAt(0)!;
  if (TITLE.has(cp)) return String.fromCodePoint(TITLE.get(cp)!);
  if ((cp >= 0x10d0 && cp <= 0x10fa) || (cp >= 0x10fd && cp <= 0x10ff)) return ch;
  return goToUpper(ch);
}

/** Go's strings.Title: title-cases the first letter of each word, leaving the rest. */
export function stringsTitle(s: string): string {
  let prevLetter = false;
  let out = '';
  for (const ch of s) {
    // Go's separators: ASCII other than letters, digits and '_', and Unicode spaces.
    const cp = ch.codePointAt(0)!;
    const isWordChar = cp < 0x80 ? /[A-Za-z0-9_]/.test(ch) : !/\s/u.test(ch);
    out += isWordChar && !prevLetter ? goToTitleRune(ch) : ch;
    prevLetter = isWordChar;
  }
  return out;
}

/** golang.org/x/text cases.Title (English): first letter of each word upper, the rest lower. */
export function casesTitle(s: string): string {
  let inWord = false;
  let out = '';
  for (const ch of s) {
    const isLetter = /[\p{L}\p{N}\p{M}'’]/u.test(ch);
    out += isLetter ? (inWord ? ch.toLowerCase() : ch.toUpperCase()) : ch;
    inWord = isLetter;
  }
  return out;
}
