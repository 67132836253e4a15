// Admission control for writes. Each write request may buffer a body of up to max_request_bytes,
// so an unbounded number of them in flight is unbounded memory. At most `max` are processed at
// once (server.max_concurrent_writes); the next ones wait in a bounded FIFO queue
// (server.write_queue_length) — their bodies stay unread in the socket, which pushes back on the
// senders through TCP. A request finding the queue full gets 429 at once (reason "overloaded");
// one that waited longer than server.write_queue_timeout gets 503 (reason "queue_timeout"). Both
// carry Retry-After. Senders retry 5xx with backoff; 429 is retried by OTLP exporters and by
// Prometheus' remote write only with queue_config.retry_on_http_429 (else it drops the batch): the
// queue length is what decides between waiting and a fast refusal.
import { ApiError, ErrorType } from './http.ts';

export interface AdmissionOptions {
  /** Write requests processed at once. */
  max: number;
  /** Requests allowed to wait beyond `max`. */
  queue: number;
  /** How long a request may wait for its turn. */
  timeoutMs: number;
}

/** Why a write was not admitted, for strata_write_rejected_total. */
export type AdmissionRefusal = 'overloaded' | 'queue_timeout';

/** A refused admission: the status to answer and the reason to count. */
export class AdmissionError extends ApiError {
  readonly reason: AdmissionRefusal;
  readonly retryAfterSeconds = 1;
  constructor(status: number, reason: AdmissionRefusal, message: string) {
    super(status, ErrorType.unavailable, message);
    this.reason = reason;
  }
}

export interface Admission {
  /** Resolves with a release function once the request may proceed; rejects with AdmissionError otherwise. */
  admit(): Promise<() => void>;
  readonly active: number;
  readonly waiting: number;
}

export function createAdmission(opts: AdmissionOptions): Admission {
  let active = 0;
  const waiters: { grant: () => void; timer: NodeJS.Timeout }[] = [];
  const release = () => {
    const next = waiters.shift();
    if (next) {
      clearTimeout(next.timer);
      next.grant(); // the slot passes straight to the next request
    } else active--;
  };
  const once = () => {
    let done = false;
    return () => {
      if (!done) {
        done = true;
        release();
      }
    };
  };
  return {
    get active() {
      return active;
    },
    get waiting() {
      return waiters.length;
    },
    admit() {
      if (active < opts.max) {
        active++;
        return Promise.resolve(once());
      }
      if (waiters.length >= opts.queue) {
        return Promise.reject(new AdmissionError(429, 'overloaded',
          `Strata is overloaded (${active} write requests in progress and ${waiters.length} waiting, ` +
          'server.max_concurrent_writes and server.write_queue_length); retry later'));
      }
      return new Promise((resolve, reject) => {
        const w = {
          grant: () => resolve(once()),
          timer: setTimeout(() => {
            const i = waiters.indexOf(w);
            if (i >= 0) waiters.splice(i, 1);
            reject(new AdmissionError(503, 'queue_timeout',
              `Strata is overloaded (waited ${opts.timeoutMs} ms, server.write_queue_timeout, for one of ${opts.max} write slots); retry later`));
          }, opts.timeoutMs),
        };
        waiters.push(w);
      });
    },
  };
}
