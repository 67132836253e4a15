// The notifier's config parser accepts and refuses what Alertmanager 0.25 does: every case is
// checked with Debian's amtool check-config and with parseNotifierConfig, and they must agree.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { amtool, AMTOOL_BIN } from '../helpers/alertmanager.ts';
import { ConfigError, parseNotifierConfig } from '../../src/notify/index.ts';

const R = 'receivers: [{name: r, webhook_configs: [{url: "http://127.0.0.1:9/"}]}, {name: s}]';
const cases: [string, string][] = [
  ['minimal', `route: {receiver: r}\n${R}`],
  ['docs-style tree', `
route:
  receiver: r
  group_by: [cluster, alertname]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - {receiver: s, matchers: ['service=~"mysql|cassandra"'], group_wait: 10s}
    - {receiver: s, match: {team: frontend}, group_by: [product, environment]}
    - {receiver: r, match_re: {service: ^(foo1|foo2|baz)$}, continue: true, routes: [{match: {severity: critical}, receiver: s}]}
    - {receiver: s, group_by: ['...'], mute_time_intervals: [offhours], active_time_intervals: [workdays]}
inhibit_rules:
  - {source_matchers: [severity="critical"], target_matchers: [severity="warning"], equal: [alertname, cluster]}
  - {source_match: {severity: critical}, target_match_re: {severity: warning|info}}
time_intervals:
  - name: offhours
    time_intervals: [{times: [{start_time: '18:00', end_time: '24:00'}], weekdays: ['monday:friday']}]
mute_time_intervals:
  - name: workdays
    time_intervals: [{weekdays: [monday:friday], days_of_month: ['1:-1'], months: [january:june, december], years: ['2020:2030'], location: Europe/Berlin}]
${R}`],
  ['unquoted and braced matchers', `route: {receiver: r, routes: [{matchers: ['a=b', '{c!="d", e=~"f.*"}', 'g !~ h']}]}\n${R}`],
  ['no route', R],
  ['root without receiver', `route: {group_by: [a]}\n${R}`],
  ['root with matchers', `route: {receiver: r, matchers: [a="b"]}\n${R}`],
  ['root with continue', `route: {receiver: r, continue: true}\n${R}`],
  ['root with mute time intervals', `route: {receiver: r, mute_time_intervals: [t]}\n${R}\ntime_intervals: [{name: t, time_intervals: [{weekdays: [monday]}]}]`],
  ['undefined receiver', `route: {receiver: r, routes: [{receiver: nobody}]}\n${R}`],
  ['undefined time interval', `route: {receiver: r, routes: [{receiver: s, mute_time_intervals: [nope]}]}\n${R}`],
  ['duplicate receiver', `route: {receiver: r}\nreceivers: [{name: r}, {name: r}]`],
  ['duplicate time interval', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: []}]\nmute_time_intervals: [{name: t, time_intervals: []}]`],
  ['unknown top-level field', `route: {receiver: r}\n${R}\nroutes: []`],
  ['unknown route field', `route: {receiver: r, group_wiat: 1s}\n${R}`],
  ['bad duration', `route: {receiver: r, group_wait: 30x}\n${R}`],
  ['zero group_interval', `route: {receiver: r, group_interval: 0s}\n${R}`],
  ['wildcard with other labels', `route: {receiver: r, group_by: ['...', a]}\n${R}`],
  ['duplicate group_by label', `route: {receiver: r, group_by: [a, a]}\n${R}`],
  ['bad matcher quote', `route: {receiver: r, routes: [{matchers: ['a="b']}]}\n${R}`],
  ['bad regex in match_re', `route: {receiver: r, routes: [{match_re: {a: "("}}]}\n${R}`],
  ['bad label name in match', `route: {receiver: r, routes: [{match: {"a-b": c}}]}\n${R}`],
  ['inhibit equal with a bad label name', `route: {receiver: r}\n${R}\ninhibit_rules: [{equal: ["a-b"]}]`],
  ['time range reversed', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{times: [{start_time: '10:00', end_time: '09:00'}]}]}]`],
  ['time past 24:00', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{times: [{start_time: '10:00', end_time: '24:01'}]}]}]`],
  ['weekday typo', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{weekdays: [mondey]}]}]`],
  ['days of month mixed signs', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{days_of_month: ['-1:5']}]}]`],
  ['days of month reversed', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{days_of_month: ['5:1']}]}]`],
  ['unknown location', `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{location: Mars/Olympus}]}]`],
  ['resolve_timeout', `global: {resolve_timeout: 1m}\nroute: {receiver: r}\n${R}`],
];

describe.skipIf(!fs.existsSync(AMTOOL_BIN))('Alertmanager config: same verdict as amtool check-config 0.25', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-amcfg-'));
  it.each(cases)('%s', async (name, text) => {
    const file = path.join(dir, `${name.replace(/\W+/g, '-')}.yml`);
    fs.writeFileSync(file, text);
    const theirs = await amtool(['check-config', file]);
    let ours: string | null = null;
    try {
      parseNotifierConfig(text, file);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      ours = e.message;
    }
    expect({ accepted: ours === null, ours }).toEqual({ accepted: theirs.code === 0, ours: theirs.code === 0 ? null : expect.any(String) });
  });
});

// Where we refuse what Alertmanager 0.25 lets through, on purpose: a value that can never match.
describe.skipIf(!fs.existsSync(AMTOOL_BIN))('Alertmanager config: deliberately stricter than amtool check-config 0.25', () => {
  it('refuses a month number outside 1-12 (Alertmanager accepts it, and the interval never matches)', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-amcfg-'));
    const text = `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{months: ['13']}]}]`;
    const file = path.join(dir, 'month13.yml');
    fs.writeFileSync(file, text);
    expect((await amtool(['check-config', file])).code).toBe(0);
    expect(() => parseNotifierConfig(text, file)).toThrow(/time_intervals\[0\]\.time_intervals\[0\]: months\[0\]: invalid month "13"/);
  });

  it('refuses year 0', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-amcfg-'));
    const text = `route: {receiver: r}\n${R}\ntime_intervals: [{name: t, time_intervals: [{years: ['0']}]}]`;
    const file = path.join(dir, 'year0.yml');
    fs.writeFileSync(file, text);
    expect((await amtool(['check-config', file])).code).toBe(0);
    expect(() => parseNotifierConfig(text, file)).toThrow(/years\[0\]: invalid year "0"/);
  });
});
