// Reductions over one axis of a tensor viewed as [outer, len, inner] (row-major), generic over
// the element type T; the exports are the f32, f64 and i32 instantiations.
// out has outer*inner elements. inner == 1 is a contiguous row reduction (SIMD lanes);
// inner > 1 accumulates whole rows of `inner` elements, vectorised along inner.
import { addRow } from './layout';
import { sumContiguous } from './sum';

// Op codes of this family: the one source (scripts/build-wasm.mjs reads these lines into
// src/generated/opcodes.ts; `@int32` marks a code that has an int32 kernel too).
// Reductions over one axis of a [outer, len, inner] view (reduce_*)
const RED_SUM: i32 = 0;
const RED_MAX: i32 = 1;
const RED_MIN: i32 = 2;
const RED_ARGMAX: i32 = 3;
const RED_ARGMIN: i32 = 4;


// MAX and MIN; sums have their own loops below.
@inline function combineScalar<T>(op: i32, a: T, b: T): T {
  switch (op) {
    case RED_MAX: return max<T>(a, b);
    case RED_MIN: return min<T>(a, b);
    default: return a;
  }
}

@inline function combineVec<T>(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case RED_MAX: return v128.max<T>(a, b);
    case RED_MIN: return v128.min<T>(a, b);
    default: return a;
  }
}

// Float sums are blocked and pairwise (sum.ts): a contiguous row by sumContiguous, and an axis
// with inner > 1 by adding up to SUM_ROW_BLOCK rows one after another and pairing the row sums
// above that, so a float32 mean of 10⁷ values is off by a few 1e-7 relative. MAX and MIN are
// exact in any order and keep one pass.

/** Rows added one after another before the row sums of an axis reduction pair up. */
const SUM_ROW_BLOCK: i32 = 32;
/** Columns of an axis sum handled together (rows up to 16 KiB of float32 stay whole), so the pairwise scratch stays small. */
const SUM_TILE: i32 = 4096;

// dst[0, w) = Σ of `len` rows of w elements at src, `stride` bytes apart: up to SUM_ROW_BLOCK rows
// one after another, more in two halves added pairwise; the second half's sum goes to `work`, and
// deeper levels to the w elements after it (sumWorkLevels levels in all).
function sumRows<T>(src: usize, stride: usize, len: i32, w: i32, dst: usize, work: usize): void {
  if (len <= SUM_ROW_BLOCK) {
    memory.copy(dst, src, (<usize>w) * sizeof<T>());
    for (let j = 1; j < len; j++) addRow<T>(dst, src + stride * (<usize>j), w);
    return;
  }
  const half = len >>> 1;
  sumRows<T>(src, stride, half, w, dst, work);
  sumRows<T>(src + stride * (<usize>half), stride, len - half, w, work, work + (<usize>w) * sizeof<T>());
  addRow<T>(dst, work, w);
}

// How many scratch rows sumRows needs for `len` rows.
function sumWorkLevels(len: i32): i32 {
  let levels = 0;
  for (let n = len; n > SUM_ROW_BLOCK; n -= n >>> 1) levels++;
  return levels;
}

/** Bytes of scratch reduce_f32 (RED_SUM) needs for a [outer, len, inner] view (0 for none). */
export function reduce_work_f32(len: i32, inner: i32): i32 {
  return inner == 1 ? 0 : sumWorkLevels(len) * min(inner, SUM_TILE) * 4;
}

/** Bytes of scratch reduce_f64 (RED_SUM) needs for a [outer, len, inner] view (0 for none). */
export function reduce_work_f64(len: i32, inner: i32): i32 {
  return inner == 1 ? 0 : sumWorkLevels(len) * min(inner, SUM_TILE) * 8;
}

/** Bytes of scratch reduce_i32 (RED_SUM) needs for a [outer, len, inner] view: int64 column sums (0 for none). */
export function reduce_work_i32(len: i32, inner: i32): i32 {
  return inner == 1 ? 0 : min(inner, SUM_TILE) * 8;
}

@inline function sumAxis<T>(x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: T, work: usize): void {
  const innerBytes = (<usize>inner) * sizeof<T>();
  const sliceBytes = innerBytes * (<usize>len);
  for (let o = 0; o < outer; o++) {
    const base = x + sliceBytes * (<usize>o);
    if (inner == 1) {
      store<T>(out + (<usize>o) * sizeof<T>(), sumContiguous<T>(base, len) * scale);
      continue;
    }
    const dst = out + innerBytes * (<usize>o);
    if (len <= SUM_ROW_BLOCK) {
      sumRows<T>(base, innerBytes, len, inner, dst, work);
    } else {
      for (let c = 0; c < inner; c += SUM_TILE) {
        const at = (<usize>c) * sizeof<T>();
        sumRows<T>(base + at, innerBytes, len, min(SUM_TILE, inner - c), dst + at, work);
      }
    }
    if (scale != <T>1) {
      for (let i = 0; i < inner; i++) {
        const q = (<usize>i) * sizeof<T>();
        store<T>(dst + q, load<T>(dst + q) * scale);
      }
    }
  }
}

// Σ over `len` rows of `cols` columns, rows `ld` elements apart, times scale, into out: the sum of
// an axis with inner > 1 for a range of its columns (sumAxis's arithmetic, column by column), so
// threads can split a column sum (a bias gradient) by columns and give the same bits.
@inline function sumColumns<T>(x: usize, ld: i32, len: i32, cols: i32, out: usize, scale: T, work: usize): void {
  const stride = (<usize>ld) * sizeof<T>();
  for (let c = 0; c < cols; c += SUM_TILE) {
    const at = (<usize>c) * sizeof<T>();
    sumRows<T>(x + at, stride, len, min(SUM_TILE, cols - c), out + at, work);
  }
  if (scale != <T>1) {
    for (let i = 0; i < cols; i++) {
      const q = (<usize>i) * sizeof<T>();
      store<T>(out + q, load<T>(out + q) * scale);
    }
  }
}

/** float32 Σ over len rows (ld apart) of cols columns, times scale; `work` holds reduce_work_f32(len, cols) bytes. */
export function reduce_sum_cols_f32(x: usize, ld: i32, len: i32, cols: i32, out: usize, scale: f32, work: usize): void {
  sumColumns<f32>(x, ld, len, cols, out, scale, work);
}

/** float64 column sum, as reduce_sum_cols_f32 (`work` of reduce_work_f64(len, cols) bytes). */
export function reduce_sum_cols_f64(x: usize, ld: i32, len: i32, cols: i32, out: usize, scale: f64, work: usize): void {
  sumColumns<f64>(x, ld, len, cols, out, scale, work);
}

@inline function extremeAxis<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const innerBytes = (<usize>inner) * sizeof<T>();
  const sliceBytes = innerBytes * (<usize>len);
  for (let o = 0; o < outer; o++) {
    const base = x + sliceBytes * (<usize>o);
    if (inner == 1) {
      // two vector accumulators hide the latency; lanes are folded at the end
      let acc: T = load<T>(base);
      let i = 1;
      if (len > 2 * lanes) {
        let v0 = v128.load(base);
        let v1 = v128.load(base + 16);
        i = 2 * lanes;
        for (; i + 2 * lanes <= len; i += 2 * lanes) {
          const p = base + (<usize>i) * sizeof<T>();
          v0 = combineVec<T>(op, v0, v128.load(p));
          v1 = combineVec<T>(op, v1, v128.load(p + 16));
        }
        v0 = combineVec<T>(op, v0, v1);
        acc = combineScalar<T>(op, v128.extract_lane<T>(v0, 0), v128.extract_lane<T>(v0, 1));
        if (sizeof<T>() == 4) {
          acc = combineScalar<T>(op, acc, combineScalar<T>(op, v128.extract_lane<T>(v0, 2), v128.extract_lane<T>(v0, 3)));
        }
      }
      for (; i < len; i++) acc = combineScalar<T>(op, acc, load<T>(base + (<usize>i) * sizeof<T>()));
      store<T>(out + (<usize>o) * sizeof<T>(), acc);
    } else {
      const dst = out + innerBytes * (<usize>o);
      memory.copy(dst, base, innerBytes);
      for (let j = 1; j < len; j++) {
        const row = base + innerBytes * (<usize>j);
        let i = 0;
        for (; i + lanes <= inner; i += lanes) {
          const q = (<usize>i) * sizeof<T>();
          v128.store(dst + q, combineVec<T>(op, v128.load(dst + q), v128.load(row + q)));
        }
        for (; i < inner; i++) {
          const q = (<usize>i) * sizeof<T>();
          store<T>(dst + q, combineScalar<T>(op, load<T>(dst + q), load<T>(row + q)));
        }
      }
    }
  }
}

// int32 sums accumulate in int64, exactly (2^31 elements of magnitude ≤ 2^31 stay below 2^62).
// A sum outside int32 is stored saturated, and status (two float64) says where: [the first such
// output index, its exact sum], or [−1, 0] when every sum fits; the host turns it into an error.
@inline function storeSumI32(out: usize, index: i32, s: i64, status: usize): void {
  const fits = s >= <i64>i32.MIN_VALUE && s <= <i64>i32.MAX_VALUE;
  store<i32>(out + ((<usize>index) << 2), fits ? <i32>s : s < 0 ? i32.MIN_VALUE : i32.MAX_VALUE);
  if (!fits && load<f64>(status) < 0) {
    store<f64>(status, <f64>index);
    store<f64>(status + 8, <f64>s);
  }
}

function sumAxisI32(x: usize, out: usize, outer: i32, len: i32, inner: i32, work: usize, status: usize): void {
  store<f64>(status, -1);
  store<f64>(status + 8, 0);
  const innerBytes = (<usize>inner) << 2;
  for (let o = 0; o < outer; o++) {
    const base = x + innerBytes * (<usize>len) * (<usize>o);
    if (inner == 1) {
      let a0 = i64x2.splat(0);
      let a1 = i64x2.splat(0);
      let a2 = i64x2.splat(0);
      let a3 = i64x2.splat(0);
      let i = 0;
      for (; i + 8 <= len; i += 8) {
        const p = base + ((<usize>i) << 2);
        const v = v128.load(p);
        const u = v128.load(p + 16);
        a0 = i64x2.add(a0, i64x2.extend_low_i32x4_s(v));
        a1 = i64x2.add(a1, i64x2.extend_high_i32x4_s(v));
        a2 = i64x2.add(a2, i64x2.extend_low_i32x4_s(u));
        a3 = i64x2.add(a3, i64x2.extend_high_i32x4_s(u));
      }
      const v = i64x2.add(i64x2.add(a0, a1), i64x2.add(a2, a3));
      let s = i64x2.extract_lane(v, 0) + i64x2.extract_lane(v, 1);
      for (; i < len; i++) s += <i64>load<i32>(base + ((<usize>i) << 2));
      storeSumI32(out, o, s, status);
      continue;
    }
    for (let c = 0; c < inner; c += SUM_TILE) {
      const w = min(SUM_TILE, inner - c);
      memory.fill(work, 0, (<usize>w) << 3);
      for (let j = 0; j < len; j++) {
        const row = base + innerBytes * (<usize>j) + ((<usize>c) << 2);
        let i = 0;
        for (; i + 4 <= w; i += 4) {
          const v = v128.load(row + ((<usize>i) << 2));
          const q = work + ((<usize>i) << 3);
          v128.store(q, i64x2.add(v128.load(q), i64x2.extend_low_i32x4_s(v)));
          v128.store(q + 16, i64x2.add(v128.load(q + 16), i64x2.extend_high_i32x4_s(v)));
        }
        for (; i < w; i++) {
          const q = work + ((<usize>i) << 3);
          store<i64>(q, load<i64>(q) + <i64>load<i32>(row + ((<usize>i) << 2)));
        }
      }
      for (let i = 0; i < w; i++) storeSumI32(out, o * inner + c + i, load<i64>(work + ((<usize>i) << 3)), status);
    }
  }
}

@inline function reduceDispatch<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: T, work: usize): void {
  switch (op) {
    case RED_SUM: sumAxis<T>(x, out, outer, len, inner, scale, work); break;
    case RED_MAX: extremeAxis<T>(RED_MAX, x, out, outer, len, inner); break;
    case RED_MIN: extremeAxis<T>(RED_MIN, x, out, outer, len, inner); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/**
 * Reduce float32 over the middle axis: SUM (blocked, times `scale`, so mean is one pass), MAX,
 * MIN. `work` holds reduce_work_f32(len, inner) bytes of scratch for SUM.
 */
export function reduce_f32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: f32, work: usize): void {
  reduceDispatch<f32>(op, x, out, outer, len, inner, scale, work);
}

/** Reduce float64 over the middle axis: SUM (blocked, times `scale`), MAX, MIN; `work` as reduce_f32. */
export function reduce_f64(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: f64, work: usize): void {
  reduceDispatch<f64>(op, x, out, outer, len, inner, scale, work);
}

/**
 * Reduce int32 over the middle axis: SUM (exact, in int64, with `work` of reduce_work_i32 bytes;
 * an out-of-range sum is reported in `status`, see storeSumI32), MAX, MIN.
 */
export function reduce_i32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, work: usize, status: usize): void {
  switch (op) {
    case RED_SUM: sumAxisI32(x, out, outer, len, inner, work, status); break;
    case RED_MAX: extremeAxis<i32>(RED_MAX, x, out, outer, len, inner); break;
    case RED_MIN: extremeAxis<i32>(RED_MIN, x, out, outer, len, inner); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

// Index of the first maximum (minimum) along the axis; NaN counts as the extreme, as in NumPy.
@inline function argAxis<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const innerBytes = (<usize>inner) * sizeof<T>();
  for (let o = 0; o < outer; o++) {
    const base = x + innerBytes * (<usize>len) * (<usize>o);
    for (let i = 0; i < inner; i++) {
      let p = base + (<usize>i) * sizeof<T>();
      let best = load<T>(p);
      let bestIndex = 0;
      for (let j = 1; j < len; j++) {
        p += innerBytes;
        const v = load<T>(p);
        if (isFloat<T>() && best != best) break;
        const better = op == RED_ARGMAX ? v > best : v < best;
        if (better || (isFloat<T>() && v != v)) {
          best = v;
          bestIndex = j;
        }
      }
      store<i32>(out + ((<usize>(o * inner + i)) << 2), bestIndex);
    }
  }
}

@inline function argDispatch<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  switch (op) {
    case RED_ARGMAX: argAxis<T>(RED_ARGMAX, x, out, outer, len, inner); break;
    case RED_ARGMIN: argAxis<T>(RED_ARGMIN, x, out, outer, len, inner); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** argmax / argmin of float32 along the middle axis; out is int32. */
export function reduce_arg_f32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  argDispatch<f32>(op, x, out, outer, len, inner);
}

/** argmax / argmin of float64 along the middle axis; out is int32. */
export function reduce_arg_f64(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  argDispatch<f64>(op, x, out, outer, len, inner);
}

/** argmax / argmin of int32 along the middle axis; out is int32. */
export function reduce_arg_i32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  argDispatch<i32>(op, x, out, outer, len, inner);
}

// Running sums along the middle axis of [outer, len, inner]: out[o, j, :] = Σ_{t ≤ j} x[o, t, :].
// With inner > 1 each step adds a whole row to the previous one, a vector at a time; a contiguous
// axis (inner = 1) is a sequential scan.
@inline function cumsumAxis<T>(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  const size = <usize>sizeof<T>();
  const lanes = 16 / <i32>sizeof<T>();
  const innerBytes = (<usize>inner) * size;
  for (let o = 0; o < outer; o++) {
    const src = x + innerBytes * (<usize>len) * (<usize>o);
    const dst = out + innerBytes * (<usize>len) * (<usize>o);
    if (inner == 1) {
      let acc: T = <T>0;
      for (let j = 0; j < len; j++) {
        acc += load<T>(src + (<usize>j) * size);
        store<T>(dst + (<usize>j) * size, acc);
      }
      continue;
    }
    memory.copy(dst, src, innerBytes);
    for (let j = 1; j < len; j++) {
      const prev = dst + innerBytes * (<usize>(j - 1));
      const row = src + innerBytes * (<usize>j);
      const to = dst + innerBytes * (<usize>j);
      let i = 0;
      for (; i + lanes <= inner; i += lanes) {
        const q = (<usize>i) * size;
        v128.store(to + q, v128.add<T>(v128.load(prev + q), v128.load(row + q)));
      }
      for (; i < inner; i++) {
        const q = (<usize>i) * size;
        store<T>(to + q, load<T>(prev + q) + load<T>(row + q));
      }
    }
  }
}

/** Cumulative sum of float32 along the middle axis of [outer, len, inner]. */
export function cumsum_f32(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  cumsumAxis<f32>(x, out, outer, len, inner);
}

/** Cumulative sum of float64 along the middle axis of [outer, len, inner]. */
export function cumsum_f64(x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  cumsumAxis<f64>(x, out, outer, len, inner);
}
