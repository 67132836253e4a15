// What one flush of a group goes through, in Alertmanager's order: inhibition, the route's active
// and mute time intervals, silences; then for each integration of the receiver, in parallel: the
// cluster wait, the notification-log check (needsUpdate), delivery with retries, and recording
// the delivered notification in the log.
import type { Logger } from 'pino';
import { alertFingerprint, isResolved } from './alerts.ts';
import { sleep, type Clock } from './clock.ts';
import type { NotifierConfig } from './config.ts';
import { deliver, type DeliveryMetrics, type RetryPolicy } from './delivery.ts';
import { MIN_FLUSH_TIMEOUT_MS, type AggregationGroup } from './dispatcher.ts';
import type { Inhibitor } from './inhibit.ts';
import { needsUpdate, type Nflog } from './nflog.ts';
import type { Silences } from './silences.ts';
import { containsTimeAny, type TimeInterval } from './timeinterval.ts';
import type { Alert, Channel, Notification } from './types.ts';

export interface PipelineDeps {
  config: NotifierConfig;
  channels: ReadonlyMap<string, readonly Channel[]>;
  inhibitor: Inhibitor;
  silences: Silences;
  nflog: Nflog;
  clock: Clock;
  metrics: DeliveryMetrics;
  /** The cluster wait of this replica (position × peer timeout); 0 alone. */
  waitMs: number;
  /** Resolves once the start-up exchange with the peers is over. */
  settled: () => Promise<void>;
  externalURL: string;
  logger: Logger;
  signal: AbortSignal;
  retry?: RetryPolicy;
  random?: () => number;
}

function intervals(config: NotifierConfig, names: readonly string[]): TimeInterval[] {
  return names.flatMap((n) => config.timeIntervals.get(n) ?? []);
}

/** The alerts of a flush that are neither inhibited, silenced, nor outside the route's times. */
export function unmutedAlerts(d: PipelineDeps, group: AggregationGroup, alerts: Alert[], now: number): Alert[] {
  let out = alerts.filter((a) => d.inhibitor.inhibitedBy(a.labels, now) === undefined);
  const r = group.route;
  if (r.activeTimeIntervals.length > 0 && !containsTimeAny(intervals(d.config, r.activeTimeIntervals), now)) return [];
  if (r.muteTimeIntervals.length > 0 && containsTimeAny(intervals(d.config, r.muteTimeIntervals), now)) return [];
  out = out.filter((a) => d.silences.mutedBy(a.labels).length === 0);
  return out;
}

export async function flushGroup(d: PipelineDeps, group: AggregationGroup, all: Alert[], now: number): Promise<boolean> {
  await d.settled();
  const alerts = unmutedAlerts(d, group, all, now);
  if (alerts.length === 0) return true;
  const receiver = group.route.receiver;
  const channels = d.channels.get(receiver) ?? [];
  const deadline = now + Math.max(group.route.groupIntervalMs, MIN_FLUSH_TIMEOUT_MS);
  const n: Notification = { receiver, groupKey: group.groupKey, groupLabels: group.labels, alerts, externalURL: d.externalURL, now };
  const firing = new Set<string>();
  const resolved = new Set<string>();
  for (const a of alerts) (isResolved(a, now) ? resolved : firing).add(alertFingerprint(a));

  const results = await Promise.all(channels.map(async (ch) => {
    const ri = { receiver, integration: ch.integration, index: ch.index };
    if (d.waitMs > 0) await sleep(d.clock, d.waitMs, d.signal);
    if (d.signal.aborted) return false;
    const entry = d.nflog.query(group.groupKey, ri);
    // Repeats are judged at the flush time, not after the cluster wait (Alertmanager uses the
    // latter): so every replica decides the same at a tick and the first one sends the repeat.
    if (!needsUpdate(entry, firing, resolved, ch.sendResolved, group.route.repeatIntervalMs, now)) return true;
    try {
      await deliver(ch, n, {
        clock: d.clock, deadline, signal: d.signal, metrics: d.metrics, retry: d.retry, random: d.random,
        onAttemptFailed: (err, attempt) => d.logger.warn({ receiver, integration: ch.integration, index: ch.index, groupKey: group.groupKey, attempt, err: err.message }, 'notifier: delivery attempt failed'),
      });
    } catch (e) {
      d.logger.error({ receiver, integration: ch.integration, index: ch.index, groupKey: group.groupKey, err: (e as Error).message }, 'notifier: notification not delivered');
      return false;
    }
    d.nflog.log(group.groupKey, ri, [...firing], [...resolved]);
    return true;
  }));
  return results.every(Boolean);
}
