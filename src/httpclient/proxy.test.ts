// The proxy decision as Go's HTTP client makes it (prometheus/common's proxy_url, no_proxy and
// proxy_from_environment), for scrapes and notifications alike.
import { describe, expect, it, onTestFinished } from 'vitest';
import { bypassed, proxyFor } from './proxy.ts';
import { setProxyEnv } from './testing.ts';

describe('no_proxy', () => {
  it('reads it as Go does: *, IPs and CIDRs, domains with their subdomains, .domains, ports', () => {
    const noProxy = 'localhost, 10.0.0.0/8, ::1, example.com, .internal, *.corp, api.test:8080, [fd00::1]:9100';
    const cases: [string, string, boolean][] = [
      ['localhost', '80', true],
      ['10.1.2.3', '9100', true],
      ['11.1.2.3', '9100', false],
      ['[::1]', '9100', true],
      ['example.com', '80', true],
      ['A.Example.com', '80', true],
      ['notexample.com', '80', false],
      ['internal', '80', false],
      ['db.internal', '80', true],
      ['corp', '80', false],
      ['x.corp', '80', true],
      ['api.test', '8080', true],
      ['api.test', '9090', false],
      ['[fd00::1]', '9100', true],
      ['[fd00::1]', '9101', false],
    ];
    expect(cases.map(([host, port]) => [host, port, bypassed(noProxy, host, port)])).toEqual(cases);
    expect(bypassed('*', 'anything', '1')).toBe(true);
    expect(bypassed('', 'localhost', '1')).toBe(false);
  });
});

describe('proxyFor', () => {
  const settings = (noProxy: string) => ({ url: 'http://proxy.test:3128', noProxy });

  it('proxies everything with a bare proxy_url; with no_proxy, loopback targets go direct too, as in Go', () => {
    const via = (noProxy: string, url: string) => proxyFor(settings(noProxy), new URL(url))?.host;
    expect(via('', 'http://127.0.0.1:9100/metrics')).toBe('proxy.test:3128');
    expect(via('', 'http://localhost/')).toBe('proxy.test:3128');
    expect(via('example.com', 'http://127.0.0.1:9100/metrics')).toBeUndefined();
    expect(via('example.com', 'http://[::1]:9100/metrics')).toBeUndefined();
    expect(via('example.com', 'http://localhost/')).toBeUndefined();
    expect(via('example.com', 'https://api.example.com/')).toBeUndefined();
    // The default port of the scheme is what a no_proxy port is compared with.
    expect(via('hooks.test:443', 'https://hooks.test/')).toBeUndefined();
    expect(via('hooks.test:443', 'http://hooks.test/')).toBe('proxy.test:3128');
    expect(proxyFor(undefined, new URL('http://x/'))).toBeUndefined();
  });

  it('refuses proxies other than http://', () => {
    expect(() => proxyFor({ url: 'socks5://p:1080', noProxy: '' }, new URL('http://x/'))).toThrow(/only http:\/\/ proxies are supported, got socks5:/);
  });

  it('from the environment: HTTP_PROXY or HTTPS_PROXY by the target\'s scheme, upper case first, NO_PROXY, loopback direct', () => {
    // Each setProxyEnv stands for a process started with that environment.
    onTestFinished(setProxyEnv({}));
    const via = (url: string) => proxyFor('environment', new URL(url))?.href;
    expect(via('http://a.test/')).toBeUndefined();
    setProxyEnv({ http_proxy: 'http://lower:1' });
    expect(via('http://a.test/')).toBe('http://lower:1/');
    setProxyEnv({ http_proxy: 'http://lower:1', HTTP_PROXY: 'upper:3128' });
    // Without a scheme, as Go reads it: http://.
    expect(via('http://a.test/')).toBe('http://upper:3128/');
    expect(via('https://a.test/')).toBeUndefined();
    setProxyEnv({ HTTP_PROXY: 'upper:3128', HTTPS_PROXY: 'http://tls-proxy:3128' });
    expect(via('https://a.test/')).toBe('http://tls-proxy:3128/');
    setProxyEnv({ HTTP_PROXY: 'upper:3128', HTTPS_PROXY: 'http://tls-proxy:3128', NO_PROXY: '.test' });
    expect(via('https://a.test/')).toBeUndefined();
    expect(via('http://a.example/')).toBe('http://upper:3128/');
    expect(via('http://127.0.0.1:9090/')).toBeUndefined();
  });

  it('reads the environment once per process, as Go\'s ProxyFromEnvironment: later changes are not seen', () => {
    onTestFinished(setProxyEnv({ HTTP_PROXY: 'http://first:3128' }));
    const via = (url: string) => proxyFor('environment', new URL(url))?.href;
    expect(via('http://a.test/')).toBe('http://first:3128/');
    process.env.HTTP_PROXY = 'http://second:3128';
    process.env.NO_PROXY = '*';
    expect(via('http://a.test/')).toBe('http://first:3128/');
    delete process.env.HTTP_PROXY;
    expect(via('http://b.test/')).toBe('http://first:3128/');
  });
});
