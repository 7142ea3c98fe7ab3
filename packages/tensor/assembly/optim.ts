// Optimizer updates, each one fused pass over a parameter p, its gradient g and its state,
// following the update equations of PyTorch's documentation. All arrays hold n float32.

/** p ← p + alpha·g (plain gradient descent with alpha = −η). */
export function opt_axpy_f32(p: usize, g: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = (<usize>i) << 2;
    v128.store(p + o, f32x4.add(v128.load(p + o), f32x4.mul(va, v128.load(g + o))));
  }
  for (; i < n; i++) {
    const o = (<usize>i) << 2;
    store<f32>(p + o, load<f32>(p + o) + alpha * load<f32>(g + o));
  }
}

/** Σ x², accumulated in float64 (gradient norms, convergence tests): each value is promoted to f64 before squaring. */
export function sum_squares_f32(x: usize, n: i32): f64 {
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

/**
 * SGD with momentum, dampening, Nesterov and weight decay:
 *   g ← g + λp;  b ← g (first step) or μb + (1 − τ)g;  g ← g + μb (Nesterov) or b;  p ← p − ηg
 */
export function opt_sgd_f32(
  p: usize, g: usize, buf: usize, n: i32,
  lr: f32, momentum: f32, dampening: f32, weightDecay: f32, nesterov: i32, first: i32,
): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const pv = load<f32>(p + o);
    let gv = load<f32>(g + o) + weightDecay * pv;
    if (momentum != 0) {
      const b = first ? gv : momentum * load<f32>(buf + o) + (<f32>1 - dampening) * gv;
      store<f32>(buf + o, b);
      gv = nesterov ? gv + momentum * b : b;
    }
    store<f32>(p + o, pv - lr * gv);
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
  const bias1 = <f32>1 - Mathf.pow(beta1, <f32>step);
  const bias2Sqrt = Mathf.sqrt(<f32>1 - Mathf.pow(beta2, <f32>step));
  const stepSize = lr / bias1;
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    let pv = load<f32>(p + o);
    let gv = load<f32>(g + o);
    if (decoupled) pv *= <f32>1 - lr * weightDecay;
    else gv += weightDecay * pv;
    const mv = beta1 * load<f32>(m + o) + (<f32>1 - beta1) * gv;
    let vv = beta2 * load<f32>(v + o) + (<f32>1 - beta2) * gv * gv;
    store<f32>(m + o, mv);
    store<f32>(v + o, vv);
    if (amsgrad) {
      vv = Mathf.max(load<f32>(vmax + o), vv);
      store<f32>(vmax + o, vv);
    }
    store<f32>(p + o, pv - stepSize * mv / (Mathf.sqrt(vv) / bias2Sqrt + eps));
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
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + weightDecay * pv;
    const s = alpha * load<f32>(sq + o) + (<f32>1 - alpha) * gv * gv;
    store<f32>(sq + o, s);
    let d: f32;
    if (centered) {
      const ga = alpha * load<f32>(gavg + o) + (<f32>1 - alpha) * gv;
      store<f32>(gavg + o, ga);
      d = Mathf.sqrt(s - ga * ga) + eps;
    } else {
      d = Mathf.sqrt(s) + eps;
    }
    if (momentum > 0) {
      const b = momentum * load<f32>(buf + o) + gv / d;
      store<f32>(buf + o, b);
      store<f32>(p + o, pv - lr * b);
    } else {
      store<f32>(p + o, pv - lr * gv / d);
    }
  }
}

/** Adagrad: g ← g + λp;  s ← s + g²;  p ← p − η_t g/(√s + ε), with η_t = η/(1 + (t − 1)·decay) given. */
export function opt_adagrad_f32(p: usize, g: usize, sum: usize, n: i32, lr: f32, eps: f32, weightDecay: f32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) << 2;
    const pv = load<f32>(p + o);
    const gv = load<f32>(g + o) + weightDecay * pv;
    const s = load<f32>(sum + o) + gv * gv;
    store<f32>(sum + o, s);
    store<f32>(p + o, pv - lr * gv / (Mathf.sqrt(s) + eps));
  }
}
