// Inhibition: an alert matching a rule's target matchers is muted while some firing alert matches
// the rule's source matchers and has the same values for the rule's `equal` labels (a label
// missing on both sides counts as equal). An alert matching both sides never inhibits itself, nor
// is it inhibited by another alert that also matches both sides (Alertmanager's rule).
import type { InhibitRule } from './config.ts';
import { alertFingerprint, isResolved } from './alerts.ts';
import { matchesLabelSet } from './matchers.ts';
import type { Alert, LabelSet } from './types.ts';

export interface Inhibitor {
  /** Remembers alerts that may inhibit others (call with every received alert). */
  observe(alerts: readonly Alert[]): void;
  /** The fingerprint of an alert inhibiting these labels now, or undefined. */
  inhibitedBy(labels: LabelSet, now: number): string | undefined;
  /** Forgets alerts no longer known (after the alert store's gc). */
  forget(fps: readonly string[]): void;
}

export function createInhibitor(rules: readonly InhibitRule[]): Inhibitor {
  // Per rule, the alerts matching its source side, indexed by their values of the `equal` labels,
  // so a target looks only at sources that can inhibit it (not at every source: with thousands of
  // alerts the plain scan made every flush quadratic).
  const sources = rules.map(() => new Map<string, Map<string, Alert>>());
  const keyOf = (r: InhibitRule, labels: LabelSet) => r.equal.map((l) => labels[l] ?? '').join('\xff');
  return {
    observe(alerts) {
      for (const a of alerts) {
        rules.forEach((r, i) => {
          if (!matchesLabelSet(r.sourceMatchers, a.labels)) return;
          const key = keyOf(r, a.labels);
          let bucket = sources[i].get(key);
          if (!bucket) sources[i].set(key, (bucket = new Map()));
          bucket.set(alertFingerprint(a), a);
        });
      }
    },
    inhibitedBy(labels, now) {
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i];
        if (!matchesLabelSet(r.targetMatchers, labels)) continue;
        const bucket = sources[i].get(keyOf(r, labels));
        if (!bucket) continue;
        const excludeTwoSided = matchesLabelSet(r.sourceMatchers, labels);
        for (const [fp, s] of bucket) {
          if (isResolved(s, now)) continue;
          if (excludeTwoSided && matchesLabelSet(r.targetMatchers, s.labels)) continue;
          return fp;
        }
      }
      return undefined;
    },
    forget(fps) {
      for (const byKey of sources) {
        for (const [key, bucket] of byKey) {
          for (const fp of fps) bucket.delete(fp);
          if (bucket.size === 0) byKey.delete(key);
        }
      }
    },
  };
}
