// Shared by the channel tests: a notification to send, channels built from config as a user
// writes it, and a local HTTP server that records what a vendor API would receive.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import * as z from 'zod';
import type { Alert, Channel, Notification } from '../types.ts';
import { globalChannelFields, receiverChannelFields } from './config.ts';
import { createReceiverChannels } from './receiver.ts';
import { alertmanagerFuncs, createTemplateSet } from '../../template/index.ts';
import { addDefaultTemplates, type TemplateSet } from './templates.ts';

export const NOW = Date.parse('2026-01-02T03:04:05Z');

function alert(instance: string, over: Partial<Alert> = {}): Alert {
  return {
    labels: { alertname: 'HighLatency', job: 'api', instance, severity: 'page' },
    annotations: { summary: `p99 latency above 1s on ${instance}`, runbook: 'https://runbooks.example/latency' },
    startsAt: NOW - 600_000,
    endsAt: NOW + 300_000,
    generatorURL: `http://prometheus.example:9090/graph?g0.expr=latency%7Binstance%3D%22${instance}%22%7D`,
    updatedAt: NOW,
    timeout: false,
    ...over,
  };
}

/** Two firing alerts (a, c) and one resolved a second ago (b), in one group by alertname. */
export function notification(over: Partial<Notification> = {}): Notification {
  return {
    receiver: 'team-api',
    groupKey: '{}:{alertname="HighLatency"}',
    groupLabels: { alertname: 'HighLatency' },
    alerts: [alert('a:9100'), alert('b:9100', { endsAt: NOW - 1000, startsAt: NOW - 1_200_000 }), alert('c:9100', { startsAt: NOW - 60_000 })],
    externalURL: 'http://strata.example:9093',
    now: NOW,
    ...over,
  };
}

export function resolvedNotification(): Notification {
  const n = notification();
  return { ...n, alerts: n.alerts.map((a) => ({ ...a, endsAt: NOW - 1000 })) };
}

const receiverSchema = z.strictObject({ name: z.string(), ...receiverChannelFields });
const globalSchema = z.strictObject(globalChannelFields);

/** A template set that fails loudly: for channels whose tested fields are all plain text. */
export const noTemplates: TemplateSet = {
  parse: () => undefined,
  execute: () => { throw new Error('no template engine in this test'); },
  render: () => { throw new Error('no template engine in this test'); },
};

/** The channels of one receiver, configured as in an alertmanager.yml (snake_case, defaults applied). */
export function channelsFrom(receiver: Record<string, unknown>, global: Record<string, unknown> = {}, templates: TemplateSet = noTemplates, htmlTemplates?: TemplateSet): Channel[] {
  return createReceiverChannels(receiverSchema.parse({ name: 'team-api', ...receiver }), globalSchema.parse(global), {
    templates,
    htmlTemplates,
    logger: pino({ level: 'silent' }),
    externalURL: 'http://strata.example:9093',
  });
}

export interface Recorded {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface Receiver {
  url: string;
  requests: Recorded[];
  close(): Promise<void>;
}

type Handler = (r: Recorded, res: http.ServerResponse) => void;

/** A loopback HTTP(S) server that records every request and answers with `handler` (default 200). */
export async function startReceiver(handler: Handler = (_, res) => res.end('ok'), tls?: { key: string; cert: string }): Promise<Receiver> {
  const requests: Recorded[] = [];
  const onRequest = (req: http.IncomingMessage, res: http.ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      requests.push(r);
      handler(r, res);
    });
  };
  const server = tls ? https.createServer(tls, onRequest) : http.createServer(onRequest);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `${tls ? 'https' : 'http'}://${tls ? 'localhost' : '127.0.0.1'}:${port}`,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

export interface TestCert {
  dir: string;
  keyFile: string;
  certFile: string;
  key: string;
  cert: string;
  remove(): void;
}

/** A throwaway self-signed certificate for localhost and 127.0.0.1 (openssl is on the test machine). */
export function selfSignedCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'strata-channels-'));
  const keyFile = join(dir, 'key.pem');
  const certFile = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', '1',
    '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });
  return {
    dir, keyFile, certFile,
    key: readFileSync(keyFile, 'utf8'),
    cert: readFileSync(certFile, 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The template engine with the default templates parsed, as the notifier sets it up: text and HTML. */
export function realTemplates(): { templates: TemplateSet; htmlTemplates: TemplateSet } {
  const funcs = alertmanagerFuncs;
  // missingkey=zero, as the notifier (src/roles/notifier.ts) and Alertmanager execute them.
  const templates = createTemplateSet({ funcs, missingKey: 'zero' });
  const htmlTemplates = createTemplateSet({ funcs, html: true, missingKey: 'zero' });
  addDefaultTemplates(templates);
  addDefaultTemplates(htmlTemplates);
  return { templates, htmlTemplates };
}

export interface TestPKI {
  dir: string;
  /** The CA that signed both certificates. */
  caFile: string;
  ca: string;
  /** A server certificate for localhost and 127.0.0.1. */
  server: { certFile: string; keyFile: string; cert: string; key: string };
  /** A client certificate (CN=strata-notifier), for servers that require one. */
  client: { certFile: string; keyFile: string };
  remove(): void;
}

/** A throwaway CA with a server and a client certificate it signed (openssl on the test machine). */
export function testPKI(): TestPKI {
  const dir = mkdtempSync(join(tmpdir(), 'strata-pki-'));
  const f = (name: string) => join(dir, name);
  const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'ignore', cwd: dir });
  ssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '1', '-subj', '/CN=Strata test CA');
  const issue = (name: string, subject: string, ext: string) => {
    ssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', subject);
    writeFileSync(f(`${name}.ext`), ext);
    ssl('x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.pem`), '-days', '1', '-extfile', f(`${name}.ext`));
  };
  issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  issue('client', '/CN=strata-notifier', 'extendedKeyUsage=clientAuth\n');
  return {
    dir,
    caFile: f('ca.pem'),
    ca: readFileSync(f('ca.pem'), 'utf8'),
    server: { certFile: f('server.pem'), keyFile: f('server.key'), cert: readFileSync(f('server.pem'), 'utf8'), key: readFileSync(f('server.key'), 'utf8') },
    client: { certFile: f('client.pem'), keyFile: f('client.key') },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
