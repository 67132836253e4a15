// A real Prometheus (the Debian package, 2.x) for side-by-side tests: installed with apt when
// missing (CI starts from a clean machine), started directly — not as the system service — on a
// free loopback port with its own temp storage, an empty configuration (it scrapes nothing) and
// the remote-write receiver on, so tests load the same data into it as into Strata.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ensureDebianPackage, peerForComparison, startPeer, type PeerProcess } from './peer.ts';

export { freePort } from './peer.ts';

export const PROMETHEUS_BIN = '/usr/bin/prometheus';

/**
 * ensurePrometheus for a comparison test: null when Prometheus is there; else the reason, after a
 * warning that `what` is skipped. Under CI (network and root) a missing Prometheus is a failure.
 */
export function prometheusForComparison(what: string): Promise<string | null> {
  return peerForComparison(what, 'prometheus', PROMETHEUS_BIN);
}

/** Makes sure /usr/bin/prometheus exists (only the server, not its exporters and web assets). */
export function ensurePrometheus(): Promise<string | null> {
  return ensureDebianPackage('prometheus', PROMETHEUS_BIN);
}

export type PrometheusProcess = PeerProcess;

/**
 * `config` replaces the default configuration (which scrapes nothing), e.g. to scrape and
 * remote-write; `flags` are added to the command line (e.g. --rules.alert.resend-delay=1s).
 */
export async function startPrometheus(dir: string, timeoutMs = 30_000, config = 'global:\n  scrape_interval: 1h\n', flags: string[] = []): Promise<PrometheusProcess> {
  fs.mkdirSync(dir, { recursive: true });
  const cfg = path.join(dir, 'prometheus.yml');
  fs.writeFileSync(cfg, config);
  return startPeer({
    name: 'prometheus',
    bin: PROMETHEUS_BIN,
    args: (port) => [
      `--config.file=${cfg}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=warn',
      ...flags,
    ],
    timeoutMs,
  });
}
