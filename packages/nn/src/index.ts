/**
 * @gd/nn — modules, layers and multi-layer networks (docs/tutorial.md §2.5), parameter initialisation,
 * and safetensors save/load. File helpers for Node are in `@gd/nn/node`.
 *
 * @packageDocumentation
 */

export type {
  AttentionMask,
  MultiheadAttentionForwardOptions,
  MultiheadAttentionOptions,
  ScaledDotProductAttentionOptions,
} from './attention.js';
export { causalMask, MultiheadAttention, scaledDotProductAttention } from './attention.js';
export { ModuleDict, ModuleList } from './containers.js';
export type { Conv2dLayerOptions } from './conv.js';
export { AdaptiveAvgPool2d, AvgPool2d, Conv2d, MaxPool2d } from './conv.js';
export type { InitTarget, KaimingOptions } from './init.js';
export { fans, gain, init } from './init.js';
export type { Activation } from './layers.js';
export { Dropout, Flatten, GELU, LeakyReLU, Linear, mlp, parameter, ReLU, Sequential, Sigmoid, Softmax, Tanh } from './layers.js';
export type { AnyModule, LoadStateDictOptions, LoadStateDictResult } from './module.js';
export { Module } from './module.js';
export type { BatchNormOptions, LayerNormOptions } from './normalization.js';
export { BatchNorm1d, BatchNorm2d, Embedding, LayerNorm } from './normalization.js';
export type { RNNOptions, SimpleRNNOptions } from './rnn.js';
export { GRU, LSTM, RNN } from './rnn.js';
export type { ParsedSafetensors, SafetensorsEntry } from './safetensors.js';
export { decodeBF16, decodeF16, loadSafetensors, parseSafetensors, SafetensorsError, saveSafetensors } from './safetensors.js';
export { cloneStateDict } from './state-dict.js';
export type {
  TransformerActivation,
  TransformerDecoderForwardOptions,
  TransformerDecoderLayerOptions,
  TransformerDecoderOptions,
  TransformerEncoderForwardOptions,
  TransformerEncoderLayerForwardOptions,
  TransformerEncoderLayerOptions,
  TransformerEncoderOptions,
} from './transformer.js';
export { copyModule, TransformerDecoder, TransformerDecoderLayer, TransformerEncoder, TransformerEncoderLayer } from './transformer.js';
