// The TSDB admin API under kill -9: deletes, snapshots, flushes and clean_tombstones are sent
// together and the server is killed at a random moment among them, several times. Afterwards:
//  - the server starts on its own every time (a valid data dir, no manual repair);
//  - a delete that was answered 204 is complete: none of its samples is read again;
//  - series never deleted keep every sample;
//  - no unfinished snapshot is left, and the last finished one serves the data it was taken with.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeSeries, type TestSeries } from './helpers/remotewrite.ts';
import { parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';

const SERIES = 10;
const KILLS = 5;
const STEP = 10_000;
const END = Math.floor(Date.now() / 60_000) * 60_000 - 60_000;
const START = END - 50 * 60_000;
const PER_SERIES = (END - START) / STEP + 1;

function data(from: number, to: number): TestSeries[] {
  const out: TestSeries[] = [];
  for (let s = 0; s < SERIES; s++) {
    const samples: [number, number][] = [];
    for (let t = from; t <= to; t += STEP) samples.push([t, s * 1e6 + t / 1000]);
    out.push({ labels: { __name__: 'crash_admin', s: String(s) }, samples });
  }
  return out;
}

async function exported(url: string): Promise<Map<string, number>> {
  const r = await fetch(`${url}/api/v1/export?${query({ 'match[]': 'crash_admin' })}`);
  expect(r.status).toBe(200);
  return new Map(parseExport(await r.text()).map((s) => [s.metric.s, s.timestamps.length]));
}

describe('TSDB admin API under kill -9', () => {
  const dir = tempDir('strata-admin-crash-');
  const dataDir = path.join(dir, 'data');
  let server: StrataProcess | null = null;
  // Without self-monitoring nothing else writes: the head accepts the test's past 50 minutes.
  const config = path.join(dir, 'strata.yml');
  fs.writeFileSync(config, 'self_monitoring: { enabled: false }\nnotifier: { enabled: false }\n');
  const start = (d: string) => startStrata({ dataDir: d, args: ['--config', config] });

  afterAll(async () => {
    await server?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('leaves a data dir that starts, with every answered delete complete and other series whole', async () => {
    server = await start(dataDir);
    // Half the data into blocks, half in the head.
    expect((await writeSeries(server.url, data(START, START + 25 * 60_000))).status).toBe(204);
    expect((await fetch(`${server.url}/api/v1/admin/tsdb/flush`, { method: 'POST' })).status).toBe(200);
    expect((await writeSeries(server.url, data(START + 25 * 60_000 + STEP, END))).status).toBe(204);

    const deleted = new Set<string>();
    let lastSnapshot: { name: string; series: Map<string, number> } | null = null;
    for (let k = 0; k < KILLS; k++) {
      const url = server.url;
      const before = await exported(url);
      const admin = (what: string, params: Record<string, string> = {}) =>
        fetch(`${url}/api/v1/admin/tsdb/${what}?${query(params)}`, { method: 'POST' }).then(async (r) => ({ status: r.status, text: await r.text() }), () => null);
      const del = admin('delete_series', { 'match[]': `crash_admin{s="${k}"}` });
      const snap = admin('snapshot');
      const others = [admin('flush'), admin('clean_tombstones'), admin('delete_series', { 'match[]': `crash_admin{s="${k}"}`, end: String(START / 1000 + 60) })];
      // Kill somewhere among them: early ones before the first answer, later ones (the compactor
      // thread started by then) often after some or all were answered.
      await new Promise((r) => setTimeout(r, k * 250 + Math.random() * 300));
      await server.stop('SIGKILL');
      const [d, s] = await Promise.all([del, snap, ...others]);
      if (d?.status === 204) deleted.add(String(k));
      if (s?.status === 200) {
        // What the snapshot holds: the data as it was, less what an answered delete took before it.
        lastSnapshot = { name: (JSON.parse(s.text) as { data: { name: string } }).data.name, series: before };
      }

      server = await start(dataDir);
      const after = await exported(server.url);
      for (let i = 0; i < SERIES; i++) {
        const key = String(i);
        if (deleted.has(key)) expect(after.has(key), `series ${key}, delete answered 204`).toBe(false);
        else if (i >= KILLS) expect(after.get(key), `series ${key}, never deleted`).toBe(PER_SERIES);
      }
      const snaps = fs.existsSync(path.join(dataDir, 'snapshots')) ? fs.readdirSync(path.join(dataDir, 'snapshots')) : [];
      expect(snaps.filter((n) => n.endsWith('.tmp'))).toEqual([]);
    }

    if (lastSnapshot !== null) {
      // Series never deleted are whole in the snapshot, as in the data dir when it was taken.
      const copy = await start(path.join(dataDir, 'snapshots', lastSnapshot.name));
      try {
        const inSnap = await exported(copy.url);
        for (let i = KILLS; i < SERIES; i++) expect(inSnap.get(String(i))).toBe(PER_SERIES);
        for (const [key, n] of inSnap) expect(n).toBeLessThanOrEqual(lastSnapshot.series.get(key) ?? 0);
      } finally {
        await copy.stop();
      }
    }
  }, 120_000);
});
