// Strata's Pushgateway API side by side with the real Pushgateway (Debian's 1.5.1): the same
// requests go to both, and the answers (status and text) and what each then holds (the
// Pushgateway's /metrics, Strata's instant query: series, labels, values, push_time_seconds and
// push_failure_time_seconds per group) must agree, except for the differences listed here with
// their reasons (docs/collection-methods.md, "Pushgateway API", has them too).
//
// Not sent to the Pushgateway, because it breaks it for the rest of the run: a grouping label
// whose @base64 value is not UTF-8 (`b@base64/__8`). The Pushgateway accepts the path, its
// consistency check then refuses the push and records the failure in a group with that label,
// and from then on every push fails, that group being unexposable. Strata refuses the path
// (`the value of b@base64 does not decode to UTF-8`).
//
// The Pushgateway's GET /api/v1/metrics (its groups as JSON) has no equivalent in Strata: the
// groups are series in the TSDB (`push_time_seconds` lists them, with their grouping labels).
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushgatewayForComparison, startPushgateway, type PushgatewayProcess } from '../helpers/pushgateway.ts';
import { query, startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';

let skipReason: string | null = null;
let pg: PushgatewayProcess | undefined;
let strata: StrataProcess | undefined;

beforeAll(async () => {
  skipReason = await pushgatewayForComparison('the Pushgateway comparison');
  if (skipReason) return;
  pg = await startPushgateway();
  strata = await startStrata({ dataDir: path.join(tempDir('strata-pgcompat-'), 'data') });
}, 60_000);

afterAll(async () => {
  await pg?.stop();
  await strata?.stop();
});

interface Answer {
  status: number;
  text: string;
}

const PROTOBUF_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

async function send(base: string, method: string, p: string, body?: string | Uint8Array): Promise<Answer> {
  const r = await fetch(`${base}${p}`, {
    method,
    redirect: 'manual',
    headers: body === undefined ? {} : { 'Content-Type': typeof body === 'string' ? 'text/plain; version=0.0.4' : PROTOBUF_TYPE },
    body,
  });
  return { status: r.status, text: (await r.text()).trimEnd() };
}

/** Sends the request to the Pushgateway, then to Strata; returns both answers. */
async function both(method: string, p: string, body?: string | Uint8Array): Promise<{ pg: Answer; strata: Answer }> {
  return { pg: await send(pg!.url, method, p, body), strata: await send(strata!.url, method, p, body) };
}

/**
 * The Pushgateway names a series in its consistency errors by dumping its protobuf message
 * (`{ label:<name:"job" value:"a" > untyped:<value:1 > }`); Strata names it in Prometheus'
 * notation (`{job="a"}`). The rest of the message is compared word for word.
 */
function normalise(text: string): string {
  return text.replace(/(collected metric "[^"]*") \{.*?\} (?=was collected before|is not a|has a label)/g, '$1 {…} ');
}

// [method, path, body]: answered alike by both (status and text after normalise()). Every case
// uses its own job and metric names: the Pushgateway checks a push against every group it holds.
const SAME: [string, string, string | undefined][] = [
  // Paths.
  ['PUT', '/metrics/job/s1', 's1 1\n'],
  ['PUT', '/metrics/job/s2/', 's2 1\n'],
  ['PUT', '/metrics/job/s3/lonely', 's3 1\n'],
  ['PUT', '/metrics/job/s4/a/b/c', 's4 1\n'],
  ['PUT', '/metrics/job/s5/a/b/c/', 's5 1\n'],
  ['PUT', '/metrics/job/s6/b-c/v', 's6 1\n'],
  ['PUT', '/metrics/job/s7/__x/v', 's7 1\n'],
  ['PUT', '/metrics/job/s8/1b/v', 's8 1\n'],
  ['PUT', '/metrics/job/s9/__name__/v', 's9 1\n'],
  ['PUT', '/metrics/job/s10/@base64/YQ', 's10 1\n'],
  ['PUT', '/metrics/job/s11/b@base64@base64/YQ', 's11 1\n'],
  ['POST', '/metrics/job/s12/a/b/c', 's12 1\n'],
  ['DELETE', '/metrics/job/s13/a', undefined],
  ['DELETE', '/metrics/job/s14/b-c/d', undefined],
  ['DELETE', '/metrics/job/never-pushed', undefined],
  ['DELETE', '/metrics/job/never-pushed/with/labels', undefined],
  // @base64: padding optional, "=" the empty value; an empty job is none.
  ['PUT', `/metrics/job@base64/${Buffer.from('b64/job').toString('base64url')}`, 'b1 1\n'],
  ['PUT', `/metrics/job@base64/${Buffer.from('b2j').toString('base64')}/path@base64/${Buffer.from('/var/tmp').toString('base64url')}=`, 'b2 1\n'],
  ['PUT', '/metrics/job@base64/=', 'b3 1\n'],
  ['PUT', '/metrics/job/b5/x@base64/Y', 'b5 1\n'],
  ['PUT', '/metrics/job/b6/x@base64/YWJjZ', 'b6 1\n'],
  ['PUT', '/metrics/job/b7/x@base64/YQ=x', 'b7 1\n'],
  ['PUT', '/metrics/job/b8/x@base64/%2Bw', 'b8 1\n'],
  // Bodies the consistency check refuses.
  ['PUT', '/metrics/job/c1', 'c1 1 1700000000000\n'],
  ['POST', '/metrics/job/c2/instance/i', '# TYPE c2 counter\nc2{a="x"} 1\nc2{a="y"} 2 1700000000000\n'],
  ['PUT', '/metrics/job/c3', 'c3{a="1"} 1\nc3{a="1"} 2\n'],
  ['PUT', '/metrics/job/c4', 'c4 1\nc4 2\n'],
  // The path's job and instance win over the body's, so these become one series twice.
  ['PUT', '/metrics/job/c5/instance/i', 'c5{job="other",instance="j"} 1\nc5 2\n'],
  ['PUT', '/metrics/job/c6', 'c6{__a="1"} 1\n'],
  ['PUT', '/metrics/job/c7', '# TYPE c7 histogram\nc7_bucket{le="1",__b="x"} 1\n'],
  // The grouping labels replace the body's (no refusal).
  ['PUT', '/metrics/job/g1/instance/i1', 'g1{job="z",instance="j",x="1"} 1\n'],
  // Bodies expfmt and Strata's parser word alike.
  ['PUT', '/metrics/job/p4', 'p4 1'],
  ['PUT', '/metrics/job/p5', 'p5{a="1"} 1\n# comment'],
  ['PUT', '/metrics/job/p6', 'p6 1\n   \n'],
  ['PUT', '/metrics/job/p7', ''],
  ['PUT', '/metrics/job/p8', 'p8 NaN\np8b +Inf\np8c -Inf\n'],
  ['PUT', '/metrics/job/p9', '# TYPE p9 counter\np9 -1\n'],
  ['PUT', '/metrics/job/p10', '# HELP p10 a \\\\ and \\n in help\np10{a="\\\\ \\" \\n"} 1\n'],
  ['PUT', '/metrics/job/p11', '# TYPE p11 GAUGE\np11 1\n'],
  ['PUT', '/metrics/job/p12', 'p12{a="1",} 1 -5\n'],
  // Another group's HELP for the same name is no conflict (the Pushgateway exposes one of them).
  ['PUT', '/metrics/job/p13', '# HELP p_help one\np_help 1\n'],
  ['PUT', '/metrics/job/p14', '# HELP p_help two\np_help 1\n'],
  // A POST to a group that does not exist yet.
  ['POST', '/metrics/job/p15/instance/i', '# TYPE p15 counter\np15_total 1\n'],
];

// [method, path, body, Pushgateway's answer, Strata's answer, why they differ].
const DIFFERENT: [string, string, string | undefined, Answer, Answer, string][] = [
  ['PUT', '/metrics/job', 'd1 1\n', { status: 404, text: '404 page not found' },
    { status: 400, text: 'the path must be /metrics/job/<job>{/<label>/<value>}: label names and values come in pairs' },
    'the Pushgateway has no route for a path without a job value; Strata says what the path must be'],
  ['PUT', '/metrics/job/', 'd11 1\n', { status: 307, text: '' }, { status: 400, text: 'job name is required' },
    'the Pushgateway redirects to the path without the slash, which it has no route for; Strata reads an empty job'],
  ['PUT', '/metrics/instance/d2', 'd2 1\n', { status: 404, text: '404 page not found' },
    { status: 400, text: 'the grouping key must start with job, not "instance"' }, 'as above'],
  ['PUT', '/metrics/job/d3/b/v/b/w', 'd3 1\n', { status: 200, text: '' },
    { status: 400, text: 'label "b" appears twice in the grouping key' },
    'the Pushgateway keeps the last value silently; Strata does not guess which one was meant'],
  ['PUT', '/metrics/job/d4/job/other', 'd4 1\n', { status: 200, text: '' },
    { status: 400, text: 'label "job" appears twice in the grouping key' }, 'the Pushgateway ignores the second job silently'],
  ['PUT', '/metrics/job/d5%2Fx', 'd5 1\n', { status: 400, text: 'odd number of components in label string "/x"' },
    { status: 200, text: '' },
    'the Pushgateway splits the path after decoding %2F; Strata decodes each segment, so the job is "d5/x" (the Pushgateway needs @base64 for that)'],
  ['PUT', '/metrics/job@base64/!!', 'd6 1\n', { status: 400, text: 'invalid base64 encoding in job name "": illegal base64 data at input byte 0' },
    { status: 400, text: 'invalid base64 encoding in job name "!!": illegal base64 data at input byte 0' },
    'the Pushgateway quotes the job after its failed decoding (empty); Strata quotes what was sent'],
  ['PUT', '/metrics/job/d7', 'push_time_seconds 5\nd7 1\n', { status: 200, text: '' },
    { status: 400, text: 'push_time_seconds is set by the server; it cannot be pushed' },
    'the Pushgateway replaces a pushed push_time_seconds with its own silently'],
  ['PUT', '/metrics/job/d8', 'd8{a=""} 1\nd8 2\n', { status: 200, text: '' },
    { status: 400, text: 'pushed metrics are invalid or inconsistent with existing metrics: collected metric "d8" {job="d8"} was collected before with the same name and label values' },
    'an empty label value is no label: the Pushgateway exposes two series that a scrape stores as one'],
];

// Text a parser refuses: answered alike, in expfmt's words (the Pushgateway parses with it).
const SYNTAX: [string, string][] = [
  ['t1', 't1{ 1\n'],
  ['t2', 't2 1\nt2b is\n'],
  ['t3', 't3 1\nt3{a="1",a="2"} 1\n'],
  ['t4', 't4{__name__="x"} 1\n'],
  ['t5', '# TYPE t5 gauge\nt5{a=1} 1\n'],
  ['t6', 't6 1 x\n'],
  ['t7', '# TYPE t7 nonsense\nt7 1\n'],
  ['t8', 't8{a="1"\n'],
  ['t9', '# TYPE t9 gauge\n# TYPE t9 counter\nt9 1\n'],
  ['t10', '# HELP t10 a\n# HELP t10 b\nt10 1\n'],
  ['t11', 't11 1\n# TYPE t11 gauge\n'],
  ['t12', 't12{a="1" b="2"} 1\n'],
  ['t13', 't13{a="x\ny"} 1\n'],
  ['t14', 't14{a "x"} 1\n'],
  ['t15', '# TYPE t15 summary\nt15{quantile="x"} 1\n'],
  ['t16', '# TYPE t16 histogram\nt16_bucket{le="big"} 1\n'],
  ['t17', 't17 1 2 3\n'],
  ['t18', 't18 1 1.5\n'],
  ['t19', '{a="1"} 1\n'],
  ['t20', '1t20 1\n'],
  ['t21', '# HELP t21-x help\nt21 1\n'],
  ['t22', 't22 1_000\n'],
  ['t23', 't23{a="1"}\n'],
  ['t24', 't24\n'],
  ['t25', '# HELP t25 bad \\escape\nt25 1\n'],
  ['t26', 't26{a="1",,b="2"} 1\n'],
  ['t27', 't27{a=="1"} 1\n'],
  ['t28', 't28{a="1"} 1\nt28{a="1\n'],
  ['t29', 't29 1 99999999999999999999\n'],
  ['t30', 't30 0x1p3\n'],
  ['t31', 't31{a="\\x"} 1\n'],
  ['t32', '# HELP t32 a \\"quoted\\" help\nt32 1\n'],
  ['t33', '# TYPE t33 summary\nt33{quantile="0.5"} 1\nt33_sum 1\nt33_count{quantile="0.5"} 1\nt33 x\n'],
];

describe('Pushgateway API side by side with the Pushgateway (Debian package, 1.5)', () => {
  it('answers valid and refused pushes alike: status and text', async (ctx) => {
    if (skipReason) ctx.skip();
    for (const [m, p, body] of SAME) {
      const a = await both(m, p, body);
      expect({ status: a.strata.status, text: normalise(a.strata.text) }, `${m} ${p} ${JSON.stringify(body)}`)
        .toEqual({ status: a.pg.status, text: normalise(a.pg.text) });
    }
  });

  it('differs where listed, for the reason given', async (ctx) => {
    if (skipReason) ctx.skip();
    for (const [m, p, body, wantPg, wantStrata, why] of DIFFERENT) {
      const a = await both(m, p, body);
      expect(a.pg, `Pushgateway: ${m} ${p} (${why})`).toEqual(wantPg);
      expect(a.strata, `Strata: ${m} ${p} (${why})`).toEqual(wantStrata);
    }
  });

  it('refuses bad text in expfmt\'s words', async (ctx) => {
    if (skipReason) ctx.skip();
    const differ: string[] = [];
    for (const [job, body] of SYNTAX) {
      const a = await both('PUT', `/metrics/job/${job}`, body);
      expect(a.pg.status, body).toBe(400);
      if (JSON.stringify(a.strata) !== JSON.stringify(a.pg)) differ.push(`${JSON.stringify(body)}: Pushgateway ${JSON.stringify(a.pg)}, Strata ${JSON.stringify(a.strata)}`);
    }
    expect(differ).toEqual([]);
  });

  it('refuses a type other groups give the name, and records the failure in a new group as in an existing one', async (ctx) => {
    if (skipReason) ctx.skip();
    expect(await both('PUT', '/metrics/job/ty1', '# TYPE ty_metric counter\nty_metric 1\n')).toEqual({ pg: { status: 200, text: '' }, strata: { status: 200, text: '' } });
    for (const body of ['# TYPE ty_metric gauge\nty_metric 1\n', 'ty_metric 1\n', '# TYPE ty_metric histogram\nty_metric_count 1\n']) {
      const a = await both('PUT', '/metrics/job/ty2', body);
      expect(a.pg.status, body).toBe(400);
      expect(a.strata.status, body).toBe(400);
      // Which of the two series the Pushgateway names depends on Go's map order: the words around it are fixed.
      const shape = /^pushed metrics are invalid or inconsistent with existing metrics: collected metric "ty_metric" \{.*\} is not a (COUNTER|GAUGE|UNTYPED|HISTOGRAM)$/;
      expect(a.pg.text, body).toMatch(shape);
      expect(a.strata.text, body).toMatch(shape);
      expect(a.strata.text).toMatch(/\{job="ty2"\} is not a COUNTER$/);
    }
    // The group that held the name alone may change its type.
    expect(await both('PUT', '/metrics/job/ty1', '# TYPE ty_metric gauge\nty_metric 2\n')).toEqual({ pg: { status: 200, text: '' }, strata: { status: 200, text: '' } });
    // ty2 failed three times without ever being pushed: both hold it with push_time_seconds 0.
    const held = await holdings(/^ty/);
    expect(held.strata).toEqual(held.pg);
    expect(held.strata['push_time_seconds{job="ty2"}']).toBe('0');
    expect(held.strata['push_failure_time_seconds{job="ty2"}']).toBe('push time');
  });

  it('holds the same series after PUT, POST, DELETE and failed pushes', async (ctx) => {
    if (skipReason) ctx.skip();
    const steps: [string, string, string | undefined, number][] = [
      ['PUT', '/metrics/job/e1/instance/i1', [
        '# HELP e_duration_seconds How long.', '# TYPE e_duration_seconds histogram',
        'e_duration_seconds_bucket{le="1"} 1', 'e_duration_seconds_bucket{le="+Inf"} 2', 'e_duration_seconds_sum 3', 'e_duration_seconds_count 2',
        '# TYPE e_files counter', 'e_files{dir="a"} 5', 'e_files{dir="b"} 6', 'e_last_success 100', ''].join('\n'), 200],
      // POST replaces the families it pushes (e_files{dir="a"} goes), the rest stays.
      ['POST', '/metrics/job/e1/instance/i1', '# TYPE e_files counter\ne_files{dir="b"} 7\n', 200],
      // PUT replaces the group.
      ['PUT', '/metrics/job/e2', 'e_a 1\ne_b 2\n', 200],
      ['PUT', '/metrics/job/e2', 'e_b 3\n', 200],
      // A syntax error records nothing, in an existing group or a new one.
      ['PUT', '/metrics/job/e2', 'e_b{ 4\n', 400],
      ['PUT', '/metrics/job/e3', 'e_b{ 4\n', 400],
      // A refusal of the consistency check records the failure, in an existing group or a new one.
      ['POST', '/metrics/job/e1/instance/i1', 'e_last_success 200 1700000000000\n', 400],
      ['PUT', '/metrics/job/e4', 'e_c 1\ne_c 2\n', 400],
      // DELETE removes the group.
      ['PUT', '/metrics/job/e5/x/y', 'e_d 1\n', 200],
      ['DELETE', '/metrics/job/e5/x/y', undefined, 202],
      // DELETE of a group that never was, and of one that is a failed push's.
      ['DELETE', '/metrics/job/e6', undefined, 202],
      ['PUT', '/metrics/job/e7', 'e_e 1 5\n', 400],
      ['DELETE', '/metrics/job/e7', undefined, 202],
      // Grouping labels from @base64, and overriding the body's.
      ['PUT', `/metrics/job@base64/${Buffer.from('e8/slash').toString('base64url')}/path@base64/${Buffer.from('/x').toString('base64url')}`, 'e_f{job="no",path="no",z="1"} 1\n', 200],
      // A PUT with an empty body empties the group and keeps it.
      ['PUT', '/metrics/job/e9', 'e_g 1\n', 200],
      ['PUT', '/metrics/job/e9', '', 200],
    ];
    for (const [m, p, body, status] of steps) {
      const a = await both(m, p, body);
      expect([a.pg.status, a.strata.status], `${m} ${p} ${JSON.stringify(body)}: ${a.pg.text} / ${a.strata.text}`).toEqual([status, status]);
    }
    const held = await holdings(/^e/);
    expect(held.strata).toEqual(held.pg);
    // Equal holdings would prove little if both missed something: they are what the steps made.
    expect(Object.keys(held.strata).sort()).toEqual([
      'e_b{job="e2"}', 'e_duration_seconds_bucket{instance="i1", job="e1", le="+Inf"}', 'e_duration_seconds_bucket{instance="i1", job="e1", le="1"}',
      'e_duration_seconds_count{instance="i1", job="e1"}', 'e_duration_seconds_sum{instance="i1", job="e1"}', 'e_f{job="e8/slash", path="/x", z="1"}',
      'e_files{dir="b", instance="i1", job="e1"}', 'e_last_success{instance="i1", job="e1"}',
      'push_failure_time_seconds{instance="i1", job="e1"}', 'push_failure_time_seconds{job="e2"}', 'push_failure_time_seconds{job="e4"}',
      'push_failure_time_seconds{job="e8/slash", path="/x"}', 'push_failure_time_seconds{job="e9"}',
      'push_time_seconds{instance="i1", job="e1"}', 'push_time_seconds{job="e2"}', 'push_time_seconds{job="e4"}',
      'push_time_seconds{job="e8/slash", path="/x"}', 'push_time_seconds{job="e9"}',
    ].sort());
    expect(held.strata['push_failure_time_seconds{instance="i1", job="e1"}']).toBe('push time');
    expect(held.strata['push_failure_time_seconds{job="e2"}']).toBe('0');
    expect(held.strata['e_files{dir="b", instance="i1", job="e1"}']).toBe('7');
  });

  it('takes the delimited protobuf format (the Go client\'s default) and holds the same as the Pushgateway', async (ctx) => {
    if (skipReason) ctx.skip();
    const label = (name: string, value: string) => ({ name, value });
    const ok = await both('PUT', '/metrics/job/pb1/instance/i1', delimited([
      { name: 'pb_requests_total', help: 'Requests.', type: 0, metric: [
        { label: [label('code', '200'), label('job', 'body-job')], counter: { value: 7 } },
        { label: [label('code', '500'), label('empty', '')], counter: { value: 1 } }] },
      { name: 'pb_temperature', type: 1, metric: [{ gauge: { value: -3.5 } }] },
      { name: 'pb_untyped', type: 3, metric: [{ untyped: { value: 1e6 } }] },
      { name: 'pb_latency', type: 2, metric: [{ summary: { sampleCount: 4, sampleSum: 2.5, quantile: [{ quantile: 0.5, value: 0.4 }, { quantile: 0.99, value: 1.2 }] } }] },
      // No +Inf bucket: it is implicit in the message; bounds in Go's %g (1e+06).
      { name: 'pb_size', type: 4, metric: [{ histogram: { sampleCount: 5, sampleSum: 12, bucket: [
        { upperBound: 0.00001, cumulativeCount: 1 }, { upperBound: 1000000, cumulativeCount: 3 }] } }] },
      { name: 'pb_empty', type: 1, metric: [] },
    ]));
    expect(ok).toEqual({ pg: { status: 200, text: '' }, strata: { status: 200, text: '' } });
    // A timestamp is refused as in the text format.
    const ts = await both('PUT', '/metrics/job/pb2', delimited([{ name: 'pb_ts', type: 1, metric: [{ gauge: { value: 1 }, timestampMs: 1700000000000 }] }]));
    expect(ts.strata).toEqual(ts.pg);
    expect(ts.pg.status).toBe(400);
    const held = await holdings(/^pb/);
    expect(held.strata).toEqual(held.pg);
    expect(held.strata['pb_size_bucket{instance="i1", job="pb1", le="1e+06"}']).toBe('3');
    expect(held.strata['pb_size_bucket{instance="i1", job="pb1", le="+Inf"}']).toBe('5');
    expect(held.strata['pb_requests_total{code="200", instance="i1", job="pb1"}']).toBe('7');
    expect(Object.keys(held.strata).length).toBe(17); // pb1's 13 and two push times; pb2's two push times (failed)
  });

  it('takes a gzip-compressed push', async (ctx) => {
    if (skipReason) ctx.skip();
    const body = gzipSync('# TYPE gz_value gauge\ngz_value{a="1"} 4\n');
    const answers: Answer[] = [];
    for (const base of [pg!.url, strata!.url]) {
      const r = await fetch(`${base}/metrics/job/gz1`, { method: 'PUT', headers: { 'Content-Type': 'text/plain; version=0.0.4', 'Content-Encoding': 'gzip' }, body });
      answers.push({ status: r.status, text: (await r.text()).trimEnd() });
    }
    expect(answers).toEqual([{ status: 200, text: '' }, { status: 200, text: '' }]);
    const held = await holdings(/^gz/);
    expect(held.strata).toEqual(held.pg);
    expect(held.strata['gz_value{a="1", job="gz1"}']).toBe('4');
  });
});

const METRICS_PROTO = `
syntax = "proto2";
package io.prometheus.client;
message LabelPair { optional string name = 1; optional string value = 2; }
message Gauge { optional double value = 1; }
message Counter { optional double value = 1; }
message Quantile { optional double quantile = 1; optional double value = 2; }
message Summary { optional uint64 sample_count = 1; optional double sample_sum = 2; repeated Quantile quantile = 3; }
message Untyped { optional double value = 1; }
message Bucket { optional uint64 cumulative_count = 1; optional double upper_bound = 2; }
message Histogram { optional uint64 sample_count = 1; optional double sample_sum = 2; repeated Bucket bucket = 3; }
message Metric { repeated LabelPair label = 1; optional Gauge gauge = 2; optional Counter counter = 3; optional Summary summary = 4;
  optional Untyped untyped = 5; optional Histogram histogram = 7; optional int64 timestamp_ms = 6; }
message MetricFamily { optional string name = 1; optional string help = 2; optional int32 type = 3; repeated Metric metric = 4; }
`;
const MetricFamily = protobuf.parse(METRICS_PROTO).root.lookupType('io.prometheus.client.MetricFamily');

/** Length-delimited MetricFamily messages, as the Go client's push package sends them. */
function delimited(families: Record<string, unknown>[]): Uint8Array {
  const parts = families.map((f) => MetricFamily.encodeDelimited(MetricFamily.fromObject(f)).finish());
  return Buffer.concat(parts);
}

const startedAt = Date.now();

/**
 * What each holds for the jobs matching `jobs`: series (empty labels dropped, as a scrape drops
 * them) to values, the times of push_time_seconds and push_failure_time_seconds as "push time"
 * when they lie within this test run (the two clock them a few milliseconds apart).
 */
async function holdings(jobs: RegExp): Promise<{ pg: Record<string, string>; strata: Record<string, string> }> {
  const value = (name: string, v: string) =>
    (name === 'push_time_seconds' || name === 'push_failure_time_seconds') && Number(v) * 1000 >= startedAt - 1000 && Number(v) * 1000 <= Date.now() + 1000
      ? 'push time' : String(Number(v));
  const pgOut: Record<string, string> = {};
  for (const line of (await (await fetch(`${pg!.url}/metrics`)).text()).split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels = parseLabels(m[2] ?? '{}');
    if (!jobs.test(labels.job ?? '')) continue;
    pgOut[seriesKey(m[1], labels)] = value(m[1], m[3]);
  }
  const r = await fetch(`${strata!.url}/api/v1/query?${query({ query: '{job=~".+"}' })}`);
  const body = (await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } };
  const strataOut: Record<string, string> = {};
  for (const { metric, value: [, v] } of body.data.result) {
    const { __name__, ...labels } = metric;
    if (!jobs.test(labels.job ?? '')) continue;
    strataOut[seriesKey(__name__, labels)] = value(__name__, v);
  }
  return { pg: pgOut, strata: strataOut };
}

function seriesKey(name: string, labels: Record<string, string>): string {
  const parts = Object.entries(labels).filter(([, v]) => v !== '').sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return `${name}{${parts.join(', ')}}`;
}

/** `{a="1",b="x\"y"}` as the Pushgateway's exposition writes label sets. */
function parseLabels(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
  for (let m = re.exec(s); m; m = re.exec(s)) out[m[1]] = m[2].replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
  return out;
}
