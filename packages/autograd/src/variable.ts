// The Variable: a Tensor value that remembers how it was computed, so backward() can apply the
// chain rule from an output back to every leaf: dz/dx = dz/dy · dy/dx (docs/tutorial.md §2.5).
import * as T from '@gd/tensor';
import {
  add,
  cast,
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
import { holdForReplay } from '@gd/tensor/grad';
import { binaryOps, type OpContext, type OpSpec, opTable, unaryOps } from './ops.js';

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

/** Options of backward(). */
export interface BackwardOptions {
  /** Keep the graph's gradient functions so backward() can run through it again. */
  retainGraph?: boolean;
  /** Also store `.grad` on every intermediate node (for inspection, e.g. toDot). */
  retainGrads?: boolean;
}

/** The vector–Jacobian product of one recorded op: upstream gradient → one gradient per input. */
export type Backward = (g: Tensor) => Array<Tensor | null>;

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
  ) {
    this.value = value;
    this.requiresGrad = requiresGrad;
    this.op = op;
    this.parents = parents;
    this.backwardFn = backwardFn;
    this.name = name;
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
   * A non-scalar output needs the upstream gradient `seed`.
   */
  backward(seed?: TensorLike, options: BackwardOptions = {}): void {
    options = optionsObject('backward', options);
    if (!this.requiresGrad)
      throw new StateError('backward: this variable does not require grad (no leaf with requiresGrad is upstream of it)');
    if (seed === undefined && this.size !== 1) {
      throw new ValueError(`backward: output of shape [${this.shape.join(',')}] is not a scalar; pass the upstream gradient`);
    }
    // gradients take the dtype of their Variable: the seed of a float64 output is float64
    const gradType = this.dtype === 'float64' ? 'float64' : 'float32';
    const start =
      seed === undefined
        ? ones(this.shape as number[], gradType)
        : seed instanceof Tensor
          ? reshape(seed, this.shape)
          : tensor(seed as never, { dtype: gradType });
    if (start.size !== this.size) {
      start.dispose();
      throw new ValueError(`backward: seed has ${start.size} elements; the output has ${this.size}`);
    }
    const order = topologicalOrder(this);
    // the gradients waiting for their node: each is owned here until it is passed on or freed
    const pending = new Map<Variable, Tensor>([[this, start]]);
    try {
      for (let i = order.length - 1; i >= 0; i--) {
        const node = order[i]!;
        const g = pending.get(node);
        if (!g) continue;
        pending.delete(node);
        if (node.isLeaf || node.retain || options.retainGrads) node.accumulate(g);
        if (node.isLeaf) continue;
        try {
          node.propagate(g, pending);
        } finally {
          g.dispose();
        }
        if (!options.retainGraph) node.released = true;
      }
    } finally {
      for (const g of pending.values()) g.dispose();
    }
  }

  /**
   * Applies this node's gradient rule to its upstream gradient `g` and adds each result into
   * the pending gradient of its parent. The rule runs in a scope (as tfjs's tape runs each
   * gradient in tidy), so whatever temporaries it makes are freed, and a gradient computed for
   * a parent that needs none is dropped there too.
   */
  private propagate(g: Tensor, pending: Map<Variable, Tensor>): void {
    const rule = this.backwardFn;
    if (this.released || !rule) {
      throw new StateError(
        `backward: the graph through '${this.op}' was freed by an earlier backward(); pass { retainGraph: true } to the first call to run backward twice`,
      );
    }
    const parents = this.parents;
    const parentGrads = scope(() => {
      const gs = rule(g);
      for (let k = 0; k < gs.length; k++) if (gs[k] && !parents[k]!.requiresGrad) gs[k] = null;
      return gs;
    });
    for (let k = 0; k < parents.length; k++) {
      let pg = parentGrads[k];
      if (!pg) continue;
      // a gradient tensor passed on unchanged (or to two parents) gets its own handle, so each
      // holder can free it
      let repeated = pg === g;
      for (let j = 0; j < k && !repeated; j++) repeated = parentGrads[j] === pg;
      if (repeated) pg = reshape(pg, pg.shape);
      const p = parents[k]!;
      // a float32 input of a float64 op gets a float32 gradient, and vice versa
      if (pg.dtype !== p.dtype && p.dtype !== 'int32') {
        const converted = cast(pg, p.dtype);
        pg.dispose();
        pg = converted;
      }
      const prev = pending.get(p);
      if (prev) {
        pending.set(p, add(prev, pg));
        prev.dispose();
        pg.dispose();
      } else {
        pending.set(p, pg);
      }
    }
  }

  private accumulate(g: Tensor): void {
    if (this.grad === null || this.grad.isDisposed) {
      // leaves own their gradient beyond any scope; intermediate retained grads share g
      this.grad = keep(this.isLeaf ? g : reshape(g, g.shape));
      // inside record(): every replay writes this gradient again, so one dropped by zeroGrad()
      // between replays comes back (else the optimizer would silently skip the parameter)
      holdForReplay(this.grad, (alias) => {
        if (this.grad === null || this.grad.isDisposed) this.grad = alias();
      });
      return;
    }
    const next = keep(add(this.grad, g));
    this.grad.dispose();
    if (this.isLeaf) g.dispose();
    this.grad = next;
  }

  // ── ops: each records a node whose gradient rule is in the op table (ops.ts) ──
  /** Σ (this − target)² · scale as a scalar, in one fused pass (the core of mse). */
  squaredError(target: VariableLike, scale = 1): Variable {
    return apply('squaredError', opTable.squaredError, [this, target], { scale });
  }
  /** this > 0 ? this : slope · this. */
  leakyRelu(slope = 0.01): Variable {
    return apply('leakyRelu', opTable.leakyRelu, [this], { slope });
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
    options = optionsObject('matmul', options);
    const bv = asVariable(b);
    const a2 = this.rank === 1 ? this.reshape([1, this.shape[0]!]) : this;
    const b2 = bv.rank === 1 ? bv.reshape([bv.shape[0]!, 1]) : bv;
    const attrs = { transposeA: !!options.transposeA && this.rank >= 2, transposeB: !!options.transposeB && bv.rank >= 2 };
    let out = apply('matmul', opTable.matmul, [a2, b2], attrs);
    if (this.rank === 1) out = out.squeeze(-2);
    if (bv.rank === 1) out = out.squeeze(-1);
    return out;
  }
  /** Permutes axes (default: reversed). */
  transpose(perm?: number[]): Variable {
    return apply('transpose', opTable.transpose, [this], { perm });
  }
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
  if (!any || !isGradEnabled()) return new Variable(output, false, name);
  const ctx: OpContext<A> = { needs, inputs: tensors, output, attrs };
  const backward: Backward = (g) => spec.backward(g, ctx);
  return new Variable(output, true, name, vars, backward);
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

/** Nodes reachable from `root` that require grad, inputs before outputs (iterative DFS). */
export function topologicalOrder(root: Variable): Variable[] {
  const order: Variable[] = [];
  const visited = new Set<Variable>();
  const stack: Array<[Variable, number]> = [[root, 0]];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    const [node, next] = top;
    if (next < node.parents.length) {
      top[1]++;
      const p = node.parents[next]!;
      if (p.requiresGrad && !visited.has(p)) {
        visited.add(p);
        stack.push([p, 0]);
      }
    } else {
      order.push(node);
      stack.pop();
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
  options = optionsObject('variable', options);
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

/** Stacks Variables of one shape along a new axis. */
export function stack(xs: readonly VariableLike[], axis = 0): Variable {
  if (!Array.isArray(xs)) throw new ValueError(`stack: expected an array of Variables or tensors, got ${xs === null ? 'null' : typeof xs}`);
  return concat(
    xs.map((x) => asVariable(x).expandDims(axis)),
    axis,
  );
}

/** Checks an options argument is an object (undefined means the defaults). @internal */
export function optionsObject<O>(op: string, options: O | undefined): O {
  if (options === undefined) return {} as O;
  if (options === null || typeof options !== 'object' || Array.isArray(options))
    throw new ValueError(`${op}: options must be an object, got ${Array.isArray(options) ? 'an array' : String(options)}`);
  return options;
}

/** A constant (no grad) Variable for a non-Variable operand. */
export function asVariable(x: VariableLike): Variable {
  return x instanceof Variable ? x : new Variable(x instanceof Tensor ? x : tensor(x as never), false);
}
