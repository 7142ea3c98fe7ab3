// Selection along the last axis: the k largest (or smallest) entries of each row, with their
// indices. The TypeScript side moves the axis last and checks 1 ≤ k ≤ len before any call.

// a ranks before b: larger (or smaller) first; NaN counts as larger than every number, as in
// PyTorch, so it leads a `largest` selection and trails a smallest one
@inline function before<T>(a: T, b: T, largest: bool): bool {
  if (isFloat<T>()) {
    if (a != a) return largest && b == b;
    if (b != b) return !largest;
  }
  return largest ? a > b : a < b;
}

// Each row keeps its best k so far sorted in the output; an entry that ranks before the current
// last is placed by binary search after every kept entry it does not rank before (so ties keep
// the lower index first, the entries arriving in index order) and the tail moves one slot.
@inline function topkRows<T>(x: usize, values: usize, indices: usize, rows: i32, len: i32, k: i32, largest: bool): void {
  const size = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const src = x + (<usize>r) * (<usize>len) * size;
    const vo = values + (<usize>r) * (<usize>k) * size;
    const io = indices + (<usize>r) * (<usize>k) * 4;
    let filled = 0;
    for (let j = 0; j < len; j++) {
      const v = load<T>(src + (<usize>j) * size);
      if (filled == k && !before<T>(v, load<T>(vo + (<usize>(k - 1)) * size), largest)) continue;
      // first slot whose entry v ranks before
      let lo = 0;
      let hi = filled;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (before<T>(v, load<T>(vo + (<usize>mid) * size), largest)) hi = mid;
        else lo = mid + 1;
      }
      const moved = (filled == k ? k - 1 : filled) - lo;
      if (moved > 0) {
        memory.copy(vo + (<usize>(lo + 1)) * size, vo + (<usize>lo) * size, (<usize>moved) * size);
        memory.copy(io + (<usize>(lo + 1)) * 4, io + (<usize>lo) * 4, (<usize>moved) * 4);
      }
      store<T>(vo + (<usize>lo) * size, v);
      store<i32>(io + (<usize>lo) * 4, j);
      if (filled < k) filled++;
    }
  }
}

/** The k largest (largest = 1) or smallest float32 entries of each row of [rows, len], sorted, and their int32 indices. */
export function topk_f32(x: usize, values: usize, indices: usize, rows: i32, len: i32, k: i32, largest: bool): void {
  topkRows<f32>(x, values, indices, rows, len, k, largest);
}

/** topk_f32 for float64 rows. */
export function topk_f64(x: usize, values: usize, indices: usize, rows: i32, len: i32, k: i32, largest: bool): void {
  topkRows<f64>(x, values, indices, rows, len, k, largest);
}

/** topk_f32 for int32 rows. */
export function topk_i32(x: usize, values: usize, indices: usize, rows: i32, len: i32, k: i32, largest: bool): void {
  topkRows<i32>(x, values, indices, rows, len, k, largest);
}
