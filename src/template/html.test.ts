// HTML mode against Go's html/template (go1.26): expected outputs in testdata/go-html.json were
// produced by html/template over the same templates and data, with safeHtml/safeUrl returning
// template.HTML/template.URL as Alertmanager's do.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { alertmanagerFuncs, createTemplateSet } from './index.ts';

interface GoCase {
  template: string;
  data: unknown;
  out: string;
}

const cases: GoCase[] = JSON.parse(readFileSync(new URL('./testdata/go-html.json', import.meta.url), 'utf8'));

describe('HTML mode agrees with Go html/template', () => {
  for (const c of cases) {
    it(c.template, async () => {
      const set = createTemplateSet({ funcs: alertmanagerFuncs, html: true });
      set.parse('t', c.template);
      expect(await set.execute('t', c.data)).toBe(c.out);
    });
  }
});

describe('HTML mode', () => {
  it('leaves text mode alone', async () => {
    const set = createTemplateSet({ funcs: alertmanagerFuncs });
    expect(await set.render('<b>{{ .x }}</b>', { x: '<i>&' })).toBe('<b><i>&</b>');
  });
});
