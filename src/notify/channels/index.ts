// Notification channels: the receivers' *_configs (email, PagerDuty, webhook, Slack, and the
// Twilio-compatible phone channel), their config schema, template data and default templates.
export {
  DEFAULT_PAGERDUTY_DETAILS, defaultGlobalChannelSettings, globalChannelFields, receiverChannelFields,
} from './config.ts';
export type { GlobalChannelSettings, HTTPSettings, ReceiverChannelSettings } from './config.ts';
export { checkReceiverChannels, createReceiverChannels } from './receiver.ts';
export type { ChannelConfigProblem, ChannelDeps } from './receiver.ts';
export { alertFingerprint, alertStatus, groupKeyHash, groupStatus, templateData } from './data.ts';
export type { KV, TemplateAlert, TemplateData } from './data.ts';
export { goTime, rfc3339 } from './gotime.ts';
export type { GoTime } from './gotime.ts';
export { DEFAULT_TEMPLATES_NAME, addDefaultTemplates, defaultTemplatesText } from './templates.ts';
export type { TemplateSet } from './templates.ts';
export { webhookPayload } from './webhook.ts';
export type { WebhookPayload } from './webhook.ts';
