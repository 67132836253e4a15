// A scraped sample older than the head accepts (an exporter exposing a stale timestamp): dropped
// alone and counted in prometheus_target_scrapes_sample_out_of_bounds_total, the rest of the
// scrape stored and the target up, as Prometheus' scrape loop does. (Pushes refuse the whole
// request instead, as Prometheus' remote-write receiver does: src/tsdb/head/batchrepeats.test.ts.)
import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { getJson, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

let dir: string;
let s: StrataProcess;
let target: Server;
let body = 'fresh 1\n';

beforeAll(async () => {
  dir = tempDir('strata-scrape-too-old-');
  target = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(body);
  });
  await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
  const addr = `127.0.0.1:${(target.address() as AddressInfo).port}`;
  fs.writeFileSync(path.join(dir, 'strata.yml'), [
    'global: { scrape_interval: 200ms }',
    `scrape_configs: [{ job_name: app, static_configs: [{ targets: ["${addr}"] }] }]`,
    'self_monitoring: { enabled: false }',
  ].join('\n'));
  s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });
}, 60_000);

afterAll(async () => {
  await s?.stop();
  await new Promise<void>((r) => (target ? target.close(() => r()) : r()));
  fs.rmSync(dir, { recursive: true, force: true });
});

const outOfBounds = async (): Promise<number> => {
  const text = await (await fetch(`${s.url}/metrics`)).text();
  const m = /^prometheus_target_scrapes_sample_out_of_bounds_total (\S+)$/m.exec(text);
  return m ? Number(m[1]) : NaN;
};
const instant = async (q: string) => (await getJson(`${s.url}/api/v1/query?query=${encodeURIComponent(q)}`)).body.data.result as unknown[];

it('drops a sample older than the head accepts, counts it, and stores the rest with the target up', async () => {
  // The head holds samples up to now first, so that 3 h ago is below what it accepts (now - 1 h).
  await until('the first scrape stored', async () => (await instant('fresh')).length === 1);
  expect(await outOfBounds()).toBe(0);
  const before = Date.now();
  body = `fresh 1\nold 1 ${Date.now() - 3 * 3600_000}\nalso_fresh 2\n`;
  await until('an out-of-bounds sample counted', async () => (await outOfBounds()) > 0);
  const t = await until('a scrape of the new body finished', async () => {
    const app = (await getJson(`${s.url}/api/v1/targets`)).body.data.activeTargets[0];
    return Date.parse(app.lastScrape) > before ? app : undefined;
  });
  expect(t).toMatchObject({ health: 'up', lastError: '' });
  expect(await instant('also_fresh')).toHaveLength(1);
  expect(await instant('old[4h]')).toEqual([]);
  expect(await instant('up')).toMatchObject([{ value: [expect.any(Number), '1'] }]);
});
