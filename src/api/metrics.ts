// The server's own metrics, in a registry of its own (not prom-client's global one, so tests and
// several servers in one process never share counters). Storage numbers are read from
// db.stats() when /metrics is collected rather than counted twice.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { DBStats } from '../tsdb/index.ts';

export interface ServerMetrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'handler' | 'code'>;
  readonly remoteWriteRequests: Counter<'code'>;
  readonly remoteWriteSamples: Counter;
  readonly remoteWriteRejectedSamples: Counter<'reason'>;
  /** Every push protocol (remote write 1.0/2.0, OTLP, Influx, Pushgateway), by protocol. */
  readonly pushRequests: Counter<'protocol' | 'code'>;
  readonly pushSamples: Counter<'protocol'>;
  readonly pushRejectedSamples: Counter<'protocol' | 'reason'>;
  /** Write requests refused by admission (overloaded: queue full, 429; queue_timeout: 503). */
  readonly writeRejected: Counter<'protocol' | 'reason'>;
  readonly ready: Gauge;
}

/**
 * Creates the registry. `stats` returns the storage engine's counters, or null while the DB is not
 * open (its metrics are then absent rather than zero, so a dashboard does not see a fake reset).
 */
export function createServerMetrics(stats: () => DBStats | null, version: string): ServerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  // One snapshot per collection: every storage metric of one scrape comes from the same moment.
  let snap: DBStats | null = null;
  let snapAt = -Infinity;
  const current = (): DBStats | null => {
    const now = performance.now();
    if (now - snapAt > 50) {
      snap = stats();
      snapAt = now;
    }
    return snap;
  };

  const r = [registry];
  new Gauge({ name: 'strata_build_info', help: 'Always 1; the version label says which Strata runs.', labelNames: ['version'], registers: r })
    .set({ version }, 1);
  const ready = new Gauge({ name: 'strata_ready', help: '1 when the storage is open and the server accepts requests.', registers: r });

  const gauge = (name: string, help: string, read: (s: DBStats) => number) =>
    new Gauge({
      name, help, registers: r,
      collect() {
        this.reset();
        const s = current();
        if (s) this.set(read(s));
      },
    });
  // Counters mirror monotonic totals kept by the DB: reset then set to the DB's value on collect.
  const counter = (name: string, help: string, read: (s: DBStats) => number) =>
    new Counter({
      name, help, registers: r,
      collect() {
        this.reset();
        const s = current();
        if (s) this.inc(read(s));
      },
    });

  gauge('strata_tsdb_head_series', 'Series in the in-memory head.', (s) => s.headSeries);
  gauge('strata_tsdb_head_chunks', 'Chunks in the in-memory head.', (s) => s.headChunks);
  gauge('strata_tsdb_head_memory_bytes', 'Estimated memory held by the head.', (s) => s.headMemoryBytes);
  gauge('strata_tsdb_head_min_time', 'Lowest timestamp in the head (ms).', (s) => s.headMinTime);
  gauge('strata_tsdb_head_max_time', 'Highest timestamp in the head (ms).', (s) => s.headMaxTime);
  counter('strata_tsdb_head_samples_appended_total', 'Samples appended to the head.', (s) => s.samplesAppended);
  counter('strata_tsdb_head_series_created_total', 'Series created in the head.', (s) => s.seriesCreated);
  counter('strata_tsdb_head_series_removed_total', 'Series removed from the head.', (s) => s.seriesRemoved);
  new Counter({
    name: 'strata_tsdb_head_open_chunk_reads_total',
    help: 'Reads of open head chunks by how the decode cache served them: hit (kept decode), extended (kept decode continued with new samples), miss (decoded from the start).',
    labelNames: ['result'],
    registers: r,
    collect() {
      this.reset();
      const s = current();
      if (!s) return;
      this.inc({ result: 'hit' }, s.headOpenChunkReads.hits);
      this.inc({ result: 'extended' }, s.headOpenChunkReads.extended);
      this.inc({ result: 'miss' }, s.headOpenChunkReads.misses);
    },
  });
  counter('strata_tsdb_head_label_pool_compactions_total', 'Rebuilds of the head\'s label pool that gave back removed series\' labels.', (s) => s.headLabelPoolCompactions);
  counter('strata_tsdb_head_column_rebuilds_total', 'Rebuilds of the head\'s per-series columns that gave back removed series\' entries.', (s) => s.headColumnRebuilds);
  gauge('strata_tsdb_wal_bytes', 'Bytes in the write-ahead log.', (s) => s.walBytes);
  gauge('strata_tsdb_wal_segments', 'Segments of the write-ahead log.', (s) => s.walSegments);
  counter('strata_tsdb_compactions_total', 'Compactions run.', (s) => s.compactions);
  counter('strata_tsdb_compactions_failed_total', 'Compactions that failed.', (s) => s.compactionsFailed);
  counter('strata_tsdb_wal_checkpoints_failed_total', 'WAL checkpoints that failed (retried with the next persisted block).', (s) => s.walCheckpointsFailed);
  counter('strata_tsdb_wal_corruptions_total', 'Damaged WAL files found by replay at start and by checkpoints since.', (s) => s.walCorruptions);
  gauge('strata_tsdb_wal_replay_duration_seconds', 'Time the last start spent replaying the WAL.', (s) => s.replay.durationMs / 1000);
  gauge('strata_tsdb_wal_replay_samples', 'Samples replayed from the WAL at the last start.', (s) => s.replay.samples);

  const perTier = (name: string, help: string, read: (b: DBStats['blocks'][number]) => number) =>
    new Gauge({
      name, help, labelNames: ['tier'], registers: r,
      collect() {
        this.reset();
        const s = current();
        if (s) for (const b of s.blocks) this.set({ tier: b.tier }, read(b));
      },
    });
  perTier('strata_tsdb_blocks', 'Blocks on disk per tier.', (b) => b.count);
  perTier('strata_tsdb_block_bytes', 'Bytes of blocks on disk per tier.', (b) => b.bytes);
  perTier('strata_tsdb_block_samples', 'Samples in blocks on disk per tier.', (b) => b.samples);
  perTier('strata_tsdb_block_series', 'Series in blocks on disk per tier.', (b) => b.series);
  perTier('strata_tsdb_block_memory_bytes', 'Estimated memory held by the open blocks per tier (decoded index parts, cached index and chunk pages).', (b) => b.memoryBytes);

  new Counter({
    name: 'strata_tsdb_rejected_samples_total',
    help: 'Samples the storage refused, by reason (out_of_order, duplicate_timestamp, ...).',
    labelNames: ['reason'],
    registers: r,
    collect() {
      this.reset();
      const s = current();
      if (s) for (const [reason, n] of Object.entries(s.rejectedSamples)) this.inc({ reason }, n);
    },
  });

  return {
    registry,
    ready,
    httpRequestDuration: new Histogram({
      name: 'strata_http_request_duration_seconds',
      help: 'HTTP request latency by handler and status code.',
      labelNames: ['handler', 'code'],
      buckets: [0.001, 0.005, 0.025, 0.1, 0.25, 1, 2.5, 10, 30],
      registers: r,
    }),
    remoteWriteRequests: new Counter({
      name: 'strata_remote_write_requests_total', help: 'Remote-write requests by status code.', labelNames: ['code'], registers: r,
    }),
    remoteWriteSamples: new Counter({
      name: 'strata_remote_write_samples_received_total', help: 'Samples received by remote write (accepted or not).', registers: r,
    }),
    remoteWriteRejectedSamples: new Counter({
      name: 'strata_remote_write_rejected_samples_total',
      help: 'Remote-write samples not stored, by reason (validation, limits, out of order, ...).',
      labelNames: ['reason'],
      registers: r,
    }),
    pushRequests: new Counter({
      name: 'strata_push_requests_total', help: 'Push requests (all protocols) by protocol and status code.', labelNames: ['protocol', 'code'], registers: r,
    }),
    pushSamples: new Counter({
      name: 'strata_push_samples_received_total', help: 'Samples received by push protocols (accepted or not).', labelNames: ['protocol'], registers: r,
    }),
    pushRejectedSamples: new Counter({
      name: 'strata_push_rejected_samples_total',
      help: 'Pushed samples (or points/fields) not stored, by protocol and reason.',
      labelNames: ['protocol', 'reason'],
      registers: r,
    }),
    writeRejected: new Counter({
      name: 'strata_write_rejected_total',
      help: 'Write requests refused whole before any sample was decoded, by protocol and reason (overloaded: 429, queue_timeout: 503, too_large: 413, bad_protobuf, bad_line, ...: 400/415).',
      labelNames: ['protocol', 'reason'],
      registers: r,
    }),
  };
}
