// Rules query through the PromQL engine at one instant, as Prometheus' EngineQueryFunc: a vector
// is the result, a scalar becomes one sample without labels, anything else is an error.
import type { Engine } from '../promql/index.ts';
import type { Querier } from '../tsdb/index.ts';
import type { InstantSample, QueryFunc } from './types.ts';

export function engineQueryFunc(engine: Engine, querier: () => Querier): QueryFunc {
  return async (expr, ts) => {
    const r = await engine.instantQuery(querier(), expr, ts);
    switch (r.value.type) {
      case 'vector':
        return r.value.samples.map((s): InstantSample => ({ labels: s.labels, value: s.v }));
      case 'scalar':
        return [{ labels: [], value: r.value.v }];
      default:
        throw new Error('rule result is not a vector or scalar');
    }
  };
}
