// The fused layer norm and its backward kernels, against a plain-JS float64 reference of PyTorch's
// formulas: float64 to 1e-12, float32 (the four-lane path and the scalar tail when the normalised
// size is not a multiple of 4, and rows longer than one summation block) to 1e-5. Bad shapes,
// dtypes and eps are typed errors.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { layerNormBackward } from '../src/grad.js';
import {
  DTypeError,
  GdError,
  layerNorm,
  manualSeed,
  memory,
  randn,
  ShapeError,
  scope,
  type Tensor,
  tensor,
  ValueError,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

/** y, and the gradients of x, w and b for upstream g, row by row in float64. */
function layerNormRef(x: number[], w: number[] | null, b: number[] | null, g: number[], n: number, eps: number) {
  const rows = x.length / n;
  const y = new Array<number>(x.length);
  const dx = new Array<number>(x.length);
  const dw = new Array<number>(n).fill(0);
  const db = new Array<number>(n).fill(0);
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * n, (r + 1) * n);
    const mu = row.reduce((s, v) => s + v, 0) / n;
    const variance = row.reduce((s, v) => s + (v - mu) ** 2, 0) / n;
    const d = Math.sqrt(variance + eps);
    const xh = row.map((v) => (v - mu) / d);
    const gh = xh.map((_, i) => g[r * n + i]! * (w ? w[i]! : 1));
    const mg = gh.reduce((s, v) => s + v, 0) / n;
    const mgx = gh.reduce((s, v, i) => s + v * xh[i]!, 0) / n;
    for (let i = 0; i < n; i++) {
      y[r * n + i] = xh[i]! * (w ? w[i]! : 1) + (b ? b[i]! : 0);
      dx[r * n + i] = (gh[i]! - mg - xh[i]! * mgx) / d;
      dw[i]! += g[r * n + i]! * xh[i]!;
      db[i]! += g[r * n + i]!;
    }
  }
  return { y, dx, dw, db };
}

function close(actual: ArrayLike<number>, expected: readonly number[], tol: number): void {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / Math.max(1, Math.abs(expected[i]!)));
  expect(worst).toBeLessThanOrEqual(tol);
}

const arr = (t: Tensor) => Array.from(t.data());

describe('layerNorm', () => {
  for (const dtype of ['float32', 'float64'] as const) {
    const tol = dtype === 'float64' ? 1e-12 : 1e-5;
    // n = 7: scalar tails; 128: the GPT width; 1500: rows over one 512-element summation block
    for (const [rows, n] of [
      [5, 7],
      [6, 128],
      [3, 1500],
    ] as const) {
      it(`${dtype} [${rows}, ${n}]: y and the gradients of x, weight and bias match the float64 reference to ${tol}`, () => {
        manualSeed(3);
        scope(() => {
          // a large offset: the two-pass variance must not cancel
          const x = randn([rows, n], { dtype }).mul(3).add(50);
          const w = randn([n], { dtype });
          const b = randn([n], { dtype });
          const g = randn([rows, n], { dtype });
          const ref = layerNormRef(arr(x), arr(w), arr(b), arr(g), n, 1e-5);
          const y = layerNorm(x, n, { weight: w, bias: b });
          expect(y.dtype).toBe(dtype);
          close(y.data(), ref.y, tol);
          const [dx, dw, db] = layerNormBackward(g, x, w, [n], 1e-5, { weight: true, bias: true });
          close(dx.data(), ref.dx, tol * 10);
          // dw and db sum over the rows
          close(dw!.data(), ref.dw, tol * 10);
          close(db!.data(), ref.db, tol * 10);
        });
      });
    }
  }

  it('without weight and bias, over two trailing axes, and with only a bias', () => {
    manualSeed(4);
    scope(() => {
      const x = randn([2, 3, 2, 5]);
      const g = randn([2, 3, 2, 5]);
      const ref = layerNormRef(arr(x), null, null, arr(g), 10, 1e-3);
      close(layerNorm(x, [2, 5], { eps: 1e-3 }).data(), ref.y, 1e-5);
      const [dx, dw, db] = layerNormBackward(g, x, null, [2, 5], 1e-3, { weight: false, bias: false });
      close(dx.data(), ref.dx, 1e-5);
      expect(dw).toBeNull();
      expect(db).toBeNull();
      const b = randn([2, 5]);
      close(layerNorm(x, [2, 5], { bias: b, eps: 1e-3 }).data(), layerNormRef(arr(x), null, arr(b), arr(g), 10, 1e-3).y, 1e-5);
    });
  });

  it('a constant row normalises to 0 (σ² = 0, eps keeps it finite) and its gradient is finite', () => {
    scope(() => {
      const x = tensor([[2, 2, 2, 2, 2]]);
      expect(Array.from(layerNorm(x, 5).data())).toEqual([0, 0, 0, 0, 0]);
      const [dx] = layerNormBackward(tensor([[1, -1, 2, 0, 3]]), x, null, [5], 1e-5, { weight: false, bias: false });
      for (const v of dx.data()) expect(Number.isFinite(v)).toBe(true);
    });
  });

  it('bad shapes, dtypes and eps are typed errors naming the op', () => {
    scope(() => {
      const x = randn([2, 4]);
      const w3 = randn([3]);
      const ints = tensor([1, 2], { dtype: 'int32' });
      fails(() => layerNorm(x, 3), ShapeError, /layerNorm: input \[2,4\] does not end in the normalized shape \[3\]/);
      fails(() => layerNorm(x, 4, { weight: w3 }), ShapeError, /layerNorm: weight must be \[4\], got \[3\]/);
      fails(() => layerNorm(ints, 2), DTypeError, /layerNorm: needs a float32 or float64 input/);
      fails(() => layerNorm(x, 4, { eps: -1 }), ValueError, /layerNorm: eps must be a finite number ≥ 0/);
      fails(() => layerNorm(x, []), ValueError, /layerNorm: normalizedShape must be/);
    });
  });
});
