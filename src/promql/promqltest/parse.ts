// Parser of the promqltest script format (Prometheus' promql/promqltest): `load`, `clear` and
// `eval` commands with series written in the expanding notation of `promtool test rules`.
// Written from the format's documentation; both the older command variants (eval_fail,
// eval_ordered, eval_warn, eval_info, expected_fail_message/regexp) and the newer `expect` lines
// are understood, so test files written for either Prometheus version read the same.
import { labelsFromPairs, type Labels } from '../../model/index.ts';

/** One point of a loaded or expected series: a value, a staleness marker, or nothing (`_`). */
export const MISSING = Symbol('missing');
/**
 * A staleness marker. Kept as a symbol rather than the STALE_NAN number because V8 canonicalises
 * NaN payloads in plain arrays of doubles; the marker becomes STALE_NAN only in typed arrays.
 */
export const STALE = Symbol('stale');
export type SeqValue = number | typeof MISSING | typeof STALE;

export interface SeriesSpec {
  readonly labels: Labels;
  /** Values at consecutive steps; STALE for `stale`, MISSING for `_`. */
  readonly values: SeqValue[];
  readonly line: number;
}

export interface LoadCommand {
  readonly kind: 'load';
  readonly line: number;
  readonly intervalMs: number;
  readonly series: SeriesSpec[];
}

export interface ClearCommand {
  readonly kind: 'clear';
  readonly line: number;
}

export interface EvalCommand {
  readonly kind: 'eval';
  readonly line: number;
  readonly expr: string;
  /** Instant query at `timeMs`, or range query over [startMs, endMs] every stepMs. */
  readonly range: boolean;
  readonly timeMs: number;
  readonly startMs: number;
  readonly endMs: number;
  readonly stepMs: number;
  readonly expectFail: boolean;
  /** Exact error message (`expected_fail_message`, `expect fail msg:`). */
  readonly failMessage: string | null;
  /** Error message pattern (`expected_fail_regexp`, `expect fail regex:`). */
  readonly failRegexp: RegExp | null;
  readonly ordered: boolean;
  /** A warning is expected (`eval_warn`, `expect warn`), each of `warnings` matching one of them. */
  readonly expectWarn: boolean;
  readonly warnings: ({ exact: string } | { regexp: RegExp })[];
  /** Expected series; for instant queries each holds one value (several for a matrix result). */
  readonly series: SeriesSpec[];
  /** An instant query's expected scalar result, written as a bare number. */
  readonly scalar: number | null;
  /** An instant query's expected string result, written as a quoted string. */
  readonly string: string | null;
}

export type Command = LoadCommand | ClearCommand | EvalCommand;

export class ScriptError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

const DURATION_UNITS: Record<string, number> = {
  ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000,
};

/** Parses a Prometheus duration (`1h30m`, `90s`, `0`, `1.5` seconds) into ms; a leading `-` negates. */
export function parseDuration(s: string): number {
  let str = s.trim();
  let sign = 1;
  if (str.startsWith('-')) {
    sign = -1;
    str = str.slice(1);
  }
  if (/^\d+(\.\d+)?$/.test(str)) return sign * Math.round(Number(str) * 1000);
  const re = /(\d+)(ms|s|m|h|d|w|y)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(str)) !== null) {
    total += Number(m[1]) * DURATION_UNITS[m[2]];
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== str.length) throw new Error(`invalid duration ${JSON.stringify(s)}`);
  return sign * total;
}

/** Parses a float as Go's strconv.ParseFloat does for the forms tests use (Inf, NaN, hex, exponents). */
export function parseNumber(s: string): number {
  const lower = s.toLowerCase();
  let sign = 1;
  let body = lower;
  if (body.startsWith('+') || body.startsWith('-')) {
    if (body[0] === '-') sign = -1;
    body = body.slice(1);
  }
  if (body === 'inf' || body === 'infinity') return sign * Infinity;
  if (body === 'nan') return NaN;
  if (/^0x[0-9a-f]+$/.test(body)) return sign * parseInt(body.slice(2), 16);
  if (/^(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(body)) return sign * Number(body);
  throw new Error(`invalid number ${JSON.stringify(s)}`);
}

/**
 * Expands one token of the series notation: `v`, `_`, `stale`, `_xN` (N missing points),
 * `vxN` (v repeated N+1 times), `a+bxN` / `a-bxN` (a, a±b, ..., a±N·b: N+1 points).
 */
export function expandToken(tok: string, out: SeqValue[]): void {
  if (tok === '_') {
    out.push(MISSING);
    return;
  }
  if (tok === 'stale') {
    out.push(STALE);
    return;
  }
  const x = tok.lastIndexOf('x');
  // No hex literals here, as in Prometheus' series descriptions: `0x6` is 0 repeated, not 6.
  if (x > 0 && /^\d+$/.test(tok.slice(x + 1))) {
    const times = Number(tok.slice(x + 1));
    const head = tok.slice(0, x);
    if (head === '_') {
      for (let i = 0; i < times; i++) out.push(MISSING);
      return;
    }
    if (head === 'stale') {
      for (let i = 0; i < times; i++) out.push(STALE);
      return;
    }
    // Split `a+b` / `a-b` at the first sign that is neither leading nor part of an exponent.
    let split = -1;
    for (let i = 1; i < head.length; i++) {
      const c = head[i];
      if ((c === '+' || c === '-') && head[i - 1] !== 'e' && head[i - 1] !== 'E') {
        split = i;
        break;
      }
    }
    const start = parseNumber(split < 0 ? head : head.slice(0, split));
    let step = split < 0 ? 0 : parseNumber(head.slice(split + 1));
    if (split >= 0 && head[split] === '-') step = -step;
    // Accumulated as Prometheus does, so float steps give the same values.
    let v = start;
    for (let i = 0; i <= times; i++) {
      out.push(v);
      v += step;
    }
    return;
  }
  out.push(parseNumber(tok));
}

export function expandValues(text: string): SeqValue[] {
  const out: SeqValue[] = [];
  for (const tok of text.trim().split(/\s+/)) if (tok !== '') expandToken(tok, out);
  return out;
}

/**
 * Splits `metric{a="b", c='d'} 1 2+3x4` into labels and the values text. Label values may be
 * written with double quotes, single quotes or backticks; names may be quoted too.
 */
export function parseSeriesLine(text: string): { labels: Labels; rest: string } {
  let p = 0;
  const s = text;
  const pairs: [string, string][] = [];
  const skipSpace = () => {
    while (p < s.length && (s[p] === ' ' || s[p] === '\t')) p++;
  };
  const ident = (): string => {
    const m = /^[a-zA-Z_:][a-zA-Z0-9_:.]*/.exec(s.slice(p));
    if (!m) throw new Error(`expected a name at column ${p + 1} of ${JSON.stringify(s)}`);
    p += m[0].length;
    return m[0];
  };
  const quoted = (): string => {
    const q = s[p];
    if (q !== '"' && q !== "'" && q !== '`') throw new Error(`expected a quoted string at column ${p + 1} of ${JSON.stringify(s)}`);
    let out = '';
    p++;
    while (p < s.length && s[p] !== q) {
      if (s[p] === '\\' && q !== '`') {
        const c = s[p + 1];
        const esc: Record<string, string> = { n: '\n', t: '\t', r: '\r', '\\': '\\', '"': '"', "'": "'" };
        if (!(c in esc)) throw new Error(`unsupported escape \\${c} in ${JSON.stringify(s)}`);
        out += esc[c];
        p += 2;
        continue;
      }
      out += s[p++];
    }
    if (p >= s.length) throw new Error(`unterminated string in ${JSON.stringify(s)}`);
    p++;
    return out;
  };
  skipSpace();
  if (s[p] !== '{') pairs.push(['__name__', ident()]);
  if (s[p] === '{') {
    p++;
    skipSpace();
    while (s[p] !== '}') {
      const name = s[p] === '"' || s[p] === "'" ? quoted() : ident();
      skipSpace();
      if (s[p] === ',' || s[p] === '}') {
        // {"metric.name"}: a bare quoted name in braces is the metric name.
        pairs.push(['__name__', name]);
      } else {
        if (s[p] !== '=') throw new Error(`expected = at column ${p + 1} of ${JSON.stringify(s)}`);
        p++;
        skipSpace();
        pairs.push([name, quoted()]);
        skipSpace();
      }
      if (s[p] === ',') {
        p++;
        skipSpace();
      } else if (s[p] !== '}') throw new Error(`expected , or } at column ${p + 1} of ${JSON.stringify(s)}`);
    }
    p++;
  }
  return { labels: labelsFromPairs(pairs), rest: s.slice(p) };
}

const EVAL_INSTANT = /^eval(?:_(fail|warn|info|ordered))?\s+instant\s+at\s+(\S+)\s+(.+)$/;
const EVAL_RANGE = /^eval(?:_(fail|warn|info))?\s+range\s+from\s+(\S+)\s+to\s+(\S+)\s+step\s+(\S+)\s+(.+)$/;
const LOAD = /^load\s+(\S+)$/;

function isIndented(raw: string): boolean {
  return raw.startsWith(' ') || raw.startsWith('\t');
}

/** Parses a whole script. Throws ScriptError naming the offending line. */
export function parseScript(text: string): Command[] {
  const lines = text.split('\n');
  const cmds: Command[] = [];
  let i = 0;
  const wrap = <T>(line: number, f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ScriptError) throw e;
      throw new ScriptError(line, (e as Error).message);
    }
  };
  // The body of a command: the following lines up to a blank line or the next unindented
  // command keyword (comments inside are skipped).
  const body = (): { text: string; line: number }[] => {
    const out: { text: string; line: number }[] = [];
    while (i < lines.length) {
      const raw = lines[i].replace(/\r$/, '');
      const t = raw.trim();
      if (t === '') break;
      if (!isIndented(raw) && /^(load|clear|eval)\b/.test(t)) break;
      i++;
      if (t.startsWith('#')) continue;
      out.push({ text: t, line: i });
    }
    return out;
  };

  while (i < lines.length) {
    const raw = lines[i].replace(/\r$/, '');
    const t = raw.trim();
    const lineNo = i + 1;
    i++;
    if (t === '' || t.startsWith('#')) continue;

    if (t === 'clear') {
      cmds.push({ kind: 'clear', line: lineNo });
      continue;
    }
    const lm = LOAD.exec(t);
    if (lm) {
      const intervalMs = wrap(lineNo, () => parseDuration(lm[1]));
      const series = body().map(({ text: l, line }) => wrap(line, () => {
        const { labels, rest } = parseSeriesLine(l);
        return { labels, values: expandValues(rest), line };
      }));
      cmds.push({ kind: 'load', line: lineNo, intervalMs, series });
      continue;
    }
    if (t.startsWith('eval')) {
      cmds.push(wrap(lineNo, () => parseEval(t, lineNo, body())));
      continue;
    }
    throw new ScriptError(lineNo, `unknown command ${JSON.stringify(t)}`);
  }
  return cmds;
}

function parseEval(head: string, line: number, lines: { text: string; line: number }[]): EvalCommand {
  let variant: string | undefined;
  let range = false;
  let timeMs = 0;
  let startMs = 0;
  let endMs = 0;
  let stepMs = 0;
  let expr: string;
  const im = EVAL_INSTANT.exec(head);
  const rm = im ? null : EVAL_RANGE.exec(head);
  if (im) {
    variant = im[1];
    timeMs = parseDuration(im[2]);
    expr = im[3];
  } else if (rm) {
    variant = rm[1];
    range = true;
    startMs = parseDuration(rm[2]);
    endMs = parseDuration(rm[3]);
    stepMs = parseDuration(rm[4]);
    if (stepMs <= 0) throw new Error('range query step must be positive');
    expr = rm[5];
  } else {
    throw new Error(`malformed eval command ${JSON.stringify(head)}`);
  }
  let expectFail = variant === 'fail';
  let ordered = variant === 'ordered';
  let expectWarn = variant === 'warn';
  const warnings: ({ exact: string } | { regexp: RegExp })[] = [];
  let failMessage: string | null = null;
  let failRegexp: RegExp | null = null;
  let scalar: number | null = null;
  let str: string | null = null;
  const series: SeriesSpec[] = [];

  for (const { text, line: ln } of lines) {
    const wrapLine = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        throw new ScriptError(ln, (e as Error).message);
      }
    };
    if (text.startsWith('expected_fail_message')) {
      failMessage = text.slice('expected_fail_message'.length).trim();
      expectFail = true;
      continue;
    }
    if (text.startsWith('expected_fail_regexp')) {
      failRegexp = wrapLine(() => new RegExp(text.slice('expected_fail_regexp'.length).trim()));
      expectFail = true;
      continue;
    }
    const ex = /^expect\s+(fail|warn|info|no_warn|no_info|ordered)\b\s*(?:(msg|regex)\s*:\s*(.*))?$/.exec(text);
    if (ex) {
      let msg = ex[3] === undefined ? '' : ex[3].trim();
      if (msg.length >= 2 && msg.startsWith('"') && msg.endsWith('"')) msg = msg.slice(1, -1);
      if (ex[1] === 'ordered') ordered = true;
      if (ex[1] === 'fail') {
        expectFail = true;
        if (ex[2] === 'msg') failMessage = msg;
        else if (ex[2] === 'regex') failRegexp = wrapLine(() => new RegExp(msg));
      }
      if (ex[1] === 'warn') {
        expectWarn = true;
        if (ex[2] === 'msg') warnings.push({ exact: msg });
        else if (ex[2] === 'regex') warnings.push({ regexp: wrapLine(() => new RegExp(msg)) });
      }
      // info, no_info and no_warn are accepted and not checked: the engine reports one list of
      // warnings, without Prometheus' split into warnings and infos.
      continue;
    }
    if (text.startsWith('expect ')) throw new ScriptError(ln, `unknown expectation ${JSON.stringify(text)}`);
    wrapLine(() => {
      if (!range && (text.startsWith('"') || text.startsWith("'") || text.startsWith('`'))) {
        str = parseSeriesLineString(text);
        return;
      }
      if (!range && !/\s/.test(text) && !text.startsWith('{')) {
        // A single token that is a number is a scalar result; anything else is a series name.
        try {
          scalar = parseNumber(text);
          return;
        } catch {
          // not a number: fall through
        }
      }
      const { labels, rest } = parseSeriesLine(text);
      const values = expandValues(rest);
      if (values.length === 0) throw new Error(`expected series ${JSON.stringify(text)} has no values`);
      series.push({ labels, values, line: ln });
    });
  }
  if (ordered && range) throw new ScriptError(line, 'range queries cannot be ordered');
  return {
    kind: 'eval', line, expr, range, timeMs, startMs, endMs, stepMs,
    expectFail, failMessage, failRegexp, ordered, expectWarn, warnings, series, scalar, string: str,
  };
}

function parseSeriesLineString(text: string): string {
  const q = text[0];
  if (text.length < 2 || text[text.length - 1] !== q) throw new Error(`malformed string result ${text}`);
  return q === '`' ? text.slice(1, -1) : JSON.parse(q === '"' ? text : `"${text.slice(1, -1).replace(/"/g, '\\"')}"`);
}
