// Blocked pairwise sums, shared by the reduction, softmax and norm kernels (as NumPy's and
// PyTorch's): within a block the elements are added in SIMD lanes, 32 to a lane, and the blocks'
// sums are added pairwise, so the rounding error grows with log n instead of n. The order of
// the additions depends only on n, so every run gives the same bits.

// Elements summed in one block of a contiguous row: 4 vectors of 16 / sizeof<T> lanes, 32 adds each.
@inline export function sumBlockLen<T>(): i32 {
  return 4 * 32 * (16 / <i32>sizeof<T>());
}

// Σ of n ≤ sumBlockLen contiguous elements: four vector accumulators, folded pairwise, then the tail.
@inline function sumBlock<T>(p: usize, n: i32): T {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  let a0 = v128.splat<T>(0);
  let a1 = v128.splat<T>(0);
  let a2 = v128.splat<T>(0);
  let a3 = v128.splat<T>(0);
  let i = 0;
  for (; i + 4 * lanes <= n; i += 4 * lanes) {
    const q = p + (<usize>i) * sizeof<T>();
    a0 = v128.add<T>(a0, v128.load(q));
    a1 = v128.add<T>(a1, v128.load(q + 16));
    a2 = v128.add<T>(a2, v128.load(q + 32));
    a3 = v128.add<T>(a3, v128.load(q + 48));
  }
  for (; i + lanes <= n; i += lanes) a0 = v128.add<T>(a0, v128.load(p + (<usize>i) * sizeof<T>()));
  const v = v128.add<T>(v128.add<T>(a0, a1), v128.add<T>(a2, a3));
  let s: T = v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
  if (sizeof<T>() == 4) s += v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3);
  let t: T = <T>0;
  for (; i < n; i++) t += load<T>(p + (<usize>i) * sizeof<T>());
  return s + t;
}

/** Σ of n contiguous float elements at p: blocks of sumBlockLen elements in SIMD lanes, added pairwise. */
export function sumContiguous<T>(p: usize, n: i32): T {
  const block = sumBlockLen<T>();
  if (n <= block) return sumBlock<T>(p, n);
  // the first half is a whole number of blocks, so every block but the last is full
  const half = ((n >>> 1) + block - 1) & ~(block - 1);
  return sumContiguous<T>(p, half) + sumContiguous<T>(p + (<usize>half) * sizeof<T>(), n - half);
}

