// Optimizer updates, each one fused pass over a parameter p, its gradient g and its state,
// following the update equations of PyTorch's documentation. Written once over the float type T
// (every array holds n elements of T); the exports are the f32 and f64 instantiations.

import { fpow } from './math';

@inline function axpy<T>(p: usize, g: usize, n: i32, alpha: T): void {
  const lanes = 16 / sizeof<T>();
  const va = v128.splat<T>(alpha);
  let i = 0;
  for (; i + lanes <= n; i += lanes) {
    const o = (<usize>i) * sizeof<T>();
    v128.store(p + o, v128.add<T>(v128.load(p + o), v128.mul<T>(va, v128.load(g + o))));
  }
  for (; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    store<T>(p + o, load<T>(p + o) + alpha * load<T>(g + o));
  }
}

/** p ← p + alpha·g (plain gradient descent with alpha = −η). */
export function opt_axpy_f32(p: usize, g: usize, n: i32, alpha: f32): void {
  axpy<f32>(p, g, n, alpha);
}

/** opt_axpy_f32 for float64. */
export function opt_axpy_f64(p: usize, g: usize, n: i32, alpha: f64): void {
  axpy<f64>(p, g, n, alpha);
}

// Σ x² in blocks of SQ_BLOCK elements (two f64x2 accumulators each), blocks added pairwise, as
// the sums of sum.ts, so gradient norms of any size keep float64's precision.
const SQ_BLOCK: i32 = 256;

// Σ x² of n float32 values, each promoted to float64 before squaring.
function sumSquaresF32(x: usize, n: i32): f64 {
  if (n > SQ_BLOCK) {
    const half = ((n >>> 1) + SQ_BLOCK - 1) & ~(SQ_BLOCK - 1);
    return sumSquaresF32(x, half) + sumSquaresF32(x + ((<usize>half) << 2), n - half);
  }
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + ((<usize>i) << 2));
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(v128.shuffle<i32>(v, v, 2, 3, 0, 1));
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const both = f64x2.add(acc0, acc1);
  let s: f64 = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; i < n; i++) {
    const v = <f64>load<f32>(x + ((<usize>i) << 2));
    s += v * v;
  }
  return s;
}

// Σ x² of n float64 values.
function sumSquaresF64(x: usize, n: i32): f64 {
  if (n > SQ_BLOCK) {
    const half = ((n >>> 1) + SQ_BLOCK - 1) & ~(SQ_BLOCK - 1);
    return sumSquaresF64(x, half) + sumSquaresF64(x + ((<usize>half) << 3), n - half);
  }
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const lo = v128.load(x + ((<usize>i) << 3));
    const hi = v128.load(x + ((<usize>i) << 3) + 16);
    acc0 = f64x2.add(acc0, f64x2.mul(lo, lo));
    acc1 = f64x2.add(acc1, f64x2.mul(hi, hi));
  }
  const both = f64x2.add(acc0, acc1);
  let s: f64 = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; i < n; i++) {
    const v = load<f64>(x + ((<usize>i) << 3));
    s += v * v;
  }
  return s;
}

/** Σ x², accumulated in float64, blocked and pairwise (gradient norms, convergence tests): each value is promoted to f64 before squaring. */
export function sum_squares_f32(x: usize, n: i32): f64 {
  return sumSquaresF32(x, n);
}

/** Σ x² of float64 data, blocked and pairwise. */
export function sum_squares_f64(x: usize, n: i32): f64 {
  return sumSquaresF64(x, n);
}

/** out[0] = Σ x²·scale of float32 data, as float32: sum_squares_f32 times scale, rounded once (mse's fused forward). */
export function sum_squares_scaled_f32(x: usize, n: i32, scale: f64, out: usize): void {
  store<f32>(out, <f32>(sumSquaresF32(x, n) * scale));
}

/** sum_squares_scaled_f32 for float64 data. */
export function sum_squares_scaled_f64(x: usize, n: i32, scale: f64, out: usize): void {
  store<f64>(out, sumSquaresF64(x, n) * scale);
}

@inline function sgd<T>(
  p: usize, g: usize, buf: usize, n: i32,
  lr: T, momentum: T, dampening: T, weightDecay: T, nesterov: i32, first: i32,
): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    const pv = load<T>(p + o);
    let gv = load<T>(g + o) + weightDecay * pv;
    if (momentum != 0) {
      const b = first ? gv : momentum * load<T>(buf + o) + (<T>1 - dampening) * gv;
      store<T>(buf + o, b);
      gv = nesterov ? gv + momentum * b : b;
    }
    store<T>(p + o, pv - lr * gv);
  }
}

/**
 * SGD with momentum, dampening, Nesterov and weight decay:
 *   g ← g + λp;  b ← g (first step) or μb + (1 − τ)g;  g ← g + μb (Nesterov) or b;  p ← p − ηg
 */
export function opt_sgd_f32(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: i32, first: i32,
): void {
  sgd<f32>(p, g, buf, n, lr, momentum, dampening, weightDecay, nesterov, first);
}

/** opt_sgd_f32 for float64. */
export function opt_sgd_f64(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f64, momentum: f64, dampening: f64, weightDecay: f64, nesterov: i32, first: i32,
): void {
  sgd<f64>(p, g, buf, n, lr, momentum, dampening, weightDecay, nesterov, first);
}

@inline function adam<T>(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  lr: T, beta1: T, beta2: T, eps: T, weightDecay: T, decoupled: i32, amsgrad: i32, step: i32,
): void {
  const bias1 = <T>1 - fpow<T>(beta1, <T>step);
  const bias2Sqrt = sqrt<T>(<T>1 - fpow<T>(beta2, <T>step));
  const stepSize = lr / bias1;
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    let pv = load<T>(p + o);
    let gv = load<T>(g + o);
    if (decoupled) pv *= <T>1 - lr * weightDecay;
    else gv += weightDecay * pv;
    const mv = beta1 * load<T>(m + o) + (<T>1 - beta1) * gv;
    let vv = beta2 * load<T>(v + o) + (<T>1 - beta2) * gv * gv;
    store<T>(m + o, mv);
    store<T>(v + o, vv);
    if (amsgrad) {
      vv = max<T>(load<T>(vmax + o), vv);
      store<T>(vmax + o, vv);
    }
    store<T>(p + o, pv - stepSize * mv / (sqrt<T>(vv) / bias2Sqrt + eps));
  }
}

/**
 * Adam / AdamW (decoupled = 1) with optional AMSGrad, at step t ≥ 1:
 *   Adam: g ← g + λp;  AdamW: p ← p(1 − ηλ)
 *   m ← β₁m + (1 − β₁)g;  v ← β₂v + (1 − β₂)g²;  v̂max ← max(v̂max, v) (AMSGrad)
 *   p ← p − η/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε)
 */
export function opt_adam_f32(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  lr: f32, beta1: f32, beta2: f32, eps: f32, weightDecay: f32, decoupled: i32, amsgrad: i32, step: i32,
): void {
  adam<f32>(p, g, m, v, vmax, n, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step);
}

/** opt_adam_f32 for float64. */
export function opt_adam_f64(
  p: usize, g: usize, m: usize, v: usize, vmax: usize, n: i32,
  lr: f64, beta1: f64, beta2: f64, eps: f64, weightDecay: f64, decoupled: i32, amsgrad: i32, step: i32,
): void {
  adam<f64>(p, g, m, v, vmax, n, lr, beta1, beta2, eps, weightDecay, decoupled, amsgrad, step);
}

@inline function rmsprop<T>(
  p: usize, g: usize, sq: usize, buf: usize, gavg: usize, n: i32,
  lr: T, alpha: T, eps: T, weightDecay: T, momentum: T, centered: i32,
): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    const pv = load<T>(p + o);
    const gv = load<T>(g + o) + weightDecay * pv;
    const s = alpha * load<T>(sq + o) + (<T>1 - alpha) * gv * gv;
    store<T>(sq + o, s);
    let d: T;
    if (centered) {
      const ga = alpha * load<T>(gavg + o) + (<T>1 - alpha) * gv;
      store<T>(gavg + o, ga);
      d = sqrt<T>(s - ga * ga) + eps;
    } else {
      d = sqrt<T>(s) + eps;
    }
    if (momentum > 0) {
      const b = momentum * load<T>(buf + o) + gv / d;
      store<T>(buf + o, b);
      store<T>(p + o, pv - lr * b);
    } else {
      store<T>(p + o, pv - lr * gv / d);
    }
  }
}

/**
 * RMSprop: g ← g + λp;  s ← αs + (1 − α)g²;  centered: ḡ ← αḡ + (1 − α)g, d = √(s − ḡ²) + ε,
 * else d = √s + ε;  momentum μ > 0: b ← μb + g/d, p ← p − ηb;  else p ← p − ηg/d
 */
export function opt_rmsprop_f32(
  p: usize, g: usize, sq: usize, buf: usize, gavg: usize, n: i32,
  lr: f32, alpha: f32, eps: f32, weightDecay: f32, momentum: f32, centered: i32,
): void {
  rmsprop<f32>(p, g, sq, buf, gavg, n, lr, alpha, eps, weightDecay, momentum, centered);
}

/** opt_rmsprop_f32 for float64. */
export function opt_rmsprop_f64(
  p: usize, g: usize, sq: usize, buf: usize, gavg: usize, n: i32,
  lr: f64, alpha: f64, eps: f64, weightDecay: f64, momentum: f64, centered: i32,
): void {
  rmsprop<f64>(p, g, sq, buf, gavg, n, lr, alpha, eps, weightDecay, momentum, centered);
}

@inline function adagrad<T>(p: usize, g: usize, sum: usize, n: i32, lr: T, eps: T, weightDecay: T): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    const pv = load<T>(p + o);
    const gv = load<T>(g + o) + weightDecay * pv;
    const s = load<T>(sum + o) + gv * gv;
    store<T>(sum + o, s);
    store<T>(p + o, pv - lr * gv / (sqrt<T>(s) + eps));
  }
}

/** Adagrad: g ← g + λp;  s ← s + g²;  p ← p − η_t g/(√s + ε), with η_t = η/(1 + (t − 1)·decay) given. */
export function opt_adagrad_f32(p: usize, g: usize, sum: usize, n: i32, lr: f32, eps: f32, weightDecay: f32): void {
  adagrad<f32>(p, g, sum, n, lr, eps, weightDecay);
}

/** opt_adagrad_f32 for float64. */
export function opt_adagrad_f64(p: usize, g: usize, sum: usize, n: i32, lr: f64, eps: f64, weightDecay: f64): void {
  adagrad<f64>(p, g, sum, n, lr, eps, weightDecay);
}
