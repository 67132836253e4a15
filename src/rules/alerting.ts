// An alerting rule: its active alerts and their pending → firing → resolved life, as Prometheus'
// rules package defines it (users' `for`, `keep_firing_for` and dashboards of ALERTS rely on the
// exact transitions):
//  - every result sample of the expression is an alert instance, identified by its labels after
//    the rule's (templated) labels and alertname are applied; the metric name is dropped;
//  - a new instance is pending, and fires once it has been active for `for`;
//  - an instance missing from the result is resolved at once (a pending one is forgotten), unless
//    it was firing and keep_firing_for still holds it;
//  - resolved instances are kept 15 minutes so the notifier hears of the resolution repeatedly;
//  - each evaluation writes ALERTS{alertstate} = 1 and ALERTS_FOR_STATE = activeAt (seconds) for
//    every pending or firing instance, the latter being what restores `for` after a restart.
import { labelsFromRecord, labelsHash, labelsEqual, labelsToRecord, withLabel, type Labels } from '../model/index.ts';
import type { AlertingRuleDef } from './file.ts';
import type { InstantSample, RuleContext } from './types.ts';

export const RESOLVED_RETENTION_MS = 15 * 60_000;
export const ALERTS_METRIC = 'ALERTS';
export const ALERTS_FOR_STATE_METRIC = 'ALERTS_FOR_STATE';

export type AlertState = 'pending' | 'firing' | 'inactive';

export interface ActiveAlert {
  labels: Labels;
  annotations: Record<string, string>;
  state: AlertState;
  value: number;
  /** ms; when the instance first appeared (restored from ALERTS_FOR_STATE after a restart). */
  activeAt: number;
  /** ms; 0 until it fires. */
  firedAt: number;
  /** ms; 0 while active. */
  resolvedAt: number;
  /** ms; 0 until first sent. */
  lastSentAt: number;
  /** ms; when the notifier should consider it resolved unless re-sent. */
  validUntil: number;
  /** ms; 0 unless held by keep_firing_for. */
  keepFiringSince: number;
}

export class AlertingRule {
  readonly def: AlertingRuleDef;
  /** Active instances by label hash (a short list per hash, for hash collisions). */
  private readonly active = new Map<number, ActiveAlert[]>();
  /** ALERTS samples are written only once `for` state was restored (or found nothing to restore). */
  restored = false;

  constructor(def: AlertingRuleDef) {
    this.def = def;
  }

  get name(): string {
    return this.def.alert;
  }

  /**
   * Evaluates at `ts` (ms) and returns the ALERTS / ALERTS_FOR_STATE samples to store. Throws on a
   * query error, duplicate label sets or an exceeded limit (then all instances are dropped, as
   * Prometheus does, so they resolve).
   */
  async eval(ctx: RuleContext, ts: number, limit: number): Promise<InstantSample[]> {
    const queryTs = ts - ctx.queryOffsetMs;
    const result = await ctx.query(this.def.expr, queryTs);
    const fresh = new Map<number, ActiveAlert[]>();
    for (const s of result) {
      // Templates see the sample's labels as the query returned them, metric name included (as
      // Prometheus: `{{ $labels.__name__ }}` works); the alert itself drops the name.
      const metric = labelsToRecord(s.labels);
      const data = { labels: metric, value: s.value };
      const rec: Record<string, string> = { ...metric };
      delete rec.__name__;
      for (const [k, v] of Object.entries({ ...ctx.groupLabels, ...this.def.labels })) rec[k] = await ctx.expand(v, data, ts, this.name);
      rec.alertname = this.name;
      const annotations: Record<string, string> = {};
      for (const [k, v] of Object.entries(this.def.annotations)) annotations[k] = await ctx.expand(v, data, ts, this.name);
      const labels = labelsFromRecord(rec);
      const h = labelsHash(labels);
      const bucket = fresh.get(h) ?? [];
      if (bucket.some((a) => labelsEqual(a.labels, labels))) throw new Error('vector contains metrics with the same labelset after applying alert labels');
      bucket.push({ labels, annotations, state: 'pending', value: s.value, activeAt: ts, firedAt: 0, resolvedAt: 0, lastSentAt: 0, validUntil: 0, keepFiringSince: 0 });
      fresh.set(h, bucket);
    }

    for (const [h, bucket] of fresh) {
      for (const a of bucket) {
        const known = this.find(h, a.labels);
        if (known && known.state !== 'inactive') {
          known.value = a.value;
          known.annotations = a.annotations;
        } else if (known) {
          Object.assign(known, a);
        } else {
          this.active.set(h, [...(this.active.get(h) ?? []), a]);
        }
      }
    }

    const out: InstantSample[] = [];
    let activeCount = 0;
    for (const [h, bucket] of this.active) {
      for (const a of [...bucket]) {
        const present = fresh.get(h)?.some((f) => labelsEqual(f.labels, a.labels)) ?? false;
        if (!present) {
          let keepFiring = false;
          if (a.state === 'firing' && this.def.keepFiringForMs > 0) {
            if (a.keepFiringSince === 0) a.keepFiringSince = ts;
            keepFiring = ts - a.keepFiringSince < this.def.keepFiringForMs;
          }
          if (a.state === 'pending' || (a.resolvedAt !== 0 && ts - a.resolvedAt > RESOLVED_RETENTION_MS)) this.remove(h, a);
          if (!keepFiring) {
            if (a.state !== 'inactive') {
              a.state = 'inactive';
              a.resolvedAt = ts;
            }
            continue;
          }
        } else {
          a.keepFiringSince = 0;
        }
        activeCount++;
        if (a.state === 'pending' && ts - a.activeAt >= this.def.forMs) {
          a.state = 'firing';
          a.firedAt = ts;
        }
        if (this.restored) {
          out.push({ labels: withLabel(this.seriesLabels(a, ctx.groupLabels, ALERTS_METRIC), 'alertstate', a.state), value: 1 });
          out.push({ labels: this.seriesLabels(a, ctx.groupLabels, ALERTS_FOR_STATE_METRIC), value: Math.floor(a.activeAt / 1000) });
        }
      }
    }
    if (limit > 0 && activeCount > limit) {
      this.active.clear();
      throw new Error(`exceeded limit of ${limit} with ${activeCount} alerts`);
    }
    return out;
  }

  /** Pending, firing and recently resolved instances (resolved ones have resolvedAt set). */
  alerts(): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const bucket of this.active.values()) out.push(...bucket);
    return out;
  }

  /** The rule's state: the highest of its instances' (firing > pending > inactive). */
  state(): AlertState {
    let s: AlertState = 'inactive';
    for (const a of this.alerts()) {
      if (a.state === 'firing') return 'firing';
      if (a.state === 'pending') s = 'pending';
    }
    return s;
  }

  /**
   * The instances to send to the notifier now (Prometheus' needsSending): firing ones not sent for
   * resendDelay, and ones resolved since they were last sent. Marks them sent.
   */
  alertsToSend(ts: number, resendDelayMs: number, intervalMs: number): ActiveAlert[] {
    const out: ActiveAlert[] = [];
    for (const a of this.alerts()) {
      if (a.state === 'pending') continue;
      const resolvedSinceSent = a.resolvedAt > a.lastSentAt;
      if (!resolvedSinceSent && !(a.lastSentAt + resendDelayMs < ts)) continue;
      a.lastSentAt = ts;
      // Survive two missed evaluations or sends before the notifier resolves it on its own.
      a.validUntil = ts + 4 * Math.max(intervalMs, resendDelayMs);
      out.push({ ...a });
    }
    return out;
  }

  /** Takes over the instances of the same rule from before a reload. */
  copyStateFrom(old: AlertingRule): void {
    for (const [h, bucket] of old.active) this.active.set(h, bucket.map((a) => ({ ...a })));
    this.restored = old.restored;
  }

  /** Restores `activeAt` of a pending or firing instance (see Group.restoreForState). */
  /**
   * The labels of an instance's ALERTS or ALERTS_FOR_STATE series. As in Prometheus, they start
   * from the rule's labels as written (templates unexpanded) with the instance's labels over them:
   * a templated label that expanded to "" (so the alert has none) keeps its template text there.
   */
  seriesLabels(a: ActiveAlert, groupLabels: Record<string, string>, metric: string): Labels {
    return labelsFromRecord({ ...groupLabels, ...this.def.labels, ...labelsToRecord(a.labels), __name__: metric, alertname: this.name });
  }

  setActiveAt(labels: Labels, activeAt: number): void {
    const a = this.find(labelsHash(labels), labels);
    if (a) a.activeAt = activeAt;
  }

  private find(h: number, labels: Labels): ActiveAlert | undefined {
    return this.active.get(h)?.find((a) => labelsEqual(a.labels, labels));
  }

  private remove(h: number, a: ActiveAlert): void {
    const bucket = this.active.get(h);
    if (!bucket) return;
    const rest = bucket.filter((x) => x !== a);
    if (rest.length === 0) this.active.delete(h);
    else this.active.set(h, rest);
  }
}
