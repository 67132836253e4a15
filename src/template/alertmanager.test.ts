// Alertmanager's template functions and data idioms. The notifier builds the real data; here a
// stand-in shaped like Alertmanager's (KV as a Map subclass with its methods, Alerts as an Array
// subclass with Firing/Resolved) checks that method calls, with and without arguments, work as
// Alertmanager's templates expect. The side-by-side test renders the same text with amtool
// (Alertmanager 0.25, Debian) over amtool's built-in example data, rebuilt here.

import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { alertmanagerFuncs, createTemplateSet, GoTime } from './index.ts';

class Pair {
  Name: string;
  Value: string;
  constructor(name: string, value: string) {
    this.Name = name;
    this.Value = value;
  }
}

class Pairs extends Array<Pair> {
  Names(): string[] {
    return this.map((p) => p.Name);
  }
  Values(): string[] {
    return this.map((p) => p.Value);
  }
}

class KV extends Map<string, string> {
  SortedPairs(): Pairs {
    return Pairs.from([...this.keys()].sort().map((k) => new Pair(k, this.get(k)!))) as Pairs;
  }
  Names(): string[] {
    return this.SortedPairs().map((p) => p.Name);
  }
  Values(): string[] {
    return this.SortedPairs().map((p) => p.Value);
  }
  Remove(keys: string[]): KV {
    return new KV([...this].filter(([k]) => !keys.includes(k)));
  }
}

class Alert {
  [field: string]: unknown;
  Status: string;
  Labels: KV;
  Annotations: KV;
  StartsAt: Date;
  EndsAt: Date;
  GeneratorURL: string;
  Fingerprint: string;
  constructor(status: string, labels: Record<string, string>, annotations: Record<string, string>, fingerprint: string) {
    this.Status = status;
    this.Labels = new KV(Object.entries(labels));
    this.Annotations = new KV(Object.entries(annotations));
    this.StartsAt = new Date(Date.UTC(2024, 0, 15, 12, 30, 0));
    this.EndsAt = new Date(Date.UTC(2024, 0, 15, 13, 0, 0));
    this.GeneratorURL = 'https://generatorurl.com';
    this.Fingerprint = fingerprint;
  }
}

class Alerts extends Array<Alert> {
  Firing(): Alert[] {
    return this.filter((a) => a.Status === 'firing');
  }
  Resolved(): Alert[] {
    return this.filter((a) => a.Status === 'resolved');
  }
}

/** amtool's example data (Alertmanager 0.25), without the times. */
function exampleData() {
  const common = { commonlabelkey1: 'commonlabelvalue1', commonlabelkey2: 'commonlabelvalue2' };
  const commonAnn = { commonannotationkey1: 'commonannotationvalue1', commonannotationkey2: 'commonannotationvalue2' };
  return {
    Receiver: 'receiver',
    Status: 'alertstatus',
    Alerts: Alerts.from([
      new Alert('alertstatus', { ...common, instance: 'foo.bar:1234', label1: 'value1', label2: 'value2' }, { ...commonAnn, annotation1: 'value1', annotation2: 'value2' }, 'fingerprint1'),
      new Alert('alertstatus', { ...common, baz: 'qux', foo: 'bar' }, { ...commonAnn, aaa: 'bbb', ccc: 'ddd' }, 'fingerprint2'),
    ]) as Alerts,
    GroupLabels: new KV([['grouplabelkey1', 'grouplabelvalue1'], ['grouplabelkey2', 'grouplabelvalue2']]),
    CommonLabels: new KV(Object.entries(common)),
    CommonAnnotations: new KV(Object.entries(commonAnn)),
    ExternalURL: 'https://example.com',
  };
}

function render(text: string, data: unknown = exampleData(), html = false): Promise<string> {
  return createTemplateSet({ funcs: alertmanagerFuncs, html, missingKey: 'zero' }).render(text, data);
}

// Runs with both amtool (Alertmanager 0.25 has no trimSpace/date/tz/since/safeUrl/urlUnescape).
const SHARED =
  `{{ title "hELLO wORLD foo-bar o'neil" }}|{{ toUpper "abc" }}|{{ toLower "ABC" }}|{{ join "," (stringSlice "a" "b") }}|` +
  '{{ reReplaceAll "(a+)" "<$1>" "baaac" }}|{{ match "^b" "bc" }}|{{ safeHtml "<b>" }}|{{ .CommonLabels.missing }}|{{ .CommonLabels }}|' +
  '{{ .CommonLabels.SortedPairs }}|{{ .Alerts.Firing | len }}|{{ len .Alerts }}|{{ range .Alerts }}{{ .Labels.SortedPairs.Names }} {{ .Labels.Names }} {{ .Labels.Values }};{{ end }}|' +
  '{{ .CommonLabels.Remove (stringSlice "commonlabelkey1") }}|{{ range .CommonLabels.SortedPairs }}{{ .Name }}={{ .Value }} {{ end }}|' +
  '{{ .Receiver }}|{{ .GroupLabels.grouplabelkey1 }}|{{ range $k, $v := .CommonAnnotations }}{{ $k }}:{{ $v }},{{ end }}|{{ .ExternalURL }}|{{ (index .Alerts 0).Fingerprint }}|' +
  '{{ if gt (len .Alerts.Firing) 0 }}firing{{ else }}none firing{{ end }}|{{ .Alerts.Resolved }}';

const AMTOOL_OUTPUT =
  "Hello World Foo-Bar O'neil|ABC|abc|a,b|b<aaa>c|true|<b>||map[commonlabelkey1:commonlabelvalue1 commonlabelkey2:commonlabelvalue2]|" +
  '[{commonlabelkey1 commonlabelvalue1} {commonlabelkey2 commonlabelvalue2}]|0|2|' +
  '[commonlabelkey1 commonlabelkey2 instance label1 label2] [commonlabelkey1 commonlabelkey2 instance label1 label2] [commonlabelvalue1 commonlabelvalue2 foo.bar:1234 value1 value2];' +
  '[baz commonlabelkey1 commonlabelkey2 foo] [baz commonlabelkey1 commonlabelkey2 foo] [qux commonlabelvalue1 commonlabelvalue2 bar];|' +
  'map[commonlabelkey2:commonlabelvalue2]|commonlabelkey1=commonlabelvalue1 commonlabelkey2=commonlabelvalue2 |' +
  'receiver|grouplabelvalue1|commonannotationkey1:commonannotationvalue1,commonannotationkey2:commonannotationvalue2,|https://example.com|fingerprint1|' +
  'none firing|[]';

describe('alertmanagerFuncs and Alertmanager data idioms', () => {
  it("renders as Alertmanager 0.25's amtool does", async () => {
    expect(await render(SHARED)).toBe(AMTOOL_OUTPUT);
  });

  it('has the functions newer Alertmanagers added', async () => {
    expect(await render('{{ trimSpace "  x y \\n" }}|{{ urlUnescape "a%20b+c%2F" }}|{{ safeUrl "javascript:x" }}|{{ humanizeDuration 3661.5 }}')).toBe(
      'x y|a b c/|javascript:x|1h 1m 1s',
    );
    expect(await render('{{ range .Alerts }}{{ .StartsAt | tz "Europe/Paris" | date "2006-01-02 15:04:05 MST" }} {{ date "15:04" .EndsAt }} {{ .StartsAt.Format "Jan 2" }} {{ .EndsAt.IsZero }};{{ end }}')).toBe(
      '2024-01-15 13:30:00 CET 13:00 Jan 15 false;2024-01-15 13:30:00 CET 13:00 Jan 15 false;',
    );
    const since = await render('{{ since . }}', new GoTime(Date.now() - 90_000));
    expect(since).toMatch(/^1m3\d(\.\d+)?s$/);
    await expect(render('{{ tz "Nowhere/City" .StartsAt }}', exampleData().Alerts[0])).rejects.toThrow('unknown time zone Nowhere/City');
  });

  it("writes toJson as Go's json.Marshal does (expected output from Go)", async () => {
    const data = { m: { b: '<x>', a: 1e21, c: [true, null] }, s: 'a&b\u2028', l: [0.000001, 1e-7, 123456789] };
    expect(await render('{{ toJson . }}|{{ toJson .m }}|{{ toJson .s }}|{{ toJson 3 }}|{{ toJson 1.5 }}|{{ toJson nil }}|{{ toJson .l }}', data)).toBe(
      '{"l":[0.000001,1e-7,123456789],"m":{"a":1e+21,"b":"\\u003cx\\u003e","c":[true,null]},"s":"a\\u0026b\\u2028"}|{"a":1e+21,"b":"\\u003cx\\u003e","c":[true,null]}|"a\\u0026b\\u2028"|3|1.5|null|[0.000001,1e-7,123456789]',
    );
    expect(await render('{{ toJson .CommonLabels.SortedPairs }}')).toBe(
      '[{"Name":"commonlabelkey1","Value":"commonlabelvalue1"},{"Name":"commonlabelkey2","Value":"commonlabelvalue2"}]',
    );
  });

  it('escapes for HTML e-mails, trusting safeHtml', async () => {
    const data = { ...exampleData(), CommonAnnotations: new KV([['summary', '<script>x</script> & more']]) };
    expect(await render('<p>{{ .CommonAnnotations.summary }}</p><a href="{{ .ExternalURL }}/#/alerts?receiver={{ .Receiver | urlquery }}">{{ safeHtml "<b>go</b>" }}</a>', data, true)).toBe(
      '<p>&lt;script&gt;x&lt;/script&gt; &amp; more</p><a href="https://example.com/#/alerts?receiver=receiver"><b>go</b></a>',
    );
  });

  it('calls a method with arguments and rejects arguments to a field', async () => {
    expect(await render('{{ (.CommonLabels.Remove (stringSlice "commonlabelkey2")).Names }}')).toBe('[commonlabelkey1]');
    await expect(render('{{ .Receiver "x" }}')).rejects.toThrow('Receiver is not a method but has arguments');
  });
});

const AMTOOL = '/usr/bin/amtool';

describe('side by side with amtool', () => {
  it.skipIf(!existsSync(AMTOOL))('Alertmanager renders the same text to the same string', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'strata-amtool-'));
    try {
      writeFileSync(join(dir, 'x.tmpl'), `{{ define "x" }}${SHARED}{{ end }}`);
      const { stdout } = await promisify(execFile)(AMTOOL, ['template', 'render', `--template.glob=${join(dir, 'x.tmpl')}`, '--template.text={{ template "x" . }}']);
      expect(stdout).toBe(await render(SHARED));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

// Alertmanager's own templates, as the Debian package installs them.
const AM_TEMPLATES = '/usr/share/prometheus/alertmanager';
const haveTemplates = existsSync(join(AM_TEMPLATES, 'default.tmpl')) && existsSync(join(AM_TEMPLATES, 'email.tmpl'));

function loadAlertmanagerTemplates(html: boolean) {
  const set = createTemplateSet({ funcs: alertmanagerFuncs, html, missingKey: 'zero' });
  for (const file of ['default.tmpl', 'email.tmpl']) set.parse(file, readFileSync(join(AM_TEMPLATES, file), 'utf8'));
  return set;
}

describe("Alertmanager's own templates", () => {
  it.skipIf(!haveTemplates)("renders the HTML e-mail byte for byte as Go's html/template does", async () => {
    const alert = (status: string, labels: Record<string, string>, annotations: Record<string, string>, url: string, fp: string) => {
      const a = new Alert(status, labels, annotations, fp);
      a.GeneratorURL = url;
      return a;
    };
    // Values that exercise the escaper: markup, quotes, ampersands, a javascript: URL, a query.
    const data = {
      Receiver: 'team-x<ops>',
      Status: 'firing',
      Alerts: Alerts.from([
        alert('firing', { alertname: 'HighLatency', job: 'api', instance: 'a:80', path: '/q?x=1&y=<2>' }, { summary: 'p99 > 1s & rising', runbook: 'https://wiki/x?a="b"' }, 'http://prom:9090/graph?g0.expr=rate(x%5B5m%5D)+%3E+1&g0.tab=1', 'f1'),
        alert('resolved', { alertname: 'HighLatency', job: 'api', instance: 'b:80' }, {}, 'javascript:alert(1)', 'f2'),
        alert('firing', { alertname: 'HighLatency', job: 'api', instance: "c'80" }, { summary: "it's <b>bold</b>" }, 'http://prom/graph?g0.expr=up', 'f3'),
      ]) as Alerts,
      GroupLabels: new KV([['alertname', 'HighLatency']]),
      CommonLabels: new KV([['alertname', 'HighLatency'], ['job', 'api']]),
      CommonAnnotations: new KV(),
      ExternalURL: 'http://am.example:9093/am?x=1&y=2',
    };
    const set = loadAlertmanagerTemplates(true);
    const digest = async (name: string) => createHash('sha256').update(await set.execute(name, data)).digest('hex');
    // SHA-256 of Go 1.26 html/template's output for the same files and data (types shaped as
    // Alertmanager's, missingkey=zero); the digest keeps Alertmanager's markup out of our tree.
    expect(await digest('email.default.html')).toBe('26d9443b050e8e38008049d08dc1880f3bf5da5dcb1cec68c08404fb793fe009');
    expect(await set.execute('email.default.subject', data)).toBe('[FIRING:2] HighLatency (api)');
  });

  it.skipIf(!haveTemplates || !existsSync(AMTOOL))('renders every text template as amtool does', async () => {
    const text = loadAlertmanagerTemplates(false);
    const source = ['default.tmpl', 'email.tmpl'].map((f) => readFileSync(join(AM_TEMPLATES, f), 'utf8')).join('\n');
    const names = [...source.matchAll(/\{\{-? *define "([^"]+)"/g)].map((m) => m[1]);
    expect(names.length).toBeGreaterThan(30);
    const glob = join(AM_TEMPLATES, '*.tmpl');
    // Some definitions expect other data (a list of alerts) and fail in both: compare failures too.
    const ours = await Promise.all(names.map((n) => text.execute(n, exampleData()).catch(() => '<error>')));
    const theirs = await Promise.all(
      names.map((n) =>
        promisify(execFile)(AMTOOL, ['template', 'render', `--template.glob=${glob}`, `--template.text={{ template "${n}" . }}`]).then(
          (r) => r.stdout,
          () => '<error>',
        ),
      ),
    );
    expect(theirs.filter((t) => t !== '<error>').length).toBeGreaterThan(30);
    expect(ours.map((o, i) => `${names[i]}: ${o}`)).toEqual(theirs.map((t, i) => `${names[i]}: ${t}`));
  });
});
