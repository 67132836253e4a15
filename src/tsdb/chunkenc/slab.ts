// Arrays for decoded samples.
// The decoded arrays are views of shared slabs: V8 allocates a typed array of more than 64 bytes
// outside its heap, at ~0.3 µs apiece, more than decoding a short chunk costs. A view keeps its
// whole slab alive, so slabs are small enough (256 KiB) for that not to matter, and long ranges
// get arrays of their own.
const SLAB_ELEMENTS = 1 << 15;
let slab = new Float64Array(SLAB_ELEMENTS);
let slabUsed = 0;

/** A Float64Array of n elements for decoded samples (contents undefined: the caller fills all of it). */
export function sampleArray(n: number): Float64Array {
  if (n * 8 <= 64 || n > SLAB_ELEMENTS >> 3) return new Float64Array(n);
  if (slabUsed + n > SLAB_ELEMENTS) {
    slab = new Float64Array(SLAB_ELEMENTS);
    slabUsed = 0;
  }
  const out = slab.subarray(slabUsed, slabUsed + n);
  slabUsed += n;
  return out;
}
