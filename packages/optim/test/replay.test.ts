import { type Variable, variable } from '@gd/autograd';
import { manualSeed, memory, randn, StateError, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, type MinimizeOptions, minimize, SGD } from '../src/index.js';

const bits = (a: Float32Array | Float64Array | Int32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);

// the tutorial's line fit: y ≈ a·x + b on fixed points, loss = mean squared error
function lineFit(options: MinimizeOptions) {
  const xs = Array.from({ length: 200 }, (_, i) => (i / 199) * 2 - 1);
  const x = tensor(xs);
  const y = tensor(xs.map((v, i) => 2 * v + 1 + 0.3 * Math.sin(i * 12.9898)));
  const a = variable([0]);
  const b = variable([0]);
  const losses: number[] = [];
  const r = minimize(
    () =>
      a
        .mul(x)
        .add(b)
        .squaredError(y, 1 / 200),
    [a, b],
    {
      ...options,
      onStep: (s) => {
        losses.push(s.loss);
        return undefined;
      },
    },
  );
  const out = { r, losses, a: a.value.data(), b: b.value.data(), ga: a.grad!.data(), gb: b.grad!.data() };
  for (const v of [a, b]) {
    v.zeroGrad();
    v.value.dispose();
  }
  x.dispose();
  y.dispose();
  return out;
}

describe('minimize({ replay: true })', () => {
  it('gives the eager run bit for bit: losses, norms, parameters and the last gradients', () => {
    for (const extra of [{ lr: 0.1 }, { lr: 0.1, lossTolerance: 1e-7 }, { lr: 0.05, gradTolerance: 1e-3 }]) {
      const eager = lineFit({ maxIterations: 300, ...extra });
      const replayed = lineFit({ maxIterations: 300, ...extra, replay: true });
      expect(replayed.r.reason).toBe(eager.r.reason);
      expect(replayed.r.iterations).toBe(eager.r.iterations);
      expect(replayed.r.loss).toBe(eager.r.loss);
      expect(replayed.r.gradNorm).toBe(eager.r.gradNorm);
      expect(replayed.r.history).toEqual(eager.r.history);
      expect(replayed.losses).toEqual(eager.losses);
      for (const k of ['a', 'b', 'ga', 'gb'] as const) expect(bits(replayed[k]).equals(bits(eager[k]))).toBe(true);
    }
    // and it fits: slope ≈ 2, intercept ≈ 1
    const fit = lineFit({ lr: 0.1, maxIterations: 1000, replay: true });
    expect(fit.a[0]).toBeCloseTo(2, 1);
    expect(fit.b[0]).toBeCloseTo(1, 1);
  });

  it('replays a two-layer classifier with momentum bit for bit', () => {
    const run = (replay: boolean) => {
      manualSeed(3);
      const x = randn([16, 5]);
      const onehot = tensor(Array.from({ length: 16 }, (_, i) => Array.from({ length: 3 }, (_, c) => (i % 3 === c ? 1 : 0))));
      const w1 = variable(randn([5, 8]).mul(0.5));
      const b1 = variable(tensor(new Array(8).fill(0.1)));
      const w2 = variable(randn([8, 3]).mul(0.5));
      const params = [w1, b1, w2];
      const opt = new SGD(params, { lr: 0.2, momentum: 0.9 });
      const input = variable(x, { requiresGrad: false });
      // cross-entropy of a 5-8-3 network: −(1/n) Σ onehot · log softmax(relu(x·W1 + b1)·W2)
      const loss = (): Variable =>
        input
          .matmul(w1)
          .add(b1)
          .relu()
          .matmul(w2)
          .logSoftmax(-1)
          .mul(onehot)
          .sum()
          .mul(-1 / 16);
      const r = minimize(loss, params, { optimizer: opt, maxIterations: 40, replay });
      const out = { r, values: params.map((p) => p.value.data()) };
      opt.zeroGrad();
      opt.dispose();
      for (const p of params) p.value.dispose();
      x.dispose();
      onehot.dispose();
      return out;
    };
    const eager = run(false);
    const replayed = run(true);
    expect(replayed.r.history).toEqual(eager.r.history);
    expect(replayed.r.loss).toBeLessThan(eager.r.history[0]!.loss);
    for (let i = 0; i < 3; i++) expect(bits(replayed.values[i]!).equals(bits(eager.values[i]!))).toBe(true);
  });

  it('keeps memory in use flat across replayed steps', () => {
    const x = tensor([1, 2, 3, 4]);
    const y = tensor([3, 5, 7, 9]);
    const a = variable([0]);
    const b = variable([0]);
    const start = memory();
    const samples: number[] = [];
    const counts: number[] = [];
    minimize(() => a.mul(x).add(b).squaredError(y, 0.25), [a, b], {
      lr: 0.01,
      maxIterations: 50,
      replay: true,
      onStep: () => {
        samples.push(memory().bytesInUse);
        counts.push(memory().tensors);
        return undefined;
      },
    });
    expect(new Set(samples.slice(1)).size).toBe(1);
    expect(new Set(counts.slice(1)).size).toBe(1);
    // after minimize: the recording is freed; only the gradients handed to a and b remain
    for (const v of [a, b]) v.zeroGrad();
    expect(memory().bytesInUse).toBe(start.bytesInUse);
    expect(memory().tensors).toBe(start.tensors);
    for (const t of [x, y, a.value, b.value]) t.dispose();
  });

  it('stops with diverged and restores the last finite parameters, as the eager loop does', () => {
    const run = (replay: boolean) => {
      const x = tensor([1, 2, 3]);
      const y = tensor([2, 4, 6]);
      const a = variable([0.5]);
      const r = minimize(() => a.mul(x).squaredError(y, 1), [a], { lr: 10, maxIterations: 500, replay });
      const out = { r, a: a.value.data(), grad: a.grad };
      a.value.dispose();
      x.dispose();
      y.dispose();
      return out;
    };
    const eager = run(false);
    const replayed = run(true);
    expect(eager.r.reason).toBe('diverged');
    expect(replayed.r.reason).toBe('diverged');
    expect(replayed.r.iterations).toBe(eager.r.iterations);
    expect(replayed.r.loss).toBe(eager.r.loss);
    expect(bits(replayed.a).equals(bits(eager.a))).toBe(true);
    expect(replayed.grad).toBe(null);
  });

  it('rejects replay with data, a non-boolean replay, and an objective that reads values', () => {
    const a = variable([1]);
    expect(() => minimize(() => a.square().sum(), [a], { replay: 'yes' as never })).toThrow(ValueError);
    expect(() => minimize(() => a.square().sum(), [a], { replay: true, data: [1, 2] })).toThrow(/replay needs full-batch mode/);
    const before = memory();
    expect(() => minimize(() => (a.value.item() > 0 ? a.square().sum() : a.sum()), [a], { replay: true, maxIterations: 3 })).toThrow(
      StateError,
    );
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    // the objective's own errors come through unchanged
    expect(() => minimize(() => a.value as never, [a], { replay: true })).toThrow(/must return a scalar Variable, got a Tensor/);
    a.zeroGrad();
    a.value.dispose();
  });

  it('works with an optimizer that changes every step (Adam: bias correction by step count)', () => {
    const run = (replay: boolean) => {
      const p = variable([1, -2, 0.5]);
      const opt = new Adam([p], { lr: 0.05 });
      const r = minimize(() => p.square().mul([1, 0.5, 3]).sum(), [p], { optimizer: opt, maxIterations: 30, replay });
      const v = p.value.data();
      opt.zeroGrad();
      opt.dispose();
      p.value.dispose();
      return { r, v };
    };
    const eager = run(false);
    const replayed = run(true);
    expect(replayed.r.history).toEqual(eager.r.history);
    expect(bits(replayed.v).equals(bits(eager.v))).toBe(true);
  });
});
