import { variable } from '@gd/autograd';
import { GdError, memory, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  binaryCrossEntropy,
  crossEntropy,
  crossEntropyOf,
  entropy,
  hinge,
  huber,
  klDivergence,
  klDivergenceOf,
  mae,
  mse,
  nllLoss,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

describe('loss options are validated', () => {
  const id0 = tensor([0], { dtype: 'int32' });
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['huber delta 0', () => huber([0, 1], [1, 3], { delta: 0 }), /delta.*0/],
    ['huber delta negative', () => huber([0, 1], [1, 3], { delta: -1 }), /delta.*-1/],
    ['huber delta NaN', () => huber([0, 1], [1, 3], { delta: Number.NaN }), /delta.*NaN/],
    ['huber delta a string', () => huber([0, 1], [1, 3], { delta: '1' as never }), /delta/],
    ['hinge margin NaN', () => hinge([0.5], [1], { margin: Number.NaN }), /margin.*NaN/],
    ['hinge margin Infinity', () => hinge([0.5], [1], { margin: Number.POSITIVE_INFINITY }), /margin.*Infinity/],
    ['mse options null', () => mse([1], [2], null as never), /options/],
    ['mae options a number', () => mae([1], [2], 3 as never), /options/],
    ['crossEntropy options null', () => crossEntropy([[1, 2]], id0, null as never), /options/],
    [
      'crossEntropy with an unknown option key (PyTorch spelling)',
      () => crossEntropy([[1, 2]], id0, { label_smoothing: 0.1 } as never),
      /crossEntropy: unknown option 'label_smoothing' \(did you mean 'labelSmoothing'\?\); the options are reduction, weight, labelSmoothing$/,
    ],
    // every loss refuses a key it does not know (here each one's PyTorch or a misspelt name)
    ['mse reduce', () => mse([1], [2], { reduce: false } as never), /mse: unknown option 'reduce'; the options are reduction$/],
    ['mae size_average', () => mae([1], [2], { size_average: true } as never), /mae: unknown option 'size_average'/],
    ['huber beta', () => huber([1], [2], { beta: 1 } as never), /huber: unknown option 'beta'; the options are reduction, delta$/],
    [
      'hinge margins',
      () => hinge([0.5], [1], { margins: 1 } as never),
      /hinge: unknown option 'margins'; the options are reduction, margin$/,
    ],
    ['nllLoss ignore_index', () => nllLoss([[-1, -2]], id0, { ignore_index: -100 } as never), /nllLoss: unknown option 'ignore_index'/],
    [
      'binaryCrossEntropy pos_weight',
      () => binaryCrossEntropy([0.5], [1], { pos_weight: 2 } as never),
      /binaryCrossEntropy: unknown option 'pos_weight'; the options are reduction, weight$/,
    ],
    [
      'klDivergence log_target',
      () => klDivergence([[-1, -1]], [[0.5, 0.5]], { log_target: true } as never),
      /klDivergence: unknown option 'log_target' \(did you mean 'logTarget'\?\); the options are reduction, logTarget$/,
    ],
    [
      'entropy dim',
      () => entropy([0.5, 0.5], { dim: 0 } as never),
      /entropy: unknown option 'dim'; the options are base, axis, normalize$/,
    ],
    ['crossEntropyOf dim', () => crossEntropyOf([0.5, 0.5], [0.5, 0.5], { dim: 0 } as never), /crossEntropyOf: unknown option 'dim'/],
    ['nllLoss options null', () => nllLoss([[-1, -2]], id0, null as never), /options/],
    ['binaryCrossEntropy options null', () => binaryCrossEntropy([0.5], [1], null as never), /options/],
    ['klDivergence options null', () => klDivergence([[-1, -1]], [[0.5, 0.5]], null as never), /options/],
    ['entropy options null', () => entropy([0.5, 0.5], null as never), /options/],
    ['entropy of all zeros, normalized', () => entropy([0, 0, 0], { normalize: true }), /sums to 0/],
    [
      'entropy of a zero row among others, normalized',
      () =>
        entropy(
          [
            [1, 1],
            [0, 0],
          ],
          { normalize: true },
        ),
      /distribution 1.*sums to 0/,
    ],
    ['crossEntropyOf of all zeros, normalized', () => crossEntropyOf([0, 0], [0.5, 0.5], { normalize: true }), /sums to 0/],
    ['klDivergenceOf of infinite mass, normalized', () => klDivergenceOf([3e38, 3e38], [0.5, 0.5], { normalize: true }), /sums to/],
    ['entropy of a Variable of zeros, normalized', () => entropy(variable([0, 0]), { normalize: true }), /sums to 0/],
  ];
  for (const [label, run, message] of cases) {
    it(`refuses ${label} with a ValueError and leaks nothing`, () => {
      // a case that builds a Variable keeps it: only the others are checked for leaks
      fails(run, ValueError, message, { leakCheck: !label.includes('Variable') });
    });
  }
  it('crossEntropy with its known keys still honours them: labelSmoothing 0.5 at class 0 of [2, 0] is 0.5·(lse − 2) + 0.5·(lse − 1)', () => {
    const lse = Math.log(Math.exp(2) + 1);
    const got = crossEntropy([[2, 0]], id0, { labelSmoothing: 0.5, reduction: 'sum' }).item();
    expect(Math.abs(got - (0.5 * (lse - 2) + 0.5 * (lse - 1)))).toBeLessThan(1e-6);
  });
  it('huber with a valid delta still matches the hand-computed value', () => {
    // d = [1, 2], δ = 1.5: ½·1² = 0.5 and 1.5·(2 − 0.75) = 1.875
    expect(huber([0, 0], [1, 2], { delta: 1.5, reduction: 'sum' }).item()).toBeCloseTo(2.375, 6);
  });
});
