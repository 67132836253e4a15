// /federate side by side with a real Prometheus (2.42): the same series, loaded into both by remote
// write, both with the same external labels; the bodies must be equal byte for byte, family and
// series order included. Then a second Prometheus scrapes Strata's /federate with honor_labels and
// must end up with the series Strata federates, with Strata's timestamps.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STALE_NAN } from '../../src/model/index.ts';
import { prometheusForComparison, startPrometheus, type PrometheusProcess } from '../helpers/prometheus.ts';
import { writeSeries, type TestSeries } from '../helpers/remotewrite.ts';
import { startStrata, tempDir, type StrataProcess } from '../helpers/server.ts';
import { until } from '../helpers/until.ts';

const EXTERNAL = 'global:\n  scrape_interval: 1h\n  external_labels:\n    cluster: c1\n    region: eu\n';

/** Series whose federation answer does not depend on the exact moment of the request (±1 min). */
function dataSet(now: number): TestSeries[] {
  const t1 = now - 90_000;
  const t2 = now - 30_000;
  const series: TestSeries[] = [];
  // 16 series in one family: more than the 12 Go's sort handles by insertion, so a reordering of
  // equal names would show.
  for (const job of ['api', 'web']) {
    for (const instance of ['i0', 'i1', 'i2', 'i3']) {
      for (const code of ['200', '500']) {
        series.push({ labels: { __name__: 'fed_requests_total', job, instance, code }, samples: [[t1, 10], [t2, code === '200' ? 1234567 : 3]] });
      }
    }
  }
  const values: [string, number][] = [
    ['nan', NaN], ['pinf', Infinity], ['minf', -Infinity], ['negzero', -0], ['million', 1e6], ['small', 1.5e-7], ['frac', 123456.7],
    ['one', 1], ['minusone', -1], ['tenth', 0.1], ['big', 1.7976931348623157e308], ['tiny', 5e-324], ['e21', 1e21], ['e-5', 0.00001234],
  ];
  for (const [kind, v] of values) series.push({ labels: { __name__: 'fed_gauge', kind }, samples: [[t2, v]] });
  series.push({ labels: { __name__: 'fed_escape', path: 'a"b\\c\nd' }, samples: [[t2, 1]] });
  // Own values for external labels (kept), and an instance (no empty instance added).
  series.push({ labels: { __name__: 'fed_external', cluster: 'own', job: 'x' }, samples: [[t2, 2]] });
  series.push({ labels: { __name__: 'fed_external', instance: 'host:9100', job: 'x' }, samples: [[t2, 3]] });
  series.push({ labels: { __name__: 'fed_external', region: 'eu', job: 'y' }, samples: [[t2, 4]] });
  // Ends with a staleness marker: not federated. The one that came back is.
  series.push({ labels: { __name__: 'fed_stale', job: 'gone' }, samples: [[t1, 1], [t2, STALE_NAN]] });
  series.push({ labels: { __name__: 'fed_stale', job: 'back' }, samples: [[t1 - 15_000, 1], [t1, STALE_NAN], [t2, 5]] });
  // Outside the lookback window (5m) and ahead of the clock: not current, not federated.
  series.push({ labels: { __name__: 'fed_old', job: 'x' }, samples: [[now - 6 * 60_000, 1]] });
  series.push({ labels: { __name__: 'fed_future', job: 'x' }, samples: [[now + 3 * 60_000, 1]] });
  // A label name sorting before __name__ (upper case): series in label order are then not in name
  // order, which Prometheus re-sorts by name.
  series.push({ labels: { __name__: 'upper_z', Alpha: '1' }, samples: [[t2, 1]] });
  series.push({ labels: { __name__: 'upper_a', job: 'j' }, samples: [[t2, 2]] });
  series.push({ labels: { __name__: 'upper_m', Beta: '2', job: 'j' }, samples: [[t2, 3]] });
  return series;
}

async function federate(base: string, params: string, accept?: string, acceptEncoding = 'identity') {
  const r = await fetch(`${base}/federate${params === '' ? '' : `?${params}`}`, { headers: { ...(accept ? { Accept: accept } : {}), 'Accept-Encoding': acceptEncoding } });
  // fetch decompresses what it got; the header says whether it was compressed.
  return { status: r.status, type: r.headers.get('content-type'), encoding: r.headers.get('content-encoding'), body: Buffer.from(await r.arrayBuffer()) };
}

/** A sample value in either text form ("1e+06", "+Inf") as a number. */
function num(s: string): number {
  return s === '+Inf' ? Infinity : s === '-Inf' ? -Infinity : Number(s);
}

/** A label set as a string independent of key order. */
function key(m: Record<string, string>): string {
  return JSON.stringify(Object.entries(m).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function matchParams(...selectors: string[]): string {
  const p = new URLSearchParams();
  for (const s of selectors) p.append('match[]', s);
  return p.toString();
}

describe('/federate compared with Prometheus 2.42', () => {
  let skipReason: string | null = null;
  let prom: PrometheusProcess | undefined;
  let scraper: PrometheusProcess | undefined;
  let strata: StrataProcess | undefined;
  let dir = '';

  beforeAll(async () => {
    skipReason = await prometheusForComparison('the /federate comparison');
    if (skipReason) return;
    dir = tempDir('strata-federate-');
    const cfg = path.join(dir, 'strata.yml');
    fs.writeFileSync(cfg, `self_monitoring:\n  enabled: false\n${EXTERNAL}`);
    [strata, prom] = await Promise.all([
      startStrata({ dataDir: path.join(dir, 'strata'), args: ['--config', cfg] }),
      startPrometheus(path.join(dir, 'prometheus'), 30_000, EXTERNAL),
    ]);
    const data = dataSet(Date.now());
    for (const base of [strata.url, prom.url]) {
      const r = await writeSeries(base, data);
      expect(r.status, `${base}: ${r.text}`).toBe(204);
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prom?.stop(), scraper?.stop(), strata?.stop()]);
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  const cases: [string, string][] = [
    ['every fed_ series', matchParams('{__name__=~"fed_.+"}')],
    ['overlapping selectors (each series once)', matchParams('fed_requests_total{code="200"}', 'fed_requests_total{instance="i1"}', 'fed_gauge{kind=~"n.*"}')],
    ['a selector that also matches the empty string', matchParams('{__name__=~"fed_.+",instance=""}')],
    ['label names sorting before __name__', matchParams('{__name__=~"upper_.+"}')],
    ['nothing matches', matchParams('nothing_here')],
    ['no match[] at all', ''],
  ];
  for (const [what, params] of cases) {
    it(`answers like Prometheus: ${what}`, async (ctx) => {
      if (skipReason) ctx.skip();
      const [want, got] = await Promise.all([federate(prom!.url, params), federate(strata!.url, params)]);
      expect(want.status).toBe(200);
      expect(got.type).toBe(want.type);
      expect(got.body.toString()).toBe(want.body.toString());
    });
  }

  it('writes what the test expects (checked on Prometheus\' answer)', async (ctx) => {
    if (skipReason) ctx.skip();
    const text = (await federate(prom!.url, matchParams('{__name__=~"fed_.+"}'))).body.toString();
    expect(text).toContain('# TYPE fed_gauge untyped\n');
    expect(text).toContain('fed_gauge{kind="million",cluster="c1",instance="",region="eu"} 1e+06 ');
    expect(text).toContain('fed_external{cluster="own",job="x",instance="",region="eu"} 2 ');
    expect(text).toContain('fed_stale{job="back",cluster="c1",instance="",region="eu"} 5 ');
    expect(text).not.toMatch(/fed_stale\{job="gone"|fed_old|fed_future/);
    expect(text.match(/^fed_requests_total\{/gm)).toHaveLength(16);
  });

  it('answers the delimited protobuf format when asked, byte for byte as Prometheus', async (ctx) => {
    if (skipReason) ctx.skip();
    const accept = 'application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,text/plain;version=0.0.4;q=0.3,*/*;q=0.1';
    const params = matchParams('{__name__=~"fed_.+"}');
    const [want, got] = await Promise.all([federate(prom!.url, params, accept), federate(strata!.url, params, accept)]);
    expect(want.type).toBe('application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited');
    expect(got.type).toBe(want.type);
    expect(got.body.toString('hex')).toBe(want.body.toString('hex'));
  });

  it('negotiates the text format for the Accept header Prometheus scrapes with', async (ctx) => {
    if (skipReason) ctx.skip();
    const accept = 'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';
    const params = matchParams('fed_external');
    const [want, got] = await Promise.all([federate(prom!.url, params, accept), federate(strata!.url, params, accept)]);
    expect(got.type).toBe(want.type);
    expect(got.body.toString()).toBe(want.body.toString());
  });

  for (const acceptEncoding of ['gzip', 'br, deflate, gzip', 'gzip;q=1.0, identity']) {
    it(`compresses as Prometheus for Accept-Encoding: ${acceptEncoding}`, async (ctx) => {
      if (skipReason) ctx.skip();
      for (const params of [matchParams('{__name__=~"fed_.+"}'), matchParams('up{')]) {
        const [want, got] = await Promise.all([federate(prom!.url, params, undefined, acceptEncoding), federate(strata!.url, params, undefined, acceptEncoding)]);
        expect(want.encoding).toBe({ gzip: 'gzip', 'br, deflate, gzip': 'deflate' }[acceptEncoding] ?? null);
        expect(got.encoding).toBe(want.encoding);
        expect(got.status).toBe(want.status);
        expect(got.body.toString()).toBe(want.body.toString());
      }
    });
  }

  it('takes match[] from a POSTed form too (Prometheus 2.42 and 3 answer POST with 405)', async (ctx) => {
    if (skipReason) ctx.skip();
    const params = matchParams('fed_external', 'fed_gauge');
    const post = async (base: string) => fetch(`${base}/federate`, { method: 'POST', body: params, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    const [theirs, ours] = await Promise.all([post(prom!.url), post(strata!.url)]);
    expect(theirs.status).toBe(405);
    expect(ours.status).toBe(200);
    expect(await ours.text()).toBe((await federate(prom!.url, params)).body.toString());
  });

  for (const bad of ['up{', 'rate(up[5m])', 'up[5m]', '']) {
    it(`refuses the selector ${JSON.stringify(bad)} with a plain-text 400, as Prometheus`, async (ctx) => {
      if (skipReason) ctx.skip();
      const params = matchParams(bad);
      const [want, got] = await Promise.all([federate(prom!.url, params), federate(strata!.url, params)]);
      expect(want.status).toBe(400);
      expect(got.status).toBe(400);
      expect(got.type).toBe(want.type);
      // The parser's wording is Strata's own (it names what was expected) except where it is the same.
      if (bad === 'up{' || bad === '') expect(got.body.toString()).toBe(want.body.toString());
      else expect(got.body.toString()).toMatch(/^1:\d+: parse error: .+\n$/);
    });
  }

  it('is scraped by a real Prometheus with honor_labels: true, which gets the same series', async (ctx) => {
    if (skipReason) ctx.skip();
    const { host } = new URL(strata!.url);
    scraper = await startPrometheus(path.join(dir, 'scraper'), 30_000, [
      'global:',
      '  scrape_interval: 1s',
      '  scrape_timeout: 1s',
      'scrape_configs:',
      '  - job_name: federate',
      '    honor_labels: true',
      '    metrics_path: /federate',
      '    params:',
      "      'match[]': ['{__name__=~\"fed_.+\"}']",
      '    static_configs:',
      `      - targets: ['${host}']`,
      '',
    ].join('\n'));
    const federated = (await federate(strata!.url, matchParams('{__name__=~"fed_.+"}'))).body.toString();
    const lines = federated.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
    // What the scraper must hold: each federated series with its timestamp and value, empty labels
    // dropped, the scrape job's `job` label added where the series has none.
    const expected = lines.map((l) => {
      const m = /^([a-z_]+)(?:\{(.*)\})? (\S+) (\d+)$/.exec(l)!;
      const labels: Record<string, string> = { __name__: m[1] };
      for (const [, n, v] of (m[2] ?? '').matchAll(/([^=,]+)="((?:[^"\\]|\\.)*)"/g)) {
        const value = v.replace(/\\(.)/g, (_x, c: string) => (c === 'n' ? '\n' : c));
        if (value !== '') labels[n] = value;
      }
      labels.job ??= 'federate';
      return { metric: labels, t: Number(m[4]) / 1000, v: num(m[3]) };
    }).sort((a, b) => key(a.metric).localeCompare(key(b.metric)));
    expect(expected.length).toBeGreaterThan(30);

    // Waits for every federated series to have arrived with its own timestamp (present before the
    // scrape is impossible: the scraper started empty).
    const got = await until('the scraper to hold every federated series', async () => {
      const p = new URLSearchParams({ query: '{__name__=~"fed_.+"}[10m]', time: String(Date.now() / 1000) });
      const body = (await (await fetch(`${scraper!.url}/api/v1/query?${p}`)).json()) as { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } };
      const result = body.data.result;
      return result.length === expected.length ? result : false;
    }, 20_000);
    const have = got.map((s) => ({ metric: s.metric, t: s.values[s.values.length - 1][0], v: num(s.values[s.values.length - 1][1]) }))
      .sort((a, b) => key(a.metric).localeCompare(key(b.metric)));
    expect(have).toEqual(expected);
    // No series of the scrape target's own: honor_labels kept instance empty, so absent.
    expect(have.filter((s) => s.metric.instance === host)).toEqual([]);
  }, 40_000);
});
