// The functions every Go template has (text/template's builtins), minus `and`/`or`, which the
// executor evaluates itself because they short-circuit.

import { sprint, sprintf, sprintln } from './fmt.ts';
import { SafeHTML, SafeURL, kindOf, stringOf, typeName, isTrue, type Kind } from './values.ts';

export type Builtin = (...args: unknown[]) => unknown;

const utf8 = new TextEncoder();

function toIndex(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' && Number.isInteger(v)) return v;
  throw new Error(`cannot index slice/array with type ${typeName(v)}`);
}

function len(v: unknown): bigint {
  switch (kindOf(v)) {
    case 'string':
      return BigInt(utf8.encode(stringOf(v)).length);
    case 'slice':
      return BigInt((v as unknown[]).length);
    case 'map':
      return BigInt(v instanceof Map ? v.size : Object.keys(v as object).length);
    case 'invalid':
    case 'nil':
      throw new Error('len of nil pointer');
    default:
      if (v instanceof Set) return BigInt(v.size);
      throw new Error(`len of type ${typeName(v)}`);
  }
}

/** The value a Go map gives for a missing key: "" for string maps (Prometheus' and Alertmanager's label maps), else nil. */
export function missingKeyValue(m: object): unknown {
  const values = m instanceof Map ? [...m.values()] : Object.values(m);
  return values.every((x) => typeof x === 'string') ? '' : undefined;
}

function index(item: unknown, ...indexes: unknown[]): unknown {
  let v = item;
  for (const ix of indexes) {
    switch (kindOf(v)) {
      case 'invalid':
      case 'nil':
        throw new Error('index of untyped nil');
      case 'slice': {
        const arr = v as unknown[];
        const i = toIndex(ix);
        if (i < 0 || i >= arr.length) throw new Error(`index out of range: ${i}`);
        v = arr[i];
        break;
      }
      case 'string': {
        const bytes = utf8.encode(stringOf(v));
        const i = toIndex(ix);
        if (i < 0 || i >= bytes.length) throw new Error(`index out of range: ${i}`);
        v = BigInt(bytes[i]);
        break;
      }
      case 'map': {
        if (v instanceof Map) {
          v = v.has(ix) ? v.get(ix) : missingKeyValue(v);
        } else {
          if (kindOf(ix) !== 'string') throw new Error(`value has type ${typeName(ix)}; should be string`);
          const key = stringOf(ix);
          v = Object.hasOwn(v as object, key) ? (v as Record<string, unknown>)[key] : missingKeyValue(v as object);
        }
        break;
      }
      default:
        throw new Error(`can't index item of type ${typeName(v)}`);
    }
  }
  return v;
}

function slice(item: unknown, ...indexes: unknown[]): unknown {
  const k = kindOf(item);
  if (k === 'invalid' || k === 'nil') throw new Error('slice of untyped nil');
  if (indexes.length > 3) throw new Error(`too many slice indexes: ${indexes.length}`);
  let length: number;
  if (k === 'string') {
    if (indexes.length === 3) throw new Error('cannot 3-index slice a string');
    length = utf8.encode(stringOf(item)).length;
  } else if (k === 'slice') length = (item as unknown[]).length;
  else throw new Error(`can't slice item of type ${typeName(item)}`);
  const idx = indexes.map(toIndex);
  const lo = idx[0] ?? 0;
  const hi = idx[1] ?? length;
  if (lo < 0 || lo > length) throw new Error(`index out of range: ${lo}`);
  if (hi < lo || hi > length) throw new Error(`invalid slice index: ${lo} > ${hi}`);
  if (k === 'string') return new TextDecoder().decode(utf8.encode(stringOf(item)).slice(lo, hi));
  return (item as unknown[]).slice(lo, hi);
}

// --- comparison ----------------------------------------------------------------------------------

type Basic = 'bool' | 'int' | 'float' | 'string';

function basicKind(k: Kind): Basic | null {
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : null;
}

function scalar(v: unknown): unknown {
  return v instanceof SafeHTML || v instanceof SafeURL ? v.value : v;
}

function equal(a: unknown, b: unknown): boolean {
  const ka = kindOf(a);
  const kb = kindOf(b);
  // A missing value or nil equals only another; Go would refuse some of these comparisons, but a
  // label that is absent compared with a string is a plain "no" to anyone writing a template.
  if (ka === 'invalid' || ka === 'nil' || kb === 'invalid' || kb === 'nil') {
    return (ka === 'invalid' || ka === 'nil') && (kb === 'invalid' || kb === 'nil');
  }
  const ba = basicKind(ka);
  const bb = basicKind(kb);
  if (ba !== null && bb !== null) {
    if (ba === bb) return scalar(a) === scalar(b) || (ba === 'float' && a === b);
    // Ints and floats compare by value (Go refuses; our data does not always know which it is).
    if ((ba === 'int' || ba === 'float') && (bb === 'int' || bb === 'float')) return Number(a) === Number(b);
    throw new Error(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
  }
  if (ka === 'slice' || ka === 'map' || ka === 'func') throw new Error(`non-comparable type ${sprintf("%s", [a])}: ${typeName(a)}`);
  return a === b;
}

function eq(arg1: unknown, ...args: unknown[]): boolean {
  if (args.length === 0) throw new Error('missing argument for comparison');
  for (const a of args) if (equal(arg1, a)) return true;
  return false;
}

function less(a: unknown, b: unknown): boolean {
  const ba = basicKind(kindOf(a));
  const bb = basicKind(kindOf(b));
  if (ba === null || ba === 'bool' || bb === null || bb === 'bool') throw new Error('invalid type for comparison');
  if (ba === 'string' || bb === 'string') {
    if (ba !== bb) throw new Error(`incompatible types for comparison: ${typeName(a)} and ${typeName(b)}`);
    return (scalar(a) as string) < (scalar(b) as string);
  }
  return (a as number | bigint) < (b as number | bigint);
}

// --- escaping ------------------------------------------------------------------------------------

/** text/template's html: HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[<>&'"\0]/g, (c) => HTML_ESCAPES[c]);
}
const HTML_ESCAPES: Record<string, string> = { '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&#39;', '"': '&#34;', '\0': '\uFFFD' };

/** text/template's js: JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\':
        out += '\\\\';
        continue;
      case "'":
        out += "\\'";
        continue;
      case '"':
        out += '\\"';
        continue;
      case '<':
      case '>':
      case '&':
      case '=':
        out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
        continue;
    }
    if (cp < 0x80 ? cp >= 0x20 && cp < 0x7f : /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u.test(ch)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of utf8.encode(s)) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

/** text/template's evalArgs: one string argument as is, otherwise fmt.Sprint. */
function joinArgs(args: unknown[]): string {
  if (args.length === 1 && kindOf(args[0]) === 'string') return stringOf(args[0]);
  return sprint(args);
}

function call(fn: unknown, ...args: unknown[]): unknown {
  if (fn === null || fn === undefined) throw new Error('call of nil');
  if (typeof fn !== 'function') throw new Error(`non-function of type ${typeName(fn)}`);
  return fn(...args);
}

/** Builtins by name, with their fixed arity where Go checks it. */
export const BUILTINS: Record<string, { fn: Builtin; arity?: number; minArgs?: number }> = {
  not: { fn: (a) => !isTrue(a), arity: 1 },
  len: { fn: len, arity: 1 },
  index: { fn: index as Builtin, minArgs: 1 },
  slice: { fn: slice as Builtin, minArgs: 1 },
  print: { fn: (...a) => sprint(a) },
  println: { fn: (...a) => sprintln(a) },
  printf: {
    fn: (format, ...a) => {
      if (kindOf(format) !== 'string') throw new Error(`wrong type for value; expected string; got ${typeName(format)}`);
      return sprintf(stringOf(format), a);
    },
    minArgs: 1,
  },
  eq: { fn: eq as Builtin, minArgs: 1 },
  ne: { fn: (a, b) => !eq(a, b), arity: 2 },
  lt: { fn: (a, b) => less(a, b), arity: 2 },
  le: { fn: (a, b) => less(a, b) || equal(a, b), arity: 2 },
  gt: { fn: (a, b) => !less(a, b) && !equal(a, b), arity: 2 },
  ge: { fn: (a, b) => !less(a, b), arity: 2 },
  html: { fn: (...a) => htmlEscape(joinArgs(a)) },
  js: { fn: (...a) => jsEscape(joinArgs(a)) },
  urlquery: { fn: (...a) => queryEscape(joinArgs(a)) },
  call: { fn: call as Builtin, minArgs: 1 },
};

export function isBuiltinName(name: string): boolean {
  return name === 'and' || name === 'or' || Object.hasOwn(BUILTINS, name);
}

