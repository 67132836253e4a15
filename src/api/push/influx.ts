// POST /write (InfluxDB 1.x) and POST /api/v2/write (InfluxDB 2.x): the line protocol, as Telegraf
// and the Influx client libraries send it. Success is 204, as InfluxDB answers; errors are JSON
// with both the 2.x (`code`, `message`) and the 1.x (`error`) fields, so either client shows the
// reason. The database/bucket/org parameters are accepted and not used: Strata has one namespace.
import { parseInflux, parseInfluxPrecision } from '../../ingest/index.ts';
import { sendJson } from '../http.ts';
import type { RequestContext } from '../router.ts';
import type { WriteDeps } from '../write.ts';
import { readPushBody, utf8Text } from './body.ts';
import { appendPushed, countReceived, countRejected, countRequest, failedOutcome, type PushOutcome } from './ingest.ts';

export async function handleInfluxWrite(ctx: RequestContext, deps: WriteDeps): Promise<void> {
  const { res } = ctx;
  let outcome: PushOutcome;
  let stringFields = 0;
  try {
    const precision = parseInfluxPrecision(ctx.url.searchParams.get('precision'));
    const body = await readPushBody(ctx, deps.maxRequestBytes, deps.maxDecodedBytes);
    const parsed = parseInflux(utf8Text(body, 'line protocol'), { precision, nowMs: Date.now() });
    stringFields = parsed.stringFields;
    // String fields are normal in Influx data (Telegraf sends some) but are not samples: counted
    // (received and rejected) and reported in a header instead of failing every write of such a sender.
    countReceived(deps, 'influx', stringFields);
    countRejected(deps, 'influx', 'string_field', stringFields);
    outcome = await appendPushed(ctx, deps, 'influx', parsed.batch);
  } catch (e) {
    outcome = failedOutcome(e, deps, 'influx', 0);
  }
  countRequest(deps, 'influx', outcome.status);
  if (stringFields > 0) res.setHeader('X-Strata-Skipped-String-Fields', String(stringFields));
  if (outcome.status === 204) {
    res.writeHead(204);
    res.end();
    return;
  }
  const code = outcome.status === 413 ? 'request too large' : outcome.status === 429 ? 'too many requests' : outcome.status >= 500 ? 'internal error' : 'invalid';
  sendJson(res, outcome.status, { code, message: outcome.message, error: outcome.message });
}
