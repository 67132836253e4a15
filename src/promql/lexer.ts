// PromQL's tokens as Prometheus' own lexer cuts them, for syntax errors only: the grammar (lezer)
// finds where an expression goes wrong, but Prometheus reports many mistakes from its lexer, which
// runs a token ahead of its parser (unclosed parentheses, bad numbers and durations, characters that
// start no token, unterminated strings, bad escapes), and names the unexpected token in its own
// words (`identifier "x"`, `<op:*>`, `<by>`, `")"`). This file reproduces both, so our messages and
// positions read as Prometheus 3's ("1:8: parse error: bad number or duration syntax: \"5\"").

export type TokenKind =
  | 'identifier' | 'metric identifier' | 'string' | 'number' | 'duration'
  | 'keyword' | 'operator' | 'aggregator' | 'punctuation' | 'eof';

export interface Token {
  kind: TokenKind;
  from: number;
  to: number;
  /** The source text (for keywords as written, e.g. "BY"). */
  text: string;
  /** Lexed between { and } (label matchers). */
  inBraces: boolean;
}

export interface LexError {
  /** Where Prometheus reports it (the start of the token being lexed, or just after a stray `)`). */
  at: number;
  /** The start of the token the lexer was producing: the parser has seen everything before it. */
  tokenStart: number;
  message: string;
}

export interface LexResult {
  /** The tokens before the first lexer error (comments left out), ending with `eof` if none. */
  tokens: Token[];
  error: LexError | null;
}

const AGGREGATORS = new Set(['sum', 'avg', 'count', 'min', 'max', 'group', 'stddev', 'stdvar', 'topk', 'bottomk', 'count_values', 'quantile', 'limitk', 'limit_ratio']);
const WORD_OPERATORS = new Set(['and', 'or', 'unless', 'atan2']);
const KEYWORDS = new Set(['offset', 'smoothed', 'anchored', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'start', 'end']);
// Only keywords when a "(" follows, so that metrics may keep these names.
const FILL_KEYWORDS = new Set(['fill', 'fill_left', 'fill_right']);
// Words the lexer recognises inside [...] (duration expressions).
const DURATION_WORDS = new Set(['step', 'range', 'min', 'max', 'min_of', 'max_of']);

const isDigit = (c: string): boolean => c >= '0' && c <= '9';
const isAlpha = (c: string): boolean => c === '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
const isAlphaNumeric = (c: string): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Cuts `input` into tokens as Prometheus' lexer does, stopping at its first error. */
export function lexPromQL(input: string): LexResult {
  const tokens: Token[] = [];
  let pos = 0;
  let start = 0;
  let parenDepth = 0;
  let braceOpen = false;
  let bracketOpen = false;
  let gotColon = false;
  let gotDuration = false;
  // After "[" (and operators or parentheses inside it), the next token is lexed as a duration expression.
  let durationExpr = false;

  const peek = (): string => input[pos] ?? '';
  const next = (): string => input[pos++] ?? '';
  const accept = (valid: string): boolean => {
    if (pos < input.length && valid.includes(input[pos])) {
      pos++;
      return true;
    }
    return false;
  };
  const emit = (kind: TokenKind): void => {
    tokens.push({ kind, from: start, to: pos, text: input.slice(start, pos), inBraces: braceOpen });
    start = pos;
  };
  // Where the token being lexed began (the parser has seen every token before it).
  let current = 0;
  const fail = (message: string): LexResult => ({ tokens, error: { at: start, tokenStart: current, message } });
  const skipSpaces = (): void => {
    while (pos < input.length && isSpace(input[pos])) pos++;
    start = pos;
  };

  for (;;) {
    if (!durationExpr && input.startsWith('#', pos)) {
      while (pos < input.length && input[pos] !== '\n' && input[pos] !== '\r') pos++;
      start = pos;
      continue;
    }
    current = start;
    const r = next();
    if (r === '') {
      pos = input.length;
      if (braceOpen) return fail('unexpected end of input inside braces');
      if (durationExpr) return fail('unexpected end of input in duration expression');
      if (parenDepth !== 0) return fail('unclosed left parenthesis');
      if (bracketOpen) return fail('unclosed left bracket');
      emit('eof');
      return { tokens, error: null };
    }
    if (isSpace(r)) {
      skipSpaces();
      continue;
    }
    if (!durationExpr && (r === '"' || r === "'" || r === '`')) {
      const problem = r === '`' ? scanRawString() : scanString(r);
      if (problem !== null) return fail(problem);
      emit('string');
      continue;
    }

    if (braceOpen) {
      if (isAlpha(r)) {
        while (pos < input.length && isAlphaNumeric(input[pos])) pos++;
        emit('identifier');
      } else if (r === ',') emit('punctuation');
      else if (r === '=') {
        accept('~');
        emit(pos - start === 2 ? 'operator' : 'punctuation');
      } else if (r === '!') {
        const n = next();
        if (n !== '~' && n !== '=') return fail(`unexpected character after '!' inside braces: ${quoteRune(n)}`);
        emit('operator');
      } else if (r === '{') return fail("unexpected left brace '{'");
      else if (r === '}') {
        emit('punctuation');
        braceOpen = false;
      } else return fail(`unexpected character inside braces: ${quoteRune(r)}`);
      continue;
    }

    if (durationExpr) {
      if (r === ']') {
        emit('punctuation');
        bracketOpen = false;
        gotColon = false;
        durationExpr = false;
      } else if (r === ':') {
        emit('punctuation');
        if (!gotDuration) return failAt(current + 1, 'unexpected colon before duration in duration expression');
        if (gotColon) return failAt(current + 1, 'unexpected repeated colon in duration expression');
        gotColon = true;
      } else if (r === '(' || r === ')') {
        emit('punctuation');
        parenDepth += r === '(' ? 1 : -1;
        if (parenDepth < 0) return fail("unexpected right parenthesis ')'");
      } else if ('+-*/%^'.includes(r)) emit('operator');
      else if (r === ',') emit('punctuation');
      else if ('sSmMrR'.includes(r)) {
        if (!scanDurationWord()) return failAt(current, `unexpected character in duration expression: ${quoteRune(r)}`);
      } else if (isDigit(r) || (r === '.' && isDigit(peek()))) {
        pos--;
        gotDuration = true;
        durationExpr = false;
        const problem = scanNumberOrDuration();
        if (problem !== null) return fail(problem);
      } else return failAt(current, `unexpected character in duration expression: ${quoteRune(r)}`);
      continue;
    }

    switch (r) {
      case ',': emit('punctuation'); break;
      case '*': case '/': case '%': case '+': case '-': case '^': emit('operator'); break;
      case '=':
        if (peek() === '=') {
          pos++;
          emit('operator');
        } else if (peek() === '~') return fail("unexpected character after '=': '~'");
        else emit('punctuation');
        break;
      case '!': {
        const n = next();
        if (n !== '=') return fail(`unexpected character after '!': ${quoteRune(n)}`);
        emit('operator');
        break;
      }
      case '<': case '>':
        accept('=');
        emit('operator');
        break;
      case '(':
        emit('punctuation');
        parenDepth++;
        break;
      case ')':
        emit('punctuation');
        parenDepth--;
        // Reported just after the parenthesis, where Prometheus' lexer stands once it emitted it.
        if (parenDepth < 0) return fail("unexpected right parenthesis ')'");
        break;
      case '{':
        emit('punctuation');
        braceOpen = true;
        break;
      case '[':
        if (bracketOpen) return fail("unexpected left bracket '['");
        gotColon = false;
        emit('punctuation');
        skipSpaces();
        bracketOpen = true;
        durationExpr = true;
        break;
      case ']':
        if (!bracketOpen) return fail("unexpected right bracket ']'");
        emit('punctuation');
        bracketOpen = false;
        break;
      case '@': emit('operator'); break;
      default:
        if (isDigit(r) || (r === '.' && isDigit(peek()))) {
          pos--;
          const problem = scanNumberOrDuration();
          if (problem !== null) return fail(problem);
        } else if (isAlpha(r) || r === ':') {
          if (!bracketOpen) {
            pos--;
            scanWord();
          } else if (r === ':') {
            if (gotColon) return fail("unexpected colon ':'");
            accept(':');
            emit('punctuation');
            gotColon = true;
          } else if (!('sSmM'.includes(r) && scanDurationWord())) {
            return fail(`unexpected character: ${quoteRune(r)}, expected ':'`);
          }
        } else return fail(`unexpected character: ${quoteRune(r)}`);
    }
  }

  function failAt(at: number, message: string): LexResult {
    return { tokens, error: { at, tokenStart: current, message } };
  }

  function scanWord(): void {
    while (pos < input.length && (isAlphaNumeric(input[pos]) || input[pos] === ':')) pos++;
    const word = input.slice(start, pos);
    const lower = word.toLowerCase();
    if (lower === 'inf' || lower === 'nan') emit('number');
    else if (AGGREGATORS.has(lower)) emit('aggregator');
    else if (WORD_OPERATORS.has(lower)) emit('operator');
    else if (KEYWORDS.has(lower) || (FILL_KEYWORDS.has(lower) && /^\s*\(/.test(input.slice(pos)))) emit('keyword');
    else emit(word.includes(':') ? 'metric identifier' : 'identifier');
  }

  function scanDurationWord(): boolean {
    while (pos < input.length && isAlpha(input[pos])) pos++;
    if (!DURATION_WORDS.has(input.slice(start, pos).toLowerCase())) return false;
    emit('keyword');
    return true;
  }

  // A number or a duration token; returns Prometheus' complaint when it is neither.
  function scanNumberOrDuration(): string | null {
    if (scanNumber()) {
      emit('number');
      return null;
    }
    if (acceptRemainingDuration()) {
      pos--;
      emit('duration');
      return null;
    }
    return `bad number or duration syntax: ${goQuote(input.slice(start, pos))}`;
  }

  function acceptRemainingDuration(): boolean {
    if (!accept('smhdwy')) return false;
    accept('s');
    while (accept('0123456789')) {
      while (accept('0123456789'));
      if (!accept('smhdw')) return false;
      accept('s');
    }
    return !isAlphaNumeric(next());
  }

  // Prometheus' number syntax: decimal, hexadecimal, octal, float, with _ between digits; the
  // scan stops where it goes wrong, which decides the text of the error message.
  function scanNumber(): boolean {
    const initial = pos;
    let digits = '0123456789';
    if (accept('0') && accept('xX')) {
      accept('_');
      digits = '0123456789abcdefABCDEF';
    }
    accept('.');
    accept(digits);
    let dot = false;
    let exponent = false;
    const is = (set: string): boolean => pos < input.length && set.includes(input[pos]);
    while (is(`${digits}._eE`)) {
      if (is('.') && dot) {
        accept('.');
        return false;
      }
      if (is('eE') && exponent) {
        accept('eE');
        return false;
      }
      if (accept('.')) {
        dot = true;
        if (accept('_.')) return false;
        if (digits.length > 10) return false;
        continue;
      }
      if (accept('eE')) {
        exponent = true;
        accept('+-');
        if (accept('._eE') || pos >= input.length) return false;
        continue;
      }
      if (accept('_')) {
        if (accept('._eE') || pos >= input.length) return false;
        continue;
      }
      while (accept(digits));
    }
    if (pos === initial) return false;
    return !isAlphaNumeric(peek());
  }

  function scanString(quote: string): string | null {
    for (;;) {
      const c = next();
      if (c === '\\') {
        const problem = scanEscape(quote);
        if (problem !== null) return problem;
      } else if (c === '' || c === '\n') return 'unterminated quoted string';
      else if (c === quote) return null;
    }
  }

  function scanEscape(quote: string): string | null {
    let ch = next();
    let n: number;
    let base: number;
    let max: number;
    if ('abfnrtv\\'.includes(ch) && ch !== '' || ch === quote) return null;
    if (ch >= '0' && ch <= '7') [n, base, max] = [3, 8, 255];
    else if (ch === 'x') [ch, n, base, max] = [next(), 2, 16, 255];
    else if (ch === 'u') [ch, n, base, max] = [next(), 4, 16, 0x10ffff];
    else if (ch === 'U') [ch, n, base, max] = [next(), 8, 16, 0x10ffff];
    else if (ch === '') return 'escape sequence not terminated';
    else return `unknown escape sequence ${goRuneU(ch)}`;
    let x = 0;
    while (n > 0) {
      const d = ch === '' ? 16 : parseInt(ch, 16);
      if (Number.isNaN(d) || d >= base) return ch === '' ? 'escape sequence not terminated' : `illegal character ${goRuneU(ch)} in escape sequence`;
      x = x * base + d;
      n--;
      if (n > 0) ch = next();
    }
    if (x > max || (x >= 0xd800 && x < 0xe000)) return 'escape sequence is an invalid Unicode code point';
    return null;
  }

  function scanRawString(): string | null {
    for (;;) {
      const c = next();
      if (c === '') return 'unterminated raw string';
      if (c === '`') return null;
    }
  }
}

/** The token as Prometheus names it in "unexpected ..." messages. */
export function describeToken(t: Token): string {
  switch (t.kind) {
    case 'eof': return 'end of input';
    case 'keyword': return `<${t.text}>`;
    case 'operator': return `<op:${t.text}>`;
    case 'aggregator': return `<aggr:${t.text}>`;
    case 'punctuation': return goQuote(t.text);
    case 'identifier': case 'metric identifier': return `${t.kind} ${goQuote(t.text)}`;
    default: {
      const chars = [...t.text];
      return `${t.kind} ${chars.length > 10 ? `${goQuote(chars.slice(0, 10).join(''))}...` : goQuote(t.text)}`;
    }
  }
}

const GO_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '\\': '\\\\' };

/** A string as Go's %q writes it. */
export function goQuote(s: string, quote = '"'): string {
  let out = quote;
  for (const c of s) {
    const code = c.codePointAt(0)!;
    if (c === quote) out += `\\${c}`;
    else if (GO_ESCAPES[c] !== undefined) out += GO_ESCAPES[c];
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += c;
  }
  return out + quote;
}

/** A character as Go's %q writes a rune ('x'). */
function quoteRune(c: string): string {
  return goQuote(c === '' ? '\ufffd' : c, "'");
}

/** A character as Go's %#U writes it (U+0071 'q'). */
function goRuneU(c: string): string {
  const code = c.codePointAt(0)!;
  const hex = `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
  return code >= 0x20 && code !== 0x7f ? `${hex} '${c}'` : hex;
}

const GROUPING_OPENERS = new Set(['on', 'ignoring', 'group_left', 'group_right']);

/**
 * Prometheus lets a metric be called `offset` (its grammar takes the keyword as a name where an
 * operand belongs: `offset`, `x + offset{a="b"}`); the grammar we parse with does not. Returns
 * `input` with each such `offset` replaced by a placeholder identifier of the same length, so the
 * tree's positions still fit `input` (names are read from `input`), or null when there is none.
 */
export function offsetNamesAsIdentifiers(input: string): string | null {
  const { tokens } = lexPromQL(input);
  let out: string | null = null;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i];
    if (t.kind !== 'keyword' || t.text.toLowerCase() !== 'offset' || !operandPosition(tokens, i)) continue;
    out = (out ?? input).slice(0, t.from) + 'o'.repeat(t.to - t.from) + (out ?? input).slice(t.to);
  }
  return out;
}

/** Whether token i stands where an operand belongs (so a keyword there is a metric's name). */
export function operandPosition(tokens: readonly Token[], i: number): boolean {
  const prev = tokens[i - 1];
  if (prev === undefined) return true;
  if (prev.kind === 'operator') return prev.text !== '@';
  if (prev.kind === 'keyword') return ['bool', ...GROUPING_OPENERS].includes(prev.text.toLowerCase());
  if (prev.text === '(' || prev.text === ',') return !prev.inBraces;
  if (prev.text !== ')') return false;
  // After on(...), ignoring(...), group_left(...) or group_right(...) comes the right operand.
  let depth = 0;
  for (let j = i - 1; j >= 0; j--) {
    if (tokens[j].text === ')') depth++;
    else if (tokens[j].text === '(' && --depth === 0) {
      const k = tokens[j - 1];
      return k !== undefined && k.kind === 'keyword' && GROUPING_OPENERS.has(k.text.toLowerCase());
    }
  }
  return false;
}
