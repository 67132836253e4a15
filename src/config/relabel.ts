// Relabelling rules as written in relabel_configs / metric_relabel_configs, with Prometheus'
// defaults and its rules about which fields each action takes. The rules are plain data here;
// src/ingest compiles and applies them (config sits below ingest, so the checks that need no
// engine — actions, required fields, regex syntax — live here, next to the file format).
import { compileAnchoredRE2, isUTF8Name } from '../model/index.ts';

export const RELABEL_ACTIONS = [
  'replace', 'keep', 'drop', 'keepequal', 'dropequal', 'hashmod',
  'labelmap', 'labeldrop', 'labelkeep', 'lowercase', 'uppercase',
] as const;
export type RelabelAction = (typeof RELABEL_ACTIONS)[number];

export interface RelabelRule {
  sourceLabels: string[];
  separator: string;
  /** RE2 source, without the anchors Prometheus adds. */
  regex: string;
  modulus: number;
  targetLabel: string;
  replacement: string;
  action: RelabelAction;
}

export const DEFAULT_RELABEL_RULE: Readonly<RelabelRule> = Object.freeze({
  sourceLabels: [],
  separator: ';',
  regex: '(.*)',
  modulus: 0,
  targetLabel: '',
  replacement: '$1',
  action: 'replace',
});

/** A rule with defaults filled in; `partial` is typically a test's or a caller's literal. */
export function relabelRule(partial: Partial<RelabelRule>): RelabelRule {
  return { ...DEFAULT_RELABEL_RULE, sourceLabels: [], ...partial };
}

/**
 * Checks a rule the way Prometheus 3 does when it loads a config with its default utf8 name
 * validation scheme: source labels, target labels and a labelmap replacement are any non-empty
 * UTF-8 (a template such as `${1}_x` included; 2.42 took only the classic label charset and
 * templates of it). Returns null when usable, otherwise the reason (the field path is added by the
 * caller).
 */
export function checkRelabelRule(r: RelabelRule): string | null {
  try {
    compileAnchoredRE2(r.regex);
  } catch (e) {
    return `invalid regex ${JSON.stringify(r.regex)}: ${(e as Error).message}`;
  }
  for (const s of r.sourceLabels) {
    if (!isUTF8Name(s)) return `invalid source label name ${JSON.stringify(s)}`;
  }
  const a = r.action;
  if ((a === 'replace' || a === 'hashmod' || a === 'lowercase' || a === 'uppercase' || a === 'keepequal' || a === 'dropequal') && r.targetLabel === '') {
    return `relabel action ${a} requires the target_label field`;
  }
  if ((a === 'replace' || a === 'lowercase' || a === 'uppercase' || a === 'hashmod' || a === 'keepequal' || a === 'dropequal') && !isUTF8Name(r.targetLabel)) {
    return `${JSON.stringify(r.targetLabel)} is an invalid target_label for action ${a}`;
  }
  if (a === 'hashmod' && r.modulus <= 0) return 'relabel action hashmod requires a modulus greater than 0';
  if (a === 'labelmap' && !isUTF8Name(r.replacement)) return `${JSON.stringify(r.replacement)} is an invalid replacement for action labelmap`;
  const d = DEFAULT_RELABEL_RULE;
  if ((a === 'labeldrop' || a === 'labelkeep') && (r.sourceLabels.length > 0 || r.targetLabel !== d.targetLabel
    || r.modulus !== d.modulus || r.separator !== d.separator || r.replacement !== d.replacement)) {
    return `relabel action ${a} takes only the regex field, and no other fields`;
  }
  if ((a === 'keepequal' || a === 'dropequal') && (r.regex !== d.regex || r.modulus !== d.modulus
    || r.separator !== d.separator || r.replacement !== d.replacement)) {
    return `relabel action ${a} takes only source_labels and target_label, and no other fields`;
  }
  return null;
}
