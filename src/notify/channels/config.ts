// The channel sections of an Alertmanager configuration: a receiver's *_configs lists and the
// `global` settings they fall back on. Field names and defaults are Alertmanager's, so an
// alertmanager.yml works unchanged; `twilio_configs` (voice calls and SMS) is Strata's own.
//
// Keys are snake_case in the file and camelCase after parsing. Settings that fall back on a
// global value stay undefined here and are resolved in resolve.ts, where the global section is known.
import * as z from 'zod';
import { bool, duration, list, nonNegativeInt, optBool, optStr, optURL, section, str, stringMap } from './fields.ts';

const tlsConfig = section({
  ca_file: str(),
  cert_file: str(),
  key_file: str(),
  server_name: str(),
  insecure_skip_verify: bool(false),
  min_version: z.enum(['TLS10', 'TLS11', 'TLS12', 'TLS13']).optional(),
}).superRefine((t, ctx) => {
  if ((t.cert_file === '') !== (t.key_file === '')) ctx.addIssue({ code: 'custom', message: 'cert_file and key_file must be given together' });
}).transform((t) => ({
  caFile: t.ca_file, certFile: t.cert_file, keyFile: t.key_file, serverName: t.server_name,
  insecureSkipVerify: t.insecure_skip_verify, minVersion: t.min_version,
}));
export type TLSSettings = z.output<typeof tlsConfig>;

// The part of Prometheus' HTTP client settings the channels honour; the other fields
// (proxy_url, oauth2, follow_redirects...) are refused rather than silently ignored.
const httpConfig = section({
  basic_auth: section({ username: str(), password: str(), password_file: str() }).optional(),
  authorization: section({ type: str('Bearer'), credentials: str(), credentials_file: str() }).optional(),
  bearer_token: str(),
  bearer_token_file: str(),
  tls_config: tlsConfig.optional(),
}).superRefine((h, ctx) => {
  const auths = [h.basic_auth !== undefined, h.authorization !== undefined, h.bearer_token !== '' || h.bearer_token_file !== ''].filter(Boolean).length;
  if (auths > 1) ctx.addIssue({ code: 'custom', message: 'at most one of basic_auth, authorization and bearer_token may be set' });
  if (h.basic_auth && h.basic_auth.password !== '' && h.basic_auth.password_file !== '') ctx.addIssue({ code: 'custom', path: ['basic_auth'], message: 'at most one of password and password_file may be set' });
  if (h.authorization && h.authorization.credentials !== '' && h.authorization.credentials_file !== '') ctx.addIssue({ code: 'custom', path: ['authorization'], message: 'at most one of credentials and credentials_file may be set' });
  if (h.authorization && h.authorization.type.toLowerCase() === 'basic') ctx.addIssue({ code: 'custom', path: ['authorization', 'type'], message: 'authorization type cannot be Basic; use basic_auth' });
}).transform((h): HTTPSettings => {
  let authorization: HTTPSettings['authorization'];
  if (h.authorization) authorization = { type: h.authorization.type, credentials: h.authorization.credentials, credentialsFile: h.authorization.credentials_file };
  else if (h.bearer_token !== '' || h.bearer_token_file !== '') authorization = { type: 'Bearer', credentials: h.bearer_token, credentialsFile: h.bearer_token_file };
  return {
    basicAuth: h.basic_auth && { username: h.basic_auth.username, password: h.basic_auth.password, passwordFile: h.basic_auth.password_file },
    authorization,
    tlsConfig: h.tls_config,
  };
});

export interface HTTPSettings {
  basicAuth?: { username: string; password: string; passwordFile: string };
  authorization?: { type: string; credentials: string; credentialsFile: string };
  tlsConfig?: TLSSettings;
}

const emailConfig = section({
  send_resolved: bool(false),
  to: str(),
  from: optStr(),
  hello: optStr(),
  smarthost: optStr(),
  auth_username: optStr(),
  auth_password: optStr(),
  auth_password_file: optStr(),
  auth_secret: optStr(),
  auth_identity: optStr(),
  require_tls: optBool(),
  tls_config: tlsConfig.optional(),
  headers: stringMap(),
  html: str('{{ template "email.default.html" . }}'),
  text: str(),
}).superRefine((c, ctx) => {
  if (c.to === '') ctx.addIssue({ code: 'custom', path: ['to'], message: 'missing to address in email config' });
  if (c.smarthost !== undefined && !isHostPort(c.smarthost)) ctx.addIssue({ code: 'custom', path: ['smarthost'], message: `expected host:port, got ${JSON.stringify(c.smarthost)}` });
  if (c.auth_password !== undefined && c.auth_password_file !== undefined) ctx.addIssue({ code: 'custom', path: ['auth_password_file'], message: 'at most one of auth_password and auth_password_file may be set' });
  // Header names are case-insensitive: "subject" and "Subject" would both set the subject.
  const seen = new Set<string>();
  for (const h of Object.keys(c.headers ?? {})) {
    const norm = canonicalHeader(h);
    if (seen.has(norm)) ctx.addIssue({ code: 'custom', path: ['headers', h], message: `duplicate header ${JSON.stringify(norm)} in email config` });
    seen.add(norm);
  }
}).transform((c) => ({
  sendResolved: c.send_resolved, to: c.to, from: c.from, hello: c.hello, smarthost: c.smarthost,
  authUsername: c.auth_username, authPassword: c.auth_password, authPasswordFile: c.auth_password_file,
  authSecret: c.auth_secret, authIdentity: c.auth_identity, requireTLS: c.require_tls, tlsConfig: c.tls_config,
  headers: Object.fromEntries(Object.entries(c.headers ?? {}).map(([k, v]) => [canonicalHeader(k), v])),
  html: c.html, text: c.text,
}));
export type EmailSettings = z.output<typeof emailConfig>;

const pagerdutyConfig = section({
  send_resolved: bool(true),
  http_config: httpConfig.optional(),
  routing_key: str(),
  routing_key_file: str(),
  service_key: str(),
  service_key_file: str(),
  url: optURL(),
  client: str('{{ template "pagerduty.default.client" . }}'),
  client_url: str('{{ template "pagerduty.default.clientURL" . }}'),
  description: str('{{ template "pagerduty.default.description" .}}'),
  details: stringMap(),
  images: list(section({ src: str(), alt: str(), href: str() })),
  links: list(section({ href: str(), text: str() })),
  source: str(),
  severity: str('error'),
  class: str(),
  component: str(),
  group: str(),
  timeout: duration('0'),
}).superRefine((c, ctx) => {
  if (c.routing_key === '' && c.routing_key_file === '' && c.service_key === '' && c.service_key_file === '') {
    ctx.addIssue({ code: 'custom', message: 'missing service or routing key in PagerDuty config' });
  }
  if (c.routing_key !== '' && c.routing_key_file !== '') ctx.addIssue({ code: 'custom', path: ['routing_key_file'], message: 'at most one of routing_key and routing_key_file may be set' });
  if (c.service_key !== '' && c.service_key_file !== '') ctx.addIssue({ code: 'custom', path: ['service_key_file'], message: 'at most one of service_key and service_key_file may be set' });
}).transform((c) => ({
  sendResolved: c.send_resolved, httpConfig: c.http_config,
  routingKey: c.routing_key, routingKeyFile: c.routing_key_file, serviceKey: c.service_key, serviceKeyFile: c.service_key_file,
  url: c.url, client: c.client, clientURL: c.client_url, description: c.description,
  // As Alertmanager: the default details are added unless the user's details name them.
  details: { ...DEFAULT_PAGERDUTY_DETAILS, ...c.details },
  images: c.images, links: c.links,
  // An unset source is the client (Alertmanager's rule).
  source: c.source === '' ? c.client : c.source,
  severity: c.severity, class: c.class, component: c.component, group: c.group, timeoutMs: c.timeout,
}));
export type PagerDutySettings = z.output<typeof pagerdutyConfig>;

export const DEFAULT_PAGERDUTY_DETAILS: Record<string, string> = {
  firing: '{{ template "pagerduty.default.instances" .Alerts.Firing }}',
  resolved: '{{ template "pagerduty.default.instances" .Alerts.Resolved }}',
  num_firing: '{{ .Alerts.Firing | len }}',
  num_resolved: '{{ .Alerts.Resolved | len }}',
};

const webhookConfig = section({
  send_resolved: bool(true),
  http_config: httpConfig.optional(),
  url: optURL(),
  url_file: optStr(),
  max_alerts: nonNegativeInt(0),
  timeout: duration('0'),
}).superRefine((c, ctx) => {
  if (c.url === undefined && c.url_file === undefined) ctx.addIssue({ code: 'custom', message: 'one of url or url_file must be configured' });
  if (c.url !== undefined && c.url_file !== undefined) ctx.addIssue({ code: 'custom', message: 'at most one of url and url_file may be set' });
}).transform((c) => ({
  sendResolved: c.send_resolved, httpConfig: c.http_config, url: c.url, urlFile: c.url_file,
  maxAlerts: c.max_alerts, timeoutMs: c.timeout,
}));
export type WebhookSettings = z.output<typeof webhookConfig>;

const slackField = section({ title: str(), value: str(), short: optBool() }).superRefine((f, ctx) => {
  if (f.title === '') ctx.addIssue({ code: 'custom', path: ['title'], message: 'missing title in Slack field configuration' });
  if (f.value === '') ctx.addIssue({ code: 'custom', path: ['value'], message: 'missing value in Slack field configuration' });
});

const slackAction = section({
  type: str(), text: str(), url: str(), style: str(), name: str(), value: str(),
  confirm: section({ text: str(), title: str(), ok_text: str(), dismiss_text: str() }).optional(),
}).superRefine((a, ctx) => {
  if (a.type === '') ctx.addIssue({ code: 'custom', path: ['type'], message: 'missing type in Slack action configuration' });
  if (a.text === '') ctx.addIssue({ code: 'custom', path: ['text'], message: 'missing text in Slack action configuration' });
  if (a.url === '' && a.name === '') ctx.addIssue({ code: 'custom', message: 'missing name or url in Slack action configuration' });
  if (a.confirm && a.confirm.text === '') ctx.addIssue({ code: 'custom', path: ['confirm', 'text'], message: 'missing text in Slack confirmation configuration' });
}).transform((a) => ({
  type: a.type, text: a.text, url: a.url,
  style: a.style,
  // A URL button is a link; a named one is an interactive message action (Slack's two kinds).
  name: a.url !== '' ? '' : a.name,
  value: a.url !== '' ? '' : a.value,
  confirm: a.url !== '' || !a.confirm ? undefined : { text: a.confirm.text, title: a.confirm.title, okText: a.confirm.ok_text, dismissText: a.confirm.dismiss_text },
}));

const slackConfig = section({
  send_resolved: bool(false),
  http_config: httpConfig.optional(),
  api_url: optURL(),
  api_url_file: optStr(),
  channel: str(),
  username: str('{{ template "slack.default.username" . }}'),
  color: str('{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}'),
  title: str('{{ template "slack.default.title" . }}'),
  title_link: str('{{ template "slack.default.titlelink" . }}'),
  pretext: str('{{ template "slack.default.pretext" . }}'),
  text: str('{{ template "slack.default.text" . }}'),
  fields: list(slackField),
  short_fields: bool(false),
  footer: str('{{ template "slack.default.footer" . }}'),
  fallback: str('{{ template "slack.default.fallback" . }}'),
  callback_id: str('{{ template "slack.default.callbackid" . }}'),
  icon_emoji: str('{{ template "slack.default.iconemoji" . }}'),
  icon_url: str('{{ template "slack.default.iconurl" . }}'),
  image_url: str(),
  thumb_url: str(),
  link_names: bool(false),
  mrkdwn_in: list(z.string()).transform((m) => (m.length === 0 ? ['fallback', 'pretext', 'text'] : m)),
  actions: list(slackAction),
  timeout: duration('0'),
}).superRefine((c, ctx) => {
  if (c.api_url !== undefined && c.api_url_file !== undefined) ctx.addIssue({ code: 'custom', message: 'at most one of api_url and api_url_file may be set' });
}).transform((c) => ({
  sendResolved: c.send_resolved, httpConfig: c.http_config, apiURL: c.api_url, apiURLFile: c.api_url_file,
  channel: c.channel, username: c.username, color: c.color, title: c.title, titleLink: c.title_link,
  pretext: c.pretext, text: c.text, fields: c.fields, shortFields: c.short_fields, footer: c.footer,
  fallback: c.fallback, callbackID: c.callback_id, iconEmoji: c.icon_emoji, iconURL: c.icon_url,
  imageURL: c.image_url, thumbURL: c.thumb_url, linkNames: c.link_names, mrkdwnIn: c.mrkdwn_in,
  actions: c.actions, timeoutMs: c.timeout,
}));
export type SlackSettings = z.output<typeof slackConfig>;

// Strata's phone channel through a Twilio-compatible REST API. See docs/alerting-channels.md.
const phoneNumbers = z.unknown().optional().transform((v, ctx): string[] => {
  const xs = typeof v === 'string' ? [v] : Array.isArray(v) ? v : null;
  if (xs === null || xs.length === 0 || !xs.every((x) => typeof x === 'string' && x.trim() !== '')) {
    ctx.addIssue({ code: 'custom', message: 'expected a phone number or a non-empty list of phone numbers (tried in order)' });
    return z.NEVER;
  }
  return xs.map((x: string) => x.trim());
});

const twilioConfig = section({
  send_resolved: bool(false),
  http_config: httpConfig.optional(),
  api_url: optURL(),
  account_sid: optStr(),
  auth_token: optStr(),
  auth_token_file: optStr(),
  from: optStr(),
  to: phoneNumbers,
  voice: bool(true),
  sms: bool(false),
  message: str('{{ template "twilio.default.voice" . }}'),
  sms_message: str('{{ template "twilio.default.sms" . }}'),
  language: str('en-US'),
  ring_timeout: duration('30s'),
  poll_interval: duration('5s'),
  timeout: duration('0'),
}).superRefine((c, ctx) => {
  if (c.auth_token !== undefined && c.auth_token_file !== undefined) ctx.addIssue({ code: 'custom', path: ['auth_token_file'], message: 'at most one of auth_token and auth_token_file may be set' });
  if (!c.voice && !c.sms) ctx.addIssue({ code: 'custom', message: 'at least one of voice and sms must be true' });
  if (c.ring_timeout < 5000 || c.ring_timeout > 600_000) ctx.addIssue({ code: 'custom', path: ['ring_timeout'], message: 'must be between 5s and 10m (the Timeout a call rings for)' });
}).transform((c) => ({
  sendResolved: c.send_resolved, httpConfig: c.http_config, apiURL: c.api_url, accountSID: c.account_sid,
  authToken: c.auth_token, authTokenFile: c.auth_token_file, from: c.from, to: c.to, voice: c.voice, sms: c.sms,
  message: c.message, smsMessage: c.sms_message, language: c.language,
  ringTimeoutMs: c.ring_timeout, pollIntervalMs: c.poll_interval, timeoutMs: c.timeout,
}));
export type TwilioSettings = z.output<typeof twilioConfig>;

/** The channel lists of a receiver, to spread into its z.strictObject beside `name`. */
export const receiverChannelFields = {
  email_configs: list(emailConfig),
  pagerduty_configs: list(pagerdutyConfig),
  webhook_configs: list(webhookConfig),
  slack_configs: list(slackConfig),
  twilio_configs: list(twilioConfig),
};

/** The `global` settings channels fall back on, to spread into the global section's strictObject. */
export const globalChannelFields = {
  smtp_from: optStr(),
  smtp_hello: str('localhost'),
  smtp_smarthost: optStr(),
  smtp_auth_username: optStr(),
  smtp_auth_password: optStr(),
  smtp_auth_password_file: optStr(),
  smtp_auth_identity: optStr(),
  smtp_auth_secret: optStr(),
  smtp_require_tls: bool(true),
  smtp_tls_config: tlsConfig.optional(),
  pagerduty_url: optURL().transform((u) => u ?? 'https://events.pagerduty.com/v2/enqueue'),
  slack_api_url: optURL(),
  slack_api_url_file: optStr(),
  http_config: httpConfig.optional(),
  twilio_api_url: optURL().transform((u) => u ?? 'https://api.twilio.com'),
  twilio_account_sid: optStr(),
  twilio_auth_token: optStr(),
  twilio_auth_token_file: optStr(),
  twilio_from: optStr(),
};

const receiverChannels = z.object(receiverChannelFields);
const globalChannels = z.object(globalChannelFields);
/** A receiver's parsed channel lists (camelCase entries). */
export type ReceiverChannelSettings = z.output<typeof receiverChannels>;
/** The parsed global channel settings (snake_case keys as in the file, values parsed). */
export type GlobalChannelSettings = z.output<typeof globalChannels>;
/** The global settings with every default applied: what a config without `global` parses to. */
export function defaultGlobalChannelSettings(): GlobalChannelSettings {
  return globalChannels.parse({});
}

function isHostPort(s: string): boolean {
  const m = /^(?:\[[^\]]+\]|[^:\s]+):(\d{1,5})$/.exec(s);
  return m !== null && Number(m[1]) > 0 && Number(m[1]) < 65536;
}

/** "content-type" -> "Content-Type", as Go's textproto canonicalises header names. */
export function canonicalHeader(h: string): string {
  return h.toLowerCase().replace(/(^|-)([a-z])/g, (_, sep: string, c: string) => sep + c.toUpperCase());
}
