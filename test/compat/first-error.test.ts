// Which error a query with several mistakes gets, side by side with the real Prometheus (the
// Debian package, 2.42). Prometheus reports only the first error it records, in two phases: while
// parsing, syntax and lexer errors together with the errors of its grammar actions (an aggregation
// without arguments, an unknown function, a bad number, offset or @ on a non-selector, a range on
// a non-selector), each when the parser gets there; then, only if parsing found nothing, the type
// checks (checkAST), a node's children before the node. A type error never wins over a syntax
// error, however early it stands; a grammar-action error does when its construct ends first.
//
// Every case is checked against Strata always, and against Prometheus 2.42 when it can be run.
// Where Prometheus 3 differs from 2.42, Strata follows 3 and the case says what 2.42 reports and why.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as path from 'node:path';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { tempDir } from '../helpers/server.ts';
import { asPrometheusPrints as full, strataParseError as strataSays } from './parse-errors.ts';

interface Prometheus2Difference {
  says: string;
  why: string;
}

const ZERO_OFFSET = 'Prometheus 3 takes a zero offset (offset_duration_expr), 2.42 refused it';
const NO_INFO = 'info() came in Prometheus 3 (an experimental function there; Strata parses it and refuses to run it)';

// [query, Prometheus 3's error ("line:column: message") or "OK", what 2.42 says where it differs]
const CASES: [string, string, Prometheus2Difference?][] = [
  // A grammar-action error before a later syntax error: the action runs when its construct is
  // complete, before the parser reads on to the bad token.
  ['sum() + foo bar', '1:1: no arguments for aggregate expression provided'],
  ['sum(x, y) foo', '1:1: wrong number of arguments for aggregate expression provided, expected 1, got 2'],
  ['topk(x) by (a) bar', '1:1: wrong number of arguments for aggregate expression provided, expected 2, got 1'],
  ['nosuch(x) foo', '1:1: unknown function with name "nosuch"'],
  ['rate(sum()) foo', '1:6: no arguments for aggregate expression provided'],
  ['1e400 + foo bar', '1:1: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range'],
  ['sum(1e400 +)', '1:5: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range'],
  ['(1)[5m] foo', '1:4: ranges only allowed for vector selectors'],
  ['sum(x) offset 1m foo', '1:1: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
  ['x @ 1e30 foo', '1:1: timestamp out of bounds for @ modifier: 1000000000000000019884624838656.000000'],
  ['x[5m] offset 1m offset 2m foo', '1:1: offset may not be set multiple times'],
  ['x @ 1 @ 2 foo', '1:1: @ <timestamp> may not be set multiple times'],
  // A syntax error before a later grammar-action error, and type errors, which are only checked
  // when the query parsed: the syntax error wins wherever it stands.
  ['foo bar + sum()', '1:5: unexpected identifier "bar"'],
  ['sum(x +) + sum()', '1:8: unexpected ")" in aggregation'],
  ['rate(x) +', '1:10: unexpected end of input'],
  ['1 > 2 foo', '1:7: unexpected identifier "foo"'],
  ['{a=""} foo', '1:8: unexpected identifier "foo"'],
  ['foo{__name__="bar"} +', '1:22: unexpected end of input'],
  // An unknown function is a parsing error: the type errors of its arguments are never checked.
  ['nosuch(rate(x)) +', '1:1: unknown function with name "nosuch"'],
  // A lexer error in the token right after a construct: `sum(x)` may go on with `by (...)`, so
  // the parser reads that token before it checks the aggregation, and the lexer's error comes
  // first; constructs that cannot go on are checked before the next token is read.
  ['sum() $', "1:7: unexpected character: '$'"],
  ['-sum() $', "1:8: unexpected character: '$'"],
  ['count_values("a", x, y) )', "1:26: unexpected right parenthesis ')'"],
  ['sum() by (a) $', '1:1: no arguments for aggregate expression provided'],
  ['sum by (a) () $', '1:1: no arguments for aggregate expression provided'],
  ['(sum()) $', '1:2: no arguments for aggregate expression provided'],
  ['nosuch() $', '1:1: unknown function with name "nosuch"'],
  ['(1)[5m] $', '1:4: ranges only allowed for vector selectors'],
  ['sum(x) offset 1m $', '1:1: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
  ['x @ 1e30 $', '1:1: timestamp out of bounds for @ modifier: 1000000000000000019884624838656.000000'],
  ['x[0s] foo', '1:3: duration must be greater than 0'],
  ['x[0s $', "1:6: unexpected character: '$'", {
    says: '1:3: duration must be greater than 0',
    why: 'in Prometheus 3 a range is a duration expression (positive_duration_expr), checked once the next token shows '
      + 'that no operator follows it, so the lexer error in that token comes first; 2.42 checked the duration token at once',
  }],
  // Several type errors: the innermost, leftmost one wins (checkAST checks children first).
  ['sum(-"s")', '1:5: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
  ['topk("a", rate(x))', '1:16: expected type range vector in call to function "rate", got instant vector'],
  ['count_values(1, rate(x))', '1:22: expected type range vector in call to function "rate", got instant vector'],
  ['topk(rate(x), 1 > 2)', '1:17: comparisons between scalars must use BOOL modifier'],
  ['round(rate(x), "a")', '1:12: expected type range vector in call to function "rate", got instant vector'],
  ['rate(-"a")', '1:6: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
  ['(-"s")[5m:]', '1:2: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
  ['-(-"s")', '1:3: unary expression only allowed on expressions of type scalar or instant vector, got "string"'],
  ['rate(x) + (1 > 2)', '1:6: expected type range vector in call to function "rate", got instant vector'],
  ['(1 > 2) + rate(x)', '1:4: comparisons between scalars must use BOOL modifier'],
  ['1 > 2 > 3', '1:3: comparisons between scalars must use BOOL modifier'],
  // A selector without a non-empty matcher is a type check: any parsing error comes first.
  ['(1 > 2) + {a=""}', '1:4: comparisons between scalars must use BOOL modifier'],
  ['{a=""} + sum()', '1:10: no arguments for aggregate expression provided'],
  // Binary operators, bool and vector matching.
  ['x > bool 1 and 2', '1:1: set operator "and" not allowed in binary scalar expression'],
  ['1 + bool 2 > 3', '1:3: bool modifier can only be used on comparison operators'],
  ['x + bool sum()', '1:10: no arguments for aggregate expression provided'],
  ['x == bool on(a) sum() $', "1:23: unexpected character: '$'"],
  ['1 + on() group_left x', 'OK'],
  ['1 + on(a) group_left x', '1:1: vector matching only allowed between instant vectors'],
  ['x unless on(a) group_left y > 1', '1:1: no grouping allowed for "unless" operation'],
  // Subqueries and ranges.
  ['sum()[5m:1m] $', '1:1: no arguments for aggregate expression provided'],
  ['rate(x[5m])[5m:1m][5m] foo', '1:19: ranges only allowed for vector selectors'],
  ['x[5m:0s] foo', '1:6: duration must be greater than 0'],
  ['x[0s:1m] foo', '1:3: duration must be greater than 0'],
  // @ and offset.
  ['x @ 1 offset 1m @ 2 foo', '1:1: @ <timestamp> may not be set multiple times'],
  ['x offset 1m @ 1 offset 2m $', '1:1: offset may not be set multiple times'],
  ['sum(x) @ start() foo', '1:1: @ modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
  ['rate(x[5m] @ 1e30) +', '1:6: timestamp out of bounds for @ modifier: 1000000000000000019884624838656.000000'],
  ['x @ -1e400', '1:6: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range'],
  ['x offset 1m[5m] foo', '1:12: no offset modifiers allowed before range'],
  // A zero offset: Prometheus 3 reads an offset as a duration expression that may be zero or
  // negative (offset_duration_expr; only ranges and subquery steps must be positive), 2.42 as a
  // duration token that must be positive and cannot be a plain number.
  ['x offset 0s', 'OK', { says: '1:10: duration must be greater than 0', why: ZERO_OFFSET }],
  ['x offset -0s', 'OK', { says: '1:11: duration must be greater than 0', why: ZERO_OFFSET }],
  ['x[5m] offset 0s', 'OK', { says: '1:14: duration must be greater than 0', why: ZERO_OFFSET }],
  ['x offset 0', 'OK', { says: '1:10: unexpected number "0" in offset, expected duration', why: ZERO_OFFSET }],
  // A zero offset is no offset: another one may follow (Prometheus 3's addOffset checks for != 0).
  ['x offset 0s offset 1m', 'OK', { says: '1:10: duration must be greater than 0', why: ZERO_OFFSET }],
  ['x offset 1m offset 0s', '1:1: offset may not be set multiple times', { says: '1:20: duration must be greater than 0', why: ZERO_OFFSET }],
  // info()'s second argument: label selectors, which may match everything (Prometheus 3 exempts
  // it from the non-empty matcher check); checked before the arguments' own type checks.
  ['info(x, {})', 'OK', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(x, {a=""})', 'OK', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(x, {a=~".*"}) + {b=""}', '1:22: vector selector must contain at least one non-empty matcher', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(x, y)', '1:9: expected label selectors only, got vector selector instead', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(x, ({a="b"}))', '1:9: expected label selectors only', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(x, 1)', '1:1: expected type instant vector in call to function "info", got scalar', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['info(rate(x), y)', '1:15: expected label selectors only, got vector selector instead', { says: '1:1: unknown function with name "info"', why: NO_INFO }],
  ['x @ 1 [5m] $', '1:7: no @ modifiers allowed before range'],
  // A modifier binds to the last operand, and an operator after it by its precedence:
  // x - ((y offset 1m) * on(a) group_left 2), -((y offset 1m) ^ on(a) 2), -(1 offset 1m).
  ['x - y offset 1m * on(a) group_left 2', '1:5: vector matching only allowed between instant vectors'],
  ['x or y offset 1m and on(a) 2', '1:6: vector matching only allowed between instant vectors'],
  ['a + b * c offset 1m / on(a) 2', '1:5: vector matching only allowed between instant vectors'],
  ['-y offset 1m ^ on(a) 2', '1:2: vector matching only allowed between instant vectors'],
  ['-1 offset 1m', '1:2: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery'],
  ['+1 [1m:]', '1:2: subquery is only allowed on instant vector, got scalar instead'],
  // Numbers, read as Go's ParseInt (base prefixes, a leading 0 for octal) and else ParseFloat.
  ['-1e400', '1:2: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range'],
  ['0x8000000000000000', '1:1: error parsing number: strconv.ParseFloat: parsing "0x8000000000000000": invalid syntax'],
  ['0777 + 1', 'OK'],
];

describe('the first of several errors', () => {
  it.each(CASES)('%j: Strata reports what Prometheus 3 does', (query, want) => {
    expect(strataSays(query)).toBe(full(want));
  });

  describe('side by side with Prometheus (Debian package, 2.42)', () => {
    let skipReason: string | null = null;
    let prom: PrometheusProcess | undefined;

    beforeAll(async () => {
      skipReason = await prometheusForComparison('the Prometheus comparison');
      if (skipReason) return;
      prom = await startPrometheus(path.join(tempDir('strata-first-error-'), 'prometheus'));
    });
    afterAll(async () => {
      await prom?.stop();
    });

    it('reports the same first error, or the one noted as 2.42 only', async (ctx) => {
      if (skipReason) ctx.skip();
      const differ: string[] = [];
      for (const [query, want, v2] of CASES) {
        const r = await fetch(`${prom!.url}/api/v1/query`, { method: 'POST', body: new URLSearchParams({ query, time: '1000' }) });
        const body = (await r.json()) as { status: string; error?: string };
        const says = body.status === 'success' ? 'OK' : (body.error ?? '').replace(/^invalid parameter "query": /, '');
        const expected = full(v2?.says ?? want);
        if (says !== expected) differ.push(`${JSON.stringify(query)}: prometheus ${says}, expected ${expected}`);
      }
      expect(differ).toEqual([]);
    });
  });
});
