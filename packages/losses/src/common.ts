// What every loss shares: Tensor-or-Variable dispatch, reductions and target checks.
import { asVariable, noGrad, Variable, type VariableLike } from '@gd/autograd';
import { ShapeError, scope, type Tensor, type TensorLike, ValueError, valueCheck } from '@gd/tensor';

/** How a loss reduces its per-element values, as in PyTorch. */
export type Reduction = 'mean' | 'sum' | 'none';

/** Options every loss takes. */
export interface LossOptions {
  /** 'mean' (default), 'sum' or 'none'. */
  reduction?: Reduction;
}

/**
 * Runs a loss written on Variables. With any Variable input the result is a Variable in the
 * graph (differentiable); with Tensors or arrays only, it runs without a graph, frees its
 * temporaries and returns a Tensor.
 */
export function dispatch(inputs: VariableLike[], body: (...vs: Variable[]) => Variable): Tensor | Variable {
  if (inputs.some((x) => x instanceof Variable)) return body(...inputs.map(asVariable));
  return scope(() => noGrad(() => body(...inputs.map(asVariable)).value));
}

/** Checks a numeric option is finite (and > 0 when `positive`). */
export function finiteOption(op: string, name: string, v: unknown, positive: boolean): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || (positive && !(v > 0))) {
    throw new ValueError(
      `${op}: ${name} must be a finite number${positive ? ' > 0' : ''}, got ${typeof v === 'string' ? `'${v}'` : String(v)}`,
    );
  }
  return v;
}

export function reduce(op: string, l: Variable, reduction: Reduction | undefined): Variable {
  switch (reduction ?? 'mean') {
    case 'mean':
      return l.mean();
    case 'sum':
      return l.sum();
    case 'none':
      return l;
    default:
      throw new ValueError(`${op}: reduction must be 'mean', 'sum' or 'none', got ${String(reduction)}`);
  }
}

export function sameShape(op: string, a: Variable, b: Variable, what = 'target'): void {
  if (a.shape.length !== b.shape.length || a.shape.some((d, i) => d !== b.shape[i])) {
    throw new ShapeError(`${op}: input [${a.shape.join(',')}] and ${what} [${b.shape.join(',')}] must have the same shape`);
  }
}

/** Checks every value of a tensor lies in [lo, hi]. */
export function inRange(op: string, what: string, t: Tensor, lo: number, hi: number): void {
  // a value check, so a recorded loss (record()) checks again on every replay
  valueCheck([t], (d) => {
    for (let i = 0; i < d.length; i++) {
      const v = d[i]!;
      if (!(v >= lo && v <= hi)) throw new ValueError(`${op}: ${what} ${v} at flat index ${i} is outside [${lo}, ${hi}]`);
    }
  });
}

/** The overloads every loss exposes: Variables in → Variable out; Tensors/arrays in → Tensor out. */
export interface Loss<O> {
  (input: Variable, target: VariableLike, options?: O): Variable;
  (input: TensorLike, target: TensorLike, options?: O): Tensor;
  (input: VariableLike, target: VariableLike, options?: O): Tensor | Variable;
}
