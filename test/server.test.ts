// End-to-end tests of `strata server`, run as a child process exactly as an operator runs it.
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as path from 'node:path';
import snappy from 'snappy';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest, postWrite, writeSeries, type TestSeries } from './helpers/remotewrite.ts';
import {
  getJson, metricValue, parseExport, query, runStrataCommand, startStrata, tempDir, type StrataProcess,
} from './helpers/server.ts';

// Recent whole-second timestamps: the head accepts samples down to an hour (half a block range)
// before the newest it holds, and self-monitoring keeps that at "now".
const T0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;

function exportOf(s: StrataProcess, match: string) {
  return fetch(`${s.url}/api/v1/export?${query({ 'match[]': match })}`).then(async (r) => {
    expect(r.status).toBe(200);
    return parseExport(await r.text());
  });
}

describe('strata server', () => {
  let dir: string;
  let cfg: string;
  let s: StrataProcess;

  beforeAll(async () => {
    dir = tempDir();
    cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, [
      'server:',
      '  max_request_bytes: 64KiB',
      'self_monitoring:',
      '  interval: 1s',
      'global:',
      '  scrape_interval: 15s',
      'remote_read: []',
    ].join('\n'));
    s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
  });

  afterAll(async () => {
    await s?.stop('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('is healthy and ready, having listened before opening the storage', async () => {
    expect((await fetch(`${s.url}/-/healthy`)).status).toBe(200);
    expect((await fetch(`${s.url}/-/ready`)).status).toBe(200);
    const msgs = s.logLines().map((l) => l.msg);
    expect(msgs.indexOf('listening')).toBeGreaterThanOrEqual(0);
    expect(msgs.indexOf('listening')).toBeLessThan(msgs.indexOf('storage open'));
    expect(msgs.indexOf('storage open')).toBeLessThan(msgs.indexOf('ready'));
    // A prometheus.yml section not used yet is reported once, not refused; global is used.
    expect(s.logLines().filter((l) => l.level === 'warn' && /remote_read .*not used yet/.test(String(l.msg)))).toHaveLength(1);
    expect(s.logLines().filter((l) => /global/.test(String(l.msg)))).toHaveLength(0);
  });

  it('stores remote-written samples and serves them through series, labels, label values and export', async () => {
    const series: TestSeries[] = [
      { labels: { __name__: 'rw_temp', room: 'kitchen', job: 'sensors' }, samples: [[T0, 21.5], [T0 + 15_000, 22], [T0 + 30_000, 22.25]] },
      { labels: { __name__: 'rw_temp', room: 'hall', job: 'sensors' }, samples: [[T0, -3], [T0 + 15_000, NaN]] },
      { labels: { __name__: 'rw_up', job: 'sensors', instance: 'a:1' }, samples: [[T0, 1]] },
    ];
    const w = await writeSeries(s.url, series);
    expect(w).toEqual({ status: 204, text: '' });

    const sr = await getJson(`${s.url}/api/v1/series?${query({ 'match[]': ['rw_temp', 'rw_up'] })}`);
    expect(sr).toEqual({
      status: 200,
      body: {
        status: 'success',
        data: [
          { __name__: 'rw_temp', job: 'sensors', room: 'hall' },
          { __name__: 'rw_temp', job: 'sensors', room: 'kitchen' },
          { __name__: 'rw_up', instance: 'a:1', job: 'sensors' },
        ],
      },
    });

    const labels = await getJson(`${s.url}/api/v1/labels?${query({ 'match[]': '{job="sensors"}' })}`);
    expect(labels.body).toEqual({ status: 'success', data: ['__name__', 'instance', 'job', 'room'] });
    const rooms = await getJson(`${s.url}/api/v1/label/room/values`);
    expect(rooms.body).toEqual({ status: 'success', data: ['hall', 'kitchen'] });
    const names = await getJson(`${s.url}/api/v1/label/__name__/values?${query({ 'match[]': '{job="sensors"}' })}`);
    expect(names.body.data).toEqual(['rw_temp', 'rw_up']);

    // A time range before every sample finds nothing.
    const before = await getJson(`${s.url}/api/v1/series?${query({ 'match[]': 'rw_temp', end: String((T0 - 60_000) / 1000) })}`);
    expect(before.body).toEqual({ status: 'success', data: [] });

    expect(await exportOf(s, 'rw_temp')).toEqual([
      { metric: { __name__: 'rw_temp', job: 'sensors', room: 'hall' }, values: [-3, 'NaN'], timestamps: [T0, T0 + 15_000] },
      { metric: { __name__: 'rw_temp', job: 'sensors', room: 'kitchen' }, values: [21.5, 22, 22.25], timestamps: [T0, T0 + 15_000, T0 + 30_000] },
    ]);
  });

  it('answers a resend of the same request with 204 and stores nothing twice', async () => {
    const req = encodeWriteRequest([
      { labels: { __name__: 'rw_resend', job: 'r', n: '1' }, samples: [[T0, 1]] },
      { labels: { __name__: 'rw_resend', job: 'r', n: '2' }, samples: [[T0, 2]] },
    ]);
    for (let i = 0; i < 3; i++) expect(await postWrite(s.url, req)).toEqual({ status: 204, text: '' });
    expect(await exportOf(s, 'rw_resend')).toEqual([
      { metric: { __name__: 'rw_resend', job: 'r', n: '1' }, values: [1], timestamps: [T0] },
      { metric: { __name__: 'rw_resend', job: 'r', n: '2' }, values: [2], timestamps: [T0] },
    ]);
  });

  it('never stores a sample twice, even when a resend of several samples per series is partly refused', async () => {
    // The head compares a sample with the latest of its series: an identical latest sample is a
    // no-op, older ones of the resend count as out of order (400, as Prometheus answers).
    const req = encodeWriteRequest([{ labels: { __name__: 'rw_resend_multi', job: 'r' }, samples: [[T0, 1], [T0 + 1000, 2]] }]);
    expect((await postWrite(s.url, req)).status).toBe(204);
    const again = await postWrite(s.url, req);
    expect([204, 400]).toContain(again.status);
    expect(await exportOf(s, 'rw_resend_multi')).toEqual([
      { metric: { __name__: 'rw_resend_multi', job: 'r' }, values: [1, 2], timestamps: [T0, T0 + 1000] },
    ]);
  });

  // Every refusal says why in words a sender's operator can act on, and writes nothing: each case
  // also carries a valid series, which must not appear.
  const good = (name: string): TestSeries => ({ labels: { __name__: name, job: 'bad' }, samples: [[T0, 1]] });
  const cases: [string, () => Uint8Array, number, RegExp][] = [
    ['corrupt snappy', () => Buffer.from('definitely not snappy'), 400, /snappy/i],
    ['a body that is not a WriteRequest', () => snappy.compressSync(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f, 0x01])), 400, /protobuf|truncated|length/i],
    // Names are any non-empty UTF-8, as in Prometheus 3 (2.42 refused "0bad" and "bad-label").
    ['a metric name that is not UTF-8', () => encodeWriteRequest([good('bad_a'), { labels: { __name__: 'bad\ud800', job: 'x' }, samples: [[T0, 1]] }]), 400, /invalid UTF-8/],
    ['an empty label name', () => encodeWriteRequest([good('bad_b'), { labels: { __name__: 'ok', '': 'x' }, samples: [[T0, 1]] }]), 400, /invalid label name ""/],
    ['a series without a name', () => encodeWriteRequest([good('bad_c'), { labels: { job: 'x' }, samples: [[T0, 1]] }]), 400, /no __name__/],
    ['a sample far in the future', () => encodeWriteRequest([good('bad_d'), { labels: { __name__: 'future' }, samples: [[Date.now() + 86_400_000, 1]] }]), 400, /ahead of the receiver's clock/],
    ['native histograms', () => encodeWriteRequest([good('bad_e'), { labels: { __name__: 'hist' }, histograms: [T0] }]), 400, /native histograms are not supported/],
    ['too many labels', () => encodeWriteRequest([good('bad_f'), { labels: Object.fromEntries([['__name__', 'wide'], ...Array.from({ length: 70 }, (_, i) => [`l${i}`, 'v'])]), samples: [[T0, 1]] }]), 400, /71 labels, more than the limit of 64/],
  ];
  it.each(cases)('refuses %s with a readable reason and writes nothing', async (_name, body, status, reason) => {
    const r = await postWrite(s.url, body());
    expect(r.status).toBe(status);
    expect(r.text).toMatch(reason);
    const found = await getJson(`${s.url}/api/v1/series?${query({ 'match[]': '{job="bad"}' })}`);
    expect(found.body).toEqual({ status: 'success', data: [] });
  });

  it('refuses a body over server.max_request_bytes with 413 without storing any of it', async () => {
    const samples: [number, number][] = Array.from({ length: 20_000 }, (_, i) => [T0 + i * 1000, Math.random()]);
    const body = encodeWriteRequest([{ labels: { __name__: 'too_big', job: 'bad' }, samples }]);
    expect(body.length).toBeGreaterThan(64 * 1024);
    const r = await postWrite(s.url, body);
    expect(r.status).toBe(413);
    expect(r.text).toMatch(/exceeds the limit of 65536 bytes/);
    // Sent chunked (no Content-Length), the limit is enforced while reading.
    const chunked = await postWrite(s.url, body, {}, true);
    expect(chunked.status).toBe(413);
    expect((await getJson(`${s.url}/api/v1/series?${query({ 'match[]': 'too_big' })}`)).body.data).toEqual([]);
  });

  it('refuses a wrong content type with 415', async () => {
    const r = await postWrite(s.url, encodeWriteRequest([good('bad_g')]), { 'Content-Type': 'application/json' });
    expect(r.status).toBe(415);
    expect(r.text).toMatch(/Content-Type/);
  });

  it('stores the rest of a batch when some samples are out of order, and says which were dropped', async () => {
    const oooBefore = metricValue(await (await fetch(`${s.url}/metrics`)).text(), 'strata_remote_write_rejected_samples_total{reason="out_of_order"}') ?? 0;
    expect((await writeSeries(s.url, [{ labels: { __name__: 'ooo', job: 'o' }, samples: [[T0 + 10_000, 1]] }])).status).toBe(204);
    const r = await writeSeries(s.url, [
      { labels: { __name__: 'ooo', job: 'o' }, samples: [[T0, 5], [T0 + 20_000, 2]] },
      { labels: { __name__: 'ooo_other', job: 'o' }, samples: [[T0, 7]] },
    ]);
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/^1 of 3 samples rejected \(out_of_order: 1\); the other 2 samples were stored/);
    expect(await exportOf(s, '{job="o"}')).toEqual([
      { metric: { __name__: 'ooo', job: 'o' }, values: [1, 2], timestamps: [T0 + 10_000, T0 + 20_000] },
      { metric: { __name__: 'ooo_other', job: 'o' }, values: [7], timestamps: [T0] },
    ]);
    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(metrics, 'strata_remote_write_rejected_samples_total{reason="out_of_order"}')).toBe(oooBefore + 1);
  });

  it('counts requests and rejections in /metrics', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(text, 'strata_remote_write_requests_total{code="204"}')).toBeGreaterThanOrEqual(4);
    expect(metricValue(text, 'strata_remote_write_requests_total{code="400"}')).toBeGreaterThanOrEqual(cases.length);
    expect(metricValue(text, 'strata_remote_write_requests_total{code="413"}')).toBe(2);
    expect(metricValue(text, 'strata_remote_write_rejected_samples_total{reason="invalid_label_name"}')).toBe(2);
    expect(metricValue(text, 'strata_tsdb_head_series')).toBeGreaterThan(0);
    expect(metricValue(text, 'strata_tsdb_head_open_chunk_reads_total{result="miss"}')).toBeGreaterThanOrEqual(0);
    expect(text).toMatch(/^strata_http_request_duration_seconds_bucket\{le="0\.1",handler="remote_write",code="204"\} \d+/m);
  });

  it('stores its own metrics with job="strata" and its instance', async () => {
    let data: Record<string, string>[] = [];
    for (let i = 0; i < 100 && data.length === 0; i++) {
      data = (await getJson(`${s.url}/api/v1/series?${query({ 'match[]': 'strata_build_info{job="strata"}' })}`)).body.data;
      if (data.length === 0) await new Promise((r) => setTimeout(r, 50));
    }
    expect(data).toEqual([{ __name__: 'strata_build_info', instance: s.address, job: 'strata', version: expect.any(String) }]);
  });

  it('flushes the head into blocks, visible in /metrics, and keeps serving the data', async () => {
    const r = await getJson(`${s.url}/api/v1/admin/tsdb/flush`, { method: 'POST' });
    expect(r.status).toBe(200);
    expect(r.body.data.blocks).toBeGreaterThanOrEqual(1);
    expect(r.body.data.samples).toBeGreaterThanOrEqual(9);
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(metricValue(text, 'strata_tsdb_blocks{tier="raw"}')).toBeGreaterThanOrEqual(1);
    expect(metricValue(text, 'strata_tsdb_block_samples{tier="raw"}')).toBeGreaterThanOrEqual(9);
    expect((await exportOf(s, 'rw_temp')).map((x) => x.values)).toEqual([[-3, 'NaN'], [21.5, 22, 22.25]]);
  });

  it('stops on SIGTERM with exit code 0 and has everything back after a restart', async () => {
    // Data only in the WAL (written after the flush) and data in blocks must both come back. The
    // flush persisted the head up to now, so only newer samples are accepted.
    const now = Date.now();
    expect(await writeSeries(s.url, [{ labels: { __name__: 'after_flush', job: 'w' }, samples: [[now, 42]] }])).toEqual({ status: 204, text: '' });
    const before = await exportOf(s, '{job=~"sensors|r|o|w"}');
    expect(await s.stop('SIGTERM')).toEqual({ code: 0, signal: null });
    expect(s.logLines().map((l) => l.msg)).toContain('stopped');

    s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
    expect(await exportOf(s, '{job=~"sensors|r|o|w"}')).toEqual(before);
    expect(before.map((x) => x.metric.__name__)).toEqual(['after_flush', 'ooo', 'ooo_other', 'rw_resend', 'rw_resend', 'rw_resend_multi', 'rw_temp', 'rw_temp', 'rw_up']);
  });
});

describe('strata server with a WAL segment damaged while it runs', () => {
  it('keeps answering, accepting and flushing, counts the damage in /metrics, and serves everything after a kill -9', async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, 'storage: { wal: { segment_size: 4KiB } }\nself_monitoring: { enabled: false }\n');
    let s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
    try {
      for (let i = 0; i < 30; i++) {
        const series: TestSeries[] = [];
        for (let k = 0; k < 50; k++) series.push({ labels: { __name__: 'wal_damage', job: 'd', k: String(k) }, samples: [[T0 + i * 10_000, i * k]] });
        expect((await writeSeries(s.url, series)).status).toBe(204);
      }
      const walDir = path.join(dir, 'data', 'wal');
      const segs = fs.readdirSync(walDir).filter((n) => /^\d{8}$/.test(n)).sort();
      expect(segs.length).toBeGreaterThan(2);
      const file = path.join(walDir, segs[0]);
      const buf = fs.readFileSync(file);
      for (let i = 0; i < 8; i++) buf[(buf.length >> 1) + i] ^= 0xff;
      fs.writeFileSync(file, buf);

      // The flush puts every sample into blocks, so its checkpoint may skip the damaged part.
      const r = await getJson(`${s.url}/api/v1/admin/tsdb/flush`, { method: 'POST' });
      expect(r.status).toBe(200);
      expect((await fetch(`${s.url}/-/ready`)).status).toBe(200);
      const text = await (await fetch(`${s.url}/metrics`)).text();
      expect(metricValue(text, 'strata_tsdb_wal_corruptions_total')).toBe(1);
      expect(metricValue(text, 'strata_tsdb_wal_checkpoints_failed_total')).toBe(0);
      expect(s.logLines().some((l) => l.level === 'error' && String(l.msg).includes(`segment ${segs[0]} is damaged at offset`))).toBe(true);
      expect(await writeSeries(s.url, [{ labels: { __name__: 'wal_damage_after', job: 'd' }, samples: [[Date.now(), 1]] }])).toEqual({ status: 204, text: '' });
      const served = await exportOf(s, '{job="d"}');
      expect(served).toHaveLength(51);
      expect(served.filter((x) => x.metric.__name__ === 'wal_damage').every((x) => x.values.length === 30)).toBe(true);

      await s.stop('SIGKILL');
      s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
      expect(await exportOf(s, '{job="d"}')).toEqual(served);
    } finally {
      await s.stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('strata server shutdown', () => {
  it('waits for an in-flight request on SIGTERM and exits at once on a second signal', async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, 'server: { shutdown_timeout: 1m }\nself_monitoring: { enabled: false }\n');
    const s = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
    try {
      // A request whose body never completes keeps the graceful shutdown waiting.
      const stuck = http.request(`${s.url}/api/v1/series`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded', 'Content-Length': '100' },
      });
      stuck.on('error', () => {});
      stuck.write('match[]=');
      await new Promise((r) => setTimeout(r, 100));
      s.proc.kill('SIGTERM');
      const first = await Promise.race([s.exited, new Promise((r) => setTimeout(() => r('still running'), 500))]);
      expect(first).toBe('still running');
      expect((await fetch(`${s.url}/-/healthy`).catch(() => null))).toBeNull();
      const t0 = Date.now();
      s.proc.kill('SIGTERM');
      expect(await s.exited).toEqual({ code: 1, signal: null });
      expect(Date.now() - t0).toBeLessThan(2000);
      expect(s.logLines().map((l) => l.msg)).toContain('second signal: exiting immediately');
      stuck.destroy();
    } finally {
      await s.stop('SIGKILL');
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('strata command line', () => {
  it('explains a bad config file with file:line:col and field, exit code 1', async () => {
    const dir = tempDir();
    try {
      const cfg = path.join(dir, 'strata.yml');
      fs.writeFileSync(cfg, 'storage:\n  path: ./data\n  retention: 7x\nlimits:\n  max_sereis: 10\n');
      const r = await runStrataCommand(['server', '--config', cfg, '--data-dir', path.join(dir, 'data')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${cfg}:3:14: storage.retention: invalid duration "7x" (use e.g. 30s, 5m, 2h, 7d, 0 to keep everything)`);
      expect(r.stderr).toContain(`${cfg}:5:3: limits.max_sereis: unknown field (did you mean max_series?)`);
      expect(fs.existsSync(path.join(dir, 'data'))).toBe(false);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('prints help and version, and refuses unknown commands and flags with usage and exit code 2', async () => {
    const help = await runStrataCommand(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: strata <command>/);
    const version = await runStrataCommand(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    expect(version.stdout).toContain(`strata ${pkg.version}`);
    const bad = await runStrataCommand(['serve']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^strata: unknown command "serve"\n\nUsage:/);
    const badFlag = await runStrataCommand(['server', '--port', '80']);
    expect(badFlag.code).toBe(2);
    expect(badFlag.stderr).toContain('unknown flag --port');
  });
});
