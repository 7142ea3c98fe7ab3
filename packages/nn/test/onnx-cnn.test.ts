// The convolution, pooling, normalisation and embedding layers exported to ONNX and run by ONNX
// Runtime (every graph optimisation on): outputs equal gd's within 1e-5.
import { copyInto, manualSeed, randint, randn, ShapeError, scope } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it, vi } from 'vitest';
import {
  AdaptiveAvgPool2d,
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Embedding,
  Flatten,
  LayerNorm,
  Linear,
  MaxPool2d,
  type Module,
  ReLU,
  Sequential,
} from '../src/index.js';
import { ModelProto } from '../src/onnx/proto.js';
import { OnnxExportError, toOnnx } from '../src/onnx.js';
import { agreement, maxAbsDiff, runOrt } from './ort.js';

/**
 * Trains the running statistics away from 0 and 1 (inputs of mean 3, sd 2) and randomises every
 * 1-D parameter (biases, normalisation scales and shifts), leaving the layers' weights at their init.
 */
function warmUp(model: Module, shape: readonly number[], steps = 4): void {
  model.train();
  for (let i = 0; i < steps; i++) scope(() => model.forward(randn(shape, { mean: 3, std: 2 })));
  for (const [name, p] of Object.entries(model.stateDict())) {
    if (p.rank === 1 && !name.includes('running_')) {
      const r = randn([...p.shape], { mean: 0.5, std: 0.5 });
      copyInto(p, r);
      r.dispose();
    }
  }
  model.eval();
}

const opsOf = (bytes: Uint8Array) =>
  (ModelProto.decode(bytes) as unknown as { graph: { node: Array<{ op_type: string }> } }).graph.node.map((n) => n.op_type);

describe('toOnnx: convolution and pooling layers on ONNX Runtime', () => {
  const convs: Array<[string, () => Conv2d, number[]]> = [
    ['3×3, padding 1', () => new Conv2d(3, 4, 3, { padding: 1 }), [3, 9, 9]],
    ['stride 2, non-square kernel, no bias', () => new Conv2d(2, 5, [3, 2], { stride: 2, bias: false }), [2, 11, 8]],
    [
      "'same', even kernel (extra padding bottom/right), dilation 2",
      () => new Conv2d(2, 3, 4, { padding: 'same', dilation: 2 }),
      [2, 10, 9],
    ],
    ["'valid', stride [1, 2], padding [0, 1] kept separate", () => new Conv2d(2, 2, 3, { padding: 'valid', stride: [1, 2] }), [2, 7, 8]],
    ['groups 2, padding [2, 1]', () => new Conv2d(4, 6, 3, { groups: 2, padding: [2, 1] }), [4, 6, 7]],
    ['depthwise (groups = channels), dilation [2, 1]', () => new Conv2d(3, 3, 3, { groups: 3, dilation: [2, 1] }), [3, 8, 8]],
  ];
  for (const [what, make, sample] of convs) {
    it(`Conv2d ${what}: within 1e-5`, async () => {
      manualSeed(11);
      expect(await agreement(make(), sample)).toBeLessThan(1e-5);
    });
  }

  it("'same' padding exports asymmetric pads: [1, 1, 2, 2] for a 4×4 kernel", () => {
    const bytes = toOnnx(new Conv2d(1, 1, 4, { padding: 'same' }), { inputShape: [1, 1, 6, 6] });
    const graph = (
      ModelProto.decode(bytes) as unknown as { graph: { node: Array<{ attribute: Array<{ name: string; ints: number[] }> }> } }
    ).graph;
    const pads = graph.node[0]!.attribute.find((a) => a.name === 'pads')!.ints.map(Number);
    expect(pads).toEqual([1, 1, 2, 2]);
  });

  const pools: Array<[string, () => Module, number[]]> = [
    ['MaxPool2d 2', () => new MaxPool2d(2), [3, 8, 9]],
    ['MaxPool2d 3, stride 2, padding 1', () => new MaxPool2d(3, { stride: 2, padding: 1 }), [2, 9, 10]],
    ['AvgPool2d 2', () => new AvgPool2d(2), [3, 8, 8]],
    [
      'AvgPool2d 3, stride [2, 1], padding 1 (padding counted in the average)',
      () => new AvgPool2d(3, { stride: [2, 1], padding: 1 }),
      [2, 7, 6],
    ],
    ['AdaptiveAvgPool2d 1 (GlobalAveragePool)', () => new AdaptiveAvgPool2d(1), [4, 5, 7]],
    ['AdaptiveAvgPool2d [2, 3] on 8×9', () => new AdaptiveAvgPool2d([2, 3]), [2, 8, 9]],
  ];
  for (const [what, make, sample] of pools) {
    it(`${what}: within 1e-5`, async () => {
      manualSeed(12);
      expect(await agreement(make(), sample)).toBeLessThan(1e-5);
    });
  }

  it('AvgPool2d with padding differs from a count-excluding average, so the padding is really counted', async () => {
    manualSeed(13);
    const model = new AvgPool2d(3, { stride: 1, padding: 1 });
    const x = randn([1, 1, 4, 4], { mean: 5 });
    const got = await runOrt(toOnnx(model, { inputShape: [1, 1, 4, 4] }), x);
    // the corner window holds 4 real values among 9: their sum / 9
    const v = x.data();
    expect(got.data[0]).toBeCloseTo((v[0]! + v[1]! + v[4]! + v[5]!) / 9, 5);
    x.dispose();
  });

  it('AdaptiveAvgPool2d with unequal windows fails with OnnxExportError', () => {
    expect(() => toOnnx(new Sequential(new AdaptiveAvgPool2d(3)), { inputShape: [1, 1, 8, 8] })).toThrow(OnnxExportError);
    expect(() => toOnnx(new Sequential(new AdaptiveAvgPool2d(3)), { inputShape: [1, 1, 8, 8] })).toThrow(
      "AdaptiveAvgPool2d at '0': output size [3, 3] must divide the input's [8, 8]",
    );
  });

  it('a convolution on a non-image input fails with ShapeError, in the layer’s words', () => {
    expect(() => toOnnx(new Sequential(new Conv2d(1, 1, 3)), { inputShape: [1, 9] })).toThrow(ShapeError);
    expect(() => toOnnx(new Sequential(new Conv2d(1, 1, 3)), { inputShape: [1, 9] })).toThrow(
      /^toOnnx: the model's forward fails on an input of \[1, 9\]: .*conv2d: input must be \[N, C, H, W\]/,
    );
    expect(() => toOnnx(new Sequential(new Conv2d(2, 1, 3)), { inputShape: [1, 1, 5, 5] })).toThrow(/input \[1,1,5,5\] has 1 channels/);
  });
});

describe('toOnnx: normalisation and embedding layers on ONNX Runtime', () => {
  it('BatchNorm2d with trained running statistics (num_batches_tracked not exported): within 1e-5', async () => {
    manualSeed(21);
    const model = new Sequential(new Conv2d(2, 4, 3), new BatchNorm2d(4));
    warmUp(model, [6, 2, 7, 7]);
    expect(model.stateDict()['1.num_batches_tracked']!.item()).toBe(4);
    const rm = Array.from(model.stateDict()['1.running_mean']!.data());
    expect(rm.some((v) => Math.abs(v) > 0.1)).toBe(true);
    expect(await agreement(model, [2, 7, 7])).toBeLessThan(1e-5);
    const bytes = toOnnx(model, { inputShape: [1, 2, 7, 7] });
    expect(opsOf(bytes)).toEqual(['Conv', 'BatchNormalization']);
    const names = (ModelProto.decode(bytes) as unknown as { graph: { initializer: Array<{ name: string }> } }).graph.initializer.map(
      (i) => i.name,
    );
    expect(names.sort()).toEqual(['0.bias', '0.weight', '1.bias', '1.running_mean', '1.running_var', '1.weight']);
  });

  it('BatchNorm1d on [N, C] and [N, C, L], affine and not: within 1e-5', async () => {
    manualSeed(22);
    const a = new Sequential(new Linear(5, 6), new BatchNorm1d(6, { eps: 1e-3 }));
    warmUp(a, [8, 5]);
    expect(await agreement(a, [5])).toBeLessThan(1e-5);
    const b = new Sequential(new BatchNorm1d(3, { affine: false }));
    warmUp(b, [4, 3, 7]);
    expect(await agreement(b, [3, 7])).toBeLessThan(1e-5);
  });

  it('LayerNorm over one and two trailing axes, affine and not: within 1e-5 (LayerNormalization)', async () => {
    manualSeed(23);
    const one = new Sequential(new Linear(4, 6), new LayerNorm(6));
    warmUp(one, [3, 4]);
    expect(await agreement(one, [3, 4])).toBeLessThan(1e-5);
    expect(await agreement(new Sequential(new LayerNorm([3, 5], { elementwiseAffine: false, eps: 1e-3 })), [2, 3, 5])).toBeLessThan(1e-5);
    expect(opsOf(toOnnx(one, { inputShape: [1, 3, 4] }))).toContain('LayerNormalization');
  });

  it('LayerNorm before opset 17 fails with OnnxExportError', () => {
    expect(() => toOnnx(new Sequential(new LayerNorm(4)), { inputShape: [1, 4], opset: 16 })).toThrow(
      /LayerNorm at '0': LayerNormalization needs opset 17 or later/,
    );
  });

  it('Embedding takes int32 indices (Gather) and feeds later layers: within 1e-5', async () => {
    manualSeed(24);
    const model = new Sequential(new Embedding(20, 6), new LayerNorm(6), new Flatten(), new Linear(24, 3));
    expect(await agreement(model, [4], { input: (n) => randint(0, 20, [n, 4]) })).toBeLessThan(1e-5);
    const bytes = toOnnx(model, { inputShape: [1, 4] });
    const input = (ModelProto.decode(bytes) as unknown as { graph: { input: Array<{ type: { tensor_type: { elem_type: number } } }> } })
      .graph.input[0]!;
    expect(input.type.tensor_type.elem_type).toBe(6); // INT32
  });

  it('an Embedding that is not the first layer fails, in the layer’s words', () => {
    expect(() => toOnnx(new Sequential(new Linear(2, 2), new Embedding(3, 2)), { inputShape: [1, 2] })).toThrow(
      /^toOnnx: the model's forward fails on an input of \[1, 2\]: .*Embedding: indices must be int32/,
    );
  });
});

describe('toOnnx: float64 normalisation layers', () => {
  it('BatchNorm1d then LayerNorm with float64 state (and an int32 num_batches_tracked) match a plain-JS float64 reference within 1e-12', async () => {
    const model = new Sequential(new BatchNorm1d(2, { eps: 1e-3 }), new LayerNorm(2, { eps: 1e-6 }));
    const fake = (data: number[], dtype = 'float64') => ({
      dtype,
      shape: [data.length],
      rank: 1,
      size: data.length,
      data: () => (dtype === 'int32' ? Int32Array.from(data) : Float64Array.from(data)),
    });
    const s = {
      w: [1.25, -0.5],
      b: [0.1, Math.PI],
      rm: [0.3333333333333333, -2],
      rv: [4.000000000001, 0.25],
      lw: [0.7, -1.3],
      lb: [1e-7, 2],
    };
    vi.spyOn(model, 'stateDict').mockReturnValue({
      '0.weight': fake(s.w),
      '0.bias': fake(s.b),
      '0.running_mean': fake(s.rm),
      '0.running_var': fake(s.rv),
      '0.num_batches_tracked': fake([7], 'int32'),
      '1.weight': fake(s.lw),
      '1.bias': fake(s.lb),
    } as never);
    const bytes = toOnnx(model.eval(), { inputShape: [1, 2], dynamicBatch: true });
    const x = [0.1, -0.2, 3.0000000000000004, 1e-7, 5, -3];
    const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
    const { output } = await session.run({ input: new ort.Tensor('float64', Float64Array.from(x), [3, 2]) });
    const want = [0, 1, 2].flatMap((n) => {
      const y = [0, 1].map((c) => ((x[n * 2 + c]! - s.rm[c]!) / Math.sqrt(s.rv[c]! + 1e-3)) * s.w[c]! + s.b[c]!);
      const mean = (y[0]! + y[1]!) / 2;
      const v = ((y[0]! - mean) ** 2 + (y[1]! - mean) ** 2) / 2;
      return [0, 1].map((c) => ((y[c]! - mean) / Math.sqrt(v + 1e-6)) * s.lw[c]! + s.lb[c]!);
    });
    expect(output!.data).toBeInstanceOf(Float64Array);
    expect(maxAbsDiff(output!.data as Float64Array, want)).toBeLessThan(1e-12);
  });
});

describe('toOnnx: LeNet-5 with BatchNorm', () => {
  const lenet = () =>
    new Sequential(
      new Conv2d(1, 8, 5, { padding: 2 }),
      new BatchNorm2d(8),
      new ReLU(),
      new MaxPool2d(2),
      new Conv2d(8, 16, 5),
      new ReLU(),
      new MaxPool2d(2),
      new Flatten(),
      new Linear(400, 120),
      new ReLU(),
      new Linear(120, 10),
    );

  it('trained statistics, batch 1 and dynamic batch 5: within 1e-5', async () => {
    manualSeed(31);
    const model = lenet();
    warmUp(model, [8, 1, 28, 28], 3);
    const worst = await agreement(model, [1, 28, 28]);
    expect(worst).toBeLessThan(1e-5);
    expect(opsOf(toOnnx(model, { inputShape: [1, 1, 28, 28] }))).toEqual([
      'Conv',
      'BatchNormalization',
      'Relu',
      'MaxPool',
      'Conv',
      'Relu',
      'MaxPool',
      'Flatten',
      'Gemm',
      'Relu',
      'Gemm',
    ]);
  });
});
