// The functions Prometheus gives alerting-rule annotation and label templates (and consoles):
// humanizers, string and regexp helpers, query-result helpers, time conversions and URLs, with
// the outputs Prometheus' template package produces.

import { sprintf } from './fmt.ts';
import { convertToFloat, goToLower, goToUpper, humanizeDuration, reMatch, reReplaceAll, stringsTitle, SMALL_PREFIXES } from './funcs-common.ts';
import { GoDuration, GoTime } from './gotime.ts';
import { queryEscape } from './builtins.ts';
import type { TemplateFunc } from './exec.ts';
import { SafeHTML } from './values.ts';

export interface QueryResultSample {
  labels: Record<string, string>;
  value: number;
}

/** A query result element as templates see it (Prometheus' sample struct: `.Labels`, `.Value`). */
export class Sample {
  Labels: Record<string, string>;
  Value: number;
  constructor(labels: Record<string, string>, value: number) {
    this.Labels = labels;
    this.Value = value;
  }
}

export interface PrometheusFuncOptions {
  /** The server's external URL (externalURL returns it; pathPrefix returns its path). */
  externalURL?: string;
  /** Overrides the path derived from externalURL. */
  pathPrefix?: string;
  /** Runs an instant query at the rule's evaluation time. */
  query?: (q: string) => Promise<QueryResultSample[]>;
}

const BIG_PREFIXES = ['k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const BINARY_PREFIXES = ['ki', 'Mi', 'Gi', 'Ti', 'Pi', 'Ei', 'Zi', 'Yi'];

export function humanize(i: unknown): string {
  let v = convertToFloat(i);
  if (v === 0 || Number.isNaN(v) || !Number.isFinite(v)) return sprintf('%.4g', [v]);
  let prefix = '';
  if (Math.abs(v) >= 1) {
    for (const p of BIG_PREFIXES) {
      if (Math.abs(v) < 1000) break;
      prefix = p;
      v /= 1000;
    }
    return sprintf('%.4g%s', [v, prefix]);
  }
  for (const p of SMALL_PREFIXES) {
    if (Math.abs(v) >= 1) break;
    prefix = p;
    v *= 1000;
  }
  return sprintf('%.4g%s', [v, prefix]);
}

export function humanize1024(i: unknown): string {
  let v = convertToFloat(i);
  if (Math.abs(v) <= 1 || Number.isNaN(v) || !Number.isFinite(v)) return sprintf('%.4g', [v]);
  let prefix = '';
  for (const p of BINARY_PREFIXES) {
    if (Math.abs(v) < 1024) break;
    prefix = p;
    v /= 1024;
  }
  return sprintf('%.4g%s', [v, prefix]);
}

/** Seconds since the epoch to a time at millisecond precision (truncated), as Prometheus' model.Time does. */
function floatToTime(v: number): GoTime {
  if (Number.isNaN(v) || !Number.isFinite(v)) throw new Error('value is NaN or Inf');
  const ns = v * 1e9;
  if (ns > 9223372036854775807 || ns < -9223372036854775808) throw new Error(`${sprintf('%v', [v])} cannot be represented as a nanoseconds timestamp since it overflows int64`);
  return new GoTime(Math.trunc(ns / 1e6));
}

export function humanizeTimestamp(i: unknown): string {
  const v = convertToFloat(i);
  if (Number.isNaN(v) || !Number.isFinite(v)) return sprintf('%.4g', [v]);
  return floatToTime(v).String();
}

/** Prometheus' duration syntax ("1h30m", "5m", "1w", "500ms") to seconds. */
export function parsePromDuration(s: string): number {
  if (s === '0') return 0;
  const units: Record<string, number> = { y: 365 * 86400e3, w: 7 * 86400e3, d: 86400e3, h: 3600e3, m: 60e3, s: 1e3, ms: 1 };
  const re = /^(?:([0-9]+)y)?(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?(?:([0-9]+)ms)?$/;
  const m = re.exec(s);
  if (s === '' || m === null) throw new Error(`not a valid duration string: ${JSON.stringify(s)}`);
  const names = ['y', 'w', 'd', 'h', 'm', 's', 'ms'];
  let ms = 0;
  names.forEach((u, k) => {
    if (m[k + 1] !== undefined) ms += Number(m[k + 1]) * units[u];
  });
  return ms / 1000;
}

/** Go's net.SplitHostPort, or null where it fails. */
function splitHostPort(hostPort: string): [string, string] | null {
  if (hostPort.startsWith('[')) {
    const m = /^\[([^\]]*)\]:([^:]*)$/.exec(hostPort);
    return m === null ? null : [m[1], m[2]];
  }
  const i = hostPort.lastIndexOf(':');
  if (i < 0) return null;
  const host = hostPort.slice(0, i);
  if (host.includes(':') || host.includes('[') || host.includes(']')) return null;
  return [host, hostPort.slice(i + 1)];
}

function isIP(host: string): boolean {
  if (/^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.test(host)) return host.split('.').every((p) => Number(p) <= 255 && !(p.length > 1 && p[0] === '0'));
  return host.includes(':') && /^[0-9a-fA-F:.]+$/.test(host);
}

function sampleOf(v: unknown, fn: string): Sample {
  if (v instanceof Sample) return v;
  throw new Error(`${fn}: expected a query result sample`);
}

export function prometheusFuncs(opts: PrometheusFuncOptions): Record<string, TemplateFunc> {
  const external = opts.externalURL ?? '';
  const pathPrefix = opts.pathPrefix ?? (external === '' ? '' : safeURLPath(external));
  return {
    query: async (q: string) => {
      if (opts.query === undefined) throw new Error('query is not available here');
      const result = await opts.query(String(q));
      return result.map((s) => new Sample(s.labels, s.value));
    },
    first: (v: unknown) => {
      if (Array.isArray(v) && v.length > 0) return v[0];
      throw new Error('first() called on vector with no elements');
    },
    label: (name: string, s: unknown) => sampleOf(s, 'label').Labels[name] ?? '',
    value: (s: unknown) => sampleOf(s, 'value').Value,
    strvalue: (s: unknown) => sampleOf(s, 'strvalue').Labels['__value__'] ?? '',
    sortByLabel: (name: string, v: unknown) => {
      if (!Array.isArray(v)) throw new Error('sortByLabel: expected a query result');
      return [...v].sort((a, b) => {
        const x = sampleOf(a, 'sortByLabel').Labels[name] ?? '';
        const y = sampleOf(b, 'sortByLabel').Labels[name] ?? '';
        return x < y ? -1 : x > y ? 1 : 0;
      });
    },
    args: (...a: unknown[]) => Object.fromEntries(a.map((v, i) => [`arg${i}`, v])),
    humanize,
    humanize1024,
    humanizeDuration,
    humanizePercentage: (i: unknown) => sprintf('%.4g%%', [convertToFloat(i) * 100]),
    humanizeTimestamp,
    toTime: (i: unknown) => floatToTime(convertToFloat(i)),
    toDuration: (i: unknown) => {
      const v = convertToFloat(i);
      if (Number.isNaN(v) || !Number.isFinite(v)) throw new Error('value is NaN or Inf');
      return new GoDuration(BigInt(Math.trunc(v * 1e9)));
    },
    parseDuration: (d: string) => parsePromDuration(String(d)),
    toUpper: (s: string) => goToUpper(String(s)),
    toLower: (s: string) => goToLower(String(s)),
    title: (s: string) => stringsTitle(String(s)),
    match: (pattern: string, text: string) => reMatch(pattern, text),
    reReplaceAll: (pattern: string, repl: string, text: string) => reReplaceAll(pattern, repl, text),
    safeHtml: (s: string) => new SafeHTML(String(s)),
    stripPort: (hostPort: string) => splitHostPort(String(hostPort))?.[0] ?? hostPort,
    stripDomain: (hostPort: string) => {
      const split = splitHostPort(String(hostPort));
      const host = split === null ? String(hostPort) : split[0];
      if (isIP(host)) return hostPort;
      const short = host.split('.')[0];
      if (split !== null && split[1] !== '') return short.includes(':') ? `[${short}]:${split[1]}` : `${short}:${split[1]}`;
      return short;
    },
    externalURL: () => external,
    pathPrefix: () => pathPrefix,
    graphLink: (expr: string) => `/graph?g0.expr=${queryEscape(String(expr))}&g0.tab=0`,
    tableLink: (expr: string) => `/graph?g0.expr=${queryEscape(String(expr))}&g0.tab=1`,
  };
}

function safeURLPath(u: string): string {
  try {
    const p = new URL(u).pathname;
    return p === '/' ? '' : p;
  } catch {
    return '';
  }
}

