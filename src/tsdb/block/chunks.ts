// Chunk files (`chunks/000001`, ...) hold the encoded chunks of a block, grouped into pages.
//
// File:   magic "STCK" | version u8 | 3 zero bytes | page*
// Page:   flags u8 (bit 0: zstd) | storedLen u32 | rawLen u32 | crc32 u32 | stored bytes
//         (the crc covers the first 9 header bytes and the stored bytes)
// Raw page content: record* where record = kind uvarint | len uvarint | bytes
//
// Pages exist so a general compressor sees ~64 KiB of similar chunks at once (much better ratio
// than compressing chunk by chunk) while a read still touches one page, not the whole file.
// `kind` leaves room for other chunk layouts without a format break: 0 is a plain sample chunk
// (encoding named by its own first byte, see chunkenc); downsampled tiers will add a kind for
// aggregate chunks (count/sum/min/max/last/counter columns).
//
// A chunk reference packs (file number, page offset, offset within page) into a JS number:
//   ref = fileNo * 2^45 + pageOffset * 2^16 + offsetInPage
// with fileNo 1..255, pageOffset < 2^29 (files are cut at 512 MiB) and offsetInPage < 2^16
// (a chunk only starts in a page whose raw size is still below the page size, at most 64 KiB).
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { CorruptBlockError } from './errors.ts';
import { ByteReader, ByteWriter } from './encoding.ts';

export const ChunkKind = { SAMPLES: 0 } as const;

const FILE_MAGIC = 0x4b435453; // "STCK" read as little-endian u32
const FILE_VERSION = 1;
export const FILE_HEADER_SIZE = 8;
const PAGE_HEADER_SIZE = 13;
const FLAG_ZSTD = 1;

const MAX_FILE_NO = 255;
const MAX_PAGE_OFFSET = 2 ** 29;
const MAX_PAGE_SIZE = 2 ** 16;
const TWO_16 = 2 ** 16;
const TWO_45 = 2 ** 45;

export function chunkFileName(fileNo: number): string {
  return String(fileNo).padStart(6, '0');
}

export function packChunkRef(fileNo: number, pageOffset: number, offsetInPage: number): number {
  return fileNo * TWO_45 + pageOffset * TWO_16 + offsetInPage;
}

export function unpackChunkRef(ref: number): { fileNo: number; pageOffset: number; offsetInPage: number } {
  return {
    fileNo: Math.floor(ref / TWO_45),
    pageOffset: Math.floor(ref / TWO_16) % MAX_PAGE_OFFSET,
    offsetInPage: ref % TWO_16,
  };
}

export interface ChunkWriterOptions {
  /** zstd-compress pages (each page is stored raw anyway when compression does not shrink it). */
  compress: boolean;
  /** Target raw page size in bytes, at most 64 KiB. */
  pageSize?: number;
  /** Start a new chunk file once a file reaches this size (at most 512 MiB). */
  maxFileSize?: number;
  zstdLevel?: number;
}

export class ChunkWriter {
  private readonly dir: string;
  private readonly compress: boolean;
  private readonly pageSize: number;
  private readonly maxFileSize: number;
  private readonly zstdLevel: number;
  private readonly page = new ByteWriter(80 * 1024);
  private readonly header = Buffer.alloc(PAGE_HEADER_SIZE);
  private fd = -1;
  private fileNo = 0;
  private fileSize = 0;
  private readonly fileSizes: number[] = [];
  storedBytes = 0;
  rawBytes = 0;

  constructor(dir: string, opts: ChunkWriterOptions) {
    this.dir = dir;
    this.compress = opts.compress;
    this.pageSize = Math.min(opts.pageSize ?? MAX_PAGE_SIZE, MAX_PAGE_SIZE);
    this.maxFileSize = Math.min(opts.maxFileSize ?? MAX_PAGE_OFFSET, MAX_PAGE_OFFSET);
    this.zstdLevel = opts.zstdLevel ?? 3;
    fs.mkdirSync(dir, { recursive: true });
  }

  /** Appends one chunk and returns its reference. */
  add(kind: number, data: Uint8Array): number {
    if (this.page.len >= this.pageSize) this.flushPage();
    // Files are only switched between pages: the pending page is written at `fileSize`.
    if (this.page.len === 0 && (this.fd < 0 || this.fileSize >= this.maxFileSize)) this.openNextFile();
    const ref = packChunkRef(this.fileNo, this.fileSize, this.page.len);
    this.page.uvarint(kind);
    this.page.uvarint(data.length);
    this.page.bytes(data);
    return ref;
  }

  private openNextFile(): void {
    this.closeFile();
    if (this.fileNo >= MAX_FILE_NO) throw new Error(`block too large: more than ${MAX_FILE_NO} chunk files`);
    this.fileNo++;
    this.fd = fs.openSync(path.join(this.dir, chunkFileName(this.fileNo)), 'w');
    const h = Buffer.alloc(FILE_HEADER_SIZE);
    h.writeUInt32LE(FILE_MAGIC, 0);
    h[4] = FILE_VERSION;
    fs.writeSync(this.fd, h);
    this.fileSize = FILE_HEADER_SIZE;
  }

  private flushPage(): void {
    if (this.page.len === 0) return;
    const raw = this.page.view();
    let stored: Uint8Array = raw;
    let flags = 0;
    if (this.compress) {
      const z = zlib.zstdCompressSync(raw, { params: { [zlib.constants.ZSTD_c_compressionLevel]: this.zstdLevel } });
      if (z.length < raw.length) {
        stored = z;
        flags = FLAG_ZSTD;
      }
    }
    const h = this.header;
    h[0] = flags;
    h.writeUInt32LE(stored.length, 1);
    h.writeUInt32LE(raw.length, 5);
    h.writeUInt32LE(zlib.crc32(stored, zlib.crc32(h.subarray(0, 9))), 9);
    fs.writeSync(this.fd, h);
    writeFully(this.fd, stored);
    this.fileSize += PAGE_HEADER_SIZE + stored.length;
    this.storedBytes += PAGE_HEADER_SIZE + stored.length;
    this.rawBytes += raw.length;
    this.page.reset();
  }

  private closeFile(): void {
    if (this.fd < 0) return;
    fs.fsyncSync(this.fd);
    fs.closeSync(this.fd);
    this.fd = -1;
    this.fileSizes.push(this.fileSize);
  }

  /** Flushes the last page, fsyncs and closes; returns the size of each chunk file. */
  finish(): number[] {
    this.flushPage();
    this.closeFile();
    return this.fileSizes;
  }

  /** Closes without caring about the content (on error; the caller removes the directory). */
  abort(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }
}

function writeFully(fd: number, data: Uint8Array): void {
  let off = 0;
  while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
}

/** A chunk as stored: its kind and its bytes (a view into a cached page: do not keep or modify). */
export interface StoredChunk {
  kind: number;
  data: Uint8Array;
}

/**
 * Reads chunks by reference with positional reads and a small LRU of decoded pages. The chunk files
 * are checked at open for presence, size and header; a page is checked (crc) when first read.
 */
export class ChunkReader {
  private readonly files: string[] = [];
  private readonly fds: number[] = [];
  private readonly sizes: number[];
  private readonly cache = new Map<number, Buffer>();
  private readonly cacheCapacity: number;
  private readonly head = Buffer.alloc(PAGE_HEADER_SIZE + 16 * 1024);

  constructor(dir: string, fileSizes: readonly number[], cachePages = 64) {
    this.sizes = fileSizes.slice();
    this.cacheCapacity = Math.max(1, cachePages);
    try {
      for (let i = 0; i < fileSizes.length; i++) {
        const file = path.join(dir, chunkFileName(i + 1));
        this.files.push(file);
        let st: fs.Stats;
        try {
          st = fs.statSync(file);
        } catch {
          throw new CorruptBlockError(file, 'chunk file missing');
        }
        if (st.size !== fileSizes[i]) {
          throw new CorruptBlockError(file, `size is ${st.size} bytes, index says ${fileSizes[i]} (truncated or overwritten)`);
        }
        const fd = fs.openSync(file, 'r');
        this.fds.push(fd);
        const h = Buffer.alloc(FILE_HEADER_SIZE);
        if (fs.readSync(fd, h, 0, FILE_HEADER_SIZE, 0) !== FILE_HEADER_SIZE || h.readUInt32LE(0) !== FILE_MAGIC) {
          throw new CorruptBlockError(file, 'bad magic number in header (not a chunk file)');
        }
        if (h[4] !== FILE_VERSION) throw new CorruptBlockError(file, `unsupported chunk file version ${h[4]}`);
        if (h[5] !== 0 || h[6] !== 0 || h[7] !== 0) throw new CorruptBlockError(file, 'reserved header bytes are not zero');
      }
    } catch (e) {
      this.close();
      throw e;
    }
  }

  chunk(ref: number): StoredChunk {
    const fileNo = Math.floor(ref / TWO_45);
    const pageOffset = Math.floor(ref / TWO_16) % MAX_PAGE_OFFSET;
    const offsetInPage = ref % TWO_16;
    if (fileNo < 1 || fileNo > this.fds.length) {
      throw new CorruptBlockError(this.files[0] ?? 'chunks', `chunk reference ${ref} names chunk file ${fileNo}, block has ${this.fds.length}`);
    }
    const page = this.page(fileNo, pageOffset);
    const file = this.files[fileNo - 1];
    const r = new ByteReader(page, file, offsetInPage);
    if (offsetInPage >= page.length) r.fail(`chunk offset ${offsetInPage} past end of page at ${pageOffset}`);
    const kind = r.uvarint();
    const len = r.uvarint();
    if (r.pos + len > page.length) {
      throw new CorruptBlockError(file, `chunk at page ${pageOffset} + ${offsetInPage} runs past end of page`);
    }
    // A plain Uint8Array view: a Buffer's subarray costs a Buffer object per chunk read.
    return { kind, data: new Uint8Array(page.buffer, page.byteOffset + r.pos, len) };
  }

  private page(fileNo: number, pageOffset: number): Buffer {
    const key = fileNo * MAX_PAGE_OFFSET + pageOffset;
    const hit = this.cache.get(key);
    if (hit) {
      this.cache.delete(key);
      this.cache.set(key, hit);
      return hit;
    }
    const page = this.readPage(fileNo, pageOffset);
    this.cache.set(key, page);
    if (this.cache.size > this.cacheCapacity) this.cache.delete(this.cache.keys().next().value as number);
    return page;
  }

  private readPage(fileNo: number, pageOffset: number): Buffer {
    const fd = this.fds[fileNo - 1];
    const file = this.files[fileNo - 1];
    const size = this.sizes[fileNo - 1];
    const bad = (what: string): never => {
      throw new CorruptBlockError(file, `page at offset ${pageOffset}: ${what}`);
    };
    if (pageOffset < FILE_HEADER_SIZE || pageOffset + PAGE_HEADER_SIZE > size) bad(`outside the file (size ${size})`);
    // One speculative read usually brings header and a compressed page together.
    const want = Math.min(this.head.length, size - pageOffset);
    const got = fs.readSync(fd, this.head, 0, want, pageOffset);
    if (got < PAGE_HEADER_SIZE) bad('short read of page header');
    const flags = this.head[0];
    const storedLen = this.head.readUInt32LE(1);
    const rawLen = this.head.readUInt32LE(5);
    const crc = this.head.readUInt32LE(9);
    if ((flags & ~FLAG_ZSTD) !== 0) bad(`unknown page flags ${flags}`);
    if (pageOffset + PAGE_HEADER_SIZE + storedLen > size) bad(`page length ${storedLen} runs past end of file (size ${size})`);
    let stored: Buffer;
    if (PAGE_HEADER_SIZE + storedLen <= got) {
      stored = Buffer.from(this.head.subarray(PAGE_HEADER_SIZE, PAGE_HEADER_SIZE + storedLen));
    } else {
      stored = Buffer.allocUnsafe(storedLen);
      if (fs.readSync(fd, stored, 0, storedLen, pageOffset + PAGE_HEADER_SIZE) !== storedLen) bad('short read');
    }
    if (zlib.crc32(stored, zlib.crc32(this.head.subarray(0, 9))) !== crc) bad('checksum mismatch');
    if ((flags & FLAG_ZSTD) === 0) {
      if (rawLen !== storedLen) bad('raw and stored length differ in an uncompressed page');
      return stored;
    }
    let raw: Buffer;
    try {
      raw = zlib.zstdDecompressSync(stored, { maxOutputLength: Math.max(rawLen, 1) });
    } catch (e) {
      return bad(`zstd decompression failed: ${(e as Error).message}`);
    }
    if (raw.length !== rawLen) bad(`decompressed to ${raw.length} bytes, header says ${rawLen}`);
    return raw;
  }

  /** Bytes of the decompressed pages cached. */
  cachedBytes(): number {
    let n = 0;
    for (const p of this.cache.values()) n += p.length;
    return n;
  }

  close(): void {
    for (const fd of this.fds) {
      try {
        fs.closeSync(fd);
      } catch {
        // already closed
      }
    }
    this.fds.length = 0;
    this.cache.clear();
  }
}
