// Printing the AST back: canonical PromQL text (Prometheus' String(), what format_query returns)
// and the JSON tree of /api/v1/parse_query (the shape of Prometheus' translateAST).
import { isLegacyLabelName, METRIC_NAME, type Matcher } from '../model/index.ts';
import type { AtModifier, Expr, VectorMatching, VectorSelector } from './ast.ts';
import { FUNCTIONS } from './functions/index.ts';

/**
 * A string quoted as Go's strconv.Quote does (%q): printable characters as they are, the usual
 * backslash escapes, other control characters as \xNN (\uNNNN beyond one byte).
 */
export function goQuote(v: string): string {
  let out = '"';
  for (const ch of v) {
    const c = ch.codePointAt(0) as number;
    switch (ch) {
      case '"': out += '\\"'; continue;
      case '\\': out += '\\\\'; continue;
      case '\x07': out += '\\a'; continue;
      case '\b': out += '\\b'; continue;
      case '\f': out += '\\f'; continue;
      case '\n': out += '\\n'; continue;
      case '\r': out += '\\r'; continue;
      case '\t': out += '\\t'; continue;
      case '\v': out += '\\v'; continue;
      default:
        if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
        else if ((c >= 0x80 && c < 0xa0) || c === 0xad || c === 0xfeff || (c >= 0xd800 && c <= 0xdfff)) out += `\\u${c.toString(16).padStart(4, '0')}`;
        else out += ch;
    }
  }
  return out + '"';
}

const ARG_JSON: Record<string, string> = { scalar: 'scalar', instant: 'vector', range: 'matrix', string: 'string' };

/**
 * The expression as /api/v1/format_query prints it (Prometheus' Pretty): the canonical one-line
 * text while it fits in 100 characters, otherwise split over indented lines node by node.
 */
export function formatExpr(e: Expr): string {
  return pretty(e, 0);
}

const MAX_LINE = 100;

function indent(level: number): string {
  return '  '.repeat(level);
}

function pretty(e: Expr, level: number): string {
  const flat = exprString(e);
  if (flat.length <= MAX_LINE) return e.type === 'SubqueryExpr' ? flat : indent(level) + flat;
  switch (e.type) {
    case 'AggregateExpr': {
      let s = `${indent(level)}${aggregateHead(e)}(\n`;
      if (e.param !== null) s += `${pretty(e.param, level + 1)},\n`;
      return `${s}${pretty(e.expr, level + 1)}\n${indent(level)})`;
    }
    case 'BinaryExpr':
      return `${pretty(e.lhs, level + 1)}\n${indent(level)}${e.op}${e.returnBool ? ' bool' : ''}${matchingText(e.matching)}\n${pretty(e.rhs, level + 1)}`;
    case 'Call':
      return `${indent(level)}${e.func}(\n${e.args.map((a) => pretty(a, level + 1)).join(',\n')}\n${indent(level)})`;
    case 'ParenExpr':
      return `${indent(level)}(\n${pretty(e.expr, level + 1)}\n${indent(level)})`;
    case 'SubqueryExpr':
      return pretty(e.expr, level) + subquerySuffix(e);
    case 'UnaryExpr':
      return `${indent(level)}${e.op}${pretty(e.expr, level).trim()}`;
    default:
      return indent(level) + flat;
  }
}

function aggregateHead(e: Extract<Expr, { type: 'AggregateExpr' }>): string {
  if (e.without) return `${e.op} without (${labelList(e.grouping)}) `;
  if (e.grouping.length > 0) return `${e.op} by (${labelList(e.grouping)}) `;
  return e.op;
}

function subquerySuffix(e: Extract<Expr, { type: 'SubqueryExpr' }>): string {
  return `[${formatDuration(e.rangeMs)}:${e.stepMs > 0 ? formatDuration(e.stepMs) : ''}]${modifiers(e.offsetMs, e.at)}`;
}

/** Canonical one-line PromQL text of an expression (Prometheus' String()). */
export function exprString(e: Expr): string {
  const formatExpr = exprString;
  switch (e.type) {
    case 'NumberLiteral':
      return e.duration === true && Number.isFinite(e.value) ? formatSignedDuration(Math.round(e.value * 1000)) : formatNumber(e.value);
    case 'StringLiteral':
      return goQuote(e.value);
    case 'VectorSelector':
      return selectorText(e) + modifiers(e.offsetMs, e.at);
    case 'MatrixSelector':
      return `${selectorText(e.vector)}[${formatDuration(e.rangeMs)}]${modifiers(e.vector.offsetMs, e.vector.at)}`;
    case 'SubqueryExpr':
      return formatExpr(e.expr) + subquerySuffix(e);
    case 'Call':
      return `${e.func}(${e.args.map(formatExpr).join(', ')})`;
    case 'AggregateExpr':
      return `${aggregateHead(e)}(${e.param !== null ? formatExpr(e.param) + ', ' : ''}${formatExpr(e.expr)})`;
    case 'BinaryExpr':
      return `${formatExpr(e.lhs)} ${e.op}${e.returnBool ? ' bool' : ''}${matchingText(e.matching)} ${formatExpr(e.rhs)}`;
    case 'UnaryExpr':
      return `${e.op}${formatExpr(e.expr)}`;
    case 'ParenExpr':
      return `(${formatExpr(e.expr)})`;
  }
}

function matchingText(m: VectorMatching | null): string {
  if (m === null || !(m.labels.length > 0 || m.on || m.explicit)) return '';
  let s = ` ${m.on ? 'on' : 'ignoring'} (${labelList(m.labels)})`;
  if (m.card === 'many-to-one' || m.card === 'one-to-many') s += ` group_${m.card === 'many-to-one' ? 'left' : 'right'} (${labelList(m.include)})`;
  return s;
}

/**
 * Label names of a grouping or matching clause: a name outside the classic label charset is written
 * quoted, `by ("http.route")`, as Prometheus 3's printer writes grouping labels. Prometheus 3 tests
 * grouping labels with the metric-name charset (so `c:d` stays bare) and leaves on/ignoring and
 * group_left/right labels bare, output its own parser refuses; Strata quotes every name that the
 * parser would not take bare, so printed queries always parse again.
 */
function labelList(names: readonly string[]): string {
  return names.map((n) => (isLegacyLabelName(n) ? n : goQuote(n))).join(', ');
}

function selectorText(vs: VectorSelector): string {
  // As Prometheus prints them: the name matcher folded into the name, the others sorted as text.
  const shown = vs.matchers.filter((m) => !(vs.name !== '' && m.name === METRIC_NAME && m.type === '=' && m.value === vs.name));
  if (shown.length === 0) return vs.name;
  const texts = shown.map(matcherText).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `${vs.name}{${texts.join(',')}}`;
}

function matcherText(m: Matcher): string {
  const name = /^[A-Za-z_][A-Za-z0-9_]*$/.test(m.name) ? m.name : goQuote(m.name);
  return `${name}${m.type}${goQuote(m.value)}`;
}

function modifiers(offsetMs: number, at: AtModifier | null): string {
  let s = '';
  if (at !== null) s += at.kind === 'time' ? ` @ ${(at.ms / 1000).toFixed(3)}` : ` @ ${at.kind}()`;
  if (offsetMs !== 0) s += ` offset ${formatSignedDuration(offsetMs)}`;
  return s;
}

function formatSignedDuration(ms: number): string {
  return ms < 0 ? `-${formatDuration(-ms)}` : formatDuration(ms);
}

const DAY = 86_400_000;

/** A duration as Prometheus prints one: 1h30m, 90d (years and weeks only when exact), 0s. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0s';
  let r = '';
  const unit = (name: string, mult: number, exact: boolean): void => {
    if (exact && ms % mult !== 0) return;
    const v = Math.floor(ms / mult);
    if (v > 0) {
      r += `${v}${name}`;
      ms -= v * mult;
    }
  };
  unit('y', 365 * DAY, true);
  unit('w', 7 * DAY, true);
  unit('d', DAY, false);
  unit('h', 3_600_000, false);
  unit('m', 60_000, false);
  unit('s', 1000, false);
  unit('ms', 1, false);
  return r;
}

/** A float as Go's strconv.FormatFloat(v, 'f', -1, 64) prints it: shortest digits, no exponent. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (Object.is(v, -0)) return '-0';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (m === null) return s;
  const digits = m[2] + (m[3] ?? '');
  const exp = Number(m[4]);
  if (exp > 0) return m[1] + digits + '0'.repeat(Math.max(0, exp - (digits.length - 1)));
  return `${m[1]}0.${'0'.repeat(-exp - 1)}${digits}`;
}

function atJSON(at: AtModifier | null): { timestamp: number | null; startOrEnd: string | null } {
  if (at === null) return { timestamp: null, startOrEnd: null };
  if (at.kind === 'time') return { timestamp: at.ms, startOrEnd: null };
  return { timestamp: null, startOrEnd: at.kind };
}

/** Matchers in Prometheus' order: a name written before the braces is its last matcher. */
function matchersJSON(vs: VectorSelector): unknown[] {
  let ms = vs.matchers;
  const first = ms[0];
  if (vs.name !== '' && first !== undefined && first.name === METRIC_NAME && first.type === '=' && first.value === vs.name) ms = [...ms.slice(1), first];
  return ms.map((m) => ({ type: m.type, name: m.name, value: m.value }));
}

/** The expression as the JSON tree /api/v1/parse_query returns. */
export function exprToJSON(e: Expr): unknown {
  switch (e.type) {
    case 'NumberLiteral':
      return { type: 'numberLiteral', val: formatNumber(e.value) };
    case 'StringLiteral':
      return { type: 'stringLiteral', val: e.value };
    case 'VectorSelector':
      return { type: 'vectorSelector', name: e.name, matchers: matchersJSON(e), offset: e.offsetMs, ...atJSON(e.at) };
    case 'MatrixSelector':
      return {
        type: 'matrixSelector', name: e.vector.name, matchers: matchersJSON(e.vector),
        range: e.rangeMs, offset: e.vector.offsetMs, ...atJSON(e.vector.at),
      };
    case 'SubqueryExpr':
      return { type: 'subquery', expr: exprToJSON(e.expr), range: e.rangeMs, offset: e.offsetMs, step: e.stepMs, ...atJSON(e.at) };
    case 'Call': {
      const def = FUNCTIONS.get(e.func);
      return {
        type: 'call',
        func: {
          name: e.func,
          argTypes: (def?.argTypes ?? []).map((t) => ARG_JSON[t]),
          variadic: def?.variadic ?? 0,
          returnType: def?.returnType === 'scalar' ? 'scalar' : 'vector',
        },
        args: e.args.map(exprToJSON),
      };
    }
    case 'AggregateExpr':
      return {
        type: 'aggregation', op: e.op, expr: exprToJSON(e.expr), param: e.param === null ? null : exprToJSON(e.param),
        grouping: e.grouping, without: e.without,
      };
    case 'BinaryExpr':
      return {
        type: 'binaryExpr', op: e.op, lhs: exprToJSON(e.lhs), rhs: exprToJSON(e.rhs),
        matching: e.matching === null ? null : { card: e.matching.card, labels: e.matching.labels, on: e.matching.on, include: e.matching.include },
        bool: e.returnBool,
      };
    case 'UnaryExpr':
      return { type: 'unaryExpr', op: e.op, expr: exprToJSON(e.expr) };
    case 'ParenExpr':
      return { type: 'parenExpr', expr: exprToJSON(e.expr) };
  }
}
