import { describe, expect, it } from 'vitest';
import { StringMap } from './stringmap.ts';

describe('StringMap', () => {
  it('holds exactly what a Map holds, before and after it splits into shards', () => {
    const m = new StringMap<number>();
    const model = new Map<string, number>();
    const set = (k: string, v: number) => {
      m.set(k, v);
      model.set(k, v);
    };
    // Keys alike but for a few characters (ids with a common prefix), short and long.
    for (let i = 0; i < 150_000; i++) set(i % 3 === 0 ? `pod-${i}` : `container-${'x'.repeat(i % 50)}-${i}-end`, i);
    for (let i = 0; i < 150_000; i += 7) set(`pod-${i}`, -i); // overwrites: no new entries
    for (let i = 1; i < 150_000; i += 5) {
      const k = i % 3 === 0 ? `pod-${i}` : `container-${'x'.repeat(i % 50)}-${i}-end`;
      expect(m.delete(k)).toBe(true);
      model.delete(k);
    }
    expect(m.delete('absent')).toBe(false);
    expect(m.size).toBe(model.size);
    for (const [k, v] of model) if (m.get(k) !== v) throw new Error(`${k}: ${m.get(k)} != ${v}`);
    expect(m.get('pod-1')).toBeUndefined();
    expect(new Map(m.entries())).toEqual(model);
    expect(new Set(m.keys())).toEqual(new Set(model.keys()));
    expect([...m].length).toBe(model.size);
  });

  it('keeps insertion order while small', () => {
    const m = new StringMap<number>();
    for (const k of ['b', 'a', 'c']) m.set(k, 1);
    m.delete('a');
    m.set('a', 2);
    expect([...m.keys()]).toEqual(['b', 'c', 'a']);
  });
});
