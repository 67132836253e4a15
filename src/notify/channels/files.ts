// Files a channel reads at each use, so rotated secrets and certificates need no reload:
// secret files (password_file, routing_key_file...) and the TLS material of a tls_config.
import { readFileSync } from 'node:fs';
import type { SecureVersion } from 'node:tls';
import { ChannelError } from '../types.ts';
import type { TLSSettings } from './config.ts';

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
