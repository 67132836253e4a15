// slack_configs: a message with one attachment POSTed to a Slack incoming webhook (or a
// compatible endpoint: Mattermost, Rocket.Chat), shaped as Alertmanager sends it.
import { readFileSync } from 'node:fs';
import { ChannelError, type Channel, type Notification } from '../types.ts';
import type { GlobalChannelSettings, SlackSettings } from './config.ts';
import { templateData } from './data.ts';
import { SECRET_URL_PLACEHOLDER } from './fields.ts';
import { requestOK } from './http.ts';
import { truncate } from './pagerduty.ts';
import { expander, type TemplateSet } from './templates.ts';

/** Slack cuts longer attachment titles; Alertmanager truncates them to this too. */
const MAX_TITLE_CHARS = 1024;

export function resolveSlack(c: SlackSettings, g: GlobalChannelSettings): SlackSettings | string[] {
  const apiURL = c.apiURL ?? (c.apiURLFile === undefined ? g.slack_api_url : undefined);
  const apiURLFile = c.apiURLFile ?? (c.apiURL === undefined && apiURL === undefined ? g.slack_api_url_file : undefined);
  if (apiURL === undefined && apiURLFile === undefined) return ['no api_url set and no global slack_api_url'];
  return { ...c, apiURL, apiURLFile, httpConfig: c.httpConfig ?? g.http_config };
}

export function slackChannel(c: SlackSettings, index: number, deps: { templates: TemplateSet }): Channel {
  return {
    integration: 'slack',
    index,
    sendResolved: c.sendResolved,
    async send(n, signal) {
      const url = c.apiURL ?? readURLFile(c.apiURLFile!);
      if (url === SECRET_URL_PLACEHOLDER) throw new ChannelError('slack: api_url is "<secret>", the placeholder of a printed configuration, not a URL: set the URL', false);
      const res = await requestOK({
        url,
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(await slackMessage(c, n, deps.templates)),
        httpConfig: c.httpConfig,
        signal,
      }, 'slack');
      // Slack's Web API (chat.postMessage) answers 200 with {"ok": false, "error": ...}.
      if (res.body.startsWith('{')) {
        let parsed: { ok?: boolean; error?: string } | undefined;
        try {
          parsed = JSON.parse(res.body) as typeof parsed;
        } catch {
          parsed = undefined;
        }
        if (parsed?.ok === false) throw new ChannelError(`slack: ${parsed.error ?? 'request refused'}`, false, res.status);
      }
    },
  };
}

export async function slackMessage(c: SlackSettings, n: Notification, templates: TemplateSet): Promise<Record<string, unknown>> {
  const x = expander(templates, templates, templateData(n));
  const attachment: Record<string, unknown> = {
    title: truncate(await x.text('title', c.title), MAX_TITLE_CHARS),
    title_link: await x.text('title_link', c.titleLink),
    pretext: await x.text('pretext', c.pretext),
    text: await x.text('text', c.text),
    fallback: await x.text('fallback', c.fallback),
    callback_id: await x.text('callback_id', c.callbackID),
    image_url: await x.text('image_url', c.imageURL),
    thumb_url: await x.text('thumb_url', c.thumbURL),
    footer: await x.text('footer', c.footer),
    color: await x.text('color', c.color),
    mrkdwn_in: c.mrkdwnIn,
  };
  if (c.fields.length > 0) {
    const fields = [];
    for (const [i, f] of c.fields.entries()) {
      fields.push({ title: await x.text(`fields[${i}].title`, f.title), value: await x.text(`fields[${i}].value`, f.value), short: f.short ?? c.shortFields });
    }
    attachment.fields = fields;
  }
  if (c.actions.length > 0) {
    const actions = [];
    for (const [i, a] of c.actions.entries()) {
      const out: Record<string, unknown> = {
        type: await x.text(`actions[${i}].type`, a.type),
        text: await x.text(`actions[${i}].text`, a.text),
        url: await x.text(`actions[${i}].url`, a.url),
        style: await x.text(`actions[${i}].style`, a.style),
        name: await x.text(`actions[${i}].name`, a.name),
        value: await x.text(`actions[${i}].value`, a.value),
      };
      if (a.confirm) {
        out.confirm = {
          text: await x.text(`actions[${i}].confirm.text`, a.confirm.text),
          title: await x.text(`actions[${i}].confirm.title`, a.confirm.title),
          ok_text: await x.text(`actions[${i}].confirm.ok_text`, a.confirm.okText),
          dismiss_text: await x.text(`actions[${i}].confirm.dismiss_text`, a.confirm.dismissText),
        };
      }
      actions.push(dropEmpty(out));
    }
    attachment.actions = actions;
  }
  const msg: Record<string, unknown> = {
    channel: await x.text('channel', c.channel),
    username: await x.text('username', c.username),
    icon_emoji: await x.text('icon_emoji', c.iconEmoji),
    icon_url: await x.text('icon_url', c.iconURL),
    link_names: c.linkNames,
    attachments: [dropEmpty(attachment)],
  };
  return dropEmpty(msg);
}

/** Leaves out empty strings and false, as Alertmanager's JSON (omitempty) does. */
function dropEmpty(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== '' && v !== false && v !== undefined));
}

function readURLFile(file: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (e) {
    throw new ChannelError(`cannot read api_url_file ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, false);
  }
}
