// `pnpm bench --threads`: gd on every thread ready({ threads: 'auto' }) started against gd on one,
// on the MLP step and matmul 1024; within each round the two settings take turns in short blocks
// on the same instance, and the ratio is taken there.
import { manualSeed, setThreads } from '@gd/tensor';
import type { Instance } from './harness.js';
import { interleaved, stats } from './harness.js';
import { type Batch, matmul, mlpStep } from './peers.js';

export function threadsCompare(batchOf: (n: number) => Batch, all: number, rounds: number, minMs: number): void {
  const rows: Array<[string, () => Instance, (ms: number) => number, string]> = [
    ['MLP 784-128-10 step, batch 128', () => mlpStep('gd', batchOf(128)), (ms) => (128 * 1000) / ms, 'samples/s'],
    ['MLP 784-128-10 step, batch 32', () => mlpStep('gd', batchOf(32)), (ms) => (32 * 1000) / ms, 'samples/s'],
    ['matmul n=1024', () => matmul('gd', 1024), (ms) => (2 * 1024 ** 3) / ms / 1e6, 'GFLOP/s'],
  ];
  console.log(`gd on ${all} threads vs 1 thread, Node ${process.version}; median (min–max) of ${rounds} rounds`);
  for (const [label, make, metric, unit] of rows) {
    const one: number[] = [];
    const many: number[] = [];
    const ratio: number[] = [];
    // one instance serves both settings; within a round they take turns in short blocks
    setThreads(1);
    manualSeed(1);
    const inst = make();
    const at = (n: number) => ({ use: () => setThreads(n), run: () => void inst.run() });
    for (let r = 0; r < rounds; r++) {
      const [a, b] = interleaved([at(1), at(all)], minMs).map(metric) as [number, number];
      one.push(a);
      many.push(b);
      ratio.push(b / a);
    }
    inst.dispose();
    setThreads(1);
    const f = (s: ReturnType<typeof stats>, d = 0) => `${s.median.toFixed(d)} (${s.min.toFixed(d)}–${s.max.toFixed(d)})`;
    console.log(`${label}: 1 thread ${f(stats(one))} ${unit}, ${all} threads ${f(stats(many))}, ratio ${f(stats(ratio), 2)}`);
  }
}
