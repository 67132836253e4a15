// End-to-end tests of the push protocols through the real `strata server` process: remote write
// 2.0 (built with protobufjs from the spec's .proto), the Influx line protocol, OTLP sent by the
// OpenTelemetry JS SDK's own exporters, and the Pushgateway API.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { OTLPMetricExporter as OTLPProtoExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { AggregationTemporalityPreference, OTLPMetricExporter as OTLPJsonExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequestV2, RW2_CONTENT_TYPE } from './helpers/remotewrite.ts';
import { metricValue, parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const T0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;

let s: StrataProcess;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const cfg = path.join(dir, 'strata.yml');
  fs.writeFileSync(cfg, 'server:\n  max_request_bytes: 1MiB\n  max_decoded_bytes: 4MiB\nlimits:\n  max_series_per_metric: 50\n');
  s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
});

async function restart(): Promise<void> {
  await s.stop();
  s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
}

afterAll(async () => {
  await s?.stop();
});

async function exportOf(match: string) {
  const r = await fetch(`${s.url}/api/v1/export?${query({ 'match[]': match })}`);
  expect(r.status).toBe(200);
  return parseExport(await r.text()).sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

// Response bodies are checked field by field; `any` keeps that readable.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (r: Response): Promise<any> => r.json();

async function metrics(): Promise<string> {
  return (await fetch(`${s.url}/metrics`)).text();
}

// ---- remote write 2.0 ----

function encodeV2(series: { labels: Record<string, string>; samples?: [number, number][]; histograms?: number; meta?: [number, string] }[]): Buffer {
  return encodeWriteRequestV2(series.map((x) => ({ ...x, histograms: Array.from({ length: x.histograms ?? 0 }, () => T0) })));
}

function postV2(body: Uint8Array, contentType = RW2_CONTENT_TYPE) {
  return fetch(`${s.url}/api/v1/write`, {
    method: 'POST',
    headers: { 'Content-Type': contentType, 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '2.0.0' },
    body,
  });
}

describe('remote write 2.0', () => {
  it('stores samples and metadata and answers with the written-counts headers', async () => {
    const r = await postV2(encodeV2([
      { labels: { __name__: 'rw2_requests_total', job: 'a' }, samples: [[T0, 1], [T0 + 1000, 2]], meta: [1, 'Requests.'] },
      { labels: { __name__: 'rw2_temp', job: 'a' }, samples: [[T0, 21.5]] },
    ]));
    expect(r.status).toBe(204);
    expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('3');
    expect(r.headers.get('x-prometheus-remote-write-histograms-written')).toBe('0');
    expect(await exportOf('{__name__=~"rw2_.*"}')).toEqual([
      { metric: { __name__: 'rw2_requests_total', job: 'a' }, values: [1, 2], timestamps: [T0, T0 + 1000] },
      { metric: { __name__: 'rw2_temp', job: 'a' }, values: [21.5], timestamps: [T0] },
    ]);
    const md = await json(await fetch(`${s.url}/api/v1/metadata?metric=rw2_requests_total`));
    expect(md.data.rw2_requests_total[0]).toMatchObject({ type: 'counter', help: 'Requests.' });
  });

  it('refuses an unknown proto with 415 and native histograms with 400, writing 0', async () => {
    const r = await postV2(encodeV2([{ labels: { __name__: 'x' }, samples: [[T0, 1]] }]), 'application/x-protobuf;proto=io.prometheus.write.v9.Request');
    expect(r.status).toBe(415);
    expect(await r.text()).toMatch(/unsupported remote write message/);
    const h = await postV2(encodeV2([{ labels: { __name__: 'rw2_hist' }, histograms: 2 }]));
    expect(h.status).toBe(400);
    expect(h.headers.get('x-prometheus-remote-write-samples-written')).toBe('0');
    expect(await h.text()).toMatch(/native histograms are not supported/);
  });

  it('reports a partial write with the written count and per-reason counters', async () => {
    await postV2(encodeV2([{ labels: { __name__: 'rw2_ooo' }, samples: [[T0 + 5000, 1]] }]));
    const r = await postV2(encodeV2([{ labels: { __name__: 'rw2_ooo' }, samples: [[T0, 0], [T0 + 6000, 2]] }]));
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/^1 of 2 samples rejected \(out_of_order: 1\); the other 1 samples were stored/);
    expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('1');
    expect(metricValue(await metrics(), 'strata_push_requests_total{protocol="remote_write_v2",code="204"}')).toBeGreaterThanOrEqual(1);
  });
});

// ---- Influx ----
function postInflux(pathAndQuery: string, body: string | Buffer, headers: Record<string, string> = {}) {
  return fetch(`${s.url}${pathAndQuery}`, { method: 'POST', headers: { 'Content-Type': 'text/plain; charset=utf-8', ...headers }, body });
}

describe('Influx line protocol', () => {
  it('stores lines in every precision on /write and /api/v2/write', async () => {
    const sec = T0 / 1000;
    const cases: [string, string][] = [
      ['/api/v2/write?precision=ns&bucket=b', `${sec}000000000`],
      ['/api/v2/write?precision=us', `${sec}000000`],
      ['/api/v2/write?precision=ms', `${T0}`],
      ['/api/v2/write?precision=s', `${sec}`],
      ['/write?db=x&precision=n', `${sec}000000000`],
      ['/write?precision=u', `${sec}000000`],
      ['/write?precision=ms', `${T0}`],
      ['/write?precision=s', `${sec}`],
      ['/write?precision=m', `${T0 / 60000}`],
      ['/write?precision=h', `${T0 / 3_600_000}`],
    ];
    for (const [i, [p, ts]] of cases.entries()) {
      if (!Number.isInteger(Number(ts))) continue; // m/h need a whole minute/hour
      const r = await postInflux(p, `influx_prec,case=c${i} value=${i} ${ts}\n`);
      expect(r.status, p).toBe(204);
    }
    const got = await exportOf('influx_prec');
    expect(got.length).toBeGreaterThanOrEqual(8);
    for (const g of got) expect(g.timestamps).toEqual([T0 % 60000 === 0 || !['c8', 'c9'].includes(g.metric.case) ? T0 : g.timestamps[0]]);
  });

  it('answers /ping with 204 as InfluxDB does', async () => {
    expect((await fetch(`${s.url}/ping`)).status).toBe(204);
  });

  it('accepts gzip, counts string fields in a header and the counters', async () => {
    const body = zlib.gzipSync(`weather,city=paris temp=12.5,hum=80i,ok=true,note="sunny" ${T0}000000\n`);
    const r = await postInflux('/api/v2/write', body, { 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(204);
    expect(r.headers.get('x-strata-skipped-string-fields')).toBe('1');
    expect((await exportOf('{__name__=~"weather_.*"}')).map((e) => [e.metric.__name__, e.values[0]])).toEqual([
      ['weather_hum', 80], ['weather_ok', 1], ['weather_temp', 12.5],
    ]);
    expect(metricValue(await metrics(), 'strata_push_rejected_samples_total{protocol="influx",reason="string_field"}')).toBe(1);
  });

  it('refuses bad lines, bad precision, invalid UTF-8 and oversized bodies with the Influx error shape', async () => {
    let r = await postInflux('/api/v2/write', 'ok f=1\nbroken');
    expect(r.status).toBe(400);
    const j = await json(r);
    expect(j.code).toBe('invalid');
    expect(j.message).toMatch(/line 2/);
    r = await postInflux('/api/v2/write?precision=d', 'x f=1');
    expect(r.status).toBe(400);
    r = await postInflux('/api/v2/write', Buffer.from([0x78, 0x20, 0x66, 0x3d, 0x31, 0x20, 0xff]));
    expect(r.status).toBe(400);
    expect((await json(r)).message).toMatch(/UTF-8/);
    r = await postInflux('/api/v2/write', 'x f=1', { 'Content-Encoding': 'br' });
    expect(r.status).toBe(415);
    const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61));
    r = await postInflux('/api/v2/write', bomb, { 'Content-Encoding': 'gzip' });
    expect(r.status).toBe(413);
    expect((await json(r)).message).toMatch(/inflates to more than the limit/);
    r = await postInflux('/api/v2/write', Buffer.alloc(2 * 1024 * 1024, 0x61));
    expect(r.status).toBe(413);
  });
});

// ---- OTLP ----
describe('OTLP/HTTP metrics from the OpenTelemetry JS SDK', () => {
  async function exportWith(exporter: OTLPProtoExporter | OTLPJsonExporter, prefix: string) {
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.namespace': 'shop', 'service.instance.id': 'pod-1', 'host.arch': 'amd64' }),
      readers: [reader],
    });
    const meter = provider.getMeter('test');
    const counter = meter.createCounter(`${prefix}.requests`, { unit: '{request}', description: 'Requests served.' });
    counter.add(3, { 'http.route': '/pay' });
    counter.add(2, { 'http.route': '/pay' });
    const hist = meter.createHistogram(`${prefix}.duration`, { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    hist.record(0.05);
    hist.record(0.5);
    hist.record(5);
    const g = meter.createObservableGauge(`${prefix}.cpu.utilization`, { unit: '1' });
    g.addCallback((o) => o.observe(0.25));
    const ud = meter.createUpDownCounter(`${prefix}.queue.size`, { unit: 'By' });
    ud.add(7);
    await provider.forceFlush();
    await provider.shutdown();
  }

  for (const [kind, make] of [
    ['protobuf', () => new OTLPProtoExporter({ url: `${s.url}/api/v1/otlp/v1/metrics` })],
    ['JSON', () => new OTLPJsonExporter({ url: `${s.url}/api/v1/otlp/v1/metrics` })],
  ] as const) {
    it(`translates counters, histograms, gauges and resource attributes (${kind})`, async () => {
      const prefix = `otel_${kind === 'JSON' ? 'j' : 'p'}`;
      await exportWith(make(), prefix);
      const job = 'shop/checkout';
      const got = await exportOf(`{__name__=~"${prefix}_.*",job="${job}"}`);
      const byName = (n: string, extra: Record<string, string> = {}) => got.find((e) => e.metric.__name__ === n && Object.entries(extra).every(([k, v]) => e.metric[k] === v));
      expect(byName(`${prefix}_requests_total`)?.metric).toEqual({ __name__: `${prefix}_requests_total`, job, instance: 'pod-1', http_route: '/pay' });
      // forceFlush and shutdown each export once: the latest value is what counts.
      const last = (n: string, extra: Record<string, string> = {}) => byName(n, extra)?.values.at(-1);
      expect(last(`${prefix}_requests_total`)).toBe(5);
      expect(last(`${prefix}_duration_seconds_bucket`, { le: '0.1' })).toBe(1);
      expect(last(`${prefix}_duration_seconds_bucket`, { le: '1' })).toBe(2);
      expect(last(`${prefix}_duration_seconds_bucket`, { le: '+Inf' })).toBe(3);
      expect(last(`${prefix}_duration_seconds_sum`)).toBe(5.55);
      expect(last(`${prefix}_duration_seconds_count`)).toBe(3);
      expect(last(`${prefix}_cpu_utilization_ratio`)).toBe(0.25);
      expect(last(`${prefix}_queue_size_bytes`)).toBe(7);
      const info = await exportOf(`target_info{job="${job}",instance="pod-1"}`);
      expect(info[0].metric.host_arch).toBe('amd64');
    });
  }

  it('counts the delta sums and histograms of an SDK set to delta temporality, storing its gauges', async () => {
    const before = metricValue(await metrics(), 'strata_push_rejected_samples_total{protocol="otlp",reason="delta_temporality"}') ?? 0;
    await exportWith(new OTLPJsonExporter({ url: `${s.url}/api/v1/otlp/v1/metrics`, temporalityPreference: AggregationTemporalityPreference.DELTA }), 'otel_delta');
    const got = await exportOf('{__name__=~"otel_delta_.*"}');
    expect(got.map((e) => e.metric.__name__).sort()).toEqual(['otel_delta_cpu_utilization_ratio', 'otel_delta_queue_size_bytes']);
    // The counter and the histogram point, in each of the two exports (forceFlush and shutdown).
    const after = metricValue(await metrics(), 'strata_push_rejected_samples_total{protocol="otlp",reason="delta_temporality"}') ?? 0;
    expect(after - before).toBeGreaterThanOrEqual(2);
  });

  it('refuses delta temporality in partial_success, storing the rest', async () => {
    const body = {
      resourceMetrics: [{
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'deltasvc' } }] },
        scopeMetrics: [{
          metrics: [
            { name: 'd.count', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '4', timeUnixNano: `${T0}000000` }] } },
            { name: 'd.level', gauge: { dataPoints: [{ asDouble: 1.5, timeUnixNano: `${T0}000000` }] } },
          ],
        }],
      }],
    };
    const before = metricValue(await metrics(), 'strata_push_rejected_samples_total{protocol="otlp",reason="delta_temporality"}') ?? 0;
    const r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    expect(r.status).toBe(200);
    const j = await json(r);
    expect(j.partialSuccess.rejectedDataPoints).toBe('1');
    expect(j.partialSuccess.errorMessage).toMatch(/delta temporality/);
    expect((await exportOf('d_level')).map((e) => e.values)).toEqual([[1.5]]);
    expect(metricValue(await metrics(), 'strata_push_rejected_samples_total{protocol="otlp",reason="delta_temporality"}')).toBe(before + 1);
  });

  it('answers malformed input with a 400 Status and a wrong content type with 415', async () => {
    let r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"resourceMetrics": 5}' });
    expect(r.status).toBe(400);
    expect((await json(r)).message).toMatch(/resourceMetrics must be an array/);
    r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0x05, 0x01]) });
    expect(r.status).toBe(400);
    r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'text/plain' }, body: 'x' });
    expect(r.status).toBe(415);
    r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: Buffer.from('{"resourceMetrics":[{"resource":{"attributes":[{"key":"\xff"}]}}]}', 'latin1') });
    expect(r.status).toBe(400);
    expect((await json(r)).message).toMatch(/UTF-8/);
    r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.alloc(2 * 1024 * 1024) });
    expect(r.status).toBe(413);
    expect(r.headers.get('content-type')).toBe('application/x-protobuf');
  });
});

// ---- rejection counters ----
describe('every refusal of the Influx line protocol and OTLP counted by protocol and reason', () => {
  // A request refused before any sample was decoded counts once in strata_write_rejected_total;
  // samples and data points refused after decoding count in strata_push_rejected_samples_total.
  // Storage limits (429) and admission (overloaded) are counted in the tests of those below.
  const requests = (p: string, reason: string) => `strata_write_rejected_total{protocol="${p}",reason="${reason}"}`;
  const samples = (p: string, reason: string) => `strata_push_rejected_samples_total{protocol="${p}",reason="${reason}"}`;
  async function counts(series: string, by: number, status: number, send: () => Promise<Response>) {
    const before = metricValue(await metrics(), series) ?? 0;
    const r = await send();
    await r.arrayBuffer();
    expect(r.status, series).toBe(status);
    expect(metricValue(await metrics(), series), series).toBe(before + by);
  }
  const bomb = zlib.gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x61));
  const future = `${Date.now() + 86_400_000}`;

  it('Influx', async () => {
    const influx = (body: string | Buffer, headers: Record<string, string> = {}, q = '') => () => postInflux(`/api/v2/write${q}`, body, headers);
    await counts(requests('influx', 'bad_line'), 1, 400, influx('ok f=1\nbroken'));
    await counts(requests('influx', 'bad_precision'), 1, 400, influx('x f=1', {}, '?precision=d'));
    await counts(requests('influx', 'invalid_utf8'), 1, 400, influx(Buffer.from([0x78, 0x20, 0x66, 0x3d, 0x31, 0x20, 0xff])));
    await counts(requests('influx', 'unsupported_encoding'), 1, 415, influx('x f=1', { 'Content-Encoding': 'br' }));
    await counts(requests('influx', 'bad_compression'), 1, 400, influx('not gzip', { 'Content-Encoding': 'gzip' }));
    await counts(requests('influx', 'too_large'), 1, 413, influx(bomb, { 'Content-Encoding': 'gzip' }));
    await counts(requests('influx', 'too_large'), 1, 413, influx(Buffer.alloc(2 * 1024 * 1024, 0x61)));
    await counts(samples('influx', 'string_field'), 2, 204, influx(`rc_s a="x",b="y",n=1 ${T0}000000`));
    await counts(samples('influx', 'too_far_in_future'), 2, 400, influx(`rc_future a=1,b=2 ${future}000000`));
    expect((await postInflux('/api/v2/write', `rc_ooo f=1 ${T0 + 5000}000000`)).status).toBe(204);
    await counts(samples('influx', 'out_of_order'), 1, 400, influx(`rc_ooo f=0 ${T0}000000`));
    await counts(samples('influx', 'duplicate_timestamp'), 1, 400, influx(`rc_ooo f=2 ${T0 + 5000}000000`));
  });

  it('OTLP', async () => {
    const otlp = (body: string | Buffer, type = 'application/json', headers: Record<string, string> = {}) => () =>
      fetch(`${s.url}/api/v1/otlp/v1/metrics`, { method: 'POST', headers: { 'Content-Type': type, ...headers }, body });
    await counts(requests('otlp', 'unsupported_media_type'), 1, 415, otlp('x', 'text/plain'));
    await counts(requests('otlp', 'bad_json'), 1, 400, otlp('{"resourceMetrics": 5}'));
    await counts(requests('otlp', 'bad_protobuf'), 1, 400, otlp(Buffer.from([0x0a, 0x05, 0x01]), 'application/x-protobuf'));
    await counts(requests('otlp', 'invalid_utf8'), 1, 400, otlp(Buffer.from('{"resourceMetrics":[]}\xff', 'latin1')));
    await counts(requests('otlp', 'unsupported_encoding'), 1, 415, otlp('{}', 'application/json', { 'Content-Encoding': 'br' }));
    await counts(requests('otlp', 'bad_compression'), 1, 400, otlp('not gzip', 'application/json', { 'Content-Encoding': 'gzip' }));
    await counts(requests('otlp', 'too_large'), 1, 413, otlp(bomb, 'application/x-protobuf', { 'Content-Encoding': 'gzip' }));
    await counts(requests('otlp', 'too_large'), 1, 413, otlp(Buffer.alloc(2 * 1024 * 1024), 'application/x-protobuf'));
    // Data points the translation refuses, one metric per reason beside a good gauge.
    const at = `${T0}000000`;
    const point = { asDouble: 1, timeUnixNano: at };
    const metricsOf = (...ms: object[]) => JSON.stringify({ resourceMetrics: [{ resource: { attributes: [] }, scopeMetrics: [{ metrics: ms }] }] });
    const refused: [string, object][] = [
      ['no_data', { name: 'rc.nothing' }],
      ['exponential_histogram_unsupported', { name: 'rc.exp', exponentialHistogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: at, count: '1', scale: 0 }] } }],
      ['delta_temporality', { name: 'rc.delta', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [point] } }],
      ['unspecified_temporality', { name: 'rc.unspecified', sum: { aggregationTemporality: 0, isMonotonic: true, dataPoints: [point] } }],
      ['invalid_metric_name', { name: '...', gauge: { dataPoints: [point] } }],
      ['invalid_histogram', { name: 'rc.hist', histogram: { aggregationTemporality: 2, dataPoints: [{ timeUnixNano: at, count: '1', sum: 1, bucketCounts: ['1'], explicitBounds: [1, 2] }] } }],
    ];
    for (const [reason, m] of refused) {
      await counts(samples('otlp', reason), 1, 200, otlp(metricsOf(m, { name: `rc.good.${reason}`, gauge: { dataPoints: [point] } })));
    }
    await counts(samples('otlp', 'too_far_in_future'), 1, 400, otlp(metricsOf({ name: 'rc.future', gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: `${future}000000` }] } })));
    const ooo = (t: number, v: number) => otlp(metricsOf({ name: 'rc.ooo', gauge: { dataPoints: [{ asDouble: v, timeUnixNano: `${t}000000` }] } }));
    expect((await ooo(T0 + 5000, 1)()).status).toBe(200);
    await counts(samples('otlp', 'out_of_order'), 1, 400, ooo(T0, 0));
    await counts(samples('otlp', 'duplicate_timestamp'), 1, 400, ooo(T0 + 5000, 2));
  });
});

// ---- Pushgateway ----
describe('Pushgateway API', () => {
  const push = (method: string, p: string, body = '') =>
    fetch(`${s.url}/metrics/${p}`, { method, headers: { 'Content-Type': 'text/plain; version=0.0.4' }, body: method === 'DELETE' ? undefined : body });
  // The latest sample of each series in the group, with staleness markers shown as "stale".
  async function latest(match: string): Promise<Record<string, number | string>> {
    const out: Record<string, number | string> = {};
    for (const e of await exportOf(match)) {
      const { __name__, ...rest } = e.metric;
      out[`${__name__}${JSON.stringify(rest)}`] = e.values.at(-1)!;
    }
    return out;
  }
  const instant = async (q: string) => (await json(await fetch(`${s.url}/api/v1/query?${query({ query: q })}`))).data.result
    .map((r: { metric: Record<string, string>; value: [number, string] }) => `${r.metric.__name__}${r.metric.le ? `/${r.metric.le}` : ''}=${r.value[1]}`).sort();

  it('PUT replaces the group, POST replaces same-name metrics, DELETE removes the group', async () => {
    let r = await push('PUT', 'job/backup/instance/db1', '# TYPE backup_duration_seconds histogram\nbackup_duration_seconds_bucket{le="1"} 1\nbackup_duration_seconds_bucket{le="+Inf"} 2\nbackup_duration_seconds_sum 3\nbackup_duration_seconds_count 2\nbackup_last_success 100\nbackup_files{dir="a"} 5\n');
    expect(r.status).toBe(200);
    expect(await instant('{job="backup",instance="db1",__name__!~"push_.*"}')).toEqual([
      'backup_duration_seconds_bucket/+Inf=2', 'backup_duration_seconds_bucket/1=1', 'backup_duration_seconds_count=2', 'backup_duration_seconds_sum=3',
      'backup_files=5', 'backup_last_success=100',
    ]);
    const pt = await instant('push_time_seconds{job="backup",instance="db1"}');
    expect(Number(pt[0].split('=')[1])).toBeGreaterThan(Date.now() / 1000 - 60);

    // POST: backup_files is replaced as a family ({dir="a"} goes stale), the others stay.
    r = await push('POST', 'job/backup/instance/db1', 'backup_files{dir="b"} 7\n');
    expect(r.status).toBe(200);
    expect(await instant('{job="backup",instance="db1",__name__=~"backup_files|backup_last_success"}')).toEqual(['backup_files=7', 'backup_last_success=100']);

    // PUT: only what is pushed now remains.
    r = await push('PUT', 'job/backup/instance/db1', 'backup_last_success 200\n');
    expect(r.status).toBe(200);
    expect(await instant('{job="backup",instance="db1",__name__!~"push_.*"}')).toEqual(['backup_last_success=200']);

    r = await fetch(`${s.url}/metrics/job/backup/instance/db1`, { method: 'DELETE' });
    expect(r.status).toBe(202);
    expect(await instant('{job="backup",instance="db1"}')).toEqual([]);
    // The history stays: the values pushed are still there, ended by staleness markers.
    const hist = await latest('{job="backup",instance="db1"}');
    expect(hist['backup_last_success{"instance":"db1","job":"backup"}']).toBe('NaN');
    // Pushes in quick succession (same millisecond) still apply in order, without timestamp clashes.
    for (let i = 0; i < 5; i++) expect((await push('PUT', 'job/rapid', `rapid_value ${i}\n`)).status).toBe(200);
    expect(await instant('rapid_value')).toEqual(['rapid_value=4']);
  });

  it('keeps the groups\' series across a restart: PUT and DELETE after it still end the older series; failures are timed', async () => {
    let r = await push('PUT', 'job/nightly/instance/n1', 'nightly_rows{table="a"} 10\nnightly_rows{table="b"} 20\nnightly_ok 1\n');
    expect(r.status).toBe(200);
    expect(await instant('push_failure_time_seconds{job="nightly"}')).toEqual(['push_failure_time_seconds=0']);
    const firstPush = Number((await instant('push_time_seconds{job="nightly"}'))[0].split('=')[1]);
    await restart();

    // PUT after the restart: nightly_rows{table="a"} was pushed before it and is not pushed now.
    r = await push('PUT', 'job/nightly/instance/n1', 'nightly_rows{table="b"} 21\nnightly_ok 1\n');
    expect(r.status).toBe(200);
    expect(await instant('{job="nightly",__name__!~"push_.*"}')).toEqual(['nightly_ok=1', 'nightly_rows=21']);
    expect(Number((await instant('push_time_seconds{job="nightly"}'))[0].split('=')[1])).toBeGreaterThan(firstPush);

    // A push refused after parsing (here for a timestamp) leaves the group as it was and says when it failed.
    r = await push('PUT', 'job/nightly/instance/n1', 'nightly_rows 1 1700000000000\n');
    expect(r.status).toBe(400);
    const failed = Number((await instant('push_failure_time_seconds{job="nightly"}'))[0].split('=')[1]);
    expect(failed).toBeGreaterThan(firstPush);
    expect(await instant('{job="nightly",__name__!~"push_.*"}')).toEqual(['nightly_ok=1', 'nightly_rows=21']);
    // A push refused for its syntax changes nothing, not even a group that does not exist.
    expect((await push('PUT', 'job/never', 'x{ 1\n')).status).toBe(400);
    expect(await instant('{job="never"}')).toEqual([]);

    await restart();
    // The next successful push carries the failure time on.
    r = await push('POST', 'job/nightly/instance/n1', 'nightly_ok 0\n');
    expect(r.status).toBe(200);
    expect(await instant('push_failure_time_seconds{job="nightly"}')).toEqual([`push_failure_time_seconds=${failed}`]);
    await restart();
    r = await fetch(`${s.url}/metrics/job/nightly/instance/n1`, { method: 'DELETE' });
    expect(r.status).toBe(202);
    expect(await instant('{job="nightly"}')).toEqual([]);
  });

  it('decodes @base64 grouping labels, and lets grouping labels override the body', async () => {
    const path64 = Buffer.from('/var/tmp').toString('base64url');
    const r = await push('PUT', `job@base64/${Buffer.from('cron job').toString('base64url')}/path@base64/${path64}`, 'cron_ok{job="other",x="1"} 1\n');
    expect(r.status).toBe(200);
    expect(Object.keys(await latest('cron_ok'))).toEqual(['cron_ok{"job":"cron job","path":"/var/tmp","x":"1"}']);
  });

  it('refuses bad grouping keys, timestamps, duplicates and bad bodies with 400, other content types with 415', async () => {
    const cases: [string, string, string, RegExp][] = [
      ['PUT', 'job/a/lonely', 'x 1\n', /odd number of components/],
      ['PUT', 'job/a/bad-name/v', 'x 1\n', /improper label name/],
      ['PUT', 'job@base64/!!', 'x 1\n', /invalid base64 encoding in job name/],
      ['PUT', 'job/a', 'x 1 1700000000000\n', /must not have timestamps/],
      ['PUT', 'job/a', 'x{job="z"} 1\nx 2\n', /was collected before/],
      ['POST', 'job/a', 'x{ 1\n', /line 1/],
      ['PUT', 'job/a', 'push_time_seconds 5\n', /set by the server/],
    ];
    for (const [m, p, body, re] of cases) {
      const r = await push(m, p, body);
      expect(r.status, p + body).toBe(400);
      expect(await r.text(), p + body).toMatch(re);
    }
    let r = await fetch(`${s.url}/metrics/job/a`, { method: 'PUT', headers: { 'Content-Type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(415);
    r = await fetch(`${s.url}/metrics/job/a`, { method: 'PUT', body: Buffer.from([0x78, 0x20, 0xff, 0x0a]) });
    expect(r.status).toBe(400);
    expect(await r.text()).toMatch(/UTF-8/);
    r = await fetch(`${s.url}/metrics/job/a`, { method: 'PUT', body: 'x 1\n'.repeat(300_000) });
    expect(r.status).toBe(413);
    expect(metricValue(await metrics(), 'strata_push_requests_total{protocol="pushgateway",code="400"}')).toBe(cases.length + 1);
    expect(metricValue(await metrics(), 'strata_push_requests_total{protocol="pushgateway",code="413"}')).toBe(1);
  });

  it('refuses a type other groups give the name', async () => {
    expect((await push('PUT', 'job/typed1', '# TYPE typed_total counter\ntyped_total 1\n')).status).toBe(200);
    const r = await push('PUT', 'job/typed2', '# TYPE typed_total gauge\ntyped_total 1\n');
    expect(r.status).toBe(400);
    expect(await r.text()).toBe('pushed metrics are invalid or inconsistent with existing metrics: collected metric "typed_total" {job="typed2"} is not a COUNTER\n');
    // The group holding the name alone may change its type; once it is gone the name is free.
    expect((await push('PUT', 'job/typed1', '# TYPE typed_total gauge\ntyped_total 2\n')).status).toBe(200);
    expect((await fetch(`${s.url}/metrics/job/typed1`, { method: 'DELETE' })).status).toBe(202);
    expect((await push('PUT', 'job/typed2', '# TYPE typed_total summary\ntyped_total_count 1\n')).status).toBe(200);
  });
});

// ---- shared limits ----
describe('limits shared by every push protocol', () => {
  it('answers 429 (retryable) when a storage limit refuses the batch, in each protocol\'s shape', async () => {
    const many = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i)).join('');
    let r = await postV2(encodeV2(Array.from({ length: 60 }, (_, i) => ({ labels: { __name__: 'lim_rw2', i: String(i) }, samples: [[T0, 1]] as [number, number][] }))));
    expect(r.status).toBe(429);
    expect(r.headers.get('x-prometheus-remote-write-samples-written')).toBe('0');
    r = await postInflux('/api/v2/write', many(60, (i) => `lim_influx,i=${i} value=1\n`));
    expect(r.status).toBe(429);
    expect((await json(r)).code).toBe('too many requests');
    r = await fetch(`${s.url}/api/v1/otlp/v1/metrics`, {
      method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name: 'lim.otlp', gauge: { dataPoints: Array.from({ length: 60 }, (_, i) => ({ asDouble: 1, timeUnixNano: `${T0}000000`, attributes: [{ key: 'i', value: { intValue: i } }] })) } }] }] }] }),
    });
    expect(r.status).toBe(429);
    expect(r.headers.get('retry-after')).toBe('1');
    expect((await json(r)).code).toBe(8);
    r = await fetch(`${s.url}/metrics/job/lim`, { method: 'PUT', body: many(60, (i) => `lim_pg{i="${i}"} 1\n`) });
    expect(r.status).toBe(429);
    const text = await metrics();
    for (const p of ['remote_write_v2', 'influx', 'otlp', 'pushgateway']) {
      expect(metricValue(text, `strata_push_rejected_samples_total{protocol="${p}",reason="series_limit_per_metric"}`), p).toBeGreaterThanOrEqual(60);
    }
  });
});

// ---- write admission ----
describe('write admission from the config', () => {
  let t: StrataProcess;
  let tdir: string;
  beforeAll(async () => {
    tdir = tempDir();
    const cfg = path.join(tdir, 'strata.yml');
    fs.writeFileSync(cfg, 'server:\n  max_concurrent_writes: 1\n  write_queue_length: 0\n');
    t = await startStrata({ dataDir: path.join(tdir, 'data'), args: ['--config', cfg] });
  });
  afterAll(async () => {
    await t?.stop();
    fs.rmSync(tdir, { recursive: true, force: true });
  });

  it('refuses a second concurrent write with 429 and Retry-After when the only slot is busy and no queue is allowed, and counts it', async () => {
    // The first write holds the only slot while its body is still arriving.
    const url = new URL(`${t.url}/write?precision=ms`);
    const first = http.request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST' });
    const firstAnswer = new Promise<number>((resolve, reject) => {
      first.on('response', (res) => {
        res.resume();
        resolve(res.statusCode!);
      });
      first.on('error', reject);
    });
    first.write(`adm_first value=1 ${T0}\n`);
    // The first request is admitted once its headers arrive; until then a second write may still
    // get the slot (204), so try until one is refused.
    let refused: Response | null = null;
    for (let i = 0; i < 200 && refused === null; i++) {
      const r = await fetch(`${t.url}/api/v1/write`, {
        method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body: snappy.compressSync(Buffer.alloc(0)),
      });
      if (r.status === 429) refused = r;
      else {
        expect(r.status).toBe(204);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    expect(refused).not.toBeNull();
    expect(refused!.headers.get('retry-after')).toBe('1');
    expect(await refused!.text()).toMatch(/overloaded.*max_concurrent_writes/);
    first.end();
    expect(await firstAnswer).toBe(204);
    const text = await (await fetch(`${t.url}/metrics`)).text();
    expect(metricValue(text, 'strata_write_rejected_total{protocol="remote_write",reason="overloaded"}')).toBe(1);
    expect(metricValue(text, 'strata_push_requests_total{protocol="remote_write",code="429"}')).toBe(1);
    // With the slot free again, writes pass.
    expect((await fetch(`${t.url}/write?precision=ms`, { method: 'POST', body: `adm_after value=2 ${T0}\n` })).status).toBe(204);
  });
});
