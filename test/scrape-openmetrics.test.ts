// OpenMetrics scrapes side by side: the real Prometheus 2.42 and the Strata server scrape the same
// endpoints, each serving one OpenMetrics body (Content-Type application/openmetrics-text;
// version=1.0.0; charset=utf-8), and every target's lastError in /api/v1/targets must be
// Prometheus' own words (its OpenMetrics parser's errors: `expected label name or left brace, got
// "INVALID"`, `unit not a suffix of metric "a_bytes"`, `metric name a does not support
// exemplars`, ...). Bodies 2.42 stores must be stored the same: series, values, timestamps and
// metadata. The same for text 0.0.4 bodies where Strata used to differ (TYPE in capitals, CR line
// ends, signed timestamps, blanks before a name); the rest of the text comparison is
// scrape-errors-exposition.test.ts.
//
// 2.42's OpenMetrics reader is strict about spacing (one blank between tokens, no blank lines, no
// comments other than HELP/TYPE/UNIT/EOF, no trailing comma) and lax about meaning (no check that
// samples fit their family: a counter without _total, a second TYPE, _created as a series).
// Prometheus 3 differs (read from its openmetricsparse.go, not run here): its parser errors also
// quote the text where it stopped and the entry read so far (for `a{1b="c"} 1` something like
// `expected label name, got "1" ("INVALID") while parsing: "a{1"`), and it takes quoted UTF-8
// names; like 2.42 it stores _created lines as series unless its created-timestamp feature is on.
// Strata follows 2.42, the version compared here; switching means changing openmetrics.ts and
// this test's reference.
//
// Pushes and imports of OpenMetrics keep the format's own rules (src/ingest/exposition.test.ts).
//
// Not compared here: a sample older than the head accepts, which both drop alone (counted as out
// of bounds) with the scrape up — whether it is too old depends on what the head held before, which
// the other jobs' scrapes race with (test/scrape.test.ts checks Strata's side). And a timestamp
// beyond 2^53 ms (text `a 1 9007199254740993`), which 2.42 stores and Strata refuses, saying it
// cannot store it (src/ingest tests; here it would also move 2.42's head so far that every later
// sample of the other jobs is out of bounds).
import * as fs from 'node:fs';
import type * as http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, type PrometheusProcess } from './helpers/prometheus.ts';
import { startExporterSideBySide, targetStates, type ExporterSideBySide } from './helpers/scrape-side-by-side.ts';
import { getJson, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const E = '# EOF\n';
const OPENMETRICS = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
const TEXT = 'text/plain; version=0.0.4';

/** job -> an OpenMetrics body Prometheus 2.42 refuses. */
const REFUSED: Record<string, string | Buffer> = {
  // # EOF
  no_eof: 'a 1\n',
  empty: '',
  after_eof: 'a 1\n# EOF\nb 1\n',
  blank_after_eof: 'a 1\n# EOF\n\n',
  blank_after_eof_word: 'a 1\n# EOF \n',
  crlf: 'a 1\r\n# EOF\r\n',
  crlf_eof_only: 'a 1\n# EOF\r\n',
  eof_then_text: '# EOFX\n',
  ts_at_end: 'a 1 2',
  // Lines that start nothing.
  blank_line: 'a 1\n\nb 1\n' + E,
  comment: '# hello\na 1\n' + E,
  comment_no_blank: '#hello\na 1\n' + E,
  comment_like_help: '# HELLO\n' + E,
  eof_lower_case: '# eof\n',
  help_tab: '# HELP\ta x\n' + E,
  no_metric_name: '{b="c"} 1\n' + E,
  bad_metric_name: '1a 1\n' + E,
  unicode_name: 'é 1\n' + E,
  // HELP, TYPE, UNIT
  type_capital: '# TYPE a COUNTER\na_total 1\n' + E,
  bad_type: '# TYPE a foo\n' + E,
  untyped: '# TYPE a untyped\n' + E,
  type_with_more: '# TYPE a counter extra\n' + E,
  type_blank_after: '# TYPE a counter \n' + E,
  type_without_type: '# TYPE a\n' + E,
  type_tab: '# TYPE a\tcounter\n' + E,
  type_two_blanks: '# TYPE  a counter\n' + E,
  type_bad_name: '# TYPE 1a counter\n' + E,
  help_bad_name: '# HELP 1a x\n' + E,
  help_without_text: '# HELP a\n' + E,
  help_at_end: '# HELP a x',
  unit_bad_name: '# UNIT 1a x\n' + E,
  unit_mismatch: '# UNIT a_bytes seconds\n' + E,
  unit_is_name: '# UNIT seconds seconds\n' + E,
  unit_no_underscore: '# UNIT aseconds seconds\n' + E,
  unit_without_text: '# UNIT a\n' + E,
  // Values and timestamps
  bad_value: 'a is\n' + E,
  value_out_of_range: 'a 1e400\n' + E,
  hex_value: 'a 0x1p3\n' + E,
  signed_nan: 'a +NaN\n' + E,
  missing_value: 'a\n' + E,
  missing_value_labels: 'a{b="c"}\n' + E,
  two_blanks_before_value: 'a  1\n' + E,
  tab_before_value: 'a\t1\n' + E,
  blank_after_value: 'a 1 \n' + E,
  bad_timestamp: 'a 1 soon\n' + E,
  nan_timestamp: 'a 1 NaN\n' + E,
  inf_timestamp: 'a 1 +Inf\n' + E,
  after_timestamp: 'a 1 2 3\n' + E,
  tab_after_timestamp: 'a 1 2\t\n' + E,
  // Label sets
  bad_label_name: 'a{1b="c"} 1\n' + E,
  comma_first: 'a{,b="c"} 1\n' + E,
  blank_in_braces: 'a{ b="c"} 1\n' + E,
  trailing_comma: 'a{b="c",} 1\n' + E,
  no_comma: 'a{b="c" d="e"} 1\n' + E,
  no_comma_no_blank: 'a{b="c"d="e"} 1\n' + E,
  missing_equals: 'a{b "c"} 1\n' + E,
  blanks_around_equals: 'a{b = "c"} 1\n' + E,
  unquoted_value: 'a{b=c} 1\n' + E,
  unterminated_value: 'a{b="c} 1\n' + E,
  escaped_newline: 'a{b="x\\\ny"} 1\n' + E,
  unterminated_braces: 'a{b="c"',
  no_blank_after_braces: 'a{b="c"}1\n' + E,
  blank_before_braces: 'a {b="c"} 1\n' + E,
  two_label_sets: 'a{b="c"}{d="e"} 1\n' + E,
  duplicate_label: 'a{b="1",b="2"} 1\n' + E,
  name_in_braces: 'a{__name__="b"} 1\n' + E,
  // Exemplars
  exemplar_on_gauge: 'a 1 # {t="x"} 1\n' + E,
  exemplar_bad_value: 'a_total 1 # {t="x"} x\n' + E,
  exemplar_no_value: 'a_total 1 # {t="x"}\n' + E,
  exemplar_bad_timestamp: 'a_total 1 # {t="x"} 1 soon\n' + E,
  exemplar_nan_timestamp: 'a_total 1 # {t="x"} 1 NaN\n' + E,
  exemplar_without_braces: 'a_total 1 # x\n' + E,
  exemplar_two_blanks: 'a_total 1  # {t="x"} 1\n' + E,
  exemplar_after_timestamp: 'a_total 1 123 # {t="x"} z\n' + E,
  after_exemplar_timestamp: 'a_total 1 # {t="x"} 1 2 3\n' + E,
  exemplar_trailing_comma: 'a_total 1 # {t="x",} 1\n' + E,
  exemplar_bad_label: 'a_total 1 # {1t="x"} 1\n' + E,
  exemplar_then_duplicate_label: 'a_total{b="1",b="2"} 1 # {t} 1\n' + E,
  label_limit_then_bad_value: 'a{b="1",c="2"} 1\nb x\n' + E,
  // Bytes that are not UTF-8
  invalid_utf8_label_value: Buffer.from('a{b="\xff"} 1\n' + E, 'latin1'),
  invalid_utf8_exemplar: Buffer.from('a_total 1 # {t="\xff"} 1\n' + E, 'latin1'),
  invalid_utf8_help: Buffer.from('# HELP a \xfe\xff\n' + E, 'latin1'),
};

/** job -> a text 0.0.4 body Prometheus 2.42's scraper refuses and expfmt (the push reference) takes. */
const TEXT_REFUSED: Record<string, string> = {
  text_type_capital: '# TYPE a COUNTER\na 1\n',
  text_type_mixed_case: '# TYPE a Gauge\na 1\n',
  text_type_two_blanks: '# TYPE a  gauge\na 1\n',
  text_type_blank_after: '# TYPE a gauge \na 1\n',
  text_crlf: 'a 1\r\n',
  text_crlf_timestamp: 'a 1 123\r\n',
  text_crlf_type: '# TYPE a counter\r\na 1\n',
  text_crlf_blank_line: 'a 1\n\r\nb 2\n',
  text_negative_timestamp: 'a 1 -5\n',
  text_plus_timestamp: 'a 1 +5\n',
  text_blank_before_name: ' a 1\n',
  text_tab_before_name: '\ta{b="c"} 1\n',
  // Prometheus appends as it parses: a sample it refuses comes before a later parse error.
  text_blank_before_name_then_bad_value: 'x 1\n a 1\nb x\n',
  text_label_limit_then_bad_value: 'a{b="1",c="2"} 1\nb x\n',
};

/** Scrape config fields of some jobs. */
const JOB_CONFIG: Record<string, string> = {
  text_label_limit_then_bad_value: 'label_limit: 3, ',
  label_limit_then_bad_value: 'label_limit: 3, ',
};

// A fixed recent time, for explicit timestamps both store (seconds).
const T = Math.floor(Date.now() / 1000) - 30;

/**
 * job -> a body Prometheus 2.42 stores (OpenMetrics unless the job starts with text_). Each job's
 * families are its own, so that /api/v1/metadata of a family is that job's.
 */
const STORED: Record<string, string> = {
  created: '# TYPE c counter\nc_total 1\nc_created 1700000000\n' + E,
  counter_without_total: '# TYPE c2 counter\nc2 1\n' + E,
  negative_counter: '# TYPE nc counter\nnc_total -1\n' + E,
  info: '# TYPE i info\ni_info{v="1"} 1\n' + E,
  stateset: '# TYPE s stateset\ns{s="a"} 1\ns{s="b"} 0\n' + E,
  gaugehistogram: '# TYPE g gaugehistogram\ng_bucket{le="+Inf"} 1\ng_gcount 1\ng_gsum 2\n' + E,
  histogram_without_inf: '# TYPE h histogram\nh_bucket{le="1"} 1\nh_count 1\nh_sum 1\nh_created 1\n' + E,
  summary: '# TYPE su summary\nsu{quantile="0.5"} 1\nsu_count 1\nsu_sum 1\nsu_created 5\n' + E,
  second_type: '# TYPE st gauge\n# TYPE st counter\nst_total 1\n' + E,
  type_after_samples: 'ta 1\n# TYPE ta gauge\n' + E,
  second_help: '# HELP sh x\n# HELP sh y\nsh 1\n' + E,
  help_escapes: '# HELP he a\\nb\\\\c\\"d\\x\nhe 1\n' + E,
  help_crlf: '# HELP hc x\r\nhc 1\n' + E,
  empty_help: '# HELP hem \nhem 1\n' + E,
  label_escapes: 'le{a="x\\ny\\"z\\\\w\\q",e=""} 1\n' + E,
  unit: '# TYPE u_seconds gauge\n# UNIT u_seconds seconds\n# HELP u_seconds Help.\nu_seconds 1\n' + E,
  unit_only: '# UNIT uo_bytes bytes\nuo_bytes 1\n' + E,
  empty_unit: '# UNIT ue_bytes \nue_bytes 1\n' + E,
  special_values: 'sv1 NaN\nsv2 -Inf\nsv3 +inf\nsv4 Infinity\nsv5 .5\nsv6 5.\nsv7 1e-400\n' + E,
  timestamps: `tf 1 ${T}.0009\nti 1 ${T}\nte 1 ${T / 1e9}e9\n` + E,
  exemplars: `ex_total 1 ${T} # {t="x"} 1 ${T}\nex2_total 1 ${T} # {t="x",u="y"} 1\neb_bucket{le="1"} 1 ${T} # {} 1\n` + E,
  exemplars_untimed: `exu_total 1 # {t="x"} 1 ${T}\nlx_total 1 # {t="${'x'.repeat(130)}"} 1\n` + E,
  colon_and_reserved_names: 'a:b 1\nrl{__x="y"} 1\n' + E,
  nul_in_value: 'nv{a="x\x00y"} 1\n' + E,
  empty_braces: 'eb2{} 1\n' + E,
  // The second sample of a series in one scrape is a duplicate: the first is kept.
  repeated_series: 'rp 1\nrq 1\nrp 2\n' + E,
  only_eof: E,
  eof_without_newline: 'en 1\n# EOF',
  text_help_crlf: '# HELP thc x\r\nthc 1\n',
  text_help_two_blanks: '# HELP th2  two\nth2 1\n',
  text_big_timestamp_ms: `tbt 1 0${T}000\n`,
  text_repeated_series: 'trp 1\ntrq 1\ntrp 2\n',
  // An earlier timestamp of a series in the same scrape is not stored; a later one is.
  text_repeated_timestamped: `trd 1 ${T}000\ntrd 2 ${T - 1}000\n`,
  text_repeated_later: `trl{a="1"} 1 ${T - 1}000\ntrl{a="1"} 2 ${T}000\n`,
  repeated_later: `rl 1 ${T - 1}\nrl 2 ${T}\n` + E,
};

/**
 * job -> a Content-Type served with `a 1` (no # EOF): down as OpenMetrics, up as text. Prometheus
 * takes the media type as Go's mime.ParseMediaType reads it, and text for what does not parse.
 */
const CONTENT_TYPES: Record<string, string> = {
  ct_capitals: 'Application/OpenMetrics-Text',
  ct_other_version: 'application/openmetrics-text; version=2.0.0',
  ct_trailing_semicolon: 'application/openmetrics-text;',
  ct_parameter_without_value: 'application/openmetrics-text; version',
  ct_empty_parameter: 'application/openmetrics-text;; version=1.0.0',
  ct_repeated_parameter: 'application/openmetrics-text; version=1.0.0; Version=1.0.0',
  ct_longer_type: 'application/openmetrics-text-x',
  ct_unknown: 'application/json',
};

/** Jobs whose samples carry their own timestamps (the same in both, unlike scrape times). */
const TIMESTAMPED = ['timestamps', 'exemplars', 'text_big_timestamp_ms', 'text_repeated_timestamped', 'text_repeated_later', 'repeated_later'];

function handle(req: http.IncomingMessage, res: http.ServerResponse): void {
  const job = new URL(req.url ?? '/', 'http://x').pathname.slice(1);
  if (CONTENT_TYPES[job] !== undefined) return void res.writeHead(200, { 'Content-Type': CONTENT_TYPES[job] }).end('a 1\n');
  const body = REFUSED[job] ?? TEXT_REFUSED[job] ?? STORED[job] ?? '';
  res.writeHead(200, { 'Content-Type': job.startsWith('text_') ? TEXT : OPENMETRICS }).end(body);
}

describe('OpenMetrics scrapes side by side with Prometheus 2.42', () => {
  let dir: string;
  let both: ExporterSideBySide | undefined;
  let prom: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let skip: string | null = null;

  beforeAll(async () => {
    skip = await prometheusForComparison('the Prometheus comparison');
    if (skip) return;
    dir = tempDir('strata-scrape-om-');
    both = await startExporterSideBySide(dir, [...Object.keys(REFUSED), ...Object.keys(TEXT_REFUSED), ...Object.keys(STORED), ...Object.keys(CONTENT_TYPES)], handle, JOB_CONFIG);
    ({ prom, strata } = both);
  }, 120_000);

  afterAll(async () => {
    await both?.stop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });


  async function compareRefusals(jobs: string[]): Promise<Record<string, [string, string]>> {
    const [theirs, ours] = await Promise.all([targetStates(prom!.url, jobs), targetStates(strata!.url, jobs)]);
    const differing: Record<string, { strata: string; prometheus: string }> = {};
    for (const j of jobs) {
      if (ours[j][1] !== theirs[j][1]) differing[j] = { strata: ours[j][1], prometheus: theirs[j][1] };
    }
    expect(differing).toEqual({});
    // Every body here is one Prometheus refuses: the comparison compares failures.
    expect(jobs.filter((j) => theirs[j][0] !== 'down')).toEqual([]);
    return theirs;
  }

  it('gives every malformed OpenMetrics body the lastError Prometheus gives it', async (ctx) => {
    if (skip) ctx.skip();
    const theirs = await compareRefusals(Object.keys(REFUSED));
    // Spot checks that the comparison compares what it means to.
    expect(theirs.trailing_comma[1]).toBe('expected label name, got "BCLOSE"');
    expect(theirs.unit_mismatch[1]).toBe('unit not a suffix of metric "a_bytes"');
    expect(theirs.comment[1]).toBe('"INVALID" "h" is not a valid start token');
    expect(theirs.exemplar_on_gauge[1]).toBe('metric name a does not support exemplars');
  }, 60_000);

  it('refuses the text 0.0.4 Prometheus\' scraper refuses, in its words', async (ctx) => {
    if (skip) ctx.skip();
    const theirs = await compareRefusals(Object.keys(TEXT_REFUSED));
    expect(theirs.text_type_capital[1]).toBe('invalid metric type "COUNTER"');
    expect(theirs.text_crlf[1]).toBe('strconv.ParseFloat: parsing "1\\r": invalid syntax');
    expect(theirs.text_blank_before_name[1]).toMatch(/^invalid metric name or label names: \{__name__=" a", instance="[^"]+", job="text_blank_before_name"\}$/);
    expect(theirs.text_label_limit_then_bad_value[1]).toMatch(/^label_limit exceeded/);
  }, 60_000);

  it('reads a body as OpenMetrics or text by its Content-Type as Prometheus does', async (ctx) => {
    if (skip) ctx.skip();
    const jobs = Object.keys(CONTENT_TYPES);
    const [theirs, ours] = await Promise.all([targetStates(prom!.url, jobs), targetStates(strata!.url, jobs)]);
    expect(Object.fromEntries(jobs.map((j) => [j, ours[j]]))).toEqual(Object.fromEntries(jobs.map((j) => [j, theirs[j]])));
    expect(theirs.ct_capitals).toEqual(['down', 'data does not end with # EOF']);
    expect(theirs.ct_parameter_without_value).toEqual(['up', '']);
  }, 60_000);

  /**
   * A job's stored series (scrape timings left out) as sorted `{labels} value` lines, with the
   * samples' timestamps for the TIMESTAMPED jobs; null until the job's `up` is there (stored with
   * its scrape's samples, in the same append).
   */
  async function stored(url: string, job: string): Promise<string[] | null> {
    const q = async (query: string) => {
      const r = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(query)}`);
      expect(r.body.status, JSON.stringify(r.body)).toBe('success');
      return (r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
        .map((x) => `${JSON.stringify(Object.entries(x.metric).sort(([p], [q]) => (p < q ? -1 : p > q ? 1 : 0)))} ${x.value[1]}`)
        .sort();
    };
    const series = await q(`{job="${job}",__name__!~"scrape_duration_seconds|scrape_series_added"}`);
    if (!series.some((l) => l.startsWith('[["__name__","up"]'))) return null;
    if (TIMESTAMPED.includes(job)) {
      // Every sample kept of each series, with its timestamp (a repeated scrape of the same
      // timestamp stores nothing new, in both).
      const r = await getJson(`${url}/api/v1/query?query=${encodeURIComponent(`{job="${job}",__name__!~"up|scrape_.*"}[1h]`)}`);
      for (const x of r.body.data.result as { metric: Record<string, string>; values: [number, string][] }[]) {
        series.push(`samples ${x.metric.__name__} ${x.values.map(([t, v]) => `${v}@${t}`).join(' ')}`);
      }
      series.sort();
    }
    return series;
  }

  it('stores what Prometheus 2.42 stores: same series, values, timestamps and metadata', async (ctx) => {
    if (skip) ctx.skip();
    const jobs = Object.keys(STORED);
    const [theirs, ours] = await Promise.all([targetStates(prom!.url, jobs), targetStates(strata!.url, jobs)]);
    for (const j of jobs) expect([j, ...theirs[j]]).toEqual([j, 'up', '']);
    for (const j of jobs) expect([j, ...ours[j]]).toEqual([j, 'up', '']);
    const want: Record<string, string[]> = {};
    const got: Record<string, string[]> = {};
    for (const j of jobs) {
      want[j] = await until(`${j} stored by Prometheus`, () => stored(prom!.url, j), 20_000);
      got[j] = await until(`${j} stored by Strata`, () => stored(strata!.url, j), 20_000);
    }
    expect(got).toEqual(want);
    // Spot checks that the comparison compares what it means to.
    expect(want.created.some((l) => l.startsWith('[["__name__","c_created"]') && l.endsWith(' 1700000000'))).toBe(true);
    // Seconds truncated to milliseconds: T.0009 is T.
    expect(want.timestamps.filter((l) => l.startsWith('samples '))).toEqual([`samples te 1@${T}`, `samples tf 1@${T}`, `samples ti 1@${T}`]);
    expect(want.text_repeated_timestamped.filter((l) => l.startsWith('samples '))).toEqual([`samples trd 1@${T}`]);
    expect(want.repeated_series.filter((l) => l.startsWith('[["__name__","rp"]')).map((l) => l.split(' ').pop())).toEqual(['1']);

    const families = ['c', 'c2', 'nc', 'i', 's', 'g', 'h', 'su', 'st', 'ta', 'sh', 'he', 'hc', 'hem', 'u_seconds', 'uo_bytes', 'ue_bytes', 'thc', 'th2'];
    const metadata = async (url: string) => {
      const out: Record<string, unknown> = {};
      for (const m of families) out[m] = (await getJson(`${url}/api/v1/metadata?metric=${m}`)).body.data[m] ?? null;
      return out;
    };
    const theirMetadata = await metadata(prom!.url);
    expect(theirMetadata).toMatchObject({
      st: [{ type: 'counter', help: '', unit: '' }],
      he: [{ type: 'unknown', help: 'a\nb\\c"d\\x', unit: '' }],
      u_seconds: [{ type: 'gauge', help: 'Help.', unit: 'seconds' }],
      th2: [{ type: 'unknown', help: ' two', unit: '' }],
    });
    expect(await metadata(strata!.url)).toEqual(theirMetadata);
  }, 90_000);
});
