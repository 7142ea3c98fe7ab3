// All parameters seen as one flat vector, as the second-order and quasi-Newton methods want them:
// float64 if any parameter is (PyTorch's promotion), float32 otherwise.
import type { Variable } from '@gd/autograd';
import { axpyInPlace, cast, concat, type FloatDType, scope, type Tensor, ValueError, zeros } from '@gd/tensor';

/** The parameters of an optimizer as one flat vector: its dtype, its length, and the two ways across. */
export class FlatParams {
  /** float64 if any parameter is, else float32. */
  readonly dtype: FloatDType;
  /** Elements over all parameters. */
  readonly numel: number;

  constructor(
    op: string,
    readonly params: readonly Variable[],
  ) {
    if (params.length === 0) throw new ValueError(`${op}: no parameters to optimise`);
    this.dtype = params.some((p) => p.value.dtype === 'float64') ? 'float64' : 'float32';
    this.numel = params.reduce((n, p) => n + p.size, 0);
  }

  /** One new flat vector of the per-parameter tensors, in the flat dtype; a null part is zeros. */
  flatten(parts: ReadonlyArray<Tensor | null>): Tensor {
    return scope(() => {
      const flat = concat(parts.map((t, i) => (t ? t.reshape([this.params[i]!.size]) : zeros([this.params[i]!.size], this.dtype))));
      return flat.dtype === this.dtype ? flat : cast(flat, this.dtype);
    });
  }

  /** Every parameter's gradient, flattened (zeros for a parameter without one). */
  grad(): Tensor {
    return this.flatten(this.params.map((p) => p.grad));
  }

  /** θ ← θ + t·d over the flat vector d, each piece in its parameter's dtype. */
  addScaled(t: number, d: Tensor): void {
    let offset = 0;
    for (const p of this.params) {
      const at = offset;
      scope(() => {
        let piece = d.slice([at], [p.size]).reshape(p.shape);
        if (piece.dtype !== p.value.dtype) piece = cast(piece, p.value.dtype);
        axpyInPlace(p.value, piece, t);
      });
      offset += p.size;
    }
  }
}
