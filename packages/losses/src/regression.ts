// Regression losses: distances between predictions and real-valued targets.

import type { Variable, VariableLike } from '@gd/autograd';
import { checkOptions } from '@gd/tensor';
import { dispatch, finiteOption, type Loss, type LossOptions, reduce, sameShape } from './common.js';

function elementwise<O extends LossOptions>(
  op: string,
  known: readonly string[],
  perElement: (d: Variable, o: O) => Variable,
  check?: (o: O) => void,
): Loss<O> {
  return ((input: VariableLike, target: VariableLike, given?: O) => {
    const options = checkOptions(op, given, known);
    check?.(options);
    return dispatch([input, target], (x, y) => {
      sameShape(op, x!, y!);
      return reduce(op, perElement(x!.sub(y!), options), options.reduction);
    });
  }) as Loss<O>;
}

/**
 * Mean squared error (docs/tutorial.md §1.1): L = (1/n) Σ (ŷᵢ − yᵢ)².
 *
 * @example
 * ```ts
 * mse(tensor([1, 2, 3]), tensor([1, 2, 5])).item(); // 4/3
 * ```
 */
export const mse: Loss<LossOptions> = ((input: VariableLike, target: VariableLike, given?: LossOptions) => {
  const options = checkOptions('mse', given, ['reduction']);
  return dispatch([input, target], (x, y) => {
    sameShape('mse', x!, y!);
    const reduction = options.reduction ?? 'mean';
    // 'mean' and 'sum' run as one fused op; 'none' keeps the per-element squares
    if (reduction === 'mean') return x!.squaredError(y!, 1 / x!.size); // empty input: 0·∞ = NaN, as PyTorch
    if (reduction === 'sum') return x!.squaredError(y!, 1);
    return reduce('mse', x!.sub(y!).square(), reduction);
  });
}) as Loss<LossOptions>;

/**
 * Mean absolute error: L = (1/n) Σ |ŷᵢ − yᵢ| (subgradient 0 where equal).
 *
 * @example
 * ```ts
 * mae(tensor([1, 2]), tensor([2, 4])).item(); // 1.5
 * ```
 */
export const mae: Loss<LossOptions> = elementwise('mae', ['reduction'], (d) => d.abs());

/** Options of huber: the threshold between the quadratic and the linear part. */
export interface HuberOptions extends LossOptions {
  /** Default 1. */
  delta?: number;
}

/**
 * Huber loss (PyTorch's HuberLoss): ½d² where |d| ≤ δ, δ(|d| − ½δ) beyond, written as
 * ½q² + δ(|d| − q) with q = min(|d|, δ) so one expression serves both sides.
 *
 * @example
 * ```ts
 * huber(tensor([0, 0]), tensor([0.5, 3])).item(); // (0.125 + 2.5) / 2
 * ```
 */
export const huber: Loss<HuberOptions> = elementwise<HuberOptions>(
  'huber',
  ['reduction', 'delta'],
  (d, { delta = 1 }) => {
    const a = d.abs();
    const q = a.minimum(delta);
    return q.square().mul(0.5).add(a.sub(q).mul(delta));
  },
  (o) => finiteOption('huber', 'delta', o.delta ?? 1, true),
);

/** Options of hinge. */
export interface HingeOptions extends LossOptions {
  /** Default 1. */
  margin?: number;
}

/**
 * Hinge loss for targets in {−1, +1}: max(0, margin − y·ŷ) (the SVM loss).
 *
 * @example
 * ```ts
 * hinge(tensor([0.5, -2]), tensor([1, -1])).item(); // (0.5 + 0) / 2
 * ```
 */
export const hinge: Loss<HingeOptions> = ((input: VariableLike, target: VariableLike, given?: HingeOptions) => {
  const options = checkOptions('hinge', given, ['reduction', 'margin']);
  const margin = finiteOption('hinge', 'margin', options.margin ?? 1, false);
  return dispatch([input, target], (x, y) => {
    sameShape('hinge', x!, y!);
    return reduce('hinge', y!.mul(x!).neg().add(margin).relu(), options.reduction);
  });
}) as Loss<HingeOptions>;
