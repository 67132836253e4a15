// The notifier assembled: alerts in, notifications out. Owns the alert store, the dispatcher, the
// inhibitor, silences, the notification log and the cluster link, and swaps the routing on reload
// while keeping alerts, silences and the log (so a reload never re-pages).
import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { createAlertStore, fromPostable, isResolved, type PostableAlert } from './alerts.ts';
import { gettableAlert, gettableSilence, type AlertGroupV2, type AlertStatusV2, type GettableAlert, type GettableSilence } from './apiv2.ts';
import { systemClock, type Clock, type Timer } from './clock.ts';
import { createCluster, DEFAULT_PEER_TIMEOUT_MS, type Cluster, type ClusterOptions, type GossipMessage } from './cluster.ts';
import type { NotifierConfig, ReceiverConfig } from './config.ts';
import { createDeliveryMetrics, initIntegrationMetrics, type RetryPolicy } from './delivery.ts';
import { createDispatcher, type Dispatcher } from './dispatcher.ts';
import { createStateMetrics } from './metrics.ts';
import { createInhibitor, type Inhibitor } from './inhibit.ts';
import { createNflog, type Nflog } from './nflog.ts';
import { flushGroup } from './pipeline.ts';
import { compareAlerts, labelSetBefore } from './labels.ts';
import { matchRoutes } from './route.ts';
import { createSilences, silenceState, type Silences } from './silences.ts';
import type { Alert, Channel, LabelSet } from './types.ts';

export interface NotifierOptions {
  config: NotifierConfig;
  /** Where silences and the notification log live; undefined keeps them in memory (tests only). */
  dataDir?: string;
  logger: Logger;
  /** Receives the strata_notification* metrics; a private registry when absent. */
  registry?: Registry;
  /** Other replicas sharing silences and the notification log. */
  cluster?: ClusterOptions;
  externalURL: string;
  clock?: Clock;
  /** The channels of a receiver (the roles pass channels/createReceiverChannels with templates). */
  createChannels: (receiver: ReceiverConfig, config: NotifierConfig) => Channel[];
  retry?: RetryPolicy;
  random?: () => number;
}

export interface Notifier {
  /** API v2 POST /alerts: valid alerts are taken; the errors say why others were not. */
  receive(alerts: PostableAlert[]): { accepted: number; errors: string[] };
  /** Alerts already in the notifier's form (the built-in rule evaluator). */
  put(alerts: Alert[]): void;
  alerts(): GettableAlert[];
  groups(): AlertGroupV2[];
  readonly silences: Silences;
  gettableSilences(): GettableSilence[];
  status(): { config: { original: string }; cluster: ReturnType<Cluster['status']> | null; /** When the notifier started (RFC 3339), as Alertmanager's status shows it. */
    uptime: string };
  /** Applies a new configuration; throws (keeping the old one) if its channels cannot be built. */
  reload(config: NotifierConfig): void;
  /** The gossip endpoint's handler (POST /api/strata/notify/gossip). */
  gossip(msg: GossipMessage): GossipMessage;
  /** Resolves when no flush is in progress (tests). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

const ALERT_GC_INTERVAL_MS = 30 * 60_000;
const MAINTENANCE_INTERVAL_MS = 15 * 60_000;

export function createNotifier(o: NotifierOptions): Notifier {
  const clock = o.clock ?? systemClock;
  const started = clock.now();
  const logger = o.logger;
  const registry = o.registry ?? new Registry();
  const metrics = createDeliveryMetrics(registry);
  const store = createAlertStore(clock);
  const silences = createSilences({ dir: o.dataDir, now: () => clock.now() });
  const nflog = createNflog({ dir: o.dataDir, now: () => clock.now() });
  const cluster = o.cluster && o.cluster.peers.length > 0 ? createCluster(o.cluster, nflog, silences, clock, logger) : undefined;
  const abort = new AbortController();

  // Like Alertmanager's gossip settling: no notification goes out before the first exchange with
  // the peers finished (or a peer timeout passed), so a replica starting with an empty log learns
  // what the others sent before it could send it again.
  let settled: Promise<void> = Promise.resolve();
  if (cluster) {
    settled = new Promise<void>((resolve) => {
      const t = clock.after(o.cluster?.peerTimeoutMs ?? DEFAULT_PEER_TIMEOUT_MS, resolve);
      void cluster.sync().finally(() => {
        t.cancel();
        resolve();
      });
    });
  }

  let config: NotifierConfig;
  let inhibitor: Inhibitor;
  let dispatcher: Dispatcher | undefined;
  let generation: AbortController | undefined;
  let stopped = false;

  const apply = (c: NotifierConfig) => {
    const channels = new Map<string, Channel[]>();
    for (const r of c.receivers) channels.set(r.name, o.createChannels(r, c));
    for (const list of channels.values()) for (const ch of list) initIntegrationMetrics(metrics, ch.integration);
    const nextInhibitor = createInhibitor(c.inhibitRules);
    nextInhibitor.observe(store.list());
    // Flushes of the previous routing are cut short, as Alertmanager cancels them on reload: the
    // new groups flush their (already old) alerts at once, and the log keeps that from repeating
    // what was delivered.
    dispatcher?.stop();
    generation?.abort();
    generation = new AbortController();
    config = c;
    inhibitor = nextInhibitor;
    const deps = {
      config: c, channels, inhibitor: nextInhibitor, silences, nflog, clock, metrics, logger,
      settled: () => settled, waitMs: cluster?.waitMs ?? 0, externalURL: o.externalURL, signal: AbortSignal.any([abort.signal, generation.signal]), retry: o.retry, random: o.random,
    };
    dispatcher = createDispatcher(c.route, clock, (g, alerts, now) => flushGroup(deps, g, alerts, now), (e) => logger.error({ err: (e as Error).message }, 'notifier: flush failed'));
    dispatcher.process(store.list());
  };
  apply(o.config);

  const timers: Timer[] = [];
  const every = (ms: number, fn: () => void) => {
    const loop = () => {
      try {
        fn();
      } catch (e) {
        logger.error({ err: (e as Error).message }, 'notifier: maintenance failed');
      }
      timers[i] = clock.after(ms, loop);
    };
    const i = timers.length;
    timers.push(clock.after(ms, loop));
  };
  every(ALERT_GC_INTERVAL_MS, () => inhibitor.forget(store.gc(clock.now())));
  every(MAINTENANCE_INTERVAL_MS, () => {
    silences.gc();
    nflog.maintain();
  });

  const stateMetrics = createStateMetrics(registry, () => ({
    alertStates() {
      const now = clock.now();
      const out = { active: 0, suppressed: 0 };
      for (const a of store.list()) if (!isResolved(a, now)) out[statusOf(a.labels, now).state === 'suppressed' ? 'suppressed' : 'active']++;
      return out;
    },
    silenceStates() {
      const now = clock.now();
      const out = { active: 0, pending: 0, expired: 0 };
      for (const s of silences.list()) out[silenceState(s, now)]++;
      return out;
    },
    groups: () => dispatcher!.groups().length,
  }));

  const put = (alerts: Alert[]) => {
    const now = clock.now();
    for (const a of alerts) stateMetrics.alertsReceived.inc({ status: isResolved(a, now) ? 'resolved' : 'firing' });
    const stored = store.put(alerts);
    inhibitor.observe(stored);
    dispatcher!.process(stored);
  };

  const statusOf = (labels: LabelSet, now: number): AlertStatusV2 => {
    const silencedBy = silences.mutedBy(labels);
    const by = inhibitor.inhibitedBy(labels, now);
    const inhibitedBy = by === undefined ? [] : [by];
    return { state: silencedBy.length + inhibitedBy.length > 0 ? 'suppressed' : 'active', silencedBy, inhibitedBy };
  };
  const receiversOf = (labels: LabelSet) => [...new Set(matchRoutes(config.route, labels).map((r) => r.receiver))];

  return {
    receive(list) {
      const now = clock.now();
      const ok: Alert[] = [];
      const errors: string[] = [];
      list.forEach((p, i) => {
        const a = fromPostable(p, now, config.global.resolveTimeoutMs);
        if (typeof a === 'string') {
          errors.push(`alert ${i}: ${a}`);
          stateMetrics.alertsInvalid.inc();
        } else {
          ok.push(a);
        }
      });
      if (ok.length > 0) put(ok);
      return { accepted: ok.length, errors };
    },
    put,
    alerts() {
      const now = clock.now();
      return store.list().filter((a) => !isResolved(a, now)).map((a) => gettableAlert(a, receiversOf(a.labels), statusOf(a.labels, now)));
    },
    groups() {
      const now = clock.now();
      // Alertmanager's order: groups by label set, then receiver; alerts as in notifications.
      const groups = dispatcher!.groups().sort((a, b) =>
        labelSetBefore(a.labels, b.labels) ? -1 : labelSetBefore(b.labels, a.labels) ? 1 : a.route.receiver < b.route.receiver ? -1 : a.route.receiver > b.route.receiver ? 1 : 0);
      // Resolved alerts still waiting for their notification are not shown (as in Alertmanager).
      const out: AlertGroupV2[] = [];
      for (const g of groups) {
        const alerts = [...g.alerts.values()].filter((a) => !isResolved(a, now)).sort(compareAlerts);
        if (alerts.length === 0) continue;
        out.push({ labels: g.labels, receiver: { name: g.route.receiver }, alerts: alerts.map((a) => gettableAlert(a, receiversOf(a.labels), statusOf(a.labels, now))) });
      }
      return out;
    },
    silences,
    gettableSilences() {
      const now = clock.now();
      return silences.list().map((s) => gettableSilence(s, now));
    },
    status() {
      return { config: { original: config.original }, cluster: cluster?.status() ?? null, uptime: new Date(started).toISOString() };
    },
    reload(c) {
      apply(c);
    },
    gossip(msg) {
      // After stop the log is closed: a late message is dropped (the peer heals us at our next start).
      if (!cluster || stopped) return { from: '', nflog: [], silences: [] };
      return cluster.receive(msg);
    },
    idle: () => dispatcher!.idle(),
    async stop() {
      if (stopped) return;
      stopped = true;
      abort.abort();
      dispatcher?.stop();
      cluster?.stop();
      for (const t of timers) t.cancel();
      await dispatcher?.idle();
      nflog.maintain();
      nflog.close();
    },
  };
}
