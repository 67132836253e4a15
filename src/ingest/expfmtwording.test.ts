import { describe, expect, it } from 'vitest';
import { expfmtParseError } from './expfmtwording.ts';

// The expected words are the Pushgateway 1.5.1's answers to the same bodies
// (test/compat/pushgateway.test.ts sends these and more to the real one).
describe('expfmt wording of a pushed text', () => {
  it('words the first error as expfmt does, with its line', () => {
    const cases: [string, string][] = [
      ['x{ 1\n', 'line 1: invalid label name for metric "x"'],
      ['x 1\ny is\n', 'line 2: expected float as value, got "is"'],
      ['x{a="1",a="2"} 1\n', 'line 1: duplicate label names for metric "x"'],
      ['x{__name__="y"} 1\n', 'line 1: label name "__name__" is reserved'],
      ['x{a=1} 1\n', 'line 1: expected \'"\' at start of label value, found \'1\''],
      ['x{a "1"} 1\n', 'line 1: expected \'=\' after label name, found \'"\''],
      ['x{a="1" b="2"} 1\n', 'line 1: unexpected end of label value "1"'],
      ['x{a="1\ny"} 1\n', 'line 1: label value "1" contains unescaped new-line'],
      ['x{a="\\x"} 1\n', "line 1: invalid escape sequence '\\x'"],
      ['x 1 1.5\n', 'line 1: expected integer as timestamp, got "1.5"'],
      ['x 1 2 3\n', 'line 1: spurious string after timestamp: " 3"'],
      ['# TYPE x gauge\n# TYPE x counter\n', 'line 2: second TYPE line for metric name "x", or TYPE reported after samples'],
      ['x 1\n# TYPE x gauge\n', 'line 2: second TYPE line for metric name "x", or TYPE reported after samples'],
      ['# HELP x a\n# HELP x b\n', 'line 2: second HELP line for metric name "x"'],
      ['# TYPE x nonsense\n', 'line 1: unknown metric type "nonsense"'],
      ['# HELP x-y a\n', 'line 1: invalid metric name in comment'],
      ['# TYPE s summary\ns{quantile="x"} 1\n', "line 2: expected float as value for 'quantile' label, got \"x\""],
      ['# TYPE h histogram\nh_bucket{le="big"} 1\n', "line 2: expected float as value for 'le' label, got \"big\""],
      ['{a="1"} 1\n', 'line 1: invalid metric name'],
      ['x 1', 'line 1: unexpected end of input stream'],
      ['x 1\n# comment', 'line 2: unexpected end of input stream'],
    ];
    for (const [body, want] of cases) expect(expfmtParseError(body), JSON.stringify(body)).toBe(`text format parsing error in ${want}`);
  });

  it('accepts what expfmt accepts', () => {
    for (const body of ['', 'x 1\n', 'x 1\n   ', '# TYPE x GAUGE\nx{a="1",} 1 -5\n', '# HELP x a \\\\ b \\n c\nx{a="\\\\ \\" \\n"} +Inf\n', 'x NaN\n\n# just a comment\n']) {
      expect(expfmtParseError(body), JSON.stringify(body)).toBeNull();
    }
  });
});
