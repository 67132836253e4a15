import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { WalCorruptionError, openWal } from './index.ts';
import type { Wal } from './index.ts';
import {
  addBatch, captureLogger, collector, concatContent, emptyContent, filterContent, logBatch, randomBatch, rng,
  tempDir,
} from './testutil.ts';
import type { Content } from './testutil.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

const SEGMENT = 4000;
const keepA = (ref: number) => ref % 3 !== 0;
const keepB = (ref: number) => ref % 2 === 0;

interface Writer {
  wal: Wal;
  content: Content;
  write(count: number): Content;
}

async function openWriter(dir: string, seed: number, content = emptyContent()): Promise<Writer> {
  const r = rng(seed);
  const nextRef = { v: 1 + seed * 1000 };
  const { wal } = await openWal({ dir, segmentSize: SEGMENT, fsync: 'never', logger: captureLogger() }, collector().handlers);
  return {
    wal,
    content,
    write(count) {
      const added = emptyContent();
      for (let i = 0; i < count; i++) {
        const b = randomBatch(r, nextRef, 40);
        logBatch(wal, b);
        addBatch(added, b);
        addBatch(content, b);
      }
      return added;
    },
  };
}

async function replay(dir: string) {
  const logs = captureLogger();
  const c = collector();
  const { wal, stats } = await openWal({ dir, segmentSize: SEGMENT, fsync: 'never', logger: logs }, c.handlers);
  wal.close();
  return { content: c.content, logs, stats };
}

const segmentNames = (dir: string) => fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).sort();
const checkpointNames = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('checkpoint.')).sort();

describe('checkpoint', () => {
  it('keeps exactly the kept series and their samples at or after minTime, and removes the old segments', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 1);
    const written = w.write(120);
    const before = segmentNames(dir);
    expect(before.length).toBeGreaterThan(5);
    const res = await w.wal.checkpoint(keepA, 0);
    const expected = filterContent(written, keepA, 0);
    expect(res).toEqual({ series: expected.series.length, samples: expected.refs.length, segmentsRemoved: before.length, damaged: [] });
    expect(expected.refs.length).toBeGreaterThan(100);
    expect(expected.refs.length).toBeLessThan(written.refs.length);
    // One checkpoint named after the last segment it covers, and the fresh segment writes go to.
    expect(checkpointNames(dir)).toEqual([`checkpoint.${before.at(-1)}`]);
    expect(segmentNames(dir)).toEqual([String(Number(before.at(-1)) + 1).padStart(8, '0')]);

    const more = w.write(30);
    w.wal.close();
    const got = await replay(dir);
    expect(got.logs.warns).toEqual([]);
    expect(got.logs.errors).toEqual([]);
    expect(got.content).toEqual(concatContent(expected, more));
  });

  it('folds the previous checkpoint into the next one', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 2);
    const first = w.write(60);
    await w.wal.checkpoint(keepA, -1e9);
    const second = w.write(60);
    const res = await w.wal.checkpoint(keepB, 0);
    const expected = filterContent(concatContent(filterContent(first, keepA, -1e9), second), keepB, 0);
    expect(res.samples).toBe(expected.refs.length);
    expect(checkpointNames(dir).length).toBe(1);
    w.wal.close();
    expect((await replay(dir)).content).toEqual(expected);
  });

  it('writes a series once even when it was logged more than once', async () => {
    const dir = newDir();
    const { wal } = await openWal({ dir, segmentSize: 200, fsync: 'never', logger: captureLogger() }, collector().handlers);
    const one = (t: number) => wal.log([7], [['__name__', 'again']], Uint32Array.of(7), Float64Array.of(t), Float64Array.of(t), 1);
    for (let t = 0; t < 20; t++) one(t);
    const res = await wal.checkpoint(() => true, 10);
    expect(res.series).toBe(1);
    expect(res.samples).toBe(10);
    wal.close();
    const got = await replay(dir);
    expect(got.content.series).toEqual([[7, ['__name__', 'again']]]);
    expect(got.content.refs).toEqual(new Array(10).fill(7));
  });

  it('lets writes go on while it runs; they land after the checkpoint', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 3);
    const old = w.write(80);
    const running = w.wal.checkpoint(keepA, 0);
    const during = w.write(20);
    await running;
    w.wal.close();
    expect((await replay(dir)).content).toEqual(concatContent(filterContent(old, keepA, 0), during));
  });

  it('does nothing when no segment was written since the last one, and runs one at a time', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 4);
    expect(await w.wal.checkpoint(keepA, 0)).toEqual({ series: 0, samples: 0, segmentsRemoved: 0, damaged: [] });
    w.write(10);
    const a = w.wal.checkpoint(keepA, 0);
    await expect(w.wal.checkpoint(keepA, 0)).rejects.toThrow(/already running/);
    await a;
    expect(await w.wal.checkpoint(keepA, 0)).toEqual({ series: 0, samples: 0, segmentsRemoved: 0, damaged: [] });
    w.wal.close();
  });

  it('refuses to fold a segment damaged since it was written, and deletes nothing', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 5);
    w.write(60);
    const before = fs.readdirSync(dir).sort();
    const victim = path.join(dir, segmentNames(dir)[1]);
    const bytes = fs.readFileSync(victim);
    bytes[20] ^= 0xff;
    fs.writeFileSync(victim, bytes);
    // Its samples reach past minTime: they may not be in blocks yet.
    const err = await w.wal.checkpoint(keepA, 0, () => []).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WalCorruptionError);
    expect((err as WalCorruptionError).message).toMatch(new RegExp(`segment ${segmentNames(dir)[1]} is damaged at offset \\d+ .*not yet in blocks`));
    expect((err as WalCorruptionError).damage).toMatchObject({ file: segmentNames(dir)[1], offset: expect.any(Number) });
    const after = fs.readdirSync(dir).sort();
    for (const n of before) expect(after).toContain(n);
    expect(after.filter((n) => n.startsWith('checkpoint'))).toEqual([]);
    w.wal.close();
  });

  it('skips the damaged part of a segment whose samples are all older than minTime, taking the series it may have held from labelsOf', async () => {
    const dir = newDir();
    const { wal } = await openWal({ dir, segmentSize: 300, fsync: 'never', logger: captureLogger() }, collector().handlers);
    const labels = (ref: number) => ['__name__', 'm', 'ref', String(ref)];
    // Series 1..20, each created at t = ref with one sample; then samples of all of them at t = 100.
    for (let ref = 1; ref <= 20; ref++) wal.log([ref], [labels(ref)], Uint32Array.of(ref), Float64Array.of(ref), Float64Array.of(ref), 1);
    const all = Uint32Array.from({ length: 20 }, (_, i) => i + 1);
    wal.log([], [], all, new Float64Array(20).fill(100), new Float64Array(20).fill(1), 20);
    const victim = segmentNames(dir)[0];
    const bytes = fs.readFileSync(path.join(dir, victim));
    bytes[10] ^= 0xff; // the first record: series 1's SERIES record is lost
    fs.writeFileSync(path.join(dir, victim), bytes);

    const alive = (ref: number) => ref >= 1 && ref <= 20;
    const res = await wal.checkpoint(alive, 50, labels);
    expect(res.damaged).toEqual([{ file: victim, offset: 0, reason: expect.any(String), unreadableBytes: bytes.length, maxTime: expect.any(Number), copy: path.join(dir, `${victim}.corrupt`) }]);
    expect(res.damaged[0].maxTime).toBeLessThan(50);
    expect(fs.readFileSync(path.join(dir, `${victim}.corrupt`))).toEqual(bytes);
    wal.close();
    const got = await replay(dir);
    expect(got.logs.errors).toEqual([]);
    expect(got.content.series.map(([ref]) => ref).sort((a, b) => a - b)).toEqual([...all]);
    expect(got.content.refs).toEqual([...all]);
  });

  it('without labelsOf refuses to skip even a damaged segment that is all in blocks', async () => {
    const dir = newDir();
    const w = await openWriter(dir, 5);
    w.write(60);
    const victim = path.join(dir, segmentNames(dir)[1]);
    const bytes = fs.readFileSync(victim);
    bytes[20] ^= 0xff;
    fs.writeFileSync(victim, bytes);
    await expect(w.wal.checkpoint(keepA, Infinity)).rejects.toThrow(WalCorruptionError);
    w.wal.close();
  });
});

describe('crash during checkpoint', () => {
  /** A WAL with a first checkpoint and more segments, plus copies of the files as they were before a second checkpoint. */
  async function scenario() {
    const dir = newDir();
    const w = await openWriter(dir, 6);
    const first = w.write(50);
    await w.wal.checkpoint(keepA, 0);
    const second = w.write(50);
    w.wal.sync();
    const snapshot = newDir();
    fs.cpSync(dir, snapshot, { recursive: true });
    const full = concatContent(filterContent(first, keepA, 0), second);
    await w.wal.checkpoint(keepB, 0);
    w.wal.close();
    return { dir, snapshot, full, afterCheckpoint: filterContent(full, keepB, 0) };
  }

  it('before the rename: a leftover temp checkpoint is removed and the old files replay', async () => {
    const { dir, snapshot, full } = await scenario();
    const done = checkpointNames(dir)[0];
    const partial = fs.readFileSync(path.join(dir, done));
    fs.writeFileSync(path.join(snapshot, `${done}.tmp`), partial.subarray(0, partial.length >> 1));
    const got = await replay(snapshot);
    expect(got.content).toEqual(full);
    expect(got.logs.infos.join('\n')).toContain(`${done}.tmp`);
    expect(fs.existsSync(path.join(snapshot, `${done}.tmp`))).toBe(false);
    expect(got.stats.corrupted).toBe(false);
  });

  it('after the rename, before deletion: the new checkpoint wins and the leftovers go', async () => {
    const { dir, snapshot, afterCheckpoint } = await scenario();
    // Put back everything the checkpoint deleted, as if the process died right after the rename.
    for (const n of fs.readdirSync(snapshot)) {
      if (!fs.existsSync(path.join(dir, n))) fs.copyFileSync(path.join(snapshot, n), path.join(dir, n));
    }
    expect(checkpointNames(dir).length).toBe(2);
    const got = await replay(dir);
    expect(got.content).toEqual(afterCheckpoint);
    expect(checkpointNames(dir).length).toBe(1);
    const cp = Number(checkpointNames(dir)[0].slice('checkpoint.'.length));
    for (const s of segmentNames(dir)) expect(Number(s)).toBeGreaterThan(cp);
  });

  it('a damaged checkpoint replays its good prefix and the segments after it, with an error', async () => {
    const { dir } = await scenario();
    const cp = path.join(dir, checkpointNames(dir)[0]);
    const bytes = fs.readFileSync(cp);
    bytes[12] ^= 0xff;
    fs.writeFileSync(cp, bytes);
    const w = await openWriter(dir, 7);
    const later = w.write(5);
    w.wal.close();
    const got = await replay(dir);
    expect(got.logs.errors.length).toBe(1);
    expect(got.logs.errors[0]).toContain(checkpointNames(dir)[0]);
    expect(got.content).toEqual(later);
  });
});
