// Elementwise unary ops (assembly/elementwise.ts). Every export here is public API: the package
// root re-exports this file whole, and each function is a Tensor method too.
import { ValueError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import type { Tensor, TensorLike } from '../tensor.js';
import { geluForm, withOperands } from './operands.js';
import { unary } from './unary.js';

// The ops of one tensor and no parameters (neg, exp, sin, …) are generated from their kernel
// codes (src/generated/unary.ts, from the @op marks in assembly/elementwise.ts); the ones with
// options or parameters follow.
export * from '../generated/unary.js';

/** Options of gelu: which form, as PyTorch's `approximate` argument. */
export interface GeluOptions {
  /** 'none' (the default): exact x·Φ(x); 'tanh': 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
  approximate?: 'none' | 'tanh';
}

/**
 * GELU. By default the exact x·Φ(x), Φ the standard normal CDF (PyTorch's `nn.GELU()`);
 * `{ approximate: 'tanh' }` gives 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))), as
 * `nn.GELU(approximate='tanh')`.
 *
 * @example
 * ```ts
 * gelu([1]).item();                          // 0.8413447 (1·Φ(1))
 * gelu([1], { approximate: 'tanh' }).item(); // 0.8411920
 * ```
 */
export function gelu(x: TensorLike, options?: GeluOptions): Tensor {
  const code = geluForm('gelu', options) === 'tanh' ? C.UN_GELU_TANH : C.UN_GELU;
  return unary('gelu', code, x);
}

/**
 * softplus(x) = ln(1 + eˣ), as −ln σ(−x) (the logSigmoid kernel), so it neither overflows for
 * large x (it tends to x) nor rounds to 0 for very negative x (it tends to eˣ).
 */
export function softplus(x: TensorLike): Tensor {
  return withOperands('softplus', [x], ([t]) => {
    const n = unary('softplus', C.UN_NEG, t!);
    const ls = unary('softplus', C.UN_LOG_SIGMOID, n);
    n.dispose();
    const out = unary('softplus', C.UN_NEG, ls);
    ls.dispose();
    return out;
  });
}

function finiteParam(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ValueError(`${op}: ${name} must be a number, got ${String(v)}`);
  return v;
}

/** x > 0 ? x : slope·x. */
export function leakyRelu(x: TensorLike, slope = 0.01): Tensor {
  return unary('leakyRelu', C.UN_LEAKY_RELU, x, finiteParam('leakyRelu', 'slope', slope));
}

/** Limits x to [min, max]; NaN bounds and min > max are ValueErrors. */
export function clamp(x: TensorLike, min: number, max: number): Tensor {
  finiteParam('clamp', 'min', min);
  finiteParam('clamp', 'max', max);
  if (min > max) throw new ValueError(`clamp: min ${min} is greater than max ${max}`);
  return unary('clamp', C.UN_CLAMP, x, min, max);
}

/** x·scale + shift in one pass (float32, or float64 for float64 x). */
export function affine(x: TensorLike, scale: number, shift: number): Tensor {
  return unary('affine', C.UN_AFFINE, x, finiteParam('affine', 'scale', scale), finiteParam('affine', 'shift', shift));
}
