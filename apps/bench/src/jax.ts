// The workloads on jax-js: the wasm device, each workload one `jit`-compiled function, as a
// jax-js user would write it. jax-js arrays are reference counted: every call consumes its
// array arguments, `.ref` (or `tree.ref`) keeps one for later, and reading data consumes it.
// In Node there are no Web Workers, so jax-js runs on one thread; in a cross-origin isolated
// page its wasm device starts a worker pool, and results must then be read asynchronously.
import { init, type Array as JaxArray, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import type { Instance } from './harness.js';

/** The pinned jax-js version (package.json pins it; a test checks the two agree). */
export const JAX_VERSION = '0.1.25';

let started: Promise<unknown> | undefined;

/** Starts jax-js's wasm device (Node 20 has no `navigator`, so it must be named). */
export function initJax(): Promise<unknown> {
  started ??= init('wasm');
  return started;
}

/** How workloads read results back: synchronously (Node, one thread) or awaited (worker pool). */
export type ReadMode = 'sync' | 'async';

/** A jitted training step: (params, inputs, targets) → [loss, next params]. */
export interface JaxStep<P> {
  (p: P, x: JaxArray, y: JaxArray): [JaxArray, P];
  dispose(): void;
}

/**
 * A jitted training step as a bench instance: each run takes one step from the parameters the
 * last one left and returns the loss, read back as `mode` says; dispose frees the parameters, the
 * batch and the compiled step.
 */
export function jaxTrainer<P>(step: JaxStep<P>, params: P, x: JaxArray, y: JaxArray, mode: ReadMode): Instance {
  let p = params;
  return {
    run: () => {
      const [loss, next] = step(p, x.ref, y.ref);
      p = next;
      if (mode === 'sync') return (loss.dataSync() as Float32Array)[0];
      return loss.data().then((d) => (d as Float32Array)[0]);
    },
    dispose: () => {
      tree.dispose(p);
      x.dispose();
      y.dispose();
      step.dispose();
    },
  };
}

function read(x: JaxArray, mode: ReadMode): undefined | Promise<unknown> {
  if (mode === 'sync') {
    x.dataSync();
    return undefined;
  }
  return x.data();
}

/** Deterministic values in [−bound, bound): the same inputs for every peer that is given them. */
export function uniformValues(size: number, bound: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    // mulberry32
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * bound;
  }
  return out;
}

const matmulFn = jit((a: JaxArray, b: JaxArray) => np.matmul(a, b));

/** C = A·B for row-major A [m, k] and B [k, n], read back: the jitted product the benchmark times. */
export function jaxMatmulValues(a: Float32Array, b: Float32Array, m: number, k: number, n: number): Float32Array {
  const c = matmulFn(np.array(a, { shape: [m, k] }), np.array(b, { shape: [k, n] }));
  return c.dataSync() as Float32Array;
}

/** {@link jaxMatmulValues} in float64. */
export function jaxMatmul64Values(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = matmulFn(np.array(a, { shape: [m, k], dtype: np.float64 }), np.array(b, { shape: [k, n], dtype: np.float64 }));
  return c.dataSync() as Float64Array;
}

/** The float64 product of two n×n matrices (the float32 inputs, widened), read back. */
export function jaxMatmul64(n: number, mode: ReadMode): Instance {
  const a = np.array(Float64Array.from(uniformValues(n * n, 1, 1)), { shape: [n, n], dtype: np.float64 });
  const b = np.array(Float64Array.from(uniformValues(n * n, 1, 2)), { shape: [n, n], dtype: np.float64 });
  return {
    run: () => read(matmulFn(a.ref, b.ref), mode),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

export function jaxMatmul(n: number, mode: ReadMode): Instance {
  const a = np.array(uniformValues(n * n, 1, 1), { shape: [n, n] });
  const b = np.array(uniformValues(n * n, 1, 2), { shape: [n, n] });
  return {
    run: () => read(matmulFn(a.ref, b.ref), mode),
    dispose: () => {
      a.dispose();
      b.dispose();
    },
  };
}

/** The MLP's parameters, weights stored [in, out] as a jax-js user would. */
export type MlpParams = { w1: JaxArray; b1: JaxArray; w2: JaxArray; b2: JaxArray };

/** Mean softmax cross-entropy of `logits` [rows, classes] against one-hot targets, as the jax-js models compute it. */
export function meanCrossEntropy(logits: JaxArray, onehot: JaxArray): JaxArray {
  const rows = onehot.shape[0]!;
  return nn
    .logSoftmax(logits, -1)
    .mul(onehot)
    .sum()
    .mul(-1 / rows);
}

/** Mean softmax cross-entropy of the 2-layer ReLU MLP on one-hot labels. */
function mlpLoss(p: MlpParams, x: JaxArray, onehot: JaxArray): JaxArray {
  const h = nn.relu(np.matmul(x, p.w1).add(p.b1));
  return meanCrossEntropy(np.matmul(h, p.w2).add(p.b2), onehot);
}

/** One SGD step, jitted whole: forward, cross-entropy, backward, update. Returns [loss, new params]. */
export function mlpStepFn(lr: number) {
  return jit((p: MlpParams, x: JaxArray, onehot: JaxArray) => {
    const [loss, g] = valueAndGrad(mlpLoss)(tree.ref(p), x, onehot);
    const next = tree.map((w: JaxArray, dw: JaxArray) => w.sub(dw.mul(lr)), p, g) as MlpParams;
    return [loss, next] as [JaxArray, MlpParams];
  });
}

/** Plain arrays for the MLP's parameters and a batch: what both gd and jax-js can be built from. */
export interface MlpValues {
  sizes: [number, number, number];
  w1: Float32Array;
  b1: Float32Array;
  w2: Float32Array;
  b2: Float32Array;
}

/** Glorot-uniform weights, zero biases, seeded. */
export function mlpValues(sizes: [number, number, number], seed: number): MlpValues {
  const [i, h, o] = sizes;
  return {
    sizes,
    w1: uniformValues(i * h, Math.sqrt(6 / (i + h)), seed),
    b1: new Float32Array(h),
    w2: uniformValues(h * o, Math.sqrt(6 / (h + o)), seed + 1),
    b2: new Float32Array(o),
  };
}

/** The float dtypes the workloads run in. */
export type Float = 'float32' | 'float64';

/** An array of `dtype` from float32 values (float64 widens them exactly). */
function floats(values: Float32Array, shape: number[], dtype: Float): JaxArray {
  return dtype === 'float64' ? np.array(Float64Array.from(values), { shape, dtype: np.float64 }) : np.array(values, { shape });
}

function jaxParams(v: MlpValues, dtype: Float = 'float32'): MlpParams {
  const [i, h, o] = v.sizes;
  return {
    w1: floats(v.w1, [i, h], dtype),
    b1: floats(v.b1, [h], dtype),
    w2: floats(v.w2, [h, o], dtype),
    b2: floats(v.b2, [o], dtype),
  };
}

function oneHot(labels: Int32Array, classes: number, dtype: Float = 'float32'): JaxArray {
  const t = nn.oneHot(np.array(labels, { dtype: np.int32 }), classes);
  return dtype === 'float64' ? np.astype(t, np.float64) : t;
}

/**
 * One step from the given values, in float32 or (inputs widened) float64; the loss and the
 * updated parameters, read back (for tests).
 */
export function jaxMlpStepValues(v: MlpValues, x: Float32Array, y: Int32Array, lr: number, dtype: Float = 'float32') {
  const n = y.length;
  const [loss, p] = mlpStepFn(lr)(jaxParams(v, dtype), floats(x, [n, v.sizes[0]], dtype), oneHot(y, v.sizes[2], dtype));
  const out = (a: JaxArray) => a.dataSync() as Float32Array | Float64Array;
  return { loss: out(loss)[0]!, w1: out(p.w1), b1: out(p.b1), w2: out(p.w2), b2: out(p.b2) };
}

export function jaxMlpStep(batch: { x: Float32Array; y: Int32Array; n: number }, mode: ReadMode, dtype: Float = 'float32'): Instance {
  const x = floats(batch.x, [batch.n, 784], dtype);
  const y = oneHot(batch.y, 10, dtype);
  return jaxTrainer(mlpStepFn(0.01), jaxParams(mlpValues([784, 128, 10], 1), dtype), x, y, mode);
}

/** The MLP step with float64 parameters and inputs. */
export function jaxMlpStep64(batch: { x: Float32Array; y: Int32Array; n: number }, mode: ReadMode): Instance {
  return jaxMlpStep(batch, mode, 'float64');
}

/** The tutorial's line fit: 1,000 full-batch GD iterations on MSE, one jitted update per iteration. */
export function jaxLineFit(pts: { x: Float32Array; y: Float32Array }, mode: ReadMode): Instance {
  const x = np.array(pts.x);
  const y = np.array(pts.y);
  const loss = (p: { a: JaxArray; b: JaxArray }, xs: JaxArray, ys: JaxArray) => np.mean(np.square(p.a.mul(xs).add(p.b).sub(ys)));
  const step = jit((p: { a: JaxArray; b: JaxArray }, xs: JaxArray, ys: JaxArray) => {
    const [, g] = valueAndGrad(loss)(tree.ref(p), xs, ys);
    return tree.map((w: JaxArray, dw: JaxArray) => w.sub(dw.mul(0.1)), p, g) as { a: JaxArray; b: JaxArray };
  });
  return {
    run: () => {
      let p = { a: np.array(0), b: np.array(0) };
      for (let i = 0; i < 1000; i++) p = step(p, x.ref, y.ref);
      p.b.dispose();
      return read(p.a, mode);
    },
    dispose: () => {
      x.dispose();
      y.dispose();
      step.dispose();
    },
  };
}

/** The gradient of the mean softmax cross-entropy with respect to the logits. */
export function jaxSoftmaxCE(rows: number, classes: number, mode: ReadMode): Instance {
  const z = np.array(uniformValues(rows * classes, 2, 3), { shape: [rows, classes] });
  const labels = Int32Array.from({ length: rows }, (_, i) => (i * 7919) % classes);
  const onehot = oneHot(labels, classes);
  const dz = jit((v: JaxArray, t: JaxArray) => valueAndGrad(meanCrossEntropy)(v, t)[1]);
  return {
    run: () => read(dz(z.ref, onehot.ref), mode),
    dispose: () => {
      z.dispose();
      onehot.dispose();
      dz.dispose();
    },
  };
}
