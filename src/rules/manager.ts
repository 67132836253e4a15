// The rule manager: the set of groups loaded from `rule_files`, their schedules, and reloads.
//
// A reload is all or nothing: every file is read and validated first; when any has a problem the
// running groups stay untouched and the problems are reported. Otherwise groups with the same file
// and name take over the state of their predecessor (active alerts, series for staleness, health),
// new ones start fresh, and removed ones mark their series stale, as Prometheus' manager does.
import { globSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { loadRuleFile, RuleFileError, type RuleGroupDef, type TemplateCheck } from './file.ts';
import { Group, type GroupDeps } from './group.ts';

export interface RuleManagerOptions extends Omit<GroupDeps, 'defaultIntervalMs' | 'defaultQueryOffsetMs'> {
  /** Validates a template text at load (alert labels and annotations). */
  checkTemplate?: TemplateCheck;
}

export interface RuleSettings {
  /** Globs of rule files; relative ones are joined with `baseDir` (and stay relative when it is). */
  ruleFiles: string[];
  baseDir: string;
  evaluationIntervalMs: number;
  queryOffsetMs: number;
}

export class RuleManager {
  private readonly opts: RuleManagerOptions;
  private current: Group[] = [];
  private started = false;
  private firstLoad = true;
  private stopped = false;

  constructor(opts: RuleManagerOptions) {
    this.opts = opts;
  }

  /** The groups in file order, then by position within the file. */
  groups(): readonly Group[] {
    return this.current;
  }

  /**
   * Loads (or reloads) the rule files. Throws RuleFileError with every problem of every file and
   * leaves the running groups as they were.
   */
  async load(s: RuleSettings): Promise<void> {
    const defs = readRuleFiles(s, this.opts.checkTemplate);
    const deps: GroupDeps = { ...this.opts, defaultIntervalMs: s.evaluationIntervalMs, defaultQueryOffsetMs: s.queryOffsetMs };
    // Only groups present at process start restore `for` state; later ones start fresh.
    const restore = this.firstLoad;
    this.firstLoad = false;
    const old = new Map(this.current.map((g) => [g.key, g]));
    const next = defs.map((d) => new Group(d, deps, restore));
    for (const g of next) {
      const prev = old.get(g.key);
      if (prev) {
        await prev.stop();
        g.copyStateFrom(prev);
        await prev.markStale();
        old.delete(g.key);
      }
    }
    for (const gone of old.values()) {
      await gone.stop();
      await gone.markStale();
    }
    this.current = next;
    if (this.started && !this.stopped) for (const g of next) g.start();
  }

  /** Starts the schedules (after the storage is ready). */
  start(): void {
    this.started = true;
    for (const g of this.current) g.start();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.current.map((g) => g.stop()));
  }
}

/** Reads every rule file the globs name, in sorted order per glob; collects all problems. */
export function readRuleFiles(s: Pick<RuleSettings, 'ruleFiles' | 'baseDir'>, checkTemplate?: TemplateCheck): RuleGroupDef[] {
  const problems: string[] = [];
  const defs: RuleGroupDef[] = [];
  const seen = new Set<string>();
  for (const pattern of s.ruleFiles) {
    // Kept relative when given relative, as Prometheus' filepath.Glob does: a group's file is
    // shown in /api/v1/rules as the pattern found it.
    const joined = isAbsolute(pattern) ? pattern : join(s.baseDir, pattern);
    const files = /[*?[]/.test(joined) ? globSync(joined).sort() : [joined];
    for (const f of files) {
      if (seen.has(f)) continue;
      seen.add(f);
      try {
        defs.push(...loadRuleFile(f, checkTemplate));
      } catch (e) {
        if (!(e instanceof RuleFileError)) throw e;
        problems.push(...e.problems);
      }
    }
  }
  if (problems.length > 0) throw new RuleFileError(problems);
  return defs;
}
