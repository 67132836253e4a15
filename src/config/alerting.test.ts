// alerting.alertmanagers[]'s HTTP client settings: every field Prometheus' alertmanager_config
// takes (its common HTTP client config, the one a scrape job has) is read, checked as a scrape
// job's are, and resolved relative to the config file; sigv4 is refused by name.
import { describe, expect, it } from 'vitest';
import { parseConfig } from './index.ts';
import { configToYaml, SECRET } from './print.ts';

const am = (fields: string) => parseConfig(`alerting:\n  alertmanagers:\n    - static_configs: [{ targets: ["a:9093"] }]\n${fields}`, '/etc/strata/prometheus.yml').config.alerting.alertmanagers[0];
const bad = (fields: string) => () => am(fields);

describe('alerting.alertmanagers HTTP client settings', () => {
  it('reads basic_auth with password_file, TLS files, proxy and http_headers, files joined with the config file\'s directory', () => {
    const a = am([
      '      basic_auth: { username: u, password_file: secrets/pw }',
      '      tls_config: { ca_file: ca.pem, cert_file: /abs/c.pem, key_file: k.pem, server_name: am.example, insecure_skip_verify: false, min_version: TLS12, max_version: TLS13 }',
      '      proxy_url: http://proxy:3128',
      '      no_proxy: localhost,.internal',
      '      proxy_connect_header: { X-Proxy-Key: [k] }',
      '      follow_redirects: false',
      '      enable_http2: false',
      '      http_headers: { X-Tenant: { values: [t1], secrets: [s], files: [h.txt] } }',
      '',
    ].join('\n'));
    expect(a).toMatchObject({
      basicAuth: { username: 'u', password: '', passwordFile: '/etc/strata/secrets/pw' },
      authorization: null, oauth2: null,
      tlsConfig: { caFile: '/etc/strata/ca.pem', certFile: '/abs/c.pem', keyFile: '/etc/strata/k.pem', serverName: 'am.example', minVersion: 'TLS12', maxVersion: 'TLS13' },
      proxyUrl: 'http://proxy:3128', noProxy: 'localhost,.internal', proxyConnectHeaders: { 'X-Proxy-Key': ['k'] },
      followRedirects: false, enableHttp2: false,
      httpHeaders: { 'X-Tenant': { values: ['t1'], secrets: ['s'], files: ['/etc/strata/h.txt'] } },
    });
  });

  it('takes bearer_token(_file) as authorization of type Bearer, as Prometheus converts it', () => {
    expect(am('      bearer_token: tok\n').authorization).toEqual({ type: 'Bearer', credentials: 'tok', credentialsFile: '' });
    expect(am('      bearer_token_file: tok.txt\n').authorization).toEqual({ type: 'Bearer', credentials: '', credentialsFile: '/etc/strata/tok.txt' });
    expect(am('      authorization: { type: Token, credentials_file: c.txt }\n').authorization).toEqual({ type: 'Token', credentials: '', credentialsFile: '/etc/strata/c.txt' });
  });

  it('reads oauth2 with its own TLS and proxy settings', () => {
    const a = am([
      '      oauth2:',
      '        client_id: c',
      '        client_secret_file: cs.txt',
      '        token_url: https://idp.example/token',
      '        scopes: [alerts]',
      '        endpoint_params: { audience: am }',
      '        tls_config: { ca_file: idp-ca.pem }',
      '        proxy_from_environment: true',
      '',
    ].join('\n'));
    expect(a.oauth2).toMatchObject({
      clientId: 'c', clientSecret: '', clientSecretFile: '/etc/strata/cs.txt', tokenUrl: 'https://idp.example/token', scopes: ['alerts'],
      endpointParams: { audience: 'am' }, tlsConfig: { caFile: '/etc/strata/idp-ca.pem' }, proxyFromEnvironment: true, proxyUrl: '',
    });
  });

  it('refuses what Prometheus refuses in a scrape job\'s client settings, with the entry\'s position', () => {
    expect(bad('      basic_auth: { username: u }\n      bearer_token: t\n')).toThrow(/alerting\.alertmanagers\[0\]: at most one of basic_auth, authorization, bearer_token and oauth2 may be set/);
    expect(bad('      bearer_token: t\n      bearer_token_file: f\n')).toThrow(/at most one of bearer_token and bearer_token_file may be set/);
    expect(bad('      basic_auth: { username: u, password: p, password_file: f }\n')).toThrow(/alerting\.alertmanagers\[0\]\.basic_auth: at most one of password and password_file/);
    expect(bad('      authorization: { type: Basic, credentials: x }\n')).toThrow(/alerting\.alertmanagers\[0\]\.authorization\.type: authorization type cannot be Basic/);
    expect(bad('      no_proxy: localhost\n')).toThrow(/alerting\.alertmanagers\[0\]\.no_proxy: no_proxy needs proxy_url/);
    expect(bad('      proxy_url: socks5://p:1\n')).toThrow(/expected an http:\/\/ proxy URL/);
    expect(bad('      http_headers: { Authorization: { values: [x] } }\n')).toThrow(/setting header Authorization is not allowed/);
    expect(bad('      tls_config: { cert_file: c.pem }\n')).toThrow(/a client certificate \(cert or cert_file\) and its key/);
    expect(bad('      tls_config: { min_version: TLS14 }\n')).toThrow(/unknown TLS version "TLS14"/);
    expect(bad('      oauth2: { client_id: c, token_url: ftp://x }\n')).toThrow(/oauth2\.token_url: expected an http:\/\/ or https:\/\/ URL/);
    expect(bad('      tls_config: { unknown_field: 1 }\n')).toThrow(/unknown_field/);
  });

  it('refuses sigv4 by name (Prometheus 2.47+ signs with AWS credentials; 2.42 refuses the field as unknown)', () => {
    expect(bad('      sigv4: { region: us-east-1 }\n')).toThrow(/alerting\.alertmanagers\[0\]\.sigv4: sigv4 is not supported/);
    // An empty sigv4 is nothing to sign with: accepted as absent.
    expect(am('      sigv4:\n').authorization).toBeNull();
  });

  it('prints the settings (secrets hidden) so that they load back to the same configuration', () => {
    const c = parseConfig(`
alerting:
  alertmanagers:
    - static_configs: [{ targets: ["a:9093"] }]
      basic_auth: { username: u, password: pw1 }
      tls_config: { ca_file: /ca.pem, cert: CERT, key: KEY, server_name: s, min_version: TLS12 }
      proxy_url: http://user:pw2@proxy:3128
      no_proxy: localhost
      proxy_connect_header: { X-K: [pw3] }
      http_headers: { X-T: { values: [v], secrets: [pw4], files: [/f] } }
      follow_redirects: false
    - static_configs: [{ targets: ["b:9093"] }]
      oauth2: { client_id: c, client_secret: pw5, token_url: "https://idp/token", scopes: [a], endpoint_params: { x: y }, proxy_from_environment: true }
      enable_http2: false
`, '/etc/strata/prometheus.yml').config;
    const yaml = configToYaml(c);
    expect(yaml).not.toMatch(/pw\d|KEY/);
    const back = parseConfig(yaml, '/etc/strata/printed.yml').config;
    const [a, b] = back.alerting.alertmanagers;
    expect([a.basicAuth?.password, a.tlsConfig.key, a.proxyConnectHeaders['X-K'], a.httpHeaders['X-T'].secrets, b.oauth2?.clientSecret])
      .toEqual([SECRET, SECRET, [SECRET], [SECRET], SECRET]);
    expect(a.proxyUrl).toBe('http://user:xxxxx@proxy:3128');
    a.basicAuth!.password = 'pw1';
    a.tlsConfig.key = 'KEY';
    a.proxyUrl = 'http://user:pw2@proxy:3128';
    a.proxyConnectHeaders['X-K'] = ['pw3'];
    a.httpHeaders['X-T'].secrets = ['pw4'];
    b.oauth2!.clientSecret = 'pw5';
    expect(back.alerting).toEqual(c.alerting);
  });
});
