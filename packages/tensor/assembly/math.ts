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

@inline export function geluTanhScalar<T>(x: T): T {
  return <T>0.5 * x * (<T>1 + ftanh<T>(geluC<T>() * (x + <T>0.044715 * x * x * x)));
}

// d/dx gelu_tanh(x) = 0.5(1 + t) + 0.5 x (1 - t^2) c (1 + 3·0.044715 x^2), t = tanh(c(x + 0.044715 x^3))
@inline export function geluTanhGradScalar<T>(x: T): T {
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
/** 1.5·2²³: a float32 plus this, minus this, is rounded to an integer (to nearest even) for |x| < 2²². */
const ROUND_MAGIC: f32 = 12582912;

@inline export function expf4(x: v128): v128 {
  // pmin/pmax are one instruction each (min/max carry NaN and −0 rules, several); a NaN lane
  // passes through them as NaN and is given back below
  const c = f32x4.pmin(f32x4.pmax(x, f32x4.splat(EXP_LO)), f32x4.splat(EXP_HI));
  // n = round(c·log2 e), to nearest even, by adding and subtracting 1.5·2²³: t's low mantissa
  // bits then hold n itself, so 2^n is t's bits shifted into the exponent field (no float→int
  // conversion, which takes many instructions)
  const t = f32x4.add(f32x4.mul(c, f32x4.splat(LOG2E)), f32x4.splat(ROUND_MAGIC));
  const n = f32x4.sub(t, f32x4.splat(ROUND_MAGIC));
  let r = f32x4.sub(c, f32x4.mul(n, f32x4.splat(LN2_HI)));
  r = f32x4.sub(r, f32x4.mul(n, f32x4.splat(LN2_LO)));
  let p = f32x4.add(f32x4.mul(f32x4.splat(P0), r), f32x4.splat(P1));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P2));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P3));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P4));
  p = f32x4.add(f32x4.mul(p, r), f32x4.splat(P5));
  p = f32x4.add(f32x4.add(f32x4.mul(f32x4.mul(p, r), r), r), f32x4.splat(1));
  // 2^n: n + 127 in the exponent field (n ∈ [−126, 128]; 128 only near the clamp at EXP_HI, where
  // 2^128 is +∞, the result above it); t's bits are 0x4B400000 + n, whose high part shifts out
  const e = i32x4.add(i32x4.shl(t, 23), i32x4.splat(127 << 23));
  // below EXP_LO the result is 0 (the clamp would give 2^−126·p)
  const y = v128.andnot(f32x4.mul(p, e), f32x4.lt(x, f32x4.splat(EXP_LO)));
  // NaN lanes: give them back
  return v128.bitselect(x, y, f32x4.ne(x, x));
}

@inline export function expf1(x: f32): f32 {
  return f32x4.extract_lane(expf4(f32x4.splat(x)), 0);
}

// ── erf, erfc ───────────────────────────────────────────────────────────────
// The rational approximations of Sun's fdlibm (s_erf.c, 1993: "Copyright (C) 1993 by Sun
// Microsystems, Inc. All rights reserved. Developed at SunPro, a Sun Microsystems, Inc. business.
// Permission to use, copy, modify, and distribute this software is freely granted, provided that
// this notice is preserved."), evaluated in float64; each piece is within 2^-57 of its target,
// so erf and erfc are correct to about one ulp. float32 rounds the float64 value once.
//   |x| < 0.84375:       erf(x) = x + x·P(x²)/Q(x²)
//   0.84375 ≤ |x| < 1.25: erf(x) = c + P(s)/Q(s), s = |x| − 1, c = erf(1) rounded to 24 bits
//   1.25 ≤ |x| < 28:     erfc(x) = exp(−x² − 0.5625 + R(1/x²)/S(1/x²)) / x (two intervals)
const ERX: f64 = 8.45062911510467529297e-01;
const EFX: f64 = 1.28379167095512586316e-01;
const PP0: f64 = 1.28379167095512558561e-01;
const PP1: f64 = -3.25042107247001499370e-01;
const PP2: f64 = -2.84817495755985104766e-02;
const PP3: f64 = -5.77027029648944159157e-03;
const PP4: f64 = -2.37630166566501626084e-05;
const QQ1: f64 = 3.97917223959155352819e-01;
const QQ2: f64 = 6.50222499887672944485e-02;
const QQ3: f64 = 5.08130628187576562776e-03;
const QQ4: f64 = 1.32494738004321644526e-04;
const QQ5: f64 = -3.96022827877536812320e-06;
const PA0: f64 = -2.36211856075265944077e-03;
const PA1: f64 = 4.14856118683748331666e-01;
const PA2: f64 = -3.72207876035701323847e-01;
const PA3: f64 = 3.18346619901161753674e-01;
const PA4: f64 = -1.10894694282396677476e-01;
const PA5: f64 = 3.54783043256182359371e-02;
const PA6: f64 = -2.16637559486879084300e-03;
const QA1: f64 = 1.06420880400844228286e-01;
const QA2: f64 = 5.40397917702171048937e-01;
const QA3: f64 = 7.18286544141962662868e-02;
const QA4: f64 = 1.26171219808761642112e-01;
const QA5: f64 = 1.36370839120290507362e-02;
const QA6: f64 = 1.19844998467991074170e-02;
const RA0: f64 = -9.86494403484714822705e-03;
const RA1: f64 = -6.93858572707181764372e-01;
const RA2: f64 = -1.05586262253232909814e+01;
const RA3: f64 = -6.23753324503260060396e+01;
const RA4: f64 = -1.62396669462573470355e+02;
const RA5: f64 = -1.84605092906711035994e+02;
const RA6: f64 = -8.12874355063065934246e+01;
const RA7: f64 = -9.81432934416914548592e+00;
const SA1: f64 = 1.96512716674392571292e+01;
const SA2: f64 = 1.37657754143519042600e+02;
const SA3: f64 = 4.34565877475229228821e+02;
const SA4: f64 = 6.45387271733267880336e+02;
const SA5: f64 = 4.29008140027567833386e+02;
const SA6: f64 = 1.08635005541779435134e+02;
const SA7: f64 = 6.57024977031928170135e+00;
const SA8: f64 = -6.04244152148580987438e-02;
const RB0: f64 = -9.86494292470009928597e-03;
const RB1: f64 = -7.99283237680523006574e-01;
const RB2: f64 = -1.77579549177547519889e+01;
const RB3: f64 = -1.60636384855821916062e+02;
const RB4: f64 = -6.37566443368389627722e+02;
const RB5: f64 = -1.02509513161107724954e+03;
const RB6: f64 = -4.83519191608651397019e+02;
const SB1: f64 = 3.03380607434824582924e+01;
const SB2: f64 = 3.25792512996573918826e+02;
const SB3: f64 = 1.53672958608443695994e+03;
const SB4: f64 = 3.19985821950859553908e+03;
const SB5: f64 = 2.55305040643316442583e+03;
const SB6: f64 = 4.74528541206955367215e+02;
const SB7: f64 = -2.24409524465858183362e+01;

// x·P(x²)/Q(x²), the correction to erf(x) ≈ x on |x| < 0.84375
@inline function erfSmall(x: f64): f64 {
  const z = x * x;
  const r = PP0 + z * (PP1 + z * (PP2 + z * (PP3 + z * PP4)));
  const s = 1.0 + z * (QQ1 + z * (QQ2 + z * (QQ3 + z * (QQ4 + z * QQ5))));
  return x * (r / s);
}

// erf(1 + s) − ERX on 0.84375 ≤ |x| < 1.25
@inline function erfNearOne(a: f64): f64 {
  const s = a - 1.0;
  const p = PA0 + s * (PA1 + s * (PA2 + s * (PA3 + s * (PA4 + s * (PA5 + s * PA6)))));
  const q = 1.0 + s * (QA1 + s * (QA2 + s * (QA3 + s * (QA4 + s * (QA5 + s * QA6)))));
  return p / q;
}

// erfc(a) for 1.25 ≤ a < 28. −a² is split as −z² + (z − a)(z + a) with z = a cut to its high 32
// bits, so z² is exact and exp's argument loses nothing to rounding.
@inline function erfcTail(a: f64): f64 {
  const s = 1.0 / (a * a);
  let r: f64;
  let q: f64;
  if (a < 2.857142857142857) {
    r = RA0 + s * (RA1 + s * (RA2 + s * (RA3 + s * (RA4 + s * (RA5 + s * (RA6 + s * RA7))))));
    q = 1.0 + s * (SA1 + s * (SA2 + s * (SA3 + s * (SA4 + s * (SA5 + s * (SA6 + s * (SA7 + s * SA8)))))));
  } else {
    r = RB0 + s * (RB1 + s * (RB2 + s * (RB3 + s * (RB4 + s * (RB5 + s * RB6)))));
    q = 1.0 + s * (SB1 + s * (SB2 + s * (SB3 + s * (SB4 + s * (SB5 + s * (SB6 + s * SB7))))));
  }
  const z = reinterpret<f64>(reinterpret<u64>(a) & 0xffffffff00000000);
  return (Math.exp(-z * z - 0.5625) * Math.exp((z - a) * (z + a) + r / q)) / a;
}

/** erf(x) = 2/√π ∫₀ˣ e^(−t²) dt in float64; erf(±∞) = ±1, erf(NaN) = NaN. */
export function erf64(x: f64): f64 {
  if (x != x) return x;
  const a = Math.abs(x);
  let y: f64;
  if (a < 0.84375) return a < 3.725290298461914e-9 ? x + EFX * x : x + erfSmall(x);
  if (a < 1.25) y = ERX + erfNearOne(a);
  else if (a >= 6.0) y = 1.0;
  else y = 1.0 - erfcTail(a);
  return x < 0 ? -y : y;
}

/** erfc(x) = 1 − erf(x) in float64, without the cancellation of 1 − erf(x) for large x. */
export function erfc64(x: f64): f64 {
  if (x != x) return x;
  const a = Math.abs(x);
  if (a < 0.84375) {
    if (x < 0.25) return 1.0 - (x + erfSmall(x));
    return 0.5 - (erfSmall(x) + (x - 0.5));
  }
  if (a < 1.25) return x > 0 ? 1.0 - ERX - erfNearOne(a) : 1.0 + (ERX + erfNearOne(a));
  if (a >= 28.0) return x > 0 ? 0.0 : 2.0;
  const t = erfcTail(a);
  return x > 0 ? t : 2.0 - t;
}

@inline export function ferf<T>(x: T): T {
  return <T>erf64(<f64>x);
}

@inline export function fsin<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.sin(<f64>x) : <T>Mathf.sin(<f32>x);
}

@inline export function fcos<T>(x: T): T {
  return sizeof<T>() == 8 ? <T>Math.cos(<f64>x) : <T>Mathf.cos(<f32>x);
}

// Exact GELU, x·Φ(x) with Φ(x) = erfc(−x/√2)/2: erfc keeps Φ accurate in the far left tail,
// where 1 + erf(x/√2) would cancel.
const SQRT1_2: f64 = 0.7071067811865476;
const INV_SQRT_2PI: f64 = 0.3989422804014327;

@inline export function geluErfScalar<T>(x: T): T {
  const v = <f64>x;
  return <T>(v * 0.5 * erfc64(-v * SQRT1_2));
}

// d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
@inline export function geluErfGradScalar<T>(x: T): T {
  const v = <f64>x;
  return <T>(0.5 * erfc64(-v * SQRT1_2) + v * INV_SQRT_2PI * Math.exp(-0.5 * v * v));
}
