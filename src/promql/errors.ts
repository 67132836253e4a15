/**
 * A PromQL parse error, worded and positioned as Prometheus words them:
 * `1:5: parse error: unexpected end of input inside braces`. `position` is the 0-based offset in
 * the input; `line` and `column` are 1-based.
 */
export class ParseError extends Error {
  readonly position: number;
  readonly line: number;
  readonly column: number;
  /** The message without its position prefix. */
  readonly detail: string;

  constructor(input: string, position: number, detail: string) {
    const { line, column } = lineAndColumn(input, position);
    super(`${line}:${column}: parse error: ${detail}`);
    this.name = 'ParseError';
    this.position = position;
    this.line = line;
    this.column = column;
    this.detail = detail;
  }
}

/** "line:column" of a 0-based offset, as Prometheus appends it to annotations ("... (1:6)"). */
export function positionText(input: string, position: number): string {
  const { line, column } = lineAndColumn(input, position);
  return `${line}:${column}`;
}

function lineAndColumn(input: string, position: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  const end = Math.min(position, input.length);
  for (let i = 0; i < end; i++) {
    if (input.charCodeAt(i) === 0x0a) {
      line++;
      lineStart = i + 1;
    }
  }
  // Prometheus counts columns in bytes of UTF-8 (Go strings), so "é" takes two.
  return { line, column: utf8Length(input.slice(lineStart, end)) + 1 + Math.max(0, position - end) };
}

function utf8Length(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}
