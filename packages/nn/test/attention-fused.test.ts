// The fused attention op (no [L, S] matrix) against the composed path it replaces: values and
// gradients in float64 within 1e-10 and float32 within 1e-5, for every mask kind and both layouts.
import { gradcheck, gradgradcheck, type Variable, variable } from '@gd/autograd';
import { fusedAttention, GdError, manualSeed, memory, randn, ShapeError, scope, type Tensor, tensor, ValueError } from '@gd/tensor';
import { fusedAttentionBackward } from '@gd/tensor/grad';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import { attention } from '../src/attention.js';
import { MultiheadAttention, scaledDotProductAttention } from '../src/index.js';

const fails = failsWith(memory, GdError);

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  if (a.length !== b.length) return Number.NaN;
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return m;
};

type Case = {
  name: string;
  shapes: [number[], number[], number[]];
  options: Parameters<typeof scaledDotProductAttention>[3];
  headsLast?: boolean;
};

const float = (shape: number[], data: number[], dtype: 'float32' | 'float64') => tensor(data, { dtype }).reshape(shape);
const mixed = (shape: number[]) => {
  // a float mask with forbidden (−∞) entries, never a whole row
  const n = shape.reduce((a, b) => a * b, 1);
  const last = shape[shape.length - 1]!;
  return Array.from({ length: n }, (_, i) => (i % last !== 0 && (i * 7) % 5 === 0 ? Number.NEGATIVE_INFINITY : ((i * 13) % 7) / 7 - 0.5));
};

const CASES: Case[] = [
  {
    name: 'no mask, [B, H, L, E], L ≠ S, Ev ≠ E',
    shapes: [
      [2, 3, 5, 8],
      [2, 3, 7, 8],
      [2, 3, 7, 6],
    ],
    options: {},
  },
  {
    name: 'causal, one head [L, E]',
    shapes: [
      [9, 4],
      [9, 4],
      [9, 4],
    ],
    options: { isCausal: true },
  },
  {
    name: 'causal, L < S, and a scale',
    shapes: [
      [2, 4, 5],
      [2, 6, 5],
      [2, 6, 3],
    ],
    options: { isCausal: true, scale: 0.3 },
  },
  {
    name: 'long rows over several key tiles',
    shapes: [
      [1, 2, 70, 8],
      [1, 2, 150, 8],
      [1, 2, 150, 8],
    ],
    options: { isCausal: true },
  },
  {
    name: 'float mask broadcast over batch and heads',
    shapes: [
      [2, 3, 4, 8],
      [2, 3, 6, 8],
      [2, 3, 6, 8],
    ],
    options: { attnMask: float([4, 6], mixed([4, 6]), 'float64') },
  },
  {
    name: 'float mask per batch [B, 1, L, S]',
    shapes: [
      [2, 3, 4, 8],
      [2, 3, 6, 8],
      [2, 3, 6, 8],
    ],
    options: { attnMask: float([2, 1, 4, 6], mixed([2, 1, 4, 6]), 'float64') },
  },
  {
    name: 'mask broadcast along the keys [L, 1], spelled out',
    shapes: [
      [2, 4, 8],
      [2, 6, 8],
      [2, 6, 8],
    ],
    options: { attnMask: float([4, 1], [0.5, -1, 2, 0], 'float64') },
  },
  {
    name: 'int32 mask (nonzero = not allowed)',
    shapes: [
      [3, 5, 4],
      [3, 6, 4],
      [3, 6, 4],
    ],
    options: { attnMask: tensor([[0, 1, 0, 0, 1, 0]], { dtype: 'int32' }) },
  },
  {
    name: 'three batch axes',
    shapes: [
      [2, 2, 2, 3, 4],
      [2, 2, 2, 5, 4],
      [2, 2, 2, 5, 4],
    ],
    options: {},
  },
  {
    name: '[N, T, H, E] (heads after positions), causal',
    shapes: [
      [2, 6, 3, 8],
      [2, 6, 3, 8],
      [2, 6, 3, 8],
    ],
    options: { isCausal: true },
    headsLast: true,
  },
  {
    name: '[N, T, H, E] with a float mask [N, 1, L, S]',
    shapes: [
      [2, 4, 2, 8],
      [2, 5, 2, 8],
      [2, 5, 2, 4],
    ],
    options: { attnMask: float([2, 1, 4, 5], mixed([2, 1, 4, 5]), 'float64') },
    headsLast: true,
  },
];

/** The fused op's output and gradients (of Σ out·w) against the composed path's. */
function compare(c: Case, dtype: 'float32' | 'float64'): { value: number; grads: number[]; fused: boolean } {
  return scope(() => {
    manualSeed(3);
    const ins = c.shapes.map((s) => randn(s, { dtype }));
    const mask = c.options?.attnMask;
    const options = { ...c.options, attnMask: mask && (mask as Tensor).dtype !== 'int32' ? (mask as Tensor).cast(dtype) : mask };
    let w: Tensor | undefined;
    const run = (needWeights: boolean) => {
      const [q, k, v] = ins.map((t) => variable(t));
      const [out] = attention('t', q!, k!, v!, options, needWeights, c.headsLast ?? false);
      w ??= randn(out.shape as number[], { dtype });
      out.mul(w).sum().backward();
      const grads = [q!, k!, v!].map((x) => {
        const g = x.grad!.data();
        x.zeroGrad();
        return g;
      });
      return { out: out.value.data(), op: out.op, grads };
    };
    const fused = run(false);
    const composed = run(true);
    return {
      value: maxDiff(fused.out, composed.out),
      grads: fused.grads.map((g, i) => maxDiff(g, composed.grads[i]!)),
      fused: fused.op === 'scaledDotProductAttention',
    };
  });
}

describe('fused scaledDotProductAttention matches the composed path', () => {
  for (const c of CASES) {
    it(`${c.name}: float64 within 1e-10, float32 within 1e-5`, () => {
      const before = memory().tensors;
      const d64 = compare(c, 'float64');
      expect(d64.fused).toBe(true);
      expect(d64.value).toBeLessThan(1e-10);
      for (const g of d64.grads) expect(g).toBeLessThan(1e-10);
      const d32 = compare(c, 'float32');
      expect(d32.value).toBeLessThan(1e-5);
      for (const g of d32.grads) expect(g).toBeLessThan(1e-5);
      expect(memory().tensors).toBe(before);
    });
  }

  it('a 2-key hand-worked example: weights e^{s}/(e^{s} + 1)', () => {
    scope(() => {
      const q = tensor([[[1, 0]]], { dtype: 'float64' });
      const k = tensor(
        [
          [
            [1, 0],
            [0, 1],
          ],
        ],
        { dtype: 'float64' },
      );
      const v = tensor(
        [
          [
            [10, 0],
            [0, 10],
          ],
        ],
        { dtype: 'float64' },
      );
      const out = fusedAttention(q, k, v).toArray() as number[][][];
      const a = Math.exp(1 / Math.SQRT2);
      expect(Math.abs(out[0]![0]![0]! - (10 * a) / (a + 1))).toBeLessThan(1e-12);
      expect(Math.abs(out[0]![0]![1]! - 10 / (a + 1))).toBeLessThan(1e-12);
    });
  });

  it('a row with every key forbidden is NaN, as the composed softmax gives', () => {
    scope(() => {
      const q = randn([1, 2, 4], { dtype: 'float64' });
      const k = randn([1, 3, 4], { dtype: 'float64' });
      const mask = tensor(
        [
          [0, 0, 0],
          [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY],
        ],
        { dtype: 'float64' },
      );
      const out = fusedAttention(q, k, k, { mask }).toArray() as number[][][];
      expect(out[0]![0]!.every(Number.isFinite)).toBe(true);
      expect(out[0]![1]!.every(Number.isNaN)).toBe(true);
    });
  });
});

describe('fused attention gradients by central differences (float64)', () => {
  it('gradcheck and gradgradcheck with a float mask that needs a gradient, causal, and [N, T, H, E]', () => {
    scope(() => {
      manualSeed(5);
      const q = randn([2, 3, 4], { dtype: 'float64' });
      const k = randn([2, 4, 4], { dtype: 'float64' });
      const v = randn([2, 4, 3], { dtype: 'float64' });
      const m = randn([3, 4], { dtype: 'float64' });
      const withMask = (a: Variable, b: Variable, c: Variable, d: Variable) => scaledDotProductAttention(a, b, c, { attnMask: d });
      expect(gradcheck(withMask, [q, k, v, m]).ok).toBe(true);
      expect(gradgradcheck(withMask, [q, k, v, m], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 }).ok).toBe(true);
      const causal = (a: Variable, b: Variable, c: Variable) => scaledDotProductAttention(a, b, c, { isCausal: true, scale: 0.8 });
      expect(gradcheck(causal, [q, k, v]).ok).toBe(true);
      const qh = randn([1, 3, 2, 4], { dtype: 'float64' });
      const kh = randn([1, 5, 2, 4], { dtype: 'float64' });
      const heads = (a: Variable, b: Variable, c: Variable) => attention('t', a, b, c, { isCausal: true }, false, true)[0];
      expect(gradcheck(heads, [qh, kh, kh]).ok).toBe(true);
      expect(gradgradcheck(heads, [qh, kh, kh], { eps: 1e-6, atol: 1e-5, rtol: 1e-3 }).ok).toBe(true);
    });
  });
});

describe('MultiheadAttention without weights takes the fused op', () => {
  it('gives the output of the composed path (weights asked), batchFirst and not, causal and key padding', () => {
    scope(() => {
      manualSeed(9);
      for (const batchFirst of [true, false]) {
        const mha = new MultiheadAttention(16, 4, { batchFirst, dtype: 'float64' });
        const x = randn(batchFirst ? [3, 7, 16] : [7, 3, 16], { dtype: 'float64' });
        const pad = tensor(
          [
            [0, 0, 0, 0, 0, 0, 1],
            [0, 0, 0, 0, 0, 0, 0],
            [0, 0, 0, 0, 1, 1, 1],
          ],
          { dtype: 'int32' },
        );
        for (const opts of [{ isCausal: true }, { keyPaddingMask: pad }, {}]) {
          const [fused] = mha.forward(x, x, x, { ...opts, needWeights: false });
          const [composed] = mha.forward(x, x, x, { ...opts, needWeights: true });
          expect(maxDiff(fused.value.data(), composed.value.data())).toBeLessThan(1e-10);
        }
      }
    });
  });
});

describe('fusedAttention refuses bad input with typed errors', () => {
  it('names the op, what was given and what was expected', () => {
    scope(() => {
      const q = randn([2, 3, 4]);
      const [k3, v4, k5, m43, m33, d] = [
        [2, 5, 3],
        [2, 5, 4],
        [3, 5, 4],
        [4, 3],
        [3, 3],
        [2, 3, 5],
      ].map((s) => randn(s)) as Tensor[];
      const ints = tensor([[1, 2]], { dtype: 'int32' });
      fails(() => fusedAttention(q, k3!, v4!), ShapeError, /fusedAttention: expected q \[\.\.\., L, E\].*k \[2,5,3\]/);
      fails(() => fusedAttention(q, k5!, k5!), ShapeError, /same batch axes/);
      fails(() => fusedAttention(q, q, q, { headsLast: true }), ShapeError, /headsLast/);
      fails(() => fusedAttention(q, q, q, { mask: m43 }), ShapeError, /mask \[4,3\] does not broadcast to the scores \[2,3,3\]/);
      fails(() => fusedAttention(q, q, q, { mask: m33, isCausal: true }), ValueError, /either a mask or isCausal/);
      fails(() => fusedAttention(q, q, q, { scale: Number.NaN }), ValueError, /scale must be a finite number/);
      fails(() => fusedAttention(ints, q, q), GdError, /q must be float32 or float64, got int32/);
      const out = fusedAttention(q, q, q);
      fails(() => fusedAttentionBackward(q, q, q, out, d!), ShapeError, /dout must be \[2,3,4\]/);
    });
  });
});
