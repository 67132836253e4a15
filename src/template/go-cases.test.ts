// Template cases whose expected output or error was produced by Go 1.26's text/template (a
// throwaway Go program executing each template over the JSON data, which decodes objects to
// map[string]interface{} and numbers to float64, as our plain objects and JS numbers stand for):
//   testdata/go-text.json     the language: actions, pipelines, variables, range/with/define, errors
//   testdata/go-compare.json  eq/ne/lt/le/gt/ge across kinds, missing values and nil
//   testdata/go-printf.json   printf's verbs and flags over the values templates see
//   testdata/go-regexp.json   match and reReplaceAll (Go's regexp.MatchString, ReplaceAllString)
//   testdata/go-time-values.json  time.Time and time.Duration under printf verbs and comparisons

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { reMatch, reReplaceAll } from './funcs-common.ts';
import { inZone } from './gotime.ts';
import { createTemplateSet, GoDuration, GoTime, TemplateError } from './index.ts';

interface GoCase {
  template: string;
  data: unknown;
  out: string;
  err?: string;
}

// The functions the Go program registered.
const funcs = {
  toUpper: (s: string) => s.toUpperCase(),
  inf: () => Infinity,
  nan: () => NaN,
  negzero: () => -0,
  f: (x: number) => x,
  strs: (...s: string[]) => s,
  match: reMatch,
  reReplaceAll,
  t0: () => new GoTime(Date.UTC(2026, 0, 2, 3, 4, 5), undefined, 6),
  tms: (ms: number) => new GoTime(ms),
  tz: (name: string, t: GoTime) => inZone(t, name),
  dur: (ns: number) => new GoDuration(BigInt(ns)),
};

/** Go's parse errors carry only a line ("template: t:1: ..."); ours add the column. */
function withoutColumn(message: string): string {
  return message.replace(/^(template: t:\d+):\d+: (?!executing)/, '$1: ');
}

for (const file of ['go-text.json', 'go-compare.json', 'go-printf.json', 'go-regexp.json', 'go-time-values.json']) {
  const cases: GoCase[] = JSON.parse(readFileSync(new URL(`./testdata/${file}`, import.meta.url), 'utf8'));
  describe(`agrees with Go text/template: ${file}`, () => {
    for (const c of cases) {
      it(JSON.stringify(c.template), async () => {
        const set = createTemplateSet({ funcs });
        let out = '';
        let err: unknown;
        try {
          set.parse('t', c.template);
          out = await set.execute('t', c.data === null ? undefined : c.data);
        } catch (e) {
          err = e;
        }
        if (c.err === undefined) {
          expect(err).toBeUndefined();
          expect(out).toBe(c.out);
        } else {
          expect(err).toBeInstanceOf(TemplateError);
          expect(withoutColumn((err as Error).message)).toBe(c.err);
        }
      });
    }
  });
}
