// Softmax, log-softmax and log-sum-exp over one axis of an [outer, len, inner] view, in the
// stable form: subtract the maximum before exponentiating, so no exp overflows.
//   logsumexp(x) = m + log Σ exp(x_i − m),   m = max x
//   softmax(x)_i = exp(x_i − m) / Σ exp(x_j − m)
//   logsoftmax(x)_i = x_i − logsumexp(x)
import { fexp, flog } from './math';

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
