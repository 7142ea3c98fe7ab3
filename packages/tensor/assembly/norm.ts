// Layer normalisation over the last n elements of each of `rows` rows (src/ops/norm.ts), generic
// over the element type T; the exports are the f32 and f64 instantiations.
//   y = (x − μ)/√(σ² + eps)·w + b, μ and σ² the row's mean and biased variance (two passes, so a
//   large mean does not cancel), w and b optional (`affine` 0 or 1).
// The backward recomputes μ and σ² from x rather than keeping them: a row is in cache anyway.
//   x̂ = (x − μ)/d, d = √(σ² + eps), ĝ = g·w:  dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/d
//   dw = Σ_rows g·x̂, db = Σ_rows g (a separate kernel, by columns, so threads can split it by columns)
import { sumContiguous } from './sum';

/** Elements of a row summed in SIMD lanes before the block sums are added one after another. */
const NORM_BLOCK: i32 = 512;

// Σ (p[i] − m)² over n contiguous elements, in blocks of NORM_BLOCK summed in four vector accumulators.
function sumSquaredDeviations<T>(p: usize, n: i32, m: T): T {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const vm = v128.splat<T>(m);
  let total: T = <T>0;
  for (let b = 0; b < n; b += NORM_BLOCK) {
    const end = min(n, b + NORM_BLOCK);
    let a0 = v128.splat<T>(0);
    let a1 = v128.splat<T>(0);
    let i = b;
    for (; i + 2 * lanes <= end; i += 2 * lanes) {
      const q = p + (<usize>i) * sizeof<T>();
      const d0 = v128.sub<T>(v128.load(q), vm);
      const d1 = v128.sub<T>(v128.load(q + 16), vm);
      a0 = v128.add<T>(a0, v128.mul<T>(d0, d0));
      a1 = v128.add<T>(a1, v128.mul<T>(d1, d1));
    }
    const v = v128.add<T>(a0, a1);
    let s: T = v128.extract_lane<T>(v, 0) + v128.extract_lane<T>(v, 1);
    if (sizeof<T>() == 4) s += v128.extract_lane<T>(v, 2) + v128.extract_lane<T>(v, 3);
    for (; i < end; i++) {
      const d = load<T>(p + (<usize>i) * sizeof<T>()) - m;
      s += d * d;
    }
    total += s;
  }
  return total;
}

// The row's mean μ and d = √(σ² + eps).
@inline function rowMean<T>(x: usize, n: i32): T {
  return sumContiguous<T>(x, n) * (<T>1 / <T>n);
}

@inline function rowScale<T>(x: usize, n: i32, mean: T, eps: T): T {
  return sqrt<T>(sumSquaredDeviations<T>(x, n, mean) * (<T>1 / <T>n) + eps);
}

@inline function layerNorm<T>(x: usize, w: usize, b: usize, y: usize, rows: i32, n: i32, eps: T, affine: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const rowBytes = (<usize>n) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const px = x + rowBytes * (<usize>r);
    const py = y + rowBytes * (<usize>r);
    const mean = rowMean<T>(px, n);
    const d = rowScale<T>(px, n, mean, eps);
    const vm = v128.splat<T>(mean);
    const vd = v128.splat<T>(d);
    let i = 0;
    if (affine) {
      for (; i + lanes <= n; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        const xh = v128.div<T>(v128.sub<T>(v128.load(px + o), vm), vd);
        v128.store(py + o, v128.add<T>(v128.mul<T>(xh, v128.load(w + o)), v128.load(b + o)));
      }
      for (; i < n; i++) {
        const o = (<usize>i) * sizeof<T>();
        store<T>(py + o, ((load<T>(px + o) - mean) / d) * load<T>(w + o) + load<T>(b + o));
      }
    } else {
      for (; i + lanes <= n; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        v128.store(py + o, v128.div<T>(v128.sub<T>(v128.load(px + o), vm), vd));
      }
      for (; i < n; i++) {
        const o = (<usize>i) * sizeof<T>();
        store<T>(py + o, (load<T>(px + o) - mean) / d);
      }
    }
  }
}

@inline function layerNormBackward<T>(g: usize, x: usize, w: usize, dx: usize, stats: usize, rows: i32, n: i32, eps: T, affine: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const rowBytes = (<usize>n) * sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const px = x + rowBytes * (<usize>r);
    const pg = g + rowBytes * (<usize>r);
    const pd = dx + rowBytes * (<usize>r);
    const mean = rowMean<T>(px, n);
    // 1/d once per row: the gradient multiplies where the forward divides
    const inv = <T>1 / rowScale<T>(px, n, mean, eps);
    store<T>(stats + (<usize>(2 * r)) * sizeof<T>(), mean);
    store<T>(stats + (<usize>(2 * r + 1)) * sizeof<T>(), inv);
    const vm = v128.splat<T>(mean);
    const vi = v128.splat<T>(inv);
    // Σ ĝ and Σ ĝ·x̂, in blocks of NORM_BLOCK
    let sumG: T = <T>0;
    let sumGX: T = <T>0;
    for (let b0 = 0; b0 < n; b0 += NORM_BLOCK) {
      const end = min(n, b0 + NORM_BLOCK);
      let ag = v128.splat<T>(0);
      let agx = v128.splat<T>(0);
      let i = b0;
      for (; i + lanes <= end; i += lanes) {
        const o = (<usize>i) * sizeof<T>();
        const xh = v128.mul<T>(v128.sub<T>(v128.load(px + o), vm), vi);
        const gh = affine ? v128.mul<T>(v128.load(pg + o), v128.load(w + o)) : v128.load(pg + o);
        ag = v128.add<T>(ag, gh);
        agx = v128.add<T>(agx, v128.mul<T>(gh, xh));
      }
      let s: T = v128.extract_lane<T>(ag, 0) + v128.extract_lane<T>(ag, 1);
      let sx: T = v128.extract_lane<T>(agx, 0) + v128.extract_lane<T>(agx, 1);
      if (sizeof<T>() == 4) {
        s += v128.extract_lane<T>(ag, 2) + v128.extract_lane<T>(ag, 3);
        sx += v128.extract_lane<T>(agx, 2) + v128.extract_lane<T>(agx, 3);
      }
      for (; i < end; i++) {
        const o = (<usize>i) * sizeof<T>();
        const xh = (load<T>(px + o) - mean) * inv;
        const gh = affine ? load<T>(pg + o) * load<T>(w + o) : load<T>(pg + o);
        s += gh;
        sx += gh * xh;
      }
      sumG += s;
      sumGX += sx;
    }
    const mg = sumG * (<T>1 / <T>n);
    const mgx = sumGX * (<T>1 / <T>n);
    const vmg = v128.splat<T>(mg);
    const vmgx = v128.splat<T>(mgx);
    let i = 0;
    for (; i + lanes <= n; i += lanes) {
      const o = (<usize>i) * sizeof<T>();
      const xh = v128.mul<T>(v128.sub<T>(v128.load(px + o), vm), vi);
      const gh = affine ? v128.mul<T>(v128.load(pg + o), v128.load(w + o)) : v128.load(pg + o);
      v128.store(pd + o, v128.mul<T>(v128.sub<T>(v128.sub<T>(gh, vmg), v128.mul<T>(xh, vmgx)), vi));
    }
    for (; i < n; i++) {
      const o = (<usize>i) * sizeof<T>();
      const xh = (load<T>(px + o) - mean) * inv;
      const gh = affine ? load<T>(pg + o) * load<T>(w + o) : load<T>(pg + o);
      store<T>(pd + o, (gh - mg - xh * mgx) * inv);
    }
  }
}

/** Rows of the affine gradient summed one after another before the block sums are added. */
const AFFINE_ROW_BLOCK: i32 = 32;

// dw[c] = Σ_r g[r, c]·x̂[r, c] and db[c] = Σ_r g[r, c] for `cols` columns of rows `ld` elements
// apart, x̂ from the (μ, 1/d) pairs in stats. Each column's sum runs over the rows in the same order
// whatever columns are computed together, so a split by columns gives the same bits.
@inline function layerNormAffineGrad<T>(g: usize, x: usize, stats: usize, dw: usize, db: usize, rows: i32, cols: i32, ld: i32): void {
  const lanes: i32 = 16 / <i32>sizeof<T>();
  const ldBytes = (<usize>ld) * sizeof<T>();
  let c = 0;
  for (; c + lanes <= cols; c += lanes) {
    const co = (<usize>c) * sizeof<T>();
    let tw = v128.splat<T>(0);
    let tb = v128.splat<T>(0);
    for (let r0 = 0; r0 < rows; r0 += AFFINE_ROW_BLOCK) {
      const end = min(rows, r0 + AFFINE_ROW_BLOCK);
      let sw = v128.splat<T>(0);
      let sb = v128.splat<T>(0);
      for (let r = r0; r < end; r++) {
        const o = ldBytes * (<usize>r) + co;
        const vm = v128.splat<T>(load<T>(stats + (<usize>(2 * r)) * sizeof<T>()));
        const vi = v128.splat<T>(load<T>(stats + (<usize>(2 * r + 1)) * sizeof<T>()));
        const gv = v128.load(g + o);
        sw = v128.add<T>(sw, v128.mul<T>(gv, v128.mul<T>(v128.sub<T>(v128.load(x + o), vm), vi)));
        sb = v128.add<T>(sb, gv);
      }
      tw = v128.add<T>(tw, sw);
      tb = v128.add<T>(tb, sb);
    }
    v128.store(dw + co, tw);
    v128.store(db + co, tb);
  }
  for (; c < cols; c++) {
    const co = (<usize>c) * sizeof<T>();
    let tw: T = <T>0;
    let tb: T = <T>0;
    for (let r0 = 0; r0 < rows; r0 += AFFINE_ROW_BLOCK) {
      const end = min(rows, r0 + AFFINE_ROW_BLOCK);
      let sw: T = <T>0;
      let sb: T = <T>0;
      for (let r = r0; r < end; r++) {
        const o = ldBytes * (<usize>r) + co;
        const m = load<T>(stats + (<usize>(2 * r)) * sizeof<T>());
        const inv = load<T>(stats + (<usize>(2 * r + 1)) * sizeof<T>());
        const gv = load<T>(g + o);
        sw += gv * ((load<T>(x + o) - m) * inv);
        sb += gv;
      }
      tw += sw;
      tb += sb;
    }
    store<T>(dw + co, tw);
    store<T>(db + co, tb);
  }
}

/** float32 layer norm of `rows` rows of n: y = (x − μ)/√(σ² + eps)·w + b (w, b read only when affine is 1). */
export function norm_layer_f32(x: usize, w: usize, b: usize, y: usize, rows: i32, n: i32, eps: f32, affine: i32): void {
  layerNorm<f32>(x, w, b, y, rows, n, eps, affine);
}

/** float64 layer norm, as norm_layer_f32. */
export function norm_layer_f64(x: usize, w: usize, b: usize, y: usize, rows: i32, n: i32, eps: f64, affine: i32): void {
  layerNorm<f64>(x, w, b, y, rows, n, eps, affine);
}

/** float32 layer norm's input gradient dx from g and x (w when affine); writes each row's (μ, 1/d) pair to stats [rows, 2]. */
export function norm_layer_backward_f32(g: usize, x: usize, w: usize, dx: usize, stats: usize, rows: i32, n: i32, eps: f32, affine: i32): void {
  layerNormBackward<f32>(g, x, w, dx, stats, rows, n, eps, affine);
}

/** float64 layer norm's input gradient, as norm_layer_backward_f32. */
export function norm_layer_backward_f64(g: usize, x: usize, w: usize, dx: usize, stats: usize, rows: i32, n: i32, eps: f64, affine: i32): void {
  layerNormBackward<f64>(g, x, w, dx, stats, rows, n, eps, affine);
}

/** float32 layer norm's weight and bias gradients over `cols` columns (rows `ld` apart), from the stats norm_layer_backward_f32 wrote. */
export function norm_layer_affine_grad_f32(g: usize, x: usize, stats: usize, dw: usize, db: usize, rows: i32, cols: i32, ld: i32): void {
  layerNormAffineGrad<f32>(g, x, stats, dw, db, rows, cols, ld);
}

/** float64 layer norm's weight and bias gradients, as norm_layer_affine_grad_f32. */
export function norm_layer_affine_grad_f64(g: usize, x: usize, stats: usize, dw: usize, db: usize, rows: i32, cols: i32, ld: i32): void {
  layerNormAffineGrad<f64>(g, x, stats, dw, db, rows, cols, ld);
}
