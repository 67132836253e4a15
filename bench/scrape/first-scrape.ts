// The first scrape of a big target, where every series is new to the loop (labels, relabelling and
// validation all run), in this process with a CPU profile: where a first round that creates many
// series spends its time. Storage is left out (a no-op appendable) so the scrape path alone shows.
//   node_modules/.bin/node bench/scrape/first-scrape.ts --series 200000 --rounds 3 [--profile out.cpuprofile]
import fs from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { parseConfig } from '../../src/config/index.ts';
import type { SampleBatch } from '../../src/model/index.ts';
import { ScrapeManager } from '../../src/scrape/index.ts';

const { values: args } = parseArgs({
  options: {
    series: { type: 'string', default: '200000' },
    rounds: { type: 'string', default: '3' },
    profile: { type: 'string' },
    // With metric_relabel_configs as many setups have them (a drop and a labeldrop).
    relabel: { type: 'boolean', default: false },
  },
});
const n = Number(args.series);

// Series shaped like a busy application's: a few metric names, several labels, many values.
let body = '';
for (let i = 0; i < n; i++) {
  body += `http_requests_total{method="${['GET', 'POST', 'PUT'][i % 3]}",code="${200 + (i % 5)}",path="/api/v1/items/${i}",pod="app-${i % 50}",zone="z${i % 3}"} ${i}\n`;
}
const server = createServer((_req, res) => {
  res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
  res.end(body);
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;

let samples = 0;
const appendable = {
  append: async (b: SampleBatch) => {
    samples += b.offsets[b.series.length];
    return { appended: 0, duplicates: 0, seriesCreated: 0, rejected: {}, errors: [] };
  },
};

const session = args.profile ? new Session() : null;
if (session) {
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 200 });
  await session.post('Profiler.start');
}
for (let round = 0; round < Number(args.rounds); round++) {
  // A new job each round: the loop's series cache starts empty, as at startup.
  const job = `big${round}`;
  const cfg = parseConfig([
    'scrape_configs:',
    `  - job_name: ${job}`,
    '    scrape_interval: 1h',
    '    scrape_timeout: 1m',
    `    static_configs: [{ targets: ["${addr}"] }]`,
    ...(args.relabel ? ['    metric_relabel_configs:', '      - { source_labels: [__name__], regex: "go_.*", action: drop }', '      - { regex: zone, action: labeldrop }'] : []),
  ].join('\n'), 'bench.yml').config;
  const m = new ScrapeManager({ appendable });
  await m.applyConfig(cfg.scrapeConfigs);
  samples = 0;
  const t0 = performance.now();
  await m.scrapeNow(job);
  const ms = performance.now() - t0;
  const status = m.targets().active[0].status;
  process.stdout.write(`round ${round}: ${n} new series, ${samples} samples appended, ${ms.toFixed(0)} ms (${((ms * 1000) / n).toFixed(2)} µs/series)${status.lastError ? ` error: ${status.lastError}` : ''}\n`);
  await m.stop();
}
if (session) {
  const { profile } = await session.post('Profiler.stop');
  fs.writeFileSync(args.profile!, JSON.stringify(profile));
  // Self time by function, top 15.
  const self = new Map<string, number>();
  const dt = new Map<number, number>();
  profile.samples!.forEach((id, i) => dt.set(id, (dt.get(id) ?? 0) + (profile.timeDeltas![i] ?? 0)));
  for (const node of profile.nodes) {
    const f = node.callFrame;
    const key = `${f.functionName || '(anonymous)'} ${f.url.split('/').slice(-2).join('/')}:${f.lineNumber + 1}`;
    self.set(key, (self.get(key) ?? 0) + (dt.get(node.id) ?? 0));
  }
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  for (const [k, us] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
    process.stdout.write(`${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${k}\n`);
  }
  session.disconnect();
}
server.close();
