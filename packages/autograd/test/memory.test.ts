import type { Tensor } from '@gd/tensor';
import { manualSeed, memory, randn, scope, tensor } from '@gd/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { type OpName, opTable, type Variable, variable } from '../src/index.js';
import { cases, constants } from './cases.js';

// One case per op of the op table (test/cases.ts), each a single recorded node (so the only tensors a correct
// forward and backward leave alive are the inputs, the output, the seed and one gradient per
// input that requires one). Everything runs outside any scope: a leak stays visible.
/** Every tensor alive at the end of the test is freed, so one case cannot hide another's leak. */
const owned: Array<Tensor | Variable> = [];
afterEach(() => {
  for (const o of owned.splice(0)) {
    if ('zeroGrad' in o) o.zeroGrad();
    else if (!o.isDisposed) o.dispose();
  }
});

describe('every gradient rule frees its temporaries', () => {
  it('has a case for every op in the table', () => {
    expect(Object.keys(cases).sort()).toEqual(Object.keys(opTable).sort());
  });

  for (const name of Object.keys(opTable) as OpName[]) {
    const arity = cases[name].f.length;
    // every subset of inputs that needs a gradient (at least one, or nothing is recorded)
    const patterns =
      arity === 1
        ? [[true]]
        : [
            [true, true],
            [true, false],
            [false, true],
          ];
    for (const needs of patterns) {
      it(`${name} (inputs needing grad: ${needs.map(Number).join('')}): after backward, exactly inputs + output + seed + gradients are alive`, () => {
        manualSeed(11);
        constants();
        const values = scope(() => cases[name].inputs());
        owned.push(...values);
        const vars = values.map((v, i) => variable(v, { requiresGrad: needs[i] }));
        const before = memory().tensors;
        const out = cases[name].f(...vars);
        owned.push(out.value);
        expect(memory().tensors, 'after forward').toBe(before + 1);
        const seed = randn(out.shape as number[]);
        owned.push(seed, ...vars);
        out.backward(seed);
        const grads = vars.filter((v) => v.requiresGrad);
        for (const v of grads) expect(v.grad?.shape).toEqual(v.shape);
        for (const v of vars.filter((v) => !v.requiresGrad)) expect(v.grad).toBeNull();
        expect(memory().tensors, 'after backward').toBe(before + 2 + grads.length);
      });
    }
  }

  it('memory stays flat over repeated forward/backward of a chain outside any scope', () => {
    manualSeed(2);
    const x = variable(randn([3, 4]));
    const w = variable(randn([4, 2]));
    const b = variable(randn([2]));
    owned.push(x, w, b, x.value, w.value, b.value);
    const step = () => {
      const y = x.matmul(w).add(b).tanh().pow(tensor(2)).maximum(0.1).softplus().mean();
      y.backward();
      for (const v of [x, w, b]) v.zeroGrad();
      return y;
    };
    step().value.dispose();
    const before = memory();
    for (let i = 0; i < 5; i++) {
      const y = step();
      // free the graph's values: everything reachable from y (constants included) but the parameters
      const stack: Variable[] = [y];
      const seen = new Set<Variable>([x, w, b]);
      while (stack.length > 0) {
        const v = stack.pop()!;
        if (seen.has(v)) continue;
        seen.add(v);
        v.value.dispose();
        stack.push(...v.parents);
      }
    }
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });
});
