// The TSDB admin API (snapshot, delete_series, clean_tombstones) side by side with Prometheus 2.42
// started with --web.enable-admin-api: the same data remote-written into both, the same deletes,
// then the same query results, series and error answers. And a snapshot is a data dir a second
// Strata serves the same data from.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from './helpers/prometheus.ts';
import { writeSeries, type TestSeries } from './helpers/remotewrite.ts';
import { EQ, SAMPLES, decodeReadResponse, encodeReadRequest, postRead } from './helpers/remoteread.ts';
import { getJson, parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const STEP = 15_000;
// Whole minutes, 50 minutes of data ending two minutes ago: inside both heads' appendable window.
const END = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 60_000;
const START = END - 50 * 60_000;
const sec = (ms: number) => String(ms / 1000);

function data(): TestSeries[] {
  const out: TestSeries[] = [];
  for (const i of ['0', '1', '2']) {
    const samples: [number, number][] = [];
    for (let t = START; t <= END; t += STEP) samples.push([t, (t - START) / STEP + Number(i) * 1000]);
    out.push({ labels: { __name__: 'm', i, job: 'j' }, samples });
  }
  return out;
}

const admin = (url: string, what: string, params: Record<string, string | string[]> = {}, method = 'POST') =>
  fetch(`${url}/api/v1/admin/tsdb/${what}?${query(params)}`, { method });

async function rangeOf(url: string, q: string) {
  // Steps 7 s after the samples: none is exactly 5 minutes after a sample, where Prometheus 2.42's
  // lookback (closed at its start) and Prometheus 3's and Strata's (open) differ.
  const r = await getJson(`${url}/api/v1/query_range?${query({ query: q, start: sec(START + 7000), end: sec(END), step: '15' })}`);
  expect(r.status).toBe(200);
  return (r.body.data.result as { metric: Record<string, string>; values: [number, string][] }[])
    .sort((a, b) => (a.metric.i < b.metric.i ? -1 : 1));
}

async function seriesOf(url: string, start = START, end = END) {
  const r = await getJson(`${url}/api/v1/series?${query({ 'match[]': 'm', start: sec(start), end: sec(end) })}`);
  expect(r.status).toBe(200);
  return (r.body.data as Record<string, string>[]).map((m) => m.i).sort();
}

describe('TSDB admin API side by side with Prometheus', () => {
  let dir: string;
  let strata: StrataProcess;
  let prom: PrometheusProcess | null = null;
  let skip: string | null = null;

  beforeAll(async () => {
    dir = tempDir('strata-admin-tsdb-');
    fs.writeFileSync(path.join(dir, 'strata.yml'), 'self_monitoring: { enabled: false }\nnotifier: { enabled: false }\n');
    strata = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
    expect((await writeSeries(strata.url, data())).status).toBe(204);
    skip = await prometheusForComparison('the Prometheus comparison');
    if (skip) return;
    prom = await startPrometheus(path.join(dir, 'prom'), 30_000, undefined, ['--web.enable-admin-api']);
    expect((await writeSeries(prom.url, data())).status).toBe(204);
  }, 120_000);

  afterAll(async () => {
    await strata?.stop();
    await prom?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad delete_series requests as Prometheus does', async () => {
    const cases: { params: Record<string, string>; method?: string; status: number; error?: string }[] = [
      { params: {}, status: 400, error: 'no match[] parameter provided' },
      { params: { 'match[]': 'up{' }, status: 400, error: 'invalid parameter "match[]": 1:4: parse error: unexpected end of input inside braces' },
      // Prometheus: `1:5: parse error: unexpected "("`; Strata's selector parser says what it expected instead.
      { params: { 'match[]': 'rate(up[5m])' }, status: 400, error: 'invalid parameter "match[]": ' },
      { params: { 'match[]': 'up', start: 'x' }, status: 400, error: 'cannot parse "x" to a valid timestamp' },
      { params: { 'match[]': 'up', end: 'yy' }, status: 400, error: 'cannot parse "yy" to a valid timestamp' },
      { params: { 'match[]': 'up' }, method: 'GET', status: 405 },
    ];
    for (const c of cases) {
      for (const url of prom ? [strata.url, prom.url] : [strata.url]) {
        const r = await admin(url, 'delete_series', c.params, c.method);
        const text = await r.text();
        expect({ url, ...c, status: r.status }).toEqual({ url, ...c });
        if (c.error) {
          const body = JSON.parse(text);
          expect(body.errorType).toBe('bad_data');
          // Strata's messages may add a hint after Prometheus' text (e.g. the time formats it takes).
          expect(body.error).toContain(c.error);
        }
      }
    }
    // Differences on purpose (src/api/admin.ts): a selector matching the empty string everywhere
    // would delete every series, and end before start would delete nothing: Strata refuses both,
    // Prometheus 2.42 answers 204.
    const all = await admin(strata.url, 'delete_series', { 'match[]': '{i=~".*"}' });
    expect(all.status).toBe(400);
    expect(((await all.json()) as { error: string }).error).toContain('at least one non-empty matcher');
    const backwards = await admin(strata.url, 'delete_series', { 'match[]': 'm', start: '10', end: '5' });
    expect(backwards.status).toBe(400);
    expect(((await backwards.json()) as { error: string }).error).toContain('end timestamp must not be before start time');
    // skip_head is a Go boolean.
    for (const url of prom ? [strata.url, prom.url] : [strata.url]) {
      const r = await admin(url, 'snapshot', { skip_head: 'maybe' });
      expect(r.status).toBe(400);
      expect(((await r.json()) as { error: string }).error).toContain('invalid parameter "skip_head": unable to parse boolean');
    }
    expect(await seriesOf(strata.url)).toEqual(['0', '1', '2']);
  });

  it('deletes ranges and whole series with the same results as Prometheus, kept by snapshots and clean_tombstones', async () => {
    const before = await rangeOf(strata.url, 'm');
    if (prom) expect(await rangeOf(prom.url, 'm')).toEqual(before);

    const deletes: Record<string, string | string[]>[] = [
      { 'match[]': 'm{i="0"}', start: sec(START + 10 * 60_000), end: sec(START + 20 * 60_000) },
      { 'match[]': ['m{i="1"}', 'nothing_matches'] }, // all time
    ];
    for (const [n, params] of deletes.entries()) {
      for (const url of prom ? [strata.url, prom.url] : [strata.url]) {
        // PUT with the parameters in a form body (the first), or in the query string.
        const r = n === 0
          ? await fetch(`${url}/api/v1/admin/tsdb/delete_series`, {
            method: 'PUT', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: query(params),
          })
          : await admin(url, 'delete_series', params, 'PUT');
        expect(r.status).toBe(204);
        expect(await r.text()).toBe('');
      }
    }
    const after = await rangeOf(strata.url, 'm');
    expect(after.map((s) => s.metric.i)).toEqual(['0', '2']);
    // i="0" lost the samples of [10m, 20m], values 40 to 80: no step shows one of them.
    expect(after[0].values.map(([, v]) => Number(v)).filter((v) => v >= 40 && v <= 80)).toEqual([]);
    expect(after[0].values.length).toBeLessThan(before[0].values.length);
    expect(after[1]).toEqual(before[2]);
    if (prom) expect(await rangeOf(prom.url, 'm')).toEqual(after);
    // A series left without samples is not listed by /api/v1/series, nor one without samples in
    // the range asked for. Prometheus 2.42 still lists i="1" here (its series lookup reads the
    // index, not the samples) until its head is compacted.
    expect(await seriesOf(strata.url)).toEqual(['0', '2']);
    const inside = [START + 11 * 60_000, START + 19 * 60_000] as const;
    expect(await seriesOf(strata.url, ...inside)).toEqual(['2']);
    // export and federate do not return deleted samples either.
    const exp = parseExport(await (await fetch(`${strata.url}/api/v1/export?${query({ 'match[]': 'm' })}`)).text());
    expect(exp.map((s) => [s.metric.i, s.timestamps.length])).toEqual([['0', 201 - 41], ['2', 201]]);
    const fed = await (await fetch(`${strata.url}/federate?${query({ 'match[]': 'm{i="1"}' })}`)).text();
    expect(fed).not.toContain('i="1"');
    // Label values read the index, in Prometheus as here: a deleted series' values stay listed
    // until the head is persisted and its block rewritten (compaction or clean_tombstones).
    const values = async (url: string) => (await getJson(`${url}/api/v1/label/i/values`)).body.data as string[];
    expect(await values(strata.url)).toEqual(['0', '1', '2']);
    if (prom) expect(await values(prom.url)).toEqual(['0', '1', '2']);
    // Remote read returns the same samples as Prometheus' (no deleted ones).
    const readAll = async (url: string) => {
      const r = await postRead(url, encodeReadRequest([{ start: START, end: END, matchers: [[EQ, '__name__', 'm']] }], [SAMPLES]));
      expect(r.status).toBe(200);
      return decodeReadResponse(r.body)[0].sort((a, b) => (a.labels.i < b.labels.i ? -1 : 1));
    };
    const remote = await readAll(strata.url);
    expect(remote.map((x) => [x.labels.i, x.samples.length])).toEqual([['0', 201 - 41], ['2', 201]]);
    // Prometheus 2.42 also answers i="1" with no samples (the series is still in its head's
    // index); Strata leaves out a series without samples, as its other reads do.
    if (prom) expect((await readAll(prom.url)).filter((x) => x.samples.length > 0)).toEqual(remote);

    // A snapshot of the head (with its deletions) is a data dir serving the same data.
    const snap = await admin(strata.url, 'snapshot');
    expect(snap.status).toBe(200);
    const { data: { name } } = (await snap.json()) as { data: { name: string } };
    expect(name).toMatch(/^\d{8}T\d{6}Z-[0-9a-f]{16}$/);
    const snapDir = path.join(dir, 'data', 'snapshots', name);
    const copy = await startStrata({ dataDir: snapDir, args: ['--config', path.join(dir, 'strata.yml')] });
    try {
      expect(await rangeOf(copy.url, 'm')).toEqual(after);
      expect(await seriesOf(copy.url)).toEqual(['0', '2']);
    } finally {
      await copy.stop();
    }

    // Flushed into a block, the deletions are the block's tombstones; clean_tombstones rewrites it.
    const flushed = await fetch(`${strata.url}/api/v1/admin/tsdb/flush`, { method: 'POST' });
    expect(flushed.status).toBe(200);
    const blocksWithTombstones = () => fs.readdirSync(path.join(dir, 'data')).filter((n) => /^[0-9A-Z]{26}$/.test(n) &&
      fs.existsSync(path.join(dir, 'data', n, 'tombstones')));
    // One block per 2 h range the data touches (it crosses a boundary when the test runs within
    // ~50 minutes after an even UTC hour); each holds some of the wholly deleted i="1".
    const ranges = Math.floor(END / (2 * 3600_000)) - Math.floor(START / (2 * 3600_000)) + 1;
    expect(blocksWithTombstones()).toHaveLength(ranges);
    expect(await rangeOf(strata.url, 'm')).toEqual(after);
    for (const url of prom ? [strata.url, prom.url] : [strata.url]) {
      const r = await admin(url, 'clean_tombstones');
      expect(r.status).toBe(204);
    }
    expect(blocksWithTombstones()).toEqual([]);
    expect(await values(strata.url)).toEqual(['0', '2']);
    expect(await rangeOf(strata.url, 'm')).toEqual(after);
    if (prom) expect(await rangeOf(prom.url, 'm')).toEqual(after);
    expect(await seriesOf(strata.url)).toEqual(['0', '2']);
  }, 60_000);
});
