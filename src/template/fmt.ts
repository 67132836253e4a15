// Go's fmt formatting as templates see it: %v of float64 is strconv's shortest 'g' (1e+06, 0.5,
// 1.2345e-05, +Inf; digits in float.ts), printf verbs with widths and flags, Sprint's spacing
// rules and strconv.Quote.

import { binaryFloat, formatFloat, hexFloat } from './float.ts';
import { GoDuration, GoTime } from './gotime.ts';
import { SafeHTML, SafeURL, isPlainObject, kindOf, sortedEntries, typeName } from './values.ts';

// --- quoting -------------------------------------------------------------------------------------

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S}]$/u;

function isPrint(ch: string): boolean {
  return ch === ' ' || PRINTABLE.test(ch);
}

const QUOTE_ESCAPES: Record<string, string> = { '\x07': '\\a', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v' };

/** strconv.Quote (asciiOnly: QuoteToASCII); quote is '"' or "'" (a rune literal). */
export function quote(s: string, asciiOnly = false, q = '"'): string {
  let out = q;
  for (const ch of s) {
    if (ch === q || ch === '\\') {
      out += '\\' + ch;
      continue;
    }
    const cp = ch.codePointAt(0)!;
    if (isPrint(ch) && (!asciiOnly || cp < 0x80)) {
      out += ch;
      continue;
    }
    if (QUOTE_ESCAPES[ch] !== undefined) out += QUOTE_ESCAPES[ch];
    else if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + q;
}

// --- values --------------------------------------------------------------------------------------

/** A value's String method result when it is a Go Stringer (time, duration, class with String()). */
function stringer(v: unknown): string | undefined {
  if (v instanceof Date) return GoTime.from(v).String();
  if (v instanceof GoTime || v instanceof GoDuration) return v.String();
  if (v instanceof Error) return v.message;
  if (typeof v === 'object' && v !== null && !Array.isArray(v) && !isPlainObject(v) && !(v instanceof Map)) {
    const s = (v as { String?: unknown }).String;
    if (typeof s === 'function') {
      const r = s.call(v);
      if (typeof r === 'string') return r;
    }
  }
  return undefined;
}

/** fmt's %v. */
export function formatValue(v: unknown): string {
  return formatArg(v, 'v', newSpec());
}

/** fmt.Sprint: operands separated by a space when neither side is a string. */
export function sprint(args: unknown[]): string {
  let out = '';
  for (let i = 0; i < args.length; i++) {
    const isString = kindOf(args[i]) === 'string';
    if (i > 0 && !isString && kindOf(args[i - 1]) !== 'string') out += ' ';
    out += formatValue(args[i]);
  }
  return out;
}

/** fmt.Sprintln: always separated by spaces, newline-terminated. */
export function sprintln(args: unknown[]): string {
  return args.map(formatValue).join(' ') + '\n';
}

interface Spec {
  minus: boolean;
  plus: boolean;
  space: boolean;
  zero: boolean;
  sharp: boolean;
  /** %+v: field names for structs; the + flag itself is off (%+v of 1.5 is "1.5"). */
  plusV: boolean;
  /** %#v: Go syntax ("x" quoted, []interface {}{1, "a"}); the # flag itself is off. */
  sharpV: boolean;
  width: number; // -1 absent
  prec: number; // -1 absent
}

function newSpec(): Spec {
  return { minus: false, plus: false, space: false, zero: false, sharp: false, plusV: false, sharpV: false, width: -1, prec: -1 };
}

/** Go's fmt pad: to the width, with zeros under the 0 flag (strings and bools too, as Go does). */
function pad(s: string, spec: Spec, zeroOk = true): string {
  if (spec.width < 0) return s;
  const n = spec.width - [...s].length;
  if (n <= 0) return s;
  if (spec.minus) return s + ' '.repeat(n);
  if (spec.zero && zeroOk) return '0'.repeat(n) + s;
  return ' '.repeat(n) + s;
}

/** A Go int: bigint only; a JS number is a float64 (printf "%d" of one prints "%!d(float64=3)", as in Go). */
function asInt(v: unknown): bigint | undefined {
  return typeof v === 'bigint' ? v : undefined;
}

/** "%!d(string=x)": the value printed with %v under the same flags and width. */
function badVerb(v: unknown, verb: string, spec: Spec = newSpec()): string {
  if (v === null || v === undefined) return `%!${verb}(<nil>)`;
  return `%!${verb}(${typeName(v)}=${formatArg(v, 'v', spec)})`;
}

/**
 * One operand under one verb, as fmt's printArg (depth 0) and printValue (inside slices, maps and
 * structs, where a nil element prints "<nil>" unpadded whatever the verb) do.
 */
function formatArg(v: unknown, verb: string, spec: Spec, depth = 0): string {
  if (v === null || v === undefined) {
    if (depth > 0) return spec.sharpV ? 'interface {}(nil)' : '<nil>';
    return verb === 'v' || verb === 'T' ? pad('<nil>', spec) : badVerb(v, verb, spec);
  }
  if (verb === 'T') return pad(typeName(v), spec);
  if (v instanceof SafeHTML || v instanceof SafeURL) return formatString(v.value, verb, spec) ?? badVerb(v, verb, spec);
  // %#v wants GoString, which only time.Time has here; the rest print their fields.
  if (spec.sharpV && (v instanceof GoTime || v instanceof Date)) return pad(GoTime.from(v).GoString(), spec);
  if (!spec.sharpV && 'vsxXq'.includes(verb)) {
    const s = stringer(v);
    if (s !== undefined) return formatString(s, verb, spec)!;
  }
  // A time.Duration is an int64 of nanoseconds to every verb its String method does not take.
  const i = v instanceof GoDuration ? v.ns : asInt(v);
  if (i !== undefined) return formatInt(i, verb, spec) ?? badVerb(v, verb, spec);
  switch (typeof v) {
    case 'boolean':
      return verb === 'v' || verb === 't' ? pad(String(v), spec) : badVerb(v, verb, spec);
    case 'number':
      return formatFloatVerb(v, verb, spec) ?? badVerb(v, verb, spec);
    case 'string':
      return formatString(v, verb, spec) ?? badVerb(v, verb, spec);
    case 'function':
      return verb === 'v' ? pad('<func>', spec) : badVerb(v, verb, spec);
  }
  if (Array.isArray(v)) {
    const elems = v.map((e) => formatArg(e, verb, spec, depth + 1));
    return spec.sharpV ? `${typeName(v)}{${elems.join(', ')}}` : `[${elems.join(' ')}]`;
  }
  if (typeof v === 'object') {
    if (v instanceof Map || isPlainObject(v)) {
      const pairs = sortedEntries(v).map(([k, e]) => formatArg(k, verb, spec, depth + 1) + ':' + formatArg(e, verb, spec, depth + 1));
      return spec.sharpV ? `${typeName(v)}{${pairs.join(', ')}}` : `map[${pairs.join(' ')}]`;
    }
    // A struct: its fields in order, named under %+v and %#v.
    const fields = Object.entries(v).map(([k, e]) => (spec.plusV || spec.sharpV ? k + ':' : '') + formatArg(e, verb, spec, depth + 1));
    return spec.sharpV ? `${typeName(v)}{${fields.join(', ')}}` : `{${fields.join(' ')}}`;
  }
  return badVerb(v, verb, spec);
}

function signed(body: string, neg: boolean, spec: Spec): string {
  return neg ? '-' + body : spec.plus ? '+' + body : spec.space ? ' ' + body : body;
}

function formatInt(i: bigint, verb: string, spec: Spec): string | undefined {
  const neg = i < 0n;
  const a = neg ? -i : i;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'v':
    case 'd':
      digits = a.toString();
      break;
    case 'x':
      digits = a.toString(16);
      if (spec.sharp) prefix = '0x';
      break;
    case 'X':
      digits = a.toString(16).toUpperCase();
      if (spec.sharp) prefix = '0X';
      break;
    case 'o':
      digits = a.toString(8);
      if (spec.sharp && digits[0] !== '0') prefix = '0';
      break;
    case 'O':
      digits = a.toString(8);
      prefix = '0o';
      break;
    case 'b':
      digits = a.toString(2);
      if (spec.sharp) prefix = '0b';
      break;
    case 'c':
      return pad(runeOf(i), spec);
    case 'q':
      return pad(quote(runeOf(i), spec.plus, "'"), spec);
    case 'U': {
      // Go prints the int's bits as unsigned: -1 is U+FFFFFFFFFFFFFFFF.
      const u = neg ? (1n << 64n) + i : i;
      const ch = u <= 0x10ffffn && !(u >= 0xd800n && u < 0xe000n) ? String.fromCodePoint(Number(u)) : '';
      const printable = spec.sharp && ch !== '' && isPrint(ch);
      return pad('U+' + u.toString(16).toUpperCase().padStart(4, '0') + (printable ? ` '${ch}'` : ''), spec, false);
    }
    default:
      return undefined;
  }
  // Precision is a minimum digit count; the 0 flag without precision pads to the width after the sign.
  let prec = spec.prec;
  if (prec < 0 && spec.zero && !spec.minus && spec.width > 0) {
    prec = spec.width - prefix.length;
    if (neg || spec.plus || spec.space) prec--;
  }
  if (prec === 0 && a === 0n) digits = '';
  if (prec > digits.length) digits = '0'.repeat(prec - digits.length) + digits;
  return pad(signed(prefix + digits, neg, spec), spec, false);
}

/** %c's character: not a Unicode code point (negative, a surrogate, past U+10FFFF) is U+FFFD, as Go writes it. */
function runeOf(i: bigint): string {
  return i < 0n || i > 0x10ffffn || (i >= 0xd800n && i < 0xe000n) ? '\ufffd' : String.fromCodePoint(Number(i));
}

function formatFloatVerb(x: number, verb: string, spec: Spec): string | undefined {
  let num: string;
  switch (verb) {
    case 'v':
      num = formatFloat(x, 'g', spec.prec);
      break;
    case 'e':
    case 'E':
    case 'f':
    case 'F':
      num = formatFloat(x, verb, spec.prec < 0 ? 6 : spec.prec);
      break;
    case 'g':
    case 'G':
      num = formatFloat(x, verb, spec.prec);
      break;
    case 'x':
    case 'X':
    case 'b':
      if (!Number.isFinite(x)) num = formatFloat(x, 'g', -1);
      else num = verb === 'b' ? binaryFloat(x) : hexFloat(x, verb === 'X', spec.prec);
      break;
    default:
      return undefined;
  }
  if (Number.isNaN(x)) {
    // NaN shows a sign only when asked for; never zero-padded.
    return pad(spec.plus ? '+NaN' : spec.space ? ' NaN' : 'NaN', spec, false);
  }
  if (!Number.isFinite(x)) {
    let s = num;
    if (x > 0 && !spec.plus && spec.space) s = ' Inf';
    return pad(s, spec, false);
  }
  if (spec.sharp && verb !== 'b') num = alternateFloat(num, verb, spec.prec);
  const neg = num[0] === '-';
  const body = neg ? num.slice(1) : num;
  const sign = neg ? '-' : spec.plus ? '+' : spec.space ? ' ' : '';
  if (spec.zero && !spec.minus && spec.width > sign.length + body.length) {
    return sign + '0'.repeat(spec.width - sign.length - body.length) + body;
  }
  return pad(sign + body, spec, false);
}

/**
 * The `#` flag on floats, as Go's fmtFloat: always a decimal point, and for %v, %g, %G and %x
 * trailing zeros up to the precision (6 when none is given). Go counts the digits from the first
 * nonzero character after the sign, and for %x the `x` of `0x` is one (%#x of 1.5 is 0x1.8000p+00).
 */
function alternateFloat(num: string, verb: string, prec: number): string {
  let digits = 'vgGx'.includes(verb) ? (prec < 0 ? 6 : prec) : 0;
  const sign = num[0] === '-' || num[0] === '+' ? num[0] : '';
  let body = num.slice(sign.length);
  let tail = '';
  let hasPoint = false;
  let sawNonzero = false;
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '.') hasPoint = true;
    else if (c === 'p' || c === 'P' || ((c === 'e' || c === 'E') && verb !== 'x' && verb !== 'X')) {
      tail = body.slice(i);
      body = body.slice(0, i);
      break;
    } else {
      if (c !== '0') sawNonzero = true;
      if (sawNonzero) digits--;
    }
  }
  if (!hasPoint) {
    if (body === '0') digits--;
    body += '.';
  }
  if (digits > 0) body += '0'.repeat(digits);
  return sign + body + tail;
}

function formatString(s: string, verb: string, spec: Spec): string | undefined {
  switch (verb) {
    case 'v':
    case 's': {
      const t = spec.prec >= 0 ? [...s].slice(0, spec.prec).join('') : s;
      return pad(verb === 'v' && spec.sharpV ? quote(t) : t, spec);
    }
    case 'q':
      if (spec.sharp && !s.includes('`') && [...s].every((c) => c === '\t' || (isPrint(c) && c !== '\ufeff'))) return pad('`' + s + '`', spec);
      return pad(quote(spec.prec >= 0 ? [...s].slice(0, spec.prec).join('') : s, spec.plus), spec);
    case 'x':
    case 'X': {
      let bytes = [...new TextEncoder().encode(s)];
      if (spec.prec >= 0) bytes = bytes.slice(0, spec.prec);
      // Nothing to encode: no 0x either, only the padding.
      if (bytes.length === 0) return pad('', spec, false);
      const hex = bytes.map((b) => {
        const h = b.toString(16).padStart(2, '0');
        return verb === 'X' ? h.toUpperCase() : h;
      });
      const pre = spec.sharp ? (verb === 'X' ? '0X' : '0x') : '';
      const out = spec.space ? hex.map((h) => pre + h).join(' ') : pre + hex.join('');
      return pad(out, spec);
    }
    default:
      return undefined;
  }
}

/** fmt.Sprintf. */
export function sprintf(format: string, args: unknown[]): string {
  let out = '';
  let argi = 0;
  let reordered = false;
  let i = 0;
  while (i < format.length) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const spec = newSpec();
    flags: while (i < format.length) {
      switch (format[i]) {
        case '-':
          spec.minus = true;
          spec.zero = false;
          break;
        case '+':
          spec.plus = true;
          break;
        case ' ':
          spec.space = true;
          break;
        case '0':
          spec.zero = !spec.minus;
          break;
        case '#':
          spec.sharp = true;
          break;
        default:
          break flags;
      }
      i++;
    }
    // An explicit argument index `[n]` may precede `*` and the verb.
    const argIndex = () => {
      const m = /^\[(\d+)\]/.exec(format.slice(i));
      if (m === null) return;
      i += m[0].length;
      const n = Number(m[1]);
      reordered = true;
      if (n < 1 || n > args.length) badIndex = true;
      else argi = n - 1;
    };
    let badIndex = false;
    argIndex();
    // Width: digits or `*` from the arguments.
    if (format[i] === '*') {
      i++;
      const w = argi < args.length ? intArg(args[argi++]) : undefined;
      if (w === undefined) out += '%!(BADWIDTH)';
      else {
        spec.width = Math.abs(w);
        if (w < 0) {
          spec.minus = true;
          spec.zero = false;
        }
      }
    } else {
      const m = /^[0-9]+/.exec(format.slice(i));
      if (m !== null) {
        spec.width = Number(m[0]);
        i += m[0].length;
      }
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const p = argi < args.length ? intArg(args[argi++]) : undefined;
        if (p === undefined) out += '%!(BADPREC)';
        else spec.prec = p < 0 ? -1 : p;
      } else {
        const m = /^[0-9]+/.exec(format.slice(i));
        spec.prec = m === null ? 0 : Number(m[0]);
        if (m !== null) i += m[0].length;
      }
    }
    argIndex();
    if (i >= format.length) {
      out += '%!(NOVERB)';
      break;
    }
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (badIndex) {
      out += `%!${verb}(BADINDEX)`;
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const arg = args[argi++];
    if (verb === 'v') {
      // As fmt's doPrintf: # and + mean Go syntax and field names under %v, not their usual selves.
      spec.sharpV = spec.sharp;
      spec.sharp = false;
      spec.plusV = spec.plus;
      spec.plus = false;
    }
    out += /[a-zA-Z]/.test(verb) ? formatArg(arg, verb, spec) : badVerb(arg, verb, spec);
  }
  if (!reordered && argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => (a === null || a === undefined ? '<nil>' : `${typeName(a)}=${formatValue(a)}`)).join(', ') + ')';
  }
  return out;
}

function intArg(v: unknown): number | undefined {
  return typeof v === 'bigint' ? Number(v) : undefined;
}

