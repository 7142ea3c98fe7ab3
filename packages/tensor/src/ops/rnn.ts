// Fused recurrent cells (assembly/rnn.ts): one kernel does a time step's gate math, one its
// backward. The caller computes the two projections with matmul: xg = x·W_ihᵀ (+ biases) and
// hg = h·W_hhᵀ, gates in PyTorch's order (LSTM i, f, g, o; GRU r, z, n).
import { DTypeError, fmtShape, ShapeError } from '../errors.js';
import { kernels } from '../runtime.js';
import { shapesEqual } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
import { releaseIfNew, withOperands } from './operands.js';

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
