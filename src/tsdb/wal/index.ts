// Write-ahead log of a tsdb shard: segmented, checksummed records of series and samples,
// replayed at start, folded into a checkpoint once the head has been persisted into blocks.
//
// Guarantees:
//  - log() returns only after write(2) has handed all its bytes to the OS, so a process crash
//    (kill -9) never loses an acknowledged write; the fsync policy covers power loss.
//  - One log() call is one write(2) into one segment, and each record carries its own CRC: replay
//    sees whole records only. A kill -9 in the middle of that write(2) can still leave the call's
//    first record (SERIES) without its second (SAMPLES); such a call was never acknowledged, and a
//    series without samples is dropped by the head after replay.
//  - openWal never fails because of damaged data: a torn tail is cut off with a warning, real
//    corruption is cut off with an error (the original copied aside as *.corrupt), and everything
//    before it and every later segment replays.
//  - A checkpoint never deletes what it could not read unless blocks hold it: a segment damaged
//    since it was written is skipped (copied aside as *.corrupt) only when all its samples are
//    older than the checkpoint's minTime; otherwise it throws WalCorruptionError and keeps every
//    file (the DB then persists the head past that segment and checkpoints again).
//
// Files (see segment.ts): segments 00000000, 00000001, ... cut at `segmentSize`; at most one
// checkpoint.NNNNNNNN holding what is still needed of segments <= NNNNNNNN. Record format: record.ts.
export type {
  CheckpointResult, ReplayHandlers, ReplayStats, Wal, WalDamage, WalLogger, WalOptions, WalReplayStatus,
} from './types.ts';
export { openWal } from './wal.ts';
export { WalCorruptionError } from './checkpoint.ts';
