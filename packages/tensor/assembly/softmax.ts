// Softmax, log-softmax and log-sum-exp over one axis of an [outer, len, inner] view, in the
// stable form: subtract the maximum before exponentiating, so no exp overflows.
//   logsumexp(x) = m + log Σ exp(x_i − m),   m = max x
//   softmax(x)_i = exp(x_i − m) / Σ exp(x_j − m)
//   logsoftmax(x)_i = x_i − logsumexp(x)
import { expf1, expf4, fexp, flog } from './math';

// Op codes of this family: the one source (scripts/build-wasm.mjs reads these lines into
// src/generated/opcodes.ts; `@int32` marks a code that has an int32 kernel too).
// Softmax family over one axis of a [outer, len, inner] view (softmax_*)
const SM_SOFTMAX: i32 = 0;
const SM_LOG_SOFTMAX: i32 = 1;
const SM_LOGSUMEXP: i32 = 2;


/** Forward: mode SM_SOFTMAX / SM_LOG_SOFTMAX write [outer, len, inner]; SM_LOGSUMEXP writes [outer, inner]. */
export function softmax_f32(mode: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  softmaxAxis<f32>(mode, x, out, outer, len, inner);
}

/** softmax_f32 for float64 data. */
export function softmax_f64(mode: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  softmaxAxis<f64>(mode, x, out, outer, len, inner);
}

@inline function softmaxAxis<T>(mode: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  if (mode != SM_SOFTMAX && mode != SM_LOG_SOFTMAX && mode != SM_LOGSUMEXP) unreachable();
  if (sizeof<T>() == 4 && inner == 1) {
    for (let o = 0; o < outer; o++) softmaxRowF32(mode, x + ((<usize>o) * (<usize>len) << 2), out, o, len);
    return;
  }
  const stride = (<usize>inner) * sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const base = x + stride * (<usize>len) * (<usize>o) + (<usize>i) * sizeof<T>();
      const obase = out + stride * (<usize>len) * (<usize>o) + (<usize>i) * sizeof<T>();
      let m = load<T>(base);
      for (let j = 1; j < len; j++) m = max<T>(m, load<T>(base + stride * (<usize>j)));
      // an all −∞ row has no finite maximum: shift by 0 so the result is −∞ / NaN as in PyTorch
      if (m == <T>-Infinity) m = <T>0;
      let s: T = <T>0;
      for (let j = 0; j < len; j++) s += fexp<T>(load<T>(base + stride * (<usize>j)) - m);
      if (mode == SM_LOGSUMEXP) {
        store<T>(out + (<usize>(o * inner + i)) * sizeof<T>(), m + flog<T>(s));
      } else if (mode == SM_SOFTMAX) {
        const r = <T>1 / s;
        for (let j = 0; j < len; j++) {
          const q = stride * (<usize>j);
          store<T>(obase + q, fexp<T>(load<T>(base + q) - m) * r);
        }
      } else {
        const lse = m + flog<T>(s);
        for (let j = 0; j < len; j++) {
          const q = stride * (<usize>j);
          store<T>(obase + q, load<T>(base + q) - lse);
        }
      }
    }
  }
}

// One contiguous float32 row, four lanes at a time (max, Σ exp, then the outputs), with exp in
// SIMD (math.ts expf4); the tail runs the same steps one lane at a time.
function softmaxRowF32(mode: i32, base: usize, out: usize, o: i32, len: i32): void {
  const body = len & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < body; j += 4) mv = f32x4.max(mv, v128.load(base + ((<usize>j) << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let j = body; j < len; j++) m = max(m, load<f32>(base + ((<usize>j) << 2)));
  // an all −∞ row has no finite maximum: shift by 0 so the result is −∞ / NaN as in PyTorch
  if (m == -Infinity) m = 0;
  const ms = f32x4.splat(m);
  let sv = f32x4.splat(0);
  for (let j = 0; j < body; j += 4) sv = f32x4.add(sv, expf4(f32x4.sub(v128.load(base + ((<usize>j) << 2)), ms)));
  let s = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
  for (let j = body; j < len; j++) s += expf1(load<f32>(base + ((<usize>j) << 2)) - m);
  if (mode == SM_LOGSUMEXP) {
    store<f32>(out + ((<usize>o) << 2), m + Mathf.log(s));
    return;
  }
  const obase = out + ((<usize>o) * (<usize>len) << 2);
  if (mode == SM_SOFTMAX) {
    const r = <f32>1 / s;
    const rv = f32x4.splat(r);
    for (let j = 0; j < body; j += 4) {
      const q = (<usize>j) << 2;
      v128.store(obase + q, f32x4.mul(expf4(f32x4.sub(v128.load(base + q), ms)), rv));
    }
    for (let j = body; j < len; j++) {
      const q = (<usize>j) << 2;
      store<f32>(obase + q, expf1(load<f32>(base + q) - m) * r);
    }
  } else {
    const lse = m + Mathf.log(s);
    const lv = f32x4.splat(lse);
    for (let j = 0; j < body; j += 4) {
      const q = (<usize>j) << 2;
      v128.store(obase + q, f32x4.sub(v128.load(base + q), lv));
    }
    for (let j = body; j < len; j++) {
      const q = (<usize>j) << 2;
      store<f32>(obase + q, load<f32>(base + q) - lse);
    }
  }
}

/**
 * Backward of softmax / log-softmax given the forward output y and the upstream gradient dy:
 *   softmax:    dx_i = y_i (dy_i − Σ_j dy_j y_j)
 *   logsoftmax: dx_i = dy_i − exp(y_i) Σ_j dy_j
 */
export function softmax_backward_f32(mode: i32, y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32): void {
  softmaxBackwardAxis<f32>(mode, y, dy, dx, outer, len, inner);
}

/** softmax_backward_f32 for float64 data. */
export function softmax_backward_f64(mode: i32, y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32): void {
  softmaxBackwardAxis<f64>(mode, y, dy, dx, outer, len, inner);
}

@inline function softmaxBackwardAxis<T>(mode: i32, y: usize, dy: usize, dx: usize, outer: i32, len: i32, inner: i32): void {
  if (mode != SM_SOFTMAX && mode != SM_LOG_SOFTMAX) unreachable();
  if (sizeof<T>() == 4 && inner == 1 && mode == SM_LOG_SOFTMAX) {
    for (let o = 0; o < outer; o++) logSoftmaxBackwardRowF32(y, dy, dx, (<usize>o) * (<usize>len) << 2, len);
    return;
  }
  const stride = (<usize>inner) * sizeof<T>();
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const off = stride * (<usize>len) * (<usize>o) + (<usize>i) * sizeof<T>();
      let s: T = <T>0;
      if (mode == SM_SOFTMAX) {
        for (let j = 0; j < len; j++) {
          const q = off + stride * (<usize>j);
          s += load<T>(dy + q) * load<T>(y + q);
        }
        for (let j = 0; j < len; j++) {
          const q = off + stride * (<usize>j);
          store<T>(dx + q, load<T>(y + q) * (load<T>(dy + q) - s));
        }
      } else {
        for (let j = 0; j < len; j++) s += load<T>(dy + off + stride * (<usize>j));
        for (let j = 0; j < len; j++) {
          const q = off + stride * (<usize>j);
          store<T>(dx + q, load<T>(dy + q) - fexp<T>(load<T>(y + q)) * s);
        }
      }
    }
  }
}

// dx = dy − exp(y)·Σ dy over one contiguous float32 row, exp in SIMD as in the forward.
function logSoftmaxBackwardRowF32(y: usize, dy: usize, dx: usize, off: usize, len: i32): void {
  const body = len & ~3;
  let sv = f32x4.splat(0);
  for (let j = 0; j < body; j += 4) sv = f32x4.add(sv, v128.load(dy + off + ((<usize>j) << 2)));
  let s = f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + (f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3));
  for (let j = body; j < len; j++) s += load<f32>(dy + off + ((<usize>j) << 2));
  const ss = f32x4.splat(s);
  for (let j = 0; j < body; j += 4) {
    const q = off + ((<usize>j) << 2);
    v128.store(dx + q, f32x4.sub(v128.load(dy + q), f32x4.mul(expf4(v128.load(y + q)), ss)));
  }
  for (let j = body; j < len; j++) {
    const q = off + ((<usize>j) << 2);
    store<f32>(dx + q, load<f32>(dy + q) - expf1(load<f32>(y + q)) * s);
  }
}
