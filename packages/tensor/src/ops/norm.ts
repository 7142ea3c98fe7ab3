// Layer normalisation in one kernel, and its backward in two (assembly/norm.ts): the composed form
// (mean, sub, square, mean, add, sqrt, div, mul, add) made nine passes over the activations
// forward and about twenty backward.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { kernels } from '../runtime.js';
import { shapesEqual, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { splitRange, splitsAbove } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { checkOptions, releaseIfNew, withOperands } from './operands.js';

/** Options of layerNorm: the elementwise affine parameters and eps, as PyTorch's `F.layer_norm`. */
export interface LayerNormOptions {
  /** Scale of the normalised shape (default: none, i.e. 1). */
  weight?: TensorLike | null;
  /** Shift of the normalised shape (default: none, i.e. 0). */
  bias?: TensorLike | null;
  /** Added to the variance (default 1e-5). */
  eps?: number;
}

/** The trailing shape normalised over, checked against x's shape; returns its size. */
function normalizedSize(op: string, x: Tensor, normalizedShape: number | readonly number[]): number {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
  if (!Array.isArray(shape) || shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) {
    throw new ValueError(`${op}: normalizedShape must be a positive integer or a non-empty array of them, got ${String(normalizedShape)}`);
  }
  const k = shape.length;
  if (x.rank < k || !shapesEqual(x.shape.slice(x.rank - k), shape)) {
    throw new ShapeError(`${op}: input ${fmtShape(x.shape)} does not end in the normalized shape ${fmtShape(shape)}`);
  }
  return sizeOf(shape);
}

function checkEps(op: string, eps: unknown): number {
  if (typeof eps !== 'number' || !(eps >= 0) || !Number.isFinite(eps))
    throw new ValueError(`${op}: eps must be a finite number ≥ 0, got ${String(eps)}`);
  return eps;
}

/**
 * Layer normalisation over the trailing `normalizedShape` of x (PyTorch's `F.layer_norm`):
 * y = (x − μ)/√(σ² + eps)·weight + bias, μ and σ² the mean and biased variance of each slice, in
 * one pass of one kernel. weight and bias have the normalised shape; either may be omitted.
 *
 * @example
 * ```ts
 * layerNorm(tensor([[1, 2, 3]]), 3).toArray(); // [[-1.2247, 0, 1.2247]]
 * ```
 */
export function layerNorm(x: TensorLike, normalizedShape: number | readonly number[], options: LayerNormOptions = {}): Tensor {
  const op = 'layerNorm';
  options = checkOptions(op, options, ['weight', 'bias', 'eps']);
  const eps = checkEps(op, options.eps ?? 1e-5);
  const weight = options.weight ?? null;
  const bias = options.bias ?? null;
  const operands = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  return withOperands(op, operands, ([t, ...ps]) => {
    if (t!.dtype === 'int32') throw new DTypeError(`${op}: needs a float32 or float64 input, got int32 ${fmtShape(t!.shape)}`);
    const n = normalizedSize(op, t!, normalizedShape);
    const tail = t!.shape.slice(t!.rank - (typeof normalizedShape === 'number' ? 1 : normalizedShape.length));
    const w = weight === null ? null : ps[0]!;
    const b = bias === null ? null : ps[weight === null ? 0 : 1]!;
    for (const [name, p] of [
      ['weight', w],
      ['bias', b],
    ] as const) {
      if (p && p.dtype === 'int32') throw new DTypeError(`${op}: ${name} must be float32 or float64, got int32 ${fmtShape(p.shape)}`);
      if (p && !shapesEqual(p.shape, tail)) throw new ShapeError(`${op}: ${name} must be ${fmtShape(tail)}, got ${fmtShape(p.shape)}`);
    }
    const dtype = floatType(t!, ...ps);
    const out = new Tensor(t!.shape, dtype);
    if (out.size === 0) return out;
    // a missing weight is 1 and a missing bias 0; both missing skip the affine step
    const affine = w !== null || b !== null;
    const fx = asFloat(t!, dtype);
    const fw = w ? asFloat(w, dtype) : affine ? fillInPlace(new Tensor(tail, dtype), 1) : null;
    const fb = b ? asFloat(b, dtype) : affine ? fillInPlace(new Tensor(tail, dtype), 0) : null;
    const [px, pw, pb, py] = [fx.ptr(op), fw ? fw.ptr(op) : 0, fb ? fb.ptr(op) : 0, out.ptr(op)];
    const rows = out.size / n;
    const bytes = dtype === 'float64' ? 8 : 4;
    if (splitsAbove(out.size)) {
      splitRange('norm_layer', bytes, rows, out.size, 1, 0, (s, c) => [
        px + s * n * bytes,
        pw,
        pb,
        py + s * n * bytes,
        c,
        n,
        eps,
        affine ? 1 : 0,
      ]);
    } else (dtype === 'float64' ? kernels().norm_layer_f64 : kernels().norm_layer_f32)(px, pw, pb, py, rows, n, eps, affine ? 1 : 0);
    releaseIfNew(fx, t!);
    if (fw && fw !== w) fw.dispose();
    if (fb && fb !== b) fb.dispose();
    return out;
  });
}

/**
 * layerNorm's backward: from the upstream gradient g, the input x, the weight (or null) and eps,
 * the gradients of x, of the weight and of the bias (each null when not `wanted`). The row
 * statistics are recomputed from x.
 */
export function layerNormBackward(
  g: Tensor,
  x: Tensor,
  weight: Tensor | null,
  normalizedShape: readonly number[],
  eps: number,
  wanted: { weight: boolean; bias: boolean },
): [Tensor, Tensor | null, Tensor | null] {
  const op = 'layerNormBackward';
  if (!shapesEqual(g.shape, x.shape)) throw new ShapeError(`${op}: g ${fmtShape(g.shape)} and x ${fmtShape(x.shape)} differ`);
  const n = normalizedSize(op, x, normalizedShape);
  const dtype = floatType(g, x, ...(weight ? [weight] : []));
  const dx = new Tensor(x.shape, dtype);
  const rows = x.size / n;
  const dw = wanted.weight ? new Tensor(normalizedShape, dtype) : null;
  const db = wanted.bias ? new Tensor(normalizedShape, dtype) : null;
  if (dx.size === 0) {
    for (const t of [dw, db]) if (t) fillInPlace(t, 0);
    return [dx, dw, db];
  }
  const fg = asFloat(g, dtype);
  const fx = asFloat(x, dtype);
  const fw = weight ? asFloat(weight, dtype) : null;
  const stats = new Tensor([rows, 2], dtype);
  const K = kernels();
  const bytes = dtype === 'float64' ? 8 : 4;
  const [pg, px, pw, pd, ps] = [fg.ptr(op), fx.ptr(op), fw ? fw.ptr(op) : 0, dx.ptr(op), stats.ptr(op)];
  const affine = fw ? 1 : 0;
  // by rows: each row's gradient and statistics are its own
  if (splitsAbove(dx.size)) {
    splitRange('norm_layer_backward', bytes, rows, dx.size, 1, 0, (s, c) => [
      pg + s * n * bytes,
      px + s * n * bytes,
      pw,
      pd + s * n * bytes,
      ps + 2 * s * bytes,
      c,
      n,
      eps,
      affine,
    ]);
  } else (dtype === 'float64' ? K.norm_layer_backward_f64 : K.norm_layer_backward_f32)(pg, px, pw, pd, ps, rows, n, eps, affine);
  if (dw || db) {
    // the weight's gradient is the costlier of the two; a bias alone still needs a place for it
    const w = dw ?? new Tensor(normalizedShape, dtype);
    const b = db ?? new Tensor(normalizedShape, dtype);
    const [pdw, pdb] = [w.ptr(op), b.ptr(op)];
    // by columns (of 4, one vector): each column sums its rows in the same order in any part
    if (splitsAbove(dx.size) && n >= 8) {
      splitRange('norm_layer_affine_grad', bytes, n, dx.size, 4, 0, (s, c) => [
        pg + s * bytes,
        px + s * bytes,
        ps,
        pdw + s * bytes,
        pdb + s * bytes,
        rows,
        c,
        n,
      ]);
    } else (dtype === 'float64' ? K.norm_layer_affine_grad_f64 : K.norm_layer_affine_grad_f32)(pg, px, ps, pdw, pdb, rows, n, n);
    if (!dw) w.dispose();
    if (!db) b.dispose();
  }
  stats.dispose();
  releaseIfNew(fg, g);
  releaseIfNew(fx, x);
  if (fw) releaseIfNew(fw, weight!);
  return [dx, dw, db];
}
