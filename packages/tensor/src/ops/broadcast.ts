// Two- and three-operand ops with NumPy broadcasting: arithmetic, gradient helpers, comparisons,
// where (assembly/broadcast.ts).
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import * as C from '../generated/opcodes.js';
import { kernels, META_PTR, scalarOperand, writePlan } from '../runtime.js';
import { broadcastShapes, broadcastStrides, collapsePlan, pairPlan, shapesEqual } from '../shape.js';
import { type DType, Tensor, type TensorLike } from '../tensor.js';
import { splitRange, splitsAbove } from '../threads.js';
import { asType, floatType, promoteTypes } from './cast.js';
import type { GeluOptions } from './elementwise.js';
import { fillInPlace } from './fill.js';
import { geluForm, releaseIfNew, withOperands } from './operands.js';

// ── elementwise binary, broadcasting ──────────────────────────────────────
// The public ops (add, mul, …) are generated from their kernel codes (src/generated/binary.ts,
// from the @op marks in assembly/broadcast.ts); the gradient helpers follow.

/** out = f(a, b) with broadcasting for the op `code` (a BIN_* code). @internal */
export function binary(op: string, code: number, a: TensorLike, b: TensorLike): Tensor {
  const K = kernels();
  if (a instanceof Tensor && a.dtype === 'float32') {
    // the hot path of a training step: two live float32 tensors, nothing to convert or free
    if (b instanceof Tensor && b.dtype === 'float32') {
      const pa = a.ptr(op);
      const pb = b.ptr(op);
      const as = a.shape;
      const bs = b.shape;
      // one flat pass (same shapes, or one element against many) needs no plan object
      if (shapesEqual(as, bs)) return flatBinary(op, code, pa, pb, as, a.size, 1, 1);
      if (b.size === 1 && bs.length <= as.length) return flatBinary(op, code, pa, pb, as, a.size, 1, 0);
      if (a.size === 1 && as.length <= bs.length) return flatBinary(op, code, pa, pb, bs, b.size, 0, 1);
      const { shape, plan } = pairPlan(op, as, bs, a.size, b.size);
      const out = new Tensor(shape, 'float32');
      if (out.size === 0) return out;
      // one row broadcast down a matrix (a bias): rows of the plan-free kernel, split by rows
      const [sa, sb] = plan.strides as [number[], number[]];
      if (plan.shape.length === 2 && sa[1] === 1 && sb[1] === 1 && (sa[0] === 0 || sb[0] === 0)) {
        const [rows, n] = plan.shape as [number, number];
        binaryRows(code, pa, sa[0]!, 1, pb, sb[0]!, 1, out.ptr(op), rows, n);
        return out;
      }
      K.bc_binary_f32(code, pa, pb, out.ptr(op), writePlan(plan), META_PTR);
      return out;
    }
    // a float32 tensor and a JS number (x.mul(2)): the number computes as float32, as the
    // operand tensor withOperands() would make of it, written into the plan area instead
    if (typeof b === 'number') {
      const pa = a.ptr(op);
      return flatBinary(op, code, pa, scalarOperand(b, 'float32'), a.shape, a.size, 1, 0);
    }
  }
  const family = { int32: K.bc_binary_i32, float32: K.bc_binary_f32, float64: K.bc_binary_f64 };
  return broadcastPair(op, code, a, b, C.INT_BINARY.has(code), (dtype) => dtype, family);
}

/** A float32 binary op as one pass over `n` elements of output shape `shape`, inputs at `pa` and `pb` (strides 1, or 0 for one element). */
function flatBinary(op: string, code: number, pa: number, pb: number, shape: readonly number[], n: number, sa: number, sb: number): Tensor {
  const out = new Tensor(shape, 'float32');
  if (n === 0) return out;
  const po = out.ptr(op);
  // ranges of 16 elements (a cache line): each element takes the same SIMD or scalar path in any split
  if (splitsAbove(n))
    splitRange('bc_binary_rows', 4, n, n, 16, 0, (s, c) => [code, pa + s * sa * 4, 0, sa, pb + s * sb * 4, 0, sb, po + s * 4, 1, c]);
  else kernels().bc_binary_rows_f32(code, pa, 0, sa, pb, 0, sb, po, 1, n);
  return out;
}

/** A float32 binary op over `rows` rows of n (row steps ra, rb; element strides sa, sb), split by rows when large. */
function binaryRows(
  code: number,
  pa: number,
  ra: number,
  sa: number,
  pb: number,
  rb: number,
  sb: number,
  po: number,
  rows: number,
  n: number,
): void {
  const total = rows * n;
  if (splitsAbove(total) && rows > 1) {
    splitRange('bc_binary_rows', 4, rows, total, 1, 0, (s, c) => [
      code,
      pa + s * ra * 4,
      ra,
      sa,
      pb + s * rb * 4,
      rb,
      sb,
      po + s * n * 4,
      c,
      n,
    ]);
  } else kernels().bc_binary_rows_f32(code, pa, ra, sa, pb, rb, sb, po, rows, n);
}

/** One broadcasting kernel family (bc_binary_*, bc_compare_*): its export per compute dtype. */
type PairKernels = Record<DType, (code: number, a: number, b: number, out: number, nd: number, meta: number) => void>;

/**
 * The procedure every two-operand broadcasting op shares: broadcast the shapes, choose the dtype
 * both operands compute in (int32 when `intsAllowed` and both are int32, else the promoted float
 * type: float64 if either is float64, float32 otherwise), cast to it, write the plan, and run
 * op `code` with that dtype's kernel of `family` into an output of dtype `outDtype(compute)`.
 */
function broadcastPair(
  op: string,
  code: number,
  a: TensorLike,
  b: TensorLike,
  intsAllowed: boolean,
  outDtype: (compute: DType) => DType,
  family: PairKernels,
): Tensor {
  return withOperands(op, [a, b], ([ta, tb]) => {
    const { shape, plan } = pairPlan(op, ta!.shape, tb!.shape, ta!.size, tb!.size);
    const intPath = intsAllowed && ta!.dtype === 'int32' && tb!.dtype === 'int32';
    const compute: DType = intPath ? 'int32' : floatType(ta!, tb!);
    const out = new Tensor(shape, outDtype(compute));
    if (out.size === 0) return out;
    const fa = asType(ta!, compute);
    const fb = asType(tb!, compute);
    const nd = writePlan(plan);
    family[compute](code, fa.ptr(op), fb.ptr(op), out.ptr(op), nd, META_PTR);
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

/** Gradient helper: dy where x > 0, else 0. */
export const reluBackward = (dy: TensorLike, x: TensorLike): Tensor => binary('reluBackward', C.BIN_RELU_GRAD, dy, x);
/** Gradient helper: dy · y(1 − y) for y = sigmoid(x). */
export const sigmoidBackward = (dy: TensorLike, y: TensorLike): Tensor => binary('sigmoidBackward', C.BIN_SIGMOID_GRAD, dy, y);
/** Gradient helper: dy · (1 − y²) for y = tanh(x). */
export const tanhBackward = (dy: TensorLike, y: TensorLike): Tensor => binary('tanhBackward', C.BIN_TANH_GRAD, dy, y);
/**
 * Gradient helper: dy · gelu′(x) for the GELU form `options` names (exact by default:
 * gelu′(x) = Φ(x) + x·φ(x); `{ approximate: 'tanh' }`: the tanh form's derivative).
 */
export function geluBackward(dy: TensorLike, x: TensorLike, options?: GeluOptions): Tensor {
  const code = geluForm('geluBackward', options) === 'tanh' ? C.BIN_GELU_TANH_GRAD : C.BIN_GELU_GRAD;
  return binary('geluBackward', code, dy, x);
}

function compare(op: string, code: number, a: TensorLike, b: TensorLike): Tensor {
  const K = kernels();
  const family = { int32: K.bc_compare_i32, float32: K.bc_compare_f32, float64: K.bc_compare_f64 };
  return broadcastPair(op, code, a, b, true, () => 'int32', family);
}

/** a == b → int32 0/1. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', C.CMP_EQ, a, b);
/** a != b → int32 0/1. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', C.CMP_NE, a, b);
/** a > b → int32 0/1. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', C.CMP_GT, a, b);
/** a >= b → int32 0/1. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', C.CMP_GE, a, b);
/** a < b → int32 0/1. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', C.CMP_LT, a, b);
/** a <= b → int32 0/1. */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', C.CMP_LE, a, b);

/** cond ? a : b elementwise, broadcasting all three; cond is true where nonzero. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const op = 'where';
  return withOperands(op, [cond, a, b], ([tc, ta, tb]) => {
    const shape = broadcastShapes(op, broadcastShapes(op, tc!.shape, ta!.shape), tb!.shape);
    const dtype = promoteTypes(ta!.dtype, tb!.dtype);
    const out = new Tensor(shape, dtype);
    if (out.size === 0) return out;
    const ic = tc!.dtype === 'int32' ? tc! : ne(tc!, 0);
    const fa = asType(ta!, dtype);
    const fb = asType(tb!, dtype);
    const strides = [tc!, ta!, tb!].map((t) => broadcastStrides(t.shape, shape));
    const nd = writePlan(collapsePlan(shape, strides));
    const where = dtype === 'float64' ? kernels().bc_where_64 : kernels().bc_where_32;
    where(ic.ptr(op), fa.ptr(op), fb.ptr(op), out.ptr(op), nd, META_PTR);
    releaseIfNew(ic, tc!);
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

/**
 * x with `value` wherever `mask` is nonzero, as PyTorch's `masked_fill`: the mask broadcasts to
 * x's shape (not the other way). The result keeps x's dtype; a fractional value in an int32 x is
 * a ValueError.
 *
 * @example
 * ```ts
 * const scores = zeros([2, 2]);
 * maskedFill(scores, triu(ones([2, 2]), 1), -Infinity).toArray(); // [[0, -Infinity], [0, 0]]
 * ```
 */
export function maskedFill(x: TensorLike, mask: TensorLike, value: number): Tensor {
  const op = 'maskedFill';
  if (typeof value !== 'number') throw new ValueError(`maskedFill: value must be a number, got ${typeof value}`);
  return withOperands(op, [x], ([t]) => {
    if (t!.dtype === 'int32' && !Number.isInteger(value)) {
      throw new ValueError(`maskedFill: value ${value} does not fit the int32 tensor ${fmtShape(t!.shape)}`);
    }
    return withOperands(op, [mask], ([m]) => {
      const shape = broadcastShapes(op, m!.shape, t!.shape);
      if (!shapesEqual(shape, t!.shape)) {
        throw new ShapeError(`maskedFill: mask ${fmtShape(m!.shape)} cannot broadcast to the tensor's shape ${fmtShape(t!.shape)}`);
      }
      const fill = new Tensor([], t!.dtype);
      try {
        fillInPlace(fill, value);
        return where(m!, fill, t!);
      } finally {
        fill.dispose();
      }
    });
  });
}
