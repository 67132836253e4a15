// Prometheus' template functions. The expected strings were printed by Prometheus 2.42's own
// template engine (promtool test rules, Debian package) for the same values; the last test runs
// promtool again, when it is installed, with our outputs as the expected annotations.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createTemplateSet, prometheusFuncs, type QueryResultSample } from './index.ts';

// What Prometheus prepends to every annotation and label template.
const DEFS = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

async function expand(text: string, value: number, labels: Record<string, string> = {}, opts: Parameters<typeof prometheusFuncs>[0] = {}): Promise<string> {
  // Prometheus expands alert templates with missingkey=zero: an absent label is "".
  const set = createTemplateSet({ funcs: prometheusFuncs(opts), missingKey: 'zero' });
  return set.render(DEFS + text, { Labels: labels, ExternalLabels: {}, ExternalURL: opts.externalURL ?? '', Value: value }, '__alert_A');
}

const HUMANIZERS =
  '{{ humanize $value }}|{{ humanize1024 $value }}|{{ humanizeDuration $value }}|{{ humanizePercentage $value }}|{{ humanizeTimestamp $value }}|{{ $value }}|{{ printf "%.2f" $value }}';

// value → Prometheus 2.42's output of HUMANIZERS.
const PROMETHEUS_OUTPUT: [number, string][] = [
  [0, '0|0|0s|0%|1970-01-01 00:00:00 +0000 UTC|0|0.00'],
  [1, '1|1|1s|100%|1970-01-01 00:00:01 +0000 UTC|1|1.00'],
  [-1, '-1|-1|-1s|-100%|1969-12-31 23:59:59 +0000 UTC|-1|-1.00'],
  [0.5, '500m|0.5|500ms|50%|1970-01-01 00:00:00.5 +0000 UTC|0.5|0.50'],
  [1234567, '1.235M|1.177Mi|14d 6h 56m 7s|1.235e+08%|1970-01-15 06:56:07 +0000 UTC|1.234567e+06|1234567.00'],
  [1048576, '1.049M|1Mi|12d 3h 16m 16s|1.049e+08%|1970-01-13 03:16:16 +0000 UTC|1.048576e+06|1048576.00'],
  [899.99, '900|900|14m 59s|9e+04%|1970-01-01 00:14:59.99 +0000 UTC|899.99|899.99'],
  [0.1234567, '123.5m|0.1235|123.5ms|12.35%|1970-01-01 00:00:00.123 +0000 UTC|0.1234567|0.12'],
  [1435065584.128, '1.435G|1.337Gi|16609d 13h 19m 44s|1.435e+11%|2015-06-23 13:19:44.128 +0000 UTC|1.435065584128e+09|1435065584.13'],
  [0.000123456, '123.5u|0.0001235|123.5us|0.01235%|1970-01-01 00:00:00 +0000 UTC|0.000123456|0.00'],
  [1e-9, '1n|1e-09|1ns|1e-07%|1970-01-01 00:00:00 +0000 UTC|1e-09|0.00'],
  [3661.5, '3.662k|3.576ki|1h 1m 1s|3.662e+05%|1970-01-01 01:01:01.5 +0000 UTC|3661.5|3661.50'],
  [266461, '266.5k|260.2ki|3d 2h 1m 1s|2.665e+07%|1970-01-04 02:01:01 +0000 UTC|266461|266461.00'],
  [59.99999, '60|60|60s|6000%|1970-01-01 00:00:59.999 +0000 UTC|59.99999|60.00'],
  [-0.0005, '-500u|-0.0005|-500us|-0.05%|1970-01-01 00:00:00 +0000 UTC|-0.0005|-0.00'],
  [999.95, '1000|1000|16m 39s|1e+05%|1970-01-01 00:16:39.95 +0000 UTC|999.95|999.95'],
  [1000, '1k|1000|16m 40s|1e+05%|1970-01-01 00:16:40 +0000 UTC|1000|1000.00'],
  [1024, '1.024k|1ki|17m 4s|1.024e+05%|1970-01-01 00:17:04 +0000 UTC|1024|1024.00'],
  [1023.9, '1.024k|1024|17m 3s|1.024e+05%|1970-01-01 00:17:03.9 +0000 UTC|1023.9|1023.90'],
  [0.001, '1m|0.001|1ms|0.1%|1970-01-01 00:00:00.001 +0000 UTC|0.001|0.00'],
  [123.456, '123.5|123.5|2m 3s|1.235e+04%|1970-01-01 00:02:03.456 +0000 UTC|123.456|123.46'],
  [-1234567, '-1.235M|-1.177Mi|-14d 6h 56m 7s|-1.235e+08%|1969-12-17 17:03:53 +0000 UTC|-1.234567e+06|-1234567.00'],
  [2.5e-7, '250n|2.5e-07|250ns|2.5e-05%|1970-01-01 00:00:00 +0000 UTC|2.5e-07|0.00'],
];

describe('prometheusFuncs', () => {
  it('humanizes values exactly as Prometheus 2.42 does', async () => {
    const got = await Promise.all(PROMETHEUS_OUTPUT.map(([v]) => expand(HUMANIZERS, v)));
    expect(got).toEqual(PROMETHEUS_OUTPUT.map(([, out]) => out));
  });

  it('refuses a timestamp beyond int64 nanoseconds, with Prometheus\' message', async () => {
    await expect(expand(HUMANIZERS, 1e27)).rejects.toThrow(
      'template: __alert_A:1:225: executing "__alert_A" at <humanizeTimestamp $value>: error calling humanizeTimestamp: 1e+27 cannot be represented as a nanoseconds timestamp since it overflows int64',
    );
  });

  it('has Prometheus\' string, regexp, host, duration and link helpers', async () => {
    const text =
      `{{ title "hello wORLD foo-bar o'neil" }}|{{ toUpper "aé" }}|{{ reReplaceAll "(a+)" "<$1>" "baaac" }}|{{ match "^a" "xa" }}|` +
      '{{ stripPort "host:9090" }}|{{ stripPort "[::1]:80" }}|{{ stripPort "host" }}|{{ stripDomain "a.b.c:9090" }}|{{ stripDomain "10.0.0.1:80" }}|{{ stripDomain "a.b" }}|' +
      '{{ parseDuration "1h30m" }}|{{ toTime 1700000000.5 }}|{{ graphLink "up{job=\\"x\\"} > 0" }}|{{ tableLink "rate(a[5m])" }}|{{ (args 1 "x").arg1 }}|{{ humanize "1234" }}|' +
      '{{ $labels.nope }}|{{ index $labels "nope" }}|{{ $externalLabels }}|{{ $externalURL }}';
    // Prometheus 2.42's output for the same text.
    expect(await expand(text, 1)).toBe(
      "Hello WORLD Foo-Bar O'Neil|AÉ|b<aaa>c|false|host|::1|host|a:9090|10.0.0.1:80|a|5400|2023-11-14 22:13:20.5 +0000 UTC|" +
        '/graph?g0.expr=up%7Bjob%3D%22x%22%7D+%3E+0&g0.tab=0|/graph?g0.expr=rate%28a%5B5m%5D%29&g0.tab=1|x|1.234k|||map[]|',
    );
  });

  it('serves the documented label and value idioms', async () => {
    const labels = { instance: 'host-1.example.com:9100', job: 'node' };
    expect(await expand('{{ $labels.instance }} of job {{ $labels.job }} has been down for more than 5 minutes. Value: {{ $value }}', 0, labels)).toBe(
      'host-1.example.com:9100 of job node has been down for more than 5 minutes. Value: 0',
    );
    expect(await expand('{{ .Labels.job }} {{ humanize .Value }}', 2048, labels)).toBe('node 2.048k');
  });

  it('runs query results through first, value, label, sortByLabel and range', async () => {
    const results: Record<string, QueryResultSample[]> = {
      up: [
        { labels: { __name__: 'up', instance: 'b' }, value: 1 },
        { labels: { __name__: 'up', instance: 'a' }, value: 0 },
      ],
      none: [],
    };
    const opts = { query: async (q: string) => results[q] ?? [] };
    expect(await expand('{{ with query "up" }}{{ . | first | value }} {{ . | first | label "instance" }}{{ end }}', 0, {}, opts)).toBe('1 b');
    expect(await expand('{{ range query "up" | sortByLabel "instance" }}{{ .Labels.instance }}={{ .Value }} {{ end }}', 0, {}, opts)).toBe('a=0 b=1 ');
    expect(await expand('{{ with query "none" }}{{ . | first | value }}{{ else }}no data{{ end }}', 0, {}, opts)).toBe('no data');
    await expect(expand('{{ query "none" | first }}', 0, {}, opts)).rejects.toThrow('first() called on vector with no elements');
  });

  it("runs the examples of Prometheus' template documentation", async () => {
    const series: Record<string, QueryResultSample[]> = {
      up: [
        { labels: { __name__: 'up', instance: 'a:9100', job: 'node' }, value: 1 },
        { labels: { __name__: 'up', instance: 'b:9100', job: 'node' }, value: 0 },
      ],
      "some_metric{instance='someinstance'}": [{ labels: { instance: 'someinstance' }, value: 1234567 }],
      "node_memory_MemTotal{job='node',instance='h1'}": [{ labels: { instance: 'h1' }, value: 8 * 1024 ** 3 }],
      "node_network_receive_bytes{job='node',instance='h1',device!='lo'}": [
        { labels: { instance: 'h1', device: 'eth1' }, value: 5 },
        { labels: { instance: 'h1', device: 'eth0' }, value: 7 },
      ],
      "rate(node_network_receive_bytes{job='node',instance='h1',device='eth0'}[5m])": [{ labels: {}, value: 2500 }],
      "rate(node_network_receive_bytes{job='node',instance='h1',device='eth1'}[5m])": [{ labels: {}, value: 0.5 }],
    };
    const queried: string[] = [];
    const set = createTemplateSet({ funcs: prometheusFuncs({ query: async (q) => (queried.push(q), series[q] ?? []) }) });
    const console = { Params: { instance: 'h1' } };
    expect(await set.render('{{ range query "up" }}\n  {{ .Labels.instance }} {{ .Value }}\n{{ end }}', console)).toBe('\n  a:9100 1\n\n  b:9100 0\n');
    expect(await set.render(`{{ with query "some_metric{instance='someinstance'}" }}\n  {{ . | first | value | humanize }}\n{{ end }}`, console)).toBe('\n  1.235M\n');
    expect(await set.render(`{{ with printf "node_memory_MemTotal{job='node',instance='%s'}" .Params.instance | query }}{{ . | first | value | humanize1024 }}B{{ end }}`, console)).toBe('8GiB');
    const advanced =
      `{{ range printf "node_network_receive_bytes{job='node',instance='%s',device!='lo'}" .Params.instance | query | sortByLabel "device"}}` +
      `[{{ .Labels.device }}: {{ with printf "rate(node_network_receive_bytes{job='node',instance='%s',device='%s'}[5m])" .Labels.instance .Labels.device | query }}{{ . | first | value | humanize }}B/s{{ end }}]{{ end }}`;
    expect(await set.render(advanced, console)).toBe('[eth0: 2.5kB/s][eth1: 500mB/s]');
    const multiArg = '{{ define "myMultiArgTemplate" }}First argument: {{ .arg0 }} Second argument: {{ .arg1 }}{{ end }}{{ template "myMultiArgTemplate" (args 1 2) }}';
    expect(await set.render(multiArg, console)).toBe('First argument: 1 Second argument: 2');
    expect(queried).toContain("node_memory_MemTotal{job='node',instance='h1'}");
  });

  it('gives the external URL and its path', async () => {
    const opts = { externalURL: 'https://prom.example.com/prometheus' };
    expect(await expand('{{ externalURL }} {{ pathPrefix }} {{ $externalURL }}', 0, {}, opts)).toBe(
      'https://prom.example.com/prometheus /prometheus https://prom.example.com/prometheus',
    );
  });

  it('makes an unknown function a load error, not an empty string', async () => {
    await expect(expand('{{ humanise $value }}', 1)).rejects.toThrow('function "humanise" not defined');
  });
});

const PROMTOOL = '/usr/bin/promtool';

describe('side by side with promtool', () => {
  it.skipIf(!existsSync(PROMTOOL))('Prometheus expands the same annotations to our outputs', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-template-'));
    try {
      const values = PROMETHEUS_OUTPUT.map(([v]) => v).concat([42.125, 7e-4, 86400 * 400 + 5, 0.999999]);
      const ours = await Promise.all(values.map((v) => expand(HUMANIZERS, v, { i: String(values.indexOf(v)).padStart(2, '0') })));
      const quoteYaml = (s: string) => `'${s.replace(/'/g, "''")}'`;
      writeFileSync(join(dir, 'rules.yml'), `groups:\n- name: g\n  rules:\n  - alert: A\n    expr: m\n    annotations:\n      h: ${quoteYaml(HUMANIZERS)}\n`);
      const series = values.map((v, i) => `      - series: 'm{i="${String(i).padStart(2, '0')}"}'\n        values: '${v}'`).join('\n');
      const expAlerts = values
        .map((_, i) => `          - exp_labels: {i: "${String(i).padStart(2, '0')}"}\n            exp_annotations: {h: ${quoteYaml(ours[i])}}`)
        .join('\n');
      writeFileSync(
        join(dir, 'test.yml'),
        `rule_files: [rules.yml]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n${series}\n    alert_rule_test:\n      - eval_time: 0m\n        alertname: A\n        exp_alerts:\n${expAlerts}\n`,
      );
      const result = await promisify(execFile)(PROMTOOL, ['test', 'rules', 'test.yml'], { cwd: dir }).then(
        (r) => ({ ok: true, out: r.stdout }),
        (e: { stdout?: string; stderr?: string }) => ({ ok: false, out: `${e.stdout ?? ''}${e.stderr ?? ''}` }),
      );
      expect(result.out).toContain('SUCCESS');
      expect(result.ok).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
