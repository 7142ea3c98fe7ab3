// The op registry: every differentiable op declared once — its forward on tensors, its gradient
// rule (the vector–Jacobian product), and, for the elementwise ones, the method it becomes.
// `g` is the upstream gradient ∂L/∂y; each rule returns ∂L/∂input.
//
// A rule is written once, against `F` (GradOps): on the fast path F computes on plain Tensors with
// the fused first-order kernels of @gd/tensor/grad; with `createGraph` F records differentiable
// ops, so the gradient has a graph of its own and derivatives of any order come from the same
// rules. The linear helpers the rules use (sumTo, padSlice, scatter-add, the convolution and
// pooling adjoints) are ops of this table too, each with its adjoint as its rule.

import type { Tensor } from '@gd/tensor';
import * as T from '@gd/tensor';
import * as G from '@gd/tensor/grad';
/**
 * A value a gradient rule computes with: a Tensor on the fast path, a Variable with createGraph.
 * Rules read only its shape and dtype and hand it to GradOps.
 */
export interface Val {
  readonly shape: readonly number[];
  readonly dtype: T.DType;
  readonly size: number;
  readonly rank: number;
}

/** What a gradient rule sees: the forward inputs, output and attributes. */
export interface OpContext<A> {
  /** Which inputs need a gradient (the rest may return null and skip the work). */
  needs: boolean[];
  /** The inputs (Variables when the gradient records a graph, else their values). */
  inputs: Val[];
  /** The output (the op's own Variable when the gradient records a graph, else its value). */
  output: Val;
  /** The inputs' values, for constants such as masks. */
  values: Tensor[];
  /** The output's value. */
  outputValue: Tensor;
  attrs: A;
  /** True when the gradient records a graph (createGraph). */
  graph: boolean;
}

/** The vector–Jacobian product of one op: the upstream gradient → one gradient per input. */
export type GradRule<A> = (g: Val, ctx: OpContext<A>, F: GradOps) => Array<Val | null>;

/** A differentiable op: forward on tensors, its vector–Jacobian product, and its ONNX form. */
export interface OpSpec<A = Record<string, never>> {
  /** Number of inputs (−1: any). */
  arity: number;
  /** The forward computation on the input values. */
  forward(inputs: Tensor[], attrs: A): Tensor;
  /** The vector–Jacobian product, written against F so that it is differentiable itself. */
  backward: GradRule<A>;
  /**
   * How ONNX export (@gd/nn/onnx) writes the op: the name of the ONNX operator that computes it
   * from the same inputs, or a function that builds its nodes. Absent: the exporter's own table.
   */
  onnx?: OnnxLowering<A>;
}

/** An ONNX attribute value: an int, ints, a string, or a float (`{ float: x }`). */
export type OnnxAttribute = number | number[] | string | { float: number };

/** What an op's ONNX lowering builds with (the exporter supplies it). */
export interface OnnxBuilder {
  /** The target operator set. */
  readonly opset: number;
  /** Adds a node `op(inputs)` and returns the name of its output. */
  node(op: string, inputs: string[], attributes?: Record<string, OnnxAttribute>): string;
  /** A scalar constant of the graph's float dtype. */
  scalar(value: number): string;
}

/**
 * An op in ONNX: the operator that computes it from the op's inputs (no attributes), or a function
 * from the inputs' value names and the op's attributes to the output's name.
 */
export type OnnxLowering<A> = string | ((cx: OnnxBuilder, inputs: string[], attrs: A) => string);

/**
 * The operations gradient rules are written in. Two implementations: on Tensors (with the fused
 * first-order kernels) and on Variables (recording, so the result can be differentiated again).
 */
export interface GradOps {
  /** a + b. */
  add(a: Val, b: Val | number): Val;
  /** a − b. */
  sub(a: Val, b: Val | number): Val;
  /** a · b. */
  mul(a: Val, b: Val | number): Val;
  /** a / b. */
  div(a: Val, b: Val | number): Val;
  /** −a. */
  neg(a: Val): Val;
  /** eᵃ. */
  exp(a: Val): Val;
  /** ln a. */
  log(a: Val): Val;
  /** a². */
  square(a: Val): Val;
  /** aᵇ. */
  pow(a: Val, b: Val | number): Val;
  /** σ(a). */
  sigmoid(a: Val): Val;
  /** The value in another dtype (a gradient takes its input's dtype). */
  cast(a: Val, dtype: T.DType): Val;
  /** cond ? a : b with a constant condition. */
  where(cond: Tensor, a: Val | number, b: Val | number): Val;
  /** Σ over axes. */
  sum(a: Val, axis: number | number[] | undefined, keepDims: boolean): Val;
  /** The same data in another shape. */
  reshape(a: Val, shape: readonly number[]): Val;
  /** a broadcast to `shape`. */
  broadcastTo(a: Val, shape: readonly number[]): Val;
  /** Axes permuted. */
  transpose(a: Val, perm: number[]): Val;
  /** The block at `begin` of `size`. */
  slice(a: Val, begin: number[], size: number[]): Val;
  /** Entries along `axis` at `indices`. */
  gather(a: Val, indices: Tensor, axis: number): Val;
  /** The matrix product. */
  matmul(a: Val, b: Val, options: T.MatmulOptions): Val;
  /** X = A⁻¹B for A [..., n, n] and B [..., n, k] (linalg.solve, itself differentiable). */
  solve(a: Val, b: Val): Val;
  /** 2-D convolution (no bias). */
  conv2d(x: Val, w: Val, options: T.Conv2dOptions): Val;
  /** 2-D average pooling. */
  avgPool2d(x: Val, kernelSize: T.Size2d, options: T.Pool2dOptions): Val;
  /** Adaptive average pooling. */
  adaptiveAvgPool2d(x: Val, outputSize: T.Size2d): Val;
  /** The adjoint of broadcasting: sums over the broadcast axes back to `shape`. */
  sumTo(g: Val, shape: readonly number[]): Val;
  /** The adjoint of slice: g written into zeros of `shape` at `begin`. */
  padSlice(g: Val, begin: number[], shape: readonly number[]): Val;
  /** The adjoint of gather: g scattered (added) back to `shape`. */
  scatterAdd(g: Val, indices: Tensor, axis: number, shape: readonly number[]): Val;
  /** g·relu′(x). */
  reluBackward(g: Val, x: Val, xv: Tensor): Val;
  /** g·gelu′(x) for the GELU form given (exact, or the tanh form). */
  geluBackward(g: Val, x: Val, approximate: 'none' | 'tanh'): Val;
  /** sin(a). */
  sin(a: Val): Val;
  /** cos(a). */
  cos(a: Val): Val;
  /** The lower (upper = false) or upper triangle of the last two axes about diagonal k. */
  triangle(a: Val, k: number, upper: boolean): Val;
  /** Running sums of a along `axis`. */
  cumsum(a: Val, axis: number): Val;
  /** g·σ′ from σ's output y. */
  sigmoidBackward(g: Val, y: Val): Val;
  /** g·tanh′ from tanh's output y. */
  tanhBackward(g: Val, y: Val): Val;
  /** Stable softmax along `axis`. */
  softmax(a: Val, axis: number): Val;
  /**
   * The gradients of fused attention (scaledDotProductAttention): FlashAttention-2's fused kernel
   * on the fast path, the composed form (composedAttentionBackward) with a graph.
   */
  attentionBackward(g: Val, ctx: OpContext<AttentionAttrs>): Array<Val | null>;
  /**
   * The gradients of layerNorm (x, then weight and bias when given): two fused kernels on the fast
   * path, the composed form (composedLayerNormBackward) with a graph.
   */
  layerNormBackward(g: Val, ctx: OpContext<LayerNormAttrs>): Array<Val | null>;
  /**
   * lstmCell's vector–Jacobian product from its inputs and output y: the gradient of the gate
   * pre-activations xg + hg, and of c.
   */
  lstmCellBackward(g: Val, xg: Val, hg: Val, c: Val, y: Val): [Val, Val];
  /** gruCell's vector–Jacobian product: the gradients of xg, hg and h. */
  gruCellBackward(g: Val, xg: Val, hg: Val, h: Val): [Val, Val, Val];
  /**
   * softmaxCrossEntropy's vector–Jacobian product from the logits x, the class ids, the op's
   * output y [2, N] (loss, lse) and g [2, N]: the fused kernel on the fast path, composed of
   * differentiable ops with a graph.
   */
  softmaxCrossEntropyBackward(g: Val, x: Val, targets: Tensor, y: Val): Val;
  /**
   * lstmSequence's vector–Jacobian product (backpropagation through time): the fused
   * T.lstmSequenceBackward on the fast path, the composed form (composedLstmSequenceBackward)
   * with a graph.
   */
  lstmSequenceBackward(g: Val, ctx: OpContext<{ reverse: boolean }>): Array<Val | null>;
  /** The values joined along `axis`. */
  concat(xs: Val[], axis: number): Val;
  /** The softmax (or log-softmax) vector–Jacobian product from its output y. */
  softmaxBackward(y: Val, g: Val, axis: number, log: boolean): Val;
  /** conv2d's input gradient (a transposed convolution of g with w). */
  conv2dBackwardInput(g: Val, w: Val, inputShape: readonly number[], options: T.Conv2dOptions): Val;
  /** conv2d's weight gradient from its input x and g. */
  conv2dBackwardWeight(x: Val, g: Val, weightShape: readonly number[], options: T.Conv2dOptions): Val;
  /** Max pooling's gradient: g scattered to the positions `indices`. */
  maxPool2dBackward(g: Val, indices: Tensor, inputShape: readonly number[]): Val;
  /** Picks the maximum-pool positions `indices` (per plane) of x: the adjoint of maxPool2dBackward. */
  maxPoolGather(x: Val, indices: Tensor): Val;
  /** Average pooling's gradient. */
  avgPool2dBackward(g: Val, inputShape: readonly number[], kernelSize: T.Size2d, options: T.Pool2dOptions): Val;
  /** Adaptive average pooling's gradient. */
  adaptiveAvgPool2dBackward(g: Val, inputShape: readonly number[]): Val;
}

function defineOp<A = Record<string, never>>(spec: OpSpec<A>): OpSpec<A> {
  return spec;
}

const sameShape = (a: readonly number[], b: readonly number[]) => a.length === b.length && a.every((d, i) => d === b[i]);

/** F's result summed back to an input's shape (broadcasting inputs). */
const toShape = (F: GradOps, x: Val, shape: readonly number[]) => (sameShape(x.shape, shape) ? x : F.sumTo(x, shape));

/** The elementwise ops of two operands, with broadcasting: each is a Variable method `a.op(b)` too. */
export const binaryOps = {
  /** this + b. */
  add: defineOp({
    arity: 2,
    forward: ([a, b]) => T.add(a!, b!),
    backward: (g, { inputs: [a, b], needs }, F) => [needs[0] ? toShape(F, g, a!.shape) : null, needs[1] ? toShape(F, g, b!.shape) : null],
    onnx: 'Add',
  }),
  /** this − b. */
  sub: defineOp({
    arity: 2,
    forward: ([a, b]) => T.sub(a!, b!),
    backward: (g, { inputs: [a, b], needs }, F) => [
      needs[0] ? toShape(F, g, a!.shape) : null,
      needs[1] ? toShape(F, F.neg(g), b!.shape) : null,
    ],
    onnx: 'Sub',
  }),
  /** this · b. */
  mul: defineOp({
    arity: 2,
    forward: ([a, b]) => T.mul(a!, b!),
    // d(ab)/da = b, d(ab)/db = a
    backward: (g, { inputs: [a, b], needs }, F) => [
      needs[0] ? toShape(F, F.mul(g, b!), a!.shape) : null,
      needs[1] ? toShape(F, F.mul(g, a!), b!.shape) : null,
    ],
    onnx: 'Mul',
  }),
  /** this / b. */
  div: defineOp({
    arity: 2,
    forward: ([a, b]) => T.div(a!, b!),
    // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −(g/b)·y
    backward: (g, { inputs: [a, b], output: y, needs }, F) => {
      const gb = F.div(g, b!);
      return [needs[0] ? toShape(F, gb, a!.shape) : null, needs[1] ? toShape(F, F.neg(F.mul(gb, y)), b!.shape) : null];
    },
    onnx: 'Div',
  }),
  /** this ** b. */
  pow: defineOp({
    arity: 2,
    forward: ([a, b]) => T.pow(a!, b!),
    // d(aᵇ)/da = b·aᵇ⁻¹; d(aᵇ)/db = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (as PyTorch)
    backward: (g, { inputs: [a, b], output: y, values: [av, bv], needs }, F) => [
      needs[0] ? toShape(F, F.mul(F.mul(g, b!), F.pow(a!, F.sub(b!, 1))), a!.shape) : null,
      needs[1] ? toShape(F, F.where(T.mul(T.eq(av!, 0), T.ge(bv!, 0)), 0, F.mul(F.mul(g, y), F.log(a!))), b!.shape) : null,
    ],
    onnx: 'Pow',
  }),
  /** Elementwise maximum (ties share the gradient). */
  maximum: defineOp({
    arity: 2,
    forward: ([a, b]) => T.maximum(a!, b!),
    // the gradient goes to the larger input; ties share it equally (as PyTorch)
    backward: (g, ctx, F) => tieSplit(g, ctx, T.gt(ctx.values[0]!, ctx.values[1]!), F),
    onnx: 'Max',
  }),
  /** Elementwise minimum (ties share the gradient). */
  minimum: defineOp({
    arity: 2,
    forward: ([a, b]) => T.minimum(a!, b!),
    backward: (g, ctx, F) => tieSplit(g, ctx, T.lt(ctx.values[0]!, ctx.values[1]!), F),
    onnx: 'Min',
  }),
};

/** The elementwise ops of one input and no attributes: each is a Variable method `x.op()` too. */
export const unaryOps = {
  /** −this. */
  neg: defineOp({ arity: 1, forward: ([x]) => T.neg(x!), backward: (g, _, F) => [F.neg(g)], onnx: 'Neg' }),
  /** |this| (subgradient 0 at 0). */
  abs: defineOp({
    arity: 1,
    forward: ([x]) => T.abs(x!),
    // subgradient sign(x): 0 at x = 0
    backward: (g, { values: [x] }, F) => [F.mul(g, T.sign(x!))],
    onnx: 'Abs',
  }),
  /** √this. */
  sqrt: defineOp({
    arity: 1,
    forward: ([x]) => T.sqrt(x!),
    // d√x/dx = 1/(2√x)
    backward: (g, { output: y }, F) => [F.mul(F.div(g, y), 0.5)],
    onnx: 'Sqrt',
  }),
  /** e^this. */
  exp: defineOp({ arity: 1, forward: ([x]) => T.exp(x!), backward: (g, { output: y }, F) => [F.mul(g, y)], onnx: 'Exp' }),
  /** ln this. */
  log: defineOp({ arity: 1, forward: ([x]) => T.log(x!), backward: (g, { inputs: [x] }, F) => [F.div(g, x!)], onnx: 'Log' }),
  /** this². */
  square: defineOp({
    arity: 1,
    forward: ([x]) => T.square(x!),
    backward: (g, { inputs: [x] }, F) => [F.mul(F.mul(g, x!), 2)],
    onnx: (cx, [x]) => cx.node('Mul', [x!, x!]),
  }),
  /** 1 / this. */
  reciprocal: defineOp({
    arity: 1,
    forward: ([x]) => T.reciprocal(x!),
    // d(1/x)/dx = −1/x² = −y²
    backward: (g, { output: y }, F) => [F.neg(F.mul(g, F.square(y)))],
    onnx: 'Reciprocal',
  }),
  /** max(this, 0) (subgradient 0 at 0). */
  relu: defineOp({
    arity: 1,
    forward: ([x]) => T.relu(x!),
    // subgradient 0 at x = 0
    backward: (g, { inputs: [x], values: [xv] }, F) => [F.reluBackward(g, x!, xv!)],
    onnx: 'Relu',
  }),
  /** ln(1 + this), accurate for small values. */
  log1p: defineOp({
    arity: 1,
    forward: ([x]) => T.log1p(x!),
    // d/dx ln(1 + x) = 1/(1 + x)
    backward: (g, { inputs: [x] }, F) => [F.div(g, F.add(x!, 1))],
    onnx: (cx, [x]) => cx.node('Log', [cx.node('Add', [x!, cx.scalar(1)])]),
  }),
  /** e^this − 1, accurate for small values. */
  expm1: defineOp({
    arity: 1,
    forward: ([x]) => T.expm1(x!),
    // d/dx (eˣ − 1) = eˣ = y + 1
    backward: (g, { output: y }, F) => [F.mul(g, F.add(y, 1))],
    onnx: (cx, [x]) => cx.node('Sub', [cx.node('Exp', [x!]), cx.scalar(1)]),
  }),
  /** ln σ(this), stable; its gradient is σ(−this). */
  logSigmoid: defineOp({
    arity: 1,
    forward: ([x]) => T.logSigmoid(x!),
    // d/dx ln σ(x) = 1 − σ(x) = σ(−x)
    backward: (g, { inputs: [x] }, F) => [F.mul(g, F.sigmoid(F.neg(x!)))],
    onnx: (cx, [x]) => cx.node('Neg', [cx.node('Softplus', [cx.node('Neg', [x!])])]),
  }),
  /** log(1 + e^this), stable; its gradient is σ(this). */
  softplus: defineOp({
    arity: 1,
    // log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|): no overflow for large |x| (the forward's scope
    // frees the temporaries)
    forward: ([x]) => T.add(T.relu(x!), T.log(T.add(T.exp(T.neg(T.abs(x!))), 1))),
    // softplus′ = σ(x), exactly, including at x = 0
    backward: (g, { inputs: [x] }, F) => [F.mul(g, F.sigmoid(x!))],
    onnx: 'Softplus',
  }),
  /** σ(this). */
  sigmoid: defineOp({
    arity: 1,
    forward: ([x]) => T.sigmoid(x!),
    // σ′ = σ(1 − σ)
    backward: (g, { output: y }, F) => [F.sigmoidBackward(g, y)],
    onnx: 'Sigmoid',
  }),
  /** tanh(this). */
  tanh: defineOp({
    arity: 1,
    forward: ([x]) => T.tanh(x!),
    // tanh′ = 1 − tanh²
    backward: (g, { output: y }, F) => [F.tanhBackward(g, y)],
    onnx: 'Tanh',
  }),
  /** sin(this). */
  sin: defineOp({
    arity: 1,
    forward: ([x]) => T.sin(x!),
    // sin′ = cos
    backward: (g, { inputs: [x] }, F) => [F.mul(g, F.cos(x!))],
    onnx: 'Sin',
  }),
  /** cos(this). */
  cos: defineOp({
    arity: 1,
    forward: ([x]) => T.cos(x!),
    // cos′ = −sin
    backward: (g, { inputs: [x] }, F) => [F.neg(F.mul(g, F.sin(x!)))],
    onnx: 'Cos',
  }),
  /** tan(this). */
  tan: defineOp({
    arity: 1,
    forward: ([x]) => T.tan(x!),
    // tan′ = 1 + tan²
    backward: (g, { output: y }, F) => [F.mul(g, F.add(F.square(y), 1))],
    onnx: 'Tan',
  }),
  /** erf(this). */
  erf: defineOp({
    arity: 1,
    forward: ([x]) => T.erf(x!),
    // erf′(x) = 2/√π · e^(−x²)
    backward: (g, { inputs: [x] }, F) => [F.mul(F.mul(g, F.exp(F.neg(F.square(x!)))), 2 / Math.sqrt(Math.PI))],
    onnx: 'Erf',
  }),
};

/** The attributes of a reduction: the axes (all when absent) and whether they are kept. */
export type Reduction = { axis?: number | number[]; keepDims: boolean };
type Conv = T.Conv2dOptions;

/** Every differentiable op, by name. The gradcheck and gradgradcheck suites enumerate this table. */
export const opTable = {
  ...binaryOps,
  ...unaryOps,
  squaredError: defineOp<{ scale: number }>({
    arity: 2,
    // Σ (p − t)² · scale in one pass, accumulated in float64 — mse's 'sum' and 'mean' fused, in
    // place of sub, square and mean (fewer ops on the training hot path, and more precise)
    // (the sum and g stay in WebAssembly memory, never read into JavaScript, so record() replays it)
    forward: ([p, t], { scale }) => G.sumOfSquaresScaled(T.sub(p!, t!), scale),
    // ∂/∂p = 2·scale·(p − t)·g, ∂/∂t = −∂/∂p
    backward: (g, { inputs: [p, t], attrs: { scale }, needs, graph }, F) => {
      let d: Val;
      if (graph) d = F.mul(F.mul(F.sub(p!, t!), g), 2 * scale);
      else {
        const dt = T.sub(p! as Tensor, t! as Tensor);
        G.scaleByInPlace(dt, g as Tensor, 2 * scale);
        d = dt;
      }
      return [needs[0] ? toShape(F, d, p!.shape) : null, needs[1] ? toShape(F, F.neg(d), t!.shape) : null];
    },
  }),
  /** GELU: exact x·Φ(x), or the tanh form with { approximate: 'tanh' }; the gradient follows the form. */
  gelu: defineOp<{ approximate: 'none' | 'tanh' }>({
    arity: 1,
    forward: ([x], attrs) => T.gelu(x!, attrs),
    backward: (g, { inputs: [x], attrs: { approximate } }, F) => [F.geluBackward(g, x!, approximate)],
  }),
  leakyRelu: defineOp<{ slope: number }>({
    arity: 1,
    forward: ([x], { slope }) => T.leakyRelu(x!, slope),
    // g where x > 0, g·slope elsewhere; g·slope keeps g's dtype (a where over the two numbers
    // would round the slope to float32 and put 1.5e-8 into a float64 gradient)
    backward: (g, { values: [x], attrs: { slope } }, F) => [F.where(T.gt(x!, 0), g, F.mul(g, slope))],
    onnx: (cx, [x], { slope }) => cx.node('LeakyRelu', [x!], { alpha: { float: slope } }),
  }),
  clamp: defineOp<{ min: number; max: number }>({
    arity: 1,
    forward: ([x], { min, max }) => T.clamp(x!, min, max),
    // passes where min ≤ x ≤ max (bounds included, as PyTorch)
    backward: (g, { values: [x], attrs: { min, max } }, F) => [F.where(T.mul(T.ge(x!, min), T.le(x!, max)), g, 0)],
    onnx: (cx, [x], { min, max }) => cx.node('Clip', [x!, cx.scalar(min), cx.scalar(max)]),
  }),
  where: defineOp<{ cond: Tensor }>({
    arity: 2,
    forward: ([a, b], { cond }) => T.where(cond, a!, b!),
    backward: (g, { inputs: [a, b], attrs: { cond }, needs }, F) => [
      needs[0] ? toShape(F, F.where(cond, g, 0), a!.shape) : null,
      needs[1] ? toShape(F, F.where(cond, 0, g), b!.shape) : null,
    ],
  }),
  matmul: defineOp<{ transposeA: boolean; transposeB: boolean }>({
    arity: 2,
    forward: ([a, b], attrs) => T.matmul(a!, b!, attrs),
    // C = op(A)·op(B): dA = g·op(B)ᵀ, dB = op(A)ᵀ·g, each read through the transposed GEMM
    // variants (no transpose is materialised), then summed over broadcast batch axes.
    backward: (g, { inputs: [a, b], attrs: { transposeA: tA, transposeB: tB }, needs }, F) => {
      const da = !needs[0] ? null : tA ? F.matmul(b!, g, { transposeA: tB, transposeB: true }) : F.matmul(g, b!, { transposeB: !tB });
      if (needs[1] && b!.rank === 2 && a!.rank > 2 && !tA) {
        // a batch of A against one matrix B (a linear layer on [N, T, in]): the batch axes fold
        // into the rows of A and g, so dB is one product over all of them, not one per batch
        // element summed afterwards
        const k = a!.shape[a!.rank - 1]!;
        const n = g.shape[g.rank - 1]!;
        const af = F.reshape(a!, [a!.size / k, k]);
        const gf = F.reshape(g, [g.size / n, n]);
        const db = tB ? F.matmul(gf, af, { transposeA: true }) : F.matmul(af, gf, { transposeA: true });
        return [da && toShape(F, da, a!.shape), db];
      }
      const db = !needs[1] ? null : tB ? F.matmul(g, a!, { transposeA: true, transposeB: tA }) : F.matmul(a!, g, { transposeA: !tA });
      return [da && toShape(F, da, a!.shape), db && toShape(F, db, b!.shape)];
    },
  }),
  /** x·Wᵀ + b (T.linear): inputs x, the weight [out, in], then the bias [out] when given. */
  linear: defineOp<{ hasBias: boolean }>({
    arity: -1,
    forward: ([x, w, b]) => T.linear(x!, w!, b ?? null),
    // dx = g·W; dW = gᵀ·x over all rows of x (its leading axes folded); db = Σ g over the rows
    backward: (g, { inputs: [x, w], attrs: { hasBias }, needs }, F) => {
      const [outF, inF] = w!.shape as [number, number];
      // the leading axes' product (x.size / inF would be 0/0 with no input features)
      const rows = x!.shape.slice(0, -1).reduce((a, d) => a * d, 1);
      const dx = needs[0] ? F.matmul(g, w!, {}) : null;
      const dw = needs[1] ? F.matmul(F.reshape(g, [rows, outF]), F.reshape(x!, [rows, inF]), { transposeA: true }) : null;
      return hasBias ? [dx, dw, needs[2] ? F.sumTo(g, [outF]) : null] : [dx, dw];
    },
  }),
  sum: defineOp<Reduction>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.sum(x!, axis, keepDims),
    backward: (g, { inputs: [x], attrs }, F) => [spread(F, g, x!.shape, attrs.axis)],
  }),
  mean: defineOp<Reduction>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.mean(x!, axis, keepDims),
    backward: (g, { inputs: [x], output: y, attrs }, F) => [F.mul(spread(F, g, x!.shape, attrs.axis), y.size / Math.max(1, x!.size))],
  }),
  max: defineOp<Reduction>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.max(x!, axis, keepDims),
    backward: (g, ctx, F) => [extremumGrad(g, ctx, F)],
  }),
  min: defineOp<Reduction>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.min(x!, axis, keepDims),
    backward: (g, ctx, F) => [extremumGrad(g, ctx, F)],
  }),
  logSumExp: defineOp<{ axis: number; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.logSumExp(x!, axis, keepDims),
    // ∂/∂x_i log Σ exp x = softmax(x)_i = exp(x_i − y)
    backward: (g, { inputs: [x], output: y, attrs: { axis } }, F) => {
      const shape = x!.shape;
      return [F.mul(spread(F, g, shape, axis), F.exp(F.sub(x!, spread(F, y, shape, axis))))];
    },
  }),
  softmax: defineOp<{ axis: number }>({
    arity: 1,
    forward: ([x], { axis }) => T.softmax(x!, axis),
    // dx_i = y_i (g_i − Σ_j g_j y_j)
    backward: (g, { output: y, attrs: { axis } }, F) => [F.softmaxBackward(y, g, axis, false)],
  }),
  logSoftmax: defineOp<{ axis: number }>({
    arity: 1,
    forward: ([x], { axis }) => T.logSoftmax(x!, axis),
    // d/dx log(softmax(x))_i = onehot_i − softmax_i, so dx = g − softmax · Σ g
    backward: (g, { output: y, attrs: { axis } }, F) => [F.softmaxBackward(y, g, axis, true)],
  }),
  /**
   * Softmax cross-entropy of logits [N, C] at int32 class ids [N] (T.softmaxCrossEntropy), fused:
   * [2, N], each row's loss lse − xᵧ, then its log-sum-exp lse.
   */
  softmaxCrossEntropy: defineOp<{ targets: Tensor }>({
    arity: 1,
    forward: ([x], { targets }) => T.softmaxCrossEntropy(x!, targets),
    // ∂loss/∂x = softmax(x) − onehot(y), ∂lse/∂x = softmax(x): one pass per row over x and the
    // saved lse on the fast path
    backward: (g, { inputs: [x], output: y, attrs: { targets } }, F) => [F.softmaxCrossEntropyBackward(g, x!, targets, y)],
  }),
  reshape: defineOp<{ shape: number[] }>({
    arity: 1,
    forward: ([x], { shape }) => T.reshape(x!, shape),
    backward: (g, { inputs: [x] }, F) => [F.reshape(g, x!.shape)],
  }),
  transpose: defineOp<{ perm?: number[] }>({
    arity: 1,
    forward: ([x], { perm }) => T.transpose(x!, perm),
    backward: (g, { inputs: [x], attrs: { perm } }, F) => {
      const r = x!.rank;
      const p = (perm ?? Array.from({ length: r }, (_, i) => r - 1 - i)).map((a) => (a < 0 ? a + r : a));
      const inverse = new Array<number>(r);
      p.forEach((a, i) => {
        inverse[a] = i;
      });
      return [F.transpose(g, inverse)];
    },
  }),
  broadcastTo: defineOp<{ shape: number[] }>({
    arity: 1,
    forward: ([x], { shape }) => T.broadcastTo(x!, shape),
    backward: (g, { inputs: [x] }, F) => [toShape(F, g, x!.shape)],
  }),
  slice: defineOp<{ begin: number[]; size: number[] }>({
    arity: 1,
    forward: ([x], { begin, size }) => T.slice(x!, begin, size),
    backward: (g, { inputs: [x], attrs: { begin } }, F) => [F.padSlice(g, sliceStarts(x!.shape, begin), x!.shape)],
  }),
  gather: defineOp<{ indices: Tensor; axis: number }>({
    arity: 1,
    forward: ([x], { indices, axis }) => T.gather(x!, indices, axis),
    // the adjoint of picking is scattering back, adding where an index repeats
    backward: (g, { inputs: [x], attrs: { indices, axis } }, F) => [F.scatterAdd(g, indices, axis, x!.shape)],
  }),
  conv2d: defineOp<Conv>({
    arity: -1,
    forward: ([x, w, b], opts) => T.conv2d(x!, w!, b, opts),
    // y = x ⋆ w + b: dx is the transposed convolution of g with w, dw = Σ_n g ⋆ x (per tap),
    // db = Σ g over batch and space
    backward: (g, { inputs: [x, w], needs, attrs }, F) => [
      needs[0] ? F.conv2dBackwardInput(g, w!, x!.shape, attrs) : null,
      needs[1] ? F.conv2dBackwardWeight(x!, g, w!.shape, attrs) : null,
      ...(needs.length > 2 ? [needs[2] ? F.sum(g, [0, 2, 3], false) : null] : []),
    ],
  }),
  convTranspose2d: defineOp<T.ConvTranspose2dOptions>({
    arity: -1,
    forward: ([x, w, b], opts) => T.convTranspose2d(x!, w!, b, opts),
    // the adjoint of conv2d's input gradient is conv2d itself; the weight gradient is conv2d's
    // weight gradient with the roles of input and output exchanged
    backward: (g, { inputs: [x, w], needs, attrs }, F) => {
      const { outputPadding: _, ...conv } = attrs;
      return [
        needs[0] ? F.conv2d(g, w!, conv) : null,
        needs[1] ? F.conv2dBackwardWeight(g, x!, w!.shape, conv) : null,
        ...(needs.length > 2 ? [needs[2] ? F.sum(g, [0, 2, 3], false) : null] : []),
      ];
    },
  }),
  maxPool2d: defineOp<{ kernelSize: T.Size2d; options: T.Pool2dOptions }>({
    arity: 1,
    forward: ([x], { kernelSize, options }) => T.maxPool2d(x!, kernelSize, options),
    // each window's gradient goes to the one input it took (the first maximum); the positions
    // are recomputed here rather than held by the graph
    backward: (g, { inputs: [x], values: [xv], attrs: { kernelSize, options } }, F) => {
      const { indices } = G.maxPool2dWithIndices(xv!, kernelSize, options);
      return [F.maxPool2dBackward(g, indices, x!.shape)];
    },
  }),
  avgPool2d: defineOp<{ kernelSize: T.Size2d; options: T.Pool2dOptions }>({
    arity: 1,
    forward: ([x], { kernelSize, options }) => T.avgPool2d(x!, kernelSize, options),
    backward: (g, { inputs: [x], attrs: { kernelSize, options } }, F) => [F.avgPool2dBackward(g, x!.shape, kernelSize, options)],
  }),
  adaptiveAvgPool2d: defineOp<{ outputSize: T.Size2d }>({
    arity: 1,
    forward: ([x], { outputSize }) => T.adaptiveAvgPool2d(x!, outputSize),
    backward: (g, { inputs: [x] }, F) => [F.adaptiveAvgPool2dBackward(g, x!.shape)],
  }),
  tril: defineOp<{ k: number }>({
    arity: 1,
    forward: ([x], { k }) => T.tril(x!, k),
    // the kept entries pass their gradient, the zeroed ones none
    backward: (g, { attrs: { k } }, F) => [F.triangle(g, k, false)],
  }),
  triu: defineOp<{ k: number }>({
    arity: 1,
    forward: ([x], { k }) => T.triu(x!, k),
    backward: (g, { attrs: { k } }, F) => [F.triangle(g, k, true)],
  }),
  maskedFill: defineOp<{ mask: Tensor; value: number }>({
    arity: 1,
    forward: ([x], { mask, value }) => T.maskedFill(x!, mask, value),
    // filled entries are constants: no gradient reaches them
    backward: (g, { attrs: { mask } }, F) => [F.where(T.ne(mask, 0), 0, g)],
  }),
  cumsum: defineOp<{ axis: number }>({
    arity: 1,
    forward: ([x], { axis }) => T.cumsum(x!, axis),
    // y_j = Σ_{t ≤ j} x_t, so dx_t = Σ_{j ≥ t} g_j = Σ g − cumsum(g)_t + g_t
    backward: (g, { attrs: { axis } }, F) => [F.add(F.sub(F.sum(g, axis, true), F.cumsum(g, axis)), g)],
  }),
  topk: defineOp<{ k: number; axis: number; largest: boolean }>({
    arity: 1,
    forward: ([x], { k, axis, largest }) => T.topk(x!, k, { axis, largest }).values,
    // each selected value's gradient goes back to the entry it came from. Along the axis (moved
    // last) that is a [1, k]·[k, len] product per row with the one-hot rows of the indices, a
    // constant; the indices are recomputed from the input's value rather than held by the graph
    backward: (g, { values: [xv], attrs: { k, axis, largest } }, F) => {
      const x = xv!;
      const last = x.rank - 1;
      const ax = axis < 0 ? axis + x.rank : axis;
      const swap = Array.from({ length: x.rank }, (_, i) => (i === ax ? last : i === last ? ax : i));
      const { indices } = T.topk(x, k, { axis, largest });
      const onehot = T.oneHot(T.transpose(indices, swap), x.shape[ax]!, g.dtype === 'float64' ? 'float64' : 'float32');
      const gl = F.transpose(g, swap);
      const rows = F.matmul(F.reshape(gl, [...gl.shape.slice(0, -1), 1, k]), onehot, {});
      return [F.transpose(F.reshape(rows, [...gl.shape.slice(0, -1), x.shape[ax]!]), swap)];
    },
  }),
  /** One LSTM time step (T.lstmCell): [h', c'] from the projections xg, hg and the cell state c. */
  lstmCell: defineOp({
    arity: 3,
    forward: ([xg, hg, c]) => T.lstmCell(xg!, hg!, c!),
    // one fused kernel recomputes the gates from a = xg + hg and writes ∂a (xg's and hg's alike)
    // and ∂c; with createGraph the same product is composed of differentiable ops
    backward: (g, { inputs: [xg, hg, c], output: y, needs }, F) => {
      const [da, dc] = F.lstmCellBackward(g, xg!, hg!, c!, y);
      return [needs[0] ? da : null, needs[1] ? da : null, needs[2] ? dc : null];
    },
  }),
  /**
   * An LSTM layer's recurrence over a whole sequence (T.lstmSequence): every h_t and c_t
   * [2, steps, n, H] from the input projections xg [steps, n, 4H], W_hh and h0, c0.
   */
  lstmSequence: defineOp<{ reverse: boolean }>({
    arity: 4,
    forward: ([xg, whh, h0, c0], { reverse }) => T.lstmSequence(xg!, whh!, h0!, c0!, { reverse }),
    backward: (g, ctx, F) => F.lstmSequenceBackward(g, ctx),
  }),
  /** One GRU time step (T.gruCell): h' from the projections xg, hg (b_hh in hg) and h. */
  gruCell: defineOp({
    arity: 3,
    forward: ([xg, hg, h]) => T.gruCell(xg!, hg!, h!),
    backward: (g, { inputs: [xg, hg, h], needs }, F) => {
      const [dxg, dhg, dh] = F.gruCellBackward(g, xg!, hg!, h!);
      return [needs[0] ? dxg : null, needs[1] ? dhg : null, needs[2] ? dh : null];
    },
  }),
  cast: defineOp<{ dtype: T.DType }>({
    arity: 1,
    forward: ([x], { dtype }) => T.cast(x!, dtype),
    backward: (g, { inputs: [x] }, F) => [F.cast(g, x!.dtype)],
  }),
  concat: defineOp<{ axis: number; count: number }>({
    arity: -1,
    forward: (xs, { axis }) => T.concat(xs, axis),
    backward: (g, { inputs, attrs: { axis } }, F) => {
      const ax = axis < 0 ? axis + g.rank : axis;
      let offset = 0;
      return inputs.map((x) => {
        const begin = g.shape.map((_, i) => (i === ax ? offset : 0));
        offset += x.shape[ax]!;
        return F.slice(g, begin, [...x.shape]);
      });
    },
  }),

  /** Layer normalisation over the trailing normalizedShape (T.layerNorm): inputs x, then the weight and the bias that are given. */
  layerNorm: defineOp<LayerNormAttrs>({
    arity: -1,
    forward: ([x, ...ps], { normalizedShape, eps, hasWeight, hasBias }) =>
      T.layerNorm(x!, normalizedShape, { weight: hasWeight ? ps[0]! : null, bias: hasBias ? ps[hasWeight ? 1 : 0]! : null, eps }),
    backward: (g, ctx, F) => F.layerNormBackward(g, ctx),
  }),

  /** Fused softmax(q·kᵀ·scale + mask)·v (the mask an optional fourth input), no [L, S] matrix held. */
  scaledDotProductAttention: defineOp<AttentionAttrs>({
    arity: -1,
    forward: ([q, k, v, mask], attrs) => T.fusedAttention(q!, k!, v!, { ...attrs, mask: mask ?? null }),
    backward: (g, ctx, F) => F.attentionBackward(g, ctx),
  }),

  solve: defineOp({
    arity: 2,
    // B is [..., n, k] here (linalg.solve lifts a vector b to a column); the batch axes broadcast
    forward: ([a, b]) => T.linalg.solve(a!, b!),
    // X = A⁻¹B: gB = A⁻ᵀ·g (a solve again, so the rule differentiates further), gA = −gB·Xᵀ;
    // each summed back over the batch axes its input was broadcast along
    backward: (g, { inputs: [a, b], output: x, needs }, F) => {
      const gb = F.solve(F.transpose(a!, swapLastTwo(a!.rank)), g);
      return [
        needs[0] ? toShape(F, F.neg(F.matmul(gb, x, { transposeB: true })), a!.shape) : null,
        needs[1] ? toShape(F, gb, b!.shape) : null,
      ];
    },
  }),
  cholesky: defineOp({
    arity: 1,
    forward: ([a]) => T.linalg.cholesky(a!),
    // A = L·Lᵀ (Murray 2016, PyTorch's cholesky_backward): P = Φ(Lᵀ·g), the lower triangle of
    // Lᵀ·g made symmetric with its diagonal halved, then S = L⁻ᵀ·P·L⁻¹ — two solves with Lᵀ, the
    // second on the transpose: P·L⁻¹ = (L⁻ᵀ·Pᵀ)ᵀ. S is PyTorch's (symmetric) gradient; the
    // factorisation reads only A's lower triangle, where A_ij (i > j) stands for A_ji too, so the
    // gradient of what is computed is S folded onto that triangle: S_ij + S_ji below the
    // diagonal, S_ii on it, 0 above — the same downstream of any symmetric A, and exact for
    // gradcheck
    backward: (g, { output: l }, F) => {
      const n = l.shape[l.rank - 1]!;
      const swap = swapLastTwo(l.rank);
      const dtype = g.dtype === 'float64' ? 'float64' : 'float32';
      const lower = lowerMask(n, 0, dtype);
      const strict = lowerMask(n, -1, dtype);
      const m = F.mul(F.matmul(l, g, { transposeA: true }), lower);
      const p = F.mul(F.add(m, F.transpose(F.mul(m, strict), swap)), 0.5);
      const lt = F.transpose(l, swap);
      const s = F.transpose(F.solve(lt, F.transpose(F.solve(lt, p), swap)), swap);
      // (where, not a product with the mask: the entries above the diagonal are +0, not −0)
      return [F.add(F.where(T.cast(lower, 'int32'), s, 0), F.where(T.cast(strict, 'int32'), F.transpose(s, swap), 0))];
    },
  }),

  // ── the linear helpers of the rules above, each differentiable through its adjoint ──
  sumTo: defineOp<{ shape: number[] }>({
    arity: 1,
    forward: ([x], { shape }) => G.sumTo(x!, shape),
    backward: (g, { inputs: [x] }, F) => [F.broadcastTo(g, x!.shape)],
  }),
  padSlice: defineOp<{ begin: number[]; shape: number[] }>({
    arity: 1,
    forward: ([x], { begin, shape }) => G.padSlice(x!, begin, shape),
    backward: (g, { inputs: [x], attrs: { begin } }, F) => [F.slice(g, begin, [...x!.shape])],
  }),
  scatterAdd: defineOp<{ indices: Tensor; axis: number; shape: number[] }>({
    arity: 1,
    forward: ([x], { indices, axis, shape }) => G.gatherBackward(x!, indices, axis, shape),
    backward: (g, { attrs: { indices, axis } }, F) => [F.gather(g, indices, axis)],
  }),
  conv2dBackwardInput: defineOp<{ inputShape: number[]; options: Conv }>({
    arity: 2,
    forward: ([g, w], { inputShape, options }) => G.conv2dBackwardInput(g!, w!, inputShape, options),
    // linear in g and in w: ∂⟨gx, dx⟩ over g is conv2d(gx, w), over w the weight gradient of (gx, g)
    backward: (gx, { inputs: [g, w], needs, attrs: { options } }, F) => [
      needs[0] ? F.conv2d(gx, w!, options) : null,
      needs[1] ? F.conv2dBackwardWeight(gx, g!, w!.shape, options) : null,
    ],
  }),
  conv2dBackwardWeight: defineOp<{ weightShape: number[]; options: Conv }>({
    arity: 2,
    forward: ([x, g], { weightShape, options }) => G.conv2dBackwardWeight(x!, g!, weightShape, options),
    backward: (gw, { inputs: [x, g], needs, attrs: { options } }, F) => [
      needs[0] ? F.conv2dBackwardInput(g!, gw, x!.shape, options) : null,
      needs[1] ? F.conv2d(x!, gw, options) : null,
    ],
  }),
  maxPool2dBackward: defineOp<{ indices: Tensor; inputShape: number[] }>({
    arity: 1,
    forward: ([g], { indices, inputShape }) => G.maxPool2dBackward(g!, indices, inputShape),
    backward: (gx, { attrs: { indices } }, F) => [F.maxPoolGather(gx, indices)],
  }),
  maxPoolGather: defineOp<{ indices: Tensor }>({
    arity: 1,
    forward: ([x], { indices }) => maxPoolGatherForward(x!, indices),
    backward: (g, { inputs: [x], attrs: { indices } }, F) => [F.maxPool2dBackward(g, indices, x!.shape)],
  }),
  avgPool2dBackward: defineOp<{ inputShape: number[]; kernelSize: T.Size2d; options: T.Pool2dOptions }>({
    arity: 1,
    forward: ([g], { inputShape, kernelSize, options }) => G.avgPool2dBackward(g!, inputShape, kernelSize, options),
    backward: (gx, { attrs: { kernelSize, options } }, F) => [F.avgPool2d(gx, kernelSize, options)],
  }),
  adaptiveAvgPool2dBackward: defineOp<{ inputShape: number[] }>({
    arity: 1,
    forward: ([g], { inputShape }) => G.adaptiveAvgPool2dBackward(g!, inputShape),
    backward: (gx, { inputs: [g] }, F) => [F.adaptiveAvgPool2d(gx, [g!.shape[2]!, g!.shape[3]!])],
  }),
};

/** The attributes of layerNorm: the trailing shape normalised over, eps, and which affine inputs follow x. */
export interface LayerNormAttrs {
  /** The trailing shape each slice normalised over has. */
  normalizedShape: number[];
  /** Added to the variance. */
  eps: number;
  /** A weight (scale) is the second input. */
  hasWeight: boolean;
  /** A bias (shift) follows x and the weight. */
  hasBias: boolean;
}

/**
 * The gradients of layerNorm composed from the rules' ops, so they differentiate again:
 * x̂ = (x − μ)/d, d = √(σ² + eps), ĝ = g·w: dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂))/d, dw = Σ g·x̂, db = Σ g
 * (the sums over the leading axes).
 */
export function composedLayerNormBackward(g: Val, ctx: OpContext<LayerNormAttrs>, F: GradOps): Array<Val | null> {
  const { inputs, needs, attrs } = ctx;
  const x = inputs[0]!;
  const w = attrs.hasWeight ? inputs[1]! : null;
  const k = attrs.normalizedShape.length;
  const axes = Array.from({ length: k }, (_, i) => x.rank - k + i);
  const n = attrs.normalizedShape.reduce((a, b) => a * b, 1);
  const mean = (v: Val) => F.mul(F.sum(v, axes, true), 1 / n);
  const c = F.sub(x, mean(x));
  const d = F.pow(F.add(mean(F.square(c)), attrs.eps), 0.5);
  const xh = F.div(c, d);
  const gh = w ? F.mul(g, w) : g;
  const dx = needs[0] ? F.div(F.sub(F.sub(gh, mean(gh)), F.mul(xh, mean(F.mul(gh, xh)))), d) : null;
  const grads: Array<Val | null> = [dx];
  if (w) grads.push(needs[1] ? F.sumTo(F.mul(g, xh), w.shape) : null);
  if (attrs.hasBias) grads.push(needs[grads.length] ? F.sumTo(g, attrs.normalizedShape) : null);
  return grads;
}

/** The attributes of fused attention: the score scale, the causal mask, and the layout (T.FusedAttentionOptions). */
export interface AttentionAttrs {
  /** Multiplies q·kᵀ. */
  scale: number;
  /** Query i sees keys j ≤ i only. */
  isCausal: boolean;
  /** q, k, v and the output are [B, T, H, E] rather than [..., T, E]. */
  headsLast: boolean;
}

/**
 * The gradients of attention composed from the rules' ops, so they differentiate again (and give
 * the mask its gradient): with S = q·kᵀ·scale + mask and P = softmax(S),
 *   dv = Pᵀ·g,   dS = P ∘ (g·vᵀ − Σ_j (g·vᵀ ∘ P)),   dq = dS·k·scale,   dk = dSᵀ·q·scale,   dmask = dS.
 * With headsLast the [B, T, H, E] operands are read as [B, H, T, E] (one axis swap each way).
 */
export function composedAttentionBackward(g: Val, ctx: OpContext<AttentionAttrs>, F: GradOps): Array<Val | null> {
  const { inputs, needs, attrs } = ctx;
  const heads = (x: Val) => (attrs.headsLast ? F.transpose(x, [0, 2, 1, 3]) : x);
  const [q, k, v] = [heads(inputs[0]!), heads(inputs[1]!), heads(inputs[2]!)];
  const gh = heads(g);
  let scores = F.mul(F.matmul(q, k, { transposeB: true }), attrs.scale);
  const mask = inputs[3];
  if (mask) scores = F.add(scores, mask);
  else if (attrs.isCausal) {
    const [l, s] = scores.shape.slice(-2) as [number, number];
    const data = new Float64Array(l * s);
    for (let i = 0; i < l; i++) for (let j = i + 1; j < s; j++) data[i * s + j] = Number.NEGATIVE_INFINITY;
    scores = F.add(scores, T.tensor(data, { shape: [l, s], dtype: g.dtype === 'float64' ? 'float64' : 'float32' }));
  }
  const p = F.softmax(scores, -1);
  const ds = F.softmaxBackward(p, F.matmul(gh, v, { transposeB: true }), -1, false);
  return [
    needs[0] ? heads(F.mul(F.matmul(ds, k, {}), attrs.scale)) : null,
    needs[1] ? heads(F.mul(F.matmul(ds, q, { transposeA: true }), attrs.scale)) : null,
    needs[2] ? heads(F.matmul(p, gh, { transposeA: true })) : null,
    ...(mask ? [needs[3] ? toShape(F, ds, mask.shape) : null] : []),
  ];
}

/**
 * lstmSequence's vector–Jacobian product composed of per-step ops (lstmCell's backward, matrix
 * products, slices): walks the steps backward from the last, carrying h's and c's gradients to the
 * step before, as the fused kernel does. With a graph it is differentiable again (h_{t−1} and c_{t−1}
 * are read from the op's output, itself differentiable).
 */
export function composedLstmSequenceBackward(g: Val, ctx: OpContext<{ reverse: boolean }>, F: GradOps): Array<Val | null> {
  const { inputs, output: y, needs, attrs } = ctx;
  const [xg, whh, h0, c0] = inputs as [Val, Val, Val, Val];
  const [steps, n, gates] = xg.shape as [number, number, number];
  const H = gates / 4;
  const at = (v: Val, t: number) => F.reshape(F.slice(v, [0, t, 0, 0], [2, 1, n, H]), [2, n, H]);
  const part = (v: Val, k: number, t: number) => F.reshape(F.slice(v, [k, t, 0, 0], [1, 1, n, H]), [n, H]);
  const dxg: Val[] = new Array(steps);
  let dh: Val | null = null;
  let dc: Val | null = null;
  let dw: Val | null = null;
  for (let i = steps - 1; i >= 0; i--) {
    const t = attrs.reverse ? steps - 1 - i : i;
    const prev = attrs.reverse ? t + 1 : t - 1;
    const hPrev = i === 0 ? h0 : part(y, 0, prev);
    const cPrev = i === 0 ? c0 : part(y, 1, prev);
    let gt = at(g, t);
    if (dh && dc) gt = F.add(gt, F.concat([F.reshape(dh, [1, n, H]), F.reshape(dc, [1, n, H])], 0));
    const hg = F.matmul(hPrev, whh, { transposeB: true });
    const xt = F.reshape(F.slice(xg, [t, 0, 0], [1, n, gates]), [n, gates]);
    const [da, dcPrev] = F.lstmCellBackward(gt, xt, hg, cPrev, at(y, t));
    dxg[t] = F.reshape(da, [1, n, gates]);
    dc = dcPrev;
    dh = F.matmul(da, whh, {});
    if (needs[1]) {
      const term = F.matmul(da, hPrev, { transposeA: true });
      dw = dw ? F.add(dw, term) : term;
    }
  }
  return [needs[0] ? F.concat(dxg, 0) : null, needs[1] ? dw : null, needs[2] ? dh : null, needs[3] ? dc : null];
}

/** Name of a differentiable op in the table. */
export type OpName = keyof typeof opTable;

/** The ops of the table that exist only as the rules' helpers (no Variable method of their own). */
export const helperOps: readonly OpName[] = [
  'sumTo',
  'padSlice',
  'scatterAdd',
  'conv2dBackwardInput',
  'conv2dBackwardWeight',
  'maxPool2dBackward',
  'maxPoolGather',
  'avgPool2dBackward',
  'adaptiveAvgPool2dBackward',
];

/** The permutation of `rank` axes that swaps the last two (a batch of matrices transposed). */
function swapLastTwo(rank: number): number[] {
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return perm;
}

/** The n×n mask of the entries on and below diagonal k (k = 0: the lower triangle; −1: strictly below). */
function lowerMask(n: number, k: number, dtype: T.FloatDType): Tensor {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j <= Math.min(n - 1, i + k); j++) data[i * n + j] = 1;
  return T.tensor(data, { dtype, shape: [n, n] });
}

/** The starts of a slice's block, negative begins counted from the end. */
function sliceStarts(shape: readonly number[], begin: readonly number[]): number[] {
  return shape.map((d, i) => {
    const b = begin[i] ?? 0;
    return b < 0 ? b + d : b;
  });
}

/** x's entries at per-plane flat positions `indices` [..., oH, oW] of x [..., H, W]. */
function maxPoolGatherForward(x: Tensor, indices: Tensor): Tensor {
  const hw = x.shape[x.rank - 2]! * x.shape[x.rank - 1]!;
  const planes = x.size / Math.max(1, hw);
  const per = indices.size / Math.max(1, planes);
  const offsets = T.reshape(T.mul(T.arange(planes), hw).cast('int32'), [planes, 1]);
  const flat = T.add(T.reshape(indices, [planes, per]), offsets);
  return T.reshape(T.gather(T.reshape(x, [x.size]), T.reshape(flat, [indices.size]), 0), indices.shape);
}

/** Spreads a reduced gradient back over the reduced axes of `shape`. */
function spread(F: GradOps, g: Val, shape: readonly number[], axis: number | number[] | undefined): Val {
  return F.broadcastTo(F.reshape(g, keptShape(shape, axis)), shape);
}

/** max/min: the gradient goes to the elements equal to the extremum, shared equally among ties. */
function extremumGrad(g: Val, { values: [x], outputValue: y, attrs }: OpContext<Reduction>, F: GradOps): Val {
  const yb = T.broadcastTo(T.reshape(y, keptShape(x!.shape, attrs.axis)), x!.shape);
  // in g's float dtype: shares such as 1/3 among three ties stay exact to float64 in float64
  const maskF = T.cast(T.eq(x!, yb), g.dtype === 'float64' ? 'float64' : 'float32');
  const share = T.div(maskF, T.broadcastTo(T.sum(maskF, attrs.axis, true), x!.shape));
  return F.mul(spread(F, g, x!.shape, attrs.axis), share);
}

/** `shape` with the reduced axes kept as 1 (keepDims' shape). */
function keptShape(shape: readonly number[], axis: number | number[] | undefined): number[] {
  const r = shape.length;
  const axes = axis === undefined ? shape.map((_, i) => i) : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + r : a));
  return shape.map((d, i) => (axes.includes(i) ? 1 : d));
}

/**
 * Gradients of maximum/minimum: all to the winner (`first` marks where a wins), half each on
 * ties; only for the inputs that need one.
 */
function tieSplit(g: Val, { inputs: [a, b], values: [av, bv], needs }: OpContext<unknown>, first: Tensor, F: GradOps): Array<Val | null> {
  const tie = T.eq(av!, bv!);
  const dt = g.dtype === 'float64' ? 'float64' : 'float32';
  const shareA = T.cast(T.where(first, 1, T.where(tie, 0.5, 0)), dt);
  const shareB = T.cast(T.where(first, 0, T.where(tie, 0.5, 1)), dt);
  return [needs[0] ? toShape(F, F.mul(g, shareA), a!.shape) : null, needs[1] ? toShape(F, F.mul(g, shareB), b!.shape) : null];
}

/** GradOps on plain Tensors: the fast path, with the fused first-order kernels. */
export const tensorOps: GradOps = {
  add: (a, b) => T.add(a as Tensor, b as Tensor),
  sub: (a, b) => T.sub(a as Tensor, b as Tensor),
  mul: (a, b) => T.mul(a as Tensor, b as Tensor),
  div: (a, b) => T.div(a as Tensor, b as Tensor),
  neg: (a) => T.neg(a as Tensor),
  exp: (a) => T.exp(a as Tensor),
  log: (a) => T.log(a as Tensor),
  square: (a) => T.square(a as Tensor),
  pow: (a, b) => T.pow(a as Tensor, b as Tensor),
  sigmoid: (a) => T.sigmoid(a as Tensor),
  cast: (a, dtype) => T.cast(a as Tensor, dtype),
  where: (c, a, b) => T.where(c, a as Tensor, b as Tensor),
  sum: (a, axis, keep) => T.sum(a as Tensor, axis, keep),
  reshape: (a, shape) => T.reshape(a as Tensor, shape),
  broadcastTo: (a, shape) => T.broadcastTo(a as Tensor, shape),
  transpose: (a, perm) => T.transpose(a as Tensor, perm),
  slice: (a, begin, size) => T.slice(a as Tensor, begin, size),
  gather: (a, idx, axis) => T.gather(a as Tensor, idx, axis),
  matmul: (a, b, o) => T.matmul(a as Tensor, b as Tensor, o),
  solve: (a, b) => T.linalg.solve(a as Tensor, b as Tensor),
  conv2d: (x, w, o) => T.conv2d(x as Tensor, w as Tensor, undefined, o),
  avgPool2d: (x, k, o) => T.avgPool2d(x as Tensor, k, o),
  adaptiveAvgPool2d: (x, s) => T.adaptiveAvgPool2d(x as Tensor, s),
  sumTo: (g, shape) => G.sumTo(g as Tensor, shape),
  padSlice: (g, begin, shape) => G.padSlice(g as Tensor, begin, shape),
  scatterAdd: (g, idx, axis, shape) => G.gatherBackward(g as Tensor, idx, axis, shape),
  reluBackward: (g, _x, xv) => G.reluBackward(g as Tensor, xv),
  geluBackward: (g, x, approximate) => G.geluBackward(g as Tensor, x as Tensor, { approximate }),
  sin: (a) => T.sin(a as Tensor),
  cos: (a) => T.cos(a as Tensor),
  triangle: (a, k, upper) => (upper ? T.triu(a as Tensor, k) : T.tril(a as Tensor, k)),
  cumsum: (a, axis) => T.cumsum(a as Tensor, axis),
  sigmoidBackward: (g, y) => G.sigmoidBackward(g as Tensor, y as Tensor),
  tanhBackward: (g, y) => G.tanhBackward(g as Tensor, y as Tensor),
  softmax: (a, axis) => T.softmax(a as Tensor, axis),
  // the fused kernel, unless the mask needs a gradient (dS is the [L, S] matrix itself)
  attentionBackward: (g, ctx) => {
    const { values, outputValue, needs, attrs } = ctx;
    if (needs.length > 3 && needs[3]) return composedAttentionBackward(g, ctx, tensorOps);
    const grads: Array<Tensor | null> = G.fusedAttentionBackward(values[0]!, values[1]!, values[2]!, outputValue, g as Tensor, {
      ...attrs,
      mask: values[3] ?? null,
    });
    for (let i = 0; i < 3; i++) if (!needs[i]) grads[i] = null;
    return needs.length > 3 ? [...grads, null] : grads;
  },
  layerNormBackward: (g, ctx) => {
    const { values, needs, attrs } = ctx;
    const { hasWeight, hasBias, normalizedShape, eps } = attrs;
    const [dx, dw, db] = G.layerNormBackward(g as Tensor, values[0]!, hasWeight ? values[1]! : null, normalizedShape, eps, {
      weight: hasWeight && needs[1]!,
      bias: hasBias && needs[hasWeight ? 2 : 1]!,
    });
    const grads: Array<Tensor | null> = [needs[0] ? dx : null];
    if (!needs[0]) dx.dispose();
    if (hasWeight) grads.push(dw);
    if (hasBias) grads.push(db);
    return grads;
  },
  lstmCellBackward: (g, xg, hg, c, y) => G.lstmCellBackward(g as Tensor, xg as Tensor, hg as Tensor, c as Tensor, y as Tensor),
  gruCellBackward: (g, xg, hg, h) => G.gruCellBackward(g as Tensor, xg as Tensor, hg as Tensor, h as Tensor),
  softmaxCrossEntropyBackward: (g, x, targets, y) => G.softmaxCrossEntropyBackward(x as Tensor, targets, y as Tensor, g as Tensor),
  // the fused backpropagation through time, reading the gate activations the forward kept
  lstmSequenceBackward: (g, { values, outputValue, needs, attrs }) =>
    G.lstmSequenceBackward(g as Tensor, values[1]!, values[2]!, values[3]!, outputValue, attrs.reverse, {
      whh: needs[1]!,
      h0: needs[2]!,
      c0: needs[3]!,
    }).map((d, i) => (needs[i] ? d : null)),
  concat: (xs, axis) => T.concat(xs as Tensor[], axis),
  softmaxBackward: (y, g, axis, log) => G.softmaxBackward(y as Tensor, g as Tensor, axis, log),
  conv2dBackwardInput: (g, w, shape, o) => G.conv2dBackwardInput(g as Tensor, w as Tensor, shape, o),
  conv2dBackwardWeight: (x, g, shape, o) => G.conv2dBackwardWeight(x as Tensor, g as Tensor, shape, o),
  maxPool2dBackward: (g, idx, shape) => G.maxPool2dBackward(g as Tensor, idx, shape),
  maxPoolGather: (x, idx) => maxPoolGatherForward(x as Tensor, idx),
  avgPool2dBackward: (g, shape, k, o) => G.avgPool2dBackward(g as Tensor, shape, k, o),
  adaptiveAvgPool2dBackward: (g, shape) => G.adaptiveAvgPool2dBackward(g as Tensor, shape),
};

/** GELU's tanh form: 0.5·x·(1 + tanh(u)), u = √(2/π)(x + 0.044715x³). */
export const GELU_C = Math.sqrt(2 / Math.PI);
/** The cubic coefficient of GELU's tanh form. */
export const GELU_K = 0.044715;
