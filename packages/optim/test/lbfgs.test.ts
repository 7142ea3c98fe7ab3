import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { concat, type Variable, variable } from '@gd/autograd';
import { GdError, memory, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { LBFGS, type LBFGSOptions, minimize, SGD } from '../src/index.js';

const fails = failsWith(memory, GdError);

interface Case {
  name: string;
  start: number[];
  split: boolean;
  options: Record<string, unknown>;
  trajectory: Array<{ loss: number; x: number[]; funcEvals: number; nIter: number }>;
}
// torch.optim.LBFGS's trajectories, made by fixtures/lbfgs.py with PyTorch 1.13 in float64
const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'lbfgs.json'), 'utf8')) as { cases: Case[] };

/** Σᵢ 100 (xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², the Rosenbrock function of any dimension. */
function rosenbrock(x: Variable): Variable {
  const n = x.shape[0]!;
  const head = x.slice([0], [n - 1]);
  const tail = x.slice([1], [n - 1]);
  return tail.sub(head.square()).square().mul(100).add(head.neg().add(1).square()).sum();
}

/** PyTorch's snake_case options, camelCased. */
function options(o: Record<string, unknown>): LBFGSOptions {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o))
    out[k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase())] = v === 'strong_wolfe' ? 'strongWolfe' : v;
  return out as LBFGSOptions;
}

/** The parameters of a case: one per coordinate (split) or one vector, float64. */
function paramsOf(c: Case): { params: Variable[]; whole: () => Variable } {
  if (c.split) {
    const params = c.start.map((v) => variable(tensor([v], { dtype: 'float64' })));
    return { params, whole: () => concat(params) };
  }
  const x = variable(tensor(c.start, { dtype: 'float64' }));
  return { params: [x], whole: () => x };
}

describe('LBFGS follows torch.optim.LBFGS step for step (Rosenbrock, float64)', () => {
  for (const c of fixture.cases) {
    it(c.name, () => {
      const before = memory();
      const { params, whole } = paramsOf(c);
      const opt = new LBFGS(params, options(c.options));
      const closure = () => {
        opt.zeroGrad();
        const loss = rosenbrock(whole());
        loss.backward();
        return loss;
      };
      for (const [k, want] of c.trajectory.entries()) {
        const loss = scope(() => {
          const l = opt.step(closure) as Variable;
          return l.item();
        });
        const x = params.flatMap((p) => Array.from(p.value.data()));
        const err = Math.max(...x.map((v, i) => Math.abs(v - want.x[i]!)));
        console.log(c.name, k, err);
        expect(err <= 1e-7, `step ${k + 1}: |x − torch| = ${err}`).toBe(true);
        expect(Math.abs(loss - want.loss) <= 1e-7 * Math.max(1, Math.abs(want.loss)), `step ${k + 1}: loss ${loss} vs ${want.loss}`).toBe(
          true,
        );
        expect([opt.lbfgsState.funcEvals, opt.lbfgsState.nIter]).toEqual([want.funcEvals, want.nIter]);
      }
      opt.zeroGrad();
      opt.dispose();
      for (const p of params) p.value.dispose();
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytesInUse).toBe(before.bytesInUse);
    });
  }
});

describe('LBFGS in minimize()', () => {
  const wolfe = fixture.cases.find((c) => c.name === '2-D, strong Wolfe')!;
  for (const replay of [false, true]) {
    it(`each iteration is one step(closure), the same numbers as the loop above${replay ? ', replayed' : ''}`, () => {
      const before = memory();
      const { params, whole } = paramsOf(wolfe);
      const opt = new LBFGS(params, options(wolfe.options));
      const r = minimize(() => rosenbrock(whole()), params, { optimizer: opt, maxIterations: 2, replay });
      expect(r.reason).toBe('max-iterations');
      // minimize's history holds the loss before each step: step k's returned loss in the fixture
      expect(r.history.map((h) => h.loss)).toEqual(wolfe.trajectory.slice(0, 2).map((t) => expect.closeTo(t.loss, 9)));
      const x = params.flatMap((p) => Array.from(p.value.data()));
      const err = Math.max(...x.map((v, i) => Math.abs(v - wolfe.trajectory[1]!.x[i]!)));
      expect(err <= 1e-7, `|x − torch| = ${err}`).toBe(true);
      // the closure's first call reuses minimize's evaluation: as many evaluations as PyTorch's
      expect(opt.lbfgsState.funcEvals).toBe(wolfe.trajectory[1]!.funcEvals);
      opt.zeroGrad();
      opt.dispose();
      for (const p of params) p.value.dispose();
      expect(memory().tensors).toBe(before.tensors);
      expect(memory().bytesInUse).toBe(before.bytesInUse);
    });
  }

  it('stops on its criteria: grad-tolerance near the minimum (1, 1)', () => {
    const x = variable(tensor([-1.2, 1], { dtype: 'float64' }));
    const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe' });
    const r = minimize(() => rosenbrock(x), [x], { optimizer: opt, gradTolerance: 1e-3, maxIterations: 50 });
    expect(r.reason, `gradNorm ${r.gradNorm} after ${r.iterations}`).toBe('grad-tolerance');
    expect(r.gradNorm < 1e-3 && r.loss < 1e-8, `gradNorm ${r.gradNorm}, loss ${r.loss}`).toBe(true);
    const [a, b] = Array.from(x.value.data());
    // ‖∇f‖ < 1e-3 where the Hessian's eigenvalues are about 0.4 and 1000: within 1e-2 of (1, 1)
    expect(Math.abs(a! - 1) < 1e-2 && Math.abs(b! - 1) < 1e-2, `x = ${a}, ${b}`).toBe(true);
    opt.dispose();
  });

  it('stops on its criteria: loss-tolerance once a step no longer moves', () => {
    // f = (x − 3)²: the first iteration's step ends within the line search's tolerance of 3
    const x = variable(tensor([0], { dtype: 'float64' }));
    const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe' });
    const r = minimize(() => x.sub(3).square().sum(), [x], { optimizer: opt, lossTolerance: 1e-12, maxIterations: 10 });
    expect(r.reason).toBe('loss-tolerance');
    expect(Math.abs(x.item() - 3) < 1e-6).toBe(true);
    opt.dispose();
  });

  it('other optimizers still take step() without a closure', () => {
    const x = variable([1]);
    const opt = new SGD([x], { lr: 0.25 });
    let calls = 0;
    const r = minimize(
      () => {
        calls++;
        return x.square().sum();
      },
      [x],
      { optimizer: opt, maxIterations: 2 },
    );
    // x ← x − 0.25·2x = x/2 each step, one objective call per step
    expect([r.iterations, calls, x.item()]).toEqual([2, 2, 0.25]);
  });
});

describe('LBFGS bad input', () => {
  const x = variable([1, 2]);
  it('names the option and the value given', () => {
    fails(() => new LBFGS([x], { maxIter: 0 }), ValueError, /LBFGS: maxIter must be an integer ≥ 1, got 0/);
    fails(() => new LBFGS([x], { historySize: 2.5 }), ValueError, /historySize.*2\.5/);
    fails(() => new LBFGS([x], { lineSearchFn: 'wolfe' as never }), ValueError, /lineSearchFn must be null or 'strongWolfe', got 'wolfe'/);
    fails(() => new LBFGS([x], { toleranceGrad: -1 }), ValueError, /toleranceGrad.*-1/);
    fails(() => new LBFGS([x], { lr: Number.NaN }), ValueError, /lr.*NaN/);
  });
  it('step() needs a closure that returns a scalar loss', () => {
    const opt = new LBFGS([x]);
    fails(() => opt.step(), ValueError, /LBFGS.step: expected a closure that zeroes the gradients.*got undefined/);
    fails(() => opt.step(() => 'loss' as never), ValueError, /closure must return the loss.*got string/);
    const vector = tensor([1, 2]);
    fails(() => opt.step(() => vector), ValueError, /closure must return the loss.*Tensor of shape \[2\]/);
    vector.dispose();
  });
});

describe('LBFGS state', () => {
  it('defaults are PyTorch’s, maxEval = ⌊maxIter · 5/4⌋', () => {
    const opt = new LBFGS([variable([1])], { maxIter: 7 });
    expect([opt.lr, opt.maxIter, opt.maxEval, opt.toleranceGrad, opt.toleranceChange, opt.historySize, opt.lineSearchFn]).toEqual([
      1,
      7,
      8,
      1e-7,
      1e-9,
      100,
      null,
    ]);
  });
  it('stateDict() and loadStateDict() carry a run on: two steps, or one, a save, a load and one, end the same', () => {
    const c = fixture.cases.find((k) => k.name === '2-D, strong Wolfe, history 2, maxIter 7')!;
    const runFrom = (split: boolean) => {
      const { params, whole } = paramsOf(c);
      let opt = new LBFGS(params, options(c.options));
      const closure = () => {
        opt.zeroGrad();
        const loss = rosenbrock(whole());
        loss.backward();
        return loss;
      };
      scope(() => opt.step(closure));
      if (split) {
        const saved = JSON.parse(JSON.stringify(opt.stateDict()));
        opt.dispose();
        opt = new LBFGS(params, options(c.options));
        opt.loadStateDict(saved);
      }
      scope(() => opt.step(closure));
      const out = { x: params.flatMap((p) => Array.from(p.value.data())), evals: opt.lbfgsState.funcEvals };
      opt.zeroGrad();
      opt.dispose();
      return out;
    };
    const straight = runFrom(false);
    expect(runFrom(true)).toEqual(straight);
    expect(straight.evals).toBe(c.trajectory[1]!.funcEvals);
  });
  it('loadStateDict refuses a state of another size, changing nothing', () => {
    const opt = new LBFGS([variable([1, 2, 3])]);
    const other = new LBFGS([variable([1, 2])]);
    scope(() =>
      other.step(() => {
        other.zeroGrad();
        const l = other.params[0]!.square().sum();
        l.backward();
        return l;
      }),
    );
    const sd = other.stateDict();
    fails(() => opt.loadStateDict(sd), GdError, /state 'oldDirs' has shape \[\d+,2\]; expected \[\d+,3\]|state 'd' has shape/);
    expect(opt.lbfgsState.nIter).toBe(0);
    other.dispose();
  });
});

describe('LBFGS in float32 and over mixed dtypes', () => {
  it('float32 parameters keep float32 state and reach the minimum of a quadratic', () => {
    // f = Σ cᵢ (xᵢ − tᵢ)², minimum at t; L-BFGS with line search is exact on it within n + 1 iterations
    const x = variable(tensor([0, 0, 0]));
    const opt = new LBFGS([x], { lineSearchFn: 'strongWolfe' });
    scope(() =>
      opt.step(() => {
        opt.zeroGrad();
        const loss = x.sub([1, -2, 3]).square().mul([1, 10, 0.5]).sum();
        loss.backward();
        return loss;
      }),
    );
    expect([x.value.dtype, opt.lbfgsState.d!.dtype]).toEqual(['float32', 'float32']);
    const err = Math.max(...Array.from(x.value.data()).map((v, i) => Math.abs(v - [1, -2, 3][i]!)));
    expect(err <= 1e-4, `|x − t| = ${err}`).toBe(true);
    opt.dispose();
  });
  it('a float32 and a float64 parameter flatten into one float64 vector; each is updated in its own dtype', () => {
    const a = variable(tensor([0]));
    const b = variable(tensor([0], { dtype: 'float64' }));
    const opt = new LBFGS([a, b], { lineSearchFn: 'strongWolfe' });
    scope(() =>
      opt.step(() => {
        opt.zeroGrad();
        const loss = a.sub(2).square().sum().add(b.sub(-1).square().mul(3).sum());
        loss.backward();
        return loss;
      }),
    );
    expect([a.value.dtype, b.value.dtype, opt.lbfgsState.d!.dtype]).toEqual(['float32', 'float64', 'float64']);
    expect(Math.abs(a.item() - 2) <= 1e-5 && Math.abs(b.item() + 1) <= 1e-5, `a ${a.item()}, b ${b.item()}`).toBe(true);
    opt.dispose();
  });
});
