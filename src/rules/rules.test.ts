import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { isStaleNaN, labelsToString, newMatcher } from '../model/index.ts';
import { Engine } from '../promql/index.ts';
import { loadTestDB, type TestDB } from '../promql/engine/testdata.ts';
import { AlertingRule } from './alerting.ts';
import { parseRuleFile } from './file.ts';
import { Group, type OutgoingAlert } from './group.ts';
import { engineQueryFunc } from './query.ts';
import type { ExpandFunc } from './types.ts';

const log = pino({ level: 'silent' });
const MIN = 60_000;
let store: TestDB | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

// Replaces {{ $labels.x }} and {{ $value }} only: the template engine has its own tests.
const expand: ExpandFunc = async (text, data) =>
  text.replace(/\{\{\s*\$labels\.(\w+)\s*\}\}/g, (_, n: string) => data.labels[n] ?? '').replace(/\{\{\s*\$value\s*\}\}/g, String(data.value));

function groupOf(yaml: string, db: TestDB, sent: OutgoingAlert[], clock: { now: number }, restore = false): Group {
  const [def] = parseRuleFile(yaml, 'rules.yml');
  const engine = new Engine();
  return new Group(def, {
    appendable: db.db, querier: () => db.db.querier(), query: engineQueryFunc(engine, () => db.db.querier()), expand,
    notify: (a) => sent.push(...a), logger: log, externalURL: 'http://strata:9190',
    defaultIntervalMs: MIN, defaultQueryOffsetMs: 0, resendDelayMs: MIN, outageToleranceMs: 60 * MIN, forGracePeriodMs: 10 * MIN,
    now: () => clock.now,
  }, restore);
}

// Evaluates the group at each of the given minutes, with the clock at that minute.
async function evalAt(g: Group, clock: { now: number }, minutes: number[]): Promise<void> {
  for (const m of minutes) {
    clock.now = m * MIN;
    await g.evaluate(m * MIN);
  }
}

async function series(db: TestDB, name: string, mint: number, maxt: number) {
  const out = await db.db.querier().select([newMatcher('=', '__name__', name)], mint, maxt);
  return out.map((s) => ({ labels: labelsToString(s.labels), samples: [...s.timestamps].map((t, i) => [t / 1000, isStaleNaN(s.values[i]) ? 'stale' : s.values[i]]) }));
}

const ALERT_RULES = `
groups:
  - name: g
    rules:
      - alert: HighValue
        expr: metric > 10
        for: 2m
        labels: { severity: page, inst: "{{ $labels.instance }}" }
        annotations: { summary: "value {{ $value }} on {{ $labels.instance }}" }
`;

describe('alerting rule', () => {
  it('goes pending, fires after for, resolves, and writes ALERTS and ALERTS_FOR_STATE', async () => {
    // a exceeds 10 from minute 1 to minute 5; b never does.
    const a: [number, number][] = [];
    const b: [number, number][] = [];
    for (let m = 0; m <= 10; m++) {
      a.push([m * 60, m >= 1 && m <= 5 ? 20 : 1]);
      b.push([m * 60, 1]);
    }
    store = await loadTestDB({ 'metric{instance="a"}': a, 'metric{instance="b"}': b });
    const sent: OutgoingAlert[] = [];
    const clock = { now: 0 };
    const g = groupOf(ALERT_RULES, store, sent, clock);
    const rule = g.rules[0] as AlertingRule;
    const states: string[] = [];
    for (let m = 0; m <= 8; m++) {
      await evalAt(g, clock, [m]);
      states.push(rule.state());
    }
    expect(states).toEqual(['inactive', 'pending', 'pending', 'firing', 'firing', 'firing', 'inactive', 'inactive', 'inactive']);
    expect(g.status[0]).toMatchObject({ health: 'ok', lastError: '' });

    const alerts = await series(store, 'ALERTS', 0, 10 * MIN);
    expect(alerts).toEqual([
      { labels: 'ALERTS{alertname="HighValue", alertstate="firing", inst="a", instance="a", severity="page"}', samples: [[180, 1], [240, 1], [300, 1], [360, 'stale']] },
      { labels: 'ALERTS{alertname="HighValue", alertstate="pending", inst="a", instance="a", severity="page"}', samples: [[60, 1], [120, 1], [180, 'stale']] },
    ]);
    const forState = await series(store, 'ALERTS_FOR_STATE', 0, 10 * MIN);
    expect(forState).toEqual([{ labels: 'ALERTS_FOR_STATE{alertname="HighValue", inst="a", instance="a", severity="page"}', samples: [[60, 60], [120, 60], [180, 60], [240, 60], [300, 60], [360, 'stale']] }]);

    // Sent when it fires (3m), again once the resend delay has passed (5m), when resolved (6m),
    // and the resolution again after the resend delay (8m). Firing ones are valid for 4 intervals.
    expect(sent.map((x) => [x.startsAt / MIN, x.endsAt / MIN])).toEqual([[3, 7], [3, 9], [3, 6], [3, 6]]);
    expect(sent[0]).toEqual({
      labels: { alertname: 'HighValue', instance: 'a', inst: 'a', severity: 'page' },
      annotations: { summary: 'value 20 on a' },
      startsAt: 3 * MIN,
      endsAt: 7 * MIN,
      generatorURL: 'http://strata:9190/graph?g0.expr=metric+%3E+10&g0.tab=1',
    });
  });

  it('keep_firing_for holds a firing alert after its condition clears', async () => {
    const a: [number, number][] = [];
    for (let m = 0; m <= 10; m++) a.push([m * 60, m <= 2 ? 20 : 1]);
    store = await loadTestDB({ 'metric{instance="a"}': a });
    const clock = { now: 0 };
    const g = groupOf(`
groups:
  - name: g
    rules:
      - alert: Flappy
        expr: metric > 10
        keep_firing_for: 3m
`, store, [], clock);
    const rule = g.rules[0] as AlertingRule;
    const states: string[] = [];
    for (let m = 0; m <= 7; m++) {
      await evalAt(g, clock, [m]);
      states.push(rule.state());
    }
    // Fires at once (no for), condition clears at 3m, held until 3m later.
    expect(states).toEqual(['firing', 'firing', 'firing', 'firing', 'firing', 'firing', 'inactive', 'inactive']);
  });

  it('reports duplicate label sets and an exceeded limit as rule errors', async () => {
    store = await loadTestDB({ 'metric{instance="a", x="1"}': [[0, 20]], 'metric{instance="a", x="2"}': [[0, 20]] });
    const clock = { now: 0 };
    const g = groupOf(`
groups:
  - name: g
    limit: 1
    rules:
      - alert: Dup
        expr: sum without (x) (metric) > 10 or metric > 10
        labels: { x: same }
      - record: fine:sum
        expr: sum(metric)
      - record: too_many
        expr: metric
`, store, [], clock);
    await g.evaluate(0);
    expect(g.status.map((s) => s.health)).toEqual(['err', 'ok', 'err']);
    expect(g.status[0].lastError).toBe('vector contains metrics with the same labelset after applying alert labels');
    expect(g.status[2].lastError).toBe('exceeded limit of 1 with 2 series');
  });

  it('restores for state from ALERTS_FOR_STATE after a restart', async () => {
    // The condition holds from minute 0 on; the first process ran minutes 0..3 (pending, for 10m),
    // then was down for 5 minutes.
    const a: [number, number][] = [];
    for (let m = 0; m <= 30; m++) a.push([m * 60, 20]);
    store = await loadTestDB({ 'metric{instance="a"}': a });
    const rules = `
groups:
  - name: g
    rules:
      - alert: Slow
        expr: metric > 10
        for: 15m
`;
    const clock = { now: 0 };
    const first = groupOf(rules, store, [], clock);
    (first.rules[0] as AlertingRule).restored = true;
    await evalAt(first, clock, [0, 1, 2, 3]);
    // Restart at minute 8: two evaluations, then the restore.
    const second = groupOf(rules, store, [], clock, true);
    await evalAt(second, clock, [8, 9]);
    const rule = second.rules[0] as AlertingRule;
    // Spent 3 of 15 minutes pending before going down at 3m; 12 remain (more than the 10m grace),
    // so activeAt moves forward by the downtime (now 9m - down at 3m = 6m): 0 + 6m.
    expect(rule.alerts()[0].activeAt).toBe(6 * MIN);
    expect(rule.restored).toBe(true);
    await evalAt(second, clock, [20, 21]);
    // Fires 15 minutes after the restored activeAt, not 15 minutes after the restart.
    expect(rule.alerts()[0]).toMatchObject({ state: 'firing', firedAt: 21 * MIN });
  });

  it('keeps a label that expanded to "" as written in ALERTS_FOR_STATE, and restores from it', async () => {
    const a: [number, number][] = [];
    for (let m = 0; m <= 10; m++) a.push([m * 60, 20]);
    store = await loadTestDB({ 'metric{instance="a"}': a });
    const rules = `
groups:
  - name: g
    rules:
      - alert: Slow
        expr: metric > 10
        for: 15m
        labels: { owner: "{{ $labels.owner }}" }
`;
    const clock = { now: 0 };
    const first = groupOf(rules, store, [], clock);
    await evalAt(first, clock, [0, 1, 2, 3]);
    // The alert has no owner label; its series keep the rule's text, as Prometheus writes them.
    expect((first.rules[0] as AlertingRule).alerts()[0].labels).toEqual(['alertname', 'Slow', 'instance', 'a']);
    const forState = await series(store, 'ALERTS_FOR_STATE', 0, 10 * MIN);
    expect(forState.map((x) => x.labels)).toEqual(['ALERTS_FOR_STATE{alertname="Slow", instance="a", owner="{{ $labels.owner }}"}']);
    const second = groupOf(rules, store, [], clock, true);
    await evalAt(second, clock, [8, 9]);
    // Pending since 0, down from 3m until the restore at 9m: activeAt moves forward by 6 minutes
    // (unrestored it would be 8m, the restarted process' first evaluation).
    expect((second.rules[0] as AlertingRule).alerts()[0].activeAt).toBe(6 * MIN);
  });
});

describe('recording rule', () => {
  it('stores the result under the new name with the rule labels and marks vanished series stale', async () => {
    store = await loadTestDB({ 'm{job="a"}': [[0, 1], [60, 2]], 'm{job="b"}': [[0, 5]] });
    const clock = { now: 0 };
    const g = groupOf(`
groups:
  - name: rec
    labels: { team: infra }
    rules:
      - record: job:m:sum
        expr: sum by (job) (m)
        labels: { source: rule }
`, store, [], clock);
    await g.evaluate(0);
    // At 5m b's only sample (0s) is outside the left-open lookback window; a's (60s) is not.
    await g.evaluate(5 * MIN);
    const out = await series(store, 'job:m:sum', 0, 10 * MIN);
    expect(out).toEqual([
      { labels: 'job:m:sum{job="a", source="rule", team="infra"}', samples: [[0, 1], [300, 2]] },
      { labels: 'job:m:sum{job="b", source="rule", team="infra"}', samples: [[0, 5], [300, 'stale']] },
    ]);
  });
});

describe('rule files', () => {
  it('names file, line, group, rule and field for every problem', () => {
    const text = `groups:
  - name: g
    interval: 1x
    rules:
      - record: "bad name"
        expr: sum(
      - alert: A
        expr: up == 0
        for: soon
        bogus: 1
  - name: g
    rules: []
`;
    let problems: string[] = [];
    try {
      parseRuleFile(text, 'r.yml');
    } catch (e) {
      problems = (e as { problems: string[] }).problems;
    }
    expect(problems[0]).toBe('r.yml:3:15: group "g": interval: invalid duration "1x" (use e.g. 30s, 5m, 1h)');
    // "bad name" is a valid record name since Prometheus 3 (any non-empty UTF-8; 2.42 refused it).
    expect(problems[1]).toBe('r.yml:6:15: group "g", rule 1 (record "bad name"): expr: 1:5: parse error: unclosed left parenthesis');
    expect(problems[2]).toBe('r.yml:9:14: group "g", rule 2 (alert "A"): for: invalid duration "soon" (use e.g. 30s, 5m, 1h)');
    expect(problems[3]).toBe('r.yml:10:9: group "g", rule 2 (alert "A"): unknown field "bogus" (known: record, alert, expr, for, keep_firing_for, labels, annotations)');
    expect(problems[4]).toBe('r.yml:11:11: group "g": name: another group in this file has that name (group names must be unique per file)');
    expect(problems).toHaveLength(5);
  });
});

describe('alert templates', () => {
  it('expand with $labels, $value and $externalLabels, a missing label as "" and an error in place of a failing text', async () => {
    const { ruleTemplates } = await import('./templates.ts');
    const t = ruleTemplates({ query: async () => [], externalURL: 'http://s:9190', externalLabels: { dc: 'eu1' } });
    const data = { labels: { instance: 'a:9100' }, value: 0.123456 };
    expect(await t.expand('{{ $labels.instance }} {{ $value | humanizePercentage }} in {{ $externalLabels.dc }}', data, 0, 'R')).toBe('a:9100 12.35% in eu1');
    expect(await t.expand('[{{ $labels.nope }}]', data, 0, 'R')).toBe('[]');
    expect(await t.expand('{{ template "nope" }}', data, 0, 'R')).toMatch(/^<error expanding template: /);
    expect(() => t.check('{{ if }}', 'annotations.x')).toThrow(/^invalid template: /);
  });
});
