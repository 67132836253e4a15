// How long a WAL segment cut holds the main thread, on a disk kept busy by another process.
// Run: node bench/tsdb/walcut.ts [cuts, default 40] [--quiet-disk] [--segment-mib N, default 8]
//
// The WAL (fsync: interval, 8 MiB segments unless told) takes 2000-sample log() calls as fast as it can; every
// few hundred calls one of them fills the segment and cuts. The time of each log() call is taken
// around the call itself: the cut's share is what the cutting call takes beyond an ordinary one.
// Unless --quiet-disk, a child shell writes 256 MiB files with conv=fdatasync in a loop next to
// the WAL, so the page cache is full of dirty pages and every flush queues behind it (what a
// block write or a compaction does to the WAL disk in service).
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { openWal } from '../../src/tsdb/wal/index.ts';

const args = process.argv.slice(2);
const quietDisk = args.includes('--quiet-disk');
const mibAt = args.indexOf('--segment-mib');
const cuts = Number(args.find((a, i) => !a.startsWith('--') && i !== mibAt + 1) ?? 40);
const BATCH = 2000;
const SEGMENT = (mibAt >= 0 ? Number(args[mibAt + 1]) : 8) * 1024 * 1024;
/** Calls after a cut counted apart: a background sync can stall the next writes instead (journal). */
const AFTER = 50;

const base = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-walcut-'));
const load = quietDisk ? undefined : spawn('sh', ['-c',
  `while :; do dd if=/dev/zero of=${base}/load bs=1M count=256 conv=fdatasync 2>/dev/null; done`,
], { stdio: 'ignore', detached: true });

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))];
}

/** Per cut, the worst of the calls after it, summed over all cuts. */
function worstSum(xs: number[]): number {
  let sum = 0;
  for (let i = 0; i < xs.length; i += AFTER) sum += Math.max(...xs.slice(i, i + AFTER));
  return sum;
}

try {
  if (load) await new Promise((r) => setTimeout(r, 2000)); // let the load build dirty pages
  const dir = path.join(base, 'wal');
  const silent = { info() {}, warn() {}, error() {} };
  const { wal } = await openWal({ dir, fsync: 'interval', segmentSize: SEGMENT, logger: silent }, { series() {}, samples() {} });
  const refs = new Uint32Array(BATCH);
  const ts = new Float64Array(BATCH);
  const vs = new Float64Array(BATCH);
  const cutMs: number[] = [];
  const afterMs: number[] = [];
  const otherMs: number[] = [];
  let sinceCut = Infinity;
  let t = 1_700_000_000_000;
  let calls = 0;
  while (cutMs.length < cuts) {
    for (let i = 0; i < BATCH; i++) {
      refs[i] = i;
      ts[i] = t;
      vs[i] = Math.random() * 1e6;
    }
    t += 15_000;
    const before = wal.segmentCount();
    const started = performance.now();
    wal.log([], [], refs, ts, vs, BATCH);
    const ms = performance.now() - started;
    if (wal.segmentCount() > before) {
      cutMs.push(ms);
      sinceCut = 0;
    } else {
      (++sinceCut <= AFTER ? afterMs : otherMs).push(ms);
    }
    // Like a server between scrapes: the event loop runs, so the fsync timer and callbacks do too.
    if (++calls % 16 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  wal.close();
  const fmt = (xs: number[]): string =>
    `p50 ${percentile(xs, 0.5).toFixed(2)} ms, p90 ${percentile(xs, 0.9).toFixed(2)} ms, max ${Math.max(...xs).toFixed(2)} ms`;
  console.log(`disk ${quietDisk ? 'quiet' : 'loaded (dd conv=fdatasync loop)'}, ${cuts} cuts of ${SEGMENT >> 20} MiB segments`);
  console.log(`log() that cut:      ${fmt(cutMs)}`);
  console.log(`the ${AFTER} log() after: ${fmt(afterMs)}, sum of the worst per cut ${worstSum(afterMs).toFixed(1)} ms`);
  console.log(`other log():         ${fmt(otherMs)} (${otherMs.length} calls)`);
} finally {
  if (load?.pid !== undefined) process.kill(-load.pid, 'SIGKILL');
  fs.rmSync(base, { recursive: true, force: true });
}
