import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampleBatchBuilder, labelsFromRecord, newMatcher } from '../model/index.ts';
import { useTestDBs } from './testing.ts';
import type { DB } from './db.ts';
import { offlineImportWindows, prepareImport, writeImportBlocks, writePreparedBlocks } from './import.ts';
import { compactBlocks, openBlock, readMeta, writeBlock } from './block/index.ts';
import type { SeriesData } from './types.ts';

const H = 3600_000;
const { tmpdir, openTestDB, closeDB } = useTestDBs('strata-import-');

const all = [newMatcher('=~', '__name__', '.+')];
const plain = (ss: SeriesData[]) => ss.map((s) => ({ labels: [...s.labels], t: Array.from(s.timestamps), v: Array.from(s.values) }));

describe('writeImportBlocks', () => {
  it('writes last year\'s unordered samples with duplicates into aligned imported blocks that the DB serves exactly', async () => {
    const dir = tmpdir();
    const start = Date.UTC(new Date().getUTCFullYear() - 1, 5, 1);
    const expected = new Map<string, Map<number, number>>();
    const input = [];
    for (let h = 0; h < 3; h++) {
      const labels = labelsFromRecord({ __name__: 'old_metric', host: `h${h}` });
      const ts: number[] = [];
      const vs: number[] = [];
      const exp = new Map<number, number>();
      // 10 hours at 1 min, given backwards, every tenth sample repeated with a newer value.
      for (let i = 600 - 1; i >= 0; i--) {
        const t = start + i * 60_000;
        ts.push(t);
        vs.push(i * (h + 1));
        exp.set(t, i * (h + 1));
        if (i % 10 === 0) {
          ts.push(t);
          vs.push(-i);
          exp.set(t, -i);
        }
      }
      expected.set(`h${h}`, exp);
      input.push({ labels, timestamps: Float64Array.from(ts), values: Float64Array.from(vs) });
    }
    const res = await writeImportBlocks(dir, input);
    expect(res.series).toBe(3);
    expect(res.samples).toBe(3 * 600);
    expect(res.duplicates).toBe(3 * 60);
    expect(res.minTime).toBe(start);
    expect(res.maxTime).toBe(start + 599 * 60_000);
    // 10 hours starting at midnight: 5 aligned 2h blocks.
    expect(res.blocks.map((b) => [b.minTime % (2 * H), b.maxTime - b.minTime])).toEqual(Array(5).fill([0, 2 * H]));
    for (const b of res.blocks) expect(readMeta(path.join(dir, b.ulid)).source).toBe('import');

    const db = await openTestDB(dir);
    const got = plain(await db.querier().select(all, start - H, start + 11 * H));
    expect(got.map((s) => s.labels)).toEqual([0, 1, 2].map((h) => [...labelsFromRecord({ __name__: 'old_metric', host: `h${h}` })]));
    for (const s of got) {
      const exp = expected.get(s.labels[3])!;
      const times = [...exp.keys()].sort((a, b) => a - b);
      expect(s.t).toEqual(times);
      expect(s.v).toEqual(times.map((t) => exp.get(t)));
    }
  });

  it('merges with data already in blocks, and imported recent data never makes the head refuse live writes or drop WAL samples', async () => {
    const dir = tmpdir();
    const now = Date.now();
    const base = Math.floor(now / (2 * H)) * 2 * H - 4 * H;
    let db = await openTestDB(dir);
    const b = new SampleBatchBuilder();
    b.startSeries(labelsFromRecord({ __name__: 'm', src: 'live' }));
    for (let t = base; t < base + 3 * H; t += 15 * 60_000) b.add(t, t / 1000);
    await db.append(b.build());
    await db.flush(); // blocks up to base+3h, persisted from the head
    const wal = new SampleBatchBuilder();
    wal.startSeries(labelsFromRecord({ __name__: 'm', src: 'live' }));
    wal.add(now - 60_000, 1);
    await db.append(wal.build()); // only in the WAL
    await closeDB(db);

    // Imported: the same series over the flushed range (overlapping, other timestamps), plus a
    // second series up to the present, whose block ends after the WAL sample.
    // base itself is in the flushed block too, with another value: the value stored first is kept.
    const ts: number[] = [base];
    for (let t = base + 7.5 * 60_000; t < base + 3 * H; t += 15 * 60_000) ts.push(t);
    const rec: number[] = [];
    for (let t = base; t <= now; t += 10 * 60_000) rec.push(t);
    const res = await writeImportBlocks(dir, [
      { labels: labelsFromRecord({ __name__: 'm', src: 'live' }), timestamps: Float64Array.from(ts), values: Float64Array.from(ts, (t) => -t) },
      { labels: labelsFromRecord({ __name__: 'm', src: 'imported' }), timestamps: Float64Array.from(rec), values: Float64Array.from(rec, () => 7) },
    ]);
    expect(Math.max(...res.blocks.map((m) => m.maxTime))).toBeGreaterThan(now);

    db = await openTestDB(dir);
    const live = new SampleBatchBuilder();
    live.startSeries(labelsFromRecord({ __name__: 'm', src: 'other' }));
    live.add(now, 3);
    const r = await db.append(live.build());
    expect(r.rejected).toEqual({});
    const got = plain(await db.querier().select([newMatcher('=', '__name__', 'm')], base - H, now + H));
    expect(got.map((s) => s.labels[3])).toEqual(['imported', 'live', 'other']);
    expect(got[0].t).toEqual(rec);
    const liveTimes = [];
    for (let t = base; t < base + 3 * H; t += 7.5 * 60_000) liveTimes.push(t);
    liveTimes.push(now - 60_000);
    expect(got[1].t).toEqual(liveTimes);
    expect(got[1].v.slice(0, 2)).toEqual([base / 1000, -(base + 7.5 * 60_000)]);
    expect(got[2].t).toEqual([now]);
  });
});

describe('writePreparedBlocks with import windows', () => {
  it('uses the largest range whose aligned window ends by the boundary, the smallest after it', async () => {
    const dir = tmpdir();
    // Windows align to multiples of their range since the epoch.
    const origin = Math.floor(Date.UTC(2024, 0, 1) / (18 * H)) * 18 * H;
    const ts = [1, 20, 31, 37, 41].map((h) => origin + h * H);
    const { series } = prepareImport([{ labels: labelsFromRecord({ __name__: 'w' }), timestamps: Float64Array.from(ts), values: Float64Array.from(ts, () => 1) }]);
    const metas = await writePreparedBlocks(dir, series, { ranges: [2 * H, 6 * H, 18 * H], boundary: origin + 36 * H });
    expect(metas.map((m) => [(m.minTime - origin) / H, (m.maxTime - origin) / H, m.stats.numSamples])).toEqual([
      [0, 18, 1], [18, 36, 2], [36, 38, 1], [40, 42, 1],
    ]);
  });
});

describe('offlineImportWindows (strata import into a directory no DB holds)', () => {
  it('ends large windows half a block range before now, or where a WAL\'s head data can begin: after the newest head-persisted block', async () => {
    const now = Date.now();
    const ranges = [2 * H, 6 * H, 18 * H];
    const dir = tmpdir();
    expect(offlineImportWindows(dir, ranges, now)).toEqual({ ranges, boundary: now - H });

    // A head persisted into a block a day ago, and newer data in the WAL.
    const db = await openTestDB(dir);
    const add = async (t: number) => {
      const b = new SampleBatchBuilder();
      b.startSeries(labelsFromRecord({ __name__: 'm' }));
      b.add(t, 1);
      await db.append(b.build());
    };
    const dayAgo = Math.floor((now - 24 * H) / (2 * H)) * 2 * H;
    await add(dayAgo + 60_000);
    await db.flush();
    await add(dayAgo + 3 * H);
    await closeDB(db);
    const persisted = fs.readdirSync(dir).filter((n) => /^[0-9A-Z]{26}$/.test(n)).map((n) => readMeta(path.join(dir, n)));
    expect(persisted).toHaveLength(1);
    const end = persisted[0].headMaxTime ?? persisted[0].maxTime;
    expect(end).toBeLessThan(now - H);
    expect(offlineImportWindows(dir, ranges, now).boundary).toBe(end);

    // Imported blocks do not say where the head begins.
    await writeImportBlocks(dir, [{ labels: labelsFromRecord({ __name__: 'imp' }), timestamps: Float64Array.of(now - 2 * H), values: Float64Array.of(1) }]);
    expect(offlineImportWindows(dir, ranges, now).boundary).toBe(end);
  });
});

describe('compaction of imported with head-persisted blocks', () => {
  it('keeps the end of the head part, so the imported part reaching further never makes the head refuse writes', async () => {
    const dir = tmpdir();
    const base = Date.UTC(2024, 0, 1);
    const labels = labelsFromRecord({ __name__: 'm' });
    const head = await writeBlock(dir, [{ labels, timestamps: Float64Array.of(base, base + H), values: Float64Array.of(1, 2) }],
      { minTime: base, maxTime: base + 2 * H });
    const imp = await writeImportBlocks(dir, [{ labels, timestamps: Float64Array.of(base + 2 * H, base + 5 * H), values: Float64Array.of(3, 4) }]);
    const blocks = [head!, ...imp.blocks].map((m) => openBlock(path.join(dir, m.ulid)));
    const merged = await compactBlocks(dir, blocks);
    for (const b of blocks) b.close();
    expect(merged!.source).toBeUndefined();
    expect(merged!.headMaxTime).toBe(base + 2 * H);
    expect(merged!.maxTime).toBe(base + 6 * H);
    // Compacting that with more imported data keeps the head end; with head data only, it moves on.
    const more = await writeImportBlocks(dir, [{ labels, timestamps: Float64Array.of(base + 7 * H), values: Float64Array.of(5) }]);
    const again = [merged!, ...more.blocks].map((m) => openBlock(path.join(dir, m.ulid)));
    const merged2 = await compactBlocks(dir, again);
    for (const b of again) b.close();
    expect(merged2!.headMaxTime).toBe(base + 2 * H);
    for (const m of [head!, ...imp.blocks, merged!, ...more.blocks]) fs.rmSync(path.join(dir, m.ulid), { recursive: true });

    const db = await openTestDB(dir);
    const live = new SampleBatchBuilder();
    live.startSeries(labelsFromRecord({ __name__: 'm', src: 'live' }));
    live.add(base + 3 * H, 9);
    expect((await db.append(live.build())).rejected).toEqual({});
    const got = plain(await db.querier().select([newMatcher('=', '__name__', 'm')], base, base + 8 * H));
    expect(got.map((s) => s.t.map((t) => (t - base) / H))).toEqual([[0, 1, 2, 5, 7], [3]]);
  });
});

describe('meta.json source field', () => {
  it('refuses an unknown source, so a typo cannot silently turn an imported block into head data', async () => {
    const { metaProblem } = await import('./block/meta.ts');
    const meta = {
      version: 1, ulid: '01HZZZZZZZZZZZZZZZZZZZZZZZ', minTime: 0, maxTime: 10,
      stats: { numSeries: 1, numSamples: 1, numChunks: 1, numBytes: 1 },
      compaction: { level: 1, sources: [] }, tier: 'raw', resolutionMs: 0,
    };
    expect(metaProblem(meta)).toBeNull();
    expect(metaProblem({ ...meta, source: 'import' })).toBeNull();
    expect(metaProblem({ ...meta, source: 'imported' })).toMatch(/unknown source/);
    expect(metaProblem({ ...meta, headMaxTime: 5 })).toBeNull();
    expect(metaProblem({ ...meta, headMaxTime: 11 })).toMatch(/headMaxTime/);
  });
});

describe('DB.import (backfill into a running DB)', () => {
  it('puts what the head\'s window takes into the head and older samples into import blocks, served at once and after a restart', async () => {
    const dir = tmpdir();
    const now = Date.now();
    const yearAgo = now - 365 * 24 * H;
    let db = await openTestDB(dir);
    const live = new SampleBatchBuilder();
    live.startSeries(labelsFromRecord({ __name__: 'live' }));
    live.add(now - 60_000, 1);
    await db.append(live.build());

    const labels = labelsFromRecord({ __name__: 'mixed' });
    // Given out of order: a year-old day at 1 h steps, and the last 10 minutes, newest first.
    const ts: number[] = [];
    for (let t = now - 9 * 60_000; t >= now - 18 * 60_000; t -= 60_000) ts.push(t);
    for (let t = yearAgo; t < yearAgo + 24 * H; t += H) ts.push(t);
    const r = await db.import([{ labels, timestamps: Float64Array.from(ts), values: Float64Array.from(ts, (t) => t / 1000) }]);
    expect(r.samples).toBe(34);
    expect(r.headSamples).toBe(10);
    expect(r.head?.rejected).toEqual({});
    expect(r.blockSamples).toBe(24);
    // A day of last year lands in one or two blocks of compaction's largest range (20.25 days
    // without retention), not in twelve 2h blocks.
    expect(r.blocks.length).toBeLessThanOrEqual(2);
    for (const m of r.blocks) expect(m.maxTime - m.minTime).toBe(486 * H);
    expect(r.pastRetention).toBe(0); // retention 0 in this test
    for (const m of r.blocks) expect(readMeta(path.join(dir, m.ulid)).source).toBe('import');

    const sorted = [...ts].sort((a, b) => a - b);
    const read = async (d: DB) => plain(await d.querier().select([newMatcher('=', '__name__', 'mixed')], yearAgo - H, now + H));
    expect(await read(db)).toEqual([{ labels: [...labels], t: sorted, v: sorted.map((t) => t / 1000) }]);
    // The head still takes live writes right after its newest sample.
    const more = new SampleBatchBuilder();
    more.startSeries(labelsFromRecord({ __name__: 'live' }));
    more.add(now, 2);
    expect((await db.append(more.build())).rejected).toEqual({});

    await closeDB(db);
    db = await openTestDB(dir);
    expect(await read(db)).toEqual([{ labels: [...labels], t: sorted, v: sorted.map((t) => t / 1000) }]);
  });

  it('reports imported samples that retention deletes at the next maintenance', async () => {
    const dir = tmpdir();
    const now = Date.now();
    const db = await openTestDB(dir, { retentionMs: 7 * 24 * H });
    const ts = Float64Array.of(now - 30 * 24 * H, now - 24 * H, now - 60_000);
    const r = await db.import([{ labels: labelsFromRecord({ __name__: 'ret' }), timestamps: ts, values: Float64Array.of(1, 2, 3) }]);
    expect(r.retentionMs).toBe(7 * 24 * H);
    expect(r.headSamples).toBe(1);
    expect(r.blockSamples).toBe(2);
    expect(r.pastRetention).toBe(1);
  });

  it('refuses nothing of a series whose samples straddle the split, even when the head is empty', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir);
    const now = Date.now();
    // An empty head would take anything; the import still keeps old data out of it.
    const r = await db.import([{ labels: labelsFromRecord({ __name__: 'x' }), timestamps: Float64Array.of(now - 48 * H, now - 1000), values: Float64Array.of(1, 2) }]);
    expect([r.headSamples, r.blockSamples]).toEqual([1, 1]);
    expect(db.stats().headMinTime).toBe(now - 1000);
  });
});
