// A real Pushgateway (the Debian package, 1.5) for side-by-side tests of Strata's push API.
// scripts/ensure-test-peers.sh installs it before the suite; this installs it when missing too
// (a single test file run by hand). Started directly, not as the system service, on a free
// loopback port and with persistence off: Debian's default --persistence.file is
// /var/lib/prometheus/pushgateway.data, which would carry groups from one run into the next.
import { peerForComparison, startPeer, type PeerProcess } from './peer.ts';

export const PUSHGATEWAY_BIN = '/usr/bin/prometheus-pushgateway';

/**
 * For a comparison test: null when the Pushgateway is there (installing the Debian package if
 * not); else the reason, after a warning that `what` is skipped. Under CI (network and root) a
 * missing Pushgateway is a failure.
 */
export function pushgatewayForComparison(what: string): Promise<string | null> {
  return peerForComparison(what, 'prometheus-pushgateway', PUSHGATEWAY_BIN);
}

export type PushgatewayProcess = PeerProcess;

export function startPushgateway(timeoutMs = 20_000): Promise<PushgatewayProcess> {
  return startPeer({
    name: 'pushgateway',
    bin: PUSHGATEWAY_BIN,
    args: (port) => [`--web.listen-address=127.0.0.1:${port}`, '--persistence.file=', '--log.level=warn'],
    timeoutMs,
  });
}
