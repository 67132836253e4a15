// The notifier's configuration in Alertmanager's format (alertmanager.yml works unchanged): global,
// templates, the route tree, inhibit_rules, time_intervals (and the older mute_time_intervals) and
// receivers. Errors name the file, line:column and field path; unknown fields are refused, as
// Alertmanager refuses them. The channel fields of receivers and global belong to channels/config.ts.
import { globSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as z from 'zod';
import { ConfigError, parseDuration, validateYaml } from '../config/index.ts';
import { globalChannelFields, receiverChannelFields, type GlobalChannelSettings, type ReceiverChannelSettings } from './channels/config.ts';
import { bool, describe, duration, list, section, str } from './channels/fields.ts';
import { checkReceiverChannels } from './channels/receiver.ts';
import { LABEL_NAME_RE } from './labels.ts';
import { parseMatchers, type Matcher } from './matchers.ts';
import { buildRoute, type RawRoute, type Route } from './route.ts';
import { alertmanagerConfigYaml } from './printconfig.ts';
import { parseTimeInterval, type TimeInterval } from './timeinterval.ts';
import { checkRE2Syntax, newMatcher } from '../model/index.ts';

export { ConfigError };

export interface GlobalConfig extends GlobalChannelSettings {
  /** ms after which an alert sent without endsAt is resolved unless sent again. */
  resolveTimeoutMs: number;
}

export interface ReceiverConfig extends ReceiverChannelSettings {
  name: string;
}

export interface InhibitRule {
  sourceMatchers: Matcher[];
  targetMatchers: Matcher[];
  /** Labels whose values must be equal in source and target (a label missing in both is equal). */
  equal: string[];
}

export interface NotifierConfig {
  global: GlobalConfig;
  route: Route;
  inhibitRules: InhibitRule[];
  receivers: ReceiverConfig[];
  /** By name: the intervals of time_intervals and mute_time_intervals. */
  timeIntervals: Map<string, TimeInterval[]>;
  /** Template files matched by the `templates:` globs (relative to the config file's directory). */
  templateFiles: string[];
  /**
   * The configuration written out again as Alertmanager's status API shows it (defaults and global
   * fallbacks filled in, secrets hidden; printconfig.ts), not the file's text.
   */
  original: string;
}

// --- field types -------------------------------------------------------------------------------

function optDuration() {
  return z.unknown().transform((v, ctx): number | undefined => {
    if (v === undefined || v === null) return undefined;
    const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${describe(v)} (use e.g. 30s, 5m, 4h)` });
      return z.NEVER;
    }
    return ms;
  }).optional();
}

function stringList() {
  return list(z.unknown().transform((v, ctx) => {
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    ctx.addIssue({ code: 'custom', message: `expected a string, got ${describe(v)}` });
    return z.NEVER;
  }));
}

/** `matchers: ['a="b"', 'c=~"d|e"']`: each string may hold several comma-separated matchers. */
function matcherList() {
  return list(z.unknown().transform((v, ctx): Matcher[] => {
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a matcher string like severity="critical", got ${describe(v)}` });
      return z.NEVER;
    }
    try {
      return parseMatchers(v);
    } catch (e) {
      ctx.addIssue({ code: 'custom', message: (e as Error).message });
      return z.NEVER;
    }
  })).transform((lists) => lists.flat());
}

/** `match:` / `match_re:`: label name to value (or regex), as matchers of that type. */
function labelMap(type: '=' | '=~') {
  return z.preprocess((v) => v ?? {}, z.record(z.string(), z.unknown())).transform((m, ctx): Matcher[] => {
    const out: Matcher[] = [];
    for (const [name, value] of Object.entries(m)) {
      if (!LABEL_NAME_RE.test(name)) {
        ctx.addIssue({ code: 'custom', path: [name], message: `invalid label name ${JSON.stringify(name)}` });
        continue;
      }
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        ctx.addIssue({ code: 'custom', path: [name], message: `expected a string, got ${describe(value)}` });
        continue;
      }
      try {
        // Alertmanager anchors match_re values in the matcher itself, so its route keys (and with
        // them group keys and PagerDuty dedup keys) show them as ^(?:value)$. Its config loader
        // compiles that form first (so an error names it); the matcher then matches as all of
        // Alertmanager's do, `.` not matching a newline.
        if (type === '=~') checkRE2Syntax(`^(?:${String(value)})$`);
        out.push(newMatcher(type, name, type === '=~' ? `^(?:${String(value)})$` : String(value), 'alertmanager'));
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: [name], message: (e as Error).message });
      }
    }
    return out;
  });
}

// --- sections ----------------------------------------------------------------------------------

const routeSchema: z.ZodType<RawRoute> = z.lazy(() => section({
  receiver: z.string().optional(),
  group_by: z.array(z.string()).nullish().transform((v) => v ?? undefined),
  continue: bool(false),
  match: labelMap('='),
  match_re: labelMap('=~'),
  matchers: matcherList(),
  group_wait: optDuration(),
  group_interval: optDuration(),
  repeat_interval: optDuration(),
  mute_time_intervals: stringList(),
  active_time_intervals: stringList(),
  routes: list(routeSchema),
})) as unknown as z.ZodType<RawRoute>;

const inhibitRuleSchema = section({
  source_match: labelMap('='),
  source_match_re: labelMap('=~'),
  source_matchers: matcherList(),
  target_match: labelMap('='),
  target_match_re: labelMap('=~'),
  target_matchers: matcherList(),
  equal: stringList(),
}).transform((r): InhibitRule => ({
  sourceMatchers: [...r.source_match, ...r.source_match_re, ...r.source_matchers],
  targetMatchers: [...r.target_match, ...r.target_match_re, ...r.target_matchers],
  equal: r.equal,
}));

const timeRangeSchema = section({ start_time: str(), end_time: str() });
const timeIntervalEntry = section({
  times: list(timeRangeSchema).optional(),
  weekdays: stringList().optional(),
  days_of_month: stringList().optional(),
  months: stringList().optional(),
  years: stringList().optional(),
  location: z.string().optional(),
}).transform((t, ctx): TimeInterval => {
  try {
    return parseTimeInterval(t);
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
});
const namedTimeIntervals = list(section({
  name: z.string({ error: 'a time interval needs a name' }).min(1, 'a time interval needs a name'),
  time_intervals: list(timeIntervalEntry),
}));

const fileSchema = z.strictObject({
  global: section({ resolve_timeout: duration('5m'), ...globalChannelFields }),
  templates: stringList(),
  route: routeSchema.optional(),
  inhibit_rules: list(inhibitRuleSchema),
  receivers: list(section({ name: z.string({ error: 'a receiver needs a name' }).min(1, 'a receiver needs a name'), ...receiverChannelFields })),
  time_intervals: namedTimeIntervals,
  mute_time_intervals: namedTimeIntervals,
}).superRefine((f, ctx) => {
  const receivers = new Set<string>();
  const { resolve_timeout: _, ...channelGlobals } = f.global;
  f.receivers.forEach((r, i) => {
    if (receivers.has(r.name)) ctx.addIssue({ code: 'custom', path: ['receivers', i, 'name'], message: `notification config name ${JSON.stringify(r.name)} is not unique` });
    receivers.add(r.name);
    // What a channel lacks once the global fallbacks are known (e.g. no smarthost anywhere).
    for (const p of checkReceiverChannels(r, channelGlobals)) ctx.addIssue({ code: 'custom', path: ['receivers', i, ...p.path], message: p.message });
  });
  const intervals = new Set<string>();
  for (const key of ['time_intervals', 'mute_time_intervals'] as const) {
    f[key].forEach((t, i) => {
      if (intervals.has(t.name)) ctx.addIssue({ code: 'custom', path: [key, i, 'name'], message: `time interval ${JSON.stringify(t.name)} is not unique` });
      intervals.add(t.name);
    });
  }
  f.inhibit_rules.forEach((r, i) => {
    for (const name of r.equal) {
      if (!LABEL_NAME_RE.test(name)) ctx.addIssue({ code: 'custom', path: ['inhibit_rules', i, 'equal'], message: `invalid label name ${JSON.stringify(name)}` });
    }
  });
  if (f.route === undefined) {
    ctx.addIssue({ code: 'custom', path: ['route'], message: 'no route provided in config' });
    return;
  }
  checkRoot(f.route, (path, message) => ctx.addIssue({ code: 'custom', path: ['route', ...path], message }));
  checkRouteTree(f.route, [], receivers, intervals, (path, message) => ctx.addIssue({ code: 'custom', path: ['route', ...path], message }));
});

type Report = (path: (string | number)[], message: string) => void;

function checkRoot(r: RawRoute, report: Report): void {
  if (!r.receiver) report(['receiver'], 'root route must specify a default receiver');
  if (r.match.length + r.match_re.length + r.matchers.length > 0) report([], 'root route must not have any matchers');
  if (r.mute_time_intervals.length > 0) report(['mute_time_intervals'], 'root route must not have any mute time intervals');
  if (r.active_time_intervals.length > 0) report(['active_time_intervals'], 'root route must not have any active time intervals');
  if (r.continue) report(['continue'], 'cannot have continue in root route');
}

function checkRouteTree(r: RawRoute, path: (string | number)[], receivers: Set<string>, intervals: Set<string>, report: Report): void {
  if (r.receiver !== undefined && !receivers.has(r.receiver)) report([...path, 'receiver'], `undefined receiver ${JSON.stringify(r.receiver)} used in route`);
  if (r.group_by) {
    const seen = new Set<string>();
    for (const l of r.group_by) {
      if (l === '...') {
        if (r.group_by.length > 1) report([...path, 'group_by'], 'cannot have wildcard group_by (`...`) and other labels at the same time');
        continue;
      }
      if (!LABEL_NAME_RE.test(l)) report([...path, 'group_by'], `invalid label name ${JSON.stringify(l)} in group_by list`);
      if (seen.has(l)) report([...path, 'group_by'], `duplicated label ${JSON.stringify(l)} in group_by`);
      seen.add(l);
    }
  }
  if (r.group_interval === 0) report([...path, 'group_interval'], 'group_interval cannot be zero');
  if (r.repeat_interval === 0) report([...path, 'repeat_interval'], 'repeat_interval cannot be zero');
  for (const key of ['mute_time_intervals', 'active_time_intervals'] as const) {
    r[key].forEach((name, i) => {
      if (!intervals.has(name)) report([...path, key, i], `undefined time interval ${JSON.stringify(name)} used in route`);
    });
  }
  r.routes.forEach((c, i) => checkRouteTree(c, [...path, 'routes', i], receivers, intervals, report));
}

/** Reads and validates an Alertmanager config file. Throws ConfigError. */
export function loadNotifierConfigFile(file: string): NotifierConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new ConfigError([`${file}: cannot read notifier config file: ${err.code === 'ENOENT' ? 'no such file' : err.message}`]);
  }
  return parseNotifierConfig(text, file);
}

/** Validates Alertmanager config text; `name` is the file (errors, relative template globs). */
export function parseNotifierConfig(text: string, name: string): NotifierConfig {
  const { data, raw } = validateYaml(text, name, fileSchema, { topLevel: 'sections (global, route, receivers, ...)' });
  const { resolve_timeout, ...channelGlobals } = data.global;
  const timeIntervals = new Map<string, TimeInterval[]>();
  for (const t of [...data.time_intervals, ...data.mute_time_intervals]) timeIntervals.set(t.name, t.time_intervals);
  const dir = dirname(name);
  const templateFiles: string[] = [];
  for (const pattern of data.templates) {
    const abs = isAbsolute(pattern) ? pattern : resolve(dir, pattern);
    // As Go's filepath.Glob: sorted matches, and a pattern without wildcards only if the file exists.
    templateFiles.push(...globSync(abs).sort());
  }
  return {
    global: { ...channelGlobals, resolveTimeoutMs: resolve_timeout },
    route: buildRoute(data.route!),
    inhibitRules: data.inhibit_rules,
    receivers: data.receivers as ReceiverConfig[],
    timeIntervals,
    templateFiles,
    original: alertmanagerConfigYaml({ raw, global: channelGlobals, resolveTimeoutMs: resolve_timeout, receivers: data.receivers as ReceiverConfig[] }),
  };
}

