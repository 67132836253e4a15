// Alert label and annotation templates, expanded as Prometheus expands them: Go template syntax
// with $labels, $value, $externalLabels and $externalURL defined up front, Prometheus' template
// functions, and `query` answering at the evaluation's timestamp.
import { labelsToRecord } from '../model/index.ts';
import { createTemplateSet, prometheusFuncs, TemplateError, type TemplateSet } from '../template/index.ts';
import type { TemplateCheck } from './file.ts';
import type { ExpandFunc, QueryFunc } from './types.ts';

// The same variable definitions Prometheus puts in front of every alert template.
const DEFS = '{{$labels := .Labels}}{{$externalLabels := .ExternalLabels}}{{$externalURL := .ExternalURL}}{{$value := .Value}}';

export interface RuleTemplateOptions {
  query: QueryFunc;
  externalURL: string;
  externalLabels: Record<string, string>;
}

export function ruleTemplates(o: RuleTemplateOptions): { expand: ExpandFunc; check: TemplateCheck } {
  const url = o.externalURL;
  const pathPrefix = URL.canParse(url) ? new URL(url).pathname.replace(/\/$/, '') : '';
  // One template set per evaluation timestamp (its `query` answers at that instant); render()
  // keeps parsed texts, so the alerts of one evaluation parse each annotation text once.
  const sets = new Map<number, TemplateSet>();
  const setAt = (ts: number): TemplateSet => {
    let set = sets.get(ts);
    if (!set) {
      const funcs = prometheusFuncs({
        externalURL: url,
        pathPrefix,
        query: async (q: string) => (await o.query(q, ts)).map((s) => ({ labels: labelsToRecord(s.labels), value: s.value })),
      });
      // Prometheus executes alert templates with missingkey=zero: a missing label is "".
      set = createTemplateSet({ funcs, missingKey: 'zero' });
      sets.set(ts, set);
      if (sets.size > 4) sets.delete(sets.keys().next().value as number);
    }
    return set;
  };
  const expand: ExpandFunc = async (text, data, ts, ruleName) => {
    if (!text.includes('{{')) return text;
    try {
      return await setAt(ts).render(DEFS + text, {
        Labels: data.labels,
        ExternalLabels: o.externalLabels,
        ExternalURL: url,
        Value: data.value,
      }, `__alert_${ruleName}`);
    } catch (e) {
      // As Prometheus: the alert still fires, with the error in place of the text, worded as
      // Prometheus' expander words it (texts were parsed when the rule file loaded: only
      // executing fails here).
      return `<error expanding template: error executing template __alert_${ruleName}: ${(e as Error).message}>`;
    }
  };
  const check: TemplateCheck = (text) => {
    if (!text.includes('{{')) return;
    try {
      // Parsing needs every function defined; `query` is never called here.
      createTemplateSet({ funcs: prometheusFuncs({ externalURL: url, pathPrefix, query: async () => [] }) }).parse('__check', DEFS + text);
    } catch (e) {
      if (e instanceof TemplateError) throw new Error(`invalid template: ${e.message}`);
      throw e;
    }
  };
  return { expand, check };
}
