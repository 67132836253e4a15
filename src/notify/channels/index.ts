// Notification channels: the receivers' *_configs (email, PagerDuty, webhook, Slack, and the
// Twilio-compatible phone channel), their config schema, template data and default templates.
export {
  DEFAULT_PAGERDUTY_DETAILS, defaultGlobalChannelSettings, globalChannelFields, receiverChannelFields,
} from './config.ts';
export type { GlobalChannelSettings, HTTPSettings, ReceiverChannelSettings } from './config.ts';
export { checkReceiverChannels, createReceiverChannels } from './receiver.ts';
export type { ChannelConfigProblem, ChannelDeps } from './receiver.ts';
export { GO_ZERO_TIME_MS, alertFingerprint, alertStatus, groupKeyHash, groupStatus, rfc3339, templateData } from './data.ts';
export type { KV, TemplateAlert, TemplateData } from './data.ts';
export { DEFAULT_TEMPLATES_NAME, addDefaultTemplates, defaultTemplatesText } from './templates.ts';
export type { TemplateSet } from './templates.ts';
export { webhookPayload } from './webhook.ts';
export type { WebhookPayload } from './webhook.ts';
