// Casts, copies and type promotion (the cast kernels of assembly/elementwise.ts).
import { DTypeError } from '../errors.js';
import { copyBytes, kernels } from '../runtime.js';
import { type DType, type FloatDType, itemSize, Tensor, type TensorLike } from '../tensor.js';
import { withOperands } from './operands.js';

const DTYPES: readonly DType[] = ['float32', 'float64', 'int32'];

/**
 * The dtype two operands compute in, as in PyTorch: equal dtypes keep theirs; float64 with
 * anything gives float64; float32 with int32 gives float32.
 */
export function promoteTypes(a: DType, b: DType): DType {
  if (a === b) return a;
  if (a === 'float64' || b === 'float64') return 'float64';
  return 'float32';
}

/** The float dtype an op on these operands computes in: float64 if any is float64, else float32. */
export function floatType(...ts: readonly Tensor[]): FloatDType {
  for (const t of ts) if (t.dtype === 'float64') return 'float64';
  return 'float32';
}

/** t in float dtype `dtype` (float32 by default): t itself, or a new cast copy the caller disposes. */
export function asFloat(t: Tensor, dtype: FloatDType = 'float32'): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

/** t in `dtype`: t itself, or a new cast copy the caller disposes. */
export function asType(t: Tensor, dtype: DType): Tensor {
  return t.dtype === dtype ? t : cast(t, dtype);
}

/**
 * Converts to `dtype`. float → int32 truncates toward zero and saturates (NaN → 0); float64 →
 * float32 rounds to nearest; float32 → float64 and int32 → float64 are exact.
 */
export function cast(x: TensorLike, dtype: DType): Tensor {
  if (!DTYPES.includes(dtype)) throw new DTypeError(`cast: dtype ${String(dtype)} is not float32, float64 or int32`);
  return withOperands('cast', [x], ([t]) => {
    if (t!.dtype === dtype) return clone(t!);
    const out = new Tensor(t!.shape, dtype);
    const K = kernels();
    const src = t!.ptr('cast');
    const dst = out.ptr('cast');
    const key = `${t!.dtype}>${dtype}`;
    if (key === 'int32>float32') K.ew_cast_i32_f32(src, dst, out.size);
    else if (key === 'float32>int32') K.ew_cast_f32_i32(src, dst, out.size);
    else if (key === 'float32>float64') K.ew_cast_f32_f64(src, dst, out.size);
    else if (key === 'float64>float32') K.ew_cast_f64_f32(src, dst, out.size);
    else if (key === 'int32>float64') K.ew_cast_i32_f64(src, dst, out.size);
    else K.ew_cast_f64_i32(src, dst, out.size);
    return out;
  });
}

/** A copy with storage of its own. */
export function clone(x: TensorLike): Tensor {
  return withOperands('clone', [x], ([t]) => {
    const out = new Tensor(t!.shape, t!.dtype);
    copyBytes(out.ptr('clone'), t!.ptr('clone'), t!.size * itemSize(t!.dtype));
    return out;
  });
}
