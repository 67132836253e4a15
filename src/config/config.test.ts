import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import {
  ConfigError, applyOverrides, defaultConfig, formatDuration, loadConfigFile, parseConfig, parseDuration,
  parseListenAddress, parseSize, relabelRule, resolveConfig,
} from './index.ts';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'strata.yml');
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('durations', () => {
  it.each([
    ['0', 0], ['30s', 30_000], ['5m', 300_000], ['2h', 7_200_000], ['7d', 604_800_000], ['1w', 604_800_000],
    ['1y', 365 * 86_400_000], ['1h30m', 5_400_000], ['1m500ms', 60_500], ['250ms', 250],
  ])('%s is %d ms', (s, ms) => {
    expect(parseDuration(s)).toBe(ms);
  });
  it.each(['', '7x', '1.5h', '-1s', '1m1h', 'h', '10', '5 m'])('%j is refused', (s) => {
    expect(parseDuration(s)).toBeNull();
  });
  it('formats back to what it parses', () => {
    for (const ms of [0, 250, 60_500, 5_400_000, 604_800_000 + 3_600_000]) {
      expect(parseDuration(formatDuration(ms))).toBe(ms);
    }
  });
});

describe('sizes and addresses', () => {
  it.each([
    ['512MiB', 512 * 1024 * 1024], ['32MB', 32e6], ['1.5GiB', 1.5 * 1024 ** 3], ['1024', 1024], ['4kib', 4096], ['10B', 10],
  ])('%s is %d bytes', (s, n) => {
    expect(parseSize(s)).toBe(n);
  });
  it.each(['', 'MiB', '12XB', '-1MiB', '1e3'])('%j is not a size', (s) => {
    expect(parseSize(s)).toBeNull();
  });
  it('splits listen addresses, IPv6 in brackets', () => {
    expect(parseListenAddress('0.0.0.0:9190')).toEqual({ host: '0.0.0.0', port: 9190 });
    expect(parseListenAddress(':9190')).toEqual({ host: '', port: 9190 });
    expect(parseListenAddress('[::1]:0')).toEqual({ host: '::1', port: 0 });
    expect(parseListenAddress('localhost')).toBeNull();
    expect(parseListenAddress('host:70000')).toBeNull();
    expect(parseListenAddress('::1:9190')).toBeNull();
  });
});

describe('parseConfig', () => {
  it('applies defaults for an empty file and for empty sections', () => {
    const d = defaultConfig();
    expect(parseConfig('', 'strata.yml').config).toEqual(d);
    expect(parseConfig('storage:\nlimits:\n', 'strata.yml').config).toEqual(d);
    expect(d.server.listen).toBe('0.0.0.0:9190');
    expect(d.storage.retentionMs).toBe(7 * 86_400_000);
    expect(d.server.maxRequestBytes).toBe(32 * 1024 * 1024);
    expect(d.storage.wal.fsync).toBe('interval');
  });

  it('converts durations and sizes of a full file', () => {
    const { config, warnings } = parseConfig(
      [
        'server: { listen: "127.0.0.1:1234", max_request_bytes: 1MiB, read_timeout: 1m }',
        'storage:',
        '  path: /var/lib/strata',
        '  retention: 0',
        '  block_range: 1h',
        '  out_of_order_window: 0s',
        '  wal: { fsync: always, segment_size: 64MiB }',
        'limits: { max_series: 1000, max_future: 1h }',
        'self_monitoring: { enabled: false, interval: 1m }',
        'log: { level: debug, format: pretty }',
      ].join('\n'),
      'strata.yml',
    );
    expect(warnings).toEqual([]);
    expect(config.server).toMatchObject({ listen: '127.0.0.1:1234', maxRequestBytes: 1 << 20, readTimeoutMs: 60_000 });
    expect(config.storage).toEqual({
      path: '/var/lib/strata', retentionMs: 0, blockRangeMs: 3_600_000, outOfOrderWindowMs: 0,
      wal: { fsync: 'always', segmentSize: 64 << 20 },
    });
    expect(config.limits).toMatchObject({ maxSeries: 1000, maxFutureMs: 3_600_000, maxLabelsPerSeries: 64 });
    expect(config.selfMonitoring).toEqual({ enabled: false, intervalMs: 60_000 });
    expect(config.log).toEqual({ level: 'debug', format: 'pretty' });
  });

  it('refuses an out-of-order window, not supported yet, naming the line (check config and start alike)', () => {
    expect(problems('storage:\n  out_of_order_window: 10m\n')).toEqual([
      'strata.yml:2:24: storage.out_of_order_window: out-of-order ingestion is not supported yet: leave it at 0 (import historical data with `strata import` or POST /api/v1/import/prometheus instead)',
    ]);
  });

  it('names file, line:column and field path of a bad value', () => {
    const text = ['server:', '  listen: 0.0.0.0:9190', 'storage:', '  path: ./data', '', '  # keep a week', '  retention: 7x'].join('\n');
    expect(problems(text)).toEqual([
      'strata.yml:7:14: storage.retention: invalid duration "7x" (use e.g. 30s, 5m, 2h, 7d, 0 to keep everything)',
    ]);
  });

  it('reports every problem, in file order, unknown fields included', () => {
    const text = [
      'storage:',
      '  retension: 3d',
      '  wal:',
      '    fsync: sometimes',
      'limits:',
      '  max_series: -1',
      '  max_labels_per_series: 0',
      'servre: {}',
      'log: { level: loud }',
    ].join('\n');
    expect(problems(text)).toEqual([
      'strata.yml:2:3: storage.retension: unknown field (did you mean retention?)',
      'strata.yml:4:12: storage.wal.fsync: expected one of always, interval, never, got "sometimes"',
      'strata.yml:6:15: limits.max_series: expected a non-negative integer (0 for unlimited), got -1',
      'strata.yml:7:26: limits.max_labels_per_series: expected a positive integer, got 0',
      'strata.yml:8:1: servre: unknown field (did you mean server?)',
      'strata.yml:9:15: log.level: expected one of trace, debug, info, warn, error, fatal, silent, got "loud"',
    ]);
  });

  it('lists the known fields when a field is not close to any', () => {
    expect(problems('self_monitoring: { scrape_every: 1m }')).toEqual([
      'strata.yml:1:20: self_monitoring.scrape_every: unknown field (known fields: enabled, interval)',
    ]);
  });

  it('refuses zero where zero makes no sense, bare numbers as durations, and bad sizes', () => {
    expect(problems('self_monitoring: { interval: 0 }')[0]).toMatch(/^strata\.yml:1:30: self_monitoring\.interval: must be greater than 0/);
    expect(problems('storage: { retention: 30 }')[0]).toMatch(/storage\.retention: invalid duration 30 /);
    expect(problems('server: { max_request_bytes: 12XB }')[0]).toMatch(/^strata\.yml:1:30: server\.max_request_bytes: invalid size "12XB"/);
    expect(problems('server: { listen: localhost }')[0]).toMatch(/server\.listen: invalid listen address "localhost"/);
  });

  it('reports a section of the wrong kind and YAML syntax errors with positions', () => {
    expect(problems('storage: [1, 2]')).toEqual(['strata.yml:1:10: storage: expected a mapping of fields, got a list']);
    expect(problems('- a\n- b')).toEqual(['strata.yml:1:1: the config file must be a mapping of sections (server, storage, limits, ...)']);
    expect(problems('storage:\n  path: ./a\n  path: ./b')[0]).toMatch(/^strata\.yml:3:3: invalid YAML: .*unique/);
    expect(problems('storage: {')[0]).toMatch(/^strata\.yml:1:\d+: invalid YAML: /);
  });

  it('accepts prometheus.yml sections with a single warning', () => {
    const { config, warnings } = parseConfig(
      ['global:', '  scrape_interval: 15s', 'scrape_configs:', '  - job_name: node', 'rule_files: [a.yml]', 'remote_write: [{ url: "http://x" }]', 'storage: { path: /x, tsdb: { out_of_order_time_window: 1h } }'].join('\n'),
      'prometheus.yml',
    );
    expect(config.storage.path).toBe('/x');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/^prometheus\.yml: .*sections remote_write, storage\.tsdb .*not used yet/);
    expect(warnings[0]).not.toMatch(/global|scrape_configs|rule_files/);
    // Rule files are read, relative to the config file's directory, joined with it as Prometheus
    // joins them: a config file named relatively keeps them relative (to the working directory).
    expect(config.alerting.ruleFiles).toEqual(['a.yml']);
    expect(parseConfig('rule_files: [a.yml, ../b/*.yml, /c.yml, d/]', 'conf/prometheus.yml').config.alerting.ruleFiles).toEqual(['conf/a.yml', 'b/*.yml', '/c.yml', 'conf/d']);
    expect(config.global.scrapeIntervalMs).toBe(15_000);
    expect(config.scrapeConfigs.map((s) => s.jobName)).toEqual(['node']);
  });
});

describe('examples/strata.yml', () => {
  it('lists the defaults: loading it gives the same config as no file', () => {
    const file = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../examples/strata.yml');
    const { config, warnings } = loadConfigFile(file);
    expect(warnings).toEqual([]);
    expect(config).toEqual(defaultConfig());
  });
});

describe('rules and alerting sections', () => {
  const defaultHttpClient = () => ({
    basicAuth: null, authorization: null, oauth2: null, httpHeaders: {},
    tlsConfig: { ca: '', caFile: '', cert: '', certFile: '', key: '', keyFile: '', serverName: '', insecureSkipVerify: false, minVersion: '', maxVersion: '' },
    proxyUrl: '', noProxy: '', proxyFromEnvironment: false, proxyConnectHeaders: {}, followRedirects: true, enableHttp2: true,
  });
  it('reads alertmanagers, rules and notifier settings with Prometheus defaults', () => {
    const { config } = parseConfig([
      'alerting:',
      '  alertmanagers:',
      '    - static_configs: [{ targets: ["127.0.0.1:9093"] }]',
      '      path_prefix: /am',
      'rules: { resend_delay: 30s }',
      'notifier: { config_file: am.yml, peers: ["http://127.0.0.1:9291"] }',
      'server: { external_url: "http://strata.example:9190" }',
    ].join('\n'), '/etc/strata/strata.yml');
    expect(config.alerting.alertmanagers).toEqual([{ scheme: 'http', pathPrefix: '/am', timeoutMs: 10_000,
      staticConfigs: [{ targets: ['127.0.0.1:9093'], labels: {} }], fileSdConfigs: [], httpSdConfigs: [], dnsSdConfigs: [], relabelConfigs: [], alertRelabelConfigs: [],
      // The HTTP client settings at their defaults: the same as a scrape job's.
      ...defaultHttpClient() }]);
    expect(config.alerting.alertRelabelConfigs).toEqual([]);
    expect(config.alerting.rules).toEqual({ forOutageToleranceMs: 3_600_000, forGracePeriodMs: 600_000, resendDelayMs: 30_000 });
    expect(config.alerting.notifier).toEqual({ enabled: true, configFile: '/etc/strata/am.yml', peers: ['http://127.0.0.1:9291'], peerTimeoutMs: 15_000 });
    expect(config.server.externalUrl).toBe('http://strata.example:9190');
  });

  it('reads global.rule_query_offset (Prometheus 2.53+), 0 by default', () => {
    expect(parseConfig('global: { rule_query_offset: 30s }\n', 'p.yml').config.global.ruleQueryOffsetMs).toBe(30_000);
    expect(parseConfig('', 'p.yml').config.global.ruleQueryOffsetMs).toBe(0);
  });

  it('refuses Alertmanager API v1 with the position', () => {
    expect(() => parseConfig('alerting:\n  alertmanagers:\n    - api_version: v1\n', 'p.yml')).toThrow(/^p\.yml:3:20: alerting\.alertmanagers\[0\]\.api_version: only api_version v2 is supported/);
  });

  it('reads Alertmanager discovery and relabelling as Prometheus does, with its defaults and relative file_sd paths', () => {
    const { config } = parseConfig([
      'alerting:',
      '  alert_relabel_configs: [{ source_labels: [severity], regex: none, action: drop }]',
      '  alertmanagers:',
      '    - file_sd_configs: [{ files: [am/*.json] }]',
      '      dns_sd_configs: [{ names: [_am._tcp.example] }, { names: [am.example], type: A, port: 9093, refresh_interval: 5s }]',
      '      http_sd_configs: [{ url: "http://sd.example/am", follow_redirects: false }]',
      '      relabel_configs: [{ source_labels: [__meta_dns_name], target_label: dns }]',
      '      alert_relabel_configs: [{ action: labeldrop, regex: tmp_.* }]',
    ].join('\n'), '/etc/strata/strata.yml');
    const [am] = config.alerting.alertmanagers;
    expect(am.fileSdConfigs).toEqual([{ files: ['/etc/strata/am/*.json'], refreshIntervalMs: 300_000 }]);
    expect(am.dnsSdConfigs).toEqual([
      { names: ['_am._tcp.example'], type: 'SRV', port: 0, refreshIntervalMs: 30_000 },
      { names: ['am.example'], type: 'A', port: 9093, refreshIntervalMs: 5_000 },
    ]);
    expect(am.httpSdConfigs).toEqual([{ url: 'http://sd.example/am', refreshIntervalMs: 60_000, followRedirects: false, enableHttp2: true }]);
    expect(am.relabelConfigs).toEqual([relabelRule({ sourceLabels: ['__meta_dns_name'], targetLabel: 'dns' })]);
    expect(am.alertRelabelConfigs).toEqual([relabelRule({ action: 'labeldrop', regex: 'tmp_.*' })]);
    expect(config.alerting.alertRelabelConfigs).toEqual([relabelRule({ sourceLabels: ['severity'], regex: 'none', action: 'drop' })]);
  });

  it('refuses bad Alertmanager discovery and relabelling with the position', () => {
    const bad = (yaml: string) => () => parseConfig(`alerting:\n  alertmanagers:\n    - ${yaml}\n`, 'p.yml');
    expect(bad('consul_sd_configs: [{ server: c }]')).toThrow(/^p\.yml:3:26: alerting\.alertmanagers\[0\]\.consul_sd_configs: consul_sd_configs is not supported yet \(Strata discovers targets with static_configs, file_sd_configs, http_sd_configs and dns_sd_configs/);
    expect(bad('dns_sd_configs: [{ names: [a.example], type: A }]')).toThrow(/a port is required for DNS-SD records of type A/);
    expect(bad('relabel_configs: [{ action: replace, regex: "(" }]')).toThrow(/^p\.yml:3:\d+: alerting\.alertmanagers\[0\]\.relabel_configs\[0\]: invalid regex/);
    expect(bad('relabel_configs: [null]')).toThrow(/alerting\.alertmanagers\[0\]\.relabel_configs\[0\]: empty or null Alertmanager target relabeling rule/);
    expect(() => parseConfig('alerting:\n  alert_relabel_configs: [~]\n', 'p.yml')).toThrow(/alerting\.alert_relabel_configs\[0\]: empty or null alert relabeling rule/);
    expect(bad('oauth2: { client_id: x }')).toThrow(/oauth2/);
  });
});

describe('files and overrides', () => {
  it('reads a file, naming it in errors, and lets flags win', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-config-'));
    try {
      const file = path.join(dir, 'strata.yml');
      fs.writeFileSync(file, 'storage: { path: /from/file }\nserver: { listen: "127.0.0.1:1" }\n');
      expect(loadConfigFile(file).config.storage.path).toBe('/from/file');
      const { config } = resolveConfig(file, { dataDir: '/from/flag', listen: '127.0.0.1:0' });
      expect(config.storage.path).toBe('/from/flag');
      expect(config.server.listen).toBe('127.0.0.1:0');

      fs.writeFileSync(file, 'storage:\n  retention: soon\n');
      expect(() => loadConfigFile(file)).toThrow(`${file}:2:14: storage.retention: invalid duration "soon"`);
      expect(() => loadConfigFile(path.join(dir, 'missing.yml'))).toThrow(/missing\.yml: cannot read config file: no such file/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --listen and keeps defaults without a file', () => {
    expect(() => applyOverrides(defaultConfig(), { listen: 'nope' })).toThrow(/--listen: invalid listen address "nope"/);
    expect(resolveConfig(undefined, {}).config).toEqual(defaultConfig());
  });
});
