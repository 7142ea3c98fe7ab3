// Convolution and pooling over NCHW images. A convolution is lowered to GEMM: im2col unrolls each
// receptive field of one image (and one group) into a column, so that
//   out[o, l] = Σ_r w[o, r] · col[r, l],   r = (c·kH + i)·kW + j,  l = oh·oW + ow,
// and the packed f32x4 gemm_f32 does the multiply-adds. Its adjoints are GEMMs too: the input
// gradient is col = wᵀ·dy scattered back by col2im (a transposed convolution), the weight
// gradient dw += dy·colᵀ. The geometry arrives as int32 words at `geom`, written by the
// TypeScript side after every check (see G_* below). Every kernel is generic over the element
// type: the f32 exports run on gemm_f32 and f32x4, the f64 ones on gemm_f64 and f64x2.

import { addRow } from './layout';
import { gemm_f32, gemm_f64 } from './matmul';
import { sumContiguous } from './sum';

// geometry words
const G_N = 0;
const G_C = 1; // input channels
const G_H = 2;
const G_W = 3;
const G_OC = 4; // output channels
const G_GROUPS = 5;
const G_KH = 6;
const G_KW = 7;
const G_SH = 8;
const G_SW = 9;
const G_PH = 10;
const G_PW = 11;
const G_DH = 12;
const G_DW = 13;
const G_OH = 14;
const G_OW = 15;

@inline function geo(geom: usize, at: i32): i32 {
  return load<i32>(geom + ((<usize>at) << 2));
}

/** ⌈a / b⌉ for b > 0 and any sign of a. */
@inline function ceilDiv(a: i32, b: i32): i32 {
  return a >= 0 ? (a + b - 1) / b : -((-a) / b);
}

/** The range [lo, hi) of output positions o with 0 ≤ o·s − p + off < len. */
@inline function validLo(p: i32, off: i32, s: i32): i32 {
  return max(0, ceilDiv(p - off, s));
}
@inline function validHi(len: i32, p: i32, off: i32, s: i32, outLen: i32): i32 {
  return min(outLen, ceilDiv(len + p - off, s));
}

/** Copies `bytes` (a multiple of 4) from `src` to `dst`, the regions not overlapping. */
@inline function copyRun(dst: usize, src: usize, bytes: usize): void {
  let o: usize = 0;
  for (; o + 16 <= bytes; o += 16) v128.store(dst + o, v128.load(src + o));
  for (; o < bytes; o += 4) store<u32>(dst + o, load<u32>(src + o));
}

/**
 * col[r, l] = x[c, oh·sH − pH + i·dH, ow·sW − pW + j·dW] (0 outside the image), for one image of
 * C channels; col has C·kH·kW rows of oH·oW.
 */
function im2col<T>(
  x: usize, col: usize, C: i32, H: i32, W: i32, kH: i32, kW: i32, sH: i32, sW: i32,
  pH: i32, pW: i32, dH: i32, dW: i32, oH: i32, oW: i32,
): void {
  const size = <usize>sizeof<T>();
  let dst = col;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>c) * (<usize>(H * W)) * size;
    for (let i = 0; i < kH; i++) {
      const hLo = validLo(pH, i * dH, sH);
      const hHi = max(hLo, validHi(H, pH, i * dH, sH, oH));
      for (let j = 0; j < kW; j++) {
        const wLo = min(oW, validLo(pW, j * dW, sW));
        const wHi = max(wLo, validHi(W, pW, j * dW, sW, oW));
        if (hLo > 0) memory.fill(dst, 0, (<usize>(hLo * oW)) * size);
        for (let oh = hLo; oh < hHi; oh++) {
          const row = dst + (<usize>(oh * oW)) * size;
          const src = plane + (<usize>((oh * sH - pH + i * dH) * W)) * size;
          if (wLo > 0) memory.fill(row, 0, (<usize>wLo) * size);
          if (sW == 1) {
            // rows are short (tens of elements): a vector loop beats memory.copy's call
            const iw0 = wLo - pW + j * dW;
            copyRun(row + (<usize>wLo) * size, src + (<usize>iw0) * size, (<usize>(wHi - wLo)) * size);
          } else {
            for (let ow = wLo; ow < wHi; ow++) {
              store<T>(row + (<usize>ow) * size, load<T>(src + (<usize>(ow * sW - pW + j * dW)) * size));
            }
          }
          if (wHi < oW) memory.fill(row + (<usize>wHi) * size, 0, (<usize>(oW - wHi)) * size);
        }
        if (hHi < oH) memory.fill(dst + (<usize>(hHi * oW)) * size, 0, (<usize>((oH - hHi) * oW)) * size);
        dst += (<usize>(oH * oW)) * size;
      }
    }
  }
}

/** The adjoint of im2col: x[c, ih, iw] += col[r, l] over every (r, l) that reads (c, ih, iw). */
function col2im<T>(
  col: usize, x: usize, C: i32, H: i32, W: i32, kH: i32, kW: i32, sH: i32, sW: i32,
  pH: i32, pW: i32, dH: i32, dW: i32, oH: i32, oW: i32,
): void {
  const size = <usize>sizeof<T>();
  let src = col;
  for (let c = 0; c < C; c++) {
    const plane = x + (<usize>c) * (<usize>(H * W)) * size;
    for (let i = 0; i < kH; i++) {
      const hLo = validLo(pH, i * dH, sH);
      const hHi = validHi(H, pH, i * dH, sH, oH);
      for (let j = 0; j < kW; j++) {
        const wLo = validLo(pW, j * dW, sW);
        const wHi = validHi(W, pW, j * dW, sW, oW);
        for (let oh = hLo; oh < hHi; oh++) {
          const row = src + (<usize>(oh * oW)) * size;
          const dst = plane + (<usize>((oh * sH - pH + i * dH) * W)) * size;
          if (sW == 1) {
            // a run of the image row
            addRow<T>(dst + (<usize>(wLo - pW + j * dW)) * size, row + (<usize>wLo) * size, wHi - wLo);
            continue;
          }
          for (let ow = wLo; ow < wHi; ow++) {
            const at = dst + (<usize>(ow * sW - pW + j * dW)) * size;
            store<T>(at, load<T>(at) + load<T>(row + (<usize>ow) * size));
          }
        }
        src += (<usize>(oH * oW)) * size;
      }
    }
  }
}

/** A 1×1 kernel with stride 1 and no padding reads the image itself as its column matrix. */
@inline function isPointwise(geom: usize): bool {
  return geo(geom, G_KH) == 1 && geo(geom, G_KW) == 1 && geo(geom, G_SH) == 1 && geo(geom, G_SW) == 1 &&
    geo(geom, G_PH) == 0 && geo(geom, G_PW) == 0;
}

@inline function im2colGroup<T>(geom: usize, x: usize, col: usize, Cg: i32): void {
  im2col<T>(
    x, col, Cg, geo(geom, G_H), geo(geom, G_W), geo(geom, G_KH), geo(geom, G_KW), geo(geom, G_SH), geo(geom, G_SW),
    geo(geom, G_PH), geo(geom, G_PW), geo(geom, G_DH), geo(geom, G_DW), geo(geom, G_OH), geo(geom, G_OW),
  );
}

/** The packed GEMM of the element type: gemm_f32 or gemm_f64 (same arguments, same scratch). */
@inline function gemm<T>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  if (sizeof<T>() == 4) gemm_f32(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
  else gemm_f64(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
}

/** row[0 … L) += v, four floats or two doubles per SIMD step. */
@inline function addScalar<T>(row: usize, L: i32, v: T): void {
  const size = <usize>sizeof<T>();
  const lanes: i32 = 16 / sizeof<T>();
  const s = sizeof<T>() == 4 ? f32x4.splat(<f32>v) : f64x2.splat(<f64>v);
  let l = 0;
  for (; l + lanes <= L; l += lanes) {
    const at = row + (<usize>l) * size;
    v128.store(at, sizeof<T>() == 4 ? f32x4.add(v128.load(at), s) : f64x2.add(v128.load(at), s));
  }
  for (; l < L; l++) {
    const at = row + (<usize>l) * size;
    store<T>(at, load<T>(at) + v);
  }
}

function convForward<T>(x: usize, w: usize, bias: usize, out: usize, col: usize, work: usize, geom: usize): void {
  const size = <usize>sizeof<T>();
  const N = geo(geom, G_N), C = geo(geom, G_C), H = geo(geom, G_H), W = geo(geom, G_W);
  const OC = geo(geom, G_OC), groups = geo(geom, G_GROUPS);
  const L = geo(geom, G_OH) * geo(geom, G_OW);
  const Cg = C / groups, OCg = OC / groups;
  const K = Cg * geo(geom, G_KH) * geo(geom, G_KW);
  const pointwise = isPointwise(geom);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>n * <usize>C + <usize>(g * Cg)) * <usize>(H * W) * size;
      let b = col;
      if (pointwise) b = xg;
      else im2colGroup<T>(geom, xg, col, Cg);
      const og = out + (<usize>n * <usize>OC + <usize>(g * OCg)) * <usize>L * size;
      gemm<T>(0, 0, OCg, L, K, w + <usize>(g * OCg) * <usize>K * size, K, b, L, og, L, 0, work);
    }
    if (bias != 0) {
      for (let o = 0; o < OC; o++) {
        addScalar<T>(out + (<usize>n * <usize>OC + <usize>o) * <usize>L * size, L, load<T>(bias + (<usize>o) * size));
      }
    }
  }
}

function convBackwardInput<T>(dy: usize, w: usize, dx: usize, col: usize, work: usize, geom: usize): void {
  const size = <usize>sizeof<T>();
  const N = geo(geom, G_N), C = geo(geom, G_C), H = geo(geom, G_H), W = geo(geom, G_W);
  const OC = geo(geom, G_OC), groups = geo(geom, G_GROUPS);
  const L = geo(geom, G_OH) * geo(geom, G_OW);
  const Cg = C / groups, OCg = OC / groups;
  const K = Cg * geo(geom, G_KH) * geo(geom, G_KW);
  const pointwise = isPointwise(geom);
  if (!pointwise) memory.fill(dx, 0, <usize>N * <usize>C * <usize>(H * W) * size);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const xg = dx + (<usize>n * <usize>C + <usize>(g * Cg)) * <usize>(H * W) * size;
      const dyg = dy + (<usize>n * <usize>OC + <usize>(g * OCg)) * <usize>L * size;
      const wg = w + <usize>(g * OCg) * <usize>K * size;
      if (pointwise) {
        gemm<T>(1, 0, K, L, OCg, wg, K, dyg, L, xg, L, 0, work);
      } else {
        gemm<T>(1, 0, K, L, OCg, wg, K, dyg, L, col, L, 0, work);
        col2im<T>(
          col, xg, Cg, H, W, geo(geom, G_KH), geo(geom, G_KW), geo(geom, G_SH), geo(geom, G_SW),
          geo(geom, G_PH), geo(geom, G_PW), geo(geom, G_DH), geo(geom, G_DW), geo(geom, G_OH), geo(geom, G_OW),
        );
      }
    }
  }
}

function convBackwardWeight<T>(x: usize, dy: usize, dw: usize, col: usize, work: usize, geom: usize): void {
  const size = <usize>sizeof<T>();
  const N = geo(geom, G_N), C = geo(geom, G_C), H = geo(geom, G_H), W = geo(geom, G_W);
  const OC = geo(geom, G_OC), groups = geo(geom, G_GROUPS);
  const L = geo(geom, G_OH) * geo(geom, G_OW);
  const Cg = C / groups, OCg = OC / groups;
  const K = Cg * geo(geom, G_KH) * geo(geom, G_KW);
  const pointwise = isPointwise(geom);
  for (let n = 0; n < N; n++) {
    for (let g = 0; g < groups; g++) {
      const xg = x + (<usize>n * <usize>C + <usize>(g * Cg)) * <usize>(H * W) * size;
      const dyg = dy + (<usize>n * <usize>OC + <usize>(g * OCg)) * <usize>L * size;
      const dwg = dw + <usize>(g * OCg) * <usize>K * size;
      if (pointwise) {
        gemm<T>(0, 1, OCg, K, L, dyg, L, xg, L, dwg, K, n > 0 ? 1 : 0, work);
      } else {
        // dw += dy·colᵀ: col read transposed, which the GEMM packs four steps at a time
        im2colGroup<T>(geom, xg, col, Cg);
        gemm<T>(0, 1, OCg, K, L, dyg, L, col, L, dwg, K, n > 0 ? 1 : 0, work);
      }
    }
  }
}

/**
 * out[n, o] = Σ_c w[o, c] ⋆ x[n, c] (+ bias[o]) for x [N, C, H, W], w [OC, C/groups, kH, kW],
 * out [N, OC, oH, oW]. `bias` 0 means none; `col` holds (C/groups)·kH·kW·oH·oW floats.
 */
export function conv2d_forward_f32(x: usize, w: usize, bias: usize, out: usize, col: usize, work: usize, geom: usize): void {
  convForward<f32>(x, w, bias, out, col, work, geom);
}

/** conv2d_forward_f32 on float64 data (`col` holds doubles; the GEMM is gemm_f64). */
export function conv2d_forward_f64(x: usize, w: usize, bias: usize, out: usize, col: usize, work: usize, geom: usize): void {
  convForward<f64>(x, w, bias, out, col, work, geom);
}

/**
 * dx = the input gradient of conv2d (a transposed convolution of dy with w): for each image and
 * group, col = wᵀ·dy, then col2im into dx. dx is overwritten.
 */
export function conv2d_backward_input_f32(dy: usize, w: usize, dx: usize, col: usize, work: usize, geom: usize): void {
  convBackwardInput<f32>(dy, w, dx, col, work, geom);
}

/** conv2d_backward_input_f32 on float64 data. */
export function conv2d_backward_input_f64(dy: usize, w: usize, dx: usize, col: usize, work: usize, geom: usize): void {
  convBackwardInput<f64>(dy, w, dx, col, work, geom);
}

/**
 * dw = Σ_n dy[n]·col(x[n])ᵀ per group — the weight gradient of conv2d; dw is overwritten. The
 * columns are unrolled transposed, so the GEMM packs them with contiguous vector loads.
 */
export function conv2d_backward_weight_f32(x: usize, dy: usize, dw: usize, col: usize, work: usize, geom: usize): void {
  convBackwardWeight<f32>(x, dy, dw, col, work, geom);
}

/** conv2d_backward_weight_f32 on float64 data. */
export function conv2d_backward_weight_f64(x: usize, dy: usize, dw: usize, col: usize, work: usize, geom: usize): void {
  convBackwardWeight<f64>(x, dy, dw, col, work, geom);
}

// ── pooling, on planes [P, H, W] (P = N·C) ─────────────────────────────────

/**
 * The maximum of a window, NaN-propagating. Scalar f32/f64 max compiles to compare-and-branch
 * sequences (for NaN and ±0) that mispredict on real data; the SIMD max is branch-free, so the
 * running maximum lives in a vector register and each tap is splatted into it.
 */
@inline function windowMax<T>(plane: usize, W: i32, h0: i32, h1: i32, w0: i32, w1: i32): T {
  const size = <usize>sizeof<T>();
  if (sizeof<T>() == 4) {
    let acc = v128.load32_splat(plane + (<usize>(h0 * W + w0)) * size);
    for (let ih = h0; ih < h1; ih++) {
      for (let iw = w0; iw < w1; iw++) acc = f32x4.max(acc, v128.load32_splat(plane + (<usize>(ih * W + iw)) * size));
    }
    return <T>f32x4.extract_lane(acc, 0);
  }
  let acc = v128.load64_splat(plane + (<usize>(h0 * W + w0)) * size);
  for (let ih = h0; ih < h1; ih++) {
    for (let iw = w0; iw < w1; iw++) acc = f64x2.max(acc, v128.load64_splat(plane + (<usize>(ih * W + iw)) * size));
  }
  return <T>f64x2.extract_lane(acc, 0);
}

/**
 * out[p, oh, ow] = max over the kH×kW window (padding never wins; NaN propagates, as in
 * PyTorch). When `arg` is not 0, arg[p, oh, ow] = the plane index ih·W + iw of the first input
 * in row-major window order equal to the maximum, so ties route the gradient to one input.
 * Both passes are branch-free (SIMD max, i32 selects): on real data a compare-and-branch per
 * tap mispredicts about every other time.
 */
function maxPool<T>(
  x: usize, out: usize, arg: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32,
): void {
  const size = <usize>sizeof<T>();
  // the common 2×2 window of stride 2 without padding, float32: four outputs at a time
  const pairs = sizeof<T>() == 4 && kH == 2 && kW == 2 && sH == 2 && sW == 2 && pH == 0 && pW == 0;
  let po = out;
  let pa = arg;
  for (let p = 0; p < P; p++) {
    const plane = x + (<usize>p) * (<usize>(H * W)) * size;
    for (let oh = 0; oh < oH; oh++) {
      const h0 = max(0, oh * sH - pH);
      const h1 = min(H, oh * sH - pH + kH);
      let ow = 0;
      if (pairs) {
        for (; ow + 4 <= oW; ow += 4) {
          maxPool2x2Quad(plane, W, oh * 2, ow * 2, po, pa);
          po += 16;
          if (arg != 0) pa += 16;
        }
      }
      for (; ow < oW; ow++) {
        const w0 = max(0, ow * sW - pW);
        const w1 = min(W, ow * sW - pW + kW);
        const m = windowMax<T>(plane, W, h0, h1, w0, w1);
        store<T>(po, m);
        po += size;
        if (arg == 0) continue;
        let best = -1;
        for (let ih = h0; ih < h1; ih++) {
          for (let iw = w0; iw < w1; iw++) {
            const at = ih * W + iw;
            const v = load<T>(plane + (<usize>at) * size);
            const hit = (<i32>(v == m) | <i32>(v != v)) & <i32>(best < 0);
            best = select<i32>(at, best, <bool>hit);
          }
        }
        store<i32>(pa, best);
        pa += 4;
      }
    }
  }
}

/**
 * Four outputs of a 2×2, stride-2 float32 max pool: the window row-major taps (top-left,
 * top-right, bottom-left, bottom-right) of four neighbouring windows gathered as four vectors from
 * two 8-float rows. The same maximum as windowMax, taken in the same order, and with `arg` the
 * same first tap equal to it (or NaN), picked by selects from the last tap back.
 */
@inline function maxPool2x2Quad(plane: usize, W: i32, ih: i32, iw: i32, out: usize, arg: usize): void {
  const r0 = plane + (<usize>(ih * W + iw)) * 4;
  const r1 = r0 + (<usize>W) * 4;
  const a0 = v128.load(r0);
  const a1 = v128.load(r0 + 16);
  const b0 = v128.load(r1);
  const b1 = v128.load(r1 + 16);
  const tl = v128.shuffle<f32>(a0, a1, 0, 2, 4, 6);
  const tr = v128.shuffle<f32>(a0, a1, 1, 3, 5, 7);
  const bl = v128.shuffle<f32>(b0, b1, 0, 2, 4, 6);
  const br = v128.shuffle<f32>(b0, b1, 1, 3, 5, 7);
  const m = f32x4.max(f32x4.max(f32x4.max(f32x4.max(tl, tl), tr), bl), br);
  v128.store(out, m);
  if (arg == 0) return;
  const at = i32x4.add(i32x4.splat(ih * W + iw), i32x4(0, 2, 4, 6));
  const atB = i32x4.add(at, i32x4.splat(W));
  let best = i32x4.add(atB, i32x4.splat(1));
  best = v128.bitselect(atB, best, v128.or(f32x4.eq(bl, m), f32x4.ne(bl, bl)));
  best = v128.bitselect(i32x4.add(at, i32x4.splat(1)), best, v128.or(f32x4.eq(tr, m), f32x4.ne(tr, tr)));
  best = v128.bitselect(at, best, v128.or(f32x4.eq(tl, m), f32x4.ne(tl, tl)));
  v128.store(arg, best);
}

/** Max pooling forward; see maxPool. */
export function maxpool2d_f32(
  x: usize, out: usize, arg: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32,
): void {
  maxPool<f32>(x, out, arg, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW);
}

/** maxpool2d_f32 on float64 data (the positions stay int32). */
export function maxpool2d_f64(
  x: usize, out: usize, arg: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32,
): void {
  maxPool<f64>(x, out, arg, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW);
}

function maxPoolBackward<T>(dy: usize, arg: usize, dx: usize, P: i32, HW: i32, L: i32): void {
  const size = <usize>sizeof<T>();
  memory.fill(dx, 0, <usize>P * <usize>HW * size);
  let pd = dy;
  let pa = arg;
  for (let p = 0; p < P; p++) {
    const plane = dx + <usize>p * <usize>HW * size;
    for (let l = 0; l < L; l++) {
      const at = plane + (<usize>load<i32>(pa)) * size;
      store<T>(at, load<T>(at) + load<T>(pd));
      pd += size;
      pa += 4;
    }
  }
}

/** dx[p, arg[p, l]] += dy[p, l]: the gradient of max pooling; dx is overwritten. */
export function maxpool2d_backward_f32(dy: usize, arg: usize, dx: usize, P: i32, HW: i32, L: i32): void {
  maxPoolBackward<f32>(dy, arg, dx, P, HW, L);
}

/** maxpool2d_backward_f32 on float64 data. */
export function maxpool2d_backward_f64(dy: usize, arg: usize, dx: usize, P: i32, HW: i32, L: i32): void {
  maxPoolBackward<f64>(dy, arg, dx, P, HW, L);
}

/** Rows, and elements of a row, that a window adds one after another; larger windows sum pairwise. */
const WINDOW_RUN: i32 = 32;

// Σ over the window [h0, h1) × [w0, w1) of a large window (a global average pool): each row blocked
// and pairwise (sum.ts) when wider than WINDOW_RUN, rows in halves when more than WINDOW_RUN.
function windowSum<T>(plane: usize, W: i32, h0: i32, h1: i32, w0: i32, w1: i32): T {
  if (h1 - h0 > WINDOW_RUN) {
    const hm = h0 + ((h1 - h0) >>> 1);
    return windowSum<T>(plane, W, h0, hm, w0, w1) + windowSum<T>(plane, W, hm, h1, w0, w1);
  }
  const size = <usize>sizeof<T>();
  let s = <T>0;
  for (let ih = h0; ih < h1; ih++) {
    const row = plane + (<usize>(ih * W + w0)) * size;
    if (w1 - w0 > WINDOW_RUN) {
      s += sumContiguous<T>(row, w1 - w0);
    } else {
      for (let iw = 0; iw < w1 - w0; iw++) s += load<T>(row + (<usize>iw) * size);
    }
  }
  return s;
}

/**
 * One output of average pooling over the window [h0, h1) × [w0, w1) of a plane of width W:
 * mode 0 stores the window's sum / d at po; mode 1 adds load(po) / d to every input of the
 * window (the adjoint, scattering the gradient at po).
 */
@inline function windowMean<T>(mode: i32, plane: usize, W: i32, h0: i32, h1: i32, w0: i32, w1: i32, d: T, po: usize): void {
  const size = <usize>sizeof<T>();
  if (mode == 0) {
    let s = <T>0;
    if (h1 - h0 <= WINDOW_RUN && w1 - w0 <= WINDOW_RUN) {
      for (let ih = h0; ih < h1; ih++) {
        for (let iw = w0; iw < w1; iw++) s += load<T>(plane + (<usize>(ih * W + iw)) * size);
      }
    } else {
      s = windowSum<T>(plane, W, h0, h1, w0, w1);
    }
    store<T>(po, s / d);
  } else {
    const g = load<T>(po) / d;
    for (let ih = h0; ih < h1; ih++) {
      for (let iw = w0; iw < w1; iw++) {
        const at = plane + (<usize>(ih * W + iw)) * size;
        store<T>(at, load<T>(at) + g);
      }
    }
  }
}

/**
 * Average pooling over windows [h0, h1) × [w0, w1) of each output, clipped to the image, with
 * divisor `div` (kH·kW when padding counts) or the clipped window's area when `div` is 0.
 * mode 0: out = mean of x over the window; mode 1: dx[window] += dy / divisor (the adjoint;
 * dx zeroed first). Window starts are oh·sH − pH (and the same across).
 */
function avgPool<T>(
  mode: i32, x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, div: i32,
): void {
  const size = <usize>sizeof<T>();
  if (mode == 1) memory.fill(x, 0, (<usize>P) * (<usize>(H * W)) * size);
  let po = out;
  for (let p = 0; p < P; p++) {
    const plane = x + (<usize>p) * (<usize>(H * W)) * size;
    for (let oh = 0; oh < oH; oh++) {
      const h0 = max(0, oh * sH - pH);
      const h1 = min(H, oh * sH - pH + kH);
      for (let ow = 0; ow < oW; ow++) {
        const w0 = max(0, ow * sW - pW);
        const w1 = min(W, ow * sW - pW + kW);
        const d = <T>(div != 0 ? div : (h1 - h0) * (w1 - w0));
        windowMean<T>(mode, plane, W, h0, h1, w0, w1, d, po);
        po += size;
      }
    }
  }
}

/** Average pooling forward (x → out). `div` 0 divides by the clipped window's area. */
export function avgpool2d_f32(
  x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, div: i32,
): void {
  avgPool<f32>(0, x, out, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW, div);
}

/** avgpool2d_f32 on float64 data. */
export function avgpool2d_f64(
  x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, div: i32,
): void {
  avgPool<f64>(0, x, out, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW, div);
}

/** Average pooling backward (dy → dx, overwritten). */
export function avgpool2d_backward_f32(
  dy: usize, dx: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, div: i32,
): void {
  avgPool<f32>(1, dx, dy, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW, div);
}

/** avgpool2d_backward_f32 on float64 data. */
export function avgpool2d_backward_f64(
  dy: usize, dx: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32,
  kH: i32, kW: i32, sH: i32, sW: i32, pH: i32, pW: i32, div: i32,
): void {
  avgPool<f64>(1, dx, dy, P, H, W, oH, oW, kH, kW, sH, sW, pH, pW, div);
}

/**
 * Adaptive average pooling: output cell (oh, ow) averages rows [⌊oh·H/oH⌋, ⌈(oh+1)·H/oH⌉) and
 * the same across, as PyTorch. mode 0: x → out; mode 1: dy (at out) → dx (at x, overwritten).
 */
function adaptiveAvgPool<T>(mode: i32, x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32): void {
  const size = <usize>sizeof<T>();
  if (mode == 1) memory.fill(x, 0, (<usize>P) * (<usize>(H * W)) * size);
  let po = out;
  for (let p = 0; p < P; p++) {
    const plane = x + (<usize>p) * (<usize>(H * W)) * size;
    for (let oh = 0; oh < oH; oh++) {
      const h0 = (oh * H) / oH;
      const h1 = ((oh + 1) * H + oH - 1) / oH;
      for (let ow = 0; ow < oW; ow++) {
        const w0 = (ow * W) / oW;
        const w1 = ((ow + 1) * W + oW - 1) / oW;
        const d = <T>((h1 - h0) * (w1 - w0));
        windowMean<T>(mode, plane, W, h0, h1, w0, w1, d, po);
        po += size;
      }
    }
  }
}

/** Adaptive average pooling forward. */
export function adaptive_avgpool2d_f32(x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32): void {
  adaptiveAvgPool<f32>(0, x, out, P, H, W, oH, oW);
}

/** adaptive_avgpool2d_f32 on float64 data. */
export function adaptive_avgpool2d_f64(x: usize, out: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32): void {
  adaptiveAvgPool<f64>(0, x, out, P, H, W, oH, oW);
}

/** Adaptive average pooling backward (dy → dx, overwritten). */
export function adaptive_avgpool2d_backward_f32(dy: usize, dx: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32): void {
  adaptiveAvgPool<f32>(1, dx, dy, P, H, W, oH, oW);
}

/** adaptive_avgpool2d_backward_f32 on float64 data. */
export function adaptive_avgpool2d_backward_f64(dy: usize, dx: usize, P: i32, H: i32, W: i32, oH: i32, oW: i32): void {
  adaptiveAvgPool<f64>(1, dx, dy, P, H, W, oH, oW);
}
