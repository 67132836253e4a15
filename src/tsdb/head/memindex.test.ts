import { describe, expect, it } from 'vitest';
import { MemPostings } from './memindex.ts';

describe('MemPostings', () => {
  it('keeps short and long lists sorted and exact through out-of-order adds, re-adds and removals', () => {
    const ix = new MemPostings();
    const model = new Map<string, Set<number>>();
    const labelsOf = (ref: number) => ['__name__', 'm', 'shard', String(ref % 3), 'id', String(ref)];
    const add = (ref: number) => {
      ix.add(ref, labelsOf(ref));
      for (const v of [`__name__=m`, `shard=${ref % 3}`, `id=${ref}`]) {
        if (!model.has(v)) model.set(v, new Set());
        model.get(v)!.add(ref);
      }
    };
    // Increasing refs, then a replay-like second pass out of order with repeats.
    for (let ref = 1; ref <= 3000; ref++) add(ref);
    for (let ref = 3200; ref > 2900; ref -= 7) add(ref);
    const removed = [];
    for (let ref = 1; ref <= 3200; ref++) if (ref % 5 !== 0) removed.push({ ref, labels: labelsOf(ref) });
    ix.remove(removed);
    for (const { ref } of removed) for (const set of model.values()) set.delete(ref);

    const sorted = (s: Set<number> | undefined) => [...(s ?? [])].sort((a, b) => a - b);
    expect([...ix.postings('__name__', 'm')]).toEqual(sorted(model.get('__name__=m')));
    for (const shard of ['0', '1', '2']) expect([...ix.postings('shard', shard)]).toEqual(sorted(model.get(`shard=${shard}`)));
    expect([...ix.allPostings()]).toEqual(sorted(model.get('__name__=m')));
    expect([...ix.postings('id', '5')]).toEqual([5]);
    expect([...ix.postings('id', '3')]).toEqual([]);
    // Emptied pairs are gone from label values.
    expect(ix.labelValues('id')).not.toContain('3');
    expect(ix.labelValues('id')).toContain('10');
    expect([...ix.postingsWhere('shard', (v) => v !== '0')].map((l) => l?.length))
      .toEqual([model.get('shard=1')!.size, model.get('shard=2')!.size]);
    // Lists keep taking refs after a removal shrank them.
    add(5001);
    expect([...ix.postings('__name__', 'm')].slice(-1)).toEqual([5001]);
  });
});

describe('MemPostings, lists long enough to grow in place', () => {
  it('stays sorted and exact past 2^16 entries, through out-of-order re-adds and removals', () => {
    const ix = new MemPostings();
    const n = 150_000;
    const labelsOf = (ref: number) => ['__name__', 'm', 'half', String(ref % 2)];
    for (let ref = 1; ref <= n; ref++) ix.add(ref, labelsOf(ref));
    // Replay-like re-adds out of order are no-ops; a ref past the end is appended.
    for (let ref = n; ref > 0; ref -= 9973) ix.add(ref, labelsOf(ref));
    ix.add(n + 2, labelsOf(n + 2));
    let all = ix.postings('__name__', 'm');
    expect(all.length).toBe(n + 1);
    expect(all[0]).toBe(1);
    expect(all[n - 1]).toBe(n);
    expect(all[n]).toBe(n + 2);
    for (let i = 1; i < all.length; i++) if (all[i] <= all[i - 1]) throw new Error(`unsorted at ${i}`);
    // Removing most refs shrinks the list, which keeps taking refs.
    const removed = [];
    for (let ref = 1; ref <= n; ref++) if (ref % 10 !== 0) removed.push({ ref, labels: labelsOf(ref) });
    ix.remove(removed);
    ix.add(n + 3, labelsOf(n + 3));
    all = ix.postings('__name__', 'm');
    expect(all.length).toBe(n / 10 + 2);
    expect([...all.subarray(0, 3)]).toEqual([10, 20, 30]);
    expect([...all.subarray(-2)]).toEqual([n + 2, n + 3]);
    expect(ix.postings('half', '1').length).toBe(1); // n + 3 (odd); every multiple of 10 is even
  });
});

describe('MemPostings removals a slice of refs at a time', () => {
  it('removes exactly the refs given from the middle of long lists, keeping what lies before and after', () => {
    const ix = new MemPostings();
    const n = 100_000;
    const labelsOf = (ref: number) => ['__name__', 'm', 'mod', String(ref % 7)];
    const model = new Set<number>();
    for (let ref = 1; ref <= n; ref++) {
      ix.add(ref, labelsOf(ref));
      model.add(ref);
    }
    // As the head's truncation removes them: slices of refs, each slice's removed refs at once.
    for (let from = 30_000; from < 70_000; from += 20_000) {
      const removed = [];
      for (let ref = from; ref < from + 20_000; ref++) if (ref % 3 !== 0) removed.push({ ref, labels: labelsOf(ref) });
      ix.remove(removed);
      for (const { ref } of removed) model.delete(ref);
    }
    ix.remove([{ ref: 1, labels: labelsOf(1) }, { ref: n, labels: labelsOf(n) }]);
    model.delete(1);
    model.delete(n);
    const want = [...model].sort((a, b) => a - b);
    expect([...ix.allPostings()]).toEqual(want);
    expect([...ix.postings('__name__', 'm')]).toEqual(want);
    for (let k = 0; k < 7; k++) expect([...ix.postings('mod', String(k))]).toEqual(want.filter((r) => r % 7 === k));
    ix.add(n + 1, labelsOf(n + 1));
    expect([...ix.postings('__name__', 'm').subarray(-2)]).toEqual([n - 1, n + 1]);
  });
});
