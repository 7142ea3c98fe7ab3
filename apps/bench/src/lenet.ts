// The LeNet-5 training step on every peer: conv 5×5 1→8 pad 2, ReLU, maxpool 2, conv 5×5 8→16,
// ReLU, maxpool 2, flatten, 400→120, ReLU, 120→10, mean softmax cross-entropy, SGD. Every peer
// starts from the same weights (lenetValues) and sees the same batch. gd and jax-js work in NCHW
// with [out, in, kH, kW] kernels; TensorFlow.js works in NHWC with [kH, kW, in, out] kernels, so
// its copies of the weights are permuted once at set-up (including the first dense layer's
// columns, which follow the flatten order) and the step computes the same function.
import { lenet } from '@gd/lessons';
import { SGD } from '@gd/optim';
import { tensor } from '@gd/tensor';
import { type Array as JaxArray, jit, lax, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs';
import type { Instance, PeerName } from './harness.js';
import { jaxTrainer, meanCrossEntropy, type ReadMode, uniformValues } from './jax.js';
import { gdClassifierStep } from './peers.js';

/** The step's learning rate. */
export const LENET_LR = 0.01;

/** LeNet-5's parameters as plain arrays, in gd's layouts: conv [out, in, kH, kW], dense [out, in]. */
export interface LenetValues {
  c1w: Float32Array;
  c1b: Float32Array;
  c2w: Float32Array;
  c2b: Float32Array;
  f1w: Float32Array;
  f1b: Float32Array;
  f2w: Float32Array;
  f2b: Float32Array;
}

/** Seeded weights, uniform in ±1/√fanIn (the scale of PyTorch's defaults). */
export function lenetValues(seed: number): LenetValues {
  const u = (size: number, fanIn: number, k: number) => uniformValues(size, 1 / Math.sqrt(fanIn), seed + k);
  return {
    c1w: u(8 * 25, 25, 0),
    c1b: u(8, 25, 1),
    c2w: u(16 * 8 * 25, 200, 2),
    c2b: u(16, 200, 3),
    f1w: u(120 * 400, 400, 4),
    f1b: u(120, 400, 5),
    f2w: u(10 * 120, 120, 6),
    f2b: u(10, 120, 7),
  };
}

/** A batch of n images, [n, 1, 28, 28] row-major (the same bytes as [n, 784]), and int labels. */
export interface ImageBatch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

/**
 * One LeNet-5 SGD step per `run`. In Node (`mode` 'sync') `run` returns the step's loss, computed
 * before the update; with 'async' jax-js returns a promise of it.
 */
export function lenetStep(peer: PeerName, batch: ImageBatch, v: LenetValues, mode: ReadMode = 'sync'): Instance {
  if (peer === 'gd') return gdLenet(batch, v);
  if (peer === 'jax-js') return jaxLenet(batch, v, mode);
  return tfLenet(batch, v);
}

function gdLenet(batch: ImageBatch, v: LenetValues): Instance {
  const model = lenet([120]);
  const state = {
    '0.weight': tensor(v.c1w, { shape: [8, 1, 5, 5] }),
    '0.bias': tensor(v.c1b),
    '3.weight': tensor(v.c2w, { shape: [16, 8, 5, 5] }),
    '3.bias': tensor(v.c2b),
    '7.weight': tensor(v.f1w, { shape: [120, 400] }),
    '7.bias': tensor(v.f1b),
    '9.weight': tensor(v.f2w, { shape: [10, 120] }),
    '9.bias': tensor(v.f2b),
  };
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return gdClassifierStep(model, new SGD(model, { lr: LENET_LR }), tensor(batch.x, { shape: [batch.n, 1, 28, 28] }), tensor(batch.y));
}

/** [out, in, kH, kW] → [kH, kW, in, out]. */
function hwio(w: Float32Array, out: number, inC: number, k: number): Float32Array {
  const r = new Float32Array(w.length);
  for (let o = 0; o < out; o++)
    for (let i = 0; i < inC; i++)
      for (let h = 0; h < k; h++) for (let x = 0; x < k; x++) r[((h * k + x) * inC + i) * out + o] = w[((o * inC + i) * k + h) * k + x]!;
  return r;
}

function tfLenet(batch: ImageBatch, v: LenetValues): Instance {
  // the first dense layer as [400, 120] with rows in NHWC flatten order (h, w, c) instead of (c, h, w)
  const f1 = new Float32Array(400 * 120);
  for (let o = 0; o < 120; o++)
    for (let c = 0; c < 16; c++) for (let p = 0; p < 25; p++) f1[(p * 16 + c) * 120 + o] = v.f1w[o * 400 + c * 25 + p]!;
  const f2 = new Float32Array(120 * 10);
  for (let o = 0; o < 10; o++) for (let i = 0; i < 120; i++) f2[i * 10 + o] = v.f2w[o * 120 + i]!;
  const params = [
    tf.variable(tf.tensor4d(hwio(v.c1w, 8, 1, 5), [5, 5, 1, 8])),
    tf.variable(tf.tensor1d(v.c1b)),
    tf.variable(tf.tensor4d(hwio(v.c2w, 16, 8, 5), [5, 5, 8, 16])),
    tf.variable(tf.tensor1d(v.c2b)),
    tf.variable(tf.tensor2d(f1, [400, 120])),
    tf.variable(tf.tensor1d(v.f1b)),
    tf.variable(tf.tensor2d(f2, [120, 10])),
    tf.variable(tf.tensor1d(v.f2b)),
  ] as const;
  const [c1w, c1b, c2w, c2b, f1w, f1b, f2w, f2b] = params;
  // one channel: NCHW and NHWC are the same bytes
  const x = tf.tensor4d(batch.x, [batch.n, 28, 28, 1]);
  const y = tf.oneHot(tf.tensor1d(batch.y, 'int32'), 10);
  const opt = tf.train.sgd(LENET_LR);
  return {
    run: () => {
      const cost = opt.minimize(() => {
        const pad: [[number, number], [number, number], [number, number], [number, number]] = [
          [0, 0],
          [2, 2],
          [2, 2],
          [0, 0],
        ];
        const a1 = tf.relu(tf.add(tf.conv2d(x, c1w as tf.Tensor4D, 1, pad), c1b)) as tf.Tensor4D;
        const p1 = tf.maxPool(a1, 2, 2, 'valid');
        const a2 = tf.relu(tf.add(tf.conv2d(p1, c2w as tf.Tensor4D, 1, 'valid'), c2b)) as tf.Tensor4D;
        const h = tf.maxPool(a2, 2, 2, 'valid');
        const f = tf.relu(tf.add(tf.matMul(tf.reshape(h, [batch.n, 400]), f1w), f1b));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(f, f2w), f2b)) as tf.Scalar;
      }, true);
      const loss = cost!.dataSync()[0];
      cost!.dispose();
      return loss;
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([...params, x, y]);
    },
  };
}

type JaxLenet = { c1w: JaxArray; c1b: JaxArray; c2w: JaxArray; c2b: JaxArray; f1w: JaxArray; f1b: JaxArray; f2w: JaxArray; f2b: JaxArray };

/** 2×2 max pooling, stride 2, of [N, C, H, W] with even H and W: a reshape and a max. */
function pool2(x: JaxArray): JaxArray {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  return np.max(x.reshape([n, c, h / 2, 2, w / 2, 2]), [3, 5]);
}

function lenetLoss(p: JaxLenet, x: JaxArray, onehot: JaxArray): JaxArray {
  const rows = onehot.shape[0]!;
  let h = pool2(
    nn.relu(
      lax
        .conv(
          x,
          p.c1w,
          [1, 1],
          [
            [2, 2],
            [2, 2],
          ],
        )
        .add(p.c1b.reshape([8, 1, 1])),
    ),
  );
  h = pool2(nn.relu(lax.conv(h, p.c2w, [1, 1], 'VALID').add(p.c2b.reshape([16, 1, 1]))));
  const f = nn.relu(np.matmul(h.reshape([rows, 400]), p.f1w.transpose()).add(p.f1b));
  return meanCrossEntropy(np.matmul(f, p.f2w.transpose()).add(p.f2b), onehot);
}

function jaxLenet(batch: ImageBatch, v: LenetValues, mode: ReadMode): Instance {
  const step = jit((p: JaxLenet, x: JaxArray, onehot: JaxArray) => {
    const [loss, g] = valueAndGrad(lenetLoss)(tree.ref(p), x, onehot);
    const next = tree.map((w: JaxArray, dw: JaxArray) => w.sub(dw.mul(LENET_LR)), p, g) as JaxLenet;
    return [loss, next] as [JaxArray, JaxLenet];
  });
  const p: JaxLenet = {
    c1w: np.array(v.c1w, { shape: [8, 1, 5, 5] }),
    c1b: np.array(v.c1b),
    c2w: np.array(v.c2w, { shape: [16, 8, 5, 5] }),
    c2b: np.array(v.c2b),
    f1w: np.array(v.f1w, { shape: [120, 400] }),
    f1b: np.array(v.f1b),
    f2w: np.array(v.f2w, { shape: [10, 120] }),
    f2b: np.array(v.f2b),
  };
  const x = np.array(batch.x, { shape: [batch.n, 1, 28, 28] });
  const y = nn.oneHot(np.array(batch.y, { dtype: np.int32 }), 10);
  return jaxTrainer(step, p, x, y, mode);
}
