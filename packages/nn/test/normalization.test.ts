import { gradcheck } from '@gd/autograd';
import { axpyInPlace, manualSeed, memory, randn, scope, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import {
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Embedding,
  Flatten,
  LayerNorm,
  Linear,
  loadSafetensors,
  MaxPool2d,
  parseSafetensors,
  ReLU,
  SafetensorsError,
  Sequential,
  saveSafetensors,
} from '../src/index.js';

const arr = (t: { data(): ArrayLike<number> }) => Array.from(t.data());
const near = (a: number[], b: number[], tol = 1e-5) => {
  expect(a.length).toBe(b.length);
  a.forEach((v, i) => {
    expect(Math.abs(v - b[i]!)).toBeLessThan(tol);
  });
};

describe('BatchNorm', () => {
  it('BatchNorm1d train mode: batch statistics, running statistics by hand', () => {
    const bn = new BatchNorm1d(2);
    expect(bn.namedParameters().map(([k]) => k)).toEqual(['weight', 'bias']);
    expect(bn.namedBuffers().map(([k]) => k)).toEqual(['running_mean', 'running_var', 'num_batches_tracked']);
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    // channel 0: mean 2, biased var 1; channel 1: mean 4, biased var 4
    const y = bn.forward(x);
    const eps = 1e-5;
    near(arr(y.value), [-1 / Math.sqrt(1 + eps), -2 / Math.sqrt(4 + eps), 1 / Math.sqrt(1 + eps), 2 / Math.sqrt(4 + eps)]);
    // running ← 0.9·running + 0.1·batch, with the unbiased variances 2 and 8
    near(arr(bn.buffer('running_mean')), [0.2, 0.4]);
    near(arr(bn.buffer('running_var')), [1.1, 1.7]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(1);
    bn.forward(x);
    near(arr(bn.buffer('running_mean')), [0.38, 0.76]);
    near(arr(bn.buffer('running_var')), [1.19, 2.33]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(2);
  });

  it('eval mode uses the running statistics and leaves them alone; affine parameters apply', () => {
    const bn = new BatchNorm1d(2, { momentum: null });
    const x = tensor([
      [1, 2],
      [3, 6],
    ]);
    bn.forward(x);
    // momentum null: a cumulative average, so one batch sets the statistics outright
    near(arr(bn.buffer('running_mean')), [2, 4]);
    near(arr(bn.buffer('running_var')), [2, 8]);
    bn.weight!.value.bytesView().set(new Uint8Array(new Float32Array([2, 3]).buffer));
    bn.bias!.value.bytesView().set(new Uint8Array(new Float32Array([1, -1]).buffer));
    bn.eval();
    const y = bn.forward(tensor([[4, 4]]));
    near(arr(y.value), [((4 - 2) / Math.sqrt(2 + 1e-5)) * 2 + 1, ((4 - 4) / Math.sqrt(8 + 1e-5)) * 3 - 1]);
    near(arr(bn.buffer('running_mean')), [2, 4]);
    expect(bn.buffer('num_batches_tracked').item()).toBe(1);
  });

  it('BatchNorm2d normalises each channel over batch and space; its gradient checks', () => {
    manualSeed(4);
    const bn = new BatchNorm2d(3);
    scope(() => {
      const x = randn([2, 3, 4, 5]).mul(3).add(1);
      const y = arr(bn.forward(x).value);
      for (let c = 0; c < 3; c++) {
        const vals: number[] = [];
        for (let n = 0; n < 2; n++) for (let i = 0; i < 20; i++) vals.push(y[(n * 3 + c) * 20 + i]!);
        const mean = vals.reduce((a, b) => a + b, 0) / 40;
        const v = vals.reduce((a, b) => a + (b - mean) ** 2, 0) / 40;
        expect(Math.abs(mean)).toBeLessThan(1e-5);
        expect(v).toBeCloseTo(1, 3);
      }
      const r = gradcheck(
        (a) =>
          bn
            .forward(a)
            .square()
            .mul(tensor([1, -2, 0.5]).reshape([1, 3, 1, 1])),
        [randn([2, 3, 2, 3])],
      );
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
    expect(() => bn.forward(randn([2, 4, 3, 3]))).toThrow(/3 channels on axis 1/);
    expect(() => bn.forward(randn([1, 3, 1, 1]))).toThrow(ValueError);
    expect(() => new BatchNorm1d(4, { momentum: 2 })).toThrow(/momentum/);
  });
});

describe('LayerNorm and Embedding', () => {
  it('LayerNorm: hand-computed values and a gradient check', () => {
    const ln = new LayerNorm(4);
    const y = ln.forward(tensor([[1, 2, 3, 4]]));
    const sd = Math.sqrt(1.25 + 1e-5);
    near(arr(y.value), [-1.5 / sd, -0.5 / sd, 0.5 / sd, 1.5 / sd]);
    manualSeed(5);
    scope(() => {
      const ln2 = new LayerNorm([2, 3]);
      const r = gradcheck(
        (a) =>
          ln2
            .forward(a)
            .square()
            .mul(
              tensor([
                [1, 2, 3],
                [-1, 0.5, 2],
              ]),
            ),
        [randn([4, 2, 3])],
      );
      expect(r.ok, JSON.stringify(r)).toBe(true);
    });
    expect(new LayerNorm(3, { elementwiseAffine: false }).parameters()).toEqual([]);
    expect(() => ln.forward(tensor([[1, 2, 3]]))).toThrow(/does not end in the normalized shape \[4\]/);
  });

  it('Embedding looks rows up and adds the gradients of repeated indices', () => {
    manualSeed(6);
    const emb = new Embedding(4, 2);
    const y = emb.forward(tensor([[1, 2, 1]], { dtype: 'int32' }));
    expect(y.shape).toEqual([1, 3, 2]);
    const w = arr(emb.weight.value);
    expect(arr(y.value)).toEqual([w[2], w[3], w[4], w[5], w[2], w[3]]);
    y.mul(
      tensor([
        [
          [1, 10],
          [100, 1000],
          [3, 30],
        ],
      ]),
    )
      .sum()
      .backward();
    expect(arr(emb.weight.grad!)).toEqual([0, 0, 4, 40, 100, 1000, 0, 0]);
    expect(() => emb.forward(tensor([4], { dtype: 'int32' }))).toThrow();
    expect(() => emb.forward(tensor([1.5]))).toThrow(/int32/);
    expect(emb.forward([[0, 3]]).shape).toEqual([1, 2, 2]);
  });
});

describe('buffers in state dicts and safetensors', () => {
  const make = () =>
    new Sequential(new Conv2d(1, 4, 3), new BatchNorm2d(4), new ReLU(), new MaxPool2d(2), new Flatten(), new Linear(4 * 5 * 5, 3));

  it('a trained model round-trips with its buffers under PyTorch keys, num_batches_tracked as I64', () => {
    manualSeed(7);
    const net = make();
    const x = randn([4, 1, 12, 12]);
    scope(() => {
      net.forward(x);
      net.forward(x);
    });
    expect(Object.keys(net.stateDict())).toEqual([
      '0.weight',
      '0.bias',
      '1.weight',
      '1.bias',
      '1.running_mean',
      '1.running_var',
      '1.num_batches_tracked',
      '5.weight',
      '5.bias',
    ]);
    const bytes = saveSafetensors(net);
    const parsed = parseSafetensors(bytes);
    const nbt = parsed.tensors.get('1.num_batches_tracked')!;
    expect(nbt.dtype).toBe('I64');
    expect(nbt.shape).toEqual([]);
    expect(new DataView(nbt.bytes.buffer, nbt.bytes.byteOffset, 8).getBigInt64(0, true)).toBe(2n);
    const copy = make();
    loadSafetensors(copy, bytes);
    expect(copy.buffers().map(arr)).toEqual(net.buffers().map(arr));
    net.eval();
    copy.eval();
    scope(() => expect(arr(copy.forward(x).value)).toEqual(arr(net.forward(x).value)));
    // loadStateDict copies buffers too
    const third = make();
    third.loadStateDict(net.stateDict());
    expect(arr((third as unknown as { 1: BatchNorm2d })[1].buffer('running_var'))).toEqual(
      arr((net as unknown as { 1: BatchNorm2d })[1].buffer('running_var')),
    );
  });

  it('an I64 count outside the int32 range is refused, and the model is left as it was', () => {
    manualSeed(8);
    const net = make();
    const bytes = saveSafetensors(net);
    const e = parseSafetensors(bytes).tensors.get('1.num_batches_tracked')!;
    new DataView(e.bytes.buffer, e.bytes.byteOffset, 8).setBigInt64(0, 2n ** 40n, true);
    const target = make();
    const before = target.stateDict()['0.weight']!.data();
    expect(() => loadSafetensors(target, bytes)).toThrow(SafetensorsError);
    expect(() => loadSafetensors(target, bytes)).toThrow(/1099511627776 at element 0, outside the int32 range/);
    expect(arr(target.stateDict()['0.weight']!)).toEqual(Array.from(before));
  });

  it('memory stays flat over 1,000 CNN training steps with BatchNorm', () => {
    manualSeed(9);
    const net = make();
    const x = randn([4, 1, 12, 12]);
    const target = randn([4, 3]);
    const step = () =>
      scope(() => {
        const loss = net.forward(x).sub(target).square().mean();
        loss.backward();
        for (const p of net.parameters()) {
          axpyInPlace(p.value, p.grad!, -0.01);
          p.zeroGrad();
        }
      });
    step();
    const before = memory();
    for (let i = 0; i < 1000; i++) step();
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    expect((net as unknown as { 1: BatchNorm2d })[1].buffer('num_batches_tracked').item()).toBe(1001);
  });
});
