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
// - a push that parses but is refused (the Pushgateway's consistency check: a timestamp, a series
//   twice, a type other groups give the name otherwise; or a storage refusal) leaves the group as
//   it was and writes `push_failure_time_seconds` = now, creating the group (push_time_seconds 0)
//   when it did not exist, as the Pushgateway does; a push refused for its path, syntax or size
//   changes nothing, as there.
// The group's current series are kept (not their values: the TSDB holds those) to know what to
// mark stale, in memory and in the data directory (pushgroups.ts), so this survives a restart.
// Answers: 200 for PUT/POST (202 for DELETE), as the Pushgateway; errors as text with the reason,
// in the Pushgateway's words where it refuses the same. Bodies: text, or delimited protobuf.
import { STALE_NAN, type Labels, type SampleBatch } from '../../model/index.ts';
import { BatchCollector, PushConsistencyError, collectedMetric, parseGroupingKey, parsePushBody, parsePushProtobufBody, type GroupingKey } from '../../ingest/index.ts';
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
  /**
   * Per metric family, how many groups give it each type (built from the groups on first use):
   * a push giving a family another type than other groups do is refused, as the Pushgateway
   * refuses what it could not expose consistently.
   */
  familyTypes: Map<string, Map<string, number>> | null;
}

/** `dataDir` null keeps group state in memory only (lost at restart). */
export function newPushgatewayState(dataDir: string | null): PushgatewayState {
  return { groups: new PushGroupStore(dataDir), lastWriteMs: new Map(), queues: new Map(), familyTypes: null };
}

const PUSH_TIME = 'push_time_seconds';
const PUSH_FAILURE_TIME = 'push_failure_time_seconds';

export async function handlePushgateway(ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, routed: string[]): Promise<void> {
  const method = ctx.req.method ?? 'POST';
  let outcome: PushOutcome;
  let key: GroupingKey | null = null;
  // Whether the push got as far as the Pushgateway's store, which records a refusal from there on.
  const reached = { store: false };
  try {
    key = parseGroupingKey(pathSegments(ctx, routed));
    const body = method === 'DELETE' ? Buffer.alloc(0) : await readPushBody(ctx, deps.maxRequestBytes, deps.maxDecodedBytes);
    let payload: PushPayload = { text: '' };
    if (method !== 'DELETE') {
      const media = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      if (isDelimitedProtobuf(ctx.req.headers['content-type'] ?? '')) {
        payload = { protobuf: body };
      } else if (media !== '' && media !== 'text/plain' && media !== 'application/x-www-form-urlencoded' && media !== 'application/octet-stream') {
        throw new IngestError(415, 'unsupported_media_type', `unsupported Content-Type ${JSON.stringify(media)}; push the Prometheus text format (text/plain; version=0.0.4) or delimited protobuf (${PROTOBUF_TYPE})`);
      } else {
        payload = { text: utf8Text(body, 'pushed') };
      }
    }
    const k = key;
    const p = payload;
    outcome = await serialized(state, JSON.stringify(k), () => apply(ctx, deps, state, method, k, p, reached));
  } catch (e) {
    if (e instanceof PushConsistencyError) reached.store = true;
    outcome = failedOutcome(e, deps, 'pushgateway', 0);
  }
  if (key !== null && reached.store && outcome.status !== 204 && outcome.written === 0 && outcome.status !== 503) {
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

/**
 * The path's segments after /metrics/, empty ones kept (the router drops them): the Pushgateway
 * reads `/metrics/job/a/b/` as label b with the empty value, `/metrics/job/a/b/c/` as an odd
 * labels part. `routed` (the router's, URL-decoded) when the path has no empty segment.
 */
function pathSegments(ctx: RequestContext, routed: string[]): string[] {
  const p = ctx.url.pathname;
  const at = p.indexOf('/metrics/');
  if (at < 0 || !p.slice(at + 1).includes('//') && !p.endsWith('/')) return routed;
  const parts = p.slice(at + '/metrics/'.length).split('/');
  try {
    return parts.map((x) => decodeURIComponent(x));
  } catch {
    return routed;
  }
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

type PushPayload = { text: string } | { protobuf: Buffer };

const PROTOBUF_TYPE = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

/** The Pushgateway's test: that media type with both parameters, else the body is read as text. */
function isDelimitedProtobuf(contentType: string): boolean {
  const [media, ...params] = contentType.split(';').map((x) => x.trim());
  if (media.toLowerCase() !== 'application/vnd.google.protobuf') return false;
  const p = new Map(params.map((x) => {
    const eq = x.indexOf('=');
    return [x.slice(0, eq).trim().toLowerCase(), x.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1')] as const;
  }));
  return p.get('proto') === 'io.prometheus.client.MetricFamily' && p.get('encoding') === 'delimited';
}

async function apply(
  ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, method: string, key: GroupingKey, payload: PushPayload, reached: { store: boolean },
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
    const pushed = 'text' in payload ? parsePushBody(payload.text, key, now) : parsePushProtobufBody(payload.protobuf, key, now);
    reached.store = true;
    const b = pushed.batch;
    const families = new Set(pushed.families);
    for (let i = 0; i < b.series.length; i++) {
      const ls = b.series[i];
      const id = JSON.stringify(ls);
      if (reserved.has(id)) throw new IngestError(400, 'reserved_metric', `${metricName(ls)} is set by the server; it cannot be pushed`);
      const family = pushed.families[i];
      const type = pushed.familyTypes.get(family)!;
      const other = otherGroupsType(state, old, family, type);
      if (other !== null) throw new PushConsistencyError('type_conflict', `${collectedMetric(family, ls)} is not a ${other}`);
      for (let j = b.offsets[i]; j < b.offsets[i + 1]; j++) out.add(ls, now, b.values[j]);
      next.series.set(id, { labels: ls, family, type });
    }
    if (pushed.metadata.length > 0) deps.metadata?.add(pushed.metadata);
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
    next.series.set(JSON.stringify(pushTime), { labels: pushTime, family: PUSH_TIME, type: 'GAUGE' });
    next.series.set(JSON.stringify(failureTime), { labels: failureTime, family: PUSH_FAILURE_TIME, type: 'GAUGE' });
  }
  const batch: SampleBatch = out.build();
  // The push's types count from the check on (no await in between), so that a push to another
  // group arriving while this one is stored is checked against them too; undone if it fails.
  const index = familyTypes(state);
  const claims = method !== 'DELETE';
  if (claims) countTypes(index, next, 1);
  let outcome: PushOutcome;
  try {
    outcome = await appendPushed(ctx, deps, 'pushgateway', batch);
  } catch (e) {
    if (claims) countTypes(index, next, -1);
    throw e;
  }
  // The group changes only when the push was stored (whole or partly: what was refused is reported).
  if (outcome.status === 204 || outcome.written > 0) {
    state.lastWriteMs.set(groupId, now);
    if (old) countTypes(index, old, -1);
    if (method === 'DELETE') await state.groups.remove(groupId);
    else await state.groups.save(groupId, next);
  } else if (claims) {
    countTypes(index, next, -1);
  }
  return outcome;
}

/** Family -> type -> number of groups, built from the stored groups on first use. */
function familyTypes(state: PushgatewayState): Map<string, Map<string, number>> {
  if (state.familyTypes === null) {
    state.familyTypes = new Map();
    for (const g of state.groups.all()) countTypes(state.familyTypes, g, 1);
  }
  return state.familyTypes;
}

function countTypes(index: Map<string, Map<string, number>>, g: PushGroup, delta: 1 | -1): void {
  for (const [family, type] of typesOf(g)) {
    let byType = index.get(family);
    if (!byType) index.set(family, (byType = new Map()));
    const n = (byType.get(type) ?? 0) + delta;
    if (n > 0) byType.set(type, n);
    else byType.delete(type);
    if (byType.size === 0) index.delete(family);
  }
}

function typesOf(g: PushGroup): Map<string, string> {
  const out = new Map<string, string>();
  for (const s of g.series.values()) if (s.type !== undefined) out.set(s.family, s.type);
  return out;
}

/** A type other groups than `own` give `family`, if not `type`; else null. */
function otherGroupsType(state: PushgatewayState, own: PushGroup | undefined, family: string, type: string): string | null {
  const byType = familyTypes(state).get(family);
  if (!byType) return null;
  const ownType = own ? typesOf(own).get(family) : undefined;
  for (const [t, n] of byType) {
    if (t !== type && n - (t === ownType ? 1 : 0) > 0) return t;
  }
  return null;
}

/** Saves a group whose series changed outside a push (a failure recorded), its types counted anew. */
async function saveGroup(state: PushgatewayState, groupId: string, g: PushGroup): Promise<void> {
  const index = familyTypes(state);
  const old = state.groups.get(groupId);
  if (old) countTypes(index, old, -1);
  countTypes(index, g, 1);
  await state.groups.save(groupId, g);
}

/**
 * A push that reached the store failed: the group keeps its series, and its
 * push_failure_time_seconds says when (server-made, so not counted as pushed samples). A group
 * that did not exist is created with push_time_seconds 0, as the Pushgateway does, so that
 * `push_failure_time_seconds > push_time_seconds` finds a job whose first push already failed.
 */
async function recordFailure(ctx: RequestContext, deps: WriteDeps, state: PushgatewayState, key: GroupingKey): Promise<void> {
  const groupId = JSON.stringify(key);
  const g = state.groups.get(groupId);
  const now = nextTime(state, groupId, g);
  const pushTime: Labels = ['__name__', PUSH_TIME, ...key];
  const failureTime: Labels = ['__name__', PUSH_FAILURE_TIME, ...key];
  const out = new BatchCollector();
  out.add(failureTime, now, now / 1000);
  if (!g) out.add(pushTime, now, 0);
  try {
    await deps.db(ctx).append(out.build());
  } catch (e) {
    if (e instanceof AppendError || e instanceof ApiError) return; // storage refuses writes right now: nothing to record into
    throw e;
  }
  state.lastWriteMs.set(groupId, now);
  const next: PushGroup = g ? { ...g, lastFailureMs: now } : {
    key, lastPushMs: 0, lastFailureMs: now, series: new Map([
      [JSON.stringify(pushTime), { labels: pushTime, family: PUSH_TIME, type: 'GAUGE' }],
      [JSON.stringify(failureTime), { labels: failureTime, family: PUSH_FAILURE_TIME, type: 'GAUGE' }],
    ]),
  };
  await saveGroup(state, groupId, next);
}

function metricName(ls: Labels): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === '__name__') return ls[i + 1];
  return '';
}
