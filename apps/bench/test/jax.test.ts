// The jax-js peer computes the same results as gd on small inputs: the benchmark compares equal work.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { variable } from '@gd/autograd';
import { crossEntropy } from '@gd/losses';
import { memory, tensor } from '@gd/tensor';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { float64Workloads, gdMatmul64, gdMlpStep64 } from '../src/float64.js';
import {
  initJax,
  JAX_VERSION,
  jaxLineFit,
  jaxMatmul,
  jaxMatmul64,
  jaxMatmul64Values,
  jaxMatmulValues,
  jaxMlpStep,
  jaxMlpStep64,
  jaxMlpStepValues,
  jaxSoftmaxCE,
  type MlpValues,
  mlpValues,
  uniformValues,
} from '../src/jax.js';

function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number) {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!) / (1 + Math.abs(expected[i]!)));
  expect(worst).toBeLessThan(tol);
}

beforeAll(() => initJax());

/** A small MLP problem: parameters with non-zero biases, inputs, labels, a large step. */
function smallMlp() {
  const v = mlpValues([6, 5, 3], 4);
  v.b1 = uniformValues(5, 0.1, 5);
  v.b2 = uniformValues(3, 0.1, 6);
  return { v, x: uniformValues(4 * 6, 1, 7), y: Int32Array.from([0, 2, 1, 2]), lr: 0.5 };
}

/** gd, written out: relu(x·W1 + b1)·W2 + b2, mean cross-entropy, backward, w ← w − η∇w (in JS). */
function gdMlpStepValues(v: MlpValues, x: Float32Array, y: Int32Array, lr: number, dtype: 'float32' | 'float64') {
  const t = (a: Float32Array, shape?: number[]) =>
    tensor(dtype === 'float64' ? Float64Array.from(a) : a, shape ? { shape, dtype } : { dtype });
  const [i, h, o] = v.sizes;
  const p = [variable(t(v.w1, [i, h])), variable(t(v.b1)), variable(t(v.w2, [h, o])), variable(t(v.b2))] as const;
  const logits = variable(t(x, [y.length, i]), { requiresGrad: false })
    .matmul(p[0])
    .add(p[1])
    .relu()
    .matmul(p[2])
    .add(p[3]);
  const loss = crossEntropy(logits, tensor(y));
  loss.backward();
  const [w1, b1, w2, b2] = p.map((q) => Float64Array.from(q.value.data(), (w, k) => w - lr * q.grad!.data()[k]!));
  return { loss: loss.item(), w1: w1!, b1: b1!, w2: w2!, b2: b2! };
}

describe('jax-js computes what gd computes', () => {
  it('JAX_VERSION is the installed, pinned version', () => {
    const require = createRequire(import.meta.url);
    const installed = JSON.parse(readFileSync(join(dirname(require.resolve('@jax-js/jax')), '..', 'package.json'), 'utf8')).version;
    const pinned = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')).dependencies['@jax-js/jax'];
    expect([installed, pinned]).toEqual([JAX_VERSION, JAX_VERSION]);
  });
  it('uniformValues: seeded, in range, not constant', () => {
    const a = uniformValues(1000, 0.5, 9);
    expect(uniformValues(1000, 0.5, 9)).toEqual(a);
    expect(Math.max(...a)).toBeLessThanOrEqual(0.5);
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-0.5);
    expect(new Set(a).size).toBeGreaterThan(990);
  });
  it('matmul [5, 7]·[7, 3]: against gd and a hand-computed entry', () => {
    const a = uniformValues(35, 1, 1);
    const b = uniformValues(21, 1, 2);
    const c = jaxMatmulValues(a, b, 5, 7, 3);
    const gd = tensor(a, { shape: [5, 7] }).matmul(tensor(b, { shape: [7, 3] }));
    expectClose(c, gd.data(), 1e-5);
    let c12 = 0;
    for (let k = 0; k < 7; k++) c12 += a[1 * 7 + k]! * b[k * 3 + 2]!;
    expect(c[1 * 3 + 2]).toBeCloseTo(c12, 5);
    gd.dispose();
  });
  it('MLP step 6-5-3, batch 4: the same loss and the same updated parameters as gd', () => {
    const { v, x, y, lr } = smallMlp();
    const jax = jaxMlpStepValues(v, x, y, lr);
    const gd = gdMlpStepValues(v, x, y, lr, 'float32');
    expect(jax.loss).toBeCloseTo(gd.loss, 5);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expectClose(jax[k], gd[k], 1e-5);
    // the step moved the parameters: the comparison is not between two copies of the start
    expect(Math.max(...Array.from(gd.w2, (w, i) => Math.abs(w - v.w2[i]!)))).toBeGreaterThan(1e-3);
  });
  it('the timed workloads keep their inputs across runs (a consumed array would throw)', () => {
    const batch = { x: uniformValues(8 * 784, 1, 1).map(Math.abs), y: Int32Array.from({ length: 8 }, (_, i) => i % 10), n: 8 };
    const make = [
      () => jaxMatmul(16, 'sync'),
      () => jaxMlpStep(batch, 'sync'),
      () => jaxLineFit({ x: Float32Array.of(0, 1), y: Float32Array.of(1, 3) }, 'sync'),
      () => jaxSoftmaxCE(8, 10, 'sync'),
    ];
    for (const m of make) {
      const inst = m();
      expect(() => {
        inst.run();
        inst.run();
        inst.run();
      }).not.toThrow();
      inst.dispose();
    }
  });
});

// jax-js's np.array names Float16Array (an instanceof check), which Node 20 lacks: in Node the
// float64 rows of the benchmark read "unsupported". Float16Array exists in Chromium, where they
// run; to check their values here, a stand-in class (never an instance, so the check is false
// for every array) lets np.array reach its Float64Array branch.
describe('jax-js in float64 computes what gd computes in float64', () => {
  const g = globalThis as { Float16Array?: unknown };
  const native = g.Float16Array;
  beforeAll(() => {
    g.Float16Array ??= class Float16Array {};
  });
  afterAll(() => {
    if (native === undefined) delete g.Float16Array;
  });
  it('without Float16Array, jax-js float64 fails with the error the Node table shows', () => {
    delete g.Float16Array;
    try {
      expect(() => jaxMatmul64(4, 'sync')).toThrow(/Float16Array is not defined/);
    } finally {
      g.Float16Array = native ?? class Float16Array {};
    }
  });
  it('matmul [5, 7]·[7, 3] in float64: against gd float64 to 1e-14, and a hand-computed entry', () => {
    const a = Float64Array.from(uniformValues(35, 1, 1), (u, i) => u + 1e-9 * i);
    const b = Float64Array.from(uniformValues(21, 1, 2));
    const c = jaxMatmul64Values(a, b, 5, 7, 3);
    expect(c).toBeInstanceOf(Float64Array);
    const gd = tensor(a, { shape: [5, 7], dtype: 'float64' }).matmul(tensor(b, { shape: [7, 3], dtype: 'float64' }));
    expectClose(c, gd.data(), 1e-14);
    let c12 = 0;
    for (let k = 0; k < 7; k++) c12 += a[1 * 7 + k]! * b[k * 3 + 2]!;
    expect(Math.abs(c[1 * 3 + 2]! - c12)).toBeLessThan(1e-14);
    // the 1e-9 offsets survive: float32 would have rounded them away
    const f32 = jaxMatmulValues(Float32Array.from(a), Float32Array.from(b), 5, 7, 3);
    expect(Math.max(...Array.from(c, (v, i) => Math.abs(v - f32[i]!)))).toBeGreaterThan(1e-9);
    gd.dispose();
  });
  it('MLP step 6-5-3, batch 4, in float64: gd to 1e-14 of plain JS; jax-js to 1e-6 (its float64 exp and log)', () => {
    const { v, x, y, lr } = smallMlp();
    const jax = jaxMlpStepValues(v, x, y, lr, 'float64');
    const gd = gdMlpStepValues(v, x, y, lr, 'float64');
    // the loss in plain JS float64: mean over rows of logsumexp(z) − z[label]
    const [ni, nh, no] = v.sizes;
    let loss = 0;
    for (let r = 0; r < y.length; r++) {
      const hid = Array.from({ length: nh }, (_, j) => {
        let s = v.b1[j]!;
        for (let k = 0; k < ni; k++) s += x[r * ni + k]! * v.w1[k * nh + j]!;
        return Math.max(0, s);
      });
      const z = Array.from({ length: no }, (_, j) => hid.reduce((s, hk, k) => s + hk * v.w2[k * no + j]!, v.b2[j]!));
      const m = Math.max(...z);
      loss += (m + Math.log(z.reduce((s, zj) => s + Math.exp(zj - m), 0)) - z[y[r]!]!) / y.length;
    }
    expect(Math.abs(gd.loss - loss)).toBeLessThan(1e-14);
    expect(jax.w1).toBeInstanceOf(Float64Array);
    // jax-js 0.1.25's float64 exp and log on its wasm device are accurate to ~1e-8 relative (about
    // float32's), so its float64 step agrees with gd's to ~1e-7, not to float64's 1e-15
    expect(Math.abs(jax.loss - gd.loss)).toBeLessThan(1e-6);
    for (const k of ['w1', 'b1', 'w2', 'b2'] as const) expectClose(jax[k], gd[k], 1e-6);
    // and not the float32 step: the two precisions differ beyond float64's tolerance
    const f32 = gdMlpStepValues(v, x, y, lr, 'float32');
    expect(Math.max(...Array.from(gd.w1, (w, i) => Math.abs(w - f32.w1[i]!)))).toBeGreaterThan(1e-10);
  });
  it('the float64 rows run, keep their inputs and free what gd allocates', () => {
    const batch = { x: uniformValues(128 * 784, 1, 1).map(Math.abs), y: Int32Array.from({ length: 128 }, (_, i) => i % 10), n: 128 };
    for (const inst of [jaxMatmul64(16, 'sync'), jaxMlpStep64(batch, 'sync')]) {
      inst.run();
      inst.run();
      inst.dispose();
    }
    const before = memory();
    for (const inst of [gdMatmul64(16), gdMlpStep64(batch)]) {
      inst.run();
      inst.run();
      inst.dispose();
    }
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    const rows = float64Workloads({ peers: ['gd', 'tfjs-wasm', 'jax-js'], batchOf: () => batch });
    expect(rows.map((w) => [w.label, w.peers.join()])).toEqual([
      ['matmul n=512, float64', 'gd,jax-js'],
      ['MLP 784-128-10 step, batch 128, float64', 'gd,jax-js'],
    ]);
    // 2·512³ flops in 1 ms is 268.435456 GFLOP/s
    expect(rows[0]!.metric(1)).toBeCloseTo(268.435456, 9);
  });
});
