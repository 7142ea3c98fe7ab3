// The fused ops as Variables at their edges: linear with no input features differentiates (the
// bias's gradient the row count, the others empty) as PyTorch's; layerNorm and lstmSequence refuse
// a misspelt option key rather than leaving the setting at its default.

import { GdError, manualSeed, memory, randn, scope, tensor, ValueError, zeros } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { layerNorm, linear, lstmSequence, variable } from '../src/index.js';

const fails = failsWith(memory, GdError);

describe('fused Variable ops at the edges', () => {
  it('linear with no input features: y is the bias in each row, db the row count, dx and dW empty', () => {
    scope(() => {
      const x = variable(zeros([2, 3, 0]), { requiresGrad: true });
      const w = variable(zeros([4, 0]), { requiresGrad: true });
      const b = variable(tensor([1, 2, 3, 4]), { requiresGrad: true });
      const y = linear(x, w, b);
      expect(Array.from(y.value.data())).toEqual([1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]);
      y.sum().backward();
      expect(Array.from(b.grad!.data())).toEqual([6, 6, 6, 6]);
      expect(x.grad!.shape).toEqual([2, 3, 0]);
      expect(w.grad!.shape).toEqual([4, 0]);
    });
  });

  it('layerNorm and lstmSequence refuse an unknown option key', () => {
    manualSeed(2);
    scope(() => {
      const x = randn([2, 4]);
      fails(
        () => layerNorm(x, 4, { epsilon: 0.1 } as never),
        ValueError,
        /layerNorm: unknown option 'epsilon'; the options are weight, bias, eps/,
      );
      const [xg, whh, h0, c0] = [randn([3, 2, 8]), randn([8, 2]), randn([2, 2]), randn([2, 2])];
      fails(
        () => lstmSequence(xg, whh, h0, c0, { reversed: true } as never),
        ValueError,
        /lstmSequence: unknown option 'reversed'; the options are reverse/,
      );
      fails(() => lstmSequence(xg, whh, h0, c0, { reverse: 1 } as never), ValueError, /lstmSequence: reverse must be true or false, got 1/);
      // eps = 0.1 is honoured: the row [−1.5, −0.5, 0.5, 1.5] (variance 1.25) over √1.35
      const y = layerNorm(tensor([[-1.5, -0.5, 0.5, 1.5]]), 4, { eps: 0.1 }).value.data();
      for (let i = 0; i < 4; i++) expect(Math.abs(y[i]! - (i - 1.5) / Math.sqrt(1.35))).toBeLessThan(1e-6);
    });
  });
});
