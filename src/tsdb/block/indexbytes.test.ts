// A block reads its index from the file through a few cached pages instead of holding it: reads
// across page boundaries and page evictions must answer exactly what the whole file in memory does.
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { newMatcher } from '../../model/index.ts';
import { CorruptBlockError } from './errors.ts';
import { openBlock, writeBlock } from './index.ts';
import { FileBytes } from './indexbytes.ts';
import { IndexReader } from './indexfile.ts';
import { modelSelect, plain, randomSeries, rng, tempDir } from './testutil.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

const MIN = 1_700_000_000_000;
const MAX = MIN + 2 * 3600_000;

async function bigBlock() {
  const parent = tempDir();
  dirs.push(parent);
  // 15000 series: the index spans more 32 KiB pages than the 8 kept.
  const input = randomSeries(rng(7), 15000, MIN, MAX, 8).filter((s) => s.timestamps.length > 0);
  const meta = await writeBlock(parent, input, { minTime: MIN, maxTime: MAX });
  return { dir: path.join(parent, meta!.ulid), input };
}

describe('index read from its file', () => {
  it('answers like the index held in memory, for every series and every label pair', async () => {
    const { dir } = await bigBlock();
    const file = path.join(dir, 'index');
    expect(fs.statSync(file).size).toBeGreaterThan(9 * 32 * 1024); // more pages than are kept
    const mem = new IndexReader(file, fs.readFileSync(file));
    const disk = new IndexReader(file, new FileBytes(file, fs.openSync(file, 'r')));
    try {
      expect(disk.numSeries).toBe(mem.numSeries);
      expect(disk.labelNames()).toEqual(mem.labelNames());
      // Backwards, then forwards: every page is evicted and read again.
      for (let id = disk.numSeries - 1; id >= 0; id--) expect(disk.seriesLabels(id)).toEqual(mem.seriesLabels(id));
      for (let id = 0; id < disk.numSeries; id++) {
        const a = disk.series(id);
        const b = mem.series(id);
        expect(a.labels).toEqual(b.labels);
        expect([...a.chunks.ref.subarray(0, a.chunks.n)]).toEqual([...b.chunks.ref.subarray(0, b.chunks.n)]);
        expect([...a.chunks.minT.subarray(0, a.chunks.n)]).toEqual([...b.chunks.minT.subarray(0, b.chunks.n)]);
      }
      let ids = 0;
      for (const name of ['', ...mem.labelNames()]) {
        for (const value of name === '' ? [''] : mem.labelValues(name)) {
          const want = mem.postings(name, value);
          ids += want.length;
          expect(disk.postings(name, value)).toEqual(want);
        }
      }
      // The postings section (an id takes 1-2 bytes) spans page boundaries, so lists cross them.
      expect(ids).toBeGreaterThan(2 * 32 * 1024);
    } finally {
      disk.close();
    }
  });

  it('selects through openBlock exactly, counts what it holds, and refuses reads once closed', async () => {
    const { dir, input } = await bigBlock();
    const block = openBlock(dir);
    const opened = block.memoryBytes(); // symbols, postings offset table, a few index pages
    expect(opened).toBeGreaterThan(0);
    const cases = [[], [newMatcher('=', 'job', 'node')], [newMatcher('=~', 'instance', 'h.:9100'), newMatcher('!=', 'mode', 'idle')]];
    for (const ms of cases) expect(plain(block.select(ms, MIN, MAX))).toEqual(plain(modelSelect(input, ms, MIN, MAX)));
    expect(block.labelValues('job', [newMatcher('=', 'zone', 'eu')]).length).toBeGreaterThan(0);
    // Reads filled the chunk page cache, and it is counted.
    expect(block.memoryBytes()).toBeGreaterThan(opened);
    block.close();
    expect(() => block.select([], MIN, MAX)).toThrow(/closed/);
  });

  it('finds a damaged byte anywhere in the file at open, naming the section', async () => {
    const { dir } = await bigBlock();
    const file = path.join(dir, 'index');
    const good = fs.readFileSync(file);
    // In the series section, well past the first pages, and near the end (postings).
    for (const at of [Math.floor(good.length / 3), good.length - 200]) {
      const bad = Buffer.from(good);
      bad[at] ^= 0x04;
      fs.writeFileSync(file, bad);
      let err: unknown = null;
      try {
        openBlock(dir).close();
      } catch (e) {
        err = e;
      }
      expect(err, `flip at ${at}`).toBeInstanceOf(CorruptBlockError);
      expect((err as Error).message).toMatch(/checksum mismatch/);
    }
    fs.writeFileSync(file, good);
    openBlock(dir).close();
  });
});
