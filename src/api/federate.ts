// GET /federate?match[]=...: the newest sample of every matching series, in the exposition format,
// for another Prometheus (or Strata) to scrape — Prometheus' federation endpoint, answered as
// Prometheus 2.42 answers it:
//
// - the newest sample within the lookback delta before now (samples after now are not "current"),
//   staleness markers left out (the exposition formats cannot carry them; the consumer's own
//   staleness handling covers a series that stops being federated);
// - series sorted by metric name, each name one family `# TYPE <name> untyped` with no HELP (the
//   stored data has no type), labels in the stored order without __name__, then the external labels
//   the series does not have, by name — `instance` among them, empty when not configured, so the
//   consumer's `honor_labels: true` keeps the series free of the federating job's instance label;
// - match[] parsed as Prometheus' ParseMetricSelector does (a selector matching the empty string is
//   fine here), a bad one answered 400 with the parse error as plain text; no match[] at all is an
//   empty 200, not an error;
// - gzip or deflate when the client accepts it (Prometheus scrapes with gzip);
// - the text format unless the Accept header asks for delimited protobuf (Prometheus scraping with
//   native histograms enabled does), negotiated as Prometheus' expfmt.Negotiate;
// - UTF-8 names (Prometheus 3): written as they are, quoted where not classic
//   (`{"my.metric","a.b"="c"} 1`), when the Accept header asks for `escaping=allow-utf-8` (as a
//   Prometheus 3 or Strata scrape does); escaped by the scheme asked for (underscores, dots,
//   values), and by underscores when none is, as Prometheus 3's federation escapes them.
//   (Prometheus 3 also names the escaping in every Content-Type, `; escaping=underscores` by
//   default; Strata only when one was asked for, so a 2.42 client sees 2.42's Content-Type.)
//
// Prometheus sorts by name with an unstable sort; its input (series sorted by labels) is already in
// name order unless a label name sorts before `__name__` (an upper-case one). Strata's stable sort
// gives the same order whenever Prometheus' does not reorder equal names, which it cannot do for an
// input already sorted by name.
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { Writable } from 'node:stream';
import { createDeflate, createGzip } from 'node:zlib';
import {
  compareLabels, compareStrings, ESCAPING_SCHEMES, escapeName, isLegacyLabelName, isLegacyMetricName, isStaleNaN, METRIC_NAME,
  type EscapingScheme, type Labels, type Matcher,
} from '../model/index.ts';
import { parseLabelSelector } from '../promql/index.ts';
import { ProtoWriter } from '../ingest/index.ts';
import { formatFloat } from '../template/index.ts';
import type { Querier } from '../tsdb/index.ts';
import { readParams } from './http.ts';
import type { RequestContext } from './router.ts';

export interface FederateDeps {
  querier(ctx: RequestContext): Querier;
  lookbackDeltaMs: number;
  /** global.external_labels. */
  externalLabels(): Readonly<Record<string, string>>;
  maxRequestBytes: number;
  /** The clock (tests pin it). */
  now?: () => number;
}

export const TEXT_FORMAT = 'text/plain; version=0.0.4; charset=utf-8';
export const PROTO_DELIMITED_FORMAT = 'application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited';

interface Current {
  labels: Labels;
  t: number;
  v: number;
}

export async function handleFederate(ctx: RequestContext, deps: FederateDeps): Promise<void> {
  const params = await readParams(ctx.req, ctx.url, deps.maxRequestBytes);
  const sets: Matcher[][] = [];
  for (const s of params.getAll('match[]')) {
    try {
      sets.push(parseLabelSelector(s));
    } catch (e) {
      const body = compressedWriter(ctx, 400, { 'Content-Type': 'text/plain; charset=utf-8', 'X-Content-Type-Options': 'nosniff' });
      body.end(`${(e as Error).message}\n`);
      return;
    }
  }
  const maxt = (deps.now ?? Date.now)();
  const mint = maxt - deps.lookbackDeltaMs;
  const q = deps.querier(ctx);
  const found = await Promise.all(sets.map((ms) => q.select(ms, mint, maxt, { lastOnly: true })));
  const current = newestSamples(found);
  const format = negotiateFormat(ctx.req.headers.accept);
  const escaping = negotiateEscaping(ctx.req.headers.accept);
  const families = groupFamilies(current, deps.externalLabels());
  const body = compressedWriter(ctx, 200, { 'Content-Type': escaping === null ? format : `${format}; escaping=${escaping}` });
  for (const family of families) {
    const f = escapeFamily(family, escaping ?? 'underscores');
    const chunk = format === TEXT_FORMAT ? familyText(f) : familyProto(f);
    if (!(await writeTo(body, ctx.res, chunk))) return;
  }
  body.end();
}

/**
 * Where the answer is written: the response, or a gzip/zlib stream into it when the client accepts
 * one, as Prometheus' CompressionHandler around /federate decides (the first of "gzip" and
 * "deflate" listed in Accept-Encoding, taken literally; its errors are compressed too).
 */
function compressedWriter(ctx: RequestContext, status: number, headers: Record<string, string>): Writable {
  const { res } = ctx;
  let encoding: 'gzip' | 'deflate' | null = null;
  for (const e of String(ctx.req.headers['accept-encoding'] ?? '').split(',')) {
    const t = e.trim();
    if (t === 'gzip' || t === 'deflate') {
      encoding = t;
      break;
    }
  }
  if (encoding === null) {
    res.writeHead(status, headers);
    return res;
  }
  res.writeHead(status, { ...headers, 'Content-Encoding': encoding });
  const z = encoding === 'gzip' ? createGzip() : createDeflate();
  z.pipe(res);
  res.once('close', () => z.destroy());
  return z;
}

/** Writes a chunk, waiting for 'drain' when the stream's buffer is full; false when the client went away. */
async function writeTo(w: Writable, res: ServerResponse, chunk: string | Buffer): Promise<boolean> {
  if (res.destroyed || w.destroyed) return false;
  if (w.write(chunk)) return true;
  const ac = new AbortController();
  try {
    await Promise.race([once(w, 'drain', { signal: ac.signal }), once(res, 'close', { signal: ac.signal })]);
  } catch {
    return false;
  } finally {
    ac.abort();
  }
  return !res.destroyed && !w.destroyed;
}

/** The last sample of each series (several selectors may find one series: it is listed once). */
function newestSamples(lists: { labels: Labels; timestamps: Float64Array; values: Float64Array }[][]): Current[] {
  const all = lists.length === 1 ? lists[0] : lists.flat().sort((a, b) => compareLabels(a.labels, b.labels));
  const out: Current[] = [];
  for (let i = 0; i < all.length; i++) {
    const s = all[i];
    if (i > 0 && compareLabels(all[i - 1].labels, s.labels) === 0) continue;
    const n = s.timestamps.length;
    if (n === 0) continue;
    const v = s.values[n - 1];
    if (isStaleNaN(v)) continue;
    out.push({ labels: s.labels, t: s.timestamps[n - 1], v });
  }
  return out;
}

export interface Family {
  name: string;
  metrics: { labels: [string, string][]; t: number; v: number }[];
}

/** Families in name order, each series' labels as Prometheus writes them (see the file comment). */
export function groupFamilies(current: Current[], external: Readonly<Record<string, string>>): Family[] {
  const ext = new Map(Object.entries(external));
  if (!ext.has('instance')) ext.set('instance', '');
  const extNames = [...ext.keys()].sort(compareStrings);
  const named: { name: string; c: Current }[] = [];
  for (const c of current) {
    let name = '';
    for (let i = 0; i < c.labels.length; i += 2) if (c.labels[i] === METRIC_NAME) name = c.labels[i + 1];
    // A series without a name cannot be written in the exposition format: Prometheus skips it too.
    if (name !== '') named.push({ name, c });
  }
  named.sort((a, b) => compareStrings(a.name, b.name));
  const families: Family[] = [];
  let fam: Family | null = null;
  for (const { name, c } of named) {
    if (fam === null || fam.name !== name) {
      fam = { name, metrics: [] };
      families.push(fam);
    }
    const labels: [string, string][] = [];
    const used = new Set<string>();
    for (let i = 0; i < c.labels.length; i += 2) {
      const n = c.labels[i];
      const v = c.labels[i + 1];
      // An empty value means "not set": never written (as Prometheus).
      if (v === '' || n === METRIC_NAME) continue;
      labels.push([n, v]);
      if (ext.has(n)) used.add(n);
    }
    for (const n of extNames) if (!used.has(n)) labels.push([n, ext.get(n)!]);
    fam.metrics.push({ labels, t: c.t, v: c.v });
  }
  return families;
}

/**
 * A family with its names escaped by `scheme` (allow-utf-8: unchanged). Names of the classic
 * charset are never touched, so the common case returns the family itself.
 */
export function escapeFamily(f: Family, scheme: EscapingScheme): Family {
  if (scheme === 'allow-utf-8') return f;
  let plain = isLegacyMetricName(f.name);
  for (let i = 0; plain && i < f.metrics.length; i++) plain = f.metrics[i].labels.every(([n]) => isLegacyMetricName(n));
  if (plain) return f;
  return {
    name: escapeName(f.name, scheme),
    metrics: f.metrics.map((m) => ({ ...m, labels: m.labels.map(([n, v]): [string, string] => [escapeName(n, scheme), v]) })),
  };
}

// ---- text format ---------------------------------------------------------------------------------

/**
 * A family in the text format. Names outside the classic charsets (there only when the client
 * asked for allow-utf-8) are written quoted as Prometheus 3's expfmt writes them: the metric name
 * inside the braces, first (`{"my.metric","a.b"="c"}`), and in the TYPE line (`# TYPE "my.metric"`).
 */
export function familyText(f: Family): string {
  const classic = isLegacyMetricName(f.name);
  const quotedName = classic ? f.name : JSON.stringify(f.name);
  let out = `# TYPE ${quotedName} untyped\n`;
  for (const m of f.metrics) {
    const labels = m.labels.map(([n, v]) => `${isLegacyLabelName(n) ? n : JSON.stringify(n)}="${escapeLabelValue(v)}"`);
    if (classic) {
      out += f.name;
      if (labels.length > 0) out += `{${labels.join(',')}}`;
    } else {
      out += `{${[quotedName, ...labels].join(',')}}`;
    }
    out += ` ${formatTextValue(m.v)} ${m.t}\n`;
  }
  return out;
}

function escapeLabelValue(v: string): string {
  return /[\\"\n]/.test(v) ? v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)) : v;
}

/**
 * A sample value as Prometheus' text encoder writes it: Go's FormatFloat(v, 'g', -1, 64), i.e. the
 * shortest digits, in exponent form (two exponent digits at least) when the decimal exponent is
 * below -4 or 6 and above; 0 (and -0) as "0".
 */
export function formatTextValue(v: number): string {
  return v === 0 ? '0' : formatFloat(v, 'g', -1);
}

// ---- delimited protobuf (io.prometheus.client.MetricFamily) -------------------------------------

const UNTYPED = 3;
const utf8 = new TextEncoder();

export function familyProto(f: Family): Buffer {
  const fam = new ProtoWriter();
  fam.stringField(1, f.name);
  fam.key(3, 0);
  fam.uvarint(UNTYPED);
  const metric = new ProtoWriter();
  const inner = new ProtoWriter(32);
  for (const m of f.metrics) {
    metric.reset();
    for (const [n, v] of m.labels) {
      inner.reset();
      // client_model is proto2: both fields are written, an empty value too.
      inner.bytesField(1, utf8.encode(n));
      inner.bytesField(2, utf8.encode(v));
      metric.messageField(1, inner);
    }
    inner.reset();
    inner.key(1, 1);
    inner.double(m.v);
    metric.messageField(5, inner);
    metric.key(6, 0);
    metric.int64(m.t);
    fam.messageField(4, metric);
  }
  const out = new ProtoWriter(fam.length + 5);
  out.uvarint(fam.length);
  out.raw(fam.bytes());
  return Buffer.from(out.bytes());
}

/** The acceptable entries of an Accept header with their parameters, by descending q (ties in order). */
function acceptEntries(accept: string): { type: string; params: Map<string, string> }[] {
  return accept.split(',').map((part, i) => {
    const [type, ...rest] = part.split(';').map((x) => x.trim());
    const params = new Map<string, string>();
    for (const p of rest) {
      const eq = p.indexOf('=');
      if (eq > 0) params.set(p.slice(0, eq).trim().toLowerCase(), p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
    }
    const q = params.has('q') ? Number(params.get('q')) : 1;
    return { type: type.toLowerCase(), params, q: Number.isFinite(q) ? q : 0, i };
  }).filter((e) => e.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
}

/**
 * The response format for an Accept header, as expfmt.Negotiate: the first acceptable entry by
 * descending q (ties in the header's order) that is delimited protobuf or text/plain (version
 * 0.0.4 or none); anything else, or no header, gets the text format. (The protobuf text encodings
 * Prometheus also offers are not served: they fall back to the text format.)
 */
export function negotiateFormat(accept: string | undefined): string {
  if (accept === undefined || accept === '') return TEXT_FORMAT;
  for (const e of acceptEntries(accept)) {
    if (e.type === 'application/vnd.google.protobuf' && e.params.get('proto') === 'io.prometheus.client.MetricFamily') {
      if (e.params.get('encoding') === 'delimited') return PROTO_DELIMITED_FORMAT;
    }
    if (e.type === 'text/plain' && (e.params.get('version') ?? '0.0.4') === '0.0.4') return TEXT_FORMAT;
  }
  return TEXT_FORMAT;
}

/**
 * The `escaping` a client asked for, as expfmt.Negotiate reads it: the parameter of the Accept
 * entries in order of preference, a later known one replacing an earlier, up to the entry that
 * picks the format; unknown values are ignored. null when none was asked for.
 */
export function negotiateEscaping(accept: string | undefined): EscapingScheme | null {
  if (accept === undefined || accept === '') return null;
  let scheme: EscapingScheme | null = null;
  for (const e of acceptEntries(accept)) {
    const esc = e.params.get('escaping');
    if (esc !== undefined && (ESCAPING_SCHEMES as readonly string[]).includes(esc)) scheme = esc as EscapingScheme;
    if (e.type === 'application/vnd.google.protobuf' && e.params.get('proto') === 'io.prometheus.client.MetricFamily' && e.params.get('encoding') === 'delimited') break;
    if (e.type === 'text/plain' && (e.params.get('version') ?? '0.0.4') === '0.0.4') break;
  }
  return scheme;
}

/** An error as Go's http.Error writes it: the message and a newline, as plain text. */
export function sendPlainError(res: ServerResponse, status: number, message: string): void {
  const body = `${message}\n`;
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'X-Content-Type-Options': 'nosniff',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}
