// Layers: Linear, activations, Dropout, Sequential, and mlp() for multi-layer networks.
import { asVariable, linear, type Variable, type VariableLike, variable } from '@gd/autograd';
import { DTypeError, dropoutMask, type FloatDType, freeOnThrow, keep, ValueError, zeros } from '@gd/tensor';
import { init } from './init.js';
import { Module } from './module.js';
import { optionsOf } from './options.js';

// rnn.ts takes typeOf from here
export { typeOf } from './options.js';

/** The `dtype` option of a layer, checked: float32 (the default) or float64. */
export function layerDtype(op: string, dtype: unknown): FloatDType {
  if (dtype === undefined) return 'float32';
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${op}: dtype ${String(dtype)} is not float32 or float64`);
  return dtype;
}

/** A trainable parameter: a Variable whose value survives every scope. */
export function parameter(value: Parameters<typeof variable>[0], name?: string): Variable {
  const v = variable(value, { name });
  keep(v.value);
  return v;
}

/**
 * y = x·Wᵀ + b, with weight [out, in] and bias [out] initialised as PyTorch's nn.Linear:
 * U(−1/√in, 1/√in) for both (kaiming_uniform with a = √5). The product reads Wᵀ in place.
 * `{ dtype: 'float64' }` makes float64 parameters (the same draws as float32, scaled in float64).
 *
 * @example
 * ```ts
 * const layer = new Linear(784, 128);
 * layer.forward(x); // [batch, 128]
 * ```
 */
export class Linear extends Module {
  readonly weight: Variable;
  readonly bias: Variable | null;

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: { bias?: boolean; dtype?: FloatDType } = {},
  ) {
    super();
    options = optionsOf('Linear', options, { bias: true, dtype: true });
    for (const [k, v] of [
      ['inFeatures', inFeatures],
      ['outFeatures', outFeatures],
    ] as const) {
      if (!Number.isInteger(v) || v < 1) throw new ValueError(`Linear: ${k} must be a positive integer, got ${v}`);
    }
    const dtype = layerDtype('Linear', options.dtype);
    const bound = 1 / Math.sqrt(inFeatures);
    this.weight = parameter(zeros([outFeatures, inFeatures], dtype), 'weight');
    init.kaimingUniform(this.weight, { a: Math.sqrt(5) });
    this.bias = options.bias === false ? null : parameter(zeros([outFeatures], dtype), 'bias');
    if (this.bias) init.uniform(this.bias, -bound, bound);
  }

  forward(x: VariableLike): Variable {
    // one op for the product and the bias, into one output (the leading axes of x fold into its rows)
    return linear(x, this.weight, this.bias);
  }
}

/** max(x, 0). */
export class ReLU extends Module {
  forward(x: VariableLike): Variable {
    return asVariable(x).relu();
  }
}

/** x > 0 ? x : slope·x. */
export class LeakyReLU extends Module {
  constructor(readonly slope = 0.01) {
    super();
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).leakyRelu(this.slope);
  }
}

/** σ(x) = 1/(1 + e⁻ˣ). */
export class Sigmoid extends Module {
  forward(x: VariableLike): Variable {
    return asVariable(x).sigmoid();
  }
}

/** tanh(x). */
export class Tanh extends Module {
  forward(x: VariableLike): Variable {
    return asVariable(x).tanh();
  }
}

/**
 * GELU, as PyTorch's `nn.GELU`: the exact x·Φ(x) by default, or the tanh form with
 * `{ approximate: 'tanh' }` (PyTorch's `nn.GELU(approximate='tanh')`).
 *
 * @example
 * ```ts
 * new GELU().forward(tensor([1])).item();                          // 0.8413447 (1·Φ(1))
 * new GELU({ approximate: 'tanh' }).forward(tensor([1])).item();   // 0.8411920
 * ```
 */
export class GELU extends Module {
  /** 'none' (exact) or 'tanh'. */
  readonly approximate: 'none' | 'tanh';
  constructor(options: { approximate?: 'none' | 'tanh' } = {}) {
    super();
    const { approximate = 'none' } = optionsOf('GELU', options, { approximate: true });
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ValueError(`GELU: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate) ?? String(approximate)}`);
    }
    this.approximate = approximate;
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).gelu({ approximate: this.approximate });
  }
}

/** Softmax along an axis (default −1). */
export class Softmax extends Module {
  constructor(readonly axis = -1) {
    super();
  }
  forward(x: VariableLike): Variable {
    return asVariable(x).softmax(this.axis);
  }
}

/** Flattens all axes after the first: [N, …] → [N, prod(…)]. */
export class Flatten extends Module {
  forward(x: VariableLike): Variable {
    const v = asVariable(x);
    return v.reshape([v.shape[0] ?? 1, -1]);
  }
}

/**
 * Dropout: in training, zeroes each element with probability p and scales the rest by
 * 1/(1 − p) (seeded by manualSeed); the identity in eval mode.
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p < 1)) throw new ValueError(`Dropout: p must be in [0, 1), got ${p}`);
  }
  forward(x: VariableLike): Variable {
    const v = asVariable(x);
    if (!this.training || this.p === 0) return v;
    return v.mul(dropoutMask(v.shape as number[], this.p, v.dtype === 'float64' ? 'float64' : 'float32'));
  }
}

/**
 * Modules applied in order; children are named '0', '1', ….
 *
 * @example
 * ```ts
 * const model = new Sequential(new Linear(784, 128), new ReLU(), new Linear(128, 10));
 * ```
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => {
      if (!(m instanceof Module)) throw new ValueError(`Sequential: argument ${i} is not a Module`);
      (this as unknown as Record<string, Module>)[String(i)] = m;
    });
  }

  /** The layers with their names ('0', '1', …): each takes one input and returns a Variable. */
  override namedChildren(): Array<[string, Module]> {
    return super.namedChildren() as Array<[string, Module]>;
  }

  /** The layers in order. */
  override children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** The layers in order. */
  get layers(): Module[] {
    return this.children();
  }

  /** Runs the layers in order; if one throws, the outputs of the layers before it are freed. */
  forward(x: VariableLike): Variable {
    return freeOnThrow(() => {
      let v = asVariable(x);
      for (const m of this.layers) v = m.forward(v);
      return v;
    });
  }
}

/** Activation names accepted by mlp(). */
export type Activation = 'relu' | 'leakyRelu' | 'sigmoid' | 'tanh' | 'gelu';

function activation(name: Activation): Module {
  switch (name) {
    case 'relu':
      return new ReLU();
    case 'leakyRelu':
      return new LeakyReLU();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    case 'gelu':
      return new GELU();
    default:
      throw new ValueError(`mlp: unknown activation '${String(name)}'`);
  }
}

/**
 * A multi-layer perceptron (docs/tutorial.md §2.5: each layer Σ w·σ(L_prev) + b): Linear layers of the
 * given sizes with an activation between them, none after the last; `dtype` as Linear's.
 *
 * @example
 * ```ts
 * const net = mlp([784, 128, 10], { activation: 'relu' }); // Linear, ReLU, Linear
 * ```
 */
export function mlp(sizes: readonly number[], options: { activation?: Activation; dropout?: number; dtype?: FloatDType } = {}): Sequential {
  if (!Array.isArray(sizes))
    throw new ValueError(`mlp: sizes must be an array of layer widths, got ${sizes === null ? 'null' : typeof sizes}`);
  options = optionsOf('mlp', options, { activation: true, dropout: true, dtype: true });
  if (sizes.length < 2) throw new ValueError(`mlp: needs at least an input and an output size, got [${sizes.join(',')}]`);
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!, { dtype: options.dtype }));
    if (i + 2 < sizes.length) {
      layers.push(activation(options.activation ?? 'relu'));
      if (options.dropout) layers.push(new Dropout(options.dropout));
    }
  }
  return new Sequential(...layers);
}
