// Gradients through linalg.solve and linalg.cholesky: PyTorch 1.13's (fixtures/linalg.py), the
// folded form of the Cholesky gradient, identities, and second derivatives.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GdError, LinalgError, memory, scope, type Tensor, tensor } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { gradgradcheck, hessian, linalg, type Variable, variable } from '../src/index.js';

const fails = failsWith(memory, GdError);

interface Entry {
  shape: number[];
  data: number[];
}
const fx = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'linalg.json'), 'utf8')) as Record<string, Record<string, Entry>>;
const t64 = (e: Entry) => tensor(new Float64Array(e.data), { dtype: 'float64', shape: e.shape });
const v64 = (e: Entry) => variable(t64(e));

/** max |a − e| / max(1, max |e|); NaN when anything is NaN. */
function relErr(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let scale = 1;
  let err = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]!));
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - expected[i]!);
    err = Number.isNaN(d) ? Number.NaN : Math.max(err, d);
  }
  return err / scale;
}
function within(err: number, tol: number, what: string): void {
  expect(err <= tol, `${what}: error ${err}`).toBe(true);
}

/** M·Mᵀ + 3I, differentiably. */
const spdOf = (m: Variable) => {
  const n = m.shape[m.rank - 1]!;
  const eye = new Float64Array(n * n);
  for (let i = 0; i < n; i++) eye[i * n + i] = 3;
  return m.matmul(m, { transposeB: true }).add(tensor(eye, { dtype: 'float64', shape: [n, n] }));
};

describe('gradients through linalg.solve match PyTorch', () => {
  for (const key of ['solve', 'solveVector']) {
    it(key === 'solve' ? 'a batch of systems sharing one broadcast B' : 'a vector b', () => {
      const before = memory();
      scope(() => {
        const c = fx[key]!;
        const a = v64(c.a!);
        const b = v64(c.b!);
        linalg.solve(a, b).mul(t64(c.w!)).sum().backward();
        expect([a.grad!.shape, b.grad!.shape]).toEqual([c.a!.shape, c.b!.shape]);
        within(relErr(a.grad!.data(), c.gradA!.data), 1e-12, 'gA');
        within(relErr(b.grad!.data(), c.gradB!.data), 1e-12, 'gB');
        a.zeroGrad();
        b.zeroGrad();
      });
      expect([memory().tensors, memory().bytesInUse]).toEqual([before.tensors, before.bytesInUse]);
    });
  }

  it('by hand: x = A⁻¹b with A = diag(2, 4) gives ∂Σx/∂b = A⁻ᵀ·1 = (1/2, 1/4) and ∂Σx/∂A = −(A⁻ᵀ1)·xᵀ', () => {
    scope(() => {
      const a = variable(
        tensor(
          [
            [2, 0],
            [0, 4],
          ],
          { dtype: 'float64' },
        ),
      );
      const b = variable(tensor([2, 2], { dtype: 'float64' }));
      linalg.solve(a, b).sum().backward(); // x = (1, 1/2)
      expect(Array.from(b.grad!.data())).toEqual([0.5, 0.25]);
      expect(Array.from(a.grad!.data())).toEqual([-0.5, -0.25, -0.25, -0.125]);
      a.zeroGrad();
      b.zeroGrad();
    });
  });
});

describe('gradients through linalg.cholesky', () => {
  it('through A = M·Mᵀ + 3I match PyTorch', () => {
    scope(() => {
      const c = fx.cholesky!;
      const m = v64(c.m!);
      linalg.cholesky(spdOf(m)).mul(t64(c.w!)).sum().backward();
      within(relErr(m.grad!.data(), c.gradM!.data), 1e-12, 'gM');
      m.zeroGrad();
    });
  });

  it('on A itself: lower-triangular, PyTorch’s symmetric gradient folded onto the triangle the factorisation reads', () => {
    scope(() => {
      // f(A) = Σ L for A = [[4, 2], [2, 5]]: L = [[2, 0], [1, 2]], by hand (a = A₀₀, b = A₁₀, c = A₁₁):
      // L₀₀ = √a, L₁₀ = b/√a, L₁₁ = √(c − b²/a); ∂f/∂a = 1/(2√a) − b/(2a^{3/2}) + b²/(2a²L₁₁),
      // ∂f/∂b = 1/√a − b/(a·L₁₁), ∂f/∂c = 1/(2L₁₁)
      const a = variable(
        tensor(
          [
            [4, 2],
            [2, 5],
          ],
          { dtype: 'float64' },
        ),
      );
      linalg.cholesky(a).sum().backward();
      const [A, B, C] = [4, 2, 5];
      const l11 = Math.sqrt(C - (B * B) / A);
      const want = [
        1 / (2 * Math.sqrt(A)) - B / (2 * A ** 1.5) + (B * B) / (2 * A * A * l11),
        0,
        1 / Math.sqrt(A) - B / (A * l11),
        1 / (2 * l11),
      ];
      within(relErr(a.grad!.data(), want), 1e-15, 'gA');
      // above the diagonal the gradient is +0, as PyTorch's zeros are
      expect(Object.is(a.grad!.data()[1], 0)).toBe(true);
      a.zeroGrad();
    });
  });

  it('a factorisation that fails in backward’s forward is the LinalgError of the forward', () => {
    const a = variable(
      tensor(
        [
          [1, 2],
          [2, 1],
        ],
        { dtype: 'float64' },
      ),
    );
    fails(() => linalg.cholesky(a), LinalgError, /leading minor of order 2 is not positive-definite/);
    a.value.dispose();
  });
});

describe('second derivatives through both rules', () => {
  it('the Hessian of Σ W ⊙ cholesky(A) + Σ solve(A, v)², A = M·Mᵀ + 3I, matches PyTorch', () => {
    scope(() => {
      const c = fx.hessian!;
      const w = t64(c.w!);
      const v = t64(c.v!);
      const f = (m: Variable) => {
        const a = spdOf(m);
        return linalg.cholesky(a).mul(w).sum().add(linalg.solve(a, v).square().sum());
      };
      const h = hessian(f)(t64(c.m!)) as Tensor;
      expect(h.shape).toEqual([2, 2, 2, 2]);
      within(relErr(h.data(), c.h!.data), 1e-11, 'H');
    });
  });

  it('gradgradcheck passes for a vector b and for a solve with Lᵀ after cholesky', () => {
    scope(() => {
      const a = tensor(
        [
          [3, 1, 0],
          [1, 4, 1],
          [0, 1, 5],
        ],
        { dtype: 'float64' },
      );
      const b = tensor([1, -2, 0.5], { dtype: 'float64' });
      const r = gradgradcheck((x: Variable, y: Variable) => linalg.solve(linalg.cholesky(x), y), [a, b], {
        eps: 1e-6,
        atol: 1e-5,
        rtol: 1e-3,
      });
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
  });
});
