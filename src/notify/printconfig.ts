// The notifier's configuration as Alertmanager 0.25 shows it in /api/v2/status `config.original`
// (and so in `amtool config show`): not the file's text but the loaded configuration written out
// again, every field in Alertmanager's order, its defaults and the global fallbacks filled in,
// secrets as <secret>. People compare this output with Alertmanager's, so it follows it field by
// field; the differences are listed in docs/alerting-design.md. It loads back into Strata where
// Alertmanager 0.25's loads back (<secret> as a Slack URL or any secret string), except that
// Strata hides webhook URLs, whose <secret> neither loads.
import { Document, isScalar, isSeq, parse, visit } from 'yaml';
import { formatDuration, parseDuration, SECRET } from '../config/index.ts';
import type { GlobalChannelSettings } from './channels/config.ts';
import { resolveEmail } from './channels/email.ts';
import { matcherString, parseMatchers, sortMatchers } from './matchers.ts';
import type { ReceiverConfig } from './config.ts';

type Raw = Record<string, unknown>;

export interface PrintableConfig {
  /** The file as YAML parsed it, already validated. */
  raw: Raw;
  global: GlobalChannelSettings;
  resolveTimeoutMs: number;
  /** Parsed receivers (defaults applied), in file order, as raw.receivers. */
  receivers: ReceiverConfig[];
}

export function alertmanagerConfigYaml(c: PrintableConfig): string {
  const raw = c.raw;
  const rawReceivers = (raw.receivers ?? []) as Raw[];
  const globalHTTP = printHTTPConfig(asRaw(asRaw(raw.global).http_config));
  const doc = new Document({
    global: printGlobal(c.global, c.resolveTimeoutMs, globalHTTP),
    route: raw.route === undefined ? undefined : printRoute(asRaw(raw.route)),
    inhibit_rules: nonEmpty(list(raw.inhibit_rules).map((r) => printInhibitRule(asRaw(r)))),
    receivers: nonEmpty(c.receivers.map((r, i) => printReceiver(r, asRaw(rawReceivers[i]), c.global, globalHTTP))),
    templates: list(raw.templates).map(String),
    mute_time_intervals: nonEmpty(list(raw.mute_time_intervals).map((t) => printTimeInterval(asRaw(t)))),
    time_intervals: nonEmpty(list(raw.time_intervals).map((t) => printTimeInterval(asRaw(t)))),
  }, { aliasDuplicateObjects: false, version: '1.1' });
  // Alertmanager writes the ranges of a time interval inline (`weekdays: ['monday:friday', sunday]`).
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && RANGE_LISTS.has(String(pair.key.value)) && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  // Go's YAML quoting: double quotes for a string a YAML 1.1 reader would take for something else
  // ("3", "18:00", ""), single quotes for one that cannot be written plain ('...', and anything
  // with a colon inside [...]).
  visit(doc, {
    Seq(_, seq) {
      if (!seq.flow) return;
      for (const item of seq.items) if (isScalar(item) && typeof item.value === 'string' && item.value.includes(':') && !resolvesAsOther(item.value)) item.type = 'QUOTE_SINGLE';
    },
    Scalar(key, node) {
      if (key === 'key' || typeof node.value !== 'string') return;
      if (/^(?:\.\.\.|---)/.test(node.value)) node.type = 'QUOTE_SINGLE';
      else if (resolvesAsOther(node.value)) node.type = 'QUOTE_DOUBLE';
    },
  });
  // Written as Go's YAML library writes it: sequences not indented under their key, single quotes
  // where quotes are needed, YAML 1.1 quoting (so "18:00" stays a string for a 1.1 reader).
  return doc.toString({ indentSeq: false, flowCollectionPadding: false, singleQuote: true });
}

// Alertmanager 0.25 also prints its defaults for receivers Strata does not have (opsgenie_api_url,
// wechat_api_url, victorops_api_url, telegram_api_url, webex_api_url): left out, as Strata would
// refuse them when the output is loaded again. smtp_tls_config and twilio_* are Strata's own.
function printGlobal(g: GlobalChannelSettings, resolveTimeoutMs: number, http: Raw): Raw {
  return {
    resolve_timeout: goDuration(resolveTimeoutMs),
    http_config: http,
    smtp_from: g.smtp_from || undefined,
    smtp_hello: g.smtp_hello || undefined,
    smtp_smarthost: g.smtp_smarthost || undefined,
    smtp_auth_username: g.smtp_auth_username || undefined,
    smtp_auth_password: secret(g.smtp_auth_password),
    smtp_auth_password_file: g.smtp_auth_password_file || undefined,
    smtp_auth_secret: secret(g.smtp_auth_secret),
    smtp_auth_identity: g.smtp_auth_identity || undefined,
    smtp_require_tls: g.smtp_require_tls,
    smtp_tls_config: g.smtp_tls_config && printTLSSettings(g.smtp_tls_config),
    slack_api_url: secret(g.slack_api_url),
    slack_api_url_file: g.slack_api_url_file || undefined,
    pagerduty_url: g.pagerduty_url,
    twilio_api_url: g.twilio_api_url,
    twilio_account_sid: g.twilio_account_sid || undefined,
    twilio_auth_token: secret(g.twilio_auth_token),
    twilio_auth_token_file: g.twilio_auth_token_file || undefined,
    twilio_from: g.twilio_from || undefined,
  };
}

// Only what the file sets: Alertmanager keeps a route's own settings and inherits at routing time.
function printRoute(r: Raw): Raw {
  const groupBy = list(r.group_by).map(String);
  const matchers = sortMatchers(list(r.matchers).flatMap((m) => parseMatchers(String(m))));
  return {
    receiver: r.receiver === undefined || r.receiver === null || r.receiver === '' ? undefined : String(r.receiver),
    group_by: nonEmpty(groupBy),
    match: labelMap(r.match),
    match_re: labelMap(r.match_re),
    matchers: nonEmpty(matchers.map(matcherString)),
    mute_time_intervals: nonEmpty(list(r.mute_time_intervals).map(String)),
    active_time_intervals: nonEmpty(list(r.active_time_intervals).map(String)),
    continue: r.continue === true,
    routes: nonEmpty(list(r.routes).map((x) => printRoute(asRaw(x)))),
    group_wait: rawDuration(r.group_wait),
    group_interval: rawDuration(r.group_interval),
    repeat_interval: rawDuration(r.repeat_interval),
  };
}

function printInhibitRule(r: Raw): Raw {
  const matchers = (v: unknown) => nonEmpty(sortMatchers(list(v).flatMap((m) => parseMatchers(String(m)))).map(matcherString));
  return {
    source_match: labelMap(r.source_match),
    source_match_re: labelMap(r.source_match_re),
    source_matchers: matchers(r.source_matchers),
    target_match: labelMap(r.target_match),
    target_match_re: labelMap(r.target_match_re),
    target_matchers: matchers(r.target_matchers),
    equal: nonEmpty(list(r.equal).map(String)),
  };
}

const RANGE_LISTS = new Set(['weekdays', 'days_of_month', 'months', 'years']);
const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];

// Ranges as Alertmanager writes them back: "a:b", or "a" when both ends are the same; weekdays by
// name, months by number.
function printTimeInterval(t: Raw): Raw {
  const ranges = (v: unknown, norm: (s: string) => string) => {
    const xs = list(v).map((x) => {
      const [a, b = a] = String(x).toLowerCase().split(':').map((s) => norm(s.trim()));
      return a === b ? a : `${a}:${b}`;
    });
    return v === undefined || v === null ? undefined : xs;
  };
  const month = (s: string) => (MONTHS.includes(s) ? String(MONTHS.indexOf(s) + 1) : String(Number(s)));
  const num = (s: string) => String(Number(s));
  return {
    name: t.name,
    time_intervals: list(t.time_intervals).map((e) => {
      const x = asRaw(e);
      return {
        times: x.times === undefined || x.times === null ? undefined : list(x.times).map((r) => ({ start_time: String(asRaw(r).start_time), end_time: String(asRaw(r).end_time) })),
        weekdays: ranges(x.weekdays, (s) => s),
        days_of_month: ranges(x.days_of_month, num),
        months: ranges(x.months, month),
        years: ranges(x.years, num),
        location: x.location === undefined || x.location === null ? undefined : String(x.location),
      };
    }),
  };
}

// Channel lists in the order of Alertmanager's Receiver (email, pagerduty, slack, webhook), then
// Strata's own twilio_configs. Entries without their own http_config show the global one, as
// Alertmanager copies it in.
function printReceiver(r: ReceiverConfig, raw: Raw, g: GlobalChannelSettings, globalHTTP: Raw): Raw {
  const rawList = (key: string) => list(raw[key]).map(asRaw);
  const http = (e: Raw) => (e.http_config === undefined || e.http_config === null ? globalHTTP : printHTTPConfig(asRaw(e.http_config)));
  return {
    name: r.name,
    email_configs: nonEmpty(r.email_configs.map((c) => {
      const e = resolveEmail(c, g);
      if (Array.isArray(e)) throw new Error(e.join('; ')); // refused at load already
      const headers: Record<string, string> = { From: e.from, To: e.to, Subject: '{{ template "email.default.subject" . }}', ...e.headers };
      return {
        send_resolved: e.sendResolved,
        to: e.to,
        from: e.from,
        hello: e.hello,
        smarthost: e.smarthost,
        auth_username: e.authUsername || undefined,
        auth_password: secret(e.authPassword),
        auth_password_file: e.authPasswordFile || undefined,
        auth_secret: secret(e.authSecret),
        auth_identity: e.authIdentity || undefined,
        headers: sortedMap(headers),
        html: e.html || undefined,
        text: e.text || undefined,
        require_tls: e.requireTLS,
        tls_config: e.tlsConfig && printTLSSettings(e.tlsConfig),
      };
    })),
    pagerduty_configs: nonEmpty(r.pagerduty_configs.map((c, i) => {
      const x = rawList('pagerduty_configs')[i];
      return {
        send_resolved: c.sendResolved,
        http_config: http(x),
        service_key: secret(c.serviceKey),
        service_key_file: c.serviceKeyFile || undefined,
        routing_key: secret(c.routingKey),
        routing_key_file: c.routingKeyFile || undefined,
        url: c.url ?? g.pagerduty_url,
        client: c.client,
        client_url: c.clientURL,
        description: c.description,
        details: sortedMap(c.details),
        images: nonEmpty(c.images.map((m) => ({ src: m.src || undefined, alt: m.alt || undefined, href: m.href || undefined }))),
        links: nonEmpty(c.links.map((l) => ({ href: l.href || undefined, text: l.text || undefined }))),
        source: c.source || undefined,
        // Strata fills in the default "error" at load; Alertmanager at sending.
        severity: x.severity === undefined || x.severity === null ? undefined : c.severity,
        class: c.class || undefined,
        component: c.component || undefined,
        group: c.group || undefined,
        timeout: c.timeoutMs > 0 ? goDuration(c.timeoutMs) : undefined,
      };
    })),
    slack_configs: nonEmpty(r.slack_configs.map((c, i) => {
      const x = rawList('slack_configs')[i];
      const own = c.apiURL !== undefined || c.apiURLFile !== undefined;
      return {
        send_resolved: c.sendResolved,
        http_config: http(x),
        api_url: secret(own ? c.apiURL : g.slack_api_url),
        api_url_file: (own ? c.apiURLFile : g.slack_api_url_file) || undefined,
        channel: c.channel || undefined,
        username: c.username || undefined,
        color: c.color || undefined,
        title: c.title || undefined,
        title_link: c.titleLink || undefined,
        pretext: c.pretext || undefined,
        text: c.text || undefined,
        fields: nonEmpty(c.fields.map((f) => ({ title: f.title, value: f.value, short: f.short }))),
        short_fields: c.shortFields,
        footer: c.footer || undefined,
        fallback: c.fallback || undefined,
        callback_id: c.callbackID || undefined,
        icon_emoji: c.iconEmoji || undefined,
        icon_url: c.iconURL || undefined,
        image_url: c.imageURL || undefined,
        thumb_url: c.thumbURL || undefined,
        link_names: c.linkNames,
        // Strata fills in the default at load; Alertmanager at sending.
        mrkdwn_in: nonEmpty(list(x.mrkdwn_in).map(String)),
        actions: nonEmpty(c.actions.map((a) => ({
          type: a.type, text: a.text, url: a.url || undefined, style: a.style || undefined, name: a.name || undefined, value: a.value || undefined,
          confirm: a.confirm && { text: a.confirm.text, title: a.confirm.title || undefined, ok_text: a.confirm.okText || undefined, dismiss_text: a.confirm.dismissText || undefined },
        }))),
        timeout: c.timeoutMs > 0 ? goDuration(c.timeoutMs) : undefined,
      };
    })),
    webhook_configs: nonEmpty(r.webhook_configs.map((c, i) => ({
      send_resolved: c.sendResolved,
      http_config: http(rawList('webhook_configs')[i]),
      // Alertmanager 0.25 shows webhook URLs; later releases hide them, as tokens often ride in them.
      url: secret(c.url),
      url_file: c.urlFile || undefined,
      max_alerts: c.maxAlerts,
      timeout: c.timeoutMs > 0 ? goDuration(c.timeoutMs) : undefined,
    }))),
    twilio_configs: nonEmpty(r.twilio_configs.map((c, i) => {
      const own = c.authToken !== undefined || c.authTokenFile !== undefined;
      return {
        send_resolved: c.sendResolved,
        http_config: http(rawList('twilio_configs')[i]),
        api_url: c.apiURL ?? g.twilio_api_url,
        account_sid: c.accountSID ?? g.twilio_account_sid,
        auth_token: secret(own ? c.authToken : g.twilio_auth_token),
        auth_token_file: (own ? c.authTokenFile : g.twilio_auth_token_file) || undefined,
        from: c.from ?? g.twilio_from,
        to: c.to,
        voice: c.voice,
        sms: c.sms,
        message: c.message,
        sms_message: c.smsMessage,
        language: c.language,
        ring_timeout: goDuration(c.ringTimeoutMs),
        poll_interval: goDuration(c.pollIntervalMs),
        timeout: c.timeoutMs > 0 ? goDuration(c.timeoutMs) : undefined,
      };
    })),
  };
}

// prometheus/common's HTTPClientConfig as Alertmanager 0.25 writes it: a bearer_token becomes an
// authorization of type Bearer; follow_redirects and enable_http2 always shown. no_proxy,
// proxy_from_environment and proxy_connect_header are from later releases (Strata takes them).
function printHTTPConfig(h: Raw): Raw {
  const basic = h.basic_auth === undefined || h.basic_auth === null ? undefined : asRaw(h.basic_auth);
  let authorization: Raw | undefined;
  if (h.authorization !== undefined && h.authorization !== null) {
    const a = asRaw(h.authorization);
    authorization = { type: str(a.type) || 'Bearer', credentials: secret(str(a.credentials)), credentials_file: str(a.credentials_file) || undefined };
  } else if (str(h.bearer_token) !== '' || str(h.bearer_token_file) !== '') {
    authorization = { type: 'Bearer', credentials: secret(str(h.bearer_token)), credentials_file: str(h.bearer_token_file) || undefined };
  }
  const oauth2 = h.oauth2 === undefined || h.oauth2 === null ? undefined : asRaw(h.oauth2);
  return {
    basic_auth: basic && { username: str(basic.username) || undefined, password: secret(str(basic.password)), password_file: str(basic.password_file) || undefined },
    authorization,
    oauth2: oauth2 && {
      client_id: str(oauth2.client_id),
      client_secret: secret(str(oauth2.client_secret)),
      // Not omitted when empty in Alertmanager 0.25.
      client_secret_file: str(oauth2.client_secret_file),
      scopes: nonEmpty(list(oauth2.scopes).map(String)),
      token_url: str(oauth2.token_url),
      endpoint_params: oauth2.endpoint_params ? sortedMap(oauth2.endpoint_params as Record<string, string>) : undefined,
      tls_config: printRawTLS(oauth2.tls_config),
      proxy_url: redactProxy(oauth2.proxy_url),
    },
    tls_config: printRawTLS(h.tls_config),
    proxy_url: redactProxy(h.proxy_url),
    no_proxy: str(h.no_proxy) || undefined,
    proxy_from_environment: h.proxy_from_environment === true ? true : undefined,
    proxy_connect_header: h.proxy_connect_header ? sortedMap(h.proxy_connect_header as Record<string, unknown>) : undefined,
    follow_redirects: h.follow_redirects !== false,
    enable_http2: h.enable_http2 !== false,
  };
}

// A TLS config is left out when nothing in it is set (Go's YAML omits a zero struct);
// insecure_skip_verify is shown whenever the section is. min_version is written by name
// (Alertmanager 0.25 writes the number, e.g. 771 for TLS12, which it cannot read back).
function printRawTLS(v: unknown): Raw | undefined {
  if (v === undefined || v === null) return undefined;
  const t = asRaw(v);
  return printTLSSettings({
    caFile: str(t.ca_file), certFile: str(t.cert_file), keyFile: str(t.key_file), serverName: str(t.server_name),
    insecureSkipVerify: t.insecure_skip_verify === true, minVersion: t.min_version === undefined || t.min_version === null ? undefined : String(t.min_version),
  });
}

function printTLSSettings(t: { caFile: string; certFile: string; keyFile: string; serverName: string; insecureSkipVerify: boolean; minVersion?: string }): Raw | undefined {
  if (!t.caFile && !t.certFile && !t.keyFile && !t.serverName && !t.insecureSkipVerify && !t.minVersion) return undefined;
  return {
    ca_file: t.caFile || undefined,
    cert_file: t.certFile || undefined,
    key_file: t.keyFile || undefined,
    server_name: t.serverName || undefined,
    insecure_skip_verify: t.insecureSkipVerify,
    min_version: t.minVersion,
  };
}

/** A proxy URL with its password as xxxxx, as Go's url.Redacted writes it (and Alertmanager shows it). */
function redactProxy(v: unknown): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  return v.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:@/]*:)[^@/]*@/i, '$1xxxxx@');
}

// --- small helpers -----------------------------------------------------------------------------

/** Whether `s` written plain would be read by YAML 1.1 as a number, bool, null or time. */
function resolvesAsOther(s: string): boolean {
  if (s === '') return true;
  // Only words, numbers and times can be other scalars; anything else needs no parse.
  if (!/^[\w.+\-: ]+$/.test(s)) return false;
  try {
    const v: unknown = parse(s, { version: '1.1' });
    return v === null || typeof v === 'number' || typeof v === 'boolean' || v instanceof Date;
  } catch {
    return false;
  }
}

function asRaw(v: unknown): Raw {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : {};
}

function list(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

function str(v: unknown): string {
  return v === undefined || v === null ? '' : String(v);
}

function nonEmpty<T>(xs: T[]): T[] | undefined {
  return xs.length > 0 ? xs : undefined;
}

function secret(v: string | undefined): string | undefined {
  return v === undefined || v === '' ? undefined : SECRET;
}

/** Go writes map keys sorted. */
function sortedMap<T>(m: Record<string, T>): Record<string, T> | undefined {
  const keys = Object.keys(m).sort();
  return keys.length === 0 ? undefined : Object.fromEntries(keys.map((k) => [k, m[k]]));
}

function labelMap(v: unknown): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  return sortedMap(Object.fromEntries(Object.entries(asRaw(v)).map(([k, x]) => [k, String(x)])));
}

/** Prometheus' model.Duration text: largest units first, "0s" for zero. */
function goDuration(ms: number): string {
  return ms === 0 ? '0s' : formatDuration(ms);
}

function rawDuration(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  const ms = v === 0 ? 0 : parseDuration(String(v).trim());
  return ms === null ? String(v) : goDuration(ms);
}
