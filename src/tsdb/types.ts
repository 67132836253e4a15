// The interfaces the storage engine meets the rest of the system at. Head, blocks, tiers, cold
// storage and (later) remote store nodes all answer reads through `Querier`, so the query engine
// never knows where data lives.
import type { Labels, Matcher, SampleBatch } from '../model/index.ts';

/** Decoded samples of one series within a queried time range, sorted by time, no duplicates. */
export interface SeriesData {
  readonly labels: Labels;
  readonly timestamps: Float64Array;
  readonly values: Float64Array;
}

export interface SelectHints {
  /** Query step in ms (0 or undefined for instant queries); lets the planner pick a tier later. */
  step?: number;
  /** Name of the function wrapping the selector, e.g. "rate" (used for tier choice later). */
  func?: string;
  /**
   * Only each series' newest sample in [mint, maxt] is needed (an instant vector selector read at
   * one time): a source may return just that one instead of the whole range. The head then answers
   * from its open chunk's last sample without decoding anything.
   */
  lastOnly?: boolean;
}

/**
 * When a read should give up. Reads check it every few hundred series (not per sample) and then
 * reject with ReadAbortedError; without one a read still runs in slices that let other work on
 * the event loop go on, but only ends when done.
 */
export interface ReadContext {
  /** Aborted when nobody wants the result any more (client gone, query canceled or timed out). */
  signal?: AbortSignal;
  /** Wall-clock time (Date.now() ms) past which the read stops with reason 'timeout'. */
  deadline?: number;
  /** Samples the read may load before it stops with reason 'too_many_samples'. */
  maxSamples?: number;
}

/** A read stopped early because its ReadContext said so; nothing of it is returned. */
export class ReadAbortedError extends Error {
  readonly reason: 'canceled' | 'timeout' | 'too_many_samples';
  constructor(reason: ReadAbortedError['reason'], message: string) {
    super(message);
    this.name = 'ReadAbortedError';
    this.reason = reason;
  }
}

/** Reads over a time range [mint, maxt], both inclusive, in milliseconds. */
export interface Querier {
  /** Series matching all matchers, sorted by labels, with their samples in [mint, maxt]. */
  select(matchers: readonly Matcher[], mint: number, maxt: number, hints?: SelectHints, ctx?: ReadContext): Promise<SeriesData[]>;
  /** Label sets of the matching series that have samples in [mint, maxt], sorted. */
  series(matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<Labels[]>;
  /** Sorted label names of matching series (all series when no matchers). */
  labelNames(matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<string[]>;
  /** Sorted values of one label among matching series (all series when no matchers). */
  labelValues(name: string, matchers: readonly Matcher[], mint: number, maxt: number, ctx?: ReadContext): Promise<string[]>;
}

export interface Queryable {
  querier(): Querier;
}

/** What happened to the samples of one append, for responses and rejection counters. */
export interface AppendResult {
  /** Samples newly stored. */
  appended: number;
  /** Samples identical to one already stored (a resend): accepted as a no-op. */
  duplicates: number;
  /** New series created. */
  seriesCreated: number;
  /** Samples not stored, by reason (e.g. out_of_order, duplicate_timestamp). */
  rejected: Record<string, number>;
  /** The first few rejections, written for a person. */
  errors: string[];
}

/**
 * Refusal of a whole batch: nothing of it was written. `status` is the HTTP status it maps to
 * (400 bad input, 429 limits, 503 not ready/shutting down).
 */
export class AppendError extends Error {
  readonly status: number;
  readonly reason: string;
  constructor(status: number, reason: string, message: string) {
    super(message);
    this.status = status;
    this.reason = reason;
  }
}

/**
 * The write side. `append` validates the whole batch before changing anything: it either refuses
 * the batch (AppendError, nothing written) or writes it to the WAL and the head and resolves once
 * the WAL has it — that resolution is the acknowledgement.
 */
/** How an append treats a sample older than the head accepts (see Head.append). */
export interface AppendOptions {
  tooOld?: 'refuse' | 'drop';
}

export interface Appendable {
  append(batch: SampleBatch, opts?: AppendOptions): Promise<AppendResult>;
}
