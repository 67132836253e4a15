// Remote read's wire encoding checked against the test's own decoder (test/helpers/remoteread.ts:
// protobufjs, a bit-by-bit CRC32-Castagnoli, a BigInt XOR-chunk reader), which the compat test
// also runs on real Prometheus responses.
import { EventEmitter } from 'node:events';
import type { IncomingMessage } from 'node:http';
import snappy from 'snappy';
import { describe, expect, it } from 'vitest';
import { IngestError } from '../src/ingest/index.ts';
import { labelsFromRecord, STALE_NAN } from '../src/model/index.ts';
import { concurrencyGate, queryMatchers, withExternal } from '../src/api/remoteread/handler.ts';
import {
  chunkSize, crc32c, decodeReadRequest, encodeChunkedReadResponse, encodeQueryResult, encodeReadResponse, frame, labelSize,
  negotiateResponseType, splitIntoFrames, type EncodedChunk,
} from '../src/api/remoteread/proto.ts';
import { encodeSeriesChunks, encodeXorChunk, SAMPLES_PER_CHUNK } from '../src/api/remoteread/xorchunk.ts';
import {
  crc32cBitwise, decodeFrame, decodeReadResponse, decodeStreamed, decodeXorChunk, encodeReadRequestRaw, EQ, NEQ, NRE, RE, splitFrames, valueBits,
} from './helpers/remoteread.ts';
import { mulberry32 } from './helpers/random.ts';

/** Values into a Float64Array, the staleness marker's bits set directly (V8 quiets it in a JS array). */
function values(vs: number[], staleAt: number[] = []): Float64Array {
  const out = Float64Array.from(vs);
  const dv = new DataView(out.buffer);
  for (const i of staleAt) dv.setBigUint64(i * 8, 0x7ff0000000000002n, true);
  return out;
}

function roundTrip(ts: number[], vs: number[]): void {
  const t = Float64Array.from(ts);
  const v = new Float64Array(vs.length);
  for (let i = 0; i < vs.length; i++) v[i] = vs[i];
  const chunk = encodeXorChunk(t, v, 0, t.length);
  expect(decodeXorChunk(chunk)).toEqual(ts.map((x, i) => [x, valueBits(v[i])]));
}

describe('XOR chunks in Prometheus\' layout', () => {
  it('round-trips special values bit for bit (the staleness marker, NaN, ±Inf, -0, subnormals)', () => {
    const vs = [0, -0, STALE_NAN, NaN, Infinity, -Infinity, 5e-324, -5e-324, 1.7976931348623157e308, 1, 1, 1, -1, 0.1, 0.2, 0.30000000000000004, 2 ** 53, -(2 ** 31)];
    roundTrip(vs.map((_, i) => 1_700_000_000_000 + i * 15_000), vs);
    // The marker keeps its exact bits (a quiet NaN would be an ordinary NaN to Prometheus).
    const v = values([1, 0], [1]);
    expect(decodeXorChunk(encodeXorChunk(Float64Array.from([10, 20]), v, 0, 2))[1][1]).toBe('7ff0000000000002');
  });

  it('writes every delta-of-delta bucket, at its edges too', () => {
    const dods = [0, 1, -1, 8191, -8191, 8192, -8192, 8193, 65535, -65535, 65536, -65536, 65537, 524287, -524287, 524288, -524288, 524289, 2 ** 40, -(2 ** 39)];
    const ts = [1_000_000_000_000, 1_000_000_000_000 + 3_000_000_000];
    let delta = 3_000_000_000;
    for (const d of dods) {
      delta += d;
      ts.push(ts[ts.length - 1] + delta);
    }
    roundTrip(ts, ts.map((_, i) => i));
  });

  it('encodes the first timestamp as a zig-zag varint: negative, zero, and beyond 2^52', () => {
    roundTrip([-5_000, -4_000, 0, 1], [1, 2, 3, 4]);
    roundTrip([0, 1, 2], [1, 2, 3]);
    roundTrip([-(2 ** 53) + 1, -(2 ** 53) + 2], [1, 2]);
    roundTrip([2 ** 52 + 2, 2 ** 52 + 3, 2 ** 53 - 1], [1, 2, 3]);
  });

  it('round-trips random walks, values reusing and moving the XOR window', () => {
    const rnd = mulberry32(7);
    for (let run = 0; run < 50; run++) {
      const n = 1 + Math.floor(rnd() * 200);
      const ts: number[] = [];
      const vs: number[] = [];
      let t = Math.floor(rnd() * 2 ** 41);
      let v = rnd() * 1000;
      for (let i = 0; i < n; i++) {
        t += 1 + Math.floor(rnd() < 0.8 ? 15_000 : rnd() * 10_000_000);
        v = rnd() < 0.3 ? v : rnd() < 0.5 ? v + Math.floor(rnd() * 10) : rnd() * 10 ** Math.floor(rnd() * 20 - 10);
        ts.push(t);
        vs.push(v);
      }
      roundTrip(ts, vs);
    }
  });

  it('cuts a series into chunks of 120 samples, each with its time range', () => {
    const n = 2 * SAMPLES_PER_CHUNK + 7;
    const ts = Float64Array.from({ length: n }, (_, i) => 1000 + i * 10);
    const vs = Float64Array.from({ length: n }, (_, i) => i / 3);
    const chunks = encodeSeriesChunks(ts, vs);
    expect(chunks.map((c) => [c.minTimeMs, c.maxTimeMs])).toEqual([[1000, 2190], [2200, 3390], [3400, 3460]]);
    expect(chunks.flatMap((c) => decodeXorChunk(c.data))).toEqual([...ts].map((t, i) => [t, valueBits(vs[i])]));
    expect(encodeSeriesChunks(new Float64Array(0), new Float64Array(0))).toEqual([]);
  });
});

describe('streamed frames', () => {
  it('checksums with CRC32-Castagnoli', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283);
    const rnd = mulberry32(3);
    for (let i = 0; i < 20; i++) {
      const data = Uint8Array.from({ length: Math.floor(rnd() * 3000) }, () => Math.floor(rnd() * 256));
      expect(crc32c(data)).toBe(crc32cBitwise(data));
    }
  });

  it('frames a ChunkedReadResponse with its length and checksum; the reference reader decodes it', () => {
    const labels: [string, string][] = [['__name__', 'up'], ['job', 'a"b']];
    const ts = Float64Array.from([1, 2, 5, 9]);
    const vs = Float64Array.from([1, 1, 0, -2]);
    const body = Buffer.concat([frame(encodeChunkedReadResponse(labels, encodeSeriesChunks(ts, vs), 0)), frame(encodeChunkedReadResponse(labels, [], 3))]);
    const frames = splitFrames(body).map(decodeFrame);
    expect(frames).toHaveLength(2);
    expect(frames[0].queryIndex).toBe(0);
    expect(frames[1].queryIndex).toBe(3);
    expect(frames[0].series[0].labelNames).toEqual(['__name__', 'job']);
    expect(frames[0].series[0].chunks.map((c) => [c.minTime, c.maxTime, c.type])).toEqual([[1, 9, 1]]);
    const corrupt = Buffer.from(body);
    corrupt[10] ^= 1;
    expect(() => splitFrames(corrupt)).toThrow(/checksum/);
  });

  it('splits a series over frames as Prometheus does: a chunk is added while the budget is not used up', () => {
    const labels: [string, string][] = [['__name__', 'x'], ['job', 'j']];
    const n = 10 * SAMPLES_PER_CHUNK;
    const ts = Float64Array.from({ length: n }, (_, i) => 1_700_000_000_000 + i * 15_000);
    const vs = Float64Array.from({ length: n }, (_, i) => Math.sin(i));
    const chunks = encodeSeriesChunks(ts, vs);
    const size = chunkSize(chunks[0]);
    const budget = labels.reduce((s, [a, b]) => s + labelSize(a, b), 0);
    // Room for two and a bit chunks: each frame takes three (the third overshoots), the last the rest.
    const frames = splitIntoFrames(labels, chunks, budget + 2 * size + 1);
    expect(frames.map((f) => f.length)).toEqual([3, 3, 3, 1]);
    // A budget the labels alone use up: one chunk per frame.
    expect(splitIntoFrames(labels, chunks, budget).every((f) => f.length === 1)).toBe(true);
    expect(splitIntoFrames(labels, chunks, 1 << 20)).toEqual([chunks]);
    // On the wire each frame repeats the labels; the reader joins the series again.
    const body = Buffer.concat(frames.map((f) => frame(encodeChunkedReadResponse(labels, f, 1))));
    const series = decodeStreamed(body);
    expect(series).toHaveLength(1);
    expect(series[0].samples).toEqual([...ts].map((t, i) => [t, valueBits(vs[i])]));
  });

  it('counts sizes as gogo/protobuf does', () => {
    expect(labelSize('job', 'api')).toBe(10);
    expect(labelSize('', '')).toBe(0);
    const c: EncodedChunk = { minTimeMs: 1_700_000_000_000, maxTimeMs: 1_700_000_015_000, data: new Uint8Array(200) };
    // 1+6 (min) + 1+6 (max) + 2 (type) + 1+2+200 (data)
    expect(chunkSize(c)).toBe(219);
    expect(chunkSize({ minTimeMs: -1, maxTimeMs: 0, data: new Uint8Array(0) })).toBe(1 + 10 + 2);
  });
});

describe('ReadRequest and ReadResponse', () => {
  it('decodes queries with all four matcher types and the hints\' range and func; accepted types packed or not', () => {
    for (const packed of [true, false]) {
      const raw = encodeReadRequestRaw([
        { start: 1000, end: 2000, matchers: [[EQ, '__name__', 'up'], [NEQ, 'job', ''], [RE, 'i', 'a|b'], [NRE, 'x', '.*y']], hints: { stepMs: 15000, func: 'rate', startMs: 1, endMs: 2, rangeMs: 300000 } },
        { start: -5, end: 0, matchers: [] },
      ], [1, 0], packed);
      expect(decodeReadRequest(raw)).toEqual({
        queries: [
          {
            startMs: 1000, endMs: 2000, matchers: [{ type: '=', name: '__name__', value: 'up' }, { type: '!=', name: 'job', value: '' }, { type: '=~', name: 'i', value: 'a|b' }, { type: '!~', name: 'x', value: '.*y' }],
            hints: { startMs: 1, endMs: 2, func: 'rate' },
          },
          { startMs: -5, endMs: 0, matchers: [] },
        ],
        acceptedResponseTypes: [1, 0],
      });
    }
  });

  it('refuses malformed requests with a 400 that says where', () => {
    const raw = encodeReadRequestRaw([{ start: 1, end: 2, matchers: [[EQ, 'a', 'b']] }]);
    const err = (() => { try { decodeReadRequest(raw.subarray(0, raw.length - 2)); } catch (e) { return e; } })() as IngestError;
    expect(err).toBeInstanceOf(IngestError);
    expect(err.status).toBe(400);
    expect(err.message).toMatch(/^malformed remote read request: .* at byte \d+/);
    expect(() => decodeReadRequest(encodeReadRequestRaw([{ start: 1, end: 2, matchers: [[9, 'a', 'b']] }]))).toThrow(/invalid matcher type 9 for label "a"/);
  });

  it('negotiates the response type as Prometheus: the first supported, SAMPLES when none is listed', () => {
    expect(negotiateResponseType([])).toEqual({ type: 0 });
    expect(negotiateResponseType([5, 1, 0])).toEqual({ type: 1 });
    expect(negotiateResponseType([0, 1])).toEqual({ type: 0 });
    expect(negotiateResponseType([5, 7])).toEqual({ error: 'server does not support any of the requested response types: [5 7]; supported: map[SAMPLES:{} STREAMED_XOR_CHUNKS:{}]' });
  });

  it('encodes SAMPLES results the reference decoder reads, one result per query even when empty', () => {
    const q1 = encodeQueryResult([
      { labels: [['__name__', 'a'], ['job', 'x']], timestamps: Float64Array.from([0, 1, -1000, 1_700_000_000_000]), values: values([0, -0, 0, 2.5], [2]) },
    ]);
    const body = snappy.compressSync(Buffer.from(encodeReadResponse([q1, encodeQueryResult([])])));
    expect(decodeReadResponse(body)).toEqual([
      [{ labels: { __name__: 'a', job: 'x' }, samples: [[0, '0000000000000000'], [1, '0000000000000000'], [-1000, '7ff0000000000002'], [1_700_000_000_000, '4004000000000000']] }],
      [],
    ]);
  });
});

describe('external labels', () => {
  const external = Object.entries({ cluster: 'c1', region: 'eu' });

  it('are added to the labels a series lacks, in order; the series\' own win', () => {
    expect(withExternal(labelsFromRecord({ __name__: 'up', job: 'a' }), external)).toEqual([['__name__', 'up'], ['cluster', 'c1'], ['job', 'a'], ['region', 'eu']]);
    expect(withExternal(labelsFromRecord({ __name__: 'up', cluster: 'own', zone: 'z' }), external)).toEqual([['__name__', 'up'], ['cluster', 'own'], ['region', 'eu'], ['zone', 'z']]);
    expect(withExternal(labelsFromRecord({ A: '1' }), [])).toEqual([['A', '1']]);
  });

  it('an equality matcher on one with its value matches the series without it; other matchers stay', () => {
    const ms = queryMatchers({ startMs: 0, endMs: 1, matchers: [
      { type: '=', name: 'cluster', value: 'c1' }, { type: '=', name: 'region', value: 'us' }, { type: '!=', name: 'region', value: 'eu' }, { type: '=~', name: 'cluster', value: 'c1' },
    ] }, { cluster: 'c1', region: 'eu' });
    expect(ms.map((m) => [m.type, m.name, m.value])).toEqual([['=', 'cluster', ''], ['=', 'region', 'us'], ['!=', 'region', 'eu'], ['=~', 'cluster', 'c1']]);
    expect(() => queryMatchers({ startMs: 0, endMs: 1, matchers: [{ type: '=~', name: 'a', value: '(' }] }, {})).toThrow(/invalid matcher a=~"\(": .*missing closing \)/);
  });
});

describe('the concurrency gate (query.remote_read_concurrent_limit)', () => {
  const request = () => ({ socket: new EventEmitter() }) as unknown as IncomingMessage;
  const settle = () => new Promise((r) => setImmediate(r));

  it('lets `limit` requests in and the next ones in arrival order as others leave', async () => {
    const gate = concurrencyGate(2);
    const order: string[] = [];
    const enter = (name: string) => gate.enter(request()).then((ok) => { order.push(`${name}:${ok}`); });
    void enter('a');
    void enter('b');
    void enter('c');
    void enter('d');
    await settle();
    expect(order).toEqual(['a:true', 'b:true']);
    gate.leave();
    await settle();
    expect(order).toEqual(['a:true', 'b:true', 'c:true']);
    gate.leave();
    gate.leave();
    await settle();
    expect(order).toEqual(['a:true', 'b:true', 'c:true', 'd:true']);
  });

  it('drops a waiter whose client went away', async () => {
    const gate = concurrencyGate(1);
    expect(await gate.enter(request())).toBe(true);
    const gone = request();
    const waiting = gate.enter(gone);
    const next = gate.enter(request());
    gone.socket.emit('close');
    expect(await waiting).toBe(false);
    gate.leave();
    expect(await next).toBe(true);
  });

  it('0 is no limit', async () => {
    const gate = concurrencyGate(0);
    const all = await Promise.all(Array.from({ length: 50 }, () => gate.enter(request())));
    expect(all.every((ok) => ok)).toBe(true);
  });
});
