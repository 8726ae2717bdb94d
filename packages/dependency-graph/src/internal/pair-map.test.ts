import { describe, expect, it } from 'vitest';
import { PairIndex, PairMap } from './pair-map.ts';

describe('PairIndex', () => {
  it('keeps pairs in a dense matrix and grows it by rows', () => {
    const idx = new PairIndex(10, 2);
    expect(idx.get(0, 3)).toBe(-1);
    idx.set(0, 3, 7);
    idx.set(50, 9, 8);
    expect(idx.get(0, 3)).toBe(7);
    expect(idx.get(50, 9)).toBe(8);
    expect(idx.get(50, 8)).toBe(-1);
    expect(idx.get(1000, 0)).toBe(-1);
  });

  it('moves every pair into a hash map when the matrix would pass 2^23 entries', () => {
    const idx = new PairIndex(1000, 16);
    for (let a = 0; a < 8000; a += 97) idx.set(a, a % 1000, a + 1);
    idx.set(9000, 999, 5); // row 9000 × 1000 columns > 2^23 entries
    for (let a = 0; a < 8000; a += 97) expect(idx.get(a, a % 1000)).toBe(a + 1);
    expect(idx.get(9000, 999)).toBe(5);
    expect(idx.get(9000, 998)).toBe(-1);
    expect(idx.get(20000, 1)).toBe(-1);
  });

  it('starts as a hash map when even the first rows are too large', () => {
    const idx = new PairIndex(2 ** 20, 16);
    idx.set(3, 2 ** 20 - 1, 4);
    expect(idx.get(3, 2 ** 20 - 1)).toBe(4);
    expect(idx.get(3, 0)).toBe(-1);
  });
});

describe('PairMap', () => {
  it('grows past its initial capacity without losing pairs', () => {
    const m = new PairMap(4);
    for (let i = 0; i < 500; i++) m.set(i, i * 3, i);
    expect(m.size).toBe(500);
    for (let i = 0; i < 500; i++) expect(m.get(i, i * 3)).toBe(i);
    expect(m.get(1, 1)).toBe(-1);
  });
});
