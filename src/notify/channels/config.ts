// The channel sections of an Alertmanager configuration: a receiver's *_configs lists and the
// `global` settings they fall back on. Field names and defaults are Alertmanager's, so an
// alertmanager.yml works unchanged; `twilio_configs` (voice calls and SMS) is Strata's own.
//
// Keys are snake_case in the file and camelCase after parsing. Settings that fall back on a
// global value stay undefined here and are resolved by each channel's resolve* function
// (email.ts, slack.ts...), where the global section is known.
import * as z from 'zod';
import type { Proxy, ProxySettings } from '../../httpclient/index.ts';
import { bool, describe, duration, isHttpURL, list, nonNegativeInt, optBool, optSecretURL, optStr, optURL, redactURL, section, str, stringMap } from './fields.ts';

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

// Prometheus' HTTP client settings (prometheus/common), as Alertmanager reads them (no_proxy and
// proxy_from_environment as in versions after 0.25). enable_http2 is accepted and has no effect:
// the channels speak HTTP/1.1, which every vendor API accepts.
const oauth2Config = section({
  client_id: str(),
  client_secret: str(),
  client_secret_file: str(),
  scopes: list(z.string()),
  token_url: str(),
  endpoint_params: stringMap(),
  tls_config: tlsConfig.optional(),
  proxy_url: optStr(),
}).superRefine((o, ctx) => {
  if (o.client_id === '') ctx.addIssue({ code: 'custom', path: ['client_id'], message: 'oauth2 client_id must be configured' });
  if (o.token_url === '') ctx.addIssue({ code: 'custom', path: ['token_url'], message: 'oauth2 token_url must be configured' });
  else if (!isHttpURL(o.token_url)) ctx.addIssue({ code: 'custom', path: ['token_url'], message: `expected an http:// or https:// URL, got ${JSON.stringify(redactURL(o.token_url))}` });
  if (o.client_secret !== '' && o.client_secret_file !== '') ctx.addIssue({ code: 'custom', message: 'at most one of oauth2 client_secret and client_secret_file must be configured' });
  if (o.proxy_url !== undefined) checkProxyURL(o.proxy_url, ctx);
}).transform((o): OAuth2Settings => ({
  clientID: o.client_id, clientSecret: o.client_secret, clientSecretFile: o.client_secret_file, scopes: o.scopes,
  tokenURL: o.token_url, endpointParams: o.endpoint_params ?? {}, tlsConfig: o.tls_config,
  proxy: o.proxy_url === undefined ? undefined : { url: o.proxy_url, noProxy: '' },
}));

/** An http:// proxy; https:// targets go through it by CONNECT. Other kinds (https://, socks5://) are not supported. */
function checkProxyURL(url: string, ctx: z.RefinementCtx): void {
  let protocol = '';
  try {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new Error('no scheme');
    protocol = new URL(url).protocol;
  } catch {
    ctx.addIssue({ code: 'custom', path: ['proxy_url'], message: 'expected an http:// proxy URL such as http://proxy.example.org:3128' });
    return;
  }
  if (protocol !== 'http:') ctx.addIssue({ code: 'custom', path: ['proxy_url'], message: `only http:// proxies are supported (https targets go through them by CONNECT), got ${JSON.stringify(redactURL(url))}` });
}

/** proxy_connect_header: header names to a value or a list of values. */
const headerLists = z.unknown().optional().transform((v, ctx): Record<string, string[]> => {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) {
    ctx.addIssue({ code: 'custom', message: `expected a mapping of header names to lists of values, got ${describe(v)}` });
    return z.NEVER;
  }
  const out: Record<string, string[]> = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    const xs = Array.isArray(x) ? x : [x];
    if (!xs.every((e) => typeof e === 'string')) {
      ctx.addIssue({ code: 'custom', path: [k], message: `expected a list of strings, got ${describe(x)}` });
      return z.NEVER;
    }
    out[k] = xs as string[];
  }
  return out;
});

const httpConfig = section({
  basic_auth: section({ username: str(), password: str(), password_file: str() }).optional(),
  authorization: section({ type: str('Bearer'), credentials: str(), credentials_file: str() }).optional(),
  bearer_token: str(),
  bearer_token_file: str(),
  oauth2: oauth2Config.optional(),
  tls_config: tlsConfig.optional(),
  proxy_url: optStr(),
  no_proxy: str(),
  proxy_from_environment: bool(false),
  proxy_connect_header: headerLists,
  follow_redirects: bool(true),
  enable_http2: bool(true),
}).superRefine((h, ctx) => {
  const auths = [h.basic_auth !== undefined, h.authorization !== undefined, h.bearer_token !== '' || h.bearer_token_file !== '', h.oauth2 !== undefined].filter(Boolean).length;
  if (auths > 1) ctx.addIssue({ code: 'custom', message: 'at most one of basic_auth, authorization, bearer_token and oauth2 may be set' });
  if (h.basic_auth && h.basic_auth.password !== '' && h.basic_auth.password_file !== '') ctx.addIssue({ code: 'custom', path: ['basic_auth'], message: 'at most one of password and password_file may be set' });
  if (h.authorization && h.authorization.credentials !== '' && h.authorization.credentials_file !== '') ctx.addIssue({ code: 'custom', path: ['authorization'], message: 'at most one of credentials and credentials_file may be set' });
  if (h.authorization && h.authorization.type.toLowerCase() === 'basic') ctx.addIssue({ code: 'custom', path: ['authorization', 'type'], message: 'authorization type cannot be Basic; use basic_auth' });
  if (h.proxy_url !== undefined) checkProxyURL(h.proxy_url, ctx);
  if (h.proxy_from_environment && h.proxy_url !== undefined) ctx.addIssue({ code: 'custom', message: 'if proxy_from_environment is configured, proxy_url must not be configured' });
  if (h.proxy_from_environment && h.no_proxy !== '') ctx.addIssue({ code: 'custom', message: 'if proxy_from_environment is configured, no_proxy must not be configured' });
  if (h.proxy_url === undefined && !h.proxy_from_environment && h.no_proxy !== '') ctx.addIssue({ code: 'custom', message: 'if no_proxy is configured, proxy_url must also be configured' });
  if (h.proxy_url === undefined && !h.proxy_from_environment && Object.keys(h.proxy_connect_header).length > 0) ctx.addIssue({ code: 'custom', message: 'if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured' });
}).transform((h): HTTPSettings => {
  let authorization: HTTPSettings['authorization'];
  if (h.authorization) authorization = { type: h.authorization.type, credentials: h.authorization.credentials, credentialsFile: h.authorization.credentials_file };
  else if (h.bearer_token !== '' || h.bearer_token_file !== '') authorization = { type: 'Bearer', credentials: h.bearer_token, credentialsFile: h.bearer_token_file };
  let proxy: HTTPSettings['proxy'];
  if (h.proxy_from_environment) proxy = 'environment';
  else if (h.proxy_url !== undefined) proxy = { url: h.proxy_url, noProxy: h.no_proxy };
  return {
    basicAuth: h.basic_auth && { username: h.basic_auth.username, password: h.basic_auth.password, passwordFile: h.basic_auth.password_file },
    authorization,
    oauth2: h.oauth2,
    tlsConfig: h.tls_config,
    proxy,
    proxyConnectHeaders: h.proxy_connect_header,
    followRedirects: h.follow_redirects,
  };
});

export interface OAuth2Settings {
  clientID: string;
  clientSecret: string;
  clientSecretFile: string;
  scopes: string[];
  tokenURL: string;
  endpointParams: Record<string, string>;
  tlsConfig?: TLSSettings;
  proxy?: ProxySettings;
}

export interface HTTPSettings {
  basicAuth?: { username: string; password: string; passwordFile: string };
  authorization?: { type: string; credentials: string; credentialsFile: string };
  oauth2?: OAuth2Settings;
  tlsConfig?: TLSSettings;
  /** 'environment': HTTP_PROXY, HTTPS_PROXY and NO_PROXY as Go reads them. */
  proxy?: Proxy;
  /** Sent with CONNECT, to proxy_url's proxy or the environment's. */
  proxyConnectHeaders?: Record<string, string[]>;
  /** Follow 3xx answers (up to 10), as Go's client does; default true. */
  followRedirects?: boolean;
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
  // Printed hidden, as Alertmanager releases after 0.25 do, so its placeholder loads back as theirs.
  url: optSecretURL(),
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
  api_url: optSecretURL(),
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
  slack_api_url: optSecretURL(),
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
