// A storage read that is too big for its query: a timeout or a client that goes away stops the
// read itself (not just the wait for it), and while it runs the server goes on answering other
// requests. The API and the real engine run in this process over a DB with 300,000 series, so
// one read of all their samples (BIG) takes about a second here; each test measures that first and
// sets its timeouts and expectations relative to it.
import * as fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApi, createServerMetrics, type Api } from '../src/api/index.ts';
import { defaultConfig } from '../src/config/index.ts';
import { labelsFromRecord } from '../src/model/index.ts';
import { openDB, ReadAbortedError, type DB, type Querier } from '../src/tsdb/index.ts';
import { encodeWriteRequest, postWrite } from './helpers/remotewrite.ts';

const silent = pino({ level: 'silent' });
const SERIES = 300_000;
const NOW = Date.now();
/**
 * Reads every sample of every series: a range selector, as an instant selector reads only each
 * series' newest sample (no decoding in the head).
 */
const BIG = encodeURIComponent('count(count_over_time(big[5m]))');

/** How one storage select ended: ms after it started, at (performance.now()), its error. */
interface ReadOutcome {
  ms: number;
  at: number;
  error?: unknown;
}

describe('reads stop with their query and leave the event loop to others', () => {
  let dir: string;
  let db: DB;
  const servers: Server[] = [];
  /** Ends of the selects of `big` since the test began, in order of start. */
  let reads: Promise<ReadOutcome>[] = [];
  let readStarted: () => void = () => {};

  /** An API over the DB (its reads observed) with this query timeout, served on a port. */
  async function serve(query: { timeoutMs?: number; maxSamples?: number } = {}): Promise<{ api: Api; url: string }> {
    const config = defaultConfig();
    config.storage.path = dir;
    config.selfMonitoring.enabled = false;
    Object.assign(config.query, query);
    const api = createApi({ config, logger: silent, metrics: createServerMetrics(() => null, 'test'), version: 'test' });
    api.setReady(db);
    const server = createServer(api.handle);
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { api, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
  }

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-read-abort-'));
    db = await openDB({ dir, logger: silent, retentionMs: 0, walFsync: 'never' });
    const series = Array.from({ length: SERIES }, (_, i) => labelsFromRecord({ __name__: 'big', i: String(i) }));
    const offsets = Uint32Array.from({ length: SERIES + 1 }, (_, i) => i);
    for (const t of [NOW - 60_000, NOW - 30_000]) {
      await db.append({ series, offsets, timestamps: new Float64Array(SERIES).fill(t), values: new Float64Array(SERIES).fill(1) });
    }
    const querier = db.querier.bind(db);
    db.querier = (): Querier => {
      const q = querier();
      return {
        ...q,
        select(matchers, mint, maxt, hints, ctx) {
          const p = q.select(matchers, mint, maxt, hints, ctx);
          if (matchers.some((m) => m.value === 'big') && !matchers.some((m) => m.name === 'i')) {
            const began = performance.now();
            const end = (error?: unknown): ReadOutcome => ({ ms: performance.now() - began, at: performance.now(), error });
            reads.push(p.then(() => end(), end));
            readStarted();
          }
          return p;
        },
      };
    };
  }, 60_000);

  afterAll(async () => {
    for (const s of servers) s.close();
    await db?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const started = () => new Promise<void>((r) => (readStarted = r));

  /** The whole read and query, for comparison: its read's duration. */
  async function fullRead(url: string): Promise<number> {
    reads = [];
    const r = await fetch(`${url}/api/v1/query?query=${BIG}&time=${NOW / 1000}`);
    const body = (await r.json()) as any;
    expect(r.status).toBe(200);
    expect(body.data.result[0].value[1]).toBe(String(SERIES));
    expect(reads).toHaveLength(1);
    const { ms, error } = await reads[0];
    expect(error).toBeUndefined();
    return ms;
  }

  it('answers a query timeout (the timeout parameter) with 503 long before the read would end, and the read stops', async () => {
    const { url } = await serve();
    const full = await fullRead(url);
    reads = [];
    const t0 = performance.now();
    const r = await fetch(`${url}/api/v1/query?query=${BIG}&time=${NOW / 1000}&timeout=${(full / 10 / 1000).toFixed(3)}`);
    const took = performance.now() - t0;
    expect(r.status).toBe(503);
    expect(await r.json()).toEqual({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' });
    expect(took).toBeLessThan(full / 2);
    const read = await reads[0];
    expect(read.error).toBeInstanceOf(ReadAbortedError);
    expect(read.ms).toBeLessThan(full / 2);
  }, 60_000);

  it('stops the read at the engine timeout (query.timeout) with 503 timeout', async () => {
    const { url: unlimited } = await serve();
    const full = await fullRead(unlimited);
    const { url } = await serve({ timeoutMs: Math.round(full / 10) });
    reads = [];
    const r = await fetch(`${url}/api/v1/query?query=${BIG}&time=${NOW / 1000}`);
    expect(r.status).toBe(503);
    expect(((await r.json()) as any).errorType).toBe('timeout');
    const read = await reads[0];
    expect((read.error as ReadAbortedError).reason).toBe('timeout');
    expect(read.ms).toBeLessThan(full / 2);
  }, 60_000);

  it('stops the read once it loaded more samples than query.max_samples allows (422)', async () => {
    const { url } = await serve({ maxSamples: 10_000 });
    const { url: unlimited } = await serve();
    const full = await fullRead(unlimited);
    reads = [];
    const r = await fetch(`${url}/api/v1/query?query=${BIG}&time=${NOW / 1000}`);
    expect(r.status).toBe(422);
    expect(await r.json()).toEqual({
      status: 'error', errorType: 'execution', error: 'query processing would load too many samples into memory in query execution',
    });
    const read = await reads[0];
    expect((read.error as ReadAbortedError).reason).toBe('too_many_samples');
    expect(read.ms).toBeLessThan(full / 2);
  }, 60_000);

  /** Requests `pathAndQuery`, closes the connection a tenth into the read: the read must stop early. */
  async function closeDuringRead(pathAndQuery: string): Promise<void> {
    const { api, url } = await serve();
    const full = await fullRead(url);
    reads = [];
    const reading = started();
    const req = request(`${url}${pathAndQuery}`);
    req.on('error', () => {});
    req.end();
    await reading;
    await new Promise((r) => setTimeout(r, full / 10));
    req.destroy();
    const read = await reads[0];
    expect((read.error as ReadAbortedError).reason).toBe('canceled');
    expect(read.ms).toBeLessThan(full / 2);
    await api.idle();
  }

  it('stops the read when the client closes the connection', async () => {
    await closeDuringRead(`/api/v1/query?query=${BIG}&time=${NOW / 1000}`);
  }, 60_000);

  it('stops an export\'s read when the client closes the connection before the answer', async () => {
    await closeDuringRead(`/api/v1/export?match[]=big&start=${(NOW - 120_000) / 1000}&end=${NOW / 1000}`);
  }, 60_000);

  it('answers health checks, writes and small queries while a big read runs', async () => {
    const { url } = await serve();
    await fullRead(url);
    reads = [];
    const reading = started();
    const big = fetch(`${url}/api/v1/query?query=${BIG}&time=${NOW / 1000}`).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));
    await reading;
    const done = (p: Promise<Response>) => p.then(async (r) => ({ status: r.status, text: await r.text(), at: performance.now() }));
    const [healthy, write, small] = await Promise.all([
      done(fetch(`${url}/-/healthy`)),
      postWrite(url, encodeWriteRequest([{ labels: { __name__: 'other' }, samples: [[NOW - 1000, 5]] }])).then((w) => ({ ...w, at: performance.now() })),
      done(fetch(`${url}/api/v1/query?query=big{i="7"}&time=${NOW / 1000}`)),
    ]);
    const readEnd = await reads[0];
    const bigRes = await big;
    expect(readEnd.error).toBeUndefined();
    expect(bigRes.status).toBe(200);
    expect(bigRes.body.data.result[0].value[1]).toBe(String(SERIES));
    expect(healthy.status).toBe(200);
    expect(write.status).toBe(204);
    expect(small.status).toBe(200);
    expect(JSON.parse(small.text).data.result).toHaveLength(1);
    // All three were answered while the big read was still going on.
    for (const x of [healthy, write, small]) expect(x.at).toBeLessThan(readEnd.at);
  }, 60_000);
});
