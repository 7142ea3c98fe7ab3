// Softmax, log-softmax and log-sum-exp over one axis of an [outer, len, inner] view, in the
// stable form: subtract the maximum before exponentiating, so no exp overflows.
//   logsumexp(x) = m + log Σ exp(x_i − m),   m = max x
//   softmax(x)_i = exp(x_i − m) / Σ exp(x_j − m)
//   logsoftmax(x)_i = x_i − logsumexp(x)
// The sums are blocked and pairwise (sum.ts), so long rows keep float32's precision.
import { expf1, expf4, fexp, flog } from './math';
import { sumBlockLen, sumContiguous } from './sum';

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

// The shift m subtracted before exponentiating: the row's maximum, except where it is infinite.
// An all −∞ row shifts by 0, so softmax is 0/0 = NaN and logsumexp −∞, as in PyTorch. A +∞
// maximum shifts logsumexp by 0 too (Σ eˣ = ∞, so the result is ∞, as PyTorch's logsumexp),
// while softmax and log-softmax keep it and give NaN (∞ − ∞), as PyTorch's do.
@inline function shiftOf<T>(mode: i32, m: T): T {
  if (m == <T>-Infinity || (mode == SM_LOGSUMEXP && m == <T>Infinity)) return <T>0;
  return m;
}

// Σ exp(x_j − m) over n elements `stride` bytes apart: runs of 32 added in order, paired above.
function sumExpStrided<T>(base: usize, stride: usize, n: i32, m: T): T {
  if (n <= 32) {
    let s: T = <T>0;
    for (let j = 0; j < n; j++) s += fexp<T>(load<T>(base + stride * (<usize>j)) - m);
    return s;
  }
  const half = n >>> 1;
  return sumExpStrided<T>(base, stride, half, m) + sumExpStrided<T>(base + stride * (<usize>half), stride, n - half, m);
}

// Σ a_j·b_j over n elements `stride` bytes apart (a softmax backward's Σ dy·y), pairwise as above.
function sumProductStrided<T>(a: usize, b: usize, stride: usize, n: i32): T {
  if (n <= 32) {
    let s: T = <T>0;
    for (let j = 0; j < n; j++) s += load<T>(a + stride * (<usize>j)) * load<T>(b + stride * (<usize>j));
    return s;
  }
  const half = n >>> 1;
  const at = stride * (<usize>half);
  return sumProductStrided<T>(a, b, stride, half) + sumProductStrided<T>(a + at, b + at, stride, n - half);
}

// Σ a_j over n elements `stride` bytes apart (a log-softmax backward's Σ dy), pairwise as above.
function sumStrided<T>(a: usize, stride: usize, n: i32): T {
  if (n <= 32) {
    let s: T = <T>0;
    for (let j = 0; j < n; j++) s += load<T>(a + stride * (<usize>j));
    return s;
  }
  const half = n >>> 1;
  return sumStrided<T>(a, stride, half) + sumStrided<T>(a + stride * (<usize>half), stride, n - half);
}

// Σ exp(x_j − m) over n (a multiple of 4) contiguous float32 elements, m splatted in ms: blocks
// as sum.ts's, each in two vector accumulators, added pairwise.
function sumExpRowF32(base: usize, n: i32, ms: v128): f32 {
  const block = sumBlockLen<f32>();
  if (n > block) {
    const half = ((n >>> 1) + block - 1) & ~(block - 1);
    return sumExpRowF32(base, half, ms) + sumExpRowF32(base + ((<usize>half) << 2), n - half, ms);
  }
  let s0 = f32x4.splat(0);
  let s1 = f32x4.splat(0);
  let j = 0;
  for (; j + 8 <= n; j += 8) {
    const q = base + ((<usize>j) << 2);
    s0 = f32x4.add(s0, expf4(f32x4.sub(v128.load(q), ms)));
    s1 = f32x4.add(s1, expf4(f32x4.sub(v128.load(q + 16), ms)));
  }
  if (j < n) s0 = f32x4.add(s0, expf4(f32x4.sub(v128.load(base + ((<usize>j) << 2)), ms)));
  const v = f32x4.add(s0, s1);
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
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
      m = shiftOf<T>(mode, m);
      const s = sumExpStrided<T>(base, stride, len, m);
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
// SIMD (math.ts expf4); the tail runs the same steps one lane at a time. The lanes' maximum is
// pmax (one instruction; max's NaN rule takes several): it skips a NaN, but the NaN still reaches
// Σ exp, so the row's results are NaN as with max.
function softmaxRowF32(mode: i32, base: usize, out: usize, o: i32, len: i32): void {
  const body = len & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < body; j += 4) mv = f32x4.pmax(mv, v128.load(base + ((<usize>j) << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let j = body; j < len; j++) m = max(m, load<f32>(base + ((<usize>j) << 2)));
  m = shiftOf<f32>(mode, m);
  const ms = f32x4.splat(m);
  let s = sumExpRowF32(base, body, ms);
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
      if (mode == SM_SOFTMAX) {
        const s = sumProductStrided<T>(dy + off, y + off, stride, len);
        for (let j = 0; j < len; j++) {
          const q = off + stride * (<usize>j);
          store<T>(dx + q, load<T>(y + q) * (load<T>(dy + q) - s));
        }
      } else {
        const s = sumStrided<T>(dy + off, stride, len);
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
  const s = sumContiguous<f32>(dy + off, len);
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

// ── softmax cross-entropy from logits, fused ────────────────────────────────
// Over `rows` contiguous rows of c logits x with int32 class ids y, one pass per row for the
// forward and one for the backward (a thread's share is a contiguous range of rows: each row's
// arithmetic is the same wherever it runs):
//   forward:  lse_r = m + log Σ exp(x_rj − m) (as logsumexp above, the shift of log-softmax), loss_r = lse_r − x_r,y_r
//   backward: dx_rj = exp(x_rj − lse_r)·(g_r + h_r) − [j = y_r]·g_r, where g is the loss's upstream
//             gradient and h the lse's: softmax(x) − onehot(y) scaled per row, from the saved lse.

/** Forward: writes each row's loss lse − x_y to `loss` and its log-sum-exp to `lse` (rows of c float32 logits). */
export function softmax_ce_f32(x: usize, y: usize, loss: usize, lse: usize, rows: i32, c: i32): void {
  softmaxCeRows<f32>(x, y, loss, lse, rows, c);
}

/** softmax_ce_f32 for float64 logits. */
export function softmax_ce_f64(x: usize, y: usize, loss: usize, lse: usize, rows: i32, c: i32): void {
  softmaxCeRows<f64>(x, y, loss, lse, rows, c);
}

/** Backward: dx from the logits, the class ids, the saved lse and the upstream gradients g (of the loss) and h (of the lse). */
export function softmax_ce_backward_f32(x: usize, y: usize, lse: usize, g: usize, h: usize, dx: usize, rows: i32, c: i32): void {
  softmaxCeBackwardRows<f32>(x, y, lse, g, h, dx, rows, c);
}

/** softmax_ce_backward_f32 for float64 data. */
export function softmax_ce_backward_f64(x: usize, y: usize, lse: usize, g: usize, h: usize, dx: usize, rows: i32, c: i32): void {
  softmaxCeBackwardRows<f64>(x, y, lse, g, h, dx, rows, c);
}

// One float32 row's log-sum-exp, exactly as softmaxRowF32 computes it (SM_LOG_SOFTMAX's shift).
function rowLogSumExpF32(base: usize, len: i32): f32 {
  const body = len & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < body; j += 4) mv = f32x4.pmax(mv, v128.load(base + ((<usize>j) << 2)));
  let m = max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let j = body; j < len; j++) m = max(m, load<f32>(base + ((<usize>j) << 2)));
  m = shiftOf<f32>(SM_LOG_SOFTMAX, m);
  let s = sumExpRowF32(base, body, f32x4.splat(m));
  for (let j = body; j < len; j++) s += expf1(load<f32>(base + ((<usize>j) << 2)) - m);
  return m + Mathf.log(s);
}

// One row's log-sum-exp in T, as softmaxAxis computes it with inner = 1.
function rowLogSumExp<T>(base: usize, len: i32): T {
  if (sizeof<T>() == 4) return <T>rowLogSumExpF32(base, len);
  let m = load<T>(base);
  for (let j = 1; j < len; j++) m = max<T>(m, load<T>(base + (<usize>j) * sizeof<T>()));
  m = shiftOf<T>(SM_LOG_SOFTMAX, m);
  return m + flog<T>(sumExpStrided<T>(base, sizeof<T>(), len, m));
}

@inline function softmaxCeRows<T>(x: usize, y: usize, loss: usize, lse: usize, rows: i32, c: i32): void {
  const rowBytes = (<usize>c) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const base = x + rowBytes * (<usize>r);
    const l = rowLogSumExp<T>(base, c);
    const at = (<usize>r) * sizeof<T>();
    store<T>(lse + at, l);
    store<T>(loss + at, l - load<T>(base + (<usize>load<i32>(y + ((<usize>r) << 2))) * sizeof<T>()));
  }
}

@inline function softmaxCeBackwardRows<T>(x: usize, y: usize, lse: usize, g: usize, h: usize, dx: usize, rows: i32, c: i32): void {
  const rowBytes = (<usize>c) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const at = (<usize>r) * sizeof<T>();
    const l = load<T>(lse + at);
    const gr = load<T>(g + at);
    const scale = gr + load<T>(h + at);
    const xr = x + rowBytes * (<usize>r);
    const dr = dx + rowBytes * (<usize>r);
    let body = 0;
    if (sizeof<T>() == 4) {
      body = c & ~3;
      const lv = f32x4.splat(<f32>l);
      const sv = f32x4.splat(<f32>scale);
      for (let j = 0; j < body; j += 4) {
        const q = (<usize>j) << 2;
        v128.store(dr + q, f32x4.mul(expf4(f32x4.sub(v128.load(xr + q), lv)), sv));
      }
      for (let j = body; j < c; j++) {
        const q = (<usize>j) << 2;
        store<f32>(dr + q, expf1(load<f32>(xr + q) - <f32>l) * <f32>scale);
      }
    } else {
      for (let j = 0; j < c; j++) {
        const q = (<usize>j) * sizeof<T>();
        store<T>(dr + q, fexp<T>(load<T>(xr + q) - l) * scale);
      }
    }
    const q = (<usize>load<i32>(y + ((<usize>r) << 2))) * sizeof<T>();
    store<T>(dr + q, load<T>(dr + q) - gr);
  }
}
