// The loop of the discoverers that poll (http_sd, dns_sd): one refresh at start and one every
// interval, never two at once, and none once stopped.
import type { Discoverer } from './discovery.ts';

/** Calls refresh now and every intervalMs; `stopped()` tells a refresh in flight to discard its result. */
export function pollEvery(intervalMs: number, refresh: (stopped: () => boolean) => Promise<void>): Discoverer {
  let stopped = false;
  let running = false;
  const isStopped = () => stopped;
  const tick = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await refresh(isStopped);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), intervalMs);
  timer.unref();
  void tick();
  return {
    stop() {
      stopped = true;
      clearInterval(timer);
    },
  };
}
