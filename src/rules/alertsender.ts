// Sends the rules' alerts to external Alertmanagers (prometheus.yml's alerting section), as
// Prometheus' notifier does. Each alerting.alertmanagers entry is a set of Alertmanagers found by
// service discovery (static, file, HTTP, DNS: src/discovery) and relabel_configs, which keeps its
// discovered Alertmanagers across a reload that leaves it unchanged. Alerts get the external labels
// they lack, then alerting.alert_relabel_configs (an alert it drops is not sent at all); they wait
// in a bounded queue (oldest dropped and counted when full) and go out in batches, posted as JSON
// to every Alertmanager of every set concurrently, through an entry's own alert_relabel_configs
// first. As in Prometheus 3, a batch is delivered when each set that was sent to took it at one
// of its Alertmanagers at least: the Alertmanagers of one set are expected to run as a cluster
// that shares what one of them received (2.42 counted a batch delivered when any one took it).
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { AlertmanagerConfig, RelabelRule } from '../config/index.ts';
import { sharedDiscoveryMetrics, startDiscovery, type Discoverer, type DiscoveryEnv, type TargetGroup } from '../discovery/index.ts';
import { goRequestError, goUrlError, MAX_REDIRECTS, redirectFrom, send, tooManyRedirects, type Hop } from '../httpclient/index.ts';
import { compileRelabelRules, relabel, type CompiledRelabelRule } from '../ingest/index.ts';
import { labelsFromRecord, labelsToRecord } from '../model/index.ts';
import { createAlertmanagerClient, type AlertmanagerClient } from './alertsender-client.ts';
import { createAlertSenderMetrics, type AlertSenderMetrics } from './alertsender-metrics.ts';
import { alertmanagersFromGroup, type AlertmanagerEndpoint } from './alertsender-targets.ts';
import type { OutgoingAlert } from './group.ts';

export const QUEUE_CAPACITY = 10_000;
export const MAX_BATCH = 256;
const USER_AGENT = 'Strata';

export interface AlertSenderStats {
  /** Alerts of batches every set they were sent to took. */
  sent: number;
  /** Alerts a single Alertmanager failed to take, per Alertmanager. */
  errors: number;
  /** Alerts pushed out of a full queue, or of batches no set took. */
  dropped: number;
  queueLength: number;
}

/** What the sender reads from the config. */
export interface AlertSenderConfig {
  alertmanagers: readonly AlertmanagerConfig[];
  alertRelabelConfigs: readonly RelabelRule[];
}

/** The Alertmanagers the sender knows of, in config order: /api/v1/alertmanagers. */
export interface AlertmanagerList {
  active: AlertmanagerEndpoint[];
  dropped: AlertmanagerEndpoint[];
}

/** One alerting.alertmanagers entry with what discovery and relabelling made of it. */
interface AlertmanagerSet {
  readonly cfg: AlertmanagerConfig;
  /** The config as JSON: an unchanged entry keeps its set across a reload. */
  readonly key: string;
  readonly relabel: CompiledRelabelRule[];
  readonly alertRelabel: CompiledRelabelRule[];
  /** How its posts are made: credentials, TLS, proxy (its HTTP client settings). */
  readonly client: AlertmanagerClient;
  /** Target groups per discovery provider. */
  readonly groups: Map<string, TargetGroup[]>;
  active: AlertmanagerEndpoint[];
  dropped: AlertmanagerEndpoint[];
  discoverers: Discoverer[];
}

export class AlertSender {
  private sets: AlertmanagerSet[] = [];
  private alertRelabel: CompiledRelabelRule[] = [];
  private externalLabels: Record<string, string>;
  private readonly log: Logger;
  private readonly env: DiscoveryEnv;
  private queue: OutgoingAlert[] = [];
  private sending: Promise<void> | null = null;
  private readonly counters = { sent: 0, errors: 0, dropped: 0 };
  private readonly metrics: AlertSenderMetrics | undefined;

  /**
   * `env`: the DNS resolver and discovery metrics (default: the system's resolver, and the
   * registry's prometheus_sd_* counters); `registry`: where the prometheus_notifications_* metrics
   * go (the server's /metrics), and prometheus_sd_discovered_targets{name="notify"}.
   */
  constructor(cfg: AlertSenderConfig, externalLabels: Record<string, string>, log: Logger, env: Omit<DiscoveryEnv, 'log'> = {}, registry?: Registry) {
    this.externalLabels = externalLabels;
    this.log = log;
    const sd = registry && sharedDiscoveryMetrics(registry);
    // As Prometheus' notifier names its sets to its discovery manager: by their index.
    sd?.discovered('notify', () => this.sets.map((s, i) => [`config-${i}`, [...s.groups.values()].flat().reduce((n, g) => n + g.targets.length, 0)] as const));
    this.env = { metrics: sd?.counters, ...env, log };
    // Before the first update: static discovery reports its Alertmanagers right away.
    this.metrics = registry && createAlertSenderMetrics(registry, QUEUE_CAPACITY, {
      queueLength: () => this.queue.length,
      discovered: () => this.sets.reduce((n, s) => n + s.active.length, 0),
    });
    this.update(cfg, externalLabels);
  }

  /** Applies a (re)loaded config: new entries start discovering, removed ones stop, unchanged ones go on. */
  update(cfg: AlertSenderConfig, externalLabels: Record<string, string>): void {
    this.externalLabels = externalLabels;
    this.alertRelabel = compileRelabelRules(cfg.alertRelabelConfigs);
    const old = new Map<string, AlertmanagerSet[]>();
    for (const s of this.sets) old.set(s.key, [...(old.get(s.key) ?? []), s]);
    this.sets = cfg.alertmanagers.map((c) => {
      const key = JSON.stringify(c);
      const kept = old.get(key)?.shift();
      return kept ?? this.startSet(c, key);
    });
    const gone = [...old.values()].flat();
    for (const s of gone) for (const d of s.discoverers) d.stop();
    // A batch may be on its way through a removed set's tunnels: closed once it is done.
    if (gone.length > 0) void this.flush().then(() => gone.forEach((s) => s.client.close()));
    this.activeChanged();
  }

  private activeChanged(): void {
    this.metrics?.alertmanagers(this.sets.flatMap((s) => s.active.map((a) => a.url)));
  }

  /**
   * Stops discovery (queued alerts are still sent; see flush), then, once they are, closes the
   * connections kept open (proxy tunnels).
   */
  stop(): void {
    for (const s of this.sets) for (const d of s.discoverers) d.stop();
    const sets = this.sets;
    void this.flush().then(() => {
      for (const s of sets) s.client.close();
    });
  }

  stats(): AlertSenderStats {
    return { ...this.counters, queueLength: this.queue.length };
  }

  alertmanagers(): AlertmanagerList {
    return { active: this.sets.flatMap((s) => s.active), dropped: this.sets.flatMap((s) => s.dropped) };
  }

  /** Queues alerts for the configured Alertmanagers and starts sending in the background. */
  send(alerts: OutgoingAlert[]): void {
    if (this.sets.length === 0 || alerts.length === 0) return;
    for (const a of alerts) {
      const out = relabelAlert(a, this.alertRelabel, this.externalLabels);
      if (out !== null) this.queue.push(out);
    }
    const over = this.queue.length - QUEUE_CAPACITY;
    if (over > 0) {
      this.queue.splice(0, over);
      this.counters.dropped += over;
      this.metrics?.dropped(over);
      this.log.warn({ dropped: over }, 'alert queue full, dropping the oldest alerts');
    }
    if (this.queue.length === 0) return;
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  /** Resolves once everything queued so far was attempted. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private startSet(cfg: AlertmanagerConfig, key: string): AlertmanagerSet {
    const set: AlertmanagerSet = {
      cfg, key, relabel: compileRelabelRules(cfg.relabelConfigs), alertRelabel: compileRelabelRules(cfg.alertRelabelConfigs),
      client: createAlertmanagerClient(cfg), groups: new Map(), active: [], dropped: [], discoverers: [],
    };
    set.discoverers = startDiscovery(cfg, (provider, groups) => {
      set.groups.set(provider, groups);
      this.sync(set);
    }, this.env);
    return set;
  }

  /** Recomputes a set's Alertmanagers from its groups: active ones once per URL, dropped ones all. */
  private sync(set: AlertmanagerSet): void {
    const active: AlertmanagerEndpoint[] = [];
    const dropped: AlertmanagerEndpoint[] = [];
    const seen = new Set<string>();
    for (const group of [...set.groups.values()].flat()) {
      let found;
      try {
        found = alertmanagersFromGroup(group, set.cfg, set.relabel);
      } catch (e) {
        this.log.error({ group: group.source, err: (e as Error).message }, 'creating discovered Alertmanagers failed');
        continue;
      }
      for (const am of found.active) {
        if (seen.has(am.url)) continue;
        seen.add(am.url);
        active.push(am);
      }
      dropped.push(...found.dropped);
    }
    set.active = active;
    set.dropped = dropped;
    this.activeChanged();
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const begin = performance.now();
      const covered = await Promise.all(this.sets.map((s) => this.sendToSet(s, batch, begin)));
      const attempted = covered.filter((c) => c !== null);
      if (attempted.length > 0 && attempted.every(Boolean)) this.counters.sent += batch.length;
      else {
        this.counters.dropped += batch.length;
        this.metrics?.dropped(batch.length);
      }
    }
  }

  /** Whether one of the set's Alertmanagers took the batch; null when nothing was sent to the set. */
  private async sendToSet(set: AlertmanagerSet, batch: OutgoingAlert[], begin: number): Promise<boolean | null> {
    if (set.active.length === 0) return null;
    const alerts = set.alertRelabel.length === 0 ? batch : batch.flatMap((a) => relabelAlert(a, set.alertRelabel, {}) ?? []);
    if (alerts.length === 0) return null;
    const body = JSON.stringify(alerts.map(toAPI));
    const ok = await Promise.all(set.active.map(({ url }) => post(set.cfg, set.client, url, body).then(
      () => {
        this.metrics?.posted(url, (performance.now() - begin) / 1000, alerts.length, true);
        return true;
      },
      (e: unknown) => {
        this.counters.errors += alerts.length;
        this.metrics?.posted(url, (performance.now() - begin) / 1000, alerts.length, false);
        this.log.warn({ alertmanager: url, err: (e as Error).message, alerts: alerts.length }, 'sending alerts to Alertmanager failed');
        return false;
      },
    )));
    return ok.some(Boolean);
  }
}

/**
 * Posts a batch within the entry's timeout. Redirects are followed by Go's rules (307/308 repeat
 * the POST, 301/302/303 turn it into a GET without body) up to 10, with the credentials and
 * http_headers on every hop as Prometheus' client sends them; with follow_redirects: false a 3xx is
 * the answer and fails.
 */
async function post(cfg: AlertmanagerConfig, client: AlertmanagerClient, url: string, body: string): Promise<void> {
  const signal = AbortSignal.timeout(cfg.timeoutMs);
  let hop: Hop = { url: new URL(url), method: 'POST', body };
  for (let n = 0; ; n++) {
    let status: number;
    let statusText: string;
    let location: string;
    try {
      // The configured headers first: User-Agent and the body's are the sender's (http_headers
      // refuses them anyway, as Prometheus does).
      const headers: Record<string, string | string[]> = { ...await client.headers(signal), 'User-Agent': USER_AGENT };
      if (hop.body !== undefined) {
        headers['Content-Type'] = 'application/json';
        headers['Content-Length'] = String(Buffer.byteLength(hop.body));
      }
      const res = await send(hop.url, {
        method: hop.method, headers, body: hop.body, signal,
        tls: hop.url.protocol === 'https:' ? await client.tls() : undefined,
        agents: { tunnels: client.tunnels }, proxy: client.proxy, proxyConnectHeaders: client.proxyConnectHeaders,
      });
      // The answer's body is not used; read it so the connection can be reused.
      for await (const _ of res) { /* drain */ }
      status = res.statusCode ?? 0;
      statusText = res.statusMessage ?? '';
      location = String(res.headers.location ?? '');
    } catch (e) {
      // As Prometheus logs it: Go's url.Error around the cause.
      if (signal.aborted) throw new Error(goUrlError(hop.method, hop.url, 'context deadline exceeded'));
      throw new Error(goRequestError(hop.method, hop.url, e as Error));
    }
    const next = cfg.followRedirects ? redirectFrom(hop, status, location) : undefined;
    if (next === undefined) {
      if (status < 200 || status > 299) throw new Error(`bad response status ${`${status} ${statusText}`.trim()}`);
      return;
    }
    if (tooManyRedirects(n)) throw new Error(`Post ${JSON.stringify(location)}: stopped after ${MAX_REDIRECTS} redirects`);
    hop = next;
  }
}

/**
 * Prometheus' relabelAlerts: the external labels an alert lacks (or has empty) are added, then the
 * rules run over its labels; null when they drop it.
 */
export function relabelAlert(a: OutgoingAlert, rules: readonly CompiledRelabelRule[], ext: Record<string, string>): OutgoingAlert | null {
  const labels = { ...a.labels };
  for (const [k, v] of Object.entries(ext)) if (labels[k] === undefined || labels[k] === '') labels[k] = v;
  if (rules.length === 0) return { ...a, labels };
  const out = relabel(labelsFromRecord(labels), rules);
  return out === null ? null : { ...a, labels: labelsToRecord(out) };
}

function toAPI(a: OutgoingAlert) {
  return {
    labels: a.labels,
    annotations: a.annotations,
    startsAt: new Date(a.startsAt).toISOString(),
    endsAt: new Date(a.endsAt).toISOString(),
    generatorURL: a.generatorURL,
  };
}
