import { type Variable, variable } from '@gd/autograd';
import { manualSeed, memory, randn, scope, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Adagrad, Adam, AdamW, batches, clipGradNorm, clipGradValue, minimize, RMSprop, SGD, schedules } from '../src/index.js';

// loss = Σ c·p² so ∇ = 2c·p: the first steps can be worked out by hand
const C = [1, 0.5, 3];
const lossOf = (p: Variable) => p.square().mul(C).sum();

/** The parameter's trajectory under `make`'s optimizer; in float64, every gradient and step is checked to stay float64. */
function run(
  make: (p: Variable) => { step(): void; zeroGrad(): void; dispose(): void },
  steps: number,
  start = [1, -2, 0.5],
  dtype: 'float32' | 'float64' = 'float32',
): number[][] {
  const p = variable(tensor(start, { dtype }));
  const opt = make(p);
  const out: number[][] = [];
  for (let i = 0; i < steps; i++) {
    scope(() => {
      opt.zeroGrad();
      lossOf(p).backward();
      expect(p.grad!.dtype).toBe(dtype);
      opt.step();
    });
    expect(p.value.dtype).toBe(dtype);
    out.push(Array.from(p.value.data()));
  }
  opt.dispose();
  return out;
}

/** PyTorch's update equations, written out in float64 for one coordinate sequence. */
function reference(kind: string, o: Record<string, number | boolean>, steps: number, start = [1, -2, 0.5]): number[][] {
  const p = [...start];
  const st = p.map(() => ({ buf: 0, m: 0, v: 0, vmax: 0, sq: 0, ga: 0, sum: 0 }));
  const out: number[][] = [];
  for (let t = 1; t <= steps; t++) {
    p.forEach((_, i) => {
      const s = st[i]!;
      const lr = o.lr as number;
      const wd = (o.weightDecay as number) ?? 0;
      let g = 2 * C[i]! * p[i]!;
      if (kind === 'sgd') {
        g += wd * p[i]!;
        const mu = (o.momentum as number) ?? 0;
        if (mu) {
          s.buf = t === 1 ? g : mu * s.buf + (1 - ((o.dampening as number) ?? 0)) * g;
          g = o.nesterov ? g + mu * s.buf : s.buf;
        }
        p[i] = p[i]! - lr * g;
      } else if (kind === 'adam' || kind === 'adamw') {
        const [b1, b2, eps] = [0.9, 0.999, 1e-8];
        if (kind === 'adamw') p[i] = p[i]! * (1 - lr * wd);
        else g += wd * p[i]!;
        s.m = b1 * s.m + (1 - b1) * g;
        s.v = b2 * s.v + (1 - b2) * g * g;
        let v = s.v;
        if (o.amsgrad) v = s.vmax = Math.max(s.vmax, s.v);
        p[i] = p[i]! - ((lr / (1 - b1 ** t)) * s.m) / (Math.sqrt(v) / Math.sqrt(1 - b2 ** t) + eps);
      } else if (kind === 'rmsprop') {
        const [alpha, eps] = [0.99, 1e-8];
        s.sq = alpha * s.sq + (1 - alpha) * g * g;
        let d = Math.sqrt(s.sq) + eps;
        if (o.centered) {
          s.ga = alpha * s.ga + (1 - alpha) * g;
          d = Math.sqrt(s.sq - s.ga * s.ga) + eps;
        }
        const mu = (o.momentum as number) ?? 0;
        if (mu > 0) {
          s.buf = mu * s.buf + g / d;
          p[i] = p[i]! - lr * s.buf;
        } else p[i] = p[i]! - (lr * g) / d;
      } else if (kind === 'adagrad') {
        s.sum += g * g;
        p[i] = p[i]! - ((lr / (1 + (t - 1) * ((o.lrDecay as number) ?? 0))) * g) / (Math.sqrt(s.sum) + 1e-10);
      }
    });
    out.push([...p]);
  }
  return out;
}

function expectSteps(actual: number[][], expected: number[][]) {
  for (const [t, row] of actual.entries()) {
    for (const [i, v] of row.entries()) expect(v, `step ${t + 1}, coordinate ${i}`).toBeCloseTo(expected[t]![i]!, 5);
  }
}

describe('first steps by hand', () => {
  it('SGD: p − η·2p', () =>
    expectSteps(
      run((p) => new SGD([p], { lr: 0.1 }), 1),
      [[0.8, -1.8, 0.2]],
    ));
  it('SGD with momentum 0.9: buffer starts as the gradient', () => {
    // coordinate 0: g = 2 → p 0.8; then g = 1.6, b = 0.9·2 + 1.6 = 3.4 → p = 0.46
    const r = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 2);
    expect(r[0]![0]).toBeCloseTo(0.8, 6);
    expect(r[1]![0]).toBeCloseTo(0.46, 6);
  });
  it('SGD with Nesterov: p 1 → 0.62 → 0.2224', () => {
    const r = run((p) => new SGD([p], { lr: 0.1, momentum: 0.9, nesterov: true }), 2);
    expect(r[0]![0]).toBeCloseTo(0.62, 6);
    expect(r[1]![0]).toBeCloseTo(0.2224, 6);
  });
  it('Adam: the first step moves every coordinate by lr·sign(g)', () => {
    expectSteps(
      run((p) => new Adam([p], { lr: 0.1 }), 1),
      [[0.9, -1.9, 0.4]],
    );
  });
  it('RMSprop and Adagrad: first steps', () => {
    // RMSprop: s = 0.01·g², p − η·g/√s = p − 0.01·10·sign(g)
    expectSteps(
      run((p) => new RMSprop([p], { lr: 0.01 }), 1),
      [[0.9, -1.9, 0.4]],
    );
    // Adagrad: s = g², p − η·g/|g|
    expectSteps(
      run((p) => new Adagrad([p], { lr: 0.1 }), 1),
      [[0.9, -1.9, 0.4]],
    );
  });
});

describe('every optimizer follows PyTorch’s equations over 6 steps', () => {
  const cases: Array<[string, (p: Variable) => SGD | Adam | RMSprop | Adagrad, string, Record<string, number | boolean>]> = [
    ['SGD + weight decay', (p) => new SGD([p], { lr: 0.05, weightDecay: 0.1 }), 'sgd', { lr: 0.05, weightDecay: 0.1 }],
    [
      'SGD + momentum + dampening',
      (p) => new SGD([p], { lr: 0.05, momentum: 0.9, dampening: 0.5 }),
      'sgd',
      { lr: 0.05, momentum: 0.9, dampening: 0.5 },
    ],
    [
      'SGD + Nesterov + decay',
      (p) => new SGD([p], { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
      'sgd',
      { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 },
    ],
    ['Adam', (p) => new Adam([p], { lr: 0.05 }), 'adam', { lr: 0.05 }],
    [
      'Adam + L2 + AMSGrad',
      (p) => new Adam([p], { lr: 0.05, weightDecay: 0.1, amsgrad: true }),
      'adam',
      { lr: 0.05, weightDecay: 0.1, amsgrad: true },
    ],
    ['AdamW', (p) => new AdamW([p], { lr: 0.05, weightDecay: 0.1 }), 'adamw', { lr: 0.05, weightDecay: 0.1 }],
    ['RMSprop + momentum', (p) => new RMSprop([p], { lr: 0.01, momentum: 0.5 }), 'rmsprop', { lr: 0.01, momentum: 0.5 }],
    ['RMSprop centered', (p) => new RMSprop([p], { lr: 0.01, centered: true }), 'rmsprop', { lr: 0.01, centered: true }],
    ['Adagrad + lr decay', (p) => new Adagrad([p], { lr: 0.1, lrDecay: 0.1 }), 'adagrad', { lr: 0.1, lrDecay: 0.1 }],
  ];
  for (const [name, make, kind, o] of cases) it(name, () => expectSteps(run(make, 6), reference(kind, o, 6)));
});

describe('state, clipping and schedules', () => {
  it('stateDict round trip continues identically', () => {
    const a = variable([1, -2, 0.5]);
    const b = variable([1, -2, 0.5]);
    const oa = new Adam([a], { lr: 0.05 });
    const step = (p: Variable, o: Adam) =>
      scope(() => {
        o.zeroGrad();
        lossOf(p).backward();
        o.step();
      });
    for (let i = 0; i < 3; i++) step(a, oa);
    const ob = new Adam([b], { lr: 0.05 });
    b.value.dispose();
    const saved = JSON.parse(JSON.stringify(oa.stateDict()));
    const b2 = variable(a.value.clone());
    const ob2 = new Adam([b2], { lr: 1 });
    ob2.loadStateDict(saved);
    expect(ob2.lr).toBe(0.05);
    step(a, oa);
    step(b2, ob2);
    expect(Array.from(b2.value.data())).toEqual(Array.from(a.value.data()));
    expect(() => ob.loadStateDict({ ...saved, type: 'SGD' })).toThrow(/cannot load into Adam/);
  });
  it('clipGradNorm rescales to the max norm and returns the norm before; clipGradValue clamps', () => {
    const p = variable([3, 4]);
    p.square().mul(0.5).sum().backward(); // grad = p = [3, 4], norm 5
    expect(clipGradNorm([p], 1)).toBeCloseTo(5, 6);
    expect(Array.from(p.grad!.data()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.8]);
    clipGradValue([p], 0.7);
    expect(Array.from(p.grad!.data()).map((v) => +v.toFixed(5))).toEqual([0.6, 0.7]);
  });
  it('schedule values', () => {
    expect(schedules.step({ lr: 0.1, stepSize: 10, gamma: 0.5 })(25)).toBeCloseTo(0.025, 10);
    expect(schedules.exponential({ lr: 1, gamma: 0.9 })(2)).toBeCloseTo(0.81, 10);
    const cos = schedules.cosine({ lr: 0.1, steps: 100, minLr: 0.01 });
    expect(cos(0)).toBeCloseTo(0.1, 10);
    expect(cos(50)).toBeCloseTo(0.055, 10);
    expect(cos(100)).toBeCloseTo(0.01, 10);
    const warm = schedules.linearWarmup({ lr: 0.1, warmupSteps: 10, after: schedules.exponential({ lr: 0.1, gamma: 0.5 }) });
    expect(warm(0)).toBeCloseTo(0.01, 10);
    expect(warm(4)).toBeCloseTo(0.05, 10);
    expect(warm(11)).toBeCloseTo(0.05, 10);
  });
});

describe('minimize: the three convergence criteria and the other stops', () => {
  const quadratic = (p: Variable) => () => p.sub([3, -1]).square().sum();
  it('loss-tolerance', () => {
    const p = variable([0, 0]);
    const r = minimize(quadratic(p), [p], { lr: 0.1, lossTolerance: 1e-8 });
    expect(r.reason).toBe('loss-tolerance');
    expect(r.iterations).toBeGreaterThan(10);
    expect(Math.abs(r.history.at(-1)!.loss - r.history.at(-2)!.loss)).toBeLessThan(1e-8);
    expect((p.value.toArray() as number[])[0]).toBeCloseTo(3, 2);
  });
  it('grad-tolerance: stops when ‖∇‖₂ falls below it', () => {
    const p = variable([0, 0]);
    const r = minimize(quadratic(p), [p], { lr: 0.1, gradTolerance: 1e-3 });
    expect(r.reason).toBe('grad-tolerance');
    expect(r.gradNorm).toBeLessThan(1e-3);
    expect(r.history.at(-2)!.gradNorm).toBeGreaterThanOrEqual(1e-3);
  });
  it('max-iterations', () => {
    const p = variable([0, 0]);
    const r = minimize(quadratic(p), [p], { lr: 0.01, maxIterations: 7 });
    expect(r).toMatchObject({ reason: 'max-iterations', iterations: 7 });
  });
  it('diverged: η too large; the parameters are finite afterwards (their last finite values)', () => {
    const p = variable([0, 0]);
    const seen: number[][] = [];
    const r = minimize(quadratic(p), [p], {
      lr: 1.5,
      maxIterations: 100_000,
      onStep: () => {
        seen.push(Array.from(p.value.data()));
        return undefined;
      },
    });
    expect(r.reason).toBe('diverged');
    expect(Number.isFinite(r.loss)).toBe(true);
    for (const v of p.value.data()) expect(Number.isFinite(v)).toBe(true);
    // the parameters are the ones whose loss was last finite: those before the final update
    const last = r.history.at(-1)!;
    expect(p.value.sub([3, -1]).square().sum().item()).toBeCloseTo(last.loss, -30);
  });
  it('stopped: by onStep returning false, or by an AbortSignal', () => {
    const p = variable([0, 0]);
    expect(minimize(quadratic(p), [p], { onStep: (s) => s.iteration < 3 }).reason).toBe('stopped');
    const ac = new AbortController();
    ac.abort();
    expect(minimize(quadratic(p), [p], { signal: ac.signal })).toMatchObject({ reason: 'stopped', iterations: 0 });
  });
  it('minibatch SGD over seeded batches runs every epoch; the same seed gives the same path', () => {
    const fit = () => {
      manualSeed(3);
      const X = randn([50, 1]);
      const Y = X.mul(2).add(1);
      const w = variable([0]);
      const b = variable([0]);
      const r = minimize(
        ([x, y]: ReturnType<typeof randn>[]) =>
          variable(x!, { requiresGrad: false })
            .matmul(w.reshape([1, 1]))
            .add(b)
            .sub(y!)
            .square()
            .mean(),
        [w, b],
        {
          lr: 0.1,
          data: batches([X, Y], { batchSize: 8, seed: 7 }),
          epochs: 30,
        },
      );
      return { r, w: w.item(), b: b.item() };
    };
    const one = fit();
    expect(one.r.reason).toBe('epochs');
    expect(one.r.iterations).toBe(30 * 7);
    expect(one.w).toBeCloseTo(2, 2);
    expect(one.b).toBeCloseTo(1, 2);
    const two = fit();
    expect(two.w).toBe(one.w);
    expect(two.r.history.map((h) => h.loss)).toEqual(one.r.history.map((h) => h.loss));
  });
  it('batches: sizes, dropLast, every sample once per epoch, different orders per epoch', () => {
    const X = tensor(Array.from({ length: 10 }, (_, i) => i));
    const b = batches([X], { batchSize: 4, seed: 1 });
    expect(b.length).toBe(3);
    const rows = (e: number) => Array.from(b.epoch(e), ([x]) => Array.from(x!.data()));
    const e0 = rows(0);
    expect(e0.map((r) => r.length)).toEqual([4, 4, 2]);
    expect(e0.flat().sort((p, q) => p - q)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    const e1 = rows(1);
    expect(e1.flat()).not.toEqual(e0.flat());
    expect(batches([X], { batchSize: 4, dropLast: true }).length).toBe(2);
  });
  it('memory in use is flat over 10,000 steps', () => {
    manualSeed(1);
    const w = variable(randn([4, 3]));
    const x = randn([16, 4]);
    const y = randn([16, 3]);
    const baseline = memory().bytesInUse;
    const samples: number[] = [];
    const opt = new Adam([w], { lr: 1e-3 });
    const xv = variable(x, { requiresGrad: false });
    minimize(() => xv.matmul(w).sub(y).square().mean(), [w], {
      optimizer: opt,
      maxIterations: 10_000,
      history: false,
      onStep: (s) => {
        if (s.iteration % 1000 === 0) samples.push(memory().bytesInUse);
        return undefined;
      },
    });
    expect(samples).toHaveLength(10);
    expect(new Set(samples).size).toBe(1);
    opt.dispose();
    w.zeroGrad();
    expect(memory().bytesInUse).toBe(baseline);
  });
});

describe('float64: state in the parameter’s dtype, trajectories to float64 precision', () => {
  const F64 = { dtype: 'float64' } as const;
  const run64 = (make: (p: Variable) => { step(): void; zeroGrad(): void; dispose(): void }, steps: number) =>
    run(make, steps, [1, -2, 0.5], 'float64');
  // relative 1e-13: float32 would be off in the 7th digit
  const expect64 = (actual: number[][], expected: number[][]) => {
    for (const [t, row] of actual.entries()) {
      for (const [i, v] of row.entries()) {
        const e = expected[t]![i]!;
        expect(Math.abs(v - e), `step ${t + 1}, coordinate ${i}: ${v} vs ${e}`).toBeLessThanOrEqual(1e-13 * Math.max(1, Math.abs(e)));
      }
    }
  };
  it('SGD with momentum by hand: coordinate 0 goes 1 → 0.8 → 0.46 → 0.062 to 1e-15', () => {
    // g = 2p: g₁ = 2, b₁ = 2, p₁ = 0.8; g₂ = 1.6, b₂ = 3.4, p₂ = 0.46; g₃ = 0.92, b₃ = 3.98, p₃ = 0.062
    const r = run64((p) => new SGD([p], { lr: 0.1, momentum: 0.9 }), 3);
    for (const [t, want] of [0.8, 0.46, 0.062].entries()) expect(Math.abs(r[t]![0]! - want)).toBeLessThan(1e-15);
    expect64(r, reference('sgd', { lr: 0.1, momentum: 0.9 }, 3));
  });
  const cases: Array<[string, (p: Variable) => SGD | Adam | RMSprop | Adagrad, string, Record<string, number | boolean>]> = [
    [
      'SGD + Nesterov + decay',
      (p) => new SGD([p], { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 }),
      'sgd',
      { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.01 },
    ],
    [
      'Adam + L2 + AMSGrad',
      (p) => new Adam([p], { lr: 0.05, weightDecay: 0.1, amsgrad: true }),
      'adam',
      { lr: 0.05, weightDecay: 0.1, amsgrad: true },
    ],
    ['AdamW', (p) => new AdamW([p], { lr: 0.05, weightDecay: 0.1 }), 'adamw', { lr: 0.05, weightDecay: 0.1 }],
    [
      'RMSprop centered + momentum',
      (p) => new RMSprop([p], { lr: 0.01, centered: true, momentum: 0.5 }),
      'rmsprop',
      { lr: 0.01, centered: true, momentum: 0.5 },
    ],
    ['Adagrad + lr decay', (p) => new Adagrad([p], { lr: 0.1, lrDecay: 0.1 }), 'adagrad', { lr: 0.1, lrDecay: 0.1 }],
  ];
  for (const [name, make, kind, o] of cases) it(`${name} over 6 steps`, () => expect64(run64(make, 6), reference(kind, o, 6)));

  it('state tensors are float64 and survive stateDict round trips bit for bit', () => {
    const p = variable(tensor([0.1, 0.2, 0.3], F64));
    const opt = new Adam([p], { lr: 0.01 });
    scope(() => {
      lossOf(p).backward();
      opt.step();
    });
    const sd = opt.stateDict();
    const m = sd.state[0]!.exp_avg ?? Object.values(sd.state[0]!)[0]!;
    expect(m.data.some((v) => v !== Math.fround(v))).toBe(true);
    const again = new Adam([p], { lr: 0.01 });
    again.loadStateDict(sd);
    expect(again.stateDict()).toEqual(sd);
    opt.dispose();
    again.dispose();
    expect(() => new SGD([variable(tensor([1], { dtype: 'int32' }))], { lr: 0.1 })).toThrow(/parameters must be float32 or float64/);
  });

  it('minimize in float64 honours lossTolerance 1e-12 by descent, where float32 stalls', () => {
    const fit = (dtype: 'float32' | 'float64') => {
      const x = tensor([0, 0.25, 0.5, 0.75, 1], { dtype });
      const y = x.mul(2).add(0.3);
      const w = variable(tensor([0], { dtype }));
      const b = variable(tensor([0], { dtype }));
      const xv = variable(x, { requiresGrad: false });
      const r = minimize(() => xv.mul(w).add(b).sub(y).square().mean(), [w, b], { lr: 0.5, lossTolerance: 1e-12, maxIterations: 100_000 });
      return { r, w: w.item(), b: b.item() };
    };
    const f64 = fit('float64');
    expect(f64.r.reason).toBe('loss-tolerance');
    const [prev, last] = f64.r.history.slice(-2).map((h) => h.loss);
    // the loss was still falling when it stopped: a real change below 1e-12, not a rounding stall
    expect(prev! - last!).toBeGreaterThan(0);
    expect(prev! - last!).toBeLessThan(1e-12);
    expect(Math.abs(f64.w - 2)).toBeLessThan(1e-5);
    expect(Math.abs(f64.b - 0.3)).toBeLessThan(1e-5);
    // float32 stops because the loss no longer changes at all: it can no longer be represented
    const f32 = fit('float32');
    expect(f32.r.reason).toBe('loss-tolerance');
    const tail = f32.r.history.slice(-2).map((h) => h.loss);
    expect(tail[0]! - tail[1]!).toBeLessThan(1e-12);
    expect(f32.r.iterations).not.toBe(f64.r.iterations);
  });
});

describe('minimize: the optimizer it is given', () => {
  it('refuses what is not an optimizer, and one over other parameters, with a ValueError', async () => {
    const { variable } = await import('@gd/autograd');
    const { LBFGS, SGD, minimize } = await import('../src/index.js');
    const a = variable([1]);
    const b = variable([2]);
    expect(() => minimize(() => a.square().sum(), [a], { optimizer: 'lbfgs' as never })).toThrow(
      /optimizer must be an optimizer .*got 'lbfgs'/,
    );
    expect(() => minimize(() => a.square().sum(), [a], { optimizer: {} as never })).toThrow(/optimizer must be an optimizer/);
    expect(() => minimize(() => a.square().sum(), [a], { optimizer: new LBFGS([b]) })).toThrow(/does not hold parameter 0/);
    expect(() => minimize(() => a.square().sum(), [a], { optimizer: new SGD([b], { lr: 0.1 }) })).toThrow(/does not hold parameter 0/);
    expect(a.item()).toBe(1);
  });
});
