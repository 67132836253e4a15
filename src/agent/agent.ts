// The agent's core: producers (host collectors, test producers) run every interval and the scrape
// manager appends through `appendable`; both land in the disk queue as encoded WriteRequests, and
// the sender drains the queue to the server. Nothing here knows where samples come from.
import type { Labels, SampleBatch } from '../model/index.ts';
import { batchSampleCount, getLabel, withLabel } from '../model/index.ts';
import type { Appendable, AppendResult } from '../tsdb/index.ts';
import { encodeWriteRequest } from './encode.ts';
import { DiskQueue, type FsyncPolicy } from './queue.ts';
import { agentMetricFamilies, type MetricFamily } from './selfmetrics.ts';
import { Sender } from './sender.ts';

/** Samples of one collection round, or null for nothing this round. */
export type Producer = (nowMs: number) => SampleBatch | null | Promise<SampleBatch | null>;

export interface AgentOptions {
  queueDir: string;
  maxQueueBytes: number;
  segmentBytes: number;
  /** When queued data is fsynced (default 'interval'). */
  fsync?: FsyncPolicy;
  remoteWriteUrl: string;
  timeoutMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  /** How often producers run (0: never on their own; call collect()). */
  intervalMs: number;
  producers: Producer[];
  /** Added to every series that does not have the label already (Prometheus' external_labels). */
  externalLabels?: Record<string, string>;
  /** A producer failed, or its samples could not be queued. */
  onError?: (err: unknown) => void;
  /** The queue was full and its oldest segment was deleted. */
  onDrop?: (dropped: { segment: number; samples: number }) => void;
}

/** What a config reload can change while the agent runs (the queue needs a restart). */
export type AgentSettings = Pick<AgentOptions, 'remoteWriteUrl' | 'timeoutMs' | 'minBackoffMs' | 'maxBackoffMs' | 'intervalMs' | 'producers' | 'externalLabels'>;

export class Agent {
  readonly queue: DiskQueue;
  readonly sender: Sender;
  readonly appendable: Appendable;
  collectErrors = 0;
  private opts: AgentOptions;
  private timer: NodeJS.Timeout | null = null;
  private stopped = false;
  private collecting: Promise<void> = Promise.resolve();

  constructor(opts: AgentOptions) {
    this.opts = opts;
    this.queue = new DiskQueue({ dir: opts.queueDir, maxBytes: opts.maxQueueBytes, segmentBytes: opts.segmentBytes, fsync: opts.fsync, onDrop: opts.onDrop });
    this.sender = new Sender(this.queue, senderOptions(opts));
    this.appendable = {
      append: (batch: SampleBatch): Promise<AppendResult> => {
        const n = this.enqueue(batch);
        return Promise.resolve({ appended: n, duplicates: 0, seriesCreated: 0, rejected: {}, errors: [] });
      },
    };
    this.startTimer();
  }

  private startTimer(): void {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = this.opts.intervalMs > 0 ? setInterval(() => this.collectSoon(), this.opts.intervalMs) : null;
  }

  /**
   * Applies reloaded settings: the sender switches URL and timeouts at once (a changed URL takes
   * over the request in flight), producers and interval from the next round on.
   */
  reconfigure(next: AgentSettings): void {
    const intervalChanged = next.intervalMs !== this.opts.intervalMs;
    this.externalCache = new WeakMap();
    this.opts = { ...this.opts, ...next };
    this.sender.setOptions(senderOptions(this.opts));
    if (intervalChanged && !this.stopped) this.startTimer();
  }

  /** Encodes a batch into the queue; returns its sample count. */
  enqueue(batch: SampleBatch): number {
    const n = batchSampleCount(batch);
    if (n === 0) return 0;
    const ext = this.opts.externalLabels;
    const b = ext === undefined || Object.keys(ext).length === 0 ? batch : { ...batch, series: batch.series.map((ls) => this.withExternal(ls, ext)) };
    this.queue.append(encodeWriteRequest(b), n);
    return n;
  }

  // Producers reuse their label arrays across rounds, so the merged sets are cached by identity.
  private externalCache = new WeakMap<Labels, Labels>();
  private withExternal(ls: Labels, ext: Record<string, string>): Labels {
    let out = this.externalCache.get(ls);
    if (out === undefined) {
      out = ls;
      for (const k in ext) if (getLabel(ls, k) === '') out = withLabel(out, k, ext[k]);
      this.externalCache.set(ls, out);
    }
    return out;
  }

  /** Queues one collection round after the ones still running (stop() waits for it). */
  collectSoon(): void {
    this.collecting = this.collecting.then(() => this.collect());
  }

  /** Runs every producer once, in order, each into its own queue record. */
  async collect(nowMs = Date.now()): Promise<void> {
    for (const p of this.opts.producers) {
      let b: SampleBatch | null;
      try {
        b = await p(nowMs);
      } catch (err) {
        this.collectErrors++;
        this.opts.onError?.(err);
        continue;
      }
      try {
        if (b !== null) this.enqueue(b);
      } catch (err) {
        this.opts.onError?.(err); // counted by the queue (write failed samples)
      }
    }
  }

  async stop(): Promise<void> {
    if (this.timer !== null) clearInterval(this.timer);
    this.timer = null;
    this.stopped = true;
    await this.collecting;
    await this.sender.stop();
    this.queue.close();
  }

  /** The agent's own metrics (queue, sender, collection); the role adds the scrape manager's. */
  metricFamilies(): MetricFamily[] {
    return agentMetricFamilies(this.queue.stats, this.sender.stats, this.collectErrors);
  }
}

function senderOptions(o: AgentOptions) {
  return { url: o.remoteWriteUrl, timeoutMs: o.timeoutMs, minBackoffMs: o.minBackoffMs, maxBackoffMs: o.maxBackoffMs };
}
