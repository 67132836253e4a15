// The client-credentials token source against a local token server that records each request.
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { clientCredentialsToken, TokenError, type ClientCredentials } from './oauth2.ts';

interface TokenRequest {
  method: string;
  contentType: string;
  authorization: string;
  form: Record<string, string>;
}

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

/** A token endpoint that records every request; `answer` replies to the n-th (1-based). */
async function tokenServer(answer: (form: Record<string, string>, n: number) => [number, string]) {
  const requests: TokenRequest[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => { body += c; });
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      requests.push({ method: req.method!, contentType: String(req.headers['content-type']), authorization: String(req.headers.authorization ?? ''), form });
      const [status, text] = answer(form, requests.length);
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(text);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/oauth/token`, requests };
}

const token = (n: number, expiresIn: number) => [200, JSON.stringify({ access_token: `tok-${n}`, token_type: 'bearer', expires_in: expiresIn })] as [number, string];

function credentials(tokenUrl: string, over: Partial<ClientCredentials> = {}): ClientCredentials {
  return { clientId: 'my client', clientSecret: () => 's3cr:t!', scopes: ['read', 'write'], tokenUrl, endpointParams: { audience: 'metrics' }, ...over };
}

describe('clientCredentialsToken', () => {
  it('asks for a client_credentials token with Basic client authentication and gives it until 10 s before it expires', async () => {
    const ts = await tokenServer((_, n) => token(n, 60));
    let now = 1_000_000;
    const auth = clientCredentialsToken(credentials(ts.url), () => now);
    // Callers asking at the same time share one request.
    expect(await Promise.all([auth(), auth(), auth()])).toEqual(['Bearer tok-1', 'Bearer tok-1', 'Bearer tok-1']);
    expect(ts.requests).toEqual([{
      method: 'POST', contentType: 'application/x-www-form-urlencoded',
      // RFC 6749 2.3.1: id and secret form-encoded (as Go's url.QueryEscape), then joined for Basic.
      authorization: `Basic ${Buffer.from('my+client:s3cr%3At%21').toString('base64')}`,
      form: { grant_type: 'client_credentials', scope: 'read write', audience: 'metrics' },
    }]);
    now += 49_000;
    expect(await auth()).toBe('Bearer tok-1');
    now += 2_000;
    expect(await auth()).toBe('Bearer tok-2');
    expect(ts.requests).toHaveLength(2);
  });

  it('falls back to credentials in the form when the server refuses Basic, and keeps doing so; the secret is asked for at each fetch', async () => {
    const ts = await tokenServer((form, n) => (form.client_id === undefined ? [401, '{"error":"invalid_client"}'] : token(n, 1)));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-oauth-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'secret');
    fs.writeFileSync(file, 'one');
    const auth = clientCredentialsToken(credentials(ts.url, { clientSecret: () => fs.readFileSync(file, 'utf8'), scopes: [] }));
    expect(await auth()).toBe('Bearer tok-2');
    expect(ts.requests[1].form).toEqual({ grant_type: 'client_credentials', audience: 'metrics', client_id: 'my client', client_secret: 'one' });
    expect(ts.requests[1].authorization).toBe('');
    // The token expires at once (1 s is within the 10 s margin): the next one goes straight to the form.
    fs.writeFileSync(file, 'two');
    expect(await auth()).toBe('Bearer tok-3');
    expect(ts.requests).toHaveLength(3);
    expect(ts.requests[2].form.client_secret).toBe('two');
  });

  it('takes a form-encoded answer, as Go\'s oauth2 does for application/x-www-form-urlencoded and text/plain', async () => {
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-www-form-urlencoded' }).end('access_token=form-tok&token_type=bearer&expires_in=60'));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => server.close(() => r())));
    const auth = clientCredentialsToken(credentials(`http://127.0.0.1:${(server.address() as AddressInfo).port}/token`));
    expect(await auth()).toBe('Bearer form-tok');
  });

  it('keeps a token type other than bearer; takes a token without expires_in as lasting', async () => {
    const ts = await tokenServer(() => [200, '{"access_token":"abc","token_type":"MAC"}']);
    let now = 0;
    const auth = clientCredentialsToken(credentials(ts.url), () => now);
    expect(await auth()).toBe('MAC abc');
    now += 365 * 86_400_000;
    expect(await auth()).toBe('MAC abc');
    expect(ts.requests).toHaveLength(1);
  });

  it('fails with the endpoint\'s status and answer, and with status 0 when the answer is unusable or nobody answers', async () => {
    const fail = (auth: () => Promise<string>) => auth().then(() => null, (e: unknown) => e as TokenError);
    const refusing = await tokenServer(() => [400, '{"error":"unauthorized_client"}\n']);
    const refused = await fail(clientCredentialsToken(credentials(refusing.url)));
    expect(refused).toBeInstanceOf(TokenError);
    expect(refused?.status).toBe(400);
    expect(refused?.message).toBe(`oauth2: token endpoint ${refusing.url} returned HTTP 400: {"error":"unauthorized_client"}`);
    // Go's oauth2 package's words, the whole answer kept (what a scrape's lastError shows).
    expect(refused?.goText).toBe('oauth2: cannot fetch token: 400 Bad Request\nResponse: {"error":"unauthorized_client"}\n');

    const garbled = await tokenServer(() => [200, '<html>']);
    expect(await fail(clientCredentialsToken(credentials(garbled.url)))).toMatchObject({
      status: 0, message: `oauth2: token endpoint ${garbled.url} answered no JSON`, goText: 'invalid character \'<\' looking for beginning of value',
    });
    const empty = await tokenServer(() => [200, '{"token_type":"bearer"}']);
    expect(await fail(clientCredentialsToken(credentials(empty.url)))).toMatchObject({
      status: 0, message: `oauth2: token endpoint ${empty.url} answered no access_token`, goText: 'oauth2: server response missing access_token',
    });
    const down = await fail(clientCredentialsToken(credentials('http://127.0.0.1:9/token')));
    expect(down).toMatchObject({ status: 0 });
    expect(down?.message).toMatch(/^oauth2: token request to http:\/\/127\.0\.0\.1:9\/token failed: connect ECONNREFUSED/);
    expect(down?.goText).toBe('Post "http://127.0.0.1:9/token": dial tcp 127.0.0.1:9: connect: connection refused');
  });
});
