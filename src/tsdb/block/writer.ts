// Writing a block: series stream in (sorted by labels), their samples are re-chunked and appended
// to the chunk files as they come; labels and chunk metas are kept in compact columnar form until
// the end, when the symbol table can be sorted and the index written. The block appears in its
// parent directory by one rename, only once everything is on disk.
import fs from 'node:fs';
import path from 'node:path';
import { compareLabels, compareStrings, labelsToString, type Labels } from '../../model/index.ts';
import { encodeCompactChunk, MAX_CHUNK_SAMPLES } from '../chunkenc/index.ts';
import { ChunkKind, ChunkWriter } from './chunks.ts';
import { writeIndexFile } from './indexfile.ts';
import { CHUNKS_DIR, INDEX_FILE, META_FILE, metaJson, type BlockMeta } from './meta.ts';
import { newUlid } from './ulid.ts';
import { fsyncDir, writeFileSynced } from '../durable.ts';

export interface BlockSeriesInput {
  labels: Labels;
  /** Sorted, strictly increasing integer ms within [minTime, maxTime) of the block. */
  timestamps: Float64Array;
  values: Float64Array;
}

/** The subset of a pino logger the block code uses. */
export interface BlockLogger {
  info(obj: Record<string, unknown>, msg: string): void;
}

export interface WriteBlockOptions {
  minTime: number;
  /** Exclusive. */
  maxTime: number;
  tier?: BlockMeta['tier'];
  resolutionMs?: number;
  level?: number;
  /** Level-1 blocks this one's data comes from; defaults to the new block itself. */
  sources?: string[];
  parents?: { ulid: string; minTime: number; maxTime: number }[];
  /** Set to 'import' for blocks of imported (backfilled) data; see BlockMeta.source. */
  source?: BlockMeta['source'];
  /** See BlockMeta.headMaxTime. */
  headMaxTime?: number;
  /** zstd-compress chunk pages (default true). */
  compress?: boolean;
  logger?: BlockLogger;
  /** Upper bound of samples per chunk; series are split into equal chunks below it. Default 2048. */
  samplesPerChunk?: number;
  /** Raw chunk page size in bytes (at most 64 KiB, the default). */
  pageSize?: number;
  /** Chunk file size at which a new file is started (at most 512 MiB, the default). */
  maxChunkFileSize?: number;
}

export const DEFAULT_SAMPLES_PER_CHUNK = 2048;

class GrowU32 {
  a = new Uint32Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Uint32Array {
    return this.a.subarray(0, this.n);
  }
}

class GrowF64 {
  a = new Float64Array(1024);
  n = 0;
  push(v: number): void {
    if (this.n === this.a.length) {
      const b = new Float64Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[this.n++] = v;
  }
  view(): Float64Array {
    return this.a.subarray(0, this.n);
  }
}

/**
 * Writes one block into `<parentDir>/<ulid>`. Series must come sorted by labels (compareLabels),
 * each at most once. Series without samples are skipped; returns null (and leaves nothing behind)
 * when there were no samples at all.
 */
export async function writeBlock(
  parentDir: string,
  series: Iterable<BlockSeriesInput> | AsyncIterable<BlockSeriesInput>,
  opts: WriteBlockOptions,
): Promise<BlockMeta | null> {
  const { minTime, maxTime } = opts;
  if (!Number.isSafeInteger(minTime) || !Number.isSafeInteger(maxTime) || maxTime <= minTime) {
    throw new Error(`invalid block time range [${minTime}, ${maxTime})`);
  }
  const perChunk = Math.min(MAX_CHUNK_SAMPLES, Math.max(1, opts.samplesPerChunk ?? DEFAULT_SAMPLES_PER_CHUNK));
  const started = Date.now();
  const ulid = newUlid();
  const finalDir = path.join(parentDir, ulid);
  const tmpDir = finalDir + '.tmp';
  fs.mkdirSync(tmpDir, { recursive: true });
  const chunks = new ChunkWriter(path.join(tmpDir, CHUNKS_DIR), {
    compress: opts.compress ?? true,
    pageSize: opts.pageSize,
    maxFileSize: opts.maxChunkFileSize,
  });

  // Symbols get provisional numbers in order of appearance; they are renumbered in sorted order
  // at the end, when all are known.
  const symbolIds = new Map<string, number>([['', 0]]);
  const symbols: string[] = [''];
  const labelRefs = new GrowU32();
  const labelStart = new GrowU32();
  const chunkStart = new GrowU32();
  const chunkMinT = new GrowF64();
  const chunkMaxT = new GrowF64();
  const chunkSamples = new GrowU32();
  const chunkRef = new GrowF64();
  labelStart.push(0);
  chunkStart.push(0);
  let numSamples = 0;
  let prevLabels: Labels | null = null;
  let lastYield = Date.now();

  try {
    for await (const s of series) {
      const ts = s.timestamps;
      const vs = s.values;
      const n = ts.length;
      if (vs.length !== n) throw new Error(`series ${labelsToString(s.labels)}: ${n} timestamps but ${vs.length} values`);
      if (prevLabels && compareLabels(prevLabels, s.labels) >= 0) {
        throw new Error(`series not in label order (or repeated): ${labelsToString(s.labels)} after ${labelsToString(prevLabels)}`);
      }
      prevLabels = s.labels;
      if (n === 0) continue;
      if (!(ts[0] >= minTime) || !(ts[n - 1] < maxTime)) {
        throw new Error(`series ${labelsToString(s.labels)}: samples [${ts[0]}, ${ts[n - 1]}] outside block range [${minTime}, ${maxTime})`);
      }
      for (let i = 1; i < n; i++) {
        if (!(ts[i] > ts[i - 1])) throw new Error(`series ${labelsToString(s.labels)}: timestamps not strictly increasing at ${ts[i]}`);
      }
      for (let i = 0; i < s.labels.length; i++) {
        const str = s.labels[i];
        let id = symbolIds.get(str);
        if (id === undefined) {
          id = symbols.length;
          symbolIds.set(str, id);
          symbols.push(str);
        }
        labelRefs.push(id);
      }
      labelStart.push(labelRefs.n);

      // Equal-sized chunks of at most perChunk samples: no tiny tail chunk.
      const nChunks = Math.ceil(n / perChunk);
      const size = Math.ceil(n / nChunks);
      for (let from = 0; from < n; from += size) {
        const to = Math.min(n, from + size);
        if (!Number.isSafeInteger(ts[from]) || !Number.isSafeInteger(ts[to - 1])) {
          throw new Error(`series ${labelsToString(s.labels)}: timestamp not an integer near ${ts[from]}`);
        }
        const data = encodeCompactChunk(ts, vs, from, to);
        chunkRef.push(chunks.add(ChunkKind.SAMPLES, data));
        chunkMinT.push(ts[from]);
        chunkMaxT.push(ts[to - 1]);
        chunkSamples.push(to - from);
      }
      chunkStart.push(chunkRef.n);
      numSamples += n;

      // Writing is synchronous I/O and CPU: give the event loop a turn now and then.
      if ((labelStart.n & 255) === 0 && Date.now() - lastYield > 20) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }

    const numSeries = labelStart.n - 1;
    if (numSeries === 0) {
      chunks.abort();
      fs.rmSync(tmpDir, { recursive: true, force: true });
      return null;
    }
    const chunkFileSizes = chunks.finish();

    // Renumber symbols in sorted order.
    const order = symbols.map((_, i) => i).sort((a, b) => compareStrings(symbols[a], symbols[b]));
    const remap = new Uint32Array(symbols.length);
    const sorted: string[] = new Array(symbols.length);
    for (let i = 0; i < order.length; i++) {
      remap[order[i]] = i;
      sorted[i] = symbols[order[i]];
    }
    const refs = labelRefs.view();
    for (let i = 0; i < refs.length; i++) refs[i] = remap[refs[i]];

    const indexBytes = writeIndexFile(path.join(tmpDir, INDEX_FILE), {
      symbols: sorted,
      numSeries,
      labelRefs: refs,
      labelStart: labelStart.view(),
      chunkStart: chunkStart.view(),
      chunkMinT: chunkMinT.view(),
      chunkMaxT: chunkMaxT.view(),
      chunkSamples: chunkSamples.view(),
      chunkRef: chunkRef.view(),
      chunkFileSizes,
    });

    const meta: BlockMeta = {
      version: 1,
      ulid,
      minTime,
      maxTime,
      stats: {
        numSeries,
        numSamples,
        numChunks: chunkRef.n,
        numBytes: indexBytes + chunkFileSizes.reduce((a, b) => a + b, 0),
      },
      compaction: { level: opts.level ?? 1, sources: opts.sources ?? [ulid] },
      tier: opts.tier ?? 'raw',
      resolutionMs: opts.resolutionMs ?? 0,
    };
    if (opts.parents) meta.compaction.parents = opts.parents;
    if (opts.source) meta.source = opts.source;
    if (opts.headMaxTime !== undefined) meta.headMaxTime = opts.headMaxTime;
    writeFileSynced(path.join(tmpDir, META_FILE), metaJson(meta));
    fsyncDir(path.join(tmpDir, CHUNKS_DIR));
    fsyncDir(tmpDir);
    fs.renameSync(tmpDir, finalDir);
    fsyncDir(parentDir);

    opts.logger?.info(
      {
        ulid,
        minTime,
        maxTime,
        series: numSeries,
        samples: numSamples,
        chunks: chunkRef.n,
        bytes: meta.stats.numBytes,
        bytesPerSample: +(meta.stats.numBytes / numSamples).toFixed(3),
        durationMs: Date.now() - started,
      },
      'block written',
    );
    return meta;
  } catch (e) {
    chunks.abort();
    fs.rmSync(tmpDir, { recursive: true, force: true });
    throw e;
  }
}
