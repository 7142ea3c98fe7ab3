// Reductions over axes, and arg-reductions (assembly/reduce.ts).
import { fmtShape, ValueError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { kernels } from '../runtime.js';
import { normalizeAxes, normalizeAxis, sizeOf, splitAt } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
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
    // reduce the last run first so earlier axis numbers stay valid
    const runs = axisRuns(axes).reverse();
    let shape = t!.shape.slice();
    for (const [lo, hi] of runs) {
      const outer = sizeOf(shape.slice(0, lo));
      const len = sizeOf(shape.slice(lo, hi));
      const inner = sizeOf(shape.slice(hi));
      shape = [...shape.slice(0, lo), ...shape.slice(lo, hi).map(() => 1), ...shape.slice(hi)];
      const next = new Tensor(shape, cur.dtype);
      reduceKernel(code, cur, next, outer, len, inner, mean ? 1 / len : 1);
      releaseIfNew(cur, t!);
      cur = next;
    }
    const out = new Tensor(finalShape, cur.dtype, cur.storage);
    cur.dispose();
    return out;
  });
}

// the kernel of src's dtype: x viewed as [outer, len, inner] reduced into out
function reduceKernel(code: number, src: Tensor, out: Tensor, outer: number, len: number, inner: number, scale: number): void {
  const K = kernels();
  const op = 'reduce';
  if (src.dtype === 'float32') K.reduce_f32(code, src.ptr(op), out.ptr(op), outer, len, inner, scale);
  else if (src.dtype === 'float64') K.reduce_f64(code, src.ptr(op), out.ptr(op), outer, len, inner, scale);
  else K.reduce_i32(code, src.ptr(op), out.ptr(op), outer, len, inner);
}

/** A reduction over every element of a non-empty tensor into `shape` (one element): one kernel call. */
export function reduceAll(op: string, code: number, t: Tensor, shape: readonly number[], mean: boolean): Tensor {
  const float = t.dtype !== 'int32' || mean;
  const src = float ? asFloat(t, floatType(t)) : t;
  const out = new Tensor(shape, src.dtype);
  src.ptr(op);
  reduceKernel(code, src, out, 1, t.size, 1, mean ? 1 / t.size : 1);
  releaseIfNew(src, t);
  return out;
}

/** Σ over axes (all by default). */
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
