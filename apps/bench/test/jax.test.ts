// The jax-js peer computes the same results as gd on small inputs: the benchmark compares equal work.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { variable } from '@gd/autograd';
import { crossEntropy } from '@gd/losses';
import { tensor } from '@gd/tensor';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  initJax,
  JAX_VERSION,
  jaxLineFit,
  jaxMatmul,
  jaxMatmulValues,
  jaxMlpStep,
  jaxMlpStepValues,
  jaxSoftmaxCE,
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
    const v = mlpValues([6, 5, 3], 4);
    v.b1 = uniformValues(5, 0.1, 5);
    v.b2 = uniformValues(3, 0.1, 6);
    const x = uniformValues(4 * 6, 1, 7);
    const y = Int32Array.from([0, 2, 1, 2]);
    const lr = 0.5;
    const jax = jaxMlpStepValues(v, x, y, lr);

    // gd, written out: relu(x·W1 + b1)·W2 + b2, mean cross-entropy, backward, w ← w − η∇w
    const p = [
      variable(tensor(v.w1, { shape: [6, 5] })),
      variable(tensor(v.b1)),
      variable(tensor(v.w2, { shape: [5, 3] })),
      variable(tensor(v.b2)),
    ];
    const [w1, b1, w2, b2] = p as [
      ReturnType<typeof variable>,
      ReturnType<typeof variable>,
      ReturnType<typeof variable>,
      ReturnType<typeof variable>,
    ];
    const logits = variable(tensor(x, { shape: [4, 6] }), { requiresGrad: false })
      .matmul(w1)
      .add(b1)
      .relu()
      .matmul(w2)
      .add(b2);
    const loss = crossEntropy(logits, tensor(y));
    loss.backward();
    expect(jax.loss).toBeCloseTo(loss.item(), 5);
    const updated = p.map((q) => Float32Array.from(q.value.data(), (w, i) => w - lr * q.grad!.data()[i]!));
    expectClose(jax.w1, updated[0]!, 1e-5);
    expectClose(jax.b1, updated[1]!, 1e-5);
    expectClose(jax.w2, updated[2]!, 1e-5);
    expectClose(jax.b2, updated[3]!, 1e-5);
    // the step moved the parameters: the comparison is not between two copies of the start
    expect(Math.max(...updated[2]!.map((w, i) => Math.abs(w - v.w2[i]!)))).toBeGreaterThan(1e-3);
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
