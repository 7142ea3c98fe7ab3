// Shape and layout: transpose, reshape, slicing, broadcasting copies, gather/scatter, one-hot,
// concat and stack (assembly/layout.ts, and the strided copy of assembly/broadcast.ts).
import { fromData } from '../creation.js';
import { DTypeError, fmtShape, IndexError, ShapeError, ValueError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { copyBytes, firstOutOfRange, kernels, META_PTR, replayedCheck, writePlan } from '../runtime.js';
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  collapsePlan,
  expandDimsShape,
  intList,
  narrowBounds,
  normalizeAxis,
  rangeBounds,
  reshapeShape,
  shapesEqual,
  sizeOf,
  sliceBounds,
  splitAt,
  squeezeShape,
  stridesOf,
} from '../shape.js';
import { type DType, type FloatDType, itemSize, Tensor, type TensorLike } from '../tensor.js';
import { asFloat, cast, floatType, promoteTypes } from './cast.js';
import { fillInPlace } from './fill.js';
import { operand, releaseIfNew, withOperands } from './operands.js';
import { reduceAll, sum } from './reduce.js';

// ── shape and layout ──────────────────────────────────────────────────────
function copyStrided(op: string, t: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  const out = new Tensor(shape, t.dtype);
  if (out.size === 0) return out;
  const nd = writePlan(collapsePlan(shape, [strides]));
  // 64-bit elements move as whole 8-byte words
  if (t.dtype === 'float64') kernels().bc_copy_64(t.ptr(op) + offset * 8, out.ptr(op), nd, META_PTR);
  else kernels().bc_copy_32(t.ptr(op) + offset * 4, out.ptr(op), nd, META_PTR);
  return out;
}

/** Permutes axes (default: reversed). */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const op = 'transpose';
  return withOperands(op, [x], ([t]) => {
    const r = t!.rank;
    const p = perm ? intList(op, 'perm', perm).map((a) => normalizeAxis(op, a, r)) : Array.from({ length: r }, (_, i) => r - 1 - i);
    if (p.length !== r || new Set(p).size !== r) {
      throw new ShapeError(
        `transpose: perm [${intList(op, 'perm', perm ?? []).join(',')}] is not a permutation of the ${r} axes of ${fmtShape(t!.shape)}`,
      );
    }
    const s = stridesOf(t!.shape);
    return copyStrided(
      op,
      t!,
      p.map((a) => t!.shape[a]!),
      p.map((a) => s[a]!),
      0,
    );
  });
}

/** Same data, new shape; one dimension may be −1 (inferred). Shares storage. */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'reshape';
  return withOperands(op, [x], ([t]) => {
    const target = reshapeShape(op, t!.shape, shape);
    t!.ptr(op);
    return new Tensor(target, t!.dtype, t!.storage);
  });
}

/** Inserts an axis of length 1 at `axis` (−rank−1 … rank). */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  return withOperands('expandDims', [x], ([t]) => reshape(t!, expandDimsShape('expandDims', t!.shape, axis)));
}

/** Removes axes of length 1: all of them, or the given ones (which must have length 1). */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  return withOperands('squeeze', [x], ([t]) => reshape(t!, squeezeShape('squeeze', t!.shape, axis)));
}

/** Broadcasts to `shape` (NumPy rules), copying. */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'broadcastTo';
  return withOperands(op, [x], ([t]) => {
    const target = checkShape(op, shape);
    const b = broadcastShapes(op, t!.shape, target);
    if (!shapesEqual(b, target)) throw new ShapeError(`broadcastTo: ${fmtShape(t!.shape)} cannot broadcast to ${fmtShape(target)}`);
    return copyStrided(op, t!, target, broadcastStrides(t!.shape, target), 0);
  });
}

/**
 * Sums a gradient of a broadcast result back to `shape`: over the leading axes it gained and
 * over the axes where `shape` has length 1. The adjoint of broadcasting.
 */
export function sumTo(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'sumTo';
  return withOperands(op, [x], ([t]) => {
    const lead = t!.rank - shape.length;
    if (lead < 0) throw new ShapeError(`sumTo: ${fmtShape(t!.shape)} has lower rank than ${fmtShape(shape)}`);
    // a broadcast scalar's gradient (a bias of one element, a·x's a): one full sum
    if (sizeOf(shape) === 1 && t!.size > 0) return reduceAll(op, C.RED_SUM, t!, shape, false);
    const axes: number[] = [];
    for (let i = 0; i < t!.rank; i++) {
      const target = i < lead ? 1 : shape[i - lead]!;
      if (i < lead || (target === 1 && t!.shape[i] !== 1)) axes.push(i);
      else if (target !== t!.shape[i]) throw new ShapeError(`sumTo: ${fmtShape(t!.shape)} cannot sum to ${fmtShape(shape)}`);
    }
    if (axes.length === 0) return reshape(t!, shape);
    const s = sum(t!, axes, true);
    const out = reshape(s, shape);
    s.dispose();
    return out;
  });
}

/**
 * The block of `x` starting at `begin` with `size` elements per axis (−1 or omitted: to the
 * end), TensorFlow's `tf.slice`: the second argument is a size, not an end — `slice(2, 5)` is 5
 * elements from index 2. A number `begin`/`size` applies to axis 0. Negative begins count from
 * the end. For PyTorch's forms see `narrow(dim, start, length)` and `sliceRange(dim, start, end)`.
 */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const op = 'slice';
  return withOperands(op, [x], ([t]) => {
    const { begin: starts, size: lens } = sliceBounds(op, t!.shape, begin, size);
    const strides = stridesOf(t!.shape);
    const offset = starts.reduce((acc, st, i) => acc + st * strides[i]!, 0);
    return copyStrided(op, t!, lens, strides, offset);
  });
}

/**
 * PyTorch's `narrow`: `length` elements of axis `dim` starting at `start` (negative: from the
 * end); the other axes whole. A window that does not fit is an IndexError, never cut short.
 * Compare `slice(begin, size)` (TensorFlow's: a start and a size on every axis) and
 * `sliceRange(dim, start, end)` (Python's `x[start:end]`, end-exclusive).
 *
 * @example
 * ```ts
 * arange(6).narrow(0, 2, 3).toArray(); // [2, 3, 4]
 * ```
 */
export function narrow(x: TensorLike, dim: number, start: number, length: number): Tensor {
  const op = 'narrow';
  return withOperands(op, [x], ([t]) => {
    const { begin, size } = narrowBounds(op, t!.shape, dim, start, length);
    return slice(t!, begin, size);
  });
}

/**
 * The end-exclusive range `start:end` of axis `dim`, as Python's `x[start:end]` (PyTorch's
 * `x[:, start:end]` on dim 1): negative indices count from the end, `end` omitted is the end of
 * the axis, indices past the ends are clamped, `start ≥ end` gives an empty axis. Compare
 * `narrow(dim, start, length)` and `slice(begin, size)`, which take a length, not an end.
 *
 * @example
 * ```ts
 * arange(6).sliceRange(0, 2, 5).toArray(); // [2, 3, 4]
 * arange(6).sliceRange(0, -2).toArray();   // [4, 5]
 * ```
 */
export function sliceRange(x: TensorLike, dim: number, start: number, end?: number): Tensor {
  const op = 'sliceRange';
  return withOperands(op, [x], ([t]) => {
    const { begin, size } = rangeBounds(op, t!.shape, dim, start, end);
    return slice(t!, begin, size);
  });
}

/**
 * Gradient helper of slice: a zero tensor of `shape` with `dy` written at offset `begin`
 * (the adjoint of slice).
 */
export function padSlice(dy: Tensor, begin: readonly number[], shape: readonly number[]): Tensor {
  const op = 'padSlice';
  if (dy.rank !== shape.length || begin.length !== shape.length || dy.shape.some((d, i) => begin[i]! + d > shape[i]!)) {
    throw new ShapeError(`padSlice: ${fmtShape(dy.shape)} at [${begin.join(',')}] does not fit in ${fmtShape(shape)}`);
  }
  const out = new Tensor(shape, dy.dtype);
  fillInPlace(out, 0);
  if (dy.size === 0) return out;
  const r = shape.length;
  const outStrides = stridesOf(shape);
  const rowElems = r === 0 ? 1 : dy.shape[r - 1]!;
  const rows = dy.size / rowElems;
  const src = dy.ptr(op);
  const dst = out.ptr(op);
  const idx = new Array<number>(Math.max(0, r - 1)).fill(0);
  const bytes = itemSize(dy.dtype);
  for (let row = 0; row < rows; row++) {
    let off = r === 0 ? 0 : begin[r - 1]!;
    for (let d = 0; d < r - 1; d++) off += (idx[d]! + begin[d]!) * outStrides[d]!;
    copyBytes(dst + off * bytes, src + row * rowElems * bytes, rowElems * bytes);
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < dy.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** An int32 index tensor from `indices`, with every entry checked against [0, bound). */
function checkedIndices(op: string, indices: TensorLike, bound: number, what: string): { t: Tensor; owned: boolean } {
  const c = indices instanceof Tensor ? operand(op, indices) : { t: fromData(op, indices, 'int32'), owned: true };
  if (c.t.dtype !== 'int32') {
    if (c.owned) c.t.dispose();
    throw new DTypeError(`${op}: indices must be int32, got ${c.t.dtype}`);
  }
  const t = c.t;
  const ptr = t.ptr(op);
  // a value check: record() replays it, so a replayed gather checks the indices it then finds
  try {
    replayedCheck(() => {
      const bad = firstOutOfRange(ptr, t.size, bound);
      if (bad)
        throw new IndexError(`${op}: index ${bad.value} at position ${bad.index} is out of range for ${what} (expected 0..${bound - 1})`);
    });
  } catch (e) {
    if (c.owned) t.dispose();
    throw e;
  }
  return c;
}

/** Entries of `x` along `axis` picked by int32 `indices`; the result has indices' shape in that axis's place. */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const op = 'gather';
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('gather: needs rank ≥ 1, got a scalar');
    const ax = normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(t!.shape, ax);
    const idx = checkedIndices(op, indices, len, `axis ${ax} of ${fmtShape(t!.shape)}`);
    try {
      const shape = [...t!.shape.slice(0, ax), ...idx.t.shape, ...t!.shape.slice(ax + 1)];
      const out = new Tensor(shape, t!.dtype);
      const kernel = t!.dtype === 'float64' ? kernels().gather_64 : kernels().gather_32;
      if (out.size > 0) kernel(t!.ptr(op), idx.t.ptr(op), out.ptr(op), outer, len, inner, idx.t.size);
      return out;
    } finally {
      if (idx.owned) idx.t.dispose();
    }
  });
}

/** Gradient helper of gather: scatters dy back into zeros of `shape` along `axis`, adding repeats. */
export function gatherBackward(dy: Tensor, indices: Tensor, axis: number, shape: readonly number[]): Tensor {
  const op = 'gatherBackward';
  const ax = normalizeAxis(op, axis, shape.length);
  const [outer, len, inner] = splitAt(shape, ax);
  const idx = checkedIndices(op, indices, len, `axis ${ax} of ${fmtShape(shape)}`);
  const dtype = floatType(dy);
  const out = new Tensor(shape, dtype);
  fillInPlace(out, 0);
  const g = asFloat(dy, dtype);
  const kernel = dtype === 'float64' ? kernels().scatter_add_f64 : kernels().scatter_add_f32;
  if (out.size > 0 && idx.t.size > 0) kernel(g.ptr(op), idx.t.ptr(op), out.ptr(op), outer, len, inner, idx.t.size);
  releaseIfNew(g, dy);
  if (idx.owned) idx.t.dispose();
  return out;
}

/** One-hot rows (float32, or `dtype`) of int32 class ids in [0, depth): shape [...x.shape, depth]. */
export function oneHot(x: TensorLike, depth: number, dtype: FloatDType = 'float32'): Tensor {
  const op = 'oneHot';
  if (!Number.isInteger(depth) || depth < 1) throw new ValueError(`oneHot: depth must be a positive integer, got ${String(depth)}`);
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`oneHot: dtype ${String(dtype)} is not float32 or float64`);
  const idx = checkedIndices(op, x, depth, `depth ${depth}`);
  try {
    const out = new Tensor([...idx.t.shape, depth], dtype);
    const kernel = dtype === 'float64' ? kernels().one_hot_f64 : kernels().one_hot_f32;
    if (out.size > 0) kernel(idx.t.ptr(op), out.ptr(op), idx.t.size, depth);
    return out;
  } finally {
    if (idx.owned) idx.t.dispose();
  }
}

/** Joins tensors of equal shape except along `axis`. */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  const op = 'concat';
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  return withOperands(op, [...xs], (ts) => {
    const first = ts[0]!;
    if (first.rank === 0) throw new ShapeError('concat: scalars cannot be joined; use stack');
    const ax = normalizeAxis(op, axis, first.rank);
    const dtype: DType = ts.map((t) => t.dtype).reduce(promoteTypes);
    for (const t of ts) {
      if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
        throw new ShapeError(`concat: ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} outside axis ${ax}`);
      }
    }
    const shape = first.shape.slice();
    shape[ax] = ts.reduce((acc, t) => acc + t.shape[ax]!, 0);
    const out = new Tensor(checkShape(op, shape), dtype);
    const [outer, , inner] = splitAt(shape, ax);
    const bytes = itemSize(dtype);
    const outRow = shape[ax]! * inner * bytes;
    let offset = 0;
    try {
      for (const t of ts) {
        // a cast allocates (and may grow the memory): copy only after it
        const src = t.dtype === dtype ? t : cast(t, dtype);
        const rowBytes = t.shape[ax]! * inner * bytes;
        const sp = src.ptr(op);
        const dp = out.ptr(op);
        for (let o = 0; o < outer; o++) copyBytes(dp + o * outRow + offset, sp + o * rowBytes, rowBytes);
        offset += rowBytes;
        releaseIfNew(src, t);
      }
    } catch (e) {
      out.dispose();
      throw e;
    }
    return out;
  });
}

/** Stacks tensors of equal shape along a new axis. */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: needs at least one tensor');
  return withOperands('stack', [...xs], (ts) => {
    const expanded = ts.map((t) => expandDims(t, axis));
    try {
      return concat(expanded, axis);
    } finally {
      for (const e of expanded) e.dispose();
    }
  });
}
