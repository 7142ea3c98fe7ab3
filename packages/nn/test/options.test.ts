// Unknown option keys are refused, naming the key and the options there are, as PyTorch refuses
// an unexpected keyword argument; the known ones still work.
import { GdError, memory, randn, ValueError } from '@gd/tensor';
import { failsWith } from '@gd/testing';
import { describe, expect, it } from 'vitest';
import {
  AvgPool2d,
  BatchNorm1d,
  BatchNorm2d,
  Conv2d,
  Embedding,
  GELU,
  GRU,
  init,
  LayerNorm,
  Linear,
  LSTM,
  MaxPool2d,
  MultiheadAttention,
  mlp,
  RNN,
  saveSafetensors,
  scaledDotProductAttention,
  TransformerDecoder,
  TransformerDecoderLayer,
  TransformerEncoder,
  TransformerEncoderLayer,
} from '../src/index.js';
import { loadSafetensorsFileSync } from '../src/node.js';
import { toOnnx } from '../src/onnx.js';

const fails = failsWith(memory, GdError);

// biome-ignore lint/suspicious/noExplicitAny: the calls pass keys their option types do not have
type Loose = any;

describe('unknown option keys are a ValueError naming the key and the options', () => {
  const x = randn([2, 3, 4]);
  const q = randn([2, 3, 4]);
  const encoderLayer = new TransformerEncoderLayer(4, 2, { dimFeedforward: 8, batchFirst: true });
  const decoderLayer = new TransformerDecoderLayer(4, 2, { dimFeedforward: 8, batchFirst: true });
  const encoder = new TransformerEncoder(encoderLayer, 1);
  const decoder = new TransformerDecoder(decoderLayer, 1);
  const mha = new MultiheadAttention(4, 2, { batchFirst: true });
  const one = new Linear(1, 1);
  const two = new Linear(2, 1);
  const w = randn([2, 2]);
  const cases: Array<[string, () => unknown, RegExp]> = [
    ['Linear', () => new Linear(2, 3, { biases: false } as Loose), /^Linear: unknown option 'biases'; the options are bias, dtype$/],
    ['GELU', () => new GELU({ approximation: 'tanh' } as Loose), /^GELU: unknown option 'approximation'; the options are approximate$/],
    [
      'mlp',
      () => mlp([2, 3], { activations: 'tanh' } as Loose),
      /^mlp: unknown option 'activations'; the options are activation, dropout, dtype$/,
    ],
    [
      'BatchNorm1d',
      () => new BatchNorm1d(3, { momentun: 0.2 } as Loose),
      /^BatchNorm1d: unknown option 'momentun'; the options are eps, momentum, affine, dtype$/,
    ],
    [
      'BatchNorm2d',
      () => new BatchNorm2d(3, { track_running_stats: false } as Loose),
      /^BatchNorm2d: unknown option 'track_running_stats'/,
    ],
    [
      'LayerNorm',
      () => new LayerNorm(3, { elementwise_affine: false } as Loose),
      /^LayerNorm: unknown option 'elementwise_affine' \(did you mean 'elementwiseAffine'\?\); the options are eps, elementwiseAffine, dtype$/,
    ],
    [
      'Embedding',
      () => new Embedding(5, 2, { padding_idx: 0 } as Loose),
      /^Embedding: unknown option 'padding_idx'; the options are dtype$/,
    ],
    [
      'Conv2d',
      () => new Conv2d(1, 2, 3, { padding_mode: 'zeros' } as Loose),
      /^Conv2d: unknown option 'padding_mode'; the options are stride, padding, dilation, groups, bias, dtype$/,
    ],
    [
      'MaxPool2d',
      () => new MaxPool2d(2, { ceilMode: true } as Loose),
      /^MaxPool2d: unknown option 'ceilMode'; the options are stride, padding$/,
    ],
    ['AvgPool2d', () => new AvgPool2d(2, { count_include_pad: false } as Loose), /^AvgPool2d: unknown option 'count_include_pad'/],
    [
      'MultiheadAttention',
      () => new MultiheadAttention(4, 2, { batch_first: true } as Loose),
      /^MultiheadAttention: unknown option 'batch_first' \(did you mean 'batchFirst'\?\); the options are bias, batchFirst, dropout, kdim, vdim, dtype$/,
    ],
    [
      'MultiheadAttention.forward',
      () => mha.forward(x, x, x, { need_weights: false } as Loose),
      /^MultiheadAttention\.forward: unknown option 'need_weights' \(did you mean 'needWeights'\?\)/,
    ],
    [
      'scaledDotProductAttention',
      () => scaledDotProductAttention(q, q, q, { causal: true } as Loose),
      /^scaledDotProductAttention: unknown option 'causal'; the options are attnMask, isCausal, scale, dropoutP$/,
    ],
    [
      'TransformerEncoderLayer',
      () => new TransformerEncoderLayer(4, 2, { dim_feedforward: 8 } as Loose),
      /^TransformerEncoderLayer: unknown option 'dim_feedforward' \(did you mean 'dimFeedforward'\?\)/,
    ],
    [
      'TransformerEncoderLayer.forward',
      () => encoderLayer.forward(x, { srcMaks: null } as Loose),
      /^TransformerEncoderLayer\.forward: unknown option 'srcMaks'; the options are srcMask, srcKeyPaddingMask, isCausal$/,
    ],
    [
      'TransformerEncoder',
      () => new TransformerEncoder(encoderLayer, 1, { finalNorm: null } as Loose),
      /^TransformerEncoder: unknown option 'finalNorm'; the options are norm$/,
    ],
    [
      'TransformerEncoder.forward',
      () => encoder.forward(x, { is_causal: true } as Loose),
      /^TransformerEncoder\.forward: unknown option 'is_causal' \(did you mean 'isCausal'\?\)/,
    ],
    [
      'TransformerDecoderLayer',
      () => new TransformerDecoderLayer(4, 2, { norm_first: true } as Loose),
      /^TransformerDecoderLayer: unknown option 'norm_first' \(did you mean 'normFirst'\?\)/,
    ],
    [
      'TransformerDecoder',
      () => new TransformerDecoder(decoderLayer, 1, { layerNorm: null } as Loose),
      /^TransformerDecoder: unknown option 'layerNorm'; the options are norm$/,
    ],
    [
      'TransformerDecoder.forward',
      () => decoder.forward(x, x, { tgt_is_causal: true } as Loose),
      /^TransformerDecoder\.forward: unknown option 'tgt_is_causal' \(did you mean 'tgtIsCausal'\?\)/,
    ],
    [
      'init.kaimingUniform',
      () => init.kaimingUniform(w, { gain: 2 } as Loose),
      /^init\.kaimingUniform: unknown option 'gain'; the options are a, mode, nonlinearity$/,
    ],
    [
      'saveSafetensors',
      () => saveSafetensors(one, { meta: {} } as Loose),
      /^saveSafetensors: unknown option 'meta'; the options are metadata$/,
    ],
    [
      'loadSafetensorsFileSync',
      () => loadSafetensorsFileSync(one, 'never-read.safetensors', { chunk: 1 } as Loose),
      /^loadSafetensorsFileSync: unknown option 'chunk'; the options are chunkBytes$/,
    ],
    [
      'loadStateDict',
      () => one.loadStateDict(one.stateDict(), { strit: false } as Loose),
      /^loadStateDict: unknown option 'strit'; the options are strict$/,
    ],
    [
      'LSTM',
      () => new LSTM(2, 3, { batch_first: true } as Loose),
      /^LSTM: unknown option 'batch_first' \(did you mean 'batchFirst'\?\); the options are numLayers, bias, batchFirst, dropout, bidirectional, dtype$/,
    ],
    ['GRU', () => new GRU(2, 3, { nonlinearity: 'relu' } as Loose), /^GRU: unknown option 'nonlinearity'; the options are numLayers/],
    [
      'RNN',
      () => new RNN(2, 3, { num_layers: 2 } as Loose),
      /^RNN: unknown option 'num_layers' \(did you mean 'numLayers'\?\); the options are numLayers, bias, batchFirst, dropout, bidirectional, dtype, nonlinearity$/,
    ],
    [
      'toOnnx',
      () => toOnnx(two, { inputShape: [1, 2], dynamic_batch: true } as Loose),
      /^toOnnx: unknown option 'dynamic_batch' \(did you mean 'dynamicBatch'\?\)/,
    ],
  ];
  for (const [name, call, message] of cases) {
    it(name, () => {
      fails(call, ValueError, message, { leakCheck: !name.endsWith('forward') && name !== 'scaledDotProductAttention' });
    });
  }

  it('a forward refused for an unknown option computes nothing and leaves nothing behind', () => {
    const before = memory();
    expect(() => mha.forward(x, x, x, { need_weights: false } as Loose)).toThrow(ValueError);
    expect(() => scaledDotProductAttention(q, q, q, { causal: true } as Loose)).toThrow(ValueError);
    expect(memory().tensors).toBe(before.tensors);
  });

  it('the known options still work, undefined among them', () => {
    expect(new Linear(2, 3, { bias: false, dtype: 'float64' }).bias).toBeNull();
    expect(new LayerNorm(3, { elementwiseAffine: false, eps: undefined }).weight).toBeNull();
    expect(new Conv2d(1, 2, 3, { padding: 'same', bias: false }).forward(randn([1, 1, 5, 5])).shape).toEqual([1, 2, 5, 5]);
    expect(mha.forward(x, x, x, { needWeights: false })[1]).toBeNull();
  });
});
