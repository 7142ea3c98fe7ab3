// The one place that touches WebAssembly: the memory, the compiled kernels, typed views over
// the memory, and the allocator that hands out tensor storage inside it.
import { BlockAllocator } from './allocator.js';
import { MemoryError, StateError, ValueError } from './errors.js';
import { KERNELS_SHARED_WASM_BASE64, KERNELS_WASM_BASE64 } from './generated/kernels-wasm.js';
import { startThreads } from './threads.js';

/** The kernel exports, as compiled from assembly/*.ts. Pointers are byte offsets. */
export interface Kernels {
  heap_base(): number;
  gemm_work_floats(): number;
  ew_unary_f32(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  ew_unary_i32(op: number, x: number, out: number, n: number, p0: number, p1: number): void;
  ew_cast_i32_f32(x: number, out: number, n: number): void;
  ew_cast_f32_i32(x: number, out: number, n: number): void;
  bc_binary_f32(op: number, a: number, b: number, out: number, nd: number, meta: number): void;
  bc_binary_i32(op: number, a: number, b: number, out: number, nd: number, meta: number): void;
  bc_compare_f32(op: number, a: number, b: number, out: number, nd: number, meta: number): void;
  bc_compare_i32(op: number, a: number, b: number, out: number, nd: number, meta: number): void;
  bc_where_32(cond: number, a: number, b: number, out: number, nd: number, meta: number): void;
  bc_copy_32(x: number, out: number, nd: number, meta: number): void;
  reduce_f32(op: number, x: number, out: number, outer: number, len: number, inner: number, scale: number): void;
  reduce_i32(op: number, x: number, out: number, outer: number, len: number, inner: number): void;
  reduce_arg_f32(op: number, x: number, out: number, outer: number, len: number, inner: number): void;
  reduce_arg_i32(op: number, x: number, out: number, outer: number, len: number, inner: number): void;
  softmax_f32(mode: number, x: number, out: number, outer: number, len: number, inner: number): void;
  softmax_backward_f32(mode: number, y: number, dy: number, dx: number, outer: number, len: number, inner: number): void;
  gemm_f32(
    transA: number,
    transB: number,
    m: number,
    n: number,
    k: number,
    a: number,
    lda: number,
    b: number,
    ldb: number,
    c: number,
    ldc: number,
    accumulate: number,
    work: number,
  ): void;
  conv2d_forward_f32(x: number, w: number, bias: number, out: number, col: number, work: number, geom: number): void;
  conv2d_backward_input_f32(dy: number, w: number, dx: number, col: number, work: number, geom: number): void;
  conv2d_backward_weight_f32(x: number, dy: number, dw: number, col: number, work: number, geom: number): void;
  maxpool2d_f32(
    x: number,
    out: number,
    arg: number,
    planes: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
  ): void;
  maxpool2d_backward_f32(dy: number, arg: number, dx: number, planes: number, hw: number, l: number): void;
  avgpool2d_f32(
    x: number,
    out: number,
    planes: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    div: number,
  ): void;
  avgpool2d_backward_f32(
    dy: number,
    dx: number,
    planes: number,
    h: number,
    w: number,
    oh: number,
    ow: number,
    kh: number,
    kw: number,
    sh: number,
    sw: number,
    ph: number,
    pw: number,
    div: number,
  ): void;
  adaptive_avgpool2d_f32(x: number, out: number, planes: number, h: number, w: number, oh: number, ow: number): void;
  adaptive_avgpool2d_backward_f32(dy: number, dx: number, planes: number, h: number, w: number, oh: number, ow: number): void;
  rng_seed(seed: number): void;
  rng_uniform_f32(out: number, n: number, lo: number, hi: number): void;
  rng_normal_f32(out: number, n: number, mean: number, std: number): void;
  rng_int_i32(out: number, n: number, lo: number, hi: number): void;
  rng_permutation_i32(out: number, n: number): void;
  rng_dropout_mask_f32(out: number, n: number, keep: number, scale: number): void;
  gather_32(x: number, idx: number, out: number, outer: number, axisLen: number, inner: number, nIdx: number): void;
  scatter_add_f32(dy: number, idx: number, dx: number, outer: number, axisLen: number, inner: number, nIdx: number): void;
  one_hot_f32(idx: number, out: number, n: number, depth: number): void;
  opt_axpy_f32(p: number, g: number, n: number, alpha: number): void;
  sum_squares_f32(x: number, n: number): number;
  opt_sgd_f32(
    p: number,
    g: number,
    buf: number,
    n: number,
    lr: number,
    momentum: number,
    dampening: number,
    weightDecay: number,
    nesterov: number,
    first: number,
  ): void;
  opt_adam_f32(
    p: number,
    g: number,
    m: number,
    v: number,
    vmax: number,
    n: number,
    lr: number,
    beta1: number,
    beta2: number,
    eps: number,
    weightDecay: number,
    decoupled: number,
    amsgrad: number,
    step: number,
  ): void;
  opt_rmsprop_f32(
    p: number,
    g: number,
    sq: number,
    buf: number,
    gavg: number,
    n: number,
    lr: number,
    alpha: number,
    eps: number,
    weightDecay: number,
    momentum: number,
    centered: number,
  ): void;
  opt_adagrad_f32(p: number, g: number, sum: number, n: number, lr: number, eps: number, weightDecay: number): void;
}

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
}

let runtime: Runtime | undefined;
let pending: Promise<void> | undefined;
let f32View = new Float32Array(0);
let i32View = new Int32Array(0);
let u8View = new Uint8Array(0);

function wasmBytes(shared = false): Uint8Array {
  const binary = atob(shared ? KERNELS_SHARED_WASM_BASE64 : KERNELS_WASM_BASE64);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

function refreshViews(memory: WebAssembly.Memory): void {
  f32View = new Float32Array(memory.buffer);
  i32View = new Int32Array(memory.buffer);
  u8View = new Uint8Array(memory.buffer);
}

function start(module: WebAssembly.Module, shared = false): void {
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
    refreshViews(memory);
    return memory.buffer.byteLength;
  };
  const allocator = new BlockAllocator(heapBase, memory.buffer.byteLength, grow);
  refreshViews(memory);
  runtime = { kernels, memory, allocator, gemmWork, module, shared };
  kernels.rng_seed(0);
}

/**
 * Compiles and instantiates the WebAssembly kernels once; later calls return at once.
 * In Node and in workers, ops also start the kernels synchronously on first use; on a
 * browser's main thread, await this before the first op.
 *
 * @example
 * ```ts
 * import { ready, tensor } from '@gd/tensor';
 * await ready();
 * tensor([1, 2, 3]).sum().item(); // 6
 * ```
 */
export async function ready(options: ReadyOptions = {}): Promise<void> {
  const threads = options.threads ?? 1;
  if (!Number.isInteger(threads) || threads < 1) throw new ValueError(`ready: threads must be a positive integer, got ${threads}`);
  if (threads === 1) {
    if (runtime) return;
    pending ??= WebAssembly.compile(wasmBytes() as BufferSource).then((module) => {
      if (!runtime) start(module);
    });
    return pending;
  }
  if (runtime && !runtime.shared) {
    throw new StateError('ready: threads must be requested before the first op, when the kernels start (their memory must be shared)');
  }
  if (typeof SharedArrayBuffer === 'undefined') {
    throw new StateError('ready: threads need SharedArrayBuffer (in a browser, a cross-origin isolated page)');
  }
  pending ??= WebAssembly.compile(wasmBytes(true) as BufferSource).then((module) => {
    if (!runtime) start(module, true);
  });
  await pending;
  await startThreads(threads);
}

/** Options of ready(). */
export interface ReadyOptions {
  /**
   * Threads for large matrix products (Node's worker_threads); default 1. More than one puts
   * tensor data in shared memory, so it must be chosen before the first op. Results are
   * bit-identical to one thread.
   */
  threads?: number;
}

/** The runtime, started synchronously if `ready()` has not finished yet. */
export function rt(): Runtime {
  if (runtime) return runtime;
  try {
    start(new WebAssembly.Module(wasmBytes() as BufferSource));
  } catch (e) {
    if (e instanceof MemoryError || e instanceof StateError) throw e;
    throw new StateError(`gd: the WebAssembly kernels could not start synchronously here (${String(e)}); call 'await ready()' first`);
  }
  return runtime as unknown as Runtime;
}

/** The kernels, starting them if needed. */
export function kernels(): Kernels {
  return rt().kernels;
}

// The memory grows only through the allocator's grow callback (kernels never grow it), which
// refreshes the views, so the cached views are always current once the runtime has started.

/** A float32 view over all of WebAssembly memory (index = byte offset / 4), current after any grow. */
export function heapF32(): Float32Array {
  if (!runtime) rt();
  return f32View;
}

/** An int32 view over all of WebAssembly memory (index = byte offset / 4). */
export function heapI32(): Int32Array {
  if (!runtime) rt();
  return i32View;
}

/** A byte view over all of WebAssembly memory. */
export function heapU8(): Uint8Array {
  if (!runtime) rt();
  return u8View;
}
