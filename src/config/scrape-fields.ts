// Field types shared by the scrape config's sections (durations, limits, sizes, label maps), as
// prometheus.yml writes them. Unlike fields.ts's, most leave an absent field undefined, so a job
// can tell "not set" (inherit from global) from a value.
import * as z from 'zod';
import { isUTF8Name } from '../model/index.ts';
import { describe } from './fields.ts';
import { parseDuration } from './units.ts';

// Prometheus durations: "15s", "1m30s", "500ms". Left undefined when absent, so a job can tell
// "not set" (inherit from global) from a value.
export function promDuration(opts: { positive?: boolean } = {}) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    const ms = v === 0 ? 0 : typeof v === 'string' ? parseDuration(v.trim()) : null;
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `invalid duration ${describe(v)} (use e.g. 15s, 1m, 1m30s)` });
      return z.NEVER;
    }
    if (opts.positive && ms === 0) {
      ctx.addIssue({ code: 'custom', message: 'must be greater than 0' });
      return z.NEVER;
    }
    return ms;
  });
}

export function str(def: string) {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return def;
    if (typeof v === 'number' || typeof v === 'boolean') return String(v);
    if (typeof v !== 'string') {
      ctx.addIssue({ code: 'custom', message: `expected a string, got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

export function stringList() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return [] as string[];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' && typeof x !== 'number')) {
      ctx.addIssue({ code: 'custom', message: `expected a list of strings, got ${describe(v)}` });
      return z.NEVER;
    }
    return v.map(String);
  });
}

export function list<T extends z.ZodType>(item: T) {
  return z.preprocess((v) => v ?? [], z.array(item, { error: (iss) => (iss.code === 'invalid_type' ? `expected a list, got ${describe(iss.input)}` : undefined) }));
}

export function labelMap() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string>;
    if (typeof v !== 'object' || Array.isArray(v)) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of label names to values, got ${describe(v)}` });
      return z.NEVER;
    }
    const out: Record<string, string> = {};
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      // Any non-empty UTF-8 name, as Prometheus 3 validates external_labels and static labels.
      if (!isUTF8Name(k)) {
        ctx.addIssue({ code: 'custom', message: `invalid label name ${JSON.stringify(k)}`, path: [k] });
        continue;
      }
      if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
        ctx.addIssue({ code: 'custom', message: `expected a string value, got ${describe(x)}`, path: [k] });
        continue;
      }
      out[k] = String(x);
    }
    return out;
  });
}

/** A mapping of names to string values (e.g. oauth2's endpoint_params). */
export function stringMap() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return {} as Record<string, string>;
    if (typeof v !== 'object' || Array.isArray(v) || Object.values(v).some((x) => typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean')) {
      ctx.addIssue({ code: 'custom', message: `expected a mapping of names to string values, got ${describe(v)}` });
      return z.NEVER;
    }
    return Object.fromEntries(Object.entries(v as Record<string, unknown>).map(([k, x]) => [k, String(x)]));
  });
}

/** A limit: a non-negative integer, 0 for none; undefined when absent (inherit from global). */
export function limit() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
      ctx.addIssue({ code: 'custom', message: `expected a non-negative integer (0 for no limit), got ${describe(v)}` });
      return z.NEVER;
    }
    return v;
  });
}

// Prometheus reads body_size_limit as base-2 bytes: "10MB" is 10 MiB there, and so here.
const BASE2: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3, tb: 1024 ** 4, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4 };
export function bodySize() {
  return z.unknown().optional().transform((v, ctx) => {
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0) return v;
    // Also a sum of parts, largest first, as Prometheus prints a size ("1KiB512B").
    const text = typeof v === 'string' ? v.trim() : '';
    const parts = [...text.matchAll(/(\d+)\s*([a-zA-Z]*)/g)];
    let bytes = 0;
    let end = 0;
    for (const m of parts) {
      const unit = BASE2[m[2] === '' ? 'b' : m[2].toLowerCase()];
      const contiguous = m.index === end;
      end = m.index + m[0].length;
      if (!contiguous || unit === undefined || (m[2] === '' && parts.length > 1)) {
        bytes = -1;
        break;
      }
      bytes += Number(m[1]) * unit;
    }
    if (parts.length === 0 || end !== text.length || bytes < 0 || !Number.isSafeInteger(bytes)) {
      ctx.addIssue({ code: 'custom', message: `invalid size ${describe(v)} (use e.g. 10MB, 512KB, 0 for no limit)` });
      return z.NEVER;
    }
    return bytes;
  });
}
