// Training off the page's thread: the playground's 2-D classifiers and the digit model.

import { asVariable, noGrad, type Variable, type VariableLike } from '@gd/autograd';
import { accuracy, cnnAccuracy, trainDigitsCnn } from '@gd/lessons';
import { crossEntropy, mse } from '@gd/losses';
import { type Conv2d, Linear, Module, mlp, Sequential } from '@gd/nn';
import { Adam, batches, createOptimizer, minimize, type Optimizer, type OptimizerName } from '@gd/optim';
import {
  argmax,
  axpyInPlace,
  eq,
  gather,
  keep,
  kernelsInfo,
  manualSeed,
  memory,
  rand,
  randn,
  randperm,
  ready,
  scope,
  type Tensor,
  tensor,
} from '@gd/tensor';

/** What the playground trains: the data, the inputs, the network and how it learns. */
export interface PlaygroundConfig {
  dataset: 'circle' | 'xor' | 'gauss' | 'spiral' | 'reg-plane' | 'reg-gauss';
  /** percent */
  noise: number;
  /** percent of the points used for training; the rest measure the test loss */
  trainRatio: number;
  batchSize: number;
  features: string[];
  hidden: number[];
  activation: 'relu' | 'tanh' | 'sigmoid' | 'linear';
  /** The optimizer's name in @gd/optim's registry (the Playground offers these three). */
  optimizer: Extract<OptimizerName, 'sgd' | 'momentum' | 'adam'>;
  lr: number;
  regularization: 'none' | 'l1' | 'l2';
  regRate: number;
  seed: number;
}

/**
 * What the worker says once its kernels have started: the threads it trains on (every core where
 * the page is cross-origin isolated, else one) and why it has only one.
 */
export interface ThreadsReport {
  lesson: 'system';
  type: 'threads';
  threads: number;
  crossOriginIsolated: boolean;
  simd: string;
}

/** Every request names the lesson that sent it; every reply, errors included, goes back to it. */
export type Request =
  | { lesson: 'playground'; type: 'pg-setup'; cfg: PlaygroundConfig }
  | { lesson: 'playground'; type: 'pg-play' | 'pg-pause' | 'pg-step' }
  | { lesson: 'playground'; type: 'pg-set-weight'; layer: number; index: number; value: number }
  | { lesson: 'digits'; type: 'digits-train'; url: string; epochs: number; seed: number; model: DigitModelKind }
  | { lesson: 'digits'; type: 'digits-predict'; pixels: Float32Array }
  | { lesson: 'digits'; type: 'digits-onnx' };

/** The two digit models: a 784-128-10 MLP, or LeNet-5 reading 28×28 images. */
export type DigitModelKind = 'mlp' | 'cnn';

/** A lesson's name, carried by every request and reply. */
export type Lesson = Request['lesson'];

const post = (lesson: Lesson, m: Record<string, unknown>, transfer: Transferable[] = []) => postMessage({ lesson, ...m }, { transfer });

/** The input features a learner can switch on, as functions of the point (x1, x2). */
export const FEATURES: Record<string, (a: number, b: number) => number> = {
  x1: (a) => a,
  x2: (_, b) => b,
  'x1²': (a) => a * a,
  'x2²': (_, b) => b * b,
  x1·x2: (a, b) => a * b,
  'sin x1': (a) => Math.sin(Math.PI * a),
  'sin x2': (_, b) => Math.sin(Math.PI * b),
};

/** The playground stops at this many epochs, and says so. */
export const MAX_EPOCHS = 5000;

const N_POINTS = 400;
const GRID = 40;
const NEURON_GRID = 20;

/** True for the datasets whose targets are numbers rather than two classes. */
export const isRegression = (d: PlaygroundConfig['dataset']) => d.startsWith('reg-');

/** n points in [−1, 1]² with labels (0/1) or targets in [−1, 1], from gd's seeded generator. */
export function dataset(kind: PlaygroundConfig['dataset'], n: number, noise: number, seed: number): { x: Float32Array; y: Float32Array } {
  manualSeed(seed);
  return scope(() => {
    const u = rand([n, 2]).data();
    const g = randn([n, 2]).data();
    const x = new Float32Array(2 * n);
    const y = new Float32Array(n);
    const s = noise / 100;
    for (let i = 0; i < n; i++) {
      const c = i % 2;
      const a = u[2 * i]!;
      const b = u[2 * i + 1]!;
      const ga = g[2 * i]!;
      const gb = g[2 * i + 1]!;
      let px: number;
      let py: number;
      let label = c;
      if (kind === 'circle') {
        const r = c === 1 ? 0.45 * Math.sqrt(b) : 0.7 + 0.25 * b;
        px = r * Math.cos(2 * Math.PI * a) + 0.3 * s * ga;
        py = r * Math.sin(2 * Math.PI * a) + 0.3 * s * gb;
      } else if (kind === 'xor') {
        px = a * 2 - 1;
        py = b * 2 - 1;
        label = px * py > 0 ? 1 : 0;
        px += 0.3 * s * ga;
        py += 0.3 * s * gb;
      } else if (kind === 'spiral') {
        const t = 0.08 + 0.9 * a;
        const angle = 3 * Math.PI * t + c * Math.PI;
        px = t * Math.cos(angle) + 0.15 * s * ga;
        py = t * Math.sin(angle) + 0.15 * s * gb;
      } else if (kind === 'gauss') {
        px = (c === 1 ? 0.45 : -0.45) + (0.15 + 0.3 * s) * ga;
        py = (c === 1 ? 0.45 : -0.45) + (0.15 + 0.3 * s) * gb;
      } else {
        px = a * 2 - 1;
        py = b * 2 - 1;
        // a tilted plane, or two bumps of opposite sign
        const clean =
          kind === 'reg-plane'
            ? (px + py) / 2
            : Math.exp(-((px - 0.4) ** 2 + (py - 0.4) ** 2) / 0.18) - Math.exp(-((px + 0.4) ** 2 + (py + 0.4) ** 2) / 0.18);
        label = clean + 0.5 * s * ga;
      }
      x[2 * i] = px;
      x[2 * i + 1] = py;
      y[i] = label;
    }
    return { x, y };
  });
}

/** The chosen features of each point, as rows of a [n, features] matrix. */
function featuresOf(points: Float32Array, names: string[]): Float32Array {
  const n = points.length / 2;
  const out = new Float32Array(n * names.length);
  for (let i = 0; i < n; i++) {
    names.forEach((f, j) => {
      out[i * names.length + j] = FEATURES[f]!(points[2 * i]!, points[2 * i + 1]!);
    });
  }
  return out;
}

function grid(size: number): Float32Array {
  const g = new Float32Array(size * size * 2);
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      g[2 * (r * size + c)] = -1.2 + (2.4 * (c + 0.5)) / size;
      g[2 * (r * size + c) + 1] = -1.2 + (2.4 * (r + 0.5)) / size;
    }
  }
  return g;
}

/** The linear activation, a(x) = x: a hidden layer that is only a weighted sum. */
class Identity extends Module {
  forward(x: VariableLike): Variable {
    return asVariable(x);
  }
}

/** mlp() with the playground's activations, the linear one included (the same layers, seeded alike). */
function network(sizes: number[], activation: PlaygroundConfig['activation']): Sequential {
  if (activation !== 'linear') return mlp(sizes, { activation });
  const layers: Module[] = [];
  for (let i = 0; i + 1 < sizes.length; i++) {
    layers.push(new Linear(sizes[i]!, sizes[i + 1]!));
    if (i + 2 < sizes.length) layers.push(new Identity());
  }
  return new Sequential(...layers);
}

interface Session {
  cfg: PlaygroundConfig;
  points: Float32Array;
  targets: Float32Array;
  nTrain: number;
  model: Sequential;
  opt: Optimizer;
  tensors: Tensor[];
  epoch: number;
  trainLoss: number[];
  testLoss: number[];
  running: boolean;
}
let pg: Session | undefined;

function optimizerFor(model: Sequential, kind: PlaygroundConfig['optimizer'], lr: number): Optimizer {
  return createOptimizer(kind, model, { lr });
}

function closeSession(): void {
  if (!pg) return;
  pg.running = false;
  pg.opt.dispose();
  pg.model.dispose();
  for (const t of pg.tensors) t.dispose();
  pg = undefined;
}

function lossOf(s: Session, X: Tensor | Variable, Y: Tensor): Variable {
  const out = s.model.forward(X);
  return isRegression(s.cfg.dataset) ? mse(out.reshape([-1]), Y) : crossEntropy(out, Y);
}

function setup(cfg: PlaygroundConfig): void {
  closeSession();
  const { x, y } = dataset(cfg.dataset, N_POINTS, cfg.noise, cfg.seed);
  const nTrain = Math.max(1, Math.min(N_POINTS - 1, Math.round((N_POINTS * cfg.trainRatio) / 100)));
  manualSeed(cfg.seed + 1);
  const model = network([cfg.features.length, ...cfg.hidden, isRegression(cfg.dataset) ? 1 : 2], cfg.activation);
  const f = featuresOf(x, cfg.features);
  const nf = cfg.features.length;
  const reg = isRegression(cfg.dataset);
  const target = (a: number, b: number) => (reg ? tensor(y.slice(a, b)) : tensor(Int32Array.from(y.slice(a, b))));
  const tensors = keep([
    tensor(f.slice(0, nTrain * nf), { shape: [nTrain, nf] }),
    target(0, nTrain),
    tensor(f.slice(nTrain * nf), { shape: [N_POINTS - nTrain, nf] }),
    target(nTrain, N_POINTS),
    tensor(featuresOf(grid(GRID), cfg.features), { shape: [GRID * GRID, nf] }),
    tensor(featuresOf(grid(NEURON_GRID), cfg.features), { shape: [NEURON_GRID * NEURON_GRID, nf] }),
  ]);
  pg = {
    cfg,
    points: x,
    targets: y,
    nTrain,
    model,
    opt: optimizerFor(model, cfg.optimizer, cfg.lr),
    tensors,
    epoch: 0,
    trainLoss: [],
    testLoss: [],
    running: false,
  };
  measure(pg);
  report(pg);
}

function measure(s: Session): void {
  const [Xtr, Ytr, Xte, Yte] = s.tensors;
  noGrad(() =>
    scope(() => {
      s.trainLoss.push(lossOf(s, Xtr!, Ytr!).item());
      s.testLoss.push(lossOf(s, Xte!, Yte!).item());
    }),
  );
}

function epoch(s: Session): void {
  const [Xtr, Ytr] = s.tensors;
  const linears = s.model.layers.filter((m): m is Linear => m instanceof Linear);
  for (const [bx, by] of batches([Xtr!, Ytr!], { batchSize: s.cfg.batchSize, seed: s.cfg.seed }).epoch(s.epoch)) {
    // the batch's gathered rows are made outside the step's scope: free them here
    scope(() => {
      s.opt.zeroGrad();
      let loss = lossOf(s, bx!, by!);
      if (s.cfg.regularization !== 'none' && s.cfg.regRate > 0) {
        for (const l of linears) {
          const w = s.cfg.regularization === 'l1' ? l.weight.abs().sum() : l.weight.square().sum();
          loss = loss.add(w.mul(s.cfg.regRate));
        }
      }
      loss.backward();
      s.opt.step();
    });
    bx!.dispose();
    by!.dispose();
  }
  s.epoch++;
  measure(s);
}

/** The network's picture: the output over the plane, what every hidden unit computes, and the weights. */
function report(s: Session): void {
  const G = s.tensors[4]!;
  const NG = s.tensors[5]!;
  const reg = isRegression(s.cfg.dataset);
  const { output, neurons, accuracy } = noGrad(() =>
    scope(() => {
      const out = s.model.forward(G).value;
      const output = (reg ? out.reshape([-1]) : out.softmax(1).slice([0, 1], [-1, 1]).reshape([-1])).data() as Float32Array;
      // each hidden layer's activations over the small grid, one map per unit
      const neurons: Float32Array[][] = [];
      let h: Variable | Tensor = NG;
      const layers = s.model.layers;
      for (let i = 0; i < layers.length; i++) {
        h = layers[i]!.forward(h);
        if (!(layers[i] instanceof Linear) && i < layers.length - 1) {
          const v = (h as Variable).value;
          const [, units] = v.shape as [number, number];
          const d = v.data() as Float32Array;
          neurons.push(
            Array.from({ length: units }, (_, u) => Float32Array.from({ length: NEURON_GRID * NEURON_GRID }, (_, k) => d[k * units + u]!)),
          );
        }
      }
      let accuracy = Number.NaN;
      if (!reg) {
        const [Xte, Yte] = [s.tensors[2]!, s.tensors[3]!];
        accuracy =
          eq(argmax(s.model.forward(Xte).value, 1), Yte)
            .sum()
            .item() / Yte.shape[0]!;
      }
      return { output: Float32Array.from(output), neurons, accuracy };
    }),
  );
  const weights = s.model.layers
    .filter((m): m is Linear => m instanceof Linear)
    .map((l) => ({ shape: l.weight.value.shape, w: Array.from(l.weight.value.data()) }));
  post('playground', {
    type: 'pg-state',
    epoch: s.epoch,
    trainLoss: s.trainLoss,
    testLoss: s.testLoss,
    accuracy,
    output,
    neurons,
    weights,
    points: s.points,
    targets: s.targets,
    nTrain: s.nTrain,
    running: s.running,
    cfg: s.cfg,
    // live tensors in the worker: flat from one epoch to the next when every step frees its temporaries
    tensors: memory().tensors,
  });
}

function play(s: Session): void {
  if (pg !== s || !s.running) return;
  const t0 = performance.now();
  // train for ~60 ms, show the picture, then let pause and new settings in
  do epoch(s);
  while (performance.now() - t0 < 60 && s.epoch < MAX_EPOCHS);
  if (!s.trainLoss.every(Number.isFinite) || s.epoch >= MAX_EPOCHS) s.running = false;
  report(s);
  if (s.running) setTimeout(() => play(s), 0);
}

/** Sets one weight (element `index` of the layer-th Linear's weight) to a value the learner typed. */
function setWeight(s: Session, layer: number, index: number, value: number): void {
  const l = s.model.layers.filter((m): m is Linear => m instanceof Linear)[layer];
  if (!l || !Number.isInteger(index) || index < 0 || index >= l.weight.value.size || !Number.isFinite(value)) {
    throw new Error(`pg-set-weight: no weight ${index} in layer ${layer}, or ${value} is not a finite number`);
  }
  scope(() => {
    const w = l.weight.value;
    const delta = new Float32Array(w.size);
    delta[index] = value - w.data()[index]!;
    axpyInPlace(w, tensor(delta, { shape: w.shape }), 1);
  });
  // the losses of this epoch are now those of the edited network
  s.trainLoss.pop();
  s.testLoss.pop();
  measure(s);
}

let digitModel: { kind: DigitModelKind; model: Sequential } | undefined;

async function trainDigits(url: string, epochs: number, seed: number, kind: DigitModelKind): Promise<void> {
  const bytes = new Uint8Array(await (await fetch(url)).arrayBuffer());
  const n = 10_000;
  const pixels = new Float32Array(n * 784);
  for (let i = 0; i < pixels.length; i++) pixels[i] = bytes[i]! / 255;
  const labels = Int32Array.from(bytes.subarray(n * 784, n * 784 + n));
  manualSeed(seed);
  // the same 8,000/2,000 split as the terminal tutorial
  const nTrain = 8000;
  const data = scope(() => {
    const x = tensor(pixels, { shape: [n, 784] });
    const yl = tensor(labels);
    const perm = randperm(n);
    const tr = perm.slice([0], [nTrain]);
    const te = perm.slice([8000], [2000]);
    return keep({ xTrain: gather(x, tr), yTrain: gather(yl, tr), xTest: gather(x, te), yTest: gather(yl, te) });
  });
  const { xTrain, yTrain, xTest, yTest } = data;
  digitModel?.model.dispose();
  digitModel = undefined;
  try {
    if (kind === 'cnn') {
      let lastStep = 0;
      const trained = trainDigitsCnn(data, {
        seed,
        epochs,
        onStep: (step, total) => {
          // a progress line every 10 steps keeps the page informed without flooding it
          if (step - lastStep >= 10 || step === total) {
            lastStep = step;
            post('digits', { type: 'digits-step', step, total });
          }
        },
        // held-out accuracy after every epoch, as for the MLP, so both curves show the same thing
        onEpoch: ({ epoch, loss }, model) =>
          post('digits', { type: 'digits-progress', epoch: epoch + 1, epochs, loss, accuracy: cnnAccuracy(model, xTest, yTest) }),
      });
      digitModel = { kind, model: trained.model };
      const conv = trained.model.layers[0] as Conv2d;
      const w = conv.weight.value;
      post('digits', {
        type: 'digits-done',
        model: kind,
        accuracy: trained.testAccuracy,
        filters: Float32Array.from(w.data() as Float32Array),
        filterShape: w.shape,
      });
      return;
    }
    const model = mlp([784, 128, 10], { activation: 'relu' });
    digitModel = { kind, model };
    const opt = new Adam(model, { lr: 2e-3 });
    minimize(([bx, by]: Tensor[]) => crossEntropy(model.forward(bx!), by!), model, {
      optimizer: opt,
      data: batches([xTrain, yTrain], { batchSize: 64, seed }),
      epochs,
      history: false,
      onEpoch: (e) => {
        post('digits', { type: 'digits-progress', epoch: e.epoch + 1, epochs, loss: e.loss, accuracy: accuracy(model, xTest, yTest) });
        return undefined;
      },
    });
    opt.dispose();
    model.eval();
    post('digits', { type: 'digits-done', model: kind, accuracy: accuracy(model, xTest, yTest) });
  } finally {
    for (const t of [xTrain, yTrain, xTest, yTest]) t.dispose();
  }
}

function predict(pixels: Float32Array): void {
  if (!digitModel) {
    // the page says this in its own words (the code names the message)
    post('digits', { type: 'error', code: 'untrained', message: 'Train the digit model first.' });
    return;
  }
  const { kind, model } = digitModel;
  const probs = noGrad(() =>
    scope(
      () =>
        model
          .forward(tensor(pixels, { shape: kind === 'cnn' ? [1, 1, 28, 28] : [1, 784] }))
          .value.softmax(1)
          .data() as Float32Array,
    ),
  );
  post('digits', { type: 'digits-prediction', probs, model: kind });
}

/** The trained digit model as ONNX bytes; the exporter (and its protobuf runtime) loads only when asked. */
async function exportOnnx(): Promise<void> {
  if (!digitModel) {
    post('digits', { type: 'digits-onnx-error', code: 'untrained', message: 'Train the digit model first.' });
    return;
  }
  const { kind, model } = digitModel;
  try {
    const { toOnnx } = await import('@gd/nn/onnx');
    const bytes = toOnnx(model, { inputShape: kind === 'cnn' ? [1, 1, 28, 28] : [1, 784], dynamicBatch: true });
    post('digits', { type: 'digits-onnx', bytes, name: `digits-${kind}.onnx` }, [bytes.buffer]);
  } catch (err) {
    // the exporter's own reason, as gd says it; the page puts its words around it
    post('digits', { type: 'digits-onnx-error', model: kind.toUpperCase(), reason: String((err as Error).message ?? err) });
  }
}

// every core the machine has, in Web Workers started from this one on the same shared memory; a
// page that is not cross-origin isolated has no shared memory, and ready() falls back to one
// thread. Started by the first request: the page imports this module too (for its helpers), and
// must not start threads of its own.
let started: Promise<void> | undefined;
function start(): Promise<void> {
  return ready({ threads: 'auto' }).then(() => {
    const k = kernelsInfo();
    const report: ThreadsReport = {
      lesson: 'system',
      type: 'threads',
      threads: k.threads,
      crossOriginIsolated: (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true,
      simd: k.simd,
    };
    postMessage(report);
  });
}

self.addEventListener('message', async (e: MessageEvent<Request>) => {
  const m = e.data;
  try {
    started ??= start();
    await started;
    if (m.type === 'pg-setup') setup(m.cfg);
    else if (m.type === 'pg-set-weight') {
      if (!pg) throw new Error('set up the playground first');
      setWeight(pg, m.layer, m.index, m.value);
      report(pg);
    } else if (m.type === 'pg-play' || m.type === 'pg-pause' || m.type === 'pg-step') {
      if (!pg) throw new Error('set up the playground first');
      const s = pg;
      if (m.type === 'pg-pause') s.running = false;
      else if (m.type === 'pg-step') {
        s.running = false;
        if (s.epoch < MAX_EPOCHS) epoch(s);
      } else if (!s.running && s.epoch < MAX_EPOCHS) {
        s.running = true;
        setTimeout(() => play(s), 0);
      }
      report(s);
    } else if (m.type === 'digits-train') await trainDigits(m.url, m.epochs, m.seed, m.model);
    else if (m.type === 'digits-predict') predict(m.pixels);
    else if (m.type === 'digits-onnx') await exportOnnx();
  } catch (err) {
    if (m.lesson === 'playground' && pg) pg.running = false;
    post(m.lesson, { type: 'error', message: String((err as Error).message ?? err) });
  }
});
