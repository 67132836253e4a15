// Series selectors, as in the `match[]` parameter of the HTTP API:
//   up    {job="x"}    node_cpu_seconds_total{mode!="idle",cpu=~"1|2"}    {__name__=~"node_.*"}
// parsed with Prometheus' own grammar (@prometheus-io/lezer-promql), so what Prometheus accepts
// and refuses here is decided by the same grammar, not by a second hand-written one.
import { parser } from '@prometheus-io/lezer-promql';
import { firstError, hasAncestor, type SyntaxNode, type Tree } from './tree.ts';
import { METRIC_NAME, newMatcher, type Matcher, type MatchType } from '../model/index.ts';
import { ParseError } from './errors.ts';
import { offsetNamesAsIdentifiers } from './lexer.ts';
import { unquoteString } from './strings.ts';


/**
 * Parses a series selector into matchers, in the order written; a metric name before the braces
 * becomes the first matcher (`__name__="up"`). Throws ParseError (`1:5: parse error: ...`) for anything that is not exactly
 * one selector, and for a selector whose matchers all match the empty string (it would select
 * every series).
 */
export function parseSeriesSelector(input: string, opts: { labelSelector?: boolean } = {}): Matcher[] {
  let tree = parser.parse(input);
  let err = firstError(tree);
  if (err !== null) {
    // A metric named `offset` (the grammar knows the word only as a keyword).
    const alt = offsetNamesAsIdentifiers(input);
    const altTree = alt === null ? null : parser.parse(alt);
    if (altTree !== null && firstError(altTree) === null) [tree, err] = [altTree, null];
  }
  if (err !== null) throw syntaxError(input, tree, err);
  const top = tree.topNode;

  let selector: SyntaxNode | null = null;
  for (let n = top.firstChild; n !== null; n = n.nextSibling) {
    if (n.name === 'LineComment') continue;
    if (selector !== null || n.name !== 'VectorSelector') throw notASelector(input, n);
    selector = n;
  }
  if (selector === null) throw new ParseError(input, input.length, 'unexpected end of input; expected a series selector');
  return selectorMatchers(input, selector, opts.labelSelector === true);
}

/**
 * A label selector as Prometheus' ParseMetricSelector takes it (e.g. /api/v1/targets/metadata's
 * match_target): without the two checks Prometheus makes only on queries (checkAST), so `{}`,
 * matchers that all match the empty string, and a metric name given twice are fine.
 */
export function parseLabelSelector(input: string): Matcher[] {
  return parseSeriesSelector(input, { labelSelector: true });
}

function selectorMatchers(input: string, vs: SyntaxNode, labelSelector: boolean): Matcher[] {
  const matchers: Matcher[] = [];
  // The metric name written before the braces, which no __name__ matcher may contradict.
  let outsideName: string | null = null;
  let nameInBraces: string | null = null;

  for (let n = vs.firstChild; n !== null; n = n.nextSibling) {
    if (n.name === 'Identifier') {
      outsideName = input.slice(n.from, n.to);
      matchers.push(newMatcher('=', METRIC_NAME, outsideName));
      continue;
    }
    if (n.name !== 'LabelMatchers') continue;
    for (let m = n.firstChild; m !== null; m = m.nextSibling) {
      switch (m.name) {
        case 'QuotedLabelName': {
          // {"metric.name"}: a bare quoted string in braces matches the metric name.
          const s = child(m, 'StringLiteral');
          const name = unquoteString(input, s.from, s.to);
          nameInBraces ??= name;
          matchers.push(newMatcher('=', METRIC_NAME, name));
          break;
        }
        case 'UnquotedLabelMatcher':
        case 'QuotedLabelMatcher': {
          const nameNode = m.firstChild as SyntaxNode;
          let name: string;
          if (m.name === 'UnquotedLabelMatcher') name = input.slice(nameNode.from, nameNode.to);
          else {
            const s = child(nameNode, 'StringLiteral');
            name = unquoteString(input, s.from, s.to);
          }
          const op = child(m, 'MatchOp');
          const valueNode = child(m, 'StringLiteral', nameNode);
          const value = unquoteString(input, valueNode.from, valueNode.to);
          if (name === METRIC_NAME) nameInBraces ??= value;
          matchers.push(labelMatcher(input, input.slice(op.from, op.to) as MatchType, name, value, nameNode.from));
          break;
        }
        default:
          break;
      }
    }
  }

  // As in Prometheus: `foo{__name__="bar"}` is refused, while several __name__ matchers inside the
  // braces (`{__name__=~"node_.*", __name__!="node_load1"}`) are fine.
  if (labelSelector) return matchers;
  if (outsideName !== null && nameInBraces !== null) {
    throw new ParseError(input, vs.from, `metric name must not be set twice: ${JSON.stringify(outsideName)} or ${JSON.stringify(nameInBraces)}`);
  }
  if (!matchers.some((m) => !m.matches(''))) {
    throw new ParseError(input, vs.from, 'vector selector must contain at least one non-empty matcher');
  }
  return matchers;
}

// A bad regex is Go's regexp/syntax error (`error parsing regexp: missing closing ): `(``),
// positioned as Prometheus does: at the matcher's label name.
function labelMatcher(input: string, type: MatchType, name: string, value: string, at: number): Matcher {
  try {
    return newMatcher(type, name, value);
  } catch (e) {
    throw new ParseError(input, at, (e as Error).message);
  }
}

/** The first child named `name` (after `after`, when given); the grammar guarantees it exists. */
function child(n: SyntaxNode, name: string, after?: SyntaxNode): SyntaxNode {
  for (let c = after ? after.nextSibling : n.firstChild; c !== null; c = c.nextSibling) if (c.name === name) return c;
  throw new Error(`internal: ${n.name} without ${name}`);
}


/**
 * Words the first error lezer recovered from. Lezer marks where parsing broke down, not why, so
 * the message names what was found there and where (inside braces or not). An unterminated string
 * before the error is the usual cause and is reported as such.
 */
function syntaxError(input: string, tree: Tree, err: SyntaxNode): ParseError {
  const inBraces = hasAncestor(err, 'LabelMatchers');
  // Prometheus lexes before it parses: a bad string before the error is reported first.
  tree.iterate({
    to: err.from,
    enter(ref) {
      if (ref.name === 'StringLiteral' && ref.from < err.from) unquoteString(input, ref.from, ref.to);
    },
  });
  let at = err.from;
  let found: string;
  if (err.to > err.from) {
    found = JSON.stringify(input.slice(err.from, Math.min(err.to, err.from + 20)));
  } else {
    while (at < input.length && /\s/.test(input[at])) at++;
    found = at >= input.length ? 'end of input' : JSON.stringify(nextToken(input, at));
  }
  // Prometheus' lexer refuses input that ends inside braces before its parser says what it expected.
  if (inBraces && at >= input.length) return new ParseError(input, at, 'unexpected end of input inside braces');
  const matcher = [err.parent, err.prevSibling].find((n) => n?.name === 'UnquotedLabelMatcher' || n?.name === 'QuotedLabelMatcher');
  if (matcher) {
    const op = matcher.getChild('MatchOp');
    if (op === null) return new ParseError(input, at, `unexpected ${found} in label matching, expected a label matching operator (=, !=, =~ or !~)`);
    if (op.nextSibling === null || op.nextSibling.type.isError) return new ParseError(input, at, `unexpected ${found} in label matching, expected a quoted string`);
    return new ParseError(input, at, `unexpected ${found} inside braces, expected "," or "}"`);
  }
  return new ParseError(input, at, `unexpected ${found}${inBraces ? ' inside braces' : ''}`);
}

function nextToken(input: string, at: number): string {
  const m = /^(?:[A-Za-z_:][A-Za-z0-9_:]*|[0-9.]+|=~|!~|!=|\S)/.exec(input.slice(at, at + 64));
  return m ? m[0] : input[at];
}


// What a valid PromQL expression that is not a bare selector was, for the error message.
const KINDS: Record<string, string> = {
  MatrixSelector: 'a range selector',
  OffsetExpr: 'an offset modifier',
  StepInvariantExpr: 'an @ modifier',
  SubqueryExpr: 'a subquery',
  BinaryExpr: 'a binary expression',
  AggregateExpr: 'an aggregation',
  FunctionCall: 'a function call',
  ParenExpr: 'a parenthesized expression',
  UnaryExpr: 'a unary expression',
  NumberDurationLiteral: 'a number',
  StringLiteral: 'a string',
};

function notASelector(input: string, n: SyntaxNode): ParseError {
  const kind = KINDS[n.name] ?? n.name;
  // Expressions that start with a selector (up[5m], up offset 1h, up + 1): point past the selector.
  let first: SyntaxNode | null = n.firstChild;
  while (first !== null && first.name !== 'VectorSelector' && first.from === n.from) first = first.firstChild;
  if (first !== null && first.name === 'VectorSelector' && first.from === n.from) {
    let at = first.to;
    while (at < input.length && /\s/.test(input[at])) at++;
    return new ParseError(input, at, `unexpected ${JSON.stringify(nextToken(input, at))} after the series selector: ${kind} is not a series selector`);
  }
  return new ParseError(input, n.from, `expected a series selector (a metric name and/or label matchers), got ${kind}`);
}
