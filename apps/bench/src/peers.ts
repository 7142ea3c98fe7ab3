// The same work for each peer: gd, TensorFlow.js on its wasm (XNNPACK, one thread in Node) and
// cpu backends, and jax-js on its wasm device (src/jax.ts).
import { grad, type Variable, variable } from '@gd/autograd';
import { crossEntropy, mse } from '@gd/losses';
import { mlp } from '@gd/nn';
import { minimize, SGD } from '@gd/optim';
import { copyInto, memory, randint, randn, record, type Tensor, tensor, zeros } from '@gd/tensor';
import * as tf from '@tensorflow/tfjs';
import type { Instance, PeerName } from './harness.js';
import { initJax, jaxLineFit, jaxMatmul, jaxMlpStep, jaxSoftmaxCE, type ReadMode } from './jax.js';

export type { PeerName } from './harness.js';

let jaxRead: ReadMode = 'sync';

/** How jax-js workloads read results: 'async' where its wasm device runs on a worker pool. */
export function setJaxReadMode(mode: ReadMode): void {
  jaxRead = mode;
}

/** A batch of real digits: x [n, 784] and int labels [n]. */
export interface Batch {
  x: Float32Array;
  y: Int32Array;
  n: number;
}

export async function useBackend(peer: PeerName): Promise<void> {
  if (peer === 'gd') return;
  if (peer === 'jax-js') {
    await initJax();
    return;
  }
  const backend = peer === 'tfjs-wasm' ? 'wasm' : 'cpu';
  if (tf.getBackend() !== backend) {
    await tf.setBackend(backend);
    await tf.ready();
  }
}

// ── matmul ─────────────────────────────────────────────────────────────────
/** gd's product C = A·B of two n×n normal matrices in the given dtype, read back. */
export function gdMatmul(n: number, dtype: 'float32' | 'float64'): Instance {
  const a = randn([n, n], { dtype });
  const b = randn([n, n], { dtype });
  return {
    run: () => {
      const c = a.matmul(b);
      c.data();
      c.dispose();
    },
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

export function matmul(peer: PeerName, n: number): Instance {
  if (peer === 'jax-js') return jaxMatmul(n, jaxRead);
  if (peer === 'gd') return gdMatmul(n, 'float32');
  const a = tf.randomNormal([n, n]);
  const b = tf.randomNormal([n, n]);
  return {
    run: () => {
      const c = tf.matMul(a, b);
      c.dataSync();
      c.dispose();
    },
    dispose: () => tf.dispose([a, b]),
  };
}

/**
 * gd's classifier training step, shared by the MLP and LeNet rows, as a user writes it with a
 * recorded step (packages/optim/README.md): the forward pass, softmax cross-entropy and backward
 * pass are recorded once on input tensors of the batch's shape; each step copies its batch into
 * them, replays, and runs the SGD update eagerly; it returns the loss (read back). The instance
 * owns `model`, `opt`, `x` and `y` and frees them on dispose.
 */
export function gdClassifierStep(
  model: { forward(x: Tensor): Variable; dispose(): void },
  opt: { step(): void; zeroGrad(): void; dispose(): void },
  x: Tensor,
  y: Tensor,
): Instance {
  const xIn = zeros([...x.shape], { dtype: x.dtype });
  const yIn = zeros([...y.shape], { dtype: y.dtype });
  opt.zeroGrad();
  const recorded = record(() => {
    const loss = crossEntropy(model.forward(xIn), yIn);
    loss.backward();
    return loss.value;
  });
  return {
    run: () => {
      copyInto(xIn, x);
      copyInto(yIn, y);
      recorded.replay();
      opt.step();
      return recorded.result.item();
    },
    dispose: () => {
      recorded.result.dispose();
      recorded.dispose();
      opt.zeroGrad();
      opt.dispose();
      model.dispose();
      for (const t of [x, y, xIn, yIn]) t.dispose();
    },
  };
}

// ── MLP 784-128-10 training step: forward, softmax cross-entropy, backward, SGD update ────
export function mlpStep(peer: PeerName, batch: Batch): Instance {
  if (peer === 'jax-js') return jaxMlpStep(batch, jaxRead);
  if (peer === 'gd') {
    const model = mlp([784, 128, 10], { activation: 'relu' });
    return gdClassifierStep(model, new SGD(model, { lr: 0.01 }), tensor(batch.x, { shape: [batch.n, 784] }), tensor(batch.y));
  }
  const w1 = tf.variable(tf.randomUniform([784, 128], -0.036, 0.036));
  const b1 = tf.variable(tf.zeros([128]));
  const w2 = tf.variable(tf.randomUniform([128, 10], -0.088, 0.088));
  const b2 = tf.variable(tf.zeros([10]));
  const x = tf.tensor2d(batch.x, [batch.n, 784]);
  const y = tf.oneHot(tf.tensor1d(batch.y, 'int32'), 10);
  const opt = tf.train.sgd(0.01);
  return {
    run: () => {
      const cost = opt.minimize(() => {
        const h = tf.relu(tf.add(tf.matMul(x, w1), b1));
        return tf.losses.softmaxCrossEntropy(y, tf.add(tf.matMul(h, w2), b2)) as tf.Scalar;
      }, true);
      cost!.dataSync();
      cost!.dispose();
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([w1, b1, w2, b2, x, y]);
    },
  };
}

// ── the tutorial's line fit: 1,000 full-batch GD iterations on 1,000 points ──
function linePoints(): { x: Float32Array; y: Float32Array } {
  const x = new Float32Array(1000);
  const y = new Float32Array(1000);
  for (let i = 0; i < 1000; i++) {
    x[i] = (i / 999) * 2 - 1;
    y[i] = 2 * x[i]! + 1 + 0.3 * Math.sin(i * 12.9898);
  }
  return { x, y };
}

export function lineFit(peer: PeerName): Instance {
  const pts = linePoints();
  if (peer === 'jax-js') return jaxLineFit(pts, jaxRead);
  if (peer === 'gd') {
    const x = tensor(pts.x);
    const y = tensor(pts.y);
    return {
      run: () => {
        const a = variable([0]);
        const b = variable([0]);
        // replay: the step is recorded once and its kernels replayed (the same numbers, bit for bit)
        minimize(() => mse(a.mul(x).add(b), y), [a, b], { lr: 0.1, maxIterations: 1000, history: false, replay: true });
        a.item();
        b.item();
        for (const v of [a, b]) {
          v.zeroGrad();
          v.value.dispose();
        }
      },
      dispose: () => {
        x.dispose();
        y.dispose();
      },
    };
  }
  const x = tf.tensor1d(pts.x);
  const y = tf.tensor1d(pts.y);
  return {
    run: () => {
      const a = tf.variable(tf.scalar(0));
      const b = tf.variable(tf.scalar(0));
      const opt = tf.train.sgd(0.1);
      for (let i = 0; i < 1000; i++) opt.minimize(() => tf.losses.meanSquaredError(y, tf.add(tf.mul(a, x), b)) as tf.Scalar);
      a.dataSync();
      b.dataSync();
      opt.dispose();
      tf.dispose([a, b]);
    },
    dispose: () => tf.dispose([x, y]),
  };
}

// ── softmax cross-entropy, forward and backward ─────────────────────────────
export function softmaxCE(peer: PeerName, rows: number, classes: number): Instance {
  if (peer === 'jax-js') return jaxSoftmaxCE(rows, classes, jaxRead);
  if (peer === 'gd') {
    const z = randn([rows, classes]);
    const labels = randint(0, classes, [rows]);
    const dz = grad((v) => crossEntropy(v, labels));
    return {
      run: () => {
        const g = dz(z) as Tensor;
        g.data();
        g.dispose();
      },
      dispose: () => {
        z.dispose();
        labels.dispose();
      },
    };
  }
  const z = tf.randomNormal([rows, classes]);
  const onehot = tf.oneHot(tf.randomUniform([rows], 0, classes, 'int32'), classes);
  const dz = tf.grad((v: tf.Tensor) => tf.losses.softmaxCrossEntropy(onehot, v));
  return {
    run: () => {
      const g = dz(z);
      g.dataSync();
      g.dispose();
    },
    dispose: () => tf.dispose([z, onehot]),
  };
}

// ── memory in use across training steps ────────────────────────────────────
/**
 * Bytes in use (as `bytes()` reports them) after every `every`-th of `steps` runs of a training
 * step, the first run being a warm-up; the step is disposed at the end. Flat when nothing leaks.
 */
export function bytesOverSteps(inst: Instance, bytes: () => number, steps: number, every: number): number[] {
  inst.run();
  const samples: number[] = [];
  for (let i = 1; i <= steps; i++) {
    inst.run();
    if (i % every === 0) samples.push(bytes());
  }
  inst.dispose();
  return samples;
}

/** Bytes in use every `every` steps of the MLP step (the first sample after one warm-up step). */
export function memoryOverSteps(peer: 'gd' | 'tfjs-wasm', batch: Batch, steps: number, every: number): number[] {
  return bytesOverSteps(mlpStep(peer, batch), peer === 'gd' ? () => memory().bytesInUse : () => tf.memory().numBytes, steps, every);
}
