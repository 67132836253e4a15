import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SampleBatchBuilder, labelsFromRecord, newMatcher, type SampleBatch } from '../model/index.ts';
import { useTestDBs, silentLogger } from './testing.ts';
import { openDB, type DB, type DBOptions } from './db.ts';
import type { SeriesData } from './types.ts';

const H = 3600_000;
const logger = silentLogger;
const { tmpdir, openTestDB, closeDB } = useTestDBs('strata-db-');

/** `hosts` series of a counter and a gauge, one sample each per step in [from, to). */
function scrapes(hosts: number, from: number, to: number, step: number): SampleBatch[] {
  const out: SampleBatch[] = [];
  for (let t = from; t < to; t += step) {
    const b = new SampleBatchBuilder();
    for (let h = 0; h < hosts; h++) {
      b.startSeries(labelsFromRecord({ __name__: 'requests_total', instance: `h${h}` }));
      b.add(t, Math.floor(t / 1000) * (h + 1));
      b.startSeries(labelsFromRecord({ __name__: 'temperature', instance: `h${h}` }));
      b.add(t, 20 + Math.sin(t / 1e6 + h));
    }
    out.push(b.build());
  }
  return out;
}

const all = [newMatcher('=~', '__name__', '.+')];
const plain = (ss: SeriesData[]) => ss.map((s) => ({ labels: s.labels, t: Array.from(s.timestamps), v: Array.from(s.values) }));

describe('DB', () => {
  it('serves the same data from the head, after a restart (WAL replay), and after a flush into blocks', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir);
    for (const b of scrapes(20, 0, 5 * H, 60_000)) await db.append(b);
    const fromHead = plain(await db.querier().select(all, 0, 10 * H));
    expect(fromHead.length).toBe(40);
    expect(fromHead[0].t.length).toBe(300);

    await closeDB(db);
    db = await openTestDB(dir);
    expect(plain(await db.querier().select(all, 0, 10 * H))).toEqual(fromHead);

    await db.flush();
    // Background maintenance may already have persisted the oldest range at open; either way
    // everything is in blocks now.
    expect(db.stats().headSeries).toBe(0);
    expect(db.stats().blocks[0].samples).toBe(40 * 300);
    expect(plain(await db.querier().select(all, 0, 10 * H))).toEqual(fromHead);

    // After the flush the WAL is checkpointed: a restart reads the blocks, not the old samples.
    await closeDB(db);
    db = await openTestDB(dir);
    expect(db.stats().headSeries).toBe(0);
    expect(db.stats().replay.samples).toBe(0);
    expect(plain(await db.querier().select(all, 0, 10 * H))).toEqual(fromHead);
    // Partial ranges cut at the same place whatever the source.
    const part = plain(await db.querier().select([newMatcher('=', 'instance', 'h3')], 90 * 60_000, 150 * 60_000));
    expect(part.map((s) => s.t.length)).toEqual([61, 61]);
    expect(await db.querier().labelValues('instance', [], 0, 10 * H)).toHaveLength(20);
  });

  it('persists the head in block ranges as it grows and keeps queries identical', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir, { maintenanceIntervalMs: 50 });
    const batches = scrapes(5, 0, 9 * H, 60_000);
    for (const b of batches) await db.append(b);
    const expected = plain(await db.querier().select(all, 0, 10 * H));
    // Wait for background persistence: the head keeps at most about 1.5 block ranges.
    for (let i = 0; i < 100 && db.stats().headMaxTime - db.stats().headMinTime > 3 * H; i++) await sleep(50);
    const s = db.stats();
    expect(s.headMaxTime - s.headMinTime).toBeLessThanOrEqual(3 * H);
    // 9h of data: at least 6h are in blocks (which compaction may have merged), the rest in the head.
    expect(s.blocks.reduce((n, b) => n + b.samples, 0)).toBeGreaterThanOrEqual(5 * 2 * 6 * 60);
    expect(plain(await db.querier().select(all, 0, 10 * H))).toEqual(expected);
  });

  it('compacts blocks into larger ones without losing or duplicating a sample', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir, { maintenanceIntervalMs: 50 });
    // Three flushes of separate time ranges, plus one overlapping the second.
    for (const [from, to] of [[0, 2 * H], [2 * H, 4 * H], [4 * H, 6 * H]]) {
      for (const b of scrapes(4, from, to, 30_000)) await db.append(b);
      await db.flush();
    }
    const expected = plain(await db.querier().select(all, 0, 100 * H));
    for (const b of scrapes(4, 7 * H, 14 * H, 60_000)) await db.append(b); // moves time on so 6h ranges complete
    for (let i = 0; i < 100 && db.stats().compactions === 0; i++) await sleep(50);
    expect(db.stats().compactions).toBeGreaterThan(0);
    const after = plain(await db.querier().select(all, 0, 6 * H - 1));
    expect(after).toEqual(expected);
    expect(after[0].t.length).toBe(6 * 120);
  });

  it('after a crash between writing a compacted block and deleting its sources, serves each sample once', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir, { maintenanceIntervalMs: 50 });
    for (const [from, to] of [[0, 2 * H], [2 * H, 4 * H], [4 * H, 6 * H]]) {
      for (const b of scrapes(2, from, to, 60_000)) await db.append(b);
      await db.flush();
    }
    const saved = tmpdir();
    const sources = fs.readdirSync(dir).filter((n) => /^[0-9A-Z]{26}$/.test(n));
    for (const n of sources) fs.cpSync(path.join(dir, n), path.join(saved, n), { recursive: true });
    const expected = plain(await db.querier().select(all, 0, 6 * H - 1));
    for (const b of scrapes(2, 7 * H, 14 * H, 60_000)) await db.append(b);
    for (let i = 0; i < 100 && db.stats().compactions === 0; i++) await sleep(50);
    expect(db.stats().compactions).toBeGreaterThan(0);
    await closeDB(db);
    // Put the deleted sources back, as if the process died right after the compaction's rename.
    for (const n of sources) fs.cpSync(path.join(saved, n), path.join(dir, n), { recursive: true });
    db = await openTestDB(dir);
    for (const n of sources) expect(fs.existsSync(path.join(dir, n))).toBe(false);
    expect(plain(await db.querier().select(all, 0, 6 * H - 1))).toEqual(expected);
  });

  it('deletes exactly the blocks past retention', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir, { retentionMs: 24 * H, maintenanceIntervalMs: 50 });
    for (const day of [0, 1, 2, 3]) {
      for (const b of scrapes(2, day * 24 * H, day * 24 * H + H, 60_000)) await db.append(b);
      await db.flush();
    }
    for (const b of scrapes(2, 4 * 24 * H, 4 * 24 * H + 10 * 60_000, 60_000)) await db.append(b);
    for (let i = 0; i < 100 && (await db.querier().select(all, 0, 3 * 24 * H - 1)).length > 0; i++) await sleep(50);
    // Newest data is at day 4: blocks ending at or before day 3 are gone, day 3's block stays.
    const left = plain(await db.querier().select(all, 0, 5 * 24 * H));
    expect(left.every((s) => s.t[0] >= 3 * 24 * H)).toBe(true);
    expect(left[0].t.length).toBe(60 + 10);
  });

  it('keeps data written at the same time as a flush (nothing acknowledged is truncated)', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir);
    const batches = scrapes(50, 0, 2 * H, 15_000);
    let acked = 0;
    const writes: Promise<unknown>[] = [];
    const flush = db.flush();
    for (const b of batches) writes.push(db.append(b).then(() => acked++, () => undefined));
    await flush;
    await Promise.all(writes);
    const got = await db.querier().select(all, 0, 3 * H);
    const samples = got.reduce((n, s) => n + s.timestamps.length, 0);
    expect(samples).toBe(acked * 100);
  });

  it('counts reads of open chunks by how the decode cache served them', async () => {
    const db = await openTestDB(tmpdir(), { walFsync: 'never' });
    const series = [labelsFromRecord({ __name__: 'm' })];
    const one = (t: number) => db.append({ series, offsets: Uint32Array.from([0, 1]), timestamps: Float64Array.from([t]), values: Float64Array.from([t]) });
    for (const t of [1000, 2000, 3000]) await one(t);
    const read = () => db.querier().select([newMatcher('=', '__name__', 'm')], 0, 10_000);
    await read();
    await read();
    await one(4000);
    await read();
    expect(db.stats().headOpenChunkReads).toEqual({ misses: 1, hits: 1, extended: 1 });
  });

  it('a read in progress during a flush, and a querier held across it, still see every sample', async () => {
    const db = await openTestDB(tmpdir(), { walFsync: 'never' });
    const n = 60_000;
    const series = Array.from({ length: n }, (_, i) => labelsFromRecord({ __name__: 'm', i: String(i) }));
    const offsets = Uint32Array.from({ length: n + 1 }, (_, i) => i);
    for (const t of [1000, 2000, 3000]) {
      await db.append({ series, offsets, timestamps: new Float64Array(n).fill(t), values: new Float64Array(n).fill(t) });
    }
    const q = db.querier();
    const all = [newMatcher('=', '__name__', 'm')];
    // The read starts before the flush and runs in slices (it pauses, the flush runs meanwhile).
    const reading = q.select(all, 0, 10_000);
    const flushed = db.flush();
    const [got] = await Promise.all([reading, flushed]);
    expect(db.stats().blocks.reduce((k, b) => k + b.count, 0)).toBeGreaterThan(0);
    const count = (xs: SeriesData[]) => xs.reduce((k, s) => k + s.timestamps.length, 0);
    expect(got.length).toBe(n);
    expect(count(got)).toBe(3 * n);
    // The same querier after the flush reads the block the head handed its data to.
    const after = await q.select(all, 0, 10_000);
    expect(after.length).toBe(n);
    expect(count(after)).toBe(3 * n);
  }, 60_000);

  it('refuses a data directory another live process holds, and takes over a dead one\'s lock', async () => {
    const dir = tmpdir();
    const db = await openTestDB(dir);
    await expect(openDB({ dir, logger, retentionMs: 0 })).rejects.toThrow(/already open in this process/);
    await closeDB(db);
    // A lock naming this very PID but not held by this process is stale (a restarted container).
    fs.writeFileSync(path.join(dir, 'lock'), `${process.pid}\n`);
    await closeDB(await openTestDB(dir));
    // A lock of a live other process (this test's parent) refuses; one of a dead PID is taken over.
    fs.writeFileSync(path.join(dir, 'lock'), `${process.ppid}\n`);
    await expect(openDB({ dir, logger, retentionMs: 0 })).rejects.toThrow(/in use by process/);
    fs.writeFileSync(path.join(dir, 'lock'), '999999999\n');
    const again = await openTestDB(dir);
    expect(fs.readFileSync(path.join(dir, 'lock'), 'utf8').trim()).toBe(String(process.pid));
    await closeDB(again);
    expect(fs.existsSync(path.join(dir, 'lock'))).toBe(false);
  });

  it('moves a corrupt block aside with a clear log line and keeps serving the rest', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir);
    for (const b of scrapes(3, 0, H, 60_000)) await db.append(b);
    await db.flush();
    for (const b of scrapes(3, 2 * H, 3 * H, 60_000)) await db.append(b);
    await db.flush();
    await closeDB(db);
    const blocks = fs.readdirSync(dir).filter((n) => /^[0-9A-Z]{26}$/.test(n)).sort();
    const chunkDir = path.join(dir, blocks[0], 'chunks');
    const chunkFile = path.join(chunkDir, fs.readdirSync(chunkDir)[0]);
    fs.truncateSync(chunkFile, Math.floor(fs.statSync(chunkFile).size / 2));
    const lines: string[] = [];
    const capture = pino({ level: 'error' }, { write: (s: string) => void lines.push(s) });
    db = await openTestDB(dir, { logger: capture });
    expect(lines.join('')).toMatch(/corrupt/);
    expect(fs.existsSync(path.join(dir, `${blocks[0]}.corrupt`))).toBe(true);
    const left = await db.querier().select(all, 0, 10 * H);
    expect(left.length).toBe(6);
    expect(left.every((s) => s.timestamps[0] >= 2 * H)).toBe(true);
  });
});

// A WAL segment damaged after it was written (bit rot, a bad sector, an edited file) while the DB
// runs: the next checkpoint reads it.
describe('DB with a WAL segment damaged while running', () => {
  const SEG = 2048;
  const HOSTS = 10;
  const walDir = (dir: string) => path.join(dir, 'wal');
  const segments = (dir: string) => fs.readdirSync(walDir(dir)).filter((n) => /^\d{8}$/.test(n)).sort();

  /** The samples before t. */
  const before = (ss: ReturnType<typeof plain>, t: number) =>
    ss.map((s) => ({ labels: s.labels, t: s.t.filter((x) => x < t), v: s.v.filter((_, i) => s.t[i] < t) }));

  /** Inverts bytes at `offset` of a WAL file. */
  function damage(dir: string, name: string, offset: number): void {
    const file = path.join(walDir(dir), name);
    const buf = fs.readFileSync(file);
    for (let i = offset; i < offset + 8 && i < buf.length; i++) buf[i] ^= 0xff;
    fs.writeFileSync(file, buf);
  }

  function capture(): { logger: DBOptions['logger']; lines: () => { level: number; msg: string; err?: string }[] } {
    const raw: string[] = [];
    return {
      logger: pino({ level: 'info' }, { write: (s: string) => void raw.push(s) }),
      lines: () => raw.map((l) => JSON.parse(l)),
    };
  }

  it('skips damage in a segment whose samples are all in blocks: the checkpoint goes on, data stays intact, the counter moves', async () => {
    const dir = tmpdir();
    const log = capture();
    let db = await openTestDB(dir, { walSegmentSize: SEG, logger: log.logger });
    // 2.5 h of data: not yet more than 1.5 block ranges, so nothing is persisted yet.
    for (const b of scrapes(HOSTS, 0, 2.5 * H, 60_000)) await db.append(b);
    const written = plain(await db.querier().select(all, 0, 10 * H));
    // The first segment starts with the SERIES records of all series; damage the very first
    // record, so the checkpoint must take those series from the head or lose their later samples.
    expect(segments(dir).length).toBeGreaterThan(3);
    damage(dir, '00000000', 10);
    // One more scrape makes the head span 2 ranges: maintenance persists [0, 2h) and checkpoints.
    for (const b of scrapes(HOSTS, 3.5 * H, 3.5 * H + 1, 60_000)) await db.append(b);
    await closeDB(db); // waits for the maintenance task
    expect(db.stats().walCorruptions).toBe(1);
    expect(db.stats().walCheckpointsFailed).toBe(0);
    const errors = log.lines().filter((l) => l.level >= 50);
    expect(errors.map((l) => l.msg)).toEqual([expect.stringMatching(/segment 00000000 is damaged at offset 0 .*already in blocks.*00000000\.corrupt/)]);
    expect(fs.existsSync(path.join(walDir(dir), '00000000.corrupt'))).toBe(true);
    expect(segments(dir)).not.toContain('00000000');

    db = await openTestDB(dir, { walSegmentSize: SEG });
    const after = plain(await db.querier().select(all, 0, 10 * H));
    const last = plain(await db.querier().select(all, 3.5 * H, 3.5 * H));
    expect(before(after, 3.5 * H)).toEqual(written);
    expect(last.length).toBe(2 * HOSTS);
    expect(db.stats().replay.samples).toBeGreaterThan(0);

    // Damage found by a flush's checkpoint is skipped the same way.
    for (const b of scrapes(HOSTS, 3.5 * H + 60_000, 5.5 * H, 60_000)) await db.append(b);
    damage(dir, segments(dir)[0], 40);
    await db.flush();
    expect(db.stats().walCorruptions).toBe(1);
    expect(db.stats().walCheckpointsFailed).toBe(0);
  });

  /** Appends data for [0, 2.5h), damages the newest closed segment (it holds samples after 2h, which the first block will not), then one scrape at 3.5h makes maintenance persist [0, 2h) and checkpoint. */
  async function damageUnpersisted(db: DB, dir: string) {
    for (const b of scrapes(HOSTS, 0, 2.5 * H, 60_000)) await db.append(b);
    const written = plain(await db.querier().select(all, 0, 10 * H));
    const segs = segments(dir);
    const victim = segs[segs.length - 2];
    damage(dir, victim, Math.floor(fs.statSync(path.join(walDir(dir), victim)).size / 2));
    for (const b of scrapes(HOSTS, 3.5 * H, 3.5 * H + 1, 60_000)) await db.append(b);
    // Maintenance runs in the background; nothing else awaits it without also flushing.
    for (let i = 0; i < 500 && db.stats().walCheckpointsFailed === 0; i++) await sleep(20);
    return { written, victim };
  }

  it('keeps accepting writes when the damaged part holds samples not yet in blocks, says so, and persists them into blocks so nothing is lost', async () => {
    const dir = tmpdir();
    const log = capture();
    const db = await openTestDB(dir, { walSegmentSize: SEG, logger: log.logger });
    const { written, victim } = await damageUnpersisted(db, dir);
    expect(db.stats().walCheckpointsFailed).toBe(1);
    // Writes go on meanwhile.
    expect((await db.append(scrapes(HOSTS, 4 * H, 4 * H + 1, 60_000)[0])).rejected).toEqual({});
    await closeDB(db); // waits for the maintenance task

    const errors = log.lines().filter((l) => l.level >= 50);
    expect(errors).toHaveLength(2);
    expect(errors[0].err).toMatch(new RegExp(`segment ${victim} is damaged at offset \\d+ .*not yet in blocks.*segments kept`));
    expect(errors[1].msg).toMatch(new RegExp(`segment ${victim} is damaged at offset \\d+ .*already in blocks`));
    expect(log.lines().some((l) => l.level === 40 && /persisting the head past the damaged WAL segment/.test(l.msg))).toBe(true);
    // The first checkpoint failed; persisting the head past the damaged segment let the next one skip it.
    expect(db.stats().walCheckpointsFailed).toBe(1);
    expect(db.stats().walCorruptions).toBe(2);
    expect(fs.existsSync(path.join(walDir(dir), victim))).toBe(false);
    expect(fs.existsSync(path.join(walDir(dir), `${victim}.corrupt`))).toBe(true);

    const again = await openTestDB(dir, { walSegmentSize: SEG });
    expect(before(plain(await again.querier().select(all, 0, 10 * H)), 3.5 * H)).toEqual(written);
    expect(plain(await again.querier().select(all, 3.5 * H, 4 * H)).map((s) => s.t)).toEqual(new Array(2 * HOSTS).fill([3.5 * H, 4 * H]));
  });

  it('after a restart with the damage still in the WAL, replays everything but the damaged part and reports it', async () => {
    const dir = tmpdir();
    let db = await openTestDB(dir, { walSegmentSize: SEG });
    for (const b of scrapes(HOSTS, 0, 2.5 * H, 60_000)) await db.append(b);
    const written = plain(await db.querier().select(all, 0, 10 * H));
    const segs = segments(dir);
    const victim = segs[segs.length - 2];
    damage(dir, victim, Math.floor(fs.statSync(path.join(walDir(dir), victim)).size / 2));
    await closeDB(db);

    const log = capture();
    db = await openTestDB(dir, { walSegmentSize: SEG, logger: log.logger });
    const errors = log.lines().filter((l) => l.level >= 50).map((l) => l.msg);
    expect(db.stats().walCorruptions).toBe(1);
    expect(errors).toEqual([expect.stringMatching(new RegExp(`segment ${victim} is corrupt at offset \\d+.*dropped the \\d+ bytes from there on, replaying the 1 later segment\\(s\\) on; original kept as .*${victim}\\.corrupt`))]);
    // Each series has all its samples but those of the damaged part: one gap, the rest exact.
    const after = plain(await db.querier().select(all, 0, 10 * H));
    expect(after.map((s) => s.labels)).toEqual(written.map((s) => s.labels));
    let lost = 0;
    for (let i = 0; i < written.length; i++) {
      const w = written[i];
      const a = after[i];
      let k = 0;
      while (k < a.t.length && a.t[k] === w.t[k]) k++;
      const gap = w.t.length - a.t.length;
      expect(a.t.slice(k)).toEqual(w.t.slice(k + gap));
      expect(a.v).toEqual([...w.v.slice(0, k), ...w.v.slice(k + gap)]);
      expect(a.t.at(-1)).toBe(w.t.at(-1)); // the segment after the damage replayed
      lost += gap;
    }
    expect(lost).toBeGreaterThan(0);
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
