// linear (x·Wᵀ + b, the bias written first and the product added by the GEMM) against a plain-JS
// float64 reference; bad shapes and dtypes are typed errors naming the op.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { DTypeError, GdError, linear, manualSeed, memory, randn, ShapeError, scope, tensor } from '../src/index.js';

const fails = failsWith(memory, GdError);

function linearRef(
  x: ArrayLike<number>,
  w: ArrayLike<number>,
  b: ArrayLike<number> | null,
  rows: number,
  inF: number,
  outF: number,
): number[] {
  const y: number[] = [];
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < outF; o++) {
      let s = b ? b[o]! : 0;
      for (let i = 0; i < inF; i++) s += x[r * inF + i]! * w[o * inF + i]!;
      y.push(s);
    }
  }
  return y;
}

describe('linear', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    it(`${dtype}: a batch of [3, 5, 300] through [70, 300] with and without a bias matches the float64 reference`, () => {
      manualSeed(6);
      scope(() => {
        const x = randn([3, 5, 300], { dtype });
        const w = randn([70, 300], { dtype });
        const b = randn([70], { dtype }).mul(10);
        const tol = dtype === 'float32' ? 1e-4 : 1e-12;
        for (const bias of [b, null]) {
          const y = linear(x, w, bias);
          expect(y.shape).toEqual([3, 5, 70]);
          expect(y.dtype).toBe(dtype);
          const ref = linearRef(x.data(), w.data(), bias ? bias.data() : null, 15, 300, 70);
          const got = y.data();
          let worst = 0;
          for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(got[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
          expect(worst).toBeLessThanOrEqual(tol);
        }
      });
    });
  }

  it('an output over 2 MiB (the bias added after the product, in place) matches the float64 reference', () => {
    manualSeed(7);
    scope(() => {
      const x = randn([1100, 64]);
      const w = randn([600, 64]);
      const b = randn([600]).mul(10);
      const y = linear(x, w, b).data();
      const ref = linearRef(x.data(), w.data(), b.data(), 1100, 64, 600);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref[i]!) / Math.max(1, Math.abs(ref[i]!)));
      expect(worst).toBeLessThanOrEqual(1e-4);
    });
  });

  it('without a bias, the output is the product alone even where its memory held other values before', () => {
    manualSeed(8);
    scope(() => {
      const x = randn([40, 16]);
      const w = randn([5, 16]);
      // a freed block of the output's size, full of non-zero values, for the allocator to hand back
      for (let i = 0; i < 4; i++) randn([40, 5]).add(100).dispose();
      const y = linear(x, w).data();
      const ref = linearRef(x.data(), w.data(), null, 40, 16, 5);
      let worst = 0;
      for (let i = 0; i < ref.length; i++) worst = Math.max(worst, Math.abs(y[i]! - ref[i]!));
      expect(worst).toBeLessThanOrEqual(1e-5);
    });
  });

  it('a vector input, and a hand-computed product', () => {
    scope(() => {
      expect(
        linear(
          tensor([1, 2]),
          tensor([
            [1, 0],
            [1, 1],
            [2, -1],
          ]),
          tensor([0.5, 0, 1]),
        ).toArray(),
      ).toEqual([1.5, 3, 1]);
      expect(linear(tensor([[1, 2]]), tensor([[3, 4]])).toArray()).toEqual([[11]]);
    });
  });

  it('bad shapes and dtypes are typed errors naming the op', () => {
    scope(() => {
      const x = randn([2, 4]);
      const w = randn([3, 4]);
      const b2 = randn([2]);
      const w5 = randn([3, 5]);
      const w8 = randn([8]);
      const ints = tensor([1, 2, 3, 4], { dtype: 'int32', shape: [1, 4] });
      fails(() => linear(x, w5), ShapeError, /linear: input \[2,4\] must end in the weight's 5 input features \(weight \[3,5\]\)/);
      fails(() => linear(x, w, b2), ShapeError, /linear: bias must be \[3\], got \[2\]/);
      fails(() => linear(x, w8), ShapeError, /linear: weight must be \[out, in\], got \[8\]/);
      fails(() => linear(ints, w), DTypeError, /linear: needs float32 or float64 operands, got an int32 input \[/);
      const intW = tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], { dtype: 'int32', shape: [3, 4] });
      const intB = tensor([1, 2, 3], { dtype: 'int32' });
      fails(() => linear(x, intW), DTypeError, /linear: needs float32 or float64 operands, got an int32 weight \[3,4\]/);
      fails(() => linear(x, w, intB), DTypeError, /linear: needs float32 or float64 operands, got an int32 bias \[3\]/);
    });
  });

  it('with no input features the output is the bias in every row (PyTorch: F.linear of [2, 0] by [3, 0] with a bias)', () => {
    scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const y = linear(tensor([[], []], { dtype }), tensor([[], [], []], { dtype }), tensor([1, -2, 3.5], { dtype }));
        expect(y.shape).toEqual([2, 3]);
        expect(Array.from(y.data())).toEqual([1, -2, 3.5, 1, -2, 3.5]);
        expect(Array.from(linear(tensor([[], []], { dtype }), tensor([[], [], []], { dtype })).data())).toEqual([0, 0, 0, 0, 0, 0]);
      }
    });
  });
});
