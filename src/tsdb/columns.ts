// Typed-array columns that grow in place: the head's per-series arrays, its label pool and the
// open-chunk pool's per-slot arrays hold data for every series, so growing them by allocating a
// larger array and copying stalls the event loop for as long as the copy takes (tens of ms at 1M
// series, seconds at 10M) and needs old + new memory at once.
//
// A column is a length-tracking typed array over a resizable ArrayBuffer whose maximum size is
// reserved up front. V8 reserves the maximum as address space only and commits pages as the buffer
// grows; the kernel makes a committed page resident when it is first written. So growth is a
// resize (a page-permission change, microseconds, no copy), the reservation costs no memory, and
// V8's external-memory accounting (which paces its collections) sees only the current length. The
// typed array follows the buffer's length, so holders of the column keep indexing it directly and
// the hot paths are unchanged.
//
// Past its reservation (or where the address space cannot be reserved: a 32-bit build, ulimit -v)
// a column is copied into a new, larger one, which is the old behaviour.

export type Column = Float64Array | Uint32Array | Int32Array | Uint16Array | Uint8Array;

export interface ColumnType<T extends Column> {
  new (length: number): T;
  new (buffer: ArrayBuffer): T;
  readonly BYTES_PER_ELEMENT: number;
}

/**
 * Elements reserved by default: 2^26 (67M) series refs or slots; 512 MiB of address space for a
 * column of doubles. A head's refs are never reused, so series churn moves the refs of a 10M-series
 * head past 2^24 in time; 2^26 leaves room for a few times that before the first copy.
 */
export const DEFAULT_RESERVE = 1 << 26;
/** Growth steps are at least this many elements, so small steps do not each cost a resize. */
const MIN_STEP = 1 << 12;

/** A column of `length` zeroed elements with room reserved for `reserve` without a copy. */
export function newColumn<T extends Column>(type: ColumnType<T>, length: number, reserve = DEFAULT_RESERVE): T {
  const bpe = type.BYTES_PER_ELEMENT;
  const max = Math.max(length, reserve) * bpe;
  try {
    return new type(new ArrayBuffer(length * bpe, { maxByteLength: max }));
  } catch (e) {
    // The reservation failed (no address space for it): a plain array, grown by copying.
    if (!(e instanceof RangeError)) throw e;
    return new type(length);
  }
}

/**
 * The column holding at least `length` elements: the same one grown in place when its reservation
 * allows, else a copy half as large again, in a new column reserving four times that (at least the
 * default). New elements
 * are zero. In-place steps are of 1/8 (at least MIN_STEP elements) so that growing one element at a
 * time resizes rarely; that slack is committed address space, not resident until written.
 */
export function growColumn<T extends Column>(col: T, type: ColumnType<T>, length: number): T {
  if (length <= col.length) return col;
  const bpe = type.BYTES_PER_ELEMENT;
  const buf = col.buffer as ArrayBuffer;
  if (buf.resizable && col.byteOffset === 0 && length * bpe <= buf.maxByteLength) {
    const step = Math.max(length, col.length + Math.max(MIN_STEP, col.length >>> 3));
    buf.resize(Math.min(step * bpe, buf.maxByteLength));
    return col;
  }
  const size = Math.max(length, Math.ceil(col.length * 1.5));
  const next = newColumn(type, size, Math.max(DEFAULT_RESERVE, size * 4));
  next.set(col as never);
  return next;
}

/** Whether the column grows in place (for tests and stats). */
export function growsInPlace(col: Column): boolean {
  return (col.buffer as ArrayBuffer).resizable;
}
