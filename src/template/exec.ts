// The executor: walks a parsed tree against data, following text/template's evaluation rules
// (fields and methods, variables and their scopes, pipelines passing the previous value as the last
// argument, range/with/if truth). Functions may return Promises (Prometheus' `query`), but nearly
// all are synchronous, and an async walk cost a microtask per node (6-15 ms for a 200-alert
// email; a generator walk still 5-10): the walk is plain synchronous code. A call that returns a
// Promise suspends the run; it is awaited and the template run again from the start with that
// call's result recorded (templates are deterministic given their functions' results, and the
// other functions are pure), so a rule annotation with two queries runs three times, quickly.

import { BUILTINS, missingKeyValue } from './builtins.ts';
import { TemplateError, position } from './errors.ts';
import { formatValue } from './fmt.ts';
import { GoTime } from './gotime.ts';
import {
  nodeString,
  type ArgNode,
  type ChainNode,
  type CommandNode,
  type IdentifierNode,
  type ListNode,
  type Node,
  type PipeNode,
  type RangeNode,
  type Tree,
  type VariableNode,
} from './parse.ts';
import { isPlainObject, isTrue, kindOf, lookupMember, sortedEntries, toJS, typeName } from './values.ts';

export type TemplateFunc = (...args: any[]) => unknown;

/** Where executed output goes: plain text, or the HTML escaper that tracks context. */
export interface Output {
  text(s: string): void;
  /** preEscaped: the action's pipeline ended in the html or urlquery builtin. */
  value(v: unknown, preEscaped: boolean): void;
  result(): string;
}

/** A defined template: its tree and the name of the text it was parsed from (for error positions). */
export interface Defined {
  tree: Tree;
  parseName: string;
}

/**
 * text/template's missingkey option: what `.key` gives for a key a map does not have.
 * 'default' is Go's invalid value ("<no value>"); 'zero' is the element type's zero value (""
 * for string maps: Alertmanager executes with missingkey=zero); 'error' fails.
 */
export type MissingKey = 'default' | 'zero' | 'error';

const NO_FINAL = Symbol('no final value');
type Final = unknown | typeof NO_FINAL;

type Signal = 'break' | 'continue' | undefined;

/**
 * Thrown out of a synchronous run when a function returned a Promise: run() awaits it, records
 * the outcome as the result of that call (by its position in the run's sequence of calls) and
 * runs the template again from the start, which gets the recorded result at that call.
 */
class Suspend {
  readonly call: number;
  readonly fn: TemplateFunc;
  readonly promise: PromiseLike<unknown>;
  constructor(call: number, fn: TemplateFunc, promise: PromiseLike<unknown>) {
    this.call = call;
    this.fn = fn;
    this.promise = promise;
  }
}

type Recorded = { fn: TemplateFunc; value: unknown } | { fn: TemplateFunc; error: unknown };

function isStackOverflow(e: unknown): boolean {
  return e instanceof RangeError && e.message.includes('call stack');
}

function isPromiseLike(v: unknown): v is PromiseLike<unknown> {
  return typeof v === 'object' && v !== null && typeof (v as { then?: unknown }).then === 'function';
}

const MAX_DEPTH = 100000;

/** Raised inside evaluation; turned into a positioned TemplateError at the node that failed. */
class EvalError extends Error {}

interface Variable {
  name: string;
  value: unknown;
}

export class Executor {
  private vars: Variable[] = [];
  private depth = 0;
  private current: { name: string; def: Defined };
  private out: Output;
  /** Function calls so far in this run: a call's identity for the results recorded across runs. */
  private calls = 0;
  private readonly recorded = new Map<number, Recorded>();
  private readonly start: { name: string; def: Defined };
  private readonly templates: Map<string, Defined>;
  private readonly funcs: Record<string, TemplateFunc>;
  private readonly newOutput: () => Output;
  private readonly missingKey: MissingKey;

  /** newOutput: a fresh output for each run (a run suspended by a Promise starts over). */
  constructor(templates: Map<string, Defined>, funcs: Record<string, TemplateFunc>, newOutput: () => Output, name: string, def: Defined, missingKey: MissingKey = 'default') {
    this.templates = templates;
    this.funcs = funcs;
    this.newOutput = newOutput;
    this.out = newOutput();
    this.start = { name, def };
    this.current = this.start;
    this.missingKey = missingKey;
  }

  private missing(node: ArgNode, name: string, map: object | undefined): unknown {
    if (this.missingKey === 'error') this.fail(node, map === undefined ? `nil data; no entry for key "${name}"` : `map has no entry for key "${name}"`);
    return this.missingKey === 'zero' && map !== undefined ? missingKeyValue(map) : undefined;
  }

  /**
   * Executes the template: the output as a string when no function returned a Promise, else a
   * Promise of it.
   */
  run(data: unknown): string | Promise<string> {
    try {
      return this.runOnce(data);
    } catch (e) {
      if (e instanceof Suspend) return this.runAgain(data, e);
      throw e;
    }
  }

  private runOnce(data: unknown): string {
    this.out = this.newOutput();
    this.vars = [{ name: '$', value: data }];
    this.current = this.start;
    this.depth = 0;
    this.calls = 0;
    this.walk(data, this.start.def.tree.root);
    return this.out.result();
  }

  private async runAgain(data: unknown, suspended: Suspend): Promise<string> {
    for (;;) {
      const { call, fn } = suspended;
      try {
        this.recorded.set(call, { fn, value: await suspended.promise });
      } catch (error) {
        this.recorded.set(call, { fn, error });
      }
      try {
        return this.runOnce(data);
      } catch (e) {
        if (!(e instanceof Suspend)) throw e;
        suspended = e;
      }
    }
  }

  // --- errors --------------------------------------------------------------------------------

  private fail(node: { pos: number } & (ArgNode | CommandNode | Node), message: string): never {
    const { tree, parseName } = this.current.def;
    const { line, column } = position(tree.text, node.pos);
    throw new TemplateError(
      `template: ${parseName}:${line}:${column}: executing "${this.current.name}" at <${nodeString(node)}>: ${message}`,
      this.current.name,
      line,
      column,
    );
  }

  /** Runs fn, positioning any plain error at node. */
  private at<T>(node: ArgNode | CommandNode | Node, fn: () => T): T {
    try {
      return fn();
    } catch (e) {
      if (e instanceof TemplateError || e instanceof Suspend || isStackOverflow(e)) throw e;
      this.fail(node, e instanceof Error ? e.message : String(e));
    }
  }

  // --- statements ----------------------------------------------------------------------------

  private walk(dot: unknown, node: Node): Signal {
    switch (node.type) {
      case 'list':
        for (const n of node.nodes) {
          const sig = this.walk(dot, n);
          if (sig !== undefined) return sig;
        }
        return undefined;
      case 'text':
        this.out.text(node.text);
        return undefined;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) {
          if (typeof v === 'function') this.fail(node, `can't print ${nodeString(node.pipe)} of type func`);
          const last = node.pipe.cmds[node.pipe.cmds.length - 1].args[0];
          const preEscaped = last.type === 'identifier' && (last.name === 'html' || last.name === 'urlquery') && !Object.hasOwn(this.funcs, last.name);
          this.at(node, () => this.out.value(v, preEscaped));
        }
        return undefined;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        try {
          const v = this.evalPipeline(dot, node.pipe);
          if (isTrue(v)) return this.walk(node.type === 'with' ? v : dot, node.list);
          if (node.elseList !== null) return this.walk(dot, node.elseList);
          return undefined;
        } finally {
          this.vars.length = mark;
        }
      }
      case 'range':
        return this.walkRange(dot, node);
      case 'template':
        return this.walkTemplate(dot, node);
      case 'break':
      case 'continue':
        return node.type;
    }
  }

  private walkRange(dot: unknown, node: RangeNode): Signal {
    const mark = this.vars.length;
    try {
      const pipe: PipeNode = { ...node.pipe, decl: [] };
      const v = this.evalPipeline(dot, pipe);
      const decl = node.pipe.decl;
      const setVar = (i: number, value: unknown) => {
        if (node.pipe.isAssign) this.setVar(decl[i], value);
        else this.vars.push({ name: decl[i], value });
      };
      const entries = this.rangeEntries(node, v);
      if (entries.length === 0) {
        if (node.elseList !== null) this.walk(dot, node.elseList);
        return undefined;
      }
      for (const [key, elem] of entries) {
        const iterMark = this.vars.length;
        if (decl.length === 1) setVar(0, elem);
        if (decl.length === 2) {
          setVar(0, key);
          setVar(1, elem);
        }
        const sig = this.walk(elem, node.list);
        this.vars.length = iterMark;
        if (sig === 'break') break;
      }
      return undefined;
    } finally {
      this.vars.length = mark;
    }
  }

  private rangeEntries(node: RangeNode, v: unknown): [unknown, unknown][] {
    switch (kindOf(v)) {
      case 'invalid':
      case 'nil':
        return [];
      case 'slice':
        return (v as unknown[]).map((e, i) => [BigInt(i), e]);
      case 'map':
        return sortedEntries(v as object);
      case 'int': {
        if (node.pipe.decl.length > 1) this.fail(node.pipe.cmds[node.pipe.cmds.length - 1], `can't use ${v} to iterate over more than one variable`);
        const out: [unknown, unknown][] = [];
        for (let i = 0n; i < (v as bigint); i++) out.push([i, i]);
        return out;
      }
      case 'struct':
        if (typeof (v as { [Symbol.iterator]?: unknown })[Symbol.iterator] === 'function') {
          return [...(v as Iterable<unknown>)].map((e, i) => [BigInt(i), e]);
        }
    }
    // Go reports it at the last command evaluated.
    this.fail(node.pipe.cmds[node.pipe.cmds.length - 1], `range can't iterate over ${formatValue(v)}`);
  }

  private walkTemplate(dot: unknown, node: Extract<Node, { type: 'template' }>): Signal {
    const def = this.templates.get(node.name);
    if (def === undefined) this.fail(node, `template "${node.name}" not defined`);
    if (this.depth >= MAX_DEPTH) this.fail(node, `exceeded maximum template depth (${MAX_DEPTH})`);
    const newDot = node.pipe === null ? undefined : this.evalPipeline(dot, node.pipe);
    const saved = { vars: this.vars, current: this.current };
    this.vars = [{ name: '$', value: newDot }];
    this.current = { name: node.name, def };
    this.depth++;
    try {
      this.walk(newDot, def.tree.root);
    } catch (e) {
      // JavaScript's stack ends some thousands of levels before Go's limit: the same error, with
      // the depth reached. (Should reporting it overflow again, a shallower call reports it.)
      if (isStackOverflow(e)) this.fail(node, `exceeded maximum template depth (${this.depth})`);
      throw e;
    } finally {
      this.depth--;
      this.vars = saved.vars;
      this.current = saved.current;
    }
    return undefined;
  }

  // --- variables -----------------------------------------------------------------------------

  private lookupVar(name: string): unknown {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    throw new EvalError(`undefined variable: ${name}`);
  }

  private setVar(name: string, value: unknown): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    throw new EvalError(`undefined variable: ${name}`);
  }

  // --- pipelines and commands ----------------------------------------------------------------

  private evalPipeline(dot: unknown, pipe: PipeNode): unknown {
    let value: Final = NO_FINAL;
    for (const cmd of pipe.cmds) {
      value = this.evalCommand(dot, cmd, value);
      // A nil interface coming out of a command is "no value", as Go unwraps it.
      if (value === null) value = undefined;
    }
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.at(pipe, () => this.setVar(name, value));
      else this.vars.push({ name, value });
    }
    return value;
  }

  private evalCommand(dot: unknown, cmd: CommandNode, final: Final): unknown {
    const first = cmd.args[0];
    switch (first.type) {
      case 'field':
        return this.evalFieldChain(dot, dot, first, first.idents, cmd.args, final);
      case 'chain':
        return this.evalChain(dot, first, cmd.args, final);
      case 'identifier':
        return this.evalFunction(dot, first, cmd, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd, cmd.args, final);
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(dot, first, cmd.args, final);
    }
    this.notAFunction(cmd, cmd.args, final);
    switch (first.type) {
      case 'bool':
        return first.value;
      case 'dot':
        return dot;
      case 'nil':
        this.fail(cmd, 'nil is not a command');
      case 'number':
        return this.intInRange(first);
      case 'string':
        return first.text;
    }
  }

  /** An integer constant must fit Go's int (int64). */
  private intInRange(n: Extract<ArgNode, { type: 'number' }>): number | bigint {
    if (typeof n.value === 'bigint' && (n.value > 9223372036854775807n || n.value < -9223372036854775808n)) this.fail(n, `${n.text} overflows int`);
    return n.value;
  }

  private notAFunction(node: CommandNode, args: ArgNode[], final: Final): void {
    if (args.length > 1 || final !== NO_FINAL) this.fail(args[0], `can't give argument to non-function ${nodeString(args[0])}`);
  }

  private evalArg(dot: unknown, arg: ArgNode): unknown {
    switch (arg.type) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return this.evalFieldChain(dot, dot, arg, arg.idents, [arg], NO_FINAL);
      case 'variable':
        return this.evalVariable(dot, arg, [arg], NO_FINAL);
      case 'pipe':
        return this.evalPipeline(dot, arg);
      case 'identifier':
        return this.evalFunction(dot, arg, arg, [arg], NO_FINAL);
      case 'chain':
        return this.evalChain(dot, arg, [arg], NO_FINAL);
      case 'bool':
        return arg.value;
      case 'number':
        return this.intInRange(arg);
      case 'string':
        return arg.text;
    }
  }

  private evalVariable(dot: unknown, v: VariableNode, args: ArgNode[], final: Final): unknown {
    const value = this.at(v, () => this.lookupVar(v.idents[0]));
    if (v.idents.length === 1) {
      if (args.length > 1 || final !== NO_FINAL) this.fail(v, `can't give argument to non-function ${nodeString(v)}`);
      return value;
    }
    return this.evalFieldChain(dot, value, v, v.idents.slice(1), args, final);
  }

  private evalChain(dot: unknown, chain: ChainNode, args: ArgNode[], final: Final): unknown {
    const receiver = this.evalArg(dot, chain.node);
    return this.evalFieldChain(dot, receiver, chain, chain.fields, args, final);
  }

  private evalFieldChain(dot: unknown, receiver: unknown, node: ArgNode, idents: string[], args: ArgNode[], final: Final): unknown {
    const n = idents.length;
    for (let i = 0; i < n - 1; i++) receiver = this.evalField(dot, idents[i], node, [], NO_FINAL, receiver);
    return this.evalField(dot, idents[n - 1], node, args, final, receiver);
  }

  /** `.Name` on receiver: a method (function-valued property) is called; a map key or struct field is read. */
  private evalField(dot: unknown, name: string, node: ArgNode, args: ArgNode[], final: Final, receiver: unknown): unknown {
    if (receiver === undefined) return this.missing(node, name, undefined);
    if (receiver === null) this.fail(node, `nil pointer evaluating interface {}.${name}`);
    if (receiver instanceof Date) receiver = GoTime.from(receiver);
    const hasArgs = args.length > 1 || final !== NO_FINAL;
    if (typeof receiver === 'object' || typeof receiver === 'function') {
      const obj = receiver as object;
      const member = lookupMember(obj, name);
      if (member.found && typeof member.value === 'function') {
        return this.evalCall(dot, member.value as TemplateFunc, obj, node, name, args, final, false);
      }
      const isMap = obj instanceof Map || isPlainObject(obj);
      if (member.found && !(obj instanceof Map)) {
        if (hasArgs) this.fail(node, isMap ? `${name} is not a method but has arguments` : `${name} has arguments but cannot be invoked as function`);
        return member.value;
      }
      if (obj instanceof Map) {
        if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
        if (!obj.has(name)) return this.missing(node, name, obj);
        const v = obj.get(name);
        if (typeof v === 'function') return this.evalCall(dot, v as TemplateFunc, obj, node, name, args, final, false);
        return v;
      }
      if (isMap) {
        if (hasArgs) this.fail(node, `${name} is not a method but has arguments`);
        return this.missing(node, name, obj);
      }
    }
    // Go names the static type; for values out of maps and slices that is interface {}.
    this.fail(node, `can't evaluate field ${name} in type ${kindOf(receiver) === 'struct' ? typeName(receiver) : 'interface {}'}`);
  }

  /** Calls a function; errors from its body are reported at the whole command (Go's `at <len 3>`). */
  private evalFunction(dot: unknown, node: IdentifierNode, cmd: CommandNode | IdentifierNode, args: ArgNode[], final: Final): unknown {
    const name = node.name;
    if (name === 'and' || name === 'or') return this.evalAndOr(dot, node, args, final);
    const builtin = Object.hasOwn(this.funcs, name) ? undefined : BUILTINS[name];
    if (builtin !== undefined) {
      const argc = args.length - 1 + (final !== NO_FINAL ? 1 : 0);
      if (builtin.arity !== undefined && argc !== builtin.arity) this.fail(node, `wrong number of args for ${name}: want ${builtin.arity} got ${argc}`);
      if (builtin.minArgs !== undefined && argc < builtin.minArgs) this.fail(node, `wrong number of args for ${name}: want at least ${builtin.minArgs} got ${argc}`);
      return this.evalCall(dot, builtin.fn, undefined, cmd, name, args, final, true);
    }
    const fn = this.funcs[name];
    if (fn === undefined) this.fail(node, `"${name}" is not a defined function`);
    return this.evalCall(dot, fn, undefined, cmd, name, args, final, false);
  }

  /** `and`/`or` evaluate their arguments only as far as needed, returning the deciding one. */
  private evalAndOr(dot: unknown, node: IdentifierNode, args: ArgNode[], final: Final): unknown {
    const argc = args.length - 1 + (final !== NO_FINAL ? 1 : 0);
    if (argc < 1) this.fail(node, `wrong number of args for ${node.name}: want at least 1 got 0`);
    const wantTrue = node.name === 'or';
    let v: unknown;
    for (let i = 1; i < args.length; i++) {
      v = this.evalArg(dot, args[i]);
      if (isTrue(v) === wantTrue) return v;
    }
    if (final !== NO_FINAL) v = final;
    return v;
  }

  private evalCall(
    dot: unknown,
    fn: TemplateFunc,
    self: unknown,
    node: ArgNode | CommandNode,
    name: string,
    args: ArgNode[],
    final: Final,
    builtin: boolean,
  ): unknown {
    const values: unknown[] = [];
    for (let i = 1; i < args.length; i++) values.push(this.evalArg(dot, args[i]));
    if (final !== NO_FINAL) values.push(final);
    // Functions written in JS see ints as numbers and a missing value as null, as a Go func sees nil.
    const passed = builtin ? values : values.map((v) => (v === undefined ? null : toJS(v)));
    const call = this.calls++;
    try {
      let result: unknown;
      const rec = this.recorded.get(call);
      if (rec !== undefined && rec.fn === fn) {
        if ('error' in rec) throw rec.error;
        result = rec.value;
      } else {
        result = fn.apply(self, passed);
        // Only an asynchronous function (Prometheus' query) suspends the run.
        if (isPromiseLike(result)) throw new Suspend(call, fn, result);
      }
      return result === undefined && !builtin ? null : result;
    } catch (e) {
      if (e instanceof TemplateError || e instanceof Suspend || isStackOverflow(e)) throw e;
      this.fail(node, `error calling ${name}: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Plain-text output: values print as fmt's %v, a missing value as "<no value>". */
export function textOutput(): Output {
  let out = '';
  return {
    text: (s) => {
      out += s;
    },
    value: (v) => {
      out += v === undefined ? '<no value>' : formatValue(v);
    },
    result: () => out,
  };
}

export type { ListNode };
