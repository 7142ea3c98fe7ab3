// Worker threads for large matrix products, attention, optimizer updates, and large elementwise,
// column-sum, layer-norm and softmax cross-entropy kernels: Node's worker_threads, or Web Workers in
// a cross-origin isolated page. Each worker instantiates the same kernels on the same shared memory
// and waits on a control block for a job: a kernel and its arguments. A GEMM above a size threshold
// is split by rows of C (aligned to the micro-kernel's 4 rows) or columns (to its 8), an optimizer
// update over a large parameter and the range kernels into contiguous ranges (of elements, rows or
// columns); the caller computes the first part and waits for the rest. Attention's (batch, head)
// slices are claimed one at a time by every thread on the call. Every split keeps each element's
// arithmetic order, so results are bit-identical to one thread. While splits stop paying (another
// program keeps a worker from its core), a governor keeps products on one thread for a while.
//
// The splits are chosen so that a training step hands each thread the same part of a layer's
// weight every time: the forward X·Wᵀ splits by columns of C (rows of W), the weight gradient
// dYᵀ·X by rows of C (rows of dW), and the update of W by contiguous ranges that fall on the same
// rows. A part written by one core and read by the other next costs a transfer of its cache lines
// between the cores, which for a layer of 100k weights is as long as its update.
import { StateError, ValueError } from './errors.js';
import { callWith, type Kernels, liveF64, liveI32, onTape, recording, rt } from './runtime.js';

// The worker's job loop, shared by both worker kinds: wait for a job, run it, signal done.
/** How long a worker keeps polling for the next job after one, before it sleeps. */
const WORKER_SPIN_MS = 2;
/** How long the caller polls for a worker's part before it sleeps on it (in Node; a page's main thread always polls). */
const CALLER_SPIN_MS = 0.5;

/** The optimizer kernels a worker runs (their _f32 and _f64 exports): (pointers…, n, scalars…), every pointer to n elements. */
const UPDATE_KERNELS = ['opt_axpy', 'opt_sgd', 'opt_adam', 'opt_rmsprop', 'opt_adagrad'] as const;
/** An optimizer kernel a worker runs. */
export type UpdateKernel = (typeof UPDATE_KERNELS)[number];
/** The attention kernels a worker runs (their _f32 and _f64 exports): (arguments…, from, to) over (batch, head) slices. */
const ATTENTION_KERNELS = ['attention_forward', 'attention_backward'] as const;
/** An attention kernel a worker runs. */
export type AttentionKernel = (typeof ATTENTION_KERNELS)[number];
/**
 * The kernels a worker runs over a contiguous range (their _f32 and _f64 exports): elementwise ops
 * by ranges of elements, broadcast rows, a bias tiled into rows and layer norm by rows, column sums
 * by columns.
 */
const RANGE_KERNELS = [
  'ew_unary',
  'bc_binary_rows',
  'bc_tile_rows',
  'reduce_sum_cols',
  'norm_layer',
  'norm_layer_backward',
  'norm_layer_affine_grad',
  'softmax_ce',
  'softmax_ce_backward',
] as const;
/** A kernel a worker runs over a range. */
export type RangeKernel = (typeof RANGE_KERNELS)[number];
/**
 * The kernels a worker runs, by their index in a job: each threaded kernel family's float32 export,
 * then its float64 one (GEMM, the update kernels, attention, the range kernels). Each takes at most
 * MAX_ARGS arguments (attention_backward takes 14).
 */
const JOBS = (['gemm', ...UPDATE_KERNELS, ...ATTENTION_KERNELS, ...RANGE_KERNELS] as const).flatMap(
  (k) => [`${k}_f32`, `${k}_f64`] as const,
);
const MAX_ARGS = 14;

// Control block: int32 word 0 is the state (0 idle, 1 job posted, 2 exit, 3 running), word 1 the
// job's kernel (an index in JOBS); from byte 8, up to MAX_ARGS float64 arguments (pointers and
// sizes are exact in a float64, and scalars keep every bit of a float32 or float64).
// A worker claims a posted job (1 → 3) before running it; the caller, done with its own part,
// takes back a job no worker has claimed yet (1 → 0) and runs it itself, so a worker that the
// system has not scheduled (another process on its core) delays nothing.
const CTRL_BYTES = 8 + 8 * MAX_ARGS;
const SERVE = `
const SPIN_MS = ${WORKER_SPIN_MS};
const JOBS = ${JSON.stringify(JOBS)};
function serve(module, memory, ctrl, ready) {
  const k = new WebAssembly.Instance(module, { env: { memory, abort() { throw new Error('kernel abort'); } } }).exports;
  const fns = JOBS.map((name) => k[name]);
  const at = ctrl >>> 2;
  ready();
  for (;;) {
    // spin a little before sleeping: a training step posts its jobs back to back, and waking
    // a sleeping thread costs tens to hundreds of microseconds (more in a virtual machine)
    const until = performance.now() + SPIN_MS;
    const view = new Int32Array(memory.buffer);
    while (Atomics.load(view, at) === 0 && performance.now() < until);
    Atomics.wait(view, at, 0);
    const w = new Int32Array(memory.buffer);
    const state = Atomics.load(w, at);
    if (state === 2) break;
    if (state !== 1 || Atomics.compareExchange(w, at, 1, 3) !== 1) continue;
    const a = new Float64Array(memory.buffer, ctrl + 8, ${MAX_ARGS});
    fns[w[at + 1]](a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13]);
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
  /** When the caller last handed this worker a part (performance.now() ms). */
  lastPart: number;
  terminate: () => Promise<unknown>;
}

const workers: WorkerSlot[] = [];
let active = 1;
// A browser's main thread may not block in Atomics.wait: there the caller spins until its
// workers finish (the wait is the length of the worker's share of one product).
let canBlock = true;
/** Below this many multiply-adds a product runs on one thread (waking a worker costs more). */
const THRESHOLD = 96 * 96 * 96;
/** Below this many elements an optimizer update runs on one thread. */
const UPDATE_THRESHOLD = 1 << 15;
/** Parts of a split update start on a 64-byte line (16 float32 or 8 float64 elements). */
const UPDATE_ALIGN_BYTES = 64;

/** Of the last 32 split products, how many were slow (see SplitGovernor) before splitting pauses. */
const SLOW_OF_32 = 16;
/** The first pause, in ms; a pause that starts within RELAPSE_MS of the last one's end doubles it, up to MAX_PAUSE_MS. */
const PAUSE_MS = 10;
const MAX_PAUSE_MS = 1000;
const RELAPSE_MS = 1000;
/**
 * A split is slow only beyond this margin (ms): a browser's clock is coarsened to 5 µs or more.
 * And a part left unclaimed counts only when the caller's own part took this long: a running
 * worker claims within microseconds, but the polls of one just woken or not yet optimized can
 * miss a shorter part.
 */
const SLACK_MS = 0.05;
/** A worker given a part within this long (ms) is still polling; after longer it may sleep, and a late claim then says nothing of load. */
const AWAKE_MS = WORKER_SPIN_MS / 2;

/**
 * Decides when splitting stops paying. On a machine where other work is running, the system
 * may deschedule a worker that holds its part for a whole time slice — milliseconds in which the
 * caller waits, which made two threads slower than one (0.6× with one busy process on two cores).
 * A split is slow when it took longer than one thread would have (the caller's own part's time ×
 * the number of parts, and SLACK_MS more), or when the caller had to run more than half of the
 * workers' parts itself because no worker claimed them during its own part of SLACK_MS or more
 * (a worker that gets no time also takes it from the caller while it polls). Splits sent to a
 * worker that may have been asleep are not judged: waking it is not load. When SLOW_OF_32 of the
 * last 32 judged splits were slow, products and optimizer updates run on one thread for a pause
 * of PAUSE_MS, doubled (up to MAX_PAUSE_MS) while the load is found again within RELAPSE_MS of
 * the last pause, so a loaded machine pays a few probes a second and a freed one splits again
 * within a second. Which thread computes a part never changes its bits.
 * @internal exported for its tests
 */
export class SplitGovernor {
  private history = 0;
  private pause = 0;
  private until = Number.NEGATIVE_INFINITY;
  /** Pauses begun since the last reset. */
  pauses = 0;

  /** Whether a product may be split at time `now` (ms). */
  allows(now: number): boolean {
    return now >= this.until;
  }

  /**
   * Judges a split product: the caller's own part took `own` ms and the whole `total` ms, over
   * `parts` parts, of which the caller ran `takenBack` that no worker had claimed.
   */
  record(now: number, own: number, total: number, parts: number, takenBack = 0): void {
    const slow = (2 * takenBack > parts - 1 && own >= SLACK_MS) || total > own * parts + SLACK_MS;
    this.history = ((this.history << 1) | (slow ? 1 : 0)) >>> 0;
    if (popcount(this.history) < SLOW_OF_32) return;
    this.pause = now - this.until < RELAPSE_MS ? Math.min(2 * this.pause, MAX_PAUSE_MS) : PAUSE_MS;
    this.until = now + this.pause;
    this.history = 0;
    this.pauses++;
  }

  /** Forgets every split judged so far and any pause. */
  reset(): void {
    this.history = 0;
    this.pause = 0;
    this.until = Number.NEGATIVE_INFINITY;
    this.pauses = 0;
  }

  /** The last pause in ms, and whether products run on one thread at `now`. */
  state(now: number): { pauseMs: number; paused: boolean } {
    return { pauseMs: this.pause, paused: !this.allows(now) };
  }
}

function popcount(x: number): number {
  let n = 0;
  for (let v = x; v !== 0; v &= v - 1) n++;
  return n;
}

const governor = new SplitGovernor();
/** Products and updates split across threads, and of those the ones the governor judged. */
let splits = 0;
let judgedSplits = 0;

/** @internal Splits, judged splits and the governor's pauses since threads started or resetSplits (for tests). */
export function splitStats(): { splits: number; judged: number; pauses: number } {
  return { splits, judged: judgedSplits, pauses: governor.pauses };
}

/** @internal Forgets the governor's judgements and pauses, and zeroes splitStats (tests start from here). */
export function resetSplits(): void {
  governor.reset();
  splits = 0;
  judgedSplits = 0;
}

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
    const ctrl = r.allocator.alloc(CTRL_BYTES);
    const work = r.allocator.alloc(r.kernels.gemm_work_floats() * 4);
    liveI32().fill(0, ctrl >>> 2, (ctrl + CTRL_BYTES) >>> 2);
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
      workers.push({ ctrl, work, lastPart: Number.NEGATIVE_INFINITY, terminate: () => worker.terminate() });
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
        lastPart: Number.NEGATIVE_INFINITY,
        terminate: async () => {
          worker.terminate();
        },
      });
    }
  }
  // a product is handed to a worker only once it is serving
  await Promise.all(starting);
  active = n;
  resetSplits();
}

/** @internal Stops every worker thread (tests that start many runtimes in one process). */
export async function stopThreads(): Promise<void> {
  const all = workers.splice(0);
  active = 1;
  resetSplits();
  await Promise.all(all.map((w) => w.terminate()));
}

/**
 * Uses `n` threads (1 … the number started with ready({ threads })) for large matrix products,
 * attention, optimizer updates, elementwise ops, column sums, layer norms and softmax cross-entropy.
 *
 * @example
 * ```ts
 * await ready({ threads: 2 });
 * setThreads(1); // back to one thread; setThreads(2) to use both again
 * ```
 */
export function setThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1 || n > workers.length + 1) {
    throw new ValueError(
      `setThreads: n must be an integer from 1 to ${workers.length + 1} (threads started by ready), got ${typeof n === 'number' || n == null ? String(n) : `${typeof n} ${JSON.stringify(n) ?? String(n)}`}`,
    );
  }
  active = n;
}

/** Threads currently used for large matrix products, attention, optimizer updates and the other split kernels. */
export function threadCount(): number {
  return active;
}

/** C (=|+=) op(A)·op(B), split across the active threads when large enough. Same arguments as gemm_f32. */
export const gemm: Kernels['gemm_f32'] = (...args) => {
  // on record()'s tape as one step: a replay splits the product across the threads active then
  if (recording()) onTape(() => splitGemm(4, ...args));
  splitGemm(4, ...args);
};

/** gemm for float64 data (gemm_f64), split across the threads the same way. */
export const gemm64: Kernels['gemm_f64'] = (...args) => {
  if (recording()) onTape(() => splitGemm(8, ...args));
  splitGemm(8, ...args);
};

/**
 * Runs an optimizer kernel over n elements: `ptrs` each point to n elements of `bytes`, `rest` are
 * its scalar arguments. A large update is split into contiguous ranges across the active threads.
 */
export function splitUpdate(kernel: UpdateKernel, ptrs: number[], n: number, bytes: 4 | 8, rest: number[]): void {
  const job = UPDATE_JOB[kernel] + (bytes === 8 ? 1 : 0);
  if (recording()) onTape(() => runUpdate(job, ptrs, n, bytes, rest));
  runUpdate(job, ptrs, n, bytes, rest);
}

/** Below this many elements touched, a range kernel runs on one thread (waking a worker costs more). */
const RANGE_THRESHOLD = 1 << 16;

/**
 * Whether a range kernel touching `elements` elements goes through splitRange (which splits it
 * when threads are active as it runs, on a replay too); below, callers call the kernel directly.
 */
export function splitsAbove(elements: number): boolean {
  return elements >= RANGE_THRESHOLD;
}

/**
 * Runs a range kernel (float32, or float64 when `bytes` is 8) over `total` units — elements, rows
 * or columns — split into contiguous ranges of a multiple of `align` units across the active
 * threads when the work touches at least RANGE_THRESHOLD elements. `args(start, count, scratch)`
 * gives the kernel's arguments for units [start, start + count), with `scratch` the part's thread's
 * scratch (`work` for the caller's part, a worker's own GEMM scratch for the others). Each unit's
 * arithmetic is the same whichever part computes it, so results are bit-identical to one thread.
 */
export function splitRange(
  kernel: RangeKernel,
  bytes: 4 | 8,
  total: number,
  elements: number,
  align: number,
  work: number,
  args: (start: number, count: number, scratch: number) => number[],
): void {
  const job = RANGE_JOB[kernel] + (bytes === 8 ? 1 : 0);
  if (recording()) onTape(() => runRange(job, total, elements, align, work, args));
  runRange(job, total, elements, align, work, args);
}

function runRange(
  job: number,
  total: number,
  elements: number,
  align: number,
  work: number,
  args: (start: number, count: number, scratch: number) => number[],
): void {
  if (active < 2 || elements < RANGE_THRESHOLD || total < 2 * align || !governor.allows(performance.now())) {
    callWith(jobKernel(job), args(0, total, work));
    return;
  }
  const chunk = Math.ceil(total / active / align) * align;
  const parts: number[][] = [];
  for (let s0 = 0, t = 0; s0 < total; s0 += chunk, t++)
    parts.push(args(s0, Math.min(chunk, total - s0), t === 0 ? work : workers[t - 1]!.work));
  dispatch(job, parts);
}

/**
 * A range kernel over `rows` rows of `c` elements (softmax cross-entropy's): `ptrs` are its pointers,
 * each advancing by its entry of `rowBytes` per row; its arguments are (ptrs…, rows, c).
 */
export function splitRows(kernel: RangeKernel, ptrs: number[], rowBytes: number[], rows: number, c: number, bytes: 4 | 8): void {
  splitRange(kernel, bytes, rows, rows * c, 1, 0, (r0, count) => [...ptrs.map((p, i) => p + r0 * rowBytes[i]!), count, c]);
}

/** Bytes of a worker's scratch (what a range kernel's part may use of it). */
export function workerScratchBytes(): number {
  return rt().kernels.gemm_work_floats() * 4;
}

/** GEMM's float32 export in JOBS (its float64 export follows it). */
const GEMM_JOB = JOBS.indexOf('gemm_f32');
/** Each update kernel's float32 export in JOBS (its float64 export follows it). */
const UPDATE_JOB = Object.fromEntries(UPDATE_KERNELS.map((k) => [k, JOBS.indexOf(`${k}_f32`)])) as Record<UpdateKernel, number>;
/** Each range kernel's float32 export in JOBS (its float64 export follows it). */
const RANGE_JOB = Object.fromEntries(RANGE_KERNELS.map((k) => [k, JOBS.indexOf(`${k}_f32`)])) as Record<RangeKernel, number>;
/** Each attention kernel's float32 export in JOBS (its float64 export follows it). */
const ATTENTION_JOB = Object.fromEntries(ATTENTION_KERNELS.map((k) => [k, JOBS.indexOf(`${k}_f32`)])) as Record<AttentionKernel, number>;

// the kernels of JOBS, looked up once per runtime (a small update runs every step of a loop)
let jobKernels: { of: Kernels; fns: Array<(...a: number[]) => void> } | undefined;
function jobKernel(job: number): (...a: number[]) => void {
  const K = rt().kernels;
  if (jobKernels?.of !== K) jobKernels = { of: K, fns: JOBS.map((name) => K[name] as (...a: number[]) => void) };
  return jobKernels.fns[job]!;
}

/** @internal Threads started (the most that setThreads allows): how many scratch blocks a split attention call may use. */
export function startedThreads(): number {
  return workers.length + 1;
}

/**
 * Runs an attention kernel (assembly/attention.ts) over the (batch, head) slices [0, slices): `args`
 * are its arguments before `from, to`, `args[workAt]` its scratch (`scratches` blocks of `workBytes`
 * each), and `counter` the int32 word from which its threads claim slices one at a time (zeroed
 * here before each run). Above THRESHOLD multiply-adds (`madds`), the active threads (at most
 * `scratches`) all work on the call, each with a scratch block of its own; a slice's outputs
 * depend on that slice only, so the bits are one thread's.
 */
export function splitAttention(
  kernel: AttentionKernel,
  bytes: 4 | 8,
  args: number[],
  workAt: number,
  workBytes: number,
  scratches: number,
  slices: number,
  madds: number,
  counter: number,
): void {
  const job = ATTENTION_JOB[kernel] + (bytes === 8 ? 1 : 0);
  const run = () => runAttention(job, args, workAt, workBytes, scratches, slices, madds, counter);
  if (recording()) onTape(run);
  run();
}

function runAttention(
  job: number,
  args: number[],
  workAt: number,
  workBytes: number,
  scratches: number,
  slices: number,
  madds: number,
  counter: number,
): void {
  Atomics.store(liveI32(), counter >>> 2, 0);
  const n = Math.min(active, scratches, slices);
  if (n < 2 || madds < THRESHOLD || !governor.allows(performance.now())) {
    callWith(jobKernel(job), [...args, 0, slices]);
    return;
  }
  // every part claims from the same slices: a part no worker took in time finds none left
  const parts: number[][] = [];
  for (let t = 0; t < n; t++) {
    const part = [...args, 0, slices];
    part[workAt] = args[workAt]! + t * workBytes;
    parts.push(part);
  }
  dispatch(job, parts);
}

function runUpdate(job: number, ptrs: number[], n: number, bytes: 4 | 8, rest: number[]): void {
  if (active < 2 || n < UPDATE_THRESHOLD || !governor.allows(performance.now())) {
    callWith(jobKernel(job), [...ptrs, n, ...rest]);
    return;
  }
  const align = UPDATE_ALIGN_BYTES / bytes;
  const chunk = Math.ceil(n / active / align) * align;
  const parts: number[][] = [];
  for (let s0 = 0; s0 < n; s0 += chunk) parts.push([...ptrs.map((p) => p + s0 * bytes), Math.min(chunk, n - s0), ...rest]);
  dispatch(job, parts);
}

function splitGemm(
  bytes: 4 | 8,
  ...[transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work]: Parameters<Kernels['gemm_f32']>
): void {
  const kernel = bytes === 8 ? rt().kernels.gemm_f64 : rt().kernels.gemm_f32;
  // each side is split in multiples of the micro-kernel's tile: 4 rows, 8 columns
  if (active < 2 || m * n * k < THRESHOLD || (m < 8 && n < 16) || !governor.allows(performance.now())) {
    kernel(transA, transB, m, n, k, a, lda, b, ldb, c, ldc, accumulate, work);
    return;
  }
  // A layer's forward X·Wᵀ (B transposed) splits by columns, so each thread reads the same rows of
  // W every step; its weight gradient dYᵀ·X (A transposed) by rows, so each thread writes the rows
  // of dW that its part of the update then reads. Any other product splits its longer side: each
  // part repacks the other operand whole, and the longer side leaves the least repacked.
  let byCols = transB && !transA ? true : transA && !transB ? false : n > m;
  // a side too short to split in two: the other one (not both are, above)
  if (byCols ? n < 16 : m < 8) byCols = !byCols;
  const side = byCols ? n : m;
  const align = byCols ? 8 : 4;
  const chunk = Math.ceil(side / active / align) * align;
  const parts: number[][] = [];
  for (let s0 = 0, t = 0; s0 < side; s0 += chunk, t++) {
    const len = Math.min(chunk, side - s0);
    // the caller's part uses the scratch it was given, worker t's part that worker's
    const scratch = t === 0 ? work : workers[t - 1]!.work;
    parts.push(
      byCols
        ? [transA, transB, m, len, k, a, lda, transB ? b + s0 * ldb * bytes : b + s0 * bytes, ldb, c + s0 * bytes, ldc, accumulate, scratch]
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
            scratch,
          ],
    );
  }
  dispatch(GEMM_JOB + (bytes === 8 ? 1 : 0), parts);
}

/** Posts parts 1… to the workers, runs part 0 here, then waits for (or takes back) the others. */
function dispatch(job: number, parts: number[][]): void {
  const kernel = jobKernel(job);
  // no allocation below: the views stay current
  const heap = liveI32();
  const f64 = liveF64();
  const t0 = performance.now();
  splits++;
  // judged only if every worker was still polling from its last part
  let judged = true;
  for (let t = 1; t < parts.length; t++) {
    const slot = workers[t - 1]!;
    if (t0 - slot.lastPart > AWAKE_MS) judged = false;
    const at = slot.ctrl >>> 2;
    const args = parts[t]!;
    heap[at + 1] = job;
    f64.set(args, (slot.ctrl + 8) >>> 3);
    Atomics.store(heap, at, 1);
    Atomics.notify(heap, at);
  }
  callWith(kernel, parts[0]!);
  const own = performance.now() - t0;
  let takenBack = 0;
  for (let t = 1; t < parts.length; t++) {
    const at = workers[t - 1]!.ctrl >>> 2;
    // not claimed yet: run it here (the same part, the same arithmetic)
    if (Atomics.compareExchange(heap, at, 1, 0) === 1) {
      callWith(kernel, parts[t]!);
      takenBack++;
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
  const now = performance.now();
  for (let t = 1; t < parts.length; t++) workers[t - 1]!.lastPart = now;
  if (judged) {
    judgedSplits++;
    governor.record(now, own, now - t0, parts.length, takenBack);
  }
}
