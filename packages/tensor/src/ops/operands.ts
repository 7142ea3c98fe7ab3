// Operands of every op: numbers and arrays become temporary tensors, disposed after the op.
import { fromData } from '../creation.js';
import { DisposedError, fmtShape } from '../errors.js';
import { type DType, Tensor, type TensorLike } from '../tensor.js';

/** Converts an operand to a Tensor; `owned` says the caller must dispose it. */
export function operand(op: string, x: TensorLike, partner?: DType): { t: Tensor; owned: boolean } {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new DisposedError(`${op}: tensor ${fmtShape(x.shape)} ${x.dtype} was disposed`);
    return { t: x, owned: false };
  }
  if (typeof x === 'number') {
    return { t: fromData(op, x, partner === 'int32' && Number.isInteger(x) ? 'int32' : 'float32'), owned: true };
  }
  if (x instanceof Int32Array) return { t: fromData(op, x, 'int32'), owned: true };
  return { t: fromData(op, x, 'float32'), owned: true };
}

function dtypeOf(x: TensorLike): DType | undefined {
  return x instanceof Tensor ? x.dtype : undefined;
}

/** Runs `body` on tensor operands, disposing the ones converted from numbers or arrays. */
export function withOperands<R>(op: string, xs: TensorLike[], body: (ts: Tensor[]) => R): R {
  // the common case on the hot path: every operand is already a live Tensor, nothing to convert
  let allTensors = true;
  for (const x of xs) {
    if (!(x instanceof Tensor)) allTensors = false;
    else if (x.isDisposed) throw new DisposedError(`${op}: tensor ${fmtShape(x.shape)} ${x.dtype} was disposed`);
  }
  if (allTensors) return body(xs as Tensor[]);
  const hint = xs.map(dtypeOf).find((d) => d !== undefined);
  // convert one by one, so a conversion that fails frees the ones made before it
  const conv: Array<ReturnType<typeof operand>> = [];
  try {
    for (const x of xs) conv.push(operand(op, x, hint));
    return body(conv.map((c) => c.t));
  } finally {
    for (const c of conv) if (c.owned) c.t.dispose();
  }
}

export function releaseIfNew(t: Tensor, original: Tensor): void {
  if (t !== original) t.dispose();
}
