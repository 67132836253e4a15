// Service discovery as Prometheus' discovery package does it, for whoever needs target groups:
// scrape jobs (src/scrape) and the rules' Alertmanager sets (src/rules). static_configs,
// file_sd_configs, http_sd_configs and dns_sd_configs produce target groups (label sets with
// __address__ and __meta_* labels); what becomes of them (relabelling, scrape loops, Alertmanager
// URLs) is the caller's.
export {
  parseGroups, startDiscovery, staticGroups,
  type Discoverer, type DiscoveryConfigs, type DiscoveryEnv, type DiscoveryMetrics, type GroupsHandler, type TargetGroup,
} from './discovery.ts';
export { resolveTargets, systemResolver, type DnsResolver } from './dns.ts';
export { sharedDiscoveryMetrics, type SharedDiscoveryMetrics } from './metrics.ts';
