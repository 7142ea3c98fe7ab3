// Sampling from tensors of weights (assembly/random.ts), from the generator manualSeed seeds.
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { kernels, readData, replayedCheck } from '../runtime.js';
import { Tensor, type TensorLike } from '../tensor.js';
import { cast } from './cast.js';
import { withOperands } from './operands.js';

/** Options of multinomial. */
export interface MultinomialOptions {
  /** Draw with replacement (a category may repeat); false (the default) draws distinct categories. */
  replacement?: boolean;
}

/**
 * Draws `n` category ids (int32) from each row of non-negative weights along the last axis, as
 * PyTorch's `multinomial`: rows need not sum to 1; without replacement (the default) the n ids of
 * a row are distinct, each drawn in proportion to the weights not yet drawn. The draws come from
 * the seeded generator, so `manualSeed(s)` makes them bit-identical run to run. ValueError for a
 * negative or non-finite weight, a row of zeros, or more draws than a row has nonzero weights
 * without replacement.
 *
 * @example
 * ```ts
 * manualSeed(0);
 * multinomial([[0, 1, 0], [0, 0, 5]], 1).toArray(); // [[1], [2]]
 * ```
 */
export function multinomial(probs: TensorLike, n: number, options: MultinomialOptions = {}): Tensor {
  const op = 'multinomial';
  if (options === null || typeof options !== 'object')
    throw new ValueError(`multinomial: options must be an object, got ${String(options)}`);
  const replacement = options.replacement ?? false;
  if (typeof replacement !== 'boolean') throw new ValueError(`multinomial: replacement must be a boolean, got ${String(replacement)}`);
  if (!Number.isInteger(n) || n < 0) throw new ValueError(`multinomial: n must be a non-negative integer, got ${String(n)}`);
  return withOperands(op, [probs], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('multinomial: needs rows of weights (rank ≥ 1), got a scalar');
    if (t!.dtype === 'int32') throw new DTypeError('multinomial: weights must be float32 or float64, got int32');
    const cats = t!.shape[t!.rank - 1]!;
    const rows = t!.size / Math.max(1, cats);
    if (!replacement && n > cats) {
      throw new ValueError(`multinomial: cannot draw ${n} distinct categories from rows of ${cats} without replacement`);
    }
    const w = cast(t!, 'float64');
    const out = new Tensor([...t!.shape.slice(0, -1), n], 'int32');
    const scratch = new Tensor([Math.max(1, cats)], 'float64');
    try {
      // a value check (replayed by record()): every weight finite and ≥ 0, every row with a positive sum
      replayedCheck(() => {
        const data = readData(w.ptr(op), w.size, 'float64');
        for (let r = 0; r < rows; r++) {
          let nonzero = 0;
          for (let c = 0; c < cats; c++) {
            const v = data[r * cats + c]!;
            if (!(v >= 0) || v === Number.POSITIVE_INFINITY) {
              throw new ValueError(`multinomial: weight ${v} at row ${r}, category ${c} of ${fmtShape(t!.shape)}; expected finite and ≥ 0`);
            }
            if (v > 0) nonzero++;
          }
          if (nonzero === 0 && n > 0) throw new ValueError(`multinomial: row ${r} of ${fmtShape(t!.shape)} has only zero weights`);
          if (!replacement && n > nonzero) {
            throw new ValueError(
              `multinomial: row ${r} of ${fmtShape(t!.shape)} has ${nonzero} nonzero weights; cannot draw ${n} distinct categories without replacement`,
            );
          }
        }
      });
      if (out.size > 0) kernels().rng_multinomial_f64(w.ptr(op), out.ptr(op), rows, cats, n, replacement, scratch.ptr(op));
    } catch (e) {
      out.dispose();
      throw e;
    } finally {
      w.dispose();
      scratch.dispose();
    }
    return out;
  });
}
