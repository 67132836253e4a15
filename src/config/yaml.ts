// Validating a YAML document against a zod schema while keeping source positions, so that every
// problem names the file, line:column and field path (`am.yml:7:12: route.group_wait: invalid
// duration ...`). Shared by Strata's own config file and the Alertmanager-format notifier config.
import { isMap, isNode, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import type * as z from 'zod';

/** A configuration that cannot be used. `message` holds one line per problem, ready for stderr. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(problems.join('\n'));
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export interface YamlValidation<T> {
  data: T;
  /** The document as plain JavaScript (before the schema's transforms). */
  raw: Record<string, unknown>;
}

export interface YamlValidationOptions {
  /** What the top level must hold, for the error when it is not a mapping ("sections (server, ...)"). */
  topLevel: string;
  /** The fields known at a path, for "did you mean" hints; defaults to walking the schema. */
  knownKeys?: (path: readonly (string | number)[]) => string[];
}

/** Parses `text` (`name` is how the file is named in errors) and validates it. Throws ConfigError. */
export function validateYaml<S extends z.ZodType>(text: string, name: string, schema: S, opts: YamlValidationOptions): YamlValidation<z.output<S>> {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const at = (offset: number): string => {
    const p = lineCounter.linePos(offset);
    return `${name}:${p.line}:${p.col}`;
  };
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => `${at(e.pos[0])}: invalid YAML: ${firstLine(e.message)}`));
  }
  const contents = doc.contents;
  if (contents !== null && !isMap(contents)) {
    throw new ConfigError([`${at(rangeStart(contents))}: the config file must be a mapping of ${opts.topLevel}`]);
  }
  const raw = ((contents === null ? {} : doc.toJS({ maxAliasCount: 100 })) ?? {}) as Record<string, unknown>;
  const result = schema.safeParse(raw);
  if (result.success) return { data: result.data, raw };

  const known = opts.knownKeys ?? ((p: readonly (string | number)[]) => schemaKeys(schema, p));
  const problems: { offset: number; line: string }[] = [];
  for (const issue of result.error.issues) {
    const p = issue.path.map((k) => (typeof k === 'symbol' ? String(k) : k));
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) {
        const offset = keyOffset(doc, p, key);
        problems.push({ offset, line: `${at(offset)}: ${fieldPath([...p, key])}: unknown field${suggest(key, known(p))}` });
      }
      continue;
    }
    const offset = valueOffset(doc, p);
    problems.push({ offset, line: `${at(offset)}: ${fieldPath(p)}: ${issue.message}` });
  }
  problems.sort((a, b) => a.offset - b.offset);
  throw new ConfigError(problems.map((x) => x.line));
}

export function fieldPath(p: readonly (string | number)[]): string {
  if (p.length === 0) return '(top level)';
  return p.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('');
}

function firstLine(s: string): string {
  const i = s.indexOf('\n');
  return i < 0 ? s : s.slice(0, i);
}

function rangeStart(n: unknown): number {
  return isNode(n) && n.range ? n.range[0] : 0;
}

// The offset of the value at `p`, or of the deepest existing ancestor when the value is absent.
function valueOffset(doc: Document, p: readonly (string | number)[]): number {
  for (let n = p.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(p.slice(0, n), true);
    if (isNode(node) && node.range) return node.range[0];
    if (n > 0) {
      // A key with no value (`retention:`) has a null node without a range: point at the key.
      const k = keyOffset(doc, p.slice(0, n - 1), String(p[n - 1]));
      if (k >= 0) return k;
    }
  }
  return 0;
}

function keyOffset(doc: Document, parent: readonly (string | number)[], key: string): number {
  const m = parent.length === 0 ? doc.contents : doc.getIn(parent, true);
  if (!isMap(m)) return rangeStart(m);
  for (const pair of m.items) {
    const k = pair.key as Node | null;
    if (isNode(k) && (k as { value?: unknown }).value === key && k.range) return k.range[0];
  }
  return rangeStart(m);
}

/** " (did you mean x?)" for a typo of a known field (edit distance at most 2), else the known list. */
export function suggest(key: string, known: readonly string[]): string {
  let best = '';
  let bestD = 3;
  for (const k of known) {
    const d = editDistance(key, k);
    if (d < bestD) {
      best = k;
      bestD = d;
    }
  }
  const list = known.join(', ');
  return best ? ` (did you mean ${best}?)` : list ? ` (known fields: ${list})` : '';
}

function editDistance(a: string, b: string): number {
  const prev = new Array<number>(b.length + 1);
  for (let j = 0; j <= b.length; j++) prev[j] = j;
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0];
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = prev[j];
      prev[j] = Math.min(prev[j] + 1, prev[j - 1] + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = tmp;
    }
  }
  return prev[b.length];
}

type Def = {
  type?: string;
  shape?: Record<string, z.ZodType>;
  element?: unknown;
  innerType?: unknown;
  in?: unknown;
  out?: unknown;
  getter?: () => unknown;
  options?: unknown[];
};
const defOf = (x: unknown): Def | undefined => (x as { _zod?: { def?: Def } } | undefined)?._zod?.def;

/** The keys of the object schema at a YAML path, looking through wrappers, lazies and arrays. */
export function schemaKeys(schema: z.ZodType, path: readonly (string | number)[]): string[] {
  let s: unknown = schema;
  for (const p of [...path, '']) {
    const found = find(s, typeof p === 'number' ? 'array' : 'object');
    if (!found) return [];
    if (typeof p === 'number') {
      s = found.element;
      continue;
    }
    const shape = found.shape ?? {};
    if (p === '') return Object.keys(shape);
    s = shape[p];
    if (!s) return [];
  }
  return [];
}

function find(s: unknown, type: 'array' | 'object'): Def | null {
  const queue: unknown[] = [s];
  for (let i = 0; i < queue.length && i < 32; i++) {
    const def = defOf(queue[i]);
    if (!def) continue;
    if (def.type === type) return def;
    if (def.type === 'lazy' && def.getter) queue.push(def.getter());
    queue.push(def.innerType, def.in, def.out, ...(def.options ?? []));
  }
  return null;
}
