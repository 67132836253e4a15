import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { until } from '../../../test/helpers/until.ts';
import { openWal } from './index.ts';
import type { WalOptions } from './index.ts';
import {
  addBatch, captureLogger, collector, emptyContent, logBatch, randomBatch, rng, tempDir,
} from './testutil.ts';
import type { Batch, Content } from './testutil.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function newDir(): string {
  const d = tempDir();
  dirs.push(d);
  return d;
}

async function replay(opts: WalOptions): Promise<{ content: Content; logs: ReturnType<typeof captureLogger>; corrupted: boolean; close: () => void }> {
  const logs = captureLogger();
  const c = collector();
  const { wal, stats } = await openWal({ fsync: 'never', ...opts, logger: logs }, c.handlers);
  return { content: c.content, logs, corrupted: stats.corrupted, close: () => wal.close() };
}

function segmentFiles(dir: string): string[] {
  return fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).sort();
}

/** Writes `count` random batches and returns them and their flattened content. */
async function writeBatches(opts: WalOptions, seed: number, count: number, maxSamples = 200): Promise<{ batches: Batch[]; content: Content }> {
  const r = rng(seed);
  const nextRef = { v: 1 };
  const batches: Batch[] = [];
  const content = emptyContent();
  const { wal } = await openWal({ fsync: 'never', ...opts, logger: captureLogger() }, collector().handlers);
  for (let i = 0; i < count; i++) {
    const b = randomBatch(r, nextRef, maxSamples);
    logBatch(wal, b);
    batches.push(b);
    addBatch(content, b);
  }
  wal.close();
  return { batches, content };
}

describe('WAL round trip', () => {
  it('replays exactly what was logged, in order and bit for bit', async () => {
    const dir = newDir();
    const { content } = await writeBatches({ dir }, 1, 300);
    expect(content.refs.length).toBeGreaterThan(10_000);
    const got = await replay({ dir });
    expect(got.logs.warns).toEqual([]);
    expect(got.logs.errors).toEqual([]);
    expect(got.corrupted).toBe(false);
    expect(got.content.series).toEqual(content.series);
    expect(got.content.refs).toEqual(content.refs);
    expect(got.content.tsBits).toEqual(content.tsBits);
    expect(got.content.vBits).toEqual(content.vBits);
    got.close();
  });

  it('syncs on its timer off the main thread while writes and segment cuts go on, losing nothing and logging no error', async () => {
    const dir = newDir();
    const r = rng(9);
    const nextRef = { v: 1 };
    const content = emptyContent();
    const logger = captureLogger();
    const { wal } = await openWal({ dir, fsync: 'interval', fsyncIntervalMs: 1, segmentSize: 16 * 1024, logger }, collector().handlers);
    // Writes interleaved with timer ticks: cuts and the close meet fdatasyncs still in flight.
    const until = performance.now() + 300;
    while (performance.now() < until) {
      const b = randomBatch(r, nextRef, 50);
      logBatch(wal, b);
      addBatch(content, b);
      await new Promise((res) => setImmediate(res));
    }
    wal.close();
    expect(segmentFiles(dir).length).toBeGreaterThan(3);
    expect(logger.errors).toEqual([]);
    const got = await replay({ dir });
    expect(got.corrupted).toBe(false);
    expect(got.content.refs).toEqual(content.refs);
    expect(got.content.vBits).toEqual(content.vBits);
    got.close();
  });

  it('closes every segment file it opened once the syncs still running on them at close() have finished', async () => {
    const dir = newDir();
    // The segment files this process holds open, from /proc (Linux).
    const openSegments = (): string[] =>
      fs.readdirSync('/proc/self/fd').flatMap((fd) => {
        try {
          const target = fs.readlinkSync(`/proc/self/fd/${fd}`);
          return target.startsWith(`${dir}${path.sep}`) ? [target] : [];
        } catch {
          return []; // closed meanwhile (the readdir's own fd)
        }
      });
    const r = rng(12);
    const nextRef = { v: 1 };
    const { wal } = await openWal({ dir, fsync: 'interval', fsyncIntervalMs: 1, segmentSize: 8 * 1024, logger: captureLogger() }, collector().handlers);
    const stopAt = performance.now() + 200;
    while (performance.now() < stopAt) {
      logBatch(wal, randomBatch(r, nextRef, 50));
      if (nextRef.v % 3 === 0) await new Promise((res) => setImmediate(res));
    }
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    expect(openSegments().length).toBeGreaterThan(0);
    wal.close();
    // Syncs in flight at close() close their files when they finish.
    await until('the WAL to close its segment files', () => openSegments().length === 0, 5000);
  });

  it('appends after reopening, across several restarts, and reports stats', async () => {
    const dir = newDir();
    const r = rng(2);
    const nextRef = { v: 1 };
    const expected = emptyContent();
    for (let round = 0; round < 4; round++) {
      const c = collector();
      const { wal, stats } = await openWal({ dir, fsync: round % 2 === 0 ? 'always' : 'interval', logger: captureLogger() }, c.handlers);
      expect(c.content).toEqual(expected);
      expect(stats.samples).toBe(expected.refs.length);
      expect(stats.series).toBe(expected.series.length);
      for (let i = 0; i < 20; i++) {
        const b = randomBatch(r, nextRef);
        logBatch(wal, b);
        addBatch(expected, b);
      }
      wal.close();
    }
  });

  it('reuses an empty last segment instead of piling up empty files on idle restarts', async () => {
    const dir = newDir();
    for (let i = 0; i < 3; i++) (await replay({ dir })).close();
    expect(segmentFiles(dir)).toEqual(['00000000']);
  });

  it('writes nothing for an empty call and refuses mismatched arguments and use after close', async () => {
    const dir = newDir();
    const { wal } = await openWal({ dir, logger: captureLogger() }, collector().handlers);
    expect(wal.log([], [], new Uint32Array(0), new Float64Array(0), new Float64Array(0), 0)).toBe(0);
    expect(wal.sizeBytes()).toBe(0);
    expect(() => wal.log([1], [], new Uint32Array(0), new Float64Array(0), new Float64Array(0), 0)).toThrow(RangeError);
    wal.close();
    wal.close();
    expect(() => wal.log([], [], Uint32Array.of(1), Float64Array.of(1), Float64Array.of(1), 1)).toThrow(/close/);
  });
});

describe('segments', () => {
  it('cuts segments at the configured size, never splitting a record, and replays across them', async () => {
    const dir = newDir();
    const segmentSize = 4096;
    const { content } = await writeBatches({ dir, segmentSize }, 3, 200, 100);
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files.slice(0, -1)) {
      const size = fs.statSync(path.join(dir, f)).size;
      expect(size).toBeGreaterThan(0);
      // Only a single record bigger than a segment may overflow one.
      if (size > segmentSize) expect(fs.readFileSync(path.join(dir, f)).readUInt32LE(0) + 8).toBe(size);
    }
    const got = await replay({ dir, segmentSize });
    expect(got.logs.warns).toEqual([]);
    expect(got.content).toEqual(content);
    got.close();
  });

  it('gives a record bigger than a segment a segment of its own', async () => {
    const dir = newDir();
    const { wal } = await openWal({ dir, segmentSize: 1024, fsync: 'never', logger: captureLogger() }, collector().handlers);
    const small = () => wal.log([], [], Uint32Array.of(1), Float64Array.of(1), Float64Array.of(1), 1);
    small();
    const n = 500;
    const big = wal.log([], [], new Uint32Array(n), new Float64Array(n), new Float64Array(n), n);
    expect(big).toBeGreaterThan(1024);
    small();
    wal.close();
    const sizes = segmentFiles(dir).map((f) => fs.statSync(path.join(dir, f)).size);
    expect(sizes.length).toBe(3);
    expect(sizes[1]).toBe(big);
    const got = await replay({ dir });
    expect(got.content.refs.length).toBe(n + 2);
    got.close();
  });

  it('accounts size and segment count like the directory holds', async () => {
    const dir = newDir();
    const r = rng(4);
    const nextRef = { v: 1 };
    const { wal } = await openWal({ dir, segmentSize: 2000, fsync: 'never', logger: captureLogger() }, collector().handlers);
    const onDisk = () => fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
    for (let i = 0; i < 50; i++) {
      logBatch(wal, randomBatch(r, nextRef, 50));
      expect(wal.sizeBytes()).toBe(onDisk());
      expect(wal.segmentCount()).toBe(segmentFiles(dir).length);
    }
    await wal.checkpoint((ref) => ref % 2 === 0, -Infinity);
    expect(wal.sizeBytes()).toBe(onDisk());
    expect(wal.segmentCount()).toBe(segmentFiles(dir).length);
    wal.close();
    const { wal: again } = await openWal({ dir, segmentSize: 2000, logger: captureLogger() }, collector().handlers);
    expect(again.sizeBytes()).toBe(onDisk());
    expect(again.segmentCount()).toBe(segmentFiles(dir).length);
    again.close();
  });
});
