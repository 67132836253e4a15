import protobuf from 'protobufjs';
import { compressSync } from 'snappy';
import { describe, expect, it } from 'vitest';
import { STALE_NAN, isStaleNaN, labelsFromRecord, type SampleBatch } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { checkRemoteWriteHeaders, decodeRemoteWrite, decodeWriteRequest } from './remotewrite.ts';
import { decompressSnappy } from './snappy.ts';

// The sender's view of the protocol, encoded by protobufjs independently of our decoder. The
// `Extended*` messages are what a newer sender might send: every wire type in fields we do not know.
const PROTO = `
syntax = "proto2";
package prometheus;
message WriteRequest { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
message Label { optional string name = 1; optional string value = 2; }
message Sample { optional double value = 1; optional int64 timestamp = 2; }
message Exemplar { repeated Label labels = 1; optional double value = 2; optional int64 timestamp = 3; }
message Histogram { optional uint64 count_int = 1; optional double sum = 3; optional sint32 schema = 4; optional int64 timestamp = 15; }
message MetricMetadata { optional int32 type = 1; optional string metric_family_name = 2; optional string help = 4; optional string unit = 5; }

message ExtendedWriteRequest {
  repeated ExtendedTimeSeries timeseries = 1;
  optional int32 source = 2;
  repeated MetricMetadata metadata = 3;
  optional fixed64 f64 = 20;
  optional fixed32 f32 = 21;
  optional group Legacy = 22 { optional int32 a = 1; optional string b = 2; optional group Inner = 3 { optional int64 c = 1; } }
}
message ExtendedTimeSeries {
  repeated ExtendedLabel labels = 1;
  repeated ExtendedSample samples = 2;
  optional string note = 15;
  optional sfixed32 f32 = 16;
}
message ExtendedLabel { optional string name = 1; optional string value = 2; optional uint64 extra = 9; }
message ExtendedSample { optional double value = 1; optional int64 timestamp = 2; optional bytes blob = 3; optional double other = 4; }
`;
const root = protobuf.parse(PROTO, { keepCase: true }).root;
const WriteRequest = root.lookupType('prometheus.WriteRequest');
const ExtendedWriteRequest = root.lookupType('prometheus.ExtendedWriteRequest');
// protobufjs bundles a Long implementation; its typings only describe the constructor.
const Long = protobuf.util.Long as unknown as { fromBits(lo: number, hi: number, unsigned?: boolean): protobuf.Long };

type Ts = number | protobuf.Long;
interface SeriesIn {
  labels: Record<string, string> | [string, string][];
  samples?: [number, Ts][]; // [value, timestamp]
  exemplars?: number;
  histograms?: number;
}

function encode(series: SeriesIn[], metadata: object[] = []): Uint8Array {
  const msg = {
    timeseries: series.map((s) => ({
      labels: (Array.isArray(s.labels) ? s.labels : Object.entries(s.labels)).map(([name, value]) => ({ name, value })),
      samples: (s.samples ?? []).map(([value, timestamp]) => ({ value, timestamp })),
      exemplars: Array.from({ length: s.exemplars ?? 0 }, (_, i) => ({ labels: [{ name: 'trace_id', value: `t${i}` }], value: i, timestamp: 1 })),
      histograms: Array.from({ length: s.histograms ?? 0 }, (_, i) => ({ count_int: i + 1, sum: 1.5, schema: 3, timestamp: 1000 })),
    })),
    metadata,
  };
  const err = WriteRequest.verify(msg);
  if (err) throw new Error(err);
  return WriteRequest.encode(WriteRequest.fromObject(msg)).finish();
}

const compress = (raw: Uint8Array) => compressSync(Buffer.from(raw));

function seriesOf(b: SampleBatch): { labels: readonly string[]; samples: [number, number][] }[] {
  return b.series.map((labels, i) => {
    const samples: [number, number][] = [];
    for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) samples.push([b.values[j], b.timestamps[j]]);
    return { labels, samples };
  });
}

function ingestError(f: () => unknown): IngestError {
  try {
    f();
  } catch (e) {
    if (e instanceof IngestError) return e;
    throw new Error(`expected IngestError, got ${String(e)}`);
  }
  throw new Error('expected IngestError, nothing thrown');
}

describe('decodeRemoteWrite', () => {
  it('decodes series, samples and metadata exactly', () => {
    const body = compress(encode(
      [
        { labels: { __name__: 'up', job: 'node', instance: 'a:9100' }, samples: [[1, 1_700_000_000_000], [0, 1_700_000_015_000]] },
        { labels: { __name__: 'temp_celsius', room: 'kitchen' }, samples: [[-21.5, 1_700_000_000_123]] },
      ],
      [
        { type: 1, metric_family_name: 'http_requests_total', help: 'Requests served.', unit: 'requests' },
        { type: 3, metric_family_name: 'latency_seconds', help: 'Latency.' },
        { type: 99, metric_family_name: 'future' },
      ],
    ));
    const { batch, metadata, histograms, exemplars } = decodeRemoteWrite(body);
    expect(seriesOf(batch)).toEqual([
      { labels: ['__name__', 'up', 'instance', 'a:9100', 'job', 'node'], samples: [[1, 1_700_000_000_000], [0, 1_700_000_015_000]] },
      { labels: ['__name__', 'temp_celsius', 'room', 'kitchen'], samples: [[-21.5, 1_700_000_000_123]] },
    ]);
    expect(Array.from(batch.offsets)).toEqual([0, 2, 3]);
    expect(metadata).toEqual([
      { family: 'http_requests_total', type: 'counter', help: 'Requests served.', unit: 'requests' },
      { family: 'latency_seconds', type: 'histogram', help: 'Latency.', unit: '' },
      { family: 'future', type: 'unknown', help: '', unit: '' },
    ]);
    expect(histograms).toBe(0);
    expect(exemplars).toBe(0);
  });

  it('decodes timestamps beyond 2^32, beyond 2^49 and negative ones exactly', () => {
    const ts = [0, 1, 127, 128, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 49 - 1, 2 ** 49, 2 ** 49 + 12345,
      Number.MAX_SAFE_INTEGER, -1, -2, -128, -(2 ** 31), -(2 ** 32) - 7, -1_700_000_000_000, Number.MIN_SAFE_INTEGER];
    const body = compress(encode([{ labels: { __name__: 'x' }, samples: ts.map((t, i) => [i, t]) }]));
    const { batch } = decodeRemoteWrite(body);
    expect(Array.from(batch.timestamps)).toEqual(ts);
    expect(Array.from(batch.values)).toEqual(ts.map((_, i) => i));
  });

  it('reads int64 extremes via both halves and leaves unsafe ones for validation to refuse', () => {
    const big = Long.fromBits(0xffffffff, 0x7fffffff, false); // 2^63 - 1
    const min = Long.fromBits(0, 0x80000000 | 0, false); // -2^63
    const { batch } = decodeRemoteWrite(compress(encode([{ labels: { __name__: 'x' }, samples: [[1, big], [2, min]] }])));
    expect(batch.timestamps[0]).toBe(2 ** 63);
    expect(batch.timestamps[1]).toBe(-(2 ** 63));
  });

  it('keeps NaN payloads bit-exact, including the staleness marker', () => {
    // Built in a Float64Array and passed in object fields only: V8 quiets signalling NaNs (such as
    // the staleness marker) stored in plain double arrays, which would corrupt the test's input.
    const dv = new DataView(new ArrayBuffer(8));
    dv.setUint32(0, 0x7ff80000);
    dv.setUint32(4, 0x00000001);
    const values = new Float64Array(7);
    values[0] = STALE_NAN;
    values[1] = dv.getFloat64(0); // Go's math.NaN()
    values[2] = Infinity;
    values[3] = -Infinity;
    values[4] = -0;
    values[5] = 5e-324;
    values[6] = Number.MAX_VALUE;
    const samples: { value: number; timestamp: number }[] = [];
    for (let i = 0; i < values.length; i++) samples.push({ value: values[i], timestamp: i });
    const raw = WriteRequest.encode({ timeseries: [{ labels: [{ name: '__name__', value: 'x' }], samples }] }).finish();
    expect(Buffer.from(raw).includes(Buffer.from('020000000000f07f', 'hex'))).toBe(true);

    const { batch } = decodeRemoteWrite(compress(raw));
    expect(Buffer.from(batch.values.buffer, batch.values.byteOffset, 56).toString('hex')).toBe(Buffer.from(values.buffer).toString('hex'));
    expect(isStaleNaN(batch.values[0])).toBe(true);
    expect(isStaleNaN(batch.values[1])).toBe(false);
    expect(Object.is(batch.values[4], -0)).toBe(true);
  });

  it('reads doubles at unaligned offsets', () => {
    // Label lengths 1..8 shift the sample's double through every alignment.
    for (let pad = 1; pad <= 8; pad++) {
      const { batch } = decodeRemoteWrite(compress(encode([{ labels: { __name__: 'x'.repeat(pad) }, samples: [[Math.PI * pad, pad]] }])));
      expect(batch.values[0]).toBe(Math.PI * pad);
    }
  });

  it('skips unknown fields of every wire type', () => {
    const raw = ExtendedWriteRequest.encode(ExtendedWriteRequest.fromObject({
      source: 1,
      f64: Long.fromBits(1, 2, true),
      f32: 7,
      Legacy: { a: -5, b: 'x', Inner: { c: -1 } },
      timeseries: [{
        note: 'from the future',
        f32: -3,
        labels: [{ name: '__name__', value: 'up', extra: 1e12 }, { name: 'job', value: 'j' }],
        samples: [{ value: 2, timestamp: -5, blob: Buffer.from([0xff, 0x00]), other: 9 }],
      }],
      metadata: [{ type: 2, metric_family_name: 'up', help: 'h' }],
    })).finish();
    const { batch, metadata } = decodeWriteRequest(raw);
    expect(seriesOf(batch)).toEqual([{ labels: ['__name__', 'up', 'job', 'j'], samples: [[2, -5]] }]);
    expect(metadata).toEqual([{ family: 'up', type: 'gauge', help: 'h', unit: '' }]);
  });

  it('sorts unsorted labels and drops empty values', () => {
    const body = compress(encode([{ labels: [['zone', 'b'], ['job', 'j'], ['empty', ''], ['__name__', 'm'], ['Upper', 'u']], samples: [[1, 1]] }]));
    expect(decodeRemoteWrite(body).batch.series).toEqual([['Upper', 'u', '__name__', 'm', 'job', 'j', 'zone', 'b']]);
  });

  it('merges a series sent twice, in order, at its first position', () => {
    const body = compress(encode([
      { labels: { __name__: 'a' }, samples: [[1, 10], [2, 20]] },
      { labels: { __name__: 'b' }, samples: [[3, 10]] },
      { labels: [['job', 'x'], ['__name__', 'a']], samples: [] },
      { labels: { __name__: 'a' }, samples: [[4, 5]] },
      { labels: { __name__: 'c' }, samples: [[5, 1]] },
      { labels: { __name__: 'b' }, samples: [[6, 30], [7, 40]] },
    ]));
    const { batch } = decodeRemoteWrite(body);
    expect(seriesOf(batch)).toEqual([
      { labels: ['__name__', 'a'], samples: [[1, 10], [2, 20], [4, 5]] },
      { labels: ['__name__', 'b'], samples: [[3, 10], [6, 30], [7, 40]] },
      { labels: ['__name__', 'c'], samples: [[5, 1]] },
    ]);
    expect(Array.from(batch.offsets)).toEqual([0, 3, 6, 7]);
  });

  it('merges repeats among many series (the lookup table grows past its initial size)', () => {
    const n = 5000;
    const series: SeriesIn[] = [];
    for (let i = 0; i < n; i++) series.push({ labels: { __name__: 'm', i: String(i) }, samples: [[i, 1]] });
    for (let i = n - 1; i >= 0; i -= 3) series.push({ labels: { i: String(i), __name__: 'm' }, samples: [[-i, 2]] });
    const { batch } = decodeWriteRequest(encode(series));
    expect(batch.series.length).toBe(n);
    for (let i = 0; i < n; i++) {
      expect(batch.series[i]).toEqual(['__name__', 'm', 'i', String(i)]);
      const repeated = (n - 1 - i) % 3 === 0;
      expect(batch.offsets[i + 1] - batch.offsets[i]).toBe(repeated ? 2 : 1);
      expect(batch.values[batch.offsets[i]]).toBe(i);
      if (repeated) expect([batch.values[batch.offsets[i] + 1], batch.timestamps[batch.offsets[i] + 1]]).toEqual([-i, 2]);
    }
  });

  it('leaves out series without samples and reports histograms and exemplars', () => {
    const body = compress(encode([
      { labels: { __name__: 'plain' }, samples: [[1, 1]], exemplars: 2 },
      { labels: { __name__: 'native_hist', job: 'x' }, histograms: 3 },
      { labels: { __name__: 'native_hist2' }, histograms: 1 },
    ]));
    const r = decodeRemoteWrite(body);
    expect(r.batch.series).toEqual([['__name__', 'plain']]);
    expect(r.histograms).toBe(4);
    expect(r.histogramSeries).toEqual(labelsFromRecord({ __name__: 'native_hist', job: 'x' }));
    expect(r.exemplars).toBe(2);
  });

  it('decodes UTF-8 label values and an empty request', () => {
    const body = compress(encode([{ labels: { __name__: 'x', city: 'Zürich', emoji: '🦊', long: 'é'.repeat(40) + 'ascii'.repeat(10) }, samples: [[1, 1]] }]));
    expect(decodeRemoteWrite(body).batch.series[0]).toEqual(['__name__', 'x', 'city', 'Zürich', 'emoji', '🦊', 'long', 'é'.repeat(40) + 'ascii'.repeat(10)]);
    const empty = decodeRemoteWrite(compress(new Uint8Array(0)));
    expect(empty.batch.series).toEqual([]);
    expect(Array.from(empty.batch.offsets)).toEqual([0]);
  });

  it('does not let one request see the previous one\'s scratch state', () => {
    const big = compress(encode([{ labels: { __name__: 'a' }, samples: Array.from({ length: 5000 }, (_, i): [number, number] => [i, i]) }]));
    const small = compress(encode([{ labels: { __name__: 'b' }, samples: [[9, 9]] }]));
    const first = decodeRemoteWrite(big).batch;
    const second = decodeRemoteWrite(small).batch;
    expect(seriesOf(second)).toEqual([{ labels: ['__name__', 'b'], samples: [[9, 9]] }]);
    expect(first.values[4999]).toBe(4999); // the first batch owns its columns
  });

  it('keeps nothing of the decompressed bytes: a decoded request is intact after the next one reuses its buffer', () => {
    // Same sizes and layout, different bytes: anything the first result still read from the
    // decompressed buffer would now show the second request's content.
    const one = compress(encode([{ labels: { __name__: 'aaaa', job: 'jjjj' }, samples: [[1, 1000]] }], [{ type: 1, metric_family_name: 'aaaa', help: 'hhhh' }]));
    const two = compress(encode([{ labels: { __name__: 'bbbb', job: 'kkkk' }, samples: [[2, 2000]] }], [{ type: 1, metric_family_name: 'bbbb', help: 'iiii' }]));
    const first = decodeRemoteWrite(one);
    decodeRemoteWrite(two);
    expect(seriesOf(first.batch)).toEqual([{ labels: ['__name__', 'aaaa', 'job', 'jjjj'], samples: [[1, 1000]] }]);
    expect(first.metadata).toEqual([{ family: 'aaaa', type: 'counter', help: 'hhhh', unit: '' }]);
  });
});

describe('decodeRemoteWrite refuses bad input', () => {
  const valid = encode([
    { labels: { __name__: 'up', job: 'node', instance: 'host:9100' }, samples: [[1, 1_700_000_000_000], [STALE_NAN, -3]] },
    { labels: { __name__: 'x' }, samples: [[2, 2]], exemplars: 1, histograms: 1 },
  ], [{ type: 1, metric_family_name: 'up', help: 'h' }]);

  it('refuses a request truncated at any offset with bad_protobuf, never a crash', () => {
    let refused = 0;
    for (let n = 1; n < valid.length; n++) {
      try {
        decodeWriteRequest(valid.subarray(0, n));
      } catch (e) {
        expect(e).toBeInstanceOf(IngestError);
        expect((e as IngestError).status).toBe(400);
        expect((e as IngestError).reason).toBe('bad_protobuf');
        refused++;
      }
    }
    // Cutting exactly between two top-level fields leaves a valid, shorter request; every other cut is refused.
    expect(refused).toBeGreaterThanOrEqual(valid.length - 4);
  });

  it.each([
    ['truncated varint', [0x0a, 0x80]],
    ['length past the end', [0x0a, 0x05, 0x0a]],
    ['wrong wire type for timeseries', [0x08, 0x01]],
    ['wrong wire type for a sample timestamp', [0x0a, 0x04, 0x12, 0x02, 0x11, 0x00]],
    ['field number 0', [0x02, 0x00]],
    ['invalid wire type 7', [0x0f]],
    ['stray end-group', [0x0c]],
    ['unterminated group', [0x0b, 0x08, 0x01]],
    ['mismatched end-group', [0x0b, 0x14]],
    ['varint of 11 bytes', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]],
    ['varint overflowing 64 bits', [0x28, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02]],
    ['truncated double', [0x0a, 0x07, 0x12, 0x05, 0x09, 0, 0, 0, 0]],
  ])('refuses %s', (_name, bytes) => {
    const e = ingestError(() => decodeWriteRequest(Uint8Array.from(bytes)));
    expect(e.status).toBe(400);
    expect(e.reason).toBe('bad_protobuf');
    expect(e.message).toMatch(/malformed remote write request: .* at byte \d+/);
  });

  it('refuses deeply nested groups without exhausting the stack', () => {
    const deep = new Uint8Array(200_000).fill(0x2b); // start-group of unknown field 5, forever
    expect(ingestError(() => decodeWriteRequest(deep)).message).toMatch(/nested too deeply/);
  });

  it('refuses invalid UTF-8 in labels', () => {
    const raw = Buffer.from(encode([{ labels: { __name__: 'x', a: 'AAAA' }, samples: [[1, 1]] }]));
    const at = raw.indexOf('AAAA');
    raw[at + 1] = 0xc3; // a lead byte followed by "A" is not UTF-8
    raw[at + 2] = 0x28;
    const e = ingestError(() => decodeRemoteWrite(compress(raw)));
    expect([e.status, e.reason]).toEqual([400, 'invalid_utf8']);
    const long = Buffer.from(encode([{ labels: { __name__: 'x', a: 'B'.repeat(40) } }]));
    long[long.indexOf('BBBB') + 30] = 0xff;
    expect(ingestError(() => decodeWriteRequest(long)).reason).toBe('invalid_utf8');
  });

  it('refuses duplicate label names, naming the series', () => {
    const e = ingestError(() => decodeRemoteWrite(compress(encode([{ labels: [['__name__', 'x'], ['job', 'a'], ['job', 'b']], samples: [[1, 1]] }]))));
    expect(e.reason).toBe('duplicate_label_name');
    expect(e.message).toContain('"job"');
    expect(e.message).toContain('x{');
    // Even when one of the two values is empty, and in unsorted order.
    const e2 = ingestError(() => decodeRemoteWrite(compress(encode([{ labels: [['job', ''], ['__name__', 'x'], ['job', 'b']], samples: [[1, 1]] }]))));
    expect(e2.reason).toBe('duplicate_label_name');
  });

  it('refuses garbage and bad snappy with 400, and bombs with 413 before decompressing', () => {
    expect(ingestError(() => decodeRemoteWrite(Buffer.alloc(0))).reason).toBe('bad_snappy');
    expect(ingestError(() => decodeRemoteWrite(Buffer.from('not snappy at all, just text'))).status).toBe(400);
    const snappy = compress(valid);
    expect(ingestError(() => decodeRemoteWrite(snappy.subarray(0, snappy.length - 3))).reason).toBe('bad_snappy');
    expect(ingestError(() => decodeRemoteWrite(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]))).reason).toBe('bad_snappy');
    // A 6-byte body declaring 4 GiB - 1: refused by its preamble alone.
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const e = ingestError(() => decodeRemoteWrite(bomb, { maxDecodedBytes: 1 << 20 }));
    expect([e.status, e.reason]).toEqual([413, 'too_large']);
    const real = compress(Buffer.alloc(2 << 20));
    expect(ingestError(() => decodeRemoteWrite(real, { maxDecodedBytes: 1 << 20 })).status).toBe(413);
    expect(decompressSnappy(real, 2 << 20).length).toBe(2 << 20);
  });

  it('survives random mutations: decodes or throws IngestError, quickly', () => {
    // Deterministic xorshift so a failure reproduces.
    let seed = 0x9e3779b9;
    const rnd = (n: number) => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % n;
    };
    const bigger = encode(Array.from({ length: 20 }, (_, i) => ({
      labels: { __name__: `m${i}`, job: 'j', i: String(i), u: i % 3 ? 'ü' : 'x' }, samples: [[i, 1_700_000_000_000 + i], [-i, -i]] as [number, number][], exemplars: i % 5 === 0 ? 1 : 0,
    })), [{ type: 2, metric_family_name: 'm0', help: 'h' }]);
    const seeds = [valid, bigger];
    const start = performance.now();
    let ok = 0;
    let refused = 0;
    for (let iter = 0; iter < 4000; iter++) {
      const src = seeds[iter & 1];
      const buf = Buffer.from(src);
      const edits = 1 + rnd(4);
      for (let k = 0; k < edits; k++) {
        const op = rnd(3);
        const at = rnd(buf.length);
        if (op === 0) buf[at] = rnd(256);
        else if (op === 1) buf[at] ^= 1 << rnd(8);
        else buf[at] = [0x00, 0x7f, 0x80, 0xff][rnd(4)];
      }
      const input = rnd(4) === 0 ? buf.subarray(0, rnd(buf.length)) : buf;
      try {
        const r = decodeWriteRequest(input);
        expect(r.batch.offsets[r.batch.series.length]).toBe(r.batch.timestamps.length);
        ok++;
      } catch (e) {
        if (!(e instanceof IngestError)) throw e;
        refused++;
      }
      // Through snappy too, with a mutated compressed body.
      if (iter % 8 === 0) {
        const c = Buffer.from(compress(src));
        c[rnd(c.length)] = rnd(256);
        try {
          decodeRemoteWrite(c, { maxDecodedBytes: 1 << 16 });
        } catch (e) {
          if (!(e instanceof IngestError)) throw e;
        }
      }
    }
    expect(ok).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
    expect(performance.now() - start).toBeLessThan(3000);
  });
});

describe('checkRemoteWriteHeaders', () => {
  it('accepts remote write 1.0 and absent headers', () => {
    expect(() => checkRemoteWriteHeaders('application/x-protobuf', 'snappy')).not.toThrow();
    expect(() => checkRemoteWriteHeaders('application/x-protobuf;proto=prometheus.WriteRequest', 'snappy')).not.toThrow();
    expect(() => checkRemoteWriteHeaders(undefined, undefined)).not.toThrow();
  });
  it('refuses remote write 2.0, other media types and encodings with 415', () => {
    expect(ingestError(() => checkRemoteWriteHeaders('application/x-protobuf;proto=io.prometheus.write.v2.Request', 'snappy')).status).toBe(415);
    expect(ingestError(() => checkRemoteWriteHeaders('application/json', 'snappy')).reason).toBe('unsupported_media_type');
    expect(ingestError(() => checkRemoteWriteHeaders('application/x-protobuf', 'gzip')).reason).toBe('unsupported_encoding');
  });
});
