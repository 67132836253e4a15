import { describe, expect, it } from 'vitest';
import { labelsFromRecord } from '../../model/index.ts';
import { MISSING, STALE, expandValues, parseDuration, parseNumber, parseScript, parseSeriesLine, type EvalCommand, type LoadCommand } from './parse.ts';

describe('expanding notation', () => {
  it('expands a+bxn into n+1 points and a-bxn downwards', () => {
    expect(expandValues('1+2x3')).toEqual([1, 3, 5, 7]);
    expect(expandValues('1-2x3')).toEqual([1, -1, -3, -5]);
    expect(expandValues('-2+4x3')).toEqual([-2, 2, 6, 10]);
    expect(expandValues('0+10x100')).toHaveLength(101);
  });
  it('repeats a value with axn, skips points with _ and _xn, keeps stale markers', () => {
    expect(expandValues('7x2')).toEqual([7, 7, 7]);
    expect(expandValues('1 _ _x2 4')).toEqual([1, MISSING, MISSING, MISSING, 4]);
    expect(expandValues('1 stale 2 stalex2')).toEqual([1, STALE, 2, STALE, STALE]);
  });
  it('reads special floats, exponents and several segments on one line', () => {
    const v = expandValues('Inf -Inf NaN 1e3 1.5e-1+1e-1x1 0x10');
    expect(v.slice(0, 2)).toEqual([Infinity, -Infinity]);
    expect(Number.isNaN(v[2])).toBe(true);
    expect(v[3]).toBe(1000);
    expect(v[4]).toBe(0.15);
    expect(v[5]).toBeCloseTo(0.25, 12);
    // No hex in series descriptions (as Prometheus' lexer): 0x10 is 0 repeated 11 times.
    expect(v.slice(6)).toEqual(new Array(11).fill(0));
    expect(expandValues('0+1x2 10+0x1 _x1 3')).toEqual([0, 1, 2, 10, 10, MISSING, 3]);
  });
  it('rejects malformed tokens', () => {
    expect(() => expandValues('1+x3')).toThrow();
    expect(() => expandValues('abc')).toThrow();
    expect(() => parseNumber('1..2')).toThrow();
  });
});

describe('durations', () => {
  it('parses compound durations and plain seconds into ms', () => {
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('10m')).toBe(600_000);
    expect(parseDuration('1h30m')).toBe(5_400_000);
    expect(parseDuration('1m30s500ms')).toBe(90_500);
    expect(parseDuration('100')).toBe(100_000);
    expect(parseDuration('-5m')).toBe(-300_000);
    expect(() => parseDuration('5x')).toThrow();
    expect(() => parseDuration('m5')).toThrow();
  });
});

describe('series lines', () => {
  it('parses a metric name, labels with any quoting, and the rest', () => {
    const { labels, rest } = parseSeriesLine(`foo{a="x\\"y", b='z', c=\`w\`} 1 2`);
    expect(labels).toEqual(labelsFromRecord({ __name__: 'foo', a: 'x"y', b: 'z', c: 'w' }));
    expect(rest.trim()).toBe('1 2');
    expect(parseSeriesLine('{} 3').labels).toEqual([]);
    expect(parseSeriesLine('{"my.metric", "a.b"="c"} 1').labels).toEqual(labelsFromRecord({ __name__: 'my.metric', 'a.b': 'c' }));
  });
});

describe('scripts', () => {
  const script = `
# comment
load 30s
    foo{a="1"} 1+1x3
    bar 5 _ stale

clear

eval instant at 1m30s sum(foo)
    {} 4

eval_ordered instant at 1m sort(foo)
  foo{a="1"} 3

eval range from 0 to 2m step 1m foo
    foo{a="1"} 1 _ 5

eval instant at 0 1 + 1
    2

eval instant at 0 "hello"
    "hello"

eval_fail instant at 0 foo +
    expected_fail_regexp unexpected.*

eval instant at 0 foo
expect fail msg: "boom"

eval instant at 0 foo
    expect ordered
    expect warn regex: some.*
    expect warn msg: "exactly this"
    expect no_info

eval_warn instant at 0 foo
`;
  const cmds = parseScript(script);
  it('reads load blocks with their interval and series', () => {
    const load = cmds[0] as LoadCommand;
    expect(load.kind).toBe('load');
    expect(load.intervalMs).toBe(30_000);
    expect(load.series.map((s) => s.values.length)).toEqual([4, 3]);
    expect(load.series[1].line).toBe(5);
    expect(cmds[1].kind).toBe('clear');
  });
  it('reads instant and range evals with their expectations', () => {
    const evals = cmds.filter((c): c is EvalCommand => c.kind === 'eval');
    expect(evals.map((e) => e.line)).toEqual([9, 12, 15, 18, 21, 24, 27, 30, 36]);
    expect(evals[0]).toMatchObject({ range: false, timeMs: 90_000, expr: 'sum(foo)', expectFail: false, ordered: false });
    expect(evals[0].series[0].values).toEqual([4]);
    expect(evals[1].ordered).toBe(true);
    expect(evals[2]).toMatchObject({ range: true, startMs: 0, endMs: 120_000, stepMs: 60_000, expr: 'foo' });
    expect(evals[2].series[0].values).toEqual([1, MISSING, 5]);
    expect(evals[3].scalar).toBe(2);
    expect(evals[4].string).toBe('hello');
    expect(evals[5].expectFail).toBe(true);
    expect(evals[5].failRegexp?.test('1:5: parse error: unexpected end of input')).toBe(true);
    expect(evals[6]).toMatchObject({ expectFail: true, failMessage: 'boom' });
    expect(evals[7]).toMatchObject({ expectFail: false, ordered: true, expectWarn: true });
    expect(evals[7].warnings).toEqual([{ regexp: /some.*/ }, { exact: 'exactly this' }]);
    expect(evals[8]).toMatchObject({ expectWarn: true, warnings: [] });
    expect(evals[0].expectWarn).toBe(false);
  });
  it('names the line of a malformed command', () => {
    expect(() => parseScript('load 1m\n  foo 1 2\n\neval instant at 1m foo\n  foo x+1\n')).toThrow(/line 5/);
    expect(() => parseScript('frobnicate foo')).toThrow(/line 1: unknown command/);
    expect(() => parseScript('eval instant at 1q foo')).toThrow(/line 1/);
  });
});
