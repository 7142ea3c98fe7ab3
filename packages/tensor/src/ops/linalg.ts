// Linear algebra on batches of small matrices (assembly/linalg.ts): solve by LU with partial
// pivoting, and the Cholesky factor, with torch.linalg's shapes, broadcasting and errors.
import { DTypeError, fmtShape, LinalgError, ShapeError, ValueError } from '../errors.js';
import { kernels, readData, replayedCheck } from '../runtime.js';
import { broadcastShapes, shapesEqual, sizeOf } from '../shape.js';
import { DIFFERENTIABLE, type FloatDType, Tensor, type TensorLike } from '../tensor.js';
import { asFloat, floatType } from './cast.js';
import { broadcastTo } from './layout.js';
import { releaseIfNew, withOperands } from './operands.js';

/** Checks a is a batch of square matrices [..., n, n]; returns n. */
function squareSize(op: string, a: Tensor, name: string): number {
  if (a.rank < 2) throw new ShapeError(`${op}: ${name} must be a square matrix or a batch of them [..., n, n], got ${fmtShape(a.shape)}`);
  const n = a.shape[a.rank - 1]!;
  const m = a.shape[a.rank - 2]!;
  if (n !== m) throw new ShapeError(`${op}: ${name} must be square [..., n, n], got ${fmtShape(a.shape)} (${m}×${n})`);
  return n;
}

/** Checks a float operand's dtype: linear algebra is for float32 and float64 (as torch.linalg). */
function floatOperand(op: string, t: Tensor, name: string): void {
  if (t.dtype === 'int32') throw new DTypeError(`${op}: ${name} is int32; expected float32 or float64 (cast it first)`);
}

/** A differentiable operand (an autograd Variable) is refused here with a pointer to the op that records it. */
function noVariables(op: string, operands: Array<[string, unknown]>): void {
  for (const [name, x] of operands) {
    if (typeof x === 'object' && x !== null && DIFFERENTIABLE in x)
      throw new ValueError(
        `${op}: ${name} is a Variable; the ${op} that records gradients is @gd/autograd's (import { linalg } from '@gd/autograd')`,
      );
  }
}

/** The word pair a kernel reports failures in: [batch index, 1-based column], batch −1 when none. */
function withInfo<R>(body: (info: Tensor) => R): R {
  const info = new Tensor([2], 'int32');
  try {
    return body(info);
  } finally {
    info.dispose();
  }
}

/** "" for one matrix, " (batch element 3)" in a batch: which matrix failed, by its flat batch index. */
function batchElement(batchShape: readonly number[], index: number): string {
  if (batchShape.length === 0) return '';
  // the multi-index of the flat batch index, outermost axis first
  const at: number[] = [];
  let rest = index;
  for (let d = batchShape.length - 1; d >= 0; d--) {
    at.unshift(rest % batchShape[d]!);
    rest = Math.floor(rest / batchShape[d]!);
  }
  return ` (batch element ${index}, at [${at.join(',')}] of batch shape ${fmtShape(batchShape)})`;
}

/**
 * Solves A·X = B: A is [..., n, n]; B is a vector [..., n] or matrices [..., n, k], as
 * torch.linalg.solve reads it (B is a batch of vectors when it has one axis, or when its shape is
 * A's without the last axis). Batch axes broadcast. LU factorisation with partial pivoting, in
 * float64 when either operand is float64, else float32. A matrix with a zero pivot is singular:
 * a LinalgError names its batch element and the pivot's column.
 *
 * @example
 * ```ts
 * linalg.solve([[3, 1], [1, 2]], [9, 8]).toArray(); // [2, 3]
 * ```
 */
export function solve(a: TensorLike, b: TensorLike): Tensor {
  const op = 'linalg.solve';
  noVariables(op, [
    ['A', a],
    ['B', b],
  ]);
  return withOperands(op, [a, b], ([ta, tb]) => {
    floatOperand(op, ta!, 'A');
    floatOperand(op, tb!, 'B');
    const n = squareSize(op, ta!, 'A');
    const aBatch = ta!.shape.slice(0, -2);
    // torch's rule: B is a (batch of) vector(s) if it has one axis, or A's shape without the last
    const vector = tb!.rank === 1 || (tb!.rank === ta!.rank - 1 && tb!.shape.every((d, i) => d === ta!.shape[i]));
    if (!vector && tb!.rank < 2) throw new ShapeError(`${op}: B must be [..., n] or [..., n, k], got ${fmtShape(tb!.shape)}`);
    const rows = vector ? tb!.shape[tb!.rank - 1]! : tb!.shape[tb!.rank - 2]!;
    if (rows !== n) {
      const want = vector ? `[..., ${n}]` : `[..., ${n}, k]`;
      throw new ShapeError(
        `${op}: A ${fmtShape(ta!.shape)} and B ${fmtShape(tb!.shape)}: B must be ${want} (A is ${n}×${n}), got ${rows} rows`,
      );
    }
    const k = vector ? 1 : tb!.shape[tb!.rank - 1]!;
    const bBatch = vector ? tb!.shape.slice(0, -1) : tb!.shape.slice(0, -2);
    const batch = broadcastShapes(op, aBatch, bBatch);
    const dtype: FloatDType = floatType(ta!, tb!);
    const out = new Tensor([...batch, n, ...(vector ? [] : [k])], dtype);
    const count = sizeOf(batch);
    if (out.size === 0) return out;
    // operands in the compute dtype, with the batch broadcast out (n is small: copies are cheap)
    const fa = asFloat(ta!, dtype);
    const fb = asFloat(tb!, dtype);
    const ea = shapesEqual(aBatch, batch) ? fa : broadcastTo(fa, [...batch, n, n]);
    const bTarget = vector ? [...batch, n] : [...batch, n, k];
    const eb = shapesEqual(bBatch, batch) ? fb : broadcastTo(fb, bTarget);
    const work = new Tensor([n, n], dtype);
    try {
      withInfo((info) => {
        const kernel = dtype === 'float64' ? kernels().linalg_solve_f64 : kernels().linalg_solve_f32;
        kernel(ea.ptr(op), eb.ptr(op), out.ptr(op), work.ptr(op), count, n, k, info.ptr(op));
        const ip = info.ptr(op);
        replayedCheck(() => {
          const [at, column] = readData(ip, 2, 'int32');
          if (at! >= 0)
            throw new LinalgError(
              `${op}: A is singular${batchElement(batch, at!)}: the pivot of column ${column} is zero after partial pivoting (U[${column! - 1},${column! - 1}] = 0), so A·X = B has no unique solution`,
            );
        });
      });
    } catch (e) {
      out.dispose();
      throw e;
    } finally {
      work.dispose();
      releaseIfNew(ea, fa);
      releaseIfNew(eb, fb);
      releaseIfNew(fa, ta!);
      releaseIfNew(fb, tb!);
    }
    return out;
  });
}

/**
 * The Cholesky factor of symmetric positive-definite matrices: A = L·Lᵀ with L lower triangular
 * (positive diagonal), for A [..., n, n], as torch.linalg.cholesky. Only A's lower triangle is
 * read. A matrix that is not positive-definite is a LinalgError naming its batch element and the
 * order of the first leading minor that is not positive-definite.
 *
 * @example
 * ```ts
 * linalg.cholesky([[4, 2], [2, 5]]).toArray(); // [[2, 0], [1, 2]]
 * ```
 */
export function cholesky(a: TensorLike): Tensor {
  const op = 'linalg.cholesky';
  noVariables(op, [['A', a]]);
  return withOperands(op, [a], ([ta]) => {
    floatOperand(op, ta!, 'A');
    const n = squareSize(op, ta!, 'A');
    const batch = ta!.shape.slice(0, -2);
    const dtype = floatType(ta!);
    const out = new Tensor(ta!.shape, dtype);
    if (out.size === 0) return out;
    const fa = asFloat(ta!, dtype);
    try {
      withInfo((info) => {
        const kernel = dtype === 'float64' ? kernels().linalg_cholesky_f64 : kernels().linalg_cholesky_f32;
        kernel(fa.ptr(op), out.ptr(op), sizeOf(batch), n, info.ptr(op));
        const ip = info.ptr(op);
        replayedCheck(() => {
          const [at, order] = readData(ip, 2, 'int32');
          if (at! >= 0)
            throw new LinalgError(
              `${op}: A is not positive-definite${batchElement(batch, at!)}: the leading minor of order ${order} is not positive-definite`,
            );
        });
      });
    } catch (e) {
      out.dispose();
      throw e;
    } finally {
      releaseIfNew(fa, ta!);
    }
    return out;
  });
}

/** The linear-algebra ops, as `torch.linalg`'s of the same names. */
export interface Linalg {
  /** A·X = B for square A [..., n, n] and B [..., n] or [..., n, k] (see {@link solve}). */
  solve(a: TensorLike, b: TensorLike): Tensor;
  /** The lower Cholesky factor L of A = L·Lᵀ (see {@link cholesky}). */
  cholesky(a: TensorLike): Tensor;
}

/**
 * The linear-algebra ops in one namespace, as `torch.linalg`: `linalg.solve(A, b)` and
 * `linalg.cholesky(A)`, batched over leading axes, in float32 or float64.
 *
 * @example
 * ```ts
 * const L = linalg.cholesky([[4, 2], [2, 5]]); // [[2, 0], [1, 2]]
 * linalg.solve(L, [2, 5]).toArray(); // [1, 2]
 * ```
 */
export const linalg: Linalg = { solve, cholesky };
