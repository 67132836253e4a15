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

import { checkUTF8, isPerlClass, parseClass, parseEscape, parseRepeat, parseUnicodeClass, RE2_ERROR, RE2SyntaxError, runeAt } from './re2tokens.ts';

export { isUnicodeClassName, RE2_ERROR, RE2SyntaxError, UNICODE_CATEGORIES, UNICODE_SCRIPTS, type RE2ErrorCode } from './re2tokens.ts';

// Go's limits (regexp/syntax): counted repetitions, tree height, compiled size in instructions.
const MAX_REPEAT = 1000;
const MAX_HEIGHT = 1000;
const MAX_SIZE = Math.floor((128 << 20) / 40);

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
