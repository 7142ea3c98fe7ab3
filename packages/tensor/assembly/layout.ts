// Index kernels: gather along an axis, its adjoint scatter-add, and one-hot encoding.
// Indices are int32 and have been range-checked by the TypeScript side before any call.
// Each body is generic over the element type T (rows are `inner * sizeof<T>()` bytes, a v128
// holds 16 / sizeof<T>() lanes); the exports are its 32-bit and 64-bit instantiations.

/** out[o, t, :] = x[o, idx[t], :] for x viewed as [outer, axisLen, inner], T-sized words copied as bits. */
@inline function gather<T>(x: usize, idx: usize, out: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) * sizeof<T>();
  let po = out;
  for (let o = 0; o < outer; o++) {
    const base = x + rowBytes * (<usize>axisLen) * (<usize>o);
    for (let t = 0; t < nIdx; t++) {
      const k = load<i32>(idx + ((<usize>t) << 2));
      memory.copy(po, base + rowBytes * (<usize>k), rowBytes);
      po += rowBytes;
    }
  }
}

/** dst[0 … n) += src[0 … n), a vector at a time; each element gets the same one add either way. */
@inline export function addRow<T>(dst: usize, src: usize, n: i32): void {
  const size = <usize>sizeof<T>();
  const lanes = 16 / <i32>sizeof<T>();
  let i = 0;
  for (; i + lanes <= n; i += lanes) {
    const q = (<usize>i) * size;
    v128.store(dst + q, v128.add<T>(v128.load(dst + q), v128.load(src + q)));
  }
  for (; i < n; i++) {
    const q = (<usize>i) * size;
    store<T>(dst + q, load<T>(dst + q) + load<T>(src + q));
  }
}

/** dx[o, idx[t], :] += dy[o, t, :], SIMD along the row; dx must be zeroed by the caller. */
@inline function scatterAdd<T>(dy: usize, idx: usize, dx: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) * sizeof<T>();
  let pd = dy;
  for (let o = 0; o < outer; o++) {
    const base = dx + rowBytes * (<usize>axisLen) * (<usize>o);
    for (let t = 0; t < nIdx; t++) {
      addRow<T>(base + rowBytes * (<usize>load<i32>(idx + ((<usize>t) << 2))), pd, inner);
      pd += rowBytes;
    }
  }
}

/** out[i, idx[i]] = 1 over an [n, depth] output, zeroed first. */
@inline function oneHot<T>(idx: usize, out: usize, n: i32, depth: i32): void {
  memory.fill(out, 0, (<usize>n) * (<usize>depth) * sizeof<T>());
  for (let i = 0; i < n; i++) {
    const k = load<i32>(idx + ((<usize>i) << 2));
    store<T>(out + (<usize>(i * depth + k)) * sizeof<T>(), <T>1);
  }
}

/**
 * out[o, t, :] = x[o, idx[t], :] for x viewed as [outer, axisLen, inner] and nIdx indices;
 * 32-bit words are copied as bits (float32 and int32).
 */
export function gather_32(x: usize, idx: usize, out: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  gather<u32>(x, idx, out, outer, axisLen, inner, nIdx);
}

/** gather_32 for 64-bit elements (float64): rows of `inner` 8-byte words copied as bits. */
export function gather_64(x: usize, idx: usize, out: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  gather<u64>(x, idx, out, outer, axisLen, inner, nIdx);
}

/** dx[o, idx[t], :] += dy[o, t, :] — the gradient of gather; dx must be zeroed by the caller. */
export function scatter_add_f32(dy: usize, idx: usize, dx: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  scatterAdd<f32>(dy, idx, dx, outer, axisLen, inner, nIdx);
}

/** scatter_add_f32 for float64: dx[o, idx[t], :] += dy[o, t, :], f64x2 along the row. */
export function scatter_add_f64(dy: usize, idx: usize, dx: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  scatterAdd<f64>(dy, idx, dx, outer, axisLen, inner, nIdx);
}

/** out[i, idx[i]] = 1 over a zeroed float32 [n, depth] output. */
export function one_hot_f32(idx: usize, out: usize, n: i32, depth: i32): void {
  oneHot<f32>(idx, out, n, depth);
}

/** out[i, idx[i]] = 1 over a zeroed float64 [n, depth] output. */
export function one_hot_f64(idx: usize, out: usize, n: i32, depth: i32): void {
  oneHot<f64>(idx, out, n, depth);
}

// Keeps, in each [rows, cols] matrix of x, the entries on one side of diagonal k (column j − row i
// = k): tril keeps j − i ≤ k, triu keeps j − i ≥ k; the rest of out is zeroed. Each row is one copy
// and up to one fill, so the work is a memcpy's.
@inline function triangle<T>(x: usize, out: usize, batch: i32, rows: i32, cols: i32, k: i32, upper: bool): void {
  const size = <usize>sizeof<T>();
  const rowBytes = (<usize>cols) * size;
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < rows; i++) {
      const off = ((<usize>b) * (<usize>rows) + (<usize>i)) * rowBytes;
      // the first kept column of triu, or one past the last kept column of tril, clamped to [0, cols]
      const edge = <i64>i + <i64>k + (upper ? 0 : 1);
      const e = <usize>(edge < 0 ? 0 : edge > <i64>cols ? cols : <i32>edge);
      if (upper) {
        memory.fill(out + off, 0, e * size);
        memory.copy(out + off + e * size, x + off + e * size, rowBytes - e * size);
      } else {
        memory.copy(out + off, x + off, e * size);
        memory.fill(out + off + e * size, 0, rowBytes - e * size);
      }
    }
  }
}

/** tril (upper = 0) or triu (upper = 1) with diagonal offset k over `batch` matrices of [rows, cols] 32-bit words. */
export function triangle_32(x: usize, out: usize, batch: i32, rows: i32, cols: i32, k: i32, upper: bool): void {
  triangle<u32>(x, out, batch, rows, cols, k, upper);
}

/** triangle_32 for 64-bit elements (float64). */
export function triangle_64(x: usize, out: usize, batch: i32, rows: i32, cols: i32, k: i32, upper: bool): void {
  triangle<u64>(x, out, batch, rows, cols, k, upper);
}
