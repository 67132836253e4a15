// pagerduty_configs: PagerDuty Events API v2 (routing_key) or the older v1 (service_key). One
// incident per aggregation group: the dedup key is the SHA-256 of the group key, so the resolve
// event closes the incident the trigger opened, across restarts and HA peers.
import type { Logger } from 'pino';
import { ChannelError, type Channel, type Notification } from '../types.ts';
import type { GlobalChannelSettings, PagerDutySettings } from './config.ts';
import { alertStatus, groupKeyHash, rfc3339, templateData } from './data.ts';
import { readSecret } from './files.ts';
import { request, statusError } from './http.ts';
import { expander, type TemplateSet } from './templates.ts';

/** PagerDuty refuses longer summaries; Alertmanager truncates them too. */
const MAX_SUMMARY_CHARS = 1024;
const EVENTS_V1_URL = 'https://events.pagerduty.com/generic/2010-04-15/create_event.json';
/**
 * PagerDuty refuses events over 512 KB. As Alertmanager, an event that would be larger (measured as
 * Go encodes it) is sent with its details replaced by this one note, so the page still goes out.
 */
const MAX_EVENT_BYTES = 512_000;
const DETAILS_REMOVED = 'Custom details have been removed because the original event exceeds the maximum size of 512KB';

export interface ResolvedPagerDuty extends PagerDutySettings {
  url: string;
}

export function resolvePagerDuty(c: PagerDutySettings, g: GlobalChannelSettings): ResolvedPagerDuty {
  const v1 = c.routingKey === '' && c.routingKeyFile === '';
  return { ...c, httpConfig: c.httpConfig ?? g.http_config, url: c.url ?? (v1 ? EVENTS_V1_URL : g.pagerduty_url) };
}

export function pagerdutyChannel(c: ResolvedPagerDuty, index: number, deps: { templates: TemplateSet; logger: Logger }): Channel {
  return {
    integration: 'pagerduty',
    index,
    sendResolved: c.sendResolved,
    async send(n, signal) {
      const event = await pagerdutyEvent(c, n, deps.templates);
      const v1 = 'service_key' in event;
      let body = JSON.stringify(event);
      const size = goJSONSize(body);
      if (size > MAX_EVENT_BYTES) {
        if (v1) event.details = { error: DETAILS_REMOVED };
        else (event.payload as Record<string, unknown>).custom_details = { error: DETAILS_REMOVED };
        body = JSON.stringify(event);
        deps.logger.warn({ bytes: size, limit: MAX_EVENT_BYTES, groupKey: n.groupKey }, 'pagerduty: event too large, custom details removed');
      }
      const res = await request({ url: c.url, headers: { 'Content-Type': 'application/json' }, body, httpConfig: c.httpConfig, signal });
      // v1 answers 403 when rate limiting; v2 uses 429 (statusError's default).
      if (v1 && res.status === 403) throw new ChannelError(statusError('pagerduty', res).message, true, 403);
      if (res.status < 200 || res.status >= 300) throw statusError('pagerduty', res);
    },
  };
}

/** The event to send: Events API v2 with a routing key, v1 with a service key. */
export async function pagerdutyEvent(c: ResolvedPagerDuty, n: Notification, templates: TemplateSet): Promise<Record<string, unknown>> {
  const data = templateData(n);
  const x = expander(templates, templates, data);
  const resolve = data.Status === 'resolved';
  const dedupKey = groupKeyHash(n.groupKey);
  const details: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.details)) details[k] = await x.text(`details.${k}`, v);
  const summary = truncate(await x.text('description', c.description), MAX_SUMMARY_CHARS);
  const client = await x.text('client', c.client);
  const clientURL = await x.text('client_url', c.clientURL);

  if (c.routingKey === '' && c.routingKeyFile === '') {
    return {
      service_key: c.serviceKeyFile !== '' ? readSecret(c.serviceKeyFile) : c.serviceKey,
      event_type: resolve ? 'resolve' : 'trigger',
      incident_key: dedupKey,
      description: summary,
      details,
      client,
      client_url: clientURL,
    };
  }

  const payload: Record<string, unknown> = {
    summary,
    source: await x.text('source', c.source),
    severity: await x.text('severity', c.severity),
    custom_details: details,
  };
  // When the trouble began: the earliest start of the firing alerts (Strata's addition; Alertmanager
  // 0.25 leaves the field out, and PagerDuty then uses the time it received the event).
  if (!resolve) {
    const starts = n.alerts.filter((a) => alertStatus(a, n.now) === 'firing').map((a) => a.startsAt);
    if (starts.length > 0) payload.timestamp = rfc3339(new Date(Math.min(...starts)));
  }
  // Optional fields are left out when empty, as PagerDuty documents them.
  for (const [field, tmpl] of [['component', c.component], ['group', c.group], ['class', c.class]] as const) {
    const v = await x.text(field, tmpl);
    if (v !== '') payload[field] = v;
  }
  const event: Record<string, unknown> = {
    routing_key: await x.text('routing_key', c.routingKeyFile !== '' ? readSecret(c.routingKeyFile) : c.routingKey),
    event_action: resolve ? 'resolve' : 'trigger',
    dedup_key: dedupKey,
    payload,
    client,
    client_url: clientURL,
  };
  const images: Record<string, string>[] = [];
  for (const [i, im] of c.images.entries()) {
    const image = { src: await x.text(`images[${i}].src`, im.src), alt: await x.text(`images[${i}].alt`, im.alt), href: await x.text(`images[${i}].href`, im.href) };
    if (image.src !== '') images.push(Object.fromEntries(Object.entries(image).filter(([, v]) => v !== '')));
  }
  const links: { href: string; text: string }[] = [];
  for (const [i, l] of c.links.entries()) {
    const link = { href: await x.text(`links[${i}].href`, l.href), text: await x.text(`links[${i}].text`, l.text) };
    if (link.href !== '') links.push(link);
  }
  if (images.length > 0) event.images = images;
  if (links.length > 0) event.links = links;
  return event;
}

/** At most `max` characters (code points), the last one an ellipsis when cut. */
export function truncate(s: string, max: number): string {
  const cps = Array.from(s);
  return cps.length <= max ? s : cps.slice(0, max - 1).join('') + '…';
}

/**
 * The size of the event as Go's json.Encoder writes it, which Alertmanager's limit measures: `<`,
 * `>`, `&`, U+2028 and U+2029 escaped as \u003c..., and a final newline.
 */
function goJSONSize(json: string): number {
  let extra = 0;
  for (const ch of json) {
    if (ch === '<' || ch === '>' || ch === '&') extra += 5;
    else if (ch === '\u2028' || ch === '\u2029') extra += 3;
  }
  return Buffer.byteLength(json) + extra + 1;
}
