// The LSTM training step on every peer: a sequence classifier of `layers` stacked LSTM layers
// (PyTorch's gate order i, f, g, o, σ gates), a linear head on the last step's hidden state,
// mean softmax cross-entropy and SGD. Every peer starts from the same weights (lstmValues) and
// sees the same batch (Keras's LSTM has one bias where PyTorch's has b_ih and b_hh, so after an
// SGD step TensorFlow.js's model differs from the others by that bias). gd runs nn.LSTM, its steps recorded once and replayed with record(), as
// the MLP and LeNet rows do; TensorFlow.js runs `tf.layers.lstm` (recurrentActivation 'sigmoid',
// so it computes the same function) trained by `tf.train.sgd`; jax-js builds the same model from
// its ops — an unrolled loop over time inside one `jit`.
import { LSTM as GdLSTM, Linear, Module } from '@gd/nn';
import { SGD } from '@gd/optim';
import { memory, tensor } from '@gd/tensor';
import { type Array as JaxArray, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs';
import type { Instance, PeerName, Workload } from './harness.js';
import { jaxTrainer, meanCrossEntropy, type ReadMode, uniformValues } from './jax.js';
import { bytesOverSteps, gdClassifierStep } from './peers.js';

/** The step's learning rate. */
export const LSTM_LR = 0.01;

/** The model's and the batch's sizes. */
export interface LstmShape {
  /** Stacked LSTM layers. */
  layers: number;
  /** Features per time step. */
  input: number;
  /** Hidden units per layer. */
  hidden: number;
  /** Time steps. */
  steps: number;
  /** Sequences per batch. */
  batch: number;
  /** Classes of the head. */
  classes: number;
}

/** The benchmarked row: 2 layers, hidden 256, sequence 32, batch 32 (64 input features, 10 classes). */
export const LSTM_ROW: LstmShape = { layers: 2, input: 64, hidden: 256, steps: 32, batch: 32, classes: 10 };

/** Parameters in PyTorch's layouts (weight_ih [4H, in], weight_hh [4H, H], the two biases, head [classes, H]), and a batch. */
export interface LstmValues {
  shape: LstmShape;
  wih: Float32Array[];
  whh: Float32Array[];
  bih: Float32Array[];
  bhh: Float32Array[];
  headW: Float32Array;
  headB: Float32Array;
  /** Inputs [steps, batch, input] (time first). */
  x: Float32Array;
  /** Labels [batch]. */
  y: Int32Array;
}

/** Seeded weights, uniform in ±1/√H (PyTorch's LSTM init), and a seeded batch. */
export function lstmValues(shape: LstmShape, seed = 1): LstmValues {
  const { layers, input, hidden: H, steps, batch, classes } = shape;
  const bound = 1 / Math.sqrt(H);
  const u = (size: number, k: number, b = bound) => uniformValues(size, b, seed * 100 + k);
  const range = Array.from({ length: layers }, (_, l) => l);
  return {
    shape,
    wih: range.map((l) => u(4 * H * (l === 0 ? input : H), 10 * l)),
    whh: range.map((l) => u(4 * H * H, 10 * l + 1)),
    bih: range.map((l) => u(4 * H, 10 * l + 2)),
    bhh: range.map((l) => u(4 * H, 10 * l + 3)),
    headW: u(classes * H, 90),
    headB: u(classes, 91),
    x: u(steps * batch * input, 92, 1),
    y: Int32Array.from({ length: batch }, (_, i) => (i * 7) % classes),
  };
}

/**
 * One training step per `run` (returns the loss, computed before the update; with jax-js in
 * 'async' mode, a promise of it).
 */
export function lstmStep(peer: PeerName, v: LstmValues, mode: ReadMode = 'sync'): Instance {
  if (peer === 'gd') return gdLstm(v);
  if (peer === 'jax-js') return jaxLstm(v, mode);
  return tfLstm(v);
}

/** nn.LSTM and a linear head on the last time step's output. */
class SequenceClassifier extends Module<[x: Parameters<GdLSTM['forward']>[0]], ReturnType<Linear['forward']>> {
  readonly lstm: GdLSTM;
  readonly head: Linear;
  constructor(readonly shape: LstmShape) {
    super();
    this.lstm = new GdLSTM(shape.input, shape.hidden, { numLayers: shape.layers });
    this.head = new Linear(shape.hidden, shape.classes);
  }

  forward(x: Parameters<GdLSTM['forward']>[0]): ReturnType<Linear['forward']> {
    const { steps, batch, hidden } = this.shape;
    const [out] = this.lstm.forward(x);
    return this.head.forward(out.slice([steps - 1, 0, 0], [1, batch, hidden]).reshape([batch, hidden]));
  }
}

function gdLstm(v: LstmValues): Instance {
  const { shape } = v;
  const { layers, input, hidden: H, steps, batch } = shape;
  const model = new SequenceClassifier(shape);
  const state: Record<string, ReturnType<typeof tensor>> = {
    'head.weight': tensor(v.headW, { shape: [shape.classes, H] }),
    'head.bias': tensor(v.headB),
  };
  for (let l = 0; l < layers; l++) {
    state[`lstm.weight_ih_l${l}`] = tensor(v.wih[l]!, { shape: [4 * H, l === 0 ? input : H] });
    state[`lstm.weight_hh_l${l}`] = tensor(v.whh[l]!, { shape: [4 * H, H] });
    state[`lstm.bias_ih_l${l}`] = tensor(v.bih[l]!);
    state[`lstm.bias_hh_l${l}`] = tensor(v.bhh[l]!);
  }
  model.loadStateDict(state);
  for (const t of Object.values(state)) t.dispose();
  return gdClassifierStep(model, new SGD(model, { lr: LSTM_LR }), tensor(v.x, { shape: [steps, batch, input] }), tensor(v.y));
}

/** [rows, cols] row-major → [cols, rows]. */
function transposed(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(a.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) t[c * rows + r] = a[r * cols + c]!;
  return t;
}

/** b_ih + b_hh: Keras's LSTM has one bias per layer. */
function biasSum(v: LstmValues, l: number): Float32Array {
  return v.bih[l]!.map((b, i) => b + v.bhh[l]![i]!);
}

function tfLstm(v: LstmValues): Instance {
  const { layers, input, hidden: H, steps, batch, classes } = v.shape;
  const model = tf.sequential();
  for (let l = 0; l < layers; l++) {
    model.add(
      tf.layers.lstm({
        units: H,
        recurrentActivation: 'sigmoid',
        returnSequences: l < layers - 1,
        // setWeights replaces them below; the default orthogonal init costs seconds at H = 256
        kernelInitializer: 'zeros',
        recurrentInitializer: 'zeros',
        ...(l === 0 ? { inputShape: [steps, input] } : {}),
      }),
    );
  }
  model.add(tf.layers.dense({ units: classes }));
  // Keras's LSTM: kernel [in, 4H], recurrent kernel [H, 4H], one bias, gates i, f, c, o (PyTorch's order)
  const weights: tf.Tensor[] = [];
  for (let l = 0; l < layers; l++) {
    const inF = l === 0 ? input : H;
    weights.push(tf.tensor2d(transposed(v.wih[l]!, 4 * H, inF), [inF, 4 * H]));
    weights.push(tf.tensor2d(transposed(v.whh[l]!, 4 * H, H), [H, 4 * H]));
    weights.push(tf.tensor1d(biasSum(v, l)));
  }
  weights.push(tf.tensor2d(transposed(v.headW, classes, H), [H, classes]), tf.tensor1d(v.headB));
  model.setWeights(weights);
  tf.dispose(weights);
  // batch first: [batch, steps, input]
  const xb = new Float32Array(v.x.length);
  for (let t = 0; t < steps; t++)
    for (let n = 0; n < batch; n++) xb.set(v.x.subarray((t * batch + n) * input, (t * batch + n + 1) * input), (n * steps + t) * input);
  const x = tf.tensor3d(xb, [batch, steps, input]);
  const y = tf.oneHot(tf.tensor1d(v.y, 'int32'), classes);
  const opt = tf.train.sgd(LSTM_LR);
  return {
    run: () => {
      const cost = opt.minimize(() => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar, true);
      const loss = cost!.dataSync()[0];
      cost!.dispose();
      return loss;
    },
    dispose: () => {
      opt.dispose();
      model.dispose();
      tf.dispose([x, y]);
    },
  };
}

/** The jax-js model: per layer wih [in, 4H], whh [H, 4H] and both biases (as PyTorch's, so SGD moves them alike), and the head [H, classes]. */
type JaxLstm = { wih: JaxArray[]; whh: JaxArray[]; bih: JaxArray[]; bhh: JaxArray[]; headW: JaxArray; headB: JaxArray };

/** One LSTM layer over x [L, N, in]: the input projection of every step at once, then the steps. Returns h_t for each t. */
function jaxLayer(x: JaxArray, wih: JaxArray, whh: JaxArray, bih: JaxArray, bhh: JaxArray, H: number): JaxArray[] {
  const [L, N, inF] = x.shape as [number, number, number];
  const xw = np
    .matmul(x.reshape([L * N, inF]), wih)
    .add(bih)
    .add(bhh)
    .reshape([L, N, 4 * H]);
  let h = np.zeros([N, H]);
  let c = np.zeros([N, H]);
  const hs: JaxArray[] = [];
  for (let t = 0; t < L; t++) {
    const [gi, gf, gg, go] = np.split(xw.ref.slice(t).add(np.matmul(h, whh.ref)), 4, 1) as [JaxArray, JaxArray, JaxArray, JaxArray];
    c = nn
      .sigmoid(gf)
      .mul(c)
      .add(nn.sigmoid(gi).mul(np.tanh(gg)));
    h = nn.sigmoid(go).mul(np.tanh(c.ref));
    hs.push(h.ref);
  }
  for (const a of [xw, whh, c]) a.dispose();
  // the last h was referenced once more for hs; give that reference back
  h.dispose();
  return hs;
}

function jaxLoss(p: JaxLstm, x: JaxArray, onehot: JaxArray): JaxArray {
  const H = p.whh[0]!.shape[0]!;
  let seq = x;
  let hs: JaxArray[] = [];
  for (let l = 0; l < p.wih.length; l++) {
    hs = jaxLayer(seq, p.wih[l]!, p.whh[l]!, p.bih[l]!, p.bhh[l]!, H);
    if (l < p.wih.length - 1) seq = np.stack(hs, 0);
  }
  const last = hs.pop()!;
  for (const h of hs) h.dispose();
  return meanCrossEntropy(np.matmul(last, p.headW).add(p.headB), onehot);
}

function jaxLstm(v: LstmValues, mode: ReadMode): Instance {
  const { layers, input, hidden: H, steps, batch, classes } = v.shape;
  const step = jit((p: JaxLstm, x: JaxArray, onehot: JaxArray) => {
    const [loss, g] = valueAndGrad(jaxLoss)(tree.ref(p), x, onehot);
    const next = tree.map((w: JaxArray, dw: JaxArray) => w.sub(dw.mul(LSTM_LR)), p, g) as JaxLstm;
    return [loss, next] as [JaxArray, JaxLstm];
  });
  const range = Array.from({ length: layers }, (_, l) => l);
  const p: JaxLstm = {
    wih: range.map((l) => np.array(transposed(v.wih[l]!, 4 * H, l === 0 ? input : H), { shape: [l === 0 ? input : H, 4 * H] })),
    whh: range.map((l) => np.array(transposed(v.whh[l]!, 4 * H, H), { shape: [H, 4 * H] })),
    bih: range.map((l) => np.array(v.bih[l]!)),
    bhh: range.map((l) => np.array(v.bhh[l]!)),
    headW: np.array(transposed(v.headW, classes, H), { shape: [H, classes] }),
    headB: np.array(v.headB),
  };
  const x = np.array(v.x, { shape: [steps, batch, input] });
  const y = nn.oneHot(np.array(v.y, { dtype: np.int32 }), classes);
  return jaxTrainer(step, p, x, y, mode);
}

/** gd's bytes in use after every `every`-th of `steps` LSTM training steps (after one warm-up step): flat when nothing leaks. */
export function lstmMemoryOverSteps(v: LstmValues, steps: number, every: number): number[] {
  return bytesOverSteps(gdLstm(v), () => memory().bytesInUse, steps, every);
}

let rowValues: LstmValues | undefined;

/** The LSTM row of the table (LSTM_ROW), in samples/s; its weights and batch are made on first use. */
export function lstmWorkload(peers: readonly PeerName[], jaxRead?: ReadMode): Workload {
  const s = LSTM_ROW;
  return {
    group: 'lstm',
    label: `LSTM step, ${s.layers} layers, hidden ${s.hidden}, seq ${s.steps}, batch ${s.batch}`,
    unit: 'samples/s',
    // tfjs-cpu takes about a minute per step here (55 s measured on the 2-core machine): left out
    peers: (['gd', 'tfjs-wasm', 'jax-js'] as const).filter((p) => peers.includes(p)),
    metric: (ms) => (s.batch * 1000) / ms,
    make: (p) => lstmStep(p, (rowValues ??= lstmValues(s)), jaxRead),
  };
}
