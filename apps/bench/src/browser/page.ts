// The page `pnpm bench --browser` drives: the Node run's workloads on gd, TensorFlow.js (wasm) and
// jax-js (wasm). Node opens it twice, cross-origin isolated (every peer may start threads) and
// not (one thread each: TensorFlow.js loads its SIMD build without threads, jax-js computes on the
// page's thread), and takes each peer at its better. Node calls `gdBenchStart(config)` once, then
// `gdBenchSample(i, peer)` for one timed sample of workload i, then `gdBenchThreads()`.
import { kernelsInfo, manualSeed, ready } from '@gd/tensor';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount, setThreadsCount, setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import { type PeerName, sampleAsync, type Workload } from '../harness.js';
import { JAX_VERSION } from '../jax.js';
import { setJaxReadMode, useBackend } from '../peers.js';
import { workloads } from '../workloads.js';

/** What Node sends: the run's settings and the digits the MLP rows train on. */
export interface PageConfig {
  minMs: number;
  sizes: number[];
  /** Workload groups to run; all when absent. */
  only?: string[];
  x: number[];
  y: number[];
}

/** What the page reports once started: its workloads, and what it runs on. */
export interface PageInfo {
  workloads: Array<Pick<Workload, 'label' | 'group' | 'unit' | 'peers'>>;
  crossOriginIsolated: boolean;
  hardwareConcurrency: number;
  userAgent: string;
  tfjs: string;
  jax: string;
  /** gd's threads (kernelsInfo) and SIMD build. */
  gd: { threads: number; simd: string };
}

/** The threads each peer computed on, known once every peer has run (jax-js starts its pool late). */
export interface PageThreads {
  threads: Record<'gd' | 'tfjs-wasm' | 'jax-js', number>;
  /** Web Workers each library started. */
  workers: Record<'gd' | 'tfjs-wasm' | 'jax-js', number>;
}

/** One timed sample in the workload's unit, or the error a peer threw. */
export type SampleResult = { value: number } | { error: string };

// Workers started by the libraries, counted as they start: gd starts its workers in ready(),
// TensorFlow.js its pthreads when the backend starts, jax-js its pool on its first kernel, so a
// count taken between them attributes them.
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

let list: Workload[] = [];
let minMs = 0;
const workers = { gd: 0, 'tfjs-wasm': 0, 'jax-js': 0 };
let beforeJax = 0;

async function start(config: PageConfig): Promise<PageInfo> {
  // every core where threads are allowed, as the other peers take them; else one thread (a note)
  const beforeGd = workersStarted;
  await ready({ threads: 'auto' });
  workers.gd = workersStarted - beforeGd;
  setWasmPaths(new URL('./tfjs/', location.href).href);
  // every core is offered; getThreadsCount() reports what XNNPACK took
  setThreadsCount(navigator.hardwareConcurrency);
  const beforeTfjs = workersStarted;
  await useBackend('tfjs-wasm');
  workers['tfjs-wasm'] = workersStarted - beforeTfjs;
  await useBackend('jax-js');
  // with a worker pool (isolated page) jax-js results must be awaited; on the page's thread not
  const jaxRead = crossOriginIsolated ? 'async' : 'sync';
  setJaxReadMode(jaxRead);
  beforeJax = workersStarted;
  minMs = config.minMs;
  const images = Float32Array.from(config.x);
  const labels = Int32Array.from(config.y);
  list = workloads({
    sizes: config.sizes,
    peers: ['gd', 'tfjs-wasm', 'jax-js'],
    jaxRead,
    batchOf: (n) => ({ x: images.subarray(0, n * 784), y: labels.subarray(0, n), n }),
  }).filter((w) => !config.only || config.only.includes(w.group));
  const gd = kernelsInfo();
  status(`${crossOriginIsolated ? 'isolated' : 'not isolated'}: gd on ${gd.threads} threads, ${gd.simd} SIMD`);
  return {
    workloads: list.map((w) => ({ label: w.label, group: w.group, unit: w.unit, peers: w.peers })),
    crossOriginIsolated,
    hardwareConcurrency: navigator.hardwareConcurrency,
    userAgent: navigator.userAgent,
    tfjs: tf.version.tfjs,
    jax: JAX_VERSION,
    gd: { threads: gd.threads, simd: gd.simd },
  };
}

async function sampleOne(i: number, peer: PeerName): Promise<SampleResult> {
  const w = list[i];
  if (!w) throw new Error(`gdBenchSample: no workload ${i}`);
  await useBackend(peer);
  manualSeed(1);
  try {
    const inst = w.make(peer);
    try {
      return { value: w.metric(await sampleAsync(() => inst.run(), minMs)) };
    } finally {
      inst.dispose();
    }
  } catch (e) {
    // a peer that lacks a kernel is a finding for the table; gd failing is a bug
    if (peer === 'gd') throw e;
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

function threads(): PageThreads {
  workers['jax-js'] = workersStarted - beforeJax;
  return {
    threads: {
      gd: kernelsInfo().threads,
      // the threads XNNPACK runs on, as TensorFlow.js reports them (1 without the threaded build)
      'tfjs-wasm': getThreadsCount(),
      // its worker pool; without one it computes on the page's thread
      'jax-js': Math.max(1, workers['jax-js']),
    },
    workers: { ...workers },
  };
}

Object.assign(globalThis, { gdBenchStart: start, gdBenchSample: sampleOne, gdBenchThreads: threads });
status('ready');
