import { appendFileSync, mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { fakeClock } from './clock.ts';
import { httpTransport, GOSSIP_PATH, type GossipMessage, type GossipTransport } from './cluster.ts';
import { parseNotifierConfig } from './config.ts';
import { createNflog } from './nflog.ts';
import { createNotifier, type Notifier } from './notifier.ts';
import { firing, recorder, silentLogger, testNotifier } from './testing.ts';

const MIN = 60_000;
const HOUR = 60 * MIN;
const CONFIG = `
route: {receiver: team, group_by: [alertname]}
receivers: [{name: team, webhook_configs: [{url: "http://127.0.0.1:9/"}]}]
`;
const tmp = () => mkdtempSync(join(tmpdir(), 'strata-nflog-'));

describe('notification log', () => {
  it('keeps a restarted notifier from repeating a notification before repeat_interval', async () => {
    const dataDir = tmp();
    const clock = fakeClock();
    const t0 = clock.now();
    const alert = () => firing({ alertname: 'Down' }, t0, clock.now() + 10 * MIN);
    const first = testNotifier(CONFIG, { dataDir, clock });
    first.notifier.receive([alert()]);
    await clock.advance(30_000);
    expect(first.rec.deliveries).toHaveLength(1);
    await first.notifier.stop();

    // The new process knows no alerts until Prometheus sends them again (as Alertmanager).
    await clock.advance(MIN);
    const second = testNotifier(CONFIG, { dataDir, clock, rec: first.rec });
    for (let i = 0; i < 4 * 60 - 2; i++) {
      second.notifier.receive([alert()]);
      await clock.advance(MIN);
    }
    expect(first.rec.deliveries).toHaveLength(1);
    // The repeat: at the first group_interval tick of the new group (which flushed at once, at 90 s,
    // its alert being older than group_wait) more than 4h after the first send.
    for (let i = 0; i < 10; i++) {
      second.notifier.receive([alert()]);
      await clock.advance(MIN);
    }
    expect(first.rec.deliveries.map((d) => d.at - t0)).toEqual([30_000, 90_000 + 4 * HOUR]);
    await second.notifier.stop();
  });

  it('survives a crash mid-append (a torn last record) and replays the log over the snapshot', () => {
    const dir = tmp();
    const clock = fakeClock();
    const log = createNflog({ dir, now: () => clock.now() });
    const ri = { receiver: 'team', integration: 'webhook', index: 0 };
    log.log('{}:{a="1"}', ri, ['f1'], []);
    log.maintain(); // snapshot
    log.log('{}:{a="2"}', ri, ['f2'], []);
    log.close();
    appendFileSync(join(dir, 'nflog.log'), '{"receiver":"team","integ');
    const again = createNflog({ dir, now: () => clock.now() });
    expect(again.query('{}:{a="1"}', ri)?.firing).toEqual(['f1']);
    expect(again.query('{}:{a="2"}', ri)?.firing).toEqual(['f2']);
    again.close();
  });
});

describe('delivery with retries', () => {
  it('delivers once when a channel fails five times and then recovers', async () => {
    const registry = new Registry();
    const clock = fakeClock();
    const rec = recorder(clock);
    const notifier = createNotifier({
      config: parseNotifierConfig(CONFIG, 'am.yml'), logger: silentLogger, registry, externalURL: '', clock, random: () => 0.5,
      createChannels: (r) => r.webhook_configs.map((_, i) => rec.channel(r.name, 'webhook', i)),
    });
    rec.failNext = 5;
    notifier.receive([firing({ alertname: 'Down' }, clock.now(), clock.now() + 24 * HOUR)]);
    await clock.advance(30_000);
    // Backoff 0.5 s, growing 1.5x: the sixth attempt is about 6.6 s after the first.
    await clock.advance(7_000);
    expect(rec.attempts).toBe(6);
    expect(rec.deliveries).toHaveLength(1);
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(1);
    const value = async (name: string) => (await registry.getSingleMetric(name)!.get()).values.find((v) => v.labels.integration === 'webhook')?.value;
    expect(await value('strata_notifications_total')).toBe(1);
    expect(await value('strata_notifications_failed_total')).toBe(0);
    expect(await value('strata_notification_requests_total')).toBe(6);
    expect(await value('strata_notification_requests_failed_total')).toBe(5);
    await notifier.stop();
  });

  it('gives up at the next group_interval tick and tries again from there, keeping resolved alerts until delivered', async () => {
    const { notifier, clock, rec } = testNotifier(CONFIG);
    const t0 = clock.now();
    notifier.receive([firing({ alertname: 'Down' }, t0, t0 + 24 * HOUR)]);
    await clock.advance(30_000);
    notifier.receive([firing({ alertname: 'Down' }, t0, clock.now())]); // resolved
    rec.failNext = 1000;
    await clock.advance(5 * MIN + 1000);
    const failedAttempts = rec.attempts;
    expect(rec.deliveries.map((d) => d.resolved)).toEqual([[]]);
    rec.failNext = 0;
    await clock.advance(5 * MIN);
    expect(rec.attempts).toBe(failedAttempts + 1);
    expect(rec.deliveries.map((d) => d.resolved)).toEqual([[], ['Down']]);
    await notifier.stop();
  });
});

describe('two replicas sharing the notification log', () => {
  function replicas(urls: string[], clock = fakeClock()) {
    const nodes = new Map<string, Notifier>();
    const rec = recorder(clock);
    const transport: GossipTransport = async (peer, msg) => {
      const n = nodes.get(peer);
      if (!n) throw new Error(`${peer} is down`);
      return n.gossip(structuredClone(msg));
    };
    for (const self of urls) {
      nodes.set(self, testNotifier(CONFIG, { dataDir: tmp(), clock, rec, cluster: { self, peers: urls.filter((u) => u !== self), transport } }).notifier);
    }
    return { nodes, rec, clock };
  }

  it('send one notification between them', async () => {
    const { nodes, rec, clock } = replicas(['http://a:9093', 'http://b:9093']);
    const t0 = clock.now();
    for (const n of nodes.values()) n.receive([firing({ alertname: 'Down' }, t0, t0 + 24 * HOUR)]);
    await clock.advance(30_000 + 20_000);
    expect(rec.deliveries.map((d) => d.at - t0)).toEqual([30_000]);
    // And one repeat.
    await clock.advance(4 * HOUR + 10 * MIN);
    expect(rec.deliveries.map((d) => d.at - t0)).toEqual([30_000, 30_000 + 4 * HOUR + 5 * MIN]);
    for (const n of nodes.values()) await n.stop();
  });

  it('the second sends after its peer timeout when the first is down', async () => {
    const { nodes, rec, clock } = replicas(['http://a:9093', 'http://b:9093']);
    await nodes.get('http://a:9093')!.stop();
    nodes.delete('http://a:9093');
    const t0 = clock.now();
    nodes.get('http://b:9093')!.receive([firing({ alertname: 'Down' }, t0, t0 + 24 * HOUR)]);
    await clock.advance(HOUR);
    expect(rec.deliveries.map((d) => d.at - t0)).toEqual([30_000 + 15_000]);
    await nodes.get('http://b:9093')!.stop();
  });

  it('a replica starting with an empty log learns from its peer before it sends', async () => {
    const clock = fakeClock();
    const nodes = new Map<string, Notifier>();
    const rec = recorder(clock);
    // Messages take a second to arrive.
    const transport: GossipTransport = (peer, msg) => new Promise((resolve, reject) => {
      clock.after(1000, () => {
        const n = nodes.get(peer);
        if (n) resolve(n.gossip(structuredClone(msg)));
        else reject(new Error(`${peer} is down`));
      });
    });
    const start = (self: string, peer: string) => {
      const n = testNotifier(CONFIG, { dataDir: tmp(), clock, rec, cluster: { self, peers: [peer], transport } }).notifier;
      nodes.set(self, n);
      return n;
    };
    const t0 = clock.now();
    const alert = firing({ alertname: 'Down' }, t0, t0 + 24 * HOUR);
    const b = start('http://b:9093', 'http://a:9093');
    b.receive([alert]);
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(1); // b alone (a is down) sent it
    // a comes back with a new disk; the alert is older than group_wait, so a flushes at once.
    const a = start('http://a:9093', 'http://b:9093');
    a.receive([alert]);
    await clock.advance(HOUR);
    expect(rec.deliveries).toHaveLength(1);
    await a.stop();
    await b.stop();
  });

  it('exchange silences over HTTP (log entries travel in the same messages), with a full exchange at start', async () => {
    const servers: Server[] = [];
    const handlers = new Map<number, (m: GossipMessage) => GossipMessage>();
    const ports: number[] = [];
    for (let i = 0; i < 2; i++) {
      const server = createServer((req, res) => {
        let body = '';
        req.on('data', (c) => (body += c));
        req.on('end', () => {
          const handle = handlers.get(i);
          if (req.url !== GOSSIP_PATH || !handle) return res.writeHead(503).end();
          res.setHeader('content-type', 'application/json');
          res.end(JSON.stringify(handle(JSON.parse(body) as GossipMessage)));
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      ports.push((server.address() as { port: number }).port);
      servers.push(server);
    }
    const urls = ports.map((p) => `http://127.0.0.1:${p}`);
    const clock = fakeClock(Date.now());
    const make = (i: number) => testNotifier(CONFIG, { dataDir: tmp(), clock, cluster: { self: urls[i], peers: [urls[1 - i]], transport: httpTransport() } }).notifier;
    const a = make(0);
    handlers.set(0, (m) => a.gossip(m));
    const id = a.silences.set({ matchers: [{ name: 'alertname', value: 'Down', isRegex: false, isEqual: true }], startsAt: clock.now(), endsAt: clock.now() + HOUR, createdBy: '', comment: '' });
    // b starts after the silence was made (and told to nobody): the start-up exchange brings it over.
    const b = make(1);
    handlers.set(1, (m) => b.gossip(m));
    await until(() => b.silences.get(id) !== undefined);
    await clock.advance(1000); // changes merge by updatedAt
    b.silences.expire(id);
    await until(() => a.silences.get(id)!.endsAt === clock.now());
    await a.stop();
    await b.stop();
    for (const s of servers) s.close();
  });
});

async function until(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !cond(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(cond()).toBe(true);
}
