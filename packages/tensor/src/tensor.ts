// The Tensor: a small JS object (shape, dtype, and a reference to storage in WebAssembly
// memory), plus deterministic lifetime management: dispose(), scope() and keep().

import { DisposedError, fmtShape, ValueError } from './errors.js';
import type { TensorMethods } from './generated/methods.js';
import { bytesAt, readData, readWord, rt } from './runtime.js';
import { sizeOf } from './shape.js';

/**
 * Element types: float32 for compute (the default), float64 where precision matters (gradient
 * checks, convergence criteria, scientific data), int32 for labels and indices.
 */
export type DType = 'float32' | 'float64' | 'int32';

/** The floating-point dtypes. */
export type FloatDType = 'float32' | 'float64';

/** Bytes per element of `dtype`: 8 for float64, 4 for float32 and int32. */
export function itemSize(dtype: DType): number {
  return dtype === 'float64' ? 8 : 4;
}

/** Nested arrays of numbers, any depth. */
export type NestedArray = number | readonly NestedArray[];

/** What ops accept wherever a tensor goes: a Tensor, a number, or (nested) arrays of numbers. */
export type TensorLike = Tensor | number | readonly NestedArray[] | Float32Array | Float64Array | Int32Array;

/** A block of WebAssembly memory shared by a tensor and its reshaped views; freed at refs = 0. */
interface Storage {
  ptr: number;
  bytes: number;
  refs: number;
}

const scopes: Tensor[][] = [];
let liveTensors = 0;

// while record() records: every tensor whose data an op used (record.ts checks them before a replay)
let touched: Set<Tensor> | null = null;

/** @internal Starts (a set) or stops (null) noting the tensors ops use. */
export function noteTensors(into: Set<Tensor> | null): void {
  touched = into;
}

/** Objects that hold tensors (such as autograd Variables) list them under this key for scope(). */
export const TENSORS = Symbol.for('gd.tensors');

/**
 * The key by which a differentiable value (@gd/autograd's Variable) takes over a Tensor method
 * called with it as an operand: `W.matmul(x)` with x differentiable is `x[DIFFERENTIABLE]('matmul',
 * W, [x])`, so the op records whichever operand is the constant.
 */
export const DIFFERENTIABLE = Symbol.for('gd.differentiable');

/** A value that takes over the Tensor methods it is an operand of (see DIFFERENTIABLE). */
export interface Differentiable {
  /** Computes `self.method(...args)` as a differentiable op (the Tensor method hands itself over). */
  [DIFFERENTIABLE](method: string, self: Tensor, args: unknown[]): unknown;
}

/**
 * An n-dimensional array of float32, float64 or int32 whose data live in WebAssembly memory.
 * Ops return new tensors; free them with `dispose()` or run the work inside `scope()`.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * a.matmul(a).toArray(); // [[7, 10], [15, 22]]
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface below declares the methods methods.ts installs
export class Tensor {
  /** Dimensions, outermost first. */
  readonly shape: readonly number[];
  /** Element type. */
  readonly dtype: DType;
  /** Number of elements. */
  readonly size: number;
  /** @internal */
  readonly storage: Storage;
  /** @internal kept tensors survive every scope until disposed explicitly */
  kept = false;
  private disposed = false;

  /** @internal — use tensor(), zeros() and the ops. */
  constructor(shape: readonly number[], dtype: DType, storage?: Storage) {
    this.shape = shape.slice();
    this.dtype = dtype;
    this.size = sizeOf(shape);
    if (storage) {
      storage.refs++;
      this.storage = storage;
    } else {
      const bytes = this.size * itemSize(dtype);
      this.storage = { ptr: rt().allocator.alloc(bytes), bytes, refs: 1 };
    }
    liveTensors++;
    scopes[scopes.length - 1]?.push(this);
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** True once disposed: every further use throws DisposedError. */
  get isDisposed(): boolean {
    return this.disposed;
  }

  /** @internal byte offset of the first element; throws DisposedError if disposed. */
  ptr(op: string): number {
    if (this.disposed) throw new DisposedError(`${op}: tensor ${fmtShape(this.shape)} ${this.dtype} was disposed`);
    touched?.add(this);
    return this.storage.ptr;
  }

  /** Frees the data (shared with reshaped views until the last one goes). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    const s = this.storage;
    if (--s.refs === 0) rt().allocator.free(s.ptr, s.bytes);
  }

  /** A copy of the data as a typed array: Float32Array, Float64Array or Int32Array by dtype. */
  data(): Float32Array | Float64Array | Int32Array {
    return readData(this.ptr('data'), this.size, this.dtype);
  }

  /** The data as nested JS arrays (a number for rank 0). */
  toArray(): NestedArray {
    const flat = this.data();
    if (this.rank === 0) return flat[0]!;
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim]!;
      const out: NestedArray[] = new Array(n);
      if (dim === this.rank - 1) {
        for (let i = 0; i < n; i++) out[i] = flat[offset + i]!;
        return out;
      }
      const stride = sizeOf(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.size !== 1) throw new ValueError(`item: tensor ${fmtShape(this.shape)} has ${this.size} elements; expected exactly 1`);
    return readWord(this.ptr('item'), this.dtype);
  }

  /** @internal raw bytes of the data (a view, valid until the next allocation). */
  bytesView(): Uint8Array {
    return bytesAt(this.ptr('bytes'), this.size * itemSize(this.dtype));
  }

  /** A short description: shape, dtype, and the values of small tensors. */
  toString(): string {
    if (this.disposed) return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, disposed)`;
    const body = this.size <= 64 ? JSON.stringify(this.toArray()) : `${this.size} elements`;
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}, ${body})`;
  }

  /** Flattens to rank 1 (a reshape: shares storage with this tensor). */
  flatten(): Tensor {
    return this.reshape([this.size]);
  }

  /** The transpose (all axes reversed). */
  get T(): Tensor {
    return this.transpose();
  }

  /** @internal for scope(): the tensors this object holds */
  get [TENSORS](): Tensor[] {
    return [this];
  }
}

/**
 * The fluent methods: each op function of the same name with this tensor as its first operand
 * (generated from the ops' declarations, installed by methods.ts).
 */
export interface Tensor extends TensorMethods {
  /** cond ? this : other, elementwise with broadcasting (cond nonzero = true). */
  where(cond: TensorLike, other: TensorLike): Tensor;
}

function collect(value: unknown, into: Set<Tensor>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (value instanceof Tensor) {
    into.add(value);
    return;
  }
  const held = (value as { [TENSORS]?: unknown })[TENSORS];
  if (Array.isArray(held)) {
    for (const t of held) if (t instanceof Tensor) into.add(t);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collect(v, into, depth + 1);
    return;
  }
  if (value instanceof Map) {
    for (const v of value.values()) collect(v, into, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) for (const v of Object.values(value)) collect(v, into, depth + 1);
}

/**
 * Runs `fn` and then disposes every tensor created inside it, except the ones it returns
 * (found in arrays, plain objects and Maps, or objects that list their tensors) and the ones
 * marked with `keep()`. Returned tensors belong to the enclosing scope, if any. Scopes nest;
 * `fn` must be synchronous.
 *
 * @example
 * ```ts
 * const y = scope(() => x.mul(2).add(1).sum()); // the temporaries are freed, y is not
 * ```
 */
export function scope<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`scope: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  const created: Tensor[] = [];
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    for (const t of created) if (!t.kept) t.dispose();
    throw e;
  }
  scopes.pop();
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    for (const t of created) if (!t.kept) t.dispose();
    throw new ValueError('scope: fn returned a Promise; scopes are synchronous (await outside, scope each step)');
  }
  if (created.length === 0) return result;
  const parent = scopes[scopes.length - 1];
  // the common results — nothing, a number, one tensor — need no search of the result
  if (result === null || typeof result !== 'object' || result instanceof Tensor) {
    for (const t of created) {
      if (t === result) parent?.push(t);
      else if (!t.kept) t.dispose();
    }
    return result;
  }
  const returned = new Set<Tensor>();
  collect(result, returned, 0);
  for (const t of created) {
    if (returned.has(t)) parent?.push(t);
    else if (!t.kept) t.dispose();
  }
  return result;
}

/**
 * Marks a tensor (or every tensor an object lists) to survive all scopes; it lives until
 * `dispose()`. Returns its argument.
 */
export function keep<T>(value: T): T {
  if (value instanceof Tensor) {
    value.kept = true;
    return value;
  }
  const found = new Set<Tensor>();
  collect(value, found, 0);
  for (const t of found) t.kept = true;
  return value;
}

/** Memory statistics of the tensor heap. */
export interface MemoryInfo {
  /** Bytes of tensor data allocated and not yet freed. */
  bytesInUse: number;
  /** Live (not disposed) tensors. */
  tensors: number;
  /** The most bytes ever in use at once. */
  peakBytes: number;
  /** Size of the WebAssembly memory, which only grows. */
  wasmBytes: number;
}

/**
 * Current memory use. In a loop that scopes every step, `bytesInUse` and `tensors` stay flat.
 *
 * @example
 * ```ts
 * const before = memory().bytesInUse;
 * scope(() => randn([100, 100]).matmul(randn([100, 100])));
 * memory().bytesInUse === before; // true
 * ```
 */
export function memory(): MemoryInfo {
  const r = rt();
  return {
    bytesInUse: r.allocator.bytesInUse,
    tensors: liveTensors,
    peakBytes: r.allocator.peakBytes,
    wasmBytes: r.memory.buffer.byteLength,
  };
}
