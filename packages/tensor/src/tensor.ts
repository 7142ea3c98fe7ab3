// The Tensor: a small JS object (shape, dtype, and a reference to storage in WebAssembly
// memory), plus deterministic lifetime management: dispose(), scope() and keep().

import { DisposedError, fmtShape, MemoryError, ValueError } from './errors.js';
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
  /** the count of the op that first wrote the block (set by the first ptr() call), for leak reports */
  origin: OriginCount | undefined;
}

/** Live blocks written first by one op, and their bytes. */
interface OriginCount {
  readonly op: string;
  blocks: number;
  bytes: number;
}

const scopes: Tensor[][] = [];
let liveTensors = 0;

// ── the safety net ─────────────────────────────────────────────────────────
// scope() and dispose() free memory deterministically. A tensor that escapes every scope (made
// outside one, kept, or returned from the outermost) is also registered here, so if it becomes
// unreachable without dispose() the garbage collector's finalizer gives its handle back: the
// storage's reference count drops and the block is freed with its last handle, exactly as
// dispose() does. dispose() unregisters, so no block is ever freed twice.
const net = new FinalizationRegistry<Storage>((storage) => {
  liveTensors--;
  if (--storage.refs === 0) freeStorage(storage);
});

// live blocks by the op that wrote them; each block points at its op's count, so freeing it
// needs no lookup, and the last count used is at hand for the next block (an op's output is
// usually followed by another of the same op's, or by the same op in the next step)
const liveByOp = new Map<string, OriginCount>();
let lastOrigin: OriginCount = { op: '', blocks: 0, bytes: 0 };

function freeStorage(s: Storage): void {
  const c = s.origin;
  if (c !== undefined) {
    c.blocks--;
    c.bytes -= s.bytes;
  }
  rt().allocator.free(s.ptr, s.bytes);
}

function noteOrigin(s: Storage, op: string): void {
  let c = lastOrigin;
  if (c.op !== op) {
    const known = liveByOp.get(op);
    if (known === undefined) {
      c = { op, blocks: 0, bytes: 0 };
      liveByOp.set(op, c);
    } else c = known;
    lastOrigin = c;
  }
  c.blocks++;
  c.bytes += s.bytes;
  s.origin = c;
}

/** The op whose blocks are most numerous among the live ones. */
function topOrigin(): { op: string; tensors: number; bytes: number } {
  let top = { op: 'unknown', tensors: 0, bytes: 0 };
  for (const c of liveByOp.values()) if (c.blocks > top.tensors) top = { op: c.op, tensors: c.blocks, bytes: c.bytes };
  return top;
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** One line on what is alive and who made it, and the remedy, for MemoryError and the leak warning. */
function liveSummary(): string {
  const top = topOrigin();
  const most =
    top.tensors > 0
      ? `; the op that made the most of them is '${top.op}' (${top.tensors.toLocaleString('en-US')} blocks, ${mib(top.bytes)})`
      : '';
  return (
    `${liveTensors.toLocaleString('en-US')} tensors are alive, holding ${mib(rt().allocator.bytesInUse)}${most}. ` +
    'Run each step inside scope(() => { ... }) so its temporaries are freed, or dispose() tensors you no longer need'
  );
}

/** What the leak warning reports when live tensors keep growing. */
export interface LeakReport {
  /** Live tensors when the warning was given. */
  tensors: number;
  /** Bytes of tensor data in use. */
  bytes: number;
  /** The op that made the most live blocks, and how many. */
  topOp: { op: string; tensors: number; bytes: number };
  /** The warning's text. */
  message: string;
}

type LeakHandler = (report: LeakReport) => void;
const warnToConsole: LeakHandler = (r) => console.warn(r.message);
const production = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.NODE_ENV === 'production';
let leakHandler: LeakHandler | null = production ? null : warnToConsole;
let leakWarned = false;
// The leak watch samples the live count at outermost scope exits and at every 64th tensor made,
// and keeps the lowest sample of each window of 4096 tensors made: many steps of a training
// loop, so each window's lowest sample is near a step boundary. A loop that frees its steps
// returns to the same floor window after window; one that leaks raises the floor every window.
const SAMPLE_MASK = 63;
const WINDOW_MASK = 4095;
const LEAK_RISES = 3;
const LEAK_GROWTH = 10_000;
let made = 0;
let windowMin = Number.POSITIVE_INFINITY;
let lastMin = -1;
let rises = 0;
let riseBase = 0;

function resetLeakWatch(): void {
  windowMin = Number.POSITIVE_INFINITY;
  lastMin = -1;
  rises = 0;
  riseBase = 0;
}

function sampleLive(): void {
  if (liveTensors < windowMin) windowMin = liveTensors;
}

function closeLeakWindow(): void {
  const low = windowMin;
  windowMin = Number.POSITIVE_INFINITY;
  if (leakHandler === null || leakWarned) return;
  if (lastMin >= 0 && low > lastMin) {
    if (rises++ === 0) riseBase = lastMin;
  } else rises = 0;
  lastMin = low;
  if (rises >= LEAK_RISES && low - riseBase >= LEAK_GROWTH) {
    leakWarned = true;
    const message = `gd: live tensors keep growing: ${liveSummary()}. (Silence this with setLeakWarning(false) or NODE_ENV=production.)`;
    leakHandler({ tensors: liveTensors, bytes: rt().allocator.bytesInUse, topOp: topOrigin(), message });
  }
}

/**
 * Sets what happens when live tensors keep growing — a loop that drops tensors without
 * `dispose()` or `scope()`. By default (unless NODE_ENV is 'production') it is a console warning,
 * given once per process, naming the op that made the most live tensors. `false` silences it,
 * `true` restores the console warning, a function receives the report instead. Each call re-arms
 * the warning and restarts the watch.
 *
 * @example
 * ```ts
 * setLeakWarning((report) => myLogger.warn(report.message));
 * setLeakWarning(false); // silent
 * ```
 */
export function setLeakWarning(handler: boolean | ((report: LeakReport) => void)): void {
  if (typeof handler !== 'boolean' && typeof handler !== 'function') {
    throw new ValueError(`setLeakWarning: expected true, false or a function, got ${handler === null ? 'null' : typeof handler}`);
  }
  leakHandler = handler === true ? warnToConsole : handler === false ? null : handler;
  leakWarned = false;
  resetLeakWatch();
}

/** Unscoped tensors go on the net; the rest are freed by their scope. */
function onNet(t: Tensor): void {
  if (t.netted || t.isDisposed) return;
  t.netted = true;
  net.register(t, t.storage, t);
}

// Registering costs more than making a small tensor, and most unscoped tensors are disposed at
// once (an op's converted operands, `x.add(1).dispose()`), as are most kept ones (a step's
// gradients, freed by the next zeroGrad()): a tensor leaving every scope, or kept by one, waits
// here, and only the ones still alive when the batch fills or the current task ends are registered.
const nursery: Tensor[] = [];
const NURSERY = 256;

let flushQueued = false;

function flushNursery(): void {
  for (const t of nursery) onNet(t);
  nursery.length = 0;
}

function flushAtTaskEnd(): void {
  flushQueued = false;
  flushNursery();
}

function toNursery(t: Tensor): void {
  if (!flushQueued) {
    flushQueued = true;
    queueMicrotask(flushAtTaskEnd);
  }
  nursery.push(t);
  if (nursery.length >= NURSERY) flushNursery();
}

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
  /** @internal registered with the garbage collector's safety net (see onNet) */
  netted = false;
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
      let ptr: number;
      try {
        ptr = rt().allocator.alloc(bytes);
      } catch (e) {
        if (e instanceof MemoryError) throw new MemoryError(`${e.message}. ${liveSummary()}`);
        throw e;
      }
      this.storage = { ptr, bytes, refs: 1, origin: undefined };
    }
    liveTensors++;
    const open = scopes[scopes.length - 1];
    if (open) open.push(this);
    else toNursery(this);
    const m = ++made;
    if ((m & SAMPLE_MASK) === 0) {
      sampleLive();
      if ((m & WINDOW_MASK) === 0) closeLeakWindow();
    }
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
    const s = this.storage;
    if (s.origin === undefined) noteOrigin(s, op);
    return s.ptr;
  }

  /** Frees the data (shared with reshaped views until the last one goes). Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    liveTensors--;
    if (this.netted) net.unregister(this);
    const s = this.storage;
    if (--s.refs === 0) freeStorage(s);
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
  // no [result, created] pair as collecting() returns: scope() runs for every op and every gradient rule
  const created: Tensor[] = [];
  const result = runCollecting(fn, created);
  if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
    release(created);
    throw new ValueError('scope: fn returned a Promise; scopes are synchronous (await outside, scope each step)');
  }
  const parent = scopes[scopes.length - 1];
  if (created.length > 0) {
    // the common results — nothing, a number, one tensor — need no search of the result
    if (result === null || typeof result !== 'object' || result instanceof Tensor) {
      for (const t of created) {
        if (t === result) survive(t, parent);
        else if (!t.kept) t.dispose();
        else toNursery(t);
      }
    } else if (Array.isArray(result) && result.length <= SMALL_RESULT && tensorsOrEmpty(result)) {
      // a gradient rule's result: a few tensors (or nulls), searched in place
      for (const t of created) {
        if (result.includes(t)) survive(t, parent);
        else if (!t.kept) t.dispose();
        else toNursery(t);
      }
    } else {
      const returned = new Set<Tensor>();
      collect(result, returned, 0);
      for (const t of created) {
        if (returned.has(t)) survive(t, parent);
        else if (!t.kept) t.dispose();
        else toNursery(t);
      }
    }
  }
  if (parent === undefined) sampleLive();
  return result;
}

/** Results of at most this many entries are searched in place by scope(). */
const SMALL_RESULT = 8;

/** Whether every entry of `xs` is a Tensor, null or undefined (nothing scope() must search inside). */
function tensorsOrEmpty(xs: readonly unknown[]): boolean {
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x !== null && x !== undefined && !(x instanceof Tensor)) return false;
  }
  return true;
}

/**
 * Runs `fn` with a fresh list of the tensors it creates and returns both; if `fn` throws, they
 * are released before the error goes on: how freeOnThrow() opens its scope (scope() does the
 * same inline).
 */
function collecting<T>(fn: () => T): [T, Tensor[]] {
  const created: Tensor[] = [];
  return [runCollecting(fn, created), created];
}

/** Runs `fn` with `created` as the list of the tensors it creates; if `fn` throws, they are released before the error goes on. */
function runCollecting<T>(fn: () => T, created: Tensor[]): T {
  scopes.push(created);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    scopes.pop();
    release(created);
    throw e;
  }
  scopes.pop();
  return result;
}

/** Frees the tensors of a scope that ended without a result; kept ones go to the safety net. */
function release(created: readonly Tensor[]): void {
  for (const t of created)
    if (!t.kept) t.dispose();
    else toNursery(t);
}

// a returned tensor belongs to the enclosing scope, or, past the outermost, to the safety net
// (through the nursery: a result disposed at once is never registered)
function survive(t: Tensor, parent: Tensor[] | undefined): void {
  if (parent) parent.push(t);
  else toNursery(t);
}

/**
 * Runs `fn`; if it throws, disposes every tensor created inside it (except `keep()`-ed ones) and
 * rethrows; if it returns, changes nothing — what it created belongs to the enclosing scope, as
 * if `fn` had run there. For work whose results must all outlive it (a forward pass whose
 * intermediates backward reads) but whose half-done state must not leak when it fails.
 *
 * @example
 * ```ts
 * const out = freeOnThrow(() => layers.reduce((v, layer) => layer.forward(v), x));
 * ```
 */
export function freeOnThrow<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`freeOnThrow: expected a function, got ${fn === null ? 'null' : typeof fn}`);
  const [result, created] = collecting(fn);
  const parent = scopes[scopes.length - 1];
  for (const t of created)
    if (!t.kept) survive(t, parent);
    else toNursery(t);
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
