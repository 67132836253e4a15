import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { uncompressSync } from 'snappy';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWriteRequest } from '../ingest/index.ts';
import { SampleBatchBuilder, isStaleNaN, labelsFromRecord } from '../model/index.ts';
import { encodeWriteRequest } from './encode.ts';
import { DiskQueue } from './queue.ts';
import { Sender, backoff } from './sender.ts';

const cleanup: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function batch(n: number) {
  const b = new SampleBatchBuilder();
  b.startSeries(labelsFromRecord({ __name__: 'm', n: String(n) }));
  b.add(n, n);
  return encodeWriteRequest(b.build());
}

describe('Sender', () => {
  it('retries 5xx, 429 and refused connections in order, and drops only on other 4xx', async () => {
    // Answers per request: record 1 gets 503 then 429 then 200; record 2 gets 400 (dropped); then 200s.
    const script = [503, 429, 200, 400];
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        expect(req.headers['content-encoding']).toBe('snappy');
        const wr = decodeWriteRequest(uncompressSync(Buffer.concat(chunks)) as Buffer);
        const status = script.shift() ?? 200;
        seen.push(`${wr.batch.series[0][3]}:${status}`);
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => srv.close(() => r())));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sender-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    for (let i = 1; i <= 4; i++) q.append(batch(i), 1);
    // maxRequestBytes 1: one record per request.
    const s = new Sender(q, { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, timeoutMs: 1000, minBackoffMs: 5, maxRequestBytes: 1, maxBackoffMs: 20 });
    cleanup.push(() => s.stop());
    const deadline = Date.now() + 5000;
    while (q.stats.pendingRecords > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['1:503', '1:429', '1:200', '2:400', '3:200', '4:200']);
    expect(s.stats).toMatchObject({ sentSamples: 3, sentRequests: 3, retries: 2, rejectedSamples: 1 });
    // Every answered attempt is timed, in cumulative-ready per-bucket counts.
    expect(s.stats.sendDuration.count).toBe(6);
    expect(s.stats.sendDuration.buckets.reduce((a, b) => a + b, 0)).toBe(6);
  });

  it('moves to a new URL at once, in the middle of a long backoff, and delivers there in order', async () => {
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const wr = decodeWriteRequest(uncompressSync(Buffer.concat(chunks)) as Buffer);
        for (const ls of wr.batch.series) seen.push(ls[3]);
        res.writeHead(204);
        res.end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => srv.close(() => r())));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sender-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    for (let i = 1; i <= 3; i++) q.append(batch(i), 1);
    // Nothing listens on port 1; after the first failure the sender waits at least 5 minutes.
    const opts = { url: 'http://127.0.0.1:1/', timeoutMs: 1000, minBackoffMs: 600_000, maxBackoffMs: 600_000 };
    const s = new Sender(q, opts);
    cleanup.push(() => s.stop());
    while (s.stats.retries === 0) await new Promise((r) => setTimeout(r, 5));
    s.setOptions({ ...opts, url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/` });
    while (q.stats.pendingRecords > 0) await new Promise((r) => setTimeout(r, 5)); // the test's timeout bounds this
    expect(seen).toEqual(['1', '2', '3']);
    expect(s.stats).toMatchObject({ retries: 1, sentSamples: 3 });
  });

  it('combines a backlog into one request, and isolates the refused record when the server refuses the combination', async () => {
    const seen: string[] = [];
    const srv = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const wr = decodeWriteRequest(uncompressSync(Buffer.concat(chunks)) as Buffer);
        const ns = wr.batch.series.map((ls) => ls[3]);
        const status = ns.includes('2') ? 400 : 200;
        seen.push(`${ns.join(',')}:${status}`);
        res.writeHead(status);
        res.end();
      });
    });
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
    cleanup.push(() => new Promise<void>((r) => srv.close(() => r())));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sender-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    for (let i = 1; i <= 4; i++) q.append(batch(i), 1);
    for (let i = 5; i <= 6; i++) q.append(batch(i), 1);
    const s = new Sender(q, { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, timeoutMs: 1000, minBackoffMs: 5, maxBackoffMs: 20 });
    cleanup.push(() => s.stop());
    const deadline = Date.now() + 5000;
    while (q.stats.pendingRecords > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen).toEqual(['1,2,3,4,5,6:400', '1:200', '2:400', '3:200', '4:200', '5:200', '6:200']);
    expect(s.stats).toMatchObject({ sentSamples: 5, rejectedSamples: 1, retries: 0 });
    for (let i = 7; i <= 9; i++) q.append(batch(i), 1);
    while (q.stats.pendingRecords > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(seen.slice(7).join(' ')).toMatch(/^7(,8)?(,9)?:200/);
  });

  it('keeps retrying while nothing listens, without losing the record', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sender-'));
    cleanup.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const q = new DiskQueue({ dir, maxBytes: 1 << 20, segmentBytes: 1 << 16 });
    q.append(batch(1), 1);
    const s = new Sender(q, { url: 'http://127.0.0.1:1/', timeoutMs: 500, minBackoffMs: 5, maxBackoffMs: 10 });
    await new Promise((r) => setTimeout(r, 150));
    await s.stop();
    expect(s.stats.retries).toBeGreaterThan(2);
    expect(q.stats.pendingRecords).toBe(1);
    q.close();
  });

  it('backs off exponentially with jitter up to the cap', () => {
    for (let n = 1; n <= 40; n++) {
      const d = Math.min(30_000, 100 * 2 ** (n - 1));
      const b = backoff(n, 100, 30_000);
      expect(b).toBeGreaterThanOrEqual(d / 2);
      expect(b).toBeLessThanOrEqual(d);
    }
  });
});

describe('encodeWriteRequest', () => {
  it('round-trips labels, negative and large timestamps, and the staleness marker through the server decoder', () => {
    const b = new SampleBatchBuilder();
    b.startSeries(labelsFromRecord({ __name__: 'métrique', le: '+Inf' }));
    b.add(-5, 1.5);
    b.add(2 ** 52 + 3, Number.NaN);
    b.startSeries(labelsFromRecord({ __name__: 'stale' }));
    const stale = new Float64Array(new BigUint64Array([0x7ff0000000000002n]).buffer)[0];
    b.add(1700000000000, stale);
    const got = decodeWriteRequest(encodeWriteRequest(b.build())).batch;
    expect(got.series).toEqual([['__name__', 'métrique', 'le', '+Inf'], ['__name__', 'stale']]);
    expect([...got.timestamps]).toEqual([-5, 2 ** 52 + 3, 1700000000000]);
    expect(got.values[0]).toBe(1.5);
    expect(Number.isNaN(got.values[1]) && !isStaleNaN(got.values[1])).toBe(true);
    expect(isStaleNaN(got.values[2])).toBe(true);
  });

  it('writes the same bytes when a label set comes again (from its cache) as the first time', () => {
    const ls = labelsFromRecord({ __name__: 'up', job: 'node', instance: 'ünïcode:9100' });
    const round = (v: number) => {
      const b = new SampleBatchBuilder();
      b.startSeries(ls);
      b.add(1000 + v, v);
      b.startSeries(labelsFromRecord({ __name__: 'up', job: 'other', instance: 'ünïcode:9100' })); // a new array every round
      b.add(1000 + v, v);
      return encodeWriteRequest(b.build());
    };
    const first = round(1);
    expect(Buffer.from(round(1)).equals(Buffer.from(first))).toBe(true);
    const got = decodeWriteRequest(round(2)).batch;
    expect(got.series).toEqual([ls, labelsFromRecord({ __name__: 'up', job: 'other', instance: 'ünïcode:9100' })]);
    expect([...got.values]).toEqual([2, 2]);
  });
});
