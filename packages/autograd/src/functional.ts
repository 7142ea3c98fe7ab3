// Functional forms: grad(f) and valueAndGrad(f) return functions that compute gradients.
import { scope, type Tensor, type TensorLike, ValueError } from '@gd/tensor';
import { Variable, variable } from './variable.js';

/** A scalar function of Variables, as grad() and valueAndGrad() take it. */
export type ScalarFn = (...args: Variable[]) => Variable;

function checkFunction(op: string, f: unknown): void {
  if (typeof f !== 'function') throw new ValueError(`${op}: expected a function of Variables returning a scalar Variable, got ${typeof f}`);
}

function run(f: ScalarFn, args: Array<TensorLike | Variable>): [number, Tensor[]] {
  return scope(() => {
    const vars = args.map((a) => variable(a instanceof Variable ? a.value : a));
    const out = f(...vars);
    if (!(out instanceof Variable)) throw new ValueError('grad: f must return a Variable');
    if (out.size !== 1) throw new ValueError(`grad: f must return a scalar, got shape [${out.shape.join(',')}]`);
    const value = out.item();
    if (out.requiresGrad) out.backward();
    const grads = vars.map((v) => {
      const g = v.grad ?? null;
      // an input f did not use has gradient zero
      const result = g ?? v.value.mul(0);
      v.grad = null;
      result.kept = false;
      return result;
    });
    return [value, grads] as [number, Tensor[]];
  });
}

/**
 * The gradient function of a scalar function: `grad(f)(x)` is ∇f(x) (a Tensor); with several
 * arguments it returns one gradient per argument.
 *
 * @example
 * ```ts
 * const df = grad((p) => p.square().sum());
 * df(tensor([1, 2])).toArray(); // [2, 4]
 * ```
 */
export function grad(f: ScalarFn): (...args: Array<TensorLike | Variable>) => Tensor | Tensor[] {
  checkFunction('grad', f);
  return (...args) => {
    const [, grads] = run(f, args);
    return grads.length === 1 ? grads[0]! : grads;
  };
}

/**
 * Like grad(f), but returns `[value, grads]`: f's value and the gradient for every argument.
 *
 * @example
 * ```ts
 * const [value, [da, db]] = valueAndGrad((a, b) => a.mul(b).sum())(tensor([1, 2]), tensor([3, 4]));
 * // value 11, da [3, 4], db [1, 2]
 * ```
 */
export function valueAndGrad(f: ScalarFn): (...args: Array<TensorLike | Variable>) => [number, Tensor[]] {
  checkFunction('valueAndGrad', f);
  return (...args) => run(f, args);
}
