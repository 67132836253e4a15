// The routing tree: which routes (and so which receivers and grouping) an alert goes to, with
// Alertmanager's rules: a route matches when its matchers do; children are tried in order and the
// first matching child ends the search unless it has `continue: true`; a route none of whose
// children match is itself the match. Settings a child leaves out are inherited from its parent.
import { matchersString, matchesLabelSet, sortMatchers, type Matcher } from './matchers.ts';
import type { LabelSet } from './types.ts';

/** A route as parsed from the file, before inheritance. */
export interface RawRoute {
  receiver?: string;
  group_by?: string[];
  continue: boolean;
  match: Matcher[];
  match_re: Matcher[];
  matchers: Matcher[];
  group_wait?: number;
  group_interval?: number;
  repeat_interval?: number;
  mute_time_intervals: string[];
  active_time_intervals: string[];
  routes: RawRoute[];
}

export interface Route {
  receiver: string;
  /** Labels alerts are grouped by (ignored when groupByAll). */
  groupBy: string[];
  /** `group_by: ['...']`: every label set is its own group. */
  groupByAll: boolean;
  /** match, match_re and matchers together, in Alertmanager's order. */
  matchers: Matcher[];
  continue: boolean;
  groupWaitMs: number;
  groupIntervalMs: number;
  repeatIntervalMs: number;
  /** Not inherited (as in Alertmanager). */
  muteTimeIntervals: string[];
  activeTimeIntervals: string[];
  routes: Route[];
  /** Alertmanager's route key: the parent's key, '/', this route's matchers; part of group keys. */
  key: string;
}

export const DEFAULT_GROUP_WAIT_MS = 30_000;
export const DEFAULT_GROUP_INTERVAL_MS = 5 * 60_000;
export const DEFAULT_REPEAT_INTERVAL_MS = 4 * 3600_000;

/** Builds the tree with inherited settings. The root's settings default to Alertmanager's. */
export function buildRoute(raw: RawRoute, parent?: Route): Route {
  // An empty group_by is inherited like a missing one (as in Alertmanager, which cannot tell them apart).
  const groupBy = raw.group_by !== undefined && raw.group_by.length > 0 ? raw.group_by : parent ? (parent.groupByAll ? ['...'] : parent.groupBy) : [];
  const matchers = sortMatchers([...raw.match, ...raw.match_re, ...raw.matchers]);
  const key = (parent ? `${parent.key}/` : '') + matchersString(matchers);
  const r: Route = {
    receiver: raw.receiver ?? parent?.receiver ?? '',
    groupByAll: groupBy.includes('...'),
    groupBy: groupBy.filter((l) => l !== '...'),
    matchers,
    continue: raw.continue,
    groupWaitMs: raw.group_wait ?? parent?.groupWaitMs ?? DEFAULT_GROUP_WAIT_MS,
    groupIntervalMs: raw.group_interval ?? parent?.groupIntervalMs ?? DEFAULT_GROUP_INTERVAL_MS,
    repeatIntervalMs: raw.repeat_interval ?? parent?.repeatIntervalMs ?? DEFAULT_REPEAT_INTERVAL_MS,
    muteTimeIntervals: raw.mute_time_intervals,
    activeTimeIntervals: raw.active_time_intervals,
    routes: [],
    key,
  };
  r.routes = raw.routes.map((c) => buildRoute(c, r));
  return r;
}

/** The routes an alert with these labels goes to, in tree order (empty if the root does not match). */
export function matchRoutes(r: Route, ls: LabelSet): Route[] {
  if (!matchesLabelSet(r.matchers, ls)) return [];
  const all: Route[] = [];
  for (const c of r.routes) {
    const m = matchRoutes(c, ls);
    all.push(...m);
    if (m.length > 0 && !c.continue) break;
  }
  if (all.length === 0) all.push(r);
  return all;
}

/** The labels of an alert that decide its group on this route. */
export function groupLabels(r: Route, ls: LabelSet): LabelSet {
  if (r.groupByAll) return { ...ls };
  const out: LabelSet = {};
  for (const l of r.groupBy) if (ls[l] !== undefined && ls[l] !== '') out[l] = ls[l];
  return out;
}

/** Every route of the tree, depth first (for status and validation). */
export function walkRoutes(r: Route, visit: (r: Route) => void): void {
  visit(r);
  for (const c of r.routes) walkRoutes(c, visit);
}
