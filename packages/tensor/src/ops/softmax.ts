// Softmax, log-softmax and log-sum-exp, stable, and their backward (assembly/softmax.ts); softmax
// cross-entropy from logits fused, forward and backward.
import { fromData } from '../creation.js';
import { DTypeError, fmtShape, IndexError, ShapeError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { firstOutOfRange, kernels, replayedCheck } from '../runtime.js';
import { normalizeAxis, shapesEqual, splitAt } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { splitRows } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { operand, releaseIfNew, withOperands } from './operands.js';
import { dropAxes } from './reduce.js';

// ── softmax family ────────────────────────────────────────────────────────
function softmaxFamily(op: string, mode: number, x: TensorLike, axis: number, keepDims: boolean): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError(`${op}: needs rank ≥ 1, got a scalar`);
    const ax = normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(t!.shape, ax);
    const lse = mode === C.SM_LOGSUMEXP;
    const shape = lse ? (keepDims ? t!.shape.map((d, i) => (i === ax ? 1 : d)) : dropAxes(t!.shape, [ax])) : t!.shape;
    const dtype = floatType(t!);
    const out = new Tensor(shape, dtype);
    if (len === 0) {
      fillInPlace(out, Number.NEGATIVE_INFINITY);
      return out;
    }
    const src = asFloat(t!, dtype);
    const kernel = dtype === 'float64' ? kernels().softmax_f64 : kernels().softmax_f32;
    if (out.size > 0) kernel(mode, src.ptr(op), out.ptr(op), outer, len, inner);
    releaseIfNew(src, t!);
    return out;
  });
}

/** Stable softmax along `axis`. */
export const softmax = (x: TensorLike, axis = -1): Tensor => softmaxFamily('softmax', C.SM_SOFTMAX, x, axis, false);
/** Stable log-softmax along `axis`. */
export const logSoftmax = (x: TensorLike, axis = -1): Tensor => softmaxFamily('logSoftmax', C.SM_LOG_SOFTMAX, x, axis, false);
/** Stable log Σ exp along `axis`. */
export const logSumExp = (x: TensorLike, axis = -1, keepDims = false): Tensor =>
  softmaxFamily('logSumExp', C.SM_LOGSUMEXP, x, axis, keepDims);

/**
 * Gradient helper for softmax (log = false) or log-softmax (log = true): given the forward
 * output y and the upstream gradient dy, returns dx.
 */
export function softmaxBackward(y: Tensor, dy: Tensor, axis: number, log: boolean): Tensor {
  const op = log ? 'logSoftmaxBackward' : 'softmaxBackward';
  if (!shapesEqual(y.shape, dy.shape)) throw new ShapeError(`${op}: y ${fmtShape(y.shape)} and dy ${fmtShape(dy.shape)} differ`);
  const ax = normalizeAxis(op, axis, y.rank);
  const [outer, len, inner] = splitAt(y.shape, ax);
  const dtype = floatType(y, dy);
  const out = new Tensor(y.shape, dtype);
  const fy = asFloat(y, dtype);
  const fdy = asFloat(dy, dtype);
  if (out.size > 0) {
    const kernel = dtype === 'float64' ? kernels().softmax_backward_f64 : kernels().softmax_backward_f32;
    kernel(log ? C.SM_LOG_SOFTMAX : C.SM_SOFTMAX, fy.ptr(op), fdy.ptr(op), out.ptr(op), outer, len, inner);
  }
  releaseIfNew(fy, y);
  releaseIfNew(fdy, dy);
  return out;
}

// ── softmax cross-entropy from logits ─────────────────────────────────────
/** Checks logits [N, C] (float) and int32 class ids [N] in [0, C); returns [N, C]. */
function crossEntropyShapes(op: string, x: Tensor, targets: Tensor): [number, number] {
  if (x.rank !== 2) throw new ShapeError(`${op}: logits must be [N, C], got ${fmtShape(x.shape)}`);
  const [n, c] = x.shape as [number, number];
  if (targets.dtype !== 'int32') throw new DTypeError(`${op}: class ids must be int32, got ${targets.dtype} ${fmtShape(targets.shape)}`);
  if (!shapesEqual(targets.shape, [n])) {
    throw new ShapeError(`${op}: class ids ${fmtShape(targets.shape)} do not match logits ${fmtShape(x.shape)} (expected [${n}])`);
  }
  // a value check: record() replays it, so a replayed step checks the ids it then finds
  const ptr = targets.ptr(op);
  replayedCheck(() => {
    const bad = firstOutOfRange(ptr, n, c);
    if (bad)
      throw new IndexError(`${op}: class id ${bad.value} at position ${bad.index} is out of range for ${c} classes (expected 0..${c - 1})`);
  });
  return [n, c];
}

/**
 * Softmax cross-entropy of logits x [N, C] at int32 class ids [N], fused: one pass over each row
 * finds its log-sum-exp (the stable form: the row's maximum subtracted before exponentiating) and
 * picks the class's logit. Returns [2, N]: each row's loss −log softmax(x)ᵧ = lse − xᵧ, then its
 * lse, which the backward reads. A +∞ or NaN logit makes its row's loss NaN, an all −∞ row too,
 * and a −∞ logit at the class id makes it +∞, as PyTorch's cross_entropy. Large batches are
 * split by rows across the active threads (bit-identical to one thread).
 *
 * @example
 * ```ts
 * const [loss, lse] = softmaxCrossEntropy(tensor([[2, 0, 0]]), tensor([0], { dtype: 'int32' })).data();
 * // loss = log(e² + 2) − 2 ≈ 0.2395, lse = log(e² + 2) ≈ 2.2395
 * ```
 */
export function softmaxCrossEntropy(x: TensorLike, targets: TensorLike): Tensor {
  const op = 'softmaxCrossEntropy';
  return withOperands(op, [x], ([t]) => {
    // class ids given as JS data are int32, as gather's indices
    const ids = targets instanceof Tensor ? operand(op, targets) : { t: fromData(op, targets, 'int32'), owned: true };
    try {
      const y = ids.t;
      const [n, c] = crossEntropyShapes(op, t!, y);
      const dtype = floatType(t!);
      const out = new Tensor([2, n], dtype);
      if (n === 0) return out;
      const src = asFloat(t!, dtype);
      const b = dtype === 'float64' ? 8 : 4;
      const at = out.ptr(op);
      splitRows('softmax_ce', [src.ptr(op), y.ptr(op), at, at + n * b], [c * b, 4, b, b], n, c, b);
      releaseIfNew(src, t!);
      return out;
    } finally {
      if (ids.owned) ids.t.dispose();
    }
  });
}

/**
 * softmaxCrossEntropy's backward: from the logits x [N, C], the class ids, its output [2, N]
 * (loss, lse) and the upstream gradient g [2, N] (of the loss and of the lse), one pass over each
 * row: dx = softmax(x)·(g_loss + g_lse) − onehot(y)·g_loss, softmax read as exp(x − lse).
 */
export function softmaxCrossEntropyBackward(x: Tensor, targets: Tensor, out: Tensor, g: Tensor): Tensor {
  const op = 'softmaxCrossEntropyBackward';
  const [n, c] = crossEntropyShapes(op, x, targets);
  for (const [name, t] of [
    ['output', out],
    ['g', g],
  ] as const) {
    if (!shapesEqual(t.shape, [2, n])) throw new ShapeError(`${op}: ${name} must be [2, ${n}], got ${fmtShape(t.shape)}`);
  }
  const dtype = floatType(x, out, g);
  const dx = new Tensor(x.shape, dtype);
  if (dx.size === 0) return dx;
  const ins = [x, out, g].map((t) => asFloat(t, dtype));
  const b = dtype === 'float64' ? 8 : 4;
  const [px, po, pg] = ins.map((t) => t.ptr(op)) as [number, number, number];
  splitRows('softmax_ce_backward', [px, targets.ptr(op), po + n * b, pg, pg + n * b, dx.ptr(op)], [c * b, 4, b, b, b, c * b], n, c, b);
  for (const [i, t] of [x, out, g].entries()) releaseIfNew(ins[i]!, t);
  return dx;
}
