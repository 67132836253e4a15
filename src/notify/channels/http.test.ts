// http_config of the HTTP channels, through the webhook channel: oauth2 client credentials against a
// local token server, proxies (forward for http://, CONNECT for https://, no_proxy, the
// environment), redirects, and client certificates against a server that requires one. The token
// source's caching and fallbacks, the proxy rules and the tunnel's TLS checks are src/httpclient's
// and tested there; here, that the settings reach them and how failures count for retries.
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { setProxyEnv, startProxy, type TestProxy } from '../../httpclient/testing.ts';
import { ChannelError } from '../types.ts';
import { channelsFrom, json, notification, startReceiver, testPKI, type Receiver, type Recorded, type TestPKI } from './test-helpers.ts';

const signal = () => AbortSignal.timeout(10_000);

const form = (r: Recorded) => Object.fromEntries(new URLSearchParams(r.body));
const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

describe('http_config', () => {
  let rx: Receiver;
  let tokens: Receiver | undefined;
  let proxy: TestProxy | undefined;
  afterEach(async () => {
    await rx?.close();
    await tokens?.close();
    await proxy?.close();
    tokens = undefined;
    proxy = undefined;
  });

  describe('oauth2', () => {
    it('fetches a client-credentials token with the form fields and Basic client auth, and reuses it until it expires', async () => {
      let issued = 0;
      tokens = await startReceiver((_, res) => json(res, 200, { access_token: `tok-${++issued}`, token_type: 'bearer', expires_in: 3600 }));
      rx = await startReceiver();
      const [ch] = channelsFrom({
        webhook_configs: [{
          url: `${rx.url}/hook`,
          http_config: { oauth2: { client_id: 'strata notifier', client_secret: 's3cret!', token_url: `${tokens.url}/oauth/token`, scopes: ['alerts.write', 'audit'], endpoint_params: { audience: 'hooks' } } },
        }],
      });
      await ch.send(notification(), signal());
      await ch.send(notification(), signal());

      expect(tokens.requests).toHaveLength(1);
      const t = tokens.requests[0];
      expect(t.method).toBe('POST');
      expect(t.url).toBe('/oauth/token');
      expect(t.headers['content-type']).toBe('application/x-www-form-urlencoded');
      // RFC 6749 2.3.1: id and secret form-encoded, then joined for Basic.
      expect(t.headers.authorization).toBe(basic('strata+notifier', 's3cret%21'));
      expect(form(t)).toEqual({ grant_type: 'client_credentials', scope: 'alerts.write audit', audience: 'hooks' });
      expect(rx.requests.map((r) => r.headers.authorization)).toEqual(['Bearer tok-1', 'Bearer tok-1']);
    });

    it('fails without retry when the token server refuses the client, and retryably when it is down', async () => {
      tokens = await startReceiver((_, res) => json(res, 400, { error: 'invalid_client' }));
      rx = await startReceiver();
      const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { oauth2: { client_id: 'id', client_secret: 'bad', token_url: tokens.url } } }] });
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(ChannelError);
      expect((err as ChannelError).retryable).toBe(false);
      expect((err as ChannelError).message).toMatch(/oauth2: token endpoint .* returned HTTP 400: \{"error":"invalid_client"\}/);
      expect(rx.requests).toHaveLength(0);

      const [down] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { oauth2: { client_id: 'id', client_secret: 'x', token_url: 'http://127.0.0.1:9/token' } } }] });
      const err2 = await down.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err2 as ChannelError).retryable).toBe(true);
    });
  });

  describe('proxies', () => {
    it('sends http:// requests through proxy_url as a forward proxy, with Proxy-Authorization from its user info', async () => {
      rx = await startReceiver();
      proxy = await startProxy({ route: (h) => (h === 'hooks.example.test' ? new URL(rx.url).host : h) });
      const [ch] = channelsFrom({ webhook_configs: [{ url: 'http://hooks.example.test/alerts?team=api', http_config: { proxy_url: proxy.url.replace('//', '//alice:pa%3Ass@') } }] });
      await ch.send(notification(), signal());
      expect(proxy.forwarded).toHaveLength(1);
      expect(proxy.forwarded[0].target).toBe('http://hooks.example.test/alerts?team=api');
      expect(proxy.forwarded[0].headers.host).toBe('hooks.example.test');
      expect(proxy.forwarded[0].headers['proxy-authorization']).toBe(basic('alice', 'pa:ss'));
      expect(rx.requests).toHaveLength(1);
      expect(rx.requests[0].url).toBe('/alerts?team=api');
      expect(JSON.parse(rx.requests[0].body).receiver).toBe('team-api');
      expect(rx.requests[0].headers['proxy-authorization']).toBeUndefined();
    });

    it('goes direct for hosts in no_proxy', async () => {
      rx = await startReceiver();
      proxy = await startProxy();
      const [ch] = channelsFrom({ webhook_configs: [{ url: rx.url, http_config: { proxy_url: proxy.url, no_proxy: 'example.org,127.0.0.0/8' } }] });
      await ch.send(notification(), signal());
      expect(proxy.forwarded).toHaveLength(0);
      expect(rx.requests).toHaveLength(1);
    });

    it('with proxy_from_environment uses HTTP_PROXY, except for NO_PROXY hosts', async () => {
      rx = await startReceiver();
      proxy = await startProxy({ route: () => new URL(rx.url).host });
      const restoreEnv = setProxyEnv({ HTTP_PROXY: proxy.url, NO_PROXY: 'direct.example.test' });
      try {
        const send = (url: string) => channelsFrom({ webhook_configs: [{ url, http_config: { proxy_from_environment: true } }] })[0].send(notification(), signal());
        await send('http://hooks.example.test/a');
        expect(proxy.forwarded.map((f) => f.target)).toEqual(['http://hooks.example.test/a']);
        const err = await send('http://direct.example.test/b').then(() => null, (e: unknown) => e);
        expect((err as ChannelError).message).toMatch(/request to http:\/\/direct\.example\.test\/<secret> failed: getaddrinfo/);
        expect(proxy.forwarded).toHaveLength(1);
      } finally {
        restoreEnv();
      }
    });

    describe('https through a CONNECT tunnel', () => {
      let pki: TestPKI;
      beforeAll(() => {
        pki = testPKI();
      });
      afterAll(() => pki.remove());

      it('tunnels to the target with proxy_connect_header, TLS end to end checked against tls_config', async () => {
        rx = await startReceiver(undefined, pki.server);
        proxy = await startProxy({ route: (h) => (h === 'hooks.example.test:443' ? `127.0.0.1:${new URL(rx.url).port}` : h) });
        const [ch] = channelsFrom({
          webhook_configs: [{
            url: 'https://hooks.example.test/alerts',
            http_config: {
              proxy_url: proxy.url.replace('//', '//bob:secret@'),
              proxy_connect_header: { 'X-Tenant': ['team-api'] },
              // The certificate is for localhost: server_name says which name to check.
              tls_config: { ca_file: pki.caFile, server_name: 'localhost' },
              authorization: { credentials: 'hook-token' },
            },
          }],
        });
        await ch.send(notification(), signal());
        expect(proxy.tunnels).toHaveLength(1);
        expect(proxy.tunnels[0].target).toBe('hooks.example.test:443');
        expect(proxy.tunnels[0].headers['proxy-authorization']).toBe(basic('bob', 'secret'));
        expect(proxy.tunnels[0].headers['x-tenant']).toBe('team-api');
        // The proxy saw no request of its own: the webhook went through the tunnel, encrypted.
        expect(proxy.forwarded).toHaveLength(0);
        expect(rx.requests).toHaveLength(1);
        expect(rx.requests[0].url).toBe('/alerts');
        expect(rx.requests[0].headers.host).toBe('hooks.example.test');
        expect(rx.requests[0].headers.authorization).toBe('Bearer hook-token');
      });

      it('sends a client certificate from tls_config to a server that requires one', async () => {
        const requests: string[] = [];
        const server = https.createServer({ ...pki.server, ca: pki.ca, requestCert: true, rejectUnauthorized: true }, (req, res) => {
          const peer = (req.socket as import('node:tls').TLSSocket).getPeerCertificate();
          requests.push(peer.subject.CN as string);
          req.resume();
          req.on('end', () => res.end('ok'));
        });
        await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
        const url = `https://localhost:${(server.address() as AddressInfo).port}/hook`;
        try {
          const [withCert] = channelsFrom({ webhook_configs: [{ url, http_config: { tls_config: { ca_file: pki.caFile, cert_file: pki.client.certFile, key_file: pki.client.keyFile } } }] });
          await withCert.send(notification(), signal());
          expect(requests).toEqual(['strata-notifier']);

          const [without] = channelsFrom({ webhook_configs: [{ url, http_config: { tls_config: { ca_file: pki.caFile } } }] });
          const err = await without.send(notification(), signal()).then(() => null, (e: unknown) => e);
          expect(err).toBeInstanceOf(ChannelError);
          expect((err as ChannelError).retryable).toBe(true);
          expect(requests).toHaveLength(1);
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      });
    });
  });

  describe('redirects', () => {
    it('follows them as Go does: 307 repeats the POST, 302 turns it into a GET; not with follow_redirects false', async () => {
      rx = await startReceiver((r, res) => {
        if (r.url === '/old') res.writeHead(307, { Location: '/new' }).end();
        else if (r.url === '/new') res.writeHead(302, { Location: `${rx.url}/final` }).end();
        else res.end('ok');
      });
      const [ch] = channelsFrom({ webhook_configs: [{ url: `${rx.url}/old`, http_config: { basic_auth: { username: 'u', password: 'p' } } }] });
      await ch.send(notification(), signal());
      expect(rx.requests.map((r) => [r.method, r.url, r.body.length > 0, r.headers.authorization])).toEqual([
        ['POST', '/old', true, basic('u', 'p')], ['POST', '/new', true, basic('u', 'p')], ['GET', '/final', false, basic('u', 'p')],
      ]);
      expect(rx.requests[1].body).toBe(rx.requests[0].body);

      const [stay] = channelsFrom({ webhook_configs: [{ url: `${rx.url}/old`, http_config: { follow_redirects: false } }] });
      const err = await stay.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err as ChannelError).message).toMatch(/unexpected status 307/);
      expect((err as ChannelError).retryable).toBe(false);
      expect(rx.requests).toHaveLength(4);
    });

    it('gives up after 10 redirects', async () => {
      rx = await startReceiver((r, res) => res.writeHead(308, { Location: `/loop${rx.requests.length}` }).end());
      const [ch] = channelsFrom({ webhook_configs: [{ url: `${rx.url}/loop`, http_config: { enable_http2: true } }] });
      const err = await ch.send(notification(), signal()).then(() => null, (e: unknown) => e);
      expect((err as ChannelError).message).toMatch(/stopped after 10 redirects/);
      expect(rx.requests).toHaveLength(10);
    });
  });
});
