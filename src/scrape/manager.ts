// The scrape manager: one pool per job, each pool running its service discovery and one loop per
// target. A reload applies a new config pool by pool: an unchanged job is not touched; a changed
// job keeps every loop whose target is still there with the same timing (it just switches to the
// new settings), restarts the others without losing their staleness memory, and stops with
// staleness markers only the targets that are really gone.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent, type AgentOptions as HttpsAgentOptions } from 'node:https';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { ScrapeConfig, TLSConfig } from '../config/index.ts';
import { clientCredentialsToken, createTunnelAgents, proxyOf, requestHeaders, tlsSettingOptions } from '../httpclient/index.ts';
import { compileRelabelRules, type MetricMetadata } from '../ingest/index.ts';
import type { Appendable } from '../tsdb/index.ts';
import { startDiscovery, type Discoverer, type DnsResolver, type TargetGroup } from '../discovery/index.ts';
import { ScrapeLoop, acceptHeader, type LoopStatus, type PoolContext } from './loop.ts';
import { createScrapeMetrics, type PoolGauges, type ScrapeMetrics } from './metrics.ts';
import { targetsFromGroups, type DroppedTarget, type Target } from './targets.ts';

export interface ScrapeManagerOptions {
  appendable: Appendable;
  logger?: Logger;
  /** Sent as User-Agent (default "Strata"). */
  userAgent?: string;
  /** Receives the metadata (TYPE, HELP, UNIT) of every scrape, e.g. for /api/v1/metadata. */
  onMetadata?: (m: MetricMetadata[]) => void;
  /** Where the scrape metrics (prometheus_target_*, prometheus_sd_*) are registered; none without. */
  registry?: Registry;
  /**
   * A scheduled scrape starting at most this many ms from its slot is stored at the slot
   * (Prometheus' --scrape.timestamp-tolerance; default 2, at most 1% of the interval; 0: never).
   */
  timestampToleranceMs?: number;
  /** Wall clock in ms (default Date.now); tests replace it. */
  clock?: () => number;
  /** Resolver for dns_sd_configs (default: the system's); tests replace it. */
  dnsResolver?: DnsResolver;
}

/** What every pool shares: the manager's options plus its metrics. */
interface ManagerEnv extends ScrapeManagerOptions {
  metrics?: ScrapeMetrics;
}

export interface ActiveTarget {
  readonly scrapePool: string;
  readonly target: Target;
  readonly status: Readonly<LoopStatus>;
  /** The metric metadata (TYPE, HELP, UNIT) the target exposed, by family name. */
  readonly metadata: () => readonly MetricMetadata[];
}

export interface TargetsSnapshot {
  active: ActiveTarget[];
  /** At most keep_dropped_targets per job. */
  dropped: DroppedTarget[];
  /** Dropped targets per job, all of them. */
  droppedCounts: Record<string, number>;
}

export class ScrapeManager {
  private readonly opts: ManagerEnv;
  private readonly pools = new Map<string, ScrapePool>();
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(opts: ScrapeManagerOptions) {
    const metrics = opts.registry ? createScrapeMetrics(opts.registry, () => this.poolGauges()) : undefined;
    this.opts = { ...opts, metrics };
  }

  private poolGauges(): PoolGauges[] {
    return [...this.pools].map(([job, p]) => ({ job, targets: p.loops.size, discovered: p.discoveredCount() }));
  }

  /** Applies a (new) list of jobs. Resolves when every pool has been created, changed or stopped. */
  applyConfig(configs: readonly ScrapeConfig[]): Promise<void> {
    const run = async () => {
      if (this.stopped) return;
      const wanted = new Map(configs.map((c) => [c.jobName, c]));
      for (const [job, pool] of this.pools) {
        if (!wanted.has(job)) {
          this.pools.delete(job);
          await pool.stop(true);
        }
      }
      for (const cfg of configs) {
        const pool = this.pools.get(cfg.jobName);
        if (pool === undefined) this.pools.set(cfg.jobName, new ScrapePool(cfg, this.opts));
        else await pool.reload(cfg);
      }
    };
    this.chain = this.chain.then(run, run);
    return this.chain;
  }

  /** Active and dropped targets of every job, for /api/v1/targets. */
  targets(): TargetsSnapshot {
    const active: ActiveTarget[] = [];
    const dropped: DroppedTarget[] = [];
    const droppedCounts: Record<string, number> = {};
    for (const [job, pool] of this.pools) {
      for (const loop of pool.loops.values()) active.push({ scrapePool: job, target: loop.target, status: loop.status, metadata: () => loop.metadata() });
      dropped.push(...pool.dropped);
      droppedCounts[job] = pool.droppedCount;
    }
    return { active, dropped, droppedCounts };
  }

  /** Waits until every pool has applied its pending discovery updates (tests, reload responses). */
  async settled(): Promise<void> {
    await this.chain;
    for (const p of this.pools.values()) await p.settled();
  }

  /** Scrapes every target of a job at once, outside its schedule. */
  async scrapeNow(job: string): Promise<void> {
    await this.settled();
    const pool = this.pools.get(job);
    if (pool) await Promise.all([...pool.loops.values()].map((l) => l.scrapeNow()));
  }

  /** Stops every loop (no staleness markers: the targets did not go away, this server did). */
  async stop(): Promise<void> {
    this.stopped = true;
    await this.chain.catch(() => {});
    await Promise.all([...this.pools.values()].map((p) => p.stop(false)));
    this.pools.clear();
  }
}


class ScrapePool {
  private cfg: ScrapeConfig;
  private readonly opts: ManagerEnv;
  private ctx: PoolContext;
  private relabelRules;
  private discoverers: Discoverer[] = [];
  private groups = new Map<string, TargetGroup[]>();
  readonly loops = new Map<string, ScrapeLoop>();
  dropped: DroppedTarget[] = [];
  /** All dropped targets, also those beyond keep_dropped_targets. */
  droppedCount = 0;
  private syncChain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(cfg: ScrapeConfig, opts: ManagerEnv) {
    this.cfg = cfg;
    this.opts = opts;
    opts.metrics?.poolCreated();
    this.ctx = this.makeContext(cfg);
    this.relabelRules = compileRelabelRules(cfg.relabelConfigs);
    this.startDiscovery();
  }

  private log(): Logger | undefined {
    return this.opts.logger?.child({ scrape_pool: this.cfg.jobName });
  }

  private startDiscovery(): void {
    this.groups = new Map();
    this.discoverers = startDiscovery(this.cfg, (provider, groups) => {
      this.groups.set(provider, groups);
      this.scheduleSync();
    }, { log: this.log(), metrics: this.opts.metrics, dns: this.opts.dnsResolver });
    // A job with no SD at all still reports (no targets), and a static-only job synced above.
    if (this.discoverers.length === 0) this.scheduleSync();
  }

  private scheduleSync(): void {
    const run = () => (this.stopped ? Promise.resolve() : this.sync());
    this.syncChain = this.syncChain.then(run, run);
  }

  settled(): Promise<void> {
    return this.syncChain;
  }

  discoveredCount(): number {
    let n = 0;
    for (const gs of this.groups.values()) for (const g of gs) n += g.targets.length;
    return n;
  }

  private async sync(): Promise<void> {
    const started = performance.now();
    const { active, dropped } = targetsFromGroups(this.cfg, [...this.groups.values()].flat(), this.relabelRules);
    this.droppedCount = dropped.length;
    this.dropped = this.cfg.keepDroppedTargets > 0 ? dropped.slice(0, this.cfg.keepDroppedTargets) : dropped;
    const wanted = new Map(active.map((t) => [t.key, t]));
    // As Prometheus: over target_limit, the targets stay listed but none is scraped.
    const over = this.cfg.targetLimit > 0 && wanted.size > this.cfg.targetLimit;
    const forced = over ? `target_limit exceeded (number of targets: ${wanted.size}, limit: ${this.cfg.targetLimit})` : '';
    if (over) this.opts.metrics?.targetLimitExceeded();
    const gone: Promise<unknown>[] = [];
    for (const [key, loop] of this.loops) {
      if (!wanted.has(key)) {
        this.loops.delete(key);
        gone.push(loop.stop(true));
      }
    }
    for (const t of active) {
      const old = this.loops.get(t.key);
      if (old !== undefined && old.target.intervalMs === t.intervalMs && old.target.timeoutMs === t.timeoutMs) {
        old.target = t;
        old.forcedError = forced;
        old.setContext(this.ctx);
        continue;
      }
      const memory = old !== undefined ? await old.stop(false) : undefined;
      const loop = new ScrapeLoop(t, this.ctx, memory);
      loop.forcedError = forced;
      this.loops.set(t.key, loop);
      loop.start();
    }
    // As Prometheus times it: the targets' computation and the loops' changes, not the staleness
    // markers of the removed targets being written.
    this.opts.metrics?.observeSync(this.cfg.jobName, (performance.now() - started) / 1000);
    await Promise.all(gone);
  }

  async reload(cfg: ScrapeConfig): Promise<void> {
    if (JSON.stringify(cfg) === JSON.stringify(this.cfg)) return;
    const sd = (c: ScrapeConfig) => JSON.stringify([c.staticConfigs, c.fileSdConfigs, c.httpSdConfigs, c.dnsSdConfigs]);
    const sdChanged = sd(cfg) !== sd(this.cfg);
    const oldAgents = this.ctx.agents;
    this.cfg = cfg;
    this.ctx = this.makeContext(cfg);
    this.relabelRules = compileRelabelRules(cfg.relabelConfigs);
    if (sdChanged) {
      for (const d of this.discoverers) d.stop();
      this.startDiscovery();
    } else {
      this.scheduleSync();
    }
    await this.syncChain;
    oldAgents.http.destroy();
    oldAgents.https.destroy();
    oldAgents.tunnels?.destroy();
  }

  async stop(staleness: boolean): Promise<void> {
    this.stopped = true;
    for (const d of this.discoverers) d.stop();
    await this.syncChain.catch(() => {});
    await Promise.all([...this.loops.values()].map((l) => l.stop(staleness)));
    this.loops.clear();
    this.ctx.agents.http.destroy();
    this.ctx.agents.https.destroy();
    this.ctx.agents.tunnels?.destroy();
  }

  private makeContext(cfg: ScrapeConfig): PoolContext {
    const log = this.log();
    const setupErrors: string[] = [];
    const tls = (t: TLSConfig, what: string): HttpsAgentOptions => {
      const o: HttpsAgentOptions = { keepAlive: true, ...tlsSettingOptions(t) };
      try {
        if (t.ca !== '' || t.caFile !== '') o.ca = t.ca !== '' ? t.ca : readFileSync(t.caFile);
        if (t.cert !== '' || t.certFile !== '') o.cert = t.cert !== '' ? t.cert : readFileSync(t.certFile);
        if (t.key !== '' || t.keyFile !== '') o.key = t.key !== '' ? t.key : readFileSync(t.keyFile);
      } catch (e) {
        setupErrors.push(`${what}: ${(e as Error).message}`);
      }
      return o;
    };
    // Relabelling may set __scheme__ per target, so both protocols get an agent; https targets
    // behind a proxy keep their CONNECT tunnels open from scrape to scrape, as Go's transport does.
    const agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent(tls(cfg.tlsConfig, 'tls_config')), tunnels: createTunnelAgents() };
    const o = cfg.oauth2;
    const oauth2 = o === null ? null : clientCredentialsToken({
      clientId: o.clientId,
      clientSecret: async () => (o.clientSecretFile !== '' ? (await readFile(o.clientSecretFile, 'utf8')).trim() : o.clientSecret),
      scopes: o.scopes,
      tokenUrl: o.tokenUrl,
      endpointParams: o.endpointParams,
      httpsAgent: new HttpsAgent(tls(o.tlsConfig, 'oauth2.tls_config')),
      proxy: proxyOf(o),
      proxyConnectHeaders: o.proxyConnectHeaders,
    }, this.opts.clock);
    if (setupErrors.length > 0) log?.error({ err: setupErrors.join('; ') }, 'cannot load TLS files; scrapes of this job will fail');

    const headers = async (): Promise<Record<string, string | string[]>> => {
      if (setupErrors.length > 0) throw new Error(setupErrors.join('; '));
      return requestHeaders(cfg, (file) => readFile(file, 'utf8'), oauth2);
    };
    return {
      cfg,
      metricRelabel: compileRelabelRules(cfg.metricRelabelConfigs),
      appendable: this.opts.appendable,
      agents,
      headers,
      proxy: proxyOf(cfg),
      logger: log,
      onMetadata: this.opts.onMetadata,
      userAgent: this.opts.userAgent ?? 'Strata',
      accept: acceptHeader(cfg.scrapeProtocols, cfg.metricNameEscapingScheme),
      now: this.opts.clock ?? Date.now,
      timestampToleranceMs: this.opts.timestampToleranceMs ?? 2,
      metrics: this.opts.metrics,
    };
  }
}

