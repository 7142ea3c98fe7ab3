// GFLOP/s of conv2d and its two gradients on the LeNet-5 layers (one thread), batch 32.
// A convolution costs 2·N·outC·oH·oW·(C/groups)·kH·kW flops per direction. Run after a build:
// node bench/conv.mjs
import { conv2d, conv2dBackwardInput, conv2dBackwardWeight, manualSeed, randn, ready, scope } from '../dist/index.js';

await ready();
manualSeed(1);
const layers = [
  { name: 'conv1 1→8 5×5 pad 2, 28×28', x: [32, 1, 28, 28], w: [8, 1, 5, 5], opts: { padding: 2 } },
  { name: 'conv2 8→16 5×5, 14×14', x: [32, 8, 14, 14], w: [16, 8, 5, 5], opts: {} },
];

function time(fn, minMs = 400) {
  fn();
  let reps = 0;
  const t0 = performance.now();
  do {
    scope(fn);
    reps++;
  } while (performance.now() - t0 < minMs);
  return (performance.now() - t0) / reps;
}

for (const l of layers) {
  const x = randn(l.x);
  const w = randn(l.w);
  const y = conv2d(x, w, undefined, l.opts);
  const [n, oc, oh, ow] = y.shape;
  const flops = 2 * n * oc * oh * ow * l.w[1] * l.w[2] * l.w[3];
  const fwd = time(() => conv2d(x, w, undefined, l.opts).data());
  const bi = time(() => conv2dBackwardInput(y, w, x.shape, l.opts).data());
  const bw = time(() => conv2dBackwardWeight(x, y, w.shape, l.opts).data());
  const g = (ms) => (flops / ms / 1e6).toFixed(1).padStart(6);
  console.log(`${l.name.padEnd(30)} forward ${g(fwd)}  input-grad ${g(bi)}  weight-grad ${g(bw)} GFLOP/s`);
}
