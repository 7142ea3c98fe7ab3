// The Tensor: a small JS object (shape, dtype, and a reference to storage in WebAssembly
// memory), plus deterministic lifetime management: dispose(), scope() and keep().

import { DisposedError, fmtShape, ValueError } from './errors.js';
import * as ops from './ops.js';
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
 * An n-dimensional array of float32, float64 or int32 whose data live in WebAssembly memory.
 * Ops return new tensors; free them with `dispose()` or run the work inside `scope()`.
 *
 * @example
 * ```ts
 * const a = tensor([[1, 2], [3, 4]]);
 * a.matmul(a).toArray(); // [[7, 10], [15, 22]]
 * ```
 */
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

  // ── elementwise ────────────────────────────────────────────────────────────
  /** this + b, with broadcasting. */
  add(b: TensorLike): Tensor {
    return ops.add(this, b);
  }
  /** this − b, with broadcasting. */
  sub(b: TensorLike): Tensor {
    return ops.sub(this, b);
  }
  /** this · b (elementwise), with broadcasting. */
  mul(b: TensorLike): Tensor {
    return ops.mul(this, b);
  }
  /** this / b (true division: int32 inputs give float32), with broadcasting. */
  div(b: TensorLike): Tensor {
    return ops.div(this, b);
  }
  /** this ** b, with broadcasting. */
  pow(b: TensorLike): Tensor {
    return ops.pow(this, b);
  }
  /** Elementwise maximum, with broadcasting (NaN propagates). */
  maximum(b: TensorLike): Tensor {
    return ops.maximum(this, b);
  }
  /** Elementwise minimum, with broadcasting (NaN propagates). */
  minimum(b: TensorLike): Tensor {
    return ops.minimum(this, b);
  }
  /** −this. */
  neg(): Tensor {
    return ops.neg(this);
  }
  /** |this|. */
  abs(): Tensor {
    return ops.abs(this);
  }
  /** √this. */
  sqrt(): Tensor {
    return ops.sqrt(this);
  }
  /** e^this. */
  exp(): Tensor {
    return ops.exp(this);
  }
  /** Natural logarithm. */
  log(): Tensor {
    return ops.log(this);
  }
  /** this². */
  square(): Tensor {
    return ops.square(this);
  }
  /** 1 / this. */
  reciprocal(): Tensor {
    return ops.reciprocal(this);
  }
  /** −1, 0 or 1 by sign. */
  sign(): Tensor {
    return ops.sign(this);
  }
  /** Limits every element to [min, max]. */
  clamp(min: number, max: number): Tensor {
    return ops.clamp(this, min, max);
  }
  /** max(this, 0). */
  relu(): Tensor {
    return ops.relu(this);
  }
  /** this > 0 ? this : slope · this. */
  leakyRelu(slope = 0.01): Tensor {
    return ops.leakyRelu(this, slope);
  }
  /** GELU, tanh approximation. */
  gelu(): Tensor {
    return ops.gelu(this);
  }
  /** ln(1 + this), accurate for small values. */
  log1p(): Tensor {
    return ops.log1p(this);
  }
  /** e^this − 1, accurate for small values. */
  expm1(): Tensor {
    return ops.expm1(this);
  }
  /** 1 / (1 + e^−this), computed without overflow. */
  sigmoid(): Tensor {
    return ops.sigmoid(this);
  }
  /** Hyperbolic tangent. */
  tanh(): Tensor {
    return ops.tanh(this);
  }
  /** Converts to another dtype (float → int32 truncates toward zero; float64 → float32 rounds). */
  cast(dtype: DType): Tensor {
    return ops.cast(this, dtype);
  }
  /** A copy with its own storage. */
  clone(): Tensor {
    return ops.clone(this);
  }

  // ── comparisons and selection ─────────────────────────────────────────────
  /** this == b as int32 0/1, with broadcasting. */
  eq(b: TensorLike): Tensor {
    return ops.eq(this, b);
  }
  /** this != b as int32 0/1. */
  ne(b: TensorLike): Tensor {
    return ops.ne(this, b);
  }
  /** this > b as int32 0/1. */
  gt(b: TensorLike): Tensor {
    return ops.gt(this, b);
  }
  /** this >= b as int32 0/1. */
  ge(b: TensorLike): Tensor {
    return ops.ge(this, b);
  }
  /** this < b as int32 0/1. */
  lt(b: TensorLike): Tensor {
    return ops.lt(this, b);
  }
  /** this <= b as int32 0/1. */
  le(b: TensorLike): Tensor {
    return ops.le(this, b);
  }
  /** cond ? this : other, elementwise with broadcasting (cond nonzero = true). */
  where(cond: TensorLike, other: TensorLike): Tensor {
    return ops.where(cond, this, other);
  }

  // ── linear algebra ────────────────────────────────────────────────────────
  /** Matrix product: 2-D, 1-D (as NumPy) and batched (…, m, k)·(…, k, n) with broadcast batch dims. */
  matmul(b: TensorLike, options?: ops.MatmulOptions): Tensor {
    return ops.matmul(this, b, options);
  }

  // ── shape ─────────────────────────────────────────────────────────────────
  /** Permutes the axes (default: reverses them). */
  transpose(perm?: readonly number[]): Tensor {
    return ops.transpose(this, perm);
  }
  /** The transpose (all axes reversed). */
  get T(): Tensor {
    return ops.transpose(this);
  }
  /** Same data, new shape (one dimension may be −1). Shares storage with this tensor. */
  reshape(shape: readonly number[]): Tensor {
    return ops.reshape(this, shape);
  }
  /** Inserts a dimension of size 1 at `axis`. */
  expandDims(axis = 0): Tensor {
    return ops.expandDims(this, axis);
  }
  /** Removes dimensions of size 1 (all, or the given ones). */
  squeeze(axis?: number | readonly number[]): Tensor {
    return ops.squeeze(this, axis);
  }
  /** Flattens to rank 1. */
  flatten(): Tensor {
    return ops.reshape(this, [this.size]);
  }
  /** Repeats along size-1 axes to reach `shape` (NumPy broadcasting). */
  broadcastTo(shape: readonly number[]): Tensor {
    return ops.broadcastTo(this, shape);
  }
  /** The block starting at `begin` with `size` elements per axis (−1: to the end), as in tf.slice. */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Tensor {
    return ops.slice(this, begin, size);
  }
  /** Picks entries along `axis` by int32 indices; the output has idx's shape in place of that axis. */
  gather(indices: TensorLike, axis = 0): Tensor {
    return ops.gather(this, indices, axis);
  }
  /** One-hot float32 encoding of int32 class ids, with a new last axis of length `depth`. */
  oneHot(depth: number, dtype: FloatDType = 'float32'): Tensor {
    return ops.oneHot(this, depth, dtype);
  }

  // ── reductions ────────────────────────────────────────────────────────────
  /** Sum over the given axes (all by default). */
  sum(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.sum(this, axis, keepDims);
  }
  /** Mean over the given axes (all by default). */
  mean(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.mean(this, axis, keepDims);
  }
  /** Maximum over the given axes (all by default). */
  max(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.max(this, axis, keepDims);
  }
  /** Minimum over the given axes (all by default). */
  min(axis?: number | readonly number[], keepDims = false): Tensor {
    return ops.min(this, axis, keepDims);
  }
  /** Index of the maximum along `axis` (of the flattened tensor when omitted), int32. */
  argmax(axis?: number): Tensor {
    return ops.argmax(this, axis);
  }
  /** Index of the minimum along `axis` (of the flattened tensor when omitted), int32. */
  argmin(axis?: number): Tensor {
    return ops.argmin(this, axis);
  }
  /** log Σ exp along `axis`, stable (max subtracted first). */
  logSumExp(axis = -1, keepDims = false): Tensor {
    return ops.logSumExp(this, axis, keepDims);
  }
  /** Softmax along `axis`, stable. */
  softmax(axis = -1): Tensor {
    return ops.softmax(this, axis);
  }
  /** log(softmax) along `axis`, computed as x − logSumExp(x). */
  logSoftmax(axis = -1): Tensor {
    return ops.logSoftmax(this, axis);
  }
  /** 2-D convolution of this [N, C, H, W] with weight [outC, C/groups, kH, kW] (see conv2d). */
  conv2d(weight: TensorLike, bias?: TensorLike, options?: ops.Conv2dOptions): Tensor {
    return ops.conv2d(this, weight, bias, options);
  }
  /** Transposed 2-D convolution (see convTranspose2d). */
  convTranspose2d(weight: TensorLike, bias?: TensorLike, options?: ops.ConvTranspose2dOptions): Tensor {
    return ops.convTranspose2d(this, weight, bias, options);
  }
  /** 2-D max pooling (see maxPool2d). */
  maxPool2d(kernelSize: ops.Size2d, options?: ops.Pool2dOptions): Tensor {
    return ops.maxPool2d(this, kernelSize, options);
  }
  /** 2-D average pooling, padding counted (see avgPool2d). */
  avgPool2d(kernelSize: ops.Size2d, options?: ops.Pool2dOptions): Tensor {
    return ops.avgPool2d(this, kernelSize, options);
  }
  /** Adaptive average pooling to `outputSize` (see adaptiveAvgPool2d). */
  adaptiveAvgPool2d(outputSize: ops.Size2d): Tensor {
    return ops.adaptiveAvgPool2d(this, outputSize);
  }

  /** @internal for scope(): the tensors this object holds */
  get [TENSORS](): Tensor[] {
    return [this];
  }
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
