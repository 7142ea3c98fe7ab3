// GFLOP/s of conv2d and its two gradients on the LeNet-5 layers (one thread, batch 32), next to
// a square matmul measured the same way. A convolution costs 2·N·outC·oH·oW·(C/groups)·kH·kW
// flops per direction. Timed in process CPU time, so other load on the machine matters less.
// Each call runs in a scope that frees its result. Run after a build: node bench/conv.mjs
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, manualSeed, matmul, randn, ready, scope } from '../dist/index.js';

await ready();
manualSeed(1);
const layers = [
  { name: 'conv1 1→8 5×5 pad 2, 28×28', x: [32, 1, 28, 28], w: [8, 1, 5, 5], opts: { padding: 2 } },
  { name: 'conv2 8→16 5×5, 14×14', x: [32, 8, 14, 14], w: [16, 8, 5, 5], opts: {} },
];

/** Milliseconds of CPU time per call, best of 5 batches. */
function time(fn, minMs = 300) {
  scope(fn);
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 5; round++) {
    let reps = 0;
    const c0 = process.cpuUsage();
    let used = 0;
    do {
      scope(fn);
      reps++;
      const c = process.cpuUsage(c0);
      used = (c.user + c.system) / 1000;
    } while (used < minMs / 5);
    best = Math.min(best, used / reps);
  }
  return best;
}

const a = randn([256, 256]);
const mm = time(() => {
  matmul(a, a);
});
console.log(`matmul 256×256·256×256                 ${((2 * 256 ** 3) / mm / 1e6).toFixed(1).padStart(6)} GFLOP/s`);
for (const l of layers) {
  const x = randn(l.x);
  const w = randn(l.w);
  const y = conv2d(x, w, undefined, l.opts);
  const [n, oc, oh, ow] = y.shape;
  const flops = 2 * n * oc * oh * ow * l.w[1] * l.w[2] * l.w[3];
  const fwd = time(() => {
    conv2d(x, w, undefined, l.opts);
  });
  const bi = time(() => {
    conv2dBackwardInput(y, w, x.shape, l.opts);
  });
  const bw = time(() => {
    conv2dBackwardWeight(x, y, w.shape, l.opts);
  });
  const g = (ms) => (flops / ms / 1e6).toFixed(1).padStart(6);
  console.log(`${l.name.padEnd(30)} forward ${g(fwd)}  input-grad ${g(bi)}  weight-grad ${g(bw)} GFLOP/s`);
}
