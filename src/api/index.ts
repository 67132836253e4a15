// The HTTP API: Prometheus-compatible reads, remote write, export, admin, health and /metrics.
export { createApi, engineOptionsOf } from './api.ts';
export type { Api, ApiOptions, ApiState } from './api.ts';
export { createServerMetrics } from './metrics.ts';
export type { ServerMetrics } from './metrics.ts';
export { parseTime, MAX_TIME, MIN_TIME } from './params.ts';
export { formatExportValue } from './read.ts';
export type { TargetsDeps } from './targets.ts';
export { MetadataStore } from './metadata.ts';
