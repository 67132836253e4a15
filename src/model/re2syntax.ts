// Which RE2 patterns Go's regexp/syntax refuses, and with which error. Prometheus and Alertmanager
// report a bad regex with Go's own text (`error parsing regexp: missing closing ): `(``), which
// names an error code and the fragment of the pattern it is about; users grep for those and tools
// match on them, so we reproduce them exactly rather than let JavaScript's RegExp errors through.
//
// The check walks the pattern as Go's parser does, keeping the same parse stack (operands, `(` and
// `|` markers) because several errors depend on it: whether a repetition has an operand, whether
// a `)` has its `(`, nested repetition counts, and the size and nesting limits of the parsed tree.
// It builds a shape of the tree (ops, sizes, heights), not the tree itself: matching is done by
// the JavaScript translation in re2.ts once the pattern is known to be valid.
//
// The behaviour followed is that of Go 1.22 to 1.24's parser (the grafana/regexp fork Prometheus 3
// links), with the Unicode tables of Go 1.25: `(?<name>...)` is a named group, an over-large
// pattern is "expression too large", `\p{...}` names are exact (no case-insensitive aliases).

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

// Go's limits (regexp/syntax): counted repetitions, tree height, compiled size in instructions.
const MAX_REPEAT = 1000;
const MAX_HEIGHT = 1000;
const MAX_SIZE = Math.floor((128 << 20) / 40);

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

// The shape of a parsed node: enough to apply Go's stack rules and its size and height limits.
type Op =
  | 'literal' | 'class' | 'any' | 'assert' | 'empty' | 'nomatch'
  | 'capture' | 'star' | 'plus' | 'quest' | 'repeat' | 'concat' | 'alternate'
  // Markers on the parse stack, never in a finished tree.
  | 'lparen' | 'vbar';

interface Node {
  op: Op;
  subs: Node[];
  /** Runes of a literal (1 for a single character). */
  runes: number;
  min: number;
  max: number;
  /** A `(` marker that opens a capturing group (named or not). */
  capture: boolean;
}

const isMarker = (n: Node): boolean => n.op === 'lparen' || n.op === 'vbar';
// Single characters and classes, which Go merges across `|` into one class.
const isCharClass = (n: Node): boolean => (n.op === 'literal' && n.runes === 1) || n.op === 'class' || n.op === 'any';

class Checker {
  private readonly whole: string;
  private stack: Node[] = [];
  // Go's allocation count (nodes reused from its free list are not counted) and the product of
  // the repetition counts seen: together they decide when Go starts computing sizes at all.
  private allocated = 0;
  private reusable = 0;
  private repeats = 1;
  private sizing = false;
  private heights = false;
  private readonly sizes = new Map<Node, number>();
  private readonly heightOf = new Map<Node, number>();

  constructor(whole: string) {
    this.whole = whole;
  }

  private node(op: Op, subs: Node[] = []): Node {
    if (this.reusable > 0) this.reusable--;
    else this.allocated++;
    return { op, subs, runes: 0, min: 0, max: 0, capture: false };
  }

  private reuse(): void {
    this.reusable++;
  }

  /** Go's checkLimits, thrown as its panic would be. */
  private checkLimits(n: Node): void {
    this.checkSize(n);
    this.checkHeight(n);
  }

  private checkSize(n: Node): void {
    if (!this.sizing) {
      if (n.op === 'repeat') {
        let k = n.max === -1 ? n.min : n.max;
        if (k <= 0) k = 1;
        this.repeats = k > Math.floor(MAX_SIZE / this.repeats) ? MAX_SIZE : this.repeats * k;
      }
      if (this.allocated < Math.floor(MAX_SIZE / this.repeats)) return;
      this.sizing = true;
      for (const s of this.stack) this.checkSize(s);
    }
    if (this.size(n, true) > MAX_SIZE) throw new RE2SyntaxError(RE2_ERROR.large, this.whole);
  }

  private size(n: Node, force: boolean): number {
    // Leaves need no memo (most nodes are literals; a map entry each would dominate the check).
    if (n.subs.length === 0) return Math.max(1, n.op === 'literal' ? n.runes : 0);
    if (!force) {
      const known = this.sizes.get(n);
      if (known !== undefined) return known;
    }
    let size = 0;
    switch (n.op) {
      case 'literal':
        size = n.runes;
        break;
      case 'capture':
      case 'star':
        size = 2 + this.size(n.subs[0], false);
        break;
      case 'plus':
      case 'quest':
        size = 1 + this.size(n.subs[0], false);
        break;
      case 'concat':
      case 'alternate':
        for (const s of n.subs) size += this.size(s, false);
        if (n.op === 'alternate' && n.subs.length > 1) size += n.subs.length - 1;
        break;
      case 'repeat': {
        const sub = this.size(n.subs[0], false);
        if (n.max === -1) size = n.min === 0 ? 2 + sub : 1 + n.min * sub;
        else size = n.max * sub + (n.max - n.min);
        break;
      }
      default:
        break;
    }
    size = Math.max(1, size);
    this.sizes.set(n, size);
    return size;
  }

  private checkHeight(n: Node): void {
    if (this.allocated < MAX_HEIGHT) return;
    if (!this.heights) {
      this.heights = true;
      for (const s of this.stack) this.checkHeight(s);
    }
    if (this.height(n, true) > MAX_HEIGHT) throw new RE2SyntaxError(RE2_ERROR.nestingDepth, this.whole);
  }

  private height(n: Node, force: boolean): number {
    if (n.subs.length === 0) return 1;
    if (!force) {
      const known = this.heightOf.get(n);
      if (known !== undefined) return known;
    }
    let h = 1;
    for (const s of n.subs) h = Math.max(h, 1 + this.height(s, false));
    this.heightOf.set(n, h);
    return h;
  }

  // Go merges a run of literal characters into one literal node as it pushes the next node.
  private mergeLiterals(): void {
    const n = this.stack.length;
    if (n < 2) return;
    const top = this.stack[n - 1];
    const below = this.stack[n - 2];
    if (top.op !== 'literal' || below.op !== 'literal') return;
    below.runes += top.runes;
    this.stack.pop();
    this.reuse();
  }

  push(n: Node): void {
    this.mergeLiterals();
    this.stack.push(n);
    this.checkLimits(n);
  }

  literal(): void {
    const n = this.node('literal');
    n.runes = 1;
    this.push(n);
  }

  op(op: Op): Node {
    const n = this.node(op);
    this.push(n);
    return n;
  }

  /** A repetition of the top of the stack; `from`..`to` is the operator, `lastRepeat` where the previous one began. */
  repeat(op: Op, min: number, max: number, from: number, to: number, lastRepeat: number): number {
    // A non-greedy `?` belongs to the operator.
    if (this.whole[to] === '?') to++;
    if (lastRepeat >= 0) throw new RE2SyntaxError(RE2_ERROR.invalidRepeatOp, this.whole.slice(lastRepeat, to));
    const n = this.stack.length;
    if (n === 0 || isMarker(this.stack[n - 1])) throw new RE2SyntaxError(RE2_ERROR.missingRepeatArgument, this.whole.slice(from, to));
    const r = this.node(op, [this.stack[n - 1]]);
    r.min = min;
    r.max = max;
    this.stack[n - 1] = r;
    this.checkLimits(r);
    if (op === 'repeat' && (min >= 2 || max >= 2) && !repeatIsValid(r, MAX_REPEAT)) {
      throw new RE2SyntaxError(RE2_ERROR.invalidRepeatSize, this.whole.slice(from, to));
    }
    return to;
  }

  private collapse(subs: Node[], op: 'concat' | 'alternate'): Node {
    if (subs.length === 1) return subs[0];
    const n = this.node(op);
    for (const s of subs) {
      if (s.op === op) {
        n.subs.push(...s.subs);
        this.reuse();
      } else n.subs.push(s);
    }
    return n;
  }

  /** Replaces the operands above the topmost marker with their concatenation. */
  concat(): void {
    this.mergeLiterals();
    let i = this.stack.length;
    while (i > 0 && !isMarker(this.stack[i - 1])) i--;
    const subs = this.stack.splice(i);
    this.push(subs.length === 0 ? this.node('empty') : this.collapse(subs, 'concat'));
  }

  /** Replaces the operands above the topmost `(` with their alternation. */
  alternate(): void {
    let i = this.stack.length;
    while (i > 0 && !isMarker(this.stack[i - 1])) i--;
    const subs = this.stack.splice(i);
    this.push(subs.length === 0 ? this.node('nomatch') : this.collapse(subs, 'alternate'));
  }

  /** Go's swapVerticalBar: moves the `|` marker above the operand just finished; reports whether there was one. */
  swapVerticalBar(): boolean {
    const n = this.stack.length;
    if (n >= 3 && this.stack[n - 2].op === 'vbar' && isCharClass(this.stack[n - 1]) && isCharClass(this.stack[n - 3])) {
      // Two single characters or classes either side of `|` become one class.
      const a = this.stack[n - 3];
      if (!(a.op === 'any' || this.stack[n - 1].op === 'any')) a.op = 'class';
      else a.op = 'any';
      a.runes = 0;
      this.stack.splice(n - 1, 1);
      this.reuse();
      return true;
    }
    if (n >= 2 && this.stack[n - 2].op === 'vbar') {
      [this.stack[n - 2], this.stack[n - 1]] = [this.stack[n - 1], this.stack[n - 2]];
      return true;
    }
    return false;
  }

  verticalBar(): void {
    this.concat();
    if (!this.swapVerticalBar()) this.op('vbar');
  }

  rightParen(): void {
    this.concat();
    if (this.swapVerticalBar()) this.stack.pop();
    this.alternate();
    const n = this.stack.length;
    if (n < 2) throw new RE2SyntaxError(RE2_ERROR.unexpectedParen, this.whole);
    const inner = this.stack[n - 1];
    const open = this.stack[n - 2];
    this.stack.length = n - 2;
    if (open.op !== 'lparen') throw new RE2SyntaxError(RE2_ERROR.unexpectedParen, this.whole);
    if (!open.capture) {
      this.push(inner);
      return;
    }
    open.op = 'capture';
    open.subs = [inner];
    this.push(open);
  }

  finish(): void {
    this.concat();
    if (this.swapVerticalBar()) this.stack.pop();
    this.alternate();
    if (this.stack.length !== 1) throw new RE2SyntaxError(RE2_ERROR.missingParen, this.whole);
  }
}

function repeatIsValid(n: Node, budget: number): boolean {
  if (n.op === 'repeat') {
    let m = n.max;
    if (m === 0) return true;
    if (m < 0) m = n.min;
    if (m > budget) return false;
    if (m > 0) budget = Math.floor(budget / m);
  }
  return n.subs.every((s) => repeatIsValid(s, budget));
}

const isAlnum = (c: string): boolean => /^[0-9A-Za-z]$/.test(c);
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '7';
const unhex = (c: string | undefined): number => (c !== undefined && /^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);

/**
 * The character at `i` as Go's nextRune reads it: a code point, or invalid UTF-8 for an unpaired
 * surrogate (the only form of it a JavaScript string can hold). Returns its length in UTF-16 units.
 */
function runeAt(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c <= 0xdbff) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d <= 0xdfff) return 2;
  }
  if (c >= 0xd800 && c <= 0xdfff) throw new RE2SyntaxError(RE2_ERROR.invalidUTF8, s.slice(i));
  return 1;
}

function checkUTF8(s: string): void {
  for (let i = 0; i < s.length; ) i += runeAt(s, i);
}

/** Go's parseRepeat at `{`: [min, max (-1: none), end] or null when it is a literal `{`. min -1: too big. */
function parseRepeat(s: string, i: number): [number, number, number] | null {
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
function parseEscape(s: string, i: number): number {
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
function parseUnicodeClass(s: string, i: number): number {
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

const isPerlClass = (s: string, i: number): boolean => s[i] === '\\' && /^[dDsSwW]$/.test(s[i + 1] ?? '');

/** Go's parseClass at `[`: the end of the class, or the error it is. */
function parseClass(s: string, start: number): number {
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

/** Go's parsePerlFlags at `(?`: the end of the group's opening, or the error it is. */
function parsePerlFlags(p: Checker, s: string, i: number): number {
  const named = s[i + 2] === 'P' && s[i + 3] === '<' && s.length - i > 4 ? i + 4 : s[i + 2] === '<' && s.length - i > 3 ? i + 3 : -1;
  if (named >= 0) {
    const end = s.indexOf('>', i);
    if (end < 0) {
      checkUTF8(s.slice(i));
      throw new RE2SyntaxError(RE2_ERROR.invalidNamedCapture, s.slice(i));
    }
    const name = s.slice(named, end);
    checkUTF8(name);
    if (!/^[A-Za-z0-9_]+$/.test(name)) throw new RE2SyntaxError(RE2_ERROR.invalidNamedCapture, s.slice(i, end + 1));
    p.op('lparen').capture = true;
    return end + 1;
  }
  let t = i + 2;
  let negated = false;
  let sawFlag = false;
  while (t < s.length) {
    const c = s[t];
    t += runeAt(s, t);
    if (c === 'i' || c === 'm' || c === 's' || c === 'U') {
      sawFlag = true;
      continue;
    }
    if (c === '-') {
      if (negated) break;
      negated = true;
      sawFlag = false;
      continue;
    }
    if (c === ':' || c === ')') {
      if (negated && !sawFlag) break;
      if (c === ':') p.op('lparen');
      return t;
    }
    break;
  }
  throw new RE2SyntaxError(RE2_ERROR.invalidPerlOp, s.slice(i, t));
}

/**
 * Checks `pattern` as Go's regexp/syntax.Parse(pattern, syntax.Perl) does and throws the
 * RE2SyntaxError it would return; returns normally for a pattern Go accepts.
 */
export function checkRE2Syntax(pattern: string): void {
  const s = pattern;
  const p = new Checker(s);
  let i = 0;
  let lastRepeat = -1;
  while (i < s.length) {
    let repeatAt = -1;
    const ch = s[i];
    switch (ch) {
      case '(':
        if (s[i + 1] === '?') i = parsePerlFlags(p, s, i);
        else {
          p.op('lparen').capture = true;
          i++;
        }
        break;
      case '|':
        p.verticalBar();
        i++;
        break;
      case ')':
        p.rightParen();
        i++;
        break;
      case '^':
      case '$':
        p.op('assert');
        i++;
        break;
      case '.':
        p.op('any');
        i++;
        break;
      case '[':
        i = parseClass(s, i);
        p.op('class');
        break;
      case '*':
      case '+':
      case '?':
        repeatAt = i;
        i = p.repeat(ch === '*' ? 'star' : ch === '+' ? 'plus' : 'quest', 0, 0, i, i + 1, lastRepeat);
        break;
      case '{': {
        const r = parseRepeat(s, i);
        if (r === null) {
          p.literal();
          i++;
          break;
        }
        const [min, max, end] = r;
        if (min < 0 || min > MAX_REPEAT || max > MAX_REPEAT || (max >= 0 && min > max)) {
          throw new RE2SyntaxError(RE2_ERROR.invalidRepeatSize, s.slice(i, end));
        }
        repeatAt = i;
        i = p.repeat('repeat', min, max, i, end, lastRepeat);
        break;
      }
      case '\\': {
        const e = s[i + 1];
        if (e === 'A' || e === 'b' || e === 'B' || e === 'z') {
          p.op('assert');
          i += 2;
          break;
        }
        if (e === 'C') throw new RE2SyntaxError(RE2_ERROR.invalidEscape, '\\C');
        if (e === 'Q') {
          // \Q...\E: all literal, up to \E or the end.
          const end = s.indexOf('\\E', i + 2);
          const lit = end < 0 ? s.slice(i + 2) : s.slice(i + 2, end);
          for (let k = 0; k < lit.length; ) {
            k += runeAt(lit, k);
            p.literal();
          }
          i = end < 0 ? s.length : end + 2;
          break;
        }
        if (e === 'p' || e === 'P') {
          i = parseUnicodeClass(s, i);
          p.op('class');
          break;
        }
        if (isPerlClass(s, i)) {
          p.op('class');
          i += 2;
          break;
        }
        i = parseEscape(s, i);
        p.literal();
        break;
      }
      default:
        i += runeAt(s, i);
        p.literal();
    }
    lastRepeat = repeatAt;
  }
  p.finish();
}

/** The RE2SyntaxError Go would return for `pattern`, or null when it is valid. */
export function re2SyntaxError(pattern: string): RE2SyntaxError | null {
  try {
    checkRE2Syntax(pattern);
    return null;
  } catch (e) {
    if (e instanceof RE2SyntaxError) return e;
    throw e;
  }
}
