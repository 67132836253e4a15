// Aggregation groups and their timing, as Alertmanager's dispatcher: each alert goes to the
// groups of the routes it matches (one group per route and group labels). A new group flushes
// after group_wait (at once if its first alert is older than that), then every group_interval;
// whether a flush actually sends anything is decided per integration by the notification log
// (new alerts, resolved alerts, or repeat_interval passed). A resolved alert is dropped from its
// group once a flush that carried it succeeded; empty groups are removed by periodic maintenance.
import { alertFingerprint, isResolved } from './alerts.ts';
import type { Clock, Timer } from './clock.ts';
import { compareAlerts, labelSetString } from './labels.ts';
import { groupLabels, matchRoutes, type Route } from './route.ts';
import type { Alert, LabelSet } from './types.ts';

export interface AggregationGroup {
  route: Route;
  labels: LabelSet;
  /** Alertmanager's group key: `<route key>:<group labels>`. */
  groupKey: string;
  alerts: Map<string, Alert>;
}

/**
 * Sends one flush of a group: the alerts (copies, sorted) as of `now`. Resolves true when every
 * integration succeeded or had nothing to do, false if some delivery failed (resolved alerts are
 * then kept and offered again at the next flush).
 */
export type FlushGroup = (group: AggregationGroup, alerts: Alert[], now: number) => Promise<boolean>;

export interface Dispatcher {
  /** Routes alerts (as stored, merged) into their groups. */
  process(alerts: readonly Alert[]): void;
  groups(): AggregationGroup[];
  /** Stops all timers; flushes in progress finish on their own. */
  stop(): void;
  /** Resolves when no flush is running (tests, shutdown). */
  idle(): Promise<void>;
}

/** Alertmanager's minimum time a flush may take for retries, when group_interval is shorter. */
export const MIN_FLUSH_TIMEOUT_MS = 10_000;
const MAINTENANCE_INTERVAL_MS = 30_000;

interface GroupState extends AggregationGroup {
  timer: Timer | undefined;
  hasFlushed: boolean;
  flushing: Promise<void> | undefined;
}

export function createDispatcher(route: Route, clock: Clock, flushGroup: FlushGroup, onError: (e: unknown) => void): Dispatcher {
  const byRoute = new Map<Route, Map<string, GroupState>>();
  let stopped = false;

  const schedule = (g: GroupState, ms: number) => {
    g.timer?.cancel();
    g.timer = clock.after(ms, () => {
      g.timer = undefined;
      g.flushing = runFlush(g).catch(onError).finally(() => {
        g.flushing = undefined;
      });
    });
  };

  const runFlush = async (g: GroupState) => {
    const now = clock.now();
    g.hasFlushed = true;
    const next = now + g.route.groupIntervalMs;
    try {
      await flush(g, now);
    } finally {
      // As Alertmanager's timer: the next tick is group_interval after this one began, or at once
      // if the flush took longer.
      if (!stopped) schedule(g, Math.max(0, next - clock.now()));
    }
  };

  const flush = async (g: GroupState, now: number) => {
    if (g.alerts.size === 0) return;
    const alerts: Alert[] = [];
    for (const a of g.alerts.values()) alerts.push({ ...a });
    alerts.sort(compareAlerts);
    const ok = await flushGroup(g, alerts, now);
    if (!ok) return;
    for (const a of alerts) {
      const fp = alertFingerprint(a);
      const current = g.alerts.get(fp);
      // Drop it only if it was not received again since this flush took its copy.
      if (current && isResolved(a, now) && current.updatedAt === a.updatedAt) g.alerts.delete(fp);
    }
  };

  const insert = (r: Route, a: Alert) => {
    // The group's identity within its route: the values of the group_by labels (a missing label
    // and an empty one are the same, as empty labels do not exist), or the alert's own
    // fingerprint for `...`. Cheaper than fingerprinting the group labels for every alert.
    const fp = r.groupByAll ? alertFingerprint(a) : r.groupBy.map((l) => a.labels[l] ?? '').join('\xff');
    let groups = byRoute.get(r);
    if (!groups) byRoute.set(r, (groups = new Map()));
    let g = groups.get(fp);
    if (!g) {
      const labels = groupLabels(r, a.labels);
      g = { route: r, labels, groupKey: `${r.key}:${labelSetString(labels)}`, alerts: new Map(), timer: undefined, hasFlushed: false, flushing: undefined };
      groups.set(fp, g);
      schedule(g, r.groupWaitMs);
    }
    g.alerts.set(alertFingerprint(a), a);
    // An alert older than group_wait need not wait for companions any more.
    if (!g.hasFlushed && !g.flushing && a.startsAt + r.groupWaitMs < clock.now()) schedule(g, 0);
  };

  let maintenance: Timer | undefined;
  const maintain = () => {
    for (const [r, groups] of byRoute) {
      for (const [fp, g] of groups) {
        if (g.alerts.size === 0 && !g.flushing) {
          g.timer?.cancel();
          groups.delete(fp);
        }
      }
      if (groups.size === 0) byRoute.delete(r);
    }
    if (!stopped) maintenance = clock.after(MAINTENANCE_INTERVAL_MS, maintain);
  };
  maintenance = clock.after(MAINTENANCE_INTERVAL_MS, maintain);

  return {
    process(alerts) {
      if (stopped) return;
      for (const a of alerts) for (const r of matchRoutes(route, a.labels)) insert(r, a);
    },
    groups() {
      const out: AggregationGroup[] = [];
      for (const groups of byRoute.values()) for (const g of groups.values()) if (g.alerts.size > 0) out.push(g);
      return out;
    },
    stop() {
      stopped = true;
      maintenance?.cancel();
      for (const groups of byRoute.values()) for (const g of groups.values()) g.timer?.cancel();
    },
    async idle() {
      const running: Promise<void>[] = [];
      for (const groups of byRoute.values()) for (const g of groups.values()) if (g.flushing) running.push(g.flushing);
      await Promise.all(running);
    },
  };
}
