// Go's template language (text/template, and html/template's escaping in HTML mode) for alerting:
// Prometheus annotation/label templates and Alertmanager notification templates.
// Value mapping between JavaScript and Go: see values.ts.

export type { TemplateFunc } from './exec.ts';
export { TemplateError } from './errors.ts';
export { createTemplateSet, type TemplateSet, type TemplateSetOptions } from './set.ts';
export type { MissingKey } from './exec.ts';
export { prometheusFuncs, Sample, type QueryResultSample, type PrometheusFuncOptions } from './prometheus.ts';
export { alertmanagerFuncs } from './alertmanager.ts';
export { SafeHTML, SafeURL } from './values.ts';
export { GoTime, GoDuration } from './gotime.ts';
export { formatFloat, sprintf, formatValue } from './fmt.ts';
