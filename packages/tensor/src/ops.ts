// Tensor ops: argument checks, dtype promotion and broadcasting plans in TypeScript, then one
// kernel call. No input reaches a kernel unchecked.
import { fromData } from './creation.js';
import { DisposedError, DTypeError, fmtShape, IndexError, ShapeError, ValueError } from './errors.js';
import * as C from './generated/opcodes.js';
import { heapF32, heapI32, heapU8, kernels, META_PTR, rt } from './runtime.js';
import {
  broadcastShapes,
  broadcastStrides,
  checkShape,
  collapsePlan,
  intList,
  normalizeAxes,
  normalizeAxis,
  pairPlan,
  shapesEqual,
  sizeOf,
  splitAt,
  stridesOf,
  writePlan,
} from './shape.js';
import { type DType, Tensor, type TensorLike } from './tensor.js';
import { gemm } from './threads.js';

/** Converts an operand to a Tensor; `owned` says the caller must dispose it. */
function operand(op: string, x: TensorLike, partner?: DType): { t: Tensor; owned: boolean } {
  if (x instanceof Tensor) {
    if (x.isDisposed) throw new DisposedError(`${op}: tensor ${fmtShape(x.shape)} ${x.dtype} was disposed`);
    return { t: x, owned: false };
  }
  if (typeof x === 'number') {
    return { t: fromData(op, x, partner === 'int32' && Number.isInteger(x) ? 'int32' : 'float32'), owned: true };
  }
  if (x instanceof Int32Array) return { t: fromData(op, x, 'int32'), owned: true };
  return { t: fromData(op, x, 'float32'), owned: true };
}

function dtypeOf(x: TensorLike): DType | undefined {
  return x instanceof Tensor ? x.dtype : undefined;
}

/** Runs `body` on tensor operands, disposing the ones converted from numbers or arrays. */
function withOperands<R>(op: string, xs: TensorLike[], body: (ts: Tensor[]) => R): R {
  // the common case on the hot path: every operand is already a live Tensor, nothing to convert
  let allTensors = true;
  for (const x of xs) {
    if (!(x instanceof Tensor)) allTensors = false;
    else if (x.isDisposed) throw new DisposedError(`${op}: tensor ${fmtShape(x.shape)} ${x.dtype} was disposed`);
  }
  if (allTensors) return body(xs as Tensor[]);
  const hint = xs.map(dtypeOf).find((d) => d !== undefined);
  // convert one by one, so a conversion that fails frees the ones made before it
  const conv: Array<ReturnType<typeof operand>> = [];
  try {
    for (const x of xs) conv.push(operand(op, x, hint));
    return body(conv.map((c) => c.t));
  } finally {
    for (const c of conv) if (c.owned) c.t.dispose();
  }
}

/** A float32 version of t: t itself, or a new cast copy the caller disposes. */
function asFloat(t: Tensor): Tensor {
  return t.dtype === 'float32' ? t : cast(t, 'float32');
}

function releaseIfNew(t: Tensor, original: Tensor): void {
  if (t !== original) t.dispose();
}

// ── elementwise unary ──────────────────────────────────────────────────────
const INT_UNARY = new Set<number>([C.UN_NEG, C.UN_ABS, C.UN_SQUARE, C.UN_RELU, C.UN_CLAMP, C.UN_SIGN]);

function unary(op: string, code: number, x: TensorLike, p0 = 0, p1 = 0): Tensor {
  return withOperands(op, [x], ([t]) => {
    const intPath = t!.dtype === 'int32' && INT_UNARY.has(code) && Number.isInteger(p0) && Number.isInteger(p1);
    const src = intPath ? t! : asFloat(t!);
    const out = new Tensor(t!.shape, intPath ? 'int32' : 'float32');
    if (intPath) kernels().ew_unary_i32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    else kernels().ew_unary_f32(code, src.ptr(op), out.ptr(op), out.size, p0, p1);
    releaseIfNew(src, t!);
    return out;
  });
}

/** −x. */
export const neg = (x: TensorLike): Tensor => unary('neg', C.UN_NEG, x);
/** |x|. */
export const abs = (x: TensorLike): Tensor => unary('abs', C.UN_ABS, x);
/** √x. */
export const sqrt = (x: TensorLike): Tensor => unary('sqrt', C.UN_SQRT, x);
/** eˣ. */
export const exp = (x: TensorLike): Tensor => unary('exp', C.UN_EXP, x);
/** ln x. */
export const log = (x: TensorLike): Tensor => unary('log', C.UN_LOG, x);
/** x². */
export const square = (x: TensorLike): Tensor => unary('square', C.UN_SQUARE, x);
/** 1/x. */
export const reciprocal = (x: TensorLike): Tensor => unary('reciprocal', C.UN_RECIPROCAL, x);
/** sign(x) ∈ {−1, 0, 1}. */
export const sign = (x: TensorLike): Tensor => unary('sign', C.UN_SIGN, x);
/** max(x, 0). */
export const relu = (x: TensorLike): Tensor => unary('relu', C.UN_RELU, x);
/** σ(x) = 1/(1 + e⁻ˣ). */
export const sigmoid = (x: TensorLike): Tensor => unary('sigmoid', C.UN_SIGMOID, x);
/** tanh x. */
export const tanh = (x: TensorLike): Tensor => unary('tanh', C.UN_TANH, x);
/** GELU (tanh approximation): 0.5x(1 + tanh(√(2/π)(x + 0.044715x³))). */
export const gelu = (x: TensorLike): Tensor => unary('gelu', C.UN_GELU, x);

function finiteParam(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || Number.isNaN(v)) throw new ValueError(`${op}: ${name} must be a number, got ${String(v)}`);
  return v;
}

/** x > 0 ? x : slope·x. */
export function leakyRelu(x: TensorLike, slope = 0.01): Tensor {
  return unary('leakyRelu', C.UN_LEAKY_RELU, x, finiteParam('leakyRelu', 'slope', slope));
}

/** Limits x to [min, max]; NaN bounds and min > max are ValueErrors. */
export function clamp(x: TensorLike, min: number, max: number): Tensor {
  finiteParam('clamp', 'min', min);
  finiteParam('clamp', 'max', max);
  if (min > max) throw new ValueError(`clamp: min ${min} is greater than max ${max}`);
  return unary('clamp', C.UN_CLAMP, x, min, max);
}

/** x·scale + shift in one pass (float32). */
export function affine(x: TensorLike, scale: number, shift: number): Tensor {
  return unary('affine', C.UN_AFFINE, x, finiteParam('affine', 'scale', scale), finiteParam('affine', 'shift', shift));
}

/** Converts to `dtype`: float32 → int32 truncates toward zero and saturates (NaN → 0). */
export function cast(x: TensorLike, dtype: DType): Tensor {
  if (dtype !== 'float32' && dtype !== 'int32') throw new DTypeError(`cast: dtype ${String(dtype)} is not float32 or int32`);
  return withOperands('cast', [x], ([t]) => {
    if (t!.dtype === dtype) return clone(t!);
    const out = new Tensor(t!.shape, dtype);
    if (dtype === 'float32') kernels().ew_cast_i32_f32(t!.ptr('cast'), out.ptr('cast'), out.size);
    else kernels().ew_cast_f32_i32(t!.ptr('cast'), out.ptr('cast'), out.size);
    return out;
  });
}

/** A copy with storage of its own. */
export function clone(x: TensorLike): Tensor {
  return withOperands('clone', [x], ([t]) => {
    const out = new Tensor(t!.shape, t!.dtype);
    const src = t!.ptr('clone');
    heapU8().copyWithin(out.ptr('clone'), src, src + t!.size * 4);
    return out;
  });
}

// ── elementwise binary, broadcasting ──────────────────────────────────────
type BinaryKind = 'arith' | 'float';

function binary(op: string, code: number, kind: BinaryKind, a: TensorLike, b: TensorLike): Tensor {
  const K = kernels();
  return broadcastPair(
    op,
    a,
    b,
    kind === 'arith',
    (ints) => (ints ? 'int32' : 'float32'),
    (ints, ...args) => (ints ? K.bc_binary_i32(code, ...args) : K.bc_binary_f32(code, ...args)),
  );
}

/**
 * The procedure every two-operand broadcasting op shares: broadcast the shapes, choose the int32
 * path (when `intsAllowed` and both operands are int32) or promote to float32, write the plan,
 * run the kernel chosen by `run` into an output of dtype `outDtype(intPath)`.
 */
function broadcastPair(
  op: string,
  a: TensorLike,
  b: TensorLike,
  intsAllowed: boolean,
  outDtype: (intPath: boolean) => DType,
  run: (intPath: boolean, a: number, b: number, out: number, nd: number, meta: number) => void,
): Tensor {
  return withOperands(op, [a, b], ([ta, tb]) => {
    const { shape, plan } = pairPlan(op, ta!.shape, tb!.shape, ta!.size, tb!.size);
    const intPath = intsAllowed && ta!.dtype === 'int32' && tb!.dtype === 'int32';
    const out = new Tensor(shape, outDtype(intPath));
    if (out.size === 0) return out;
    const fa = intPath ? ta! : asFloat(ta!);
    const fb = intPath ? tb! : asFloat(tb!);
    const nd = writePlan(plan);
    run(intPath, fa.ptr(op), fb.ptr(op), out.ptr(op), nd, META_PTR);
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

/** a + b with broadcasting. */
export const add = (a: TensorLike, b: TensorLike): Tensor => binary('add', C.BIN_ADD, 'arith', a, b);
/** a − b with broadcasting. */
export const sub = (a: TensorLike, b: TensorLike): Tensor => binary('sub', C.BIN_SUB, 'arith', a, b);
/** a · b with broadcasting. */
export const mul = (a: TensorLike, b: TensorLike): Tensor => binary('mul', C.BIN_MUL, 'arith', a, b);
/** a / b with broadcasting (true division). */
export const div = (a: TensorLike, b: TensorLike): Tensor => binary('div', C.BIN_DIV, 'float', a, b);
/** aᵇ with broadcasting. */
export const pow = (a: TensorLike, b: TensorLike): Tensor => binary('pow', C.BIN_POW, 'float', a, b);
/** Elementwise max(a, b). */
export const maximum = (a: TensorLike, b: TensorLike): Tensor => binary('maximum', C.BIN_MAX, 'arith', a, b);
/** Elementwise min(a, b). */
export const minimum = (a: TensorLike, b: TensorLike): Tensor => binary('minimum', C.BIN_MIN, 'arith', a, b);
/** Gradient helper: dy where x > 0, else 0. */
export const reluBackward = (dy: TensorLike, x: TensorLike): Tensor => binary('reluBackward', C.BIN_RELU_GRAD, 'float', dy, x);
/** Gradient helper: dy · y(1 − y) for y = sigmoid(x). */
export const sigmoidBackward = (dy: TensorLike, y: TensorLike): Tensor => binary('sigmoidBackward', C.BIN_SIGMOID_GRAD, 'float', dy, y);
/** Gradient helper: dy · (1 − y²) for y = tanh(x). */
export const tanhBackward = (dy: TensorLike, y: TensorLike): Tensor => binary('tanhBackward', C.BIN_TANH_GRAD, 'float', dy, y);
/** Gradient helper: dy · gelu′(x). */
export const geluBackward = (dy: TensorLike, x: TensorLike): Tensor => binary('geluBackward', C.BIN_GELU_GRAD, 'float', dy, x);

function compare(op: string, code: number, a: TensorLike, b: TensorLike): Tensor {
  const K = kernels();
  return broadcastPair(
    op,
    a,
    b,
    true,
    () => 'int32',
    (ints, ...args) => (ints ? K.bc_compare_i32(code, ...args) : K.bc_compare_f32(code, ...args)),
  );
}

/** a == b → int32 0/1. */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', C.CMP_EQ, a, b);
/** a != b → int32 0/1. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', C.CMP_NE, a, b);
/** a > b → int32 0/1. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', C.CMP_GT, a, b);
/** a >= b → int32 0/1. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', C.CMP_GE, a, b);
/** a < b → int32 0/1. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', C.CMP_LT, a, b);
/** a <= b → int32 0/1. */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', C.CMP_LE, a, b);

/** cond ? a : b elementwise, broadcasting all three; cond is true where nonzero. */
export function where(cond: TensorLike, a: TensorLike, b: TensorLike): Tensor {
  const op = 'where';
  return withOperands(op, [cond, a, b], ([tc, ta, tb]) => {
    const shape = broadcastShapes(op, broadcastShapes(op, tc!.shape, ta!.shape), tb!.shape);
    const intPath = ta!.dtype === 'int32' && tb!.dtype === 'int32';
    const out = new Tensor(shape, intPath ? 'int32' : 'float32');
    if (out.size === 0) return out;
    const ic = tc!.dtype === 'int32' ? tc! : ne(tc!, 0);
    const fa = intPath ? ta! : asFloat(ta!);
    const fb = intPath ? tb! : asFloat(tb!);
    const strides = [tc!, ta!, tb!].map((t) => broadcastStrides(t.shape, shape));
    const nd = writePlan(collapsePlan(shape, strides));
    kernels().bc_where_32(ic.ptr(op), fa.ptr(op), fb.ptr(op), out.ptr(op), nd, META_PTR);
    releaseIfNew(ic, tc!);
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

// ── reductions ────────────────────────────────────────────────────────────
/** Groups sorted axes into runs of consecutive axes, so each run is one kernel call. */
function axisRuns(axes: number[]): Array<[number, number]> {
  const runs: Array<[number, number]> = [];
  for (const a of axes) {
    const last = runs[runs.length - 1];
    if (last && last[1] === a) last[1] = a + 1;
    else runs.push([a, a + 1]);
  }
  return runs;
}

function dropAxes(shape: readonly number[], axes: number[]): number[] {
  return shape.filter((_, i) => !axes.includes(i));
}

function reduce(
  op: string,
  code: number,
  x: TensorLike,
  axis: number | readonly number[] | undefined,
  keepDims: boolean,
  mean: boolean,
): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (axis === undefined && t!.size > 0) return reduceAll(op, code, t!, keepDims ? t!.shape.map(() => 1) : [], mean);
    const axes = normalizeAxes(op, axis, t!.rank);
    const keptShape = t!.shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const finalShape = keepDims ? keptShape : dropAxes(t!.shape, axes);
    const count = sizeOf(axes.map((a) => t!.shape[a]!));
    if (count === 0 && code !== C.RED_SUM) {
      throw new ValueError(`${op}: cannot reduce ${fmtShape(t!.shape)} over an empty axis (no identity)`);
    }
    const float = t!.dtype === 'float32' || mean;
    let cur = float ? asFloat(t!) : t!;
    if (count === 0 || sizeOf(finalShape) === 0) {
      const out = new Tensor(finalShape, float ? 'float32' : 'int32');
      fillInPlace(out, mean ? Number.NaN : 0);
      releaseIfNew(cur, t!);
      return out;
    }
    // reduce the last run first so earlier axis numbers stay valid
    const runs = axisRuns(axes).reverse();
    let shape = t!.shape.slice();
    for (const [lo, hi] of runs) {
      const outer = sizeOf(shape.slice(0, lo));
      const len = sizeOf(shape.slice(lo, hi));
      const inner = sizeOf(shape.slice(hi));
      shape = [...shape.slice(0, lo), ...shape.slice(lo, hi).map(() => 1), ...shape.slice(hi)];
      const next = new Tensor(shape, cur.dtype);
      if (cur.dtype === 'float32') kernels().reduce_f32(code, cur.ptr(op), next.ptr(op), outer, len, inner, mean ? 1 / len : 1);
      else kernels().reduce_i32(code, cur.ptr(op), next.ptr(op), outer, len, inner);
      releaseIfNew(cur, t!);
      cur = next;
    }
    const out = new Tensor(finalShape, cur.dtype, cur.storage);
    cur.dispose();
    return out;
  });
}

/** A reduction over every element of a non-empty tensor into `shape` (one element): one kernel call. */
function reduceAll(op: string, code: number, t: Tensor, shape: readonly number[], mean: boolean): Tensor {
  const float = t.dtype === 'float32' || mean;
  const src = float ? asFloat(t) : t;
  const out = new Tensor(shape, src.dtype);
  if (float) kernels().reduce_f32(code, src.ptr(op), out.ptr(op), 1, t.size, 1, mean ? 1 / t.size : 1);
  else kernels().reduce_i32(code, src.ptr(op), out.ptr(op), 1, t.size, 1);
  releaseIfNew(src, t);
  return out;
}

/** Fills a tensor's data with one value, in place. */
export function fillInPlace(t: Tensor, v: number): Tensor {
  const p = t.ptr('fill') >> 2;
  (t.dtype === 'float32' ? heapF32() : heapI32()).fill(v, p, p + t.size);
  return t;
}

/** Σ over axes (all by default). */
export const sum = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('sum', C.RED_SUM, x, axis, keepDims, false);
/** Mean over axes (all by default); always float32. */
export const mean = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('mean', C.RED_SUM, x, axis, keepDims, true);
/** Maximum over axes (all by default). */
export const max = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('max', C.RED_MAX, x, axis, keepDims, false);
/** Minimum over axes (all by default). */
export const min = (x: TensorLike, axis?: number | readonly number[], keepDims = false): Tensor =>
  reduce('min', C.RED_MIN, x, axis, keepDims, false);

function argReduce(op: string, code: number, x: TensorLike, axis: number | undefined): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (t!.size === 0) throw new ValueError(`${op}: tensor ${fmtShape(t!.shape)} is empty`);
    const flat = axis === undefined;
    const shape = flat ? [t!.size] : t!.shape;
    const ax = flat ? 0 : normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(shape, ax);
    const out = new Tensor(flat ? [] : dropAxes(shape, [ax]), 'int32');
    if (t!.dtype === 'float32') kernels().reduce_arg_f32(code, t!.ptr(op), out.ptr(op), outer, len, inner);
    else kernels().reduce_arg_i32(code, t!.ptr(op), out.ptr(op), outer, len, inner);
    return out;
  });
}

/** Index of the maximum along `axis` (flattened when omitted). */
export const argmax = (x: TensorLike, axis?: number): Tensor => argReduce('argmax', C.RED_ARGMAX, x, axis);
/** Index of the minimum along `axis` (flattened when omitted). */
export const argmin = (x: TensorLike, axis?: number): Tensor => argReduce('argmin', C.RED_ARGMIN, x, axis);

// ── softmax family ────────────────────────────────────────────────────────
function softmaxFamily(op: string, mode: number, x: TensorLike, axis: number, keepDims: boolean): Tensor {
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError(`${op}: needs rank ≥ 1, got a scalar`);
    const ax = normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(t!.shape, ax);
    const lse = mode === C.SM_LOGSUMEXP;
    const shape = lse ? (keepDims ? t!.shape.map((d, i) => (i === ax ? 1 : d)) : dropAxes(t!.shape, [ax])) : t!.shape;
    const out = new Tensor(shape, 'float32');
    if (len === 0) {
      fillInPlace(out, Number.NEGATIVE_INFINITY);
      return out;
    }
    const src = asFloat(t!);
    if (out.size > 0) kernels().softmax_f32(mode, src.ptr(op), out.ptr(op), outer, len, inner);
    releaseIfNew(src, t!);
    return out;
  });
}

/** Stable softmax along `axis`. */
export const softmax = (x: TensorLike, axis = -1): Tensor => softmaxFamily('softmax', C.SM_SOFTMAX, x, axis, false);
/** Stable log-softmax along `axis`. */
export const logSoftmax = (x: TensorLike, axis = -1): Tensor => softmaxFamily('logSoftmax', C.SM_LOG_SOFTMAX, x, axis, false);
/** Stable log Σ exp along `axis`. */
export const logSumExp = (x: TensorLike, axis = -1, keepDims = false): Tensor =>
  softmaxFamily('logSumExp', C.SM_LOGSUMEXP, x, axis, keepDims);

/**
 * Gradient helper for softmax (log = false) or log-softmax (log = true): given the forward
 * output y and the upstream gradient dy, returns dx.
 */
export function softmaxBackward(y: Tensor, dy: Tensor, axis: number, log: boolean): Tensor {
  const op = log ? 'logSoftmaxBackward' : 'softmaxBackward';
  if (!shapesEqual(y.shape, dy.shape)) throw new ShapeError(`${op}: y ${fmtShape(y.shape)} and dy ${fmtShape(dy.shape)} differ`);
  const ax = normalizeAxis(op, axis, y.rank);
  const [outer, len, inner] = splitAt(y.shape, ax);
  const out = new Tensor(y.shape, 'float32');
  if (out.size > 0) {
    kernels().softmax_backward_f32(log ? C.SM_LOG_SOFTMAX : C.SM_SOFTMAX, y.ptr(op), dy.ptr(op), out.ptr(op), outer, len, inner);
  }
  return out;
}

// ── matmul ────────────────────────────────────────────────────────────────
/** Options of matmul: read either operand transposed, in place (no copy is made). */
export interface MatmulOptions {
  /** Use Aᵀ: a's last two axes are read swapped. */
  transposeA?: boolean;
  /** Use Bᵀ: b's last two axes are read swapped. */
  transposeB?: boolean;
}

/**
 * Matrix product op(a)·op(b). 2-D: [m,k]·[k,n] → [m,n]. 1-D operands act as a row (a) or a
 * column (b) vector whose axis is dropped from the result, as in NumPy. Higher ranks are
 * batches of matrices with NumPy-broadcast batch axes.
 */
export function matmul(a: TensorLike, b: TensorLike, options: MatmulOptions = {}): Tensor {
  const op = 'matmul';
  return withOperands(op, [a, b], ([ta, tb]) => {
    if (ta!.rank === 0 || tb!.rank === 0) {
      throw new ShapeError(`matmul: ${fmtShape(ta!.shape)}·${fmtShape(tb!.shape)}: both operands need rank ≥ 1`);
    }
    const tA = !!options.transposeA && ta!.rank >= 2;
    const tB = !!options.transposeB && tb!.rank >= 2;
    const aShape = ta!.rank === 1 ? [1, ta!.shape[0]!] : ta!.shape;
    const bShape = tb!.rank === 1 ? [tb!.shape[0]!, 1] : tb!.shape;
    const ar = aShape.length;
    const br = bShape.length;
    const m = tA ? aShape[ar - 1]! : aShape[ar - 2]!;
    const k = tA ? aShape[ar - 2]! : aShape[ar - 1]!;
    const k2 = tB ? bShape[br - 1]! : bShape[br - 2]!;
    const n = tB ? bShape[br - 2]! : bShape[br - 1]!;
    if (k !== k2) {
      const ta_ = tA ? 'ᵀ' : '';
      const tb_ = tB ? 'ᵀ' : '';
      throw new ShapeError(`matmul: ${fmtShape(ta!.shape)}${ta_}·${fmtShape(tb!.shape)}${tb_}: inner dimensions ${k} and ${k2} differ`);
    }
    const aBatch = aShape.slice(0, -2);
    const bBatch = bShape.slice(0, -2);
    const batch = broadcastShapes(op, aBatch, bBatch);
    const outShape = [...batch, ...(ta!.rank === 1 ? [] : [m]), ...(tb!.rank === 1 ? [] : [n])];
    const out = new Tensor(outShape, 'float32');
    if (out.size === 0) return out;
    if (k === 0) {
      fillInPlace(out, 0);
      return out;
    }
    const fa = asFloat(ta!);
    const fb = asFloat(tb!);
    const work = rt().gemmWork;
    const lda = tA ? m : k;
    const ldb = tB ? k : n;
    const pa = fa.ptr(op);
    const pb = fb.ptr(op);
    const pc = out.ptr(op);
    const nBatch = sizeOf(batch);
    if (bBatch.length === 0 && !tA) {
      // one tall GEMM: the batch axes of A fold into its rows
      gemm(0, tB ? 1 : 0, m * nBatch, n, k, pa, lda, pb, ldb, pc, n, 0, work);
    } else {
      const sa = broadcastStrides(aBatch, batch);
      const sb = broadcastStrides(bBatch, batch);
      const idx = new Array<number>(batch.length).fill(0);
      for (let i = 0; i < nBatch; i++) {
        let oa = 0;
        let ob = 0;
        for (let d = 0; d < batch.length; d++) {
          oa += idx[d]! * sa[d]!;
          ob += idx[d]! * sb[d]!;
        }
        gemm(tA ? 1 : 0, tB ? 1 : 0, m, n, k, pa + oa * m * k * 4, lda, pb + ob * k * n * 4, ldb, pc + i * m * n * 4, n, 0, work);
        for (let d = batch.length - 1; d >= 0; d--) {
          if (++idx[d]! < batch[d]!) break;
          idx[d] = 0;
        }
      }
    }
    releaseIfNew(fa, ta!);
    releaseIfNew(fb, tb!);
    return out;
  });
}

// ── shape and layout ──────────────────────────────────────────────────────
function copyStrided(op: string, t: Tensor, shape: number[], strides: number[], offset: number): Tensor {
  const out = new Tensor(shape, t.dtype);
  if (out.size === 0) return out;
  const nd = writePlan(collapsePlan(shape, [strides]));
  kernels().bc_copy_32(t.ptr(op) + offset * 4, out.ptr(op), nd, META_PTR);
  return out;
}

/** Permutes axes (default: reversed). */
export function transpose(x: TensorLike, perm?: readonly number[]): Tensor {
  const op = 'transpose';
  return withOperands(op, [x], ([t]) => {
    const r = t!.rank;
    const p = perm ? intList(op, 'perm', perm).map((a) => normalizeAxis(op, a, r)) : Array.from({ length: r }, (_, i) => r - 1 - i);
    if (p.length !== r || new Set(p).size !== r) {
      throw new ShapeError(
        `transpose: perm [${intList(op, 'perm', perm ?? []).join(',')}] is not a permutation of the ${r} axes of ${fmtShape(t!.shape)}`,
      );
    }
    const s = stridesOf(t!.shape);
    return copyStrided(
      op,
      t!,
      p.map((a) => t!.shape[a]!),
      p.map((a) => s[a]!),
      0,
    );
  });
}

/** Same data, new shape; one dimension may be −1 (inferred). Shares storage. */
export function reshape(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'reshape';
  return withOperands(op, [x], ([t]) => {
    if (!Array.isArray(shape)) throw new ShapeError(`reshape: shape must be an array, got ${typeof shape}`);
    const inferred = shape.filter((d) => d === -1).length;
    if (inferred > 1) throw new ShapeError(`reshape: shape [${shape.join(',')}] has more than one -1`);
    let target = shape.slice();
    if (inferred === 1) {
      const known = sizeOf(shape.filter((d) => d !== -1));
      if (known === 0 || t!.size % known !== 0) {
        throw new ShapeError(`reshape: cannot infer -1 in [${shape.join(',')}] for ${t!.size} elements of ${fmtShape(t!.shape)}`);
      }
      target = shape.map((d) => (d === -1 ? t!.size / known : d));
    }
    target = checkShape(op, target);
    if (sizeOf(target) !== t!.size) {
      throw new ShapeError(
        `reshape: ${fmtShape(t!.shape)} (${t!.size} elements) cannot become ${fmtShape(target)} (${sizeOf(target)} elements)`,
      );
    }
    t!.ptr(op);
    return new Tensor(target, t!.dtype, t!.storage);
  });
}

/** Inserts an axis of length 1 at `axis` (−rank−1 … rank). */
export function expandDims(x: TensorLike, axis = 0): Tensor {
  return withOperands('expandDims', [x], ([t]) => {
    const ax = normalizeAxis('expandDims', axis, t!.rank + 1);
    const shape = t!.shape.slice();
    shape.splice(ax, 0, 1);
    return reshape(t!, shape);
  });
}

/** Removes axes of length 1: all of them, or the given ones (which must have length 1). */
export function squeeze(x: TensorLike, axis?: number | readonly number[]): Tensor {
  const op = 'squeeze';
  return withOperands(op, [x], ([t]) => {
    const axes = axis === undefined ? t!.shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(op, axis, t!.rank);
    for (const a of axes) {
      if (t!.shape[a] !== 1) throw new ShapeError(`squeeze: axis ${a} of ${fmtShape(t!.shape)} has length ${t!.shape[a]}, not 1`);
    }
    return reshape(t!, dropAxes(t!.shape, axes));
  });
}

/** Broadcasts to `shape` (NumPy rules), copying. */
export function broadcastTo(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'broadcastTo';
  return withOperands(op, [x], ([t]) => {
    const target = checkShape(op, shape);
    const b = broadcastShapes(op, t!.shape, target);
    if (!shapesEqual(b, target)) throw new ShapeError(`broadcastTo: ${fmtShape(t!.shape)} cannot broadcast to ${fmtShape(target)}`);
    return copyStrided(op, t!, target, broadcastStrides(t!.shape, target), 0);
  });
}

/**
 * Sums a gradient of a broadcast result back to `shape`: over the leading axes it gained and
 * over the axes where `shape` has length 1. The adjoint of broadcasting.
 */
export function sumTo(x: TensorLike, shape: readonly number[]): Tensor {
  const op = 'sumTo';
  return withOperands(op, [x], ([t]) => {
    const lead = t!.rank - shape.length;
    if (lead < 0) throw new ShapeError(`sumTo: ${fmtShape(t!.shape)} has lower rank than ${fmtShape(shape)}`);
    // a broadcast scalar's gradient (a bias of one element, a·x's a): one full sum
    if (sizeOf(shape) === 1 && t!.size > 0) return reduceAll(op, C.RED_SUM, t!, shape, false);
    const axes: number[] = [];
    for (let i = 0; i < t!.rank; i++) {
      const target = i < lead ? 1 : shape[i - lead]!;
      if (i < lead || (target === 1 && t!.shape[i] !== 1)) axes.push(i);
      else if (target !== t!.shape[i]) throw new ShapeError(`sumTo: ${fmtShape(t!.shape)} cannot sum to ${fmtShape(shape)}`);
    }
    if (axes.length === 0) return reshape(t!, shape);
    const s = sum(t!, axes, true);
    const out = reshape(s, shape);
    s.dispose();
    return out;
  });
}

/**
 * The block of `x` starting at `begin` with `size` elements per axis (−1 or omitted: to the
 * end). A number `begin`/`size` applies to axis 0. Negative begins count from the end.
 */
export function slice(x: TensorLike, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const op = 'slice';
  return withOperands(op, [x], ([t]) => {
    const r = t!.rank;
    const b = intList(op, 'begin', begin);
    const s = size === undefined ? [] : intList(op, 'size', size);
    if (b.length > r || s.length > r)
      throw new IndexError(`slice: begin [${b}] / size [${s}] have more entries than the rank ${r} of ${fmtShape(t!.shape)}`);
    const starts: number[] = [];
    const lens: number[] = [];
    for (let i = 0; i < r; i++) {
      const dim = t!.shape[i]!;
      let st = b[i] ?? 0;
      if (!Number.isInteger(st)) throw new IndexError(`slice: begin ${st} on axis ${i} is not an integer`);
      if (st < 0) st += dim;
      if (st < 0 || st > dim) throw new IndexError(`slice: begin ${b[i]} is out of range for axis ${i} of length ${dim}`);
      let len = s[i] ?? -1;
      if (len === -1) len = dim - st;
      if (!Number.isInteger(len) || len < 0 || st + len > dim) {
        throw new IndexError(`slice: size ${s[i]} from ${st} exceeds axis ${i} of length ${dim} in ${fmtShape(t!.shape)}`);
      }
      starts.push(st);
      lens.push(len);
    }
    const strides = stridesOf(t!.shape);
    const offset = starts.reduce((acc, st, i) => acc + st * strides[i]!, 0);
    return copyStrided(op, t!, lens, strides, offset);
  });
}

/**
 * Gradient helper of slice: a zero tensor of `shape` with `dy` written at offset `begin`
 * (the adjoint of slice).
 */
export function padSlice(dy: Tensor, begin: readonly number[], shape: readonly number[]): Tensor {
  const op = 'padSlice';
  if (dy.rank !== shape.length || begin.length !== shape.length || dy.shape.some((d, i) => begin[i]! + d > shape[i]!)) {
    throw new ShapeError(`padSlice: ${fmtShape(dy.shape)} at [${begin.join(',')}] does not fit in ${fmtShape(shape)}`);
  }
  const out = new Tensor(shape, dy.dtype);
  fillInPlace(out, 0);
  if (dy.size === 0) return out;
  const r = shape.length;
  const outStrides = stridesOf(shape);
  const rowElems = r === 0 ? 1 : dy.shape[r - 1]!;
  const rows = dy.size / rowElems;
  const u8 = heapU8();
  const src = dy.ptr(op);
  const dst = out.ptr(op);
  const idx = new Array<number>(Math.max(0, r - 1)).fill(0);
  for (let row = 0; row < rows; row++) {
    let off = r === 0 ? 0 : begin[r - 1]!;
    for (let d = 0; d < r - 1; d++) off += (idx[d]! + begin[d]!) * outStrides[d]!;
    u8.copyWithin(dst + off * 4, src + row * rowElems * 4, src + (row + 1) * rowElems * 4);
    for (let d = r - 2; d >= 0; d--) {
      if (++idx[d]! < dy.shape[d]!) break;
      idx[d] = 0;
    }
  }
  return out;
}

/** An int32 index tensor from `indices`, with every entry checked against [0, bound). */
function checkedIndices(op: string, indices: TensorLike, bound: number, what: string): { t: Tensor; owned: boolean } {
  const c = indices instanceof Tensor ? operand(op, indices) : { t: fromData(op, indices, 'int32'), owned: true };
  if (c.t.dtype !== 'int32') {
    if (c.owned) c.t.dispose();
    throw new DTypeError(`${op}: indices must be int32, got ${c.t.dtype}`);
  }
  const p = c.t.ptr(op) >> 2;
  const heap = heapI32();
  for (let i = 0; i < c.t.size; i++) {
    const v = heap[p + i]!;
    if (v < 0 || v >= bound) {
      if (c.owned) c.t.dispose();
      throw new IndexError(`${op}: index ${v} at position ${i} is out of range for ${what} (expected 0..${bound - 1})`);
    }
  }
  return c;
}

/** Entries of `x` along `axis` picked by int32 `indices`; the result has indices' shape in that axis's place. */
export function gather(x: TensorLike, indices: TensorLike, axis = 0): Tensor {
  const op = 'gather';
  return withOperands(op, [x], ([t]) => {
    if (t!.rank === 0) throw new ShapeError('gather: needs rank ≥ 1, got a scalar');
    const ax = normalizeAxis(op, axis, t!.rank);
    const [outer, len, inner] = splitAt(t!.shape, ax);
    const idx = checkedIndices(op, indices, len, `axis ${ax} of ${fmtShape(t!.shape)}`);
    try {
      const shape = [...t!.shape.slice(0, ax), ...idx.t.shape, ...t!.shape.slice(ax + 1)];
      const out = new Tensor(shape, t!.dtype);
      if (out.size > 0) kernels().gather_32(t!.ptr(op), idx.t.ptr(op), out.ptr(op), outer, len, inner, idx.t.size);
      return out;
    } finally {
      if (idx.owned) idx.t.dispose();
    }
  });
}

/** Gradient helper of gather: scatters dy back into zeros of `shape` along `axis`, adding repeats. */
export function gatherBackward(dy: Tensor, indices: Tensor, axis: number, shape: readonly number[]): Tensor {
  const op = 'gatherBackward';
  const ax = normalizeAxis(op, axis, shape.length);
  const [outer, len, inner] = splitAt(shape, ax);
  const idx = checkedIndices(op, indices, len, `axis ${ax} of ${fmtShape(shape)}`);
  const out = new Tensor(shape, 'float32');
  fillInPlace(out, 0);
  const g = asFloat(dy);
  if (out.size > 0 && idx.t.size > 0) kernels().scatter_add_f32(g.ptr(op), idx.t.ptr(op), out.ptr(op), outer, len, inner, idx.t.size);
  releaseIfNew(g, dy);
  if (idx.owned) idx.t.dispose();
  return out;
}

/** float32 one-hot rows of int32 class ids in [0, depth): shape [...x.shape, depth]. */
export function oneHot(x: TensorLike, depth: number): Tensor {
  const op = 'oneHot';
  if (!Number.isInteger(depth) || depth < 1) throw new ValueError(`oneHot: depth must be a positive integer, got ${String(depth)}`);
  const idx = checkedIndices(op, x, depth, `depth ${depth}`);
  try {
    const out = new Tensor([...idx.t.shape, depth], 'float32');
    if (out.size > 0) kernels().one_hot_f32(idx.t.ptr(op), out.ptr(op), idx.t.size, depth);
    return out;
  } finally {
    if (idx.owned) idx.t.dispose();
  }
}

/** Joins tensors of equal shape except along `axis`. */
export function concat(xs: readonly TensorLike[], axis = 0): Tensor {
  const op = 'concat';
  if (xs.length === 0) throw new ValueError('concat: needs at least one tensor');
  return withOperands(op, [...xs], (ts) => {
    const first = ts[0]!;
    if (first.rank === 0) throw new ShapeError('concat: scalars cannot be joined; use stack');
    const ax = normalizeAxis(op, axis, first.rank);
    const dtype: DType = ts.every((t) => t.dtype === 'int32') ? 'int32' : 'float32';
    for (const t of ts) {
      if (t.rank !== first.rank || t.shape.some((d, i) => i !== ax && d !== first.shape[i])) {
        throw new ShapeError(`concat: ${fmtShape(t.shape)} does not match ${fmtShape(first.shape)} outside axis ${ax}`);
      }
    }
    const shape = first.shape.slice();
    shape[ax] = ts.reduce((acc, t) => acc + t.shape[ax]!, 0);
    const out = new Tensor(checkShape(op, shape), dtype);
    const [outer, , inner] = splitAt(shape, ax);
    const u8 = heapU8();
    let offset = 0;
    for (const t of ts) {
      const src = t.dtype === dtype ? t : cast(t, dtype);
      const rowBytes = t.shape[ax]! * inner * 4;
      const outRow = shape[ax]! * inner * 4;
      const sp = src.ptr(op);
      const op_ = out.ptr(op);
      for (let o = 0; o < outer; o++) u8.copyWithin(op_ + o * outRow + offset, sp + o * rowBytes, sp + (o + 1) * rowBytes);
      offset += rowBytes;
      releaseIfNew(src, t);
    }
    return out;
  });
}

/** Stacks tensors of equal shape along a new axis. */
export function stack(xs: readonly TensorLike[], axis = 0): Tensor {
  if (xs.length === 0) throw new ValueError('stack: needs at least one tensor');
  return withOperands('stack', [...xs], (ts) => {
    const expanded = ts.map((t) => expandDims(t, axis));
    try {
      return concat(expanded, axis);
    } finally {
      for (const e of expanded) e.dispose();
    }
  });
}
