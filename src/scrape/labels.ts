// The labels of scraped series: the target's labels merged in (honor_labels and exported_ renames
// as Prometheus does them), the label limits, and the report series' names.
import type { ScrapeConfig } from '../config/index.ts';
import { METRIC_NAME, compareStrings, type Labels } from '../model/index.ts';

/**
 * Adds the target's labels to a scraped series. Without honor_labels, the target's labels win and
 * a clashing scraped label is kept as exported_<name> (exported_exported_<name> if that is taken
 * too); with honor_labels, the scraped labels win. Both label sets are sorted, so this is a merge:
 * it runs for every new series of a scrape (a million on a big first round), and a Map plus a
 * sort per series cost several times as much.
 */
export function mutateLabels(scraped: Labels, target: Labels, honor: boolean): Labels {
  if (target.length === 0) return scraped;
  const out: string[] = [];
  let i = 0;
  let j = 0;
  while (i < scraped.length || j < target.length) {
    const c = i >= scraped.length ? 1 : j >= target.length ? -1 : compareStrings(scraped[i], target[j]);
    if (c < 0) {
      if (scraped[i + 1] !== '') out.push(scraped[i], scraped[i + 1]);
      i += 2;
    } else if (c > 0) {
      if (target[j + 1] !== '') out.push(target[j], target[j + 1]);
      j += 2;
    } else {
      const sv = scraped[i + 1];
      const tv = target[j + 1];
      if (honor) {
        const v = sv !== '' ? sv : tv;
        if (v !== '') out.push(scraped[i], v);
      } else if (sv !== '') {
        // A clash: the scraped value moves to an exported_ name (rare, so done the slow way).
        return mutateWithConflicts(scraped, target);
      } else if (tv !== '') {
        out.push(target[j], tv);
      }
      i += 2;
      j += 2;
    }
  }
  return out;
}

/** mutateLabels without honor_labels when scraped labels clash with the target's. */
function mutateWithConflicts(scraped: Labels, target: Labels): Labels {
  const rec = new Map<string, string>();
  for (let i = 0; i < scraped.length; i += 2) rec.set(scraped[i], scraped[i + 1]);
  const conflicts: [string, string][] = [];
  for (let i = 0; i < target.length; i += 2) {
    const name = target[i];
    const existing = rec.get(name);
    if (existing !== undefined && existing !== '') conflicts.push([name, existing]);
    rec.set(name, target[i + 1]);
  }
  // As Prometheus resolves them: shortest names first, each taking the first free exported_ name.
  conflicts.sort((a, b) => a[0].length - b[0].length);
  for (const [name, value] of conflicts) {
    let exported = name;
    do exported = `exported_${exported}`;
    while ((rec.get(exported) ?? '') !== '');
    rec.set(exported, value);
  }
  const names = [...rec.keys()].sort(compareStrings);
  const out: string[] = [];
  for (const n of names) {
    const v = rec.get(n)!;
    if (v !== '') out.push(n, v);
  }
  return out;
}

/**
 * Fails a series over label_limit, label_name_length_limit or label_value_length_limit with
 * Prometheus' error text: lengths in bytes (Go's len), the metric name, label name and value cut
 * at 50 characters (%.50s, %.50q).
 */
export function checkLabelLimits(ls: Labels, cfg: ScrapeConfig): void {
  const n = ls.length >> 1;
  const metric = cut50(ls[1]);
  if (cfg.labelLimit > 0 && n > cfg.labelLimit) throw new Error(`label_limit exceeded (metric: ${metric}, number of labels: ${n}, limit: ${cfg.labelLimit})`);
  for (let i = 0; i < ls.length; i += 2) {
    const name = ls[i];
    const value = ls[i + 1];
    if (cfg.labelNameLengthLimit > 0 && overBytes(name, cfg.labelNameLengthLimit)) {
      throw new Error(`label_name_length_limit exceeded (metric: ${metric}, label name: ${cut50(name)}, length: ${Buffer.byteLength(name)}, limit: ${cfg.labelNameLengthLimit})`);
    }
    if (cfg.labelValueLengthLimit > 0 && overBytes(value, cfg.labelValueLengthLimit)) {
      throw new Error(`label_value_length_limit exceeded (metric: ${metric}, label name: ${cut50(name)}, value: ${goQuote(cut50(value))}, length: ${Buffer.byteLength(value)}, limit: ${cfg.labelValueLengthLimit})`);
    }
  }
}

/** Whether s is longer than limit in UTF-8 bytes (counted only when it may be). */
function overBytes(s: string, limit: number): boolean {
  return s.length > limit || (s.length * 3 > limit && Buffer.byteLength(s) > limit);
}

/** The first 50 characters (code points), as Go's %.50s and %.50q cut. */
function cut50(s: string): string {
  if (s.length <= 50) return s;
  return Array.from(s).slice(0, 50).join('');
}

/** Go's strconv.Quote: printable characters as they are, the rest escaped. */
function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (c < 0x20 || c === 0x7f) out += `\\x${c.toString(16).padStart(2, '0')}`;
    else if (c >= 0x80 && c < 0xa0) out += `\\u${c.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}

/** The target's labels with __name__ set (target labels never contain __name__). */
export function insertName(ls: Labels, name: string): Labels {
  const out: string[] = [];
  let placed = false;
  for (let i = 0; i < ls.length; i += 2) {
    if (!placed && compareStrings(ls[i], METRIC_NAME) > 0) {
      out.push(METRIC_NAME, name);
      placed = true;
    }
    out.push(ls[i], ls[i + 1]);
  }
  if (!placed) out.push(METRIC_NAME, name);
  return out;
}
