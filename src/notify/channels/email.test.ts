import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ChannelError } from '../types.ts';
import { channelsFrom, notification, realTemplates, resolvedNotification, selfSignedCert, testPKI, type TestCert } from './test-helpers.ts';

interface Delivery {
  from: string;
  to: string[];
  secure: boolean;
  user: unknown;
  mail: ParsedMail;
}

interface MailServer {
  port: number;
  deliveries: Delivery[];
  authMethodsUsed: string[];
  /** The authorization identity of each AUTH PLAIN ('' when none was sent). */
  authIdentities: string[];
  /** The subject CN of the client certificate of each TLS session ('' without one). */
  clientCerts: string[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on loopback; accepts the user "alerts" with password "hunter2". */
async function startSMTP(cert: { key: string; cert: string }, opts: Partial<SMTPServerOptions> = {}, port = 0, host = '127.0.0.1'): Promise<MailServer> {
  const deliveries: Delivery[] = [];
  const authMethodsUsed: string[] = [];
  const authIdentities: string[] = [];
  const clientCerts: string[] = [];
  const server = new SMTPServer({
    key: cert.key,
    cert: cert.cert,
    logger: false,
    authMethods: ['PLAIN', 'LOGIN'],
    onSecure(socket, _session, cb) {
      const peer = (socket as TLSSocket).getPeerCertificate();
      clientCerts.push(typeof peer.subject?.CN === 'string' ? peer.subject.CN : '');
      cb();
    },
    onAuth(auth, _session, cb) {
      authMethodsUsed.push(auth.method);
      if (auth.method === 'PLAIN') authIdentities.push((auth as { authzid?: string }).authzid ?? '');
      const ok = auth.method === 'CRAM-MD5' ? auth.validatePassword('hunter2') : auth.password === 'hunter2';
      if (auth.username === 'alerts' && ok) cb(null, { user: auth.username });
      else cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session, cb) {
      simpleParser(stream).then((mail) => {
        deliveries.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          secure: session.secure,
          user: session.user,
          mail,
        });
        cb();
      }, cb);
    },
    ...opts,
  });
  // A TLS handshake the server refuses (no client certificate) is reported here too: the tests
  // check what the client got.
  server.on('error', () => {});
  await new Promise<void>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    port: (server.server.address() as AddressInfo).port,
    deliveries,
    authMethodsUsed,
    authIdentities,
    clientCerts,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const signal = () => AbortSignal.timeout(20_000);

describe('email channel', () => {
  let cert: TestCert;
  let smtp: MailServer | undefined;
  beforeAll(() => {
    cert = selfSignedCert();
  });
  afterAll(() => cert.remove());
  afterEach(async () => {
    await smtp?.close();
    smtp = undefined;
  });

  const plainBodies = { html: '<p>Latency is <b>high</b></p>', text: 'Latency is high' };

  it('delivers over STARTTLS with AUTH PLAIN: envelope, headers, HTML and text parts', async () => {
    smtp = await startSMTP(cert);
    const [ch] = channelsFrom({
      email_configs: [{
        to: 'oncall@example.org, Team API <team-api@example.org>',
        headers: { Subject: 'HighLatency on api', 'X-Team': 'api' },
        ...plainBodies,
      }],
    }, {
      smtp_smarthost: `127.0.0.1:${smtp.port}`,
      smtp_from: 'Strata <strata@example.org>',
      smtp_hello: 'strata.example.org',
      smtp_auth_username: 'alerts',
      smtp_auth_password: 'hunter2',
      smtp_tls_config: { ca_file: cert.certFile },
    });
    expect(ch.integration).toBe('email');
    expect(ch.sendResolved).toBe(false);
    await ch.send(notification(), signal());

    expect(smtp.deliveries).toHaveLength(1);
    const d = smtp.deliveries[0];
    expect(d.secure).toBe(true);
    expect(d.user).toBe('alerts');
    expect(smtp.authMethodsUsed).toEqual(['PLAIN']);
    expect(smtp.authIdentities).toEqual(['']);
    expect(d.from).toBe('strata@example.org');
    expect(d.to).toEqual(['oncall@example.org', 'team-api@example.org']);
    expect(d.mail.subject).toBe('HighLatency on api');
    expect(d.mail.from?.text).toBe('"Strata" <strata@example.org>');
    expect(d.mail.to && !Array.isArray(d.mail.to) ? d.mail.to.value.map((a) => a.address) : []).toEqual(['oncall@example.org', 'team-api@example.org']);
    expect(d.mail.headers.get('x-team')).toBe('api');
    expect(d.mail.html).toBe(plainBodies.html);
    expect(d.mail.text?.trim()).toBe(plainBodies.text);
    expect(d.mail.date?.getTime()).toBe(notification().now);
  });

  it('uses AUTH LOGIN when that is what the server offers, with an entry of its own settings', async () => {
    smtp = await startSMTP(cert, { authMethods: ['LOGIN'] });
    const [ch] = channelsFrom({
      email_configs: [{
        to: 'oncall@example.org',
        from: 'strata@example.org',
        smarthost: `127.0.0.1:${smtp.port}`,
        auth_username: 'alerts',
        auth_password: 'hunter2',
        tls_config: { ca_file: cert.certFile },
        headers: { subject: 'lower-case header name' },
        ...plainBodies,
      }],
    });
    await ch.send(notification(), signal());
    expect(smtp.authMethodsUsed).toEqual(['LOGIN']);
    expect(smtp.deliveries[0].mail.subject).toBe('lower-case header name');
  });

  it('sends auth_identity as the authorization identity of AUTH PLAIN, as Go\'s smtp.PlainAuth', async () => {
    smtp = await startSMTP(cert);
    const base = { to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`, auth_username: 'alerts', auth_identity: 'team-api', tls_config: { ca_file: cert.certFile }, headers: { Subject: 's' }, ...plainBodies };
    const [ch] = channelsFrom({ email_configs: [{ ...base, auth_password: 'hunter2' }] });
    await ch.send(notification(), signal());
    expect(smtp.authIdentities).toEqual(['team-api']);
    expect(smtp.deliveries[0].user).toBe('alerts');

    // A refusal of that AUTH PLAIN is final, as any refused login.
    const [wrong] = channelsFrom({ email_configs: [{ ...base, auth_password: 'nope' }] });
    const err = await wrong.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).retryable).toBe(false);
    expect((err as ChannelError).status).toBe(535);
    expect(smtp.deliveries).toHaveLength(1);
  });

  // Alertmanager 0.25's rule (config.go), compared with its status output in
  // test/alerting-interop-api.test.ts: each global smtp_* field fills the entry's own when unset.
  it('takes the global credentials field by field: an own auth_username still gets the global password and identity', async () => {
    smtp = await startSMTP(cert);
    const global = {
      smtp_smarthost: `127.0.0.1:${smtp.port}`, smtp_from: 'strata@example.org', smtp_tls_config: { ca_file: cert.certFile },
      smtp_auth_username: 'someone-else', smtp_auth_password: 'hunter2', smtp_auth_identity: 'global-id',
    };
    const entry = { to: 'oncall@example.org', headers: { Subject: 's' }, ...plainBodies };
    const [ownUser, ownIdentity, emptyOwn] = channelsFrom({
      email_configs: [
        { ...entry, auth_username: 'alerts' },
        { ...entry, auth_username: 'alerts', auth_identity: 'team-api' },
        // Empty strings are unset, as in Go: the global values apply (and refuse the login).
        { ...entry, auth_username: '', auth_identity: '' },
      ],
    }, global);
    await ownUser.send(notification(), signal());
    await ownIdentity.send(notification(), signal());
    expect(smtp.deliveries.map((d) => d.user)).toEqual(['alerts', 'alerts']);
    expect(smtp.authIdentities).toEqual(['global-id', 'team-api']);
    const err = await emptyOwn.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect((err as ChannelError).status).toBe(535);
    expect(smtp.authIdentities).toEqual(['global-id', 'team-api', 'global-id']);
  });

  it('takes neither global password nor password file when the entry has either', async () => {
    smtp = await startSMTP(cert);
    const dir = mkdtempSync(join(tmpdir(), 'strata-email-'));
    try {
      writeFileSync(join(dir, 'password'), 'hunter2\n');
      const global = { smtp_smarthost: `127.0.0.1:${smtp.port}`, smtp_from: 'strata@example.org', smtp_tls_config: { ca_file: cert.certFile }, smtp_auth_username: 'alerts', smtp_auth_password: 'wrong' };
      const entry = { to: 'oncall@example.org', headers: { Subject: 's' }, ...plainBodies };
      const [withFile, withoutOwn] = channelsFrom({ email_configs: [{ ...entry, auth_password_file: join(dir, 'password') }, entry] }, global);
      await withFile.send(notification(), signal());
      expect(smtp.deliveries.map((d) => d.user)).toEqual(['alerts']);
      const err = await withoutOwn.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err as ChannelError).status).toBe(535);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('presents the client certificate of tls_config to a server that requires one', async () => {
    const pki = testPKI();
    try {
      smtp = await startSMTP(pki.server, { ca: pki.ca, requestCert: true, rejectUnauthorized: true, authOptional: true });
      const base = { to: 'oncall@example.org', from: 'strata@example.org', smarthost: `localhost:${smtp.port}`, headers: { Subject: 's' }, ...plainBodies };
      const [ch] = channelsFrom({ email_configs: [{ ...base, tls_config: { ca_file: pki.caFile, cert_file: pki.client.certFile, key_file: pki.client.keyFile } }] });
      await ch.send(notification(), signal());
      expect(smtp.clientCerts).toEqual(['strata-notifier']);
      expect(smtp.deliveries).toHaveLength(1);
      expect(smtp.deliveries[0].secure).toBe(true);

      const [without] = channelsFrom({ email_configs: [{ ...base, tls_config: { ca_file: pki.caFile } }] });
      const err = await without.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect(smtp.deliveries).toHaveLength(1);
    } finally {
      pki.remove();
    }
  });

  it('uses CRAM-MD5 with auth_secret', async () => {
    smtp = await startSMTP(cert, { authMethods: ['CRAM-MD5'] });
    const [ch] = channelsFrom({
      email_configs: [{
        to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`,
        auth_username: 'alerts', auth_secret: 'hunter2', tls_config: { ca_file: cert.certFile }, headers: { Subject: 's' }, ...plainBodies,
      }],
    });
    await ch.send(notification(), signal());
    expect(smtp.authMethodsUsed).toEqual(['CRAM-MD5']);
    expect(smtp.deliveries[0].user).toBe('alerts');
  });

  // Alertmanager 0.25 walks the server's AUTH list in its order and takes the first mechanism the
  // credentials allow: CRAM-MD5 with auth_secret, PLAIN and LOGIN with a password; Go's PLAIN only
  // over TLS or to localhost. Each expectation was checked against the real Alertmanager 0.25 with
  // these servers (which methods its notifications used, and its logged errors).
  const mechanismCases: { name: string; offered: string[]; creds: Record<string, string>; host?: string; want: string | RegExp }[] = [
    { name: 'LOGIN first in the list, though a secret is set too', offered: ['LOGIN', 'PLAIN', 'CRAM-MD5'], creds: { auth_password: 'hunter2', auth_secret: 'hunter2' }, want: 'LOGIN' },
    { name: 'PLAIN first', offered: ['PLAIN', 'CRAM-MD5'], creds: { auth_password: 'hunter2', auth_secret: 'hunter2' }, want: 'PLAIN' },
    { name: 'CRAM-MD5 passed over without a secret', offered: ['CRAM-MD5', 'PLAIN'], creds: { auth_password: 'hunter2' }, want: 'PLAIN' },
    { name: 'LOGIN and PLAIN passed over without a password', offered: ['LOGIN', 'PLAIN', 'CRAM-MD5'], creds: { auth_secret: 'hunter2' }, want: 'CRAM-MD5' },
    { name: 'nothing usable', offered: ['CRAM-MD5'], creds: { auth_password: 'hunter2' }, want: /: missing secret for CRAM-MD5 auth mechanism$/ },
    { name: 'an unreadable password file is a reason like a missing password', offered: ['CRAM-MD5', 'PLAIN'], creds: { auth_password_file: '/nonexistent/smtp-password' }, want: /: missing secret for CRAM-MD5 auth mechanism; cannot read secret file \/nonexistent\/smtp-password: ENOENT$/ },
    { name: 'no mechanism it knows', offered: ['XOAUTH2'], creds: { auth_password: 'hunter2' }, want: /: unknown auth mechanism: XOAUTH2$/ },
    { name: 'PLAIN in the clear to a host that is not localhost', offered: ['PLAIN', 'LOGIN'], host: '127.0.0.2', creds: { auth_password: 'hunter2' }, want: /PLAIN auth refused: unencrypted connection/ },
    { name: 'LOGIN in the clear to a host that is not localhost', offered: ['LOGIN', 'PLAIN'], host: '127.0.0.2', creds: { auth_password: 'hunter2' }, want: 'LOGIN' },
  ];
  for (const c of mechanismCases) {
    it(`picks the AUTH mechanism as Alertmanager: ${c.name}`, async () => {
      // Plain SMTP, so that the order is all that differs (PLAIN is allowed to 127.0.0.1).
      smtp = await startSMTP(cert, { authMethods: c.offered, allowInsecureAuth: true, hideSTARTTLS: true }, 0, c.host);
      const [ch] = channelsFrom({
        email_configs: [{
          to: 'oncall@example.org', from: 'strata@example.org', smarthost: `${c.host ?? '127.0.0.1'}:${smtp.port}`, require_tls: false,
          auth_username: 'alerts', ...c.creds, headers: { Subject: 's' }, ...plainBodies,
        }],
      });
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      if (typeof c.want === 'string') {
        expect(err).toBe(null);
        expect(smtp.authMethodsUsed).toEqual([c.want]);
        expect(smtp.deliveries.map((d) => d.user)).toEqual(['alerts']);
      } else {
        expect(err).toBeInstanceOf(ChannelError);
        expect((err as ChannelError).message).toMatch(c.want);
        expect((err as ChannelError).retryable).toBe(false);
        // Refused before any credential went out.
        expect(smtp.authMethodsUsed).toEqual([]);
        expect(smtp.deliveries).toEqual([]);
      }
    });
  }

  it('sends without AUTH when the server does not offer it, though a username is set (as Alertmanager)', async () => {
    smtp = await startSMTP(cert, { disabledCommands: ['AUTH'], hideSTARTTLS: true });
    const [ch] = channelsFrom({
      email_configs: [{ to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`, require_tls: false, auth_username: 'alerts', auth_password: 'hunter2', headers: { Subject: 's' }, ...plainBodies }],
    });
    await ch.send(notification(), signal());
    expect(smtp.authMethodsUsed).toEqual([]);
    expect(smtp.deliveries).toHaveLength(1);
  });

  it('fails without retry on wrong credentials, and on a certificate it cannot verify', async () => {
    smtp = await startSMTP(cert);
    const base = { to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`, auth_username: 'alerts', headers: { Subject: 's' }, ...plainBodies };
    const [wrong] = channelsFrom({ email_configs: [{ ...base, auth_password: 'nope', tls_config: { ca_file: cert.certFile } }] });
    const err = await wrong.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).retryable).toBe(false);
    expect((err as ChannelError).status).toBe(535);

    const [untrusted] = channelsFrom({ email_configs: [{ ...base, auth_password: 'hunter2' }] });
    const err2 = await untrusted.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err2).toBeInstanceOf(ChannelError);
    expect((err2 as ChannelError).message).toMatch(/self[- ]signed/i);
    expect(smtp.deliveries).toHaveLength(0);
  });

  it('refuses to send in the clear when require_tls is true and the server offers no STARTTLS', async () => {
    smtp = await startSMTP(cert, { disabledCommands: ['STARTTLS', 'AUTH'] });
    const entry = { to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`, headers: { Subject: 's' }, ...plainBodies };
    const [strict] = channelsFrom({ email_configs: [entry] });
    const err = await strict.send(notification(), signal()).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(ChannelError);
    expect(smtp.deliveries).toHaveLength(0);

    // require_tls: false is plain SMTP, as Alertmanager (no STARTTLS attempted).
    const [lax] = channelsFrom({ email_configs: [{ ...entry, require_tls: false }] });
    await lax.send(notification(), signal());
    expect(smtp.deliveries).toHaveLength(1);
    expect(smtp.deliveries[0].secure).toBe(false);
  });

  // Port 465 means TLS from the first byte (Alertmanager's rule); binding it needs root.
  it.skipIf(process.getuid?.() !== 0)('speaks TLS from the first byte on port 465', async () => {
    smtp = await startSMTP(cert, { secure: true }, 465);
    const [ch] = channelsFrom({
      email_configs: [{
        to: 'oncall@example.org', from: 'strata@example.org', smarthost: '127.0.0.1:465',
        auth_username: 'alerts', auth_password: 'hunter2', tls_config: { ca_file: cert.certFile }, headers: { Subject: 's' }, ...plainBodies,
      }],
    });
    await ch.send(notification(), signal());
    expect(smtp.deliveries).toHaveLength(1);
    expect(smtp.deliveries[0].secure).toBe(true);
    expect(smtp.deliveries[0].user).toBe('alerts');
  });

  it('sends nothing for a resolved group unless send_resolved is true', async () => {
    smtp = await startSMTP(cert, { disabledCommands: ['STARTTLS', 'AUTH'] });
    const entry = { to: 'oncall@example.org', from: 'strata@example.org', smarthost: `127.0.0.1:${smtp.port}`, require_tls: false, headers: { Subject: 's' }, ...plainBodies };
    const [quiet, loud] = channelsFrom({ email_configs: [entry, { ...entry, send_resolved: true }] });
    await quiet.send(resolvedNotification(), signal());
    expect(smtp.deliveries).toHaveLength(0);
    await loud.send(resolvedNotification(), signal());
    expect(smtp.deliveries).toHaveLength(1);
  });

  it('by default sends the default subject and HTML body, and the text part when `text` is set', async () => {
    smtp = await startSMTP(cert, { disabledCommands: ['STARTTLS', 'AUTH'] });
    const { templates, htmlTemplates } = realTemplates();
    const [ch] = channelsFrom({
      email_configs: [{ to: '{{ .GroupLabels.alertname | toLower }}@example.org', text: '{{ template "email.default.text" . }}' }],
    }, { smtp_smarthost: `127.0.0.1:${smtp.port}`, smtp_from: 'strata@example.org', smtp_require_tls: false }, templates, htmlTemplates);
    const n = notification();
    n.alerts[0] = { ...n.alerts[0], annotations: { summary: 'queue <b>full</b>' } };
    await ch.send(n, signal());
    const d = smtp.deliveries[0];
    expect(d.to).toEqual(['highlatency@example.org']);
    expect(d.mail.subject).toBe('[FIRING 2] HighLatency');
    expect(d.mail.html).toContain('<title>[FIRING 2] HighLatency</title>');
    expect(d.mail.html).toContain('queue &lt;b&gt;full&lt;/b&gt;');
    expect(d.mail.text).toContain('Firing:\n* HighLatency since 2026-01-02 02:54:05 UTC');
    expect(d.mail.text).toContain('  summary: queue <b>full</b>');
  });

  it('needs a smarthost and a from address, from the entry or global', () => {
    expect(() => channelsFrom({ email_configs: [{ to: 'a@example.org' }] })).toThrow(/email_configs\.0: no from address set and no global smtp_from/);
    expect(() => channelsFrom({ email_configs: [{ to: 'a@example.org', from: 'b@example.org' }] })).toThrow(/no smarthost set and no global smtp_smarthost/);
    expect(() => channelsFrom({ email_configs: [{ from: 'b@example.org' }] })).toThrow(/missing to address/);
    expect(() => channelsFrom({ email_configs: [{ to: 'a@example.org', smarthost: 'mail.example.org' }] })).toThrow(/expected host:port/);
    expect(() => channelsFrom({ email_configs: [{ to: 'a@example.org', headers: { Subject: 'x', subject: 'y' } }] })).toThrow(/duplicate header .*Subject/);
  });
});
