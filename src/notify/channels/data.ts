// The data notification templates execute on, shaped as Alertmanager's template.Data so that
// users' templates (`.CommonLabels.SortedPairs`, `.Alerts.Firing`, `.StartsAt.Format ...`) work
// unchanged. Methods are function-valued properties, which the template engine calls like Go
// methods; they are non-enumerable so that ranging over a label map yields only labels. Times are
// JS Dates, which the engine treats as Go's time.Time (.Format, .Unix, printing).
import { createHash } from 'node:crypto';
import type { Alert, AlertStatus, LabelSet, Notification } from '../types.ts';

export interface Pair {
  Name: string;
  Value: string;
}

/** Sorted name/value pairs with Names() and Values(). */
export type Pairs = Pair[] & { Names(): string[]; Values(): string[] };

/** A label or annotation map with Alertmanager's KV methods. */
export type KV = Record<string, string> & {
  SortedPairs(): Pairs;
  Names(): string[];
  Values(): string[];
  Remove(names: string[]): KV;
};

export interface TemplateAlert {
  Status: AlertStatus;
  Labels: KV;
  Annotations: KV;
  StartsAt: Date;
  /** Go's zero time while the alert is firing (Alertmanager hides a future end). */
  EndsAt: Date;
  GeneratorURL: string;
  Fingerprint: string;
}

export type TemplateAlerts = TemplateAlert[] & { Firing(): TemplateAlert[]; Resolved(): TemplateAlert[] };

export interface TemplateData {
  Receiver: string;
  Status: AlertStatus;
  Alerts: TemplateAlerts;
  GroupLabels: KV;
  CommonLabels: KV;
  CommonAnnotations: KV;
  ExternalURL: string;
}

function hidden<T extends object>(target: T, methods: Record<string, (...args: never[]) => unknown>): void {
  for (const [name, fn] of Object.entries(methods)) {
    Object.defineProperty(target, name, { value: fn, enumerable: false, writable: false, configurable: false });
  }
}

/** The KV of a label set: its pairs (own enumerable properties) plus the methods. */
export function kv(labels: LabelSet): KV {
  const names = Object.keys(labels).sort();
  const out = Object.create(null) as Record<string, string>;
  for (const n of names) out[n] = labels[n];
  hidden(out, {
    SortedPairs: () => pairs(names.map((n) => ({ Name: n, Value: labels[n] }))),
    Names: () => names.slice(),
    Values: () => names.map((n) => labels[n]),
    Remove: (drop: string[]) => {
      const gone = new Set(Array.isArray(drop) ? drop : [drop]);
      return kv(Object.fromEntries(names.filter((n) => !gone.has(n)).map((n) => [n, labels[n]])));
    },
  });
  return out as KV;
}

function pairs(ps: Pair[]): Pairs {
  hidden(ps, { Names: () => ps.map((p) => p.Name), Values: () => ps.map((p) => p.Value) });
  return ps as Pairs;
}

function alertList(as: TemplateAlert[]): TemplateAlerts {
  hidden(as, {
    Firing: () => alertList(as.filter((a) => a.Status === 'firing')),
    Resolved: () => alertList(as.filter((a) => a.Status === 'resolved')),
  });
  return as as TemplateAlerts;
}

/** Resolved once its end is reached; Alertmanager's Alert.Resolved at the flush time. */
export function alertStatus(a: Alert, now: number): AlertStatus {
  return a.endsAt > 0 && a.endsAt <= now ? 'resolved' : 'firing';
}

/** Go's zero time.Time (0001-01-01T00:00:00Z) in ms since the epoch. */
export const GO_ZERO_TIME_MS = -62135596800000;

/** RFC 3339 as Go's JSON encoding writes a UTC time: fractional seconds only when non-zero. */
export function rfc3339(t: Date): string {
  return t.toISOString().replace(/\.(\d{3})Z$/, (_, f: string) => (f === '000' ? 'Z' : `.${f.replace(/0+$/, '')}Z`));
}

/** The group's status: firing while any alert fires. */
export function groupStatus(n: Notification): AlertStatus {
  return n.alerts.some((a) => alertStatus(a, n.now) === 'firing') ? 'firing' : 'resolved';
}

export function templateAlert(a: Alert, now: number): TemplateAlert {
  const status = alertStatus(a, now);
  return {
    Status: status,
    Labels: kv(a.labels),
    Annotations: kv(a.annotations),
    StartsAt: new Date(a.startsAt),
    EndsAt: new Date(status === 'resolved' ? a.endsAt : GO_ZERO_TIME_MS),
    GeneratorURL: a.generatorURL,
    Fingerprint: alertFingerprint(a.labels),
  };
}

/** Template data for one notification (Alertmanager's template.Data). */
export function templateData(n: Notification): TemplateData {
  const alerts = n.alerts.map((a) => templateAlert(a, n.now));
  return {
    // Alertmanager escapes the receiver name for use as a regular expression (links match on it).
    Receiver: quoteMeta(n.receiver),
    Status: groupStatus(n),
    Alerts: alertList(alerts),
    GroupLabels: kv(n.groupLabels),
    CommonLabels: kv(common(n.alerts.map((a) => a.labels))),
    CommonAnnotations: kv(common(n.alerts.map((a) => a.annotations))),
    ExternalURL: n.externalURL,
  };
}

/** The pairs every set has with the same value. */
function common(sets: LabelSet[]): LabelSet {
  if (sets.length === 0) return {};
  const out: LabelSet = { ...sets[0] };
  for (const s of sets.slice(1)) {
    for (const k of Object.keys(out)) if (s[k] !== out[k]) delete out[k];
  }
  return out;
}

/** Go's regexp.QuoteMeta. */
export function quoteMeta(s: string): string {
  return s.replace(/[\\.+*?()|[\]{}^$]/g, '\\$&');
}

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;

/**
 * The alert's fingerprint as Alertmanager shows it: FNV-1a 64 over the sorted label names and
 * values, each followed by the byte 0xff, in 16 hex digits. Receivers deduplicate on it.
 */
export function alertFingerprint(labels: LabelSet): string {
  let h = FNV_OFFSET;
  const add = (bytes: Uint8Array) => {
    for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  };
  const sep = Uint8Array.of(0xff);
  const enc = new TextEncoder();
  for (const name of Object.keys(labels).sort()) {
    add(enc.encode(name));
    add(sep);
    add(enc.encode(labels[name]));
    add(sep);
  }
  return h.toString(16).padStart(16, '0');
}

/** PagerDuty's dedup key for a group: the hex SHA-256 of the group key, as Alertmanager sends it. */
export function groupKeyHash(groupKey: string): string {
  return createHash('sha256').update(groupKey).digest('hex');
}
