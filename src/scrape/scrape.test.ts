import * as fs from 'node:fs';
import { execFileSync } from 'node:child_process';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { mutateLabels } from './labels.ts';
import { Recorder, cleanups, jobs, manager, runCleanups, serve, steppedLoop, text, until } from './testing.ts';

afterEach(runCleanups);

describe('scraping', () => {
  it('stores samples with job/instance, report series, and negotiates OpenMetrics', async () => {
    let accept = '';
    const addr = await serve((req, res) => {
      accept = String(req.headers.accept);
      res.writeHead(200, { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' });
      res.end('# TYPE reqs counter\nreqs_total{code="200"} 7\nreqs_created{code="200"} 1.7e9\n# EOF\n');
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: app, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"], labels: { env: test } }] }]`));
    const base = `{env="test", instance="${addr}", job="app"}`;
    // On a loaded machine a scrape may hit its 100ms timeout: look at the first successful one.
    await until('a successful scrape', () => rec.values(`up${base}`).includes(1));
    const i = rec.values(`up${base}`).indexOf(1);
    // Prometheus 3's default (2.42 offered no text 1.0.0 and no escaping parameter).
    expect(accept).toBe('application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,application/openmetrics-text;version=0.0.1;q=0.5,'
      + 'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2');
    const lbl = `{code="200", env="test", instance="${addr}", job="app"}`;
    expect(rec.values(`reqs_total${lbl}`)[0]).toBe(7);
    // A _created sample is an ordinary series, as Prometheus 2.42 stores it (and 3, unless its
    // created-timestamp feature turns it into the counter's start instead).
    expect(rec.values(`reqs_created${lbl}`)[0]).toBe(1.7e9);
    expect(rec.values(`scrape_samples_scraped${base}`)[i]).toBe(2);
    expect(rec.values(`scrape_samples_post_metric_relabeling${base}`)[i]).toBe(2);
    expect(rec.values(`scrape_series_added${base}`)[i]).toBe(2);
    expect(rec.values(`scrape_duration_seconds${base}`)[i]).toBeGreaterThan(0);
    // All samples of one scrape share its timestamp and arrive in one batch.
    const first = rec.batches[i];
    expect(new Set(first.timestamps).size).toBe(1);
    const [t] = m.targets().active;
    expect(t.status.health).toBe('up');
    expect(t.target.url).toBe(`http://${addr}/metrics`);
    // Repeated scrapes add no series.
    await until('a second successful scrape', () => rec.values(`up${base}`).filter((v) => v === 1).length >= 2);
    expect(rec.values(`scrape_series_added${base}`)[rec.values(`up${base}`).lastIndexOf(1)]).toBe(0);
  });

  it('keeps the first sample of a series repeated in one scrape, and later timestamps of it, as Prometheus does', async () => {
    const addr = await serve(text('a 1\nb 1\na 2\nc 1 1000\nc 2 2000\nc 3 1500\n'));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    const l = `{instance="${addr}", job="j"}`;
    await until('a successful scrape', () => rec.values(`up${l}`).includes(1));
    const i = rec.values(`up${l}`).indexOf(1);
    const first = rec.batches[i];
    const got: string[] = [];
    for (let k = 0; k < first.series.length; k++) {
      const name = first.series[k][1];
      if (name === 'a' || name === 'b' || name === 'c') got.push(`${name} ${first.values[first.offsets[k]]}@${first.timestamps[first.offsets[k]]}`);
    }
    const t = first.timestamps[0];
    expect(got).toEqual([`a 1@${t}`, `b 1@${t}`, 'c 1@1000', 'c 2@2000']);
    // Counted as scraped; the rest of the scrape is stored (the head would refuse the whole batch).
    expect(rec.values(`scrape_samples_scraped${l}`)[i]).toBe(6);
  });

  it('fails on a sample Prometheus refuses before a later parse error, as Prometheus appends while it parses', async () => {
    const addr = await serve(text(' a 1\nb x\n'));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    const want = `invalid metric name or label names: {__name__=" a", instance="${addr}", job="j"}`;
    await until('the blank-prefixed name refused', () => m.targets().active[0].status.lastError === want);
  });

  it('marks vanished series stale, and everything stale when a scrape fails (garbage)', async () => {
    let body = 'a 1\nb 2\n';
    const addr = await serve((_req, res) => text(body)(_req, res));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    const l = `{instance="${addr}", job="j"}`;
    await until('first scrape', () => rec.values(`b${l}`).length >= 1);
    body = 'a 1\n';
    await until('b stale', () => rec.values(`b${l}`).includes('stale'));
    expect(rec.values(`a${l}`)).not.toContain('stale');
    body = 'a 1\nthis is { not a metric\n';
    await until('a stale after garbage', () => rec.values(`a${l}`).includes('stale'));
    // In Prometheus 2.42's words, as its lastError would be.
    const garbage = 'strconv.ParseFloat: parsing "is": invalid syntax';
    await until('the garbage refused', () => m.targets().active[0].status.lastError === garbage);
    expect(rec.values(`up${l}`)).toContain(0);
    // Stale markers are written once, not at every failed scrape.
    const n = rec.values(`a${l}`).filter((v) => v === 'stale').length;
    await until('more failed scrapes', () => rec.values(`up${l}`).filter((v) => v === 0).length >= 3);
    expect(rec.values(`a${l}`).filter((v) => v === 'stale').length).toBe(n);
    // Recovery.
    body = 'a 5\n';
    await until('up again', () => rec.values(`a${l}`).at(-1) === 5);
  });

  it('writes staleness markers once over failed scrapes, and a recovery finds its series known', async () => {
    let body = 'a 1\nb 2\n';
    const { rec, scrape, labels: l } = await steppedLoop('15s', () => body);
    const T = 1_767_225_600_000;
    await scrape(T, 0);
    body = 'garbage {\n';
    await scrape(T + 15_000, 0);
    await scrape(T + 30_000, 0);
    body = 'a 3\n';
    await scrape(T + 45_000, 0);
    await scrape(T + 60_000, 0);
    expect(rec.values(`a${l}`)).toEqual([1, 'stale', 3, 3]);
    expect(rec.values(`b${l}`)).toEqual([2, 'stale']);
    expect(rec.values(`up${l}`)).toEqual([1, 0, 0, 1, 1]);
    // The label work of a series survives failed scrapes: not added again on recovery.
    expect(rec.values(`scrape_series_added${l}`)).toEqual([2, 0, 0, 0, 0]);
  });

  it('honours the timeout', async () => {
    const addr = await serve((_req, res) => {
      const t = setTimeout(() => text('a 1\n')(_req, res), 2000);
      res.on('close', () => clearTimeout(t));
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 1s, scrape_timeout: 150ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    await until('a failed scrape', () => m.targets().active[0]?.status.health === 'down', 3000);
    const st = m.targets().active[0].status;
    expect(st.lastError).toMatch(/deadline exceeded/);
    expect(st.lastScrapeDurationMs).toBeGreaterThanOrEqual(140);
    expect(st.lastScrapeDurationMs).toBeLessThan(1000);
    expect(rec.values(`up{instance="${addr}", job="j"}`)).toEqual([0]);
  });

  it('stops reading a 50 MB answer at body_size_limit, with bounded memory', async () => {
    let written = 0;
    const chunk = Buffer.alloc(64 * 1024, 'a 1\n'.repeat(16 * 1024));
    const addr = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      const total = 50 * 1024 * 1024;
      const pump = () => {
        while (written < total) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      res.on('error', () => {});
      pump();
    });
    const rec = new Recorder();
    const m = manager(rec);
    const heapBefore = process.memoryUsage().heapUsed;
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 1s, body_size_limit: 1MB, static_configs: [{ targets: ["${addr}"] }] }]`));
    await until('a failed scrape', () => m.targets().active[0]?.status.health === 'down', 3000);
    expect(m.targets().active[0].status.lastError).toMatch(/body size limit exceeded/);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(30 * 1024 * 1024);
    await new Promise((r) => setTimeout(r, 100));
    // The transfer was cut short, not read to its end.
    expect(written).toBeLessThan(20 * 1024 * 1024);
    expect(rec.values(`up{instance="${addr}", job="j"}`)).toEqual([0]);
  });

  it('decompresses gzip answers', async () => {
    let enc = '';
    const addr = await serve((req, res) => {
      if (req.url === '/metrics') {
        // Redirects are followed (follow_redirects defaults to true).
        res.writeHead(302, { Location: '/real/metrics' });
        res.end();
        return;
      }
      enc = String(req.headers['accept-encoding']);
      res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Encoding': 'gzip' });
      res.end(gzipSync('zipped 42\n'));
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: j, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }]`));
    await until('a scrape', () => rec.values(`zipped{instance="${addr}", job="j"}`).length >= 1);
    expect(rec.values(`zipped{instance="${addr}", job="j"}`)[0]).toBe(42);
    expect(enc).toBe('gzip');
  });

  it('fails a redirect loop after 10 redirects as Prometheus words it, and with follow_redirects false fails on the 3xx itself', async () => {
    const looping = async () => {
      const hits: string[] = [];
      const addr = await serve((req, res) => {
        hits.push(String(req.url));
        res.writeHead(302, { Location: `/r${hits.length}` });
        res.end();
      });
      return { addr, hits };
    };
    const follow = await looping();
    const stay = await looping();
    const m = manager(new Recorder());
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: follow, scrape_interval: 1s, static_configs: [{ targets: ["${follow.addr}"] }] }`,
      `  - { job_name: stay, follow_redirects: false, scrape_interval: 1s, static_configs: [{ targets: ["${stay.addr}"] }] }`,
    ].join('\n')));
    const status = (job: string) => m.targets().active.find((t) => t.scrapePool === job)?.status;
    await until('both failed', () => status('follow')?.health === 'down' && status('stay')?.health === 'down');
    // Go counts requests: the first and 9 redirects are made; the 10th response's Location is
    // where it stops (Prometheus 2.42 against the same loop: `Get "/redirect/10": stopped after
    // 10 redirects` for a loop starting at /redirect/0, see test/scrape-errors.test.ts).
    expect(follow.hits.slice(0, 10)).toEqual(['/metrics', ...Array.from({ length: 9 }, (_, i) => `/r${i + 1}`)]);
    // An 11th request, if there is one yet, is the next scrape's.
    expect(follow.hits[10] ?? '/metrics').toBe('/metrics');
    expect(status('follow')?.lastError).toBe('Get "/r10": stopped after 10 redirects');
    expect(stay.hits[0]).toBe('/metrics');
    expect(stay.hits.every((h) => h === '/metrics')).toBe(true);
    expect(status('stay')?.lastError).toBe('server returned HTTP status 302 Found');
  });

  it('resolves label conflicts by honor_labels', async () => {
    const addr = await serve(text('m{job="theirs",instance="x",exported_job="e"} 1\n'));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: mine, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`,
      `  - { job_name: honoured, honor_labels: true, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`,
    ].join('\n')));
    await until('both scraped', () => rec.samples().filter((s) => s.series.startsWith('m{')).length >= 2);
    const series = new Set(rec.samples().filter((s) => s.series.startsWith('m{')).map((s) => s.series));
    expect(series).toEqual(new Set([
      // The scraped exported_job keeps its name; the clashing job moves one prefix further.
      `m{exported_exported_job="theirs", exported_instance="x", exported_job="e", instance="${addr}", job="mine"}`,
      'm{exported_job="e", instance="x", job="theirs"}',
    ]));
    expect(mutateLabels(['a', '1'], ['job', 'j'], false)).toEqual(['a', '1', 'job', 'j']);
    // Merged in order; empty values are absent labels; honor_labels keeps a scraped value unless empty.
    expect(mutateLabels(['a', '1', 'z', '9'], ['instance', 'x', 'job', 'j'], false)).toEqual(['a', '1', 'instance', 'x', 'job', 'j', 'z', '9']);
    expect(mutateLabels(['instance', 'mine', 'job', ''], ['instance', 'x', 'job', 'j'], true)).toEqual(['instance', 'mine', 'job', 'j']);
    expect(mutateLabels(['job', ''], ['job', 'j'], false)).toEqual(['job', 'j']);
    expect(mutateLabels(['a', '1'], ['env', '', 'job', 'j'], false)).toEqual(['a', '1', 'job', 'j']);
    expect(mutateLabels(['exported_job', 'e', 'job', 'theirs'], ['instance', 'x', 'job', 'j'], false))
      .toEqual(['exported_exported_job', 'theirs', 'exported_job', 'e', 'instance', 'x', 'job', 'j']);
  });

  it('fails the whole scrape over sample_limit and applies metric_relabel_configs first', async () => {
    const addr = await serve(text('a 1\nb 2\nc 3\ngo_x 4\n'));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - job_name: limited`,
      '    scrape_interval: 100ms',
      '    sample_limit: 2',
      `    static_configs: [{ targets: ["${addr}"] }]`,
      `  - job_name: relabelled`,
      '    scrape_interval: 100ms',
      '    sample_limit: 3',
      `    static_configs: [{ targets: ["${addr}"] }]`,
      '    metric_relabel_configs: [{ source_labels: [__name__], regex: "go_.*", action: drop }]',
    ].join('\n')));
    const lim = `{instance="${addr}", job="limited"}`;
    const rel = `{instance="${addr}", job="relabelled"}`;
    const limited = () => m.targets().active.find((t) => t.scrapePool === 'limited')?.status.lastError ?? '';
    await until('both scraped', () => /sample limit exceeded/.test(limited()) && rec.values(`up${rel}`).includes(1));
    expect(rec.values(`up${lim}`)[0]).toBe(0);
    const i = rec.values(`up${rel}`).indexOf(1);
    expect(rec.values(`a${lim}`)).toEqual([]);
    expect(rec.values(`scrape_samples_scraped${rel}`)[i]).toBe(4);
    expect(rec.values(`scrape_samples_post_metric_relabeling${rel}`)[i]).toBe(3);
    expect(rec.values(`go_x${rel}`)).toEqual([]);
  });

  it('over target_limit, lists the targets and fails them without scraping; under it, scrapes again', async () => {
    let requests = 0;
    const addr = await serve((req, res) => {
      requests++;
      text('t 1\n')(req, res);
    });
    const registry = new Registry();
    const rec = new Recorder();
    const m = manager(rec, { registry });
    const job = (limit: number) => jobs([
      'scrape_configs:',
      `  - job_name: lim`,
      '    scrape_interval: 100ms',
      `    target_limit: ${limit}`,
      `    static_configs: [{ targets: ["${addr}"], labels: { n: "1" } }, { targets: ["${addr}"], labels: { n: "2" } }]`,
    ].join('\n'));
    await m.applyConfig(job(1));
    await until('both failed', () => m.targets().active.length === 2 && m.targets().active.every((t) => t.status.health === 'down'));
    expect(m.targets().active[0].status.lastError).toBe('target_limit exceeded (number of targets: 2, limit: 1)');
    expect(requests).toBe(0);
    expect(rec.values(`up{instance="${addr}", job="lim", n="1"}`)[0]).toBe(0);
    expect(await registry.metrics()).toMatch(/^prometheus_target_scrape_pool_exceeded_target_limit_total [1-9]/m);
    await m.applyConfig(job(2));
    await until('both up', () => m.targets().active.every((t) => t.status.health === 'up'));
    expect(requests).toBeGreaterThanOrEqual(2);
  });

  it('picks up file_sd changes, marks removed targets stale, and lists dropped targets', async () => {
    const a = await serve(text('from_a 1\n'));
    const b = await serve(text('from_b 1\n'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-filesd-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'targets.json');
    fs.writeFileSync(file, JSON.stringify([{ targets: [a], labels: { team: 'x' } }, { targets: ['skip.me:1'] }]));
    const yml = await serve(text('from_yaml 1\n'));
    fs.writeFileSync(path.join(dir, 'more.yml'), `- targets: ["${yml}"]\n  labels: { kind: yaml }\n`);
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: fsd',
      '    scrape_interval: 100ms',
      `    file_sd_configs: [{ files: ["${dir}/*.json", "${dir}/*.yml"], refresh_interval: 1h }]`,
      '    relabel_configs: [{ source_labels: [__address__], regex: "skip.*", action: drop }]',
    ].join('\n')));
    await until('a scraped', () => rec.values(`from_a{instance="${a}", job="fsd", team="x"}`).length >= 1);
    await until('yaml target scraped', () => rec.values(`from_yaml{instance="${yml}", job="fsd", kind="yaml"}`).length >= 1);
    const snap = m.targets();
    expect(snap.dropped).toHaveLength(1);
    expect(snap.dropped[0].discoveredLabels).toContain('skip.me:1');
    expect(snap.dropped[0].discoveredLabels).toContain('__meta_filepath');
    // Rewritten the way tools do it: a new file renamed over the old one.
    fs.writeFileSync(`${file}.tmp`, JSON.stringify([{ targets: [b] }]));
    fs.renameSync(`${file}.tmp`, file);
    await until('b scraped', () => rec.values(`from_b{instance="${b}", job="fsd"}`).length >= 1);
    await until('a stale', () => rec.values(`from_a{instance="${a}", job="fsd", team="x"}`).includes('stale'));
    expect(rec.values(`up{instance="${a}", job="fsd", team="x"}`).at(-1)).toBe('stale');
    expect(m.targets().active.map((t) => t.target.url).sort()).toEqual([`http://${b}/metrics`, `http://${yml}/metrics`].sort());
  });

  it('honours or overrides exposed timestamps by honor_timestamps', async () => {
    const T = 1_700_000_000_000;
    const addr = await serve(text(`ts_metric 1 ${T}\n`));
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: honour, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`,
      `  - { job_name: own, honor_timestamps: false, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`,
    ].join('\n')));
    await until('both scraped', () => rec.samples().filter((x) => x.series.startsWith('ts_metric')).length >= 2);
    const got = rec.samples().filter((x) => x.series.startsWith('ts_metric'));
    expect(got.find((x) => x.series.includes('job="honour"'))!.t).toBe(T);
    expect(got.find((x) => x.series.includes('job="own"'))!.t).toBeGreaterThan(Date.now() - 60_000);
  });

  it('fails a scrape over a label limit and sends the configured credentials', async () => {
    const auth: string[] = [];
    const addr = await serve((req, res) => {
      auth.push(String(req.headers.authorization));
      text('m{a="1",b="2",c="3"} 1\n')(req, res);
    });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cred-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    fs.writeFileSync(path.join(dir, 'token'), 'from-file\n');
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: lim, label_limit: 4, scrape_interval: 100ms, basic_auth: { username: u, password: p }, static_configs: [{ targets: ["${addr}"] }] }`,
      `  - { job_name: len, label_value_length_limit: 3, scrape_interval: 100ms, authorization: { credentials_file: "${dir}/token" }, static_configs: [{ targets: ["${addr}"] }] }`,
    ].join('\n')));
    await until('both failed', () => m.targets().active.length === 2 && m.targets().active.every((t) => t.status.health === 'down'));
    const err = (job: string) => m.targets().active.find((t) => t.scrapePool === job)!.status.lastError;
    // __name__, a, b, c, instance, job: six labels.
    expect(err('lim')).toMatch(/label_limit exceeded .*number of labels: 6, limit: 4/);
    // The instance label value (127.0.0.1:port) is longer than 3.
    expect(err('len')).toMatch(/label_value_length_limit exceeded/);
    expect(auth).toContain(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(auth).toContain('Bearer from-file');
  });

  it('scrapes over TLS with a CA file or inline CA, server_name, insecure_skip_verify and min/max_version', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tls-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const key = path.join(dir, 'key.pem');
    const cert = path.join(dir, 'cert.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1',
      '-subj', '/CN=exporter.test', '-addext', 'subjectAltName=DNS:exporter.test'], { stdio: 'ignore' });
    const server = createHttpsServer({ key: fs.readFileSync(key), cert: fs.readFileSync(cert) }, text('secure 1\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }));
    const addr = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    const rec = new Recorder();
    const m = manager(rec);
    const job = (name: string, tls: string) => `  - { job_name: ${name}, scheme: https, scrape_interval: 100ms, tls_config: ${tls}, static_configs: [{ targets: ["${addr}"] }] }`;
    await m.applyConfig(jobs([
      'scrape_configs:',
      job('ca', `{ ca_file: "${cert}", server_name: exporter.test }`),
      job('insecure', '{ insecure_skip_verify: true }'),
      job('untrusted', '{ server_name: exporter.test }'),
      job('inline', `{ ca: ${JSON.stringify(fs.readFileSync(cert, 'utf8'))}, server_name: exporter.test, min_version: TLS12 }`),
      job('old', `{ ca_file: "${cert}", server_name: exporter.test, max_version: TLS11 }`),
    ].join('\n')));
    await until('ca and insecure scraped', () => rec.values(`secure{instance="${addr}", job="ca"}`).length > 0 && rec.values(`secure{instance="${addr}", job="insecure"}`).length > 0);
    // As Go words it (Prometheus 2.42 says the same, see test/scrape-errors.test.ts).
    await until('untrusted refused', () => m.targets().active.find((t) => t.scrapePool === 'untrusted')?.status.lastError === `Get "https://${addr}/metrics": x509: certificate signed by unknown authority`);
    await until('inline CA trusted', () => rec.values(`secure{instance="${addr}", job="inline"}`).length > 0);
    // TLS 1.1 at most is refused by a server that speaks 1.2 and 1.3.
    await until('old TLS refused', () => m.targets().active.find((t) => t.scrapePool === 'old')?.status.health === 'down');
    expect(m.targets().active.find((t) => t.scrapePool === 'old')!.status.lastError).toMatch(/protocol|version/i);
    expect(m.targets().active.find((t) => t.scrapePool === 'ca')!.target.url).toBe(`https://${addr}/metrics`);
  });

  it('follows scrape_protocols, fallback_scrape_protocol, enable_compression, track_timestamps_staleness, keep_dropped_targets', async () => {
    const seen: { accept: string; enc: string }[] = [];
    let body = 'om_metric 1 1700000000\nother 2\n# EOF\n';
    const addr = await serve((req, res) => {
      seen.push({ accept: String(req.headers.accept), enc: String(req.headers['accept-encoding']) });
      res.writeHead(200, {});
      res.end(body);
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: p',
      '    scrape_interval: 100ms',
      '    scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]',
      '    fallback_scrape_protocol: OpenMetricsText1.0.0',
      '    enable_compression: false',
      '    track_timestamps_staleness: true',
      '    keep_dropped_targets: 1',
      `    static_configs: [{ targets: ["${addr}", "drop1:1", "drop2:1"] }]`,
      '    relabel_configs: [{ source_labels: [__address__], regex: "drop.*", action: drop }]',
    ].join('\n')));
    const l = `{instance="${addr}", job="p"}`;
    // No Content-Type: parsed as OpenMetrics (the fallback), so the timestamp is in seconds.
    await until('scraped', () => rec.values(`om_metric${l}`).length > 0);
    expect(rec.samples().find((x) => x.series === `om_metric${l}`)!.t).toBe(1_700_000_000_000);
    expect(seen[0]).toEqual({ accept: 'text/plain;version=0.0.4;q=0.6,application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.5,*/*;q=0.4', enc: 'identity' });
    expect(m.targets().dropped).toHaveLength(1);
    expect(m.targets().droppedCounts).toEqual({ p: 2 });
    // A series with its own timestamp that vanishes is marked stale too.
    body = 'other 2\n# EOF\n';
    await until('om_metric stale', () => rec.values(`om_metric${l}`).includes('stale'));
  });

  it('keeps the last good targets of a broken file_sd file or http_sd answer, and drops a deleted file\'s', async () => {
    const a = await serve(text('x 1\n'));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-filesd-'));
    cleanups.push(() => fs.rmSync(dir, { recursive: true, force: true }));
    const file = path.join(dir, 't.json');
    fs.writeFileSync(file, JSON.stringify([{ targets: [a] }]));
    let sdBody = JSON.stringify([{ targets: ['http-sd-target:1'] }]);
    const sd = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(sdBody);
    });
    const m = manager(new Recorder());
    await m.applyConfig(jobs([
      'scrape_configs:',
      `  - { job_name: f, scrape_interval: 1s, file_sd_configs: [{ files: ["${file}"], refresh_interval: 1h }] }`,
      `  - { job_name: h, scrape_interval: 1s, http_sd_configs: [{ url: "http://${sd}/", refresh_interval: 100ms }] }`,
    ].join('\n')));
    const urls = () => m.targets().active.map((t) => t.target.url).sort();
    await until('both discovered', () => urls().length === 2);
    fs.writeFileSync(file, '[{ "targets": [');
    sdBody = '{ not json';
    await new Promise((r) => setTimeout(r, 400));
    expect(urls()).toEqual([`http://${a}/metrics`, 'http://http-sd-target:1/metrics']);
    fs.rmSync(file);
    await until('deleted file\'s target gone', () => urls().length === 1);
    expect(urls()).toEqual(['http://http-sd-target:1/metrics']);
  });

  it('discovers targets over http_sd', async () => {
    const target = await serve(text('via_http 1\n'));
    const sd = await serve((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ targets: [target], labels: { dc: 'one' } }]));
    });
    const rec = new Recorder();
    const m = manager(rec);
    await m.applyConfig(jobs(`scrape_configs: [{ job_name: h, scrape_interval: 100ms, http_sd_configs: [{ url: "http://${sd}/sd" }] }]`));
    await until('scraped', () => rec.values(`via_http{dc="one", instance="${target}", job="h"}`).length >= 1);
  });

  it('reloads without restarting unchanged loops; removed jobs go stale', async () => {
    const addr = await serve(text('x 1\n'));
    const rec = new Recorder();
    const m = manager(rec);
    const one = `  - { job_name: one, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`;
    const two = `  - { job_name: two, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }] }`;
    await m.applyConfig(jobs(['scrape_configs:', one, two].join('\n')));
    await until('both scraped', () => m.targets().active.every((t) => t.status.health === 'up'));
    const statusOne = m.targets().active.find((t) => t.scrapePool === 'one')!.status;
    // Same job one, job two gone, a metric_relabel change in a new job three.
    await m.applyConfig(jobs(['scrape_configs:', one].join('\n')));
    expect(m.targets().active.map((t) => t.scrapePool)).toEqual(['one']);
    expect(m.targets().active[0].status).toBe(statusOne);
    expect(rec.values(`x{instance="${addr}", job="two"}`).at(-1)).toBe('stale');
    expect(rec.values(`up{instance="${addr}", job="two"}`).at(-1)).toBe('stale');
    // A changed job keeps the loop of a target that is still there.
    await m.applyConfig(jobs(['scrape_configs:', `  - { job_name: one, scrape_interval: 100ms, sample_limit: 10, static_configs: [{ targets: ["${addr}"] }] }`].join('\n')));
    expect(m.targets().active[0].status).toBe(statusOne);
    expect(rec.values(`x{instance="${addr}", job="one"}`)).not.toContain('stale');
    // A metric_relabel change renames the series: the old one goes stale at the next scrape.
    await m.applyConfig(jobs(['scrape_configs:', `  - { job_name: one, scrape_interval: 100ms, static_configs: [{ targets: ["${addr}"] }], metric_relabel_configs: [{ target_label: v, replacement: "2" }] }`].join('\n')));
    expect(m.targets().active[0].status).toBe(statusOne);
    await until('renamed series', () => rec.values(`x{instance="${addr}", job="one", v="2"}`).length > 0);
    expect(rec.values(`x{instance="${addr}", job="one"}`).at(-1)).toBe('stale');
  });

  it('spreads the scrapes of many targets over the interval', async () => {
    const firstSeen = new Map<string, number>();
    const addr = await serve((req, res) => {
      if (!firstSeen.has(req.url!)) firstSeen.set(req.url!, Date.now());
      text('a 1\n')(req, res);
    });
    const m = manager(new Recorder());
    // Twelve distinct targets through twelve static groups.
    await m.applyConfig(jobs([
      'scrape_configs:',
      '  - job_name: many',
      '    scrape_interval: 1s',
      '    static_configs:',
      ...Array.from({ length: 12 }, (_, i) => `      - { targets: ["${addr}"], labels: { __param_n: "${i}", n: "${i}" } }`),
    ].join('\n')));
    await until('all scraped', () => firstSeen.size >= 12, 3000);
    const times = [...firstSeen.values()].sort((x, y) => x - y);
    expect(times.at(-1)! - times[0]).toBeGreaterThan(300);
  });
});
