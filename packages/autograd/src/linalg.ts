// linalg.solve and linalg.cholesky on Variables: the ops of @gd/tensor's linalg, recorded with
// their gradient rules (ops.ts), so derivatives of any order flow through them.
import { opTable } from './ops.js';
import { apply, asVariable, type Variable, type VariableLike } from './variable.js';

/**
 * Solves A·X = B, differentiably in A and B: as @gd/tensor's `linalg.solve` (B a vector
 * [..., n] or matrices [..., n, k], read as torch.linalg.solve reads it; batch axes broadcast),
 * with gradients gB = A⁻ᵀ·g and gA = −gB·Xᵀ.
 *
 * @example
 * ```ts
 * const A = variable([[3, 1], [1, 2]]);
 * linalg.solve(A, [9, 8]).sum().backward(); // A.grad = −A⁻ᵀ·1·xᵀ
 * ```
 */
function solve(a: VariableLike, b: VariableLike): Variable {
  const av = asVariable(a);
  const bv = asVariable(b);
  // torch's rule: b is a (batch of) vector(s) if it has one axis, or A's shape without the last
  const vector = bv.rank === 1 || (bv.rank === av.rank - 1 && bv.shape.every((d, i) => d === av.shape[i]));
  if (!vector || av.rank < 2) return apply('linalg.solve', opTable.solve, [av, bv], {});
  return apply('linalg.solve', opTable.solve, [av, bv.expandDims(-1)], {}).squeeze(-1);
}

/**
 * The lower Cholesky factor L of A = L·Lᵀ, differentiably: as @gd/tensor's `linalg.cholesky`,
 * with PyTorch's gradient (the symmetric part of the perturbation of A, whose lower triangle the
 * factorisation reads).
 *
 * @example
 * ```ts
 * const L = linalg.cholesky(variable([[4, 2], [2, 5]])); // [[2, 0], [1, 2]]
 * ```
 */
function cholesky(a: VariableLike): Variable {
  return apply('linalg.cholesky', opTable.cholesky, [a], {});
}

/** The differentiable linear-algebra ops, as `torch.linalg`'s of the same names. */
export interface VariableLinalg {
  /** A·X = B, differentiable in A and B (see {@link solve}). */
  solve(a: VariableLike, b: VariableLike): Variable;
  /** The lower Cholesky factor of A, differentiable (see {@link cholesky}). */
  cholesky(a: VariableLike): Variable;
}

/**
 * `linalg.solve(A, b)` and `linalg.cholesky(A)` on Variables (and constants), recorded for
 * backward with rules written in differentiable ops, so hessian() and gradgradcheck() see
 * through them.
 *
 * @example
 * ```ts
 * const x = linalg.solve(variable([[2, 0], [0, 4]]), [2, 2]); // [1, 0.5]
 * ```
 */
export const linalg: VariableLinalg = { solve, cholesky };
