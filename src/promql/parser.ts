// PromQL expressions: parsed with Prometheus' own grammar (@prometheus-io/lezer-promql) into the
// typed AST of ast.ts, then type-checked as Prometheus' parser checks them, with its messages
// ("1:5: parse error: ..."). The grammar decides syntax; this file decides meaning.
import { parser } from '@prometheus-io/lezer-promql';
import { firstError, type SyntaxNode } from './tree.ts';
import { describeToken, lexPromQL, offsetNamesAsIdentifiers, operandPosition, type LexResult, type Token } from './lexer.ts';
import { ParseError } from './errors.ts';
import { parseSeriesSelector } from './selector.ts';
import { unquoteString } from './strings.ts';
import { FUNCTIONS } from './functions/index.ts';
import type { ArgType } from './functions/types.ts';
import {
  AGGREGATE_OPS, COMPARISON_OPS, SET_OPS,
  type AggregateExpr, type AggregateOp, type AtModifier, type BinaryExpr, type BinaryOp, type Expr,
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
  if (err !== null) throw syntaxError(input, lexed, err);
  if (lexed.error !== null) throw new ParseError(input, lexed.error.at, lexed.error.message);
  const top = exprChildren(tree.topNode);
  if (top.length === 0) throw new ParseError(input, input.length, 'no expression found in input');
  const p = new Converter(input);
  const e = p.expr(top[0]);
  p.check(e);
  return e;
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

class Converter {
  private readonly input: string;
  constructor(input: string) {
    this.input = input;
  }

  private text(n: SyntaxNode): string {
    return this.input.slice(n.from, n.to);
  }

  private fail(at: number, msg: string): never {
    throw new ParseError(this.input, at, msg);
  }

  expr(n: SyntaxNode): Expr {
    switch (n.name) {
      case 'NumberDurationLiteral': {
        const { value, duration } = this.number(n, this.text(n));
        return duration ? { type: 'NumberLiteral', value, duration, pos: pos(n) } : { type: 'NumberLiteral', value, pos: pos(n) };
      }
      case 'StringLiteral':
        return { type: 'StringLiteral', value: unquoteString(this.input, n.from, n.to), pos: pos(n) };
      case 'VectorSelector':
        return this.vectorSelector(n);
      case 'MatrixSelector': {
        const [inner] = exprChildren(n);
        const rangeMs = this.duration(n.getChild('DurationExpr') as SyntaxNode);
        if (rangeMs <= 0) this.fail(n.from, `duration must be greater than 0`);
        return this.postfix(this.expr(inner), n.to, (e) => {
          if (e.type !== 'VectorSelector') this.fail(this.skipSpace(e.pos.end), 'ranges only allowed for vector selectors');
          if (e.offsetMs !== 0) this.fail(this.skipSpace(e.pos.end), 'no offset modifiers allowed before range');
          if (e.at !== null) this.fail(this.skipSpace(e.pos.end), 'no @ modifiers allowed before range');
          return { type: 'MatrixSelector', vector: e, rangeMs, pos: { start: e.pos.start, end: n.to } };
        });
      }
      case 'SubqueryExpr': {
        const [inner] = exprChildren(n);
        const durs = n.getChildren('DurationExpr');
        const rangeMs = this.duration(durs[0]);
        const stepMs = durs.length > 1 ? this.duration(durs[1]) : 0;
        if (rangeMs <= 0) this.fail(n.from, 'duration must be greater than 0');
        if (stepMs < 0) this.fail(n.from, 'duration must be greater than 0');
        return this.postfix(this.expr(inner), n.to, (e) => (
          { type: 'SubqueryExpr', expr: e, rangeMs, stepMs, offsetMs: 0, at: null, pos: { start: e.pos.start, end: n.to } }
        ));
      }
      case 'OffsetExpr': {
        const [inner] = exprChildren(n);
        const off = this.offsetDuration(n.getChild('OffsetDurationExpr') as SyntaxNode);
        return this.postfix(this.expr(inner), n.to, (e) => {
          const target = this.modifierTarget(e, 'offset modifier');
          if (target.offsetMs !== 0) this.fail(e.pos.start, 'offset may not be set multiple times');
          target.offsetMs = off;
          e.pos = { start: e.pos.start, end: n.to };
          return e;
        });
      }
      case 'StepInvariantExpr': {
        const [inner] = exprChildren(n);
        const at = this.atModifier(n);
        return this.postfix(this.expr(inner), n.to, (e) => {
          const target = this.modifierTarget(e, '@ modifier');
          if (target.at !== null) this.fail(e.pos.start, '@ <timestamp> may not be set multiple times');
          target.at = at;
          e.pos = { start: e.pos.start, end: n.to };
          return e;
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
        if (!FUNCTIONS.has(name)) this.fail(n.from, `unknown function with name ${JSON.stringify(name)}`);
        const body = n.getChild('FunctionCallBody') as SyntaxNode;
        const args = exprChildren(body).map((c) => this.expr(c));
        return { type: 'Call', func: name, args, pos: pos(n) };
      }
      case 'AnchoredExpr':
      case 'SmoothedExpr':
        this.fail(n.from, `${n.name === 'AnchoredExpr' ? 'anchored' : 'smoothed'} modifier is experimental and not enabled`);
        break;
      default:
        this.fail(n.from, `unexpected ${n.name}`);
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
    return apply(e);
  }

  private skipSpace(at: number): number {
    while (at < this.input.length && /\s/.test(this.input[at])) at++;
    return at;
  }

  /** The selector or subquery an offset/@ modifier applies to. */
  private modifierTarget(e: Expr, what: string): VectorSelector | SubqueryExpr {
    if (e.type === 'VectorSelector' || e.type === 'SubqueryExpr') return e;
    if (e.type === 'MatrixSelector') return e.vector;
    this.fail(e.pos.start, `${what} must be preceded by an instant vector selector or range vector selector or a subquery`);
  }

  private atModifier(n: SyntaxNode): AtModifier {
    const pre = n.getChild('AtModifierPreprocessors');
    if (pre !== null) return pre.getChild('AtStart') !== null ? { kind: 'start' } : { kind: 'end' };
    const lit = n.getChild('NumberDurationLiteral') as SyntaxNode;
    const { value } = this.number(lit, this.text(lit));
    // Positioned at the expression the modifier applies to, the number as Go's %f writes it.
    if (!(Math.abs(value) < 2 ** 63)) {
      const text = Number.isNaN(value) ? 'NaN' : value === Infinity ? '+Inf' : value === -Infinity ? '-Inf' : value.toFixed(6);
      this.fail(n.from, `timestamp out of bounds for @ modifier: ${text}`);
    }
    return { kind: 'time', ms: Math.round(value * 1000) };
  }

  private vectorSelector(n: SyntaxNode): VectorSelector {
    let matchers;
    try {
      matchers = parseSeriesSelector(this.text(n));
    } catch (e) {
      if (e instanceof ParseError) this.fail(n.from + e.position, e.detail);
      throw e;
    }
    const id = n.getChild('Identifier');
    return { type: 'VectorSelector', name: id === null ? '' : this.text(id), matchers, offsetMs: 0, at: null, pos: pos(n) };
  }

  /** A number literal's value; durations (`5m`) are numbers of seconds, as in Prometheus 3. */
  private number(n: SyntaxNode, raw: string): { value: number; duration: boolean } {
    let sign = 1;
    let s = raw.trim();
    if (s[0] === '-' || s[0] === '+') {
      if (s[0] === '-') sign = -1;
      s = s.slice(1).trim();
    }
    const lower = s.toLowerCase();
    if (lower === 'inf') return { value: sign * Infinity, duration: false };
    if (lower === 'nan') return { value: NaN, duration: false };
    if (/^0x[0-9a-f]+$/.test(lower)) return { value: sign * parseInt(lower.slice(2), 16), duration: false };
    const ms = parseDurationMs(s);
    if (ms !== null && /[a-z]$/.test(s)) return { value: (sign * ms) / 1000, duration: true };
    const v = Number(s.replace(/_/g, ''));
    if (Number.isNaN(v)) this.fail(n.from, `bad number or duration syntax: ${JSON.stringify(raw)}`);
    return { value: sign * v, duration: false };
  }

  /** A duration in a range, subquery or offset: a literal such as 5m, or a number of seconds. */
  private duration(n: SyntaxNode): number {
    const ms = this.signedDuration(n);
    // Prometheus refuses zero durations everywhere: ranges, subquery steps, offsets.
    if (ms <= 0) this.fail(n.from, 'duration must be greater than 0');
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
      this.fail(n.from, 'experimental duration expression is not enabled');
    }
    const raw = this.text(lit);
    let ms = parseDurationMs(raw);
    if (ms === null || !/[a-z]$/i.test(raw)) {
      const { value } = this.number(lit, raw);
      if (!Number.isFinite(value)) this.fail(lit.from, `invalid duration ${JSON.stringify(raw)}`);
      ms = Math.round(value * 1000);
    }
    // Go's time.Duration counts nanoseconds in an int64 (about 292 years).
    if (Math.abs(ms) * 1e6 >= 2 ** 63) this.fail(lit.from, 'duration out of range');
    return ms;
  }

  private offsetDuration(n: SyntaxNode): number {
    const op = n.getChild('UnaryOp');
    if (op !== null) {
      const inner = n.getChild('OffsetDurationExpr') as SyntaxNode;
      const v = this.offsetDuration(inner);
      return this.text(op) === '-' ? -v : v;
    }
    return this.duration(n);
  }

  private groupingLabels(n: SyntaxNode): string[] {
    const out: string[] = [];
    for (let c = n.firstChild; c !== null; c = c.nextSibling) {
      if (c.name === 'LabelName') out.push(this.text(c));
      else if (c.name === 'QuotedLabelName') {
        const s = c.getChild('StringLiteral') as SyntaxNode;
        out.push(unquoteString(this.input, s.from, s.to));
      }
    }
    return out;
  }

  private binary(n: SyntaxNode): Expr {
    const [l, r] = exprChildren(n);
    let op: BinaryOp | undefined;
    let returnBool = false;
    let matching: VectorMatching = { card: 'one-to-one', on: false, labels: [], include: [], explicit: false };
    for (let c = n.firstChild; c !== null; c = c.nextSibling) {
      if (c.from < l.to || c.from >= r.from) continue;
      if (BINARY_OPS[c.name] !== undefined && op === undefined) {
        op = BINARY_OPS[c.name];
      } else if (c.name === 'BoolModifier') returnBool = true;
      else if (c.name === 'FillModifier') this.fail(c.from, 'the experimental fill modifiers are not supported');
      else if (c.name === 'MatchingModifierClause') {
        const groups = c.getChildren('GroupingLabels');
        matching = {
          card: c.getChild('GroupLeft') !== null ? 'many-to-one' : c.getChild('GroupRight') !== null ? 'one-to-many' : 'one-to-one',
          on: c.getChild('On') !== null,
          labels: this.groupingLabels(groups[0]),
          include: groups.length > 1 ? this.groupingLabels(groups[1]) : [],
          explicit: true,
        };
      }
    }
    if (op === undefined) this.fail(n.from, 'binary expression without operator');
    // The grammar reads `-2 ^ 2` as (-2) ^ 2; in PromQL the sign is a unary operator binding less
    // tightly than ^: -(2 ^ 2).
    const lt = this.text(l);
    if (op === '^' && l.name === 'NumberDurationLiteral' && (lt[0] === '-' || lt[0] === '+')) {
      const { value, duration } = this.number(l, lt.slice(1));
      const num: Expr = duration ? { type: 'NumberLiteral', value, duration, pos: { start: l.from + 1, end: l.to } } : { type: 'NumberLiteral', value, pos: { start: l.from + 1, end: l.to } };
      const inner: BinaryExpr = { type: 'BinaryExpr', op, lhs: num, rhs: this.expr(r), returnBool, matching, pos: { start: l.from + 1, end: n.to } };
      return { type: 'UnaryExpr', op: lt[0] as '-' | '+', expr: inner, pos: pos(n) };
    }
    const lhs = this.expr(l);
    const rhs = this.expr(r);
    return { type: 'BinaryExpr', op, lhs, rhs, returnBool, matching, pos: pos(n) };
  }

  private checkBinary(e: BinaryExpr): void {
    // Errors about the operator point at it: the first non-space after the left operand.
    let opAt = e.lhs.pos.end;
    while (opAt < this.input.length && /\s/.test(this.input[opAt])) opAt++;
    const lt = exprType(e.lhs);
    const rt = exprType(e.rhs);
    const m = e.matching as VectorMatching;
    if (e.returnBool && !COMPARISON_OPS.has(e.op)) this.fail(opAt, 'bool modifier can only be used on comparison operators');
    if (COMPARISON_OPS.has(e.op) && !e.returnBool && lt === 'scalar' && rt === 'scalar') {
      this.fail(opAt, 'comparisons between scalars must use BOOL modifier');
    }
    if (SET_OPS.has(e.op) && m.card === 'one-to-one') m.card = 'many-to-many';
    if (m.on) {
      for (const l of m.labels) if (m.include.includes(l)) this.fail(opAt, `label ${JSON.stringify(l)} must not occur in ON and GROUP clause at once`);
    }
    if (lt !== 'scalar' && lt !== 'vector') this.fail(e.lhs.pos.start, 'binary expression must contain only scalar and instant vector types');
    if (rt !== 'scalar' && rt !== 'vector') this.fail(e.rhs.pos.start, 'binary expression must contain only scalar and instant vector types');
    if (lt !== 'vector' || rt !== 'vector') {
      if (m.labels.length > 0 || m.card === 'many-to-one' || m.card === 'one-to-many') {
        this.fail(e.pos.start, 'vector matching only allowed between instant vectors');
      }
      e.matching = null;
    } else if (SET_OPS.has(e.op)) {
      if (m.card === 'one-to-many' || m.card === 'many-to-one') this.fail(e.pos.start, `no grouping allowed for ${JSON.stringify(e.op)} operation`);
    }
    if ((lt === 'scalar' || rt === 'scalar') && SET_OPS.has(e.op)) {
      this.fail(e.pos.start, `set operator ${JSON.stringify(e.op)} not allowed in binary scalar expression`);
    }
  }

  private aggregate(n: SyntaxNode): AggregateExpr {
    const opNode = n.getChild('AggregateOp') as SyntaxNode;
    const op = this.text(opNode) as AggregateOp;
    if (!(AGGREGATE_OPS as readonly string[]).includes(op)) this.fail(n.from, `unknown aggregation ${JSON.stringify(op)}`);
    const mod = n.getChild('AggregateModifier');
    const body = n.getChild('FunctionCallBody') as SyntaxNode;
    const argNodes = exprChildren(body);
    const hasParam = op === 'topk' || op === 'bottomk' || op === 'quantile' || op === 'count_values' || op === 'limitk' || op === 'limit_ratio';
    const want = hasParam ? 2 : 1;
    if (argNodes.length === 0) this.fail(n.from, 'no arguments for aggregate expression provided');
    if (argNodes.length !== want) {
      this.fail(n.from, `wrong number of arguments for aggregate expression provided, expected ${want}, got ${argNodes.length}`);
    }
    const args = argNodes.map((c) => this.expr(c));
    return {
      type: 'AggregateExpr',
      op,
      expr: args[args.length - 1],
      param: hasParam ? args[0] : null,
      grouping: mod === null ? [] : this.groupingLabels(mod.getChild('GroupingLabels') as SyntaxNode),
      without: mod !== null && mod.getChild('Without') !== null,
      hasGrouping: mod !== null,
      pos: pos(n),
    };
  }

  private expectType(e: Expr, want: ValueType, context: string): void {
    const got = exprType(e);
    if (got !== want) this.fail(e.pos.start, `expected type ${documentedType(want)} in ${context}, got ${documentedType(got)}`);
  }

  /** Type checks that need the whole subtree (Prometheus' checkAST), outermost first. */
  check(e: Expr): void {
    switch (e.type) {
      case 'AggregateExpr':
        this.expectType(e.expr, 'vector', 'aggregation expression');
        if (e.param !== null) this.expectType(e.param, e.op === 'count_values' ? 'string' : 'scalar', 'aggregation parameter');
        if (e.param !== null) this.check(e.param);
        this.check(e.expr);
        return;
      case 'Call': {
        const def = FUNCTIONS.get(e.func);
        if (def === undefined) this.fail(e.pos.start, `unknown function with name ${JSON.stringify(e.func)}`);
        const nargs = def.argTypes.length;
        const variadic = def.variadic ?? 0;
        if (variadic === 0) {
          if (nargs !== e.args.length) this.fail(e.pos.start, `expected ${nargs} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
        } else {
          const min = nargs - 1;
          if (min > e.args.length) this.fail(e.pos.start, `expected at least ${min} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          if (variadic > 0 && min + variadic < e.args.length) {
            this.fail(e.pos.start, `expected at most ${min + variadic} argument(s) in call to ${JSON.stringify(e.func)}, got ${e.args.length}`);
          }
        }
        for (let i = 0; i < e.args.length; i++) {
          let j = i;
          if (j >= nargs) {
            if (variadic !== -1) continue;
            j = nargs - 1;
          }
          this.expectType(e.args[i], ARG_VALUE_TYPE[def.argTypes[j]], `call to function ${JSON.stringify(e.func)}`);
        }
        for (const a of e.args) this.check(a);
        return;
      }
      case 'SubqueryExpr':
        if (exprType(e.expr) !== 'vector') this.fail(e.pos.start, `subquery is only allowed on instant vector, got ${exprType(e.expr)} instead`);
        this.check(e.expr);
        return;
      case 'UnaryExpr': {
        const t = exprType(e.expr);
        if (t !== 'scalar' && t !== 'vector') {
          this.fail(e.pos.start, `unary expression only allowed on expressions of type scalar or instant vector, got ${JSON.stringify(documentedType(t))}`);
        }
        this.check(e.expr);
        return;
      }
      case 'BinaryExpr':
        this.check(e.lhs);
        this.check(e.rhs);
        this.checkBinary(e);
        return;
      case 'ParenExpr':
        this.check(e.expr);
        return;
      default:
        return;
    }
  }
}


/**
 * Words the first error lezer recovered from as Prometheus would: its lexer's complaint when the
 * lexer failed on that token or before it, otherwise "unexpected <token>" with the grammar context
 * Prometheus names ("in label matching", "in grouping opts", ...).
 */
function syntaxError(input: string, lexed: LexResult, err: SyntaxNode): ParseError {
  let at = err.from;
  while (at < input.length && /\s/.test(input[at])) at++;
  const lexErr = lexed.error;
  if (lexErr !== null && lexErr.tokenStart <= at) return new ParseError(input, lexErr.at, lexErr.message);
  // `foo(bar)` with a name the grammar does not know as a function.
  const prev = err.prevSibling;
  const id = prev !== null && prev.name === 'Identifier' && err.parent?.name === 'VectorSelector' ? prev
    : prev !== null && prev.name === 'VectorSelector' && prev.firstChild?.name === 'Identifier' && prev.firstChild.nextSibling === null ? prev.firstChild
      : null;
  const { tokens } = lexed;
  if (input[at] === '(' && id !== null && tokens.some((t) => t.from === id.from && t.kind === 'identifier')) {
    return callArgumentError(input, tokens, at) ?? new ParseError(input, id.from, `unknown function with name ${JSON.stringify(input.slice(id.from, id.to))}`);
  }
  let k = tokens.findIndex((t) => t.to > at || t.kind === 'eof');
  if (k < 0) {
    tokens.push({ kind: 'eof', from: input.length, to: input.length, text: '', inBraces: false });
    k = tokens.length - 1;
  }
  const tok = tokens[k];
  const before = tokens[k - 1];
  if (tok.text === ')' && before?.text === ',' && isCallParen(tokens, openingParen(tokens, k))) {
    return new ParseError(input, before.from, 'trailing commas not allowed in function call args');
  }
  return new ParseError(input, tok.from, `unexpected ${describeToken(tok)}${grammarContext(tokens, k)}`);
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
      parseExpr(padded);
    } catch (e) {
      if (e instanceof ParseError) return new ParseError(input, e.position, e.detail);
      throw e;
    }
  }
  return null;
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
