// A bad regex, side by side with the real tools (Debian's promtool 2.42 and amtool 0.25): Go's
// regexp/syntax error text (`error parsing regexp: missing closing ): `(``) at the position
// Prometheus gives it, in PromQL selectors, relabelling regexes and Alertmanager matchers.
//
// Every case is checked against Strata always, and against the tool when it is installed. Strata
// follows Prometheus 3 where it differs from 2.42; the case then says what 2.42 reports and why.
// The one reason, for selectors: 2.42 compiled "^(?:" + value + ")$" before parsing the bare value,
// so errors that show in the anchored form named it (`^(?:()$`, `[)$`), and a few patterns failed
// differently (`a\` escapes the anchoring `)`); Prometheus 3 parses the bare value only.
import { execFile } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.ts';
import { ConfigError, parseNotifierConfig } from '../../src/notify/config.ts';
import { asPrometheusPrints as full, strataParseError as strataSays } from './parse-errors.ts';
import { tempDir } from '../helpers/server.ts';

const PROMTOOL = '/usr/bin/promtool';
const AMTOOL = '/usr/bin/amtool';
const run = promisify(execFile);

const ANCHORED = 'in 2.42 the error names "^(?:" + value + ")$", which it compiled first';

// [query, Prometheus 3's error ("line:column: message") or "OK", what 2.42 says where it differs]
const QUERIES: [string, string, { says: string; why: string }?][] = [
  ['foo{a=~"("}', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['foo{a!~"x["}', '1:5: error parsing regexp: missing closing ]: `[`', { says: '1:5: error parsing regexp: missing closing ]: `[)$`', why: ANCHORED }],
  ['{__name__=~"a("}', '1:2: error parsing regexp: missing closing ): `a(`', { says: '1:2: error parsing regexp: missing closing ): `^(?:a()$`', why: ANCHORED }],
  ['sum(foo{a=~"*"})', '1:9: error parsing regexp: missing argument to repetition operator: `*`'],
  ['rate(foo{a=~"*"}[5m])', '1:10: error parsing regexp: missing argument to repetition operator: `*`'],
  ['foo{b="x", a=~"?"}', '1:12: error parsing regexp: missing argument to repetition operator: `?`'],
  ['up{\n  job=~"x**"}', '2:3: error parsing regexp: invalid nested repetition operator: `**`'],
  ['foo{a=~"x{2,1}"}', '1:5: error parsing regexp: invalid repeat count: `{2,1}`'],
  ['foo{a=~"x{1001}"}', '1:5: error parsing regexp: invalid repeat count: `{1001}`'],
  ['foo{a=~"a**"}', '1:5: error parsing regexp: invalid nested repetition operator: `**`'],
  // Valid anchored, so 2.42 went on to parse the bare value, as 3 does.
  ['foo{a=~"a)|(b"}', '1:5: error parsing regexp: unexpected ): `a)|(b`'],
  ['foo{a=~"(a))"}', '1:5: error parsing regexp: unexpected ): `(a))`', { says: '1:5: error parsing regexp: unexpected ): `^(?:(a)))$`', why: ANCHORED }],
  ['foo{a=~"\\\\q"}', '1:5: error parsing regexp: invalid escape sequence: `\\q`'],
  ['foo{a=~"\\\\C"}', '1:5: error parsing regexp: invalid escape sequence: `\\C`'],
  ['foo{a=~"[z-a]"}', '1:5: error parsing regexp: invalid character class range: `z-a`'],
  ['foo{a=~"[[:foo:]]"}', '1:5: error parsing regexp: invalid character class range: `[:foo:]`'],
  ['foo{a=~"\\\\p{Foo}"}', '1:5: error parsing regexp: invalid character class range: `\\p{Foo}`'],
  ['foo{a=~"(?P<>a)"}', '1:5: error parsing regexp: invalid named capture: `(?P<>`'],
  ['foo{a=~"(?=a)"}', '1:5: error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
  ['foo{a=~"(?i"}', '1:5: error parsing regexp: invalid or unsupported Perl syntax: `(?i`', {
    says: '1:5: error parsing regexp: missing closing ): `^(?:(?i)$`', why: `${ANCHORED}: there "(?i)" is a flag group and "^(?:" is left open`,
  }],
  ['foo{a=~"a\\\\"}', '1:5: error parsing regexp: trailing backslash at end of expression: ``', {
    says: '1:5: error parsing regexp: missing closing ): `^(?:a\\)$`', why: `${ANCHORED}: there the backslash escapes the closing ")"`,
  }],
  ['foo{a=~"(?<n>a)"}', 'OK', {
    says: '1:5: error parsing regexp: invalid or unsupported Perl syntax: `(?<`', why: '(?<name>...) is valid since Go 1.22, which Prometheus 3 is built with; 2.42 was built with Go 1.19',
  }],
  // The first error wins, also before a later syntax error.
  ['foo{a=~"("} + bar{b=~"["}', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['foo{a=~"("} bar', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['foo{a=~"("}[5m', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['foo{a=~"("} offset 1m @ 1 @ 2', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['foo{a=~"("} + "s"', '1:5: error parsing regexp: missing closing ): `(`', { says: '1:5: error parsing regexp: missing closing ): `^(?:()$`', why: ANCHORED }],
  ['rate(foo{a=~"x**"}[5m:1m])', '1:10: error parsing regexp: invalid nested repetition operator: `**`'],
  ['foo{a=~".*"} + sum(x{a=~"["})', '1:22: error parsing regexp: missing closing ]: `[`', { says: '1:22: error parsing regexp: missing closing ]: `[)$`', why: ANCHORED }],
  // ...but not before a syntax error or a grammar-action error that comes first.
  ['foo bar{a=~"("}', '1:5: unexpected identifier "bar"'],
  ['sum() + foo{a=~"("}', '1:1: no arguments for aggregate expression provided'],
  ['foo{a=~"a|b|c"}', 'OK'],
  ['foo{a=~"\\\\d+"}', 'OK'],
  ['foo{a=~"\\\\p{Greek}"}', 'OK'],
];

// [regex, Prometheus 3's error for it]: relabelling compiles "^(?s:" + regex + ")$" (2.42: "^(?:").
const RELABEL: [string, string][] = [
  ['(', 'error parsing regexp: missing closing ): `^(?s:()$`'],
  ['x[', 'error parsing regexp: missing closing ]: `[)$`'],
  ['a**', 'error parsing regexp: invalid nested repetition operator: `**`'],
  ['(?=x)', 'error parsing regexp: invalid or unsupported Perl syntax: `(?=`'],
  ['a)', 'error parsing regexp: unexpected ): `^(?s:a))$`'],
];

// [matcher, Alertmanager 0.25's error]: its matchers compile "^(?:" + value + ")$".
const AM_MATCHERS: [string, string][] = [
  ['a=~"("', 'error parsing regexp: missing closing ): `^(?:()$`'],
  ['a!~"x["', 'error parsing regexp: missing closing ]: `[)$`'],
  ['a=~"*"', 'error parsing regexp: missing argument to repetition operator: `*`'],
  ['a=~"x{2}{3}"', 'error parsing regexp: invalid nested repetition operator: `{2}{3}`'],
  ['a=~"(a))"', 'error parsing regexp: unexpected ): `^(?:(a)))$`'],
  ['a=~"a)|(b"', 'OK'],
];

const relabelConfig = (regex: string): string => stringify({
  scrape_configs: [{ job_name: 'j', static_configs: [{ targets: ['localhost:9'] }], relabel_configs: [{ source_labels: ['a'], regex, target_label: 'b' }] }],
});
const amConfig = (matcher: string): string => stringify({ route: { receiver: 'r', routes: [{ receiver: 'r', matchers: [matcher] }] }, receivers: [{ name: 'r' }] });
const goError = (s: string): string => /error parsing regexp: .*$/.exec(s)?.[0] ?? s;

function strataRelabel(regex: string): string {
  try {
    parseConfig(relabelConfig(regex), 'p.yml');
    return 'OK';
  } catch (e) {
    return goError((e as Error).message);
  }
}

function strataAlertmanager(matcher: string): string {
  try {
    parseNotifierConfig(amConfig(matcher), 'am.yml');
    return 'OK';
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    return goError(e.problems[0]);
  }
}

describe('a bad regex', () => {
  it.each(QUERIES)('%j in a selector: Strata reports what Prometheus 3 does', (query, want) => {
    expect(strataSays(query)).toBe(full(want));
  });
  it.each(RELABEL)('%j in relabel_configs: Go\'s error for the anchored regex', (regex, want) => {
    expect(strataRelabel(regex)).toBe(want);
  });
  it.each(AM_MATCHERS)('%j in Alertmanager matchers: Go\'s error for the anchored value', (matcher, want) => {
    expect(strataAlertmanager(matcher)).toBe(want);
  });

  describe('side by side with promtool 2.42 and amtool 0.25', () => {
    const dir = tempDir('strata-regex-errors-');

    it('promtool check rules reports the same selector errors, or the one noted as 2.42 only', async (ctx) => {
      if (!fs.existsSync(PROMTOOL)) ctx.skip();
      const file = path.join(dir, 'rules.yml');
      fs.writeFileSync(file, stringify({ groups: [{ name: 'g', rules: QUERIES.map(([expr], i) => ({ record: `r${i}`, expr })) }] }));
      const out = await run(PROMTOOL, ['check', 'rules', file]).then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
      const says = new Map<number, string>();
      for (const m of out.matchAll(/rule (\d+), "r\d+": could not parse expression: (.*)$/gm)) says.set(Number(m[1]) - 1, m[2]);
      const differ: string[] = [];
      QUERIES.forEach(([query, want, v2], i) => {
        const expected = full(v2?.says ?? want);
        const got = says.get(i) ?? 'OK';
        if (got !== expected) differ.push(`${JSON.stringify(query)}: promtool ${got}, expected ${expected}`);
      });
      expect(differ).toEqual([]);
    });

    it('promtool check config reports the relabelling errors with "^(?:" where Prometheus 3 has "^(?s:"', async (ctx) => {
      if (!fs.existsSync(PROMTOOL)) ctx.skip();
      for (const [regex, want] of RELABEL) {
        const file = path.join(dir, 'prometheus.yml');
        fs.writeFileSync(file, relabelConfig(regex));
        const out = await run(PROMTOOL, ['check', 'config', '--syntax-only', file]).then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
        expect(goError(out.trim()), regex).toBe(want.replace('^(?s:', '^(?:'));
      }
    });

    it('amtool check-config reports the same matcher errors', async (ctx) => {
      if (!fs.existsSync(AMTOOL)) ctx.skip();
      for (const [matcher, want] of AM_MATCHERS) {
        const file = path.join(dir, 'alertmanager.yml');
        fs.writeFileSync(file, amConfig(matcher));
        const out = await run(AMTOOL, ['check-config', file]).then((r) => r.stdout + r.stderr, (e: { stdout: string; stderr: string }) => e.stdout + e.stderr);
        expect(/FAILED: (.*)$/m.exec(out)?.[1] ?? 'OK', matcher).toBe(want);
      }
    });
  });
});
