// Immutable on-disk blocks: writing, opening, querying, compacting. The only public face of
// src/tsdb/block; the file formats are described in chunks.ts and indexfile.ts.
export type { BlockMeta, BlockTier } from './meta.ts';
export { readMeta, META_FILE, INDEX_FILE, CHUNKS_DIR } from './meta.ts';
export { CorruptBlockError } from './errors.ts';
export { writeBlock, DEFAULT_SAMPLES_PER_CHUNK, type BlockSeriesInput, type WriteBlockOptions, type BlockLogger } from './writer.ts';
export { openBlock, type Block, type DeleteRequest, type OpenBlockOptions } from './reader.ts';
export { TOMBSTONES_FILE, addInterval, coversInterval, withoutDeleted, type Intervals, type Tombstones } from './tombstones.ts';
export { compactBlocks, planCompaction, mergeSamples, type CompactOptions } from './compact.ts';
export { postingsForMatchers, intersectPostings, subtractPostings, unionPostings, type PostingsIndex } from '../index/index.ts';
export { newUlid, isUlid, ulidTime } from './ulid.ts';
export { listBlockDirs, removeIncompleteBlocks, deleteBlockDir } from './dir.ts';
export { blockQuerier } from './querier.ts';
