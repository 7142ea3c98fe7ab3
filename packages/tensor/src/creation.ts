// Creating tensors: from JS data (copied in once), filled, ranges, and seeded random ones.
import { DTypeError, ShapeError, ValueError } from './errors.js';
import { fillInPlace } from './ops/fill.js';
import { kernels, writeData, writeWord } from './runtime.js';
import { checkShape, MAX_SIZE } from './shape.js';
import { type DType, type FloatDType, itemSize, type NestedArray, Tensor } from './tensor.js';

/** Options of tensor(): the dtype (float32 by default) and, for flat data, a shape. */
export interface TensorOptions {
  /** Element type; a Float64Array keeps every bit with 'float64'. */
  dtype?: DType;
  /** Shape of flat (typed-array) data. */
  shape?: readonly number[];
}

function checkDType(op: string, dtype: unknown): DType {
  if (dtype !== 'float32' && dtype !== 'float64' && dtype !== 'int32') {
    throw new DTypeError(`${op}: dtype ${String(dtype)} is not float32, float64 or int32`);
  }
  return dtype;
}

function checkFloat(op: string, dtype: unknown): FloatDType {
  if (dtype !== 'float32' && dtype !== 'float64') throw new DTypeError(`${op}: dtype ${String(dtype)} is not float32 or float64`);
  return dtype;
}

/** A dtype given as itself or as `{ dtype }` (float32 when neither says). */
export type DTypeArg = DType | { dtype?: DType };

function dtypeArg(op: string, arg: DTypeArg | undefined): DType {
  if (arg !== null && typeof arg === 'object') return checkDType(op, arg.dtype ?? 'float32');
  return checkDType(op, arg ?? 'float32');
}

/** Infers the shape of nested arrays and flattens them, checking they are rectangular numbers. */
function flattenNested(op: string, data: NestedArray): { shape: number[]; flat: number[] } {
  const shape: number[] = [];
  let probe: NestedArray = data;
  while (Array.isArray(probe)) {
    shape.push(probe.length);
    probe = probe[0] as NestedArray;
    if (probe === undefined) break;
  }
  const flat: number[] = [];
  const walk = (v: NestedArray, depth: number, path: number[]): void => {
    if (depth === shape.length) {
      if (typeof v !== 'number')
        throw new ValueError(`${op}: element at [${path.join(',')}] is ${Array.isArray(v) ? 'an array' : typeof v}; expected a number`);
      flat.push(v);
      return;
    }
    if (!Array.isArray(v) || v.length !== shape[depth]) {
      throw new ShapeError(
        `${op}: ragged nested array: at [${path.join(',')}] expected ${shape[depth]} entries, got ${Array.isArray(v) ? v.length : typeof v}`,
      );
    }
    for (let i = 0; i < v.length; i++) walk(v[i] as NestedArray, depth + 1, [...path, i]);
  };
  walk(data, 0, []);
  return { shape, flat };
}

/** @internal tensor construction shared by tensor() and op operands. */
export function fromData(op: string, data: unknown, dtype: DType, shapeOpt?: readonly number[]): Tensor {
  let shape: number[];
  let flat: ArrayLike<number>;
  if (data instanceof Float32Array || data instanceof Int32Array || data instanceof Float64Array) {
    flat = data;
    shape = shapeOpt ? checkShape(op, shapeOpt) : [data.length];
  } else if (typeof data === 'number' && !shapeOpt) {
    // a scalar operand (x.mul(2)): the most common conversion, without the nested-array walk
    flat = [data];
    shape = [];
  } else if (typeof data === 'number' || Array.isArray(data)) {
    const r = flattenNested(op, data as NestedArray);
    flat = r.flat;
    shape = shapeOpt ? checkShape(op, shapeOpt) : checkShape(op, r.shape);
  } else if (data !== null && typeof data === 'object' && (data as { value?: unknown }).value instanceof Tensor) {
    throw new ValueError(
      `${op}: got a Variable where a Tensor op needs tensor data; call the op on the Variable instead (e.g. variable(x).${op}(v)) so it is recorded for backward, or pass v.value`,
    );
  } else if (ArrayBuffer.isView(data)) {
    // bytes or another element type: name it, and the arrays a tensor is made from
    const name = data.constructor.name;
    const kind =
      typeof Buffer !== 'undefined' && Buffer.isBuffer(data) ? 'a Node Buffer (bytes)' : `${/^[AEIO]/.test(name) ? 'an' : 'a'} ${name}`;
    throw new ValueError(
      `${op}: expected a Float32Array, Float64Array or Int32Array (or numbers), got ${kind}; convert it first, e.g. Int32Array.from(data) or Float32Array.from(data)`,
    );
  } else {
    throw new ValueError(
      `${op}: expected a number, nested arrays of numbers or a typed array, got ${data === null ? 'null' : typeof data}`,
    );
  }
  const n = shape.reduce((a, d) => a * d, 1);
  if (flat.length !== n) throw new ShapeError(`${op}: ${flat.length} values do not fill shape [${shape.join(',')}] (${n} elements)`);
  if (dtype === 'int32') {
    for (let i = 0; i < flat.length; i++) {
      const v = flat[i]!;
      if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) {
        throw new ValueError(`${op}: value ${v} at flat index ${i} is not an int32; dtype int32 needs integers in [-2^31, 2^31)`);
      }
    }
  }
  const out = new Tensor(shape, dtype);
  writeData(out.ptr(op), dtype, flat);
  return out;
}

/**
 * A tensor from JS data, copied into WebAssembly memory once: a number (rank 0), nested arrays
 * (shape inferred), or a typed array (flat; give `shape`). float32 unless `options.dtype` says
 * 'float64' or 'int32' (an Int32Array defaults to int32).
 *
 * @example
 * ```ts
 * tensor([[1, 2], [3, 4]]).shape;              // [2, 2]
 * tensor([0, 2, 1], { dtype: 'int32' }).dtype; // 'int32'
 * tensor([0.1], { dtype: 'float64' }).item();   // 0.1 exactly as JS holds it
 * ```
 */
export function tensor(data: NestedArray | Float32Array | Int32Array | Float64Array, options: TensorOptions = {}): Tensor {
  if (options === null || typeof options !== 'object') throw new ValueError(`tensor: options must be an object, got ${String(options)}`);
  const dtype = checkDType('tensor', options.dtype ?? (data instanceof Int32Array ? 'int32' : 'float32'));
  return fromData('tensor', data, dtype, options.shape);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * full([2, 2], 7).toArray(); // [[7, 7], [7, 7]]
 * ```
 */
export function full(shape: readonly number[], value: number, dtype?: DTypeArg): Tensor {
  return filled('full', shape, value, dtypeArg('full', dtype));
}

function filled(op: string, shape: readonly number[], value: number, dtype: DType): Tensor {
  checkDType(op, dtype);
  if (typeof value !== 'number') throw new ValueError(`${op}: value must be a number, got ${typeof value}`);
  if (dtype === 'int32' && (!Number.isInteger(value) || value < -(2 ** 31) || value >= 2 ** 31))
    throw new ValueError(`${op}: value ${value} is not an integer in the int32 range [-2^31, 2^31); dtype int32 needs one`);
  return fillInPlace(new Tensor(checkShape(op, shape), dtype), value);
}

/** A tensor of zeros. @example `zeros([2, 3]).sum().item(); // 0` */
export function zeros(shape: readonly number[], dtype?: DTypeArg): Tensor {
  return filled('zeros', shape, 0, dtypeArg('zeros', dtype));
}

/** A tensor of ones. @example `ones([2, 3]).sum().item(); // 6` */
export function ones(shape: readonly number[], dtype?: DTypeArg): Tensor {
  return filled('ones', shape, 1, dtypeArg('ones', dtype));
}

function finite(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ValueError(`${op}: ${name} must be a finite number, got ${String(v)}`);
  return v;
}

/**
 * Values from 0 to `stop` (exclusive): `arange(n)` is 0…n−1. int32 when `stop` is an integer,
 * float32 otherwise, or as `{ dtype }` says (as `torch.arange(n, dtype=…)`).
 *
 * @example
 * ```ts
 * arange(5).toArray();                       // [0, 1, 2, 3, 4]
 * arange(3, { dtype: 'float64' }).dtype;     // 'float64'
 * ```
 */
export function arange(stop: number, options?: DTypeArg): Tensor;
/**
 * Values from `start` (inclusive) to `stop` (exclusive) by `step` (default 1). int32 when all
 * arguments are integers, float32 otherwise, or as the last argument (`{ dtype }` or a dtype) says.
 *
 * @example
 * ```ts
 * arange(0, 1, 0.25).toArray();              // [0, 0.25, 0.5, 0.75]
 * arange(2, 5, { dtype: 'float32' }).dtype;  // 'float32'
 * ```
 */
export function arange(start: number, stop: number | undefined, step?: number | DTypeArg, options?: DTypeArg): Tensor;
export function arange(start: number, stop?: number | DTypeArg, step?: number | DTypeArg, options?: DTypeArg): Tensor {
  // the dtype comes last, after however many numbers were given
  const given: unknown[] = [stop, step, options];
  while (given.length > 0 && given[given.length - 1] === undefined) given.pop();
  const tail = given[given.length - 1];
  const dtype = tail !== undefined && typeof tail !== 'number' ? dtypeArg('arange', given.pop() as DTypeArg) : undefined;
  given.forEach((v, i) => {
    if (v !== undefined && typeof v !== 'number') {
      throw new ValueError(
        `arange: argument ${i + 2} is ${v === null ? 'null' : typeof v}; expected numbers (start, stop, step), then optionally { dtype }`,
      );
    }
  });
  const numbers = [start, ...(given as Array<number | undefined>)];
  let lo = finite('arange', 'start', numbers[0]);
  let hi = numbers[1];
  const stepValue = numbers[2] ?? 1;
  if (hi === undefined) {
    hi = lo;
    lo = 0;
  }
  finite('arange', 'stop', hi);
  finite('arange', 'step', stepValue);
  if (stepValue === 0) throw new ValueError('arange: step must not be 0');
  const n = Math.max(0, Math.ceil((hi - lo) / stepValue));
  if (!(n <= MAX_SIZE))
    throw new ShapeError(`arange: [${lo}, ${hi}) in steps of ${stepValue} has ${n} elements; the maximum is ${MAX_SIZE}`);
  const dt = dtype ?? ([lo, hi, stepValue].every(Number.isInteger) ? 'int32' : 'float32');
  const values = new Float64Array(n);
  for (let i = 0; i < n; i++) values[i] = lo + i * stepValue;
  return fromData('arange', values, dt, [n]);
}

/**
 * `num` evenly spaced values (float32, or `options.dtype`) from `start` to `stop`, both included.
 *
 * @example
 * ```ts
 * linspace(0, 1, 5).toArray(); // [0, 0.25, 0.5, 0.75, 1]
 * ```
 */
export function linspace(start: number, stop: number, num: number, options: { dtype?: FloatDType } = {}): Tensor {
  const dtype = checkFloat('linspace', options.dtype ?? 'float32');
  finite('linspace', 'start', start);
  finite('linspace', 'stop', stop);
  if (!Number.isInteger(num) || num < 0) throw new ValueError(`linspace: num must be a non-negative integer, got ${String(num)}`);
  if (num > MAX_SIZE) throw new ShapeError(`linspace: ${num} elements; the maximum is ${MAX_SIZE}`);
  const values = new Float64Array(num);
  const step = num > 1 ? (stop - start) / (num - 1) : 0;
  for (let i = 0; i < num; i++) values[i] = i === num - 1 && num > 1 ? stop : start + i * step;
  return fromData('linspace', values, dtype, [num]);
}

/**
 * The n×m identity matrix (m = n by default).
 *
 * @example
 * ```ts
 * eye(2).toArray(); // [[1, 0], [0, 1]]
 * ```
 */
export function eye(n: number, m = n, dtype?: DTypeArg): Tensor {
  const dt = dtypeArg('eye', dtype);
  const out = zeros(checkShape('eye', [n, m]), dt);
  const p = out.ptr('eye');
  for (let i = 0; i < Math.min(n, m); i++) writeWord(p + (i * m + i) * itemSize(dt), dt, 1);
  return out;
}

// ── seeded randomness ──────────────────────────────────────────────────────
/**
 * Seeds the generator behind rand, randn, randint, randperm and dropout: the same seed gives
 * bit-identical numbers, in Node and in the browser.
 *
 * @example
 * ```ts
 * manualSeed(42); const a = randn([3]).toArray();
 * manualSeed(42); const b = randn([3]).toArray(); // same as a, bit for bit
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new ValueError(`manualSeed: seed must be an integer in [0, 2^32), got ${String(seed)}`);
  }
  kernels().rng_seed(seed >>> 0);
}

/**
 * The generator's state, four 32-bit words (PyTorch's `torch.get_rng_state`): `setRngState` with
 * it resumes the stream exactly there, so a detour that draws numbers (sampling, a seeded
 * preview) need not change what a run draws next.
 *
 * @example
 * ```ts
 * const state = getRngState();
 * const a = rand([2]).toArray();
 * setRngState(state);
 * const b = rand([2]).toArray(); // the same as a
 * ```
 */
export function getRngState(): Uint32Array {
  const k = kernels();
  return Uint32Array.from([0, 1, 2, 3], (i) => k.rng_state(i) >>> 0);
}

/**
 * Restores a state from `getRngState()` (PyTorch's `torch.set_rng_state`). ValueError unless it
 * is four integers in [0, 2^32), not all zero (a state the generator never leaves).
 */
export function setRngState(state: ArrayLike<number>): void {
  const words = state === null || typeof state !== 'object' ? [] : Array.from(state);
  if (words.length !== 4 || !words.every((w) => Number.isInteger(w) && w >= 0 && w <= 0xffffffff)) {
    throw new ValueError(`setRngState: expected the four 32-bit words getRngState() returns, got ${String(state)}`);
  }
  if (words.every((w) => w === 0)) throw new ValueError('setRngState: an all-zero state is not one the generator can be in');
  kernels().rng_set_state(words[0]!, words[1]!, words[2]!, words[3]!);
}

/**
 * Uniform values in [low, high), float32 unless `dtype: 'float64'` (which takes the same draws
 * from the generator, unrounded). @example `rand([2, 2], { low: -1, high: 1 })`
 */
export function rand(shape: readonly number[], options: { low?: number; high?: number; dtype?: FloatDType } = {}): Tensor {
  if (options === null || typeof options !== 'object') throw new ValueError(`rand: options must be an object, got ${String(options)}`);
  const low = finite('rand', 'low', options.low ?? 0);
  const high = finite('rand', 'high', options.high ?? 1);
  if (!(high > low)) throw new ValueError(`rand: high ${high} must be greater than low ${low}`);
  const dtype = checkFloat('rand', options.dtype ?? 'float32');
  const out = new Tensor(checkShape('rand', shape), dtype);
  if (dtype === 'float64') kernels().rng_uniform_f64(out.ptr('rand'), out.size, low, high);
  else kernels().rng_uniform_f32(out.ptr('rand'), out.size, low, high);
  return out;
}

/**
 * Normal values N(mean, std²), float32 unless `dtype: 'float64'` (the same draws as float32,
 * unrounded: with the default mean and std, one seed gives a float64 tensor whose float32 cast
 * is the float32 one; other mean and std scale in each dtype's arithmetic, equal to a few ulps).
 * @example `randn([3, 3], { std: 0.1 })`
 */
export function randn(shape: readonly number[], options: { mean?: number; std?: number; dtype?: FloatDType } = {}): Tensor {
  if (options === null || typeof options !== 'object') throw new ValueError(`randn: options must be an object, got ${String(options)}`);
  const mean = finite('randn', 'mean', options.mean ?? 0);
  const std = finite('randn', 'std', options.std ?? 1);
  if (std < 0) throw new ValueError(`randn: std must be ≥ 0, got ${std}`);
  const dtype = checkFloat('randn', options.dtype ?? 'float32');
  const out = new Tensor(checkShape('randn', shape), dtype);
  if (dtype === 'float64') kernels().rng_normal_f64(out.ptr('randn'), out.size, mean, std);
  else kernels().rng_normal_f32(out.ptr('randn'), out.size, mean, std);
  return out;
}

/** Uniform int32 values in [low, high). @example `randint(0, 10, [5])` */
export function randint(low: number, high: number, shape: readonly number[]): Tensor {
  if (!Number.isInteger(low) || !Number.isInteger(high))
    throw new ValueError(`randint: bounds must be integers, got ${String(low)} and ${String(high)}`);
  if (!(high > low)) throw new ValueError(`randint: high ${high} must be greater than low ${low}`);
  if (low < -(2 ** 31) || high > 2 ** 31 || high - low > 2 ** 32 - 1) throw new ValueError(`randint: [${low}, ${high}) exceeds int32`);
  const out = new Tensor(checkShape('randint', shape), 'int32');
  kernels().rng_int_i32(out.ptr('randint'), out.size, low, high);
  return out;
}

/** A random permutation of 0…n−1 (int32). @example `randperm(5)` */
export function randperm(n: number): Tensor {
  const out = new Tensor(checkShape('randperm', [n]), 'int32');
  kernels().rng_permutation_i32(out.ptr('randperm'), n);
  return out;
}

/** A dropout mask: each entry is 1/(1−p) with probability 1−p, else 0 (float32, or `dtype`). */
export function dropoutMask(shape: readonly number[], p: number, dtype: FloatDType = 'float32'): Tensor {
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new ValueError(`dropoutMask: p must be in [0, 1), got ${String(p)}`);
  checkFloat('dropoutMask', dtype);
  const out = new Tensor(checkShape('dropoutMask', shape), dtype);
  if (dtype === 'float64') kernels().rng_dropout_mask_f64(out.ptr('dropoutMask'), out.size, 1 - p, 1 / (1 - p));
  else kernels().rng_dropout_mask_f32(out.ptr('dropoutMask'), out.size, 1 - p, 1 / (1 - p));
  return out;
}
