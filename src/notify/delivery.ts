// Delivering one notification through one channel: attempts with exponential backoff until it
// succeeds, fails for good (a non-retryable ChannelError) or the flush's deadline passes (the next
// group_interval tick, at least 10 s, as in Alertmanager; a channel's own maxSendMs may extend an
// attempt beyond it), and the per-integration metrics.
//
// Metric names: Strata's own prefix, one-to-one with Alertmanager's (alertmanager_notifications_total
// -> strata_notifications_total, ...), same labels and buckets, so dashboards port by a rename.
// We do not export both names: a second copy of every series would only double the cardinality.
import { Counter, Histogram, Registry } from 'prom-client';
import { sleep, type Clock } from './clock.ts';
import { ChannelError, type Channel, type Notification } from './types.ts';

export interface DeliveryMetrics {
  notifications: Counter<'integration'>;
  notificationsFailed: Counter<'integration'>;
  requests: Counter<'integration'>;
  requestsFailed: Counter<'integration'>;
  latency: Histogram<'integration'>;
}

export function createDeliveryMetrics(registry: Registry): DeliveryMetrics {
  const r = [registry];
  const labelNames = ['integration'] as const;
  return {
    notifications: new Counter({ name: 'strata_notifications_total', help: 'Notifications attempted, per integration (each may take several requests).', labelNames, registers: r }),
    notificationsFailed: new Counter({ name: 'strata_notifications_failed_total', help: 'Notifications that could not be delivered before giving up, per integration.', labelNames, registers: r }),
    requests: new Counter({ name: 'strata_notification_requests_total', help: 'Delivery attempts (first tries and retries), per integration.', labelNames, registers: r }),
    requestsFailed: new Counter({ name: 'strata_notification_requests_failed_total', help: 'Delivery attempts that failed, per integration.', labelNames, registers: r }),
    latency: new Histogram({ name: 'strata_notification_latency_seconds', help: 'Duration of delivery attempts, per integration.', labelNames, buckets: [1, 5, 10, 15, 20], registers: r }),
  };
}

/** Shows every integration's series from the start (at 0), as Alertmanager does. */
export function initIntegrationMetrics(m: DeliveryMetrics, integration: string): void {
  m.notifications.inc({ integration }, 0);
  m.notificationsFailed.inc({ integration }, 0);
  m.requests.inc({ integration }, 0);
  m.requestsFailed.inc({ integration }, 0);
}

export interface RetryPolicy {
  initialMs: number;
  multiplier: number;
  maxMs: number;
  /** Each wait is randomised by ±factor. */
  randomization: number;
}

/** Alertmanager's (the Go backoff package's defaults): 0.5 s growing 1.5x to 60 s, ±50 %. */
export const DEFAULT_RETRY: RetryPolicy = { initialMs: 500, multiplier: 1.5, maxMs: 60_000, randomization: 0.5 };

export interface DeliverOptions {
  clock: Clock;
  /** ms since the epoch after which no further attempt is made. */
  deadline: number;
  /** Aborts waiting and the attempt in flight (shutdown). */
  signal: AbortSignal;
  metrics: DeliveryMetrics;
  retry?: RetryPolicy;
  random?: () => number;
  /** Told about each failed attempt (for logging). */
  onAttemptFailed?: (err: Error, attempt: number) => void;
}

/**
 * Delivers `n` through `ch`. Resolves when delivered (or nothing was left to deliver: only resolved
 * alerts for a channel without send_resolved); rejects with the last error when giving up.
 */
export async function deliver(ch: Channel, n: Notification, o: DeliverOptions): Promise<void> {
  const integration = ch.integration;
  o.metrics.notifications.inc({ integration });
  try {
    await attempts(ch, n, o);
  } catch (e) {
    o.metrics.notificationsFailed.inc({ integration });
    throw e;
  }
}

async function attempts(ch: Channel, n: Notification, o: DeliverOptions): Promise<void> {
  let toSend = n;
  if (!ch.sendResolved) {
    const firing = n.alerts.filter((a) => a.endsAt > n.now);
    if (firing.length === 0) return;
    toSend = { ...n, alerts: firing };
  }
  const policy = o.retry ?? DEFAULT_RETRY;
  const random = o.random ?? Math.random;
  const integration = ch.integration;
  let interval = policy.initialMs;
  for (let attempt = 1; ; attempt++) {
    if (o.signal.aborted) throw new Error('notification aborted');
    const start = o.clock.now();
    const t0 = performance.now();
    o.metrics.requests.inc({ integration });
    // The attempt is also cut off at the flush deadline (its own timeout is the channel's business),
    // unless the channel needs longer by design: a phone escalation that rings several numbers in
    // turn must not be cut by a short group_interval. Alertmanager has no such channel and cuts at
    // the deadline. The dispatcher's next tick waits for this flush, and the notification log
    // records only after success, so a long attempt neither overlaps the next flush nor pages twice.
    const cutoff = Math.max(o.deadline, start + (ch.maxSendMs ?? 0));
    const ac = new AbortController();
    const deadlineTimer = o.clock.after(cutoff - start, () => ac.abort(new Error('notification deadline passed')));
    try {
      await ch.send(toSend, AbortSignal.any([o.signal, ac.signal]));
      o.metrics.latency.observe({ integration }, (performance.now() - t0) / 1000);
      return;
    } catch (e) {
      o.metrics.latency.observe({ integration }, (performance.now() - t0) / 1000);
      o.metrics.requestsFailed.inc({ integration });
      const err = e instanceof Error ? e : new Error(String(e));
      o.onAttemptFailed?.(err, attempt);
      if (err instanceof ChannelError && !err.retryable) throw err;
      const wait = interval * (1 + policy.randomization * (2 * random() - 1));
      interval = Math.min(interval * policy.multiplier, policy.maxMs);
      if (o.clock.now() + wait >= o.deadline) throw err;
      await sleep(o.clock, wait, o.signal);
    } finally {
      deadlineTimer.cancel();
    }
  }
}
