import { gradcheck } from '@gd/autograd';
import { GdError, manualSeed, memory, randn, ShapeError, scope, tensor, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  causalMask,
  copyModule,
  LayerNorm,
  Linear,
  MultiheadAttention,
  Sequential,
  scaledDotProductAttention,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';

const fails = failsWith(memory, GdError);
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    if (!(d <= m)) m = d;
  }
  return a.length === b.length ? m : Number.NaN;
};

describe('scaledDotProductAttention', () => {
  it('computes softmax(q·kᵀ/√E + mask)·v (hand-worked 1×2 example)', () => {
    scope(() => {
      // q·kᵀ/√2 = [1/√2, 0]: weights e^{1/√2}/(e^{1/√2} + 1) and 1/(e^{1/√2} + 1)
      const q = tensor([[1, 0]], { dtype: 'float64' });
      const k = tensor(
        [
          [1, 0],
          [0, 1],
        ],
        { dtype: 'float64' },
      );
      const v = tensor([[10], [20]], { dtype: 'float64' });
      const w = Math.exp(Math.SQRT1_2) / (Math.exp(Math.SQRT1_2) + 1);
      expect(scaledDotProductAttention(q, k, v).item()).toBeCloseTo(10 * w + 20 * (1 - w), 12);
      // scale 0 gives the plain mean; an int32 mask forbids the second key
      expect(scaledDotProductAttention(q, k, v, { scale: 0 }).item()).toBe(15);
      expect(scaledDotProductAttention(q, k, v, { attnMask: tensor([[0, 1]], { dtype: 'int32' }) }).item()).toBe(10);
    });
  });

  it('an int32 mask is the same as a float mask of 0 / −∞; isCausal is the lower-triangular one', () => {
    manualSeed(3);
    scope(() => {
      const [q, k, v] = [randn([2, 4, 3]), randn([2, 4, 3]), randn([2, 4, 5])];
      const bool = tensor(
        [
          [0, 1, 1, 1],
          [0, 0, 1, 1],
          [0, 0, 0, 1],
          [0, 0, 0, 0],
        ],
        { dtype: 'int32' },
      );
      const inf = Number.NEGATIVE_INFINITY;
      const float = tensor([
        [0, inf, inf, inf],
        [0, 0, inf, inf],
        [0, 0, 0, inf],
        [0, 0, 0, 0],
      ]);
      const a = scaledDotProductAttention(q, k, v, { attnMask: bool }).value.data();
      const b = scaledDotProductAttention(q, k, v, { attnMask: float }).value.data();
      const c = scaledDotProductAttention(q, k, v, { isCausal: true }).value.data();
      expect(maxDiff(a, b)).toBe(0);
      expect(maxDiff(a, c)).toBe(0);
      // the first query sees only the first key: its output is v's first row
      expect(Array.from(a.slice(0, 5))).toEqual(Array.from(v.data().slice(0, 5)));
    });
  });

  it('refuses mismatched shapes and options, naming what was given', () => {
    manualSeed(0);
    const [q, k, v] = [randn([2, 3]), randn([4, 3]), randn([4, 2])];
    fails(
      () => scaledDotProductAttention(q, randn([4, 2]), v),
      ShapeError,
      /scaledDotProductAttention: expected q \[\.\.\., L, E\].*k \[4,2\]/,
      {
        leakCheck: false,
      },
    );
    fails(() => scaledDotProductAttention(q, k, v, { attnMask: randn([3, 4]) }), ShapeError, /attnMask \[3,4\] does not broadcast/, {
      leakCheck: false,
    });
    fails(
      () => scaledDotProductAttention(q, k, v, { isCausal: true, attnMask: randn([2, 4]) }),
      ValueError,
      /either attnMask or isCausal/,
      {
        leakCheck: false,
      },
    );
    fails(() => scaledDotProductAttention(q, k, v, { dropoutP: 1 }), ValueError, /dropoutP must be in \[0, 1\), got 1/);
  });
});

describe('MultiheadAttention', () => {
  it('has PyTorch’s keys and init: Xavier-uniform projections, zero biases', () => {
    manualSeed(0);
    const mha = new MultiheadAttention(32, 4);
    expect(Object.entries(mha.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`)).toEqual([
      'in_proj_weight:96x32',
      'in_proj_bias:96',
      'out_proj.weight:32x32',
      'out_proj.bias:32',
    ]);
    const w = Array.from(mha.in_proj_weight!.value.data());
    const bound = Math.sqrt(6 / (32 + 96));
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.95 * bound);
    expect(Array.from(mha.in_proj_bias!.value.data()).every((x) => x === 0)).toBe(true);
    expect(Array.from(mha.out_proj.bias!.value.data()).every((x) => x === 0)).toBe(true);
    const split = new MultiheadAttention(8, 2, { kdim: 3, vdim: 5, bias: false });
    expect(Object.entries(split.stateDict()).map(([k, t]) => `${k}:${t.shape.join('x')}`)).toEqual([
      'q_proj_weight:8x8',
      'k_proj_weight:8x3',
      'v_proj_weight:8x5',
      'out_proj.weight:8x8',
    ]);
    mha.dispose();
    split.dispose();
  });

  it('unbatched input gives the batched result without the batch axis; dropout only in training', () => {
    manualSeed(1);
    const mha = new MultiheadAttention(8, 2, { dropout: 0.5 });
    scope(() => {
      const x = randn([5, 8]);
      mha.eval();
      const [y1, w1] = mha.forward(x, x, x);
      const [yb, wb] = mha.forward(x.reshape([5, 1, 8]), x.reshape([5, 1, 8]), x.reshape([5, 1, 8]));
      expect(y1.shape).toEqual([5, 8]);
      expect(w1!.shape).toEqual([5, 5]);
      expect(maxDiff(y1.value.data(), yb.value.data())).toBe(0);
      expect(maxDiff(w1!.value.data(), wb!.value.data())).toBe(0);
      // each row of averaged weights sums to 1
      for (const s of w1!.sum(-1).value.data()) expect(s).toBeCloseTo(1, 6);
      mha.train();
      expect(maxDiff(mha.forward(x, x, x)[0].value.data(), y1.value.data())).toBeGreaterThan(1e-3);
    });
    mha.dispose();
  });

  it('refuses bad configuration and inputs with typed errors', () => {
    fails(() => new MultiheadAttention(10, 3), ValueError, /embedDim 10 must be divisible by numHeads 3/);
    fails(() => new MultiheadAttention(8, 0), ValueError, /numHeads must be a positive integer, got 0/);
    manualSeed(0);
    const mha = new MultiheadAttention(8, 2);
    const x = randn([4, 2, 8]);
    fails(
      () => mha.forward(x, x, randn([4, 2, 6])),
      ShapeError,
      /expected query \[L, N, 8\].*value \[S, N, 8\].*got \[4,2,8\], \[4,2,8\], \[4,2,6\]/,
      {
        leakCheck: false,
      },
    );
    fails(() => mha.forward(x, x, x, { attnMask: randn([4, 3]) }), ShapeError, /attnMask must be \[4, 4\] or \[4, 4, 4\].*got \[4,3\]/, {
      leakCheck: false,
    });
    fails(
      () => mha.forward(x, x, x, { keyPaddingMask: tensor([[0, 0, 0, 1]], { dtype: 'int32' }) }),
      ShapeError,
      /keyPaddingMask must be \[2,4\]/,
      {
        leakCheck: false,
      },
    );
    mha.dispose();
  });
});

describe('TransformerEncoder', () => {
  it('holds independent deep copies under layers.N, and names the failing sub-module in errors', () => {
    manualSeed(2);
    const layer = new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true });
    const enc = new TransformerEncoder(layer, 2, { norm: new LayerNorm(8) });
    const keys = Object.keys(enc.stateDict());
    expect(keys.slice(0, 3)).toEqual([
      'layers.0.self_attn.in_proj_weight',
      'layers.0.self_attn.in_proj_bias',
      'layers.0.self_attn.out_proj.weight',
    ]);
    expect(keys).toContain('layers.1.norm2.bias');
    expect(keys.slice(-2)).toEqual(['norm.weight', 'norm.bias']);
    expect(keys.length).toBe(2 * 12 + 2);
    const l0 = enc.layers.at(0);
    const l1 = enc.layers.at(1);
    expect(Array.from(l0.linear1.weight.value.data())).toEqual(Array.from(layer.linear1.weight.value.data()));
    expect(l0.linear1.weight).not.toBe(l1.linear1.weight);
    expect(l0.linear1.weight.value).not.toBe(layer.linear1.weight.value);
    layer.dispose(); // the template is not part of the encoder
    expect(Array.from(l1.linear1.weight.value.data()).length).toBe(16 * 8);
    const e = fails(
      () => enc.forward(randn([2, 3, 6])),
      ShapeError,
      /^TransformerEncoder\.layers\[0\]\.self_attn \(MultiheadAttention\): MultiheadAttention: expected query/,
      {
        leakCheck: false,
      },
    );
    expect(e).toBeInstanceOf(ShapeError);
    enc.dispose();
  });
});

describe('TransformerDecoder', () => {
  it('has PyTorch’s keys: self_attn, multihead_attn, linear1/2, norm1/2/3, under layers.N', () => {
    manualSeed(0);
    const dec = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16 }), 2);
    const keys = Object.keys(dec.stateDict());
    expect(keys.length).toBe(2 * 18);
    expect(keys.slice(4, 8)).toEqual([
      'layers.0.multihead_attn.in_proj_weight',
      'layers.0.multihead_attn.in_proj_bias',
      'layers.0.multihead_attn.out_proj.weight',
      'layers.0.multihead_attn.out_proj.bias',
    ]);
    expect(keys.slice(-2)).toEqual(['layers.1.norm3.weight', 'layers.1.norm3.bias']);
    fails(
      () => new TransformerDecoder(new TransformerEncoderLayer(8, 2) as never, 2),
      ValueError,
      /layer must be a TransformerDecoderLayer, got TransformerEncoderLayer/,
      {
        leakCheck: false,
      },
    );
    dec.dispose();
  });
});

describe('gradients by central differences (float64)', () => {
  it('scaledDotProductAttention with a float mask', () => {
    manualSeed(6);
    scope(() => {
      const mask = randn([3, 4], { dtype: 'float64' });
      const r = gradcheck(
        (q, k, v) => scaledDotProductAttention(q!, k!, v!, { attnMask: mask }),
        [randn([2, 3, 2], { dtype: 'float64' }), randn([2, 4, 2], { dtype: 'float64' }), randn([2, 4, 3], { dtype: 'float64' })],
      );
      expect(r.ok).toBe(true);
    });
  });
});

describe('copyModule', () => {
  it('copies parameters and buffers into new tensors, keeps sharing inside the copy', () => {
    manualSeed(7);
    const net = new Sequential(new Linear(3, 3), new BatchNorm1d(3));
    const shared = new Sequential(net.layers[0]!, net.layers[0]!);
    const copy = copyModule(net);
    const sd = net.stateDict();
    const cd = copy.stateDict();
    expect(Object.keys(cd)).toEqual(Object.keys(sd));
    for (const k of Object.keys(sd)) {
      expect(cd[k]).not.toBe(sd[k]);
      expect(Array.from(cd[k]!.data())).toEqual(Array.from(sd[k]!.data()));
    }
    expect(cd['1.num_batches_tracked']!.dtype).toBe('int32');
    const twin = copyModule(shared);
    expect(twin.layers[0]).toBe(twin.layers[1]);
    expect(twin.layers[0]).not.toBe(net.layers[0]);
    expect(twin.parameters().length).toBe(2);
    for (const m of [net, copy, twin]) m.dispose();
  });
});

describe('causalMask', () => {
  it('is 0 on and below the diagonal and −∞ above, for L ≠ S too', () => {
    const inf = Number.NEGATIVE_INFINITY;
    const m = causalMask(2, 3, 'float64');
    expect(m.dtype).toBe('float64');
    expect(m.toArray()).toEqual([
      [0, inf, inf],
      [0, 0, inf],
    ]);
    expect(causalMask(3, 2).toArray()).toEqual([
      [0, inf],
      [0, 0],
      [0, 0],
    ]);
    m.dispose();
  });
});
