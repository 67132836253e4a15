// Which Alertmanagers an alerting.alertmanagers entry stands for, as Prometheus' notifier works it
// out: every discovered target becomes a label set of its own labels, __scheme__ and
// __alerts_path__ from the config, and its group's labels; relabel_configs then keep, drop or
// rewrite it, and the URL is scheme://__address__ + __alerts_path__. Dropped ones keep their labels
// from before relabelling (that is what /api/v1/alertmanagers shows for them).
import { posix } from 'node:path';
import type { TargetGroup } from '../discovery/index.ts';
import { relabel, type CompiledRelabelRule } from '../ingest/index.ts';
import { labelsFromRecord, labelsToRecord } from '../model/index.ts';

export const SCHEME_LABEL = '__scheme__';
export const ADDRESS_LABEL = '__address__';
export const ALERTS_PATH_LABEL = '__alerts_path__';

/** One Alertmanager of a set: its URL and the label set it came from. */
export interface AlertmanagerEndpoint {
  url: string;
  labels: Record<string, string>;
}

/**
 * Where alerts are posted under a path_prefix: Go's path.Join("/", prefix, "/api/v2/alerts"), so a
 * prefix without a leading slash still starts the path ("1am" -> /1am/api/v2/alerts) and "." or
 * ".." segments and doubled slashes are cleaned away.
 */
export function alertsPath(pathPrefix: string): string {
  return posix.join('/', pathPrefix, '/api/v2/alerts');
}

/**
 * The Alertmanagers of one target group. Throws when a kept target's __address__ is not a
 * host[:port] (contains a '/'), as Prometheus refuses the whole group then.
 */
export function alertmanagersFromGroup(
  group: TargetGroup, cfg: { scheme: string; pathPrefix: string }, rules: readonly CompiledRelabelRule[],
): { active: AlertmanagerEndpoint[]; dropped: AlertmanagerEndpoint[] } {
  const active: AlertmanagerEndpoint[] = [];
  const dropped: AlertmanagerEndpoint[] = [];
  for (const target of group.targets) {
    // The config's scheme and path override a target's own __scheme__/__alerts_path__, but a group
    // label of that name (one the target does not have) overrides the config: Prometheus' order.
    const ls: Record<string, string> = { ...target, [SCHEME_LABEL]: cfg.scheme, [ALERTS_PATH_LABEL]: alertsPath(cfg.pathPrefix) };
    for (const [k, v] of Object.entries(group.labels)) if (!(k in target)) ls[k] = v;
    const before = labelsFromRecord(ls);
    const after = relabel(before, rules);
    if (after === null) {
      const labels = labelsToRecord(before);
      dropped.push({ url: alertmanagerURL(labels), labels });
      continue;
    }
    const labels = labelsToRecord(after);
    const addr = labels[ADDRESS_LABEL] ?? '';
    if (addr.includes('/')) throw new Error(`${JSON.stringify(addr)} is not a valid hostname`);
    active.push({ url: alertmanagerURL(labels), labels });
  }
  return { active, dropped };
}

/** Go's url.URL{Scheme: __scheme__, Host: __address__, Path: __alerts_path__}.String(). */
export function alertmanagerURL(labels: Record<string, string>): string {
  const scheme = labels[SCHEME_LABEL] ?? '';
  const host = labels[ADDRESS_LABEL] ?? '';
  const path = escape(labels[ALERTS_PATH_LABEL] ?? '', PATH_SAFE);
  let out = scheme === '' ? '' : `${scheme}:`;
  if (scheme !== '' || host !== '') {
    if (host !== '' || path !== '') out += '//';
    out += escape(host, HOST_SAFE);
  }
  if (path !== '' && !path.startsWith('/') && host !== '') out += '/';
  return out + path;
}

// The characters Go leaves as they are in a URL's path and host; every other byte is %XX.
const PATH_SAFE = /[A-Za-z0-9\-_.~$&+,/:;=@]/;
const HOST_SAFE = /[A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%]/;

function escape(s: string, safe: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (safe.test(ch)) out += ch;
    else for (const b of Buffer.from(ch, 'utf8')) out += `%${b.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
