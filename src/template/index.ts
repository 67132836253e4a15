// Go's template language (text/template, and html/template's escaping in HTML mode) for alerting:
// Prometheus annotation/label templates and Alertmanager notification templates.
//
// How JavaScript values stand for Go values is in values.ts: plain objects and Maps are maps,
// class instances are structs (a String() method makes a Stringer), function-valued properties
// are methods (called with the command's arguments), JS numbers are float64, bigints are ints,
// Dates are time.Time. Unsupported syntax is a TemplateError from parse(), never output.
//
// Where we knowingly differ from Go:
//   - Parse errors carry line and column ("template: NAME:2:10: ..."); Go prints only the line.
//   - Slices and maps have no element type: they are []interface {} and map[string]interface {}
//     in %T, %#v and error messages (Go: []string, map[string]string, Alertmanager's template.KV),
//     and eq compares structs by identity where Go compares their fields.
//   - `index` on a map without the key gives "" when the map's values are all strings (Go's zero
//     value for map[string]string, as Prometheus' $labels is) and <no value> otherwise; Go decides
//     by the map's declared type, which JavaScript does not have. missingKey 'zero' (the option
//     both Prometheus' rule templates and Alertmanager execute with) follows the same rule for `.key`.
//   - Time-zone abbreviations come from Intl; a zone Intl has no English name for (Asia/Tokyo's
//     JST) prints Go's numeric fallback ("+09") instead.
//   - HTML mode tracks the context at run time over the produced output (see html.ts) instead of
//     Go's static rewriting; JS and CSS contexts are reduced to "a value".
//   - A function-valued property is always a method, in argument position too (as `len
//     .Alerts.Firing` needs), so `call .F` calls F first; Go would pass a func-typed field as is.
//   - {{ template }} recursion stops at the depth JavaScript's stack allows (some hundreds of
//     levels), with Go's "exceeded maximum template depth" error; Go allows 100000.
//   - printf: %p has no address to print (it is a bad verb for every value).

export type { TemplateFunc, MissingKey } from './exec.ts';
export { TemplateError } from './errors.ts';
export { createTemplateSet, type TemplateSet, type TemplateSetOptions } from './set.ts';
export { prometheusFuncs, Sample, type QueryResultSample, type PrometheusFuncOptions } from './prometheus.ts';
export { alertmanagerFuncs } from './alertmanager.ts';
export { SafeHTML, SafeURL } from './values.ts';
export { GoTime, GoDuration } from './gotime.ts';
export { formatFloat } from './float.ts';
export { sprintf, formatValue } from './fmt.ts';
