// Variable's narrow and sliceRange: the same values as the Tensor ops, and the gradient of a
// slice (the upstream gradient in the window, zero elsewhere).
import { arange, IndexError, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { gradcheck, variable } from '../src/index.js';

describe('Variable narrow and sliceRange', () => {
  it('give the Tensor ops’ values and the gradient of a window', () => {
    const x = variable(
      tensor([
        [1, 2, 3, 4],
        [5, 6, 7, 8],
      ]),
    );
    const w = tensor([
      [10, 20],
      [30, 40],
    ]);
    const a = x.sliceRange(1, 1, 3); // columns 1 and 2
    expect(a.value.toArray()).toEqual([
      [2, 3],
      [6, 7],
    ]);
    a.mul(w).sum().backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 10, 20, 0],
      [0, 30, 40, 0],
    ]);
    x.zeroGrad();
    const b = x.narrow(0, 1, 1).narrow(1, -2, 2); // row 1, the last two columns
    expect(b.value.toArray()).toEqual([[7, 8]]);
    b.mul(tensor([[3, 5]]))
      .sum()
      .backward();
    expect(x.grad!.toArray()).toEqual([
      [0, 0, 0, 0],
      [0, 0, 3, 5],
    ]);
    expect(() => x.narrow(1, 3, 2)).toThrow(IndexError);
    expect(() => x.narrow(1, 3, 2)).toThrow('narrow: start 3 + length 2 exceeds dim 1 of length 4');
  });

  it('pass gradcheck in float64', () => {
    const r = gradcheck(
      (v) =>
        v
          .sliceRange(0, -3, -1)
          .square()
          .sum()
          .add(v.narrow(0, 0, 2).exp().sum()),
      [arange(5, { dtype: 'float64' }).mul(0.3)],
    );
    expect(r.ok).toBe(true);
  });
});
