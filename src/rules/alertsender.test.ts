import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AlertSender } from './alertsender.ts';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

async function receiver(status = 200): Promise<{ addr: string; got: { url: string; auth: string; body: unknown }[] }> {
  const got: { url: string; auth: string; body: unknown }[] = [];
  const srv = createServer((req: IncomingMessage, res) => {
    let b = '';
    req.on('data', (c: Buffer) => (b += c.toString()));
    req.on('end', () => {
      got.push({ url: `${req.method} ${req.url}`, auth: req.headers.authorization ?? '', body: JSON.parse(b) });
      res.statusCode = status;
      res.end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  closers.push(() => srv.close());
  return { addr: `127.0.0.1:${(srv.address() as AddressInfo).port}`, got };
}

const target = (addrs: string[], o: { pathPrefix?: string; basic?: boolean } = {}) => ({
  scheme: 'http' as const, pathPrefix: o.pathPrefix ?? '/', timeoutMs: 2000, targets: addrs,
  basicAuth: o.basic ? { username: 'u', password: 'p' } : null, authorization: null, tlsInsecureSkipVerify: false,
  staticConfigs: [{ targets: addrs, labels: {} }], followRedirects: true, enableHttp2: true,
});

describe('AlertSender', () => {
  it('posts API v2 alerts to every Alertmanager with external labels added where missing', async () => {
    const a = await receiver();
    const b = await receiver(500);
    const s = new AlertSender([target([a.addr], { pathPrefix: '/am/', basic: true }), target([b.addr])], { cluster: 'eu', env: 'prod' }, pino({ level: 'silent' }));
    s.send([{ labels: { alertname: 'X', env: 'dev' }, annotations: { summary: 's' }, startsAt: Date.UTC(2026, 0, 1), endsAt: Date.UTC(2026, 0, 1, 0, 4), generatorURL: 'http://g' }]);
    await s.flush();
    expect(a.got).toEqual([{
      url: 'POST /am/api/v2/alerts',
      auth: `Basic ${Buffer.from('u:p').toString('base64')}`,
      body: [{ labels: { alertname: 'X', env: 'dev', cluster: 'eu' }, annotations: { summary: 's' }, startsAt: '2026-01-01T00:00:00.000Z', endsAt: '2026-01-01T00:04:00.000Z', generatorURL: 'http://g' }],
    }]);
    expect(b.got).toHaveLength(1);
    // One Alertmanager took it: delivered; the failing one is counted as an error.
    expect(s.stats()).toMatchObject({ sent: 1, errors: 1, dropped: 0, queueLength: 0 });
  });
});
