// The sequence-model ops on Variables: the composed ones (var, std, split, chunk, permute,
// transpose(dim0, dim1)) and the GELU tanh form, checked in float64 against central differences,
// against the tensor ops' values, and for their typed errors.

import { GdError, IndexError, manualSeed, memory, randn, ShapeError, scope, type Tensor, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { concat, gradcheck, gradgradcheck, type Variable, variable } from '../src/index.js';

const fails = failsWith(memory, GdError);
const T64 = { dtype: 'float64' } as const;
const check = (f: (...xs: Variable[]) => Variable, inputs: Tensor[]) => {
  const r = gradcheck(f, inputs, { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
  expect(r.ok, JSON.stringify(r)).toBe(true);
  expect(r.maxRelError < 1e-6, JSON.stringify(r)).toBe(true);
};

describe('gradients of the composed sequence ops (float64, central differences)', () => {
  it('var and std, over one, several and negative axes, with correction and keepDims', () => {
    manualSeed(21);
    scope(() => {
      const x = randn([3, 4, 5], T64);
      check((v) => v.var(), [x]);
      check((v) => v.var(-1, { correction: 0 }), [x]);
      check((v) => v.std([0, -1], { keepDims: true }), [x]);
      check((v) => v.std(1, { correction: 2 }), [x]);
    });
  });

  it('split, chunk (every piece used), permute and transpose(dim0, dim1)', () => {
    manualSeed(22);
    scope(() => {
      const x = randn([2, 6, 3], T64);
      const w = randn([2, 6, 3], T64);
      // weights differ per piece, so a gradient sent to the wrong piece shows
      check(
        (v) =>
          concat(
            v.split([1, 3, 2], 1).map((p, i) => p.mul(i + 1)),
            1,
          )
            .mul(w)
            .sum(),
        [x],
      );
      check(
        (v) =>
          concat(
            v.chunk(3, -2).map((p, i) => p.square().mul(i - 1)),
            1,
          ).sum(),
        [x],
      );
      check(
        (v) =>
          v
            .permute([2, 0, 1])
            .mul(w.transpose([2, 0, 1]))
            .sum(),
        [x],
      );
      check((v) => v.transpose(-1, 0).mul(w.transpose(-1, 0)).sum(), [x]);
    });
  });

  it("gelu's tanh form, and second derivatives of both forms, var and std", () => {
    manualSeed(23);
    scope(() => {
      check((v) => v.gelu({ approximate: 'tanh' }), [randn([9], T64)]);
      const second = (f: (v: Variable) => Variable, x: Tensor) => {
        const r = gradgradcheck(f, [x], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 });
        expect(r.ok, JSON.stringify(r)).toBe(true);
      };
      second((v) => v.gelu({ approximate: 'tanh' }), randn([7], T64));
      second((v) => v.gelu(), randn([7], T64).mul(2));
      second((v) => v.var(-1), randn([3, 4], T64));
      second((v) => v.std(0, { correction: 0 }), randn([3, 4], T64));
    });
  });

  it('an attention head: causal mask, softmax, transposes and matmuls, end to end', () => {
    manualSeed(24);
    scope(() => {
      const [T, D] = [4, 3];
      const mask = tensor([
        [0, 1, 1, 1],
        [0, 0, 1, 1],
        [0, 0, 0, 1],
        [0, 0, 0, 0],
      ]);
      check(
        (q, k, val) =>
          q
            .matmul(k.transpose(-2, -1))
            .mul(1 / Math.sqrt(D))
            .maskedFill(mask, Number.NEGATIVE_INFINITY)
            .softmax(-1)
            .matmul(val)
            .gelu(),
        [randn([2, T, D], T64), randn([2, T, D], T64), randn([2, T, D], T64)],
      );
    });
  });
});

describe('values and errors', () => {
  it('the Variable methods compute what the tensor ops do', () => {
    manualSeed(25);
    scope(() => {
      const x = randn([3, 4, 5], T64);
      const v = variable(x);
      const same = (a: Variable, b: Tensor) => expect(Array.from(a.value.data())).toEqual(Array.from(b.data()));
      same(v.tril(1), x.tril(1));
      same(v.triu(-1), x.triu(-1));
      same(v.cumsum(-1), x.cumsum(-1));
      same(v.transpose(0, -1), x.transpose(0, -1));
      same(v.permute([1, 2, 0]), x.permute([1, 2, 0]));
      const vs = v.std([0, 2]).value;
      const xs = x.std([0, 2]);
      expect(Math.max(...Array.from(vs.sub(xs).abs().data())) < 1e-14).toBe(true);
      const t = v.topk(2, { axis: 1, largest: false });
      const u = x.topk(2, { axis: 1, largest: false });
      same(t.values, u.values);
      expect(Array.from(t.indices.data())).toEqual(Array.from(u.indices.data()));
      expect(v.chunk(2, 2).map((p) => p.shape)).toEqual([
        [3, 4, 3],
        [3, 4, 2],
      ]);
    });
  });

  it('bad input is a typed error and leaves nothing behind', () => {
    const v = variable(randn([2, 3]));
    fails(() => v.transpose(0, 2), IndexError, /transpose: axis 2 is out of range for rank 2/);
    fails(() => v.transpose(0 as never), IndexError, /transpose: two axes \(dim0, dim1\) or one permutation array expected/);
    fails(() => v.var(0, { correction: -1 }), ValueError, /var: correction must be a non-negative number, got -1/);
    fails(() => v.std([0, -2]), IndexError, /std: axes \[0,-2\] repeat an axis/);
    fails(() => v.split([1, 1], 1), ShapeError, /split: sizes \[1,1\] sum to 2, but axis 1 of \[2,3\] has length 3/);
    fails(() => v.chunk(0), ValueError, /chunk: n must be a positive integer, got 0/);
    fails(() => v.topk(4), ValueError, /topk: k must be an integer in 0..3/);
    fails(() => v.tril(0.5), ValueError, /tril: diagonal k must be an integer, got 0.5/);
    fails(() => v.maskedFill([1, 0], 0), ShapeError, /maskedFill: shapes \[2\] and \[2,3\] cannot broadcast/);
  });
});
