import { describe, expect, it } from 'vitest';
import { RefsByHash } from './refsbyhash.ts';

// A seeded generator, so a failure replays.
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

describe('RefsByHash', () => {
  it('finds what a Map would through growth, deletions and colliding hashes', () => {
    const rand = rng(7);
    const table = new RefsByHash(16);
    const model = new Map<number, number>(); // ref -> hash
    const live: number[] = [];
    // Few distinct hashes among many refs: long probe chains, equal tags, backward shifts.
    const hashOf = (ref: number) => (ref % 20 === 0 ? 4294967296 * (ref % 7) + 42 : Math.floor(rand() * 2 ** 53));
    const isRef = (ref: number, want: number) => ref === want;
    let next = 1;
    for (let op = 0; op < 40_000; op++) {
      if (model.size === 0 || rand() < 0.7) {
        const ref = next++;
        const h = hashOf(ref);
        table.add(h, ref);
        model.set(ref, h);
        live.push(ref);
      } else {
        const k = Math.floor(rand() * live.length);
        const ref = live[k];
        live[k] = live[live.length - 1];
        live.pop();
        expect(table.delete(model.get(ref)!, ref)).toBe(true);
        expect(table.delete(model.get(ref)!, ref)).toBe(false);
        model.delete(ref);
      }
      if (op % 997 === 0) {
        let wrong = 0;
        for (const [ref, h] of model) if (table.find(h, ref, isRef) !== ref) wrong++;
        expect(wrong).toBe(0);
        expect(table.find(12345, 1, isRef)).toBe(-1);
        expect(table.size).toBe(model.size);
      }
    }
    for (const [ref, h] of model) expect(table.find(h, ref, isRef)).toBe(ref);
    for (let ref = 1; ref < next; ref++) if (!model.has(ref)) expect(table.find(hashOf(ref), ref, isRef)).toBe(-1);
  });

  it('returns the candidate the matcher accepts among refs sharing a hash', () => {
    const table = new RefsByHash();
    const labels = new Map([[1, 'a'], [2, 'b'], [3, 'c']]);
    for (const ref of labels.keys()) table.add(99, ref);
    const byLabel = (ref: number, l: string) => labels.get(ref) === l;
    expect(table.find(99, 'b', byLabel)).toBe(2);
    expect(table.find(99, 'c', byLabel)).toBe(3);
    expect(table.find(99, 'd', byLabel)).toBe(-1);
    table.delete(99, 1);
    expect(table.find(99, 'c', byLabel)).toBe(3);
    expect(table.find(99, 'a', byLabel)).toBe(-1);
  });
});
