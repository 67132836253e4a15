// Pull collection: service discovery (static, file_sd, http_sd), targets by relabelling, one
// scrape loop per target with staleness handling, and the manager that applies configs and reloads.
export { ScrapeManager, type ActiveTarget, type ScrapeManagerOptions, type TargetsSnapshot } from './manager.ts';
export { globalUrl, type DroppedTarget, type Target } from './targets.ts';
export { acceptHeader, mutateLabels, scrapeTimestamp, type Health, type LoopStatus } from './loop.ts';
export { goDuration, type ScrapeMetrics } from './metrics.ts';
export { parseGroups, type TargetGroup } from './discovery.ts';
export type { DnsResolver } from './dns.ts';
