// The binary index of a block: which series exist, their labels, where their chunks are, and
// which series carry each label pair.
//
// File:     magic "STIX" | version u8 | 3 zero bytes | section x 6 | TOC
// Section:  len u32 | body | crc32(body) u32
// TOC:      start offset (u64) of each section, in the order below | crc32 of those 48 bytes
//
// SYMBOLS         count uvarint, then each string (uvarint byte length, UTF-8), sorted, unique.
//                 Everything else refers to strings by their number here.
// SERIES          one entry per series, in label order; the series id is the entry's ordinal:
//                 nLabels uvarint, (nameRef, valueRef) uvarint pairs, nChunks uvarint, then per
//                 chunk: minTime (first: zigzag varint; then minTime - previous maxTime),
//                 maxTime - minTime, numSamples, ref (first: absolute; then delta), all uvarints.
// SERIES_OFFSETS  u32 per series: offset of its entry in the SERIES body (random access by id).
// POSTINGS        per label pair: count uvarint, then delta-coded ascending series ids. The pair
//                 ("", "") lists all series, as in Prometheus.
// POSTINGS_TABLE  per label name (sorted): nameRef, nValues, then per value (sorted): valueRef
//                 delta, postings-offset delta — all uvarints. Decoded at open: label names,
//                 label values and one pair's postings are found without touching the rest.
// CHUNK_FILES     count uvarint, then each chunk file's size uvarint (checked at open).
//
// Because symbols are sorted, "ascending symbol ref" is "ascending string", so sorted lists of
// refs are sorted lists of strings.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { compareStrings } from '../../model/index.ts';
import { ByteReader, ByteWriter } from './encoding.ts';
import { CorruptBlockError } from './errors.ts';
import { bufferBytes, type IndexBytes } from './indexbytes.ts';
import { VALUES_PER_NULL } from '../index/index.ts';

const INDEX_MAGIC = 0x58495453; // "STIX" read as little-endian u32
const INDEX_VERSION = 1;
const HEADER_SIZE = 8;
const NUM_SECTIONS = 6;
const TOC_SIZE = NUM_SECTIONS * 8 + 4;
const S_SYMBOLS = 0;
const S_SERIES = 1;
const S_SERIES_OFFSETS = 2;
const S_POSTINGS = 3;
const S_POSTINGS_TABLE = 4;
const S_CHUNK_FILES = 5;
const SECTION_NAMES = ['symbols', 'series', 'series offsets', 'postings', 'postings offset table', 'chunk files'];

/** Everything the index records, in columnar form (one typed array per field, not an object per chunk). */
export interface IndexContent {
  /** Sorted, unique; must contain '' (the all-postings key). */
  symbols: readonly string[];
  numSeries: number;
  /** Flat [nameRef, valueRef, ...] of all series; series i uses labelRefs[labelStart[i] .. labelStart[i+1]). */
  labelRefs: Uint32Array;
  labelStart: Uint32Array;
  /** Chunk metas of series i are at [chunkStart[i] .. chunkStart[i+1]). */
  chunkStart: Uint32Array;
  chunkMinT: Float64Array;
  chunkMaxT: Float64Array;
  chunkSamples: Uint32Array;
  chunkRef: Float64Array;
  chunkFileSizes: readonly number[];
}

/** Writes the index file, fsyncs it, and returns its size in bytes. */
export function writeIndexFile(file: string, c: IndexContent): number {
  const fd = fs.openSync(file, 'w');
  try {
    let pos = 0;
    const write = (b: Uint8Array): void => {
      let off = 0;
      while (off < b.length) off += fs.writeSync(fd, b, off, b.length - off);
      pos += b.length;
    };
    const header = Buffer.alloc(HEADER_SIZE);
    header.writeUInt32LE(INDEX_MAGIC, 0);
    header[4] = INDEX_VERSION;
    write(header);

    const toc: number[] = [];
    const w = new ByteWriter(1 << 16);
    const lenCrc = Buffer.alloc(4);
    const section = (): void => {
      toc.push(pos);
      if (w.len > 0xffffffff) throw new Error(`index section ${SECTION_NAMES[toc.length - 1]} exceeds 4 GiB`);
      lenCrc.writeUInt32LE(w.len, 0);
      write(lenCrc);
      const body = w.view();
      write(body);
      lenCrc.writeUInt32LE(zlib.crc32(body), 0);
      write(lenCrc);
      w.reset();
    };

    // SYMBOLS
    w.uvarint(c.symbols.length);
    for (const s of c.symbols) w.string(s);
    section();

    // SERIES, remembering each entry's offset for SERIES_OFFSETS
    const seriesOffsets = new Uint32Array(c.numSeries);
    for (let i = 0; i < c.numSeries; i++) {
      if (w.len > 0xffffffff) throw new Error('index series section exceeds 4 GiB');
      seriesOffsets[i] = w.len;
      const l0 = c.labelStart[i];
      const l1 = c.labelStart[i + 1];
      w.uvarint((l1 - l0) >> 1);
      for (let j = l0; j < l1; j++) w.uvarint(c.labelRefs[j]);
      const c0 = c.chunkStart[i];
      const c1 = c.chunkStart[i + 1];
      w.uvarint(c1 - c0);
      for (let j = c0; j < c1; j++) {
        if (j === c0) w.varint(c.chunkMinT[j]);
        else w.uvarint(c.chunkMinT[j] - c.chunkMaxT[j - 1]);
        w.uvarint(c.chunkMaxT[j] - c.chunkMinT[j]);
        w.uvarint(c.chunkSamples[j]);
        w.uvarint(j === c0 ? c.chunkRef[j] : c.chunkRef[j] - c.chunkRef[j - 1]);
      }
    }
    section();

    // SERIES_OFFSETS
    for (let i = 0; i < c.numSeries; i++) w.u32(seriesOffsets[i]);
    section();

    // POSTINGS and the table pointing into them
    const pairs = buildPostings(c);
    const listOffsets = new Float64Array(pairs.keys.length);
    for (let p = 0; p < pairs.keys.length; p++) {
      listOffsets[p] = w.len;
      const a = pairs.start[p];
      const b = pairs.start[p + 1];
      w.uvarint(b - a);
      let prev = 0;
      for (let k = a; k < b; k++) {
        const id = pairs.ids[k];
        w.uvarint(k === a ? id : id - prev);
        prev = id;
      }
    }
    section();

    // POSTINGS_TABLE: keys are sorted by (name, value), so names come in runs.
    const nSym = c.symbols.length;
    let nNames = 0;
    for (let p = 0; p < pairs.keys.length; p++) {
      if (p === 0 || Math.floor(pairs.keys[p] / nSym) !== Math.floor(pairs.keys[p - 1] / nSym)) nNames++;
    }
    w.uvarint(nNames);
    for (let p = 0; p < pairs.keys.length; ) {
      const nameRef = Math.floor(pairs.keys[p] / nSym);
      let q = p;
      while (q < pairs.keys.length && Math.floor(pairs.keys[q] / nSym) === nameRef) q++;
      w.uvarint(nameRef);
      w.uvarint(q - p);
      let prevValue = 0;
      let prevOffset = 0;
      for (let k = p; k < q; k++) {
        const valueRef = pairs.keys[k] % nSym;
        w.uvarint(valueRef - prevValue);
        w.uvarint(listOffsets[k] - prevOffset);
        prevValue = valueRef;
        prevOffset = listOffsets[k];
      }
      p = q;
    }
    section();

    // CHUNK_FILES
    w.uvarint(c.chunkFileSizes.length);
    for (const s of c.chunkFileSizes) w.uvarint(s);
    section();

    const tocBuf = Buffer.alloc(TOC_SIZE);
    for (let i = 0; i < NUM_SECTIONS; i++) tocBuf.writeUIntLE(toc[i], i * 8, 6);
    tocBuf.writeUInt32LE(zlib.crc32(tocBuf.subarray(0, NUM_SECTIONS * 8)), NUM_SECTIONS * 8);
    write(tocBuf);
    fs.fsyncSync(fd);
    return pos;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Postings of every label pair, plus ("", "") for all series. Two passes over the label refs
 * (count, then fill) so the lists live in one Uint32Array; series are visited in id order, so
 * each list comes out sorted.
 */
function buildPostings(c: IndexContent): { keys: number[]; start: Uint32Array; ids: Uint32Array } {
  const nSym = c.symbols.length;
  const emptyRef = 0; // '' sorts first among the symbols
  if (c.symbols[0] !== '') throw new Error('symbol table must contain the empty string');
  const allKey = emptyRef * nSym + emptyRef;
  const index = new Map<number, number>();
  index.set(allKey, 0);
  const counts: number[] = [c.numSeries];
  const n = c.labelStart[c.numSeries];
  for (let j = 0; j < n; j += 2) {
    const key = c.labelRefs[j] * nSym + c.labelRefs[j + 1];
    const p = index.get(key);
    if (p === undefined) {
      index.set(key, counts.length);
      counts.push(1);
    } else counts[p]++;
  }
  const keys = [...index.keys()].sort((a, b) => a - b);
  const start = new Uint32Array(keys.length + 1);
  const slot = new Map<number, number>(); // key -> sorted position
  for (let i = 0; i < keys.length; i++) {
    slot.set(keys[i], i);
    start[i + 1] = start[i] + counts[index.get(keys[i]) as number];
  }
  const fill = start.slice(0, keys.length);
  const ids = new Uint32Array(start[keys.length]);
  const allSlot = slot.get(allKey) as number;
  for (let s = 0; s < c.numSeries; s++) {
    ids[fill[allSlot]++] = s;
    for (let j = c.labelStart[s]; j < c.labelStart[s + 1]; j += 2) {
      const sl = slot.get(c.labelRefs[j] * nSym + c.labelRefs[j + 1]) as number;
      ids[fill[sl]++] = s;
    }
  }
  return { keys, start, ids };
}

/**
 * Decoded chunk metas of one series: entries [0, n) of the arrays, which may be longer (a select
 * reuses one set for every series it reads).
 */
export interface ChunkMetas {
  n: number;
  minT: Float64Array;
  maxT: Float64Array;
  samples: Float64Array;
  ref: Float64Array;
}

export function newChunkMetas(capacity = 8): ChunkMetas {
  return { n: 0, minT: new Float64Array(capacity), maxT: new Float64Array(capacity), samples: new Float64Array(capacity), ref: new Float64Array(capacity) };
}

interface NameEntry {
  valueRefs: Uint32Array;
  /** Absolute file offsets of the postings lists. */
  offsets: Float64Array;
}

const EMPTY_POSTINGS = new Uint32Array(0);

/**
 * Reads an index from its file (or a buffer). Checksums of all sections are verified at
 * construction; the symbols and the postings offset table are decoded then and kept; series
 * entries and postings lists are read and decoded when asked for.
 */
export class IndexReader {
  readonly file: string;
  readonly symbols: string[];
  readonly numSeries: number;
  readonly chunkFileSizes: number[];
  private readonly bytes: IndexBytes;
  private readonly sections: { start: number; end: number }[] = [];
  private readonly names = new Map<string, NameEntry>();
  private readonly sortedNames: string[];
  /** Every postings list's file offset, ascending (the lists' order in the file): where each ends. */
  private readonly postingsOffsets: Float64Array;
  /** Estimated bytes of what was decoded at open and is kept. */
  private keptBytes = 0;

  /** `source`: the file's bytes, or where to read them (IndexReader then owns and closes it). */
  constructor(file: string, source: Buffer | IndexBytes) {
    this.file = file;
    const bytes = Buffer.isBuffer(source) ? bufferBytes(file, source) : source;
    this.bytes = bytes;
    const fail = (what: string): never => {
      throw new CorruptBlockError(file, what);
    };
    if (bytes.size < HEADER_SIZE + TOC_SIZE) fail(`file too short (${bytes.size} bytes; truncated?)`);
    const hr = bytes.reader(0, HEADER_SIZE);
    const head = hr.buf.subarray(hr.pos, hr.pos + HEADER_SIZE);
    if (head.readUInt32LE(0) !== INDEX_MAGIC) fail('bad magic number in header (not an index file)');
    if (head[4] !== INDEX_VERSION) fail(`unsupported index version ${head[4]}`);
    if (head[5] !== 0 || head[6] !== 0 || head[7] !== 0) fail('reserved header bytes are not zero');
    const tocAt = bytes.size - TOC_SIZE;
    const tr = bytes.reader(tocAt, TOC_SIZE);
    const toc = tr.buf.subarray(tr.pos, tr.pos + TOC_SIZE);
    if (zlib.crc32(toc.subarray(0, NUM_SECTIONS * 8)) !== toc.readUInt32LE(NUM_SECTIONS * 8)) {
      fail(`table of contents checksum mismatch at offset ${tocAt} (truncated or damaged)`);
    }
    let prevEnd = HEADER_SIZE;
    for (let i = 0; i < NUM_SECTIONS; i++) {
      const start = toc.readUIntLE(i * 8, 6);
      if (toc.readUInt16LE(i * 8 + 6) !== 0 || start < prevEnd || start + 8 > tocAt) {
        fail(`${SECTION_NAMES[i]} section offset ${start} out of bounds`);
      }
      const len = bytes.u32At(start);
      const bodyStart = start + 4;
      const bodyEnd = bodyStart + len;
      if (bodyEnd + 4 > tocAt) fail(`${SECTION_NAMES[i]} section at offset ${start} (length ${len}) runs past the table of contents`);
      if (bytes.crc32(bodyStart, len) !== bytes.u32At(bodyEnd)) {
        fail(`${SECTION_NAMES[i]} section checksum mismatch (section at offset ${start}, ${len} bytes)`);
      }
      this.sections.push({ start: bodyStart, end: bodyEnd });
      prevEnd = bodyEnd + 4;
    }

    // SYMBOLS
    let r = this.reader(S_SYMBOLS);
    const nSym = r.uvarint();
    if (nSym > r.remaining()) r.fail(`symbol count ${nSym} larger than the section`);
    this.symbols = new Array(nSym);
    for (let i = 0; i < nSym; i++) this.symbols[i] = r.string();
    // V8 string header and array slot, then the characters (one byte each for Latin-1 text).
    for (const sym of this.symbols) this.keptBytes += 24 + sym.length;

    // SERIES_OFFSETS
    const so = this.sections[S_SERIES_OFFSETS];
    if ((so.end - so.start) % 4 !== 0) fail('series offsets section length is not a multiple of 4');
    this.numSeries = (so.end - so.start) / 4;

    // POSTINGS_TABLE
    r = this.reader(S_POSTINGS_TABLE);
    const postings = this.sections[S_POSTINGS];
    const nNames = r.uvarint();
    this.sortedNames = [];
    const perName: Float64Array[] = [];
    for (let i = 0; i < nNames; i++) {
      const nameRef = this.symbolRef(r);
      const nValues = r.uvarint();
      if (nValues > r.remaining()) r.fail(`value count ${nValues} larger than the section`);
      const valueRefs = new Uint32Array(nValues);
      const offsets = new Float64Array(nValues);
      let v = 0;
      let off = 0;
      for (let k = 0; k < nValues; k++) {
        v += r.uvarint();
        off += r.uvarint();
        if (v >= nSym || (k > 0 && v <= valueRefs[k - 1])) r.fail(`bad value symbol ref ${v}`);
        if (postings.start + off >= postings.end) r.fail(`postings offset ${off} outside the postings section`);
        valueRefs[k] = v;
        offsets[k] = postings.start + off;
      }
      const name = this.symbols[nameRef];
      this.keptBytes += 80 + 12 * nValues;
      this.names.set(name, { valueRefs, offsets });
      this.sortedNames.push(name);
      perName.push(offsets);
    }
    // One array of all offsets, the names' entries views into it.
    this.postingsOffsets = new Float64Array(perName.reduce((n, o) => n + o.length, 0));
    let at = 0;
    for (let i = 0; i < perName.length; i++) {
      const o = perName[i];
      if (o.length > 0 && at > 0 && o[0] <= this.postingsOffsets[at - 1]) r.fail('postings lists out of order');
      this.postingsOffsets.set(o, at);
      this.names.get(this.sortedNames[i])!.offsets = this.postingsOffsets.subarray(at, at + o.length);
      at += o.length;
    }

    // CHUNK_FILES
    r = this.reader(S_CHUNK_FILES);
    const nFiles = r.uvarint();
    if (nFiles > r.remaining()) r.fail(`chunk file count ${nFiles} larger than the section`);
    this.chunkFileSizes = [];
    for (let i = 0; i < nFiles; i++) this.chunkFileSizes.push(r.uvarint());
  }

  private reader(section: number): ByteReader {
    const s = this.sections[section];
    return this.bytes.reader(s.start, s.end - s.start);
  }

  /** Closes the index file (a reader over a buffer has none). */
  close(): void {
    this.bytes.close();
  }

  /** Estimated bytes held: decoded symbols and postings offset table, and cached file pages. */
  memoryBytes(): number {
    return this.keptBytes + this.bytes.cachedBytes();
  }

  private symbolRef(r: ByteReader): number {
    const ref = r.uvarint();
    if (ref >= this.symbols.length) r.fail(`symbol ref ${ref} out of range (${this.symbols.length} symbols)`);
    return ref;
  }

  /** Sorted label names (excluding the all-postings key). */
  labelNames(): string[] {
    return this.sortedNames.filter((n) => n !== '');
  }

  /** Sorted values of one label. */
  labelValues(name: string): string[] {
    const e = this.names.get(name);
    if (!e || name === '') return [];
    const out: string[] = new Array(e.valueRefs.length);
    for (let i = 0; i < out.length; i++) out[i] = this.symbols[e.valueRefs[i]];
    return out;
  }

  /** Postings of one label pair (empty when absent). */
  postings(name: string, value: string): Uint32Array {
    const e = this.names.get(name);
    if (!e) return EMPTY_POSTINGS;
    const ref = this.findSymbol(value);
    if (ref < 0) return EMPTY_POSTINGS;
    let lo = 0;
    let hi = e.valueRefs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = e.valueRefs[mid];
      if (v === ref) return this.decodePostings(e.offsets[mid]);
      if (v < ref) lo = mid + 1;
      else hi = mid - 1;
    }
    return EMPTY_POSTINGS;
  }

  /**
   * Postings lists of every value of `name` for which `pred(value)` holds, decoded one by one as
   * matcher evaluation asks for them (it may pause in between); null after VALUES_PER_NULL values
   * tested without a match.
   */
  *postingsWhere(name: string, pred: (value: string) => boolean): Generator<Uint32Array | null> {
    const e = this.names.get(name);
    if (!e || name === '') return;
    let tested = 0;
    for (let i = 0; i < e.valueRefs.length; i++) {
      if (pred(this.symbols[e.valueRefs[i]])) {
        tested = 0;
        yield this.decodePostings(e.offsets[i]);
      } else if (++tested === VALUES_PER_NULL) {
        tested = 0;
        yield null;
      }
    }
  }

  allPostings(): Uint32Array {
    return this.postings('', '');
  }

  private findSymbol(s: string): number {
    const sym = this.symbols;
    let lo = 0;
    let hi = sym.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = compareStrings(sym[mid], s);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private decodePostings(offset: number): Uint32Array {
    const r = this.bytes.reader(offset, this.postingsEnd(offset) - offset);
    const n = r.uvarint();
    if (n > this.numSeries) r.fail(`postings list of ${n} entries but the block has ${this.numSeries} series`);
    const out = new Uint32Array(n);
    let id = 0;
    for (let i = 0; i < n; i++) {
      const d = r.uvarint();
      if (i > 0 && d === 0) r.fail('postings list not strictly ascending');
      id += d;
      if (id >= this.numSeries) r.fail(`series id ${id} out of range (${this.numSeries} series)`);
      out[i] = id;
    }
    return out;
  }

  private seriesReader(id: number): ByteReader {
    if (!(id >= 0 && id < this.numSeries)) throw new CorruptBlockError(this.file, `series id ${id} out of range`);
    const so = this.sections[S_SERIES_OFFSETS];
    const s = this.sections[S_SERIES];
    const off = this.bytes.u32At(so.start + id * 4);
    // An entry ends where the next one starts: only its own bytes are read.
    const end = id + 1 < this.numSeries ? this.bytes.u32At(so.start + id * 4 + 4) : s.end - s.start;
    if (s.start + off >= s.end) throw new CorruptBlockError(this.file, `series ${id} offset ${off} outside the series section`);
    if (end <= off || s.start + end > s.end) {
      throw new CorruptBlockError(this.file, `series ${id + 1} offset ${end} not after series ${id} offset ${off} or outside the series section`);
    }
    return this.bytes.reader(s.start + off, end - off);
  }

  /** Where the postings list at `offset` ends: where the next list starts, or the section's end. */
  private postingsEnd(offset: number): number {
    const all = this.postingsOffsets;
    let lo = 0;
    let hi = all.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (all[mid] === offset) return mid + 1 < all.length ? all[mid + 1] : this.sections[S_POSTINGS].end;
      if (all[mid] < offset) lo = mid + 1;
      else hi = mid - 1;
    }
    throw new Error(`${this.file}: no postings list starts at offset ${offset}`);
  }

  private readLabels(r: ByteReader): string[] {
    const n = r.uvarint();
    if (n * 2 > r.remaining()) r.fail(`label count ${n} larger than the section`);
    const out: string[] = new Array(n * 2);
    for (let i = 0; i < n * 2; i++) out[i] = this.symbols[this.symbolRef(r)];
    return out;
  }

  seriesLabels(id: number): string[] {
    return this.readLabels(this.seriesReader(id));
  }

  /**
   * Labels and chunk metas of one series. The metas go into `into` when given (a select reads
   * thousands of series and needs each one's metas only for a moment), else into new arrays.
   */
  series(id: number, into?: ChunkMetas): { labels: string[]; chunks: ChunkMetas } {
    const r = this.seriesReader(id);
    const labels = this.readLabels(r);
    const n = r.uvarint();
    if (n * 4 > r.remaining()) r.fail(`chunk count ${n} larger than the section`);
    let chunks = into ?? newChunkMetas(n);
    if (chunks.minT.length < n) {
      const grown = newChunkMetas(Math.max(n, chunks.minT.length * 2));
      if (into !== undefined) Object.assign(into, grown);
      else chunks = grown;
    }
    let maxT = 0;
    let ref = 0;
    for (let j = 0; j < n; j++) {
      const minT = j === 0 ? r.varint() : maxT + r.uvarint();
      maxT = minT + r.uvarint();
      const samples = r.uvarint();
      ref = j === 0 ? r.uvarint() : ref + r.uvarint();
      chunks.minT[j] = minT;
      chunks.maxT[j] = maxT;
      chunks.samples[j] = samples;
      chunks.ref[j] = ref;
    }
    chunks.n = n;
    return { labels, chunks };
  }

}
