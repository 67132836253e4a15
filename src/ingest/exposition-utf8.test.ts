// Quoted UTF-8 names in the text format, as Prometheus 3 writes and reads them (prometheus/common
// expfmt with escaping=allow-utf-8; Prometheus 3's text parser): `{"my.metric","a.b"="c"} 1`,
// `foo{"a.b"="c"} 1`, `# HELP "my.metric" ...`. Prometheus 2.42 (the one on this machine) refuses
// all of these, so the expectations follow Prometheus 3's documentation ("UTF-8 in Prometheus")
// and the escaping schemes spec. Bodies without quoted names parse as before (the existing
// exposition and side-by-side scrape tests).
import { describe, expect, it } from 'vitest';
import { labelsToString, type SampleBatch } from '../model/index.ts';
import { ExpositionError, parseExposition } from './exposition.ts';

function series(b: SampleBatch): string[] {
  return b.series.map((ls, i) => `${labelsToString(ls)} ${b.values[i]}`);
}

const parse = (text: string, lenient = false) => parseExposition(text, { defaultTimestamp: 1000, lenient });

describe('quoted names in text 0.0.4 / 1.0.0', () => {
  const body = [
    '# HELP "http.server.duration" Time spent, in "seconds".',
    '# TYPE "http.server.duration" histogram',
    '{"http.server.duration_bucket","http.route"="/a",le="+Inf"} 3',
    '{"http.server.duration_count", "http.route"="/a"} 3',
    'plain_total{"service.name"="café",job="x"} 7',
    '{"quoted\\"name\\\\x"} 1',
    '{a="1","name.in.the.middle"} 2',
    '',
  ].join('\n');

  for (const lenient of [false, true]) {
    it(`reads names in braces and quoted label names (${lenient ? 'scrape' : 'push'} reading)`, () => {
      const p = parse(body, lenient);
      expect(series(p.batch)).toEqual([
        '{"http.server.duration_bucket", "http.route"="/a", le="+Inf"} 3',
        '{"http.server.duration_count", "http.route"="/a"} 3',
        'plain_total{job="x", "service.name"="café"} 7',
        '{"quoted\\"name\\\\x"} 1',
        '{"name.in.the.middle", a="1"} 2',
      ]);
      expect(p.batch.series[3]).toEqual(['__name__', 'quoted"name\\x']);
      expect(p.metadata[0]).toMatchObject({ family: 'http.server.duration', type: 'histogram', help: 'Time spent, in "seconds".' });
    });
  }

  it.each([
    ['{"a.b","c.d"} 1\n', /second metric name "c.d"/],
    ['x{"a.b"} 1\n', /second metric name "a.b"/],
    ['{""} 1\n', /empty quoted name/],
    ['{a="1"} 1\n', /sample without a metric name/],
    ['{"a.b" 1\n', /expected "," or "}" after the metric name/],
    ['{"a.b} 1\n', /unterminated/],
  ])('refuses %j', (text, msg) => {
    expect(() => parse(text)).toThrow(ExpositionError);
    expect(() => parse(text)).toThrow(msg);
  });
});

describe('quoted names in OpenMetrics', () => {
  const body = [
    '# TYPE "http.server.requests" counter',
    '# HELP "http.server.requests" Requests.',
    '{"http.server.requests_total","http.route"="/a",code="200"} 3 # {"trace.id"="x"} 1',
    'plain_total{"a.b"="c"} 1',
    '# EOF',
    '',
  ].join('\n');

  // The scrape's reading (2.42's OpenMetrics parser, which takes the quoted name only first in the
  // braces) and the push/import reading (exposition.ts, anywhere in the braces).
  for (const lenient of [true, false]) {
    it(`reads quoted metric and label names (${lenient ? 'scrape' : 'push'} reading)`, () => {
      const p = parseExposition(body, { defaultTimestamp: 1000, openMetrics: true, lenient });
      expect(series(p.batch)).toEqual([
        '{"http.server.requests_total", code="200", "http.route"="/a"} 3',
        'plain_total{"a.b"="c"} 1',
      ]);
      expect(p.metadata[0]).toMatchObject({ family: 'http.server.requests', type: 'counter', help: 'Requests.' });
    });
  }

  it.each([
    ['x{"a.b"} 1\n# EOF\n', /second metric name "a.b"/],
    ['{"a.b","c.d"} 1\n# EOF\n', /second metric name "c.d"/],
    ['{""} 1\n# EOF\n', /empty quoted metric name/],
    ['{"a.b"c="d"} 1\n# EOF\n', /expected comma or left brace, got "LNAME"/],
    ['a_total 1 # {"x"} 1\n# EOF\n', /expected equal, got "BCLOSE"/],
  ])('the scrape reading refuses %j', (text, msg) => {
    expect(() => parseExposition(text, { defaultTimestamp: 1000, openMetrics: true, lenient: true })).toThrow(msg);
  });

  it('keeps 2.42\'s error for a sample starting with a brace and no quoted name', () => {
    expect(() => parseExposition('{a="b"} 1\n# EOF\n', { defaultTimestamp: 1000, openMetrics: true, lenient: true })).toThrow(/"INVALID" "\{" is not a valid start token/);
  });
});
