import { describe, expect, it } from 'vitest';
import { firing, testNotifier } from './testing.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;

const CONFIG = `
route:
  receiver: team
  group_by: [alertname]
receivers:
  - name: team
    webhook_configs: [{url: "http://127.0.0.1:9/"}]
`;

describe('group timing (group_wait, group_interval, repeat_interval)', () => {
  it('sends the first notification after group_wait, with the alerts that arrived meanwhile', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down', instance: 'a' }, t0, t0 + HOUR)]);
    await clock.advance(10_000);
    notifier.receive([firing({ alertname: 'Down', instance: 'b' }, t0 + 10_000, t0 + HOUR)]);
    await clock.advance(19_999);
    expect(rec.deliveries).toEqual([]);
    await clock.advance(1);
    expect(rec.deliveries).toHaveLength(1);
    expect(rec.deliveries[0]).toMatchObject({ at: t0 + 30_000, groupKey: '{}:{alertname="Down"}', firing: ['Down', 'Down'], resolved: [] });
    await notifier.stop();
  });

  it('sends an alert older than group_wait at once', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down' }, t0 - 10 * MIN, t0 + HOUR)]);
    await clock.advance(0);
    expect(rec.deliveries.map((d) => d.at)).toEqual([t0]);
    await notifier.stop();
  });

  it('sends changes at the next group_interval tick and repeats after repeat_interval', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down', instance: 'a' }, t0, t0 + 24 * HOUR)]);
    await clock.advance(30_000);
    expect(rec.deliveries).toHaveLength(1);
    // A new alert in the group one minute later waits for the tick 5m after the first flush.
    await clock.advance(MIN);
    notifier.receive([firing({ alertname: 'Down', instance: 'b' }, t0 + 90_000, t0 + 24 * HOUR)]);
    await clock.advance(4 * MIN - 1);
    expect(rec.deliveries).toHaveLength(1);
    await clock.advance(1);
    expect(rec.deliveries.map((d) => [d.at - t0, d.firing.length])).toEqual([[30_000, 1], [30_000 + 5 * MIN, 2]]);
    // Nothing changes: the next notification is the repeat, at the first tick more than 4h after the last one.
    await clock.advance(4 * HOUR);
    expect(rec.deliveries).toHaveLength(2);
    await clock.advance(5 * MIN);
    expect(rec.deliveries.map((d) => d.at - t0)).toEqual([30_000, 30_000 + 5 * MIN, 30_000 + 4 * HOUR + 10 * MIN]);
    await notifier.stop();
  });

  it('sends a resolved alert once, then forgets it; a group with only resolved alerts never notified sends nothing', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down' }, t0, t0 + HOUR)]);
    await clock.advance(MIN);
    // Prometheus resolves an alert by sending it with endsAt = now.
    notifier.receive([firing({ alertname: 'Down' }, t0, clock.now())]);
    await clock.advance(4 * MIN + 30_000);
    expect(rec.deliveries.map((d) => [d.at - t0, d.firing, d.resolved])).toEqual([[30_000, ['Down'], []], [30_000 + 5 * MIN, [], ['Down']]]);
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(2);
    expect(notifier.groups()).toEqual([]);
    // Fired and resolved within one group_wait: nobody was told it fired, nobody is told it resolved.
    notifier.receive([firing({ alertname: 'Blip' }, clock.now(), clock.now() + 10_000)]);
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(2);
    await notifier.stop();
  });

  it('resolves alerts sent without endsAt after resolve_timeout', async () => {
    const { notifier, clock, rec } = testNotifier(`global: {resolve_timeout: 2m}\n${CONFIG}`);
    notifier.receive([{ labels: { alertname: 'Down' } }]);
    await clock.advance(30_000);
    await clock.advance(5 * MIN);
    expect(rec.deliveries.map((d) => [d.firing, d.resolved])).toEqual([[['Down'], []], [[], ['Down']]]);
    await notifier.stop();
  });

  it('records a resolved notification without sending it to channels without send_resolved', async () => {
    const { notifier, clock, rec } = testNotifier(`
route: {receiver: quiet, group_by: [alertname]}
receivers: [{name: quiet, webhook_configs: [{url: "http://127.0.0.1:9/", send_resolved: false}]}]
`);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down' }, t0, t0 + MIN)]);
    await clock.advance(30_000);
    await clock.advance(HOUR);
    expect(rec.deliveries.map((d) => d.firing)).toEqual([['Down']]);
    // It fires again: a new notification, since the log knows it was resolved.
    notifier.receive([firing({ alertname: 'Down' }, clock.now(), clock.now() + HOUR)]);
    await clock.advance(5 * MIN);
    expect(rec.deliveries).toHaveLength(2);
    await notifier.stop();
  });

  it('notifies every route an alert matches with continue, each with its own group key', async () => {
    const { notifier, clock, rec } = testNotifier(`
route:
  receiver: a
  routes:
    - {matchers: [team=db], receiver: a, continue: true}
    - {matchers: [team=db], receiver: b, group_by: ['...']}
receivers:
  - {name: a, webhook_configs: [{url: "http://127.0.0.1:9/"}]}
  - {name: b, webhook_configs: [{url: "http://127.0.0.1:9/"}]}
`);
    notifier.receive([firing({ alertname: 'Down', team: 'db' }, clock.now(), clock.now() + HOUR)]);
    await clock.advance(30_000);
    expect(rec.deliveries.map((d) => [d.receiver, d.groupKey]).sort()).toEqual([
      ['a', '{}/{team="db"}:{}'],
      ['b', '{}/{team="db"}:{alertname="Down", team="db"}'],
    ]);
    await notifier.stop();
  });
});

describe('inhibition', () => {
  const INHIBIT = `
route: {receiver: r, group_by: ['...'], group_wait: 0s}
receivers: [{name: r, webhook_configs: [{url: "http://127.0.0.1:9/"}]}]
inhibit_rules:
  - source_matchers: [severity="critical"]
    target_matchers: [severity=~"warning|critical"]
    equal: [cluster]
`;

  it('mutes targets while a matching source fires with equal labels, and not the source itself', async () => {
    const { notifier, clock, rec } = testNotifier(INHIBIT);
    const now = clock.now();
    notifier.receive([
      firing({ alertname: 'ClusterDown', severity: 'critical', cluster: 'eu' }, now, now + HOUR),
      firing({ alertname: 'SlowQueries', severity: 'warning', cluster: 'eu' }, now, now + HOUR),
      firing({ alertname: 'SlowQueries', severity: 'warning', cluster: 'us' }, now, now + HOUR),
    ]);
    await clock.advance(1000);
    expect(rec.deliveries.map((d) => d.groupKey).sort()).toEqual([
      '{}:{alertname="ClusterDown", cluster="eu", severity="critical"}',
      '{}:{alertname="SlowQueries", cluster="us", severity="warning"}',
    ]);
    const warnEu = notifier.alerts().find((a) => a.labels.cluster === 'eu' && a.labels.severity === 'warning')!;
    expect(warnEu.status.state).toBe('suppressed');
    expect(warnEu.status.inhibitedBy).toHaveLength(1);
    await notifier.stop();
  });

  it('lets an alert matching both sides be inhibited only by one matching the source side alone', async () => {
    const { notifier, clock, rec } = testNotifier(INHIBIT);
    const now = clock.now();
    // Two criticals in one cluster match both sides of the rule: neither mutes the other.
    notifier.receive([
      firing({ alertname: 'A', severity: 'critical', cluster: 'eu' }, now, now + HOUR),
      firing({ alertname: 'B', severity: 'critical', cluster: 'eu' }, now, now + HOUR),
    ]);
    await clock.advance(1000);
    expect(rec.deliveries).toHaveLength(2);
    await notifier.stop();
  });

  it('lifts inhibition when the source resolves', async () => {
    const { notifier, clock, rec } = testNotifier(INHIBIT);
    const now = clock.now();
    notifier.receive([
      firing({ alertname: 'ClusterDown', severity: 'critical', cluster: 'eu' }, now, now + 2 * MIN),
      firing({ alertname: 'SlowQueries', severity: 'warning', cluster: 'eu' }, now, now + HOUR),
    ]);
    await clock.advance(1000);
    expect(rec.deliveries.map((d) => d.firing)).toEqual([['ClusterDown']]);
    await clock.advance(5 * MIN);
    expect(rec.deliveries.map((d) => [d.firing, d.resolved]).slice(1).sort()).toEqual([[[], ['ClusterDown']], [['SlowQueries'], []]]);
    await notifier.stop();
  });
});

describe('time intervals on routes', () => {
  it('mutes during mute_time_intervals and sends only during active_time_intervals', async () => {
    const { notifier, clock, rec } = testNotifier(`
route:
  receiver: r
  group_by: [alertname]
  group_wait: 0s
  group_interval: 1h
  repeat_interval: 24h
  routes:
    - {matchers: [kind=muted], mute_time_intervals: [night]}
    - {matchers: [kind=active], active_time_intervals: [night]}
receivers: [{name: r, webhook_configs: [{url: "http://127.0.0.1:9/"}]}]
time_intervals:
  - name: night
    time_intervals: [{times: [{start_time: '00:00', end_time: '06:00'}]}]
`);
    // The fake clock starts at 2026-01-01 00:00 UTC: night.
    notifier.receive([
      firing({ alertname: 'M', kind: 'muted' }, clock.now(), clock.now() + 24 * HOUR),
      firing({ alertname: 'A', kind: 'active' }, clock.now(), clock.now() + 24 * HOUR),
    ]);
    await clock.advance(1000);
    expect(rec.deliveries.map((d) => d.firing)).toEqual([['A']]);
    // At 06:00:01 the night is over: the muted one goes out at its next hourly tick.
    await clock.advance(6 * HOUR);
    expect(rec.deliveries.map((d) => [d.firing, (d.at - Date.UTC(2026, 0, 1)) / HOUR])).toEqual([[['A'], 0], [['M'], 6]]);
    await notifier.stop();
  });
});
