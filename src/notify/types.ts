// The notifier's shared vocabulary: the alert as the notifier holds it, and the seam between the
// dispatcher (which decides what to send, when, and to whom) and the channels (which deliver).
//
// Alertmanager's model is kept on purpose: users read its documentation, its webhook payload and
// its template data, and expect ours to match field for field.

/** Label or annotation names to values. */
export type LabelSet = Record<string, string>;

/** One alert as received (API v2 or the built-in rule evaluator) and kept by the notifier. */
export interface Alert {
  labels: LabelSet;
  annotations: LabelSet;
  /** ms since the epoch. */
  startsAt: number;
  /** ms since the epoch; for an alert still firing, when it resolves unless re-sent. */
  endsAt: number;
  generatorURL: string;
  /** ms since the epoch: when the notifier last received this alert. */
  updatedAt: number;
  /** endsAt was not given by the sender and was set from resolve_timeout. */
  timeout: boolean;
}

export type AlertStatus = 'firing' | 'resolved';

/** What a channel is asked to deliver: one aggregation group's alerts at one flush. */
export interface Notification {
  receiver: string;
  /** The aggregation group's key (route path and group labels), stable across restarts. */
  groupKey: string;
  groupLabels: LabelSet;
  /** Firing and resolved alerts of the group, already filtered by silences and inhibition. */
  alerts: Alert[];
  /** Where the notifier is reached by people (alert links, silence links). */
  externalURL: string;
  /** ms since the epoch: the flush time (decides firing vs resolved). */
  now: number;
}

/**
 * One configured delivery target: an entry of a receiver's *_configs list. Channels are created
 * from configuration once and reused for every notification.
 */
export interface Channel {
  /** Integration name as Alertmanager's metrics label it: email, pagerduty, webhook, slack, twilio... */
  readonly integration: string;
  /** Position within its receiver's list of that integration (Alertmanager's `idx`). */
  readonly index: number;
  /** Whether resolved notifications are sent (send_resolved). */
  readonly sendResolved: boolean;
  /**
   * How long one send may take by design (the phone channel's escalation through its numbers), in
   * ms. Delivery cuts an attempt at the later of the flush deadline and this; absent: the deadline.
   */
  readonly maxSendMs?: number;
  /**
   * Delivers the notification or throws a ChannelError. `signal` aborts at the channel's timeout
   * or shutdown. Must be safe to call again with the same notification after a failure.
   */
  send(n: Notification, signal: AbortSignal): Promise<void>;
}

/** A delivery that failed; `retryable` says whether trying again can help (5xx, network) or not (4xx). */
export class ChannelError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;
  constructor(message: string, retryable: boolean, status?: number) {
    super(message);
    this.name = 'ChannelError';
    this.retryable = retryable;
    this.status = status;
  }
}
