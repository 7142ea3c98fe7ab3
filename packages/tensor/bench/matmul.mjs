// Matmul GFLOP/s of @gd/tensor against @tensorflow/tfjs-backend-wasm (one thread, as it runs in
// Node), in one process: the peers alternate round by round, every timing reads the result back
// to JS, and the table reports the median with min–max. Run: pnpm --filter @gd/tensor bench
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { manualSeed, randn, ready } from '../dist/index.js';

const sizes = (process.argv.find((a) => a.startsWith('--sizes='))?.slice(8) ?? '64,128,256,512,1024').split(',').map(Number);
const rounds = 5;

function sample(fn, minMs) {
  fn();
  let reps = 0;
  const t0 = performance.now();
  do {
    fn();
    reps++;
  } while (performance.now() - t0 < minMs);
  return (performance.now() - t0) / reps;
}

const quiet = console.warn;
console.warn = () => {};
await tf.setBackend('wasm');
await tf.ready();
console.warn = quiet;
await ready();

console.log(`matmul, n×n · n×n, float32, Node ${process.version}; median (min–max) of ${rounds} alternating rounds`);
console.log('    n   gd GFLOP/s             tfjs-wasm GFLOP/s      gd / tfjs-wasm');
for (const n of sizes) {
  manualSeed(n);
  const a = randn([n, n]);
  const b = randn([n, n]);
  const ta = tf.randomNormal([n, n]);
  const tb = tf.randomNormal([n, n]);
  const flops = 2 * n ** 3;
  const gd = [];
  const peer = [];
  for (let r = 0; r < rounds; r++) {
    gd.push(
      flops /
        sample(() => {
          const c = a.matmul(b);
          c.data();
          c.dispose();
        }, 150) /
        1e6,
    );
    peer.push(
      flops /
        sample(() => {
          const c = tf.matMul(ta, tb);
          c.dataSync();
          c.dispose();
        }, 150) /
        1e6,
    );
  }
  const med = (xs) => [...xs].sort((p, q) => p - q)[Math.floor(xs.length / 2)];
  const fmt = (xs) => `${med(xs).toFixed(1).padStart(6)} (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`.padEnd(22);
  console.log(`${String(n).padStart(5)}   ${fmt(gd)} ${fmt(peer)} ${(med(gd) / med(peer)).toFixed(2)}×`);
  a.dispose();
  b.dispose();
  ta.dispose();
  tb.dispose();
}
