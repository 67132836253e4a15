// SMTP authentication as Alertmanager 0.25 does it (notify/email's auth() over Go's net/smtp): the
// mechanism is the first one in the server's own AUTH list that the configured credentials allow
// (CRAM-MD5 needs auth_secret; PLAIN and LOGIN need a password), not a preference of the client's.
// nodemailer reorders the advertised list into its own preference, so the exchange is run here, as
// a nodemailer custom auth handler that asks the server for its list again (EHLO is repeatable).
import { createHmac } from 'node:crypto';
import type { SMTPConnectionCustomAuthHandler } from 'nodemailer/lib/smtp-connection';

export interface SMTPCredentials {
  username: string;
  /** Read when PLAIN or LOGIN is considered (a password file is read then, as Alertmanager does); may throw. */
  password: () => string;
  secret: string;
  identity: string;
}

export type SMTPMechanism = 'CRAM-MD5' | 'PLAIN' | 'LOGIN';

/**
 * Authentication given up before any credential was sent (nothing usable offered, PLAIN in the
 * clear). nodemailer appends the last server reply to the message (here the EHLO's 250) and takes
 * its code: `reason` is the message without it. Trying again will not help.
 */
export class SMTPAuthRefused extends Error {
  readonly reason: string;
  constructor(reason: string) {
    super(reason);
    this.name = 'SMTPAuthRefused';
    this.reason = reason;
  }
}

/**
 * The mechanism Alertmanager 0.25 picks from the AUTH extension's parameter (space-separated, in
 * the server's order), or why none can be used, in its words. Names are compared as Go does:
 * exactly, one space between them.
 */
export function chooseMechanism(advertised: string, c: SMTPCredentials): SMTPMechanism | SMTPAuthRefused {
  const problems: string[] = [];
  for (const mech of advertised.split(' ')) {
    switch (mech) {
      case 'CRAM-MD5':
        if (c.secret === '') problems.push('missing secret for CRAM-MD5 auth mechanism');
        else return mech;
        break;
      case 'PLAIN':
      case 'LOGIN': {
        let password: string;
        try {
          password = c.password();
        } catch (e) {
          problems.push((e as Error).message);
          break;
        }
        if (password === '') problems.push(`missing password for ${mech} auth mechanism`);
        else return mech;
        break;
      }
    }
  }
  if (problems.length === 0) problems.push(`unknown auth mechanism: ${advertised}`);
  return new SMTPAuthRefused(problems.join('; '));
}

/**
 * The AUTH extension's parameter in an EHLO reply as Go's net/smtp reads it: each line after the
 * first is `KEYWORD params`, the keyword taken as sent; a later AUTH line replaces an earlier one.
 * undefined when the server does not offer AUTH.
 */
export function advertisedAuth(ehloReply: string): string | undefined {
  let auth: string | undefined;
  const lines = ehloReply.split(/\r?\n/).map((l) => l.replace(/^\d{3}[ -]?/, ''));
  for (const line of lines.slice(1)) {
    const sp = line.indexOf(' ');
    const keyword = sp < 0 ? line : line.slice(0, sp);
    if (keyword === 'AUTH') auth = sp < 0 ? '' : line.slice(sp + 1);
  }
  return auth;
}

// Go's smtp.PlainAuth sends the password only over TLS or to the local host, judged by the name
// the connection was made to (not the address it resolved to).
function isLocalhost(host: string): boolean {
  return host === 'localhost' || host === '127.0.0.1' || host === '::1';
}

export interface AuthSession {
  /** The EHLO name, sent again to read the server's AUTH list in its order. */
  hello: string;
  /** The smarthost's host part, as Go's smtp.Client knows the server. */
  host: string;
  /** Whether the session is TLS by now (port 465, or STARTTLS done). */
  tls: boolean;
}

type Reply = { status: number; text?: string; response: string };
type Send = (cmd: string) => Promise<Reply>;

/** Runs one SASL exchange in the shape of Go's smtp.Client.Auth: 334 challenges until 235. */
async function exchange(send: Send, first: string, next: (challenge: Buffer) => string): Promise<void> {
  let r = await send(first);
  for (;;) {
    if (r.status === 235) return;
    // nodemailer appends the reply (the last one it saw) to the message, and takes its code.
    if (r.status !== 334) throw Object.assign(new Error(`${first.split(' ').slice(0, 2).join(' ')} failed`), { responseCode: r.status });
    const challenge = Buffer.from((r.text ?? '').trim(), 'base64');
    let answer: string;
    try {
      answer = next(challenge);
    } catch (e) {
      await send('*'); // cancels the exchange (RFC 4954)
      throw e;
    }
    r = await send(Buffer.from(answer, 'utf8').toString('base64'));
  }
}

function noChallenge(): string {
  throw new Error('unexpected server challenge');
}

/**
 * A nodemailer custom auth handler that authenticates as Alertmanager 0.25 would. nodemailer calls
 * it only when the server offers AUTH at all; without AUTH Alertmanager sends unauthenticated.
 */
export function alertmanagerAuth(c: SMTPCredentials, s: AuthSession): SMTPConnectionCustomAuthHandler {
  return async (ctx) => {
    const send: Send = (cmd) => ctx.sendCommand(cmd) as Promise<Reply>;
    const ehlo = await send(`EHLO ${s.hello}`);
    // nodemailer reads the status off the first line, which has `250-` in a multi-line reply.
    const status = Number(/^(\d{3})/.exec(ehlo.response.split('\n').at(-1) ?? '')?.[1] ?? 0);
    if (status !== 250) throw Object.assign(new Error('EHLO before AUTH refused'), { responseCode: status });
    const advertised = advertisedAuth(ehlo.response);
    if (advertised === undefined) return; // no longer offered: Alertmanager would not authenticate
    const mech = chooseMechanism(advertised, c);
    if (mech instanceof SMTPAuthRefused) throw mech;
    switch (mech) {
      case 'CRAM-MD5':
        return exchange(send, 'AUTH CRAM-MD5', (challenge) => `${c.username} ${createHmac('md5', c.secret).update(challenge).digest('hex')}`);
      case 'PLAIN':
        if (!s.tls && !isLocalhost(s.host)) throw new SMTPAuthRefused('PLAIN auth refused: unencrypted connection (Alertmanager sends a password in the clear only to localhost)');
        return exchange(send, `AUTH PLAIN ${Buffer.from(`${c.identity}\0${c.username}\0${c.password()}`, 'utf8').toString('base64')}`, noChallenge);
      case 'LOGIN':
        return exchange(send, 'AUTH LOGIN', (challenge) => {
          switch (challenge.toString('utf8').toLowerCase()) {
            case 'username:':
              return c.username;
            case 'password:':
              return c.password();
            default:
              throw new Error('unexpected server challenge');
          }
        });
    }
  };
}
