import type { Tensor } from '@gd/tensor';
import { manualSeed, memory, rand, randn, tensor } from '@gd/tensor';
import { afterEach, describe, expect, it } from 'vitest';
import { concat, type OpName, opTable, type Variable, variable } from '../src/index.js';

// One case per op of the op table, each a single recorded node (so the only tensors a correct
// forward and backward leave alive are the inputs, the output, the seed and one gradient per
// input that requires one). Everything runs outside any scope: a leak stays visible.
type Case = { f: (...xs: Variable[]) => Variable; inputs: () => Tensor[] };
const pos = (shape: number[]) => rand(shape, { low: 0.5, high: 2 });
let mask: Tensor;
let ids: Tensor;

const cases: Record<OpName, Case> = {
  add: { f: (a, b) => a.add(b), inputs: () => [randn([3, 4]), randn([4])] },
  sub: { f: (a, b) => a.sub(b), inputs: () => [randn([2, 1, 3]), randn([4, 1])] },
  mul: { f: (a, b) => a.mul(b), inputs: () => [randn([3, 1]), randn([1, 5])] },
  div: { f: (a, b) => a.div(b), inputs: () => [randn([2, 3]), pos([3])] },
  pow: { f: (a, b) => a.pow(b), inputs: () => [pos([2, 3]), randn([3])] },
  squaredError: { f: (a, b) => a.squaredError(b, 0.25), inputs: () => [randn([3, 4]), randn([3, 4])] },
  maximum: { f: (a, b) => a.maximum(b), inputs: () => [randn([2, 3]), randn([3])] },
  minimum: { f: (a, b) => a.minimum(b), inputs: () => [randn([2, 3]), randn([3])] },
  neg: { f: (x) => x.neg(), inputs: () => [randn([5])] },
  abs: { f: (x) => x.abs(), inputs: () => [randn([2, 5])] },
  sqrt: { f: (x) => x.sqrt(), inputs: () => [pos([7])] },
  exp: { f: (x) => x.exp(), inputs: () => [randn([3, 3])] },
  log: { f: (x) => x.log(), inputs: () => [pos([3, 3])] },
  log1p: { f: (x) => x.log1p(), inputs: () => [rand([3, 4], { low: -0.5, high: 2 })] },
  expm1: { f: (x) => x.expm1(), inputs: () => [randn([3, 4])] },
  square: { f: (x) => x.square(), inputs: () => [randn([6])] },
  reciprocal: { f: (x) => x.reciprocal(), inputs: () => [pos([5])] },
  relu: { f: (x) => x.relu(), inputs: () => [randn([9])] },
  leakyRelu: { f: (x) => x.leakyRelu(0.1), inputs: () => [randn([9])] },
  gelu: { f: (x) => x.gelu(), inputs: () => [randn([9])] },
  softplus: { f: (x) => x.softplus(), inputs: () => [randn([4, 5])] },
  sigmoid: { f: (x) => x.sigmoid(), inputs: () => [randn([4, 5])] },
  tanh: { f: (x) => x.tanh(), inputs: () => [randn([4, 5])] },
  clamp: { f: (x) => x.clamp(-0.5, 0.5), inputs: () => [randn([3, 4])] },
  where: { f: (a, b) => a.where(mask, b), inputs: () => [randn([2, 3]), randn([3])] },
  matmul: { f: (a, b) => a.matmul(b), inputs: () => [randn([2, 3, 4]), randn([4, 5])] },
  sum: { f: (x) => x.sum(1, true), inputs: () => [randn([3, 4, 2])] },
  mean: { f: (x) => x.mean([0, 2]), inputs: () => [randn([3, 4, 2])] },
  max: { f: (x) => x.max(1), inputs: () => [randn([3, 5])] },
  min: { f: (x) => x.min(0), inputs: () => [randn([3, 5])] },
  logSumExp: { f: (x) => x.logSumExp(-1), inputs: () => [randn([3, 6])] },
  softmax: { f: (x) => x.softmax(0), inputs: () => [randn([4, 3])] },
  logSoftmax: { f: (x) => x.logSoftmax(-1), inputs: () => [randn([3, 5])] },
  reshape: { f: (x) => x.reshape([6, -1]), inputs: () => [randn([2, 3, 4])] },
  transpose: { f: (x) => x.transpose([2, 0, 1]), inputs: () => [randn([2, 3, 4])] },
  broadcastTo: { f: (x) => x.broadcastTo([4, 3, 2]), inputs: () => [randn([3, 1])] },
  slice: { f: (x) => x.slice([1, -3], [2, 2]), inputs: () => [randn([4, 5])] },
  gather: { f: (x) => x.gather(ids, 1), inputs: () => [randn([2, 3, 2])] },
  concat: { f: (a, b) => concat([a, b], 1), inputs: () => [randn([2, 3]), randn([2, 2])] },
  conv2d: { f: (x, w) => x.conv2d(w, undefined, { padding: 1, groups: 2 }), inputs: () => [randn([2, 4, 5, 5]), randn([6, 2, 3, 3])] },
  convTranspose2d: {
    f: (x, w) => x.convTranspose2d(w, undefined, { stride: 2 }),
    inputs: () => [randn([2, 3, 4, 4]), randn([3, 2, 3, 3])],
  },
  maxPool2d: { f: (x) => x.maxPool2d(2), inputs: () => [randn([2, 3, 6, 6])] },
  avgPool2d: { f: (x) => x.avgPool2d(3, { stride: 2, padding: 1 }), inputs: () => [randn([2, 3, 6, 6])] },
  adaptiveAvgPool2d: { f: (x) => x.adaptiveAvgPool2d([2, 3]), inputs: () => [randn([2, 3, 5, 7])] },
};

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
        mask = tensor([[1, 0, 1]], { dtype: 'int32' });
        ids = tensor([2, 0, 2, 1], { dtype: 'int32' });
        owned.push(mask, ids);
        const values = cases[name].inputs();
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
