import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadNotifierConfigFile, parseNotifierConfig } from './config.ts';
import { matcherString } from './matchers.ts';
import { containsTime } from './timeinterval.ts';

const HOOK = 'webhook_configs: [{url: "http://127.0.0.1:9/"}]';

function errors(yaml: string): string[] {
  try {
    parseNotifierConfig(yaml, 'am.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('config was accepted');
}

describe('notifier config', () => {
  it("applies Alertmanager's defaults and inherits route settings", () => {
    const c = parseNotifierConfig(`
route:
  receiver: default
  group_by: [alertname, cluster]
  routes:
    - matchers: ['severity="critical"']
      receiver: pager
      group_wait: 10s
      routes:
        - match: {team: db}
          repeat_interval: 1h
    - match_re: {service: "^(foo1|foo2)$"}
      group_by: ['...']
receivers:
  - name: default
    ${HOOK}
  - name: pager
    ${HOOK}
`, 'am.yml');
    expect(c.global.resolveTimeoutMs).toBe(5 * 60_000);
    const root = c.route;
    expect([root.groupWaitMs, root.groupIntervalMs, root.repeatIntervalMs]).toEqual([30_000, 300_000, 4 * 3600_000]);
    expect(root.key).toBe('{}');
    const [crit, svc] = root.routes;
    expect(crit.receiver).toBe('pager');
    expect(crit.groupBy).toEqual(['alertname', 'cluster']);
    expect(crit.groupWaitMs).toBe(10_000);
    const db = crit.routes[0];
    expect([db.receiver, db.groupWaitMs, db.groupIntervalMs, db.repeatIntervalMs]).toEqual(['pager', 10_000, 300_000, 3600_000]);
    expect(db.key).toBe('{}/{severity="critical"}/{team="db"}');
    expect(svc.groupByAll).toBe(true);
    expect(svc.receiver).toBe('default');
    // Anchored again, as Alertmanager 0.25 keys it.
    expect(svc.key).toBe('{}/{service=~"^(?:^(foo1|foo2)$)$"}');
  });

  it('reads matchers in quoted, unquoted and braced forms and sorts them like Alertmanager', () => {
    const c = parseNotifierConfig(`
route:
  receiver: r
  routes:
    - matchers: ['team=~"a|b"', 'severity = critical', '{env!="prod",zone!~"eu-.*"}', 'msg="say \\"hi\\", then, go"']
receivers: [{name: r}]
`, 'am.yml');
    const ms = c.route.routes[0].matchers;
    expect(ms.map(matcherString)).toEqual(['env!="prod"', 'msg="say \\"hi\\", then, go"', 'severity="critical"', 'team=~"a|b"', 'zone!~"eu-.*"']);
    expect(ms[1].value).toBe('say "hi", then, go');
  });

  it('names file, line:column and field path, and refuses unknown fields', () => {
    const p = errors(`route:
  receiver: r
  group_wait: 30x
  routes:
    - receiver: nobody
      matchres: {a: b}
receivers:
  - name: r
    webhook_configs: [{url: "http://127.0.0.1:9/"}]
`);
    expect(p).toEqual([
      'am.yml:3:15: route.group_wait: invalid duration "30x" (use e.g. 30s, 5m, 4h)',
      'am.yml:6:7: route.routes[0].matchres: unknown field (did you mean match_re?)',
    ]);
    // Cross-references are checked once the fields are valid.
    expect(errors(`route:
  receiver: r
  routes:
    - receiver: nobody
      mute_time_intervals: [weekends]
receivers: [{name: r}]
`)).toEqual([
      'am.yml:4:17: route.routes[0].receiver: undefined receiver "nobody" used in route',
      'am.yml:5:29: route.routes[0].mute_time_intervals[0]: undefined time interval "weekends" used in route',
    ]);
  });

  it("refuses what Alertmanager refuses", () => {
    expect(errors('receivers: [{name: r}]')).toEqual(['am.yml:1:1: route: no route provided in config']);
    expect(errors('route: {receiver: r, match: {a: b}}\nreceivers: [{name: r}]')[0]).toMatch(/route: root route must not have any matchers/);
    expect(errors('route: {group_by: [a]}\nreceivers: [{name: r}]')[0]).toMatch(/route.receiver: root route must specify a default receiver/);
    expect(errors("route: {receiver: r, group_by: ['...', a]}\nreceivers: [{name: r}]")[0]).toMatch(/wildcard group_by/);
    expect(errors('route: {receiver: r, group_by: [a, a]}\nreceivers: [{name: r}]')[0]).toMatch(/duplicated label "a"/);
    expect(errors('route: {receiver: r, group_interval: 0}\nreceivers: [{name: r}]')[0]).toMatch(/group_interval cannot be zero/);
    expect(errors('route: {receiver: r}\nreceivers: [{name: r}, {name: r}]')[0]).toMatch(/receivers\[1\]\.name: .*not unique/);
    expect(errors("route: {receiver: r, routes: [{matchers: ['a=\"b']}]}\nreceivers: [{name: r}]")[0]).toMatch(/unescaped double quote/);
    // Go's error for the anchored pattern, as amtool check-config prints it.
    expect(errors("route: {receiver: r, routes: [{matchers: ['a=~\"(\"']}]}\nreceivers: [{name: r}]")[0]).toMatch(/: error parsing regexp: missing closing \): `\^\(\?:\(\)\$`$/);
    expect(errors("route: {receiver: r, routes: [{match_re: {a: '('}}]}\nreceivers: [{name: r}]")[0]).toMatch(/: error parsing regexp: missing closing \): `\^\(\?:\(\)\$`$/);
    // ...which is valid anchored, as in Alertmanager.
    expect(() => parseNotifierConfig("route: {receiver: r, routes: [{receiver: r, matchers: ['a=~\"a)|(b\"']}]}\nreceivers: [{name: r}]", 'am.yml')).not.toThrow();
    expect(errors('route: {receiver: r}\nreceivers: [{name: r}]\ninhibit_rules: [{equal: ["a-b"]}]')[0]).toMatch(/inhibit_rules\[0\]\.equal: invalid label name/);
    // A channel setting that may come from global but comes from nowhere, reported at the channel.
    expect(errors('route: {receiver: r}\nreceivers:\n  - name: r\n    email_configs: [{to: a@example.com}]\n')[0]).toMatch(/^am.yml:4:21: receivers\[0\]\.email_configs\[0\]: no from address set and no global smtp_from/);
  });

  it('reads inhibit rules in both syntaxes and time intervals', () => {
    const c = parseNotifierConfig(`
route: {receiver: r, routes: [{receiver: r, mute_time_intervals: [offhours], active_time_intervals: [business]}]}
receivers: [{name: r}]
inhibit_rules:
  - source_match: {severity: critical}
    target_matchers: ['severity=~"warning|info"']
    equal: [alertname, cluster]
time_intervals:
  - name: business
    time_intervals:
      - weekdays: ['monday:friday']
        times: [{start_time: '09:00', end_time: '17:00'}]
        location: Europe/Berlin
mute_time_intervals:
  - name: offhours
    time_intervals:
      - days_of_month: ['-1']
        months: ['december']
`, 'am.yml');
    expect(c.inhibitRules[0].sourceMatchers.map(matcherString)).toEqual(['severity="critical"']);
    expect(c.inhibitRules[0].targetMatchers.map(matcherString)).toEqual(['severity=~"warning|info"']);
    expect(c.inhibitRules[0].equal).toEqual(['alertname', 'cluster']);
    const business = c.timeIntervals.get('business')![0];
    // Monday 2026-01-05 08:30 UTC is 09:30 in Berlin (CET, UTC+1).
    expect(containsTime(business, Date.UTC(2026, 0, 5, 8, 30))).toBe(true);
    expect(containsTime(business, Date.UTC(2026, 0, 5, 7, 30))).toBe(false);
    expect(containsTime(business, Date.UTC(2026, 0, 3, 10, 0))).toBe(false); // Saturday
    const offhours = c.timeIntervals.get('offhours')![0];
    expect(containsTime(offhours, Date.UTC(2026, 11, 31, 12))).toBe(true);
    expect(containsTime(offhours, Date.UTC(2026, 11, 30, 12))).toBe(false);
    expect(errors(`route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals: [{name: t, time_intervals: [{times: [{start_time: '10:00', end_time: '09:00'}]}]}]`)[0])
      .toMatch(/time_intervals\[0\]\.time_intervals\[0\]: times\[0\]: start_time must be before end_time/);
    expect(errors(`route: {receiver: r}\nreceivers: [{name: r}]\ntime_intervals: [{name: t, time_intervals: [{weekdays: [funday]}]}]`)[0]).toMatch(/invalid weekday "funday"/);
  });

  it('resolves template globs relative to the config file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-am-'));
    writeFileSync(join(dir, 'a.tmpl'), '{{ define "x" }}x{{ end }}');
    writeFileSync(join(dir, 'b.tmpl'), '');
    writeFileSync(join(dir, 'am.yml'), "templates: ['*.tmpl']\nroute: {receiver: r}\nreceivers: [{name: r}]\n");
    const c = loadNotifierConfigFile(join(dir, 'am.yml'));
    expect(c.templateFiles).toEqual([join(dir, 'a.tmpl'), join(dir, 'b.tmpl')]);
  });
});
