import { readFileSync } from 'node:fs';
import { type Variable, variable } from '@gd/autograd';
import { scope, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, type Optimizer, RMSprop } from '../src/index.js';

// torch.optim trajectories in float64 (fixtures/per-parameter-step.py, PyTorch 1.13): the second
// parameter gets its first gradient at step 6 and none at step 8
const fixture = JSON.parse(readFileSync(new URL('./fixtures/per-parameter-step.json', import.meta.url), 'utf8')) as {
  c1: number[];
  c2: number[][];
  start1: number[];
  start2: number[][];
  joins: number[];
  cases: Record<string, { options: Record<string, unknown>; trajectory: number[][][]; steps: number[] }>;
};
const F64 = { dtype: 'float64' } as const;

const make: Record<string, (ps: Variable[]) => Optimizer> = {
  Adam: (ps) => new Adam(ps, { lr: 0.1 }),
  'Adam amsgrad, L2': (ps) => new Adam(ps, { lr: 0.05, betas: [0.8, 0.99], weightDecay: 0.1, amsgrad: true }),
  AdamW: (ps) => new AdamW(ps, { lr: 0.1, weightDecay: 0.05 }),
  'Adagrad lr decay': (ps) => new Adagrad(ps, { lr: 0.1, lrDecay: 0.2 }),
  'RMSprop centered, momentum': (ps) => new RMSprop(ps, { lr: 0.01, momentum: 0.5, centered: true }),
};

/** Steps `from`..`to` of the fixture's loop: loss = Σ c1·p1² (+ Σ c2·p2³ at the steps it joins). */
function steps(opt: Optimizer, p1: Variable, p2: Variable, from: number, to: number): number[][][] {
  const out: number[][][] = [];
  for (let t = from; t <= to; t++) {
    scope(() => {
      opt.zeroGrad();
      let loss = p1.square().mul(tensor(fixture.c1, F64)).sum();
      if (fixture.joins.includes(t)) loss = loss.add(p2.pow(3).mul(tensor(fixture.c2, F64)).sum());
      loss.backward();
      opt.step();
    });
    out.push([p1.value.toArray() as number[], p2.value.toArray() as number[]]);
  }
  return out;
}

/** Largest |a − b| over nested arrays (NaN if the shapes differ or a value is NaN). */
function maxDiff(a: unknown, b: unknown): number {
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length ? a.reduce((m: number, x, i) => Math.max(m, maxDiff(x, b[i])), 0) : Number.NaN;
  return Math.abs((a as number) - (b as number));
}

const params = () => [variable(tensor(fixture.start1, F64)), variable(tensor(fixture.start2, F64))] as const;

describe('each parameter counts its own steps, as torch.optim does', () => {
  for (const [name, ref] of Object.entries(fixture.cases)) {
    it(`${name}: the trajectory of torch.optim in float64, and its per-parameter step counts`, () => {
      const [p1, p2] = params();
      const opt = make[name]!([p1, p2]);
      const got = steps(opt, p1, p2, 1, 10);
      const err = maxDiff(got, ref.trajectory);
      expect(err <= 1e-12, `${name}: max |gd − torch| = ${err}`).toBe(true);
      expect(opt.stateDict().steps).toEqual(ref.steps);
      expect(opt.stateDict().step).toBe(10);
      opt.zeroGrad();
      opt.dispose();
      for (const p of [p1, p2]) p.value.dispose();
    });

    it(`${name}: a state saved after step 7 resumes on torch's trajectory`, () => {
      const [p1, p2] = params();
      const opt = make[name]!([p1, p2]);
      steps(opt, p1, p2, 1, 7);
      const saved = JSON.parse(JSON.stringify(opt.stateDict()));
      opt.zeroGrad();
      opt.dispose();
      // a fresh optimizer with other hyper-parameters takes the saved ones
      const again = make[name]!([p1, p2]);
      again.lr = 123;
      again.loadStateDict(saved);
      const got = steps(again, p1, p2, 8, 10);
      const err = maxDiff(got, ref.trajectory.slice(7));
      expect(err <= 1e-12, `${name}: max |gd − torch| = ${err}`).toBe(true);
      expect(again.stateDict().steps).toEqual(ref.steps);
      again.zeroGrad();
      again.dispose();
      for (const p of [p1, p2]) p.value.dispose();
    });
  }

  it('Adam: a parameter whose first gradient comes at step 6 moves by lr, not by a bias correction of step 6', () => {
    const [p1, p2] = params();
    const opt = new Adam([p1, p2], { lr: 0.1 });
    const traj = steps(opt, p1, p2, 1, 6);
    // the first Adam step is lr·g/(|g| + ε·…) = lr·sign(g) per coordinate: g = 3·c2·p2² has the sign of c2
    const moved = (traj[5]![1] as unknown as number[][]).flat().map((v, k) => v - fixture.start2.flat()[k]!);
    const want = fixture.c2.flat().map((c) => -0.1 * Math.sign(c));
    expect(maxDiff(moved, want) <= 1e-7, `moved ${moved}`).toBe(true);
    // and the parameter did not move before its first gradient
    expect(traj[4]![1]).toEqual(fixture.start2);
    opt.zeroGrad();
    opt.dispose();
    for (const p of [p1, p2]) p.value.dispose();
  });

  it('a state saved before per-parameter steps loads with the global count for every parameter that has state', () => {
    const [p1, p2] = params();
    const opt = new Adam([p1, p2], { lr: 0.1 });
    steps(opt, p1, p2, 1, 3);
    const { steps: _dropped, ...old } = opt.stateDict();
    const again = new Adam([p1, p2], { lr: 0.1 });
    again.loadStateDict(old);
    // p2 never had a gradient: no state, step 0
    expect(again.stateDict().steps).toEqual([3, 0]);
    for (const o of [opt, again]) o.dispose();
    opt.zeroGrad();
    for (const p of [p1, p2]) p.value.dispose();
  });
});
