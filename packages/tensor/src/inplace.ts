// In-place updates for optimizers and training loops: the only ops that write into an existing
// tensor. Each checks shapes and dtypes, then makes one fused kernel pass.
import { DTypeError, fmtShape, ShapeError, ValueError } from './errors.js';
import { UN_AFFINE, UN_CLAMP } from './generated/opcodes.js';
import { copyBytes, kernels } from './runtime.js';
import { shapesEqual } from './shape.js';
import { itemSize, Tensor } from './tensor.js';
import { splitUpdate, type UpdateKernel } from './threads.js';

function sameLayout(op: string, ...ts: Tensor[]): number {
  for (const t of ts as unknown[]) {
    if (!(t instanceof Tensor)) {
      const got = t === null ? 'null' : typeof t === 'object' ? (t.constructor?.name ?? 'an object') : typeof t;
      throw new ValueError(`${op}: expected float32 or float64 tensors, got ${got}`);
    }
  }
  const first = ts[0]!;
  for (const t of ts) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${op}: needs float32 or float64 tensors, got ${t.dtype}`);
    if (t.dtype !== first.dtype) {
      throw new DTypeError(`${op}: tensors must share one dtype, got ${ts.map((x) => x.dtype).join(', ')}`);
    }
    if (t.size !== first.size || !shapesEqual(t.shape, first.shape)) {
      throw new ShapeError(`${op}: shapes ${ts.map((x) => fmtShape(x.shape)).join(', ')} must all be equal`);
    }
    t.ptr(op);
  }
  return first.size;
}

/**
 * Checks the tensors (sameLayout) and runs an optimizer kernel, float32 or float64, on their
 * pointers, their common size and `rest`: split across the threads when the tensors are large.
 */
function update(op: string, ts: Tensor[], kernel: UpdateKernel, ...rest: number[]): void {
  const n = sameLayout(op, ...ts);
  const f64 = ts[0]!.dtype === 'float64';
  splitUpdate(
    kernel,
    ts.map((t) => t.ptr(op)),
    n,
    f64 ? 8 : 4,
    rest,
  );
}

/** x ← f(x) in place for a unary op code with its two parameters. */
function unaryInPlace(op: string, code: number, x: Tensor, p0: number, p1: number): void {
  const n = sameLayout(op, x);
  const ptr = x.ptr(op);
  (x.dtype === 'float64' ? kernels().ew_unary_f64 : kernels().ew_unary_f32)(code, ptr, ptr, n, p0, p1);
}

/** p ← p + alpha·g, in place. @example `axpyInPlace(w, grad, -0.1) // w ← w − 0.1·grad` */
export function axpyInPlace(p: Tensor, g: Tensor, alpha: number): void {
  if (typeof alpha !== 'number') throw new ValueError(`axpyInPlace: alpha must be a number, got ${alpha === null ? 'null' : typeof alpha}`);
  update('axpyInPlace', [p, g], 'opt_axpy', alpha);
}

/** Σ x² of a float tensor, accumulated in float64. @example `Math.sqrt(sumOfSquares(grad))` */
export function sumOfSquares(x: Tensor): number {
  const n = sameLayout('sumOfSquares', x);
  return (x.dtype === 'float64' ? kernels().sum_squares_f64 : kernels().sum_squares_f32)(x.ptr('sumOfSquares'), n);
}

/**
 * Σ x²·scale as a scalar tensor of x's dtype, accumulated in float64 and rounded once — the value
 * sumOfSquares(x)·scale, computed without passing through JavaScript (so record() can replay it).
 */
export function sumOfSquaresScaled(x: Tensor, scale: number): Tensor {
  const n = sameLayout('sumOfSquaresScaled', x);
  const out = new Tensor([], x.dtype);
  (x.dtype === 'float64' ? kernels().sum_squares_scaled_f64 : kernels().sum_squares_scaled_f32)(
    x.ptr('sumOfSquaresScaled'),
    n,
    scale,
    out.ptr('sumOfSquaresScaled'),
  );
  return out;
}

/**
 * x ← x·(factor·s), in place, where s is a one-element tensor of x's dtype read by the kernel:
 * the same numbers as scaleInPlace(x, factor·s.item()), with no value passing through JavaScript.
 */
export function scaleByInPlace(x: Tensor, s: Tensor, factor: number): void {
  const n = sameLayout('scaleByInPlace', x);
  if (s.size !== 1 || s.dtype !== x.dtype) {
    throw new ShapeError(`scaleByInPlace: the scale must be one element of ${x.dtype}, got ${fmtShape(s.shape)} ${s.dtype}`);
  }
  (x.dtype === 'float64' ? kernels().ew_scale_by_f64 : kernels().ew_scale_by_f32)(
    x.ptr('scaleByInPlace'),
    n,
    s.ptr('scaleByInPlace'),
    factor,
  );
}

/** dst ← src (same shape and dtype), in place. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.dtype !== src.dtype || !shapesEqual(dst.shape, src.shape)) {
    throw new ShapeError(`copyInto: ${fmtShape(src.shape)} ${src.dtype} into ${fmtShape(dst.shape)} ${dst.dtype}`);
  }
  copyBytes(dst.ptr('copyInto'), src.ptr('copyInto'), src.size * itemSize(src.dtype));
}

/** x ← x·s, in place (float32 or float64). */
export function scaleInPlace(x: Tensor, s: number): void {
  unaryInPlace('scaleInPlace', UN_AFFINE, x, s, 0);
}

/** x ← clamp(x, lo, hi), in place (float32 or float64). */
export function clampInPlace(x: Tensor, lo: number, hi: number): void {
  unaryInPlace('clampInPlace', UN_CLAMP, x, lo, hi);
}

/** Hyper-parameters of sgdUpdate (PyTorch's SGD). */
export interface SGDHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
  /** The momentum buffer is uninitialised (first step): it starts as the gradient. */
  first: boolean;
}

/** One fused SGD step on parameter p with gradient g and momentum buffer buf. */
export function sgdUpdate(p: Tensor, g: Tensor, buf: Tensor, h: SGDHyper): void {
  update('sgdUpdate', [p, g, buf], 'opt_sgd', h.lr, h.momentum, h.dampening, h.weightDecay, h.nesterov ? 1 : 0, h.first ? 1 : 0);
}

/** Hyper-parameters of adamUpdate (PyTorch's Adam and AdamW). */
export interface AdamHyper {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW's decoupled weight decay. */
  decoupled: boolean;
  amsgrad: boolean;
  /** The step number t ≥ 1 (for bias correction). */
  step: number;
}

/** One fused Adam/AdamW step; vmax is used only with amsgrad. */
export function adamUpdate(p: Tensor, g: Tensor, m: Tensor, v: Tensor, vmax: Tensor, h: AdamHyper): void {
  update(
    'adamUpdate',
    [p, g, m, v, vmax],
    'opt_adam',
    h.lr,
    h.beta1,
    h.beta2,
    h.eps,
    h.weightDecay,
    h.decoupled ? 1 : 0,
    h.amsgrad ? 1 : 0,
    h.step,
  );
}

/** Hyper-parameters of rmspropUpdate (PyTorch's RMSprop). */
export interface RMSpropHyper {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  momentum: number;
  centered: boolean;
}

/** One fused RMSprop step with square average sq, momentum buffer buf and gradient average gavg. */
export function rmspropUpdate(p: Tensor, g: Tensor, sq: Tensor, buf: Tensor, gavg: Tensor, h: RMSpropHyper): void {
  update('rmspropUpdate', [p, g, sq, buf, gavg], 'opt_rmsprop', h.lr, h.alpha, h.eps, h.weightDecay, h.momentum, h.centered ? 1 : 0);
}

/** One fused Adagrad step with sum of squares `sum`; lr is the step's decayed rate. */
export function adagradUpdate(p: Tensor, g: Tensor, sum: Tensor, h: { lr: number; eps: number; weightDecay: number }): void {
  update('adagradUpdate', [p, g, sum], 'opt_adagrad', h.lr, h.eps, h.weightDecay);
}
