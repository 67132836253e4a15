// Builds Prometheus remote-write requests for tests with protobufjs and snappy, independently of
// Strata's own hand-written decoder, so a decoder bug cannot hide behind a matching encoder bug.
import protobuf from 'protobufjs';
import snappy from 'snappy';

const PROTO = `
syntax = "proto3";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Histogram histograms = 4; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message MetricMetadata { int32 type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
message Histogram {
  oneof count { uint64 count_int = 1; double count_float = 2; }
  double sum = 3;
  sint32 schema = 4;
  double zero_threshold = 5;
  oneof zero_count { uint64 zero_count_int = 6; double zero_count_float = 7; }
  int64 timestamp = 15;
}
`;

const root = protobuf.parse(PROTO).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface TestSeries {
  labels: Record<string, string>;
  samples?: [timestampMs: number, value: number][];
  /** Timestamps of native histogram samples to attach (their content is irrelevant to Strata). */
  histograms?: number[];
}

/** Metric metadata as remote write carries it; `type` is the proto enum number (1 counter, 2 gauge, ...). */
export interface TestMetadata {
  type: number;
  family: string;
  help?: string;
  unit?: string;
}

// A staleness marker is a NaN with particular bits (0x7ff0000000000002, a signalling NaN), which V8
// quiets in an array of doubles such as a test's [timestamp, value] pair (it becomes
// 0x7ff8000000000002, to Prometheus an ordinary NaN). Samples holding either form are encoded with
// a sentinel value whose bytes are then replaced by the marker's, so tests can write STALE_NAN.
const SENTINEL = -1.2345678901234567e-300;
const SENTINEL_FIELD = Buffer.from([0x09, ...new Uint8Array(new Float64Array([SENTINEL]).buffer)]);
const STALE_FIELD = Buffer.from([0x09, 0x02, 0, 0, 0, 0, 0, 0xf0, 0x7f]);
const bits = new Float64Array(1);
const bitWords = new Uint32Array(bits.buffer);

function isStaleMarker(v: number): boolean {
  if (v === v) return false;
  bits[0] = v;
  return bitWords[0] === 2 && (bitWords[1] === 0x7ff00000 || bitWords[1] === 0x7ff80000);
}

/** The uncompressed protobuf of a WriteRequest; STALE_NAN values arrive as the staleness marker. */
export function encodeWriteRequestRaw(series: TestSeries[], metadata: TestMetadata[] = []): Uint8Array {
  const raw = Buffer.from(encodeWithSentinels(series, metadata));
  for (let i = raw.indexOf(SENTINEL_FIELD); i >= 0; i = raw.indexOf(SENTINEL_FIELD, i + STALE_FIELD.length)) STALE_FIELD.copy(raw, i);
  return raw;
}

function encodeWithSentinels(series: TestSeries[], metadata: TestMetadata[]): Uint8Array {
  const msg = WriteRequest.fromObject({
    metadata: metadata.map((m) => ({ type: m.type, metricFamilyName: m.family, help: m.help ?? '', unit: m.unit ?? '' })),
    timeseries: series.map((s) => ({
      // Senders must sort labels by name; tests give them in any order.
      labels: Object.entries(s.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, value]) => ({ name, value })),
      samples: (s.samples ?? []).map(([timestamp, value]) => ({ value: isStaleMarker(value) ? SENTINEL : value, timestamp })),
      histograms: (s.histograms ?? []).map((timestamp) => ({ countInt: 1, sum: 1, schema: 0, zeroThreshold: 0, zeroCountInt: 0, timestamp })),
    })),
  });
  return WriteRequest.encode(msg).finish();
}

/** A snappy-compressed WriteRequest, as Prometheus sends it. */
export function encodeWriteRequest(series: TestSeries[], metadata: TestMetadata[] = []): Buffer {
  return snappy.compressSync(Buffer.from(encodeWriteRequestRaw(series, metadata)));
}

export interface WriteResponse {
  status: number;
  text: string;
}

/**
 * POSTs a remote-write body with the headers Prometheus sends (overridable). `chunked` sends the
 * body as a stream, without Content-Length.
 */
export async function postWrite(baseUrl: string, body: Uint8Array, headers: Record<string, string> = {}, chunked = false): Promise<WriteResponse> {
  const payload = chunked
    ? new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < body.length; i += 16 * 1024) c.enqueue(body.subarray(i, i + 16 * 1024));
        c.close();
      },
    })
    : body;
  const res = await fetch(`${baseUrl}/api/v1/write`, {
    duplex: 'half',
    method: 'POST',
    headers: {
      'Content-Type': 'application/x-protobuf',
      'Content-Encoding': 'snappy',
      'X-Prometheus-Remote-Write-Version': '0.1.0',
      ...headers,
    },
    body: payload,
  } as RequestInit);
  return { status: res.status, text: await res.text() };
}

export async function writeSeries(baseUrl: string, series: TestSeries[]): Promise<WriteResponse> {
  return postWrite(baseUrl, encodeWriteRequest(series));
}

// Remote write 2.0 (io.prometheus.write.v2.Request), the fields tests use.
const RW2_PROTO = `
syntax = "proto3";
package io.prometheus.write.v2;
message Request { reserved 1 to 3; repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
message TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2; repeated Histogram histograms = 3;
  repeated Exemplar exemplars = 4; Metadata metadata = 5; int64 created_timestamp = 6; }
message Exemplar { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
message Sample { double value = 1; int64 timestamp = 2; }
message Metadata { int32 type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
message Histogram { oneof count { uint64 count_int = 1; double count_float = 2; } double sum = 3; sint32 schema = 4; int64 timestamp = 15; }
`;
const V2Request = protobuf.parse(RW2_PROTO).root.lookupType('io.prometheus.write.v2.Request');

/** The Content-Type a remote write 2.0 sender gives its requests. */
export const RW2_CONTENT_TYPE = 'application/x-protobuf;proto=io.prometheus.write.v2.Request';

export interface TestSeriesV2 {
  labels: Record<string, string>;
  samples?: [timestampMs: number, value: number][];
  /** Timestamps of native histogram samples to attach (their content is irrelevant to Strata). */
  histograms?: number[];
  /** Metadata: [type enum number, help]. */
  meta?: [number, string];
}

/** A snappy-compressed remote write 2.0 request: labels and help texts by symbol reference. */
export function encodeWriteRequestV2(series: TestSeriesV2[]): Buffer {
  const symbols = [''];
  const ref = (x: string) => {
    const i = symbols.indexOf(x);
    return i >= 0 ? i : symbols.push(x) - 1;
  };
  const timeseries = series.map((x) => ({
    labelsRefs: Object.entries(x.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).flatMap(([n, v]) => [ref(n), ref(v)]),
    samples: (x.samples ?? []).map(([timestamp, value]) => ({ timestamp, value })),
    histograms: (x.histograms ?? []).map((timestamp) => ({ countInt: 1, sum: 1, schema: 0, timestamp })),
    metadata: x.meta ? { type: x.meta[0], helpRef: ref(x.meta[1]), unitRef: 0 } : undefined,
  }));
  return snappy.compressSync(Buffer.from(V2Request.encode(V2Request.fromObject({ symbols, timeseries })).finish()));
}
