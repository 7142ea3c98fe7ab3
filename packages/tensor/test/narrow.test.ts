// PyTorch's slicing forms beside TensorFlow's slice(begin, size): narrow(dim, start, length) and
// the end-exclusive sliceRange(dim, start, end), checked against JS's Array.prototype.slice,
// whose start/end rules (negative from the end, clamped, empty when start ≥ end) are Python's.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { arange, IndexError, memory, narrow, slice, sliceRange, tensor } from '../src/index.js';

/** The rows of a [rows, cols] matrix of 0..n-1, as nested JS arrays. */
function matrix(rows: number, cols: number): number[][] {
  return Array.from({ length: rows }, (_, r) => Array.from({ length: cols }, (_, c) => r * cols + c));
}

describe('narrow and sliceRange', () => {
  it('slice(2, 5) is 5 elements from 2; narrow(0, 2, 5) the same; sliceRange(0, 2, 5) the 3 elements 2, 3, 4', () => {
    const x = arange(10);
    expect(slice(x, 2, 5).toArray()).toEqual([2, 3, 4, 5, 6]);
    expect(x.narrow(0, 2, 5).toArray()).toEqual([2, 3, 4, 5, 6]);
    expect(x.sliceRange(0, 2, 5).toArray()).toEqual([2, 3, 4]);
    expect(x.sliceRange(0, -3).toArray()).toEqual([7, 8, 9]);
    expect(x.narrow(0, -3, 2).toArray()).toEqual([7, 8]);
    x.dispose();
  });

  it('sliceRange along any axis matches Array.prototype.slice, for any start and end', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: -8, max: 8 }),
        fc.option(fc.integer({ min: -8, max: 8 }), { nil: undefined }),
        fc.boolean(),
        (rows, cols, start, end, onCols) => {
          const m = matrix(rows, cols);
          const x = tensor(m);
          const expected = onCols ? m.map((row) => row.slice(start, end)) : m.slice(start, end);
          const y = sliceRange(x, onCols ? 1 : 0, start, end);
          const shape = onCols ? [rows, expected[0]!.length] : [expected.length, cols];
          expect(y.shape).toEqual(shape);
          expect(Array.from(y.data())).toEqual(expected.flat());
          x.dispose();
          y.dispose();
        },
      ),
    );
  });

  it('narrow along any axis matches Array.prototype.slice(start, start + length) wherever it fits', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.nat(),
        fc.nat(),
        fc.boolean(),
        (rows, cols, s, l, onCols) => {
          const n = onCols ? cols : rows;
          const start = s % (n + 1);
          const length = l % (n - start + 1);
          const m = matrix(rows, cols);
          const x = tensor(m);
          const y = narrow(x, onCols ? -1 : 0, start, length);
          const expected = onCols ? m.map((row) => row.slice(start, start + length)) : m.slice(start, start + length);
          expect(Array.from(y.data())).toEqual(expected.flat());
          x.dispose();
          y.dispose();
        },
      ),
    );
  });

  it('narrow never cuts a window short: IndexError naming the op, the window and the axis', () => {
    const x = arange(4);
    const before = memory().tensors;
    expect(() => x.narrow(0, 2, 5)).toThrow(IndexError);
    expect(() => x.narrow(0, 2, 5)).toThrow('narrow: start 2 + length 5 exceeds dim 0 of length 4 in [4] (expected 0 ≤ length ≤ 2)');
    expect(() => x.narrow(0, 5, 0)).toThrow('narrow: start 5 is out of range for dim 0 of length 4');
    expect(() => x.narrow(1, 0, 1)).toThrow(/narrow: axis 1 is out of range for rank 1/);
    expect(() => x.narrow(0, 1.5, 1)).toThrow('narrow: start must be an integer, got 1.5');
    expect(() => x.sliceRange(0, 0, Number.NaN)).toThrow('sliceRange: end must be an integer, got NaN');
    expect(memory().tensors).toBe(before);
    x.dispose();
  });
});
