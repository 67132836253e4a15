// A block as a `Querier`, the read interface the rest of the engine meets storage at.
import type { Labels, Matcher } from '../../model/index.ts';
import type { Querier, ReadContext, SelectHints, SeriesData } from '../types.ts';
import { runSliced } from '../readslices.ts';
import type { Block } from './reader.ts';

/**
 * Adapts a block to `Querier`. Label names and values are answered from the postings table when
 * the range covers the whole block, and from the series having samples in the range otherwise,
 * so a range touching only part of a block gets exact answers too.
 */
export function blockQuerier(block: Block): Querier {
  const overlaps = (mint: number, maxt: number): boolean => mint <= maxt && maxt >= block.meta.minTime && mint < block.meta.maxTime;
  const covers = (mint: number, maxt: number): boolean => mint <= block.meta.minTime && maxt >= block.meta.maxTime - 1;
  return {
    async select(matchers: readonly Matcher[], mint: number, maxt: number, _hints?: SelectHints, ctx?: ReadContext): Promise<SeriesData[]> {
      return runSliced(block.selectSliced(matchers, mint, maxt), ctx);
    },
    async series(matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<Labels[]> {
      return runSliced(block.seriesSliced(matchers, mint, maxt), ctx);
    },
    async labelNames(matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<string[]> {
      if (!overlaps(mint, maxt)) return [];
      if (covers(mint, maxt)) return runSliced(block.labelNamesSliced(matchers), ctx);
      const names = new Set<string>();
      for (const ls of await runSliced(block.seriesSliced(matchers, mint, maxt), ctx)) for (let i = 0; i < ls.length; i += 2) names.add(ls[i]);
      return [...names].sort();
    },
    async labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<string[]> {
      if (!overlaps(mint, maxt)) return [];
      if (covers(mint, maxt)) return runSliced(block.labelValuesSliced(name, matchers), ctx);
      const values = new Set<string>();
      for (const ls of await runSliced(block.seriesSliced(matchers, mint, maxt), ctx)) {
        for (let i = 0; i < ls.length; i += 2) if (ls[i] === name) values.add(ls[i + 1]);
      }
      return [...values].sort();
    },
  };
}
