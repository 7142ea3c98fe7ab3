// Tensor's fluent methods: `t.op(...args)` is the op function `op(t, ...args)`. The list, the
// signatures and the documentation are generated from the op functions (scripts/build-methods.mjs:
// every unary elementwise op, and the listed ops of the other families); this module installs
// them on the class. It imports the ops and the Tensor class, which imports neither, so the
// Tensor class and the ops do not import each other; the package's entry points load it.
import { methodOps } from './generated/methods.js';
import { where } from './ops/broadcast.js';
import { Tensor, type TensorLike } from './tensor.js';

type Op = (x: Tensor, a?: unknown, b?: unknown, c?: unknown) => Tensor;

function define(name: string, value: (this: Tensor, ...args: never[]) => Tensor): void {
  Object.defineProperty(Tensor.prototype, name, { value, configurable: true, writable: true });
}

// three trailing arguments cover every op (conv2d's weight, bias, options); one not given is
// undefined, which takes the op's default
for (const [name, f] of Object.entries(methodOps)) {
  const op = f as Op;
  define(name, function (this: Tensor, a?: unknown, b?: unknown, c?: unknown) {
    return op(this, a, b, c);
  });
}
// where's tensor is its second operand
define('where', function (this: Tensor, cond: TensorLike, other: TensorLike) {
  return where(cond, this, other);
});

export { Tensor };
