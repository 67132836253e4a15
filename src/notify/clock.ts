// Time for the notifier, injectable so that tests drive group_wait, group_interval, repeat_interval
// and retry backoff with a fake clock instead of waiting (and instead of asserting on real time).

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** ms since the epoch. */
  now(): number;
  /** Runs `fn` after `ms`. */
  after(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  after(ms, fn) {
    const t = setTimeout(fn, Math.max(0, ms));
    t.unref?.();
    return { cancel: () => clearTimeout(t) };
  },
};

/** A clock that moves only when told to; `advance` runs due timers in time order. */
export interface FakeClock extends Clock {
  /** Moves time forward by `ms`, running each due timer and letting its async work settle. */
  advance(ms: number): Promise<void>;
  /** Lets pending promises (sends, waits) settle without moving time. */
  settle(): Promise<void>;
}

export function fakeClock(start = Date.UTC(2026, 0, 1)): FakeClock {
  let now = start;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; seq: number }>();
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  return {
    now: () => now,
    after(ms, fn) {
      const id = ++seq;
      timers.set(id, { at: now + Math.max(0, ms), fn, seq: id });
      return { cancel: () => timers.delete(id) };
    },
    settle,
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        let next: { at: number; fn: () => void; seq: number } | undefined;
        let nextId = 0;
        for (const [id, t] of timers) {
          if (t.at <= target && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) {
            next = t;
            nextId = id;
          }
        }
        if (!next) break;
        timers.delete(nextId);
        now = Math.max(now, next.at);
        next.fn();
        await settle();
      }
      now = target;
      await settle();
    },
  };
}

/** Resolves after `ms` on `clock`, or at once when `signal` aborts (never rejects). */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const t = clock.after(ms, done);
    function done() {
      t.cancel();
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
