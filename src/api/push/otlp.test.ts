// Every OTLP/HTTP failure answered with a google.rpc.Status in the request's encoding, as the
// OTLP/HTTP spec requires of all 4xx and 5xx bodies: also the refusals that happen before the
// OTLP handler runs (the write admission queue full or timed out, the DB not open yet), which
// other protocols answer in plain text or the API's JSON. Payload refusals (400, 413, 415) and a
// storage-limit 429 are covered end to end in test/push.test.ts.
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ErrorType } from '../http.ts';
import { createWriteAdmission, type WriteDeps } from '../write.ts';
import { handleOtlpMetrics } from './otlp.ts';

const noCounter = { inc: () => {} };
const servers: http.Server[] = [];

afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
});

/**
 * A server whose /hold requests take the only write slot until `release()`, and whose other
 * requests are OTLP writes; `dbOpen: false` makes the DB refuse as while it starts.
 */
async function serve(opts: { queue: number; timeoutMs: number; dbOpen: boolean }) {
  let releaseHold = () => {};
  const held = new Promise<void>((r) => (releaseHold = r));
  const deps = {
    db: () => {
      if (!opts.dbOpen) throw new ApiError(503, ErrorType.unavailable, 'Strata is starting (replaying the write-ahead log); try again shortly');
      return {};
    },
    metrics: { writeRejected: noCounter, pushRequests: noCounter, remoteWriteRequests: noCounter },
    maxRequestBytes: 1 << 20,
    maxDecodedBytes: 1 << 20,
  } as unknown as WriteDeps;
  const admit = createWriteAdmission(deps, { max: 1, queue: opts.queue, timeoutMs: opts.timeoutMs });
  const server = http.createServer((req, res) => {
    const ctx = { req, res, url: new URL(req.url ?? '/', 'http://x'), pathParams: {} };
    const run = ctx.url.pathname === '/hold' ? () => held.then(() => void res.writeHead(204).end()) : () => handleOtlpMetrics(ctx, deps);
    admit(ctx, 'otlp', run).catch((e: unknown) => void res.writeHead(500).end(String(e)));
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { base, release: () => releaseHold() };
}

const post = (base: string, contentType: string, path = '/v1/metrics') =>
  fetch(`${base}${path}`, { method: 'POST', headers: { 'Content-Type': contentType }, body: contentType === 'application/json' ? '{}' : Buffer.alloc(0) });

/** google.rpc.Status from protobuf: code (field 1, varint) and message (field 2, bytes). */
function decodeStatus(b: Buffer): { code: number; message: string } {
  const out = { code: 0, message: '' };
  let i = 0;
  while (i < b.length) {
    const key = b[i++];
    let v = 0;
    for (let shift = 0; ; shift += 7) {
      const x = b[i++];
      v += (x & 0x7f) * 2 ** shift;
      if (x < 0x80) break;
    }
    if (key === 0x08) out.code = v;
    else if (key === 0x12) {
      out.message = b.subarray(i, i + v).toString('utf8');
      i += v;
    } else throw new Error(`unexpected field key ${key}`);
  }
  return out;
}

async function status(r: Response): Promise<{ code: number; message: string }> {
  const type = r.headers.get('content-type');
  if (type === 'application/json') return (await r.json()) as { code: number; message: string };
  expect(type).toBe('application/x-protobuf');
  return decodeStatus(Buffer.from(await r.arrayBuffer()));
}

describe('OTLP failures before the handler, as google.rpc.Status', () => {
  it.each(['application/json', 'application/x-protobuf'])('a full queue (429) and a queue timeout (503), %s', async (type) => {
    const s = await serve({ queue: 1, timeoutMs: 300, dbOpen: true });
    const hold = fetch(`${s.base}/hold`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 50));
    const waiting = post(s.base, type);
    await new Promise((r) => setTimeout(r, 50));

    const full = await post(s.base, type);
    expect(full.status).toBe(429);
    expect(full.headers.get('content-type')).toBe(type);
    expect(full.headers.get('retry-after')).toBe('1');
    expect(await status(full)).toEqual({ code: 8, message: expect.stringMatching(/^Strata is overloaded .*server\.max_concurrent_writes/) });

    const timedOut = await waiting;
    expect(timedOut.status).toBe(503);
    expect(timedOut.headers.get('content-type')).toBe(type);
    expect(timedOut.headers.get('retry-after')).toBe('1');
    expect(await status(timedOut)).toEqual({ code: 14, message: expect.stringMatching(/^Strata is overloaded \(waited 300 ms, server\.write_queue_timeout/) });

    s.release();
    expect((await hold).status).toBe(204);
  });

  it.each(['application/json', 'application/x-protobuf'])('the DB not open yet (503), %s', async (type) => {
    const s = await serve({ queue: 1, timeoutMs: 1000, dbOpen: false });
    const r = await post(s.base, type);
    expect(r.status).toBe(503);
    expect(r.headers.get('content-type')).toBe(type);
    expect(r.headers.get('retry-after')).toBe('1');
    expect(await status(r)).toEqual({ code: 14, message: 'Strata is starting (replaying the write-ahead log); try again shortly' });
  });

  it('a payload refusal keeps the same shape (400, JSON and protobuf)', async () => {
    const s = await serve({ queue: 1, timeoutMs: 1000, dbOpen: true });
    const bad = await fetch(`${s.base}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"resourceMetrics": 5}' });
    expect(bad.status).toBe(400);
    expect(await status(bad)).toEqual({ code: 3, message: expect.any(String) });
    const badProto = await fetch(`${s.base}/v1/metrics`, { method: 'POST', headers: { 'Content-Type': 'application/x-protobuf' }, body: Buffer.from([0x0a, 0x05, 0x01]) });
    expect(badProto.status).toBe(400);
    expect((await status(badProto)).code).toBe(3);
  });
});
