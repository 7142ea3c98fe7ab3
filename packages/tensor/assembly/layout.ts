// Index kernels: gather along an axis, its adjoint scatter-add, and one-hot encoding.
// Indices are int32 and have been range-checked by the TypeScript side before any call.

/**
 * out[o, t, :] = x[o, idx[t], :] for x viewed as [outer, axisLen, inner] and nIdx indices;
 * 32-bit words are copied as bits (float32 and int32).
 */
export function gather_32(x: usize, idx: usize, out: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) << 2;
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

/** dx[o, idx[t], :] += dy[o, t, :] — the gradient of gather; dx must be zeroed by the caller. */
export function scatter_add_f32(dy: usize, idx: usize, dx: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) << 2;
  let pd = dy;
  for (let o = 0; o < outer; o++) {
    const base = dx + rowBytes * (<usize>axisLen) * (<usize>o);
    for (let t = 0; t < nIdx; t++) {
      const row = base + rowBytes * (<usize>load<i32>(idx + ((<usize>t) << 2)));
      let i = 0;
      for (; i + 4 <= inner; i += 4) {
        const q = (<usize>i) << 2;
        v128.store(row + q, f32x4.add(v128.load(row + q), v128.load(pd + q)));
      }
      for (; i < inner; i++) {
        const q = (<usize>i) << 2;
        store<f32>(row + q, load<f32>(row + q) + load<f32>(pd + q));
      }
      pd += rowBytes;
    }
  }
}

/** out[i, idx[i]] = 1 over a zeroed float32 [n, depth] output. */
export function one_hot_f32(idx: usize, out: usize, n: i32, depth: i32): void {
  memory.fill(out, 0, (<usize>n) * (<usize>depth) << 2);
  for (let i = 0; i < n; i++) {
    const k = load<i32>(idx + ((<usize>i) << 2));
    store<f32>(out + ((<usize>(i * depth + k)) << 2), 1);
  }
}

/** gather_32 for 64-bit elements (float64): rows of `inner` 8-byte words copied as bits. */
export function gather_64(x: usize, idx: usize, out: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) << 3;
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

/** scatter_add_f32 for float64: dx[o, idx[t], :] += dy[o, t, :], f64x2 along the row. */
export function scatter_add_f64(dy: usize, idx: usize, dx: usize, outer: i32, axisLen: i32, inner: i32, nIdx: i32): void {
  const rowBytes = (<usize>inner) << 3;
  let pd = dy;
  for (let o = 0; o < outer; o++) {
    const base = dx + rowBytes * (<usize>axisLen) * (<usize>o);
    for (let t = 0; t < nIdx; t++) {
      const row = base + rowBytes * (<usize>load<i32>(idx + ((<usize>t) << 2)));
      let i = 0;
      for (; i + 2 <= inner; i += 2) {
        const q = (<usize>i) << 3;
        v128.store(row + q, f64x2.add(v128.load(row + q), v128.load(pd + q)));
      }
      for (; i < inner; i++) {
        const q = (<usize>i) << 3;
        store<f64>(row + q, load<f64>(row + q) + load<f64>(pd + q));
      }
      pd += rowBytes;
    }
  }
}

/** out[i, idx[i]] = 1 over a zeroed float64 [n, depth] output. */
export function one_hot_f64(idx: usize, out: usize, n: i32, depth: i32): void {
  memory.fill(out, 0, (<usize>n) * (<usize>depth) << 3);
  for (let i = 0; i < n; i++) {
    const k = load<i32>(idx + ((<usize>i) << 2));
    store<f64>(out + ((<usize>(i * depth + k)) << 3), 1);
  }
}
