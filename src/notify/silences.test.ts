import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeClock } from './clock.ts';
import { createSilences, SilenceError, silenceState } from './silences.ts';
import { firing, testNotifier } from './testing.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const eq = (name: string, value: string) => ({ name, value, isRegex: false, isEqual: true });

function setup(dir?: string) {
  const clock = fakeClock();
  return { clock, silences: createSilences({ dir, now: () => clock.now() }) };
}

describe('silences', () => {
  it('are pending, active, then expired, and mute matching labels only while active', async () => {
    const { clock, silences } = setup();
    const t0 = clock.now();
    const id = silences.set({ matchers: [eq('alertname', 'Down'), { name: 'instance', value: 'web-.*', isRegex: true, isEqual: true }], startsAt: t0 + MIN, endsAt: t0 + HOUR, createdBy: 'me', comment: 'maintenance' });
    expect(silenceState(silences.get(id)!, clock.now())).toBe('pending');
    expect(silences.mutedBy({ alertname: 'Down', instance: 'web-1' })).toEqual([]);
    await clock.advance(MIN);
    expect(silences.mutedBy({ alertname: 'Down', instance: 'web-1' })).toEqual([id]);
    expect(silences.mutedBy({ alertname: 'Down', instance: 'db-1' })).toEqual([]);
    expect(silences.mutedBy({ alertname: 'Up', instance: 'web-1' })).toEqual([]);
    await clock.advance(HOUR);
    expect(silenceState(silences.get(id)!, clock.now())).toBe('expired');
    expect(silences.mutedBy({ alertname: 'Down', instance: 'web-1' })).toEqual([]);
  });

  it('match with != and !~ too', () => {
    const { clock, silences } = setup();
    const id = silences.set({ matchers: [eq('alertname', 'Down'), { name: 'env', value: 'prod|stage', isRegex: true, isEqual: false }], startsAt: clock.now(), endsAt: clock.now() + HOUR, createdBy: '', comment: '' });
    expect(silences.mutedBy({ alertname: 'Down', env: 'dev' })).toEqual([id]);
    expect(silences.mutedBy({ alertname: 'Down' })).toEqual([id]);
    expect(silences.mutedBy({ alertname: 'Down', env: 'prod' })).toEqual([]);
  });

  it('update in place when only the end moves, and replace (expiring the old) when matchers change', async () => {
    const { clock, silences } = setup();
    const t0 = clock.now();
    const base = { matchers: [eq('alertname', 'Down')], startsAt: t0, endsAt: t0 + HOUR, createdBy: 'me', comment: '' };
    const id = silences.set(base);
    await clock.advance(MIN);
    expect(silences.set({ ...base, id, endsAt: t0 + 2 * HOUR, comment: 'longer' })).toBe(id);
    expect(silences.get(id)).toMatchObject({ endsAt: t0 + 2 * HOUR, comment: 'longer', updatedAt: t0 + MIN });
    await clock.advance(MIN);
    const id2 = silences.set({ ...base, id, matchers: [eq('alertname', 'Up')] });
    expect(id2).not.toBe(id);
    expect(silenceState(silences.get(id)!, clock.now() + 1)).toBe('expired');
    expect(silences.get(id2)).toMatchObject({ startsAt: t0 + 2 * MIN, matchers: [eq('alertname', 'Up')] });
  });

  it('expire: a pending silence gets start = end = now; an expired one cannot be expired again', async () => {
    const { clock, silences } = setup();
    const t0 = clock.now();
    const id = silences.set({ matchers: [eq('a', 'b')], startsAt: t0 + HOUR, endsAt: t0 + 2 * HOUR, createdBy: '', comment: '' });
    silences.expire(id);
    expect(silences.get(id)).toMatchObject({ startsAt: t0, endsAt: t0 });
    await clock.advance(1);
    expect(() => silences.expire(id)).toThrow(/already expired/);
    expect(() => silences.expire('nope')).toThrow(SilenceError);
  });

  it('refuse what Alertmanager refuses, with its messages, times first and the id before validation', () => {
    const { clock, silences } = setup();
    const t = clock.now();
    const bad = (s: Partial<Parameters<typeof silences.set>[0]>) => () => silences.set({ matchers: [eq('a', 'b')], startsAt: t, endsAt: t + HOUR, createdBy: '', comment: '', ...s });
    expect(bad({ matchers: [] })).toThrow('silence invalid: at least one matcher required');
    expect(bad({ matchers: [{ name: 'a', value: '.*', isRegex: true, isEqual: true }] })).toThrow('silence invalid: at least one matcher must not match the empty string');
    expect(bad({ matchers: [eq('a', 'b'), { name: 'b', value: '(', isRegex: true, isEqual: true }] })).toThrow('silence invalid: invalid label matcher 1: invalid regular expression "(": error parsing regexp: missing closing ): `(`');
    // Valid anchored, as the matcher is compiled, but Alertmanager checks the bare pattern first.
    expect(bad({ matchers: [{ name: 'b', value: 'a)|(b', isRegex: true, isEqual: true }] })).toThrow('silence invalid: invalid label matcher 0: invalid regular expression "a)|(b": error parsing regexp: unexpected ): `a)|(b`');
    expect(bad({ matchers: [eq('', 'b')] })).toThrow('silence invalid: invalid label matcher 0: invalid label name ""');
    expect(bad({ endsAt: t - 1, startsAt: t - 2 })).toThrow("Failed to create silence: end time can't be in the past");
    expect(bad({ endsAt: t + 1, startsAt: t + 1 })).toThrow('Failed to create silence: start time must be before end time');
    expect(bad({ endsAt: t + 1, startsAt: t + 2, matchers: [] })).toThrow('Failed to create silence: start time must be before end time');
    expect(bad({ id: 'unknown', matchers: [] })).toThrow(expect.objectContaining({ notFound: true, message: 'silence not found' }));
    expect(silences.list()).toEqual([]);
  });

  it('take matchers that are all negative, as Alertmanager 0.25: != and !~ never count as matching ""', () => {
    const { clock, silences } = setup();
    const t = clock.now();
    const set = (...matchers: { name: string; value: string; isRegex: boolean; isEqual: boolean }[]) => silences.set({ matchers, startsAt: t, endsAt: t + HOUR, createdBy: '', comment: '' });
    const ne = set({ name: 'env', value: 'prod', isRegex: false, isEqual: false });
    // It mutes every alert not labelled env="prod", those without env among them.
    expect(silences.mutedBy({ alertname: 'Down' })).toEqual([ne]);
    expect(silences.mutedBy({ alertname: 'Down', env: 'prod' })).toEqual([]);
    const nre = set({ name: 'env', value: 'p.*', isRegex: true, isEqual: false });
    expect(silences.mutedBy({ env: 'dev' }).sort()).toEqual([ne, nre].sort());
    // With an = or =~ matcher that matches "" beside it, still valid.
    set({ name: 'a', value: 'x*', isRegex: true, isEqual: true }, { name: 'b', value: '', isRegex: false, isEqual: false });
    // Only = and =~ matchers that all match "" are refused.
    expect(() => set(eq('a', ''), { name: 'b', value: '|x', isRegex: true, isEqual: true })).toThrow('silence invalid: at least one matcher must not match the empty string');
  });

  it('keep the silence a refused replacement was meant to change', () => {
    const { clock, silences } = setup();
    const t = clock.now();
    const id = silences.set({ matchers: [eq('a', 'b')], startsAt: t, endsAt: t + HOUR, createdBy: '', comment: '' });
    expect(() => silences.set({ id, matchers: [eq('a', '')], startsAt: t, endsAt: t + HOUR, createdBy: '', comment: '' })).toThrow(/must not match the empty string/);
    expect(silenceState(silences.get(id)!, clock.now())).toBe('active');
    expect(silences.list()).toHaveLength(1);
  });

  it('survive a restart (atomic snapshot) and are garbage-collected after the retention', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-silences-'));
    const { clock, silences } = setup(dir);
    const t0 = clock.now();
    const id = silences.set({ matchers: [eq('alertname', 'Down')], startsAt: t0, endsAt: t0 + HOUR, createdBy: 'me', comment: 'c' });
    expect(JSON.parse(readFileSync(join(dir, 'silences.json'), 'utf8')).silences).toHaveLength(1);
    const again = createSilences({ dir, now: () => clock.now() });
    expect(again.get(id)).toEqual(silences.get(id));
    expect(again.mutedBy({ alertname: 'Down' })).toEqual([id]);
    await clock.advance(HOUR + 120 * HOUR);
    expect(again.gc()).toBe(0);
    await clock.advance(1);
    expect(again.gc()).toBe(1);
    expect(createSilences({ dir, now: () => clock.now() }).list()).toEqual([]);
  });

  it('keep silenced alerts out of notifications', async () => {
    const { notifier, clock, rec } = testNotifier(`
route: {receiver: r, group_by: [alertname], group_wait: 0s}
receivers: [{name: r, webhook_configs: [{url: "http://127.0.0.1:9/"}]}]
`);
    const now = clock.now();
    const id = notifier.silences.set({ matchers: [eq('instance', 'a')], startsAt: now, endsAt: now + HOUR, createdBy: '', comment: '' });
    notifier.receive([firing({ alertname: 'Down', instance: 'a' }, now, now + 3 * HOUR), firing({ alertname: 'Down', instance: 'b' }, now, now + 3 * HOUR)]);
    await clock.advance(1000);
    expect(rec.deliveries).toHaveLength(1);
    expect(notifier.alerts().find((a) => a.labels.instance === 'a')!.status).toEqual({ state: 'suppressed', silencedBy: [id], inhibitedBy: [] });
    // Once the silence has ended (it is active up to and including endsAt), the alert is new to the
    // log and goes out at the next tick.
    await clock.advance(HOUR - 1000);
    expect(rec.deliveries).toHaveLength(1);
    await clock.advance(5 * MIN);
    expect(rec.deliveries).toHaveLength(2);
    expect(rec.deliveries[1].firing).toEqual(['Down', 'Down']);
    await notifier.stop();
  });
});
