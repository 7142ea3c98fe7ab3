import { type Variable, variable } from '@gd/autograd';
import { type GdError, scope, tensor, ValueError } from '@gd/tensor';
import { thrown } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  Adagrad,
  Adam,
  AdamW,
  createOptimizer,
  isOptimizerName,
  type Optimizer,
  optimizerNames,
  optimizers,
  RMSprop,
  SGD,
} from '../src/index.js';

// loss = Σ c·p², ∇ = 2c·p
const C = [1, 0.5, 3];

/** Three steps of `make`'s optimizer from the same start; the parameter after each. */
function trajectory(make: (p: Variable) => Optimizer): number[][] {
  const p = variable(tensor([1, -2, 0.5]));
  const opt = make(p);
  const out: number[][] = [];
  for (let i = 0; i < 3; i++) {
    scope(() => {
      opt.zeroGrad();
      p.square().mul(C).sum().backward();
      opt.step();
    });
    out.push(Array.from(p.value.data()));
  }
  opt.dispose();
  return out;
}

describe('the optimizer registry', () => {
  const direct: Record<string, (p: Variable) => Optimizer> = {
    sgd: (p) => new SGD([p], { lr: 0.05 }),
    momentum: (p) => new SGD([p], { lr: 0.05, momentum: 0.9 }),
    adam: (p) => new Adam([p], { lr: 0.05 }),
    adamw: (p) => new AdamW([p], { lr: 0.05 }),
    rmsprop: (p) => new RMSprop([p], { lr: 0.05 }),
    adagrad: (p) => new Adagrad([p], { lr: 0.05 }),
  };

  it('names every step() optimizer once, each with a label', () => {
    expect(optimizerNames).toEqual(Object.keys(direct));
    for (const name of optimizerNames) expect(optimizers[name].label.length).toBeGreaterThan(0);
  });

  for (const name of Object.keys(direct)) {
    it(`${name}: steps bit for bit as the class built by hand with the entry's preset`, () => {
      const got = trajectory((p) => createOptimizer(name, [p], { lr: 0.05 }));
      expect(got).toEqual(trajectory(direct[name]!));
      // and it moved: the first step changes every coordinate
      expect(got[0]!.every((v, i) => v !== [1, -2, 0.5][i])).toBe(true);
    });
  }

  it("momentum's preset is SGD's momentum 0.9, and the caller's options win over it", () => {
    const p = variable(tensor([1]));
    const opt = optimizers.momentum.create([p], { lr: 0.1 }) as SGD;
    expect(opt).toBeInstanceOf(SGD);
    expect(opt.momentum).toBe(0.9);
    const own = optimizers.momentum.create([p], { lr: 0.1, momentum: 0.5 }) as SGD;
    expect(own.momentum).toBe(0.5);
    opt.dispose();
    own.dispose();
  });

  it('an unknown name is a ValueError that lists the names', () => {
    const p = variable(tensor([1]));
    const e = thrown(() => createOptimizer('adamx', [p], { lr: 0.1 }));
    expect(e).toBeInstanceOf(ValueError);
    expect((e as GdError).message).toBe(
      'createOptimizer: unknown optimizer "adamx"; expected one of sgd, momentum, adam, adamw, rmsprop, adagrad',
    );
    expect(isOptimizerName('toString')).toBe(false);
    expect(isOptimizerName('adam')).toBe(true);
  });
});
