#!/usr/bin/env bash
# Installs, when missing, the programs the test suite runs side by side with Strata: Prometheus,
# Alertmanager (with amtool), node_exporter and the Pushgateway from Debian's packages. Runs once before the tests
# (npm's pretest), so parallel test files never race for the dpkg lock. Never fails the run itself: a test that needs a missing
# program says why (and fails under CI).
set -u
need=()
[ -x /usr/bin/prometheus ] || need+=(prometheus)
[ -x /usr/bin/prometheus-node-exporter ] || need+=(prometheus-node-exporter)
[ -x /usr/bin/prometheus-alertmanager ] || need+=(prometheus-alertmanager)
[ -x /usr/bin/prometheus-pushgateway ] || need+=(prometheus-pushgateway)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "ensure-test-peers: ${need[*]} missing and cannot install (needs root and apt-get); the tests using them will say so" >&2
  exit 0
fi
echo "ensure-test-peers: installing ${need[*]} from Debian packages" >&2
export DEBIAN_FRONTEND=noninteractive
if ! { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; } >/tmp/ensure-test-peers.log 2>&1; then
  echo "ensure-test-peers: installing failed (see /tmp/ensure-test-peers.log):" >&2
  tail -5 /tmp/ensure-test-peers.log >&2
fi
exit 0
