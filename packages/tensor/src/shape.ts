// Shapes, strides, broadcasting and the kernel plans built from them. Everything here runs
// before a kernel: a shape that reaches a kernel has been checked.
import { fmtShape, IndexError, ShapeError } from './errors.js';
import { heapI32, META_PTR, META_WORDS } from './runtime.js';

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

/** Writes a plan into the kernels' plan area; returns its rank. */
export function writePlan(plan: Plan): number {
  const nd = plan.shape.length;
  const words = (2 + plan.strides.length) * nd + plan.strides.length;
  if (words > META_WORDS) throw new ShapeError(`plan of rank ${nd} is too large`);
  const heap = heapI32();
  const base = META_PTR >> 2;
  for (let d = 0; d < nd; d++) heap[base + d] = plan.shape[d]!;
  for (let k = 0; k < plan.strides.length; k++) {
    const s = plan.strides[k]!;
    const at = base + (k + 1) * nd;
    for (let d = 0; d < nd; d++) heap[at + d] = s[d]!;
  }
  return nd;
}

/** [outer, len, inner] view of a shape around one axis, for the reduce/softmax kernels. */
export function splitAt(shape: readonly number[], axis: number): [number, number, number] {
  let outer = 1;
  let inner = 1;
  for (let i = 0; i < axis; i++) outer *= shape[i]!;
  for (let i = axis + 1; i < shape.length; i++) inner *= shape[i]!;
  return [outer, shape[axis]!, inner];
}
