// Dense linear algebra on batches of small matrices, row-major and contiguous: LU with partial
// pivoting to solve A·X = B (LAPACK's getrf + getrs, unblocked), and the Cholesky factor
// A = L·Lᵀ (potrf, lower). Written once over the float type T; the exports are the f32 and f64
// instantiations. A failure is reported in `info` (two i32: the batch index and the 1-based
// column, as LAPACK numbers it), never by trapping; info[0] stays −1 when every matrix succeeds.

@inline function solveOne<T>(lu: usize, x: usize, n: i32, k: i32): i32 {
  const s = sizeof<T>();
  const rowA = (<usize>n) * s;
  const rowX = (<usize>k) * s;
  for (let j = 0; j < n; j++) {
    // partial pivoting: the row with the largest |entry| in column j, at or below the diagonal
    let p = j;
    let best = abs<T>(load<T>(lu + (<usize>j) * rowA + (<usize>j) * s));
    for (let r = j + 1; r < n; r++) {
      const v = abs<T>(load<T>(lu + (<usize>r) * rowA + (<usize>j) * s));
      if (v > best) {
        best = v;
        p = r;
      }
    }
    const pivot = load<T>(lu + (<usize>p) * rowA + (<usize>j) * s);
    if (pivot == <T>0) return j + 1;
    if (p != j) {
      for (let c = 0; c < n; c++) {
        const a = lu + (<usize>j) * rowA + (<usize>c) * s;
        const b = lu + (<usize>p) * rowA + (<usize>c) * s;
        const t = load<T>(a);
        store<T>(a, load<T>(b));
        store<T>(b, t);
      }
      for (let c = 0; c < k; c++) {
        const a = x + (<usize>j) * rowX + (<usize>c) * s;
        const b = x + (<usize>p) * rowX + (<usize>c) * s;
        const t = load<T>(a);
        store<T>(a, load<T>(b));
        store<T>(b, t);
      }
    }
    // eliminate below the pivot, in A and in the right-hand sides alike
    for (let r = j + 1; r < n; r++) {
      const f = load<T>(lu + (<usize>r) * rowA + (<usize>j) * s) / pivot;
      if (f == <T>0) continue;
      for (let c = j + 1; c < n; c++) {
        const at = lu + (<usize>r) * rowA + (<usize>c) * s;
        store<T>(at, load<T>(at) - f * load<T>(lu + (<usize>j) * rowA + (<usize>c) * s));
      }
      for (let c = 0; c < k; c++) {
        const at = x + (<usize>r) * rowX + (<usize>c) * s;
        store<T>(at, load<T>(at) - f * load<T>(x + (<usize>j) * rowX + (<usize>c) * s));
      }
    }
  }
  // back substitution with the upper triangle U: x_j = (b_j − Σ_{m>j} U_jm x_m) / U_jj
  for (let j = n - 1; j >= 0; j--) {
    const d = load<T>(lu + (<usize>j) * rowA + (<usize>j) * s);
    for (let c = 0; c < k; c++) {
      let acc = load<T>(x + (<usize>j) * rowX + (<usize>c) * s);
      for (let m = j + 1; m < n; m++) acc -= load<T>(lu + (<usize>j) * rowA + (<usize>m) * s) * load<T>(x + (<usize>m) * rowX + (<usize>c) * s);
      store<T>(x + (<usize>j) * rowX + (<usize>c) * s, acc / d);
    }
  }
  return 0;
}

@inline function solve<T>(a: usize, b: usize, x: usize, work: usize, batch: i32, n: i32, k: i32, info: usize): void {
  const s = sizeof<T>();
  const matA = (<usize>n) * (<usize>n) * s;
  const matX = (<usize>n) * (<usize>k) * s;
  store<i32>(info, -1);
  store<i32>(info + 4, 0);
  for (let i = 0; i < batch; i++) {
    memory.copy(work, a + (<usize>i) * matA, matA);
    const xi = x + (<usize>i) * matX;
    memory.copy(xi, b + (<usize>i) * matX, matX);
    const column = solveOne<T>(work, xi, n, k);
    if (column != 0) {
      store<i32>(info, i);
      store<i32>(info + 4, column);
      return;
    }
  }
}

/**
 * X = A⁻¹B for `batch` pairs: a holds batch n×n matrices, b and x batch n×k ones; work holds one
 * n×n matrix (the LU factors). info: −1, or the batch index and column of a zero pivot.
 */
export function linalg_solve_f32(a: usize, b: usize, x: usize, work: usize, batch: i32, n: i32, k: i32, info: usize): void {
  solve<f32>(a, b, x, work, batch, n, k, info);
}

/** linalg_solve_f32 for float64. */
export function linalg_solve_f64(a: usize, b: usize, x: usize, work: usize, batch: i32, n: i32, k: i32, info: usize): void {
  solve<f64>(a, b, x, work, batch, n, k, info);
}

@inline function cholesky<T>(a: usize, l: usize, batch: i32, n: i32, info: usize): void {
  const s = sizeof<T>();
  const row = (<usize>n) * s;
  const mat = (<usize>n) * row;
  store<i32>(info, -1);
  store<i32>(info + 4, 0);
  for (let i = 0; i < batch; i++) {
    const ai = a + (<usize>i) * mat;
    const li = l + (<usize>i) * mat;
    memory.fill(li, 0, mat);
    // column by column, reading only A's lower triangle:
    // L_jj = √(A_jj − Σ_{m<j} L_jm²), L_rj = (A_rj − Σ_{m<j} L_rm L_jm) / L_jj for r > j
    for (let j = 0; j < n; j++) {
      let d = load<T>(ai + (<usize>j) * row + (<usize>j) * s);
      for (let m = 0; m < j; m++) {
        const v = load<T>(li + (<usize>j) * row + (<usize>m) * s);
        d -= v * v;
      }
      // not positive (or NaN): the leading minor of order j + 1 is not positive-definite
      if (!(d > <T>0)) {
        store<i32>(info, i);
        store<i32>(info + 4, j + 1);
        return;
      }
      const ljj = sqrt<T>(d);
      store<T>(li + (<usize>j) * row + (<usize>j) * s, ljj);
      for (let r = j + 1; r < n; r++) {
        let acc = load<T>(ai + (<usize>r) * row + (<usize>j) * s);
        for (let m = 0; m < j; m++) acc -= load<T>(li + (<usize>r) * row + (<usize>m) * s) * load<T>(li + (<usize>j) * row + (<usize>m) * s);
        store<T>(li + (<usize>r) * row + (<usize>j) * s, acc / ljj);
      }
    }
  }
}

/**
 * The lower Cholesky factor L of each of `batch` n×n matrices in a (A = L·Lᵀ, from A's lower
 * triangle), into l. info: −1, or the batch index and the order of the first leading minor that
 * is not positive-definite.
 */
export function linalg_cholesky_f32(a: usize, l: usize, batch: i32, n: i32, info: usize): void {
  cholesky<f32>(a, l, batch, n, info);
}

/** linalg_cholesky_f32 for float64. */
export function linalg_cholesky_f64(a: usize, l: usize, batch: i32, n: i32, info: usize): void {
  cholesky<f64>(a, l, batch, n, info);
}
