// GEMM: C = op(A)·op(B) (or C += …), with op(X) = X or Xᵀ read in place, so backpropagation's
// A·Bᵀ and Aᵀ·B never materialise a transpose. Goto-style blocking: B is packed into panels
// of NR columns (KC×NC block, stays in L2), A into panels of MR rows (KC×MC block), and a
// register-tiled MR×NR f32x4 micro-kernel runs over the packed panels.
// `work` is caller-provided scratch of GEMM_WORK_FLOATS floats (the kernel never allocates).

// The relaxed-SIMD build fuses each multiply-add, which frees the registers a separate product
// needs: there a 6×8 tile (twelve accumulators) keeps the FMA units busier; the plain build keeps
// 4×8, whose eight accumulators and their products fit the sixteen vector registers.
const MR: i32 = ASC_FEATURE_RELAXED_SIMD ? 6 : 4;
const NR = 8;
const KC = 256;
const MC: i32 = ASC_FEATURE_RELAXED_SIMD ? 120 : 128;
const NC = 1024;
// packed B block, packed A block, one MR×NR edge tile
const GEMM_WORK_FLOATS: i32 = KC * NC + KC * MC + MR * NR;
// float64: a 4×4 tile (eight f64x2 accumulators); KC64 is half of KC, so the packed blocks fit in
// the same `work` bytes as the f32 ones
const MR64 = 4;
const NR64 = 4;
const KC64 = KC / 2;

// The blocking of element type T: panel rows are 32 bytes (NR f32 or NR64 f64) either way.
@inline function tileM<T>(): i32 {
  return sizeof<T>() == 4 ? MR : MR64;
}
@inline function tileN<T>(): i32 {
  return sizeof<T>() == 4 ? NR : NR64;
}
@inline function depth<T>(): i32 {
  return sizeof<T>() == 4 ? KC : KC64;
}

/** Size in floats of the scratch `work` buffer gemm_f32 needs. */
export function gemm_work_floats(): i32 {
  return GEMM_WORK_FLOATS;
}

// Panel layout: panel q holds columns [q·nr, q·nr+nr) as kc rows of nr elements, zero-padded.
function packB<T>(transB: i32, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  const nr = tileN<T>();
  const size = <usize>sizeof<T>();
  for (let jp = 0; jp < nc; jp += nr) {
    const cols = min(nr, nc - jp);
    const panel = dst + (<usize>(jp * kc)) * size;
    for (let p = 0; p < kc; p++) {
      const row = panel + (<usize>(p * nr)) * size;
      if (transB == 0) {
        const src = b + (<usize>((pc + p) * ldb + jc + jp)) * size;
        if (cols == nr) {
          v128.store(row, v128.load(src));
          v128.store(row + 16, v128.load(src + 16));
        } else {
          for (let j = 0; j < nr; j++) store<T>(row + (<usize>j) * size, j < cols ? load<T>(src + (<usize>j) * size) : <T>0);
        }
      } else {
        if (sizeof<T>() == 4 && cols == nr && p + 4 <= kc) {
          // Bᵀ stored row-major: four steps of the panel at once, two 4×4 transposes of the eight
          // stored rows' next four elements
          const src = b + (<usize>((jc + jp) * ldb + pc + p)) * size;
          const ld = (<usize>ldb) * size;
          transpose4(row, 32, src, ld);
          transpose4(row + 16, 32, src + 4 * ld, ld);
          p += 3;
          continue;
        }
        for (let j = 0; j < nr; j++) {
          store<T>(row + (<usize>j) * size, j < cols ? load<T>(b + (<usize>((jc + jp + j) * ldb + pc + p)) * size) : <T>0);
        }
      }
    }
  }
}

// Four rows of four f32 at src (rows ld bytes apart) written transposed: row i of the result (the
// i-th element of each source row) at dst + i·stride.
@inline function transpose4(dst: usize, stride: usize, src: usize, ld: usize): void {
  const r0 = v128.load(src);
  const r1 = v128.load(src + ld);
  const r2 = v128.load(src + 2 * ld);
  const r3 = v128.load(src + 3 * ld);
  const t0 = v128.shuffle<i32>(r0, r1, 0, 4, 1, 5);
  const t1 = v128.shuffle<i32>(r2, r3, 0, 4, 1, 5);
  const t2 = v128.shuffle<i32>(r0, r1, 2, 6, 3, 7);
  const t3 = v128.shuffle<i32>(r2, r3, 2, 6, 3, 7);
  v128.store(dst, v128.shuffle<i64>(t0, t1, 0, 2));
  v128.store(dst + stride, v128.shuffle<i64>(t0, t1, 1, 3));
  v128.store(dst + 2 * stride, v128.shuffle<i64>(t2, t3, 0, 2));
  v128.store(dst + 3 * stride, v128.shuffle<i64>(t2, t3, 1, 3));
}

// Panel layout: panel q holds rows [q·mr, q·mr+mr) as kc groups of mr elements, zero-padded.
function packA<T>(transA: i32, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  const mr = tileM<T>();
  const size = <usize>sizeof<T>();
  for (let ip = 0; ip < mc; ip += mr) {
    const rows = min(mr, mc - ip);
    const panel = dst + (<usize>(ip * kc)) * size;
    if (transA == 0 && sizeof<T>() == 4 && rows == mr) {
      // four steps at once: the first four rows' next four elements transposed into the steps'
      // groups, and in the 6-row tile the last two rows' pairs interleaved after them
      const src = a + (<usize>((ic + ip) * lda + pc)) * size;
      const ld = (<usize>lda) * size;
      const group = (<usize>mr) * size;
      let p = 0;
      for (; p + 4 <= kc; p += 4) {
        const out = panel + (<usize>(p * mr)) * size;
        const s = src + (<usize>p) * size;
        transpose4(out, group, s, ld);
        if (MR == 6) {
          const r4 = v128.load(s + 4 * ld);
          const r5 = v128.load(s + 5 * ld);
          const lo = v128.shuffle<i32>(r4, r5, 0, 4, 1, 5);
          const hi = v128.shuffle<i32>(r4, r5, 2, 6, 3, 7);
          v128.store_lane<i64>(out + 16, lo, 0);
          v128.store_lane<i64>(out + 16 + group, lo, 1);
          v128.store_lane<i64>(out + 16 + 2 * group, hi, 0);
          v128.store_lane<i64>(out + 16 + 3 * group, hi, 1);
        }
      }
      for (; p < kc; p++) {
        for (let i = 0; i < mr; i++) {
          store<T>(panel + (<usize>(p * mr + i)) * size, load<T>(src + (<usize>i) * ld + (<usize>p) * size));
        }
      }
    } else if (transA == 0) {
      for (let i = 0; i < mr; i++) {
        if (i < rows) {
          const src = a + (<usize>((ic + ip + i) * lda + pc)) * size;
          for (let p = 0; p < kc; p++) store<T>(panel + (<usize>(p * mr + i)) * size, load<T>(src + (<usize>p) * size));
        } else {
          for (let p = 0; p < kc; p++) store<T>(panel + (<usize>(p * mr + i)) * size, <T>0);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + (<usize>((pc + p) * lda + ic + ip)) * size;
        const out = panel + (<usize>(p * mr)) * size;
        if (sizeof<T>() == 4 && rows == mr) {
          v128.store(out, v128.load(src));
          if (MR == 6) store<u64>(out + 16, load<u64>(src + 16));
        } else {
          for (let i = 0; i < mr; i++) store<T>(out + (<usize>i) * size, i < rows ? load<T>(src + (<usize>i) * size) : <T>0);
        }
      }
    }
  }
}

// acc + a·b per lane: one fused multiply-add in the relaxed-SIMD build (rounded once, or twice
// where the hardware has no FMA), a multiply then an add in the plain-SIMD build.
@inline function madd(a: v128, b: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, acc);
  return f32x4.add(acc, f32x4.mul(a, b));
}

// One 32-byte row of a C tile from two accumulators of T lanes: written, or added to C.
@inline function storeRow<T>(dst: usize, lo: v128, hi: v128, overwrite: bool): void {
  if (overwrite) {
    v128.store(dst, lo);
    v128.store(dst + 16, hi);
  } else {
    v128.store(dst, v128.add<T>(v128.load(dst), lo));
    v128.store(dst + 16, v128.add<T>(v128.load(dst + 16), hi));
  }
}

// The mr×nr part of an edge tile spilled to `tile` (rows of tileN<T>() elements) into C.
@inline function storeEdge<T>(tile: usize, c: usize, ldc: i32, mr: i32, nr: i32, overwrite: bool): void {
  const size = <usize>sizeof<T>();
  const rowBytes = (<usize>ldc) * size;
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const dst = c + rowBytes * (<usize>i) + (<usize>j) * size;
      const v = load<T>(tile + (<usize>(i * tileN<T>() + j)) * size);
      store<T>(dst, overwrite ? v : load<T>(dst) + v);
    }
  }
}

// MR×NR tile of C from kc steps of packed A (MR floats per step) and packed B (NR per step).
function microKernel(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, mr: i32, nr: i32, overwrite: bool, tile: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0);
  let c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  let pa = ap;
  let pb = bp;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb + 16);
    let a = v128.load32_splat(pa);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = v128.load32_splat(pa + 4);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = v128.load32_splat(pa + 8);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = v128.load32_splat(pa + 12);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    if (MR == 6) {
      a = v128.load32_splat(pa + 16);
      c40 = madd(a, b0, c40);
      c41 = madd(a, b1, c41);
      a = v128.load32_splat(pa + 20);
      c50 = madd(a, b0, c50);
      c51 = madd(a, b1, c51);
    }
    pa += MR << 2;
    pb += NR << 2;
  }
  const rowBytes = (<usize>ldc) << 2;
  if (mr == MR && nr == NR) {
    storeRow<f32>(c, c00, c01, overwrite);
    storeRow<f32>(c + rowBytes, c10, c11, overwrite);
    storeRow<f32>(c + 2 * rowBytes, c20, c21, overwrite);
    storeRow<f32>(c + 3 * rowBytes, c30, c31, overwrite);
    if (MR == 6) {
      storeRow<f32>(c + 4 * rowBytes, c40, c41, overwrite);
      storeRow<f32>(c + 5 * rowBytes, c50, c51, overwrite);
    }
    return;
  }
  // edge tile: spill to scratch, then write only the mr×nr part that exists
  storeRow<f32>(tile, c00, c01, true);
  storeRow<f32>(tile + 32, c10, c11, true);
  storeRow<f32>(tile + 64, c20, c21, true);
  storeRow<f32>(tile + 96, c30, c31, true);
  if (MR == 6) {
    storeRow<f32>(tile + 128, c40, c41, true);
    storeRow<f32>(tile + 160, c50, c51, true);
  }
  storeEdge<f32>(tile, c, ldc, mr, nr, overwrite);
}

/**
 * The blocked loops of gemm_f32 and gemm_f64 around their packing and micro-kernel. With `packed`
 * nonzero, B comes already packed there by gemm_pack_b (and `b`, `ldb`, `transB` are unused).
 */
function gemm<T>(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize, packed: usize = 0,
): void {
  const MRT = tileM<T>();
  const NRT = tileN<T>();
  const KCT = depth<T>();
  const size = <usize>sizeof<T>();
  const packedB = work;
  const packedA = work + (<usize>(KCT * NC)) * size;
  const tile = packedA + (<usize>(KCT * MC)) * size;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const ncPad = ((nc + NRT - 1) / NRT) * NRT;
    for (let pc = 0; pc < k; pc += KCT) {
      const kc = min(KCT, k - pc);
      let blockB = packedB;
      if (packed == 0) packB<T>(transB, b, ldb, pc, jc, kc, nc, packedB);
      else blockB = packed + (<usize>(jc * k + pc * ncPad)) * size;
      const overwrite = pc == 0 && accumulate == 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA<T>(transA, a, lda, ic, pc, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NRT) {
          const nr = min(NRT, nc - jr);
          const bp = blockB + (<usize>(jr * kc)) * size;
          for (let ir = 0; ir < mc; ir += MRT) {
            const mr = min(MRT, mc - ir);
            const cp = c + (<usize>((ic + ir) * ldc + jc + jr)) * size;
            const ap = packedA + (<usize>(ir * kc)) * size;
            if (sizeof<T>() == 4) microKernel(kc, ap, bp, cp, ldc, mr, nr, overwrite, tile);
            else microKernel64(kc, ap, bp, cp, ldc, mr, nr, overwrite, tile);
          }
        }
      }
    }
  }
}

/**
 * C[m×n] (=|+=) op(A)[m×k] · op(B)[k×n], row-major with leading dimensions lda, ldb, ldc.
 * transA: A is stored k×m (read as Aᵀ); transB: B is stored n×k (read as Bᵀ).
 * accumulate == 0 overwrites C; k == 0 is the caller's case (C = 0).
 */
export function gemm_f32(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  gemm<f32>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
}

// ── B packed once, for many products by the same matrix ──────────────────────
// A recurrent layer multiplies W_hh by a new small A at every time step: packing W_hh once for
// the whole sequence saves repacking it per step. The layout is packB's, block after block: the
// block of columns jc and depth pc at jc·k + pc·ncPad elements (ncPad: its columns rounded up to
// the panel width), k·⌈n/8⌉·8 elements in all (enough for either element type).

function packWhole<T>(transB: i32, b: usize, ldb: i32, k: i32, n: i32, dst: usize): void {
  const NRT = tileN<T>();
  const KCT = depth<T>();
  const size = <usize>sizeof<T>();
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    const ncPad = ((nc + NRT - 1) / NRT) * NRT;
    for (let pc = 0; pc < k; pc += KCT) packB<T>(transB, b, ldb, pc, jc, min(KCT, k - pc), nc, dst + (<usize>(jc * k + pc * ncPad)) * size);
  }
}

/** Packs op(B) [k×n] (transB: B stored n×k) into dst (k·⌈n/8⌉·8 floats) for gemm_packed_f32. */
export function gemm_pack_b_f32(transB: i32, b: usize, ldb: i32, k: i32, n: i32, dst: usize): void {
  packWhole<f32>(transB, b, ldb, k, n, dst);
}

/** C[m×n] (=|+=) op(A)·B with B packed by gemm_pack_b_f32 (same k and n); otherwise as gemm_f32. */
export function gemm_packed_f32(
  transA: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, packed: usize, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  gemm<f32>(transA, 0, m, n, k, a, lda, 0, 0, c, ldc, accumulate, work, packed);
}

/** gemm_pack_b_f32 for float64 data (k·⌈n/8⌉·8 doubles). */
export function gemm_pack_b_f64(transB: i32, b: usize, ldb: i32, k: i32, n: i32, dst: usize): void {
  packWhole<f64>(transB, b, ldb, k, n, dst);
}

/** gemm_packed_f32 for float64 data, B packed by gemm_pack_b_f64. */
export function gemm_packed_f64(
  transA: i32, m: i32, n: i32, k: i32, a: usize, lda: i32, packed: usize, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  gemm<f64>(transA, 0, m, n, k, a, lda, 0, 0, c, ldc, accumulate, work, packed);
}

// ── float64 ──────────────────────────────────────────────────────────────────
// The same Goto blocking for f64 (packB, packA and gemm above, instantiated for f64): an
// MR64×NR64 = 4×4 tile held in eight f64x2 accumulators.

// MR64×NR64 tile of C from kc steps of packed A (MR64 doubles per step) and packed B (NR64 per step).
function microKernel64(kc: i32, ap: usize, bp: usize, c: usize, ldc: i32, mr: i32, nr: i32, overwrite: bool, tile: usize): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0);
  let c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0);
  let c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let pa = ap;
  let pb = bp;
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(pb);
    const b1 = v128.load(pb + 16);
    let a = v128.load64_splat(pa);
    c00 = f64x2.add(c00, f64x2.mul(a, b0));
    c01 = f64x2.add(c01, f64x2.mul(a, b1));
    a = v128.load64_splat(pa + 8);
    c10 = f64x2.add(c10, f64x2.mul(a, b0));
    c11 = f64x2.add(c11, f64x2.mul(a, b1));
    a = v128.load64_splat(pa + 16);
    c20 = f64x2.add(c20, f64x2.mul(a, b0));
    c21 = f64x2.add(c21, f64x2.mul(a, b1));
    a = v128.load64_splat(pa + 24);
    c30 = f64x2.add(c30, f64x2.mul(a, b0));
    c31 = f64x2.add(c31, f64x2.mul(a, b1));
    pa += MR64 << 3;
    pb += NR64 << 3;
  }
  const rowBytes = (<usize>ldc) << 3;
  if (mr == MR64 && nr == NR64) {
    storeRow<f64>(c, c00, c01, overwrite);
    storeRow<f64>(c + rowBytes, c10, c11, overwrite);
    storeRow<f64>(c + 2 * rowBytes, c20, c21, overwrite);
    storeRow<f64>(c + 3 * rowBytes, c30, c31, overwrite);
    return;
  }
  storeRow<f64>(tile, c00, c01, true);
  storeRow<f64>(tile + 32, c10, c11, true);
  storeRow<f64>(tile + 64, c20, c21, true);
  storeRow<f64>(tile + 96, c30, c31, true);
  storeEdge<f64>(tile, c, ldc, mr, nr, overwrite);
}

/** gemm_f32 for float64 data, with the same arguments and the same `work` scratch. */
export function gemm_f64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  gemm<f64>(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
}
