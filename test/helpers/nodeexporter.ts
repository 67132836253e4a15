// A real node_exporter (the Debian package prometheus-node-exporter), installed with apt when
// missing and started directly — not as the system service — on a free loopback port.
import type { ChildProcess } from 'node:child_process';
import { ensureDebianPackage, startPeer } from './peer.ts';

export const NODE_EXPORTER_BIN = '/usr/bin/prometheus-node-exporter';

/** Returns null when the binary is available (installing it if needed), or why it is not. */
export function ensureNodeExporter(): Promise<string | null> {
  return ensureDebianPackage('prometheus-node-exporter', NODE_EXPORTER_BIN);
}

export interface NodeExporterProcess {
  /** host:port, as a scrape target is written. */
  readonly address: string;
  readonly proc: ChildProcess;
  stop(): Promise<void>;
}

export async function startNodeExporter(timeoutMs = 15_000): Promise<NodeExporterProcess> {
  const p = await startPeer({
    name: 'node_exporter',
    bin: NODE_EXPORTER_BIN,
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`],
    readyPath: '/metrics',
    timeoutMs,
  });
  return { address: p.url.slice('http://'.length), proc: p.proc, stop: p.stop };
}
