import type { Tensor } from '@gd/tensor';
import { conv2d, eye, keep, rand, randn, tensor, zeros } from '@gd/tensor';
import { maxPool2dWithIndices } from '@gd/tensor/grad';
import type { OpName, Variable } from '../src/index.js';
import { apply, concat, gruCell, layerNorm, linalg, linear, lstmCell, lstmSequence, opTable } from '../src/index.js';

let made: { mask: Tensor; ids: Tensor } | undefined;
/**
 * The int32 constants of the where and gather cases, made on the first call and kept: they
 * outlive every scope and are never counted as an op's allocation.
 */
export function constants(): { mask: Tensor; ids: Tensor } {
  made ??= keep({ mask: tensor([[1, 0, 1]], { dtype: 'int32' }), ids: tensor([2, 0, 2, 1], { dtype: 'int32' }) });
  return made;
}

// One case per op of the op table: a function of Variables and inputs that are safe for it
// (away from kinks and poles, where finite differences are meaningless). The shapes broadcast
// wherever the op broadcasts. The gradcheck and memory suites both run every case, and an op added
// to the table without a case here does not compile.
export type Case = { f: (...xs: Variable[]) => Variable; inputs: () => Tensor[] };
const pos = (shape: number[]) => rand(shape, { low: 0.5, high: 2 });
export const awayFromZero = (shape: number[]) => {
  const s = randn(shape).sign();
  return rand(shape, { low: 0.3, high: 1.5 }).mul(s.add(s.eq(0)));
};
const distinct = (shape: number[]) => {
  // distinct values spaced ≥ 0.1 apart, so max/min/maximum have no ties within ±eps; i ↦ 7919·i
  // mod n is a permutation of 0…n−1 (7919 is prime and no n here is a multiple of it)
  const n = shape.reduce((a, b) => a * b, 1);
  const perm = Array.from({ length: n }, (_, i) => ((i * 7919) % n) * 0.1 - n * 0.05);
  return tensor(perm).reshape(shape);
};

/** A batch of `batch` symmetric positive-definite n×n matrices: M·Mᵀ + 3I. */
const spd = (batch: number, n: number) => {
  const m = randn([batch, n, n]);
  return m.matmul(m, { transposeB: true }).add(eye(n).mul(3));
};

export const cases: Record<OpName, Case> = {
  add: { f: (a, b) => a.add(b), inputs: () => [randn([3, 4]), randn([4])] },
  sub: { f: (a, b) => a.sub(b), inputs: () => [randn([2, 1, 3]), randn([4, 1])] },
  mul: { f: (a, b) => a.mul(b), inputs: () => [randn([3, 1]), randn([1, 5])] },
  div: { f: (a, b) => a.div(b), inputs: () => [randn([2, 3]), awayFromZero([3])] },
  pow: { f: (a, b) => a.pow(b), inputs: () => [pos([2, 3]), rand([2, 3], { low: -1.5, high: 2.5 })] },
  squaredError: { f: (a, b) => a.squaredError(b, 0.25), inputs: () => [randn([3, 4]), randn([3, 4])] },
  maximum: { f: (a, b) => a.maximum(b), inputs: () => [distinct([2, 3]), distinct([3]).add(0.05)] },
  minimum: { f: (a, b) => a.minimum(b), inputs: () => [distinct([2, 3]), distinct([3]).add(0.05)] },
  neg: { f: (x) => x.neg(), inputs: () => [randn([5])] },
  abs: { f: (x) => x.abs(), inputs: () => [awayFromZero([2, 5])] },
  sqrt: { f: (x) => x.sqrt(), inputs: () => [pos([7])] },
  exp: { f: (x) => x.exp(), inputs: () => [randn([3, 3])] },
  log: { f: (x) => x.log(), inputs: () => [pos([3, 3])] },
  square: { f: (x) => x.square(), inputs: () => [randn([6])] },
  reciprocal: { f: (x) => x.reciprocal(), inputs: () => [pos([5])] },
  relu: { f: (x) => x.relu(), inputs: () => [awayFromZero([9])] },
  leakyRelu: { f: (x) => x.leakyRelu(0.1), inputs: () => [awayFromZero([9])] },
  gelu: { f: (x) => x.gelu(), inputs: () => [randn([9])] },
  lstmCell: { f: (xg, hg, c) => lstmCell(xg, hg, c), inputs: () => [randn([3, 12]), randn([3, 12]), randn([3, 3])] },
  // 4 steps of batch 3, hidden 3 (odd: the float32 kernels' scalar tail)
  lstmSequence: {
    f: (xg, whh, h0, c0) => lstmSequence(xg, whh, h0, c0),
    inputs: () => [randn([4, 3, 12]), randn([12, 3]).mul(0.5), randn([3, 3]), randn([3, 3])],
  },
  linear: { f: (x, w, b) => linear(x, w, b), inputs: () => [randn([2, 3, 4]), randn([5, 4]), randn([5])] },
  layerNorm: {
    f: (x, w, b) => layerNorm(x, [2, 3], { weight: w, bias: b, eps: 0.1 }),
    inputs: () => [randn([3, 2, 3]), randn([2, 3]), randn([2, 3])],
  },
  gruCell: { f: (xg, hg, h) => gruCell(xg, hg, h), inputs: () => [randn([3, 9]).mul(0.5), awayFromZero([3, 9]).mul(0.5), randn([3, 3])] },
  log1p: { f: (x) => x.log1p(), inputs: () => [rand([3, 4], { low: -0.5, high: 2 })] },
  expm1: { f: (x) => x.expm1(), inputs: () => [randn([3, 4])] },
  logSigmoid: { f: (x) => x.logSigmoid(), inputs: () => [randn([4, 5]).mul(3)] },
  softplus: { f: (x) => x.softplus(), inputs: () => [randn([4, 5]).mul(3)] },
  sigmoid: { f: (x) => x.sigmoid(), inputs: () => [randn([4, 5])] },
  tanh: { f: (x) => x.tanh(), inputs: () => [randn([4, 5])] },
  sin: { f: (x) => x.sin(), inputs: () => [randn([4, 5]).mul(2)] },
  cos: { f: (x) => x.cos(), inputs: () => [randn([4, 5]).mul(2)] },
  // away from the poles at ±π/2
  tan: { f: (x) => x.tan(), inputs: () => [rand([4, 5], { low: -1.2, high: 1.2 })] },
  erf: { f: (x) => x.erf(), inputs: () => [randn([4, 5])] },
  tril: { f: (x) => x.tril(-1), inputs: () => [randn([2, 4, 5])] },
  triu: { f: (x) => x.triu(1), inputs: () => [randn([2, 4, 5])] },
  maskedFill: { f: (x) => x.maskedFill(constants().mask, -3), inputs: () => [randn([2, 3])] },
  cumsum: { f: (x) => x.cumsum(-2), inputs: () => [randn([3, 4, 2])] },
  // distinct values, so the selection does not change within ±eps
  topk: {
    f: (x) => {
      const { values, indices } = x.topk(2, { axis: 1 });
      indices.dispose();
      return values;
    },
    inputs: () => [distinct([3, 4, 2])],
  },
  clamp: { f: (x) => x.clamp(-0.5, 0.5), inputs: () => [distinct([3, 4]).add(0.033)] },
  where: { f: (a, b) => a.where(constants().mask, b), inputs: () => [randn([2, 3]), randn([3])] },
  matmul: { f: (a, b) => a.matmul(b), inputs: () => [randn([2, 3, 4]), randn([4, 5])] },
  sum: { f: (x) => x.sum(1, true), inputs: () => [randn([3, 4, 2])] },
  mean: { f: (x) => x.mean([0, 2]), inputs: () => [randn([3, 4, 2])] },
  max: { f: (x) => x.max(1), inputs: () => [distinct([3, 5])] },
  min: { f: (x) => x.min(0), inputs: () => [distinct([3, 5])] },
  logSumExp: { f: (x) => x.logSumExp(-1), inputs: () => [randn([3, 6])] },
  softmax: { f: (x) => x.softmax(0), inputs: () => [randn([4, 3])] },
  logSoftmax: { f: (x) => x.logSoftmax(-1), inputs: () => [randn([3, 5])] },
  reshape: { f: (x) => x.reshape([6, -1]), inputs: () => [randn([2, 3, 4])] },
  transpose: { f: (x) => x.transpose([2, 0, 1]), inputs: () => [randn([2, 3, 4])] },
  broadcastTo: { f: (x) => x.broadcastTo([4, 3, 2]), inputs: () => [randn([3, 1])] },
  slice: { f: (x) => x.slice([1, -3], [2, 2]), inputs: () => [randn([4, 5])] },
  gather: { f: (x) => x.gather(constants().ids, 1), inputs: () => [randn([2, 3, 2])] },
  concat: { f: (a, b) => concat([a, b], 1), inputs: () => [randn([2, 3]), randn([2, 2])] },
  // a batch of two well-conditioned 3×3 systems (randn + 3I) sharing one B, broadcast
  solve: { f: (a, b) => linalg.solve(a, b), inputs: () => [randn([2, 3, 3]).add(eye(3).mul(3)), randn([3, 2])] },
  // symmetric positive-definite (M·Mᵀ + 3I) and exactly symmetric, so ±ε on any entry stays so
  cholesky: { f: (a) => linalg.cholesky(a), inputs: () => [spd(2, 3)] },
  conv2d: {
    f: (x, w, b) => x.conv2d(w, b, { stride: [2, 1], padding: [1, 2], dilation: [1, 2], groups: 2 }),
    inputs: () => [randn([2, 4, 5, 6]), randn([6, 2, 3, 2]), randn([6])],
  },
  convTranspose2d: {
    f: (x, w, b) => x.convTranspose2d(w, b, { stride: 2, padding: 1, outputPadding: [1, 0], groups: 2 }),
    inputs: () => [randn([2, 4, 3, 4]), randn([4, 3, 3, 2]), randn([6])],
  },
  maxPool2d: { f: (x) => x.maxPool2d([3, 2], { stride: [2, 1], padding: [1, 1] }), inputs: () => [distinct([2, 2, 5, 4])] },
  avgPool2d: { f: (x) => x.avgPool2d(3, { stride: 2, padding: 1 }), inputs: () => [randn([2, 2, 5, 6])] },
  adaptiveAvgPool2d: { f: (x) => x.adaptiveAvgPool2d([2, 3]), inputs: () => [randn([2, 3, 5, 7])] },
  // [B, T, H, E] operands (heads after positions), causal, L ≠ S
  scaledDotProductAttention: {
    f: (q, k, v) =>
      apply('scaledDotProductAttention', opTable.scaledDotProductAttention, [q, k, v], { scale: 0.6, isCausal: true, headsLast: true }),
    inputs: () => [randn([2, 3, 2, 4]), randn([2, 5, 2, 4]), randn([2, 5, 2, 3])],
  },
  softmaxCrossEntropy: {
    f: (x) => apply('softmaxCrossEntropy', opTable.softmaxCrossEntropy, [x], { targets: constants().ids }),
    inputs: () => [randn([4, 3])],
  },
  // the rules' helpers, called as the rules call them
  cast: { f: (x) => apply('cast', opTable.cast, [x], { dtype: x.dtype }), inputs: () => [randn([2, 3])] },
  sumTo: { f: (x) => apply('sumTo', opTable.sumTo, [x], { shape: [3, 1] }), inputs: () => [randn([2, 3, 4])] },
  padSlice: { f: (x) => apply('padSlice', opTable.padSlice, [x], { begin: [1, 2], shape: [4, 5] }), inputs: () => [randn([2, 2])] },
  scatterAdd: {
    f: (x) => apply('scatterAdd', opTable.scatterAdd, [x], { indices: constants().ids, axis: 1, shape: [2, 3, 2] }),
    inputs: () => [randn([2, 4, 2])],
  },
  conv2dBackwardInput: {
    f: (g, w) => apply('conv2dBackwardInput', opTable.conv2dBackwardInput, [g, w], { inputShape: [2, 4, 5, 6], options: CONV }),
    inputs: () => [randn(convOut()), randn([6, 2, 3, 2])],
  },
  conv2dBackwardWeight: {
    f: (x, g) => apply('conv2dBackwardWeight', opTable.conv2dBackwardWeight, [x, g], { weightShape: [6, 2, 3, 2], options: CONV }),
    inputs: () => [randn([2, 4, 5, 6]), randn(convOut())],
  },
  maxPool2dBackward: {
    f: (g) => apply('maxPool2dBackward', opTable.maxPool2dBackward, [g], { indices: poolIndices(), inputShape: [2, 2, 5, 4] }),
    inputs: () => [randn(poolIndices().shape as number[])],
  },
  maxPoolGather: {
    f: (x) => apply('maxPoolGather', opTable.maxPoolGather, [x], { indices: poolIndices() }),
    inputs: () => [randn([2, 2, 5, 4])],
  },
  avgPool2dBackward: {
    f: (g) =>
      apply('avgPool2dBackward', opTable.avgPool2dBackward, [g], {
        inputShape: [2, 2, 5, 6],
        kernelSize: 3,
        options: { stride: 2, padding: 1 },
      }),
    inputs: () => [randn([2, 2, 3, 3])],
  },
  adaptiveAvgPool2dBackward: {
    f: (g) => apply('adaptiveAvgPool2dBackward', opTable.adaptiveAvgPool2dBackward, [g], { inputShape: [2, 3, 5, 7] }),
    inputs: () => [randn([2, 3, 2, 3])],
  },
};

/** The conv2d case's options, shared by its two gradient helpers. */
const CONV = { stride: [2, 1] as [number, number], padding: [1, 2] as [number, number], dilation: [1, 2] as [number, number], groups: 2 };
/** The output shape of conv2d with CONV on [2, 4, 5, 6] by [6, 2, 3, 2]. */
function convOut(): number[] {
  return [...conv2d(zeros([2, 4, 5, 6]), zeros([6, 2, 3, 2]), undefined, CONV).shape];
}
let pool: Tensor | undefined;
/** The first-maximum positions of the maxPool2d case's windows (kept, like constants()). */
function poolIndices(): Tensor {
  pool ??= keep(maxPool2dWithIndices(distinct([2, 2, 5, 4]), [3, 2], { stride: [2, 1], padding: [1, 1] }).indices);
  return pool;
}
