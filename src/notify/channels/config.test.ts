import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import * as z from 'zod';
import { section } from './fields.ts';
import { checkReceiverChannels, globalChannelFields, receiverChannelFields } from './index.ts';

// An alertmanager.yml using every channel the way people write them (the phone channel aside).
const ALERTMANAGER_YML = `
global:
  smtp_smarthost: mail.example.org:587
  smtp_from: alertmanager@example.org
  smtp_auth_username: alertmanager
  smtp_auth_password: secret
  slack_api_url: https://hooks.slack.com/services/T000/B000/XXXX
route:
  receiver: team
receivers:
- name: team
  email_configs:
  - to: team@example.org
    send_resolved: true
    headers:
      subject: '{{ .CommonLabels.alertname }}'
  - to: boss@example.org
    smarthost: smtp.example.org:465
    require_tls: false
    tls_config:
      insecure_skip_verify: true
  pagerduty_configs:
  - routing_key: 0123456789abcdef0123456789abcdef
    severity: '{{ .CommonLabels.severity }}'
    details:
      runbook: '{{ .CommonAnnotations.runbook }}'
    links:
    - href: https://runbooks.example.org
      text: runbooks
  webhook_configs:
  - url: http://127.0.0.1:5001/hook
    max_alerts: 10
    http_config:
      authorization:
        credentials: token
  - url: http://127.0.0.1:5001/other
    http_config:
      follow_redirects: false
      enable_http2: false
      proxy_url: http://proxy.example.org:3128
      proxy_connect_header:
        X-Team: [alerting]
      oauth2:
        client_id: strata
        client_secret: s3cret
        token_url: https://auth.example.org/token
        scopes: [notify]
        endpoint_params:
          audience: alerts
  slack_configs:
  - channel: '#alerts'
    fields:
    - title: Severity
      value: '{{ .CommonLabels.severity }}'
      short: true
    actions:
    - type: button
      text: Runbook
      url: https://runbooks.example.org
`;

// As the notifier's config composes them (src/notify/config.ts).
const receiver = section({ name: z.string(), ...receiverChannelFields });
const global = section({ resolve_timeout: z.string().optional(), ...globalChannelFields });

describe('channel configuration', () => {
  it.skipIf(!existsSync('/usr/bin/amtool'))('accepts what Alertmanager accepts (amtool check-config)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-amcfg-'));
    try {
      writeFileSync(join(dir, 'am.yml'), ALERTMANAGER_YML);
      execFileSync('/usr/bin/amtool', ['check-config', join(dir, 'am.yml')], { stdio: 'pipe' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const doc = parse(ALERTMANAGER_YML);
    const g = global.parse(doc.global);
    const r = receiver.parse(doc.receivers[0]);
    expect(checkReceiverChannels(r, g)).toEqual([]);
  });

  it('applies Alertmanager\'s defaults', () => {
    const doc = parse(ALERTMANAGER_YML);
    const g = global.parse(doc.global);
    expect(g).toMatchObject({ smtp_hello: 'localhost', smtp_require_tls: true, pagerduty_url: 'https://events.pagerduty.com/v2/enqueue' });
    const r = receiver.parse(doc.receivers[0]);
    expect(r.email_configs[0]).toMatchObject({ sendResolved: true, html: '{{ template "email.default.html" . }}', text: '', headers: { Subject: '{{ .CommonLabels.alertname }}' } });
    expect(r.email_configs[1]).toMatchObject({ sendResolved: false, requireTLS: false, tlsConfig: { insecureSkipVerify: true } });
    expect(r.pagerduty_configs[0]).toMatchObject({
      sendResolved: true, severity: '{{ .CommonLabels.severity }}', source: '{{ template "pagerduty.default.client" . }}',
      details: { runbook: '{{ .CommonAnnotations.runbook }}', num_firing: '{{ .Alerts.Firing | len }}' },
    });
    expect(r.webhook_configs[0]).toMatchObject({ sendResolved: true, maxAlerts: 10, timeoutMs: 0, httpConfig: { authorization: { type: 'Bearer', credentials: 'token' } } });
    expect(r.slack_configs[0]).toMatchObject({
      sendResolved: false, color: '{{ if eq .Status "firing" }}danger{{ else }}good{{ end }}', mrkdwnIn: ['fallback', 'pretext', 'text'],
      fields: [{ title: 'Severity', short: true }], actions: [{ type: 'button', url: 'https://runbooks.example.org', name: '' }],
    });
    expect(r.webhook_configs[0].httpConfig).toMatchObject({ followRedirects: true, proxy: undefined, oauth2: undefined });
    expect(r.webhook_configs[1].httpConfig).toEqual({
      basicAuth: undefined, authorization: undefined, tlsConfig: undefined, followRedirects: false,
      proxy: { url: 'http://proxy.example.org:3128', noProxy: '' }, proxyConnectHeaders: { 'X-Team': ['alerting'] },
      oauth2: {
        clientID: 'strata', clientSecret: 's3cret', clientSecretFile: '', scopes: ['notify'], tokenURL: 'https://auth.example.org/token',
        endpointParams: { audience: 'alerts' }, tlsConfig: undefined, proxy: undefined,
      },
    });
  });

  it('says what is wrong, where', () => {
    const problems = (v: unknown) => {
      const res = receiver.safeParse({ name: 'x', ...(v as object) });
      return res.success ? [] : res.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    };
    expect(receiver.parse({ name: 'x', webhook_configs: [{ url: 'http://x/', timeout: '10s' }] }).webhook_configs[0].timeoutMs).toBe(10_000);
    expect(problems({ webhook_configs: [{ url: 'http://x/', timeout: '10 seconds' }] })).toEqual(['webhook_configs.0.timeout: invalid duration "10 seconds" (use e.g. 10s, 1m, 0 for none)']);
    expect(problems({ webhook_configs: [{ url: 'http://x/', max_alerts: -1 }] })).toEqual(['webhook_configs.0.max_alerts: expected a non-negative integer, got -1']);
    expect(problems({ slack_configs: [{ api_url: 'hooks.slack.com/x' }] })).toEqual(['slack_configs.0.api_url: expected an http:// or https:// URL, got "<not a URL>"']);
    expect(problems({ email_configs: [{ to: 'a@b', send_resolved: 'yes' }] })).toEqual(['email_configs.0.send_resolved: expected true or false, got "yes"']);
    expect(problems({ opsgenie_configs: [{ api_key: 'k' }] })).toEqual([': unknown field "opsgenie_configs"']);
    const http = (h: object) => problems({ webhook_configs: [{ url: 'http://x/', http_config: h }] });
    expect(http({ proxy_url: 'socks5://p:1080' })).toEqual(['webhook_configs.0.http_config.proxy_url: only http:// proxies are supported (https targets go through them by CONNECT), got "socks5://p:1080"']);
    expect(http({ proxy_url: 'proxy:3128' })).toEqual(['webhook_configs.0.http_config.proxy_url: expected an http:// proxy URL such as http://proxy.example.org:3128']);
    expect(http({ proxy_url: 'http://p/', proxy_from_environment: true })).toEqual(['webhook_configs.0.http_config: if proxy_from_environment is configured, proxy_url must not be configured']);
    expect(http({ no_proxy: 'localhost' })).toEqual(['webhook_configs.0.http_config: if no_proxy is configured, proxy_url must also be configured']);
    expect(http({ oauth2: { client_id: 'a', token_url: 'http://t/' }, basic_auth: { username: 'u' } })).toEqual(['webhook_configs.0.http_config: at most one of basic_auth, authorization, bearer_token and oauth2 may be set']);
    expect(http({ oauth2: { client_secret: 's' } })).toEqual(['webhook_configs.0.http_config.oauth2.client_id: oauth2 client_id must be configured', 'webhook_configs.0.http_config.oauth2.token_url: oauth2 token_url must be configured']);
    expect(http({ proxy_url: 'http://p/', http2: true })).toEqual(['webhook_configs.0.http_config: unknown field "http2"']);
    expect(problems({ twilio_configs: [{ to: '+1555', voice: false }] })).toEqual(['twilio_configs.0: at least one of voice and sms must be true']);
  });
});
