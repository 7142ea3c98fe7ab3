import { type Variable, variable } from '@gd/autograd';
import { GdError, memory, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { minimize, Newton } from '../src/index.js';

const fails = failsWith(memory, GdError);
const f64 = (v: number[]) => variable(tensor(v, { dtype: 'float64' }));

// f(θ) = ½ θᵀQθ − bᵀθ over θ = (a₀, a₁, c): Q symmetric positive-definite, minimum at Q⁻¹b
const Q = [
  [4, 1, 0.5],
  [1, 3, -1],
  [0.5, -1, 2],
];
const B = [1, -2, 0.5];
/** Q⁻¹b by Cramer's rule, worked in plain JS. */
function argmin(): number[] {
  const det = (m: number[][]) =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(Q);
  return [0, 1, 2].map((j) => det(Q.map((row, i) => row.map((q, k) => (k === j ? B[i]! : q)))) / d);
}
/** The quadratic over two parameters, a of shape [2] and c of shape [1, 1]. */
function quadratic(a: Variable, c: Variable): Variable {
  const t = [a.slice([0], [1]), a.slice([1], [1]), c.reshape([1])];
  let f: Variable = t[0]!.mul(0);
  for (let i = 0; i < 3; i++) {
    for (let k = 0; k < 3; k++) f = f.add(t[i]!.mul(t[k]!).mul(Q[i]![k]! / 2));
    f = f.sub(t[i]!.mul(B[i]!));
  }
  return f.sum();
}

describe('Newton', () => {
  it('reaches the minimum of a quadratic in one step, over parameters of different shapes', () => {
    const before = memory();
    const a = f64([5, -3]);
    const c = variable(tensor([[2]], { dtype: 'float64' }));
    const opt = new Newton([a, c]);
    const loss = scope(() => (opt.step(() => quadratic(a, c)) as Variable).item());
    const theta = [...Array.from(a.value.data()), ...Array.from(c.value.data())];
    const want = argmin();
    const err = Math.max(...theta.map((v, i) => Math.abs(v - want[i]!)));
    expect(err <= 1e-12, `|θ − Q⁻¹b| = ${err}`).toBe(true);
    // the loss returned is the one before the step: f(5, −3, 2) worked out
    const t0 = [5, -3, 2];
    const f0 = t0.reduce((s, ti, i) => s + t0.reduce((r, tk, k) => r + (ti * tk * Q[i]![k]!) / 2, 0) - B[i]! * ti, 0);
    expect(Math.abs(loss - f0) <= 1e-12).toBe(true);
    a.value.dispose();
    c.value.dispose();
    expect([memory().tensors, memory().bytesInUse]).toEqual([before.tensors, before.bytesInUse]);
  });

  it('takes lr·(H + damping·I)⁻¹∇: on f = 3x², x ← x − lr·6x/(6 + λ)', () => {
    const x = f64([2]);
    const opt = new Newton([x], { lr: 0.5, damping: 2 });
    scope(() => opt.step(() => x.square().mul(3).sum()));
    expect(Math.abs(x.item() - (2 - (0.5 * 12) / 8)) <= 1e-15).toBe(true);
  });

  it('on Rosenbrock at (−1.2, 1) takes the Newton step worked by hand', () => {
    const p = f64([-1.2, 1]);
    const opt = new Newton([p]);
    scope(() =>
      opt.step(() => {
        const [x, y] = [p.slice([0], [1]), p.slice([1], [1])];
        return y.sub(x.square()).square().mul(100).add(x.neg().add(1).square()).sum();
      }),
    );
    const [x, y] = [-1.2, 1];
    const g = [-2 * (1 - x) - 400 * x * (y - x * x), 200 * (y - x * x)];
    const h = [
      [2 - 400 * (y - x * x) + 800 * x * x, -400 * x],
      [-400 * x, 200],
    ];
    const det = h[0]![0]! * h[1]![1]! - h[0]![1]! * h[1]![0]!;
    const step = [(h[1]![1]! * g[0]! - h[0]![1]! * g[1]!) / det, (-h[1]![0]! * g[0]! + h[0]![0]! * g[1]!) / det];
    const got = Array.from(p.value.data());
    const err = Math.max(Math.abs(got[0]! - (x - step[0]!)), Math.abs(got[1]! - (y - step[1]!)));
    expect(err <= 1e-12, `error ${err}`).toBe(true);
  });

  it('an indefinite Hessian is refused, naming damping, and nothing moves; enough damping makes the step', () => {
    // f = x² − y²: H = diag(2, −2)
    const p = f64([1, 1]);
    const saddle = () => p.square().mul([1, -1]).sum();
    const opt = new Newton([p]);
    fails(
      () => opt.step(saddle),
      ValueError,
      /Newton\.step: the Hessian plus damping·I \(damping = 0\) is not positive-definite \(its leading minor of order 2 is not\).*increase damping/,
      { leakCheck: false },
    );
    expect(Array.from(p.value.data())).toEqual([1, 1]);
    // H + 3I = diag(5, 1): x ← 1 − 2/5, y ← 1 + 2/1
    scope(() => new Newton([p], { damping: 3 }).step(saddle));
    const [x, y] = Array.from(p.value.data());
    expect(Math.abs(x! - 0.6) <= 1e-15 && Math.abs(y! - 3) <= 1e-15, `${x}, ${y}`).toBe(true);
  });

  it('works as minimize()’s optimizer: the quadratic stops on grad-tolerance after one step', () => {
    const before = memory();
    const a = f64([5, -3]);
    const c = variable(tensor([[2]], { dtype: 'float64' }));
    const r = minimize(() => quadratic(a, c), [a, c], { optimizer: new Newton([a, c]), gradTolerance: 1e-9, maxIterations: 10 });
    // iteration 1 measures ∇ at the start and steps; iteration 2 finds ∇ ≈ 0
    expect([r.reason, r.iterations]).toEqual(['grad-tolerance', 2]);
    const want = argmin();
    const theta = [...Array.from(a.value.data()), ...Array.from(c.value.data())];
    expect(Math.max(...theta.map((v, i) => Math.abs(v - want[i]!))) <= 1e-12).toBe(true);
    for (const p of [a, c]) {
      p.zeroGrad();
      p.value.dispose();
    }
    expect([memory().tensors, memory().bytesInUse]).toEqual([before.tensors, before.bytesInUse]);
  });

  it('bad options and closures are clear errors', () => {
    const x = f64([1]);
    fails(() => new Newton([x], { damping: -1 }), ValueError, /Newton: damping must be a finite number in \[0, ∞\], got -1/);
    fails(() => new Newton([x], { lr: Number.NaN }), ValueError, /Newton: lr/);
    const opt = new Newton([x]);
    fails(() => opt.step(), ValueError, /Newton\.step: expected a closure/);
    fails(() => opt.step(() => 3), ValueError, /closure must return the loss as a scalar Variable built from the parameters, got a number/);
    fails(() => opt.step(() => x.mul([1, 2])), ValueError, /got a Variable of shape \[2\]/, { leakCheck: false });
  });
});

describe('closures run with grad mode on, as PyTorch calls them', () => {
  it('Newton and LBFGS step inside noGrad()', async () => {
    const { noGrad } = await import('@gd/autograd');
    const { LBFGS } = await import('../src/index.js');
    const x = f64([3]);
    noGrad(() => scope(() => new Newton([x]).step(() => x.sub(1).square().sum())));
    expect(x.item()).toBe(1);
    const y = f64([3]);
    const opt = new LBFGS([y], { lineSearchFn: 'strongWolfe' });
    noGrad(() =>
      scope(() =>
        opt.step(() => {
          opt.zeroGrad();
          const loss = y.sub(1).square().sum();
          loss.backward();
          return loss;
        }),
      ),
    );
    expect(Math.abs(y.item() - 1) <= 1e-9, `y = ${y.item()}`).toBe(true);
    opt.dispose();
  });
});

describe('Newton with an LBFGS-style closure', () => {
  it('a closure that zeroes, calls backward() and returns the loss steps as one that only returns it', async () => {
    const { variable } = await import('@gd/autograd');
    const { tensor } = await import('@gd/tensor');
    const { Newton } = await import('../src/index.js');
    const p = variable(tensor([0, 0], { dtype: 'float64' }));
    const opt = new Newton([p]);
    opt.step(() => {
      opt.zeroGrad();
      const l = p.sub([3, 4]).square().sum();
      l.backward();
      return l;
    });
    expect(Array.from(p.data())).toEqual([3, 4]);
    p.zeroGrad();
  });
});
