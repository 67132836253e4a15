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
