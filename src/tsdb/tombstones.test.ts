import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SampleBatchBuilder, labelsFromRecord, newMatcher, type SampleBatch } from '../model/index.ts';
import { useTestDBs } from './testing.ts';
import type { DB } from './db.ts';
import type { SeriesData } from './types.ts';
import { CorruptBlockError, listBlockDirs, openBlock, readMeta, TOMBSTONES_FILE } from './block/index.ts';
import { addInterval, decodeTombstones, encodeTombstones, withoutDeleted } from './block/tombstones.ts';
import { HEAD_TOMBSTONES_FILE } from './headtombstones.ts';
import { SNAPSHOTS_DIR } from './snapshot.ts';

const H = 3600_000;
const M = 60_000;
const { tmpdir, openTestDB, closeDB } = useTestDBs('strata-tomb-');

/** `hosts` series `up{instance}`, value = the minute, one sample per minute in [from, to). */
function minutes(hosts: number, from: number, to: number): SampleBatch[] {
  const out: SampleBatch[] = [];
  for (let t = from; t < to; t += M) {
    const b = new SampleBatchBuilder();
    for (let h = 0; h < hosts; h++) {
      b.startSeries(labelsFromRecord({ __name__: 'up', instance: `h${h}` }));
      b.add(t, t / M);
    }
    out.push(b.build());
  }
  return out;
}

const all = [newMatcher('=~', '__name__', '.+')];
const host = (h: string) => [newMatcher('=', 'instance', h)];
const plain = (ss: SeriesData[]) => ss.map((s) => ({ labels: [...s.labels], t: Array.from(s.timestamps) }));
const times = (from: number, to: number) => Array.from({ length: (to - from) / M }, (_, i) => from + i * M);

async function read(db: DB) {
  const q = db.querier();
  return { select: plain(await q.select(all, -Infinity, Infinity)), series: (await q.series(all, -Infinity, Infinity)).map((l) => [...l]) };
}

describe('tombstone intervals and file', () => {
  it('merges overlapping and adjacent ranges, filters samples, and round-trips through the file format', () => {
    let ivs = addInterval([], 10, 20);
    ivs = addInterval(ivs, 30, 40);
    ivs = addInterval(ivs, 21, 25); // adjacent to [10, 20]
    expect(ivs).toEqual([[10, 25], [30, 40]]);
    expect(addInterval(ivs, 0, 100)).toEqual([[0, 100]]);
    const s = { timestamps: Float64Array.of(5, 10, 26, 30, 41), values: Float64Array.of(1, 2, 3, 4, 5) };
    expect(Array.from(withoutDeleted(s, ivs)!.timestamps)).toEqual([5, 26, 41]);
    expect(withoutDeleted(s, [[0, 50]])).toBeNull();
    expect(withoutDeleted(s, [[42, 50]])).toBe(s);

    const t = new Map([[3, [[-5, 7], [1e12, 1.7e12]] as [number, number][]], [0, [[0, 0]] as [number, number][]]]);
    const bytes = encodeTombstones(t);
    expect(decodeTombstones(bytes, 'x')).toEqual(new Map([[0, [[0, 0]]], [3, [[-5, 7], [1e12, 1.7e12]]]]));
    bytes[7] ^= 1;
    expect(() => decodeTombstones(bytes, 'x')).toThrow(CorruptBlockError);
  });
});

describe('DB deleteSeries', () => {
  it('hides deleted samples in blocks and the head, across flush, restart, compaction and clean_tombstones', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir);
    for (const b of minutes(3, 0, 4 * H)) await db.append(b);
    await db.flush(); // blocks [0,2h), [2h,4h)
    for (const b of minutes(3, 4 * H, 5 * H)) await db.append(b); // head [4h, 5h)

    // h0: [1h, 4h30m] deleted across both blocks and the head; h1: everything; h2 untouched.
    await db.deleteSeries(host('h0'), 1 * H, 4.5 * H);
    await db.deleteSeries(host('h1'), -Infinity, Infinity);
    const want = {
      select: [
        { labels: ['__name__', 'up', 'instance', 'h0'], t: [...times(0, 1 * H), ...times(4.5 * H + M, 5 * H)] },
        { labels: ['__name__', 'up', 'instance', 'h2'], t: times(0, 5 * H) },
      ],
      series: [['__name__', 'up', 'instance', 'h0'], ['__name__', 'up', 'instance', 'h2']],
    };
    expect(await read(db)).toEqual(want);
    // Instant reads of the head's newest sample must not return a deleted one.
    const last = await db.querier().select(host('h1'), 5 * H - 10 * M, 5 * H, { lastOnly: true });
    expect(last).toEqual([]);
    // A series whose samples in the queried range were all deleted is not listed for that range.
    expect((await db.querier().series(host('h0'), 2 * H, 4 * H)).length).toBe(0);
    expect(fs.existsSync(path.join(dir, HEAD_TOMBSTONES_FILE))).toBe(true);
    expect(listBlockDirs(dir).filter((d) => fs.existsSync(path.join(d, TOMBSTONES_FILE)))).toHaveLength(2);

    // A restart replays the WAL (deleted samples included) and the head's tombstones with it.
    await closeDB(db);
    db = await openTestDB(dir);
    expect(await read(db)).toEqual(want);

    // New samples after the delete are kept, even for an "all time" delete.
    for (const b of minutes(3, 5 * H, 5 * H + 2 * M)) await db.append(b);
    const h1 = plain(await db.querier().select(host('h1'), -Infinity, Infinity));
    expect(h1).toEqual([{ labels: ['__name__', 'up', 'instance', 'h1'], t: [5 * H, 5 * H + M] }]);

    // Flushing persists the head with its deletions as the new block's tombstones; the head's go.
    await db.flush();
    expect(fs.existsSync(path.join(dir, HEAD_TOMBSTONES_FILE))).toBe(false);
    const wantAfter = {
      select: [
        want.select[0] && { ...want.select[0], t: [...want.select[0].t, 5 * H, 5 * H + M] },
        { labels: ['__name__', 'up', 'instance', 'h1'], t: [5 * H, 5 * H + M] },
        { ...want.select[1], t: [...want.select[1].t, 5 * H, 5 * H + M] },
      ],
      series: [['__name__', 'up', 'instance', 'h0'], ['__name__', 'up', 'instance', 'h1'], ['__name__', 'up', 'instance', 'h2']],
    };
    expect(await read(db)).toEqual(wantAfter);

    // clean_tombstones rewrites exactly the blocks that have tombstones, leaving none.
    await db.cleanTombstones();
    const blocks = listBlockDirs(dir);
    expect(blocks.filter((d) => fs.existsSync(path.join(d, TOMBSTONES_FILE)))).toEqual([]);
    const samples = blocks.reduce((n, d) => n + readMeta(d).stats.numSamples, 0);
    expect(samples).toBe(wantAfter.select.reduce((n, s) => n + s.t.length, 0));
    expect(await read(db)).toEqual(wantAfter);
    await closeDB(db);
    db = await openTestDB(dir);
    expect(await read(db)).toEqual(wantAfter);
  });

  it('answers a read of the newest samples with the newest one not deleted, one series or many', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir);
    for (const b of minutes(100, 0, 30 * M)) await db.append(b);
    // The newest two minutes of h0 (read again by its labels), then of every series (read again
    // with the read's own matchers: more than a few series).
    await db.deleteSeries(host('h0'), 28 * M, 30 * M);
    const newest = async (ms = all) => (await db.querier().select(ms, 20 * M, 30 * M, { lastOnly: true }))
      .map((s) => [s.labels[3], s.timestamps[s.timestamps.length - 1]] as const);
    const first = await newest();
    expect(first).toHaveLength(100);
    expect(first.find(([h]) => h === 'h0')?.[1]).toBe(27 * M);
    expect(first.filter(([, t]) => t === 29 * M)).toHaveLength(99);
    expect(first.map(([h]) => h)).toEqual([...first.map(([h]) => h)].sort());
    await db.deleteSeries(all, 28 * M, 30 * M);
    const second = await newest();
    expect(second.map(([, t]) => t)).toEqual(new Array(100).fill(27 * M));
    expect(second.map(([h]) => h)).toEqual(first.map(([h]) => h));
    // Series with no sample left in a range are not listed for it, one or many.
    await db.deleteSeries(all, 25 * M, 27 * M);
    expect(await db.querier().series(all, 25 * M, 30 * M)).toEqual([]);
    expect(await db.querier().series(host('h5'), 25 * M, 30 * M)).toEqual([]);
    expect((await db.querier().series(all, 24 * M, 30 * M)).length).toBe(100);
  });

  it('compaction writes blocks without the deleted samples', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir, { retentionMs: 30 * 24 * H });
    for (const b of minutes(2, 0, 6 * H)) await db.append(b);
    await db.flush(); // three 2h blocks: one 6h window, compacted by the next maintenance
    await db.deleteSeries(host('h0'), 0, 5 * H);
    const before = await read(db);
    // Run maintenance (persist, compact) through another append that makes the head wide.
    for (const b of minutes(2, 6 * H, 9 * H + 2 * M)) await db.append(b); // the head spans over 1.5 block ranges
    await db.maintenanceIdle();
    const compacted = listBlockDirs(dir).map(readMeta).find((m) => m.minTime === 0);
    expect(compacted?.compaction.level).toBe(2);
    expect(compacted?.stats.numSamples).toBe(6 * 60 + 59); // h1 whole, h0 after 5h (5h itself deleted)
    expect(fs.existsSync(path.join(dir, compacted!.ulid, TOMBSTONES_FILE))).toBe(false);
    const q = db.querier();
    expect(plain(await q.select(all, 0, 6 * H - 1))).toEqual(before.select.map((s) => ({ ...s, t: s.t.filter((t) => t < 6 * H) })));
  });

  it('filters a long series read in parts (more samples than one pause of a block read)', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir, { blockRangeMs: 48 * H });
    const n = 80_000;
    for (let from = 0; from < n; from += 10_000) {
      const b = new SampleBatchBuilder();
      b.startSeries(labelsFromRecord({ __name__: 'long' }));
      for (let i = from; i < from + 10_000; i++) b.add(i * 1000, i);
      await db.append(b.build());
    }
    await db.flush();
    await db.deleteSeries([newMatcher('=', '__name__', 'long')], 1000 * 1000, 70_000 * 1000);
    const [s] = await db.querier().select(all, -Infinity, Infinity);
    expect(s.timestamps.length).toBe(n - 69_001);
    expect(s.timestamps[1000]).toBe(70_001 * 1000);
  });

  it('re-applies head deletions to a block a crash left without them', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir);
    for (const b of minutes(2, 0, 1 * H)) await db.append(b);
    await db.deleteSeries(host('h0'), 10 * M, 20 * M);
    const want = await read(db);
    const headFile = fs.readFileSync(path.join(dir, HEAD_TOMBSTONES_FILE));
    await db.flush();
    await closeDB(db);
    // As if killed after the block was renamed into place but before it got its tombstones.
    const [block] = listBlockDirs(dir);
    fs.rmSync(path.join(block, TOMBSTONES_FILE));
    fs.writeFileSync(path.join(dir, HEAD_TOMBSTONES_FILE), headFile);
    db = await openTestDB(dir);
    expect(await read(db)).toEqual(want);
    expect(fs.existsSync(path.join(block, TOMBSTONES_FILE))).toBe(true);
    expect(fs.existsSync(path.join(dir, HEAD_TOMBSTONES_FILE))).toBe(false);
    expect(openBlock(block).tombstones).not.toBeNull();
  });
});

describe('DB snapshot', () => {
  it('links the blocks and writes the head as a block: the snapshot opens as a data dir with the same data', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir);
    for (const b of minutes(3, 0, 2 * H)) await db.append(b);
    await db.flush();
    for (const b of minutes(3, 2 * H, 3 * H)) await db.append(b);
    await db.deleteSeries(host('h1'), 30 * M, 2.5 * H); // in the block and the head
    const want = await read(db);

    const name = await db.snapshot({ skipHead: false });
    expect(name).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
    const snap = path.join(dir, SNAPSHOTS_DIR, name);
    // The data dir's own block is a hard link in the snapshot, not a copy.
    const [block] = listBlockDirs(dir);
    expect(fs.statSync(path.join(snap, path.basename(block), 'index')).ino).toBe(fs.statSync(path.join(block, 'index')).ino);
    expect(listBlockDirs(snap)).toHaveLength(2);

    // Later changes to the data dir do not reach the snapshot.
    await db.deleteSeries(host('h2'), -Infinity, Infinity);
    const copy = await openTestDB(snap);
    expect(await read(copy)).toEqual(want);
    await closeDB(copy);

    const headless = path.join(dir, SNAPSHOTS_DIR, await db.snapshot({ skipHead: true }));
    expect(fs.readdirSync(path.join(dir, SNAPSHOTS_DIR)).sort()).toEqual([name, path.basename(headless)].sort());
    const copy2 = await openTestDB(headless);
    const r = await read(copy2);
    expect(r.select.every((s) => s.t.every((t) => t < 2 * H))).toBe(true);
    expect(r.select.map((s) => s.labels[3])).toEqual(['h0', 'h1']); // h2 deleted from the block meanwhile
  });

  it('removes a snapshot a crash left unfinished at the next start, and keeps finished ones', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir);
    for (const b of minutes(1, 0, 10 * M)) await db.append(b);
    const name = await db.snapshot({ skipHead: false });
    await closeDB(db);
    fs.mkdirSync(path.join(dir, SNAPSHOTS_DIR, '20260101T000000Z-0123456789abcdef.tmp', 'x'), { recursive: true });
    db = await openTestDB(dir);
    expect(fs.readdirSync(path.join(dir, SNAPSHOTS_DIR))).toEqual([name]);
  });
});
