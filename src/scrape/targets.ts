// From discovered target groups to scrape targets, as Prometheus' populateLabels does it:
// group labels under target labels, the job's defaults as __ labels (__scheme__, __metrics_path__,
// __scrape_interval__, __scrape_timeout__, __param_*), relabel_configs, then __meta_* removed,
// instance defaulted to __address__, and every other __ label kept only to build the URL.
import { hostname } from 'node:os';
import { formatDuration, parseDuration, type ScrapeConfig } from '../config/index.ts';
import { relabel, type CompiledRelabelRule } from '../ingest/index.ts';
import { labelsFromRecord, labelsHash, labelsToRecord, type Labels } from '../model/index.ts';
import type { TargetGroup } from '../discovery/index.ts';

export interface Target {
  /** Identity within the pool: the same key after a rediscovery keeps the same scrape loop. */
  readonly key: string;
  readonly job: string;
  /** Labels as discovered, before relabelling (sorted). */
  readonly discoveredLabels: Labels;
  /** The labels every series of this target gets (no __ labels; sorted). */
  readonly labels: Labels;
  readonly url: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  /** Spreads the pool's scrapes over the interval. */
  readonly hash: number;
}

export interface DroppedTarget {
  readonly job: string;
  readonly discoveredLabels: Labels;
  /** Why, when it was not a relabel rule (e.g. a bad __scrape_interval__). */
  readonly reason: string;
}

export function targetsFromGroups(
  cfg: ScrapeConfig, groups: readonly TargetGroup[], rules: readonly CompiledRelabelRule[],
): { active: Target[]; dropped: DroppedTarget[] } {
  const active = new Map<string, Target>();
  const dropped: DroppedTarget[] = [];
  for (const g of groups) {
    for (const t of g.targets) {
      const r = populate(cfg, { ...g.labels, ...t }, rules);
      if ('target' in r) active.set(r.target.key, r.target);
      else dropped.push(r.dropped);
    }
  }
  return { active: [...active.values()], dropped };
}

function populate(
  cfg: ScrapeConfig, discovered: Record<string, string>, rules: readonly CompiledRelabelRule[],
): { target: Target } | { dropped: DroppedTarget } {
  const base: Record<string, string> = { ...discovered };
  const def = (name: string, value: string) => {
    if (base[name] === undefined || base[name] === '') base[name] = value;
  };
  def('job', cfg.jobName);
  def('__scrape_interval__', formatDuration(cfg.scrapeIntervalMs));
  def('__scrape_timeout__', formatDuration(cfg.scrapeTimeoutMs));
  def('__metrics_path__', cfg.metricsPath);
  def('__scheme__', cfg.scheme);
  for (const [k, vs] of Object.entries(cfg.params)) if (vs.length > 0) def(`__param_${k}`, vs[0]);
  const discoveredLabels = labelsFromRecord(base);
  const drop = (reason: string) => ({ dropped: { job: cfg.jobName, discoveredLabels, reason } });

  const out = relabel(discoveredLabels, rules);
  if (out === null) return drop('');
  const ls = labelsToRecord(out);
  const address = ls.__address__ ?? '';
  if (address === '') return drop('no address');
  if (/[/\s]/.test(address)) return drop(`invalid address ${JSON.stringify(address)}`);
  const intervalMs = parseDuration(ls.__scrape_interval__ ?? '');
  const timeoutMs = parseDuration(ls.__scrape_timeout__ ?? '');
  if (intervalMs === null || intervalMs === 0) return drop(`invalid __scrape_interval__ ${JSON.stringify(ls.__scrape_interval__)}`);
  if (timeoutMs === null || timeoutMs === 0) return drop(`invalid __scrape_timeout__ ${JSON.stringify(ls.__scrape_timeout__)}`);
  if (timeoutMs > intervalMs) return drop(`__scrape_timeout__ ${ls.__scrape_timeout__} is greater than __scrape_interval__ ${ls.__scrape_interval__}`);
  const scheme = ls.__scheme__ === 'https' ? 'https' : ls.__scheme__ === 'http' ? 'http' : null;
  if (scheme === null) return drop(`invalid __scheme__ ${JSON.stringify(ls.__scheme__)}`);

  const url = new URL(`${scheme}://${address}`);
  url.pathname = ls.__metrics_path__ ?? '/metrics';
  // Config params, each overridden by its __param_ label (which relabelling may have set).
  const params = new URLSearchParams();
  for (const [k, vs] of Object.entries(cfg.params)) {
    const over = ls[`__param_${k}`];
    if (over !== undefined) params.append(k, over);
    else for (const v of vs) params.append(k, v);
  }
  for (const [k, v] of Object.entries(ls)) {
    if (k.startsWith('__param_') && !(k.slice(8) in cfg.params)) params.append(k.slice(8), v);
  }
  url.search = params.toString();

  const final: Record<string, string> = {};
  for (const [k, v] of Object.entries(ls)) if (!k.startsWith('__')) final[k] = v;
  if (final.instance === undefined || final.instance === '') final.instance = address;
  const labels = labelsFromRecord(final);
  const urlStr = url.toString();
  const key = `${urlStr}\xff${labels.join('\xff')}`;
  return {
    target: { key, job: cfg.jobName, discoveredLabels, labels, url: urlStr, intervalMs, timeoutMs, hash: labelsHash([urlStr, ...labels]) },
  };
}

/** The scrape URL as another machine would reach it: loopback names replaced by the host name. */
export function globalUrl(url: string): string {
  const u = new URL(url);
  if (u.hostname === 'localhost' || u.hostname === '127.0.0.1' || u.hostname === '[::1]' || u.hostname === '0.0.0.0' || u.hostname === '[::]') {
    u.hostname = hostname();
  }
  return u.toString();
}
