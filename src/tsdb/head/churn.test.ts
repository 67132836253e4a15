// Series churn: every "hour" the pods' series are replaced by new ones with new pod and uid labels,
// and the head is truncated as the DB does after persisting a block. The memory held for removed
// series (label pool ranges, their symbols) must be given back, and the head must keep answering
// exactly what a brute-force model answers, also while appends and reads run between the slices
// of truncation and label pool compaction, and after a replay of what it logged.
import { describe, expect, it } from 'vitest';
import {
  SampleBatchBuilder, compareLabels, labelsFromRecord, labelsToString, newMatcher, type Labels, type Matcher,
} from '../../model/index.ts';
import { Head } from './head.ts';
import { recorder } from './testing.ts';

const H = 3600_000;
const STEP = 15 * 60_000;

interface ModelSeries {
  labels: Labels;
  ts: number[];
  vs: number[];
}

/** What the head should hold: every sample appended at or after the last truncation point. */
class Model {
  readonly series = new Map<string, ModelSeries>();
  floor = -Infinity;

  add(ls: Labels, t: number, v: number): void {
    const k = labelsToString(ls);
    let s = this.series.get(k);
    if (!s) {
      s = { labels: ls, ts: [], vs: [] };
      this.series.set(k, s);
    }
    s.ts.push(t);
    s.vs.push(v);
  }

  truncate(t: number): void {
    this.floor = t;
    for (const [k, s] of this.series) {
      const keep = s.ts.findIndex((x) => x >= t);
      if (keep < 0) this.series.delete(k);
      else {
        s.ts = s.ts.slice(keep);
        s.vs = s.vs.slice(keep);
      }
    }
  }

  select(ms: readonly Matcher[]): [Labels, number[], number[]][] {
    return [...this.series.values()]
      .filter((s) => ms.every((m) => m.matches(valueOf(s.labels, m.name))))
      .sort((a, b) => compareLabels(a.labels, b.labels))
      .map((s) => [s.labels, s.ts, s.vs]);
  }

  labelValues(name: string): string[] {
    const out = new Set<string>();
    for (const s of this.series.values()) {
      const v = valueOf(s.labels, name);
      if (v !== '') out.add(v);
    }
    return [...out].sort();
  }
}

function valueOf(ls: Labels, name: string): string {
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === name) return ls[i + 1];
  return '';
}

const pod = (hour: number, i: number) =>
  labelsFromRecord({ __name__: 'container_cpu', job: 'k8s', pod: `web-${hour}-${i}`, uid: `0d6f${hour}-8c1e-4b7a-9a3e-${i}` });
const node = (i: number) => labelsFromRecord({ __name__: 'node_load1', instance: `node-${i}:9100`, job: 'node' });


function expectSame(head: Head, model: Model, ms: Matcher[]): void {
  const got = head.select(ms, -Infinity, Infinity).map((s): [Labels, number[], number[]] => [s.labels, [...s.timestamps], [...s.values]]);
  expect(got).toEqual(model.select(ms));
}

function checkAll(head: Head, model: Model, hour: number, pods: number): void {
  expectSame(head, model, [newMatcher('=', '__name__', 'container_cpu')]);
  expectSame(head, model, [newMatcher('=', 'job', 'node')]);
  expectSame(head, model, [newMatcher('=~', 'uid', `0d6f${hour}-.*-1.*`)]);
  expectSame(head, model, [newMatcher('=', 'pod', `web-${hour}-${pods - 1}`)]);
  expectSame(head, model, [newMatcher('=', 'pod', `web-${hour - 1}-0`)]);
  expect(head.labelValues('pod', [])).toEqual(model.labelValues('pod'));
  expect(head.labelValues('uid', [newMatcher('=', '__name__', 'container_cpu')])).toEqual(model.labelValues('uid'));
  expect(head.labelNames([])).toEqual([...new Set([...model.series.values()].flatMap((s) => s.labels.filter((_, i) => i % 2 === 0)))].sort());
  expect(head.stats().series).toBe(model.series.size);
}

describe('Head under series churn', () => {
  it('gives back removed series\' label pool and symbols, and answers exactly as a model through appends and reads during compaction', async () => {
    const head = new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });
    const model = new Model();
    const rec = recorder();
    // More pods than one slice of truncation and compaction (20,000 series), so both span turns of
    // the event loop in which the appends and reads below run.
    const pods = 25_000;
    const nodes = 50;
    const appendStep = (hour: number, k: number, onlyNodes = false) => {
      const t = hour * H + k * STEP;
      const b = new SampleBatchBuilder();
      for (let i = 0; i < nodes; i++) {
        b.startSeries(node(i));
        b.add(t, i + k);
        model.add(node(i), t, i + k);
      }
      if (!onlyNodes) {
        for (let i = 0; i < pods; i++) {
          b.startSeries(pod(hour, i));
          b.add(t, i * 0.5 + k);
          model.add(pod(hour, i), t, i * 0.5 + k);
        }
      }
      head.append(b.build(), rec.log);
    };
    const memory: number[] = [];
    let interleaved = 0;
    for (let hour = 0; hour < 5; hour++) {
      for (let k = 0; k < 3; k++) appendStep(hour, k);
      if (hour === 0) continue;
      // The DB truncates at a block boundary once it is persisted: here, the start of the hour,
      // which drops the previous hour's pods entirely.
      memory.push(head.stats().memoryBytes);
      let done = false;
      const truncating = head.truncate(hour * H).then(() => {
        done = true;
      });
      // Meanwhile: an append of new samples (and a new series, once) and reads, each turn of the loop.
      const read = head.selectSliced([newMatcher('=', '__name__', 'container_cpu')], -Infinity, Infinity);
      read.next();
      let extra = 0;
      while (!done) {
        await new Promise((resolve) => setImmediate(resolve));
        if (done) break;
        interleaved++;
        const t = hour * H + 3 * STEP + extra++;
        const b = new SampleBatchBuilder();
        const late = labelsFromRecord({ __name__: 'late', hour: String(hour), n: String(extra) });
        b.startSeries(late);
        b.add(t, extra);
        model.add(late, t, extra);
        head.append(b.build(), rec.log);
        // Only series the truncation keeps: others may be gone or not yet (it removes in slices).
        expectSame(head, model, [newMatcher('=', '__name__', 'late'), newMatcher('=', 'hour', String(hour))]);
        expectSame(head, model, [newMatcher('=', 'pod', `web-${hour}-${pods - 1}`)]);
      }
      await truncating;
      memory.push(head.stats().memoryBytes);
      model.truncate(hour * H);
      // The read that started before truncation skips the removed series and reads the rest right.
      let r = read.next();
      while (r.done !== true) r = read.next();
      const survivors = model.select([newMatcher('=', '__name__', 'container_cpu')]);
      const got = r.value.filter((s) => valueOf(s.labels, 'pod').startsWith(`web-${hour}-`));
      expect(got.map((s): [Labels, number[], number[]] => [s.labels, [...s.timestamps], [...s.values]])).toEqual(survivors);
      checkAll(head, model, hour, pods);
      // Blocks are cut from the compacted pool in label order.
      const cut: Labels[] = [];
      for await (const b of head.chunksForBlock(-Infinity, Infinity)) cut.push(...b.labels);
      expect(cut).toEqual([...model.series.values()].map((s) => s.labels).sort(compareLabels));
    }
    expect(interleaved).toBeGreaterThan(4);
    const st = head.stats();
    expect(st.labelPoolCompactions).toBeGreaterThan(0);
    expect(st.columnRebuilds).toBeGreaterThan(0);
    // Before each truncation the head holds two hours of pods, after it one: memory must fall by a
    // good part of the removed half (about 480 bytes a series here). What stays from hour to hour
    // is the per-ref columns (refs are never reused; 38 bytes a ref, allocated in steps) and the
    // open chunks' decode cache that the reads in between fill (bounded): under 128 bytes a removed
    // series, where keeping its labels and symbols cost over 400.
    for (let i = 0; i < memory.length; i += 2) expect(memory[i + 1]).toBeLessThan(memory[i] * 0.75);
    expect((memory[memory.length - 1] - memory[1]) / (3 * pods)).toBeLessThan(128);

    // A replay of everything logged (the WAL without checkpoints) rebuilds the same state.
    const again = new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });
    again.setPersistedBefore(4 * H);
    for (const [ref, ls] of rec.series) again.replaySeries(ref, ls);
    again.replaySamples(Uint32Array.from(rec.samples.map((x) => x[0])), Float64Array.from(rec.samples.map((x) => x[1])),
      Float64Array.from(rec.samples.map((x) => x[2])), rec.samples.length);
    again.finishReplay();
    checkAll(again, model, 4, pods);
    expectSame(again, model, [newMatcher('=', '__name__', 'late')]);
  }, 60_000);

  it('answers exactly after a column rebuild that paused with appends, chunk cuts, new series, removals and reads in between', async () => {
    const head = new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });
    const model = new Model();
    const rec = recorder();
    const add = (entries: [Labels, number, number][]) => {
      const b = new SampleBatchBuilder();
      for (const [ls, t, v] of entries) {
        b.startSeries(ls);
        b.add(t, v);
        model.add(ls, t, v);
      }
      head.append(b.build(), rec.log);
    };
    const range = (n: number) => Array.from({ length: n }, (_, i) => i);
    // Refs, in order of creation: 1,000 short-lived series (data only at H, removed by a second
    // truncation while the rebuild runs), then runs of 5,000 of hour 0's pods (removed by the
    // first) between runs of 3,000 pods that stay: the rebuild copies many runs, over several
    // slices of the event loop (more removed refs than live ones, past 64K: the rebuild's trigger).
    const short = (i: number) => labelsFromRecord({ __name__: 'short', i: String(i) });
    // The pods that stay carry a shard label: reads of a few shards check pods of every run.
    const keep = (i: number) => labelsFromRecord({ __name__: 'container_cpu', job: 'k8s', pod: `web-1-${i}`, shard: String(i % 40) });
    const shard = (k: number) => [newMatcher('=', 'shard', String(k))];
    add(range(1000).map((i) => [short(i), H, i]));
    const kept = 60_000;
    for (let r = 0; r < kept / 3000; r++) {
      add(range(5000).map((i) => [pod(0, r * 5000 + i), 0, i]));
      add(range(3000).map((i) => [keep(r * 3000 + i), 0, i]));
    }
    add(range(kept).map((i) => [keep(i), H, -i]));
    add(range(kept).map((i) => [keep(i), H + 2 * STEP, i / 2]));
    const removedFirst = 5000 * (kept / 3000);
    expect(removedFirst).toBeGreaterThan(65_536);

    const before = head.stats();
    let done = false;
    const truncating = head.truncate(H).then(() => {
      done = true;
    });
    // A read that pauses through it all (of what it reads at any step: the sample at H + 2 * STEP).
    const read = head.selectSliced(shard(3), H + STEP, H + 2 * STEP);
    read.next();
    let turn = 0;
    let rebuildTurns = 0;
    let second: Promise<void> | null = null;
    let late = 0;
    let lastT = 0;
    while (!done) {
      await new Promise((resolve) => setImmediate(resolve));
      if (done) break;
      const st = head.stats();
      if (st.labelPoolCompactions === before.labelPoolCompactions) continue;
      expect(st.columnRebuilds).toBe(before.columnRebuilds);
      rebuildTurns++;
      turn++;
      // Pods spread over every run (some already copied, some not), past the block boundary at 2H,
      // where their open chunks are cut; a new series; a read of what was created meanwhile.
      lastT = 2 * H + turn;
      add(range(kept).filter((i) => i % 7 === turn % 7).map((i) => [keep(i), lastT, turn * 100 + i]));
      add([[labelsFromRecord({ __name__: 'late', n: String(++late) }), lastT, late]]);
      expectSame(head, model, [newMatcher('=', '__name__', 'late')]);
      if (turn === 2) {
        // Removals while the rebuild runs: the short-lived series, in this truncation's first slice.
        second = head.truncate(H + STEP);
        expect(head.stats().series).toBe(st.series + 1 - 1000);
      }
    }
    await truncating;
    await second;
    expect(rebuildTurns).toBeGreaterThanOrEqual(3);
    expect(second).not.toBeNull();
    expect(head.stats().columnRebuilds).toBe(before.columnRebuilds + 1);
    model.truncate(H + STEP);
    let r = read.next();
    while (r.done !== true) r = read.next();
    expect(r.value.map((s): [Labels, number[], number[]] => [s.labels, [...s.timestamps], [...s.values]]))
      .toEqual(model.select(shard(3)).map(([ls, ts, vs]) => [ls, ts.slice(0, 1), vs.slice(0, 1)]));
    expect(r.value[0].timestamps).toEqual(new Float64Array([H + 2 * STEP]));
    for (const k of [0, 1, 17, 39]) expectSame(head, model, shard(k));
    expectSame(head, model, [newMatcher('=', '__name__', 'late')]);
    expectSame(head, model, [newMatcher('=', '__name__', 'short')]);
    expect(head.stats().series).toBe(model.series.size);
    // Which refs a WAL checkpoint keeps (hasSeries): not those of the series removed meanwhile.
    const refsOf = (name: string) => rec.series.filter(([, ls]) => ls[1] === name).map(([ref]) => ref);
    expect(refsOf('short').filter((ref) => head.hasSeries(ref))).toEqual([]);
    expect(refsOf('container_cpu').filter((ref) => head.hasSeries(ref)).length).toBe(kept);
    // What a series' last sample says (the lastT column): the pods appended to in the last turn.
    expect(head.series([newMatcher('=', '__name__', 'container_cpu')], lastT, lastT).length)
      .toBe(range(kept).filter((i) => i % 7 === turn % 7).length);
    // Blocks are cut from the rebuilt columns: exactly the live series.
    const cut: string[] = [];
    for await (const b of head.chunksForBlock(-Infinity, Infinity)) cut.push(...b.labels.map(labelsToString));
    expect(cut).toEqual([...model.series.values()].map((s) => s.labels).sort(compareLabels).map(labelsToString));
    // Appends after it go on from each series' last sample: one at the same time with another value is refused.
    const again = head.append((() => {
      const b = new SampleBatchBuilder();
      b.startSeries(keep(turn % 7));
      b.add(lastT, -1);
      return b.build();
    })(), rec.log);
    expect(again.rejected).toEqual({ duplicate_timestamp: 1 });
  }, 60_000);

  it('keeps labels right when new series take the ids of dropped symbols, and keeps the symbols still shared', async () => {
    const head = new Head({ blockRangeMs: 2 * H, maxSeries: 0, maxSeriesPerMetric: 0 });
    const log = recorder().log;
    const b = new SampleBatchBuilder();
    for (let i = 0; i < 100; i++) {
      b.startSeries(pod(0, i));
      b.add(0, i);
    }
    head.append(b.build(), log);
    const b2 = new SampleBatchBuilder();
    for (let i = 0; i < 100; i++) {
      b2.startSeries(pod(1, i));
      b2.add(H, i);
    }
    head.append(b2.build(), log);
    await head.truncate(H);
    // New series after the drop get the freed ids; the shared strings (job, names) survived.
    const b3 = new SampleBatchBuilder();
    for (let i = 0; i < 100; i++) {
      b3.startSeries(pod(2, i));
      b3.add(H + 1, i);
    }
    head.append(b3.build(), log);
    const got = head.select([newMatcher('=', 'job', 'k8s')], H, H + 1);
    expect(got.map((s) => s.labels)).toEqual([...Array.from({ length: 100 }, (_, i) => pod(1, i)), ...Array.from({ length: 100 }, (_, i) => pod(2, i))].sort(compareLabels));
    expect(head.labelValues('pod', []).filter((v) => v.startsWith('web-0-'))).toEqual([]);
  });
});
