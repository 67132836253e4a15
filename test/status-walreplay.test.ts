// GET /api/v1/status/walreplay as Prometheus answers it: {min, max, current} segment numbers of
// the WAL replay at start. Prometheus 2.42 answers {0, 0, 0} on a fresh data directory and
// {0, 1, 1} after a restart of one that wrote segment 0 (it writes on in a new segment); so does
// Strata, whose replay also passes through each segment (src/tsdb/wal/replaystatus.test.ts).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { writeSeries } from './helpers/remotewrite.ts';
import { getJson, startStrata, tempDir } from './helpers/server.ts';

const dir = tempDir('strata-walreplay-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

it('answers where WAL replay stood at start, fresh and after a restart with data', async () => {
  const dataDir = path.join(dir, 'data');
  const fresh = await startStrata({ dataDir, args: ['--config', '/dev/null'] });
  try {
    expect((await getJson(`${fresh.url}/api/v1/status/walreplay`)).body).toEqual({ status: 'success', data: { min: 0, max: 0, current: 0 } });
    await writeSeries(fresh.url, [{ labels: { __name__: 'x' }, samples: [[Date.now(), 1]] }]);
  } finally {
    await fresh.stop();
  }
  const restarted = await startStrata({ dataDir, args: ['--config', '/dev/null'] });
  try {
    expect((await getJson(`${restarted.url}/api/v1/status/walreplay`)).body).toEqual({ status: 'success', data: { min: 0, max: 1, current: 1 } });
  } finally {
    await restarted.stop();
  }
});
