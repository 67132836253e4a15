// The Pushgateway's push API, as batch jobs and client libraries use it:
//
//   PUT|POST|DELETE /metrics/job/<job>{/<label>/<value>}
//
// The path is the grouping key: `job` plus any further label pairs. A name ending in `@base64`
// carries its value in base64url (RFC 4648 §5, padding optional; "=" alone is the empty value),
// for values containing "/". The body is the Prometheus text format (read as the Pushgateway's
// expfmt reads it too) or delimited protobuf (pushprotobuf.ts). Like the Pushgateway, the
// grouping labels are set on every pushed series, replacing labels of the same name in the body,
// and its consistency checks refuse what it refuses, in its words (compared with the Pushgateway
// 1.5.1 in test/compat/pushgateway.test.ts).
import { METRIC_NAME, isLegacyLabelName, withLabel, type Labels, type SampleBatch } from '../model/index.ts';
import { IngestError } from './errors.ts';
import { goQuote, prometheusLabelsString } from './prometheuswording.ts';
import { ExpositionError, parseExposition, type ParsedExposition } from './exposition.ts';
import { expfmtParseError } from './expfmtwording.ts';
import { parsePushProtobuf } from './pushprotobuf.ts';
import type { MetricMetadata } from './metadata.ts';

/** Grouping key labels as sorted [name, value, ...] pairs (job included). */
export type GroupingKey = Labels;

/**
 * Parses the path segments after `/metrics/` (URL-decoded, empty ones kept: a trailing slash is an
 * empty last segment): `job`, its value, then name and value pairs. Throws IngestError(400) in the
 * Pushgateway's words for what it refuses (an odd count, an improper name, bad base64, an empty
 * job), and in Strata's own for what it refuses beyond it (a name given twice, which the
 * Pushgateway resolves silently, the last one or the path's job winning; base64 that is not
 * UTF-8). A label with an empty value (`.../name/` at the end, `name@base64/=`) is no label, as
 * everywhere in Prometheus' data model: the Pushgateway keeps it as a separate group whose series
 * are the same as the group's without it once scraped.
 */
export function parseGroupingKey(segments: readonly string[]): GroupingKey {
  if (segments.length < 2 || (segments[0] !== 'job' && segments[0] !== 'job@base64')) {
    if (segments.length >= 1 && segments[0] !== 'job' && segments[0] !== 'job@base64') {
      throw new IngestError(400, 'bad_grouping_key', `the grouping key must start with job, not ${JSON.stringify(segments[0])}`);
    }
    throw new IngestError(400, 'bad_grouping_key', 'the path must be /metrics/job/<job>{/<label>/<value>}: label names and values come in pairs');
  }
  let job = segments[1];
  if (segments[0] === 'job@base64') {
    const d = decodeBase64Url(job);
    if (d.error !== null) throw new IngestError(400, 'bad_grouping_key', `invalid base64 encoding in job name ${goQuote(job)}: ${d.error}`);
    job = utf8OrThrow(d.bytes, 'job');
  }
  if (job === '') throw new IngestError(400, 'bad_grouping_key', 'job name is required');
  // Like the Pushgateway: `/metrics/job/<job>/` has no labels; any other labels part must hold pairs.
  const rest = segments.length === 3 && segments[2] === '' ? [] : segments.slice(2);
  if (rest.length % 2 !== 0) {
    throw new IngestError(400, 'bad_grouping_key', `odd number of components in label string ${goQuote(`/${rest.join('/')}`)}`);
  }
  const pairs: [string, string][] = [['job', job]];
  const seen = new Set(['job']);
  for (let i = 0; i < rest.length; i += 2) {
    const raw = rest[i];
    const name = raw.endsWith('@base64') ? raw.slice(0, -'@base64'.length) : raw;
    let value = rest[i + 1];
    // The classic charset, as the Pushgateway (1.5) checks a grouping key's label names.
    if (!isLegacyLabelName(name) || name.startsWith('__')) throw new IngestError(400, 'bad_grouping_key', `improper label name ${goQuote(name)}`);
    if (name !== raw) {
      const d = decodeBase64Url(value);
      if (d.error !== null) throw new IngestError(400, 'bad_grouping_key', `invalid base64 encoding for label ${name}=${goQuote(value)}: ${d.error}`);
      value = utf8OrThrow(d.bytes, name);
    }
    if (seen.has(name)) throw new IngestError(400, 'bad_grouping_key', `label ${JSON.stringify(name)} appears twice in the grouping key`);
    seen.add(name);
    if (value !== '') pairs.push([name, value]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return pairs.flat();
}

const BASE64URL = /^[A-Za-z0-9_-]$/;

/**
 * Base64url without padding after trailing "=" are cut, as the Pushgateway decodes (Go's
 * RawURLEncoding): the error names the offset of the first character it cannot take, or of the
 * lone character of an incomplete last quantum, in Go's words.
 */
function decodeBase64Url(s: string): { bytes: Buffer; error: null } | { bytes: null; error: string } {
  let end = s.length;
  while (end > 0 && s[end - 1] === '=') end--;
  const t = s.slice(0, end);
  for (let i = 0; i < t.length; i++) {
    if (!BASE64URL.test(t[i])) return { bytes: null, error: `illegal base64 data at input byte ${i}` };
  }
  if (t.length % 4 === 1) return { bytes: null, error: `illegal base64 data at input byte ${t.length - 1}` };
  return { bytes: Buffer.from(t, 'base64url'), error: null };
}

function utf8OrThrow(bytes: Buffer, name: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new IngestError(400, 'invalid_utf8', `the value of ${name}@base64 does not decode to UTF-8`);
  }
}

export interface PushedGroup {
  /** One sample per series, stamped with the push time, grouping labels applied. */
  batch: SampleBatch;
  /** Metric family of each series of the batch (e.g. `x` for `x_bucket`), for POST's replace-by-name. */
  families: string[];
  /** Type of each family of the push, in the Pushgateway's words (`COUNTER`, ..., `UNTYPED` without a TYPE line). */
  familyTypes: Map<string, string>;
  metadata: MetricMetadata[];
}

/** The Pushgateway's words before whatever its consistency check finds wrong with a parsed push. */
export const PUSH_INCONSISTENT = 'pushed metrics are invalid or inconsistent with existing metrics: ';

/**
 * A push that parsed but that the Pushgateway's consistency check refuses (a timestamp, a series
 * twice, a reserved label name, a type other groups give the name otherwise). Unlike a syntax
 * error, the Pushgateway records such a refusal as the group's push_failure_time_seconds.
 */
export class PushConsistencyError extends IngestError {
  constructor(reason: string, message: string) {
    super(400, reason, PUSH_INCONSISTENT + message);
    this.name = 'PushConsistencyError';
  }
}

/**
 * Parses a pushed text body for the group `key`. Samples get `nowMs`; a sample carrying its own
 * timestamp is refused: a pushed value is "the value now", and an older timestamp would hide it
 * from queries while the group still holds it (the Pushgateway refuses them too).
 */
export function parsePushBody(text: string, key: GroupingKey, nowMs: number): PushedGroup {
  // NaN marks "no timestamp on the line": any other value came from the body.
  let parsed: ParsedExposition;
  try {
    parsed = parseExposition(text, { defaultTimestamp: NaN });
  } catch (e) {
    // Refused in the Pushgateway's words (expfmt's) where it refuses the text too.
    const expfmt = e instanceof ExpositionError ? expfmtParseError(text) : null;
    if (expfmt !== null) throw new IngestError(400, (e as ExpositionError).reason, expfmt);
    throw e;
  }
  // What Strata's parser takes and expfmt refuses (the Pushgateway parses with it): a last line
  // without its newline, an escape other than \\, \" and \n, a quantile or le that is no number.
  // A second pass over the text (about two thirds of the parse's time), affordable for pushes.
  const expfmt = expfmtParseError(text);
  if (expfmt !== null) throw new IngestError(400, 'bad_text', expfmt);
  return checkPushed(parsed, key, nowMs);
}

/** A delimited protobuf push (pushprotobuf.ts) for the group `key`, checked as a text push is. */
export function parsePushProtobufBody(body: Uint8Array, key: GroupingKey, nowMs: number): PushedGroup {
  return checkPushed(parsePushProtobuf(body), key, nowMs);
}

/** The Pushgateway's consistency checks of a parsed push, and the grouping key applied. */
function checkPushed(parsed: ParsedExposition, key: GroupingKey, nowMs: number): PushedGroup {
  const b = parsed.batch;
  for (let j = 0; j < b.timestamps.length; j++) {
    if (!Number.isNaN(b.timestamps[j])) throw new PushConsistencyError('timestamp_not_allowed', 'pushed metrics must not have timestamps');
  }
  const typeOf = new Map<string, string>();
  for (const m of parsed.metadata) typeOf.set(m.family, m.type);
  const series: Labels[] = [];
  const families: string[] = [];
  const familyTypes = new Map<string, string>();
  const seen = new Set<string>();
  for (let i = 0; i < b.series.length; i++) {
    let ls = b.series[i];
    for (let k = 0; k < key.length; k += 2) ls = withLabel(ls, key[k], key[k + 1]);
    const family = familyOf(ls, typeOf);
    for (let k = 0; k < ls.length; k += 2) {
      if (ls[k].startsWith('__') && ls[k] !== METRIC_NAME) {
        throw new PushConsistencyError('reserved_label_name', `${collectedMetric(family, ls)} has a label with an invalid name: ${ls[k]}`);
      }
    }
    const id = JSON.stringify(ls);
    if (seen.has(id)) {
      throw new PushConsistencyError('duplicate_series', `${collectedMetric(family, ls)} was collected before with the same name and label values`);
    }
    seen.add(id);
    series.push(ls);
    families.push(family);
    if (!familyTypes.has(family)) familyTypes.set(family, pushgatewayType(typeOf.get(family)));
  }
  const timestamps = new Float64Array(b.timestamps.length).fill(nowMs);
  return { batch: { series, offsets: b.offsets, timestamps, values: b.values }, families, familyTypes, metadata: parsed.metadata };
}

/**
 * `collected metric "x" {a="1", job="j"}`: the Pushgateway's way of naming a pushed series in its
 * consistency errors, with the labels in Prometheus' notation where it dumps the protobuf message.
 */
export function collectedMetric(family: string, ls: Labels): string {
  const rest: string[] = [];
  for (let i = 0; i < ls.length; i += 2) if (ls[i] !== METRIC_NAME) rest.push(ls[i], ls[i + 1]);
  return `collected metric ${goQuote(family)} ${prometheusLabelsString(rest)}`;
}

function pushgatewayType(t: string | undefined): string {
  return t === undefined || t === 'unknown' ? 'UNTYPED' : t.toUpperCase();
}

function familyOf(ls: Labels, typeOf: Map<string, string>): string {
  let name = '';
  for (let i = 0; i < ls.length; i += 2) if (ls[i] === METRIC_NAME) name = ls[i + 1];
  for (const suffix of ['_bucket', '_sum', '_count', '_created']) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const t = typeOf.get(base);
    if (t === 'histogram' || t === 'summary' || t === 'gaugehistogram') return base;
  }
  return name;
}
