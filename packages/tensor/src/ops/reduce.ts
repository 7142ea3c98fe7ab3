// Reductions over axes, and arg-reductions (assembly/reduce.ts).
import { fmtShape, ValueError } from '../errors.js';
import { mul, sub } from '../generated/binary.js';
import * as C from '../generated/opcodes.js';
import { kernels, META_PTR, META_WORDS, readData, replayedCheck, rt } from '../runtime.js';
import { normalizeAxes, normalizeAxis, sizeOf, splitAt } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { splitRange, splitsAbove, workerScratchBytes } from '../threads.js';
import { asFloat, cast, floatType } from './cast.js';
import { sqrt, square } from './elementwise.js';
import { fillInPlace } from './fill.js';
import { releaseIfNew, withOperands } from './operands.js';

// ── reductions ────────────────────────────────────────────────────────────
/** Groups sorted axes into runs of consecutive axes, so each run is one kernel call. */
function axisRuns(axes: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  return runs;
}

export function dropAxes(shape: readonly number[], axes: number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function reduce(
  op: string,
  code: number,
  x: TensorLike,
  axis: number | readonly number[] | undefined,
  keepDims: boolean,
  mean: boolean,
): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (axis === undefined && t!.size > 0) return reduceAll(op, code, t!, keepDims ? t!.shape.map(() => 1) : [], mean);
    const axes = normalizeAxes(op, axis, t!.rank);
    const keptShape = t!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const finalShape = keepDims ? keptShape : dropAxes(t!.shape, axes);
    const count = sizeOf(axes.map((a) => t!.shape[a]!));
    if (count === 0 && code !== C.RED_SUM) {
      throw new ValueError(`${op}: cannot reduce ${fmtShape(t!.shape)} over an empty axis (no identity)`);
    }
    const float = t!.dtype !== 'int32' || mean;
    let cur = float ? asFloat(t!, floatType(t!)) : t!;
    if (count === 0 || sizeOf(finalShape) === 0) {
      const out = new Tensor(finalShape, cur.dtype);
      fillInPlace(out, mean ? Number.NaN : 0);
      releaseIfNew(cur, t!);
      return out;
    }
    const runs = axisRuns(axes).reverse();
    if (!float && code === C.RED_SUM && runs.length > 1) {
      // an int32 sum in one kernel call, so it is exact or an error whatever partial sums pass
      // through: the summed axes are moved last (one copy) and summed as one
      const kept = t!.shape.map((_, i) => i).filter((i) => !axes.includes(i));
      const moved = t!.transpose([...kept, ...axes]); // a method call: layout.ts imports this file
      const out = new Tensor(finalShape, 'int32');
      try {
        reduceKernel(op, code, moved, out, sizeOf(kept.map((a) => t!.shape[a]!)), count, 1, 1);
      } finally {
        moved.dispose();
      }
      return out;
    }
    // reduce the last run first so earlier axis numbers stay valid
    let shape = t!.shape.slice();
    for (const [lo, hi] of runs) {
      const outer = sizeOf(shape.slice(0, lo));
      const len = sizeOf(shape.slice(lo, hi));
      const inner = sizeOf(shape.slice(hi));
      shape = [...shape.slice(0, lo), ...shape.slice(lo, hi).map(() => 1), ...shape.slice(hi)];
      const next = new Tensor(shape, cur.dtype);
      try {
        reduceKernel(op, code, cur, next, outer, len, inner, mean ? 1 / len : 1);
      } finally {
        releaseIfNew(cur, t!);
      }
      cur = next;
    }
    const out = new Tensor(finalShape, cur.dtype, cur.storage);
    cur.dispose();
    return out;
  });
}

/**
 * The kernel of src's dtype: src viewed as [outer, len, inner] reduced into out. Float sums are
 * blocked and pairwise; an int32 sum is exact (int64 in the kernel), and one outside int32's range
 * is a ValueError (out is then disposed), never a wrapped number.
 */
function reduceKernel(op: string, code: number, src: Tensor, out: Tensor, outer: number, len: number, inner: number, scale: number): void {
  const K = kernels();
  const dtype = src.dtype;
  const intSum = code === C.RED_SUM && dtype === 'int32';
  // Scratch in the plan area, which no reduction uses for a plan: an int32 sum's status (16 bytes),
  // then the sum's work rows, whose size depends on the shape only (asked of the kernels untaped:
  // nothing a replay redoes). Work rows too big for the area get a tensor of their own.
  let workBytes = 0;
  if (code === C.RED_SUM) {
    const R = rt().kernels;
    workBytes = (dtype === 'float32' ? R.reduce_work_f32 : dtype === 'float64' ? R.reduce_work_f64 : R.reduce_work_i32)(len, inner);
  }
  const status = META_PTR;
  const own = workBytes > META_WORDS * 4 - 16 ? new Tensor([Math.ceil(workBytes / 4)], 'float32') : undefined;
  try {
    const work = own ? own.ptr(op) : workBytes > 0 ? META_PTR + 16 : 0;
    if (
      code === C.RED_SUM &&
      dtype !== 'int32' &&
      outer === 1 &&
      inner > 1 &&
      splitsAbove(len * inner) &&
      workBytes <= workerScratchBytes()
    ) {
      // a column sum (a bias gradient) split by columns across the threads: each column's sum is
      // the same arithmetic in any part, and a part needs no more scratch than the whole
      const bytes = dtype === 'float64' ? 8 : 4;
      const [px, po] = [src.ptr(op), out.ptr(op)];
      splitRange('reduce_sum_cols', bytes, inner, len * inner, 16, work, (s, c, scratch) => [
        px + s * bytes,
        inner,
        len,
        c,
        po + s * bytes,
        scale,
        scratch,
      ]);
    } else if (dtype === 'float32') K.reduce_f32(code, src.ptr(op), out.ptr(op), outer, len, inner, scale, work);
    else if (dtype === 'float64') K.reduce_f64(code, src.ptr(op), out.ptr(op), outer, len, inner, scale, work);
    else K.reduce_i32(code, src.ptr(op), out.ptr(op), outer, len, inner, work, status);
    if (intSum) checkIntSum(op, src.shape, status);
  } catch (e) {
    out.dispose();
    throw e;
  } finally {
    own?.dispose();
  }
}

// The kernel's status for an int32 sum at byte address `status`: [the first output index whose
// sum is outside int32, that sum] as two float64, or [−1, 0]. Checked again on every replay.
function checkIntSum(op: string, shape: readonly number[], status: number): void {
  replayedCheck(() => {
    const [index, value] = readData(status, 2, 'float64');
    if (index! >= 0) {
      throw new ValueError(
        `${op}: the int32 sum of ${fmtShape(shape)} at output index ${index} is ${value}, outside int32's range [-2147483648, 2147483647]; cast to float64 for a wider sum`,
      );
    }
  });
}

/** A reduction over every element of a non-empty tensor into `shape` (one element): one kernel call. */
export function reduceAll(op: string, code: number, t: Tensor, shape: readonly number[], mean: boolean): Tensor {
  const float = t.dtype !== 'int32' || mean;
  const src = float ? asFloat(t, floatType(t)) : t;
  const out = new Tensor(shape, src.dtype);
  try {
    reduceKernel(op, code, src, out, 1, t.size, 1, mean ? 1 / t.size : 1);
  } finally {
    releaseIfNew(src, t);
  }
  return out;
}

/**
 * Σ over axes (all by default). Float sums are blocked and pairwise (error ~1e-7 relative in
 * float32 at any size); an int32 sum is exact, and one outside int32's range is a ValueError.
 */
export const sum = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('sum', C.RED_SUM, x, axis, keepDims, false);
/** Mean over axes (all by default); float64 for float64 input, float32 otherwise. */
export const mean = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('mean', C.RED_SUM, x, axis, keepDims, true);
/** Maximum over axes (all by default). */
export const max = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('max', C.RED_MAX, x, axis, keepDims, false);
/** Minimum over axes (all by default). */
export const min = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('min', C.RED_MIN, x, axis, keepDims, false);

function argReduce(op: string, code: number, x: TensorLike, axis: number | undefined): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (t!.size === 0) throw new ValueError(`${op}: tensor ${fmtShape(t!.shape)} is empty`);
    const flat = axis === undefined;
    const shape = flat ? [t!.size] : t!.shape;
    const ax = flat ? 0 : normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(shape, ax);
    const out = new Tensor(flat ? [] : dropAxes(shape, [ax]), 'int32');
    if (t!.dtype === 'float32') kernels().reduce_arg_f32(code, t!.ptr(op), out.ptr(op), outer, len, inner);
    else if (t!.dtype === 'float64') kernels().reduce_arg_f64(code, t!.ptr(op), out.ptr(op), outer, len, inner);
    else kernels().reduce_arg_i32(code, t!.ptr(op), out.ptr(op), outer, len, inner);
    return out;
  });
}

/** Index of the maximum along `axis` (flattened when omitted). */
export const argmax = (x: TensorLike, axis?: number): Tensor => argReduce('argmax', C.RED_ARGMAX, x, axis);
/** Index of the minimum along `axis` (flattened when omitted). */
export const argmin = (x: TensorLike, axis?: number): Tensor => argReduce('argmin', C.RED_ARGMIN, x, axis);

/** Options of variance and std. */
export interface VarianceOptions {
  /** Subtracted from the count in the divisor: 1 (the default) is Bessel's unbiased estimate, 0 the population variance. */
  correction?: number;
  /** Keep the reduced axes with length 1. */
  keepDims?: boolean;
}

function varianceOf(op: string, x: TensorLike, axis: number | readonly number[] | undefined, options: VarianceOptions): Tensor {
  if (options === null || typeof options !== 'object') throw new ValueError(`${op}: options must be an object, got ${String(options)}`);
  const correction = options.correction ?? 1;
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ValueError(`${op}: correction must be a non-negative number, got ${String(correction)}`);
  }
  const keepDims = options.keepDims ?? false;
  return withOperands(op, [x], ([t]) => {
    const axes = normalizeAxes(op, axis, t!.rank);
    const count = sizeOf(axes.map((a) => t!.shape[a]!));
    const src = asFloat(t!, floatType(t!));
    // two passes, Σ(x − mean)² / (N − correction): no cancellation, as the one-pass Σx² − N·mean² has;
    // N − correction ≤ 0 gives ±∞ or NaN, as in PyTorch
    const m = mean(src, axes, true);
    const d = sub(src, m);
    const sq = square(d);
    const ss = sum(sq, axes, keepDims);
    const out = mul(ss, 1 / Math.max(0, count - correction));
    for (const u of [m, d, sq, ss]) u.dispose();
    releaseIfNew(src, t!);
    return out;
  });
}

/**
 * Variance over axes (all by default), Σ(x − mean)²/(N − correction), in two passes so large
 * means do not cancel; `correction` 1 (default) as PyTorch's `var`. The method is `x.var(...)`.
 *
 * @example
 * ```ts
 * variance([1, 2, 3, 4]).item();                    // 1.6666666
 * variance([1, 2, 3, 4], 0, { correction: 0 }).item(); // 1.25
 * ```
 */
export const variance = (x: TensorLike, axis?: number | readonly number[], options: VarianceOptions = {}): Tensor =>
  varianceOf('variance', x, axis, options);

/**
 * Standard deviation over axes (all by default): √variance, with the same `correction` (1 by
 * default) and `keepDims`.
 *
 * @example
 * ```ts
 * std([2, 4, 4, 4, 5, 5, 7, 9], 0, { correction: 0 }).item(); // 2
 * ```
 */
export function std(x: TensorLike, axis?: number | readonly number[], options: VarianceOptions = {}): Tensor {
  const v = varianceOf('std', x, axis, options);
  const out = sqrt(v);
  v.dispose();
  return out;
}

/**
 * Running sums along `axis`: out[…, j, …] = Σ_{t ≤ j} x[…, t, …], in x's dtype. An int32 running
 * sum is exact (summed in float64), and one outside int32's range is a ValueError.
 *
 * @example
 * ```ts
 * cumsum([1, 2, 3, 4], 0).toArray(); // [1, 3, 6, 10]
 * ```
 */
export function cumsum(x: TensorLike, axis: number): Tensor {
  const op = 'cumsum';
  return withOperands(op, [x], ([t]) => {
    const shape = t!.rank === 0 ? [1] : t!.shape;
    const ax = normalizeAxis(op, axis, Math.max(1, t!.rank));
    const [outer, len, inner] = splitAt(shape, ax);
    if (t!.size === 0) return new Tensor(t!.shape, t!.dtype);
    const K = kernels();
    if (t!.dtype !== 'int32') {
      const out = new Tensor(t!.shape, t!.dtype);
      const kernel = t!.dtype === 'float64' ? K.cumsum_f64 : K.cumsum_f32;
      kernel(t!.ptr(op), out.ptr(op), outer, len, inner);
      return out;
    }
    // int32: every partial sum is an integer below 2^53 in magnitude until one leaves int32's range
    const wide = cast(t!, 'float64');
    const sums = new Tensor(t!.shape, 'float64');
    try {
      K.cumsum_f64(wide.ptr(op), sums.ptr(op), outer, len, inner);
      replayedCheck(() => {
        const data = readData(sums.ptr(op), sums.size, 'float64');
        for (let i = 0; i < data.length; i++) {
          const v = data[i]!;
          if (v > 2147483647 || v < -2147483648) {
            throw new ValueError(
              `${op}: the int32 running sum of ${fmtShape(t!.shape)} at index ${i} is ${v}, outside int32's range [-2147483648, 2147483647]; cast to float64 for a wider sum`,
            );
          }
        }
      });
      return cast(sums, 'int32');
    } finally {
      wide.dispose();
      sums.dispose();
    }
  });
}
