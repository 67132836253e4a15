// Field types of the channel settings as zod schemas. They mirror Alertmanager's YAML types
// (string, <tmpl_string>, <secret>, <duration>, <url>, <bool>) and say in words what was expected.
import * as z from 'zod';
import { describe, parseDuration } from '../../config/index.ts';

// The same wording of "what was found" as Strata's own config errors.
export { describe };

/** A plain or templated string; `def` when absent. YAML numbers are taken as their text. */
export function str(def = '') {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return def;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    ctx.addIssue({ code: 'custom', message: `expected a string, got ${describe(v)}` });
    return z.NEVER;
  });
}

/** A string that may be left unset (then a global setting or a computed default applies). */
export function optStr() {
  return z.unknown().optional().transform((v, ctx): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    if (typeof v === 'number') return String(v);
    ctx.addIssue({ code: 'custom', message: `expected a string, got ${describe(v)}` });
    return z.NEVER;
  });
}

export function bool(def: boolean) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return def;
    if (typeof v === 'boolean') return v;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got ${describe(v)}` });
    return z.NEVER;
  });
}

export function optBool() {
  return z.unknown().optional().transform((v, ctx): boolean | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'boolean') return v;
    ctx.addIssue({ code: 'custom', message: `expected true or false, got ${describe(v)}` });
    return z.NEVER;
  });
}

/** A duration in Prometheus' syntax ("30s", "1m30s"), in ms. */
export function duration(def: string) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) v = def;
    const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${describe(v)} (use e.g. 10s, 1m, 0 for none)` });
      return z.NEVER;
    }
    return ms;
  });
}

export function nonNegativeInt(def: number) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return def;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    ctx.addIssue({ code: 'custom', message: `expected a non-negative integer, got ${describe(v)}` });
    return z.NEVER;
  });
}

/** An absolute http(s) URL, or undefined when unset. Templated URLs are not accepted. */
export function optURL() {
  return z.unknown().optional().transform((v, ctx): string | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && isHttpURL(v)) return v;
    if (v === SECRET_URL_PLACEHOLDER) {
      ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${JSON.stringify(v)}, the placeholder a hidden URL is printed as (Alertmanager does not load it here either): set the URL` });
      return z.NEVER;
    }
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${typeof v === 'string' ? JSON.stringify(redactURL(v)) : describe(v)}` });
    return z.NEVER;
  });
}

/**
 * The text a hidden URL is printed as (`amtool config show`, /api/v2/status). Alertmanager loads it
 * back where the URL is a secret (0.25: a Slack api_url, the global slack_api_url; later releases
 * also a webhook url, which Strata hides as they do), so the configuration it prints loads again;
 * sending to it then fails.
 */
export const SECRET_URL_PLACEHOLDER = '<secret>';

/**
 * optURL for the URLs Strata hides as secrets, which also takes the placeholder they are printed
 * as. Where the URL is printed in clear (PagerDuty) Alertmanager refuses the placeholder, and so
 * does optURL.
 */
export function optSecretURL() {
  return z.unknown().optional().transform((v, ctx): string | undefined => {
    if (v === SECRET_URL_PLACEHOLDER) return v;
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string' && isHttpURL(v)) return v;
    ctx.addIssue({ code: 'custom', message: `expected an http:// or https:// URL, got ${typeof v === 'string' ? JSON.stringify(redactURL(v)) : describe(v)}` });
    return z.NEVER;
  });
}

export function isHttpURL(s: string): boolean {
  try {
    const u = new URL(s);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

/** URLs of Slack or Alertmanager webhooks carry their secret in the path: errors show only the origin. */
export function redactURL(s: string): string {
  try {
    const u = new URL(s);
    // Only http(s) URLs have an origin; others (socks5://) show their scheme and host.
    const origin = u.origin !== 'null' ? u.origin : `${u.protocol}//${u.host}`;
    return (u.pathname === '/' || u.pathname === '') && u.search === '' ? origin : `${origin}/<secret>`;
  } catch {
    return '<not a URL>';
  }
}

/** A mapping of strings to (templated) strings, e.g. headers or details. */
export function stringMap() {
  return z.unknown().optional().transform((v, ctx): Record<string, string> | undefined => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'object' && !Array.isArray(v)) {
      const out: Record<string, string> = {};
      for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
        if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') out[k] = String(x);
        else {
          ctx.addIssue({ code: 'custom', path: [k], message: `expected a string, got ${describe(x)}` });
          return z.NEVER;
        }
      }
      return out;
    }
    ctx.addIssue({ code: 'custom', message: `expected a mapping of names to strings, got ${describe(v)}` });
    return z.NEVER;
  });
}

/** A mapping with only the known keys (Alertmanager refuses unknown fields too); null means empty. */
export function section<S extends z.ZodRawShape>(shape: S) {
  return z.preprocess(
    (v) => v ?? {},
    z.strictObject(shape, {
      error: (iss) => {
        if (iss.code === 'invalid_type') return `expected a mapping of fields, got ${describe(iss.input)}`;
        if (iss.code === 'unrecognized_keys') return `unknown field${iss.keys.length > 1 ? 's' : ''} ${iss.keys.map((k) => JSON.stringify(k)).join(', ')}`;
        return undefined;
      },
    }),
  );
}

/** An optional list of entries; null or absent is an empty list. */
export function list<T extends z.ZodType>(entry: T) {
  return z.preprocess((v) => v ?? [], z.array(entry, { error: (iss) => (iss.code === 'invalid_type' ? `expected a list, got ${describe(iss.input)}` : undefined) }));
}
