import { IngestError } from './errors.ts';

/**
 * Decompresses a snappy block (the raw format remote write uses, not the framed stream format).
 *
 * A snappy block starts with the uncompressed length as a varint, and a decoder allocates that
 * much up front. We read that preamble first and refuse anything above `maxDecodedBytes` before
 * allocating, so a few hostile bytes cannot make us allocate gigabytes (413). Corrupt input is a 400.
 *
 * The decoder is plain JS: on remote-write payloads (many short literals and copies) it is as fast
 * as the native `snappy` package's, whose per-call overhead dominates at these sizes (see
 * bench/decode.ts), and every bounds check is ours to see.
 */
export function decompressSnappy(body: Uint8Array, maxDecodedBytes: number): Buffer {
  const { length, headerBytes } = readPreamble(body);
  if (length > maxDecodedBytes) {
    throw new IngestError(413, 'too_large', `decompressed body would be ${length} bytes, more than the limit of ${maxDecodedBytes}`);
  }
  return decodeBlock(body, headerBytes, length, Buffer.allocUnsafe(length));
}

// The output buffer of decompressSnappyTransient, kept from call to call.
let scratch = new Uint8Array(0);
/**
 * Bodies that decode to more than this get a buffer of their own, so that one large request does
 * not keep its size resident for the life of the process.
 */
const SCRATCH_MAX_BYTES = 4 << 20;

/**
 * Like decompressSnappy, but the result is a view of one buffer that every call reuses: it is only
 * valid until the next call. For decoders that read the whole message synchronously and copy out
 * what they keep (remote write's strings and numbers). A remote-write stream then does not
 * allocate and free a buffer of ~200 KiB a request: glibc serves such sizes from the main malloc
 * arena, and freed in garbage-collection order between longer-lived buffers they leave holes that
 * stay resident (docs/performance-analysis.md, Queries: Memory).
 */
export function decompressSnappyTransient(body: Uint8Array, maxDecodedBytes: number): Uint8Array {
  const { length, headerBytes } = readPreamble(body);
  if (length > maxDecodedBytes) {
    throw new IngestError(413, 'too_large', `decompressed body would be ${length} bytes, more than the limit of ${maxDecodedBytes}`);
  }
  if (length > SCRATCH_MAX_BYTES) return decodeBlock(body, headerBytes, length, new Uint8Array(length));
  if (scratch.length < length) scratch = new Uint8Array(Math.min(SCRATCH_MAX_BYTES, Math.max(length, scratch.length * 2, 64 << 10)));
  return decodeBlock(body, headerBytes, length, scratch.subarray(0, length));
}

/** The uncompressed length a snappy block declares: a varint of at most 32 bits. */
export function snappyDecodedLength(body: Uint8Array): number {
  return readPreamble(body).length;
}

function readPreamble(body: Uint8Array): { length: number; headerBytes: number } {
  if (body.length === 0) throw corrupt('body is empty');
  let v = 0;
  let mul = 1;
  for (let i = 0; i < 5 && i < body.length; i++) {
    const b = body[i];
    v += (b & 0x7f) * mul;
    if (b < 0x80) {
      if (v > 0xffffffff) break;
      return { length: v, headerBytes: i + 1 };
    }
    mul *= 128;
  }
  throw corrupt('bad length preamble');
}

function corrupt(what: string): IngestError {
  return new IngestError(400, 'bad_snappy', `body is not valid snappy-compressed data: ${what}`);
}

const LITERAL = 0;
const COPY_1 = 1;
const COPY_2 = 2;

// Element tags: the low two bits give the kind. A literal carries its length-1 in the upper six
// bits, or in the 1-4 bytes that follow when those bits say 60-63. Copies repeat `len` bytes from
// `offset` bytes back in the output, which may overlap what they write (run-length encoding).
function decodeBlock<T extends Uint8Array>(src: Uint8Array, start: number, n: number, out: T): T {
  const end = src.length;
  let s = start;
  let d = 0;
  while (s < end) {
    const tag = src[s++];
    const kind = tag & 3;
    if (kind === LITERAL) {
      let len = tag >>> 2;
      if (len >= 60) {
        const extra = len - 59;
        if (extra > end - s) throw corrupt('truncated literal length');
        len = src[s];
        if (extra > 1) len |= src[s + 1] << 8;
        if (extra > 2) len |= src[s + 2] << 16;
        if (extra > 3) len = (len | (src[s + 3] << 24)) >>> 0;
        s += extra;
      }
      len += 1;
      if (len > end - s) throw corrupt('literal past the end of the input');
      if (len > n - d) throw corrupt('literal past the declared length');
      if (len < 16) for (let i = 0; i < len; i++) out[d + i] = src[s + i];
      else out.set(src.subarray(s, s + len), d);
      s += len;
      d += len;
      continue;
    }
    let len: number;
    let offset: number;
    if (kind === COPY_1) {
      if (s >= end) throw corrupt('truncated copy');
      len = 4 + ((tag >>> 2) & 7);
      offset = ((tag >>> 5) << 8) | src[s];
      s += 1;
    } else if (kind === COPY_2) {
      if (end - s < 2) throw corrupt('truncated copy');
      len = 1 + (tag >>> 2);
      offset = src[s] | (src[s + 1] << 8);
      s += 2;
    } else {
      if (end - s < 4) throw corrupt('truncated copy');
      len = 1 + (tag >>> 2);
      offset = (src[s] | (src[s + 1] << 8) | (src[s + 2] << 16) | (src[s + 3] << 24)) >>> 0;
      s += 4;
    }
    if (offset === 0 || offset > d) throw corrupt(`copy from offset ${offset} at output byte ${d}`);
    if (len > n - d) throw corrupt('copy past the declared length');
    if (offset >= len && len >= 16) out.copyWithin(d, d - offset, d - offset + len);
    else for (let i = 0; i < len; i++) out[d + i] = out[d - offset + i];
    d += len;
  }
  if (d !== n) throw corrupt(`declared ${n} bytes, decoded ${d}`);
  return out;
}
