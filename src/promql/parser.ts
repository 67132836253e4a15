// PromQL expressions: parsed with Prometheus' own grammar (@prometheus-io/lezer-promql) into the
// typed AST of ast.ts, then type-checked as Prometheus' parser checks them, with its messages
// ("1:5: parse error: ..."). The grammar decides syntax; this file decides meaning.
import { parser } from '@prometheus-io/lezer-promql';
import { firstError, type SyntaxNode } from './tree.ts';
import { describeToken, goQuote, lexPromQL, offsetNamesAsIdentifiers, operandPosition, type LexResult, type Token } from './lexer.ts';
import { ParseError } from './errors.ts';
import { parseSeriesSelector } from './selector.ts';
import { unquoteString } from './strings.ts';
import { FUNCTIONS } from './functions/index.ts';
import type { ArgType } from './functions/types.ts';
import {
  AGGREGATE_OPS, COMPARISON_OPS, SET_OPS,
  type AggregateExpr, type AggregateOp, type AtModifier, type BinaryExpr, type BinaryOp, type Call, type Expr,
  type PosRange, type SubqueryExpr, type ValueType, type VectorMatching, type VectorSelector,
} from './ast.ts';


const EXPR_NODES = new Set([
  'AggregateExpr', 'BinaryExpr', 'FunctionCall', 'MatrixSelector', 'NumberDurationLiteral', 'OffsetExpr',
  'AnchoredExpr', 'SmoothedExpr', 'ParenExpr', 'StringLiteral', 'SubqueryExpr', 'UnaryExpr', 'VectorSelector',
  'StepInvariantExpr',
]);

const BINARY_OPS: Record<string, BinaryOp> = {
  Pow: '^', Mul: '*', Div: '/', Mod: '%', Atan2: 'atan2', Add: '+', Sub: '-',
  Eql: '==', Gte: '>=', Gtr: '>', Lte: '<=', Lss: '<', Neq: '!=',
  And: 'and', Unless: 'unless', Or: 'or',
};

/** Parses a PromQL expression into the typed AST. Throws ParseError ("1:5: parse error: ..."). */
export function parseExpr(input: string): Expr {
  const { expr, converter } = parsePhase(input);
  converter.check(expr);
  return expr;
}

/**
 * Prometheus reports errors in two phases, and only the first error found counts. Its yacc parser
 * collects syntax errors together with the errors of its grammar actions (an aggregation without
 * arguments, an unknown function, a bad number, `offset` on a non-selector, a range on a
 * non-selector, ...), each when the parser gets there; its type checks (checkAST) run afterwards
 * and only when that phase found nothing. This is that first phase: the first error of it, thrown.
 */
function parsePhase(input: string): { expr: Expr; converter: Converter } {
  if (/^(?:\s|#[^\n]*)*$/.test(input)) throw new ParseError(input, 0, 'no expression found in input');
  let tree = parser.parse(input);
  let err = firstError(tree);
  if (err !== null) {
    // A metric named `offset` (the grammar knows the word only as a keyword).
    const alt = offsetNamesAsIdentifiers(input);
    const altTree = alt === null ? null : parser.parse(alt);
    const altErr = altTree === null ? null : firstError(altTree);
    if (altTree !== null && (altErr === null || altErr.from > err.from)) [tree, err] = [altTree, altErr];
  }
  // Prometheus' lexer runs a token ahead of its parser: its complaints (bad strings, numbers,
  // characters) stand unless the grammar failed on an earlier token.
  const lexed = lexPromQL(input);
  const converter = new Converter(input);
  if (err === null && lexed.error === null) {
    const top = exprChildren(tree.topNode);
    if (top.length === 0) throw new ParseError(input, input.length, 'no expression found in input');
    try {
      return { expr: converter.expr(top[0]), converter };
    } catch (e) {
      throw e instanceof ActionError ? e.error : e;
    }
  }
  const failure = err !== null ? syntaxError(input, lexed, err)
    : { error: new ParseError(input, lexed.error!.at, lexed.error!.message), at: lexed.error!.tokenStart, lexer: true };
  throw actionErrorBefore(converter, tree.topNode, failure, lexed.tokens) ?? failure.error;
}

/**
 * An error of a grammar action, with where Prometheus' parser records it: when it reduces the
 * construct ending at `end`, which it does at once after the construct's last token, or, when the
 * construct could still go on (`sum(x)` may be followed by `by (...)`), only after reading the
 * next token (`lookahead`), so that a lexer error in that token comes first.
 */
class ActionError extends Error {
  readonly error: ParseError;
  readonly end: number;
  readonly lookahead: boolean;
  constructor(error: ParseError, end: number, lookahead: boolean) {
    super(error.message);
    this.error = error;
    this.end = end;
    this.lookahead = lookahead;
  }
}

/** A syntax or lexer error, and the start of the token at which Prometheus' parser meets it. */
interface SyntaxFailure {
  error: ParseError;
  at: number;
  lexer: boolean;
}

/**
 * The first grammar-action error that Prometheus records before `failure`, or null. The grammar
 * (lezer) recovered from the failure; the constructs it parsed without recovering are complete,
 * and their actions ran, in reading order, before the parser got to the failing token.
 */
function actionErrorBefore(converter: Converter, top: SyntaxNode, failure: SyntaxFailure, tokens: readonly Token[]): ParseError | null {
  const found = firstActionError(converter, top);
  if (found === null || found.end > failure.at) return null;
  // Only a construct that needs no lookahead, or one followed by a token the lexer did produce,
  // is complete before the lexer fails.
  if (failure.lexer && found.lookahead && !tokens.some((t) => t.kind !== 'eof' && t.from >= found.end && t.from < failure.at)) return null;
  return found.error;
}

function firstActionError(converter: Converter, n: SyntaxNode): ActionError | null {
  for (let c = n.firstChild; c !== null; c = c.nextSibling) {
    if (EXPR_NODES.has(c.name) && isComplete(c)) {
      try {
        converter.expr(c);
      } catch (e) {
        if (e instanceof ActionError) return e;
        // A string the lexer refused: parsing ends there, with the lexer's error.
        if (e instanceof ParseError) return null;
        throw e;
      }
      continue;
    }
    const inner = firstActionError(converter, c);
    if (inner !== null) return inner;
  }
  return null;
}

// Whether the grammar parsed n without recovering. After `sum(x)` it files what follows, when
// that is neither `by` nor `without`, inside the aggregation: that one is complete all the same.
function isComplete(n: SyntaxNode): boolean {
  if (!containsError(n)) return true;
  const body = n.name === 'AggregateExpr' ? n.getChild('FunctionCallBody') : null;
  if (body === null || body.nextSibling === null || !body.nextSibling.type.isError) return false;
  for (let c = n.firstChild; c !== null && c.to <= body.to; c = c.nextSibling) if (containsError(c)) return false;
  return true;
}

function containsError(n: SyntaxNode): boolean {
  if (n.type.isError) return true;
  for (let c = n.firstChild; c !== null; c = c.nextSibling) if (containsError(c)) return true;
  return false;
}

/** The value type of an expression, as Prometheus' Expr.Type(). */
export function exprType(e: Expr): ValueType {
  switch (e.type) {
    case 'NumberLiteral': return 'scalar';
    case 'StringLiteral': return 'string';
    case 'VectorSelector': return 'vector';
    case 'MatrixSelector': case 'SubqueryExpr': return 'matrix';
    case 'Call': return FUNCTIONS.get(e.func)?.returnType === 'scalar' ? 'scalar' : 'vector';
    case 'AggregateExpr': return 'vector';
    case 'BinaryExpr': return exprType(e.lhs) === 'scalar' && exprType(e.rhs) === 'scalar' ? 'scalar' : 'vector';
    case 'UnaryExpr': case 'ParenExpr': return exprType(e.expr);
  }
}

/** The name Prometheus' messages use for a value type. */
export function documentedType(t: ValueType): string {
  switch (t) {
    case 'vector': return 'instant vector';
    case 'matrix': return 'range vector';
    default: return t;
  }
}

const ARG_VALUE_TYPE: Record<ArgType, ValueType> = { scalar: 'scalar', instant: 'vector', range: 'matrix', string: 'string' };

function exprChildren(n: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  for (let c = n.firstChild; c !== null; c = c.nextSibling) if (EXPR_NODES.has(c.name)) out.push(c);
  return out;
}

function pos(n: SyntaxNode): PosRange {
  return { start: n.from, end: n.to };
}

const DURATION_RE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const UNIT_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1000, 1];

/** Milliseconds of a duration literal such as `1h30m`, or null when `s` is not one. */
export function parseDurationMs(s: string): number | null {
  const m = DURATION_RE.exec(s);
  if (m === null || s === '') return null;
  let ms = 0;
  for (let i = 0; i < UNIT_MS.length; i++) if (m[i + 1] !== undefined) ms += Number(m[i + 1]) * UNIT_MS[i];
  return ms;
}

// Prometheus reads a number token as Go's strconv.ParseInt(s, 0, 64) does (0x1F hexadecimal, 0777
// octal) and, failing that, as ParseFloat (1.5, 1e3, Inf, NaN). Returns the value, or the text of
// Go's error when neither reads it (1e400, a hexadecimal number beyond int64).
const INT64_LIMIT = 2n ** 63n;
function goNumber(s: string): number | string {
  const lower = s.toLowerCase();
  if (lower === 'inf') return Infinity;
  if (lower === 'nan') return NaN;
  const t = s.replace(/_/g, '');
  const base = /^0x[0-9a-f]+$/i.test(t) ? 16 : /^0[0-7]+$/.test(t) ? 8 : /^\d+$/.test(t) ? 10 : 0;
  if (base === 10 && t.length <= 15) return Number(t);
  if (base !== 0) {
    const n = BigInt(base === 8 ? `0o${t.slice(1)}` : t);
    if (n < INT64_LIMIT) return Number(n);
    // ParseFloat takes a hexadecimal mantissa only with a p exponent.
    if (base === 16) return `strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`;
  }
  const v = Number(t);
  if (Number.isNaN(v)) return `strconv.ParseFloat: parsing ${goQuote(s)}: invalid syntax`;
  if (!Number.isFinite(v)) return `strconv.ParseFloat: parsing ${goQuote(s)}: value out of range`;
  return v;
}

/** A float as Go's %f writes it (exact digits, where JavaScript switches to exponents at 1e21). */
function goFixed6(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Math.abs(v) < 1e21 ? v.toFixed(6) : `${BigInt(v)}.000000`;
}

// The two checks of a vector selector that Prometheus makes in checkAST, not while parsing.
const SELECTOR_CHECKS = ['metric name must not be set twice', 'vector selector must contain at least one non-empty matcher'];

/**
 * Builds the AST from the grammar's tree, with the checks Prometheus' grammar actions make, each
 * made where its construct is complete (inner constructs first, as a bottom-up parser reduces
 * them), so the first one that fails is the first Prometheus records. check() then makes the
 * checks of its checkAST, in its order.
 */
class Converter {
  private readonly input: string;
  // Selector errors of the type-check phase, raised when check() gets to their selector.
  private readonly selectorErrors = new Map<Expr, ParseError>();
  constructor(input: string) {
    this.input = input;
  }

  private text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  /** A grammar action's error at `at`, for the construct ending at `end` (see ActionError). */
  private fail(at: number, msg: string, end: number, lookahead = false): never {
    throw new ActionError(new ParseError(this.input, at, msg), end, lookahead);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'NumberDurationLiteral': {
        const { value, duration } = this.number(n.from, this.text(n));
        return duration ? { type: 'NumberLiteral', value, duration, pos: pos(n) } : { type: 'NumberLiteral', value, pos: pos(n) };
      }
      case 'StringLiteral':
        return { type: 'StringLiteral', value: unquoteString(this.input, n.from, n.to), pos: pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector': {
        const [inner] = exprChildren(n);
        const e = this.expr(inner);
        const rangeMs = this.duration(n.getChild('DurationExpr') as SyntaxNode);
        return this.postfix(e, n.to, (op) => {
          const bracket = this.skipSpace(op.pos.end);
          if (op.type !== 'VectorSelector') this.fail(bracket, 'ranges only allowed for vector selectors', n.to);
          if (op.offsetMs !== 0) this.fail(bracket, 'no offset modifiers allowed before range', n.to);
          if (op.at !== null) this.fail(bracket, 'no @ modifiers allowed before range', n.to);
          return { type: 'MatrixSelector', vector: op, rangeMs, pos: { start: op.pos.start, end: n.to } };
        });
      }
      case 'SubqueryExpr': {
        const [inner] = exprChildren(n);
        const e = this.expr(inner);
        const durs = n.getChildren('DurationExpr');
        const rangeMs = this.duration(durs[0]);
        const stepMs = durs.length > 1 ? this.duration(durs[1]) : 0;
        return this.postfix(e, n.to, (op) => (
          { type: 'SubqueryExpr', expr: op, rangeMs, stepMs, offsetMs: 0, at: null, pos: { start: op.pos.start, end: n.to } }
        ));
      }
      case 'OffsetExpr': {
        const [inner] = exprChildren(n);
        const e = this.expr(inner);
        const off = this.offsetDuration(n.getChild('OffsetDurationExpr') as SyntaxNode);
        return this.postfix(e, n.to, (op) => {
          const target = this.modifierTarget(op, 'offset modifier', n.to);
          if (target.offsetMs !== 0) this.fail(op.pos.start, 'offset may not be set multiple times', n.to);
          target.offsetMs = off;
          op.pos = { start: op.pos.start, end: n.to };
          return op;
        });
      }
      case 'StepInvariantExpr': {
        const [inner] = exprChildren(n);
        const e = this.expr(inner);
        return this.postfix(e, n.to, (op) => {
          const at = this.atModifier(n, op);
          const target = this.modifierTarget(op, '@ modifier', n.to);
          if (target.at !== null) this.fail(op.pos.start, '@ <timestamp> may not be set multiple times', n.to);
          target.at = at;
          op.pos = { start: op.pos.start, end: n.to };
          return op;
        });
      }
      case 'ParenExpr': {
        const [inner] = exprChildren(n);
        return { type: 'ParenExpr', expr: this.expr(inner), pos: pos(n) };
      }
      case 'UnaryExpr': {
        const op = this.text(n.getChild('UnaryOp') as SyntaxNode) as '-' | '+';
        const [inner] = exprChildren(n);
        const e = this.expr(inner);
        // As Prometheus: a sign directly on a number literal folds into the literal.
        if (e.type === 'NumberLiteral') {
          if (op === '-') e.value = -e.value;
          e.pos = pos(n);
          return e;
        }
        return { type: 'UnaryExpr', op, expr: e, pos: pos(n) };
      }
      case 'BinaryExpr':
        return this.binary(n);
      case 'AggregateExpr':
        return this.aggregate(n);
      case 'FunctionCall': {
        const idNode = n.getChild('FunctionIdentifier') as SyntaxNode;
        const name = this.text(idNode);
        const body = n.getChild('FunctionCallBody') as SyntaxNode;
        const args = exprChildren(body).map((c) => this.expr(c));
        if (!FUNCTIONS.has(name)) this.fail(n.from, `unknown function with name ${JSON.stringify(name)}`, n.to);
        return { type: 'Call', func: name, args, pos: pos(n) };
      }
      case 'AnchoredExpr':
      case 'SmoothedExpr': {
        const [inner] = exprChildren(n);
        this.expr(inner);
        this.fail(n.from, `${n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is experimental and not enabled`, n.to);
        break;
      }
      default:
        this.fail(n.from, `unexpected ${n.name}`, n.to);
    }
  }

  /**
   * Applies a postfix construct (range, subquery, offset, @) to the operand it binds to. The
   * grammar attaches it to a whole binary or unary expression before it (`a - b offset 1m`), while
   * in PromQL it binds to the last operand: `a - (b offset 1m)`.
   */
  private postfix(e: Expr, end: number, apply: (operand: Expr) => Expr): Expr {
    if (e.type === 'BinaryExpr') {
      e.rhs = this.postfix(e.rhs, end, apply);
      e.pos = { start: e.pos.start, end };
      return e;
    }
    if (e.type === 'UnaryExpr') {
      e.expr = this.postfix(e.expr, end, apply);
      e.pos = { start: e.pos.start, end };
      return e;
    }
    // A signed number literal (`-1[5m:]`) is a sign on the number with the modifier: -(1[5m:]).
    const sign = this.input[e.pos.start];
    if (e.type === 'NumberLiteral' && (sign === '-' || sign === '+')) {
      const num: Expr = { ...e, value: sign === '-' ? -e.value : e.value, pos: { start: this.skipSpace(e.pos.start + 1), end: e.pos.end } };
      return { type: 'UnaryExpr', op: sign, expr: this.postfix(num, end, apply), pos: { start: e.pos.start, end } };
    }
    return apply(e);
  }

  private skipSpace(at: number): number {
    while (at < this.input.length && /\s/.test(this.input[at])) at++;
    return at;
  }

  /** The selector or subquery an offset/@ modifier applies to. */
  private modifierTarget(e: Expr, what: string, end: number): VectorSelector | SubqueryExpr {
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') return e;
    if (e.type === 'MatrixSelector') return e.vector;
    this.fail(e.pos.start, `${what} must be preceded by an instant vector selector or range vector selector or a subquery`, end);
  }

  private atModifier(n: SyntaxNode, operand: Expr): AtModifier {
    const pre = n.getChild('AtModifierPreprocessors');
    if (pre !== null) return pre.getChild('AtStart') !== null ? { kind: 'start' } : { kind: 'end' };
    const lit = n.getChild('NumberDurationLiteral') as SyntaxNode;
    const { value } = this.number(lit.from, this.text(lit));
    // Positioned at the expression the modifier applies to, the number as Go's %f writes it.
    if (!(Math.abs(value) < 2 ** 63)) this.fail(operand.pos.start, `timestamp out of bounds for @ modifier: ${goFixed6(value)}`, n.to);
    return { kind: 'time', ms: Math.round(value * 1000) };
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    const id = n.getChild('Identifier');
    const vs: VectorSelector = { type: 'VectorSelector', name: id === null ? '' : this.text(id), matchers: [], offsetMs: 0, at: null, pos: pos(n) };
    try {
      vs.matchers = parseSeriesSelector(this.text(n));
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      const error = new ParseError(this.input, n.from + e.position, e.detail);
      if (!SELECTOR_CHECKS.some((c) => e.detail.startsWith(c))) throw new ActionError(error, n.to, false);
      this.selectorErrors.set(vs, error);
      // The matchers all the same: info()'s second argument is exempt from the check.
      vs.matchers = parseSeriesSelector(this.text(n), { labelSelector: true });
    }
    return vs;
  }

  /**
   * A number literal's value; durations (`5m`) are numbers of seconds, as in Prometheus 3. `raw`
   * is the input from `from` on, perhaps with a sign (the grammar's literals carry theirs).
   */
  private number(from: number, raw: string): { value: number; duration: boolean } {
    let sign = 1;
    let i = 0;
    if (raw[0] === '-' || raw[0] === '+') {
      if (raw[0] === '-') sign = -1;
      i = 1;
      while (i < raw.length && /\s/.test(raw[i])) i++;
    }
    const s = raw.slice(i).trimEnd();
    const at = from + i;
    const end = at + s.length;
    if (/[a-z]$/i.test(s) && !/^0x/i.test(s) && !/^(?:inf|nan)$/i.test(s)) {
      // A duration token: Prometheus reads it with model.ParseDuration.
      const ms = parseDurationMs(s);
      if (ms === null) this.fail(at, `not a valid duration string: ${goQuote(s)}`, end);
      // Go's time.Duration counts nanoseconds in an int64 (about 292 years).
      if (ms * 1e6 >= 2 ** 63) this.fail(at, 'duration out of range', end);
      return { value: (sign * ms) / 1000, duration: true };
    }
    const v = goNumber(s);
    if (typeof v === 'string') this.fail(at, `error parsing number: ${v}`, end);
    return { value: sign * v, duration: false };
  }

  /**
   * A duration in a range or subquery: a literal such as 5m, or a number of seconds. Prometheus
   * checks it is positive once it knows no operator follows, after reading the next token.
   */
  private duration(n: SyntaxNode, lookahead = true): number {
    const ms = this.signedDuration(n);
    if (ms <= 0) this.fail(n.from, 'duration must be greater than 0', n.to, lookahead);
    return ms;
  }

  // A duration literal, or one with signs (which Prometheus folds into the literal, so `[-1]` is
  // a non-positive duration rather than a duration expression).
  private signedDuration(n: SyntaxNode): number {
    const op = n.firstChild;
    if (op !== null && op.name === 'UnaryOp' && op.nextSibling?.name === 'DurationExpr' && op.nextSibling.nextSibling === null) {
      const v = this.signedDuration(op.nextSibling);
      return this.text(op) === '-' ? -v : v;
    }
    const lit = n.firstChild;
    if (lit === null || lit.name !== 'NumberDurationLiteralInDurationContext' || lit.nextSibling !== null) {
      // Prometheus names the left operand, or what the parentheses hold.
      let at = n;
      while (this.input[at.from] === '(' && at.firstChild !== null) at = at.firstChild;
      this.fail(at.from, 'experimental duration expression is not enabled', n.to, true);
    }
    const raw = this.text(lit);
    const { value, duration } = this.number(lit.from, raw);
    if (!duration && !Number.isFinite(value)) this.fail(lit.from, `invalid duration ${JSON.stringify(raw)}`, lit.to);
    const ms = Math.round(value * 1000);
    if (Math.abs(ms) * 1e6 >= 2 ** 63) this.fail(lit.from, 'duration out of range', lit.to);
    return ms;
  }

  // An offset: a duration as a range's, but any sign and zero are fine (`x offset 0s` is `x`, as
  // in Prometheus 3, whose offsets are not positive_duration_expr; 2.42 refused a zero offset).
  private offsetDuration(n: SyntaxNode): number {
    const op = n.getChild('UnaryOp');
    if (op !== null) {
      const inner = n.getChild('OffsetDurationExpr') as SyntaxNode;
      const v = this.offsetDuration(inner);
      return this.text(op) === '-' ? -v : v;
    }
    return this.signedDuration(n);
  }

  private groupingLabels(n: SyntaxNode): string[] {
    const out: string[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) {
      if (c.name === 'LabelName') out.push(this.text(c));
      else if (c.name === 'QuotedLabelName') {
        const s = c.getChild('StringLiteral') as SyntaxNode;
        const name = unquoteString(this.input, s.from, s.to);
        if (name === '') this.fail(s.from, 'invalid label name for grouping: ""', s.to);
        out.push(name);
      }
    }
    return out;
  }

  private binary(n: SyntaxNode): Expr {
    const [l, r] = exprChildren(n);
    let op: BinaryOp | undefined;
    let returnBool = false;
    let fill: SyntaxNode | null = null;
    let clause: SyntaxNode | null = null;
    for (let c = n.firstChild; c !== null; c = c.nextSibling) {
      if (c.from < l.to || c.from >= r.from) continue;
      if (BINARY_OPS[c.name] !== undefined && op === undefined) op = BINARY_OPS[c.name];
      else if (c.name === 'BoolModifier') returnBool = true;
      else if (c.name === 'FillModifier') fill ??= c;
      else if (c.name === 'MatchingModifierClause') clause = c;
    }
    if (op === undefined) this.fail(n.from, 'binary expression without operator', n.to);
    // The grammar reads `-2 ^ 2` as (-2) ^ 2; in PromQL the sign is a unary operator binding less
    // tightly than ^: -(2 ^ 2).
    const lt = this.text(l);
    const signedBase = op === '^' && l.name === 'NumberDurationLiteral' && (lt[0] === '-' || lt[0] === '+');
    let lhs: Expr;
    if (signedBase) {
      const { value, duration } = this.number(l.from + 1, lt.slice(1));
      lhs = duration ? { type: 'NumberLiteral', value, duration, pos: { start: l.from + 1, end: l.to } } : { type: 'NumberLiteral', value, pos: { start: l.from + 1, end: l.to } };
    } else lhs = this.expr(l);
    let matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [], explicit: false };
    if (clause !== null) {
      const groups = clause.getChildren('GroupingLabels');
      matching = {
        card: clause.getChild('GroupLeft') !== null ? 'many-to-one' : clause.getChild('GroupRight') !== null ? 'one-to-many' : 'one-to-one',
        on: clause.getChild('On') !== null,
        labels: this.groupingLabels(groups[0]),
        include: groups.length > 1 ? this.groupingLabels(groups[1]) : [],
        explicit: true,
      };
    }
    const rhs = this.expr(r);
    // Checked once the whole binary expression is read, which takes the token after it.
    if (fill !== null) this.fail(n.from, 'binop fill modifiers are experimental and not enabled', n.to, true);
    if (signedBase) {
      const inner: BinaryExpr = { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos: { start: l.from + 1, end: n.to } };
      return { type: 'UnaryExpr', op: lt[0] as '-' | '+', expr: inner, pos: pos(n) };
    }
    return reassociate({ type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos: pos(n) });
  }

  private aggregate(n: SyntaxNode): AggregateExpr {
    const opNode = n.getChild('AggregateOp') as SyntaxNode;
    const op = this.text(opNode) as AggregateOp;
    const body = n.getChild('FunctionCallBody') as SyntaxNode;
    let mod = n.getChild('AggregateModifier');
    // One the grammar made up after an error that follows the arguments is none.
    if (mod !== null && mod.from >= body.to && body.nextSibling?.type.isError !== false) mod = null;
    // `sum by (a) (x)` or `sum (x) by (a)`: the labels and the arguments are read in that order.
    const modFirst = mod !== null && mod.from < body.from;
    const groupingOf = (m: SyntaxNode): string[] => this.groupingLabels(m.getChild('GroupingLabels') as SyntaxNode);
    const grouping = mod !== null && modFirst ? groupingOf(mod) : [];
    const args = exprChildren(body).map((c) => this.expr(c));
    const labels = mod !== null && !modFirst ? groupingOf(mod) : grouping;
    // Without a modifier after the arguments, the parser needs the next token to know the
    // aggregation is complete: a lexer error there comes first.
    const lookahead = mod === null;
    const end = Math.max(body.to, mod?.to ?? 0);
    if (!(AGGREGATE_OPS as readonly string[]).includes(op)) this.fail(n.from, `unknown aggregation ${JSON.stringify(op)}`, end, lookahead);
    const hasParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values' || op === 'limitk' || op === 'limit_ratio';
    const want = hasParam ? 2 : 1;
    if (args.length === 0) this.fail(n.from, 'no arguments for aggregate expression provided', end, lookahead);
    if (args.length !== want) {
      this.fail(n.from, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${args.length}`, end, lookahead);
    }
    return {
      type: 'AggregateExpr',
      op,
      expr: args[args.length - 1],
      param: hasParam ? args[0] : null,
      grouping: labels,
      without: mod !== null && mod.getChild('Without') !== null,
      hasGrouping: mod !== null,
      pos: pos(n),
    };
  }

  /** Prometheus' expectType: checks the node (first), then that it has the type wanted. */
  private expectType(e: Expr, want: ValueType, context: string): void {
    const got = this.check(e);
    if (got !== want) failCheck(this.input, e.pos.start, `expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`);
  }

  /**
   * The checks of Prometheus' checkAST, made only when parsing found no error, in its order: a
   * node's children before the node itself (so the innermost error wins). Returns the type.
   */
  check(e: Expr): ValueType {
    switch (e.type) {
      case 'AggregateExpr':
        this.expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param !== null) this.expectType(e.param, e.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
        break;
      case 'Call': {
        const def = FUNCTIONS.get(e.func);
        if (def === undefined) failCheck(this.input, e.pos.start, `unknown function with name ${JSON.stringify(e.func)}`);
        const nargs = def.argTypes.length;
        const variadic = def.variadic ?? 0;
        if (variadic === 0) {
          if (nargs !== e.args.length) failCheck(this.input, e.pos.start, `expected ${nargs} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
        } else {
          const min = nargs - 1;
          if (min > e.args.length) failCheck(this.input, e.pos.start, `expected at least ${min} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          if (variadic > 0 && min + variadic < e.args.length) {
            failCheck(this.input, e.pos.start, `expected at most ${min + variadic} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          }
        }
        if (e.func === 'info' && e.args.length > 1) this.checkInfoLabelSelector(e);
        for (let i = 0; i < e.args.length; i++) {
          let j = i;
          if (j >= nargs) {
            // Arguments beyond a fixed list are not checked (the count is wrong already).
            if (variadic === 0) break;
            j = nargs - 1;
          }
          this.expectType(e.args[i], ARG_VALUE_TYPE[def.argTypes[j]], `call to function ${JSON.stringify(e.func)}`);
        }
        break;
      }
      case 'SubqueryExpr': {
        const t = this.check(e.expr);
        if (t !== 'vector') failCheck(this.input, e.pos.start, `subquery is only allowed on instant vector, got ${t} instead`);
        break;
      }
      case 'UnaryExpr': {
        const t = this.check(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          failCheck(this.input, e.pos.start, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`);
        }
        return t;
      }
      case 'BinaryExpr': {
        // The type from the operands' (exprType would walk the subtree again at every level).
        const lt = this.check(e.lhs);
        const rt = this.check(e.rhs);
        this.checkBinary(e, lt, rt);
        return lt === 'scalar' && rt === 'scalar' ? 'scalar' : 'vector';
      }
      case 'ParenExpr':
        return this.check(e.expr);
      case 'MatrixSelector':
        this.check(e.vector);
        break;
      case 'VectorSelector': {
        const err = this.selectorErrors.get(e);
        if (err !== undefined) throw err;
        break;
      }
      default:
        break;
    }
    return exprType(e);
  }

  /**
   * info()'s second argument selects info series by their labels: as Prometheus 3 checks it, an
   * instant vector that is a selector without a metric name, which may then match everything
   * (`info(x, {})` is fine), checked before the arguments' own checks.
   */
  private checkInfoLabelSelector(e: Call): void {
    const arg = e.args[1];
    const t = exprType(arg);
    if (t !== 'vector') failCheck(this.input, e.pos.start, `expected type ${documentedType('vector')} in call to function "info", got ${documentedType(t)}`);
    if (arg.type !== 'VectorSelector') failCheck(this.input, arg.pos.start, 'expected label selectors only');
    if (arg.name !== '') failCheck(this.input, arg.pos.start, 'expected label selectors only, got vector selector instead');
    const err = this.selectorErrors.get(arg);
    if (err !== undefined && err.detail.startsWith('vector selector must contain at least one non-empty matcher')) this.selectorErrors.delete(arg);
  }

  private checkBinary(e: BinaryExpr, lt: ValueType, rt: ValueType): void {
    // Errors about the operator point at it: the first non-space after the left operand.
    const opAt = this.skipSpace(e.lhs.pos.end);
    const m = e.matching as VectorMatching;
    const fail = (at: number, msg: string): never => failCheck(this.input, at, msg);
    if (e.returnBool && !COMPARISON_OPS.has(e.op)) fail(opAt, 'bool modifier can only be used on comparison operators');
    if (COMPARISON_OPS.has(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      fail(opAt, 'comparisons between scalars must use BOOL modifier');
    }
    if (SET_OPS.has(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
    if (m.on) {
      for (const l of m.labels) if (m.include.includes(l)) fail(opAt, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
    }
    if (lt !== 'scalar' && lt !== 'vector') fail(e.lhs.pos.start, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector') fail(e.rhs.pos.start, 'binary expression must contain only scalar and instant vector types');
    if (lt !== 'vector' || rt !== 'vector') {
      // Only matching labels are refused here: `1 + on() group_left x` passes, as in Prometheus.
      if (m.labels.length > 0) fail(e.pos.start, 'vector matching only allowed between instant vectors');
      e.matching = null;
    } else if (SET_OPS.has(e.op)) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') fail(e.pos.start, `no grouping allowed for ${JSON.stringify(e.op)} operation`);
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(e.op)) {
      fail(e.pos.start, `set operator ${JSON.stringify(e.op)} not allowed in binary scalar expression`);
    }
  }
}

// Binding strength of binary operators, loosest first, as in Prometheus' grammar; a sign binds as *.
const PRECEDENCE: Record<BinaryOp, number> = {
  or: 1, and: 2, unless: 2, '==': 3, '!=': 3, '<=': 3, '<': 3, '>=': 3, '>': 3,
  '+': 4, '-': 4, '*': 5, '/': 5, '%': 5, atan2: 5, '^': 6,
};

/**
 * The grammar closes a binary expression before a modifier on its last operand and treats the
 * result as one operand (`a - b offset 1m * c` as (a - b offset 1m) * c), while in PromQL the
 * modifier binds to `b` alone, so an operator after it that binds tighter takes `b offset 1m`:
 * a - (b offset 1m * c). Moves such an operator down to where it binds; for trees the grammar
 * built from precedence alone (and parentheses) this changes nothing.
 */
function reassociate(e: BinaryExpr): Expr {
  const l = e.lhs;
  const p = PRECEDENCE[e.op];
  if (l.type === 'BinaryExpr' && (p > PRECEDENCE[l.op] || (p === PRECEDENCE[l.op] && e.op === '^'))) {
    const rhs = reassociate({ ...e, lhs: l.rhs, pos: { start: l.rhs.pos.start, end: e.pos.end } });
    return { ...l, rhs, pos: { start: l.pos.start, end: e.pos.end } };
  }
  if (l.type === 'UnaryExpr' && p > PRECEDENCE['*']) {
    const expr = reassociate({ ...e, lhs: l.expr, pos: { start: l.expr.pos.start, end: e.pos.end } });
    return { ...l, expr, pos: { start: l.pos.start, end: e.pos.end } };
  }
  return e;
}

function failCheck(input: string, at: number, msg: string): never {
  throw new ParseError(input, at, msg);
}


/**
 * Words the first error lezer recovered from as Prometheus would: its lexer's complaint when the
 * lexer failed on that token or before it, otherwise "unexpected <token>" with the grammar context
 * Prometheus names ("in label matching", "in grouping opts", ...).
 */
function syntaxError(input: string, lexed: LexResult, err: SyntaxNode): SyntaxFailure {
  let at = err.from;
  while (at < input.length && /\s/.test(input[at])) at++;
  const lexErr = lexed.error;
  if (lexErr !== null && lexErr.tokenStart <= at) return { error: new ParseError(input, lexErr.at, lexErr.message), at: lexErr.tokenStart, lexer: true };
  // `foo(bar)` with a name the grammar does not know as a function.
  const prev = err.prevSibling;
  const id = prev !== null && prev.name === 'Identifier' && err.parent?.name === 'VectorSelector' ? prev
    : prev !== null && prev.name === 'VectorSelector' && prev.firstChild?.name === 'Identifier' && prev.firstChild.nextSibling === null ? prev.firstChild
      : null;
  const { tokens } = lexed;
  if (input[at] === '(' && id !== null && tokens.some((t) => t.from === id.from && t.kind === 'identifier')) {
    const error = callArgumentError(input, tokens, at) ?? new ParseError(input, id.from, `unknown function with name ${JSON.stringify(input.slice(id.from, id.to))}`);
    return { error, at: id.from, lexer: false };
  }
  let k = tokens.findIndex((t) => t.to > at || t.kind === 'eof');
  if (k < 0) {
    tokens.push({ kind: 'eof', from: input.length, to: input.length, text: '', inBraces: false });
    k = tokens.length - 1;
  }
  const tok = tokens[k];
  const before = tokens[k - 1];
  // After a comma between arguments, a token that cannot start one makes Prometheus' parser close
  // the argument list there (its trailing-comma rule), before it complains about the token.
  if (before?.text === ',' && before.kind === 'punctuation' && !before.inBraces && !insideBrackets(tokens, k)
    && isCallParen(tokens, openingParen(tokens, k))) {
    return { error: new ParseError(input, before.from, 'trailing commas not allowed in function call args'), at: before.from, lexer: false };
  }
  return { error: new ParseError(input, tok.from, `unexpected ${describeToken(tok)}${grammarContext(tokens, k)}`), at: tok.from, lexer: false };
}

/**
 * Prometheus names an unknown function only once its call is complete, so an error inside the
 * parentheses comes first. Each argument is parsed on its own, in place (the rest blanked, its
 * separators made parentheses, so positions stay); the first error found is returned, or null.
 */
function callArgumentError(input: string, tokens: readonly Token[], open: number): ParseError | null {
  const seps: number[] = [open];
  let depth = 0;
  let closed = false;
  for (const t of tokens) {
    if (t.from <= open || t.kind !== 'punctuation') continue;
    if (t.text === '(' || t.text === '[' || t.text === '{') depth++;
    else if ((t.text === ')' || t.text === ']' || t.text === '}') && depth > 0) depth--;
    else if (depth === 0 && (t.text === ',' || t.text === ')')) {
      seps.push(t.from);
      if (t.text === ')') {
        closed = true;
        break;
      }
    }
  }
  if (!closed) seps.push(input.length);
  for (let i = 0; i + 1 < seps.length; i++) {
    const [a, b] = [seps[i], seps[i + 1]];
    const text = input.slice(a + 1, b);
    if (/^\s*$/.test(text)) {
      if (i > 0 && closed && i === seps.length - 2) return new ParseError(input, a, 'trailing commas not allowed in function call args');
      if (i === 0 && seps.length === 2 && closed) return null;
      if (input[b] === ',') return new ParseError(input, b, 'unexpected ","');
    }
    const end = b < input.length && (closed || i < seps.length - 2) ? ')' : '';
    const padded = `${' '.repeat(a)}(${text}${end}${' '.repeat(Math.max(0, input.length - b - end.length))}`;
    try {
      // Only the parsing phase: Prometheus type-checks nothing of a query with an unknown function.
      parsePhase(padded);
    } catch (e) {
      if (e instanceof ParseError) return new ParseError(input, e.position, e.detail);
      throw e;
    }
  }
  return null;
}

/** Whether token k stands inside [...] (a range or subquery). */
function insideBrackets(tokens: readonly Token[], k: number): boolean {
  for (let i = k - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t.kind !== 'punctuation') continue;
    if (t.text === ']') return false;
    if (t.text === '[') return true;
  }
  return false;
}

/** The index of the "(" that the ")" at k closes (or, for any other k, the innermost open one), or -1. */
function openingParen(tokens: readonly Token[], k: number): number {
  let depth = 1;
  for (let i = k - 1; i >= 0; i--) {
    const t = tokens[i].text;
    if (tokens[i].kind !== 'punctuation') continue;
    if (t === ')') depth++;
    else if (t === '(' && --depth === 0) return i;
  }
  return -1;
}

const GROUPING_KEYWORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right']);
const keywordAt = (tokens: readonly Token[], i: number): string => (tokens[i]?.kind === 'keyword' ? tokens[i].text.toLowerCase() : '');

// A function call's or an aggregation's argument list: after a name, or after `sum by (x)`.
function isCallParen(tokens: readonly Token[], open: number): boolean {
  const t = tokens[open - 1];
  if (t === undefined) return false;
  if (t.kind === 'identifier' || t.kind === 'aggregator') return true;
  return t.text === ')' && GROUPING_KEYWORDS.has(keywordAt(tokens, openingParen(tokens, open - 1) - 1));
}

// The part of Prometheus' message after "unexpected <token>", from the grammar rule its parser
// was in (its grammar's error productions), judged by the tokens before the unexpected one.
function grammarContext(tokens: readonly Token[], k: number): string {
  const tok = tokens[k];
  const prev = tokens[k - 1];
  if (prev === undefined) return '';
  if (tok.inBraces) {
    const expected = prev.text === '{' || prev.text === ',' ? 'identifier or "}"'
      : prev.kind === 'identifier' ? 'label matching operator'
        : ['=', '!=', '=~', '!~'].includes(prev.text) ? 'string'
          : '"," or "}"';
    return ` in label matching, expected ${expected}`;
  }
  const open = openingParen(tokens, k);
  if (open >= 0 && GROUPING_KEYWORDS.has(keywordAt(tokens, open - 1))) {
    return ` in grouping opts, expected ${prev.text === '(' || prev.text === ',' ? 'label' : '"," or ")"'}`;
  }
  const kw = keywordAt(tokens, k - 1);
  if (kw === 'by' || kw === 'without') {
    const p = tokens[k - 2];
    if (p !== undefined && (p.kind === 'aggregator' || p.text === ')')) return ' in grouping opts, expected "("';
  }
  if (kw === 'on' || kw === 'ignoring') {
    const p = tokens[k - 2];
    if (p !== undefined && (p.kind === 'operator' || keywordAt(tokens, k - 2) === 'bool')) return ' in grouping opts, expected "("';
  }
  // group_left/group_right take optional labels: what can start neither those nor an operand.
  if (kw === 'group_left' || kw === 'group_right') return ' in grouping opts, expected "("';
  // `sum by (a) x`: an aggregation's grouping written first must be followed by its arguments.
  if (prev.text === ')' && prev.kind === 'punctuation') {
    const o = openingParen(tokens, k - 1);
    const g = keywordAt(tokens, o - 1);
    if ((g === 'by' || g === 'without') && tokens[o - 2]?.kind === 'aggregator') return ' in aggregation';
  }
  // After `offset` or `@`, and what of their argument was written (a sign, `start`, `(`).
  let m = k - 1;
  while (m > 0 && (['-', '+', '('].includes(tokens[m].text) || ['start', 'end'].includes(keywordAt(tokens, m)))) m--;
  if (keywordAt(tokens, m) === 'offset' && !operandPosition(tokens, m)) return ' in offset, expected number, duration, step(), or range()';
  if (tokens[m].text === '@') return ' in @, expected timestamp';
  // Inside [...]: what the range, the colon and the step leave to expect.
  for (let i = k - 1; i >= 0; i--) {
    const t = tokens[i];
    if (t.kind !== 'punctuation' || (t.text !== '[' && t.text !== ']')) continue;
    if (t.text === ']') break;
    const complete = prev.kind === 'number' || prev.kind === 'duration' || prev.text === ')';
    if (prev.text === ':') return ' in subquery selector, expected number, duration, step(), range(), or "]"';
    if (tokens.slice(i + 1, k).some((x) => x.text === ':')) return complete ? ' in subquery selector, expected "]"' : '';
    return complete ? ' in subquery or range, expected ":" or "]"' : ' in subquery or range selector, expected number, duration, step(), or range()';
  }
  // Anywhere else inside an aggregation's parentheses, Prometheus' parser falls back to the
  // aggregation's own error rule.
  for (let o = openingParen(tokens, k); o >= 0; o = openingParen(tokens, o)) {
    const t = tokens[o - 1];
    if (t === undefined) break;
    if (t.kind === 'aggregator') return ' in aggregation';
    if (t.text === ')') {
      const g = openingParen(tokens, o - 1);
      if (['by', 'without'].includes(keywordAt(tokens, g - 1)) && tokens[g - 2]?.kind === 'aggregator') return ' in aggregation';
    }
  }
  return '';
}
