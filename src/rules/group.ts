// A rule group: its rules evaluated in order at a fixed interval, results written to storage,
// alerts handed to the notifier. Timing and bookkeeping follow Prometheus' rules.Group, because
// users' dashboards and alert timings depend on them:
//  - evaluation timestamps are aligned to the interval, shifted by a per-group offset derived from
//    the group's file and name, so groups do not all evaluate at the same instant;
//  - a series a rule returned at the previous evaluation and not now gets a staleness marker;
//  - after a start, `for` state is restored from ALERTS_FOR_STATE once two evaluations have run
//    (recording rules must have fresh values first), within the outage tolerance;
//  - a failing rule is marked unhealthy with its error; the other rules of the group still run.
import type { Logger } from 'pino';
import { labelsHash, labelsToRecord, labelsEqual, SampleBatchBuilder, STALE_NAN, labelsToString, type Labels, type Matcher, newMatcher } from '../model/index.ts';
import type { Appendable, Querier } from '../tsdb/index.ts';
import { ALERTS_FOR_STATE_METRIC, AlertingRule, type ActiveAlert } from './alerting.ts';
import type { RuleGroupDef } from './file.ts';
import { RecordingRule } from './recording.ts';
import type { ExpandFunc, InstantSample, QueryFunc, RuleContext } from './types.ts';

export type Rule = AlertingRule | RecordingRule;

/** An alert as sent to a notifier (Alertmanager API v2 fields). Times in ms. */
export interface OutgoingAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: number;
  endsAt: number;
  generatorURL: string;
}

export interface GroupDeps {
  appendable: Appendable;
  /** For restoring `for` state from ALERTS_FOR_STATE. */
  querier: () => Querier;
  query: QueryFunc;
  expand: ExpandFunc;
  /** Receives the alerts to send after each evaluation of an alerting rule. */
  notify: (alerts: OutgoingAlert[]) => void;
  logger: Logger;
  /** Link target of alerts' generatorURL (Prometheus' --web.external-url). */
  externalURL: string;
  /** Used when a group sets no interval. */
  defaultIntervalMs: number;
  /** Used when a group sets no query_offset. */
  defaultQueryOffsetMs: number;
  /** Minimum time between re-sends of a firing alert (Prometheus' --rules.alert.resend-delay). */
  resendDelayMs: number;
  /** How long an outage may last for `for` state to be restored (--rules.alert.for-outage-tolerance). */
  outageToleranceMs: number;
  /** Minimum time an alert waits to fire after a restore (--rules.alert.for-grace-period). */
  forGracePeriodMs: number;
  now: () => number;
  onEvaluated?: (g: Group, durationMs: number, missed: number) => void;
}

export type RuleHealth = 'unknown' | 'ok' | 'err';

export interface RuleStatus {
  health: RuleHealth;
  lastError: string;
  /** ms; 0 before the first evaluation. */
  lastEvaluation: number;
  evaluationMs: number;
}

export class Group {
  readonly def: RuleGroupDef;
  readonly rules: Rule[];
  readonly status: RuleStatus[];
  readonly intervalMs: number;
  readonly queryOffsetMs: number;
  lastEvaluation = 0;
  evaluationMs = 0;
  /** Restore `for` state after the second evaluation (set for groups loaded at process start). */
  shouldRestore: boolean;
  private readonly deps: GroupDeps;
  private previous: Map<string, Labels>[];
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private evaluations = 0;

  constructor(def: RuleGroupDef, deps: GroupDeps, shouldRestore: boolean) {
    this.def = def;
    this.deps = deps;
    this.rules = def.rules.map((r) => (r.kind === 'alerting' ? new AlertingRule(r) : new RecordingRule(r)));
    this.status = this.rules.map(() => ({ health: 'unknown', lastError: '', lastEvaluation: 0, evaluationMs: 0 }));
    this.previous = this.rules.map(() => new Map());
    this.intervalMs = def.intervalMs > 0 ? def.intervalMs : deps.defaultIntervalMs;
    this.queryOffsetMs = def.queryOffsetMs ?? deps.defaultQueryOffsetMs;
    this.shouldRestore = shouldRestore;
    if (!shouldRestore) for (const r of this.rules) if (r instanceof AlertingRule) r.restored = true;
  }

  /** The group's identity across reloads: file and name. */
  get key(): string {
    return `${this.def.file};${this.def.name}`;
  }

  /** The evaluation timestamp at or before `now`: aligned to the interval plus the group's offset. */
  evalTimestamp(now: number): number {
    const offset = groupOffset(this.key, this.intervalMs);
    const adj = now - offset;
    return adj - (((adj % this.intervalMs) + this.intervalMs) % this.intervalMs) + offset;
  }

  /** Starts evaluating on schedule: the first evaluation at the next aligned timestamp. */
  start(): void {
    const first = this.evalTimestamp(this.deps.now()) + this.intervalMs;
    this.schedule(first);
  }

  private schedule(ts: number): void {
    if (this.stopped) return;
    const wait = Math.max(0, ts - this.deps.now());
    this.timer = setTimeout(() => {
      this.timer = null;
      // Evaluations that could not start on time are skipped, as Prometheus counts them missed.
      const now = this.deps.now();
      const missed = Math.max(0, Math.floor((now - ts) / this.intervalMs));
      const evalTs = ts + missed * this.intervalMs;
      this.running = this.evaluate(evalTs, missed).finally(() => {
        this.running = null;
        this.schedule(evalTs + this.intervalMs);
      });
    }, wait);
    this.timer.unref?.();
  }

  /** Stops the schedule and waits for a running evaluation. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.running;
  }

  /** One evaluation of every rule at ts (ms), in order. Never throws. */
  async evaluate(ts: number, missed = 0): Promise<void> {
    const began = performance.now();
    for (let i = 0; i < this.rules.length; i++) {
      const rule = this.rules[i];
      const st = this.status[i];
      const t0 = performance.now();
      const ctx: RuleContext = { query: this.deps.query, expand: this.deps.expand, queryOffsetMs: this.queryOffsetMs, groupLabels: this.def.labels };
      try {
        const samples = await rule.eval(ctx, ts, this.def.limit);
        if (rule instanceof AlertingRule) this.sendAlerts(rule, ts);
        const refused = await this.store(i, samples, ts - this.queryOffsetMs);
        // As Prometheus: samples the storage refused leave the rule unhealthy with the storage's
        // error until an evaluation stores everything, while the others are stored and the
        // alerts sent; it is no evaluation failure.
        st.health = refused === null ? 'ok' : 'err';
        st.lastError = refused ?? '';
      } catch (e) {
        st.health = 'err';
        st.lastError = (e as Error).message;
        this.deps.logger.warn({ group: this.def.name, file: this.def.file, rule: rule.name, err: st.lastError }, 'rule evaluation failed');
      }
      st.lastEvaluation = this.deps.now();
      st.evaluationMs = performance.now() - t0;
    }
    this.lastEvaluation = ts;
    this.evaluationMs = performance.now() - began;
    this.evaluations++;
    if (this.shouldRestore && this.evaluations >= 2) {
      this.shouldRestore = false;
      await this.restoreForState(this.deps.now()).catch((e: unknown) => this.deps.logger.warn({ group: this.def.name, err: (e as Error).message }, 'restoring alert state failed'));
    }
    this.deps.onEvaluated?.(this, this.evaluationMs, missed);
  }

  /**
   * Writes a rule's samples and staleness markers for the series it returned last time and not
   * now. Samples the storage refuses (out of order, duplicate timestamp, older than the head
   * accepts) are dropped and the others stored, as Prometheus' rule group appends sample by
   * sample; returns Prometheus' error for them, null when everything was stored.
   */
  private async store(i: number, samples: InstantSample[], t: number): Promise<string | null> {
    const now = new Map<string, Labels>();
    const b = new SampleBatchBuilder(samples.length);
    for (const s of samples) {
      now.set(seriesKey(s.labels), s.labels);
      b.startSeries(s.labels);
      b.add(t, s.value);
    }
    // Staleness markers go apart: one the storage refuses (another rule wrote the series since)
    // is expected and leaves the rule healthy, as in Prometheus.
    const stale = new SampleBatchBuilder(4);
    for (const [k, ls] of this.previous[i]) {
      if (now.has(k)) continue;
      stale.startSeries(ls);
      stale.add(t, STALE_NAN);
    }
    this.previous[i] = now;
    let refused: string | null = null;
    if (b.seriesCount > 0) {
      const res = await this.deps.appendable.append(b.build(), { tooOld: 'drop' });
      for (const [reason, n] of Object.entries(res.rejected)) {
        if (n === 0) continue;
        // Prometheus logs a count per reason; the storage counts them (strata_tsdb_rejected_samples_total).
        this.deps.logger.warn({ group: this.def.name, file: this.def.file, rule: this.rules[i].name, numDropped: n, errors: res.errors }, REFUSED_LOG[reason] ?? 'Rule evaluation result discarded');
        refused ??= STORAGE_ERRORS[reason] ?? reason;
      }
      // A refused series does not count as returned: the rule marks it stale later no more than
      // Prometheus does (it is another writer's series, e.g. another rule's).
      if (refused !== null) await this.forgetRefused(now, samples, t);
    }
    if (stale.seriesCount > 0) await this.deps.appendable.append(stale.build(), { tooOld: 'drop' });
    return refused;
  }

  /**
   * Removes from `returned` the series whose sample at t is not the one the rule wrote (the
   * storage refused it). Only after a refusal, which the append's result counts but does not name.
   */
  private async forgetRefused(returned: Map<string, Labels>, samples: InstantSample[], t: number): Promise<void> {
    const q = this.deps.querier();
    const byName = new Map<string, InstantSample[]>();
    for (const s of samples) {
      const name = labelsToRecord(s.labels).__name__ ?? '';
      byName.set(name, [...(byName.get(name) ?? []), s]);
    }
    for (const [name, group] of byName) {
      const stored = await q.select([newMatcher('=', '__name__', name)], t, t);
      for (const s of group) {
        const got = stored.find((x) => labelsEqual(x.labels, s.labels));
        const at = got === undefined ? -1 : got.timestamps.lastIndexOf(t);
        const v = at < 0 ? undefined : got!.values[at];
        if (v === undefined || !(v === s.value || (Number.isNaN(v) && Number.isNaN(s.value)))) returned.delete(seriesKey(s.labels));
      }
    }
  }

  /** Marks every series the group wrote last as stale (the group is removed by a reload). */
  async markStale(): Promise<void> {
    const t = this.deps.now() - this.queryOffsetMs;
    const b = new SampleBatchBuilder(16);
    for (const prev of this.previous) {
      for (const ls of prev.values()) {
        b.startSeries(ls);
        b.add(t, STALE_NAN);
      }
    }
    this.previous = this.rules.map(() => new Map());
    if (b.seriesCount > 0) await this.deps.appendable.append(b.build()).catch(() => undefined);
  }

  private sendAlerts(rule: AlertingRule, ts: number): void {
    const alerts = rule.alertsToSend(ts, this.deps.resendDelayMs, this.intervalMs);
    if (alerts.length === 0) return;
    const generatorURL = `${this.deps.externalURL.replace(/\/$/, '')}/graph?g0.expr=${queryEscape(rule.def.expr)}&g0.tab=1`;
    this.deps.notify(alerts.map((a) => toOutgoing(a, generatorURL)));
  }

  /**
   * Prometheus' RestoreForState: for each active instance of an alerting rule with a `for` at least
   * the grace period, the last ALERTS_FOR_STATE sample within the outage tolerance gives its
   * original activeAt, shifted by the time the process was down (or so that it fires no earlier
   * than the grace period from now).
   */
  async restoreForState(now: number): Promise<void> {
    const q = this.deps.querier();
    const mint = now - this.deps.outageToleranceMs;
    for (const rule of this.rules) {
      if (!(rule instanceof AlertingRule)) continue;
      const hold = rule.def.forMs;
      if (hold < this.deps.forGracePeriodMs) {
        rule.restored = true;
        continue;
      }
      const active = rule.alerts().filter((a) => a.state !== 'inactive');
      if (active.length > 0) {
        const matchers: Matcher[] = [newMatcher('=', '__name__', ALERTS_FOR_STATE_METRIC), newMatcher('=', 'alertname', rule.name)];
        const series = await q.select(matchers, mint, now);
        for (const a of active) {
          const want = rule.seriesLabels(a, this.def.labels, ALERTS_FOR_STATE_METRIC);
          const s = series.find((x) => labelsEqual(x.labels, want));
          if (!s || s.timestamps.length === 0) continue;
          const last = s.timestamps.length - 1;
          const downAt = Math.floor(s.timestamps[last] / 1000) * 1000;
          let activeAt = s.values[last] * 1000;
          const remaining = hold - (downAt - activeAt);
          if (remaining <= 0) {
            // It would have fired already: keep the original activeAt.
          } else if (remaining < this.deps.forGracePeriodMs) {
            activeAt = now + this.deps.forGracePeriodMs - hold;
          } else {
            activeAt += now - downAt;
          }
          rule.setActiveAt(a.labels, activeAt);
        }
      }
      rule.restored = true;
    }
  }

  /** Takes over rule state from the same group before a reload (rules matched by name and definition). */
  copyStateFrom(old: Group): void {
    this.lastEvaluation = old.lastEvaluation;
    this.evaluationMs = old.evaluationMs;
    this.evaluations = old.evaluations;
    this.shouldRestore = old.shouldRestore;
    const used = new Set<number>();
    for (let i = 0; i < this.rules.length; i++) {
      const r = this.rules[i];
      const j = old.rules.findIndex((o, k) => !used.has(k) && o.name === r.name && sameDefinition(o, r));
      if (j < 0) continue;
      used.add(j);
      this.previous[i] = old.previous[j];
      this.status[i] = { ...old.status[j] };
      const o = old.rules[j];
      if (r instanceof AlertingRule && o instanceof AlertingRule) r.copyStateFrom(o);
    }
    // Series of rules that are gone are marked stale by the caller via the old group.
    old.previous = old.previous.map((m, j) => (used.has(j) ? new Map() : m));
  }
}

// The storage's errors as Prometheus 2.42 words them (its storage.Err* texts), which its rules API
// shows as a rule's lastError; too old is out of bounds there, without an out-of-order window.
const STORAGE_ERRORS: Record<string, string> = {
  out_of_order: 'out of order sample',
  duplicate_timestamp: 'duplicate sample for timestamp',
  too_old: 'out of bounds',
};

const REFUSED_LOG: Record<string, string> = {
  out_of_order: 'Error on ingesting out-of-order result from rule evaluation',
  duplicate_timestamp: 'Error on ingesting results from rule evaluation with different value but same timestamp',
  too_old: 'Error on ingesting too old result from rule evaluation',
};

function sameDefinition(a: Rule, b: Rule): boolean {
  return a.def.kind === b.def.kind && a.def.expr === b.def.expr && JSON.stringify(a.def.labels) === JSON.stringify(b.def.labels);
}

function toOutgoing(a: ActiveAlert, generatorURL: string): OutgoingAlert {
  return {
    labels: labelsToRecord(a.labels),
    annotations: { ...a.annotations },
    startsAt: a.firedAt,
    endsAt: a.resolvedAt !== 0 ? a.resolvedAt : a.validUntil,
    generatorURL,
  };
}

// Go's url.QueryEscape, which Prometheus uses for generator links: space as '+', and !'()* escaped.
function queryEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

function seriesKey(ls: Labels): string {
  return labelsToString(ls);
}

// A stable per-group offset in [0, interval) from a hash of the group key: it spreads groups over
// the interval and keeps each group on the same schedule across restarts.
function groupOffset(key: string, intervalMs: number): number {
  let h = labelsHash([key]);
  if (h < 0) h = -h;
  return h % intervalMs;
}
