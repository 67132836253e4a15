// Test helpers for the notifier: a channel that records what it is asked to deliver (and can be
// told to fail), a silent logger, and a notifier on a fake clock built from YAML.
import pino from 'pino';
import type { Registry } from 'prom-client';
import { fakeClock, type FakeClock } from './clock.ts';
import type { ClusterOptions } from './cluster.ts';
import { parseNotifierConfig } from './config.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { fingerprint } from './labels.ts';
import { ChannelError, type Channel, type Notification } from './types.ts';

export const silentLogger = pino({ level: 'silent' });

export interface Delivery {
  receiver: string;
  integration: string;
  index: number;
  groupKey: string;
  at: number;
  firing: string[];
  resolved: string[];
}

/** Records deliveries of every channel it creates, in one shared list. */
export interface Recorder {
  deliveries: Delivery[];
  /** Number of further attempts that fail (retryably) before sends succeed again. */
  failNext: number;
  attempts: number;
  channel(receiver: string, integration?: string, index?: number, sendResolved?: boolean): Channel;
}

export function recorder(clock: { now(): number }): Recorder {
  const r: Recorder = {
    deliveries: [],
    failNext: 0,
    attempts: 0,
    channel(receiver, integration = 'webhook', index = 0, sendResolved = true) {
      return {
        integration, index, sendResolved,
        async send(n: Notification) {
          r.attempts++;
          if (r.failNext > 0) {
            r.failNext--;
            throw new ChannelError('HTTP 503', true, 503);
          }
          const name = (a: (typeof n.alerts)[number]) => a.labels.alertname ?? fingerprint(a.labels);
          r.deliveries.push({
            receiver, integration, index, groupKey: n.groupKey, at: clock.now(),
            firing: n.alerts.filter((a) => a.endsAt > n.now).map(name),
            resolved: n.alerts.filter((a) => a.endsAt <= n.now).map(name),
          });
        },
      };
    },
  };
  return r;
}

export interface TestNotifier {
  notifier: Notifier;
  clock: FakeClock;
  rec: Recorder;
}

export function testNotifier(yaml: string, o: { dataDir?: string; clock?: FakeClock; rec?: Recorder; cluster?: ClusterOptions; registry?: Registry } = {}): TestNotifier {
  const clock = o.clock ?? fakeClock();
  const rec = o.rec ?? recorder(clock);
  const config = parseNotifierConfig(yaml, 'am.yml');
  const notifier = createNotifier({
    config, dataDir: o.dataDir, registry: o.registry, logger: silentLogger, externalURL: 'http://strata.test', clock, cluster: o.cluster,
    createChannels: (r) => r.webhook_configs.map((c, i) => rec.channel(r.name, 'webhook', i, c.sendResolved)),
    random: () => 0.5,
  });
  return { notifier, clock, rec };
}

/** A firing alert as Prometheus posts it (endsAt a few evaluation intervals ahead). */
export function firing(labels: Record<string, string>, startsAt: number, endsAt = startsAt + 4 * 60_000) {
  return { labels, annotations: {}, startsAt: new Date(startsAt).toISOString(), endsAt: new Date(endsAt).toISOString(), generatorURL: 'http://prometheus.test/graph' };
}
