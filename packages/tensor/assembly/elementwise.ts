// Elementwise kernels: unary maps over contiguous data, and dtype casts.
// Kernels take byte offsets into the shared memory and element counts; they never allocate.

import { fcos, ferf, fexp, flog, floatOnly, fpow, fsin, ftanh, geluErfScalar, geluTanhScalar } from './math';

// Op codes of this family: the one source (scripts/build-wasm.mjs reads these lines into
// src/generated/opcodes.ts; `@int32` marks a code that has an int32 kernel too). A code whose
// doc comment names an `@op` is a public op of one tensor and no parameters: build-wasm.mjs
// writes its function (src/generated/unary.ts, exported by the package with that comment as its
// documentation), and build-methods.mjs its Tensor method. A new op of that kind is its code, its
// case in unaryScalar and unaryDispatch below, and its entry in @gd/autograd's op table.
// Unary elementwise (ew_unary_*): out = f(x; p0, p1)
/** −x. @op neg */
const UN_NEG: i32 = 0; // @int32
/** |x|. @op abs */
const UN_ABS: i32 = 1; // @int32
/** √x. @op sqrt */
const UN_SQRT: i32 = 2;
/** eˣ. @op exp */
const UN_EXP: i32 = 3;
/** ln x. @op log */
const UN_LOG: i32 = 4;
/** x². @op square */
const UN_SQUARE: i32 = 5; // @int32
/** max(x, 0). @op relu */
const UN_RELU: i32 = 6; // @int32
/** σ(x) = 1/(1 + e⁻ˣ). @op sigmoid */
const UN_SIGMOID: i32 = 7;
/** tanh x. @op tanh */
const UN_TANH: i32 = 8;
const UN_CLAMP: i32 = 9; // min(max(x, p0), p1) @int32
const UN_POW_SCALAR: i32 = 10; // x ** p0
const UN_AFFINE: i32 = 11; // x * p0 + p1
/** sign(x) ∈ {−1, 0, 1}. @op sign */
const UN_SIGN: i32 = 12; // @int32
/** 1/x. @op reciprocal */
const UN_RECIPROCAL: i32 = 13;
const UN_RPOW_SCALAR: i32 = 14; // p0 ** x
const UN_LEAKY_RELU: i32 = 15; // x > 0 ? x : p0 * x
const UN_GELU_TANH: i32 = 16; // GELU, tanh approximation
/** ln(1 + x), accurate where x is small (log(1 + x) would round 1 + x first). @op log1p */
const UN_LOG1P: i32 = 17;
/** eˣ − 1, accurate where x is small. @op expm1 */
const UN_EXPM1: i32 = 18;
/** ln σ(x) = −ln(1 + e⁻ˣ), without overflow for large |x| (PyTorch's `logsigmoid`). @op logSigmoid */
const UN_LOG_SIGMOID: i32 = 19;
/** sin x (radians). @op sin */
const UN_SIN: i32 = 20;
/** cos x (radians). @op cos */
const UN_COS: i32 = 21;
/**
 * The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt, computed in float64 by fdlibm's rational
 * approximations (within about one ulp) and rounded once for float32.
 *
 * @example
 * ```ts
 * erf([0, 1]).toArray(); // [0, 0.8427007794380188] (float32)
 * ```
 * @op erf
 */
const UN_ERF: i32 = 22; // in float64 for both float types (math.ts)
const UN_GELU: i32 = 23; // exact GELU, x·Φ(x)
/** tan x (radians). @op tan */
const UN_TAN: i32 = 24;


// Each kernel body is generic over the element type T; the exported entry points below are its
// instantiations (f32 and i32 today). Byte offsets are element indices times sizeof<T>(), and a
// v128 holds 16 / sizeof<T>() lanes.

@inline function unaryScalar<T>(op: i32, x: T, p0: T, p1: T): T {
  switch (op) {
    case UN_NEG: return -x;
    case UN_ABS: return abs<T>(x);
    case UN_SQRT: {
      if (isFloat<T>()) return sqrt<T>(x);
      return x;
    }
    case UN_EXP: return fexp<T>(x);
    case UN_LOG: return flog<T>(x);
    case UN_SQUARE: return x * x;
    case UN_RELU: return max<T>(x, <T>0); // NaN-propagating, as the SIMD path (v128.max) and PyTorch
    // two branches keep exp's argument non-positive, so neither side overflows
    case UN_SIGMOID: {
      if (x >= <T>0) return <T>1 / (<T>1 + fexp<T>(-x));
      const e = fexp<T>(x);
      return e / (<T>1 + e);
    }
    case UN_TANH: return ftanh<T>(x);
    case UN_CLAMP: return min<T>(max<T>(x, p0), p1);
    case UN_POW_SCALAR: return fpow<T>(x, p0);
    case UN_AFFINE: return x * p0 + p1;
    case UN_SIGN: return x > <T>0 ? <T>1 : x < <T>0 ? <T>-1 : <T>0;
    case UN_RECIPROCAL: return <T>1 / x;
    case UN_RPOW_SCALAR: return fpow<T>(p0, x);
    case UN_LEAKY_RELU: return x > <T>0 ? x : p0 * x;
    case UN_GELU_TANH: return geluTanhScalar<T>(x);
    case UN_SIN: return fsin<T>(x);
    case UN_COS: return fcos<T>(x);
    case UN_ERF: return ferf<T>(x);
    case UN_GELU: return geluErfScalar<T>(x);
    case UN_LOG1P: return sizeof<T>() == 8 ? <T>Math.log1p(<f64>x) : <T>Mathf.log1p(<f32>x);
    case UN_EXPM1: return sizeof<T>() == 8 ? <T>Math.expm1(<f64>x) : <T>Mathf.expm1(<f32>x);
    case UN_TAN: return sizeof<T>() == 8 ? <T>Math.tan(<f64>x) : <T>Mathf.tan(<f32>x);
    case UN_LOG_SIGMOID: {
      const e = fexp<T>(-abs<T>(x));
      return min<T>(x, <T>0) - (sizeof<T>() == 8 ? <T>Math.log1p(<f64>e) : <T>Mathf.log1p(<f32>e));
    }
    default: return x;
  }
}

// The ops with a direct v128 form; the rest run the scalar loop.
@inline function unaryHasSimd<T>(op: i32): bool {
  if (!isFloat<T>()) return false;
  return op == UN_NEG || op == UN_ABS || op == UN_SQRT || op == UN_SQUARE || op == UN_RELU ||
    op == UN_CLAMP || op == UN_AFFINE;
}

@inline function unaryVec<T>(op: i32, x: v128, p0: v128, p1: v128): v128 {
  switch (op) {
    case UN_NEG: return v128.neg<T>(x);
    case UN_ABS: return v128.abs<T>(x);
    case UN_SQRT: {
      if (isFloat<T>()) return v128.sqrt<T>(x);
      return x;
    }
    case UN_SQUARE: return v128.mul<T>(x, x);
    case UN_RELU: return v128.max<T>(x, v128.splat<T>(0));
    case UN_CLAMP: return v128.min<T>(v128.max<T>(x, p0), p1);
    case UN_AFFINE: return v128.add<T>(v128.mul<T>(x, p0), p1);
    default: return x;
  }
}

@inline function unaryLoop<T>(op: i32, x: usize, out: usize, n: i32, p0: T, p1: T): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  let i = 0;
  if (unaryHasSimd<T>(op)) {
    const v0 = v128.splat<T>(p0);
    const v1 = v128.splat<T>(p1);
    for (; i + lanes <= n; i += lanes) {
      const o = (<usize>i) * sizeof<T>();
      v128.store(out + o, unaryVec<T>(op, v128.load(x + o), v0, v1));
    }
  }
  for (; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    store<T>(out + o, unaryScalar<T>(op, load<T>(x + o), p0, p1));
  }
}

// Integer types take only the codes marked @int32 above; the others trap.
@inline function unaryDispatch<T>(op: i32, x: usize, out: usize, n: i32, p0: T, p1: T): void {
  switch (op) {
    case UN_NEG: unaryLoop<T>(UN_NEG, x, out, n, p0, p1); break;
    case UN_ABS: unaryLoop<T>(UN_ABS, x, out, n, p0, p1); break;
    case UN_SQUARE: unaryLoop<T>(UN_SQUARE, x, out, n, p0, p1); break;
    case UN_RELU: unaryLoop<T>(UN_RELU, x, out, n, p0, p1); break;
    case UN_CLAMP: unaryLoop<T>(UN_CLAMP, x, out, n, p0, p1); break;
    case UN_SIGN: unaryLoop<T>(UN_SIGN, x, out, n, p0, p1); break;
    case UN_SQRT: floatOnly<T>(); unaryLoop<T>(UN_SQRT, x, out, n, p0, p1); break;
    case UN_EXP: floatOnly<T>(); unaryLoop<T>(UN_EXP, x, out, n, p0, p1); break;
    case UN_LOG: floatOnly<T>(); unaryLoop<T>(UN_LOG, x, out, n, p0, p1); break;
    case UN_SIGMOID: floatOnly<T>(); unaryLoop<T>(UN_SIGMOID, x, out, n, p0, p1); break;
    case UN_TANH: floatOnly<T>(); unaryLoop<T>(UN_TANH, x, out, n, p0, p1); break;
    case UN_POW_SCALAR: floatOnly<T>(); unaryLoop<T>(UN_POW_SCALAR, x, out, n, p0, p1); break;
    case UN_AFFINE: floatOnly<T>(); unaryLoop<T>(UN_AFFINE, x, out, n, p0, p1); break;
    case UN_RECIPROCAL: floatOnly<T>(); unaryLoop<T>(UN_RECIPROCAL, x, out, n, p0, p1); break;
    case UN_RPOW_SCALAR: floatOnly<T>(); unaryLoop<T>(UN_RPOW_SCALAR, x, out, n, p0, p1); break;
    case UN_LEAKY_RELU: floatOnly<T>(); unaryLoop<T>(UN_LEAKY_RELU, x, out, n, p0, p1); break;
    case UN_GELU_TANH: floatOnly<T>(); unaryLoop<T>(UN_GELU_TANH, x, out, n, p0, p1); break;
    case UN_GELU: floatOnly<T>(); unaryLoop<T>(UN_GELU, x, out, n, p0, p1); break;
    case UN_SIN: floatOnly<T>(); unaryLoop<T>(UN_SIN, x, out, n, p0, p1); break;
    case UN_COS: floatOnly<T>(); unaryLoop<T>(UN_COS, x, out, n, p0, p1); break;
    case UN_ERF: floatOnly<T>(); unaryLoop<T>(UN_ERF, x, out, n, p0, p1); break;
    case UN_LOG1P: floatOnly<T>(); unaryLoop<T>(UN_LOG1P, x, out, n, p0, p1); break;
    case UN_EXPM1: floatOnly<T>(); unaryLoop<T>(UN_EXPM1, x, out, n, p0, p1); break;
    case UN_TAN: floatOnly<T>(); unaryLoop<T>(UN_TAN, x, out, n, p0, p1); break;
    case UN_LOG_SIGMOID: floatOnly<T>(); unaryLoop<T>(UN_LOG_SIGMOID, x, out, n, p0, p1); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** out[i] = f(x[i]) for float32 data; `op` is one of the UN_* codes. */
export function ew_unary_f32(op: i32, x: usize, out: usize, n: i32, p0: f32, p1: f32): void {
  unaryDispatch<f32>(op, x, out, n, p0, p1);
}

/** out[i] = f(x[i]) for float64 data; `op` is one of the UN_* codes. */
export function ew_unary_f64(op: i32, x: usize, out: usize, n: i32, p0: f64, p1: f64): void {
  unaryDispatch<f64>(op, x, out, n, p0, p1);
}

/**
 * x ← x·(factor·s[0]) for float32 data, the scale read from memory at `s` (a gradient seed), so
 * no value passes through JavaScript; factor·s[0] is rounded to float32 as ew_unary_f32's parameter is.
 */
export function ew_scale_by_f32(x: usize, n: i32, s: usize, factor: f64): void {
  unaryDispatch<f32>(UN_AFFINE, x, x, n, <f32>(factor * <f64>load<f32>(s)), 0);
}

/** ew_scale_by_f32 for float64 data and a float64 scale. */
export function ew_scale_by_f64(x: usize, n: i32, s: usize, factor: f64): void {
  unaryDispatch<f64>(UN_AFFINE, x, x, n, factor * load<f64>(s), 0);
}

/** out[i] = f(x[i]) for int32 data: the codes marked @int32 above. */
export function ew_unary_i32(op: i32, x: usize, out: usize, n: i32, p0: i32, p1: i32): void {
  unaryDispatch<i32>(op, x, out, n, p0, p1);
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

// Casts to and from float64: one generic loop, S → D by AssemblyScript's conversion (float → int
// truncates toward zero and saturates, NaN → 0, as the float32 cast does; f64 → f32 rounds to
// nearest even).
@inline function castLoop<S, D>(x: usize, out: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    store<D>(out + (<usize>i) * sizeof<D>(), convert<S, D>(load<S>(x + (<usize>i) * sizeof<S>())));
  }
}

@inline function convert<S, D>(v: S): D {
  if (isFloat<S>() && !isFloat<D>()) {
    // saturating truncation, NaN → 0 (the semantics of i32.trunc_sat)
    const f = <f64>v;
    if (f != f) return <D>0;
    if (f >= 2147483647.0) return <D>2147483647;
    if (f <= -2147483648.0) return <D>-2147483648;
    return <D><i32>f;
  }
  return <D>v;
}

/** float32 → float64 (exact). */
export function ew_cast_f32_f64(x: usize, out: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    v128.store(out + ((<usize>i) << 3), f64x2.promote_low_f32x4(v128.load64_zero(x + ((<usize>i) << 2))));
  }
  for (; i < n; i++) store<f64>(out + ((<usize>i) << 3), <f64>load<f32>(x + ((<usize>i) << 2)));
}

/** float64 → float32 (rounded to nearest). */
export function ew_cast_f64_f32(x: usize, out: usize, n: i32): void {
  castLoop<f64, f32>(x, out, n);
}

/** int32 → float64 (exact). */
export function ew_cast_i32_f64(x: usize, out: usize, n: i32): void {
  castLoop<i32, f64>(x, out, n);
}

/** float64 → int32, truncating toward zero, saturating (NaN → 0). */
export function ew_cast_f64_i32(x: usize, out: usize, n: i32): void {
  castLoop<f64, i32>(x, out, n);
}
