// OpenMetrics as a scrape reads it (Prometheus 2.42's reading). The words here are what a running
// 2.42 answered for the same bodies; test/scrape-openmetrics.test.ts compares them with one live.
import { describe, expect, it } from 'vitest';
import type { SampleBatch } from '../model/index.ts';
import { ExpositionError, parseExposition } from './exposition.ts';
import { parseOpenMetricsScrape } from './openmetrics.ts';

const T0 = 1_700_000_000_000;
const E = '# EOF\n';

function lines(b: SampleBatch): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.series.length; i++) {
    const ls = b.series[i];
    const pairs: string[] = [];
    for (let k = 2; k < ls.length; k += 2) pairs.push(`${ls[k]}=${JSON.stringify(ls[k + 1])}`);
    for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) out.push(`${ls[1]}{${pairs.join(',')}} ${b.values[j]}@${b.timestamps[j]}`);
  }
  return out;
}

function failure(text: string, invalidUtf8 = false): ExpositionError {
  try {
    parseOpenMetricsScrape(text, T0, invalidUtf8);
  } catch (e) {
    return e as ExpositionError;
  }
  throw new Error(`accepted: ${JSON.stringify(text)}`);
}

describe('parseOpenMetricsScrape', () => {
  it.each([
    // # EOF
    ['a 1\n', 'data does not end with # EOF'],
    ['', 'data does not end with # EOF'],
    ['a 1', 'data does not end with # EOF'],
    ['a 1 2', 'expected next entry after timestamp, got "EOF"'],
    ['a 1\n# EOF\nb 1\n', 'unexpected data after # EOF'],
    ['a 1\n# EOF\n\n', 'unexpected data after # EOF'],
    ['a 1\n# EOF \n', 'unexpected data after # EOF'],
    ['a 1\r\n# EOF\r\n', 'strconv.ParseFloat: parsing "1\\r": invalid syntax'],
    ['a 1\n# EOF\r\n', 'unexpected data after # EOF'],
    ['# EOFX\n', 'unexpected data after # EOF'],
    // Lines that start nothing 2.42 knows.
    ['a 1\n\nb 1\n' + E, '"INVALID" "\\n" is not a valid start token'],
    ['# hello\na 1\n' + E, '"INVALID" "h" is not a valid start token'],
    ['#hello\n' + E, '"INVALID" "h" is not a valid start token'],
    ['# HELLO\n' + E, '"INVALID" "L" is not a valid start token'],
    ['# eof\n', '"INVALID" "e" is not a valid start token'],
    ['# \n' + E, '"INVALID" "\\n" is not a valid start token'],
    ['# HELP\ta x\n' + E, '"INVALID" "\\t" is not a valid start token'],
    ['{b="c"} 1\n' + E, '"INVALID" "{" is not a valid start token'],
    ['1a 1\n' + E, '"INVALID" "1" is not a valid start token'],
    ['é 1\n' + E, '"INVALID" "Ã" is not a valid start token'],
    ['\x01 1\n' + E, '"INVALID" "\\x01" is not a valid start token'],
    // HELP, TYPE, UNIT
    ['# TYPE a COUNTER\n' + E, 'invalid metric type "COUNTER"'],
    ['# TYPE a untyped\n' + E, 'invalid metric type "untyped"'],
    ['# TYPE a counter extra\n' + E, 'invalid metric type "counter extra"'],
    ['# TYPE a counter \n' + E, 'invalid metric type "counter "'],
    ['# TYPE a \n' + E, 'invalid metric type ""'],
    ['# TYPE a\n' + E, 'expected text in TYPE'],
    ['# TYPE a\tcounter\n' + E, 'expected text in TYPE'],
    ['# TYPE a counter', 'expected text in TYPE'],
    ['# HELP a\n' + E, 'expected text in HELP'],
    ['# UNIT a\n' + E, 'expected text in UNIT'],
    ['# TYPE \n' + E, 'expected metric name after TYPE, got "INVALID"'],
    ['# TYPE  a counter\n' + E, 'expected metric name after TYPE, got "INVALID"'],
    ['# HELP 1a x\n' + E, 'expected metric name after HELP, got "INVALID"'],
    ['# UNIT 1a x\n' + E, 'expected metric name after UNIT, got "INVALID"'],
    ['# UNIT a_bytes seconds\n' + E, 'unit not a suffix of metric "a_bytes"'],
    ['# UNIT seconds seconds\n' + E, 'unit not a suffix of metric "seconds"'],
    ['# UNIT aseconds seconds\n' + E, 'unit not a suffix of metric "aseconds"'],
    // Values and timestamps: one blank before each, Go's ParseFloat.
    ['a is\n' + E, 'strconv.ParseFloat: parsing "is": invalid syntax'],
    ['a 1e400\n' + E, 'strconv.ParseFloat: parsing "1e400": value out of range'],
    ['a 0x1p3\n' + E, 'unsupported character in float'],
    ['a 1_000\n' + E, 'unsupported character in float'],
    ['a +NaN\n' + E, 'strconv.ParseFloat: parsing "+NaN": invalid syntax'],
    ['a\n' + E, 'expected value after metric, got "INVALID"'],
    ['a', 'expected value after metric, got "EOF"'],
    ['a  1\n' + E, 'expected value after metric, got "INVALID"'],
    ['a\t1\n' + E, 'expected value after metric, got "INVALID"'],
    ['a 1\t2\n' + E, 'strconv.ParseFloat: parsing "1\\t2": invalid syntax'],
    ['a 1 \n' + E, 'expected timestamp or # symbol, got "INVALID"'],
    ['a 1 # x\n' + E, 'expected timestamp or # symbol, got "INVALID"'],
    ['a 1 #\n' + E, 'strconv.ParseFloat: parsing "#": invalid syntax'],
    ['a 1 soon\n' + E, 'strconv.ParseFloat: parsing "soon": invalid syntax'],
    ['a 1 NaN\n' + E, 'invalid timestamp'],
    ['a 1 +Inf\n' + E, 'invalid timestamp'],
    ['a 1 2 3\n' + E, 'expected next entry after timestamp, got "TIMESTAMP"'],
    ['a 1 2 #\n' + E, 'expected next entry after timestamp, got "TIMESTAMP"'],
    ['a_total 1 2 # x\n' + E, 'expected next entry after timestamp, got "INVALID"'],
    ['a 1 2\t\n' + E, 'strconv.ParseFloat: parsing "2\\t": invalid syntax'],
    // Label sets: no blanks, no trailing comma.
    ['a{1b="c"} 1\n' + E, 'expected label name or left brace, got "INVALID"'],
    ['a{,b="c"} 1\n' + E, 'expected label name or left brace, got "COMMA"'],
    ['a{ b="c"} 1\n' + E, 'expected label name or left brace, got "INVALID"'],
    ['a{b="c",} 1\n' + E, 'expected label name, got "BCLOSE"'],
    ['a{b="c" d="e"} 1\n' + E, 'expected comma or left brace, got "INVALID"'],
    ['a{b="c"d="e"} 1\n' + E, 'expected comma, got "LNAME"'],
    ['a{b="c"', 'expected comma or left brace, got "EOF"'],
    ['a{b "c"} 1\n' + E, 'expected equal, got "INVALID"'],
    ['a{b = "c"} 1\n' + E, 'expected equal, got "INVALID"'],
    ['a{b:c="d"} 1\n' + E, 'expected equal, got "INVALID"'],
    ['a{b=c} 1\n' + E, 'expected label value, got "INVALID"'],
    ['a{b="c} 1\n' + E, 'expected label value, got "INVALID"'],
    ['a{b="x\\\ny"} 1\n' + E, 'expected label value, got "INVALID"'],
    ['a{b="c', 'expected label value, got "INVALID"'],
    ['a{b="c"}\n' + E, 'expected value after metric, got "INVALID"'],
    ['a{b="c"}1\n' + E, 'expected value after metric, got "INVALID"'],
    ['a{b="c"}  1\n' + E, 'expected value after metric, got "INVALID"'],
    ['a{b="c"}{d="e"} 1\n' + E, 'expected value after metric, got "BOPEN"'],
    ['a {b="c"} 1\n' + E, 'strconv.ParseFloat: parsing "{b=\\"c\\"}": invalid syntax'],
    ['a{b="1",b="2"} 1\n' + E, 'label name "b" is not unique: invalid sample'],
    ['a{__name__="b"} 1\n' + E, 'label name "__name__" is not unique: invalid sample'],
    // Exemplars: only on _total and _bucket, read to the end of the line.
    ['a 1 # {t="x"} 1\n' + E, 'metric name a does not support exemplars'],
    ['a 1 # {1t="x"} 1\n' + E, 'metric name a does not support exemplars'],
    ['a_total 1 # {t="x"} x\n' + E, 'strconv.ParseFloat: parsing "x": invalid syntax'],
    ['a_total 1 # {t="x"}\n' + E, 'expected value after exemplar labels, got "INVALID"'],
    ['a_total 1 # {t="x"} 1 soon\n' + E, 'strconv.ParseFloat: parsing "soon": invalid syntax'],
    ['a_total 1 # {t="x"} 1 NaN\n' + E, 'invalid exemplar timestamp'],
    ['a_total 1 # x\n' + E, 'expected timestamp or # symbol, got "INVALID"'],
    ['a_total 1  # {t="x"} 1\n' + E, 'expected timestamp or # symbol, got "INVALID"'],
    ['a_total 1 123 # {t="x"} z\n' + E, 'strconv.ParseFloat: parsing "z": invalid syntax'],
    ['a_total 1 # {t="x"} 1 2 3\n' + E, 'expected next entry after exemplar timestamp, got "TIMESTAMP"'],
    ['a_total 1 # {t="x"} 1 2', 'expected next entry after exemplar timestamp, got "EOF"'],
    ['a_total 1 # {t="x"} 1', 'data does not end with # EOF'],
    ['a_total 1 # {t="x",} 1\n' + E, 'expected label name, got "BCLOSE"'],
    ['a_total 1 # {1t="x"} 1\n' + E, 'expected label name or left brace, got "INVALID"'],
    ['a_total 1 # {t= 1} 1\n' + E, 'expected label value, got "VALUE"'],
    // The exemplar is read before the head sees the duplicate label.
    ['a_total{b="1",b="2"} 1 # {t} 1\n' + E, 'expected equal, got "BCLOSE"'],
  ])('%j: %s', (text, words) => {
    const e = failure(text);
    expect(e).toBeInstanceOf(ExpositionError);
    expect(e.prometheusMessage).toBe(words);
  });

  it('refuses a timestamp beyond 2^53 ms, which the head cannot store (2.42 stores it, or drops what overflows an int64)', () => {
    expect(failure('a 1 9007199254741\n' + E).prometheusMessage).toBe('timestamp 9007199254741000 ms is beyond 2^53 ms, which Strata cannot store (Prometheus stores up to 2^63)');
    expect(failure('a 1 1e300\n' + E).prometheusMessage).toBe('timestamp -9223372036854775808 ms is beyond 2^53 ms, which Strata cannot store (Prometheus stores up to 2^63)');
    expect(lines(parseOpenMetricsScrape('a 1 9007199254740\n' + E, T0).batch)).toEqual(['a{} 1@9007199254740000']);
    // The rest of the line is read first, as 2.42 does before it stores the sample.
    expect(failure('a 1 1e300 2\n' + E).prometheusMessage).toBe('expected next entry after timestamp, got "TIMESTAMP"');
  });

  it('names the line of the entry that failed', () => {
    const e = failure('# TYPE a gauge\na 1\nb x\n' + E);
    expect([e.line, e.message]).toEqual([3, 'line 3: strconv.ParseFloat: parsing "x": invalid syntax']);
  });

  it('refuses bytes that were not UTF-8 in label values, exemplar labels and HELP only', () => {
    expect(failure('a{b="\ufffd"} 1\n' + E, true).prometheusMessage).toBe('invalid UTF-8 label value');
    expect(failure('a_total 1 # {t="\ufffd"} 1\n' + E, true).prometheusMessage).toBe('invalid UTF-8 label value');
    expect(failure('# HELP a \ufffd\n' + E, true).prometheusMessage).toBe('help text is not a valid utf8 string');
    // U+FFFD written as such is valid UTF-8.
    expect(lines(parseOpenMetricsScrape('a{b="\ufffd"} 1\n' + E, T0).batch)).toEqual([`a{b="\ufffd"} 1@${T0}`]);
  });

  it('stores what 2.42 stores, whatever the format\'s rules say of it', () => {
    const p = parseOpenMetricsScrape([
      '# TYPE c counter',
      'c_total 1',
      'c_created 1700000000',
      '# TYPE c2 counter',
      'c2 -1',
      '# TYPE st gauge',
      '# TYPE st counter',
      'st_total 1',
      'ta 1',
      '# TYPE ta gauge',
      '# HELP he a\\nb\\\\c\\"d\\x',
      'le{a="x\\ny\\"z\\\\w\\q",e=""} 1',
      '# TYPE u_seconds gauge',
      '# UNIT u_seconds seconds',
      '# UNIT u_seconds ',
      'ex_total 1 # {t="x"} 1 1700000000',
      'ts 1 1700000000.0009',
      'sv NaN',
      '# EOF',
    ].join('\n'), T0);
    expect(lines(p.batch)).toEqual([
      `c_total{} 1@${T0}`,
      `c_created{} 1700000000@${T0}`,
      `c2{} -1@${T0}`,
      `st_total{} 1@${T0}`,
      `ta{} 1@${T0}`,
      `le{a="x\\ny\\"z\\\\w\\\\q"} 1@${T0}`,
      `ex_total{} 1@${T0}`,
      // Seconds to milliseconds truncated, as Go's int64(ts*1000).
      'ts{} 1@1700000000000',
      `sv{} NaN@${T0}`,
    ]);
    expect(p.metadata).toEqual([
      { family: 'c', type: 'counter', help: '', unit: '' },
      { family: 'c2', type: 'counter', help: '', unit: '' },
      { family: 'st', type: 'counter', help: '', unit: '' },
      { family: 'ta', type: 'gauge', help: '', unit: '' },
      { family: 'he', type: 'unknown', help: 'a\nb\\c"d\\x', unit: '' },
      { family: 'u_seconds', type: 'gauge', help: '', unit: '' },
    ]);
  });

  it('is what a scrape (lenient) of OpenMetrics uses; pushes and imports keep the format\'s rules', () => {
    const text = '# TYPE c counter\nc_total 1\nc_created 5\n' + E;
    expect(lines(parseExposition(text, { defaultTimestamp: T0, openMetrics: true, lenient: true }).batch)).toEqual([`c_total{} 1@${T0}`, `c_created{} 5@${T0}`]);
    expect(lines(parseExposition(text, { defaultTimestamp: T0, openMetrics: true }).batch)).toEqual([`c_total{} 1@${T0}`]);
  });
});
