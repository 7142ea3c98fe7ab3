// The Variable: a Tensor value that remembers how it was computed, so backward() can apply the
// chain rule from an output back to every leaf: dz/dx = dz/dy · dy/dx (docs/tutorial.md §2.5).
import * as T from '@gd/tensor';
import {
  add,
  cast,
  DIFFERENTIABLE,
  IndexError,
  keep,
  ones,
  reshape,
  ShapeError,
  StateError,
  scope,
  TENSORS,
  Tensor,
  type TensorLike,
  tensor,
  ValueError,
} from '@gd/tensor';
import { holdForReplay, replaceHeldForReplay } from '@gd/tensor/grad';
import {
  binaryOps,
  composedAttentionBackward,
  composedLayerNormBackward,
  composedLstmSequenceBackward,
  GELU_C,
  GELU_K,
  type GradOps,
  type OpContext,
  type OpSpec,
  opTable,
  type Val as RuleVal,
  tensorOps,
  unaryOps,
} from './ops.js';

/** A gradient on the fast path (a Tensor) or with a graph (a Variable). */
type Val = Tensor | Variable;

let gradEnabled = true;

/** True unless inside noGrad(). */
export function isGradEnabled(): boolean {
  return gradEnabled;
}

/**
 * Runs `fn` without recording a graph: results have no parents and need no backward memory.
 *
 * @example
 * ```ts
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`noGrad: expected a function, got ${typeof fn}`);
  const prev = gradEnabled;
  gradEnabled = false;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

/**
 * Runs `fn` with grad mode on, even inside noGrad() (PyTorch's `enable_grad`): the functional
 * forms use it to differentiate wherever they are called.
 */
export function enableGrad<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`enableGrad: expected a function, got ${typeof fn}`);
  const prev = gradEnabled;
  gradEnabled = true;
  try {
    return fn();
  } finally {
    gradEnabled = prev;
  }
}

const replaced = new WeakMap<Variable, string>();

/**
 * Records that `old` was replaced by another Variable (as Module.to() replaces each parameter)
 * and why, so whatever still holds it — an optimizer built before — can say what happened.
 */
export function markReplaced(old: Variable, why: string): void {
  replaced.set(old, why);
}

/** Why `v` was replaced (markReplaced), or undefined. */
export function replacedBecause(v: Variable): string | undefined {
  return replaced.get(v);
}

let retainByDefault = 0;

/**
 * Runs `fn` with backward() keeping the graph unless told otherwise (`retainGraph` defaults to
 * true): for a caller that differentiates the loss again after a closure ran its backward (Newton's
 * method reads the Hessian from the graph the closure's backward() would free).
 */
export function retainingGraphs<T>(fn: () => T): T {
  retainByDefault++;
  try {
    return fn();
  } finally {
    retainByDefault--;
  }
}

/** Options of backward(). */
export interface BackwardOptions {
  /** Keep the graph's gradient functions so backward() can run through it again (default: createGraph). */
  retainGraph?: boolean;
  /** Also store `.grad` on every intermediate node (for inspection, e.g. toDot). */
  retainGrads?: boolean;
  /**
   * Record the graph of the gradient itself, so it can be differentiated again (second and
   * higher derivatives, gradient penalties). Each leaf's `.grad` then holds the gradient's value,
   * and `asVariable(x.grad)` the differentiable gradient.
   */
  createGraph?: boolean;
}

/** A recorded op's gradient rule, bound to its node: the upstream gradient → one per input. */
export type Backward = (g: RuleVal, graph: boolean) => Array<RuleVal | null>;

/** Each differentiable gradient (createGraph) by the Tensor it leaves in `.grad`. */
const gradGraphs = new WeakMap<Tensor, Variable>();

/**
 * A Tensor in a computation graph. Ops on Variables return Variables that record their inputs
 * and gradient rule; `backward()` fills `.grad` of every leaf that requires it.
 *
 * @example
 * ```ts
 * const w = variable([2, 3]);
 * w.square().sum().backward();
 * w.grad!.toArray(); // [4, 6]
 * ```
 */
// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: the interface after the class declares the methods installed there
export class Variable {
  /** The forward value. */
  readonly value: Tensor;
  /** Accumulated gradient of the last backward output with respect to this (leaves, or retained). */
  grad: Tensor | null = null;
  /** Whether gradients flow to this node. */
  readonly requiresGrad: boolean;
  /** The op that produced this node ('leaf' for user-created variables). */
  readonly op: string;
  /** The inputs of that op. */
  readonly parents: readonly Variable[];
  /** An optional label (shown by toDot). */
  name: string | undefined;
  /** The op's attributes (axes, shapes, options), as recorded; what an exporter reads. */
  readonly attrs: unknown;
  private backwardFn: Backward | null;
  private released = false;
  private retain = false;

  /** @internal — use variable() or the ops. */
  constructor(
    value: Tensor,
    requiresGrad: boolean,
    op = 'leaf',
    parents: readonly Variable[] = [],
    backwardFn: Backward | null = null,
    name?: string,
    attrs?: unknown,
  ) {
    this.value = value;
    this.requiresGrad = requiresGrad;
    this.op = op;
    this.parents = parents;
    this.backwardFn = backwardFn;
    this.name = name;
    this.attrs = attrs;
  }

  /** True for user-created variables (not produced by an op). */
  get isLeaf(): boolean {
    return this.op === 'leaf';
  }

  get shape(): readonly number[] {
    return this.value.shape;
  }
  get dtype() {
    return this.value.dtype;
  }
  get size(): number {
    return this.value.size;
  }
  get rank(): number {
    return this.value.rank;
  }

  /** The value as nested arrays. */
  toArray() {
    return this.value.toArray();
  }
  /** The value of a one-element variable. */
  item(): number {
    return this.value.item();
  }
  /** The value's data (a copy). */
  data() {
    return this.value.data();
  }

  /** A Variable with the same value and no history (the graph stops here). */
  detach(): Variable {
    return new Variable(this.value, false);
  }

  /** Keep `.grad` on this intermediate node after backward(). */
  retainGrad(): this {
    this.retain = true;
    return this;
  }

  /** Clears the accumulated gradient. */
  zeroGrad(): void {
    this.grad?.dispose();
    this.grad = null;
  }

  /**
   * Reverse mode: visits the graph in reverse topological order and applies each op's
   * vector–Jacobian product (the chain rule), accumulating into `.grad` of the leaves.
   * A non-scalar output needs the upstream gradient `seed`. With `{ createGraph: true }` the
   * gradient is recorded too, so it can be differentiated again.
   */
  backward(seed?: TensorLike | Variable | BackwardOptions, options: BackwardOptions = {}): void {
    // backward({ createGraph: true }) as PyTorch's keywords: a plain object first is the options
    if (isOptionsObject(seed)) {
      options = seed;
      seed = undefined;
    }
    options = T.checkOptions('backward', options);
    if (!this.requiresGrad)
      throw new StateError('backward: this variable does not require grad (no leaf with requiresGrad is upstream of it)');
    const createGraph = !!options.createGraph;
    const start = seedOf('backward', this, seed as TensorLike | Variable | undefined, createGraph);
    backpropagate([this], [start], {
      createGraph,
      retainGraph: options.retainGraph ?? (createGraph || retainByDefault > 0),
      accumulate: { retainGrads: !!options.retainGrads },
    });
  }

  /**
   * Applies this node's gradient rule to its upstream gradient `g` and adds each result into
   * the pending gradient of its parent. On the fast path the rule runs in a scope (as tfjs's tape
   * runs each gradient in tidy), so whatever temporaries it makes are freed, and a gradient
   * computed for a parent that needs none is dropped there too; with a graph, the rule's
   * results are Variables of the caller's scope.
   * @internal
   */
  propagate(g: Val, pending: Map<Variable, Val>, graph: boolean): void {
    const rule = this.backwardFn;
    if (this.released || !rule) {
      throw new StateError(
        `backward: the graph through '${this.op}' was freed by an earlier backward(); pass { retainGraph: true } to the first call to run backward twice`,
      );
    }
    const parents = this.parents;
    const run = () => {
      const gs = rule(g, graph) as Array<Val | null>;
      for (let k = 0; k < gs.length; k++) if (gs[k] && !parents[k]!.requiresGrad) gs[k] = null;
      return gs;
    };
    const parentGrads = graph ? run() : scope(run as () => Tensor[]);
    for (let k = 0; k < parents.length; k++) {
      let pg = parentGrads[k];
      if (!pg) continue;
      const p = parents[k]!;
      if (!graph) {
        // a gradient tensor passed on unchanged (or to two parents) gets its own handle, so each
        // holder can free it
        let repeated = pg === g;
        for (let j = 0; j < k && !repeated; j++) repeated = parentGrads[j] === pg;
        if (repeated) pg = reshape(pg as Tensor, pg.shape);
      }
      // a float32 input of a float64 op gets a float32 gradient, and vice versa
      if (pg.dtype !== p.dtype && p.dtype !== 'int32') {
        const converted = graph ? (pg as Variable).cast(p.dtype) : cast(pg as Tensor, p.dtype);
        if (!graph) (pg as Tensor).dispose();
        pg = converted;
      }
      const prev = pending.get(p);
      if (prev) {
        if (graph) pending.set(p, (prev as Variable).add(pg as Variable));
        else {
          pending.set(p, add(prev as Tensor, pg as Tensor));
          (prev as Tensor).dispose();
          (pg as Tensor).dispose();
        }
      } else {
        pending.set(p, pg);
      }
    }
  }

  /** Marks the graph through this node as freed (backward without retainGraph). @internal */
  release(): void {
    this.released = true;
  }

  /** Whether backward() keeps `.grad` on this node. @internal */
  get retainsGrad(): boolean {
    return this.retain;
  }

  /** Adds a gradient into `.grad` (a Tensor on the fast path, a Variable with a graph). @internal */
  accumulate(g: Val): void {
    if (g instanceof Variable) {
      const prev = this.grad === null || this.grad.isDisposed ? null : (gradGraphs.get(this.grad) ?? new Variable(this.grad, false));
      const sum = prev ? prev.add(g) : g;
      if (this.grad && !this.grad.isDisposed) this.grad.dispose();
      // the gradient's value outlives the caller's scope, as a fast-path gradient does; its
      // graph is reached through asVariable(x.grad)
      this.grad = keep(reshape(sum.value, sum.shape));
      // the graph's node holds a handle of its own, so zeroGrad() on this one leaves it usable
      gradGraphs.set(this.grad, new Variable(reshape(sum.value, sum.shape), sum.requiresGrad, 'grad', [sum], (up) => [up]));
      return;
    }
    // inside record(): every replay writes this gradient again, so one dropped by zeroGrad()
    // between replays comes back (else the optimizer would silently skip the parameter)
    const restore = (alias: () => Tensor) => {
      if (this.grad === null || this.grad.isDisposed) this.grad = alias();
    };
    if (this.grad === null || this.grad.isDisposed) {
      // leaves own their gradient beyond any scope; intermediate retained grads share g
      this.grad = keep(this.isLeaf ? g : reshape(g, g.shape));
      holdForReplay(this.grad, restore);
      return;
    }
    // inside record(): the sum is handed back instead; a gradient from before record() is refused
    replaceHeldForReplay(this.grad);
    const next = keep(add(this.grad, g));
    this.grad.dispose();
    if (this.isLeaf) g.dispose();
    this.grad = next;
    holdForReplay(next, restore);
  }

  // ── ops: each records a node whose gradient rule is in the op table (ops.ts) ──
  /** Σ (this − target)² · scale as a scalar, in one fused pass (the core of mse). */
  squaredError(target: VariableLike, scale = 1): Variable {
    return apply('squaredError', opTable.squaredError, [this, target], { scale });
  }
  /** The value in another dtype; the gradient is cast back to this one's. */
  cast(dtype: T.DType): Variable {
    if (dtype === this.dtype) return this;
    return apply('cast', opTable.cast, [this], { dtype });
  }
  /** this > 0 ? this : slope · this. */
  leakyRelu(slope = 0.01): Variable {
    return apply('leakyRelu', opTable.leakyRelu, [this], { slope });
  }
  /** GELU: exact x·Φ(x) by default (PyTorch's nn.GELU()); `{ approximate: 'tanh' }` for the tanh form. */
  gelu(options: T.GeluOptions = {}): Variable {
    const { approximate = 'none' } = T.checkOptions('gelu', options);
    // checked before the op is recorded, with the tensor op's message
    if (approximate !== 'none' && approximate !== 'tanh') {
      throw new ValueError(`gelu: approximate must be 'none' or 'tanh', got ${JSON.stringify(approximate) ?? String(approximate)}`);
    }
    return apply('gelu', opTable.gelu, [this], { approximate });
  }
  /** Limits to [min, max]; the gradient passes where min ≤ x ≤ max. */
  clamp(min: number, max: number): Variable {
    return apply('clamp', opTable.clamp, [this], { min, max });
  }
  /** cond ? this : other (cond is a constant mask). */
  where(cond: TensorLike | Variable, other: VariableLike): Variable {
    const c = cond instanceof Variable ? cond.value : cond instanceof Tensor ? cond : tensor(cond as never);
    return apply('where', opTable.where, [this, other], { cond: c });
  }
  /** Matrix product; 1-D operands act as row/column vectors (NumPy), batches broadcast. */
  matmul(b: VariableLike, options: T.MatmulOptions = {}): Variable {
    options = T.checkOptions('matmul', options);
    const bv = asVariable(b);
    const a2 = this.rank === 1 ? this.reshape([1, this.shape[0]!]) : this;
    const b2 = bv.rank === 1 ? bv.reshape([bv.shape[0]!, 1]) : bv;
    const attrs = { transposeA: !!options.transposeA && this.rank >= 2, transposeB: !!options.transposeB && bv.rank >= 2 };
    let out = apply('matmul', opTable.matmul, [a2, b2], attrs);
    if (this.rank === 1) out = out.squeeze(-2);
    if (bv.rank === 1) out = out.squeeze(-1);
    return out;
  }
  /**
   * Swaps two axes, `transpose(dim0, dim1)` as PyTorch's (negative axes count from the end), or
   * permutes them all by `perm` (reversed when omitted).
   */
  transpose(perm?: readonly number[] | number, dim1?: number): Variable {
    if (typeof perm === 'number' || dim1 !== undefined) {
      if (typeof perm !== 'number' || typeof dim1 !== 'number') {
        throw new IndexError(`transpose: two axes (dim0, dim1) or one permutation array expected, got ${String(perm)} and ${String(dim1)}`);
      }
      const a = checkedAxis('transpose', perm, this.rank);
      const b = checkedAxis('transpose', dim1, this.rank);
      const p = Array.from({ length: this.rank }, (_, i) => (i === a ? b : i === b ? a : i));
      return apply('transpose', opTable.transpose, [this], { perm: p });
    }
    return apply('transpose', opTable.transpose, [this], { perm: perm === undefined ? undefined : [...perm] });
  }
  /** Reorders the axes: axis i of the result is axis `perm[i]` (PyTorch's `permute`). */
  permute(perm: readonly number[]): Variable {
    if (!Array.isArray(perm)) throw new ValueError(`permute: perm must be an array of axes, got ${perm === null ? 'null' : typeof perm}`);
    return apply('transpose', opTable.transpose, [this], { perm: [...perm] });
  }
  /** GELU: exact x·Φ(x) by default (PyTorch's nn.GELU()); `{ approximate: 'tanh' }` for the tanh form. */
  /** The transpose. */
  get T(): Variable {
    return this.transpose();
  }
  /** Same data, new shape (one −1 allowed). */
  reshape(shape: readonly number[]): Variable {
    return apply('reshape', opTable.reshape, [this], { shape: T.reshapeShape('reshape', this.shape, shape) });
  }
  /** Inserts an axis of length 1. */
  expandDims(axis = 0): Variable {
    return this.reshape(T.expandDimsShape('expandDims', this.shape, axis));
  }
  /** Removes axes of length 1. */
  squeeze(axis?: number | readonly number[]): Variable {
    return this.reshape(T.squeezeShape('squeeze', this.shape, axis));
  }
  /** Flattens to rank 1. */
  flatten(): Variable {
    return this.reshape([this.size]);
  }
  /** Broadcasts to `shape`. */
  broadcastTo(shape: readonly number[]): Variable {
    if (!Array.isArray(shape))
      throw new ShapeError(`broadcastTo: shape must be an array of integers, got ${shape === null ? 'null' : typeof shape}`);
    return apply('broadcastTo', opTable.broadcastTo, [this], { shape: [...shape] });
  }
  /** A block of the tensor (tf.slice semantics). */
  slice(begin: number | readonly number[], size?: number | readonly number[]): Variable {
    return apply('slice', opTable.slice, [this], T.sliceBounds('slice', this.shape, begin, size));
  }
  /** Entries along `axis` picked by int32 indices. */
  gather(indices: TensorLike, axis = 0): Variable {
    const idx = indices instanceof Tensor ? indices : tensor(indices as never, { dtype: 'int32' });
    return apply('gather', opTable.gather, [this], { indices: idx, axis });
  }
  /** The lower triangle of the last two axes (column − row ≤ k kept, the rest zero). */
  tril(k = 0): Variable {
    if (!Number.isInteger(k)) T.tril(this.value, k);
    return apply('tril', opTable.tril, [this], { k });
  }
  /** The upper triangle of the last two axes (column − row ≥ k kept, the rest zero). */
  triu(k = 0): Variable {
    if (!Number.isInteger(k)) T.triu(this.value, k);
    return apply('triu', opTable.triu, [this], { k });
  }
  /** `value` where the (constant) mask is nonzero; the mask broadcasts to this shape. No gradient reaches filled entries. */
  maskedFill(mask: TensorLike | Variable, value: number): Variable {
    const m = mask instanceof Variable ? mask.value : mask instanceof Tensor ? mask : tensor(mask as never);
    try {
      return apply('maskedFill', opTable.maskedFill, [this], { mask: m, value });
    } catch (e) {
      // a mask made here from an array is the graph's to keep only if the op was recorded
      if (m !== mask && !(mask instanceof Variable)) m.dispose();
      throw e;
    }
  }
  /** Running sums along `axis`. */
  cumsum(axis: number): Variable {
    return apply('cumsum', opTable.cumsum, [this], { axis });
  }
  /**
   * The k largest (or smallest) entries along an axis (default −1) and their int32 indices, as
   * `topk` on tensors; the values are differentiable, the gradient going back to the chosen entries.
   */
  topk(k: number, options: T.TopkOptions | number = {}): { values: Variable; indices: Tensor } {
    const opts = typeof options === 'number' ? { axis: options } : T.checkOptions('topk', options);
    const axis = opts.axis ?? -1;
    const largest = opts.largest ?? true;
    // the tensor op validates and gives the indices
    const { values: v, indices } = T.topk(this.value, k, { ...opts, axis, largest });
    v.dispose();
    return { values: apply('topk', opTable.topk, [this], { k, axis, largest }), indices };
  }
  /**
   * Variance over axes (all by default): Σ(x − mean)²/(N − correction), correction 1 by default,
   * in two passes; composed of differentiable ops.
   */
  var(axis?: number | readonly number[], options: T.VarianceOptions = {}): Variable {
    return varianceOf('var', this, axis, options);
  }
  /** Standard deviation over axes: √var, with var's options. */
  std(axis?: number | readonly number[], options: T.VarianceOptions = {}): Variable {
    return varianceOf('std', this, axis, options).sqrt();
  }
  /** Pieces along `axis` of `sizes[i]` entries, or of `size` each (the last shorter), as PyTorch's `split`. */
  split(sizes: number | readonly number[], axis = 0): Variable[] {
    return pieces('split', this, sizes, axis);
  }
  /** `n` pieces along `axis` of ⌈len/n⌉ entries each (fewer when the axis is short), as PyTorch's `chunk`. */
  chunk(n: number, axis = 0): Variable[] {
    if (!Number.isInteger(n) || n < 1) throw new ValueError(`chunk: n must be a positive integer, got ${String(n)}`);
    const ax = checkedAxis('chunk', axis, this.rank);
    return pieces('chunk', this, Math.max(1, Math.ceil(this.shape[ax]! / n)), ax);
  }
  /** Σ over axes (all by default). */
  sum(axis?: number | number[], keepDims = false): Variable {
    return apply('sum', opTable.sum, [this], { axis, keepDims });
  }
  /** Mean over axes (all by default). */
  mean(axis?: number | number[], keepDims = false): Variable {
    return apply('mean', opTable.mean, [this], { axis, keepDims });
  }
  /** Maximum over axes (ties share the gradient). */
  max(axis?: number | number[], keepDims = false): Variable {
    return apply('max', opTable.max, [this], { axis, keepDims });
  }
  /** Minimum over axes (ties share the gradient). */
  min(axis?: number | number[], keepDims = false): Variable {
    return apply('min', opTable.min, [this], { axis, keepDims });
  }
  /** Stable log Σ exp along `axis`. */
  logSumExp(axis = -1, keepDims = false): Variable {
    return apply('logSumExp', opTable.logSumExp, [this], { axis, keepDims });
  }
  /** Stable softmax along `axis`. */
  softmax(axis = -1): Variable {
    return apply('softmax', opTable.softmax, [this], { axis });
  }
  /** Stable log-softmax along `axis`. */
  logSoftmax(axis = -1): Variable {
    return apply('logSoftmax', opTable.logSoftmax, [this], { axis });
  }

  /**
   * 2-D convolution of this [N, C, H, W] (or [C, H, W]) with weight [outC, C/groups, kH, kW] and
   * an optional bias [outC], PyTorch's semantics; differentiable in all three.
   */
  conv2d(weight: VariableLike, bias?: VariableLike, options: T.Conv2dOptions = {}): Variable {
    return this.batched4((x) => apply('conv2d', opTable.conv2d, bias === undefined ? [x, weight] : [x, weight, bias], { ...options }));
  }
  /** Transposed 2-D convolution with weight [inC, outC/groups, kH, kW] (PyTorch's conv_transpose2d). */
  convTranspose2d(weight: VariableLike, bias?: VariableLike, options: T.ConvTranspose2dOptions = {}): Variable {
    return this.batched4((x) =>
      apply('convTranspose2d', opTable.convTranspose2d, bias === undefined ? [x, weight] : [x, weight, bias], { ...options }),
    );
  }
  /** 2-D max pooling (stride defaults to the kernel size); the gradient goes to the first maximum. */
  maxPool2d(kernelSize: T.Size2d, options: T.Pool2dOptions = {}): Variable {
    return apply('maxPool2d', opTable.maxPool2d, [this], { kernelSize, options: { ...options } });
  }
  /** 2-D average pooling, zero padding counted in the average. */
  avgPool2d(kernelSize: T.Size2d, options: T.Pool2dOptions = {}): Variable {
    return apply('avgPool2d', opTable.avgPool2d, [this], { kernelSize, options: { ...options } });
  }
  /** Adaptive average pooling to `outputSize`. */
  adaptiveAvgPool2d(outputSize: T.Size2d): Variable {
    return apply('adaptiveAvgPool2d', opTable.adaptiveAvgPool2d, [this], { outputSize });
  }
  /** Runs a batched image op on [C, H, W] input by lifting it to [1, C, H, W] and back. */
  private batched4(f: (x: Variable) => Variable): Variable {
    if (this.rank !== 3) return f(this);
    const y = f(this.reshape([1, ...this.shape]));
    return y.reshape(y.shape.slice(1));
  }

  // ── non-differentiable ops: plain Tensors of the value ──
  /** Index of the maximum (a Tensor; not differentiable). */
  argmax(axis?: number): Tensor {
    return T.argmax(this.value, axis);
  }
  /** Index of the minimum (a Tensor). */
  argmin(axis?: number): Tensor {
    return T.argmin(this.value, axis);
  }
  /** this == b as int32 (a Tensor). */
  eq(b: VariableLike): Tensor {
    return T.eq(this.value, operandValue(b));
  }
  /** this != b as int32 (a Tensor). */
  ne(b: VariableLike): Tensor {
    return T.ne(this.value, operandValue(b));
  }
  /** this > b as int32 (a Tensor). */
  gt(b: VariableLike): Tensor {
    return T.gt(this.value, operandValue(b));
  }
  /** this >= b as int32 (a Tensor). */
  ge(b: VariableLike): Tensor {
    return T.ge(this.value, operandValue(b));
  }
  /** this < b as int32 (a Tensor). */
  lt(b: VariableLike): Tensor {
    return T.lt(this.value, operandValue(b));
  }
  /** this <= b as int32 (a Tensor). */
  le(b: VariableLike): Tensor {
    return T.le(this.value, operandValue(b));
  }
  /** One-hot encoding of int32 ids (a Tensor). */
  oneHot(depth: number): Tensor {
    return T.oneHot(this.value, depth);
  }
  /** sign (a Tensor). */
  sign(): Tensor {
    return T.sign(this.value);
  }

  /**
   * A Tensor method called with this as an operand (`W.matmul(x)`) records as the Variable op:
   * the constant is lifted to a Variable that needs no grad. @internal
   */
  [DIFFERENTIABLE](method: string, self: Tensor, args: unknown[]): Variable {
    const lifted = asVariable(self) as unknown as Record<string, unknown>;
    const fn = lifted[method];
    if (typeof fn !== 'function') {
      throw new ValueError(`${method}: a Tensor's ${method} has no gradient rule; it cannot take a Variable operand`);
    }
    return (fn as (...a: unknown[]) => Variable).apply(lifted, args);
  }

  /** @internal for scope(): the tensors this variable holds */
  get [TENSORS](): Tensor[] {
    return this.grad ? [this.value, this.grad] : [this.value];
  }

  // ── PyTorch's slicing forms, composed from slice() (its gradient comes with it) ──
  /** PyTorch's `narrow`: `length` elements of axis `dim` from `start`; IndexError if it does not fit. */
  narrow(dim: number, start: number, length: number): Variable {
    const b = T.narrowBounds('narrow', this.shape, dim, start, length);
    return this.slice(b.begin, b.size);
  }
  /** The end-exclusive range `start:end` of axis `dim`, with Python's slicing rules (`x[start:end]`). */
  sliceRange(dim: number, start: number, end?: number): Variable {
    const b = T.rangeBounds('sliceRange', this.shape, dim, start, end);
    return this.slice(b.begin, b.size);
  }
}

/**
 * The elementwise methods, one per entry of the op table's `unaryOps` and `binaryOps`, each with
 * the entry's documentation: `x.op()` and `a.op(b)` record that op.
 */
export interface Variable extends OpMethods<typeof unaryOps, []>, OpMethods<typeof binaryOps, [b: VariableLike]> {}

/** One method per op of the group O, taking `Args`. */
type OpMethods<O, Args extends unknown[]> = { [K in keyof O]: (...args: Args) => Variable };

function define(name: string, value: (this: Variable, ...args: never[]) => Variable): void {
  Object.defineProperty(Variable.prototype, name, { value, configurable: true, writable: true });
}
for (const [name, spec] of Object.entries(unaryOps) as Array<[string, OpSpec]>) {
  define(name, function (this: Variable) {
    return apply(name, spec, [this], {});
  });
}
for (const [name, spec] of Object.entries(binaryOps) as Array<[string, OpSpec]>) {
  define(name, function (this: Variable, b: VariableLike) {
    return apply(name, spec, [this, b], {});
  });
}

/**
 * Applies an op to Variables: computes the forward value and, when any input requires grad and
 * grad mode is on, records the node with its gradient rule.
 */
export function apply<A>(name: string, spec: OpSpec<A>, inputs: VariableLike[], attrs: A): Variable {
  const n = inputs.length;
  const vars: Variable[] = new Array(n);
  const tensors: Tensor[] = new Array(n);
  const needs: boolean[] = new Array(n);
  let any = false;
  let float64 = false;
  for (const x of inputs) if ((x instanceof Variable || x instanceof Tensor) && x.dtype === 'float64') float64 = true;
  for (let i = 0; i < n; i++) {
    const v = operandVariable(inputs[i]!, float64);
    vars[i] = v;
    tensors[i] = v.value;
    needs[i] = v.requiresGrad;
    any ||= v.requiresGrad;
  }
  // the forward runs in a scope too, so an op built from several kernels cannot leak
  const output = scope(() => spec.forward(tensors, attrs));
  const recording = any && isGradEnabled();
  if (!recording && tracing === 0) return new Variable(output, false, name);
  let node: Variable;
  const backward: Backward = (g, graph) => {
    const ctx: OpContext<A> = graph
      ? { needs, inputs: vars, output: node, values: tensors, outputValue: output, attrs, graph }
      : { needs, inputs: tensors, output, values: tensors, outputValue: output, attrs, graph };
    return spec.backward(g, ctx, graph ? graphOps : tensorOps);
  };
  // while tracing, every op keeps its inputs and attributes, whether or not it needs a gradient
  node = new Variable(output, recording, name, vars, recording ? backward : null, undefined, attrs);
  return node;
}

let tracing = 0;

/**
 * Runs `fn` with every op recording its inputs and attributes, gradient or not, so the graph of
 * a whole computation — constants included — can be walked from its result (an exporter's
 * trace). Gradients are unaffected.
 */
export function traceOps<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ValueError(`traceOps: expected a function, got ${typeof fn}`);
  tracing++;
  try {
    return fn();
  } finally {
    tracing--;
  }
}

/** The options of backpropagate(). */
interface Propagation {
  createGraph: boolean;
  retainGraph: boolean;
  /** Accumulate into `.grad` of leaves (and retained nodes); absent: only capture. */
  accumulate?: { retainGrads: boolean };
  /** Nodes whose total gradient is returned instead (gradients()). */
  capture?: Set<Variable>;
}

/**
 * The chain rule from `roots` (with upstream gradients `seeds`) back through the graph: each
 * node's gradient rule, in reverse topological order, each gradient complete before its node's
 * rule runs. Returns the gradients of the captured nodes.
 */
function backpropagate(roots: Variable[], seeds: Val[], options: Propagation): Map<Variable, Val> {
  const { createGraph: graph, capture } = options;
  const order = topologicalOrder(roots);
  // the gradients waiting for their node: each is owned here until it is passed on or freed
  const pending = new Map<Variable, Val>();
  const captured = new Map<Variable, Val>();
  const prevMode = gradEnabled;
  gradEnabled = graph;
  try {
    for (let r = 0; r < roots.length; r++) {
      const prev = pending.get(roots[r]!);
      pending.set(
        roots[r]!,
        prev ? (graph ? (prev as Variable).add(seeds[r] as Variable) : add(prev as Tensor, seeds[r] as Tensor)) : seeds[r]!,
      );
    }
    for (let i = order.length - 1; i >= 0; i--) {
      const node = order[i]!;
      const g = pending.get(node);
      if (!g) continue;
      pending.delete(node);
      const wanted = capture?.has(node) ?? false;
      if (wanted) captured.set(node, graph ? g : reshape(g as Tensor, g.shape));
      const acc = options.accumulate;
      const owned = !!acc && (node.isLeaf || node.retainsGrad || acc.retainGrads);
      if (owned) node.accumulate(g);
      if (node.isLeaf) {
        // a leaf's gradient not taken by accumulate() is freed here
        if (!owned && !graph) (g as Tensor).dispose();
        continue;
      }
      try {
        node.propagate(g, pending, graph);
      } finally {
        if (!graph) (g as Tensor).dispose();
      }
      if (!options.retainGraph) node.release();
    }
  } finally {
    gradEnabled = prevMode;
    if (!graph) for (const g of pending.values()) (g as Tensor).dispose();
  }
  return captured;
}

/** The upstream gradient to start from: ones for a scalar output, else the given seed. */
function seedOf(op: string, out: Variable, seed: TensorLike | Variable | undefined, graph: boolean): Val {
  if (seed === undefined && out.size !== 1) {
    throw new ValueError(`${op}: output of shape [${out.shape.join(',')}] is not a scalar; pass the upstream gradient`);
  }
  // gradients take the dtype of their Variable: the seed of a float64 output is float64
  const gradType = out.dtype === 'float64' ? 'float64' : 'float32';
  let start: Tensor;
  if (seed instanceof Variable) {
    if (seed.size !== out.size) throw new ValueError(`${op}: seed has ${seed.size} elements; the output has ${out.size}`);
    if (graph) return seed.reshape(out.shape);
    start = reshape(seed.value, out.shape);
  } else {
    start =
      seed === undefined
        ? ones(out.shape as number[], gradType)
        : seed instanceof Tensor
          ? seed.size === out.size
            ? reshape(seed, out.shape)
            : seed
          : tensor(seed as never, { dtype: gradType });
    if (start.size !== out.size) {
      if (start !== seed) start.dispose();
      throw new ValueError(`${op}: seed has ${start.size} elements; the output has ${out.size}`);
    }
    if (start.shape.join() !== out.shape.join()) {
      const r = reshape(start, out.shape);
      start.dispose();
      start = r;
    }
  }
  return graph ? new Variable(start, false) : start;
}

/** Options of gradients(). */
export interface GradientsOptions {
  /** The upstream gradient of each output (default: 1 for scalar outputs). */
  gradOutputs?: Array<TensorLike | Variable | undefined> | TensorLike | Variable;
  /** Record the gradients' own graph, so they can be differentiated again. */
  createGraph?: boolean;
  /** Keep the graph for another backward pass (default: createGraph). */
  retainGraph?: boolean;
  /** An input the outputs do not depend on gets null instead of an error. */
  allowUnused?: boolean;
}

/**
 * The gradients of `outputs` with respect to `inputs` (PyTorch's `torch.autograd.grad`): Σ over
 * outputs of gradOutput · ∂output/∂input, without touching any `.grad`. With `createGraph` the
 * results are differentiable Variables (derivatives of any order); without it they are Variables
 * that require no grad.
 *
 * @example
 * ```ts
 * const x = variable(tensor([3], { dtype: 'float64' }));
 * const [dx] = gradients(x.pow(3), [x], { createGraph: true }); // 3x² = 27
 * const [ddx] = gradients(dx!, [x]); // 6x = 18
 * ```
 */
export function gradients(
  outputs: Variable | readonly Variable[],
  inputs: Variable | readonly Variable[],
  options: GradientsOptions = {},
): Array<Variable | null> {
  options = T.checkOptions('gradients', options);
  const outs = outputs instanceof Variable ? [outputs] : outputs;
  const ins = inputs instanceof Variable ? [inputs] : inputs;
  if (!Array.isArray(outs) || outs.some((o) => !(o instanceof Variable)))
    throw new ValueError('gradients: outputs must be a Variable or an array of Variables');
  if (!Array.isArray(ins) || ins.some((x) => !(x instanceof Variable)))
    throw new ValueError('gradients: inputs must be a Variable or an array of Variables');
  ins.forEach((x, i) => {
    if (!x.requiresGrad) throw new StateError(`gradients: input ${i} does not require grad`);
  });
  const graph = !!options.createGraph;
  const go = options.gradOutputs;
  const seedsIn = Array.isArray(go) && outs.length > 1 ? go : outs.length === 1 ? [go] : (go as undefined) === undefined ? [] : [go];
  const roots: Variable[] = [];
  const seeds: Val[] = [];
  outs.forEach((o, i) => {
    if (!o.requiresGrad) return;
    roots.push(o);
    seeds.push(seedOf('gradients', o, seedsIn[i] as TensorLike | Variable | undefined, graph));
  });
  const captured = backpropagate(roots, seeds, { createGraph: graph, retainGraph: options.retainGraph ?? graph, capture: new Set(ins) });
  return ins.map((x, i) => {
    const g = captured.get(x);
    if (!g) {
      if (options.allowUnused) return null;
      throw new StateError(`gradients: input ${i} is not used by the outputs; pass { allowUnused: true } to get null for it`);
    }
    return g instanceof Variable ? g : new Variable(g, false);
  });
}

/** GradOps on Variables: every step records, so a gradient can be differentiated again. */
const graphOps: GradOps = {
  add: (a, b) => V(a).add(L(b)),
  sub: (a, b) => V(a).sub(L(b)),
  mul: (a, b) => V(a).mul(L(b)),
  div: (a, b) => V(a).div(L(b)),
  neg: (a) => V(a).neg(),
  exp: (a) => V(a).exp(),
  log: (a) => V(a).log(),
  square: (a) => V(a).square(),
  pow: (a, b) => V(a).pow(L(b)),
  sigmoid: (a) => V(a).sigmoid(),
  cast: (a, dtype) => V(a).cast(dtype),
  where: (cond, a, b) => apply('where', opTable.where, [L(a), L(b)], { cond }),
  sum: (a, axis, keepDims) => V(a).sum(axis, keepDims),
  reshape: (a, shape) => V(a).reshape(shape),
  broadcastTo: (a, shape) => V(a).broadcastTo(shape),
  transpose: (a, perm) => V(a).transpose(perm),
  slice: (a, begin, size) => apply('slice', opTable.slice, [L(a)], { begin, size }),
  gather: (a, indices, axis) => apply('gather', opTable.gather, [L(a)], { indices, axis }),
  matmul: (a, b, o) => apply('matmul', opTable.matmul, [L(a), L(b)], { transposeA: !!o.transposeA, transposeB: !!o.transposeB }),
  solve: (a, b) => apply('solve', opTable.solve, [L(a), L(b)], {}),
  conv2d: (x, w, o) => apply('conv2d', opTable.conv2d, [L(x), L(w)], { ...o }),
  avgPool2d: (x, kernelSize, options) => apply('avgPool2d', opTable.avgPool2d, [L(x)], { kernelSize, options }),
  adaptiveAvgPool2d: (x, outputSize) => apply('adaptiveAvgPool2d', opTable.adaptiveAvgPool2d, [L(x)], { outputSize }),
  sumTo: (g, shape) => apply('sumTo', opTable.sumTo, [L(g)], { shape: [...shape] }),
  padSlice: (g, begin, shape) => apply('padSlice', opTable.padSlice, [L(g)], { begin, shape: [...shape] }),
  scatterAdd: (g, indices, axis, shape) => apply('scatterAdd', opTable.scatterAdd, [L(g)], { indices, axis, shape: [...shape] }),
  // relu′ is 0 or 1: g where x > 0
  reluBackward: (g, _x, xv) => apply('where', opTable.where, [L(g), 0], { cond: T.gt(xv, 0) }),
  // exact: gelu′ = Φ(x) + x·φ(x) = ½(1 + erf(x/√2)) + x·e^(−x²/2)/√(2π);
  // tanh form, gelu(x) = ½x(1 + tanh u), u = c(x + kx³): gelu′ = ½(1 + tanh u) + ½x(1 − tanh²u)·c(1 + 3kx²)
  geluBackward: (g, x, approximate) => {
    const xv = V(x);
    if (approximate === 'none') {
      const cdf = xv.mul(Math.SQRT1_2).erf().add(1).mul(0.5);
      const pdf = xv
        .square()
        .mul(-0.5)
        .exp()
        .mul(1 / Math.sqrt(2 * Math.PI));
      return V(g).mul(cdf.add(xv.mul(pdf)));
    }
    const t = xv.add(xv.pow(3).mul(GELU_K)).mul(GELU_C).tanh();
    const du = xv
      .square()
      .mul(3 * GELU_K)
      .add(1)
      .mul(GELU_C);
    const d = t
      .add(1)
      .mul(0.5)
      .add(xv.mul(0.5).mul(t.square().neg().add(1)).mul(du));
    return V(g).mul(d);
  },
  sin: (a) => V(a).sin(),
  cos: (a) => V(a).cos(),
  triangle: (a, k, upper) => (upper ? V(a).triu(k) : V(a).tril(k)),
  cumsum: (a, axis) => V(a).cumsum(axis),
  sigmoidBackward: (g, y) => V(g).mul(V(y).mul(V(y).neg().add(1))),
  tanhBackward: (g, y) => V(g).mul(V(y).square().neg().add(1)),
  softmax: (a, axis) => V(a).softmax(axis),
  attentionBackward: (g, ctx) => composedAttentionBackward(g, ctx, graphOps),
  layerNormBackward: (g, ctx) => composedLayerNormBackward(g, ctx, graphOps),
  // the fused kernel's product composed of differentiable ops, from the gates recomputed:
  // dc̃ = dc' + dh'·o·(1 − tanh²c'), ∂i = dc̃·g·σ′, ∂f = dc̃·c·σ′, ∂g = dc̃·i·(1 − g²), ∂o = dh'·tanh c'·σ′, ∂c = dc̃·f
  lstmCellBackward: (g, xg, hg, c) => {
    const a = V(xg).add(V(hg));
    const [n, H] = [a.shape[0]!, a.shape[1]! / 4];
    const gate = (k: number) => a.slice([0, k * H], [n, H]);
    const dsig = (s: Variable) => s.mul(s.neg().add(1));
    const [i, f, gg, o] = [gate(0).sigmoid(), gate(1).sigmoid(), gate(2).tanh(), gate(3).sigmoid()];
    const tc = f.mul(V(c)).add(i.mul(gg)).tanh();
    const dh = V(g).slice([0, 0, 0], [1, n, H]).reshape([n, H]);
    const dct = V(g)
      .slice([1, 0, 0], [1, n, H])
      .reshape([n, H])
      .add(dh.mul(o).mul(tc.square().neg().add(1)));
    const da = concat(
      [dct.mul(gg).mul(dsig(i)), dct.mul(V(c)).mul(dsig(f)), dct.mul(i).mul(gg.square().neg().add(1)), dh.mul(tc).mul(dsig(o))],
      1,
    );
    return [da, dct.mul(f)];
  },
  // n = tanh(x_n + r⊙h_n), h' = n + z⊙(h − n): ∂n = g(1 − z)(1 − n²), ∂r = ∂n·h_n·σ′, ∂z = g(h − n)·σ′, ∂h = g·z
  gruCellBackward: (g, xg, hg, h) => {
    const [xv, hv, gv] = [V(xg), V(hg), V(g)];
    const [n, H] = [xv.shape[0]!, xv.shape[1]! / 3];
    const col = (v: Variable, k: number) => v.slice([0, k * H], [n, H]);
    const dsig = (s: Variable) => s.mul(s.neg().add(1));
    const r = col(xv, 0).add(col(hv, 0)).sigmoid();
    const z = col(xv, 1).add(col(hv, 1)).sigmoid();
    const hn = col(hv, 2);
    const nn = col(xv, 2).add(r.mul(hn)).tanh();
    const dn = gv.mul(z.neg().add(1)).mul(nn.square().neg().add(1));
    const dr = dn.mul(hn).mul(dsig(r));
    const dz = gv.mul(V(h).sub(nn)).mul(dsig(z));
    return [concat([dr, dz, dn], 1), concat([dr, dz, dn.mul(r)], 1), gv.mul(z)];
  },
  // dx = softmax(x)·(g_loss + g_lse) − onehot(y)·g_loss, the one-hot part a scatter of g_loss to
  // the flat positions i·C + yᵢ (a linear op with gather as its adjoint)
  softmaxCrossEntropyBackward: (g, x, targets) => {
    const [n, c] = x.shape as [number, number];
    const gv = V(g);
    const gLoss = gv.slice([0, 0], [1, n]).reshape([n]);
    const scale = gLoss.add(gv.slice([1, 0], [1, n]).reshape([n])).reshape([n, 1]);
    const flat = T.add(targets, T.mul(T.arange(n, { dtype: 'int32' }), c));
    const onehot = apply('scatterAdd', opTable.scatterAdd, [gLoss], { indices: flat, axis: 0, shape: [n * c] }).reshape([n, c]);
    return V(x).softmax(-1).mul(scale).sub(onehot);
  },
  lstmSequenceBackward: (g, ctx) => composedLstmSequenceBackward(g, ctx, graphOps),
  concat: (xs, axis) => concat(xs.map(L), axis),
  softmaxBackward: (y, g, axis, log) =>
    log ? V(g).sub(V(y).exp().mul(V(g).sum(axis, true))) : V(y).mul(V(g).sub(V(g).mul(V(y)).sum(axis, true))),
  conv2dBackwardInput: (g, w, inputShape, options) =>
    apply('conv2dBackwardInput', opTable.conv2dBackwardInput, [L(g), L(w)], { inputShape: [...inputShape], options }),
  conv2dBackwardWeight: (x, g, weightShape, options) =>
    apply('conv2dBackwardWeight', opTable.conv2dBackwardWeight, [L(x), L(g)], { weightShape: [...weightShape], options }),
  maxPool2dBackward: (g, indices, inputShape) =>
    apply('maxPool2dBackward', opTable.maxPool2dBackward, [L(g)], { indices, inputShape: [...inputShape] }),
  maxPoolGather: (x, indices) => apply('maxPoolGather', opTable.maxPoolGather, [L(x)], { indices }),
  avgPool2dBackward: (g, inputShape, kernelSize, options) =>
    apply('avgPool2dBackward', opTable.avgPool2dBackward, [L(g)], { inputShape: [...inputShape], kernelSize, options }),
  adaptiveAvgPool2dBackward: (g, inputShape) =>
    apply('adaptiveAvgPool2dBackward', opTable.adaptiveAvgPool2dBackward, [L(g)], { inputShape: [...inputShape] }),
};

/** A rule's value as an operand. */
function L(x: RuleVal | number): VariableLike {
  return x as Val | number;
}

/** A rule's value as a Variable (constants become Variables that need no grad). */
function V(x: RuleVal): Variable {
  const v = x as Val;
  return v instanceof Variable ? v : asVariable(v);
}

/**
 * An op's operand as a Variable. A JS number or nested array next to a float64 operand becomes
 * float64, unrounded (`v.add(1e-5)` on a float64 v adds 1e-5, not its float32 neighbour), as in
 * @gd/tensor's ops; otherwise asVariable's conversion.
 */
function operandVariable(x: VariableLike, float64Partner: boolean): Variable {
  if (float64Partner && (typeof x === 'number' || Array.isArray(x))) return new Variable(tensor(x as never, { dtype: 'float64' }), false);
  return asVariable(x);
}

/** Nodes reachable from `roots` that require grad, inputs before outputs (iterative DFS). */
export function topologicalOrder(roots: Variable | readonly Variable[]): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>();
  // the stack as two parallel arrays (node, index of its next parent): no pair per node
  const nodes: Variable[] = [];
  const nexts: number[] = [];
  for (const root of roots instanceof Variable ? [roots] : roots) {
    if (visited.has(root)) continue;
    visited.add(root);
    nodes.push(root);
    nexts.push(0);
    while (nodes.length > 0) {
      const top = nodes.length - 1;
      const node = nodes[top]!;
      const next = nexts[top]!;
      if (next < node.parents.length) {
        nexts[top] = next + 1;
        const p = node.parents[next]!;
        if (p.requiresGrad && !visited.has(p)) {
          visited.add(p);
          nodes.push(p);
          nexts.push(0);
        }
      } else {
        order.push(node);
        nodes.pop();
        nexts.pop();
      }
    }
  }
  return order;
}

/** Anything an op accepts as an operand: a Variable or a constant. */
export type VariableLike = Variable | TensorLike;

/**
 * A leaf Variable wrapping `value` (arrays are copied into a float32 tensor); it requires grad
 * unless `{ requiresGrad: false }`.
 *
 * @example
 * ```ts
 * const w = variable(randn([3, 1]));
 * ```
 */
export function variable(value: TensorLike, options: { requiresGrad?: boolean; name?: string } = {}): Variable {
  options = T.checkOptions('variable', options);
  if (options.requiresGrad !== undefined && typeof options.requiresGrad !== 'boolean')
    throw new ValueError(`variable: requiresGrad must be true or false, got ${String(options.requiresGrad)}`);
  const t = value instanceof Tensor ? value : tensor(value as never);
  return new Variable(t, options.requiresGrad ?? true, 'leaf', [], null, options.name);
}

function operandValue(x: VariableLike): TensorLike {
  return x instanceof Variable ? x.value : x;
}

/**
 * Joins Variables along `axis`; the gradient is split back into the pieces.
 */
export function concat(xs: readonly VariableLike[], axis = 0): Variable {
  if (!Array.isArray(xs))
    throw new ValueError(`concat: expected an array of Variables or tensors, got ${xs === null ? 'null' : typeof xs}`);
  return apply('concat', opTable.concat, [...xs], { axis, count: xs.length });
}

/**
 * One LSTM time step as one fused kernel (and one for its gradient), gates in PyTorch's order
 * i, f, g, o: c' = σ(f)⊙c + σ(i)⊙tanh(g), h' = σ(o)⊙tanh(c') with pre-activations xg + hg.
 * xg, hg [n, 4·hidden] are the input and recurrent projections (biases in either), c [n, hidden].
 * Returns [2, n, hidden]: h' then c'.
 *
 * @example
 * ```ts
 * const hc = lstmCell(x.matmul(wIh, { transposeB: true }), h.matmul(wHh, { transposeB: true }), c);
 * const [h1, c1] = [hc.slice([0, 0, 0], [1, n, H]).reshape([n, H]), hc.slice([1, 0, 0], [1, n, H]).reshape([n, H])];
 * ```
 */
export function lstmCell(xg: VariableLike, hg: VariableLike, c: VariableLike): Variable {
  return apply('lstmCell', opTable.lstmCell, [xg, hg, c], {});
}

/**
 * x·Wᵀ + b (PyTorch's `F.linear`): x [..., in], weight [out, in], an optional bias [out], as one
 * op (T.linear) with one output, where `x.matmul(w, { transposeB: true }).add(b)` makes a second
 * output and a second node.
 *
 * @example
 * ```ts
 * const y = linear(x, w, b); // x [batch, in], w [out, in], b [out] → [batch, out]
 * ```
 */
export function linear(x: VariableLike, weight: VariableLike, bias: VariableLike | null = null): Variable {
  return apply('linear', opTable.linear, bias === null ? [x, weight] : [x, weight, bias], { hasBias: bias !== null });
}

/**
 * Layer normalisation over the trailing `normalizedShape` of x (PyTorch's `F.layer_norm`), one
 * fused kernel forward and two backward: y = (x − μ)/√(σ² + eps)·weight + bias, with μ and σ² the
 * mean and biased variance of each slice; weight and bias (of the normalised shape) are optional.
 *
 * @example
 * ```ts
 * const y = layerNorm(x, [64], { weight: gamma, bias: beta }); // x [..., 64]
 * ```
 */
export function layerNorm(
  x: VariableLike,
  normalizedShape: number | readonly number[],
  options: { weight?: VariableLike | null; bias?: VariableLike | null; eps?: number } = {},
): Variable {
  const { weight = null, bias = null, eps = 1e-5 } = T.checkOptions('layerNorm', options, ['weight', 'bias', 'eps']);
  const shape =
    typeof normalizedShape === 'number' ? [normalizedShape] : Array.isArray(normalizedShape) ? [...normalizedShape] : normalizedShape;
  const inputs = [x, ...(weight === null ? [] : [weight]), ...(bias === null ? [] : [bias])];
  return apply('layerNorm', opTable.layerNorm, inputs, {
    normalizedShape: shape as number[],
    eps,
    hasWeight: weight !== null,
    hasBias: bias !== null,
  });
}

/**
 * One GRU time step as one fused kernel (and one for its gradient), gates in PyTorch's order
 * r, z, n: n = tanh(x_n + σ(r)⊙h_n), h' = (1 − σ(z))⊙n + σ(z)⊙h. xg = x·W_ihᵀ + b_ih and
 * hg = h·W_hhᵀ + b_hh are [n, 3·hidden], h is [n, hidden]; returns h' [n, hidden].
 *
 * @example
 * ```ts
 * const h1 = gruCell(x.matmul(wIh, { transposeB: true }).add(bIh), h.matmul(wHh, { transposeB: true }).add(bHh), h);
 * ```
 */
export function gruCell(xg: VariableLike, hg: VariableLike, h: VariableLike): Variable {
  return apply('gruCell', opTable.gruCell, [xg, hg, h], {});
}

/**
 * An LSTM layer's recurrence over a whole sequence as one op, gates in PyTorch's order i, f, g, o:
 * for each step t (from the last with `reverse`), the pre-activations xg_t + h_{t−1}·W_hhᵀ give
 * c_t = σ(f)⊙c_{t−1} + σ(i)⊙tanh(g), h_t = σ(o)⊙tanh(c_t). xg [steps, n, 4·hidden] is every step's
 * input projection (x·W_ihᵀ + biases: one product for the sequence), whh [4·hidden, hidden], h0
 * and c0 [n, hidden]. Returns [2, steps, n, hidden]: every h_t, then every c_t. Its backward
 * runs backpropagation through time with one fused kernel and one product per step, and W_hh's
 * gradient as one product over the sequence; with createGraph it is composed of per-step ops.
 *
 * @example
 * ```ts
 * const hc = lstmSequence(xg, wHh, h0, c0); // [2, steps, n, H]
 * const hs = hc.slice([0, 0, 0, 0], [1, steps, n, H]).reshape([steps, n, H]);
 * ```
 */
export function lstmSequence(
  xg: VariableLike,
  whh: VariableLike,
  h0: VariableLike,
  c0: VariableLike,
  options: T.LstmSequenceOptions = {},
): Variable {
  options = T.checkOptions('lstmSequence', options, ['reverse']);
  return apply('lstmSequence', opTable.lstmSequence, [xg, whh, h0, c0], { reverse: options.reverse ?? false });
}

/** Stacks Variables of one shape along a new axis. */
export function stack(xs: readonly VariableLike[], axis = 0): Variable {
  if (!Array.isArray(xs)) throw new ValueError(`stack: expected an array of Variables or tensors, got ${xs === null ? 'null' : typeof xs}`);
  return concat(
    xs.map((x) => asVariable(x).expandDims(axis)),
    axis,
  );
}

/** A plain options object (not a tensor, a Variable, an array or a typed array). */
function isOptionsObject(x: unknown): x is BackwardOptions {
  return x !== null && typeof x === 'object' && Object.getPrototypeOf(x) === Object.prototype;
}

/** A constant (no grad) Variable for a non-Variable operand. */
export function asVariable(x: VariableLike): Variable {
  if (x instanceof Variable) return x;
  if (x instanceof Tensor) return gradGraphs.get(x) ?? new Variable(x, false);
  return new Variable(tensor(x as never), false);
}

// A Tensor method with a Variable operand returns a Variable (the takeover above).
declare module '@gd/tensor' {
  interface Tensor {
    /** this + b, recorded: the result is differentiable in b. */
    add(b: Variable): Variable;
    add(b: TensorLike): Tensor;
    /** this − b, recorded. */
    sub(b: Variable): Variable;
    sub(b: TensorLike): Tensor;
    /** this · b, recorded. */
    mul(b: Variable): Variable;
    mul(b: TensorLike): Tensor;
    /** this / b, recorded. */
    div(b: Variable): Variable;
    div(b: TensorLike): Tensor;
    /** this ** b, recorded. */
    pow(b: Variable): Variable;
    pow(b: TensorLike): Tensor;
    /** Elementwise maximum, recorded. */
    maximum(b: Variable): Variable;
    maximum(b: TensorLike): Tensor;
    /** Elementwise minimum, recorded. */
    minimum(b: Variable): Variable;
    minimum(b: TensorLike): Tensor;
    /** Matrix product with a Variable, recorded (PyTorch's `W @ x`). */
    matmul(b: Variable, options?: T.MatmulOptions): Variable;
    matmul(b: TensorLike, options?: T.MatmulOptions): Tensor;
    /** cond ? this : other, recorded in other. */
    where(cond: TensorLike, other: Variable): Variable;
    where(cond: TensorLike, other: TensorLike): Tensor;
    /** 2-D convolution by a Variable weight, recorded. */
    conv2d(weight: Variable, bias?: VariableLike, options?: T.Conv2dOptions): Variable;
    conv2d(weight: TensorLike, bias?: TensorLike, options?: T.Conv2dOptions): Tensor;
  }
}

function checkedAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new IndexError(`${op}: axis ${String(axis)} is out of range for rank ${rank} (expected ${-rank}..${rank - 1})`);
  }
  return axis < 0 ? axis + rank : axis;
}

/** var and std of a Variable, from mean, sub, square and sum (so every order of derivative follows). */
function varianceOf(op: string, x: Variable, axis: number | readonly number[] | undefined, options: T.VarianceOptions): Variable {
  const { correction = 1, keepDims = false } = T.checkOptions(op, options);
  if (typeof correction !== 'number' || !Number.isFinite(correction) || correction < 0) {
    throw new ValueError(`${op}: correction must be a non-negative number, got ${String(correction)}`);
  }
  const list = axis === undefined ? x.shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : [...axis];
  const axes = list.map((a) => checkedAxis(op, a, x.rank));
  if (new Set(axes).size !== axes.length) throw new IndexError(`${op}: axes [${list.join(',')}] repeat an axis`);
  const count = axes.reduce((n, a) => n * x.shape[a]!, 1);
  const d = x.sub(x.mean(axes, true));
  return d
    .square()
    .sum(axes, keepDims)
    .mul(1 / Math.max(0, count - correction));
}

/** split/chunk: slices of x along axis. */
function pieces(op: string, x: Variable, sizes: number | readonly number[], axis: number): Variable[] {
  if (x.rank === 0) throw new ShapeError(`${op}: needs rank ≥ 1, got a scalar`);
  const ax = checkedAxis(op, axis, x.rank);
  const len = x.shape[ax]!;
  let lens: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes < 1) throw new ValueError(`${op}: size must be a positive integer, got ${String(sizes)}`);
    lens = [];
    for (let b = 0; b < len; b += sizes) lens.push(Math.min(sizes, len - b));
    if (len === 0) lens.push(0);
  } else {
    if (!Array.isArray(sizes)) throw new ValueError(`${op}: sizes must be a number or an array of numbers, got ${typeof sizes}`);
    if (sizes.some((v) => !Number.isInteger(v) || v < 0))
      throw new ValueError(`${op}: sizes [${sizes.join(',')}] must be non-negative integers`);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total !== len) {
      throw new ShapeError(`${op}: sizes [${sizes.join(',')}] sum to ${total}, but axis ${ax} of [${x.shape.join(',')}] has length ${len}`);
    }
    lens = [...sizes];
  }
  let begin = 0;
  return lens.map((l) => {
    const b = x.shape.map((_, i) => (i === ax ? begin : 0));
    const size = x.shape.map((d, i) => (i === ax ? l : d));
    begin += l;
    return x.slice(b, size);
  });
}
