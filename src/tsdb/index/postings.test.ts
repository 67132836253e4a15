import { describe, expect, it } from 'vitest';
import { matchesLabels, newMatcher, type Matcher, type MatchType } from '../../model/index.ts';
import { intersectPostings, postingsForMatchers, postingsForMatchersSliced, subtractPostings, unionPostings, type PostingsIndex } from './postings.ts';
import { runSliced } from '../readslices.ts';
import { ReadAbortedError } from '../types.ts';
import { rng } from '../block/testutil.ts';

function randomList(r: () => number, universe: number, density: number): Uint32Array {
  const out: number[] = [];
  for (let i = 0; i < universe; i++) if (r() < density) out.push(i);
  return Uint32Array.from(out);
}

describe('postings set operations', () => {
  it('agree with a Set model for lists of very different sizes', () => {
    const r = rng(1);
    for (let round = 0; round < 300; round++) {
      const universe = 1 + Math.floor(r() * 2000);
      const lists = Array.from({ length: 1 + Math.floor(r() * 6) }, () => randomList(r, universe, r() ** 3));
      const [a, b] = [lists[0], lists[1] ?? new Uint32Array(0)];
      const sb = new Set(b);
      expect([...intersectPostings(a, b)]).toEqual([...a].filter((x) => sb.has(x)));
      expect([...intersectPostings(b, a)]).toEqual([...a].filter((x) => sb.has(x)));
      expect([...subtractPostings(a, b)]).toEqual([...a].filter((x) => !sb.has(x)));
      const all = new Set<number>();
      for (const l of lists) for (const x of l) all.add(x);
      expect([...unionPostings(lists, universe)]).toEqual([...all].sort((x, y) => x - y));
    }
  });
});

// An index over label sets held in memory; `withLabels` also lets it answer seriesLabels, which
// switches small candidate sets to checking labels directly.
function memIndex(series: string[][], withLabels: boolean): PostingsIndex {
  const lists = new Map<string, number[]>();
  series.forEach((ls, id) => {
    for (let i = 0; i < ls.length; i += 2) {
      const k = `${ls[i]}\xff${ls[i + 1]}`;
      lists.set(k, [...(lists.get(k) ?? []), id]);
    }
  });
  const ix: PostingsIndex = {
    numSeries: series.length,
    allPostings: () => Uint32Array.from(series.keys()),
    postings: (name, value) => Uint32Array.from(lists.get(`${name}\xff${value}`) ?? []),
    postingsWhere: (name, pred) => [...lists].filter(([k]) => k.startsWith(`${name}\xff`) && pred(k.slice(name.length + 1))).map(([, l]) => Uint32Array.from(l)),
  };
  if (withLabels) ix.seriesLabels = (id) => series[id];
  return ix;
}

describe('postingsForMatchers', () => {
  it('selects exactly the series whose labels match, whether it checks candidates by labels or by postings', () => {
    const r = rng(7);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)];
    const names = ['a', 'b', 'c', 'd', 'e', 'f'];
    const series = Array.from({ length: 1500 }, (_, i) => {
      const ls = ['__name__', `m${i % 7}`];
      if (i % 3 !== 0) ls.push('host', `h${i % 40}`);
      if (i % 5 !== 0) ls.push('mode', pick(names));
      return ls;
    });
    const types: MatchType[] = ['=', '!=', '=~', '!~'];
    const values = ['m1', 'm3', 'h1', 'h12', 'a', 'b', '', 'h1.*', 'a|b', 'h(1|2)', '.+', '.*', 'm[0-2]', 'a|'];
    const byLabels = memIndex(series, true);
    const byPostings = memIndex(series, false);
    let viaLabels = 0;
    for (let round = 0; round < 400; round++) {
      const ms: Matcher[] = [newMatcher('=', '__name__', `m${round % 7}`)];
      if (round % 4 === 0) ms.pop();
      for (let k = 0; k < 1 + Math.floor(r() * 3); k++) ms.push(newMatcher(pick(types), pick(['host', 'mode', 'x']), pick(values)));
      const want = series.flatMap((ls, id) => (matchesLabels(ms, ls) ? [id] : []));
      expect([...postingsForMatchers(byLabels, ms)]).toEqual(want);
      expect([...postingsForMatchers(byPostings, ms)]).toEqual(want);
      if (ms.length > 1 && ms[0].name === '__name__') viaLabels++;
    }
    expect(viaLabels).toBeGreaterThan(100);
  });
});

describe('postingsForMatchersSliced', () => {
  // 300k series, a metric name per 100 and an instance per 30: broad selectors go through lists
  // of all of them, and a regex is tested against 10k instance values.
  const n = 300_000;
  const lists = new Map<string, number[]>();
  const add = (k: string, id: number) => {
    let l = lists.get(k);
    if (!l) lists.set(k, (l = []));
    l.push(id);
  };
  const labelsOf = (id: number) => ['__name__', `m${id % 100}`, 'instance', `i${id % 10_000}`, 'mode', id % 3 === 0 ? 'idle' : 'user'];
  for (let id = 0; id < n; id++) {
    const ls = labelsOf(id);
    for (let i = 0; i < ls.length; i += 2) add(`${ls[i]}\xff${ls[i + 1]}`, id);
  }
  const ix: PostingsIndex = {
    numSeries: n,
    allPostings: () => Uint32Array.from({ length: n }, (_, i) => i),
    postings: (name, value) => Uint32Array.from(lists.get(`${name}\xff${value}`) ?? []),
    *postingsWhere(name, pred) {
      for (const [k, l] of lists) if (k.startsWith(`${name}\xff`) && pred(k.slice(name.length + 1))) yield Uint32Array.from(l);
    },
  };

  it('pauses during a broad evaluation and selects exactly the matching series', () => {
    for (const ms of [
      [newMatcher('=~', '__name__', '.+')],
      [newMatcher('=~', 'instance', 'i1.*'), newMatcher('!=', 'mode', 'idle')],
      [newMatcher('=~', '__name__', 'm1|m2|m3'), newMatcher('=~', '__name__', 'm.*')],
    ]) {
      const want: number[] = [];
      for (let id = 0; id < n; id++) if (matchesLabels(ms, labelsOf(id))) want.push(id);
      const read = postingsForMatchersSliced(ix, ms);
      let pauses = 0;
      let r = read.next();
      for (; r.done !== true; r = read.next()) pauses++;
      expect(pauses).toBeGreaterThan(2);
      expect([...r.value]).toEqual(want);
    }
  });

  it('stops when aborted while paused', async () => {
    const ac = new AbortController();
    setImmediate(() => ac.abort());
    // Each check takes 11 ms: the evaluation's second pause ends its first slice.
    const ctx = {
      get signal() {
        const until = performance.now() + 11;
        while (performance.now() < until);
        return ac.signal;
      },
    };
    let err: unknown;
    try {
      await runSliced(postingsForMatchersSliced(ix, [newMatcher('=~', 'instance', 'i.*')]), ctx);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ReadAbortedError);
    expect((err as ReadAbortedError).reason).toBe('canceled');
  });
});
