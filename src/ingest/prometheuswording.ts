// What Prometheus 2.42 says about a malformed text exposition (0.0.4), so that a target's
// lastError reads as it does there (`strconv.ParseFloat: parsing "is": invalid syntax`,
// `expected label name, got "BCLOSE"`): people search for those words, and alerting on
// up == 0 then linking to the targets page shows the same text in both systems.
//
// Only called once a parse has already failed: it reads the failing record again the way
// Prometheus' lexer (model/textparse/promlex.l) and parser (promparse.go) of 2.42 do, token by
// token, and returns the first error they would report, or null when they would accept the record
// (then the caller words it itself). The fast parser in exposition.ts stays free of this.
//
// The lexer's states, as far as they decide an error:
//   line start:  blanks, '#' (comment, or HELP/TYPE when "# HELP " / "# TYPE "), a metric name
//                [a-zA-Z_:][a-zA-Z0-9_:]*; anything else is INVALID.
//   after name:  '{' (BOPEN) or a value token [^{ \t\n]+; the end of the line is INVALID.
//   labels:      a label name [a-zA-Z_][a-zA-Z0-9_]* (LNAME), '}' (BCLOSE), '=' (EQUAL), ',' (COMMA).
//   label value: "..." with backslash escapes, which may run over newlines; else INVALID.
//   after value: digits (TIMESTAMP) or the end of the line (LINEBREAK); else INVALID.
// Labels need no comma between them, and a label set may end in one. After a record parses, the
// head refuses a label name that occurs twice (`label name "b" is not unique: invalid sample`).

import { isLegacyLabelName } from '../model/index.ts';

const LF = 0x0a;

export const INVALID_UTF8_LABEL_VALUE = 'invalid UTF-8 label value';
export const INVALID_UTF8_HELP = 'help text is not a valid utf8 string';

/**
 * Prometheus 2.42's error for the record starting at `start` of a text exposition, or null.
 * `badUtf8`: the text was decoded from bytes that were not all UTF-8, and U+FFFD in it may stand
 * for them (Prometheus refuses them in label values and HELP texts, and only there).
 */
export function prometheusRecordError(s: string, start: number, badUtf8 = false): string | null {
  const n = s.length;
  let i = start;
  const blank = (k: number) => k < n && (s.charCodeAt(k) === 0x20 || s.charCodeAt(k) === 0x09);
  const skipBlanks = () => {
    while (blank(i)) i++;
  };
  // The parser appends a newline to the body, so the end of the text ends the line too.
  const atLineEnd = () => i >= n || s.charCodeAt(i) === LF;
  const nameEnd = (k: number, colon: boolean) => {
    if (k >= n || !isNameStart(s.charCodeAt(k), colon)) return k;
    k++;
    while (k < n && (isNameStart(s.charCodeAt(k), colon) || isDigit(s.charCodeAt(k)))) k++;
    return k;
  };

  skipBlanks();
  if (atLineEnd()) return null;
  if (s.charCodeAt(i) === 0x23 /* # */) return metadataError(s, i + 1, badUtf8);

  const metricEnd = nameEnd(i, true);
  if (metricEnd === i) return '"INVALID" is not a valid start token';
  const names = [s.slice(i, metricEnd)];
  i = metricEnd;
  skipBlanks();
  if (i < n && s.charCodeAt(i) === 0x7b /* { */) {
    i++;
    // The label set: LNAME EQUAL LVALUE [COMMA], ... BCLOSE.
    for (;;) {
      skipBlanks();
      if (i < n && s.charCodeAt(i) === 0x7d /* } */) {
        i++;
        break;
      }
      const labelEnd = nameEnd(i, false);
      if (labelEnd === i) return `expected label name, got "${labelToken(s, i)}"`;
      names.push(s.slice(i, labelEnd));
      i = labelEnd;
      skipBlanks();
      if (i >= n || s.charCodeAt(i) !== 0x3d /* = */) return `expected equal, got "${labelToken(s, i)}"`;
      i++;
      skipBlanks();
      const valueEnd = quotedEnd(s, i);
      if (valueEnd < 0) return 'expected label value, got "INVALID"';
      if (badUtf8 && s.slice(i, valueEnd).includes('\ufffd')) return INVALID_UTF8_LABEL_VALUE;
      i = valueEnd;
      skipBlanks();
      if (i < n && s.charCodeAt(i) === 0x2c /* , */) i++;
    }
    skipBlanks();
  }
  if (atLineEnd()) return 'expected value after metric, got "INVALID"';
  if (s.charCodeAt(i) === 0x7b) return 'expected value after metric, got "BOPEN"';
  const valueStart = i;
  while (i < n && !blank(i) && s.charCodeAt(i) !== LF && s.charCodeAt(i) !== 0x7b) i++;
  const floatError = goParseFloatError(s.slice(valueStart, i));
  if (floatError !== null) return floatError;
  skipBlanks();
  if (!atLineEnd()) {
    const tsStart = i;
    while (i < n && isDigit(s.charCodeAt(i))) i++;
    if (i === tsStart) return 'expected timestamp or new record, got "INVALID"';
    const ts = s.slice(tsStart, i);
    if (BigInt(ts) > 0x7fffffffffffffffn) return `strconv.ParseInt: parsing ${goQuote(ts)}: value out of range`;
    skipBlanks();
    if (!atLineEnd()) return `expected next entry after timestamp, got "${isDigit(s.charCodeAt(i)) ? 'TIMESTAMP' : 'INVALID'}"`;
  }
  // Parsed: the head then refuses a repeated label name, the first in sorted order.
  names[0] = '__name__';
  names.sort();
  for (let k = 1; k < names.length; k++) {
    if (names[k] === names[k - 1]) return `label name ${goQuote(names[k])} is not unique: invalid sample`;
  }
  return null;
}

/** After '#': a comment (never an error), or a HELP or TYPE line. */
function metadataError(s: string, i: number, badUtf8: boolean): string | null {
  const n = s.length;
  const blank = (k: number) => k < n && (s.charCodeAt(k) === 0x20 || s.charCodeAt(k) === 0x09);
  if (!blank(i)) return null;
  while (blank(i)) i++;
  const keyword = s.startsWith('HELP', i) ? 'HELP' : s.startsWith('TYPE', i) ? 'TYPE' : '';
  if (keyword === '' || !blank(i + 4)) return null;
  i += 4;
  while (blank(i)) i++;
  if (i >= n || !isNameStart(s.charCodeAt(i), true)) return `expected metric name after ${keyword}, got "INVALID"`;
  while (i < n && (isNameStart(s.charCodeAt(i), true) || isDigit(s.charCodeAt(i)))) i++;
  // The text token is the rest of the line less its first character (normally the blank after
  // the name); a rest of blanks only lexes as whitespace and leaves an empty text.
  let end = s.indexOf('\n', i);
  if (end < 0) end = n;
  if (keyword === 'HELP') return badUtf8 && s.slice(i, end).includes('\ufffd') ? INVALID_UTF8_HELP : null;
  let k = i;
  while (k < end && blank(k)) k++;
  const text = k === end ? '' : s.slice(i + 1, end);
  return TYPES.has(text) ? null : `invalid metric type ${goQuote(text)}`;
}

const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** The token the lexer sees inside braces at `i`, as the parser names it. */
function labelToken(s: string, i: number): string {
  const c = i < s.length ? s.charCodeAt(i) : LF;
  if (c === 0x7d) return 'BCLOSE';
  if (c === 0x2c) return 'COMMA';
  if (c === 0x3d) return 'EQUAL';
  if (isNameStart(c, false)) return 'LNAME';
  return 'INVALID';
}

/** The end of a quoted label value starting at `i` (`"(\\.|[^\\"])*"`, `.` not a newline), or -1. */
function quotedEnd(s: string, i: number): number {
  const n = s.length;
  if (i >= n || s.charCodeAt(i) !== 0x22) return -1;
  for (let k = i + 1; k < n; k++) {
    const c = s.charCodeAt(k);
    if (c === 0x22) return k + 1;
    if (c === 0x5c) {
      if (k + 1 >= n || s.charCodeAt(k + 1) === LF) return -1;
      k++;
    }
  }
  return -1;
}

/**
 * Prometheus' parseFloat: 'p', 'P' and '_' refused outright (no hex floats, no digit separators),
 * then Go's strconv.ParseFloat, whose errors name the input.
 */
export function goParseFloatError(tok: string): string | null {
  if (/[pP_]/.test(tok)) return 'unsupported character in float';
  if (/^[+-]?(inf|infinity)$/i.test(tok) || /^nan$/i.test(tok)) return null;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(tok)) return `strconv.ParseFloat: parsing ${goQuote(tok)}: invalid syntax`;
  return Number.isFinite(Number(tok)) ? null : `strconv.ParseFloat: parsing ${goQuote(tok)}: value out of range`;
}

/** Go's %q of a string: control characters escaped, other characters as they are. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (c >= 0xa0 || (c >= 0x20 && c < 0x7f)) out += ch;
    else if (c > 0x7f && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += GO_ESCAPES[c] ?? `\\x${c.toString(16).padStart(2, '0')}`;
  }
  return `${out}"`;
}

/**
 * A label set as Go's labels.Labels.String() writes it, `{__name__=" a", job="j"}` (values as
 * strconv.Quote; in Prometheus 3 a name outside the classic label charset quoted too,
 * `{"a.b"="c"}`), for errors that quote a whole series. `ls`: flat sorted name, value pairs.
 */
export function prometheusLabelsString(ls: readonly string[]): string {
  const parts: string[] = [];
  for (let i = 0; i < ls.length; i += 2) parts.push(`${isLegacyLabelName(ls[i]) ? ls[i] : goQuote(ls[i])}=${goQuote(ls[i + 1])}`);
  return `{${parts.join(', ')}}`;
}

const GO_ESCAPES: Record<number, string> = { 0x07: '\\a', 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0b: '\\v', 0x0c: '\\f', 0x0d: '\\r' };

function isNameStart(c: number, colon: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
