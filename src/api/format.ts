// JSON encoding of query results in exactly the shape and text Prometheus' HTTP API answers with.
// Prometheus writes samples of vectors and matrices with its own encoder (jsonutil): timestamps as
// seconds with a three-digit millisecond fraction when there is one ("12.500", "12"), values as
// strings in Go's shortest form, in exponent notation below 1e-6 and from 1e21 ("1.5e-07"), and
// NaN and the infinities as "NaN", "+Inf", "-Inf". Scalars go through the standard encoder
// instead: a float timestamp ("12.5") and a value never in exponent notation ("0.00000015").
// The result is built as strings, not objects: a range query can return millions of points and an
// object per point would cost more than the query.
import type { Labels } from '../model/index.ts';
import type { QueryValue } from '../promql/index.ts';

/** A sample value of a vector or matrix as Prometheus writes it (Go's AppendFloat, 'e' outside [1e-6, 1e21)). */
export function formatSampleValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  if (v === 0) return Object.is(v, -0) ? '-0' : '0';
  // JS switches to exponent notation at exactly the same magnitudes; Go writes at least two
  // exponent digits ("e-07" where JS writes "e-7").
  const s = String(v);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const digits = s.length - e - 2;
  return digits >= 2 ? s : `${s.slice(0, e + 2)}0${s.slice(e + 2)}`;
}

/** A scalar's value as Prometheus writes it: strconv.FormatFloat(v, 'f', -1, 64), never an exponent. */
export function formatScalarValue(v: number): string {
  const s = formatSampleValue(v);
  const e = s.indexOf('e');
  return e < 0 ? s : expandExponent(s, e);
}

// "1.2345e-07" → "0.00000012345", "1.5e+21" → "1500000000000000000000": the same digits, placed.
function expandExponent(s: string, e: number): string {
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp; // digits before the decimal point
  let out: string;
  if (intLen <= 0) out = `0.${'0'.repeat(-intLen)}${digits}`;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = `${digits.slice(0, intLen)}.${digits.slice(intLen)}`;
  return neg ? `-${out}` : out;
}

/** A sample timestamp in ms as Prometheus writes it in vectors and matrices: "1435781451.781", "12.500", "12". */
export function formatTimestamp(ms: number): string {
  const neg = ms < 0;
  const a = neg ? -ms : ms;
  const sec = Math.floor(a / 1000);
  const frac = a - sec * 1000;
  const text = frac === 0 ? String(sec) : `${sec}.${String(frac).padStart(3, '0')}`;
  return neg ? `-${text}` : text;
}

/** A scalar's or string's timestamp: float seconds as Go's encoding/json writes them ("12.5"). */
export function formatFloatTimestamp(ms: number): string {
  return formatScalarValue(ms / 1000);
}

// Labels are a flat [name, value, name, value, ...] array sorted by name.
export function labelsJson(ls: Labels): string {
  let out = '{';
  for (let i = 0; i < ls.length; i += 2) {
    if (i > 0) out += ',';
    out += `${JSON.stringify(ls[i])}:${JSON.stringify(ls[i + 1])}`;
  }
  return `${out}}`;
}

function pointJson(t: number, v: number): string {
  return `[${formatTimestamp(t)},"${formatSampleValue(v)}"]`;
}

// The series of a range query share their step timestamps: each is formatted once per response.
class TimestampTexts {
  private readonly texts = new Map<number, string>();
  get(t: number): string {
    let s = this.texts.get(t);
    if (s === undefined) {
      s = formatTimestamp(t);
      if (this.texts.size < 100_000) this.texts.set(t, s);
    }
    return s;
  }
}

function seriesJson(labels: Labels, timestamps: Float64Array, values: Float64Array, tt: TimestampTexts): string {
  let out = `{"metric":${labelsJson(labels)},"values":[`;
  for (let j = 0; j < timestamps.length; j++) {
    out += `${j > 0 ? ',[' : '['}${tt.get(timestamps[j])},"${formatSampleValue(values[j])}"]`;
  }
  return `${out}]}`;
}

/** The `result` of a query response in pieces: one per sample or series (brackets included). */
export function* resultParts(value: QueryValue): Generator<string> {
  switch (value.type) {
    case 'scalar':
      yield `[${formatFloatTimestamp(value.t)},"${formatScalarValue(value.v)}"]`;
      return;
    case 'string':
      yield `[${formatFloatTimestamp(value.t)},${JSON.stringify(value.v)}]`;
      return;
    case 'vector':
      yield '[';
      for (let i = 0; i < value.samples.length; i++) {
        const s = value.samples[i];
        yield `${i > 0 ? ',' : ''}{"metric":${labelsJson(s.labels)},"value":${pointJson(s.t, s.v)}}`;
      }
      yield ']';
      return;
    case 'matrix': {
      const tt = new TimestampTexts();
      yield '[';
      for (let i = 0; i < value.series.length; i++) {
        const s = value.series[i];
        yield (i > 0 ? ',' : '') + seriesJson(s.labels, s.timestamps, s.values, tt);
      }
      yield ']';
    }
  }
}

/** The `result` of a query response (without resultType). */
export function resultJson(value: QueryValue): string {
  return [...resultParts(value)].join('');
}

export interface QueryStatsJson {
  timings: Record<string, number>;
  samples: Record<string, number>;
}

/**
 * The whole success body of /api/v1/query and /api/v1/query_range, in pieces of at most one
 * series each, so a large result can be streamed instead of held as one string (V8 strings stop
 * at about 512 MiB). Prometheus 3 reports info-level annotations ("PromQL info: ...") in `infos`,
 * apart from `warnings`; both are left out when empty.
 */
export function* queryResponseParts(value: QueryValue, annotations: readonly string[], stats?: QueryStatsJson): Generator<string> {
  yield `{"status":"success","data":{"resultType":"${value.type}","result":`;
  yield* resultParts(value);
  let tail = stats ? `,"stats":${JSON.stringify(stats)}}` : '}';
  let infos = annotations.filter((a) => a.startsWith('PromQL info:'));
  let warnings = infos.length === 0 ? annotations : annotations.filter((a) => !a.startsWith('PromQL info:'));
  // At most 10 of each, the rest counted, as Prometheus' API answers.
  if (warnings.length > 10) warnings = [...warnings.slice(0, 10), `${warnings.length - 10} more warning annotations omitted`];
  if (infos.length > 10) infos = [...infos.slice(0, 10), `${infos.length - 10} more info annotations omitted`];
  if (warnings.length > 0) tail += `,"warnings":${JSON.stringify(warnings)}`;
  if (infos.length > 0) tail += `,"infos":${JSON.stringify(infos)}`;
  yield `${tail}}`;
}

export function queryResponseJson(value: QueryValue, annotations: readonly string[], stats?: QueryStatsJson): string {
  return [...queryResponseParts(value, annotations, stats)].join('');
}
