// What the Pushgateway says about a malformed pushed text (0.0.4): it parses with prometheus/common's
// expfmt TextParser, whose errors read `text format parsing error in line 3: expected float as
// value, got "is"`. A client that gets a refusal from Strata sees the same words as from the
// Pushgateway it replaced (compared in test/compat/pushgateway.test.ts).
//
// Only called once Strata's own parse of a push has failed: it reads the whole text again the way
// expfmt's state machine does (the version in the Pushgateway 1.5, plus the quoted UTF-8 names of
// later versions: `{"a.b","c.d"="e"} 1`, `# TYPE "a.b" gauge`, the name first in the braces) and
// returns its first error, or null when expfmt would accept the text (the caller then keeps its
// own words). A record's state depends on the lines before it (a TYPE line, a HELP line, whether a
// family has samples), so the text is read from its start.
//
// The states, as far as they decide an error:
//   line start:  blanks; '#' a comment; a newline; else a metric name [a-zA-Z_:][a-zA-Z0-9_:]*.
//   comment:     `# HELP name text` / `# TYPE name type`; any other comment is skipped.
//   labels:      '{' name '=' "value" (',' name '=' "value")* '}', blanks between tokens.
//   value:       a token up to a blank or newline, a Go float; then a Go int64 timestamp.
// The end of the text anywhere but at a line start is `unexpected end of input stream`.
import { goParseFloatError, goQuote } from './prometheuswording.ts';

const TYPES = new Set(['COUNTER', 'GAUGE', 'SUMMARY', 'UNTYPED', 'HISTOGRAM', 'GAUGE_HISTOGRAM']);

interface Family {
  type: string | null;
  help: boolean;
}

/** Signals the end of the text inside a record. */
class EndOfInput {}

/** expfmt's error for a pushed text, `text format parsing error in line N: ...`, or null. */
export function expfmtParseError(text: string): string | null {
  const families = new Map<string, Family>();
  const n = text.length;
  let pos = 0;
  let c = '';
  // The last character read (a function, so that checks after a read are not narrowed away).
  const cur = (): string => c;
  let line = 0;
  const next = (): string => {
    if (pos >= n) throw new EndOfInput();
    c = text[pos++];
    return c;
  };
  const blank = (x: string) => x === ' ' || x === '\t';
  const skipBlanks = () => {
    do next(); while (blank(cur()));
  };
  const untilBlank = (): string => {
    let tok = '';
    while (!blank(cur()) && cur() !== '\n') {
      tok += c;
      next();
    }
    return tok;
  };
  /** A quoted name (cur() on its opening quote), left on its closing quote. */
  const quotedName = (): string | { error: string } => {
    let out = '';
    for (;;) {
      next();
      if (cur() === '\\') {
        next();
        if (cur() === '"' || cur() === '\\') out += c;
        else if (cur() === 'n') out += '\n';
        else return { error: `invalid escape sequence '\\${c}'` };
        continue;
      }
      if (cur() === '"') return out === '' ? { error: 'invalid metric name' } : out;
      if (cur() === '\n') return { error: `quoted name ${goQuote(out)} contains unescaped new-line` };
      out += c;
    }
  };
  const untilNewline = (escapes: boolean): string | { error: string } => {
    let tok = '';
    for (;;) {
      if (cur() === '\n') return tok;
      if (escapes && cur() === '\\') {
        next();
        if (cur() === '\\') tok += '\\';
        else if (cur() === 'n') tok += '\n';
        else return { error: `invalid escape sequence '\\${c}'` };
      } else {
        tok += c;
      }
      next();
    }
  };
  const name = (colon: boolean): string => {
    let tok = '';
    if (!nameChar(cur(), colon, false)) return tok;
    for (;;) {
      tok += c;
      next();
      if (!nameChar(cur(), colon, true)) return tok;
    }
  };
  const family = (metric: string): { f: Family; quantile: boolean; le: boolean } => {
    const own = families.get(metric);
    if (own) return { f: own, quantile: false, le: false };
    const base = metric.replace(/_(count|sum)$/, '');
    const summary = metric.length > base.length ? families.get(base) : undefined;
    if (summary?.type === 'SUMMARY') return { f: summary, quantile: true, le: false };
    const hbase = metric.replace(/_(count|sum|bucket)$/, '');
    const histogram = metric.length > hbase.length ? families.get(hbase) : undefined;
    if (histogram?.type === 'HISTOGRAM') return { f: histogram, quantile: false, le: true };
    const f: Family = { type: null, help: false };
    families.set(metric, f);
    return { f, quantile: false, le: false };
  };

  try {
    for (;;) {
      // Line start: the end of the text here is the end of the input, not an error.
      line++;
      if (pos >= n) return null;
      let atEnd = false;
      try {
        skipBlanks();
      } catch (e) {
        if (!(e instanceof EndOfInput)) throw e;
        atEnd = true;
      }
      if (atEnd) return null;
      if (cur() === '\n') continue;
      const fail = (msg: string) => `text format parsing error in line ${line}: ${msg}`;
      if (cur() === '#') {
        skipBlanks();
        if (cur() === '\n') continue;
        const keyword = untilBlank();
        if (cur() === '\n') continue;
        if (keyword !== 'HELP' && keyword !== 'TYPE') {
          while (cur() !== '\n') next();
          continue;
        }
        skipBlanks();
        let metric: string;
        if (cur() === '"') {
          const q = quotedName();
          if (typeof q !== 'string') return fail(q.error);
          metric = q;
          next();
        } else {
          metric = name(true);
        }
        if (cur() === '\n') continue;
        if (!blank(cur())) return fail('invalid metric name in comment');
        const { f } = family(metric);
        skipBlanks();
        if (cur() === '\n') continue;
        if (keyword === 'HELP') {
          if (f.help) return fail(`second HELP line for metric name ${goQuote(metric)}`);
          const help = untilNewline(true);
          if (typeof help !== 'string') return fail(help.error);
          f.help = true;
        } else {
          if (f.type !== null) return fail(`second TYPE line for metric name ${goQuote(metric)}, or TYPE reported after samples`);
          const t = untilNewline(false) as string;
          if (!TYPES.has(t.toUpperCase())) return fail(`unknown metric type ${goQuote(t)}`);
          f.type = t.toUpperCase();
        }
        continue;
      }
      // A sample: a name, or braces with the quoted name first in them.
      let metric: string;
      const braced = cur() === '{';
      if (braced) {
        skipBlanks();
        if (cur() !== '"') return fail('invalid metric name');
        const q = quotedName();
        if (typeof q !== 'string') return fail(q.error);
        metric = q;
        skipBlanks();
        if (cur() === ',') skipBlanks();
        else if (cur() !== '}') return fail(`unexpected end of label value ${goQuote(q)}`);
      } else {
        metric = name(true);
        if (metric === '') return fail('invalid metric name');
      }
      const { f } = family(metric);
      f.type ??= 'UNTYPED';
      if (!braced && blank(cur())) skipBlanks();
      if (braced || cur() === '{') {
        const seen = new Set<string>();
        if (!braced) skipBlanks();
        while (cur() !== '}') {
          let label: string;
          if (cur() === '"') {
            const q = quotedName();
            if (typeof q !== 'string') return fail(q.error);
            label = q;
            next();
          } else {
            label = name(false);
          }
          if (label === '') return fail(`invalid label name for metric ${goQuote(metric)}`);
          if (blank(cur())) skipBlanks();
          if (cur() !== '=') return fail(`expected '=' after label name, found ${goQuoteByte(c)}`);
          if (label === '__name__') return fail('label name "__name__" is reserved');
          const special = (f.type === 'SUMMARY' && label === 'quantile') || (f.type === 'HISTOGRAM' && label === 'le');
          if (!special) {
            if (seen.has(label)) return fail(`duplicate label names for metric ${goQuote(metric)}`);
            seen.add(label);
          }
          skipBlanks();
          if (cur() !== '"') return fail(`expected '"' at start of label value, found ${goQuoteByte(c)}`);
          let value = '';
          for (;;) {
            next();
            if (cur() === '\\') {
              next();
              if (cur() === '"' || cur() === '\\') value += c;
              else if (cur() === 'n') value += '\n';
              else return fail(`invalid escape sequence '\\${c}'`);
              continue;
            }
            if (cur() === '"') break;
            if (cur() === '\n') return fail(`label value ${goQuote(value)} contains unescaped new-line`);
            value += c;
          }
          if (special && goParseFloatError(value) !== null) return fail(`expected float as value for '${label}' label, got ${goQuote(value)}`);
          skipBlanks();
          if (cur() === ',') {
            skipBlanks();
            continue;
          }
          if (cur() !== '}') return fail(`unexpected end of label value ${goQuote(value)}`);
        }
        skipBlanks();
      }
      const v = untilBlank();
      if (goParseFloatError(v) !== null || v === '') return fail(`expected float as value, got ${goQuote(v)}`);
      if (cur() === '\n') continue;
      skipBlanks();
      const ts = untilBlank();
      if (!/^[+-]?\d+$/.test(ts) || !fitsInt64(ts)) return fail(`expected integer as timestamp, got ${goQuote(ts)}`);
      const rest = untilNewline(false) as string;
      if (rest.length > 0) return fail(`spurious string after timestamp: ${goQuote(rest)}`);
    }
  } catch (e) {
    if (e instanceof EndOfInput) return `text format parsing error in line ${line}: unexpected end of input stream`;
    throw e;
  }
}

function nameChar(x: string, colon: boolean, digits: boolean): boolean {
  return (x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z') || x === '_' || (colon && x === ':') || (digits && x >= '0' && x <= '9');
}

function fitsInt64(ts: string): boolean {
  const v = BigInt(ts);
  return v >= -(2n ** 63n) && v < 2n ** 63n;
}

/** Go's %q of a byte: a quoted character literal. */
function goQuoteByte(x: string): string {
  if (x === "'") return "'\\''";
  const q = goQuote(x);
  return `'${q.slice(1, -1).replace(/\\"/g, '"')}'`;
}
