// Prometheus remote write 2.0: `POST /api/v1/write` with Content-Type
// `application/x-protobuf;proto=io.prometheus.write.v2.Request`, snappy-compressed.
//
//   Request    { repeated string symbols = 4; repeated TimeSeries timeseries = 5; }
//   TimeSeries { repeated uint32 labels_refs = 1; repeated Sample samples = 2;
//                repeated Histogram histograms = 3; repeated Exemplar exemplars = 4;
//                Metadata metadata = 5; int64 created_timestamp = 6; }
//   Sample     { double value = 1; int64 timestamp = 2; }
//   Exemplar   { repeated uint32 labels_refs = 1; double value = 2; int64 timestamp = 3; }
//   Metadata   { MetricType type = 1; uint32 help_ref = 3; uint32 unit_ref = 4; }
//
// Strings are interned in `symbols` (symbols[0] must be ""), and series refer to them by index in
// name/value pairs. The decoder reads the symbols first (protobuf does not promise field order),
// then the series, into the same contents as the 1.0 decoder so both share the append path.
import { METRIC_NAME, labelsToString, type Labels } from '../model/index.ts';
import { BatchCollector } from './collect.ts';
import { IngestError } from './errors.ts';
import { labelsFromSortedPairs, sortLabelPairs } from './labelpairs.ts';
import { metricTypeFromProto, type MetricMetadata } from './metadata.ts';
import { ProtoReader, WIRE_LEN, WIRE_VARINT, readSample, skipMessage, type SampleOut } from './protobuf.ts';
import { SeriesTable } from './seriestable.ts';
import { DEFAULT_MAX_DECODED_BYTES, type RemoteWriteOptions, type WriteRequestContents } from './remotewrite.ts';
import { decompressSnappyTransient } from './snappy.ts';

export const RW2_PROTO = 'io.prometheus.write.v2.Request';
export const RW1_PROTO = 'prometheus.WriteRequest';

export type RemoteWriteVersion = '1.0' | '2.0';

/**
 * Content negotiation as the remote write 2.0 spec asks of a receiver: the media type must be
 * `application/x-protobuf`; its `proto` parameter names the message (absent means 1.0); any other
 * message or a non-snappy encoding is refused with 415 so that the sender can fall back.
 */
export function negotiateRemoteWrite(contentType: string | undefined, contentEncoding: string | undefined): RemoteWriteVersion {
  let version: RemoteWriteVersion = '1.0';
  if (contentType !== undefined && contentType.trim() !== '') {
    const parts = contentType.split(';');
    const media = parts[0].trim().toLowerCase();
    if (media !== 'application/x-protobuf') {
      throw new IngestError(415, 'unsupported_media_type', `unsupported Content-Type ${JSON.stringify(contentType)}; remote write expects application/x-protobuf (proto=${RW1_PROTO} or proto=${RW2_PROTO})`);
    }
    for (let i = 1; i < parts.length; i++) {
      const eq = parts[i].indexOf('=');
      if (eq < 0 || parts[i].slice(0, eq).trim().toLowerCase() !== 'proto') continue;
      const proto = parts[i].slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (proto === RW2_PROTO) version = '2.0';
      else if (proto !== RW1_PROTO) {
        throw new IngestError(415, 'unsupported_media_type', `unsupported remote write message ${JSON.stringify(proto)}; supported: ${RW1_PROTO} (1.0) and ${RW2_PROTO} (2.0)`);
      }
    }
  }
  if (contentEncoding !== undefined && contentEncoding.trim() !== '' && contentEncoding.trim().toLowerCase() !== 'snappy') {
    throw new IngestError(415, 'unsupported_encoding', `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}; remote write bodies must be snappy-compressed`);
  }
  return version;
}

/** Decompresses and decodes a remote write 2.0 request body. Throws IngestError. */
export function decodeRemoteWrite2(body: Uint8Array, opts: RemoteWriteOptions = {}): WriteRequestContents {
  // The decoders copy out everything they keep, so the decompressed bytes can be a reused buffer.
  const raw = decompressSnappyTransient(body, opts.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES);
  return decodeRequestV2(raw);
}

const KEY_REQ_SYMBOL = (4 << 3) | WIRE_LEN;
const KEY_REQ_SERIES = (5 << 3) | WIRE_LEN;
const KEY_TS_REFS_PACKED = (1 << 3) | WIRE_LEN;
const KEY_TS_REFS = (1 << 3) | WIRE_VARINT;
const KEY_TS_SAMPLE = (2 << 3) | WIRE_LEN;
const KEY_TS_HISTOGRAM = (3 << 3) | WIRE_LEN;
const KEY_TS_EXEMPLAR = (4 << 3) | WIRE_LEN;
const KEY_TS_METADATA = (5 << 3) | WIRE_LEN;
const KEY_TS_CREATED = (6 << 3) | WIRE_VARINT;
/** The sample being read (an object's fields keep NaN payloads, unlike a plain double array). */
const sample: SampleOut = { t: 0, v: 0 };
const KEY_META_TYPE = (1 << 3) | WIRE_VARINT;
const KEY_META_HELP = (3 << 3) | WIRE_VARINT;
const KEY_META_UNIT = (4 << 3) | WIRE_VARINT;

/** Decodes an uncompressed `io.prometheus.write.v2.Request`. Throws IngestError(400). */
export function decodeRequestV2(data: Uint8Array): WriteRequestContents {
  const r = new ProtoReader(data, 'Request');
  const symbols: string[] = [];
  symbolHashes.length = 0;
  const seriesStarts: number[] = [];
  while (r.pos < r.end) {
    const key = r.key();
    if (key === KEY_REQ_SYMBOL) {
      symbols.push(r.string());
      symbolHashes.push(r.stringHash);
    }
    else if (key === KEY_REQ_SERIES) {
      const end = r.lengthEnd();
      seriesStarts.push(r.pos, end);
      r.pos = end;
    } else if (key >>> 3 === 4) r.wrongWire(key, 'Request.symbols', WIRE_LEN);
    else if (key >>> 3 === 5) r.wrongWire(key, 'Request.timeseries', WIRE_LEN);
    else r.skip(key);
  }
  if (seriesStarts.length > 0 && (symbols.length === 0 || symbols[0] !== '')) {
    throw new IngestError(400, 'bad_protobuf', 'malformed remote write 2.0 request: the symbols table must start with the empty string');
  }

  const out = new BatchCollector(seriesTable);
  const metadata: MetricMetadata[] = [];
  const seenFamilies = new Set<string>();
  const st: SeriesState = {
    hash: 0, pairs: [], refs: [], sampleTs: new Float64Array(16), sampleVs: new Float64Array(16), sampleN: 0,
    histograms: 0, exemplars: 0, meta: null,
  };
  let histograms = 0;
  let exemplars = 0;
  let histogramSeries: Labels | null = null;
  for (let i = 0; i < seriesStarts.length; i += 2) {
    r.pos = seriesStarts[i];
    decodeSeries(r, seriesStarts[i + 1], symbols, st);
    const ls = finishLabels(st.pairs);
    if (st.histograms > 0) {
      histograms += st.histograms;
      if (histogramSeries === null) histogramSeries = ls;
    }
    exemplars += st.exemplars;
    if (st.meta !== null) {
      const family = metricFamily(ls);
      if (family !== '' && !seenFamilies.has(family)) {
        seenFamilies.add(family);
        metadata.push({ family, ...st.meta });
      }
    }
    if (st.sampleN === 0) continue;
    const idx = out.seriesIndexHashed(st.hash, ls);
    for (let j = 0; j < st.sampleN; j++) out.addTo(idx, st.sampleTs[j], st.sampleVs[j]);
  }
  return { batch: out.build(), metadata, histograms, histogramSeries, exemplars };
}

// Reused across requests (decoding is synchronous): the symbols' byte hashes, and the table that
// finds a series sent twice by an order-independent hash of its labels' strings (so two refs to
// equal strings hash alike), confirmed by comparing the labels.
const symbolHashes: number[] = [];
const seriesTable = new SeriesTable();

interface SeriesState {
  /** 53-bit hash of the series' labels (empty values excluded, as they are dropped). */
  hash: number;
  /** Label name/value strings resolved from the refs, in the sender's order. */
  pairs: string[];
  refs: number[];
  /**
   * The series' samples. Typed arrays, not a number[]: V8 quiets a signalling NaN stored in a plain
   * double array, which would turn the staleness marker into an ordinary NaN.
   */
  sampleTs: Float64Array;
  sampleVs: Float64Array;
  sampleN: number;
  histograms: number;
  exemplars: number;
  meta: Omit<MetricMetadata, 'family'> | null;
}

function decodeSeries(r: ProtoReader, end: number, symbols: string[], st: SeriesState): void {
  r.end = end;
  r.message = 'TimeSeries';
  st.refs.length = 0;
  st.sampleN = 0;
  st.histograms = 0;
  st.exemplars = 0;
  st.meta = null;
  while (r.pos < end) {
    const key = r.key();
    switch (key) {
      case KEY_TS_REFS_PACKED: {
        const e = r.lengthEnd();
        r.end = e;
        const buf = r.buf;
        while (r.pos < e) {
          // Refs are small: one byte each below 128 symbols, two below 16384.
          const b = buf[r.pos];
          if (b < 0x80) {
            st.refs.push(b);
            r.pos++;
          } else st.refs.push(r.uvarint());
        }
        r.end = end;
        break;
      }
      case KEY_TS_REFS:
        st.refs.push(r.uvarint());
        break;
      case KEY_TS_SAMPLE:
        readSample(r, r.lengthEnd(), sample);
        addSample(st, sample.t, sample.v);
        break;
      case KEY_TS_HISTOGRAM:
        st.histograms++;
        skipMessage(r, r.lengthEnd(), 'Histogram');
        break;
      case KEY_TS_EXEMPLAR:
        st.exemplars++;
        skipMessage(r, r.lengthEnd(), 'Exemplar');
        break;
      case KEY_TS_METADATA:
        st.meta = decodeMetadata(r, r.lengthEnd(), symbols);
        break;
      case KEY_TS_CREATED:
        // The created timestamp says when a counter started; it is not a sample, and Strata keeps
        // no per-series start time yet (documented in docs/collection-methods.md).
        r.int64();
        break;
      default:
        switch (key >>> 3) {
          case 1: r.wrongWire(key, 'TimeSeries.labels_refs', WIRE_LEN);
          case 2: r.wrongWire(key, 'TimeSeries.samples', WIRE_LEN);
          case 3: r.wrongWire(key, 'TimeSeries.histograms', WIRE_LEN);
          case 4: r.wrongWire(key, 'TimeSeries.exemplars', WIRE_LEN);
          case 5: r.wrongWire(key, 'TimeSeries.metadata', WIRE_LEN);
          case 6: r.wrongWire(key, 'TimeSeries.created_timestamp', WIRE_VARINT);
          default: r.skip(key);
        }
    }
  }
  const refs = st.refs;
  if (refs.length % 2 !== 0) {
    throw new IngestError(400, 'bad_protobuf', `malformed remote write 2.0 request: a series has an odd number (${refs.length}) of labels_refs; they come in name/value pairs`);
  }
  st.pairs.length = 0;
  let lo = 0;
  let hi = 0;
  for (let i = 0; i < refs.length; i += 2) {
    const name = symbol(symbols, refs[i], 'labels_refs');
    const value = symbol(symbols, refs[i + 1], 'labels_refs');
    st.pairs.push(name, value);
    if (value === '') continue;
    let h = Math.imul(symbolHashes[refs[i]] ^ Math.imul(symbolHashes[refs[i + 1]], 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    lo = (lo + h) | 0;
    hi = (hi + Math.imul(h ^ (h >>> 16), 0xc2b2ae35)) | 0;
  }
  st.hash = (hi & 0x1fffff) * 4294967296 + (lo >>> 0);
}

function symbol(symbols: string[], ref: number, field: string): string {
  if (ref >= symbols.length) {
    throw new IngestError(400, 'bad_protobuf', `malformed remote write 2.0 request: ${field} refers to symbol ${ref}, but the symbols table has ${symbols.length} entries`);
  }
  return symbols[ref];
}

function addSample(st: SeriesState, t: number, v: number): void {
  if (st.sampleN === st.sampleTs.length) {
    const ts = new Float64Array(st.sampleTs.length * 2);
    const vs = new Float64Array(ts.length);
    ts.set(st.sampleTs);
    vs.set(st.sampleVs);
    st.sampleTs = ts;
    st.sampleVs = vs;
  }
  st.sampleTs[st.sampleN] = t;
  st.sampleVs[st.sampleN++] = v;
}

function decodeMetadata(r: ProtoReader, end: number, symbols: string[]): Omit<MetricMetadata, 'family'> {
  const parentEnd = r.end;
  r.end = end;
  r.message = 'Metadata';
  const md: Omit<MetricMetadata, 'family'> = { type: 'unknown', help: '', unit: '' };
  while (r.pos < end) {
    const key = r.key();
    if (key === KEY_META_TYPE) md.type = metricTypeFromProto(r.int64());
    else if (key === KEY_META_HELP) md.help = symbol(symbols, r.uvarint(), 'Metadata.help_ref');
    else if (key === KEY_META_UNIT) md.unit = symbol(symbols, r.uvarint(), 'Metadata.unit_ref');
    else if (key >>> 3 === 1 || key >>> 3 === 3 || key >>> 3 === 4) r.wrongWire(key, 'Metadata', WIRE_VARINT);
    else r.skip(key);
  }
  r.end = parentEnd;
  r.message = 'TimeSeries';
  return md;
}

function finishLabels(pairs: string[]): Labels {
  const dup = sortLabelPairs(pairs, pairs.length);
  if (dup !== null) {
    throw new IngestError(400, 'duplicate_label_name', `duplicate label name ${JSON.stringify(dup)} in series ${labelsToString(pairs)}`);
  }
  return labelsFromSortedPairs(pairs, pairs.length);
}

// Metadata in 2.0 travels per series, and names no family: the series' metric name stands for it
// (for a classic histogram that is e.g. `x_bucket`; Prometheus' own 2.0 receiver does the same).
function metricFamily(ls: Labels): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === METRIC_NAME) return ls[i + 1];
  return '';
}
