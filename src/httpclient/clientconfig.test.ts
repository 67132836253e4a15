import { describe, expect, it } from 'vitest';
import { proxyOf, requestHeaders, tlsSettingOptions, type RequestAuthSettings } from './clientconfig.ts';

const none: RequestAuthSettings = { httpHeaders: {}, basicAuth: null, authorization: null };
const files: Record<string, string> = { '/pw': ' secret\n', '/cred': 'tok\n', '/h': 'from-file\n' };
const read = async (f: string, what: string) => {
  if (!(f in files)) throw new Error(`unable to read ${what} ${f}`);
  return files[f];
};

describe('requestHeaders', () => {
  it('builds Authorization from basic_auth, authorization or oauth2, files trimmed', async () => {
    expect(await requestHeaders({ ...none, basicAuth: { username: 'u', password: '', passwordFile: '/pw' } }, read, null))
      .toEqual({ Authorization: `Basic ${Buffer.from('u:secret').toString('base64')}` });
    expect(await requestHeaders({ ...none, authorization: { type: 'Bearer', credentials: '', credentialsFile: '/cred' } }, read, null))
      .toEqual({ Authorization: 'Bearer tok' });
    expect(await requestHeaders(none, read, async () => 'Bearer from-oauth2')).toEqual({ Authorization: 'Bearer from-oauth2' });
  });

  it('sends no Authorization for an authorization section without credentials, as Prometheus', async () => {
    expect(await requestHeaders({ ...none, authorization: { type: 'Bearer', credentials: '', credentialsFile: '' } }, read, null)).toEqual({});
  });

  it('adds http_headers values, secrets and files in that order, and fails naming an unreadable file', async () => {
    const s = { ...none, httpHeaders: { 'X-A': { values: ['v'], secrets: ['s'], files: ['/h'] } } };
    expect(await requestHeaders(s, read, null)).toEqual({ 'X-A': ['v', 's', 'from-file'] });
    await expect(requestHeaders({ ...none, httpHeaders: { 'X-B': { values: [], secrets: [], files: ['/nope'] } } }, read, null)).rejects.toThrow('unable to read http_headers X-B file /nope');
  });
});

it('maps tls_config settings and the proxy as Go names them', () => {
  expect(tlsSettingOptions({ serverName: 'x', insecureSkipVerify: true, minVersion: 'TLS12', maxVersion: 'TLS13' }))
    .toEqual({ rejectUnauthorized: false, servername: 'x', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.3' });
  expect(proxyOf({ proxyUrl: '', noProxy: '', proxyFromEnvironment: true })).toBe('environment');
  expect(proxyOf({ proxyUrl: 'http://p:3128', noProxy: 'a', proxyFromEnvironment: false })).toEqual({ url: 'http://p:3128', noProxy: 'a' });
  expect(proxyOf({ proxyUrl: '', noProxy: '', proxyFromEnvironment: false })).toBeUndefined();
});
