// The media type of a scrape's Content-Type, as Go's mime.ParseMediaType reads it, which is what
// Prometheus picks the parser by: `Application/OpenMetrics-Text` is OpenMetrics, but a header
// that does not parse (`application/openmetrics-text; version`, `...;;`, a repeated parameter)
// or names another type (`application/openmetrics-text-x`) is not, and the body is then read
// as the scrape's fallback (text 0.0.4 unless fallback_scrape_protocol says otherwise; always
// text in Prometheus 2.42).

/** Go's mime tspecials, which end a token. */
const TSPECIALS = '()<>@,;:\\"/[]?=';

function isTokenChar(c: number): boolean {
  return c > 0x20 && c < 0x7f && !TSPECIALS.includes(String.fromCharCode(c));
}

/** The token at the start of s and what follows it. */
function consumeToken(s: string): [string, string] {
  let i = 0;
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return [s.slice(0, i), s.slice(i)];
}

// Go trims Unicode spaces; these are the ones a header can carry.
function trimLeft(s: string): string {
  return s.replace(/^[\s\u0085]+/u, '');
}

/** A token or a quoted string at the start of s, and what follows it; ['', s] when neither. */
function consumeValue(s: string): [string, string] {
  if (s === '' || s[0] !== '"') return consumeToken(s);
  let out = '';
  for (let i = 1; i < s.length; i++) {
    const ch = s[i];
    if (ch === '"') return [out, s.slice(i + 1)];
    // A backslash quotes the next character (Go keeps it for a string it parses back).
    if (ch === '\\' && i + 1 < s.length) {
      out += s[++i];
      continue;
    }
    out += ch;
  }
  return ['', s];
}

/** `; name=value` at the start of s: [name lower-cased, rest], or null. */
function consumeParam(s: string): [string, string] | null {
  let rest = trimLeft(s);
  if (!rest.startsWith(';')) return null;
  rest = trimLeft(rest.slice(1));
  const [name, afterName] = consumeToken(rest);
  if (name === '') return null;
  rest = trimLeft(afterName);
  if (!rest.startsWith('=')) return null;
  rest = trimLeft(rest.slice(1));
  const [value, afterValue] = consumeValue(rest);
  if (value === '' && afterValue === rest) return null;
  return [name.toLowerCase(), afterValue];
}

/**
 * The lower-cased media type of a Content-Type header, or null when Go's mime.ParseMediaType
 * refuses the header (no type, no subtype, text after it, a malformed or repeated parameter).
 */
export function goMediaType(header: string): string | null {
  const semi = header.indexOf(';');
  const base = semi < 0 ? header : header.slice(0, semi);
  const mediaType = base.toLowerCase().trim();
  const [type, afterType] = consumeToken(mediaType);
  if (type === '') return null;
  if (afterType !== '') {
    if (!afterType.startsWith('/')) return null;
    const [subtype, afterSubtype] = consumeToken(afterType.slice(1));
    if (subtype === '' || afterSubtype !== '') return null;
  }
  const seen = new Set<string>();
  let v = header.slice(base.length);
  while (v.length > 0) {
    v = trimLeft(v);
    if (v === '') break;
    const param = consumeParam(v);
    if (param === null) {
      // A trailing semicolon is allowed.
      if (v.trim() === ';') break;
      return null;
    }
    if (seen.has(param[0])) return null;
    seen.add(param[0]);
    v = param[1];
  }
  return mediaType;
}
