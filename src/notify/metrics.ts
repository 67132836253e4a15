// The notifier's state metrics beside the delivery ones (delivery.ts), one-to-one with
// Alertmanager's: alerts received and refused, alerts by state, silences by state, groups.
import { Counter, Gauge, type Registry } from 'prom-client';

export interface StateMetrics {
  alertsReceived: Counter<'status'>;
  alertsInvalid: Counter;
}

export interface StateSources {
  alertStates(): { active: number; suppressed: number };
  silenceStates(): { active: number; pending: number; expired: number };
  groups(): number;
}

export function createStateMetrics(registry: Registry, read: () => StateSources): StateMetrics {
  const r = [registry];
  const alertsReceived = new Counter({ name: 'strata_alerts_received_total', help: 'Alerts received by the notifier, by status when received.', labelNames: ['status'], registers: r });
  alertsReceived.inc({ status: 'firing' }, 0);
  alertsReceived.inc({ status: 'resolved' }, 0);
  const alertsInvalid = new Counter({ name: 'strata_alerts_invalid_total', help: 'Alerts refused by the notifier as invalid.', registers: r });
  new Gauge({
    name: 'strata_alerts', help: 'Alerts the notifier holds that are not resolved, by state.', labelNames: ['state'], registers: r,
    collect() {
      const s = read().alertStates();
      this.set({ state: 'active' }, s.active);
      this.set({ state: 'suppressed' }, s.suppressed);
    },
  });
  new Gauge({
    name: 'strata_silences', help: 'Silences by state.', labelNames: ['state'], registers: r,
    collect() {
      const s = read().silenceStates();
      for (const state of ['active', 'pending', 'expired'] as const) this.set({ state }, s[state]);
    },
  });
  new Gauge({
    name: 'strata_notifier_aggregation_groups', help: 'Aggregation groups the notifier holds.', registers: r,
    collect() {
      this.set(read().groups());
    },
  });
  return { alertsReceived, alertsInvalid };
}
