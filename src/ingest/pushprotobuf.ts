// The Pushgateway's other body format: length-delimited io.prometheus.client.MetricFamily
// messages (Content-Type `application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily;
// encoding=delimited`), which the Go client library's push package sends by default.
//
// Decoded into the same shape as a parsed text push (one series per sample, as the Pushgateway's
// text exposition of the family would list them), so that the grouping key, the consistency
// checks and the storing are the text push's:
//   counter, gauge, untyped    name                                  the value
//   summary                    name{quantile}, name_sum, name_count
//   histogram                  name_bucket{le}, name_sum, name_count  the +Inf bucket, implicit in
//                                                                     the message, is added
// Native histogram fields are skipped (a push of classic buckets and native ones keeps the classic
// ones); a histogram with no classic buckets is then its +Inf bucket, sum and count. Gauge
// histograms are refused: the text format 0.0.4 has no way to expose them either.
//
// messages (field numbers from prometheus/client_model's metrics.proto):
//   MetricFamily { string name = 1; string help = 2; MetricType type = 3; repeated Metric metric = 4; }
//   Metric { repeated LabelPair label = 1; Gauge gauge = 2; Counter counter = 3; Summary summary = 4;
//            Untyped untyped = 5; Histogram histogram = 7; int64 timestamp_ms = 6; }
//   LabelPair { string name = 1; string value = 2; }   Gauge, Counter, Untyped { double value = 1; }
//   Summary { uint64 sample_count = 1; double sample_sum = 2; repeated Quantile quantile = 3; }
//   Quantile { double quantile = 1; double value = 2; }
//   Histogram { uint64 sample_count = 1; double sample_count_float = 4; double sample_sum = 2;
//               repeated Bucket bucket = 3; }
//   Bucket { uint64 cumulative_count = 1; double cumulative_count_float = 4; double upper_bound = 2; }
import { METRIC_NAME, type Labels } from '../model/index.ts';
import { formatFloat } from '../template/index.ts';
import { IngestError } from './errors.ts';
import type { ParsedExposition } from './exposition.ts';
import type { MetricMetadata, MetricType } from './metadata.ts';
import { ProtoReader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';

const TYPE_NAMES: (MetricType | null)[] = ['counter', 'gauge', 'summary', 'unknown', 'histogram', null];

interface Sample {
  name: string;
  labels: [string, string][];
  value: number;
  /** NaN when the metric carries none. */
  timestampMs: number;
}

/** Decodes a delimited MetricFamily stream. Throws IngestError(400) for malformed messages. */
export function parsePushProtobuf(buf: Uint8Array): ParsedExposition {
  const r = new ProtoReader(buf, 'MetricFamily');
  r.payload = 'protobuf push';
  const samples: Sample[] = [];
  const metadata: MetricMetadata[] = [];
  while (r.pos < buf.length) {
    r.end = buf.length;
    const end = r.lengthEnd();
    r.end = end;
    let name = '';
    let help = '';
    let type = 0;
    const metrics: [number, number][] = [];
    while (r.pos < end) {
      const key = r.key();
      if (key === ((1 << 3) | WIRE_LEN)) name = r.string();
      else if (key === ((2 << 3) | WIRE_LEN)) help = r.string();
      else if (key === ((3 << 3) | WIRE_VARINT)) type = r.uvarint();
      else if (key === ((4 << 3) | WIRE_LEN)) {
        const mEnd = r.lengthEnd();
        metrics.push([r.pos, mEnd]);
        r.pos = mEnd;
      } else r.skip(key);
    }
    const typeName = TYPE_NAMES[type];
    if (typeName === undefined || typeName === null) {
      throw new IngestError(400, 'bad_protobuf', `metric family ${JSON.stringify(name)}: ${type === 5 ? 'gauge histograms are not supported' : `unknown metric type ${type}`}`);
    }
    if (name === '') throw new IngestError(400, 'bad_protobuf', 'a metric family without a name');
    if (metrics.length === 0) continue; // as the Pushgateway drops empty families
    metadata.push({ family: name, type: typeName, help, unit: '' });
    for (const [mStart, mEnd] of metrics) {
      r.pos = mStart;
      readMetric(r, mEnd, name, type, samples);
      r.end = end;
    }
    r.pos = end;
  }
  const series: Labels[] = [];
  const timestamps = new Float64Array(samples.length);
  const values = new Float64Array(samples.length);
  const offsets = new Uint32Array(samples.length + 1);
  for (let i = 0; i < samples.length; i++) {
    const s = samples[i];
    const pairs = [...s.labels, [METRIC_NAME, s.name] as [string, string]].filter(([, v]) => v !== '');
    pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    series.push(pairs.flat());
    timestamps[i] = s.timestampMs;
    values[i] = s.value;
    offsets[i + 1] = i + 1;
  }
  return { batch: { series, offsets, timestamps, values }, metadata };
}

function readMetric(r: ProtoReader, end: number, name: string, type: number, out: Sample[]): void {
  r.end = end;
  const labels: [string, string][] = [];
  let timestampMs = NaN;
  let value: number | null = null;
  let sum = 0;
  let count = 0;
  const quantiles: [number, number][] = [];
  const buckets: [number, number][] = [];
  let isSummary = false;
  let isHistogram = false;
  while (r.pos < end) {
    const key = r.key();
    const field = key >>> 3;
    if (key === ((1 << 3) | WIRE_LEN)) {
      const lEnd = r.lengthEnd();
      let ln = '';
      let lv = '';
      r.end = lEnd;
      while (r.pos < lEnd) {
        const k = r.key();
        if (k === ((1 << 3) | WIRE_LEN)) ln = r.string();
        else if (k === ((2 << 3) | WIRE_LEN)) lv = r.string();
        else r.skip(k);
      }
      r.end = end;
      labels.push([ln, lv]);
    } else if ((field === 2 || field === 3 || field === 5) && (key & 7) === WIRE_LEN) {
      value = readValue(r, r.lengthEnd(), end);
    } else if (key === ((6 << 3) | WIRE_VARINT)) {
      timestampMs = r.int64();
    } else if (key === ((4 << 3) | WIRE_LEN)) {
      isSummary = true;
      const sEnd = r.lengthEnd();
      r.end = sEnd;
      while (r.pos < sEnd) {
        const k = r.key();
        if (k === ((1 << 3) | WIRE_VARINT)) count = r.uvarint();
        else if (k === ((2 << 3) | WIRE_I64)) sum = r.double();
        else if (k === ((3 << 3) | WIRE_LEN)) {
          const qEnd = r.lengthEnd();
          r.end = qEnd;
          let q = 0;
          let v = 0;
          while (r.pos < qEnd) {
            const kk = r.key();
            if (kk === ((1 << 3) | WIRE_I64)) q = r.double();
            else if (kk === ((2 << 3) | WIRE_I64)) v = r.double();
            else r.skip(kk);
          }
          r.end = sEnd;
          quantiles.push([q, v]);
        } else r.skip(k);
      }
      r.end = end;
    } else if (key === ((7 << 3) | WIRE_LEN)) {
      isHistogram = true;
      const hEnd = r.lengthEnd();
      r.end = hEnd;
      while (r.pos < hEnd) {
        const k = r.key();
        if (k === ((1 << 3) | WIRE_VARINT)) count = r.uvarint();
        else if (k === ((4 << 3) | WIRE_I64)) count = r.double();
        else if (k === ((2 << 3) | WIRE_I64)) sum = r.double();
        else if (k === ((3 << 3) | WIRE_LEN)) {
          const bEnd = r.lengthEnd();
          r.end = bEnd;
          let le = 0;
          let c = 0;
          while (r.pos < bEnd) {
            const kk = r.key();
            if (kk === ((1 << 3) | WIRE_VARINT)) c = r.uvarint();
            else if (kk === ((4 << 3) | WIRE_I64)) c = r.double();
            else if (kk === ((2 << 3) | WIRE_I64)) le = r.double();
            else r.skip(kk);
          }
          r.end = hEnd;
          buckets.push([le, c]);
        } else r.skip(k);
      }
      r.end = end;
    } else {
      r.skip(key);
    }
  }
  const add = (n: string, v: number, extra?: [string, string]) =>
    out.push({ name: n, labels: extra ? [...labels, extra] : labels, value: v, timestampMs });
  // The message's type decides how it reads, as in the Pushgateway's exposition of it.
  if (type === 2) {
    if (!isSummary) throw new IngestError(400, 'bad_protobuf', `metric family ${JSON.stringify(name)} is a summary, but a metric of it has no summary`);
    for (const [q, v] of quantiles) add(name, v, ['quantile', goFloat(q)]);
    add(`${name}_sum`, sum);
    add(`${name}_count`, count);
  } else if (type === 4) {
    if (!isHistogram) throw new IngestError(400, 'bad_protobuf', `metric family ${JSON.stringify(name)} is a histogram, but a metric of it has no histogram`);
    let inf = false;
    for (const [le, c] of buckets) {
      if (le === Infinity) inf = true;
      add(`${name}_bucket`, c, ['le', goFloat(le)]);
    }
    if (!inf) add(`${name}_bucket`, count, ['le', '+Inf']);
    add(`${name}_sum`, sum);
    add(`${name}_count`, count);
  } else {
    if (value === null) throw new IngestError(400, 'bad_protobuf', `metric family ${JSON.stringify(name)}: a metric without a value of its type`);
    add(name, value);
  }
}

function readValue(r: ProtoReader, vEnd: number, parentEnd: number): number {
  r.end = vEnd;
  let v = 0;
  while (r.pos < vEnd) {
    const k = r.key();
    if (k === ((1 << 3) | WIRE_I64)) v = r.double();
    else r.skip(k);
  }
  r.end = parentEnd;
  return v;
}

/** A bound as Go's text exposition writes it (strconv's shortest 'g': exponent form below 1e-4 and from 1e6 on). */
function goFloat(v: number): string {
  return v === 0 ? '0' : formatFloat(v, 'g', -1);
}
