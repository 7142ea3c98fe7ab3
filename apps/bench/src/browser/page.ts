// The page `pnpm bench --browser` drives: the Node run's workloads on gd, TensorFlow.js (wasm) and
// jax-js (wasm), in a cross-origin isolated page so that every peer may start threads. Node calls
// `window.gdBench(config)` and gets the rows and the threads each peer used.
import { kernelsInfo, ready } from '@gd/tensor';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { measure, type PeerName, type Row } from '../harness.js';
import { JAX_VERSION } from '../jax.js';
import { setJaxReadMode, useBackend } from '../peers.js';
import { workloads } from '../workloads.js';

/** What Node sends: the run's settings and the digits the MLP rows train on. */
export interface PageConfig {
  rounds: number;
  minMs: number;
  sizes: number[];
  only?: string;
  x: number[];
  y: number[];
}

/** What the page returns. */
export interface PageResult {
  rows: Row[];
  threads: Partial<Record<PeerName, number>>;
  /** Web Workers each library started. */
  workers: Partial<Record<PeerName, number>>;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  tfjs: string;
  jax: string;
}

// Workers started by the libraries, counted as they start: jax-js starts its pool on its first
// kernel, TensorFlow.js its pthreads when the backend starts, so a count taken between the
// two attributes them; gd starts its workers in ready(), before either.
let workersStarted = 0;
const NativeWorker = globalThis.Worker;
globalThis.Worker = class extends NativeWorker {
  constructor(url: string | URL, options?: WorkerOptions) {
    super(url, options);
    workersStarted++;
  }
};

const status = (s: string) => {
  document.getElementById('status')!.textContent = s;
  console.log(`[bench] ${s}`);
};

async function run(config: PageConfig): Promise<PageResult> {
  // every core, as the other peers take them; kernelsInfo() reports what gd got
  const beforeGd = workersStarted;
  await ready({ threads: 'auto' });
  const gd = kernelsInfo();
  console.log(`[bench] gd: ${gd.threads} threads (${workersStarted - beforeGd} workers), ${gd.simd} SIMD`);
  setWasmPaths(new URL('./tfjs/', location.href).href);
  // every core is offered; getThreadsCount() below reports what XNNPACK took
  setThreadsCount(navigator.hardwareConcurrency);
  const beforeTfjs = workersStarted;
  await useBackend('tfjs-wasm');
  const tfjsWorkers = workersStarted - beforeTfjs;
  await useBackend('jax-js');
  const jaxRead = crossOriginIsolated ? 'async' : 'sync';
  setJaxReadMode(jaxRead);
  const beforeJax = workersStarted;

  const images = Float32Array.from(config.x);
  const labels = Int32Array.from(config.y);
  const list = workloads({
    sizes: config.sizes,
    peers: ['gd', 'tfjs-wasm', 'jax-js'],
    jaxRead,
    batchOf: (n) => ({ x: images.subarray(0, n * 784), y: labels.subarray(0, n), n }),
  }).filter((w) => !config.only || w.group === config.only);
  const rows: Row[] = [];
  for (const w of list) {
    status(w.label);
    rows.push(await measure(w, { rounds: config.rounds, minMs: config.minMs, before: (p) => useBackend(p) }));
  }
  const jaxWorkers = workersStarted - beforeJax;
  return {
    rows,
    threads: {
      gd: gd.threads,
      // the threads XNNPACK runs on, as TensorFlow.js reports them (1 without the threaded build)
      'tfjs-wasm': getThreadsCount(),
      // its worker pool; without one it computes on the page's thread
      'jax-js': Math.max(1, jaxWorkers),
    },
    workers: { 'tfjs-wasm': tfjsWorkers, 'jax-js': jaxWorkers },
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    tfjs: tf.version.tfjs,
    jax: JAX_VERSION,
  };
}

(globalThis as unknown as { gdBench: typeof run }).gdBench = run;
status('ready');
