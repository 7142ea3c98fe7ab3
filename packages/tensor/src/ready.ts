// ready(): starts the kernels (and worker threads) before the first op. It sits above both the
// runtime and the threads, so neither imports the other's starter.
import { ValueError } from './errors.js';
import { startKernels } from './runtime.js';
import { startThreads } from './threads.js';

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
  const cap = asked === 1 ? 1 : await machineParallelism();
  const threads = asked === 'auto' ? cap : asked;
  if (threads > cap) {
    throw new ValueError(`ready: threads ${threads} exceeds this machine's parallelism ${cap} (the cores that can run at once)`);
  }
  await startKernels(threads > 1);
  if (threads > 1) await startThreads(threads);
}

/** Options of ready(). */
export interface ReadyOptions {
  /**
   * Threads for large matrix products (Node's worker_threads); default 1. `'auto'` takes one per
   * core the machine can run at once (`os.availableParallelism()`, in a browser
   * `navigator.hardwareConcurrency`); a number above that is a ValueError, since extra threads
   * only compete for the same cores. More than one puts tensor data in shared memory, so it must
   * be chosen before the first op. Results are bit-identical to one thread.
   */
  threads?: number | 'auto';
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
