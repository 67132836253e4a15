// Scanning pieces shared by the line-oriented text formats (Prometheus text 0.0.4 now, OpenMetrics
// later): a cursor over one line of the input string, and readers for the tokens both formats
// share — metric names, label sets, float values, integer timestamps. Everything works on string
// indexes with charCodeAt; no regex and no per-line split on the hot path.
import type { SampleBatch } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { goQuote, prometheusRecordError } from './prometheuswording.ts';

const SPACE = 0x20;
const TAB = 0x09;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const EQUALS = 0x3d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const LF = 0x0a;
const CR = 0x0d;

/**
 * A parse error of a text payload; `line` is 1-based. `message` says where and what, for the
 * sender of a push; `prometheusMessage` is what Prometheus 2.42 says about the same input (its text
 * parser's own words, no line number), which a scrape reports as the target's lastError.
 */
export class TextParseError extends IngestError {
  readonly line: number;
  readonly prometheusMessage: string;
  /**
   * Of a scrape's (lenient) parse: the samples read before the failing record. Prometheus appends
   * each sample as it parses, so a sample it refuses before the parse error (an invalid name, a
   * label limit) fails the scrape first; the scrape checks these for that.
   */
  partial: SampleBatch | null = null;
  constructor(line: number, reason: string, message: string, prometheusMessage = message) {
    super(400, reason, `line ${line}: ${message}`);
    this.name = 'TextParseError';
    this.line = line;
    this.prometheusMessage = prometheusMessage;
  }
}

/** Position within the current line of a text payload. */
export class LineCursor {
  readonly s: string;
  /** Next character to read. */
  pos = 0;
  /** End of the current line (exclusive; the newline and a CR before it are not part of it). */
  end = 0;
  /** 1-based number of the current line. */
  line = 0;
  /** Start of the current record: its first line's start (a label value may run over lines). */
  start = 0;
  /** Start of the line after the current record. */
  next = 0;

  /**
   * Whether the text is Prometheus' text format 0.0.4, whose errors are then also worded as
   * Prometheus 2.42 words them (prometheuswording.ts).
   */
  readonly prometheusText: boolean;
  /**
   * Read as Prometheus 2.42's scraper reads text 0.0.4 (see ExpositionOptions.lenient): labels
   * need no comma between them, and a quoted label value may run over newlines.
   */
  readonly lenient: boolean;
  /**
   * When set, records whose label value ran over newlines are noted here as [start, next] pairs
   * (the record's first character, the start of the line after it), in order.
   */
  recordsOverLines: number[] | null = null;

  constructor(s: string, prometheusText = false, lenient = false) {
    this.s = s;
    this.prometheusText = prometheusText;
    this.lenient = lenient;
  }

  /** Makes the line starting at `start` current (without its newline and a CR before that). */
  startLine(start: number): void {
    const s = this.s;
    let nl = s.indexOf('\n', start);
    if (nl < 0) nl = s.length;
    this.line++;
    this.start = start;
    this.pos = start;
    // A CR before the newline ends the line for expfmt; Prometheus' scraper reads it as text.
    this.end = nl > start && !this.lenient && s.charCodeAt(nl - 1) === CR ? nl - 1 : nl;
    this.next = nl + 1;
  }

  /**
   * Throws a TextParseError for the current line. `otherwise` is Prometheus' wording for an input
   * its own text parser accepts or words differently (prometheus/common's expfmt words): used when
   * reading the record as Prometheus 2.42 does finds nothing wrong, or for other formats.
   */
  fail(reason: string, message: string, otherwise?: string): never {
    let theirs: string | null = null;
    if (this.prometheusText) theirs = prometheusRecordError(this.s, this.start);
    throw new TextParseError(this.line, reason, message, theirs ?? otherwise ?? message);
  }

  atEnd(): boolean {
    return this.pos >= this.end;
  }

  peek(): number {
    return this.pos < this.end ? this.s.charCodeAt(this.pos) : -1;
  }

  /** Skips spaces and tabs; returns whether any were skipped. */
  skipBlanks(): boolean {
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.s.charCodeAt(this.pos);
      if (c !== SPACE && c !== TAB) break;
      this.pos++;
    }
    return this.pos > start;
  }

  /** Reads up to the next blank or the end of the line. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.end) {
      const c = this.s.charCodeAt(this.pos);
      if (c === SPACE || c === TAB) break;
      this.pos++;
    }
    return this.s.slice(start, this.pos);
  }

  /** The rest of the line, shortened for an error message. */
  rest(): string {
    const r = this.s.slice(this.pos, Math.min(this.end, this.pos + 40));
    return this.pos + 40 < this.end ? `${r}...` : r;
  }

  /** Reads a metric name ([a-zA-Z_:][a-zA-Z0-9_:]*); returns '' when none starts here. */
  metricName(): string {
    const start = this.pos;
    const s = this.s;
    if (start >= this.end || !isNameStart(s.charCodeAt(start), true)) return '';
    let p = start + 1;
    while (p < this.end && isNameChar(s.charCodeAt(p), true)) p++;
    this.pos = p;
    return ownedSlice(s, start, p);
  }

  /** Reads a label name ([a-zA-Z_][a-zA-Z0-9_]*); returns '' when none starts here. */
  labelName(): string {
    const start = this.pos;
    const s = this.s;
    if (start >= this.end || !isNameStart(s.charCodeAt(start), false)) return '';
    let p = start + 1;
    while (p < this.end && isNameChar(s.charCodeAt(p), false)) p++;
    this.pos = p;
    return ownedSlice(s, start, p);
  }

  /**
   * Reads `{name="value", ...}` (the cursor is on the brace) and appends the pairs to `pairs` from
   * index `n`; returns the new count. Names may be quoted (`"a.b"="c"`), and a quoted name alone is
   * the metric name, stored in pairs[1], which must be '' then (a name before the braces is set).
   * Blanks between tokens and a trailing comma are allowed; when lenient, so is a missing comma
   * (`{a="1" b="2"}`), as in Prometheus 2.42's scraper.
   */
  labelSet(pairs: string[], n: number): number {
    this.pos++; // '{'
    for (;;) {
      this.skipBlanks();
      if (this.peek() === CLOSE_BRACE) {
        this.pos++;
        return n;
      }
      let name = this.labelName();
      if (name === '') {
        if (this.peek() === QUOTE) {
          // Prometheus 3 (text 1.0.0 and OpenMetrics with escaping=allow-utf-8): a quoted name.
          // Followed by "=" it is a label name (`"a.b"="c"`), else the metric name (`{"my.metric"}`).
          name = this.quotedName();
          this.skipBlanks();
          if (this.peek() !== EQUALS) {
            if (pairs[1] !== '') this.fail('invalid_metric_name', `second metric name ${JSON.stringify(name)} inside braces; the metric is ${JSON.stringify(pairs[1])}`);
            pairs[1] = name;
            const c = this.peek();
            if (c === COMMA) this.pos++;
            else if (c !== CLOSE_BRACE) this.fail('syntax', `expected "," or "}" after the metric name ${JSON.stringify(name)}, found ${describe(this)}`);
            continue;
          }
        } else {
          if (this.atEnd()) this.fail('syntax', 'unexpected end of line inside braces; expected a label name or "}"');
          this.fail('invalid_label_name', `invalid label name at ${JSON.stringify(this.rest())}`);
        }
      }
      this.skipBlanks();
      if (this.peek() !== EQUALS) this.fail('syntax', `expected "=" after label name ${JSON.stringify(name)}, found ${describe(this)}`);
      this.pos++;
      this.skipBlanks();
      if (this.peek() !== QUOTE) this.fail('syntax', `expected a quoted value for label ${JSON.stringify(name)}, found ${describe(this)}`);
      pairs[n++] = name;
      pairs[n++] = this.quotedLabelValue(name);
      this.skipBlanks();
      const c = this.peek();
      if (c === COMMA) this.pos++;
      else if (c !== CLOSE_BRACE && (!this.lenient || c === -1)) {
        this.fail('syntax', `expected "," or "}" after the value of label ${JSON.stringify(name)}, found ${describe(this)}`, `unexpected end of label value ${goQuote(pairs[n - 1])}`);
      }
    }
  }

  /**
   * Reads a quoted metric or label name (the cursor is on the quote), with the escapes of label
   * values; the name must not be empty.
   */
  quotedName(): string {
    const start = this.pos;
    const s = this.s;
    let p = start + 1;
    while (p < this.end && s.charCodeAt(p) !== QUOTE && s.charCodeAt(p) !== BACKSLASH) p++;
    if (p >= this.end) this.fail('syntax', `unterminated quoted name at ${JSON.stringify(this.rest())}`);
    const name = this.quotedLabelValue('');
    if (name === '') {
      this.pos = start;
      this.fail('invalid_label_name', 'empty quoted name');
    }
    return name;
  }

  /**
   * Reads a double-quoted label value (the cursor is on the quote) with the escapes \\, \" and \n.
   * Another backslash sequence is kept as written, as Prometheus' own scraper does.
   */
  quotedLabelValue(name: string): string {
    const s = this.s;
    const start = this.pos + 1;
    let p = start;
    while (p < this.end) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) {
        this.pos = p + 1;
        return ownedSlice(s, start, p);
      }
      if (c === BACKSLASH) break;
      p++;
    }
    let out = s.slice(start, p);
    while (p < this.end) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) {
        this.pos = p + 1;
        return ownedString(out);
      }
      if (c === BACKSLASH && p + 1 < this.end) {
        const e = s.charCodeAt(p + 1);
        if (e === BACKSLASH) out += '\\';
        else if (e === QUOTE) out += '"';
        else if (e === 0x6e /* n */) out += '\n';
        else out += s.slice(p, p + 2);
        p += 2;
        continue;
      }
      out += s[p];
      p++;
    }
    // Prometheus 2.42 reads on over the newline to a later quote; expfmt refuses the newline.
    if (this.lenient) return this.labelValueOverLines(start, name);
    return this.fail('syntax', `unterminated value of label ${JSON.stringify(name)}`, `label value ${goQuote(s.slice(start, p))} contains unescaped new-line`);
  }

  /**
   * A quoted label value (opening quote at start - 1) that has no closing quote on its line, read
   * as Prometheus 2.42's lexer reads it: on over newlines (kept in the value, with any CR) to the
   * next unescaped quote. A backslash before a newline, or no quote before the end of the text,
   * is an error there too. The record then ends on the closing quote's line.
   */
  labelValueOverLines(start: number, name: string): string {
    const s = this.s;
    const n = s.length;
    let out = '';
    let from = start;
    let lines = 0;
    for (let p = start; p < n; p++) {
      const c = s.charCodeAt(p);
      if (c === QUOTE) {
        const value = ownedString(out + s.slice(from, p));
        let nl = s.indexOf('\n', p);
        if (nl < 0) nl = n;
        this.line += lines;
        this.pos = p + 1;
        this.end = nl;
        this.next = nl + 1;
        this.recordsOverLines?.push(this.start, this.next);
        return value;
      }
      if (c === LF) lines++;
      else if (c === BACKSLASH) {
        if (p + 1 >= n || s.charCodeAt(p + 1) === LF) break;
        const e = s.charCodeAt(p + 1);
        if (e === BACKSLASH || e === QUOTE || e === 0x6e /* n */) {
          out += s.slice(from, p) + (e === 0x6e ? '\n' : e === QUOTE ? '"' : '\\');
          from = p + 2;
        }
        p++;
      }
    }
    return this.fail('syntax', `unterminated value of label ${JSON.stringify(name)}`);
  }

  /** Reads a sample value token: a Go-syntax decimal float, NaN, or [+-]Inf(inity). */
  floatValue(): number {
    const start = this.pos;
    const tok = this.token();
    if (tok === '') this.fail('invalid_value', 'missing sample value');
    const v = parseFloatToken(tok);
    if (v === null) {
      this.pos = start;
      this.fail('invalid_value', `invalid sample value ${JSON.stringify(tok)}`);
    }
    return v;
  }

  /**
   * Reads an integer millisecond timestamp token: a safe integer. Lenient, as Prometheus 2.42's
   * scraper: digits only, no sign. 2.42 stores any int64; Strata's head keeps milliseconds as
   * doubles and its chunks only safe integers, so beyond 2^53 ms is refused, saying so.
   */
  intTimestamp(): number {
    const tok = this.token();
    const t = this.lenient ? parseUnsignedInt64Token(tok) : parseIntToken(tok);
    if (t === null) this.fail('invalid_timestamp', `invalid timestamp ${JSON.stringify(tok)}; expected integer milliseconds`);
    if (!Number.isSafeInteger(t)) this.fail('invalid_timestamp', unstorableTimestamp(tok));
    return t;
  }
}

// Names and label values outlive the parse: the head keeps them for as long as the series lives.
// A substring of 13 or more characters is, in V8, a view that keeps the whole scraped body alive,
// so the strings handed out here must be copies. Copying costs, but most lines repeat from one
// scrape to the next: a direct-mapped cache keyed by a hash of the characters returns the copy
// made last time (verified character by character), which also lets repeated values share storage.
const CACHE_SIZE = 1 << 14;
const cacheStrings: string[] = new Array<string>(CACHE_SIZE).fill('');
const cacheHashes = new Int32Array(CACHE_SIZE);
const MAX_CACHED_LENGTH = 128;
// V8 copies substrings shorter than this anyway (SlicedString::kMinLength).
const MIN_VIEW_LENGTH = 13;

/** s.slice(start, end), as a string that does not keep `s` alive. */
export function ownedSlice(s: string, start: number, end: number): string {
  const n = end - start;
  if (n < MIN_VIEW_LENGTH) return s.slice(start, end);
  if (n > MAX_CACHED_LENGTH) return ownedString(s.slice(start, end));
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  const slot = (h ^ (h >>> 15)) & (CACHE_SIZE - 1);
  const cached = cacheStrings[slot];
  if (cacheHashes[slot] === h && cached.length === n) {
    let i = 0;
    while (i < n && cached.charCodeAt(i) === s.charCodeAt(start + i)) i++;
    if (i === n) return cached;
  }
  const copy = ownedString(s.slice(start, end));
  cacheStrings[slot] = copy;
  cacheHashes[slot] = h;
  return copy;
}

/**
 * A copy of `x` that shares no storage with a larger string. Appending a character makes a cons
 * string; slicing it flattens the cons into a new string of x.length + 1 characters, and the
 * result refers to that one only.
 */
export function ownedString(x: string): string {
  // Shorter strings are always flat copies in V8: substrings and concatenations alike.
  return x.length < MIN_VIEW_LENGTH ? x : (x + ' ').slice(0, -1);
}

function describe(c: LineCursor): string {
  return c.atEnd() ? 'end of line' : JSON.stringify(c.rest());
}

function isNameStart(c: number, colon: boolean): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || (colon && c === 0x3a);
}

function isNameChar(c: number, colon: boolean): boolean {
  return isNameStart(c, colon) || (c >= 0x30 && c <= 0x39);
}

/**
 * Parses a float as Go's strconv.ParseFloat does for decimal input (the reference exposition
 * parsers use it): optional sign, digits with an optional fraction and exponent, "Inf"/"Infinity"
 * with an optional sign and "NaN", case-insensitively. Returns null for anything else, including
 * values too large for a double (Go reports those as out of range). Hexadecimal floats are refused.
 */
export function parseFloatToken(tok: string): number | null {
  const n = tok.length;
  let i = 0;
  let c = tok.charCodeAt(0);
  const signed = c === 0x2b || c === 0x2d;
  if (signed) i++;
  c = tok.charCodeAt(i);
  if (c === 0x69 || c === 0x49 || c === 0x6e || c === 0x4e) {
    const word = tok.slice(i).toLowerCase();
    if (word === 'inf' || word === 'infinity') return tok.charCodeAt(0) === 0x2d ? -Infinity : Infinity;
    if (word === 'nan' && !signed) return NaN;
    return null;
  }
  let digits = 0;
  while (i < n && isDigit(tok.charCodeAt(i))) {
    i++;
    digits++;
  }
  if (i < n && tok.charCodeAt(i) === 0x2e) {
    i++;
    while (i < n && isDigit(tok.charCodeAt(i))) {
      i++;
      digits++;
    }
  }
  if (digits === 0) return null;
  if (i < n && (tok.charCodeAt(i) | 0x20) === 0x65) {
    i++;
    if (i < n && (tok.charCodeAt(i) === 0x2b || tok.charCodeAt(i) === 0x2d)) i++;
    const expStart = i;
    while (i < n && isDigit(tok.charCodeAt(i))) i++;
    if (i === expStart) return null;
  }
  if (i !== n) return null;
  const v = Number(tok);
  return v === Infinity || v === -Infinity ? null : v;
}

/** Parses an optionally signed decimal integer; null when malformed or not a safe integer. */
export function parseIntToken(tok: string): number | null {
  const n = tok.length;
  let i = 0;
  const c = tok.charCodeAt(0);
  if (c === 0x2b || c === 0x2d) i++;
  if (i === n) return null;
  for (; i < n; i++) if (!isDigit(tok.charCodeAt(i))) return null;
  const v = Number(tok);
  if (!Number.isSafeInteger(v)) return null;
  return v === 0 ? 0 : v; // no -0
}

/** Why a timestamp Prometheus 2.42 would store is refused here. */
export function unstorableTimestamp(ms: string): string {
  return `timestamp ${ms} ms is beyond 2^53 ms, which Strata cannot store (Prometheus stores up to 2^63)`;
}

/** Digits only, at most 2^63 - 1; the nearest double, or null. */
function parseUnsignedInt64Token(tok: string): number | null {
  const n = tok.length;
  if (n === 0) return null;
  for (let i = 0; i < n; i++) if (!isDigit(tok.charCodeAt(i))) return null;
  const v = Number(tok);
  if (Number.isSafeInteger(v)) return v;
  return BigInt(tok) <= 0x7fffffffffffffffn ? v : null;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
