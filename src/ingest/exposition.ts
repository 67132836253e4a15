// The Prometheus text exposition format 0.0.4 (what /metrics endpoints serve as text/plain):
//
//   # HELP http_requests_total Requests served.\nSecond line of help.
//   # TYPE http_requests_total counter
//   http_requests_total{method="post",code="200"} 1027 1395066363000
//
// Parsed line by line from the string into a SampleBatch (one series per sample line) plus the
// metadata of every family that has a HELP or TYPE line. Lines are split by indexOf and scanned
// with a LineCursor (textparse.ts), which the OpenMetrics parser is meant to share: it differs in
// the comment lines (# UNIT, # EOF), in timestamps (seconds) and in exemplars, not in the tokens.
import { METRIC_NAME, SampleBatchBuilder, labelsToString, type SampleBatch } from '../model/index.ts';
import { labelsFromSortedPairs, sortLabelPairs } from './labelpairs.ts';
import { OPENMETRICS_TYPES, type MetricMetadata, type MetricType } from './metadata.ts';
import { INVALID_UTF8_HELP, INVALID_UTF8_LABEL_VALUE, goQuote, prometheusRecordError } from './prometheuswording.ts';
import { parseOpenMetricsScrape } from './openmetrics.ts';
import { LineCursor, TextParseError, ownedSlice, ownedString, parseFloatToken } from './textparse.ts';

export interface ExpositionOptions {
  /** Timestamp (ms) given to samples that carry none: the scrape time. */
  defaultTimestamp: number;
  /**
   * Parse as OpenMetrics 1.0 text (application/openmetrics-text) instead of text 0.0.4: timestamps
   * in (fractional) seconds, `# UNIT` and the mandatory `# EOF`, exemplars after `#` (ignored),
   * the OpenMetrics types, and `_created` series of counters, histograms and summaries skipped
   * (they are creation times, not samples; Prometheus drops them too unless asked otherwise).
   */
  openMetrics?: boolean;
  /**
   * The text was decoded from bytes that were not all valid UTF-8 (U+FFFD stands for the bad
   * ones): a label value or HELP text with U+FFFD is then refused, as Prometheus refuses invalid
   * UTF-8 there. Text 0.0.4, and OpenMetrics when lenient.
   */
  invalidUtf8?: boolean;
  /**
   * Accept text 0.0.4 as Prometheus 2.42's scraper (promparse) does, where the format's own parser
   * (prometheus/common's expfmt, which the Pushgateway and promtool use) refuses it: a second HELP
   * or TYPE line for a family, or a TYPE line after its samples (the last one counts, as in
   * Prometheus' scrape cache); `# HELP`/`# TYPE` not followed by a blank (`# TYPE`, `#TYPE a
   * counter`), which is a comment there; labels without a comma between them; a newline inside a
   * quoted label value (kept in the value). And refuse what that scraper refuses and expfmt takes:
   * a TYPE not in lower case, a CR before a newline (`1\r` is no number there). For scrapes, so
   * that a target Prometheus scrapes does not fail here, and one it fails on fails here too;
   * pushes keep what their reference does.
   *
   * OpenMetrics, lenient: read as Prometheus 2.42's scraper reads it (openmetrics.ts), which is
   * stricter about spacing and laxer about meaning than the format's own rules that a push or
   * import of OpenMetrics follows here.
   */
  lenient?: boolean;
}

export interface ParsedExposition {
  /** One series per sample line, in input order, labels sorted, `__name__` included. */
  batch: SampleBatch;
  /** One entry per family with a HELP or TYPE line, in order of first mention. */
  metadata: MetricMetadata[];
}

export { TextParseError as ExpositionError } from './textparse.ts';


const TYPES_004: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'unknown',
};

interface Family {
  meta: MetricMetadata;
  hasHelp: boolean;
  hasType: boolean;
  hasSamples: boolean;
  /** Whether the family appears in the metadata output (it has a HELP or TYPE line). */
  listed: boolean;
}

const HASH = 0x23;
const QUOTE = 0x22;
const OPEN_BRACE = 0x7b;
const CR = 0x0d;

/**
 * Parses a text exposition. Throws ExpositionError (an IngestError, status 400) naming the line
 * and what is wrong with it.
 */
export function parseExposition(text: string, opts: ExpositionOptions): ParsedExposition {
  if (opts.openMetrics === true) {
    return opts.lenient === true ? parseOpenMetricsScrape(text, opts.defaultTimestamp, opts.invalidUtf8 === true) : parse(text, opts);
  }
  if (opts.invalidUtf8 === true) return parseRefusingBadUtf8(text, opts);
  if (opts.lenient !== true) return parse(text, opts);
  const out = new SampleBatchBuilder(256);
  try {
    return parse(text, opts, null, out);
  } catch (e) {
    if (e instanceof TextParseError) e.partial = out.build();
    throw e;
  }
}

/**
 * Parses, then refuses the first label value or HELP text holding U+FFFD (a byte that was not
 * UTF-8) unless the parse failed on an earlier line. Only for bodies that were not valid UTF-8:
 * the ordinary parse does not look for U+FFFD, which valid UTF-8 may carry too. A record whose
 * label value runs over newlines (lenient) is checked as one.
 */
function parseRefusingBadUtf8(text: string, opts: ExpositionOptions): ParsedExposition {
  let parsed: ParsedExposition | null = null;
  let failure: TextParseError | null = null;
  const overLines: number[] = [];
  try {
    parsed = parse(text, opts, overLines);
  } catch (e) {
    if (!(e instanceof TextParseError)) throw e;
    failure = e;
  }
  let line = 0;
  let k = 0;
  for (let start = 0; start < text.length && (failure === null || line + 1 < failure.line);) {
    let nl = text.indexOf('\n', start);
    if (nl < 0) nl = text.length;
    const first = ++line;
    while (k < overLines.length && overLines[k] < start) k += 2;
    if (k < overLines.length && overLines[k] === start) {
      while (k + 2 < overLines.length && overLines[k + 2] === start) k += 2;
      const next = Math.min(overLines[k + 1], text.length + 1);
      for (let p = nl; p >= 0 && p < next - 1; p = text.indexOf('\n', p + 1)) line++;
      nl = next - 1;
    }
    // Looked for within the record: lastIndexOf would search back to a U+FFFD lines before, for every line.
    let fffd = start;
    while (fffd < nl && text.charCodeAt(fffd) !== 0xfffd) fffd++;
    const bad = fffd < nl ? prometheusRecordError(text, start, true) : null;
    if (bad === INVALID_UTF8_LABEL_VALUE || bad === INVALID_UTF8_HELP) {
      throw new TextParseError(first, 'invalid_utf8', `${bad === INVALID_UTF8_HELP ? 'HELP text' : 'a label value'} is not valid UTF-8 (the bad bytes read as U+FFFD)`, bad);
    }
    start = nl + 1;
  }
  if (failure !== null) throw failure;
  return parsed!;
}

/** `recordsOverLines`: see LineCursor.recordsOverLines. */
function parse(text: string, opts: ExpositionOptions, recordsOverLines: number[] | null = null, out = new SampleBatchBuilder(256)): ParsedExposition {
  const om = opts.openMetrics === true;
  let sawEOF = false;
  const lenient = opts.lenient === true && !om;
  const c = new LineCursor(text, !om, lenient);
  c.recordsOverLines = recordsOverLines;
  const families = new Map<string, Family>();
  const metadata: MetricMetadata[] = [];
  const pairs: string[] = [];
  // Sample lines of one family come together: remember the last name's family to skip the lookups.
  let lastName = '';
  let lastFamily: Family | null = null;
  const len = text.length;

  // c.next, not the line's end: a lenient parse may read a label value over newlines.
  while (c.next < len) {
    c.startLine(c.next);

    if (sawEOF) {
      // Only a final newline may follow "# EOF".
      c.skipBlanks();
      if (!c.atEnd() || c.next < len) c.fail('syntax', 'content after "# EOF"');
      continue;
    }
    c.skipBlanks();
    if (c.atEnd()) continue;
    if (c.peek() === HASH) {
      if (metadataLine(c, families, metadata, om)) sawEOF = true;
      continue;
    }

    // A sample line: name, optional label set, value, optional timestamp. Prometheus 2.42's
    // scraper keeps blanks before the name in it, and then refuses the name as invalid.
    const indented = lenient && c.pos > c.start;
    let name = c.metricName();
    if (indented && name !== '') name = ownedSlice(text, c.start, c.pos);
    if (name === '' && c.peek() !== OPEN_BRACE) c.fail('invalid_metric_name', `invalid metric name at ${JSON.stringify(c.rest())}`);
    pairs[0] = METRIC_NAME;
    pairs[1] = name;
    let n = 2;
    const blank = c.skipBlanks();
    if (c.peek() === OPEN_BRACE) {
      // Without a name before the braces, a quoted one inside them names the metric (Prometheus 3).
      n = c.labelSet(pairs, n);
      if (name === '') {
        name = pairs[1];
        if (name === '') c.fail('invalid_metric_name', 'sample without a metric name');
      }
      c.skipBlanks();
    } else if (!blank && !c.atEnd()) {
      c.fail('invalid_metric_name', `invalid character in metric name at ${JSON.stringify(c.rest())}`);
    }
    const value = c.floatValue();
    let t = opts.defaultTimestamp;
    if (c.skipBlanks() && !c.atEnd() && !(om && c.peek() === HASH)) {
      t = om ? secondsTimestamp(c) : c.intTimestamp();
      c.skipBlanks();
      if (!c.atEnd() && !(om && c.peek() === HASH)) c.fail('syntax', `unexpected text after the timestamp: ${JSON.stringify(c.rest())}`);
    } else if (!c.atEnd() && !(om && c.peek() === HASH)) {
      c.fail('syntax', `unexpected text after the value: ${JSON.stringify(c.rest())}`);
    }
    // An OpenMetrics exemplar (`# {trace_id="..."} 1.0 [ts]`) follows here: not stored.
    if (om && name.endsWith('_created') && isCreatedOf(families, name)) continue;

    const dup = sortLabelPairs(pairs, n);
    if (dup !== null) {
      c.fail(dup === METRIC_NAME ? 'invalid_label_name' : 'duplicate_label_name', dup === METRIC_NAME
        ? `label ${METRIC_NAME} must not be set inside braces; the metric name comes before them`
        : `duplicate label name ${JSON.stringify(dup)} in ${labelsToString(pairs.slice(0, n))}`);
    }
    out.startSeries(labelsFromSortedPairs(pairs, n));
    out.add(t, value);

    // Which families have samples only matters for refusing a TYPE line after them.
    if (lenient) continue;
    if (name !== lastName || lastFamily === null) {
      lastName = name;
      lastFamily = familyOfSample(families, name);
    }
    lastFamily.hasSamples = true;
  }
  if (om && !sawEOF) c.fail('syntax', 'OpenMetrics exposition does not end with "# EOF"', 'data does not end with # EOF');
  return { batch: out.build(), metadata };
}

/** An OpenMetrics timestamp: seconds with an optional fraction, returned as integer ms. */
function secondsTimestamp(c: LineCursor): number {
  const tok = c.token();
  const sec = parseFloatToken(tok);
  if (sec === null || !Number.isFinite(sec)) c.fail('invalid_timestamp', `invalid timestamp ${JSON.stringify(tok)}; expected seconds since the epoch`);
  return Math.round(sec * 1000);
}

/** Whether `x_created` is the creation time of a counter, histogram or summary family `x`. */
function isCreatedOf(families: Map<string, Family>, name: string): boolean {
  const f = families.get(name.slice(0, -'_created'.length));
  if (f === undefined) return false;
  const t = f.meta.type;
  return t === 'counter' || t === 'histogram' || t === 'summary' || t === 'gaugehistogram';
}

/**
 * Handles a line starting with '#': HELP and TYPE lines (and UNIT in OpenMetrics); any other
 * comment is ignored. Returns true for OpenMetrics' "# EOF".
 */
function metadataLine(c: LineCursor, families: Map<string, Family>, metadata: MetricMetadata[], om: boolean): boolean {
  c.pos++;
  // Prometheus 2.42's lexer takes HELP and TYPE only between blanks: `#TYPE a x`, `# TYPE` are comments.
  if (!c.skipBlanks() && c.lenient) return false;
  const keyword = c.token();
  if (c.lenient && c.atEnd()) return false;
  if (om && keyword === 'EOF') {
    c.skipBlanks();
    if (!c.atEnd()) c.fail('syntax', `unexpected text after "# EOF": ${JSON.stringify(c.rest())}`);
    return true;
  }
  if (keyword !== 'HELP' && keyword !== 'TYPE' && !(om && keyword === 'UNIT')) return false;
  c.skipBlanks();
  // A name that is not classic comes quoted (Prometheus 3): `# HELP "my.metric" Its help.`
  const name = c.peek() === QUOTE ? c.quotedName() : c.metricName();
  if (name === '') c.fail('invalid_metric_name', `${keyword} line without a valid metric name${c.atEnd() ? '' : ` at ${JSON.stringify(c.rest())}`}`, 'invalid metric name in comment');
  if (c.lenient) {
    // Prometheus 2.42's lexer: the text is the rest of the line less its first character (the
    // blank after the name, or whatever ended the name), and empty when only blanks follow. So
    // `# TYPE a  gauge` has the type " gauge", and `# HELP a-b x` the help "b x".
    const afterName = c.pos;
    c.skipBlanks();
    c.pos = c.atEnd() ? c.end : afterName + 1;
  } else if (!c.skipBlanks() && !c.atEnd()) {
    c.fail('invalid_metric_name', `invalid character in metric name of ${keyword} line at ${JSON.stringify(c.rest())}`);
  }
  let f = families.get(name);
  if (f === undefined) {
    f = newFamily(name);
    families.set(name, f);
  }
  if (keyword === 'HELP') {
    if (f.hasHelp && !c.lenient) c.fail('duplicate_metadata', `second HELP line for metric ${name}`, `second HELP line for metric name ${goQuote(name)}`);
    f.hasHelp = true;
    f.meta.help = unescapeHelp(c.s, c.pos, c.end);
  } else if (keyword === 'UNIT') {
    f.meta.unit = c.token();
  } else {
    const twice = `second TYPE line for metric name ${goQuote(name)}, or TYPE reported after samples`;
    if (f.hasType && !c.lenient) c.fail('duplicate_metadata', `second TYPE line for metric ${name}`, twice);
    if (f.hasSamples && !c.lenient) c.fail('syntax', `TYPE line for metric ${name} after its samples; it must come before them`, twice);
    // expfmt takes one word in any case as the type; Prometheus' scraper the whole text (see
    // above), in lower case only.
    const word = c.lenient ? c.s.slice(c.pos, c.end) : c.token();
    if (c.lenient) c.pos = c.end;
    const key = om || c.lenient ? word : word.toLowerCase();
    const table = om ? OPENMETRICS_TYPES : TYPES_004;
    const type = Object.hasOwn(table, key) ? table[key] : undefined;
    if (type === undefined) {
      c.fail('invalid_type', `unknown metric type ${JSON.stringify(word)} for ${name}; expected ${om ? Object.keys(OPENMETRICS_TYPES).join(', ') : 'counter, gauge, histogram, summary or untyped'}`);
    }
    c.skipBlanks();
    if (!c.atEnd()) c.fail('syntax', `unexpected text after the type of ${name}: ${JSON.stringify(c.rest())}`);
    f.hasType = true;
    f.meta.type = type;
  }
  if (!f.listed) {
    f.listed = true;
    metadata.push(f.meta);
  }
  return false;
}

function newFamily(name: string): Family {
  return { meta: { family: name, type: 'unknown', help: '', unit: '' }, hasHelp: false, hasType: false, hasSamples: false, listed: false };
}

/**
 * The family a sample line belongs to: its own name, or for `x_bucket`, `x_count`, `x_sum` the
 * histogram or summary `x` declared by a TYPE line. Only used to refuse a TYPE line that comes
 * after samples of its family.
 */
function familyOfSample(families: Map<string, Family>, name: string): Family {
  const own = families.get(name);
  if (own !== undefined && own.hasType) return own;
  const base = histogramOrSummaryBase(families, name);
  if (base !== null) return base;
  if (own !== undefined) return own;
  const f = newFamily(name);
  families.set(name, f);
  return f;
}

// Sample-name suffixes that belong to a family named without them (the OpenMetrics ones only
// ever match families typed by an OpenMetrics TYPE line).
const SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_gcount', '_gsum', '_info'];

function histogramOrSummaryBase(families: Map<string, Family>, name: string): Family | null {
  for (const suffix of SUFFIXES) {
    if (!name.endsWith(suffix)) continue;
    const f = families.get(name.slice(0, -suffix.length));
    if (f === undefined) return null;
    const t = f.meta.type;
    if ((t === 'histogram' || t === 'gaugehistogram') && suffix !== '_total' && suffix !== '_info') return f;
    if (t === 'summary' && (suffix === '_count' || suffix === '_sum' || suffix === '_created')) return f;
    if (t === 'counter' && (suffix === '_total' || suffix === '_created')) return f;
    if (t === 'info' && suffix === '_info') return f;
    return null;
  }
  return null;
}

/** HELP text escapes: \\ and \n. Another backslash sequence is kept as written. */
function unescapeHelp(s: string, start: number, end: number): string {
  // Not indexOf: it would search on to the end of the body for every HELP line without a backslash.
  let bs = start;
  while (bs < end && s.charCodeAt(bs) !== 0x5c) bs++;
  if (bs >= end) return ownedSlice(s, start, end);
  let out = '';
  let from = start;
  for (let p = bs; p < end; p++) {
    if (s.charCodeAt(p) !== 0x5c || p + 1 >= end) continue;
    const e = s.charCodeAt(p + 1);
    if (e !== 0x5c && e !== 0x6e) continue;
    out += s.slice(from, p) + (e === 0x6e ? '\n' : '\\');
    p++;
    from = p + 1;
  }
  return ownedString(out + s.slice(from, end));
}
