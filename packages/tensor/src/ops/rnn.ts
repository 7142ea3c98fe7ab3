// Fused recurrent cells (assembly/rnn.ts): one kernel does a time step's gate math, one its
// backward. The caller computes the two projections with matmul: xg = x·W_ihᵀ (+ biases) and
// hg = h·W_hhᵀ, gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
import { DTypeError, fmtShape, ShapeError, StateError, ValueError } from '../errors.js';
import { kernels, rt } from '../runtime.js';
import { shapesEqual } from '../shape.js';
import { itemSize, Tensor, type TensorLike } from '../tensor.js';
import { gemm as gemm32, gemm64, threadCount } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { checkOptions, releaseIfNew, withOperands } from './operands.js';

/** Checks xg, hg [n, gates·H] and a state [n, H]; returns [n, H]. */
function cellShapes(op: string, gates: number, xg: Tensor, hg: Tensor, state: Tensor, stateName: string): [number, number] {
  for (const t of [xg, hg, state]) {
    if (t.dtype === 'int32') throw new DTypeError(`${op}: needs float32 or float64 operands, got int32 ${fmtShape(t.shape)}`);
  }
  if (state.rank !== 2) throw new ShapeError(`${op}: ${stateName} must be [n, hidden], got ${fmtShape(state.shape)}`);
  const [n, hidden] = state.shape as [number, number];
  const want = [n, gates * hidden];
  if (!shapesEqual(xg.shape, want) || !shapesEqual(hg.shape, want)) {
    throw new ShapeError(
      `${op}: xg and hg must be ${fmtShape(want)} (n, ${gates}·hidden) for ${stateName} ${fmtShape(state.shape)}, got ${fmtShape(xg.shape)} and ${fmtShape(hg.shape)}`,
    );
  }
  return [n, hidden];
}

/**
 * One LSTM time step in one kernel, gates in PyTorch's order i, f, g, o:
 * c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c'), where the gate pre-activations are xg + hg.
 * xg, hg are [n, 4·hidden] (the input and recurrent projections, biases in either), c is
 * [n, hidden]. Returns [2, n, hidden]: h' then c'.
 *
 * @example
 * ```ts
 * const hc = lstmCell(x.matmul(wIh, { transposeB: true }), h.matmul(wHh, { transposeB: true }), c);
 * ```
 */
export function lstmCell(xg: TensorLike, hg: TensorLike, c: TensorLike): Tensor {
  const op = 'lstmCell';
  return withOperands(op, [xg, hg, c], ([x, r, s]) => {
    const [n, hidden] = cellShapes(op, 4, x!, r!, s!, 'c');
    const dtype = floatType(x!, r!, s!);
    const out = new Tensor([2, n, hidden], dtype);
    if (out.size === 0) return out;
    const [fx, fr, fs] = [asFloat(x!, dtype), asFloat(r!, dtype), asFloat(s!, dtype)];
    const kernel = dtype === 'float64' ? kernels().rnn_lstm_cell_f64 : kernels().rnn_lstm_cell_f32;
    kernel(fx.ptr(op), fr.ptr(op), fs.ptr(op), out.ptr(op), n, hidden);
    releaseIfNew(fx, x!);
    releaseIfNew(fr, r!);
    releaseIfNew(fs, s!);
    return out;
  });
}

/**
 * lstmCell's backward: from its inputs xg, hg, c, its output y [2, n, hidden] and the upstream
 * gradient gy [2, n, hidden] (of h' and c'), the gradient of the gate pre-activations [n, 4·hidden]
 * (xg's and hg's alike) and of c [n, hidden].
 */
export function lstmCellBackward(gy: Tensor, xg: Tensor, hg: Tensor, c: Tensor, y: Tensor): [Tensor, Tensor] {
  const op = 'lstmCellBackward';
  const [n, hidden] = cellShapes(op, 4, xg, hg, c, 'c');
  for (const [name, t] of [
    ['gy', gy],
    ['y', y],
  ] as const) {
    if (!shapesEqual(t.shape, [2, n, hidden]))
      throw new ShapeError(`${op}: ${name} must be [2, ${n}, ${hidden}], got ${fmtShape(t.shape)}`);
  }
  const dtype = floatType(gy, xg, hg, c, y);
  const dg = new Tensor(xg.shape, dtype);
  const dc = new Tensor(c.shape, dtype);
  if (dc.size === 0) return [dg, dc];
  const ins = [xg, hg, c, y, gy].map((t) => asFloat(t, dtype));
  const kernel = dtype === 'float64' ? kernels().rnn_lstm_cell_backward_f64 : kernels().rnn_lstm_cell_backward_f32;
  kernel(ins[0]!.ptr(op), ins[1]!.ptr(op), ins[2]!.ptr(op), ins[3]!.ptr(op), ins[4]!.ptr(op), dg.ptr(op), dc.ptr(op), n, hidden);
  for (const [i, t] of [xg, hg, c, y, gy].entries()) releaseIfNew(ins[i]!, t);
  return [dg, dc];
}

/**
 * One GRU time step in one kernel, gates in PyTorch's order r, z, n:
 * n = tanh(x_n + σ(r)⊙h_n), h' = (1 − σ(z))⊙n + σ(z)⊙h, with r, z from xg + hg. xg = x·W_ihᵀ + b_ih
 * and hg = h·W_hhᵀ + b_hh, both [n, 3·hidden] (b_hn must be in hg: it sits inside r⊙(·), as in
 * PyTorch). h is [n, hidden]; returns h' [n, hidden].
 *
 * @example
 * ```ts
 * const h1 = gruCell(x.matmul(wIh, { transposeB: true }).add(bIh), h.matmul(wHh, { transposeB: true }).add(bHh), h);
 * ```
 */
export function gruCell(xg: TensorLike, hg: TensorLike, h: TensorLike): Tensor {
  const op = 'gruCell';
  return withOperands(op, [xg, hg, h], ([x, r, s]) => {
    const [n, hidden] = cellShapes(op, 3, x!, r!, s!, 'h');
    const dtype = floatType(x!, r!, s!);
    const out = new Tensor([n, hidden], dtype);
    if (out.size === 0) return out;
    const [fx, fr, fs] = [asFloat(x!, dtype), asFloat(r!, dtype), asFloat(s!, dtype)];
    const kernel = dtype === 'float64' ? kernels().rnn_gru_cell_f64 : kernels().rnn_gru_cell_f32;
    kernel(fx.ptr(op), fr.ptr(op), fs.ptr(op), out.ptr(op), n, hidden);
    releaseIfNew(fx, x!);
    releaseIfNew(fr, r!);
    releaseIfNew(fs, s!);
    return out;
  });
}

/**
 * gruCell's backward: from its inputs xg, hg, h and the upstream gradient gy [n, hidden], the
 * gradients of xg and hg [n, 3·hidden] and of h [n, hidden].
 */
export function gruCellBackward(gy: Tensor, xg: Tensor, hg: Tensor, h: Tensor): [Tensor, Tensor, Tensor] {
  const op = 'gruCellBackward';
  const [n, hidden] = cellShapes(op, 3, xg, hg, h, 'h');
  if (!shapesEqual(gy.shape, h.shape)) throw new ShapeError(`${op}: gy must be ${fmtShape(h.shape)}, got ${fmtShape(gy.shape)}`);
  const dtype = floatType(gy, xg, hg, h);
  const dxg = new Tensor(xg.shape, dtype);
  const dhg = new Tensor(hg.shape, dtype);
  const dh = new Tensor(h.shape, dtype);
  if (dh.size === 0) return [dxg, dhg, dh];
  const ins = [xg, hg, h, gy].map((t) => asFloat(t, dtype));
  const kernel = dtype === 'float64' ? kernels().rnn_gru_cell_backward_f64 : kernels().rnn_gru_cell_backward_f32;
  kernel(ins[0]!.ptr(op), ins[1]!.ptr(op), ins[2]!.ptr(op), ins[3]!.ptr(op), dxg.ptr(op), dhg.ptr(op), dh.ptr(op), n, hidden);
  for (const [i, t] of [xg, hg, h, gy].entries()) releaseIfNew(ins[i]!, t);
  return [dxg, dhg, dh];
}

// ── LSTM over a whole sequence ────────────────────────────────────────────
/** Options of lstmSequence. */
export interface LstmSequenceOptions {
  /** Run the steps from the last to the first (the reverse direction of a bidirectional LSTM). */
  reverse?: boolean;
}

/** Checks lstmSequence's operands; returns [steps, n, hidden]. */
function sequenceShapes(op: string, xg: Tensor, whh: Tensor, h0: Tensor, c0: Tensor): [number, number, number] {
  for (const t of [xg, whh, h0, c0]) {
    if (t.dtype === 'int32') throw new DTypeError(`${op}: needs float32 or float64 operands, got int32 ${fmtShape(t.shape)}`);
  }
  if (h0.rank !== 2) throw new ShapeError(`${op}: h0 must be [n, hidden], got ${fmtShape(h0.shape)}`);
  const [n, hidden] = h0.shape as [number, number];
  if (!shapesEqual(c0.shape, h0.shape)) throw new ShapeError(`${op}: c0 must be ${fmtShape(h0.shape)} as h0, got ${fmtShape(c0.shape)}`);
  if (!shapesEqual(whh.shape, [4 * hidden, hidden]))
    throw new ShapeError(`${op}: whh must be [${4 * hidden}, ${hidden}] (4·hidden, hidden), got ${fmtShape(whh.shape)}`);
  if (xg.rank !== 3 || xg.shape[1] !== n || xg.shape[2] !== 4 * hidden)
    throw new ShapeError(`${op}: xg must be [steps, ${n}, ${4 * hidden}] (steps, n, 4·hidden), got ${fmtShape(xg.shape)}`);
  return [xg.shape[0]!, n, hidden];
}

/** The product of every step by one matrix op(B) [k×n]: c [m×n] = a [m×k]·op(B), and what frees its memory. */
interface StepProducts {
  product(a: number, m: number, c: number): void;
  done(): void;
}

/**
 * Products by op(B) at every step of a sequence. On one thread B is packed once for all of them
 * (gemm_pack_b), where each plain product would repack it; on more, each product is split across
 * the threads by gemm. The choice is made when the op runs (a recording keeps it).
 */
function stepProducts(op: string, dtype: 'float32' | 'float64', transB: 0 | 1, b: number, k: number, n: number): StepProducts {
  const work = rt().gemmWork;
  const ldb = transB ? k : n;
  if (threadCount() > 1) {
    const gemm = dtype === 'float64' ? gemm64 : gemm32;
    return { product: (a, m, c) => gemm(0, transB, m, n, k, a, k, b, ldb, c, n, 0, work), done: () => {} };
  }
  const K = kernels();
  // k·⌈n/8⌉·8 elements: the packed panels of either element type
  const packed = new Tensor([k * Math.ceil(n / 8) * 8], dtype);
  const p = packed.ptr(op);
  (dtype === 'float64' ? K.gemm_pack_b_f64 : K.gemm_pack_b_f32)(transB, b, ldb, k, n, p);
  const run = dtype === 'float64' ? K.gemm_packed_f64 : K.gemm_packed_f32;
  return { product: (a, m, c) => run(0, m, n, k, a, k, p, c, n, 0, work), done: () => packed.dispose() };
}

/**
 * An LSTM layer's recurrence over a whole sequence in one op, gates in PyTorch's order i, f, g, o:
 * for each step t (from the last with `reverse`), a_t = xg_t + h_{t−1}·W_hhᵀ,
 * c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g), h_t = σ(o)⊙tanh(c_t), from h0, c0 [n, hidden]. xg [steps, n,
 * 4·hidden] is the input projection of every step (x·W_ihᵀ + biases, one product for the whole
 * sequence), whh [4·hidden, hidden]. Returns [2, steps, n, hidden]: every h_t, then every c_t.
 * Each step runs one matrix product and one fused cell kernel; the gate activations are kept
 * with the result (in its memory, past its last element) for lstmSequenceBackward.
 *
 * @example
 * ```ts
 * const hc = lstmSequence(x.reshape([steps * n, inF]).matmul(wIh, { transposeB: true }).reshape([steps, n, 4 * H]), wHh, h0, c0);
 * ```
 */
export function lstmSequence(xg: TensorLike, whh: TensorLike, h0: TensorLike, c0: TensorLike, options: LstmSequenceOptions = {}): Tensor {
  const op = 'lstmSequence';
  const { reverse = false } = checkOptions(op, options, ['reverse']);
  if (typeof reverse !== 'boolean') throw new ValueError(`${op}: reverse must be true or false, got ${String(reverse)}`);
  return withOperands(op, [xg, whh, h0, c0], ([x, w, h, c]) => {
    const [steps, n, hidden] = sequenceShapes(op, x!, w!, h!, c!);
    const dtype = floatType(x!, w!, h!, c!);
    const state = steps * n * hidden;
    // one block: the result, then the gate activations of every step [steps, n, 4·hidden]
    const block = new Tensor([6 * state], dtype);
    const out = new Tensor([2, steps, n, hidden], dtype, block.storage);
    block.dispose();
    if (state === 0) return out;
    const ins = [x!, w!, h!, c!].map((t) => asFloat(t, dtype));
    const b = itemSize(dtype);
    const [px, pw, ph, pc] = ins.map((t) => t.ptr(op)) as [number, number, number, number];
    const po = out.ptr(op);
    const acts = po + 2 * state * b;
    const step = n * hidden * b;
    const cell = dtype === 'float64' ? kernels().rnn_lstm_seq_cell_f64 : kernels().rnn_lstm_seq_cell_f32;
    // h·W_hhᵀ at every step
    const recurrent = stepProducts(op, dtype, 1, pw, hidden, 4 * hidden);
    for (let i = 0; i < steps; i++) {
      const t = reverse ? steps - 1 - i : i;
      const prev = reverse ? t + 1 : t - 1;
      const hPrev = i === 0 ? ph : po + prev * step;
      const cPrev = i === 0 ? pc : po + (steps + prev) * step;
      const r = acts + 4 * t * step;
      recurrent.product(hPrev, n, r);
      cell(px + 4 * t * step, r, cPrev, po + t * step, po + (steps + t) * step, n, hidden);
    }
    recurrent.done();
    for (const [i, t] of [x!, w!, h!, c!].entries()) releaseIfNew(ins[i]!, t);
    return out;
  });
}

/** What lstmSequenceBackward computes besides xg's gradient (each skipped when false). */
export interface LstmSequenceNeeds {
  /** whh's gradient. */
  whh: boolean;
  /** h0's gradient. */
  h0: boolean;
  /** c0's gradient. */
  c0: boolean;
}

/**
 * lstmSequence's backward (backpropagation through time): from its inputs, its output y (with the
 * gate activations it keeps) and the upstream gradient gy [2, steps, n, hidden] (of every h_t and
 * c_t), the gradients [xg's, whh's, h0's, c0's] (null where `needs` says none). Each step runs the
 * fused cell backward and one product for h_{t−1}'s gradient, writing its gate gradient into one
 * [steps, n, 4·hidden] buffer (xg's gradient); whh's gradient is then one product over all steps.
 */
export function lstmSequenceBackward(
  gy: Tensor,
  whh: Tensor,
  h0: Tensor,
  c0: Tensor,
  y: Tensor,
  reverse: boolean,
  needs: LstmSequenceNeeds,
): [Tensor, Tensor | null, Tensor | null, Tensor | null] {
  const op = 'lstmSequenceBackward';
  if (h0.rank !== 2) throw new ShapeError(`${op}: h0 must be [n, hidden], got ${fmtShape(h0.shape)}`);
  const [n, hidden] = h0.shape as [number, number];
  if (y.rank !== 4 || y.shape[0] !== 2 || y.shape[2] !== n || y.shape[3] !== hidden)
    throw new ShapeError(`${op}: y must be [2, steps, ${n}, ${hidden}], got ${fmtShape(y.shape)}`);
  const steps = y.shape[1]!;
  const xgShape = [steps, n, 4 * hidden];
  if (y.dtype === 'int32') throw new DTypeError(`${op}: needs float32 or float64 operands, got int32 ${fmtShape(y.shape)}`);
  if (!shapesEqual(whh.shape, [4 * hidden, hidden]) || !shapesEqual(c0.shape, h0.shape))
    throw new ShapeError(
      `${op}: whh must be [${4 * hidden}, ${hidden}] and c0 ${fmtShape(h0.shape)} for h0 ${fmtShape(h0.shape)}, got ${fmtShape(whh.shape)} and ${fmtShape(c0.shape)}`,
    );
  if (!shapesEqual(gy.shape, y.shape)) throw new ShapeError(`${op}: gy must be ${fmtShape(y.shape)}, got ${fmtShape(gy.shape)}`);
  const dtype = y.dtype as 'float32' | 'float64';
  const b = itemSize(dtype);
  const state = steps * n * hidden;
  if (y.storage.bytes < 6 * state * b)
    throw new StateError(`${op}: y ${fmtShape(y.shape)} is not an output of lstmSequence (it holds no gate activations)`);
  const dg = new Tensor(xgShape, dtype);
  const dw = needs.whh ? new Tensor(whh.shape, dtype) : null;
  const dh = new Tensor([n, hidden], dtype);
  const dc = new Tensor([n, hidden], dtype);
  if (state === 0) {
    if (dw) fillInPlace(dw, 0);
    fillInPlace(dh, 0);
    fillInPlace(dc, 0);
    return [dg, dw, wanted(dh, needs.h0), wanted(dc, needs.c0)];
  }
  fillInPlace(dh, 0);
  fillInPlace(dc, 0);
  const ins = [gy, whh, h0, c0].map((t) => asFloat(t, dtype));
  const [pg, pw, ph, pc] = ins.map((t) => t.ptr(op)) as [number, number, number, number];
  const po = y.ptr(op);
  const acts = po + 2 * state * b;
  const pd = dg.ptr(op);
  const [pdh, pdc] = [dh.ptr(op), dc.ptr(op)];
  const step = n * hidden * b;
  const gemm = dtype === 'float64' ? gemm64 : gemm32;
  const cell = dtype === 'float64' ? kernels().rnn_lstm_seq_cell_backward_f64 : kernels().rnn_lstm_seq_cell_backward_f32;
  const work = rt().gemmWork;
  // dg_t·W_hh at every step
  const recurrent = stepProducts(op, dtype, 0, pw, 4 * hidden, hidden);
  for (let i = steps - 1; i >= 0; i--) {
    const t = reverse ? steps - 1 - i : i;
    const prev = reverse ? t + 1 : t - 1;
    const cPrev = i === 0 ? pc : po + (steps + prev) * step;
    cell(
      acts + 4 * t * step,
      cPrev,
      po + (steps + t) * step,
      pg + t * step,
      pdh,
      pg + (steps + t) * step,
      pdc,
      pd + 4 * t * step,
      n,
      hidden,
    );
    // h_{t−1}'s gradient dg_t·W_hh, carried to the step before (h0's after the first)
    if (i > 0 || needs.h0) recurrent.product(pd + 4 * t * step, n, pdh);
  }
  recurrent.done();
  if (dw) {
    // dW_hh = Σ_t dg_tᵀ·h_{t−1}: the steps after the first read h_{t−1} from y, as one product
    const pdw = dw.ptr(op);
    const first = reverse ? steps - 1 : 0;
    if (steps > 1) {
      const [gFrom, hFrom] = reverse ? [pd, po + step] : [pd + 4 * step, po];
      gemm(1, 0, 4 * hidden, hidden, (steps - 1) * n, gFrom, 4 * hidden, hFrom, hidden, pdw, hidden, 0, work);
    }
    gemm(1, 0, 4 * hidden, hidden, n, pd + 4 * first * step, 4 * hidden, ph, hidden, pdw, hidden, steps > 1 ? 1 : 0, work);
  }
  for (const [i, t] of [gy, whh, h0, c0].entries()) releaseIfNew(ins[i]!, t);
  return [dg, dw, wanted(dh, needs.h0), wanted(dc, needs.c0)];
}

/** t when wanted, else null (t freed). */
function wanted(t: Tensor, want: boolean): Tensor | null {
  if (want) return t;
  t.dispose();
  return null;
}
