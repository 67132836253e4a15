// /api/v1/status/*: build and runtime information, flags, the effective configuration and TSDB
// cardinality, in Prometheus' shapes. Grafana reads buildinfo to decide which API features it may
// use; the cardinality page is what operators open when the series count explodes.
import * as os from 'node:os';
import { configToYaml, formatDuration, formatSize, type Config } from '../config/index.ts';
import { METRIC_NAME, newMatcher } from '../model/index.ts';
import type { DB } from '../tsdb/index.ts';
import { badData, sendSuccess } from './http.ts';
import type { RequestContext } from './router.ts';

export interface StatusDeps {
  config: Config;
  version: string;
  startTimeMs: number;
  /** The DB for this request; throws ApiError(503) when the request was not admitted. */
  db(ctx: RequestContext): DB;
}

// Grafana and other clients gate features on the Prometheus version they see here; Strata answers
// the Prometheus HTTP API of this version (its own version is in `revision` and `branch`).
export const PROMETHEUS_API_VERSION = '3.0.0';

export function handleBuildInfo(ctx: RequestContext, deps: StatusDeps): void {
  sendSuccess(ctx.res, {
    version: PROMETHEUS_API_VERSION,
    revision: `strata-${deps.version}`,
    branch: 'strata',
    buildUser: 'strata',
    buildDate: '',
    goVersion: `node ${process.version}`,
  });
}

export function handleRuntimeInfo(ctx: RequestContext, deps: StatusDeps): void {
  const start = new Date(deps.startTimeMs).toISOString();
  sendSuccess(ctx.res, {
    startTime: start,
    CWD: process.cwd(),
    reloadConfigSuccess: true,
    lastConfigTime: start,
    corruptionCount: 0,
    goroutineCount: 0,
    GOMAXPROCS: os.availableParallelism(),
    GOMEMLIMIT: 0,
    GOGC: '',
    GODEBUG: '',
    storageRetention: deps.config.storage.retentionMs === 0 ? 'unlimited' : formatDuration(deps.config.storage.retentionMs),
  });
}

/** The effective settings under Prometheus' flag names where one exists, as strings. */
export function flagsOf(c: Config): Record<string, string> {
  return {
    'web.listen-address': c.server.listen,
    'storage.tsdb.path': c.storage.path,
    'storage.tsdb.retention.time': formatDuration(c.storage.retentionMs),
    'storage.tsdb.min-block-duration': formatDuration(c.storage.blockRangeMs),
    'storage.tsdb.max-block-duration': formatDuration(c.storage.blockRangeMs),
    'storage.tsdb.wal-segment-size': formatSize(c.storage.wal.segmentSize),
    'web.enable-remote-write-receiver': 'true',
    'web.read-timeout': formatDuration(c.server.readTimeoutMs),
    'query.lookback-delta': formatDuration(c.query.lookbackDeltaMs),
    'query.timeout': formatDuration(c.query.timeoutMs),
    'query.max-samples': String(c.query.maxSamples),
    'query.max-concurrency': String(c.query.maxConcurrency),
    'storage.remote.read-sample-limit': String(c.query.remoteReadSampleLimit),
    'storage.remote.read-concurrent-limit': String(c.query.remoteReadConcurrentLimit),
    'storage.remote.read-max-bytes-in-frame': String(c.query.remoteReadMaxBytesInFrame),
    'log.level': c.log.level,
    'log.format': c.log.format === 'pretty' ? 'logfmt' : 'json',
  };
}

export function handleFlags(ctx: RequestContext, deps: StatusDeps): void {
  sendSuccess(ctx.res, flagsOf(deps.config));
}

export function handleConfig(ctx: RequestContext, deps: StatusDeps): void {
  sendSuccess(ctx.res, { yaml: configToYaml(deps.config) });
}

export interface NameCount {
  name: string;
  value: number;
}

export interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: NameCount[];
  labelValueCountByLabelName: NameCount[];
  memoryInBytesByLabelName: NameCount[];
  seriesCountByLabelValuePair: NameCount[];
}

/**
 * Cardinality of the head (the recent data, as Prometheus reports), computed from the label sets of
 * the series the head holds. `limit` entries per list, largest first (ties by name).
 */
export async function tsdbStatus(db: DB, limit: number): Promise<TsdbStatus> {
  const st = db.stats();
  const hasData = st.headSeries > 0 && st.headMinTime <= st.headMaxTime;
  const series = hasData
    ? await db.querier().series([newMatcher('=~', METRIC_NAME, '.+')], st.headMinTime, st.headMaxTime)
    : [];
  const byMetric = new Map<string, number>();
  const byPair = new Map<string, number>();
  const valuesByName = new Map<string, Set<string>>();
  for (const ls of series) {
    for (let i = 0; i < ls.length; i += 2) {
      const name = ls[i];
      const value = ls[i + 1];
      if (name === METRIC_NAME) byMetric.set(value, (byMetric.get(value) ?? 0) + 1);
      const pair = `${name}=${value}`;
      byPair.set(pair, (byPair.get(pair) ?? 0) + 1);
      let vs = valuesByName.get(name);
      if (!vs) valuesByName.set(name, (vs = new Set()));
      vs.add(value);
    }
  }
  const valueCounts = new Map<string, number>();
  // As Prometheus reports it (checked side by side): the bytes of a label's distinct values.
  const memory = new Map<string, number>();
  for (const [name, vs] of valuesByName) {
    valueCounts.set(name, vs.size);
    let bytes = 0;
    for (const v of vs) bytes += Buffer.byteLength(v);
    memory.set(name, bytes);
  }
  return {
    headStats: {
      numSeries: st.headSeries,
      numLabelPairs: byPair.size,
      chunkCount: st.headChunks,
      minTime: hasData ? st.headMinTime : 0,
      maxTime: hasData ? st.headMaxTime : 0,
    },
    seriesCountByMetricName: top(byMetric, limit),
    labelValueCountByLabelName: top(valueCounts, limit),
    memoryInBytesByLabelName: top(memory, limit),
    seriesCountByLabelValuePair: top(byPair, limit),
  };
}

function top(m: Map<string, number>, limit: number): NameCount[] {
  const all = [...m].map(([name, value]) => ({ name, value }));
  all.sort((a, b) => b.value - a.value || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return all.slice(0, limit);
}

export async function handleTsdbStatus(ctx: RequestContext, deps: StatusDeps): Promise<void> {
  const s = ctx.url.searchParams.get('limit');
  let limit = 10;
  if (s !== null && s !== '') {
    if (!/^\d+$/.test(s) || Number(s) < 1 || Number(s) > 10_000) {
      throw badData(`invalid parameter "limit": ${JSON.stringify(s)} must be an integer from 1 to 10000`);
    }
    limit = Number(s);
  }
  sendSuccess(ctx.res, await tsdbStatus(deps.db(ctx), limit));
}
