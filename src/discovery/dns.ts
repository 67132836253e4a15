// dns_sd_configs: each name resolved every refresh_interval into one target group, with the labels
// Prometheus gives DNS-SD targets (__meta_dns_name, and __meta_dns_srv_record_target/_port,
// __meta_dns_mx_record_target or __meta_dns_ns_record_target by record type).
//
// A and AAAA go through the system resolver (getaddrinfo, so /etc/hosts counts, where Prometheus
// asks the DNS servers of resolv.conf directly); SRV, MX and NS through DNS queries. A name that
// does not exist or has no records of the type yields no targets; any other failure (timeout,
// server failure) keeps the name's last good targets, as Prometheus keeps a failed refresh's.
import { promises as dns } from 'node:dns';
import type { Logger } from 'pino';
import type { DnsSdConfig } from '../config/index.ts';
import type { DiscoveryMetrics, Discoverer, GroupsHandler, TargetGroup } from './discovery.ts';
import { pollEvery } from './poll.ts';

/** The lookups DNS-SD needs; the system's by default, a test's fake otherwise. */
export interface DnsResolver {
  /** Addresses of `name` for the IP family. */
  lookup(name: string, family: 4 | 6): Promise<string[]>;
  resolveSrv(name: string): Promise<{ name: string; port: number }[]>;
  resolveMx(name: string): Promise<{ exchange: string }[]>;
  resolveNs(name: string): Promise<string[]>;
}

export const systemResolver: DnsResolver = {
  lookup: async (name, family) => (await dns.lookup(name, { family, all: true })).map((a) => a.address),
  resolveSrv: (name) => dns.resolveSrv(name),
  resolveMx: (name) => dns.resolveMx(name),
  resolveNs: (name) => dns.resolveNs(name),
};

// The "no such name / no such records" answers: an empty result, not a failure.
const EMPTY_CODES = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NODATA', 'EAI_NONAME']);

/** The targets one name yields (each a label set with __address__). */
export async function resolveTargets(resolver: DnsResolver, name: string, cfg: Pick<DnsSdConfig, 'type' | 'port'>): Promise<Record<string, string>[]> {
  const host = (h: string) => h.replace(/\.$/, '');
  const withPort = (h: string, port: number) => (h.includes(':') ? `[${h}]:${port}` : `${h}:${port}`);
  try {
    switch (cfg.type) {
      case 'SRV':
        return (await resolver.resolveSrv(name)).map((r) => ({
          __address__: withPort(host(r.name), r.port), __meta_dns_name: name,
          __meta_dns_srv_record_target: host(r.name), __meta_dns_srv_record_port: String(r.port),
        }));
      case 'A':
      case 'AAAA':
        return (await resolver.lookup(name, cfg.type === 'A' ? 4 : 6)).map((ip) => ({ __address__: withPort(ip, cfg.port), __meta_dns_name: name }));
      case 'MX':
        return (await resolver.resolveMx(name)).map((r) => ({
          __address__: withPort(host(r.exchange), cfg.port), __meta_dns_name: name, __meta_dns_mx_record_target: host(r.exchange),
        }));
      case 'NS':
        return (await resolver.resolveNs(name)).map((ns) => ({
          __address__: withPort(host(ns), cfg.port), __meta_dns_name: name, __meta_dns_ns_record_target: host(ns),
        }));
    }
  } catch (e) {
    if (EMPTY_CODES.has((e as NodeJS.ErrnoException).code ?? '')) return [];
    throw e;
  }
}

export function startDnsSD(
  provider: string, cfg: DnsSdConfig, onGroups: GroupsHandler, resolver: DnsResolver, log: Logger | undefined, metrics: DiscoveryMetrics | undefined,
): Discoverer {
  const byName = new Map<string, TargetGroup>();
  return pollEvery(cfg.refreshIntervalMs, async (stopped) => {
    await Promise.all(cfg.names.map(async (name) => {
      try {
        const targets = await resolveTargets(resolver, name, cfg);
        metrics?.dnsSdLookup(false);
        byName.set(name, { source: name, targets, labels: {} });
      } catch (e) {
        metrics?.dnsSdLookup(true);
        log?.error({ name, type: cfg.type, err: (e as Error).message }, 'dns_sd: lookup failed; keeping the last good targets');
      }
    }));
    if (!stopped()) onGroups(provider, cfg.names.flatMap((n) => byName.get(n) ?? []));
  });
}
