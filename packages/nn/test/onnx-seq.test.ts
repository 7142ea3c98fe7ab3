// The sequence layers exported by tracing their forward, run by ONNX Runtime against gd.
import { asVariable, type VariableLike } from '@gd/autograd';
import { manualSeed, randn, scope, type Tensor } from '@gd/tensor';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import {
  GRU,
  LayerNorm,
  LSTM,
  Module,
  MultiheadAttention,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';
import { toOnnx } from '../src/onnx.js';
import { maxAbsDiff } from './ort.js';

/** Runs exported bytes on ONNX Runtime and returns every output, in order. */
async function runAll(bytes: Uint8Array, x: Tensor): Promise<Array<{ dims: readonly number[]; data: Float32Array }>> {
  const session = await ort.InferenceSession.create(bytes, { graphOptimizationLevel: 'all' });
  const out = await session.run({ input: new ort.Tensor('float32', Float32Array.from(x.data()), [...x.shape]) });
  const names = session.outputNames;
  await session.release();
  return names.map((n) => ({ dims: out[n]!.dims, data: out[n]!.data as Float32Array }));
}

/** gd's outputs (a tensor or a nested array of them), flattened in order. */
function gdAll(model: Module<[VariableLike], unknown>, x: Tensor): Float32Array[] {
  return scope(() => {
    const flat: Float32Array[] = [];
    const walk = (o: unknown): void => {
      if (Array.isArray(o)) o.forEach(walk);
      else flat.push(Float32Array.from(asVariable(o as VariableLike).value.data()));
    };
    walk(model.forward(x));
    return flat;
  });
}

class SelfAttention extends Module {
  mha = new MultiheadAttention(8, 2, { batchFirst: true });
  constructor(private readonly isCausal = false) {
    super();
  }
  forward(x: VariableLike) {
    return this.mha.forward(x, x, x, { needWeights: false, isCausal: this.isCausal })[0];
  }
}

/** An encoder over x whose memory a decoder over x attends to, its self-attention causal or not. */
class EncoderDecoder extends Module {
  encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), 1);
  decoder = new TransformerDecoder(new TransformerDecoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, normFirst: true }), 2, {
    norm: new LayerNorm(8),
  });
  constructor(private readonly tgtIsCausal: boolean) {
    super();
  }
  forward(x: VariableLike) {
    return this.decoder.forward(x, this.encoder.forward(x), { tgtIsCausal: this.tgtIsCausal });
  }
}

/** A causal encoder (isCausal on its forward). */
class CausalEncoder extends Module {
  encoder = new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true }), 2);
  forward(x: VariableLike) {
    return this.encoder.forward(x, { isCausal: true });
  }
}

describe('toOnnx: sequence layers, traced, on ONNX Runtime', () => {
  const dynamic = { dynamicBatch: true, dynamicAxes: { 1: 'sequence' } } as const;
  const cases: Array<[string, () => Module<[VariableLike], unknown>]> = [
    ['MultiheadAttention (self-attention)', () => new SelfAttention()],
    ['TransformerEncoderLayer, post-norm ReLU', () => new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true })],
    ['MultiheadAttention, causal', () => new SelfAttention(true)],
    ['TransformerEncoder, causal', () => new CausalEncoder()],
    ['TransformerEncoder → TransformerDecoder (2 pre-norm layers, final LayerNorm)', () => new EncoderDecoder(false)],
    ['TransformerEncoder → TransformerDecoder, causal self-attention', () => new EncoderDecoder(true)],
    [
      'TransformerEncoder of 2 pre-norm layers with a final LayerNorm',
      () =>
        new TransformerEncoder(new TransformerEncoderLayer(8, 2, { dimFeedforward: 16, batchFirst: true, normFirst: true }), 2, {
          norm: new LayerNorm(8),
        }),
    ],
  ];
  for (const [name, make] of cases) {
    it(`${name}: symbolic batch and sequence, within 1e-5 at other sizes`, async () => {
      manualSeed(41);
      const model = make().eval();
      const bytes = toOnnx(model, { inputShape: [1, 4, 8], ...dynamic });
      for (const shape of [
        [1, 4, 8],
        [3, 7, 8],
      ]) {
        const x = randn(shape);
        const [got] = await runAll(bytes, x);
        expect(got!.dims).toEqual(shape);
        expect(maxAbsDiff(got!.data, gdAll(model, x)[0]!)).toBeLessThan(1e-5);
      }
    });
  }

  it('LSTM (2 layers) and a bidirectional GRU at fixed shapes: every output within 1e-5, [output, [hN, cN]] as output, output_1, output_2', async () => {
    manualSeed(42);
    for (const model of [new LSTM(3, 5, { batchFirst: true, numLayers: 2 }), new GRU(3, 5, { batchFirst: true, bidirectional: true })]) {
      const x = randn([2, 6, 3]);
      const bytes = toOnnx(model, { inputShape: [2, 6, 3] });
      const got = await runAll(bytes, x);
      const want = gdAll(model as Module<[VariableLike], unknown>, x);
      expect(got.length).toBe(want.length);
      expect(got.length).toBe(model instanceof LSTM ? 3 : 2);
      for (let i = 0; i < got.length; i++) expect(maxAbsDiff(got[i]!.data, want[i]!)).toBeLessThan(1e-5);
    }
  });

  it('causal self-attention (the fused op, lowered to MatMul, Softmax and the causal mask) at a fixed shape, within 1e-5', async () => {
    manualSeed(43);
    class Causal extends Module {
      mha = new MultiheadAttention(8, 2, { batchFirst: true });
      forward(x: VariableLike) {
        return this.mha.forward(x, x, x, { needWeights: false, isCausal: true })[0];
      }
    }
    const model = new Causal().eval();
    const x = randn([2, 5, 8]);
    const [got] = await runAll(toOnnx(model, { inputShape: [2, 5, 8] }), x);
    expect(got!.dims).toEqual([2, 5, 8]);
    expect(maxAbsDiff(got!.data, gdAll(model, x)[0]!)).toBeLessThan(1e-5);
  });
});
