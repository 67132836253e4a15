// Rule files and generated promtool-format unit tests for the side-by-side comparison of rule
// evaluation (test/compat/rules.test.ts). Each case is one test group in a file of its own: seeded
// random input series (counters with resets, histogram buckets, gauges with gaps and staleness
// markers) and tests that expect nothing, so that each tool's failure report says what it computed
// for every test: recorded series at many evaluation times, ALERTS and ALERTS_FOR_STATE at every
// evaluation (the whole pending/firing/kept-firing/resolved life cycle), and the firing alerts
// with their templated labels and annotations.
//
// Timing: rules are evaluated every 59 s while input samples are 1 min apart. A range window or
// the 5-minute lookback then starts exactly on a sample only at multiples of 59 min, beyond every
// test: Prometheus 2 (closed windows) and 3 (left-open windows, which Strata follows) agree on
// all of them. Ranges over recorded series (59 s apart) are not multiples of 59 s for the same
// reason.
import { stringify } from 'yaml';
import { alertKey, exprKey, formatDuration } from './ruletest-output.ts';
import { mulberry32 as prng } from '../helpers/random.ts';

export const EVAL_INTERVAL_MS = 59_000;
const INPUT_INTERVAL_MS = 60_000;
/** Evaluations per test: 0 s to 24 min 36 s. */
const TICKS = 26;

export const RECORDING_RULES = `
groups:
  - name: base
    rules:
      - record: job:http_requests:rate150s
        expr: sum by (job) (rate(http_requests_total[150s]))
      - record: job_code:http_requests:increase4m
        expr: sum by (job, code) (increase(http_requests_total[4m]))
      # Uses the rule above, evaluated just before it in the same group.
      - record: job:http_errors:ratio150s
        expr: sum by (job) (rate(http_requests_total{code=~"5.."}[150s])) / on (job) job:http_requests:rate150s
      - record: job:latency_seconds:p90
        expr: histogram_quantile(0.9, sum by (job, le) (rate(latency_seconds_bucket[3m])))
      - record: instance:latency_seconds:p50
        expr: histogram_quantile(0.5, rate(latency_seconds_bucket[3m]))
      - record: service:http_requests:sum
        expr: label_replace(sum by (job, instance) (http_requests_total), "service", "svc-$1", "job", "(.*)")
      - record: http_requests:id
        expr: label_join(max by (job, instance) (http_requests_total), "id", "/", "job", "instance")
      - record: instance:gauge:deriv5m
        expr: deriv(gauge[5m])
      - record: instance:gauge:avg4m
        expr: avg_over_time(gauge[4m])
      - record: gauge:count
        expr: count(gauge)
        labels: { team: ops, source: rule }
      - record: gauge:max_without
        expr: max without (instance) (gauge)
      # Reads the later group's output of the previous evaluation (order matters).
      - record: job:http_requests:rate150s:x100:previous
        expr: job:http_requests:rate150s:x100
      - record: instance:gauge:p90_4m
        expr: quantile_over_time(0.9, gauge[4m])
      - record: instance:gauge:changes5m
        expr: changes(gauge[5m])
      - record: job:http_requests:resets5m
        expr: sum by (job) (resets(http_requests_total[5m]))
      - record: instance:gauge:age_seconds
        expr: time() - timestamp(gauge)
      - record: instance:gauge:predict10m
        expr: predict_linear(gauge[5m], 600)
      - record: gauge:avg150s:max4m
        expr: max_over_time(avg_over_time(gauge[150s])[4m:1m])
      - record: gauge:sum:offset90s
        expr: sum(gauge offset 90s)
      - record: missing:absent
        expr: absent(nonexistent_metric{job="x", instance=~"a.*"})
      - record: gauge:sum:x2
        expr: scalar(sum(gauge)) * 2
      - record: gauge:count_values
        expr: count_values("level", round(gauge))
      - record: job:http_requests:busy
        expr: sum by (job) (rate(http_requests_total[150s])) > bool 3
      - record: instance:gauge:clamped
        expr: clamp(gauge, 2, 8)
      - record: job:http_requests:sum_without
        expr: sum without (code, instance) (http_requests_total)
      - record: gauge:stddev
        expr: stddev(gauge)
      - record: instance:gauge:last2m
        expr: last_over_time(gauge[2m])
      - record: gauge:i0:absent3m
        expr: absent_over_time(gauge{instance="i0"}[3m])
  - name: derived
    rules:
      - record: job:http_requests:rate150s:x100
        expr: job:http_requests:rate150s * 100
      - record: http_errors:ratio150s:max
        expr: max(job:http_errors:ratio150s)
      - record: job:http_requests:rate150s:avg5m
        expr: avg_over_time(job:http_requests:rate150s[5m])
      - record: gauge:high
        expr: max(instance:gauge:avg4m) > 5
        labels: { instance: all }
      - record: job:http_requests:busy_or_erroring
        expr: job:http_requests:rate150s > 4 or job:http_errors:ratio150s
  # An interval of its own (promtool evaluates every group at every evaluation_interval).
  - name: slow
    interval: 3m
    rules:
      - record: gauge:sum:slow
        expr: sum(gauge)
`;

/**
 * Recorded series that aggregate inexact floats across series: promtool 2.42 adds them in Go's
 * random map order, so their last bits change from one run to the next.
 */
export const IN_MAP_ORDER = new Set([
  'job:http_requests:rate150s', 'job_code:http_requests:increase4m', 'job:http_errors:ratio150s', 'job:latency_seconds:p90',
  'job:http_requests:rate150s:x100', 'job:http_requests:rate150s:x100:previous', 'http_errors:ratio150s:max',
  'job:http_requests:rate150s:avg5m', 'job:http_requests:busy', 'job:http_requests:busy_or_erroring', 'gauge:stddev',
]);

export const RECORDED = [
  'job:http_requests:rate150s', 'job_code:http_requests:increase4m', 'job:http_errors:ratio150s', 'job:latency_seconds:p90',
  'instance:latency_seconds:p50', 'service:http_requests:sum', 'http_requests:id', 'instance:gauge:deriv5m', 'instance:gauge:avg4m',
  'gauge:count', 'gauge:max_without', 'job:http_requests:rate150s:x100:previous', 'job:http_requests:rate150s:x100',
  'http_errors:ratio150s:max', 'job:http_requests:rate150s:avg5m', 'gauge:high', 'instance:gauge:p90_4m', 'instance:gauge:changes5m',
  'job:http_requests:resets5m', 'instance:gauge:age_seconds', 'instance:gauge:predict10m', 'gauge:avg150s:max4m', 'gauge:sum:offset90s',
  'missing:absent', 'gauge:sum:x2', 'gauge:count_values', 'job:http_requests:busy', 'instance:gauge:clamped', 'job:http_requests:sum_without',
  'gauge:stddev', 'instance:gauge:last2m', 'gauge:i0:absent3m', 'job:http_requests:busy_or_erroring', 'gauge:sum:slow',
];

export const ALERTING_RULES = `
groups:
  - name: lifecycle
    rules:
      - alert: LoadFor0
        expr: load > 6
        annotations: { summary: "{{ $labels.instance }} at {{ $value }}" }
      - alert: LoadFor2m
        expr: load > 6
        for: 2m
        labels: { severity: page }
        annotations: { summary: "{{ $labels.instance }} at {{ $value }}" }
      - alert: LoadFor59s
        expr: load > 5
        for: 59s
        keep_firing_for: 59s
      - alert: LoadFor1m
        expr: load > 5
        for: 1m
      - alert: LoadKeep2m30s
        expr: load > 7
        keep_firing_for: 2m30s
        annotations: { v: "{{ $value }}" }
      - alert: LoadFor3m30sKeep1m
        expr: load >= 4
        for: 3m30s
        keep_firing_for: 1m
        annotations: { v: "{{ $value }}" }
      - alert: LoadSum
        expr: sum(load) > 15
        for: 1m
        keep_firing_for: 2m
        labels: { scope: all }
      - alert: LoadAbsent
        expr: absent(load{instance="i1"})
        for: 2m
      # The label follows the value: a new value can make a new alert of the same rule.
      - alert: LoadLevel
        expr: load > 3
        for: 1m
        # A label that expands to "" is left out.
        labels: { level: '{{ if gt $value 8.0 }}high{{ else }}mid{{ end }}', copy: '{{ $labels.instance }}', odd: '{{ if eq $labels.instance "i1" }}yes{{ end }}' }
`;

export const ALERT_NAMES = ['LoadFor0', 'LoadFor2m', 'LoadFor59s', 'LoadFor1m', 'LoadKeep2m30s', 'LoadFor3m30sKeep1m', 'LoadSum', 'LoadAbsent', 'LoadLevel'];

// One alert whose annotations use the template functions people use. promtool 2.42's
// externalURL and pathPrefix functions dereference a nil pointer in unit tests (a promtool bug),
// so those two are compared on running servers instead (TEMPLATE_API_RULES).
export const TEMPLATE_ANNOTATIONS: Record<string, string> = {
  humanize: '{{ humanize $value }} {{ 1234567.0 | humanize }} {{ 0.000123 | humanize }} {{ humanize 0 }}',
  humanize1024: '{{ humanize1024 $value }} {{ 1048576.0 | humanize1024 }} {{ humanize1024 0.5 }}',
  humanizeDuration: '{{ humanizeDuration $value }} {{ humanizeDuration 90061.5 }} {{ humanizeDuration 0.0123 }} {{ humanizeDuration 0 }}',
  humanizePercentage: '{{ humanizePercentage $value }} {{ humanizePercentage 0.1234 }} {{ 0 | humanizePercentage }}',
  humanizeTimestamp: '{{ humanizeTimestamp $value }} {{ humanizeTimestamp 1435065584.128 }}',
  printf: '{{ printf "%.2f" $value }} {{ printf "%d" 42 }} {{ printf "%s=%q" "a" "b" }} {{ printf "%5.1f|%-6s|%x" 3.14159 "ab" 255 }} {{ printf "%v" $value }} {{ printf "%g" $value }}',
  case: '{{ toUpper $labels.job }} {{ toLower "MiXeD" }} {{ title "hello wide world" }}',
  regex: '{{ reReplaceAll "(.*):(\\\\d+)" "$1 port $2" $labels.instance }} {{ match "^host-[0-9]+" $labels.instance }} {{ match "^db" $labels.instance }}',
  query: '{{ with query "sum(info_value)" }}{{ . | first | value }}{{ end }} {{ range query "info_value" | sortByLabel "name" }}{{ .Labels.name }}={{ .Value }};{{ end }} {{ query "info_value{name=\\"b\\"}" | first | label "name" }}',
  queryEmpty: '{{ with query "nothing_here" }}some{{ else }}none{{ end }}',
  args: '{{ with args 1 "two" 3.5 }}{{ .arg0 }} {{ .arg1 }} {{ .arg2 }}{{ end }}',
  safeHtml: '{{ "<b>x</b>" | safeHtml }}',
  stripPort: '{{ stripPort $labels.instance }} {{ stripPort "[::1]:80" }} {{ stripPort "plain" }}',
  rangeLabels: '{{ range $k, $v := $labels }}{{ $k }}={{ $v }},{{ end }}',
  ifElse: '{{ if gt $value 100.0 }}big{{ else if gt $value 1.0 }}medium{{ else }}small{{ end }}',
  with: '{{ with $labels.path }}path {{ . }}{{ else }}no path{{ end }} {{ with $labels.missing }}x{{ else }}no missing{{ end }}',
  externalLabels: '{{ $externalLabels.cluster }} {{ range $k, $v := $externalLabels }}{{ $k }}:{{ $v }} {{ end }}',
  value: '{{ $value }} {{ .Value }} {{ $labels.instance }}',
  strvalue: '{{ with query "info_value{name=\\"a\\"}" }}{{ range . }}{{ .Labels.name }} {{ .Value | printf "%.1f" }}{{ end }}{{ end }}',
  parseDuration: '{{ parseDuration "1h2m10s" }} {{ parseDuration "90s" }}',
  len: '{{ len $labels }} {{ index $labels "job" }} {{ len (query "info_value") }}',
  comparisons: '{{ if and (ge $value 0.0) (lt $value 1e10) }}in range{{ end }} {{ if or (eq $labels.job "node") (ne 1 2) }}either{{ end }} {{ not true }}',
  pipelines: '{{ $labels.instance | stripPort | toUpper | printf "<%s>" }} {{ $x := 5 }}{{ $x }}',
};

// Values at the edges (negative, NaN, infinities, beyond int64 nanoseconds, tiny), Go's own
// formatting of a wrong verb, escaping functions, and the errors templates report.
export const EDGE_ANNOTATIONS: Record<string, string> = {
  humanizers: '{{ humanize $value }} {{ humanize1024 $value }} {{ humanizePercentage $value }} {{ if ge $value 9.3e18 }}beyond int64{{ else }}{{ humanizeDuration $value }}{{ end }}',
  durationBeyondInt64: '{{ if ge $value 9.3e18 }}{{ humanizeDuration $value }}{{ end }}',
  humanizeTimestamp: '{{ humanizeTimestamp $value }}',
  wrongVerb: '{{ printf "%d" $value }} {{ printf "%s" $value }} {{ printf "%.3e|%G|%8.2f" $value $value $value }}',
  missing: '[{{ $labels.missing }}] [{{ $labels.__name__ }}] [{{ .Labels.job }}]',
  escaping: '{{ $value | urlquery }} {{ "a<b&c" | html }} {{ js "x\\\"y<" }} {{ slice "abcdef" 1 3 }} {{ index (args 1 2) "arg1" }}',
  links: '{{ graphLink "rate(x[5m])" }} {{ tableLink "up{a=\\\"b\\\"}" }}',
  toTime: '{{ toTime 1435065584.5 }} {{ with $value | toTime }}{{ . }}{{ end }}',
  // Go maps case rune by rune (ß stays, no final sigma, ǆ titles to ǅ, Georgian has no title case).
  unicode: '{{ toUpper "straße ǆ ﬁ ᾳ ı" }} {{ toLower "ΑΣ İ ǅ" }} {{ title "ǆa éb ﬁc o\'neil ᾳx ანა" }}',
  strings: '{{ "1234.5" | humanize }} {{ humanizeTimestamp "1435065584.5" }} {{ humanizeDuration "90" }} {{ "0x10" | humanize }}',
  regexps: '{{ reReplaceAll "(?i)EDGE" "${0}-x" $labels.job }} {{ reReplaceAll "e(d*)" "[$1]" "edge eddy" }} {{ match "^\\\\w+$" $labels.job }}',
  goValues: '{{ $labels }} {{ printf "%v|%q" $labels $labels.job }} {{ args 1 "a" }} {{ query "info_value" | len }}',
  value: '{{ $value }} {{ .Value }} {{ printf "%v %.1f" $value $value }}',
  oddLabel: '{{ $labels.odd }}|{{ printf "%q" $labels.odd }}|{{ $labels.odd | toUpper }}|{{ len $labels.odd }}',
  badNumber: '{{ humanizeTimestamp "x" }}',
  badQuery: '{{ with query "sum(" }}{{ . }}{{ end }}',
  badIndex: '{{ index $labels "job" "x" }}',
};

export const EDGE_VALUES = ['-5.5', 'NaN', 'Inf', '-Inf', '2.5e21', '1e-9', '0', '-0.25', '1e300', '86399.999', '3600', '59.9999', '123456789', '1e21'];

export const TEMPLATE_RULES = `
groups:
  - name: templates
    rules:
      - alert: Templates
        expr: tmpl
        labels:
          severity: '{{ if gt $value 5.0 }}page{{ else }}ticket{{ end }}'
          host: '{{ $labels.instance | stripPort }}'
        annotations:
${Object.entries(TEMPLATE_ANNOTATIONS).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n')}
      - alert: TemplateEdges
        expr: tmpl_edge
        annotations:
${Object.entries(EDGE_ANNOTATIONS).map(([k, v]) => `          ${k}: ${JSON.stringify(v)}`).join('\n')}
`;

export const RULE_FILES: Record<string, string> = {
  'recording.yml': RECORDING_RULES,
  'alerts.yml': ALERTING_RULES,
  'templates.yml': TEMPLATE_RULES,
};
export const GROUP_ORDER = ['base', 'derived', 'slow', 'lifecycle', 'templates'];

export interface RuleCase {
  name: string;
  /** The test file's content (promtool format, no expectations). */
  file: string;
  /** Every test's key (see ruletest-output.ts). */
  keys: string[];
  /** Tests by their key, for reports. */
  what: Map<string, string>;
}


type Token = number | '_' | 'stale';
const notation = (xs: Token[]) => xs.map((x) => (typeof x === 'number' ? String(x) : x)).join(' ');

/** A gauge 0..10 in runs (so alerts have time to go pending and fire), with gaps and staleness. */
function gaugeValues(rnd: () => number, withHoles: boolean): Token[] {
  const out: Token[] = [];
  let level = Math.floor(rnd() * 11);
  while (out.length < TICKS) {
    const run = 1 + Math.floor(rnd() * 5);
    const r = rnd();
    if (withHoles && r < 0.12) for (let i = 0; i < run; i++) out.push('_');
    else if (withHoles && r < 0.2) out.push('stale');
    else {
      level = Math.max(0, Math.min(10, level + Math.floor(rnd() * 9) - 4));
      for (let i = 0; i < run; i++) out.push(Math.round((level + rnd() * 0.9) * 4) / 4);
    }
  }
  return out.slice(0, TICKS);
}

function counterValues(rnd: () => number, perMin: number, withHoles: boolean): Token[] {
  const out: Token[] = [];
  let v = Math.floor(rnd() * 500);
  for (let i = 0; i < TICKS; i++) {
    if (rnd() < 0.05) v = 0; // a restart
    v += Math.floor(perMin * (0.5 + rnd()));
    const r = rnd();
    out.push(withHoles && r < 0.06 ? '_' : withHoles && r < 0.08 ? 'stale' : v);
  }
  return out;
}

function seriesLine(labels: Record<string, string>, values: Token[]): { series: string; values: string } {
  const name = labels.__name__;
  const rest = Object.entries(labels).filter(([k]) => k !== '__name__').map(([k, v]) => `${k}=${JSON.stringify(v)}`);
  return { series: `${name}{${rest.join(', ')}}`, values: notation(values) };
}

/** `count` cases from `seed`: each a promtool test file with one test group and no expectations. */
export function generateCases(seed: number, count: number): RuleCase[] {
  const rnd = prng(seed);
  const cases: RuleCase[] = [];
  for (let c = 0; c < count; c++) {
    const holes = c % 3 !== 0;
    const input: { series: string; values: string }[] = [];
    for (const job of ['api', 'web']) {
      for (const instance of ['i0', 'i1']) {
        for (const code of ['200', '500']) {
          input.push(seriesLine({ __name__: 'http_requests_total', job, instance, code }, counterValues(rnd, code === '200' ? 120 : 7, holes)));
        }
        // Cumulative buckets that stay cumulative (each bucket adds at least what the one below did).
        const les = ['0.1', '0.5', '1', '+Inf'];
        const rows = les.map(() => [] as Token[]);
        const counts = les.map(() => 0);
        for (let i = 0; i < TICKS; i++) {
          let acc = 0;
          for (let b = 0; b < les.length; b++) {
            acc += Math.floor(rnd() * 30);
            counts[b] = Math.max(counts[b] + acc, b > 0 ? counts[b - 1] : 0);
          }
          for (let b = 0; b < les.length; b++) rows[b].push(counts[b]);
        }
        les.forEach((le, b) => input.push(seriesLine({ __name__: 'latency_seconds_bucket', job, instance, le }, rows[b])));
      }
    }
    for (const instance of ['i0', 'i1', 'i2']) {
      input.push(seriesLine({ __name__: 'gauge', instance }, gaugeValues(rnd, holes)));
      input.push(seriesLine({ __name__: 'load', instance }, gaugeValues(rnd, holes)));
    }
    // The template alert: one series, one value (different each case), and data for `query`.
    const tmplValues = [0, 0.5, 3, 7.25, 1234.5678, 1435065584.128, 86461.25, 0.000123, 1048576, 12];
    input.push(seriesLine({ __name__: 'tmpl', instance: `host-${c}.example.com:9100`, job: 'node', path: '/a/b' }, Array<Token>(TICKS).fill(tmplValues[c % tmplValues.length])));
    // The expanding notation: a+bxn, a-bxn, _xn, stale, axn (a repeated), exponents.
    input.push({ series: 'expanding{kind="notation"}', values: '1+2x3 _x2 stale 10-1.5x4 _ 5x2 -3+0x1 1e3+1e2x2 stale 0.5 Inf -Inf 7' });
    input.push({ series: `expanding{kind="case${c}"}`, values: `${c}x${c % 5} ${c}-${c}x${3 + (c % 4)} _x${c % 3} ${c * 1.5}+0.25x6` });
    input.push({ series: 'tmpl_edge{job="edge", odd="quote\\" back\\\\ nl\\n tab\\t é ∑ 😀"}', values: Array.from({ length: TICKS }, (_, i) => EDGE_VALUES[(i + c) % EDGE_VALUES.length]).join(' ') });
    for (const [name, v] of [['b', 2], ['a', 1.5], ['c', -3]] as const) input.push(seriesLine({ __name__: 'info_value', name }, Array<Token>(TICKS).fill(v + c)));

    const keys: string[] = [];
    const what = new Map<string, string>();
    const alertTests: { eval_time: string; alertname: string }[] = [];
    const exprTests: { expr: string; eval_time: string }[] = [];
    const tick = (k: number) => k * EVAL_INTERVAL_MS;
    for (let k = 0; k < TICKS; k++) {
      for (const expr of ['ALERTS', 'ALERTS_FOR_STATE', 'expanding']) {
        exprTests.push({ expr, eval_time: formatDuration(tick(k)) });
        keys.push(exprKey(expr, tick(k)));
      }
      // Firing alerts (with annotations) every other evaluation, and at a time between two.
      if (k % 2 === 1) {
        for (const a of ALERT_NAMES) {
          const at = tick(k) + (k % 4 === 1 ? 20_000 : 0);
          alertTests.push({ alertname: a, eval_time: formatDuration(at) });
          keys.push(alertKey(a, at));
        }
      }
      if (k % 3 === 2) {
        for (const r of RECORDED) {
          exprTests.push({ expr: r, eval_time: formatDuration(tick(k)) });
          keys.push(exprKey(r, tick(k)));
        }
      }
    }
    for (const at of [tick(1), tick(TICKS - 1)]) {
      alertTests.push({ alertname: 'Templates', eval_time: formatDuration(at) });
      keys.push(alertKey('Templates', at));
    }
    for (let k = 0; k < EDGE_VALUES.length; k++) {
      alertTests.push({ alertname: 'TemplateEdges', eval_time: formatDuration(tick(k)) });
      keys.push(alertKey('TemplateEdges', tick(k)));
    }
    const name = `case${c}`;
    for (const k of keys) what.set(k, `${name} ${k}`);
    const file = {
      rule_files: Object.keys(RULE_FILES),
      evaluation_interval: formatDuration(EVAL_INTERVAL_MS),
      group_eval_order: GROUP_ORDER,
      tests: [{
        name,
        interval: formatDuration(INPUT_INTERVAL_MS),
        external_labels: { cluster: 'eu-1', replica: `r${c % 2}` },
        external_url: 'http://prom.example:9090/prom',
        input_series: input,
        alert_rule_test: alertTests,
        promql_expr_test: exprTests,
      }],
    };
    cases.push({ name, file: stringify(file, { lineWidth: 0 }), keys, what });
  }
  return cases;
}

// Rules that fail to evaluate at 2 minutes, when a second `up` series appears: promtool fails the
// test there with each failing rule's error.
export const FAILING_RULES = `
groups:
  - name: failing
    rules:
      - record: dup
        expr: up * 0
        labels: { instance: x }
      - alert: DupAlert
        expr: up > 0
        labels: { instance: x }
      - record: fine
        expr: sum(up)
      - record: many
        expr: up * on () group_left up
`;

export const FAILING_TEST = stringify({
  rule_files: ['failing.yml'],
  tests: [{
    name: 'failing',
    interval: '1m',
    input_series: [{ series: 'up{instance="a"}', values: '1 1 1 1 1' }, { series: 'up{instance="b"}', values: '_ _ 1 1 1' }],
    alert_rule_test: [{ eval_time: '4m', alertname: 'DupAlert' }],
  }],
});
