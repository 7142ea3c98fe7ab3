// Conv2d and its two gradients on the LeNet-5 layers (batch 32), in GFLOP/s: how close gd's
// convolution kernels come to its matmul, measured the same way. A convolution costs
// 2·N·outC·oH·oW·(C/groups)·kH·kW flops in each direction.
import { conv2d, randn, scope } from '@gd/tensor';
import { conv2dBackwardInput, conv2dBackwardWeight } from '@gd/tensor/grad';
import type { Instance, PeerName, Workload } from './harness.js';

/** A LeNet-5 convolution: input and kernel shapes and its padding. */
interface ConvLayer {
  name: string;
  x: [number, number, number, number];
  w: [number, number, number, number];
  padding: number;
}

/** The two convolutions of the LeNet-5 step at batch 32. */
export const LENET_CONVS: readonly ConvLayer[] = [
  { name: 'conv1 1→8 5×5 pad 2, 28×28', x: [32, 1, 28, 28], w: [8, 1, 5, 5], padding: 2 },
  { name: 'conv2 8→16 5×5, 14×14', x: [32, 8, 14, 14], w: [16, 8, 5, 5], padding: 0 },
];

/** The flops of one direction of a convolution (groups 1, stride 1). */
export function convFlops(l: ConvLayer): number {
  const [n, c, h, w] = l.x;
  const [oc, , kh, kw] = l.w;
  const oh = h + 2 * l.padding - kh + 1;
  const ow = w + 2 * l.padding - kw + 1;
  return 2 * n * oc * oh * ow * c * kh * kw;
}

/** Which pass of the convolution a row times. */
export type ConvPass = 'forward' | 'input-grad' | 'weight-grad';

/** gd running one pass of a layer on seeded random data; each run frees its result. */
export function convPass(l: ConvLayer, pass: ConvPass): Instance {
  const x = randn(l.x);
  const w = randn(l.w);
  const opts = { padding: l.padding };
  const y = conv2d(x, w, undefined, opts);
  const run =
    pass === 'forward'
      ? () => conv2d(x, w, undefined, opts)
      : pass === 'input-grad'
        ? () => conv2dBackwardInput(y, w, x.shape, opts)
        : () => conv2dBackwardWeight(x, y, w.shape, opts);
  return {
    run: () =>
      scope(() => {
        run().data();
      }),
    dispose: () => {
      x.dispose();
      w.dispose();
      y.dispose();
    },
  };
}

/** One row per layer and pass, gd only: the matmul rows give the GFLOP/s to compare with. */
export function convWorkloads(peers: readonly PeerName[]): Workload[] {
  if (!peers.includes('gd')) return [];
  return LENET_CONVS.flatMap((l) =>
    (['forward', 'input-grad', 'weight-grad'] as const).map(
      (pass): Workload => ({
        group: 'conv',
        label: `${l.name}, ${pass}`,
        unit: 'GFLOP/s',
        peers: ['gd'],
        metric: (ms) => convFlops(l) / ms / 1e6,
        make: () => convPass(l, pass),
      }),
    ),
  );
}
