// Go literals inside actions: numbers (ints, floats, hex, octal, binary, underscores) and quoted
// strings and runes with Go's escapes.

import { ParseError } from './errors.ts';

/** A Go number constant's value: an int (bigint) when written as an integer, otherwise a float64. */
export function numberValue(text: string, pos: number): number | bigint {
  if (text.endsWith('i')) throw new ParseError(`complex numbers are not supported: ${text}`, pos);
  const clean = text.replace(/_/g, '');
  let neg = false;
  let body = clean;
  if (body[0] === '+' || body[0] === '-') {
    neg = body[0] === '-';
    body = body.slice(1);
  }
  const isHex = /^0[xX]/.test(body);
  const isFloat = isHex ? /[.pP]/.test(body) : /[.eE]/.test(body);
  if (!isFloat) {
    let v: bigint;
    if (/^0[bBoOxX]/.test(body)) v = BigInt(body.toLowerCase());
    else if (/^0[0-7]+$/.test(body)) v = BigInt('0o' + body.slice(1));
    else if (/^[0-9]+$/.test(body)) v = BigInt(body);
    else throw new ParseError(`illegal number syntax: ${JSON.stringify(text)}`, pos);
    // Go keeps up to uint64 as a constant (and refuses more than int64 when it is used).
    if (v > 18446744073709551615n || (neg && v > 9223372036854775808n)) throw new ParseError(`integer overflow: ${JSON.stringify(text)}`, pos);
    return neg ? -v : v;
  }
  let f: number;
  if (isHex) f = parseHexFloat(body);
  else f = Number(body);
  if (Number.isNaN(f)) throw new ParseError(`illegal number syntax: ${JSON.stringify(text)}`, pos);
  return neg ? -f : f;
}

function parseHexFloat(body: string): number {
  const m = /^0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?[0-9]+)$/.exec(body);
  if (m === null) return NaN;
  const frac = m[2] ?? '';
  const mant = parseInt((m[1] + frac) || '0', 16);
  return mant * 2 ** (Number(m[3]) - 4 * frac.length);
}

const SIMPLE_ESCAPES: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** Go's strconv.Unquote for "..." (with Go's escapes), `...` raw strings. */
export function unquote(q: string, pos: number): string {
  if (q[0] === '`') return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  const bytes: number[] = [];
  const flushBytes = () => {
    if (bytes.length > 0) {
      out += new TextDecoder().decode(new Uint8Array(bytes));
      bytes.length = 0;
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      flushBytes();
      out += c;
      continue;
    }
    const e = body[++i];
    if (e in SIMPLE_ESCAPES && e !== "'") {
      flushBytes();
      out += SIMPLE_ESCAPES[e];
      continue;
    }
    const hexLen = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
    if (hexLen > 0) {
      const hex = body.slice(i + 1, i + 1 + hexLen);
      if (!new RegExp(`^[0-9a-fA-F]{${hexLen}}$`).test(hex)) throw new ParseError(`invalid syntax in string ${q}`, pos);
      i += hexLen;
      if (e === 'x') bytes.push(parseInt(hex, 16));
      else {
        flushBytes();
        const cp = parseInt(hex, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new ParseError(`invalid syntax in string ${q}`, pos);
        out += String.fromCodePoint(cp);
      }
      continue;
    }
    if (e !== undefined && /[0-7]/.test(e)) {
      const oct = body.slice(i, i + 3);
      if (!/^[0-7]{3}$/.test(oct) || parseInt(oct, 8) > 255) throw new ParseError(`invalid syntax in string ${q}`, pos);
      bytes.push(parseInt(oct, 8));
      i += 2;
      continue;
    }
    throw new ParseError(`invalid syntax in string ${q}`, pos);
  }
  flushBytes();
  return out;
}

export function unquoteChar(q: string, pos: number): number {
  const body = q.slice(1, -1);
  if (body.startsWith('\\')) {
    if (body === "\\'") return 39;
    if (body === '\\"') throw new ParseError(`malformed character constant: ${q}`, pos);
    const s = unquote(`"${body}"`, pos);
    return s.codePointAt(0)!;
  }
  const cps = [...body];
  if (cps.length !== 1) throw new ParseError(`malformed character constant: ${q}`, pos);
  return cps[0].codePointAt(0)!;
}

