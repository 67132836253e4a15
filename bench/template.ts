// Template execution cost: the default notification templates (src/notify/channels/default.tmpl)
// rendering a 200-alert HTML email and its text twin, and a Prometheus alert annotation rendered
// per alert as rule evaluation does. Bounded (a fixed number of rounds), prints ms per render.
//
//   node_modules/.bin/node bench/template.ts [--alerts=200] [--rounds=200]
import { templateData } from '../src/notify/channels/data.ts';
import { addDefaultTemplates } from '../src/notify/channels/templates.ts';
import type { Alert, Notification } from '../src/notify/types.ts';
import { alertmanagerFuncs, createTemplateSet, prometheusFuncs } from '../src/template/index.ts';

const args = new Map(process.argv.slice(2).map((a) => {
  const [k, v] = a.replace(/^--/, '').split('=');
  return [k, v ?? 'true'] as const;
}));
const ALERTS = Number(args.get('alerts') ?? 200);
const ROUNDS = Number(args.get('rounds') ?? 200);
const NOW = Date.parse('2026-01-02T03:04:05Z');

function alert(i: number): Alert {
  const instance = `host-${i}.example:9100`;
  return {
    labels: { alertname: 'HighLatency', job: 'api', instance, severity: i % 3 === 0 ? 'page' : 'ticket', region: `eu-${i % 4}` },
    annotations: { summary: `p99 latency above 1s on ${instance}`, description: `<b>${i}</b> requests & more`, runbook: 'https://runbooks.example/latency' },
    startsAt: NOW - 600_000 - i * 1000,
    endsAt: i % 5 === 0 ? NOW - 1000 : NOW + 300_000,
    generatorURL: `http://prometheus.example:9090/graph?g0.expr=latency%7Binstance%3D%22${instance}%22%7D`,
    updatedAt: NOW,
    timeout: false,
  };
}

const notification: Notification = {
  receiver: 'team-api',
  groupKey: '{}:{alertname="HighLatency"}',
  groupLabels: { alertname: 'HighLatency' },
  alerts: Array.from({ length: ALERTS }, (_, i) => alert(i)),
  externalURL: 'http://strata.example:9093',
  now: NOW,
};
const data = templateData(notification);

function notifierSet(html: boolean) {
  const set = createTemplateSet({ funcs: alertmanagerFuncs, html, missingKey: 'zero' });
  addDefaultTemplates(set);
  return set;
}

async function measure(name: string, rounds: number, once: () => unknown): Promise<void> {
  for (let i = 0; i < Math.min(20, rounds); i++) await once(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t0 = performance.now();
    await once();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))].toFixed(3);
  console.log(`${name.padEnd(44)} median ${q(0.5)} ms  p90 ${q(0.9)} ms  (${rounds} rounds)`);
}

const htmlSet = notifierSet(true);
const textSet = notifierSet(false);
const promSet = createTemplateSet({ funcs: prometheusFuncs({ externalURL: 'http://prom.example:9090' }), missingKey: 'zero' });
const annotation = '{{ $labels.instance }} of job {{ $labels.job }}: latency {{ $value | humanize }}s{{ if gt $value 1.0 }} (over 1s){{ end }}, {{ printf "%.2f" $value }}';
const defs = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

console.log(`node ${process.version}, ${ALERTS} alerts`);
await measure(`email.default.html (${ALERTS} alerts)`, ROUNDS, () => htmlSet.render('{{ template "email.default.html" . }}', data));
await measure(`email.default.text (${ALERTS} alerts)`, ROUNDS, () => textSet.render('{{ template "email.default.text" . }}', data));
await measure(`rule annotation x ${ALERTS} alerts`, ROUNDS, async () => {
  for (const a of notification.alerts) await promSet.render(defs + annotation, { Labels: a.labels, ExternalLabels: {}, ExternalURL: '', Value: 1.2345 });
});
