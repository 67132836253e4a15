// A series given twice in one appended batch (a scrape repeating a line, a rule or any other
// caller that does not merge): the head must still create it once and check each of its samples
// against its newest one. Finding a repeat has to be nearly free, since almost no batch has one;
// merging may be slow, since it is rare.
import { labelsEqual, labelsHash, type Labels, type SampleBatch } from '../../model/index.ts';

/**
 * The refs met in the batch being checked: an open-addressing set over a scratch array reused
 * from batch to batch, so a lookup costs a probe and there is no memory per ref.
 */
export class BatchRefSet {
  private slots = new Int32Array(64);
  private mask = 63;

  /** Empties the set for a batch of up to `n` series. */
  reset(n: number): void {
    let size = 64;
    while (size < n * 2) size *= 2;
    if (this.slots.length < size) this.slots = new Int32Array(size);
    this.slots.fill(-1, 0, size);
    this.mask = size - 1;
  }

  /** Adds `ref` (≥ 0); false if it was there already. */
  add(ref: number): boolean {
    const { slots, mask } = this;
    let i = Math.imul(ref, 0x9e3779b1) >>> 0 & mask;
    for (;;) {
      const s = slots[i];
      if (s === -1) {
        slots[i] = ref;
        return true;
      }
      if (s === ref) return false;
      i = (i + 1) & mask;
    }
  }
}

/** The new label sets met in the batch being checked, to find one given twice. */
export class NewSeriesSet {
  private readonly byHash = new Map<number, Labels[]>();

  /** Adds `ls`; false if an equal label set was there already. */
  add(ls: Labels, hash: number): boolean {
    const same = this.byHash.get(hash);
    if (same === undefined) {
      this.byHash.set(hash, [ls]);
      return true;
    }
    if (same.some((o) => labelsEqual(o, ls))) return false;
    same.push(ls);
    return true;
  }
}

/**
 * The batch with each series once, in the order series first appear, each with all its samples
 * in the order they came (the head orders a series' samples by time itself).
 */
export function mergeRepeatedSeries(batch: SampleBatch): SampleBatch {
  const { series, offsets, timestamps, values } = batch;
  const unique: Labels[] = [];
  const parts: number[][] = []; // per unique series: the batch indices holding its samples
  const byHash = new Map<number, number[]>();
  for (let i = 0; i < series.length; i++) {
    const h = labelsHash(series[i]);
    const candidates = byHash.get(h);
    const u = candidates?.find((c) => labelsEqual(unique[c], series[i]));
    if (u !== undefined) {
      parts[u].push(i);
      continue;
    }
    if (candidates) candidates.push(unique.length);
    else byHash.set(h, [unique.length]);
    parts.push([i]);
    unique.push(series[i]);
  }
  const total = offsets[series.length];
  const out = { series: unique, offsets: new Uint32Array(unique.length + 1), timestamps: new Float64Array(total), values: new Float64Array(total) };
  let n = 0;
  for (let u = 0; u < unique.length; u++) {
    for (const i of parts[u]) {
      // Copied as bytes: a value read into a JS number may lose a staleness marker's NaN bits.
      out.timestamps.set(timestamps.subarray(offsets[i], offsets[i + 1]), n);
      out.values.set(values.subarray(offsets[i], offsets[i + 1]), n);
      n += offsets[i + 1] - offsets[i];
    }
    out.offsets[u + 1] = n;
  }
  return out;
}
