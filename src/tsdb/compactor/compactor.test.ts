import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { until } from '../../../test/helpers/until.ts';
import { openBlock, writeBlock } from '../block/index.ts';
import { plain, randomSeries, rng, tempDir } from '../block/testutil.ts';
import { Compactor } from './index.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const H = 3600_000;

describe('Compactor', () => {
  it('ends its thread once idle (what a job left in its isolate goes with it) and starts a new one for the next job', async () => {
    const parent = tempDir();
    dirs.push(parent);
    const a = randomSeries(rng(1), 50, 0, 2 * H, 30);
    const b = randomSeries(rng(2), 50, 2 * H, 4 * H, 30);
    const ma = (await writeBlock(parent, a, { minTime: 0, maxTime: 2 * H }))!;
    const mb = (await writeBlock(parent, b, { minTime: 2 * H, maxTime: 4 * H }))!;
    const c = new Compactor({ idleMs: 100 });
    try {
      const first = await c.compact(parent, [ma.ulid, mb.ulid].map((u) => path.join(parent, u)), {});
      expect(first!.stats.numSamples).toBe(ma.stats.numSamples + mb.stats.numSamples);
      expect(c.threadRunning).toBe(true);
      await until('the idle compactor thread to end', () => !c.threadRunning);
      // A job after that gets a fresh thread, and its end is no failure of that job.
      const second = await c.compact(parent, [first!.ulid, ma.ulid].map((u) => path.join(parent, u)), {});
      const blk = openBlock(path.join(parent, second!.ulid));
      const whole = openBlock(path.join(parent, first!.ulid));
      expect(plain(blk.select([], 0, 4 * H))).toEqual(plain(whole.select([], 0, 4 * H)));
      blk.close();
      whole.close();
      await until('the second idle thread to end', () => !c.threadRunning);
    } finally {
      await c.close();
    }
  });
});
