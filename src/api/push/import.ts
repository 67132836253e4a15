// POST /api/v1/import/prometheus (VictoriaMetrics' name): text exposition lines with timestamps,
// Prometheus text 0.0.4 (ms) or OpenMetrics (seconds, by Content-Type application/openmetrics-text),
// optionally gzip/deflate, of any age and in any order. The running DB takes them through
// DB.import: samples within the head's window go to the head, older ones into new blocks, and all
// of it is queryable when the answer is sent.
//
// Semantics: bad lines are refused one by one (their numbers and reasons in the answer) and the
// good ones still written; a series failing validation (labels, timestamp too far in the future)
// is refused whole, named in the message. Among samples of one series with equal timestamps, the
// line given last wins. Answer: 200 when everything was stored, else 400 (429/503 when storage
// refused the request), both with a JSON summary:
// {status: success|partial|error, message, series, written, headSamples, blockSamples, blocks,
//  duplicatesDropped, minTime, maxTime, rejected: {reason: count}, rejectedLines: [{line, message}], warnings}.
import type { SampleBatch } from '../../model/index.ts';
import {
  BackfillAccumulator, formatDuration, newTimestampedTextState, parseTimestampedText, validateBatch, type GatheredSeries,
} from '../../ingest/index.ts';
import type { DBImportResult } from '../../tsdb/index.ts';
import { sendJson } from '../http.ts';
import type { RequestContext } from '../router.ts';
import type { WriteDeps } from '../write.ts';
import { readPushBody, utf8Text } from './body.ts';
import { countReceived, countRejected, countRequest, failedOutcome } from './ingest.ts';

const MAX_LINES_REPORTED = 20;
const MAX_SERIES_PROBLEMS_REPORTED = 5;
/** Body bytes decoded and parsed between turns given to the event loop (some 10 ms of work). */
const PIECE_BYTES = 256 << 10;

export interface ImportAnswer {
  status: 'success' | 'partial' | 'error';
  message: string;
  series: number;
  /** Samples stored (in the head or in blocks). */
  written: number;
  headSamples: number;
  blockSamples: number;
  blocks: number;
  duplicatesDropped: number;
  /** ISO times of the oldest and newest sample stored; empty when nothing was. */
  minTime: string;
  maxTime: string;
  rejected: Record<string, number>;
  rejectedLines: { line: number; message: string }[];
  warnings: string[];
}

export async function handleImportPrometheus(ctx: RequestContext, deps: WriteDeps): Promise<void> {
  const answer: ImportAnswer = {
    status: 'success', message: '', series: 0, written: 0, headSamples: 0, blockSamples: 0, blocks: 0, duplicatesDropped: 0,
    minTime: '', maxTime: '', rejected: {}, rejectedLines: [], warnings: [],
  };
  let status = 200;
  let received = 0;
  try {
    const body = await readPushBody(ctx, deps.maxRequestBytes, deps.maxDecodedBytes);
    const om = /^\s*application\/openmetrics-text/i.test(ctx.req.headers['content-type'] ?? '');
    const acc = new BackfillAccumulator();
    const badLines = await parseBody(body, om, acc, answer.rejectedLines);
    if (badLines > 0) answer.rejected.parse_error = badLines;
    received = acc.pending;
    countReceived(deps, 'import', received + badLines);
    countRejected(deps, 'import', 'parse_error', badLines);

    const problems: string[] = [];
    const valid = validSeries(acc.take(), deps, answer.rejected, problems);
    const result = await deps.db(ctx).import(valid);
    acc.clear();
    summarize(answer, result, deps);
    const refused = Object.values(answer.rejected).reduce((a, b) => a + b, 0);
    if (refused > 0) {
      status = 400;
      answer.status = answer.written > 0 ? 'partial' : 'error';
      const parts: string[] = [];
      if (badLines > 0) parts.push(`${badLines} line(s) refused (see rejectedLines)`);
      const { parse_error: _, ...bySample } = answer.rejected;
      if (refused > badLines) parts.push(`${refused - badLines} samples refused (${reasonList(bySample)})`);
      parts.push(`${answer.written} samples stored`);
      if (problems.length > 0) parts.push(`series refused: ${problems.join('; ')}`);
      if (result.head && result.head.errors.length > 0) parts.push(`first errors: ${result.head.errors.slice(0, 5).join('; ')}`);
      answer.message = parts.join('; ');
    }
  } catch (e) {
    const o = failedOutcome(e, deps, 'import', received, answer.rejected);
    status = o.status;
    answer.status = 'error';
    answer.message = o.message;
  }
  countRequest(deps, 'import', status);
  sendJson(ctx.res, status, answer);
}

/**
 * Decodes and parses the body in pieces of whole lines (a newline byte never occurs inside a UTF-8
 * sequence, so each piece decodes on its own), giving the event loop a turn between them: no
 * stall of a whole body's decoding or parsing, and no string of the whole body. Returns the
 * number of refused lines.
 */
async function parseBody(body: Buffer, openMetrics: boolean, acc: BackfillAccumulator, shown: ImportAnswer['rejectedLines']): Promise<number> {
  const st = newTimestampedTextState(openMetrics);
  let bad = 0;
  const sink = {
    batch: (b: SampleBatch) => acc.add(b),
    rejected(line: number, message: string) {
      bad++;
      if (shown.length < MAX_LINES_REPORTED) shown.push({ line, message });
    },
  };
  let line = 1;
  for (let pos = 0; pos < body.length;) {
    let end = body.length;
    if (pos + PIECE_BYTES < body.length) {
      const nl = body.indexOf(0x0a, pos + PIECE_BYTES);
      if (nl >= 0) end = nl + 1;
    }
    line += parseTimestampedText(utf8Text(body.subarray(pos, end), 'import'), line, st, sink);
    pos = end;
    if (pos < body.length) await new Promise((resolve) => setImmediate(resolve));
  }
  return bad;
}

/** The series that pass the same checks as every push; the others are counted and named. */
function validSeries(series: GatheredSeries[], deps: WriteDeps, rejected: Record<string, number>, problems: string[]): GatheredSeries[] {
  const now = Date.now();
  const out: GatheredSeries[] = [];
  for (const s of series) {
    const n = s.timestamps.length;
    const p = validateBatch({ series: [s.labels], offsets: Uint32Array.of(0, n), timestamps: s.timestamps, values: s.values }, deps.limits, now);
    if (p === null) {
      out.push(s);
      continue;
    }
    rejected[p.kind] = (rejected[p.kind] ?? 0) + n;
    countRejected(deps, 'import', p.kind, n);
    if (problems.length < MAX_SERIES_PROBLEMS_REPORTED) problems.push(p.message);
  }
  return out;
}

function summarize(a: ImportAnswer, r: DBImportResult, deps: WriteDeps): void {
  let headRefused = 0;
  for (const [k, n] of Object.entries(r.head?.rejected ?? {})) {
    if (n <= 0) continue;
    headRefused += n;
    a.rejected[k] = (a.rejected[k] ?? 0) + n;
    countRejected(deps, 'import', k, n);
  }
  a.series = r.series;
  a.headSamples = r.headSamples - headRefused;
  a.blockSamples = r.blockSamples;
  a.written = a.headSamples + a.blockSamples;
  a.blocks = r.blocks.length;
  a.duplicatesDropped = r.duplicates;
  if (r.samples > 0) {
    a.minTime = new Date(r.minTime).toISOString();
    a.maxTime = new Date(r.maxTime).toISOString();
  }
  if (r.pastRetention > 0) {
    // Retention counts from the newest data, as Prometheus does; the long-term tiers will keep
    // old data later (docs/storage-strategy.md).
    a.warnings.push(`${r.pastRetention} of the imported samples are older than storage.retention (${formatDuration(r.retentionMs)}, ` +
      'counted back from the newest sample stored) and will be deleted at the next storage maintenance (within about a minute); ' +
      'raise storage.retention to keep them');
  }
}

function reasonList(rejected: Record<string, number>): string {
  return Object.entries(rejected).filter(([, n]) => n > 0).map(([k, n]) => `${k}: ${n}`).join(', ');
}
