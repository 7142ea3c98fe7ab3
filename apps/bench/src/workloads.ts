// The workloads, shared by the Node CLI and the browser page: which peers run each, and its unit.

import { convWorkloads } from './conv.js';
import { float64Workloads } from './float64.js';
import { gptWorkload } from './gpt.js';
import type { PeerName, Workload } from './harness.js';
import type { ReadMode } from './jax.js';
import { lenetStep, lenetValues } from './lenet.js';
import { lstmWorkload } from './lstm.js';
import { type Batch, lineFit, matmul, mlpStep, softmaxCE } from './peers.js';

export interface WorkloadOptions {
  /** Matrix sizes of the matmul rows. */
  sizes: number[];
  /** The peers this run has; a workload runs on those of its peers that are here. */
  peers: readonly PeerName[];
  /** The first n digits and their labels. */
  batchOf: (n: number) => Batch;
  /** How jax-js reads results: 'async' where its wasm device runs on a worker pool. */
  jaxRead?: ReadMode;
}

/** Matmul at each size, the MLP step at batch 32 and 128, both in float64 too, the line fit, softmax-CE at two sizes, the LeNet-5 step and its convolutions. */
export function workloads(o: WorkloadOptions): Workload[] {
  const here = (ps: PeerName[]) => ps.filter((p) => o.peers.includes(p));
  const list: Workload[] = [];
  for (const n of o.sizes) {
    list.push({
      group: 'matmul',
      label: `matmul n=${n}`,
      unit: 'GFLOP/s',
      // tfjs-cpu needs seconds per product beyond 256; it is left out there
      peers: here(n <= 256 ? ['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js'] : ['gd', 'tfjs-wasm', 'jax-js']),
      metric: (ms) => (2 * n ** 3) / ms / 1e6,
      make: (p) => matmul(p, n),
    });
  }
  for (const b of [32, 128]) {
    list.push({
      group: 'mlp',
      label: `MLP 784-128-10 step, batch ${b}`,
      unit: 'samples/s',
      peers: here(['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js']),
      metric: (ms) => (b * 1000) / ms,
      make: (p) => mlpStep(p, o.batchOf(b)),
    });
  }
  list.push(...float64Workloads(o));
  list.push({
    group: 'linefit',
    label: 'line fit, 1,000 GD iterations',
    unit: 'ms',
    peers: here(['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js']),
    metric: (ms) => ms,
    make: (p) => lineFit(p),
  });
  for (const [r, c] of [
    [128, 10],
    [1024, 1000],
  ] as const) {
    list.push({
      group: 'softmax-ce',
      label: `softmax CE fwd+bwd [${r}, ${c}]`,
      unit: 'ms',
      peers: here(['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js']),
      metric: (ms) => ms,
      make: (p) => softmaxCE(p, r, c),
    });
  }
  list.push({
    group: 'lenet',
    label: 'LeNet-5 step, batch 32',
    unit: 'samples/s',
    // tfjs-wasm has no Conv2DBackpropFilter kernel: its row cell says so
    peers: here(['gd', 'tfjs-wasm', 'tfjs-cpu', 'jax-js']),
    metric: (ms) => (32 * 1000) / ms,
    make: (p) => lenetStep(p, o.batchOf(32), lenetValues(1), o.jaxRead),
  });
  list.push(lstmWorkload(o.peers, o.jaxRead));
  list.push(...convWorkloads(o.peers));
  list.push(gptWorkload(o));
  return list;
}
