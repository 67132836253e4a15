// Alertmanager's identities for label sets: the fingerprint (which alert is which), the text form
// used in group keys, and the order alerts are listed in a notification. These must agree with
// Alertmanager byte for byte: group keys end up in webhook payloads and PagerDuty dedup keys.
import type { Alert, LabelSet } from './types.ts';

const FNV_OFFSET = 0xcbf29ce484222325n;
const FNV_PRIME = 0x100000001b3n;
const MASK64 = 0xffffffffffffffffn;
const SEPARATOR = 0xff;
const utf8 = new TextEncoder();

/**
 * The label set's fingerprint as 16 hex digits, as Prometheus' model.LabelSet.Fingerprint: FNV-1a
 * 64 over the label names in sorted order, each name and value followed by the byte 0xff.
 */
export function fingerprint(ls: LabelSet): string {
  let h = FNV_OFFSET;
  for (const name of Object.keys(ls).sort(byCodeUnit)) {
    h = addBytes(h, utf8.encode(name));
    h = ((h ^ BigInt(SEPARATOR)) * FNV_PRIME) & MASK64;
    h = addBytes(h, utf8.encode(ls[name]));
    h = ((h ^ BigInt(SEPARATOR)) * FNV_PRIME) & MASK64;
  }
  return h.toString(16).padStart(16, '0');
}

function addBytes(h: bigint, bytes: Uint8Array): bigint {
  for (const b of bytes) h = ((h ^ BigInt(b)) * FNV_PRIME) & MASK64;
  return h;
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
