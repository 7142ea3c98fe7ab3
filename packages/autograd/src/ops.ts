// The op table: every differentiable op's forward and its gradient rule (vector–Jacobian
// product) side by side. `g` is the upstream gradient ∂L/∂y; each rule returns ∂L/∂input.
// Broadcasting inputs get their gradient summed back to their own shape (sumTo).

import type { Tensor } from '@gd/tensor';
import * as T from '@gd/tensor';
import * as G from '@gd/tensor/grad';

/** What a gradient rule sees: the forward inputs, output and attributes. */
export interface OpContext<A> {
  /** Which inputs need a gradient (the rest may return null and skip the work). */
  needs: boolean[];
  inputs: Tensor[];
  output: Tensor;
  attrs: A;
}

/** A differentiable op: forward on tensors, and its vector–Jacobian product. */
export interface OpSpec<A = Record<string, never>> {
  /** Number of Variable inputs. */
  arity: number;
  /** The forward computation on the input values. */
  forward(inputs: Tensor[], attrs: A): Tensor;
  /** The vector–Jacobian product: the upstream gradient g → one gradient per input (null: none). */
  backward(g: Tensor, ctx: OpContext<A>): Array<Tensor | null>;
}

function defineOp<A = Record<string, never>>(spec: OpSpec<A>): OpSpec<A> {
  return spec;
}

/** Frees intermediates of a gradient rule once the result is computed. */
function freeing<R>(temps: Tensor[], result: R): R {
  for (const t of temps) t.dispose();
  return result;
}

/** g·f(…) summed back to `shape`, freeing the full-size product. */
function reduced(full: Tensor, shape: readonly number[]): Tensor {
  const out = G.sumTo(full, shape);
  full.dispose();
  return out;
}

const same = (ctx: OpContext<unknown>, i: number) => ctx.inputs[i]!.shape;

/** The elementwise ops of two operands, with broadcasting: each is a Variable method `a.op(b)` too. */
export const binaryOps = {
  /** this + b. */
  add: defineOp({
    arity: 2,
    forward: ([a, b]) => T.add(a!, b!),
    backward: (g, ctx) => [ctx.needs[0] ? G.sumTo(g, same(ctx, 0)) : null, ctx.needs[1] ? G.sumTo(g, same(ctx, 1)) : null],
  }),
  /** this − b. */
  sub: defineOp({
    arity: 2,
    forward: ([a, b]) => T.sub(a!, b!),
    backward: (g, ctx) => [ctx.needs[0] ? G.sumTo(g, same(ctx, 0)) : null, ctx.needs[1] ? reduced(T.neg(g), same(ctx, 1)) : null],
  }),
  /** this · b. */
  mul: defineOp({
    arity: 2,
    forward: ([a, b]) => T.mul(a!, b!),
    // d(ab)/da = b, d(ab)/db = a
    backward: (g, { inputs: [a, b], needs }) => [
      needs[0] ? reduced(T.mul(g, b!), a!.shape) : null,
      needs[1] ? reduced(T.mul(g, a!), b!.shape) : null,
    ],
  }),
  /** this / b. */
  div: defineOp({
    arity: 2,
    forward: ([a, b]) => T.div(a!, b!),
    // d(a/b)/da = 1/b, d(a/b)/db = −a/b² = −y/b
    backward: (g, { inputs: [a, b], output: y, needs }) => {
      const gb = T.div(g, b!);
      let db: Tensor | null = null;
      if (needs[1]) {
        const gy = T.mul(gb, y);
        db = freeing([gy], reduced(T.neg(gy), b!.shape));
      }
      return [needs[0] ? reduced(gb, a!.shape) : freeing([gb], null), db];
    },
  }),
  /** this ** b. */
  pow: defineOp({
    arity: 2,
    forward: ([a, b]) => T.pow(a!, b!),
    // d(aᵇ)/da = b·aᵇ⁻¹; d(aᵇ)/db = aᵇ·ln a, taken as 0 where a = 0 and b ≥ 0 (as PyTorch).
    // Temporaries are freed by the scope every rule runs in.
    backward: (g, { inputs: [a, b], output: y, needs }) => [
      needs[0] ? reduced(T.mul(T.mul(g, b!), T.pow(a!, T.sub(b!, 1))), a!.shape) : null,
      needs[1] ? reduced(T.where(T.mul(T.eq(a!, 0), T.ge(b!, 0)), 0, T.mul(T.mul(g, y), T.log(a!))), b!.shape) : null,
    ],
  }),
  /** Elementwise maximum (ties share the gradient). */
  maximum: defineOp({
    arity: 2,
    forward: ([a, b]) => T.maximum(a!, b!),
    // the gradient goes to the larger input; ties share it equally (as PyTorch)
    backward: (g, { inputs: [a, b], needs }) => tieSplit(g, a!, b!, T.gt(a!, b!), needs),
  }),
  /** Elementwise minimum (ties share the gradient). */
  minimum: defineOp({
    arity: 2,
    forward: ([a, b]) => T.minimum(a!, b!),
    backward: (g, { inputs: [a, b], needs }) => tieSplit(g, a!, b!, T.lt(a!, b!), needs),
  }),
};

/** The elementwise ops of one input and no attributes: each is a Variable method `x.op()` too. */
export const unaryOps = {
  /** −this. */
  neg: defineOp({ arity: 1, forward: ([x]) => T.neg(x!), backward: (g) => [T.neg(g)] }),
  /** |this| (subgradient 0 at 0). */
  abs: defineOp({
    arity: 1,
    forward: ([x]) => T.abs(x!),
    // subgradient sign(x): 0 at x = 0
    backward: (g, { inputs: [x] }) => {
      const s = T.sign(x!);
      return freeing([s], [T.mul(g, s)]);
    },
  }),
  /** √this. */
  sqrt: defineOp({
    arity: 1,
    forward: ([x]) => T.sqrt(x!),
    // d√x/dx = 1/(2√x)
    backward: (g, { output: y }) => {
      const h = T.div(g, y);
      return freeing([h], [T.mul(h, 0.5)]);
    },
  }),
  /** e^this. */
  exp: defineOp({ arity: 1, forward: ([x]) => T.exp(x!), backward: (g, { output: y }) => [T.mul(g, y)] }),
  /** ln this. */
  log: defineOp({ arity: 1, forward: ([x]) => T.log(x!), backward: (g, { inputs: [x] }) => [T.div(g, x!)] }),
  /** this². */
  square: defineOp({
    arity: 1,
    forward: ([x]) => T.square(x!),
    backward: (g, { inputs: [x] }) => {
      const gx = T.mul(g, x!);
      return freeing([gx], [T.mul(gx, 2)]);
    },
  }),
  /** 1 / this. */
  reciprocal: defineOp({
    arity: 1,
    forward: ([x]) => T.reciprocal(x!),
    // d(1/x)/dx = −1/x² = −y²
    backward: (g, { output: y }) => {
      const y2 = T.square(y);
      const p = T.mul(g, y2);
      return freeing([y2, p], [T.neg(p)]);
    },
  }),
  /** max(this, 0) (subgradient 0 at 0). */
  relu: defineOp({
    arity: 1,
    forward: ([x]) => T.relu(x!),
    // subgradient 0 at x = 0
    backward: (g, { inputs: [x] }) => [G.reluBackward(g, x!)],
  }),
  /** GELU (tanh approximation). */
  gelu: defineOp({ arity: 1, forward: ([x]) => T.gelu(x!), backward: (g, { inputs: [x] }) => [G.geluBackward(g, x!)] }),
  /** ln(1 + this), accurate for small values. */
  log1p: defineOp({
    arity: 1,
    forward: ([x]) => T.log1p(x!),
    // d/dx ln(1 + x) = 1/(1 + x)
    backward: (g, { inputs: [x] }) => {
      const d = T.add(x!, 1);
      return freeing([d], [T.div(g, d)]);
    },
  }),
  /** e^this − 1, accurate for small values. */
  expm1: defineOp({
    arity: 1,
    forward: ([x]) => T.expm1(x!),
    // d/dx (eˣ − 1) = eˣ = y + 1
    backward: (g, { output: y }) => {
      const d = T.add(y, 1);
      return freeing([d], [T.mul(g, d)]);
    },
  }),
  /** ln σ(this), stable; its gradient is σ(−this). */
  logSigmoid: defineOp({
    arity: 1,
    forward: ([x]) => T.logSigmoid(x!),
    // d/dx ln σ(x) = 1 − σ(x) = σ(−x)
    backward: (g, { inputs: [x] }) => {
      const s = T.sigmoid(T.neg(x!));
      return [T.mul(g, s)];
    },
  }),
  /** log(1 + e^this), stable; its gradient is σ(this). */
  softplus: defineOp({
    arity: 1,
    // log(1 + eˣ) = max(x, 0) + log(1 + e^−|x|): no overflow for large |x|
    forward: ([x]) => {
      const r = T.relu(x!);
      const a = T.abs(x!);
      const na = T.neg(a);
      const e = T.exp(na);
      const e1 = T.add(e, 1);
      const l = T.log(e1);
      return freeing([a, na, e, e1], reducedAdd(r, l));
    },
    // softplus′ = σ(x), exactly, including at x = 0
    backward: (g, { inputs: [x] }) => {
      const s = T.sigmoid(x!);
      return freeing([s], [T.mul(g, s)]);
    },
  }),
  /** σ(this). */
  sigmoid: defineOp({
    arity: 1,
    forward: ([x]) => T.sigmoid(x!),
    // σ′ = σ(1 − σ)
    backward: (g, { output: y }) => [G.sigmoidBackward(g, y)],
  }),
  /** tanh(this). */
  tanh: defineOp({
    arity: 1,
    forward: ([x]) => T.tanh(x!),
    // tanh′ = 1 − tanh²
    backward: (g, { output: y }) => [G.tanhBackward(g, y)],
  }),
};

/** Every differentiable op, by name. The gradcheck suite enumerates this table. */
export const opTable = {
  ...binaryOps,
  ...unaryOps,
  squaredError: defineOp<{ scale: number }>({
    arity: 2,
    // Σ (p − t)² · scale in one pass, accumulated in float64 — mse's 'sum' and 'mean' fused, in
    // place of sub, square and mean (fewer ops on the training hot path, and more precise)
    // (the sum and g stay in WebAssembly memory, never read into JavaScript, so record() replays it)
    forward: ([p, t], { scale }) => {
      const d = T.sub(p!, t!);
      return freeing([d], G.sumOfSquaresScaled(d, scale));
    },
    // ∂/∂p = 2·scale·(p − t)·g, ∂/∂t = −∂/∂p
    backward: (g, { inputs: [p, t], attrs: { scale }, needs }) => {
      const d = T.sub(p!, t!);
      G.scaleByInPlace(d, g, 2 * scale);
      const dt = needs[1] ? reduced(T.neg(d), t!.shape) : null;
      return [needs[0] ? reduced(d, p!.shape) : freeing([d], null), dt];
    },
  }),
  leakyRelu: defineOp<{ slope: number }>({
    arity: 1,
    forward: ([x], { slope }) => T.leakyRelu(x!, slope),
    // g where x > 0, g·slope elsewhere; g·slope keeps g's dtype (a where over the two numbers
    // would round the slope to float32 and put 1.5e-8 into a float64 gradient)
    backward: (g, { inputs: [x], attrs: { slope } }) => {
      const pos = T.gt(x!, 0);
      const gs = T.mul(g, slope);
      return freeing([pos, gs], [T.where(pos, g, gs)]);
    },
  }),
  clamp: defineOp<{ min: number; max: number }>({
    arity: 1,
    forward: ([x], { min, max }) => T.clamp(x!, min, max),
    // passes where min ≤ x ≤ max (bounds included, as PyTorch)
    backward: (g, { inputs: [x], attrs: { min, max } }) => {
      const lo = T.ge(x!, min);
      const hi = T.le(x!, max);
      const inside = T.mul(lo, hi);
      return freeing([lo, hi, inside], [T.where(inside, g, 0)]);
    },
  }),
  where: defineOp<{ cond: Tensor }>({
    arity: 2,
    forward: ([a, b], { cond }) => T.where(cond, a!, b!),
    backward: (g, { inputs: [a, b], attrs: { cond }, needs }) => [
      needs[0] ? reduced(T.where(cond, g, 0), a!.shape) : null,
      needs[1] ? reduced(T.where(cond, 0, g), b!.shape) : null,
    ],
  }),
  matmul: defineOp<{ transposeA: boolean; transposeB: boolean }>({
    arity: 2,
    forward: ([a, b], attrs) => T.matmul(a!, b!, attrs),
    // C = op(A)·op(B): dA = g·op(B)ᵀ, dB = op(A)ᵀ·g, each read through the transposed GEMM
    // variants (no transpose is materialised), then summed over broadcast batch axes.
    backward: (g, { inputs: [a, b], attrs: { transposeA: tA, transposeB: tB }, needs }) => {
      const da = !needs[0] ? null : tA ? T.matmul(b!, g, { transposeA: tB, transposeB: true }) : T.matmul(g, b!, { transposeB: !tB });
      const db = !needs[1] ? null : tB ? T.matmul(g, a!, { transposeA: true, transposeB: tA }) : T.matmul(a!, g, { transposeA: !tA });
      return [da && reduced(da, a!.shape), db && reduced(db, b!.shape)];
    },
  }),
  sum: defineOp<{ axis?: number | number[]; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.sum(x!, axis, keepDims),
    backward: (g, { inputs: [x], attrs }) => [spread(g, x!.shape, attrs.axis)],
  }),
  mean: defineOp<{ axis?: number | number[]; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.mean(x!, axis, keepDims),
    backward: (g, { inputs: [x], output: y, attrs }) => {
      const s = spread(g, x!.shape, attrs.axis);
      return freeing([s], [T.mul(s, y.size / Math.max(1, x!.size))]);
    },
  }),
  max: defineOp<{ axis?: number | number[]; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.max(x!, axis, keepDims),
    backward: (g, ctx) => [extremumGrad(g, ctx)],
  }),
  min: defineOp<{ axis?: number | number[]; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.min(x!, axis, keepDims),
    backward: (g, ctx) => [extremumGrad(g, ctx)],
  }),
  logSumExp: defineOp<{ axis: number; keepDims: boolean }>({
    arity: 1,
    forward: ([x], { axis, keepDims }) => T.logSumExp(x!, axis, keepDims),
    // ∂/∂x_i log Σ exp x = softmax(x)_i
    backward: (g, { inputs: [x], attrs: { axis } }) => {
      const sm = T.softmax(x!, axis);
      const gs = spread(g, x!.shape, axis);
      return freeing([sm, gs], [T.mul(gs, sm)]);
    },
  }),
  softmax: defineOp<{ axis: number }>({
    arity: 1,
    forward: ([x], { axis }) => T.softmax(x!, axis),
    // dx_i = y_i (g_i − Σ_j g_j y_j)
    backward: (g, { output: y, attrs: { axis } }) => [G.softmaxBackward(y, g, axis, false)],
  }),
  logSoftmax: defineOp<{ axis: number }>({
    arity: 1,
    forward: ([x], { axis }) => T.logSoftmax(x!, axis),
    // d/dx log(softmax(x))_i = onehot_i − softmax_i, so dx = g − softmax · Σ g
    backward: (g, { output: y, attrs: { axis } }) => [G.softmaxBackward(y, g, axis, true)],
  }),
  reshape: defineOp<{ shape: number[] }>({
    arity: 1,
    forward: ([x], { shape }) => T.reshape(x!, shape),
    backward: (g, { inputs: [x] }) => [T.reshape(g, x!.shape)],
  }),
  transpose: defineOp<{ perm?: number[] }>({
    arity: 1,
    forward: ([x], { perm }) => T.transpose(x!, perm),
    backward: (g, { inputs: [x], attrs: { perm } }) => {
      const r = x!.rank;
      const p = (perm ?? Array.from({ length: r }, (_, i) => r - 1 - i)).map((a) => (a < 0 ? a + r : a));
      const inverse = new Array<number>(r);
      p.forEach((a, i) => {
        inverse[a] = i;
      });
      return [T.transpose(g, inverse)];
    },
  }),
  broadcastTo: defineOp<{ shape: number[] }>({
    arity: 1,
    forward: ([x], { shape }) => T.broadcastTo(x!, shape),
    backward: (g, { inputs: [x] }) => [G.sumTo(g, x!.shape)],
  }),
  slice: defineOp<{ begin: number[]; size: number[] }>({
    arity: 1,
    forward: ([x], { begin, size }) => T.slice(x!, begin, size),
    backward: (g, { inputs: [x], attrs: { begin } }) => {
      const starts = x!.shape.map((d, i) => {
        const b = begin[i] ?? 0;
        return b < 0 ? b + d : b;
      });
      return [G.padSlice(g, starts, x!.shape)];
    },
  }),
  gather: defineOp<{ indices: Tensor; axis: number }>({
    arity: 1,
    forward: ([x], { indices, axis }) => T.gather(x!, indices, axis),
    // the adjoint of picking is scattering back, adding where an index repeats
    backward: (g, { inputs: [x], attrs: { indices, axis } }) => [G.gatherBackward(g, indices, axis, x!.shape)],
  }),
  conv2d: defineOp<T.Conv2dOptions>({
    arity: -1,
    forward: ([x, w, b], opts) => T.conv2d(x!, w!, b, opts),
    // y = x ⋆ w + b: dx is the transposed convolution of g with w, dw = Σ_n g ⋆ x (per tap),
    // db = Σ g over batch and space
    backward: (g, { inputs: [x, w], needs, attrs }) => [
      needs[0] ? G.conv2dBackwardInput(g, w!, x!.shape, attrs) : null,
      needs[1] ? G.conv2dBackwardWeight(x!, g, w!.shape, attrs) : null,
      ...(needs.length > 2 ? [needs[2] ? T.sum(g, [0, 2, 3]) : null] : []),
    ],
  }),
  convTranspose2d: defineOp<T.ConvTranspose2dOptions>({
    arity: -1,
    forward: ([x, w, b], opts) => T.convTranspose2d(x!, w!, b, opts),
    // the adjoint of conv2d's input gradient is conv2d itself; the weight gradient is conv2d's
    // weight gradient with the roles of input and output exchanged
    backward: (g, { inputs: [x, w], needs, attrs }) => {
      const { outputPadding: _, ...conv } = attrs;
      return [
        needs[0] ? T.conv2d(g, w!, undefined, conv) : null,
        needs[1] ? G.conv2dBackwardWeight(g, x!, w!.shape, conv) : null,
        ...(needs.length > 2 ? [needs[2] ? T.sum(g, [0, 2, 3]) : null] : []),
      ];
    },
  }),
  maxPool2d: defineOp<{ kernelSize: T.Size2d; options: T.Pool2dOptions }>({
    arity: 1,
    forward: ([x], { kernelSize, options }) => T.maxPool2d(x!, kernelSize, options),
    // each window's gradient goes to the one input it took (the first maximum); the positions
    // are recomputed here rather than held by the graph
    backward: (g, { inputs: [x], attrs: { kernelSize, options } }) => {
      const { values, indices } = G.maxPool2dWithIndices(x!, kernelSize, options);
      return freeing([values, indices], [G.maxPool2dBackward(g, indices, x!.shape)]);
    },
  }),
  avgPool2d: defineOp<{ kernelSize: T.Size2d; options: T.Pool2dOptions }>({
    arity: 1,
    forward: ([x], { kernelSize, options }) => T.avgPool2d(x!, kernelSize, options),
    backward: (g, { inputs: [x], attrs: { kernelSize, options } }) => [G.avgPool2dBackward(g, x!.shape, kernelSize, options)],
  }),
  adaptiveAvgPool2d: defineOp<{ outputSize: T.Size2d }>({
    arity: 1,
    forward: ([x], { outputSize }) => T.adaptiveAvgPool2d(x!, outputSize),
    backward: (g, { inputs: [x] }) => [G.adaptiveAvgPool2dBackward(g, x!.shape)],
  }),
  concat: defineOp<{ axis: number; count: number }>({
    arity: -1,
    forward: (xs, { axis }) => T.concat(xs, axis),
    backward: (g, { inputs, attrs: { axis } }) => {
      const ax = axis < 0 ? axis + g.rank : axis;
      let offset = 0;
      return inputs.map((x) => {
        const begin = g.shape.map((_, i) => (i === ax ? offset : 0));
        offset += x.shape[ax]!;
        return T.slice(g, begin, x.shape);
      });
    },
  }),
};

/** Name of a differentiable op in the table. */
export type OpName = keyof typeof opTable;

/** a + b, freeing both. */
function reducedAdd(a: Tensor, b: Tensor): Tensor {
  return freeing([a, b], T.add(a, b));
}

/** Spreads a reduced gradient back over the reduced axes of `shape`. */
function spread(g: Tensor, shape: readonly number[], axis: number | number[] | undefined): Tensor {
  const r = shape.length;
  const axes = axis === undefined ? shape.map((_, i) => i) : (typeof axis === 'number' ? [axis] : axis).map((a) => (a < 0 ? a + r : a));
  const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
  const gk = T.reshape(g, kept);
  return freeing([gk], T.broadcastTo(gk, shape));
}

/** max/min: the gradient goes to the elements equal to the extremum, shared equally among ties. */
function extremumGrad(g: Tensor, { inputs: [x], output: y, attrs }: OpContext<{ axis?: number | number[]; keepDims: boolean }>): Tensor {
  const yb = spread(y, x!.shape, attrs.axis);
  const mask = T.eq(x!, yb);
  // in g's float dtype: shares such as 1/3 among three ties stay exact to float64 in float64
  const maskF = T.cast(mask, g.dtype === 'float64' ? 'float64' : 'float32');
  const count = T.sum(maskF, attrs.axis, true);
  const countB = T.broadcastTo(count, x!.shape);
  const share = T.div(maskF, countB);
  const gs = spread(g, x!.shape, attrs.axis);
  return freeing([yb, mask, maskF, count, countB, share, gs], T.mul(gs, share));
}

/**
 * Gradients of maximum/minimum: all to the winner (`first` marks where a wins), half each on
 * ties; only for the inputs that need one. Temporaries are freed by the rule's scope.
 */
function tieSplit(g: Tensor, a: Tensor, b: Tensor, first: Tensor, needs: boolean[]): Array<Tensor | null> {
  const tie = T.eq(a, b);
  return [
    needs[0] ? reduced(T.mul(g, T.where(first, 1, T.where(tie, 0.5, 0))), a.shape) : null,
    needs[1] ? reduced(T.mul(g, T.where(first, 0, T.where(tie, 0.5, 1))), b.shape) : null,
  ];
}
