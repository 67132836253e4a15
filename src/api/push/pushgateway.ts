// Pushgateway-compatible push API: PUT, POST and DELETE on /metrics/job/<job>{/<label>/<value>}.
//
// Strata is a TSDB, not a cache that Prometheus scrapes, so a push becomes samples at once:
// - every pushed sample is stored with the push time as its timestamp (pushes with their own
//   timestamps are refused), plus the group's `push_time_seconds` (this push) and
//   `push_failure_time_seconds` (the last failed push to the group, 0 if none), as the Pushgateway
//   exposes them;
// - PUT replaces the group: series the group held before and that are not in this push get a
//   staleness marker at the push time, so queries stop returning them at once;
// - POST replaces only the metric families (names) present in the push: series of those families
//   missing from the push are marked stale, other families stay as they are;
// - DELETE marks every series of the group (and its push_*_time_seconds) stale and forgets the group;
// - a push to an existing group that fails (bad body, storage refusal) leaves the group as it was
//   and writes `push_failure_time_seconds` = now; one to an unknown group creates nothing.
// The group's current series are kept (not their values: the TSDB holds those) to know what to
// mark stale, in memory and in the data directory (pushgroups.ts), so this survives a restart.
// Answers: 200 for PUT/POST (202 for DELETE), as the Pushgateway; errors as text with the reason.
import { STALE_NAN, type Labels, type SampleBatch } from '../../model/index.ts';
import { BatchCollector, parseGroupingKey, parsePushBody, type GroupingKey } from '../../ingest/index.ts';
import { IngestError } from '../../ingest/index.ts';
import { AppendError } from '../../tsdb/index.ts';
import { ApiError, sendText } from '../http.ts';
import type { RequestContext } from '../router.ts';
import type { WriteDeps } from '../write.ts';
import { readPushBody, utf8Text } from './body.ts';
import { appendPushed, countRequest, failedOutcome, type PushOutcome } from './ingest.ts';
import { PushGroupStore, type PushGroup } from './pushgroups.ts';

export interface PushgatewayState {
  groups: PushGroupStore;
  /**
   * Timestamp of each group's last change or failure (kept after DELETE). A push gets a timestamp
   * after it even within the same millisecond, so two quick pushes never collide on one timestamp.
   */
  lastWriteMs: Map<string, number>;
  /** Per-group chains, so two pushes to one group apply in arrival order. */
  queues: Map<string, Promise<void>>;
}

/** `dataDir` null keeps group state in memory only (lost at restart). */
export function newPushgatewayState(dataDir: string | null): PushgatewayState {
  return { groups: new PushGroupStore(dataDir), lastWriteMs: new Map(), queues: new Map() };
}

const PUSH_TIME = 'push_time_seconds';
const PUSH_FAILURE_TIME = 'push_failure_time_seconds';

export async function handlePushgateway(ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, segments: string[]): Promise<void> {
  const method = ctx.req.method ?? 'POST';
  let outcome: PushOutcome;
  let key: GroupingKey | null = null;
  try {
    key = parseGroupingKey(segments);
    const body = method === 'DELETE' ? Buffer.alloc(0) : await readPushBody(ctx, deps.maxRequestBytes, deps.maxDecodedBytes);
    if (method !== 'DELETE') {
      const media = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (media !== '' && media !== 'text/plain' && media !== 'application/x-www-form-urlencoded' && media !== 'application/octet-stream') {
        throw new IngestError(415, 'unsupported_media_type', `unsupported Content-Type ${JSON.stringify(media)}; push the Prometheus text format (text/plain; version=0.0.4); the protobuf format is not supported`);
      }
    }
    const text = utf8Text(body, 'pushed');
    const k = key;
    outcome = await serialized(state, JSON.stringify(k), () => apply(ctx, deps, state, method, k, text));
  } catch (e) {
    outcome = failedOutcome(e, deps, 'pushgateway', 0);
  }
  if (key !== null && outcome.status !== 204 && outcome.written === 0 && outcome.status !== 503) {
    const k = key;
    await serialized(state, JSON.stringify(k), () => recordFailure(ctx, deps, state, k));
  }
  countRequest(deps, 'pushgateway', outcome.status);
  if (outcome.status === 204) {
    sendText(ctx.res, method === 'DELETE' ? 202 : 200, '');
    return;
  }
  sendText(ctx.res, outcome.status, `${outcome.message}\n`);
}

async function serialized<T>(state: PushgatewayState, id: string, fn: () => Promise<T>): Promise<T> {
  const prev = state.queues.get(id) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((r) => (release = r));
  const chain = prev.then(() => mine);
  state.queues.set(id, chain);
  await prev;
  try {
    await state.groups.ready();
    return await fn();
  } finally {
    release();
    if (state.queues.get(id) === chain) state.queues.delete(id);
  }
}

/** The group's next timestamp: now, or just after its last write. */
function nextTime(state: PushgatewayState, groupId: string, g: PushGroup | undefined): number {
  const last = Math.max(state.lastWriteMs.get(groupId) ?? -Infinity, g?.lastPushMs ?? -Infinity, g?.lastFailureMs ?? -Infinity);
  return Math.max(Date.now(), last + 1);
}

async function apply(
  ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, method: string, key: GroupingKey, text: string,
): Promise<PushOutcome> {
  const groupId = JSON.stringify(key);
  const old = state.groups.get(groupId);
  const now = nextTime(state, groupId, old);
  const out = new BatchCollector();
  const next: PushGroup = { key, series: new Map(), lastPushMs: now, lastFailureMs: old?.lastFailureMs ?? 0 };
  const pushTime: Labels = ['__name__', PUSH_TIME, ...key];
  const failureTime: Labels = ['__name__', PUSH_FAILURE_TIME, ...key];
  const reserved = new Set([JSON.stringify(pushTime), JSON.stringify(failureTime)]);

  if (method === 'DELETE') {
    if (old) for (const s of old.series.values()) out.add(s.labels, now, STALE_NAN);
  } else {
    const pushed = parsePushBody(text, key, now);
    if (pushed.metadata.length > 0) deps.metadata?.add(pushed.metadata);
    const b = pushed.batch;
    const families = new Set(pushed.families);
    for (let i = 0; i < b.series.length; i++) {
      const ls = b.series[i];
      const id = JSON.stringify(ls);
      if (reserved.has(id)) throw new IngestError(400, 'reserved_metric', `${metricName(ls)} is set by the server; it cannot be pushed`);
      for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) out.add(ls, now, b.values[j]);
      next.series.set(id, { labels: ls, family: pushed.families[i] });
    }
    if (old) {
      for (const [id, s] of old.series) {
        if (reserved.has(id) || next.series.has(id)) continue;
        // PUT drops everything not pushed again; POST only the families it pushed.
        if (method === 'PUT' || families.has(s.family)) out.add(s.labels, now, STALE_NAN);
        else next.series.set(id, s);
      }
    }
    out.add(pushTime, now, now / 1000);
    out.add(failureTime, now, next.lastFailureMs / 1000);
    next.series.set(JSON.stringify(pushTime), { labels: pushTime, family: PUSH_TIME });
    next.series.set(JSON.stringify(failureTime), { labels: failureTime, family: PUSH_FAILURE_TIME });
  }
  const batch: SampleBatch = out.build();
  const outcome = await appendPushed(ctx, deps, 'pushgateway', batch);
  // The group changes only when the push was stored (whole or partly: what was refused is reported).
  if (outcome.status === 204 || outcome.written > 0) {
    state.lastWriteMs.set(groupId, now);
    if (method === 'DELETE') await state.groups.remove(groupId);
    else await state.groups.save(groupId, next);
  }
  return outcome;
}

/**
 * A push to an existing group failed: the group keeps its series, and its
 * push_failure_time_seconds says when (server-made, so not counted as pushed samples).
 */
async function recordFailure(ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, key: GroupingKey): Promise<void> {
  const groupId = JSON.stringify(key);
  const g = state.groups.get(groupId);
  if (!g) return;
  const now = nextTime(state, groupId, g);
  const failureTime: Labels = ['__name__', PUSH_FAILURE_TIME, ...key];
  const out = new BatchCollector();
  out.add(failureTime, now, now / 1000);
  try {
    await deps.db(ctx).append(out.build());
  } catch (e) {
    if (e instanceof AppendError || e instanceof ApiError) return; // storage refuses writes right now: nothing to record into
    throw e;
  }
  state.lastWriteMs.set(groupId, now);
  await state.groups.save(groupId, { ...g, lastFailureMs: now });
}

function metricName(ls: Labels): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === '__name__') return ls[i + 1];
  return '';
}
