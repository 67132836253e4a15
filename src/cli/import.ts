// `strata import FILE...`: backfill from text expositions with timestamps (Prometheus text 0.0.4 or
// OpenMetrics, plain or gzip) straight into blocks of a data directory no server holds (a running
// server takes the same text over POST /api/v1/import/prometheus).
//
// Files are streamed: read in pieces of whole lines, parsed piece by piece, and samples gathered
// per series in growable typed arrays. When the gathered samples pass a bound, they are written as
// blocks and the arrays reused, so a file of any size imports in bounded memory (blocks written by
// successive flushes may overlap; queries merge them and compaction folds them together).
//
// Block sizes are chosen as the running server's import chooses them (the largest compaction
// range whose window ends before where the server's head can begin), from the server's
// storage.block_range and storage.retention: its config file's when one is given, else the
// defaults. --block-range overrides that with one fixed size.
import fs from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
import zlib from 'node:zlib';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { formatDuration } from '../config/index.ts';
import type { SampleBatch } from '../model/index.ts';
import { BackfillAccumulator, newTimestampedTextState, parseTimestampedText, type TimestampedTextState } from '../ingest/index.ts';
import { compactionRanges, lockDataDir, offlineImportWindows, writeImportBlocks } from '../tsdb/index.ts';

export type ImportFormat = 'auto' | 'prometheus' | 'openmetrics';

/** The server's storage settings the import follows. */
export interface ImportStorage {
  blockRangeMs: number;
  /** 0: kept forever. */
  retentionMs: number;
  /** The config file they come from; null for the defaults. */
  configFile: string | null;
}

export interface ImportOptions {
  files: string[];
  dataDir: string;
  /** One fixed range for every written block (--block-range); without it, sizes as the server's import picks them. */
  blockRangeMs?: number;
  /** Block range and retention of the server that will serve the data (default: the config defaults, 2h and 7d). */
  storage?: ImportStorage;
  format?: ImportFormat;
  /** Samples gathered in memory before they are written out (default 20M: 16 bytes each, up to twice that while arrays grow). */
  maxSamplesInMemory?: number;
  /** Where the progress bar goes (a TTY gets a redrawn bar, anything else a line every 5 s); null for none. */
  progress?: NodeJS.WritableStream | null;
  /** Rejected lines kept for the summary (default 20); all are counted. */
  maxRejectedShown?: number;
}

export interface ImportSummary {
  series: number;
  samples: number;
  duplicatesDropped: number;
  blocks: number;
  minTime: number;
  maxTime: number;
  rejectedLines: number;
  rejected: { file: string; line: number; message: string }[];
  bytes: number;
  /** The storage settings followed, for the retention note. */
  storage: ImportStorage;
}

export const DEFAULT_IMPORT_STORAGE: ImportStorage = { blockRangeMs: 2 * 3600_000, retentionMs: 7 * 24 * 3600_000, configFile: null };

const PIECE_BYTES = 1 << 20;

/** Runs the import; throws if the data directory is held by a live process. */
export async function importFiles(o: ImportOptions, log: Logger): Promise<ImportSummary> {
  for (const f of o.files) {
    const st = fs.statSync(f, { throwIfNoEntry: false });
    if (!st || !st.isFile()) throw new Error(`${f}: not a readable file`);
  }
  fs.mkdirSync(o.dataDir, { recursive: true });
  let unlock: () => void;
  try {
    unlock = lockDataDir(o.dataDir, log);
  } catch (e) {
    throw new Error(`cannot import while the data directory is in use: ${(e as Error).message}`);
  }
  try {
    return await runImport(o);
  } finally {
    unlock();
  }
}

async function runImport(o: ImportOptions): Promise<ImportSummary> {
  const maxInMemory = o.maxSamplesInMemory ?? 20_000_000;
  const maxShown = o.maxRejectedShown ?? 20;
  const storage = o.storage ?? DEFAULT_IMPORT_STORAGE;
  const sum: ImportSummary = {
    series: 0, samples: 0, duplicatesDropped: 0, blocks: 0, minTime: Infinity, maxTime: -Infinity,
    rejectedLines: 0, rejected: [], bytes: 0, storage,
  };
  // Chosen once: every flush writes into the same windows.
  const windows = o.blockRangeMs === undefined
    ? offlineImportWindows(o.dataDir, compactionRanges(storage.blockRangeMs, storage.retentionMs), Date.now())
    : undefined;
  const acc = new BackfillAccumulator();
  let parsedSamples = 0;
  const totalBytes = o.files.reduce((a, f) => a + fs.statSync(f).size, 0);
  const bar = progressBar(o.progress === undefined ? process.stderr : o.progress, totalBytes);

  const flush = async () => {
    const input = acc.take();
    if (input.length === 0) return;
    const r = await writeImportBlocks(o.dataDir, input, { blockRangeMs: o.blockRangeMs, windows });
    sum.samples += r.samples;
    sum.duplicatesDropped += r.duplicates;
    sum.blocks += r.blocks.length;
    sum.minTime = Math.min(sum.minTime, r.minTime);
    sum.maxTime = Math.max(sum.maxTime, r.maxTime);
  };

  const add = (b: SampleBatch) => {
    acc.add(b);
    parsedSamples += b.offsets[b.series.length];
  };

  for (const file of o.files) {
    const fileName = file;
    const sink = {
      batch: add,
      rejected: (line: number, message: string) => {
        sum.rejectedLines++;
        if (sum.rejected.length < maxShown) sum.rejected.push({ file: fileName, line, message });
      },
    };
    let state: TimestampedTextState | null = null;
    let line = 1;
    const gz = isGzip(file);
    try {
      for await (const piece of textPieces(file, gz, (n) => {
        sum.bytes += n;
        bar.update(sum.bytes, parsedSamples, acc.seriesCount);
      })) {
        if (state === null) state = newTimestampedTextState(isOpenMetrics(o.format ?? 'auto', file, gz, piece));
        line += parseTimestampedText(piece, line, state, sink);
        if (acc.pending >= maxInMemory) await flush();
      }
    } catch (e) {
      // A truncated or corrupt gzip stream, or a read error: what came before is kept.
      if (!(e instanceof Error)) throw e;
      sink.rejected(line, `cannot read the file any further: ${(e as Error).message}`);
    }
  }
  await flush();
  bar.done(sum.bytes, parsedSamples, acc.seriesCount);
  sum.series = acc.seriesCount;
  acc.clear();
  return sum;
}

function isGzip(file: string): boolean {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(2);
    return fs.readSync(fd, b, 0, 2, 0) === 2 && b[0] === 0x1f && b[1] === 0x8b;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * OpenMetrics or text 0.0.4: as given, else OpenMetrics if the name says so, the first piece has
 * a `# EOF` or `# UNIT` line, or a plain file ends with `# EOF`.
 */
function isOpenMetrics(format: ImportFormat, file: string, gz: boolean, firstPiece: string): boolean {
  if (format !== 'auto') return format === 'openmetrics';
  if (/\.(om|openmetrics)(\.gz)?$/i.test(file)) return true;
  if (/^# (EOF[ \t]*\r?$|UNIT )/m.test(firstPiece)) return true;
  if (gz) return false;
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(64, size));
    fs.readSync(fd, tail, 0, tail.length, size - tail.length);
    return /(^|\n)# EOF[ \t]*\r?\n?$/.test(tail.toString('latin1'));
  } finally {
    fs.closeSync(fd);
  }
}

/** The file's text in pieces of whole lines (the last may lack its newline); reports bytes read. */
async function* textPieces(file: string, gz: boolean, onBytes: (n: number) => void): AsyncGenerator<string> {
  const raw = fs.createReadStream(file, { highWaterMark: PIECE_BYTES });
  raw.on('data', (b) => onBytes((b as Buffer).length));
  const stream: Readable = gz ? raw.pipe(zlib.createGunzip()) : raw;
  if (gz) raw.on('error', (e) => stream.destroy(e));
  const dec = new StringDecoder('utf8');
  let rest = '';
  for await (const buf of stream) {
    const text = rest + dec.write(buf as Buffer);
    const cut = text.lastIndexOf('\n');
    if (cut < 0) {
      rest = text;
      continue;
    }
    rest = text.slice(cut + 1);
    yield text.slice(0, cut + 1);
  }
  rest += dec.end();
  if (rest.length > 0) yield rest;
}

interface ProgressBar {
  update(bytes: number, samples: number, series: number): void;
  done(bytes: number, samples: number, series: number): void;
}

function progressBar(out: NodeJS.WritableStream | null, total: number): ProgressBar {
  if (out === null) return { update() {}, done() {} };
  const tty = (out as NodeJS.WriteStream).isTTY === true;
  let last = Date.now();
  const line = (bytes: number, samples: number, series: number) => {
    const frac = total > 0 ? Math.min(1, bytes / total) : 1;
    const width = 30;
    const filled = Math.round(frac * width);
    return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ` +
      `${formatBytes(bytes)}/${formatBytes(total)}  ${samples.toLocaleString('en-US')} samples  ${series.toLocaleString('en-US')} series`;
  };
  return {
    update(bytes, samples, series) {
      const now = Date.now();
      if (now - last < (tty ? 200 : 5000)) return;
      last = now;
      out.write(tty ? `\r${line(bytes, samples, series)}` : `${line(bytes, samples, series)}\n`);
    },
    done(bytes, samples, series) {
      out.write(tty ? `\r${line(bytes, samples, series)}\n` : `${line(bytes, samples, series)}\n`);
    },
  };
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

/** The summary printed at the end of `strata import`. */
export function formatSummary(s: ImportSummary, now = Date.now()): string {
  const lines: string[] = [];
  lines.push(`imported ${s.series} series, ${s.samples} samples into ${s.blocks} block(s)` +
    (s.duplicatesDropped > 0 ? ` (${s.duplicatesDropped} duplicate samples dropped: the later line wins)` : ''));
  if (s.samples > 0) lines.push(`time range: ${new Date(s.minTime).toISOString()} .. ${new Date(s.maxTime).toISOString()}`);
  // The server deletes blocks past its retention at its next maintenance: say so before it happens.
  const { retentionMs, configFile } = s.storage;
  if (s.samples > 0 && configFile !== null && retentionMs > 0 && s.minTime < now - retentionMs) {
    lines.push(`note: data before ${new Date(now - retentionMs).toISOString()} is older than storage.retention ` +
      `(${days(retentionMs)} in ${configFile}, counted from the newest data) and is deleted when the server starts; ` +
      'raise storage.retention to keep it');
  } else if (s.samples > 0 && configFile === null && s.minTime < now - DEFAULT_IMPORT_STORAGE.retentionMs) {
    lines.push(`note: how long this data is kept is decided by the server's storage.retention (${days(DEFAULT_IMPORT_STORAGE.retentionMs)} ` +
      'unless its config sets another, counted from the newest data): data older than that is deleted when the server starts; ' +
      'pass --config with the server\'s config file to have it checked here');
  }
  if (s.rejectedLines > 0) {
    lines.push(`rejected ${s.rejectedLines} line(s)${s.rejectedLines > s.rejected.length ? `, the first ${s.rejected.length}` : ''}:`);
    for (const r of s.rejected) lines.push(`  ${r.file}:${r.line}: ${r.message}`);
  }
  return lines.join('\n') + '\n';
}

/** A retention as people write it: whole days as days (30d, not 4w2d). */
function days(ms: number): string {
  const DAY = 24 * 3600_000;
  return ms % DAY === 0 ? `${ms / DAY}d` : formatDuration(ms);
}
