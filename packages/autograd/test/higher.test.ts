import { manualSeed, memory, randn, scope, type Tensor, tensor } from '@gd/tensor';
import { afterAll, describe, expect, it } from 'vitest';
import {
  apply,
  asVariable,
  concat,
  grad,
  gradgradcheck,
  gradients,
  hessian,
  hvp,
  jacobian,
  jvp,
  noGrad,
  type OpName,
  opTable,
  type Variable,
  variable,
  vjp,
} from '../src/index.js';
import { cases } from './cases.js';

const f64 = (x: number[] | number) => tensor(x, { dtype: 'float64' });
const arr = (t: Tensor | Variable) => Array.from(t.data() as Float64Array);
const close = (got: number[], want: number[], tol = 1e-12) => {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < got.length; i++) expect(Math.abs(got[i]! - want[i]!), `[${i}] ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol);
};

describe('derivatives of any order', () => {
  it('grad composes: d²/dx² x³ at 3 is 18, not the first derivative 27; the third is 6', () => {
    scope(() => {
      const cube = (x: Variable) => x.pow(3).sum();
      close(arr(grad(cube)(f64([3])) as Tensor), [27]);
      close(arr(grad(grad(cube) as never)(f64([3])) as Tensor), [18]);
      close(arr(grad(grad(grad(cube) as never) as never)(f64([3])) as Tensor), [6]);
      // x⁴ at 2: 32, 48, 48, 24
      const quart = (x: Variable) => x.pow(4).sum();
      close(arr(grad(grad(grad(grad(quart) as never) as never) as never)(f64([2])) as Tensor), [24]);
    });
  });

  it('gradients(…, { createGraph }) returns differentiable gradients; without it, constants', () => {
    scope(() => {
      const x = variable(f64([0.5, -1]));
      const y = x.tanh().mul(x).sum(); // y = Σ x tanh x
      const [dx] = gradients(y, [x], { createGraph: true });
      const t = [Math.tanh(0.5), Math.tanh(-1)];
      // dy/dx = tanh x + x(1 − tanh²x)
      close(arr(dx!), [t[0]! + 0.5 * (1 - t[0]! ** 2), t[1]! - 1 * (1 - t[1]! ** 2)]);
      expect(dx!.requiresGrad).toBe(true);
      // d²y/dx² = 2(1 − tanh²x) − 2x tanh x (1 − tanh²x)
      const [ddx] = gradients(dx!.sum(), [x]);
      const want = [0.5, -1].map((v, i) => 2 * (1 - t[i]! ** 2) - 2 * v * t[i]! * (1 - t[i]! ** 2));
      close(arr(ddx!), want);
      expect(ddx!.requiresGrad).toBe(false);
      expect(x.grad).toBe(null);
    });
  });

  it('backward({ createGraph }) leaves a gradient that asVariable() differentiates (a gradient penalty)', () => {
    scope(() => {
      const w = variable(f64([1, 2]));
      const x = f64([3, 4]);
      // L = (w·x)², ∇L = 2(w·x)x; penalty P = |∇L|² = 4(w·x)²|x|², ∂P/∂w = 8(w·x)|x|² x
      // PyTorch's keywords: the options may come first
      w.mul(x).sum().square().backward({ createGraph: true });
      close(arr(w.grad!), [66, 88]);
      const penalty = asVariable(w.grad!).square().sum();
      w.zeroGrad();
      penalty.backward();
      close(arr(w.grad!), [8 * 11 * 25 * 3, 8 * 11 * 25 * 4]);
      w.zeroGrad();
    });
  });

  it('hessian and jacobian match hand-derived matrices', () => {
    scope(() => {
      // f = x₀²x₁ + sin-free cubic: H = [[2x₁, 2x₀], [2x₀, 0]]
      const f = (x: Variable) => x.slice(0, 1).square().mul(x.slice(1, 1)).sum();
      const H = hessian(f)(f64([1, 3]));
      expect(H.shape).toEqual([2, 2]);
      close(arr(H), [6, 2, 2, 0]);
      // a [2, 2] input: the Hessian is [2, 2, 2, 2]; Σ x³ has H = diag(6x)
      const H4 = hessian((x) => x.pow(3).sum())(f64([1, 2, 3, 4]).reshape([2, 2]));
      expect(H4.shape).toEqual([2, 2, 2, 2]);
      const want = new Array(16).fill(0);
      [1, 2, 3, 4].forEach((v, i) => {
        want[i * 4 + i] = 6 * v;
      });
      close(arr(H4), want);
      // J of x ↦ [x₀x₁, exp(x₀)]: [[x₁, x₀], [e^x₀, 0]]
      const J = jacobian((x) => {
        const a = x.slice(0, 1);
        const b = x.slice(1, 1);
        return concat([a.mul(b), a.exp()], 0);
      })(f64([0.5, 2]));
      expect(J.shape).toEqual([2, 2]);
      close(arr(J), [2, 0.5, Math.exp(0.5), 0]);
    });
  });

  it('hvp, vjp and jvp follow torch.autograd.functional', () => {
    scope(() => {
      const [value, hv] = hvp((x) => x.pow(3).sum(), f64([1, 2]), f64([1, 1]));
      close(arr(value), [9]);
      close(arr(hv as Tensor), [6, 12]);
      // two inputs: f = Σ a²b, H·(va, vb) = (2b·va + 2a·vb, 2a·va)
      const [, hv2] = hvp((a, b) => a.square().mul(b).sum(), [f64([1, 2]), f64([3, 4])], [f64([1, 0]), f64([0, 1])]);
      const [ha, hb] = hv2 as Tensor[];
      close(arr(ha!), [6, 4]);
      close(arr(hb!), [2, 0]);
      const [y, g] = vjp((x) => x.square(), f64([1, 2]), f64([1, 10]));
      close(arr(y), [1, 4]);
      close(arr(g as Tensor), [2, 40]);
      const [y2, t] = jvp((x) => x.square().mul(f64([1, 3])), f64([1, 2]), f64([1, 10]));
      close(arr(y2), [1, 12]);
      close(arr(t), [2, 120]);
    });
  });

  it('softmaxCrossEntropy: the composed gradient (createGraph) equals the fused kernel, and its Hessian is diag(p) − p·pᵀ per row', () => {
    scope(() => {
      manualSeed(12);
      const targets = tensor([2, 0, 4], { dtype: 'int32' });
      const x = variable(randn([3, 5], { dtype: 'float64' }));
      const ce = (v: Variable) => apply('softmaxCrossEntropy', opTable.softmaxCrossEntropy, [v], { targets });
      // upstream: loss weights [0.5, −1, 2], lse weights [0, 0.25, 1]
      const seed = f64([0.5, -1, 2, 0, 0.25, 1]).reshape([2, 3]);
      const [fused] = gradients(ce(x), [x], { gradOutputs: seed });
      const [composed] = gradients(ce(x), [x], { gradOutputs: seed, createGraph: true });
      close(arr(composed!), arr(fused!));
      // Σ loss: the Hessian of each row's lse − x_y is diag(p) − p·pᵀ, p = softmax of the row
      const h = arr(hessian((v) => ce(v).slice([0, 0], [1, 3]).sum())(x.value));
      const p = arr(x.value.softmax(-1));
      for (let i = 0; i < 15; i++)
        for (let j = 0; j < 15; j++) {
          const [ri, ci, rj, cj] = [Math.floor(i / 5), i % 5, Math.floor(j / 5), j % 5];
          const want = ri !== rj ? 0 : (ci === cj ? p[i]! : 0) - p[i]! * p[rj * 5 + cj]!;
          expect(Math.abs(h[i * 15 + j]! - want), `H[${i}, ${j}]`).toBeLessThanOrEqual(1e-12);
        }
    });
  });

  it('grad of a function nobody differentiates is zero at second order (linear f)', () => {
    scope(() => {
      close(arr(grad(grad((x) => x.mul(3).sum()) as never)(f64([2])) as Tensor), [0]);
      close(arr(hessian((x) => x.mul(3).sum())(f64([2, 5]))), [0, 0, 0, 0]);
    });
  });

  it('a second-order pass under scope() leaks nothing', () => {
    manualSeed(1);
    const before = memory().tensors;
    for (let i = 0; i < 3; i++) {
      scope(() => {
        hessian((x) => x.tanh().square().sum())(randn([4], { dtype: 'float64' }));
        const x = variable(randn([3], { dtype: 'float64' }));
        x.exp().sum().backward(undefined, { createGraph: true });
        asVariable(x.grad!).sum().backward();
        x.zeroGrad();
      });
    }
    expect(memory().tensors).toBe(before);
  });
});

describe('gradgradcheck over the op table in float64', () => {
  const table: Array<[string, number, number]> = [];
  for (const name of Object.keys(opTable) as OpName[]) {
    it(`${name}: second derivatives agree with central differences of the first`, () => {
      manualSeed(11);
      scope(() => {
        const c = cases[name];
        const inputs = c.inputs().map((t) => t.cast('float64'));
        const r = gradgradcheck(c.f, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.dtype).toBe('float64');
        expect(r.checked).toBe(inputs.reduce((n, t) => n + t.size, 0));
        expect(r.ok, JSON.stringify(r)).toBe(true);
        // what is left is h's rounding over the 2ε step: ~1e-16 · Σ|terms| / 2e-6
        expect(r.maxAbsError, JSON.stringify(r)).toBeLessThan(1e-7);
        table.push([name, r.checked, r.maxAbsError]);
      });
    });
  }
  afterAll(() => {
    if (!process.env.GRADCHECK_REPORT) return;
    const rows = table.map(([name, n, e]) => `| ${name} | ${n} | ${e.toExponential(2)} |`);
    console.log(['| op (float64) | elements checked | gradgradcheck max abs error |', '| --- | ---: | ---: |', ...rows].join('\n'));
  });
});

describe('a constant and a differentiable operand, in either order', () => {
  it('W.matmul(x) with W a Tensor and x a Variable records, as x.matmul-style ops do', () => {
    scope(() => {
      const W = tensor([
        [1, 2],
        [3, 4],
      ]);
      const x = variable([1, -1]);
      const y = W.matmul(x); // [−1, −1]
      expect(y.requiresGrad).toBe(true);
      expect(Array.from(y.data())).toEqual([-1, -1]);
      y.sum().backward();
      // ∂Σ(Wx)/∂x = Wᵀ·1 = [4, 6]
      expect(Array.from(x.grad!.data())).toEqual([4, 6]);
      x.zeroGrad();
      // the same for the elementwise operators and where, with the constant first
      const z = tensor([2, 3])
        .mul(x)
        .add(tensor([1, 1]).sub(x))
        .sum();
      z.backward();
      expect(Array.from(x.grad!.data())).toEqual([1, 2]);
      x.zeroGrad();
      const w = tensor([5, 6]).where(tensor([1, 0], { dtype: 'int32' }), x);
      expect(Array.from(w.data())).toEqual([5, -1]);
      w.sum().backward();
      expect(Array.from(x.grad!.data())).toEqual([0, 1]);
      x.zeroGrad();
    });
  });
});

describe('gradients(): contract and errors', () => {
  it('the functional forms take derivatives with respect to floating-point inputs only, naming the input', () => {
    const ints = tensor([1, 2], { dtype: 'int32' });
    const [a, b, c] = [f64([1, 2]), f64([1, 1]), f64([1, 1])];
    const sq = (x: Variable) => x.mul(x).sum();
    const before = memory().bytesInUse;
    expect(() => grad(sq)(ints)).toThrow(/grad: input 0 is int32; derivatives are taken with respect to float32 or float64 inputs/);
    expect(() => grad(sq)(a, ints)).toThrow(/grad: input 1 is int32/);
    expect(() => hessian(sq)(ints)).toThrow(/hessian: input 0 is int32/);
    expect(() => jacobian((x) => x.mul(x))(ints)).toThrow(/jacobian: input 0 is int32/);
    expect(() => hvp(sq, [a, ints], [b, c])).toThrow(/hvp: input 1 is int32/);
    expect(() => vjp((x) => x.mul(x), [ints])).toThrow(/vjp: input 0 is int32/);
    expect(() => jvp((x) => x.mul(x), [ints], [ints])).toThrow(/jvp: input 0 is int32/);
    // a refused call leaves nothing behind, and the same call on floats works
    expect(memory().bytesInUse).toBe(before);
    scope(() => close(arr(grad(sq)(a) as Tensor), [2, 4]));
    for (const t of [ints, a, b, c]) t.dispose();
  });

  it('several outputs with gradOutputs sum their vector–Jacobian products; .grad is untouched', () => {
    scope(() => {
      const x = variable(f64([1, 2]));
      const y1 = x.square(); // ∂/∂x with g1 = [1, 1]: 2x
      const y2 = x.mul(3).sum(); // ∂/∂x with g2 = 2: 6
      const [g] = gradients([y1, y2], [x], { gradOutputs: [f64([1, 1]), f64([2])] });
      close(arr(g!), [2 + 6, 4 + 6]);
      expect(x.grad).toBe(null);
    });
  });

  it('an unused input is an error unless allowUnused, which gives null', () => {
    scope(() => {
      const x = variable(f64([1]));
      const z = variable(f64([2]));
      const y = x.square().sum();
      expect(() => gradients(y, [x, z], { retainGraph: true })).toThrow(/input 1 is not used by the outputs; pass \{ allowUnused: true \}/);
      const [gx, gz] = gradients(y, [x, z], { allowUnused: true });
      close(arr(gx!), [2]);
      expect(gz).toBe(null);
    });
  });

  it('an input that requires no grad, a non-scalar output without gradOutputs, and non-Variables are refused', () => {
    scope(() => {
      const x = variable(f64([1, 2]));
      const c = variable(f64([1]), { requiresGrad: false });
      expect(() => gradients(x.square().sum(), [c])).toThrow(/input 0 does not require grad/);
      expect(() => gradients(x.square(), [x])).toThrow(/not a scalar; pass the upstream gradient/);
      expect(() => gradients(x.square().sum(), [f64([1]) as never])).toThrow(/inputs must be a Variable or an array of Variables/);
      expect(() => gradients(3 as never, [x])).toThrow(/outputs must be a Variable/);
    });
  });

  it('the graph is freed after a pass without retainGraph (as backward), and kept with createGraph', () => {
    scope(() => {
      const x = variable(f64([1.5]));
      const y = x.exp().sum();
      gradients(y, [x]);
      expect(() => gradients(y, [x])).toThrow(/freed by an earlier backward\(\); pass \{ retainGraph: true \}/);
      const y2 = x.exp().sum();
      const [g] = gradients(y2, [x], { createGraph: true });
      const [again] = gradients(y2, [x]);
      close(arr(again!), arr(g!));
    });
  });

  it('second derivatives work inside noGrad() through the functional forms (they enable grad themselves)', () => {
    scope(() => {
      const d2 = noGrad(() => grad(grad((x) => x.pow(3).sum()) as never)(f64([2])) as Tensor);
      close(arr(d2), [12]);
    });
  });

  it('a second-order pass of mixed float32 and float64 keeps each gradient in its Variable dtype', () => {
    scope(() => {
      const a = variable(tensor([0.5]));
      const b = variable(f64([2]));
      const y = a.mul(b).square().sum(); // (ab)²
      const [ga] = gradients(y, [a], { createGraph: true }); // 2ab²
      expect(ga!.dtype).toBe('float32');
      const [gab] = gradients(ga!.sum(), [b]); // ∂/∂b 2ab² = 4ab
      expect(gab!.dtype).toBe('float64');
      close(arr(gab!), [4], 1e-6);
    });
  });
});
