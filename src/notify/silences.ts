// Silences with Alertmanager's semantics. A silence is pending before startsAt, active until
// endsAt, then expired; expired silences are kept for `retention` (default 120h, so they can be
// looked at and re-created) and then garbage-collected. Changing an active silence's matchers or
// start creates a new silence and expires the old one, so history stays truthful. The set is
// snapshotted atomically on every change and replayed at start; peers exchange silences.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { checkRE2Syntax, newMatcher, RE2SyntaxError, type Matcher } from '../model/index.ts';
import { LABEL_NAME_RE } from './labels.ts';
import { matchesLabelSet } from './matchers.ts';
import { ensureDir, readSnapshot, writeSnapshot } from './persist.ts';
import type { LabelSet } from './types.ts';

/** A matcher as API v2 writes it. */
export interface SilenceMatcher {
  name: string;
  value: string;
  isRegex: boolean;
  /** false for != and !~ (absent means true, as in API v2). */
  isEqual: boolean;
}

export interface Silence {
  id: string;
  matchers: SilenceMatcher[];
  /** ms since the epoch. */
  startsAt: number;
  endsAt: number;
  updatedAt: number;
  createdBy: string;
  comment: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

/** A request that cannot be honoured; `notFound` maps to HTTP 404, the rest to 400. */
export class SilenceError extends Error {
  readonly notFound: boolean;
  constructor(message: string, notFound = false) {
    super(message);
    this.name = 'SilenceError';
    this.notFound = notFound;
  }
}

export const DEFAULT_SILENCE_RETENTION_MS = 120 * 3600_000;

export function silenceState(s: Silence, now: number): SilenceState {
  if (now < s.startsAt) return 'pending';
  if (now > s.endsAt) return 'expired';
  return 'active';
}

// Matched as Alertmanager's labels.NewMatcher matches ("^(?:" + value + ")$", `.` not matching a newline).
export function compileSilenceMatchers(ms: readonly SilenceMatcher[]): Matcher[] {
  return ms.map((m) => newMatcher(m.isRegex ? (m.isEqual ? '=~' : '!~') : m.isEqual ? '=' : '!=', m.name, m.value, 'alertmanager'));
}

// Alertmanager's validateSilence, in its order and words (amtool shows them): each matcher's name
// and pattern, then that not every matcher matches the empty string. Only = and =~ matchers are
// asked there; != and !~ never count as matching "", so {a!="b"} alone (which mutes every alert
// without a="b", those without the label too) is a valid silence, as in Alertmanager 0.25.
function validate(s: Silence): void {
  if (!Array.isArray(s.matchers) || s.matchers.length === 0) throw new SilenceError('at least one matcher required');
  const compiled: Matcher[] = [];
  s.matchers.forEach((m, i) => {
    if (typeof m.name !== 'string' || !LABEL_NAME_RE.test(m.name)) throw new SilenceError(`invalid label matcher ${i}: invalid label name ${JSON.stringify(m.name)}`);
    if (typeof m.value !== 'string') throw new SilenceError(`invalid label matcher ${i}: invalid label value ${JSON.stringify(m.value)}`);
    try {
      // Alertmanager's validateMatcher compiles the bare pattern (`a)|(b` is refused) and names it.
      if (m.isRegex) checkRE2Syntax(m.value);
      compiled.push(...compileSilenceMatchers([m]));
    } catch (e) {
      if (e instanceof RE2SyntaxError) throw new SilenceError(`invalid label matcher ${i}: invalid regular expression ${JSON.stringify(m.value)}: ${e.message}`);
      throw new SilenceError(`invalid label matcher ${i}: ${(e as Error).message}`);
    }
  });
  if (compiled.every((m) => (m.type === '=' || m.type === '=~') && m.matches(''))) throw new SilenceError('at least one matcher must not match the empty string');
  if (!Number.isFinite(s.startsAt) || s.startsAt <= 0) throw new SilenceError('invalid zero start timestamp');
  if (!Number.isFinite(s.endsAt) || s.endsAt <= 0) throw new SilenceError('invalid zero end timestamp');
  if (s.endsAt < s.startsAt) throw new SilenceError('end time must not be before start time');
}

export interface Silences {
  /**
   * Creates (no id) or updates (id) a silence and returns its id, which is new when the change
   * could not be made in place. Throws SilenceError.
   */
  set(s: Omit<Silence, 'id' | 'updatedAt'> & { id?: string }): string;
  /** Ends a silence now. Throws SilenceError (unknown id, already expired). */
  expire(id: string): void;
  get(id: string): Silence | undefined;
  list(): Silence[];
  /** Ids of the silences active now whose matchers all match the labels. */
  mutedBy(labels: LabelSet): string[];
  /** Takes silences from a peer where they are newer than ours; returns how many changed. */
  merge(silences: Silence[]): number;
  /** Drops silences expired for longer than the retention. */
  gc(): number;
  /** Called with each silence that changed here (for peers). */
  onChange(fn: (s: Silence) => void): void;
}

export interface SilencesOptions {
  /** Directory for the snapshot; undefined keeps silences in memory only. */
  dir?: string;
  now: () => number;
  retentionMs?: number;
}

export function createSilences(o: SilencesOptions): Silences {
  const retention = o.retentionMs ?? DEFAULT_SILENCE_RETENTION_MS;
  const file = o.dir === undefined ? undefined : join(o.dir, 'silences.json');
  const all = new Map<string, Silence>();
  const compiled = new Map<string, Matcher[]>();
  const listeners: ((s: Silence) => void)[] = [];

  if (file) {
    ensureDir(o.dir!);
    const snap = readSnapshot(file) as { silences?: Silence[] } | undefined;
    for (const s of snap?.silences ?? []) all.set(s.id, s);
  }
  const save = () => {
    if (file) writeSnapshot(file, { silences: [...all.values()] });
  };
  const matchersOf = (s: Silence): Matcher[] => {
    let m = compiled.get(s.id);
    if (!m) {
      m = compileSilenceMatchers(s.matchers);
      compiled.set(s.id, m);
    }
    return m;
  };
  const store = (s: Silence, notify: boolean) => {
    all.set(s.id, s);
    compiled.delete(s.id);
    save();
    if (notify) for (const fn of listeners) fn(s);
  };
  const expireNow = (prev: Silence, now: number) => {
    const s = { ...prev, updatedAt: now };
    const st = silenceState(prev, now);
    if (st === 'expired') throw new SilenceError(`silence ${prev.id} already expired`);
    if (st === 'pending') s.startsAt = now;
    s.endsAt = now;
    store(s, true);
  };

  return {
    set(input) {
      const now = o.now();
      // Alertmanager's API checks the times before anything else, then looks the id up, then
      // validates what it is about to store ("silence invalid: ..."); the messages are its own.
      if (!(input.startsAt < input.endsAt)) throw new SilenceError('Failed to create silence: start time must be before end time');
      if (input.endsAt < now) throw new SilenceError("Failed to create silence: end time can't be in the past");
      const prev = input.id ? all.get(input.id) : undefined;
      if (input.id && !prev) throw new SilenceError('silence not found', true);
      const next: Silence = {
        id: input.id ?? '',
        matchers: (Array.isArray(input.matchers) ? input.matchers : []).map((m) => ({ name: m.name, value: m.value, isRegex: !!m.isRegex, isEqual: m.isEqual !== false })),
        startsAt: input.startsAt,
        endsAt: input.endsAt,
        updatedAt: now,
        createdBy: input.createdBy ?? '',
        comment: input.comment ?? '',
      };
      const check = (s: Silence) => {
        try {
          validate(s);
        } catch (e) {
          throw new SilenceError(`silence invalid: ${(e as Error).message}`);
        }
      };
      if (prev && canUpdate(prev, next, now)) {
        check(next);
        store(next, true);
        return next.id;
      }
      // A new silence, or one replacing prev: it starts now at the earliest.
      next.id = randomUUID();
      if (next.startsAt < now) next.startsAt = now;
      // Checked before prev is expired (Alertmanager expires it first, so a refused replacement
      // would end the silence it was meant to change).
      check(next);
      if (prev && silenceState(prev, now) !== 'expired') expireNow(prev, now);
      store(next, true);
      return next.id;
    },
    expire(id) {
      const prev = all.get(id);
      if (!prev) throw new SilenceError(`silence ${id} not found`, true);
      expireNow(prev, o.now());
    },
    get: (id) => all.get(id),
    list: () => [...all.values()],
    mutedBy(labels) {
      const now = o.now();
      const ids: string[] = [];
      for (const s of all.values()) {
        if (silenceState(s, now) === 'active' && matchesLabelSet(matchersOf(s), labels)) ids.push(s.id);
      }
      return ids.sort();
    },
    merge(list) {
      let changed = 0;
      for (const s of list) {
        const prev = all.get(s.id);
        if (prev && prev.updatedAt >= s.updatedAt) continue;
        try {
          validate(s);
        } catch {
          continue; // a peer's invalid silence is not ours to keep
        }
        all.set(s.id, s);
        compiled.delete(s.id);
        changed++;
      }
      if (changed > 0) save();
      return changed;
    },
    gc() {
      const now = o.now();
      let n = 0;
      for (const [id, s] of all) {
        if (s.endsAt + retention < now) {
          all.delete(id);
          compiled.delete(id);
          n++;
        }
      }
      if (n > 0) save();
      return n;
    },
    onChange(fn) {
      listeners.push(fn);
    },
  };
}

// Alertmanager updates in place only what does not rewrite history: same matchers, and for an
// active silence the same start and an end not in the past; a pending one may move its start.
function canUpdate(a: Silence, b: Silence, now: number): boolean {
  if (JSON.stringify(a.matchers) !== JSON.stringify(b.matchers)) return false;
  switch (silenceState(a, now)) {
    case 'active':
      return b.startsAt === a.startsAt && b.endsAt >= now;
    case 'pending':
      return b.startsAt >= now;
    default:
      return false;
  }
}
