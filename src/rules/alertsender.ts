// Sends the rules' alerts to external Alertmanagers (prometheus.yml's alerting.alertmanagers), as
// Prometheus' notifier does: a bounded queue (oldest dropped and counted when full), batches posted
// as JSON to each Alertmanager's /api/v2/alerts concurrently, external labels added to alerts that
// lack them. A batch counts as delivered when at least one Alertmanager took it; Alertmanagers are
// expected to be run as a cluster that shares what one of them received.
import type { Logger } from 'pino';
import type { AlertmanagerTarget } from '../config/index.ts';
import type { OutgoingAlert } from './group.ts';

export const QUEUE_CAPACITY = 10_000;
export const MAX_BATCH = 256;

export interface AlertSenderStats {
  sent: number;
  errors: number;
  dropped: number;
  queueLength: number;
}

export class AlertSender {
  private targets: AlertmanagerTarget[];
  private externalLabels: Record<string, string>;
  private readonly log: Logger;
  private queue: OutgoingAlert[] = [];
  private sending: Promise<void> | null = null;
  private readonly counters = { sent: 0, errors: 0, dropped: 0 };

  constructor(targets: AlertmanagerTarget[], externalLabels: Record<string, string>, log: Logger) {
    this.targets = targets;
    this.externalLabels = externalLabels;
    this.log = log;
  }

  update(targets: AlertmanagerTarget[], externalLabels: Record<string, string>): void {
    this.targets = targets;
    this.externalLabels = externalLabels;
  }

  stats(): AlertSenderStats {
    return { ...this.counters, queueLength: this.queue.length };
  }

  /** Queues alerts for every configured Alertmanager and starts sending in the background. */
  send(alerts: OutgoingAlert[]): void {
    if (this.targets.length === 0 || alerts.length === 0) return;
    for (const a of alerts) this.queue.push(withExternalLabels(a, this.externalLabels));
    const over = this.queue.length - QUEUE_CAPACITY;
    if (over > 0) {
      this.queue.splice(0, over);
      this.counters.dropped += over;
      this.log.warn({ dropped: over }, 'alert queue full, dropping the oldest alerts');
    }
    this.sending ??= this.drain().finally(() => {
      this.sending = null;
    });
  }

  /** Resolves once everything queued so far was attempted. */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      const body = JSON.stringify(batch.map(toAPI));
      const urls = this.targets.flatMap((t) => t.targets.map((addr) => ({ t, url: `${t.scheme}://${addr}${t.pathPrefix.replace(/\/$/, '')}/api/v2/alerts` })));
      const results = await Promise.all(urls.map(({ t, url }) => post(t, url, body).then(
        () => true,
        (e: unknown) => {
          this.counters.errors += batch.length;
          this.log.warn({ url, err: (e as Error).message, alerts: batch.length }, 'sending alerts to Alertmanager failed');
          return false;
        },
      )));
      if (results.some(Boolean)) this.counters.sent += batch.length;
    }
  }
}

async function post(t: AlertmanagerTarget, url: string, body: string): Promise<void> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', 'User-Agent': 'Strata' };
  if (t.basicAuth) headers.Authorization = `Basic ${Buffer.from(`${t.basicAuth.username}:${t.basicAuth.password}`).toString('base64')}`;
  else if (t.authorization) headers.Authorization = t.authorization;
  const res = await fetch(url, { method: 'POST', headers, body, signal: AbortSignal.timeout(t.timeoutMs) });
  await res.arrayBuffer();
  if (res.status >= 300) throw new Error(`HTTP ${res.status}`);
}

function withExternalLabels(a: OutgoingAlert, ext: Record<string, string>): OutgoingAlert {
  const labels = { ...a.labels };
  for (const [k, v] of Object.entries(ext)) if (labels[k] === undefined || labels[k] === '') labels[k] = v;
  return { ...a, labels };
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
