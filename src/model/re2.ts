// label_replace and relabelling use Go's RE2 syntax and Go's Regexp.Expand for the replacement. JavaScript's
// regex dialect differs in the corners users actually hit: `(?P<name>...)` groups, `(?i)` flag
// groups, escaped punctuation such as `\-` or `\/`, literal `{`/`}`/`]`, POSIX classes, `\z`, `\Q..\E`.
// We translate RE2 source into an equivalent JavaScript pattern (with the `u` and `s` flags). What
// Go refuses is refused first, with Go's own error (re2syntax.ts), so the translation only ever
// sees valid RE2; what it still cannot express in JavaScript it refuses as unsupported.
import { checkRE2Syntax, UNICODE_CATEGORIES } from './re2syntax.ts';

const POSIX_CLASSES: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};

function hexEscape(ch: string): string {
  const cp = ch.codePointAt(0)!;
  return cp <= 0xff ? `\\x${cp.toString(16).padStart(2, '0')}` : `\\u{${cp.toString(16)}}`;
}

// RE2 takes any escaped ASCII character that is not a letter or digit as itself (`\-`, `\_`, `\ `).
function isAsciiPunct(ch: string): boolean {
  return ch.length === 1 && ch.charCodeAt(0) < 0x80 && !/[0-9A-Za-z]/.test(ch);
}

/** `[...]` contents for code point ranges [lo, hi] (sorted, disjoint). */
function rangesSource(ranges: [number, number][]): string {
  return ranges.map(([lo, hi]) => (lo === hi ? cp(lo) : `${cp(lo)}-${cp(hi)}`)).join('');
}

const cp = (c: number): string => `\\u{${c.toString(16)}}`;

/** The code points of a POSIX class's ASCII ranges that are not in it, up to U+10FFFF. */
function complementRanges(src: string): [number, number][] {
  const ranges: [number, number][] = [];
  // The class bodies above (`0-9A-Za-z`, `\x00-\x7F`, `\t `...) as code points and ranges.
  const units: number[] = [];
  for (let i = 0; i < src.length; ) {
    if (src[i] === '\\') {
      const e = src[i + 1];
      if (e === 'x') {
        units.push(parseInt(src.slice(i + 2, i + 4), 16));
        i += 4;
      } else {
        units.push({ t: 9, n: 10, v: 11, f: 12, r: 13 }[e as 't'] ?? e.charCodeAt(0));
        i += 2;
      }
    } else if (src[i] === '-' && units.length > 0 && i + 1 < src.length) {
      units.push(-1);
      i++;
    } else {
      units.push(src.charCodeAt(i));
      i++;
    }
  }
  const set: [number, number][] = [];
  for (let k = 0; k < units.length; k++) {
    if (units[k + 1] === -1) {
      set.push([units[k], units[k + 2]]);
      k += 2;
    } else set.push([units[k], units[k]]);
  }
  set.sort((a, b) => a[0] - b[0]);
  let next = 0;
  for (const [lo, hi] of set) {
    if (lo > next) ranges.push([next, lo - 1]);
    next = Math.max(next, hi + 1);
  }
  if (next <= 0x10ffff) ranges.push([next, 0x10ffff]);
  return ranges;
}

/**
 * A `\p{...}` class (known to Go) as JavaScript writes it: categories as they are, scripts as
 * `Script=...`, Any as every code point; `inClass` for use inside `[...]`.
 */
function unicodeClass(name: string, negated: boolean, inClass: boolean): string {
  if (name.startsWith('^')) {
    negated = !negated;
    name = name.slice(1);
  }
  if (name === 'Any') {
    if (inClass) return negated ? '' : '\\u{0}-\\u{10ffff}';
    return negated ? '[^\\u{0}-\\u{10ffff}]' : '[\\u{0}-\\u{10ffff}]';
  }
  const prop = UNICODE_CATEGORIES.has(name) ? name : `Script=${name}`;
  // Outside a class, negated as a class: under (?i) Go leaves out the case variants of the
  // class's characters too ((?i)\P{Lu} does not match `a`), as JavaScript does for [^...], not for \P.
  if (negated && !inClass) return `[^\\p{${prop}}]`;
  return `\\${negated ? 'P' : 'p'}{${prop}}`;
}

/**
 * Translates a valid RE2 pattern to JavaScript source (to be used with flags `su`). Throws
 * RE2SyntaxError, with Go's text, for a pattern Go refuses, and a plain Error for valid RE2 that
 * JavaScript cannot express (a group name starting with a digit or given twice).
 */
export function translateRE2(src: string, dotAll = true): string {
  checkRE2Syntax(src);
  return translateCheckedRE2(src, dotAll);
}

/**
 * translateRE2 for a pattern already checked with checkRE2Syntax (or one that encloses it).
 * `dotAll`: the caller compiles with the `s` flag. Without it (templates, where Go's `.` stops only
 * at `\n` unless `(?s)`), `.` also matches the other line terminators JavaScript's `.` skips.
 */
export function translateCheckedRE2(src: string, dotAll = true): string {
  // Go's only line terminator is \n; JavaScript's ^ and $ under m (and . without s) also stop at
  // \r, U+2028 and U+2029. Where (?m) may be on, ^ and $ carry a lookaround that keeps them at \n.
  const multiline = /\(\?[imsU-]*m/.test(src);
  let out = '';
  let i = 0;
  // For each open group: the flag groups `(?i)`-style modifiers opened inside it, which its close
  // (and any `|` at its level) must close too, and whether the U flag (ungreedy) is on in it —
  // JavaScript has no such flag, so each repetition's greediness is flipped instead.
  // `start`: where the group's `(` is in the output.
  interface Group { mods: string[]; ungreedy: boolean; start: number }
  const groupStack: Group[] = [{ mods: [], ungreedy: false, start: 0 }];
  const group = (): Group => groupStack[groupStack.length - 1];
  // The last operand written (an atom with its repetitions), for a repetition that follows flag
  // groups: in RE2 `x(?i)*` repeats x, and `x*(?i)+` repeats x* — in JavaScript the repetition
  // must go right after the operand, in a group when the operand is repeated already.
  let atomStart = -1;
  let atomEnd = -1;
  const atom = (text: string): void => {
    atomStart = out.length;
    out += text;
    atomEnd = out.length;
  };
  let inClass = false;
  let classStart = -1;
  // In a class: whether the last item was a single character, which a following `-` makes the
  // start of a range. Any other `-` is a literal, which JavaScript wants escaped (`[\d-z]`).
  let afterChar = false;
  let rangeEnd = false;
  const unsupported = (what: string): never => {
    throw new Error(`${what} is not supported`);
  };
  // Emits one class item, `single` when it is one character (a possible range start).
  const item = (text: string, single: boolean): void => {
    out += text;
    afterChar = single && !rangeEnd;
    rangeEnd = false;
  };
  // Assertions go in a group: RE2 lets them be repeated (`^*`), JavaScript only a group.
  const assertion = (text: string): void => atom(`(?:${text})`);
  while (i < src.length) {
    const ch = src[i];
    if (ch === '\\') {
      const e = src[i + 1];
      if (e === 'Q') {
        // \Q...\E: everything literal.
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        for (const c of lit) atom(isAsciiPunct(c) ? hexEscape(c) : c);
        i = end < 0 ? src.length : end + 2;
        continue;
      }
      if (isAsciiPunct(e)) {
        if (inClass) item(hexEscape(e), true);
        else atom(hexEscape(e));
        i += 2;
        continue;
      }
      let text: string;
      let single = false;
      switch (e) {
        // Text start and end whatever the flags: JavaScript's ^ and $ would follow (?m).
        case 'z':
          assertion('(?![\\s\\S])');
          i += 2;
          continue;
        case 'A':
          assertion('(?<![\\s\\S])');
          i += 2;
          continue;
        case 'b':
        case 'B':
          assertion(`\\${e}`);
          i += 2;
          continue;
        case 's':
          text = inClass ? '\\t\\n\\f\\r ' : '[\\t\\n\\f\\r ]';
          i += 2;
          break;
        case 'S':
          text = inClass ? '\\x00-\\x08\\x0b\\x0e-\\x1f\\x21-\\u{10ffff}' : '[^\\t\\n\\f\\r ]';
          i += 2;
          break;
        case 'p':
        case 'P': {
          let name: string;
          if (src[i + 2] === '{') {
            const end = src.indexOf('}', i + 3);
            name = src.slice(i + 3, end);
            i = end + 1;
          } else {
            name = String.fromCodePoint(src.codePointAt(i + 2)!);
            i += 2 + name.length;
          }
          text = unicodeClass(name, e === 'P', inClass);
          break;
        }
        case 'x': {
          let code: number;
          if (src[i + 2] === '{') {
            const end = src.indexOf('}', i + 3);
            code = parseInt(src.slice(i + 3, end), 16);
            i = end + 1;
          } else {
            code = parseInt(src.slice(i + 2, i + 4), 16);
            i += 4;
          }
          text = hexEscape(String.fromCodePoint(code));
          single = true;
          break;
        }
        case 'd': case 'D': case 'w': case 'W':
          text = `\\${e}`;
          i += 2;
          break;
        case 'n': case 't': case 'r': case 'f': case 'v': case 'a':
          text = e === 'a' ? '\\x07' : `\\${e}`;
          single = true;
          i += 2;
          break;
        default: {
          // Octal: \0 alone, or up to three digits (a lone \1-\7 would be a back-reference, which Go refuses).
          let j = i + 1;
          let digits = '';
          while (j < src.length && digits.length < 3 && src[j] >= '0' && src[j] <= '7') digits += src[j++];
          text = hexEscape(String.fromCodePoint(parseInt(digits, 8)));
          single = true;
          i = j;
        }
      }
      if (inClass) item(text, single);
      else atom(text);
      continue;
    }
    if (inClass) {
      if (ch === '[' && src[i + 1] === ':' && !rangeEnd) {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          let name = src.slice(i + 2, end);
          const negated = name.startsWith('^');
          if (negated) name = name.slice(1);
          const cls = POSIX_CLASSES[name];
          item(negated ? rangesSource(complementRanges(cls)) : cls, false);
          i = end + 2;
          continue;
        }
      }
      if (ch === ']' && i !== classStart) {
        inClass = false;
        out += ']';
        atomEnd = out.length;
        i++;
        continue;
      }
      if (ch === '-') {
        if (afterChar && i + 1 < src.length && src[i + 1] !== ']') {
          // A range: the next item is its end, not the start of another range.
          out += '-';
          afterChar = false;
          rangeEnd = true;
        } else item('\\-', true);
        i++;
        continue;
      }
      const c = String.fromCodePoint(src.codePointAt(i)!);
      item(c === ']' || c === '[' ? hexEscape(c) : c, true);
      i += c.length;
      continue;
    }
    switch (ch) {
      case '[': {
        inClass = true;
        afterChar = false;
        rangeEnd = false;
        atomStart = out.length;
        out += '[';
        i++;
        if (src[i] === '^') {
          out += '^';
          i++;
        }
        // A `]` right after the opening bracket is a literal in RE2.
        classStart = i;
        continue;
      }
      case ']':
      case '}':
        atom(hexEscape(ch));
        i++;
        continue;
      case '^':
      case '$':
        if (!multiline) assertion(ch);
        else assertion(ch === '^' ? '^(?<![^\\n])' : '$(?![^\\n])');
        i++;
        continue;
      case '*':
      case '+':
      case '?':
      case '{': {
        // A repeat as Go reads it (no leading zeros); any other `{` is a literal.
        const m = /^(?:[*+?]|\{(?:0|[1-9]\d*)(?:,(?:0|[1-9]\d*)?)?\})\??/.exec(src.slice(i));
        if (m === null) {
          atom('\\{');
          i++;
          continue;
        }
        i += m[0].length;
        let q = m[0];
        if (group().ungreedy) q = q.length > 1 && q.endsWith('?') ? q.slice(0, -1) : q + '?';
        if (out.length === atomEnd) out += q;
        else {
          // Only flag groups were opened since the operand (anything else would not be valid RE2).
          const operand = `(?:${out.slice(atomStart, atomEnd)})${q}`;
          out = out.slice(0, atomStart) + operand + out.slice(atomEnd);
          atomEnd = atomStart + operand.length;
          continue;
        }
        atomEnd = out.length;
        continue;
      }
      case '(': {
        if (src[i + 1] !== '?') {
          groupStack.push({ mods: [], ungreedy: group().ungreedy, start: out.length });
          out += '(';
          i++;
          continue;
        }
        const rest = src.slice(i + 2);
        const named = /^P?<([A-Za-z0-9_]+)>/.exec(rest);
        if (named !== null) {
          if (!/^[A-Za-z_]/.test(named[1])) unsupported(`a group name starting with a digit (${named[1]})`);
          groupStack.push({ mods: [], ungreedy: group().ungreedy, start: out.length });
          out += `(?<${named[1]}>`;
          i += 2 + named[0].length;
          continue;
        }
        const flags = /^([imsU]*)(?:-([imsU]*))?([:)])/.exec(rest)!;
        const on = flags[1];
        const off = flags[2] ?? '';
        const ungreedy = off.includes('U') ? false : on.includes('U') ? true : group().ungreedy;
        // As in Go a flag both set and cleared ends up cleared; JS rejects a flag named twice.
        const jsOn = [...new Set(on.replace(/U/g, ''))].filter((f) => !off.includes(f)).join('');
        const jsOff = [...new Set(off.replace(/U/g, ''))].join('');
        const mod = jsOn === '' && jsOff === '' ? '?:' : `?${jsOn}${jsOff !== '' ? '-' + jsOff : ''}:`;
        i += 2 + flags[0].length;
        if (flags[3] === ':') {
          groupStack.push({ mods: [], ungreedy, start: out.length });
          out += `(${mod}`;
          continue;
        }
        // `(?i)` applies to the rest of the enclosing group: open a group that closes with it.
        group().mods.push(mod);
        group().ungreedy = ungreedy;
        out += `(${mod}`;
        continue;
      }
      case ')': {
        const closed = groupStack.pop()!;
        out += ')'.repeat(closed.mods.length) + ')';
        atomStart = closed.start;
        atomEnd = out.length;
        i++;
        continue;
      }
      case '|': {
        // RE2 flags persist across `|` up to the end of the group, but the alternation must
        // not end up inside our flag group: close the flag groups, then reopen them.
        const open = group().mods;
        out += ')'.repeat(open.length) + '|' + open.map((mod) => `(${mod}`).join('');
        i++;
        continue;
      }
      default: {
        const c = String.fromCodePoint(src.codePointAt(i)!);
        if (c === '.' && !inClass && !dotAll) {
          atom('(?:.|[\\r\\u2028\\u2029])');
          i++;
          continue;
        }
        atom(c);
        i += c.length;
      }
    }
  }
  out += ')'.repeat(groupStack[0].mods.length);
  return out;
}

/**
 * Compiles exactly the pattern Go is given (anchors included, when the caller's reference adds
 * them): Go's error for what Go refuses, and a RegExp matching as Go's would for the rest. Valid
 * RE2 that Strata cannot run throws a plain Error saying so. `checked`: the caller has checked
 * the pattern (or what it wraps) already.
 */
export function compileRE2(pattern: string, checked = false): RegExp {
  if (!checked) checkRE2Syntax(pattern);
  try {
    return new RegExp(translateCheckedRE2(pattern), 'su');
  } catch (e) {
    // Valid RE2 (Go accepted it) that the JavaScript translation still gets wrong.
    throw new Error(`regular expression ${JSON.stringify(pattern)} is not supported: ${(e as Error).message}`);
  }
}

/**
 * Compiles a regex as Prometheus 3 compiles relabelling and label_replace regexes,
 * regexp.Compile("^(?s:" + re + ")$"): errors name the anchored pattern (`^(?s:()$`).
 */
export function compileAnchoredRE2(src: string): RegExp {
  return compileRE2(`^(?s:${src})$`);
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/**
 * Go's Regexp.Expand: `$1`, `${1}`, `$name`, `${name}` refer to groups (a name is the longest run
 * of letters, digits and `_`, so `$1x` means group "1x"); unknown or unmatched groups expand to
 * nothing; `$$` is a `$`; a `$` not followed by a valid reference stays literal.
 */
export function expandTemplate(template: string, m: RegExpExecArray): string {
  let out = '';
  let rest = template;
  for (;;) {
    const at = rest.indexOf('$');
    if (at < 0) break;
    out += rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (rest.startsWith('$')) {
      out += '$';
      rest = rest.slice(1);
      continue;
    }
    const ref = extractReference(rest);
    if (ref === null) {
      out += '$';
      continue;
    }
    rest = rest.slice(ref.length);
    if (ref.num >= 0) {
      if (ref.num < m.length && m[ref.num] !== undefined) out += m[ref.num];
    } else if (m.groups !== undefined) {
      const v = m.groups[ref.name];
      if (v !== undefined) out += v;
    }
  }
  return out + rest;
}

function extractReference(s: string): { name: string; num: number; length: number } | null {
  if (s === '') return null;
  let brace = false;
  let p = 0;
  if (s[0] === '{') {
    brace = true;
    p = 1;
  }
  let name = '';
  for (const ch of s.slice(p)) {
    if (!NAME_CHAR.test(ch)) break;
    name += ch;
  }
  if (name === '') return null;
  p += name.length;
  if (brace) {
    if (s[p] !== '}') return null;
    p++;
  }
  let num = 0;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + (c - 0x30);
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, length: p };
}
