// Node's request errors in the words of Go's HTTP client. Prometheus shows a failed scrape's error
// as Go produced it (the targets page, /api/v1/targets lastError, the "Scrape failed" log), and
// people search logs and write alerts for those texts: `Get "http://h:1/metrics": dial tcp
// 10.0.0.1:1: connect: connection refused`, not `connect ECONNREFUSED 10.0.0.1:1`. The texts were
// taken from Prometheus 2.42 scraping local failing endpoints (test/scrape-errors.test.ts keeps
// comparing them). What Node does not report (the DNS server asked, the socket's addresses, the
// server's certificate when the chain check failed) send() notes beside the error (noteError).
import { readFileSync } from 'node:fs';
import { isIP, type Socket } from 'node:net';
import type { PeerCertificate } from 'node:tls';
import { getSystemErrorMessage } from 'node:util';

/** What send() knew when a request failed that Go puts into its error text. */
export interface ErrorNotes {
  /** The request went through a proxy (errors reaching it read "proxyconnect tcp: ..."). */
  proxied?: boolean;
  /** The proxy answered CONNECT with this status line's reason phrase ("Forbidden"). */
  tunnelRefused?: string;
  /** "local->remote" of the connection, for read and write errors. */
  sockets?: string;
  /** The name the server's certificate is checked against (server_name, else the URL's host). */
  tlsHost?: string;
  /** The server's certificate, seen before Node checked it. */
  peerCertificate?: PeerCertificate;
}

const notes = new WeakMap<Error, ErrorNotes>();

/** Adds to what is known about an error (later notes win). */
export function noteError(err: Error, n: ErrorNotes): Error {
  const defined = Object.fromEntries(Object.entries(n).filter(([, v]) => v !== undefined));
  notes.set(err, { ...notes.get(err), ...defined });
  return err;
}

/** "local->remote" as Go prints a TCP connection, or undefined when the socket has none (yet). */
export function socketPair(s: Socket | null | undefined): string | undefined {
  if (!s || s.localPort === undefined || s.remotePort === undefined || !s.localAddress || !s.remoteAddress) return undefined;
  return `${hostPort(s.localAddress, s.localPort)}->${hostPort(s.remoteAddress, s.remotePort)}`;
}

/**
 * Go's text for a request that got no response: `Get "<url>": <cause>` (url.Error: the method as
 * Go titles it, the URL quoted, a password in it replaced by ***).
 */
export function goRequestError(method: string, url: URL, err: Error): string {
  return goUrlError(method, url, goCause(err));
}

/** Go's url.Error around a cause already in Go's words (e.g. a TokenError's goText). */
export function goUrlError(method: string, url: URL, cause: string): string {
  const op = method.charAt(0).toUpperCase() + method.slice(1).toLowerCase();
  const u = new URL(url.href);
  if (u.password !== '') u.password = '***';
  return `${op} ${JSON.stringify(u.href)}: ${cause}`;
}

/** Go's text for an error while reading a response body (no url.Error around it there). */
export function goReadError(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  // A body cut short by the peer closing (Node: "aborted", premature close) is io.ErrUnexpectedEOF.
  if (code === 'ECONNRESET' && err.message === 'aborted') return 'unexpected EOF';
  if (code === 'ERR_STREAM_PREMATURE_CLOSE') return 'unexpected EOF';
  const z = zlibError(err);
  return z ?? goCause(err);
}

/** Go's gzip and flate wording for a zlib error, undefined for other errors. */
function zlibError(err: Error): string | undefined {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'Z_BUF_ERROR' || err.message === 'unexpected end of file') return 'unexpected EOF';
  if (code !== 'Z_DATA_ERROR') return undefined;
  if (err.message === 'incorrect header check') return 'gzip: invalid header';
  if (err.message === 'incorrect data check' || err.message === 'incorrect length check') return 'gzip: invalid checksum';
  // Go adds the offset of the corrupt input, which zlib does not tell.
  return 'flate: corrupt input';
}

/** The part after `Get "<url>": ` (or the whole text of a body error). */
function goCause(errIn: Error): string {
  // Node's happy-eyeballs connect fails with all addresses tried; Go reports the first one.
  const err = errIn instanceof AggregateError && errIn.errors.length > 0 && errIn.errors[0] instanceof Error ? errIn.errors[0] as Error : errIn;
  const n = { ...notes.get(errIn), ...notes.get(err) };
  if (n.tunnelRefused !== undefined) return n.tunnelRefused === '' ? 'unknown status code' : n.tunnelRefused;
  const e = err as NodeJS.ErrnoException & { address?: string; port?: number; hostname?: string; host?: string; cert?: PeerCertificate };
  const dial = (() => {
    if (e.syscall === 'connect' && e.address !== undefined) {
      return `dial tcp ${hostPort(e.address, e.port ?? 0)}: connect: ${errnoText(e)}`;
    }
    if (e.syscall === 'getaddrinfo' || e.syscall === 'queryA' || e.syscall === 'queryAaaa') {
      const host = e.hostname ?? '';
      if (e.code === 'ENOTFOUND' || e.code === 'ENODATA') return `dial tcp: lookup ${host} on ${nameserver()}: no such host`;
      // Go's own resolver answers SERVFAIL and its like so; a timeout it words with the UDP socket.
      return `dial tcp: lookup ${host} on ${nameserver()}: server misbehaving`;
    }
    return undefined;
  })();
  if (dial !== undefined) return n.proxied ? `proxyconnect tcp: ${dial}` : dial;
  // The server closed the connection without answering (Node: "socket hang up").
  if (e.code === 'ECONNRESET' && e.message === 'socket hang up') return 'EOF';
  const tls = tlsError(e, n);
  if (tls !== undefined) return tls;
  if ((e.syscall === 'read' || e.syscall === 'write') && e.code !== undefined && e.errno !== undefined) {
    const at = n.sockets !== undefined ? ` ${n.sockets}` : '';
    return `${e.syscall} tcp${at}: ${e.syscall}: ${errnoText(e)}`;
  }
  return zlibError(e) ?? e.message;
}

// Linux's strerror as Go's syscall package words it, where libuv words it differently.
const ERRNO_TEXT: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by peer',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'no route to host',
  ENETUNREACH: 'network is unreachable',
  EPIPE: 'broken pipe',
  EADDRNOTAVAIL: 'cannot assign requested address',
};

function errnoText(e: NodeJS.ErrnoException): string {
  if (e.code !== undefined && ERRNO_TEXT[e.code] !== undefined) return ERRNO_TEXT[e.code];
  return typeof e.errno === 'number' ? getSystemErrorMessage(e.errno) : e.message;
}

// Go's names of the TLS alerts a server may send (crypto/tls alert.go), by OpenSSL's.
const ALERTS: Record<string, string> = {
  HANDSHAKE_FAILURE: 'handshake failure',
  BAD_CERTIFICATE: 'bad certificate',
  UNSUPPORTED_CERTIFICATE: 'unsupported certificate',
  CERTIFICATE_REVOKED: 'revoked certificate',
  CERTIFICATE_EXPIRED: 'expired certificate',
  CERTIFICATE_UNKNOWN: 'unknown certificate',
  UNKNOWN_CA: 'unknown certificate authority',
  ACCESS_DENIED: 'access denied',
  DECODE_ERROR: 'error decoding message',
  DECRYPT_ERROR: 'error decrypting message',
  PROTOCOL_VERSION: 'protocol version not supported',
  INSUFFICIENT_SECURITY: 'insufficient security level',
  INTERNAL_ERROR: 'internal error',
  CERTIFICATE_REQUIRED: 'certificate required',
  NO_APPLICATION_PROTOCOL: 'no application protocol',
  UNRECOGNIZED_NAME: 'unrecognized name',
};

const UNKNOWN_AUTHORITY = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'UNABLE_TO_GET_ISSUER_CERT', 'CERT_UNTRUSTED',
]);

function tlsError(e: NodeJS.ErrnoException & { host?: string; cert?: PeerCertificate }, n: ErrorNotes): string | undefined {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return hostnameError(e.cert ?? n.peerCertificate, e.host ?? n.tlsHost ?? '') ?? e.message;
  const chain = UNKNOWN_AUTHORITY.has(code) || code === 'CERT_HAS_EXPIRED' || code === 'CERT_NOT_YET_VALID';
  if (chain) {
    // Go checks the name before the chain, OpenSSL the chain first: a certificate wrong on both
    // counts fails in Go for its name.
    const cert = n.peerCertificate;
    if (cert !== undefined && n.tlsHost !== undefined) {
      const wrongName = hostnameError(cert, n.tlsHost);
      if (wrongName !== undefined) return wrongName;
    }
    if (UNKNOWN_AUTHORITY.has(code)) return 'x509: certificate signed by unknown authority';
    const now = rfc3339(new Date());
    if (cert === undefined) return 'x509: certificate has expired or is not yet valid';
    return code === 'CERT_HAS_EXPIRED'
      ? `x509: certificate has expired or is not yet valid: current time ${now} is after ${rfc3339(new Date(cert.valid_to), true)}`
      : `x509: certificate has expired or is not yet valid: current time ${now} is before ${rfc3339(new Date(cert.valid_from), true)}`;
  }
  // A plain-HTTP server answering the ClientHello (Go looks for "HTTP/" in the first bytes).
  if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || /wrong version number/.test(e.message)) return 'http: server gave HTTP response to HTTPS client';
  if (code === 'ERR_SSL_NO_PROTOCOLS_AVAILABLE' || /no protocols available/.test(e.message)) return 'tls: no supported versions satisfy MinVersion and MaxVersion';
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) return `remote error: tls: ${ALERTS[alert[1]] ?? alert[1].toLowerCase().replace(/_/g, ' ')}`;
  return undefined;
}

/**
 * Go's x509 VerifyHostname failure for `host`, or undefined when the certificate is valid for it:
 * IP addresses against the IP SANs, names against the DNS SANs (a leading * matching one label);
 * the Common Name is not used (Go 1.17 and later).
 */
function hostnameError(cert: PeerCertificate | undefined, hostIn: string): string | undefined {
  if (cert === undefined || hostIn === '') return undefined;
  const host = hostIn.replace(/^\[|\]$/g, '').replace(/\.$/, '');
  const sans = (cert.subjectaltname ?? '').split(',').map((s) => s.trim()).filter((s) => s !== '');
  const dns = sans.filter((s) => s.startsWith('DNS:')).map((s) => s.slice(4));
  const ips = sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice(11));
  if (isIP(host) !== 0) {
    if (ips.length === 0) return `x509: cannot validate certificate for ${host} because it doesn't contain any IP SANs`;
    if (ips.some((ip) => sameIP(ip, host))) return undefined;
    return `x509: certificate is valid for ${ips.join(', ')}, not ${host}`;
  }
  const lower = host.toLowerCase();
  if (dns.some((d) => matchName(d.toLowerCase(), lower))) return undefined;
  if (dns.length > 0) return `x509: certificate is valid for ${dns.join(', ')}, not ${host}`;
  const cn = cert.subject?.CN;
  if (typeof cn === 'string' && /^[A-Za-z0-9*][A-Za-z0-9.*-]*$/.test(cn)) return 'x509: certificate relies on legacy Common Name field, use SANs instead';
  return `x509: certificate is not valid for any names, but wanted to match ${host}`;
}

function matchName(pattern: string, host: string): boolean {
  if (pattern === host) return true;
  if (!pattern.startsWith('*.')) return false;
  const dot = host.indexOf('.');
  return dot > 0 && host.slice(dot + 1) === pattern.slice(2);
}

function sameIP(a: string, b: string): boolean {
  if (a === b) return true;
  // OpenSSL prints IPv6 SANs in full ("0:0:0:0:0:0:0:1"); compare them through a URL's normal form.
  try {
    return new URL(`http://[${a}]/`).hostname === new URL(`http://[${b}]/`).hostname;
  } catch {
    return false;
  }
}

/** host:port with an IPv6 address bracketed, as Go's net.JoinHostPort. */
function hostPort(host: string, port: number): string {
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}

let resolvConfServer: string | undefined;

/**
 * The DNS server Go's resolver names in a lookup error: the first nameserver of /etc/resolv.conf
 * (read once), or Go's default 127.0.0.1:53.
 */
function nameserver(): string {
  if (resolvConfServer === undefined) {
    let server = '127.0.0.1';
    try {
      const m = /^\s*nameserver\s+(\S+)/m.exec(readFileSync('/etc/resolv.conf', 'utf8'));
      if (m) server = m[1].replace(/%.*$/, '');
    } catch {
      // no resolv.conf: Go falls back to the local resolver
    }
    resolvConfServer = hostPort(server, 53);
  }
  return resolvConfServer;
}

/** time.RFC3339: in the local zone as Go formats time.Now() (Z for UTC), or in UTC as a certificate's times. */
function rfc3339(d: Date, utc = false): string {
  const off = utc ? 0 : -d.getTimezoneOffset();
  const local = new Date(d.getTime() + off * 60_000).toISOString().slice(0, 19);
  if (off === 0) return `${local}Z`;
  const a = Math.abs(off);
  return `${local}${off > 0 ? '+' : '-'}${String(Math.floor(a / 60)).padStart(2, '0')}:${String(a % 60).padStart(2, '0')}`;
}
