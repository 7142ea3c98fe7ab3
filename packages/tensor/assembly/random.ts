// Seeded pseudo-random numbers: xoshiro128** (Blackman & Vigna), seeded through splitmix32.
// Everything runs inside the module, with its own math, so a seed gives bit-identical streams
// in Node and in every browser.

let s0: u32 = 0x9e3779b9;
let s1: u32 = 0x243f6a88;
let s2: u32 = 0xb7e15162;
let s3: u32 = 0x12345678;

@inline function rotl(x: u32, k: u32): u32 {
  return (x << k) | (x >>> (32 - k));
}

function next(): u32 {
  const result = rotl(s1 * 5, 7) * 9;
  const t = s1 << 9;
  s2 ^= s0;
  s3 ^= s1;
  s1 ^= s2;
  s0 ^= s3;
  s2 ^= t;
  s3 = rotl(s3, 11);
  return result;
}

function splitmix32(state: u32): u32 {
  let z = state + 0x9e3779b9;
  z = (z ^ (z >>> 16)) * 0x85ebca6b;
  z = (z ^ (z >>> 13)) * 0xc2b2ae35;
  return z ^ (z >>> 16);
}

/** Reset the generator from a 32-bit seed. */
export function rng_seed(seed: u32): void {
  s0 = splitmix32(seed);
  s1 = splitmix32(s0);
  s2 = splitmix32(s1);
  s3 = splitmix32(s2);
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}

/** Word i (0…3) of the generator's state. */
export function rng_state(i: i32): u32 {
  return i == 0 ? s0 : i == 1 ? s1 : i == 2 ? s2 : s3;
}

/** Sets the generator's state words (not all zero: the TypeScript side checks). */
export function rng_set_state(a: u32, b: u32, c: u32, d: u32): void {
  s0 = a;
  s1 = b;
  s2 = c;
  s3 = d;
}

// A uniform float in [0, 1) with 24 random bits: exactly representable in float32.
@inline function uniform01(): f32 {
  return <f32>(next() >>> 8) * <f32>5.9604644775390625e-8;
}

// The float draws are generic over T (f32 or f64): both take the same numbers from the stream,
// and the float64 ones skip the final rounding, so one seed gives a float64 tensor whose float32
// cast is the float32 draw.

@inline function uniform<T>(out: usize, n: i32, lo: T, hi: T): void {
  const w = hi - lo;
  for (let i = 0; i < n; i++) store<T>(out + (<usize>i) * sizeof<T>(), lo + w * <T>uniform01());
}

// Box–Muller in float64, rounded once to T.
@inline function normal<T>(out: usize, n: i32, mean: T, std: T): void {
  for (let i = 0; i < n; i += 2) {
    // u1 in (0, 1] so log(u1) is finite
    const u1 = (<f64>(next() >>> 8) + 1) * 5.9604644775390625e-8;
    const u2 = <f64>(next() >>> 8) * 5.9604644775390625e-8;
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    store<T>(out + (<usize>i) * sizeof<T>(), <T>(<f64>mean + <f64>std * r * Math.cos(theta)));
    if (i + 1 < n) store<T>(out + (<usize>(i + 1)) * sizeof<T>(), <T>(<f64>mean + <f64>std * r * Math.sin(theta)));
  }
}

@inline function dropoutMask<T>(out: usize, n: i32, keep: T, scale: T): void {
  for (let i = 0; i < n; i++) store<T>(out + (<usize>i) * sizeof<T>(), <T>uniform01() < keep ? scale : <T>0);
}

/** out[i] ~ U[lo, hi). */
export function rng_uniform_f32(out: usize, n: i32, lo: f32, hi: f32): void {
  uniform<f32>(out, n, lo, hi);
}

/** rng_uniform_f32 in float64: the same draws, unrounded. */
export function rng_uniform_f64(out: usize, n: i32, lo: f64, hi: f64): void {
  uniform<f64>(out, n, lo, hi);
}

/** out[i] ~ N(mean, std²), by the Box–Muller transform (in float64, rounded once). */
export function rng_normal_f32(out: usize, n: i32, mean: f32, std: f32): void {
  normal<f32>(out, n, mean, std);
}

/** rng_normal_f32 in float64: the same draws, unrounded. */
export function rng_normal_f64(out: usize, n: i32, mean: f64, std: f64): void {
  normal<f64>(out, n, mean, std);
}

/** Bernoulli mask for dropout: out[i] = (u < keep) ? scale : 0. */
export function rng_dropout_mask_f32(out: usize, n: i32, keep: f32, scale: f32): void {
  dropoutMask<f32>(out, n, keep, scale);
}

/** rng_dropout_mask_f32 in float64. */
export function rng_dropout_mask_f64(out: usize, n: i32, keep: f64, scale: f64): void {
  dropoutMask<f64>(out, n, keep, scale);
}

// A uniform integer in [0, range) by Lemire's multiply-shift with rejection (unbiased).
function below(range: u32): u32 {
  let m = <u64>next() * <u64>range;
  let low = <u32>m;
  if (low < range) {
    const threshold: u32 = (<u32>0 - range) % range;
    while (low < threshold) {
      m = <u64>next() * <u64>range;
      low = <u32>m;
    }
  }
  return <u32>(m >>> 32);
}

/** out[i] uniform in [lo, hi), hi > lo, as int32. */
export function rng_int_i32(out: usize, n: i32, lo: i32, hi: i32): void {
  const range = <u32>(hi - lo);
  for (let i = 0; i < n; i++) store<i32>(out + ((<usize>i) << 2), lo + <i32>below(range));
}

/** A uniformly random permutation of 0..n−1 (Fisher–Yates), as int32. */
export function rng_permutation_i32(out: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<i32>(out + ((<usize>i) << 2), i);
  for (let i = n - 1; i > 0; i--) {
    const j = <i32>below(<u32>(i + 1));
    const pi = out + ((<usize>i) << 2);
    const pj = out + ((<usize>j) << 2);
    const t = load<i32>(pi);
    store<i32>(pi, load<i32>(pj));
    store<i32>(pj, t);
  }
}

// A uniform float64 in [0, 1) with 53 random bits, from two draws.
@inline function uniform53(): f64 {
  const hi = <u64>(next() >>> 5); // 27 bits
  const lo = <u64>(next() >>> 6); // 26 bits
  return <f64>((hi << 26) | lo) * 1.1102230246251565e-16; // 2^-53
}

// The category whose cumulative weight first exceeds u·total, among `cats` weights at w: a category
// of weight 0 is never picked (its cumulative sum equals its predecessor's). Should rounding leave
// u·total at or above the running sum, the last category of nonzero weight is taken.
@inline function pick(w: usize, cats: i32, total: f64): i32 {
  const target = uniform53() * total;
  let acc: f64 = 0;
  let last = 0;
  for (let c = 0; c < cats; c++) {
    const p = load<f64>(w + ((<usize>c) << 3));
    if (p > 0) {
      acc += p;
      last = c;
      if (acc > target) return c;
    }
  }
  return last;
}

/**
 * n draws per row of `rows` rows of `cats` non-negative float64 weights (not necessarily
 * normalised; each row checked by the caller to have a positive sum and, without replacement, at
 * least n nonzero weights), as int32 category ids. Without replacement a drawn category's weight
 * is set to zero in `scratch` (cats float64 words, the row's copy) before the next draw.
 */
export function rng_multinomial_f64(w: usize, out: usize, rows: i32, cats: i32, n: i32, replacement: bool, scratch: usize): void {
  const rowBytes = (<usize>cats) << 3;
  for (let r = 0; r < rows; r++) {
    const row = w + (<usize>r) * rowBytes;
    const o = out + (((<usize>r) * (<usize>n)) << 2);
    memory.copy(scratch, row, rowBytes);
    let total: f64 = 0;
    for (let c = 0; c < cats; c++) total += load<f64>(scratch + ((<usize>c) << 3));
    for (let i = 0; i < n; i++) {
      const c = pick(scratch, cats, total);
      store<i32>(o + ((<usize>i) << 2), c);
      if (!replacement) {
        const q = scratch + ((<usize>c) << 3);
        store<f64>(q, 0);
        // the remaining weights summed afresh, so removals leave no rounding behind
        total = 0;
        for (let t = 0; t < cats; t++) total += load<f64>(scratch + ((<usize>t) << 3));
      }
    }
  }
}
