import { Counter, Gauge, Histogram, Registry, Summary } from 'prom-client';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { labelsToString, type SampleBatch } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { ExpositionError, parseExposition } from './exposition.ts';
import { parseFloatToken } from './textparse.ts';

const T0 = 1_700_000_000_000;

/** Series as `name{...} value@t` strings, the easiest form to compare whole batches in. */
function lines(b: SampleBatch): string[] {
  const out: string[] = [];
  for (let i = 0; i < b.series.length; i++) {
    for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) out.push(`${labelsToString(b.series[i])} ${b.values[j]}@${b.timestamps[j]}`);
  }
  return out;
}

function parseError(text: string): ExpositionError {
  try {
    parseExposition(text, { defaultTimestamp: T0 });
  } catch (e) {
    if (e instanceof ExpositionError) return e;
    throw new Error(`expected ExpositionError, got ${String(e)}`);
  }
  throw new Error(`expected an error for ${JSON.stringify(text)}`);
}

const NODE_EXPORTER = `# HELP go_gc_duration_seconds A summary of the pause duration of garbage collection cycles.
# TYPE go_gc_duration_seconds summary
go_gc_duration_seconds{quantile="0"} 2.4961e-05
go_gc_duration_seconds{quantile="0.5"} 4.1033e-05
go_gc_duration_seconds{quantile="1"} 0.000823711
go_gc_duration_seconds_sum 0.270183216
go_gc_duration_seconds_count 3852
# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.
# TYPE node_cpu_seconds_total counter
node_cpu_seconds_total{cpu="0",mode="idle"} 2.80582681e+06
node_cpu_seconds_total{cpu="0",mode="iowait"} 1279.12
node_cpu_seconds_total{cpu="1",mode="idle"} 2.80600214e+06
# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.
# TYPE node_filesystem_avail_bytes gauge
node_filesystem_avail_bytes{device="/dev/nvme0n1p2",fstype="ext4",mountpoint="/"} 1.84289574912e+11
node_filesystem_avail_bytes{device="tmpfs",fstype="tmpfs",mountpoint="/run/user/1000"} 3.3335296e+09
# HELP node_hwmon_temp_celsius Hardware monitor for temperature (input)
# TYPE node_hwmon_temp_celsius gauge
node_hwmon_temp_celsius{chip="platform_coretemp_0",sensor="temp1"} 41
# HELP node_scrape_collector_success node_exporter: Whether a collector succeeded.
# TYPE node_scrape_collector_success gauge
node_scrape_collector_success{collector="arp"} 1
# HELP node_uname_info Labeled system information as provided by the uname system call.
# TYPE node_uname_info gauge
node_uname_info{domainname="(none)",machine="x86_64",nodename="web-1",release="6.8.0-45-generic",sysname="Linux",version="#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024"} 1
# HELP promhttp_metric_handler_requests_total Total number of scrapes by HTTP status code.
# TYPE promhttp_metric_handler_requests_total counter
promhttp_metric_handler_requests_total{code="200"} 118
promhttp_metric_handler_requests_total{code="500"} 0
`;

describe('parseExposition', () => {
  it('parses node_exporter output exactly', () => {
    const { batch, metadata } = parseExposition(NODE_EXPORTER, { defaultTimestamp: T0 });
    expect(lines(batch)).toEqual([
      `go_gc_duration_seconds{quantile="0"} 0.000024961@${T0}`,
      `go_gc_duration_seconds{quantile="0.5"} 0.000041033@${T0}`,
      `go_gc_duration_seconds{quantile="1"} 0.000823711@${T0}`,
      `go_gc_duration_seconds_sum 0.270183216@${T0}`,
      `go_gc_duration_seconds_count 3852@${T0}`,
      `node_cpu_seconds_total{cpu="0", mode="idle"} 2805826.81@${T0}`,
      `node_cpu_seconds_total{cpu="0", mode="iowait"} 1279.12@${T0}`,
      `node_cpu_seconds_total{cpu="1", mode="idle"} 2806002.14@${T0}`,
      `node_filesystem_avail_bytes{device="/dev/nvme0n1p2", fstype="ext4", mountpoint="/"} 184289574912@${T0}`,
      `node_filesystem_avail_bytes{device="tmpfs", fstype="tmpfs", mountpoint="/run/user/1000"} 3333529600@${T0}`,
      `node_hwmon_temp_celsius{chip="platform_coretemp_0", sensor="temp1"} 41@${T0}`,
      `node_scrape_collector_success{collector="arp"} 1@${T0}`,
      `node_uname_info{domainname="(none)", machine="x86_64", nodename="web-1", release="6.8.0-45-generic", sysname="Linux", version="#45-Ubuntu SMP PREEMPT_DYNAMIC Fri Aug 30 12:02:04 UTC 2024"} 1@${T0}`,
      `promhttp_metric_handler_requests_total{code="200"} 118@${T0}`,
      `promhttp_metric_handler_requests_total{code="500"} 0@${T0}`,
    ]);
    expect(batch.series[0]).toEqual(['__name__', 'go_gc_duration_seconds', 'quantile', '0']);
    expect(metadata.map((m) => [m.family, m.type])).toEqual([
      ['go_gc_duration_seconds', 'summary'],
      ['node_cpu_seconds_total', 'counter'],
      ['node_filesystem_avail_bytes', 'gauge'],
      ['node_hwmon_temp_celsius', 'gauge'],
      ['node_scrape_collector_success', 'gauge'],
      ['node_uname_info', 'gauge'],
      ['promhttp_metric_handler_requests_total', 'counter'],
    ]);
    expect(metadata[1]).toEqual({ family: 'node_cpu_seconds_total', type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: '' });
  });

  it('parses prom-client output, escapes included', async () => {
    const registry = new Registry();
    const requests = new Counter({ name: 'http_requests_total', help: 'Requests by "route",\\ok\nsecond line', labelNames: ['route', 'code'], registers: [registry] });
    requests.inc({ route: '/a"b\\c\nd', code: '200' }, 3);
    requests.inc({ route: '/x', code: '500' });
    const g = new Gauge({ name: 'queue_depth', help: 'Depth.', registers: [registry] });
    g.set(-2.5);
    const h = new Histogram({ name: 'latency_seconds', help: 'Latency.', buckets: [0.1, 1], labelNames: ['op'], registers: [registry] });
    h.observe({ op: 'get' }, 0.05);
    h.observe({ op: 'get' }, 5);
    const s = new Summary({ name: 'size_bytes', help: 'Sizes.', percentiles: [0.5], registers: [registry] });
    s.observe(10);
    const text = await registry.metrics();

    const { batch, metadata } = parseExposition(text, { defaultTimestamp: T0 });
    expect(lines(batch)).toEqual([
      `http_requests_total{code="200", route="/a\\"b\\\\c\\nd"} 3@${T0}`,
      `http_requests_total{code="500", route="/x"} 1@${T0}`,
      `queue_depth -2.5@${T0}`,
      `latency_seconds_bucket{le="0.1", op="get"} 1@${T0}`,
      `latency_seconds_bucket{le="1", op="get"} 1@${T0}`,
      `latency_seconds_bucket{le="+Inf", op="get"} 2@${T0}`,
      `latency_seconds_sum{op="get"} 5.05@${T0}`,
      `latency_seconds_count{op="get"} 2@${T0}`,
      `size_bytes{quantile="0.5"} 10@${T0}`,
      `size_bytes_sum 10@${T0}`,
      `size_bytes_count 1@${T0}`,
    ]);
    expect(batch.series[0]).toEqual(['__name__', 'http_requests_total', 'code', '200', 'route', '/a"b\\c\nd']);
    expect(metadata).toEqual([
      { family: 'http_requests_total', type: 'counter', help: 'Requests by "route",\\ok\nsecond line', unit: '' },
      { family: 'queue_depth', type: 'gauge', help: 'Depth.', unit: '' },
      { family: 'latency_seconds', type: 'histogram', help: 'Latency.', unit: '' },
      { family: 'size_bytes', type: 'summary', help: 'Sizes.', unit: '' },
    ]);
  });

  it('handles special values, timestamps, whitespace, comments and CRLF', () => {
    const text = [
      '# A plain comment',
      '#',
      '',
      '   # HELP   spaced   Help with \\\\ a backslash, \\n a newline and \\t kept as is.  ',
      'a NaN',
      'b +Inf 1',
      'c -Inf -1500',
      'd Inf',
      'e -0.5e-3   1700000000123   ',
      '\tf{x="1"}7\r',
      'g{ y = "2" , x = "1" , } 8 \t',
      'h{} 1e+308',
      'i{empty="",z="v"} 2.',
      'j .5',
      'k{a="tab\\tstays",b="\\\\"} 1',
      'no_newline_at_end 42',
    ].join('\n');
    const { batch, metadata } = parseExposition(text, { defaultTimestamp: T0 });
    expect(lines(batch)).toEqual([
      `a NaN@${T0}`,
      'b Infinity@1',
      'c -Infinity@-1500',
      `d Infinity@${T0}`,
      'e -0.0005@1700000000123',
      `f{x="1"} 7@${T0}`,
      `g{x="1", y="2"} 8@${T0}`,
      `h 1e+308@${T0}`,
      `i{z="v"} 2@${T0}`,
      `j 0.5@${T0}`,
      `k{a="tab\\\\tstays", b="\\\\"} 1@${T0}`,
      `no_newline_at_end 42@${T0}`,
    ]);
    expect(metadata).toEqual([{ family: 'spaced', type: 'unknown', help: 'Help with \\ a backslash, \n a newline and \\t kept as is.  ', unit: '' }]);
  });

  it('sorts large label sets without quadratic cost', () => {
    const names = Array.from({ length: 2000 }, (_, i) => `l${String(i).padStart(4, '0')}`);
    const text = `big{${[...names].reverse().map((n) => `${n}="v"`).join(',')}} 1\n`;
    const { batch } = parseExposition(text, { defaultTimestamp: T0 });
    expect(batch.series[0].filter((_, i) => i % 2 === 0)).toEqual(['__name__', ...names]);
  });

  it('hands out label strings that do not keep the scraped body alive', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const kept: (readonly string[])[] = [];
    gc();
    const before = process.memoryUsage().heapUsed;
    for (let k = 0; k < 20; k++) {
      // 1 MiB of comment, then one series whose name and label value are long enough to be views.
      const body = `# ${'x'.repeat(1 << 20)}\nmetric_with_a_long_name_${k}{long_label="value-long-enough-to-be-a-view-${k}"} 1\n`;
      kept.push(parseExposition(body, { defaultTimestamp: T0 }).batch.series[0]);
    }
    gc();
    const retained = process.memoryUsage().heapUsed - before;
    expect(kept[19]).toEqual(['__name__', 'metric_with_a_long_name_19', 'long_label', 'value-long-enough-to-be-a-view-19']);
    expect(retained).toBeLessThan(8 << 20); // 20 MiB if each body were retained
  });

  it('parses an empty exposition', () => {
    const { batch, metadata } = parseExposition('\n\n# nothing\n', { defaultTimestamp: T0 });
    expect(batch.series).toEqual([]);
    expect(metadata).toEqual([]);
  });

  it('lists HELP-only and TYPE-only families, with untyped as unknown', () => {
    const { metadata } = parseExposition('# TYPE a untyped\n# HELP b only help\nb 1\n# TYPE c GAUGE\n', { defaultTimestamp: T0 });
    expect(metadata).toEqual([
      { family: 'a', type: 'unknown', help: '', unit: '' },
      { family: 'b', type: 'unknown', help: 'only help', unit: '' },
      { family: 'c', type: 'gauge', help: '', unit: '' },
    ]);
  });

  it.each(REFUSED)('refuses %j at line %i as %s', (text, line, reason, message) => {
    const e = parseError(text);
    expect(e).toBeInstanceOf(IngestError);
    expect(e.status).toBe(400);
    expect(e.line).toBe(line);
    expect(e.reason).toBe(reason);
    expect(e.message.startsWith(`line ${line}: `)).toBe(true);
    expect(e.message).toContain(message);
  });
});

/** Text 0.0.4 that the strict (push) parse refuses: text, line, reason, what the message says. */
const REFUSED: [string, number, string, string][] = [
  ['a 1\nb{x="1"} one\n', 2, 'invalid_value', 'invalid sample value "one"'],
  ['a\n', 1, 'invalid_value', 'missing sample value'],
  ['a 1\n\n-x 1\n', 3, 'invalid_metric_name', 'invalid metric name'],
  ['a-b 1\n', 1, 'invalid_metric_name', 'invalid character in metric name'],
  ['{x="1"} 1\n', 1, 'invalid_metric_name', 'sample without a metric name'],
  ['a{x="1" y="2"} 1\n', 1, 'syntax', 'expected "," or "}"'],
  ['a{x="1"\n', 1, 'syntax', 'expected "," or "}"'],
  ['a{x="1\n} 1\n', 1, 'syntax', 'unterminated value of label "x"'],
  ['a{x="1\\"} 1\n', 1, 'syntax', 'unterminated value of label "x"'],
  ['a{1x="1"} 1\n', 1, 'invalid_label_name', 'invalid label name'],
  ['a{x-y="1"} 1\n', 1, 'syntax', 'expected "=" after label name "x"'],
  ['a{x=1} 1\n', 1, 'syntax', 'expected a quoted value for label "x"'],
  ['a{x="1"', 1, 'syntax', 'expected "," or "}"'],
  ['a{', 1, 'syntax', 'unexpected end of line inside braces'],
  ['a{x="1",x="2"} 1\n', 1, 'duplicate_label_name', 'duplicate label name "x"'],
  ['a{__name__="b"} 1\n', 1, 'invalid_label_name', 'must not be set inside braces'],
  ['a 1 2 3\n', 1, 'syntax', 'unexpected text after the timestamp'],
  ['a 1 1.5\n', 1, 'invalid_timestamp', 'invalid timestamp "1.5"'],
  ['a 1 99999999999999999999\n', 1, 'invalid_timestamp', 'invalid timestamp'],
  ['a 1e400\n', 1, 'invalid_value', 'invalid sample value "1e400"'],
  ['a 0x10\n', 1, 'invalid_value', 'invalid sample value "0x10"'],
  ['a -NaN\n', 1, 'invalid_value', 'invalid sample value "-NaN"'],
  ['# HELP a x\n# HELP a y\n', 2, 'duplicate_metadata', 'second HELP line for metric a'],
  ['# TYPE a gauge\n# TYPE a counter\n', 2, 'duplicate_metadata', 'second TYPE line for metric a'],
  ['a 1\n# TYPE a gauge\n', 2, 'syntax', 'TYPE line for metric a after its samples'],
  ['# TYPE h histogram\nh_bucket{le="1"} 1\n# TYPE h histogram\n', 3, 'duplicate_metadata', 'second TYPE line'],
  ['# TYPE a gauge extra\n', 1, 'syntax', 'unexpected text after the type of a'],
  ['# TYPE a meter\n', 1, 'invalid_type', 'unknown metric type "meter"'],
  ['# TYPE a\n', 1, 'invalid_type', 'unknown metric type ""'],
  ['# HELP\n', 1, 'invalid_metric_name', 'HELP line without a valid metric name'],
  ['# HELP 0a x\n', 1, 'invalid_metric_name', 'HELP line without a valid metric name'],
  ['# TYPE a-b gauge\n', 1, 'invalid_metric_name', 'invalid character in metric name of TYPE line'],
];

/**
 * Text 0.0.4 that Prometheus 2.42's scraper stores and expfmt (Pushgateway, promtool) refuses:
 * text -> the message a strict parse gives, in expfmt's words. test/scrape-errors-exposition.test.ts
 * scrapes the same bodies with Prometheus 2.42 and compares what is stored.
 */
const SCRAPE_ONLY: Record<string, string> = {
  '# TYPE a counter\n# TYPE a gauge\na 1\n': 'second TYPE line for metric name "a", or TYPE reported after samples',
  'a 1\n# TYPE a counter\n': 'second TYPE line for metric name "a", or TYPE reported after samples',
  '# HELP a x\n# HELP a y\na 1\n': 'second HELP line for metric name "a"',
  '# TYPE\n': 'invalid metric name in comment',
  'a{b="c" d="e"} 1\n': 'unexpected end of label value "c"',
  'a{b="c\nd"} 1\n': 'label value "c" contains unescaped new-line',
};

describe('parseExposition lenient (scrapes), as Prometheus 2.42 reads text 0.0.4', () => {
  const lenient = (text: string) => parseExposition(text, { defaultTimestamp: T0, lenient: true });

  it('refuses what expfmt refuses unless lenient (pushes)', () => {
    const words: Record<string, string> = {};
    for (const text of Object.keys(SCRAPE_ONLY)) words[text] = parseError(text).prometheusMessage;
    expect(words).toEqual(SCRAPE_ONLY);
  });

  it('takes a second HELP or TYPE line and a TYPE line after samples; the last one counts', () => {
    const two = lenient('# HELP a x\n# TYPE a counter\n# HELP a y\n# TYPE a gauge\na 1\nb 2\n# TYPE b counter\n# HELP b later\n');
    expect(lines(two.batch)).toEqual([`a 1@${T0}`, `b 2@${T0}`]);
    expect(two.metadata).toEqual([
      { family: 'a', type: 'gauge', help: 'y', unit: '' },
      { family: 'b', type: 'counter', help: 'later', unit: '' },
    ]);
    // A histogram's TYPE after its buckets: the family is still known as a histogram.
    const h = lenient('h_bucket{le="1"} 1\n# TYPE h histogram\nh_count 1\n');
    expect(lines(h.batch)).toEqual([`h_bucket{le="1"} 1@${T0}`, `h_count 1@${T0}`]);
    expect(h.metadata).toEqual([{ family: 'h', type: 'histogram', help: '', unit: '' }]);
  });

  it('reads HELP and TYPE only between blanks, as its lexer does: otherwise a comment', () => {
    for (const text of ['# TYPE\n', '# HELP\n', '#TYPE a foo\n', '#\tHELP\n', '# TYPEa foo\n']) {
      expect(lenient(`${text}x 1\n`).metadata, text).toEqual([]);
    }
    expect(lenient('#\tTYPE\ta\tgauge\n').metadata).toEqual([{ family: 'a', type: 'gauge', help: '', unit: '' }]);
  });

  it('refuses what Prometheus 2.42\'s scraper refuses and expfmt takes, in 2.42\'s words', () => {
    const words = (text: string) => {
      try {
        lenient(text);
      } catch (e) {
        return (e as ExpositionError).prometheusMessage;
      }
      return null;
    };
    // A TYPE in capitals; the type is the whole rest of the line less its first character.
    expect(words('# TYPE a COUNTER\na 1\n')).toBe('invalid metric type "COUNTER"');
    expect(words('# TYPE a  gauge\na 1\n')).toBe('invalid metric type " gauge"');
    expect(words('# TYPE a gauge \na 1\n')).toBe('invalid metric type "gauge "');
    // A CR is part of the line: `1\r` is no number, `counter\r` no type.
    expect(words('a 1\r\n')).toBe('strconv.ParseFloat: parsing "1\\r": invalid syntax');
    expect(words('a 1 5\r\n')).toBe('expected next entry after timestamp, got "INVALID"');
    expect(words('# TYPE a counter\r\na 1\n')).toBe('invalid metric type "counter\\r"');
    expect(words('a 1\n\r\n')).toBe('"INVALID" is not a valid start token');
    // A timestamp is digits only.
    expect(words('a 1 -5\n')).toBe('expected timestamp or new record, got "INVALID"');
    expect(words('a 1 +5\n')).toBe('expected timestamp or new record, got "INVALID"');
    // Pushes (expfmt) take all of these.
    for (const text of ['# TYPE a COUNTER\na 1\n', 'a 1\r\n', 'a 1 -5\n']) expect(() => parseExposition(text, { defaultTimestamp: T0 }), text).not.toThrow();
  });

  it('stores what Prometheus 2.42\'s scraper stores where expfmt differs', () => {
    // A CR in HELP is part of the text; after the name's first following character, the text.
    expect(lenient('# HELP a x\r\n# HELP b  two\na 1\n').metadata).toEqual([
      { family: 'a', type: 'unknown', help: 'x\r', unit: '' },
      { family: 'b', type: 'unknown', help: ' two', unit: '' },
    ]);
    // 2.42 stores any int64 timestamp; Strata cannot beyond 2^53 ms, and says so.
    expect(Array.from(lenient('a 1 9007199254740991\n').batch.timestamps)).toEqual([9007199254740991]);
    expect(() => lenient('a 1 9007199254740993\n')).toThrow('line 1: timestamp 9007199254740993 ms is beyond 2^53 ms, which Strata cannot store (Prometheus stores up to 2^63)');
    expect(() => lenient('a 1 9223372036854775808\n')).toThrow(/invalid timestamp/);
    // Blanks before a name stay in it (the scrape then refuses the name, as Prometheus does).
    expect(lenient(' a 1\n').batch.series).toEqual([['__name__', ' a']]);
  });

  it('takes labels without a comma between them', () => {
    expect(lines(lenient('a{b="c" d="e"} 1\na{b="c"d="f",} 2\n').batch)).toEqual([`a{b="c", d="e"} 1@${T0}`, `a{b="c", d="f"} 2@${T0}`]);
  });

  it('reads a label value over newlines, escapes decoded, and goes on after its record', () => {
    const p = lenient('a{b="c\nd\\"\\n\\x\\\\" e="f"} 1 5\nb 2\n');
    expect(p.batch.series).toEqual([['__name__', 'a', 'b', 'c\nd"\n\\x\\', 'e', 'f'], ['__name__', 'b']]);
    expect(Array.from(p.batch.values)).toEqual([1, 2]);
    expect(Array.from(p.batch.timestamps)).toEqual([5, T0]);
    // A later error names the line it is on, counting the lines inside the value.
    const e = (() => {
      try {
        lenient('a{b="c\n\nd"} 1\nx y\n');
      } catch (err) {
        return err as ExpositionError;
      }
      throw new Error('no error');
    })();
    expect([e.line, e.prometheusMessage]).toEqual([4, 'strconv.ParseFloat: parsing "y": invalid syntax']);
  });

  // Everything else the strict parse refuses stays refused, with Prometheus' words for it.
  const stillRefused = REFUSED.filter(([text]) => !/^(# HELP a x\n# HELP|# TYPE a gauge\n# TYPE|a 1\n# TYPE|# TYPE h histogram|# HELP\n$|a\{x="1" y=)/.test(text));
  it.each(stillRefused.map(([text, line]) => [text, line] as const))('still refuses %j at line %i', (text, line) => {
    let err: unknown = null;
    try {
      lenient(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpositionError);
    expect((err as ExpositionError).line).toBe(line);
    expect((err as ExpositionError).prometheusMessage).toBe(parseError(text).prometheusMessage);
  });

  it.each([
    ['a{x="1\\\n"} 1\n', 'expected label value, got "INVALID"'],
    ['a{x="1\n} 1\n', 'expected label value, got "INVALID"'],
    ['a{b="c} 1\nd{e="f"} 2\n', 'expected equal, got "INVALID"'],
    ['a{x="1" 1\n', 'expected label name, got "INVALID"'],
  ])('refuses %j in Prometheus words: %s', (text, words) => {
    let err: unknown = null;
    try {
      lenient(text);
    } catch (e) {
      err = e;
    }
    expect((err as ExpositionError).prometheusMessage).toBe(words);
  });

  it('reads OpenMetrics as Prometheus 2.42 does, not by the format\'s rules (openmetrics.test.ts)', () => {
    const text = '# TYPE a gauge\n# TYPE a gauge\na 1\n# EOF\n';
    expect(() => parseExposition(text, { defaultTimestamp: T0, openMetrics: true })).toThrow(ExpositionError);
    expect(lines(parseExposition(text, { defaultTimestamp: T0, openMetrics: true, lenient: true }).batch)).toEqual([`a 1@${T0}`]);
  });
});

describe('parseFloatToken', () => {
  it('accepts what Go ParseFloat accepts for decimals and specials', () => {
    const cases: [string, number][] = [
      ['0', 0], ['-0', -0], ['+1', 1], ['1.', 1], ['.5', 0.5], ['1e3', 1000], ['1E-3', 0.001], ['-2.5e+2', -250],
      ['inf', Infinity], ['-infinity', -Infinity], ['+INF', Infinity], ['1e-400', 0],
    ];
    for (const [tok, v] of cases) expect(Object.is(parseFloatToken(tok), v), tok).toBe(true);
    expect(parseFloatToken('nan')).toBeNaN();
  });
  it('refuses everything else', () => {
    for (const tok of ['', '+', '.', 'e5', '1e', '1e+', '1.2.3', '1_000', '0x1p-2', ' 1', '1 ', 'Infx', '+nan', '--1', '1e400']) {
      expect(parseFloatToken(tok), tok).toBeNull();
    }
  });
});

describe('parseExposition with openMetrics', () => {
  const om = { defaultTimestamp: T0, openMetrics: true };

  it('parses OpenMetrics 1.0: units, _total counters, seconds timestamps, exemplars, _created skipped, # EOF', () => {
    const text = [
      '# TYPE http_requests counter',
      '# HELP http_requests Requests served.',
      '# UNIT http_requests requests',
      'http_requests_total{code="200"} 1027 1700000000.5 # {trace_id="abc"} 1 1700000000.1',
      'http_requests_created{code="200"} 1699990000',
      '# TYPE lat_seconds histogram',
      '# UNIT lat_seconds seconds',
      'lat_seconds_bucket{le="0.1"} 3 # {trace_id="x"} 0.05',
      'lat_seconds_bucket{le="+Inf"} 5',
      'lat_seconds_count 5',
      'lat_seconds_sum 1.5',
      'lat_seconds_created 1699990000',
      '# TYPE build info',
      'build_info{version="1.2"} 1',
      '# TYPE temp gauge',
      'temp_created 5',
      '# TYPE st stateset',
      'st{st="a"} 1',
      '# EOF',
      '',
    ].join('\n');
    const { batch, metadata } = parseExposition(text, om);
    expect(lines(batch)).toEqual([
      `http_requests_total{code="200"} 1027@1700000000500`,
      `lat_seconds_bucket{le="0.1"} 3@${T0}`,
      `lat_seconds_bucket{le="+Inf"} 5@${T0}`,
      `lat_seconds_count 5@${T0}`,
      `lat_seconds_sum 1.5@${T0}`,
      `build_info{version="1.2"} 1@${T0}`,
      // A gauge has no creation time: temp_created is an ordinary series.
      `temp_created 5@${T0}`,
      `st{st="a"} 1@${T0}`,
    ]);
    expect(metadata).toEqual([
      { family: 'http_requests', type: 'counter', help: 'Requests served.', unit: 'requests' },
      { family: 'lat_seconds', type: 'histogram', help: '', unit: 'seconds' },
      { family: 'build', type: 'info', help: '', unit: '' },
      { family: 'temp', type: 'gauge', help: '', unit: '' },
      { family: 'st', type: 'stateset', help: '', unit: '' },
    ]);
  });

  it('requires # EOF at the end and nothing after it', () => {
    expect(() => parseExposition('a 1\n', om)).toThrow(/does not end with "# EOF"/);
    expect(() => parseExposition('a 1\n# EOF\nb 2\n', om)).toThrow(/line 3: content after "# EOF"/);
    expect(() => parseExposition('# TYPE a untyped\n# EOF\n', om)).toThrow(/unknown metric type "untyped"/);
    expect(() => parseExposition('a 1 soon\n# EOF\n', om)).toThrow(/invalid timestamp "soon"/);
    // In text 0.0.4, "# EOF" is just a comment and exemplars are not allowed.
    expect(lines(parseExposition('a 1\n# EOF\n', { defaultTimestamp: T0 }).batch)).toEqual([`a 1@${T0}`]);
    expect(() => parseExposition('a 1 # {x="y"} 1\n', { defaultTimestamp: T0 })).toThrow(/invalid timestamp "#"/);
  });
});

describe('parseExposition errors in Prometheus 2.42 words', () => {
  // The full side-by-side comparison with a running Prometheus is test/scrape-errors-exposition.test.ts;
  // these pin the wording without one, with the message for push senders beside it.
  it.each([
    ['a 1\nb is\n', 'line 2: invalid sample value "is"', 'strconv.ParseFloat: parsing "is": invalid syntax'],
    ['a 1e999\n', 'line 1: invalid sample value "1e999"', 'strconv.ParseFloat: parsing "1e999": value out of range'],
    ['a 0x1p3\n', 'line 1: invalid sample value "0x1p3"', 'unsupported character in float'],
    ['a 1\x01\n', 'line 1: invalid sample value "1\\u0001"', 'strconv.ParseFloat: parsing "1\\x01": invalid syntax'],
    ['a{b="c"}\n', 'line 1: missing sample value', 'expected value after metric, got "INVALID"'],
    ['a{b="c"}{d="e"} 1\n', 'line 1: invalid sample value "{d=\\"e\\"}"', 'expected value after metric, got "BOPEN"'],
    ['a 1 2 3\n', 'line 1: unexpected text after the timestamp: "3"', 'expected next entry after timestamp, got "TIMESTAMP"'],
    ['a 1 -5x\n', 'line 1: invalid timestamp "-5x"; expected integer milliseconds', 'expected timestamp or new record, got "INVALID"'],
    ['a 1 99999999999999999999\n', 'line 1: invalid timestamp "99999999999999999999"; expected integer milliseconds', 'strconv.ParseInt: parsing "99999999999999999999": value out of range'],
    ['a{,} 1\n', 'line 1: invalid label name at ",} 1"', 'expected label name, got "COMMA"'],
    ['a{b="c" 1\n', 'line 1: expected "," or "}" after the value of label "b", found "1"', 'expected label name, got "INVALID"'],
    ['a{b} 1\n', 'line 1: expected "=" after label name "b", found "} 1"', 'expected equal, got "BCLOSE"'],
    ['a{b=} 1\n', 'line 1: expected a quoted value for label "b", found "} 1"', 'expected label value, got "INVALID"'],
    ['a{b="1",b="2"} 1\n', 'line 1: duplicate label name "b" in a{b="1", b="2"}', 'label name "b" is not unique: invalid sample'],
    ['{b="c"} 1\n', 'line 1: sample without a metric name', '"INVALID" is not a valid start token'],
    ['# TYPE a foo\n', 'line 1: unknown metric type "foo" for a; expected counter, gauge, histogram, summary or untyped', 'invalid metric type "foo"'],
    ['# TYPE a counter x\n', 'line 1: unexpected text after the type of a: "x"', 'invalid metric type "counter x"'],
    ['# HELP 1a x\n', 'line 1: HELP line without a valid metric name at "1a x"', 'expected metric name after HELP, got "INVALID"'],
    // Accepted by Prometheus 2.42's scraper, refused here: worded as prometheus/common's expfmt does.
    ['# TYPE a gauge\n# TYPE a gauge\n', 'line 2: second TYPE line for metric a', 'second TYPE line for metric name "a", or TYPE reported after samples'],
    ['a{b="c" d="e"} 1\n', 'line 1: expected "," or "}" after the value of label "b", found "d=\\"e\\"} 1"', 'unexpected end of label value "c"'],
    ['a{b="c\nd"} 1\n', 'line 1: unterminated value of label "b"', 'label value "c" contains unescaped new-line'],
  ])('%j', (text, message, prometheus) => {
    const e = parseError(text);
    expect(e.message).toBe(message);
    expect(e.prometheusMessage).toBe(prometheus);
  });

  it('words OpenMetrics errors its own way', () => {
    try {
      parseExposition('a 1\n', { defaultTimestamp: T0, openMetrics: true });
      expect.unreachable();
    } catch (e) {
      expect((e as ExpositionError).prometheusMessage).toBe('data does not end with # EOF');
    }
  });
});

describe('parseExposition of a body that was not valid UTF-8', () => {
  const bad = { defaultTimestamp: T0, invalidUtf8: true };
  const refusal = (text: string) => {
    try {
      parseExposition(text, bad);
    } catch (e) {
      return [(e as ExpositionError).message, (e as ExpositionError).prometheusMessage];
    }
    return null;
  };

  it('refuses U+FFFD (a replaced byte) in a label value or HELP text, as Prometheus refuses the bytes', () => {
    expect(refusal('a 1\nb{c="x\ufffd"} 1\n')).toEqual(['line 2: a label value is not valid UTF-8 (the bad bytes read as U+FFFD)', 'invalid UTF-8 label value']);
    expect(refusal('# HELP a \ufffd\n')).toEqual(['line 1: HELP text is not valid UTF-8 (the bad bytes read as U+FFFD)', 'help text is not a valid utf8 string']);
    // An earlier error is the one reported; a comment may hold anything.
    expect(refusal('a is\nb{c="\ufffd"} 1\n')).toEqual(['line 1: invalid sample value "is"', 'strconv.ParseFloat: parsing "is": invalid syntax']);
    expect(refusal('# \ufffd\na 1\n')).toBeNull();
  });

  it('checks a label value that runs over lines (lenient) as one record', () => {
    const lenient = { ...bad, lenient: true };
    const refusalLenient = (text: string) => {
      try {
        parseExposition(text, lenient);
      } catch (e) {
        return [(e as ExpositionError).message, (e as ExpositionError).prometheusMessage];
      }
      return null;
    };
    expect(refusalLenient('a 1\nb{c="x\n\n\ufffd"} 1\n')).toEqual(['line 2: a label value is not valid UTF-8 (the bad bytes read as U+FFFD)', 'invalid UTF-8 label value']);
    expect(refusalLenient('b{c="x\n"} 1\n# HELP a \ufffd\n')).toEqual(['line 3: HELP text is not valid UTF-8 (the bad bytes read as U+FFFD)', 'help text is not a valid utf8 string']);
    // Inside a value, a line that would be a record of its own is not read as one.
    expect(refusalLenient('b{c="\n# HELP a \ufffd\n"} 1\n')).toEqual(['line 1: a label value is not valid UTF-8 (the bad bytes read as U+FFFD)', 'invalid UTF-8 label value']);
    expect(refusalLenient('b{c="\n#\ufffd\n"} 1\n# \ufffd\n')).toEqual(['line 1: a label value is not valid UTF-8 (the bad bytes read as U+FFFD)', 'invalid UTF-8 label value']);
    expect(refusalLenient('b{c="x\ny"} 1\n# \ufffd\nd 2\n')).toBeNull();
  });

  it('keeps U+FFFD that a valid body carries', () => {
    expect(lines(parseExposition('b{c="x\ufffd"} 1\n', { defaultTimestamp: T0 }).batch)).toEqual([`b{c="x\ufffd"} 1@${T0}`]);
  });
});
