// crossEntropy at int32 class ids without class weights runs one fused op (@gd/tensor's
// softmaxCrossEntropy): its loss and gradient are the general path's (nllLoss of logSoftmax) bit
// for bit, label smoothing agrees with smoothed probability targets, and every form (reductions,
// [C], [N, C, d]) passes gradcheck in float64.
import { gradcheck, type Variable, variable } from '@gd/autograd';
import { manualSeed, memory, randn, scope, type Tensor, tensor } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { crossEntropy, nllLoss } from '../src/index.js';

const ids = (n: number, c: number, seed = 0) => tensor(Int32Array.from({ length: n }, (_, i) => (i * 7919 + seed) % c));
const bits = (t: Tensor) => Array.from(new Uint32Array(t.data().buffer));

describe('crossEntropy at class ids, fused', () => {
  for (const reduction of ['mean', 'sum', 'none'] as const) {
    it(`${reduction}: loss and gradient equal nllLoss(logSoftmax) bit for bit (C = 1001, body and tail)`, () => {
      scope(() => {
        manualSeed(21);
        const z = randn([37, 1001]).mul(3);
        const y = ids(37, 1001, 5);
        const seed = reduction === 'none' ? randn([37]) : undefined;
        const run = (fused: boolean) => {
          const x = variable(z);
          const l = fused ? crossEntropy(x, y, { reduction }) : nllLoss(x.logSoftmax(-1), y, { reduction });
          l.backward(seed);
          return [bits(l.value), bits(x.grad!)];
        };
        const [lossF, gradF] = run(true);
        const [lossG, gradG] = run(false);
        expect(lossF).toEqual(lossG);
        expect(gradF).toEqual(gradG);
      });
    });
  }

  it('label smoothing ε equals probability targets (1 − ε)·onehot + ε/C, value and gradient', () => {
    scope(() => {
      manualSeed(22);
      const [n, c, eps] = [6, 9, 0.15];
      const z = randn([n, c]).mul(2);
      const y = ids(n, c, 2);
      const yv = y.data();
      const q = Array.from({ length: n }, (_, i) => Array.from({ length: c }, (_, j) => (j === yv[i] ? 1 - eps : 0) + eps / c));
      const xa = variable(z);
      const a = crossEntropy(xa, y, { labelSmoothing: eps });
      a.backward();
      const xb = variable(z);
      const b = crossEntropy(xb, q);
      b.backward();
      expect(Math.abs(a.item() - b.item())).toBeLessThan(1e-6);
      const [ga, gb] = [xa.grad!.data(), xb.grad!.data()];
      for (let i = 0; i < ga.length; i++) expect(Math.abs(ga[i]! - gb[i]!), `grad[${i}]`).toBeLessThan(1e-7);
    });
  });

  const forms: Array<[string, (x: Variable) => Variable, number[]]> = [
    ['[N, C] mean', (x) => crossEntropy(x, ids(4, 5, 1)), [4, 5]],
    ['[N, C] sum, label smoothing 0.2', (x) => crossEntropy(x, ids(4, 5, 2), { reduction: 'sum', labelSmoothing: 0.2 }), [4, 5]],
    ['[N, C] none, label smoothing 1', (x) => crossEntropy(x, ids(3, 7, 3), { reduction: 'none', labelSmoothing: 1 }), [3, 7]],
    ['[C] with one class id', (x) => crossEntropy(x, tensor(2, { dtype: 'int32' })), [5]],
    [
      '[N, C, d] class ids per position',
      (x) =>
        crossEntropy(
          x,
          tensor(
            [
              [0, 2, 1],
              [1, 1, 0],
            ],
            { dtype: 'int32' },
          ),
        ),
      [2, 3, 3],
    ],
  ];
  for (const [name, f, shape] of forms) {
    it(`${name}: float64 gradient agrees with central differences`, () => {
      scope(() => {
        manualSeed(23);
        const r = gradcheck(f, [randn(shape, { dtype: 'float64' })], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.ok, JSON.stringify(r)).toBe(true);
        // central differences of a loss L ~ 10 carry ~1e-16·L/2ε ≈ 1e-9 of rounding, 1e-7 of a small component
        expect(r.maxRelError).toBeLessThan(1e-6);
      });
    });
  }

  it('a training loop over the fused loss leaks nothing', () => {
    const before = memory();
    const x = variable(randn([16, 33]));
    const y = ids(16, 33);
    for (let step = 0; step < 5; step++) {
      scope(() => {
        crossEntropy(x, y).backward();
        x.zeroGrad();
      });
    }
    x.value.dispose();
    y.dispose();
    expect(memory().tensors).toBe(before.tensors);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
  });
});
