// Reductions over one axis of a tensor viewed as [outer, len, inner] (row-major), generic over
// the element type T; the exports are the f32 and i32 instantiations.
// out has outer*inner elements. inner == 1 is a contiguous row reduction (f32x4 lanes);
// inner > 1 accumulates whole rows of `inner` elements, vectorised along inner.

// Op codes of this family: the one source (scripts/build-wasm.mjs reads these lines into
// src/generated/opcodes.ts; `@int32` marks a code that has an int32 kernel too).
// Reductions over one axis of a [outer, len, inner] view (reduce_*)
const RED_SUM: i32 = 0;
const RED_MAX: i32 = 1;
const RED_MIN: i32 = 2;
const RED_ARGMAX: i32 = 3;
const RED_ARGMIN: i32 = 4;


@inline function combineScalar<T>(op: i32, a: T, b: T): T {
  switch (op) {
    case RED_SUM: return a + b;
    case RED_MAX: return max<T>(a, b);
    case RED_MIN: return min<T>(a, b);
    default: return a;
  }
}

@inline function combineVec<T>(op: i32, a: v128, b: v128): v128 {
  switch (op) {
    case RED_SUM: return v128.add<T>(a, b);
    case RED_MAX: return v128.max<T>(a, b);
    case RED_MIN: return v128.min<T>(a, b);
    default: return a;
  }
}

@inline function reduceAxis<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: T): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const innerBytes = (<usize>inner) * sizeof<T>();
  const sliceBytes = innerBytes * (<usize>len);
  for (let o = 0; o < outer; o++) {
    const base = x + sliceBytes * (<usize>o);
    if (inner == 1) {
      // two vector accumulators hide the add latency; lanes are folded at the end
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
      store<T>(out + (<usize>o) * sizeof<T>(), op == RED_SUM ? acc * scale : acc);
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
      if (op == RED_SUM && scale != <T>1) {
        for (let i = 0; i < inner; i++) {
          const q = (<usize>i) * sizeof<T>();
          store<T>(dst + q, load<T>(dst + q) * scale);
        }
      }
    }
  }
}

@inline function reduceDispatch<T>(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: T): void {
  switch (op) {
    case RED_SUM: reduceAxis<T>(RED_SUM, x, out, outer, len, inner, scale); break;
    case RED_MAX: reduceAxis<T>(RED_MAX, x, out, outer, len, inner, scale); break;
    case RED_MIN: reduceAxis<T>(RED_MIN, x, out, outer, len, inner, scale); break;
    default: abort(); // an unknown code (see math.ts: abort, not unreachable)
  }
}

/** Reduce float32 over the middle axis: SUM (times `scale`, so mean is one pass), MAX, MIN. */
export function reduce_f32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: f32): void {
  reduceDispatch<f32>(op, x, out, outer, len, inner, scale);
}

/** Reduce float64 over the middle axis: SUM (times `scale`), MAX, MIN. */
export function reduce_f64(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32, scale: f64): void {
  reduceDispatch<f64>(op, x, out, outer, len, inner, scale);
}

/** Reduce int32 over the middle axis: SUM, MAX, MIN. */
export function reduce_i32(op: i32, x: usize, out: usize, outer: i32, len: i32, inner: i32): void {
  reduceDispatch<i32>(op, x, out, outer, len, inner, 1);
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
