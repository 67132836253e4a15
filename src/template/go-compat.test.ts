// Cases whose expected output and errors were produced by Go's own text/template (go1.26) over
// the same template text and the same JSON data (objects decode to map[string]interface{},
// numbers to float64, as our plain objects and JS numbers stand for). See testdata/go-text.json.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createTemplateSet, TemplateError } from './index.ts';

interface GoCase {
  template: string;
  data: unknown;
  out: string;
  err?: string;
}

const cases: GoCase[] = JSON.parse(readFileSync(new URL('./testdata/go-text.json', import.meta.url), 'utf8'));

// The functions the Go harness registered.
const funcs = {
  toUpper: (s: string) => s.toUpperCase(),
  inf: () => Infinity,
  nan: () => NaN,
  negzero: () => -0,
  f: (x: number) => x,
  strs: (...s: string[]) => s,
};

/** Go's parse errors carry only a line ("template: t:1: ..."); ours add the column. */
function withoutColumn(message: string): string {
  return message.replace(/^(template: t:\d+):\d+: (?!executing)/, '$1: ');
}

describe('agrees with Go text/template', () => {
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
