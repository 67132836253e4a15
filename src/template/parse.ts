// The parser: tokens to a tree, with Go's rules checked at load time (unknown functions, undefined
// variables, misplaced else/end/break) so that a template that parses will not fail on syntax later.

import { ParseError } from './errors.ts';
import { LexError, lex, type Token } from './lex.ts';
import { numberValue, unquote, unquoteChar } from './literals.ts';

export type Node =
  | ListNode
  | TextNode
  | ActionNode
  | IfNode
  | RangeNode
  | WithNode
  | TemplateNode
  | BreakNode
  | ContinueNode;

export type ArgNode =
  | FieldNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | IdentifierNode
  | ChainNode
  | PipeNode;

export interface ListNode { type: 'list'; pos: number; nodes: Node[] }
export interface TextNode { type: 'text'; pos: number; text: string }
export interface ActionNode { type: 'action'; pos: number; pipe: PipeNode }
export interface BranchFields { pos: number; pipe: PipeNode; list: ListNode; elseList: ListNode | null }
export interface IfNode extends BranchFields { type: 'if' }
export interface RangeNode extends BranchFields { type: 'range' }
export interface WithNode extends BranchFields { type: 'with' }
export interface TemplateNode { type: 'template'; pos: number; name: string; pipe: PipeNode | null }
export interface BreakNode { type: 'break'; pos: number }
export interface ContinueNode { type: 'continue'; pos: number }

export interface PipeNode { type: 'pipe'; pos: number; decl: string[]; isAssign: boolean; cmds: CommandNode[] }
export interface CommandNode { type: 'command'; pos: number; args: ArgNode[] }
export interface FieldNode { type: 'field'; pos: number; idents: string[] }
/** `$x.A.B`: idents[0] is the variable name (with `$`). */
export interface VariableNode { type: 'variable'; pos: number; idents: string[] }
export interface DotNode { type: 'dot'; pos: number }
export interface NilNode { type: 'nil'; pos: number }
export interface BoolNode { type: 'bool'; pos: number; value: boolean }
/** A Go number constant: an int (bigint) when written as an integer, otherwise a float64. */
export interface NumberNode { type: 'number'; pos: number; text: string; value: number | bigint }
export interface StringNode { type: 'string'; pos: number; quoted: string; text: string }
export interface IdentifierNode { type: 'identifier'; pos: number; name: string }
export interface ChainNode { type: 'chain'; pos: number; node: ArgNode; fields: string[] }

export interface Tree {
  name: string;
  root: ListNode;
  /** The source, kept for turning positions into line:column. */
  text: string;
}


/** The result of parsing one source text: its main tree and the `define`d (and `block`) trees. */
export interface ParseResult {
  main: Tree;
  defined: Tree[];
}

export function parseTemplate(name: string, text: string, isFunc: (name: string) => boolean): ParseResult {
  let tokens: Token[];
  try {
    tokens = lex(text);
  } catch (e) {
    if (e instanceof LexError) throw new ParseError(e.message, e.pos);
    throw e;
  }
  const p = new Parser(name, text, tokens, isFunc);
  return p.parseAll();
}

type Stop = 'end' | 'else' | 'eof';

class Parser {
  private i = 0;
  private readonly defined: Tree[] = [];
  private vars: string[] = ['$'];
  private rangeDepth = 0;
  private readonly name: string;
  private readonly text: string;
  private readonly tokens: Token[];
  private readonly isFunc: (name: string) => boolean;

  constructor(name: string, text: string, tokens: Token[], isFunc: (name: string) => boolean) {
    this.name = name;
    this.text = text;
    this.tokens = tokens;
    this.isFunc = isFunc;
  }

  parseAll(): ParseResult {
    const root: ListNode = { type: 'list', pos: 0, nodes: [] };
    for (;;) {
      const t = this.peek();
      if (t.kind === 'eof') break;
      if (t.kind === 'leftDelim' && this.peekAfterDelim().kind === 'keyword' && this.peekAfterDelim().value === 'define') {
        this.parseDefine();
        continue;
      }
      const [node, stop] = this.parseNode(true);
      if (stop !== null) throw new ParseError(`unexpected {{${stop.word}}}`, stop.pos);
      if (node !== null) root.nodes.push(node);
    }
    return { main: { name: this.name, root, text: this.text }, defined: this.defined };
  }

  // --- token helpers -------------------------------------------------------------------------

  private peek(): Token {
    return this.tokens[this.i];
  }

  private next(): Token {
    return this.tokens[this.i++];
  }

  /** The first non-space token after the current `{{`. */
  private peekAfterDelim(): Token {
    let j = this.i + 1;
    while (this.tokens[j].kind === 'space') j++;
    return this.tokens[j];
  }

  private skipSpace(): void {
    while (this.peek().kind === 'space') this.i++;
  }

  /** Next non-space token. */
  private nextNonSpace(): Token {
    this.skipSpace();
    return this.next();
  }

  private peekNonSpace(): Token {
    this.skipSpace();
    return this.peek();
  }

  private expect(kind: Token['kind'], context: string): Token {
    const t = this.nextNonSpace();
    if (t.kind !== kind) throw new ParseError(`unexpected ${describe(t)} in ${context}`, t.pos);
    return t;
  }

  // --- structure -----------------------------------------------------------------------------

  private parseDefine(): void {
    this.next(); // {{
    this.nextNonSpace(); // define
    const nameTok = this.nextNonSpace();
    if (nameTok.kind !== 'string' && nameTok.kind !== 'rawString') throw new ParseError(`unexpected ${describe(nameTok)} in define clause`, nameTok.pos);
    const name = unquote(nameTok.value, nameTok.pos);
    this.expect('rightDelim', 'define clause');
    const savedVars = this.vars;
    this.vars = ['$'];
    const [list, stop] = this.parseList(new Set(['end']));
    this.vars = savedVars;
    if (stop.word !== 'end') throw new ParseError(`unexpected EOF`, stop.pos);
    this.addDefined({ name, root: list, text: this.text }, nameTok.pos);
  }

  /** Two non-empty definitions of one name in one text are an error, as in Go. */
  private addDefined(tree: Tree, pos: number): void {
    const prev = this.defined.findIndex((t) => t.name === tree.name);
    if (prev < 0) this.defined.push(tree);
    else if (isEmptyTree(this.defined[prev].root)) this.defined[prev] = tree;
    else if (!isEmptyTree(tree.root)) throw new ParseError(`template: multiple definition of template "${tree.name}"`, pos);
  }

  /**
   * Parses nodes until one of the stop keywords (`end`, `else`) or EOF; returns the list and what
   * stopped it. An `else` stop leaves the parser right after `else` so the caller can read `if`/`with`.
   */
  private parseList(stops: Set<string>): [ListNode, { word: Stop; pos: number }] {
    const list: ListNode = { type: 'list', pos: this.peek().pos, nodes: [] };
    for (;;) {
      if (this.peek().kind === 'eof') return [list, { word: 'eof', pos: this.peek().pos }];
      const [node, stop] = this.parseNode(false);
      if (stop !== null) {
        if (!stops.has(stop.word)) throw new ParseError(`unexpected {{${stop.word}}}`, stop.pos);
        return [list, stop];
      }
      if (node !== null) list.nodes.push(node);
    }
  }

  /** One text or action. Returns a stop marker for `{{end}}` / `{{else ...` instead of a node. */
  private parseNode(topLevel: boolean): [Node | null, { word: Stop; pos: number } | null] {
    const t = this.next();
    if (t.kind === 'text') return [{ type: 'text', pos: t.pos, text: t.value }, null];
    if (t.kind !== 'leftDelim') throw new ParseError(`unexpected ${describe(t)}`, t.pos);
    const first = this.peekNonSpace();
    if (first.kind === 'comment') {
      this.next();
      this.expect('rightDelim', 'comment');
      return [null, null];
    }
    if (first.kind === 'keyword') {
      this.next();
      switch (first.value) {
        case 'end':
          this.expect('rightDelim', 'end');
          return [null, { word: 'end', pos: first.pos }];
        case 'else':
          return [null, { word: 'else', pos: first.pos }];
        case 'if':
        case 'with':
        case 'range':
          return [this.parseBranch(first.value, t.pos), null];
        case 'template':
          return [this.parseTemplateCall(t.pos, 'template'), null];
        case 'block':
          return [this.parseBlock(t.pos), null];
        case 'break':
        case 'continue':
          if (this.rangeDepth === 0) throw new ParseError(`{{${first.value}}} outside {{range}}`, first.pos);
          this.expect('rightDelim', first.value);
          return [{ type: first.value, pos: first.pos }, null];
        case 'define':
          if (!topLevel) throw new ParseError('define clause must be at top level', first.pos);
          throw new ParseError('unexpected define', first.pos);
      }
    }
    const pipe = this.parsePipeline('command', true);
    return [{ type: 'action', pos: t.pos, pipe }, null];
  }

  private parseBranch(kind: 'if' | 'with' | 'range', pos: number): Node {
    const savedVars = this.vars.length;
    const pipe = this.parsePipeline(kind, true);
    if (kind === 'range') this.rangeDepth++;
    const [list, stop] = this.parseList(new Set(['end', 'else']));
    if (kind === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (stop.word === 'eof') throw new ParseError('unexpected EOF', stop.pos);
    if (stop.word === 'else') {
      const after = this.peekNonSpace();
      if (after.kind === 'keyword' && ((after.value === 'if' && kind === 'if') || (after.value === 'with' && kind === 'with'))) {
        // `{{else if x}}` is `{{else}}{{if x}}...{{end}}{{end}}`: the nested branch consumes the shared {{end}}.
        this.next();
        const nested = this.parseBranch(kind, after.pos) as IfNode | WithNode;
        elseList = { type: 'list', pos: after.pos, nodes: [nested] };
      } else {
        this.expect('rightDelim', 'else');
        const [els, stop2] = this.parseList(new Set(['end']));
        if (stop2.word !== 'end') throw new ParseError('unexpected EOF', stop2.pos);
        elseList = els;
      }
    }
    this.vars.length = savedVars;
    return { type: kind, pos, pipe, list, elseList } as Node;
  }

  private parseTemplateCall(pos: number, context: string): TemplateNode {
    const nameTok = this.nextNonSpace();
    if (nameTok.kind !== 'string' && nameTok.kind !== 'rawString') throw new ParseError(`unexpected ${describe(nameTok)} in ${context} clause`, nameTok.pos);
    const name = unquote(nameTok.value, nameTok.pos);
    let pipe: PipeNode | null = null;
    if (this.peekNonSpace().kind !== 'rightDelim') pipe = this.parsePipeline(context, false);
    else this.next();
    return { type: 'template', pos: nameTok.pos, name, pipe };
  }

  private parseBlock(pos: number): TemplateNode {
    const call = this.parseTemplateCall(pos, 'block');
    const savedVars = this.vars;
    this.vars = ['$'];
    const [list, stop] = this.parseList(new Set(['end']));
    this.vars = savedVars;
    if (stop.word !== 'end') throw new ParseError('unexpected EOF', stop.pos);
    this.addDefined({ name: call.name, root: list, text: this.text }, call.pos);
    return call;
  }

  // --- pipelines -----------------------------------------------------------------------------

  /** Parses a pipeline up to and including the closing `}}` (or `)` when parenthesised). */
  private parsePipeline(context: string, allowDecl: boolean, end: 'rightDelim' | 'rightParen' = 'rightDelim'): PipeNode {
    const start = this.peekNonSpace();
    const pipe: PipeNode = { type: 'pipe', pos: start.pos, decl: [], isAssign: false, cmds: [] };
    if (allowDecl && start.kind === 'variable') this.parseDeclaration(pipe, context);
    for (;;) {
      const t = this.peekNonSpace();
      if (t.kind === end) {
        this.next();
        break;
      }
      if (t.kind === 'rightDelim' || t.kind === 'rightParen' || t.kind === 'eof') throw new ParseError(`unexpected ${describe(t)} in ${context}`, t.pos);
      pipe.cmds.push(this.parseCommand(context));
      const after = this.peekNonSpace();
      if (after.kind === 'pipe') {
        this.next();
        if (this.peekNonSpace().kind === end) throw new ParseError(`missing command after |`, after.pos);
        continue;
      }
      if (after.kind !== end) throw new ParseError(`unexpected ${describe(after)} in operand`, after.pos);
    }
    if (pipe.cmds.length === 0) throw new ParseError(`missing value for ${context}`, start.pos);
    for (let k = 1; k < pipe.cmds.length; k++) {
      const a = pipe.cmds[k].args[0];
      if (a.type === 'bool' || a.type === 'dot' || a.type === 'nil' || a.type === 'number' || a.type === 'string') {
        throw new ParseError(`non executable command in pipeline stage ${k + 1}`, a.pos);
      }
    }
    return pipe;
  }

  /** `$x :=`, `$x =`, or in range `$i, $e :=`. Backtracks when the variable is just an operand. */
  private parseDeclaration(pipe: PipeNode, context: string): void {
    const save = this.i;
    const v = this.nextNonSpace();
    const op = this.peekNonSpace();
    if (op.kind === 'declare' || op.kind === 'assign') {
      this.next();
      pipe.decl.push(v.value);
      pipe.isAssign = op.kind === 'assign';
    } else if (op.kind === 'comma' && context === 'range') {
      this.next();
      const v2 = this.nextNonSpace();
      if (v2.kind !== 'variable') throw new ParseError(`range can only initialize variables`, v2.pos);
      const op2 = this.nextNonSpace();
      if (op2.kind !== 'declare' && op2.kind !== 'assign') throw new ParseError(`unexpected ${describe(op2)} in range`, op2.pos);
      pipe.decl.push(v.value, v2.value);
      pipe.isAssign = op2.kind === 'assign';
    } else {
      this.i = save;
      return;
    }
    if (pipe.isAssign) {
      for (const name of pipe.decl) if (!this.vars.includes(name)) throw new ParseError(`undefined variable "${name}"`, v.pos);
    } else {
      this.vars.push(...pipe.decl);
    }
  }

  private parseCommand(context: string): CommandNode {
    const cmd: CommandNode = { type: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      const t = this.peekNonSpace();
      if (t.kind === 'pipe' || t.kind === 'rightDelim' || t.kind === 'rightParen') break;
      if (t.kind === 'eof') throw new ParseError('unclosed action', t.pos);
      cmd.args.push(this.parseOperand(context));
      const sep = this.peek();
      if (sep.kind !== 'space' && sep.kind !== 'pipe' && sep.kind !== 'rightDelim' && sep.kind !== 'rightParen') {
        throw new ParseError(`unexpected ${describe(sep)} in operand`, sep.pos);
      }
    }
    if (cmd.args.length === 0) throw new ParseError(`empty command`, cmd.pos);
    return cmd;
  }

  private parseOperand(context: string): ArgNode {
    const term = this.parseTerm(context);
    // Fields written directly after a term (`(x).A`, `$x.A.B`) form a chain.
    const fields: string[] = [];
    const chainPos = this.peek().pos;
    while (this.peek().kind === 'field') fields.push(this.next().value.slice(1));
    if (fields.length === 0) return term;
    // Go positions a chained field or variable at its first chained field.
    switch (term.type) {
      case 'field':
        return { ...term, pos: chainPos, idents: [...term.idents, ...fields] };
      case 'variable':
        return { ...term, pos: chainPos, idents: [...term.idents, ...fields] };
      case 'bool':
      case 'string':
      case 'number':
      case 'nil':
      case 'dot':
        throw new ParseError(`unexpected . after term ${JSON.stringify(nodeString(term))}`, term.pos);
      default:
        return { type: 'chain', pos: chainPos, node: term, fields };
    }
  }

  private parseTerm(context: string): ArgNode {
    const t = this.nextNonSpace();
    switch (t.kind) {
      case 'identifier':
        if (!this.isFunc(t.value)) throw new ParseError(`function "${t.value}" not defined`, t.pos);
        return { type: 'identifier', pos: t.pos, name: t.value };
      case 'dot':
        return { type: 'dot', pos: t.pos };
      case 'nil':
        return { type: 'nil', pos: t.pos };
      case 'bool':
        return { type: 'bool', pos: t.pos, value: t.value === 'true' };
      case 'variable':
        if (!this.vars.includes(t.value)) throw new ParseError(`undefined variable "${t.value}"`, t.pos);
        return { type: 'variable', pos: t.pos, idents: [t.value] };
      case 'field':
        return { type: 'field', pos: t.pos, idents: [t.value.slice(1)] };
      case 'string':
      case 'rawString':
        return { type: 'string', pos: t.pos, quoted: t.value, text: unquote(t.value, t.pos) };
      case 'char':
        return { type: 'number', pos: t.pos, text: t.value, value: BigInt(unquoteChar(t.value, t.pos)) };
      case 'number':
        return { type: 'number', pos: t.pos, text: t.value, value: numberValue(t.value, t.pos) };
      case 'leftParen':
        return this.parsePipeline('parenthesized pipeline', false, 'rightParen');
      case 'keyword':
        throw new ParseError(`unexpected <${t.value}> in ${context}`, t.pos);
      default:
        throw new ParseError(`unexpected ${describe(t)} in ${context}`, t.pos);
    }
  }
}

function describe(t: Token): string {
  switch (t.kind) {
    case 'eof':
      return 'EOF';
    case 'rightDelim':
      return '"}}"';
    case 'rightParen':
      return '")"';
    case 'leftParen':
      return '"("';
    case 'pipe':
      return '"|"';
    case 'declare':
      return '":="';
    case 'assign':
      return '"="';
    case 'comma':
      return '","';
    case 'keyword':
    case 'dot':
    case 'nil':
      return `<${t.value}>`;
    default:
      return `${JSON.stringify(t.value)}`;
  }
}

// --- printing nodes back, for the `at <...>` context of execution errors ---------------------------

export function nodeString(n: ArgNode | CommandNode | Node): string {
  switch (n.type) {
    case 'field':
      return n.idents.map((id) => '.' + id).join('');
    case 'variable':
      return n.idents[0] + n.idents.slice(1).map((id) => '.' + id).join('');
    case 'dot':
      return '.';
    case 'nil':
      return 'nil';
    case 'bool':
      return String(n.value);
    case 'number':
      return n.text;
    case 'string':
      return n.quoted;
    case 'identifier':
      return n.name;
    case 'chain':
      return (n.node.type === 'pipe' ? `(${nodeString(n.node)})` : nodeString(n.node)) + n.fields.map((f) => '.' + f).join('');
    case 'pipe': {
      const decl = n.decl.length > 0 ? `${n.decl.join(', ')} ${n.isAssign ? '=' : ':='} ` : '';
      return decl + n.cmds.map(nodeString).join(' | ');
    }
    case 'command':
      return n.args.map((a) => (a.type === 'pipe' ? `(${nodeString(a)})` : nodeString(a))).join(' ');
    case 'action':
      return `{{${nodeString(n.pipe)}}}`;
    case 'text':
      return n.text;
    case 'template':
      return `{{template ${JSON.stringify(n.name)}${n.pipe ? ' ' + nodeString(n.pipe) : ''}}}`;
    case 'break':
      return '{{break}}';
    case 'continue':
      return '{{continue}}';
    case 'list':
      return n.nodes.map(nodeString).join('');
    case 'if':
    case 'range':
    case 'with':
      return `{{${n.type} ${nodeString(n.pipe)}}}${nodeString(n.list)}${n.elseList ? '{{else}}' + nodeString(n.elseList) : ''}{{end}}`;
  }
}

/** Whether a tree has no content but whitespace (such a main tree does not replace an existing definition). */
export function isEmptyTree(list: ListNode): boolean {
  return list.nodes.every((n) => n.type === 'text' && n.text.trim() === '');
}

