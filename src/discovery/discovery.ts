// Service discovery: where target groups come from. A target group is what Prometheus' SD
// mechanisms produce — a list of targets (label sets with at least __address__) plus labels common
// to all of them — identified by a `source` so that a later update replaces it.
//
// static_configs: fixed groups. file_sd_configs: JSON or YAML files matched by globs, re-read when
// fs.watch reports a change in their directory and every refresh_interval (watch events are lost on
// some file systems and for files replaced by rename). http_sd_configs: polled every
// refresh_interval, following up to 10 redirects as Prometheus' HTTP client and the scrapes do,
// none when follow_redirects is false. dns_sd_configs: names resolved every refresh_interval
// (dns.ts). A file, endpoint or name that cannot be read or resolved keeps its last good groups and
// the error is logged, as in Prometheus, so a half-written file or a DNS hiccup never drops every
// target.
import { watch, type FSWatcher } from 'node:fs';
import { glob, readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Logger } from 'pino';
import { parse as parseYAML } from 'yaml';
import type { DnsSdConfig, HttpSdConfig, StaticConfig } from '../config/index.ts';
import { isUTF8Name } from '../model/index.ts';
import { startDnsSD, systemResolver, type DnsResolver } from './dns.ts';
import { sdGet } from './http.ts';
import { pollEvery } from './poll.ts';

export interface TargetGroup {
  /** Identifies the group within its provider (file path + index, URL + index). */
  source: string;
  /** Per-target labels, each with __address__. */
  targets: Record<string, string>[];
  /** Labels common to every target of the group (target labels win). */
  labels: Record<string, string>;
}

/** Called with every group a provider currently knows of (a full replacement of its earlier list). */
export type GroupsHandler = (provider: string, groups: TargetGroup[]) => void;

export interface Discoverer {
  stop(): void;
}

/**
 * The discovery sections of a scrape job or of an Alertmanager set (alerting.alertmanagers), which
 * Prometheus reads with the same code.
 */
export interface DiscoveryConfigs {
  staticConfigs: readonly StaticConfig[];
  fileSdConfigs: readonly { files: readonly string[]; refreshIntervalMs: number }[];
  httpSdConfigs: readonly HttpSdConfig[];
  dnsSdConfigs: readonly DnsSdConfig[];
}

/** The counters Prometheus keeps for its service discovery (prometheus_sd_*), whoever discovers. */
export interface DiscoveryMetrics {
  fileSdReadError(): void;
  httpSdFailure(): void;
  /** One DNS lookup of dns_sd_configs, and whether it failed. */
  dnsSdLookup(failed: boolean): void;
}

/** What discoverers use besides their config. */
export interface DiscoveryEnv {
  log?: Logger;
  metrics?: DiscoveryMetrics;
  /** For dns_sd_configs (default: the system's, through node:dns). */
  dns?: DnsResolver;
}

export function staticGroups(configs: readonly StaticConfig[]): TargetGroup[] {
  return configs.map((c, i) => ({
    source: String(i),
    targets: c.targets.map((t) => ({ __address__: t })),
    labels: { ...c.labels },
  }));
}

/** Parses the target groups of a file_sd or http_sd document (a list of {targets, labels}). */
export function parseGroups(doc: unknown, source: string): TargetGroup[] {
  if (!Array.isArray(doc)) throw new Error('expected a list of target groups');
  return doc.map((g: unknown, i) => {
    if (g === null || typeof g !== 'object' || Array.isArray(g)) throw new Error(`group ${i}: expected a mapping with targets and labels`);
    const { targets, labels, ...rest } = g as Record<string, unknown>;
    const extra = Object.keys(rest);
    if (extra.length > 0) throw new Error(`group ${i}: unknown field ${extra[0]}`);
    if (targets !== undefined && (!Array.isArray(targets) || targets.some((t) => typeof t !== 'string'))) {
      throw new Error(`group ${i}: targets must be a list of strings`);
    }
    const ls: Record<string, string> = {};
    if (labels !== undefined && labels !== null) {
      if (typeof labels !== 'object' || Array.isArray(labels)) throw new Error(`group ${i}: labels must be a mapping`);
      for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
        // Any non-empty UTF-8 name, as Prometheus 3 validates a target group's labels.
        if (!isUTF8Name(k)) throw new Error(`group ${i}: invalid label name ${JSON.stringify(k)}`);
        if (typeof v !== 'string') throw new Error(`group ${i}: label ${k} must be a string`);
        ls[k] = v;
      }
    }
    return { source: `${source}:${i}`, targets: ((targets as string[] | undefined) ?? []).map((t) => ({ __address__: t })), labels: ls };
  });
}

/** Starts every discoverer of a job or Alertmanager set; `onGroups` is called with each provider's groups. */
export function startDiscovery(cfg: DiscoveryConfigs, onGroups: GroupsHandler, env: DiscoveryEnv = {}): Discoverer[] {
  const { log, metrics } = env;
  const out: Discoverer[] = [];
  if (cfg.staticConfigs.length > 0) onGroups('static', staticGroups(cfg.staticConfigs));
  cfg.fileSdConfigs.forEach((f, i) => out.push(startFileSD(`file/${i}`, f.files, f.refreshIntervalMs, onGroups, log, metrics)));
  cfg.httpSdConfigs.forEach((h, i) => out.push(startHttpSD(`http/${i}`, h, onGroups, log, metrics)));
  cfg.dnsSdConfigs.forEach((d, i) => out.push(startDnsSD(`dns/${i}`, d, onGroups, env.dns ?? systemResolver, log, metrics)));
  return out;
}

function startFileSD(
  provider: string, patterns: readonly string[], refreshMs: number, onGroups: GroupsHandler, log: Logger | undefined, metrics: DiscoveryMetrics | undefined,
): Discoverer {
  let stopped = false;
  // Last good groups per file: a file that turns unreadable keeps them; a file that disappears loses them.
  const byFile = new Map<string, TargetGroup[]>();
  const watchers: FSWatcher[] = [];
  let running = false;
  let again = false;

  const refresh = async (): Promise<void> => {
    if (running) {
      again = true;
      return;
    }
    running = true;
    try {
      do {
        again = false;
        const files = new Set<string>();
        for (const p of patterns) {
          for await (const f of glob(p)) files.add(resolve(String(f)));
        }
        for (const f of [...byFile.keys()]) if (!files.has(f)) byFile.delete(f);
        for (const f of [...files].sort()) {
          try {
            const text = await readFile(f, 'utf8');
            const doc: unknown = f.endsWith('.json') ? JSON.parse(text) : parseYAML(text);
            const groups = parseGroups(doc ?? [], f);
            for (const g of groups) g.labels.__meta_filepath = f;
            byFile.set(f, groups);
          } catch (e) {
            const err = e as NodeJS.ErrnoException;
            if (err.code === 'ENOENT') {
              byFile.delete(f);
              continue;
            }
            metrics?.fileSdReadError();
            log?.error({ file: f, err: err.message }, 'file_sd: cannot read target groups; keeping the last good ones');
          }
        }
        if (stopped) return;
        onGroups(provider, [...byFile.values()].flat());
      } while (again && !stopped);
    } catch (e) {
      log?.error({ err: (e as Error).message }, 'file_sd: refresh failed');
    } finally {
      running = false;
    }
  };

  // Editors and config management write files in bursts: coalesce events into one refresh.
  let debounce: NodeJS.Timeout | undefined;
  const changed = () => {
    if (stopped) return;
    clearTimeout(debounce);
    debounce = setTimeout(() => void refresh(), 50);
    debounce.unref();
  };
  for (const dir of new Set(patterns.map((p) => dirname(resolve(p))))) {
    try {
      const w = watch(dir, { persistent: false }, changed);
      w.on('error', () => {});
      watchers.push(w);
    } catch (e) {
      log?.warn({ dir, err: (e as Error).message }, 'file_sd: cannot watch directory; relying on refresh_interval');
    }
  }
  const timer = setInterval(() => void refresh(), refreshMs);
  timer.unref();
  void refresh();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
      clearTimeout(debounce);
      for (const w of watchers) w.close();
    },
  };
}

function startHttpSD(
  provider: string, cfg: HttpSdConfig, onGroups: GroupsHandler, log: Logger | undefined, metrics: DiscoveryMetrics | undefined,
): Discoverer {
  const { url, refreshIntervalMs: refreshMs } = cfg;
  return pollEvery(refreshMs, async (stopped) => {
    try {
      const res = await sdGet(url, { timeoutMs: Math.min(refreshMs, 30_000), maxBytes: 64 << 20, followRedirects: cfg.followRedirects });
      // Go's resp.Status, as Prometheus words it: the code and the server's reason phrase.
      if (res.status !== 200) throw new Error(`server returned HTTP status ${`${res.status} ${res.statusText}`.trim()}`);
      if (!/^application\/json\b/.test(res.contentType)) throw new Error(`unsupported content type ${JSON.stringify(res.contentType)}`);
      const groups = parseGroups(JSON.parse(res.body.toString('utf8')), url);
      for (const g of groups) g.labels.__meta_url = url;
      if (!stopped()) onGroups(provider, groups);
    } catch (e) {
      metrics?.httpSdFailure();
      log?.error({ url, err: (e as Error).message }, 'http_sd: cannot fetch target groups; keeping the last good ones');
    }
  });
}
