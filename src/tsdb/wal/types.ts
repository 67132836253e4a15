// The WAL's public types; index.ts re-exports them.
import type { Labels } from '../../model/index.ts';

/** Pino-compatible subset: plain string messages. */
export interface WalLogger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
}

export interface WalOptions {
  dir: string;
  /** Bytes per segment file before a new one is cut (default 128 MiB). A record larger than this gets a segment of its own. */
  segmentSize?: number;
  /**
   * When written bytes are forced to stable storage. Every log() call completes its write(2)
   * before returning, so a process crash (kill -9) never loses an acknowledged record whatever
   * the policy; the policy only decides what a power loss or kernel crash can take:
   * 'always' nothing, 'interval' (the default) up to fsyncIntervalMs, 'never' whatever the OS had
   * not flushed.
   */
  fsync?: 'always' | 'interval' | 'never';
  /** Period of the 'interval' policy (default 1000 ms). */
  fsyncIntervalMs?: number;
  logger?: WalLogger;
  /** Told where replay stands: before the first segment, after each one, and when done. */
  onReplayProgress?: (s: WalReplayStatus) => void;
}

/**
 * Replay progress in segment numbers, as Prometheus' /api/v1/status/walreplay shows it: the first
 * segment to replay, the last one (once replay is done: the one written next) and the current.
 */
export interface WalReplayStatus {
  min: number;
  max: number;
  current: number;
}

export interface ReplayHandlers {
  series(ref: number, labels: Labels): void;
  /** The arrays are reused after the call returns: copy what must be kept. */
  samples(refs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number): void;
}

export interface ReplayStats {
  records: number;
  series: number;
  samples: number;
  /** True when anything was dropped: a torn tail repaired or corruption set aside. */
  corrupted: boolean;
  /** Damaged files found (a damaged checkpoint, a corrupt segment, missing segments); torn tails are not counted. */
  damaged: number;
  durationMs: number;
}

/** A damaged part of a WAL file found by a checkpoint. */
export interface WalDamage {
  /** File name in the WAL directory (segment or checkpoint). */
  file: string;
  /** Offset of the first record that could not be read. */
  offset: number;
  reason: string;
  /** Bytes from `offset` to the end of the file. */
  unreadableBytes: number;
  /** Highest sample time the segment held (segments only). */
  maxTime?: number;
  /** Where the original was copied before the checkpoint removed it. */
  copy?: string;
}

export interface CheckpointResult {
  /** Series records written to the new checkpoint. */
  series: number;
  /** Samples written to the new checkpoint. */
  samples: number;
  segmentsRemoved: number;
  /** Damaged parts the checkpoint skipped because blocks hold their samples (see Wal.checkpoint). */
  damaged: WalDamage[];
}

export interface Wal {
  /**
   * Writes one SERIES record (if refs non-empty) and one SAMPLES record (if n > 0) in one
   * write(2). When it returns the bytes are in the OS (and on disk with fsync 'always').
   * Returns bytes written. Throws if the write failed; nothing of the call is then in the WAL.
   */
  log(
    seriesRefs: readonly number[], seriesLabels: readonly Labels[],
    sampleRefs: Uint32Array, ts: Float64Array, vs: Float64Array, n: number,
  ): number;
  /** fdatasync now. */
  sync(): void;
  /**
   * Folds all segments written so far (and the previous checkpoint) into a new checkpoint holding
   * the SERIES records of refs with keepSeries(ref) and their samples with t >= minTime, then
   * deletes what it replaces. Writes continue meanwhile into a fresh segment. Series refs must not
   * be reused for another label set while they can still appear in the WAL.
   *
   * A segment damaged since it was written (bit rot, a bad sector, an edited file) is skipped from
   * the damage on, and reported in `damaged`, when all its samples are older than minTime (already
   * in blocks) and labelsOf is given to restore the SERIES records the damage may have held.
   * Otherwise the checkpoint throws WalCorruptionError and keeps every file; a later checkpoint,
   * once the head has persisted past the segment's samples, skips it.
   */
  checkpoint(
    keepSeries: (ref: number) => boolean, minTime: number, labelsOf?: (ref: number) => Labels,
  ): Promise<CheckpointResult>;
  /** Bytes of all segments and the checkpoint. */
  sizeBytes(): number;
  segmentCount(): number;
  /** fsync and close. Further log() calls throw. */
  close(): void;
}
