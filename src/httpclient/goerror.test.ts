// Go's wording for the cases the side-by-side test (test/scrape-errors.test.ts) cannot set up
// locally: a password in the URL, several addresses tried, a proxy that cannot be looked up, an
// expired certificate, wildcard and Common-Name-only certificates.
import type { PeerCertificate } from 'node:tls';
import { describe, expect, it } from 'vitest';
import { goReadError, goRequestError, noteError } from './goerror.ts';

const errno = (message: string, fields: Record<string, unknown>) => Object.assign(new Error(message), fields);
const cert = (fields: Partial<PeerCertificate>) => ({ subject: {}, valid_from: 'Jan  1 00:00:00 2020 GMT', valid_to: 'Jan  2 00:00:00 2020 GMT', ...fields }) as PeerCertificate;

describe('goRequestError', () => {
  it('names the URL with its password as ***, the method as Go titles it', () => {
    const e = errno('connect ECONNREFUSED 10.0.0.5:9100', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '10.0.0.5', port: 9100 });
    expect(goRequestError('POST', new URL('http://u:s3cret@h.test:9100/metrics?x=1'), e))
      .toBe('Post "http://u:***@h.test:9100/metrics?x=1": dial tcp 10.0.0.5:9100: connect: connection refused');
  });

  it('reports the first address of several tried, IPv6 bracketed; connect errors in Linux\'s words', () => {
    const first = errno('connect ECONNREFUSED ::1:1', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '::1', port: 1 });
    const second = errno('connect ECONNREFUSED 127.0.0.1:1', { code: 'ECONNREFUSED', errno: -111, syscall: 'connect', address: '127.0.0.1', port: 1 });
    const all = Object.assign(new AggregateError([first, second]), { code: 'ECONNREFUSED' });
    expect(goRequestError('GET', new URL('http://localhost:1/metrics'), all)).toBe('Get "http://localhost:1/metrics": dial tcp [::1]:1: connect: connection refused');
    const unreachable = errno('connect EHOSTUNREACH 10.1.1.1:80', { code: 'EHOSTUNREACH', errno: -113, syscall: 'connect', address: '10.1.1.1', port: 80 });
    expect(goRequestError('GET', new URL('http://10.1.1.1/metrics'), unreachable)).toBe('Get "http://10.1.1.1/metrics": dial tcp 10.1.1.1:80: connect: no route to host');
  });

  it('prefixes the errors of reaching a proxy with proxyconnect tcp', () => {
    const e = noteError(errno('getaddrinfo ENOTFOUND proxy.invalid', { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'proxy.invalid' }), { proxied: true });
    expect(goRequestError('GET', new URL('http://t.test/metrics'), e)).toMatch(/^Get "http:\/\/t\.test\/metrics": proxyconnect tcp: dial tcp: lookup proxy\.invalid on \S+:53: no such host$/);
  });

  it('words an expired certificate with the current time and its end in RFC 3339', () => {
    const e = noteError(errno('certificate has expired', { code: 'CERT_HAS_EXPIRED' }), { tlsHost: 'a.test', peerCertificate: cert({ subjectaltname: 'DNS:a.test' }) });
    expect(goRequestError('GET', new URL('https://a.test/metrics'), e))
      .toMatch(/^Get "https:\/\/a\.test\/metrics": x509: certificate has expired or is not yet valid: current time \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(Z|[+-]\d\d:\d\d) is after 2020-01-02T00:00:00Z$/);
  });

  it('checks the name before the chain, a wildcard matching one label; a certificate with only a Common Name fails for it', () => {
    const selfSigned = (host: string, c: PeerCertificate) => goRequestError('GET', new URL(`https://${host}/`),
      noteError(errno('self-signed certificate', { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' }), { tlsHost: host, peerCertificate: c }));
    const wildcard = cert({ subjectaltname: 'DNS:*.example.com, DNS:example.com' });
    expect(selfSigned('a.example.com', wildcard)).toBe('Get "https://a.example.com/": x509: certificate signed by unknown authority');
    expect(selfSigned('a.b.example.com', wildcard)).toBe('Get "https://a.b.example.com/": x509: certificate is valid for *.example.com, example.com, not a.b.example.com');
    expect(selfSigned('legacy.test', cert({ subject: { CN: 'legacy.test' } as PeerCertificate['subject'] })))
      .toBe('Get "https://legacy.test/": x509: certificate relies on legacy Common Name field, use SANs instead');
    expect(selfSigned('[::1]', cert({ subjectaltname: 'IP Address:0:0:0:0:0:0:0:1' }))).toBe('Get "https://[::1]/": x509: certificate signed by unknown authority');
  });
});

describe('goReadError', () => {
  it('words body errors without the URL: cut short, gzip, reset with the sockets', () => {
    expect(goReadError(errno('aborted', { code: 'ECONNRESET' }))).toBe('unexpected EOF');
    expect(goReadError(errno('incorrect header check', { code: 'Z_DATA_ERROR', errno: -3 }))).toBe('gzip: invalid header');
    expect(goReadError(errno('unexpected end of file', { code: 'Z_BUF_ERROR', errno: -5 }))).toBe('unexpected EOF');
    expect(goReadError(noteError(errno('read ECONNRESET', { code: 'ECONNRESET', errno: -104, syscall: 'read' }), { sockets: '127.0.0.1:5000->127.0.0.1:9100' })))
      .toBe('read tcp 127.0.0.1:5000->127.0.0.1:9100: read: connection reset by peer');
  });
});
