// A scrape of bad exposition text, side by side: the real Prometheus 2.42 and the Strata server
// scrape the same endpoints, each serving one kind of malformed text/plain exposition, and every
// target's lastError in /api/v1/targets must be Prometheus' own words (its text parser's error,
// `strconv.ParseFloat: parsing "is": invalid syntax`, `expected label name, got "BCLOSE"`, ...).
// The HTTP failures are compared in scrape-errors.test.ts.
//
// Prometheus 3 differs (read from its promparse.go, not run here): its parser errors also quote the
// token's text and the record read so far (`expected label name, got "1b=" ("INVALID") while
// parsing: "a{1b="`, `strconv.ParseFloat: parsing "is": invalid syntax while parsing: "a is"`).
// Strata follows 2.42's wording here, the version this comparison runs against; switching means
// changing prometheuswording.ts and this test's reference. Quoted UTF-8 metric and label names
// (`{"a.b"} 1`), which 3 takes and 2.42 refuses, Strata takes as 3 does
// (src/ingest/exposition-utf8.test.ts); no body here has them.
//
// Bytes that are not UTF-8 are refused where Prometheus checks for them (label values, HELP).
//
// Some bodies Prometheus 2.42's scraper stores although prometheus/common's expfmt (the
// Pushgateway's and promtool's parser) refuses them: a second HELP or TYPE line, a TYPE line after
// the family's samples, `# TYPE` without a name (a comment to its lexer), labels without a comma
// between them, a newline inside a label value. A target Prometheus scrapes must scrape here too:
// the scrape parses leniently (ExpositionOptions.lenient) and these, in STORED, must store the same
// series, values and metadata in both. Pushes keep refusing them, as expfmt does
// (src/ingest/exposition.test.ts). A timestamp beyond 2^53 ms, which 2.42 stores, is refused here
// only, saying Strata cannot store it (its head keeps milliseconds as doubles). What 2.42's
// scraper refuses and expfmt takes (a TYPE in capitals, CR line ends, signed timestamps) is
// compared in scrape-openmetrics.test.ts.
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, type PrometheusProcess } from './helpers/prometheus.ts';
import { startExporterSideBySide, targetStates, type ExporterSideBySide } from './helpers/scrape-side-by-side.ts';
import { getJson, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

/** job -> the exposition its endpoint serves. */
const BODIES: Record<string, string | Buffer> = {
  bad_value: '# HELP a Some help.\na is\n',
  bad_value_labels: 'a{b="c"} 1,5\n',
  missing_value: 'a\n',
  missing_value_labels: 'a{b="c"}\n',
  missing_value_blank: 'a{b="c"} \n',
  value_out_of_range: 'a 1e400\n',
  hex_value: 'a 0x1p3\n',
  signed_nan: 'a -NaN\n',
  bad_timestamp: 'a 1 soon\n',
  timestamp_out_of_range: 'a 1 99999999999999999999\n',
  fractional_timestamp: 'a 1 1.5\n',
  after_timestamp: 'a 1 2 3\n',
  after_value: 'a 1{\n',
  exemplar_in_text: 'a 1 # {trace_id="x"} 1\n',
  bad_label_name: 'a{1b="c"} 1\n',
  comma_first: 'a{,b="c"} 1\n',
  missing_equals: 'a{b "c"} 1\n',
  unquoted_label_value: 'a{b=c} 1\n',
  unterminated_label_value: 'a{b="c} 1\n',
  unterminated_label_value_eof: 'a{b="c',
  unterminated_braces: 'a{b="c" 1\n',
  unterminated_braces_eof: 'a{b="c"',
  two_label_sets: 'a{b="c"}{d="e"} 1\n',
  duplicate_label: 'a{b="1",b="2"} 1\n',
  name_in_braces: 'a{__name__="b"} 1\n',
  no_metric_name: '{b="c"} 1\n',
  bad_metric_name: '1a 1\n',
  bad_char_in_name: 'a-b 1\n',
  bad_type: '# TYPE a foo\n',
  type_without_type: '# TYPE a\n',
  type_with_more: '# TYPE a counter extra\n',
  type_bad_name: '# TYPE 1a counter\n',
  help_bad_name: '# HELP 1a text\n',
  help_no_name: '# HELP \n',
  // Go's %q: control characters escaped, others as they are.
  quoting_control: 'a 1\x01\x7f\n',
  quoting_unicode: 'a 1é"\\\n',
  label_value_across_lines: 'a{b="c} 1\nd{e="f"} 2\n',
  trailing_comma_ok_then_bad_value: 'a{b="c",} x\n',
  bad_second_line: 'a 1\nb{c="d"} 2 3 4\n',
  // Bytes that are not UTF-8, where Prometheus checks for them.
  invalid_utf8_label_value: Buffer.from('a{b="\xff"} 1\n', 'latin1'),
  invalid_utf8_help: Buffer.from('# HELP a \xfe\xff help\na 1\n', 'latin1'),
  invalid_utf8_later_label: Buffer.from('a{b="c"} 1\nd{e="\xc3"} 2\n', 'latin1'),
  invalid_utf8_after_error: Buffer.from('a is\nd{e="\xc3"} 2\n', 'latin1'),
  invalid_utf8_value_over_lines: Buffer.from('a 1\nb{c="x\n# HELP d \xff\n"} 1\n', 'latin1'),
  // A label value over lines is taken (see STORED); what follows it is still read.
  bad_value_after_value_over_lines: 'a{b="x\ny" c="z"} 1\nc is\n',
  escaped_newline_in_value: 'a{b="x\\\ny"} 1\n',
};

/**
 * Stored by Prometheus 2.42 and refused by expfmt (see the top): job -> body. Each job's families
 * are its own, so that /api/v1/metadata of a family is that job's.
 */
const STORED: Record<string, string> = {
  second_type: '# TYPE st counter\n# HELP st Help.\n# TYPE st gauge\nst 1\n',
  type_after_samples: 'tas_bucket{le="1"} 1\ntas_count 1\n# TYPE tas histogram\ntas_sum 2\n',
  second_help: '# HELP sh x\n# HELP sh y\nsh 1\n',
  type_no_name: '# TYPE\n# HELP\n#TYPE tnn foo\ntnn 1\n',
  no_comma: 'nc{b="c" d="e"} 1\nnc{b="x"d="y",} 2\n',
  newline_in_label_value: 'nl{b="c\nd" e="\\"\n\\\\"} 1\nnl2 3\n',
};

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const job = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(BODIES[job] ?? STORED[job] ?? 'ok 1\n');
}

describe('exposition parse errors side by side with Prometheus 2.42', () => {
  let dir: string;
  let both: ExporterSideBySide | undefined;
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let skip: string | null = null;

  beforeAll(async () => {
    skip = await prometheusForComparison('the Prometheus comparison');
    if (skip) return;
    dir = tempDir('strata-scrape-expo-');
    both = await startExporterSideBySide(dir, [...Object.keys(BODIES), ...Object.keys(STORED)], handle);
    ({ prom, strata } = both);
  }, 120_000);

  afterAll(async () => {
    await both?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });


  it('gives every malformed exposition the lastError Prometheus gives it, and logs it so', async (ctx) => {
    if (skip) ctx.skip();
    const jobs = Object.keys(BODIES);
    const [theirs, ours] = await Promise.all([targetStates(prom!.url, jobs), targetStates(strata!.url, jobs)]);
    const differing: Record<string, { strata: string; prometheus: string }> = {};
    for (const j of jobs) {
      if (ours[j][1] !== theirs[j][1]) differing[j] = { strata: ours[j][1], prometheus: theirs[j][1] };
    }
    expect(differing).toEqual({});
    // Every body here is one Prometheus refuses: the comparison compares failures.
    expect(jobs.filter((j) => theirs[j][0] !== 'down')).toEqual([]);
    // Spot checks that the comparison compares what it means to.
    expect(theirs.bad_value[1]).toBe('strconv.ParseFloat: parsing "is": invalid syntax');
    expect(theirs.missing_value[1]).toBe('expected value after metric, got "INVALID"');
    expect(theirs.bad_type[1]).toBe('invalid metric type "foo"');
    await until('the bad value logged', () => strata!.logLines().some((l) => l.msg === 'scrape failed' && l.err === ours.bad_value[1]) || null);
  }, 60_000);

  /** A job's stored series (scrape timings left out) as sorted `{labels} value@t` lines. */
  async function stored(url: string, job: string): Promise<string[]> {
    const q = encodeURIComponent(`{job="${job}",__name__!~"scrape_duration_seconds|scrape_series_added"}`);
    const r = await getJson(`${url}/api/v1/query?query=${q}`);
    expect(r.body.status, JSON.stringify(r.body)).toBe('success');
    return (r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
      .map((x) => `${JSON.stringify(Object.entries(x.metric).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))} ${x.value[1]}`)
      .sort();
  }

  it('stores what Prometheus 2.42 stores from text expfmt refuses: same series, values and metadata', async (ctx) => {
    if (skip) ctx.skip();
    const jobs = Object.keys(STORED);
    const [theirs, ours] = await Promise.all([targetStates(prom!.url, jobs), targetStates(strata!.url, jobs)]);
    for (const j of jobs) expect([j, ...theirs[j]]).toEqual([j, 'up', '']);
    for (const j of jobs) expect([j, ...ours[j]]).toEqual([j, 'up', '']);
    // up, scrape_samples_scraped, scrape_samples_post_metric_relabeling and the samples themselves.
    const want: Record<string, string[]> = {};
    const got: Record<string, string[]> = {};
    for (const j of jobs) {
      want[j] = await until(`${j} stored by Prometheus`, async () => ((await stored(prom!.url, j)).length > 3 ? stored(prom!.url, j) : null), 20_000);
      got[j] = await until(`${j} stored by Strata`, async () => ((await stored(strata!.url, j)).length > 3 ? stored(strata!.url, j) : null), 20_000);
    }
    expect(got).toEqual(want);
    // Spot checks that the comparison compares what it means to.
    expect(want.no_comma.some((l) => l.startsWith('[["__name__","nc"],["b","c"],["d","e"],') && l.endsWith(' 1'))).toBe(true);
    expect(want.newline_in_label_value.some((l) => l.includes('["b","c\\nd"],["e","\\"\\n\\\\"]'))).toBe(true);

    const metadata = async (url: string) => {
      const out: Record<string, unknown> = {};
      for (const m of ['st', 'tas', 'sh', 'tnn', 'nc']) out[m] = (await getJson(`${url}/api/v1/metadata?metric=${m}`)).body.data[m] ?? null;
      return out;
    };
    const theirMetadata = await metadata(prom!.url);
    expect(theirMetadata).toEqual({
      st: [{ type: 'gauge', help: 'Help.', unit: '' }],
      tas: [{ type: 'histogram', help: '', unit: '' }],
      sh: [{ type: 'unknown', help: 'y', unit: '' }],
      tnn: null,
      nc: null,
    });
    expect(await metadata(strata!.url)).toEqual(theirMetadata);
  }, 60_000);
});
