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

/** Size in floats of the scratch `work` buffer gemm_f32 needs. */
export function gemm_work_floats(): i32 {
  return GEMM_WORK_FLOATS;
}

// Panel layout: panel q holds columns [q·NR, q·NR+NR) as kc rows of NR floats, zero-padded.
function packB(transB: i32, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR) {
    const cols = min(NR, nc - jp);
    const panel = dst + ((<usize>(jp * kc)) << 2);
    for (let p = 0; p < kc; p++) {
      const row = panel + ((<usize>(p * NR)) << 2);
      if (transB == 0) {
        const src = b + ((<usize>((pc + p) * ldb + jc + jp)) << 2);
        if (cols == NR) {
          v128.store(row, v128.load(src));
          v128.store(row + 16, v128.load(src + 16));
        } else {
          for (let j = 0; j < NR; j++) store<f32>(row + ((<usize>j) << 2), j < cols ? load<f32>(src + ((<usize>j) << 2)) : 0);
        }
      } else {
        for (let j = 0; j < NR; j++) {
          store<f32>(row + ((<usize>j) << 2), j < cols ? load<f32>(b + ((<usize>((jc + jp + j) * ldb + pc + p)) << 2)) : 0);
        }
      }
    }
  }
}

// Panel layout: panel q holds rows [q·MR, q·MR+MR) as kc groups of MR floats, zero-padded.
function packA(transA: i32, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += MR) {
    const rows = min(MR, mc - ip);
    const panel = dst + ((<usize>(ip * kc)) << 2);
    if (transA == 0) {
      for (let i = 0; i < MR; i++) {
        if (i < rows) {
          const src = a + ((<usize>((ic + ip + i) * lda + pc)) << 2);
          for (let p = 0; p < kc; p++) store<f32>(panel + ((<usize>(p * MR + i)) << 2), load<f32>(src + ((<usize>p) << 2)));
        } else {
          for (let p = 0; p < kc; p++) store<f32>(panel + ((<usize>(p * MR + i)) << 2), 0);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + ((<usize>((pc + p) * lda + ic + ip)) << 2);
        const out = panel + ((<usize>(p * MR)) << 2);
        if (rows == MR) {
          v128.store(out, v128.load(src));
          if (MR == 6) store<u64>(out + 16, load<u64>(src + 16));
        } else {
          for (let i = 0; i < MR; i++) store<f32>(out + ((<usize>i) << 2), i < rows ? load<f32>(src + ((<usize>i) << 2)) : 0);
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

@inline function storeRow(dst: usize, lo: v128, hi: v128, overwrite: bool): void {
  if (overwrite) {
    v128.store(dst, lo);
    v128.store(dst + 16, hi);
  } else {
    v128.store(dst, f32x4.add(v128.load(dst), lo));
    v128.store(dst + 16, f32x4.add(v128.load(dst + 16), hi));
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
    storeRow(c, c00, c01, overwrite);
    storeRow(c + rowBytes, c10, c11, overwrite);
    storeRow(c + 2 * rowBytes, c20, c21, overwrite);
    storeRow(c + 3 * rowBytes, c30, c31, overwrite);
    if (MR == 6) {
      storeRow(c + 4 * rowBytes, c40, c41, overwrite);
      storeRow(c + 5 * rowBytes, c50, c51, overwrite);
    }
    return;
  }
  // edge tile: spill to scratch, then write only the mr×nr part that exists
  storeRow(tile, c00, c01, true);
  storeRow(tile + 32, c10, c11, true);
  storeRow(tile + 64, c20, c21, true);
  storeRow(tile + 96, c30, c31, true);
  if (MR == 6) {
    storeRow(tile + 128, c40, c41, true);
    storeRow(tile + 160, c50, c51, true);
  }
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const dst = c + rowBytes * (<usize>i) + ((<usize>j) << 2);
      const v = load<f32>(tile + ((<usize>(i * NR + j)) << 2));
      store<f32>(dst, overwrite ? v : load<f32>(dst) + v);
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
  const packedB = work;
  const packedA = work + ((<usize>(KC * NC)) << 2);
  const tile = packedA + ((<usize>(KC * MC)) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      packB(transB, b, ldb, pc, jc, kc, nc, packedB);
      const overwrite = pc == 0 && accumulate == 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA(transA, a, lda, ic, pc, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = min(NR, nc - jr);
          const bp = packedB + ((<usize>(jr * kc)) << 2);
          for (let ir = 0; ir < mc; ir += MR) {
            const mr = min(MR, mc - ir);
            const cp = c + ((<usize>((ic + ir) * ldc + jc + jr)) << 2);
            microKernel(kc, packedA + ((<usize>(ir * kc)) << 2), bp, cp, ldc, mr, nr, overwrite, tile);
          }
        }
      }
    }
  }
}

// ── float64 ──────────────────────────────────────────────────────────────────
// The same Goto blocking for f64: an MR64×NR64 = 4×4 tile held in eight f64x2 accumulators. KC64 is
// half of KC, so the packed blocks fit in the same `work` bytes as the f32 ones.
const MR64 = 4;
const NR64 = 4;
const KC64 = KC / 2;

function packB64(transB: i32, b: usize, ldb: i32, pc: i32, jc: i32, kc: i32, nc: i32, dst: usize): void {
  for (let jp = 0; jp < nc; jp += NR64) {
    const cols = min(NR64, nc - jp);
    const panel = dst + ((<usize>(jp * kc)) << 3);
    for (let p = 0; p < kc; p++) {
      const row = panel + ((<usize>(p * NR64)) << 3);
      if (transB == 0) {
        const src = b + ((<usize>((pc + p) * ldb + jc + jp)) << 3);
        if (cols == NR64) {
          v128.store(row, v128.load(src));
          v128.store(row + 16, v128.load(src + 16));
        } else {
          for (let j = 0; j < NR64; j++) store<f64>(row + ((<usize>j) << 3), j < cols ? load<f64>(src + ((<usize>j) << 3)) : 0);
        }
      } else {
        for (let j = 0; j < NR64; j++) {
          store<f64>(row + ((<usize>j) << 3), j < cols ? load<f64>(b + ((<usize>((jc + jp + j) * ldb + pc + p)) << 3)) : 0);
        }
      }
    }
  }
}

function packA64(transA: i32, a: usize, lda: i32, ic: i32, pc: i32, mc: i32, kc: i32, dst: usize): void {
  for (let ip = 0; ip < mc; ip += MR64) {
    const rows = min(MR64, mc - ip);
    const panel = dst + ((<usize>(ip * kc)) << 3);
    if (transA == 0) {
      for (let i = 0; i < MR64; i++) {
        if (i < rows) {
          const src = a + ((<usize>((ic + ip + i) * lda + pc)) << 3);
          for (let p = 0; p < kc; p++) store<f64>(panel + ((<usize>(p * MR64 + i)) << 3), load<f64>(src + ((<usize>p) << 3)));
        } else {
          for (let p = 0; p < kc; p++) store<f64>(panel + ((<usize>(p * MR64 + i)) << 3), 0);
        }
      }
    } else {
      for (let p = 0; p < kc; p++) {
        const src = a + ((<usize>((pc + p) * lda + ic + ip)) << 3);
        const out = panel + ((<usize>(p * MR64)) << 3);
        for (let i = 0; i < MR64; i++) store<f64>(out + ((<usize>i) << 3), i < rows ? load<f64>(src + ((<usize>i) << 3)) : 0);
      }
    }
  }
}

@inline function storeRow64(dst: usize, lo: v128, hi: v128, overwrite: bool): void {
  if (overwrite) {
    v128.store(dst, lo);
    v128.store(dst + 16, hi);
  } else {
    v128.store(dst, f64x2.add(v128.load(dst), lo));
    v128.store(dst + 16, f64x2.add(v128.load(dst + 16), hi));
  }
}

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
    storeRow64(c, c00, c01, overwrite);
    storeRow64(c + rowBytes, c10, c11, overwrite);
    storeRow64(c + 2 * rowBytes, c20, c21, overwrite);
    storeRow64(c + 3 * rowBytes, c30, c31, overwrite);
    return;
  }
  storeRow64(tile, c00, c01, true);
  storeRow64(tile + 32, c10, c11, true);
  storeRow64(tile + 64, c20, c21, true);
  storeRow64(tile + 96, c30, c31, true);
  for (let i = 0; i < mr; i++) {
    for (let j = 0; j < nr; j++) {
      const dst = c + rowBytes * (<usize>i) + ((<usize>j) << 3);
      const v = load<f64>(tile + ((<usize>(i * NR64 + j)) << 3));
      store<f64>(dst, overwrite ? v : load<f64>(dst) + v);
    }
  }
}

/** gemm_f32 for float64 data, with the same arguments and the same `work` scratch. */
export function gemm_f64(
  transA: i32, transB: i32, m: i32, n: i32, k: i32,
  a: usize, lda: i32, b: usize, ldb: i32, c: usize, ldc: i32, accumulate: i32, work: usize,
): void {
  const packedB = work;
  const packedA = work + ((<usize>(KC64 * NC)) << 3);
  const tile = packedA + ((<usize>(KC64 * MC)) << 3);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC64) {
      const kc = min(KC64, k - pc);
      packB64(transB, b, ldb, pc, jc, kc, nc, packedB);
      const overwrite = pc == 0 && accumulate == 0;
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA64(transA, a, lda, ic, pc, mc, kc, packedA);
        for (let jr = 0; jr < nc; jr += NR64) {
          const nr = min(NR64, nc - jr);
          const bp = packedB + ((<usize>(jr * kc)) << 3);
          for (let ir = 0; ir < mc; ir += MR64) {
            const mr = min(MR64, mc - ir);
            const cp = c + ((<usize>((ic + ir) * ldc + jc + jr)) << 3);
            microKernel64(kc, packedA + ((<usize>(ir * kc)) << 3), bp, cp, ldc, mr, nr, overwrite, tile);
          }
        }
      }
    }
  }
}
