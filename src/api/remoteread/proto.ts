// Remote read's messages (Prometheus' prompb, remote.proto and types.proto), decoded and encoded by
// hand with the ingest's protobuf reader and writer:
//
//   ReadRequest   { repeated Query queries = 1; repeated ResponseType accepted_response_types = 2; }
//   Query         { int64 start_timestamp_ms = 1; int64 end_timestamp_ms = 2;
//                   repeated LabelMatcher matchers = 3; ReadHints hints = 4; }
//   LabelMatcher  { Type type = 1 (EQ, NEQ, RE, NRE); string name = 2; string value = 3; }
//   ReadResponse  { repeated QueryResult results = 1; }           (SAMPLES)
//   QueryResult   { repeated TimeSeries timeseries = 1; }
//   TimeSeries    { repeated Label labels = 1; repeated Sample samples = 2; }
//   ChunkedReadResponse { repeated ChunkedSeries chunked_series = 1; int64 query_index = 2; }
//   ChunkedSeries { repeated Label labels = 1; repeated Chunk chunks = 2; }
//   Chunk         { int64 min_time_ms = 1; int64 max_time_ms = 2; Encoding type = 3; bytes data = 4; }
//
//   ReadHints     { int64 step_ms = 1; string func = 2; int64 start_ms = 3; int64 end_ms = 4; ... }
//
// Of the hints, start_ms, end_ms and func are kept: Prometheus' storage reads [start_ms, end_ms]
// instead of the query's range when hints are sent, and a "series" func returns no samples (see
// the handler). Responses are written as gogo/protobuf marshals them (proto3
// defaults omitted), so a SAMPLES body is byte for byte what Prometheus sends for the same series.
import { IngestError, ProtoReader, ProtoWriter, uvarintSize, WIRE_LEN, WIRE_VARINT } from '../../ingest/index.ts';
import type { MatchType } from '../../model/index.ts';

export const RESPONSE_SAMPLES = 0;
export const RESPONSE_STREAMED_XOR_CHUNKS = 1;
const RESPONSE_TYPE_NAMES = ['SAMPLES', 'STREAMED_XOR_CHUNKS'];

export const CHUNK_XOR = 1;

export interface ReadQuery {
  startMs: number;
  endMs: number;
  matchers: { type: MatchType; name: string; value: string }[];
  /** Present when the query carried a ReadHints message (even an empty one). */
  hints?: { startMs: number; endMs: number; func: string };
}

export interface ReadRequest {
  queries: ReadQuery[];
  acceptedResponseTypes: number[];
}

const MATCH_TYPES: MatchType[] = ['=', '!=', '=~', '!~'];

/** Decodes an uncompressed ReadRequest. Malformed bytes: IngestError(400). */
export function decodeReadRequest(buf: Uint8Array): ReadRequest {
  const r = new ProtoReader(buf, 'ReadRequest');
  r.payload = 'remote read request';
  const out: ReadRequest = { queries: [], acceptedResponseTypes: [] };
  while (r.pos < r.end) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_LEN)) out.queries.push(readQuery(r, r.lengthEnd()));
    else if (key === ((2 << 3) | WIRE_VARINT)) out.acceptedResponseTypes.push(r.uvarint());
    else if (key === ((2 << 3) | WIRE_LEN)) {
      // Packed, as proto3 writes repeated enums.
      const end = r.lengthEnd();
      const parentEnd = r.end;
      r.end = end;
      while (r.pos < end) out.acceptedResponseTypes.push(r.uvarint());
      r.end = parentEnd;
    } else if (key >>> 3 === 1) r.wrongWire(key, 'ReadRequest.queries', WIRE_LEN);
    else r.skip(key);
  }
  return out;
}

function readQuery(r: ProtoReader, end: number): ReadQuery {
  const parentEnd = r.end;
  const parentMessage = r.message;
  r.end = end;
  r.message = 'Query';
  const q: ReadQuery = { startMs: 0, endMs: 0, matchers: [] };
  while (r.pos < end) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_VARINT)) q.startMs = r.int64();
    else if (key === ((2 << 3) | WIRE_VARINT)) q.endMs = r.int64();
    else if (key === ((3 << 3) | WIRE_LEN)) q.matchers.push(readMatcher(r, r.lengthEnd()));
    else if (key === ((4 << 3) | WIRE_LEN)) q.hints = readHints(r, r.lengthEnd());
    else if (key >>> 3 === 3) r.wrongWire(key, 'Query.matchers', WIRE_LEN);
    else r.skip(key);
  }
  r.end = parentEnd;
  r.message = parentMessage;
  return q;
}

function readHints(r: ProtoReader, end: number): NonNullable<ReadQuery['hints']> {
  const parentEnd = r.end;
  const parentMessage = r.message;
  r.end = end;
  r.message = 'ReadHints';
  const h = { startMs: 0, endMs: 0, func: '' };
  while (r.pos < end) {
    const key = r.key();
    if (key === ((2 << 3) | WIRE_LEN)) h.func = r.string();
    else if (key === ((3 << 3) | WIRE_VARINT)) h.startMs = r.int64();
    else if (key === ((4 << 3) | WIRE_VARINT)) h.endMs = r.int64();
    else r.skip(key);
  }
  r.end = parentEnd;
  r.message = parentMessage;
  return h;
}

function readMatcher(r: ProtoReader, end: number): ReadQuery['matchers'][number] {
  const parentEnd = r.end;
  const parentMessage = r.message;
  r.end = end;
  r.message = 'LabelMatcher';
  let type = 0;
  let name = '';
  let value = '';
  while (r.pos < end) {
    const key = r.key();
    if (key === ((1 << 3) | WIRE_VARINT)) type = r.uvarint();
    else if (key === ((2 << 3) | WIRE_LEN)) name = r.string();
    else if (key === ((3 << 3) | WIRE_LEN)) value = r.string();
    else r.skip(key);
  }
  r.end = parentEnd;
  r.message = parentMessage;
  const t = MATCH_TYPES[type];
  if (t === undefined) throw new IngestError(400, 'bad_matcher', `invalid matcher type ${type} for label ${JSON.stringify(name)} (expected 0 EQ, 1 NEQ, 2 RE or 3 NRE)`);
  return { type: t, name, value };
}

/**
 * The response type, as Prometheus' NegotiateResponseType: the first accepted one the server
 * supports; none listed means SAMPLES. Null when none is supported (the message is the error).
 */
export function negotiateResponseType(accepted: readonly number[]): { type: number } | { error: string } {
  const list = accepted.length === 0 ? [RESPONSE_SAMPLES] : accepted;
  for (const t of list) if (t === RESPONSE_SAMPLES || t === RESPONSE_STREAMED_XOR_CHUNKS) return { type: t };
  const names = list.map((t) => RESPONSE_TYPE_NAMES[t] ?? String(t));
  return { error: `server does not support any of the requested response types: [${names.join(' ')}]; supported: map[SAMPLES:{} STREAMED_XOR_CHUNKS:{}]` };
}

// ---- SAMPLES -------------------------------------------------------------------------------------

/** Labels as name, value pairs in order (external labels already merged in). */
export type LabelPairs = readonly (readonly [string, string])[];

export interface SeriesSamples {
  labels: LabelPairs;
  timestamps: Float64Array;
  values: Float64Array;
}

function writeLabel(w: ProtoWriter, inner: ProtoWriter, field: number, name: string, value: string): void {
  inner.reset();
  inner.stringField(1, name);
  inner.stringField(2, value);
  w.messageField(field, inner);
}

/** One QueryResult's bytes (a field 1 element of ReadResponse). */
export function encodeQueryResult(series: readonly SeriesSamples[]): Uint8Array {
  const result = new ProtoWriter(1024);
  const ts = new ProtoWriter(256);
  const inner = new ProtoWriter(64);
  for (const s of series) {
    ts.reset();
    for (const [n, v] of s.labels) writeLabel(ts, inner, 1, n, v);
    for (let i = 0; i < s.timestamps.length; i++) {
      inner.reset();
      inner.doubleField(1, s.values[i]);
      inner.int64Field(2, s.timestamps[i]);
      ts.messageField(2, inner);
    }
    result.messageField(1, ts);
  }
  return result.bytes().slice();
}

/** ReadResponse from its QueryResults' bytes, in the request's query order. */
export function encodeReadResponse(results: readonly Uint8Array[]): Uint8Array {
  const w = new ProtoWriter(results.reduce((n, r) => n + r.length + 6, 16));
  for (const r of results) w.bytesField(1, r);
  return w.bytes();
}

// ---- STREAMED_XOR_CHUNKS -------------------------------------------------------------------------

export interface EncodedChunk {
  minTimeMs: number;
  maxTimeMs: number;
  data: Uint8Array;
}

function int64Size(t: number): number {
  return t < 0 ? 10 : uvarintSize(t);
}

/** A Label's encoded size as gogo's Size() counts it (without its own key and length). */
export function labelSize(name: string, value: string): number {
  const n = Buffer.byteLength(name);
  const v = Buffer.byteLength(value);
  return (n > 0 ? 1 + uvarintSize(n) + n : 0) + (v > 0 ? 1 + uvarintSize(v) + v : 0);
}

/** A Chunk's encoded size as gogo's Size() counts it. */
export function chunkSize(c: EncodedChunk): number {
  const d = c.data.length;
  return (c.minTimeMs !== 0 ? 1 + int64Size(c.minTimeMs) : 0) + (c.maxTimeMs !== 0 ? 1 + int64Size(c.maxTimeMs) : 0)
    + 2 + (d > 0 ? 1 + uvarintSize(d) + d : 0);
}

/** One ChunkedReadResponse holding one series' labels and some of its chunks. */
export function encodeChunkedReadResponse(labels: LabelPairs, chunks: readonly EncodedChunk[], queryIndex: number): Uint8Array {
  const series = new ProtoWriter(1024);
  const inner = new ProtoWriter(64);
  for (const [n, v] of labels) writeLabel(series, inner, 1, n, v);
  for (const c of chunks) {
    const cw = new ProtoWriter(c.data.length + 32);
    cw.int64Field(1, c.minTimeMs);
    cw.int64Field(2, c.maxTimeMs);
    cw.key(3, 0);
    cw.uvarint(CHUNK_XOR);
    if (c.data.length > 0) cw.bytesField(4, c.data);
    series.messageField(2, cw);
  }
  const out = new ProtoWriter(series.length + 16);
  out.messageField(1, series);
  out.int64Field(2, queryIndex);
  return out.bytes();
}

/**
 * Splits a series' chunks into frames as Prometheus' StreamChunkedReadResponses does: chunks are
 * added to a frame until the frame's budget (max bytes in frame less the labels' size) is used up,
 * so a frame may exceed it by up to one chunk; every frame repeats the series' labels.
 */
export function splitIntoFrames(labels: LabelPairs, chunks: readonly EncodedChunk[], maxBytesInFrame: number): EncodedChunk[][] {
  let budget = maxBytesInFrame;
  for (const [n, v] of labels) budget -= labelSize(n, v);
  const frames: EncodedChunk[][] = [];
  let cur: EncodedChunk[] = [];
  let left = budget;
  for (let i = 0; i < chunks.length; i++) {
    cur.push(chunks[i]);
    left -= chunkSize(chunks[i]);
    if (left > 0 && i + 1 < chunks.length) continue;
    frames.push(cur);
    cur = [];
    left = budget;
  }
  return frames;
}

// A frame on the wire: uvarint length, CRC32-Castagnoli of the message (big-endian uint32), message.
const CASTAGNOLI = 0x82f63b78;
const crcTable = (() => {
  const t = new Uint32Array(256);
  for (let i = 0; i < 256; i++) {
    let c = i;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ CASTAGNOLI : c >>> 1;
    t[i] = c >>> 0;
  }
  return t;
})();

export function crc32c(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = crcTable[(c ^ data[i]) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

export function frame(message: Uint8Array): Buffer {
  const head = uvarintSize(message.length);
  const out = Buffer.allocUnsafe(head + 4 + message.length);
  let p = 0;
  let n = message.length;
  while (n >= 0x80) {
    out[p++] = (n & 0x7f) | 0x80;
    n >>>= 7;
  }
  out[p++] = n;
  const crc = crc32c(message);
  out[p++] = crc >>> 24;
  out[p++] = (crc >>> 16) & 0xff;
  out[p++] = (crc >>> 8) & 0xff;
  out[p++] = crc & 0xff;
  out.set(message, p);
  return out;
}
