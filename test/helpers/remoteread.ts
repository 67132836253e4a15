// Remote read for tests, written independently of Strata's encoder: requests built with protobufjs,
// responses decoded with protobufjs, streamed frames checked with a bit-by-bit CRC32-Castagnoli and
// XOR chunks decoded with BigInt arithmetic from Prometheus' description of the format. The same
// decoder reads real Prometheus' responses, which keeps it honest.
import protobuf from 'protobufjs';
import snappy from 'snappy';

const PROTO = `
syntax = "proto3";
package prometheus;
message ReadRequest { repeated Query queries = 1; repeated int32 accepted_response_types = 2; }
message ReadRequestUnpacked { repeated Query queries = 1; repeated int32 accepted_response_types = 2 [packed = false]; }
message Query { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2; repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
message LabelMatcher { int32 type = 1; string name = 2; string value = 3; }
message ReadHints { int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4; repeated string grouping = 5; bool by = 6; int64 range_ms = 7; }
message ReadResponse { repeated QueryResult results = 1; }
message QueryResult { repeated TimeSeries timeseries = 1; }
message TimeSeries { repeated Label labels = 1; repeated Sample samples = 2; }
message Label { string name = 1; string value = 2; }
message Sample { double value = 1; int64 timestamp = 2; }
message ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }
message ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }
message Chunk { int64 min_time_ms = 1; int64 max_time_ms = 2; int32 type = 3; bytes data = 4; }
`;

const root = protobuf.parse(PROTO).root;
const ReadRequestMsg = root.lookupType('prometheus.ReadRequest');
const ReadRequestUnpackedMsg = root.lookupType('prometheus.ReadRequestUnpacked');
const ReadResponseMsg = root.lookupType('prometheus.ReadResponse');
const ChunkedReadResponseMsg = root.lookupType('prometheus.ChunkedReadResponse');

export const SAMPLES = 0;
export const STREAMED_XOR_CHUNKS = 1;
export const EQ = 0;
export const NEQ = 1;
export const RE = 2;
export const NRE = 3;

export interface TestQuery {
  start: number;
  end: number;
  matchers: [type: number, name: string, value: string][];
  hints?: { stepMs?: number; func?: string; startMs?: number; endMs?: number; rangeMs?: number };
}

export function encodeReadRequestRaw(queries: TestQuery[], accepted: number[] = [], packed = true): Uint8Array {
  const type = packed ? ReadRequestMsg : ReadRequestUnpackedMsg;
  return type.encode(type.fromObject({
    queries: queries.map((q) => ({
      startTimestampMs: q.start,
      endTimestampMs: q.end,
      matchers: q.matchers.map(([t, name, value]) => ({ type: t, name, value })),
      hints: q.hints,
    })),
    acceptedResponseTypes: accepted,
  })).finish();
}

export function encodeReadRequest(queries: TestQuery[], accepted: number[] = [], packed = true): Buffer {
  return snappy.compressSync(Buffer.from(encodeReadRequestRaw(queries, accepted, packed)));
}

export async function postRead(baseUrl: string, body: Uint8Array): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const r = await fetch(`${baseUrl}/api/v1/read`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Read-Version': '0.1.0' },
    body,
  });
  return { status: r.status, headers: r.headers, body: Buffer.from(await r.arrayBuffer()) };
}

export interface DecodedSeries {
  labels: Record<string, string>;
  /** [timestamp ms, value bits as hex] so NaN payloads compare exactly. */
  samples: [number, string][];
}

const bitsBuf = new DataView(new ArrayBuffer(8));
export function valueBits(v: number): string {
  bitsBuf.setFloat64(0, v);
  return bitsBuf.getBigUint64(0).toString(16).padStart(16, '0');
}

function labelRecord(ls: { name?: string; value?: string }[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of ls) out[l.name ?? ''] = l.value ?? '';
  return out;
}

/** The label names in wire order, to check their sorting. */
export function labelNames(ls: { name?: string }[]): string[] {
  return ls.map((l) => l.name ?? '');
}

function long(v: unknown): number {
  return v === undefined || v === null ? 0 : Number(v);
}

/** A SAMPLES response body (snappy) decoded: per query, its series. */
export function decodeReadResponse(body: Uint8Array): DecodedSeries[][] {
  const raw = snappy.uncompressSync(Buffer.from(body)) as Buffer;
  const msg = ReadResponseMsg.toObject(ReadResponseMsg.decode(raw), { longs: String, defaults: true }) as {
    results: { timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: string }[] }[] }[];
  };
  // protobufjs reads doubles through a Float64Array, keeping NaN payloads.
  return msg.results.map((r) => r.timeseries.map((ts) => ({
    labels: labelRecord(ts.labels),
    samples: ts.samples.map((s) => [long(s.timestamp), valueBits(s.value)] as [number, string]),
  })));
}

// ---- streamed responses ---------------------------------------------------------------------------

/** CRC32-Castagnoli, one bit at a time (reflected polynomial 0x82F63B78). */
export function crc32cBitwise(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0x82f63b78 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

/** Splits a streamed body into its frames' messages, checking each frame's checksum. */
export function splitFrames(body: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  let p = 0;
  while (p < body.length) {
    let len = 0;
    let shift = 0;
    for (;;) {
      const b = body[p++];
      if (b === undefined) throw new Error('truncated frame length');
      len += (b & 0x7f) * 2 ** shift;
      shift += 7;
      if (b < 0x80) break;
    }
    if (p + 4 + len > body.length) throw new Error(`frame of ${len} bytes past the end`);
    const crc = ((body[p] << 24) | (body[p + 1] << 16) | (body[p + 2] << 8) | body[p + 3]) >>> 0;
    p += 4;
    const msg = body.subarray(p, p + len);
    p += len;
    const want = crc32cBitwise(msg);
    if (crc !== want) throw new Error(`frame checksum ${crc.toString(16)} != ${want.toString(16)}`);
    out.push(msg);
  }
  return out;
}

export interface DecodedFrame {
  queryIndex: number;
  series: { labelNames: string[]; labels: Record<string, string>; chunks: { minTime: number; maxTime: number; type: number; data: Uint8Array }[] }[];
}

export function decodeFrame(msg: Uint8Array): DecodedFrame {
  const o = ChunkedReadResponseMsg.toObject(ChunkedReadResponseMsg.decode(msg), { longs: String, defaults: true, bytes: Array }) as {
    queryIndex: string;
    chunkedSeries: { labels: { name: string; value: string }[]; chunks: { minTimeMs: string; maxTimeMs: string; type: number; data: number[] }[] }[];
  };
  return {
    queryIndex: long(o.queryIndex),
    series: o.chunkedSeries.map((s) => ({
      labelNames: labelNames(s.labels),
      labels: labelRecord(s.labels),
      chunks: s.chunks.map((c) => ({ minTime: long(c.minTimeMs), maxTime: long(c.maxTimeMs), type: c.type, data: Uint8Array.from(c.data) })),
    })),
  };
}

class BitReader {
  private readonly buf: Uint8Array;
  pos = 0;
  constructor(buf: Uint8Array, bytePos: number) {
    this.buf = buf;
    this.pos = bytePos * 8;
  }
  bit(): bigint {
    const byte = this.buf[this.pos >> 3];
    if (byte === undefined) throw new Error('XOR chunk: read past the end');
    const b = (byte >> (7 - (this.pos & 7))) & 1;
    this.pos++;
    return BigInt(b);
  }
  bits(n: number): bigint {
    let v = 0n;
    for (let i = 0; i < n; i++) v = (v << 1n) | this.bit();
    return v;
  }
  uvarint(): bigint {
    let v = 0n;
    let shift = 0n;
    for (;;) {
      const b = this.bits(8);
      v |= (b & 0x7fn) << shift;
      shift += 7n;
      if (b < 0x80n) return v;
    }
  }
}

function signed(v: bigint, bits: number): bigint {
  // Prometheus' reading: values above 2^(bits-1) are negative.
  return v > 1n << BigInt(bits - 1) ? v - (1n << BigInt(bits)) : v;
}

/** Decodes a Prometheus XOR chunk into [timestamp, value bits hex] pairs. */
export function decodeXorChunk(data: Uint8Array): [number, string][] {
  const n = (data[0] << 8) | data[1];
  const out: [number, string][] = [];
  if (n === 0) return out;
  const r = new BitReader(data, 2);
  const z = r.uvarint();
  let t = (z >> 1n) ^ -(z & 1n);
  let v = r.bits(64);
  out.push([Number(t), v.toString(16).padStart(16, '0')]);
  let delta = 0n;
  let leading = 0n;
  let trailing = 0n;
  for (let k = 1; k < n; k++) {
    if (k === 1) delta = r.uvarint();
    else {
      let prefix = 0;
      while (prefix < 4 && r.bit() === 1n) prefix++;
      let dod = 0n;
      if (prefix === 1) dod = signed(r.bits(14), 14);
      else if (prefix === 2) dod = signed(r.bits(17), 17);
      else if (prefix === 3) dod = signed(r.bits(20), 20);
      else if (prefix === 4) dod = BigInt.asIntN(64, r.bits(64));
      delta += dod;
    }
    t += delta;
    if (r.bit() === 1n) {
      if (r.bit() === 1n) {
        leading = r.bits(5);
        let sig = r.bits(6);
        if (sig === 0n) sig = 64n;
        trailing = 64n - leading - sig;
      }
      const sig = 64n - leading - trailing;
      v ^= r.bits(Number(sig)) << trailing;
    }
    out.push([Number(t), v.toString(16).padStart(16, '0')]);
  }
  return out;
}

/** A streamed body decoded: per query index, its series in order with all their samples. */
export function decodeStreamed(body: Uint8Array): { queryIndex: number; labelNames: string[]; labels: Record<string, string>; samples: [number, string][] }[] {
  const out: { queryIndex: number; labelNames: string[]; labels: Record<string, string>; samples: [number, string][] }[] = [];
  for (const msg of splitFrames(body)) {
    const f = decodeFrame(msg);
    for (const s of f.series) {
      const samples = s.chunks.flatMap((c) => {
        if (c.type !== 1) throw new Error(`chunk type ${c.type}, expected XOR (1)`);
        const ss = decodeXorChunk(c.data);
        if (ss.length > 0 && (ss[0][0] !== c.minTime || ss[ss.length - 1][0] !== c.maxTime)) {
          throw new Error(`chunk says [${c.minTime}, ${c.maxTime}], holds [${ss[0][0]}, ${ss[ss.length - 1][0]}]`);
        }
        return ss;
      });
      const last = out[out.length - 1];
      // A series split over frames continues in the next one.
      if (last !== undefined && last.queryIndex === f.queryIndex && JSON.stringify(last.labels) === JSON.stringify(s.labels)) last.samples.push(...samples);
      else out.push({ queryIndex: f.queryIndex, labelNames: s.labelNames, labels: s.labels, samples });
    }
  }
  return out;
}
