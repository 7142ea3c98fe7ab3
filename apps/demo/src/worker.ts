// Training off the page's thread: the playground's 2-D classifiers and the digit model.

import { noGrad } from '@gd/autograd';
import { accuracy } from '@gd/lessons';
import { crossEntropy } from '@gd/losses';
import { mlp, type Sequential } from '@gd/nn';
import { Adam, batches, minimize, type Optimizer, SGD } from '@gd/optim';
import { argmax, eq, gather, keep, manualSeed, rand, randn, randperm, ready, scope, type Tensor, tensor } from '@gd/tensor';

export interface PlaygroundConfig {
  dataset: 'circles' | 'xor' | 'spirals' | 'blobs';
  noise: number;
  hidden: number[];
  activation: 'relu' | 'tanh' | 'sigmoid';
  optimizer: 'sgd' | 'momentum' | 'adam';
  lr: number;
  batchSize: number;
  epochs: number;
  seed: number;
}

export type Request =
  | { type: 'pg-train'; cfg: PlaygroundConfig }
  | { type: 'digits-train'; url: string; epochs: number; seed: number }
  | { type: 'digits-predict'; pixels: Float32Array };

const GRID = 48;

/** n points of a 2-D two-class dataset in [−1, 1]², made with gd's seeded generator. */
export function dataset(kind: PlaygroundConfig['dataset'], n: number, noise: number, seed: number): { x: Float32Array; y: Int32Array } {
  manualSeed(seed);
  return scope(() => {
    const u = rand([n, 2]).data();
    const g = randn([n, 2]).data();
    const x = new Float32Array(2 * n);
    const y = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      const a = u[2 * i]!;
      const b = u[2 * i + 1]!;
      let px: number;
      let py: number;
      if (kind === 'circles') {
        const r = c === 0 ? 0.45 * Math.sqrt(b) : 0.7 + 0.3 * b;
        px = r * Math.cos(2 * Math.PI * a);
        py = r * Math.sin(2 * Math.PI * a);
      } else if (kind === 'xor') {
        px = a * 2 - 1;
        py = b * 2 - 1;
        y[i] = px * py > 0 ? 1 : 0;
      } else if (kind === 'spirals') {
        const t = 0.1 + 0.9 * a;
        const angle = 3.5 * Math.PI * t + c * Math.PI;
        px = t * Math.cos(angle);
        py = t * Math.sin(angle);
      } else {
        px = (c === 0 ? -0.45 : 0.45) + 0.28 * g[2 * i]!;
        py = (c === 0 ? -0.35 : 0.35) + 0.28 * g[2 * i + 1]!;
      }
      if (kind !== 'xor') y[i] = c;
      x[2 * i] = px + noise * 0.1 * g[2 * i]!;
      x[2 * i + 1] = py + noise * 0.1 * g[2 * i + 1]!;
    }
    return { x, y };
  });
}

function optimizerFor(model: Sequential, kind: PlaygroundConfig['optimizer'], lr: number): Optimizer {
  if (kind === 'adam') return new Adam(model, { lr });
  return new SGD(model, { lr, momentum: kind === 'momentum' ? 0.9 : 0 });
}

function trainPlayground(cfg: PlaygroundConfig): void {
  const n = 400;
  const { x, y } = dataset(cfg.dataset, n, cfg.noise, cfg.seed);
  manualSeed(cfg.seed);
  const model = mlp([2, ...cfg.hidden, 2], { activation: cfg.activation });
  const opt = optimizerFor(model, cfg.optimizer, cfg.lr);
  const X = keep(tensor(x, { shape: [n, 2] }));
  const Y = keep(tensor(y));
  const gridPoints = new Float32Array(GRID * GRID * 2);
  for (let r = 0; r < GRID; r++) {
    for (let c = 0; c < GRID; c++) {
      gridPoints[2 * (r * GRID + c)] = -1.3 + (2.6 * (c + 0.5)) / GRID;
      gridPoints[2 * (r * GRID + c) + 1] = -1.3 + (2.6 * (r + 0.5)) / GRID;
    }
  }
  const G = keep(tensor(gridPoints, { shape: [GRID * GRID, 2] }));
  const report = (epoch: number, loss: number) => {
    const { acc, grid } = noGrad(() =>
      scope(() => {
        const acc =
          eq(argmax(model.forward(X).value, 1), Y)
            .sum()
            .item() / n;
        const grid = model.forward(G).value.softmax(1).slice([0, 1], [-1, 1]).data() as Float32Array;
        return { acc, grid };
      }),
    );
    postMessage({ type: 'pg-progress', epoch, loss, accuracy: acc, grid, x, y });
  };
  report(0, Number.NaN);
  minimize(([bx, by]: Tensor[]) => crossEntropy(model.forward(bx!), by!), model, {
    optimizer: opt,
    data: batches([X, Y], { batchSize: cfg.batchSize, seed: cfg.seed }),
    epochs: cfg.epochs,
    history: false,
    onEpoch: (e) => {
      if ((e.epoch + 1) % Math.max(1, Math.floor(cfg.epochs / 25)) === 0 || e.epoch + 1 === cfg.epochs) report(e.epoch + 1, e.loss);
      return undefined;
    },
  });
  postMessage({ type: 'pg-done' });
  opt.dispose();
  model.dispose();
  for (const t of [X, Y, G]) t.dispose();
}

let digitModel: Sequential | undefined;

async function trainDigits(url: string, epochs: number, seed: number): Promise<void> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const n = 10_000;
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[i]! / 255;
  const labels = Int32Array.from(bytes.subarray(n * 784, n * 784 + n));
  manualSeed(seed);
  const { xTrain, yTrain, xTest, yTest } = scope(() => {
    const x = tensor(pixels, { shape: [n, 784] });
    const yl = tensor(labels);
    const perm = randperm(n);
    const tr = perm.slice([0], [8000]);
    const te = perm.slice([8000], [2000]);
    return keep({ xTrain: gather(x, tr), yTrain: gather(yl, tr), xTest: gather(x, te), yTest: gather(yl, te) });
  });
  digitModel?.dispose();
  const model = mlp([784, 128, 10], { activation: 'relu' });
  digitModel = model;
  const opt = new Adam(model, { lr: 2e-3 });
  minimize(([bx, by]: Tensor[]) => crossEntropy(model.forward(bx!), by!), model, {
    optimizer: opt,
    data: batches([xTrain, yTrain], { batchSize: 64, seed }),
    epochs,
    history: false,
    onEpoch: (e) => {
      postMessage({ type: 'digits-progress', epoch: e.epoch + 1, epochs, loss: e.loss, accuracy: accuracy(model, xTest, yTest) });
      return undefined;
    },
  });
  opt.dispose();
  model.eval();
  postMessage({ type: 'digits-done', accuracy: accuracy(model, xTest, yTest) });
  for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
}

function predict(pixels: Float32Array): void {
  if (!digitModel) {
    postMessage({ type: 'error', message: 'Train the digit model first.' });
    return;
  }
  const probs = noGrad(() =>
    scope(
      () =>
        digitModel!
          .forward(tensor(pixels, { shape: [1, 784] }))
          .value.softmax(1)
          .data() as Float32Array,
    ),
  );
  postMessage({ type: 'digits-prediction', probs });
}

self.addEventListener('message', async (e: MessageEvent<Request>) => {
  await ready();
  try {
    const m = e.data;
    if (m.type === 'pg-train') trainPlayground(m.cfg);
    else if (m.type === 'digits-train') await trainDigits(m.url, m.epochs, m.seed);
    else if (m.type === 'digits-predict') predict(m.pixels);
  } catch (err) {
    postMessage({ type: 'error', message: String((err as Error).message ?? err) });
  }
});
