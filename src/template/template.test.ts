// The template set's behaviour that callers rely on beyond Go's own semantics (those are in
// go-cases.test.ts): the set API, error positions, async functions, JS values standing in for Go
// maps, structs and methods, and load-time refusal of what we do not support.

import { describe, expect, it } from 'vitest';
import { createTemplateSet, TemplateError } from './index.ts';

function errorOf(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (e) {
    if (e instanceof TemplateError) return e;
    throw e;
  }
  throw new Error('no error');
}

describe('TemplateSet', () => {
  it('keeps definitions from every parse and executes any of them by name', async () => {
    const set = createTemplateSet();
    set.parse('common.tmpl', '{{ define "title" }}[{{ .Status | printf "%s" }}]{{ end }}{{ define "body" }}{{ template "title" . }} {{ .Text }}{{ end }}');
    set.parse('slack.tmpl', '{{ template "body" . }}!');
    expect(set.has('title') && set.has('body') && set.has('slack.tmpl')).toBe(true);
    expect(await set.execute('slack.tmpl', { Status: 'firing', Text: 'disk full' })).toBe('[firing] disk full!');
    expect(await set.execute('title', { Status: 'resolved' })).toBe('[resolved]');
  });

  it('renders anonymous text with the set\'s definitions, without adding its own to the set', async () => {
    const set = createTemplateSet();
    set.parse('defs', '{{ define "who" }}{{ .name }}{{ end }}');
    expect(await set.render('{{ define "local" }}hi {{ template "who" . }}{{ end }}{{ template "local" . }}', { name: 'ann' })).toBe('hi ann');
    expect(set.has('local')).toBe(false);
  });

  it('lets a later define replace a block default, and a clone diverge from its original', async () => {
    const set = createTemplateSet();
    set.parse('page', '<{{ block "content" . }}default{{ end }}>');
    const clone = set.clone();
    clone.parse('override', '{{ define "content" }}custom {{ . }}{{ end }}');
    expect(await set.execute('page', 'x')).toBe('<default>');
    expect(await clone.execute('page', 'x')).toBe('<custom x>');
  });

  it('does not let a whitespace-only parse erase a definition', async () => {
    const set = createTemplateSet();
    set.parse('a', '{{ define "x" }}X{{ end }}');
    set.parse('b', '{{ define "x" }}  {{ end }}');
    expect(await set.render('{{ template "x" }}', null)).toBe('X');
  });

  it('reports an unknown template name', async () => {
    await expect(createTemplateSet().execute('nope', {})).rejects.toThrow('template: no template "nope"');
  });
});

describe('errors', () => {
  it('positions parse errors by template, line and column', () => {
    const e = errorOf(() => createTemplateSet().parse('alert.tmpl', 'line one\n  {{ .a | nosuchfunc }}'));
    expect(e.message).toBe('template: alert.tmpl:2:10: function "nosuchfunc" not defined');
    expect([e.templateName, e.line, e.column]).toEqual(['alert.tmpl', 2, 10]);
  });

  it('refuses at load time what it does not support, never printing an empty string later', () => {
    const bad = ['{{ 1i }}', '{{ .a }', '{{ if }}{{ end }}', '{{ range $a, $b, $c := . }}{{ end }}', '{{ continue }}', '{{ define "x" }}', '{{ template .name }}', '{{ .x | }}', '{{ $undefined }}', '{{ x := 1 }}',
      '{{ define "a" }}x{{ end }}{{ define "a" }}y{{ end }}'];
    for (const text of bad) expect(() => createTemplateSet().parse('t', text), text).toThrow(TemplateError);
  });

  it('names the template being executed and the failing action', async () => {
    const set = createTemplateSet();
    set.parse('file.tmpl', '{{ define "inner" }}\n  {{ index .list 3 }}{{ end }}{{ template "inner" . }}');
    const err = await set.execute('file.tmpl', { list: [1] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).message).toBe('template: file.tmpl:2:5: executing "inner" at <index .list 3>: error calling index: index out of range: 3');
    expect([(err as TemplateError).templateName, (err as TemplateError).line]).toEqual(['inner', 2]);
  });

  it('turns an exception from a function into an execution error', async () => {
    const set = createTemplateSet({ funcs: { boom: () => { throw new Error('bad input'); } } });
    await expect(set.render('{{ boom }}', {})).rejects.toThrow('executing "text" at <boom>: error calling boom: bad input');
  });
});

describe('values from JavaScript', () => {
  it('awaits functions that return promises, in arguments and pipelines', async () => {
    const set = createTemplateSet({ funcs: { later: async (x: string) => `<${x}>`, twice: (s: string) => s + s } });
    expect(await set.render('{{ later "a" | twice }} {{ twice (later "b") }}', {})).toBe('<a><a> <b><b>');
  });

  it('passes ints to functions as JS numbers and a missing value as null', async () => {
    const seen: unknown[] = [];
    const set = createTemplateSet({ funcs: { see: (...a: unknown[]) => (seen.push(...a), 'ok') } });
    await set.render('{{ see 3 1.5 .missing (len "ab") }}', {});
    expect(seen).toEqual([3, 1.5, null, 2]);
  });

  it('reads Maps like Go maps, in sorted key order', async () => {
    const data = { m: new Map([['b', 2], ['a', 1]]) };
    expect(await createTemplateSet().render('{{ range $k, $v := .m }}{{ $k }}{{ $v }}{{ end }} {{ .m.a }} {{ .m.zz }} {{ len .m }}', data)).toBe('a1b2 1 <no value> 2');
  });

  it('treats class instances as structs: a missing field is an error, methods are called', async () => {
    class Target {
      Name = 'web-1';
      Port = 9100;
      Address(): string {
        return `${this.Name}:${this.Port}`;
      }
      WithScheme(scheme: string): string {
        return `${scheme}://${this.Address()}`;
      }
    }
    const set = createTemplateSet();
    expect(await set.render('{{ .Address }} {{ .WithScheme "https" }} {{ "http" | .WithScheme }} {{ . }}', new Target())).toBe(
      'web-1:9100 https://web-1:9100 http://web-1:9100 {web-1 9100}',
    );
    await expect(set.render('{{ .Nope }}', new Target())).rejects.toThrow("can't evaluate field Nope in type Target");
    await expect(set.render('{{ .constructor }} {{ .toString }}', {})).resolves.toBe('<no value> <no value>');
  });

  it('prints a Date as Go prints a time.Time and gives it time.Time methods', async () => {
    const at = new Date(Date.UTC(2024, 1, 29, 8, 5, 9, 250));
    expect(await createTemplateSet().render('{{ .t }} | {{ .t.Format "Mon Jan 2 15:04:05.000" }} | {{ .t.Unix }}', { t: at })).toBe(
      '2024-02-29 08:05:09.25 +0000 UTC | Thu Feb 29 08:05:09.250 | 1709193909',
    );
  });

  it('follows missingKey: zero gives "" for string maps, error fails', async () => {
    const labels = { severity: 'page' };
    expect(await createTemplateSet({ missingKey: 'zero' }).render('[{{ .team }}][{{ .severity }}]', labels)).toBe('[][page]');
    await expect(createTemplateSet({ missingKey: 'error' }).render('{{ .team }}', labels)).rejects.toThrow('map has no entry for key "team"');
  });
});

describe('control flow', () => {
  it('supports else-with, range over ints, break and continue', async () => {
    const set = createTemplateSet();
    expect(await set.render('{{ with .a }}a{{ else with .b }}b={{ . }}{{ else }}none{{ end }}', { b: 2 })).toBe('b=2');
    expect(await set.render('{{ range $i := 5 }}{{ if eq $i 1 }}{{ continue }}{{ end }}{{ if eq $i 3 }}{{ break }}{{ end }}{{ $i }}{{ end }}', null)).toBe('02');
  });

  it('short-circuits and/or, not evaluating what is not needed', async () => {
    let calls = 0;
    const set = createTemplateSet({ funcs: { count: () => (calls++, 'x') } });
    expect(await set.render('{{ and false (count) }}|{{ or "y" (count) }}|{{ or "" (count) }}', {})).toBe('false|y|x');
    expect(calls).toBe(1);
  });

  it('refuses to compare a float with an int literal, as Go does (Prometheus rules write gt $value 0.0)', async () => {
    // Go 1.26 names the types; promtool 2.42 (an older Go) says only "incompatible types for comparison".
    await expect(createTemplateSet().render('{{ if gt .v 0 }}up{{ end }}', { v: 2 })).rejects.toThrow(
      'template: text:1:6: executing "text" at <gt .v 0>: error calling gt: incompatible types for comparison: float64 and int',
    );
    expect(await createTemplateSet().render('{{ if gt .v 0.0 }}up{{ end }} {{ eq .v 2.0 }} {{ eq (len "ab") 2 }}', { v: 2 })).toBe('up true true');
  });
});

describe('synchronous and asynchronous functions', () => {
  it('runs a template of synchronous functions to the end before returning', () => {
    let calls = 0;
    const set = createTemplateSet({ funcs: { f: (x: number) => (calls++, x) } });
    const result = set.render('{{ range . }}{{ f . }}{{ end }}', [1, 2, 3, 4, 5]);
    // No await yet: an executor that awaited per node would have called f once at most by now.
    expect(calls).toBe(5);
    return expect(result).resolves.toBe('12345');
  });

  it('calls each asynchronous function once per call, in order, with the synchronous ones around them', async () => {
    const queried: string[] = [];
    let syncCalls = 0;
    const set = createTemplateSet({
      funcs: {
        query: async (q: string) => (queried.push(q), q.length),
        twice: (x: number) => (syncCalls++, x * 2),
      },
    });
    const out = await set.render('{{ twice 1 }} {{ query "ab" }} {{ range $i := 2 }}{{ query (printf "q%d" $i) | twice }}{{ end }} {{ twice 3 }}', {});
    expect(out).toBe('2 2 44 6');
    expect(queried).toEqual(['ab', 'q0', 'q1']);
    // The template runs again after each awaited call (4 runs here); the synchronous functions with it.
    expect(syncCalls).toBeGreaterThanOrEqual(4);
  });

  it('positions a rejected asynchronous call as any failing call', async () => {
    const set = createTemplateSet({ funcs: { query: async () => Promise.reject(new Error('bad_data: parse error')) } });
    await expect(set.render('x {{ query "up" }}', {})).rejects.toThrow('template: text:1:5: executing "text" at <query "up">: error calling query: bad_data: parse error');
  });

  it("stops runaway template recursion with Go's error (at the depth JavaScript's stack allows, not Go's 100000)", async () => {
    const set = createTemplateSet();
    set.parse('t', '{{ define "r" }}{{ template "r" . }}{{ end }}{{ template "r" . }}');
    await expect(set.execute('t', 1)).rejects.toThrow(/^template: t:1:\d+: executing "r" at <\{\{template "r" \.\}\}>: exceeded maximum template depth \(\d+\)$/);
  });
});
