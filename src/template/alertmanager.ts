// The functions Alertmanager gives notification templates (its template package's DefaultFuncs).
// The data helpers (KV.SortedPairs, .Names, .Values, .Remove, Alerts.Firing/.Resolved) are
// methods on the data the notifier builds; the executor calls function-valued properties as
// methods, with arguments when the command has them.

import type { TemplateFunc } from './exec.ts';
import { casesTitle, goToLower, goToUpper, humanizeDuration, reMatch, reReplaceAll } from './funcs-common.ts';
import { GoDuration, GoTime, formatTime, inZone } from './gotime.ts';
import { SafeHTML, SafeURL, marshalJSON } from './values.ts';

function stringList(v: unknown): string[] {
  if (Array.isArray(v)) return v.map(String);
  throw new Error(`expected []string; found ${v === null ? 'nil' : typeof v}`);
}

/** Go's url.QueryUnescape. */
function queryUnescape(s: string): string {
  if (/%(?![0-9a-fA-F]{2})/.test(s)) {
    const bad = /%.{0,2}/.exec(s.slice(s.search(/%(?![0-9a-fA-F]{2})/)))![0];
    throw new Error(`invalid URL escape ${JSON.stringify(bad)}`);
  }
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%') {
      bytes.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (s[i] === '+') bytes.push(0x20);
    else bytes.push(...new TextEncoder().encode(s[i]));
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

export const alertmanagerFuncs: Record<string, TemplateFunc> = {
  toUpper: (s: string) => goToUpper(String(s)),
  toLower: (s: string) => goToLower(String(s)),
  title: (s: string) => casesTitle(String(s)),
  trimSpace: (s: string) => String(s).trim(),
  join: (sep: string, list: unknown) => stringList(list).join(String(sep)),
  match: (pattern: string, text: string) => reMatch(pattern, text),
  safeHtml: (s: string) => new SafeHTML(String(s)),
  safeUrl: (s: string) => new SafeURL(String(s)),
  urlUnescape: (s: string) => queryUnescape(String(s)),
  reReplaceAll: (pattern: string, repl: string, text: string) => reReplaceAll(pattern, repl, text),
  stringSlice: (...s: unknown[]) => s.map(String),
  date: (layout: string, t: unknown) => formatTime(GoTime.from(t), String(layout)),
  tz: (name: string, t: unknown) => inZone(GoTime.from(t), String(name)),
  since: (t: unknown) => {
    const ms = Date.now() - GoTime.from(t).ms;
    return new GoDuration(BigInt(Math.trunc(ms)) * 1000000n);
  },
  humanizeDuration,
  toJson: (v: unknown) => marshalJSON(v),
};
