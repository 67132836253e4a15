// Prometheus remote write 1.0: `POST /api/v1/write` with a snappy-compressed `prometheus.WriteRequest`.
//
//   WriteRequest   { repeated TimeSeries timeseries = 1; repeated MetricMetadata metadata = 3; }
//   TimeSeries     { repeated Label labels = 1; repeated Sample samples = 2;
//                    repeated Exemplar exemplars = 3; repeated Histogram histograms = 4; }
//   Label          { string name = 1; string value = 2; }
//   Sample         { double value = 1; int64 timestamp = 2; }
//   MetricMetadata { MetricType type = 1; string metric_family_name = 2; string help = 4; string unit = 5; }
//
// Decoded by hand into columns: no object per sample or per label, scratch columns reused across
// requests, one exact-size copy at the end so a batch waiting in the queue holds no slack.
import { labelsToString, type Labels, type SampleBatch } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { labelsFromSortedPairs, sortLabelPairs } from './labelpairs.ts';
import { metricTypeFromProto, type MetricMetadata } from './metadata.ts';
import { ProtoReader, WIRE_LEN, WIRE_VARINT, readSample, skipMessage, type SampleOut } from './protobuf.ts';
import { SeriesTable } from './seriestable.ts';
import { decompressSnappyTransient } from './snappy.ts';

export interface WriteRequestContents {
  /** Float samples, one entry per distinct series (a series sent twice is merged, in order). */
  batch: SampleBatch;
  metadata: MetricMetadata[];
  /**
   * Native histogram samples in the request. Strata stores float samples only for now, so the API
   * refuses a request with any (400) rather than dropping them silently.
   */
  histograms: number;
  /** Labels of the first series that carries native histograms, to name it in that refusal. */
  histogramSeries: Labels | null;
  /** Exemplars in the request; not stored, only counted. */
  exemplars: number;
}

export interface RemoteWriteOptions {
  /** Refuse bodies that decompress to more than this many bytes (413). */
  maxDecodedBytes?: number;
}

export const DEFAULT_MAX_DECODED_BYTES = 32 * 1024 * 1024;

/** Decompresses and decodes a remote write 1.0 request body. Throws IngestError. */
export function decodeRemoteWrite(body: Uint8Array, opts: RemoteWriteOptions = {}): WriteRequestContents {
  // The decoders copy out everything they keep, so the decompressed bytes can be a reused buffer.
  const raw = decompressSnappyTransient(body, opts.maxDecodedBytes ?? DEFAULT_MAX_DECODED_BYTES);
  return decodeWriteRequest(raw);
}

/**
 * Checks the headers of a remote write request as the 1.0 spec and Prometheus' receiver do: the
 * body must be `application/x-protobuf` (remote write 2.0's `proto=io.prometheus.write.v2.Request`
 * is not supported yet) compressed with snappy. Absent headers are accepted, as Prometheus does
 * for early 1.0 senders. Throws IngestError(415).
 */
export function checkRemoteWriteHeaders(contentType: string | undefined, contentEncoding: string | undefined): void {
  if (contentType !== undefined && contentType.trim() !== '') {
    const parts = contentType.split(';');
    const media = parts[0].trim().toLowerCase();
    if (media !== 'application/x-protobuf') {
      throw new IngestError(415, 'unsupported_media_type', `unsupported Content-Type ${JSON.stringify(contentType)}; remote write expects application/x-protobuf`);
    }
    for (let i = 1; i < parts.length; i++) {
      const eq = parts[i].indexOf('=');
      if (eq < 0 || parts[i].slice(0, eq).trim().toLowerCase() !== 'proto') continue;
      const proto = parts[i].slice(eq + 1).trim().replace(/^"|"$/g, '');
      if (proto !== 'prometheus.WriteRequest') {
        throw new IngestError(415, 'unsupported_media_type', `unsupported remote write message ${JSON.stringify(proto)}; only remote write 1.0 (prometheus.WriteRequest) is supported`);
      }
    }
  }
  if (contentEncoding !== undefined && contentEncoding.trim() !== '' && contentEncoding.trim().toLowerCase() !== 'snappy') {
    throw new IngestError(415, 'unsupported_encoding', `unsupported Content-Encoding ${JSON.stringify(contentEncoding)}; remote write bodies must be snappy-compressed`);
  }
}

// Field keys (field number << 3 | wire type) of the fields we decode.
const KEY_WRITE_TIMESERIES = (1 << 3) | WIRE_LEN;
const KEY_WRITE_METADATA = (3 << 3) | WIRE_LEN;
const KEY_TS_LABEL = (1 << 3) | WIRE_LEN;
const KEY_TS_SAMPLE = (2 << 3) | WIRE_LEN;
const KEY_TS_EXEMPLAR = (3 << 3) | WIRE_LEN;
const KEY_TS_HISTOGRAM = (4 << 3) | WIRE_LEN;
const KEY_LABEL_NAME = (1 << 3) | WIRE_LEN;
const KEY_LABEL_VALUE = (2 << 3) | WIRE_LEN;
/** The sample being read (an object's fields keep NaN payloads, unlike a plain double array). */
const sample: SampleOut = { t: 0, v: 0 };
const KEY_META_TYPE = (1 << 3) | WIRE_VARINT;
const KEY_META_FAMILY = (2 << 3) | WIRE_LEN;
const KEY_META_HELP = (4 << 3) | WIRE_LEN;
const KEY_META_UNIT = (5 << 3) | WIRE_LEN;

// Scratch state reused by every decode (decoding is synchronous, so never shared mid-request).
let scratchTs = new Float64Array(4096);
let scratchVs = new Float64Array(4096);
let sampleCount = 0;
const pairs: string[] = [];
let pairCount = 0;
// Two 32-bit lanes of an order-independent hash of the current series' labels (sums of per-label
// hashes built from the string hashes the reader computes anyway), so that a repeated series is
// found without hashing its labels a second time. Equal hashes are confirmed with labelsEqual.
let seriesHashLo = 0;
let seriesHashHi = 0;
// Per-occurrence columns: offsets[i] is where occurrence i's samples start, distinctOf[i] the
// distinct series it belongs to. Reused across requests.
let scratchOffsets = new Uint32Array(1024);
let scratchDistinct = new Int32Array(1024);
const seriesTable = new SeriesTable();

/** Decodes an uncompressed `prometheus.WriteRequest`. Throws IngestError(400) on malformed input. */
export function decodeWriteRequest(data: Uint8Array): WriteRequestContents {
  const r = new ProtoReader(data, 'WriteRequest');
  sampleCount = 0;
  seriesTable.reset();
  // Labels of each distinct series, in order of first appearance.
  const distinct: Labels[] = [];
  let occurrences = 0;
  scratchOffsets[0] = 0;
  const metadata: MetricMetadata[] = [];
  let histograms = 0;
  let exemplars = 0;
  let histogramSeries: Labels | null = null;

  while (r.pos < r.end) {
    const key = r.key();
    if (key === KEY_WRITE_TIMESERIES) {
      const end = r.lengthEnd();
      const firstSample = sampleCount;
      const counts = decodeTimeSeries(r, end);
      const ls = finishLabels();
      if (counts.histograms > 0) {
        histograms += counts.histograms;
        if (histogramSeries === null) histogramSeries = ls;
      }
      exemplars += counts.exemplars;
      // A series with no float samples carries nothing we store.
      if (sampleCount === firstSample) continue;

      if (occurrences + 1 >= scratchOffsets.length) growOccurrences();
      scratchDistinct[occurrences] = seriesTable.findOrAdd(seriesHash(), ls, distinct);
      occurrences++;
      scratchOffsets[occurrences] = sampleCount;
    } else if (key === KEY_WRITE_METADATA) {
      metadata.push(decodeMetadata(r, r.lengthEnd()));
    } else if (key >>> 3 === 1) {
      r.wrongWire(key, 'WriteRequest.timeseries', WIRE_LEN);
    } else if (key >>> 3 === 3) {
      r.wrongWire(key, 'WriteRequest.metadata', WIRE_LEN);
    } else {
      r.skip(key);
    }
  }

  const batch = distinct.length === occurrences
    ? {
        series: distinct,
        offsets: scratchOffsets.slice(0, occurrences + 1),
        timestamps: scratchTs.slice(0, sampleCount),
        values: scratchVs.slice(0, sampleCount),
      }
    : mergeRepeatedSeries(distinct, occurrences);
  return { batch, metadata, histograms, histogramSeries, exemplars };
}

function growOccurrences(): void {
  const offsets = new Uint32Array(scratchOffsets.length * 2);
  const distinct = new Int32Array(scratchOffsets.length * 2);
  offsets.set(scratchOffsets);
  distinct.set(scratchDistinct);
  scratchOffsets = offsets;
  scratchDistinct = distinct;
}

const seriesCounts = { histograms: 0, exemplars: 0 };

function decodeTimeSeries(r: ProtoReader, end: number): typeof seriesCounts {
  const parentEnd = r.end;
  r.end = end;
  r.message = 'TimeSeries';
  pairCount = 0;
  seriesHashLo = 0;
  seriesHashHi = 0;
  seriesCounts.histograms = 0;
  seriesCounts.exemplars = 0;
  while (r.pos < end) {
    const key = r.key();
    switch (key) {
      case KEY_TS_LABEL:
        decodeLabel(r, r.lengthEnd());
        break;
      case KEY_TS_SAMPLE:
        readSample(r, r.lengthEnd(), sample);
        if (sampleCount === scratchTs.length) growScratch();
        scratchTs[sampleCount] = sample.t;
        scratchVs[sampleCount++] = sample.v;
        break;
      case KEY_TS_EXEMPLAR:
        seriesCounts.exemplars++;
        skipMessage(r, r.lengthEnd(), 'Exemplar');
        break;
      case KEY_TS_HISTOGRAM:
        seriesCounts.histograms++;
        skipMessage(r, r.lengthEnd(), 'Histogram');
        break;
      default:
        switch (key >>> 3) {
          case 1: r.wrongWire(key, 'TimeSeries.labels', WIRE_LEN);
          case 2: r.wrongWire(key, 'TimeSeries.samples', WIRE_LEN);
          case 3: r.wrongWire(key, 'TimeSeries.exemplars', WIRE_LEN);
          case 4: r.wrongWire(key, 'TimeSeries.histograms', WIRE_LEN);
          default: r.skip(key);
        }
    }
  }
  r.end = parentEnd;
  r.message = 'WriteRequest';
  return seriesCounts;
}

/** The hash of the labels of the series just decoded, as a 53-bit Map key. */
function seriesHash(): number {
  return (seriesHashHi & 0x1fffff) * 4294967296 + (seriesHashLo >>> 0);
}

function decodeLabel(r: ProtoReader, end: number): void {
  const parentEnd = r.end;
  r.end = end;
  r.message = 'Label';
  let name = '';
  let value = '';
  let nameHash = 0;
  let valueHash = 0;
  while (r.pos < end) {
    const key = r.key();
    if (key === KEY_LABEL_NAME) {
      name = r.string();
      nameHash = r.stringHash;
    } else if (key === KEY_LABEL_VALUE) {
      value = r.string();
      valueHash = r.stringHash;
    }
    else if (key >>> 3 === 1) r.wrongWire(key, 'Label.name', WIRE_LEN);
    else if (key >>> 3 === 2) r.wrongWire(key, 'Label.value', WIRE_LEN);
    else r.skip(key);
  }
  pairs[pairCount++] = name;
  pairs[pairCount++] = value;
  // Empty values are dropped from the labels, so they must not count in the hash either.
  if (value !== '') {
    let h = Math.imul(nameHash ^ Math.imul(valueHash, 0x9e3779b1), 0x85ebca6b);
    h ^= h >>> 13;
    seriesHashLo = (seriesHashLo + h) | 0;
    seriesHashHi = (seriesHashHi + Math.imul(h ^ (h >>> 16), 0xc2b2ae35)) | 0;
  }
  r.end = parentEnd;
  r.message = 'TimeSeries';
}

function growScratch(): void {
  const ts = new Float64Array(scratchTs.length * 2);
  const vs = new Float64Array(scratchTs.length * 2);
  ts.set(scratchTs);
  vs.set(scratchVs);
  scratchTs = ts;
  scratchVs = vs;
}

function decodeMetadata(r: ProtoReader, end: number): MetricMetadata {
  const parentEnd = r.end;
  r.end = end;
  r.message = 'MetricMetadata';
  const md: MetricMetadata = { family: '', type: 'unknown', help: '', unit: '' };
  while (r.pos < end) {
    const key = r.key();
    switch (key) {
      case KEY_META_TYPE:
        md.type = metricTypeFromProto(r.int64());
        break;
      case KEY_META_FAMILY:
        md.family = r.string();
        break;
      case KEY_META_HELP:
        md.help = r.string();
        break;
      case KEY_META_UNIT:
        md.unit = r.string();
        break;
      default:
        switch (key >>> 3) {
          case 1: r.wrongWire(key, 'MetricMetadata.type', WIRE_VARINT);
          case 2: r.wrongWire(key, 'MetricMetadata.metric_family_name', WIRE_LEN);
          case 4: r.wrongWire(key, 'MetricMetadata.help', WIRE_LEN);
          case 5: r.wrongWire(key, 'MetricMetadata.unit', WIRE_LEN);
          default: r.skip(key);
        }
    }
  }
  r.end = parentEnd;
  r.message = 'WriteRequest';
  return md;
}

/**
 * Turns the scratch label pairs of the series just decoded into sorted Labels. The spec requires
 * senders to sort labels, and nearly all do; unsorted ones are sorted. A name given twice is
 * refused: picking one of the values would silently store a different series.
 */
function finishLabels(): Labels {
  const dup = sortLabelPairs(pairs, pairCount);
  if (dup !== null) {
    throw new IngestError(400, 'duplicate_label_name', `duplicate label name ${JSON.stringify(dup)} in series ${labelsToString(pairs.slice(0, pairCount))}`);
  }
  return labelsFromSortedPairs(pairs, pairCount);
}

/**
 * Builds the batch when some series appeared more than once: each distinct series gets one entry,
 * at the position of its first appearance, with the samples of all its occurrences in the order
 * they were sent.
 */
function mergeRepeatedSeries(series: Labels[], occurrences: number): SampleBatch {
  const distinctCount = series.length;
  const counts = new Uint32Array(distinctCount);
  for (let i = 0; i < occurrences; i++) counts[scratchDistinct[i]] += scratchOffsets[i + 1] - scratchOffsets[i];
  const offsets = new Uint32Array(distinctCount + 1);
  for (let d = 0; d < distinctCount; d++) offsets[d + 1] = offsets[d] + counts[d];
  const cursor = offsets.slice(0, distinctCount);
  const n = offsets[distinctCount];
  const timestamps = new Float64Array(n);
  const values = new Float64Array(n);
  for (let i = 0; i < occurrences; i++) {
    const d = scratchDistinct[i];
    const from = scratchOffsets[i];
    const to = scratchOffsets[i + 1];
    timestamps.set(scratchTs.subarray(from, to), cursor[d]);
    values.set(scratchVs.subarray(from, to), cursor[d]);
    cursor[d] += to - from;
  }
  return { series, offsets, timestamps, values };
}
