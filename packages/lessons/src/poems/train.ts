// Training the character Transformer on poems, scoring held-out poems with it, and sampling new
// ones. Every step and every evaluation runs in a scope: memory in use stays flat.
import { noGrad, type Variable } from '@gd/autograd';
import { crossEntropy } from '@gd/losses';
import { AdamW, clipGradNorm, schedules } from '@gd/optim';
import { getRngState, manualSeed, rand, randperm, StateError, scope, setRngState, tensor, ValueError } from '@gd/tensor';
import type { CharModel } from './baselines.js';
import { CharTransformer, type TransformerConfig } from './transformer.js';
import { BOS, type CharVocab, EOS } from './vocab.js';

/** Options of trainCharTransformer. */
export interface TrainOptions {
  /** Seeds the initial weights, the shuffling and dropout. */
  seed: number;
  /** Passes over the training poems. */
  epochs: number;
  /** Poems per step (default 32). */
  batchSize?: number;
  /** AdamW's peak learning rate (default 3e-3). */
  lr?: number;
  /** Steps of linear warm-up before the cosine decay to 0 (default 100). */
  warmupSteps?: number;
  /** AdamW's decoupled weight decay (default 0.01). */
  weightDecay?: number;
  /** Largest 2-norm of all gradients together; larger ones are scaled down (default 1). */
  clipNorm?: number;
  /** Model sizes other than vocabSize and contextLength (default 2 blocks of 128 wide, 4 heads). */
  model?: Partial<Omit<TransformerConfig, 'vocabSize' | 'contextLength'>>;
  /** Called after every step with the step's loss in bits per token. */
  onStep?: (s: TrainStep) => void;
}

/** Tokens of poems of one length: rows of [start, characters…, end]. */
export function encodePoems(vocab: CharVocab, texts: readonly string[]): { ids: Int32Array; rows: number; width: number } {
  if (texts.length === 0) throw new ValueError('encodePoems: no poems given');
  const width = [...texts[0]!].length + 2;
  const ids = new Int32Array(texts.length * width);
  texts.forEach((t, r) => {
    const e = vocab.encode(t);
    if (e.length + 2 !== width) throw new ValueError(`encodePoems: poem ${r} has ${e.length} characters, the first has ${width - 2}`);
    ids.set([BOS, ...e, EOS], r * width);
  });
  return { ids, rows: texts.length, width };
}

/** What one training step reports. */
export interface TrainStep {
  /** Steps done, this one included (1-based). */
  step: number;
  /** Steps of the whole run. */
  steps: number;
  /** The epoch the step belongs to (1-based). */
  epoch: number;
  /** The step's loss in bits per token. */
  bits: number;
  /** The learning rate the step used. */
  lr: number;
}

/**
 * trainCharTransformer one step at a time, so that a caller can stop between steps (a page's
 * worker answering its buttons) and go on later: the same seed, the same steps in the same order,
 * the same model as trainCharTransformer, as long as nothing else draws from the seeded generator
 * in between (with dropout 0 only each epoch's shuffle draws from it, at its first step).
 */
export class CharTransformerTrainer {
  /** The model being trained (in training mode until {@link CharTransformerTrainer.finish}). */
  readonly model: CharTransformer;
  /** Steps of the whole run: whole batches per epoch × epochs. */
  readonly steps: number;
  /** The loss of every step done, in bits per token. */
  readonly losses: number[] = [];
  private readonly ids: Int32Array;
  private readonly rows: number;
  private readonly width: number;
  private readonly batchSize: number;
  private readonly perEpoch: number;
  private readonly schedule: (step: number) => number;
  private readonly opt: AdamW;
  private readonly params: Variable[];
  private readonly clipNorm: number;
  private readonly x: Int32Array;
  private readonly y: Int32Array;
  private order: Int32Array = new Int32Array(0);
  private done = 0;
  private finished = false;

  constructor(
    private readonly vocab: CharVocab,
    texts: readonly string[],
    o: Omit<TrainOptions, 'onStep'>,
  ) {
    const { ids, rows, width } = encodePoems(vocab, texts);
    this.ids = ids;
    this.rows = rows;
    this.width = width;
    this.batchSize = o.batchSize ?? 32;
    this.perEpoch = Math.floor(rows / this.batchSize);
    if (this.perEpoch < 1) throw new ValueError(`trainCharTransformer: ${rows} poems do not fill a batch of ${this.batchSize}`);
    this.steps = this.perEpoch * o.epochs;
    const lr = o.lr ?? 3e-3;
    const warmupSteps = Math.min(o.warmupSteps ?? 100, Math.max(1, this.steps - 1));
    this.schedule = schedules.linearWarmup({
      lr,
      warmupSteps,
      after: schedules.cosine({ lr, steps: Math.max(1, this.steps - warmupSteps) }),
    });
    manualSeed(o.seed);
    this.model = new CharTransformer({
      vocabSize: vocab.size,
      contextLength: width - 1,
      dModel: o.model?.dModel ?? 128,
      numHeads: o.model?.numHeads ?? 4,
      numLayers: o.model?.numLayers ?? 2,
      dropout: o.model?.dropout ?? 0,
    });
    this.model.train();
    this.params = this.model.parameters();
    this.opt = new AdamW(this.params, { lr, weightDecay: o.weightDecay ?? 0.01 });
    this.clipNorm = o.clipNorm ?? 1;
    this.x = new Int32Array(this.batchSize * (width - 1));
    this.y = new Int32Array(this.batchSize * (width - 1));
  }

  /** Steps done so far. */
  get step(): number {
    return this.done;
  }

  /** Whether every step of the run is done. */
  get complete(): boolean {
    return this.done >= this.steps;
  }

  /** Runs the next step (the epoch's shuffle first, at an epoch's first step) and reports it. */
  next(): TrainStep {
    if (this.finished || this.complete) {
      throw new StateError(`CharTransformerTrainer.next: the run's ${this.steps} steps are done`);
    }
    const step = this.done;
    const b = step % this.perEpoch;
    if (b === 0) this.order = scope(() => randperm(this.rows).data() as Int32Array);
    const t = this.width - 1;
    const { x, y, ids, width, batchSize, model, opt } = this;
    for (let i = 0; i < batchSize; i++) {
      const r = this.order[b * batchSize + i]! * width;
      x.set(ids.subarray(r, r + t), i * t);
      y.set(ids.subarray(r + 1, r + width), i * t);
    }
    opt.lr = this.schedule(step);
    const nats = scope(() => {
      opt.zeroGrad();
      const logits = model.forward(tensor(x, { shape: [batchSize, t] }));
      const loss = crossEntropy(logits.reshape([batchSize * t, this.vocab.size]), tensor(y));
      loss.backward();
      clipGradNorm(this.params, this.clipNorm);
      opt.step();
      return loss.item();
    });
    if (!Number.isFinite(nats)) throw new ValueError(`trainCharTransformer: the loss diverged at step ${step} (${nats})`);
    this.done++;
    this.losses.push(nats / Math.LN2);
    return { step: step + 1, steps: this.steps, epoch: Math.floor(step / this.perEpoch) + 1, bits: nats / Math.LN2, lr: opt.lr };
  }

  /** Frees the optimizer's state and puts the model in eval mode; returns the model. */
  finish(): CharTransformer {
    if (!this.finished) {
      this.opt.dispose();
      this.model.eval();
      this.finished = true;
    }
    return this.model;
  }
}

/**
 * Trains a CharTransformer to predict each next token of the poems (all of one length: one
 * form) with cross-entropy: AdamW, linear warm-up then cosine decay, gradient clipping, seeded.
 * Returns the model in eval mode and the steps' losses in bits per token.
 */
export function trainCharTransformer(vocab: CharVocab, texts: readonly string[], o: TrainOptions) {
  const trainer = new CharTransformerTrainer(vocab, texts, o);
  while (!trainer.complete) {
    const s = trainer.next();
    o.onStep?.(s);
  }
  return { model: trainer.finish(), steps: trainer.steps, losses: trainer.losses };
}

/**
 * The Transformer as a {@link CharModel}: −log₂ p of each character given the start token and
 * the characters before it, from log-softmax of the logits, scored in chunks of `batch` poems.
 */
export function transformerCharModel(model: CharTransformer, batch = 64): CharModel {
  return {
    name: 'transformer',
    surprisal: (sequences) =>
      noGrad(() => {
        const out: number[][] = new Array(sequences.length);
        // poems of one length go through together
        const byLength = new Map<number, number[]>();
        sequences.forEach((s, i) => {
          const same = byLength.get(s.length);
          if (same) same.push(i);
          else byLength.set(s.length, [i]);
        });
        for (const [n, idx] of byLength) {
          if (n === 0) {
            for (const i of idx) out[i] = [];
            continue;
          }
          for (let at = 0; at < idx.length; at += batch) {
            const chunk = idx.slice(at, at + batch);
            const input = new Int32Array(chunk.length * n);
            chunk.forEach((i, r) => {
              input.set([BOS, ...sequences[i]!.slice(0, n - 1)], r * n);
            });
            const logp = scope(() =>
              model
                .forward(tensor(input, { shape: [chunk.length, n] }))
                .logSoftmax(-1)
                .value.data(),
            );
            const v = model.config.vocabSize;
            chunk.forEach((i, r) => {
              out[i] = sequences[i]!.map((c, k) => -logp[(r * n + k) * v + c]! / Math.LN2);
            });
          }
        }
        return out;
      }),
  };
}

/** Options of samplePoems. */
export interface SampleOptions {
  /** Poems to draw. */
  count: number;
  /** Seeds the draws. */
  seed: number;
  /** Divides the logits: below 1 sharper, above 1 flatter (default 0.8). */
  temperature?: number;
  /** Most characters per poem (default and at most the model's context length). */
  maxLength?: number;
}

/**
 * Draws poems from the model: each starts from the start token, and each next token is drawn
 * from softmax(logits / temperature) until the end token (or maxLength characters). Seeded:
 * the same seed draws the same poems, and gd's generator is left where it was.
 */
export function samplePoems(model: CharTransformer, vocab: CharVocab, o: SampleOptions): string[] {
  const temperature = o.temperature ?? 0.8;
  if (!(temperature > 0)) throw new ValueError(`samplePoems: temperature must be > 0, got ${temperature}`);
  const maxLength = Math.min(o.maxLength ?? model.config.contextLength, model.config.contextLength);
  // its own seeded draws, all at once, then the caller's stream resumes where it was (a run's
  // shuffles do not change when poems are drawn between its steps)
  const callers = getRngState();
  manualSeed(o.seed);
  const uniforms = scope(() => rand([o.count, maxLength], { dtype: 'float64' }).data());
  setRngState(callers);
  const seqs = Array.from({ length: o.count }, () => [BOS]);
  const done = new Array<boolean>(o.count).fill(false);
  const v = vocab.size;
  // step k reads the start token and k characters and draws the next token; a poem that has not
  // drawn the end token after maxLength characters is cut there
  for (let k = 0; k < maxLength && done.some((d) => !d); k++) {
    const width = k + 1;
    const input = new Int32Array(o.count * width);
    seqs.forEach((s, r) => {
      input.set(s, r * width);
    });
    const logits = noGrad(() =>
      scope(() => {
        const out: Variable = model.forward(tensor(input, { shape: [o.count, width] }));
        return out.slice([0, k, 0], [o.count, 1, v]).value.data();
      }),
    );
    for (let r = 0; r < o.count; r++) {
      if (done[r]) continue;
      const next = drawFrom(logits.subarray(r * v, (r + 1) * v), temperature, uniforms[r * maxLength + k]!);
      if (next === EOS) done[r] = true;
      else seqs[r]!.push(next);
    }
  }
  return seqs.map((s) => vocab.decode(s));
}

/** The index drawn from softmax(logits / temperature) by one uniform u ∈ [0, 1), in float64. */
function drawFrom(logits: ArrayLike<number>, temperature: number, u: number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]!);
  const w = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += w[i] = Math.exp((logits[i]! - max) / temperature);
  let acc = 0;
  for (let i = 0; i < w.length; i++) if ((acc += w[i]!) > u * total) return i;
  return w.length - 1;
}
