// What rules need from the rest of the process, passed in so that rules depend only on promql's
// types and never on the API, storage internals or the notifier.
import type { Labels } from '../model/index.ts';

/** One sample of an instant query result (a scalar result is one sample without labels). */
export interface InstantSample {
  labels: Labels;
  value: number;
}

/** Runs an instant query at ts (ms); throws on a query error or a result that is not a vector or scalar. */
export type QueryFunc = (expr: string, ts: number) => Promise<InstantSample[]>;

/** The data an alert's label and annotation templates see as $labels and $value. */
export interface AlertTemplateData {
  labels: Record<string, string>;
  value: number;
}

/**
 * Expands one label or annotation template for an alert instance. Never throws: a failing
 * template expands to `<error expanding template: ...>` as in Prometheus, so the alert still fires.
 */
export type ExpandFunc = (text: string, data: AlertTemplateData, ts: number, ruleName: string) => Promise<string>;

/** The per-evaluation context a rule evaluates in. */
export interface RuleContext {
  query: QueryFunc;
  expand: ExpandFunc;
  /** How far in the past the group evaluates (query_offset). */
  queryOffsetMs: number;
  /** The group's labels, under the rule's own. */
  groupLabels: Record<string, string>;
}
