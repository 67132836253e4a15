// POST /api/v1/read: Prometheus' remote read, so a Prometheus with `remote_read` pointing here (or
// Thanos, or any remote-read client) queries Strata's data. As Prometheus' read handler does:
//
// - the body is a snappy-compressed ReadRequest of one or more queries ([start, end] in ms and label
//   matchers of the four types); as in Prometheus' storage, a query's hints, when present, give the
//   range read ([hints.start, hints.end]), and a "series" func hint returns the series without
//   samples (in a SAMPLES answer; a streamed one ignores it, as 2.42 does); step and the other hints
//   change nothing; a query without matchers selects nothing;
// - the response type is the first of the request's accepted types the server knows (none: SAMPLES):
//   SAMPLES is one snappy ReadResponse holding every series' raw samples; STREAMED_XOR_CHUNKS is a
//   stream of CRC-checked frames, one series per frame (split over several when its chunks exceed
//   max_bytes_in_frame), the samples in XOR chunks;
// - external labels: an equality matcher on an external label with its configured value matches
//   the series that do not have the label (they are the ones that get it), and every series is
//   returned with the external labels it lacks added;
// - limits: at most remote_read_concurrent_limit requests are served at once (others wait), and a
//   SAMPLES query returning more than remote_read_sample_limit samples is refused with 400
//   `exceeded sample limit (N)`. Streamed reads have no sample limit, as in Prometheus.
//
// Differences from Prometheus 2.42, kept on purpose: a regex matcher that does not compile, or an
// unknown matcher type, is a 400 (Prometheus answers 500 for what is the client's mistake).
// Streamed chunks hold the samples of the range, as Prometheus' (which cuts its stored chunks at the
// range's ends), but are cut every 120 samples rather than where Prometheus' head cut them.
import type { IncomingMessage } from 'node:http';
import { compressSync } from 'snappy';
import { decompressSnappy, isIngestError } from '../../ingest/index.ts';
import { compareStrings, METRIC_NAME, newMatcher, type Labels, type Matcher } from '../../model/index.ts';
import { ReadAbortedError, type Querier, type ReadContext, type SeriesData } from '../../tsdb/index.ts';
import { sendPlainError } from '../federate.ts';
import { readBody, writeChunk } from '../http.ts';
import type { RequestContext } from '../router.ts';
import {
  decodeReadRequest, encodeChunkedReadResponse, encodeQueryResult, encodeReadResponse, frame, negotiateResponseType,
  RESPONSE_STREAMED_XOR_CHUNKS, splitIntoFrames, type LabelPairs, type ReadQuery, type ReadRequest,
} from './proto.ts';
import { encodeSeriesChunks } from './xorchunk.ts';

export interface RemoteReadLimits {
  /** Samples one query of a SAMPLES response may return (0: no limit). */
  sampleLimit: number;
  /** Requests served at once (0: no limit). */
  concurrentLimit: number;
  /** Target size of a streamed frame. */
  maxBytesInFrame: number;
}

export interface RemoteReadDeps {
  querier(ctx: RequestContext): Querier;
  externalLabels(): Readonly<Record<string, string>>;
  limits: RemoteReadLimits;
  /** Bytes a (compressed) request may have, and its decompressed size. */
  maxRequestBytes: number;
  maxDecodedBytes: number;
}

export const STREAMED_CONTENT_TYPE = 'application/x-streamed-protobuf; proto=prometheus.ChunkedReadResponse';

/** The read handler with its concurrency gate. */
export function createRemoteReadHandler(deps: RemoteReadDeps): (ctx: RequestContext) => Promise<void> {
  const gate = concurrencyGate(deps.limits.concurrentLimit);
  return async (ctx) => {
    if (!(await gate.enter(ctx.req))) return;
    try {
      await serveRead(ctx, deps);
    } finally {
      gate.leave();
    }
  };
}

async function serveRead(ctx: RequestContext, deps: RemoteReadDeps): Promise<void> {
  const { res } = ctx;
  let req: ReadRequest;
  try {
    const body = await readBody(ctx.req, deps.maxRequestBytes);
    req = decodeReadRequest(decompressSnappy(body, deps.maxDecodedBytes));
  } catch (e) {
    if (isIngestError(e)) {
      sendPlainError(res, e.status, e.message);
      return;
    }
    throw e;
  }
  const negotiated = negotiateResponseType(req.acceptedResponseTypes);
  if ('error' in negotiated) {
    sendPlainError(res, 400, negotiated.error);
    return;
  }
  const external = Object.entries(deps.externalLabels()).sort(([a], [b]) => compareStrings(a, b));
  let matcherSets: Matcher[][];
  try {
    matcherSets = req.queries.map((q) => queryMatchers(q, deps.externalLabels()));
  } catch (e) {
    sendPlainError(res, 400, (e as Error).message);
    return;
  }
  const q = deps.querier(ctx);
  // A client that goes away stops the storage reads (nobody would read the answer).
  const ac = new AbortController();
  const onClose = () => {
    if (!res.writableEnded) ac.abort(new Error('client closed the connection'));
  };
  res.once('close', onClose);
  try {
    if (negotiated.type === RESPONSE_STREAMED_XOR_CHUNKS) await streamChunks(ctx, q, req.queries, matcherSets, external, deps.limits.maxBytesInFrame, ac.signal);
    else await answerSamples(ctx, q, req.queries, matcherSets, external, deps.limits.sampleLimit, ac.signal);
  } catch (e) {
    if (e instanceof ReadAbortedError && ac.signal.aborted) return;
    throw e;
  } finally {
    res.off('close', onClose);
  }
}

async function answerSamples(
  ctx: RequestContext, q: Querier, queries: readonly ReadQuery[], matcherSets: Matcher[][], external: [string, string][], limit: number, signal: AbortSignal,
): Promise<void> {
  const { res } = ctx;
  const results: Uint8Array[] = [];
  for (let i = 0; i < queries.length; i++) {
    const query = queries[i];
    const [start, end] = readRange(query);
    if (query.hints?.func === 'series') {
      // Prometheus' storage loads no samples for a "series" hint: the series come back empty.
      const labels = matcherSets[i].length === 0 ? [] : await q.series(matcherSets[i], start, end, { signal });
      results.push(encodeQueryResult(labels.map((ls) => ({ labels: withExternal(ls, external), timestamps: EMPTY, values: EMPTY }))));
      continue;
    }
    let found: SeriesData[];
    try {
      // The budget stops a read far beyond the limit early; the exact count is made below (the
      // budget also counts samples of a chunk just outside the range).
      found = await selectSeries(q, matcherSets[i], start, end, { signal, ...(limit > 0 ? { maxSamples: limit * 2 + 1000 } : {}) });
    } catch (e) {
      if (e instanceof ReadAbortedError && e.reason === 'too_many_samples') {
        sendPlainError(res, 400, `exceeded sample limit (${limit})`);
        return;
      }
      throw e;
    }
    let n = 0;
    for (const s of found) n += s.timestamps.length;
    if (limit > 0 && n > limit) {
      sendPlainError(res, 400, `exceeded sample limit (${limit})`);
      return;
    }
    results.push(encodeQueryResult(found.map((s) => ({ labels: withExternal(s.labels, external), timestamps: s.timestamps, values: s.values }))));
  }
  const body = compressSync(Buffer.from(encodeReadResponse(results)));
  res.writeHead(200, { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy', 'Content-Length': body.length });
  res.end(body);
}

const EMPTY = new Float64Array(0);

async function streamChunks(
  ctx: RequestContext, q: Querier, queries: readonly ReadQuery[], matcherSets: Matcher[][], external: [string, string][], maxBytesInFrame: number,
  signal: AbortSignal,
): Promise<void> {
  const { res } = ctx;
  // Headers go out with the first frame: an error before it can still be answered with a status.
  res.setHeader('Content-Type', STREAMED_CONTENT_TYPE);
  for (let i = 0; i < queries.length; i++) {
    const [start, end] = readRange(queries[i]);
    for await (const found of inLabelOrder(q, matcherSets[i], start, end, signal)) {
      for (const s of found) {
        if (s.timestamps.length === 0) continue;
        const labels = withExternal(s.labels, external);
        for (const chunks of splitIntoFrames(labels, encodeSeriesChunks(s.timestamps, s.values), maxBytesInFrame)) {
          if (!(await writeChunk(res, frame(encodeChunkedReadResponse(labels, chunks, i))))) return;
        }
      }
    }
  }
  if (!res.headersSent) res.writeHead(200);
  res.end();
}

/**
 * A query's series in label order, read one metric name at a time when that is the same order
 * (no label name sorts before __name__, as upper-case ones do): a streamed read then holds one
 * metric's samples at a time, not the whole query's. Series without a name come last.
 */
async function* inLabelOrder(q: Querier, ms: Matcher[], start: number, end: number, signal: AbortSignal): AsyncGenerator<SeriesData[]> {
  if (ms.length === 0) return;
  const names = await q.labelNames(ms, start, end, { signal });
  if (names.some((n) => compareStrings(n, METRIC_NAME) < 0)) {
    yield await q.select(ms, start, end, undefined, { signal });
    return;
  }
  const metricNames = await q.labelValues(METRIC_NAME, ms, start, end, { signal });
  for (const name of [...metricNames, '']) yield await q.select([...ms, newMatcher('=', METRIC_NAME, name)], start, end, undefined, { signal });
}

/**
 * The range a query reads: its hints' start and end when it has hints, as Prometheus' storage
 * takes them (a client sends its selector's range there, usually the query's own).
 */
function readRange(q: ReadQuery): [number, number] {
  return q.hints !== undefined ? [q.hints.startMs, q.hints.endMs] : [q.startMs, q.endMs];
}

// A query without matchers selects nothing, as in Prometheus' storage (not everything).
function selectSeries(q: Querier, ms: Matcher[], start: number, end: number, rc?: ReadContext): Promise<SeriesData[]> {
  return ms.length === 0 ? Promise.resolve([]) : q.select(ms, start, end, undefined, rc);
}

/**
 * A query's matchers for the storage. An equality matcher on an external label with the configured
 * value becomes `name=""`: stored series do not carry external labels, they get them on the way out.
 */
export function queryMatchers(q: ReadQuery, external: Readonly<Record<string, string>>): Matcher[] {
  return q.matchers.map((m) => {
    const ext = Object.hasOwn(external, m.name) ? external[m.name] : '';
    const value = m.type === '=' && ext === m.value ? '' : m.value;
    try {
      return newMatcher(m.type, m.name, value);
    } catch (e) {
      throw new Error(`invalid matcher ${m.name}${m.type}${JSON.stringify(m.value)}: ${(e as Error).message}`);
    }
  });
}

/** The series' labels merged with the (sorted) external labels; the series' own win. */
export function withExternal(ls: Labels, external: readonly [string, string][]): LabelPairs {
  const out: [string, string][] = [];
  let j = 0;
  for (let i = 0; i < ls.length; i += 2) {
    const name = ls[i];
    while (j < external.length && compareStrings(external[j][0], name) < 0) out.push(external[j++]);
    if (j < external.length && external[j][0] === name) j++;
    out.push([name, ls[i + 1]]);
  }
  while (j < external.length) out.push(external[j++]);
  return out;
}

/**
 * At most `limit` holders at once; others wait in arrival order. A waiter whose client goes away
 * leaves the queue (enter resolves false).
 */
export function concurrencyGate(limit: number): { enter(req: IncomingMessage): Promise<boolean>; leave(): void } {
  let active = 0;
  const waiting: (() => void)[] = [];
  return {
    enter(req) {
      if (limit === 0 || active < limit) {
        active++;
        return Promise.resolve(true);
      }
      return new Promise((resolve) => {
        const go = () => {
          req.socket.off('close', gone);
          active++;
          resolve(true);
        };
        const gone = () => {
          const i = waiting.indexOf(go);
          if (i >= 0) waiting.splice(i, 1);
          resolve(false);
        };
        waiting.push(go);
        req.socket.once('close', gone);
      });
    },
    leave() {
      active--;
      const next = waiting.shift();
      if (next) next();
    },
  };
}
