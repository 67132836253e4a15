// How long the head's truncation under series churn holds the event loop, column rebuild included:
// a head holding --series live pods' series and as many removed ones (the previous hour's pods) is
// truncated, which removes those series, compacts the label pool and rebuilds the per-ref columns
// (see Head.truncate). A setImmediate ticker notes the longest gap between two of its turns in the
// main thread's CPU time (as bench/tsdb/readstall.ts: a loaded machine stretches wall gaps), and
// with --appends each turn appends one scrape's worth of samples of --appends live series meanwhile.
// The longest hold of the whole truncation is shown as well (at 1M series it is a removal slice's
// update of the postings lists, not the rebuild). Each turn reads head.stats() (outside the gaps).
//   node_modules/.bin/node --expose-gc bench/tsdb/columnrebuild.ts --series 1000000
// --alone times the copy by itself on columns of 2 x --series refs, half of them removed in runs
// of 10,000 (no head: the truncation's removals cost minutes at 10M): in one step as before,
// and in ColumnRebuild's slices.
import { parseArgs } from 'node:util';
import { SampleBatchBuilder, type Labels } from '../../src/model/index.ts';
import { Head } from '../../src/tsdb/head/head.ts';
import { ColumnRebuild, type RefColumns } from '../../src/tsdb/head/columnrebuild.ts';
import { newColumn, type Column, type ColumnType } from '../../src/tsdb/columns.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '1000000' },
    appends: { type: 'string', default: '0' },
    alone: { type: 'boolean', default: false },
  },
});
const n = Number(args.series);
const appendsPerTurn = Number(args.appends);
const H = 3600_000;
const gc = (globalThis as { gc?: () => void }).gc ?? (() => undefined);

const pod = (hour: number, i: number): Labels => ['__name__', 'container_cpu', 'job', 'k8s', 'namespace', `ns-${i % 20}`,
  'pod', `web-${hour}-${i}`, 'uid', `0d6f${hour}-8c1e-${i}`];

function threadCpuMs(): number {
  const c = process.threadCpuUsage();
  return (c.user + c.system) / 1000;
}

if (args.alone) {
  copyAlone(Number(args.series));
  process.exit(0);
}

/** The copy by itself: one step (a fresh column per column, the live runs set into it) against slices. */
function copyAlone(live: number): void {
  const cap = 2 * live;
  const cols: RefColumns = {
    labelLen: newColumn(Uint16Array, cap), openSlot: newColumn(Int32Array, cap), closedHead: newColumn(Float64Array, cap),
    closedCount: newColumn(Uint32Array, cap), lastT: newColumn(Float64Array, cap), lastV: newColumn(Float64Array, cap),
  };
  const runs: number[] = [];
  for (let from = 1; from < cap; from += 20_000) runs.push(from, Math.min(cap, from + 10_000));
  for (let k = 0; k < runs.length; k += 2) {
    for (let r = runs[k]; r < runs[k + 1]; r++) {
      cols.labelLen[r] = 10;
      cols.openSlot[r] = r;
      cols.closedHead[r] = r;
      cols.closedCount[r] = 1;
      cols.lastT[r] = r;
      cols.lastV[r] = r;
    }
  }
  for (let round = 0; round < 3; round++) {
    gc();
    const c0 = threadCpuMs();
    const fresh = <T extends Column>(col: T, type: ColumnType<T>): T => {
      const next = newColumn(type, cap);
      for (let k = 0; k < runs.length; k += 2) next.set(col.subarray(runs[k], runs[k + 1]) as never, runs[k]);
      return next;
    };
    const one = [fresh(cols.labelLen, Uint16Array), fresh(cols.openSlot, Int32Array), fresh(cols.closedHead, Float64Array),
      fresh(cols.closedCount, Uint32Array), fresh(cols.lastT, Float64Array), fresh(cols.lastV, Float64Array)];
    const oneMs = threadCpuMs() - c0;
    one.length = 0;
    gc();
    const rebuild = new ColumnRebuild(cap, runs, cap);
    let longest = 0;
    let total = 0;
    let n = 0;
    const w0 = performance.now();
    for (let done = false; !done; n++) {
      const s0 = performance.now();
      done = rebuild.step(cols, cap, cap);
      longest = Math.max(longest, performance.now() - s0);
    }
    total = performance.now() - w0;
    console.log(`${live} live refs of ${cap}: one step ${oneMs.toFixed(1)} ms cpu; in ${n} slices: longest ${longest.toFixed(2)} ms, ` +
      `all ${total.toFixed(1)} ms (wall)`);
  }
}

const head = new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });
const log = () => {};
const fill = (hour: number, t: number) => {
  for (let from = 0; from < n; from += 10_000) {
    const b = new SampleBatchBuilder();
    for (let i = from; i < Math.min(n, from + 10_000); i++) {
      b.startSeries(pod(hour, i));
      b.add(t, i);
    }
    head.append(b.build(), log);
  }
};
fill(0, 0);
fill(1, H);
const live = Array.from({ length: Math.min(n, appendsPerTurn) }, (_, i) => pod(1, i));
gc();

// The rebuild's slices themselves, timed apart from the rest of the turn (in wall time: the thread's
// CPU time moves in steps of the kernel's tick, 4 ms here, longer than a slice): the
// gaps also hold collector work (the truncation leaves the removed series' label arrays to collect).
const sliceMs: number[] = [];
const step = ColumnRebuild.prototype.step;
ColumnRebuild.prototype.step = function (this: ColumnRebuild, ...a: Parameters<typeof step>): boolean {
  const w0 = performance.now();
  const done = step.apply(this, a);
  sliceMs.push(performance.now() - w0);
  return done;
};

// Gaps are classed by where the truncation was at their ends: the rebuild's are those that end
// once the label pool compaction is done (the rebuild follows it in the same step) and begin before
// the rebuild is done.
const before = head.stats();
const phase = (): number => {
  const st = head.stats();
  return st.columnRebuilds > before.columnRebuilds ? 2 : st.labelPoolCompactions > before.labelPoolCompactions ? 1 : 0;
};
let last = threadCpuMs();
let lastPhase = 0;
let holdCpuMs = 0;
let rebuildHoldCpuMs = 0;
let rebuildTurns = 0;
let turns = 0;
let on = true;
let t = H + 1;
let appendMs = 0;
const tick = () => {
  const gap = threadCpuMs() - last;
  holdCpuMs = Math.max(holdCpuMs, gap);
  const p = phase();
  if (p > 0 && lastPhase < 2) {
    rebuildHoldCpuMs = Math.max(rebuildHoldCpuMs, gap);
    rebuildTurns++;
  }
  lastPhase = p;
  turns++;
  if (live.length > 0) {
    const b = new SampleBatchBuilder();
    for (const ls of live) {
      b.startSeries(ls);
      b.add(t, turns);
    }
    t++;
    const a0 = threadCpuMs();
    head.append(b.build(), log);
    appendMs += threadCpuMs() - a0;
  }
  last = threadCpuMs();
  if (on) setImmediate(tick);
};
setImmediate(tick);
const c0 = threadCpuMs();
const w0 = performance.now();
await head.truncate(H);
const cpuMs = threadCpuMs() - c0;
const wallMs = performance.now() - w0;
await new Promise((resolve) => setImmediate(resolve));
on = false;
const after = head.stats();
if (after.columnRebuilds !== before.columnRebuilds + 1) throw new Error('the truncation did not rebuild the columns');
sliceMs.sort((a, b) => a - b);
console.log(`${n} live series, ${before.series - after.series} removed: rebuild in ${sliceMs.length} slices of ` +
  `${sliceMs[sliceMs.length >> 1].toFixed(2)} ms (median), at most ${sliceMs[sliceMs.length - 1].toFixed(1)} ms wall; longest hold of the column rebuild ` +
  `${rebuildHoldCpuMs.toFixed(1)} ms cpu (${rebuildTurns} turns); of the whole truncation ${holdCpuMs.toFixed(1)} ms cpu ` +
  `(${turns} turns), ${cpuMs.toFixed(0)} ms cpu, ${wallMs.toFixed(0)} ms wall` +
  (live.length > 0 ? `; appends meanwhile ${(appendMs * 1e6 / (turns * live.length)).toFixed(0)} ns a sample` : '') +
  `; head memory ${(before.memoryBytes / 1e6).toFixed(0)} -> ${(after.memoryBytes / 1e6).toFixed(0)} MB`);
