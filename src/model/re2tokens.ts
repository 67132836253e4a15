// How Go's regexp/syntax parser reads each token of a pattern — escapes, character classes,
// repetition counts, Unicode and POSIX class names — and the errors (code and fragment) it
// reports there. re2syntax.ts applies them with Go's parse stack.

/** Go's syntax.ErrorCode texts. */
export const RE2_ERROR = {
  invalidCharClass: 'invalid character class',
  invalidCharRange: 'invalid character class range',
  invalidEscape: 'invalid escape sequence',
  invalidNamedCapture: 'invalid named capture',
  invalidPerlOp: 'invalid or unsupported Perl syntax',
  invalidRepeatOp: 'invalid nested repetition operator',
  invalidRepeatSize: 'invalid repeat count',
  invalidUTF8: 'invalid UTF-8',
  missingBracket: 'missing closing ]',
  missingParen: 'missing closing )',
  missingRepeatArgument: 'missing argument to repetition operator',
  trailingBackslash: 'trailing backslash at end of expression',
  unexpectedParen: 'unexpected )',
  nestingDepth: 'expression nests too deeply',
  large: 'expression too large',
} as const;

export type RE2ErrorCode = (typeof RE2_ERROR)[keyof typeof RE2_ERROR];

/** A pattern Go's regexp/syntax refuses; `message` is Go's *syntax.Error text. */
export class RE2SyntaxError extends Error {
  readonly code: RE2ErrorCode;
  /** The part of the pattern the error is about, as Go reports it. */
  readonly expr: string;

  constructor(code: RE2ErrorCode, expr: string) {
    super(`error parsing regexp: ${code}: \`${expr}\``);
    this.name = 'RE2SyntaxError';
    this.code = code;
    this.expr = expr;
  }
}

const POSIX_NAMES = new Set([
  'alnum', 'alpha', 'ascii', 'blank', 'cntrl', 'digit', 'graph', 'lower', 'print', 'punct', 'space', 'upper', 'word', 'xdigit',
]);

/** Go's unicode.Categories keys (Go 1.25 has Cn and LC too). */
export const UNICODE_CATEGORIES = new Set([
  'C', 'Cc', 'Cf', 'Cn', 'Co', 'Cs', 'L', 'LC', 'Ll', 'Lm', 'Lo', 'Lt', 'Lu', 'M', 'Mc', 'Me', 'Mn', 'N', 'Nd', 'Nl', 'No',
  'P', 'Pc', 'Pd', 'Pe', 'Pf', 'Pi', 'Po', 'Ps', 'S', 'Sc', 'Sk', 'Sm', 'So', 'Z', 'Zl', 'Zp', 'Zs',
]);

/** Go's unicode.Scripts keys (Unicode 15.0.0): JavaScript knows them as `\p{Script=...}`. */
export const UNICODE_SCRIPTS = new Set(
  ('Adlam Ahom Anatolian_Hieroglyphs Arabic Armenian Avestan Balinese Bamum Bassa_Vah Batak Bengali Bhaiksuki Bopomofo '
    + 'Brahmi Braille Buginese Buhid Canadian_Aboriginal Carian Caucasian_Albanian Chakma Cham Cherokee Chorasmian Common '
    + 'Coptic Cuneiform Cypriot Cypro_Minoan Cyrillic Deseret Devanagari Dives_Akuru Dogra Duployan Egyptian_Hieroglyphs '
    + 'Elbasan Elymaic Ethiopic Georgian Glagolitic Gothic Grantha Greek Gujarati Gunjala_Gondi Gurmukhi Han Hangul '
    + 'Hanifi_Rohingya Hanunoo Hatran Hebrew Hiragana Imperial_Aramaic Inherited Inscriptional_Pahlavi Inscriptional_Parthian '
    + 'Javanese Kaithi Kannada Katakana Kawi Kayah_Li Kharoshthi Khitan_Small_Script Khmer Khojki Khudawadi Lao Latin Lepcha '
    + 'Limbu Linear_A Linear_B Lisu Lycian Lydian Mahajani Makasar Malayalam Mandaic Manichaean Marchen Masaram_Gondi '
    + 'Medefaidrin Meetei_Mayek Mende_Kikakui Meroitic_Cursive Meroitic_Hieroglyphs Miao Modi Mongolian Mro Multani Myanmar '
    + 'Nabataean Nag_Mundari Nandinagari New_Tai_Lue Newa Nko Nushu Nyiakeng_Puachue_Hmong Ogham Ol_Chiki Old_Hungarian '
    + 'Old_Italic Old_North_Arabian Old_Permic Old_Persian Old_Sogdian Old_South_Arabian Old_Turkic Old_Uyghur Oriya Osage '
    + 'Osmanya Pahawh_Hmong Palmyrene Pau_Cin_Hau Phags_Pa Phoenician Psalter_Pahlavi Rejang Runic Samaritan Saurashtra '
    + 'Sharada Shavian Siddham SignWriting Sinhala Sogdian Sora_Sompeng Soyombo Sundanese Syloti_Nagri Syriac Tagalog '
    + 'Tagbanwa Tai_Le Tai_Tham Tai_Viet Takri Tamil Tangsa Tangut Telugu Thaana Thai Tibetan Tifinagh Tirhuta Toto Ugaritic '
    + 'Vai Vithkuqi Wancho Warang_Citi Yezidi Yi Zanabazar_Square').split(' '),
);

/** Whether `\p{name}` names a class Go knows ("Any", a category or a script). */
export function isUnicodeClassName(name: string): boolean {
  return name === 'Any' || UNICODE_CATEGORIES.has(name) || UNICODE_SCRIPTS.has(name);
}

const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const unhex = (c: string | undefined): number => (c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);

/**
 * The character at `i` as Go's nextRune reads it: a code point, or invalid UTF-8 for an unpaired
 * surrogate (the only form of it a JavaScript string can hold). Returns its length in UTF-16 units.
 */
export function runeAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  if (c >= 0xd800 && c <= 0xdfff) throw new RE2SyntaxError(RE2_ERROR.invalidUTF8, s.slice(i));
  return 1;
}

export function checkUTF8(s: string): void {
  for (let i = 0; i < s.length; ) i += runeAt(s, i);
}

/** Go's parseRepeat at `{`: [min, max (-1: none), end] or null when it is a literal `{`. min -1: too big. */
export function parseRepeat(s: string, i: number): [number, number, number] | null {
  const int = (at: number): [number, number] | null => {
    if (!(s[at] >= '0' && s[at] <= '9')) return null;
    if (s[at] === '0' && s[at + 1] >= '0' && s[at + 1] <= '9') return null; // no leading zeros
    let j = at;
    let n = 0;
    while (s[j] >= '0' && s[j] <= '9') {
      if (n >= 0) n = n >= 1e8 ? -1 : n * 10 + (s.charCodeAt(j) - 0x30);
      j++;
    }
    return [n, j];
  };
  const lo = int(i + 1);
  if (lo === null) return null;
  let [min, j] = lo;
  let max = min;
  if (j >= s.length) return null;
  if (s[j] === ',') {
    j++;
    if (j >= s.length) return null;
    if (s[j] === '}') max = -1;
    else {
      const hi = int(j);
      if (hi === null) return null;
      [max, j] = hi;
      if (max < 0) min = -1;
    }
  }
  if (s[j] !== '}') return null;
  return [min, max, j + 1];
}

/** Go's parseEscape at a backslash: the end of the escape, or the error it is. */
export function parseEscape(s: string, i: number): number {
  if (i + 1 >= s.length) throw new RE2SyntaxError(RE2_ERROR.trailingBackslash, '');
  let t = i + 1;
  const c = s[t];
  t += runeAt(s, t);
  const bad = (end: number): never => {
    throw new RE2SyntaxError(RE2_ERROR.invalidEscape, s.slice(i, end));
  };
  switch (c) {
    case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7':
      // Up to three octal digits; a single non-zero digit would be a back-reference.
      if (c !== '0' && !isOctal(s[t])) return bad(t);
      for (let k = 1; k < 3 && isOctal(s[t]); k++) t++;
      return t;
    case 'x': {
      if (t >= s.length) return bad(t);
      const d = s[t];
      t += runeAt(s, t);
      if (d === '{') {
        let digits = 0;
        let value = 0;
        for (;;) {
          if (t >= s.length) return bad(t);
          const h = s[t];
          t += runeAt(s, t);
          if (h === '}') break;
          const v = unhex(h);
          if (v < 0) return bad(t);
          value = value * 16 + v;
          if (value > 0x10ffff) return bad(t);
          digits++;
        }
        return digits === 0 ? bad(t) : t;
      }
      // Two hex digits; Go reads the second character even when the first is not one.
      const x = unhex(d);
      let y = -1;
      if (t < s.length) {
        y = unhex(s[t]);
        t += runeAt(s, t);
      }
      return x < 0 || y < 0 ? bad(t) : t;
    }
    case 'a': case 'f': case 'n': case 'r': case 't': case 'v':
      return t;
    default:
      // Escaped punctuation is itself; letters and digits not named above are errors.
      if (c.charCodeAt(0) < 0x80 && !isAlnum(c)) return t;
      return bad(t);
  }
}

/** Go's parseUnicodeClass at `\p`/`\P`: the end of the class, or the error it is. */
export function parseUnicodeClass(s: string, i: number): number {
  let t = i + 2;
  let seq: string;
  let name: string;
  if (s[t] !== '{') {
    // A one-letter name (`\pL`); Go reads an empty rest as a name that is no class.
    if (t < s.length) t += runeAt(s, t);
    seq = s.slice(i, t);
    name = s.slice(i + 2, t);
  } else {
    const end = s.indexOf('}', i);
    if (end < 0) {
      checkUTF8(s.slice(i));
      throw new RE2SyntaxError(RE2_ERROR.invalidCharRange, s.slice(i));
    }
    seq = s.slice(i, end + 1);
    name = s.slice(i + 3, end);
    checkUTF8(name);
    t = end + 1;
  }
  if (name.startsWith('^')) name = name.slice(1);
  if (!isUnicodeClassName(name)) throw new RE2SyntaxError(RE2_ERROR.invalidCharRange, seq);
  return t;
}

export const isPerlClass = (s: string, i: number): boolean => s[i] === '\\' && /^[dDsSwW]$/.test(s[i + 1] ?? '');

/** Go's parseClass at `[`: the end of the class, or the error it is. */
export function parseClass(s: string, start: number): number {
  let t = start + 1;
  if (s[t] === '^') t++;
  const classChar = (at: number): [string, number] => {
    if (at >= s.length) throw new RE2SyntaxError(RE2_ERROR.missingBracket, s.slice(start));
    if (s[at] === '\\') {
      const end = parseEscape(s, at);
      return [escapeValue(s.slice(at, end)), end];
    }
    const n = runeAt(s, at);
    return [s.slice(at, at + n), at + n];
  };
  let first = true; // `]` right after `[` or `[^` is a literal
  while (t >= s.length || s[t] !== ']' || first) {
    first = false;
    if (s[t] === '[' && s[t + 1] === ':' && t + 2 < s.length) {
      const close = s.indexOf(':]', t + 2);
      if (close >= 0) {
        const name = s.slice(t, close + 2);
        const inner = name.slice(2, -2);
        if (!POSIX_NAMES.has(inner.startsWith('^') ? inner.slice(1) : inner)) throw new RE2SyntaxError(RE2_ERROR.invalidCharRange, name);
        t = close + 2;
        continue;
      }
    }
    if (s[t] === '\\' && (s[t + 1] === 'p' || s[t + 1] === 'P')) {
      t = parseUnicodeClass(s, t);
      continue;
    }
    if (isPerlClass(s, t)) {
      t += 2;
      continue;
    }
    const from = t;
    const [lo, afterLo] = classChar(t);
    t = afterLo;
    // `[a-]` is `a` or `-`.
    if (t + 1 < s.length && s[t] === '-' && s[t + 1] !== ']') {
      const [hi, afterHi] = classChar(t + 1);
      t = afterHi;
      if (hi.codePointAt(0)! < lo.codePointAt(0)!) throw new RE2SyntaxError(RE2_ERROR.invalidCharRange, s.slice(from, t));
    }
  }
  return t + 1;
}

/** The character a valid escape (as parseEscape accepts it) stands for. */
function escapeValue(esc: string): string {
  const c = esc[1];
  switch (c) {
    case 'a': return '\x07';
    case 'f': return '\f';
    case 'n': return '\n';
    case 'r': return '\r';
    case 't': return '\t';
    case 'v': return '\v';
    case 'x': {
      const hex = esc[2] === '{' ? esc.slice(3, -1) : esc.slice(2);
      return String.fromCodePoint(parseInt(hex, 16));
    }
    default:
      if (c >= '0' && c <= '7') return String.fromCodePoint(parseInt(esc.slice(1), 8));
      return c;
  }
}
