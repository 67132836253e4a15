// The real Alertmanager and amtool (Debian's prometheus-alertmanager, 0.25) for side-by-side tests
// of the built-in notifier, and a webhook receiver that records what either sends.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { startPeer, type PeerProcess } from './peer.ts';
import { until as untilShared } from './until.ts';

export const ALERTMANAGER_BIN = '/usr/bin/prometheus-alertmanager';
export const AMTOOL_BIN = '/usr/bin/amtool';

export type AlertmanagerProcess = PeerProcess;

/** Starts Alertmanager on a free loopback port, clustering off, with `config` as alertmanager.yml. */
export async function startAlertmanager(dir: string, config: string, externalURL: string, timeoutMs = 30_000): Promise<AlertmanagerProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'alertmanager.yml');
  fs.writeFileSync(cfg, config);
  return startPeer({
    name: 'alertmanager',
    bin: ALERTMANAGER_BIN,
    args: (port) => [
      `--config.file=${cfg}`,
      `--storage.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      `--web.external-url=${externalURL}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    timeoutMs,
  });
}

/** Runs amtool to completion; never rejects (the exit code is part of what tests check). */
export function amtool(args: string[], timeoutMs = 20_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(AMTOOL_BIN, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** One webhook notification as received, with when it arrived. */
export interface Hook {
  path: string;
  at: number;
  body: any;
}

export interface WebhookReceiver {
  /** Base URL; the path tells senders apart (e.g. /strata and /alertmanager). */
  readonly url: string;
  /** Notifications answered with 200, in arrival order. */
  readonly delivered: Hook[];
  /** Every request, including those answered with an error. */
  readonly requests: Hook[];
  close(): Promise<void>;
}

/**
 * A webhook receiver. `fail(hook)` returning a status makes the receiver answer with it (e.g. 500
 * to test retries); such requests are not counted as delivered.
 */
export async function startWebhookReceiver(fail: (h: Hook) => number | undefined = () => undefined): Promise<WebhookReceiver> {
  const delivered: Hook[] = [];
  const requests: Hook[] = [];
  const server = createServer((req, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = Buffer.concat(chunks).toString('utf8');
      }
      const h: Hook = { path: req.url ?? '', at: Date.now(), body };
      requests.push(h);
      const status = fail(h);
      if (status !== undefined) {
        res.writeHead(status);
        res.end('failing on purpose');
        return;
      }
      delivered.push(h);
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    delivered,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}

/** until() with the 30 s these multi-process tests need. */
export function until<T>(what: string, f: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  return untilShared(what, f, timeoutMs);
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** POSTs alerts to an Alertmanager API v2 (Strata's or the real one); throws unless 200. */
export async function postAlerts(baseURL: string, alerts: unknown[]): Promise<void> {
  const r = await fetch(`${baseURL}/api/v2/alerts`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(alerts) });
  const text = await r.text();
  if (r.status !== 200) throw new Error(`POST ${baseURL}/api/v2/alerts: HTTP ${r.status}: ${text}`);
}
