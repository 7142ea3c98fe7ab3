import { type Variable, variable } from '@gd/autograd';
import { copyInto, GdError, memory, scope, type Tensor, tensor, ValueError, zeros } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  batches,
  clipGradNorm,
  clipGradValue,
  gradNorm,
  minimize,
  Optimizer,
  type OptimizerState,
  RMSprop,
  SGD,
  schedules,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

describe('a parameter listed twice is refused, naming it, everywhere', () => {
  const makers: Array<[string, (ps: Variable[]) => unknown]> = [
    ['SGD', (ps) => new SGD(ps, { lr: 0.1 })],
    ['SGD with momentum', (ps) => new SGD(ps, { lr: 0.1, momentum: 0.9 })],
    ['Adam', (ps) => new Adam(ps)],
    ['AdamW', (ps) => new AdamW(ps)],
    ['RMSprop', (ps) => new RMSprop(ps)],
    ['Adagrad', (ps) => new Adagrad(ps)],
    ['minimize', (ps) => minimize(() => ps[0]!.square().sum(), ps, { maxIterations: 1 })],
    ['clipGradNorm', (ps) => clipGradNorm(ps, 1)],
    ['clipGradValue', (ps) => clipGradValue(ps, 1)],
    ['gradNorm', (ps) => gradNorm(ps)],
  ];
  for (const [label, make] of makers) {
    it(label, () => {
      const a = variable([1, 2], { name: 'w' });
      const b = variable([3]);
      fails(() => make([b, a, a]), ValueError, /'w'.*twice|twice.*'w'/);
      fails(() => make([b, b]), ValueError, /twice/);
    });
  }
  it('a module whose parameters() lists one Variable twice is refused too', () => {
    const p = variable([1]);
    expect(() => new SGD({ parameters: () => [p, p] }, { lr: 1 })).toThrow(ValueError);
  });
});

describe('optimizer options are validated as PyTorch validates them', () => {
  // operands made once, outside the refused calls, so each call is checked to allocate nothing
  const w = variable([1]);
  const t = tensor([1]);
  const p = () => [w];
  const bad: Array<[string, () => unknown, RegExp]> = [
    ['negative lr', () => new SGD(p(), { lr: -1 }), /lr.*-1/],
    ['NaN lr', () => new Adam(p(), { lr: Number.NaN }), /lr.*NaN/],
    ['string lr', () => new SGD(p(), { lr: '0.1' as never }), /lr/],
    ['negative weightDecay (SGD)', () => new SGD(p(), { lr: 1, weightDecay: -0.1 }), /weightDecay.*-0\.1/],
    ['negative weightDecay (Adam)', () => new Adam(p(), { weightDecay: -1 }), /weightDecay.*-1/],
    ['negative weightDecay (AdamW)', () => new AdamW(p(), { weightDecay: -1 }), /weightDecay.*-1/],
    ['negative weightDecay (RMSprop)', () => new RMSprop(p(), { weightDecay: -1 }), /weightDecay.*-1/],
    ['negative weightDecay (Adagrad)', () => new Adagrad(p(), { weightDecay: -1 }), /weightDecay.*-1/],
    ['infinite weightDecay', () => new SGD(p(), { lr: 1, weightDecay: Number.POSITIVE_INFINITY }), /weightDecay/],
    ['negative momentum (SGD)', () => new SGD(p(), { lr: 1, momentum: -0.5 }), /momentum.*-0\.5/],
    ['NaN momentum (SGD)', () => new SGD(p(), { lr: 1, momentum: Number.NaN }), /momentum.*NaN/],
    ['negative momentum (RMSprop)', () => new RMSprop(p(), { momentum: -0.5 }), /momentum.*-0\.5/],
    ['dampening above 1', () => new SGD(p(), { lr: 1, momentum: 0.9, dampening: 2 }), /dampening.*2/],
    ['negative dampening', () => new SGD(p(), { lr: 1, momentum: 0.9, dampening: -1 }), /dampening.*-1/],
    ['nesterov without momentum', () => new SGD(p(), { lr: 1, nesterov: true }), /[Nn]esterov/],
    ['nesterov with dampening', () => new SGD(p(), { lr: 1, momentum: 0.9, dampening: 0.1, nesterov: true }), /[Nn]esterov/],
    ['beta1 = 1', () => new Adam(p(), { betas: [1, 0.999] }), /beta.*1/],
    ['beta2 negative', () => new Adam(p(), { betas: [0.9, -0.1] }), /beta.*-0\.1/],
    ['betas not a pair', () => new Adam(p(), { betas: [0.9] as never }), /betas/],
    ['eps = 0 (Adam)', () => new Adam(p(), { eps: 0 }), /eps.*0/],
    ['eps negative (RMSprop)', () => new RMSprop(p(), { eps: -1e-8 }), /eps/],
    ['eps NaN (Adagrad)', () => new Adagrad(p(), { eps: Number.NaN }), /eps.*NaN/],
    ['alpha above 1', () => new RMSprop(p(), { alpha: 1.5 }), /alpha.*1\.5/],
    ['negative lrDecay', () => new Adagrad(p(), { lrDecay: -1 }), /lrDecay.*-1/],
    ['amsgrad not a boolean', () => new Adam(p(), { amsgrad: 'yes' as never }), /amsgrad/],
    ['missing options', () => new SGD(p(), undefined as never), /lr/],
    ['params null', () => new SGD(null as never, { lr: 1 }), /param/],
    ['a params entry that is a Tensor', () => new SGD([t] as never, { lr: 1 }), /Variable/],
  ];
  for (const [label, make, message] of bad) {
    it(`refuses ${label}`, () => {
      fails(make, ValueError, message);
    });
  }
  it('an lr set to a bad value after construction is refused at step()', () => {
    const w = variable([1]);
    const opt = new SGD([w], { lr: 0.1 });
    scope(() => w.square().sum().backward());
    opt.lr = -0.5;
    expect(() => opt.step()).toThrow(ValueError);
    expect(Array.from(w.value.data())).toEqual([1]);
  });
});

describe('minimize validates its options and its objective', () => {
  const w = () => variable([1, 2]);
  const bad: Array<[string, (v: Variable) => unknown, RegExp]> = [
    [
      'a schedule returning a negative rate',
      (v) => minimize(() => v.square().sum(), [v], { schedule: () => -0.1, maxIterations: 3 }),
      /schedule.*-0\.1/,
    ],
    [
      'a schedule returning NaN',
      (v) => minimize(() => v.square().sum(), [v], { schedule: () => Number.NaN, maxIterations: 3 }),
      /schedule.*NaN/,
    ],
    ['fractional maxIterations', (v) => minimize(() => v.square().sum(), [v], { maxIterations: 2.5 }), /maxIterations.*2\.5/],
    ['negative maxIterations', (v) => minimize(() => v.square().sum(), [v], { maxIterations: -1 }), /maxIterations.*-1/],
    ['fractional epochs', (v) => minimize(() => v.square().sum(), [v], { data: [1, 2], epochs: 1.5 }), /epochs.*1\.5/],
    ['negative epochs', (v) => minimize(() => v.square().sum(), [v], { data: [1, 2], epochs: -2 }), /epochs.*-2/],
    ['NaN epochs', (v) => minimize(() => v.square().sum(), [v], { data: [1, 2], epochs: Number.NaN }), /epochs.*NaN/],
    ['a negative gradTolerance', (v) => minimize(() => v.square().sum(), [v], { gradTolerance: -1 }), /gradTolerance.*-1/],
    ['a NaN lossTolerance', (v) => minimize(() => v.square().sum(), [v], { lossTolerance: Number.NaN }), /lossTolerance.*NaN/],
    ['a negative lr', (v) => minimize(() => v.square().sum(), [v], { lr: -1 }), /lr.*-1/],
    [
      'an objective returning a Tensor',
      (v) => minimize(() => v.square().sum().value as never, [v], { maxIterations: 2 }),
      /objective.*Tensor/,
    ],
    ['an objective returning a number', (v) => minimize(() => 3 as never, [v], { maxIterations: 2 }), /objective.*number/],
    ['an objective returning a non-scalar', (v) => minimize(() => v.square(), [v], { maxIterations: 2 }), /objective.*\[2\]/],
    ['an objective that is not a function', (v) => minimize(5 as never, [v]), /objective/],
  ];
  for (const [label, run, message] of bad) {
    it(`refuses ${label} with a ValueError, leaking nothing, leaving the parameters as they were`, () => {
      const v = w();
      fails(() => run(v), ValueError, message);
      expect(Array.from(v.value.data())).toEqual([1, 2]);
    });
  }
  it('maxIterations 0 takes no step; Infinity is allowed with data', () => {
    const v = w();
    expect(minimize(() => v.square().sum(), [v], { maxIterations: 0 }).iterations).toBe(0);
    const r = minimize(() => v.square().sum(), [v], { data: [1, 2, 3], maxIterations: Number.POSITIVE_INFINITY, lr: 0.1 });
    expect(r.iterations).toBe(3);
  });
});

describe('Optimizer.loadStateDict validates everything, leaks nothing, changes nothing on failure', () => {
  function trained(make: (ps: Variable[]) => Optimizer): { opt: Optimizer; sd: OptimizerState; w: Variable } {
    const w = variable([1, -2, 3]);
    const opt = make([w]);
    for (let i = 0; i < 2; i++) {
      scope(() => {
        opt.zeroGrad();
        w.square().sum().backward();
        opt.step();
      });
    }
    return { opt, sd: JSON.parse(JSON.stringify(opt.stateDict())), w };
  }
  const mutations: Array<[string, (sd: OptimizerState) => unknown]> = [
    ['null', () => null],
    ['a number', () => 5],
    ['state entries that are null', (sd) => ({ ...sd, state: [null] })],
    ['a state record that is an array', (sd) => ({ ...sd, state: [[1, 2]] })],
    ['a slot that is null', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvg: null }] })],
    ['a slot without shape', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvg: { data: [0, 0, 0] } }] })],
    ['a slot whose data has the wrong length', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvgSq: { shape: [3], data: [1, 2] } }] })],
    ['a slot whose data holds a string', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvgSq: { shape: [3], data: [1, 'x', 2] } }] })],
    ['a slot whose data holds NaN', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvgSq: { shape: [3], data: [1, null, 2] } }] })],
    ['an unknown slot name', (sd) => ({ ...sd, state: [{ ...sd.state[0], momentum: { shape: [3], data: [1, 1, 2] } }] })],
    ['a negative lr', (sd) => ({ ...sd, options: { ...sd.options, lr: -1 } })],
    ['a string lr', (sd) => ({ ...sd, options: { ...sd.options, lr: 'x' } })],
    ['a fractional step', (sd) => ({ ...sd, step: 1.5 })],
    ['a negative step', (sd) => ({ ...sd, step: -1 })],
    ['a missing step', (sd) => ({ ...sd, step: undefined })],
    ['options that are null', (sd) => ({ ...sd, options: null })],
    ['state that is not an array', (sd) => ({ ...sd, state: {} })],
    // a negative second moment makes √v̂ NaN and the parameter with it
    ['a negative expAvgSq', (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvgSq: { shape: [3], data: [1, -1e-3, 2] } }] })],
    ['a negative maxExpAvgSq', (sd) => ({ ...sd, state: [{ ...sd.state[0], maxExpAvgSq: { shape: [3], data: [-1, 1, 2] } }] })],
    // finite in float64, Infinity in the float32 parameter's state
    [
      'a value beyond float32 in a float32 state',
      (sd) => ({ ...sd, state: [{ ...sd.state[0], expAvg: { shape: [3], data: [1e39, 0, 0] } }] }),
    ],
    ['a saved beta1 of 1', (sd) => ({ ...sd, options: { ...sd.options, beta1: 1 } })],
    ['a saved eps of 0', (sd) => ({ ...sd, options: { ...sd.options, eps: 0 } })],
    ['a saved weightDecay of −1', (sd) => ({ ...sd, options: { ...sd.options, weightDecay: -1 } })],
    ['a saved amsgrad that is a string', (sd) => ({ ...sd, options: { ...sd.options, amsgrad: 'yes' } })],
    ['an unknown option', (sd) => ({ ...sd, options: { ...sd.options, momentum: 0.9 } })],
    ['steps of the wrong length', (sd) => ({ ...sd, steps: [2, 2] })],
    ['a negative per-parameter step', (sd) => ({ ...sd, steps: [-1] })],
    ['a per-parameter step beyond step', (sd) => ({ ...sd, steps: [3] })],
    ['steps that are not an array', (sd) => ({ ...sd, steps: 2 })],
  ];
  for (const [label, mutate] of mutations) {
    it(`refuses ${label}`, () => {
      const { opt, sd, w } = trained((ps) => new Adam(ps, { lr: 0.1 }));
      const snapshot = JSON.stringify(opt.stateDict());
      const bad = mutate(JSON.parse(JSON.stringify(sd)));
      const e = fails(() => opt.loadStateDict(bad as OptimizerState), GdError, /loadStateDict/);
      expect(e).not.toBeInstanceOf(TypeError);
      expect(JSON.stringify(opt.stateDict())).toBe(snapshot);
      opt.dispose();
      w.zeroGrad();
      w.value.dispose();
    });
  }
  it('a valid state round-trips with no tensor left behind', () => {
    const { opt, sd, w } = trained((ps) => new RMSprop(ps, { momentum: 0.5, centered: true }));
    const before = memory().tensors;
    opt.loadStateDict(sd);
    expect(memory().tensors).toBe(before);
    expect(JSON.parse(JSON.stringify(opt.stateDict()))).toEqual(sd);
    opt.dispose();
    w.value.dispose();
    w.zeroGrad();
  });
  it('names what is wrong: a negative second moment, an option out of range', () => {
    const { opt, sd, w } = trained((ps) => new Adam(ps, { lr: 0.1 }));
    const negative = { ...sd, state: [{ ...sd.state[0], expAvgSq: { shape: [3], data: [1, -0.5, 2] } }] };
    fails(
      () => opt.loadStateDict(negative),
      ValueError,
      /Adam\.loadStateDict: state 'expAvgSq' of parameter 0 holds -0\.5 at 1; .*never negative/,
    );
    fails(
      () => opt.loadStateDict({ ...sd, options: { ...sd.options, beta2: 1.5 } }),
      ValueError,
      /options\.beta2 must be .* \[0, 1\), got 1\.5/,
    );
    fails(() => opt.loadStateDict({ ...sd, options: { ...sd.options, foo: 1 } }), ValueError, /unknown option 'foo'; Adam has \[lr, beta1/);
    opt.dispose();
    w.zeroGrad();
    w.value.dispose();
  });

  it('refuses a centered RMSprop state whose squared mean exceeds its mean square (√ of a negative: NaN parameters)', () => {
    const { opt, sd, w } = trained((ps) => new RMSprop(ps, { centered: true }));
    const snapshot = JSON.stringify(opt.stateDict());
    const s = sd.state[0]!.squareAvg!.data;
    const bad = { ...sd, state: [{ ...sd.state[0], gradAvg: { shape: [3], data: [0, Math.sqrt(s[1]!) * 1.01, 0] } }] };
    fails(() => opt.loadStateDict(bad), ValueError, /state of parameter 0 at 1: squareAvg .* is below gradAvg²/);
    expect(JSON.stringify(opt.stateDict())).toBe(snapshot);
    // its own state, whatever the rounding, loads
    opt.loadStateDict(sd);
    opt.dispose();
    w.zeroGrad();
    w.value.dispose();
  });

  it('restores the saved hyper-parameters, as PyTorch restores param_groups', () => {
    const cases: Array<[string, (ps: Variable[]) => Optimizer, (ps: Variable[]) => Optimizer, Record<string, unknown>]> = [
      [
        'Adam',
        (ps) => new Adam(ps, { lr: 0.05, betas: [0.8, 0.99], eps: 1e-6, weightDecay: 0.1, amsgrad: true }),
        (ps) => new Adam(ps),
        { lr: 0.05, beta1: 0.8, beta2: 0.99, eps: 1e-6, weightDecay: 0.1, amsgrad: true },
      ],
      ['AdamW', (ps) => new AdamW(ps, { weightDecay: 0.2 }), (ps) => new AdamW(ps), { weightDecay: 0.2 }],
      [
        'SGD',
        (ps) => new SGD(ps, { lr: 0.3, momentum: 0.9, nesterov: true, weightDecay: 0.01 }),
        (ps) => new SGD(ps, { lr: 0.1 }),
        { lr: 0.3, momentum: 0.9, dampening: 0, nesterov: true, weightDecay: 0.01 },
      ],
      [
        'RMSprop',
        (ps) => new RMSprop(ps, { alpha: 0.9, momentum: 0.5, centered: true }),
        (ps) => new RMSprop(ps),
        { alpha: 0.9, momentum: 0.5, centered: true },
      ],
      ['Adagrad', (ps) => new Adagrad(ps, { lrDecay: 0.2, eps: 1e-8 }), (ps) => new Adagrad(ps), { lrDecay: 0.2, eps: 1e-8 }],
    ];
    for (const [name, saver, loader, want] of cases) {
      const { opt, sd, w } = trained(saver);
      const other = loader([w]);
      other.loadStateDict(sd);
      for (const [k, v] of Object.entries(want)) expect((other as unknown as Record<string, unknown>)[k], `${name}.${k}`).toBe(v);
      expect(JSON.parse(JSON.stringify(other.stateDict()))).toEqual(sd);
      opt.dispose();
      other.dispose();
      w.value.dispose();
    }
    // a saved Nesterov needs momentum: refused across options
    const { opt, sd, w } = trained((ps) => new SGD(ps, { lr: 0.1, momentum: 0.9, nesterov: true }));
    fails(
      () => opt.loadStateDict({ ...sd, options: { ...sd.options, momentum: 0 } }),
      ValueError,
      /Nesterov momentum requires momentum > 0/,
    );
    opt.dispose();
    w.zeroGrad();
    w.value.dispose();
  });

  it('loads zero-size slots', () => {
    const w = variable(zeros([0]));
    const opt = new Adam([w]);
    expect(() =>
      opt.loadStateDict({ type: 'Adam', options: { lr: 0.1 }, step: 0, state: [{ expAvg: { shape: [0], data: [] } }] }),
    ).not.toThrow();
    opt.dispose();
  });
});

describe('optim entry points refuse wrong types with a GdError', () => {
  // operands made once, outside the refused calls, so each call is checked to allocate nothing
  const v = variable([1]);
  const w = () => v;
  const x = zeros([2]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['batches of null', () => batches(null as never, { batchSize: 1 }), /batches: the dataset/],
    ['batches of a record holding a string', () => batches({ x: 'abc' } as never, { batchSize: 1 }), /entry 0 is string/],
    ['batches with null options', () => batches([x], null as never), /batches: options/],
    ['minimize with a non-function onStep', () => minimize(() => w().sum(), [w()], { onStep: 3 as never }), /onStep must be a function/],
    [
      'minimize with a non-function onEpoch',
      () => minimize(() => w().sum(), [w()], { onEpoch: 'x' as never }),
      /onEpoch must be a function/,
    ],
    ['minimize with a bad signal', () => minimize(() => w().sum(), [w()], { signal: {} as never }), /signal must be an AbortSignal/],
    ['minimize with non-iterable data', () => minimize(() => w().sum(), [w()], { data: 5 as never }), /data must be an iterable/],
    ['a schedule with null options', () => schedules.step(null as never), /schedules.step: options/],
    ['a schedule with a NaN lr', () => schedules.exponential({ lr: Number.NaN, gamma: 0.9 }), /lr must be/],
    ['exponential with gamma NaN', () => schedules.exponential({ lr: 1, gamma: Number.NaN }), /gamma/],
    ['cosine with a negative minLr', () => schedules.cosine({ lr: 1, steps: 10, minLr: -1 }), /minLr/],
    ['linearWarmup with a non-function after', () => schedules.linearWarmup({ lr: 1, warmupSteps: 2, after: 3 as never }), /after must be/],
  ];
  for (const [label, run, message] of cases) {
    it(label, () => {
      fails(run, GdError, message);
    });
  }
});

describe('an optimizer of one’s own', () => {
  it('restores its saved options through the default check (finite numbers, booleans), refusing others', () => {
    /** θ ← θ − lr·scale·g, optionally sign(g): two options of each kind, no state. */
    class Scaled extends Optimizer {
      scale = 2;
      signed = false;
      get type() {
        return 'Scaled';
      }
      protected get slotNames() {
        return [];
      }
      protected get options() {
        return { scale: this.scale, signed: this.signed };
      }
      protected update(_i: number, p: Variable, g: Tensor): void {
        const step = this.signed ? g.sign() : g;
        copyInto(p.value, p.value.sub(step.mul(this.lr * this.scale)));
      }
    }
    const w = variable([1, -2]);
    const a = new Scaled([w], 0.1);
    a.scale = 3;
    a.signed = true;
    const b = new Scaled([w], 0.1);
    b.loadStateDict(JSON.parse(JSON.stringify(a.stateDict())));
    expect([b.scale, b.signed]).toEqual([3, true]);
    fails(
      () => b.loadStateDict({ ...a.stateDict(), options: { lr: 0.1, scale: 'x' as never } }),
      ValueError,
      /Scaled\.loadStateDict: options\.scale must be a finite number/,
    );
    fails(
      () => b.loadStateDict({ ...a.stateDict(), options: { lr: 0.1, signed: 1 } }),
      ValueError,
      /options\.signed must be true or false/,
    );
    expect([b.scale, b.signed]).toEqual([3, true]);
    w.value.dispose();
  });
});
