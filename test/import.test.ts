// POST /api/v1/import/prometheus through the real `strata server` process: lines with timestamps of
// any age are stored (recent ones in the head, older ones in import blocks), served at once and
// after a restart; bad lines are refused by number and nothing else is lost.
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getJson, metricValue, parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import type { ImportAnswer } from '../src/api/push/import.ts';

const NOW = Math.floor(Date.now() / 1000) * 1000;
const DAY = 24 * 3600_000;
const YEAR_AGO = Math.floor((NOW - 365 * DAY) / 60_000) * 60_000;
let s: StrataProcess;
let dir: string;

const start = () => startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', path.join(dir, 'strata.yml')] });

beforeAll(async () => {
  dir = tempDir();
  // Retention counts back from the newest data: 400d keeps last year's imports (see the warning test).
  fs.writeFileSync(path.join(dir, 'strata.yml'), 'storage:\n  retention: 400d\n');
  s = await start();
});

afterAll(async () => {
  await s?.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function exportOf(match: string) {
  const r = await fetch(`${s.url}/api/v1/export?${query({ 'match[]': match })}`);
  expect(r.status).toBe(200);
  return parseExport(await r.text());
}

async function post(body: string | Buffer, headers: Record<string, string> = {}): Promise<{ status: number; answer: ImportAnswer }> {
  const r = await fetch(`${s.url}/api/v1/import/prometheus`, { method: 'POST', body, headers });
  return { status: r.status, answer: (await r.json()) as ImportAnswer };
}

/** The instant value of `expr` at `t` (ms), or undefined when the query finds nothing. */
async function valueAt(expr: string, t: number): Promise<number | undefined> {
  const r = await getJson(`${s.url}/api/v1/query?${query({ query: expr, time: String(t / 1000) })}`);
  expect(r.status).toBe(200);
  const v = r.body.data.result as { value: [number, string] }[];
  return v.length === 0 ? undefined : Number(v[0].value[1]);
}

describe('POST /api/v1/import/prometheus', () => {
  it('stores timestamped text (several lines per series, any order) and answers with a summary', async () => {
    const lines = [];
    for (let i = 9; i >= 0; i--) lines.push(`imp_a{k="1"} ${i} ${NOW - 60_000 + i * 1000}`);
    lines.push(`imp_a{k="2"} 5 ${NOW - 30_000}`);
    const { status, answer } = await post(zlib.gzipSync(lines.join('\n') + '\n'), { 'Content-Encoding': 'gzip' });
    expect(status).toBe(200);
    expect(answer).toMatchObject({
      status: 'success', series: 2, written: 11, headSamples: 11, blockSamples: 0, rejected: {}, rejectedLines: [], warnings: [],
      minTime: new Date(NOW - 60_000).toISOString(), maxTime: new Date(NOW - 30_000).toISOString(),
    });
    const got = await exportOf('imp_a');
    expect(got.find((x) => x.metric.k === '1')!.timestamps).toEqual(Array.from({ length: 10 }, (_, i) => NOW - 60_000 + i * 1000));
    expect(got.find((x) => x.metric.k === '1')!.values).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(got.find((x) => x.metric.k === '2')!.values).toEqual([5]);
  });

  it('takes OpenMetrics by Content-Type (timestamps in seconds)', async () => {
    const body = `# TYPE imp_om gauge\nimp_om 1.5 ${(NOW - 20_000) / 1000}\n# EOF\n`;
    const { status } = await post(body, { 'Content-Type': 'application/openmetrics-text; version=1.0.0' });
    expect(status).toBe(200);
    const got = await exportOf('imp_om');
    expect(got[0].timestamps).toEqual([NOW - 20_000]);
    expect(got[0].values).toEqual([1.5]);
  });

  it('imports last year\'s data into blocks on the running server, queryable at once and after a restart', async () => {
    // One day of last year at 1 min steps, in a random-ish order, the last sample repeated (the later line wins).
    const lines: string[] = [];
    for (let i = 0; i < 1440; i++) {
      const k = (i * 577) % 1440;
      lines.push(`imp_year{host="a"} ${k} ${YEAR_AGO + k * 60_000}`);
    }
    lines.push(`imp_year{host="a"} -1 ${YEAR_AGO + 1439 * 60_000}`);
    const { status, answer } = await post(lines.join('\n'));
    expect(status).toBe(200);
    expect(answer).toMatchObject({
      status: 'success', series: 1, written: 1440, headSamples: 0, blockSamples: 1440, duplicatesDropped: 1,
      minTime: new Date(YEAR_AGO).toISOString(), maxTime: new Date(YEAR_AGO + 1439 * 60_000).toISOString(), warnings: [],
    });
    expect(answer.blocks).toBeLessThanOrEqual(2); // blocks of compaction's largest range, not twelve of 2h

    const check = async () => {
      expect(await valueAt('imp_year', YEAR_AGO + 600 * 60_000)).toBe(600);
      expect(await valueAt('imp_year', YEAR_AGO + 1439 * 60_000)).toBe(-1);
      expect(await valueAt('count_over_time(imp_year[1d])', YEAR_AGO + 1439 * 60_000)).toBe(1440);
    };
    await check();
    await s.stop();
    s = await start();
    await check();
  });

  it('stores a mixed body fully: recent samples in the head, old ones in blocks, even within one series', async () => {
    const body = [
      `imp_mix{s="both"} 1 ${YEAR_AGO}`,
      `imp_mix{s="both"} 2 ${NOW - 2000}`,
      `imp_mix{s="old"} 3 ${NOW - 30 * DAY}`,
      `imp_mix{s="new"} 4 ${NOW - 1000}`,
      `imp_mix{s="both"} 5 ${NOW - 10 * DAY}`,
    ].join('\n');
    const { status, answer } = await post(body);
    expect(status).toBe(200);
    expect(answer).toMatchObject({ status: 'success', series: 3, written: 5, headSamples: 2, blockSamples: 3, rejected: {} });
    const got = await exportOf('imp_mix');
    const of = (k: string) => got.find((x) => x.metric.s === k)!;
    expect(of('both').timestamps).toEqual([YEAR_AGO, NOW - 10 * DAY, NOW - 2000]);
    expect(of('both').values).toEqual([1, 5, 2]);
    expect(of('old').values).toEqual([3]);
    expect(of('new').values).toEqual([4]);
  });

  it('refuses bad lines by number and stores everything else, old data included', async () => {
    const body = [`imp_b 1 ${NOW - 10_000}`, 'imp_b{ 2 3', `imp_b 3`, `imp_b 4 ${NOW - 5_000}`, `imp_b 5 ${YEAR_AGO}`].join('\n');
    const { status, answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.status).toBe('partial');
    expect(answer.written).toBe(3);
    expect(answer.rejected).toEqual({ parse_error: 2 });
    expect(answer.rejectedLines.map((l) => l.line)).toEqual([2, 3]);
    expect(answer.rejectedLines[1].message).toMatch(/without a timestamp/);
    expect(answer.message).toMatch(/2 line\(s\) refused/);
    expect((await exportOf('imp_b'))[0].values).toEqual([5, 1, 4]);
    expect(metricValue(await (await fetch(`${s.url}/metrics`)).text(), 'strata_push_rejected_samples_total{protocol="import",reason="parse_error"}')).toBe(2);
  });

  it('refuses a series that fails validation by name and keeps the others', async () => {
    const body = [`imp_c 1 ${NOW - 1000}`, `imp_future 2 ${NOW + 3600_000}`].join('\n');
    const { status, answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.written).toBe(1);
    expect(answer.rejected).toEqual({ too_far_in_future: 1 });
    expect(answer.message).toContain('imp_future');
  });

  it('parses a large body in pieces across which line numbers and series stay right', async () => {
    // Over a megabyte: several pieces. One bad line near the end; a series spread over all pieces.
    const lines: string[] = [];
    for (let i = 0; i < 40_000; i++) lines.push(`imp_big{pad="${'p'.repeat(20)}",i="${i % 7}"} ${i} ${YEAR_AGO + i * 1000}`);
    lines[38_000] = 'imp_big{ broken';
    const { status, answer } = await post(lines.join('\n'));
    expect(status).toBe(400);
    expect(answer.rejectedLines).toEqual([{ line: 38_001, message: expect.any(String) }]);
    expect(answer.written).toBe(39_999);
    expect(answer.series).toBe(7);
    // i = 3, 10, ..., 39994 (the broken line, 38000, is i = 4).
    expect(await valueAt('count_over_time(imp_big{i="3"}[1d])', YEAR_AGO + 40_000 * 1000)).toBe((39_994 - 3) / 7 + 1);
  });

  it('refuses a body that is not UTF-8 with 400, writing nothing', async () => {
    const { status, answer } = await post(Buffer.concat([Buffer.from(`imp_utf 1 ${NOW - 1000}\nimp_utf{x="`), Buffer.from([0xff]), Buffer.from(`"} 2 ${NOW - 1000}\n`)]));
    expect(status).toBe(400);
    expect(answer.message).toMatch(/not valid UTF-8/);
    expect(await exportOf('imp_utf')).toEqual([]);
  });

  it('warns when imported data is older than the retention and will be deleted', async () => {
    const { status, answer } = await post(`imp_ancient 1 ${NOW - 500 * DAY}\n`);
    expect(status).toBe(200);
    expect(answer.written).toBe(1);
    expect(answer.warnings).toHaveLength(1);
    expect(answer.warnings[0]).toMatch(/older than storage\.retention \(400d/);
  });
});

describe('a crash during an HTTP import', () => {
  it('leaves only whole blocks: after kill -9 and a restart, every imported block holds all its samples', async () => {
    const cdir = tempDir();
    const data = path.join(cdir, 'data');
    fs.writeFileSync(path.join(cdir, 'strata.yml'), 'storage:\n  retention: 0\n');
    const args = ['--config', path.join(cdir, 'strata.yml')];
    let c = await startStrata({ dataDir: data, args });
    try {
      // 50 series hourly from a year ago to two days ago: everything goes into import blocks.
      const from = Math.floor((NOW - 366 * DAY) / 3600_000) * 3600_000;
      const times: number[] = [];
      for (let t = from; t < NOW - 2 * DAY; t += 3600_000) times.push(t);
      const lines: string[] = [];
      for (let i = 0; i < 50; i++) for (const t of times) lines.push(`imp_crash{i="${i}"} 1 ${t}`);
      const sending = fetch(`${c.url}/api/v1/import/prometheus`, {
        method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: zlib.gzipSync(lines.join('\n')),
      }).catch(() => null);
      // Kill once the first block is complete, while the next ones are being written (or, on a
      // fast day, after all of them: the check below holds either way).
      const isBlock = (n: string) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n);
      for (let i = 0; i < 2000 && !fs.readdirSync(data).some(isBlock); i++) await new Promise((r) => setTimeout(r, 2));
      await c.stop('SIGKILL');
      await sending;

      c = await startStrata({ dataDir: data, args });
      const blocks = fs.readdirSync(data).filter((n) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(n))
        .map((n) => JSON.parse(fs.readFileSync(path.join(data, n, 'meta.json'), 'utf8')) as { minTime: number; maxTime: number; source?: string });
      expect(fs.readdirSync(data).filter((n) => n.endsWith('.tmp'))).toEqual([]);
      const r = await fetch(`${c.url}/api/v1/export?${query({ 'match[]': 'imp_crash', start: String(from / 1000), end: String(NOW / 1000) })}`);
      const got = parseExport(await r.text());
      const stored = got.reduce((n, s) => n + s.timestamps.length, 0);
      // Every block present is whole: 50 series times the hours of its window that carry data.
      let expected = 0;
      for (const b of blocks) {
        expect(b.source).toBe('import');
        expected += 50 * times.filter((t) => t >= b.minTime && t < b.maxTime).length;
      }
      expect(stored).toBe(expected);
      for (const s of got) for (const t of s.timestamps) expect(blocks.some((b) => t >= b.minTime && t < b.maxTime)).toBe(true);
    } finally {
      await c.stop();
      fs.rmSync(cdir, { recursive: true, force: true });
    }
  });
});
