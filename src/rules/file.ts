// Prometheus rule files: reading and validating them.
//
// Validation walks the YAML nodes rather than a schema, so that every problem names what a person
// needs to find it: the file, line and column, the group, the rule (its position and name) and the
// field — `rules.yml:12:15: group "api", rule 2 (alert "HighLatency"): expr: parse error: ...`.
// All problems of a file are reported at once, in file order.
import { readFileSync } from 'node:fs';
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Pair, type YAMLMap } from 'yaml';
import { parseDuration } from '../config/index.ts';
import { isUTF8Name } from '../model/index.ts';
import { parseExpr, ParseError, type Expr } from '../promql/index.ts';

export interface RuleGroupDef {
  name: string;
  /** The file the group came from (as given), part of the group's identity. */
  file: string;
  /** 0: the global evaluation_interval. */
  intervalMs: number;
  /** Maximum series a rule of the group may produce (alerts for an alerting rule); 0: none. */
  limit: number;
  /** How far in the past the group evaluates; null: the global rule_query_offset. */
  queryOffsetMs: number | null;
  /** Labels added to every rule's result (Prometheus 3 group labels). */
  labels: Record<string, string>;
  rules: RuleDef[];
}

export type RuleDef = RecordingRuleDef | AlertingRuleDef;

export interface RecordingRuleDef {
  kind: 'recording';
  record: string;
  expr: string;
  parsed: Expr;
  labels: Record<string, string>;
}

export interface AlertingRuleDef {
  kind: 'alerting';
  alert: string;
  expr: string;
  parsed: Expr;
  forMs: number;
  keepFiringForMs: number;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/** Problems of one or more rule files; `problems` holds one line per problem. */
export class RuleFileError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'RuleFileError';
    this.problems = problems;
  }
}

/**
 * Checks a template text at load time; throws with a message when it cannot be used. Supplied by
 * the caller so that this file does not decide how templates are executed.
 */
export type TemplateCheck = (text: string, what: string) => void;

export function loadRuleFile(file: string, checkTemplate?: TemplateCheck): RuleGroupDef[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new RuleFileError([`${file}: cannot read rule file: ${err.code === 'ENOENT' ? 'no such file' : err.message}`]);
  }
  return parseRuleFile(text, file, checkTemplate);
}

const GROUP_FIELDS = ['name', 'interval', 'limit', 'query_offset', 'labels', 'rules'];
const RULE_FIELDS = ['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations'];

export function parseRuleFile(text: string, file: string, checkTemplate?: TemplateCheck): RuleGroupDef[] {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  const problems: { at: number; text: string }[] = [];
  const pos = (offset: number) => {
    const p = lines.linePos(offset);
    return `${file}:${p.line}:${p.col}`;
  };
  const report = (node: Node | null | undefined, fallback: number, msg: string) => {
    const at = node?.range?.[0] ?? fallback;
    problems.push({ at, text: `${pos(at)}: ${msg}` });
  };
  if (doc.errors.length > 0) {
    throw new RuleFileError(doc.errors.map((e) => `${pos(e.pos[0])}: invalid YAML: ${e.message.split('\n')[0]}`));
  }
  const groups: RuleGroupDef[] = [];
  const root = doc.contents;
  if (root === null) return groups;
  if (!isMap(root)) {
    report(root, 0, 'a rule file is a mapping with a "groups" list');
    throw done(problems);
  }
  for (const pair of root.items) {
    const k = keyOf(pair);
    if (k !== 'groups') report(pair.key as Node, 0, `unknown field ${JSON.stringify(k)} (a rule file has only "groups")`);
  }
  const groupsNode = root.get('groups', true) as Node | undefined;
  if (groupsNode === undefined || (isScalar(groupsNode) && groupsNode.value === null)) return groups;
  if (!isSeq(groupsNode)) {
    report(groupsNode, 0, 'groups: expected a list of groups');
    throw done(problems);
  }
  const names = new Set<string>();
  groupsNode.items.forEach((g, gi) => {
    const gNode = g as Node;
    if (!isMap(gNode)) {
      report(gNode, groupsNode.range?.[0] ?? 0, `groups[${gi}]: expected a mapping with name and rules`);
      return;
    }
    const nameNode = gNode.get('name', true) as Node | undefined;
    const name = scalarString(nameNode);
    const where = name ? `group ${JSON.stringify(name)}` : `groups[${gi}]`;
    const at0 = gNode.range?.[0] ?? 0;
    unknownFields(gNode, GROUP_FIELDS, where, report);
    if (!name) report(nameNode, at0, `${where}: name: a group needs a non-empty name`);
    else if (names.has(name)) report(nameNode, at0, `${where}: name: another group in this file has that name (group names must be unique per file)`);
    else names.add(name);
    const intervalMs = durationField(gNode, 'interval', where, report, { positive: true }) ?? 0;
    const offset = durationField(gNode, 'query_offset', where, report, {});
    const limit = intField(gNode, 'limit', where, report);
    const labels = stringMap(gNode, 'labels', where, report, 'label');
    const rulesNode = gNode.get('rules', true) as Node | undefined;
    const rules: RuleDef[] = [];
    if (rulesNode !== undefined && !(isScalar(rulesNode) && rulesNode.value === null)) {
      if (!isSeq(rulesNode)) report(rulesNode, at0, `${where}: rules: expected a list of rules`);
      else {
        rulesNode.items.forEach((r, ri) => {
          const def = parseRule(r as Node, ri, where, report, checkTemplate);
          if (def) rules.push(def);
        });
      }
    }
    groups.push({ name: name ?? '', file, intervalMs, limit: limit ?? 0, queryOffsetMs: offset, labels, rules });
  });
  if (problems.length > 0) throw done(problems);
  return groups;
}

type Report = (node: Node | null | undefined, fallback: number, msg: string) => void;

function parseRule(node: Node, index: number, group: string, report: Report, checkTemplate?: TemplateCheck): RuleDef | null {
  const at0 = node.range?.[0] ?? 0;
  if (!isMap(node)) {
    report(node, at0, `${group}, rule ${index + 1}: expected a mapping with record or alert, and expr`);
    return null;
  }
  const record = scalarString(node.get('record', true) as Node | undefined);
  const alert = scalarString(node.get('alert', true) as Node | undefined);
  const where = `${group}, rule ${index + 1}${record ? ` (record ${JSON.stringify(record)})` : alert ? ` (alert ${JSON.stringify(alert)})` : ''}`;
  let bad = false;
  const rep: Report = (n, f, m) => {
    bad = true;
    report(n, f, m);
  };
  unknownFields(node, RULE_FIELDS, where, rep);
  if (record && alert) rep(node.get('alert', true) as Node, at0, `${where}: a rule has either record or alert, not both`);
  if (!record && !alert) rep(node, at0, `${where}: a rule needs record (a recording rule) or alert (an alerting rule)`);
  // Any non-empty UTF-8 name, as Prometheus 3 validates it (2.42 took only the classic charset).
  if (record && !isUTF8Name(record)) rep(node.get('record', true) as Node, at0, `${where}: record: invalid metric name ${JSON.stringify(record)}`);
  const exprNode = node.get('expr', true) as Node | undefined;
  const expr = scalarString(exprNode);
  let parsed: Expr | null = null;
  if (!expr) rep(exprNode, at0, `${where}: expr: a rule needs an expression`);
  else {
    try {
      parsed = parseExpr(expr);
    } catch (e) {
      if (!(e instanceof ParseError)) throw e;
      rep(exprNode, at0, `${where}: expr: ${e.message}`);
    }
  }
  const labels = stringMap(node, 'labels', where, rep, 'label');
  const annotations = stringMap(node, 'annotations', where, rep, 'annotation');
  if (record) {
    for (const f of ['for', 'keep_firing_for', 'annotations']) {
      if (node.has(f)) rep(node.get(f, true) as Node, at0, `${where}: ${f}: only alerting rules have ${f}`);
    }
    if (labels.__name__ !== undefined) rep(node.get('labels', true) as Node, at0, `${where}: labels: __name__ cannot be set by a label (use record)`);
  }
  let forMs = 0;
  let keepMs = 0;
  if (alert) {
    forMs = durationField(node, 'for', where, rep, {}) ?? 0;
    keepMs = durationField(node, 'keep_firing_for', where, rep, {}) ?? 0;
    if (checkTemplate) {
      for (const [field, m] of [['labels', labels], ['annotations', annotations]] as const) {
        const mapNode = node.get(field, true) as YAMLMap | undefined;
        for (const [k, v] of Object.entries(m)) {
          try {
            checkTemplate(v, `${field}.${k}`);
          } catch (e) {
            rep((isMap(mapNode) ? mapNode.get(k, true) : mapNode) as Node | undefined, at0, `${where}: ${field}.${k}: ${(e as Error).message}`);
          }
        }
      }
    }
  }
  if (bad || parsed === null || expr === null) return null;
  return record
    ? { kind: 'recording', record, expr, parsed, labels }
    : { kind: 'alerting', alert: alert!, expr, parsed, forMs, keepFiringForMs: keepMs, labels, annotations };
}

function done(problems: { at: number; text: string }[]): RuleFileError {
  problems.sort((a, b) => a.at - b.at);
  return new RuleFileError(problems.map((p) => p.text));
}

function keyOf(pair: Pair): string {
  const k = pair.key;
  return isScalar(k) ? String(k.value) : String(k);
}

function scalarString(n: Node | undefined): string | null {
  if (!isScalar(n) || n.value === null || n.value === undefined) return null;
  const v = n.value;
  return typeof v === 'string' ? (v === '' ? null : v) : typeof v === 'number' || typeof v === 'boolean' ? String(v) : null;
}

function unknownFields(m: YAMLMap, known: string[], where: string, report: Report): void {
  for (const pair of m.items) {
    const k = keyOf(pair);
    if (!known.includes(k)) report(pair.key as Node, 0, `${where}: unknown field ${JSON.stringify(k)} (known: ${known.join(', ')})`);
  }
}

function durationField(m: YAMLMap, field: string, where: string, report: Report, o: { positive?: boolean }): number | null {
  const n = m.get(field, true) as Node | undefined;
  if (n === undefined || (isScalar(n) && n.value === null)) return null;
  const v = isScalar(n) ? n.value : undefined;
  const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
  if (ms === null) report(n, 0, `${where}: ${field}: invalid duration ${JSON.stringify(v ?? null)} (use e.g. 30s, 5m, 1h)`);
  else if (o.positive && ms === 0) report(n, 0, `${where}: ${field}: must be greater than 0`);
  return ms;
}

function intField(m: YAMLMap, field: string, where: string, report: Report): number | null {
  const n = m.get(field, true) as Node | undefined;
  if (n === undefined || (isScalar(n) && n.value === null)) return null;
  const v = isScalar(n) ? n.value : undefined;
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    report(n, 0, `${where}: ${field}: expected a non-negative integer, got ${JSON.stringify(v ?? null)}`);
    return null;
  }
  return v;
}

function stringMap(m: YAMLMap, field: string, where: string, report: Report, what: 'label' | 'annotation'): Record<string, string> {
  const out: Record<string, string> = {};
  const n = m.get(field, true) as Node | undefined;
  if (n === undefined || (isScalar(n) && n.value === null)) return out;
  if (!isMap(n)) {
    report(n, 0, `${where}: ${field}: expected a mapping of ${what} names to values`);
    return out;
  }
  for (const pair of n.items) {
    const k = keyOf(pair);
    const v = pair.value as Node | null;
    if (what === 'label' ? !isUTF8Name(k) : k === '') report(pair.key as Node, 0, `${where}: ${field}: invalid ${what} name ${JSON.stringify(k)}`);
    if (!isScalar(v) || (v.value !== null && typeof v.value === 'object')) {
      report(v ?? (pair.key as Node), 0, `${where}: ${field}.${k}: expected a string value`);
      continue;
    }
    out[k] = v.value === null ? '' : String(v.value);
  }
  return out;
}
