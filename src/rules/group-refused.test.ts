// A rule's samples the storage refuses (out of order, duplicate timestamp, older than the head
// accepts): as in Prometheus' rule group, the rule's other samples are stored, the rule is
// unhealthy with the storage's error (Prometheus' wording) until an evaluation stores everything,
// a refused series is not marked stale by it later, and a refused staleness marker leaves it
// healthy. test/rules-refused.test.ts compares with 2.42.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { labelsFromRecord, labelsToString, newMatcher, SampleBatchBuilder } from '../model/index.ts';
import { Engine } from '../promql/index.ts';
import { loadTestDB, type TestDB } from '../promql/engine/testdata.ts';
import { parseRuleFile } from './file.ts';
import { Group } from './group.ts';
import { engineQueryFunc } from './query.ts';

const MIN = 60_000;
let store: TestDB | null = null;
afterEach(async () => {
  await store?.close();
  store = null;
});

function groupOf(yaml: string, db: TestDB, logged: string[] = []): Group {
  const [def] = parseRuleFile(yaml, 'rules.yml');
  const log = pino({ level: 'warn' }, { write: (line: string) => logged.push(JSON.parse(line).msg) });
  return new Group(def, {
    appendable: db.db, querier: () => db.db.querier(), query: engineQueryFunc(new Engine(), () => db.db.querier()), expand: async (t) => t,
    notify: () => {}, logger: log, externalURL: 'http://strata:9190',
    defaultIntervalMs: MIN, defaultQueryOffsetMs: 0, resendDelayMs: MIN, outageToleranceMs: 60 * MIN, forGracePeriodMs: 10 * MIN,
    now: () => 0,
  }, false);
}

async function samples(db: TestDB, name: string): Promise<Record<string, [number, number][]>> {
  const out = await db.db.querier().select([newMatcher('=', '__name__', name)], 0, 1e13);
  return Object.fromEntries(out.map((s) => [labelsToString(s.labels), [...s.timestamps].map((t, i) => [t / MIN, s.values[i]] as [number, number])]));
}

async function push(db: TestDB, labels: Record<string, string>, minute: number, v: number): Promise<void> {
  const b = new SampleBatchBuilder();
  b.startSeries(labelsFromRecord(labels));
  b.add(minute * MIN, v);
  await db.db.append(b.build());
}

const health = (g: Group) => g.status.map((s) => [s.health, s.lastError]);

describe('rule results the storage refuses', () => {
  it('stores the others and marks the rule unhealthy with "duplicate sample for timestamp" (two rules writing one series)', async () => {
    const db = (store = await loadTestDB({}));
    const logged: string[] = [];
    const g = groupOf(`
groups:
  - name: g
    rules:
      - record: dup
        expr: vector(1)
      - record: dup
        expr: label_replace(vector(2), "x", "other", "", "") or vector(2)
`, db, logged);
    await g.evaluate(1 * MIN);
    expect(health(g)).toEqual([['ok', ''], ['err', 'duplicate sample for timestamp']]);
    // The first rule's value stays; the second rule's other series is stored.
    expect(await samples(db, 'dup')).toEqual({ 'dup': [[1, 1]], 'dup{x="other"}': [[1, 2]] });
    expect(logged).toContain('Error on ingesting results from rule evaluation with different value but same timestamp');
    // Every evaluation refuses it again: still unhealthy, the rest still stored.
    await g.evaluate(2 * MIN);
    expect(health(g)[1]).toEqual(['err', 'duplicate sample for timestamp']);
    expect((await samples(db, 'dup'))['dup{x="other"}']).toEqual([[1, 2], [2, 2]]);
  });

  it('marks an out-of-order result "out of order sample" until a later evaluation stores everything', async () => {
    const db = (store = await loadTestDB({}));
    await push(db, { __name__: 'rec', k: 'a' }, 10, 99);
    const g = groupOf(`
groups:
  - name: g
    rules:
      - record: rec
        expr: label_replace(vector(1), "k", "a", "", "") or label_replace(vector(1), "k", "b", "", "")
`, db);
    await g.evaluate(5 * MIN);
    expect(health(g)).toEqual([['err', 'out of order sample']]);
    expect(await samples(db, 'rec')).toEqual({ 'rec{k="a"}': [[10, 99]], 'rec{k="b"}': [[5, 1]] });
    await g.evaluate(11 * MIN);
    expect(health(g)).toEqual([['ok', '']]);
    expect((await samples(db, 'rec'))['rec{k="a"}']).toEqual([[10, 99], [11, 1]]);
  });

  it('drops a result older than the head accepts ("out of bounds", as 2.42 words it) instead of failing the whole rule', async () => {
    const db = (store = await loadTestDB({}));
    // A sample far ahead moves the head's oldest accepted time past the rule's timestamp.
    await push(db, { __name__: 'elsewhere' }, 10 * 24 * 60, 1);
    const g = groupOf(`
groups:
  - name: g
    rules:
      - record: old
        expr: vector(1)
`, db);
    await g.evaluate(5 * MIN);
    expect(health(g)).toEqual([['err', 'out of bounds']]);
    expect(await samples(db, 'old')).toEqual({});
  });

  it('does not mark stale a series whose sample it could not write, as Prometheus (it is another writer\'s)', async () => {
    const db = (store = await loadTestDB({}));
    await push(db, { __name__: 'w' }, 1, 5);
    const g = groupOf(`
groups:
  - name: g
    rules:
      - record: w
        expr: vector(1) and on() (absent(stop) == 1)
`, db);
    await g.evaluate(1 * MIN);
    expect(health(g)).toEqual([['err', 'duplicate sample for timestamp']]);
    // The rule's result vanishes at minute 2: no staleness marker for the other writer's w.
    await push(db, { __name__: 'stop' }, 2, 1);
    await g.evaluate(2 * MIN);
    expect(health(g)).toEqual([['ok', '']]);
    expect(await samples(db, 'w')).toEqual({ w: [[1, 5]] });
  });

  it('leaves the rule healthy when only its staleness marker is refused (the series was written since)', async () => {
    const db = (store = await loadTestDB({}));
    const g = groupOf(`
groups:
  - name: g
    rules:
      - record: gone
        expr: vector(1) and on() (absent(stop) == 1)
`, db);
    await g.evaluate(1 * MIN);
    expect(health(g)).toEqual([['ok', '']]);
    // The rule's result vanishes at minute 3, and someone else wrote the series at minute 4.
    await push(db, { __name__: 'stop' }, 2, 1);
    await push(db, { __name__: 'gone' }, 4, 7);
    await g.evaluate(3 * MIN);
    expect(health(g)).toEqual([['ok', '']]);
    expect(await samples(db, 'gone')).toEqual({ 'gone': [[1, 1], [4, 7]] });
  });
});
