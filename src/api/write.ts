// POST /api/v1/write: Prometheus remote write 1.0 (`prometheus.WriteRequest`) and 2.0
// (`io.prometheus.write.v2.Request`), snappy-compressed protobuf, told apart by the `proto`
// parameter of the Content-Type as the 2.0 spec negotiates (415 for a message we do not speak).
//
// Status codes follow Prometheus' receiver, because senders act on them: 2xx is acknowledged,
// 4xx is dropped by the sender (retrying cannot help), 429 and 5xx are retried. Error bodies are
// plain text, as Prometheus answers, since senders log them verbatim. 2.0 answers also carry the
// `X-Prometheus-Remote-Write-*-Written` headers the spec requires, on success and on error.
import { batchSampleCount, labelsToString } from '../model/index.ts';
import { decodeRemoteWrite, decodeRemoteWrite2, negotiateRemoteWrite, type BatchLimits, type RemoteWriteVersion } from '../ingest/index.ts';
import type { Appendable, Importable } from '../tsdb/index.ts';
import { AdmissionError, createAdmission, type AdmissionOptions } from './admission.ts';
import { ApiError, readBody, sendText } from './http.ts';
import type { MetadataStore } from './metadata.ts';
import type { ServerMetrics } from './metrics.ts';
import { appendPushed, countReceived, countRejected, countRequest, failedOutcome, type PushOutcome, type PushProtocol } from './push/ingest.ts';
import { sendOtlpFailure } from './push/otlp.ts';
import type { RequestContext } from './router.ts';

export interface WriteDeps {
  /** The DB for this request; throws ApiError(503) when the request was not admitted. */
  db(ctx: RequestContext): Appendable & Importable;
  metrics: ServerMetrics;
  /** Receives the metric metadata senders include. */
  metadata?: MetadataStore;
  maxRequestBytes: number;
  maxDecodedBytes: number;
  limits: Omit<BatchLimits, 'minTimestamp'>;
  /** The DB's data directory, for state that must survive a restart (Pushgateway groups); null: memory only. */
  dataDir: string | null;
}

/** Runs a write handler once admitted (see admission.ts), under the protocol it counts as. */
export type AdmitWrite = (ctx: RequestContext, protocol: PushProtocol, run: () => Promise<void>) => Promise<void>;

/**
 * Write admission for every push protocol: requests beyond the limits are answered here (429 or
 * 503, Retry-After, plain text; an OTLP google.rpc.Status for OTLP) and counted in strata_write_rejected_total{protocol, reason} and
 * the protocol's request counter. Admitted requests need the DB open (503 otherwise).
 */
export function createWriteAdmission(deps: WriteDeps, opts: AdmissionOptions): AdmitWrite {
  const admission = createAdmission(opts);
  return async (ctx, protocol, run) => {
    let release: () => void;
    try {
      release = await admission.admit();
    } catch (e) {
      if (!(e instanceof AdmissionError)) throw e;
      deps.metrics.writeRejected.inc({ protocol, reason: e.reason });
      countRequest(deps, protocol, e.status);
      ctx.res.setHeader('Retry-After', String(e.retryAfterSeconds));
      if (protocol === 'otlp') sendOtlpFailure(ctx, e.status, e.message);
      else sendText(ctx.res, e.status, `${e.message}\n`);
      return;
    }
    try {
      try {
        deps.db(ctx);
      } catch (e) {
        // Other protocols get the API's JSON error from the router; OTLP exporters expect a Status.
        if (protocol !== 'otlp' || !(e instanceof ApiError)) throw e;
        countRequest(deps, protocol, e.status);
        sendOtlpFailure(ctx, e.status, e.message);
        return;
      }
      await run();
    } finally {
      release();
    }
  };
}

/** Remote write 1.0 or 2.0, by the Content-Type's proto parameter (also for requests refused before they are read). */
export function remoteWriteProtocol(ctx: RequestContext): PushProtocol {
  return /proto\s*=\s*"?io\.prometheus\.write\.v2\.Request/i.test(ctx.req.headers['content-type'] ?? '') ? 'remote_write_v2' : 'remote_write';
}

export async function handleRemoteWrite(ctx: RequestContext, deps: WriteDeps): Promise<void> {
  const { req, res } = ctx;
  let version: RemoteWriteVersion = '1.0';
  const protocol = remoteWriteProtocol(ctx);
  let outcome: PushOutcome;
  try {
    version = negotiateRemoteWrite(req.headers['content-type'], req.headers['content-encoding']);
    const body = await readBody(req, deps.maxRequestBytes);
    const opts = { maxDecodedBytes: deps.maxDecodedBytes };
    const decoded = version === '2.0' ? decodeRemoteWrite2(body, opts) : decodeRemoteWrite(body, opts);
    // Metadata describes families, not samples: kept even when the samples are refused below.
    if (decoded.metadata.length > 0) deps.metadata?.add(decoded.metadata);
    if (decoded.histograms > 0) {
      // Strata stores float samples only: the request is refused whole rather than half-stored.
      const n = batchSampleCount(decoded.batch) + decoded.histograms;
      const where = decoded.histogramSeries ? ` (first in series ${labelsToString(decoded.histogramSeries)})` : '';
      countReceived(deps, protocol, n);
      countRejected(deps, protocol, 'native_histograms_unsupported', n);
      outcome = {
        status: 400, received: n, written: 0, partial: false, rejected: { native_histograms_unsupported: n },
        message: `native histograms are not supported yet: the request carries ${decoded.histograms} histogram samples${where}; nothing of it was written`,
      };
    } else {
      outcome = await appendPushed(ctx, deps, protocol, decoded.batch);
    }
  } catch (e) {
    outcome = failedOutcome(e, deps, protocol, 0);
  }
  countRequest(deps, protocol, outcome.status);
  if (version === '2.0') {
    res.setHeader('X-Prometheus-Remote-Write-Samples-Written', String(outcome.written));
    res.setHeader('X-Prometheus-Remote-Write-Histograms-Written', '0');
    // Exemplars are accepted but not stored yet (the count says so to a 2.0 sender).
    res.setHeader('X-Prometheus-Remote-Write-Exemplars-Written', '0');
  }
  if (outcome.status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  sendText(res, outcome.status, outcome.message.endsWith('\n') ? outcome.message : `${outcome.message}\n`);
}
