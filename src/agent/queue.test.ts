import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DiskQueue, QueueWriteError, type DiskQueueOptions } from './queue.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function opts(o: Partial<DiskQueueOptions> = {}): DiskQueueOptions {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-queue-'));
  dirs.push(dir);
  return { dir, maxBytes: 1 << 20, segmentBytes: 200, ...o };
}

const rec = (i: number) => Buffer.from(`record-${i}-${'x'.repeat(i % 7)}`);

// Reads and commits everything pending; returns the payloads as strings.
function drain(q: DiskQueue, limit = Infinity): string[] {
  const out: string[] = [];
  for (let r = q.peek(); r !== null && out.length < limit; r = q.peek()) {
    out.push(r.payload.toString('latin1'));
    q.commit(r);
  }
  return out;
}

describe('DiskQueue', () => {
  it('delivers records in append order across segments', () => {
    const o = opts();
    const q = new DiskQueue(o);
    for (let i = 0; i < 50; i++) q.append(rec(i), i + 1);
    expect(fs.readdirSync(o.dir).filter((f) => f.endsWith('.seg')).length).toBeGreaterThan(3);
    expect(q.stats.pendingSamples).toBe((50 * 51) / 2);
    expect(drain(q)).toEqual(Array.from({ length: 50 }, (_, i) => rec(i).toString()));
    expect(q.stats).toMatchObject({ pendingBytes: 0, pendingSamples: 0, pendingRecords: 0 });
    q.close();
  });

  it('peekBatch concatenates consecutive records of a segment up to the byte limit', () => {
    const q = new DiskQueue(opts({ segmentBytes: 1 << 20 }));
    for (let i = 0; i < 10; i++) q.append(Buffer.from(`r${i};`), i);
    let b = q.peekBatch(12);
    expect(b!.payload.toString()).toBe('r0;r1;r2;r3;');
    expect(b).toMatchObject({ records: 4, samples: 0 + 1 + 2 + 3 });
    q.commit(b!);
    expect(q.stats.pendingRecords).toBe(6);
    b = q.peekBatch(1); // at least one record, even above the limit
    expect(b!.payload.toString()).toBe('r4;');
    q.commit(b!);
    b = q.peekBatch(1 << 20);
    expect(b!.payload.toString()).toBe('r5;r6;r7;r8;r9;');
    q.commit(b!);
    expect(q.stats).toMatchObject({ pendingBytes: 0, pendingSamples: 0, pendingRecords: 0 });
    q.close();
  });

  it('peek without commit returns the same record again', () => {
    const q = new DiskQueue(opts());
    q.append(rec(1), 1);
    q.append(rec(2), 1);
    expect(q.peek()!.payload.toString()).toBe(rec(1).toString());
    expect(q.peek()!.payload.toString()).toBe(rec(1).toString());
    q.close();
  });

  it('resumes after a restart at the last committed record, nothing lost or repeated', () => {
    const o = opts();
    let q = new DiskQueue(o);
    for (let i = 0; i < 30; i++) q.append(rec(i), 2);
    expect(drain(q, 12)).toHaveLength(12);
    const uncommitted = q.peek()!; // read but not acknowledged: must come again
    expect(uncommitted.payload.toString()).toBe(rec(12).toString());
    q.close();
    q = new DiskQueue(o);
    expect(q.stats.pendingRecords).toBe(18);
    expect(q.stats.pendingSamples).toBe(36);
    for (let i = 30; i < 35; i++) q.append(rec(i), 2);
    expect(drain(q)).toEqual(Array.from({ length: 23 }, (_, i) => rec(i + 12).toString()));
    q.close();
    q = new DiskQueue(o);
    expect(q.peek()).toBeNull();
    expect(q.stats.pendingRecords).toBe(0);
    q.close();
  });

  it('stays within maxBytes by dropping the oldest segment and counting its unsent samples', () => {
    const drops: { segment: number; samples: number }[] = [];
    const o = opts({ maxBytes: 1000, segmentBytes: 250, onDrop: (d) => drops.push(d) });
    const q = new DiskQueue(o);
    for (let i = 0; i < 200; i++) {
      q.append(Buffer.alloc(38, i), 3); // 50 bytes a record with its header
      const onDisk = fs.readdirSync(o.dir).filter((f) => f.endsWith('.seg')).reduce((n, f) => n + fs.statSync(path.join(o.dir, f)).size, 0);
      expect(onDisk).toBeLessThanOrEqual(1000);
    }
    const left = drain(q).map((s) => s.charCodeAt(0));
    // What is left is the newest records, contiguous and in order.
    expect(left.length).toBeGreaterThan(10);
    expect(left[left.length - 1]).toBe(199);
    for (let i = 1; i < left.length; i++) expect(left[i]).toBe(left[i - 1] + 1);
    expect(q.stats.droppedSamples).toBe((200 - left.length) * 3);
    expect(q.stats.droppedSegments).toBeGreaterThan(0);
    expect(drops.map((d) => d.segment)).toEqual(Array.from({ length: drops.length }, (_, i) => i + 1)); // oldest first
    expect(drops.reduce((n, d) => n + d.samples, 0)).toBe(q.stats.droppedSamples);
    q.close();
  });

  it('counts only unsent samples of a dropped segment that was partly delivered', () => {
    const o = opts({ maxBytes: 500, segmentBytes: 250 });
    const q = new DiskQueue(o);
    for (let i = 0; i < 5; i++) q.append(Buffer.alloc(38, i), 1); // one full segment
    expect(drain(q, 2)).toHaveLength(2);
    for (let i = 5; i < 15; i++) q.append(Buffer.alloc(38, i), 1);
    expect(q.stats.droppedSamples).toBe(3);
    expect(drain(q).map((s) => s.charCodeAt(0))).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
    q.close();
  });

  it('cuts a torn or corrupt tail off at open and keeps the good records before it', () => {
    const o = opts({ segmentBytes: 1 << 20 });
    let q = new DiskQueue(o);
    for (let i = 0; i < 10; i++) q.append(rec(i), 1);
    q.close();
    const seg = path.join(o.dir, fs.readdirSync(o.dir).find((f) => f.endsWith('.seg'))!);
    const size = fs.statSync(seg).size;
    // A torn last record: half its bytes.
    fs.truncateSync(seg, size - 5);
    q = new DiskQueue(o);
    expect(q.stats.corruptBytes).toBeGreaterThan(0);
    expect(q.stats.pendingRecords).toBe(9);
    q.append(rec(99), 1);
    q.close();
    // A flipped byte in the payload of record 5: the checksum fails there.
    const bytes = fs.readFileSync(seg);
    const at = bytes.indexOf('record-5-');
    bytes[at + 3] ^= 0xff;
    fs.writeFileSync(seg, bytes);
    q = new DiskQueue(o);
    expect(drain(q)).toEqual([0, 1, 2, 3, 4].map((i) => rec(i).toString()));
    q.close();
  });
});

describe('DiskQueue fsync policy', () => {
  // What each fsync saw: the size of the synced file and how many records counted as queued then.
  function recorder() {
    const calls: { size: number; queued: number }[] = [];
    let q: DiskQueue | null = null;
    const fsyncSync = (fd: number) => {
      calls.push({ size: fs.fstatSync(fd).size, queued: q?.stats.pendingRecords ?? -1 });
    };
    return { calls, fsyncSync, attach: (queue: DiskQueue) => (q = queue) };
  }

  it("'always' syncs each record before it counts as queued", () => {
    const r = recorder();
    const q = new DiskQueue(opts({ segmentBytes: 1 << 20, fsync: 'always', fsyncSync: r.fsyncSync }));
    r.attach(q);
    r.calls.length = 0; // the position and directory written at open
    for (let i = 0; i < 5; i++) q.append(Buffer.alloc(88, i), 1); // 100 bytes a record with its header
    expect(r.calls).toEqual([1, 2, 3, 4, 5].map((n) => ({ size: n * 100, queued: n - 1 })));
    q.close();
  });

  it("'interval' syncs all appends of a second together, and not at all while idle", () => {
    vi.useFakeTimers();
    try {
      const r = recorder();
      const q = new DiskQueue(opts({ segmentBytes: 1 << 20, fsync: 'interval', fsyncSync: r.fsyncSync }));
      r.attach(q);
      r.calls.length = 0;
      for (let i = 0; i < 50; i++) q.append(Buffer.alloc(88, i), 1);
      vi.advanceTimersByTime(999);
      expect(r.calls).toEqual([]);
      vi.advanceTimersByTime(1);
      expect(r.calls).toEqual([{ size: 5000, queued: 50 }]);
      vi.advanceTimersByTime(10_000);
      expect(r.calls).toHaveLength(1);
      q.append(Buffer.alloc(88, 0), 1);
      vi.advanceTimersByTime(1000);
      expect(r.calls).toEqual([{ size: 5000, queued: 50 }, { size: 5100, queued: 51 }]);
      q.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("'interval' and 'always' sync a full segment before starting the next; 'never' never syncs", () => {
    const r = recorder();
    const q = new DiskQueue(opts({ segmentBytes: 250, fsync: 'interval', fsyncSync: r.fsyncSync }));
    r.attach(q);
    r.calls.length = 0;
    for (let i = 0; i < 3; i++) q.append(Buffer.alloc(88, i), 1); // the third starts segment 2
    expect(r.calls[0]).toEqual({ size: 200, queued: 2 });
    q.close();

    const never = recorder();
    const o = opts({ segmentBytes: 250, fsync: 'never', fsyncSync: never.fsyncSync });
    let q2 = new DiskQueue(o);
    for (let i = 0; i < 20; i++) q2.append(Buffer.alloc(88, i), 1);
    expect(drain(q2, 5)).toHaveLength(5);
    q2.close();
    q2 = new DiskQueue(o);
    expect(q2.stats.pendingRecords).toBe(15);
    q2.close();
    expect(never.calls).toEqual([]);
  });
});

// A tiny tmpfs stands in for a full or read-only disk (needs root, as the test machine runs).
const canMount = process.getuid?.() === 0;
function mountTmpfs(options: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-queue-fs-'));
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir]);
  return dir;
}
function unmount(dir: string): void {
  execFileSync('umount', [dir]);
  fs.rmdirSync(dir);
}

describe.skipIf(!canMount)('DiskQueue on a full or read-only disk', () => {
  it('refuses an append that does not fit whole, keeps every earlier record readable, and counts the samples', () => {
    const mnt = mountTmpfs('size=64k');
    try {
      const o: DiskQueueOptions = { dir: path.join(mnt, 'q'), maxBytes: 1 << 20, segmentBytes: 8 << 10, fsync: 'always' }; // rolls on the way
      let q = new DiskQueue(o);
      let written = 0;
      let failure: unknown = null;
      for (let i = 0; i < 200 && failure === null; i++) {
        try {
          q.append(Buffer.alloc(1000, i), 2);
          written++;
        } catch (e) {
          failure = e;
        }
      }
      expect(failure).toBeInstanceOf(QueueWriteError);
      expect((failure as QueueWriteError).code).toBe('ENOSPC');
      expect((failure as Error).message).toContain(`cannot write to the agent queue in ${o.dir}`);
      expect(q.stats).toMatchObject({ pendingRecords: written, failedSamples: 2 });
      q.close();
      execFileSync('mount', ['-o', 'remount,size=128k', mnt]); // room for opening it again
      q = new DiskQueue(o);
      expect(q.stats.corruptBytes).toBe(0);
      expect(drain(q).map((s) => s.charCodeAt(0))).toEqual(Array.from({ length: written }, (_, i) => i));
      q.close();
    } finally {
      unmount(mnt);
    }
  });

  it('refuses to open, naming the directory and the reason, on a full or a read-only disk', () => {
    const full = mountTmpfs('size=64k');
    const ro = mountTmpfs('size=64k');
    fs.mkdirSync(path.join(ro, 'q'));
    execFileSync('mount', ['-o', 'remount,ro', ro]);
    try {
      fs.writeFileSync(path.join(full, 'filler'), Buffer.alloc(64 * 1024));
      const dir = path.join(full, 'q');
      expect(() => new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 })).toThrow(`agent queue directory "${dir}" cannot be used: no space left on its device`);
      const rodir = path.join(ro, 'q');
      expect(() => new DiskQueue({ dir: rodir, maxBytes: 1 << 20, segmentBytes: 1 << 16 })).toThrow(`agent queue directory "${rodir}" cannot be used: on a read-only file system`);
    } finally {
      unmount(full);
      unmount(ro);
    }
  });
});
