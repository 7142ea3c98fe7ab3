// The shape functions alone: no tensor is allocated to learn a shape.
import { describe, expect, it } from 'vitest';
import {
  broadcastShapes,
  convOutputSize,
  expandDimsShape,
  IndexError,
  memory,
  poolOutputSize,
  reshapeShape,
  ShapeError,
  sliceBounds,
  squeezeShape,
} from '../src/index.js';

describe('shape functions', () => {
  it('reshape infers one −1 and checks the element count', () => {
    expect(reshapeShape('r', [2, 3, 4], [4, -1])).toEqual([4, 6]);
    expect(reshapeShape('r', [0, 3], [-1, 3])).toEqual([0, 3]);
    expect(reshapeShape('r', [6], [6])).toEqual([6]);
    expect(() => reshapeShape('r', [6], [-1, -1])).toThrow(/more than one -1/);
    expect(() => reshapeShape('r', [7], [2, -1])).toThrow(/cannot infer -1 in \[2,-1\] for 7 elements/);
    expect(() => reshapeShape('r', [0, 3], [0, -1])).toThrow(ShapeError);
    expect(() => reshapeShape('r', [2, 3], [5])).toThrow(/\[2,3\] \(6 elements\) cannot become \[5\] \(5 elements\)/);
  });

  it('expandDims and squeeze axes, negative ones included', () => {
    expect(expandDimsShape('e', [2, 3], 0)).toEqual([1, 2, 3]);
    expect(expandDimsShape('e', [2, 3], -1)).toEqual([2, 3, 1]);
    expect(expandDimsShape('e', [2, 3], 2)).toEqual([2, 3, 1]);
    expect(() => expandDimsShape('e', [2, 3], 3)).toThrow(IndexError);
    expect(squeezeShape('s', [1, 2, 1, 3], undefined)).toEqual([2, 3]);
    expect(squeezeShape('s', [1, 2, 1, 3], -2)).toEqual([1, 2, 3]);
    expect(squeezeShape('s', [1, 2, 1, 3], [0, 2])).toEqual([2, 3]);
    expect(() => squeezeShape('s', [1, 2], 1)).toThrow(/axis 1 of \[1,2\] has length 2, not 1/);
    expect(() => squeezeShape('s', [1, 1], [0, -2])).toThrow(/repeat an axis/);
  });

  it('slice bounds: negative begins, −1 and missing sizes, out-of-range errors', () => {
    expect(sliceBounds('sl', [4, 5], [1, -2])).toEqual({ begin: [1, 3], size: [3, 2] });
    expect(sliceBounds('sl', [4, 5], 2, 1)).toEqual({ begin: [2, 0], size: [1, 5] });
    expect(sliceBounds('sl', [4, 5], [0, 1], [-1, 3])).toEqual({ begin: [0, 1], size: [4, 3] });
    expect(sliceBounds('sl', [4], [4])).toEqual({ begin: [4], size: [0] });
    expect(() => sliceBounds('sl', [4], [5])).toThrow(/begin 5 is out of range for axis 0 of length 4/);
    expect(() => sliceBounds('sl', [4], [-5])).toThrow(IndexError);
    expect(() => sliceBounds('sl', [4], [1], [4])).toThrow(/size 4 from 1 exceeds axis 0 of length 4/);
    expect(() => sliceBounds('sl', [4], [0.5])).toThrow(/not an integer/);
    expect(() => sliceBounds('sl', [4], [0, 0])).toThrow(/more entries than the rank 1/);
  });

  it('broadcast shapes', () => {
    expect(broadcastShapes('b', [2, 1, 3], [4, 1])).toEqual([2, 4, 3]);
    expect(broadcastShapes('b', [], [5])).toEqual([5]);
    expect(broadcastShapes('b', [0, 1], [1, 3])).toEqual([0, 3]);
    expect(() => broadcastShapes('b', [2, 3], [3, 3])).toThrow(/axis -2: 2 vs 3/);
  });

  it('conv and pool output sizes follow ⌊(H + 2p − d(k−1) − 1)/s⌋ + 1', () => {
    // hand-computed: (32 + 2 − 2 − 1)/1 + 1 = 32; (28 − 4 − 1)/2 + 1 = 12 (floor 11.5); dilation 2: (10 + 2 − 4 − 1)/1 + 1 = 8
    expect(convOutputSize('c', 32, 3, { padding: 1 })).toBe(32);
    expect(convOutputSize('c', 28, 5, { stride: 2 })).toBe(12);
    expect(convOutputSize('c', 10, 3, { padding: 1, dilation: 2 })).toBe(8);
    expect(convOutputSize('c', 3, 3)).toBe(1);
    // against the formula over a grid of arguments
    for (const h of [1, 5, 8, 13])
      for (const k of [1, 2, 3])
        for (const s of [1, 2, 3])
          for (const p of [0, 1])
            for (const d of [1, 2]) {
              if (h + 2 * p < d * (k - 1) + 1) continue;
              expect(convOutputSize('c', h, k, { stride: s, padding: p, dilation: d })).toBe(
                Math.floor((h + 2 * p - d * (k - 1) - 1) / s) + 1,
              );
            }
    expect(() => convOutputSize('conv2d', 2, 3)).toThrow(/conv2d: a kernel spanning 3 does not fit an input of 2 padded by 0/);
    expect(() => convOutputSize('c', 5, 3, { stride: 0 })).toThrow(/stride must be an integer ≥ 1, got 0/);
    expect(() => convOutputSize('c', 5, 0)).toThrow(/kernel size must be an integer ≥ 1/);
    expect(poolOutputSize('p', 28, 2)).toBe(14);
    expect(poolOutputSize('p', 7, 3, { stride: 2, padding: 1 })).toBe(4);
    expect(() => poolOutputSize('maxPool2d', 7, 2, { padding: 2 })).toThrow(/padding 2 must be at most half the kernel size 2/);
  });

  it('allocates nothing', () => {
    const before = memory();
    reshapeShape('r', [2, 3], [-1]);
    sliceBounds('sl', [2, 3], [1]);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
  });
});
