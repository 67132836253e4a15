// Printing queries with UTF-8 names as Prometheus 3 does (promql/parser/printer.go: grouping labels
// quoted unless of the classic metric-name charset; labels.Matcher.String quotes names outside
// [A-Za-z_][A-Za-z0-9_]*; a quoted metric name is a __name__ matcher). Prometheus 2.42 cannot parse
// these queries at all, so there is nothing to compare with on this machine.
import { describe, expect, it } from 'vitest';
import { labelsString } from './engine/values.ts';
import { exprString, formatExpr, parseExpr } from './index.ts';

const print = (q: string) => exprString(parseExpr(q));

describe('printing UTF-8 names', () => {
  it.each([
    ['{"my.metric", "a.b"="c"}', '{"a.b"="c",__name__="my.metric"}'],
    ['x{"a b"=~"c", job="j"}', 'x{"a b"=~"c",job="j"}'],
    // Prometheus 3 writes `c:d` bare here (it checks the metric-name charset), which its parser then
    // refuses ("unexpected metric identifier"); Strata quotes it.
    ['sum by ("a.b", job, "c:d") (x)', 'sum by ("a.b", job, "c:d") (x)'],
    ['count without ("héllo") (x)', 'count without ("héllo") (x)'],
    // Prometheus 3 writes these bare (`on (a.b)`), which does not parse again; Strata quotes them.
    ['a / on ("a.b") group_left ("c.d", e) b', 'a / on ("a.b") group_left ("c.d", e) b'],
    ['a and ignoring ("x y") b', 'a and ignoring ("x y") b'],
  ])('%s -> %s', (q, want) => {
    expect(print(q)).toBe(want);
    expect(print(want)).toBe(want);
  });

  it('pretty printing quotes the same way', () => {
    const long = 'sum by ("http.route") (rate({"http.server.request.duration.seconds.count", "service.name"="checkout"}[5m]))';
    expect(formatExpr(parseExpr(long))).toContain('sum by ("http.route") (');
  });
});

describe('label sets in error messages', () => {
  it('quotes names that are not classic, as Prometheus 3\'s Labels.String()', () => {
    expect(labelsString(['__name__', 'a.b', 'http.route', '/x', 'job', 'j'])).toBe('{__name__="a.b", "http.route"="/x", job="j"}');
  });
});
