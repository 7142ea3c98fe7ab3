// ready(): starts the kernels (and worker threads) before the first op. It sits above both the
// runtime and the threads, so neither imports the other's starter.
import { ValueError } from './errors.js';
import { chooseSimd, currentRuntime, currentSimd, relaxedSimdSupported, type SimdBuild, startKernels } from './runtime.js';
import { startThreads, stopThreads, threadCount, threadsAvailable } from './threads.js';

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
  const asked = options.threads ?? 1;
  if (asked !== 'auto' && (typeof asked !== 'number' || !Number.isInteger(asked) || asked < 1)) {
    throw new ValueError(`ready: threads must be a positive integer or 'auto', got ${String(asked)}`);
  }
  const simd = options.simd ?? 'auto';
  if (simd !== 'auto' && simd !== 'relaxed' && simd !== 'plain') {
    throw new ValueError(`ready: simd must be 'auto', 'relaxed' or 'plain', got ${String(simd)}`);
  }
  chooseSimd(simd);
  const cap = asked === 1 ? 1 : await machineParallelism();
  let threads = asked === 'auto' ? cap : asked;
  if (threads > cap) {
    throw new ValueError(`ready: threads ${threads} exceeds this machine's parallelism ${cap} (the cores that can run at once)`);
  }
  const avail = threadsAvailable();
  if (threads > 1 && !avail.ok) {
    console.info(`gd: ${threads} threads asked for, running on one: ${avail.why}`);
    threads = 1;
  }
  await startKernels(threads > 1);
  if (threads > 1) {
    try {
      await startThreads(threads);
    } catch (e) {
      if (typeof process !== 'undefined' && process.versions?.node) throw e;
      // a page whose policy forbids Blob workers, say: the work still runs, on one thread
      await stopThreads();
      console.info(`gd: ${threads} threads asked for, running on one: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
}

/** Options of ready(). */
export interface ReadyOptions {
  /**
   * Threads for large matrix products, attention and optimizer updates (Node's worker_threads, or
   * Web Workers in a cross-origin isolated page); default 1. `'auto'` takes one per core the machine can run at once
   * (`os.availableParallelism()`, in a browser `navigator.hardwareConcurrency`); a number above
   * that is a ValueError, since extra threads only compete for the same cores. A page that is not
   * cross-origin isolated (no SharedArrayBuffer) runs on one thread, with a console note, and
   * kernelsInfo() reports the threads in use. More than one puts tensor data in shared memory, so it must
   * be chosen before the first op. Results are bit-identical to one thread.
   */
  threads?: number | 'auto';
  /**
   * Which build of the kernels to run; default `'auto'`: `'relaxed'` where the engine has relaxed
   * SIMD (Chromium, Node ≥ 22, Node 20 with `--experimental-wasm-relaxed-simd`), else `'plain'`.
   * The relaxed build fuses the matrix product's multiply-add, so its results may differ from
   * the plain build's by that rounding; every other kernel is the same. Asking for `'relaxed'`
   * where it is missing is a StateError; like threads, it is chosen before the first op.
   */
  simd?: SimdBuild | 'auto';
}

/** What runs the kernels, as reported by kernelsInfo(). */
export interface KernelsInfo {
  /** Whether the kernels have started (the first op or ready() starts them). */
  started: boolean;
  /** The build that runs, or will run when the kernels start. */
  simd: SimdBuild;
  /** Whether this engine could run the relaxed-SIMD build. */
  relaxedSimdAvailable: boolean;
  /** Threads currently used for large matrix products, attention and optimizer updates. */
  threads: number;
  /** Whether tensor data live in shared memory (threads were asked for). */
  sharedMemory: boolean;
}

/**
 * Reports which build of the kernels runs (relaxed or plain SIMD) and on how many threads.
 *
 * @example
 * ```ts
 * import { kernelsInfo, ready } from '@gd/tensor';
 * await ready();
 * kernelsInfo().threads; // 1
 * ```
 */
export function kernelsInfo(): KernelsInfo {
  const r = currentRuntime();
  return {
    started: r !== undefined,
    simd: r?.simd ?? currentSimd(),
    relaxedSimdAvailable: relaxedSimdSupported(),
    threads: threadCount(),
    sharedMemory: r?.shared ?? false,
  };
}

/** How many threads the machine can run at once. */
async function machineParallelism(): Promise<number> {
  if (typeof process !== 'undefined' && process.versions?.node) {
    // a computed specifier, so browser bundlers do not try to resolve a Node module
    const nodeOs = 'node:os';
    const os = (await import(/* @vite-ignore */ nodeOs)) as typeof import('node:os');
    return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
  }
  const n = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency;
  return typeof n === 'number' && n >= 1 ? n : 1;
}
