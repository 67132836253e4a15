import { describe, expect, it } from 'vitest';
import type { AggregateExpr, BinaryExpr, Call, Expr, MatrixSelector, NumberLiteral, SubqueryExpr, UnaryExpr, VectorSelector } from './ast.ts';
import { ParseError } from './errors.ts';
import { exprToJSON, formatDuration, formatExpr } from './format.ts';
import { exprType, parseDurationMs, parseExpr } from './parser.ts';
import { parseSeriesSelector } from './selector.ts';

function errorOf(q: string): string {
  try {
    parseExpr(q);
  } catch (e) {
    expect(e).toBeInstanceOf(ParseError);
    return (e as Error).message;
  }
  throw new Error(`${q} parsed`);
}

describe('parseExpr nodes', () => {
  it('parses numbers in every notation', () => {
    const num = (q: string): number => (parseExpr(q) as NumberLiteral).value;
    expect(num('42')).toBe(42);
    expect(num('1.5e3')).toBe(1500);
    expect(num('0x1F')).toBe(31);
    expect(num('Inf')).toBe(Infinity);
    expect(num('-inf')).toBe(-Infinity);
    expect(num('NaN')).toBeNaN();
    expect(num('1h30m')).toBe(5400);
    expect(num('.5')).toBe(0.5);
    // As Go's strconv.ParseInt(s, 0, 64), then ParseFloat: a leading 0 is octal, as in Prometheus.
    expect(num('0777')).toBe(511);
    expect(num('08')).toBe(8);
    expect(num('9223372036854775808')).toBe(2 ** 63);
    expect(num('-0x7FFFFFFFFFFFFFFF')).toBe(-(2 ** 63));
  });

  it('parses strings with escapes', () => {
    expect(parseExpr('"a\\nb"')).toMatchObject({ type: 'StringLiteral', value: 'a\nb' });
    expect(parseExpr('`raw\\n`')).toMatchObject({ type: 'StringLiteral', value: 'raw\\n' });
  });

  it('parses selectors with matchers, offset and @', () => {
    const vs = parseExpr('foo{a="b", c=~"d.*"} offset 5m @ 100') as VectorSelector;
    expect(vs.type).toBe('VectorSelector');
    expect(vs.name).toBe('foo');
    expect(vs.matchers.map((m) => [m.name, m.type, m.value])).toEqual([['__name__', '=', 'foo'], ['a', '=', 'b'], ['c', '=~', 'd.*']]);
    expect(vs.offsetMs).toBe(300_000);
    expect(vs.at).toEqual({ kind: 'time', ms: 100_000 });
    expect((parseExpr('foo @ start()') as VectorSelector).at).toEqual({ kind: 'start' });
    expect((parseExpr('foo offset -1h @ end()') as VectorSelector).offsetMs).toBe(-3_600_000);
  });

  it('parses range selectors and subqueries', () => {
    const ms = parseExpr('foo[1h30m] offset 1m') as MatrixSelector;
    expect(ms.type).toBe('MatrixSelector');
    expect(ms.rangeMs).toBe(5_400_000);
    expect(ms.vector.offsetMs).toBe(60_000);
    expect((parseExpr('foo[90]') as MatrixSelector).rangeMs).toBe(90_000);
    const sq = parseExpr('rate(foo[5m])[1h:1m] @ end()') as SubqueryExpr;
    expect(sq).toMatchObject({ type: 'SubqueryExpr', rangeMs: 3_600_000, stepMs: 60_000, at: { kind: 'end' } });
    expect((parseExpr('foo[5m:]') as SubqueryExpr).stepMs).toBe(0);
  });

  it('binds offset, @, ranges and subqueries to the last operand, and the operators after it by precedence', () => {
    // The grammar we parse with reads `a - b offset 1m * c` as (a - b offset 1m) * c; Prometheus
    // as a - ((b offset 1m) * c), which the type error's position below shows (2.42 side by side).
    const shape = (e: Expr): unknown => {
      switch (e.type) {
        case 'BinaryExpr': return [shape(e.lhs), e.op, shape(e.rhs)];
        case 'UnaryExpr': return [e.op, shape(e.expr)];
        case 'VectorSelector': return `${e.name}${e.offsetMs !== 0 ? "'" : ''}${e.at !== null ? '@' : ''}`;
        case 'NumberLiteral': return e.value;
        default: return e.type;
      }
    };
    expect(shape(parseExpr('a - b offset 1m * c'))).toEqual(['a', '-', ["b'", '*', 'c']]);
    expect(shape(parseExpr('a - b @ 1 * c'))).toEqual(['a', '-', ['b@', '*', 'c']]);
    expect(shape(parseExpr('a or b offset 1m and c'))).toEqual(['a', 'or', ["b'", 'and', 'c']]);
    expect(shape(parseExpr('a + b * c offset 1m / d'))).toEqual(['a', '+', [['b', '*', "c'"], '/', 'd']]);
    expect(shape(parseExpr('a - b offset 1m ^ 2 ^ 3'))).toEqual(['a', '-', ["b'", '^', [2, '^', 3]]]);
    expect(shape(parseExpr('-b offset 1m ^ 2'))).toEqual(['-', ["b'", '^', 2]]);
    expect(shape(parseExpr('a * b offset 1m - c'))).toEqual([['a', '*', "b'"], '-', 'c']);
    expect(shape(parseExpr('(a - b offset 1m) * c'))).toEqual(['ParenExpr', '*', 'c']);
    expect(errorOf('x - y offset 1m * on(a) group_left 2')).toBe('1:5: parse error: vector matching only allowed between instant vectors');
    // A sign before a number is a unary operator on the number with its modifier: -(1 offset 1m).
    expect(errorOf('-1 offset 1m')).toBe('1:2: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    expect(errorOf('+1 [1m:]')).toBe('1:2: parse error: subquery is only allowed on instant vector, got scalar instead');
  });

  it('parses calls, aggregations, unary and parenthesised expressions', () => {
    const c = parseExpr('label_replace(up, "a", "$1", "b", "(.*)")') as Call;
    expect(c.func).toBe('label_replace');
    expect(c.args).toHaveLength(5);
    const a = parseExpr('topk without (a) (3, up)') as AggregateExpr;
    expect(a).toMatchObject({ op: 'topk', without: true, grouping: ['a'], param: { type: 'NumberLiteral', value: 3 } });
    expect(parseExpr('sum(up) by (job)')).toMatchObject({ op: 'sum', grouping: ['job'], without: false });
    expect(parseExpr('-(up)')).toMatchObject({ type: 'UnaryExpr', op: '-', expr: { type: 'ParenExpr' } });
  });

  it('parses binary expressions with precedence, associativity and matching', () => {
    const b = parseExpr('a + b * c') as BinaryExpr;
    expect(b.op).toBe('+');
    expect((b.rhs as BinaryExpr).op).toBe('*');
    const p = parseExpr('a ^ b ^ c') as BinaryExpr;
    expect(p.lhs.type).toBe('VectorSelector');
    expect((p.rhs as BinaryExpr).op).toBe('^');
    // The sign binds less tightly than ^.
    const u = parseExpr('-2 ^ 2') as UnaryExpr;
    expect(u).toMatchObject({ type: 'UnaryExpr', op: '-', expr: { type: 'BinaryExpr', op: '^' } });
    const m = parseExpr('a > bool on(x, y) group_left(z) b') as BinaryExpr;
    expect(m.returnBool).toBe(true);
    expect(m.matching).toMatchObject({ card: 'many-to-one', on: true, labels: ['x', 'y'], include: ['z'] });
    expect((parseExpr('a and b') as BinaryExpr).matching?.card).toBe('many-to-many');
    expect((parseExpr('a * 2') as BinaryExpr).matching).toBeNull();
  });

  it('binds offset, @, ranges and subqueries to the last operand, not a whole binary expression', () => {
    const b = parseExpr('a - b @ 300 offset 1m') as BinaryExpr;
    expect(b.lhs).toMatchObject({ type: 'VectorSelector', offsetMs: 0, at: null });
    expect(b.rhs).toMatchObject({ type: 'VectorSelector', offsetMs: 60_000, at: { kind: 'time', ms: 300_000 } });
    expect((parseExpr('-a offset 1m') as UnaryExpr).expr).toMatchObject({ type: 'VectorSelector', offsetMs: 60_000 });
    expect(errorOf('a - b[5m]')).toBe('1:5: parse error: binary expression must contain only scalar and instant vector types');
    expect(errorOf('(a - b) offset 1m')).toBe('1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  });

  it('types expressions as Prometheus does', () => {
    const t = (q: string): string => exprType(parseExpr(q));
    expect(t('1 + 2')).toBe('scalar');
    expect(t('up + 2')).toBe('vector');
    expect(t('up[5m]')).toBe('matrix');
    expect(t('scalar(up)')).toBe('scalar');
    expect(t('"s"')).toBe('string');
  });
});

describe('parse errors', () => {
  it('words type errors as Prometheus, with positions', () => {
    expect(errorOf('foo[5m] + 1')).toBe('1:1: parse error: binary expression must contain only scalar and instant vector types');
    expect(errorOf('1 > 2')).toBe('1:3: parse error: comparisons between scalars must use BOOL modifier');
    expect(errorOf('up + bool up')).toBe('1:4: parse error: bool modifier can only be used on comparison operators');
    expect(errorOf('up and 1')).toBe('1:1: parse error: set operator "and" not allowed in binary scalar expression');
    expect(errorOf('1 + on(a) up')).toBe('1:1: parse error: vector matching only allowed between instant vectors');
    expect(errorOf('a or on(x) group_left b')).toBe('1:1: parse error: no grouping allowed for "or" operation');
    expect(errorOf('a + on(x) group_left(x) b')).toBe('1:3: parse error: label "x" must not occur in ON and GROUP clause at once');
    expect(errorOf('(up)[5m]')).toBe('1:5: parse error: ranges only allowed for vector selectors');
    expect(errorOf('sum(up) offset 5m')).toBe('1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
    expect(errorOf('up offset 1m offset 2m')).toBe('1:1: parse error: offset may not be set multiple times');
    expect(errorOf('up @ 1 @ 2')).toBe('1:1: parse error: @ <timestamp> may not be set multiple times');
    expect(errorOf('{a=""}')).toBe('1:1: parse error: vector selector must contain at least one non-empty matcher');
    expect(errorOf('-"s"')).toBe('1:1: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"');
    expect(errorOf('up[0s]')).toBe('1:4: parse error: duration must be greater than 0');
    // A zero offset is no offset in Prometheus 3 (2.42 refused it: test/compat/first-error.test.ts).
    expect(parseExpr('up offset 0s')).toMatchObject({ type: 'VectorSelector', offsetMs: 0 });
    expect(parseExpr('up offset 0s offset 1m')).toMatchObject({ type: 'VectorSelector', offsetMs: 60_000 });
    expect(errorOf('up[5m:0s]')).toBe('1:7: parse error: duration must be greater than 0');
    expect(errorOf('sum()')).toBe('1:1: parse error: no arguments for aggregate expression provided');
    expect(errorOf('foo[5m][10m:1m]')).toBe('1:1: parse error: subquery is only allowed on instant vector, got matrix instead');
  });

  it('checks aggregations and function calls', () => {
    expect(errorOf('sum(up[5m])')).toBe('1:5: parse error: expected type instant vector in aggregation expression, got range vector');
    expect(errorOf('topk(up)')).toBe('1:1: parse error: wrong number of arguments for aggregate expression provided, expected 2, got 1');
    expect(errorOf('topk("a", up)')).toBe('1:6: parse error: expected type scalar in aggregation parameter, got string');
    expect(errorOf('count_values(1, up)')).toBe('1:14: parse error: expected type string in aggregation parameter, got scalar');
    expect(errorOf('rate(up)')).toBe('1:6: parse error: expected type range vector in call to function "rate", got instant vector');
    expect(errorOf('rate(up[5m], 1)')).toBe('1:1: parse error: expected 1 argument(s) in call to "rate", got 2');
    expect(errorOf('label_join(up)')).toBe('1:1: parse error: expected at least 3 argument(s) in call to "label_join", got 1');
    expect(errorOf('round(up, 1, 2)')).toBe('1:1: parse error: expected at most 2 argument(s) in call to "round", got 3');
    expect(errorOf('nosuch(up)')).toBe('1:1: parse error: unknown function with name "nosuch"');
    expect(errorOf('sum(nosuch(up))')).toBe('1:5: parse error: unknown function with name "nosuch"');
  });

  it('reports syntax errors where they are', () => {
    expect(errorOf('up{')).toBe('1:4: parse error: unexpected end of input inside braces');
    expect(errorOf('up +')).toBe('1:5: parse error: unexpected end of input');
    // Prometheus' lexer has taken the stray parenthesis when it complains: the position is after it.
    expect(errorOf('up\n  + )')).toBe("2:6: parse error: unexpected right parenthesis ')'");
    expect(errorOf('sum(rate(x[5m])')).toBe('1:16: parse error: unclosed left parenthesis');
    expect(errorOf('foo bar')).toBe('1:5: parse error: unexpected identifier "bar"');
    expect(errorOf('x +* y')).toBe('1:4: parse error: unexpected <op:*>');
    expect(errorOf('x offset')).toBe('1:9: parse error: unexpected end of input in offset, expected number, duration, step(), or range()');
    expect(errorOf('"abc')).toBe('1:1: parse error: unterminated quoted string');
    expect(errorOf('')).toBe('1:1: parse error: no expression found in input');
  });

  // Common mistakes, each with Prometheus 3's message and position (from its parser's tests and
  // Prometheus 2.42 run side by side, where 3.x words them the same).
  const MISTAKES: [string, string][] = [
    // Unbalanced parentheses, brackets and braces.
    ['(1))', "1:5: unexpected right parenthesis ')'"],
    ['sum(rate(', '1:10: unclosed left parenthesis'],
    ['x[5m', '1:5: unclosed left bracket'],
    ['x[5m:1m', '1:8: unclosed left bracket'],
    ['foo{bar="baz"}[', '1:16: unexpected end of input in duration expression'],
    ['some{', '1:6: unexpected end of input inside braces'],
    ['some}', "1:5: unexpected character: '}'"],
    ['(x +)', '1:5: unexpected ")"'],
    // Durations and numbers.
    ['rate(x[5x])', '1:8: bad number or duration syntax: "5"'],
    ['foo[5mm]', '1:5: bad number or duration syntax: "5mm"'],
    ['foo[5m:1m1]', '1:8: bad number or duration syntax: "1m1"'],
    ['x offset 5x', '1:10: bad number or duration syntax: "5"'],
    ['2.5.', '1:1: bad number or duration syntax: "2.5."'],
    ['0deadbeef', '1:1: bad number or duration syntax: "0de"'],
    ['foo[]', '1:5: unexpected "]" in subquery or range selector, expected number, duration, step(), or range()'],
    ['foo[-1]', '1:5: duration must be greater than 0'],
    ['foo offset 9.5e10', '1:12: duration out of range'],
    ['x[5m 1m]', '1:6: unexpected duration "1m" in subquery or range, expected ":" or "]"'],
    ['x[5m:1m 1m]', '1:9: unexpected duration "1m" in subquery selector, expected "]"'],
    ['foo["5m"]', `1:5: unexpected character in duration expression: '"'`],
    ['foo[5s x 5s]', "1:8: unexpected character: 'x', expected ':'"],
    ['some_metric OFFSET 1m[5m]', '1:22: no offset modifiers allowed before range'],
    ['some_metric @ 1234 [5m]', '1:20: no @ modifiers allowed before range'],
    ['foo @ +Inf', '1:1: timestamp out of bounds for @ modifier: +Inf'],
    ['x[1h] @ start', '1:14: unexpected end of input in @, expected timestamp'],
    // Functions: unknown, argument count and types, trailing commas.
    ['rat(x[5m])', '1:1: unknown function with name "rat"'],
    ['a>b()', '1:3: unknown function with name "b"'],
    // An unknown function is named only once its call is complete: errors inside come first.
    ['a(]x', "1:3: unexpected right bracket ']'"],
    ['foo(1 +)', '1:8: unexpected ")"'],
    ['foo(x,)', '1:6: trailing commas not allowed in function call args'],
    ['foo(x', '1:6: unclosed left parenthesis'],
    ['x * by (a)', '1:8: unexpected "("'],
    ['a(,x)', '1:3: unexpected ","'],
    ['offset foo', '1:8: unexpected identifier "foo"'],
    ['rate(x)', '1:6: expected type range vector in call to function "rate", got instant vector'],
    ['histogram_quantile(x)', '1:1: expected 2 argument(s) in call to "histogram_quantile", got 1'],
    ['round(x, "a")', '1:10: expected type scalar in call to function "round", got string'],
    ['topk(some_metric,)', '1:17: trailing commas not allowed in function call args'],
    ['rate(x[5m],)', '1:11: trailing commas not allowed in function call args'],
    ['histogram_quantile(0.9 rate(x[5m]))', '1:24: unexpected identifier "rate"'],
    // Missing operands and operators.
    ['1 /', '1:4: unexpected end of input'],
    ['x + * y', '1:5: unexpected <op:*>'],
    ['-=', '1:2: unexpected "="'],
    ['@@', '1:1: unexpected <op:@>'],
    ['x y z', '1:3: unexpected identifier "y"'],
    ['sum some_metric by (test)', '1:5: unexpected identifier "some_metric"'],
    // Label matchers.
    ['foo{a=b}', '1:7: unexpected identifier "b" in label matching, expected string'],
    ['foo{a~"b"}', "1:6: unexpected character inside braces: '~'"],
    ['foo{1}', "1:5: unexpected character inside braces: '1'"],
    ['foo{gibberish}', '1:14: unexpected "}" in label matching, expected label matching operator'],
    ['foo{,}', '1:5: unexpected "," in label matching, expected identifier or "}"'],
    ['foo{__name__="bar" lol}', '1:20: unexpected identifier "lol" in label matching, expected "," or "}"'],
    ['x{a!}', "1:4: unexpected character after '!' inside braces: '}'"],
    ['1 =~ 1', "1:3: unexpected character after '=': '~'"],
    // Grouping: by/without/on where they do not belong or without their labels.
    ['x by (a)', '1:3: unexpected <by>'],
    ['rate by (a) (x)', '1:6: unexpected <by>'],
    ['sum(x) by (a) by (b)', '1:15: unexpected <by>'],
    ['sum without (a) by (b) (x)', '1:17: unexpected <by> in aggregation'],
    ['sum by (a) x', '1:12: unexpected identifier "x" in aggregation'],
    ['sum(x +)', '1:8: unexpected ")" in aggregation'],
    ['sum (some_metric) by test', '1:22: unexpected identifier "test" in grouping opts, expected "("'],
    ['x + on', '1:7: unexpected end of input in grouping opts, expected "("'],
    ['sum by (a b) (x)', '1:11: unexpected identifier "b" in grouping opts, expected "," or ")"'],
    ['sum without(==)(x)', '1:13: unexpected <op:==> in grouping opts, expected label'],
    ['a - on(b) ignoring(c) d', '1:11: unexpected <ignoring>'],
    ['foo + group_left(baz) bar', '1:7: unexpected <group_left>'],
    // Characters that start no token, strings and escapes.
    ['x $ y', "1:3: unexpected character: '$'"],
    ['.', "1:1: unexpected character: '.'"],
    ['foo{a="b}', '1:7: unterminated quoted string'],
    ['`raw', '1:1: unterminated raw string'],
    ['"\\q"', "1:1: unknown escape sequence U+0071 'q'"],
    ['"\\x."', "1:1: illegal character U+002E '.' in escape sequence"],
    ['"\\', '1:1: escape sequence not terminated'],
    // Columns count bytes of UTF-8, as Go does.
    ['foo{a="é"} +', '1:14: unexpected end of input'],
  ];

  it('takes offset as a metric name where an operand belongs, as Prometheus', () => {
    const vs = parseExpr('offset{step="1s"}[5m]') as MatrixSelector;
    expect(vs.vector.name).toBe('offset');
    expect(vs.vector.matchers.map((m) => [m.name, m.value])).toEqual([['__name__', 'offset'], ['step', '1s']]);
    const b = parseExpr('offset offset 5m + on(a) group_left OFFSET') as BinaryExpr;
    expect(b.lhs).toMatchObject({ type: 'VectorSelector', name: 'offset', offsetMs: 300_000 });
    expect(b.rhs).toMatchObject({ type: 'VectorSelector', name: 'OFFSET', offsetMs: 0 });
    expect(parseSeriesSelector('offset{a="b"}').map((m) => [m.name, m.value])).toEqual([['__name__', 'offset'], ['a', 'b']]);
    expect(errorOf('x @ offset')).toBe('1:5: parse error: unexpected <offset> in @, expected timestamp');
  });

  it.each(MISTAKES)('words %j as Prometheus 3 does', (q, want) => {
    const [, at, rest] = /^(\d+:\d+): (.*)$/.exec(want)!;
    expect(errorOf(q)).toBe(`${at}: parse error: ${rest}`);
  });
});

describe('the first of several errors', () => {
  // Prometheus records syntax and lexer errors and its grammar actions' errors as its parser
  // meets them, type-checks only a query that parsed, and reports the first error recorded. The
  // table side by side with Prometheus 2.42 is test/compat/first-error.test.ts.
  it('reports a grammar-action error before a later syntax error, a type error never', () => {
    expect(errorOf('sum() + foo bar')).toBe('1:1: parse error: no arguments for aggregate expression provided');
    expect(errorOf('x @ 1 @ 2 foo')).toBe('1:1: parse error: @ <timestamp> may not be set multiple times');
    expect(errorOf('(1)[5m] foo')).toBe('1:4: parse error: ranges only allowed for vector selectors');
    expect(errorOf('1e400 + foo bar')).toBe('1:1: parse error: error parsing number: strconv.ParseFloat: parsing "1e400": value out of range');
    expect(errorOf('foo bar + sum()')).toBe('1:5: parse error: unexpected identifier "bar"');
    expect(errorOf('rate(x) +')).toBe('1:10: parse error: unexpected end of input');
    expect(errorOf('{a=""} foo')).toBe('1:8: parse error: unexpected identifier "foo"');
  });

  it('checks an aggregation after the token that follows it, a function call at once', () => {
    // `sum(x)` may go on with `by (...)`: the parser reads the next token first, and a lexer
    // error there wins; after a modifier, or a closing parenthesis, the aggregation is complete.
    expect(errorOf('sum() $')).toBe("1:7: parse error: unexpected character: '$'");
    expect(errorOf('sum() by (a) $')).toBe('1:1: parse error: no arguments for aggregate expression provided');
    expect(errorOf('(sum()) $')).toBe('1:2: parse error: no arguments for aggregate expression provided');
    expect(errorOf('nosuch() $')).toBe('1:1: parse error: unknown function with name "nosuch"');
    expect(errorOf('sum(x) offset 1m $')).toBe('1:1: parse error: offset modifier must be preceded by an instant vector selector or range vector selector or a subquery');
  });

  it('type-checks children before their parent', () => {
    expect(errorOf('topk("a", rate(x))')).toBe('1:16: parse error: expected type range vector in call to function "rate", got instant vector');
    expect(errorOf('round(rate(x), "a")')).toBe('1:12: parse error: expected type range vector in call to function "rate", got instant vector');
    expect(errorOf('sum(-"s")')).toBe('1:5: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"');
    expect(errorOf('(-"s")[5m:]')).toBe('1:2: parse error: unary expression only allowed on expressions of type scalar or instant vector, got "string"');
    expect(errorOf('(1 > 2) + {a=""}')).toBe('1:4: parse error: comparisons between scalars must use BOOL modifier');
    expect(errorOf('1 + bool 2 > 3')).toBe('1:3: parse error: bool modifier can only be used on comparison operators');
  });

  it('reports errors inside a call before the call is complete', () => {
    expect(errorOf('rate(sum()) foo')).toBe('1:6: parse error: no arguments for aggregate expression provided');
    expect(errorOf('nosuch(sum())')).toBe('1:8: parse error: no arguments for aggregate expression provided');
    // An unknown function is a parsing error: its arguments are never type-checked.
    expect(errorOf('nosuch(rate(x))')).toBe('1:1: parse error: unknown function with name "nosuch"');
  });

  it('words the experimental features Prometheus 3 has behind flags as it does without them', () => {
    expect(errorOf('a + fill(0) b')).toBe('1:1: parse error: binop fill modifiers are experimental and not enabled');
    expect(errorOf('x[1m+1m]')).toBe('1:3: parse error: experimental duration expression is not enabled');
    expect(errorOf('x[(1m)]')).toBe('1:4: parse error: experimental duration expression is not enabled');
    expect(errorOf('x[5m] smoothed foo bar')).toBe('1:1: parse error: smoothed modifier is experimental and not enabled');
    expect(errorOf('sum by ("") (x)')).toBe('1:9: parse error: invalid label name for grouping: ""');
  });

  it('accepts group_left without matching labels between a scalar and a vector, as Prometheus', () => {
    expect((parseExpr('1 + on() group_left x') as BinaryExpr).matching).toBeNull();
  });
});

describe('formatExpr', () => {
  it('prints canonical PromQL that parses back to the same tree', () => {
    const cases: [string, string][] = [
      ['sum(rate(foo{a="b"}[5m])) by (job)', 'sum by (job) (rate(foo{a="b"}[5m]))'],
      ['foo offset 1h30m @ 100', 'foo @ 100.000 offset 1h30m'],
      ['a+on(b)group_left(c)d', 'a + on (b) group_left (c) d'],
      ['a > bool b', 'a > bool b'],
      ['topk without(x)(5, m)', 'topk without (x) (5, m)'],
      ['m[1h:] offset -5m', 'm[1h:] offset -5m'],
      ['-(1 + 2) ^ 3', '-(1 + 2) ^ 3'],
      ['{__name__="up", job="a"}', '{__name__="up",job="a"}'],
      ['up{z="1", a!~"x"}', 'up{a!~"x",z="1"}'],
      ['Inf', '+Inf'],
      ['1e21', '1000000000000000000000'],
      ['m[14d]', 'm[2w]'],
      ['x{a="tab\\there\\x1b"}', 'x{a="tab\\there\\x1b"}'],
      ['"q\\"uote"', '"q\\"uote"'],
    ];
    for (const [input, want] of cases) {
      const e = parseExpr(input);
      expect(formatExpr(e)).toBe(want);
      expect(stripPos(parseExpr(formatExpr(e)))).toEqual(stripPos(e));
    }
  });

  it('splits expressions longer than 100 characters over indented lines', () => {
    const long = 'sum by (job) (rate(http_requests_total{job="api-server",handler=~"/api/v1/.*",code=~"5.."}[5m])) / sum by (job) (rate(http_requests_total{job="api-server"}[5m]))';
    expect(formatExpr(parseExpr(long))).toBe([
      '  sum by (job) (rate(http_requests_total{code=~"5..",handler=~"/api/v1/.*",job="api-server"}[5m]))',
      '/',
      '  sum by (job) (rate(http_requests_total{job="api-server"}[5m]))',
    ].join('\n'));
    const agg = `max(${'a_very_long_metric_name_for_testing + '.repeat(3)}x)`;
    expect(formatExpr(parseExpr(agg)).split('\n')).toEqual([
      // ((a + a) + a) + x: each level splits only while its own text exceeds 100 characters.
      'max(',
      '      a_very_long_metric_name_for_testing + a_very_long_metric_name_for_testing',
      '    +',
      '      a_very_long_metric_name_for_testing',
      '  +',
      '    x',
      ')',
    ]);
  });

  it('formats durations as Prometheus', () => {
    expect(formatDuration(5_400_000)).toBe('1h30m');
    expect(formatDuration(90 * 86_400_000)).toBe('90d');
    expect(formatDuration(1500)).toBe('1s500ms');
    expect(parseDurationMs('1y2w3d4h5m6s7ms')).toBe(((((365 + 14 + 3) * 24 + 4) * 60 + 5) * 60 + 6) * 1000 + 7);
  });

  it('renders the parse_query JSON tree', () => {
    expect(exprToJSON(parseExpr('sum by (job) (rate(up{a="b"}[5m] @ start())) > bool 1'))).toEqual({
      type: 'binaryExpr',
      op: '>',
      bool: true,
      matching: null,
      lhs: {
        type: 'aggregation', op: 'sum', grouping: ['job'], without: false, param: null,
        expr: {
          type: 'call',
          func: { name: 'rate', argTypes: ['matrix'], variadic: 0, returnType: 'vector' },
          args: [{
            type: 'matrixSelector', name: 'up', range: 300_000, offset: 0, timestamp: null, startOrEnd: 'start',
            matchers: [{ type: '=', name: 'a', value: 'b' }, { type: '=', name: '__name__', value: 'up' }],
          }],
        },
      },
      rhs: { type: 'numberLiteral', val: '1' },
    });
  });
});

/** The tree without positions and printing hints, matchers in a canonical order. */
function stripPos(e: Expr): unknown {
  return JSON.parse(JSON.stringify(e, (k, v: unknown) => {
    if (k === 'pos' || k === 'explicit' || k === 'hasGrouping') return undefined;
    if (k === 'matchers') return (v as { name: string; type: string; value: string }[]).map((m) => `${m.name}${m.type}${m.value}`).sort();
    return v;
  }));
}
