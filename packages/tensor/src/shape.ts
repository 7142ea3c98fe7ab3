// Shapes, strides, broadcasting and the kernel plans built from them. Everything here runs
// before a kernel: a shape that reaches a kernel has been checked.
import { fmtShape, IndexError, ShapeError } from './errors.js';

/** Largest rank accepted (as in PyTorch). */
export const MAX_RANK = 64;
/** Largest element count of one tensor: its bytes must fit the 4 GiB wasm32 address space. */
export const MAX_SIZE = 2 ** 30 - 1;

/** True when two shapes are the same, axis by axis. */
export function shapesEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Number of elements of a shape. */
export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Checks a user-given shape: every dimension a non-negative integer, rank and size in range. */
export function checkShape(op: string, shape: unknown): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array of integers, got ${typeof shape}`);
  if (shape.length > MAX_RANK) throw new ShapeError(`${op}: rank ${shape.length} exceeds the maximum ${MAX_RANK}`);
  shape.forEach((d, i) => {
    if (typeof d !== 'number' || !Number.isInteger(d) || d < 0) {
      throw new ShapeError(
        `${op}: shape [${shape.map(String).join(',')}]: dimension ${i} is ${String(d)}; expected a non-negative integer`,
      );
    }
  });
  const n = sizeOf(shape as number[]);
  if (n > MAX_SIZE) throw new ShapeError(`${op}: shape ${fmtShape(shape as number[])} has ${n} elements; the maximum is ${MAX_SIZE}`);
  return shape.slice() as number[];
}

/** Row-major strides (in elements) of a contiguous shape. */
export function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

/** Resolves a possibly negative axis against a rank; throws IndexError when out of range. */
export function normalizeAxis(op: string, axis: number, rank: number): number {
  if (!Number.isInteger(axis)) throw new IndexError(`${op}: axis ${String(axis)} is not an integer`);
  const a = axis < 0 ? axis + rank : axis;
  if (a < 0 || a >= rank) throw new IndexError(`${op}: axis ${axis} is out of range for rank ${rank} (expected ${-rank}..${rank - 1})`);
  return a;
}

/** An argument that must be one integer or an array of them, as an array (IndexError otherwise). */
export function intList(op: string, name: string, v: unknown): number[] {
  if (typeof v === 'number') return [v];
  if (!Array.isArray(v))
    throw new IndexError(`${op}: ${name} must be an integer or an array of integers, got ${v === null ? 'null' : typeof v}`);
  return [...v];
}

/** Resolves an axis argument (one, several, or all when undefined) to sorted unique axes. */
export function normalizeAxes(op: string, axis: number | readonly number[] | undefined, rank: number): number[] {
  if (axis === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = intList(op, 'axis', axis);
  const out = [...new Set(list.map((a) => normalizeAxis(op, a, rank)))].sort((x, y) => x - y);
  if (out.length !== list.length) throw new IndexError(`${op}: axes [${list.join(',')}] repeat an axis`);
  return out;
}

/** NumPy broadcasting of two shapes; ShapeError naming the first axis that differs. */
export function broadcastShapes(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 1; i <= rank; i++) {
    const da = a.length - i >= 0 ? a[a.length - i]! : 1;
    const db = b.length - i >= 0 ? b[b.length - i]! : 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmtShape(a)} and ${fmtShape(b)} cannot broadcast (axis ${-i}: ${da} vs ${db})`);
    }
    out[rank - i] = da === 1 ? db : da;
  }
  return out;
}

/** Element strides of `shape` read as if broadcast to `target` (0 along broadcast axes). */
export function broadcastStrides(shape: readonly number[], target: readonly number[]): number[] {
  const own = stridesOf(shape);
  const off = target.length - shape.length;
  return target.map((_, i) => (i < off || shape[i - off] === 1 ? 0 : own[i - off]!));
}

/**
 * A kernel plan: the output shape and one stride array per input, with size-1 axes dropped and
 * adjacent axes merged wherever every input is contiguous across them — so most plans are
 * rank 1 or 2 and the kernel's inner loop is as long as possible.
 */
export interface Plan {
  shape: number[];
  strides: number[][];
}

export function collapsePlan(shape: readonly number[], strides: readonly (readonly number[])[]): Plan {
  const dims: number[] = [];
  const st: number[][] = strides.map(() => []);
  for (let d = 0; d < shape.length; d++) {
    if (shape[d] === 1) continue;
    const last = dims.length - 1;
    if (last >= 0 && strides.every((s, k) => st[k]![last] === s[d]! * shape[d]!)) {
      dims[last]! *= shape[d]!;
      strides.forEach((s, k) => {
        st[k]![last] = s[d]!;
      });
    } else {
      dims.push(shape[d]!);
      for (const [k, s] of strides.entries()) st[k]!.push(s[d]!);
    }
  }
  if (dims.length === 0) return { shape: [1], strides: strides.map(() => [0]) };
  return { shape: dims, strides: st };
}

/**
 * The output shape and plan of a two-operand broadcasting op. The common cases — equal shapes,
 * or one operand a single element — go straight to a rank-1 plan without the general planner.
 */
export function pairPlan(
  op: string,
  a: readonly number[],
  b: readonly number[],
  aSize: number,
  bSize: number,
): { shape: readonly number[]; plan: Plan } {
  if (shapesEqual(a, b)) return { shape: a, plan: { shape: [aSize], strides: [[1], [1]] } };
  if (bSize === 1 && b.length <= a.length) return { shape: a, plan: { shape: [aSize], strides: [[1], [0]] } };
  if (aSize === 1 && a.length <= b.length) return { shape: b, plan: { shape: [bSize], strides: [[0], [1]] } };
  const shape = broadcastShapes(op, a, b);
  return { shape, plan: collapsePlan(shape, [broadcastStrides(a, shape), broadcastStrides(b, shape)]) };
}

/** [outer, len, inner] view of a shape around one axis, for the reduce/softmax kernels. */
export function splitAt(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}

// ── shapes of shape ops: pure functions, shared by the tensor ops and autograd ──────────────

/** The shape reshape gives `from` for `shape`: one −1 is inferred; ShapeError when the sizes differ. */
export function reshapeShape(op: string, from: readonly number[], shape: readonly number[]): number[] {
  if (!Array.isArray(shape)) throw new ShapeError(`${op}: shape must be an array, got ${typeof shape}`);
  const size = sizeOf(from);
  const inferred = shape.filter((d) => d === -1).length;
  if (inferred > 1) throw new ShapeError(`${op}: shape [${shape.join(',')}] has more than one -1`);
  let target = shape.slice();
  if (inferred === 1) {
    const known = sizeOf(shape.filter((d) => d !== -1));
    if (known === 0 || size % known !== 0) {
      throw new ShapeError(`${op}: cannot infer -1 in [${shape.join(',')}] for ${size} elements of ${fmtShape(from)}`);
    }
    target = shape.map((d) => (d === -1 ? size / known : d));
  }
  target = checkShape(op, target);
  if (sizeOf(target) !== size) {
    throw new ShapeError(`${op}: ${fmtShape(from)} (${size} elements) cannot become ${fmtShape(target)} (${sizeOf(target)} elements)`);
  }
  return target;
}

/** `shape` with an axis of length 1 inserted at `axis` (−rank−1 … rank). */
export function expandDimsShape(op: string, shape: readonly number[], axis: number): number[] {
  const ax = normalizeAxis(op, axis, shape.length + 1);
  const out = shape.slice();
  out.splice(ax, 0, 1);
  return out;
}

/** `shape` without its axes of length 1: all of them, or the given ones (which must have length 1). */
export function squeezeShape(op: string, shape: readonly number[], axis?: number | readonly number[]): number[] {
  const axes = axis === undefined ? shape.flatMap((d, i) => (d === 1 ? [i] : [])) : normalizeAxes(op, axis, shape.length);
  for (const a of axes) {
    if (shape[a] !== 1) throw new ShapeError(`${op}: axis ${a} of ${fmtShape(shape)} has length ${shape[a]}, not 1`);
  }
  return shape.filter((_, i) => !axes.includes(i));
}

/** A block of a shape, resolved: a non-negative start and a length on every axis. */
export interface SliceBounds {
  /** First index on each axis. */
  begin: number[];
  /** Length on each axis. */
  size: number[];
}

/**
 * Resolves slice arguments against `shape`: `begin` entries may be negative (from the end),
 * `size` entries −1 or missing (to the end); a number applies to axis 0. IndexError when out of range.
 */
export function sliceBounds(
  op: string,
  shape: readonly number[],
  begin: number | readonly number[],
  size?: number | readonly number[],
): SliceBounds {
  const r = shape.length;
  const b = intList(op, 'begin', begin);
  const s = size === undefined ? [] : intList(op, 'size', size);
  if (b.length > r || s.length > r) {
    throw new IndexError(`${op}: begin [${b}] / size [${s}] have more entries than the rank ${r} of ${fmtShape(shape)}`);
  }
  const starts: number[] = [];
  const lens: number[] = [];
  for (let i = 0; i < r; i++) {
    const dim = shape[i]!;
    let st = b[i] ?? 0;
    if (!Number.isInteger(st)) throw new IndexError(`${op}: begin ${st} on axis ${i} is not an integer`);
    if (st < 0) st += dim;
    if (st < 0 || st > dim) throw new IndexError(`${op}: begin ${b[i]} is out of range for axis ${i} of length ${dim}`);
    let len = s[i] ?? -1;
    if (len === -1) len = dim - st;
    if (!Number.isInteger(len) || len < 0 || st + len > dim) {
      throw new IndexError(`${op}: size ${s[i]} from ${st} exceeds axis ${i} of length ${dim} in ${fmtShape(shape)}`);
    }
    starts.push(st);
    lens.push(len);
  }
  return { begin: starts, size: lens };
}

function integerArg(op: string, name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v)) throw new IndexError(`${op}: ${name} must be an integer, got ${String(v)}`);
  return v;
}

/**
 * Resolves PyTorch's `narrow(dim, start, length)` against `shape` as slice bounds: `length`
 * elements of axis `dim` from `start` (negative: from the end), the other axes whole.
 * IndexError when the window does not fit — it is never cut short.
 */
export function narrowBounds(op: string, shape: readonly number[], dim: number, start: number, length: number): SliceBounds {
  const ax = normalizeAxis(op, integerArg(op, 'dim', dim), shape.length);
  const n = shape[ax]!;
  let st = integerArg(op, 'start', start);
  const len = integerArg(op, 'length', length);
  if (st < 0) st += n;
  if (st < 0 || st > n) throw new IndexError(`${op}: start ${start} is out of range for dim ${ax} of length ${n} in ${fmtShape(shape)}`);
  if (len < 0 || st + len > n) {
    throw new IndexError(
      `${op}: start ${st} + length ${len} exceeds dim ${ax} of length ${n} in ${fmtShape(shape)} (expected 0 ≤ length ≤ ${n - st})`,
    );
  }
  return { begin: shape.map((_, i) => (i === ax ? st : 0)), size: shape.map((d, i) => (i === ax ? len : d)) };
}

/**
 * Resolves the end-exclusive range `start:end` of axis `dim` as slice bounds, with Python's
 * slicing rules (`x[start:end]` along one axis): negative indices count from the end, an omitted
 * `end` is the end of the axis, indices past either end are clamped, and `start ≥ end` is empty.
 */
export function rangeBounds(op: string, shape: readonly number[], dim: number, start: number, end?: number): SliceBounds {
  const ax = normalizeAxis(op, integerArg(op, 'dim', dim), shape.length);
  const n = shape[ax]!;
  const clampIndex = (v: number): number => Math.min(n, Math.max(0, v < 0 ? v + n : v));
  const st = clampIndex(integerArg(op, 'start', start));
  const en = end === undefined ? n : clampIndex(integerArg(op, 'end', end));
  const len = Math.max(0, en - st);
  return { begin: shape.map((_, i) => (i === ax ? st : 0)), size: shape.map((d, i) => (i === ax ? len : d)) };
}

/** Window options of one spatial axis of a convolution or pooling. */
export interface WindowOptions {
  /** Step between windows (≥ 1). */
  stride?: number;
  /** Zeros added on each side (≥ 0). */
  padding?: number;
  /** Spacing between kernel taps (≥ 1). */
  dilation?: number;
}

function windowInt(op: string, name: string, v: number, min: number): number {
  if (!Number.isInteger(v) || v < min) throw new ShapeError(`${op}: ${name} must be an integer ≥ ${min}, got ${v}`);
  return v;
}

/**
 * Output length of one spatial axis of a convolution, as in PyTorch:
 * ⌊(H + 2p − d(k − 1) − 1)/s⌋ + 1. ShapeError when the (dilated) kernel does not fit the padded input.
 */
export function convOutputSize(op: string, input: number, kernel: number, options: WindowOptions = {}): number {
  const h = windowInt(op, 'input size', input, 0);
  const k = windowInt(op, 'kernel size', kernel, 1);
  const s = windowInt(op, 'stride', options.stride ?? 1, 1);
  const p = windowInt(op, 'padding', options.padding ?? 0, 0);
  const d = windowInt(op, 'dilation', options.dilation ?? 1, 1);
  const span = d * (k - 1) + 1;
  if (h + 2 * p < span) {
    throw new ShapeError(`${op}: a kernel spanning ${span} does not fit an input of ${h} padded by ${p} on each side`);
  }
  return Math.floor((h + 2 * p - span) / s) + 1;
}

/**
 * Output length of one spatial axis of max/average pooling (stride defaults to the kernel size),
 * by the same formula as convOutputSize; PyTorch's rule that padding is at most half the kernel holds.
 */
export function poolOutputSize(op: string, input: number, kernel: number, options: WindowOptions = {}): number {
  const k = windowInt(op, 'kernel size', kernel, 1);
  const p = options.padding ?? 0;
  if (p > k / 2) throw new ShapeError(`${op}: padding ${p} must be at most half the kernel size ${k}`);
  return convOutputSize(op, input, k, { ...options, stride: options.stride ?? k });
}
