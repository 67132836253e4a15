// email_configs: one message per notification over SMTP, as Alertmanager sends it. Port 465 is
// implicit TLS; elsewhere require_tls demands STARTTLS (and false means plain SMTP, no STARTTLS).
// AUTH is used when a username is configured and the server offers AUTH: the first mechanism of
// the server's list the credentials allow, as Alertmanager picks it (smtpauth.ts); PLAIN carries
// auth_identity as the authorization identity, as Go's smtp.PlainAuth does. The message has an
// HTML part and, when `text` is set, a plain-text part.
import { isIP } from 'node:net';
import { createTransport } from 'nodemailer';
import addressparser from 'nodemailer/lib/addressparser';
import type { Logger } from 'pino';
import { ChannelError, type Channel, type Notification } from '../types.ts';
import type { EmailSettings, GlobalChannelSettings } from './config.ts';
import { templateData } from './data.ts';
import { readSecret, tlsOptions } from './files.ts';
import { alertmanagerAuth, SMTPAuthRefused } from './smtpauth.ts';
import { expander, type TemplateSet } from './templates.ts';

/** An email entry with the global smtp_* settings filled in. */
export interface ResolvedEmail extends EmailSettings {
  from: string;
  hello: string;
  smarthost: string;
  requireTLS: boolean;
}

/**
 * Fills unset fields from `global` as Alertmanager 0.25 does (config.go): each of from, hello,
 * smarthost, auth_username, auth_secret, auth_identity and require_tls on its own, an empty string
 * counting as unset; the password with its file, as one. So an entry naming its own auth_username
 * still takes the global password, secret and identity unless it names its own. Returns the
 * complaints instead when from or smarthost is set nowhere.
 */
export function resolveEmail(c: EmailSettings, g: GlobalChannelSettings): ResolvedEmail | string[] {
  const problems: string[] = [];
  const from = orGlobal(c.from, g.smtp_from);
  const smarthost = orGlobal(c.smarthost, g.smtp_smarthost);
  if (from === undefined || from === '') problems.push('no from address set and no global smtp_from');
  if (smarthost === undefined || smarthost === '') problems.push('no smarthost set and no global smtp_smarthost');
  if (problems.length > 0) return problems;
  const ownPassword = !unset(c.authPassword) || !unset(c.authPasswordFile);
  return {
    ...c,
    from: from!,
    smarthost: smarthost!,
    hello: orGlobal(c.hello, g.smtp_hello)!,
    requireTLS: c.requireTLS ?? g.smtp_require_tls,
    // Not in Alertmanager 0.25, which has no global smtp_tls_config: Strata's own (as in later releases).
    tlsConfig: c.tlsConfig ?? g.smtp_tls_config,
    authUsername: orGlobal(c.authUsername, g.smtp_auth_username),
    authPassword: ownPassword ? c.authPassword : g.smtp_auth_password,
    authPasswordFile: ownPassword ? c.authPasswordFile : g.smtp_auth_password_file,
    authSecret: orGlobal(c.authSecret, g.smtp_auth_secret),
    authIdentity: orGlobal(c.authIdentity, g.smtp_auth_identity),
  };
}

/** The name nodemailer knows the handler by; not a SASL mechanism the server sees. */
const ALERTMANAGER_AUTH = 'ALERTMANAGER-CHOICE';

const unset = (v: string | undefined): boolean => v === undefined || v === '';
const orGlobal = (own: string | undefined, global: string | undefined): string | undefined => (unset(own) ? global : own);

interface Deps {
  templates: TemplateSet;
  htmlTemplates: TemplateSet;
  logger: Logger;
}

export function emailChannel(c: ResolvedEmail, index: number, deps: Deps): Channel {
  return {
    integration: 'email',
    index,
    sendResolved: c.sendResolved,
    send: (n, signal) => sendEmail(c, deps, n, signal),
  };
}

async function sendEmail(c: ResolvedEmail, deps: Deps, n: Notification, signal: AbortSignal): Promise<void> {
  const x = expander(deps.templates, deps.htmlTemplates, templateData(n));
  const to = await x.text('to', c.to);
  const from = await x.text('from', c.from);
  const envelopeTo = addresses(to, 'to');
  const envelopeFrom = addresses(from, 'from');
  if (envelopeFrom.length !== 1) throw new ChannelError(`from must be exactly one address, got ${JSON.stringify(from)}`, false);

  // To, From and Subject are headers like any other: the configured headers may replace them.
  const headers: Record<string, string> = { To: to, From: from, Subject: '{{ template "email.default.subject" . }}', ...c.headers };
  const expanded: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (k === 'To' || k === 'From') expanded[k] = k in c.headers ? await x.text(`headers.${k}`, v) : v;
    else expanded[k] = await x.text(`headers.${k}`, v);
  }
  const { To, From, Subject, ...rest } = expanded;
  const html = c.html === '' ? undefined : await x.html('html', c.html);
  const text = c.text === '' ? undefined : await x.text('text', c.text);

  const [host, port] = splitHostPort(c.smarthost);
  const implicitTLS = port === 465;
  const username = c.authUsername ?? '';
  const credentials = {
    username,
    password: () => (c.authPasswordFile !== undefined && c.authPasswordFile !== '' ? readSecret(c.authPasswordFile) : c.authPassword ?? ''),
    secret: c.authSecret ?? '',
    identity: c.authIdentity ?? '',
  };
  const transport = createTransport({
    host,
    port,
    secure: implicitTLS,
    requireTLS: !implicitTLS && c.requireTLS,
    ignoreTLS: !implicitTLS && !c.requireTLS,
    name: c.hello,
    // nodemailer authenticates only when the server offers AUTH, as Alertmanager; the handler
    // picks the mechanism as Alertmanager does (nodemailer would by its own preference).
    auth: username === '' ? undefined : { user: username, method: ALERTMANAGER_AUTH },
    customAuth: username === '' ? undefined : { [ALERTMANAGER_AUTH]: alertmanagerAuth(credentials, { hello: c.hello, host, tls: implicitTLS || c.requireTLS }) },
    // TLS checks the certificate against the smarthost's name unless server_name says otherwise
    // (SNI carries names only, not IP addresses).
    tls: { servername: isIP(host) === 0 ? host : undefined, ...tlsOptions(c.tlsConfig) },
    connectionTimeout: 30_000,
    greetingTimeout: 30_000,
    socketTimeout: 60_000,
    logger: false,
  });

  const aborted = new Promise<never>((_, reject) => {
    const onAbort = () => {
      transport.close();
      reject(new ChannelError(`sending email via ${c.smarthost} aborted`, true));
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    await Promise.race([
      transport.sendMail({
        envelope: { from: envelopeFrom[0], to: envelopeTo },
        from: From,
        to: To,
        subject: Subject,
        headers: rest,
        html,
        text,
        date: new Date(n.now),
      }),
      aborted,
    ]);
  } catch (e) {
    if (e instanceof ChannelError) throw e;
    throw smtpError(e as Error & { responseCode?: number; code?: string }, c.smarthost);
  } finally {
    transport.close();
  }
}

/** SMTP 5xx replies are permanent (bad address, refused auth); 4xx and connection trouble may pass. */
function smtpError(e: Error & { responseCode?: number; code?: string }, smarthost: string): ChannelError {
  if (e instanceof SMTPAuthRefused) return new ChannelError(`sending email via ${smarthost}: ${e.reason}`, false);
  const code = e.responseCode;
  const retryable = code === undefined ? e.code !== 'EAUTH' && e.code !== 'EENVELOPE' : code < 500;
  return new ChannelError(`sending email via ${smarthost}: ${e.message}`, retryable, code);
}

function addresses(list: string, field: string): string[] {
  const out: string[] = [];
  const walk = (xs: ReturnType<typeof addressparser>) => {
    for (const a of xs) {
      if ('group' in a && a.group) walk(a.group);
      else if ('address' in a && a.address) out.push(a.address);
    }
  };
  walk(addressparser(list));
  if (out.length === 0) throw new ChannelError(`${field}: no email address in ${JSON.stringify(list)}`, false);
  return out;
}

function splitHostPort(s: string): [string, number] {
  const i = s.lastIndexOf(':');
  const host = s.slice(0, i).replace(/^\[(.*)\]$/, '$1');
  return [host, Number(s.slice(i + 1))];
}
