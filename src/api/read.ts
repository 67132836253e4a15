// Read endpoints in the Prometheus API shape (series, labels, label values) and a streaming export
// in VictoriaMetrics' JSON-lines shape.
import { compareLabels, compareStrings, isUTF8Name, labelsToRecord, METRIC_NAME, newMatcher, unescapeValuesName, type Labels } from '../model/index.ts';
import { ReadAbortedError, type Querier, type ReadContext, type SeriesData } from '../tsdb/index.ts';
import type { MetricMetadata } from '../ingest/index.ts';
import { badData, readParams, sendSuccess, writeChunk } from './http.ts';
import type { MetadataStore } from './metadata.ts';
import { parseLimit, parseMatchParams, parseRange } from './params.ts';
import type { RequestContext } from './router.ts';

export interface ReadDeps {
  /** The querier for this request; throws ApiError(503) when the request was not admitted. */
  querier(ctx: RequestContext): Querier;
  /** Bytes of form parameters a POST may carry. */
  maxRequestBytes: number;
}

export async function handleSeries(ctx: RequestContext, deps: ReadDeps): Promise<void> {
  const params = await readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const sets = parseMatchParams(params, true);
  const { start, end } = parseRange(params);
  const limit = parseLimit(params);
  const q = deps.querier(ctx);
  const found = await whileListening(ctx, (rc) => Promise.all(sets.map((ms) => q.series(ms, start, end, rc))));
  if (found === null) return;
  const merged = mergeLabelSets(found);
  const { items, warnings } = applyLimit(merged, limit);
  sendSuccess(ctx.res, items.map(labelsToRecord), warnings);
}

export async function handleLabelNames(ctx: RequestContext, deps: ReadDeps): Promise<void> {
  const params = await readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const sets = parseMatchParams(params, false);
  const { start, end } = parseRange(params);
  const limit = parseLimit(params);
  const q = deps.querier(ctx);
  const found = await whileListening(ctx, (rc) => Promise.all((sets.length > 0 ? sets : [[]]).map((ms) => q.labelNames(ms, start, end, rc))));
  if (found === null) return;
  const { items, warnings } = applyLimit(mergeStrings(found), limit);
  sendSuccess(ctx.res, items, warnings);
}

export async function handleLabelValues(ctx: RequestContext, deps: ReadDeps): Promise<void> {
  // Prometheus 3: a name outside the classic charset may come `values`-escaped (U__...), and any
  // non-empty UTF-8 name is valid.
  const name = unescapeValuesName(ctx.pathParams.name);
  if (!isUTF8Name(name)) throw badData(`invalid label name: ${JSON.stringify(name)}`);
  const params = await readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const sets = parseMatchParams(params, false);
  const { start, end } = parseRange(params);
  const limit = parseLimit(params);
  const q = deps.querier(ctx);
  const found = await whileListening(ctx, (rc) => Promise.all((sets.length > 0 ? sets : [[]]).map((ms) => q.labelValues(name, ms, start, end, rc))));
  if (found === null) return;
  const { items, warnings } = applyLimit(mergeStrings(found), limit);
  sendSuccess(ctx.res, items, warnings);
}

/**
 * `GET /api/v1/metadata?metric=&limit=&limit_per_metric=`: `{family: [{type, help, unit}]}`.
 * `own` describes the server's own metrics (stored by self-monitoring) and joins the store.
 */
export function handleMetadata(ctx: RequestContext, store: MetadataStore, own: readonly MetricMetadata[]): void {
  const p = ctx.url.searchParams;
  const limit = parseLimit(p);
  const perMetric = p.get('limit_per_metric') ?? '';
  if (perMetric !== '' && !/^\d+$/.test(perMetric)) {
    throw badData(`invalid parameter "limit_per_metric": ${JSON.stringify(perMetric)} is not a non-negative integer`);
  }
  if (own.length > 0) store.add(own);
  sendSuccess(ctx.res, store.query(p.get('metric') ?? '', limit, perMetric === '' ? 0 : Number(perMetric)));
}

/**
 * `GET /api/v1/export?match[]=...&start=&end=`: one JSON object per line and per series,
 * `{"metric":{...},"values":[...],"timestamps":[...]}` with timestamps in ms. JSON has no NaN or
 * infinities, so those values are written as the strings "NaN", "+Inf" and "-Inf" (as Prometheus
 * writes every value). The export is read one metric name at a time (the matchers plus
 * `__name__="<name>"`, then the series without a name), and each line is written as soon as it is
 * encoded, the next waiting for the socket to drain: memory holds one metric's samples, not the
 * whole export.
 */
export async function handleExport(ctx: RequestContext, deps: ReadDeps): Promise<void> {
  const params = await readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const sets = parseMatchParams(params, true);
  const { start, end } = parseRange(params);
  const q = deps.querier(ctx);
  const names = await whileListening(ctx, (rc) => Promise.all(sets.map((ms) => q.labelValues(METRIC_NAME, ms, start, end, rc))));
  if (names === null) return;
  const { res } = ctx;
  res.writeHead(200, { 'Content-Type': 'application/stream+json; charset=utf-8' });
  for (const name of [...mergeStrings(names), '']) {
    const byName = newMatcher('=', METRIC_NAME, name);
    const found = await whileListening(ctx, (rc) => Promise.all(sets.map((ms) => q.select([...ms, byName], start, end, undefined, rc))));
    if (found === null) return;
    for (const s of mergeSeries(found)) {
      if (s.timestamps.length === 0) continue;
      if (!(await writeChunk(res, exportLine(s)))) return;
    }
  }
  res.end();
}

export function exportLine(s: SeriesData): string {
  const n = s.timestamps.length;
  const vs: string[] = new Array(n);
  const ts: string[] = new Array(n);
  for (let i = 0; i < n; i++) {
    vs[i] = formatExportValue(s.values[i]);
    ts[i] = String(s.timestamps[i]);
  }
  return `{"metric":${JSON.stringify(labelsToRecord(s.labels))},"values":[${vs.join(',')}],"timestamps":[${ts.join(',')}]}\n`;
}

export function formatExportValue(v: number): string {
  if (Number.isFinite(v)) return Object.is(v, -0) ? '-0' : String(v);
  if (Number.isNaN(v)) return '"NaN"';
  return v > 0 ? '"+Inf"' : '"-Inf"';
}

/**
 * Runs the storage reads of a request, stopping them when the client closes the connection first
 * (nobody would read the answer): null then, and the handler sends nothing.
 */
async function whileListening<T>(ctx: RequestContext, read: (rc: ReadContext) => Promise<T>): Promise<T | null> {
  const ac = new AbortController();
  const onClose = () => {
    if (!ctx.res.writableEnded) ac.abort(new Error('client closed the connection'));
  };
  ctx.res.once('close', onClose);
  try {
    return await read({ signal: ac.signal });
  } catch (e) {
    if (e instanceof ReadAbortedError && ac.signal.aborted) return null;
    throw e;
  } finally {
    ctx.res.off('close', onClose);
  }
}

function applyLimit<T>(items: T[], limit: number): { items: T[]; warnings: string[] } {
  if (limit > 0 && items.length > limit) {
    return { items: items.slice(0, limit), warnings: ['results truncated due to limit'] };
  }
  return { items, warnings: [] };
}

// Each match[] answers sorted; several selectors may find the same series, which is listed once.
function mergeLabelSets(lists: Labels[][]): Labels[] {
  if (lists.length === 1) return lists[0];
  const all = lists.flat().sort(compareLabels);
  return all.filter((ls, i) => i === 0 || compareLabels(all[i - 1], ls) !== 0);
}

function mergeSeries(lists: SeriesData[][]): SeriesData[] {
  if (lists.length === 1) return lists[0];
  const all = lists.flat().sort((a, b) => compareLabels(a.labels, b.labels));
  return all.filter((s, i) => i === 0 || compareLabels(all[i - 1].labels, s.labels) !== 0);
}

function mergeStrings(lists: string[][]): string[] {
  if (lists.length === 1) return lists[0];
  return [...new Set(lists.flat())].sort(compareStrings);
}

