// Tensor's fluent methods: `t.op(...args)` is the op function `op(t, ...args)`. The list, the
// signatures and the documentation are generated from the op functions (scripts/build-methods.mjs:
// every unary elementwise op, and the listed ops of the other families); this module installs
// them on the class. It imports the ops and the Tensor class, which imports neither, so the
// Tensor class and the ops do not import each other; the package's entry points load it.
import { methodOps } from './generated/methods.js';
import { where } from './ops/broadcast.js';
import { DIFFERENTIABLE, type Differentiable, Tensor, type TensorLike } from './tensor.js';

/** The first operand that takes over the method (a differentiable value), if any. */
function takeover(a: unknown, b: unknown, c: unknown): Differentiable | undefined {
  // no array of the operands: this runs on every method call
  if (typeof a === 'object' && a !== null && !(a instanceof Tensor) && DIFFERENTIABLE in a) return a as Differentiable;
  if (typeof b === 'object' && b !== null && !(b instanceof Tensor) && DIFFERENTIABLE in b) return b as Differentiable;
  if (typeof c === 'object' && c !== null && !(c instanceof Tensor) && DIFFERENTIABLE in c) return c as Differentiable;
  return undefined;
}

type Op = (x: Tensor, a?: unknown, b?: unknown, c?: unknown) => Tensor;

function define(name: string, value: (this: Tensor, ...args: never[]) => Tensor): void {
  Object.defineProperty(Tensor.prototype, name, { value, configurable: true, writable: true });
}

// three trailing arguments cover every op (conv2d's weight, bias, options); one not given is
// undefined, which takes the op's default
for (const [name, f] of Object.entries(methodOps)) {
  const op = f as Op;
  define(name, function (this: Tensor, a?: unknown, b?: unknown, c?: unknown) {
    // a differentiable operand (W.matmul(x) with x a Variable) records the op, as PyTorch's W @ x
    const d = takeover(a, b, c);
    if (d) return d[DIFFERENTIABLE](name, this, [a, b, c]) as Tensor;
    return op(this, a, b, c);
  });
}
// where's tensor is its second operand
define('where', function (this: Tensor, cond: TensorLike, other: TensorLike) {
  const d = takeover(other, undefined, undefined);
  if (d) return d[DIFFERENTIABLE]('where', this, [cond, other]) as Tensor;
  return where(cond, this, other);
});

export { Tensor };
