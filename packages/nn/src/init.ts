// Parameter initialisation, in place, with the formulas of PyTorch's torch.nn.init.
import { Variable } from '@gd/autograd';
import { copyInto, DTypeError, type FloatDType, full, rand, randn, Tensor, ValueError } from '@gd/tensor';
import { optionsOf } from './options.js';

/** What an initialiser fills: a Variable (its value) or a Tensor. */
export type InitTarget = Variable | Tensor;
function tensorOf(t: InitTarget): Tensor {
  if (t instanceof Variable) return t.value;
  if (t instanceof Tensor) return t;
  throw new ValueError(`init: expected a Variable or a Tensor to fill, got ${t === null ? 'null' : typeof t}`);
}

/** fan_in and fan_out of a weight [out, in, …receptive field]. */
export function fans(shape: readonly number[]): { fanIn: number; fanOut: number } {
  if (shape.length < 2) throw new ValueError(`init: fan in/out need rank ≥ 2, got [${shape.join(',')}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[1]! * receptive, fanOut: shape[0]! * receptive };
}

// draws in the target's own float dtype (a float64 draw takes the float32 one's random bits and
// scales them in float64)
function fill(t: InitTarget, make: (shape: number[], dtype: FloatDType) => Tensor): InitTarget {
  const v = tensorOf(t);
  if (v.dtype !== 'float32' && v.dtype !== 'float64') throw new DTypeError(`init: needs a float32 or float64 target, got ${v.dtype}`);
  const src = make(v.shape as number[], v.dtype);
  copyInto(v, src);
  src.dispose();
  return t;
}

/** The recommended gain of a nonlinearity (PyTorch's calculate_gain). */
export function gain(nonlinearity: 'linear' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu', slope = 0.01): number {
  switch (nonlinearity) {
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu':
      return Math.sqrt(2 / (1 + slope * slope));
    default:
      return 1;
  }
}

/** Options of the Kaiming initialisers. */
export interface KaimingOptions {
  /** The negative slope of the leaky ReLU that follows. Default 0. */
  a?: number;
  /** Preserve the variance of the forward pass ('fanIn', default) or the backward pass ('fanOut'). */
  mode?: 'fanIn' | 'fanOut';
  nonlinearity?: 'relu' | 'leaky_relu' | 'linear' | 'tanh' | 'sigmoid';
}

function kaimingStd(op: string, shape: readonly number[], o: KaimingOptions): number {
  o = optionsOf(op, o, { a: true, mode: true, nonlinearity: true });
  const { fanIn, fanOut } = fans(shape);
  const g = gain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0);
  return g / Math.sqrt(o.mode === 'fanOut' ? fanOut : fanIn);
}

/** The initialisers; each fills a Variable's (or Tensor's) value in place and returns it. */
export const init = {
  /** U(a, b). */
  uniform: (t: InitTarget, a = 0, b = 1) => fill(t, (s, dtype) => rand(s, { low: a, high: b, dtype })),
  /** N(mean, std²). */
  normal: (t: InitTarget, mean = 0, std = 1) => fill(t, (s, dtype) => randn(s, { mean, std, dtype })),
  /** All `value`. */
  constant: (t: InitTarget, value: number) => fill(t, (s, dtype) => full(s, value, dtype)),
  /** All zeros. */
  zeros: (t: InitTarget) => fill(t, (s, dtype) => full(s, 0, dtype)),
  /** All ones. */
  ones: (t: InitTarget) => fill(t, (s, dtype) => full(s, 1, dtype)),
  /** Glorot: U(−b, b) with b = gain·√(6/(fan_in + fan_out)). */
  xavierUniform: (t: InitTarget, g = 1) => {
    const { fanIn, fanOut } = fans(tensorOf(t).shape);
    const b = g * Math.sqrt(6 / (fanIn + fanOut));
    return fill(t, (s, dtype) => rand(s, { low: -b, high: b, dtype }));
  },
  /** Glorot: N(0, σ²) with σ = gain·√(2/(fan_in + fan_out)). */
  xavierNormal: (t: InitTarget, g = 1) => {
    const { fanIn, fanOut } = fans(tensorOf(t).shape);
    return fill(t, (s, dtype) => randn(s, { std: g * Math.sqrt(2 / (fanIn + fanOut)), dtype }));
  },
  /** He: U(−b, b) with b = gain·√(3/fan). */
  kaimingUniform: (t: InitTarget, o: KaimingOptions = {}) => {
    const b = Math.sqrt(3) * kaimingStd('init.kaimingUniform', tensorOf(t).shape, o);
    return fill(t, (s, dtype) => rand(s, { low: -b, high: b, dtype }));
  },
  /** He: N(0, σ²) with σ = gain/√fan. */
  kaimingNormal: (t: InitTarget, o: KaimingOptions = {}) =>
    fill(t, (s, dtype) => randn(s, { std: kaimingStd('init.kaimingNormal', tensorOf(t).shape, o), dtype })),
};
