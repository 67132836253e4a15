// Reading a block's index from the file (positional reads through 8 cached 32 KiB pages, what a
// block does) against the whole file held in memory (what it did before): the index's part of a
// select, which is every matching series' entry plus the postings of the matchers.
// Run: node bench/tsdb/blockindex.ts [series, default 200000] [rounds, default 5]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compareLabels, newMatcher, type Matcher } from '../../src/model/index.ts';
import { writeBlock } from '../../src/tsdb/block/index.ts';
import { FileBytes } from '../../src/tsdb/block/indexbytes.ts';
import { IndexReader, newChunkMetas } from '../../src/tsdb/block/indexfile.ts';
import { postingsForMatchers } from '../../src/tsdb/index/index.ts';

const nSeries = Number(process.argv[2] ?? 200_000);
const rounds = Number(process.argv[3] ?? 5);
const MIN = 1_700_000_000_000;
const METRICS = ['cpu', 'mem', 'rx', 'tx', 'reads', 'writes', 'info', 'ready', 'restarts', 'rss'];

// Pod-shaped series like bench/tsdb/churn.ts: 10 metrics per pod, pod and uid unique per pod.
const labels: string[][] = [];
for (let p = 0; labels.length < nSeries; p++) {
  for (const m of METRICS) {
    labels.push(['__name__', `container_${m}`, 'job', 'kubelet', 'namespace', `team-${p % 20}`, 'node', `node-${p % 100}`,
      'pod', `web-${(p * 40503).toString(36).padStart(8, '0')}`, 'uid', `${p.toString(16).padStart(8, '0')}-4a1b-8c2d-${(p * 7919).toString(16).padStart(12, '0')}`]);
  }
}
labels.length = nSeries;
labels.sort(compareLabels);
const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-blockindex-'));
try {
  const meta = await writeBlock(parent, labels.map((ls) => ({ labels: ls, timestamps: Float64Array.of(MIN), values: Float64Array.of(1) })), { minTime: MIN, maxTime: MIN + 7200_000 });
  const file = path.join(parent, meta!.ulid, 'index');
  const size = fs.statSync(file).size;
  const cases: [string, Matcher[]][] = [
    ['all series', []],
    ['one metric (10%)', [newMatcher('=', '__name__', 'container_cpu')]],
    ['one namespace, two metrics (1%)', [newMatcher('=', 'namespace', 'team-3'), newMatcher('=~', '__name__', 'container_(cpu|mem)')]],
    ['one pod', [newMatcher('=', 'pod', `web-${(77 * 40503).toString(36).padStart(8, '0')}`)]],
  ];
  const metas = newChunkMetas();
  const run = (ix: IndexReader, ms: Matcher[]): number => {
    const ids = postingsForMatchers(ix, ms);
    let n = 0;
    for (let i = 0; i < ids.length; i++) n += ix.series(ids[i], metas).labels.length;
    return n;
  };
  console.log(`${nSeries} series, index ${(size / 1e6).toFixed(1)} MB; ms per read, best of ${rounds} (alternating)`);
  for (const [name, ms] of cases) {
    const best = { memory: Infinity, file: Infinity };
    for (let r = 0; r < rounds; r++) {
      for (const how of ['memory', 'file'] as const) {
        const ix = how === 'memory' ? new IndexReader(file, fs.readFileSync(file)) : new IndexReader(file, new FileBytes(file, fs.openSync(file, 'r')));
        const t0 = performance.now();
        run(ix, ms);
        best[how] = Math.min(best[how], performance.now() - t0);
        ix.close();
      }
    }
    console.log(`${name.padEnd(34)} memory ${best.memory.toFixed(1).padStart(7)}   file ${best.file.toFixed(1).padStart(7)}`);
  }
} finally {
  fs.rmSync(parent, { recursive: true, force: true });
}
