import { describe, expect, it } from 'vitest';
import { matchesLabels, newMatcher, type Matcher, type MatchType } from '../../model/index.ts';
import { intersectPostings, postingsForMatchers, subtractPostings, unionPostings, type PostingsIndex } from './postings.ts';
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
