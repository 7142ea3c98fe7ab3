// Operands of every op: numbers and arrays become temporary tensors, disposed after the op.
import { fromData } from '../creation.js';
import { DisposedError, fmtShape, ValueError } from '../errors.js';
import { type DType, Tensor, type TensorLike } from '../tensor.js';

/** Converts an operand to a Tensor; `owned` says the caller must dispose it. */
export function operand(op: string, x: TensorLike, partner?: DType): { t: Tensor; owned: boolean } {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new DisposedError(`${op}: tensor ${fmtShape(x.shape)} ${x.dtype} was disposed`);
    return { t: x, owned: false };
  }
  // a JS number or array takes its partner's dtype where it fits, so it never upcasts a tensor:
  // float64 partners make float64 operands (no float32 rounding on the way), int32 partners keep
  // integers int32, everything else is float32
  if (typeof x === 'number') {
    const dtype = partner === 'float64' ? 'float64' : partner === 'int32' && Number.isInteger(x) ? 'int32' : 'float32';
    return { t: fromData(op, x, dtype), owned: true };
  }
  if (x instanceof Int32Array) return { t: fromData(op, x, 'int32'), owned: true };
  if (x instanceof Float64Array) return { t: fromData(op, x, 'float64'), owned: true };
  return { t: fromData(op, x, partner === 'float64' && !(x instanceof Float32Array) ? 'float64' : 'float32'), owned: true };
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
  const dtypes = xs.map(dtypeOf);
  const hint = dtypes.includes('float64') ? 'float64' : dtypes.find((d) => d !== undefined);
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

/** The GELU form an options object names; ValueError for anything else. */
export function geluForm(op: string, options: { approximate?: unknown } | undefined): 'none' | 'tanh' {
  if (options !== undefined && (options === null || typeof options !== 'object')) {
    throw new ValueError(`${op}: options must be an object such as { approximate: 'tanh' }, got ${String(options)}`);
  }
  const form = options?.approximate ?? 'none';
  if (form !== 'none' && form !== 'tanh') {
    throw new ValueError(`${op}: approximate must be 'none' or 'tanh', got ${JSON.stringify(form) ?? String(form)}`);
  }
  return form;
}

/** A key as written in any case, with or without underscores (`batch_first` → `batchfirst`). */
const looseKey = (key: string) => key.replaceAll('_', '').toLowerCase();

/**
 * An options argument checked: undefined gives the defaults, anything else must be a plain object,
 * holding only `known` keys when they are given. A misspelt or PyTorch-spelt key (`epsilon` for
 * `eps`, `batch_first` for `batchFirst`) is a ValueError naming it, the near key if there is one,
 * and the keys accepted, as PyTorch refuses an unexpected keyword argument, rather than a setting
 * silently left at its default. Every package's options go through it. @internal
 */
export function checkOptions<O>(op: string, options: O | null | undefined, known?: readonly string[]): O {
  if (options === undefined) return {} as O;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    const given = options === null ? 'null' : Array.isArray(options) ? 'an array' : `${typeof options} ${String(options)}`;
    throw new ValueError(`${op}: options must be an object, got ${given}`);
  }
  if (known === undefined) return options;
  for (const key of Object.keys(options)) {
    if (known.includes(key)) continue;
    const near = known.find((k) => looseKey(k) === looseKey(key));
    throw new ValueError(
      `${op}: unknown option '${key}'${near === undefined ? '' : ` (did you mean '${near}'?)`}; the options are ${known.length === 0 ? 'none' : known.join(', ')}`,
    );
  }
  return options;
}
