// Pull collection: service discovery (static, file_sd, http_sd, dns_sd), targets by relabelling,
// one scrape loop per target with aligned timestamps and staleness handling, the scrape's HTTP GET
// (deadline, body limit, gzip, TLS per pool; proxies and oauth2 from src/httpclient), Prometheus'
// scrape metrics, and the manager that applies configs and reloads.
export { ScrapeManager, type ActiveTarget, type ScrapeManagerOptions, type TargetsSnapshot } from './manager.ts';
export { globalUrl, type DroppedTarget, type Target } from './targets.ts';
export { acceptHeader, scrapeTimestamp, type Health, type LoopStatus } from './loop.ts';
export { mutateLabels } from './labels.ts';
export { goDuration, type ScrapeMetrics } from './metrics.ts';
export { parseGroups, type DnsResolver, type TargetGroup } from '../discovery/index.ts';
