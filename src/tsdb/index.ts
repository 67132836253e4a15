// The storage engine's public face.
export type { Querier, Queryable, SeriesData, SelectHints, ReadContext, AppendOptions, AppendResult, Appendable } from './types.ts';
export { AppendError, ReadAbortedError } from './types.ts';
export { openDB, compactionRanges, type DB, type DBOptions, type DBStats } from './db.ts';
export type { WalReplayStatus } from './wal/index.ts';
export {
  offlineImportWindows, writeImportBlocks, type ImportSeries, type ImportBlocksOptions, type ImportBlocksResult, type ImportWindows,
  type DBImportResult, type Importable,
} from './import.ts';
export { lockDataDir } from './lock.ts';
