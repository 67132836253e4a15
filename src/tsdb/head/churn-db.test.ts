// Series churn through the DB: pods replaced every hour while the DB persists blocks and truncates
// its head on its own (label pool compaction and column rebuilds run inside that truncation). The
// data directory copied at any moment is what a kill -9 leaves (every acknowledged append is written
// to the WAL before it returns): a DB opened on the copy must answer everything ever acknowledged.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SampleBatchBuilder, labelsFromRecord, labelsToString, newMatcher, type Labels } from '../../model/index.ts';
import { openDB, type DB } from '../index.ts';

const H = 3600_000;
const STEP = 20 * 60_000;


const pod = (hour: number, i: number): Labels =>
  labelsFromRecord({ __name__: 'container_cpu', job: 'k8s', namespace: `ns-${i % 7}`, pod: `web-${hour}-${i}`, uid: `9c1e${hour}-77ab-4c1d-${i}` });

describe('DB under series churn', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it('answers every acknowledged sample after head truncations with compaction, and after a crash copy of its directory', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-churn-db-'));
    dirs.push(dir);
    const logger = pino({ level: 'silent' });
    const db = await openDB({ dir, logger, retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    const pods = 12_000; // 5 labels, 10 pool entries a series: 120,000 removed per truncation, past the 64K threshold
    const start = Math.floor(Date.now() / (2 * H)) * 2 * H - 10 * H;
    const expected = new Map<string, [number, number][]>();
    for (let hour = 0; hour < 8; hour++) {
      for (let t = start + hour * H; t < start + (hour + 1) * H; t += STEP) {
        const b = new SampleBatchBuilder();
        for (let i = 0; i < pods; i++) {
          const ls = pod(hour, i);
          const v = hour * 1e6 + i + (t % H) / STEP / 10;
          b.startSeries(ls);
          b.add(t, v);
          const k = labelsToString(ls);
          const have = expected.get(k) ?? [];
          have.push([t, v]);
          expected.set(k, have);
        }
        await db.append(b.build());
      }
      await db.maintenanceIdle();
    }
    expect(db.stats().seriesRemoved).toBeGreaterThan(4 * pods);
    // The scenario must have run what it is here for.
    const headStats = { labelPoolCompactions: db.stats().headLabelPoolCompactions, columnRebuilds: db.stats().headColumnRebuilds };
    expect(headStats.labelPoolCompactions).toBeGreaterThan(1);
    expect(headStats.columnRebuilds).toBeGreaterThan(0);

    const check = async (d: DB) => {
      for (const hour of [0, 3, 6, 7]) {
        for (const ns of ['ns-0', 'ns-5']) {
          const got = await d.querier().select([newMatcher('=', 'pod', `web-${hour}-${ns === 'ns-0' ? 7 : 12}`)], start, start + 10 * H);
          const ls = pod(hour, ns === 'ns-0' ? 7 : 12);
          expect(got.map((s) => [s.labels, [...s.timestamps], [...s.values]]))
            .toEqual([[ls, expected.get(labelsToString(ls))?.map((x) => x[0]), expected.get(labelsToString(ls))?.map((x) => x[1])]]);
        }
      }
      const all = await d.querier().select([newMatcher('=', 'job', 'k8s')], start, start + 10 * H);
      expect(all.length).toBe(expected.size);
      let samples = 0;
      for (const s of all) {
        const want = expected.get(labelsToString(s.labels));
        expect(want?.map((x) => x[0])).toEqual([...s.timestamps]);
        expect(want?.map((x) => x[1])).toEqual([...s.values]);
        samples += s.timestamps.length;
      }
      expect(samples).toBe(8 * 3 * pods);
      expect((await d.querier().labelValues('uid', [], start, start + 10 * H)).length).toBe(expected.size);
    };
    await check(db);

    // What kill -9 leaves: the files as they are now, the lock of a live process removed.
    const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-churn-db-copy-'));
    dirs.push(copy);
    fs.cpSync(dir, copy, { recursive: true });
    fs.rmSync(path.join(copy, 'lock'), { force: true });
    const again = await openDB({ dir: copy, logger, retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    await check(again);
    await again.close();
    await db.close();
  }, 120_000);
});
