// Fused scaled-dot-product attention (assembly/attention.ts): softmax(q·kᵀ·scale + mask)·v without
// the [L, S] score matrix, forward and backward. The shapes, dtypes and mask are checked and
// resolved here into a geometry block of strides, so the kernel reads q, k and v as they lie:
// [..., T, E], or [B, T, H, E] with `headsLast` (a projection's heads split by a reshape, no copy).
import { DTypeError, fmtShape, ShapeError, ValueError } from '../errors.js';
import { META_PTR, rt, writeData } from '../runtime.js';
import { broadcastShapes } from '../shape.js';
import { type FloatDType, itemSize, Tensor } from '../tensor.js';
import { splitAttention, startedThreads } from '../threads.js';
import { asFloat, floatType } from './cast.js';
import { fillInPlace } from './fill.js';
import { broadcastTo } from './layout.js';
import { checkOptions } from './operands.js';

/** Options of fusedAttention and fusedAttentionBackward. */
export interface FusedAttentionOptions {
  /** Multiplies q·kᵀ (default 1/√E, E the features of q and k). */
  scale?: number | null;
  /** Query i sees keys j ≤ i only (top-left aligned, as PyTorch's `is_causal`). */
  isCausal?: boolean;
  /** A float mask added to the scores (−∞ forbids a key), broadcastable to the scores [..., L, S] ([B, H, L, S] with headsLast). */
  mask?: Tensor | null;
  /** q [B, L, H, E], k [B, S, H, E], v [B, S, H, Ev] and the output [B, L, H, Ev]: the heads after the positions. */
  headsLast?: boolean;
}

// the forward's tile of keys, the query rows computed together, and the backward's rows summed into
// dK and dV together (assembly/attention.ts TILE, ROWS, GROUP)
const TILE = 64;
const ROWS = 4;
const GROUP = 16;
// the geometry's word 22, from which the threads on one call claim its slices
const CLAIM_PTR = META_PTR + 22 * 4;

/** The resolved geometry of one attention call. */
interface AttentionPlan {
  dtype: FloatDType;
  /** B, H, L, S, E, Ev, the strides of q, k, v, output and mask, and the flags: the kernel's geometry block. */
  words: number[];
  outShape: number[];
  l: number;
  s: number;
  e: number;
  ev: number;
  scale: number;
  /** The mask in the compute dtype, laid out for the strides in `words` (maybe a new tensor). */
  mask: Tensor | null;
  /** The (batch, head) slices B·H, which threads split. */
  slices: number;
  /** The forward's multiply-adds, about: B·H·L·S·(E + Ev), halved when causal. */
  madds: number;
}

function checkFloat(op: string, name: string, t: Tensor): void {
  if (!(t instanceof Tensor)) throw new ValueError(`${op}: ${name} must be a Tensor, got ${typeof t}`);
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(`${op}: ${name} must be float32 or float64, got ${t.dtype}`);
}

function planOf(op: string, q: Tensor, k: Tensor, v: Tensor, options: FusedAttentionOptions): AttentionPlan {
  checkFloat(op, 'q', q);
  checkFloat(op, 'k', k);
  checkFloat(op, 'v', v);
  const { isCausal = false, mask = null, headsLast = false } = checkOptions(op, options, ['scale', 'isCausal', 'mask', 'headsLast']);
  if (typeof isCausal !== 'boolean') throw new ValueError(`${op}: isCausal must be true or false, got ${String(isCausal)}`);
  if (typeof headsLast !== 'boolean') throw new ValueError(`${op}: headsLast must be true or false, got ${String(headsLast)}`);
  if (isCausal && mask !== null) throw new ValueError(`${op}: give either a mask or isCausal, not both`);
  const dtype = floatType(q, k, v);
  const given = `q ${fmtShape(q.shape)}, k ${fmtShape(k.shape)}, v ${fmtShape(v.shape)}`;
  let b: number;
  let h: number;
  let l: number;
  let s: number;
  let e: number;
  let ev: number;
  let strides: number[];
  let outShape: number[];
  let scores: number[];
  if (headsLast) {
    if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4)
      throw new ShapeError(`${op}: with headsLast, expected q [B, L, H, E], k [B, S, H, E] and v [B, S, H, Ev]; got ${given}`);
    [b, l, h, e] = q.shape as [number, number, number, number];
    s = k.shape[1]!;
    ev = v.shape[3]!;
    if (k.shape[0] !== b || v.shape[0] !== b || k.shape[2] !== h || v.shape[2] !== h || k.shape[3] !== e || v.shape[1] !== s)
      throw new ShapeError(`${op}: with headsLast, expected q [B, L, H, E], k [B, S, H, E] and v [B, S, H, Ev]; got ${given}`);
    const rows = (t: number, f: number) => [t * h * f, f, h * f];
    strides = [...rows(l, e), ...rows(s, e), ...rows(s, ev), ...rows(l, ev)];
    outShape = [b, l, h, ev];
    scores = [b, h, l, s];
  } else {
    if (q.rank < 2 || k.rank !== q.rank || v.rank !== q.rank)
      throw new ShapeError(`${op}: expected q [..., L, E], k [..., S, E] and v [..., S, Ev] of one rank ≥ 2; got ${given}`);
    const batch = q.shape.slice(0, -2);
    [l, e] = q.shape.slice(-2) as [number, number];
    [s, ev] = v.shape.slice(-2) as [number, number];
    const sameBatch = (t: Tensor) => batch.every((d, i) => t.shape[i] === d);
    if (!sameBatch(k) || !sameBatch(v) || k.shape[k.rank - 1] !== e || k.shape[k.rank - 2] !== s)
      throw new ShapeError(`${op}: expected q [..., L, E], k [..., S, E] and v [..., S, Ev] with the same batch axes; got ${given}`);
    h = batch.length > 0 ? batch[batch.length - 1]! : 1;
    b = batch.slice(0, -1).reduce((x, y) => x * y, 1);
    const rows = (t: number, f: number) => [h * t * f, t * f, f];
    strides = [...rows(l, e), ...rows(s, e), ...rows(s, ev), ...rows(l, ev)];
    outShape = [...batch, l, ev];
    scores = [...batch, l, s];
  }
  if ((options.scale ?? null) === null && e === 0)
    throw new ValueError(`${op}: q and k have no features (E = 0, ${given}), so the default scale 1/√E is infinite; pass a finite scale`);
  const scale = options.scale ?? 1 / Math.sqrt(e);
  if (typeof scale !== 'number' || !Number.isFinite(scale))
    throw new ValueError(`${op}: scale must be a finite number, got ${String(scale)}`);
  let m: Tensor | null = null;
  let maskStrides = [0, 0, 0];
  if (mask !== null) {
    if (!(mask instanceof Tensor)) throw new ValueError(`${op}: mask must be a Tensor, got ${typeof mask}`);
    if (mask.dtype !== 'float32' && mask.dtype !== 'float64')
      throw new DTypeError(`${op}: mask must be float32 or float64, got ${mask.dtype}`);
    let fits = mask.rank <= scores.length;
    if (fits) {
      try {
        fits = broadcastShapes(op, mask.shape, scores).every((d, i) => d === scores[i]);
      } catch {
        fits = false;
      }
    }
    if (!fits) throw new ShapeError(`${op}: mask ${fmtShape(mask.shape)} does not broadcast to the scores ${fmtShape(scores)}`);
    m = asFloat(mask, dtype);
    if (scores.length <= 4 && (mask.shape[mask.rank - 1] ?? 1) === s) {
      // read in place: strides of the mask over (b, h, row), 0 along a broadcast axis
      const m4 = [...new Array<number>(4 - mask.rank).fill(1), ...mask.shape];
      const target = [b, h, l, s];
      const contiguous = [m4[1]! * m4[2]! * m4[3]!, m4[2]! * m4[3]!, m4[3]!];
      maskStrides = [0, 1, 2].map((i) => (m4[i] === 1 && target[i] !== 1 ? 0 : contiguous[i]!));
    } else {
      // a mask broadcast along the keys, or over more than two batch axes: spelled out once
      const full = broadcastTo(m, scores);
      if (m !== mask) m.dispose();
      m = full;
      maskStrides = [h * l * s, l * s, s];
    }
  }
  const flags = (isCausal ? 1 : 0) | (m !== null ? 2 : 0);
  const madds = (b * h * l * s * (e + ev)) / (isCausal ? 2 : 1);
  return {
    dtype,
    words: [b, h, l, s, e, ev, ...strides, ...maskStrides, flags],
    outShape,
    l,
    s,
    e,
    ev,
    scale,
    mask: m,
    slices: b * h,
    madds,
  };
}

/**
 * The bytes of one thread's scratch block of `elements` in `dtype`: whole 64-byte cache lines and
 * one more, so that two threads' blocks never share a line (whatever the first block's alignment).
 */
function scratchBytes(elements: number, dtype: FloatDType): number {
  return Math.ceil((elements * itemSize(dtype)) / 64) * 64 + 64;
}

/** Runs `body` with a scratch block of `bytes` (freed after). */
function withScratch<R>(bytes: number, body: (work: number) => R): R {
  const alloc = rt().allocator;
  const work = alloc.alloc(bytes);
  try {
    return body(work);
  } finally {
    alloc.free(work, bytes);
  }
}

/** The operands in the compute dtype; `release` disposes the copies made. */
function inDtype(ts: Tensor[], dtype: FloatDType): { ts: Tensor[]; release: () => void } {
  const cast = ts.map((t) => asFloat(t, dtype));
  return {
    ts: cast,
    release: () => {
      cast.forEach((c, i) => {
        if (c !== ts[i]) c.dispose();
      });
    },
  };
}

/**
 * softmax(q·kᵀ·scale + mask)·v in one pass over the keys per query row (an online softmax), never
 * holding the [L, S] scores: q [..., L, E], k [..., S, E], v [..., S, Ev] → [..., L, Ev], or with
 * `headsLast` q [B, L, H, E], k [B, S, H, E], v [B, S, H, Ev] → [B, L, H, Ev]. float32 or float64
 * (float64 if any operand is). The differentiable form is @gd/nn's scaledDotProductAttention.
 *
 * @example
 * ```ts
 * const out = fusedAttention(q, k, v, { isCausal: true }); // [batch, heads, L, Ev]
 * ```
 */
export function fusedAttention(q: Tensor, k: Tensor, v: Tensor, options: FusedAttentionOptions = {}): Tensor {
  const op = 'fusedAttention';
  const plan = planOf(op, q, k, v, options);
  const out = new Tensor(plan.outShape, plan.dtype);
  const { ts, release } = inDtype([q, k, v], plan.dtype);
  try {
    // no keys: an empty weighted sum, 0 (as softmax(q·kᵀ)·v composed, whose product sums over S = 0)
    if (plan.s === 0) fillInPlace(out, 0);
    else if (out.size > 0) {
      // kᵀ of a slice, ROWS·TILE scores, ROWS·Ev accumulators, a maximum and a sum per row
      const per = scratchBytes(plan.e * plan.s + ROWS * (TILE + plan.ev + 2), plan.dtype);
      const scratches = startedThreads();
      withScratch(per * scratches, (work) => {
        const [tq, tk, tv] = ts as [Tensor, Tensor, Tensor];
        writeData(META_PTR, 'int32', plan.words);
        const args = [tq.ptr(op), tk.ptr(op), tv.ptr(op), plan.mask ? plan.mask.ptr(op) : 0, out.ptr(op), work, META_PTR, plan.scale];
        splitAttention('attention_forward', itemSize(plan.dtype) as 4 | 8, args, 5, per, scratches, plan.slices, plan.madds, CLAIM_PTR);
      });
    }
  } finally {
    release();
    if (plan.mask && plan.mask !== options.mask) plan.mask.dispose();
  }
  return out;
}

/**
 * The gradients [dq, dk, dv] of fusedAttention (FlashAttention-2's backward, with P recomputed
 * row by row from its logsumexp, so no [L, S] matrix is held) from the forward's inputs, its
 * output `out` and the upstream gradient `dout` (shaped as `out`). Each gradient has its input's
 * shape and dtype.
 *
 * @example
 * ```ts
 * const [dq, dk, dv] = fusedAttentionBackward(q, k, v, out, ones(out.shape), { isCausal: true });
 * ```
 */
export function fusedAttentionBackward(
  q: Tensor,
  k: Tensor,
  v: Tensor,
  out: Tensor,
  dout: Tensor,
  options: FusedAttentionOptions = {},
): [Tensor, Tensor, Tensor] {
  const op = 'fusedAttentionBackward';
  const plan = planOf(op, q, k, v, options);
  for (const [name, t] of [
    ['out', out],
    ['dout', dout],
  ] as const) {
    checkFloat(op, name, t);
    if (t.rank !== plan.outShape.length || t.shape.some((d, i) => d !== plan.outShape[i]))
      throw new ShapeError(`${op}: ${name} must be ${fmtShape(plan.outShape)} (the forward's output), got ${fmtShape(t.shape)}`);
  }
  const grads = [q, k, v].map((t) => new Tensor(t.shape, plan.dtype));
  const { ts, release } = inDtype([q, k, v, out, dout], plan.dtype);
  try {
    for (const g of grads) fillInPlace(g, 0);
    if (plan.l > 0 && plan.s > 0 && grads.some((g) => g.size > 0)) {
      // kᵀ and vᵀ of a slice, then P and dS of GROUP query rows
      const per = scratchBytes((plan.e + plan.ev + 2 * GROUP) * plan.s, plan.dtype);
      const scratches = startedThreads();
      withScratch(per * scratches, (work) => {
        const [tq, tk, tv, to, tdo] = ts as [Tensor, Tensor, Tensor, Tensor, Tensor];
        const [dq, dk, dv] = grads as [Tensor, Tensor, Tensor];
        writeData(META_PTR, 'int32', plan.words);
        const args = [tq, tk, tv].map((t) => t.ptr(op));
        args.push(
          plan.mask ? plan.mask.ptr(op) : 0,
          to.ptr(op),
          tdo.ptr(op),
          dq.ptr(op),
          dk.ptr(op),
          dv.ptr(op),
          work,
          META_PTR,
          plan.scale,
        );
        // the backward does about three times the forward's multiply-adds
        splitAttention(
          'attention_backward',
          itemSize(plan.dtype) as 4 | 8,
          args,
          9,
          per,
          scratches,
          plan.slices,
          3 * plan.madds,
          CLAIM_PTR,
        );
      });
    }
  } catch (e) {
    for (const g of grads) g.dispose();
    throw e;
  } finally {
    release();
    if (plan.mask && plan.mask !== options.mask) plan.mask.dispose();
  }
  // each gradient in its input's dtype
  return grads.map((g, i) => {
    const want = [q, k, v][i]!.dtype as FloatDType;
    if (g.dtype === want) return g;
    const c = asFloat(g, want);
    g.dispose();
    return c;
  }) as [Tensor, Tensor, Tensor];
}
