// Worker threads for large matrix products: Node's worker_threads, or Web Workers in a
// cross-origin isolated page. Each worker instantiates the same kernels on the same shared memory
// and waits on a control block; a GEMM above a size threshold is split by rows of C (aligned to
// the micro-kernel's 4 rows) or columns (to its 8), the caller computes the first part and waits
// for the rest. Either split keeps every element's arithmetic order, so results are
// bit-identical to one thread.
import { StateError, ValueError } from './errors.js';
import { type Kernels, liveI32, onTape, recording, rt } from './runtime.js';

// The worker's job loop, shared by both worker kinds: wait for a job, run it, signal done.
/** How long a worker keeps polling for the next product after one, before it sleeps. */
const WORKER_SPIN_MS = 2;
/** How long the caller polls for a worker's part before it sleeps on it (in Node; a page's main thread always polls). */
const CALLER_SPIN_MS = 0.5;

// Control block, int32 words: [state (0 idle, 1 job posted, 2 exit, 3 running), transA, transB,
// m, n, k, a, lda, b, ldb, c, ldc, accumulate, work, element bytes (4: gemm_f32, 8: gemm_f64)].
// A worker claims a posted job (1 → 3) before running it; the caller, done with its own part,
// takes back a job no worker has claimed yet (1 → 0) and runs it itself, so a worker that the
// system has not scheduled (another process on its core) delays nothing.
const SERVE = `
const SPIN_MS = ${WORKER_SPIN_MS};
function serve(module, memory, ctrl, ready) {
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
  const at = ctrl >>> 2;
  ready();
  for (;;) {
    // spin a little before sleeping: a training step posts its products back to back, and waking
    // a sleeping thread costs tens to hundreds of microseconds (more in a virtual machine)
    const until = performance.now() + SPIN_MS;
    const view = new Int32Array(memory.buffer);
    while (Atomics.load(view, at) === 0 && performance.now() < until);
    Atomics.wait(view, at, 0);
    const w = new Int32Array(memory.buffer);
    const state = Atomics.load(w, at);
    if (state === 2) break;
    if (state !== 1 || Atomics.compareExchange(w, at, 1, 3) !== 1) continue;
    (w[at + 14] === 8 ? k.gemm_f64 : k.gemm_f32)(w[at + 1], w[at + 2], w[at + 3], w[at + 4], w[at + 5], w[at + 6], w[at + 7], w[at + 8], w[at + 9], w[at + 10], w[at + 11], w[at + 12], w[at + 13]);
    Atomics.store(w, at, 0);
    Atomics.notify(w, at);
  }
}
`;

// Node: CommonJS, run with eval, data passed as workerData.
const NODE_WORKER = `${SERVE}
const { workerData, parentPort } = require('node:worker_threads');
serve(workerData.module, workerData.memory, workerData.ctrl, () => parentPort.postMessage('ready'));
`;

// Browser: a classic script from a Blob URL (nothing for a bundler to resolve), data posted once.
const WEB_WORKER = `${SERVE}
onmessage = (e) => serve(e.data.module, e.data.memory, e.data.ctrl, () => postMessage('ready'));
`;

interface WorkerSlot {
  ctrl: number;
  work: number;
  terminate: () => Promise<unknown>;
}

const workers: WorkerSlot[] = [];
let active = 1;
// A browser's main thread may not block in Atomics.wait: there the caller spins until its
// workers finish (the wait is the length of the worker's share of one product).
let canBlock = true;
/** Below this many multiply-adds a product runs on one thread (waking a worker costs more). */
const THRESHOLD = 96 * 96 * 96;

/** Whether threads can run here: Node, or a cross-origin isolated page (or worker) with Web Workers. */
export function threadsAvailable(): { ok: true } | { ok: false; why: string } {
  if (typeof process !== 'undefined' && process.versions?.node) return { ok: true };
  const g = globalThis as { crossOriginIsolated?: boolean; Worker?: unknown };
  if (g.crossOriginIsolated !== true)
    return { ok: false, why: 'the page is not cross-origin isolated (serve it with COOP same-origin and COEP require-corp)' };
  if (typeof SharedArrayBuffer === 'undefined') return { ok: false, why: 'SharedArrayBuffer is missing' };
  if (typeof g.Worker !== 'function') return { ok: false, why: 'Web Workers are missing here' };
  return { ok: true };
}

/** Starts worker threads so that `n` threads in all serve large products. */
export async function startThreads(n: number): Promise<void> {
  const r = rt();
  if (!r.shared) throw new StateError('threads: the kernels were started without shared memory');
  const avail = threadsAvailable();
  if (!avail.ok) throw new StateError(`threads: ${avail.why}`);
  const node = typeof process !== 'undefined' && !!process.versions?.node;
  const NodeWorker = node
    ? // a computed specifier, so browser bundlers do not try to resolve a Node module
      ((await import(/* @vite-ignore */ ['node', 'worker_threads'].join(':'))) as typeof import('node:worker_threads')).Worker
    : undefined;
  if (!node) canBlock = typeof (globalThis as { WorkerGlobalScope?: unknown }).WorkerGlobalScope !== 'undefined';
  const starting: Array<Promise<void>> = [];
  while (workers.length < n - 1) {
    const ctrl = r.allocator.alloc(64);
    const work = r.allocator.alloc(r.kernels.gemm_work_floats() * 4);
    liveI32().fill(0, ctrl >>> 2, (ctrl >>> 2) + 16);
    const data = { module: r.module, memory: r.memory, ctrl };
    if (NodeWorker) {
      const worker = new NodeWorker(NODE_WORKER, { eval: true, workerData: data });
      worker.unref();
      starting.push(
        new Promise((resolve, reject) => {
          worker.once('message', () => resolve());
          worker.once('error', reject);
        }),
      );
      workers.push({ ctrl, work, terminate: () => worker.terminate() });
    } else {
      const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }));
      const worker = new Worker(url, { name: `gd-thread-${workers.length + 1}` });
      starting.push(
        new Promise((resolve, reject) => {
          worker.onmessage = () => {
            URL.revokeObjectURL(url);
            resolve();
          };
          worker.onerror = (e) => reject(new StateError(`threads: a Web Worker failed to start (${e.message})`));
        }),
      );
      worker.postMessage(data);
      workers.push({
        ctrl,
        work,
        terminate: async () => {
          worker.terminate();
        },
      });
    }
  }
  // a product is handed to a worker only once it is serving
  await Promise.all(starting);
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
export const gemm: Kernels['gemm_f32'] = (...args) => {
  // on record()'s tape as one step: a replay splits the product across the threads active then
  if (recording()) onTape(() => parallel(4, ...args));
  parallel(4, ...args);
};

/** gemm for float64 data (gemm_f64), split across the threads the same way. */
export const gemm64: Kernels['gemm_f64'] = (...args) => {
  if (recording()) onTape(() => parallel(8, ...args));
  parallel(8, ...args);
};

function parallel(
  bytes: 4 | 8,
  ...[transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work]: Parameters<Kernels['gemm_f32']>
): void {
  // the kernels themselves, not record()'s taped version: this whole call is one step on the tape
  const K = rt().kernels;
  // Split the longer side of C: rows in multiples of the micro-kernel's 4, columns in multiples of
  // its 8. Each part repacks the other operand whole, so the longer side leaves the least repacked
  // (the backward product Xᵀ·dY of a layer is short and wide, the forward X·W tall or square).
  const kernel = bytes === 8 ? K.gemm_f64 : K.gemm_f32;
  const byCols = n > m;
  const side = byCols ? n : m;
  const align = byCols ? 8 : 4;
  if (active < 2 || m * n * k < THRESHOLD || side < 2 * align) {
    kernel(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
    return;
  }
  const chunk = Math.ceil(side / active / align) * align;
  // no allocation below: the view stays current
  const heap = liveI32();
  const used: Array<{ slot: WorkerSlot; job: number[] }> = [];
  for (let t = 1; t < active; t++) {
    const s0 = t * chunk;
    if (s0 >= side) break;
    const len = Math.min(chunk, side - s0);
    const slot = workers[t - 1]!;
    const at = slot.ctrl >>> 2;
    const job = byCols
      ? [
          transA,
          transB,
          m,
          len,
          k,
          a,
          lda,
          transB ? b + s0 * ldb * bytes : b + s0 * bytes,
          ldb,
          c + s0 * bytes,
          ldc,
          accumulate,
          slot.work,
          bytes,
        ]
      : [
          transA,
          transB,
          len,
          n,
          k,
          transA ? a + s0 * bytes : a + s0 * lda * bytes,
          lda,
          b,
          ldb,
          c + s0 * ldc * bytes,
          ldc,
          accumulate,
          slot.work,
          bytes,
        ];
    for (let j = 0; j < job.length; j++) heap[at + 1 + j] = job[j]!;
    Atomics.store(heap, at, 1);
    Atomics.notify(heap, at);
    used.push({ slot, job });
  }
  if (byCols) kernel(transA, transB, m, Math.min(chunk, n), k, a, lda, b, ldb, c, ldc, accumulate, work);
  else kernel(transA, transB, Math.min(chunk, m), n, k, a, lda, b, ldb, c, ldc, accumulate, work);
  for (const { slot, job } of used) {
    const at = slot.ctrl >>> 2;
    // not claimed yet: run it here (the same part, the same arithmetic), with the worker's scratch
    if (Atomics.compareExchange(heap, at, 1, 0) === 1) {
      kernel(job[0]!, job[1]!, job[2]!, job[3]!, job[4]!, job[5]!, job[6]!, job[7]!, job[8]!, job[9]!, job[10]!, job[11]!, job[12]!);
      continue;
    }
    // poll first (the worker's part usually ends within its wake-up time), then sleep on it
    const until = performance.now() + CALLER_SPIN_MS;
    let state = Atomics.load(heap, at);
    while (state !== 0) {
      if (canBlock && performance.now() > until) Atomics.wait(heap, at, state);
      state = Atomics.load(heap, at);
    }
  }
}
