import { asVariable, type Variable, variable } from '@gd/autograd';
import { dropoutMask, manualSeed, memory, oneHot, randn, record, StateError, scope, type Tensor, tensor, ValueError } from '@gd/tensor';
import { describe, expect, it } from 'vitest';
import { Adam, batches, type MinimizeOptions, minimize, SGD, schedules } from '../src/index.js';

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

  it('rejects a non-boolean replay, batches that are not tensors, and an objective that reads values', () => {
    const a = variable([1]);
    expect(() => minimize(() => a.square().sum(), [a], { replay: 'yes' as never })).toThrow(ValueError);
    expect(() => minimize(() => a.square().sum(), [a], { replay: true, data: [1, 2] })).toThrow(
      /replay with data needs batches of tensors .* got a number in a batch/,
    );
    expect(() => minimize(() => a.square().sum(), [a], { replay: true, data: [[tensor([1]), 'x']] })).toThrow(/got a string in a batch/);
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

// a 6-10-3 classifier on 50 seeded samples in batches of 16 (16, 16, 16 and a last batch of 2),
// with dropout on the hidden layer so every step draws random numbers inside the objective
function minibatchRun(replay: boolean, makeOpt: (params: Variable[]) => SGD | Adam, o: { record?: boolean; schedule?: boolean } = {}) {
  manualSeed(11);
  const x = randn([50, 6]);
  const labels = tensor(
    Array.from({ length: 50 }, (_, i) => (i * 7) % 3),
    { dtype: 'int32' },
  );
  const w1 = variable(scope(() => randn([6, 10]).mul(0.4)));
  const b1 = variable(tensor(new Array(10).fill(0.05)));
  const w2 = variable(scope(() => randn([10, 3]).mul(0.4)));
  const params = [w1, b1, w2];
  const opt = makeOpt(params);
  // cross-entropy −(1/n) Σ onehot · log softmax(dropout(relu(x·W1 + b1))·W2)
  const forward = (xb: Tensor, yb: Tensor): Variable => {
    const h = variable(xb, { requiresGrad: false }).matmul(w1).add(b1).relu();
    return h
      .mul(dropoutMask(h.shape, 0.2))
      .matmul(w2)
      .logSoftmax(-1)
      .mul(oneHot(yb, 3))
      .sum()
      .mul(-1 / xb.shape[0]!);
  };
  const epochLosses: number[] = [];
  const memoryAtEpochEnd: number[] = [];
  const memoryAtFullSteps: number[] = [];
  const data = o.record
    ? {
        [Symbol.iterator]: () => [][Symbol.iterator](),
        // the same batches as records, made lazily (inside each step's scope, which frees them)
        epoch: (e: number) => ({
          *[Symbol.iterator]() {
            for (const [xb, yb] of batches([x, labels], { batchSize: 16, seed: 5 }).epoch(e)) yield { features: xb!, target: yb! };
          },
        }),
      }
    : batches([x, labels], { batchSize: 16, seed: 5 });
  let calls = 0;
  const r = minimize(
    (batch: unknown) => {
      calls++;
      const [xb, yb] = o.record ? [(batch as { features: Tensor }).features, (batch as { target: Tensor }).target] : (batch as Tensor[]);
      return forward(xb!, yb!);
    },
    params,
    {
      optimizer: opt,
      data: data as never,
      epochs: 3,
      replay,
      schedule: o.schedule ? schedules.cosine({ lr: 0.05, steps: 12 }) : undefined,
      onStep: (s) => {
        if (s.iteration % 4 !== 0) memoryAtFullSteps.push(memory().bytesInUse);
        return undefined;
      },
      onEpoch: (e) => {
        epochLosses.push(e.loss);
        memoryAtEpochEnd.push(memory().bytesInUse);
        return undefined;
      },
    },
  );
  const out = { r, calls, epochLosses, memoryAtEpochEnd, memoryAtFullSteps, values: params.map((p) => p.value.data()) };
  opt.zeroGrad();
  opt.dispose();
  for (const p of params) p.value.dispose();
  x.dispose();
  labels.dispose();
  return out;
}

describe('minimize({ data, replay: true })', () => {
  const sgd = (params: Variable[]) => new SGD(params, { lr: 0.1, momentum: 0.9 });
  const adam = (params: Variable[]) => new Adam(params, { lr: 0.02 });

  it('gives the eager minibatch run bit for bit (SGD momentum, Adam, a schedule, a last batch of another size)', () => {
    for (const [makeOpt, schedule] of [
      [sgd, false],
      [adam, false],
      [adam, true],
    ] as const) {
      const eager = minibatchRun(false, makeOpt, { schedule });
      const replayed = minibatchRun(true, makeOpt, { schedule });
      expect(eager.r.iterations).toBe(12);
      expect(replayed.r.reason).toBe('epochs');
      expect(replayed.r.iterations).toBe(eager.r.iterations);
      // the objective ran once per step eagerly; replayed, once to be recorded and once per last batch
      expect(eager.calls).toBe(12);
      expect(replayed.calls).toBe(1 + 3);
      expect(replayed.r.history).toEqual(eager.r.history);
      expect(replayed.epochLosses).toEqual(eager.epochLosses);
      for (let i = 0; i < 3; i++) expect(bits(replayed.values[i]!).equals(bits(eager.values[i]!))).toBe(true);
      // and it learns: the last epoch's mean loss is below the first's
      expect(replayed.epochLosses[2]!).toBeLessThan(replayed.epochLosses[0]!);
    }
  });

  it('takes batches that are records of tensors', () => {
    const eager = minibatchRun(false, adam, { record: true });
    const replayed = minibatchRun(true, adam, { record: true });
    const arrays = minibatchRun(true, adam);
    expect(replayed.calls).toBe(4);
    expect(replayed.r.history).toEqual(eager.r.history);
    for (let i = 0; i < 3; i++) expect(bits(replayed.values[i]!).equals(bits(eager.values[i]!))).toBe(true);
    expect(replayed.r.history).toEqual(arrays.r.history);
  });

  it('keeps memory in use flat: the same at every replayed step and at the end of every epoch', () => {
    const start = memory();
    const run = minibatchRun(true, sgd);
    // steps 1–3 of each epoch are full batches (step 1 is the recording, whose graph is gone by then)
    expect(run.memoryAtFullSteps).toHaveLength(9);
    expect(new Set(run.memoryAtFullSteps).size).toBe(1);
    expect(new Set(run.memoryAtEpochEnd).size).toBe(1);
    expect(memory().bytesInUse).toBe(start.bytesInUse);
    expect(memory().tensors).toBe(start.tensors);
  });

  it('frees the copies of the batch when the objective cannot be recorded', () => {
    const a = variable([1, 2]);
    const data = [[tensor([1, 2])], [tensor([3, 4])]];
    const before = memory();
    expect(() =>
      minimize(([x]: Tensor[]) => (x!.sum().item() > 0 ? a.mul(x!).sum() : a.sum()), [a], { replay: true, data, lr: 0.1 }),
    ).toThrow(StateError);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    for (const [x] of data) x!.dispose();
    a.zeroGrad();
    a.value.dispose();
  });
});

describe('a recorded step in a loop of one’s own', () => {
  it('gives the eager loop bit for bit whether or not zeroGrad() runs between replays, with memory flat', () => {
    // PyTorch's habit: zero the gradients before every step. A replay writes the gradients again,
    // so the parameters get them back and the optimizer does not skip them
    const run = (mode: 'eager' | 'replay' | 'replay, zeroGrad each step') =>
      scope(() => {
        manualSeed(4);
        const x = randn([16, 3]);
        const y = randn([16, 1]);
        const w = variable(randn([3, 1]));
        const b = variable([0]);
        const opt = new SGD([w, b], { lr: 0.1, momentum: 0.5 });
        const objective = () =>
          asVariable(x)
            .matmul(w)
            .add(b)
            .squaredError(y, 1 / 16);
        const losses: number[] = [];
        const inUse: number[] = [];
        if (mode === 'eager') {
          for (let i = 0; i < 6; i++) {
            opt.zeroGrad();
            const loss = scope(() => {
              const l = objective();
              l.backward();
              return l.value.item();
            });
            opt.step();
            losses.push(loss);
          }
        } else {
          opt.zeroGrad();
          const step = record(() => {
            const l = objective();
            l.backward();
            return l.value;
          });
          opt.step();
          losses.push(step.result.item());
          for (let i = 1; i < 6; i++) {
            if (mode !== 'replay') opt.zeroGrad();
            step.replay();
            expect(w.grad, `${mode}: step ${i}`).not.toBeNull();
            opt.step();
            losses.push(step.result.item());
            inUse.push(memory().bytesInUse);
          }
          step.dispose();
          // the gradient outlives the recording
          expect(w.grad!.data().length).toBe(3);
        }
        const out = { losses, w: Array.from(w.value.data()), inUse };
        opt.zeroGrad();
        opt.dispose();
        return out;
      });
    const eager = run('eager');
    for (const mode of ['replay', 'replay, zeroGrad each step'] as const) {
      const r = run(mode);
      expect(r.losses, mode).toEqual(eager.losses);
      expect(r.w, mode).toEqual(eager.w);
      expect(new Set(r.inUse).size, `${mode}: bytes in use ${r.inUse}`).toBe(1);
    }
    expect(eager.losses[5]).toBeLessThan(eager.losses[0]!);
  });
});

describe('record() and the gradients it finds', () => {
  it('refuses a backward that would add to a gradient from before the recording, saying to zero it, leaving it as it was', () => {
    const w = variable([1, 2]);
    w.square().sum().backward(); // grad 2w = [2, 4]
    const before = memory();
    const e = (() => {
      try {
        record(() => {
          const l = w.mul(3).sum();
          l.backward();
          return l.value;
        });
      } catch (err) {
        return err as Error;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(StateError);
    expect(e!.message).toMatch(
      /record: backward\(\) added to a gradient \[2\] float32 that was there before record\(\) began; .*zeroGrad\(\).* before record\(\)/,
    );
    expect(Array.from(w.grad!.data())).toEqual([2, 4]);
    expect(memory().bytesInUse).toBe(before.bytesInUse);
    expect(memory().tensors).toBe(before.tensors);
    w.zeroGrad();
    w.value.dispose();
  });

  it('two backward passes in one recording (two micro-batches) hand back their sum on every replay, with or without zeroGrad()', () => {
    const x1 = tensor([1, 2]);
    const x2 = tensor([3, -1]);
    const w = variable([0.5, -0.5]);
    // loss_k = Σ x_k·w²: ∂/∂w = 2·x_k·w, summed over both batches = 2·(x1 + x2)·w
    const expected = () => Array.from(w.value.data()).map((v, i) => 2 * ([1, 2][i]! + [3, -1][i]!) * v);
    const step = record(() => {
      for (const x of [x1, x2]) w.square().mul(x).sum().backward();
      return w.value;
    });
    expect(Array.from(w.grad!.data())).toEqual(expected());
    for (const zero of [false, true, true]) {
      if (zero) w.zeroGrad();
      step.replay();
      expect(w.grad, `zeroGrad: ${zero}`).not.toBeNull();
      expect(Array.from(w.grad!.data()), `zeroGrad: ${zero}`).toEqual(expected());
    }
    step.dispose();
    w.zeroGrad();
    for (const t of [x1, x2, w.value]) t.dispose();
  });
});
