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

/**
 * Swaps two axes, as PyTorch's `transpose(dim0, dim1)` (negative axes count from the end), or
 * permutes them all by `perm` (reversed when omitted). A number first argument means two axes.
 *
 * @example
 * ```ts
 * zeros([2, 3, 4]).transpose(-2, -1).shape; // [2, 4, 3]
 * zeros([2, 3, 4]).transpose([2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function transpose(x: TensorLike, perm?: readonly number[] | number, dim1?: number): Tensor {
  const op = 'transpose';
  return withOperands(op, [x], ([t]) => {
    const r = t!.rank;
    if (typeof perm === 'number' || dim1 !== undefined) {
      if (typeof perm !== 'number' || typeof dim1 !== 'number') {
        throw new IndexError(`transpose: two axes (dim0, dim1) or one permutation array expected, got ${String(perm)} and ${String(dim1)}`);
      }
      const a = normalizeAxis(op, perm, r);
      const b = normalizeAxis(op, dim1, r);
      const p = Array.from({ length: r }, (_, i) => (i === a ? b : i === b ? a : i));
      return permuteAxes(op, t!, p);
    }
    if (perm === undefined)
      return permuteAxes(
        op,
        t!,
        Array.from({ length: r }, (_, i) => r - 1 - i),
      );
    return permuteAxes(op, t!, checkedPerm(op, perm, t!));
  });
}

/**
 * Reorders the axes: axis i of the result is axis `perm[i]` of x (negative entries count from
 * the end), as PyTorch's `permute`.
 *
 * @example
 * ```ts
 * zeros([16, 64, 8, 16]).permute([0, 2, 1, 3]).shape; // [16, 8, 64, 16]
 * ```
 */
export function permute(x: TensorLike, perm: readonly number[]): Tensor {
  const op = 'permute';
  return withOperands(op, [x], ([t]) => permuteAxes(op, t!, checkedPerm(op, perm, t!)));
}

function checkedPerm(op: string, perm: unknown, t: Tensor): number[] {
  const r = t.rank;
  const list = intList(op, 'perm', perm);
  const p = list.map((a) => normalizeAxis(op, a, r));
  if (p.length !== r || new Set(p).size !== r) {
    throw new ShapeError(`${op}: perm [${list.join(',')}] is not a permutation of the ${r} axes of ${fmtShape(t.shape)}`);
  }
  return p;
}

function permuteAxes(op: string, t: Tensor, p: readonly number[]): Tensor {
  const s = stridesOf(t.shape);
  return copyStrided(
    op,
    t,
    p.map((a) => t.shape[a]!),
    p.map((a) => s[a]!),
    0,
  );
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

function triangle(op: string, x: TensorLike, k: number, upper: boolean): Tensor {
  if (!Number.isInteger(k)) throw new ValueError(`${op}: diagonal k must be an integer, got ${String(k)}`);
  return withOperands(op, [x], ([t]) => {
    if (t!.rank < 2) throw new ShapeError(`${op}: needs rank ≥ 2 (matrices in the last two axes), got ${fmtShape(t!.shape)}`);
    const rows = t!.shape[t!.rank - 2]!;
    const cols = t!.shape[t!.rank - 1]!;
    const out = new Tensor(t!.shape, t!.dtype);
    if (out.size === 0) return out;
    // diagonals beyond the matrix behave as the matrix's last one (k is clamped so it fits in i32)
    const kk = Math.max(-rows - 1, Math.min(cols + 1, k));
    const kernel = t!.dtype === 'float64' ? kernels().triangle_64 : kernels().triangle_32;
    kernel(t!.ptr(op), out.ptr(op), out.size / (rows * cols), rows, cols, kk, upper);
    return out;
  });
}

/**
 * The lower triangle of the matrices in the last two axes: entries with column − row ≤ k kept,
 * the rest zero (k = 0: the main diagonal and below; k < 0 drops diagonals, k > 0 adds them).
 *
 * @example
 * ```ts
 * tril(ones([3, 3])).toArray(); // [[1, 0, 0], [1, 1, 0], [1, 1, 1]]
 * ```
 */
export function tril(x: TensorLike, k = 0): Tensor {
  return triangle('tril', x, k, false);
}

/**
 * The upper triangle of the matrices in the last two axes: entries with column − row ≥ k kept,
 * the rest zero. `triu(ones([T, T]), 1)` marks the future positions of a causal mask.
 *
 * @example
 * ```ts
 * triu(ones([3, 3]), 1).toArray(); // [[0, 1, 1], [0, 0, 1], [0, 0, 0]]
 * ```
 */
export function triu(x: TensorLike, k = 0): Tensor {
  return triangle('triu', x, k, true);
}

function checkedSizes(op: string, t: Tensor, axis: number, sizes: readonly number[], len: number): number[] {
  for (const s of sizes) {
    if (!Number.isInteger(s) || s < 0) throw new ValueError(`${op}: sizes [${sizes.join(',')}] must be non-negative integers`);
  }
  const total = sizes.reduce((a, b) => a + b, 0);
  if (total !== len) {
    throw new ShapeError(`${op}: sizes [${sizes.join(',')}] sum to ${total}, but axis ${axis} of ${fmtShape(t.shape)} has length ${len}`);
  }
  return [...sizes];
}

function splitSizes(t: Tensor, ax: number, pieces: readonly number[]): Tensor[] {
  const out: Tensor[] = [];
  let begin = 0;
  try {
    for (const len of pieces) {
      const b = t.shape.map((_, i) => (i === ax ? begin : 0));
      const sz = t.shape.map((d, i) => (i === ax ? len : d));
      out.push(slice(t, b, sz));
      begin += len;
    }
  } catch (e) {
    for (const p of out) p.dispose();
    throw e;
  }
  return out;
}

/**
 * Splits x along `axis` into pieces: of `sizes[i]` entries each (they must sum to the axis
 * length), or, for one number, of that many entries each with a shorter last piece — PyTorch's
 * `split`. Each piece is a copy.
 *
 * @example
 * ```ts
 * split(arange(5), 2).map((p) => p.toArray()); // [[0, 1], [2, 3], [4]]
 * split(zeros([2, 6]), [1, 5], -1).map((p) => p.shape); // [[2, 1], [2, 5]]
 * ```
 */
export function split(x: TensorLike, sizes: number | readonly number[], axis = 0): Tensor[] {
  const op = 'split';
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('split: needs rank ≥ 1, got a scalar');
    const ax = normalizeAxis(op, axis, t!.rank);
    const len = t!.shape[ax]!;
    if (typeof sizes === 'number') {
      if (!Number.isInteger(sizes) || sizes < 1) {
        throw new ValueError(`split: size must be a positive integer, got ${String(sizes)}`);
      }
      const pieces: number[] = [];
      for (let b = 0; b < len; b += sizes) pieces.push(Math.min(sizes, len - b));
      if (len === 0) pieces.push(0);
      return splitSizes(t!, ax, pieces);
    }
    if (!Array.isArray(sizes)) throw new ValueError(`split: sizes must be a number or an array of numbers, got ${typeof sizes}`);
    return splitSizes(t!, ax, checkedSizes(op, t!, ax, sizes, len));
  });
}

/**
 * Splits x along `axis` into `n` pieces of ⌈len/n⌉ entries (the last shorter), as PyTorch's
 * `chunk`: fewer than n pieces when the axis is too short to give n.
 *
 * @example
 * ```ts
 * chunk(zeros([2, 6]), 3, 1).map((p) => p.shape); // [[2, 2], [2, 2], [2, 2]]
 * ```
 */
export function chunk(x: TensorLike, n: number, axis = 0): Tensor[] {
  const op = 'chunk';
  if (!Number.isInteger(n) || n < 1) throw new ValueError(`chunk: n must be a positive integer, got ${String(n)}`);
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('chunk: needs rank ≥ 1, got a scalar');
    const ax = normalizeAxis(op, axis, t!.rank);
    const len = t!.shape[ax]!;
    return split(t!, Math.max(1, Math.ceil(len / n)), ax);
  });
}
