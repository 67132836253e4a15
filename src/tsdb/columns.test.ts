import { describe, expect, it } from 'vitest';
import { growColumn, growsInPlace, newColumn } from './columns.ts';

describe('columns', () => {
  it('grow in place within their reservation: same array, values kept, new elements zero', () => {
    let col = newColumn(Float64Array, 10, 1 << 20);
    expect(growsInPlace(col)).toBe(true);
    for (let i = 0; i < 10; i++) col[i] = i + 0.5;
    const before = col;
    const kept = col.subarray(0, 4); // a reader's view taken before growth stays valid
    col = growColumn(col, Float64Array, 100_000);
    expect(col).toBe(before);
    expect(col.length).toBeGreaterThanOrEqual(100_000);
    expect(col.length).toBeLessThanOrEqual(1 << 20);
    expect([...col.subarray(0, 10)]).toEqual([0.5, 1.5, 2.5, 3.5, 4.5, 5.5, 6.5, 7.5, 8.5, 9.5]);
    expect(col.subarray(10).every((v) => v === 0)).toBe(true);
    expect([...kept]).toEqual([0.5, 1.5, 2.5, 3.5]);
    // Asking for less than it holds changes nothing.
    const len = col.length;
    expect(growColumn(col, Float64Array, 5)).toBe(col);
    expect(col.length).toBe(len);
  });

  it('grow one element at a time in steps, not a resize per element', () => {
    let col = newColumn(Uint32Array, 0, 1 << 24);
    let resizes = 0;
    for (let i = 0; i < 200_000; i++) {
      if (i >= col.length) {
        col = growColumn(col, Uint32Array, i + 1);
        resizes++;
      }
      col[i] = i;
    }
    expect(resizes).toBeLessThan(40);
    expect(col[199_999]).toBe(199_999);
    expect(col[12_345]).toBe(12_345);
  });

  it('past their reservation are copied into a larger column, values kept', () => {
    const small = newColumn(Int32Array, 8, 16);
    for (let i = 0; i < 8; i++) small[i] = -i - 1;
    const grown = growColumn(small, Int32Array, 17);
    expect(grown).not.toBe(small);
    expect(grown.length).toBeGreaterThanOrEqual(17);
    expect([...grown.subarray(0, 8)]).toEqual([-1, -2, -3, -4, -5, -6, -7, -8]);
    expect(grown.subarray(8).every((v) => v === 0)).toBe(true);
    // The copy reserves room again: the next growth is in place.
    expect(growColumn(grown, Int32Array, 10_000)).toBe(grown);
  });

  it('a plain typed array (no reservation) grows by copying', () => {
    const plain = new Uint16Array([1, 2, 3]);
    const grown = growColumn(plain, Uint16Array, 4);
    expect(grown).not.toBe(plain);
    expect([...grown.subarray(0, 4)]).toEqual([1, 2, 3, 0]);
  });
});
