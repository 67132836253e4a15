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
    expect(ix.postingsWhere('shard', (v) => v !== '0').map((l) => l.length))
      .toEqual([model.get('shard=1')!.size, model.get('shard=2')!.size]);
    // Lists keep taking refs after a removal shrank them.
    add(5001);
    expect([...ix.postings('__name__', 'm')].slice(-1)).toEqual([5001]);
  });
});
