// The one append path every push protocol goes through (remote write 1.0 and 2.0, OTLP, Influx,
// Pushgateway): validation with the same limits, the same status codes, the same partial-rejection
// semantics and the same per-reason rejection counters. Protocols differ only in how they decode a
// body and how they render the outcome (plain text, Influx JSON, OTLP Status, ...).
//
// Semantics, for every protocol:
// - A payload that cannot be decoded, or whose decoded batch fails validation (bad name, too many
//   labels, timestamp too far ahead, ...), is refused whole: nothing of it is written (400, 413, 415).
// - Storage limits refuse the whole batch with 429 (retryable); a DB not ready answers 503.
// - Samples the storage refuses one by one (out of order, duplicate timestamp with another value)
//   are counted per reason, the rest IS stored, and the outcome says exactly how many of which.
// - Parts a decoder cannot represent (native histograms, OTLP delta sums, Influx string fields)
//   are counted as rejected with their own reason and reported in the response, never dropped silently.
import { batchSampleCount, type SampleBatch } from '../../model/index.ts';
import { IngestError, TextParseError, validateBatch } from '../../ingest/index.ts';
import { AppendError, type AppendResult } from '../../tsdb/index.ts';
import { ApiError } from '../http.ts';
import type { RequestContext } from '../router.ts';
import type { WriteDeps } from '../write.ts';

export type PushProtocol = 'remote_write' | 'remote_write_v2' | 'otlp' | 'influx' | 'pushgateway' | 'import';

export interface PushOutcome {
  /** 204 when everything was stored (renderers may map it to their protocol's success code). */
  status: number;
  /** Empty on full success; otherwise the reason, written for the person fixing the sender. */
  message: string;
  /** Samples in the payload (after decoding), including the ones refused. */
  received: number;
  /** Samples stored (new or identical resends). */
  written: number;
  /** Samples not stored, by reason. */
  rejected: Record<string, number>;
  /** True when part of the payload was stored and part refused. */
  partial: boolean;
}

/** Something the decoder refused itself, to count and report beside the storage's rejections. */
export interface Unrepresentable {
  reason: string;
  count: number;
  message: string;
}

/**
 * Validates and appends `batch`, counting everything under `protocol`. `refused` lists parts the
 * decoder could not represent; when the batch is otherwise fine they make the outcome partial.
 */
export async function appendPushed(
  ctx: RequestContext, deps: WriteDeps, protocol: PushProtocol, batch: SampleBatch, refused: Unrepresentable[] = [],
): Promise<PushOutcome> {
  const samples = batchSampleCount(batch);
  const refusedCount = refused.reduce((n, u) => n + u.count, 0);
  countReceived(deps, protocol, samples + refusedCount);
  const rejected: Record<string, number> = {};
  for (const u of refused) {
    if (u.count <= 0) continue;
    rejected[u.reason] = (rejected[u.reason] ?? 0) + u.count;
    countRejected(deps, protocol, u.reason, u.count);
  }
  const refusedMessage = refused.filter((u) => u.count > 0).map((u) => u.message).join('; ');
  try {
    if (samples === 0) {
      return refusedCount === 0
        ? { status: 204, message: '', received: 0, written: 0, rejected, partial: false }
        : { status: 400, message: `${refusedMessage}; nothing was written`, received: refusedCount, written: 0, rejected, partial: false };
    }
    const problem = validateBatch(batch, deps.limits, Date.now());
    if (problem) {
      countRejected(deps, protocol, problem.kind, samples);
      rejected[problem.kind] = (rejected[problem.kind] ?? 0) + samples;
      return { status: 400, message: `${problem.message}; nothing of this request was written`, received: samples + refusedCount, written: 0, rejected, partial: false };
    }
    const result = await deps.db(ctx).append(batch);
    let stored = 0;
    for (const k in result.rejected) {
      const n = result.rejected[k];
      if (n <= 0) continue;
      stored += n;
      rejected[k] = (rejected[k] ?? 0) + n;
      countRejected(deps, protocol, k, n);
    }
    const written = samples - stored;
    const total = samples + refusedCount;
    if (stored === 0 && refusedCount === 0) {
      return { status: 204, message: '', received: total, written, rejected, partial: false };
    }
    const parts = [refusedMessage, stored > 0 ? storageMessage(result) : ''].filter((p) => p !== '');
    return {
      status: 400,
      message: `${total - written} of ${total} samples rejected (${reasonList(rejected)}); the other ${written} samples were stored${parts.map((p) => `; ${p}`).join('')}`,
      received: total, written, rejected, partial: written > 0,
    };
  } catch (e) {
    return failedOutcome(e, deps, protocol, samples + refusedCount, rejected);
  }
}

/**
 * The outcome of a request that failed before or during the append: IngestError (decoding),
 * AppendError (storage limits, 429/503) and ApiError (413 body too large, 503). Anything else is
 * a bug and is rethrown, to be logged and answered with 500. Its samples, when known, are counted
 * as rejected for the reason; a request refused before any were decoded (unreadable body, bad
 * encoding, too large) is counted as one request in strata_write_rejected_total for the reason,
 * so every refusal shows in /metrics under its protocol and reason.
 */
export function failedOutcome(
  e: unknown, deps: WriteDeps, protocol: PushProtocol, samples: number, rejected: Record<string, number> = {},
): PushOutcome {
  const out = (status: number, reason: string, message: string): PushOutcome => {
    if (samples > 0) {
      countRejected(deps, protocol, reason, samples);
      rejected[reason] = (rejected[reason] ?? 0) + samples;
    } else {
      deps.metrics.writeRejected.inc({ protocol, reason });
    }
    return { status, message, received: samples, written: 0, rejected, partial: false };
  };
  // A text-format parse error also names what Prometheus' own parser says about that input, the
  // words a sender may know from a failing scrape of the same text.
  if (e instanceof TextParseError && !e.message.endsWith(`: ${e.prometheusMessage}`)) {
    return out(e.status, e.reason, `${e.message} (Prometheus: ${e.prometheusMessage})`);
  }
  if (e instanceof IngestError) return out(e.status, e.reason, e.message);
  if (e instanceof AppendError) return out(e.status, e.reason, `${e.reason}: ${e.message}`);
  if (e instanceof ApiError) return out(e.status, e.status === 413 ? 'too_large' : e.errorType, e.message);
  throw e;
}

/** Counts the request under its protocol (and, for remote write, the established counters). */
export function countRequest(deps: WriteDeps, protocol: PushProtocol, status: number): void {
  deps.metrics.pushRequests.inc({ protocol, code: String(status) });
  if (isRemoteWrite(protocol)) deps.metrics.remoteWriteRequests.inc({ code: String(status) });
}

export function countReceived(deps: WriteDeps, protocol: PushProtocol, n: number): void {
  if (n <= 0) return;
  deps.metrics.pushSamples.inc({ protocol }, n);
  if (isRemoteWrite(protocol)) deps.metrics.remoteWriteSamples.inc(n);
}

export function countRejected(deps: WriteDeps, protocol: PushProtocol, reason: string, n: number): void {
  if (n <= 0) return;
  deps.metrics.pushRejectedSamples.inc({ protocol, reason }, n);
  if (isRemoteWrite(protocol)) deps.metrics.remoteWriteRejectedSamples.inc({ reason }, n);
}

function isRemoteWrite(p: PushProtocol): boolean {
  return p === 'remote_write' || p === 'remote_write_v2';
}

function reasonList(rejected: Record<string, number>): string {
  return Object.entries(rejected).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
}

function storageMessage(r: AppendResult): string {
  return r.errors.length > 0 ? `first errors: ${r.errors.slice(0, 5).join('; ')}` : '';
}
