// Drains the disk queue in order by remote write 1.0. A record leaves the queue only when the
// server answered 2xx, or 4xx other than 429 (the server will never take it: retrying would block
// everything behind it forever, so it is dropped and counted). 5xx, 429 and network errors are
// retried with exponential backoff and full jitter, capped, for as long as it takes.
// setOptions() changes the URL and timeouts while running (config reload): a request in flight
// to the old URL is abandoned and its records go to the new one at once, still in order.
import { compressSync } from 'snappy';
import type { DiskQueue } from './queue.ts';

export interface SenderOptions {
  /** The server's remote write endpoint, e.g. http://strata:9190/api/v1/write. */
  url: string;
  timeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  userAgent?: string;
  /** Records are combined into requests of up to this many uncompressed bytes (default 1 MiB). */
  maxRequestBytes?: number;
}

/** Upper bounds (seconds) of the request duration histogram's buckets. */
export const SEND_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60] as const;

export interface SenderStats {
  sentSamples: number;
  sentRequests: number;
  /** Attempts that failed and were retried. */
  retries: number;
  /** Samples the server refused for good (4xx other than 429). */
  rejectedSamples: number;
  lastError: string;
  /** Duration of every attempt, answered or failed: per-bucket (not cumulative) counts, sum, count. */
  sendDuration: { buckets: number[]; sum: number; count: number };
}

export class Sender {
  readonly stats: SenderStats = {
    sentSamples: 0, sentRequests: 0, retries: 0, rejectedSamples: 0, lastError: '',
    sendDuration: { buckets: SEND_DURATION_BUCKETS.map(() => 0).concat(0), sum: 0, count: 0 },
  };
  private readonly queue: DiskQueue;
  private opts: SenderOptions;
  private stopped = false;
  private readonly abort = new AbortController();
  /** Aborts only the attempt in flight (a reload to another URL). */
  private attempt = new AbortController();
  /** Bumped by setOptions: an attempt that started before it does not count as failed. */
  private generation = 0;
  private wake: (() => void) | null = null;
  private readonly done: Promise<void>;

  constructor(queue: DiskQueue, opts: SenderOptions) {
    this.queue = queue;
    this.opts = opts;
    this.done = this.loop();
  }

  /** New URL or timeouts for the next attempt; a changed URL ends the attempt and backoff at once. */
  setOptions(opts: SenderOptions): void {
    const moved = opts.url !== this.opts.url;
    this.opts = opts;
    this.generation++;
    if (moved) {
      this.attempt.abort();
      this.wake?.();
    }
  }

  /** Stops after the request in flight (which is aborted); the queue keeps what was not acknowledged. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.abort.abort();
    this.wake?.();
    await this.done;
  }

  private async loop(): Promise<void> {
    let failures = 0;
    // After a refused combined request: records are sent one by one up to its end, so only the
    // record the server refuses is dropped, not its neighbours.
    let singlesLeft = 0;
    while (!this.stopped) {
      let rec;
      try {
        rec = singlesLeft > 0 ? this.queue.peek() : this.queue.peekBatch(this.opts.maxRequestBytes ?? 1 << 20);
      } catch (e) {
        // A segment file unreadable (I/O error, removed by hand): keep the loop alive and try again.
        this.stats.lastError = `reading the queue: ${(e as Error).message}`;
        await this.sleep(backoff(++failures, this.opts.minBackoffMs, this.opts.maxBackoffMs));
        continue;
      }
      if (rec === null) {
        await Promise.race([this.queue.waitForData(), this.sleep(1000)]);
        continue;
      }
      const generation = this.generation;
      const outcome = await this.send(rec.payload);
      if (this.stopped) return;
      if (outcome === 'retry' && generation !== this.generation) {
        failures = 0; // the options changed meanwhile: try the new ones at once
        continue;
      }
      if (outcome === 'rejected' && rec.records > 1) {
        singlesLeft = rec.records;
        continue;
      }
      if (outcome === 'ok' || outcome === 'rejected') {
        if (singlesLeft > 0) singlesLeft--;
        if (outcome === 'ok') {
          this.stats.sentSamples += rec.samples;
          this.stats.sentRequests++;
        } else {
          this.stats.rejectedSamples += rec.samples;
        }
        this.queue.commit(rec);
        failures = 0;
        continue;
      }
      this.stats.retries++;
      failures++;
      await this.sleep(backoff(failures, this.opts.minBackoffMs, this.opts.maxBackoffMs));
    }
  }

  private async send(payload: Buffer): Promise<'ok' | 'rejected' | 'retry'> {
    const timeout = AbortSignal.timeout(this.opts.timeoutMs);
    this.attempt = new AbortController();
    const started = performance.now();
    try {
      const res = await fetch(this.opts.url, {
        method: 'POST',
        body: compressSync(payload),
        headers: {
          'Content-Type': 'application/x-protobuf',
          'Content-Encoding': 'snappy',
          'X-Prometheus-Remote-Write-Version': '0.1.0',
          'User-Agent': this.opts.userAgent ?? 'Strata-agent',
        },
        signal: AbortSignal.any([timeout, this.abort.signal, this.attempt.signal]),
      });
      const body = await res.text();
      this.observe(started);
      if (res.status >= 200 && res.status < 300) return 'ok';
      this.stats.lastError = `HTTP ${res.status}: ${body.slice(0, 200)}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 429) return 'rejected';
      return 'retry';
    } catch (e) {
      if (!this.attempt.signal.aborted && !this.abort.signal.aborted) this.observe(started);
      this.stats.lastError = (e as Error).message;
      return 'retry';
    }
  }

  private observe(started: number): void {
    const s = (performance.now() - started) / 1000;
    const d = this.stats.sendDuration;
    let i = 0;
    while (i < SEND_DURATION_BUCKETS.length && s > SEND_DURATION_BUCKETS[i]) i++;
    d.buckets[i]++;
    d.sum += s;
    d.count++;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        this.wake = null;
        resolve();
      };
    });
  }
}

/** Exponential backoff with full jitter: uniform in [d/2, d], d = min(max, min * 2^(n-1)). */
export function backoff(failures: number, minMs: number, maxMs: number): number {
  const d = Math.min(maxMs, minMs * 2 ** Math.min(failures - 1, 30));
  return d / 2 + Math.random() * (d / 2);
}
