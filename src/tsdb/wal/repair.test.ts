// What openWal does with damaged files: torn tails after a crash, and real corruption.
import { afterEach, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { openWal } from './index.ts';
import {
  addBatch, captureLogger, collector, concatContent, emptyContent, logBatch, randomBatch, rng, tempDir,
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

/** A WAL of `count` batches; returns the content after each batch and where each batch's bytes start. */
async function build(dir: string, count: number, segmentSize = 1 << 20, maxSamples = 20) {
  const r = rng(count * 7 + segmentSize);
  const nextRef = { v: 1 };
  const prefixes: Content[] = [emptyContent()];
  const starts: { segment: string; offset: number }[] = [];
  const content = emptyContent();
  const { wal } = await openWal({ dir, segmentSize, fsync: 'never', logger: captureLogger() }, collector().handlers);
  for (let i = 0; i < count; i++) {
    let b: Batch;
    do b = randomBatch(r, nextRef, maxSamples); while (b.n === 0 && b.seriesRefs.length === 0);
    const before = fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).sort();
    const lastBefore = before.at(-1)!;
    const sizeBefore = fs.statSync(path.join(dir, lastBefore)).size;
    logBatch(wal, b);
    const after = fs.readdirSync(dir).filter((n) => /^\d{8}$/.test(n)).sort();
    starts.push(after.at(-1) === lastBefore ? { segment: lastBefore, offset: sizeBefore } : { segment: after.at(-1)!, offset: 0 });
    addBatch(content, b);
    prefixes.push(structuredClone(content));
  }
  wal.close();
  return { prefixes, starts, nextRef, r };
}

/** What `full` holds beyond its prefix `prefix`. */
function after(full: Content, prefix: Content): Content {
  return {
    series: full.series.slice(prefix.series.length),
    refs: full.refs.slice(prefix.refs.length),
    tsBits: full.tsBits.slice(prefix.tsBits.length),
    vBits: full.vBits.slice(prefix.vBits.length),
  };
}

async function reopen(dir: string) {
  const logs = captureLogger();
  const c = collector();
  const { wal, stats } = await openWal({ dir, fsync: 'never', logger: logs }, c.handlers);
  return { wal, stats, logs, content: c.content };
}

/** Reopen, check the replay, then write one more batch and check that survives another reopen. */
async function expectRepairedTo(dir: string, expected: Content, level: 'warn' | 'error', mention: string[]) {
  const first = await reopen(dir);
  expect(first.content).toEqual(expected);
  expect(first.stats.corrupted).toBe(true);
  const lines = level === 'warn' ? first.logs.warns : first.logs.errors;
  expect(lines.length).toBe(1);
  for (const m of mention) expect(lines[0]).toContain(m);
  if (level === 'warn') expect(first.logs.errors).toEqual([]);
  const more = randomBatch(rng(99), { v: 1000 }, 10);
  logBatch(first.wal, more);
  first.wal.close();
  const second = await reopen(dir);
  const after = emptyContent();
  addBatch(after, more);
  expect(second.content).toEqual(concatContent(expected, after));
  expect(second.stats.corrupted).toBe(false);
  expect(second.logs.warns).toEqual([]);
  expect(second.logs.errors).toEqual([]);
  second.wal.close();
}

describe('torn tail of the last segment', () => {
  it('truncating anywhere inside the last record keeps everything before it', async () => {
    const base = newDir();
    const { prefixes, starts } = await build(base, 6);
    const last = starts.at(-1)!;
    const file = (d: string) => path.join(d, last.segment);
    const end = fs.statSync(file(base)).size;
    expect(end - last.offset).toBeGreaterThan(20);
    for (let cut = last.offset + 1; cut < end; cut++) {
      const dir = newDir();
      fs.cpSync(base, dir, { recursive: true });
      fs.truncateSync(file(dir), cut);
      await expectRepairedTo(dir, prefixes[5], 'warn', [last.segment, `offset ${last.offset}`, `${cut - last.offset} bytes dropped`]);
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('a damaged byte in the last record (header and sampled payload) is a torn tail too', async () => {
    const base = newDir();
    const { prefixes, starts } = await build(base, 5);
    const last = starts.at(-1)!;
    const end = fs.statSync(path.join(base, last.segment)).size;
    // Every byte of the frame header and type, then a sample of the payload (at most ~100 bytes).
    const step = Math.max(1, Math.floor((end - last.offset) / 100));
    for (let at = last.offset; at < end; at += at < last.offset + 9 ? 1 : step) {
      const dir = newDir();
      fs.cpSync(base, dir, { recursive: true });
      const f = path.join(dir, last.segment);
      const bytes = fs.readFileSync(f);
      bytes[at] ^= at % 2 === 0 ? 0x01 : 0xff; // a low bit and a whole byte, alternately
      fs.writeFileSync(f, bytes);
      await expectRepairedTo(dir, prefixes[4], 'warn', [last.segment, `offset ${last.offset}`]);
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('is still a torn tail when only empty segments follow (crash right after a cut)', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 6);
    const last = starts.at(-1)!;
    const seg = path.join(dir, last.segment);
    fs.truncateSync(seg, fs.statSync(seg).size - 1);
    const empty = String(Number(last.segment) + 1).padStart(8, '0');
    fs.writeFileSync(path.join(dir, empty), '');
    await expectRepairedTo(dir, prefixes[5], 'warn', [last.segment]);
    expect(fs.readdirSync(dir).filter((n) => n.includes('corrupt'))).toEqual([]);
  });

  it('in the segment before the last one (power loss while a cut synced it in the background) keeps the last segment', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 60, 4000);
    const segs = [...new Set(starts.map((s) => s.segment))];
    expect(segs.length).toBeGreaterThan(3);
    const [beforeLast, last] = segs.slice(-2);
    // The writer's page cache had the whole tail; the disk got only part of the last record of
    // the old segment, zeros after it (the size was updated, the data not).
    const tornIdx = starts.findLastIndex((s) => s.segment === beforeLast);
    const torn = starts[tornIdx];
    const f = path.join(dir, beforeLast);
    const size = fs.statSync(f).size;
    fs.truncateSync(f, torn.offset + 5);
    fs.truncateSync(f, size);
    const firstInLast = starts.findIndex((s) => s.segment === last);
    const expected = concatContent(prefixes[tornIdx], after(prefixes[60], prefixes[firstInLast]));
    await expectRepairedTo(dir, expected, 'warn', [beforeLast, `offset ${torn.offset}`, 'before the last one']);
    expect(fs.readdirSync(dir).filter((n) => n.includes('corrupt'))).toEqual([]);
    expect(fs.statSync(f).size).toBe(torn.offset);
  });

  it('two segments before the last one with data is damage, not a crash: the writer never leaves two unsynced', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 60, 4000);
    const segs = [...new Set(starts.map((s) => s.segment))];
    const victimSeg = segs.at(-3)!;
    const tornIdx = starts.findLastIndex((s) => s.segment === victimSeg);
    const f = path.join(dir, victimSeg);
    fs.truncateSync(f, starts[tornIdx].offset + 5);
    const firstLater = starts.findIndex((s) => s.segment === segs.at(-2));
    const expected = concatContent(prefixes[tornIdx], after(prefixes[60], prefixes[firstLater]));
    await expectRepairedTo(dir, expected, 'error', [victimSeg, '2 later segment(s)']);
    expect(fs.existsSync(`${f}.corrupt`)).toBe(true);
  });

  it('a zero-filled tail (file extended but data not written before a power loss) is dropped', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 4);
    const seg = path.join(dir, starts.at(-1)!.segment);
    const size = fs.statSync(seg).size;
    fs.appendFileSync(seg, Buffer.alloc(10_000));
    await expectRepairedTo(dir, prefixes[4], 'warn', [`offset ${size}`, '10000 bytes dropped']);
  });
});

describe('corruption', () => {
  it('in an earlier segment: keeps what came before, drops the rest of that segment, replays the later ones, and writes on', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 80, 4000);
    const segs = [...new Set(starts.map((s) => s.segment))];
    expect(segs.length).toBeGreaterThan(4);
    // Damage the third record of the second segment: records after it in that segment are intact.
    const inSecond = starts.map((s, i) => ({ ...s, i })).filter((s) => s.segment === segs[1]);
    expect(inSecond.length).toBeGreaterThan(3);
    const victim = inSecond[2];
    const f = path.join(dir, victim.segment);
    const bytes = fs.readFileSync(f);
    bytes[victim.offset + 12] ^= 0x55;
    fs.writeFileSync(f, bytes);

    // Records never span segments: the later ones read whole (here the replay collector keeps
    // every record; the head drops samples whose series it has not seen).
    const firstLater = starts.findIndex((st) => st.segment === segs[2]);
    const expected = concatContent(prefixes[victim.i], after(prefixes[80], prefixes[firstLater]));
    await expectRepairedTo(dir, expected, 'error', [victim.segment, `offset ${victim.offset}`, `${segs.length - 2} later segment(s)`]);
    const names = fs.readdirSync(dir).sort();
    // The damaged original is kept aside, not deleted; the later segments stay in the WAL.
    expect(names).toContain(`${victim.segment}.corrupt`);
    expect(fs.readFileSync(path.join(dir, `${victim.segment}.corrupt`))).toEqual(bytes);
    for (const later of segs.slice(2)) expect(names).toContain(later);
    expect(names.filter((n) => n.endsWith('.corrupt'))).toEqual([`${victim.segment}.corrupt`]);
    expect(fs.statSync(f).size).toBe(victim.offset);
  });

  it('in the middle of the last segment (intact records after it) is reported as an error', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 10);
    const victim = starts[4];
    const f = path.join(dir, victim.segment);
    const bytes = fs.readFileSync(f);
    bytes[victim.offset + 9] ^= 0x10;
    fs.writeFileSync(f, bytes);
    await expectRepairedTo(dir, prefixes[4], 'error', [victim.segment, `offset ${victim.offset}`]);
    expect(fs.existsSync(`${f}.corrupt`)).toBe(true);
  });

  it('a second corruption of the same segment keeps the first evidence', async () => {
    const dir = newDir();
    const { starts } = await build(dir, 40, 3000);
    const inFirst = starts.filter((s) => s.segment === '00000000');
    expect(inFirst.length).toBeGreaterThan(2);
    const damageRecord = (offset: number) => {
      const f = path.join(dir, '00000000');
      const bytes = fs.readFileSync(f);
      bytes[offset + 9] ^= 0xff;
      fs.writeFileSync(f, bytes);
    };
    damageRecord(inFirst.at(-1)!.offset);
    const first = await reopen(dir);
    expect(first.logs.errors.length).toBe(1);
    logBatch(first.wal, randomBatch(rng(5), { v: 1 }, 10)); // later data, so the next damage is mid-WAL again
    first.wal.close();
    damageRecord(inFirst.at(-2)!.offset);
    const second = await reopen(dir);
    second.wal.close();
    expect(second.logs.errors.length).toBe(1);
    expect(fs.readdirSync(dir).filter((n) => n.startsWith('00000000.corrupt')).sort()).toEqual(['00000000.corrupt', '00000000.corrupt.1']);
  });

  it('a missing segment in the middle is reported and the later ones still replayed', async () => {
    const dir = newDir();
    const { prefixes, starts } = await build(dir, 40, 1000);
    const segs = [...new Set(starts.map((s) => s.segment))];
    fs.rmSync(path.join(dir, segs[1]));
    const got = await reopen(dir);
    got.wal.close();
    expect(got.logs.errors.length).toBe(1);
    expect(got.logs.errors[0]).toContain(segs[1]);
    expect(got.stats.corrupted).toBe(true);
    // Everything except the records of the missing segment.
    const lost = starts.map((s, i) => ({ ...s, i })).filter((s) => s.segment === segs[1]);
    const expectedSamples = prefixes[40].refs.length - (prefixes[lost.at(-1)!.i + 1].refs.length - prefixes[lost[0].i].refs.length);
    expect(got.content.refs.length).toBe(expectedSamples);
  });
});
