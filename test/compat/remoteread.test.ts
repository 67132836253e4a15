// Remote read side by side with a real Prometheus (2.42): the same series loaded into both by remote
// write, both with the same external labels and the same sample limit (Prometheus'
// --storage.remote.read-sample-limit, Strata's query.remote_read_sample_limit). The same ReadRequest
// goes to both: SAMPLES bodies must be equal byte for byte (after snappy), streamed ones must hold
// the same series and samples (decoded by the test's own decoder, which reads Prometheus' frames
// too). Then a third Prometheus with `remote_read` pointing at Strata must answer queries with
// Strata's data, and report Strata's sample limit when a query needs more.
import * as fs from 'node:fs';
import * as path from 'node:path';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/index.ts';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import {
  decodeReadResponse, decodeStreamed, encodeReadRequest, EQ, NEQ, NRE, postRead, RE, SAMPLES, STREAMED_XOR_CHUNKS, type TestQuery,
} from '../helpers/remoteread.ts';
import { writeSeries, type TestSeries } from '../helpers/remotewrite.ts';
import { startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';

const EXTERNAL = 'global:\n  scrape_interval: 1h\n  external_labels:\n    cluster: c1\n    region: eu\n';
const LIMIT = 1000;
const STEP = 15_000;
const SPAN = 45 * 60_000;

function dataSet(start: number): TestSeries[] {
  const series: TestSeries[] = [];
  const grid: number[] = [];
  for (let t = start; t <= start + SPAN; t += STEP) grid.push(t);
  for (const job of ['api', 'web']) {
    for (const instance of ['i0', 'i1']) {
      let v = 100;
      series.push({
        labels: { __name__: 'rr_requests_total', job, instance },
        samples: grid.map((t, i) => [t, (v += (i * 7 + job.length) % 13)]),
      });
    }
  }
  // Values that exercise the XOR encoding: repeats, sign changes, tiny and huge, -0, NaN, ±Inf.
  const odd = [0, -0, 1, -1, 0.1, 1e300, 5e-324, NaN, Infinity, -Infinity, 42, 42, 42, 3.14159, -2.5e-10];
  series.push({ labels: { __name__: 'rr_gauge', kind: 'odd' }, samples: grid.map((t, i) => [t, odd[i % odd.length]]) });
  series.push({ labels: { __name__: 'rr_gauge', kind: 'sine' }, samples: grid.map((t, i) => [t, Math.sin(i / 7) * 1000]) });
  // Irregular spacing: delta-of-delta buckets of every size.
  const irregular: [number, number][] = [];
  let t = start + 1;
  for (let i = 0; t < start + SPAN; i++) {
    irregular.push([t, i]);
    t += [1, 5000, 9000, 70_000, 400_000, 2, 3][i % 7];
  }
  series.push({ labels: { __name__: 'rr_gauge', kind: 'irregular' }, samples: irregular });
  // Goes stale half way; the marker is a sample remote read returns.
  const half = grid.slice(0, grid.length / 2);
  series.push({ labels: { __name__: 'rr_stale', job: 'gone' }, samples: [...half.map((x) => [x, 1] as [number, number]), [half[half.length - 1] + STEP, STALE_NAN]] });
  // Own values of external labels.
  series.push({ labels: { __name__: 'rr_external', cluster: 'own' }, samples: [[start + 60_000, 1]] });
  series.push({ labels: { __name__: 'rr_external', region: 'eu', job: 'x' }, samples: [[start + 60_000, 2]] });
  series.push({ labels: { __name__: 'rr_external', job: 'y' }, samples: [[start + 60_000, 3]] });
  // A label name sorting before __name__: label order is then not metric-name order.
  series.push({ labels: { __name__: 'rr_upper', Zone: 'a' }, samples: [[start + 60_000, 4]] });
  series.push({ labels: { __name__: 'rr_upper', Zone: 'b', job: 'x' }, samples: [[start + 60_000, 5]] });
  return series;
}

describe('remote read compared with Prometheus 2.42', () => {
  let skipReason: string | null = null;
  let prom: PrometheusProcess | undefined;
  let client: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let dir = '';
  let start = 0;
  let end = 0;

  beforeAll(async () => {
    skipReason = await prometheusForComparison('the remote read comparison');
    if (skipReason) return;
    dir = tempDir('strata-remoteread-');
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, `self_monitoring:\n  enabled: false\nquery:\n  remote_read_sample_limit: ${LIMIT}\n${EXTERNAL}`);
    [strata, prom] = await Promise.all([
      startStrata({ dataDir: path.join(dir, 'strata'), args: ['--config', cfg] }),
      startPrometheus(path.join(dir, 'prometheus'), 30_000, EXTERNAL, [`--storage.remote.read-sample-limit=${LIMIT}`]),
    ]);
    start = Math.floor((Date.now() - SPAN - 2 * 60_000) / 60_000) * 60_000 + 1234;
    end = start + SPAN;
    const data = dataSet(start);
    for (const base of [strata.url, prom.url]) {
      const r = await writeSeries(base, data);
      expect(r.status, `${base}: ${r.text}`).toBe(204);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), client?.stop(), strata?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  // Each query within the sample limit.
  const queries = (): TestQuery[] => [
    { start, end, matchers: [[EQ, '__name__', 'rr_gauge']] },
    { start: start + 7 * 60_000 + 500, end: start + 23 * 60_000 - 1, matchers: [[RE, '__name__', 'rr_.+'], [NEQ, 'job', 'api'], [NRE, 'kind', 'odd|sine']] },
    { start, end, matchers: [[EQ, '__name__', 'rr_external'], [EQ, 'cluster', 'c1']] },
    { start, end, matchers: [[EQ, '__name__', 'rr_external'], [EQ, 'cluster', 'own']] },
    { start, end, matchers: [[EQ, '__name__', 'rr_external'], [EQ, 'region', 'eu']] },
    { start, end, matchers: [[EQ, '__name__', 'rr_external'], [EQ, 'cluster', 'c2']] },
    { start, end, matchers: [[RE, '__name__', 'rr_stale|rr_requests_total'], [EQ, 'instance', '']] },
    { start: end + 60_000, end: end + 120_000, matchers: [[RE, '__name__', '.+']] },
    { start, end, matchers: [], hints: { stepMs: 15000, func: 'rate', startMs: start, endMs: end, rangeMs: 300000 } },
    // Hints: their range is the one read; a "series" func loads no samples (SAMPLES only); an
    // empty hints message reads [0, 0].
    { start, end, matchers: [[EQ, '__name__', 'rr_gauge']], hints: { stepMs: 60000, func: 'rate', startMs: start + 5 * 60_000 + 1, endMs: start + 9 * 60_000, rangeMs: 300000 } },
    { start, end, matchers: [[EQ, '__name__', 'rr_requests_total']], hints: { func: 'series', startMs: start, endMs: end } },
    { start, end, matchers: [[EQ, '__name__', 'rr_gauge'], [EQ, 'kind', 'sine']], hints: {} },
    // Only matchers that match the empty string: every series they accept (no job label here).
    { start, end, matchers: [[EQ, 'job', ''], [NRE, 'kind', 'odd|sine']] },
  ];

  it('answers SAMPLES byte for byte as Prometheus, external labels matched and added', async (ctx) => {
    if (skipReason) ctx.skip();
    const body = encodeReadRequest(queries(), [SAMPLES]);
    const [want, got] = await Promise.all([postRead(prom!.url, body), postRead(strata!.url, body)]);
    expect(want.status, want.body.toString()).toBe(200);
    expect(got.status, got.body.toString()).toBe(200);
    expect(got.headers.get('content-type')).toBe(want.headers.get('content-type'));
    expect(got.headers.get('content-encoding')).toBe('snappy');
    expect(decodeReadResponse(got.body)).toEqual(decodeReadResponse(want.body));
    const wantRaw = snappy.uncompressSync(want.body) as Buffer;
    const gotRaw = snappy.uncompressSync(got.body) as Buffer;
    expect(gotRaw.toString('hex')).toBe(wantRaw.toString('hex'));

    // What the comparison is about, checked on Prometheus' answer.
    const results = decodeReadResponse(want.body);
    expect(results[0].map((s) => s.labels.kind)).toEqual(['irregular', 'odd', 'sine']);
    expect(results[0][1].labels).toEqual({ __name__: 'rr_gauge', kind: 'odd', cluster: 'c1', region: 'eu' });
    expect(results[2].map((s) => s.labels.job ?? '')).toEqual(['x', 'y']); // cluster="c1": the series without one
    expect(results[3]).toHaveLength(1);
    expect(results[5]).toEqual([]);
    expect(results[6].some((s) => s.samples.some(([, bits]) => bits === '7ff0000000000002'))).toBe(true);
    expect(results[7]).toEqual([]);
    expect(results[8]).toEqual([]);
    expect(results[9].map((x) => x.samples.length)).toEqual([6, 16, 16]);
    expect(results[10].map((x) => [x.labels.instance, x.samples.length])).toEqual([['i0', 0], ['i0', 0], ['i1', 0], ['i1', 0]]);
    expect(results[11]).toEqual([]);
    expect(results[12].map((x) => x.labels.__name__ + (x.labels.Zone ?? x.labels.kind ?? x.labels.cluster))).toEqual(['rr_uppera', 'rr_externalown', 'rr_gaugeirregular']);
  });

  it('the accepted response types are read packed or not, SAMPLES when none', async (ctx) => {
    if (skipReason) ctx.skip();
    for (const body of [encodeReadRequest(queries().slice(0, 1)), encodeReadRequest(queries().slice(0, 1), [SAMPLES], false)]) {
      const [want, got] = await Promise.all([postRead(prom!.url, body), postRead(strata!.url, body)]);
      expect(got.status).toBe(200);
      expect(decodeReadResponse(got.body)).toEqual(decodeReadResponse(want.body));
    }
  });

  it('streams the same series and samples as Prometheus in XOR chunks', async (ctx) => {
    if (skipReason) ctx.skip();
    const qs = queries();
    for (const packed of [true, false]) {
      const body = encodeReadRequest(qs, [STREAMED_XOR_CHUNKS, SAMPLES], packed);
      const [want, got] = await Promise.all([postRead(prom!.url, body), postRead(strata!.url, body)]);
      expect(want.status).toBe(200);
      expect(got.status).toBe(200);
      expect(got.headers.get('content-type')).toBe('application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse');
      expect(got.headers.get('content-type')).toBe(want.headers.get('content-type'));
      // The chunks themselves differ (Prometheus' are cut where its head cut them, and at the
      // range's ends); the series and samples they hold may not.
      const ours = decodeStreamed(got.body);
      expect(ours).toEqual(decodeStreamed(want.body));
      expect(ours.map((s) => s.queryIndex)).toContain(6);
      // A "series" hint does not empty a streamed answer (2.42's chunk storage ignores it).
      expect(ours.filter((s) => s.queryIndex === 10)).toHaveLength(4);
      // The SAMPLES answer holds the same, but for -0: a Sample's value 0 is omitted on the wire
      // (proto3), so -0 arrives as 0 there (from Prometheus as from Strata); a chunk keeps it.
      const samples = decodeReadResponse((await postRead(prom!.url, encodeReadRequest(qs))).body);
      const plusZero = (ss: [number, string][]) => ss.map(([t, bits]) => [t, bits === '8000000000000000' ? '0000000000000000' : bits]);
      expect(ours.filter((s) => s.queryIndex !== 10).map((s) => ({ q: s.queryIndex, labels: s.labels, samples: plusZero(s.samples) })))
        .toEqual(samples.flatMap((r, q) => (q === 10 ? [] : r.map((s) => ({ q, labels: s.labels, samples: s.samples })))));
    }
  });

  it('refuses a SAMPLES query beyond the sample limit as Prometheus does; streamed reads have no limit', async (ctx) => {
    if (skipReason) ctx.skip();
    const all: TestQuery[] = [{ start, end, matchers: [[RE, '__name__', 'rr_.+']] }];
    const body = encodeReadRequest(all);
    const [want, got] = await Promise.all([postRead(prom!.url, body), postRead(strata!.url, body)]);
    expect(want.status).toBe(400);
    expect(got.status).toBe(400);
    expect(got.headers.get('content-type')).toBe(want.headers.get('content-type'));
    expect(got.body.toString()).toBe(`exceeded sample limit (${LIMIT})\n`);
    expect(got.body.toString()).toBe(want.body.toString());
    const streamed = await postRead(strata!.url, encodeReadRequest(all, [STREAMED_XOR_CHUNKS]));
    expect(streamed.status).toBe(200);
    expect(decodeStreamed(streamed.body).reduce((n, s) => n + s.samples.length, 0)).toBeGreaterThan(LIMIT);
  });

  it('refuses what it cannot answer with a plain-text 400', async (ctx) => {
    if (skipReason) ctx.skip();
    const unsupported = encodeReadRequest(queries().slice(0, 1), [7, 3]);
    const [want, got] = await Promise.all([postRead(prom!.url, unsupported), postRead(strata!.url, unsupported)]);
    expect(want.status).toBe(400);
    expect(got.status).toBe(400);
    expect(got.body.toString()).toBe(want.body.toString());
    const corrupt = Buffer.from('not snappy at all');
    const [w2, g2] = await Promise.all([postRead(prom!.url, corrupt), postRead(strata!.url, corrupt)]);
    expect(w2.status).toBe(400);
    expect(g2.status).toBe(400);
    expect(g2.headers.get('content-type')).toBe(w2.headers.get('content-type'));
    // Prometheus answers a regex that does not compile with 500; it is the client's mistake: 400.
    const badRegex = encodeReadRequest([{ start, end, matchers: [[RE, 'job', '(']] }]);
    const [w3, g3] = await Promise.all([postRead(prom!.url, badRegex), postRead(strata!.url, badRegex)]);
    expect(w3.status).toBe(500);
    expect(g3.status).toBe(400);
    expect(g3.body.toString()).toContain('missing closing )');
  });

  it('serves a Prometheus configured with remote_read (read_recent): its queries return Strata\'s data', async (ctx) => {
    if (skipReason) ctx.skip();
    client = await startPrometheus(path.join(dir, 'client'), 30_000, [
      'global:',
      '  scrape_interval: 1h',
      'remote_read:',
      `  - url: ${strata!.url}/api/v1/read`,
      '    read_recent: true',
      '',
    ].join('\n'));
    // Off the 15 s grid: no window boundary on a sample (2.42 closes windows on the left, Strata
    // follows Prometheus 3).
    const at = String((end + 30_321) / 1000);
    const instant = async (base: string, query: string) => {
      const r = await fetch(`${base}/api/v1/query?${new URLSearchParams({ query, time: at })}`);
      return (await r.json()) as { status: string; data: { result: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[] }; warnings?: string[]; error?: string };
    };
    const sorted = <T extends { metric: Record<string, string> }>(xs: T[]) => [...xs].sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
    // Remote read's SAMPLES format carries -0 as 0 (see above).
    const plusZero = (v: [number, string]): [number, string] => [v[0], v[1] === '-0' ? '0' : v[1]];
    const withExternal = (xs: { metric: Record<string, string>; value?: [number, string]; values?: [number, string][] }[]) => xs.map((x) => ({
      ...x, metric: { cluster: 'c1', region: 'eu', ...x.metric }, ...(x.values ? { values: x.values.map(plusZero) } : {}), ...(x.value ? { value: plusZero(x.value) } : {}),
    }));

    // [query to the client, query to Strata, what of Strata's answer the client must return]
    const cases: [string, string, (r: Parameters<typeof withExternal>[0]) => unknown[]][] = [
      ['rr_gauge[30m]', 'rr_gauge[30m]', withExternal],
      ['rate(rr_requests_total[5m])', 'rate(rr_requests_total[5m])', withExternal],
      ['sum by (job) (rr_requests_total)', 'sum by (job) (rr_requests_total)', (r) => r],
      ['rr_external[50m]', 'rr_external[50m]', withExternal],
      // Matching the external label's value: the series that get it, not the one with its own.
      ['rr_external{cluster="c1"}[50m]', 'rr_external[50m]', (r) => withExternal(r.filter((x) => x.metric.cluster === undefined))],
    ];
    for (const [query, ourQuery, expected] of cases) {
      const got = await instant(client.url, query);
      expect(got.status, JSON.stringify(got)).toBe('success');
      expect(got.warnings ?? []).toEqual([]);
      const want = expected((await instant(strata!.url, ourQuery)).data.result);
      expect(got.data.result.length, query).toBeGreaterThan(0);
      expect(sorted(got.data.result), query).toEqual(sorted(want as typeof got.data.result));
    }

    // Strata's sample limit reaches the client as a Prometheus server's would: the remote read
    // fails, which 2.42 reports as a warning beside an empty result.
    const tooMany = await instant(client.url, '{__name__=~"rr_.+"}[50m]');
    expect(tooMany.status).toBe('success');
    expect(tooMany.data.result).toEqual([]);
    expect(tooMany.warnings).toHaveLength(1);
    expect(tooMany.warnings![0]).toMatch(new RegExp(`^remote_read: remote server .*/api/v1/read returned HTTP status 400 Bad Request: exceeded sample limit \\(${LIMIT}\\)$`));
  }, 60_000);
});
