// Options of the fused ops (layerNorm, lstmSequence, fusedAttention) are checked: a misspelt key or a
// wrong-typed flag is a ValueError naming it, not a setting silently left at its default; and the
// odd-but-valid shapes give PyTorch's values.
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { lstmSequenceBackward } from '../src/grad.js';
import {
  fusedAttention,
  GdError,
  layerNorm,
  lstmSequence,
  manualSeed,
  memory,
  randn,
  ShapeError,
  scope,
  tensor,
  ValueError,
  zeros,
} from '../src/index.js';

const fails = failsWith(memory, GdError);

describe('fused ops: options', () => {
  it('layerNorm refuses an unknown option key, naming it and the keys accepted', () => {
    scope(() => {
      const x = tensor([[1, 2, 3]]);
      const w = tensor([1, 2, 3]);
      fails(
        () => layerNorm(x, 3, { epsilon: 1 } as never),
        ValueError,
        /layerNorm: unknown option 'epsilon'; the options are weight, bias, eps/,
      );
      fails(() => layerNorm(x, 3, { weights: w } as never), ValueError, /layerNorm: unknown option 'weights'/);
      fails(() => layerNorm(x, 3, null as never), ValueError, /layerNorm: options must be an object, got null/);
      // the accepted keys still work: eps = 1 changes the result from the default's
      const y = layerNorm(x, 3, { eps: 1 }).data();
      const expected = [-1, 0, 1].map((d) => d / Math.sqrt(2 / 3 + 1));
      for (let i = 0; i < 3; i++) expect(Math.abs(y[i]! - expected[i]!)).toBeLessThan(1e-6);
    });
  });

  it('lstmSequence refuses an unknown option key and a reverse that is not a boolean', () => {
    manualSeed(3);
    scope(() => {
      const [xg, whh, h0, c0] = [randn([4, 3, 8]), randn([8, 2]), randn([3, 2]), randn([3, 2])];
      fails(
        () => lstmSequence(xg, whh, h0, c0, { reversed: true } as never),
        ValueError,
        /lstmSequence: unknown option 'reversed'; the options are reverse/,
      );
      fails(
        () => lstmSequence(xg, whh, h0, c0, { reverse: 'no' } as never),
        ValueError,
        /lstmSequence: reverse must be true or false, got no/,
      );
      const fwd = lstmSequence(xg, whh, h0, c0, { reverse: false }).data();
      const rev = lstmSequence(xg, whh, h0, c0, { reverse: true }).data();
      expect(Array.from(fwd)).toEqual(Array.from(lstmSequence(xg, whh, h0, c0).data()));
      expect(Array.from(rev)).not.toEqual(Array.from(fwd));
    });
  });

  it('lstmSequenceBackward names a rank-1 h0 as such', () => {
    manualSeed(4);
    scope(() => {
      const [xg, whh, h0, c0] = [randn([4, 3, 8]), randn([8, 2]), randn([3, 2]), randn([3, 2])];
      const y = lstmSequence(xg, whh, h0, c0);
      const needs = { whh: true, h0: true, c0: true };
      const [gy, h1] = [zeros(y.shape), zeros([2])];
      fails(
        () => lstmSequenceBackward(gy, whh, h1, c0, y, false, needs),
        ShapeError,
        /lstmSequenceBackward: h0 must be \[n, hidden\], got \[2\]/,
      );
    });
  });

  it('fusedAttention refuses an unknown option key, null options and a non-boolean headsLast', () => {
    manualSeed(5);
    scope(() => {
      const [q, k, v] = [randn([1, 2, 3, 4]), randn([1, 2, 5, 4]), randn([1, 2, 5, 4])];
      fails(
        () => fusedAttention(q, k, v, { causal: true } as never),
        ValueError,
        /fusedAttention: unknown option 'causal'; the options are scale, isCausal, mask, headsLast/,
      );
      fails(() => fusedAttention(q, k, v, null as never), ValueError, /fusedAttention: options must be an object, got null/);
      fails(() => fusedAttention(q, k, v, { headsLast: 1 } as never), ValueError, /fusedAttention: headsLast must be true or false, got 1/);
    });
  });

  it('fusedAttention with no features (E = 0) needs a scale (1/√0 is infinite); with one, every key weighs alike', () => {
    scope(() => {
      const [q, k] = [zeros([1, 1, 3, 0]), zeros([1, 1, 5, 0])];
      const v = tensor([
        [
          [
            [1, 2],
            [3, 4],
            [5, 6],
            [7, 8],
            [9, 10],
          ],
        ],
      ]);
      fails(
        () => fusedAttention(q, k, v),
        ValueError,
        /fusedAttention: q and k have no features \(E = 0, .*\), so the default scale 1\/√E is infinite; pass a finite scale/,
      );
      // the scores are all 0: softmax is uniform, each row the mean of v's rows [5, 6]
      expect(Array.from(fusedAttention(q, k, v, { scale: 1 }).data())).toEqual([5, 6, 5, 6, 5, 6]);
    });
  });

  it('fusedAttention over no keys is 0, as softmax(q·kᵀ)·v composed (an empty sum)', () => {
    manualSeed(6);
    scope(() => {
      for (const dtype of ['float32', 'float64'] as const) {
        const out = fusedAttention(randn([1, 2, 3, 4], { dtype }), zeros([1, 2, 0, 4], { dtype }), zeros([1, 2, 0, 5], { dtype }));
        expect(out.shape).toEqual([1, 2, 3, 5]);
        expect(Array.from(out.data())).toEqual(new Array(30).fill(0));
      }
    });
  });
});
