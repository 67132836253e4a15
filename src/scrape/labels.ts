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

export function checkLabelLimits(ls: Labels, cfg: ScrapeConfig): void {
  const n = ls.length >> 1;
  if (cfg.labelLimit > 0 && n > cfg.labelLimit) throw new Error(`label_limit exceeded (metric: ${ls[1]}, number of labels: ${n}, limit: ${cfg.labelLimit})`);
  for (let i = 0; i < ls.length; i += 2) {
    if (cfg.labelNameLengthLimit > 0 && ls[i].length > cfg.labelNameLengthLimit) {
      throw new Error(`label_name_length_limit exceeded (metric: ${ls[1]}, label name: ${ls[i]}, length: ${ls[i].length}, limit: ${cfg.labelNameLengthLimit})`);
    }
    if (cfg.labelValueLengthLimit > 0 && ls[i + 1].length > cfg.labelValueLengthLimit) {
      throw new Error(`label_value_length_limit exceeded (metric: ${ls[1]}, label name: ${ls[i]}, value: ${JSON.stringify(ls[i + 1].slice(0, 40))}, length: ${ls[i + 1].length}, limit: ${cfg.labelValueLengthLimit})`);
    }
  }
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
