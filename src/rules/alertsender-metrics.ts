// The alert sender's own metrics, under the names, labels and help texts of Prometheus' notifier
// (prometheus_notifications_*), so the dashboards and alerts people have for a Prometheus sending to
// Alertmanager (PrometheusNotConnectedToAlertmanagers, PrometheusErrorSendingAlertsToAnyAlertmanager
// and the like) work on Strata unchanged. Where Prometheus 3 counts differently from 2.42, they
// count as 3 does, as the sender delivers as 3 does (test/alertsender-metrics.test.ts compares
// them with a Prometheus 2.42 and names the differences):
// - errors_total counts the alerts of each failed post (2.42: the failed posts), hence 3's help text;
// - sent_total counts the alerts each Alertmanager took (2.42: those posted to it, taken or not).
import { Counter, Gauge, Summary, type Registry } from 'prom-client';

export interface AlertSenderMetrics {
  /**
   * One post to an Alertmanager ended: the seconds since its batch began to be sent (Prometheus
   * measures from there, so a slow Alertmanager shows in the others' latency too), the alerts it
   * carried, and whether the Alertmanager took them.
   */
  posted(alertmanager: string, seconds: number, alerts: number, ok: boolean): void;
  /** Alerts dropped: pushed out of a full queue, or in a batch not delivered. */
  dropped(alerts: number): void;
  /**
   * The active Alertmanagers' URLs now: the counters of a new one start at 0 (so rate() sees its
   * first error); those of one no longer active are removed, with its latency.
   */
  alertmanagers(urls: Iterable<string>): void;
}

/** What the gauges read from the sender when /metrics is collected. */
export interface AlertSenderGauges {
  queueLength(): number;
  /** Active Alertmanagers summed over the alerting.alertmanagers entries (one in two counts twice). */
  discovered(): number;
}

// client_golang's summary defaults, which Prometheus' notifier keeps: a 10 minute window in 5 buckets.
const WINDOW = { maxAgeSeconds: 600, ageBuckets: 5 } as const;

export function createAlertSenderMetrics(registry: Registry, queueCapacity: number, gauges: AlertSenderGauges): AlertSenderMetrics {
  const registers = [registry];
  const labelNames = ['alertmanager'] as const;
  const latency = new Summary({
    name: 'prometheus_notifications_latency_seconds',
    help: 'Latency quantiles for sending alert notifications.',
    labelNames,
    percentiles: [0.5, 0.9, 0.99],
    ...WINDOW,
    registers,
  });
  const errors = new Counter({
    name: 'prometheus_notifications_errors_total',
    help: 'Total number of sent alerts affected by errors.',
    labelNames,
    registers,
  });
  const sent = new Counter({
    name: 'prometheus_notifications_sent_total',
    help: 'Total number of alerts sent.',
    labelNames,
    registers,
  });
  const dropped = new Counter({
    name: 'prometheus_notifications_dropped_total',
    help: 'Total number of alerts dropped due to errors when sending to Alertmanager.',
    registers,
  });
  new Gauge({
    name: 'prometheus_notifications_queue_length',
    help: 'The number of alert notifications in the queue.',
    registers,
    collect() {
      this.set(gauges.queueLength());
    },
  });
  new Gauge({
    name: 'prometheus_notifications_queue_capacity',
    help: 'The capacity of the alert notifications queue.',
    registers,
  }).set(queueCapacity);
  new Gauge({
    name: 'prometheus_notifications_alertmanagers_discovered',
    help: 'The number of alertmanagers discovered and active.',
    registers,
    collect() {
      this.set(gauges.discovered());
    },
  });

  let known = new Set<string>();
  return {
    posted(alertmanager, seconds, alerts, ok) {
      (ok ? sent : errors).inc({ alertmanager }, alerts);
      latency.observe({ alertmanager }, seconds);
    },
    dropped(alerts) {
      dropped.inc(alerts);
    },
    alertmanagers(urls) {
      const now = new Set(urls);
      for (const u of now) {
        if (known.has(u)) continue;
        sent.inc({ alertmanager: u }, 0);
        errors.inc({ alertmanager: u }, 0);
      }
      for (const u of known) {
        if (now.has(u)) continue;
        sent.remove({ alertmanager: u });
        errors.remove({ alertmanager: u });
        latency.remove({ alertmanager: u });
      }
      known = now;
    },
  };
}
