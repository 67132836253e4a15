// A recording rule: the expression's result stored under a new metric name, as Prometheus does
// (the result's labels, the name replaced by `record`, the rule's labels over them).
import { compareLabels, labelsEqual, labelsFromRecord, labelsToRecord } from '../model/index.ts';
import type { RecordingRuleDef } from './file.ts';
import type { InstantSample, RuleContext } from './types.ts';

export class RecordingRule {
  readonly def: RecordingRuleDef;

  constructor(def: RecordingRuleDef) {
    this.def = def;
  }

  get name(): string {
    return this.def.record;
  }

  /** The samples to store for an evaluation at ts (their timestamp is ts - query offset). */
  async eval(ctx: RuleContext, ts: number, limit: number): Promise<InstantSample[]> {
    const result = await ctx.query(this.def.expr, ts - ctx.queryOffsetMs);
    const out: InstantSample[] = result.map((s) => {
      const rec = labelsToRecord(s.labels);
      rec.__name__ = this.def.record;
      Object.assign(rec, ctx.groupLabels, this.def.labels);
      return { labels: labelsFromRecord(rec), value: s.value };
    });
    const sorted = [...out].sort((a, b) => compareLabels(a.labels, b.labels));
    for (let i = 1; i < sorted.length; i++) {
      if (labelsEqual(sorted[i - 1].labels, sorted[i].labels)) throw new Error('vector contains metrics with the same labelset after applying rule labels');
    }
    if (limit > 0 && out.length > limit) throw new Error(`exceeded limit of ${limit} with ${out.length} series`);
    return out;
  }
}
