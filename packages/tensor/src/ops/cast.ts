// Casts and copies (the cast kernels of assembly/elementwise.ts).
import { DTypeError } from '../errors.js';
import { copyBytes, kernels } from '../runtime.js';
import { type DType, Tensor, type TensorLike } from '../tensor.js';
import { withOperands } from './operands.js';

/** A float32 version of t: t itself, or a new cast copy the caller disposes. */
export function asFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

/** Converts to `dtype`: float32 → int32 truncates toward zero and saturates (NaN → 0). */
export function cast(x: TensorLike, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32') throw new DTypeError(`cast: dtype ${String(dtype)} is not float32 or int32`);
  return withOperands('cast', [x], ([t]) => {
    if (t!.dtype === dtype) return clone(t!);
    const out = new Tensor(t!.shape, dtype);
    if (dtype === 'float32') kernels().ew_cast_i32_f32(t!.ptr('cast'), out.ptr('cast'), out.size);
    else kernels().ew_cast_f32_i32(t!.ptr('cast'), out.ptr('cast'), out.size);
    return out;
  });
}

/** A copy with storage of its own. */
export function clone(x: TensorLike): Tensor {
  return withOperands('clone', [x], ([t]) => {
    const out = new Tensor(t!.shape, t!.dtype);
    copyBytes(out.ptr('clone'), t!.ptr('clone'), t!.size * 4);
    return out;
  });
}
