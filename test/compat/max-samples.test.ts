// query.max_samples at its boundary, side by side with Prometheus (--query.max-samples): the same
// data, with staleness markers, is remote-written into both, and a query whose count is exactly
// the limit must pass while one more sample fails with 422, in both. Prometheus counts what a
// selector returns (an instant vector selector: its points; a range selector: the samples in its
// windows), never a staleness marker: a series whose newest sample is a marker returns nothing.
// Both 2.42 and Prometheus 3 check the count as it grows against the limit (3: `> max` after
// adding, 2.42: `>= max` before), so exactly the limit passes in both.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { STALE_NAN } from '../../src/model/index.ts';
import { encodeWriteRequest, postWrite, type TestSeries } from '../helpers/remotewrite.ts';
import { getJson, query, startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';

const MAX = 20;
// A minute boundary ten minutes ago: recent enough for both heads, and no sample falls on a
// range window's boundary (2.42's windows are closed at the start, Prometheus 3's open).
const T0 = Math.floor(Date.now() / 60_000) * 60_000 - 600_000;
const S = (seconds: number) => T0 + seconds * 1000;

function data(): TestSeries[] {
  const out: TestSeries[] = [];
  const add = (name: string, g: string, i: number, samples: [number, number][]) => out.push({ labels: { __name__: name, g, i: String(i) }, samples });
  for (const [g, live] of [['at', MAX], ['over', MAX + 1]] as const) {
    // Instant vector selector at S(60): `live` series with a value, and 5 whose newest sample is
    // a staleness marker (they return nothing and count nothing).
    for (let i = 0; i < live; i++) add('ms_instant', g, i, [[S(30), 1], [S(45), 1]]);
    for (let i = 0; i < 5; i++) add('ms_instant', g, 100_000 + i, [[S(30), 1], [S(45), STALE_NAN]]);
    // Range query S(0)..S(60) step 15s: 5 series of 4 points each (the step at S(30) sees a
    // staleness marker), plus one point for "over".
    for (let i = 0; i < 5; i++) add('ms_range', g, i, [[S(0), 1], [S(15), 1], [S(30), STALE_NAN], [S(45), 1], [S(60), 1]]);
    if (g === 'over') add('ms_range', g, 9, [[S(60), 1]]);
    // Range selector [1m] at S(60): 5 series of 4 samples and a staleness marker in the window.
    for (let i = 0; i < 5; i++) add('ms_window', g, i, [[S(5), 1], [S(17), 1], [S(29), STALE_NAN], [S(41), 1], [S(53), 1]]);
    if (g === 'over') add('ms_window', g, 9, [[S(53), 1]]);
  }
  return out;
}

const QUERIES: { name: string; params: (g: string) => Record<string, string>; endpoint: string }[] = [
  { name: 'an instant vector selector', endpoint: 'query', params: (g) => ({ query: `ms_instant{g="${g}"}`, time: String(S(60) / 1000) }) },
  { name: 'a vector selector in a range query', endpoint: 'query_range', params: (g) => ({ query: `ms_range{g="${g}"}`, start: String(S(0) / 1000), end: String(S(60) / 1000), step: '15' }) },
  { name: 'a range selector', endpoint: 'query', params: (g) => ({ query: `ms_window{g="${g}"}[1m]`, time: String(S(60) / 1000) }) },
];

let skip: string | null = null;
let prom: PrometheusProcess | undefined;
let strata: StrataProcess | undefined;
let dir: string;

beforeAll(async () => {
  dir = tempDir('strata-max-samples-');
  fs.writeFileSync(path.join(dir, 'strata.yml'), `self_monitoring: { enabled: false }\nquery: { max_samples: ${MAX} }\n`);
  strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
  const body = encodeWriteRequest(data());
  expect((await postWrite(strata.url, body)).status).toBe(204);
  skip = await prometheusForComparison('the query.max_samples comparison with Prometheus');
  if (skip !== null) return;
  prom = await startPrometheus(path.join(dir, 'prometheus'), 30_000, undefined, [`--query.max-samples=${MAX}`]);
  expect((await postWrite(prom.url, body)).status).toBe(204);
}, 120_000);

afterAll(async () => {
  await strata?.stop();
  await prom?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe(`query.max_samples (${MAX}) at the boundary, with staleness markers in the data`, () => {
  it.each(QUERIES)('$name: exactly the limit passes, one more sample is 422, as in Prometheus', async ({ endpoint, params }) => {
    const ask = (base: string, g: string) => getJson(`${base}/api/v1/${endpoint}?${query(params(g))}`);
    const at = await ask(strata!.url, 'at');
    expect(at.status).toBe(200);
    const points = (at.body.data.result as { values?: unknown[]; value?: unknown }[]).reduce((n, s) => n + (s.values?.length ?? 1), 0);
    expect(points).toBe(MAX);
    const over = await ask(strata!.url, 'over');
    expect(over.status).toBe(422);
    expect(over.body).toEqual({ status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution' });
    if (skip !== null) return;
    const [pAt, pOver] = await Promise.all([ask(prom!.url, 'at'), ask(prom!.url, 'over')]);
    expect(pAt.status).toBe(200);
    expect(pAt.body.data).toEqual(at.body.data);
    expect(pOver.status).toBe(422);
    expect(pOver.body).toEqual(over.body);
  });
});
