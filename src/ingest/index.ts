// The write path's front end: decoders of pushed and scraped payloads into columnar SampleBatches,
// and their validation. Everything other folders use from ingest is exported here.
export { IngestError, isIngestError } from './errors.ts';
export { METRIC_TYPES, metricTypeFromProto, type MetricMetadata, type MetricType } from './metadata.ts';
export { decompressSnappy, snappyDecodedLength } from './snappy.ts';
export { ProtoReader, WIRE_I64, WIRE_LEN, WIRE_VARINT } from './protobuf.ts';
export { ProtoWriter, uvarintSize } from './protowriter.ts';
export {
  DEFAULT_MAX_DECODED_BYTES, checkRemoteWriteHeaders, decodeRemoteWrite, decodeWriteRequest,
  type RemoteWriteOptions, type WriteRequestContents,
} from './remotewrite.ts';
export { RW1_PROTO, RW2_PROTO, decodeRemoteWrite2, decodeRequestV2, negotiateRemoteWrite, type RemoteWriteVersion } from './remotewrite2.ts';
export { BatchCollector } from './collect.ts';
export { PushConsistencyError, collectedMetric, parseGroupingKey, parsePushBody, parsePushProtobufBody, type GroupingKey, type PushedGroup } from './pushgateway.ts';
export {
  RPC_CODE, decodeOtlpJson, decodeOtlpProtobuf, encodeExportResponse, encodeStatus, otlpLabelName, otlpMetricName, translateOtlp,
  type OtlpRefusal, type OtlpResource, type TranslatedOtlp,
} from './otlp/index.ts';
export { INFLUX_PRECISIONS, parseInflux, parseInfluxPrecision, promLabelName, promMetricName, type InfluxPrecision, type ParsedInflux } from './influx.ts';
export { DEFAULT_BATCH_LIMITS, formatDuration, validateBatch, type BatchLimits, type BatchProblem } from './validate.ts';
export { ExpositionError, parseExposition, type ExpositionOptions, type ParsedExposition } from './exposition.ts';
export { LineCursor, TextParseError, parseFloatToken, parseIntToken } from './textparse.ts';
export { prometheusLabelsString } from './prometheuswording.ts';
export { compileRelabelRules, hashmod, relabel, type CompiledRelabelRule } from './relabel.ts';
export {
  BackfillAccumulator, countLines, newTimestampedTextState, parseTimestampedText,
  type GatheredSeries, type TimestampedTextSink, type TimestampedTextState,
} from './backfill.ts';
