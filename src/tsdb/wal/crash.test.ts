// kill -9 at an arbitrary moment loses no acknowledged write, under every fsync policy.
import { afterEach, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { openWal } from './index.ts';
import { addBatch, captureLogger, collector, crashBatch, emptyContent, tempDir } from './testutil.ts';

const fixture = path.join(path.dirname(fileURLToPath(import.meta.url)), 'crash-writer.fixture.ts');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

/**
 * Runs the writer until it has acknowledged `acks` more batches (or, with `cuts`, until that many
 * of its calls cut a segment), kills it, returns the last acknowledged batch.
 */
function runAndKill(dir: string, policy: string, acks: number, cuts = Infinity): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [fixture, dir, policy], { stdio: ['ignore', 'pipe', 'pipe'] });
    let last = -1;
    let seen = 0;
    let cutsSeen = 0;
    let pending = '';
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const l of lines) {
        last = Number(l.split(' ')[0]);
        seen++;
        if (l.endsWith(' cut')) cutsSeen++;
      }
      if (seen >= acks || cutsSeen >= cuts) child.kill('SIGKILL');
    });
    child.on('exit', (code, signal) => {
      if (signal === 'SIGKILL') resolve(last);
      else reject(new Error(`writer exited with ${code}: ${stderr}`));
    });
  });
}

describe('kill -9', () => {
  for (const policy of ['never', 'interval', 'always'] as const) {
    it(`loses no acknowledged batch (fsync ${policy})`, async () => {
      const dir = tempDir();
      dirs.push(dir);
      let lastAck = -1;
      // Two rounds: the second run replays what the first left and must keep it intact too.
      for (let round = 0; round < 2; round++) {
        lastAck = await runAndKill(dir, policy, policy === 'always' ? 100 : 500);
        await expectAcknowledgedPrefix(dir, lastAck);
      }
    });
  }

  it('loses no acknowledged batch when killed right after a segment cut, its sync still running (fsync interval)', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // The writer keeps writing flat out; each round kills it on the third cut it reports, i.e.
    // within the time a pipe takes to reach the parent, which is when the old segment's
    // fdatasync has just been handed to the thread pool.
    for (let round = 0; round < 3; round++) {
      const lastAck = await runAndKill(dir, 'interval', Infinity, 3);
      await expectAcknowledgedPrefix(dir, lastAck);
    }
  });
});

/** Replays dir and checks it holds every batch up to lastAck whole, as a prefix of what was written. */
async function expectAcknowledgedPrefix(dir: string, lastAck: number): Promise<void> {
  const c = collector();
  const logs = captureLogger();
  const { wal } = await openWal({ dir, fsync: 'never', logger: logs }, c.handlers);
  wal.close();
  expect(logs.errors).toEqual([]);
  // Batches 0..m for some m >= lastAck: a prefix, bit for bit. Every acknowledged batch is
  // whole. A kill -9 can cut a write(2) between its pages, so the one batch being written
  // at the kill may have left its SERIES record without its SAMPLES record (the torn record
  // is dropped at replay); that batch was never acknowledged, so m must be past lastAck then.
  const m = c.content.series.length - 1;
  expect(m).toBeGreaterThanOrEqual(lastAck);
  const expected = emptyContent();
  for (let k = 0; k <= m; k++) addBatch(expected, crashBatch(k));
  if (c.content.refs.length < expected.refs.length) {
    expect(m).toBeGreaterThan(lastAck);
    const cut = emptyContent();
    for (let k = 0; k < m; k++) addBatch(cut, crashBatch(k));
    const last = crashBatch(m);
    for (let i = 0; i < last.seriesRefs.length; i++) cut.series.push([last.seriesRefs[i], [...last.seriesLabels[i]]]);
    expect(c.content).toEqual(cut);
  } else {
    expect(c.content).toEqual(expected);
  }
}
