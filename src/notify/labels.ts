// Alertmanager's identities for label sets: the fingerprint (which alert is which), the text form
// used in group keys, and the order alerts are listed in a notification. These must agree with
// Alertmanager byte for byte: group keys end up in webhook payloads and PagerDuty dedup keys.
import type { Alert, LabelSet } from './types.ts';

/** A valid label (and annotation) name, as Alertmanager 0.25 checks it. */
export const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const SEPARATOR = 0xff;
const utf8 = new TextEncoder();
const cache = new WeakMap<LabelSet, string>();

/**
 * The label set's fingerprint as 16 hex digits, as Prometheus' model.LabelSet.Fingerprint: FNV-1a
 * 64 over the label names in sorted order, each name and value followed by the byte 0xff.
 * Computed in two 32-bit halves rather than with BigInt, and cached per label object: every
 * evaluation of a rule re-sends all its firing alerts.
 */
export function fingerprint(ls: LabelSet): string {
  const hit = cache.get(ls);
  if (hit !== undefined) return hit;
  // 0xcbf29ce484222325, the FNV-1a 64 offset basis.
  let hi = 0xcbf29ce4;
  let lo = 0x84222325;
  const names = Object.keys(ls).sort(byCodeUnit);
  for (let n = 0; n < names.length * 2; n++) {
    const text = n % 2 === 0 ? names[n >> 1] : ls[names[n >> 1]];
    // UTF-8 bytes of the text (ASCII, nearly all label text, without encoding), then the separator.
    const bytes = isAscii(text) ? null : utf8.encode(text);
    const len = bytes ? bytes.length : text.length;
    for (let i = 0; i <= len; i++) {
      const byte = i === len ? SEPARATOR : bytes ? bytes[i] : text.charCodeAt(i);
      // h = (h ^ byte) * 0x100000001b3 mod 2^64, the prime split as 2^40 + 0x1b3: the low word
      // times 0x1b3 carries into the high word; the 2^40 term moves the low word 8 bits up into it.
      const x = (lo ^ byte) >>> 0;
      const product = x * 0x1b3;
      lo = product >>> 0;
      hi = (hi * 0x1b3 + Math.floor(product / 0x100000000) + (x & 0xffffff) * 0x100) >>> 0;
    }
  }
  const fp = (hi >>> 0).toString(16).padStart(8, '0') + (lo >>> 0).toString(16).padStart(8, '0');
  cache.set(ls, fp);
  return fp;
}

function isAscii(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0x80) return false;
  return true;
}

// Go sorts strings by bytes; for the label names Alertmanager accepts (ASCII) that is code-unit order.
export function byCodeUnit(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** `{a="1", b="2"}`: Go's model.LabelSet.String(), the second half of a group key. */
export function labelSetString(ls: LabelSet): string {
  const parts = Object.keys(ls).sort(byCodeUnit).map((n) => `${n}=${goQuote(ls[n])}`);
  return `{${parts.join(', ')}}`;
}

/** Go's %q for a string: printable characters kept, the rest escaped. */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (c >= 0x20 && c < 0x7f) out += ch;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\x07') out += '\\a';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (ch === '\v') out += '\\v';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (/[\p{L}\p{M}\p{N}\p{P}\p{S}\p{Zs}]/u.test(ch) && c !== 0xad) out += ch;
    else if (c <= 0xffff) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += `\\U${c.toString(16).padStart(8, '0')}`;
  }
  return out + '"';
}

/**
 * Alertmanager's order of alerts in a notification: by `job`, then `instance` (alerts having the
 * label first), then by label set (fewer labels first, then label by label).
 */
export function compareAlerts(a: Alert, b: Alert): number {
  for (const key of ['job', 'instance']) {
    const av = a.labels[key];
    const bv = b.labels[key];
    if (av === undefined && bv === undefined) continue;
    if (av === undefined) return 1;
    if (bv === undefined) return -1;
    if (av !== bv) return av < bv ? -1 : 1;
  }
  return labelSetBefore(a.labels, b.labels) ? -1 : labelSetBefore(b.labels, a.labels) ? 1 : 0;
}

/** Go's model.LabelSet.Before: fewer labels first, then label by label in name order. */
export function labelSetBefore(a: LabelSet, b: LabelSet): boolean {
  const an = Object.keys(a);
  const bn = Object.keys(b);
  if (an.length !== bn.length) return an.length < bn.length;
  for (const n of [...an, ...bn].sort(byCodeUnit)) {
    const av = a[n];
    if (av === undefined) return true;
    const bv = b[n];
    if (bv === undefined) return false;
    if (av !== bv) return av < bv;
  }
  return false;
}
