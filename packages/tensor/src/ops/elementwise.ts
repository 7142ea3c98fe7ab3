// Elementwise unary ops (assembly/elementwise.ts). Every export here is public API: the package
// root re-exports this file whole, so a new op is one definition here and its Tensor method.
import { ValueError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { kernels } from '../runtime.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
import { geluForm, releaseIfNew, withOperands } from './operands.js';

// ── elementwise unary ──────────────────────────────────────────────────────
// int32 operands stay int32 for the codes with an int32 kernel (C.INT_UNARY, from the @int32
// marks in assembly/elementwise.ts)

function unary(op: string, code: number, x: TensorLike, p0 = 0, p1 = 0): Tensor {
  // the hot path: a live float tensor, nothing to convert or free
  if (x instanceof Tensor && x.dtype !== 'int32') {
    const px = x.ptr(op);
    const out = new Tensor(x.shape, x.dtype);
    if (x.dtype === 'float64') kernels().ew_unary_f64(code, px, out.ptr(op), out.size, p0, p1);
    else kernels().ew_unary_f32(code, px, out.ptr(op), out.size, p0, p1);
    return out;
  }
  return withOperands(op, [x], ([t]) => {
    const intPath = t!.dtype === 'int32' && C.INT_UNARY.has(code) && Number.isInteger(p0) && Number.isInteger(p1);
    const src = intPath ? t! : asFloat(t!, floatType(t!));
    const out = new Tensor(t!.shape, src.dtype);
    if (intPath) kernels().ew_unary_i32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    else if (src.dtype === 'float64') kernels().ew_unary_f64(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    else kernels().ew_unary_f32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    releaseIfNew(src, t!);
    return out;
  });
}

/** −x. */
export const neg = (x: TensorLike): Tensor => unary('neg', C.UN_NEG, x);
/** |x|. */
export const abs = (x: TensorLike): Tensor => unary('abs', C.UN_ABS, x);
/** √x. */
export const sqrt = (x: TensorLike): Tensor => unary('sqrt', C.UN_SQRT, x);
/** eˣ. */
export const exp = (x: TensorLike): Tensor => unary('exp', C.UN_EXP, x);
/** ln x. */
export const log = (x: TensorLike): Tensor => unary('log', C.UN_LOG, x);
/** x². */
export const square = (x: TensorLike): Tensor => unary('square', C.UN_SQUARE, x);
/** 1/x. */
export const reciprocal = (x: TensorLike): Tensor => unary('reciprocal', C.UN_RECIPROCAL, x);
/** sign(x) ∈ {−1, 0, 1}. */
export const sign = (x: TensorLike): Tensor => unary('sign', C.UN_SIGN, x);
/** max(x, 0). */
export const relu = (x: TensorLike): Tensor => unary('relu', C.UN_RELU, x);
/** σ(x) = 1/(1 + e⁻ˣ). */
export const sigmoid = (x: TensorLike): Tensor => unary('sigmoid', C.UN_SIGMOID, x);
/** tanh x. */
export const tanh = (x: TensorLike): Tensor => unary('tanh', C.UN_TANH, x);
/** sin x (radians). */
export const sin = (x: TensorLike): Tensor => unary('sin', C.UN_SIN, x);
/** cos x (radians). */
export const cos = (x: TensorLike): Tensor => unary('cos', C.UN_COS, x);
/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, computed in float64 by fdlibm's rational
 * approximations (within about one ulp) and rounded once for float32.
 *
 * @example
 * ```ts
 * erf([0, 1]).toArray(); // [0, 0.8427007794380188] (float32)
 * ```
 */
export const erf = (x: TensorLike): Tensor => unary('erf', C.UN_ERF, x);

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
/** ln(1 + x), accurate where x is small (log(1 + x) would round 1 + x first). */
export const log1p = (x: TensorLike): Tensor => unary('log1p', C.UN_LOG1P, x);
/** eˣ − 1, accurate where x is small. */
export const expm1 = (x: TensorLike): Tensor => unary('expm1', C.UN_EXPM1, x);
/** ln σ(x) = −ln(1 + e⁻ˣ), without overflow for large |x| (PyTorch's `logsigmoid`). */
export const logSigmoid = (x: TensorLike): Tensor => unary('logSigmoid', C.UN_LOG_SIGMOID, x);

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
