// Fused recurrent cells: one pass over a time step's gate pre-activations does all the gate math
// of an LSTM or GRU step, and one pass does its backward. The matmuls stay outside (GEMM): xg is
// the input projection x·W_ihᵀ (+ biases), hg the recurrent one h·W_hhᵀ, both [n, gates·hidden]
// row-major, gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n). The backward kernels
// recompute the gates from xg and hg (cheaper than saving them); the float32 exports run four
// lanes at a time with expf4, float64 uses Math for PyTorch's precision.
//   LSTM: c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c')
//   GRU:  n = tanh(x_n + σ(r)⊙h_n), h' = n + σ(z)⊙(h − n)
import { expf4, fexp, ftanh } from './math';

@inline function sigmoidS<T>(x: T): T {
  // two branches keep exp's argument non-positive (as elementwise.ts's UN_SIGMOID)
  if (x >= <T>0) return <T>1 / (<T>1 + fexp<T>(-x));
  const e = fexp<T>(x);
  return e / (<T>1 + e);
}

// σ(x) = 1 / (1 + e^−x): expf4 saturates to ∞ and 0, so the lanes reach 0 and 1 without NaN
@inline function sigmoid4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.div(one, f32x4.add(one, expf4(f32x4.neg(x))));
}

// tanh(x) = 1 − 2 / (e^2x + 1), saturating to ±1
@inline function tanh4(x: v128): v128 {
  const one = f32x4.splat(1);
  return f32x4.sub(one, f32x4.div(f32x4.splat(2), f32x4.add(expf4(f32x4.add(x, x)), one)));
}

// ── LSTM ──────────────────────────────────────────────────────────────────
// xg, hg [n, 4H]; c [n, H]; out [2, n, H]: h' then c'.
@inline function lstmScalar<T>(xg: usize, hg: usize, c: usize, out: usize, n: i32, hidden: i32, from: i32): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  const cOut = out + (<usize>n) * H * sz;
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 4 * H * sz;
    const r = hg + b * 4 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const gi = sigmoidS<T>(load<T>(x + j * sz) + load<T>(r + j * sz));
      const gf = sigmoidS<T>(load<T>(x + (H + j) * sz) + load<T>(r + (H + j) * sz));
      const gg = ftanh<T>(load<T>(x + (2 * H + j) * sz) + load<T>(r + (2 * H + j) * sz));
      const go = sigmoidS<T>(load<T>(x + (3 * H + j) * sz) + load<T>(r + (3 * H + j) * sz));
      const cn = gf * load<T>(c + (b * H + j) * sz) + gi * gg;
      store<T>(cOut + (b * H + j) * sz, cn);
      store<T>(out + (b * H + j) * sz, go * ftanh<T>(cn));
    }
  }
}

/** LSTM cell forward in float32: out [2, n, hidden] = (h', c') from xg, hg [n, 4·hidden] and c [n, hidden]. */
export function rnn_lstm_cell_f32(xg: usize, hg: usize, c: usize, out: usize, n: i32, hidden: i32): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  const cOut = out + (<usize>n) * H * 4;
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 16 * H;
    const r = hg + b * 16 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const gi = sigmoid4(f32x4.add(v128.load(x + o), v128.load(r + o)));
      const gf = sigmoid4(f32x4.add(v128.load(x + 4 * H + o), v128.load(r + 4 * H + o)));
      const gg = tanh4(f32x4.add(v128.load(x + 8 * H + o), v128.load(r + 8 * H + o)));
      const go = sigmoid4(f32x4.add(v128.load(x + 12 * H + o), v128.load(r + 12 * H + o)));
      const cn = f32x4.add(f32x4.mul(gf, v128.load(c + b * 4 * H + o)), f32x4.mul(gi, gg));
      v128.store(cOut + b * 4 * H + o, cn);
      v128.store(out + b * 4 * H + o, f32x4.mul(go, tanh4(cn)));
    }
  }
  if (vec < hidden) lstmScalar<f32>(xg, hg, c, out, n, hidden, vec);
}

/** rnn_lstm_cell_f32 for float64 data. */
export function rnn_lstm_cell_f64(xg: usize, hg: usize, c: usize, out: usize, n: i32, hidden: i32): void {
  lstmScalar<f64>(xg, hg, c, out, n, hidden, 0);
}

// dct = dc' + dh'·o·(1 − tanh²c'); d(i, f, g, o) pre-activations; dc = dct·f
@inline function lstmBackwardScalar<T>(
  xg: usize, hg: usize, c: usize, y: usize, gy: usize, dg: usize, dc: usize, n: i32, hidden: i32, from: i32,
): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  const half = (<usize>n) * H * sz;
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 4 * H * sz;
    const r = hg + b * 4 * H * sz;
    const d = dg + b * 4 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const k = (b * H + j) * sz;
      const gi = sigmoidS<T>(load<T>(x + j * sz) + load<T>(r + j * sz));
      const gf = sigmoidS<T>(load<T>(x + (H + j) * sz) + load<T>(r + (H + j) * sz));
      const gg = ftanh<T>(load<T>(x + (2 * H + j) * sz) + load<T>(r + (2 * H + j) * sz));
      const go = sigmoidS<T>(load<T>(x + (3 * H + j) * sz) + load<T>(r + (3 * H + j) * sz));
      const tc = ftanh<T>(load<T>(y + half + k));
      const dh = load<T>(gy + k);
      const dct = load<T>(gy + half + k) + dh * go * (<T>1 - tc * tc);
      store<T>(d + j * sz, dct * gg * gi * (<T>1 - gi));
      store<T>(d + (H + j) * sz, dct * load<T>(c + k) * gf * (<T>1 - gf));
      store<T>(d + (2 * H + j) * sz, dct * gi * (<T>1 - gg * gg));
      store<T>(d + (3 * H + j) * sz, dh * tc * go * (<T>1 - go));
      store<T>(dc + k, dct * gf);
    }
  }
}

/**
 * LSTM cell backward in float32: from the forward's xg, hg, c and output y [2, n, hidden] and the
 * upstream gy [2, n, hidden] (dh', dc'), writes the pre-activations' gradient dg [n, 4·hidden] (xg's
 * and hg's alike) and c's gradient dc [n, hidden].
 */
export function rnn_lstm_cell_backward_f32(
  xg: usize, hg: usize, c: usize, y: usize, gy: usize, dg: usize, dc: usize, n: i32, hidden: i32,
): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  const half = (<usize>n) * H * 4;
  const one = f32x4.splat(1);
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 16 * H;
    const r = hg + b * 16 * H;
    const d = dg + b * 16 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const k = b * 4 * H + o;
      const gi = sigmoid4(f32x4.add(v128.load(x + o), v128.load(r + o)));
      const gf = sigmoid4(f32x4.add(v128.load(x + 4 * H + o), v128.load(r + 4 * H + o)));
      const gg = tanh4(f32x4.add(v128.load(x + 8 * H + o), v128.load(r + 8 * H + o)));
      const go = sigmoid4(f32x4.add(v128.load(x + 12 * H + o), v128.load(r + 12 * H + o)));
      const tc = tanh4(v128.load(y + half + k));
      const dh = v128.load(gy + k);
      const dct = f32x4.add(v128.load(gy + half + k), f32x4.mul(f32x4.mul(dh, go), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(d + o, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(gi, f32x4.sub(one, gi))));
      v128.store(d + 4 * H + o, f32x4.mul(f32x4.mul(dct, v128.load(c + k)), f32x4.mul(gf, f32x4.sub(one, gf))));
      v128.store(d + 8 * H + o, f32x4.mul(f32x4.mul(dct, gi), f32x4.sub(one, f32x4.mul(gg, gg))));
      v128.store(d + 12 * H + o, f32x4.mul(f32x4.mul(dh, tc), f32x4.mul(go, f32x4.sub(one, go))));
      v128.store(dc + k, f32x4.mul(dct, gf));
    }
  }
  if (vec < hidden) lstmBackwardScalar<f32>(xg, hg, c, y, gy, dg, dc, n, hidden, vec);
}

/** rnn_lstm_cell_backward_f32 for float64 data. */
export function rnn_lstm_cell_backward_f64(
  xg: usize, hg: usize, c: usize, y: usize, gy: usize, dg: usize, dc: usize, n: i32, hidden: i32,
): void {
  lstmBackwardScalar<f64>(xg, hg, c, y, gy, dg, dc, n, hidden, 0);
}

// ── GRU ───────────────────────────────────────────────────────────────────
// xg, hg [n, 3H] (hg with b_hh added); h [n, H]; out [n, H].
@inline function gruScalar<T>(xg: usize, hg: usize, h: usize, out: usize, n: i32, hidden: i32, from: i32): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 3 * H * sz;
    const r = hg + b * 3 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const gr = sigmoidS<T>(load<T>(x + j * sz) + load<T>(r + j * sz));
      const gz = sigmoidS<T>(load<T>(x + (H + j) * sz) + load<T>(r + (H + j) * sz));
      const gn = ftanh<T>(load<T>(x + (2 * H + j) * sz) + gr * load<T>(r + (2 * H + j) * sz));
      store<T>(out + (b * H + j) * sz, gn + gz * (load<T>(h + (b * H + j) * sz) - gn));
    }
  }
}

/** GRU cell forward in float32: out [n, hidden] = h' from xg, hg [n, 3·hidden] (hg with b_hh) and h [n, hidden]. */
export function rnn_gru_cell_f32(xg: usize, hg: usize, h: usize, out: usize, n: i32, hidden: i32): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 12 * H;
    const r = hg + b * 12 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const gr = sigmoid4(f32x4.add(v128.load(x + o), v128.load(r + o)));
      const gz = sigmoid4(f32x4.add(v128.load(x + 4 * H + o), v128.load(r + 4 * H + o)));
      const gn = tanh4(f32x4.add(v128.load(x + 8 * H + o), f32x4.mul(gr, v128.load(r + 8 * H + o))));
      const k = b * 4 * H + o;
      v128.store(out + k, f32x4.add(gn, f32x4.mul(gz, f32x4.sub(v128.load(h + k), gn))));
    }
  }
  if (vec < hidden) gruScalar<f32>(xg, hg, h, out, n, hidden, vec);
}

/** rnn_gru_cell_f32 for float64 data. */
export function rnn_gru_cell_f64(xg: usize, hg: usize, h: usize, out: usize, n: i32, hidden: i32): void {
  gruScalar<f64>(xg, hg, h, out, n, hidden, 0);
}

// dn = g(1 − z), dz = g(h − n), dh = g·z; d(n pre) = dn(1 − n²) goes to x_n, and ⊙r to h_n;
// dr = d(n pre)·h_n; the r and z pre-activation gradients are the same for xg and hg
@inline function gruBackwardScalar<T>(
  xg: usize, hg: usize, h: usize, gy: usize, dxg: usize, dhg: usize, dh: usize, n: i32, hidden: i32, from: i32,
): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 3 * H * sz;
    const r = hg + b * 3 * H * sz;
    const dx = dxg + b * 3 * H * sz;
    const dr = dhg + b * 3 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const k = (b * H + j) * sz;
      const gr = sigmoidS<T>(load<T>(x + j * sz) + load<T>(r + j * sz));
      const gz = sigmoidS<T>(load<T>(x + (H + j) * sz) + load<T>(r + (H + j) * sz));
      const hn = load<T>(r + (2 * H + j) * sz);
      const gn = ftanh<T>(load<T>(x + (2 * H + j) * sz) + gr * hn);
      const g = load<T>(gy + k);
      const hp = load<T>(h + k);
      const dn = g * (<T>1 - gz) * (<T>1 - gn * gn);
      const dar = dn * hn * gr * (<T>1 - gr);
      const daz = g * (hp - gn) * gz * (<T>1 - gz);
      store<T>(dx + j * sz, dar);
      store<T>(dr + j * sz, dar);
      store<T>(dx + (H + j) * sz, daz);
      store<T>(dr + (H + j) * sz, daz);
      store<T>(dx + (2 * H + j) * sz, dn);
      store<T>(dr + (2 * H + j) * sz, dn * gr);
      store<T>(dh + k, g * gz);
    }
  }
}

/**
 * GRU cell backward in float32: from the forward's xg, hg, h and the upstream gy [n, hidden],
 * writes the gradients of xg (dxg), of hg (dhg) [n, 3·hidden] and of h (dh) [n, hidden].
 */
export function rnn_gru_cell_backward_f32(
  xg: usize, hg: usize, h: usize, gy: usize, dxg: usize, dhg: usize, dh: usize, n: i32, hidden: i32,
): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  const one = f32x4.splat(1);
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 12 * H;
    const r = hg + b * 12 * H;
    const dx = dxg + b * 12 * H;
    const dr = dhg + b * 12 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const k = b * 4 * H + o;
      const gr = sigmoid4(f32x4.add(v128.load(x + o), v128.load(r + o)));
      const gz = sigmoid4(f32x4.add(v128.load(x + 4 * H + o), v128.load(r + 4 * H + o)));
      const hn = v128.load(r + 8 * H + o);
      const gn = tanh4(f32x4.add(v128.load(x + 8 * H + o), f32x4.mul(gr, hn)));
      const g = v128.load(gy + k);
      const hp = v128.load(h + k);
      const dn = f32x4.mul(f32x4.mul(g, f32x4.sub(one, gz)), f32x4.sub(one, f32x4.mul(gn, gn)));
      const dar = f32x4.mul(f32x4.mul(dn, hn), f32x4.mul(gr, f32x4.sub(one, gr)));
      const daz = f32x4.mul(f32x4.mul(g, f32x4.sub(hp, gn)), f32x4.mul(gz, f32x4.sub(one, gz)));
      v128.store(dx + o, dar);
      v128.store(dr + o, dar);
      v128.store(dx + 4 * H + o, daz);
      v128.store(dr + 4 * H + o, daz);
      v128.store(dx + 8 * H + o, dn);
      v128.store(dr + 8 * H + o, f32x4.mul(dn, gr));
      v128.store(dh + k, f32x4.mul(g, gz));
    }
  }
  if (vec < hidden) gruBackwardScalar<f32>(xg, hg, h, gy, dxg, dhg, dh, n, hidden, vec);
}

/** rnn_gru_cell_backward_f32 for float64 data. */
export function rnn_gru_cell_backward_f64(
  xg: usize, hg: usize, h: usize, gy: usize, dxg: usize, dhg: usize, dh: usize, n: i32, hidden: i32,
): void {
  gruBackwardScalar<f64>(xg, hg, h, gy, dxg, dhg, dh, n, hidden, 0);
}

// ── LSTM over a whole sequence ────────────────────────────────────────────
// A step of lstmSequence: the recurrent projection r = h·W_hhᵀ is written by GEMM into the
// sequence's workspace, and the cell turns xg + r into the gate activations in place (i, f, g, o
// after σ and tanh), so the backward reads them instead of recomputing them. h and c' go to
// their own rows of the output ([2, steps, n, hidden]: every h, then every c).
@inline function lstmSeqScalar<T>(xg: usize, r: usize, c: usize, h: usize, cOut: usize, n: i32, hidden: i32, from: i32): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 4 * H * sz;
    const a = r + b * 4 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const gi = sigmoidS<T>(load<T>(x + j * sz) + load<T>(a + j * sz));
      const gf = sigmoidS<T>(load<T>(x + (H + j) * sz) + load<T>(a + (H + j) * sz));
      const gg = ftanh<T>(load<T>(x + (2 * H + j) * sz) + load<T>(a + (2 * H + j) * sz));
      const go = sigmoidS<T>(load<T>(x + (3 * H + j) * sz) + load<T>(a + (3 * H + j) * sz));
      store<T>(a + j * sz, gi);
      store<T>(a + (H + j) * sz, gf);
      store<T>(a + (2 * H + j) * sz, gg);
      store<T>(a + (3 * H + j) * sz, go);
      const cn = gf * load<T>(c + (b * H + j) * sz) + gi * gg;
      store<T>(cOut + (b * H + j) * sz, cn);
      store<T>(h + (b * H + j) * sz, go * ftanh<T>(cn));
    }
  }
}

/**
 * One step of an LSTM sequence in float32: from the input projection xg and the recurrent one r
 * (both [n, 4·hidden], gates i, f, g, o) and the previous c [n, hidden], writes h' and c' (each
 * [n, hidden]) and overwrites r with the gate activations σ(i), σ(f), tanh(g), σ(o).
 */
export function rnn_lstm_seq_cell_f32(xg: usize, r: usize, c: usize, h: usize, cOut: usize, n: i32, hidden: i32): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  for (let b: usize = 0; b < <usize>n; b++) {
    const x = xg + b * 16 * H;
    const a = r + b * 16 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const gi = sigmoid4(f32x4.add(v128.load(x + o), v128.load(a + o)));
      const gf = sigmoid4(f32x4.add(v128.load(x + 4 * H + o), v128.load(a + 4 * H + o)));
      const gg = tanh4(f32x4.add(v128.load(x + 8 * H + o), v128.load(a + 8 * H + o)));
      const go = sigmoid4(f32x4.add(v128.load(x + 12 * H + o), v128.load(a + 12 * H + o)));
      v128.store(a + o, gi);
      v128.store(a + 4 * H + o, gf);
      v128.store(a + 8 * H + o, gg);
      v128.store(a + 12 * H + o, go);
      const k = b * 4 * H + o;
      const cn = f32x4.add(f32x4.mul(gf, v128.load(c + k)), f32x4.mul(gi, gg));
      v128.store(cOut + k, cn);
      v128.store(h + k, f32x4.mul(go, tanh4(cn)));
    }
  }
  if (vec < hidden) lstmSeqScalar<f32>(xg, r, c, h, cOut, n, hidden, vec);
}

/** rnn_lstm_seq_cell_f32 for float64 data. */
export function rnn_lstm_seq_cell_f64(xg: usize, r: usize, c: usize, h: usize, cOut: usize, n: i32, hidden: i32): void {
  lstmSeqScalar<f64>(xg, r, c, h, cOut, n, hidden, 0);
}

// dh = dh_out + dh_next, dc = dc_out + dc_next; dc̃ = dc + dh·o·(1 − tanh²c'); ∂i = dc̃·g·i(1 − i),
// ∂f = dc̃·c·f(1 − f), ∂g = dc̃·i·(1 − g²), ∂o = dh·tanh c'·o(1 − o); c's gradient dc̃·f replaces dc_next
@inline function lstmSeqBackwardScalar<T>(
  act: usize, c: usize, cNew: usize, dh: usize, dhNext: usize, dc: usize, dcNext: usize, dg: usize, n: i32, hidden: i32, from: i32,
): void {
  const H = <usize>hidden;
  const sz = <usize>sizeof<T>();
  for (let b: usize = 0; b < <usize>n; b++) {
    const a = act + b * 4 * H * sz;
    const d = dg + b * 4 * H * sz;
    for (let j = <usize>from; j < H; j++) {
      const k = (b * H + j) * sz;
      const gi = load<T>(a + j * sz);
      const gf = load<T>(a + (H + j) * sz);
      const gg = load<T>(a + (2 * H + j) * sz);
      const go = load<T>(a + (3 * H + j) * sz);
      const tc = ftanh<T>(load<T>(cNew + k));
      const dhk = load<T>(dh + k) + load<T>(dhNext + k);
      const dct = load<T>(dc + k) + load<T>(dcNext + k) + dhk * go * (<T>1 - tc * tc);
      store<T>(d + j * sz, dct * gg * gi * (<T>1 - gi));
      store<T>(d + (H + j) * sz, dct * load<T>(c + k) * gf * (<T>1 - gf));
      store<T>(d + (2 * H + j) * sz, dct * gi * (<T>1 - gg * gg));
      store<T>(d + (3 * H + j) * sz, dhk * tc * go * (<T>1 - go));
      store<T>(dcNext + k, dct * gf);
    }
  }
}

/**
 * One step of an LSTM sequence's backward in float32: from the step's gate activations act
 * [n, 4·hidden] (as rnn_lstm_seq_cell left them), the previous c and this step's c' (each
 * [n, hidden]), and the gradients of h' and c' in two parts each (dh + dhNext, dc + dcNext: the
 * output's and the next step's), writes the gate pre-activations' gradient dg [n, 4·hidden] and
 * replaces dcNext with the previous c's gradient.
 */
export function rnn_lstm_seq_cell_backward_f32(
  act: usize, c: usize, cNew: usize, dh: usize, dhNext: usize, dc: usize, dcNext: usize, dg: usize, n: i32, hidden: i32,
): void {
  const H = <usize>hidden;
  const vec = hidden & ~3;
  const one = f32x4.splat(1);
  for (let b: usize = 0; b < <usize>n; b++) {
    const a = act + b * 16 * H;
    const d = dg + b * 16 * H;
    for (let j: usize = 0; j < <usize>vec; j += 4) {
      const o = j << 2;
      const k = b * 4 * H + o;
      const gi = v128.load(a + o);
      const gf = v128.load(a + 4 * H + o);
      const gg = v128.load(a + 8 * H + o);
      const go = v128.load(a + 12 * H + o);
      const tc = tanh4(v128.load(cNew + k));
      const dhk = f32x4.add(v128.load(dh + k), v128.load(dhNext + k));
      const dck = f32x4.add(v128.load(dc + k), v128.load(dcNext + k));
      const dct = f32x4.add(dck, f32x4.mul(f32x4.mul(dhk, go), f32x4.sub(one, f32x4.mul(tc, tc))));
      v128.store(d + o, f32x4.mul(f32x4.mul(dct, gg), f32x4.mul(gi, f32x4.sub(one, gi))));
      v128.store(d + 4 * H + o, f32x4.mul(f32x4.mul(dct, v128.load(c + k)), f32x4.mul(gf, f32x4.sub(one, gf))));
      v128.store(d + 8 * H + o, f32x4.mul(f32x4.mul(dct, gi), f32x4.sub(one, f32x4.mul(gg, gg))));
      v128.store(d + 12 * H + o, f32x4.mul(f32x4.mul(dhk, tc), f32x4.mul(go, f32x4.sub(one, go))));
      v128.store(dcNext + k, f32x4.mul(dct, gf));
    }
  }
  if (vec < hidden) lstmSeqBackwardScalar<f32>(act, c, cNew, dh, dhNext, dc, dcNext, dg, n, hidden, vec);
}

/** rnn_lstm_seq_cell_backward_f32 for float64 data. */
export function rnn_lstm_seq_cell_backward_f64(
  act: usize, c: usize, cNew: usize, dh: usize, dhNext: usize, dc: usize, dcNext: usize, dg: usize, n: i32, hidden: i32,
): void {
  lstmSeqBackwardScalar<f64>(act, c, cNew, dh, dhNext, dc, dcNext, dg, n, hidden, 0);
}
