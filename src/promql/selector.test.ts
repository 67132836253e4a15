import { describe, expect, it } from 'vitest';
import { matcherToString } from '../model/index.ts';
import { ParseError } from './errors.ts';
import { parseLabelSelector, parseSeriesSelector } from './selector.ts';

const parsed = (s: string) => parseSeriesSelector(s).map(matcherToString);

function parseError(s: string): ParseError {
  try {
    parseSeriesSelector(s);
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw new Error(`expected ParseError for ${JSON.stringify(s)}, got ${String(e)}`);
  }
  throw new Error(`expected ParseError for ${JSON.stringify(s)}`);
}

describe('parseSeriesSelector', () => {
  it.each([
    ['up', ['__name__="up"']],
    ['{job="x"}', ['job="x"']],
    ['node_cpu_seconds_total{mode!="idle",cpu=~"1|2"}', ['__name__="node_cpu_seconds_total"', 'mode!="idle"', 'cpu=~"1|2"']],
    ['{__name__=~"node_.*"}', ['__name__=~"node_.*"']],
    ['  up{job="x",}  ', ['__name__="up"', 'job="x"']],
    ['# comment\nup{\n  job="x"\n}', ['__name__="up"', 'job="x"']],
    ['sum{job="x"}', ['__name__="sum"', 'job="x"']], // aggregation keywords are valid metric names
    ['{on="a", offset="b", bool="c"}', ['on="a"', 'offset="b"', 'bool="c"']],
    ['{"utf8.metric", "label.name"="v"}', ['__name__="utf8.metric"', 'label.name="v"']],
    ['{job="", instance=~"x.+"}', ['job=""', 'instance=~"x.+"']],
    ['{__name__=~"node_.*", __name__!="node_load1"}', ['__name__=~"node_.*"', '__name__!="node_load1"']],
    ['{job="x", "quoted"}', ['job="x"', '__name__="quoted"']],
  ])('%j', (input, expected) => {
    expect(parsed(input)).toEqual(expected);
  });

  it('builds working matchers', () => {
    const [name, mode, cpu] = parseSeriesSelector('node_cpu_seconds_total{mode!="idle",cpu=~"1|2"}');
    expect(name.matches('node_cpu_seconds_total')).toBe(true);
    expect(mode.matches('idle')).toBe(false);
    expect(mode.matches('user')).toBe(true);
    expect(cpu.matches('2')).toBe(true);
    expect(cpu.matches('12')).toBe(false);
  });

  it('unquotes strings as PromQL does', () => {
    const value = (s: string) => parseSeriesSelector(`{a=${s}}`)[0].value;
    expect(value(String.raw`"tab\there, quote\" backslash\\ bell\a nl\n"`)).toBe('tab\there, quote" backslash\\ bell\x07 nl\n');
    expect(value(String.raw`'single \'quoted\' with "double"'`)).toBe(`single 'quoted' with "double"`);
    expect(value(String.raw`"double with 'single'"`)).toBe(`double with 'single'`);
    expect(value('`raw \\n \\d+ "x"`')).toBe('raw \\n \\d+ "x"');
    expect(value(String.raw`"\u00e9\x41\303\251\U0001F98A"`)).toBe('éAé🦊');
    expect(value(String.raw`"\xc3\xa9"`)).toBe('é'); // bytes of one UTF-8 character
    expect(value(String.raw`"\\d+"`)).toBe('\\d+');
  });

  it.each([
    ['up{job="x', '1:8: parse error: unterminated quoted string'],
    ['up{job="a\\"}', '1:8: parse error: unterminated quoted string'],
    ['up{', '1:4: parse error: unexpected end of input inside braces'],
    // Prometheus' lexer, not its parser, refuses input ending inside braces, whatever came before.
    ['{job=', '1:6: parse error: unexpected end of input inside braces'],
    ['{job="a"', '1:9: parse error: unexpected end of input inside braces'],
    ['{job', '1:5: parse error: unexpected end of input inside braces'],
    ['up{job}', '1:7: parse error: unexpected "}" in label matching, expected a label matching operator (=, !=, =~ or !~)'],
    ['up{job=}', '1:8: parse error: unexpected "}" in label matching, expected a quoted string'],
    ['up{job="x" a="y"}', '1:12: parse error: unexpected "a" inside braces, expected "," or "}"'],
    ['{,}', '1:2: parse error: unexpected "," inside braces'],
    ['', '1:1: parse error: unexpected end of input'],
    ['up + 1', '1:4: parse error: unexpected "+" after the series selector: a binary expression is not a series selector'],
    ['up[5m]', '1:3: parse error: unexpected "[" after the series selector: a range selector is not a series selector'],
    ['up offset 5m', '1:4: parse error: unexpected "offset" after the series selector: an offset modifier is not a series selector'],
    ['sum(up)', '1:1: parse error: expected a series selector (a metric name and/or label matchers), got an aggregation'],
    ['rate(up[5m])', '1:1: parse error: expected a series selector (a metric name and/or label matchers), got a function call'],
    ['42', '1:1: parse error: expected a series selector (a metric name and/or label matchers), got a number'],
    ['{}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{job=""}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['{job=~".*", x!="y"}', '1:1: parse error: vector selector must contain at least one non-empty matcher'],
    ['foo{__name__="bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['foo{"bar"}', '1:1: parse error: metric name must not be set twice: "foo" or "bar"'],
    ['x + foo{job="a", __name__=~"b"}', '1:3: parse error: unexpected "+" after the series selector'],
    ['up{a="\\q"}', '1:7: parse error: unknown escape sequence "\\\\q"'],
    ['up{a="\\xff"}', '1:7: parse error: invalid UTF-8 in string escape sequences'],
    ['up{a="\\400"}', '1:7: parse error: octal escape value \\400 > 255'],
    ['up{a="\\ud800"}', '1:7: parse error: escape sequence \\ud800 is an invalid Unicode code point'],
    ['up{a="\\x4g"}', '1:7: parse error: invalid escape sequence "\\\\x4g": expected 2 hexadecimal digits'],
    ["up{a='\\\"'}", '1:7: parse error: unknown escape sequence "\\\\\\""'],
    // Go's regexp error, at the label name (Prometheus 3 parses the bare value).
    ['up{\n  job=~"("}', '2:3: parse error: error parsing regexp: missing closing ): `(`'],
  ])('refuses %j', (input, message) => {
    const e = parseError(input);
    expect(e.message.startsWith(message), `${e.message} should start with ${message}`).toBe(true);
  });

  it('gives positions as line, column and offset', () => {
    const e = parseError('up{\n  job=}');
    expect([e.line, e.column, e.position]).toEqual([2, 7, 10]);
    expect(e.detail).toBe('unexpected "}" in label matching, expected a quoted string');
  });
});

describe('parseLabelSelector', () => {
  it('takes selectors that match every label set, as Prometheus\' ParseMetricSelector (match_target) does', () => {
    expect(parseLabelSelector('{}')).toEqual([]);
    expect(parseLabelSelector('{job=""}').map(matcherToString)).toEqual(['job=""']);
    expect(parseLabelSelector('{job=~".*", x!="y"}').map(matcherToString)).toEqual(['job=~".*"', 'x!="y"']);
    expect(() => parseLabelSelector('{job=')).toThrow('1:6: parse error: unexpected end of input inside braces');
    expect(parseLabelSelector('foo{__name__="bar"}').map(matcherToString)).toEqual(['__name__="foo"', '__name__="bar"']);
  });
});
