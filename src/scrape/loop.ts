// One scrape loop per target: fetch, parse, label, limit, append — one batch per scrape holding
// the samples, the staleness markers and the report series (up, scrape_duration_seconds, ...).
//
// Timing: every loop scrapes at the instants t with t mod interval == offset, the offset derived
// from the target's hash, so a thousand targets of one job are spread evenly over the interval
// instead of all firing together, and a reload that keeps the target keeps its phase. A scheduled
// scrape that starts within a small tolerance of its slot is stored at the slot itself (as
// Prometheus aligns its scrape timestamps, --scrape.timestamp-tolerance): timer jitter of a
// millisecond or two would otherwise cost the delta-of-delta timestamp encoding bits on every
// sample, while exactly periodic timestamps cost one bit each.
//
// Staleness: the loop remembers the series of its last scrape. A series missing from the next
// scrape gets a staleness marker (STALE_NAN) at that scrape's time; a failed scrape marks every
// series of the last good one; a target that goes away marks all its series and report series.
// Queries then stop returning the series at once instead of 5 minutes of lookback later.
import { isUtf8 } from 'node:buffer';
import type { Agent as HttpAgent } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { Logger } from 'pino';
import type { ScrapeConfig, ScrapeProtocol } from '../config/index.ts';
import { goUrlError, MAX_REDIRECTS, TokenError, type Proxy, type TunnelAgents } from '../httpclient/index.ts';
import {
  TextParseError, parseExposition, prometheusLabelsString, relabel, type CompiledRelabelRule, type MetricMetadata,
} from '../ingest/index.ts';
import {
  METRIC_NAME, SampleBatchBuilder, STALE_NAN, getLabel, isLegacyMetricName, labelsEqual, labelsHash, validateLabels, type EscapingScheme,
  type Labels, type NameValidationScheme, type SampleBatch,
} from '../model/index.ts';
import type { Appendable } from '../tsdb/index.ts';
import { BodySizeLimitError, httpGet } from './http.ts';
import { checkLabelLimits, insertName, mutateLabels } from './labels.ts';
import { goMediaType } from './mediatype.ts';
import type { ScrapeMetrics } from './metrics.ts';
import type { Target } from './targets.ts';

const PROTOCOL_TYPES: Record<ScrapeProtocol, string> = {
  'OpenMetricsText1.0.0': 'application/openmetrics-text;version=1.0.0',
  'OpenMetricsText0.0.1': 'application/openmetrics-text;version=0.0.1',
  'PrometheusText1.0.0': 'text/plain;version=1.0.0',
  'PrometheusText0.0.4': 'text/plain;version=0.0.4',
};

/**
 * The Accept header for scrape_protocols, built as Prometheus 3 builds it: falling q, then
 * anything; the formats that can carry UTF-8 names (text 1.0.0, OpenMetrics 1.0.0) with the job's
 * `escaping` (allow-utf-8: send names as they are; else how to escape them).
 */
export function acceptHeader(protocols: readonly ScrapeProtocol[], escaping: EscapingScheme = 'allow-utf-8'): string {
  let q = 6;
  const parts = protocols.map((p) => {
    const escapable = p === 'PrometheusText1.0.0' || p === 'OpenMetricsText1.0.0';
    return `${PROTOCOL_TYPES[p]}${escapable ? `;escaping=${escaping}` : ''};q=0.${q--}`;
  });
  parts.push(`*/*;q=0.${q}`);
  return parts.join(',');
}

/**
 * The lenient text parse keeps blanks before an unquoted name in it (` a 1` is the name " a"), as
 * Prometheus 2.42's parser does, which then fails the scrape as an invalid name. Such a name is
 * valid UTF-8, so the utf8 scheme alone would store it: refuse a name that is a classic one after
 * its leading blanks, so that these scrapes keep failing as in 2.42. (A quoted name with leading
 * blanks around a classic one, `{" a"}`, is refused too: rare enough to not tell them apart.)
 */
function indentedName(ls: Labels, scheme: NameValidationScheme): { kind: string; message: string } | null {
  if (scheme !== 'utf8') return null;
  const name = getLabel(ls, METRIC_NAME);
  const c = name.charCodeAt(0);
  if (c !== 0x20 && c !== 0x09) return null;
  return isLegacyMetricName(name.replace(/^[ \t]+/, '')) ? { kind: 'invalid_metric_name', message: `invalid metric name ${JSON.stringify(name)}` } : null;
}

/**
 * Whether a response is OpenMetrics, by its Content-Type's media type as Go parses it, or else
 * (another type, or a header Go does not parse) the job's fallback protocol.
 */
function isOpenMetrics(contentType: string, fallback: ScrapeProtocol): boolean {
  const mediaType = goMediaType(contentType);
  if (mediaType === 'application/openmetrics-text') return true;
  if (mediaType === 'text/plain') return false;
  return fallback.startsWith('OpenMetrics');
}

/** What a loop needs from its pool; shared by all loops of a job, replaced on reload. */
export interface PoolContext {
  readonly cfg: ScrapeConfig;
  readonly metricRelabel: readonly CompiledRelabelRule[];
  readonly appendable: Appendable;
  readonly agents: { readonly http: HttpAgent; readonly https: HttpsAgent; readonly tunnels?: TunnelAgents };
  readonly headers: () => Promise<Record<string, string | string[]>>;
  /** proxy_url with no_proxy, or proxy_from_environment. */
  readonly proxy?: Proxy;
  readonly logger?: Logger;
  readonly onMetadata?: (m: MetricMetadata[]) => void;
  readonly userAgent: string;
  /** The Accept header for the job's scrape_protocols. */
  readonly accept: string;
  /** Wall clock in ms (Date.now, or a test's). */
  readonly now: () => number;
  /** Largest distance from its slot at which a scrape is stored at the slot (0: never). */
  readonly timestampToleranceMs: number;
  readonly metrics?: ScrapeMetrics;
}

/**
 * The timestamp of a scrape that starts at `now` for the slot `slot`: the slot when `now` is
 * within the tolerance of it (clamped to 1% of the interval, as Prometheus clamps it), else `now`.
 */
export function scrapeTimestamp(now: number, slot: number, intervalMs: number, toleranceMs: number): number {
  const tolerance = Math.min(toleranceMs, Math.floor(intervalMs / 100));
  return Math.abs(now - slot) <= tolerance ? slot : now;
}

export type Health = 'up' | 'down' | 'unknown';

export interface LoopStatus {
  health: Health;
  lastError: string;
  /** ms since the epoch, 0 before the first scrape. */
  lastScrape: number;
  lastScrapeDurationMs: number;
}

/** Label sets written by a loop's last scrape, handed to its replacement on reload. */
export type SeriesMemory = Labels[];

// One entry per series a target exposes, kept from scrape to scrape: the scrape number it was last
// seen in doubles as the staleness memory, so a steady scrape costs one hash, one Map lookup and
// one comparison per sample — no per-scrape maps or strings.
interface CachedSeries {
  /** The series as scraped, to tell a hash collision from a hit. */
  raw: Labels;
  /** After target labels and metric relabelling; null when dropped. */
  ls: Labels | null;
  /** Number of the last successful scrape that had it. */
  seen: number;
  /** Whether that appearance counts for staleness (not a sample with its own timestamp). */
  stale: boolean;
  /** The same, for the scrape in progress (committed only if the scrape succeeds). */
  nextStale: boolean;
  /** Number of the scrape that last added a sample of it, and that sample's timestamp. */
  addedIn: number;
  addedT: number;
}

class SampleLimitError extends Error {}

// As Prometheus' scrape cache: a family's metadata is kept for 10 good scrapes after the last one
// that described it (an exporter that stops exposing a metric does not lose its HELP at once).
const METADATA_KEPT_SCRAPES = 10;

const REPORT_NAMES = ['scrape_duration_seconds', 'scrape_samples_post_metric_relabeling', 'scrape_samples_scraped', 'scrape_series_added', 'up'];

export class ScrapeLoop {
  /** Replaced by the pool when a rediscovery yields the same target (e.g. new __meta_ labels). */
  target: Target;
  /** Set by the pool while it is over target_limit: every scrape fails with it, without a request. */
  forcedError = '';
  private ctx: PoolContext;
  readonly status: LoopStatus = { health: 'unknown', lastError: '', lastScrape: 0, lastScrapeDurationMs: 0 };
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | null = null;
  private stopped = false;
  /** Raw scraped label set (by hash) → its entry; only series seen in the last scrape are kept. */
  private cache = new Map<number, CachedSeries>();
  /** Number of the current (or last) scrape. */
  private scrapeNo = 0;
  /** Entries met by the scrape in progress. */
  private touched: CachedSeries[] = [];
  /** Series written under an earlier config or loop: stale unless the next scrape has them. */
  private inherited: SeriesMemory;
  private lastTimestamp = 0;
  /** Wall-clock start of the last scrape, for the actual-interval summary. */
  private lastStart = 0;
  private readonly offsetMs: number;
  private lastSlot = 0;
  /**
   * What this target said about its metric families (TYPE, HELP, UNIT lines), by family name, for
   * /api/v1/targets/metadata; `seen` is the number of good scrapes before the one that last said it.
   */
  private readonly familyMetadata = new Map<string, { meta: MetricMetadata; seen: number }>();
  private goodScrapes = 0;

  constructor(target: Target, ctx: PoolContext, memory?: SeriesMemory) {
    this.target = target;
    this.ctx = ctx;
    this.inherited = memory ?? [];
    this.offsetMs = target.hash % target.intervalMs;
  }

  start(): void {
    this.schedule();
  }

  /**
   * The next instant on this loop's slot grid, strictly after now and after the slot last used
   * (a timer may fire a millisecond early; without the second condition the same slot would be
   * scraped twice).
   */
  private schedule(): void {
    if (this.stopped) return;
    const now = this.ctx.now();
    const iv = this.target.intervalMs;
    let next = now - (now % iv) + this.offsetMs;
    while (next <= now || next <= this.lastSlot) next += iv;
    this.lastSlot = next;
    this.timer = setTimeout(() => {
      // A scrape asked for out of turn (scrapeNow) is still running: skip this slot.
      if (this.running) return this.schedule();
      this.running = this.scrapeOnce(next).finally(() => {
        this.running = null;
        this.schedule();
      });
    }, next - now);
    this.timer.unref();
  }

  /**
   * Stops the loop. With `staleness`, marks every series of the last scrape and the report series
   * stale (the target is gone); without, hands its series memory over (a reload that keeps the
   * target, so the new loop continues where this one stopped).
   */
  async stop(staleness: boolean): Promise<SeriesMemory> {
    this.stopped = true;
    clearTimeout(this.timer);
    if (this.running) await this.running;
    const memory = this.memory();
    if (staleness && (memory.length > 0 || this.status.lastScrape > 0)) {
      const t = Math.max(this.ctx.now(), this.lastTimestamp + 1);
      const b = new SampleBatchBuilder(memory.length + REPORT_NAMES.length);
      for (const ls of memory) {
        b.startSeries(ls);
        b.add(t, STALE_NAN);
      }
      if (this.status.lastScrape > 0) {
        for (const name of REPORT_NAMES) {
          b.startSeries(this.reportLabels(name));
          b.add(t, STALE_NAN);
        }
      }
      await this.append(b.build());
      return [];
    }
    return memory;
  }

  /** The label sets of the last scrape that staleness applies to. */
  private memory(): SeriesMemory {
    const out = this.inherited.slice();
    for (const c of this.cache.values()) {
      if (c.seen === this.scrapeNo && c.stale && c.ls !== null) out.push(c.ls);
    }
    return out;
  }

  /** A scrape right away, outside the slot grid (e.g. the server's own metrics at startup). */
  scrapeNow(): Promise<void> {
    if (this.running) return this.running;
    const p = this.scrapeOnce().finally(() => {
      if (this.running === p) this.running = null;
    });
    this.running = p;
    return p;
  }

  /**
   * One scrape now; `slot` is the grid instant it was scheduled for, absent for a scrape out of
   * turn (also used by tests to step a loop without waiting for its slot).
   */
  async scrapeOnce(slot?: number): Promise<void> {
    const wall = this.ctx.now();
    let start = slot === undefined ? wall : scrapeTimestamp(wall, slot, this.target.intervalMs, this.ctx.timestampToleranceMs);
    // Never at or before the last scrape's time (a scrape out of turn may have taken the slot's ms).
    if (start <= this.lastTimestamp) start = Math.max(wall, this.lastTimestamp + 1);
    if (this.lastStart > 0) this.ctx.metrics?.observeInterval(this.target.intervalMs, (wall - this.lastStart) / 1000);
    this.lastStart = wall;
    const t0 = performance.now();
    const { cfg } = this.ctx;
    let scraped = 0;
    let postRelabel = 0;
    let added = 0;
    let error = '';
    const n = ++this.scrapeNo;
    this.touched.length = 0;
    let out = new SampleBatchBuilder(Math.max(64, this.cache.size + 8));
    try {
      if (this.forcedError !== '') throw new Error(this.forcedError);
      const headers = await this.ctx.headers().catch((e: unknown) => {
        // Go's client fetches the oauth2 token inside the request: its failure is the request's.
        throw e instanceof TokenError ? new Error(goUrlError('GET', new URL(this.target.url), e.goText)) : e;
      });
      const res = await httpGet(this.target.url, {
        timeoutMs: this.target.timeoutMs,
        maxBytes: cfg.bodySizeLimit,
        accept: this.ctx.accept,
        gzip: cfg.enableCompression,
        agents: this.ctx.agents,
        maxRedirects: cfg.followRedirects ? MAX_REDIRECTS : 0,
        proxy: this.ctx.proxy,
        proxyConnectHeaders: cfg.proxyConnectHeaders,
        headers: { ...headers, 'User-Agent': this.ctx.userAgent, 'X-Prometheus-Scrape-Timeout-Seconds': String(this.target.timeoutMs / 1000) },
      });
      // Go's resp.Status: the code and the server's reason phrase.
      if (res.status !== 200) throw new Error(`server returned HTTP status ${`${res.status} ${res.statusText}`.trim()}`);
      const openMetrics = isOpenMetrics(res.contentType, cfg.fallbackScrapeProtocol);
      // Bytes that are not UTF-8 decode to U+FFFD; the parser is told, to refuse them where Prometheus does.
      // lenient: text 0.0.4 that Prometheus' scraper takes and expfmt refuses is taken here too.
      const parsed = parseExposition(res.body.toString('utf8'), { defaultTimestamp: start, openMetrics, invalidUtf8: !isUtf8(res.body), lenient: true });
      if (parsed.metadata.length > 0) {
        this.ctx.onMetadata?.(parsed.metadata);
        // Recorded even if the scrape then fails (e.g. over sample_limit), as Prometheus records
        // it while parsing. A family's entry is replaced whole; Prometheus sets type, help and
        // unit one line at a time, so a family that loses its TYPE line keeps its old type there.
        for (const m of parsed.metadata) this.familyMetadata.set(m.family, { meta: { ...m }, seen: this.goodScrapes });
      }
      const batch = parsed.batch;
      scraped = batch.offsets[batch.series.length];
      const r = this.processSamples(batch, start, out);
      postRelabel = r.kept;
      added = r.added;
    } catch (caught) {
      // Prometheus appends each sample as it parses: one it refuses before the parse error (an
      // invalid name, a label limit) is the scrape's error instead.
      const e = caught instanceof TextParseError && caught.partial !== null ? (this.refusedSample(caught.partial, start) ?? caught) : caught;
      // A malformed exposition is reported in Prometheus' words (no line number), as there.
      error = e instanceof TextParseError ? e.prometheusMessage : (e as Error).message || String(e);
      if (e instanceof SampleLimitError) this.ctx.metrics?.sampleLimitExceeded();
      else if (e instanceof BodySizeLimitError) this.ctx.metrics?.bodySizeLimitExceeded();
      // A failed scrape stores none of its samples: start the batch over.
      out = new SampleBatchBuilder(this.cache.size + 8);
      postRelabel = 0;
      added = 0;
    }

    if (error === '') {
      for (const c of this.touched) {
        c.seen = n;
        c.stale = c.nextStale;
      }
      for (const [family, e] of this.familyMetadata) {
        if (this.goodScrapes - e.seen > METADATA_KEPT_SCRAPES) this.familyMetadata.delete(family);
      }
      this.goodScrapes++;
    }
    this.touched.length = 0;
    // Series that were there last time and are not now: stale. After a good scrape, entries not
    // seen in it are dropped, so the cache holds one scrape's worth of series. A failed scrape
    // keeps them all: the next good one then finds its series' labels worked out instead of
    // redoing a first round's work, which under load made the next scrape time out in turn.
    for (const [h, c] of this.cache) {
      if (c.seen === n) continue;
      if (c.seen === n - 1 && c.stale && c.ls !== null) {
        out.startSeries(c.ls);
        out.add(start, STALE_NAN);
      }
      if (error === '') this.cache.delete(h);
    }
    if (this.inherited.length > 0) {
      const now = new Set<string>();
      for (const c of this.cache.values()) if (c.seen === n && c.ls !== null) now.add(c.ls.join('\xff'));
      for (const ls of this.inherited) {
        if (!now.has(ls.join('\xff'))) {
          out.startSeries(ls);
          out.add(start, STALE_NAN);
        }
      }
      this.inherited = [];
    }
    const durationMs = performance.now() - t0;
    this.report(out, start, error === '' ? 1 : 0, durationMs / 1000, scraped, postRelabel, added);
    this.lastTimestamp = start;
    const appendError = await this.append(out.build());
    if (error === '' && appendError !== '') error = appendError;
    this.status.health = error === '' ? 'up' : 'down';
    this.status.lastError = error;
    this.status.lastScrape = start;
    this.status.lastScrapeDurationMs = durationMs;
    if (error !== '') this.ctx.logger?.debug({ target: this.target.url, err: error }, 'scrape failed');
  }

  /**
   * Labels, relabels and limits the scraped samples into `out`. Throws (failing the whole scrape,
   * as Prometheus does) when a limit is exceeded or a series is invalid after relabelling.
   */
  /** The error processSamples meets in the samples read before a parse error, but for the sample limit. */
  private refusedSample(partial: SampleBatch, start: number): Error | null {
    try {
      this.processSamples(partial, start, new SampleBatchBuilder(64), false);
    } catch (e) {
      return e as Error;
    }
    return null;
  }

  private processSamples(batch: SampleBatch, start: number, out: SampleBatchBuilder, limitSamples = true): { kept: number; added: number } {
    const { cfg, metricRelabel } = this.ctx;
    const n = this.scrapeNo;
    let kept = 0;
    let added = 0;
    let sameTime = 0;
    let earlier = 0;
    for (let i = 0; i < batch.series.length; i++) {
      const raw = batch.series[i];
      // Folded to 30 bits so V8 keeps the key a small integer (a 53-bit key is a heap number,
      // slower to hash); collisions are told apart by labelsEqual below.
      const h = labelsHash(raw) & 0x3fffffff;
      let c = this.cache.get(h);
      // A miss, or a hash collision (then whichever series got the slot first keeps it, and the
      // other is recomputed every time and never marked stale: rare, and its samples stay right).
      if (c === undefined || !labelsEqual(c.raw, raw)) {
        const ls = relabel(mutateLabels(raw, this.target.labels, cfg.honorLabels), metricRelabel);
        if (ls !== null) {
          const bad = validateLabels(ls, undefined, cfg.metricNameValidationScheme) ?? indentedName(ls, cfg.metricNameValidationScheme);
          if (bad !== null) {
            // Prometheus 2.42's words for a name it refuses (e.g. ` a 1`: its text parser keeps
            // the blanks before a name in it), with the whole series as it would be stored.
            const refusedThere = bad.kind === 'invalid_metric_name' || bad.kind === 'invalid_label_name';
            throw new Error(refusedThere ? `invalid metric name or label names: ${prometheusLabelsString(ls)}` : `invalid series ${raw.join(',')} after relabelling: ${bad.message}`);
          }
          checkLabelLimits(ls, cfg);
          added++;
        }
        const fresh: CachedSeries = { raw, ls, seen: 0, stale: false, nextStale: false, addedIn: 0, addedT: 0 };
        if (c === undefined) this.cache.set(h, fresh);
        c = fresh;
      }
      if (c.seen !== n) this.touched.push(c);
      c.nextStale = false;
      const ls = c.ls;
      if (ls === null) continue;
      for (let j = batch.offsets[i]; j < batch.offsets[i + 1]; j++) {
        kept++;
        if (limitSamples && cfg.sampleLimit > 0 && kept > cfg.sampleLimit) throw new SampleLimitError('sample limit exceeded');
        const explicit = batch.timestamps[j] !== start;
        const t = explicit && cfg.honorTimestamps ? batch.timestamps[j] : start;
        // A series repeated in one scrape: Prometheus' head refuses a sample not after the one
        // before it (a duplicate or out of order: counted, not stored) and the scrape goes on.
        if (c.addedIn === n && t <= c.addedT) {
          if (t === c.addedT) sameTime++;
          else earlier++;
          continue;
        }
        c.addedIn = n;
        c.addedT = t;
        out.startSeries(ls);
        out.add(t, batch.values[j]);
        // Series with their own timestamps are not marked stale unless track_timestamps_staleness
        // says so (as in Prometheus): the exporter decides when their samples are.
        c.nextStale = !(explicit && cfg.honorTimestamps && !cfg.trackTimestampsStaleness);
      }
    }
    if (sameTime + earlier > 0) this.ctx.metrics?.rejectedSamples({ duplicate_timestamp: sameTime, out_of_order: earlier });
    return { kept, added };
  }

  private report(out: SampleBatchBuilder, t: number, up: number, durationS: number, scraped: number, post: number, added: number): void {
    const values = [durationS, post, scraped, added, up];
    for (let i = 0; i < REPORT_NAMES.length; i++) {
      out.startSeries(this.reportLabels(REPORT_NAMES[i]));
      out.add(t, values[i]);
    }
  }

  private reportLabels(name: string): Labels {
    return insertName(this.target.labels, name);
  }

  private async append(batch: SampleBatch): Promise<string> {
    try {
      // A sample older than the head accepts is dropped and counted, the rest stored, as
      // Prometheus' scrape loop does (out of bounds); pushes refuse the whole request instead.
      const r = await this.ctx.appendable.append(batch, { tooOld: 'drop' });
      this.ctx.metrics?.rejectedSamples(r.rejected);
      const rejected = Object.entries(r.rejected).filter(([, n]) => n > 0);
      if (rejected.length > 0) this.ctx.logger?.debug({ target: this.target.url, rejected: r.rejected, errors: r.errors.slice(0, 3) }, 'some scraped samples were not stored');
      return '';
    } catch (e) {
      this.ctx.logger?.warn({ target: this.target.url, err: (e as Error).message }, 'appending scraped samples failed');
      return `append failed: ${(e as Error).message}`;
    }
  }

  /** The metadata this target exposed, by family name. */
  metadata(): MetricMetadata[] {
    return [...this.familyMetadata.values()].map((e) => e.meta).sort((a, b) => (a.family < b.family ? -1 : a.family > b.family ? 1 : 0));
  }

  /** Switches to a new pool context (reload with an unchanged target). */
  setContext(ctx: PoolContext): void {
    if (ctx === this.ctx) return;
    // Cached label sets were made under the old settings: keep what they wrote as staleness
    // memory, and let the next scrape recompute them.
    this.inherited = this.memory();
    this.cache.clear();
    this.ctx = ctx;
  }
}
