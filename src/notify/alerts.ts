// The alerts the notifier knows, by fingerprint. Alerts are received again and again while they
// fire (every evaluation of the sending rule); each receipt is merged with what is known, as
// Alertmanager merges: the earliest start wins, and an explicit end time beats one that only came
// from resolve_timeout. Resolved alerts are dropped by gc() after a while.
import { fingerprint, LABEL_NAME_RE } from './labels.ts';
import type { Alert, LabelSet } from './types.ts';

/** An alert as posted to API v2 (`POST /api/v2/alerts`); times are RFC 3339 strings. */
export interface PostableAlert {
  labels: LabelSet;
  annotations?: LabelSet;
  startsAt?: string;
  endsAt?: string;
  generatorURL?: string;
}

const GO_ZERO_TIME_MS = Date.parse('0001-01-01T00:00:00Z');

export function isResolved(a: Alert, now: number): boolean {
  return a.endsAt <= now;
}

export function alertFingerprint(a: Alert): string {
  return fingerprint(a.labels);
}

/**
 * Turns a posted alert into the notifier's form, or returns the reason it is invalid. As in
 * Alertmanager: empty label values are dropped, a missing startsAt is now (or endsAt), a missing
 * endsAt is now + resolve_timeout and marks the alert as timing out.
 */
export function fromPostable(p: PostableAlert, now: number, resolveTimeoutMs: number): Alert | string {
  if (p === null || typeof p !== 'object' || p.labels === null || typeof p.labels !== 'object') return 'labels: expected a mapping of label names to values';
  const labels: LabelSet = {};
  for (const [k, v] of Object.entries(p.labels)) {
    if (typeof v !== 'string') return `labels.${k}: expected a string`;
    if (v === '') continue;
    if (!LABEL_NAME_RE.test(k)) return `invalid label name ${JSON.stringify(k)}`;
    labels[k] = v;
  }
  if (Object.keys(labels).length === 0) return 'at least one label pair required';
  const annotations: LabelSet = {};
  for (const [k, v] of Object.entries(p.annotations ?? {})) {
    if (typeof v !== 'string') return `annotations.${k}: expected a string`;
    if (!LABEL_NAME_RE.test(k)) return `invalid annotation name ${JSON.stringify(k)}`;
    annotations[k] = v;
  }
  const time = (s: string | undefined, field: string): number | string | undefined => {
    if (s === undefined || s === '') return undefined;
    const ms = typeof s === 'string' && /^\d{4}-\d\d-\d\dT/.test(s) ? Date.parse(s) : NaN;
    if (Number.isNaN(ms)) return `${field}: invalid RFC 3339 time ${JSON.stringify(s)}`;
    // Go's zero time means "not set", however it is spelt: amtool sends "0001-01-01T00:00:00.000Z".
    return ms === GO_ZERO_TIME_MS ? undefined : ms;
  };
  const starts = time(p.startsAt, 'startsAt');
  const ends = time(p.endsAt, 'endsAt');
  if (typeof starts === 'string') return starts;
  if (typeof ends === 'string') return ends;
  const startsAt = starts ?? ends ?? now;
  const timeout = ends === undefined;
  const endsAt = ends ?? now + resolveTimeoutMs;
  if (endsAt < startsAt) return 'start time must be before end time';
  return { labels, annotations, startsAt, endsAt, generatorURL: p.generatorURL ?? '', updatedAt: now, timeout };
}

/** Alertmanager's merge of two receipts of one alert; `b` is taken as the newer unless older by updatedAt. */
export function mergeAlerts(a: Alert, b: Alert, now: number): Alert {
  if (b.updatedAt < a.updatedAt) return mergeAlerts(b, a, now);
  const res: Alert = { ...b };
  if (a.startsAt < b.startsAt) res.startsAt = a.startsAt;
  if (isResolved(b, now)) {
    // Both resolved: the latest explicit end wins.
    if (isResolved(a, now) && a.endsAt > b.endsAt) res.endsAt = a.endsAt;
  } else if (a.endsAt > b.endsAt && !a.timeout) {
    // An explicit end time beats a timeout-derived one when it is later.
    res.endsAt = a.endsAt;
  }
  return res;
}

export interface AlertStore {
  /** Merges and stores the alerts; returns them as stored (merged), in input order. */
  put(alerts: Alert[]): Alert[];
  get(fp: string): Alert | undefined;
  list(): Alert[];
  /** Removes alerts resolved at `now`; returns their fingerprints. */
  gc(now: number): string[];
  size(): number;
}

export function createAlertStore(clock: { now(): number }): AlertStore {
  const alerts = new Map<string, Alert>();
  return {
    put(list) {
      const out: Alert[] = [];
      for (let a of list) {
        const fp = alertFingerprint(a);
        const old = alerts.get(fp);
        // Merge only when the activity ranges overlap; otherwise this is a new occurrence.
        if (old && ((a.endsAt > old.startsAt && a.endsAt < old.endsAt) || (a.startsAt > old.startsAt && a.startsAt < old.endsAt))) {
          a = mergeAlerts(old, a, clock.now());
        }
        alerts.set(fp, a);
        out.push(a);
      }
      return out;
    },
    get: (fp) => alerts.get(fp),
    list: () => [...alerts.values()],
    gc(now) {
      const gone: string[] = [];
      for (const [fp, a] of alerts) {
        if (isResolved(a, now)) {
          alerts.delete(fp);
          gone.push(fp);
        }
      }
      return gone;
    },
    size: () => alerts.size,
  };
}
