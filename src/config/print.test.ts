// The printed configuration (/api/v1/status/config): it loads back to the configuration it came
// from, secrets aside. Its likeness to Prometheus' own page is checked against the real Prometheus
// in test/status-config.test.ts.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { base2Bytes, configToYaml, SECRET } from './print.ts';
import { loadConfigFile, parseConfig } from './load.ts';
import { defaultConfig } from './schema.ts';

const FILE = `
global:
  scrape_interval: 20s
  evaluation_interval: 30s
  rule_query_offset: 15s
  external_labels: {dc: "on"}
  body_size_limit: 1536
scrape_configs:
  - job_name: a
    scrape_protocols: [PrometheusText0.0.4]
    fallback_scrape_protocol: OpenMetricsText1.0.0
    track_timestamps_staleness: true
    enable_compression: false
    keep_dropped_targets: 4
    authorization: {credentials: hunter2}
    tls_config: {cert_file: /c, key_file: /k}
    static_configs: [{targets: ['h:1']}]
    http_sd_configs: [{url: 'http://sd/'}]
    relabel_configs:
      - {source_labels: [x], regex: 'a.*', action: keep}
  - job_name: b
    basic_auth: {username: u, password_file: /pw}
    sample_limit: 5
query:
  lookback_delta: 2m
  timeout: 0
server:
  write_queue_length: 0
  external_url: https://strata.example/
rule_files: [rules/*.yml]
alerting:
  alert_relabel_configs: [{source_labels: [severity], regex: none, action: drop}]
  alertmanagers:
    - path_prefix: am
      file_sd_configs: [{files: [am/*.json]}]
      dns_sd_configs: [{names: [_am._tcp.example]}, {names: [am.example], type: AAAA, port: 9093}]
      http_sd_configs: [{url: 'http://sd/am', follow_redirects: false}]
      relabel_configs: [{source_labels: [__meta_dns_name], target_label: dns}]
      alert_relabel_configs: [{action: labeldrop, regex: tmp}]
rules:
  resend_delay: 2m
notifier:
  peers: [http://peer:9190]
`;

describe('configToYaml', () => {
  it('prints a configuration that loads back to the same one, with secrets hidden', () => {
    const c = parseConfig(FILE, 'strata.yml').config;
    const yaml = configToYaml(c);
    expect(yaml).not.toContain('hunter2');
    const back = parseConfig(yaml, 'printed').config;
    expect(back.scrapeConfigs[0].authorization?.credentials).toBe(SECRET);
    back.scrapeConfigs[0].authorization!.credentials = 'hunter2';
    expect(back).toEqual(c);
  });

  it('fills in Prometheus\' defaults for global and leaves unset and zero fields out of jobs', () => {
    const c = parseConfig('scrape_configs: [{job_name: j}]', 'strata.yml').config;
    const yaml = configToYaml(c);
    // Jobs print their name schemes as Prometheus 3 does (2.42 has none). Prometheus 3 also prints
    // `metric_name_validation_scheme: utf8` in global when unset; Strata only when set, so that
    // the global section prints as 2.42's (test/status-config-paths.test.ts compares it).
    expect(yaml).toMatch(/^global:\n {2}scrape_interval: 1m\n {2}scrape_timeout: 10s\n {2}evaluation_interval: 1m\nscrape_configs:\n- job_name: j\n {2}honor_timestamps: true\n/);
    expect(yaml).toMatch(/\n {2}metric_name_validation_scheme: utf8\n {2}metric_name_escaping_scheme: allow-utf-8\n/);
    expect(yaml).not.toMatch(/honor_labels|\bsample_limit|body_size_limit|basic_auth|tls_config|external_labels|fallback_scrape_protocol/);
    expect(configToYaml(defaultConfig())).not.toContain('scrape_configs');
  });

  it('writes as Go\'s YAML does: inline source labels, quoted YAML 1.1 booleans, no anchors', () => {
    const yaml = configToYaml(parseConfig(FILE, 'strata.yml').config);
    expect(yaml).toContain('  - source_labels: [x]\n');
    expect(yaml).toContain('    dc: "on"\n');
    expect(yaml).not.toMatch(/[&*]a\d/);
  });
});

describe('configToYaml, fields as Prometheus prints them', () => {
  const print = (text: string, file = '/etc/strata/strata.yml') => configToYaml(parseConfig(text, file).config);

  it('prints global fields as Prometheus 3 does, those 2.42 refuses included', () => {
    // Prometheus 2.42 refuses scrape_protocols and the limits in global (2.45 and later read them)
    // and has no rule_query_offset (2.53); 3.x prints them in this order when set, none when unset.
    const yaml = print([
      'global:',
      '  sample_limit: 5',
      '  label_value_length_limit: 9',
      '  body_size_limit: 1536',
      '  scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0]',
      '  target_limit: 6',
      '  rule_query_offset: 30s',
      '  label_limit: 7',
      '  external_labels: {dc: x}',
      '  label_name_length_limit: 8',
    ].join('\n'));
    expect(yaml).toMatch(new RegExp(`^${[
      'global:', '  scrape_interval: 1m', '  scrape_timeout: 10s', '  scrape_protocols:', '  - PrometheusText0.0.4', '  - OpenMetricsText1.0.0',
      '  evaluation_interval: 1m', '  rule_query_offset: 30s', '  external_labels:', '    dc: x', '  body_size_limit: 1KiB512B', '  sample_limit: 5',
      '  target_limit: 6', '  label_limit: 7', '  label_name_length_limit: 8', '  label_value_length_limit: 9', 'server:',
    ].join('\n')}`));
    expect(print('global: {scrape_interval: 30s}')).toMatch(/^global:\n {2}scrape_interval: 30s\n {2}scrape_timeout: 10s\n {2}evaluation_interval: 1m\nserver:/);
    expect(print('global: {metric_name_validation_scheme: legacy, metric_name_escaping_scheme: dots}'))
      .toMatch(/ {2}evaluation_interval: 1m\n {2}metric_name_validation_scheme: legacy\n {2}metric_name_escaping_scheme: dots\nserver:/);
  });

  it('prints every static config of an Alertmanager as written, with its labels, HTTP settings and path_prefix', () => {
    const yaml = print([
      'alerting:',
      '  alertmanagers:',
      '    - follow_redirects: false',
      '      enable_http2: false',
      '      path_prefix: /',
      '      static_configs:',
      '        - targets: [a:1, b:1]',
      '          labels: {zone: z1, dc: d}',
      '        - targets: [c:1]',
    ].join('\n'));
    expect(yaml).toContain([
      'alerting:', '  alertmanagers:', '  - follow_redirects: false', '    enable_http2: false', '    scheme: http', '    path_prefix: /', '    timeout: 10s', '    api_version: v2',
      '    static_configs:', '    - targets:', '      - a:1', '      - b:1', '      labels:', '        dc: d', '        zone: z1', '    - targets:', '      - c:1', '',
    ].join('\n'));
  });

  it('prints an Alertmanager entry\'s relabelling and discovery after its own fields, alert_relabel_configs first, as Prometheus 2.42', () => {
    const yaml = print([
      'alerting:',
      '  alertmanagers:',
      '    - path_prefix: 1am',
      '      static_configs: [{targets: [a:1]}]',
      '      http_sd_configs: [{url: "http://127.0.0.1:1/sd"}]',
      '      file_sd_configs: [{files: [am.json]}]',
      '      dns_sd_configs: [{names: [localhost], type: A, port: 9014}, {names: [_am._tcp.example.invalid]}]',
      '      relabel_configs: [{source_labels: [__address__], regex: ".*:9013", action: drop}]',
      '  alert_relabel_configs: [{source_labels: [severity], regex: none, action: drop}]',
    ].join('\n'));
    // Prometheus 2.42's page for the same file (an SRV entry's port 0 included).
    expect(yaml).toContain([
      'alerting:', '  alert_relabel_configs:', '  - source_labels: [severity]', '    separator: ;', '    regex: none', '    replacement: $1', '    action: drop',
      '  alertmanagers:', '  - follow_redirects: true', '    enable_http2: true', '    scheme: http', '    path_prefix: 1am', '    timeout: 10s', '    api_version: v2',
      '    relabel_configs:', '    - source_labels: [__address__]', '      separator: ;', '      regex: .*:9013', '      replacement: $1', '      action: drop',
      '    dns_sd_configs:', '    - names:', '      - localhost', '      refresh_interval: 30s', '      type: A', '      port: 9014',
      '    - names:', '      - _am._tcp.example.invalid', '      refresh_interval: 30s', '      type: SRV', '      port: 0',
      '    file_sd_configs:', '    - files:', '      - /etc/strata/am.json', '      refresh_interval: 5m',
      '    http_sd_configs:', '    - follow_redirects: true', '      enable_http2: true', '      refresh_interval: 1m', '      url: http://127.0.0.1:1/sd',
      '    static_configs:', '    - targets:', '      - a:1', 'server:',
    ].join('\n'));
  });

  it('prints an http_sd entry\'s HTTP client settings before its own fields', () => {
    const yaml = print('scrape_configs: [{job_name: j, http_sd_configs: [{url: "http://sd/", refresh_interval: 30s, follow_redirects: false}]}]');
    expect(yaml).toContain('  http_sd_configs:\n  - follow_redirects: false\n    enable_http2: true\n    refresh_interval: 30s\n    url: http://sd/\n');
  });

  it('prints rule_files joined with the config file\'s directory, as Prometheus does at load', () => {
    const yaml = print('rule_files: [rules/*.yml, /abs/r.yml, ../x.yml]');
    expect(yaml).toContain('rule_files:\n- /etc/strata/rules/*.yml\n- /abs/r.yml\n- /etc/x.yml\n');
    // A relative --config.file keeps them relative, lexically cleaned as Go's filepath.Join does
    // (what Prometheus 2.42 and 3 print; test/status-config.test.ts runs 2.42 on such a path).
    const rel = configToYaml(parseConfig('rule_files: [rules/*.yml, ../x/../y.yml, ./z.yml]', 'conf/prometheus.yml').config);
    expect(rel).toContain('rule_files:\n- conf/rules/*.yml\n- y.yml\n- conf/z.yml\n');
    const here = configToYaml(parseConfig('rule_files: [rules/*.yml]', 'prometheus.yml').config);
    expect(here).toContain('rule_files:\n- rules/*.yml\n');
  });

  it('prints scrape_config_files as Prometheus 3 does: the patterns joined with the config file\'s directory, and the main file\'s jobs only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-print-'));
    try {
      fs.mkdirSync(path.join(dir, 'conf.d'));
      fs.writeFileSync(path.join(dir, 'conf.d', 'a.yml'), 'scrape_configs: [{job_name: from_file}]\n');
      fs.writeFileSync(path.join(dir, 'prometheus.yml'), 'scrape_config_files: [conf.d/*.yml, /abs/*.yml]\nscrape_configs: [{job_name: main}]\nrule_files: [r.yml]\n');
      const c = loadConfigFile(path.join(dir, 'prometheus.yml')).config;
      expect(c.scrapeConfigs.map((j) => j.jobName)).toEqual(['main', 'from_file']);
      const yaml = configToYaml(c);
      // 2.42 has no scrape_config_files (it refuses the field; test/status-config.test.ts).
      expect(yaml).toContain(`rule_files:\n- ${dir}/r.yml\nscrape_config_files:\n- ${dir}/conf.d/*.yml\n- /abs/*.yml\nscrape_configs:\n- job_name: main\n`);
      expect(yaml).not.toContain('from_file');
      // Loading the page back reads the files again: the same jobs.
      expect(parseConfig(yaml, path.join(dir, 'printed.yml')).config.scrapeConfigs.map((j) => j.jobName)).toEqual(['main', 'from_file']);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('leaves an empty relabelling separator and replacement out and prints an empty regex as null, as Prometheus does', () => {
    const yaml = print([
      'scrape_configs:',
      '  - job_name: j',
      '    relabel_configs:',
      '      - {source_labels: [a, b], separator: "", target_label: c}',
      '      - {source_labels: [a], replacement: "", target_label: d}',
      '      - {source_labels: [a], regex: "", target_label: e}',
    ].join('\n'));
    // Prometheus 2.42's page for the same file (3.x marshals relabel.Config the same way).
    expect(yaml).toContain([
      '  relabel_configs:',
      '  - source_labels: [a, b]', '    regex: (.*)', '    target_label: c', '    replacement: $1', '    action: replace',
      '  - source_labels: [a]', '    separator: ;', '    regex: (.*)', '    target_label: d', '    action: replace',
      '  - source_labels: [a]', '    separator: ;', '    regex: null', '    target_label: e', '    replacement: $1', '    action: replace',
      '',
    ].join('\n'));
  });

  it('prints map keys in the order Go\'s YAML library sorts them', () => {
    const yaml = print('global: {external_labels: {b: "1", a10: "1", a9: "1", a_: "1", A: "1", a01: "1", a1: "1"}}');
    expect(yaml).toContain('  external_labels:\n    A: "1"\n    a_: "1"\n    a1: "1"\n    a01: "1"\n    a9: "1"\n    a10: "1"\n    b: "1"\n');
  });
});

describe('base2Bytes', () => {
  it('prints sizes as Prometheus prints body_size_limit', () => {
    expect(base2Bytes(10 * 1024 ** 2)).toBe('10MiB');
    expect(base2Bytes(1536)).toBe('1KiB512B');
    expect(base2Bytes(1)).toBe('1B');
    expect(base2Bytes(1024 ** 3 + 1024)).toBe('1GiB1KiB');
  });
});
