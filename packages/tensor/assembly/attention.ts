// Fused scaled-dot-product attention, forward and backward, that never holds the L×S score
// matrix: blocks of four query rows against tiles of keys, with the online softmax of
// FlashAttention (Dao et al. 2022): a running maximum m and sum l per row, the accumulator rescaled
// by e^(m_old − m_new) when the maximum grows. The backward is FlashAttention-2's: P is recomputed
// from each row's logsumexp, and with D_i = Σ_e dO_ie·O_ie
//   dV_j += P_ij·dO_i,   dS_ij = P_ij·(dO_i·V_j − D_i),   dQ_i += scale·dS_ij·K_j,   dK_j += scale·dS_ij·Q_i.
// Every product is a small one of four rows (mm4), SIMD across its columns: kᵀ (and vᵀ in the
// backward) of one (batch, head) slice is transposed into the scratch block first, so the scores
// q·kᵀ and dO·vᵀ run along contiguous keys. A causal block stops at its last row's diagonal.
//
// q, k, v and the output are read through strides over (batch, head, position), with the feature
// axis contiguous, so one kernel serves [B, H, T, E] tensors and [B, T, H, E] ones (the heads of a
// projection split by a reshape, no transpose copied). The geometry block (i32 words at `geom`):
//   0 B, 1 H, 2 L, 3 S, 4 E, 5 Ev,
//   6–8 q strides (b, h, t), 9–11 k strides, 12–14 v strides, 15–17 output strides (elements),
//   18–20 mask strides (b, h, query row; the key axis contiguous), 21 flags (1 causal, 2 mask),
//   22 the next slice to claim (set to 0 before each call).
// Every thread working on one call gets the same geometry and a scratch block of its own, and
// claims (batch, head) slices b·H + h of [from, to) one at a time by counting word 22 up: a thread
// the system deschedules holds up one slice, not a fixed share. A slice's outputs (dK and dV
// included, which sum over its query rows) depend on that slice only, so which thread computes it
// never changes a bit.
// The mask is added to the scores (−∞ forbids a key); causal lets query i see keys j ≤ i.
import { expf4, fexp } from './math';

// keys per tile of the forward: their scores stay in the scratch block between the two passes
const TILE: i32 = 64;
// query rows computed together: each key's (or feature's) row is loaded once for four of them
const ROWS: i32 = 4;
// query rows of the backward whose P and dS are summed into dK and dV by one product
const GROUP: i32 = 16;

// acc + a·b per lane, float32 or float64
@inline function vmadd<T>(acc: v128, a: v128, b: v128): v128 {
  if (sizeof<T>() == 4) return f32x4.add(acc, f32x4.mul(a, b));
  return f64x2.add(acc, f64x2.mul(a, b));
}

// the element at p in every lane
@inline function vsplat<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return v128.load32_splat(p);
  return v128.load64_splat(p);
}

@inline function vload(p: usize, accumulate: bool): v128 {
  return accumulate ? v128.load(p) : i64x2.splat(0);
}

// The small products of attention, four rows at a time:
//   out_r[c] (+)= Σ_t A(r, t)·B_t[c]   for r < 4, c < N, t < K (t ascending),
// A(r, t) at a + r·ars + t·ats, row B_t at b + t·bts, row out_r at out + r·ors (byte strides).
// Rows from `rows` on repeat row rows − 1: they compute and store the same values again, so a block
// of fewer than four rows needs no code of its own. Each sum runs over t in order, whatever N.
function mm4<T>(rows: i32, a: usize, ars: usize, ats: usize, K: i32, b: usize, bts: usize, N: i32, out: usize, ors: usize, accumulate: bool): void {
  const last = <usize>(rows - 1);
  const a1 = a + min<usize>(1, last) * ars;
  const a2 = a + min<usize>(2, last) * ars;
  const a3 = a + min<usize>(3, last) * ars;
  const o1 = out + min<usize>(1, last) * ors;
  const o2 = out + min<usize>(2, last) * ors;
  const o3 = out + min<usize>(3, last) * ors;
  const sz = <usize>sizeof<T>();
  const lanes = 16 / <i32>sz;
  let c = 0;
  for (; c + 2 * lanes <= N; c += 2 * lanes) {
    const cb = (<usize>c) * sz;
    let x00 = vload(out + cb, accumulate);
    let x01 = vload(out + cb + 16, accumulate);
    let x10 = vload(o1 + cb, accumulate);
    let x11 = vload(o1 + cb + 16, accumulate);
    let x20 = vload(o2 + cb, accumulate);
    let x21 = vload(o2 + cb + 16, accumulate);
    let x30 = vload(o3 + cb, accumulate);
    let x31 = vload(o3 + cb + 16, accumulate);
    let bt = b + cb;
    let ta: usize = 0;
    for (let t = 0; t < K; t++) {
      const b0 = v128.load(bt);
      const b1 = v128.load(bt, 16);
      let s = vsplat<T>(a + ta);
      x00 = vmadd<T>(x00, s, b0);
      x01 = vmadd<T>(x01, s, b1);
      s = vsplat<T>(a1 + ta);
      x10 = vmadd<T>(x10, s, b0);
      x11 = vmadd<T>(x11, s, b1);
      s = vsplat<T>(a2 + ta);
      x20 = vmadd<T>(x20, s, b0);
      x21 = vmadd<T>(x21, s, b1);
      s = vsplat<T>(a3 + ta);
      x30 = vmadd<T>(x30, s, b0);
      x31 = vmadd<T>(x31, s, b1);
      bt += bts;
      ta += ats;
    }
    v128.store(out + cb, x00);
    v128.store(out + cb, x01, 16);
    v128.store(o1 + cb, x10);
    v128.store(o1 + cb, x11, 16);
    v128.store(o2 + cb, x20);
    v128.store(o2 + cb, x21, 16);
    v128.store(o3 + cb, x30);
    v128.store(o3 + cb, x31, 16);
  }
  for (; c + lanes <= N; c += lanes) {
    const cb = (<usize>c) * sz;
    let x0 = vload(out + cb, accumulate);
    let x1 = vload(o1 + cb, accumulate);
    let x2 = vload(o2 + cb, accumulate);
    let x3 = vload(o3 + cb, accumulate);
    let bt = b + cb;
    let ta: usize = 0;
    for (let t = 0; t < K; t++) {
      const b0 = v128.load(bt);
      x0 = vmadd<T>(x0, vsplat<T>(a + ta), b0);
      x1 = vmadd<T>(x1, vsplat<T>(a1 + ta), b0);
      x2 = vmadd<T>(x2, vsplat<T>(a2 + ta), b0);
      x3 = vmadd<T>(x3, vsplat<T>(a3 + ta), b0);
      bt += bts;
      ta += ats;
    }
    v128.store(out + cb, x0);
    v128.store(o1 + cb, x1);
    v128.store(o2 + cb, x2);
    v128.store(o3 + cb, x3);
  }
  for (; c < N; c++) {
    const cb = (<usize>c) * sz;
    let x0: T = accumulate ? load<T>(out + cb) : <T>0;
    let x1: T = accumulate ? load<T>(o1 + cb) : <T>0;
    let x2: T = accumulate ? load<T>(o2 + cb) : <T>0;
    let x3: T = accumulate ? load<T>(o3 + cb) : <T>0;
    let bt = b + cb;
    let ta: usize = 0;
    for (let t = 0; t < K; t++) {
      const bv = load<T>(bt);
      x0 += load<T>(a + ta) * bv;
      x1 += load<T>(a1 + ta) * bv;
      x2 += load<T>(a2 + ta) * bv;
      x3 += load<T>(a3 + ta) * bv;
      bt += bts;
      ta += ats;
    }
    store<T>(out + cb, x0);
    store<T>(o1 + cb, x1);
    store<T>(o2 + cb, x2);
    store<T>(o3 + cb, x3);
  }
}

// dst[e·S + j] = row j's element e: the S rows (of n features each, `stride` elements apart) of one
// (batch, head) slice of k or v, transposed, so that a feature's values over the keys are contiguous
function transposeRows<T>(src: usize, stride: i32, S: i32, n: i32, dst: usize): void {
  const sz = <usize>sizeof<T>();
  for (let j = 0; j < S; j++) {
    const row = src + (<usize>j) * (<usize>stride) * sz;
    let at = dst + (<usize>j) * sz;
    for (let e = 0; e < n; e++) {
      store<T>(at, load<T>(row + (<usize>e) * sz));
      at += (<usize>S) * sz;
    }
  }
}

@inline function dot<T>(a: usize, b: usize, n: i32): T {
  let i = 0;
  if (sizeof<T>() == 4) {
    let s0 = f32x4.splat(0);
    let s1 = f32x4.splat(0);
    for (; i + 8 <= n; i += 8) {
      const o = (<usize>i) << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
      s1 = f32x4.add(s1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    }
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      s0 = f32x4.add(s0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    }
    const s = f32x4.add(s0, s1);
    let r: f32 = f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + (f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3));
    for (; i < n; i++) r += load<f32>(a + ((<usize>i) << 2)) * load<f32>(b + ((<usize>i) << 2));
    return <T>r;
  } else {
    let s0 = f64x2.splat(0);
    let s1 = f64x2.splat(0);
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 3;
      s0 = f64x2.add(s0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
      s1 = f64x2.add(s1, f64x2.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
    }
    const s = f64x2.add(s0, s1);
    let r: f64 = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    for (; i < n; i++) r += load<f64>(a + ((<usize>i) << 3)) * load<f64>(b + ((<usize>i) << 3));
    return <T>r;
  }
}

// row_j = exp(row_j − shift) over n entries in place (four at a time in float32); returns their sum
@inline function expRow<T>(row: usize, n: i32, shift: T): T {
  let sum: T = <T>0;
  let j = 0;
  if (sizeof<T>() == 4) {
    const ms = f32x4.splat(<f32>shift);
    let acc = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const at = row + ((<usize>j) << 2);
      const e = expf4(f32x4.sub(v128.load(at), ms));
      v128.store(at, e);
      acc = f32x4.add(acc, e);
    }
    sum = <T>(f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + (f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3)));
  }
  for (; j < n; j++) {
    const at = row + (<usize>j) * sizeof<T>();
    const e = fexp<T>(load<T>(at) - shift);
    store<T>(at, e);
    sum += e;
  }
  return sum;
}

// y = alpha·y over n elements
@inline function scaleRow<T>(alpha: T, y: usize, n: i32): void {
  for (let i = 0; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    store<T>(y + o, load<T>(y + o) * alpha);
  }
}

// The scores of query row i over keys [j0, j0 + n) in place: s·scale, plus the mask row (from key j0
// on) when masked, −∞ past key i when causal. Returns their maximum.
@inline function finishScores<T>(row: usize, n: i32, scale: T, mrow: usize, masked: bool, causal: bool, i: i32, j0: i32): T {
  const sz = <usize>sizeof<T>();
  // keys past i are forbidden (causal): from `cut` on
  const cut = causal ? min(n, max(0, i + 1 - j0)) : n;
  const mr = mrow + (<usize>j0) * sz;
  let j = 0;
  let m: T = <T>-Infinity;
  if (sizeof<T>() == 4) {
    const sc = f32x4.splat(<f32>scale);
    let mv = f32x4.splat(-Infinity);
    for (; j + 4 <= cut; j += 4) {
      const at = row + ((<usize>j) << 2);
      let s = f32x4.mul(v128.load(at), sc);
      if (masked) s = f32x4.add(s, v128.load(mr + ((<usize>j) << 2)));
      v128.store(at, s);
      mv = f32x4.max(mv, s);
    }
    m = <T>max(max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  } else {
    const sc = f64x2.splat(<f64>scale);
    let mv = f64x2.splat(-Infinity);
    for (; j + 2 <= cut; j += 2) {
      const at = row + ((<usize>j) << 3);
      let s = f64x2.mul(v128.load(at), sc);
      if (masked) s = f64x2.add(s, v128.load(mr + ((<usize>j) << 3)));
      v128.store(at, s);
      mv = f64x2.max(mv, s);
    }
    m = <T>max(f64x2.extract_lane(mv, 0), f64x2.extract_lane(mv, 1));
  }
  for (; j < cut; j++) {
    const at = row + (<usize>j) * sz;
    let s = load<T>(at) * scale;
    if (masked) s += load<T>(mr + (<usize>j) * sz);
    store<T>(at, s);
    m = max(m, s);
  }
  for (j = cut; j < n; j++) store<T>(row + (<usize>j) * sz, <T>-Infinity);
  return m;
}

// p_j = e_j·invl (the row's probabilities, in place) and dS_j = p_j·(dP_j − di)·scale (in place of
// dP_j; 0 where p_j is, whatever dP_j holds) over n keys
@inline function softmaxGrad<T>(p: usize, d: usize, n: i32, invl: T, di: T, scale: T): void {
  let j = 0;
  if (sizeof<T>() == 4) {
    const iv = f32x4.splat(<f32>invl);
    const dv = f32x4.splat(<f32>di);
    const sc = f32x4.splat(<f32>scale);
    const z = f32x4.splat(0);
    for (; j + 4 <= n; j += 4) {
      const o = (<usize>j) << 2;
      const pj = f32x4.mul(v128.load(p + o), iv);
      v128.store(p + o, pj);
      const ds = f32x4.mul(f32x4.mul(pj, f32x4.sub(v128.load(d + o), dv)), sc);
      v128.store(d + o, v128.bitselect(z, ds, f32x4.eq(pj, z)));
    }
  } else {
    const iv = f64x2.splat(<f64>invl);
    const dv = f64x2.splat(<f64>di);
    const sc = f64x2.splat(<f64>scale);
    const z = f64x2.splat(0);
    for (; j + 2 <= n; j += 2) {
      const o = (<usize>j) << 3;
      const pj = f64x2.mul(v128.load(p + o), iv);
      v128.store(p + o, pj);
      const ds = f64x2.mul(f64x2.mul(pj, f64x2.sub(v128.load(d + o), dv)), sc);
      v128.store(d + o, v128.bitselect(z, ds, f64x2.eq(pj, z)));
    }
  }
  for (; j < n; j++) {
    const o = (<usize>j) * sizeof<T>();
    const pj = load<T>(p + o) * invl;
    store<T>(p + o, pj);
    store<T>(d + o, pj == <T>0 ? <T>0 : pj * (load<T>(d + o) - di) * scale);
  }
}

// the next slice, counted from `from`: word 22 of the geometry, counted up atomically in a build with threads
@inline function claim(geom: usize, from: i32): i32 {
  const at = geom + 88;
  if (ASC_FEATURE_THREADS) return from + atomic.add<i32>(at, 1);
  const n = load<i32>(at);
  store<i32>(at, n + 1);
  return from + n;
}

@inline function word(geom: usize, i: i32): i32 {
  return load<i32>(geom + ((<usize>i) << 2));
}

// the address of row (b, h, t) of a strided operand whose strides start at word `at`
@inline function rowOf<T>(base: usize, geom: usize, at: i32, b: i32, h: i32, t: i32): usize {
  const e = (<usize>b) * (<usize>word(geom, at)) + (<usize>h) * (<usize>word(geom, at + 1)) + (<usize>t) * (<usize>word(geom, at + 2));
  return base + e * sizeof<T>();
}

// Scratch of the forward (elements): kᵀ of one slice (E·S), then ROWS·TILE scores, ROWS·Ev
// accumulators, and each row's running maximum and sum (2·ROWS).
function forward<T>(q: usize, k: usize, v: usize, mask: usize, out: usize, work: usize, geom: usize, scale: T, from: i32, to: i32): void {
  const B = word(geom, 0);
  const H = word(geom, 1);
  const L = word(geom, 2);
  const S = word(geom, 3);
  const E = word(geom, 4);
  const Ev = word(geom, 5);
  const causal = (word(geom, 21) & 1) != 0;
  const masked = (word(geom, 21) & 2) != 0;
  const sz = <usize>sizeof<T>();
  const kT = work;
  const scores = kT + (<usize>E) * (<usize>S) * sz; // ROWS rows of TILE
  const acc = scores + (<usize>(ROWS * TILE)) * sz; // ROWS rows of Ev
  const ms = acc + (<usize>(ROWS * Ev)) * sz; // ROWS running maxima
  const ls = ms + (<usize>ROWS) * sz; // ROWS running sums
  const qt = <usize>word(geom, 8) * sz;
  const vt = <usize>word(geom, 14) * sz;
  const mt = <usize>word(geom, 20) * sz;
  const tileBytes = (<usize>TILE) * sz;
  const accBytes = (<usize>Ev) * sz;
  const end = min(to, B * H);
  for (let bh = claim(geom, max(from, 0)); bh < end; bh = claim(geom, max(from, 0))) {
    const b = bh / H;
    const h = bh % H;
    transposeRows<T>(rowOf<T>(k, geom, 9, b, h, 0), word(geom, 11), S, E, kT);
    for (let i0 = 0; i0 < L; i0 += ROWS) {
      const rows = min(ROWS, L - i0);
      const q0 = rowOf<T>(q, geom, 6, b, h, i0);
      const m0 = masked ? rowOf<T>(mask, geom, 18, b, h, i0) : 0;
      // keys seen by any row of the block
      const n = causal ? min(S, i0 + rows) : S;
      for (let r = 0; r < rows; r++) {
        store<T>(ms + (<usize>r) * sz, <T>-Infinity);
        store<T>(ls + (<usize>r) * sz, <T>0);
      }
      memory.fill(acc, 0, (<usize>(ROWS * Ev)) * sz);
      for (let j0 = 0; j0 < n; j0 += TILE) {
        const w = min(n - j0, TILE);
        mm4<T>(rows, q0, qt, sz, E, kT + (<usize>j0) * sz, (<usize>S) * sz, w, scores, tileBytes, false);
        for (let r = 0; r < rows; r++) {
          const row = scores + (<usize>r) * tileBytes;
          const mt0 = finishScores<T>(row, w, scale, m0 + (<usize>r) * mt, masked, causal, i0 + r, j0);
          if (mt0 == <T>-Infinity) {
            // every key of the tile forbidden to this row: it adds nothing
            memory.fill(row, 0, tileBytes);
            continue;
          }
          const m = load<T>(ms + (<usize>r) * sz);
          const mNew = max(m, mt0);
          const alpha = fexp<T>(m - mNew); // 0 on the first tile that counts (m = −∞)
          let l = load<T>(ls + (<usize>r) * sz);
          if (alpha != <T>1) {
            l *= alpha;
            scaleRow<T>(alpha, acc + (<usize>r) * accBytes, Ev);
          }
          store<T>(ls + (<usize>r) * sz, l + expRow<T>(row, w, mNew));
          store<T>(ms + (<usize>r) * sz, mNew);
        }
        mm4<T>(rows, scores, tileBytes, sz, w, rowOf<T>(v, geom, 12, b, h, j0), vt, Ev, acc, accBytes, true);
      }
      // a row with every key forbidden has l = 0 and gives 0/0 = NaN, as softmax of all −∞ does
      for (let r = 0; r < rows; r++) {
        const l = load<T>(ls + (<usize>r) * sz);
        const inv = <T>1 / l;
        const a = acc + (<usize>r) * accBytes;
        const oi = rowOf<T>(out, geom, 15, b, h, i0 + r);
        for (let e = 0; e < Ev; e++) store<T>(oi + (<usize>e) * sz, l == <T>0 ? <T>NaN : load<T>(a + (<usize>e) * sz) * inv);
      }
    }
  }
}

// Scratch of the backward (elements): kᵀ (E·S) and vᵀ (Ev·S) of one slice, then GROUP rows of S for
// P and GROUP for dP (then dS): a group's rows are summed into dK and dV together.
// dq, dk, dv are laid out as q, k, v (the same strides) and zeroed by the caller; `dout` as `out`.
function backward<T>(
  q: usize,
  k: usize,
  v: usize,
  mask: usize,
  out: usize,
  dout: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  work: usize,
  geom: usize,
  scale: T,
  from: i32,
  to: i32,
): void {
  const B = word(geom, 0);
  const H = word(geom, 1);
  const L = word(geom, 2);
  const S = word(geom, 3);
  const E = word(geom, 4);
  const Ev = word(geom, 5);
  const causal = (word(geom, 21) & 1) != 0;
  const masked = (word(geom, 21) & 2) != 0;
  const sz = <usize>sizeof<T>();
  const rowBytes = (<usize>S) * sz;
  const kT = work;
  const vT = kT + (<usize>E) * rowBytes;
  const P = vT + (<usize>Ev) * rowBytes;
  const dS = P + (<usize>GROUP) * rowBytes;
  const qt = <usize>word(geom, 8) * sz;
  const kt = <usize>word(geom, 11) * sz;
  const vt = <usize>word(geom, 14) * sz;
  const ot = <usize>word(geom, 17) * sz;
  const mt = <usize>word(geom, 20) * sz;
  const end = min(to, B * H);
  for (let bh = claim(geom, max(from, 0)); bh < end; bh = claim(geom, max(from, 0))) {
    const b = bh / H;
    const h = bh % H;
    const k0 = rowOf<T>(k, geom, 9, b, h, 0);
    const v0 = rowOf<T>(v, geom, 12, b, h, 0);
    const dk0 = rowOf<T>(dk, geom, 9, b, h, 0);
    const dv0 = rowOf<T>(dv, geom, 12, b, h, 0);
    transposeRows<T>(k0, word(geom, 11), S, E, kT);
    transposeRows<T>(v0, word(geom, 14), S, Ev, vT);
    for (let g0 = 0; g0 < L; g0 += GROUP) {
      const grows = min(GROUP, L - g0);
      // keys seen by any row of the group
      const gn = causal ? min(S, g0 + grows) : S;
      for (let i0 = g0; i0 < g0 + grows; i0 += ROWS) {
        const rows = min(ROWS, g0 + grows - i0);
        const Pb = P + (<usize>(i0 - g0)) * rowBytes;
        const dSb = dS + (<usize>(i0 - g0)) * rowBytes;
        const q0 = rowOf<T>(q, geom, 6, b, h, i0);
        const o0 = rowOf<T>(out, geom, 15, b, h, i0);
        const do0 = rowOf<T>(dout, geom, 15, b, h, i0);
        const m0 = masked ? rowOf<T>(mask, geom, 18, b, h, i0) : 0;
        const n = causal ? min(S, i0 + rows) : S;
        // the rows' scores, then P_ij = e^(s_ij − m) / Σ_j e^(s_ij − m): the softmax from each row's logsumexp
        mm4<T>(rows, q0, qt, sz, E, kT, rowBytes, n, Pb, rowBytes, false);
        // dP_ij = dO_i·V_j
        mm4<T>(rows, do0, ot, sz, Ev, vT, rowBytes, n, dSb, rowBytes, false);
        for (let r = 0; r < rows; r++) {
          const pr = Pb + (<usize>r) * rowBytes;
          const m = finishScores<T>(pr, n, scale, m0 + (<usize>r) * mt, masked, causal, i0 + r, 0);
          const invl = <T>1 / expRow<T>(pr, n, m == <T>-Infinity ? <T>0 : m);
          // D_i = dO_i·O_i, and dS_ij = P_ij·(dP_ij − D_i)·scale
          const di = dot<T>(do0 + (<usize>r) * ot, o0 + (<usize>r) * ot, Ev);
          const dr = dSb + (<usize>r) * rowBytes;
          softmaxGrad<T>(pr, dr, n, invl, di, scale);
          // keys past this row's block and before the group's last: nothing, for the sums below
          memory.fill(pr + (<usize>n) * sz, 0, (<usize>(gn - n)) * sz);
          memory.fill(dr + (<usize>n) * sz, 0, (<usize>(gn - n)) * sz);
        }
        // dQ_i = Σ_j dS_ij·K_j (each row of dq written by this block only)
        mm4<T>(rows, dSb, rowBytes, sz, n, k0, kt, E, rowOf<T>(dq, geom, 6, b, h, i0), qt, false);
      }
      // dV_j += Σ_i P_ij·dO_i and dK_j += Σ_i dS_ij·Q_i over the group's rows, four keys at a time
      // (causal: from the block's first key's row on, as the rows before it see none of its keys)
      for (let j0 = 0; j0 < gn; j0 += ROWS) {
        const keys = min(ROWS, gn - j0);
        const i0 = causal ? max(g0, j0) : g0;
        const pb = (<usize>(i0 - g0)) * rowBytes + (<usize>j0) * sz;
        const qi = rowOf<T>(q, geom, 6, b, h, i0);
        const doi = rowOf<T>(dout, geom, 15, b, h, i0);
        mm4<T>(keys, P + pb, sz, rowBytes, g0 + grows - i0, doi, ot, Ev, dv0 + (<usize>j0) * vt, vt, true);
        mm4<T>(keys, dS + pb, sz, rowBytes, g0 + grows - i0, qi, qt, E, dk0 + (<usize>j0) * kt, kt, true);
      }
    }
  }
}

/**
 * Attention forward (float32): out = softmax(q·kᵀ·scale + mask)·v, read and written through the
 * geometry's strides, for the (batch, head) slices b·H + h in [from, to) that this thread claims
 * (geometry word 22, zeroed before the call). `work` holds E·S + 4·(64 + Ev + 2) floats.
 */
export function attention_forward_f32(q: usize, k: usize, v: usize, mask: usize, out: usize, work: usize, geom: usize, scale: f64, from: i32, to: i32): void {
  forward<f32>(q, k, v, mask, out, work, geom, <f32>scale, from, to);
}

/** attention_forward_f32 for float64 data. */
export function attention_forward_f64(q: usize, k: usize, v: usize, mask: usize, out: usize, work: usize, geom: usize, scale: f64, from: i32, to: i32): void {
  forward<f64>(q, k, v, mask, out, work, geom, scale, from, to);
}

/**
 * Attention backward (float32): dq, dk, dv (zeroed, laid out as q, k, v) from dout (laid out as
 * out), for the (batch, head) slices b·H + h in [from, to) that this thread claims (geometry word
 * 22, zeroed before the call). `work` holds (E + Ev + 32)·S floats.
 */
export function attention_backward_f32(
  q: usize,
  k: usize,
  v: usize,
  mask: usize,
  out: usize,
  dout: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  work: usize,
  geom: usize,
  scale: f64,
  from: i32,
  to: i32,
): void {
  backward<f32>(q, k, v, mask, out, dout, dq, dk, dv, work, geom, <f32>scale, from, to);
}

/** attention_backward_f32 for float64 data. */
export function attention_backward_f64(
  q: usize,
  k: usize,
  v: usize,
  mask: usize,
  out: usize,
  dout: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  work: usize,
  geom: usize,
  scale: f64,
  from: i32,
  to: i32,
): void {
  backward<f64>(q, k, v, mask, out, dout, dq, dk, dv, work, geom, scale, from, to);
}
