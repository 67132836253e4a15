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
  // Per rule, the alerts matching its source side, by fingerprint.
  const sources = rules.map(() => new Map<string, Alert>());
  return {
    observe(alerts) {
      for (const a of alerts) {
        rules.forEach((r, i) => {
          if (matchesLabelSet(r.sourceMatchers, a.labels)) sources[i].set(alertFingerprint(a), a);
        });
      }
    },
    inhibitedBy(labels, now) {
      for (let i = 0; i < rules.length; i++) {
        const r = rules[i];
        if (!matchesLabelSet(r.targetMatchers, labels)) continue;
        const excludeTwoSided = matchesLabelSet(r.sourceMatchers, labels);
        outer: for (const [fp, s] of sources[i]) {
          if (isResolved(s, now)) continue;
          for (const l of r.equal) if ((s.labels[l] ?? '') !== (labels[l] ?? '')) continue outer;
          if (excludeTwoSided && matchesLabelSet(r.targetMatchers, s.labels)) continue;
          return fp;
        }
      }
      return undefined;
    },
    forget(fps) {
      for (const m of sources) for (const fp of fps) m.delete(fp);
    },
  };
}
