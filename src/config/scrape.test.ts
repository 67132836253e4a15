import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, loadConfigFile, parseConfig } from './index.ts';
import { configToYaml, SECRET } from './print.ts';

function problems(text: string): string[] {
  try {
    parseConfig(text, 'prometheus.yml');
  } catch (e) {
    if (e instanceof ConfigError) return e.problems;
    throw e;
  }
  return [];
}

describe('global and scrape_configs', () => {
  it('has Prometheus defaults', () => {
    const d = defaultConfig();
    expect(d.global).toEqual({
      scrapeIntervalMs: 60_000, scrapeTimeoutMs: 10_000, evaluationIntervalMs: 60_000, ruleQueryOffsetMs: 0, externalLabels: {},
      scrapeProtocols: null, bodySizeLimit: 0, sampleLimit: 0, targetLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0,
      metricNameValidationScheme: null, metricNameEscapingScheme: null,
    });
    expect(d.scrapeConfigs).toEqual([]);
  });

  it('reads a full job and inherits from global', () => {
    const { config } = parseConfig([
      'global:',
      '  scrape_interval: 15s',
      '  scrape_timeout: 5s',
      '  evaluation_interval: 30s',
      '  external_labels: { region: eu }',
      '  sample_limit: 1000',
      'scrape_configs:',
      '  - job_name: node',
      '    static_configs:',
      '      - targets: ["a:9100", "b:9100"]',
      '        labels: { env: prod }',
      '    file_sd_configs:',
      '      - files: ["/etc/sd/*.json"]',
      '    http_sd_configs:',
      '      - url: http://sd.example/targets',
      '        refresh_interval: 30s',
      '    relabel_configs:',
      '      - source_labels: [__address__]',
      '        modulus: 4',
      '        target_label: __tmp_shard',
      '        action: HashMod',
      '    metric_relabel_configs:',
      '      - source_labels: [__name__]',
      '        regex: go_.*',
      '        action: drop',
      '  - job_name: blackbox',
      '    scrape_interval: 1m30s',
      '    metrics_path: /probe',
      '    scheme: https',
      '    params: { module: [http_2xx] }',
      '    honor_labels: true',
      '    honor_timestamps: false',
      '    basic_auth: { username: u, password: p }',
      '    tls_config: { insecure_skip_verify: true, server_name: x }',
      '    body_size_limit: 10MB',
      '    sample_limit: 0',
      '    label_limit: 30',
      '    label_name_length_limit: 100',
      '    label_value_length_limit: 200',
      '  - job_name: fast',
      '    scrape_interval: 2s',
      '    authorization: { credentials: secret }',
    ].join('\n'), 'prometheus.yml');
    expect(config.global).toEqual({
      scrapeIntervalMs: 15_000, scrapeTimeoutMs: 5_000, evaluationIntervalMs: 30_000, ruleQueryOffsetMs: 0, externalLabels: { region: 'eu' },
      scrapeProtocols: null, bodySizeLimit: 0, sampleLimit: 1000, targetLimit: 0, labelLimit: 0, labelNameLengthLimit: 0, labelValueLengthLimit: 0,
      metricNameValidationScheme: null, metricNameEscapingScheme: null,
    });
    const [node, bb, fast] = config.scrapeConfigs;
    expect(node).toMatchObject({
      jobName: 'node', scrapeIntervalMs: 15_000, scrapeTimeoutMs: 5_000, metricsPath: '/metrics', scheme: 'http',
      honorLabels: false, honorTimestamps: true, sampleLimit: 1000, bodySizeLimit: 0,
      staticConfigs: [{ targets: ['a:9100', 'b:9100'], labels: { env: 'prod' } }],
      fileSdConfigs: [{ files: ['/etc/sd/*.json'], refreshIntervalMs: 300_000 }],
      httpSdConfigs: [{ url: 'http://sd.example/targets', refreshIntervalMs: 30_000, followRedirects: true, enableHttp2: true }],
    });
    expect(node.relabelConfigs[0]).toEqual({ sourceLabels: ['__address__'], separator: ';', regex: '(.*)', modulus: 4, targetLabel: '__tmp_shard', replacement: '$1', action: 'hashmod' });
    expect(node.metricRelabelConfigs[0].action).toBe('drop');
    expect(bb).toMatchObject({
      scrapeIntervalMs: 90_000, scrapeTimeoutMs: 5_000, metricsPath: '/probe', scheme: 'https', params: { module: ['http_2xx'] },
      honorLabels: true, honorTimestamps: false, basicAuth: { username: 'u', password: 'p', passwordFile: '' },
      tlsConfig: { insecureSkipVerify: true, serverName: 'x', caFile: '', certFile: '', keyFile: '', ca: '', cert: '', key: '', minVersion: '', maxVersion: '' },
      bodySizeLimit: 10 * 1024 * 1024, sampleLimit: 0, labelLimit: 30, labelNameLengthLimit: 100, labelValueLengthLimit: 200,
    });
    expect(node).toMatchObject({
      // Prometheus 3's defaults (2.42 offered no PrometheusText1.0.0 and had no name schemes).
      scrapeProtocols: ['OpenMetricsText1.0.0', 'OpenMetricsText0.0.1', 'PrometheusText1.0.0', 'PrometheusText0.0.4'], fallbackScrapeProtocol: 'PrometheusText0.0.4',
      enableCompression: true, trackTimestampsStaleness: false, keepDroppedTargets: 0,
      metricNameValidationScheme: 'utf8', metricNameEscapingScheme: 'allow-utf-8',
    });
    // The global timeout is capped by a shorter job interval, as in Prometheus.
    expect(fast).toMatchObject({ scrapeIntervalMs: 2_000, scrapeTimeoutMs: 2_000, authorization: { type: 'Bearer', credentials: 'secret', credentialsFile: '' } });
  });

  it('takes target_limit from the job or else from global', () => {
    const { config } = parseConfig('global: { target_limit: 50 }\nscrape_configs: [{ job_name: a }, { job_name: b, target_limit: 3 }]', 'prometheus.yml');
    expect(config.scrapeConfigs.map((j) => j.targetLimit)).toEqual([50, 3]);
  });

  it('resolves file names relative to the config file', () => {
    const { config } = parseConfig([
      'scrape_configs:',
      '  - job_name: a',
      '    file_sd_configs: [{ files: ["sd/*.json", "/abs/x.yml"] }]',
      '    tls_config: { ca_file: ca.pem }',
      '    authorization: { credentials_file: secrets/token }',
    ].join('\n'), '/etc/strata/prometheus.yml');
    const [j] = config.scrapeConfigs;
    expect(j.fileSdConfigs[0].files).toEqual(['/etc/strata/sd/*.json', '/abs/x.yml']);
    expect(j.tlsConfig.caFile).toBe('/etc/strata/ca.pem');
    expect(j.tlsConfig.certFile).toBe('');
    expect(j.authorization?.credentialsFile).toBe('/etc/strata/secrets/token');
  });

  it.each<[string, string[], RegExp]>([
    ['unknown field in a job', ['scrape_configs:', '  - job_name: a', '    scrape_intervall: 5s'],
      /^prometheus\.yml:3:5: scrape_configs\[0\]\.scrape_intervall: unknown field \(did you mean scrape_interval\?\)$/],
    ['unknown field in global', ['global:', '  scrape_interva: 5s'], /^prometheus\.yml:2:3: global\.scrape_interva: unknown field \(did you mean scrape_interval\?\)$/],
    ['bad duration', ['scrape_configs:', '  - job_name: a', '    scrape_interval: often'],
      /^prometheus\.yml:3:22: scrape_configs\[0\]\.scrape_interval: invalid duration "often"/],
    ['duplicate job names', ['scrape_configs:', '  - job_name: a', '  - job_name: a'],
      /^prometheus\.yml:3:15: scrape_configs\[1\]\.job_name: job name "a" is used by scrape_configs\[0\] already$/],
    ['missing job name', ['scrape_configs:', '  - scrape_interval: 5s'], /scrape_configs\[0\]: job_name is required/],
    ['timeout above interval', ['scrape_configs:', '  - job_name: a', '    scrape_interval: 5s', '    scrape_timeout: 10s'],
      /^prometheus\.yml:4:21: scrape_configs\[0\]\.scrape_timeout: scrape_timeout .* must not be greater than scrape_interval/],
    ['bad relabel action', ['scrape_configs:', '  - job_name: a', '    relabel_configs:', '      - action: rename'],
      /^prometheus\.yml:4:17: scrape_configs\[0\]\.relabel_configs\[0\]\.action: unknown relabel action "rename"/],
    ['relabel rule without target', ['scrape_configs:', '  - job_name: a', '    metric_relabel_configs:', '      - source_labels: [x]'],
      /^prometheus\.yml:4:9: scrape_configs\[0\]\.metric_relabel_configs\[0\]: relabel action replace requires the target_label field$/],
    ['bad relabel regex', ['scrape_configs:', '  - job_name: a', '    relabel_configs:', '      - { regex: "a(", action: drop }'],
      /relabel_configs\[0\]: invalid regex "a\("/],
    ['bad scheme', ['scrape_configs:', '  - job_name: a', '    scheme: ftp'], /scheme: expected one of http, https, got "ftp"/],
    ['bad static target', ['scrape_configs:', '  - job_name: a', '    static_configs: [{ targets: ["http://x:1/metrics"] }]'],
      /static_configs\[0\]\.targets\[0\]: "http:\/\/x:1\/metrics" is not a valid host:port target/],
    // Prometheus 3 takes any non-empty UTF-8 label name ("a-b" too, which 2.42 refused).
    ['bad label name', ['scrape_configs:', '  - job_name: a', '    static_configs: [{ targets: [x], labels: { "": c } }]'],
      /static_configs\[0\]\.labels\.: invalid label name ""/],
    ['file_sd with a wrong extension', ['scrape_configs:', '  - job_name: a', '    file_sd_configs: [{ files: [targets.txt] }]'],
      /file_sd_configs\[0\]\.files\[0\]: "targets\.txt": file_sd files must end in \.json, \.yml or \.yaml/],
    ['http_sd without a URL scheme', ['scrape_configs:', '  - job_name: a', '    http_sd_configs: [{ url: sd.local }]'],
      /http_sd_configs\[0\]\.url: expected an http:\/\/ or https:\/\/ URL/],
    ['http_sd with basic_auth', ['scrape_configs:', '  - job_name: a', '    http_sd_configs: [{ url: "http://sd/", basic_auth: { username: u } }]'],
      /^prometheus\.yml:3:56: scrape_configs\[0\]\.http_sd_configs\[0\]\.basic_auth: basic_auth is not supported in http_sd_configs yet \(of the HTTP client settings, follow_redirects and enable_http2 are\)$/],
    ['two kinds of auth', ['scrape_configs:', '  - job_name: a', '    basic_auth: { username: u }', '    authorization: { credentials: c }'],
      /at most one of basic_auth, authorization, bearer_token and oauth2/],
    ['oauth2 beside basic_auth', ['scrape_configs:', '  - job_name: a', '    basic_auth: { username: u }', '    oauth2: { client_id: c, token_url: "http://t/" }'],
      /^prometheus\.yml:2:5: scrape_configs\[0\]: at most one of basic_auth, authorization, bearer_token and oauth2 may be set$/],
    ['oauth2 without token_url', ['scrape_configs:', '  - job_name: a', '    oauth2: { client_id: c }'], /oauth2\.token_url: expected an http:\/\/ or https:\/\/ URL/],
    ['oauth2 with an https proxy', ['scrape_configs:', '  - job_name: a', '    oauth2: { client_id: c, token_url: "http://t/", proxy_url: "https://p:3128" }'],
      /^prometheus\.yml:3:64: scrape_configs\[0\]\.oauth2\.proxy_url: expected an http:\/\/ proxy URL, got "https:\/\/p:3128"$/],
    ['oauth2 no_proxy without its proxy_url', ['scrape_configs:', '  - job_name: a', '    proxy_url: http://p:3128', '    oauth2: { client_id: c, token_url: "http://t/", no_proxy: localhost }'],
      /scrape_configs\[0\]\.oauth2\.no_proxy: no_proxy needs proxy_url/],
    ['oauth2 with both proxies', ['scrape_configs:', '  - job_name: a', '    oauth2: { client_id: c, token_url: "http://t/", proxy_url: "http://p:1", proxy_from_environment: true }'],
      /scrape_configs\[0\]\.oauth2\.proxy_from_environment: at most one of proxy_url and proxy_from_environment may be set/],
    ['reserved header', ['scrape_configs:', '  - job_name: a', '    http_headers: { Authorization: { values: [x] } }'],
      /^prometheus\.yml:3:36: scrape_configs\[0\]\.http_headers\.Authorization: setting header Authorization is not allowed/],
    ['unknown field of a header', ['scrape_configs:', '  - job_name: a', '    http_headers: { X-A: { value: [x] } }'], /http_headers\.X-A: unknown field value/],
    ['proxy_connect_header without a proxy', ['scrape_configs:', '  - job_name: a', '    proxy_connect_header: { X: [y] }'], /proxy_connect_header: proxy_connect_header needs proxy_url/],
    ['https proxy', ['scrape_configs:', '  - job_name: a', '    proxy_url: https://proxy:3128'], /proxy_url: expected an http:\/\/ proxy URL/],
    ['dns_sd A without a port', ['scrape_configs:', '  - job_name: a', '    dns_sd_configs: [{ names: [x.example], type: A }]'],
      /dns_sd_configs\[0\]\.port: a port is required for DNS-SD records of type A/],
    ['dns_sd bad type', ['scrape_configs:', '  - job_name: a', '    dns_sd_configs: [{ names: [x.example], type: TXT }]'], /dns_sd_configs\[0\]\.type: invalid DNS-SD record type "TXT"/],
    ['kubernetes_sd_configs', ['scrape_configs:', '  - job_name: a', '    kubernetes_sd_configs:', '      - role: pod'],
      /^prometheus\.yml:4:7: scrape_configs\[0\]\.kubernetes_sd_configs: kubernetes_sd_configs is not supported yet \(Strata discovers targets with static_configs, file_sd_configs, http_sd_configs and dns_sd_configs/],
    ['consul_sd_configs', ['scrape_configs:', '  - job_name: a', '    consul_sd_configs: [{ server: "localhost:8500" }]'], /consul_sd_configs: consul_sd_configs is not supported yet/],
    ['classic to native histograms', ['scrape_configs:', '  - job_name: a', '    convert_classic_histograms_to_nhcb: true'], /convert_classic_histograms_to_nhcb: converting classic histograms to native histograms is not supported/],
    ['scrape_failure_log_file', ['scrape_configs:', '  - job_name: a', '    scrape_failure_log_file: /var/log/f.log'], /scrape_failure_log_file: scrape_failure_log_file is not supported yet/],
    ['ca and ca_file', ['scrape_configs:', '  - job_name: a', '    tls_config: { ca: "PEM", ca_file: /ca.pem }'], /tls_config: at most one of ca and ca_file may be set/],
    ['cert without key', ['scrape_configs:', '  - job_name: a', '    tls_config: { cert: "PEM" }'], /tls_config: a client certificate \(cert or cert_file\) and its key \(key or key_file\) must be given together/],
    ['unknown TLS version', ['scrape_configs:', '  - job_name: a', '    tls_config: { min_version: TLS1.2 }'], /tls_config\.min_version: unknown TLS version "TLS1\.2" \(expected one of TLS10, TLS11, TLS12, TLS13\)/],
    ['TLS versions reversed', ['scrape_configs:', '  - job_name: a', '    tls_config: { min_version: TLS13, max_version: TLS12 }'], /tls_config\.max_version: max_version TLS12 is below min_version TLS13/],
    ['ec2_sd_configs', ['scrape_configs:', '  - job_name: a', '    ec2_sd_configs: [{ region: eu-west-1 }]'], /ec2_sd_configs: ec2_sd_configs is not supported yet/],
    ['negative sample_limit', ['scrape_configs:', '  - job_name: a', '    sample_limit: -1'], /sample_limit: expected a non-negative integer/],
    ['bad body size', ['scrape_configs:', '  - job_name: a', '    body_size_limit: lots'], /body_size_limit: invalid size "lots"/],
    ['unsupported scrape protocol', ['scrape_configs:', '  - job_name: a', '    scrape_protocols: [PrometheusProto, PrometheusText0.0.4]'],
      /^prometheus\.yml:3:24: scrape_configs\[0\]\.scrape_protocols\[0\]: PrometheusProto is not supported/],
    ['unknown fallback protocol', ['scrape_configs:', '  - job_name: a', '    fallback_scrape_protocol: Text'], /fallback_scrape_protocol: unknown scrape protocol "Text"/],
    ['scrape_configs not a list', ['scrape_configs: { job_name: a }'], /^prometheus\.yml:1:17: scrape_configs: expected a list, got a mapping$/],
  ])('%s', (_name, lines, want) => {
    const ps = problems(lines.join('\n'));
    expect(ps.length).toBeGreaterThan(0);
    expect(ps.some((p) => want.test(p)), ps.join('\n')).toBe(true);
  });
});

describe('scrape_configs: HTTP client and discovery settings', () => {
  it('reads http_headers, oauth2, proxy_url, enable_http2 and dns_sd_configs, with files relative to the config file', () => {
    const { config } = parseConfig([
      'scrape_configs:',
      '  - job_name: a',
      '    http_headers:',
      '      X-Tenant: { values: [one, two], secrets: [s3cret], files: [tenant.txt] }',
      '    oauth2:',
      '      client_id: id',
      '      client_secret_file: secrets/oauth',
      '      scopes: [read, write]',
      '      token_url: https://auth.example/token',
      '      endpoint_params: { audience: metrics }',
      '      tls_config: { ca_file: auth-ca.pem, min_version: TLS12 }',
      '      proxy_url: http://auth-proxy.example:8080',
      '      no_proxy: .internal',
      '      proxy_connect_header: { X-Tenant: [t] }',
      '    proxy_url: http://user:pw@proxy.example:3128',
      '    no_proxy: localhost,.internal',
      '    proxy_connect_header: { X-Auth: [a, b] }',
      '    enable_http2: false',
      '    kubernetes_sd_configs: []',
      '    scrape_classic_histograms: true',
      '    native_histogram_bucket_limit: 160',
      '    convert_classic_histograms_to_nhcb: false',
      '    dns_sd_configs:',
      '      - names: [_metrics._tcp.example.com]',
      '      - { names: [a.example, b.example], type: a, port: 9100, refresh_interval: 1m }',
    ].join('\n'), '/etc/strata/prometheus.yml');
    const [j] = config.scrapeConfigs;
    expect(j.httpHeaders).toEqual({ 'X-Tenant': { values: ['one', 'two'], secrets: ['s3cret'], files: ['/etc/strata/tenant.txt'] } });
    expect(j.oauth2).toEqual({
      clientId: 'id', clientSecret: '', clientSecretFile: '/etc/strata/secrets/oauth', scopes: ['read', 'write'], tokenUrl: 'https://auth.example/token',
      endpointParams: { audience: 'metrics' }, tlsConfig: { caFile: '/etc/strata/auth-ca.pem', certFile: '', keyFile: '', ca: '', cert: '', key: '', serverName: '', insecureSkipVerify: false, minVersion: 'TLS12', maxVersion: '' },
      proxyUrl: 'http://auth-proxy.example:8080', noProxy: '.internal', proxyFromEnvironment: false, proxyConnectHeaders: { 'X-Tenant': ['t'] },
    });
    expect(j).toMatchObject({ proxyUrl: 'http://user:pw@proxy.example:3128', noProxy: 'localhost,.internal', proxyConnectHeaders: { 'X-Auth': ['a', 'b'] }, enableHttp2: false, authorization: null, basicAuth: null });
    expect(j.targetLimit).toBe(0);
    expect(j.dnsSdConfigs).toEqual([
      { names: ['_metrics._tcp.example.com'], type: 'SRV', port: 0, refreshIntervalMs: 30_000 },
      { names: ['a.example', 'b.example'], type: 'A', port: 9100, refreshIntervalMs: 60_000 },
    ]);
  });
});

describe('printing the HTTP client settings and DNS discovery (/api/v1/status/config)', () => {
  it('loads back to the same jobs, secrets hidden', () => {
    const c = parseConfig([
      'scrape_configs:',
      '  - job_name: a',
      '    http_headers: { X-Tenant: { values: [one], secrets: [hush], files: [/t] } }',
      '    oauth2: { client_id: id, client_secret: hunter2, scopes: [r], token_url: "https://auth/t", endpoint_params: { aud: m }, tls_config: { ca_file: /ca } }',
      '    proxy_url: http://proxy:3128',
      '    no_proxy: localhost',
      '    dns_sd_configs: [{ names: [_m._tcp.example] }, { names: [h.example], type: A, port: 9100 }]',
      '  - job_name: b',
      '    oauth2: { client_id: id, token_url: "https://auth/t", proxy_url: "http://tok:hunter3@authproxy:8080", proxy_connect_header: { X-P: [hush2] } }',
      '    proxy_url: http://scraper:hunter4@proxy:3128',
    ].join('\n'), '/etc/prometheus.yml').config;
    const yaml = configToYaml(c);
    expect(yaml).not.toMatch(/hunter|hush/);
    expect(yaml).toMatch(/\n {2}proxy_url: http:\/\/proxy:3128\n {2}no_proxy: localhost\n {2}http_headers:\n/);
    // Passwords in proxy URLs as Prometheus prints them (Go's URL.Redacted); oauth2's proxy after its tls_config.
    expect(yaml).toMatch(/\n {2}oauth2:\n {4}client_id: id\n {4}token_url: https:\/\/auth\/t\n {4}proxy_url: http:\/\/tok:xxxxx@authproxy:8080\n {4}proxy_connect_header:\n {6}X-P:\n {6}- <secret>\n/);
    expect(yaml).toMatch(/\n {2}proxy_url: http:\/\/scraper:xxxxx@proxy:3128\n/);
    const back = parseConfig(yaml, '/etc/printed.yml').config;
    expect(back.scrapeConfigs[0].oauth2?.clientSecret).toBe(SECRET);
    expect(back.scrapeConfigs[0].httpHeaders['X-Tenant'].secrets).toEqual([SECRET]);
    back.scrapeConfigs[0].oauth2!.clientSecret = 'hunter2';
    back.scrapeConfigs[0].httpHeaders['X-Tenant'].secrets = ['hush'];
    back.scrapeConfigs[1].oauth2!.proxyUrl = 'http://tok:hunter3@authproxy:8080';
    back.scrapeConfigs[1].oauth2!.proxyConnectHeaders = { 'X-P': ['hush2'] };
    back.scrapeConfigs[1].proxyUrl = 'http://scraper:hunter4@proxy:3128';
    expect(back.scrapeConfigs).toEqual(c.scrapeConfigs);
  });
});

describe('scrape_config_files', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
  });
  const tree = (files: Record<string, string>): string => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-scf-'));
    dirs.push(dir);
    for (const [name, text] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      fs.writeFileSync(path.join(dir, name), text);
    }
    return dir;
  };
  const loadProblems = (file: string): string[] => {
    try {
      loadConfigFile(file);
    } catch (e) {
      if (e instanceof ConfigError) return e.problems;
      throw e;
    }
    return [];
  };

  it('appends the jobs of every matching file, which inherit global and resolve files next to themselves', () => {
    const dir = tree({
      'prometheus.yml': ['global: { scrape_interval: 20s, sample_limit: 500 }', 'scrape_configs: [{ job_name: main }]', 'scrape_config_files: ["conf.d/*.yml", "none/*.yml"]'].join('\n'),
      'conf.d/b.yml': 'scrape_configs:\n  - job_name: b\n    tls_config: { ca_file: ca.pem }\n',
      'conf.d/a.yml': 'scrape_configs:\n  - job_name: a\n    scrape_interval: 5s\n    file_sd_configs: [{ files: [sd/*.json] }]\n',
      'conf.d/ignored.txt': 'not yaml: [',
    });
    const { config, warnings } = loadConfigFile(path.join(dir, 'prometheus.yml'));
    expect(config.scrapeConfigs.map((j) => [j.jobName, j.scrapeIntervalMs, j.sampleLimit])).toEqual([['main', 20_000, 500], ['a', 5_000, 500], ['b', 20_000, 500]]);
    expect(config.scrapeConfigs[1].fileSdConfigs[0].files).toEqual([path.join(dir, 'conf.d/sd/*.json')]);
    expect(config.scrapeConfigs[2].tlsConfig.caFile).toBe(path.join(dir, 'conf.d/ca.pem'));
    expect(warnings.join('\n')).not.toMatch(/scrape_config_files/);
  });

  it('names the included file, line and field of a problem, and job names taken in another file', () => {
    const dir = tree({
      'prometheus.yml': 'scrape_configs: [{ job_name: main }]\nscrape_config_files: [jobs/*.yml]\n',
      'jobs/bad.yml': 'scrape_configs:\n  - job_name: x\n    scrape_interval: sometimes\n',
      'jobs/dup.yml': '# the main file has it\nscrape_configs:\n  - job_name: y\n  - job_name: main\n',
      'jobs/other.yml': 'global: { scrape_interval: 1s }\nscrape_configs: []\n',
    });
    const ps = loadProblems(path.join(dir, 'prometheus.yml'));
    const bad = path.join(dir, 'jobs/bad.yml');
    expect(ps).toContain(`${bad}:3:22: scrape_configs[0].scrape_interval: invalid duration "sometimes" (use e.g. 15s, 1m, 1m30s)`);
    expect(ps).toContain(`${path.join(dir, 'jobs/dup.yml')}:4:15: scrape_configs[1].job_name: job name "main" is used by ${path.join(dir, 'prometheus.yml')} scrape_configs[0] already`);
    expect(ps.some((p) => p.startsWith(`${path.join(dir, 'jobs/other.yml')}:1:1: global: unknown field`))).toBe(true);
  });

  it('refuses a scrape_config_files that is not a list of names', () => {
    expect(problems('scrape_config_files: conf.d/*.yml')).toEqual(['prometheus.yml:1:22: scrape_config_files: expected a list of file names or globs (e.g. [conf.d/*.yml])']);
  });
});
