// The printed configuration (/api/v1/status/config): it loads back to the configuration it came
// from, secrets aside. Its likeness to Prometheus' own page is checked against the real Prometheus
// in test/status-config.test.ts.
import { describe, expect, it } from 'vitest';
import { base2Bytes, configToYaml, SECRET } from './print.ts';
import { parseConfig } from './load.ts';
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
    expect(yaml).toMatch(/^global:\n {2}scrape_interval: 1m\n {2}scrape_timeout: 10s\n {2}evaluation_interval: 1m\nscrape_configs:\n- job_name: j\n {2}honor_timestamps: true\n/);
    expect(yaml).not.toMatch(/honor_labels|sample_limit|body_size_limit|basic_auth|tls_config|external_labels|fallback_scrape_protocol/);
    expect(configToYaml(defaultConfig())).not.toContain('scrape_configs');
  });

  it('writes as Go\'s YAML does: inline source labels, quoted YAML 1.1 booleans, no anchors', () => {
    const yaml = configToYaml(parseConfig(FILE, 'strata.yml').config);
    expect(yaml).toContain('  - source_labels: [x]\n');
    expect(yaml).toContain('    dc: "on"\n');
    expect(yaml).not.toMatch(/[&*]a\d/);
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
