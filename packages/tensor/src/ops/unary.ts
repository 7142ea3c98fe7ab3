// The kernel call of every unary elementwise op (assembly/elementwise.ts): the ops of
// src/generated/unary.ts and the ones with parameters in elementwise.ts.
import * as C from '../generated/opcodes.js';
import { kernels } from '../runtime.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { splitRange, splitsAbove } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { releaseIfNew, withOperands } from './operands.js';

/**
 * out = f(x; p0, p1) for the op `code` (a UN_* code). int32 operands stay int32 for the codes
 * with an int32 kernel (C.INT_UNARY, from the @int32 marks in assembly/elementwise.ts); the
 * others compute in the operand's float type.
 * @internal
 */
export function unary(op: string, code: number, x: TensorLike, p0 = 0, p1 = 0): Tensor {
  // the hot path: a live float tensor, nothing to convert or free
  if (x instanceof Tensor && x.dtype !== 'int32') {
    const px = x.ptr(op);
    const out = new Tensor(x.shape, x.dtype);
    const n = out.size;
    if (splitsAbove(n)) {
      // ranges of 16 elements (a cache line of float32): each element takes the same SIMD or scalar path in any split
      const bytes = x.dtype === 'float64' ? 8 : 4;
      const po = out.ptr(op);
      splitRange('ew_unary', bytes, n, n, 16, 0, (s, c) => [code, px + s * bytes, po + s * bytes, c, p0, p1]);
    } else if (x.dtype === 'float64') kernels().ew_unary_f64(code, px, out.ptr(op), n, p0, p1);
    else kernels().ew_unary_f32(code, px, out.ptr(op), n, p0, p1);
    return out;
  }
  return withOperands(op, [x], ([t]) => {
    const intPath = t!.dtype === 'int32' && C.INT_UNARY.has(code) && Number.isInteger(p0) && Number.isInteger(p1);
    const src = intPath ? t! : asFloat(t!, floatType(t!));
    const out = new Tensor(t!.shape, src.dtype);
    if (intPath) kernels().ew_unary_i32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    else if (src.dtype === 'float64') kernels().ew_unary_f64(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    else kernels().ew_unary_f32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    releaseIfNew(src, t!);
    return out;
  });
}
