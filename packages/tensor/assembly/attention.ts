// Fused scaled-dot-product attention, forward and backward, that never holds the L×S score
// matrix: one query row at a time against tiles of keys, with the online softmax of
// FlashAttention (Dao et al. 2022): a running maximum m and sum l, the accumulator rescaled by
// e^(m_old − m_new) when the maximum grows. The backward is FlashAttention-2's: P is recomputed
// row by row from the row's logsumexp, and with D_i = Σ_e dO_ie·O_ie
//   dV_j += P_ij·dO_i,   dS_ij = P_ij·(dO_i·V_j − D_i),   dQ_i += scale·dS_ij·K_j,   dK_j += scale·dS_ij·Q_i.
//
// q, k, v and the output are read through strides over (batch, head, position), with the feature
// axis contiguous, so one kernel serves [B, H, T, E] tensors and [B, T, H, E] ones (the heads of a
// projection split by a reshape, no transpose copied). The geometry block (i32 words at `geom`):
//   0 B, 1 H, 2 L, 3 S, 4 E, 5 Ev,
//   6–8 q strides (b, h, t), 9–11 k strides, 12–14 v strides, 15–17 output strides (elements),
//   18–20 mask strides (b, h, query row; the key axis contiguous), 21 flags (1 causal, 2 mask).
// The mask is added to the scores (−∞ forbids a key); causal lets query i see keys j ≤ i.
import { expf4, fexp } from './math';

// keys per tile of the forward: their scores stay in the scratch block between the two passes
const TILE: i32 = 64;

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

// y += alpha·x over n elements
@inline function axpy<T>(alpha: T, x: usize, y: usize, n: i32): void {
  let i = 0;
  if (sizeof<T>() == 4) {
    const a = f32x4.splat(<f32>alpha);
    for (; i + 4 <= n; i += 4) {
      const o = (<usize>i) << 2;
      v128.store(y + o, f32x4.add(v128.load(y + o), f32x4.mul(a, v128.load(x + o))));
    }
  } else {
    const a = f64x2.splat(<f64>alpha);
    for (; i + 2 <= n; i += 2) {
      const o = (<usize>i) << 3;
      v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(a, v128.load(x + o))));
    }
  }
  for (; i < n; i++) {
    const o = (<usize>i) * sizeof<T>();
    store<T>(y + o, load<T>(y + o) + alpha * load<T>(x + o));
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

@inline function word(geom: usize, i: i32): i32 {
  return load<i32>(geom + ((<usize>i) << 2));
}

// the address of row (b, h, t) of a strided operand whose strides start at word `at`
@inline function rowOf<T>(base: usize, geom: usize, at: i32, b: i32, h: i32, t: i32): usize {
  const e = (<usize>b) * (<usize>word(geom, at)) + (<usize>h) * (<usize>word(geom, at + 1)) + (<usize>t) * (<usize>word(geom, at + 2));
  return base + e * sizeof<T>();
}

function forward<T>(q: usize, k: usize, v: usize, mask: usize, out: usize, work: usize, geom: usize, scale: T, from: i32, to: i32): void {
  const B = word(geom, 0);
  const H = word(geom, 1);
  const L = word(geom, 2);
  const S = word(geom, 3);
  const E = word(geom, 4);
  const Ev = word(geom, 5);
  const causal = (word(geom, 21) & 1) != 0;
  const masked = (word(geom, 21) & 2) != 0;
  const sz = sizeof<T>();
  const scores = work; // TILE scores
  const acc = work + (<usize>TILE) * sz; // Ev
  for (let bh = max(from, 0); bh < min(to, B * H); bh++) {
    const b = bh / H;
    const h = bh % H;
    for (let i = 0; i < L; i++) {
      const qi = rowOf<T>(q, geom, 6, b, h, i);
      const mrow = masked ? rowOf<T>(mask, geom, 18, b, h, i) : 0;
      const n = causal ? min(S, i + 1) : S;
      let m: T = <T>-Infinity;
      let l: T = <T>0;
      memory.fill(acc, 0, (<usize>Ev) * sz);
      for (let j0 = 0; j0 < n; j0 += TILE) {
        const j1 = min(n, j0 + TILE);
        let mt: T = <T>-Infinity;
        for (let j = j0; j < j1; j++) {
          let s = dot<T>(qi, rowOf<T>(k, geom, 9, b, h, j), E) * scale;
          if (masked) s += load<T>(mrow + (<usize>j) * sz);
          store<T>(scores + (<usize>(j - j0)) * sz, s);
          mt = max(mt, s);
        }
        if (mt == <T>-Infinity) continue; // every key of the tile forbidden
        const mNew = max(m, mt);
        const alpha = fexp<T>(m - mNew); // 0 on the first tile that counts (m = −∞)
        if (alpha != <T>1) {
          l *= alpha;
          scaleRow<T>(alpha, acc, Ev);
        }
        l += expRow<T>(scores, j1 - j0, mNew);
        for (let j = j0; j < j1; j++) {
          const p = load<T>(scores + (<usize>(j - j0)) * sz);
          if (p != <T>0) axpy<T>(p, rowOf<T>(v, geom, 12, b, h, j), acc, Ev);
        }
        m = mNew;
      }
      // a row with every key forbidden has l = 0 and gives 0/0 = NaN, as softmax of all −∞ does
      const inv = <T>1 / l;
      const oi = rowOf<T>(out, geom, 15, b, h, i);
      for (let e = 0; e < Ev; e++) store<T>(oi + (<usize>e) * sz, l == <T>0 ? <T>NaN : load<T>(acc + (<usize>e) * sz) * inv);
    }
  }
}

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
  const sz = sizeof<T>();
  const scores = work; // S scores of one query row
  for (let bh = max(from, 0); bh < min(to, B * H); bh++) {
    const b = bh / H;
    const h = bh % H;
    for (let i = 0; i < L; i++) {
      const qi = rowOf<T>(q, geom, 6, b, h, i);
      const mrow = masked ? rowOf<T>(mask, geom, 18, b, h, i) : 0;
      const n = causal ? min(S, i + 1) : S;
      // the row's scores and its logsumexp
      let m: T = <T>-Infinity;
      for (let j = 0; j < n; j++) {
        let s = dot<T>(qi, rowOf<T>(k, geom, 9, b, h, j), E) * scale;
        if (masked) s += load<T>(mrow + (<usize>j) * sz);
        store<T>(scores + (<usize>j) * sz, s);
        m = max(m, s);
      }
      // P_ij = e^(s_ij − m) / Σ_j e^(s_ij − m): the row's softmax, from its logsumexp m + log l
      const invl = <T>1 / expRow<T>(scores, n, m == <T>-Infinity ? <T>0 : m);
      const oi = rowOf<T>(out, geom, 15, b, h, i);
      const doi = rowOf<T>(dout, geom, 15, b, h, i);
      const di = dot<T>(doi, oi, Ev);
      const dqi = rowOf<T>(dq, geom, 6, b, h, i);
      for (let j = 0; j < n; j++) {
        const p = load<T>(scores + (<usize>j) * sz) * invl;
        if (p == <T>0) continue;
        const vj = rowOf<T>(v, geom, 12, b, h, j);
        axpy<T>(p, doi, rowOf<T>(dv, geom, 12, b, h, j), Ev);
        const ds = p * (dot<T>(doi, vj, Ev) - di) * scale;
        axpy<T>(ds, rowOf<T>(k, geom, 9, b, h, j), dqi, E);
        axpy<T>(ds, qi, rowOf<T>(dk, geom, 9, b, h, j), E);
      }
    }
  }
}

/**
 * Attention forward (float32): out = softmax(q·kᵀ·scale + mask)·v, read and written through the
 * geometry's strides, for the (batch, head) slices b·H + h in [from, to). `work` holds 64 + Ev floats.
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
 * out), for the (batch, head) slices b·H + h in [from, to). `work` holds S floats.
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
