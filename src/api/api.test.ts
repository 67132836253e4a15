import * as fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.ts';
import { labelsFromRecord, type Labels } from '../model/index.ts';
import { openDB, type DB } from '../tsdb/index.ts';
import { createApi, createServerMetrics, formatExportValue, MAX_TIME, MIN_TIME, parseTime, type Api } from './index.ts';

const silent = pino({ level: 'silent' });

interface Harness {
  api: Api;
  server: Server;
  url: string;
}

async function harness(maxRequestBytes = 1024): Promise<Harness> {
  const config = defaultConfig();
  config.server.maxRequestBytes = maxRequestBytes;
  const metrics = createServerMetrics(() => null, 'test');
  const api = createApi({ config, logger: silent, metrics });
  const server = createServer(api.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { api, server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function closeHarness(h: Harness): Promise<void> {
  h.server.closeAllConnections();
  await new Promise((r) => h.server.close(r));
}

async function get(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const r = await fetch(url, init);
  return { status: r.status, text: await r.text(), headers: r.headers };
}

/** A raw POST with node:http so the body can be sent chunked, without Content-Length. */
function rawPost(url: string, chunks: Buffer[], headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers }, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    for (const c of chunks) req.write(c);
    req.end();
  });
}

describe('routing, readiness and errors', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => closeHarness(h));

  it('is healthy at once, ready only once the DB is set, and unready again when stopping', async () => {
    expect((await get(`${h.url}/-/healthy`)).status).toBe(200);
    expect((await get(`${h.url}/-/ready`)).status).toBe(503);
    const series = await get(`${h.url}/api/v1/series?match[]=up`);
    expect(series.status).toBe(503);
    expect(JSON.parse(series.text)).toMatchObject({ status: 'error', errorType: 'unavailable' });

    h.api.setReady(fakeDB({ series: async () => [] }));
    expect((await get(`${h.url}/-/ready`)).status).toBe(200);
    expect((await get(`${h.url}/api/v1/series?match[]=up`)).status).toBe(200);

    h.api.setStopping();
    expect((await get(`${h.url}/-/ready`)).status).toBe(503);
    expect((await get(`${h.url}/-/healthy`)).status).toBe(200);
    expect((await get(`${h.url}/api/v1/labels`)).status).toBe(503);
  });

  it('answers unknown paths with 404 and wrong methods with 405 in the error envelope', async () => {
    const nf = await get(`${h.url}/api/v1/nope`);
    expect(nf.status).toBe(404);
    expect(JSON.parse(nf.text)).toEqual({ status: 'error', errorType: 'not_found', error: 'no such endpoint: GET /api/v1/nope' });
    const na = await get(`${h.url}/api/v1/write`);
    expect(na.status).toBe(405);
    expect(na.headers.get('allow')).toBe('POST');
  });

  it('serves its metrics in the Prometheus text format from its own registry', async () => {
    const m = await get(`${h.url}/metrics`);
    expect(m.status).toBe(200);
    expect(m.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(m.text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(m.text).toMatch(/^strata_http_request_duration_seconds_count\{handler="ready",code="503"\} [1-9]/m);
  });
});

describe('handlers never crash the process', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness();
  });
  afterAll(() => closeHarness(h));

  it('turns an unexpected error into a 500 and keeps serving', async () => {
    h.api.setReady(fakeDB({
      series: async () => {
        throw new Error('disk on fire');
      },
      labelNames: () => {
        throw new TypeError('sync throw');
      },
    }));
    const r = await get(`${h.url}/api/v1/series?match[]=up`);
    expect(r.status).toBe(500);
    expect(JSON.parse(r.text)).toEqual({ status: 'error', errorType: 'internal', error: 'internal error: disk on fire' });
    expect((await get(`${h.url}/api/v1/labels`)).status).toBe(500);
    expect((await get(`${h.url}/-/healthy`)).status).toBe(200);
  });
});

describe('parameters', () => {
  let h: Harness;
  let seen: { matchers: string[]; mint: number; maxt: number }[] = [];
  beforeAll(async () => {
    h = await harness(1024);
    h.api.setReady(fakeDB({
      series: async (ms, mint, maxt) => {
        seen.push({ matchers: ms.map((m) => `${m.name}${m.type}${m.value}`), mint, maxt });
        return [labelsFromRecord({ __name__: 'up', job: ms.map((m) => m.value).join('+') })];
      },
      labelValues: async () => ['a', 'b', 'c'],
    }));
  });
  afterEach(() => {
    seen = [];
  });
  afterAll(() => closeHarness(h));

  it('reads start/end as RFC3339 or unix seconds and defaults to an unbounded range', async () => {
    await get(`${h.url}/api/v1/series?match[]=up&start=2024-05-01T12:00:00.5Z&end=1714564801.25`);
    await get(`${h.url}/api/v1/series?match[]=up`);
    expect(seen).toEqual([
      { matchers: ['__name__=up'], mint: Date.UTC(2024, 4, 1, 12, 0, 0, 500), maxt: 1714564801250 },
      { matchers: ['__name__=up'], mint: MIN_TIME, maxt: MAX_TIME },
    ]);
  });

  it('accepts the parameters as a urlencoded POST body too and merges several match[]', async () => {
    const r = await get(`${h.url}/api/v1/series`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'match[]=up&match[]={job="x"}',
    });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text).data).toEqual([{ __name__: 'up', job: 'up' }, { __name__: 'up', job: 'x' }]);
  });

  it.each([
    ['/api/v1/series', 'no match[] parameter provided'],
    ['/api/v1/series?match[]=up{', 'invalid parameter "match[]"'],
    ['/api/v1/series?match[]={job=~".*"}', 'at least one non-empty matcher'],
    ['/api/v1/series?match[]=up&start=yesterday', 'invalid parameter "start": cannot parse "yesterday"'],
    ['/api/v1/series?match[]=up&start=10&end=5', 'end timestamp must not be before start time'],
    ['/api/v1/series?match[]=up&limit=-1', 'invalid parameter "limit"'],
  ])('%s is a 400 saying %s', async (p, reason) => {
    const r = await get(`${h.url}${p}`);
    expect(r.status).toBe(400);
    const body = JSON.parse(r.text);
    expect(body.status).toBe('error');
    expect(body.errorType).toBe('bad_data');
    expect(body.error).toContain(reason);
    expect(seen).toEqual([]);
  });

  it('truncates to limit with a warning', async () => {
    const r = JSON.parse((await get(`${h.url}/api/v1/label/job/values?limit=2`)).text);
    expect(r).toEqual({ status: 'success', data: ['a', 'b'], warnings: ['results truncated due to limit'] });
  });

  it('refuses a form body over the request limit with 413, from Content-Length or while reading', async () => {
    const big = Buffer.alloc(4096, 'a');
    const declared = await rawPost(`${h.url}/api/v1/series`, [big], { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': String(big.length) });
    expect(declared.status).toBe(413);
    expect(JSON.parse(declared.text).error).toMatch(/exceeds the limit of 1024 bytes/);
    const chunked = await rawPost(`${h.url}/api/v1/series`, [big.subarray(0, 800), big.subarray(800)], { 'Content-Type': 'application/x-www-form-urlencoded' });
    expect(chunked.status).toBe(413);
    expect(seen).toEqual([]);
  });
});

describe('with a real DB', () => {
  let dir: string;
  let db: DB;
  let h: Harness;
  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-api-'));
    db = await openDB({ dir, logger: silent });
    h = await harness();
    h.api.setReady(db);
    const ls = [labelsFromRecord({ __name__: 'temp', room: 'a' }), labelsFromRecord({ __name__: 'temp', room: 'b' })];
    await db.append({
      series: ls,
      offsets: Uint32Array.from([0, 3, 4]),
      timestamps: Float64Array.from([1000, 2000, 3000, 1000]),
      values: Float64Array.from([1.5, NaN, Infinity, -Infinity]),
    });
  });
  afterAll(async () => {
    await closeHarness(h);
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('exports JSON lines with non-finite values as strings, honouring start/end', async () => {
    const r = await get(`${h.url}/api/v1/export?match[]=temp`);
    expect(r.status).toBe(200);
    const lines = r.text.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { metric: { __name__: 'temp', room: 'a' }, values: [1.5, 'NaN', '+Inf'], timestamps: [1000, 2000, 3000] },
      { metric: { __name__: 'temp', room: 'b' }, values: ['-Inf'], timestamps: [1000] },
    ]);
    const ranged = await get(`${h.url}/api/v1/export?match[]=temp{room="a"}&start=1.5&end=2`);
    expect(ranged.text).toBe('{"metric":{"__name__":"temp","room":"a"},"values":["NaN"],"timestamps":[2000]}\n');
  });

  it('flushes the head into blocks on request', async () => {
    const r = await get(`${h.url}/api/v1/admin/tsdb/flush`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(JSON.parse(r.text)).toEqual({ status: 'success', data: { blocks: 1, samples: 4 } });
    const lines = (await get(`${h.url}/api/v1/export?match[]=temp`)).text.trim().split('\n');
    expect(lines).toHaveLength(2);
  });

  it('exports metric by metric, each series once across match[] sets, series without a name too', async () => {
    const ls = [labelsFromRecord({ __name__: 'hum', room: 'a' }), labelsFromRecord({ room: 'c' })];
    await db.append({ series: ls, offsets: Uint32Array.from([0, 1, 2]), timestamps: Float64Array.from([5000, 5000]), values: Float64Array.from([40, 7]) });
    const r = await get(`${h.url}/api/v1/export?match[]={room=~"a|c"}&match[]=temp`);
    expect(r.status).toBe(200);
    expect(r.text.trim().split('\n').map((l) => JSON.parse(l).metric)).toEqual([
      { __name__: 'hum', room: 'a' },
      { __name__: 'temp', room: 'a' },
      { __name__: 'temp', room: 'b' },
      { room: 'c' },
    ]);
  });
});

describe('units', () => {
  it('parses times like Prometheus', () => {
    expect(parseTime('1714564800')).toBe(1714564800000);
    expect(parseTime('1714564800.123')).toBe(1714564800123);
    expect(parseTime('-1.5')).toBe(-1500);
    expect(parseTime('2024-05-01T12:00:00+02:00')).toBe(Date.UTC(2024, 4, 1, 10));
    expect(parseTime('2024-05-01T12:00:00.123456789Z')).toBe(Date.UTC(2024, 4, 1, 12, 0, 0, 123));
    expect(parseTime('-292273086-05-16T16:47:06Z')).toBe(MIN_TIME);
    expect(parseTime('2024-05-01')).toBeNull();
    expect(parseTime('May 1 2024')).toBeNull();
  });
  it('writes export values JSON can carry', () => {
    expect([1, -0, 1e21, NaN, Infinity, -Infinity].map(formatExportValue)).toEqual(['1', '-0', '1e+21', '"NaN"', '"+Inf"', '"-Inf"']);
  });
});

// A DB whose reads are given by the test; writes are not used by these tests.
function fakeDB(q: Partial<{
  series: (ms: readonly import('../model/index.ts').Matcher[], mint: number, maxt: number) => Promise<Labels[]>;
  labelNames: () => Promise<string[]>;
  labelValues: () => Promise<string[]>;
}>): DB {
  const none = async () => [];
  return {
    querier: () => ({ select: none, series: q.series ?? none, labelNames: q.labelNames ?? none, labelValues: q.labelValues ?? none }),
    append: async () => ({ appended: 0, duplicates: 0, seriesCreated: 0, rejected: {}, errors: [] }),
    flush: async () => ({ blocks: 0, samples: 0 }),
    maintenanceIdle: async () => {},
    import: async () => {
      throw new Error('not used');
    },
    stats: () => {
      throw new Error('not used');
    },
    deleteSeries: async () => {},
    cleanTombstones: async () => {},
    snapshot: async () => 'not used',
    close: async () => {},
  } as DB;
}
