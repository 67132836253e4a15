// How JavaScript values stand in for Go values inside templates:
//   undefined        Go's invalid value (a missing map key): prints "<no value>"
//   null             a nil interface/pointer: prints "<nil>"
//   number           float64 (Prometheus sample values are float64)
//   bigint           int (integer literals, len, range indexes)
//   string, boolean  string, bool
//   Array            a slice
//   Map, plain object a map (missing key: "<no value>"; range in sorted key order)
//   class instance   a struct (missing field: an execution error); a method named String is a Stringer
//   function-valued property  a method, called with the command's arguments
//   Date             time.Time (see gotime.ts)
// Typed strings from safeHtml/safeUrl keep their type so the HTML escaper can trust them.

import { GoDuration, GoTime } from './gotime.ts';

/** html/template's HTML type: trusted markup that the HTML escaper leaves alone. */
export class SafeHTML {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

/** html/template's URL type: a trusted URL that skips the scheme filter. */
export class SafeURL {
  readonly value: string;
  constructor(value: string) {
    this.value = value;
  }
  toString(): string {
    return this.value;
  }
}

export type Kind = 'invalid' | 'nil' | 'bool' | 'int' | 'float' | 'string' | 'slice' | 'map' | 'struct' | 'func';

const BUILTIN_PROTOS = new Set<object>([Object.prototype, Array.prototype, Map.prototype, Function.prototype, Date.prototype, Set.prototype]);

export function isPlainObject(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function kindOf(v: unknown): Kind {
  if (v === undefined) return 'invalid';
  if (v === null) return 'nil';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float';
    case 'string':
      return 'string';
    case 'function':
      return 'func';
    case 'object':
      if (v instanceof SafeHTML || v instanceof SafeURL) return 'string';
      if (Array.isArray(v)) return 'slice';
      if (v instanceof Map) return 'map';
      if (isPlainObject(v)) return 'map';
      return 'struct';
    default:
      return 'struct';
  }
}

/** A Go-looking type name for error messages. */
export function typeName(v: unknown): string {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return 'interface {}';
    case 'bool':
      return 'bool';
    case 'int':
      return 'int';
    case 'float':
      return 'float64';
    case 'string':
      if (v instanceof SafeHTML) return 'template.HTML';
      if (v instanceof SafeURL) return 'template.URL';
      return 'string';
    case 'func':
      return 'func';
    case 'slice':
      return '[]interface {}';
    case 'map': {
      return 'map[string]interface {}';
    }
    case 'struct':
      if (v instanceof GoTime || v instanceof Date) return 'time.Time';
      if (v instanceof GoDuration) return 'time.Duration';
      return (v as object).constructor?.name ?? 'struct';
  }
}

/** The string inside a string-kinded value. */
export function stringOf(v: unknown): string {
  if (typeof v === 'string') return v;
  if (v instanceof SafeHTML || v instanceof SafeURL) return v.value;
  throw new Error(`expected string; found ${typeName(v)}`);
}

const NOT_FOUND = Object.freeze({ found: false, value: undefined });

/**
 * Looks up a property the way a Go field or method lookup sees it: own properties and those of
 * user-defined prototypes, never JavaScript's built-in ones (no `.length`, `.toString`, `.map`).
 */
export function lookupMember(obj: object, name: string): { found: boolean; value: unknown } {
  let o: object | null = obj;
  while (o !== null && !BUILTIN_PROTOS.has(o)) {
    if (Object.hasOwn(o, name)) return { found: true, value: (obj as Record<string, unknown>)[name] };
    o = Object.getPrototypeOf(o);
  }
  return NOT_FOUND;
}

/** Map-like receivers: entries in Go's sorted key order. */
export function sortedEntries(v: object): [unknown, unknown][] {
  const entries: [unknown, unknown][] = v instanceof Map ? [...v.entries()] : Object.entries(v);
  return entries.sort((a, b) => compareKeys(a[0], b[0]));
}

function compareKeys(a: unknown, b: unknown): number {
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) return a < b ? -1 : a > b ? 1 : 0;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

/** Go's truth: false, zero numbers, nil, and empty strings, slices and maps are false; structs are true. */
export function isTrue(v: unknown): boolean {
  switch (kindOf(v)) {
    case 'invalid':
    case 'nil':
      return false;
    case 'bool':
      return v as boolean;
    case 'int':
      return v !== 0n;
    case 'float':
      return v !== 0;
    case 'string':
      return stringOf(v) !== '';
    case 'slice':
      return (v as unknown[]).length > 0;
    case 'map':
      return v instanceof Map ? v.size > 0 : Object.keys(v as object).length > 0;
    case 'func':
      return true;
    case 'struct':
      // A time.Duration is an int64: zero is false.
      return !(v instanceof GoDuration && v.ns === 0n);
  }
}

/** Numbers for functions written in JS: ints arrive as JS numbers. */
export function toJS(v: unknown): unknown {
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof SafeHTML || v instanceof SafeURL) return v.value;
  return v;
}

/**
 * Go's json.Marshal as templates meet it: maps with sorted keys, structs with their fields in
 * order, times as RFC 3339, and <, >, & and the line separators \u-escaped. NaN and infinities
 * are refused, as Go refuses them.
 */
export function marshalJSON(v: unknown): string {
  const json = JSON.stringify(toJSONValue(v)) ?? 'null';
  return json.replace(/[<>&\u2028\u2029]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0'));
}

function toJSONValue(v: unknown): unknown {
  if (v === undefined || v === null) return null;
  if (typeof v === 'number' && !Number.isFinite(v)) throw new Error(`json: unsupported value: ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'function') throw new Error('json: unsupported type: func');
  if (v instanceof SafeHTML || v instanceof SafeURL) return v.value;
  if (v instanceof Date) return rfc3339(v.getTime());
  if (v instanceof GoTime) return rfc3339(v.ms);
  if (Array.isArray(v)) return v.map(toJSONValue);
  if (typeof v === 'object') {
    const entries = kindOf(v) === 'map' ? sortedEntries(v) : Object.entries(v);
    return Object.fromEntries(entries.map(([k, e]) => [String(k), toJSONValue(e)]));
  }
  return v;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.000Z$/, 'Z').replace(/(\.\d*?)0+Z$/, '$1Z');
}
