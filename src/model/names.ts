// Name rules. Prometheus 3 accepts any non-empty UTF-8 string as a metric or label name (its "utf8"
// name validation scheme, the default); the classic ("legacy") character sets below are what
// Prometheus 2 accepted, what scrape jobs with `metric_name_validation_scheme: legacy` enforce, and
// which names PromQL and the exposition formats may write without quoting.
const LEGACY_METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LEGACY_LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

export type NameValidationScheme = 'utf8' | 'legacy';

/** A metric name of the classic charset [a-zA-Z_:][a-zA-Z0-9_:]*. */
export function isLegacyMetricName(name: string): boolean {
  return LEGACY_METRIC_NAME_RE.test(name);
}

/** A label name of the classic charset [a-zA-Z_][a-zA-Z0-9_]*. */
export function isLegacyLabelName(name: string): boolean {
  return LEGACY_LABEL_NAME_RE.test(name);
}

/**
 * A name Prometheus 3 accepts: non-empty and valid UTF-8. A JS string can only fail to be UTF-8
 * through a lone surrogate; isWellFormed answers at once for V8's one-byte (Latin-1) strings, which
 * every classic name is, so this is the fast path the ingest hot loop takes.
 */
export function isUTF8Name(name: string): boolean {
  return name.length > 0 && name.isWellFormed();
}

export function isMetricNameValid(name: string, scheme: NameValidationScheme): boolean {
  return scheme === 'utf8' ? isUTF8Name(name) : isLegacyMetricName(name);
}

export function isLabelNameValid(name: string, scheme: NameValidationScheme): boolean {
  return scheme === 'utf8' ? isUTF8Name(name) : isLegacyLabelName(name);
}


/**
 * A label name as PromQL and the text formats write it: bare when classic, else a double-quoted
 * string, as Prometheus 3's printer does (`"a.b"="c"`).
 */
export function quoteLabelNameIfNeeded(name: string): string {
  return isLegacyLabelName(name) ? name : JSON.stringify(name);
}

/** Whether the code point at index i of a name may stand there in a classic metric name. */
function isLegacyRune(c: number, i: number): boolean {
  return (c >= 0x61 && c <= 0x7a) || (c >= 0x41 && c <= 0x5a) || c === 0x5f || c === 0x3a || (i > 0 && c >= 0x30 && c <= 0x39);
}

/**
 * A name escaped for a reader that did not ask for UTF-8 names, by the schemes of prometheus/common
 * (model.EscapeName; the "UTF-8 escaping schemes" spec). A name of the classic metric charset is
 * never escaped (EscapeMetricFamily leaves it alone); otherwise:
 * - underscores: every character that could not stand at its place in a classic name becomes `_`
 *   (a digit may not lead);
 * - dots: `_` becomes `__`, `.` becomes `_dot_`, any other such character `__`;
 * - values: `U__`, then `_` as `__` and any other such character as `_<hex code point>_`;
 * - allow-utf-8: as it is.
 * Label names go through the same rule as metric names (as in Prometheus).
 */
export function escapeName(name: string, scheme: EscapingScheme): string {
  if (scheme === 'allow-utf-8' || name === '' || isLegacyMetricName(name)) return name;
  let out = scheme === 'values' ? 'U__' : '';
  let i = 0;
  for (const ch of name) {
    const c = ch.codePointAt(0)!;
    if (scheme === 'underscores') out += isLegacyRune(c, i) ? ch : '_';
    else if (c === 0x5f) out += '__';
    else if (scheme === 'dots' && c === 0x2e) out += '_dot_';
    else if (isLegacyRune(c, i)) out += ch;
    else out += scheme === 'dots' ? '__' : `_${c.toString(16)}_`;
    i++;
  }
  return out;
}

/** escapeName with Prometheus' default scheme for readers that ask for none: underscores. */
export function escapeNameUnderscores(name: string): string {
  return escapeName(name, 'underscores');
}

/**
 * How names outside the classic charset are asked to be written in a scrape or federation response
 * (the `escaping` parameter of the exposition Content-Type): as they are, or escaped.
 */
export const ESCAPING_SCHEMES = ['allow-utf-8', 'underscores', 'dots', 'values'] as const;
export type EscapingScheme = (typeof ESCAPING_SCHEMES)[number];

/**
 * The name a `values`-escaped name (`U__` then `__` for `_` and `_<hex>_` for a code point) stands
 * for, as prometheus/common's UnescapeName(name, ValueEncodingEscaping) reads it: a name without the
 * prefix, or one that does not decode (a lone `_`, a bad or too long hex run, no valid code point),
 * is returned as it is.
 */
export function unescapeValuesName(name: string): string {
  if (!name.startsWith('U__')) return name;
  const s = name.slice(3);
  let out = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] !== '_') {
      out += s[i];
      continue;
    }
    i++;
    if (i >= s.length) return name;
    if (s[i] === '_') {
      out += '_';
      continue;
    }
    const close = s.indexOf('_', i);
    const hex = close < 0 ? '' : s.slice(i, close);
    // At most six hex digits (U+10FFFF), and a code point that is not a surrogate.
    if (hex.length === 0 || hex.length > 6 || !/^[0-9a-fA-F]+$/.test(hex)) return name;
    const cp = parseInt(hex, 16);
    if (cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return name;
    out += String.fromCodePoint(cp);
    i = close;
  }
  return out;
}
