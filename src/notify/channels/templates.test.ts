import { describe, expect, it } from 'vitest';
import { alertFingerprint, templateData } from './data.ts';
import { notification, realTemplates, resolvedNotification } from './test-helpers.ts';

const { templates, htmlTemplates } = realTemplates();
const render = (text: string, n = notification()) => templates.render(text, templateData(n));

describe('template data', () => {
  it('offers Alertmanager\'s fields and methods to templates', async () => {
    expect(await render('{{ .Receiver }} {{ .Status }} {{ .ExternalURL }}')).toBe('team-api firing http://strata.example:9093');
    expect(await render('{{ len .Alerts }} {{ len .Alerts.Firing }} {{ len .Alerts.Resolved }}')).toBe('3 2 1');
    expect(await render('{{ range .Alerts.Resolved }}{{ .Labels.instance }}{{ end }}')).toBe('b:9100');
    expect(await render('{{ .GroupLabels.alertname }}|{{ .CommonLabels.SortedPairs.Names }}|{{ .CommonLabels.Values }}'))
      .toBe('HighLatency|[alertname job severity]|[HighLatency api page]');
    expect(await render('{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }};{{ end }}')).toBe('alertname=HighLatency;job=api;severity=page;');
    expect(await render('{{ range $k, $v := .CommonLabels.Remove (stringSlice "job" "severity") }}{{ $k }}={{ $v }}{{ end }}')).toBe('alertname=HighLatency');
    // Ranging over a label map yields labels only, not the KV methods.
    expect(await render('{{ range $k, $v := .CommonAnnotations }}{{ $k }};{{ end }}')).toBe('runbook;');
  });

  it('gives each alert its status, times as Go times and its fingerprint', async () => {
    const n = notification();
    expect(await render('{{ range .Alerts }}{{ .Status }} {{ .StartsAt.Format "2006-01-02T15:04:05Z07:00" }} {{ .EndsAt.IsZero }}\n{{ end }}', n)).toBe(
      'firing 2026-01-02T02:54:05Z true\nresolved 2026-01-02T02:44:05Z false\nfiring 2026-01-02T03:03:05Z true\n',
    );
    expect(await render('{{ (index .Alerts 1).EndsAt }}', n)).toBe('2026-01-02 03:04:04 +0000 UTC');
    expect(await render('{{ (index .Alerts 0).Fingerprint }}', n)).toBe(alertFingerprint(n.alerts[0].labels));
  });

  it('is resolved when every alert has ended', async () => {
    expect(await render('{{ .Status }} {{ len .Alerts.Firing }}', resolvedNotification())).toBe('resolved 0');
  });
});

describe('default templates', () => {
  it('__subject names the status, the firing count and the group', async () => {
    expect(await render('{{ template "__subject" . }}')).toBe('[FIRING 2] HighLatency');
    expect(await render('{{ template "__subject" . }}', notification({ groupLabels: { alertname: 'HighLatency', cluster: 'eu1', team: 'api' } })))
      .toBe('[FIRING 2] HighLatency (cluster=eu1, team=api)');
    expect(await render('{{ template "email.default.subject" . }}', resolvedNotification())).toBe('[RESOLVED] HighLatency');
  });

  it('link to the receiver\'s alerts', async () => {
    expect(await render('{{ template "__alertmanagerURL" . }}')).toBe('http://strata.example:9093/#/alerts?receiver=team-api');
    expect(await render('{{ template "pagerduty.default.clientURL" . }}|{{ template "slack.default.titlelink" . }}'))
      .toBe('http://strata.example:9093/#/alerts?receiver=team-api|http://strata.example:9093/#/alerts?receiver=team-api');
  });

  it('__text_alert_list lists each alert with labels, annotations and source', async () => {
    const out = await render('{{ template "pagerduty.default.instances" .Alerts.Firing }}');
    expect(out).toContain('* HighLatency since 2026-01-02 02:54:05 UTC\n  labels: alertname=HighLatency instance=a:9100 job=api severity=page\n');
    expect(out).toContain('  summary: p99 latency above 1s on a:9100\n');
    expect(out).toContain('  source: http://prometheus.example:9090/graph?g0.expr=latency%7Binstance%3D%22a:9100%22%7D\n');
    expect(out).toContain('c:9100');
    expect(out).not.toContain('b:9100');
  });

  it('email.default.html is HTML with the alerts\' text escaped', async () => {
    const n = notification();
    n.alerts[0] = { ...n.alerts[0], annotations: { summary: 'queue <b>full</b> & growing' } };
    const html = await htmlTemplates.render('{{ template "email.default.html" . }}', templateData(n));
    expect(html).toMatch(/^<!DOCTYPE html>/);
    expect(html).toContain('<title>[FIRING 2] HighLatency</title>');
    expect(html).toContain('queue &lt;b&gt;full&lt;/b&gt; &amp; growing');
    expect(html).toContain('<h3>Resolved</h3>');
    expect(html).toContain('href="http://strata.example:9093/#/alerts?receiver=team-api"');
  });

  it('the phone channel\'s call and SMS texts', async () => {
    expect(await render('{{ template "twilio.default.voice" . }}'))
      .toBe('This is Strata. 2 alerts are firing for HighLatency. p99 latency above 1s on a:9100. p99 latency above 1s on c:9100.');
    expect(await render('{{ template "twilio.default.sms" . }}'))
      .toBe('[FIRING 2] HighLatency\n- p99 latency above 1s on a:9100\n- p99 latency above 1s on c:9100\nhttp://strata.example:9093/#/alerts?receiver=team-api');
  });

  it('slack.default.text lists firing and resolved alerts in Slack markdown', async () => {
    const out = await render('{{ template "slack.default.text" . }}');
    expect(out).toContain('*HighLatency* - p99 latency above 1s on a:9100\n');
    expect(out).toContain('  • `instance`: `a:9100`\n');
    expect(out).toContain('_Resolved:_\n*HighLatency* - p99 latency above 1s on b:9100');
  });
});
