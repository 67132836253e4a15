// The lexer of Go's template language: text outside `{{ }}`, and inside an action the tokens of
// Go's template grammar. Written from the text/template documentation; positions are character
// offsets into the source so errors can name line and column.

export type TokenKind =
  | 'text'
  | 'leftDelim'
  | 'rightDelim'
  | 'comment'
  | 'space'
  | 'identifier' // a function name or keyword
  | 'keyword'
  | 'field' // .Name
  | 'variable' // $ or $name
  | 'dot'
  | 'string'
  | 'rawString'
  | 'char'
  | 'number'
  | 'bool'
  | 'nil'
  | 'pipe'
  | 'leftParen'
  | 'rightParen'
  | 'declare' // :=
  | 'assign' // =
  | 'comma'
  | 'eof';

export interface Token {
  kind: TokenKind;
  value: string;
  pos: number;
}

export const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue']);

export class LexError extends Error {
  pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}

const LEFT = '{{';
const RIGHT = '}}';
const TRIM_SPACE = ' \t\r\n';

function isSpace(c: string | undefined): boolean {
  return c === ' ' || c === '\t' || c === '\r' || c === '\n';
}

function isAlphaNumeric(c: string | undefined): boolean {
  return c !== undefined && /[\p{L}\p{Nd}_]/u.test(c);
}

/** Splits template source into tokens. Trim markers (`{{- ` and ` -}}`) are applied to the neighbouring text here. */
export function lex(src: string): Token[] {
  const tokens: Token[] = [];
  let pos = 0;
  let trimNextText = false;
  while (pos < src.length) {
    const at = src.indexOf(LEFT, pos);
    const textEnd = at < 0 ? src.length : at;
    let text = src.slice(pos, textEnd);
    const leftTrim = at >= 0 && src[at + 2] === '-' && isSpace(src[at + 3]);
    if (trimNextText) text = trimLeft(text);
    if (leftTrim) text = trimRight(text);
    if (text !== '') tokens.push({ kind: 'text', value: text, pos });
    if (at < 0) break;
    pos = lexAction(src, at, leftTrim, tokens);
    trimNextText = tokens[tokens.length - 1].value === 'trim';
  }
  tokens.push({ kind: 'eof', value: '', pos: src.length });
  return tokens;
}

function trimLeft(s: string): string {
  let i = 0;
  while (i < s.length && TRIM_SPACE.includes(s[i])) i++;
  return s.slice(i);
}

function trimRight(s: string): string {
  let i = s.length;
  while (i > 0 && TRIM_SPACE.includes(s[i - 1])) i--;
  return s.slice(0, i);
}

/** Lexes one action starting at its `{{`; returns the position after its `}}`. The rightDelim token's value is 'trim' when it trims. */
function lexAction(src: string, start: number, leftTrim: boolean, tokens: Token[]): number {
  tokens.push({ kind: 'leftDelim', value: '', pos: start });
  let pos = start + 2 + (leftTrim ? 2 : 0);
  const atRight = (p: number): { trim: boolean; len: number } | null => {
    if (src[p] === ' ' || src[p] === '\t' || src[p] === '\r' || src[p] === '\n') {
      if (src[p + 1] === '-' && src.startsWith(RIGHT, p + 2)) return { trim: true, len: 4 };
    }
    if (src.startsWith(RIGHT, p)) return { trim: false, len: 2 };
    return null;
  };
  // A comment must follow the delimiter (and trim marker) directly and end right before the closing one.
  if (src.startsWith('/*', pos)) {
    const end = src.indexOf('*/', pos + 2);
    if (end < 0) throw new LexError('unclosed comment', start);
    const close = atRight(end + 2);
    if (close === null) throw new LexError('comment ends before closing delimiter', start);
    tokens.push({ kind: 'comment', value: src.slice(pos, end + 2), pos });
    tokens.push({ kind: 'rightDelim', value: close.trim ? 'trim' : '', pos: end + 2 });
    return end + 2 + close.len;
  }
  let parenDepth = 0;
  for (;;) {
    const close = atRight(pos);
    if (close !== null && parenDepth === 0) {
      // A space before ` -}}` belongs to the trim marker.
      tokens.push({ kind: 'rightDelim', value: close.trim ? 'trim' : '', pos });
      return pos + close.len;
    }
    if (close !== null && parenDepth > 0) throw new LexError('unclosed left paren', pos);
    if (pos >= src.length) throw new LexError('unclosed action', start);
    const c = src[pos];
    if (isSpace(c)) {
      const s = pos;
      while (isSpace(src[pos]) && atRight(pos) === null) pos++;
      if (src.startsWith(RIGHT, pos) || pos === s) {
        // Trailing space before `}}` is not a separator token.
        if (pos === s) pos++;
        continue;
      }
      tokens.push({ kind: 'space', value: ' ', pos: s });
      continue;
    }
    if (c === '/' && src.startsWith('/*', pos)) throw new LexError('comment must be alone in its action', pos);
    if (c === ':') {
      if (src[pos + 1] !== '=') throw new LexError('expected :=', pos);
      tokens.push({ kind: 'declare', value: ':=', pos });
      pos += 2;
      continue;
    }
    if (c === '=') {
      tokens.push({ kind: 'assign', value: '=', pos });
      pos++;
      continue;
    }
    if (c === '|') {
      tokens.push({ kind: 'pipe', value: '|', pos });
      pos++;
      continue;
    }
    if (c === ',') {
      tokens.push({ kind: 'comma', value: ',', pos });
      pos++;
      continue;
    }
    if (c === '(') {
      parenDepth++;
      tokens.push({ kind: 'leftParen', value: '(', pos });
      pos++;
      continue;
    }
    if (c === ')') {
      parenDepth--;
      if (parenDepth < 0) throw new LexError('unexpected right paren', pos);
      tokens.push({ kind: 'rightParen', value: ')', pos });
      pos++;
      continue;
    }
    if (c === '"') {
      const end = scanQuoted(src, pos, '"');
      tokens.push({ kind: 'string', value: src.slice(pos, end), pos });
      pos = end;
      continue;
    }
    if (c === '`') {
      const end = src.indexOf('`', pos + 1);
      if (end < 0) throw new LexError('unterminated raw quoted string', pos);
      tokens.push({ kind: 'rawString', value: src.slice(pos, end + 1), pos });
      pos = end + 1;
      continue;
    }
    if (c === "'") {
      const end = scanQuoted(src, pos, "'");
      tokens.push({ kind: 'char', value: src.slice(pos, end), pos });
      pos = end;
      continue;
    }
    if (c === '$') {
      let end = pos + 1;
      while (isAlphaNumeric(src[end])) end++;
      tokens.push({ kind: 'variable', value: src.slice(pos, end), pos });
      pos = end;
      continue;
    }
    if (c === '.') {
      // A number like .5, or a field, or dot alone.
      if (/[0-9]/.test(src[pos + 1] ?? '')) {
        pos = lexNumber(src, pos, tokens);
        continue;
      }
      let end = pos + 1;
      while (isAlphaNumeric(src[end])) end++;
      if (end === pos + 1) tokens.push({ kind: 'dot', value: '.', pos });
      else tokens.push({ kind: 'field', value: src.slice(pos, end), pos });
      pos = end;
      continue;
    }
    if (c === '+' || c === '-' || /[0-9]/.test(c)) {
      pos = lexNumber(src, pos, tokens);
      continue;
    }
    if (isAlphaNumeric(c)) {
      let end = pos;
      while (isAlphaNumeric(src[end])) end++;
      const word = src.slice(pos, end);
      if (KEYWORDS.has(word)) tokens.push({ kind: 'keyword', value: word, pos });
      else if (word === 'true' || word === 'false') tokens.push({ kind: 'bool', value: word, pos });
      else if (word === 'nil') tokens.push({ kind: 'nil', value: word, pos });
      else tokens.push({ kind: 'identifier', value: word, pos });
      pos = end;
      continue;
    }
    throw new LexError(`unrecognized character in action: ${JSON.stringify(c)}`, pos);
  }
}

function scanQuoted(src: string, start: number, quote: string): number {
  let p = start + 1;
  for (;;) {
    const c = src[p];
    if (c === undefined || c === '\n') throw new LexError(quote === '"' ? 'unterminated quoted string' : 'unterminated character constant', start);
    if (c === '\\') {
      p += 2;
      continue;
    }
    if (c === quote) return p + 1;
    p++;
  }
}

function lexNumber(src: string, start: number, tokens: Token[]): number {
  // Go's number syntax: sign, hex/octal/binary prefixes, underscores, fraction, exponent, imaginary `i`.
  const m = /^[+-]?(?:0[xX][0-9a-fA-F_]*(?:\.[0-9a-fA-F_]*)?(?:[pP][+-]?[0-9_]+)?|0[bB][01_]+|0[oO][0-7_]+|(?:[0-9][0-9_]*)?(?:\.[0-9_]*)?(?:[eE][+-]?[0-9_]+)?)i?/.exec(src.slice(start));
  const text = m === null ? '' : m[0];
  const next = src[start + text.length];
  if (text === '' || text === '+' || text === '-' || isAlphaNumeric(next) || next === '.') {
    let end = start + Math.max(text.length, 1);
    while (isAlphaNumeric(src[end]) || src[end] === '.') end++;
    throw new LexError(`bad number syntax: ${JSON.stringify(src.slice(start, end))}`, start);
  }
  tokens.push({ kind: 'number', value: text, pos: start });
  return start + text.length;
}
