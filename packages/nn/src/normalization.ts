// Normalisation layers (BatchNorm1d/2d, LayerNorm) and the embedding lookup, with PyTorch's
// names, init, buffers and state-dict keys. The statistics are composed from differentiable
// ops (mean, sub, square, sqrt), so their gradients come from the op table.
import { asVariable, layerNorm, noGrad, Variable, type VariableLike } from '@gd/autograd';
import {
  add,
  cast,
  copyInto,
  type FloatDType,
  fmtShape,
  IndexError,
  lt,
  mul,
  ones,
  ShapeError,
  StateError,
  Tensor,
  type TensorLike,
  tensor,
  ValueError,
  valueCheck,
  zeros,
} from '@gd/tensor';
import { init } from './init.js';
import { layerDtype, parameter } from './layers.js';
import { Module } from './module.js';
import { optionsOf } from './options.js';

/** Options of BatchNorm1d and BatchNorm2d (PyTorch's defaults). */
export interface BatchNormOptions {
  /** Added to the variance before the square root (default 1e-5). */
  eps?: number;
  /**
   * Weight of the current batch in the running statistics (default 0.1):
   * running ← (1 − momentum)·running + momentum·batch. null: a cumulative average over batches.
   */
  momentum?: number | null;
  /** Learn a per-channel scale `weight` (ones) and shift `bias` (zeros) (default true). */
  affine?: boolean;
  /** dtype of the parameters and running statistics (default float32); the count stays int32. */
  dtype?: FloatDType;
}

/** The largest int32: where num_batches_tracked stops counting. */
const INT32_MAX = 2147483647;

function positiveInt(op: string, name: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ValueError(`${op}: ${name} must be a positive integer, got ${v}`);
}

function checkEps(op: string, eps: number): void {
  if (!(eps >= 0) || !Number.isFinite(eps)) throw new ValueError(`${op}: eps must be a finite number ≥ 0, got ${eps}`);
}

/**
 * The batch-normalisation procedure shared by BatchNorm1d and BatchNorm2d: normalise each channel
 * (axis 1) over every other axis with the batch's statistics in training mode (updating the
 * running ones), with the running statistics in evaluation mode.
 */
abstract class BatchNorm extends Module {
  /** Per-channel scale, or null without affine. */
  readonly weight: Variable | null;
  /** Per-channel shift, or null without affine. */
  readonly bias: Variable | null;
  /** Added to the variance. */
  readonly eps: number;
  /** Weight of the current batch in the running statistics; null for a cumulative average. */
  readonly momentum: number | null;

  protected constructor(
    private readonly op: string,
    readonly numFeatures: number,
    options: BatchNormOptions,
    private readonly ranks: readonly number[],
  ) {
    super();
    options = optionsOf(op, options, { eps: true, momentum: true, affine: true, dtype: true });
    positiveInt(op, 'numFeatures', numFeatures);
    this.eps = options.eps ?? 1e-5;
    checkEps(op, this.eps);
    const m = options.momentum === undefined ? 0.1 : options.momentum;
    if (m !== null && !(m >= 0 && m <= 1)) throw new ValueError(`${op}: momentum must be in [0, 1] or null, got ${m}`);
    this.momentum = m;
    const affine = options.affine ?? true;
    const dtype = layerDtype(op, options.dtype);
    this.weight = affine ? parameter(ones([numFeatures], dtype), 'weight') : null;
    this.bias = affine ? parameter(zeros([numFeatures], dtype), 'bias') : null;
    this.registerBuffer('running_mean', zeros([numFeatures], dtype));
    this.registerBuffer('running_var', ones([numFeatures], dtype));
    this.registerBuffer('num_batches_tracked', tensor(0, { dtype: 'int32' }));
  }

  forward(x: VariableLike): Variable {
    const v = asVariable(x);
    const { op } = this;
    if (!this.ranks.includes(v.rank) || v.shape[1] !== this.numFeatures) {
      throw new ShapeError(
        `${op}: input must be rank ${this.ranks.join(' or ')} with ${this.numFeatures} channels on axis 1, got ${fmtShape(v.shape)}`,
      );
    }
    const axes = v.shape.map((_, i) => i).filter((i) => i !== 1);
    const per = v.shape.map((d, i) => (i === 1 ? d : 1));
    let y: Variable;
    if (this.training) {
      const n = axes.reduce((a, i) => a * v.shape[i]!, 1);
      if (n < 2) throw new ValueError(`${op}: training needs more than one value per channel, got input ${fmtShape(v.shape)}`);
      const mean = v.mean(axes, true);
      const centred = v.sub(mean);
      const variance = centred.square().mean(axes, true);
      y = centred.div(variance.add(this.eps).sqrt());
      this.track(mean.value, variance.value, n);
    } else {
      const rm = this.buffer('running_mean').reshape(per);
      const rv = this.buffer('running_var').reshape(per);
      const sd = rv.add(this.eps).sqrt();
      y = v.sub(rm).div(sd);
      for (const t of [rm, rv, sd]) t.dispose();
    }
    if (this.weight && this.bias) y = y.mul(this.weight.reshape(per)).add(this.bias.reshape(per));
    return y;
  }

  /** The batch count, read for the cumulative average: something record() cannot replay. */
  private batchesTracked(count: Tensor): number {
    try {
      return count.item();
    } catch (e) {
      if (!(e instanceof StateError)) throw e;
      throw new StateError(
        `${this.op}: with momentum null (a cumulative average) each batch is weighed by 1/count, read in JavaScript, which record() cannot replay; give a momentum to record a training step`,
      );
    }
  }

  /** running ← (1 − m)·running + m·batch, the variance unbiased (n/(n − 1)), as PyTorch. */
  private track(mean: Tensor, variance: Tensor, n: number): void {
    noGrad(() => {
      const count = this.buffer('num_batches_tracked');
      // counted by a kernel, so a recorded training step (record()) counts on every replay; only
      // the cumulative average (momentum null) reads the count, to weigh the batch by 1/count.
      // The int32 count stops at 2^31 − 1 instead of wrapping negative (PyTorch counts in int64;
      // a cumulative average then weighs each further batch by 1/(2^31 − 1) instead of less).
      const below = lt(count, INT32_MAX);
      const counted = add(count, below);
      copyInto(count, counted);
      below.dispose();
      counted.dispose();
      const m = this.momentum ?? 1 / this.batchesTracked(count);
      const update = (name: string, batch: Tensor, scale: number) => {
        const running = this.buffer(name);
        const flat = batch.reshape([this.numFeatures]);
        const a = mul(running, 1 - m);
        const b = mul(flat, m * scale);
        const sum = add(a, b);
        // a batch of another dtype (a float64 input to a float32 layer) updates the statistics in theirs
        const next = sum.dtype === running.dtype ? sum : cast(sum, running.dtype);
        copyInto(running, next);
        for (const t of new Set([flat, a, b, sum, next])) t.dispose();
      };
      update('running_mean', mean, 1);
      update('running_var', variance, n / (n - 1));
    });
  }
}

/**
 * Batch normalisation over [N, C] or [N, C, L] (PyTorch's BatchNorm1d): per channel,
 * y = (x − mean)/√(var + eps)·weight + bias, with the batch's biased variance in training and
 * the running statistics (buffers `running_mean`, `running_var`, `num_batches_tracked`) in eval.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm1d(64);
 * bn.forward(randn([32, 64])); // normalised per feature; running statistics updated
 * ```
 */
export class BatchNorm1d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm1d', numFeatures, options, [2, 3]);
  }
}

/**
 * Batch normalisation over [N, C, H, W] (PyTorch's BatchNorm2d): per channel, over the batch
 * and both spatial axes.
 *
 * @example
 * ```ts
 * const bn = new BatchNorm2d(8);
 * bn.forward(randn([4, 8, 14, 14]));
 * ```
 */
export class BatchNorm2d extends BatchNorm {
  constructor(numFeatures: number, options: BatchNormOptions = {}) {
    super('BatchNorm2d', numFeatures, options, [4]);
  }
}

/** Options of LayerNorm (PyTorch's defaults). */
export interface LayerNormOptions {
  /** Added to the variance (default 1e-5). */
  eps?: number;
  /** Learn `weight` (ones) and `bias` (zeros) of normalizedShape (default true). */
  elementwiseAffine?: boolean;
  /** dtype of `weight` and `bias` (default float32). */
  dtype?: FloatDType;
}

/**
 * Layer normalisation (PyTorch's LayerNorm): each sample is normalised over its last
 * `normalizedShape.length` axes with its own mean and biased variance, then scaled and shifted.
 * No running statistics: training and evaluation compute the same thing.
 *
 * @example
 * ```ts
 * const ln = new LayerNorm(64);
 * ln.forward(randn([8, 10, 64])); // each of the 80 rows has mean 0, variance ≈ 1
 * ```
 */
export class LayerNorm extends Module {
  /** The trailing shape normalised over. */
  readonly normalizedShape: number[];
  /** Elementwise scale, or null. */
  readonly weight: Variable | null;
  /** Elementwise shift, or null. */
  readonly bias: Variable | null;
  /** Added to the variance. */
  readonly eps: number;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    options = optionsOf('LayerNorm', options, { eps: true, elementwiseAffine: true, dtype: true });
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (this.normalizedShape.length === 0) throw new ValueError('LayerNorm: normalizedShape must not be empty');
    for (const d of this.normalizedShape) positiveInt('LayerNorm', 'normalizedShape', d);
    this.eps = options.eps ?? 1e-5;
    checkEps('LayerNorm', this.eps);
    const affine = options.elementwiseAffine ?? true;
    const dtype = layerDtype('LayerNorm', options.dtype);
    this.weight = affine ? parameter(ones(this.normalizedShape, dtype), 'weight') : null;
    this.bias = affine ? parameter(zeros(this.normalizedShape, dtype), 'bias') : null;
  }

  forward(x: VariableLike): Variable {
    const v = asVariable(x);
    const k = this.normalizedShape.length;
    const tail = v.shape.slice(v.rank - k);
    if (v.rank < k || tail.join() !== this.normalizedShape.join()) {
      throw new ShapeError(`LayerNorm: input ${fmtShape(v.shape)} does not end in the normalized shape ${fmtShape(this.normalizedShape)}`);
    }
    // one fused kernel (and two for the gradient) where the composed form made nine passes
    return layerNorm(v, this.normalizedShape, { weight: this.weight, bias: this.bias, eps: this.eps });
  }
}

/**
 * A lookup table of `numEmbeddings` vectors of `embeddingDim` (PyTorch's Embedding, weight
 * initialised N(0, 1)): int32 indices of any shape → [...shape, embeddingDim]. Its weight
 * gradient adds up the gradients of every occurrence of an index.
 *
 * @example
 * ```ts
 * const emb = new Embedding(1000, 32);
 * emb.forward(tensor([[1, 5, 1]], { dtype: 'int32' })).shape; // [1, 3, 32]
 * ```
 */
export class Embedding extends Module {
  /** [numEmbeddings, embeddingDim]. */
  readonly weight: Variable;

  constructor(
    readonly numEmbeddings: number,
    readonly embeddingDim: number,
    options: { dtype?: FloatDType } = {},
  ) {
    super();
    options = optionsOf('Embedding', options, { dtype: true });
    positiveInt('Embedding', 'numEmbeddings', numEmbeddings);
    positiveInt('Embedding', 'embeddingDim', embeddingDim);
    const dtype = layerDtype('Embedding', options.dtype);
    this.weight = parameter(zeros([numEmbeddings, embeddingDim], dtype), 'weight');
    init.normal(this.weight, 0, 1);
  }

  /** Looks up int32 indices (a Tensor, or arrays of integers). */
  forward(indices: VariableLike): Variable {
    const idx =
      indices instanceof Tensor
        ? indices
        : indices instanceof Variable
          ? indices.value
          : tensor(indices as Exclude<TensorLike, Tensor>, { dtype: 'int32' });
    if (idx.dtype !== 'int32') throw new ValueError(`Embedding: indices must be int32, got ${idx.dtype}`);
    const vocab = this.numEmbeddings;
    valueCheck([idx], (ids) => {
      for (let i = 0; i < ids.length; i++) {
        const id = ids[i]!;
        if (id < 0 || id >= vocab) {
          throw new IndexError(
            `Embedding: index ${id} at flat position ${i} of indices [${idx.shape.join(',')}] is out of range for a vocabulary of ${vocab} (numEmbeddings); expected 0 ≤ index < ${vocab}`,
          );
        }
      }
    });
    const flat = idx.reshape([idx.size]);
    const rows = this.weight.gather(flat, 0);
    return rows.reshape([...idx.shape, this.embeddingDim]);
  }
}
