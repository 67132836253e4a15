// http_sd_configs' HTTP client settings: redirects are followed as Prometheus' client follows them
// (up to 10) unless follow_redirects is false, where a 3xx fails the refresh with Go's wording.
import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../config/index.ts';
import { startDiscovery, type TargetGroup } from './index.ts';

const cleanups: (() => void | Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(h: RequestListener): Promise<string> {
  const server = createServer(h);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function until(what: string, cond: () => boolean, timeoutMs = 8000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const jobs = (yaml: string) => parseConfig(yaml, 'test.yml').config.scrapeConfigs;

/** An SD endpoint at /sd answering with a redirect to /moved (or to itself with `loop`), which serves one group. */
async function redirectingSd(loop = false): Promise<{ addr: string; hits: string[] }> {
  const hits: string[] = [];
  const addr = await serve((req, res) => {
    hits.push(req.url ?? '');
    if (req.url === '/moved') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ targets: ['redirected:1'] }]));
      return;
    }
    res.writeHead(302, { Location: loop ? '/sd' : '/moved' });
    res.end();
  });
  return { addr, hits };
}

function discover(yaml: string) {
  const groups: TargetGroup[][] = [];
  const errors: string[] = [];
  const log = { error: (o: { err: string }) => errors.push(o.err), warn: () => {} } as unknown as Logger;
  const [cfg] = jobs(yaml);
  const ds = startDiscovery(cfg, (_provider, gs) => groups.push(gs), { log });
  cleanups.push(() => ds.forEach((d) => d.stop()));
  return { groups, errors };
}

describe('http_sd_configs', () => {
  it('follows a redirect by default, labelling the targets with the configured URL', async () => {
    const { addr, hits } = await redirectingSd();
    const { groups, errors } = discover(`scrape_configs: [{ job_name: h, http_sd_configs: [{ url: "http://${addr}/sd" }] }]`);
    await until('groups', () => groups.length > 0 || errors.length > 0);
    expect(errors).toEqual([]);
    expect(hits).toEqual(['/sd', '/moved']);
    expect(groups[0]).toEqual([{ source: `http://${addr}/sd:0`, targets: [{ __address__: 'redirected:1' }], labels: { __meta_url: `http://${addr}/sd` } }]);
  });

  it('with follow_redirects: false, fails the refresh on the 3xx as Prometheus words it', async () => {
    const { addr, hits } = await redirectingSd();
    const { groups, errors } = discover(`scrape_configs: [{ job_name: h, http_sd_configs: [{ url: "http://${addr}/sd", follow_redirects: false }] }]`);
    await until('an error', () => errors.length > 0);
    expect(errors[0]).toBe('server returned HTTP status 302 Found');
    expect(hits).toEqual(['/sd']);
    expect(groups).toEqual([]);
  });

  it('gives up after 10 redirects as Go\'s client does', async () => {
    const { addr, hits } = await redirectingSd(true);
    const { groups, errors } = discover(`scrape_configs: [{ job_name: h, http_sd_configs: [{ url: "http://${addr}/sd" }] }]`);
    await until('an error', () => errors.length > 0);
    // Go's client names the Location header as the server sent it.
    expect(errors[0]).toBe('Get "/sd": stopped after 10 redirects');
    // The 10th answer is the error: 9 redirects followed (test/scrape-errors compares this with Prometheus).
    expect(hits).toHaveLength(10);
    expect(groups).toEqual([]);
  });
});
