// crossEntropy and nllLoss over PyTorch's [N, C, d1, …] inputs (classes on axis 1) with
// [N, d1, …] targets, against torch.nn.functional.cross_entropy / nll_loss (torch 1.13, float64).
import { variable } from '@gd/autograd';
import { arange, GdError, memory, ShapeError, scope, type Tensor, tensor } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { crossEntropy, nllLoss } from '../src/index.js';

const fails = failsWith(memory, GdError);
const T64 = { dtype: 'float64' } as const;
// x: [2, 3, 2, 2] logits, y: [2, 2, 2] class ids, w: class weights
const X = [0.2, -1.0, 1.5, 0.3, -0.7, 2.0, 0.1, -0.4, 1.1, 0.0, -2.0, 0.9, 0.5, 0.5, -1.2, 2.2, 1.3, -0.3, 0.8, 0.0, -0.6, 1.7, 0.4, -1.1];
const Y = [0, 1, 2, 1, 2, 0, 1, 1];
const W = [0.5, 2.0, 1.0];
const torch = {
  mean: 1.7532817642440612,
  gradMean: [
    -0.09266828400920615, 0.005251258266758256, 0.09790143593451484, 0.037665304310344136, 0.01314509476920674, -0.019525658189832554,
    0.024142196866975055, -0.10629596341665187, 0.07952318923999942, 0.01427439992307431, -0.1220436328014899, 0.06863065910630772,
    0.035128028899343335, -0.09879150472289812, 0.0093688480466506, 0.10891477679394282, 0.0781788660527548, 0.011776236033931282,
    -0.05577305620094186, -0.11293189873890251, -0.11330689495209813, 0.08701526868896683, 0.04640420815429126, 0.004017121944959683,
  ],
  none: [
    1.3522650696213985, 0.16984601955628548, 3.744352520513699, 1.899574376664101, 2.3693143813563826, 1.5622301318743892,
    0.590923589202036, 2.3377480251641987,
  ],
  weightedMean: 1.5970089567082923,
  smoothSum: 13.712920780619157,
  probMean: 1.6491580131535148,
  nllWeightedSum: 17.567098523791216,
  rank3None: [1.3522650696213985, 0.16984601955628548, 2.3693143813563826, 1.5622301318743892],
};
const near = (a: number, b: number, tol = 1e-12) => expect(Math.abs(a - b) <= tol, `${a} vs ${b}`).toBe(true);
const nearAll = (a: ArrayLike<number>, b: number[], tol = 1e-12) => {
  expect(a.length).toBe(b.length);
  for (let i = 0; i < b.length; i++) near(a[i]!, b[i]!, tol);
};

describe('crossEntropy / nllLoss with the class axis 1 of [N, C, d1, …]', () => {
  it('match PyTorch: mean, none, class weights, label smoothing, probability targets, and the gradient', () => {
    scope(() => {
      const x = tensor(X, { ...T64, shape: [2, 3, 2, 2] });
      const y = tensor(Y, { dtype: 'int32', shape: [2, 2, 2] });
      near((crossEntropy(x, y) as Tensor).item(), torch.mean);
      const none = crossEntropy(x, y, { reduction: 'none' }) as Tensor;
      expect(none.shape).toEqual([2, 2, 2]);
      nearAll(none.data(), torch.none);
      near((crossEntropy(x, y, { weight: tensor(W, T64) }) as Tensor).item(), torch.weightedMean);
      near((crossEntropy(x, y, { labelSmoothing: 0.2, reduction: 'sum' }) as Tensor).item(), torch.smoothSum);
      const p = arange(24, undefined, 1, 'float64').reshape([2, 3, 2, 2]).cos().mul(2).softmax(1);
      near((crossEntropy(x, p) as Tensor).item(), torch.probMean);
      const logp = x.logSoftmax(1);
      near((nllLoss(logp, y, { weight: tensor(W, T64), reduction: 'sum' }) as Tensor).item(), torch.nllWeightedSum);
      const v = variable(x);
      crossEntropy(v, y).backward();
      nearAll(v.grad!.data(), torch.gradMean);
    });
  });

  it('rank 3 ([N, C, T], a sequence of tokens)', () => {
    scope(() => {
      const x = tensor(X, { ...T64, shape: [2, 3, 2, 2] })
        .slice([0, 0, 0, 0], [2, 3, 1, 2])
        .reshape([2, 3, 2]);
      const y = tensor([0, 1, 2, 0], { dtype: 'int32', shape: [2, 2] });
      nearAll((crossEntropy(x, y, { reduction: 'none' }) as Tensor).data(), torch.rank3None);
    });
  });

  it('targets of the wrong shape are a ShapeError naming what was expected', () => {
    const x = tensor(X, { shape: [2, 3, 2, 2] });
    const y = tensor([0, 1, 2, 0], { dtype: 'int32', shape: [2, 2] });
    const p = tensor(X.slice(0, 12), { shape: [2, 3, 2] });
    fails(
      () => crossEntropy(x, y),
      ShapeError,
      /crossEntropy: targets \[2,2\] do not match input \[2,3,2,2\] \(expected class ids \[2,2,2\]\)/,
    );
    fails(
      () => crossEntropy(x, p),
      ShapeError,
      /crossEntropy: targets \[2,3,2\] do not match input \[2,3,2,2\] \(expected probabilities \[2,3,2,2\]\)/,
    );
    fails(() => nllLoss(x, y), ShapeError, /nllLoss: targets \[2,2\] do not match input \[2,3,2,2\]/);
  });
});
