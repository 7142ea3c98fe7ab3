// Scalar math written once for every float type: the float32 instantiation calls Mathf, a float64
// one would call Math. Integer types never reach these (their ops are chosen in the dispatchers).

@inline export function fexp<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.exp(<f64>x) : <T>Mathf.exp(<f32>x);
}

@inline export function flog<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.log(<f64>x) : <T>Mathf.log(<f32>x);
}

@inline export function ftanh<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.tanh(<f64>x) : <T>Mathf.tanh(<f32>x);
}

@inline export function fpow<T>(x: T, y: T): T {
  return sizeof<T>() == 8 ? <T>Math.pow(<f64>x, <f64>y) : <T>Mathf.pow(<f32>x, <f32>y);
}

// Dispatchers end in `default: abort()` (the host throws) rather than `unreachable()`: a trapping
// default lets the optimizer treat the codes as exhaustive and fold the per-op loops into one loop
// that switches on the code for every element, several times slower.

/** Traps when instantiated for an integer type: the op has no integer kernel. */
@inline export function floatOnly<T>(): void {
  if (!isFloat<T>()) unreachable();
}

// sqrt(2/pi), for GELU's tanh form
@inline function geluC<T>(): T {
  return <T>0.7978845608028654;
}

@inline export function geluScalar<T>(x: T): T {
  return <T>0.5 * x * (<T>1 + ftanh<T>(geluC<T>() * (x + <T>0.044715 * x * x * x)));
}

// d/dx gelu(x) = 0.5(1 + t) + 0.5 x (1 - t^2) c (1 + 3·0.044715 x^2), t = tanh(c(x + 0.044715 x^3))
@inline export function geluGradScalar<T>(x: T): T {
  const t = ftanh<T>(geluC<T>() * (x + <T>0.044715 * x * x * x));
  return <T>0.5 * (<T>1 + t) + <T>0.5 * x * (<T>1 - t * t) * geluC<T>() * (<T>1 + <T>0.134145 * x * x);
}

// exp for float32, four lanes at a time and one, by the same steps (so a row's SIMD body and its
// scalar tail agree bit for bit): x = n·ln2 + r with n = round(x·log2 e) and |r| ≤ ln2/2, then
// e^r by a degree-6 polynomial (Cephes' expf coefficients, ~1 ulp) and 2^n built in the exponent
// bits. Below −87.33 the result is 0 (e^x underflows); above 88.72 it is +∞; NaN stays NaN.
const EXP_HI: f32 = 88.72283;
const EXP_LO: f32 = -87.33654;
const LOG2E: f32 = 1.44269504;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const P0: f32 = 1.9875691500e-4;
const P1: f32 = 1.3981999507e-3;
const P2: f32 = 8.3334519073e-3;
const P3: f32 = 4.1665795894e-2;
const P4: f32 = 1.6666665459e-1;
const P5: f32 = 5.0000001201e-1;

@inline export function expf4(x: v128): v128 {
  const c = f32x4.min(f32x4.max(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  const n = f32x4.nearest(f32x4.mul(c, f32x4.splat(LOG2E)));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n: n + 127 in the exponent field (n ∈ [−126, 128]; 128 only at the clamp, where ∞ is right)
  const e = i32x4.shl(i32x4.add(i32x4.trunc_sat_f32x4_s(n), i32x4.splat(127)), 23);
  let y = f32x4.mul(p, e);
  y = v128.bitselect(f32x4.splat(0), y, f32x4.lt(x, f32x4.splat(EXP_LO)));
  y = v128.bitselect(f32x4.splat(Infinity), y, f32x4.gt(x, f32x4.splat(EXP_HI)));
  // NaN lanes: the clamp turned them into a bound; give them back
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}
