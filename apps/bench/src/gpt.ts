// The char-level GPT training step on every peer: vocabulary 3,000, context 64, width 128, 4 heads,
// 4 pre-norm blocks (LayerNorm → causal self-attention → residual, LayerNorm → 128→512 ReLU
// 512→128 → residual; ReLU as PyTorch's TransformerEncoderLayer by default), a final LayerNorm,
// a 128→3,000 head, mean softmax cross-entropy over the batch of 16 × 64 next characters, and an
// AdamW update (lr 3e-4, weight decay 0.01). gd builds it from @gd/nn's layers; TensorFlow.js
// and jax-js from their ops, as their community ports do. The peers start from their own seeded weights: the work per step is the same.

import type { Variable } from '@gd/autograd';
import { Embedding, LayerNorm, Linear, Module, ModuleList, TransformerEncoderLayer } from '@gd/nn';
import { AdamW } from '@gd/optim';
import { memory, type Tensor, tensor } from '@gd/tensor';
import { type Array as JaxArray, jit, nn, numpy as np, tree, valueAndGrad } from '@jax-js/jax';
import * as tf from '@tensorflow/tfjs';
import type { Instance, PeerName, Row, Workload } from './harness.js';
import { meanCrossEntropy, type ReadMode, uniformValues } from './jax.js';
import { bytesOverSteps, gdClassifierStep } from './peers.js';
import type { WorkloadOptions } from './workloads.js';

/** A char GPT's sizes and its AdamW step's hyperparameters. */
export interface GptShape {
  /** Characters in the vocabulary. */
  readonly vocab: number;
  /** Context length T. */
  readonly context: number;
  /** Model width d. */
  readonly width: number;
  /** Attention heads per block. */
  readonly heads: number;
  /** Pre-norm blocks. */
  readonly layers: number;
  /** Feed-forward width. */
  readonly ff: number;
  /** Sequences per step. */
  readonly batch: number;
  /** AdamW's learning rate. */
  readonly lr: number;
  /** AdamW's weight decay. */
  readonly weightDecay: number;
}

/** The benchmarked model and step's sizes. */
export const GPT = {
  vocab: 3000,
  context: 64,
  width: 128,
  heads: 4,
  layers: 4,
  ff: 512,
  batch: 16,
  lr: 3e-4,
  weightDecay: 0.01,
} as const satisfies GptShape;

/**
 * Floating-point operations of one training step: the matrix products of the forward pass
 * (projections, attention scores and their weighted sums counted over the full T×T, the
 * feed-forward layers, the head), tripled for the backward pass's two products per forward one.
 */
export function gptStepFlops(): number {
  const { vocab: v, context: t, width: d, heads: h, layers, ff, batch: b } = GPT;
  const n = b * t;
  const perLayer = 2 * n * d * 3 * d + 2 * n * d * d + 2 * 2 * n * d * ff + 2 * 2 * b * h * t * t * (d / h);
  return 3 * (layers * perLayer + 2 * n * d * v);
}

/** The GPT step's row: achieved GFLOP/s of each peer (tfjs-cpu would need seconds per step). */
export function gptWorkload(o: WorkloadOptions): Workload {
  const { vocab, context, width, heads, layers, batch } = GPT;
  return {
    group: 'gpt',
    label: `char GPT step (vocab ${vocab}, T ${context}, d ${width}, ${heads} heads, ${layers} layers, batch ${batch}, AdamW)`,
    unit: 'GFLOP/s',
    peers: o.peers.filter((p) => p !== 'tfjs-cpu'),
    metric: (ms) => gptStepFlops() / ms / 1e6,
    make: (p) => gptStep(p, o.jaxRead),
  };
}

/**
 * The line printed under the table: gd's GPT step in GFLOP/s beside gd's largest one-thread matmul
 * of the same run, and the share of it the step achieves; null when either row is missing.
 */
export function gptVersusMatmul(rows: readonly Row[]): string | null {
  const gpt = rows.find((r) => r.group === 'gpt')?.results.gd;
  const mm = rows.filter((r) => r.group === 'matmul' && /^matmul n=\d+$/.test(r.workload) && r.results.gd).at(-1);
  if (!gpt || !mm) return null;
  const share = (100 * gpt.median) / mm.results.gd!.median;
  return `GPT step: gd ${gpt.median.toFixed(2)} GFLOP/s = ${share.toFixed(0)} % of gd's ${mm.workload} (${mm.results.gd!.median.toFixed(2)} GFLOP/s)`;
}

/** Seeded token ids: the batch's inputs and its next characters (the inputs shifted by one). */
export function gptBatch(seed = 1, shape: GptShape = GPT): { x: Int32Array; y: Int32Array } {
  const { vocab, context, batch } = shape;
  const u = uniformValues(batch * (context + 1), 1, seed);
  const ids = Int32Array.from(u, (r) => Math.min(vocab - 1, Math.floor(((r + 1) / 2) * vocab)));
  const x = new Int32Array(batch * context);
  const y = new Int32Array(batch * context);
  for (let s = 0; s < batch; s++)
    for (let i = 0; i < context; i++) {
      x[s * context + i] = ids[s * (context + 1) + i]!;
      y[s * context + i] = ids[s * (context + 1) + i + 1]!;
    }
  return { x, y };
}

/** One GPT training step per `run`, returning the step's loss (a promise of it for jax-js in 'async'). */
export function gptStep(peer: PeerName, mode: ReadMode = 'sync'): Instance {
  if (peer === 'gd') return gdGpt();
  if (peer === 'jax-js') return jaxGpt(mode);
  return tfGpt();
}

/** The GPT of @gd/nn's layers: token and position embeddings, pre-norm blocks, the head; logits [B·T, vocab]. */
class GdGpt extends Module {
  readonly wte: Embedding;
  readonly wpe: Embedding;
  readonly blocks: ModuleList;
  readonly ln: LayerNorm;
  readonly head: Linear;
  private readonly positions: Tensor;

  constructor(private readonly shape: GptShape) {
    super();
    const { vocab, context, width, heads, layers, ff } = shape;
    this.wte = new Embedding(vocab, width);
    this.wpe = new Embedding(context, width);
    this.blocks = new ModuleList(
      Array.from(
        { length: layers },
        () => new TransformerEncoderLayer(width, heads, { dimFeedforward: ff, dropout: 0, batchFirst: true, normFirst: true }),
      ),
    );
    this.ln = new LayerNorm(width);
    this.head = new Linear(width, vocab);
    this.positions = tensor(Int32Array.from({ length: context }, (_, i) => i));
  }

  forward(ids: Tensor): Variable {
    let x = this.wte.forward(ids).add(this.wpe.forward(this.positions));
    for (const block of this.blocks) x = (block as TransformerEncoderLayer).forward(x, { isCausal: true });
    return this.head.forward(this.ln.forward(x)).reshape([this.shape.batch * this.shape.context, this.shape.vocab]);
  }

  override dispose(): void {
    this.positions.dispose();
    super.dispose();
  }
}

function gdGpt(shape: GptShape = GPT): Instance {
  const model = new GdGpt(shape);
  const { x, y } = gptBatch(1, shape);
  const opt = new AdamW(model, { lr: shape.lr, weightDecay: shape.weightDecay });
  return gdClassifierStep(model, opt, tensor(x, { shape: [shape.batch, shape.context] }), tensor(y));
}

/** gd's bytes in use after every `every`-th of `steps` GPT training steps of `shape` (after one warm-up step): flat when nothing leaks. */
export function gptMemoryOverSteps(shape: GptShape, steps: number, every: number): number[] {
  return bytesOverSteps(gdGpt(shape), () => memory().bytesInUse, steps, every);
}

/** Seeded weights, uniform in ±1/√fanIn; LayerNorm gains 1, biases 0. */
function gptValues(seed: number) {
  const { vocab: v, context: t, width: d, layers, ff } = GPT;
  let k = seed;
  const u = (size: number, fanIn: number) => uniformValues(size, 1 / Math.sqrt(fanIn), k++);
  const ones = (n: number) => new Float32Array(n).fill(1);
  return {
    wte: u(v * d, d),
    wpe: u(t * d, d),
    blocks: Array.from({ length: layers }, () => ({
      ln1g: ones(d),
      ln1b: new Float32Array(d),
      wqkv: u(d * 3 * d, d),
      bqkv: new Float32Array(3 * d),
      wo: u(d * d, d),
      bo: new Float32Array(d),
      ln2g: ones(d),
      ln2b: new Float32Array(d),
      w1: u(d * ff, d),
      b1: new Float32Array(ff),
      w2: u(ff * d, ff),
      b2: new Float32Array(d),
    })),
    lnfg: ones(d),
    lnfb: new Float32Array(d),
    wh: u(d * v, d),
    bh: new Float32Array(v),
  };
}

/** The causal mask [T, T]: 0 on and below the diagonal, −1e9 above (added to the scores). */
function causalBias(): Float32Array {
  const t = GPT.context;
  const m = new Float32Array(t * t);
  for (let i = 0; i < t; i++) for (let j = i + 1; j < t; j++) m[i * t + j] = -1e9;
  return m;
}

function tfGpt(): Instance {
  const { vocab: v, context: t, width: d, heads: h, batch: b, ff } = GPT;
  const n = b * t;
  const dh = d / h;
  const vals = gptValues(11);
  const vr = (a: Float32Array, shape: number[]) => tf.variable(tf.tensor(a, shape));
  const p = {
    wte: vr(vals.wte, [v, d]),
    wpe: vr(vals.wpe, [t, d]),
    blocks: vals.blocks.map((l) => ({
      ln1g: vr(l.ln1g, [d]),
      ln1b: vr(l.ln1b, [d]),
      wqkv: vr(l.wqkv, [d, 3 * d]),
      bqkv: vr(l.bqkv, [3 * d]),
      wo: vr(l.wo, [d, d]),
      bo: vr(l.bo, [d]),
      ln2g: vr(l.ln2g, [d]),
      ln2b: vr(l.ln2b, [d]),
      w1: vr(l.w1, [d, ff]),
      b1: vr(l.b1, [ff]),
      w2: vr(l.w2, [ff, d]),
      b2: vr(l.b2, [d]),
    })),
    lnfg: vr(vals.lnfg, [d]),
    lnfb: vr(vals.lnfb, [d]),
    wh: vr(vals.wh, [d, v]),
    bh: vr(vals.bh, [v]),
  };
  const all: tf.Variable[] = [p.wte, p.wpe, ...p.blocks.flatMap((l) => Object.values(l)), p.lnfg, p.lnfb, p.wh, p.bh];
  // AdamW decays the matrices (not the biases and LayerNorm gains), decoupled from Adam's step
  const decayed: tf.Variable[] = [p.wte, p.wpe, ...p.blocks.flatMap((l) => [l.wqkv, l.wo, l.w1, l.w2]), p.wh];
  const batch = gptBatch();
  const ids = tf.tensor1d(batch.x, 'int32');
  const onehot = tf.oneHot(tf.tensor1d(batch.y, 'int32'), v);
  const mask = tf.tensor2d(causalBias(), [t, t]);
  const opt = tf.train.adam(GPT.lr, 0.9, 0.999, 1e-8);
  const layerNorm = (x: tf.Tensor, g: tf.Tensor, beta: tf.Tensor) => {
    const { mean, variance } = tf.moments(x, -1, true);
    return tf.add(tf.mul(tf.mul(tf.sub(x, mean), tf.rsqrt(tf.add(variance, 1e-5))), g), beta);
  };
  const headsOf = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]);
  // the wasm backend has no kernel for gather's gradient (UnsortedSegmentSum): the table's
  // gradient is taken as onehot(ids)ᵀ·dy, a [3000, 1024]·[1024, 128] product more per step
  // (2·3000·1024·128 flops, about a tenth of the step's), counted in its time
  const idsOneHot = tf.oneHot(ids, v).asType('float32');
  const embed = tf.customGrad(((table: tf.Tensor) => ({
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor) => [tf.matMul(idsOneHot, dy as tf.Tensor2D, true, false)],
  })) as unknown as Parameters<typeof tf.customGrad>[0]) as (table: tf.Tensor) => tf.Tensor;
  const loss = () => {
    // [B·T, d] rows throughout; the position table repeats over the batch
    let x = tf.add(tf.reshape(embed(p.wte), [b, t, d]), p.wpe).reshape([n, d]) as tf.Tensor2D;
    for (const l of p.blocks) {
      const qkv = tf.add(tf.matMul(layerNorm(x, l.ln1g, l.ln1b) as tf.Tensor2D, l.wqkv), l.bqkv);
      const [q, k, vv] = tf.split(qkv, 3, 1).map(headsOf) as [tf.Tensor4D, tf.Tensor4D, tf.Tensor4D];
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q, k, false, true), 1 / Math.sqrt(dh)), mask));
      const y = tf.reshape(tf.transpose(tf.matMul(att, vv), [0, 2, 1, 3]), [n, d]) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(y, l.wo), l.bo));
      const f = tf.relu(tf.add(tf.matMul(layerNorm(x, l.ln2g, l.ln2b) as tf.Tensor2D, l.w1), l.b1)) as tf.Tensor2D;
      x = tf.add(x, tf.add(tf.matMul(f, l.w2), l.b2));
    }
    const logits = tf.add(tf.matMul(layerNorm(x, p.lnfg, p.lnfb) as tf.Tensor2D, p.wh), p.bh);
    return tf.losses.softmaxCrossEntropy(onehot, logits) as tf.Scalar;
  };
  return {
    run: () => {
      tf.tidy(() => {
        for (const w of decayed) w.assign(tf.mul(w, 1 - GPT.lr * GPT.weightDecay));
      });
      const cost = opt.minimize(loss, true, all);
      const value = cost!.dataSync()[0];
      cost!.dispose();
      return value;
    },
    dispose: () => {
      opt.dispose();
      tf.dispose([...all, ids, idsOneHot, onehot, mask]);
    },
  };
}

type JaxBlock = {
  ln1g: JaxArray;
  ln1b: JaxArray;
  wq: JaxArray;
  wk: JaxArray;
  wv: JaxArray;
  bq: JaxArray;
  bk: JaxArray;
  bv: JaxArray;
  wo: JaxArray;
  bo: JaxArray;
  ln2g: JaxArray;
  ln2b: JaxArray;
  w1: JaxArray;
  b1: JaxArray;
  w2: JaxArray;
  b2: JaxArray;
};
type JaxGpt = { wte: JaxArray; wpe: JaxArray; blocks: JaxBlock[]; lnfg: JaxArray; lnfb: JaxArray; wh: JaxArray; bh: JaxArray };

function jaxLoss(p: JaxGpt, ids: JaxArray, onehot: JaxArray, mask: JaxArray): JaxArray {
  const { context: t, width: d, heads: h, batch: b } = GPT;
  const n = b * t;
  const dh = d / h;
  const layerNorm = (x: JaxArray, g: JaxArray, beta: JaxArray) => nn.standardize(x, -1, { epsilon: 1e-5 }).mul(g).add(beta);
  // the lookup as onehot(ids)·table: jax-js's jit cannot compile take's gradient (a scatter), so
  // its step does this [1024, 3000]·[3000, 128] product and its gradient's (2·2·1024·3000·128
  // flops, a fifth of the step's) more than the others, counted in its time
  let x = np.matmul(ids, p.wte).reshape([b, t, d]).add(p.wpe).reshape([n, d]);
  for (const l of p.blocks) {
    // the three projections apart, each [B, H, T, dh] (the gradient of a split or a take of
    // [.., 3d] is a scatter, which jax-js's jit cannot compile; nn.dotProductAttention parses an
    // einsum with iterator helpers Node 20 lacks)
    const hn = layerNorm(x.ref, l.ln1g, l.ln1b);
    const proj = (w: JaxArray, bias: JaxArray) => np.matmul(hn.ref, w).add(bias).reshape([b, t, h, dh]).transpose([0, 2, 1, 3]);
    const [q, k, v] = [proj(l.wq, l.bq), proj(l.wk, l.bk), proj(l.wv, l.bv)];
    hn.dispose();
    const att = nn.softmax(
      np
        .matmul(q, k.transpose([0, 1, 3, 2]))
        .mul(1 / Math.sqrt(dh))
        .add(mask.ref),
      -1,
    );
    const y = np.matmul(att, v).transpose([0, 2, 1, 3]).reshape([n, d]);
    x = x.add(np.matmul(y, l.wo).add(l.bo));
    const f = nn.relu(np.matmul(layerNorm(x.ref, l.ln2g, l.ln2b), l.w1).add(l.b1));
    x = x.add(np.matmul(f, l.w2).add(l.b2));
  }
  mask.dispose();
  return meanCrossEntropy(np.matmul(layerNorm(x, p.lnfg, p.lnfb), p.wh).add(p.bh), onehot);
}

function jaxGpt(mode: ReadMode): Instance {
  const { vocab: v, context: t, width: d, ff } = GPT;
  const vals = gptValues(11);
  const a = (x: Float32Array, shape: number[]) => np.array(x, { shape });
  const columns = (w: Float32Array, i: number) =>
    Float32Array.from({ length: d * d }, (_, j) => w[Math.floor(j / d) * 3 * d + i * d + (j % d)]!);
  let p: JaxGpt = {
    wte: a(vals.wte, [v, d]),
    wpe: a(vals.wpe, [t, d]),
    blocks: vals.blocks.map((l) => ({
      ln1g: a(l.ln1g, [d]),
      ln1b: a(l.ln1b, [d]),
      // the columns of [d, 3d] in three [d, d] blocks
      wq: a(columns(l.wqkv, 0), [d, d]),
      wk: a(columns(l.wqkv, 1), [d, d]),
      wv: a(columns(l.wqkv, 2), [d, d]),
      bq: a(l.bqkv.slice(0, d), [d]),
      bk: a(l.bqkv.slice(d, 2 * d), [d]),
      bv: a(l.bqkv.slice(2 * d), [d]),
      wo: a(l.wo, [d, d]),
      bo: a(l.bo, [d]),
      ln2g: a(l.ln2g, [d]),
      ln2b: a(l.ln2b, [d]),
      w1: a(l.w1, [d, ff]),
      b1: a(l.b1, [ff]),
      w2: a(l.w2, [ff, d]),
      b2: a(l.b2, [d]),
    })),
    lnfg: a(vals.lnfg, [d]),
    lnfb: a(vals.lnfb, [d]),
    wh: a(vals.wh, [d, v]),
    bh: a(vals.bh, [v]),
  };
  const zerosLike = (q: JaxGpt) => tree.map((w: JaxArray) => np.zerosLike(w), tree.ref(q)) as JaxGpt;
  let m = zerosLike(p);
  let s = zerosLike(p);
  const { lr, weightDecay: wd } = GPT;
  // AdamW, bias corrections folded into the step size `alpha` = lr·√(1 − β₂ᵗ)/(1 − β₁ᵗ) (an input, so one trace serves every step)
  const step = jit((p: JaxGpt, m: JaxGpt, s: JaxGpt, ids: JaxArray, onehot: JaxArray, mask: JaxArray, alpha: JaxArray) => {
    const [loss, g] = valueAndGrad(jaxLoss)(tree.ref(p), ids, onehot, mask);
    const m2 = tree.map((mi: JaxArray, gi: JaxArray) => mi.mul(0.9).add(gi.mul(0.1)), m, tree.ref(g)) as JaxGpt;
    const s2 = tree.map((si: JaxArray, gi: JaxArray) => si.mul(0.999).add(gi.ref.mul(gi).mul(0.001)), s, g) as JaxGpt;
    const p2 = tree.map(
      (w: JaxArray, mi: JaxArray, si: JaxArray) => w.mul(1 - lr * wd).sub(mi.mul(alpha.ref).div(np.sqrt(si).add(1e-8))),
      p,
      tree.ref(m2),
      tree.ref(s2),
    ) as JaxGpt;
    alpha.dispose();
    return [loss, p2, m2, s2] as [JaxArray, JaxGpt, JaxGpt, JaxGpt];
  });
  const batch = gptBatch();
  const ids = nn.oneHot(np.array(batch.x, { dtype: np.int32 }), v);
  const onehot = nn.oneHot(np.array(batch.y, { dtype: np.int32 }), v);
  const mask = np.array(causalBias(), { shape: [t, t] });
  let k = 0;
  return {
    run: () => {
      k++;
      const alpha = np.array(new Float32Array([(lr * Math.sqrt(1 - 0.999 ** k)) / (1 - 0.9 ** k)]), { shape: [] });
      const [loss, p2, m2, s2] = step(p, m, s, ids.ref, onehot.ref, mask.ref, alpha);
      [p, m, s] = [p2, m2, s2];
      if (mode === 'sync') return (loss.dataSync() as Float32Array)[0];
      return loss.data().then((x) => (x as Float32Array)[0]);
    },
    dispose: () => {
      for (const q of [p, m, s]) tree.dispose(q);
      ids.dispose();
      onehot.dispose();
      mask.dispose();
      step.dispose();
    },
  };
}
