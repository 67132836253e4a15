// GET /api/v1/rules and /api/v1/alerts in Prometheus' shape (Grafana and amtool-like tools read
// them field by field): groups with their rules, health, last error, evaluation time and, for
// alerting rules, their active alerts.
import { exprString, parseExpr } from '../promql/index.ts';
import { labelsToRecord } from '../model/index.ts';
import { AlertingRule, type ActiveAlert, type Group } from '../rules/index.ts';
import { ApiError, ErrorType, sendSuccess } from './http.ts';
import type { Router } from './router.ts';

export interface RulesDeps {
  groups(): readonly Group[];
}

// Go's zero time, which Prometheus answers for a rule never evaluated.
const ZERO_TIME = '0001-01-01T00:00:00Z';

export function registerRuleRoutes(router: Router, deps: RulesDeps): void {
  router.add(['GET'], '/api/v1/rules', 'rules', ({ res, url }) => {
    const p = url.searchParams;
    const type = p.get('type') ?? '';
    if (type !== '' && type !== 'alert' && type !== 'record') throw new ApiError(400, ErrorType.badData, `unsupported type ${JSON.stringify(type)}: must be "alert" or "record"`);
    const names = new Set(p.getAll('rule_name[]'));
    const groupNames = new Set(p.getAll('rule_group[]'));
    const files = new Set(p.getAll('file[]'));
    const excludeAlerts = p.get('exclude_alerts') === 'true';
    const groups = [];
    for (const g of byFileAndName(deps.groups())) {
      if (groupNames.size > 0 && !groupNames.has(g.def.name)) continue;
      if (files.size > 0 && !files.has(g.def.file)) continue;
      const rules = [];
      for (let i = 0; i < g.rules.length; i++) {
        const r = g.rules[i];
        const st = g.status[i];
        if (names.size > 0 && !names.has(r.name)) continue;
        const common = {
          health: st.health,
          lastError: st.lastError === '' ? undefined : st.lastError,
          evaluationTime: st.evaluationMs / 1000,
          lastEvaluation: st.lastEvaluation === 0 ? ZERO_TIME : goTime(st.lastEvaluation),
        };
        if (r instanceof AlertingRule) {
          if (type === 'record') continue;
          const active = r.alerts().filter((a) => a.state !== 'inactive');
          rules.push({
            state: st.lastEvaluation === 0 ? 'unknown' : r.state(),
            name: r.name,
            query: canonical(r.def.expr),
            duration: r.def.forMs / 1000,
            keepFiringFor: r.def.keepFiringForMs / 1000,
            labels: { ...g.def.labels, ...r.def.labels },
            annotations: r.def.annotations,
            alerts: excludeAlerts ? undefined : active.map(alertJSON),
            ...common,
            type: 'alerting',
          });
        } else {
          if (type === 'alert') continue;
          // Prometheus leaves out a recording rule's empty labels (an alerting rule's are always there).
          const labels = { ...g.def.labels, ...r.def.labels };
          rules.push({ name: r.name, query: canonical(r.def.expr), labels: Object.keys(labels).length > 0 ? labels : undefined, ...common, type: 'recording' });
        }
      }
      // A filter by rule name drops groups left without rules, as Prometheus does.
      if (rules.length === 0 && (names.size > 0 || type !== '')) continue;
      groups.push({
        name: g.def.name,
        file: g.def.file,
        rules,
        interval: g.intervalMs / 1000,
        limit: g.def.limit,
        evaluationTime: g.evaluationMs / 1000,
        lastEvaluation: g.lastEvaluation === 0 ? ZERO_TIME : goTime(g.lastEvaluation),
      });
    }
    sendSuccess(res, { groups });
  });

  router.add(['GET'], '/api/v1/alerts', 'alerts', ({ res }) => {
    const alerts = [];
    for (const g of deps.groups()) {
      for (const r of g.rules) {
        if (!(r instanceof AlertingRule)) continue;
        for (const a of r.alerts()) if (a.state !== 'inactive') alerts.push(alertJSON(a));
      }
    }
    sendSuccess(res, { alerts });
  });
}

// Prometheus lists groups by file, then by name, whatever their order in the configuration.
function byFileAndName(groups: readonly Group[]): Group[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...groups].sort((a, b) => cmp(a.def.file, b.def.file) || cmp(a.def.name, b.def.name));
}

function alertJSON(a: ActiveAlert) {
  return {
    labels: labelsToRecord(a.labels),
    annotations: a.annotations,
    state: a.state,
    activeAt: goTime(a.activeAt),
    keepFiringSince: a.keepFiringSince !== 0 ? goTime(a.keepFiringSince) : undefined,
    // Prometheus prints the value with Go's %e-style shortest form.
    value: goExponent(a.value),
  };
}

// Prometheus prints rule expressions in their canonical form.
function canonical(expr: string): string {
  try {
    return exprString(parseExpr(expr));
  } catch {
    return expr;
  }
}

/** Go's RFC3339Nano in UTC: no trailing zeros in the fraction. */
function goTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.?0+Z$/, 'Z');
}

/** strconv.FormatFloat(v, 'e', -1, 64): shortest digits, exponent with sign and at least two digits. */
export function goExponent(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  const [m, e] = v.toExponential().split('e');
  const exp = Number(e);
  return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}
