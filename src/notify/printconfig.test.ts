// config.original as Alertmanager's status shows it. The comparison with Alertmanager 0.25 itself
// (a configuration with every kind of route, inhibit rule, time interval and receiver it has) is
// test/alerting-interop-api.test.ts, through `amtool config show`; here: Strata's own receiver and
// what must never show.
import { describe, expect, it } from 'vitest';
import { parseNotifierConfig } from './config.ts';

const original = (text: string) => parseNotifierConfig(text, 'alertmanager.yml').original;

describe('the configuration as the status API shows it', () => {
  it('prints what was loaded, with defaults, in Alertmanager\'s field order; twilio_configs the same way', () => {
    expect(original(`
route:
  receiver: team
  group_by: [alertname]
  routes:
    - {matchers: ['severity=page', 'a=~"x|y"'], receiver: pager, group_wait: 90s}
receivers:
  - {name: team, webhook_configs: [{url: "http://127.0.0.1:9/"}]}
  - name: pager
    twilio_configs: [{to: ['+15550001'], account_sid: AC1, auth_token: tok, from: '+15550000', sms: true, voice: false}]
`)).toBe(`global:
  resolve_timeout: 5m
  http_config:
    follow_redirects: true
    enable_http2: true
  smtp_hello: localhost
  smtp_require_tls: true
  pagerduty_url: https://events.pagerduty.com/v2/enqueue
  twilio_api_url: https://api.twilio.com
route:
  receiver: team
  group_by:
  - alertname
  continue: false
  routes:
  - receiver: pager
    matchers:
    - a=~"x|y"
    - severity="page"
    continue: false
    group_wait: 1m30s
receivers:
- name: team
  webhook_configs:
  - send_resolved: true
    http_config:
      follow_redirects: true
      enable_http2: true
    url: <secret>
    max_alerts: 0
- name: pager
  twilio_configs:
  - send_resolved: false
    http_config:
      follow_redirects: true
      enable_http2: true
    api_url: https://api.twilio.com
    account_sid: AC1
    auth_token: <secret>
    from: "+15550000"
    to:
    - "+15550001"
    voice: false
    sms: true
    message: '{{ template "twilio.default.voice" . }}'
    sms_message: '{{ template "twilio.default.sms" . }}'
    language: en-US
    ring_timeout: 30s
    poll_interval: 5s
templates: []
`);
  });

  it('hides every secret; a proxy URL\'s password as xxxxx, as Alertmanager (Go\'s url.Redacted)', () => {
    const text = original(`
global:
  smtp_smarthost: smtp.example.org:25
  smtp_from: a@example.org
  smtp_auth_password: s-global-password
  slack_api_url: https://hooks.slack.example/s-slack-path
  twilio_auth_token: s-twilio
route: {receiver: r}
receivers:
  - name: r
    email_configs: [{to: b@example.org, auth_secret: s-cram}]
    webhook_configs:
      - url: https://hook.example/s-hook-token
        http_config: {authorization: {credentials: s-credentials}, proxy_url: "http://user:s-proxy@proxy.example:3128"}
      - url: https://hook.example/
        http_config: {oauth2: {client_id: c, client_secret: s-oauth, token_url: "https://token.example/"}}
    pagerduty_configs: [{service_key: s-service-key}]
    slack_configs: [{channel: '#c'}]
`);
    expect(text.match(/s-[a-z-]+/g)).toEqual(null);
    expect(text).toContain('proxy_url: http://user:xxxxx@proxy.example:3128');
    expect(text).toContain('  slack_api_url: <secret>\n');
  });
});
