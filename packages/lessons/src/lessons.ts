// The tutorial's lessons as functions that compute and return their results with gd itself.
// The terminal main job presents what these return; the web demo reuses the line data, the line
// fit and the accuracy count, and computes its interactive lessons in its own modules.
import { gradcheck, type Variable, variable } from '@gd/autograd';
import { crossEntropy, entropy, informationContent, mse } from '@gd/losses';
import { Linear, mlp, Sequential, Sigmoid } from '@gd/nn';
import type { MinimizeResult, OptimizerName, StopReason } from '@gd/optim';
import { batches, createOptimizer, minimize, schedules } from '@gd/optim';
import { argmax, eq, keep, manualSeed, noGradScope, randn, scope, type Tensor, tensor } from './gd.js';

// ── §1.2 information and entropy ──────────────────────────────────────────
export interface DistributionReport {
  name: string;
  p: number[];
  /** Information content of each outcome, in bits. */
  bits: number[];
  entropy: number;
  /** log2 N: the uniform distribution's entropy, the maximum. */
  maximum: number;
}

export function informationLesson(): DistributionReport[] {
  const report = (name: string, p: number[]): DistributionReport => ({
    name,
    p,
    bits: informationContent(p, { base: 2 }),
    entropy: entropy(p, { base: 2 }),
    maximum: Math.log2(p.length),
  });
  return [
    report('peaked', [0.05, 0.05, 0.8, 0.05, 0.05]),
    report('flat', [0.2, 0.2, 0.2, 0.2, 0.2]),
    report('fair coin', [0.5, 0.5]),
    report(
      'fair die',
      [1, 1, 1, 1, 1, 1].map((x) => x / 6),
    ),
  ];
}

// ── §2.3 a line fit y = a·x + b by gradient descent on MSE ───────────────
export interface LineData {
  x: number[];
  y: number[];
  /** The least-squares solution, for reference. */
  exact: { a: number; b: number };
}

/** n points on y = 2x + 1 with Gaussian noise (σ = 0.3), x uniform in [−1, 1], seeded. */
export function lineData(seed: number, n = 100): LineData {
  manualSeed(seed);
  const [x, y] = scope(() => {
    const xs = randn([n]).clamp(-2, 2).mul(0.5);
    const noise = randn([n]).mul(0.3);
    const ys = xs.mul(2).add(1).add(noise);
    return [Array.from(xs.data()), Array.from(ys.data())];
  });
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  });
  const a = sxy / sxx;
  return { x, y, exact: { a, b: my - a * mx } };
}

export interface FitResult {
  criterion: string;
  /** The dtype the fit ran in. */
  dtype: 'float32' | 'float64';
  reason: StopReason;
  iterations: number;
  a: number;
  b: number;
  loss: number;
  /** Loss per step. */
  losses: number[];
  /** loss_{t−1} − loss_t at the last step: what the loss-tolerance criterion saw. */
  lastChange: number;
  /** (a, b) per step, for drawing the descent path. */
  path: Array<[number, number]>;
}

export interface FitOptions {
  lr: number;
  start?: [number, number];
  lossTolerance?: number;
  gradTolerance?: number;
  maxIterations?: number;
  batchSize?: number;
  epochs?: number;
  seed?: number;
  /** 'gd' (the default): minimize's plain gradient descent; or an optimizer of @gd/optim's registry. */
  optimizer?: 'gd' | OptimizerName;
  /** The dtype of the data and parameters. Default float32. */
  dtype?: 'float32' | 'float64';
}

/**
 * Fits y = a·x + b on MSE (docs/tutorial.md §2.3: ∂f/∂a = Σ 2(ŷ − y)·x, ∂f/∂b = Σ 2(ŷ − y),
 * the erratum's missing x and Σ restored — autograd computes exactly these). Full-batch GD, or
 * minibatch SGD (§2.4) when batchSize is given.
 */
export function fitLine(data: LineData, criterion: string, o: FitOptions): FitResult {
  const dtype = o.dtype ?? 'float32';
  const a = variable(tensor([o.start?.[0] ?? 0], { dtype }));
  const b = variable(tensor([o.start?.[1] ?? 0], { dtype }));
  const path: Array<[number, number]> = [[a.item(), b.item()]];
  const X = keep(tensor(data.x, { dtype }));
  const Y = keep(tensor(data.y, { dtype }));
  const optimizer = o.optimizer === undefined || o.optimizer === 'gd' ? undefined : createOptimizer(o.optimizer, [a, b], { lr: o.lr });
  try {
    const onStep = () => {
      path.push([a.item(), b.item()]);
      return undefined;
    };
    let r: MinimizeResult;
    if (o.batchSize) {
      const data_ = batches([X, Y], { batchSize: o.batchSize, seed: o.seed ?? 0 });
      r = minimize(([x, y]: Tensor[]) => mse(a.mul(x!).add(b), y!), [a, b], {
        lr: o.lr,
        optimizer,
        data: data_,
        epochs: o.epochs ?? 10,
        maxIterations: o.maxIterations,
        onStep,
      });
    } else {
      r = minimize(() => mse(a.mul(X).add(b), Y), [a, b], {
        lr: o.lr,
        optimizer,
        lossTolerance: o.lossTolerance,
        gradTolerance: o.gradTolerance,
        maxIterations: o.maxIterations ?? 100_000,
        onStep,
      });
    }
    const losses = r.history.map((h) => h.loss);
    return {
      criterion,
      dtype,
      reason: r.reason,
      iterations: r.iterations,
      a: a.item(),
      b: b.item(),
      loss: r.loss,
      losses,
      lastChange: losses.length >= 2 ? losses.at(-2)! - losses.at(-1)! : Number.NaN,
      path,
    };
  } finally {
    optimizer?.dispose();
    for (const t of [X, Y, a.value, b.value]) t.dispose();
    a.zeroGrad();
    b.zeroGrad();
  }
}

/**
 * The three convergence criteria of docs/tutorial.md §2.2, one run each, plus a too-large η; and
 * the loss-tolerance criterion once more in float64, next to its float32 run (`precision`).
 */
export function gradientDescentLesson(seed: number): {
  data: LineData;
  runs: FitResult[];
  precision: { float32: FitResult; float64: FitResult };
} {
  const data = lineData(seed);
  const runs = [
    fitLine(data, 'loss change < 1e-10', { lr: 0.1, lossTolerance: 1e-10 }),
    fitLine(data, '‖∇‖₂ < 1e-4', { lr: 0.1, gradTolerance: 1e-4 }),
    fitLine(data, '30 iterations', { lr: 0.1, maxIterations: 30 }),
    fitLine(data, 'η = 2.5 (too large)', { lr: 2.5, maxIterations: 10_000 }),
  ];
  const float64 = fitLine(data, 'loss change < 1e-10', { lr: 0.1, lossTolerance: 1e-10, dtype: 'float64' });
  return { data, runs, precision: { float32: runs[0]!, float64 } };
}

/** GD against minibatch SGD on the same line, the same number of epochs (docs/tutorial.md §2.4). */
export function sgdLesson(seed: number): { gd: FitResult; sgd: FitResult } {
  const data = lineData(seed);
  return {
    gd: fitLine(data, 'full batch', { lr: 0.1, maxIterations: 40 }),
    sgd: fitLine(data, 'batch 10', { lr: 0.1, batchSize: 10, epochs: 4, seed }),
  };
}

// ── §2.5 backpropagation through a small network ──────────────────────────
export interface LayerReport {
  name: string;
  shape: readonly number[];
  value: number[];
  grad: number[] | null;
}

/** A gradient check's verdict: the dtype it ran in, and its largest relative error. */
export interface GradcheckReport {
  ok: boolean;
  maxRelError: number;
  dtype: 'float32' | 'float64';
}

/**
 * Backpropagation through a 2-3-1 sigmoid network; the gradients are checked against central
 * differences in float64 (`gradcheck`, relative errors near 1e-7 for this network, see below)
 * and, for contrast, in float32 (`gradcheckFloat32`, where the finite differences themselves are
 * only good to ~1e-2).
 */
export function backpropLesson(seed: number): {
  layers: LayerReport[];
  loss: number;
  gradcheck: GradcheckReport;
  gradcheckFloat32: GradcheckReport;
} {
  manualSeed(seed);
  const net = new Sequential(new Linear(2, 3), new Sigmoid(), new Linear(3, 1), new Sigmoid());
  try {
    return scope(() => {
      const x = tensor([[0.5, -1.0]]);
      const target = tensor([[1]]);
      const acts: Array<[string, Variable]> = [];
      let h: Variable = variable(x, { requiresGrad: false });
      acts.push(['input x', h]);
      net.children().forEach((m, i) => {
        h = m.forward(h).retainGrad();
        acts.push([`${i}: ${m.constructor.name}`, h]);
      });
      const loss = mse(h, target);
      loss.backward();
      const layers: LayerReport[] = acts.map(([name, v]) => ({
        name,
        shape: v.shape,
        value: Array.from(v.value.data()),
        grad: v.grad ? Array.from(v.grad.data()) : null,
      }));
      for (const [name, p] of net.namedParameters())
        layers.push({ name: `∂L/∂${name}`, shape: p.shape, value: Array.from(p.value.data()), grad: Array.from(p.grad!.data()) });
      for (const [, v] of acts) v.zeroGrad();
      const params = net.parameters();
      // Why float64 shows ~6e-8 here and not 1e-9: with PyTorch's ε = 1e-6 the error of a
      // central difference is the rounding of the loss (≈ 0.41 for seed 42; a few of its last
      // bits, ~1e-16, from the forward's roundings) divided by 2ε, ~3e-11 absolute in every
      // derivative. The smallest gradient component of this network (∂L/∂w for the third hidden
      // unit, ~5e-4) turns that into ~6e-8 relative, and the max over components reports it. A
      // plain-JS float64 evaluation of the same network at the same ε does no better (its error
      // is ~1e-7; lessons.test.ts computes it), so the number is the method's, not gd's: a larger
      // ε (1e-5, where truncation ε² and rounding 1/ε balance) brings plain JS to ~3e-9.
      const check = (dtype: 'float32' | 'float64'): GradcheckReport => {
        const r = gradcheck(
          (w0, b0, w1, b1) =>
            mse(
              variable(x, { requiresGrad: false })
                .matmul(w0!, { transposeB: true })
                .add(b0!)
                .sigmoid()
                .matmul(w1!, { transposeB: true })
                .add(b1!)
                .sigmoid(),
              target,
            ),
          params.map((p) => p.value),
          { dtype },
        );
        return { ok: r.ok, maxRelError: r.maxRelError, dtype: r.dtype };
      };
      return { layers, loss: loss.item(), gradcheck: check('float64'), gradcheckFloat32: check('float32') };
    });
  } finally {
    net.dispose();
  }
}

// ── real digits ───────────────────────────────────────────────────────────
export interface DigitData {
  xTrain: Tensor;
  yTrain: Tensor;
  xTest: Tensor;
  yTest: Tensor;
}

export interface DigitsOptions {
  seed: number;
  epochs: number;
  hidden?: number[];
  batchSize?: number;
  lr?: number;
  onEpoch?: (e: { epoch: number; loss: number; accuracy?: number }) => void;
  onStep?: (step: number, total: number) => void;
  /** The optimizer of @gd/optim's registry (default 'adam'). */
  optimizer?: OptimizerName;
}

/**
 * Share of rows whose argmax matches the label, evaluated in batches without a graph; `input`
 * reshapes each batch of rows into what the model takes (the CNN's images).
 */
export function accuracy(
  model: { forward(x: Tensor): Variable },
  x: Tensor,
  y: Tensor,
  batch = 500,
  input: (rows: Tensor) => Tensor = (rows) => rows,
): number {
  let correct = 0;
  const n = x.shape[0]!;
  for (let i = 0; i < n; i += batch) {
    correct += noGradScope(() => {
      const xb = x.slice([i, 0], [Math.min(batch, n - i), -1]);
      const yb = y.slice([i], [Math.min(batch, n - i)]);
      return eq(argmax(model.forward(input(xb)).value, 1), yb)
        .sum()
        .item();
    });
  }
  return correct / n;
}

/**
 * The loop both digit models train with: Adam (or `optimizer`) whose rate follows a cosine schedule from `lr`,
 * over seeded minibatches of the training rows, softmax cross-entropy on the model's logits.
 * `input` turns a batch of rows into what the model takes. The step is recorded on the first
 * batch and replayed on the others (minimize's `replay`), so `model` and `input` must do the
 * same work on every batch and read no tensor values (a StateError otherwise; BatchNorm in
 * training mode reads its step count). Leaves the model in eval mode.
 */
export function fitDigits(
  model: { forward(x: Tensor): Variable; parameters(): Variable[]; eval(): unknown },
  data: DigitData,
  o: { seed: number; epochs: number; batchSize: number; lr: number } & Pick<DigitsOptions, 'onStep' | 'onEpoch' | 'optimizer'>,
  input: (rows: Tensor) => Tensor = (rows) => rows,
) {
  const total = Math.ceil(data.xTrain.shape[0]! / o.batchSize) * o.epochs;
  const opt = createOptimizer(o.optimizer ?? 'adam', model, { lr: o.lr });
  const result = minimize(([x, y]: Tensor[]) => crossEntropy(model.forward(input(x!)), y!), model, {
    optimizer: opt,
    data: batches([data.xTrain, data.yTrain], { batchSize: o.batchSize, seed: o.seed }),
    epochs: o.epochs,
    schedule: schedules.cosine({ lr: o.lr, steps: total }),
    history: false,
    // the step is recorded once and replayed on each batch: the same numbers as rebuilding it
    replay: true,
    onStep: (s) => {
      o.onStep?.(s.iteration, total);
      return undefined;
    },
    onEpoch: (e) => {
      o.onEpoch?.({ epoch: e.epoch, loss: e.loss });
      return undefined;
    },
  });
  opt.dispose();
  model.eval();
  return result;
}

/** Trains an MLP on the digits with Adam (or `optimizer`) and a cosine schedule; returns the model and accuracy. */
export function trainDigits(data: DigitData, o: DigitsOptions) {
  manualSeed(o.seed);
  const sizes = [784, ...(o.hidden ?? [256, 128]), 10];
  const model = mlp(sizes, { activation: 'relu' });
  const result = fitDigits(model, data, { ...o, batchSize: o.batchSize ?? 64, lr: o.lr ?? 2e-3 });
  return {
    model,
    sizes,
    result,
    testAccuracy: accuracy(model, data.xTest, data.yTest),
    trainAccuracy: accuracy(model, data.xTrain, data.yTrain),
  };
}
