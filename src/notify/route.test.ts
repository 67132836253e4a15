import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseNotifierConfig } from './config.ts';
import { fingerprint, labelSetString } from './labels.ts';
import { groupLabels, matchRoutes } from './route.ts';

// The routing tree of Alertmanager's configuration documentation (trimmed to its routing).
const DOCS_EXAMPLE = `
route:
  receiver: default-receiver
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  group_by: [cluster, alertname]
  routes:
    - receiver: database-pager
      group_wait: 10s
      matchers: [service=~"mysql|cassandra"]
    - receiver: frontend-pager
      group_by: [product, environment]
      matchers: [team="frontend"]
    - receiver: dev-pager
      matchers: [service="inhouse-service"]
      mute_time_intervals: [offhours]
      continue: true
    - receiver: on-call-pager
      matchers: [service="inhouse-service"]
      active_time_intervals: [offhours]
    - matchers: [owner="team-X"]
      receiver: team-X-mails
      routes:
        - matchers: [severity="critical"]
          receiver: team-X-pager
receivers:
  - name: default-receiver
  - name: database-pager
  - name: frontend-pager
  - name: dev-pager
  - name: on-call-pager
  - name: team-X-mails
  - name: team-X-pager
time_intervals:
  - name: offhours
    time_intervals: [{times: [{start_time: '18:00', end_time: '24:00'}]}]
`;

describe('routing', () => {
  const { route } = parseNotifierConfig(DOCS_EXAMPLE, 'am.yml');
  const receivers = (labels: Record<string, string>) => matchRoutes(route, labels).map((r) => r.receiver);

  it('takes the first matching child, or the route itself when no child matches', () => {
    expect(receivers({ alertname: 'Down', service: 'mysql' })).toEqual(['database-pager']);
    expect(receivers({ alertname: 'Down', service: 'mysql', team: 'frontend' })).toEqual(['database-pager']);
    expect(receivers({ alertname: 'Down', team: 'frontend' })).toEqual(['frontend-pager']);
    expect(receivers({ alertname: 'Down', service: 'other' })).toEqual(['default-receiver']);
    expect(receivers({ alertname: 'Down', owner: 'team-X' })).toEqual(['team-X-mails']);
    expect(receivers({ alertname: 'Down', owner: 'team-X', severity: 'critical' })).toEqual(['team-X-pager']);
  });

  it('goes on after a matching route with continue', () => {
    expect(receivers({ service: 'inhouse-service' })).toEqual(['dev-pager', 'on-call-pager']);
  });

  it('groups by the route group_by labels present on the alert, or by all labels with ...', () => {
    const [db] = matchRoutes(route, { alertname: 'Down', service: 'mysql', cluster: 'eu1', instance: 'a' });
    expect(groupLabels(db, { alertname: 'Down', service: 'mysql', cluster: 'eu1', instance: 'a' })).toEqual({ alertname: 'Down', cluster: 'eu1' });
    const [fe] = matchRoutes(route, { alertname: 'Down', team: 'frontend', product: 'shop' });
    expect(groupLabels(fe, { alertname: 'Down', team: 'frontend', product: 'shop' })).toEqual({ product: 'shop' });
    const all = parseNotifierConfig("route: {receiver: r, group_by: ['...']}\nreceivers: [{name: r}]", 'am.yml').route;
    expect(groupLabels(all, { a: '1', b: '2' })).toEqual({ a: '1', b: '2' });
  });

  it("keys groups and fingerprints alerts exactly as Alertmanager 0.25 does", () => {
    // Values read from a real Alertmanager 0.25 given the same config and alerts (its webhook
    // payload's groupKey, its API's fingerprints).
    const labels = { alertname: 'HighLatency', severity: 'critical', team: 'a', instance: 'h1:9100', weird: 'é"x\\n' };
    expect(fingerprint(labels)).toBe('70ba6eeed71660e5');
    expect(fingerprint({ alertname: 'Disk', job: 'node' })).toBe('5627373b7ca35b38');
    const c = parseNotifierConfig(`
route:
  receiver: hook
  group_by: ['alertname']
  routes:
    - matchers: ['severity="critical"', 'team=~"a|b"']
      group_by: ['...']
receivers: [{name: hook}]
`, 'am.yml');
    const [r] = matchRoutes(c.route, labels);
    expect(`${r.key}:${labelSetString(groupLabels(r, labels))}`)
      .toBe('{}/{severity="critical",team=~"a|b"}:{alertname="HighLatency", instance="h1:9100", severity="critical", team="a", weird="é\\"x\\\\n"}');
    expect(`${c.route.key}:${labelSetString({ alertname: 'Disk' })}`).toBe('{}:{alertname="Disk"}');
  });

  it('inherits an empty group_by and keys match_re routes with the anchored regex, as Alertmanager 0.25', () => {
    // Group keys read from Alertmanager 0.25's webhook payloads for this config.
    const c = parseNotifierConfig(`
route:
  receiver: hook
  group_by: [alertname]
  routes:
    - match_re: { service: "^(foo1|foo2)$" }
      group_by: []
    - match_re: { service: "a.b" }
      group_by: ['...']
      routes:
        - matchers: [x="1"]
          group_by: []
receivers: [{name: hook}]
`, 'am.yml');
    const key = (ls: Record<string, string>) => {
      const [r] = matchRoutes(c.route, ls);
      return `${r.key}:${labelSetString(groupLabels(r, ls))}`;
    };
    expect(key({ alertname: 'A', service: 'foo1' })).toBe('{}/{service=~"^(?:^(foo1|foo2)$)$"}:{alertname="A"}');
    expect(key({ alertname: 'C', service: 'aXb', x: '1' })).toBe('{}/{service=~"^(?:a.b)$"}/{x="1"}:{alertname="C", service="aXb", x="1"}');
  });

  // Go's `.` does not match a newline unless (?s) says so; in match_re as in matchers and the
  // match_re of inhibit rules. amtool routes the same labels with Alertmanager's own code.
  const NEWLINES = `
route:
  receiver: default
  routes:
    - {receiver: match_re, match_re: {a: 'x.y'}}
    - {receiver: matchers, matchers: ['b=~"x.y"']}
    - {receiver: dotall, matchers: ['c=~"(?s)x.y"']}
    - {receiver: negated, matchers: ['d!~"x.y"', 'e="1"']}
receivers: [{name: default}, {name: match_re}, {name: matchers}, {name: dotall}, {name: negated}]
inhibit_rules:
  - {source_match_re: {a: 'x.y'}, target_match: {t: '1'}}
`;
  const NEWLINE_CASES: Record<string, string>[] = [
    { a: 'x\ny' }, { a: 'xzy' }, { b: 'x\ny' }, { b: 'xzy' }, { c: 'x\ny' }, { d: 'x\ny', e: '1' }, { d: 'xzy', e: '1' },
  ];

  it('does not let `.` match a newline in match_re or matchers unless (?s), as Alertmanager', () => {
    const c = parseNotifierConfig(NEWLINES, 'am.yml');
    expect(NEWLINE_CASES.map((ls) => matchRoutes(c.route, ls).map((r) => r.receiver).join(','))).toEqual([
      'default', 'match_re', 'default', 'matchers', 'dotall', 'negated', 'default',
    ]);
    const [inhibit] = c.inhibitRules;
    expect([inhibit.sourceMatchers[0].matches('x\ny'), inhibit.sourceMatchers[0].matches('xzy')]).toEqual([false, true]);
  });

  it.skipIf(!existsSync('/usr/bin/amtool'))('routes labels with newlines as amtool config routes test (Alertmanager 0.25)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-routes-'));
    try {
      writeFileSync(join(dir, 'am.yml'), NEWLINES);
      const c = parseNotifierConfig(NEWLINES, 'am.yml');
      for (const ls of NEWLINE_CASES) {
        // amtool reads label values as matcher values: quoted, \n for a newline.
        const args = Object.entries(ls).map(([k, v]) => `${k}="${v.replace(/\n/g, '\\n')}"`);
        const theirs = execFileSync('/usr/bin/amtool', ['config', 'routes', 'test', `--config.file=${join(dir, 'am.yml')}`, ...args], { stdio: 'pipe' }).toString().trim();
        expect(matchRoutes(c.route, ls).map((r) => r.receiver).join(','), JSON.stringify(ls)).toBe(theirs);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('fingerprint arithmetic', () => {
  // FNV-1a 64 written the obvious way (BigInt), to check the two-halves arithmetic on many inputs.
  function reference(ls: Record<string, string>): string {
    const prime = 0x100000001b3n;
    let h = 0xcbf29ce484222325n;
    const enc = new TextEncoder();
    for (const n of Object.keys(ls).sort()) {
      for (const b of [...enc.encode(n), 0xff, ...enc.encode(ls[n]), 0xff]) h = ((h ^ BigInt(b)) * prime) & 0xffffffffffffffffn;
    }
    return h.toString(16).padStart(16, '0');
  }

  it('agrees with a BigInt FNV-1a 64 on ASCII and non-ASCII label sets', () => {
    let seed = 1;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    const alphabet = 'abcXYZ_:019 -"\\\n\té€😀';
    for (let i = 0; i < 2000; i++) {
      const ls: Record<string, string> = {};
      for (let j = Math.floor(rnd() * 6); j >= 0; j--) {
        let v = '';
        for (let k = Math.floor(rnd() * 40); k > 0; k--) v += [...alphabet][Math.floor(rnd() * [...alphabet].length)];
        ls[`l${Math.floor(rnd() * 30)}`] = v;
      }
      expect(fingerprint(ls)).toBe(reference(ls));
    }
  });
});
