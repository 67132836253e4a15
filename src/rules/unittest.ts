// Rule unit tests in the `promtool test rules` format: input series in the expanding notation,
// the rule files evaluated every evaluation_interval from the test's start, then the alerts firing
// at each alert_rule_test's eval_time and the samples of each promql_expr_test compared with what
// was expected. Users keep their promtool test files; a failure prints expected against got.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { parseDocument } from 'yaml';
import { parseDuration } from '../config/index.ts';
import { compareLabels, compareStrings, labelsEqual, labelsFromRecord, labelsToString, SampleBatchBuilder, STALE_NAN, type Labels } from '../model/index.ts';
import { Engine, parseSeriesSelector } from '../promql/index.ts';
import { expandValues, MISSING, STALE } from '../promql/promqltest/index.ts';
import { openDB, type Querier } from '../tsdb/index.ts';
import { AlertingRule } from './alerting.ts';
import { Group } from './group.ts';
import { readRuleFiles } from './manager.ts';
import { engineQueryFunc } from './query.ts';
import { ruleTemplates } from './templates.ts';

export interface RuleTestReport {
  file: string;
  /** Empty when every test of the file passed. */
  failures: string[];
}

interface TestFile {
  rule_files?: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  fuzzy_compare?: boolean;
  tests?: TestGroup[];
}

interface TestGroup {
  name?: string;
  interval?: string;
  start_timestamp?: string | number;
  input_series?: { series: string; values: string }[];
  external_labels?: Record<string, string>;
  external_url?: string;
  alert_rule_test?: { eval_time: string; alertname: string; exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] }[];
  promql_expr_test?: { expr: string; eval_time: string; exp_samples?: { labels: string; value: number | string }[] }[];
}

const TEST_FILE_FIELDS = ['rule_files', 'evaluation_interval', 'group_eval_order', 'fuzzy_compare', 'tests'];
const TEST_GROUP_FIELDS = ['name', 'interval', 'start_timestamp', 'input_series', 'external_labels', 'external_url', 'alert_rule_test', 'promql_expr_test'];

/** Runs one promtool-format test file. Never throws for a bad test file: its problems are failures. */
export async function runRuleTestFile(file: string): Promise<RuleTestReport> {
  const failures: string[] = [];
  let spec: TestFile;
  try {
    spec = readTestFile(file);
  } catch (e) {
    return { file, failures: [(e as Error).message] };
  }
  const evalInterval = duration(spec.evaluation_interval, 60_000, 'evaluation_interval');
  for (const [i, tg] of (spec.tests ?? []).entries()) {
    const name = tg.name ?? `test ${i + 1}`;
    try {
      const problems = await runTestGroup(file, spec, tg, evalInterval);
      for (const p of problems) failures.push(`${name}: ${p}`);
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
    }
  }
  return { file, failures };
}

function readTestFile(file: string): TestFile {
  const text = fs.readFileSync(file, 'utf8');
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length > 0) throw new Error(`${file}: invalid YAML: ${doc.errors[0].message.split('\n')[0]}`);
  const spec = (doc.toJS() ?? {}) as TestFile;
  for (const k of Object.keys(spec)) if (!TEST_FILE_FIELDS.includes(k)) throw new Error(`${file}: unknown field ${JSON.stringify(k)} (known: ${TEST_FILE_FIELDS.join(', ')})`);
  for (const [i, tg] of (spec.tests ?? []).entries()) {
    for (const k of Object.keys(tg ?? {})) if (!TEST_GROUP_FIELDS.includes(k)) throw new Error(`${file}: tests[${i}]: unknown field ${JSON.stringify(k)} (known: ${TEST_GROUP_FIELDS.join(', ')})`);
  }
  return spec;
}

function duration(v: string | undefined, def: number, what: string): number {
  if (v === undefined || v === null) return def;
  const ms = parseDuration(String(v));
  if (ms === null) throw new Error(`${what}: invalid duration ${JSON.stringify(v)}`);
  return ms;
}

function startOf(v: string | number | undefined): number {
  if (v === undefined) return 0;
  if (typeof v === 'number' || /^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new Error(`start_timestamp: expected a Unix time in seconds or an RFC 3339 time, got ${JSON.stringify(v)}`);
  return t;
}

async function runTestGroup(file: string, spec: TestFile, tg: TestGroup, evalInterval: number): Promise<string[]> {
  const interval = duration(tg.interval, evalInterval, 'interval');
  const start = startOf(tg.start_timestamp);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-ruletest-'));
  // A block range far larger than any test keeps every input sample in the head.
  const db = await openDB({ dir, logger: pino({ level: 'silent' }), retentionMs: 0, walFsync: 'never', blockRangeMs: 1e6 * 3_600_000, maintenanceIntervalMs: 1e9 });
  try {
    const b = new SampleBatchBuilder();
    for (const s of tg.input_series ?? []) {
      b.startSeries(seriesLabels(s.series));
      expandValues(String(s.values ?? '')).forEach((v, k) => {
        if (v === MISSING) return;
        b.add(start + k * interval, v === STALE ? STALE_NAN : v);
      });
    }
    if (b.seriesCount > 0) {
      const r = await db.append(b.build());
      const rejected = Object.values(r.rejected).reduce((a, n) => a + n, 0);
      if (rejected > 0) throw new Error(`input_series not loaded: ${r.errors.join('; ')}`);
    }

    const engine = new Engine();
    const query = engineQueryFunc(engine, () => db.querier());
    const externalURL = tg.external_url ?? 'http://localhost:9090';
    const templates = ruleTemplates({ query, externalURL, externalLabels: tg.external_labels ?? {} });
    const base = path.dirname(file);
    const defs = readRuleFiles({ ruleFiles: spec.rule_files ?? [], baseDir: base }, templates.check);
    let clock = start;
    const groups = defs.map((d) => new Group(d, {
      appendable: db, querier: () => db.querier(), query, expand: templates.expand, notify: () => undefined,
      logger: pino({ level: 'silent' }), externalURL, defaultIntervalMs: evalInterval, defaultQueryOffsetMs: 0,
      resendDelayMs: 60_000, outageToleranceMs: 3_600_000, forGracePeriodMs: 600_000, now: () => clock,
    }, false));
    const order = spec.group_eval_order ?? [];
    for (const n of order) if (!groups.some((g) => g.def.name === n)) throw new Error(`group_eval_order: unknown group ${JSON.stringify(n)}`);
    groups.sort((a, b) => rank(order, a.def.name) - rank(order, b.def.name));

    const alertTests = (tg.alert_rule_test ?? []).map((t) => ({ ...t, at: duration(t.eval_time, 0, 'eval_time') }));
    const exprTests = (tg.promql_expr_test ?? []).map((t) => ({ ...t, at: duration(t.eval_time, 0, 'eval_time') }));
    const maxT = Math.max(0, ...alertTests.map((t) => t.at), ...exprTests.map((t) => t.at));
    const problems: string[] = [];
    for (let t = 0; t <= maxT; t += evalInterval) {
      clock = start + t;
      // As promtool: every group is evaluated at every evaluation_interval tick, and a rule that
      // fails to evaluate fails the test there.
      const failed: string[] = [];
      for (const g of groups) {
        await g.evaluate(start + t);
        g.rules.forEach((r, i) => {
          if (g.status[i].lastError !== '') failed.push(`rule: ${r.name}, time: ${goDuration(t)}, err: ${g.status[i].lastError}`);
        });
      }
      if (failed.length > 0) return failed;
      // Alerts are checked at the last evaluation at or before each test's eval_time.
      for (const at of alertTests.filter((x) => x.at >= t && x.at < t + evalInterval)) {
        problems.push(...checkAlerts(groups, at));
      }
    }
    for (const et of exprTests) {
      problems.push(...await checkExpr(engine, db.querier.bind(db), et, start, spec.fuzzy_compare === true));
    }
    return problems;
  } finally {
    await db.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Go's time.Duration String() for whole milliseconds ("0s", "59s", "2m0s", "1h0m0.5s"), as promtool prints times. */
function goDuration(ms: number): string {
  if (ms === 0) return '0s';
  const h = Math.floor(ms / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  const sec = String((ms % 60_000) / 1000);
  if (ms < 1000) return `${ms}ms`;
  return `${h > 0 ? `${h}h` : ''}${h > 0 || m > 0 ? `${m}m` : ''}${sec}s`;
}

function rank(order: string[], name: string): number {
  const i = order.indexOf(name);
  return i < 0 ? order.length : i;
}

function seriesLabels(text: string): Labels {
  if (text.trim() === '{}') return [];
  const rec: Record<string, string> = {};
  for (const m of parseSeriesSelector(text)) rec[m.name] = m.value;
  return labelsFromRecord(rec);
}

interface AlertView {
  labels: Labels;
  annotations: Labels;
}

function checkAlerts(groups: Group[], t: { alertname: string; eval_time: string; exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] }): string[] {
  const got: AlertView[] = [];
  for (const g of groups) {
    for (const r of g.rules) {
      if (!(r instanceof AlertingRule) || r.name !== t.alertname) continue;
      for (const a of r.alerts()) if (a.state === 'firing') got.push({ labels: a.labels, annotations: annotationLabels(a.annotations) });
    }
  }
  const exp: AlertView[] = (t.exp_alerts ?? []).map((e) => ({
    labels: labelsFromRecord({ ...(e.exp_labels ?? {}), alertname: t.alertname }),
    annotations: annotationLabels(e.exp_annotations ?? {}),
  }));
  const byLabels = (a: AlertView, b: AlertView) => compareLabels(a.labels, b.labels) || compareLabels(a.annotations, b.annotations);
  got.sort(byLabels);
  exp.sort(byLabels);
  const same = got.length === exp.length && got.every((g, i) => labelsEqual(g.labels, exp[i].labels) && labelsEqual(g.annotations, exp[i].annotations));
  if (same) return [];
  const show = (xs: AlertView[]) => (xs.length === 0 ? '[]' : `[\n${xs.map((x, i) => `            ${i}:\n              Labels:${labelsToString(x.labels)}\n              Annotations:${labelsToString(x.annotations)}`).join('\n')}\n        ]`);
  return [`alertname: ${t.alertname}, time: ${t.eval_time},\n        exp:${show(exp)},\n        got:${show(got)}`];
}

// Annotations compare as promtool compares them: one that expanded to "" is still there (and must
// be expected as ""), unlike a label.
function annotationLabels(rec: Record<string, string>): Labels {
  return Object.keys(rec).sort(compareStrings).flatMap((k) => [k, String(rec[k])]);
}

async function checkExpr(engine: Engine, querier: () => Querier, t: { expr: string; eval_time: string; at: number; exp_samples?: { labels: string; value: number | string }[] }, start: number, fuzzy: boolean): Promise<string[]> {
  let got: { labels: Labels; value: number }[];
  try {
    got = await engineQueryFunc(engine, querier)(t.expr, start + t.at);
  } catch (e) {
    return [`expr: ${JSON.stringify(t.expr)}, time: ${t.eval_time}, err: ${(e as Error).message}`];
  }
  const exp = (t.exp_samples ?? []).map((s) => ({ labels: s.labels === undefined || s.labels === '' ? [] : seriesLabels(s.labels), value: Number(s.value) }));
  got.sort((a, b) => compareLabels(a.labels, b.labels));
  exp.sort((a, b) => compareLabels(a.labels, b.labels));
  const eq = (a: number, b: number) => a === b || (Number.isNaN(a) && Number.isNaN(b)) || (fuzzy && Math.abs(a - b) <= Math.abs(b) * 2 ** -52);
  const same = got.length === exp.length && got.every((g, i) => labelsEqual(g.labels, exp[i].labels) && eq(g.value, exp[i].value));
  if (same) return [];
  const show = (xs: { labels: Labels; value: number }[]) => (xs.length === 0 ? '[]' : `\n${xs.map((x) => `          ${labelsToString(x.labels)} ${x.value}`).join('\n')}\n`);
  return [`expr: ${JSON.stringify(t.expr)}, time: ${t.eval_time},\n        exp: ${show(exp)}\n        got: ${show(got)}`];
}
