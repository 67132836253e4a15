// webhook_configs: Alertmanager's webhook payload, version 4, POSTed as JSON. Receivers written
// for Alertmanager parse it unchanged: same field names, RFC 3339 times with Go's zero time for
// a firing alert's end, fingerprints as Alertmanager computes them.
import { readFileSync } from 'node:fs';
import { ChannelError, type Channel, type LabelSet, type Notification } from '../types.ts';
import type { HTTPSettings, WebhookSettings } from './config.ts';
import { rfc3339, templateData } from './data.ts';
import { SECRET_URL_PLACEHOLDER } from './fields.ts';
import { requestOK } from './http.ts';

export interface WebhookAlert {
  status: 'firing' | 'resolved';
  labels: LabelSet;
  annotations: LabelSet;
  startsAt: string;
  endsAt: string;
  generatorURL: string;
  fingerprint: string;
}

export interface WebhookPayload {
  receiver: string;
  status: 'firing' | 'resolved';
  alerts: WebhookAlert[];
  groupLabels: LabelSet;
  commonLabels: LabelSet;
  commonAnnotations: LabelSet;
  externalURL: string;
  version: '4';
  groupKey: string;
  truncatedAlerts: number;
}

/** The payload for a notification, keeping at most `maxAlerts` alerts (0: all). */
export function webhookPayload(n: Notification, maxAlerts: number): WebhookPayload {
  const kept = maxAlerts > 0 && n.alerts.length > maxAlerts ? n.alerts.slice(0, maxAlerts) : n.alerts;
  // As Alertmanager, the common labels and the status describe the alerts that are sent.
  const d = templateData({ ...n, alerts: kept });
  return {
    receiver: d.Receiver,
    status: d.Status,
    alerts: d.Alerts.map((a) => ({
      status: a.Status,
      labels: { ...a.Labels },
      annotations: { ...a.Annotations },
      startsAt: rfc3339(a.StartsAt),
      endsAt: rfc3339(a.EndsAt),
      generatorURL: a.GeneratorURL,
      fingerprint: a.Fingerprint,
    })),
    groupLabels: { ...d.GroupLabels },
    commonLabels: { ...d.CommonLabels },
    commonAnnotations: { ...d.CommonAnnotations },
    externalURL: d.ExternalURL,
    version: '4',
    groupKey: n.groupKey,
    truncatedAlerts: n.alerts.length - kept.length,
  };
}

export function webhookChannel(c: WebhookSettings & { httpConfig?: HTTPSettings }, index: number): Channel {
  return {
    integration: 'webhook',
    index,
    sendResolved: c.sendResolved,
    async send(n, signal) {
      const url = c.url ?? readURLFile(c.urlFile!);
      if (url === SECRET_URL_PLACEHOLDER) throw new ChannelError('webhook: url is "<secret>", the placeholder of a printed configuration, not a URL: set the URL', false);
      await requestOK({
        url,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(webhookPayload(n, c.maxAlerts)),
        httpConfig: c.httpConfig,
        signal,
      }, 'webhook');
    },
  };
}

function readURLFile(file: string): string {
  let url: string;
  try {
    url = readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ChannelError(`cannot read url_file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, false);
  }
  if (!/^https?:\/\//.test(url)) throw new ChannelError(`url_file ${file} does not hold an http(s) URL`, false);
  return url;
}
