// The one place that touches WebAssembly: the memory, the compiled kernels, typed views over
// the memory, and the allocator that hands out tensor storage inside it.
import { BlockAllocator } from './allocator.js';
import { MemoryError, ShapeError, StateError } from './errors.js';
import type { Kernels } from './generated/kernels.js';
import {
  KERNELS_RELAXED_SHARED_WASM_BASE64,
  KERNELS_RELAXED_WASM_BASE64,
  KERNELS_SHARED_WASM_BASE64,
  KERNELS_WASM_BASE64,
} from './generated/kernels-wasm.js';
import type { Plan } from './shape.js';

export type { Kernels };

const PAGE = 65536;
/** Address range for kernel plans (shapes and strides), above the module's static data. */
export const META_PTR = 16 * 1024;
const META_END = 64 * 1024;
/** Words available to one plan. */
export const META_WORDS = (META_END - META_PTR) / 4;
const INITIAL_PAGES = 64; // 4 MiB to start; grows on demand
const MAX_PAGES = 65536; // 4 GiB, the wasm32 limit

/** The live runtime: kernels, memory, views and allocator. */
export interface Runtime {
  kernels: Kernels;
  memory: WebAssembly.Memory;
  allocator: BlockAllocator;
  /** Scratch for gemm_f32's packed panels. */
  gemmWork: number;
  /** The compiled module (worker threads instantiate it too). */
  module: WebAssembly.Module;
  /** Whether the memory is shared (threads possible). */
  shared: boolean;
  /** Which build of the kernels runs. */
  simd: SimdBuild;
}

/** A build of the kernels: `'relaxed'` fuses the GEMM multiply-add (`f32x4.relaxed_madd`), `'plain'` multiplies then adds. */
export type SimdBuild = 'relaxed' | 'plain';

// The smallest module using relaxed SIMD: (func (param v128 v128 v128) (result v128)
// local.get 0 local.get 1 local.get 2 f32x4.relaxed_madd). Engines without the feature reject it.
const RELAXED_PROBE = new Uint8Array([
  0, 0x61, 0x73, 0x6d, 1, 0, 0, 0, 1, 8, 1, 0x60, 3, 0x7b, 0x7b, 0x7b, 1, 0x7b, 3, 2, 1, 0, 10, 13, 1, 11, 0, 0x20, 0, 0x20, 1, 0x20, 2,
  0xfd, 0x85, 0x02, 0x0b,
]);

let relaxedSupported: boolean | undefined;

/** Whether this engine runs relaxed SIMD (checked once, by validating a tiny module). */
export function relaxedSimdSupported(): boolean {
  relaxedSupported ??= WebAssembly.validate(RELAXED_PROBE as BufferSource);
  return relaxedSupported;
}

let wanted: SimdBuild | undefined;

/**
 * Chooses the build the kernels start with (before they start): `'auto'` takes relaxed SIMD
 * where the engine has it. Asking for `'relaxed'` where it is missing is a StateError.
 */
export function chooseSimd(simd: SimdBuild | 'auto'): void {
  const build: SimdBuild = simd === 'auto' ? (relaxedSimdSupported() ? 'relaxed' : 'plain') : simd;
  if (build === 'relaxed' && !relaxedSimdSupported()) {
    throw new StateError(
      "ready: simd 'relaxed' asked for, but this engine has no relaxed SIMD (Node 20 needs --experimental-wasm-relaxed-simd)",
    );
  }
  if (runtime && runtime.simd !== build) {
    throw new StateError(
      `ready: simd '${simd}' asked for, but the kernels already run the '${runtime.simd}' build (choose it before the first op)`,
    );
  }
  wanted = build;
}

/** The build the kernels start with (the one chosen, else the best this engine runs). */
export function currentSimd(): SimdBuild {
  return wanted ?? (relaxedSimdSupported() ? 'relaxed' : 'plain');
}

let runtime: Runtime | undefined;
let pending: Promise<void> | undefined;

function wasmBytes(shared: boolean, simd: SimdBuild): Uint8Array {
  const base64 =
    simd === 'relaxed'
      ? shared
        ? KERNELS_RELAXED_SHARED_WASM_BASE64
        : KERNELS_RELAXED_WASM_BASE64
      : shared
        ? KERNELS_SHARED_WASM_BASE64
        : KERNELS_WASM_BASE64;
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function start(module: WebAssembly.Module, shared: boolean, simd: SimdBuild): void {
  const memory = new WebAssembly.Memory({ initial: INITIAL_PAGES, maximum: MAX_PAGES, shared });
  const instance = new WebAssembly.Instance(module, {
    env: {
      memory,
      abort: () => {
        throw new StateError('kernel abort');
      },
    },
  });
  const kernels = instance.exports as unknown as Kernels;
  if (kernels.heap_base() > META_PTR) throw new StateError('kernels: static data overlaps the plan area');
  const gemmWork = META_END;
  const heapBase = gemmWork + kernels.gemm_work_floats() * 4;
  const grow = (neededEnd: number): number => {
    const have = memory.buffer.byteLength;
    const pages = Math.ceil((neededEnd - have) / PAGE);
    // grow by at least half again, so a growing workload pays for few grows
    const want = Math.min(MAX_PAGES - have / PAGE, Math.max(pages, Math.ceil(have / PAGE / 2)));
    if (want < pages) {
      throw new MemoryError(`alloc: needs ${neededEnd} bytes of WebAssembly memory; the limit is ${MAX_PAGES * PAGE}`);
    }
    try {
      memory.grow(want);
    } catch {
      try {
        memory.grow(pages);
      } catch {
        throw new MemoryError(`alloc: WebAssembly memory could not grow to ${neededEnd} bytes`);
      }
    }
    viewsStale = true;
    return memory.buffer.byteLength;
  };
  const allocator = new BlockAllocator(heapBase, memory.buffer.byteLength, grow);
  runtime = { kernels, memory, allocator, gemmWork, module, shared, simd };
  viewsStale = true;
  kernels.rng_seed(0);
}

/**
 * Compiles and instantiates the kernels once, asynchronously (a browser's main thread cannot
 * compile synchronously); `shared` puts the memory in a SharedArrayBuffer for worker threads.
 */
export async function startKernels(shared: boolean): Promise<void> {
  if (!shared) {
    if (runtime) return;
    const simd = currentSimd();
    pending ??= WebAssembly.compile(wasmBytes(false, simd) as BufferSource).then((module) => {
      if (!runtime) start(module, false, simd);
    });
    return pending;
  }
  if (runtime && !runtime.shared) {
    throw new StateError('ready: threads must be requested before the first op, when the kernels start (their memory must be shared)');
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new StateError('ready: threads need SharedArrayBuffer (in a browser, a cross-origin isolated page)');
  }
  const simd = currentSimd();
  pending ??= WebAssembly.compile(wasmBytes(true, simd) as BufferSource).then((module) => {
    if (!runtime) start(module, true, simd);
  });
  await pending;
}

/** The runtime if the kernels have started, else undefined (never starts them). */
export function currentRuntime(): Runtime | undefined {
  return runtime;
}

/** The runtime, started synchronously if `ready()` has not finished yet. */
export function rt(): Runtime {
  if (runtime) return runtime;
  try {
    const simd = currentSimd();
    start(new WebAssembly.Module(wasmBytes(false, simd) as BufferSource), false, simd);
  } catch (e) {
    if (e instanceof MemoryError || e instanceof StateError) throw e;
    throw new StateError(`gd: the WebAssembly kernels could not start synchronously here (${String(e)}); call 'await ready()' first`);
  }
  return runtime as unknown as Runtime;
}

/** The kernels, starting them if needed (while record() records, a version that also writes the tape). */
export function kernels(): Kernels {
  return tape === null ? rt().kernels : tapedKernels();
}

// ── the tape of record() (record.ts) ───────────────────────────────────────
// While a tape is set, every kernel call and every write of the heap from JavaScript is appended
// to it as a closure over its arguments, so replaying the closures redoes the same work on the
// same addresses. A read of tensor data from JavaScript would let a value steer the work, which a
// replay cannot follow: it is a StateError while recording, except inside valueCheck().

let tape: Array<() => void> | null = null;
let checking = 0;
let taped: { of: Kernels; kernels: Kernels } | undefined;

/** @internal Sets (or clears, with null) the tape that kernel calls and heap writes are appended to. */
export function setTape(t: Array<() => void> | null): void {
  tape = t;
}

/** @internal Whether record() is recording. */
export function recording(): boolean {
  return tape !== null;
}

/** @internal Appends one step to the tape, if recording. */
export function onTape(step: () => void): void {
  tape?.push(step);
}

/**
 * f(...a) with a fixed argument count for the kernels' arities (a spread call into WebAssembly
 * takes a slow path): the tape's replays and the threads' parts call kernels this way.
 */
export function callWith(f: (...args: number[]) => unknown, a: readonly number[]): unknown {
  switch (a.length) {
    case 2:
      return f(a[0]!, a[1]!);
    case 3:
      return f(a[0]!, a[1]!, a[2]!);
    case 4:
      return f(a[0]!, a[1]!, a[2]!, a[3]!);
    case 5:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!);
    case 6:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!);
    case 7:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!);
    case 8:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!);
    case 10:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!);
    case 12:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!);
    case 13:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!);
    case 14:
      return f(a[0]!, a[1]!, a[2]!, a[3]!, a[4]!, a[5]!, a[6]!, a[7]!, a[8]!, a[9]!, a[10]!, a[11]!, a[12]!, a[13]!);
    default:
      return f(...a);
  }
}

function tapedKernels(): Kernels {
  const k = rt().kernels;
  if (taped?.of === k) return taped.kernels;
  const wrapped: Record<string, unknown> = {};
  for (const [name, f] of Object.entries(k)) {
    if (typeof f !== 'function') {
      wrapped[name] = f;
      continue;
    }
    const fn = f as (...args: number[]) => unknown;
    wrapped[name] = (...args: number[]) => {
      const r = fn(...args);
      // a kernel that returns a number hands a tensor value to JavaScript (sumOfSquares)
      if (r !== undefined) noRead(`${name} returned a value to JavaScript`);
      tape?.push(() => callWith(fn, args));
      return r;
    };
  }
  taped = { of: k, kernels: wrapped as unknown as Kernels };
  return taped.kernels;
}

function noRead(what: string): void {
  if (tape !== null && checking === 0) {
    throw new StateError(
      `record: ${what} while recording; a recording replays kernels only, so the recorded function must not read tensor values (item(), data(), toArray(), sumOfSquares) — read them after replay()`,
    );
  }
}

/**
 * Runs `check`, which may read the heap to validate values (indices in range); while record()
 * records, the check is also put on the tape, so every replay checks the values it then finds.
 */
export function replayedCheck(check: () => void): void {
  const run = () => {
    checking++;
    try {
      check();
    } finally {
      checking--;
    }
  };
  run();
  tape?.push(run);
}

// ── the heap, seen from JavaScript ─────────────────────────────────────────
// A typed-array view of WebAssembly memory goes stale when the memory grows: detached for a
// plain memory, too short for a shared one (where writes past its end are silently dropped).
// So no view leaves this section: the operations below take byte addresses, build a live view,
// and use it at once, with no allocation in between. Addresses are unsigned: a byte offset above
// 2^31 turns into an element index with `>>>`, never a signed shift.

let viewBuffer: ArrayBufferLike | undefined;
let f32View = new Float32Array(0);
let f64View = new Float64Array(0);
let i32View = new Int32Array(0);
let u8View = new Uint8Array(0);

/** Element dtypes as the heap sees them. */
type HeapDType = 'float32' | 'float64' | 'int32';

// The views are rebuilt after the memory grows, which only the allocator's grow (above) does — the
// kernels never grow it — so that grow marks them stale, and live() need not ask the memory for its
// buffer (a slow getter) on every access.
let viewsStale = true;

function live(): void {
  if (!viewsStale) return;
  const buffer = rt().memory.buffer;
  viewsStale = false;
  if (buffer === viewBuffer) return;
  viewBuffer = buffer;
  f32View = new Float32Array(buffer);
  f64View = new Float64Array(buffer);
  i32View = new Int32Array(buffer);
  u8View = new Uint8Array(buffer);
}

function words(dtype: HeapDType): Float32Array | Float64Array | Int32Array {
  live();
  return dtype === 'float32' ? f32View : dtype === 'int32' ? i32View : f64View;
}

// element index of a byte address: 4-byte elements shift by 2, 8-byte ones by 3 (storage is
// 16-byte aligned, so both are exact)
function at(ptr: number, dtype: HeapDType): number {
  return dtype === 'float64' ? ptr >>> 3 : ptr >>> 2;
}

/** A copy of `n` elements of `dtype` at byte address `ptr`. */
export function readData(ptr: number, n: number, dtype: HeapDType): Float32Array | Float64Array | Int32Array {
  noRead('data() or toArray() read a tensor');
  const i = at(ptr, dtype);
  return words(dtype).slice(i, i + n);
}

/** Writes `values` as elements of `dtype` from byte address `ptr` on. */
export function writeData(ptr: number, dtype: HeapDType, values: ArrayLike<number>): void {
  words(dtype).set(values, at(ptr, dtype));
  if (tape !== null) {
    const copy = words(dtype).slice(at(ptr, dtype), at(ptr, dtype) + values.length);
    tape.push(() => words(dtype).set(copy, at(ptr, dtype)));
  }
}

/** Sets `n` elements of `dtype` at byte address `ptr` to `value`. */
export function fillData(ptr: number, n: number, dtype: HeapDType, value: number): void {
  const i = at(ptr, dtype);
  words(dtype).fill(value, i, i + n);
  tape?.push(() => words(dtype).fill(value, i, i + n));
}

/** The element of `dtype` at byte address `ptr`. */
export function readWord(ptr: number, dtype: HeapDType): number {
  noRead('item() read a tensor');
  return words(dtype)[at(ptr, dtype)]!;
}

/** Sets the element of `dtype` at byte address `ptr`. */
export function writeWord(ptr: number, dtype: HeapDType, value: number): void {
  words(dtype)[at(ptr, dtype)] = value;
  tape?.push(() => {
    words(dtype)[at(ptr, dtype)] = value;
  });
}

/** Copies `bytes` bytes from `src` to `dst` (the ranges may overlap). */
export function copyBytes(dst: number, src: number, bytes: number): void {
  live();
  u8View.copyWithin(dst, src, src + bytes);
  tape?.push(() => {
    live();
    u8View.copyWithin(dst, src, src + bytes);
  });
}

/** The first of `n` int32 values at `ptr` outside [0, bound), or undefined when all are inside. */
export function firstOutOfRange(ptr: number, n: number, bound: number): { index: number; value: number } | undefined {
  noRead('an index check read a tensor');
  const heap = words('int32');
  const at = ptr >>> 2;
  for (let i = 0; i < n; i++) {
    const v = heap[at + i]!;
    if (v < 0 || v >= bound) return { index: i, value: v };
  }
  return undefined;
}

/** A byte view of [ptr, ptr + bytes): valid only until the next allocation. */
export function bytesAt(ptr: number, bytes: number): Uint8Array {
  noRead('the bytes of a tensor were read');
  live();
  return u8View.subarray(ptr, ptr + bytes);
}

/** An int32 view of the whole memory for Atomics on control words: valid only until the next allocation. */
export function liveI32(): Int32Array {
  live();
  return i32View;
}

/** A float64 view of the whole memory (a worker job's arguments): valid only until the next allocation. */
export function liveF64(): Float64Array {
  live();
  return f64View;
}

/** Writes a plan into the kernels' plan area; returns its rank. */
export function writePlan(plan: Plan): number {
  const nd = plan.shape.length;
  const n = (2 + plan.strides.length) * nd + plan.strides.length;
  if (n > META_WORDS) throw new ShapeError(`plan of rank ${nd} is too large`);
  const heap = words('int32');
  const base = META_PTR >>> 2;
  for (let d = 0; d < nd; d++) heap[base + d] = plan.shape[d]!;
  for (let k = 0; k < plan.strides.length; k++) {
    const s = plan.strides[k]!;
    const at = base + (k + 1) * nd;
    for (let d = 0; d < nd; d++) heap[at + d] = s[d]!;
  }
  if (tape !== null) {
    const copy = heap.slice(base, base + n);
    tape.push(() => words('int32').set(copy, base));
  }
  return nd;
}

/**
 * Where scalarOperand() puts its value: past a one-axis plan of two operands and the words its
 * kernel works in (writePlan's count: (2 + 2)·1 + 2 = 6 words), 16-byte aligned.
 */
export const SCALAR_PTR = META_PTR + 32;

/**
 * Writes a JS number as one element of `dtype` into the plan area and returns its address: the
 * operand of an elementwise op with a number (`x.add(1)`), valid until the next kernel call, with
 * no tensor made for it.
 */
export function scalarOperand(value: number, dtype: 'float32' | 'float64'): number {
  writeWord(SCALAR_PTR, dtype, value);
  return SCALAR_PTR;
}
