import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parseNotifierConfig } from './config.ts';
import { firing, testNotifier } from './testing.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const CONFIG = `
route:
  receiver: team
  group_by: [alertname]
  routes:
    - {matchers: [severity=page], receiver: pager}
receivers:
  - {name: team, webhook_configs: [{url: "http://127.0.0.1:9/"}]}
  - {name: pager, webhook_configs: [{url: "http://127.0.0.1:9/"}]}
`;

describe('notifier', () => {
  it('takes valid alerts and says why the others were refused', async () => {
    const registry = new Registry();
    const { notifier } = testNotifier(CONFIG, { registry });
    const r = notifier.receive([
      { labels: { alertname: 'Down', empty: '' } },
      { labels: { empty: '' } },
      { labels: { 'bad-name': 'x' } },
      { labels: { alertname: 'X' }, startsAt: '2026-01-01T01:00:00Z', endsAt: '2026-01-01T00:00:00Z' },
      { labels: { alertname: 'X' }, startsAt: 'yesterday' },
    ]);
    expect(r).toEqual({
      accepted: 1,
      errors: [
        'alert 1: at least one label pair required',
        'alert 2: invalid label name "bad-name"',
        'alert 3: start time must be before end time',
        'alert 4: startsAt: invalid RFC 3339 time "yesterday"',
      ],
    });
    expect(notifier.alerts().map((a) => a.labels)).toEqual([{ alertname: 'Down' }]);
    const text = await registry.metrics();
    expect(text).toContain('strata_alerts_received_total{status="firing"} 1\n');
    expect(text).toContain('strata_alerts_invalid_total 4\n');
    expect(text).toContain('strata_alerts{state="active"} 1\n');
    expect(text).toContain('strata_notifier_aggregation_groups 1\n');
    expect(text).toContain('strata_notifications_total{integration="webhook"} 0\n');
    await notifier.stop();
  });

  it('lists groups and alerts in API v2 shape', async () => {
    const { notifier, clock } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down', instance: 'b' }, t0), firing({ alertname: 'Down', instance: 'a' }, t0), firing({ alertname: 'Full', severity: 'page' }, t0)]);
    const groups = notifier.groups();
    expect(groups.map((g) => [g.labels, g.receiver.name, g.alerts.map((a) => a.labels.instance ?? '')])).toEqual([
      [{ alertname: 'Down' }, 'team', ['a', 'b']],
      [{ alertname: 'Full' }, 'pager', ['']],
    ]);
    expect(groups[0].alerts[0]).toEqual({
      labels: { alertname: 'Down', instance: 'a' },
      annotations: {},
      startsAt: '2026-01-01T00:00:00.000Z',
      endsAt: '2026-01-01T00:04:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
      generatorURL: 'http://prometheus.test/graph',
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
      receivers: [{ name: 'team' }],
      status: { state: 'active', silencedBy: [], inhibitedBy: [] },
    });
    // A resolved alert waiting for its notification is not listed, nor is a group left empty.
    notifier.receive([firing({ alertname: 'Full', severity: 'page' }, t0, clock.now())]);
    expect(notifier.groups().map((g) => g.labels)).toEqual([{ alertname: 'Down' }]);
    await notifier.stop();
  });

  it('keeps alerts and the notification log across a reload, so nothing is sent twice', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down' }, t0, t0 + 24 * HOUR)]);
    await clock.advance(30_000);
    expect(rec.deliveries).toHaveLength(1);
    // Same routing with another timing: the group is rebuilt, its alert is already notified.
    notifier.reload(parseNotifierConfig(CONFIG.replace('group_by: [alertname]', 'group_by: [alertname]\n  group_interval: 1m'), 'am.yml'));
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(1);
    // A routing change makes a new group (another group key): that is a new notification.
    notifier.reload(parseNotifierConfig(CONFIG.replace('group_by: [alertname]', 'group_by: []'), 'am.yml'));
    await clock.advance(HOUR);
    expect(rec.deliveries.map((d) => d.groupKey)).toEqual(['{}:{alertname="Down"}', '{}:{}']);
    await notifier.stop();
  });

  it('shows the configuration and cluster in status', async () => {
    const { notifier } = testNotifier(CONFIG);
    // The configuration as Alertmanager shows it (printconfig.ts), not the file's text.
    expect(notifier.status()).toEqual({ config: { original: parseNotifierConfig(CONFIG, 'am.yml').original }, cluster: null, uptime: '2026-01-01T00:00:00.000Z' });
    expect(notifier.status().config.original).toContain('  - receiver: pager\n    matchers:\n    - severity="page"\n');
    await notifier.stop();
  });
});
