// Losses over a class axis that is not last: PyTorch's [N, C, d1, …] inputs with [N, d1, …] class
// ids (or probabilities of the input's shape), as for per-pixel or per-token classification. The
// class axis moves last and the rest fold into one batch axis, so the [N, C] form computes it.
import type { Variable } from '@gd/autograd';
import { ShapeError } from '@gd/tensor';

/**
 * Runs `loss` (written for [M, C] inputs with [M] int32 ids or [M, C] probabilities) on an
 * [N, C, d1, …] input with its class axis 1 moved last; 'none' results come back as [N, d1, …].
 * Inputs of rank ≤ 2 pass through unchanged.
 */
export function overClassAxis(
  op: string,
  x: Variable,
  y: Variable,
  reduction: string | undefined,
  loss: (x: Variable, y: Variable) => Variable,
): Variable {
  if (x.rank <= 2) return loss(x, y);
  const [n, c] = x.shape as [number, number];
  const spatial = x.shape.slice(2);
  const rest = [n, ...spatial];
  const ids = y.value.dtype === 'int32';
  const want = ids ? rest : x.shape;
  if (y.rank !== want.length || y.shape.some((d, i) => d !== want[i])) {
    throw new ShapeError(
      `${op}: targets [${y.shape.join(',')}] do not match input [${x.shape.join(',')}] (expected ${ids ? 'class ids' : 'probabilities'} [${want.join(',')}])`,
    );
  }
  // [N, C, d1, …] → [N, d1, …, C] → [M, C]
  const perm = [0, ...spatial.map((_, i) => i + 2), 1];
  const m = rest.reduce((a, b) => a * b, 1);
  const x2 = x.transpose(perm).reshape([m, c]);
  const y2 = ids ? y.reshape([m]) : y.transpose(perm).reshape([m, c]);
  const l = loss(x2, y2);
  return (reduction ?? 'mean') === 'none' ? l.reshape(rest) : l;
}
