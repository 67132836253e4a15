// The query envelope's annotations as Prometheus 3's API returns them: warnings and infos apart,
// at most 10 of each with the rest counted, both left out when empty.
import { describe, expect, it } from 'vitest';
import type { QueryValue } from '../promql/index.ts';
import { queryResponseJson } from './format.ts';

const empty: QueryValue = { type: 'vector', samples: [] };

describe('query envelope annotations', () => {
  it('separates infos from warnings and leaves out empty lists', () => {
    const body = JSON.parse(queryResponseJson(empty, [
      'PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)',
      'PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)',
    ]));
    expect(body).toEqual({
      status: 'success',
      data: { resultType: 'vector', result: [] },
      warnings: ['PromQL warning: quantile value should be between 0 and 1, got 2 (1:10)'],
      infos: ['PromQL info: metric might not be a counter, name does not end in _total/_sum/_count/_bucket: "foo" (1:6)'],
    });
    expect(Object.keys(JSON.parse(queryResponseJson(empty, [])))).toEqual(['status', 'data']);
  });

  it('returns at most 10 of each and counts the rest', () => {
    const infos = Array.from({ length: 13 }, (_, i) => `PromQL info: i${i}`);
    const warnings = Array.from({ length: 11 }, (_, i) => `PromQL warning: w${i}`);
    const body = JSON.parse(queryResponseJson(empty, [...warnings, ...infos]));
    expect(body.warnings).toEqual([...warnings.slice(0, 10), '1 more warning annotations omitted']);
    expect(body.infos).toEqual([...infos.slice(0, 10), '3 more info annotations omitted']);
  });
});
