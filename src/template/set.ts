// A set of named templates sharing definitions and functions: text/template's *Template with its
// associated templates, reduced to what alerting needs.

import { isBuiltinName } from './builtins.ts';
import { ParseError, TemplateError, position } from './errors.ts';
import { Executor, textOutput, type Defined, type MissingKey, type TemplateFunc } from './exec.ts';
import { htmlOutput } from './html.ts';
import { isEmptyTree, parseTemplate } from './parse.ts';

export interface TemplateSet {
  /** Parses text as template `name`; its {{define}}s join the set. Throws TemplateError. */
  parse(name: string, text: string): void;
  has(name: string): boolean;
  execute(name: string, data: unknown): Promise<string>;
  /** Executes anonymous text with the set's definitions available (its own defines stay local). */
  render(text: string, data: unknown, name?: string): Promise<string>;
  clone(): TemplateSet;
}

export interface TemplateSetOptions {
  funcs?: Record<string, TemplateFunc>;
  /** html/template's contextual escaping of action output. */
  html?: boolean;
  /** What a missing map key gives (text/template's missingkey option); Alertmanager uses 'zero'. */
  missingKey?: MissingKey;
}

export function createTemplateSet(opts: TemplateSetOptions = {}): TemplateSet {
  return makeSet(new Map(), { ...(opts.funcs ?? {}) }, opts.html === true, opts.missingKey ?? 'default');
}

// render() is called per alert with the same annotation texts: parsed trees (never mutated) are
// kept per set, up to a bound, so each text is parsed once.
const RENDER_CACHE_SIZE = 1000;

function makeSet(templates: Map<string, Defined>, funcs: Record<string, TemplateFunc>, html: boolean, missingKey: MissingKey): TemplateSet {
  const isFunc = (name: string) => Object.hasOwn(funcs, name) || isBuiltinName(name);
  const renderCache = new Map<string, ReturnType<typeof parseTemplate>>();

  const parseInto = (into: Map<string, Defined>, name: string, text: string, cache = false) => {
    let result = cache ? renderCache.get(`${name}\0${text}`) : undefined;
    try {
      result ??= parseTemplate(name, text, isFunc);
    } catch (e) {
      if (e instanceof ParseError) {
        const { line, column } = position(text, e.pos);
        throw new TemplateError(`template: ${name}:${line}:${column}: ${e.message}`, name, line, column);
      }
      throw e;
    }
    if (cache) {
      if (renderCache.size >= RENDER_CACHE_SIZE) renderCache.clear();
      renderCache.set(`${name}\0${text}`, result);
    }
    // As Go does, a definition that is only whitespace does not replace an existing one.
    const add = (treeName: string, def: Defined) => {
      if (into.has(treeName) && isEmptyTree(def.tree.root)) return;
      into.set(treeName, def);
    };
    add(name, { tree: result.main, parseName: name });
    for (const tree of result.defined) add(tree.name, { tree, parseName: name });
  };

  const run = (all: Map<string, Defined>, name: string, data: unknown) => {
    const def = all.get(name);
    if (def === undefined) throw new TemplateError(`template: no template "${name}" associated with template set`, name, 0, 0);
    return new Executor(all, funcs, html ? htmlOutput : textOutput, name, def, missingKey).run(data);
  };

  return {
    parse: (name, text) => parseInto(templates, name, text),
    has: (name) => templates.has(name),
    execute: async (name, data) => run(templates, name, data),
    render: async (text, data, name = 'text') => {
      const local = new Map(templates);
      local.delete(name);
      parseInto(local, name, text, true);
      return run(local, name, data);
    },
    clone: () => makeSet(new Map(templates), funcs, html, missingKey),
  };
}
