// Classification losses: cross-entropy in its multi-class and binary forms (docs/tutorial.md §1.2, with
// the erratum: these are two cases of one idea, not one equality), NLL and KL divergence.
import { apply, asVariable, opTable, type Variable, type VariableLike } from '@gd/autograd';
import {
  arange,
  checkOptions,
  DTypeError,
  IndexError,
  ShapeError,
  Tensor,
  type TensorLike,
  tensor,
  ValueError,
  valueCheck,
} from '@gd/tensor';
import { overClassAxis } from './class-axis.js';
import { dispatch, inRange, type Loss, type LossOptions, reduce, sameShape } from './common.js';

// log p clamped below at −100 as PyTorch's BCELoss does, so p = 0 or 1 gives a finite loss and
// gradient: p is first clamped to the smallest positive float32, where log's gradient is finite.
const TINY = 1.401298464324817e-45;
function clampedLog(p: Variable): Variable {
  return p.clamp(TINY, 1).log().maximum(-100);
}

/** Options of the binary cross-entropies. */
export interface BinaryOptions extends LossOptions {
  /** A rescaling weight per element (broadcast to the input). */
  weight?: TensorLike;
}

/**
 * Binary cross-entropy on probabilities: −(y log p + (1 − y) log(1 − p)), with the logs
 * clamped at −100 (PyTorch), so p exactly 0 or 1 stays finite. p and y must lie in [0, 1].
 *
 * @example
 * ```ts
 * binaryCrossEntropy(tensor([0.9, 0.2]), tensor([1, 0])).item(); // (−ln 0.9 − ln 0.8) / 2
 * ```
 */
export const binaryCrossEntropy: Loss<BinaryOptions> = ((input: VariableLike, target: VariableLike, options: BinaryOptions = {}) => {
  checkOptions('binaryCrossEntropy', options, ['reduction', 'weight']);
  return dispatch([input, target], (p, y) => {
    const op = 'binaryCrossEntropy';
    sameShape(op, p!, y!);
    inRange(op, 'probability', p!.value, 0, 1);
    inRange(op, 'target', y!.value, 0, 1);
    const l = y!
      .mul(clampedLog(p!))
      .add(
        y!
          .neg()
          .add(1)
          .mul(clampedLog(p!.neg().add(1))),
      )
      .neg();
    return reduce(op, options.weight === undefined ? l : l.mul(options.weight), options.reduction);
  });
}) as Loss<BinaryOptions>;

/** Options of binaryCrossEntropyWithLogits. */
export interface LogitsOptions extends BinaryOptions {
  /** Weight of the positive class, per class (broadcast along the last axis). */
  posWeight?: TensorLike;
}

/**
 * Binary cross-entropy from logits x, stable for any x: softplus(x) − x·y, where
 * softplus(x) = log(1 + eˣ) is computed without overflow. With posWeight p:
 * (1 − y)·x + (1 + (p − 1)·y)·softplus(−x), as PyTorch.
 *
 * @example
 * ```ts
 * binaryCrossEntropyWithLogits(tensor([1e4, -1e4]), tensor([1, 0])).item(); // 0
 * ```
 */
export const binaryCrossEntropyWithLogits: Loss<LogitsOptions> = ((
  input: VariableLike,
  target: VariableLike,
  options: LogitsOptions = {},
) => {
  checkOptions('binaryCrossEntropyWithLogits', options, ['reduction', 'weight', 'posWeight']);
  return dispatch([input, target], (x, y) => {
    const op = 'binaryCrossEntropyWithLogits';
    sameShape(op, x!, y!);
    inRange(op, 'target', y!.value, 0, 1);
    let l: Variable;
    if (options.posWeight === undefined) {
      l = x!.softplus().sub(x!.mul(y!));
    } else {
      const pw = asVariable(options.posWeight);
      const scale = pw.sub(1).mul(y!).add(1);
      l = y!.neg().add(1).mul(x!).add(scale.mul(x!.neg().softplus()));
    }
    return reduce(op, options.weight === undefined ? l : l.mul(options.weight), options.reduction);
  });
}) as Loss<LogitsOptions>;

/** Options of crossEntropy and nllLoss. */
export interface CrossEntropyOptions extends LossOptions {
  /** A weight per class, length C. */
  weight?: TensorLike;
  /** Mixes the target with the uniform distribution: (1 − ε)·target + ε/C. Default 0. */
  labelSmoothing?: number;
}

/** Splits [N, C] / [C] inputs and checks int class ids; returns the one-hot targets [N, C]. */
function checkClassIds(op: string, x: Variable, y: Variable): { n: number; c: number } {
  if (x.rank < 1 || x.rank > 2) throw new ShapeError(`${op}: input must be [C] or [N, C], got [${x.shape.join(',')}]`);
  const c = x.shape[x.rank - 1]!;
  const n = x.rank === 2 ? x.shape[0]! : 1;
  if (y.value.dtype !== 'int32') throw new DTypeError(`${op}: class-id targets must be int32, got ${y.value.dtype}`);
  if (y.size !== n || y.rank !== x.rank - 1) {
    throw new ShapeError(
      `${op}: targets [${y.shape.join(',')}] do not match input [${x.shape.join(',')}] (expected [${x.rank === 2 ? n : ''}])`,
    );
  }
  valueCheck([y.value], (ids) => {
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! < 0 || ids[i]! >= c) throw new IndexError(`${op}: class id ${ids[i]} at position ${i} is out of range for ${c} classes`);
    }
  });
  return { n, c };
}

/**
 * Each sample's entry of `x` ([C] or [N, C]) at its class id: one gather from the flattened
 * input at i·C + y_i (kernels, so a recorded step replays it for new labels). A product with a
 * one-hot mask would touch all N·C entries, and give 0·(−∞) = NaN beside a masked logit.
 */
function atClassIds(x: Variable, y: Variable, n: number, c: number): Variable {
  const flat = y.value.reshape([n]).add(arange(n).mul(c));
  const picked = x.reshape([n * c]).gather(flat, 0);
  return x.rank === 2 ? picked : picked.reshape([]);
}

function classWeights(op: string, weight: TensorLike | undefined, c: number): Variable | undefined {
  if (weight === undefined) return undefined;
  const w = asVariable(weight);
  if (w.rank !== 1 || w.size !== c) throw new ShapeError(`${op}: weight must have shape [${c}], got [${w.shape.join(',')}]`);
  return w;
}

function floatIdsMessage(op: string, x: Variable, y: Variable): string {
  return (
    `${op}: targets [${y.shape.join(',')}] ${y.value.dtype} have the shape of class ids for input [${x.shape.join(',')}], and class ids must be int32; ` +
    `pass tensor(ids, { dtype: 'int32' }) or labels.cast('int32') (probability targets have the input's shape [${x.shape.join(',')}])`
  );
}

/** Nesting depth of JS data (0 for a number), or -1 for what is not plain JS data. */
function depthOf(x: unknown): number {
  let d = 0;
  for (let v = x; Array.isArray(v); v = v[0]) d++;
  return typeof x === 'number' || Array.isArray(x) ? d : -1;
}

function allIntegers(x: unknown): boolean {
  return Array.isArray(x) ? x.every(allIntegers) : Number.isInteger(x);
}

/** The rank of an input given as a Tensor, a Variable or JS data. */
function rankOf(x: unknown): number {
  return x instanceof Tensor ? x.rank : x !== null && typeof x === 'object' && 'rank' in x ? (x as Variable).rank : depthOf(x);
}

/**
 * Plain JS labels — integers, one per sample — are class ids, as `torch.tensor([0, 2, 1])` is
 * int64: they become an int32 tensor (freed after the loss), not float probabilities.
 */
function withClassIds<R>(input: VariableLike, target: VariableLike, body: (target: VariableLike) => R): R {
  const d = depthOf(target);
  if (d < 0 || d !== rankOf(input) - 1 || !allIntegers(target)) return body(target);
  const ids = tensor(target as number | number[], { dtype: 'int32' });
  try {
    return body(ids);
  } finally {
    ids.dispose();
  }
}

/**
 * Weighted negative log-likelihood of log-probabilities, as PyTorch: per sample
 * (1 − ε)·(−w_y log p_y) + ε·(−Σ_c w_c log p_c / C); 'mean' divides by Σ w_y over the batch.
 */
function nllFromLogProbs(op: string, logp: Variable, y: Variable, options: CrossEntropyOptions): Variable {
  const c = logp.shape[logp.rank - 1]!;
  const eps = options.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) throw new ValueError(`${op}: labelSmoothing must be in [0, 1], got ${eps}`);
  const w = classWeights(op, options.weight, c);
  const classAxis = logp.rank - 1;
  if (y.value.dtype === 'int32') {
    const { n } = checkClassIds(op, logp, y);
    // the target's log p, picked: a masked logit (−∞) of another class is never touched, and
    // its gradient is 0, as in PyTorch
    const picked = atClassIds(logp, y, n, c);
    // the weight of each sample's class
    const wy = w ? w.gather(y.value.reshape([n]), 0).reshape(picked.shape) : undefined;
    let l = (wy ? picked.mul(wy) : picked).neg();
    if (eps > 0) l = l.mul(1 - eps).add((w ? logp.mul(w) : logp).sum(classAxis).mul(-eps / c));
    const reduction = options.reduction ?? 'mean';
    if (reduction === 'mean' && wy) return l.sum().div(wy.sum());
    return reduce(op, l, reduction);
  }
  // probabilities — unless the shape says class ids, one per sample, which must be int32
  if (y.rank === logp.rank - 1) throw new DTypeError(floatIdsMessage(op, logp, y));
  sameShape(op, logp, y, 'target probabilities');
  inRange(op, 'target probability', y.value, 0, 1);
  const q = eps > 0 ? y.mul(1 - eps).add(eps / c) : y;
  const wl = w ? logp.mul(w) : logp;
  const l = q.mul(wl).sum(classAxis).neg();
  return reduce(op, l, options.reduction);
}

/**
 * Cross-entropy of logits at int32 class ids, without class weights, fused: one op computes each
 * row's log-sum-exp and loss in one pass over the logits, and its gradient
 * (softmax(x) − onehot(y))·g in one pass more, with no [N, C] log-probabilities held. With label
 * smoothing ε, per sample (1 − ε)·(lse − xᵧ) + ε·(lse − Σ_c x_c / C), PyTorch's value.
 */
function fusedCrossEntropy(op: string, x: Variable, y: Variable, eps: number, reduction: CrossEntropyOptions['reduction']): Variable {
  const { n, c } = checkClassIds(op, x, y);
  // a handle of its own on the ids' memory: the graph keeps it for the backward, after a caller
  // may have disposed its own (plain JS labels, made into a tensor for the loss alone)
  const targets = y.value.reshape([n]);
  const out = apply('softmaxCrossEntropy', opTable.softmaxCrossEntropy, [x.rank === 2 ? x : x.reshape([1, c])], { targets });
  const shape = x.rank === 2 ? [n] : [];
  let l = out.slice([0, 0], [1, n]).reshape(shape);
  if (eps > 0) {
    const lse = out.slice([1, 0], [1, n]).reshape(shape);
    l = l.mul(1 - eps).add(lse.sub(x.mean(-1)).mul(eps));
  }
  return reduce(op, l, reduction);
}

/**
 * Cross-entropy from logits (docs/tutorial.md §1.2: H(Y, Ŷ) = −Σ Yᵢ log Ŷᵢ with Ŷ = softmax(logits)),
 * computed from log-softmax so no probability is ever exponentiated into 0. Targets are int32
 * class ids ([N] for [N, C] logits) or probabilities of the logits' shape. At class ids without a
 * class weight, one fused op computes each row's log Σ exp and the loss lse − xᵧ in one pass over
 * the logits and the gradient in one more (split across threads on large batches). As PyTorch's; plain JS
 * integer labels of the class-id shape (`[0, 2, 1]`) are class ids, and float tensors of that
 * shape are a DTypeError that says class ids must be int32.
 * The classes may also sit on axis 1 of [N, C, d1, …] logits, with [N, d1, …] class ids (per pixel, per token).
 *
 * @example
 * ```ts
 * crossEntropy(tensor([[2, 0, 0]]), tensor([0], { dtype: 'int32' })).item(); // −log softmax(…)₀ ≈ 0.2395
 * ```
 */
export const crossEntropy: Loss<CrossEntropyOptions> = ((input: VariableLike, target: VariableLike, options: CrossEntropyOptions = {}) => {
  checkOptions('crossEntropy', options, ['reduction', 'weight', 'labelSmoothing']);
  return withClassIds(input, target, (t) =>
    dispatch([input, t], (x, y) =>
      overClassAxis('crossEntropy', x!, y!, options.reduction, (x2, y2) => {
        const eps = options.labelSmoothing ?? 0;
        // int32 class ids without class weights: the fused op (anything else, or a bad ε, the general path)
        if (y2.value.dtype === 'int32' && options.weight === undefined && typeof eps === 'number' && eps >= 0 && eps <= 1) {
          return fusedCrossEntropy('crossEntropy', x2, y2, eps, options.reduction);
        }
        return nllFromLogProbs('crossEntropy', x2.logSoftmax(-1), y2, options);
      }),
    ),
  );
}) as Loss<CrossEntropyOptions>;

/**
 * Negative log-likelihood of log-probabilities (e.g. a logSoftmax output) at int32 class ids:
 * [N, C] with [N] ids, or [N, C, d1, …] (classes on axis 1) with [N, d1, …] ids, as PyTorch.
 *
 * @example
 * ```ts
 * nllLoss(tensor([[-0.1, -2.4]]), tensor([1], { dtype: 'int32' })).item(); // 2.4
 * ```
 */
export const nllLoss: Loss<Omit<CrossEntropyOptions, 'labelSmoothing'>> = ((
  input: VariableLike,
  target: VariableLike,
  options: CrossEntropyOptions = {},
) => {
  checkOptions('nllLoss', options, ['reduction', 'weight']);
  return withClassIds(input, target, (t) =>
    dispatch([input, t], (x, y) => {
      if (y!.value.dtype !== 'int32') {
        throw new DTypeError(
          y!.rank === x!.rank - 1
            ? floatIdsMessage('nllLoss', x!, y!)
            : `nllLoss: targets must be int32 class ids, got ${y!.value.dtype} [${y!.shape.join(',')}] for input [${x!.shape.join(',')}]`,
        );
      }
      return overClassAxis('nllLoss', x!, y!, options.reduction, (x2, y2) =>
        nllFromLogProbs('nllLoss', x2, y2, { ...options, labelSmoothing: 0 }),
      );
    }),
  );
}) as Loss<CrossEntropyOptions>;

/** Options of klDivergence. */
export interface KLOptions {
  /** 'mean' (over all elements, default), 'batchmean' (over the first axis), 'sum' or 'none'. */
  reduction?: 'mean' | 'batchmean' | 'sum' | 'none';
  /** The target is given as log-probabilities. Default false. */
  logTarget?: boolean;
}

/**
 * KL divergence as PyTorch's KLDivLoss: input is log q, target is p (or log p); per element
 * p·(log p − log q), with 0·log 0 = 0.
 *
 * @example
 * ```ts
 * klDivergence(tensor([0.5, 0.5]).log(), tensor([0.5, 0.5]), { reduction: 'sum' }).item(); // 0
 * ```
 */
export const klDivergence: Loss<KLOptions> = ((input: VariableLike, target: VariableLike, options: KLOptions = {}) => {
  checkOptions('klDivergence', options, ['reduction', 'logTarget']);
  return dispatch([input, target], (logq, y) => {
    const op = 'klDivergence';
    sameShape(op, logq!, y!);
    let l: Variable;
    if (options.logTarget) {
      l = y!.exp().mul(y!.sub(logq!));
    } else {
      const positive = y!.value.gt(0);
      const logp = y!.where(positive, 1).log();
      l = y!.mul(logp.sub(logq!)).where(positive, 0);
    }
    const reduction = options.reduction ?? 'mean';
    if (reduction === 'batchmean') return l.sum().div(logq!.rank > 0 ? logq!.shape[0]! : 1);
    return reduce(op, l, reduction);
  });
}) as Loss<KLOptions>;
