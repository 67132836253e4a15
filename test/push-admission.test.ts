// Write admission (src/api/admission.ts) for every protocol that goes through it besides remote
// write (tested in push.test.ts): OTLP/HTTP, the Influx line protocol, the Pushgateway API and
// /api/v1/import/prometheus. Through the real server with one write slot and a queue of one: a
// request that waits past write_queue_timeout gets 503, one finding the queue full gets 429, both
// with Retry-After and counted by protocol and reason; the request that waited in the queue is
// stored once the slot frees, the refused ones store nothing, and a refused one sent again is
// stored.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { metricValue, parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const T = Math.floor((Date.now() - 60_000) / 1000) * 1000;

type Protocol = 'otlp' | 'influx' | 'pushgateway' | 'import';

let s: StrataProcess;
let dir: string;

beforeAll(async () => {
  dir = tempDir();
  const cfg = path.join(dir, 'strata.yml');
  fs.writeFileSync(cfg, 'server:\n  max_concurrent_writes: 1\n  write_queue_length: 1\n  write_queue_timeout: 1s\n');
  s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
});

afterAll(async () => {
  await s?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** One write of the series `name` (value 1) in the protocol's own shape. */
function write(protocol: Protocol, name: string): Promise<Response> {
  switch (protocol) {
    case 'influx':
      return fetch(`${s.url}/write?precision=ms`, { method: 'POST', body: `${name} value=1 ${T}\n` });
    case 'otlp':
      return fetch(`${s.url}/api/v1/otlp/v1/metrics`, {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [{ name, gauge: { dataPoints: [{ asDouble: 1, timeUnixNano: `${T}000000` }] } }] }] }] }),
      });
    case 'pushgateway':
      return fetch(`${s.url}/metrics/job/${name}`, { method: 'PUT', headers: { 'Content-Type': 'text/plain; version=0.0.4' }, body: `${name} 1\n` });
    case 'import':
      return fetch(`${s.url}/api/v1/import/prometheus`, { method: 'POST', body: `${name} 1 ${T}\n` });
  }
}

/**
 * Takes the only write slot with an Influx write whose body has not ended, and makes sure it has
 * it: a remote-write probe that then waits out the queue timeout (503) proves it (one sent before
 * the holder was admitted passes at once).
 */
async function holdSlot(series: string): Promise<{ release(): Promise<number> }> {
  const url = new URL(`${s.url}/write?precision=ms`);
  const req = http.request({ host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: 'POST' });
  const answer = new Promise<number>((resolve, reject) => {
    req.on('response', (res) => {
      res.resume();
      resolve(res.statusCode!);
    });
    req.on('error', reject);
  });
  req.write(`${series} value=1 ${T}\n`);
  for (let i = 0; ; i++) {
    const probe = await fetch(`${s.url}/api/v1/write`, {
      method: 'POST', headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' }, body: snappy.compressSync(Buffer.alloc(0)),
    });
    await probe.text();
    if (probe.status === 503) break;
    expect(probe.status).toBe(204);
    if (i > 100) throw new Error('the holding write never got the slot');
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    release: () => {
      req.end();
      return answer;
    },
  };
}

async function storedNames(): Promise<Set<string>> {
  const r = await fetch(`${s.url}/api/v1/export?${query({ 'match[]': '{__name__=~"adm_.*"}' })}`);
  expect(r.status).toBe(200);
  return new Set(parseExport(await r.text()).map((e) => e.metric.__name__));
}

describe('write admission for OTLP, Influx, Pushgateway and import', () => {
  it.each<Protocol>(['otlp', 'influx', 'pushgateway', 'import'])('%s: 503 after the queue timeout, 429 on a full queue, counted; the queued write is stored, the refused ones are not', async (p) => {
    const holder = await holdSlot(`adm_hold_${p}`);

    // Alone in the queue, behind the held slot: given up after write_queue_timeout.
    const started = Date.now();
    const timedOut = await write(p, `adm_timeout_${p}`);
    expect(timedOut.status).toBe(503);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(timedOut.headers.get('retry-after')).toBe('1');
    expect(await timedOut.text()).toMatch(/overloaded \(waited 1000 ms, server\.write_queue_timeout/);

    // One waits in the queue; the next finds it full and is refused at once.
    const queued = write(p, `adm_queued_${p}`);
    await new Promise((r) => setTimeout(r, 150));
    const refused = await write(p, `adm_refused_${p}`);
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('1');
    expect(await refused.text()).toMatch(/overloaded .*server\.max_concurrent_writes and server\.write_queue_length/);

    // The slot frees: the holder and the queued write are answered and stored.
    expect(await holder.release()).toBe(204);
    const q = await queued;
    await q.text();
    expect(q.status).toBeGreaterThanOrEqual(200);
    expect(q.status).toBeLessThan(300);

    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(text, `strata_write_rejected_total{protocol="${p}",reason="queue_timeout"}`)).toBe(1);
    expect(metricValue(text, `strata_write_rejected_total{protocol="${p}",reason="overloaded"}`)).toBe(1);
    expect(metricValue(text, `strata_push_requests_total{protocol="${p}",code="503"}`)).toBe(1);
    expect(metricValue(text, `strata_push_requests_total{protocol="${p}",code="429"}`)).toBe(1);

    let names = await storedNames();
    expect([`adm_hold_${p}`, `adm_queued_${p}`, `adm_timeout_${p}`, `adm_refused_${p}`].map((n) => [n, names.has(n)]))
      .toEqual([[`adm_hold_${p}`, true], [`adm_queued_${p}`, true], [`adm_timeout_${p}`, false], [`adm_refused_${p}`, false]]);

    // Sent again with the slot free, a refused write is taken.
    const again = await write(p, `adm_refused_${p}`);
    await again.text();
    expect(again.ok).toBe(true);
    names = await storedNames();
    expect(names.has(`adm_refused_${p}`)).toBe(true);
  }, 30_000);
});
