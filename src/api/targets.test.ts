import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../config/index.ts';
import { labelsFromRecord } from '../model/index.ts';
import type { TargetsSnapshot } from '../scrape/index.ts';
import { createApi, createServerMetrics } from './index.ts';

const T = Date.UTC(2026, 0, 2, 3, 4, 5, 600);

const snapshot: TargetsSnapshot = {
  active: [
    {
      scrapePool: 'node',
      target: {
        key: 'k1', job: 'node', url: 'http://localhost:9100/metrics', intervalMs: 15_000, timeoutMs: 10_000, hash: 1,
        discoveredLabels: labelsFromRecord({ __address__: 'localhost:9100', job: 'node', __meta_filepath: '/sd/a.json' }),
        labels: labelsFromRecord({ instance: 'localhost:9100', job: 'node' }),
      },
      status: { health: 'down', lastError: 'server returned HTTP status 500', lastScrape: T, lastScrapeDurationMs: 12.5 },
      metadata: () => [
        { family: 'node_cpu_seconds', type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: 'seconds' },
        { family: 'node_load1', type: 'gauge', help: '1m load average.', unit: '' },
      ],
    },
    {
      scrapePool: 'app',
      target: {
        key: 'k2', job: 'app', url: 'http://10.0.0.1:8080/metrics', intervalMs: 60_000, timeoutMs: 10_000, hash: 2,
        discoveredLabels: labelsFromRecord({ __address__: '10.0.0.1:8080', job: 'app' }),
        labels: labelsFromRecord({ instance: '10.0.0.1:8080', job: 'app' }),
      },
      status: { health: 'unknown', lastError: '', lastScrape: 0, lastScrapeDurationMs: 0 },
      metadata: () => [],
    },
  ],
  dropped: [{ job: 'node', reason: '', discoveredLabels: labelsFromRecord({ __address__: 'skip:1', job: 'node' }) }],
  droppedCounts: { node: 1, app: 0 },
};

describe('/api/v1/targets and /-/reload', () => {
  let server: Server;
  let url: string;
  let reloads = 0;
  let failReload = false;

  beforeAll(async () => {
    const api = createApi({
      config: defaultConfig(), logger: pino({ level: 'silent' }), metrics: createServerMetrics(() => null, 'test'),
      targets: {
        targets: () => snapshot,
        reload: async () => {
          reloads++;
          if (failReload) throw new Error('strata.yml:3:5: scrape_configs[0].x: unknown field');
        },
      },
    });
    server = createServer(api.handle);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  const get = async (q = '') => (await (await fetch(`${url}/api/v1/targets${q}`)).json()) as { status: string; data: any };

  it('answers in Prometheus shape, sorted by pool, with Go zero time for unscraped targets', async () => {
    const r = await get();
    expect(r.status).toBe('success');
    expect(r.data.activeTargets.map((t: any) => t.scrapePool)).toEqual(['app', 'node']);
    const node = r.data.activeTargets[1];
    expect(node).toEqual({
      discoveredLabels: { __address__: 'localhost:9100', __meta_filepath: '/sd/a.json', job: 'node' },
      labels: { instance: 'localhost:9100', job: 'node' },
      scrapePool: 'node',
      scrapeUrl: 'http://localhost:9100/metrics',
      globalUrl: expect.not.stringContaining('localhost'),
      lastError: 'server returned HTTP status 500',
      lastScrape: '2026-01-02T03:04:05.600Z',
      lastScrapeDuration: 0.0125,
      health: 'down',
      scrapeInterval: '15s',
      scrapeTimeout: '10s',
    });
    expect(r.data.activeTargets[0]).toMatchObject({ lastScrape: '0001-01-01T00:00:00Z', health: 'unknown', scrapeInterval: '1m' });
    expect(r.data.droppedTargets).toEqual([{ discoveredLabels: { __address__: 'skip:1', job: 'node' }, scrapePool: 'node' }]);
    expect(r.data.droppedTargetCounts).toEqual({ node: 1, app: 0 });
  });

  it('lists the scrape pools by name (/api/v1/scrape_pools), those without targets too', async () => {
    const r = await (await fetch(`${url}/api/v1/scrape_pools`)).json();
    expect(r).toEqual({ status: 'success', data: { scrapePools: ['app', 'node'] } });
  });

  it('filters by state and scrape pool', async () => {
    const active = await get('?state=active');
    expect(active.data.activeTargets).toHaveLength(2);
    expect(active.data.droppedTargets).toEqual([]);
    const dropped = await get('?state=Dropped');
    expect(dropped.data.activeTargets).toEqual([]);
    expect(dropped.data.droppedTargets).toHaveLength(1);
    // As Prometheus 2.42: case does not matter, blanks do; an unknown state lists nothing.
    expect((await get('?state=ANY')).data.activeTargets).toHaveLength(2);
    for (const state of ['running', 'active%20']) {
      const unknown = await get(`?state=${state}`);
      expect([unknown.data.activeTargets, unknown.data.droppedTargets]).toEqual([[], []]);
    }
    const pool = await get('?scrapePool=app');
    expect(pool.data.activeTargets.map((t: any) => t.scrapePool)).toEqual(['app']);
    expect(pool.data.droppedTargets).toEqual([]);
  });

  it('lists each target\'s metadata by pool, URL and family; with metric=, without the metric field', async () => {
    const md = async (q: string) => (await (await fetch(`${url}/api/v1/targets/metadata${q}`)).json()) as { status: string; data: any };
    const node = { instance: 'localhost:9100', job: 'node' };
    expect((await md('')).data).toEqual([
      { target: node, metric: 'node_cpu_seconds', type: 'counter', help: 'Seconds the CPUs spent in each mode.', unit: 'seconds' },
      { target: node, metric: 'node_load1', type: 'gauge', help: '1m load average.', unit: '' },
    ]);
    expect((await md('?metric=node_load1')).data).toEqual([{ target: node, type: 'gauge', help: '1m load average.', unit: '' }]);
    expect((await md('?match_target=%7Bjob%3D%22app%22%7D')).data).toEqual([]);
    // The limit is checked before each target: the first target's entries all come.
    expect((await md('?limit=1')).data).toHaveLength(2);
    const bad = await fetch(`${url}/api/v1/targets/metadata?limit=1e3`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ status: 'error', errorType: 'bad_data', error: 'limit must be a number' });
  });

  it('reloads on POST and PUT, answering 500 with the reason when the config is bad', async () => {
    expect((await fetch(`${url}/-/reload`, { method: 'POST' })).status).toBe(200);
    expect((await fetch(`${url}/-/reload`, { method: 'PUT' })).status).toBe(200);
    expect(reloads).toBe(2);
    expect((await fetch(`${url}/-/reload`)).status).toBe(405);
    failReload = true;
    const bad = await fetch(`${url}/-/reload`, { method: 'POST' });
    expect(bad.status).toBe(500);
    expect(((await bad.json()) as { error: string }).error).toBe('failed to reload config: strata.yml:3:5: scrape_configs[0].x: unknown field');
  });
});
