// Softmax, log-softmax and log-sum-exp, stable, and their backward (assembly/softmax.ts).
import { fmtShape, ShapeError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { kernels } from '../runtime.js';
import { normalizeAxis, shapesEqual, splitAt } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { releaseIfNew, withOperands } from './operands.js';
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
