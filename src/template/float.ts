// Float64 to decimal text as Go's strconv does it. Fixed-precision digits come from the exact
// binary value, rounded half to even, because JavaScript's toFixed/toPrecision round exact ties
// away from zero where Go does not (Go prints %.0f of 2.5 as "2", %.4g of 1234.5 as "1234").
// The shortest form uses JavaScript's own shortest round-trip digits, which are Go's too.

/** A decimal: value = 0.d × 10^dp, d without leading or trailing zeros ('' for zero). */
interface Decimal {
  d: string;
  dp: number;
}

function exactDecimal(x: number): Decimal {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const lo = view.getUint32(4);
  const biased = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let exp: number;
  if (biased === 0) exp = -1074;
  else {
    mant |= 1n << 52n;
    exp = biased - 1075;
  }
  let digits: string;
  let dp: number;
  if (exp >= 0) {
    digits = (mant << BigInt(exp)).toString();
    dp = digits.length;
  } else {
    digits = (mant * 5n ** BigInt(-exp)).toString();
    dp = digits.length + exp;
  }
  return trimDecimal(digits, dp);
}

function shortestDecimal(x: number): Decimal {
  // JavaScript's Number-to-String picks the shortest round-tripping digits, as Go's strconv does.
  const [mant, e] = x.toExponential().split('e');
  return trimDecimal(mant.replace('.', ''), Number(e) + 1);
}

function trimDecimal(digits: string, dp: number): Decimal {
  let start = 0;
  while (start < digits.length && digits[start] === '0') start++;
  let end = digits.length;
  while (end > start && digits[end - 1] === '0') end--;
  if (start === end) return { d: '', dp: 0 };
  return { d: digits.slice(start, end), dp: dp - start };
}

/** Keeps nd significant digits, rounding half to even on exact ties. */
function roundDecimal(dec: Decimal, nd: number): Decimal {
  const { d, dp } = dec;
  if (nd >= d.length) return dec;
  if (nd < 0) return { d: '', dp: 0 };
  const next = d[nd];
  let up: boolean;
  if (next > '5') up = true;
  else if (next < '5') up = false;
  else if (nd + 1 < d.length) up = true;
  else up = nd > 0 && (d.charCodeAt(nd - 1) - 48) % 2 === 1;
  if (!up) return trimDecimal(d.slice(0, nd), dp);
  let i = nd - 1;
  while (i >= 0 && d[i] === '9') i--;
  if (i < 0) return { d: '1', dp: dp + 1 };
  return trimDecimal(d.slice(0, i) + String.fromCharCode(d.charCodeAt(i) + 1), dp);
}

function digitsE(dec: Decimal, prec: number, e: string): string {
  let out = dec.d[0] ?? '0';
  if (prec > 0) {
    out += '.';
    for (let i = 1; i <= prec; i++) out += dec.d[i] ?? '0';
  }
  const exp = dec.d === '' ? 0 : dec.dp - 1;
  const a = Math.abs(exp);
  return out + e + (exp < 0 ? '-' : '+') + (a < 10 ? '0' + a : String(a));
}

function digitsF(dec: Decimal, prec: number): string {
  let out = '';
  if (dec.dp > 0) for (let i = 0; i < dec.dp; i++) out += dec.d[i] ?? '0';
  else out = '0';
  if (prec > 0) {
    out += '.';
    for (let i = 0; i < prec; i++) {
      const j = dec.dp + i;
      out += j >= 0 && j < dec.d.length ? dec.d[j] : '0';
    }
  }
  return out;
}

/** strconv.FormatFloat(x, fmt, prec, 64); prec -1 is the shortest representation. */
export function formatFloat(x: number, fmt: 'e' | 'E' | 'f' | 'F' | 'g' | 'G', prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const a = Math.abs(x);
  const shortest = prec < 0;
  let dec: Decimal = a === 0 ? { d: '', dp: 0 } : shortest ? shortestDecimal(a) : exactDecimal(a);
  let body: string;
  switch (fmt) {
    case 'e':
    case 'E':
      if (shortest) prec = Math.max(dec.d.length - 1, 0);
      else dec = roundDecimal(dec, prec + 1);
      body = digitsE(dec, prec, fmt);
      break;
    case 'f':
    case 'F':
      if (shortest) prec = Math.max(dec.d.length - dec.dp, 0);
      else dec = roundDecimal(dec, dec.dp + prec);
      body = digitsF(dec, prec);
      break;
    default: {
      let eprec: number;
      if (shortest) {
        prec = dec.d.length;
        eprec = 6;
      } else {
        if (prec === 0) prec = 1;
        dec = roundDecimal(dec, prec);
        eprec = prec;
        if (eprec > dec.d.length && dec.d.length >= dec.dp) eprec = dec.d.length;
      }
      const exp = dec.dp - 1;
      if (dec.d !== '' && (exp < -4 || exp >= eprec)) {
        if (prec > dec.d.length) prec = dec.d.length;
        body = digitsE(dec, Math.max(prec - 1, 0), fmt === 'G' ? 'E' : 'e');
      } else {
        if (prec > dec.dp) prec = dec.d.length;
        body = digitsF(dec, Math.max(prec - dec.dp, 0));
      }
    }
  }
  return neg ? '-' + body : body;
}

function floatBits(x: number): { neg: boolean; mant: bigint; exp: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const hi = view.getUint32(0);
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(view.getUint32(4));
  return { neg: hi >>> 31 === 1, mant: biased === 0 ? frac : frac | (1n << 52n), exp: (biased === 0 ? 1 : biased) - 1075 };
}

/** strconv's 'b' format: mantissa "p" binary exponent. */
export function binaryFloat(x: number): string {
  const { neg, mant, exp } = floatBits(x);
  return `${neg ? '-' : ''}${mant}p${exp >= 0 ? '+' : ''}${exp}`;
}

/** strconv's 'x' format with shortest precision: -0x1.fep+07. */
export function hexFloat(x: number, upper: boolean, prec = -1): string {
  const bits = floatBits(x);
  let { mant, exp } = bits;
  // As strconv's %x: the leading 1 at bit 60 of a 64-bit mantissa, rounded (half to even) to
  // prec hex digits when a precision is given; the exponent has at least two digits.
  const M64 = (1n << 64n) - 1n;
  let e = 0;
  if (mant !== 0n) {
    while (mant < 1n << 52n) {
      mant <<= 1n;
      exp--;
    }
    e = exp + 52;
    mant <<= 8n;
  }
  if (prec >= 0 && prec < 15) {
    const shift = BigInt(prec * 4);
    const extra = (mant << shift) & ((1n << 60n) - 1n);
    mant >>= 60n - shift;
    if ((extra | (mant & 1n)) > 1n << 59n) mant++;
    mant <<= 60n - shift;
    if ((mant & (1n << 61n)) !== 0n) {
      mant >>= 1n;
      e++;
    }
  }
  let s = '0x' + ((mant >> 60n) & 1n).toString();
  mant = (mant << 4n) & M64;
  const digit = (): string => {
    const d = ((mant >> 60n) & 15n).toString(16);
    mant = (mant << 4n) & M64;
    return d;
  };
  if (prec < 0 && mant !== 0n) {
    s += '.';
    while (mant !== 0n) s += digit();
  } else if (prec > 0) {
    s += '.';
    for (let i = 0; i < prec; i++) s += digit();
  }
  const a = Math.abs(e);
  s += `p${e < 0 ? '-' : '+'}${a < 10 ? '0' + a : a}`;
  if (upper) s = s.toUpperCase();
  return bits.neg ? '-' + s : s;
}

