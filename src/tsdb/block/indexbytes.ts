// Where an index reader gets its bytes. A block reads its index file with positional reads
// through a few cached pages: a read touches the series entries and postings lists it needs, and
// only those pass through memory. (Holding the whole file cost as much memory as the file, ~90
// bytes per series, for every block kept: with 200k series replaced hourly, 36 MB per 2 h block,
// more than everything else the process keeps growing by; see docs/performance-analysis.md.)
// Node has no mmap; the kernel's page cache keeps what is read often at hand anyway.
import fs from 'node:fs';
import zlib from 'node:zlib';
import { ByteReader } from './encoding.ts';
import { CorruptBlockError } from './errors.ts';

export interface IndexBytes {
  readonly file: string;
  readonly size: number;
  /** A reader of bytes [off, off + len); its positions (and errors) are file offsets. */
  reader(off: number, len: number): ByteReader;
  /** The u32 (little-endian) at off. */
  u32At(off: number): number;
  /** crc32 of bytes [off, off + len), read in pieces. */
  crc32(off: number, len: number): number;
  /** Bytes of the file held in memory. */
  cachedBytes(): number;
  close(): void;
}

/** An index held in a buffer (tests; the whole file read at once). */
export function bufferBytes(file: string, buf: Buffer): IndexBytes {
  return {
    file,
    size: buf.length,
    reader: (off, len) => new ByteReader(buf, file, off, off + len),
    u32At: (off) => buf.readUInt32LE(off),
    crc32: (off, len) => zlib.crc32(buf.subarray(off, off + len)),
    cachedBytes: () => buf.length,
    close() {},
  };
}

// 32 KiB pages, 8 of them (256 KiB a block): series entries are read in ascending id order and
// are a few dozen bytes each, so a select walks through a page before it needs the next; a
// postings list longer than what is left of its page is read on its own.
const PAGE_BITS = 15;
const PAGE = 1 << PAGE_BITS;
const PAGES = 8;
const CRC_PIECE = 1 << 20;

/** An index file read with pread through a small LRU of pages. Owns `fd`. */
export class FileBytes implements IndexBytes {
  readonly file: string;
  readonly size: number;
  private fd: number;
  private readonly pages = new Map<number, Buffer>();
  // The two pages used last, checked before the map: a select alternates between the series
  // offsets and the series entries.
  private lastNo = -1;
  private last: Buffer = Buffer.alloc(0);
  private prevNo = -1;
  private prev: Buffer = Buffer.alloc(0);

  constructor(file: string, fd: number) {
    this.file = file;
    this.fd = fd;
    this.size = fs.fstatSync(fd).size;
  }

  reader(off: number, len: number): ByteReader {
    const no = off >>> PAGE_BITS;
    const base = no * PAGE;
    if (off + len <= base + PAGE) return new ByteReader(this.page(no), this.file, off - base, off - base + len, base);
    const buf = Buffer.allocUnsafe(len);
    this.readAt(buf, off);
    return new ByteReader(buf, this.file, 0, len, off);
  }

  u32At(off: number): number {
    const no = off >>> PAGE_BITS;
    const at = off - no * PAGE;
    if (at + 4 <= PAGE) return this.page(no).readUInt32LE(at);
    return this.reader(off, 4).u32();
  }

  crc32(off: number, len: number): number {
    const piece = Buffer.allocUnsafe(Math.min(CRC_PIECE, Math.max(len, 1)));
    let crc = 0;
    for (let done = 0; done < len; ) {
      const n = Math.min(piece.length, len - done);
      this.readAt(piece.subarray(0, n), off + done);
      crc = zlib.crc32(piece.subarray(0, n), crc);
      done += n;
    }
    return crc;
  }

  cachedBytes(): number {
    let n = 0;
    for (const p of this.pages.values()) n += p.length;
    return n;
  }

  private page(no: number): Buffer {
    if (no === this.lastNo) return this.last;
    if (no === this.prevNo) {
      const p = this.prev;
      this.prevNo = this.lastNo;
      this.prev = this.last;
      this.lastNo = no;
      this.last = p;
      return p;
    }
    let p = this.pages.get(no);
    if (p !== undefined) {
      this.pages.delete(no);
    } else {
      const start = no * PAGE;
      if (start >= this.size) throw new CorruptBlockError(this.file, `read at offset ${start} past the end of the file`);
      p = Buffer.allocUnsafe(Math.min(PAGE, this.size - start));
      this.readAt(p, start);
      if (this.pages.size >= PAGES) this.pages.delete(this.pages.keys().next().value as number);
    }
    this.pages.set(no, p);
    this.prevNo = this.lastNo;
    this.prev = this.last;
    this.lastNo = no;
    this.last = p;
    return p;
  }

  private readAt(buf: Buffer, off: number): void {
    if (this.fd < 0) throw new Error(`index file ${this.file} is closed`);
    if (off + buf.length > this.size) throw new CorruptBlockError(this.file, `read of ${buf.length} bytes at offset ${off} past the end of the file`);
    for (let got = 0; got < buf.length; ) {
      const n = fs.readSync(this.fd, buf, got, buf.length - got, off + got);
      if (n === 0) throw new CorruptBlockError(this.file, `short read at offset ${off + got} (file shrank?)`);
      got += n;
    }
  }

  close(): void {
    if (this.fd < 0) return;
    fs.closeSync(this.fd);
    this.fd = -1;
    this.pages.clear();
    this.lastNo = -1;
    this.prevNo = -1;
    this.last = this.prev = Buffer.alloc(0);
  }
}
