/**
 * Metric metadata as senders describe a metric family: the `# TYPE`/`# HELP` lines of the text
 * formats and the `metadata` field of remote write. Kept per family (e.g. `http_request_duration_seconds`,
 * not its `_bucket` series); the store serves it on /api/v1/metadata.
 */
export interface MetricMetadata {
  /** Family name, e.g. "node_cpu_seconds_total" or "http_request_duration_seconds". */
  family: string;
  type: MetricType;
  help: string;
  unit: string;
}

export const METRIC_TYPES = [
  'unknown', 'counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset',
] as const;

/** The type names Prometheus' metadata API uses; the text format's "untyped" is "unknown". */
export type MetricType = (typeof METRIC_TYPES)[number];

/** An OpenMetrics TYPE word -> its type (the words are the metadata API's names). */
export const OPENMETRICS_TYPES: Readonly<Record<string, MetricType>> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  gaugehistogram: 'gaugehistogram',
  summary: 'summary',
  info: 'info',
  stateset: 'stateset',
  unknown: 'unknown',
};

/**
 * Maps the remote-write `MetricMetadata.MetricType` enum number to its name. The enum's order
 * matches METRIC_TYPES (UNKNOWN = 0 ... STATESET = 7); numbers from a newer sender map to unknown.
 */
export function metricTypeFromProto(n: number): MetricType {
  return n >= 0 && n < METRIC_TYPES.length && Number.isInteger(n) ? METRIC_TYPES[n] : 'unknown';
}
