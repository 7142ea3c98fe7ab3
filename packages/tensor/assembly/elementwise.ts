// Elementwise kernels: unary maps over contiguous data, and dtype casts.
// Kernels take byte offsets into the shared memory and element counts; they never allocate.
import {
  UN_ABS, UN_AFFINE, UN_CLAMP, UN_EXP, UN_GELU, UN_LEAKY_RELU, UN_LOG, UN_NEG, UN_POW_SCALAR,
  UN_RECIPROCAL, UN_RELU, UN_RPOW_SCALAR, UN_SIGMOID, UN_SIGN, UN_SQRT, UN_SQUARE, UN_TANH,
} from './opcodes';

// sqrt(2/pi), for GELU's tanh form
const GELU_C: f32 = 0.7978845608028654;

@inline export function geluScalar(x: f32): f32 {
  return <f32>0.5 * x * (<f32>1 + Mathf.tanh(GELU_C * (x + <f32>0.044715 * x * x * x)));
}

// d/dx gelu(x) = 0.5(1 + t) + 0.5 x (1 - t^2) c (1 + 3·0.044715 x^2), t = tanh(c(x + 0.044715 x^3))
@inline export function geluGradScalar(x: f32): f32 {
  const t = Mathf.tanh(GELU_C * (x + <f32>0.044715 * x * x * x));
  return <f32>0.5 * (<f32>1 + t) + <f32>0.5 * x * (<f32>1 - t * t) * GELU_C * (<f32>1 + <f32>0.134145 * x * x);
}

@inline function unaryScalarF32(op: i32, x: f32, p0: f32, p1: f32): f32 {
  switch (op) {
    case UN_NEG: return -x;
    case UN_ABS: return Mathf.abs(x);
    case UN_SQRT: return Mathf.sqrt(x);
    case UN_EXP: return Mathf.exp(x);
    case UN_LOG: return Mathf.log(x);
    case UN_SQUARE: return x * x;
    case UN_RELU: return max<f32>(x, 0); // NaN-propagating, as the SIMD path (f32x4.max) and PyTorch
    // two branches keep exp's argument non-positive, so neither side overflows
    case UN_SIGMOID: {
      if (x >= 0) return <f32>1 / (<f32>1 + Mathf.exp(-x));
      const e = Mathf.exp(x);
      return e / (<f32>1 + e);
    }
    case UN_TANH: return Mathf.tanh(x);
    case UN_CLAMP: return Mathf.min(Mathf.max(x, p0), p1);
    case UN_POW_SCALAR: return Mathf.pow(x, p0);
    case UN_AFFINE: return x * p0 + p1;
    case UN_SIGN: return x > 0 ? <f32>1 : x < 0 ? <f32>-1 : <f32>0;
    case UN_RECIPROCAL: return <f32>1 / x;
    case UN_RPOW_SCALAR: return Mathf.pow(p0, x);
    case UN_LEAKY_RELU: return x > 0 ? x : p0 * x;
    case UN_GELU: return geluScalar(x);
    default: return x;
  }
}

// The ops with a direct f32x4 form; the rest run the scalar loop.
@inline function unaryHasSimd(op: i32): bool {
  return op == UN_NEG || op == UN_ABS || op == UN_SQRT || op == UN_SQUARE || op == UN_RELU ||
    op == UN_CLAMP || op == UN_AFFINE;
}

@inline function unaryVecF32(op: i32, x: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case UN_NEG: return f32x4.neg(x);
    case UN_ABS: return f32x4.abs(x);
    case UN_SQRT: return f32x4.sqrt(x);
    case UN_SQUARE: return f32x4.mul(x, x);
    case UN_RELU: return f32x4.max(x, f32x4.splat(0));
    case UN_CLAMP: return f32x4.min(f32x4.max(x, p0), p1);
    case UN_AFFINE: return f32x4.add(f32x4.mul(x, p0), p1);
    default: return x;
  }
}

@inline function unaryLoopF32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  let i = 0;
  if (unaryHasSimd(op)) {
    const v0 = f32x4.splat(p0);
    const v1 = f32x4.splat(p1);
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(out + o, unaryVecF32(op, v128.load(x + o), v0, v1));
    }
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(out + o, unaryScalarF32(op, load<f32>(x + o), p0, p1));
  }
}

/** out[i] = f(x[i]) for float32 data; `op` is one of the UN_* codes. */
export function ew_unary_f32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  switch (op) {
    case UN_NEG: unaryLoopF32(UN_NEG, x, out, n, p0, p1); break;
    case UN_ABS: unaryLoopF32(UN_ABS, x, out, n, p0, p1); break;
    case UN_SQRT: unaryLoopF32(UN_SQRT, x, out, n, p0, p1); break;
    case UN_EXP: unaryLoopF32(UN_EXP, x, out, n, p0, p1); break;
    case UN_LOG: unaryLoopF32(UN_LOG, x, out, n, p0, p1); break;
    case UN_SQUARE: unaryLoopF32(UN_SQUARE, x, out, n, p0, p1); break;
    case UN_RELU: unaryLoopF32(UN_RELU, x, out, n, p0, p1); break;
    case UN_SIGMOID: unaryLoopF32(UN_SIGMOID, x, out, n, p0, p1); break;
    case UN_TANH: unaryLoopF32(UN_TANH, x, out, n, p0, p1); break;
    case UN_CLAMP: unaryLoopF32(UN_CLAMP, x, out, n, p0, p1); break;
    case UN_POW_SCALAR: unaryLoopF32(UN_POW_SCALAR, x, out, n, p0, p1); break;
    case UN_AFFINE: unaryLoopF32(UN_AFFINE, x, out, n, p0, p1); break;
    case UN_SIGN: unaryLoopF32(UN_SIGN, x, out, n, p0, p1); break;
    case UN_RECIPROCAL: unaryLoopF32(UN_RECIPROCAL, x, out, n, p0, p1); break;
    case UN_RPOW_SCALAR: unaryLoopF32(UN_RPOW_SCALAR, x, out, n, p0, p1); break;
    case UN_LEAKY_RELU: unaryLoopF32(UN_LEAKY_RELU, x, out, n, p0, p1); break;
    case UN_GELU: unaryLoopF32(UN_GELU, x, out, n, p0, p1); break;
  }
}

@inline function unaryScalarI32(op: i32, x: i32, p0: i32, p1: i32): i32 {
  switch (op) {
    case UN_NEG: return -x;
    case UN_ABS: return x < 0 ? -x : x;
    case UN_SQUARE: return x * x;
    case UN_RELU: return x > 0 ? x : 0;
    case UN_CLAMP: return x < p0 ? p0 : x > p1 ? p1 : x;
    case UN_SIGN: return x > 0 ? 1 : x < 0 ? -1 : 0;
    case UN_AFFINE: return x * p0 + p1;
    default: return x;
  }
}

@inline function unaryLoopI32(op: i32, x: usize, out: usize, n: i32, p0: i32, p1: i32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    store<i32>(out + o, unaryScalarI32(op, load<i32>(x + o), p0, p1));
  }
}

/** out[i] = f(x[i]) for int32 data: NEG, ABS, SQUARE, RELU, CLAMP, SIGN, AFFINE. */
export function ew_unary_i32(op: i32, x: usize, out: usize, n: i32, p0: i32, p1: i32): void {
  switch (op) {
    case UN_NEG: unaryLoopI32(UN_NEG, x, out, n, p0, p1); break;
    case UN_ABS: unaryLoopI32(UN_ABS, x, out, n, p0, p1); break;
    case UN_SQUARE: unaryLoopI32(UN_SQUARE, x, out, n, p0, p1); break;
    case UN_RELU: unaryLoopI32(UN_RELU, x, out, n, p0, p1); break;
    case UN_CLAMP: unaryLoopI32(UN_CLAMP, x, out, n, p0, p1); break;
    case UN_SIGN: unaryLoopI32(UN_SIGN, x, out, n, p0, p1); break;
    case UN_AFFINE: unaryLoopI32(UN_AFFINE, x, out, n, p0, p1); break;
  }
}

/** int32 → float32. */
export function ew_cast_i32_f32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(out + o, f32x4.convert_i32x4_s(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(out + o, <f32>load<i32>(x + o));
  }
}

/** float32 → int32, truncating toward zero, saturating (NaN → 0). */
export function ew_cast_f32_i32(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(out + o, i32x4.trunc_sat_f32x4_s(v128.load(x + o)));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<i32>(out + o, <i32>load<f32>(x + o));
  }
}
