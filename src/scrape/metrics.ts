// The scrape manager's own metrics, under the names Prometheus gives them, so the dashboards and
// alerts people have for a Prometheus' scraping (interval jitter, targets per pool, limits hit,
// service discovery failing) work on Strata unchanged. They are registered in the registry the
// caller owns (the server's /metrics); the loops and discoverers only call the methods below.
import { Counter, Gauge, Summary, type Registry } from 'prom-client';
import { sharedDiscoveryMetrics } from '../discovery/index.ts';

export interface ScrapeMetrics {
  /** The time between the starts of two scrapes of a target whose interval is `intervalMs`. */
  observeInterval(intervalMs: number, seconds: number): void;
  sampleLimitExceeded(): void;
  targetLimitExceeded(): void;
  bodySizeLimitExceeded(): void;
  /** Samples of a scrape that storage refused, by its reasons (out_of_order, duplicate_timestamp). */
  rejectedSamples(byReason: Readonly<Record<string, number>>): void;
  poolCreated(): void;
  observeSync(job: string, seconds: number): void;
  fileSdReadError(): void;
  httpSdFailure(): void;
  /** One DNS lookup of dns_sd_configs, and whether it failed. */
  dnsSdLookup(failed: boolean): void;
}

/** What the gauges read from the manager when /metrics is collected. */
export interface PoolGauges {
  job: string;
  /** Active targets (scrape loops). */
  targets: number;
  /** Targets discovered, before relabelling. */
  discovered: number;
}

// Prometheus' summaries keep a 10 minute window in 5 age buckets.
const WINDOW = { maxAgeSeconds: 600, ageBuckets: 5 } as const;

export function createScrapeMetrics(registry: Registry, pools: () => PoolGauges[]): ScrapeMetrics {
  const registers = [registry];
  const interval = new Summary({
    name: 'prometheus_target_interval_length_seconds',
    help: 'Actual intervals between scrapes.',
    labelNames: ['interval'],
    percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
    ...WINDOW,
    registers,
  });
  const sampleLimit = new Counter({
    name: 'prometheus_target_scrapes_exceeded_sample_limit_total',
    help: 'Total number of scrapes that hit the sample limit and were rejected.',
    registers,
  });
  const targetLimit = new Counter({
    name: 'prometheus_target_scrape_pool_exceeded_target_limit_total',
    help: 'Total number of times scrape pools hit the target limit, during sync or config reload.',
    registers,
  });
  const bodySize = new Counter({
    name: 'prometheus_target_scrapes_exceeded_body_size_limit_total',
    help: 'Total number of scrapes that hit the body size limit.',
    registers,
  });
  const outOfOrder = new Counter({
    name: 'prometheus_target_scrapes_sample_out_of_order_total',
    help: 'Total number of samples rejected due to not being in time order.',
    registers,
  });
  const outOfBounds = new Counter({
    name: 'prometheus_target_scrapes_sample_out_of_bounds_total',
    help: 'Total number of samples rejected due to timestamp falling outside of the time bounds.',
    registers,
  });
  const duplicate = new Counter({
    name: 'prometheus_target_scrapes_sample_duplicate_timestamp_total',
    help: 'Total number of samples rejected due to a duplicate timestamp but a different value.',
    registers,
  });
  const poolsTotal = new Counter({
    name: 'prometheus_target_scrape_pools_total',
    help: 'Total number of scrape pool creation attempts.',
    registers,
  });
  const sync = new Summary({
    name: 'prometheus_target_sync_length_seconds',
    help: 'Actual interval to sync the scrape pool.',
    labelNames: ['scrape_job'],
    percentiles: [0.01, 0.05, 0.5, 0.9, 0.99],
    ...WINDOW,
    registers,
  });
  // Shared with the Alertmanager discovery (name="notify"), as in Prometheus.
  const sd = sharedDiscoveryMetrics(registry);
  sd.discovered('scrape', () => pools().map((p) => [p.job, p.discovered] as const));
  new Gauge({
    name: 'prometheus_target_scrape_pool_targets',
    help: 'Current number of targets in this scrape pool.',
    labelNames: ['scrape_job'],
    registers,
    collect() {
      this.reset();
      for (const p of pools()) this.set({ scrape_job: p.job }, p.targets);
    },
  });

  return {
    observeInterval: (ms, s) => interval.observe({ interval: goDuration(ms) }, s),
    sampleLimitExceeded: () => sampleLimit.inc(),
    targetLimitExceeded: () => targetLimit.inc(),
    bodySizeLimitExceeded: () => bodySize.inc(),
    rejectedSamples(byReason) {
      if (byReason.out_of_order) outOfOrder.inc(byReason.out_of_order);
      if (byReason.duplicate_timestamp) duplicate.inc(byReason.duplicate_timestamp);
      if (byReason.too_old) outOfBounds.inc(byReason.too_old);
    },
    poolCreated: () => poolsTotal.inc(),
    observeSync: (job, s) => sync.observe({ scrape_job: job }, s),
    ...sd.counters,
  };
}

/**
 * A duration as Go's time.Duration prints it ("15s", "1m0s", "1h30m0s", "500ms", "1.5s"), which is
 * how the interval label of prometheus_target_interval_length_seconds reads in Prometheus.
 */
export function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  if (ms < 1000) return `${ms}ms`;
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const s = (ms % 60_000) / 1000;
  const sec = `${Number(s.toFixed(3))}s`;
  if (h > 0) return `${h}h${m}m${sec}`;
  if (m > 0) return `${m}m${sec}`;
  return sec;
}
