// UTF-8 metric and label names end to end through the real `strata server`, as Prometheus 3 takes
// them (its default "utf8" name validation scheme). Prometheus 2.42, the only Prometheus on this
// machine, refuses every name below, so the expectations come from Prometheus 3's documentation
// ("UTF-8 in Prometheus": quoted names in selectors, `{"my.metric", "my.label"="bar"}`) and source
// (remote write 1.0/2.0 check names with model.UTF8Validation; the printer quotes names that are
// not classic).
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeWriteRequest, encodeWriteRequestV2, postWrite, RW2_CONTENT_TYPE } from './helpers/remotewrite.ts';
import { getJson, parseExport, query, startStrata, tempDir, type StrataProcess } from './helpers/server.ts';
import { until } from './helpers/until.ts';

const T0 = Math.floor((Date.now() - 600_000) / 1000) * 1000;
let s: StrataProcess;

beforeAll(async () => {
  const dir = tempDir();
  s = await startStrata({ dataDir: path.join(dir, 'data') });
});

afterAll(async () => {
  await s?.stop();
});


async function exportOf(match: string) {
  const r = await fetch(`${s.url}/api/v1/export?${query({ 'match[]': match })}`);
  expect(r.status).toBe(200);
  return parseExport(await r.text()).sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

async function instant(q: string) {
  const r = await getJson(`${s.url}/api/v1/query?${query({ query: q, time: String((T0 + 1000) / 1000) })}`);
  expect(r.body.error ?? null).toBe(null);
  return (r.body.data.result as { metric: Record<string, string>; value: [number, string] }[])
    .map((x) => ({ metric: x.metric, v: Number(x.value[1]) }))
    .sort((a, b) => JSON.stringify(a.metric).localeCompare(JSON.stringify(b.metric)));
}

describe('remote write with UTF-8 names', () => {
  it('stores OTel-style dotted names from remote write 1.0 and 2.0', async () => {
    const v1 = await postWrite(s.url, encodeWriteRequest([
      { labels: { __name__: 'http.server.duration', 'http.route': '/a', job: 'api' }, samples: [[T0, 1]] },
      { labels: { __name__: 'http.server.duration', 'http.route': '/b', job: 'api' }, samples: [[T0, 2]] },
    ]));
    expect(v1.status).toBe(204);
    const v2 = await fetch(`${s.url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Type': RW2_CONTENT_TYPE,
        'Content-Encoding': 'snappy', 'X-Prometheus-Remote-Write-Version': '2.0.0',
      },
      body: encodeWriteRequestV2([{ labels: { __name__: 'http.server.duration', 'http.route': '/c', job: 'api', 'service.name': 'café' }, samples: [[T0, 4]] }]),
    });
    expect(v2.status).toBe(204);
    expect(await exportOf('{"http.server.duration"}')).toEqual([
      { metric: { __name__: 'http.server.duration', 'http.route': '/a', job: 'api' }, values: [1], timestamps: [T0] },
      { metric: { __name__: 'http.server.duration', 'http.route': '/b', job: 'api' }, values: [2], timestamps: [T0] },
      { metric: { __name__: 'http.server.duration', 'http.route': '/c', job: 'api', 'service.name': 'café' }, values: [4], timestamps: [T0] },
    ]);
  });

  it('still refuses an empty metric name', async () => {
    const r = await postWrite(s.url, encodeWriteRequest([{ labels: { __name__: '', job: 'x' }, samples: [[T0, 1]] }]));
    expect(r.status).toBe(400);
    expect(r.text).toMatch(/series has no __name__ label/);
  });
});

describe('label values of a UTF-8 label name', () => {
  it('answers /api/v1/label/<name>/values for the name as it is or U__-escaped, as Prometheus 3', async () => {
    const values = async (name: string) => (await getJson(`${s.url}/api/v1/label/${encodeURIComponent(name)}/values`)).body;
    // http.route is written by the remote-write test above.
    expect(await values('http.route')).toEqual({ status: 'success', data: ['/a', '/b', '/c'] });
    expect(await values('U__http_2e_route')).toEqual({ status: 'success', data: ['/a', '/b', '/c'] });
    // 2.42 refused a name outside the classic charset (400 invalid label name: "a-b"); 3 lists nothing.
    expect(await values('a-b')).toEqual({ status: 'success', data: [] });
  });
});

describe('Pushgateway pushes and imports with quoted names', () => {
  it('stores a pushed group with quoted metric and label names', async () => {
    const r = await fetch(`${s.url}/metrics/job/batch`, {
      method: 'PUT', body: '# TYPE "push.files" gauge\n{"push.files","dir.name"="a"} 5\n',
    });
    expect(r.status).toBe(200);
    expect(await exportOf('{"push.files"}')).toMatchObject([{ metric: { __name__: 'push.files', 'dir.name': 'a', job: 'batch' }, values: [5] }]);
  });

  it('imports quoted names', async () => {
    const r = await fetch(`${s.url}/api/v1/import/prometheus`, { method: 'POST', body: `{"imp.metric","a.b"="c"} 2 ${T0}\n` });
    expect(r.status).toBe(200);
    expect(await exportOf('{"imp.metric"}')).toEqual([{ metric: { __name__: 'imp.metric', 'a.b': 'c' }, values: [2], timestamps: [T0] }]);
  });
});

describe('PromQL over UTF-8 names (after the writes above)', () => {
  it('selects with quoted names and groups by a quoted label', async () => {
    expect(await instant('{"http.server.duration", "http.route"="/a"}')).toEqual([
      { metric: { __name__: 'http.server.duration', 'http.route': '/a', job: 'api' }, v: 1 },
    ]);
    expect(await instant('sum by ("http.route") ({"http.server.duration"})')).toEqual([
      { metric: { 'http.route': '/a' }, v: 1 },
      { metric: { 'http.route': '/b' }, v: 2 },
      { metric: { 'http.route': '/c' }, v: 4 },
    ]);
    expect(await instant('sum without ("http.route", job, "service.name") ({"http.server.duration"})')).toEqual([{ metric: {}, v: 7 }]);
    expect(await instant('{"http.server.duration", "http.route"="/a"} + on ("http.route") group_left () ({"http.server.duration"} * 10)')).toEqual([
      { metric: { 'http.route': '/a', job: 'api' }, v: 11 },
    ]);
  });

  it('label_replace, label_join and count_values write UTF-8 label names', async () => {
    expect(await instant('label_replace({"http.server.duration", "http.route"="/b"}, "route.copy", "r$1", "http.route", "/(.*)")')).toEqual([
      { metric: { __name__: 'http.server.duration', 'http.route': '/b', job: 'api', 'route.copy': 'rb' }, v: 2 },
    ]);
    expect(await instant('label_join({"http.server.duration", "http.route"="/a"}, "j.k", "|", "job", "http.route")')).toEqual([
      { metric: { __name__: 'http.server.duration', 'http.route': '/a', job: 'api', 'j.k': 'api|/a' }, v: 1 },
    ]);
    expect(await instant('count_values("value.of", {"http.server.duration"})')).toEqual([
      { metric: { 'value.of': '1' }, v: 1 },
      { metric: { 'value.of': '2' }, v: 1 },
      { metric: { 'value.of': '4' }, v: 1 },
    ]);
  });

  it('format_query quotes names that are not classic, as Prometheus 3 prints them', async () => {
    // Prometheus 3's printer: a quoted metric name is a __name__ matcher, quoted label names in
    // matchers and grouping; Strata also quotes on(...) labels (Prometheus 3 writes them bare).
    const r = await getJson(`${s.url}/api/v1/format_query?${query({ query: 'sum by("http.route",job)({"http.server.duration","a.b"="c"}) / on("http.route") x' })}`);
    expect(r.body.data).toBe('sum by ("http.route", job) ({"a.b"="c",__name__="http.server.duration"}) / on ("http.route") x');
  });
});

describe('/federate with UTF-8 names (Prometheus 3 escapes unless the client asks for allow-utf-8)', () => {
  const match = `match[]=${encodeURIComponent('{"fed.duration"}')}`;
  const series = (body: string) => body.split('\n').filter((l) => l !== '').map((l) => l.replace(/ \d+$/, ''));

  beforeAll(async () => {
    // Federation shows samples within the lookback delta: this one is current.
    const w = await postWrite(s.url, encodeWriteRequest([
      { labels: { __name__: 'fed.duration', 'http.route': '/c', job: 'api', 'service.name': 'café' }, samples: [[Date.now() - 1000, 4]] },
    ]));
    expect(w.status).toBe(204);
  });

  it('quotes names for a client that asks for allow-utf-8', async () => {
    const r = await fetch(`${s.url}/federate?${match}`, { headers: { Accept: 'text/plain;version=1.0.0;escaping=allow-utf-8;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2' } });
    expect(r.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=allow-utf-8');
    expect(series(await r.text())).toEqual([
      '# TYPE "fed.duration" untyped',
      '{"fed.duration","http.route"="/c",job="api","service.name"="café",instance=""} 4',
    ]);
  });

  it('escapes with underscores for a client that does not, and with the scheme asked for', async () => {
    const plain = await fetch(`${s.url}/federate?${match}`);
    expect(plain.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(series(await plain.text())).toEqual([
      '# TYPE fed_duration untyped',
      'fed_duration{http_route="/c",job="api",service_name="café",instance=""} 4',
    ]);
    const dots = await fetch(`${s.url}/federate?${match}`, { headers: { Accept: 'text/plain;version=0.0.4;escaping=dots' } });
    expect(dots.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8; escaping=dots');
    expect(series(await dots.text())[1]).toBe('fed_dot_duration{http_dot_route="/c",job="api",service_dot_name="café",instance=""} 4');
  });
});

describe('a Strata scraping this one\'s /federate keeps the UTF-8 names', () => {
  let second: StrataProcess | undefined;
  afterAll(async () => {
    await second?.stop();
  });

  it('negotiates allow-utf-8 and stores the quoted names as they are', async () => {
    const dir = tempDir();
    const cfg = path.join(dir, 'strata.yml');
    const target = new URL(s.url).host;
    fs.writeFileSync(cfg, [
      'scrape_configs:',
      '  - job_name: federate',
      '    honor_labels: true',
      '    metrics_path: /federate',
      '    scrape_interval: 1s',
      `    params: {'match[]': ['{"fed.duration"}']}`,
      `    static_configs: [{targets: ['${target}']}]`,
      '',
    ].join('\n'));
    second = await startStrata({ dataDir: path.join(dir, 'data'), args: ['--config', cfg] });
    const q = `${second.url}/api/v1/query?${query({ query: '{"fed.duration"}' })}`;
    await until('the federated series', async () => ((await getJson(q)).body.data?.result ?? []).length > 0);
    const r = await getJson(q);
    expect(r.body.data.result.map((x: { metric: Record<string, string> }) => x.metric)).toEqual([
      { __name__: 'fed.duration', 'http.route': '/c', instance: target, job: 'api', 'service.name': 'café' },
    ]);
  });
});
