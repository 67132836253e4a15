// OpenMetrics 1.0 text as Prometheus 2.42's scraper reads it (model/textparse/openmetricslex.l and
// openmetricsparse.go there): what it stores, and when it fails, its words for the target's
// lastError (`expected label name or left brace, got "INVALID"`, `unit not a suffix of metric
// "a_bytes"`, `metric name a does not support exemplars`, ...). A target Prometheus scrapes must
// scrape the same here, and fail the same way.
//
// 2.42's reader is far stricter about spacing than about meaning, and this follows it both ways:
//   - Tokens are separated by exactly one space; no tabs, no blank lines, no comments other than
//     `# HELP`, `# TYPE`, `# UNIT` and `# EOF`, and nothing (not even an empty line or a CR) after
//     `# EOF`. A CR is an ordinary character: `1\r` is not a number.
//   - Label sets take no trailing comma; a TYPE is lower case; a UNIT must be the name's suffix.
//   - Exemplars (` # {...} value [timestamp]`) only on `_total` and `_bucket` samples; read and
//     checked, not stored (2.42 stores none without its exemplar-storage feature).
//   - Nothing checks that samples match their family: a second TYPE, a TYPE after the samples, a
//     counter without `_total`, a negative counter, a histogram without `+Inf` are all stored,
//     and `_created` samples are ordinary series (Prometheus 3 stores them too unless asked to
//     turn them into created timestamps).
//   - Timestamps are float seconds, made milliseconds by truncation (Go's int64(ts*1000)). Beyond
//     2^53 ms Strata cannot store them and fails the scrape, where 2.42 stores them (or drops
//     them as out of bounds when beyond an int64, which Go's conversion makes the far past).
//
// One addition of Prometheus 3, which 2.42 refuses: quoted UTF-8 names (escaping=allow-utf-8), a
// quoted label name before `=` (`a{"b.c"="d"}`, in exemplars too), the metric name quoted inside
// the braces (`{"a.b",c="d"} 1`; here only as the first item, as expositions write it, so that any
// other sample starting with `{` keeps 2.42's error) and in HELP/TYPE/UNIT lines.
//
// Pushes and imports of OpenMetrics keep exposition.ts's own reading: this one is for scrapes.
// (promtool's OpenMetrics backfill uses 2.42's same parser; Strata's import refuses line by line
// and keeps going, which this all-or-nothing reading would not fit.)
// The lexer below is a hand-written equivalent of the golex one, including where it stops: golex
// does not back up to a shorter match, so ` # x` after a value is INVALID although ` #` alone
// would have been a timestamp. The token where it stopped is what the error names.
import { METRIC_NAME, SampleBatchBuilder } from '../model/index.ts';
import { labelsFromSortedPairs, sortLabelPairs } from './labelpairs.ts';
import { OPENMETRICS_TYPES, type MetricMetadata } from './metadata.ts';
import { goParseFloatError, goQuote } from './prometheuswording.ts';
import { TextParseError, ownedSlice, ownedString, parseFloatToken, unstorableTimestamp } from './textparse.ts';
import type { ParsedExposition } from './exposition.ts';

// Tokens, named as 2.42's token.String() names them (its order, for the table below).
const INVALID = 0;
const EOF = 1;
const LINEBREAK = 2;
const HELP = 4;
const TYPE = 5;
const UNIT = 6;
const EOF_WORD = 7;
const TEXT = 8;
const COMMENT = 9;
const MNAME = 11;
const BRACE_OPEN = 12;
const BRACE_CLOSE = 13;
const LNAME = 14;
const LVALUE = 15;
const COMMA = 16;
const EQUAL = 17;
const TIMESTAMP = 18;
const VALUE = 19;
/** A quoted name inside braces (Prometheus 3): a label name before `=`, else the metric name. */
const QSTRING = 20;
const TOKEN_NAMES = [
  'INVALID', 'EOF', 'LINEBREAK', 'WHITESPACE', 'HELP', 'TYPE', 'UNIT', 'EOFWORD', 'TEXT', 'COMMENT',
  'BLANK', 'MNAME', 'BOPEN', 'BCLOSE', 'LNAME', 'LVALUE', 'COMMA', 'EQUAL', 'TIMESTAMP', 'VALUE', 'QSTRING',
];

// Lexer states (the %x start conditions of openmetricslex.l).
const S_INIT = 0;
const S_COMMENT = 1;
const S_META1 = 2;
const S_META2 = 3;
const S_LABELS = 4;
const S_LVALUE = 5;
const S_VALUE = 6;
const S_TIMESTAMP = 7;
const S_EXEMPLAR = 8;
const S_EVALUE = 9;
const S_ETIMESTAMP = 10;

const SPACE = 0x20;
const LF = 0x0a;
const HASH = 0x23;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
/** U+FFFD, what bytes that were not UTF-8 decoded to. */
const REPLACEMENT = 0xfffd;

const KEYWORDS: [string, number][] = [['HELP ', HELP], ['TYPE ', TYPE], ['UNIT ', UNIT]];


class Lexer {
  readonly s: string;
  /** Next character to read; where the lexer stopped after an INVALID. */
  i = 0;
  /** Start of the last token. */
  start = 0;
  state = S_INIT;

  constructor(s: string) {
    this.s = s;
  }

  /** The last token's text. */
  buf(): string {
    return this.s.slice(this.start, this.i);
  }

  next(): number {
    const s = this.s;
    const n = s.length;
    if (this.i >= n) return EOF;
    this.start = this.i;
    let i = this.i;
    const c = s.charCodeAt(i);
    switch (this.state) {
      case S_INIT:
        if (c === HASH) {
          // `# ` switches to the comment state within the same token.
          if (i + 1 < n && s.charCodeAt(i + 1) === SPACE) return this.comment(i + 2);
          this.i = i + 1;
          return INVALID;
        }
        // Prometheus 3: a sample whose (quoted) name is inside the braces, `{"a.b",c="d"} 1`.
        // Only with the quoted name first; any other `{` stays 2.42's invalid start.
        if (c === 0x7b /* { */ && i + 1 < n && s.charCodeAt(i + 1) === QUOTE) {
          this.i = i + 1;
          this.state = S_LABELS;
          return BRACE_OPEN;
        }
        if (!isNameStart(c, true)) return INVALID;
        this.i = nameEnd(s, i, true);
        this.state = S_VALUE;
        return MNAME;
      case S_META1:
        // Prometheus 3: a quoted metric name, `# TYPE "a.b" counter`.
        if (c === QUOTE) {
          const t = this.quoted(i, S_META2);
          return t === LVALUE ? MNAME : t;
        }
        if (!isNameStart(c, true)) return INVALID;
        this.i = nameEnd(s, i, true);
        this.state = S_META2;
        return MNAME;
      case S_META2: {
        // A blank, then the rest of the line including its newline.
        if (c !== SPACE) return INVALID;
        const nl = s.indexOf('\n', i + 1);
        if (nl < 0) {
          this.i = n;
          return INVALID;
        }
        this.i = nl + 1;
        this.state = S_INIT;
        return TEXT;
      }
      case S_LABELS:
      case S_EXEMPLAR: {
        const exemplar = this.state === S_EXEMPLAR;
        if (isNameStart(c, false)) {
          this.i = nameEnd(s, i, false);
          return LNAME;
        }
        if (c === QUOTE) {
          const t = this.quoted(i, S_LABELS);
          return t === LVALUE ? QSTRING : t;
        }
        if (c === 0x7d /* } */) {
          this.i = i + 1;
          this.state = exemplar ? S_EVALUE : S_VALUE;
          return BRACE_CLOSE;
        }
        if (c === 0x3d /* = */) {
          this.i = i + 1;
          this.state = exemplar ? S_EVALUE : S_LVALUE;
          return EQUAL;
        }
        if (c === 0x2c /* , */) {
          this.i = i + 1;
          return COMMA;
        }
        return INVALID;
      }
      case S_LVALUE:
        return this.quoted(i, S_LABELS);
      case S_EVALUE:
        if (c === QUOTE) return this.quoted(i, S_EXEMPLAR);
        return this.spaceToken(i, VALUE, S_ETIMESTAMP);
      case S_VALUE:
        if (c === 0x7b /* { */) {
          this.i = i + 1;
          this.state = S_LABELS;
          return BRACE_OPEN;
        }
        return this.spaceToken(i, VALUE, S_TIMESTAMP);
      case S_TIMESTAMP:
        if (c === LF) {
          this.i = i + 1;
          this.state = S_INIT;
          return LINEBREAK;
        }
        // ` # {` starts an exemplar; ` #` followed by anything but a blank is a timestamp token.
        if (c === SPACE && i + 1 < n && s.charCodeAt(i + 1) === HASH && i + 2 < n && s.charCodeAt(i + 2) === SPACE) {
          if (i + 3 < n && s.charCodeAt(i + 3) === 0x7b) {
            this.i = i + 4;
            this.state = S_EXEMPLAR;
            return COMMENT;
          }
          this.i = i + 3;
          return INVALID;
        }
        return this.spaceToken(i, TIMESTAMP, S_TIMESTAMP);
      case S_ETIMESTAMP:
        if (c === LF) {
          this.i = i + 1;
          this.state = S_INIT;
          return LINEBREAK;
        }
        return this.spaceToken(i, TIMESTAMP, S_ETIMESTAMP);
      default:
        // S_COMMENT lasts only within the token that `# ` starts; the parser stops at its errors.
        return this.comment(i);
    }
  }

  /** After `# `: HELP, TYPE or UNIT and a blank, or EOF and an optional newline. */
  private comment(i: number): number {
    const s = this.s;
    this.state = S_COMMENT;
    for (const [word, token] of KEYWORDS) {
      if (s.charCodeAt(i) !== word.charCodeAt(0)) continue;
      const k = matched(s, i, word);
      this.i = k;
      if (k - i < word.length) return INVALID;
      this.state = S_META1;
      return token;
    }
    if (s.charCodeAt(i) === 0x45 /* E */) {
      const k = matched(s, i, 'EOF');
      this.i = k;
      if (k - i < 3) return INVALID;
      if (s.charCodeAt(k) === LF) this.i = k + 1;
      this.state = S_INIT;
      return EOF_WORD;
    }
    this.i = i;
    return INVALID;
  }

  /** `"(\\.|[^\\"\n])*"` at i (a value, or an exemplar's). */
  private quoted(i: number, after: number): number {
    const s = this.s;
    const n = s.length;
    if (s.charCodeAt(i) !== QUOTE) return INVALID;
    for (let k = i + 1; k < n; k++) {
      const c = s.charCodeAt(k);
      if (c === QUOTE) {
        this.i = k + 1;
        this.state = after;
        return LVALUE;
      }
      if (c === LF) {
        this.i = k;
        return INVALID;
      }
      if (c === BACKSLASH) {
        if (k + 1 >= n || s.charCodeAt(k + 1) === LF) {
          this.i = k;
          return INVALID;
        }
        k++;
      }
    }
    this.i = n;
    return INVALID;
  }

  /** `{S}[^ \n]+` at i: a value or a timestamp, the blank included. */
  private spaceToken(i: number, token: number, after: number): number {
    const s = this.s;
    const n = s.length;
    if (s.charCodeAt(i) !== SPACE) return INVALID;
    let k = i + 1;
    while (k < n) {
      const c = s.charCodeAt(k);
      if (c === SPACE || c === LF) break;
      k++;
    }
    this.i = k;
    if (k === i + 1) return INVALID;
    this.state = after;
    return token;
  }
}

/** How far `word` matches s from i: the index of the first character that differs. */
function matched(s: string, i: number, word: string): number {
  let k = 0;
  while (k < word.length && s.charCodeAt(i + k) === word.charCodeAt(k)) k++;
  return i + k;
}

/**
 * Parses an OpenMetrics body as Prometheus 2.42's scraper does (see the top). Throws a
 * TextParseError whose prometheusMessage is 2.42's error for the body. `invalidUtf8`: the body was
 * not all UTF-8 (U+FFFD stands for bad bytes), which 2.42 refuses in label values and HELP texts.
 */
export function parseOpenMetricsScrape(text: string, defaultTimestamp: number, invalidUtf8 = false): ParsedExposition {
  const out = new SampleBatchBuilder(256);
  try {
    return read(text, defaultTimestamp, invalidUtf8, out);
  } catch (e) {
    // What was read before the error, for the scrape to check as 2.42 appends it (TextParseError.partial).
    if (e instanceof TextParseError) e.partial = out.build();
    throw e;
  }
}

function read(text: string, defaultTimestamp: number, invalidUtf8: boolean, out: SampleBatchBuilder): ParsedExposition {
  const lx = new Lexer(text);
  const families = new Map<string, MetricMetadata>();
  const metadata: MetricMetadata[] = [];
  const pairs: string[] = [];
  // Start of the current entry, for the line number of an error.
  let entry = 0;

  function fail(words: string, reason = 'syntax'): never {
    let line = 1;
    for (let p = text.indexOf('\n'); p >= 0 && p < entry; p = text.indexOf('\n', p + 1)) line++;
    throw new TextParseError(line, reason, words);
  }
  function parseError(expected: string, got: number): never {
    return fail(`${expected}, got "${TOKEN_NAMES[got]}"`);
  }

  const exemplarPairs: string[] = [];

  /**
   * Reads a label set after its `{`, into `into` from n; returns the new count. A quoted name
   * followed by `=` is a label name; alone it is the metric name (Prometheus 3), stored in into[1],
   * which is '' until then (a name before the braces is set).
   */
  function labelSet(into: string[], n: number): number {
    let first = true;
    let t = lx.next();
    for (;;) {
      if (t === BRACE_CLOSE) return n;
      if (t === COMMA) {
        if (first) parseError('expected label name or left brace', t);
        t = lx.next();
        if (t !== LNAME && t !== QSTRING) parseError('expected label name', t);
      } else if (t === LNAME || t === QSTRING) {
        if (!first) parseError('expected comma', t);
      } else {
        parseError(first ? 'expected label name or left brace' : 'expected comma or left brace', t);
      }
      first = false;
      const quoted = t === QSTRING;
      const name = quoted ? unescaped(text, lx.start + 1, lx.i - 1) : ownedSlice(text, lx.start, lx.i);
      const eq = lx.next();
      if (quoted && eq !== EQUAL) {
        if (into !== pairs) parseError('expected equal', eq);
        if (name === '') fail('empty quoted metric name', 'invalid_metric_name');
        if (into[1] !== '') fail(`second metric name ${goQuote(name)} inside braces; the metric is ${goQuote(into[1])}`, 'invalid_metric_name');
        if (eq !== COMMA && eq !== BRACE_CLOSE) parseError('expected comma or left brace', eq);
        into[1] = name;
        t = eq;
        continue;
      }
      if (quoted && name === '') fail('empty quoted label name', 'invalid_label_name');
      if (eq !== EQUAL) parseError('expected equal', eq);
      const v = lx.next();
      if (v !== LVALUE) parseError('expected label value', v);
      if (invalidUtf8 && indexIn(text, REPLACEMENT, lx.start, lx.i) >= 0) fail('invalid UTF-8 label value', 'invalid_utf8');
      into[n++] = name;
      into[n++] = unescaped(text, lx.start + 1, lx.i - 1);
      t = lx.next();
    }
  }

  /** The number of the last token less its blank, or 2.42's error for it (Go's ParseFloat's). */
  function number(reason: string): number {
    const tok = text.slice(lx.start + 1, lx.i);
    const v = parseFloatToken(tok);
    if (v === null) fail(goParseFloatError(tok) ?? `strconv.ParseFloat: parsing ${goQuote(tok)}: invalid syntax`, reason);
    return v;
  }

  /** A value token's number, or 2.42's error for it. */
  function floatValue(t: number, after: string): number {
    if (t !== VALUE) parseError(`expected value after ${after}`, t);
    return number('invalid_value');
  }

  /** A timestamp token's seconds; NaN or an infinity is `invalid`. */
  function seconds(invalid: string): number {
    const ts = number('invalid_timestamp');
    if (!Number.isFinite(ts)) fail(invalid, 'invalid_timestamp');
    return ts;
  }

  /** After ` # {`: an exemplar of the sample `name`, read and checked; not kept. */
  function exemplar(name: string): void {
    if (!name.endsWith('_total') && !name.endsWith('_bucket')) fail(`metric name ${name} does not support exemplars`);
    labelSet(exemplarPairs, 0);
    floatValue(lx.next(), 'exemplar labels');
    const t = lx.next();
    if (t === EOF) fail('data does not end with # EOF');
    if (t === LINEBREAK) return;
    if (t !== TIMESTAMP) parseError('expected timestamp or comment', t);
    seconds('invalid exemplar timestamp');
    const t2 = lx.next();
    if (t2 !== LINEBREAK) parseError('expected next entry after exemplar timestamp', t2);
  }

  for (;;) {
    entry = lx.i;
    const t = lx.next();
    if (t === EOF_WORD) {
      if (lx.next() !== EOF) fail('unexpected data after # EOF');
      break;
    }
    if (t === EOF) fail('data does not end with # EOF');
    if (t === HELP || t === TYPE || t === UNIT) {
      const keyword = TOKEN_NAMES[t];
      const t2 = lx.next();
      if (t2 !== MNAME) parseError(`expected metric name after ${keyword}`, t2);
      const name = text.charCodeAt(lx.start) === QUOTE ? unescaped(text, lx.start + 1, lx.i - 1) : ownedSlice(text, lx.start, lx.i);
      if (lx.next() !== TEXT) fail(`expected text in ${keyword}`);
      // The token is the blank, the text and the newline.
      const from = lx.start + 1;
      const to = Math.max(from, lx.i - 1);
      // The last TYPE, HELP and UNIT of a family count, wherever they are.
      let meta = families.get(name);
      if (meta === undefined) {
        meta = { family: name, type: 'unknown', help: '', unit: '' };
        families.set(name, meta);
        metadata.push(meta);
      }
      if (t === TYPE) {
        const word = text.slice(from, to);
        const type = Object.hasOwn(OPENMETRICS_TYPES, word) ? OPENMETRICS_TYPES[word] : undefined;
        if (type === undefined) fail(`invalid metric type ${goQuote(word)}`, 'invalid_type');
        meta.type = type;
      } else if (t === HELP) {
        if (invalidUtf8 && indexIn(text, REPLACEMENT, from, to) >= 0) fail('help text is not a valid utf8 string', 'invalid_utf8');
        meta.help = unescaped(text, from, to);
      } else {
        const unit = text.slice(from, to);
        if (unit !== '' && !(name.endsWith(unit) && name.length > unit.length && name.charCodeAt(name.length - unit.length - 1) === 0x5f)) {
          fail(`unit not a suffix of metric ${goQuote(name)}`, 'invalid_unit');
        }
        meta.unit = ownedString(unit);
      }
      continue;
    }
    if (t !== MNAME && t !== BRACE_OPEN) {
      // 2.42 names the byte where its lexer stopped, as the character of that code (string(byte)
      // in Go): the first byte of a character's UTF-8, so "é" shows as "Ã". (A byte that was not
      // UTF-8 reads here as U+FFFD, whose first byte is shown instead.)
      const cur = lx.i < text.length ? String.fromCharCode(Buffer.from(String.fromCodePoint(text.codePointAt(lx.i)!))[0]) : '';
      fail(`"${TOKEN_NAMES[t]}" ${goQuote(cur)} is not a valid start token`);
    }

    // A sample: name, optional label set, value, optional timestamp, optional exemplar. Or, in
    // Prometheus 3, the label set first with the quoted name in it.
    pairs[0] = METRIC_NAME;
    pairs[1] = t === MNAME ? ownedSlice(text, lx.start, lx.i) : '';
    let n = 2;
    let t2 = t === MNAME ? lx.next() : BRACE_OPEN;
    if (t2 === BRACE_OPEN) {
      n = labelSet(pairs, n);
      if (pairs[1] === '') fail('no metric name in the braces of a sample without one before them', 'invalid_metric_name');
      t2 = lx.next();
    }
    const name = pairs[1];
    const value = floatValue(t2, 'metric');
    let ts = defaultTimestamp;
    const t3 = lx.next();
    if (t3 === EOF) fail('data does not end with # EOF');
    else if (t3 === COMMENT) exemplar(name);
    else if (t3 === TIMESTAMP) {
      ts = goInt64(seconds('invalid timestamp') * 1000);
      const t4 = lx.next();
      if (t4 === COMMENT) exemplar(name);
      else if (t4 !== LINEBREAK) parseError('expected next entry after timestamp', t4);
    } else if (t3 !== LINEBREAK) {
      parseError('expected timestamp or # symbol', t3);
    }
    // The head refuses a label name twice (also __name__ set inside braces) when appending.
    const dup = sortLabelPairs(pairs, n);
    if (dup !== null) fail(`label name ${goQuote(dup)} is not unique: invalid sample`, 'duplicate_label_name');
    // Beyond what the head stores (see LineCursor.intTimestamp); 2.42 stores it, or drops it as
    // out of bounds once it no longer fits in an int64.
    if (!Number.isSafeInteger(ts)) fail(unstorableTimestamp(String(BigInt(ts))), 'invalid_timestamp');
    out.startSeries(labelsFromSortedPairs(pairs, n));
    out.add(ts, value);
  }
  return { batch: out.build(), metadata };
}

/** Label value and HELP escapes as 2.42 undoes them: \\, \" and \n; any other backslash stays. */
function unescaped(s: string, from: number, to: number): string {
  const bs = indexIn(s, BACKSLASH, from, to);
  if (bs < 0) return ownedSlice(s, from, to);
  let out = '';
  let last = from;
  for (let p = bs; p < to - 1; p++) {
    if (s.charCodeAt(p) !== BACKSLASH) continue;
    const e = s.charCodeAt(p + 1);
    if (e !== BACKSLASH && e !== QUOTE && e !== 0x6e /* n */) continue;
    out += s.slice(last, p) + (e === 0x6e ? '\n' : e === QUOTE ? '"' : '\\');
    p++;
    last = p + 1;
  }
  return ownedString(out + s.slice(last, to));
}

/**
 * The first index of character `c` in s[from, to), or -1. Not indexOf: that would search on to the
 * end of the body, once per label value.
 */
function indexIn(s: string, c: number, from: number, to: number): number {
  for (let p = from; p < to; p++) if (s.charCodeAt(p) === c) return p;
  return -1;
}

/** 2^63 */
const INT64_LIMIT = 9223372036854775808;

/**
 * Go's int64(f) on amd64: truncated toward zero, and the minimum int64 for what does not fit (a
 * far future timestamp becomes the far past, which the head then refuses as out of bounds).
 */
function goInt64(f: number): number {
  if (f >= INT64_LIMIT || f <= -INT64_LIMIT) return -INT64_LIMIT;
  const t = Math.trunc(f);
  return t === 0 ? 0 : t;
}

function isNameStart(c: number, colon: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a);
}

function nameEnd(s: string, i: number, colon: boolean): number {
  let k = i + 1;
  const n = s.length;
  while (k < n) {
    const c = s.charCodeAt(k);
    if (!(isNameStart(c, colon) || (c >= 0x30 && c <= 0x39))) break;
    k++;
  }
  return k;
}
