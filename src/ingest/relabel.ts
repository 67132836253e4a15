// Relabelling as Prometheus does it (relabel_configs on targets, metric_relabel_configs on scraped
// series): rules applied in order to one label set; keep/drop end the walk early.
//
// Regexes are RE2 as in Prometheus, translated once (src/model/re2.ts) and fully anchored, `.`
// matching newlines. Replacements expand `$1`, `${1}`, `$name` as Go's Regexp.Expand does.
//
// Scaling out: splitting targets across N scrapers is plain relabelling — each scraper keeps the
// targets whose `hashmod` of __address__ equals its own index:
//   - source_labels: [__address__]
//     modulus: 4
//     target_label: __tmp_shard
//     action: hashmod
//   - source_labels: [__tmp_shard]
//     regex: "2"          # this scraper's shard
//     action: keep
// The hash is md5 as in Prometheus, so a Strata and a Prometheus fleet split targets the same way.
import { createHash } from 'node:crypto';
import type { RelabelRule } from '../config/index.ts';
import { compareStrings, compileAnchoredRE2, expandTemplate, isUTF8Name, type Labels } from '../model/index.ts';

export interface CompiledRelabelRule {
  readonly rule: RelabelRule;
  readonly re: RegExp;
  /** The rule is `replace` of one label into another unchanged: no regex run needed. */
  readonly copy: boolean;
}

/** Compiles rules once per config load. Throws Error for an invalid regex (config checks first). */
export function compileRelabelRules(rules: readonly RelabelRule[]): CompiledRelabelRule[] {
  return rules.map((rule) => ({
    rule,
    re: compileAnchoredRE2(rule.regex),
    copy: rule.action === 'replace' && rule.regex === '(.*)' && rule.replacement === '$1' && !rule.targetLabel.includes('$'),
  }));
}

/**
 * Applies the rules to a sorted label set. Returns the new sorted label set, or null when a rule
 * dropped it or no label is left. The input is never modified; without rules it is returned as is.
 */
export function relabel(ls: Labels, rules: readonly CompiledRelabelRule[]): Labels | null {
  if (rules.length === 0) return ls;
  const b = new LabelsScratch(ls);
  for (const r of rules) {
    if (!applyRule(b, r)) return null;
  }
  return b.result();
}

function applyRule(b: LabelsScratch, c: CompiledRelabelRule): boolean {
  const r = c.rule;
  let val = '';
  if (r.action !== 'labelmap' && r.action !== 'labeldrop' && r.action !== 'labelkeep') {
    for (let i = 0; i < r.sourceLabels.length; i++) {
      if (i > 0) val += r.separator;
      val += b.get(r.sourceLabels[i]);
    }
  }
  switch (r.action) {
    case 'drop':
      return !c.re.test(val);
    case 'keep':
      return c.re.test(val);
    case 'dropequal':
      return b.get(r.targetLabel) !== val;
    case 'keepequal':
      return b.get(r.targetLabel) === val;
    case 'replace': {
      if (c.copy) {
        b.set(r.targetLabel, val);
        return true;
      }
      const m = c.re.exec(val);
      if (m === null) return true;
      const target = expandTemplate(r.targetLabel, m);
      // A templated target that expands to something that is no label name is skipped, as in
      // Prometheus; 3 takes any non-empty UTF-8 name (2.42 only the classic charset).
      if (!isUTF8Name(target)) return true;
      b.set(target, expandTemplate(r.replacement, m));
      return true;
    }
    case 'lowercase':
      b.set(r.targetLabel, val.toLowerCase());
      return true;
    case 'uppercase':
      b.set(r.targetLabel, val.toUpperCase());
      return true;
    case 'hashmod':
      b.set(r.targetLabel, String(hashmod(val, r.modulus)));
      return true;
    case 'labelmap': {
      const names = b.names();
      for (let i = 0; i < names.length; i += 2) {
        const m = c.re.exec(names[i]);
        if (m !== null) b.set(expandTemplate(r.replacement, m), names[i + 1]);
      }
      return true;
    }
    case 'labeldrop':
    case 'labelkeep': {
      const keep = r.action === 'labelkeep';
      const names = b.names();
      for (let i = 0; i < names.length; i += 2) {
        if (c.re.test(names[i]) !== keep) b.set(names[i], '');
      }
      return true;
    }
    default:
      throw new Error(`unknown relabel action ${String(r.action)}`);
  }
}

/**
 * Prometheus' hashmod: the md5 of the value, its last 8 bytes read as a big-endian uint64, modulo
 * the modulus. (Go's sum64 shifts the first 8 bytes out of a 64-bit word.)
 */
export function hashmod(value: string, modulus: number): number {
  const h = createHash('md5').update(value, 'utf8').digest();
  return Number(h.readBigUInt64BE(8) % BigInt(modulus));
}

// The label set being rewritten: flat unsorted [name, value, ...] pairs, sorted once at the end.
// Label sets are small (tens), so linear lookups beat a Map.
class LabelsScratch {
  private pairs: string[];
  private changed = false;

  constructor(ls: Labels) {
    this.pairs = ls.slice();
  }

  get(name: string): string {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) if (p[i] === name) return p[i + 1];
    return '';
  }

  /** Sets a label; an empty value deletes it (as Prometheus' labels.Builder does). */
  set(name: string, value: string): void {
    const p = this.pairs;
    for (let i = 0; i < p.length; i += 2) {
      if (p[i] !== name) continue;
      if (p[i + 1] === value) return;
      this.changed = true;
      if (value === '') p.splice(i, 2);
      else p[i + 1] = value;
      return;
    }
    if (value === '') return;
    this.changed = true;
    p.push(name, value);
  }

  /** A snapshot of the current pairs, safe to iterate while setting. */
  names(): string[] {
    return this.pairs.slice();
  }

  result(): Labels | null {
    const p = this.pairs;
    if (p.length === 0) return null;
    if (!this.changed) return p;
    const idx: number[] = [];
    for (let i = 0; i < p.length; i += 2) idx.push(i);
    idx.sort((a, b) => compareStrings(p[a], p[b]));
    const out: string[] = new Array(p.length);
    for (let k = 0; k < idx.length; k++) {
      out[2 * k] = p[idx[k]];
      out[2 * k + 1] = p[idx[k] + 1];
    }
    return out;
  }
}
