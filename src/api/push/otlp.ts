// POST /api/v1/otlp/v1/metrics: OTLP/HTTP metrics in protobuf (application/x-protobuf) or JSON
// (application/json), optionally gzip-compressed, translated as Prometheus' OTLP receiver does.
//
// Answers as OTLP exporters expect: 200 with an ExportMetricsServiceResponse when anything was
// stored — with `partial_success` (rejected count and reason) when some points were not; otherwise
// the status of the failure (400, 413, 415, 429, 503) with a google.rpc.Status, so that exporters
// retry exactly what the spec says is retryable (429, 503). Rejections are counted in samples for
// storage reasons and in data points for points refused before translation (delta temporality,
// exponential histograms), as `rejected_data_points` reports.
import {
  IngestError, RPC_CODE, decodeOtlpJson, decodeOtlpProtobuf, encodeExportResponse, encodeStatus, translateOtlp,
} from '../../ingest/index.ts';
import type { RequestContext } from '../router.ts';
import type { WriteDeps } from '../write.ts';
import { readPushBody, utf8Text } from './body.ts';
import { appendPushed, countRequest, failedOutcome, type PushOutcome } from './ingest.ts';

/** The request's media type, lower case, without parameters. */
function mediaType(ctx: RequestContext): string {
  return (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * Answers an OTLP request that failed, whatever refused it (the write admission queue, the DB not
 * open, the payload): the OTLP/HTTP spec wants every 4xx and 5xx body to be a google.rpc.Status,
 * in the request's encoding (JSON when it was JSON, protobuf otherwise), and exporters retry 429
 * and 503 (after Retry-After when given).
 */
export function sendOtlpFailure(ctx: RequestContext, status: number, message: string): void {
  const json = mediaType(ctx) === 'application/json';
  const code = status === 429 ? RPC_CODE.resourceExhausted : status === 503 ? RPC_CODE.unavailable : status >= 500 ? RPC_CODE.internal : RPC_CODE.invalidArgument;
  if ((status === 429 || status === 503) && !ctx.res.hasHeader('Retry-After')) ctx.res.setHeader('Retry-After', '1');
  const payload = encodeStatus(code, message, json);
  ctx.res.writeHead(status, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf', 'Content-Length': payload.length });
  ctx.res.end(payload);
}

export async function handleOtlpMetrics(ctx: RequestContext, deps: WriteDeps): Promise<void> {
  const { req, res } = ctx;
  const media = mediaType(ctx);
  const json = media === 'application/json';
  let outcome: PushOutcome;
  try {
    if (!json && media !== 'application/x-protobuf') {
      throw new IngestError(415, 'unsupported_media_type', `unsupported Content-Type ${JSON.stringify(req.headers['content-type'] ?? '')}; OTLP/HTTP sends application/x-protobuf or application/json`);
    }
    const body = await readPushBody(ctx, deps.maxRequestBytes, deps.maxDecodedBytes);
    const resources = json ? decodeOtlpJson(utf8Text(body, 'OTLP JSON')) : decodeOtlpProtobuf(body);
    const t = translateOtlp(resources);
    if (t.metadata.length > 0) deps.metadata?.add(t.metadata);
    outcome = await appendPushed(ctx, deps, 'otlp', t.batch, t.refused);
  } catch (e) {
    outcome = failedOutcome(e, deps, 'otlp', 0);
  }
  countRequest(deps, 'otlp', outcome.status);
  if (outcome.status !== 204 && outcome.written === 0) return sendOtlpFailure(ctx, outcome.status, outcome.message);
  let rejected = 0;
  for (const k in outcome.rejected) rejected += outcome.rejected[k];
  const payload = encodeExportResponse(rejected, outcome.status === 204 ? '' : outcome.message, json);
  res.writeHead(200, { 'Content-Type': json ? 'application/json' : 'application/x-protobuf', 'Content-Length': payload.length });
  res.end(payload);
}
