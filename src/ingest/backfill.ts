// Text expositions with timestamps as a backfill source (`strata import`, POST
// /api/v1/import/prometheus). Unlike a scrape, one bad line must not lose a whole file: the text is
// parsed in pieces of whole lines, a line the parser refuses is reported with its number and
// skipped, and parsing resumes after it. Every line is parsed at most twice (once in the piece
// that failed, once in the prefix before the bad line), so the cost stays linear.
//
// Pieces of a long file are parsed separately, so the state that spans them is carried here: the
// last `# TYPE` line (OpenMetrics needs the family's type to recognise `_created` series) and
// whether `# EOF` was seen.
import { SampleBatchBuilder, type Labels, type SampleBatch } from '../model/index.ts';
import { parseExposition } from './exposition.ts';
import { TextParseError } from './textparse.ts';

export interface TimestampedTextState {
  openMetrics: boolean;
  /** The last TYPE line seen, prepended to the next piece. */
  typeLine: string;
  /** OpenMetrics: `# EOF` seen; content after it is refused. */
  sawEOF: boolean;
}

export function newTimestampedTextState(openMetrics: boolean): TimestampedTextState {
  return { openMetrics, typeLine: '', sawEOF: false };
}

export interface TimestampedTextSink {
  /** Samples of whole lines, all with timestamps (integer ms). */
  batch(b: SampleBatch): void;
  /** A refused line: its 1-based number in the whole input and why. */
  rejected(line: number, message: string): void;
}

const EOF_LINE = /^# EOF[ \t]*\r?$/m;
const LINE_PREFIX = /^line \d+: /;

/** A refused line's message: the parser's, without its line number, then Prometheus' words when they differ. */
function lineMessage(e: TextParseError): string {
  const ours = e.message.replace(LINE_PREFIX, '');
  return ours === e.prometheusMessage ? ours : `${ours} (Prometheus: ${e.prometheusMessage})`;
}

/**
 * Parses `text` (whole lines; the first is line `firstLine` of the input) and hands the samples
 * and the refused lines to the sink. Samples without a timestamp are refused: backfill needs them.
 * Returns the number of lines in `text`.
 */
export function parseTimestampedText(text: string, firstLine: number, st: TimestampedTextState, sink: TimestampedTextSink): number {
  const lines = countLines(text);
  if (st.sawEOF) {
    const at = firstNonBlankLine(text, 0);
    if (at >= 0) sink.rejected(firstLine + at, 'content after "# EOF" (ignored)');
    return lines;
  }
  if (st.openMetrics) {
    // The parser requires `# EOF` at the end of what it is given: pieces get one appended, and the
    // input's own is handled here.
    const m = EOF_LINE.exec(text);
    if (m) {
      st.sawEOF = true;
      const eofLine = countLines(text.slice(0, m.index));
      const after = text.slice(m.index + m[0].length);
      parseRange(text.slice(0, m.index), firstLine, st, sink);
      const at = firstNonBlankLine(after, 0);
      if (at >= 0) sink.rejected(firstLine + eofLine + at, 'content after "# EOF" (ignored)');
      return lines;
    }
  }
  parseRange(text, firstLine, st, sink);
  return lines;
}

function parseRange(text: string, firstLine: number, st: TimestampedTextState, sink: TimestampedTextSink): void {
  let pos = 0;
  let line = firstLine;
  while (pos < text.length) {
    const seg = pos === 0 ? text : text.slice(pos);
    const prefix = st.typeLine === '' ? '' : st.typeLine + '\n';
    const pre = prefix === '' ? 0 : 1;
    try {
      const parsed = parseExposition(prefix + seg + (st.openMetrics ? '\n# EOF\n' : ''), {
        defaultTimestamp: Number.NaN, openMetrics: st.openMetrics,
      });
      deliver(parsed.batch, seg, line, sink);
      rememberType(seg, st);
      return;
    } catch (e) {
      if (!(e instanceof TextParseError)) throw e;
      const k = e.line - pre; // 1-based line within seg
      if (k < 1) {
        // The carried TYPE line itself conflicts with this piece: parse without it.
        st.typeLine = '';
        continue;
      }
      const segLines = countLines(seg);
      if (k > segLines) {
        // Blamed on what was appended: refuse the piece's last line rather than loop.
        sink.rejected(line + segLines - 1, lineMessage(e));
        if (segLines > 1) parseRange(seg.slice(0, lineOffset(seg, segLines)), line, st, sink);
        return;
      }
      const bad = lineOffset(seg, k);
      if (k > 1) parseRange(seg.slice(0, bad), line, st, sink);
      sink.rejected(line + k - 1, lineMessage(e));
      const next = seg.indexOf('\n', bad);
      if (next < 0) return;
      pos += next + 1;
      line += k;
    }
  }
}

/** Hands over the batch; samples without a timestamp are refused with their line numbers. */
function deliver(b: SampleBatch, seg: string, firstLine: number, sink: TimestampedTextSink): void {
  const n = b.offsets[b.series.length];
  let missing = 0;
  for (let i = 0; i < n; i++) if (Number.isNaN(b.timestamps[i])) missing++;
  if (missing === 0) {
    if (n > 0) sink.batch(b);
    return;
  }
  // The rare path: find the sample lines (one series per sample line, in order) to name them.
  const sampleLines = sampleLineNumbers(seg);
  const exact = sampleLines.length === b.series.length;
  const out = new SampleBatchBuilder(n);
  for (let s = 0; s < b.series.length; s++) {
    for (let i = b.offsets[s]; i < b.offsets[s + 1]; i++) {
      if (Number.isNaN(b.timestamps[i])) {
        sink.rejected(exact ? firstLine + sampleLines[s] : firstLine, exact
          ? 'sample without a timestamp; backfill needs one'
          : 'sample without a timestamp in the lines from here on; backfill needs one');
        continue;
      }
      out.startSeries(b.series[s]);
      out.add(b.timestamps[i], b.values[i]);
    }
  }
  const kept = out.build();
  if (kept.series.length > 0) sink.batch(kept);
}

function rememberType(seg: string, st: TimestampedTextState): void {
  let at = seg.lastIndexOf('\n# TYPE ');
  if (at >= 0) at++;
  else if (seg.startsWith('# TYPE ')) at = 0;
  else return;
  let end = seg.indexOf('\n', at);
  if (end < 0) end = seg.length;
  st.typeLine = seg.slice(at, end).replace(/\r$/, '');
}

/** 0-based indexes of the lines holding samples (not blank, not comments). */
function sampleLineNumbers(s: string): number[] {
  const out: number[] = [];
  let line = 0;
  for (let p = 0; p < s.length; line++) {
    let nl = s.indexOf('\n', p);
    if (nl < 0) nl = s.length;
    let q = p;
    while (q < nl && (s.charCodeAt(q) === 0x20 || s.charCodeAt(q) === 0x09)) q++;
    if (q < nl && s.charCodeAt(q) !== 0x23 && s.charCodeAt(q) !== 0x0d) out.push(line);
    p = nl + 1;
  }
  return out;
}

function firstNonBlankLine(s: string, from: number): number {
  let line = 0;
  for (let p = from; p < s.length; line++) {
    let nl = s.indexOf('\n', p);
    if (nl < 0) nl = s.length;
    if (s.slice(p, nl).trim() !== '') return line;
    p = nl + 1;
  }
  return -1;
}

/** Lines in s: a final line without a newline counts, an empty tail after the last newline does not. */
export function countLines(s: string): number {
  let n = 0;
  for (let p = s.indexOf('\n'); p >= 0; p = s.indexOf('\n', p + 1)) n++;
  if (s.length > 0 && s.charCodeAt(s.length - 1) !== 0x0a) n++;
  return n;
}

/** Offset of the start of the k-th line (1-based). */
function lineOffset(s: string, k: number): number {
  let p = 0;
  for (let i = 1; i < k; i++) {
    const nl = s.indexOf('\n', p);
    if (nl < 0) return s.length;
    p = nl + 1;
  }
  return p;
}

/** One series' gathered samples, in arrival order (any order, duplicates allowed). */
export interface GatheredSeries {
  labels: Labels;
  timestamps: Float64Array;
  values: Float64Array;
}

interface SeriesAcc {
  labels: Labels;
  ts: Float64Array;
  vs: Float64Array;
  n: number;
}

/**
 * Gathers parsed samples per series in growable typed arrays (values stay in Float64Arrays, so
 * their NaN bits are kept), for writers that need each series whole: backfill over HTTP and
 * `strata import`. `take` hands out views of what was gathered and starts over, keeping the arrays.
 */
export class BackfillAccumulator {
  private readonly accs = new Map<string, SeriesAcc>();
  /** Samples gathered since the last take. */
  pending = 0;

  add(b: SampleBatch): void {
    for (let s = 0; s < b.series.length; s++) {
      const labels = b.series[s];
      const key = labels.join('\xff');
      let a = this.accs.get(key);
      if (a === undefined) {
        a = { labels, ts: new Float64Array(8), vs: new Float64Array(8), n: 0 };
        this.accs.set(key, a);
      }
      const from = b.offsets[s];
      const to = b.offsets[s + 1];
      if (a.n + (to - from) > a.ts.length) {
        const size = Math.max(a.ts.length * 2, a.n + (to - from));
        const t = new Float64Array(size);
        t.set(a.ts.subarray(0, a.n));
        a.ts = t;
        const v = new Float64Array(size);
        v.set(a.vs.subarray(0, a.n));
        a.vs = v;
      }
      a.ts.set(b.timestamps.subarray(from, to), a.n);
      a.vs.set(b.values.subarray(from, to), a.n);
      a.n += to - from;
      this.pending += to - from;
    }
  }

  /** Distinct series seen so far (across takes). */
  get seriesCount(): number {
    return this.accs.size;
  }

  /** The series with samples gathered since the last take (views, valid until the next add). */
  take(): GatheredSeries[] {
    const out: GatheredSeries[] = [];
    for (const a of this.accs.values()) {
      if (a.n > 0) out.push({ labels: a.labels, timestamps: a.ts.subarray(0, a.n), values: a.vs.subarray(0, a.n) });
      a.n = 0;
    }
    this.pending = 0;
    return out;
  }

  /** Frees the arrays. */
  clear(): void {
    this.accs.clear();
    this.pending = 0;
  }
}
