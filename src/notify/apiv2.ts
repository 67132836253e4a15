// Alertmanager API v2 shapes of what the notifier holds (alerts, groups, silences), so the HTTP
// layer only serialises: times as RFC 3339, fingerprints as 16 hex digits, statuses as Alertmanager
// names them.
import { fingerprint } from './labels.ts';
import { silenceState, type Silence, type SilenceMatcher, type SilenceState } from './silences.ts';
import type { Alert, LabelSet } from './types.ts';

export interface AlertStatusV2 {
  state: 'unprocessed' | 'active' | 'suppressed';
  silencedBy: string[];
  inhibitedBy: string[];
}

export interface GettableAlert {
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  generatorURL: string;
  fingerprint: string;
  receivers: { name: string }[];
  status: AlertStatusV2;
}

export interface AlertGroupV2 {
  labels: LabelSet;
  receiver: { name: string };
  alerts: GettableAlert[];
}

export interface GettableSilence {
  id: string;
  matchers: SilenceMatcher[];
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  createdBy: string;
  comment: string;
  status: { state: SilenceState };
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString();
}

export function gettableAlert(a: Alert, receivers: string[], status: AlertStatusV2): GettableAlert {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAt: rfc3339(a.startsAt),
    endsAt: rfc3339(a.endsAt),
    updatedAt: rfc3339(a.updatedAt),
    generatorURL: a.generatorURL,
    fingerprint: fingerprint(a.labels),
    receivers: receivers.map((name) => ({ name })),
    status,
  };
}

export function gettableSilence(s: Silence, now: number): GettableSilence {
  return {
    id: s.id,
    matchers: s.matchers,
    startsAt: rfc3339(s.startsAt),
    endsAt: rfc3339(s.endsAt),
    updatedAt: rfc3339(s.updatedAt),
    createdBy: s.createdBy,
    comment: s.comment,
    status: { state: silenceState(s, now) },
  };
}

/** A silence as POST /api/v2/silences takes it, times in ms. */
export interface PostableSilence {
  id?: string;
  matchers: SilenceMatcher[];
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
}

/**
 * Why a request body is not a postable silence, as Alertmanager's API layer answers before its own
 * checks: 400 for what does not decode (a field of the wrong type, a time that is not RFC 3339),
 * 422 with code 602 for a required field that is missing or null and 612 for an empty matcher list.
 */
export interface SilenceBodyError {
  status: 400 | 422;
  code: number;
  message: string;
}

// Fields as API v2's spec has them: all required but id and isEqual (which defaults to true); an
// empty string is present. Decoding errors come first, then the missing fields in the order
// Alertmanager reports them (its generated validation goes by field name).
export function parsePostableSilence(body: unknown): PostableSilence | SilenceBodyError {
  const decodeError = (message: string): SilenceBodyError => ({ status: 400, code: 400, message: `parsing silence body failed: ${message}` });
  if (body === null || body === undefined) body = {};
  if (typeof body !== 'object' || Array.isArray(body)) return decodeError(`expected a JSON object, got ${jsonType(body)}`);
  const b = body as Record<string, unknown>;
  const present = (v: unknown) => v !== undefined && v !== null;
  for (const k of ['id', 'createdBy', 'comment'] as const) {
    if (present(b[k]) && typeof b[k] !== 'string') return decodeError(`${k}: expected a string, got ${jsonType(b[k])}`);
  }
  const times: Record<'startsAt' | 'endsAt', number> = { startsAt: NaN, endsAt: NaN };
  for (const k of ['startsAt', 'endsAt'] as const) {
    if (!present(b[k])) continue;
    const t = typeof b[k] === 'string' ? parseRFC3339(b[k]) : NaN;
    if (Number.isNaN(t)) return decodeError(`${k}: expected an RFC 3339 time such as 2006-01-02T15:04:05Z, got ${JSON.stringify(b[k])}`);
    times[k] = t;
  }
  if (present(b.matchers) && !Array.isArray(b.matchers)) return decodeError(`matchers: expected a list of matchers, got ${jsonType(b.matchers)}`);
  const matchers = (b.matchers ?? []) as unknown[];
  for (const [i, m] of matchers.entries()) {
    if (m === null || typeof m !== 'object' || Array.isArray(m)) return decodeError(`matchers.${i}: expected a matcher object, got ${jsonType(m)}`);
    const mm = m as Record<string, unknown>;
    for (const k of ['name', 'value'] as const) {
      if (present(mm[k]) && typeof mm[k] !== 'string') return decodeError(`matchers.${i}.${k}: expected a string, got ${jsonType(mm[k])}`);
    }
    for (const k of ['isRegex', 'isEqual'] as const) {
      if (present(mm[k]) && typeof mm[k] !== 'boolean') return decodeError(`matchers.${i}.${k}: expected true or false, got ${jsonType(mm[k])}`);
    }
  }
  const required = (field: string): SilenceBodyError => ({ status: 422, code: 602, message: `${field} in body is required` });
  if (!present(b.comment)) return required('comment');
  if (!present(b.createdBy)) return required('createdBy');
  if (!present(b.endsAt)) return required('endsAt');
  if (!present(b.matchers)) return required('matchers');
  if (matchers.length === 0) return { status: 422, code: 612, message: 'matchers in body should have at least 1 items' };
  for (const [i, m] of (matchers as Record<string, unknown>[]).entries()) {
    for (const k of ['isRegex', 'name', 'value']) if (!present(m[k])) return required(`matchers.${i}.${k}`);
  }
  if (!present(b.startsAt)) return required('startsAt');
  return {
    id: typeof b.id === 'string' && b.id !== '' ? b.id : undefined,
    matchers: (matchers as Record<string, unknown>[]).map((m) => ({ name: m.name as string, value: m.value as string, isRegex: m.isRegex as boolean, isEqual: m.isEqual !== false })),
    startsAt: times.startsAt,
    endsAt: times.endsAt,
    createdBy: b.createdBy as string,
    comment: b.comment as string,
  };
}

export function isSilenceBodyError(x: PostableSilence | SilenceBodyError): x is SilenceBodyError {
  return 'status' in x;
}

// RFC 3339 only (JavaScript's Date.parse also takes "2026-11-26" or "Nov 26 2026", which
// Alertmanager refuses); fractions beyond milliseconds are cut.
const RFC3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}:\d{2}:\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:?\d{2})$/;

export function parseRFC3339(s: string): number {
  const m = RFC3339.exec(s);
  if (!m) return NaN;
  const zone = m[4] === 'z' || m[4] === 'Z' ? 'Z' : m[4].length === 5 ? `${m[4].slice(0, 3)}:${m[4].slice(3)}` : m[4];
  const frac = m[3] === undefined ? '' : `.${m[3].slice(0, 3).padEnd(3, '0')}`;
  return Date.parse(`${m[1]}T${m[2]}${frac}${zone}`);
}

function jsonType(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${JSON.stringify(v)}`;
}
