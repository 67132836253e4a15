// prometheus_sd_* for every discovery manager of a process, as Prometheus registers them: one set
// of counters (file_sd read errors, http_sd failures, DNS lookups) shared by all, and
// prometheus_sd_discovered_targets{config, name} with a name per manager: "scrape" for the scrape
// jobs, "notify" for the Alertmanager sets (config="config-<index>"). Each user registers what it
// counts into the registry it is given; the metrics themselves exist once per registry, whoever
// comes first.
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DiscoveryMetrics } from './discovery.ts';

export interface SharedDiscoveryMetrics {
  /** The counters, for the discoverers (DiscoveryEnv.metrics). */
  readonly counters: DiscoveryMetrics;
  /**
   * Adds a discovery manager's discovered targets, read at each collection as [config, count]
   * pairs; `name` replaces what was added under it before.
   */
  discovered(name: string, counts: () => Iterable<readonly [string, number]>): void;
}

const byRegistry = new WeakMap<Registry, SharedDiscoveryMetrics>();

export function sharedDiscoveryMetrics(registry: Registry): SharedDiscoveryMetrics {
  const known = byRegistry.get(registry);
  if (known !== undefined) return known;
  const registers = [registry];
  const fileErrors = new Counter({ name: 'prometheus_sd_file_read_errors_total', help: 'The number of File-SD read errors.', registers });
  const httpFailures = new Counter({ name: 'prometheus_sd_http_failures_total', help: 'Number of HTTP service discovery refresh failures.', registers });
  const dnsLookups = new Counter({ name: 'prometheus_sd_dns_lookups_total', help: 'The number of DNS-SD lookups.', registers });
  const dnsFailures = new Counter({ name: 'prometheus_sd_dns_lookup_failures_total', help: 'The number of DNS-SD lookup failures.', registers });
  const managers = new Map<string, () => Iterable<readonly [string, number]>>();
  new Gauge({
    name: 'prometheus_sd_discovered_targets',
    help: 'Current number of discovered targets.',
    labelNames: ['config', 'name'],
    registers,
    collect() {
      this.reset();
      for (const [name, counts] of managers) for (const [config, n] of counts()) this.set({ config, name }, n);
    },
  });
  const shared: SharedDiscoveryMetrics = {
    counters: {
      fileSdReadError: () => fileErrors.inc(),
      httpSdFailure: () => httpFailures.inc(),
      dnsSdLookup(failed) {
        dnsLookups.inc();
        if (failed) dnsFailures.inc();
      },
    },
    discovered(name, counts) {
      managers.set(name, counts);
    },
  };
  byRegistry.set(registry, shared);
  return shared;
}
