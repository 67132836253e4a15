// The functions every Go template has (text/template's builtins), minus `and`/`or`, which the
// executor evaluates itself because they short-circuit.

import { sprint, sprintf, sprintln } from './fmt.ts';
import { GoDuration, GoTime } from './gotime.ts';
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
// As Go's eq/lt: basic kinds compare only with the same kind (an int literal with a float64 is
// "incompatible types", so Prometheus rules write `gt $value 0.0`), a missing value or nil equals
// only another and is unequal to anything else, and slices, maps and funcs are not comparable.

type Basic = 'bool' | 'int' | 'float' | 'string';

function basicKind(k: Kind): Basic | null {
  return k === 'bool' || k === 'int' || k === 'float' || k === 'string' ? k : null;
}

function scalar(v: unknown): unknown {
  return v instanceof SafeHTML || v instanceof SafeURL ? v.value : v;
}

/** Go compares strings byte by byte in UTF-8, which is code point order (JavaScript's < is UTF-16's). */
function compareStrings(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    // Only where a surrogate meets a code unit above the surrogates do the two orders differ.
    const xs = x >= 0xd800 && x < 0xe000;
    const ys = y >= 0xd800 && y < 0xe000;
    if (xs !== ys) return xs ? 1 : -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}

function isInvalid(k: Kind): boolean {
  return k === 'invalid' || k === 'nil';
}

/** Values as comparisons see their kind: a time.Duration is an int64, a time.Time a comparable struct. */
function comparable(v: unknown): unknown {
  return v instanceof GoDuration ? v.ns : v instanceof Date ? GoTime.from(v) : v;
}

function equal(x: unknown, y: unknown): boolean {
  const a = comparable(x);
  const b = comparable(y);
  const ka = kindOf(a);
  const kb = kindOf(b);
  const ba = basicKind(ka);
  const bb = basicKind(kb);
  if (ba !== null && ba === bb) {
    if (ba === 'string') return scalar(a) === scalar(b);
    return a === b;
  }
  if (isInvalid(ka) || isInvalid(kb)) return isInvalid(ka) && isInvalid(kb);
  if (ba !== null || bb !== null) throw new Error(`incompatible types for comparison: ${typeName(x)} and ${typeName(y)}`);
  // Neither is a basic kind (slices, maps, funcs, structs).
  if (ka !== kb || typeName(x) !== typeName(y)) {
    throw new Error(`non-comparable types ${sprintf('%s', [x])}: ${typeName(x)}, ${typeName(y)}: ${sprintf('%v', [y])}`);
  }
  if (ka === 'slice' || ka === 'map' || ka === 'func') throw new Error(`non-comparable type ${sprintf('%s', [y])}: ${typeName(y)}`);
  // Go compares a struct's fields: for a time, the instant and the location.
  if (a instanceof GoTime && b instanceof GoTime) return a.ms === b.ms && a.nanos === b.nanos && a.zone === b.zone;
  return a === b;
}

function eq(arg1: unknown, ...args: unknown[]): boolean {
  if (args.length === 0) throw new Error('missing argument for comparison');
  // Go stops at the first argument equal to arg1: a later incomparable one is never looked at.
  for (const a of args) if (equal(arg1, a)) return true;
  return false;
}

function less(x: unknown, y: unknown): boolean {
  const a = comparable(x);
  const b = comparable(y);
  const ba = basicKind(kindOf(a));
  const bb = basicKind(kindOf(b));
  if (ba === null || bb === null) throw new Error('invalid type for comparison');
  if (ba !== bb) throw new Error(`incompatible types for comparison: ${typeName(x)} and ${typeName(y)}`);
  if (ba === 'bool') throw new Error('invalid type for comparison');
  if (ba === 'string') return compareStrings(scalar(a) as string, scalar(b) as string) < 0;
  return (a as number | bigint) < (b as number | bigint);
}

function lessOrEqual(a: unknown, b: unknown): boolean {
  return less(a, b) || equal(a, b);
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
  le: { fn: lessOrEqual, arity: 2 },
  gt: { fn: (a, b) => !lessOrEqual(a, b), arity: 2 },
  ge: { fn: (a, b) => !less(a, b), arity: 2 },
  html: { fn: (...a) => htmlEscape(joinArgs(a)) },
  js: { fn: (...a) => jsEscape(joinArgs(a)) },
  urlquery: { fn: (...a) => queryEscape(joinArgs(a)) },
  call: { fn: call as Builtin, minArgs: 1 },
};

export function isBuiltinName(name: string): boolean {
  return name === 'and' || name === 'or' || Object.hasOwn(BUILTINS, name);
}

