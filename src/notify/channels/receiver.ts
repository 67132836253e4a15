// From a receiver's parsed configuration to its channels: global fallbacks applied, and every
// channel wrapped the same way (resolved alerts dropped when send_resolved is false, the entry's
// own timeout added to the caller's signal).
import type { Logger } from 'pino';
import type { Channel, Notification } from '../types.ts';
import type { GlobalChannelSettings, ReceiverChannelSettings } from './config.ts';
import { alertStatus } from './data.ts';
import { emailChannel, resolveEmail } from './email.ts';
import { pagerdutyChannel, resolvePagerDuty } from './pagerduty.ts';
import { resolveSlack, slackChannel } from './slack.ts';
import type { TemplateSet } from './templates.ts';
import { resolveTwilio, twilioChannel } from './twilio.ts';
import { webhookChannel } from './webhook.ts';

export interface ChannelDeps {
  /** Text templates: the defaults (addDefaultTemplates) and the user's `templates:` files. */
  templates: TemplateSet;
  /** The same templates parsed for HTML (escaping), for email bodies; `templates` when absent. */
  htmlTemplates?: TemplateSet;
  logger: Logger;
  /** Where people reach the notifier; notifications carry their own copy, this is the fallback. */
  externalURL: string;
}

export interface ChannelConfigProblem {
  /** Path below the receiver, e.g. ['email_configs', 0, 'smarthost']. */
  path: (string | number)[];
  message: string;
}

/**
 * What is missing once the global settings are known (e.g. an email entry without smarthost
 * and no global smtp_smarthost), for the config loader to report with the receiver's position.
 */
export function checkReceiverChannels(receiver: ReceiverChannelSettings, global: GlobalChannelSettings): ChannelConfigProblem[] {
  const out: ChannelConfigProblem[] = [];
  const collect = (list: string, i: number, r: object | string[]) => {
    if (Array.isArray(r)) for (const message of r) out.push({ path: [list, i], message });
  };
  receiver.email_configs.forEach((c, i) => collect('email_configs', i, resolveEmail(c, global)));
  receiver.slack_configs.forEach((c, i) => collect('slack_configs', i, resolveSlack(c, global)));
  receiver.twilio_configs.forEach((c, i) => collect('twilio_configs', i, resolveTwilio(c, global)));
  return out;
}

/** The receiver's channels, in the order of its lists. Throws if checkReceiverChannels has problems. */
export function createReceiverChannels(receiver: { name: string } & ReceiverChannelSettings, global: GlobalChannelSettings, deps: ChannelDeps): Channel[] {
  const problems = checkReceiverChannels(receiver, global);
  if (problems.length > 0) {
    throw new Error(problems.map((p) => `receiver ${JSON.stringify(receiver.name)}: ${p.path.join('.')}: ${p.message}`).join('\n'));
  }
  const d = { templates: deps.templates, htmlTemplates: deps.htmlTemplates ?? deps.templates, logger: deps.logger };
  const wrap = (ch: Channel, timeoutMs: number) => guarded(ch, timeoutMs, deps.externalURL);
  const out: Channel[] = [];
  receiver.email_configs.forEach((c, i) => out.push(wrap(emailChannel(settled(resolveEmail(c, global)), i, d), 0)));
  receiver.pagerduty_configs.forEach((c, i) => out.push(wrap(pagerdutyChannel(resolvePagerDuty(c, global), i, d), c.timeoutMs)));
  receiver.webhook_configs.forEach((c, i) => out.push(wrap(webhookChannel({ ...c, httpConfig: c.httpConfig ?? global.http_config }, i), c.timeoutMs)));
  receiver.slack_configs.forEach((c, i) => out.push(wrap(slackChannel(settled(resolveSlack(c, global)), i, d), c.timeoutMs)));
  receiver.twilio_configs.forEach((c, i) => out.push(wrap(twilioChannel(settled(resolveTwilio(c, global)), i, d), c.timeoutMs)));
  return out;
}

/** An entry resolved against the global settings; checkReceiverChannels has ruled out problems. */
function settled<T extends object>(r: T | string[]): T {
  if (Array.isArray(r)) throw new Error(r.join('; '));
  return r;
}

/**
 * Alertmanager's rule for send_resolved: false drops the resolved alerts, and a notification left
 * with none firing is not sent (it succeeds). The dispatcher may filter too; doing it here as
 * well keeps each channel right on its own.
 */
function guarded(ch: Channel, timeoutMs: number, externalURL: string): Channel {
  return {
    integration: ch.integration,
    index: ch.index,
    sendResolved: ch.sendResolved,
    maxSendMs: ch.maxSendMs,
    async send(n: Notification, signal: AbortSignal) {
      let toSend = n.externalURL === '' ? { ...n, externalURL } : n;
      if (!ch.sendResolved) {
        const firing = toSend.alerts.filter((a) => alertStatus(a, n.now) === 'firing');
        if (firing.length === 0) return;
        if (firing.length !== toSend.alerts.length) toSend = { ...toSend, alerts: firing };
      }
      const s = timeoutMs > 0 ? AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]) : signal;
      await ch.send(toSend, s);
    },
  };
}
