// Replay progress as /api/v1/status/walreplay shows it (Prometheus: min and max segment, current).
import * as fs from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { openWal, type WalReplayStatus } from './index.ts';
import { captureLogger, collector, logBatch, randomBatch, tempDir } from './testutil.ts';
import { mulberry32 } from '../../../test/helpers/random.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

async function open(dir: string, segmentSize = 64 * 1024) {
  const seen: WalReplayStatus[] = [];
  const { wal } = await openWal({ dir, fsync: 'never', segmentSize, logger: captureLogger(), onReplayProgress: (s) => seen.push(s) }, collector().handlers);
  return { wal, seen };
}

it('reports the segments it replays, one by one, and ends at the segment it writes next', async () => {
  const dir = tempDir();
  dirs.push(dir);
  // A fresh WAL: nothing to replay, writing into segment 0 (Prometheus: {min 0, max 0, current 0}).
  const first = await open(dir);
  expect(first.seen.at(-1)).toEqual({ min: 0, max: 0, current: 0 });
  const r = mulberry32(7);
  const nextRef = { v: 1 };
  while (fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).length < 3) logBatch(first.wal, randomBatch(r, nextRef, 2000));
  first.wal.close();

  // Segments 0..2 replayed in order; the new writes go to segment 3.
  const again = await open(dir);
  expect(again.seen).toEqual([
    { min: 0, max: 2, current: 0 },
    { min: 0, max: 2, current: 0 },
    { min: 0, max: 2, current: 1 },
    { min: 0, max: 2, current: 2 },
    { min: 0, max: 3, current: 3 },
  ]);
  again.wal.close();

  // Nothing written since: the empty segment 3 is replayed and written on (Prometheus would cut 4).
  const idle = await open(dir);
  expect(idle.seen.at(-1)).toEqual({ min: 0, max: 3, current: 3 });
  idle.wal.close();
});
