// Convolution and pooling layers, PyTorch's names, options, init and state-dict keys.
import { asVariable, type Variable, type VariableLike } from '@gd/autograd';
import { type Conv2dOptions, type FloatDType, type Pool2dOptions, type Size2d, ValueError, zeros } from '@gd/tensor';
import { fans, init } from './init.js';
import { layerDtype, parameter } from './layers.js';
import { Module } from './module.js';
import { optionsOf } from './options.js';

/** Options of Conv2d: the conv2d options plus whether to learn a bias (default true). */
export interface Conv2dLayerOptions extends Conv2dOptions {
  /** Learn an additive bias per output channel (default true). */
  bias?: boolean;
  /** dtype of the weight and bias (default float32; float64 takes the same draws, scaled in float64). */
  dtype?: FloatDType;
}

function positive(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
}

function kernelPair(op: string, k: Size2d): [number, number] {
  const p = typeof k === 'number' ? [k, k] : k;
  if (!Array.isArray(p) || p.length !== 2) throw new ValueError(`${op}: kernelSize must be a number or [h, w], got ${JSON.stringify(k)}`);
  positive(op, 'kernelSize', p[0]!);
  positive(op, 'kernelSize', p[1]!);
  return [p[0]!, p[1]!];
}

/**
 * 2-D convolution layer over [N, C, H, W]: weight [outC, inC/groups, kH, kW] and bias [outC],
 * initialised as PyTorch's nn.Conv2d (kaiming-uniform with a = √5, i.e. U(−1/√fanIn, 1/√fanIn)
 * with fanIn = inC/groups·kH·kW, for both).
 *
 * @example
 * ```ts
 * const conv = new Conv2d(1, 8, 5, { padding: 2 }); // { dtype: 'float64' } for float64
 * conv.forward(randn([32, 1, 28, 28])).shape; // [32, 8, 28, 28]
 * ```
 */
export class Conv2d extends Module {
  /** [outC, inC/groups, kH, kW]. */
  readonly weight: Variable;
  /** [outC], or null without bias. */
  readonly bias: Variable | null;
  /** The convolution's options, as given. */
  readonly options: Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Size2d,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    options = optionsOf('Conv2d', options, { stride: true, padding: true, dilation: true, groups: true, bias: true, dtype: true });
    positive('Conv2d', 'inChannels', inChannels);
    positive('Conv2d', 'outChannels', outChannels);
    const groups = options.groups ?? 1;
    positive('Conv2d', 'groups', groups);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new ValueError(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must be divisible by groups ${groups}`);
    }
    const [kh, kw] = kernelPair('Conv2d', kernelSize);
    const { bias, dtype: d, ...conv } = options;
    const dtype = layerDtype('Conv2d', d);
    this.options = conv;
    this.weight = parameter(zeros([outChannels, inChannels / groups, kh, kw], dtype), 'weight');
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    this.bias = bias === false ? null : parameter(zeros([outChannels], dtype), 'bias');
    if (this.bias) {
      const bound = 1 / Math.sqrt(fans(this.weight.shape).fanIn);
      init.uniform(this.bias, -bound, bound);
    }
  }

  forward(x: VariableLike): Variable {
    return asVariable(x).conv2d(this.weight, this.bias ?? undefined, this.options);
  }
}

/** What MaxPool2d and AvgPool2d share: a kernel size checked at construction, and the pooling options. */
abstract class Pool2d extends Module {
  constructor(
    op: string,
    /** The window: one size for both axes, or [height, width]. */
    readonly kernelSize: Size2d,
    /** Stride and padding, as given. */
    readonly options: Pool2dOptions,
  ) {
    super();
    this.options = optionsOf(op, options, { stride: true, padding: true });
    kernelPair(op, kernelSize);
  }
}

/**
 * 2-D max pooling (stride defaults to the kernel size).
 *
 * @example
 * ```ts
 * new MaxPool2d(2).forward(randn([1, 8, 28, 28])).shape; // [1, 8, 14, 14]
 * ```
 */
export class MaxPool2d extends Pool2d {
  constructor(kernelSize: Size2d, options: Pool2dOptions = {}) {
    super('MaxPool2d', kernelSize, options);
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).maxPool2d(this.kernelSize, this.options);
  }
}

/**
 * 2-D average pooling, zero padding counted in the average (PyTorch's default).
 *
 * @example
 * ```ts
 * new AvgPool2d(2).forward(randn([1, 8, 28, 28])).shape; // [1, 8, 14, 14]
 * ```
 */
export class AvgPool2d extends Pool2d {
  constructor(kernelSize: Size2d, options: Pool2dOptions = {}) {
    super('AvgPool2d', kernelSize, options);
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).avgPool2d(this.kernelSize, this.options);
  }
}

/**
 * Adaptive average pooling to a fixed spatial size.
 *
 * @example
 * ```ts
 * new AdaptiveAvgPool2d(1).forward(randn([2, 8, 7, 7])).shape; // [2, 8, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Size2d) {
    super();
    kernelPair('AdaptiveAvgPool2d', outputSize);
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).adaptiveAvgPool2d(this.outputSize);
  }
}
