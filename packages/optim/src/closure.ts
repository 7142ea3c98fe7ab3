// Optimizers whose step() evaluates the objective itself (L-BFGS, Newton), as PyTorch's
// `optimizer.step(closure)`: the closure zeroes the gradients, computes the loss, calls
// backward() and returns the loss.
import { enableGrad, Variable } from '@gd/autograd';
import { Tensor, ValueError } from '@gd/tensor';

/**
 * A closure for `step(closure)`: zeroes the gradients, computes the loss, calls `backward()` on
 * it and returns it (a scalar Variable, Tensor, or number).
 */
export type LossClosure = () => Variable | Tensor | number;

/** Whether an optimizer's step() needs a closure; minimize() passes one to such optimizers. */
export interface TakesClosure {
  /** Always true: step() evaluates the objective itself through a closure. */
  readonly takesClosure: true;
  /** One step; evaluates `closure` as often as it needs and returns the closure's first result. */
  step(closure: LossClosure): Variable | Tensor | number;
}

/** Whether `opt`'s step() takes a closure (LBFGS, Newton). @internal */
export function takesClosure(opt: unknown): opt is TakesClosure {
  return opt !== null && typeof opt === 'object' && (opt as { takesClosure?: unknown }).takesClosure === true;
}

/** The number a closure's result stands for; a ValueError for anything but a one-element loss. */
export function lossValue(op: string, loss: unknown): number {
  if (typeof loss === 'number') return loss;
  if ((loss instanceof Variable || loss instanceof Tensor) && loss.size === 1) return loss.item();
  const got =
    loss instanceof Variable || loss instanceof Tensor
      ? `a ${loss.constructor.name} of shape [${loss.shape.join(',')}]`
      : loss === null
        ? 'null'
        : typeof loss;
  throw new ValueError(`${op}: the closure must return the loss (a scalar Variable, Tensor or number), got ${got}`);
}

/**
 * Checks that `closure` is a function, naming the op and what a closure does; returns it wrapped
 * to run with grad mode on, even inside noGrad() (as PyTorch's optimizers call their closures).
 */
export function checkClosure(op: string, closure: unknown): LossClosure {
  if (typeof closure !== 'function')
    throw new ValueError(
      `${op}: expected a closure that zeroes the gradients, computes the loss, calls backward() and returns the loss; got ${closure === null ? 'null' : typeof closure}`,
    );
  const fn = closure as LossClosure;
  return () => enableGrad(fn);
}
