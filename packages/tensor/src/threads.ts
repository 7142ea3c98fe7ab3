// Worker threads for large matrix products. Each worker instantiates the same kernels on the
// same shared memory and waits on a control block; a GEMM above a size threshold is split by
// rows of C (aligned to the micro-kernel's 4 rows), the caller computes the first part and
// waits for the rest. A row split keeps every element's arithmetic order, so results are
// bit-identical to one thread.
import { StateError, ValueError } from './errors.js';
import { type Kernels, kernels, liveI32, rt } from './runtime.js';

// The worker's whole program (CommonJS, run with eval): instantiate, then serve jobs forever.
// Control block, int32 words: [state (0 idle, 1 job, 2 exit), transA, transB, m, n, k, a, lda,
// b, ldb, c, ldc, accumulate, work, element bytes (4: gemm_f32, 8: gemm_f64)].
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { module, memory, ctrl } = workerData;
const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
const at = ctrl >>> 2;
for (;;) {
  Atomics.wait(new Int32Array(memory.buffer), at, 0);
  const w = new Int32Array(memory.buffer);
  if (Atomics.load(w, at) === 2) break;
  (w[at + 14] === 8 ? k.gemm_f64 : k.gemm_f32)(w[at + 1], w[at + 2], w[at + 3], w[at + 4], w[at + 5], w[at + 6], w[at + 7], w[at + 8], w[at + 9], w[at + 10], w[at + 11], w[at + 12], w[at + 13]);
  Atomics.store(w, at, 0);
  Atomics.notify(w, at);
}
`;

interface WorkerSlot {
  ctrl: number;
  work: number;
  terminate: () => Promise<number>;
}

const workers: WorkerSlot[] = [];
let active = 1;
/** Below this many multiply-adds a product runs on one thread (waking a worker costs more). */
const THRESHOLD = 96 * 96 * 96;

/** Starts worker threads so that `n` threads in all serve large products (Node only). */
export async function startThreads(n: number): Promise<void> {
  const r = rt();
  if (!r.shared) throw new StateError('threads: the kernels were started without shared memory');
  if (typeof process === 'undefined' || !process.versions?.node) {
    throw new StateError('threads: worker threads are available in Node; in a browser gd runs on one thread');
  }
  // a computed specifier, so browser bundlers do not try to resolve a Node module
  const workerThreads = 'node:worker_threads';
  const { Worker } = (await import(/* @vite-ignore */ workerThreads)) as typeof import('node:worker_threads');
  while (workers.length < n - 1) {
    const ctrl = r.allocator.alloc(64);
    const work = r.allocator.alloc(r.kernels.gemm_work_floats() * 4);
    liveI32().fill(0, ctrl >>> 2, (ctrl >>> 2) + 16);
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { module: r.module, memory: r.memory, ctrl } });
    worker.unref();
    workers.push({ ctrl, work, terminate: () => worker.terminate() });
  }
  active = n;
}

/** @internal Stops every worker thread (tests that start many runtimes in one process). */
export async function stopThreads(): Promise<void> {
  const all = workers.splice(0);
  active = 1;
  await Promise.all(all.map((w) => w.terminate()));
}

/**
 * Uses `n` threads (1 … the number started with ready({ threads })) for large matrix products.
 *
 * @example
 * ```ts
 * await ready({ threads: 2 });
 * setThreads(1); // back to one thread; setThreads(2) to use both again
 * ```
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > workers.length + 1) {
    throw new ValueError(`setThreads: n must be an integer from 1 to ${workers.length + 1} (threads started by ready), got ${n}`);
  }
  active = n;
}

/** Threads currently used for large matrix products. */
export function threadCount(): number {
  return active;
}

/** C (=|+=) op(A)·op(B), split across the active threads when large enough. Same arguments as gemm_f32. */
export const gemm: Kernels['gemm_f32'] = (...args) => parallel(4, ...args);

/** gemm for float64 data (gemm_f64), split across the threads the same way. */
export const gemm64: Kernels['gemm_f64'] = (...args) => parallel(8, ...args);

function parallel(
  bytes: 4 | 8,
  ...[transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work]: Parameters<Kernels['gemm_f32']>
): void {
  const K = kernels();
  const kernel = bytes === 8 ? K.gemm_f64 : K.gemm_f32;
  if (active < 2 || m * n * k < THRESHOLD || m < 8) {
    kernel(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
    return;
  }
  const chunk = Math.ceil(m / active / 4) * 4;
  // no allocation below: the view stays current
  const heap = liveI32();
  const used: WorkerSlot[] = [];
  for (let t = 1; t < active; t++) {
    const i0 = t * chunk;
    if (i0 >= m) break;
    const slot = workers[t - 1]!;
    const at = slot.ctrl >>> 2;
    const rowsA = transA ? a + i0 * bytes : a + i0 * lda * bytes;
    const job = [
      transA,
      transB,
      Math.min(chunk, m - i0),
      n,
      k,
      rowsA,
      lda,
      b,
      ldb,
      c + i0 * ldc * bytes,
      ldc,
      accumulate,
      slot.work,
      bytes,
    ];
    for (let j = 0; j < job.length; j++) heap[at + 1 + j] = job[j]!;
    Atomics.store(heap, at, 1);
    Atomics.notify(heap, at);
    used.push(slot);
  }
  kernel(transA, transB, Math.min(chunk, m), n, k, a, lda, b, ldb, c, ldc, accumulate, work);
  for (const slot of used) {
    const at = slot.ctrl >>> 2;
    while (Atomics.load(heap, at) !== 0) Atomics.wait(heap, at, 1);
  }
}
