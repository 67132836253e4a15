// HTTP requests of the channels, with the http_config settings they honour (basic auth,
// authorization header, TLS: CA, client certificate, server name, insecure_skip_verify) and the
// retry decision Alertmanager makes: 5xx, 429 and network failures may pass, other 4xx will not.
import { readFileSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { SecureVersion } from 'node:tls';
import { ChannelError } from '../types.ts';
import type { HTTPSettings, TLSSettings } from './config.ts';
import { redactURL } from './fields.ts';

export interface HTTPRequest {
  method?: 'GET' | 'POST';
  url: string;
  headers?: Record<string, string>;
  body?: string;
  /** The channel's own credentials (e.g. Twilio's account), used when http_config sets none. */
  basicAuth?: { username: string; password: string };
  httpConfig?: HTTPSettings;
  signal: AbortSignal;
}

export interface HTTPResponse {
  status: number;
  body: string;
}

export const USER_AGENT = 'Strata-Notifier/0.1';
/** How much of a failed response's body goes into the error message. */
const ERROR_BODY_CHARS = 512;
const MAX_RESPONSE_BYTES = 1 << 20;

/** Sends a request; resolves with any status, rejects with a retryable ChannelError on network failure. */
export function request(r: HTTPRequest): Promise<HTTPResponse> {
  const url = new URL(r.url);
  const headers: Record<string, string> = { 'User-Agent': USER_AGENT, ...r.headers };
  const auth = authorizationHeader(r.httpConfig, r.basicAuth);
  if (auth !== undefined) headers.Authorization = auth;
  if (r.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(r.body));
  const lib = url.protocol === 'https:' ? https : http;
  const tls = url.protocol === 'https:' ? tlsOptions(r.httpConfig?.tlsConfig) : {};

  return new Promise((resolve, reject) => {
    if (r.signal.aborted) {
      reject(abortError(r.signal, r.url));
      return;
    }
    const req = lib.request(url, { method: r.method ?? 'POST', headers, signal: r.signal, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size <= MAX_RESPONSE_BYTES) chunks.push(c);
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => reject(networkError(e, r)));
    });
    req.on('error', (e) => reject(r.signal.aborted ? abortError(r.signal, r.url) : networkError(e, r)));
    req.end(r.body);
  });
}

/** Sends a request and throws a ChannelError unless the status is 2xx. */
export async function requestOK(r: HTTPRequest, what: string): Promise<HTTPResponse> {
  const res = await request(r);
  if (res.status >= 200 && res.status < 300) return res;
  throw statusError(what, res);
}

export function statusError(what: string, res: HTTPResponse): ChannelError {
  const retryable = res.status >= 500 || res.status === 429;
  const body = res.body.trim().slice(0, ERROR_BODY_CHARS);
  return new ChannelError(`${what}: unexpected status ${res.status}${body === '' ? '' : `: ${body}`}`, retryable, res.status);
}

function networkError(e: Error, r: HTTPRequest): ChannelError {
  return new ChannelError(`request to ${redactURL(r.url)} failed: ${e.message}`, true);
}

function abortError(signal: AbortSignal, url: string): ChannelError {
  const why = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return new ChannelError(`request to ${redactURL(url)} aborted: ${why}`, true);
}

function authorizationHeader(h: HTTPSettings | undefined, fallback: { username: string; password: string } | undefined): string | undefined {
  if (h?.basicAuth) {
    const password = h.basicAuth.passwordFile !== '' ? readSecret(h.basicAuth.passwordFile) : h.basicAuth.password;
    return `Basic ${Buffer.from(`${h.basicAuth.username}:${password}`).toString('base64')}`;
  }
  if (h?.authorization) {
    const cred = h.authorization.credentialsFile !== '' ? readSecret(h.authorization.credentialsFile) : h.authorization.credentials;
    return `${h.authorization.type} ${cred}`;
  }
  if (fallback) return `Basic ${Buffer.from(`${fallback.username}:${fallback.password}`).toString('base64')}`;
  return undefined;
}

/** TLS options for node:https and nodemailer from a tls_config. Files are read at each use, so rotated certificates are picked up. */
export function tlsOptions(t: TLSSettings | undefined): { ca?: string; cert?: string; key?: string; servername?: string; rejectUnauthorized?: boolean; minVersion?: SecureVersion } {
  if (!t) return {};
  const out: ReturnType<typeof tlsOptions> = { rejectUnauthorized: !t.insecureSkipVerify };
  if (t.caFile !== '') out.ca = readConfigFile(t.caFile, 'tls_config.ca_file');
  if (t.certFile !== '') out.cert = readConfigFile(t.certFile, 'tls_config.cert_file');
  if (t.keyFile !== '') out.key = readConfigFile(t.keyFile, 'tls_config.key_file');
  if (t.serverName !== '') out.servername = t.serverName;
  if (t.minVersion) out.minVersion = ({ TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const)[t.minVersion];
  return out;
}

/** A secret kept in a file (password_file, routing_key_file...): its content without the final newline. */
export function readSecret(file: string): string {
  return readConfigFile(file, 'secret file').replace(/\r?\n$/, '');
}

function readConfigFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    // Not retryable: the file will not appear by retrying within this notification.
    throw new ChannelError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, false);
  }
}
