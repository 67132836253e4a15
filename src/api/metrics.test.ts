// The storage figures in /metrics are read from db.stats() at collection: here, the memory the
// open blocks hold, per tier.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SampleBatchBuilder, labelsFromRecord } from '../model/index.ts';
import { openDB } from '../tsdb/index.ts';
import { createServerMetrics } from './metrics.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

function sampleOf(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('server metrics', () => {
  it('exposes what the open blocks hold in memory, per tier, once there are blocks', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-metrics-'));
    dirs.push(dir);
    const db = await openDB({ dir, logger: pino({ level: 'silent' }), retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    try {
      // No blocks yet: no series of the gauge (not a zero that looks like a measurement).
      expect(sampleOf(await createServerMetrics(() => db.stats(), 'test').registry.metrics(), 'strata_tsdb_block_memory_bytes{tier="raw"}')).toBeUndefined();

      const t = Date.now();
      const b = new SampleBatchBuilder();
      for (let i = 0; i < 100; i++) {
        b.startSeries(labelsFromRecord({ __name__: 'm', i: String(i) }));
        b.add(t, i);
      }
      await db.append(b.build());
      expect((await db.flush()).blocks).toBeGreaterThan(0);

      // A registry of its own: one keeps its stats snapshot for 50 ms.
      const text = await createServerMetrics(() => db.stats(), 'test').registry.metrics();
      const want = db.stats().blocks.find((x) => x.tier === 'raw')!.memoryBytes;
      expect(want).toBeGreaterThan(0);
      expect(text).toMatch(/^# TYPE strata_tsdb_block_memory_bytes gauge$/m);
      expect(sampleOf(text, 'strata_tsdb_block_memory_bytes{tier="raw"}')).toBe(want);
    } finally {
      await db.close();
    }
  });
});
