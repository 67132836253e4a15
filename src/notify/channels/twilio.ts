// twilio_configs: Strata's phone channel, through Twilio's REST API or one that speaks it.
//
// Firing: an SMS to every number (if `sms`), then calls (if `voice`) to the numbers in order:
// each call reads the message by text-to-speech; the channel watches the call resource until the
// call is answered (in-progress or completed: delivered, stop) or has failed (busy, no-answer,
// failed, canceled, or the API refused the call: go on to the next number). Nobody acknowledges
// anything: an answered call is a delivered page. Resolved (with send_resolved): SMS only; a
// phone never rings for a resolution.
import type { Logger } from 'pino';
import { ChannelError, type Channel, type Notification } from '../types.ts';
import type { GlobalChannelSettings, TwilioSettings } from './config.ts';
import { templateData } from './data.ts';
import { readSecret } from './files.ts';
import { request, statusError } from './http.ts';
import { expander, type TemplateSet } from './templates.ts';

/** Twilio reads at most this much of a <Say>; an SMS body is at most 1600 characters. */
const MAX_SAY_CHARS = 4000;
const MAX_SMS_CHARS = 1600;
/** How long past its ring timeout a call may stay queued or ringing before we give up on it. */
const CALL_GRACE_MS = 30_000;
/** Time allowed for sending the texts of one notification (a few API requests). */
const SMS_ALLOWANCE_MS = 10_000;

export interface ResolvedTwilio extends TwilioSettings {
  apiURL: string;
  accountSID: string;
  from: string;
}

export function resolveTwilio(c: TwilioSettings, g: GlobalChannelSettings): ResolvedTwilio | string[] {
  const problems: string[] = [];
  const accountSID = c.accountSID ?? g.twilio_account_sid;
  const from = c.from ?? g.twilio_from;
  const own = c.authToken !== undefined || c.authTokenFile !== undefined;
  const authToken = own ? c.authToken : g.twilio_auth_token;
  const authTokenFile = own ? c.authTokenFile : g.twilio_auth_token_file;
  if (accountSID === undefined) problems.push('no account_sid set and no global twilio_account_sid');
  if (authToken === undefined && authTokenFile === undefined) problems.push('no auth_token or auth_token_file set and no global twilio_auth_token');
  if (from === undefined) problems.push('no from number set and no global twilio_from');
  if (problems.length > 0) return problems;
  return { ...c, apiURL: c.apiURL ?? g.twilio_api_url, accountSID: accountSID!, from: from!, authToken, authTokenFile, httpConfig: c.httpConfig ?? g.http_config };
}

interface Deps {
  templates: TemplateSet;
  logger: Logger;
}

export function twilioChannel(c: ResolvedTwilio, index: number, deps: Deps): Channel {
  return {
    integration: 'twilio',
    index,
    sendResolved: c.sendResolved,
    maxSendMs: escalationMs(c),
    send: (n, signal) => sendPhone(c, deps, n, signal),
  };
}

/**
 * How long a send may take: every number rung for ring_timeout plus the grace (and a poll) before
 * the next is tried, and time for the texts. Delivery lets an attempt run this long even when the
 * group's next tick (group_interval) comes sooner, so escalation is not cut off half-way.
 */
function escalationMs(c: ResolvedTwilio): number {
  const sms = c.sms ? SMS_ALLOWANCE_MS : 0;
  if (!c.voice || c.pollIntervalMs === 0) return sms;
  return sms + c.to.length * (c.ringTimeoutMs + CALL_GRACE_MS + c.pollIntervalMs);
}

interface CallResource {
  sid?: string;
  status?: string;
}

async function sendPhone(c: ResolvedTwilio, deps: Deps, n: Notification, signal: AbortSignal): Promise<void> {
  const data = templateData(n);
  const x = expander(deps.templates, deps.templates, data);
  const api = new TwilioAPI(c, signal);
  const firing = data.Status === 'firing';

  if (c.sms) {
    const body = Array.from(await x.text('sms_message', c.smsMessage)).slice(0, MAX_SMS_CHARS).join('');
    const failures: ChannelError[] = [];
    for (const to of c.to) {
      try {
        await api.post('Messages.json', { To: to, From: c.from, Body: body });
      } catch (e) {
        if (!(e instanceof ChannelError)) throw e;
        deps.logger.warn({ to, err: e.message }, 'twilio: SMS not accepted');
        failures.push(e);
      }
    }
    // Without calls the texts are the page: report their failure so the notifier retries.
    if (failures.length > 0 && !(c.voice && firing)) {
      throw new ChannelError(`twilio: ${failures.length} of ${c.to.length} SMS not sent: ${failures[0].message}`, failures.some((f) => f.retryable), failures[0].status);
    }
  }
  if (!c.voice || !firing) return;

  const say = Array.from(await x.text('message', c.message)).slice(0, MAX_SAY_CHARS).join('');
  const twiml = `<Response><Say language="${xmlEscape(c.language)}">${xmlEscape(say)}</Say></Response>`;
  const outcomes: string[] = [];
  let apiTrouble = false;
  for (const to of c.to) {
    let call: CallResource;
    try {
      call = await api.post('Calls.json', { To: to, From: c.from, Twiml: twiml, Timeout: String(Math.round(c.ringTimeoutMs / 1000)) }) as CallResource;
    } catch (e) {
      if (!(e instanceof ChannelError) || signal.aborted) throw e;
      deps.logger.warn({ to, err: e.message }, 'twilio: call not placed, trying the next number');
      outcomes.push(`${to}: ${e.message}`);
      apiTrouble ||= e.retryable;
      continue;
    }
    // With polling off, a call the API accepted counts as delivered.
    if (c.pollIntervalMs === 0 || call.sid === undefined) return;
    const status = await waitForOutcome(api, call, c, signal);
    if (status === 'in-progress' || status === 'completed') {
      deps.logger.info({ to, status, escalations: outcomes.length }, 'twilio: call answered');
      return;
    }
    deps.logger.warn({ to, status }, 'twilio: call not answered, trying the next number');
    outcomes.push(`${to}: call ${status}`);
  }
  // Every number was tried. When the API itself failed somewhere, trying again may reach someone;
  // when everyone merely did not answer, the next notification (repeat_interval) calls again.
  throw new ChannelError(`twilio: nobody answered (${outcomes.join('; ')})`, apiTrouble);
}

const PENDING = new Set(['queued', 'initiated', 'ringing']);

/** Polls the call until it is no longer pending; a call still pending past its ring time counts as no-answer. */
async function waitForOutcome(api: TwilioAPI, call: CallResource, c: ResolvedTwilio, signal: AbortSignal): Promise<string> {
  const deadline = Date.now() + c.ringTimeoutMs + CALL_GRACE_MS;
  let status = call.status ?? 'queued';
  while (PENDING.has(status)) {
    if (Date.now() >= deadline) return 'no-answer';
    await sleep(c.pollIntervalMs, signal);
    const now = await api.get(`Calls/${encodeURIComponent(call.sid!)}.json`) as CallResource;
    status = now.status ?? status;
  }
  return status;
}

class TwilioAPI {
  readonly base: string;
  readonly c: ResolvedTwilio;
  readonly signal: AbortSignal;
  readonly auth: { username: string; password: string };

  constructor(c: ResolvedTwilio, signal: AbortSignal) {
    this.c = c;
    this.signal = signal;
    this.base = `${c.apiURL.replace(/\/+$/, '')}/2010-04-01/Accounts/${encodeURIComponent(c.accountSID)}/`;
    this.auth = { username: c.accountSID, password: c.authTokenFile !== undefined ? readSecret(c.authTokenFile) : c.authToken ?? '' };
  }

  async post(resource: string, form: Record<string, string>): Promise<unknown> {
    return this.call('POST', resource, new URLSearchParams(form).toString());
  }

  async get(resource: string): Promise<unknown> {
    return this.call('GET', resource, undefined);
  }

  private async call(method: 'GET' | 'POST', resource: string, body: string | undefined): Promise<unknown> {
    const res = await request({
      method,
      url: this.base + resource,
      headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body,
      basicAuth: this.auth,
      httpConfig: this.c.httpConfig,
      signal: this.signal,
    });
    if (res.status < 200 || res.status >= 300) throw statusError(`twilio ${method} ${resource}`, res);
    try {
      return JSON.parse(res.body) as unknown;
    } catch {
      throw new ChannelError(`twilio ${method} ${resource}: response is not JSON`, true, res.status);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(new ChannelError('twilio: aborted while waiting for the call', true));
      return;
    }
    const t = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(new ChannelError('twilio: aborted while waiting for the call', true));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function xmlEscape(s: string): string {
  return s.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch]!);
}
