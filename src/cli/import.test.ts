import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { SampleBatchBuilder, labelsFromRecord, newMatcher } from '../model/index.ts';
import { listBlockDirs, readMeta } from '../tsdb/block/index.ts';
import { openDB } from '../tsdb/index.ts';
import { parseArgs, UsageError } from './args.ts';
import { formatSummary, importFiles } from './import.ts';

const logger = pino({ level: 'silent' });
const H = 3600_000;
const BIN = path.resolve(import.meta.dirname, '../../bin/strata.js');
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});
function tmpdir(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-import-'));
  dirs.push(d);
  return d;
}

/** Samples of `hosts` gauges every minute for `hours` from `start`, as text 0.0.4 lines (ms). */
function generate(start: number, hours: number, hosts: number): { text: string; expected: Map<string, [number, number][]> } {
  const expected = new Map<string, [number, number][]>();
  const lines = ['# HELP temp Temperature.', '# TYPE temp gauge'];
  for (let t = start; t < start + hours * H; t += 60_000) {
    for (let h = 0; h < hosts; h++) {
      const v = Math.round(Math.sin(t / 1e7 + h) * 1000) / 8;
      lines.push(`temp{host="h${h}",dc="eu"} ${v} ${t}`);
      const k = `h${h}`;
      if (!expected.has(k)) expected.set(k, []);
      expected.get(k)!.push([t, v]);
    }
  }
  return { text: lines.join('\n') + '\n', expected };
}

describe('strata import', () => {
  it('imports last year\'s data (gzip, in several flushes) and data overlapping existing blocks; the DB serves it exactly', async () => {
    const dir = tmpdir();
    const data = path.join(dir, 'data');
    // Existing blocks: host h0, every 2 minutes over the first 4h of the imported range.
    const start = Date.UTC(new Date().getUTCFullYear() - 1, 2, 3, 4);
    let db = await openDB({ dir: data, logger, retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    const b = new SampleBatchBuilder();
    b.startSeries(labelsFromRecord({ __name__: 'temp', dc: 'eu', host: 'h0' }));
    for (let t = start + 30_000; t < start + 4 * H; t += 120_000) b.add(t, -1);
    await db.append(b.build());
    await db.flush();
    await db.close();

    const gen = generate(start, 30, 5);
    const file = path.join(dir, 'old.prom.gz');
    fs.writeFileSync(file, zlib.gzipSync(gen.text));
    const progress: string[] = [];
    // Fixed 2h blocks (--block-range), so every flush writes into the same 15-16 windows.
    const sum = await importFiles({
      files: [file], dataDir: data, maxSamplesInMemory: 3000, blockRangeMs: 2 * H,
      progress: { write: (s: string) => progress.push(s) } as unknown as NodeJS.WritableStream,
    }, logger);
    expect(sum.series).toBe(5);
    expect(sum.samples).toBe(5 * 30 * 60);
    expect(sum.rejectedLines).toBe(0);
    expect(sum.minTime).toBe(start);
    expect(sum.maxTime).toBe(start + 30 * H - 60_000);
    expect(sum.blocks).toBeGreaterThan(16); // several flushes over 15-16 windows: overlapping blocks
    expect(progress.at(-1)).toMatch(/100% .* 9,000 samples {2}5 series/);
    expect(formatSummary(sum)).toContain(`time range: ${new Date(start).toISOString()} .. `);
    expect(formatSummary(sum)).toContain('storage.retention');
    expect(formatSummary(sum, start + 30 * H)).not.toContain('storage.retention');

    db = await openDB({ dir: data, logger, retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    const got = await db.querier().select([newMatcher('=', '__name__', 'temp')], start - H, start + 31 * H);
    expect(got.map((s) => s.labels[5])).toEqual(['h0', 'h1', 'h2', 'h3', 'h4']);
    for (const s of got) {
      let exp = gen.expected.get(s.labels[5])!;
      if (s.labels[5] === 'h0') {
        const old: [number, number][] = [];
        for (let t = start + 30_000; t < start + 4 * H; t += 120_000) old.push([t, -1]);
        exp = [...exp, ...old].sort((x, y) => x[0] - y[0]);
      }
      expect(Array.from(s.timestamps)).toEqual(exp.map((e) => e[0]));
      expect(Array.from(s.values)).toEqual(exp.map((e) => e[1]));
    }
    await db.close();
  });

  it('is refused while a live process holds the data directory, and reports bad lines by number (exit 0 when some data came in, 1 when none)', () => {
    const dir = tmpdir();
    const data = path.join(dir, 'data');
    fs.mkdirSync(data);
    const file = path.join(dir, 'in.txt');
    fs.writeFileSync(file, 'up{job="a"} 1 1700000000000\nup{job="a" 1 1700000015000\nup{job="a"} 1\nup{job="a"} 0 1700000030000\n');
    // A live process other than the importer: a sleeping child.
    const holder = spawn('sleep', ['30']);
    try {
      fs.writeFileSync(path.join(data, 'lock'), `${holder.pid}\n`);
      const refused = spawnSync(process.execPath, [BIN, 'import', '--data-dir', data, file], { encoding: 'utf8', timeout: 20_000 });
      expect(refused.status).toBe(1);
      expect(refused.stderr).toContain(`in use by process ${holder.pid}`);
      expect(fs.readdirSync(data)).toEqual(['lock']);
    } finally {
      holder.kill();
    }
    fs.rmSync(path.join(data, 'lock'));
    const ok = spawnSync(process.execPath, [BIN, 'import', `--data-dir=${data}`, file], { encoding: 'utf8', timeout: 20_000 });
    expect(ok.stderr).not.toContain('strata import:');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('imported 1 series, 2 samples into 1 block(s)');
    expect(ok.stdout).toContain('rejected 2 line(s):');
    expect(ok.stdout).toMatch(new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2: .*\n.*:3: sample without a timestamp`));
    expect(fs.existsSync(path.join(data, 'lock'))).toBe(false);

    const bad = path.join(dir, 'bad.txt');
    fs.writeFileSync(bad, 'nothing here\n');
    const none = spawnSync(process.execPath, [BIN, 'import', '--data-dir', data, bad], { encoding: 'utf8', timeout: 20_000 });
    expect(none.status).toBe(1);
    expect(none.stdout).toContain('imported 0 series, 0 samples');
    expect(none.stdout).toContain(':1: ');
  });

  it('keeps what a truncated gzip file held before the cut and reports the cut', async () => {
    const dir = tmpdir();
    const gen = generate(Date.UTC(2024, 0, 1), 2, 200);
    const gz = zlib.gzipSync(gen.text);
    const file = path.join(dir, 'cut.prom.gz');
    fs.writeFileSync(file, gz.subarray(0, Math.floor(gz.length * 0.8)));
    const sum = await importFiles({ files: [file], dataDir: path.join(dir, 'data'), progress: null }, logger);
    expect(sum.samples).toBeGreaterThan(0);
    expect(sum.samples).toBeLessThan(200 * 120);
    expect(sum.rejectedLines).toBe(1);
    expect(sum.rejected[0].message).toMatch(/cannot read the file any further: .*end of file/);
  });

  it('without --block-range writes the blocks the server\'s HTTP import would (its block range and retention)', async () => {
    const dir = tmpdir();
    // Four days of last year at 10 min steps, 3 series: with 400d retention compaction goes up to
    // 486h (20.25d) windows; with the defaults (2h, 7d) up to 6h.
    const start = Date.UTC(new Date().getUTCFullYear() - 1, 4, 5, 7);
    const lines: string[] = [];
    const series = [0, 1, 2].map((h) => ({ labels: labelsFromRecord({ __name__: 'adapt', host: `h${h}` }), t: [] as number[], v: [] as number[] }));
    for (let t = start; t < start + 96 * H; t += 600_000) {
      for (const [h, s] of series.entries()) {
        lines.push(`adapt{host="h${h}"} ${h} ${t}`);
        s.t.push(t);
        s.v.push(h);
      }
    }
    const file = path.join(dir, 'four-days.prom');
    fs.writeFileSync(file, lines.join('\n') + '\n');
    const windowsOf = (data: string) => listBlockDirs(data).map((d) => readMeta(d)).map((m) => [m.minTime, m.maxTime]).sort((a, b) => a[0] - b[0]);
    const viaHttpImport = async (retentionMs: number) => {
      const data = path.join(dir, `db-${retentionMs}`);
      const db = await openDB({ dir: data, logger, retentionMs, maintenanceIntervalMs: 3600_000 });
      await db.import(series.map((s) => ({ labels: s.labels, timestamps: Float64Array.from(s.t), values: Float64Array.from(s.v) })));
      await db.close();
      return windowsOf(data);
    };

    const year = path.join(dir, 'cli-400d');
    await importFiles({ files: [file], dataDir: year, progress: null, storage: { blockRangeMs: 2 * H, retentionMs: 400 * 24 * H, configFile: 'strata.yml' } }, logger);
    const want = await viaHttpImport(400 * 24 * H);
    expect(windowsOf(year)).toEqual(want);
    expect(want.every(([a, b]) => b - a === 486 * H)).toBe(true);

    const defaults = path.join(dir, 'cli-defaults');
    const sum = await importFiles({ files: [file], dataDir: defaults, progress: null }, logger);
    expect(windowsOf(defaults)).toEqual(await viaHttpImport(7 * 24 * H));
    expect(windowsOf(defaults).every(([a, b]) => b - a === 6 * H)).toBe(true);
    expect(sum.blocks).toBe(windowsOf(defaults).length);

    // --block-range overrides the choice.
    const fixed = path.join(dir, 'cli-1d');
    await importFiles({ files: [file], dataDir: fixed, progress: null, blockRangeMs: 24 * H }, logger);
    expect(windowsOf(fixed).every(([a, b]) => b - a === 24 * H)).toBe(true);

    // A WAL a server left (data not yet in a block): its head may begin anywhere, so every block
    // keeps the head's range, none can have a head block inside it.
    const withWal = path.join(dir, 'cli-wal');
    const db = await openDB({ dir: withWal, logger, retentionMs: 0, maintenanceIntervalMs: 3600_000 });
    const b = new SampleBatchBuilder();
    b.startSeries(labelsFromRecord({ __name__: 'live' }));
    b.add(Date.now() - 60_000, 1);
    await db.append(b.build());
    await db.close();
    await importFiles({ files: [file], dataDir: withWal, progress: null, storage: { blockRangeMs: 2 * H, retentionMs: 400 * 24 * H, configFile: 'strata.yml' } }, logger);
    expect(windowsOf(withWal).length).toBeGreaterThan(0);
    expect(windowsOf(withWal).every(([a, c]) => c - a === 2 * H)).toBe(true);
  });

  it('notes the retention of the server\'s config (--config, which also names the data directory), or says the server\'s retention decides', () => {
    const dir = tmpdir();
    // 300 days back: past a 30d retention, within 400d.
    const start = Math.floor((Date.now() - 300 * 24 * H) / H) * H;
    const file = path.join(dir, 'old.prom');
    fs.writeFileSync(file, `old_m 1 ${start}\nold_m 2 ${start + 60_000}\n`);
    const cfg = path.join(dir, 'strata.yml');
    const data = path.join(dir, 'server-data');
    fs.writeFileSync(cfg, `storage:\n  path: ${JSON.stringify(data)}\n  retention: 30d\n`);
    const withConfig = spawnSync(process.execPath, [BIN, 'import', '--config', cfg, file], { encoding: 'utf8', timeout: 20_000 });
    expect(withConfig.stderr).not.toContain('strata');
    expect(withConfig.status).toBe(0);
    expect(withConfig.stdout).toMatch(new RegExp(`note: data before \\S+ is older than storage\\.retention \\(30d in ${cfg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, counted from the newest data\\) and is deleted when the server starts`));
    expect(listBlockDirs(data)).toHaveLength(1);

    fs.writeFileSync(cfg, `storage:\n  path: ${JSON.stringify(data)}\n  retention: 400d\n`);
    const kept = spawnSync(process.execPath, [BIN, 'import', '--config', cfg, file], { encoding: 'utf8', timeout: 20_000 });
    expect(kept.status).toBe(0);
    expect(kept.stdout).not.toContain('note:');

    const noConfig = spawnSync(process.execPath, [BIN, 'import', '--data-dir', path.join(dir, 'elsewhere'), file], { encoding: 'utf8', timeout: 20_000 });
    expect(noConfig.status).toBe(0);
    expect(noConfig.stdout).toContain('note: how long this data is kept is decided by the server\'s storage.retention (7d unless its config sets another');
    expect(noConfig.stdout).toContain('pass --config with the server\'s config file');

    fs.writeFileSync(cfg, 'storage:\n  retention: soon\n');
    const bad = spawnSync(process.execPath, [BIN, 'import', '--config', cfg, file], { encoding: 'utf8', timeout: 20_000 });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/strata\.yml:2:14: storage\.retention: /);
  });

  it('parses its command line', () => {
    expect(parseArgs(['import', '--data-dir', 'd', '--block-range=1d', '--format', 'openmetrics', 'a', 'b'])).toEqual({
      kind: 'import', dataDir: 'd', blockRange: '1d', format: 'openmetrics', files: ['a', 'b'],
    });
    expect(parseArgs(['import', '--config', 'strata.yml', 'a'])).toEqual({ kind: 'import', config: 'strata.yml', files: ['a'] });
    expect(() => parseArgs(['import'])).toThrow(UsageError);
    expect(() => parseArgs(['import', '--format', 'csv', 'a'])).toThrow('--format must be');
    expect(() => parseArgs(['import', '--speed', '1', 'a'])).toThrow('unknown flag --speed for import');
  });
});
