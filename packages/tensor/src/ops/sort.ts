// Selection along an axis: top-k (assembly/sort.ts).
import { fmtShape, ShapeError, ValueError } from '../errors.js';
import { kernels } from '../runtime.js';
import { normalizeAxis, sizeOf } from '../shape.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { transpose } from './layout.js';
import { releaseIfNew, withOperands } from './operands.js';

/** Options of topk. */
export interface TopkOptions {
  /** The axis to select along (default −1, the last). */
  axis?: number;
  /** The k largest (default) or, when false, the k smallest. */
  largest?: boolean;
  /** Return them in order, best first (the default; the result is sorted either way). */
  sorted?: boolean;
}

/** What topk returns: the selected entries and their int32 positions along the axis. */
export interface TopkResult {
  /** The k selected entries along the axis, best first; x's dtype. */
  values: Tensor;
  /** Their indices along the axis (int32); equal entries keep the lower index first. */
  indices: Tensor;
}

/**
 * The k largest (or smallest) entries along an axis and their indices, as PyTorch's `topk`:
 * best first, ties broken by the lower index, NaN counted as larger than any number. `axis` may
 * also be given as a number in place of the options.
 *
 * @example
 * ```ts
 * const { values, indices } = topk([1, 3, 2, 3], 2);
 * values.toArray();  // [3, 3]
 * indices.toArray(); // [1, 3]
 * ```
 */
export function topk(x: TensorLike, k: number, options: TopkOptions | number = {}): TopkResult {
  const op = 'topk';
  const opts = typeof options === 'number' ? { axis: options } : options;
  if (opts === null || typeof opts !== 'object') throw new ValueError(`topk: options must be an object or an axis, got ${String(options)}`);
  for (const flag of ['largest', 'sorted'] as const) {
    if (opts[flag] !== undefined && typeof opts[flag] !== 'boolean') {
      throw new ValueError(`topk: ${flag} must be a boolean, got ${String(opts[flag])}`);
    }
  }
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('topk: needs rank ≥ 1, got a scalar');
    const ax = normalizeAxis(op, opts.axis ?? -1, t!.rank);
    const len = t!.shape[ax]!;
    if (!Number.isInteger(k) || k < 0 || k > len) {
      throw new ValueError(`topk: k must be an integer in 0..${len} (axis ${ax} of ${fmtShape(t!.shape)}), got ${String(k)}`);
    }
    // the axis moves last for the kernel, and back after
    const last = t!.rank - 1;
    const moved = ax === last ? t! : transpose(t!, ax, last);
    const shape = moved.shape.slice(0, -1);
    const rows = sizeOf(shape);
    const values = new Tensor([...shape, k], t!.dtype);
    const indices = new Tensor([...shape, k], 'int32');
    if (values.size > 0) {
      const K = kernels();
      const kernel = t!.dtype === 'float64' ? K.topk_f64 : t!.dtype === 'int32' ? K.topk_i32 : K.topk_f32;
      kernel(moved.ptr(op), values.ptr(op), indices.ptr(op), rows, len, k, opts.largest ?? true);
    }
    releaseIfNew(moved, t!);
    if (ax === last) return { values, indices };
    const result = { values: transpose(values, ax, last), indices: transpose(indices, ax, last) };
    values.dispose();
    indices.dispose();
    return result;
  });
}
