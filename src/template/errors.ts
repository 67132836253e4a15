/** A template that does not parse or fails while executing; message in Go's shape ("template: NAME:LINE:COL: ..."). */
export class TemplateError extends Error {
  templateName: string;
  line: number;
  column: number;

  constructor(message: string, templateName: string, line: number, column: number) {
    super(message);
    this.name = 'TemplateError';
    this.templateName = templateName;
    this.line = line;
    this.column = column;
  }
}

/** Line (1-based) and column (0-based, as Go counts it) of a character offset. */
export function position(text: string, pos: number): { line: number; column: number } {
  const before = text.slice(0, pos);
  const nl = before.lastIndexOf('\n');
  let line = 1;
  for (let i = 0; i < before.length; i++) if (before.charCodeAt(i) === 10) line++;
  return { line, column: nl < 0 ? pos : pos - nl - 1 };
}

/** A syntax error at a character offset; the template set turns it into a positioned TemplateError. */
export class ParseError extends Error {
  pos: number;
  constructor(message: string, pos: number) {
    super(message);
    this.pos = pos;
  }
}
